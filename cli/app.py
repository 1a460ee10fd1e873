"""The click group, shared options, and the edge where VidxError becomes a one-line error."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

import click

from vidx.config import Home, Settings, VidxError, load_settings, parse_assignment, resolve_home


class CliError(click.ClickException):
    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


class VidxGroup(click.Group):
    """Turns VidxError from any subcommand into `Error: <message>` and its exit code, no traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except VidxError as e:
            raise CliError(str(e), e.exit_code) from None


@dataclass
class State:
    home_flag: str | None
    assignments: list[str]

    def settings(self, **flags: object) -> Settings:
        """Settings with this command's flags on top; flags left as None do not override."""
        overrides = {}
        for text in self.assignments:
            key, value = parse_assignment(text)
            overrides[key] = value
        overrides.update({k: v for k, v in flags.items() if v is not None})
        return load_settings(Home(resolve_home(self.home_flag)), overrides)


pass_state = click.make_pass_decorator(State)


@click.group(cls=VidxGroup)
@click.version_option(package_name="vidx")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    help="Data folder (default: $VIDX_HOME, else ~/.local/share/vidx).",
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
    ctx.obj = State(home, list(assignments))


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


def main() -> None:
    """Console entry point."""
    try:
        cli.main(prog_name="vidx")
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    runtime = sys.modules.get("vidx.model.runtime")
    if runtime is not None and runtime.holds_string_models():
        # See vidx.model.runtime: destroying the compiled text model would abort the process.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


__all__ = ["CliError", "State", "cli", "emit_json", "main", "pass_state"]
