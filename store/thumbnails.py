"""The cache of thumbnail strips under the home: kept on first request, they leave with their clips."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from vidx import disk_full


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
            # A home this user cannot write (a read-only mount, another user's), or a full disk, serves thumbnails
            # uncached.
            if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS, *disk_full.ROOM_ERRNOS):
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


def unfinished(folder: Path, older_than: float) -> list[Path]:
    """Temporary strips left by a process that died writing them; a younger one may be being written now (`vidx
    serve` makes them without the index lock)."""
    found = []
    for path in folder.glob(".*.jpg.*"):
        with contextlib.suppress(FileNotFoundError):  # its writer renamed it meanwhile
            if time.time() - path.stat().st_mtime > older_than:
                found.append(path)
    return sorted(found)


def drop(folder: Path, clip_ids: list[int]) -> None:
    for clip_id in clip_ids:
        thumb_path(folder, clip_id).unlink(missing_ok=True)
