"""The writer's side of the index: carry out what segments.py decides, writing new files, never changing one.

Nothing here touches SQLite: the caller commits the returned state (and forgets the purged dropped ids) in one
transaction, then calls `forget_leftovers`. Until that commit, readers and the next writer see the old state,
and the files written meanwhile are leftovers. Giving back the space of dead rows writes nothing a reader of
the old state could read: those rows belong to clips that left in commits made before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from vidx.errors import IndexFileDamaged

from . import ann, checksums
from .segments import (
    LEARN_MIN,
    RETRAIN_GROWTH,
    IndexState,
    Lists,
    Segment,
    Step,
    full_tier,
    keeps_lists,
    next_step,
    rows_to_reclaim,
    to_compact,
)
from .vector_rows import VectorRows

# Vectors read and added at a time: 128 MB of float32 at 512-d.
BATCH = 65_536
# Vectors a drift check measures: the mean cosine of 20,000 is known to about 0.001.
FIT_SAMPLE = 20_000


class LiveClips(Protocol):
    def ids(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Sorted ids of the clips that exist, in [lo, hi)."""
        ...


@dataclass(frozen=True)
class Saved:
    state: IndexState
    purged: np.ndarray  # dropped ids that no segment holds any more
    bytes_written: int
    step: Step
    learnt: int = 0  # sets of lists learnt anew


def save(folder: Path, rows: VectorRows, state: IndexState, live: LiveClips, dropped: np.ndarray, threshold: int):
    """Bring the index files up to date with the clips that exist; returns the state to commit."""
    dropped = np.asarray(dropped, np.int64)
    covered_dropped = dropped[dropped < state.covered]
    fresh = live.ids(state.covered)
    everything = None if state.segments else live.ids()
    if everything is not None:
        count = len(everything)
    else:
        count = sum(s.size for s in state.segments) - len(covered_dropped) + len(fresh)
    step = next_step(state, count, len(fresh), threshold)
    builder = _Builder(folder, rows, state, live)
    if step is Step.EXACT:
        builder.state = state.using(())
    elif step is Step.BUILD:
        builder.build(everything if everything is not None else live.ids())
    elif state.segments:
        held = [int(((covered_dropped >= s.lo) & (covered_dropped < s.hi)).sum()) for s in state.segments]
        compacting = to_compact(state.segments, held)
        if compacting:
            builder.compact(compacting, covered_dropped)
            step = Step.COMPACT if step is Step.NOTHING else step
        if step is Step.FLUSH:
            builder.flush(fresh, covered_dropped, threshold)
    if rows_to_reclaim(builder.state, count):
        rows.reclaim(live.ids(), builder.state.rows)
        builder.state = replace(builder.state, reclaimed=builder.state.rows - 1 - count)
    if step is Step.NOTHING:
        # Ids dropped from the fresh part were never in a segment: nothing needs to remember them.
        return Saved(builder.state, dropped[dropped >= state.covered], 0, step)
    kept = builder.still_held(dropped)
    return Saved(builder.state, np.setdiff1d(dropped, kept), builder.written, step, builder.learnt)


def _sample(ids: np.ndarray, n: int) -> np.ndarray:
    if len(ids) <= n:
        return ids
    return np.sort(np.random.default_rng(0).choice(ids, n, replace=False))


