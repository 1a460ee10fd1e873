"""A text query in one of three modes: what was seen (pictures), what was said (words), or both fused.

"seen" is the picture search as it always was (vidx.searching runs it). "said" ranks the videos whose lines match,
best line first.
"both" fuses the two rankings (fusion.py); when the words give nothing to search or match nothing, it is the
picture search exactly, and when the pictures do not tell the videos apart it is the words' ranking followed
by the pictures' videos in their order.

Each side brings its best 2k videos (fusion.window): a video ranked below that on a side adds less than
1 / (K + 2k) there, and is fused by its rank on the other side alone. The picture side's first request asks as
many clips as the `seen` search of k videos asks, and widens only when they hold fewer than 2k videos (few long
videos crowding the top): asking for 2k videos' worth at once cost 0.7 ms more a query, every query.

The words side's ranking of the matching lines runs on a thread of its own, started before the query's
embedding, while this thread embeds the text and searches the pictures: ranking a common word's lines costs more
than the pictures' search (said_side.py). In a new process (`vidx query`), `embed()` also loads the model first,
and the ranking runs beside that too. That thread runs one SQLite statement, which lets go of Python's lock;
the rest of the words side (reading the best lines' videos) is Python, and runs here after the pictures, rather
than taking turns at the lock with them (BENCHMARKS.md, "Words with pictures").

The ranking reads one state of the catalogue and the lines are read in another, milliseconds later: an index run
committing in between could give a ranked line's id to a new line (ids of the lines removed last are reused), so
that a result shows a line without the query's words, once. What is shown is otherwise as before.

A hit whose words matched has `said` (the line), its moment is that line's time, and its `score` is still what
it always was: the raw dot product of the best clip in its moment, here the best clip overlapping the line
(said_hits.py). The hits shown read their clips together, as the pictures' search does.
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
from .said_hits import said_hits
from .said_side import SaidMatch, anything_said, best_lines, said_matches
from .search import Hit, Hits, Wanted, check_under, clips_asked, search_vector


def search_text(
    catalog: Catalog,
    embed: Callable[[], np.ndarray],
    text: str,
    k: int,
    margin: float,
    options: SearchOptions,
    beside: Callable[[Callable[[Catalog], list[int] | None]], Future[list[int] | None]],
) -> Hits:
    """The top-k videos for `text` (whose vector `embed()` makes) in `options.mode` ("both" or "said"), each with
    its moment. `beside(work)` runs `work(catalog)` on another thread and connection: the ranking of the matching
    lines, while this thread embeds the text and searches the pictures."""
    under, filters, min_score = options.under, options.filters, options.min_score
    if under:
        check_under(absolute(under), catalog.roots())
    prefix = str(absolute(under)).rstrip("/") + "/" if under else None
    wanted = Wanted(absolute(under) if under else None, None, filters)
    gone: set[int] = set()  # files found gone by the words side (the pictures' side counts its own)
    if options.mode == "both" and not anything_said(catalog.db, text):
        return _pictures(catalog, embed(), k, margin, options, gone)
    ranked = beside(lambda own: best_lines(own.db, text, fusion.window(k)))
    query = embed()
    if options.mode == "said":
        said = said_matches(catalog.db, text, fusion.window(k), prefix, filters, gone, ranked.result())
        return _ranked(catalog, query, k, margin, min_score, said, Hits(), wanted, gone)  # min_score may drop some
    first = clips_asked(k)
    seen = search_vector(catalog, query, fusion.window(k), False, min_score, under, None, filters, first=first)
    said = said_matches(catalog.db, text, fusion.window(k), prefix, filters, gone, ranked.result())
    if not said:  # lines match, but none of a video the options keep (or still on the disk)
        return _pictures(catalog, query, k, margin, options, gone)
    return _ranked(catalog, query, k, margin, min_score, said, seen, wanted, gone)


def _pictures(
    catalog: Catalog, query: np.ndarray, k: int, margin: float, options: SearchOptions, gone: set[int]
) -> Hits:
    """The `seen` search exactly; the files the words side found gone are counted with the pictures' own."""
    found = search_vector(catalog, query, k, False, options.min_score, options.under, None, options.filters)
    every_gone = gone | found.gone
    return Hits(with_moments(catalog, query, found, margin), len(every_gone), frozenset(every_gone))


def _ranked(
    catalog: Catalog,
    query: np.ndarray,
    k: int,
    margin: float,
    min_score: float | None,
    said: list[SaidMatch] | None,
    seen: Hits,
    wanted: Wanted,
    gone: set[int],
) -> Hits:
    """Hits in the fused order of both sides (or the words' alone, `seen` empty), each with its moment.

    Each side shows a content once, but not always by the same path (a copy's own subtitles matched): a line of
    one of a picture hit's paths is that hit's. The next videos in order are made hits together, as many as are
    still wanted: a words hit scoring under `min_score` leaves room for the next."""
    by_path = {path: hit.video_id for hit in seen for path in (hit.path, *hit.copies)}
    said_by_video = {by_path.get(m.path, m.video_id): m for m in said or []}
    order = list(said_by_video)
    if seen:
        ids = [h.video_id for h in seen]
        if fusion.tells_apart([h.score for h in seen]):
            order = fusion.fuse(ids, order)
        else:
            order += [v for v in ids if v not in said_by_video]
    seen_by_video = {h.video_id: h for h in seen}
    hits: list[Hit] = []
    at = 0
    while len(hits) < k and at < len(order):
        chosen = order[at : at + k - len(hits)]
        at += len(chosen)
        words = [v for v in chosen if v in said_by_video]
        made_said = said_hits(catalog, query, [said_by_video[v] for v in words], wanted, gone)
        by_words = dict(zip(words, made_said, strict=True))
        by_pictures = with_moments(catalog, query, [seen_by_video[v] for v in chosen if v not in by_words], margin)
        made = by_words | {hit.video_id: hit for hit in by_pictures}
        for video_id in chosen:
            hit = made.get(video_id)
            if hit is None or video_id in by_words and min_score is not None and hit.score < min_score:
                continue
            hits.append(dataclasses.replace(hit, rank=len(hits) + 1))
    every_gone = gone | seen.gone
    return Hits(hits, len(every_gone), frozenset(every_gone))
