"""Every change to the catalogue, with the FAISS index kept in step: the one place where SQLite and FAISS change
together. Nothing else in vidx runs a statement that writes (tests/test_one_writer.py holds it to that); Catalog
only reads."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import faiss
import numpy as np
import sqlite_utils

from vidx.errors import VidxError
from vidx.filenames import printable, raw_bytes
from vidx.said import Segment

from . import said_rows, thumbnails, vectors
from .catalog import Catalog, ClipVector, VideoInfo
from .said_rows import Subtitles

# Save the FAISS file at least this often during a long run, so queries see new videos before it ends.
SAVE_EVERY = 60.0


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class CatalogWriter:
    """SQLite commits first (it is the truth), then the in-memory FAISS index follows; the file is written now and
    then and when the writer closes, so `kill -9` leaves at most a lagging file that the next writer rebuilds.

    A current file is loaded only when something changes, and written back only then, so a cron run over an
    unchanged library never reads or rewrites a large index. Each commit that changes the clips bumps the
    catalogue's generation, after which the FAISS file is named.
    """

    def __init__(self, catalog: Catalog, save_every: float = SAVE_EVERY):
        self.catalog = catalog
        self.db = sqlite_utils.Database(catalog.db)  # the catalogue's own connection: its reads see these writes
        self.save_every = save_every
        self.saved_at = time.monotonic()
        self.stale = False
        self.changed = False
        self._index: faiss.IndexIDMap2 | None = None
        self._loaded = False
        if self.catalog.faiss.generation != catalog.generation and catalog.counts()["clips"]:
            # After a crash the file lags SQLite: rebuild now, before anything more is committed.
            self._index = self._built()
            self._loaded = self.changed = True
        elif self.catalog.faiss.path is None:
            self._loaded = True  # nothing indexed yet: the first vectors start a new index

    def __enter__(self) -> CatalogWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.save()

    # -- roots and facts, no vectors -------------------------------------------------------------------------

    def add_root(self, path: Path) -> int:
        if raw_bytes(str(path)) is not None:
            # Files under it may have any name; the root itself is stored as text, to be rescanned by it.
            shown = printable(str(path))
            raise VidxError(f"{shown}: the folder's own name is not UTF-8; index the folder that holds it")
        with self.db.atomic():
            self.db.table("roots").insert({"path": str(path), "added_at": now()}, ignore=True)
        return self.catalog.root_ids()[str(path)]

    def set_meta(self, key: str, value: str) -> None:
        self.db.table("meta").upsert({"key": key, "value": value}, pk="key")

    def move_video(self, video_id: int, root_id: int, path: str, stat: tuple[int, int]) -> None:
        """Same content at a new path: the clips and their vectors stay as they are."""
        with self.db.atomic():
            record = {"root_id": root_id, "path": printable(path), "raw_path": raw_bytes(path)}
            self.db.table("videos").update(video_id, {**record, "size": stat[0], "mtime_ns": stat[1]})

    def touch_video(self, video_id: int, stat: tuple[int, int]) -> None:
        with self.db.atomic():
            self.db.table("videos").update(video_id, {"size": stat[0], "mtime_ns": stat[1]})

    # -- clips: SQLite commits, then the index follows ---------------------------------------------------------

    def save_video(
        self,
        root_id: int,
        path: str,
        stat: tuple[int, int],
        info: VideoInfo,
        clips: list[ClipVector],
        subtitles: Subtitles | None = None,
        speech_of: int | None = None,
    ) -> int:
        """Store a video, its clip vectors and its words in one transaction; `speech_of` is a video whose speech
        this one shares (it is a copy of it). Returns the video id."""
        fields = {"status": "ok", "error": None, **asdict(info)}
        with _in_step():
            with self.db.atomic():
                video_id, removed = self._put_video(root_id, path, stat, fields)
                added = [self._insert_clip(video_id, clip) for clip in clips]
                if subtitles is not None:
                    self._put_subtitles(video_id, subtitles)
                if speech_of is not None:
                    self._copy_speech(speech_of, video_id)
                self._bump_generation()
            self._apply(removed, added, [c.vector for c in clips])
        return video_id

    def save_failure(self, root_id: int, path: str, stat: tuple[int, int], error: str) -> None:
        """Record why a file could not be indexed; drops any clips an earlier version of it had."""
        with _in_step():
            with self.db.atomic():
                _, removed = self._put_video(root_id, path, stat, {"status": "failed", "error": printable(error)})
                if removed:
                    self._bump_generation()
            self._apply(removed, [], [])

    def delete_video(self, video_id: int) -> None:
        with _in_step():
            self._apply(self._delete_video(video_id), [], [])

    def copy_video(
        self, source_id: int, root_id: int, path: str, stat: tuple[int, int], subtitles: Subtitles | None = None
    ) -> None:
        """A second path with the same content: new rows, the source's vectors and speech, its own subtitles."""
        info, clips = self.catalog.video_info(source_id), self.catalog.clip_vectors(source_id)
        self.save_video(root_id, path, stat, info, clips, subtitles, speech_of=source_id)

    # -- words: an indexed video's lines change, its clips stay ------------------------------------------------

    def save_subtitles(self, video_id: int, subtitles: Subtitles) -> None:
        """Replace an indexed video's subtitle lines."""
        with self.db.atomic():
            self._put_subtitles(video_id, subtitles)

    def save_speech(self, video_id: int, segments: list[Segment], model: str, error: str | None = None) -> None:
        """Replace an indexed video's speech: its lines as transcribed by `model`, or `error` saying why not."""
        with self.db.atomic():
            self._put_speech(video_id, segments, model, error)

    def remove_root(self, root: Path) -> None:
        """Forget a root and every video under it."""
        with _in_step():
            removed: list[int] = []
            for video in self.catalog.videos_under(str(root)):
                removed += self._delete_video(video.id)
            with self.db.atomic():
                self.db.execute("delete from roots where path = ?", [str(root)])
            self._apply(removed, [], [])

    def delete_orphan_clips(self, clip_ids: list[int]) -> None:
        """Clips whose video is gone (`vidx doctor --repair`)."""
        with _in_step():
            with self.db.atomic():
                self.db.execute(f"delete from clips where id in ({','.join('?' * len(clip_ids))})", clip_ids)
                self._bump_generation()
            self._apply(clip_ids, [], [])

    def rebuild(self) -> int:
        """Build the index anew from every stored vector; returns how many it holds."""
        self._index = self._built()
        self._loaded = self.changed = True
        self.stale = False
        return self._index.ntotal if self._index is not None else 0

    def save(self) -> None:
        if not self.changed:
            return
        if self.stale:
            self.rebuild()
        if self.index is None:
            self.catalog.faiss.clear()  # every vector left: no file is the current state of an empty catalogue
        else:
            self.catalog.faiss.save(self.index, self.catalog.generation)
        self.changed = False
        self.saved_at = time.monotonic()

    # -- SQLite ------------------------------------------------------------------------------------------------

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

    def _insert_clip(self, video_id: int, clip: ClipVector) -> int:
        return self.db.execute(
            "insert into clips (video_id, idx, start, end, vector) values (?, ?, ?, ?, ?) returning id",
            [video_id, clip.idx, clip.start, clip.end, np.asarray(clip.vector, np.float32).tobytes()],
        ).fetchone()[0]

    def _delete_video(self, video_id: int) -> list[int]:
        """Drop a video and its clips in one transaction; returns the clip ids that left."""
        with self.db.atomic():
            removed = self._delete_clips(video_id)
            self._drop_said(video_id)
            self.db.execute("delete from videos where id = ?", [video_id])
            self._bump_generation()
        return removed

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

    # -- the FAISS index ---------------------------------------------------------------------------------------

    @property
    def index(self) -> faiss.IndexIDMap2 | None:
        if not self._loaded:
            self._index = self.catalog.faiss.load()
            self._loaded = True
        return self._index

    def _built(self) -> faiss.IndexIDMap2 | None:
        ids, vecs = self.catalog.all_vectors()
        return vectors.build_index(ids, vecs, self.catalog.faiss.ann_threshold) if len(ids) else None

    def _apply(self, removed: list[int], added: list[int], vecs: list[np.ndarray]) -> None:
        if not removed and not added:
            return
        self.changed = True
        if removed and self.index is not None:
            if vectors.supports_removal(self.index):
                self.index.remove_ids(vectors.ids_selector(removed))
            else:
                # The approximate index cannot drop vectors; queries skip ids SQLite no longer has until the
                # rebuild at save time.
                self.stale = True
        if added:
            index = self.index
            if index is None:
                index = self._index = vectors.new_index(len(vecs[0]))
            vectors.add(index, added, vecs)
        if time.monotonic() - self.saved_at > self.save_every:
            self.save()


@contextlib.contextmanager
def _in_step() -> Iterator[None]:
    """Hold Ctrl-C from an SQLite commit until the in-memory index has followed it: the file saved on the way
    out is named after the catalogue's generation, and must then hold exactly its clips."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
