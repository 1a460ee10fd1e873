"""How many decoding processes and inference threads an indexing run uses, so they share the cores without
fighting over them."""

from __future__ import annotations

import os
from dataclasses import dataclass

from vidx.config import Settings

# Share of the CPU work that is decoding, per model precision: a 720p30 H.264 clip (96 frames, 32 sampled)
# costs about 70 ms of one core to decode; inference costs about 100 ms of CPU in INT8, 370 in FP32 and 200 in
# bf16 (BENCHMARKS.md).
DECODE_SHARE = {"int8": 0.4, "bf16": 0.25, "fp32": 0.15}


@dataclass(frozen=True)
class Budget:
    decoders: int
    inference_threads: int | None  # None: OpenVINO uses every core


def cores() -> int:
    """Cores this process may run on (cgroup and affinity limits included where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def budget(settings: Settings, available: int | None = None) -> Budget:
    """index.decoders (0: by the share of decoding work), and the cores left to inference.

    Below four cores a decoder keeps less than a core busy, so inference keeps every core and the system
    shares them; from four cores up, inference gets the cores the decoders leave.
    """
    n = available or cores()
    decoders = settings.index.decoders or max(1, round(n * DECODE_SHARE.get(settings.model.precision, 0.15)))
    return Budget(decoders, n - decoders if n >= 4 and n - decoders >= 2 else None)
