"""Helpers for the Ray engine's tests: the index as rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from vidx.config import Home
from vidx.store import Catalog


def index_rows(home: Path) -> tuple[dict, dict]:
    """Every video row and every clip of a home, keyed by path and by (path, clip index)."""
    with sqlite3.connect(home / "vidx.db") as db:
        videos = {
            r[0]: r[1:]
            for r in db.execute("select path, status, error, hash, duration, fps, frames, size, mtime_ns from videos")
        }
        rows = list(
            db.execute("select v.path, c.idx, c.start, c.end, c.id from clips c join videos v on v.id = c.video_id")
        )
        doubled = db.execute("select count(*) - count(distinct path) from videos").fetchone()[0]
    assert doubled == 0, "a video committed twice"
    # The vectors live in the store's float16 rows, read through the catalogue.
    catalog = Catalog(Home(home))
    try:
        vectors = catalog.vectors([r[4] for r in rows]) if rows else np.zeros((0, 0), np.float32)
    finally:
        catalog.close()
    clips = {(r[0], r[1]): (r[2], r[3], np.asarray(v, np.float32)) for r, v in zip(rows, vectors, strict=True)}
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
