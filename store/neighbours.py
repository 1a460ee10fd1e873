"""Pairs of near-identical clips across the library: each clip's nearest neighbours, batched through FAISS.

Small libraries are searched exactly. Past `exact_below` clips an exact all-against-all scan is quadratic (a
million 512-d clips would take hours on two cores), so clips are projected on their 64 main components (PCA),
bucketed by an inverted file of about a thousand clips per list, and each clip is compared with the clips of
its own `nprobe` lists only. Near-identical clips fall in the same list almost always; every candidate is then
re-scored with the full vectors, so the similarity threshold means the same on both paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np

EXACT_BELOW = 20_000
PCA_DIM = 64
CLIPS_PER_LIST = 1000
NPROBE = 2
BATCH = 65_536
# The projection keeps most of what separates clips but not all, so candidates pass a looser bar before rescoring.
PROJECTED_SLACK = 0.1


@dataclass(frozen=True)
class ClipPairs:
    """Rows a and b of the vectors (a's video before b's), and their cosine similarity."""

    a: np.ndarray  # int64
    b: np.ndarray  # int64
    similarity: np.ndarray  # float32


def similar_pairs(
    vectors: np.ndarray,
    groups: np.ndarray,
    k: int = 16,
    min_similarity: float = 0.9,
    exact_below: int = EXACT_BELOW,
    nprobe: int = NPROBE,
) -> ClipPairs:
    """Each row's k nearest rows by cosine, kept when at least `min_similarity` and in another group (video).

    `vectors` (float32, C order) is normalised in place: at a million clips a copy would be another 2 GB.
    """
    n = len(vectors)
    if n < 2:
        return ClipPairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    faiss.normalize_L2(vectors)
    k = min(k, n)
    if n < exact_below:
        index: faiss.Index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        searched, bar = vectors, min_similarity
    else:
        searched = _project(vectors)
        index = _inverted_file(searched, nprobe)
        bar = min_similarity - PROJECTED_SLACK
    found_a, found_b = [], []
    for at in range(0, n, BATCH):
        scores, ids = index.search(searched[at : at + BATCH], k)
        rows = np.repeat(np.arange(at, at + len(ids), dtype=np.int64), k)
        ids, scores = ids.ravel(), scores.ravel()
        keep = (ids >= 0) & (scores >= bar)
        rows, ids = rows[keep], ids[keep]
        other = groups[rows] != groups[ids]
        found_a.append(rows[other])
        found_b.append(ids[other])
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    similarity = _cosine(vectors, a, b)
    keep = similarity >= min_similarity
    a, b, similarity = a[keep], b[keep], similarity[keep]
    # One orientation per pair, the earlier video first, so (a, b) and (b, a) meet in the same place.
    swap = groups[a] > groups[b]
    a[swap], b[swap] = b[swap], a[swap].copy()
    return ClipPairs(a, b, similarity)


def _project(vectors: np.ndarray) -> np.ndarray:
    dim = min(PCA_DIM, vectors.shape[1])
    pca = faiss.PCAMatrix(vectors.shape[1], dim)
    pca.train(_sample(vectors, 100_000))
    projected = np.empty((len(vectors), dim), np.float32)
    for at in range(0, len(vectors), BATCH):
        projected[at : at + BATCH] = pca.apply(vectors[at : at + BATCH])
    faiss.normalize_L2(projected)
    return projected


def _inverted_file(vectors: np.ndarray, nprobe: int) -> faiss.Index:
    lists = max(1, len(vectors) // CLIPS_PER_LIST)
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(vectors.shape[1]), vectors.shape[1], lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = 10  # the lists only need to be roughly balanced
    index.train(_sample(vectors, lists * 40))
    index.add(vectors)
    index.nprobe = min(nprobe, lists)
    return index


def _sample(vectors: np.ndarray, size: int) -> np.ndarray:
    if len(vectors) <= size:
        return vectors
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), size, replace=False))
    return vectors[rows]


def _cosine(vectors: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty(len(a), np.float32)
    for at in range(0, len(a), BATCH):
        out[at : at + BATCH] = np.einsum("ij,ij->i", vectors[a[at : at + BATCH]], vectors[b[at : at + BATCH]])
    return out
