"""The Library's write path and the index's state: indexing folders, forgetting one, checking, counting."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vidx.errors import NoSuchFile, UsageError, VidxError
from vidx.paths import absolute

from .models import Models
from .open_home import OpenHome

if TYPE_CHECKING:
    from vidx.indexer.run import IndexSummary, ProgressCallback


@dataclass(frozen=True)
class RootRemoval:
    root: str
    videos: int  # indexed videos forgotten
    failed: int  # failed files forgotten


class Indexing:
    """Runs of `vidx index` on one home, with the engine of the run's choice, and what they left behind."""

    def __init__(self, opened: OpenHome, models: Models):
        self.opened = opened
        self.models = models

    def index(
        self,
        paths: Iterable[str | os.PathLike] | str | os.PathLike | None,
        progress: ProgressCallback | None,
        retry_failed: bool,
        wait: float,
        engine: str | None,
    ) -> IndexSummary:
        from vidx.indexer.engines import engine_factory
        from vidx.indexer.lock import index_lock
        from vidx.indexer.run import run_index

        settings = self.opened.settings
        # Chosen first, so that a missing extra fails before any folder is looked at.
        make_engine = engine_factory(engine or settings.index.engine)
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        roots = [absolute(p) for p in (paths or self.opened.catalog.roots())]
        if not roots:
            raise UsageError("No folder to index: give one, e.g. vidx index ~/Videos")
        for root in roots:
            if not root.exists():
                raise NoSuchFile(f"{root}: no such folder; give the folder that holds your videos")
            if not root.is_dir():
                raise VidxError(f"{root}: not a folder; give the folder that holds your videos")
        self.opened.home.require_writable()
        with index_lock(self.opened.home, wait):
            folder = self.models.folder()
            self.models.measured_here(folder)
            settings = self.opened.settings  # the precision may have been chosen again, for this CPU
            space = self.models.vector_space()
            runner = make_engine(settings, folder, space)
            catalog = self.opened.catalog_to_write()
            return run_index(catalog, roots, settings, runner, space, progress, retry_failed)

    def remove_root(self, path: str | os.PathLike, wait: float) -> RootRemoval:
        from vidx.indexer.lock import index_lock
        from vidx.store.catalog_writer import CatalogWriter

        root = absolute(path)
        self.opened.home.require_writable()
        with index_lock(self.opened.home, wait):
            catalog = self.opened.catalog_to_write()
            if str(root) not in catalog.roots():
                raise VidxError(f"{root} is not an indexed folder; `vidx roots` lists them")
            rows = catalog.videos_under(str(root))
            with CatalogWriter(catalog) as writer:
                writer.remove_root(root)
        failed = sum(v.status == "failed" for v in rows)
        return RootRemoval(str(root), len(rows) - failed, failed)

    def doctor(self, repair: bool):
        import contextlib

        from vidx.indexer.lock import index_busy, index_lock
        from vidx.store.doctor import check_home

        if repair:
            self.opened.home.require_writable()
        with index_lock(self.opened.home) if repair else contextlib.nullcontext():
            opened = self.opened.catalog_to_write if repair else lambda: self.opened.catalog
            busy = not repair and index_busy(self.opened.home)
            return check_home(self.opened.home, opened, self.opened.close, repair, busy)

    def status(self) -> dict:
        from vidx.model.manifest import Manifest

        catalog, home = self.opened.catalog, self.opened.home
        folder = self.models.installed()
        manifest = Manifest.load(folder) if folder else None
        return {
            **catalog.counts(),
            **catalog.said_counts(),
            "vectors": catalog.vector_count(),
            "index_kind": catalog.index_state().kind,
            "roots": catalog.roots(),
            "model": manifest.source if manifest else None,
            "fingerprint": manifest.fingerprint if manifest else None,
            "precision": self.opened.settings.model.precision,
            "speech": self.models.speech_info(),
            "index_bytes": catalog.index_bytes(),
            "db_bytes": home.db.stat().st_size if home.db.exists() else 0,
            "last_run_end": catalog.get_meta("last_run_end"),
            "seconds": round(catalog.indexed_seconds(), 3),
        }
