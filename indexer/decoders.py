"""Decoding processes: each takes files one at a time from the parent and sends back their events.

A file that yields nothing for index.timeout seconds, or kills its decoder, fails alone; a fresh decoder goes
on with the files that one held. Every decoder dies with the indexer (lifetime.start_child starts it).
"""

from __future__ import annotations

import math
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection, wait

from vidx.config import Settings

from .lifetime import Child, start_child
from .plan import VideoJob
from .stages import ClipReady, Event, VideoFailed, read

# Files handed to a decoder ahead of the one it decodes, so it never waits for the parent between files.
AHEAD = 1
# Decoded clips waiting for the model, all decoders together (4.8 MB each): enough to bank the seconds the
# model takes to compile and to ride out a slow stretch of video.
CLIPS_AHEAD = 16


class DecoderPool:
    """Up to `size` decoders, started as files arrive (so decoding starts while the model compiles);
    `events()` yields what they send until every file given so far has ended."""

    def __init__(self, settings: Settings, size: int, jobs: Iterable[VideoJob] = ()):
        self.settings = settings
        self.size = max(1, size)
        self.timeout = settings.index.timeout
        self.backlog = max(2, math.ceil(max(CLIPS_AHEAD, 2 * settings.index.batch) / self.size))
        self.pending: deque[VideoJob] = deque()
        self.decoders: list[Child[VideoJob]] = []
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
            d.stop()
        self.decoders.clear()
        self.pending.clear()

    def _receive(self, d: Child[VideoJob]) -> Iterator[Event]:
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
        d: Child[VideoJob] = start_child("vidx.indexer.decoders", (self.settings, self.backlog))
        self.decoders.append(d)
        self._feed(d)

    def _feed(self, d: Child[VideoJob]) -> None:
        while len(d.held) <= AHEAD and self.pending:
            job = self.pending.popleft()
            d.held.append(job)
            d.send(job)

    def _retire(self, d: Child[VideoJob]) -> VideoJob:
        """Stop a decoder that failed its file; the files it held after that one go to a fresh decoder."""
        d.stop()
        self.decoders.remove(d)
        failed = d.held.popleft()
        self.pending.extendleft(reversed(d.held))
        if self.pending:
            self._start()
        return failed


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
