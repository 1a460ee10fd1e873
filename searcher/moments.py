"""A hit's moment: the run of consecutive clips around its best clip that score close to the best, not one clip."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from vidx.store import Catalog
from vidx.store.index_reader import scored
from vidx.store.video_clips import clips_of

from .search import Hit


def moment_run(scores: npt.ArrayLike, margin: float, anchor: int | None = None) -> tuple[int, int]:
    """(first, last) positions of the consecutive clips around `anchor` (default: the best) within the margin.

    Scores are raw dot products whose scale and offset change with the model and the query (the toy model scores
    0 to 7, S3D's text vectors have their own norm), so the margin is a share of this video's own spread, best minus
    worst: the same moment comes out whatever the scale or offset. Relative-to-best (best * (1 - margin)) would
    depend on where zero happens to sit. The cost: in a video whose clips all score alike, small differences
    decide where the moment stops, but then every clip matches about as well and any run of them is a fair moment.
    """
    values = np.asarray(scores, dtype=np.float64)
    best = int(np.argmax(values)) if anchor is None else anchor
    gap = values[best] - values
    # Against the anchor's score, the video's worst clip sets the scale; clips scoring above the anchor qualify.
    keep = gap <= margin * (values[best] - values.min())
    first = last = best
    while first > 0 and keep[first - 1]:
        first -= 1
    while last + 1 < len(values) and keep[last + 1]:
        last += 1
    return first, last


def with_moments(catalog: Catalog, query: np.ndarray, hits: list[Hit], margin: float) -> list[Hit]:
    """Each hit with start and end widened to its moment, around the clip the search found.

    The clips of every hit's video are read at once and scored in one product. A hit whose video lost its clips
    since (re-indexed meanwhile) keeps its single clip.
    """
    videos, recorded = clips_of(catalog, [hit.video_id for hit in hits])
    if not videos:
        return list(hits)
    intact, vectors = catalog.intact_vectors(np.concatenate(list(videos.values())), recorded)
    all_scores = scored(vectors, np.asarray(query, np.float32))
    ends = np.cumsum([len(ids) for ids in videos.values()])[:-1]
    scores = dict(zip(videos, np.split(all_scores, ends), strict=True))
    if not intact.all():
        # A clip whose vector is damaged scores as its video's worst intact clip: it never widens a moment.
        scores = {
            video: np.where(ok, found, found[ok].min() if ok.any() else 0.0)
            for video, found, ok in zip(videos, np.split(all_scores, ends), np.split(intact, ends), strict=True)
        }
    runs = {}
    for hit in hits:
        ids = videos.get(hit.video_id)
        if ids is not None:
            at = np.flatnonzero(ids == hit.clip_id)
            first, last = moment_run(scores[hit.video_id], margin, int(at[0]) if len(at) else None)
            runs[hit.clip_id] = int(ids[first]), int(ids[last])
    ends_of = catalog.clip_rows([i for run in runs.values() for i in run])
    out = []
    for hit in hits:
        first, last = runs.get(hit.clip_id, (0, 0))
        if first in ends_of and last in ends_of:
            hit = dataclasses.replace(hit, start=ends_of[first].start, end=ends_of[last].end)
        out.append(hit)
    return out
