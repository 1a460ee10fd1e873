"""Random bytes written inside an index file with its header left intact, over one part of it: the damage FAISS
reads without complaint (a stray write, a bad sector), which only a checksum finds."""

from pathlib import Path

import faiss
import numpy as np

# The parts of an IVF-PQ file (a segment, or the lists it was cut from): the coarse centres of its lists, the PQ
# codebooks, and, in a segment, the codes and the ids of its largest list.
PARTS = ("centres", "codebooks", "codes", "ids")


def parts(path: Path) -> dict[str, tuple[int, int]]:
    """Where each part lies in the file, as [start, end) byte offsets, found by its contents."""
    index = faiss.read_index(str(path))
    lists = index.invlists
    largest = max(range(index.nlist), key=lists.list_size)
    size = lists.list_size(largest)
    contents = {
        "centres": index.quantizer.reconstruct_n(0, index.nlist).tobytes(),
        "codebooks": faiss.vector_to_array(index.pq.centroids).tobytes(),
    }
    if size:
        contents["codes"] = faiss.rev_swig_ptr(lists.get_codes(largest), size * lists.code_size).tobytes()
        contents["ids"] = faiss.rev_swig_ptr(lists.get_ids(largest), size).tobytes()
    data = path.read_bytes()
    found = {}
    for part, blob in contents.items():
        assert data.count(blob) == 1, f"the {part} of {path} are not found once"
        found[part] = (data.index(blob), data.index(blob) + len(blob))
    return found


def scribble(path: Path, start: int, end: int, seed: int = 3) -> None:
    """Random bytes over [start, end) of `path`, written in place."""
    with open(path, "r+b") as f:
        f.seek(start)
        f.write(np.random.default_rng(seed).bytes(end - start))


def scribble_part(path: Path, part: str, seed: int = 3) -> None:
    scribble(path, *parts(path)[part], seed)
