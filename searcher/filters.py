"""Narrow a search by the file's modification time and the video's duration."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from vidx.errors import UsageError


class Dated(Protocol):
    """What the filters look at: a clip's or a said line's video (read-only, as frozen dataclasses hold it)."""

    @property
    def mtime_ns(self) -> int: ...

    @property
    def duration(self) -> float | None: ...


@dataclass(frozen=True)
class Filters:
    """Bounds on the video file's mtime (ns since the epoch, `until_ns` excluded) and duration (s, both included)."""

    since_ns: int | None = None
    until_ns: int | None = None
    min_duration: float | None = None
    max_duration: float | None = None

    @classmethod
    def parse(
        cls,
        since: str | None = None,
        until: str | None = None,
        min_duration: float | None = None,
        max_duration: float | None = None,
    ) -> Filters:
        """From the --since/--until ISO dates (local time) and the --min/--max-duration seconds."""
        since_ns = _instant(since, "--since", until=False)
        until_ns = _instant(until, "--until", until=True)
        if since_ns is not None and until_ns is not None and since_ns >= until_ns:
            raise UsageError(f"--since {since} is not before --until {until}: no file can match")
        for flag, value in (("--min-duration", min_duration), ("--max-duration", max_duration)):
            if value is not None and value < 0:
                raise UsageError(f"{flag} must be a number of seconds >= 0, got {value:g}")
        if min_duration is not None and max_duration is not None and min_duration > max_duration:
            raise UsageError(f"--min-duration {min_duration:g} is above --max-duration {max_duration:g}")
        return cls(since_ns, until_ns, min_duration, max_duration)

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.since_ns, self.until_ns, self.min_duration, self.max_duration))

    def accepts(self, row: Dated) -> bool:
        """True when the row's video passes every bound; a video of unknown duration fails a duration bound."""
        if self.since_ns is not None and row.mtime_ns < self.since_ns:
            return False
        if self.until_ns is not None and row.mtime_ns >= self.until_ns:
            return False
        if self.min_duration is None and self.max_duration is None:
            return True
        if row.duration is None:
            return False
        if self.min_duration is not None and row.duration < self.min_duration:
            return False
        return self.max_duration is None or row.duration <= self.max_duration


def _instant(text: str | None, flag: str, until: bool) -> int | None:
    """Nanoseconds since the epoch; a bare date as --until reaches to the end of that day, so it is inclusive."""
    if text is None:
        return None
    value = text.strip()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None:
        return _ns(dt.datetime.combine(day + dt.timedelta(days=1 if until else 0), dt.time()))
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{flag} takes an ISO date or date and time, e.g. 2024-05-31 or 2024-05-31T18:30, got {text!r}"
        ) from None
    # A date and time as --until includes that instant itself.
    return _ns(moment) + (1 if until else 0)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _ns(moment: dt.datetime) -> int:
    """Naive times are the local time zone, as file managers show modification times."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return (moment - _EPOCH) // dt.timedelta(microseconds=1) * 1000
