"""The result page: one self-contained HTML file for `vidx query --html`, and the page `vidx serve` shows.

Every string that came from the user or the file system goes through html.escape (or URL quoting first).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vidx.searcher import Hit

MAX_K = 1000  # the most results one search returns, in the web form and the API alike
FILTERS = ("since", "until", "min_duration", "max_duration")

# The web page's one script, served as /static/vidx.js (the Content-Security-Policy allows no inline script):
# the in and out handles set a result's export span from where its player stands.
SCRIPT = """document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-set]");
  if (!button) return;
  event.preventDefault();
  const result = button.closest("li.result");
  const seconds = result.querySelector("video").currentTime.toFixed(1);
  result.querySelector(`input[name=${button.dataset.set}]`).value = seconds;
});
"""

STYLE = """
body{font:15px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.3rem} form{margin:1rem 0} input[name=q]{width:70%;font-size:1rem;padding:.4rem}
ol{padding:0;list-style:none} li{margin:0 0 1.4rem;padding:.6rem;border:1px solid #ddd;border-radius:6px}
.meta{color:#555;font-size:.9rem} .path{font-family:monospace;word-break:break-all}
img.strip{display:block;max-width:100%;margin:.4rem 0} video{width:100%;max-width:40rem;margin-top:.4rem}
.filters input{width:8rem} form.export input{width:5rem}
"""


def moment(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60:02d}:{s % 60:02d}"


def render(
    query: str,
    hits: list[Hit],
    thumb: Callable[[Hit], str | None],
    link: Callable[[Hit], str],
    player: bool = False,
    search_box: bool = False,
    k: int = 10,
    filters: dict | None = None,
) -> str:
    """The whole page; `thumb` and `link` give each hit's image source and video URL (already safe to quote).

    With `player`, each result gets a player that starts at its moment and in/out handles to download a span.
    """
    q = html.escape(query)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>vidx: {q}</title><style>{STYLE}</style></head><body>",
        f"<h1>vidx: <q id=query>{q}</q></h1>" if query else "<h1>vidx</h1>",
    ]
    if search_box:
        parts.append(
            f'<form method="get" action="/"><input name="q" value="{q}" placeholder="what you remember seeing" '
            f'autofocus> <input type="number" name="k" value="{k}" min="1" max="{MAX_K}"> '
            '<button type="submit">Search</button>' + _filter_fields(filters or {}) + "</form>"
        )
    if query and not hits:
        parts.append("<p id=empty>No match.</p>")
    parts.append('<ol id="results">')
    for hit in hits:
        src, url = thumb(hit), html.escape(link(hit), quote=True)
        at = f"{moment(hit.start)}–{moment(hit.end)}"
        parts.append(
            f'<li class="result" data-rank="{hit.rank}" data-start="{hit.start}" data-end="{hit.end}">'
            f'<div class="meta">#{hit.rank} · score {hit.score:.2f} · {at} ({hit.end - hit.start:.1f} s)</div>'
            f'<div class="path"><a href="{url}">{html.escape(hit.path)}</a></div>'
        )
        if src:
            parts.append(f'<img class="strip" alt="frames {at}" src="{html.escape(src, quote=True)}">')
        if player:
            parts.append(f'<video controls preload="metadata" src="{url}"></video>')
            parts.append(
                f'<form class="export" method="get" action="/api/export"><input type="hidden" name="video" '
                f'value="{hit.video_id}"> in <input type="number" name="start" step="0.1" min="0" '
                f'value="{hit.start:.1f}"> <button type="button" data-set="start">here</button> out '
                f'<input type="number" name="end" step="0.1" min="0" value="{hit.end:.1f}"> '
                '<button type="button" data-set="end">here</button> <button type="submit">Download clip</button></form>'
            )
        parts.append("</li>")
    parts.append("</ol>")
    if player:
        parts.append('<script src="/static/vidx.js"></script>')
    parts.append("</body></html>")
    return "\n".join(parts)


def _filter_fields(filters: dict) -> str:
    """The search form's date and duration filters, keeping what was asked."""

    def value(name: str) -> str:
        return html.escape(str(filters.get(name, "")), quote=True)

    return (
        '<div class="filters">modified from <input type="date" name="since" '
        f'value="{value("since")}"> to <input type="date" name="until" value="{value("until")}"> · '
        f'duration <input type="number" name="min_duration" min="0" step="any" value="{value("min_duration")}"> to '
        f'<input type="number" name="max_duration" min="0" step="any" value="{value("max_duration")}"> s</div>'
    )
