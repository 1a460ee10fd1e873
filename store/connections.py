"""Connections to the catalogue's SQLite file: shared between a Library's threads, read-only when the home cannot be
written, and refused when a newer vidx changed the schema."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from vidx import __version__
from vidx.errors import NewerCatalog, VidxError

from . import migrations


def connect(database: str, **options) -> sqlite3.Connection:
    """Each thread has a Catalog of its own (Library.catalog); not tying the connection to its thread only lets
    Library.close() close them all from the thread that closes the library."""
    return sqlite3.connect(database, check_same_thread=False, **options)


def read_only_connection(path: Path) -> sqlite3.Connection:
    """WAL readers share the -shm file with writers. Read-only, it serves when no writer is at work, or one is at a
    point where a reader can join without writing there; with no writer and no -shm, the file is read immutable."""
    uri = f"file:{quote(str(path))}"
    wal = path.with_name(path.name + "-wal")
    for _ in range(20):
        conn = connect(f"{uri}?mode=ro", uri=True, timeout=30)
        try:
            conn.execute("select count(*) from sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            conn.close()
        if not wal.exists() or wal.stat().st_size == 0:
            return connect(f"{uri}?immutable=1", uri=True)
        time.sleep(0.1)
    raise VidxError(
        f"Cannot read {path} while another process writes it: this user cannot write {path}-shm, which readers "
        "share with the writer; try again when it is done"
    )


def refuse_newer(db: sqlite3.Connection, path: Path) -> None:
    """A schema changed by a newer vidx is neither read (its columns may mean something else) nor written."""
    unknown = migrations.unknown(db)
    if not unknown:
        return
    version = migrations.written_by(db)
    db.close()
    by = f"vidx {version}" if version else "a newer vidx"
    raise NewerCatalog(
        f"The database {path} was written by {by}, newer than this vidx {__version__} (schema change "
        f"{unknown[-1]}); upgrade vidx to use this home"
    )
