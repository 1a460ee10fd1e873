"""`vidx dupes`: groups of videos that hold the same footage, or the same bytes."""

from __future__ import annotations

import click

from .app import emit_json, pass_state


@click.command("dupes")
@click.option(
    "--json", "as_json", is_flag=True, help="Print {groups: [{kind, videos: [{path, duration, start, end}], overlap}]}."
)
@click.option(
    "--min-overlap",
    type=float,
    default=0.8,
    show_default=True,
    help="Share of the shorter video two videos must have in common, from 0 to 1.",
)
@pass_state
def dupes_command(state, as_json, min_overlap):
    """Find videos holding the same footage: re-encoded, resized, cropped, or cut out of another; and exact copies."""
    from vidx.times import span

    lib = state.library()
    found = lib.dupes(min_overlap)
    if lib.is_empty():
        if as_json:
            emit_json({"groups": []})
        else:
            click.echo("The index is empty: run `vidx index FOLDER` first.")
        return
    if as_json:
        emit_json(found.as_json())
        return
    if not found.groups:
        click.echo("No duplicates found.")
    for group in found.groups:
        click.echo(f"{group.kind}, overlap {group.overlap:.2f}")
        for v in group.videos:
            click.echo(f"  {v.path}  {span(v.start, v.end, of=v.duration)}")
