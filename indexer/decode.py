"""Decode a video into preprocessed frames: every frame through OpenCV (clip.fps 0, the notebook's reader), or
frames sampled by time through PyAV (see sampled.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2

from vidx.config.settings import ClipSettings
from vidx.errors import DecodeError, UsageError, VidxError
from vidx.filenames import video_capture

from .clips import Clip, Frame, cut_clips, preprocess

# OpenCV's own FFmpeg threads; a decoding process that shares the machine with others asks for one.
_CAPTURE_PARAMS: list[int] = []


def single_threaded() -> None:
    """Decode and resize on one thread in this process: vidx runs decoders side by side instead."""
    cv2.setNumThreads(1)
    _CAPTURE_PARAMS[:] = [cv2.CAP_PROP_N_THREADS, 1]


@dataclass
class DecodeStats:
    """What decoding saw; filled in as frames are read, final once the iterator is exhausted."""

    frames: int = 0
    duration: float = 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.duration if self.duration > 0 else 0.0


def read_frames(
    path: Path, fps: float, size: int, stats: DecodeStats | None = None, delay: float = 0.0
) -> Iterator[Frame]:
    """Yield preprocessed frames sampled at `fps` (0: every decoded frame); counts frames while decoding.

    `delay` sleeps that many seconds per decoded frame, for tests that need a slow decoder.
    """
    stats = stats if stats is not None else DecodeStats()
    if fps > 0:
        from .sampled import sample_frames

        return sample_frames(path, fps, size, stats, delay)
    return _every_frame(path, size, stats, delay)


def _every_frame(path: Path, size: int, stats: DecodeStats, delay: float) -> Iterator[Frame]:
    """Every decoded frame, as the notebook's OpenCV reader gives them, timed by the decoder's timestamps."""
    with video_capture(path, _CAPTURE_PARAMS) as cap:
        if not cap.isOpened():
            raise DecodeError(f"{path}: not a video FFmpeg can open (unknown format or damaged header)")
        container_fps = cap.get(cv2.CAP_PROP_FPS)
        # Only a fallback for streams without timestamps; the container's own figure is never trusted otherwise.
        step = 1.0 / container_fps if 1 <= container_fps <= 240 else 1.0 / 25
        previous = None
        while cap.grab():
            if delay:
                time.sleep(delay)
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if previous is not None:
                if t > previous:
                    step = t - previous
                else:
                    t = previous + step
            previous = t
            stats.frames += 1
            stats.duration = t + step
            ok, bgr = cap.retrieve()
            if not ok or bgr is None:
                continue
            yield Frame(t, t + step, preprocess(bgr, size))
        if stats.frames == 0:
            raise DecodeError(f"{path}: no frame could be decoded (empty, truncated or not a video)")


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
    raise UsageError(f"{path} is {round(stats.duration, 2):g} s long: there is no second {at:g} in it")