class _Builder:
    def __init__(self, folder: Path, rows: VectorRows, state: IndexState, live: LiveClips):
        self.folder, self.rows, self.state, self.live = folder, rows, state, live
        self.old = {s.file for s in state.segments}
        self.written = 0
        self.learnt = 0

    def _set(self, segments: tuple[Segment, ...]) -> None:
        self.state = self.state.using(segments)

    def _write(self, index: faiss.IndexIVFPQ, lo: int, hi: int, lists: str) -> Segment:
        name, self.state = self.state.next_segment(lo, hi)
        self.written += ann.save(index, self.folder / name)
        return Segment(name, lo, hi, int(index.ntotal), lists, checksums.file_crc(self.folder / name))

    def _learn(self, ids: np.ndarray) -> str:
        """Lists learnt from a sample of the clips `ids`, for as many clips; returns their file's name. Lists that
        will be the main ones learn their codebooks too; others take the main lists' codebooks."""
        main = self.state.main if self.state.lists else None
        codebooks = ann.load(self.folder / main.file) if main and len(ids) <= main.learnt_from else None
        sample = self.rows.read(_sample(ids, ann.training_size(len(ids), codebooks is None)))
        index = ann.trained(sample, ann.lists_for(len(ids)), codebooks)
        name, self.state = self.state.next_lists()
        self.written += ann.save(index, self.folder / name)
        crc = checksums.file_crc(self.folder / name)
        lists = Lists(name, len(ids), round(ann.fit(index, sample[:FIT_SAMPLE]), 6), crc)
        self.state = replace(self.state, lists=(*self.state.lists, lists))
        self.learnt += 1
        return name

    def _encode(self, lists: str, ids: np.ndarray, lo: int, hi: int) -> Segment:
        """The clips `ids` coded with `lists`, as a segment covering [lo, hi)."""
        index = ann.load(self.folder / lists, self.state.lists_named(lists).crc)
        for at in range(0, len(ids), BATCH):
            ann.add(index, ids[at : at + BATCH], self.rows.read(ids[at : at + BATCH]))
        return self._write(index, lo, hi, lists)

    def _suited(self, ids: np.ndarray) -> str:
        """The main lists if the clips `ids` fit them and have not outgrown them, else lists learnt for them."""
        main = self.state.main
        if len(ids) < LEARN_MIN:
            return main.file
        if len(ids) <= RETRAIN_GROWTH * main.learnt_from:
            lists = ann.load(self.folder / main.file, main.crc)
            measured = ann.fit(lists, self.rows.read(_sample(ids, FIT_SAMPLE)))
            if not main.drifted(measured):
                return main.file
        return self._learn(ids)

    def build(self, ids: np.ndarray) -> None:
        """Learn lists from a sample of the library, then code it all into one segment."""
        self._set((self._encode(self._learn(ids), ids, 0, self.state.rows),))

    def compact(self, positions: list[int], dropped: np.ndarray) -> None:
        """The segments at `positions` written again without their dropped clips (no coding again)."""
        segments = list(self.state.segments)
        for i in positions:
            s = segments[i]
            index = ann.load(self.folder / s.file, s.crc)
            ann.remove(index, dropped[(dropped >= s.lo) & (dropped < s.hi)])
            segments[i] = self._write(index, s.lo, s.hi, s.lists)
        self._set(tuple(segments))

    def flush(self, fresh: np.ndarray, dropped: np.ndarray, threshold: int) -> None:
        """The fresh clips become a segment; then each tier that fills up is merged into one of the next."""
        segment = self._encode(self._suited(fresh), fresh, self.state.covered, self.state.rows)
        self._set((*self.state.segments, segment))
        while (run := full_tier(self.state.segments, threshold)) is not None:
            start, end = run
            merged = self._merge(self.state.segments[start:end], dropped)
            segments = self.state.segments
            self._set((*segments[:start], merged, *segments[end:]))

    def _merge(self, run: tuple[Segment, ...], dropped: np.ndarray) -> Segment:
        """One segment for `run`: its lists concatenated when they are one set that still suits the size, else
        its live clips coded again with lists that suit them."""
        lo, hi = run[0].lo, run[-1].hi
        if keeps_lists(self.state, run):
            index = ann.merged([ann.load(self.folder / s.file, s.crc) for s in run])
            ann.remove(index, dropped[(dropped >= lo) & (dropped < hi)])
            return self._write(index, lo, hi, run[0].lists)
        ids = self.live.ids(lo, hi)
        return self._encode(self._suited(ids), ids, lo, hi)

    def still_held(self, dropped: np.ndarray) -> np.ndarray:
        """The dropped ids that segments written before they left still hold; the others can be forgotten."""
        held = dropped < self.state.covered
        for s in self.state.segments:
            if s.file not in self.old:
                held &= (dropped < s.lo) | (dropped >= s.hi)
        return dropped[held]


def files_named(state: IndexState) -> dict[str, int]:
    """The index files a committed `state` uses, each with its checksum (0: not recorded)."""
    return {s.file: s.crc for s in state.segments} | {x.file: x.crc for x in state.lists}


@dataclass(frozen=True)
class FileCheck:
    state: IndexState  # with the checksum of each file it names
    missing: list[str]  # names
    damaged: list[str]  # what is wrong with each, in a sentence


def check_files(folder: Path, state: IndexState) -> FileCheck:
    """Whether each file `state` names is there and is what was written. A file written before vidx recorded
    checksums is read through once with FAISS instead, and the returned state carries its checksum from then on."""
    missing, damaged, sums = [], [], {}
    for name, crc in sorted(files_named(state).items()):
        try:
            if not crc:
                ann.load(folder / name, mapped=True)
            sums[name] = checksums.file_crc(folder / name)
        except FileNotFoundError:
            missing.append(name)
        except IndexFileDamaged as e:
            damaged.append(str(e))
        if crc and sums.get(name, crc) != crc:
            damaged.append(str(IndexFileDamaged(folder / name, ann.CHECKSUM_DIFFERS)))
    segments = tuple(replace(s, crc=sums.get(s.file, s.crc)) for s in state.segments)
    lists = tuple(replace(x, crc=sums.get(x.file, x.crc)) for x in state.lists)
    return FileCheck(replace(state, segments=segments, lists=lists), missing, damaged)


def leftovers(folder: Path, state: IndexState) -> list[Path]:
    """Index files the committed `state` does not name: superseded segments and lists, and what a crash or a full
    disk left (temporary files among them)."""
    keep = files_named(state)
    # trained-*.faiss: lists before they were named by the state; vectors-*.faiss: the single index file of vidx
    # before segments (migration m003); rows-*.f16.sparse: a row file's copy without its holes (holes.py).
    patterns = ("ann-*.faiss*", "lists-*.faiss*", "trained-*.faiss*", "vectors-*.faiss*", "rows-*.f16.sparse")
    return sorted(path for pattern in patterns for path in folder.glob(pattern) if path.name not in keep)


def forget_leftovers(folder: Path, state: IndexState) -> None:
    """Delete the `leftovers`."""
    for path in leftovers(folder, state):
        path.unlink(missing_ok=True)
