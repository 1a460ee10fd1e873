"""vidx.searcher: the read path, query vector in, videos and moments out. Never imports TensorFlow."""

from .options import SearchOptions
from .search import Hit, check_query, search_vector

__all__ = ["Hit", "SearchOptions", "check_query", "search_vector"]
