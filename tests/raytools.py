"""Helpers for the Ray engine's tests: a mark on every process a test's Ray starts, and the index as rows."""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from pathlib import Path

import numpy as np

MARK = "VIDX_TEST_RAY_MARK"


def new_mark() -> str:
    """A value for MARK: put in the environment of the process that starts Ray, every Ray process inherits it."""
    return uuid.uuid4().hex


def marked_processes(mark: str) -> list[str]:
    """`pid command` of each live process (this one aside) carrying `mark`, as ps would list them."""
    found = []
    needle = f"{MARK}={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{entry.name} {command[:120]}")
        except OSError:
            continue  # ended while we looked
    return found


def wait_until_gone(mark: str, seconds: float = 60) -> list[str]:
    """The marked processes still alive after `seconds` (none, when all went)."""
    deadline = time.monotonic() + seconds
    while (left := marked_processes(mark)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def index_rows(home: Path) -> tuple[dict, dict]:
    """Every video row and every clip of a home, keyed by path and by (path, clip index)."""
    with sqlite3.connect(home / "vidx.db") as db:
        videos = {
            r[0]: r[1:]
            for r in db.execute("select path, status, error, hash, duration, fps, frames, size, mtime_ns from videos")
        }
        clips = {
            (r[0], r[1]): (r[2], r[3], np.frombuffer(r[4], np.float32))
            for r in db.execute(
                "select v.path, c.idx, c.start, c.end, c.vector from clips c join videos v on v.id = c.video_id"
            )
        }
        doubled = db.execute("select count(*) - count(distinct path) from videos").fetchone()[0]
    assert doubled == 0, "a video committed twice"
    return videos, clips


def assert_same_index(home_a: Path, home_b: Path) -> int:
    """Same videos (status, error, hash, duration, fps, frames), same clips, vectors at cosine >= 0.9999."""
    videos_a, clips_a = index_rows(home_a)
    videos_b, clips_b = index_rows(home_b)
    assert videos_a == videos_b
    assert {k: v[:2] for k, v in clips_a.items()} == {k: v[:2] for k, v in clips_b.items()}
    for key, (_, _, a) in clips_a.items():
        b = clips_b[key][2]
        cosine = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        assert cosine >= 0.9999, (key, cosine)
    return len(clips_a)
