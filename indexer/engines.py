"""The engines that decode and embed an index run, by name: the one place an engine is chosen.

Each entry imports its module only when asked for, so the local engine never loads Ray. A third engine joins by
adding an entry here and its name to `vidx.config.ENGINES` (tests/test_engines.py holds the two together).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Protocol

from vidx.config import Settings
from vidx.errors import UsageError, VidxError

from .commit import VideoUnfinished
from .plan import VideoJob
from .stages import Event


class Engine(Protocol):
    """Where files are decoded and embedded: yields, for each job, its clips with vectors and then its end (or,
    when the engine could not finish a file this run, that it did not)."""

    lazy_hash: bool  # whether it hashes the files the plan leaves unhashed (see make_plan)
    # Whether it hears the files it embeds itself, their speech in VideoDone (else the run's speech process does).
    hears_speech: bool
    embed_seconds: float  # while the model ran, once `embed` is exhausted

    def embed(self, jobs: list[VideoJob]) -> Generator[Event | VideoUnfinished, None, None]: ...


# Makes an engine for one run: the settings, the active model's folder and its vector space.
EngineFactory = Callable[[Settings, Path, str], Engine]


def _local() -> EngineFactory:
    from .local_engine import LocalEngine

    return LocalEngine


def _ray() -> EngineFactory:
    try:
        from .ray_engine import RayEngine
    except ImportError as e:
        raise VidxError(f"The ray engine needs Ray ({e}): pip install '.[ray]' in the vidx clone") from None
    return RayEngine


REGISTRY: dict[str, Callable[[], EngineFactory]] = {"local": _local, "ray": _ray}


def engine_factory(name: str) -> EngineFactory:
    """The engine called `name`, its module imported now: a missing extra fails before any work starts."""
    if name not in REGISTRY:
        raise UsageError(f"engine must be one of {', '.join(REGISTRY)}, got {name!r}")
    return REGISTRY[name]()
