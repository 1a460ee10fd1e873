"""The click group, shared options, and the edge where VidxError becomes a one-line error."""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from vidx.config.home import DEFAULT_HOME
from vidx.counting import counted
from vidx.errors import FilesFailed, Unhealthy, VidxError
from vidx.filenames import printable

if TYPE_CHECKING:
    from vidx.library import Library


class CliError(click.ClickException):
    """A one-line `Error: ...` and an exit code; with no message, only the exit code (the output said it all)."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        # click types exit_code as a ClassVar, yet reads it from the raised instance; ours varies per error.
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file=None) -> None:
        if self.message:
            super().show(file)


# Each command's module, loaded only when that command runs or is listed with its help (click's lazy
# subcommands, docs/complex.md): `vidx query` then imports none of what the other commands use.
COMMANDS = {
    "config": "settings_commands.config_command",
    "doctor": "maintenance.doctor_command",
    "dupes": "dupes.dupes_command",
    "embed": "model_commands.embed_group",
    "export": "export.export_command",
    "failed": "maintenance.failed_command",
    "index": "index_query.index_command",
    "model": "model_commands.model_group",
    "query": "index_query.query_command",
    "roots": "maintenance.roots_group",
    "serve": "serve.serve_command",
    "status": "settings_commands.status_command",
}


class VidxGroup(click.Group):
    """Loads each command on first use, and turns VidxError from any of them into `Error: <message>` and its exit
    code, no traceback."""

    def list_commands(self, ctx) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx, cmd_name):
        if cmd_name not in COMMANDS:
            return None
        module, name = COMMANDS[cmd_name].rsplit(".", 1)
        return getattr(importlib.import_module(f"vidx.cli.{module}"), name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (FilesFailed, Unhealthy) as e:
            raise CliError("", e.exit_code) from None  # the command has printed each failure or problem
        except VidxError as e:
            raise CliError(printable(str(e)), e.exit_code) from None


@contextlib.contextmanager
def flag_hint(kind: type[VidxError], hint: str) -> Iterator[None]:
    """Add the CLI's own words (a flag to try) to a library error, which names no flag."""
    try:
        yield
    except kind as e:
        raise CliError(printable(f"{e}{hint}"), e.exit_code) from None


def wait_hint(wait: float) -> str:
    """What to add to a held lock's message: the flag that waits, or that it waited too little."""
    return f", or pass a --wait above {wait:g} seconds" if wait > 0 else ", or pass --wait SECONDS"


class _Notices(logging.Handler):
    """The library's notices (`vidx` logger, INFO and up) as plain lines on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(record.getMessage(), err=True)


@dataclass
class State:
    home_flag: str | None
    assignments: list[str]

    def library(self, **flags: object) -> Library:
        """The Library for this home, with --set and this command's flags on top (flags left as None do not count)."""
        from vidx.config import parse_assignment
        from vidx.library import Library

        overrides: dict[str, object] = dict(parse_assignment(text) for text in self.assignments)
        overrides.update({k: v for k, v in flags.items() if v is not None})
        lib = Library(self.home_flag, overrides)
        click.get_current_context().call_on_close(lib.close)
        return lib


pass_state = click.make_pass_decorator(State)


@click.group(cls=VidxGroup)
@click.version_option(package_name="vidx")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    help=f"Data folder (default: {DEFAULT_HOME}).",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="SECTION.KEY=VALUE",
    help="Override a setting, e.g. --set clip.fps=0.",
)
@click.pass_context
def cli(ctx, home, assignments):
    """Search your videos by what you remember seeing."""
    notices = logging.getLogger("vidx")
    if not any(isinstance(h, _Notices) for h in notices.handlers):
        notices.addHandler(_Notices())
        notices.setLevel(logging.INFO)
        notices.propagate = False
    ctx.obj = State(home, list(assignments))


def emit_json(data) -> None:
    """One JSON object on stdout; file names that are not UTF-8 appear with \\xNN escapes."""
    click.echo(json.dumps(_shown(data), ensure_ascii=False))


def _shown(data):
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, dict):
        return {k: _shown(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_shown(v) for v in data]
    return data


def main() -> None:
    """Console entry point."""
    cli.main(prog_name="vidx")


__all__ = ["CliError", "State", "cli", "counted", "emit_json", "flag_hint", "main", "pass_state", "wait_hint"]
