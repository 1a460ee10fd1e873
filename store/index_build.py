"""The writer's side of the index: carry out the step segments.py chose, writing new files, never changing one.

Nothing here touches SQLite: the caller commits the returned state (and forgets the purged dropped ids) in one
transaction, then calls `forget_leftovers`. Until that commit, readers and the next writer see the old state,
and the files written meanwhile are leftovers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from . import ann
from .segments import IndexState, Segment, Step, full_tier, next_step
from .vector_rows import VectorRows

# Vectors read and added at a time while building: 128 MB of float32 at 512-d.
BATCH = 65_536


class LiveClips(Protocol):
    def ids(self, lo: int = 0) -> np.ndarray:
        """Sorted ids of the clips that exist, from `lo` on."""
        ...


@dataclass(frozen=True)
class Saved:
    state: IndexState
    purged: np.ndarray  # dropped ids that no segment holds any more
    bytes_written: int
    step: Step


def trained_file(state: IndexState) -> str:
    return f"trained-{state.trained_for}.faiss"


def save(folder: Path, rows: VectorRows, state: IndexState, live: LiveClips, dropped: np.ndarray, threshold: int):
    """Bring the index files up to date with the clips that exist; returns the state to commit."""
    dropped = np.asarray(dropped, np.int64)
    covered_dropped = dropped[dropped < state.covered]
    fresh = live.ids(state.covered)
    everything = None
    if not state.trained_for:
        everything = live.ids()
    count = len(everything) if everything is not None else _live_count(state, fresh, covered_dropped)
    step = next_step(state, count, len(fresh), len(covered_dropped), threshold)
    builder = _Builder(folder, rows, state)
    if step is Step.EXACT:
        builder.state = replace(state, trained_for=0, segments=())
    elif step is Step.BUILD:
        builder.build(everything if everything is not None else live.ids())
    elif step is Step.COMPACT:
        builder.compact(covered_dropped)
        if len(fresh):
            builder.flush(fresh, np.zeros(0, np.int64), threshold)
    elif step is Step.FLUSH:
        builder.flush(fresh, covered_dropped, threshold)
    if step is Step.NOTHING:
        # Ids dropped from the fresh part were never in a segment: nothing needs to remember them.
        return Saved(state, dropped[dropped >= state.covered], 0, step)
    kept = builder.still_held(dropped)
    return Saved(builder.state, np.setdiff1d(dropped, kept), builder.written, step)


def _live_count(state: IndexState, fresh: np.ndarray, dropped: np.ndarray) -> int:
    return sum(s.size for s in state.segments) - len(dropped) + len(fresh)


class _Builder:
    def __init__(self, folder: Path, rows: VectorRows, state: IndexState):
        self.folder, self.rows, self.state = folder, rows, state
        self.old = {s.file for s in state.segments}
        self.written = 0

    def _write(self, index, lo: int, hi: int) -> Segment:
        name, self.state = self.state.next_file(lo, hi)
        self.written += ann.save(index, self.folder / name)
        return Segment(name, lo, hi, int(index.ntotal))

    def build(self, ids: np.ndarray) -> None:
        """Learn lists from a sample of the library, then encode it all into one segment."""
        sample = np.sort(np.random.default_rng(0).choice(len(ids), ann.training_size(len(ids)), replace=False))
        index = ann.trained(self.rows.read(ids[sample]), ann.lists_for(len(ids)))
        self.state = replace(self.state, trained_for=len(ids))
        self.written += ann.save(index, self.folder / trained_file(self.state))
        for at in range(0, len(ids), BATCH):
            ann.add(index, ids[at : at + BATCH], self.rows.read(ids[at : at + BATCH]))
        segment = self._write(index, 0, self.state.rows)  # before replace(): _write moves self.state on
        self.state = replace(self.state, segments=(segment,))

    def compact(self, dropped: np.ndarray) -> None:
        merged = self._merge(self.state.segments, dropped)
        self.state = replace(self.state, segments=(merged,))

    def flush(self, fresh: np.ndarray, dropped: np.ndarray, threshold: int) -> None:
        """The fresh clips become a segment; then each tier that fills up is merged into one of the next."""
        index = ann.load(self.folder / trained_file(self.state))
        ann.add(index, fresh, self.rows.read(fresh))
        segment = self._write(index, self.state.covered, self.state.rows)
        self.state = replace(self.state, segments=(*self.state.segments, segment))
        while (run := full_tier(self.state.segments, threshold)) is not None:
            start, end = run
            merged = self._merge(self.state.segments[start:end], dropped)
            segments = self.state.segments
            self.state = replace(self.state, segments=(*segments[:start], merged, *segments[end:]))

    def _merge(self, segments: tuple[Segment, ...], dropped: np.ndarray) -> Segment:
        lo, hi = segments[0].lo, segments[-1].hi
        index = ann.merged([ann.load(self.folder / s.file) for s in segments])
        ann.remove(index, dropped[(dropped >= lo) & (dropped < hi)])
        return self._write(index, lo, hi)

    def still_held(self, dropped: np.ndarray) -> np.ndarray:
        """The dropped ids that segments written before they left still hold; the others can be forgotten."""
        held = dropped < self.state.covered
        for s in self.state.segments:
            if s.file not in self.old:
                held &= (dropped < s.lo) | (dropped >= s.hi)
        return dropped[held]


def forget_leftovers(folder: Path, state: IndexState) -> None:
    """Delete index files the committed `state` does not name: superseded segments, and what a crash left."""
    keep = {s.file for s in state.segments} | ({trained_file(state)} if state.trained_for else set())
    # vectors-*.faiss: the single index file of vidx before segments (migration m003).
    for path in [*folder.glob("ann-*.faiss*"), *folder.glob("trained-*.faiss*"), *folder.glob("vectors-*.faiss*")]:
        if path.name not in keep:
            path.unlink(missing_ok=True)
