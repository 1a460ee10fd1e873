"""A video into preprocessed frames and clips: every frame through OpenCV (clip.fps 0, the notebook's reader), or
frames sampled by time through PyAV (clip.fps > 0)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from vidx.config.settings import ClipSettings
from vidx.errors import DecodeError, UsageError, VidxError
from vidx.times import instant

from .clips import Clip, cut_clips
from .every_frame import every_frame
from .frames import DecodeStats, Frame
from .sampled import sample_frames


def read_frames(
    path: Path, fps: float, size: int, stats: DecodeStats | None = None, delay: float = 0.0
) -> Iterator[Frame]:
    """Yield preprocessed frames sampled at `fps` (0: every decoded frame); counts frames while decoding.

    `delay` sleeps that many seconds per decoded frame, for tests that need a slow decoder.
    """
    stats = stats if stats is not None else DecodeStats()
    if fps > 0:
        return sample_frames(path, fps, size, stats, delay)
    return every_frame(path, size, stats, delay)


def video_clips(path: Path, clip: ClipSettings, stats: DecodeStats | None = None, delay: float = 0.0) -> Iterator[Clip]:
    """The clips `vidx index` cuts from one file, with the clip.* settings."""
    frames = read_frames(path, clip.fps, clip.size, stats, delay)
    return cut_clips(frames, clip.frames, clip.stride, clip.max_per_video)


def clips_in_turn(paths: list[Path], clip: ClipSettings) -> Iterator[Clip]:
    """Clips from many videos in turn, so a sample sees the library's variety, not one video's start.

    A file that fails to decode drops out of the rotation.
    """
    streams = [video_clips(p, clip) for p in paths]
    while streams:
        for stream in list(streams):
            try:
                yield next(stream)
            except (StopIteration, VidxError):
                streams.remove(stream)


def clip_at(path: Path, clip: ClipSettings, at: float) -> Clip:
    """The clip of `path` that holds second `at`, cut as `vidx index` cuts it."""
    last = None
    stats = DecodeStats()
    for last in video_clips(path, clip, stats):
        if last.end > at:
            return last
    if last is None:
        raise DecodeError(f"{path}: no clip could be cut from it")
    # The decoded duration, as the catalogue keeps it: the last clip's end may pass it by a sampling period.
    raise UsageError(f"{path} is {instant(stats.duration)} long: there is no second {at:g} in it")
