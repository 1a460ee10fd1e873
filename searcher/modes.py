"""A text query in one of three modes: what was seen (pictures), what was said (words), or both fused.

"seen" is the picture search as it always was (vidx.searching runs it). "said" ranks the videos whose lines match,
best line first.
"both" fuses the two rankings (fusion.py); when the words give nothing to search or match nothing, it is the
picture search exactly, and when the pictures do not tell the videos apart it is the words' ranking followed
by the pictures' videos in their order.

Each side brings its best 2k videos (fusion.window): a video ranked below that on a side adds less than
1 / (K + 2k) there, and is fused by its rank on the other side alone. The picture side's search then costs little
more than its top k (benchmarks/said_query.py: k + K videos cost a tenth more CPU time a query).

A hit whose words matched has `said` (the line), its moment is that line's time, and its `score` is still what
it always was: the raw dot product of the best clip in its moment, here the best clip overlapping the line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

from vidx.paths import absolute
from vidx.store import Catalog

from . import fusion
from .moments import with_moments
from .options import SearchOptions
from .said_side import SaidMatch, anything_said, said_matches
from .search import Hit, search_vector


def search_text(
    catalog: Catalog,
    query: np.ndarray,
    text: str,
    k: int,
    margin: float,
    options: SearchOptions,
    beside: Callable[[Callable[[Catalog], list[SaidMatch] | None]], Future[list[SaidMatch] | None]],
) -> list[Hit]:
    """The top-k videos for `text` (whose vector is `query`) in `options.mode` ("both" or "said"), each with its
    moment. `beside(work)` runs `work(catalog)` on another thread and connection: the words side, while this
    thread searches the pictures."""
    under, filters, min_score = options.under, options.filters, options.min_score
    prefix = str(absolute(under)).rstrip("/") + "/" if under else None
    if options.mode == "said":
        said = said_matches(catalog.db, text, fusion.window(k), prefix, filters)  # min_score may drop some
        return _ranked(catalog, query, k, margin, min_score, said, [])
    if not anything_said(catalog.db, text):
        return _pictures(catalog, query, k, margin, options)
    words = beside(lambda own: said_matches(own.db, text, fusion.window(k), prefix, filters))
    seen = search_vector(catalog, query, fusion.window(k), False, min_score, under, None, filters)
    said = words.result()
    if not said:  # lines match, but none of a video the options keep
        return _pictures(catalog, query, k, margin, options)
    return _ranked(catalog, query, k, margin, min_score, said, seen)


def _pictures(catalog: Catalog, query: np.ndarray, k: int, margin: float, options: SearchOptions) -> list[Hit]:
    """The `seen` search exactly."""
    found = search_vector(catalog, query, k, False, options.min_score, options.under, None, options.filters)
    return with_moments(catalog, query, found, margin)


def _ranked(
    catalog: Catalog,
    query: np.ndarray,
    k: int,
    margin: float,
    min_score: float | None,
    said: list[SaidMatch] | None,
    seen: list[Hit],
) -> list[Hit]:
    """Hits in the fused order of both sides (or the words' alone, `seen` empty), each with its moment."""
    said_by_video = {m.video_id: m for m in said or []}
    order = list(said_by_video)
    if seen:
        ids = [h.video_id for h in seen]
        if fusion.tells_apart([h.score for h in seen]):
            order = fusion.fuse(ids, order)
        else:
            order += [v for v in ids if v not in said_by_video]
    seen_by_video = {h.video_id: h for h in seen}
    hits: list[Hit] = []
    for video_id in order:
        if video_id in said_by_video:
            hit = _said_hit(catalog, query, said_by_video[video_id])
            if min_score is not None and hit.score < min_score:
                continue
        else:
            (hit,) = with_moments(catalog, query, [seen_by_video[video_id]], margin)
        hits.append(dataclasses.replace(hit, rank=len(hits) + 1))
        if len(hits) == k:
            break
    return hits


def _said_hit(catalog: Catalog, query: np.ndarray, match: SaidMatch) -> Hit:
    """The video at its line's moment, scored by the best clip overlapping the line (the nearest when none does)."""
    line = match.line
    clips = catalog.clip_vectors(match.video_id)
    scores = np.stack([c.vector for c in clips]) @ np.asarray(query, dtype=np.float32)
    overlap = [i for i, c in enumerate(clips) if c.start <= line.end and c.end >= line.start]
    near = overlap or [min(range(len(clips)), key=lambda i: abs(clips[i].start - line.start))]
    best = max(near, key=lambda i: scores[i])
    clip_id = catalog.clip_id(match.video_id, clips[best].idx)
    score = round(float(scores[best]), 6)
    at = (line.start, line.end, clip_id, match.video_id, match.duration, match.mtime_ns)
    return Hit(0, match.path, score, *at, said=line)
