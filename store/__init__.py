"""vidx.store: everything on disk about the library (SQLite catalogue, FAISS vectors)."""

from .catalog import Catalog, ClipArrays, ClipRow, ClipVector, VideoFacts, VideoRow

__all__ = ["Catalog", "ClipArrays", "ClipRow", "ClipVector", "VideoFacts", "VideoRow"]
