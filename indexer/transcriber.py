"""The speech process: one child beside the decoders and the model, hearing files one at a time.

Like the decoders (decoders.py), it is a `python -c` process over two pipes that dies with the indexer
(lifetime.start_child starts both), started on the first file given. A file that shows no progress for `timeout`
seconds, or kills the process, loses its speech alone (the reason is kept); a fresh process goes on with the files
after it.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path

from .lifetime import Child, start_child
from .speech import Transcript

# Files handed to the process beyond the one it hears, so it never waits for the parent between files.
AHEAD = 1


class Transcriber:
    """`submit` files, collect their Transcripts with `ready` (never waits) or `finish` (waits for all)."""

    def __init__(self, model_folder: Path, threads: int, timeout: float):
        self.model_folder = model_folder
        self.threads = max(1, threads)
        self.timeout = timeout
        self.pending: deque[Path] = deque()
        self.child: Child[Path] | None = None

    def __enter__(self) -> Transcriber:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def busy(self) -> bool:
        return bool(self.pending or (self.child and self.child.held))

    def submit(self, path: Path) -> None:
        self.pending.append(path)
        self._feed()

    def ready(self) -> list[Transcript]:
        """The Transcripts finished by now."""
        return list(self._collect(0.0))

    def finish(self) -> Iterator[Transcript]:
        """Every Transcript not yet collected, as each file ends."""
        while self.busy:
            yield from self._collect(0.5)

    def close(self) -> None:
        if self.child:
            self.child.stop()
            self.child = None
        self.pending.clear()

    def _collect(self, wait_seconds: float) -> Iterator[Transcript]:
        d = self.child
        if d is None or not d.held:
            return
        if wait([d.events], timeout=wait_seconds):
            while d.held and d.events.poll():
                try:
                    message = d.events.recv()
                except EOFError:
                    d.process.wait()
                    yield self._retire(f"the speech engine crashed (exit code {d.process.returncode})")
                    return
                d.last = time.monotonic()
                if isinstance(message, Transcript):
                    d.held.popleft()
                    self._feed()
                    yield message
        if d.held and time.monotonic() - d.last > self.timeout:
            yield self._retire(f"no speech progress for {self.timeout:g} s (index.timeout)")

    def _retire(self, reason: str) -> Transcript:
        """Stop a process that failed its file; the files it held after that one go to a fresh process."""
        d = self.child
        assert d is not None
        d.stop()
        self.child = None
        failed = d.held.popleft()
        self.pending.extendleft(reversed(d.held))
        self._feed()
        return Transcript(failed, error=f"{failed}: {reason}; its speech is not indexed")

    def _feed(self) -> None:
        if self.pending and self.child is None:
            self.child = start_child("vidx.indexer.transcriber", (self.model_folder, self.threads))
        d = self.child
        while d and len(d.held) <= AHEAD and self.pending:
            path = self.pending.popleft()
            d.held.append(path)
            if len(d.held) == 1:
                d.last = time.monotonic()  # the clock of a file starts when the process is free to take it
            d.send(path)


def serve(jobs_fd: int, events_fd: int) -> None:
    """The speech process's life: the model's folder and threads first, then files until the parent is gone."""
    from vidx.model.recogniser import Recogniser

    from .speech import hear

    jobs, events = Connection(jobs_fd, writable=False), Connection(events_fd, readable=False)
    try:
        folder, threads = jobs.recv()
        recogniser = Recogniser(folder, threads)
        while True:
            path = jobs.recv()
            events.send(hear(path, recogniser, progress=lambda: events.send(None)))
    except EOFError:
        os._exit(0)  # the parent closed the pipe: it is done with this process, or gone
