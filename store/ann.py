"""The approximate index of one segment: an inverted file (IVF) over product-quantizer codes, keyed by clip id.

Following FAISS's "Guidelines to choose an index" and autofaiss's rules: about 4 sqrt(n) lists (a power of two),
k-means on about 40 vectors a list, and PQ codes of dim/8 bytes (64 B at 512-d, 8 bits a sub-quantizer). A query
probes NPROBE lists; its candidates are then scored exactly from the float16 rows (index_reader.py), so the codes
only have to put the true neighbours among the first few hundred. Every segment of a library is cut from the same
trained index, so their lists line up: one coarse search serves them all, and two segments merge by concatenating
lists (`merge_from`), without encoding anything again.

Not 4-bit fast-scan: in FAISS 1.15 `merge_from` on IndexIVFPQFastScan corrupts the heap (its blocked lists), and
merging is what keeps a growing library's writes in proportion to what it adds. 8-bit codes of the same size scan
fast enough at nprobe 16 (BENCHMARKS.md) and rank better.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import faiss
import numpy as np

from vidx import disk_full
from vidx.errors import IndexFileDamaged

from . import checksums
from .vector_rows import sync_folder

NPROBE = 16
TRAIN_PER_LIST = 40  # FAISS's k-means asks for 39 points a centroid
PQ_BITS = 8
KMEANS_ITERATIONS = 10  # the lists only need to be roughly balanced; candidates are re-scored exactly
MIN_LISTS, MAX_LISTS = 4, 8192
MIN_TRAINING = 4  # vectors: 4 lists, and 2-bit codes
CHECKSUM_DIFFERS = "its checksum is not the one recorded when it was written"


def supported(dim: int) -> bool:
    return dim % 8 == 0


def lists_for(n: int) -> int:
    """Inverted lists for n vectors: the power of two nearest 4 sqrt(n) (FAISS's guidelines: 4 to 16 sqrt(n)),
    within [MIN_LISTS, MAX_LISTS]; past 8192 lists, assigning 10M vectors to them would take most of an hour."""
    return int(min(MAX_LISTS, max(MIN_LISTS, 2 ** round(math.log2(4 * math.sqrt(max(n, 1)))))))


def training_size(n: int, codebooks: bool = True) -> int:
    """Vectors to learn from: enough for the lists, and for the 256 centroids of each sub-quantizer when the
    codebooks are learnt too."""
    return min(n, max(lists_for(n), 2**PQ_BITS if codebooks else 0) * TRAIN_PER_LIST)


def trained(sample: np.ndarray, lists: int, codebooks: faiss.IndexIVFPQ | None = None) -> faiss.IndexIVFPQ:
    """An empty IVF-PQ index whose lists and codebooks are learnt from `sample` (float32 rows).

    With `codebooks` (a trained index of the same dimension) only the lists are learnt, and its codebooks are
    taken as they are: the codes are of a vector's offset from its list's centre, which looks alike wherever the
    lists lie, and learning 64 codebooks is most of the cost (52 s against 1.7 s for 10,000 clips on two busy
    cores, with the same recall; BENCHMARKS.md).
    """
    sample = np.ascontiguousarray(sample, dtype=np.float32)
    dim = sample.shape[1]
    # A small library (a low index.ann_threshold) has too few vectors for 256 centroids a sub-quantizer.
    bits = codebooks.pq.nbits if codebooks else min(PQ_BITS, int(math.log2(len(sample))))
    index = faiss.IndexIVFPQ(
        faiss.IndexFlatIP(dim), dim, min(lists, len(sample)), dim // 8, bits, faiss.METRIC_INNER_PRODUCT
    )
    for params in (index.cp, index.pq.cp):
        params.niter = KMEANS_ITERATIONS
        params.seed = 1234
        params.min_points_per_centroid = 1  # training_size() chose the sample; no warning on stderr
    if codebooks is None:
        index.train(sample)
        return index
    # What IndexIVF.train does for the lists (k-means over the coarse quantizer itself), without the codebooks.
    faiss.Clustering(dim, index.nlist, index.cp).train(sample, index.quantizer)
    index.pq = codebooks.pq
    index.is_trained = True
    return index


def fit(index: faiss.IndexIVFPQ, vectors: np.ndarray) -> float:
    """The mean cosine of `vectors` to the centre of the list each falls in: how well the lists suit them."""
    vectors = np.ascontiguousarray(vectors, np.float32)
    if not len(vectors):
        return 1.0
    products, lists = index.quantizer.search(vectors, 1)
    centres = index.quantizer.reconstruct_n(0, index.nlist)
    norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(centres, axis=1)[lists[:, 0]]
    return float(np.mean(products[:, 0] / np.maximum(norms, 1e-12)))


def add(index: faiss.IndexIVFPQ, ids: np.ndarray, vectors: np.ndarray) -> None:
    index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, np.int64))


def remove(index: faiss.IndexIVFPQ, ids: np.ndarray) -> int:
    """Drop `ids` from the segment's lists; returns how many it held."""
    return int(index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, np.int64)))) if len(ids) else 0


