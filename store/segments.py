"""Which index files are current, and what the next flush should do with them: the policy, without any I/O.

The index is a few immutable segments, as Lucene keeps it: each covers a range of clip ids [lo, hi) and holds the
approximate codes of the clips of that range that lived when it was written. Clips past the last segment are the
fresh part, scored exactly from their float16 rows. A clip that leaves is only recorded as dropped (SQLite does
it, by trigger); the segment holding it skips it at search time until a merge writes the segment again without it.

The state is a small JSON value kept in SQLite and committed with the rows it describes, so the catalogue's
generation says which files are current. Files are written under new names before that commit; a file no
committed state names is left over from a crash and is deleted by the next writer.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from enum import Enum

from . import ann

# Fresh clips are scored exactly: up to this many, at most ~1 ms a query.
FRESH_MAX = 10_000
# Segments of one tier (a size within a factor MERGE_FACTOR) are merged once there are MERGE_FACTOR of them, so
# a clip is rewritten about log8(n / FRESH_MAX) times in its life and a query meets at most ~7 segments a tier.
MERGE_FACTOR = 8
# The lists are learnt again once the library has grown this much since: sqrt(n) lists then doubled.
RETRAIN_GROWTH = 4
# Segments are compacted (merged into one without their dropped clips) once this share of what they hold left.
DROPPED_SHARE = 0.2


@dataclass(frozen=True)
class Segment:
    file: str
    lo: int
    hi: int
    size: int  # vectors written into it


@dataclass(frozen=True)
class IndexState:
    dim: int = 0
    rows: int = 1  # the next clip's id: ids start at 1 as SQLite's rowids do, and row 0 stays unused
    trained_for: int = 0  # live clips when the lists were learnt; 0 while the index is exact
    segments: tuple[Segment, ...] = field(default_factory=tuple)
    made: int = 0  # segment files made so far, which names the next one

    @property
    def covered(self) -> int:
        """Clip ids below this are in segments; the rest are fresh."""
        return self.segments[-1].hi if self.segments else 0

    @property
    def kind(self) -> str:
        return "approximate" if self.segments else "exact"

    def as_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> IndexState:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(**{**data, "segments": tuple(Segment(**s) for s in data["segments"])})

    def next_file(self, lo: int, hi: int) -> tuple[str, IndexState]:
        return f"ann-{self.made:06d}-{lo}-{hi}.faiss", replace(self, made=self.made + 1)


class Step(Enum):
    NOTHING = "nothing"
    EXACT = "exact"  # drop every segment: the library is small enough to scan
    BUILD = "build"  # learn the lists from the library as it is now and write it as one segment
    FLUSH = "flush"  # write the fresh clips as a new segment, then merge tiers that filled up
    COMPACT = "compact"  # merge every segment into one, without the clips that left


def kind_for(live: int, threshold: int, dim: int) -> str:
    # Below MIN_TRAINING vectors there is nothing to learn lists or codes from, whatever index.ann_threshold says.
    return "approximate" if live >= max(threshold, ann.MIN_TRAINING) and ann.supported(dim) else "exact"


def fresh_max(threshold: int) -> int:
    """Fresh clips allowed before a flush; a low `threshold` (tests) flushes sooner."""
    return max(1, min(FRESH_MAX, threshold // 10))


def next_step(state: IndexState, live: int, fresh: int, dropped: int, threshold: int) -> Step:
    """What a writer does when it saves, given `live` clips of which `fresh` are past the segments, and `dropped`
    clips that left but are still in segments."""
    if kind_for(live, threshold, state.dim) == "exact":
        return Step.EXACT if state.segments else Step.NOTHING
    if not state.trained_for or live > RETRAIN_GROWTH * state.trained_for:
        return Step.BUILD
    if dropped > DROPPED_SHARE * sum(s.size for s in state.segments):
        return Step.COMPACT
    if fresh >= fresh_max(threshold):
        return Step.FLUSH
    return Step.NOTHING


def tier(segment: Segment, threshold: int) -> int:
    return int(math.log(max(1, segment.size) / fresh_max(threshold), MERGE_FACTOR)) if segment.size else 0


def full_tier(segments: tuple[Segment, ...], threshold: int) -> tuple[int, int] | None:
    """The newest run of MERGE_FACTOR segments of one tier, as (start, end) positions, if there is one."""
    if len(segments) < MERGE_FACTOR:
        return None
    newest = segments[-MERGE_FACTOR:]
    level = tier(newest[0], threshold)
    return (len(segments) - MERGE_FACTOR, len(segments)) if all(tier(s, threshold) == level for s in newest) else None
