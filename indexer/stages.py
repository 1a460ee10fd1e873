"""The reader (files -> clips) and embedder (clips -> vectors) stages; the writer is in commit.py.

Each stage is a generator over the previous one's events, so a stage can move to a thread, a process or a
Ray Data map without the others changing. The reader runs in decoding processes (decoders.py), which bounds
the time a hostile file can take and lets decoding overlap inference.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from vidx.config import Settings
from vidx.errors import VidxError
from vidx.media.clips import Clip
from vidx.media.decode import video_clips
from vidx.media.frames import DecodeStats
from vidx.store import VideoInfo
from vidx.store.said_rows import Speech

from .plan import VideoJob

# Test hooks. Seconds to sleep per decoded frame, for tests that must catch a run mid-write or a stalled decoder
# ("NAME=SECONDS": only files so named); a file name on which the decoder dies of SIGSEGV.
DEBUG_DELAY = "VIDX_DEBUG_DECODE_DELAY"
DEBUG_CRASH = "VIDX_DEBUG_DECODE_CRASH"
NO_PIXELS = np.empty(0, np.uint8)  # what an embedded clip keeps of its frames


@dataclass
class ClipReady:
    job: VideoJob
    clip: Clip
    vector: np.ndarray | None = None


@dataclass
class VideoDone:
    job: VideoJob
    info: VideoInfo
    seconds: float = 0.0  # spent decoding it, waits for the embedder left out
    speech: Speech | None = None  # heard by the engine beside its pictures (the Ray workers), stored with them


@dataclass
class VideoFailed:
    job: VideoJob
    error: str
    seconds: float = 0.0


Event = ClipReady | VideoDone | VideoFailed


def read(jobs: Iterable[VideoJob], settings: Settings) -> Iterator[Event]:
    """Decode each file into clips in this process; a file that fails yields VideoFailed and the run goes on."""
    clip = settings.clip
    for job in jobs:
        stats = DecodeStats()
        delay = _debug_delay(job.path)
        if os.environ.get(DEBUG_CRASH) == job.path.name:
            os.kill(os.getpid(), signal.SIGSEGV)
        if not job.path.exists():
            yield VideoFailed(job, f"{job.path}: vanished during the run")
            continue
        if job.size == 0:
            yield VideoFailed(job, f"{job.path}: empty file (0 bytes)")
            continue
        try:
            for c in video_clips(job.path, clip, stats, delay):
                yield ClipReady(job, c)
        except VidxError as e:
            yield VideoFailed(job, str(e))
            continue
        except OSError as e:
            yield VideoFailed(job, f"{job.path}: {e.strerror or e}")
            continue
        yield VideoDone(job, VideoInfo(job.hash, round(stats.duration, 3), round(stats.fps, 3), stats.frames))


def _debug_delay(path) -> float:
    name, named, seconds = (os.environ.get(DEBUG_DELAY) or "").rpartition("=")
    return float(seconds or 0) if not named or path.name == name else 0.0


def embed(events: Iterable[Event], encoder: StreamEncoder, batch: int) -> Iterator[Event]:
    """Fill ClipReady.vector in batches that span videos; events leave in the order they came."""
    held: deque[Event] = deque()
    sent: deque[list[ClipReady]] = deque()

    def batches() -> Iterator[list[np.ndarray]]:
        clips: list[ClipReady] = []
        for event in events:
            held.append(event)
            if isinstance(event, ClipReady):
                clips.append(event)
                if len(clips) == batch:
                    sent.append(clips)
                    yield [c.clip.frames for c in clips]
                    clips = []
        if clips:
            sent.append(clips)
            yield [c.clip.frames for c in clips]

    for vectors in encoder.embed_stream(batches()):
        for c, v in zip(sent.popleft(), vectors, strict=True):
            c.vector = v
            c.clip = Clip(c.clip.number, c.clip.start, c.clip.end, NO_PIXELS)
        while held and not (isinstance(held[0], ClipReady) and held[0].vector is None):
            yield held.popleft()
    yield from held


class StreamEncoder(Protocol):
    """What the embedder needs: vectors for batches of uint8 clips, in order (vidx.model.runtime.VideoEncoder)."""

    busy_seconds: float

    def embed_stream(self, batches: Iterable[Sequence[np.ndarray]]) -> Iterator[np.ndarray]: ...
