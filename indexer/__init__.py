"""vidx.indexer: the write path, reader -> embedder -> writer."""
