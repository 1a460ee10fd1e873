"""The result page: the self-contained file `vidx query --html` writes, and the pages `vidx serve` answers.

Both show the results grid of web/cards.py. The served page adds the search form (labelled filters, errors
beside it), a home that says what is indexed, paging, and one player; its only script is /static/vidx.js.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from .cards import Results, cards
from .form import LABELS, MAX_K, MODES, FieldError, SearchForm

if TYPE_CHECKING:
    from vidx.searcher import Hit

_STATIC = files("vidx.web") / "static"
STYLE = _STATIC.joinpath("vidx.css").read_text(encoding="utf-8")
SCRIPT = _STATIC.joinpath("vidx.js").read_text(encoding="utf-8")
EXAMPLE = "car drifting"


@dataclass(frozen=True)
class Overview:
    """What the home page says is indexed."""

    videos: int
    seconds: float
    last_run: str | None  # ISO time of the last index run's end


@dataclass(frozen=True)
class AppPage:
    """Everything one served page shows: the form as given, its errors, and the results or the home."""

    form: SearchForm
    given: dict[str, str]  # each field's text as the user typed it
    results: Results | None = None  # None: the home page
    overview: Overview | None = None
    errors: tuple[FieldError, ...] = ()


def file_page(results: Results, thumb: Callable[[Hit], str | None], link: Callable[[Hit], str]) -> str:
    """The `--html` page: a title, the notice when no result stands out, the grid; no script, no form."""
    title = html.escape(results.query)
    body = [f'<h1>vidx: <q id="query">{title}</q></h1>', _summary(results), _grid(results, thumb, link)]
    return _document(f"{title} · vidx", "\n".join(body), script=False)


def app_page(page: AppPage) -> str:
    """The page `vidx serve` answers at `/`."""
    results = page.results
    body = [f"<header>{_form(page)}</header>", "<main>"]
    if results is None:
        body.append(_home(page.overview))
    else:
        body += [_summary(results), _grid(results, _thumb, _media), _more(page.form, results)]
    body += ["</main>", _player()]
    title = f"{html.escape(results.query)} · vidx" if results is not None else "vidx"
    return _document(title, "\n".join(body), script=True)


def _document(title: str, body: str, script: bool) -> str:
    return "\n".join(
        [
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{title}</title><style>{STYLE}</style></head><body>",
            body,
            '<script src="/static/vidx.js"></script>' if script else "",
            "</body></html>",
        ]
    )


def _form(page: AppPage) -> str:
    invalid = {error.field for error in page.errors}

    def field(name: str, kind: str, extra: str = "") -> str:
        value = html.escape(page.given.get(name) or page.form.raw(name), quote=True)
        flag = ' aria-invalid="true" aria-describedby="errors"' if name in invalid else ""
        return f'<input type="{kind}" name="{name}" id="{name}" value="{value}"{extra}{flag}>'

    def labelled(name: str, kind: str, extra: str = "", unit: str = "") -> str:
        return f'<label for="{name}">{LABELS[name]} {field(name, kind, extra)}{unit}</label>'

    seconds = ' min="0" step="any" inputmode="decimal"'
    errors = "".join(f"<li>{html.escape(error.message)}</li>" for error in page.errors)
    return (
        '<form class="search" method="get" action="/" role="search"><div class="row">'
        '<a class="brand" href="/">vidx</a><label for="q" class="visually-hidden">Search</label>'
        + field("q", "search", ' placeholder="what you remember seeing" autofocus')
        + '<button type="submit">Search</button></div><fieldset class="filters"><legend class="visually-hidden">'
        "Filters</legend>"
        + labelled("k", "number", f' min="1" max="{MAX_K}"')
        + _mode_field(page.form.mode)
        + labelled("since", "date")
        + labelled("until", "date")
        + labelled("min_duration", "number", seconds, " s")
        + labelled("max_duration", "number", seconds, " s")
        + "</fieldset>"
        + (f'<ul class="errors" id="errors" role="alert">{errors}</ul>' if errors else "")
        + "</form>"
    )


def _mode_field(mode: str) -> str:
    options = "".join(
        f'<option value="{name}"{" selected" if name == mode else ""}>{label}</option>' for name, label in MODES.items()
    )
    return f'<label for="mode">{LABELS["mode"]} <select name="mode" id="mode">{options}</select></label>'


def _home(overview: Overview | None) -> str:
    example = f'<a href="/?{urlencode({"q": EXAMPLE})}">{EXAMPLE}</a>'
    if overview is None or not overview.videos:
        return '<section class="home"><p>Nothing is indexed yet: run <code>vidx index FOLDER</code>.</p></section>'
    videos = f"{overview.videos} video" + ("s" if overview.videos != 1 else "")
    last = _when(overview.last_run)
    return (
        f'<section class="home" id="home"><p>{videos}, {_hours(overview.seconds)} indexed'
        + (
            f'; last indexed <time datetime="{html.escape(overview.last_run or "", quote=True)}">{last}</time>'
            if last
            else ""
        )
        + f".</p><p>Describe what you remember seeing, for example {example}.</p></section>"
    )


def _summary(results: Results) -> str:
    count = len(results.hits)
    if not count:
        return '<p class="summary" id="summary">No match.</p>'
    first, last = results.offset + 1, results.offset + count
    if results.more:
        shown = f"Results {first}–{last}"
    else:
        shown = f"Results {first}–{last} of {last}" if first > 1 else f"{count} result" + ("s" if count > 1 else "")
    parts = [f'<p class="summary" id="summary">{shown}</p>']
    if results.typical is not None and results.good_match is False:
        typical = results.typical.median
        parts.append(
            '<p class="notice" id="no-good-match" role="status">No good match: the best result scores '
            f"{results.best:.4g}, no better than most clips score for this query ({typical:.4g}). "
            "Try other words.</p>"
        )
    return "\n".join(parts)


def _grid(results: Results, thumb, link) -> str:
    return f'<ol class="grid" id="results">{cards(results, thumb, link)}</ol>'


def _more(form: SearchForm, results: Results) -> str:
    if not results.more:
        return ""
    fields = {"q": form.query, "k": form.k, "offset": results.offset + len(results.hits)}
    fields.update({name: form.raw(name) for name in form.filters})
    if form.mode != "both":
        fields["mode"] = form.mode
    href = html.escape("/?" + urlencode(fields), quote=True)
    return f'<p class="paging"><a id="more" href="{href}">More results</a></p>'


def _player() -> str:
    """The one player: a dialog the script opens at a result's moment, with the in and out of the download."""
    return (
        '<dialog id="player" aria-labelledby="player-title"><div class="player-bar"><strong id="player-title">'
        '</strong><span id="player-times"></span><button type="button" id="close">Close</button></div>'
        '<video controls preload="metadata"></video>'
        '<form class="export" method="get" action="/api/export"><input type="hidden" name="video">'
        '<label>In <input type="number" name="start" step="0.1" min="0"> s</label>'
        '<button type="button" data-set="start">Set in to now</button>'
        '<label>Out <input type="number" name="end" step="0.1" min="0"> s</label>'
        '<button type="button" data-set="end">Set out to now</button>'
        '<button type="submit">Download clip</button></form><p class="export-error" role="alert"></p></dialog>'
    )


def _thumb(hit: Hit) -> str:
    return f"/thumb/{hit.clip_id}.jpg"


def _media(hit: Hit) -> str:
    return f"/media/{hit.video_id}#t={hit.start:g},{hit.end:g}"


def _hours(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} minutes" if seconds >= 90 else f"{seconds:.0f} seconds"
    return f"{seconds / 3600:.1f} hours"


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return ""
