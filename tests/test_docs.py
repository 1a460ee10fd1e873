"""The README names every command and every option, so the docs cannot drift from the CLI."""

from pathlib import Path

import click
import pytest

from vidx.cli import cli
from vidx.config import DEFAULT_HOME
from vidx.config.table import markdown

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands(group, prefix=()):
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


COMMANDS = list(_commands(cli))
OPTIONS = [
    (path, opt)
    for path, command in [((), cli), *COMMANDS]
    for param in command.params
    if isinstance(param, click.Option) and param.name != "help"
    for opt in param.opts
    if opt.startswith("--")
]


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_command_is_in_the_readme(path):
    assert f"vidx {' '.join(path)}" in README


@pytest.mark.parametrize(("path", "option"), OPTIONS, ids=lambda x: " ".join(x) if isinstance(x, tuple) else x)
def test_every_option_is_in_the_readme(path, option):
    assert f"{option} " in README or f"{option}`" in README or f"{option}=" in README or f"{option}]" in README, (
        f"vidx {' '.join(path)} {option} is missing from README.md"
    )


def test_the_readme_settings_table_is_the_declaration():
    start = README.index("| setting | default | meaning |")
    table = README[start : README.index("\n\n", start) + 1]
    assert table == markdown(), "README.md's settings table is not config/declared.py's: `python -m vidx.config.table`"


def test_help_and_readme_word_the_default_home_alike():
    option = next(p for p in cli.params if p.name == "home")
    assert f"(default: {DEFAULT_HOME})" in option.help
    assert DEFAULT_HOME in " ".join(README.replace("`", "").split()), "README.md words the default home otherwise"
