"""`vidx doctor`: check that SQLite, the vector index and the files on disk agree, and repair without the model."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import index_check
from .catalog import Catalog
from .catalog_writer import CatalogWriter


@dataclass
class Checkup:
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def check(catalog: Catalog, repair: bool = False) -> Checkup:
    """Every problem is found before anything is repaired, so that `--repair` reports what `vidx doctor` does."""
    result = Checkup()
    integrity = catalog.integrity()
    if integrity != "ok":
        result.problems.append(f"SQLite integrity check: {integrity}")

    orphans = catalog.orphan_clips()
    if orphans:
        result.problems.append(f"{len(orphans)} clips belong to no video")

    missing = [v for root in catalog.roots() for v in catalog.videos_under(root) if not os.path.exists(v.file)]
    if missing:
        result.problems.append(f"{len(missing)} indexed files no longer exist, e.g. {missing[0].path}")
    found = index_check.problems(catalog.db, catalog.home.index_dir, catalog.ann_threshold)
    result.problems += found.problems
    stale = found.rebuild
    if repair and (orphans or missing or stale):
        with CatalogWriter(catalog) as writer:
            if orphans:
                writer.delete_orphan_clips(orphans)
                result.repaired.append(f"deleted {len(orphans)} orphan clips")
            for video in missing:
                writer.delete_video(video.id)
            if missing:
                result.repaired.append(f"removed {len(missing)} vanished files from the index")
            if stale:
                held = writer.rebuild()
                result.repaired.append(f"rebuilt the {writer.index.state.kind} index of {held} clips")
    return result
