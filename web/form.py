"""The search form's fields, read from a request and checked in the web's own words (a field, never a CLI flag).

The page shows each problem beside the form; the API answers it as `{"error": ..., "field": ...}`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

MAX_K = 1000  # the most results one search returns, in the web form and the API alike
MAX_OFFSET = 10_000  # how far "more" pages: past it, a narrower query serves better than paging
LABELS = {
    "q": "Search",
    "k": "Results",
    "offset": "Offset",
    "since": "Modified from",
    "until": "Modified until",
    "min_duration": "Length from",
    "max_duration": "Length up to",
    "mode": "Rank by",
}
MODES = {"both": "what was seen and said", "seen": "what was seen", "said": "what was said"}


@dataclass(frozen=True)
class FieldError:
    field: str  # the form field (query parameter) it is about
    message: str  # as the page says it, by the field's label
    api: str  # as /api/search says it, by the parameter's name


def problem(name: str, what: str) -> FieldError:
    """`what` is wrong with one field: "Results must be ..." on the page, "k must be ..." in the API."""
    return FieldError(name, f"{LABELS[name]} {what}", f"{name} {what}")


@dataclass(frozen=True)
class SearchForm:
    """What was asked: the query, how many results from which offset, and the filters (None: no bound)."""

    query: str = ""
    k: int = 10
    offset: int = 0
    since: str | None = None
    until: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    mode: str = "both"  # what ranks the videos: the pictures (seen), the words (said) or both
    errors: tuple[FieldError, ...] = field(default=())

    @property
    def filters(self) -> dict:
        """The bounds given, as the Library's keyword arguments."""
        names = ("since", "until", "min_duration", "max_duration")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}

    def raw(self, name: str) -> str:
        """A field's value as the form shows it again."""
        value = self.query if name == "q" else getattr(self, name)
        return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def read_form(params: dict[str, list[str]], default_k: int) -> tuple[SearchForm, dict[str, str]]:
    """The form a request's query string holds, and the text of every field as given (to show it again)."""
    given = {name: params.get(name, [""])[0].strip() for name in LABELS}
    errors: list[FieldError] = []
    k = _whole(given["k"], "k", default_k, 1, MAX_K, errors)
    offset = _whole(given["offset"], "offset", 0, 0, MAX_OFFSET, errors)
    since, until = (_date(given[name], name, errors) for name in ("since", "until"))
    low, high = (_seconds(given[name], name, errors) for name in ("min_duration", "max_duration"))
    if low is not None and high is not None and low > high:
        page = f"Length up to {high:g} s is below length from {low:g} s"
        errors.append(FieldError("max_duration", page, f"max_duration {high:g} is below min_duration {low:g}"))
    if since and until and _day(since) > _day(until):
        page = f"Modified until {until} is before modified from {since}"
        errors.append(FieldError("until", page, f"until {until} is before since {since}"))
    mode = given["mode"] or "both"
    if mode not in MODES:
        errors.append(problem("mode", f"must be one of {', '.join(MODES)}, got {mode!r}"))
        mode = "both"
    form = SearchForm(params.get("q", [""])[0], k, offset, since, until, low, high, mode, tuple(errors))
    return form, given


def _whole(text: str, name: str, default: int, low: int, high: int, errors: list[FieldError]) -> int:
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        errors.append(problem(name, f"must be a whole number, got {text!r}"))
        return default
    if not low <= value <= high:
        errors.append(problem(name, f"must be between {low} and {high}, got {value}"))
        return default
    return value


def _seconds(text: str, name: str, errors: list[FieldError]) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        errors.append(problem(name, f"must be a number of seconds, 0 or more, got {text!r}"))
        return None
    return value


def _date(text: str, name: str, errors: list[FieldError]) -> str | None:
    if not text:
        return None
    try:
        _day(text)
    except ValueError:
        errors.append(problem(name, f"must be a date such as 2024-05-31, got {text!r}"))
        return None
    return text


def _day(text: str) -> dt.date:
    """The calendar day of an ISO date or date and time (the form sends dates; the API takes times too)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return dt.datetime.fromisoformat(text).date()
