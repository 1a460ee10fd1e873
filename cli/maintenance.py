"""`vidx roots`, `vidx failed` and `vidx doctor`: looking after the index between runs."""

from __future__ import annotations

import click

from vidx.errors import LockHeld, Unhealthy

from .app import counted, emit_json, flag_hint, pass_state, wait_hint


@click.group("roots", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.pass_context
def roots_group(ctx, as_json):
    """List the folders `vidx index` rescans."""
    if ctx.invoked_subcommand is not None:
        return
    roots = ctx.obj.library().roots()
    if as_json:
        emit_json(roots)
        return
    if not roots:
        click.echo("no roots yet: vidx index FOLDER", err=True)
    for root in roots:
        click.echo(root)


@roots_group.command("remove")
@click.argument("path", type=click.Path())
@click.option("--wait", type=float, default=0.0, help="Seconds to wait for a running index to finish.")
@pass_state
def roots_remove(state, path, wait):
    """Forget PATH and every video indexed under it."""
    with flag_hint(LockHeld, wait_hint(wait)):
        removed = state.library().remove_root(path, wait)
    videos, failed = counted(removed.videos, "video"), counted(removed.failed, "failed file")
    click.echo(f"Forgot {removed.root}: {videos} and {failed}.")


@click.command("failed")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {path, error}.")
@pass_state
def failed_command(state, as_json):
    """List the files that could not be indexed, and why."""
    rows = state.library().failures()
    if as_json:
        emit_json([{"path": r.path, "error": r.error} for r in rows])
        return
    if not rows:
        click.echo("no failed files", err=True)
    for r in rows:
        click.echo(r.error)


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print {healthy, problems, repaired}.")
@click.option("--repair", is_flag=True, help="Fix what can be fixed without the model.")
@pass_state
def doctor_command(state, as_json, repair):
    """Check that the database, the vector index and the files on disk agree; exit 1 if not, or, with --repair, if
    some problem is left."""
    result = state.library().doctor(repair)
    if as_json:
        emit_json({"healthy": result.healthy, "problems": result.problems, "repaired": result.repaired})
    else:
        for problem in result.problems:
            click.echo(f"problem: {problem}")
        for fix in result.repaired:
            click.echo(f"repaired: {fix}")
        if result.healthy:
            click.echo("healthy")
    if result.unrepaired:
        raise Unhealthy(f"{counted(len(result.unrepaired), 'problem')}; `vidx doctor --repair` fixes what it can")
