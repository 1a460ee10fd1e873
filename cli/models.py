"""Helpers shared by commands that need the model: auto-import and encoder construction."""

from __future__ import annotations

import click

from vidx.config import Settings


def ensure_model(settings: Settings):
    """The active model's folder, importing the default source first when none is installed."""
    from vidx.model import registry

    folder = registry.active_dir(settings.home)
    if folder is not None:
        return folder
    from vidx.model.importer import import_model

    click.echo(f"No model installed yet: importing {settings.model.source} (once).", err=True)
    return import_model(settings.home, settings.model.source).folder


def vector_space(settings: Settings) -> str:
    from vidx.model.manifest import Manifest

    manifest = Manifest.load(ensure_model(settings))
    return f"{manifest.fingerprint[:16]}:{settings.model.precision}"


def open_catalog(settings: Settings):
    from vidx.store import Catalog

    return Catalog(settings.home, settings.index.ann_threshold)
