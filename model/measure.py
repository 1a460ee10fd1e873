"""Each candidate precision measured on the held-out clips: clips/s on this CPU, and its vectors against FP32's."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import numpy as np

from vidx.config import Settings

from . import cpu
from .choice import CANDIDATES, Choice, choose, judged, measured_elsewhere, record
from .manifest import HELDOUT, VIDEO_IR, Manifest
from .runtime import TextEncoder, VideoEncoder, cpu_has_bf16

# Text probes for the retrieval-agreement figure: everyday scenes, since the library's content is unknown.
PROBES = [
    "a person walking",
    "a car driving on a road",
    "people talking",
    "a dog running",
    "cooking food",
    "playing guitar",
    "a waterfall",
    "riding a bike",
    "a bottle on a table",
    "someone reading a book",
    "a crowd of people",
    "a cartoon animal",
    "a hand gesture",
    "a phone call",
    "an empty room",
]
# Each candidate is timed this many times, in turn with the others (the machine's speed drifts over minutes),
# on at least TIMED_CLIPS clips each time; its rate is the median.
ROUNDS = 3
TIMED_CLIPS = 16


def compare(reference: np.ndarray, other: np.ndarray, text: np.ndarray) -> tuple[float, float, float]:
    """Worst and mean cosine of `other`'s vectors to `reference`'s, and the share of `text` queries whose
    nearest clip is the same in both."""
    cos = np.sum(reference * other, axis=1) / (
        np.linalg.norm(reference, axis=1) * np.linalg.norm(other, axis=1) + 1e-12
    )
    agree = np.mean(np.argmax(text @ reference.T, axis=1) == np.argmax(text @ other.T, axis=1))
    return float(cos.min()), float(cos.mean()), float(agree)


def save_heldout(folder: Path, clips: np.ndarray) -> None:
    tmp = folder / (HELDOUT + ".tmp")
    with open(tmp, "wb") as f:
        np.save(f, clips.astype(np.uint8, copy=False))
    os.replace(tmp, folder / HELDOUT)


def load_heldout(folder: Path) -> np.ndarray | None:
    path = folder / HELDOUT
    return np.load(path) if path.exists() else None


def candidates_here(manifest: Manifest) -> list[str]:
    """The precisions this model and CPU can run: the INT8 IRs made, bf16 where the CPU has it, FP32."""
    made = set(manifest.files.values())
    usable = {"int8": VIDEO_IR["int8"] in made, "int8-mixed": VIDEO_IR["int8-mixed"] in made, "bf16": cpu_has_bf16()}
    return [p for p in CANDIDATES if usable.get(p, True)]


def measure(settings: Settings, folder: Path, held: np.ndarray) -> Choice:
    """Time every candidate on the held-out uint8 clips as `vidx index` runs them (throughput hint, one clip a
    request, scaled on the way in) and judge its vectors against FP32's."""
    precisions = candidates_here(Manifest.load(folder))
    encoders = {p: VideoEncoder.from_settings(settings, folder, p, throughput=True) for p in precisions}
    batches = [[clip] for clip in held]
    timed = batches * -(-TIMED_CLIPS // len(batches))
    vectors = {p: np.concatenate(list(e.embed_stream(batches))) for p, e in encoders.items()}  # also a warm-up
    seconds: dict[str, list[float]] = {p: [] for p in precisions}
    for _ in range(ROUNDS):
        for p, encoder in encoders.items():
            start = time.perf_counter()
            for _ in encoder.embed_stream(timed):
                pass
            seconds[p].append(time.perf_counter() - start)
    text = TextEncoder(settings.home, folder).embed(PROBES)
    guard = settings.model.int8_min_cosine
    measured = [
        judged(p, len(timed) / statistics.median(seconds[p]), *compare(vectors["fp32"], vectors[p], text), guard)
        for p in precisions
    ]
    return choose(measured, guard, cpu.identity())


def measure_again_if_moved(settings: Settings, folder: Path) -> Choice | None:
    """On a CPU other than the one the candidates were measured on, measure them again here and record the new
    choice; None when there is nothing to do (same CPU, or never measured)."""
    manifest = Manifest.load(folder)
    held = load_heldout(folder)
    if held is None or not measured_elsewhere(manifest, cpu.identity()):
        return None
    choice = measure(settings, folder, held)
    record(manifest, choice)
    manifest.save(folder)
    return choice
