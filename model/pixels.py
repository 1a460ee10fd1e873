"""The video model's input: clips travel as uint8 RGB and become float32 in [0, 1] only at the model."""

from __future__ import annotations

import numpy as np


def scale(frames: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """uint8 -> float32 in [0, 1], into `out` when given. Dividing in float32 gives, for each of the 256 values,
    the notebook's `frames / 255.0` in float64 then cast (tests/test_decode_speed_rules.py), at a fifth of a
    lookup's cost."""
    return np.divide(frames, np.float32(255), out=out, dtype=np.float32)
