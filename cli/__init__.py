"""vidx.cli: a thin click layer over `vidx.Library`; heavy libraries load only inside commands."""

from . import index_query, maintenance, model_commands, serve, settings_commands  # noqa: F401  registers commands
from .app import cli, main

__all__ = ["cli", "main"]
