"""One ranking of videos from two: what was seen (clip vectors) and what was said (subtitles and speech).

Reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009): a video scores the sum over the sides of
1 / (K + its rank there), K = 60 as in the paper, which found it robust across collections; the two sides'
scores (dot products, bm25) have unrelated scales, and ranks need none. A video ranked well on both sides beats
one ranked first on one side only.

A side that does not tell videos apart for this query must not reorder the other, so it is left out:
- the seen side when its best videos score alike: their scores span less than SAME_SCORE of the largest score's
  size (plus a tiny absolute floor), as for words the video model does not know (their text vector is zero or
  carries no direction, so every clip scores the same);
- the said side when the query has nothing but stop words (`the`, `of`, ...): they match nearly every line, so
  the query gives no words to search (see `said_query.terms`); and, plainly, when no line matches.
A side left out leaves the other's ranking exactly as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

K = 60
SAME_SCORE = 1e-4  # relative span under which a side's scores are one score
_FLOOR = 1e-6


def window(k: int) -> int:
    """How many videos each side brings to fuse into the top k (see modes.py)."""
    return 2 * k


def tells_apart(scores: Sequence[float]) -> bool:
    """Whether the best videos' scores, best first, differ enough to rank them."""
    if len(scores) < 2:
        return False
    top = max(abs(s) for s in scores)
    return max(scores) - min(scores) > SAME_SCORE * top + _FLOOR


def fuse(seen: Sequence[int], said: Sequence[int]) -> list[int]:
    """Video ids of both rankings (best first), fused; an id appears once. With one side empty, the other as is.

    Ties (same fused score) go to the video whose better rank is better, then to the seen side's order.
    """
    scores: dict[int, float] = {}
    best: dict[int, int] = {}
    for ranking in (seen, said):
        for rank, video in enumerate(ranking, start=1):
            scores[video] = scores.get(video, 0.0) + 1.0 / (K + rank)
            best[video] = min(best.get(video, rank), rank)
    seen_rank = {video: rank for rank, video in enumerate(seen)}
    return sorted(scores, key=lambda v: (-scores[v], best[v], seen_rank.get(v, len(seen))))
