"""How many decoding processes and inference threads an indexing run uses, so they share the cores without
fighting over them."""

from __future__ import annotations

import os
from dataclasses import dataclass

from vidx.config import Settings

# Share of the CPU work that is decoding, per model precision: a 720p30 H.264 clip (96 frames, 32 sampled)
# costs about 70 ms of one core to decode; inference costs about 100 ms of CPU in INT8, 370 in FP32 and 200 in
# bf16 (BENCHMARKS.md).
# Accuracy-controlled INT8 keeps a few layers in f32, so it costs a little more than INT8.
DECODE_SHARE = {"int8": 0.4, "int8-mixed": 0.35, "bf16": 0.25, "fp32": 0.15}
# Share of it that is speech, when speech is on: Whisper base int8 costs about 96 ms of CPU per second of talk
# (benchmarks/speech.py), a video second's clips 110 ms in INT8 and 270 in FP32; videos talk about half the time.
SPEECH_SHARE = {"int8": 0.3, "int8-mixed": 0.25, "bf16": 0.2, "fp32": 0.15}


@dataclass(frozen=True)
class Budget:
    decoders: int
    inference_threads: int | None  # None: OpenVINO uses every core
    speech_threads: int = 0  # the speech process's CTranslate2 threads; 0 when speech is off


def cores() -> int:
    """Cores this process may run on (cgroup and affinity limits included where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def budget(settings: Settings, available: int | None = None, speech: bool = False) -> Budget:
    """index.decoders (0: by the share of decoding work), the speech process's threads, and the cores left to
    inference.

    Below four cores a decoder keeps less than a core busy and speech waits on silence, so inference keeps every
    core, speech takes one thread, and the system shares them; from four cores up, inference gets the cores the
    decoders and speech leave.
    """
    n = available or cores()
    precision = settings.model.precision
    decoders = settings.index.decoders or max(1, round(n * DECODE_SHARE.get(precision, 0.15)))
    heard = (1 if n < 4 else max(1, round(n * SPEECH_SHARE.get(precision, 0.15)))) if speech else 0
    left = n - decoders - heard
    return Budget(decoders, left if n >= 4 and left >= 2 else None, heard)
