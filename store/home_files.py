"""What `vidx doctor` says of the home's disk, beside the catalogue: files left by writes that never finished (a
crash, a full disk), and whether there is room to write at all."""

from __future__ import annotations

from pathlib import Path

from vidx import disk_full
from vidx.config import Home
from vidx.counting import counted

from . import index_build, thumbnails
from .segments import IndexState

# A thumbnail is written in milliseconds, by whichever process asks for it (`vidx serve` holds no lock): a
# temporary one older than this was left behind.
THUMB_GRACE = 60.0


def leftovers(home: Home, state: IndexState) -> list[Path]:
    """Temporary files, and index files the committed `state` does not name."""
    return index_build.leftovers(home.index_dir, state) + thumbnails.unfinished(home.thumbs, THUMB_GRACE)


def described(files: list[Path]) -> str:
    size = disk_full.amount(sum(p.stat().st_size for p in files if p.exists()))
    left = f"{counted(len(files), 'file')} ({size}) left by writes that did not finish"
    return f"{left} (a crash or a full disk), e.g. {files[0]}"


def remove(files: list[Path]) -> str:
    for path in files:
        path.unlink(missing_ok=True)
    return f"deleted {counted(len(files), 'file')} left by writes that did not finish"


def short_of_room(home: Home) -> str | None:
    """Why `vidx index` cannot write to the home's disk, if it cannot."""
    free = disk_full.free_bytes(home.root)
    if free >= disk_full.LOW:
        return None
    free_now = disk_full.amount(free)
    return f"the disk that holds {home.root} is full ({free_now} free): `vidx index` cannot write; free some space"
