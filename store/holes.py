"""Give the space of byte ranges of a file back to the file system; the file keeps its size and its other bytes.

On Linux the ranges become holes (fallocate's FALLOC_FL_PUNCH_HOLE): nothing is written, and the whole blocks
inside each range read as zeros afterwards. Where holes cannot be punched (another system, a file system without
them) the file is copied without the ranges, which leaves them as holes of a sparse file, and renamed into place:
the rest of the file is written once.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

from vidx import disk_full

PUNCH_HOLE_KEEP_SIZE = 0x02 | 0x01  # FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, from <linux/falloc.h>
UNSUPPORTED = {errno.EOPNOTSUPP, errno.ENOSYS}
COPY_BLOCK = 1 << 24


@cache
def _fallocate() -> Callable[..., int] | None:
    try:
        call = ctypes.CDLL(None, use_errno=True).fallocate
    except (OSError, AttributeError):  # not a Linux C library
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    return call


def give_back(path: Path, ranges: list[tuple[int, int]]) -> None:
    """Free the space of the [start, end) byte ranges of `path` (sorted, apart), durably once the caller syncs
    the folder (a copy is renamed into place)."""
    with disk_full.writing(path):
        if not _punch(path, ranges):
            copy_without(path, ranges)


def _punch(path: Path, ranges: list[tuple[int, int]]) -> bool:
    """Punch out the whole blocks inside each range; False when this system or file system cannot."""
    fallocate = _fallocate()
    if fallocate is None:
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        block = os.fstat(fd).st_blksize
        for start, end in ranges:
            # Only whole blocks: punching part of one would write zeros into it.
            first, last = -(-start // block) * block, end // block * block
            if last > first and fallocate(fd, PUNCH_HOLE_KEEP_SIZE, first, last - first):
                code = ctypes.get_errno()
                if code in UNSUPPORTED:
                    return False
                raise OSError(code, os.strerror(code), str(path))
        os.fsync(fd)
        return True
    finally:
        os.close(fd)


def copy_without(path: Path, ranges: list[tuple[int, int]]) -> None:
    """Write `path` again, skipping the ranges (left as holes), and rename the copy into place."""
    tmp = path.with_name(path.name + ".sparse")
    size = path.stat().st_size
    keep, at = [], 0
    for start, end in ranges:
        keep.append((at, start))
        at = end
    keep.append((at, size))
    try:
        with open(path, "rb") as source, open(tmp, "wb") as copy:
            for start, end in keep:
                source.seek(start)
                copy.seek(start)
                while start < end:
                    data = source.read(min(COPY_BLOCK, end - start))
                    copy.write(data)
                    start += len(data)
            copy.truncate(size)
            copy.flush()
            os.fsync(copy.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)  # the file stays as it was, its rows' space not given back yet
        raise
    os.replace(tmp, path)
