"""Every clip's vector once, at float16, in row files addressed by clip id: the copy exact scores are taken from.

A clip's id is its row: ids are handed out from a counter that never goes back, so a row is written once, before
the SQLite commit that makes its clip exist, and never changes afterwards. Readers memory-map the files and touch
only the rows they score. Rows of clips that left keep their place (ids are never reused) but not their space:
`reclaim` gives it back to the file system (holes.py) once the writer finds enough of them.

float16 keeps 11 bits of mantissa: on unit vectors of 512 dimensions an inner product moves by about 1e-4
(tests/test_segments.py holds it under 1e-3), far below what separates two clips.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from vidx import disk_full

from . import holes

# Rows a file: 1 GiB at 512 dimensions, so a 10-million-clip library is ten files and none is awkward to copy.
CHUNK_ROWS = 1 << 20
FLOAT16_MAX = float(np.finfo(np.float16).max)


class VectorRows:
    """float16 rows of `dim` values in `folder`/rows-NNNNN.f16; row i of the whole is clip id i."""

    def __init__(self, folder: Path, dim: int, chunk_rows: int = CHUNK_ROWS):
        self.folder = folder
        self.dim = dim
        self.chunk_rows = chunk_rows
        self.row_bytes = dim * 2
        self._maps: dict[int, np.ndarray] = {}
        self._none = np.zeros((0, dim), np.float16)

    def path(self, chunk: int) -> Path:
        return self.folder / f"rows-{chunk:05d}.f16"

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("rows-*.f16"))

    def write(self, first: int, vectors: np.ndarray) -> int:
        """Store `vectors` as rows first, first + 1, ...; durable when this returns. Returns the bytes written."""
        data = as_stored(vectors)
        written = 0
        at = 0
        while at < len(data):
            chunk, offset = divmod(first + at, self.chunk_rows)
            count = min(len(data) - at, self.chunk_rows - offset)
            path = self.path(chunk)
            created = not path.exists()
            block = data[at : at + count].tobytes()
            with disk_full.writing(path, len(block)):
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    written += _pwrite_all(fd, block, offset * self.row_bytes)
                    os.fsync(fd)
                finally:
                    os.close(fd)
            if created:
                sync_folder(self.folder)
            at += count
        return written

    def read(self, ids) -> np.ndarray:
        """The rows of `ids` as float32, in the order given (see `stored`)."""
        return self.stored(ids).astype(np.float32)

    def stored(self, ids) -> np.ndarray:
        """The rows of `ids` as stored, float16, in the order given. A row past the end of its file (cut off: damage)
        is NaN, so that it scores below every other and fails its checksum."""
        ids = np.asarray(ids, np.int64)
        chunks = ids // self.chunk_rows
        if len(ids) and chunks.min() == chunks.max():  # one file, as a query's rows mostly are: one gather
            offsets = ids - chunks[0] * self.chunk_rows
            mapped = self._mapped(int(chunks[0]), int(offsets.max()) + 1)
            if offsets.max() < len(mapped):
                return mapped[offsets]
        out = np.full((len(ids), self.dim), np.nan, np.float16)
        for chunk in np.unique(chunks):
            where = np.flatnonzero(chunks == chunk)
            offsets = ids[where] - chunk * self.chunk_rows
            mapped = self._mapped(int(chunk), int(offsets.max()) + 1)
            there = offsets < len(mapped)
            out[where[there]] = mapped[offsets[there]]
        return out

    def _mapped(self, chunk: int, rows: int) -> np.ndarray:
        """The file's rows, mapped again when it has grown past what the last map saw; fewer than `rows` when it
        was cut off."""
        found = self._maps.get(chunk)
        if found is None or len(found) < rows:
            path = self.path(chunk)
            size = path.stat().st_size // self.row_bytes if path.exists() else 0
            # A plain array over the map: np.memmap's indexing goes through Python.
            found = np.memmap(path, np.float16, "r", shape=(size, self.dim)).view(np.ndarray) if size else self._none
            self._maps[chunk] = found
        return found

    def reclaim(self, live: np.ndarray, below: int) -> None:
        """Give back the space of every row under `below` that no id of `live` (sorted) names."""
        bounds = np.concatenate([[0], np.asarray(live, np.int64), [below]])
        starts, ends = bounds[:-1] + 1, bounds[1:]
        gaps = ends > starts
        dead: dict[int, list[tuple[int, int]]] = {}  # chunk -> byte ranges of dead rows
        for start, end in zip(starts[gaps].tolist(), ends[gaps].tolist(), strict=True):
            self._dead(start, end, dead)
        for chunk, ranges in sorted(dead.items()):
            holes.give_back(self.path(chunk), ranges)
        self._maps.clear()  # a file copied without its holes is a new file
        sync_folder(self.folder)

    def _dead(self, start: int, end: int, dead: dict[int, list[tuple[int, int]]]) -> None:
        """Note rows [start, end) in `dead`, as byte ranges of the files they lie in."""
        while start < end:
            chunk, offset = divmod(start, self.chunk_rows)
            count = min(end - start, self.chunk_rows - offset)
            if self.path(chunk).exists():
                dead.setdefault(chunk, []).append((offset * self.row_bytes, (offset + count) * self.row_bytes))
            start += count

    def close(self) -> None:
        self._maps.clear()


def as_stored(vectors: np.ndarray) -> np.ndarray:
    """Vectors as their rows hold them: float16, clipped to its range."""
    return np.clip(np.asarray(vectors, np.float32), -FLOAT16_MAX, FLOAT16_MAX).astype(np.float16)


def _pwrite_all(fd: int, data: bytes, offset: int) -> int:
    """pwrite may write part of what it is given (the last bytes before a full disk or a size limit); the rest
    goes again, so that the OS says why it cannot."""
    view, done = memoryview(data), 0
    while done < len(data):
        done += os.pwrite(fd, view[done:], offset + done)
    return done


def sync_folder(folder: Path) -> None:
    """fsync a folder, so that a file just made or renamed in it survives a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
