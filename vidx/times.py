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


def clock(seconds: float) -> str:
    """`m:ss.ss`, or `h:mm:ss.ss` from an hour on, for messages."""
    minutes, secs = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:05.2f}" if hours else f"{minutes}:{secs:05.2f}"


def moment(seconds: float) -> str:
    """`mm:ss`, whole seconds, minutes past 59 as they are: a result's moment in listings and pages."""
    s = int(seconds)
    return f"{s // 60:02d}:{s % 60:02d}"


def mmss(seconds: float) -> str:
    """`mmss`, whole seconds, no colon: a moment inside a file name."""
    s = int(seconds)
    return f"{s // 60:02d}{s % 60:02d}"
