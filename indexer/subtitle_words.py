"""A video's subtitles, from every place they can be: sidecar files beside it and text streams inside it.

A file that cannot be read costs one warning and its own lines only; the video keeps its pictures, and its other
subtitles, and the file is not read again until it changes (its fingerprint is kept all the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vidx.errors import SubtitleError
from vidx.media.subtitle_streams import embedded_subtitles
from vidx.said import Segment

from .sidecars import SidecarFinder, fingerprint
from .subtitles import read_subtitles


@dataclass(frozen=True)
class SubtitleWords:
    """What a video's subtitles say, and what they were read from."""

    segments: list[Segment] = field(default_factory=list)
    sidecars: str = "[]"  # sidecars.fingerprint of the files read
    bitmap_streams: int = 0  # picture subtitle streams skipped
    warnings: list[str] = field(default_factory=list)


def subtitle_words(video: Path, finder: SidecarFinder) -> SubtitleWords:
    """Every subtitle line of `video`, sidecars first, then embedded streams, each in time order."""
    segments: list[Segment] = []
    warnings: list[str] = []
    sidecars = finder.of(video)
    for sidecar in sidecars:
        try:
            segments += read_subtitles(sidecar.path)
        except SubtitleError as e:
            warnings.append(str(e))
    try:
        embedded = embedded_subtitles(video)
    except SubtitleError as e:
        return SubtitleWords(segments, fingerprint(sidecars), 0, [*warnings, str(e)])
    return SubtitleWords(segments + embedded.segments, fingerprint(sidecars), embedded.bitmap_streams, warnings)
