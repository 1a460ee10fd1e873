"""Decoded frames as the model's clips take them: what both readers (every_frame.py, sampled.py) yield and count."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Frame:
    time: float
    end: float
    pixels: np.ndarray  # uint8 RGB, size x size


@dataclass
class DecodeStats:
    """What decoding saw; filled in as frames are read, final once the iterator is exhausted."""

    frames: int = 0
    duration: float = 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.duration if self.duration > 0 else 0.0


def crop_center_square(frame: np.ndarray) -> np.ndarray:
    y, x = frame.shape[0:2]
    side = min(y, x)
    start_x = (x // 2) - (side // 2)
    start_y = (y // 2) - (side // 2)
    return frame[start_y : start_y + side, start_x : start_x + side]


def preprocess(bgr: np.ndarray, size: int) -> np.ndarray:
    """Centre square crop, cv2.resize with its default interpolation, BGR -> RGB, as the S3D MIL-NCE notebook
    does; stays uint8, contiguous (a clip stacks 32 of them)."""
    return cv2.cvtColor(cv2.resize(crop_center_square(bgr), (size, size)), cv2.COLOR_BGR2RGB)
