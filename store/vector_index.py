"""The vector index kept in step with SQLite: what the writer does around its commits, and what readers hold open.

SQLite stays the truth of which clips exist and which index state is current (its meta row `vector_index`,
committed with the clips it describes, under the catalogue's generation). A clip's vector is its float16 row,
written and fsynced before the commit that creates the clip; dropping a clip records its id in `dropped_clips`
(a trigger, so every way of deleting clips does it). `kill -9` anywhere leaves files that are either named by the
committed state or are leftovers, which the next writer deletes: there is nothing to heal by rebuilding.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from vidx.errors import IndexFileDamaged

from . import damage, index_build
from .index_reader import OpenIndex
from .segments import IndexState
from .vector_rows import VectorRows

STATE_KEY = "vector_index"


def read_state(db) -> IndexState:
    row = db.execute("select value from meta where key = ?", [STATE_KEY]).fetchone()
    return IndexState.from_json(row[0] if row else None)


def clip_ids(db, lo: int = 0, hi: int | None = None) -> np.ndarray:
    rows = db.execute(
        "select id from clips where id >= ? and id < ? order by id", [lo, 2**63 - 1 if hi is None else hi]
    )
    return np.fromiter((r[0] for r in rows), np.int64)


def dropped_ids(db, below: int) -> np.ndarray:
    rows = db.execute("select id from dropped_clips where id < ? order by id", [below])
    return np.array([r[0] for r in rows], np.int64)


class _Live:
    def __init__(self, db):
        self.db = db

    def ids(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        return clip_ids(self.db, lo, hi)


class IndexWriter:
    """The writer's half: rows for new clips before each commit, the index files brought up to date at saves."""

    def __init__(self, db, folder: Path, threshold: int):
        self.db, self.folder, self.threshold = db, folder, threshold
        self.state = read_state(db)
        index_build.forget_leftovers(folder, self.state)
        self.rows = VectorRows(folder, self.state.dim) if self.state.dim else None
        # A file the state names is gone (deleted by hand, lost with a disk) or damaged: the first save builds anew.
        # That save commits the state even when it writes nothing, so that checksums first taken here are kept.
        found = index_build.check_files(folder, self.state)
        for said in found.damaged:
            damage.tell(f"{said}; building the index again from the vector rows")
        self.lost = found.state != self.state
        self.state = found.state
        if found.missing or found.damaged:
            self.lost = True
            self.rebuild()

    def reserve(self, vectors: np.ndarray) -> tuple[list[int], IndexState]:
        """Write `vectors` as the rows of new clips; returns their ids and the state to commit with them.

        The rows are durable before the clips exist; if the commit never comes they are overwritten later.
        """
        vectors = np.asarray(vectors, np.float32).reshape(len(vectors), -1)
        state = self.state if self.state.dim else replace(self.state, dim=vectors.shape[1])
        if self.rows is None or self.rows.dim != state.dim:
            self.rows = VectorRows(self.folder, state.dim)
        self.rows.write(state.rows, vectors)
        first = state.rows
        return list(range(first, first + len(vectors))), replace(state, rows=first + len(vectors))

    def committed(self, state: IndexState) -> None:
        self.state = state

    def save(self, commit: Callable[[IndexState, np.ndarray], None], force: bool = False) -> index_build.Saved | None:
        """Bring the index files up to date; `commit(state, purged)` records the result in one transaction
        (with `force`, even when nothing was written: `rebuild` then takes effect)."""
        if self.rows is None:
            return None
        dropped = dropped_ids(self.db, self.state.rows)
        try:
            saved = index_build.save(self.folder, self.rows, self.state, _Live(self.db), dropped, self.threshold)
            if force or self.lost or saved.state != self.state or saved.purged.size:
                commit(saved.state, saved.purged)
                self.lost = False
                self.state = saved.state
        finally:
            # The files of a state that was never committed (the disk filled up half-way) go now, not at the next run.
            index_build.forget_leftovers(self.folder, self.state)
        return saved

    def rebuild(self) -> None:
        """Forget the segments, so that the next save builds the kind the library's size calls for anew."""
        self.state = self.state.using(())


def version(db) -> tuple:
    """What changes whenever the clips do: the generation, and the index state (a home made again from nothing
    counts generations anew)."""
    return tuple(sorted(db.execute("select key, value from meta where key in ('generation', ?)", [STATE_KEY])))


class HeldIndex:
    """One home's index, held open by a process between queries and brought up to date when the generation moves.

    Shared by every thread of the process (a Library's catalogues, `vidx serve`'s connections): at 10M clips
    its codes are most of a gigabyte.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.generation: tuple | None = None
        self.index = OpenIndex(folder)
        self.lock = threading.Lock()

    def search(
        self, db, query: np.ndarray, n: int, skip: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Exact scores and ids of the best `n` clips but those in `skip`, and how many clips the index holds."""
        with self.lock:
            while True:
                with snapshot(db):
                    generation = version(db)
                    if generation != self.generation:
                        self._refresh(db, generation)
                if self.index.size == 0:
                    return np.zeros(0, np.float32), np.zeros(0, np.int64), 0
                try:
                    scores, ids = self.index.search(query, n, skip)
                    return scores, ids, self.index.size
                except IndexFileDamaged:
                    self.generation = None  # refreshed without the segment it found damaged, and searched again

    def _refresh(self, db, generation: tuple) -> None:
        def live(lo: int, hi: int) -> np.ndarray:
            return clip_ids(db, lo, hi)

        for attempt in range(5):
            state = read_state(db)
            try:
                found = self.index.refresh(state, clip_ids(db, state.covered), dropped_ids(db, state.covered), live)
                break
            except FileNotFoundError:
                # A writer replaced a segment between reading the state and opening it: read the state again.
                if attempt == 4:
                    raise
        for damaged in found:
            damage.tell(f"{damaged}; searching without it until vidx index or vidx doctor --repair builds it again")
        self.generation = generation


@contextlib.contextmanager
def snapshot(db) -> Iterator[None]:
    """Reads that see one committed state of the catalogue, whatever a writer commits meanwhile."""
    conn = getattr(db, "conn", db)
    if conn.in_transaction:
        yield
        return
    conn.execute("begin")
    try:
        yield
    finally:
        conn.execute("rollback")


_held: dict[Path, HeldIndex] = {}
_held_lock = threading.Lock()


def held(folder: Path) -> HeldIndex:
    with _held_lock:
        return _held.setdefault(folder, HeldIndex(folder))


def release(folder: Path) -> None:
    with _held_lock:
        _held.pop(folder, None)
