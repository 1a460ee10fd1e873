"""The model the benchmarks measure: the full-size S3D stand-in, imported and quantized through vidx's own
commands, and fresh homes that use it."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import inputs
import numpy as np
import s3d_model
from harness import CACHE, vidx


@dataclass(frozen=True)
class Prepared:
    """The stand-in as `vidx model import` and `quantize` left it."""

    savedmodel: Path
    home: Path
    info: dict  # `vidx model info --json`
    quantize_s: float  # wall seconds of `vidx model quantize`, accuracy control and measuring the candidates included

    @property
    def folder(self) -> Path:
        """The active model's folder, with its FP32, INT8 and accuracy-controlled INT8 IRs."""
        return Path(self.info["folder"])

    @property
    def active(self) -> str:
        """The precision `vidx model quantize` chose."""
        return self.info["active"]["precision"]


def imported(init_clips: np.ndarray) -> tuple[Path, Path]:
    """The full-size model set on `init_clips` (cached), imported through `vidx model import`: (SavedModel, home)."""
    # Keyed on the builder and the clips it is set on, so a change to either rebuilds it.
    key = hashlib.sha1(Path(s3d_model.__file__).read_bytes() + init_clips.tobytes()).hexdigest()[:10]
    savedmodel = CACHE / f"s3d-{key}"
    if not (savedmodel / "saved_model.pb").exists():
        s3d_model.build(savedmodel, init_clips)
    home = CACHE / "home"
    vidx(home, "model", "import", str(savedmodel))
    return savedmodel, home


def prepare_fp32() -> Path:
    """The folder of the full-size model as `prepare` sets it, imported but not quantized."""
    calibration, _ = inputs.quantize_split()
    _, home = imported(calibration[: inputs.INIT_CLIPS])
    return Path(json.loads(vidx(home, "model", "info", "--json").stdout)["folder"])


def prepare(init_clips: np.ndarray) -> Prepared:
    """The full-size model set on `init_clips` (cached), imported and quantized through vidx's own commands."""
    savedmodel, home = imported(init_clips)
    # Quantized on every run, so the INT8 measured is what this vidx makes; its time is a figure of its own.
    start = time.perf_counter()
    vidx(home, "model", "quantize", "--calibration", str(inputs.SHARED))
    seconds = round(time.perf_counter() - start, 1)
    info = json.loads(vidx(home, "model", "info", "--json").stdout)
    return Prepared(savedmodel, home, info, seconds)


def fresh_home(name: str, setup: Prepared) -> Path:
    """An empty home whose active model is the benchmark's, its OpenVINO compile cache kept between runs."""
    home = CACHE / name
    for item in home.glob("*"):
        if item.name == "cache":
            continue  # OpenVINO's compiled models, as a home has them once `vidx model quantize` has run
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item)  # the index's segments among them: a fresh catalog with old ones is no fresh home
        else:
            item.unlink()
    home.mkdir(parents=True, exist_ok=True)
    (home / "models").mkdir(exist_ok=True)
    link = home / "models" / "active"
    link.unlink(missing_ok=True)
    link.symlink_to(setup.folder)
    return home
