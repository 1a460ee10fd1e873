"""The cache of thumbnail strips under the home: kept on first request, they leave with their clips."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def thumb_path(folder: Path, clip_id: int) -> Path:
    return folder / f"{clip_id}.jpg"


def cached_strip(folder: Path, clip_id: int, make: Callable[[], bytes | None]) -> bytes | None:
    """The clip's strip from the cache, else what `make` gives (vidx.media draws it; the store decodes nothing)."""
    path = thumb_path(folder, clip_id)
    if path.exists():
        return path.read_bytes()
    data = make()
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
