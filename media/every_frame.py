"""Every decoded frame through OpenCV's FFmpeg reader (clip.fps 0), as the S3D MIL-NCE notebook reads a video."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2

from vidx.errors import DecodeError

from .frames import DecodeStats, Frame, preprocess
from .opening import video_capture


def every_frame(path: Path, size: int, stats: DecodeStats, delay: float = 0.0) -> Iterator[Frame]:
    """Every decoded frame, preprocessed, timed by the decoder's timestamps; counts frames while decoding."""
    with video_capture(path) as cap:
        if not cap.isOpened():
            raise DecodeError(f"{path}: not a video FFmpeg can open (unknown format or damaged header)")
        container_fps = cap.get(cv2.CAP_PROP_FPS)
        # Only a fallback for streams without timestamps; the container's own figure is never trusted otherwise.
        step = 1.0 / container_fps if 1 <= container_fps <= 240 else 1.0 / 25
        previous = None
        while cap.grab():
            if delay:
                time.sleep(delay)
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if previous is not None:
                if t > previous:
                    step = t - previous
                else:
                    t = previous + step
            previous = t
            stats.frames += 1
            stats.duration = t + step
            ok, bgr = cap.retrieve()
            if not ok or bgr is None:
                continue
            yield Frame(t, t + step, preprocess(bgr, size))
        if stats.frames == 0:
            raise DecodeError(f"{path}: no frame could be decoded (empty, truncated or not a video)")
