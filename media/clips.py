"""Decoded frames -> the model's 32-frame clips, cut as the S3D MIL-NCE notebook cuts them."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from .frames import Frame


@dataclass(frozen=True)
class Clip:
    """One model input and the seconds of video it spans; frames stay uint8 until the model scales them
    (vidx.model.pixels)."""

    number: int  # its place in the video, from 0
    start: float
    end: float
    frames: np.ndarray  # uint8 RGB [frames, size, size, 3]


def cut_clips(frames: Iterable[Frame], length: int, stride: float, max_clips: int = 0) -> Iterator[Clip]:
    """Group sampled frames into clips of `length`.

    stride 0 puts clips side by side; otherwise a clip starts at the first frame `stride` seconds after the
    previous start. A tail that fills no clip ends in a last clip of the final `length` frames; a video shorter
    than one clip is looped to `length` frames, as the notebook does (each frame repeated in place).
    """
    window: deque[Frame] = deque(maxlen=length)
    starts: deque[int] = deque()
    next_start = 0.0
    emitted = 0
    last_emitted_end = -1
    count = 0
    for i, frame in enumerate(frames):
        count = i + 1
        if stride <= 0 and i % length == 0 or stride > 0 and frame.time >= next_start - 1e-6:
            starts.append(i)
            next_start = frame.time + stride
        window.append(frame)
        if starts and i - starts[0] + 1 == length:
            starts.popleft()
            yield _make(emitted, list(window))
            emitted += 1
            last_emitted_end = i
            if max_clips and emitted >= max_clips:
                return
    if count == 0:
        return
    if emitted == 0:
        repeat = -(-length // len(window))
        looped = [f for f in window for _ in range(repeat)][:length]
        yield Clip(0, round(window[0].time, 3), round(window[-1].end, 3), np.stack([f.pixels for f in looped]))
    elif starts and last_emitted_end < count - 1:
        yield _make(emitted, list(window))


def _make(index: int, frames: list[Frame]) -> Clip:
    return Clip(index, round(frames[0].time, 3), round(frames[-1].end, 3), np.stack([f.pixels for f in frames]))
