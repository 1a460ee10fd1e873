"""Damage found on the way, said once per process through the `vidx` logger (the CLI prints it on stderr), and
SQLite's word for a damaged catalogue told from its other errors (a busy lock, a full disk)."""

from __future__ import annotations

import logging
import sqlite3

log = logging.getLogger("vidx")
_told: set[str] = set()

# SQLITE_CORRUPT and SQLITE_NOTADB, the primary codes of every "damaged file" result.
_DAMAGE_CODES = {11, 26}


def tell(message: str) -> None:
    """Warn once: a search that meets the same damage on every query says so on the first."""
    if message not in _told:
        _told.add(message)
        log.warning(message)


def is_catalogue_damage(error: BaseException) -> bool:
    """Whether SQLite raised `error` because the database file is damaged."""
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11 on
    if code is not None:
        return code & 0xFF in _DAMAGE_CODES
    return "malformed" in str(error) or "not a database" in str(error)
