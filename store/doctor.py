"""`vidx doctor`: check that SQLite, the FAISS file and the files on disk agree, and repair without the model."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import faiss
import numpy as np

from . import vectors
from .catalog import Catalog


@dataclass
class Checkup:
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def check(catalog: Catalog, repair: bool = False) -> Checkup:
    result = Checkup()
    db = catalog.db
    integrity = db.execute("pragma integrity_check").fetchone()[0]
    if integrity != "ok":
        result.problems.append(f"SQLite integrity check: {integrity}")

    orphans = [r[0] for r in db.execute("select id from clips where video_id not in (select id from videos)")]
    if orphans:
        result.problems.append(f"{len(orphans)} clips belong to no video")
        if repair:
            with db.atomic():
                db.execute(f"delete from clips where id in ({','.join('?' * len(orphans))})", orphans)
            result.repaired.append(f"deleted {len(orphans)} orphan clips")

    sizes = {len(r[0]) for r in db.execute("select distinct vector from clips limit 1000")}
    if len(sizes) > 1:
        result.problems.append(f"clip vectors of several sizes: {sorted(sizes)} bytes")

    missing = [v for root in catalog.roots() for v in catalog.videos_under(root) if not os.path.exists(v.path)]
    if missing:
        result.problems.append(f"{len(missing)} indexed files no longer exist, e.g. {missing[0].path}")
        if repair:
            for video in missing:
                catalog.delete_video(video.id)
            result.repaired.append(f"removed {len(missing)} vanished files from the index")

    ids, vecs = catalog.all_vectors()
    path = catalog.index_path()
    stale = path is None and len(ids) > 0
    index = catalog.load_index(mapped=True) if path is not None else None
    if index is not None:
        stored = np.sort(faiss.vector_to_array(index.id_map).astype(np.int64))
        if len(stored) != len(np.unique(stored)):
            result.problems.append("the FAISS file holds some clip ids twice")
            stale = True
        elif not np.array_equal(stored, np.sort(ids)):
            extra, lacking = np.setdiff1d(stored, ids).size, np.setdiff1d(ids, stored).size
            result.problems.append(
                f"the FAISS file disagrees with SQLite ({lacking} clips lack a vector, {extra} vectors lack a clip)"
            )
            stale = True
    elif stale:
        result.problems.append(f"no FAISS file for {len(ids)} stored clips")
    if stale and repair:
        rebuilt = (
            vectors.build_index(ids, vecs, catalog.ann_threshold)
            if len(ids)
            else vectors.new_index(index.d if index else 512)
        )
        catalog.save_index(rebuilt, catalog.generation)
        result.repaired.append(f"rebuilt the FAISS file from {len(ids)} stored vectors")
    return result
