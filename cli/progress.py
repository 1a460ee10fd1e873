"""Progress for long runs: a rich progress bar on a terminal, timestamped log lines otherwise (cron mail)."""

from __future__ import annotations

import datetime as dt
import sys

import click

from vidx.indexer.run import Progress


class TerminalProgress(Progress):
    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.bar = None
        self.task = None

    def start(self, total: int) -> None:
        if self.quiet:
            return
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("indexing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.description}", style="dim"),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("", total=total)
        else:
            self._log(f"{total} files to embed")

    def file_done(self, path: str, outcome: str) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.update(self.task, advance=1 if outcome in ("indexed", "failed") else 0, description=path[-60:])
        else:
            self._log(f"{outcome} {path}")

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.stop()

    @staticmethod
    def _log(message: str) -> None:
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        click.echo(f"{stamp} {message}", err=True)
