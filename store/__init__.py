"""vidx.store: everything on disk about the library (SQLite catalogue, FAISS vectors kept in step with it)."""

from .catalog import Catalog, ClipArrays, ClipRow, ClipVector, Neighbour, VideoFacts, VideoInfo, VideoRow
from .writer import StoreWriter

__all__ = [
    "Catalog",
    "ClipArrays",
    "ClipRow",
    "ClipVector",
    "Neighbour",
    "StoreWriter",
    "VideoFacts",
    "VideoInfo",
    "VideoRow",
]
