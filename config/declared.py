"""Every setting, declared once: a field of its section's dataclass with its type, default, bounds and doc.

The loader (settings.py) takes types, defaults and rules from here, `vidx config` lists these fields, and
README.md's settings table is `python -m vidx.config.table`'s output (tests/test_docs.py holds it to it).
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

PRECISIONS = ("fp32", "bf16", "int8", "int8-mixed")
ENGINES = ("local", "ray")
# Each decoder is a process of ~150 MB; more than this is a typo, not a machine.
MAX_DECODERS = 64


@dataclass(frozen=True)
class Rules:
    """What a setting's value must be, beyond its type, and its one line of doc."""

    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    # A rule the bounds cannot say: the complaint about a value, or None when it is fine.
    check: Callable[[Any], str | None] | None = None
    # The README's wording of the default, where the value itself says too little or too much.
    shown: str = ""


def setting(default: object, doc: str, **rules: Any) -> Any:
    """A section field: its default, and the Rules the loader checks every value against."""
    return field(default=default, metadata={"rules": Rules(doc, **rules)})


def _dotted(extensions: tuple[str, ...]) -> str | None:
    if all(e.startswith(".") for e in extensions):
        return None
    return f"each extension starts with a dot, got {list(extensions)!r}"


def _address(address: str) -> str | None:
    return None if address else "give HOST:PORT of the Ray head, or local"


@dataclass(frozen=True)
class ClipSettings:
    # The S3D video input is [B, 32, 224, 224, 3].
    frames: int = setting(32, "frames per clip", minimum=1)
    size: int = setting(224, "centre square crop, resized to this side", minimum=8)
    fps: float = setting(
        10.0,
        "frames sampled per second of video; 0 takes every decoded frame (the notebook's sampling)",
        minimum=0,
    )
    stride: float = setting(0.0, "seconds between clip starts; 0 puts clips side by side", minimum=0)
    max_per_video: int = setting(0, "most clips per video; 0 is no limit", minimum=0)


@dataclass(frozen=True)
class IndexSettings:
    extensions: tuple[str, ...] = setting(
        tuple(".mp4 .m4v .mov .mkv .webm .avi .wmv .flv .mpg .mpeg .ts .3gp .ogv .gif".split()),
        "which files are videos",
        check=_dotted,
        shown="usual containers and `.gif`",
    )
    # One clip a request is as fast as four and needs half the memory (BENCHMARKS.md).
    batch: int = setting(1, "clips per inference request; the model keeps two requests per stream in flight", minimum=1)
    # Hostile or stuck files must not hold a run forever.
    timeout: float = setting(
        300.0, "seconds a file may go without yielding a clip before it is recorded as failed", minimum=1
    )
    # A file still being copied into the library looks like a damaged video: leave it until it has settled.
    settle_seconds: float = setting(
        5.0,
        "a file modified less than this many seconds ago is waited for (10 s at most) and indexed if it did not "
        "change meanwhile; otherwise left for the next run",
        minimum=0,
    )
    decoders: int = setting(
        0,
        "decoding processes; 0 picks from the cores and `model.precision` (1 on 2 cores)",
        minimum=0,
        maximum=MAX_DECODERS,
    )
    ann_threshold: int = setting(
        100000,
        "clips past which the exact index gives way to IVF-PQ segments with exact re-ranking; the kind follows the "
        "size at every run",
        minimum=1,
    )
    engine: str = setting(
        "local",
        "where files are decoded and embedded: `local` (this machine) or `ray` (a Ray cluster, see "
        "[docs/cluster.md](docs/cluster.md))",
        choices=ENGINES,
    )


@dataclass(frozen=True)
class SearchSettings:
    k: int = setting(10, "videos per query", minimum=1)
    # 0.5 keeps a clip when it is closer to the best than to the worst: a clip half made of the matching scene.
    moment_margin: float = setting(
        0.5,
        "a hit's moment is the run of clips around its best one scoring within this share of the gap between that "
        "video's best and worst clip; 0 keeps only clips as good as the best, 1 the whole video",
        minimum=0,
        maximum=1,
    )


@dataclass(frozen=True)
class ServeSettings:
    # Idle connections cost no thread, so this bounds work, not sockets.
    max_connections: int = setting(64, "requests `vidx serve` answers at once; more wait their turn", minimum=1)
    timeout: float = setting(
        30.0, "seconds a `vidx serve` connection may stay silent, before or during a request", minimum=1
    )


@dataclass(frozen=True)
class ModelSettings:
    precision: str = setting(
        "fp32",
        "fp32 (true f32), bf16 (CPUs with AVX512_BF16 or AMX), int8 or int8-mixed (accuracy-controlled INT8) after "
        "`vidx model quantize`, which sets the fastest that passes the guard",
        choices=PRECISIONS,
    )
    int8_min_cosine: float = setting(
        0.985,
        "the guard: worst cosine to FP32 on held-out clips that int8, int8-mixed and bf16 must reach",
        minimum=-1,
        maximum=1,
    )
    source: str = setting(
        "https://www.kaggle.com/models/deepmind/mil-nce/TensorFlow1/s3d/1",
        "what `vidx model import` fetches by default",
        shown="the Kaggle handle",
    )


@dataclass(frozen=True)
class RaySettings:
    # The loader takes $RAY_ADDRESS, where a cluster's users already keep it, for this default.
    address: str = setting(
        "local",
        "the Ray cluster's head (`HOST:6379`); `local` starts a Ray on this machine for the run and stops it after",
        check=_address,
        shown="`$RAY_ADDRESS`, else `local`",
    )
    # Two threads on one file beat two one-thread workers on two (benchmarks/ray_engine.py): no worker idles
    # while the other ends a long file.
    cpus_per_worker: int = setting(2, "CPUs each Ray worker takes; its inference runs on that many threads", minimum=1)
    workers: int = setting(0, "Ray workers to start; 0 is as many as the cluster's CPUs allow", minimum=0)


@dataclass(frozen=True)
class SpeechSettings:
    # Off saves the speech process and its model's memory; the words of subtitles are indexed either way.
    enabled: bool = setting(
        True,
        "index what is said in each video's audio track, once a speech model is installed (`vidx model import-speech`)",
    )


# The sections in the order `vidx config` lists them.
SECTIONS: dict[str, type] = {
    "clip": ClipSettings,
    "index": IndexSettings,
    "search": SearchSettings,
    "serve": ServeSettings,
    "model": ModelSettings,
    "ray": RaySettings,
    "speech": SpeechSettings,
}


@dataclass(frozen=True)
class Setting:
    """One setting as the loader and the docs see it: `section.key`, the type values take, default, rules."""

    key: str
    kind: type  # bool, int, float, str, or tuple for a list of strings
    default: object
    rules: Rules


def _kind(annotation: object) -> type:
    """The type a value is converted to: a `tuple[str, ...]` field holds a list of strings."""
    return tuple if typing.get_origin(annotation) is tuple else typing.cast(type, annotation)


def _declared() -> dict[str, Setting]:
    out = {}
    for section, cls in SECTIONS.items():
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            key = f"{section}.{f.name}"
            out[key] = Setting(key, _kind(hints[f.name]), f.default, f.metadata["rules"])
    return out


SETTINGS = _declared()
