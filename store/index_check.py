"""`vidx doctor` on the vector index: an intact row for every clip, the files the state names intact and what
the segments hold, the kind for the size."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from . import ann, vector_check
from .index_build import check_files
from .segments import kind_for
from .vector_index import clip_ids, dropped_ids, read_state
from .vector_rows import VectorRows


@dataclass
class IndexCheck:
    problems: list[str] = field(default_factory=list)
    rebuild: bool = False  # the segments are wrong or the wrong kind, or a file is damaged; the rows are fine
    damaged: list[int] = field(default_factory=list)  # clips whose vector rows are damaged or cut off


def problems(db, folder: Path, threshold: int) -> IndexCheck:
    found = IndexCheck()
    state = read_state(db)
    ids = clip_ids(db)
    if not len(ids):
        return found
    if ids[-1] >= state.rows:
        found.problems.append(f"{int((ids >= state.rows).sum())} clips have ids past the vector rows ({state.rows})")
        return found
    found.damaged = vector_check.damaged(db, VectorRows(folder, state.dim))
    wanted = kind_for(len(ids), threshold, state.dim)
    if wanted != state.kind:
        found.problems.append(
            f"the index is {state.kind} but {len(ids)} clips call for the {wanted} one "
            f"(index.ann_threshold {threshold})"
        )
        found.rebuild = True
    files = check_files(folder, state)
    if files.missing:
        found.problems.append(f"index files are missing: {', '.join(files.missing)}")
    found.problems += files.damaged
    if files.missing or files.damaged:
        found.rebuild = True
    elif state.segments:
        held = np.sort(np.concatenate([_segment_ids(folder / s.file) for s in state.segments]))
        if len(held) != len(np.unique(held)):
            found.problems.append("the index segments hold some clip ids twice")
            found.rebuild = True
            return found
        live = np.setdiff1d(held, dropped_ids(db, state.covered))
        expected = ids[ids < state.covered]
        if not np.array_equal(live, expected):
            extra, lacking = np.setdiff1d(live, expected).size, np.setdiff1d(expected, live).size
            found.problems.append(
                f"the index segments disagree with SQLite ({lacking} clips lack a vector, {extra} vectors lack a clip)"
            )
            found.rebuild = True
    return found


def _segment_ids(path: Path) -> np.ndarray:
    index = ann.load(path, mapped=True)
    lists = index.invlists
    assert lists is not None  # every trained IVF index has its inverted lists
    found = [
        faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
        for i in range(index.nlist)
        if lists.list_size(i)
    ]
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, np.int64)
