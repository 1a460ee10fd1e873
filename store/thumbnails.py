"""Thumbnail strips of clips, made on first request and cached under the home; they leave with their clips."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from vidx.filenames import video_capture

FRAMES = 4
HEIGHT = 96


def thumb_path(folder: Path, clip_id: int) -> Path:
    return folder / f"{clip_id}.jpg"


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


def cached_strip(folder: Path, clip_id: int, video: str, start: float, end: float) -> bytes | None:
    path = thumb_path(folder, clip_id)
    if path.exists():
        return path.read_bytes()
    data = strip(video, start, end)
    if data is not None:
        try:
            _keep(path, data)
        except OSError as e:
            # A home this user cannot write (a read-only mount, another user's) serves thumbnails uncached.
            if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
    return data


def _keep(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A temporary name of its own per writer: threads of one server make the same thumbnail at once.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def drop(folder: Path, clip_ids: list[int]) -> None:
    for clip_id in clip_ids:
        thumb_path(folder, clip_id).unlink(missing_ok=True)
