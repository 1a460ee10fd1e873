"""Opening a video through FFmpeg whatever bytes its name holds, quietly, on as many threads as the process wants."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import cache

from vidx.filenames import raw_bytes

# OpenCV's open parameters for every capture; a decoding process that shares the machine with others asks for one
# FFmpeg thread (single_threaded).
_CAPTURE_PARAMS: list[int] = []


def single_threaded() -> None:
    """Decode and resize on one thread in this process: vidx runs decoders side by side instead."""
    import cv2

    cv2.setNumThreads(1)
    _CAPTURE_PARAMS[:] = [cv2.CAP_PROP_N_THREADS, 1]


@contextlib.contextmanager
def openable(path: str | os.PathLike) -> Iterator[str]:
    """A name FFmpeg can open: the path itself, or /proc/self/fd/N for one that is not UTF-8."""
    name = os.fspath(path)
    if raw_bytes(name) is None:
        yield name
        return
    fd = os.open(name, os.O_RDONLY)
    try:
        yield f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)


@contextlib.contextmanager
def video_capture(path: str | os.PathLike):
    """An OpenCV capture of `path` through FFmpeg, whatever bytes its name holds, quiet, released on leaving.

    A file that will not open is vidx's one line, not OpenCV's warning and FFmpeg's log on the terminal.
    """
    import cv2

    _quiet(cv2)
    with openable(path) as name:
        capture = cv2.VideoCapture(name, cv2.CAP_FFMPEG, _CAPTURE_PARAMS)
        try:
            yield capture
        finally:
            capture.release()


@cache
def _quiet(cv2) -> None:
    # OpenCV reads OPENCV_FFMPEG_LOGLEVEL when it first starts FFmpeg, so this must run before any capture;
    # a user who set either variable (to debug a file) keeps what they asked for.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    if "OPENCV_LOG_LEVEL" not in os.environ:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
