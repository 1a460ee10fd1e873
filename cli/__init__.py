"""vidx.cli: a thin click layer over the vidx packages; heavy libraries load only inside commands."""

from . import dupes, export, library, maintenance, model_commands, serve, settings_commands  # noqa: F401  registers the commands
from .app import cli, main

__all__ = ["cli", "main"]
