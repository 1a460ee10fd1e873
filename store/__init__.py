"""vidx.store: everything on disk about the library (SQLite catalogue, FAISS vectors)."""

from .catalog import Catalog, ClipRow, ClipVector, VideoRow

__all__ = ["Catalog", "ClipRow", "ClipVector", "VideoRow"]
