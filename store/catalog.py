"""The SQLite catalogue, read: roots, videos and clips, and which state of the vector index is current. The truth.

Reads go through the standard sqlite3 (sqlite-utils imports pandas whenever it is installed); every change is
made by catalog_writer.CatalogWriter, on this catalogue's connection.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from vidx.config import Home
from vidx.errors import CatalogDamaged, DiskFull, VidxError
from vidx.filenames import on_disk, printable

from . import connections, damage, said_rows, thumbnails, vector_check, vector_index
from .segments import IndexState
from .vector_rows import VectorRows

# Clips past which the exact index gives way to the approximate one (index.ann_threshold).
ANN_THRESHOLD = 100_000

# A clip's end as read: never past its video's decoded duration, the one length vidx gives a file. The last clip's
# frames are sampled at clip.fps, and its end (its last frame's time plus one sampling period) can pass the end of
# the video; catalogues indexed before the indexer clamped it still hold such ends.
CLIP_END = "min(clips.end, coalesce(videos.duration, clips.end))"


@dataclass(frozen=True)
class VideoRow:
    id: int
    path: str  # as shown: a name that is not UTF-8 has \xNN escapes
    size: int
    mtime_ns: int
    hash: str | None
    status: str
    error: str | None
    raw_path: bytes | None = None

    @property
    def file(self) -> str:
        """The name to open the file by."""
        return on_disk(self.path, self.raw_path)


@dataclass(frozen=True)
class ClipRow:
    id: int
    path: str  # as shown, like VideoRow.path
    start: float
    end: float
    video_id: int
    mtime_ns: int = 0  # the video's, for the date and duration filters
    duration: float | None = None
    raw_path: bytes | None = None
    hash: str | None = None  # the video's content hash: exact copies share it

    @property
    def file(self) -> str:
        return on_disk(self.path, self.raw_path)


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


@dataclass(frozen=True)
class VideoFacts:
    id: int
    path: str
    duration: float
    hash: str | None


@dataclass(frozen=True)
class ClipArrays:
    """Every clip of the library as arrays, ordered by video and then by position in it."""

    video_ids: np.ndarray  # int64 [n]
    starts: np.ndarray  # float64 [n]
    ends: np.ndarray  # float64 [n]
    vectors: np.ndarray  # float32 [n, dim]


class Catalog:
    """Everything vidx keeps on disk about the library, read: SQLite rows, float16 vector rows, the index."""

    def __init__(self, home: Home, ann_threshold: int = ANN_THRESHOLD):
        self.home = home
        self.ann_threshold = ann_threshold
        self._rows: VectorRows | None = None
        self._state: tuple[str | None, IndexState] = ("", IndexState())  # the state's JSON and what it says
        self.read_only = not home.writable()
        # Why this catalogue cannot be written, when the home can: the disk had no room when it was opened.
        self.unwritable: DiskFull | None = None
        try:
            if self.read_only:
                self.db = connections.read_only(home.db)
            else:
                self.db, self.unwritable = connections.to_write(home)
        except sqlite3.DatabaseError as e:
            if damage.is_catalogue_damage(e):
                raise CatalogDamaged(self.home.db, str(e)) from None
            raise VidxError(f"Cannot open the database {self.home.db}: {e}; run `vidx doctor`") from None
        self.read_only = self.read_only or self.unwritable is not None
        self._opened_as = connections.stamp(home.db) if self.unwritable else None

    def outdated(self) -> bool:
        """Whether this catalogue, read as it was because the disk was full, has been written since (by a writer
        that found room): it must be opened again, since SQLite took the file for one that never changes."""
        return self.unwritable is not None and connections.stamp(self.home.db) != self._opened_as

    def require_writable(self) -> None:
        """Raise why this catalogue, opened for reading only, cannot be written."""
        if self.unwritable is not None:
            raise self.unwritable
        if self.read_only:
            self.home.require_writable()

    def close(self) -> None:
        self.db.close()

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("select value from meta where key = ?", [key]).fetchone()
        return row[0] if row else None

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def roots(self) -> list[str]:
        return [r[0] for r in self.db.execute("select path from roots order by path")]

    def root_ids(self) -> dict[str, int]:
        return dict(self.db.execute("select path, id from roots"))

    def _videos(self, where: str, params: list) -> list[VideoRow]:
        columns = "id, path, size, mtime_ns, hash, status, error, raw_path"
        return [VideoRow(*r) for r in self.db.execute(f"select {columns} from videos where {where}", params)]

    def video(self, path: str) -> VideoRow | None:
        found = self._videos("path = ?", [printable(path)])
        return found[0] if found else None

    def video_info(self, video_id: int) -> VideoInfo:
        row = self.db.execute("select hash, duration, fps, frames from videos where id = ?", [video_id]).fetchone()
        return VideoInfo(*row)

    def videos_with_hash(self, digest: str) -> list[VideoRow]:
        return self._videos("hash = ? and status = 'ok'", [digest])

    def unshared_hashes(self, digests: set[str]) -> set[str]:
        """Those of `digests` that one indexed video alone has (no other path holds the same bytes)."""
        marks = ",".join("?" * len(digests))
        query = f"select hash from videos where hash in ({marks}) and status = 'ok' group by hash having count(*) = 1"
        return {r[0] for r in self.db.execute(query, list(digests))}

    def ok_sizes(self) -> set[int]:
        """Sizes of the indexed videos: a file of another size cannot hold the same content as any of them."""
        return {r[0] for r in self.db.execute("select distinct size from videos where status = 'ok'")}

    def failures(self) -> list[VideoRow]:
        return self._videos("status = 'failed' order by path", [])

    def videos_under(self, root: str) -> list[VideoRow]:
        prefix = root.rstrip("/") + "/"
        return self._videos("substr(path, 1, ?) = ? order by path", [len(prefix), prefix])

    def clip_ids(self, video_id: int) -> list[int]:
        return [r[0] for r in self.db.execute("select id from clips where video_id = ? order by id", [video_id])]

    def index_state(self) -> IndexState:
        # Parsed again only when it changed: a query asks for it twice, and parsing a segmented index's is 80 us.
        text = self.get_meta(vector_index.STATE_KEY)
        if text != self._state[0]:
            self._state = (text, IndexState.from_json(text))
        return self._state[1]

    def vectors(self, ids) -> np.ndarray:
        """The float16 rows of clips `ids`, as float32 [len(ids), dim], unchecked (see `intact_vectors`)."""
        return self.vector_rows().read(np.asarray(ids, np.int64))

    def intact_vectors(self, ids, recorded: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Which of clips `ids` have intact rows, and the rows as float32 (vector_check.py); `recorded`: their
        checksums, when read already."""
        return vector_check.checked(self.db, self.vector_rows(), ids, recorded)

    def vector_rows(self) -> VectorRows:
        dim = self.index_state().dim
        if self._rows is None or self._rows.dim != dim:
            self._rows = VectorRows(self.home.index_dir, dim)
        return self._rows

    def clip_rows(self, ids: list[int]) -> dict[int, ClipRow]:
        found = {}
        # SQLite takes at most 32766 parameters a statement; a filtered search may ask about more clips.
        for at in range(0, len(ids), 30_000):
            chunk = ids[at : at + 30_000]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"select clips.id, videos.path, clips.start, {CLIP_END}, videos.id, videos.mtime_ns, videos.duration,"
                f" videos.raw_path, videos.hash from clips join videos on videos.id = clips.video_id"
                f" where clips.id in ({marks})",
                chunk,
            )
            found.update({r[0]: ClipRow(*r) for r in rows})
        return found

    def clip_id(self, video_id: int, idx: int) -> int:
        """The id of a video's clip at position `idx`."""
        return self.db.execute("select id from clips where video_id = ? and idx = ?", [video_id, idx]).fetchone()[0]

    def clip_vectors(self, video_id: int) -> list[ClipVector]:
        """One video's clips in order, with their vectors; a clip whose vector is damaged is left out."""
        query = (
            f"select clips.id, idx, start, {CLIP_END} from clips left join videos on videos.id = clips.video_id"
            " where video_id = ? order by idx"
        )
        rows = list(self.db.execute(query, [video_id]))
        intact, found = self.intact_vectors([r[0] for r in rows])
        return [ClipVector(i, a, b, v) for (_, i, a, b), v, ok in zip(rows, found, intact, strict=True) if ok]

    def indexed_videos(self) -> list[VideoFacts]:
        rows = self.db.execute("select id, path, duration, hash from videos where status = 'ok' order by path")
        return [VideoFacts(i, p, d or 0.0, h) for i, p, d, h in rows]

    def clip_arrays(self) -> ClipArrays:
        """All clips at once, their vectors in one preallocated matrix (2 GB at a million clips); clips whose
        vectors are damaged are left out."""
        with self._snapshot():  # an index run committing meanwhile cannot change the count
            n = self.counts()["clips"]
            ids, video_ids = np.empty(n, np.int64), np.empty(n, np.int64)
            starts, ends = np.empty(n), np.empty(n)
            rows = self.db.execute(
                f"select clips.id, video_id, start, {CLIP_END} from clips"
                " left join videos on videos.id = clips.video_id order by video_id, idx"
            )
            for i, (clip_id, video_id, start, end) in enumerate(rows):
                ids[i], video_ids[i], starts[i], ends[i] = clip_id, video_id, start, end
            vecs = np.empty((n, self.index_state().dim if n else 0), np.float32)
            intact = np.ones(n, bool)
            for at in range(0, n, 65_536):
                intact[at : at + 65_536], vecs[at : at + 65_536] = self.intact_vectors(ids[at : at + 65_536])
        if not intact.all():
            video_ids, starts, ends, vecs = video_ids[intact], starts[intact], ends[intact], vecs[intact]
        return ClipArrays(video_ids, starts, ends, vecs)

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Reads that see one state of the catalogue, whatever commits meanwhile."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("begin")
        try:
            yield
        finally:
            self.db.commit()

    def sample_vectors(self, n: int, seed: int = 0) -> np.ndarray:
        """Up to `n` clip vectors drawn at random, the same ones for the same seed while the library stays as it is.

        Drawn by id, so a million-clip library costs n lookups, not a scan; ids freed by deleted clips draw nothing,
        so when they are most of the range the draw is made from the ids that exist instead.
        """
        # Two subqueries: SQLite reads min and max of the rowid from the ends of the table only when each stands
        # alone; together in one select they cost a scan of every clip (78 ms at a million).
        low, high = self.db.execute("select (select min(id) from clips), (select max(id) from clips)").fetchone()
        if low is None:
            return np.zeros((0, 0), np.float32)
        ids = np.arange(low, high + 1)
        if len(ids) > n:
            if len(ids) > 2 * self.db.execute("select count(*) from clips").fetchone()[0]:
                ids = np.asarray([r[0] for r in self.db.execute("select id from clips")])
            ids = np.random.default_rng(seed).choice(ids, min(n, len(ids)), replace=False)
        found: list[int] = []
        for at in range(0, len(ids), 30_000):  # SQLite's limit on parameters, as in clip_rows
            chunk = [int(i) for i in ids[at : at + 30_000]]
            marks = ",".join("?" * len(chunk))
            found += [r[0] for r in self.db.execute(f"select id from clips where id in ({marks}) order by id", chunk)]
        intact, vectors = self.intact_vectors(found)
        return vectors[intact]

    def clip_row(self, clip_id: int) -> ClipRow | None:
        return self.clip_rows([clip_id]).get(clip_id)

    def video_file(self, video_id: int) -> str | None:
        """The name to open an indexed video by (see VideoRow.file)."""
        row = self.db.execute("select path, raw_path from videos where id = ? and status = 'ok'", [video_id]).fetchone()
        return on_disk(*row) if row else None

    def thumbnail(self, clip_id: int, draw: Callable[[str, float, float], bytes | None]) -> bytes | None:
        """The clip's thumbnail strip (JPEG), drawn by `draw(file, start, end)` on first request."""
        row = self.clip_row(clip_id)
        if row is None:
            return None
        return thumbnails.cached_strip(self.home.thumbs, clip_id, lambda: draw(row.file, row.start, row.end))

    def indexed_seconds(self) -> float:
        """The length of every indexed video, added up."""
        return self.db.execute("select total(duration) from videos where status = 'ok'").fetchone()[0]

    def version(self) -> tuple:
        """Changes whenever the clips do (a new generation), as readers that keep what they read need to know."""
        return vector_index.version(self.db)

    def has_clips(self) -> bool:
        """Whether any clip is indexed: every search asks first, and counting them costs milliseconds at a million."""
        return self.db.execute("select exists (select 1 from clips)").fetchone()[0] == 1

    def counts(self) -> dict[str, int]:
        one = self.db.execute
        return {
            "videos": one("select count(*) from videos where status = 'ok'").fetchone()[0],
            "clips": one("select count(*) from clips").fetchone()[0],
            "failed": one("select count(*) from videos where status = 'failed'").fetchone()[0],
        }

    def said_counts(self) -> dict[str, int]:
        """`said_segments` (lines of subtitles and speech) and `bitmap_subtitle_streams` (skipped)."""
        return said_rows.counts(self.db)

    def damage(self, thorough: bool = False) -> str | None:
        """What SQLite's check of every page finds wrong, or None; `thorough` also checks that each index agrees
        with its table (integrity_check, not quick_check)."""
        try:
            found = self.db.execute(f"pragma {'integrity_check' if thorough else 'quick_check'}").fetchone()[0]
        except sqlite3.DatabaseError as e:  # a page too damaged to check
            if not damage.is_catalogue_damage(e):
                raise
            return str(e)
        return None if found == "ok" else " ".join(found.split())

    def orphan_clips(self) -> list[int]:
        return [r[0] for r in self.db.execute("select id from clips where video_id not in (select id from videos)")]

    def nearest(self, query: np.ndarray, n: int) -> tuple[list[Neighbour], bool]:
        """The `n` clips whose vectors score highest against `query`, best first, and whether the index holds more."""
        scores, ids, _, more = self.nearest_ids(query, n)
        rows = self.clip_rows([int(i) for i in ids])
        found = [Neighbour(float(s), rows[int(i)]) for s, i in zip(scores, ids, strict=True) if int(i) in rows]
        return found, more

    def nearest_ids(self, query: np.ndarray, n: int, skip=()) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """Scores, ids and video ids of the `n` best clips but those in `skip`, best first, and whether the index
        holds more.

        The index is held open by the process and follows the catalogue's generation (vector_index.HeldIndex).
        """
        skip = np.unique(np.asarray(skip, np.int64))
        index = vector_index.held(self.home.index_dir)
        while True:
            scores, ids, size = index.search(self.db, query, n, skip)
            recorded, videos = vector_check.recorded_with_videos(self.db, ids)
            # A damaged row's score is whatever its bytes make it.
            intact = vector_check.intact(self.db, self.vector_rows(), ids, recorded)
            if intact.all():
                return scores, ids, videos, size - len(skip) > n
            # Asked again without them: damaged rows that score above every clip must not crowd the answer out.
            skip = np.union1d(skip, ids[~intact])

    def vector_count(self) -> int:
        """Clips the current index state holds: its segments' less those dropped, and the fresh ones."""
        state = self.index_state()
        one = self.db.execute
        fresh = one("select count(*) from clips where id >= ?", [state.covered]).fetchone()[0]
        dropped = one("select count(*) from dropped_clips where id < ?", [state.covered]).fetchone()[0]
        return sum(s.size for s in state.segments) - dropped + fresh

    def index_bytes(self) -> int:
        """Bytes of the index files: the float16 rows and the current segments."""
        state = self.index_state()
        names = [s.file for s in state.segments] + [p.name for p in self.home.index_dir.glob("rows-*.f16")]
        return sum((self.home.index_dir / name).stat().st_size for name in names)
