"""The installed S3D models: a shelf (shelf.py) in the home's models folder."""

from __future__ import annotations

from pathlib import Path

from vidx.config import Home
from vidx.errors import NoModelError

from .manifest import Manifest
from .shelf import Shelf


def shelf(home: Home) -> Shelf:
    return Shelf(home.models)


def active_dir(home: Home) -> Path | None:
    return shelf(home).active()


def require_active(home: Home) -> Path:
    """The active model's folder; NoModelError when none was imported."""
    folder = active_dir(home)
    if folder is None:
        raise NoModelError(home.root)
    return folder


def active_manifest(home: Home) -> Manifest:
    return Manifest.load(require_active(home))
