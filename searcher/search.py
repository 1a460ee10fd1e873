"""Query vector -> the store's nearest clips -> the best moment of each of the top-k videos."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from vidx.errors import NotIndexed, UsageError, VidxError
from vidx.paths import absolute, resolved
from vidx.said import Segment
from vidx.store import Catalog, ClipRow

from .filters import Filters
from .said_side import SaidMatch


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
    copies: tuple[str, ...] = ()  # the other paths holding the same bytes, which take no result of their own
    said: Segment | None = None  # the line whose words matched; start and end are then its moment

    def as_json(self) -> dict:
        """The --json and /api/search contract: rank, path, score, start, end; copies when there are any, and said
        when words matched."""
        found = {"rank": self.rank, "path": self.path, "score": self.score, "start": self.start, "end": self.end}
        if self.copies:
            found["copies"] = list(self.copies)
        if self.said is not None:
            line = self.said
            found["said"] = {"text": line.text, "start": line.start, "end": line.end, "source": line.source}
        return found


class Hits(list[Hit]):
    """Hits, best first, and how many indexed files were left out of them because they are gone from the disk
    (deleted or moved since the last index run)."""

    def __init__(self, hits: Iterable[Hit] = (), deleted: int = 0, gone: frozenset[int] = frozenset()):
        super().__init__(hits)
        self.deleted = deleted
        self.gone = gone  # those files' video ids, when known: a search of both sides counts each once


def search_vector(
    catalog: Catalog,
    query: np.ndarray,
    k: int,
    clips: bool = False,
    min_score: float | None = None,
    under: str | os.PathLike | None = None,
    exclude: str | os.PathLike | None = None,
    filters: Filters | None = None,
    exclude_content: str | None = None,
) -> Hits:
    """Top-k videos (or clips) for one query vector; a video scores as its best clip.

    `under` keeps videos below that folder; `exclude` leaves out one file, however its path is spelt, and
    `exclude_content` every file of that content hash. Videos that fail `filters` are skipped like those outside
    `under`: the request widens until k pass. Exact copies (one content hash) take one result, the first path found,
    with the others as its `copies`; `k` counts distinct content. A file no longer on disk is never a hit.
    """
    if k < 1:
        raise UsageError(f"k must be at least 1, got {k}")
    if under:
        check_under(absolute(under), catalog.roots())
    wanted = Wanted(absolute(under) if under else None, resolved(exclude) if exclude else None, filters)
    asked = k
    while True:
        # Ask for more clips than k: several may belong to one video or fall outside `under`.
        n = max(asked * 8, 64)
        neighbours, more = catalog.nearest(query, n)
        hits: list[Hit] = []
        seen: set[object] = {exclude_content} if exclude_content else set()
        gone: set[int] = set()
        for found in neighbours:
            row = found.clip
            if not wanted.accepts(row):
                continue
            if min_score is not None and found.score < min_score:
                break
            content = row.hash or row.path
            key = (content, row.start, row.end) if clips else content
            if key in seen:
                continue
            if row.video_id in gone or not os.path.exists(row.file):
                gone.add(row.video_id)
                continue
            seen.add(key)
            copies = copies_of(catalog, row, wanted, gone)
            score = round(found.score, 6)
            hits.append(
                Hit(
                    len(hits) + 1,
                    row.path,
                    score,
                    row.start,
                    row.end,
                    row.id,
                    row.video_id,
                    row.duration,
                    row.mtime_ns,
                    copies,
                )
            )
            if len(hits) == k:
                return Hits(hits, len(gone), frozenset(gone))
        if not more:
            return Hits(hits, len(gone), frozenset(gone))
        asked *= 4


@dataclass(frozen=True)
class Wanted:
    """Which videos a search may show: under a folder, not one file, passing the filters."""

    under: Path | None
    excluded: Path | None
    filters: Filters | None

    def accepts(self, row: ClipRow | SaidMatch) -> bool:
        if self.under and not row.path.startswith(str(self.under).rstrip("/") + "/"):
            return False
        if self.excluded and resolved(row.file) == self.excluded:
            return False
        return not self.filters or self.filters.accepts(row)


def copies_of(catalog: Catalog, row: ClipRow | SaidMatch, wanted: Wanted, gone: set[int]) -> tuple[str, ...]:
    """The other paths of the hit's content (a clip's video, or a said line's) that the search would show, in path
    order; those no longer on disk are added to `gone`."""
    if not row.hash:
        return ()
    found = []
    for video in catalog.videos_with_hash(row.hash):
        twin = replace(row, path=video.path, raw_path=video.raw_path, video_id=video.id, mtime_ns=video.mtime_ns)
        if video.id == row.video_id or not wanted.accepts(twin):
            continue
        if os.path.exists(twin.file):
            found.append(video.path)
        else:
            gone.add(video.id)
    return tuple(sorted(found))


def check_under(folder: Path, roots: list[str]) -> None:
    """A folder to search under must lie in an indexed folder, or hold one: else no video can ever match."""
    if not any(folder.is_relative_to(root) or Path(root).is_relative_to(folder) for root in roots):
        raise NotIndexed(f"{folder} is not under any indexed folder")


def check_query(text: str) -> None:
    if not text.strip():
        raise VidxError('The query is empty: say what you remember seeing, e.g. "car drifting"')
