"""`vidx index` and `vidx query`: the write path and the read path."""

from __future__ import annotations

import click

from vidx.config import UsageError, VidxError

from .app import cli, emit_json, pass_state
from .models import ensure_model, open_catalog, vector_space


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--batch", type=int, help="Clips per inference batch (index.batch).")
@click.option("--fps", type=float, help="Frames sampled per second; 0 = every frame (clip.fps).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--quiet", is_flag=True, help="Print only errors and the summary.")
@click.option("--retry-failed", is_flag=True, help="Try again the files that failed before, changed or not.")
@click.option("--wait", type=float, default=0.0, help="Seconds to wait for another running index to finish.")
@pass_state
def index_command(state, paths, batch, fps, as_json, quiet, retry_failed, wait):
    """Index the videos under PATHS (default: every folder indexed before).

    Exit codes: 0 all well, 3 finished but some files failed, 1 could not run, 2 usage error.
    """
    from vidx.indexer.lock import index_lock
    from vidx.indexer.run import index, resolve_roots
    from vidx.model.runtime import VideoEncoder

    from .progress import TerminalProgress

    settings = state.settings(**{"index.batch": batch, "clip.fps": fps})
    with index_lock(settings.home, wait):
        catalog = open_catalog(settings)
        roots = resolve_roots(list(paths)) if paths else resolve_roots(catalog.roots())
        if not roots:
            raise UsageError("No folder to index: give one, e.g. vidx index ~/Videos")
        space = vector_space(settings)
        clip = settings.clip

        def make_encoder():
            return VideoEncoder(settings.home, settings.model.precision, clip.frames, clip.size).embed

        progress = TerminalProgress(quiet or as_json)
        summary = index(catalog, roots, settings, make_encoder, space, progress, retry_failed)
    if as_json:
        emit_json(summary.as_json())
    else:
        for failure in summary.failed:
            click.echo(f"failed: {failure.error}", err=True)
        click.echo(summary.line())
    if summary.failed:
        raise SystemExit(3)


def check_same_model(catalog, folder) -> None:
    """Text vectors of one model against video vectors of another would rank at random."""
    from vidx.model.manifest import Manifest

    stored = (catalog.get_meta("vector_space") or "").split(":")[0]
    active = Manifest.load(folder).fingerprint[:16]
    if stored and stored != active:
        raise VidxError(
            f"The index was built with another model ({stored}); run `vidx index` to re-embed it with the active one "
            f"({active})"
        )


@cli.command("query")
@click.argument("text", required=False)
@click.option("-k", "k", type=int, help="How many videos (search.k).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--clips", is_flag=True, help="List the best clips instead of one line per video.")
@click.option("--min-score", type=float, help="Leave out results scoring below this.")
@click.option("--under", type=click.Path(), help="Only videos under this folder.")
@click.option("--like", metavar="VIDEO[@mm:ss]", help="Query by example: the videos nearest to that clip.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), help="Also write a result page to this file.")
@click.option("--open", "open_page", is_flag=True, help="Open the --html page in the browser.")
@pass_state
def query_command(state, text, k, as_json, clips, min_score, under, like, html_file, open_page):
    """Find the videos, and the moment in each, that best match TEXT (or --like a clip)."""
    from vidx.searcher import check_query, search, search_vector

    if like and text is not None:
        raise UsageError("Give TEXT or --like VIDEO, not both")
    if not like and text is None:
        raise UsageError('Give TEXT to search for, e.g. vidx query "car drifting", or --like VIDEO[@mm:ss]')
    if open_page and not html_file:
        raise UsageError("--open opens the --html page: give --html FILE too")
    settings = state.settings(**{"search.k": k})
    catalog = open_catalog(settings)
    label = text if like is None else f"like {like}"
    if like is None:
        check_query(text)
    if catalog.counts()["clips"] == 0:
        # An empty index honestly has no match: exit 0 with no results, and say why on a terminal.
        if as_json:
            emit_json({"query": label, "results": []})
        else:
            click.echo("The index is empty: run `vidx index FOLDER` first.")
        return
    folder = ensure_model(settings)
    check_same_model(catalog, folder)
    options = {"clips": clips, "min_score": min_score, "under": under}
    if like is None:
        from vidx.model.runtime import TextEncoder

        hits = search(catalog, TextEncoder(settings.home, folder), text, settings.search.k, **options)
    else:
        from vidx.model.runtime import VideoEncoder
        from vidx.searcher.like import clip_at, parse_like

        path, at = parse_like(like)
        clip = clip_at(settings, path, at)
        c = settings.clip
        vector = VideoEncoder(settings.home, settings.model.precision, c.frames, c.size, folder).embed(
            clip.pixels[None]
        )[0]
        hits = search_vector(catalog, vector, settings.search.k, exclude=str(path), **options)
    if html_file:
        _write_page(catalog, label, hits, html_file, open_page)
    if as_json:
        emit_json({"query": label, "results": [h.as_json() for h in hits]})
        return
    from vidx.searcher.page import moment

    if not hits:
        click.echo("No match.")
    for h in hits:
        click.echo(f"{h.rank:>3}  {h.score:6.2f}  {h.path}  {moment(h.start)}–{moment(h.end)}")


def _write_page(catalog, label: str, hits, html_file: str, open_page: bool) -> None:
    """A self-contained page: thumbnails as data URIs, links that open each video at its moment."""
    import base64
    import webbrowser
    from pathlib import Path

    from vidx.searcher.page import render

    def thumb(hit):
        data = catalog.thumbnail(hit.clip_id)
        return "data:image/jpeg;base64," + base64.b64encode(data).decode() if data else None

    def link(hit):
        return f"{Path(hit.path).as_uri()}#t={hit.start:g},{hit.end:g}"

    target = Path(html_file).expanduser().absolute()
    target.write_text(render(label, hits, thumb, link), encoding="utf-8")
    if open_page:
        webbrowser.open(target.as_uri())
