"""Near-duplicate videos: the same footage twice, told by runs of matching clips in the same order.

Two videos hold the same footage when a stretch of one matches a stretch of the other clip after clip at one
consistent time offset (another resolution, bitrate, container or a light crop changes the vectors a little;
a cut out of a longer video shifts the offset). An average vector per video cannot tell two different videos
with the same scenes in another order; the offset can. Exact copies (same content hash) are their own kind.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from vidx.errors import UsageError
from vidx.store import Catalog, ClipArrays, VideoFacts
from vidx.store.neighbours import EXACT_BELOW, similar_pairs

# Cosine between two clips of the same footage: re-encodes stay above 0.98; a cut whose clips start half a clip
# later than the original's (1.6 s at the default 3.2-s clips) is where the footage moves most between them.
MIN_SIMILARITY = 0.9
# Clips a matching run may skip: a clip whose twin fell outside its nearest neighbours must not end the run.
MAX_GAP = 2
NEIGHBOURS = 16


@dataclass(frozen=True)
class SharedSpan:
    """One video of a group and the seconds of it that the group shares."""

    path: str
    duration: float
    start: float
    end: float


@dataclass(frozen=True)
class Group:
    kind: str  # "exact": same bytes; "near": same footage
    videos: tuple[SharedSpan, ...]  # the longest video first
    overlap: float  # shared seconds over the shorter video's, the lowest over the group's pairs

    def as_json(self) -> dict:
        spans = [{"path": v.path, "duration": v.duration, "start": v.start, "end": v.end} for v in self.videos]
        return {"kind": self.kind, "videos": spans, "overlap": self.overlap}


@dataclass(frozen=True)
class Duplicates:
    groups: tuple[Group, ...]

    def as_json(self) -> dict:
        """The `vidx dupes --json` contract: {"groups": [{"kind", "videos": [{"path", "duration", "start", "end"}],
        "overlap"}]}."""
        return {"groups": [g.as_json() for g in self.groups]}


@dataclass(frozen=True)
class _Match:
    """Two videos (positions in the video list) and the stretch each shares with the other."""

    v: int
    w: int
    v_span: tuple[float, float]
    w_span: tuple[float, float]
    overlap: float


def find_duplicates(catalog: Catalog, min_overlap: float = 0.8) -> Duplicates:
    """Every group of videos in the catalogue holding the same footage (or the same bytes)."""
    check_overlap(min_overlap)
    return group_duplicates(catalog.indexed_videos(), catalog.clip_arrays(), min_overlap)


def check_overlap(min_overlap: float) -> None:
    if not 0 < min_overlap <= 1:
        raise UsageError(f"--min-overlap must be above 0 and at most 1, got {min_overlap:g}")


def group_duplicates(
    videos: list[VideoFacts],
    clips: ClipArrays,
    min_overlap: float = 0.8,
    min_similarity: float = MIN_SIMILARITY,
    exact_below: int = EXACT_BELOW,
) -> Duplicates:
    """Exact groups by hash, near groups from clip runs; `clips.vectors` may be normalised in place."""
    check_overlap(min_overlap)
    copies: dict[str, list[int]] = defaultdict(list)
    for i, video in enumerate(videos):
        if video.hash:
            copies[video.hash].append(i)
    exact = [_exact_group(videos, members) for members in copies.values() if len(members) > 1]
    exact.sort(key=lambda g: g.videos[0].path)
    if not videos or not len(clips.video_ids):
        return Duplicates(tuple(exact))
    # Exact copies take part in the near search once, as the first of their group.
    searched = np.ones(len(videos), bool)
    for members in copies.values():
        searched[members[1:]] = False
    ids = np.array([v.id for v in videos], np.int64)
    order = np.argsort(ids)
    owner = order[np.minimum(np.searchsorted(ids[order], clips.video_ids), len(ids) - 1)]
    rows = np.flatnonzero((ids[owner] == clips.video_ids) & searched[owner])
    vectors = clips.vectors if len(rows) == len(clips.video_ids) else clips.vectors[rows]
    owner = owner[rows]
    starts, ends = clips.starts[rows], clips.ends[rows]
    pairs = similar_pairs(np.ascontiguousarray(vectors, np.float32), owner, NEIGHBOURS, min_similarity, exact_below)
    durations = np.array([v.duration for v in videos], np.float64)
    np.maximum.at(durations, owner, ends)  # a video of unrecorded duration lasts at least to its last clip
    matches = _align_all(pairs.a, pairs.b, owner, starts, ends, durations, min_overlap)
    near = _near_groups(videos, durations, matches)
    near.sort(key=lambda g: (-g.overlap, g.videos[0].path))
    return Duplicates(tuple(exact + near))


def _exact_group(videos: list[VideoFacts], members: list[int]) -> Group:
    spans = tuple(SharedSpan(videos[i].path, videos[i].duration, 0.0, videos[i].duration) for i in members)
    return Group("exact", spans, 1.0)


def _align_all(a, b, owner, starts, ends, durations, min_overlap) -> list[_Match]:
    """Align every pair of videos that shares enough matching clips to possibly reach `min_overlap`."""
    if not len(a):
        return []
    videos = int(owner.max()) + 1
    counts = np.bincount(owner, minlength=videos)
    clip_length = np.bincount(owner, weights=ends - starts, minlength=videos) / np.maximum(counts, 1)
    key = owner[a] * videos + owner[b]
    order = np.lexsort((b, a, key))
    a, b, key = a[order], b[order], key[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    distinct = np.r_[True, (key[1:] != key[:-1]) | (a[1:] != a[:-1])]
    clips_matched = np.add.reduceat(distinct.astype(np.int64), first)
    last = np.r_[first[1:], len(key)]
    matches = []
    for lo, hi, c in zip(first, last, clips_matched, strict=True):
        v, w = divmod(int(key[lo]), videos)
        length = max(clip_length[v], clip_length[w])
        shorter = min(durations[v], durations[w])
        # The longest run c matched clips can make, gaps included: skip pairs that cannot reach the bar.
        if (c + (c - 1) * MAX_GAP) * length < min_overlap * shorter:
            continue
        match = _align(v, w, a[lo:hi], b[lo:hi], starts, ends, length, shorter)
        if match.overlap >= min_overlap:
            matches.append(match)
    return matches


def _align(v: int, w: int, a, b, starts, ends, length: float, shorter: float) -> _Match:
    """The longest run of v's clips matching w's at one consistent offset (to within a clip, since a cut's clips
    need not start where the original's do), and the stretch of w it matches."""
    offset = np.round((starts[a] - starts[b]) / length).astype(np.int64)
    values, counts = np.unique(offset, return_counts=True)
    around = counts.copy()
    for i in range(len(values)):
        around[i] += sum(counts[j] for j in (i - 1, i + 1) if 0 <= j < len(values) and abs(values[j] - values[i]) == 1)
    best = values[int(np.argmax(around))]
    keep = np.abs(offset - best) <= 1
    a, b = a[keep], b[keep]
    rows = np.unique(a)  # rows of one video are its clips in order
    cuts = np.flatnonzero(np.diff(rows) > MAX_GAP + 1) + 1
    runs = np.split(rows, cuts)
    run = max(runs, key=lambda r: ends[r[-1]] - starts[r[0]])
    inside = (a >= run[0]) & (a <= run[-1])
    v_span = (float(starts[run[0]]), float(ends[run[-1]]))
    w_span = (float(starts[b[inside]].min()), float(ends[b[inside]].max()))
    shared = min(v_span[1] - v_span[0], w_span[1] - w_span[0])
    overlap = min(1.0, shared / shorter) if shorter > 0 else 0.0
    return _Match(v, w, v_span, w_span, round(overlap, 3))


def _near_groups(videos: list[VideoFacts], durations: np.ndarray, matches: list[_Match]) -> list[Group]:
    """Each group is a video and the videos that hold its footage, each matched with it directly.

    Longest videos anchor first. Matches are not chained: a short clip matching a stretch of two different
    videos (a shared intro, a static shot) must not make those two one group.
    """
    partners: dict[int, dict[int, _Match]] = defaultdict(dict)
    for m in matches:
        partners[m.v][m.w] = partners[m.w][m.v] = m
    placed: set[int] = set()
    groups = []
    for anchor in sorted(partners, key=lambda i: (-durations[i], videos[i].path)):
        if anchor in placed:
            continue
        members = sorted((i for i in partners[anchor] if i not in placed), key=lambda i: videos[i].path)
        if not members:
            continue
        placed.update([anchor, *members])
        found = [partners[anchor][i] for i in members]
        anchor_spans = [m.v_span if m.v == anchor else m.w_span for m in found]
        start, end = min(s for s, _ in anchor_spans), max(e for _, e in anchor_spans)
        ordered = [(anchor, (start, end))] + [
            (i, m.v_span if m.v == i else m.w_span) for i, m in zip(members, found, strict=True)
        ]
        shared = tuple(
            SharedSpan(videos[i].path, float(durations[i]), round(s, 3), round(e, 3)) for i, (s, e) in ordered
        )
        groups.append(Group("near", shared, min(m.overlap for m in found)))
    return groups
