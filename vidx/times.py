"""Moments of a video as people write them (`75`, `1:15`, `1:01:15.5`) and as vidx prints them.

One parser for every place that takes a time (`vidx export`, `vidx query --like VIDEO@TIME`), so each accepts
what the others do. Imports nothing heavy: the CLI uses it before any library loads.
"""

from __future__ import annotations

import re

from vidx.errors import UsageError

_PART = re.compile(r"^\d+(\.\d*)?$")


def seconds_in(text: str) -> float | None:
    """Seconds from `75`, `75.5`, `1:15` or `1:01:15.5`; None when `text` is not such a time.

    Minutes and seconds after the first part are below 60; only the last part has decimals.
    """
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(_PART.match(p) for p in parts):
        return None
    if any("." in p for p in parts[:-1]) or any(float(p) >= 60 for p in parts[1:]):
        return None
    value = 0.0
    for part in parts:
        value = value * 60 + float(part)
    return value


def parse_time(text: str, name: str = "START") -> float:
    """`seconds_in`, or a UsageError naming the argument `name` and what it takes."""
    value = seconds_in(text)
    if value is None:
        raise UsageError(f"{name} must be seconds or mm:ss (or h:mm:ss), e.g. 75 or 1:15, got {text!r}")
    return value


# A moment shorter than this shows tenths of a second, enough to tell apart moments a clip apart (6.84-9.98 and
# 6.36-9.58 s); a longer one, whole seconds.
SHORT = 60.0


def span(start: float, end: float, of: float | None = None) -> str:
    """A moment as `vidx query` and `vidx dupes` print it: `0:06.8–0:10.0`, `1:05–2:40` from a minute long, and
    `of` a video's length in the same precision, `0:06.8–0:10.0 of 0:10.0`."""
    tenths = end - start < SHORT
    shown = f"{instant(start, tenths)}–{instant(end, tenths)}"
    return shown if of is None else f"{shown} of {instant(of, tenths)}"


def instant(seconds: float, tenths: bool = True) -> str:
    """`m:ss.s` (or `m:ss`), `h:mm:ss.s` from an hour on; rounded, never cut, so 9.98 is 0:10.0."""
    minutes, secs = _rounded(seconds, tenths)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs}" if hours else f"{minutes}:{secs}"


def span_in_name(start: float, end: float) -> str:
    """A moment in an exported file's name, rounded as `span` shows it, without colons: `0006.8-0010.0`, or
    `6205-6310` (minutes past 59 as they are)."""
    tenths = end - start < SHORT
    return "-".join("{:02d}{}".format(*_rounded(t, tenths)) for t in (start, end))


def _rounded(seconds: float, tenths: bool) -> tuple[int, str]:
    """Whole minutes, and the seconds past them as text (`06.8` or `06`), after rounding to the shown precision."""
    value = round(max(seconds, 0.0), 1 if tenths else 0)
    minutes, secs = divmod(value, 60)
    return int(minutes), f"{secs:04.1f}" if tenths else f"{int(secs):02d}"
