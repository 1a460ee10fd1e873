"""File names as vidx stores and shows them, and as FFmpeg opens them, whatever bytes they hold.

Python spells a file name that is not UTF-8 (an old archive, a Samba share) with surrogate escapes; SQLite, JSON
and terminals take none. vidx shows such a name with \\xNN escapes and keeps its exact bytes beside it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


def printable(text: str) -> str:
    """`text` with each byte that is not UTF-8 shown as \\xNN; other text is returned as it is."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def raw_bytes(path: str) -> bytes | None:
    """The exact bytes of a name that `printable` changes, else None."""
    return os.fsencode(path) if printable(path) != path else None


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
