"""`vidx doctor` on the vector index: a row for every clip, the segments the state names, the kind for the size."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from . import ann
from .index_build import files_named
from .segments import kind_for
from .vector_index import clip_ids, dropped_ids, read_state
from .vector_rows import VectorRows


@dataclass
class IndexCheck:
    problems: list[str] = field(default_factory=list)
    rebuild: bool = False  # the segments are wrong or the wrong kind; the rows are fine


def problems(db, folder: Path, threshold: int) -> IndexCheck:
    found = IndexCheck()
    state = read_state(db)
    ids = clip_ids(db)
    if not len(ids):
        return found
    if ids[-1] >= state.rows:
        found.problems.append(f"{int((ids >= state.rows).sum())} clips have ids past the vector rows ({state.rows})")
        return found
    short = _rows_short(folder, state.dim, ids)
    if short:
        found.problems.append(f"{short} clips lack their vector row in {folder}; `vidx index` must embed them again")
        return found
    wanted = kind_for(len(ids), threshold, state.dim)
    if wanted != state.kind:
        found.problems.append(
            f"the index is {state.kind} but {len(ids)} clips call for the {wanted} one "
            f"(index.ann_threshold {threshold})"
        )
        found.rebuild = True
    missing = sorted(name for name in files_named(state) if not (folder / name).exists())
    if missing:
        found.problems.append(f"index files are missing: {', '.join(missing)}")
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


def _rows_short(folder: Path, dim: int, ids: np.ndarray) -> int:
    """How many of `ids` lie past the end of their rows file."""
    rows = VectorRows(folder, dim)
    chunks = ids // rows.chunk_rows
    short = 0
    for chunk in np.unique(chunks):
        path = rows.path(int(chunk))
        have = path.stat().st_size // rows.row_bytes if path.exists() else 0
        short += int(((ids[chunks == chunk] - chunk * rows.chunk_rows) >= have).sum())
    return short


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
