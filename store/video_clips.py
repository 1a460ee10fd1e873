"""Clips grouped by their video, read in one statement each: what a top-k of videos and its moments need.

A video has from one clip to thousands of near-identical ones, so the nearest clips to a query are mostly a few
videos' clips. The searcher asks once for a few hundred clips, keeps each video's best (Catalog.nearest_ids gives
each clip's video), and widens only past the videos it has seen (`clip_ids_of`); the moments of the k videos shown
then read their clips in one go (`clips_of`), and those of the videos whose words matched their clips' times too
(`clip_spans_of`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import CLIP_END, Catalog

# SQLite takes at most 32766 parameters a statement.
CHUNK = 30_000


def clip_ids_of(catalog: Catalog, video_ids) -> np.ndarray:
    """Every clip id of the videos `video_ids`, sorted."""
    ids: list[int] = []
    for chunk in _chunks(video_ids):
        marks = ",".join("?" * len(chunk))
        ids += [r[0] for r in catalog.db.execute(f"select id from clips where video_id in ({marks})", chunk)]
    return np.sort(np.array(ids, np.int64))


def clips_of(catalog: Catalog, video_ids) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """The clip ids of each video of `video_ids`, in order (a video without clips is left out), and the checksums
    recorded for their rows (-1 where none), in the order of the ids' arrays put end to end. A moment needs every
    clip's vector, checked, but only its two ends' times (Catalog.clip_rows)."""
    rows: list[tuple[int, int, int]] = []
    for chunk in _chunks(video_ids):
        marks = ",".join("?" * len(chunk))
        query = f"select video_id, id, coalesce(crc, -1) from clips where video_id in ({marks}) order by video_id, idx"
        rows += catalog.db.execute(query, chunk).fetchall()
    if not rows:
        return {}, np.zeros(0, np.int64)
    videos, ids, crcs = np.array(rows, np.int64).T
    cuts = np.flatnonzero(np.diff(videos)) + 1
    return {int(v[0]): i for v, i in zip(np.split(videos, cuts), np.split(ids, cuts), strict=True)}, crcs


@dataclass(frozen=True)
class ClipSpans:
    """One video's clips in order: their ids, starts and ends (as Catalog.clip_rows reads them), and the checksums
    recorded for their rows (-1 where none)."""

    ids: np.ndarray  # int64
    starts: np.ndarray  # float64
    ends: np.ndarray  # float64
    crcs: np.ndarray  # int64


def clip_spans_of(catalog: Catalog, video_ids) -> dict[int, ClipSpans]:
    """The clips of each video of `video_ids`, in order; a video without clips is left out."""
    rows: list[tuple[int, int, float, float, int]] = []
    for chunk in _chunks(video_ids):
        marks = ",".join("?" * len(chunk))
        rows += catalog.db.execute(
            f"select video_id, clips.id, start, {CLIP_END}, coalesce(crc, -1) from clips left join videos"
            f" on videos.id = clips.video_id where video_id in ({marks}) order by video_id, idx",
            chunk,
        ).fetchall()
    spans: dict[int, list[tuple[int, float, float, int]]] = {}
    for video, clip_id, start, end, crc in rows:
        spans.setdefault(video, []).append((clip_id, start, end, crc))
    found = {}
    for video, clips in spans.items():
        ids, starts, ends, crcs = zip(*clips, strict=True)
        found[video] = ClipSpans(np.array(ids, np.int64), np.array(starts), np.array(ends), np.array(crcs, np.int64))
    return found


def _chunks(values) -> list[list[int]]:
    values = [int(v) for v in values]
    return [values[at : at + CHUNK] for at in range(0, len(values), CHUNK)]
