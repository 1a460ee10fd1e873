"""Checksums recorded in SQLite when vidx writes a vector row or an index file, compared when it reads one back, so
that damage (a bad sector, a stray write, a file truncated or overwritten) is found rather than searched.

CRC-32 (zlib's): it catches every burst of up to 32 changed bits and all but one in four billion random changes, at
about 800 MB/s. It guards against damage, not against someone forging a file.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

CHUNK = 1 << 24


def file_crc(path: Path) -> int:
    """The CRC-32 of a whole file, read in chunks (a segment of a large library is most of a gigabyte)."""
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            crc = zlib.crc32(block, crc)
    return crc


def row_crcs(rows: np.ndarray) -> list[int]:
    """The CRC-32 of each row's bytes, as stored (float16)."""
    rows = np.ascontiguousarray(rows)
    if not rows.size:
        return [0] * len(rows)
    return [zlib.crc32(row.data) for row in rows.view(np.uint8).reshape(len(rows), -1)]
