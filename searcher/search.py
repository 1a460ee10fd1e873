"""Query vector -> the store's nearest clips -> the best moment of each of the top-k videos."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from vidx.errors import UsageError, VidxError
from vidx.paths import absolute, resolved
from vidx.said import Segment
from vidx.store import Catalog

from .filters import Filters


@dataclass(frozen=True)
class Hit:
    """One result: a video (or, with clips=True, a clip) and the moment that matched."""

    rank: int
    path: str
    score: float
    start: float
    end: float
    clip_id: int = 0
    video_id: int = 0
    duration: float | None = None  # the video's, in seconds (None: not known)
    modified_ns: int = 0  # the file's modification time
    said: Segment | None = None  # the line whose words matched; start and end are then its moment

    def as_json(self) -> dict:
        """The --json and /api/search contract: rank, path, score, start, end, and said when words matched."""
        found = {"rank": self.rank, "path": self.path, "score": self.score, "start": self.start, "end": self.end}
        if self.said is not None:
            line = self.said
            found["said"] = {"text": line.text, "start": line.start, "end": line.end, "source": line.source}
        return found


def search_vector(
    catalog: Catalog,
    query: np.ndarray,
    k: int,
    clips: bool = False,
    min_score: float | None = None,
    under: str | os.PathLike | None = None,
    exclude: str | os.PathLike | None = None,
    filters: Filters | None = None,
) -> list[Hit]:
    """Top-k videos (or clips) for one query vector; a video scores as its best clip.

    `under` keeps videos below that folder; `exclude` leaves out one file, however its path is spelt. Videos that
    fail `filters` are skipped like those outside `under`: the request widens until k pass.
    """
    if k < 1:
        raise UsageError(f"k must be at least 1, got {k}")
    prefix = str(absolute(under)).rstrip("/") + "/" if under else None
    excluded = resolved(exclude) if exclude else None
    wanted = k
    while True:
        # Ask for more clips than k: several may belong to one video or fall outside `under`.
        n = max(wanted * 8, 64)
        neighbours, more = catalog.nearest(query, n)
        hits: list[Hit] = []
        seen: set[str] = set()
        for found in neighbours:
            row = found.clip
            if prefix and not row.path.startswith(prefix) or excluded and resolved(row.file) == excluded:
                continue
            if filters and not filters.accepts(row):
                continue
            if min_score is not None and found.score < min_score:
                break
            if not clips and row.path in seen:
                continue
            seen.add(row.path)
            found_at = (row.start, row.end, row.id, row.video_id, row.duration, row.mtime_ns)
            hits.append(Hit(len(hits) + 1, row.path, round(found.score, 6), *found_at))
            if len(hits) == k:
                return hits
        if not more:
            return hits
        wanted *= 4


def check_query(text: str) -> None:
    if not text.strip():
        raise VidxError('The query is empty: say what you remember seeing, e.g. vidx query "car drifting"')
