"""`vidx roots`, `vidx failed` and `vidx doctor`: looking after the index between runs."""

from __future__ import annotations

import contextlib

import click

from vidx.config import VidxError

from .app import cli, emit_json, pass_state
from .models import open_catalog


@cli.group("roots", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.pass_context
def roots_group(ctx, as_json):
    """List the folders `vidx index` rescans."""
    if ctx.invoked_subcommand is not None:
        return

    roots = open_catalog(ctx.obj.settings()).roots()
    if as_json:
        emit_json(roots)
    else:
        for root in roots:
            click.echo(root)


@roots_group.command("remove")
@click.argument("path", type=click.Path())
@click.option("--wait", type=float, default=0.0, help="Seconds to wait for a running index to finish.")
@pass_state
def roots_remove(state, path, wait):
    """Forget PATH and every video indexed under it."""
    from vidx.indexer.lock import index_lock
    from vidx.indexer.run import resolve_roots

    settings = state.settings()
    (root,) = resolve_roots([path])
    with index_lock(settings.home, wait):
        catalog = open_catalog(settings)
        if str(root) not in catalog.roots():
            raise VidxError(f"{root} is not an indexed folder; `vidx roots` lists them")
        videos = len(catalog.videos_under(str(root)))
        catalog.remove_root(str(root))
        index = catalog.load_index(exact=True)
        if index is not None:
            catalog.save_index(index, catalog.generation)
    click.echo(f"Forgot {root} and its {videos} videos.")


@cli.command("failed")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {path, error}.")
@pass_state
def failed_command(state, as_json):
    """List the files that could not be indexed, and why."""

    rows = open_catalog(state.settings()).failures()
    if as_json:
        emit_json([{"path": r.path, "error": r.error} for r in rows])
        return
    for r in rows:
        click.echo(r.error)


@cli.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print {healthy, problems, repaired}.")
@click.option("--repair", is_flag=True, help="Fix what can be fixed without the model.")
@pass_state
def doctor_command(state, as_json, repair):
    """Check that the database, the FAISS file and the files on disk agree; exit 1 if not."""
    from vidx.indexer.lock import index_lock
    from vidx.store.doctor import check

    settings = state.settings()
    with index_lock(settings.home) if repair else contextlib.nullcontext():
        result = check(open_catalog(settings), repair)
    if as_json:
        emit_json({"healthy": result.healthy, "problems": result.problems, "repaired": result.repaired})
    else:
        for problem in result.problems:
            click.echo(f"problem: {problem}")
        for fix in result.repaired:
            click.echo(f"repaired: {fix}")
        if result.healthy:
            click.echo("healthy")
    if not result.healthy:
        raise SystemExit(1)
