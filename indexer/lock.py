"""One indexer at a time per home: an fcntl lock whose file says who holds it."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import time
from collections.abc import Iterator

from vidx import disk_full
from vidx.config import Home
from vidx.errors import LockHeld


@contextlib.contextmanager
def index_lock(home: Home, wait: float = 0.0) -> Iterator[None]:
    """Hold the home's index lock for the block; waits up to `wait` seconds for another holder to finish."""
    home.ensure()
    path = home.root / "index.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
                    waited = f" and still was after {wait:g} s" if wait > 0 else ""
                    raise LockHeld(
                        f"Another `vidx index` is running on {home.root} ({holder}){waited}; let it finish"
                    ) from None
                time.sleep(0.2)
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        with disk_full.writing(path):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, started {started}".encode(), 0)
        yield
    finally:
        os.close(fd)


def index_busy(home: Home) -> bool:
    """Whether a `vidx index` holds the home's lock now."""
    path = home.root / "index.lock"
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
