"""Moving the float32 vector blobs of a home made by an older vidx into float16 rows, once (migration m003), and
checksumming the rows of a home made before vidx recorded a checksum for each (migration m006)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from .checksums import row_crcs
from .index_build import forget_leftovers
from .segments import IndexState
from .vector_index import read_state
from .vector_rows import VectorRows

BATCH = 65_536


def index_folder(db) -> Path | None:
    """The home's index folder, next to the database file; None for a database kept in memory."""
    for _, name, file in db.execute("pragma database_list"):
        if name == "main" and file:
            return Path(file).parent / "index"
    return None


def move_vectors(db) -> IndexState | None:
    """Each clip's blob becomes row `id` of the float16 files, durably; returns the index state that counts them
    (exact: the writer's next save builds the kind the size calls for), None when there was nothing to move.
    The migration then empties the blobs and records the state, in its transaction."""
    folder = index_folder(db)
    first = db.execute("select length(vector), max(id) from clips where length(vector) > 0").fetchone()
    if folder is None or first[0] is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    dim, top = first[0] // 4, first[1]
    rows = VectorRows(folder, dim)
    last = -1
    while True:
        batch = list(
            db.execute("select id, vector from clips where id > ? order by id limit ?", [last, BATCH]).fetchall()
        )
        if not batch:
            break
        ids = np.array([r[0] for r in batch], np.int64)
        vectors = np.stack([np.frombuffer(r[1], np.float32) for r in batch])
        # Ids are dense in a run of several videos; the gaps (clips dropped long ago) stay unused rows.
        for run in np.split(np.arange(len(ids)), np.flatnonzero(np.diff(ids) != 1) + 1):
            rows.write(int(ids[run[0]]), vectors[run])
        last = int(ids[-1])
    state = replace(read_state(db), dim=dim, rows=top + 1)
    forget_leftovers(folder, state)
    return state


def row_checksums(db) -> Iterator[tuple[int, int]]:
    """(clip id, CRC-32 of its row) for each clip; a row its file does not hold reads as NaN, which no check passes."""
    folder, state = index_folder(db), read_state(db)
    if folder is None or not state.dim:
        return
    rows = VectorRows(folder, state.dim)
    last = -1
    while batch := [r[0] for r in db.execute("select id from clips where id > ? order by id limit ?", [last, BATCH])]:
        yield from zip(batch, row_crcs(rows.stored(np.asarray(batch, np.int64))), strict=True)
        last = batch[-1]
