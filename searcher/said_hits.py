"""The hits of the videos whose words matched: each at its line's moment, scored by the best clip overlapping it.

A line overlaps a clip or two of its video's hundreds (or none, past its end: then the nearest clip scores it), so
only those are read and checked against their checksums, for every hit at once; a video's every clip only when
none of those is intact. Checking every clip, as a picture hit's moment needs, cost a quarter of a millisecond a
hit.
"""

from __future__ import annotations

import numpy as np

from vidx.store import Catalog
from vidx.store.index_reader import scored
from vidx.store.video_clips import ClipSpans, clip_spans_of

from .said_side import SaidMatch
from .search import Hit, Wanted, copies_of


def said_hits(
    catalog: Catalog, query: np.ndarray, matches: list[SaidMatch], wanted: Wanted, gone: set[int]
) -> list[Hit | None]:
    """Each match's hit: its video at its line's moment, scored by the best clip overlapping the line (the nearest
    when none does), with the other paths of its content. A clip whose vector is damaged is left out, and a video
    left with none (or that has none) has no hit: None."""
    spans = clip_spans_of(catalog, [m.video_id for m in matches])
    near = [_candidates(spans[m.video_id], m) if m.video_id in spans else [] for m in matches]
    chosen = [(spans[m.video_id], p) for m, at in zip(matches, near, strict=True) for p in at]
    scores = _intact_scores(catalog, query, [c.ids[p] for c, p in chosen], [c.crcs[p] for c, p in chosen])
    hits: list[Hit | None] = []
    for match, at in zip(matches, near, strict=True):
        clips = spans.get(match.video_id)
        best = None if clips is None else _best(catalog, query, clips, at, scores, match)
        if clips is None or best is None:
            hits.append(None)
        else:
            hits.append(_hit(catalog, match, clips, best, scores, wanted, gone))
    return hits


def _candidates(clips: ClipSpans, match: SaidMatch) -> list[int]:
    """The positions of the clips overlapping the line, else of the clip starting nearest it (the first of
    equals)."""
    line = match.line
    overlapping = np.flatnonzero((clips.starts <= line.end) & (clips.ends >= line.start)).tolist()
    return overlapping or [int(np.argmin(np.abs(clips.starts - line.start)))]


def _best(
    catalog: Catalog,
    query: np.ndarray,
    clips: ClipSpans,
    candidates: list[int],
    scores: dict[int, float],
    match: SaidMatch,
) -> int | None:
    """The position of the best-scoring intact clip of `candidates`; when none is intact, of the intact clip
    starting nearest the line (the first of equals); None when the video has no intact clip. `scores` (the intact
    clips' by id) then gains the video's every clip."""
    usable = [p for p in candidates if int(clips.ids[p]) in scores]
    if not usable:
        scores |= _intact_scores(catalog, query, clips.ids, clips.crcs)
        intact = [p for p in range(len(clips.ids)) if int(clips.ids[p]) in scores]
        if not intact:
            return None
        usable = [min(intact, key=lambda p: abs(clips.starts[p] - match.line.start))]
    return max(usable, key=lambda p: scores[int(clips.ids[p])])  # ties: the first


def _intact_scores(catalog: Catalog, query: np.ndarray, ids, crcs) -> dict[int, float]:
    """The scores of the clips `ids` whose vectors are intact (`crcs`: the checksums recorded for them)."""
    if not len(ids):
        return {}
    ids = np.asarray(ids, np.int64)
    intact, vectors = catalog.intact_vectors(ids, np.asarray(crcs, np.int64))
    found = scored(vectors[intact], np.asarray(query, np.float32))
    return dict(zip(ids[intact].tolist(), found.tolist(), strict=True))


def _hit(
    catalog: Catalog,
    match: SaidMatch,
    clips: ClipSpans,
    best: int,
    scores: dict[int, float],
    wanted: Wanted,
    gone: set[int],
) -> Hit:
    line, score = match.line, scores[int(clips.ids[best])]
    # A moment never ends past its video, even when a sidecar's line does (`said` keeps the line's own times); a
    # line wholly past the end is shown at the clip that scored it.
    end = min(line.end, match.duration) if match.duration else line.end
    if line.start < end:
        start = line.start
    else:
        start, end = float(clips.starts[best]), float(clips.ends[best])
    at = (start, end, int(clips.ids[best]), match.video_id, match.duration, match.mtime_ns)
    return Hit(0, match.path, round(score, 6), *at, copies_of(catalog, match, wanted, gone), said=line)
