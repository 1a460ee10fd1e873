"""The three indexing stages: reader (files -> clips), embedder (clips -> vectors), writer (vectors -> store).

Each stage is a generator over the previous one's events, so a stage can move to a thread, a process or a
Ray Data map without the others changing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from vidx.config import Settings, VidxError

from .clips import Clip, cut_clips
from .decode import DecodeStats, read_frames


@dataclass(frozen=True)
class VideoJob:
    """One file to (re-)embed, with what the walk saw of it."""

    path: Path
    root_id: int
    size: int
    mtime_ns: int


@dataclass
class ClipReady:
    job: VideoJob
    clip: Clip
    vector: np.ndarray | None = None


@dataclass
class VideoDone:
    job: VideoJob
    info: dict = field(default_factory=dict)


@dataclass
class VideoFailed:
    job: VideoJob
    error: str


Event = ClipReady | VideoDone | VideoFailed


def content_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read(jobs: Iterable[VideoJob], settings: Settings) -> Iterator[Event]:
    """Decode each file into clips; a file that fails yields VideoFailed and the run goes on."""
    clip = settings.clip
    for job in jobs:
        stats = DecodeStats()
        try:
            digest = content_hash(job.path)
            frames = read_frames(job.path, clip.fps, clip.size, stats)
            for c in cut_clips(frames, clip.frames, clip.stride, clip.max_per_video):
                yield ClipReady(job, c)
        except VidxError as e:
            yield VideoFailed(job, str(e))
            continue
        except OSError as e:
            yield VideoFailed(job, f"{job.path}: {e.strerror or e}")
            continue
        info = {"hash": digest, "duration": round(stats.duration, 3), "fps": round(stats.fps, 3)}
        yield VideoDone(job, {**info, "frames": stats.frames})


def embed(events: Iterable[Event], encode: Callable[[np.ndarray], np.ndarray], batch: int) -> Iterator[Event]:
    """Fill ClipReady.vector in batches that span videos; events leave in the order they came."""
    pending: list[Event] = []
    clips: list[ClipReady] = []

    def flush() -> Iterator[Event]:
        if clips:
            vectors = encode(np.stack([c.clip.pixels for c in clips]))
            for c, v in zip(clips, vectors, strict=True):
                c.vector = v
                c.clip = Clip(c.clip.index, c.clip.start, c.clip.end, np.empty(0, np.float32))
        yield from pending
        pending.clear()
        clips.clear()

    for event in events:
        pending.append(event)
        if isinstance(event, ClipReady):
            clips.append(event)
            if len(clips) >= batch:
                yield from flush()
    yield from flush()
