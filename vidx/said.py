"""What was said in a video: timed lines of speech or subtitles, the words side of a search."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    start: float  # seconds in the video
    end: float
    text: str
    source: str  # "speech" | "subtitles"
