"""File names as vidx stores and shows them, whatever bytes they hold (vidx.media.opening opens them).

Python spells a file name that is not UTF-8 (an old archive, a Samba share) with surrogate escapes; SQLite, JSON
and terminals take none. vidx shows such a name with \\xNN escapes and keeps its exact bytes beside it.
"""

from __future__ import annotations

import os


def printable(text: str) -> str:
    """`text` with each byte that is not UTF-8 shown as \\xNN; other text is returned as it is."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def raw_bytes(path: str) -> bytes | None:
    """The exact bytes of a name that `printable` changes, else None."""
    return os.fsencode(path) if printable(path) != path else None


def on_disk(shown: str, raw: bytes | None) -> str:
    """The name to open a stored file by: its exact bytes when the shown name had to escape them."""
    return os.fsdecode(raw) if raw else shown
