"""Decoding processes: each takes files one at a time from the parent and sends back their events.

A file that yields nothing for index.timeout seconds, or kills its decoder, fails alone; a fresh decoder goes
on with the files that one held. Every decoder dies with the indexer (see lifetime.py). Decoders are plain
`python -c` processes talking over two pipes, not multiprocessing's spawn: that would run the caller's own
`__main__` script again in every decoder and start a resource tracker, and it leaves nothing in /dev/shm.
"""

from __future__ import annotations

import math
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from vidx.config import Settings

from .lifetime import sigint_ignored
from .plan import VideoJob
from .stages import ClipReady, Event, VideoFailed, read

# Files handed to a decoder ahead of the one it decodes, so it never waits for the parent between files.
AHEAD = 1
# Decoded clips waiting for the model, all decoders together (4.8 MB each): enough to bank the seconds the
# model takes to compile and to ride out a slow stretch of video.
CLIPS_AHEAD = 16


@dataclass
class _Decoder:
    process: subprocess.Popen
    jobs: Connection
    events: Connection
    held: deque[VideoJob] = field(default_factory=deque)  # sent to it and not finished; the first is in hand
    last: float = field(default_factory=time.monotonic)


class DecoderPool:
    """Up to `size` decoders, started as files arrive (so decoding starts while the model compiles);
    `events()` yields what they send until every file given so far has ended."""

    def __init__(self, settings: Settings, size: int, jobs: Iterable[VideoJob] = ()):
        self.settings = settings
        self.size = max(1, size)
        self.timeout = settings.index.timeout
        self.backlog = max(2, math.ceil(max(CLIPS_AHEAD, 2 * settings.index.batch) / self.size))
        self.pending: deque[VideoJob] = deque()
        self.decoders: list[_Decoder] = []
        self.add(jobs)

    def add(self, jobs: Iterable[VideoJob]) -> None:
        self.pending.extend(jobs)
        for d in self.decoders:
            self._feed(d)
        while self.pending and len(self.decoders) < self.size:
            self._start()

    def events(self) -> Iterator[Event]:
        """Events of every file given, each file's clips in order and then its end; stopping early (a closed
        generator) stops the decoders, as they are mid-file."""
        finished = False
        try:
            now = time.monotonic()
            for d in self.decoders:
                d.last = now  # the clock starts when the parent starts listening
            while any(d.held for d in self.decoders):
                busy = [d for d in self.decoders if d.held]
                ready = wait([d.events for d in busy], timeout=0.5)
                now = time.monotonic()
                for d in busy:
                    if d.events in ready:
                        yield from self._receive(d)
                    elif now - d.last > self.timeout:
                        job = self._retire(d)
                        reason = f"no frame decoded for {self.timeout:g} s (index.timeout); skipped"
                        yield VideoFailed(job, f"{job.path}: {reason}")
            finished = True
        finally:
            if not finished:
                self.close()

    def close(self) -> None:
        for d in self.decoders:
            self._stop(d)
        self.decoders.clear()
        self.pending.clear()

    def _receive(self, d: _Decoder) -> Iterator[Event]:
        try:
            event = d.events.recv()
        except EOFError:
            d.process.wait()
            job = self._retire(d)
            yield VideoFailed(job, f"{job.path}: the decoder crashed (exit code {d.process.returncode})")
            return
        d.last = time.monotonic()
        if not isinstance(event, ClipReady):
            d.held.popleft()
            self._feed(d)
        yield event

    def _start(self) -> None:
        jobs_out, jobs_in = os.pipe()
        events_out, events_in = os.pipe()
        # Tied to the parent before anything heavy is imported, so a parent killed now takes it along at once.
        # The kernel's death signal follows the thread that starts the child: asked for only from the main thread.
        kernel = threading.current_thread() is threading.main_thread()
        # `python -c` puts the working folder first on sys.path: run from a clone, its vidx/ folder (the top package
        # alone) would hide the installed vidx, so it comes off first.
        code = (
            "import sys; del sys.path[0]; from vidx.indexer.lifetime import die_with_parent; "
            "die_with_parent(int(sys.argv[1]), sys.argv[2] == '1')\n"
            "from vidx.indexer.decoders import serve; serve(*map(int, sys.argv[3:]))"
        )
        with sigint_ignored():
            process = subprocess.Popen(
                [sys.executable, "-c", code, str(os.getpid()), str(int(kernel)), str(jobs_out), str(events_in)],
                pass_fds=(jobs_out, events_in),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                # FFmpeg and OpenCV warn about every damaged file; the events already say what failed, once.
                stderr=subprocess.DEVNULL,
            )
        # Only the child holds these ends now, so its death reads as end-of-file here.
        os.close(jobs_out)
        os.close(events_in)
        d = _Decoder(process, Connection(jobs_in, readable=False), Connection(events_out, writable=False))
        _send(d, (self.settings, self.backlog))
        self.decoders.append(d)
        self._feed(d)

    def _feed(self, d: _Decoder) -> None:
        while len(d.held) <= AHEAD and self.pending:
            job = self.pending.popleft()
            d.held.append(job)
            _send(d, job)

    def _retire(self, d: _Decoder) -> VideoJob:
        """Stop a decoder that failed its file; the files it held after that one go to a fresh decoder."""
        self._stop(d)
        self.decoders.remove(d)
        failed = d.held.popleft()
        self.pending.extendleft(reversed(d.held))
        if self.pending:
            self._start()
        return failed

    @staticmethod
    def _stop(d: _Decoder) -> None:
        if d.process.poll() is None:
            d.process.kill()
        d.process.wait()
        d.jobs.close()
        d.events.close()


def _send(d: _Decoder, message: object) -> None:
    try:
        d.jobs.send(message)
    except BrokenPipeError:
        pass  # the decoder died (on the file in hand): its events' end-of-file says so, and its files move on


def serve(jobs_fd: int, events_fd: int) -> None:
    """A decoder's life: settings first, then files until the parent is gone; events go back as they come."""
    from vidx.media.opening import single_threaded

    single_threaded()
    jobs, events = Connection(jobs_fd, writable=False), Connection(events_fd, readable=False)
    try:
        settings, backlog = jobs.recv()
        # Events leave through a thread, so decoding goes on while one is pickled and while the parent is busy.
        outgoing: queue.Queue = queue.Queue(backlog)
        threading.Thread(target=_sender, args=(outgoing, events), daemon=True).start()
        while True:
            job = jobs.recv()
            waiting = 0.0
            started = time.perf_counter()
            for event in read([job], settings):
                handed = time.perf_counter()
                if isinstance(event, ClipReady):
                    outgoing.put(event)
                else:
                    event.seconds = round(handed - started - waiting, 3)
                    outgoing.put(event)
                    # A crash on the next file would lose this end if it were still unsent, and the parent would
                    # blame this file: the next one starts once the end is in the pipe.
                    outgoing.join()
                waiting += time.perf_counter() - handed
    except EOFError:
        os._exit(0)  # the parent closed the pipe: it is done with this decoder, or gone


def _sender(outgoing: queue.Queue, events: Connection) -> None:
    while True:
        events.send(outgoing.get())
        outgoing.task_done()
