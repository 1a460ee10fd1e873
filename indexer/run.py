"""`vidx index`: plan what changed, then drive reader -> embedder -> writer, committing file by file."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vidx.config import Settings, VidxError
from vidx.store import Catalog, ClipVector, vectors
from vidx.store.catalog import now

from .plan import Failure, Placement, make_plan
from .stages import ClipReady, Event, VideoDone, VideoFailed, embed, read_isolated

# Save the FAISS file at least this often during a long run, so queries see new videos before it ends.
SAVE_EVERY = 60.0


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

    def as_json(self) -> dict:
        data = dict(self.__dict__)
        data["failed"] = [{"path": f.path, "error": f.error} for f in self.failed]
        return data


class Progress:
    """What the CLI shows while indexing; the default shows nothing."""

    def start(self, total: int) -> None: ...

    def file_done(self, path: str, outcome: str) -> None: ...

    def finish(self) -> None: ...


class _Vectors:
    """The FAISS index kept in step with the catalogue during a run, saved now and then and at the end.

    A current file is loaded only when the run changes something, and written back only then, so a
    cron run over an unchanged library never reads or rewrites a large index.
    """

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.saved_at = time.monotonic()
        self.stale = False
        self.changed = False
        self._index = None
        self._loaded = False
        if not catalog.index_is_current():
            # After a crash the file lags SQLite: rebuild now, before this run commits anything more.
            self._index = catalog.load_index(exact=True)
            self._loaded = self.changed = True
        elif catalog.index_path() is None:
            self._loaded = True  # nothing indexed yet: the first vectors start a new index

    @property
    def index(self):
        if not self._loaded:
            self._index = self.catalog.load_index()
            self._loaded = True
        return self._index

    def update(self, removed: list[int], added: list[int], vecs: list) -> None:
        self.changed = True
        if removed and self.index is not None:
            if vectors.supports_removal(self.index):
                self.index.remove_ids(vectors.ids_selector(removed))
            else:
                # The approximate index cannot drop vectors; queries skip ids SQLite no longer has until
                # the rebuild at save time.
                self.stale = True
        if added:
            if self.index is None:
                self._index = vectors.new_index(len(vecs[0]))
            vectors.add(self.index, added, vecs)
        if time.monotonic() - self.saved_at > SAVE_EVERY:
            self.save()

    def save(self) -> None:
        if not self.changed:
            return
        if self.stale:
            ids, vecs = self.catalog.all_vectors()
            dim = self.index.d
            self._index = (
                vectors.build_index(ids, vecs, self.catalog.ann_threshold) if len(ids) else vectors.new_index(dim)
            )
            self.stale = False
        if self.index is not None:
            self.catalog.save_index(self.index, self.catalog.generation)
        self.saved_at = time.monotonic()


def index(
    catalog: Catalog,
    roots: list[Path],
    settings: Settings,
    make_encoder: Callable[[], Callable],
    vector_space: str,
    progress: Progress | None = None,
    retry_failed: bool = False,
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
    store = _Vectors(catalog)
    plan = make_plan(catalog, roots, settings, reembed_all, retry_failed)
    summary.unchanged = plan.unchanged
    summary.failed += plan.failed
    progress.start(len(plan.embed))

    for video in plan.removals:
        store.update(catalog.delete_video(video.id), [], [])
        summary.removed += 1
        progress.file_done(video.path, "removed")
    for placement in plan.moves:
        catalog.move_video(placement.source.id, placement.root_id, str(placement.path), placement.stat)
        summary.moved += 1
        progress.file_done(str(placement.path), f"moved from {placement.source.path}")
    for video, stat in plan.touches:
        catalog.touch_video(video.id, stat)
        summary.unchanged += 1

    if plan.embed:
        encode = make_encoder()
        timeout = settings.index.timeout
        events = embed(read_isolated(plan.embed, settings, timeout), encode, settings.index.batch)
        for outcome, path, removed, added, vecs in _write(catalog, events, summary):
            store.update(removed, added, vecs)
            progress.file_done(path, outcome)
    for placement in plan.copies:
        _copy(catalog, placement, store, summary, progress)
    catalog.set_meta("vector_space", vector_space)
    store.save()
    catalog.set_meta("last_run_end", now())
    progress.finish()
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def _copy(catalog: Catalog, placement: Placement, store: _Vectors, summary: IndexSummary, progress: Progress) -> None:
    """A file whose content is already indexed at another path takes that path's vectors: no embedding."""
    twins = catalog.videos_with_hash(placement.source_hash)
    stat = placement.stat
    if not twins:
        error = f"{placement.path}: same content as a file that failed to index"
        catalog.save_failure(placement.root_id, str(placement.path), stat, error)
        summary.failed.append(Failure(str(placement.path), error))
        return
    known = catalog.video(str(placement.path)) is not None
    added, vecs = catalog.copy_video(twins[0].id, placement.root_id, str(placement.path), stat)
    store.update([], added, vecs)
    if known:
        summary.changed += 1
    else:
        summary.added += 1
    progress.file_done(str(placement.path), f"copy of {twins[0].path}")


def _write(catalog: Catalog, events: Iterable[Event], summary: IndexSummary) -> Iterator[tuple]:
    """The writer stage: one transaction per video, once all its clips have vectors."""
    collected: dict[Path, list[ClipVector]] = {}
    for event in events:
        path = event.job.path
        job = event.job
        if isinstance(event, ClipReady):
            c = event.clip
            collected.setdefault(path, []).append(ClipVector(c.index, c.start, c.end, event.vector))
        elif isinstance(event, VideoDone):
            clips = collected.pop(path, [])
            _, removed, added = catalog.save_video(job.root_id, str(path), (job.size, job.mtime_ns), event.info, clips)
            summary.clips_embedded += len(clips)
            if job.known:
                summary.changed += 1
            else:
                summary.added += 1
            yield ("indexed", str(path), removed, added, [c.vector for c in clips])
        elif isinstance(event, VideoFailed):
            collected.pop(path, None)
            removed = catalog.save_failure(job.root_id, str(path), (job.size, job.mtime_ns), event.error)
            summary.failed.append(Failure(str(path), event.error))
            yield ("failed", str(path), removed, [], [])


def resolve_roots(paths: list[str]) -> list[Path]:
    return [Path(os.path.abspath(os.path.expanduser(p))) for p in paths]
