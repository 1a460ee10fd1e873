"""Progress for long runs: one rewritten line on a terminal, timestamped log lines otherwise (cron mail)."""

from __future__ import annotations

import datetime as dt
import sys

import click
from vidx.indexer.run import Progress


class TerminalProgress(Progress):
    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.total = 0
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total
        if not self.quiet and not self.tty:
            self._log(f"{total} files to embed")

    def file_done(self, path: str, outcome: str) -> None:
        self.done += 1
        if self.quiet:
            return
        if self.tty:
            line = f"[{self.done}/{self.total}] {outcome} {path}"
            width = 100
            click.echo("\r" + line[-width:].ljust(width), nl=False, err=True)
        else:
            self._log(f"{outcome} {path}")

    def finish(self) -> None:
        if self.tty and self.done and not self.quiet:
            click.echo(err=True)

    @staticmethod
    def _log(message: str) -> None:
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        click.echo(f"{stamp} {message}", err=True)
