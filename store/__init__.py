"""vidx.store: everything on disk about the library (SQLite catalogue, the vector index kept in step with it).

`Catalog` reads; `catalog_writer.CatalogWriter` makes every change. The writer is not imported here, since it
loads sqlite-utils (and through it pandas, when installed), which the read path does without.
"""

import os

# FAISS's OpenMP threads wait for work by spinning. On a machine whose cores other processes keep busy, a spinning
# thread holds the core its partner needs: learning the lists of 10,000 clips took 38 s so on two shared cores, and
# 6 s with waiting threads asleep (BENCHMARKS.md). Set before FAISS loads its OpenMP runtime; a user's setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .catalog import Catalog, ClipArrays, ClipRow, ClipVector, Neighbour, VideoFacts, VideoInfo, VideoRow

__all__ = [
    "Catalog",
    "ClipArrays",
    "ClipRow",
    "ClipVector",
    "Neighbour",
    "VideoFacts",
    "VideoInfo",
    "VideoRow",
]
