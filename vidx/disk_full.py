"""What a write that found no room says, wherever it happened: a full disk, a quota, or a file size limit.

The OS says ENOSPC, EDQUOT or EFBIG. SQLite says "database or disk is full", or, for a write the OS refused
outright, "disk I/O error" without the reason; the free space and the size limit then tell the cases apart.
FAISS's writes reach here as OSErrors (store/ann.py writes its bytes itself). Each becomes one DiskFull line
naming the file and the room it needed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from vidx.errors import DiskFull, VidxError

ROOM_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
# A disk I/O error from SQLite with less than this free is taken for a full disk: a write it failed needed a few
# pages, and a disk with this much left has room for many.
LOW = 1 << 20
SQLITE_IOERR, SQLITE_FULL = 10, 13


def amount(n: int) -> str:
    """Bytes as people read them: 512 bytes, 36 KB, 1.5 MB, 2.1 GB."""
    if n < 1000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1e3:.0f} KB"
    if n < 1_000_000_000:
        return f"{n / 1e6:.1f} MB"
    return f"{n / 1e9:.1f} GB"


def free_bytes(path: Path) -> int:
    """Room this user has left on the file system that holds `path` (or would)."""
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


def size_limit() -> int | None:
    """This process's file size limit (`ulimit -f`), if it has one."""
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def no_room(path: Path, code: int, needed: int | None = None) -> DiskFull:
    """The line for a write of `path` refused with `code` (ENOSPC, EDQUOT or EFBIG); `needed`: its bytes, if known."""
    if code == errno.EFBIG:
        limit = size_limit()
        if limit is None:
            reason = "the file would be larger than its file system allows"
            return DiskFull(f"Cannot write {path}: {reason}", reason)
        reason = f"it would pass this process's file size limit of {amount(limit)} (ulimit -f)"
        return DiskFull(f"Cannot write {path}: {reason}; raise the limit and try again", reason)
    free = amount(free_bytes(path))
    if needed:
        return DiskFull(
            f"The disk is full: writing {path} needs {amount(needed)}, and {free} are free; free some space and "
            "try again",
            f"the disk is full: {amount(needed)} needed, {free} free",
        )
    return DiskFull(
        f"The disk is full: cannot write {path} ({free} free); free some space and try again",
        f"the disk is full, {free} free",
    )


def from_os(e: OSError, path: Path, needed: int | None = None) -> DiskFull | None:
    return no_room(path, e.errno, needed) if e.errno in ROOM_ERRNOS else None


def from_sqlite(e: sqlite3.Error, path: Path) -> VidxError | None:
    """The line for SQLite's write error on the database at `path`, or None for an error that is not about the disk."""
    primary = getattr(e, "sqlite_errorcode", 0) & 0xFF
    if primary not in (SQLITE_FULL, SQLITE_IOERR):
        return None
    if free_bytes(path) < LOW:
        return no_room(path, errno.ENOSPC)
    if size_limit() is not None:
        return no_room(path, errno.EFBIG)
    if primary == SQLITE_FULL:
        return no_room(path, errno.ENOSPC)
    return VidxError(f"Cannot write {path}: {e}, with {amount(free_bytes(path))} free; check the disk (dmesg)")


@contextlib.contextmanager
def writing(path: Path, needed: int | None = None) -> Iterator[None]:
    """Writes to `path` whose failure for want of room is said in one line; other errors pass as they are."""
    try:
        yield
    except OSError as e:
        full = from_os(e, path, needed)
        if full is None:
            raise
        raise full from None


@contextlib.contextmanager
def sqlite_writes(path: Path) -> Iterator[None]:
    """Statements that write the database at `path`: its disk errors in one line, each."""
    try:
        yield
    except sqlite3.Error as e:
        said = from_sqlite(e, path)
        if said is None:
            raise
        raise said from None
