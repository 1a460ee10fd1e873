"""`vidx index`: walk the roots, decide what changed, and drive reader -> embedder -> writer."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vidx.config import Settings, VidxError
from vidx.store import Catalog, ClipVector, vectors
from vidx.store.catalog import now

from .stages import ClipReady, VideoDone, VideoFailed, VideoJob, embed, read
from .walk import walk


@dataclass
class Failure:
    path: str
    error: str


@dataclass
class IndexSummary:
    added: int = 0
    changed: int = 0
    moved: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: list[Failure] = field(default_factory=list)
    clips_embedded: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{self.added} added, {self.changed} changed, {self.moved} moved, {self.removed} removed, "
            f"{self.unchanged} unchanged, {len(self.failed)} failed; "
            f"{self.clips_embedded} clips embedded in {self.seconds:.1f} s"
        )


class Progress:
    """What the CLI shows while indexing; the default shows nothing."""

    def start(self, total: int) -> None: ...

    def file_done(self, path: str, outcome: str) -> None: ...

    def finish(self) -> None: ...


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def plan(catalog: Catalog, roots: list[Path], settings: Settings, summary: IndexSummary, reembed_all: bool):
    """Jobs for new and changed files; drops vanished ones from the catalogue as it goes."""
    jobs: list[VideoJob] = []
    removed_ids: list[int] = []
    for root in roots:
        root_id = catalog.add_root(root)
        seen = set()
        for path in walk(root, settings.index.extensions):
            seen.add(str(path))
            stat = _stat(path)
            if stat is None:
                summary.failed.append(Failure(str(path), f"{path}: cannot read (dangling link or vanished)"))
                continue
            known = catalog.video(str(path))
            if known and not reembed_all and (known.size, known.mtime_ns) == stat:
                summary.unchanged += 1
                continue
            jobs.append(VideoJob(path, root_id, *stat))
        for video in catalog.videos_under(str(root)):
            if video.path not in seen:
                removed_ids += catalog.delete_video(video.id)
                summary.removed += 1
    return jobs, removed_ids


def index(
    catalog: Catalog,
    roots: list[Path],
    settings: Settings,
    make_encoder: Callable[[], Callable],
    vector_space: str,
    progress: Progress | None = None,
) -> IndexSummary:
    """Index every root; vectors of another model or precision are re-embedded, never mixed."""
    started = time.perf_counter()
    progress = progress or Progress()
    summary = IndexSummary()
    for root in roots:
        if not root.is_dir():
            raise VidxError(f"{root}: not a folder; give the folder that holds your videos")
    stored_space = catalog.get_meta("vector_space")
    reembed_all = stored_space is not None and stored_space != vector_space
    index = catalog.load_index()
    jobs, removed_ids = plan(catalog, roots, settings, summary, reembed_all)
    known_paths = {j.path for j in jobs if catalog.video(str(j.path))}
    if index is not None and removed_ids:
        index.remove_ids(vectors.ids_selector(removed_ids))

    progress.start(len(jobs))
    if jobs:
        encode = make_encoder()
        events = embed(read(jobs, settings), encode, settings.index.batch)
        for outcome in _write(catalog, events, summary, known_paths):
            kind, path, removed, added, vecs = outcome
            if index is None and vecs:
                index = vectors.new_index(len(vecs[0]))
            if index is not None:
                if removed:
                    index.remove_ids(vectors.ids_selector(removed))
                if added:
                    vectors.add(index, added, vecs)
            progress.file_done(path, kind)
    catalog.set_meta("vector_space", vector_space)
    if index is not None:
        catalog.save_index(index, catalog.generation)
    catalog.set_meta("last_run_end", now())
    progress.finish()
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def _write(catalog: Catalog, events, summary: IndexSummary, known_paths: set[Path]) -> Iterator[tuple]:
    """The writer stage: one transaction per video, once all its clips have vectors."""
    collected: dict[Path, list[ClipVector]] = {}
    for event in events:
        path = event.job.path
        if isinstance(event, ClipReady):
            c = event.clip
            collected.setdefault(path, []).append(ClipVector(c.index, c.start, c.end, event.vector))
        elif isinstance(event, VideoDone):
            clips = collected.pop(path, [])
            job = event.job
            _, removed, added = catalog.save_video(job.root_id, str(path), (job.size, job.mtime_ns), event.info, clips)
            summary.clips_embedded += len(clips)
            if path in known_paths:
                summary.changed += 1
            else:
                summary.added += 1
            yield ("indexed", str(path), removed, added, [c.vector for c in clips])
        elif isinstance(event, VideoFailed):
            collected.pop(path, None)
            job = event.job
            removed = catalog.save_failure(job.root_id, str(path), (job.size, job.mtime_ns), event.error)
            summary.failed.append(Failure(str(path), event.error))
            yield ("failed", str(path), removed, [], [])


def resolve_roots(paths: list[str]) -> list[Path]:
    return [Path(os.path.abspath(os.path.expanduser(p))) for p in paths]
