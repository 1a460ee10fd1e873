"""`vidx doctor`: check that SQLite, the FAISS file and the files on disk agree, and repair without the model."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import faiss
import numpy as np

from vidx.counting import counted

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

    sizes = catalog.vector_sizes()
    if len(sizes) > 1:
        lasting.append(f"clip vectors of several sizes: {sorted(sizes)} bytes")
        result.problems.append(lasting[-1])

    missing = [v for root in catalog.roots() for v in catalog.videos_under(root) if not os.path.exists(v.file)]
    if missing:
        gone = f"{counted(len(missing), 'indexed file')} no longer {_verb(len(missing), 'exist')}"
        result.problems.append(f"{gone}, e.g. {missing[0].path}")
    stale = _faiss_problems(catalog, result)
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
                result.repaired.append(f"rebuilt the FAISS file from {counted(writer.rebuild(), 'stored vector')}")
    result.unrepaired = lasting if repair else list(result.problems)
    return result


def _verb(n: int, plural: str) -> str:
    """`exists` for one, `exist` for several."""
    return plural + "s" if n == 1 else plural


def _faiss_problems(catalog: Catalog, result: Checkup) -> bool:
    """Whether the FAISS file disagrees with SQLite; each way it does is added to the problems."""
    ids, _ = catalog.all_vectors()
    index = catalog.faiss.load(mapped=True)
    if index is None:
        if len(ids):
            result.problems.append(f"no FAISS file for {counted(len(ids), 'stored clip')}")
        return bool(len(ids))
    stored = np.sort(faiss.vector_to_array(index.id_map).astype(np.int64))
    if len(stored) != len(np.unique(stored)):
        result.problems.append("the FAISS file holds some clip ids twice")
        return True
    if not np.array_equal(stored, np.sort(ids)):
        extra, lacking = np.setdiff1d(stored, ids).size, np.setdiff1d(ids, stored).size
        result.problems.append(
            f"the FAISS file disagrees with SQLite ({lacking} clips lack a vector, {extra} vectors lack a clip)"
        )
        return True
    return False
