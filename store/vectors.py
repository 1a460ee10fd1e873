"""The FAISS inner-product index over clip vectors, keyed by clip id, saved atomically.

Up to ANN_THRESHOLD clips the index is exact (IndexFlatIP). Past it an exact scan costs ~40 ms a query at
1M clips on 2 cores, so vidx switches to a 4-bit PQ fast-scan whose best candidates are re-ranked exactly
(IndexRefineFlat): on random 512-d vectors, the worst case for any approximate index since they have no
cluster structure, that keeps recall@10 >= 0.95 at ~6 ms a query (IVF and HNSW stayed below 0.7; see
BENCHMARKS.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

from vidx.errors import VidxError

ANN_THRESHOLD = 100_000
# Candidates re-ranked exactly, in all: k_factor is this divided by the number of results asked for.
RERANKED = 10_000
TRAINING_SAMPLE = 65_536
# 4-bit PQ trains 16 centroids per sub-quantizer: FAISS refuses fewer training vectors, whatever ann_threshold says.
TRAINING_FLOOR = 16


def new_index(dim: int) -> faiss.IndexIDMap2:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def build_index(ids: np.ndarray, vectors: np.ndarray, ann_threshold: int = ANN_THRESHOLD) -> faiss.IndexIDMap2:
    """An exact index for small libraries, a trained PQ fast-scan with exact re-ranking for large ones."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if len(ids) < max(ann_threshold, TRAINING_FLOOR) or dim % 4:
        index = new_index(dim)
    else:
        refine = faiss.IndexRefineFlat(faiss.IndexPQFastScan(dim, dim // 4, 4, faiss.METRIC_INNER_PRODUCT))
        sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), TRAINING_SAMPLE), replace=False)
        refine.train(vectors[np.sort(sample)])
        index = faiss.IndexIDMap2(refine)
    if len(ids):
        index.add_with_ids(vectors, ids.astype(np.int64))
    return index


def supports_removal(index: faiss.IndexIDMap2) -> bool:
    return isinstance(faiss.downcast_index(index.index), faiss.IndexFlat)


def describe(index: faiss.IndexIDMap2) -> str:
    inner = faiss.downcast_index(index.index)
    if isinstance(inner, faiss.IndexRefine):
        base = faiss.downcast_index(inner.base_index)
        if isinstance(base, faiss.IndexFastScan):
            return f"PQ{base.M}x{base.nbits} fast-scan + exact re-ranking"
    return "exact inner product"


def save_index(index: faiss.IndexIDMap2, path: Path) -> None:
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


def load_index(path: Path, mapped: bool = False) -> faiss.IndexIDMap2:
    """`mapped` memory-maps the stored vectors for read-only use: a query then reads the pages it touches, not
    the whole file (2 GB at a million clips, of which the approximate index re-ranks 10,000)."""
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if mapped else 0)
    if not isinstance(index, faiss.IndexIDMap2):  # every file vidx writes holds one; anything else was put there
        raise VidxError(f"{path} is not a vidx vector index: move it away and run vidx doctor --repair")
    return index


def search(index: faiss.IndexIDMap2, query: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ids of the `n` best vectors for each query row; ids of -1 mark empty slots."""
    n = max(1, min(n, index.ntotal))
    inner = faiss.downcast_index(index.index)
    if isinstance(inner, faiss.IndexRefine):
        inner.k_factor = max(2.0, RERANKED / n)
    return index.search(np.ascontiguousarray(query, dtype=np.float32), n)


def ids_selector(ids: list[int]) -> faiss.IDSelector:
    return faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64))


def add(index: faiss.IndexIDMap2, ids: list[int], vecs: list[np.ndarray]) -> None:
    """Add vectors under their clip ids; callers remove an id before re-adding it (IndexIDMap keeps duplicates)."""
    index.add_with_ids(np.ascontiguousarray(np.stack(vecs), dtype=np.float32), np.asarray(ids, dtype=np.int64))
