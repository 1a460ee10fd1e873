"""How a search counts and narrows its hits: one value for a text query, a query by example, the CLI and the web."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace

from vidx.errors import UsageError

from .filters import Filters

MODES = ("both", "seen", "said")


@dataclass(frozen=True)
class SearchOptions:
    """`k` hits (None: the search.k setting), of videos or single `clips`, scoring at least `min_score`, under the
    folder `under`; `since`/`until` are ISO dates bounding the file's modification time (`until` takes in that
    whole day), `min_duration`/`max_duration` seconds; a text query ranks by what was seen (the pictures), what was
    said (the words) or both, as `mode` says. Checked when made: a mistake is a UsageError at once."""

    k: int | None = None
    clips: bool = False
    min_score: float | None = None
    under: str | os.PathLike | None = None
    since: str | None = None
    until: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    mode: str = "both"
    filters: Filters = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        k = self.k
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            raise UsageError(f"k must be a whole number of at least 1, got {k!r}")
        if self.mode not in MODES:
            raise UsageError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.clips and self.mode == "said":
            raise UsageError("single clips are ranked by their pictures: the said mode does not list them")
        filters = Filters.parse(self.since, self.until, self.min_duration, self.max_duration)
        object.__setattr__(self, "filters", filters)  # frozen: set once, here

    @classmethod
    def given(cls, options: SearchOptions | None = None, **keywords) -> SearchOptions:
        """`options` (default: none) with the fields named in `keywords` replaced; a None `k` keeps the options' k."""
        if keywords.get("k") is None:
            keywords.pop("k", None)
        unknown = set(keywords) - {f.name for f in fields(cls) if f.init}
        if unknown:
            raise TypeError(f"unexpected search option {sorted(unknown)[0]!r}")
        return replace(options, **keywords) if options is not None else cls(**keywords)

    def count(self, default: int) -> int:
        """How many hits: `k`, else the search.k setting."""
        return default if self.k is None else self.k
