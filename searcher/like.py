"""Query by example: embed one clip of a video (indexed or not) and find the nearest other videos."""

from __future__ import annotations

import re
from pathlib import Path

from vidx.config import Settings, VidxError

_AT = re.compile(r"^(?:(\d+):)?(\d+(?:\.\d+)?)$")


def parse_like(spec: str) -> tuple[Path, float]:
    """`VIDEO[@mm:ss]` -> (absolute path, seconds); a file whose name holds '@' still works without a time."""
    path, at = spec, 0.0
    head, sep, tail = spec.rpartition("@")
    match = _AT.match(tail) if sep else None
    if match and not Path(spec).exists():
        path = head
        at = int(match.group(1) or 0) * 60 + float(match.group(2))
    target = Path(path).expanduser().absolute()
    if not target.is_file():
        raise VidxError(f"{path}: no such video file for --like")
    return target, at


def clip_at(settings: Settings, path: Path, at: float):
    """The clip that holds second `at` (the last clip if the video is shorter)."""
    from vidx.indexer.decode import video_clips

    chosen = None
    for clip in video_clips(path, settings.clip):
        chosen = clip
        if clip.end > at:
            break
    if chosen is None:
        raise VidxError(f"{path}: no clip could be cut from it")
    return chosen
