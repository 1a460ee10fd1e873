"""Every command documents itself, and --help loads none of the heavy libraries."""

import subprocess
import sys

import click
import pytest

from vidx.cli import cli


def _commands(group, prefix=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command.name == name, f"vidx {name} loads the command {command.name}"
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


COMMANDS = sorted(_commands(cli))


def test_expected_commands():
    assert {
        ("index",),
        ("query",),
        ("status",),
        ("config",),
        ("model", "import"),
        ("model", "info"),
        ("model", "quantize"),
        ("model", "use"),
        ("embed", "text"),
        ("embed", "video"),
    } <= set(COMMANDS)


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "vidx")
def test_help_without_heavy_imports(path):
    code = (
        "import sys\nfrom vidx.cli import main\n"
        f"sys.argv = ['vidx', *{list(path)!r}, '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('openvino', 'faiss', 'cv2', 'tensorflow', 'nncf', 'numpy') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Usage: vidx" in out
    assert out.strip().splitlines()[-1] == "HEAVY []"
    command = cli
    for name in path:
        command = command.get_command(click.Context(command), name)
    assert command.help, f"vidx {' '.join(path)} has no help text"
