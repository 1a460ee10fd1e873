"""vidx.cli: a thin click layer over `vidx.Library`; heavy libraries load only inside commands."""

from . import dupes, export, index_query, maintenance, model_commands, serve, settings_commands  # noqa: F401
from .app import cli, main

__all__ = ["cli", "main"]
