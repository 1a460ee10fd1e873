"""The reader's side of the index, held open between queries and brought up to date when the generation moves.

Segments are immutable, so a reader keeps those it has loaded and reads only the files that are new to it. The
fresh clips are kept as float32 in memory and scored exactly; segment candidates are re-scored exactly from the
float16 rows, so every score a query returns is the exact inner product of the stored (float16) vectors. A segment
FAISS cannot read, that fails its checksum or that gives ids outside its range is searched without: its clips are
scored exactly from their rows too, slower but the same answer.

A segment is read through once, to compare its checksum, when a reader first maps it: damage inside it (codes,
ids, list centres) would otherwise hide the true neighbours from the candidates without a word. Each search then
only looks whether the file is still the one it read through (inode, size, mtime and ctime: a write changes them),
and reads it through again if not. A row that is not a number scores nothing: its clip is left out and said to be
damaged (vector_check.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from vidx.errors import IndexFileDamaged

from . import ann, checksums, vector_check
from .segments import IndexState, Segment
from .vector_rows import VectorRows

LiveRange = Callable[[int, int], np.ndarray]

# Candidates the codes put forward for exact re-scoring, at least: past the first few hundred, 4-bit codes over
# lists of similar clips rarely hide a true top-10 neighbour (BENCHMARKS.md, recall at 1M and 10M clips).
RERANKED = 200
# Rows of a damaged segment's clips scored at a time: 64 MB of float32 at 512-d.
EXACT_BATCH = 32_768


class OpenIndex:
    """One state of the index: `refresh` moves it to another, `search` answers from it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.state = IndexState()
        self.rows: VectorRows | None = None
        self._segments: dict[str, faiss.IndexIVFPQ] = {}
        self._dropped = np.zeros(0, np.int64)
        self._fresh_ids = np.zeros(0, np.int64)
        self._fresh = np.zeros((0, 0), np.float32)
        self._exact_ids = np.zeros(0, np.int64)  # the clips of damaged segments
        self._damaged: dict[str, IndexFileDamaged] = {}
        self._read_through: dict[str, tuple[int, ...]] = {}  # segment: the identity of the file its checksum passed
        # The lists the last query probes in each set of lists: a search that widens asks again with the same query.
        self._probed: tuple[bytes, dict[str, tuple[np.ndarray, np.ndarray]]] = (b"", {})

    @property
    def size(self) -> int:
        """Clips this state holds."""
        held = sum(s.size - int(((self._dropped >= s.lo) & (self._dropped < s.hi)).sum()) for s in self._intact())
        return held + len(self._exact_ids) + len(self._fresh_ids)

    def refresh(self, state: IndexState, fresh_ids: np.ndarray, dropped: np.ndarray, live: LiveRange) -> list[str]:
        """Move to `state`, whose fresh clips are `fresh_ids` and whose segments no longer hold `dropped`; `live(lo,
        hi)` gives the ids of the clips in [lo, hi). Returns what it found damaged: a segment FAISS cannot read is
        searched without, its clips scored exactly from their rows, as the fresh ones are.

        Raises FileNotFoundError when a file of `state` is gone: a writer has moved past it meanwhile, and the
        caller reads the state again.
        """
        if self.rows is None or self.rows.dim != state.dim:
            self._fresh_ids, self._fresh = np.zeros(0, np.int64), np.zeros((0, state.dim), np.float32)
        if self.rows is None or self.rows.dim != state.dim or self.state.reclaimed != state.reclaimed:
            # Reclaiming may have put a copy of a rows file in its place (holes.py): map the files again.
            self.rows = VectorRows(self.folder, state.dim)
        loaded: dict[str, faiss.IndexIVFPQ] = {}
        exact, found = [], []
        for s in state.segments:
            try:
                if s.file in self._damaged:  # a file's name is never used again: damaged once, damaged for good
                    raise self._damaged[s.file]
                loaded[s.file] = self._segments.get(s.file) or self._load(s)
            except IndexFileDamaged as e:
                found.append(str(e))
                exact.append(live(s.lo, s.hi))
        fresh_ids = np.asarray(fresh_ids, np.int64)
        kept = np.isin(self._fresh_ids, fresh_ids)
        new = fresh_ids[~np.isin(fresh_ids, self._fresh_ids)]
        self._fresh = np.concatenate([self._fresh[kept], self.rows.read(new)])
        self._fresh_ids = np.concatenate([self._fresh_ids[kept], new])
        self._exact_ids = np.concatenate(exact) if exact else np.zeros(0, np.int64)
        self._segments, self.state = loaded, state
        self._read_through = {name: seen for name, seen in self._read_through.items() if name in loaded}
        self._dropped = np.sort(np.asarray(dropped, np.int64))
        self._probed = (b"", {})  # lists probed in the state before
        return found

    def _load(self, segment: Segment) -> faiss.IndexIVFPQ:
        path = self.folder / segment.file
        try:
            seen = identity(path)
            index = ann.load(path, segment.crc, mapped=True)
        except IndexFileDamaged as e:
            self._damaged[segment.file] = e
            raise
        self._read_through[segment.file] = seen
        return index

    def _check_unchanged(self) -> None:
        """Raise IndexFileDamaged for a loaded segment whose file was written to since its checksum passed (a stat
        a segment; a file that changed is read through again, and one that only looks changed, a copy, passes)."""
        for s in self._intact():
            path = self.folder / s.file
            try:
                now = identity(path)
            except FileNotFoundError:  # a writer moved past it: the mapped file is intact until the next refresh
                continue
            if now == self._read_through.get(s.file):
                continue
            if s.crc and checksums.file_crc(path) != s.crc:
                self._damaged[s.file] = IndexFileDamaged(path, ann.CHECKSUM_DIFFERS)
                raise self._damaged[s.file]
            self._read_through[s.file] = now

    def _intact(self) -> list[Segment]:
        return [s for s in self.state.segments if s.file in self._segments]

    def search(self, query: np.ndarray, n: int, skip: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Exact scores and ids of the `n` best clips for `query` (1-d), best first, leaving out the ids in `skip`
        (sorted)."""
        self._check_unchanged()
        query = np.ascontiguousarray(query, np.float32).reshape(1, -1)
        skip = np.zeros(0, np.int64) if skip is None else np.asarray(skip, np.int64)
        fresh = ~np.isin(self._fresh_ids, skip) if len(skip) else slice(None)
        scores = [scored(self._fresh[fresh], query[0])]
        ids = [self._fresh_ids[fresh]]
        if self.state.segments:
            assert self.rows is not None  # refresh() opened the rows of every state that has segments
            exact = self._exact_ids[~np.isin(self._exact_ids, skip)] if len(skip) else self._exact_ids
            batches = [exact[at : at + EXACT_BATCH] for at in range(0, len(exact), EXACT_BATCH)]
            if self._segments:
                batches.append(self._candidates(query, max(n, RERANKED), skip))
            for some in batches:
                scores.append(scored(self.rows.read(some), query[0]))
                ids.append(some)
        all_scores, all_ids = np.concatenate(scores), np.concatenate(ids)
        finite = np.isfinite(all_scores)
        if not finite.all():  # rows that are not numbers: damage, which would rank above or among every score
            vector_check.tell(self.folder)
            all_scores, all_ids = all_scores[finite], all_ids[finite]
        best = best_first(all_scores, n)
        return all_scores[best], all_ids[best]

    def _candidates(self, query: np.ndarray, n: int, skip: np.ndarray) -> np.ndarray:
        """The ids whose codes score best over all segments; one coarse search serves the segments of one lists."""
        left_out = np.union1d(self._dropped, skip) if len(skip) else self._dropped
        # A search that widens asks again for the same query, and its coarse searches (one a set of lists, the most
        # of a query's time when a library's segments keep lists of their own) would come out the same.
        asked, probed = self._probed
        if asked != query.tobytes():
            probed = {}
            self._probed = (query.tobytes(), probed)
        scores, ids = [], []
        for s in self._intact():
            index = self._segments[s.file]
            if s.lists not in probed:
                probed[s.lists] = ann.coarse(index, query)
            dropped = left_out[(left_out >= s.lo) & (left_out < s.hi)]
            found_scores, found_ids = ann.candidates(index, query, probed[s.lists], n, dropped)
            if ((found_ids < s.lo) | (found_ids >= s.hi)).any():  # FAISS read it, yet its ids are not its own
                self._damaged[s.file] = IndexFileDamaged(self.folder / s.file, "it holds ids outside its range")
                raise self._damaged[s.file]
            scores.append(found_scores)
            ids.append(found_ids)
        all_scores, all_ids = np.concatenate(scores), np.concatenate(ids)
        return np.sort(all_ids[np.argsort(-all_scores)[:n]])


def identity(path: Path) -> tuple[int, ...]:
    """What tells a file written to (in place or replaced) from the one read before, short of reading it."""
    found = os.stat(path)
    return found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns


def best_first(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the `n` highest `scores`, highest first, ties in the order given: what a stable sort of every
    score gives, at the cost of sorting those at or above the n-th (the fresh part is thousands of scores).
    """
    if len(scores) <= n:
        return np.argsort(-scores, kind="stable")
    nth = np.partition(scores, len(scores) - n)[len(scores) - n]
    above = np.flatnonzero(scores >= nth)
    return above[np.argsort(-scores[above], kind="stable")][:n]


def scored(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Inner products of `vectors` [n, dim] with `query`, on this thread: a BLAS product would spread a few hundred
    rows over threads that, on a busy machine, take tens of milliseconds to meet (BENCHMARKS.md)."""
    return np.einsum("ij,j->i", vectors, query)
