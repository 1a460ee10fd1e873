"""`vidx serve`: the local web app."""

from __future__ import annotations

import click

from .app import cli, pass_state
from .models import ensure_model, open_catalog


@cli.command("serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (localhost only by default)."
)
@click.option("--port", default=8765, show_default=True, help="Port; 0 picks a free one.")
@pass_state
def serve_command(state, host, port):
    """Search in the browser: results with thumbnails and a player that starts at the moment."""
    import datetime as dt

    from vidx.model.runtime import TextEncoder
    from vidx.searcher.web import App, Server

    from .library import check_same_model

    settings = state.settings()
    folder = ensure_model(settings)
    check_same_model(open_catalog(settings), folder)
    app = App(lambda: open_catalog(settings), TextEncoder(settings.home, folder), settings.search.k)

    def log(line: str) -> None:
        click.echo(f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')} {line}", err=True)

    server = Server(
        (host, port), app, log, max_connections=settings.serve.max_connections, timeout=settings.serve.timeout
    )
    where = (
        "localhost only; --host 0.0.0.0 shares it on the network"
        if host in ("127.0.0.1", "localhost", "::1")
        else "reachable from the network"
    )
    click.echo(f"Serving http://{host}:{server.server_address[1]}/ ({where}). Ctrl-C stops.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.server_close()
