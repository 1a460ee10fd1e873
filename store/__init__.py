"""vidx.store: everything on disk about the library (SQLite catalogue, the vector index kept in step with it).

`Catalog` reads; `catalog_writer.CatalogWriter` makes every change. The writer is not imported here, since it
loads sqlite-utils (and through it pandas, when installed), which the read path does without.
"""

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
