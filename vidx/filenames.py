"""File names as vidx stores and shows them, and as FFmpeg opens them, whatever bytes they hold.

Python spells a file name that is not UTF-8 (an old archive, a Samba share) with surrogate escapes; SQLite, JSON
and terminals take none. vidx shows such a name with \\xNN escapes and keeps its exact bytes beside it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import cache


def printable(text: str) -> str:
    """`text` with each byte that is not UTF-8 shown as \\xNN; other text is returned as it is."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def raw_bytes(path: str) -> bytes | None:
    """The exact bytes of a name that `printable` changes, else None."""
    return os.fsencode(path) if printable(path) != path else None


def on_disk(shown: str, raw: bytes | None) -> str:
    """The name to open a stored file by: its exact bytes when the shown name had to escape them."""
    return os.fsdecode(raw) if raw else shown


@contextlib.contextmanager
def openable(path: str | os.PathLike) -> Iterator[str]:
    """A name OpenCV's FFmpeg can open: the path itself, or /proc/self/fd/N for one that is not UTF-8."""
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
def video_capture(path: str | os.PathLike, params: list[int] | None = None):
    """An OpenCV capture of `path` through FFmpeg, whatever bytes its name holds, quiet, released on leaving;
    `params` are OpenCV's open parameters (cv2.CAP_PROP_*, value pairs).

    A file that will not open is vidx's one line, not OpenCV's warning and FFmpeg's log on the terminal.
    """
    import cv2

    _quiet(cv2)
    with openable(path) as name:
        capture = cv2.VideoCapture(name, cv2.CAP_FFMPEG, params or [])
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
