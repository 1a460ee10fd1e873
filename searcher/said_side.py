"""The words side of a search: the videos whose lines (subtitles, speech) match the query, best line first.

FTS5 ranks every matching line by bm25 (cheap: a few microseconds a line); only the best lines are then read
with their videos, a batch at a time, until enough videos have been found. Joining every match to its row and
video first would cost three times as much on a common word.

As on the pictures' side, exact copies (one content hash) take one match, the path whose line ranks best, and a
file gone from the disk is never one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from vidx.filenames import on_disk
from vidx.said import Segment

from .filters import Filters
from .said_query import fts_query

BATCH = 500  # lines read at a time, best first
_ANY = "select 1 from said_fts where said_fts match ? limit 1"
_RANKED = "select rowid from said_fts where said_fts match ? order by rank, rowid"
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
) -> list[SaidMatch] | None:
    """Up to `limit` contents whose words match `text`, best first (each by its best line), under `prefix` (a folder
    ending in /) and passing `filters`; None when the query has no word to search (stop words only), so the words
    side has no say. Videos whose file is gone from the disk are added to `gone`."""
    query = fts_query(text)
    if query is None:
        return None
    ranked = db.execute(_RANKED, [query])
    found: dict[str, SaidMatch] = {}
    seen: set[int] = set()  # videos whose best line was taken, or that cannot be shown
    while len(found) < limit and (batch := [r[0] for r in ranked.fetchmany(BATCH)]):
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
                break
    return list(found.values())