def merged(indexes: list[faiss.IndexIVFPQ]) -> faiss.IndexIVFPQ:
    """One segment holding the vectors of all `indexes` (which are consumed), lists concatenated."""
    first = indexes[0]
    for other in indexes[1:]:
        first.merge_from(other, 0)
    return first


def coarse(index: faiss.IndexIVFPQ, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lists to probe for `query` [1, dim]: the same for every segment of a library."""
    distances, lists = index.quantizer.search(query, min(NPROBE, index.nlist))
    return np.ascontiguousarray(lists, np.int64), np.ascontiguousarray(distances, np.float32)


def candidates(
    index: faiss.IndexIVFPQ, query: np.ndarray, probed: tuple[np.ndarray, np.ndarray], n: int, dropped: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate scores and ids of the segment's `n` best for `query`, skipping the ids in `dropped`."""
    lists, distances = probed
    params = faiss.SearchParametersIVF()
    params.nprobe = lists.shape[1]
    if len(dropped):
        # FAISS keeps bare pointers to the selectors: both must live until the search returns.
        batch = faiss.IDSelectorBatch(np.asarray(dropped, np.int64))
        skip = faiss.IDSelectorNot(batch)
        params.sel = skip
    scores, ids = np.empty((1, n), np.float32), np.empty((1, n), np.int64)
    # The Python wrapper of search_preassigned refuses search parameters; the C++ call takes them. FAISS's stubs
    # name only the wrapper.
    index.search_preassigned_c(  # type: ignore[attr-defined]
        1,
        faiss.swig_ptr(query),
        n,
        faiss.swig_ptr(lists),
        faiss.swig_ptr(distances),
        faiss.swig_ptr(scores),
        faiss.swig_ptr(ids),
        False,
        params,
        None,
    )
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]


def save(index: faiss.IndexIVFPQ, path: Path) -> int:
    """Write the segment to a temporary file, fsync it, rename it into place; returns its size in bytes.

    The bytes go through Python's file, so that a full disk is an OSError saying so (FAISS's own writer says
    only "write error"). The temporary file of a failed write is a leftover, which the writer deletes at once
    (vector_index.IndexWriter.save).
    """
    tmp = path.with_name(path.name + ".tmp")
    with disk_full.writing(path, file_size(index)), open(tmp, "wb") as f:
        # FAISS's stubs lack its Python-callback writer.
        faiss.write_index(index, faiss.PyCallbackIOWriter(f.write))  # type: ignore[attr-defined]
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    sync_folder(path.parent)
    return path.stat().st_size


def file_size(index: faiss.IndexIVFPQ) -> int:
    """About the bytes `save` writes: each vector's code and id, the lists' centroids and the codebooks."""
    return index.ntotal * (index.code_size + 8) + (index.nlist + index.pq.ksub) * index.d * 4


def load(path: Path, crc: int = 0, mapped: bool = False) -> faiss.IndexIVFPQ:
    """The segment (or lists) at `path`; `mapped` leaves its codes in the file, memory-mapped (readers: opening a
    segment then costs no read, and its codes are pages the kernel can drop, not the process's memory). A mapped
    segment is read-only: writers, which merge and remove, read it whole.

    IndexFileDamaged when the file is not the one written with checksum `crc` (0: not checked), or not one FAISS
    can read as a segment; FileNotFoundError when it is gone.
    """
    if crc and checksums.file_crc(path) != crc:
        raise IndexFileDamaged(path, CHECKSUM_DIFFERS)
    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mapped else 0)
    except RuntimeError as e:
        if not path.exists():
            raise FileNotFoundError(path) from None
        raise IndexFileDamaged(path, "FAISS cannot read it") from e
    except MemoryError:  # a damaged size field asks for more memory than there is
        raise IndexFileDamaged(path, "FAISS cannot read it") from None
    if not isinstance(index, faiss.IndexIVFPQ):  # every segment vidx writes is one; anything else was put there
        raise IndexFileDamaged(path, "it is not a vidx index segment")
    return index
