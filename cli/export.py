"""`vidx export`: one span of a video as an MP4 file that browsers play."""

from __future__ import annotations

import click

from .app import pass_state


@click.command("export")
@click.argument("video", type=click.Path(dir_okay=False))
@click.argument("start")
@click.argument("end")
@click.option("-o", "--output", "out_file", required=True, type=click.Path(dir_okay=False), help="MP4 file to write.")
@click.option("--pad", type=float, default=0.0, show_default=True, help="Seconds added on each side, within the video.")
@pass_state
def export_command(state, video, start, end, out_file, pad):
    """Write START to END of VIDEO (seconds, mm:ss or h:mm:ss) as H.264 MP4, cut to the frame, sound kept."""
    from vidx.filenames import printable
    from vidx.times import parse_time, span

    done = state.library().export(video, parse_time(start, "START"), parse_time(end, "END"), out_file, pad)
    sound = "" if done.audio else ", no sound track in the source"
    click.echo(printable(f"Wrote {done.path} ({span(done.start, done.end)} of {video}{sound})"))
