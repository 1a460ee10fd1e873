"""Which index files are current, and what the next save should do with them: the policy, without any I/O.

The index is a few immutable segments, as Lucene keeps it: each covers a range of clip ids [lo, hi) and holds the
approximate codes of the clips of that range that lived when it was written. Clips past the last segment are the
fresh part, scored exactly from their float16 rows. A clip that leaves is only recorded as dropped (SQLite does
it, by trigger); the segment holding it skips it at search time until the segment is written again without it.

A segment's codes are made with some lists (coarse centres and codebooks, learnt from a sample of vectors). Segments
made with the same lists are searched with one coarse search and merge by concatenating their lists. Lists are
learnt anew only where the vectors call for it: when fresh clips lie far from the centres of the main lists
(drift), and when a merge makes a segment that has outgrown its lists or joins segments of different lists.

The state is a small JSON value kept in SQLite and committed with the rows it describes, so the catalogue's
generation says which files are current. Files are written under new names before that commit; a file no
committed state names is left over from a crash and is deleted by the next writer.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum

from . import ann

# Fresh clips are scored exactly: up to this many, about a millisecond a query.
FRESH_MAX = 10_000
# Segments of one tier (a size within a factor MERGE_FACTOR) are merged once there are MERGE_FACTOR of them, so
# a clip is rewritten about log8(n / FRESH_MAX) times in its life and a query meets at most ~7 segments a tier.
MERGE_FACTOR = 8
# A merge keeps its segments' lists until the merged segment holds this many times the vectors they were learnt
# from; then the lists are learnt again, for the size (ann.lists_for).
RETRAIN_GROWTH = 4
# Vectors have drifted from lists when their mean distance to the nearest centre (1 - cosine) passes DRIFT times
# the distance of the vectors the lists were learnt from, or their mean cosine to it falls under DRIFT_SHARE of
# theirs. Clips of the same kinds of footage stay well within both; new kinds of footage, or the synthetic walks
# of benchmarks/scale.py (each video a new region of the space), are far past one. The distance sees drift from
# lists that fit closely (cosine 0.8: drifted under 0.7); the share, from lists that fit loosely, as the 8,192
# lists learnt from 5 million synthetic clips do (cosine 0.42: the distance alone would wait for 0.13, and clips
# far from every centre measure 0.17 there, so they took those lists and were found with recall 0.35 at 10M).
DRIFT = 1.5
DRIFT_SHARE = 0.5
# Fewer clips than this are too few to learn lists from: they take the main lists whatever their fit.
LEARN_MIN = 256
# A segment is written again without its dropped clips once this share of it has left.
DROPPED_SHARE = 0.2
# The float16 rows of clips that left are given back to the file system once they are this share of the rows
# the files hold (vector_rows.VectorRows.reclaim).
DEAD_ROWS_SHARE = 0.2


@dataclass(frozen=True)
class Lists:
    """An empty IVF-PQ index in `file`: centres and codebooks learnt from `learnt_from` vectors, whose mean cosine
    to their nearest centre is `fit` (0 when not measured: an index made before drift was watched)."""

    file: str
    learnt_from: int
    fit: float = 0.0
    crc: int = 0  # CRC-32 of the file as written (checksums.py); 0 in a state written before vidx recorded it

    def drifted(self, fit: float) -> bool:
        """Whether vectors of mean cosine `fit` to these centres lie too far from them (see DRIFT)."""
        return self.fit > 0 and (1 - fit > DRIFT * (1 - self.fit) or fit < DRIFT_SHARE * self.fit)


@dataclass(frozen=True)
class Segment:
    file: str
    lo: int
    hi: int
    size: int  # vectors written into it
    lists: str = ""  # the Lists file its codes were made with
    crc: int = 0  # as Lists.crc


@dataclass(frozen=True)
class IndexState:
    dim: int = 0
    rows: int = 1  # the next clip's id: ids start at 1 as SQLite's rowids do, and row 0 stays unused
    segments: tuple[Segment, ...] = field(default_factory=tuple)
    lists: tuple[Lists, ...] = field(default_factory=tuple)  # those the segments use
    made: int = 0  # index files made so far, which names the next one
    reclaimed: int = 0  # rows of clips that left whose space was given back to the file system

    @property
    def covered(self) -> int:
        """Clip ids below this are in segments; the rest are fresh."""
        return self.segments[-1].hi if self.segments else 0

    @property
    def kind(self) -> str:
        return "approximate" if self.segments else "exact"

    @property
    def main(self) -> Lists:
        """The lists learnt from the most vectors: fresh clips take them unless they have drifted from them."""
        return max(self.lists, key=lambda lists: lists.learnt_from)

    def lists_named(self, file: str) -> Lists:
        return next(lists for lists in self.lists if lists.file == file)

    def as_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> IndexState:
        if not text:
            return cls()
        data = json.loads(text)
        # The first segmented index had one set of lists, named by the clip count it was learnt at.
        trained_for = data.pop("trained_for", 0)
        if trained_for and "lists" not in data:
            data["lists"] = [{"file": f"trained-{trained_for}.faiss", "learnt_from": trained_for}]
            data["segments"] = [{**s, "lists": f"trained-{trained_for}.faiss"} for s in data["segments"]]
        known = {f.name for f in fields(cls)}
        data = {key: value for key, value in data.items() if key in known}
        lists = tuple(Lists(**x) for x in data.pop("lists", ()))
        segments = tuple(Segment(**s) for s in data.pop("segments", ()))
        return cls(**data, segments=segments, lists=lists)

    def next_segment(self, lo: int, hi: int) -> tuple[str, IndexState]:
        return f"ann-{self.made:06d}-{lo}-{hi}.faiss", replace(self, made=self.made + 1)

    def next_lists(self) -> tuple[str, IndexState]:
        return f"lists-{self.made:06d}.faiss", replace(self, made=self.made + 1)

    def using(self, segments: tuple[Segment, ...], new_lists: tuple[Lists, ...] = ()) -> IndexState:
        """This state with `segments`, keeping only the lists some segment uses."""
        used = {s.lists for s in segments}
        return replace(self, segments=segments, lists=tuple(x for x in (*self.lists, *new_lists) if x.file in used))


class Step(Enum):
    NOTHING = "nothing"
    EXACT = "exact"  # drop every segment: the library is small enough to scan
    BUILD = "build"  # learn lists from the library as it is now and write it as one segment
    FLUSH = "flush"  # write the fresh clips as a new segment, then merge tiers that filled up
    COMPACT = "compact"  # write segments again without the clips that left


def kind_for(live: int, threshold: int, dim: int) -> str:
    # Below MIN_TRAINING vectors there is nothing to learn lists or codes from, whatever index.ann_threshold says.
    return "approximate" if live >= max(threshold, ann.MIN_TRAINING) and ann.supported(dim) else "exact"


def fresh_max(threshold: int) -> int:
    """Fresh clips allowed before a flush; a low `threshold` (tests) flushes sooner."""
    return max(1, min(FRESH_MAX, threshold // 10))


def next_step(state: IndexState, live: int, fresh: int, threshold: int) -> Step:
    """What a writer does when it saves, given `live` clips of which `fresh` are past the segments."""
    if kind_for(live, threshold, state.dim) == "exact":
        return Step.EXACT if state.segments else Step.NOTHING
    if not state.segments:
        return Step.BUILD
    if fresh >= fresh_max(threshold):
        return Step.FLUSH
    return Step.NOTHING


def to_compact(segments: tuple[Segment, ...], dropped_in: list[int]) -> list[int]:
    """Positions of the segments that `dropped_in` (each one's count of dropped clips) says to write again."""
    return [i for i, (s, gone) in enumerate(zip(segments, dropped_in, strict=True)) if gone > DROPPED_SHARE * s.size]


def tier(segment: Segment, threshold: int) -> int:
    return int(math.log(max(1, segment.size) / fresh_max(threshold), MERGE_FACTOR)) if segment.size else 0


def full_tier(segments: tuple[Segment, ...], threshold: int) -> tuple[int, int] | None:
    """The newest run of MERGE_FACTOR segments of one tier, as (start, end) positions, if there is one."""
    if len(segments) < MERGE_FACTOR:
        return None
    newest = segments[-MERGE_FACTOR:]
    level = tier(newest[0], threshold)
    return (len(segments) - MERGE_FACTOR, len(segments)) if all(tier(s, threshold) == level for s in newest) else None


def keeps_lists(state: IndexState, run: tuple[Segment, ...]) -> bool:
    """Whether merging `run` can concatenate its lists as they are: one set of lists, not outgrown."""
    names = {s.lists for s in run}
    if len(names) != 1:
        return False
    return sum(s.size for s in run) <= RETRAIN_GROWTH * state.lists_named(names.pop()).learnt_from


def rows_to_reclaim(state: IndexState, live: int) -> bool:
    """Whether the rows of clips that left, not yet given back, are DEAD_ROWS_SHARE of the rows the files hold."""
    held = state.rows - 1 - state.reclaimed
    return held > 0 and held - live > DEAD_ROWS_SHARE * held
