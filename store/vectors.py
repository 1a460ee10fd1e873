"""The FAISS inner-product index over clip vectors, keyed by clip id, saved atomically."""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np


def new_index(dim: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def build_index(ids: np.ndarray, vectors: np.ndarray) -> faiss.Index:
    index = new_index(vectors.shape[1])
    if len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
    return index


def save_index(index: faiss.Index, path: Path) -> None:
    """Write to a temporary file, fsync, then rename over the old one, so readers never see half a file."""
    tmp = path.with_name(path.name + ".tmp")
    faiss.write_index(index, str(tmp))
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_index(path: Path) -> faiss.Index:
    return faiss.read_index(str(path))


def search(index: faiss.Index, query: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ids of the `n` best vectors for each query row; ids of -1 mark empty slots."""
    n = max(1, min(n, index.ntotal))
    return index.search(np.ascontiguousarray(query, dtype=np.float32), n)


def ids_selector(ids: list[int]) -> faiss.IDSelector:
    return faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64))


def add(index: faiss.Index, ids: list[int], vecs: list[np.ndarray]) -> None:
    """Add vectors under their clip ids; callers remove an id before re-adding it (IndexIDMap keeps duplicates)."""
    index.add_with_ids(np.ascontiguousarray(np.stack(vecs), dtype=np.float32), np.asarray(ids, dtype=np.int64))
