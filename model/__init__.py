"""vidx.model: import, convert, quantize and run S3D MIL-NCE. Heavy imports happen inside functions."""

# sqlite3 loads before any TensorFlow can: TensorFlow carries a SQLite of its own, without FTS5, and the one loaded
# first serves every connection in the process; the catalogue's words index is an FTS5 table. Every TensorFlow
# import in vidx is in this package (conversion, hub fetches, NNCF), so importing sqlite3 here comes first.
import sqlite3  # noqa: F401
