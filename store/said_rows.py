"""What was said in each video, as the catalogue keeps it: `said` rows (one a timed line, searched through FTS5)
and each video's `said_state`, which says what its rows were made from, so that a run redoes only what changed.

Reads, with the standard sqlite3; CatalogWriter changes them, in the transactions that change their video.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from vidx.filenames import on_disk
from vidx.said import Segment


@dataclass(frozen=True)
class Subtitles:
    """A video's subtitle lines, and what they were read from."""

    segments: list[Segment] = field(default_factory=list)
    sidecars: str = "[]"  # the fingerprint of its sidecar files (indexer.sidecars.fingerprint)
    bitmap_streams: int = 0  # picture subtitle streams skipped


@dataclass(frozen=True)
class Speech:
    """A video's speech: its lines as `model` transcribed them, or `error` saying why there are none."""

    lines: list[Segment]
    model: str
    error: str | None


@dataclass(frozen=True)
class SubtitleState:
    """An indexed video and the fingerprint its subtitles were read with (None: not read yet)."""

    video_id: int
    path: str  # as shown
    raw_path: bytes | None
    sidecars: str | None


def subtitle_states(db: sqlite3.Connection, under: str) -> list[SubtitleState]:
    """The indexed videos below the folder `under` (ending in /), each with its subtitles' fingerprint."""
    rows = db.execute(
        "select videos.id, videos.path, videos.raw_path, said_state.subtitles from videos left join said_state "
        "on said_state.video_id = videos.id where videos.status = 'ok' and substr(videos.path, 1, ?) = ? "
        "order by videos.path",
        [len(under), under],
    )
    return [SubtitleState(*r) for r in rows]


def speech(db: sqlite3.Connection, video_id: int) -> Speech | None:
    """The video's speech, None when it was never transcribed."""
    state = db.execute("select speech, speech_error from said_state where video_id = ?", [video_id]).fetchone()
    if state is None or state[0] is None:
        return None
    rows = db.execute(
        "select start, end, text, source from said where video_id = ? and source = 'speech' order by id", [video_id]
    )
    return Speech([Segment(*r) for r in rows], *state)


def unheard(db: sqlite3.Connection, under: str, model: str) -> list[str]:
    """The indexed videos below the folder `under` (ending in /) that speech `model` has not heard: never heard,
    or heard by another model. Names to open them by."""
    rows = db.execute(
        "select videos.path, videos.raw_path from videos left join said_state on said_state.video_id = videos.id "
        "where videos.status = 'ok' and substr(videos.path, 1, ?) = ? and said_state.speech is not ? "
        "order by videos.path",
        [len(under), under, model],
    )
    return [on_disk(path, raw) for path, raw in rows]


def counts(db: sqlite3.Connection) -> dict[str, int]:
    """Lines stored, and picture subtitle streams skipped, over the whole catalogue."""
    lines = db.execute("select count(*) from said").fetchone()[0]
    bitmaps = db.execute("select coalesce(sum(bitmap_streams), 0) from said_state").fetchone()[0]
    return {"said_segments": lines, "bitmap_subtitle_streams": bitmaps}
