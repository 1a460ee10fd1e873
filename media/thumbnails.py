"""Thumbnail strips: a few frames of a clip side by side, as one JPEG."""

from __future__ import annotations

import cv2
import numpy as np

from .opening import video_capture

FRAMES = 4
HEIGHT = 96


def strip(video: str, start: float, end: float, frames: int = FRAMES, height: int = HEIGHT) -> bytes | None:
    """A JPEG of `frames` frames spread over [start, end), side by side; None if the video will not decode."""
    pictures = []
    with video_capture(video) as cap:
        if not cap.isOpened():
            return None
        for t in np.linspace(start, end, frames, endpoint=False):
            cap.set(cv2.CAP_PROP_POS_MSEC, float(t) * 1000)
            ok, frame = cap.read()
            if not ok:
                break
            width = max(1, round(frame.shape[1] * height / frame.shape[0]))
            pictures.append(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA))
    if not pictures:
        return None
    ok, jpeg = cv2.imencode(".jpg", np.hstack(pictures), [cv2.IMWRITE_JPEG_QUALITY, 80])
    return jpeg.tobytes() if ok else None
