"""The results grid: one card per hit, with the moment's thumbnail, the file, the times and a readable relevance.

Every string that came from the user or the file system goes through html.escape (or URL quoting first).
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vidx.times import instant, span

if TYPE_CHECKING:
    from vidx.searcher import Hit
    from vidx.searcher.typical import TypicalScore

# The thumbnail is a strip of this many frames spread over the clip; the card shows the second, cropped by CSS.
STRIP_FRAMES = 4


@dataclass(frozen=True)
class Results:
    """One page of a query's hits, with what is needed to say how good they are."""

    query: str
    hits: list[Hit]
    best: float | None = None  # the query's best score (its first hit's), whichever page this is
    typical: TypicalScore | None = None  # None: not measured (a query by example)
    offset: int = 0
    more: bool = False
    deleted: int = 0  # indexed files left out because they are gone from the disk
    best_said: bool = False  # whether the best hit's words matched: a match, whatever its pictures score

    @property
    def good_match(self) -> bool | None:
        """Whether the best hit stands out from the library's typical score; None when not measured."""
        if self.typical is None:
            return None
        return self.best_said or self.best is not None and self.typical.good_match(self.best)


def cards(results: Results, thumb: Callable[[Hit], str | None], link: Callable[[Hit], str]) -> str:
    """The `<li>` of each hit; `thumb` and `link` give its image source and video URL (already safe to quote)."""
    return "\n".join(_card(hit, results, thumb(hit), link(hit)) for hit in results.hits)


def _card(hit: Hit, results: Results, src: str | None, url: str) -> str:
    folder, name = os.path.split(hit.path)
    at = span(hit.start, hit.end)
    times = f"{at} · {hit.end - hit.start:.1f} s"
    quoted = {"href": url, "data-video": hit.video_id, "data-start": hit.start, "data-end": hit.end}
    quoted.update({"data-title": name, "data-times": times, "title": hit.path})
    attributes = " ".join(f'{key}="{html.escape(str(value), quote=True)}"' for key, value in quoted.items())
    picture = f'<img alt="" loading="lazy" src="{html.escape(src, quote=True)}">' if src else ""
    about = [f"length {instant(hit.duration, tenths=False)}" if hit.duration else "", _date(hit.modified_ns)]
    return (
        f'<li class="result" data-rank="{hit.rank}" data-start="{hit.start}" data-end="{hit.end}" '
        f'data-score="{hit.score}"><a class="open" {attributes}><span class="thumb">{picture}</span>'
        f'<span class="info"><span class="name">{html.escape(name)}</span>'
        f'<span class="folder"><bdi>{html.escape(folder)}</bdi></span>{_copies(hit)}'
        f'<span class="line"><span class="times">{times}</span>'
        + "".join(f"<span>{html.escape(part)}</span>" for part in about if part)
        + f"</span>{_said(hit)}{_relevance(hit, results)}</span></a></li>"
    )


def _said(hit: Hit) -> str:
    """The line whose words matched, at its time: the card opens the video there (the hit's moment is the line's)."""
    if hit.said is None:
        return ""
    return f'<span class="said">{instant(hit.said.start)} “{html.escape(hit.said.text)}”</span>'


def _copies(hit: Hit) -> str:
    """The other paths of the same bytes, which take no card of their own: how many and their names, small under
    the folder, each whole path on hover."""
    if not hit.copies:
        return ""
    count = f"{len(hit.copies)} cop" + ("ies" if len(hit.copies) > 1 else "y")
    names = ", ".join(os.path.basename(path) for path in hit.copies)
    paths = "\n".join(hit.copies)
    return (
        f'<span class="copies" title="{html.escape(paths, quote=True)}">{count}: <bdi>{html.escape(names)}</bdi></span>'
    )


def _relevance(hit: Hit, results: Results) -> str:
    """A share a person can read (the query's best is 100%, a typical clip 0%), the raw score on hover."""
    raw = f"score {hit.score:.4g} (raw)"
    if results.typical is None or results.best is None:
        return f'<span class="relevance">{raw}</span>'
    share = results.typical.relevance(hit.score, results.best)
    hover = f"{raw}; the best result scores {results.best:.4g}, a typical clip {results.typical.median:.4g}"
    return (
        f'<span class="relevance" title="{html.escape(hover, quote=True)}">'
        f'<meter min="0" max="1" value="{share:.3f}" aria-hidden="true"></meter>'
        f'<span class="share">{share:.0%} relevant</span></span>'
    )


def _date(modified_ns: int) -> str:
    if not modified_ns:
        return ""
    return dt.datetime.fromtimestamp(modified_ns / 1e9).strftime("%Y-%m-%d")
