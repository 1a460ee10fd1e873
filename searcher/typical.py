"""Is the best hit a good match, or only the best of nothing? Measured against how the library's clips score.

Scores are raw dot products whose scale and offset change with the model and the query, so no fixed bar says
"good". What every query has is its own score distribution over the library: most clips show nothing the query
asks for, and their scores are the query's noise. The rule: the best hit is a good match when it stands more than
STANDS_OUT robust standard deviations (1.4826 x the median absolute deviation) above the median score of a
sample of the library's clips. A nonsense query (the toy model's unknown words score every clip 0; a real
model's scores of unrelated words spread like noise) has its best hit inside that band: "no good match".

The median and the MAD ignore the few clips that do match, which a mean and a standard deviation would not. When
more than half the sample scores exactly alike (MAD 0), those clips are the noise and it has no spread: any best
hit above them stands out. Below MIN_SAMPLE clips the matching clips are too large a share to tell the noise from
them: there too, any best hit above the median counts. A best hit no higher than the median is no good match
whatever the library's size.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from vidx.store import Catalog

SAMPLE = 2048
STANDS_OUT = 4.0
MIN_SAMPLE = 30
_MAD_TO_SD = 1.4826  # the MAD of a normal distribution is 0.6745 standard deviations


@dataclass(frozen=True)
class TypicalScore:
    """How a sample of the library's clips scores against one query."""

    median: float
    spread: float  # a robust standard deviation
    clips: int  # in the sample

    def good_match(self, best: float) -> bool:
        """Whether a best score of `best` stands out from what any clip scores."""
        if self.clips == 0 or best <= self.median:
            return False
        return self.clips < MIN_SAMPLE or best > self.median + STANDS_OUT * self.spread

    def as_json(self, best: float | None) -> dict:
        """The keys `--json` and /api/search add: whether the best hit stands out, and the typical score."""
        return {"good_match": best is not None and self.good_match(best), "typical_score": self.median}

    def relevance(self, score: float, best: float) -> float:
        """0 for a typical clip's score, 1 for the query's best: where `score` sits between the two."""
        if best <= self.median:
            return 0.0
        return float(min(1.0, max(0.0, (score - self.median) / (best - self.median))))


class Sample:
    """The clips every query is measured against, drawn from the library once and again only when its clips change:
    drawing them (SAMPLE lookups, each checked against its checksum) cost about 10 ms a served query at 100,000
    clips, three times the search."""

    def __init__(self) -> None:
        self._drawn: tuple[tuple, np.ndarray] | None = None
        self._lock = threading.Lock()  # a server's threads share one sample

    def vectors(self, catalog: Catalog) -> np.ndarray:
        version = catalog.version()
        with self._lock:
            if self._drawn is None or self._drawn[0] != version:
                self._drawn = (version, catalog.sample_vectors(SAMPLE))
            return self._drawn[1]


def typical_score(vectors: np.ndarray, query: np.ndarray) -> TypicalScore:
    """The median and spread of the scores of the sampled clips' `vectors`, for one query vector."""
    if not len(vectors):
        return TypicalScore(0.0, 0.0, 0)
    scores = vectors @ np.asarray(query, dtype=np.float32)
    median = float(np.median(scores))
    spread = _MAD_TO_SD * float(np.median(np.abs(scores - median)))
    return TypicalScore(round(median, 6), round(spread, 6), len(scores))
