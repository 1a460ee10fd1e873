"""vidx.searcher: the read path, query vector in, videos and moments out. Never imports TensorFlow."""

from .options import SearchOptions
from .search import Hit, Hits, check_query, search_vector

__all__ = ["Hit", "Hits", "SearchOptions", "check_query", "search_vector"]
