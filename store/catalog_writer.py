"""Every change to the catalogue, with the vector index kept in step: the one place where SQLite and the index
change together. Nothing else in vidx runs a statement that writes (tests/test_one_writer.py holds it to that);
Catalog only reads."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import sqlite_utils

from vidx import disk_full
from vidx.errors import CatalogDamaged, DiskFull, VectorsDamaged, VidxError
from vidx.filenames import printable, raw_bytes
from vidx.said import Segment

from . import said_rows, thumbnails
from .catalog import Catalog, ClipVector, VideoInfo
from .checksums import row_crcs
from .said_rows import Speech, Subtitles
from .segments import IndexState, fresh_max
from .vector_index import STATE_KEY, IndexWriter
from .vector_rows import as_stored

# Bring the index files up to date at least this often during a long run (cheap: nothing is written until
# segments.FRESH_MAX clips are fresh), so that deletions are compacted in time.
SAVE_EVERY = 60.0


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class CatalogWriter:
    """Each video's vectors become float16 rows, fsynced, then its clips are committed with the index state that
    counts those rows; deletions are recorded by SQLite (a trigger). Index files are written now and then and when
    the writer closes, under new names, and made current by a commit: `kill -9` at any point leaves a consistent
    home, and a run that changes a few videos writes bytes in proportion to them. Each commit that changes the
    clips bumps the catalogue's generation, which readers holding the index open watch.
    """

    def __init__(self, catalog: Catalog, save_every: float = SAVE_EVERY):
        found = catalog.damage()  # a damaged catalogue is never written to: `vidx doctor --repair` recovers it
        if found is not None:
            raise CatalogDamaged(catalog.home.db, found)
        catalog.require_writable()
        self.catalog = catalog
        self.db = sqlite_utils.Database(catalog.db)  # the catalogue's own connection: its reads see these writes
        self.save_every = save_every
        self.saved_at = time.monotonic()
        self.index = IndexWriter(catalog.db, catalog.home.index_dir, catalog.ann_threshold)
        # A save between two videos that found no room: said by the next write, once the caller has counted the
        # video committed before it.
        self.unsaved: DiskFull | None = None

    def __enter__(self) -> CatalogWriter:
        return self

    def __exit__(self, kind, *exc) -> None:
        if kind is None or not issubclass(kind, DiskFull):  # with no room, a save would only fail again
            self.save()

    # -- roots and facts, no vectors -------------------------------------------------------------------------

    def add_root(self, path: Path) -> int:
        if raw_bytes(str(path)) is not None:
            # Files under it may have any name; the root itself is stored as text, to be rescanned by it.
            shown = printable(str(path))
            raise VidxError(f"{shown}: the folder's own name is not UTF-8; index the folder that holds it")
        with self._transaction():
            self.db.table("roots").insert({"path": str(path), "added_at": now()}, ignore=True)
        return self.catalog.root_ids()[str(path)]

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self.db.table("meta").upsert({"key": key, "value": value}, pk="key")

    def move_video(self, video_id: int, root_id: int, path: str, stat: tuple[int, int]) -> None:
        """Same content at a new path: the clips and their vectors stay as they are."""
        with self._transaction():
            record = {"root_id": root_id, "path": printable(path), "raw_path": raw_bytes(path)}
            self.db.table("videos").update(video_id, {**record, "size": stat[0], "mtime_ns": stat[1]})

    def touch_video(self, video_id: int, stat: tuple[int, int]) -> None:
        with self._transaction():
            self.db.table("videos").update(video_id, {"size": stat[0], "mtime_ns": stat[1]})

    # -- clips: their rows first, then the commit that counts them ---------------------------------------------

    def save_video(
        self,
        root_id: int,
        path: str,
        stat: tuple[int, int],
        info: VideoInfo,
        clips: list[ClipVector],
        subtitles: Subtitles | None = None,
        speech_of: int | None = None,
        speech: Speech | None = None,
    ) -> int:
        """Store a video, its clip vectors and its words in one transaction; `speech_of` is a video whose speech
        this one shares (it is a copy of it), `speech` what was heard in it. Returns the video id."""
        fields = {"status": "ok", "error": None, **asdict(info)}
        self._room_left()
        with _in_step():
            if clips:
                vectors = np.stack([c.vector for c in clips])
                ids, state = self.index.reserve(vectors)
            else:
                vectors, ids, state = np.zeros((0, 0), np.float32), [], self.index.state
            crcs = row_crcs(as_stored(vectors))
            with self._transaction():
                video_id, _ = self._put_video(root_id, path, stat, fields)
                for clip_id, clip, crc in zip(ids, clips, crcs, strict=True):
                    self._insert_clip(clip_id, video_id, clip, crc)
                if subtitles is not None:
                    self._put_subtitles(video_id, subtitles)
                if speech_of is not None:
                    self._copy_speech(speech_of, video_id)
                if speech is not None:
                    self._put_speech(video_id, speech.lines, speech.model, speech.error)
                self._write_state(state)
                self._bump_generation()
            self.index.committed(state)
        self._changed()
        return video_id

    def save_failure(self, root_id: int, path: str, stat: tuple[int, int], error: str) -> None:
        """Record why a file could not be indexed; drops any clips an earlier version of it had."""
        with self._transaction():
            _, removed = self._put_video(root_id, path, stat, {"status": "failed", "error": printable(error)})
            if removed:
                self._bump_generation()

    def delete_video(self, video_id: int) -> None:
        """Drop a video, its clips and its words in one transaction (SQLite records the dropped ids, by trigger)."""
        with self._transaction():
            self._delete_clips(video_id)
            self._drop_said(video_id)
            self.db.execute("delete from videos where id = ?", [video_id])
            self._bump_generation()

    def copy_video(
        self, source_id: int, root_id: int, path: str, stat: tuple[int, int], subtitles: Subtitles | None = None
    ) -> None:
        """A second path with the same content: new clips, whose rows copy the source's vectors; the source's
        speech, its own subtitles. VectorsDamaged, and nothing written, when some of the source's vectors fail their
        checksums: damage is never copied."""
        info, clips = self.catalog.video_info(source_id), self.catalog.clip_vectors(source_id)
        if len(clips) != len(self.catalog.clip_ids(source_id)):
            raise VectorsDamaged(f"the stored vectors of video {source_id} are damaged")
        self.save_video(root_id, path, stat, info, clips, subtitles, speech_of=source_id)

    # -- words: an indexed video's lines change, its clips stay ------------------------------------------------

    def save_subtitles(self, video_id: int, subtitles: Subtitles) -> None:
        """Replace an indexed video's subtitle lines."""
        with self._transaction():
            self._put_subtitles(video_id, subtitles)

    def save_speech(self, video_id: int, segments: list[Segment], model: str, error: str | None = None) -> None:
        """Replace an indexed video's speech: its lines as transcribed by `model`, or `error` saying why not."""
        with self._transaction():
            self._put_speech(video_id, segments, model, error)

    def remove_root(self, root: Path) -> None:
        """Forget a root and every video under it."""
        for video in self.catalog.videos_under(str(root)):
            self.delete_video(video.id)
        with self._transaction():
            self.db.execute("delete from roots where path = ?", [str(root)])

    def delete_orphan_clips(self, clip_ids: list[int]) -> None:
        """Clips whose video is gone (`vidx doctor --repair`)."""
        with self._transaction():
            self.db.execute(f"delete from clips where id in ({','.join('?' * len(clip_ids))})", clip_ids)
            self._bump_generation()

    def rebuild(self) -> int:
        """Build the index anew, of the kind the library's size calls for; returns how many clips it holds."""
        self.index.rebuild()
        self._save(force=True)
        return self.catalog.vector_count()

    def save(self) -> None:
        self._save(force=False)

    def _save(self, force: bool) -> None:
        self.unsaved = None  # this save tries again
        with _in_step():
            self.index.save(self._commit_index, force)
        self.saved_at = time.monotonic()

    def _changed(self) -> None:
        """Save when the fresh clips are due for a segment (readers score them exactly, so they must stay few),
        when the library may have crossed the threshold, and every `save_every` seconds."""
        state, threshold = self.index.state, self.catalog.ann_threshold
        due = state.rows - state.covered >= fresh_max(threshold) and (state.segments or state.rows > threshold)
        if due or time.monotonic() - self.saved_at > self.save_every:
            try:
                self.save()
            except DiskFull as e:
                self.unsaved = e

    def _room_left(self) -> None:
        if self.unsaved is not None:
            raise self.unsaved

    # -- SQLite ------------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One transaction (a savepoint inside another); a commit the disk has no room for is rolled back and
        said in one line."""
        self._room_left()
        with disk_full.sqlite_writes(self.catalog.home.db), self.db.atomic():
            yield

    def _bump_generation(self) -> None:
        self.set_meta("generation", str(self.catalog.generation + 1))

    def _put_video(self, root_id: int, path: str, stat: tuple[int, int], fields: dict) -> tuple[int, list[int]]:
        """Insert or update a video row, dropping the clips an earlier version had; call inside a transaction."""
        old = self.catalog.video(path)
        removed = self._delete_clips(old.id) if old else []
        if old:
            self._drop_said(old.id)  # the words of the file as it was
        record = {"root_id": root_id, "path": printable(path), "raw_path": raw_bytes(path), "indexed_at": now()}
        record.update(size=stat[0], mtime_ns=stat[1], **fields)
        if old:
            self.db.table("videos").update(old.id, record)
            return old.id, removed
        self.db.table("videos").insert(record)
        return self.db.execute("select last_insert_rowid()").fetchone()[0], removed

    def _insert_clip(self, clip_id: int, video_id: int, clip: ClipVector, crc: int) -> None:
        # The vector column predates the float16 rows; it stays empty (migration m003). `crc` is the row's checksum.
        self.db.execute(
            "insert into clips (id, video_id, idx, start, end, vector, crc) values (?, ?, ?, ?, ?, x'', ?)",
            [clip_id, video_id, clip.idx, clip.start, clip.end, crc],
        )

    def _write_state(self, state: IndexState) -> None:
        self.set_meta(STATE_KEY, state.as_json())

    def _commit_index(self, state: IndexState, purged: np.ndarray) -> None:
        """Make `state` the current index and forget the dropped ids no segment holds any more."""
        with self._transaction():
            self._write_state(state)
            for at in range(0, len(purged), 30_000):
                chunk = [int(i) for i in purged[at : at + 30_000]]
                self.db.execute(f"delete from dropped_clips where id in ({','.join('?' * len(chunk))})", chunk)
            self._bump_generation()

    def _delete_clips(self, video_id: int) -> list[int]:
        ids = self.catalog.clip_ids(video_id)
        self.db.execute("delete from clips where video_id = ?", [video_id])
        # A thumbnail dropped by a transaction that then rolls back is simply made again on request.
        thumbnails.drop(self.catalog.home.thumbs, ids)
        return ids

    def _put_lines(self, video_id: int, source: str, segments: list[Segment]) -> None:
        """Replace the video's lines of `source`; the triggers keep FTS5 in step, in this transaction."""
        self.db.execute("delete from said where video_id = ? and source = ?", [video_id, source])
        for line in segments:
            self.db.execute(
                "insert into said (video_id, start, end, text, source) values (?, ?, ?, ?, ?)",
                [video_id, line.start, line.end, line.text, source],
            )

    def _put_subtitles(self, video_id: int, subtitles: Subtitles) -> None:
        self._put_lines(video_id, "subtitles", subtitles.segments)
        self.db.execute(
            "insert into said_state (video_id, subtitles, bitmap_streams) values (?, ?, ?) on conflict (video_id) "
            "do update set subtitles = excluded.subtitles, bitmap_streams = excluded.bitmap_streams",
            [video_id, subtitles.sidecars, subtitles.bitmap_streams],
        )

    def _put_speech(self, video_id: int, segments: list[Segment], model: str, error: str | None) -> None:
        self._put_lines(video_id, "speech", segments)
        self.db.execute(
            "insert into said_state (video_id, speech, speech_error) values (?, ?, ?) on conflict (video_id) do "
            "update set speech = excluded.speech, speech_error = excluded.speech_error",
            [video_id, model, error],
        )

    def _copy_speech(self, source_id: int, video_id: int) -> None:
        """What the source's audio said is what its copy's says: the same content."""
        speech = said_rows.speech(self.catalog.db, source_id)
        if speech is not None:
            self._put_speech(video_id, speech.lines, speech.model, speech.error)

    def _drop_said(self, video_id: int) -> None:
        self.db.execute("delete from said where video_id = ?", [video_id])
        self.db.execute("delete from said_state where video_id = ?", [video_id])


@contextlib.contextmanager
def _in_step() -> Iterator[None]:
    """Hold Ctrl-C from the rows' write to the commit that counts them, so that the writer's own idea of the index
    state never falls behind SQLite's (a `kill -9` meanwhile leaves only rows no clip names)."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
