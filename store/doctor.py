"""`vidx doctor`: check that SQLite, the vector index and the files on disk agree, and repair without the model."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from vidx.counting import counted

from . import index_check
from .catalog import Catalog
from .catalog_writer import CatalogWriter


@dataclass
class Checkup:
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    unrepaired: list[str] = field(default_factory=list)  # the problems still there when the check ends

    @property
    def healthy(self) -> bool:
        """Whether the check found nothing wrong (before any repair)."""
        return not self.problems


def check(catalog: Catalog, repair: bool = False) -> Checkup:
    """Every problem is found before anything is repaired, so that `--repair` reports what `vidx doctor` does."""
    result = Checkup()
    integrity = catalog.integrity()
    lasting = []  # what no repair without the model fixes
    if integrity != "ok":
        lasting.append(f"SQLite integrity check: {integrity}")
        result.problems.append(lasting[-1])

    orphans = catalog.orphan_clips()
    if orphans:
        result.problems.append(f"{counted(len(orphans), 'clip')} {_verb(len(orphans), 'belong')} to no video")

    missing = [v for root in catalog.roots() for v in catalog.videos_under(root) if not os.path.exists(v.file)]
    if missing:
        gone = f"{counted(len(missing), 'indexed file')} no longer {_verb(len(missing), 'exist')}"
        result.problems.append(f"{gone}, e.g. {missing[0].path}")
    found = index_check.problems(catalog.db, catalog.home.index_dir, catalog.ann_threshold)
    result.problems += found.problems
    stale = found.rebuild
    if not stale:  # vector rows short or past their file: only `vidx index` embedding again mends them
        lasting += found.problems
    if repair and (orphans or missing or stale):
        with CatalogWriter(catalog) as writer:
            if orphans:
                writer.delete_orphan_clips(orphans)
                result.repaired.append(f"deleted {counted(len(orphans), 'orphan clip')}")
            for video in missing:
                writer.delete_video(video.id)
            if missing:
                result.repaired.append(f"removed {counted(len(missing), 'vanished file')} from the index")
            if stale:
                held = writer.rebuild()
                result.repaired.append(f"rebuilt the {writer.index.state.kind} index of {counted(held, 'clip')}")
    result.unrepaired = lasting if repair else list(result.problems)
    return result


def _verb(n: int, plural: str) -> str:
    """`exists` for one, `exist` for several."""
    return plural + "s" if n == 1 else plural
