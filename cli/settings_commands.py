"""`vidx config` and `vidx status`."""

from __future__ import annotations

import click

from .app import cli, emit_json, pass_state
from .models import open_catalog


@cli.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_state
def config_command(state, as_json):
    """Show the effective settings and where each came from."""
    settings = state.settings()
    if as_json:
        emit_json(
            {
                "home": str(settings.home.root),
                "settings": {
                    k: {"value": list(v) if isinstance(v, tuple) else v, "from": o} for k, v, o in settings.items()
                },
            }
        )
        return
    click.echo(f"home = {settings.home.root}")
    for key, value, origin in settings.items():
        shown = ", ".join(value) if isinstance(value, tuple) else value
        click.echo(f"{key} = {shown}  ({origin})")


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_state
def status_command(state, as_json):
    """Show what is indexed and which model is in use."""
    from vidx.model import registry
    from vidx.model.manifest import Manifest

    settings = state.settings()
    catalog = open_catalog(settings)
    counts = catalog.counts()
    index = catalog.load_index(mapped=True)
    path = catalog.index_path()
    folder = registry.active_dir(settings.home)
    manifest = Manifest.load(folder) if folder else None
    data = {
        **counts,
        "vectors": index.ntotal if index is not None else 0,
        "roots": catalog.roots(),
        "model": manifest.source if manifest else None,
        "fingerprint": manifest.fingerprint if manifest else None,
        "precision": settings.model.precision,
        "index_bytes": path.stat().st_size if path else 0,
        "db_bytes": settings.home.db.stat().st_size,
        "last_run_end": catalog.get_meta("last_run_end"),
    }
    if as_json:
        emit_json(data)
        return
    click.echo(f"{data['videos']} videos, {data['clips']} clips, {data['vectors']} vectors, {data['failed']} failed")
    click.echo(f"roots: {', '.join(data['roots']) or '(none)'}")
    click.echo(f"model: {data['model'] or '(none)'} [{data['precision']}]")
    click.echo(f"index: {data['index_bytes']} bytes; database: {data['db_bytes']} bytes")
    click.echo(f"last index run ended: {data['last_run_end'] or 'never'}")
    for failure in catalog.failures():
        click.echo(f"failed: {failure.error}")
