"""`vidx index` and `vidx query`: the write path and the read path."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from vidx.config import ENGINES
from vidx.errors import FilesFailed, LockHeld, NoSuchFile, NotIndexed, UsageError
from vidx.filenames import printable
from vidx.times import instant, seconds_in, span

from .app import counted, emit_json, flag_hint, pass_state, wait_hint


def summary_line(s) -> str:
    speed = ""
    if s.clips_embedded and s.seconds:
        speed = f" ({s.clips_per_second:.1f} clips/s, {s.video_seconds / s.seconds:.1f}x real time)"
    still = f", {s.still_being_written} still being written" if s.still_being_written else ""
    earlier = f", {s.failed_before} failed earlier (vidx failed)" if s.failed_before else ""
    said = f"; {counted(s.said_segments, 'line')} of subtitles and speech stored" if s.said_segments else ""
    return (
        f"{s.added} added, {s.changed} changed, {s.moved} moved, {s.removed} removed, "
        f"{s.unchanged} unchanged, {len(s.failed)} failed{still}{earlier}; "
        f"{counted(s.clips_embedded, 'clip')} embedded in {s.seconds:.1f} s{speed}{said}"
    )


def print_summary(summary, as_json: bool) -> None:
    if as_json:
        emit_json(summary.as_json())
        return
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    for failure in summary.failed:
        click.echo(f"failed: {failure.error}", err=True)
    click.echo(summary_line(summary))


@click.command("index")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--batch", type=int, help="Clips per inference batch (index.batch).")
@click.option("--fps", type=float, help="Frames sampled per second; 0 = every frame (clip.fps).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--quiet", is_flag=True, help="Print only errors and the summary.")
@click.option("--retry-failed", is_flag=True, help="Try again the files that failed before, changed or not.")
@click.option("--wait", type=float, default=0.0, help="Seconds to wait for another running index to finish.")
@click.option("--engine", type=click.Choice(ENGINES), help="Decode and embed here or on a Ray cluster (index.engine).")
@click.option("--address", help="The Ray cluster's head, HOST:PORT, or local (ray.address).")
@pass_state
def index_command(state, paths, batch, fps, as_json, quiet, retry_failed, wait, engine, address):
    """Index the videos under PATHS (default: every folder indexed before).

    Exit codes: 0 all well, 3 finished but some files failed, 1 could not run, 2 usage error.
    """
    from vidx import IndexStopped

    from .progress import TerminalProgress

    lib = state.library(**{"index.batch": batch, "clip.fps": fps, "index.engine": engine, "ray.address": address})
    if address and lib.settings.index.engine != "ray":
        raise UsageError("--address is the Ray cluster's: give --engine ray too")
    progress = TerminalProgress(quiet or as_json)
    # The run's own notices (the wait for files that have just settled) are neither errors nor the summary.
    logging.getLogger("vidx.index").setLevel(logging.WARNING if quiet else logging.NOTSET)
    try:
        with flag_hint(LockHeld, wait_hint(wait)):
            summary = lib.index(list(paths), progress, retry_failed, wait)
    except KeyboardInterrupt:
        progress.stop()
        click.echo(progress.interrupted(), err=True)
        raise click.exceptions.Exit(130) from None
    except IndexStopped as e:
        # What the run committed before the disk filled up stays, and the summary says what that was.
        print_summary(e.summary, as_json)
        raise
    print_summary(summary, as_json)
    if summary.failed:
        raise FilesFailed(f"{len(summary.failed)} of the files could not be indexed; `vidx failed` lists them")


def parse_like(spec: str) -> tuple[str, float]:
    """`VIDEO[@TIME]` (seconds, mm:ss or h:mm:ss) -> (path, seconds); a file whose name holds '@' still works
    without a time.

    A time that is not one, after the name of a file that is there, is a usage error, not a missing file."""
    head, sep, tail = spec.rpartition("@")
    if not sep or Path(spec).expanduser().exists():
        return spec, 0.0
    at = seconds_in(tail)
    if at is not None:
        return head, at
    if Path(head).expanduser().is_file():
        raise UsageError(
            f"--like {spec}: the time after @ is malformed ({tail!r}); give seconds, mm:ss or h:mm:ss, e.g. {head}@1:15"
        )
    return spec, 0.0


@click.command("query")
@click.argument("text", required=False)
@click.option("-k", "k", type=click.IntRange(min=1), help="How many videos (search.k).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--clips", is_flag=True, help="List the best clips instead of one line per video.")
@click.option("--seen", is_flag=True, help="Rank by the pictures only.")
@click.option("--said", is_flag=True, help="Rank by the words only (subtitles and speech).")
@click.option("--min-score", type=float, help="Leave out results scoring below this.")
@click.option("--under", type=click.Path(), help="Only videos under this folder.")
@click.option(
    "--like",
    metavar="VIDEO[@mm:ss]",
    help="Query by example: the videos nearest to that clip (its moment in seconds, mm:ss or h:mm:ss).",
)
@click.option("--since", metavar="DATE", help="Only files modified on or after DATE (ISO, e.g. 2024-05-01).")
@click.option("--until", metavar="DATE", help="Only files modified on or before DATE (that whole day).")
@click.option("--min-duration", type=float, metavar="S", help="Only videos at least S seconds long.")
@click.option("--max-duration", type=float, metavar="S", help="Only videos at most S seconds long.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), help="Also write a result page to this file.")
@click.option("--open", "open_page", is_flag=True, help="Open the --html page in the browser.")
@click.option(
    "--export", "export_dir", type=click.Path(file_okay=False), metavar="DIR", help="Write each result's moment to DIR."
)
@click.option("--pad", type=float, default=0.0, metavar="S", help="Seconds added on each side of an exported moment.")
@pass_state
def query_command(
    state,
    text,
    k,
    as_json,
    clips,
    seen,
    said,
    min_score,
    under,
    like,
    since,
    until,
    min_duration,
    max_duration,
    html_file,
    open_page,
    export_dir,
    pad,
):
    """Find the videos, and the moment in each, that best match TEXT (or --like a clip)."""
    if like and text is not None:
        raise UsageError("Give TEXT or --like VIDEO, not both")
    if not like and text is None:
        raise UsageError('Give TEXT to search for, e.g. vidx query "car drifting", or --like VIDEO[@mm:ss]')
    if open_page and not html_file:
        raise UsageError("--open opens the --html page: give --html FILE too")
    from vidx import SearchOptions

    if seen and said:
        raise UsageError("Give --seen or --said, not both: without either, pictures and words rank together")
    if said and (clips or like):
        flag = "--clips lists clips" if clips else "--like finds videos"
        raise UsageError(f"{flag} by their pictures: drop --said")
    lib = state.library()
    options = SearchOptions(k, clips, min_score, under, since, until, min_duration, max_duration)
    with flag_hint(NotIndexed, "; `vidx roots` lists them"):
        if like is None:
            mode = "seen" if seen else "said" if said else "both"
            label, hits = text, lib.search(text, options=SearchOptions.given(options, mode=mode))
        else:
            path, at = parse_like(like)
            with flag_hint(NoSuchFile, " for --like"):
                label, hits = f"like {like}", lib.like(path, at, options=options)
    if not hits and lib.is_empty():
        # An empty index honestly has no match: exit 0 with no results, and say why on a terminal.
        if as_json:
            emit_json({"query": label, "results": []})
        else:
            click.echo("The index is empty: run `vidx index FOLDER` first.")
        return
    # How good the best hit is, against the library's typical score for the text (a query by example has none).
    typical = lib.typical_score(text) if like is None else None
    # A best hit whose words matched is a match, whatever its pictures score.
    by_words = bool(hits) and hits[0].said is not None
    if typical is not None and hits and not by_words and not typical.good_match(hits[0].score) and not as_json:
        click.echo(
            f"No good match: the best result scores {hits[0].score:.4g}, no better than most clips score for this "
            f"query ({typical.median:.4g}).",
            err=True,
        )
    if hits.deleted:
        left_out = counted(hits.deleted, "indexed file")
        click.echo(f"Left out {left_out} deleted since the last index run (`vidx index` forgets them)", err=True)
    if html_file:
        from vidx.web import write_html_page

        page = write_html_page(lib, label, hits, html_file, typical)
        click.echo(f"Wrote the page to {page}", err=True)
        if open_page:
            import webbrowser

            webbrowser.open(page.as_uri())
    exported = lib.export_hits(hits, export_dir, pad) if export_dir else []
    if as_json:
        results = [h.as_json() for h in hits]
        for result, done in zip(results, exported, strict=False):
            result["export"] = printable(str(done.path))
        answer = {"query": label, "results": results, "deleted_files": hits.deleted}
        if typical is not None:
            answer.update(typical.as_json(hits[0].score if hits else None))
            if by_words:
                answer["good_match"] = True
        emit_json(answer)
        return
    if not hits:
        click.echo("No match.")
    for h in hits:
        click.echo(f"{h.rank:>3}  {h.score:6.2f}  {h.path}  {span(h.start, h.end)}")
        # The other paths of the same bytes, each under the result's path; the result line keeps its four fields.
        for copy in h.copies:
            click.echo(f"       also: {copy}")
        if h.said is not None:
            click.echo(f'       said at {instant(h.said.start)}: "{h.said.text}" ({h.said.source})')
    for done in exported:
        click.echo(printable(f"exported {done.path}"), err=True)
