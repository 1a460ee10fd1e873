"""vidx: search your videos by what you remember seeing.

import vidx
with vidx.Library() as lib:
    lib.index(["~/Videos"])
    for hit in lib.search("car drifting"):
        print(hit.rank, hit.score, hit.path, hit.start, hit.end)
"""

from importlib import import_module
from importlib.metadata import version

from .errors import VidxError

__version__ = version("vidx")

# Loaded on first use, so that `import vidx` (and the CLI's --help) costs no FAISS, NumPy or OpenVINO import.
_LAZY = {
    "Library": "vidx.library",
    "RootRemoval": "vidx.indexing",
    "Hit": "vidx.searcher",
    "SearchOptions": "vidx.searcher",
    "IndexSummary": "vidx.indexer.run",
    "IndexProgress": "vidx.indexer.run",
    "IndexStopped": "vidx.indexer.run",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'vidx' has no attribute {name!r}")


__all__ = [
    "Hit",
    "IndexProgress",
    "IndexStopped",
    "IndexSummary",
    "Library",
    "RootRemoval",
    "SearchOptions",
    "VidxError",
    "__version__",
]
