"""vidx.store: everything on disk about the library (SQLite catalogue, FAISS vectors kept in step with it)."""

from .catalog import Catalog, ClipRow, ClipVector, Neighbour, VideoInfo, VideoRow
from .writer import StoreWriter

__all__ = ["Catalog", "ClipRow", "ClipVector", "Neighbour", "StoreWriter", "VideoInfo", "VideoRow"]
