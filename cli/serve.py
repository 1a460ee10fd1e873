"""`vidx serve`: the local web app."""

from __future__ import annotations

import click

from .app import pass_state


@click.command("serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (localhost only by default)."
)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests addressed to NAME (repeatable), e.g. the name other machines open it by.",
)
@click.option(
    "--token",
    envvar="VIDX_SERVE_TOKEN",
    help="The token every request must carry (default off loopback: a random one, shown in the link).",
)
@click.option("--no-token", is_flag=True, help="Serve off loopback without a token: anyone who reaches it sees all.")
@pass_state
def serve_command(state, host, port, allow_hosts, token, no_token):
    """Search in the browser: results with thumbnails and a player that starts at the moment."""
    import datetime as dt

    from vidx.web.guard import Guard, is_loopback
    from vidx.web.server import App, link, listen

    guard = Guard.serving(host, allow_hosts, token, no_token)
    lib = state.library()
    settings = lib.settings
    lib.warm_up()
    app = App(lib)

    def log(line: str) -> None:
        click.echo(f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')} {line}", err=True)

    server = listen(
        host,
        port,
        app,
        log=log,
        guard=guard,
        max_connections=settings.serve.max_connections,
        timeout=settings.serve.timeout,
    )
    port = server.server_address[1]
    if is_loopback(host):
        where = "localhost only; --host 0.0.0.0 shares it on the network"
    elif guard.token:
        where = "reachable from the network; the token in this link is required"
    else:
        where = "reachable from the network, without a token"
        click.echo(f"Warning: --no-token: anyone who can reach port {port} of this machine sees every video.", err=True)
    click.echo(f"Serving {link(host, port, guard.token)} ({where}). Ctrl-C stops.")
    if host in ("0.0.0.0", "::") and not allow_hosts:
        click.echo("Other machines open it by this machine's name or address: allow each with --allow-host NAME.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.server_close()
