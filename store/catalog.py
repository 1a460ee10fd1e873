"""The SQLite catalogue: roots, videos, clips and their vectors. The truth, from which the FAISS file is derived."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import sqlite_utils

from vidx.config import Home
from vidx.errors import VidxError

from . import thumbnails, vectors
from .faiss_file import FaissFile
from .migrations import migrations


@dataclass(frozen=True)
class VideoRow:
    id: int
    path: str
    size: int
    mtime_ns: int
    hash: str | None
    status: str
    error: str | None


@dataclass(frozen=True)
class ClipRow:
    id: int
    path: str
    start: float
    end: float
    video_id: int


@dataclass(frozen=True)
class Neighbour:
    score: float
    clip: ClipRow


@dataclass(frozen=True)
class VideoInfo:
    """What decoding learnt of a video, stored with its row."""

    hash: str
    duration: float
    fps: float
    frames: int


@dataclass(frozen=True)
class ClipVector:
    idx: int
    start: float
    end: float
    vector: np.ndarray


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Catalog:
    """Everything vidx keeps on disk about the library: SQLite rows, and the FAISS file derived from them."""

    def __init__(self, home: Home, ann_threshold: int = vectors.ANN_THRESHOLD):
        self.home = home
        self.faiss = FaissFile(home.index_dir, ann_threshold)
        home.ensure()
        home.index_dir.mkdir(exist_ok=True)
        try:
            self.db = sqlite_utils.Database(home.db)
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.db.enable_wal()
            migrations.apply(self.db)
        except sqlite3.DatabaseError as e:
            raise VidxError(f"Cannot open the database {home.db}: {e}; run `vidx doctor`") from None

    def close(self) -> None:
        self.db.close()

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("select value from meta where key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db["meta"].upsert({"key": key, "value": value}, pk="key")

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def _bump_generation(self) -> None:
        self.set_meta("generation", str(self.generation + 1))

    def add_root(self, path: Path) -> int:
        with self.db.atomic():
            self.db["roots"].insert({"path": str(path), "added_at": now()}, ignore=True)
        return self.db.execute("select id from roots where path = ?", [str(path)]).fetchone()[0]

    def roots(self) -> list[str]:
        return [r[0] for r in self.db.execute("select path from roots order by path")]

    def video(self, path: str) -> VideoRow | None:
        row = self.db.execute(
            "select id, path, size, mtime_ns, hash, status, error from videos where path = ?", [path]
        ).fetchone()
        return VideoRow(*row) if row else None

    def remove_root(self, path: str) -> list[int]:
        """Forget a root and every video under it; returns the clip ids that left."""
        removed: list[int] = []
        for video in self.videos_under(path):
            removed += self.delete_video(video.id)
        with self.db.atomic():
            self.db.execute("delete from roots where path = ?", [path])
        return removed

    def videos_with_hash(self, digest: str) -> list[VideoRow]:
        rows = self.db.execute(
            "select id, path, size, mtime_ns, hash, status, error from videos where hash = ? and status = 'ok'",
            [digest],
        )
        return [VideoRow(*r) for r in rows]

    def ok_sizes(self) -> set[int]:
        """Sizes of the indexed videos: a file of another size cannot hold the same content as any of them."""
        return {r[0] for r in self.db.execute("select distinct size from videos where status = 'ok'")}

    def failures(self) -> list[VideoRow]:
        rows = self.db.execute(
            "select id, path, size, mtime_ns, hash, status, error from videos where status = 'failed' order by path"
        )
        return [VideoRow(*r) for r in rows]

    def move_video(self, video_id: int, root_id: int, path: str, stat: tuple[int, int]) -> None:
        """Same content at a new path: the clips and their vectors stay as they are."""
        with self.db.atomic():
            self.db["videos"].update(video_id, {"root_id": root_id, "path": path, "size": stat[0], "mtime_ns": stat[1]})

    def touch_video(self, video_id: int, stat: tuple[int, int]) -> None:
        with self.db.atomic():
            self.db["videos"].update(video_id, {"size": stat[0], "mtime_ns": stat[1]})

    def copy_video(self, source_id: int, root_id: int, path: str, stat: tuple[int, int]) -> tuple[list[int], list]:
        """A second path with the same content: new rows, the source's vectors; returns new ids and vectors."""
        source = self.db["videos"].get(source_id)
        clips = list(
            self.db.execute("select idx, start, end, vector from clips where video_id = ? order by idx", [source_id])
        )
        info = VideoInfo(*(source[k] for k in ("hash", "duration", "fps", "frames")))
        vectors_ = [ClipVector(i, a, b, np.frombuffer(v, dtype=np.float32)) for i, a, b, v in clips]
        _, _, new_ids = self.save_video(root_id, path, stat, info, vectors_)
        return new_ids, [c.vector for c in vectors_]

    def videos_under(self, root: str) -> list[VideoRow]:
        prefix = root.rstrip("/") + "/"
        rows = self.db.execute(
            "select id, path, size, mtime_ns, hash, status, error from videos"
            " where substr(path, 1, ?) = ? order by path",
            [len(prefix), prefix],
        )
        return [VideoRow(*r) for r in rows]

    def _put_video(self, root_id: int, path: str, stat: tuple[int, int], fields: dict) -> tuple[int, list[int]]:
        """Insert or update a video row, dropping the clips an earlier version had; call inside a transaction."""
        old = self.video(path)
        removed = self._delete_clips(old.id) if old else []
        record = {"root_id": root_id, "path": path, "size": stat[0], "mtime_ns": stat[1], "indexed_at": now(), **fields}
        if old:
            self.db["videos"].update(old.id, record)
            return old.id, removed
        return self.db["videos"].insert(record).last_pk, removed

    def save_video(
        self, root_id: int, path: str, stat: tuple[int, int], info: VideoInfo, clips: list[ClipVector]
    ) -> tuple[int, list[int], list[int]]:
        """Store a video and its clips in one transaction; returns (video id, removed clip ids, new clip ids)."""
        with self.db.atomic():
            video_id, removed = self._put_video(root_id, path, stat, {"status": "ok", "error": None, **asdict(info)})
            new_ids = []
            for clip in clips:
                cur = self.db.execute(
                    "insert into clips (video_id, idx, start, end, vector) values (?, ?, ?, ?, ?)",
                    [video_id, clip.idx, clip.start, clip.end, np.asarray(clip.vector, np.float32).tobytes()],
                )
                new_ids.append(cur.lastrowid)
            self._bump_generation()
        return video_id, removed, new_ids

    def save_failure(self, root_id: int, path: str, stat: tuple[int, int], error: str) -> list[int]:
        """Record why a file could not be indexed; drops any clips an earlier version of it had."""
        with self.db.atomic():
            _, removed = self._put_video(root_id, path, stat, {"status": "failed", "error": error})
            if removed:
                self._bump_generation()
        return removed

    def delete_video(self, video_id: int) -> list[int]:
        with self.db.atomic():
            removed = self._delete_clips(video_id)
            self.db.execute("delete from videos where id = ?", [video_id])
            self._bump_generation()
        return removed

    def _delete_clips(self, video_id: int) -> list[int]:
        ids = [r[0] for r in self.db.execute("select id from clips where video_id = ?", [video_id])]
        self.db.execute("delete from clips where video_id = ?", [video_id])
        # A thumbnail dropped by a transaction that then rolls back is simply made again on request.
        thumbnails.drop(self.home.thumbs, ids)
        return ids

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        ids, vecs = [], []
        for clip_id, blob in self.db.execute("select id, vector from clips order by id"):
            ids.append(clip_id)
            vecs.append(np.frombuffer(blob, dtype=np.float32))
        if not ids:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        return np.asarray(ids, np.int64), np.stack(vecs)

    def clip_rows(self, ids: list[int]) -> dict[int, ClipRow]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"select clips.id, videos.path, clips.start, clips.end, videos.id from clips"
            f" join videos on videos.id = clips.video_id where clips.id in ({marks})",
            ids,
        )
        return {r[0]: ClipRow(*r) for r in rows}

    def clip_row(self, clip_id: int) -> ClipRow | None:
        return self.clip_rows([clip_id]).get(clip_id)

    def video_path(self, video_id: int) -> str | None:
        row = self.db.execute("select path from videos where id = ? and status = 'ok'", [video_id]).fetchone()
        return row[0] if row else None

    def thumbnail(self, clip_id: int) -> bytes | None:
        """The clip's thumbnail strip (JPEG), made on first request."""
        row = self.clip_row(clip_id)
        if row is None:
            return None
        return thumbnails.cached_strip(self.home.thumbs, clip_id, row.path, row.start, row.end)

    def counts(self) -> dict[str, int]:
        one = self.db.execute
        return {
            "videos": one("select count(*) from videos where status = 'ok'").fetchone()[0],
            "clips": one("select count(*) from clips").fetchone()[0],
            "failed": one("select count(*) from videos where status = 'failed'").fetchone()[0],
        }

    def nearest(self, query: np.ndarray, n: int) -> tuple[list[Neighbour], bool]:
        """The `n` clips whose vectors score highest against `query`, best first, and whether the index holds more.

        The FAISS file may lag SQLite (during a run, after a crash): clips it has that SQLite dropped are skipped,
        and when there is no file at all the index is built in memory from the stored vectors.
        """
        index = self.faiss.load(mapped=True)
        if index is None:
            ids, vecs = self.all_vectors()
            if not len(ids):
                return [], False
            index = vectors.build_index(ids, vecs, self.faiss.ann_threshold)
        if index.ntotal == 0:
            return [], False
        scores, ids = vectors.search(index, query[None, :], n)
        rows = self.clip_rows([int(i) for i in ids[0] if i >= 0])
        found = [Neighbour(float(s), rows[int(i)]) for s, i in zip(scores[0], ids[0], strict=True) if int(i) in rows]
        return found, index.ntotal > n

    def vector_count(self) -> int:
        """Vectors in the current FAISS file (0 when there is none)."""
        index = self.faiss.load(mapped=True)
        return index.ntotal if index is not None else 0
