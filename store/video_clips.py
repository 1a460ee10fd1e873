"""Clips grouped by their video, read in one statement each: what a top-k of videos and its moments need.

A video has from one clip to thousands of near-identical ones, so the nearest clips to a query are mostly a few
videos' clips. The searcher asks once for a few hundred clips, keeps each video's best (`videos_of`), and widens
only past the videos it has seen (`clip_ids_of`); the moments of the k videos shown then read their clips in one go
(`clips_of`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import CLIP_END, Catalog

# SQLite takes at most 32766 parameters a statement.
CHUNK = 30_000


@dataclass(frozen=True)
class VideoClips:
    """One video's clips in order: their ids and times."""

    ids: np.ndarray  # int64
    starts: np.ndarray  # float64
    ends: np.ndarray  # float64


def videos_of(catalog: Catalog, clip_ids: np.ndarray) -> np.ndarray:
    """The video id of each clip of `clip_ids`, in the order given; -1 for a clip that no longer exists."""
    found: dict[int, int] = {}
    for chunk in _chunks(clip_ids):
        marks = ",".join("?" * len(chunk))
        found.update(catalog.db.execute(f"select id, video_id from clips where id in ({marks})", chunk))
    return np.array([found.get(int(i), -1) for i in clip_ids], np.int64)


def clip_ids_of(catalog: Catalog, video_ids) -> np.ndarray:
    """Every clip id of the videos `video_ids`, sorted."""
    ids: list[int] = []
    for chunk in _chunks(video_ids):
        marks = ",".join("?" * len(chunk))
        ids += [r[0] for r in catalog.db.execute(f"select id from clips where video_id in ({marks})", chunk)]
    return np.sort(np.array(ids, np.int64))


def clips_of(catalog: Catalog, video_ids) -> dict[int, VideoClips]:
    """The clips of each video of `video_ids`, in order; a video without clips is left out."""
    rows: list[tuple[int, int, float, float]] = []
    for chunk in _chunks(video_ids):
        marks = ",".join("?" * len(chunk))
        query = (
            f"select clips.video_id, clips.id, clips.start, {CLIP_END} from clips join videos on videos.id = "
            f"clips.video_id where clips.video_id in ({marks}) order by clips.video_id, clips.idx"
        )
        rows += catalog.db.execute(query, chunk).fetchall()
    if not rows:
        return {}
    videos, ids, starts, ends = (np.array(column) for column in zip(*rows, strict=True))
    cuts = np.flatnonzero(np.diff(videos)) + 1
    return {
        int(v[0]): VideoClips(i.astype(np.int64), s.astype(np.float64), e.astype(np.float64))
        for v, i, s, e in zip(*(np.split(a, cuts) for a in (videos, ids, starts, ends)), strict=True)
    }


def _chunks(values) -> list[list[int]]:
    values = [int(v) for v in values]
    return [values[at : at + CHUNK] for at in range(0, len(values), CHUNK)]
