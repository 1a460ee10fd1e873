"""Checksums recorded in SQLite when vidx writes a vector row or an index file, compared when it reads one back, so
that damage (a bad sector, a stray write, a file truncated or overwritten) is found rather than searched.

CRC-32 (zlib's): it catches every burst of up to 32 changed bits and all but one in four billion random changes, at
about 800 MB/s. It guards against damage, not against someone forging a file.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

# Read into one buffer again and again: a query reads every segment through once, and 16-MB blocks read anew kept
# 10 MB more of its memory for good (the C library's heap grows to hold freed blocks that large); 1 MB is also
# faster, the buffer staying in the CPU's cache (3.5 GB/s against 1-2).
CHUNK = 1 << 20


def file_crc(path: Path) -> int:
    """The CRC-32 of a whole file, read in chunks (a segment of a large library is most of a gigabyte)."""
    crc = 0
    block = memoryview(bytearray(CHUNK))
    with open(path, "rb", buffering=0) as f:
        while read := f.readinto(block):
            crc = zlib.crc32(block[:read], crc)
    return crc


def row_crcs(rows: np.ndarray) -> list[int]:
    """The CRC-32 of each row's bytes, as stored (float16)."""
    rows = np.ascontiguousarray(rows)
    if not rows.size:
        return [0] * len(rows)
    # Each row viewed as one opaque value (numpy's void), which zlib reads as bytes: no array object a row (a query
    # checks a thousand rows). numpy's stubs do not say that a void is a buffer.
    values: Iterable[Any] = rows.view(np.dtype((np.void, rows[0].nbytes))).ravel()
    return list(map(zlib.crc32, values))
