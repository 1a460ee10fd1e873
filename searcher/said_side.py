"""The words side of a search: the videos whose lines (subtitles, speech) match the query, best line first.

FTS5 ranks the matching lines by bm25, which costs about a microsecond a line (it reads each line's length), so
a common word's thousands of lines cost milliseconds: that ranking (`best_lines`) runs beside the pictures' search
and the query's embedding (modes.py), and keeps only the best lines (SQLite's sorter with a LIMIT), enough
for most searches; only when their videos fall short (filters, many lines to a video) are the others read. The
best lines are then read with their videos in small batches, growing, until enough videos have been found:
joining every match to its row and video first would cost three times as much on a common word.

As on the pictures' side, exact copies (one content hash) take one match, the path whose line ranks best, and a
file gone from the disk is never one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from vidx.filenames import on_disk
from vidx.said import Segment

from .filters import Filters
from .said_query import fts_query

# Lines ranked at first per video wanted. A search of 20 videos ranks 320 lines, which hold 20 videos unless the
# best lines crowd into a few videos (a word said in every line of some) or filters leave most out.
LINES_PER_VIDEO = 16
BATCH = 500  # lines read with their videos at most at a time; the first batch is two a video wanted
_ANY = "select 1 from said_fts where said_fts match ? limit 1"
_RANKED = "select rowid from said_fts where said_fts match ? order by rank, rowid limit ? offset ?"
_LINES = """
    select s.id, s.video_id, v.path, v.raw_path, v.mtime_ns, v.duration, s.start, s.end, s.text, s.source, v.hash
    from said s join videos v on v.id = s.video_id
    where v.status = 'ok' and s.id in ({marks}) and exists (select 1 from clips c where c.video_id = v.id)
"""


@dataclass(frozen=True)
class SaidMatch:
    """A video and its line that best matches the query."""

    video_id: int
    path: str  # as shown
    raw_path: bytes | None
    mtime_ns: int
    duration: float | None
    line: Segment
    hash: str | None = None  # the content's: copies of it are one match

    @property
    def file(self) -> str:
        return on_disk(self.path, self.raw_path)


def anything_said(db, text: str) -> bool:
    """Whether any line matches `text`'s words (cheap: the first match ends the search)."""
    query = fts_query(text)
    return query is not None and db.execute(_ANY, [query]).fetchone() is not None


def said_matches(
    db,
    text: str,
    limit: int,
    prefix: str | None = None,
    filters: Filters | None = None,
    gone: set[int] | None = None,
    ranked: list[int] | None = None,
) -> list[SaidMatch] | None:
    """Up to `limit` contents whose words match `text`, best first (each by its best line), under `prefix` (a folder
    ending in /) and passing `filters`; None when the query has no word to search (stop words only), so the words
    side has no say. Videos whose file is gone from the disk are added to `gone`. `ranked`: what
    `best_lines(db, text, limit)` gave, when it ran already."""
    query = fts_query(text)
    if query is None:
        return None
    found: dict[str, SaidMatch] = {}
    seen: set[int] = set()  # videos whose best line was taken, or that cannot be shown
    for batch in _best_lines(db, query, limit, ranked):
        rows = {r[0]: r[1:] for r in db.execute(_LINES.format(marks=",".join("?" * len(batch))), batch)}
        for line_id in batch:
            if line_id not in rows or rows[line_id][0] in seen:
                continue  # a line of a video with no clip to show, or that failed since; or not the video's best
            video_id, path, raw, mtime_ns, duration, start, end, words, source, digest = rows[line_id]
            seen.add(video_id)
            match = SaidMatch(video_id, path, raw, mtime_ns, duration, Segment(start, end, words, source), digest)
            if prefix and not path.startswith(prefix) or filters and not filters.accepts(match):
                continue
            if (digest or path) in found:
                continue  # a copy of a content already matched: listed under it
            if not os.path.exists(match.file):
                if gone is not None:
                    gone.add(video_id)
                continue
            found[digest or path] = match
            if len(found) == limit:
                return list(found.values())
    return list(found.values())


def best_lines(db, text: str, videos: int) -> list[int] | None:
    """The ids of the best LINES_PER_VIDEO lines a video wanted that match `text`, best first; None when `text` has
    no word to search. One statement, which SQLite runs mostly without Python's lock (the ranking of every match
    happens in its first step): what runs beside the pictures."""
    query = fts_query(text)
    return None if query is None else _first_ranked(db, query, videos)


def _first_ranked(db, query: str, videos: int) -> list[int]:
    return [r[0] for r in db.execute(_RANKED, [query, LINES_PER_VIDEO * videos, 0])]


def _best_lines(db, query: str, videos: int, ranked: list[int] | None = None) -> Iterator[list[int]]:
    """The ids of the lines matching `query`, best first, in batches growing from two a video wanted: the best
    LINES_PER_VIDEO a video are ranked at once (`ranked`, when `best_lines` ranked them for as many `videos`
    already), the others only if the caller reads past those."""
    first = LINES_PER_VIDEO * videos
    lines = _first_ranked(db, query, videos) if ranked is None else ranked
    size, at = min(2 * videos, BATCH), 0
    while at < len(lines):
        yield lines[at : at + size]
        at, size = at + size, min(2 * size, BATCH)
    if len(lines) == first:  # more may match: all of them ranked again, past those read
        rest = db.execute(_RANKED, [query, -1, first])
        while batch := [r[0] for r in rest.fetchmany(BATCH)]:
            yield batch
