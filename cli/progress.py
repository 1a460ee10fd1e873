"""Progress for long runs: a rich progress bar on a terminal, timestamped log lines otherwise (cron mail)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from vidx import IndexProgress


class TerminalProgress:
    """The `progress` callback `vidx index` gives `Library.index`."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.total: int | None = None  # files to embed, once the run has planned
        self.indexed = 0
        self.failed = 0

    def __call__(self, event: IndexProgress) -> None:
        if event.path is None and not event.finished:
            self.total = event.total
        self.indexed += event.outcome == "indexed"
        self.failed += event.outcome == "failed"
        if self.quiet:
            return
        if event.finished:
            self.stop()
        elif event.path is None:
            self._start(event.total)
        elif self.bar is not None and self.task is not None:
            advance = 1 if event.outcome in ("indexed", "failed") else 0
            speed = f"{event.clips_embedded / event.seconds:.1f} clips/s" if event.seconds else ""
            self.bar.update(self.task, advance=advance, description=event.path[-60:], speed=speed)
        else:
            self._log(f"{event.outcome} {event.path}")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def interrupted(self) -> str:
        """What a Ctrl-C kept: every file finished before it is committed, and the next run goes on from there."""
        if self.total is None:
            return "interrupted before any file was indexed; run vidx index again to finish"
        failed = f", {self.failed} failed" if self.failed else ""
        return f"interrupted: {self.indexed} of {self.total} files indexed{failed}; run vidx index again to finish"

    def _start(self, total: int) -> None:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("indexing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[speed]}"),
                TextColumn("{task.description}", style="dim"),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("", total=total, speed="")
        else:
            self._log(f"{total} files to embed")

    @staticmethod
    def _log(message: str) -> None:
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        click.echo(f"{stamp} {message}", err=True)
