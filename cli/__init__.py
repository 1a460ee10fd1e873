"""vidx.cli: a thin click layer over `vidx.Library`; a command's module and heavy libraries load only when it runs."""

from .app import cli, main

__all__ = ["cli", "main"]
