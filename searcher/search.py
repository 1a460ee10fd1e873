"""`vidx query`: text -> vector -> FAISS -> the best moment of each of the top-k videos."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from vidx.config import UsageError, VidxError
from vidx.store import Catalog, vectors

from .filters import Filters


@dataclass(frozen=True)
class Hit:
    rank: int
    path: str
    score: float
    start: float
    end: float
    clip_id: int = 0
    video_id: int = 0

    def as_json(self) -> dict:
        """The --json and /api/search contract: rank, path, score, start, end."""
        return {"rank": self.rank, "path": self.path, "score": self.score, "start": self.start, "end": self.end}


def search_vector(
    catalog: Catalog,
    query: np.ndarray,
    k: int,
    clips: bool = False,
    min_score: float | None = None,
    under: str | None = None,
    exclude: str | None = None,
    filters: Filters | None = None,
) -> list[Hit]:
    """Top-k videos (or clips) for one query vector; a video scores as its best clip; `exclude` is a path.

    Videos that fail `filters` are skipped like those outside `under`: the request widens until k pass.
    """
    index = catalog.load_index(mapped=True)
    if index is None or index.ntotal == 0:
        return []
    prefix = os.path.abspath(under).rstrip("/") + "/" if under else None
    wanted = k
    while True:
        # Ask for more clips than k: several may belong to one video or fall outside --under.
        n = min(index.ntotal, max(wanted * 8, 64))
        scores, ids = vectors.search(index, query[None, :], n)
        rows = catalog.clip_rows([int(i) for i in ids[0] if i >= 0])
        hits: list[Hit] = []
        seen: set[str] = set()
        for score, clip_id in zip(scores[0], ids[0], strict=True):
            row = rows.get(int(clip_id))
            if row is None or (prefix and not row.path.startswith(prefix)) or row.path == exclude:
                continue
            if filters and not filters.accepts(row):
                continue
            if min_score is not None and score < min_score:
                break
            if not clips and row.path in seen:
                continue
            seen.add(row.path)
            hits.append(Hit(len(hits) + 1, row.path, round(float(score), 6), row.start, row.end, row.id, row.video_id))
            if len(hits) == k:
                return hits
        if n >= index.ntotal:
            return hits
        wanted *= 4


def check_query(text: str) -> None:
    if not text.strip():
        raise VidxError('The query is empty: say what you remember seeing, e.g. vidx query "car drifting"')


def search(catalog: Catalog, encoder, text: str, k: int, **options) -> list[Hit]:
    """Embed `text` with the text encoder and return the top-k videos; an empty index gives no hits."""
    check_query(text)
    if k < 1:
        raise UsageError(f"-k must be at least 1, got {k}")
    return search_vector(catalog, encoder.embed([text])[0], k, **options)
