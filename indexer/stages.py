"""The reader (files -> clips) and embedder (clips -> vectors) stages; the writer is in writer.py.

Each stage is a generator over the previous one's events, so a stage can move to a thread, a process or a
Ray Data map without the others changing. The reader already runs in a child process, which bounds the
time a hostile file can take and lets decoding overlap inference.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from vidx.config import Settings
from vidx.errors import VidxError
from vidx.store import VideoInfo

from .clips import Clip
from .decode import DecodeStats, video_clips
from .plan import VideoJob

# Test hooks. Seconds to sleep per decoded frame, for tests that must catch a run mid-write or a stalled decoder
# ("NAME=SECONDS": only files so named); a file name on which the decoder dies of SIGSEGV.
DEBUG_DELAY = "VIDX_DEBUG_DECODE_DELAY"
DEBUG_CRASH = "VIDX_DEBUG_DECODE_CRASH"


@dataclass
class ClipReady:
    job: VideoJob
    clip: Clip
    vector: np.ndarray | None = None


@dataclass
class VideoDone:
    job: VideoJob
    info: VideoInfo


@dataclass
class VideoFailed:
    job: VideoJob
    error: str


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


def _child(jobs: list[VideoJob], settings: Settings, out, received) -> None:
    # FFmpeg and OpenCV warn on stderr about every damaged file; the events already say what failed, once.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    _end_with_parent()
    for event in read(jobs, settings):
        out.put(event)
        if not isinstance(event, ClipReady):
            # The queue sends from a thread: a crash on the next file would lose this end still unsent, and the
            # parent would blame this file. Start the next one only once the parent has this end.
            received.acquire()
    out.put(None)


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start a spawned child without it running the caller's `__main__` again.

    multiprocessing's spawn re-imports the parent's main script in the child, so a user's script that calls
    `Library.index` without an `if __name__ == "__main__"` guard would index again, and again. The child's
    target lives in vidx, so it needs nothing from `__main__`.
    """
    main = sys.modules["__main__"]
    saved = {name: main.__dict__[name] for name in ("__file__", "__spec__") if name in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def _end_with_parent() -> None:
    """However the parent ends (kill -9 included), this child ends with it instead of decoding for no one."""
    parent = multiprocessing.parent_process()

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ctrl-C reaches every process of the terminal's group. A child started while SIGINT is ignored keeps
    ignoring it (Python leaves an inherited SIG_IGN alone), so it prints no KeyboardInterrupt of its own: the
    parent stops and kills it on the way out. SIGINT is blocked meanwhile, so a Ctrl-C in that moment waits for
    the parent's own handler instead of being lost."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread sets handlers, and only it ever receives KeyboardInterrupt
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def read_isolated(jobs: list[VideoJob], settings: Settings, timeout: float) -> Iterator[Event]:
    """`read` in a child process; a file that yields no clip for `timeout` seconds, or kills the decoder,
    fails alone, and a fresh child goes on with the files after it."""
    context = multiprocessing.get_context("spawn")
    pending = list(jobs)
    while pending:
        events = context.Queue(maxsize=2 * settings.index.batch + 2)
        received = context.Semaphore(0)
        child = context.Process(target=_child, args=(pending, settings, events, received), daemon=True)
        with _main_module_hidden(), _sigint_ignored():
            child.start()
        finished = 0
        last = time.monotonic()
        try:
            while True:
                try:
                    event = events.get(timeout=1.0)
                except queue.Empty:
                    stalled = time.monotonic() - last > timeout
                    if child.is_alive() and not stalled:
                        continue
                    job = pending[finished]
                    reason = (
                        f"no frame decoded for {timeout:g} s (index.timeout); skipped"
                        if stalled
                        else f"the decoder crashed (exit code {child.exitcode})"
                    )
                    yield VideoFailed(job, f"{job.path}: {reason}")
                    pending = pending[finished + 1 :]
                    break
                last = time.monotonic()
                if event is None:
                    pending = []
                    break
                if not isinstance(event, ClipReady):
                    finished += 1
                    received.release()
                yield event
        finally:
            if child.is_alive():
                child.kill()
            child.join()
            events.close()


def embed(events: Iterable[Event], encode: Callable[[np.ndarray], np.ndarray], batch: int) -> Iterator[Event]:
    """Fill ClipReady.vector in batches that span videos; events leave in the order they came."""
    pending: list[Event] = []
    clips: list[ClipReady] = []

    def flush() -> Iterator[Event]:
        if clips:
            vectors = encode(np.stack([c.clip.pixels for c in clips]))
            for c, v in zip(clips, vectors, strict=True):
                c.vector = v
                c.clip = Clip(c.clip.number, c.clip.start, c.clip.end, np.empty(0, np.uint8))
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
