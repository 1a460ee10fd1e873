"""`vidx config` and `vidx status`."""

from __future__ import annotations

import click

from .app import counted, emit_json, pass_state
from .model_commands import speech_line


@click.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_state
def config_command(state, as_json):
    """Show the effective settings and where each came from."""
    from vidx.config import locate_home

    settings = state.library().settings
    _, home_from = locate_home(state.home_flag)
    if as_json:
        emit_json(
            {
                "home": str(settings.home.root),
                "home_from": home_from,
                "settings": {
                    k: {"value": list(v) if isinstance(v, tuple) else v, "from": o} for k, v, o in settings.items()
                },
            }
        )
        return
    click.echo(f"home = {settings.home.root}  ({home_from})")
    for key, value, origin in settings.items():
        shown = (
            ", ".join(value) if isinstance(value, tuple) else str(value).lower() if isinstance(value, bool) else value
        )
        click.echo(f"{key} = {shown}  ({origin})")


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_state
def status_command(state, as_json):
    """Show what is indexed and which model is in use."""
    lib = state.library()
    data = lib.status()
    if as_json:
        emit_json(data)
        return
    click.echo(
        f"{counted(data['videos'], 'video')}, {counted(data['clips'], 'clip')}, "
        f"{counted(data['vectors'], 'vector')}, {data['failed']} failed"
    )
    click.echo(
        f"said: {counted(data['said_segments'], 'line')} of subtitles and speech; "
        f"bitmap subtitle streams skipped: {data['bitmap_subtitle_streams']}"
    )
    click.echo(f"roots: {', '.join(data['roots']) or '(none)'}")
    click.echo(f"model: {data['model'] or '(none)'} [{data['precision']}]")
    click.echo(f"speech: {speech_line(data['speech'])}")
    click.echo(f"index: {data['index_bytes']} bytes; database: {data['db_bytes']} bytes")
    click.echo(f"last index run ended: {data['last_run_end'] or 'never'}")
    for failure in lib.failures():
        click.echo(f"failed: {failure.error}")
