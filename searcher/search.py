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
from vidx.store.video_clips import clip_ids_of

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


# Clips asked for at once for a top-k of videos, per video wanted: a video is a run of similar clips (a hundred
# near-identical ones are common), so 200 clips hold some twenty videos (BENCHMARKS.md, the index at scale).
VIDEO_CANDIDATES = 20


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
    first: int | None = None,
) -> Hits:
    """Top-k videos (or clips) for one query vector; a video scores as its best clip.

    `under` keeps videos below that folder; `exclude` leaves out one file, however its path is spelt, and
    `exclude_content` every file of that content hash. Videos that fail `filters` are skipped like those outside
    `under`: the request widens until k pass. Exact copies (one content hash) take one result, the first path found,
    with the others as its `copies`; `k` counts distinct content. A file no longer on disk is never a hit.
    `first` is how many clips the first request for videos asks (default: `clips_asked(k)`).
    """
    if k < 1:
        raise UsageError(f"k must be at least 1, got {k}")
    if under:
        check_under(absolute(under), catalog.roots())
    wanted = Wanted(absolute(under) if under else None, resolved(exclude) if exclude else None, filters)

    def found() -> _Found:
        return _Found(catalog, k, clips, min_score, wanted, exclude_content)

    if not clips:
        return _top_videos(catalog, query, found(), first or clips_asked(k))
    asked = k
    while True:
        # Ask for more clips than k: several may fall outside `under`.
        neighbours, more = catalog.nearest(query, max(asked * 8, 64))
        hits = found()
        if any(hits.take(n.score, n.clip) for n in neighbours) or not more:
            return hits.result()
        asked *= 4


def clips_asked(k: int) -> int:
    """The clips a first request for k videos asks: enough to hold k videos unless a few long ones crowd the top."""
    return max(k * VIDEO_CANDIDATES, 200)


def _top_videos(catalog: Catalog, query: np.ndarray, hits: _Found, n: int) -> Hits:
    """Each video's best clip among the `n` nearest, in order. When those hold fewer than k videos to show, the next
    request leaves out every clip of the videos seen, so it only finds new ones, and asks for four times more: from the
    exact index, the videos found, and their order, are those one request large enough would find."""
    seen: set[int] = set()
    skip = np.zeros(0, np.int64)
    while True:
        scores, ids, videos, more = catalog.nearest_ids(query, n, skip)
        _, first = np.unique(videos, return_index=True)
        best = [i for i in np.sort(first) if videos[i] >= 0 and int(videos[i]) not in seen]
        # Rows are read a few at a time: a query unlike any video has as many videos as clips among the nearest.
        for at in range(0, len(best), 2 * hits.k):
            rows = catalog.clip_rows([int(ids[i]) for i in best[at : at + 2 * hits.k]])
            hits.unshared |= catalog.unshared_hashes({row.hash for row in rows.values() if row.hash})
            for i in best[at : at + 2 * hits.k]:
                seen.add(int(videos[i]))
                row = rows.get(int(ids[i]))
                if row is not None and hits.take(float(scores[i]), row):
                    return hits.result()
        if not more:
            return hits.result()
        skip = clip_ids_of(catalog, seen)
        n *= 4


class _Found:
    """The hits of a search as its candidates come in, best first."""

    def __init__(
        self, catalog: Catalog, k: int, clips: bool, min_score: float | None, wanted: Wanted, content: str | None
    ):
        self.catalog, self.k, self.clips, self.min_score, self.wanted = catalog, k, clips, min_score, wanted
        self.hits: list[Hit] = []
        self.seen: set[object] = {content} if content else set()
        self.gone: set[int] = set()
        # Content hashes only one indexed video has: their hits have no copies to look for, one query each.
        self.unshared: set[str] = set()

    def take(self, score: float, row: ClipRow) -> bool:
        """Consider the next candidate; True once the search is over (k hits, or scores below `min_score`)."""
        if not self.wanted.accepts(row):
            return False
        if self.min_score is not None and score < self.min_score:
            return True
        content = row.hash or row.path
        key = (content, row.start, row.end) if self.clips else content
        if key in self.seen:
            return False
        if row.video_id in self.gone or not os.path.exists(row.file):
            self.gone.add(row.video_id)
            return False
        self.seen.add(key)
        copies = () if row.hash in self.unshared else copies_of(self.catalog, row, self.wanted, self.gone)
        found_at = (row.start, row.end, row.id, row.video_id, row.duration, row.mtime_ns, copies)
        self.hits.append(Hit(len(self.hits) + 1, row.path, round(score, 6), *found_at))
        return len(self.hits) == self.k

    def result(self) -> Hits:
        return Hits(self.hits, len(self.gone), frozenset(self.gone))


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
