"""Connections to the catalogue's SQLite file: shared between a Library's threads, read-only when the home cannot be
written or the disk has no room (opening to write needs room: WAL readers and writers share a -shm file that SQLite
makes and sizes on first use), and refused when a newer vidx changed the schema."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from vidx import __version__, disk_full
from vidx.config import Home
from vidx.errors import DiskFull, NewerCatalog, NotWritable, VidxError

from . import migrations


def to_write(home: Home) -> tuple[sqlite3.Connection, DiskFull | None]:
    """The catalogue opened to be written; on a disk with no room for that, opened to be read as it is, with why
    it cannot be written: searches go on while the disk is full."""
    try:
        return writable(home), None
    except (sqlite3.Error, OSError) as e:
        full = disk_full.from_sqlite(e, home.db) if isinstance(e, sqlite3.Error) else disk_full.from_os(e, home.db)
        if not isinstance(full, DiskFull):
            raise
    try:
        return read_only(home.db), full
    except NotWritable:  # an older catalogue, whose upgrade has no room either
        raise full from None


def writable(home: Home) -> sqlite3.Connection:
    home.ensure()
    home.index_dir.mkdir(exist_ok=True)
    db = connect(str(home.db))
    try:
        db.execute("PRAGMA busy_timeout = 30000")
        refuse_newer(db, home.db)
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = wal")
        if migrations.pending(db):
            migrations.apply(db)
    except BaseException:
        db.close()
        raise
    return db


def read_only(path: Path) -> sqlite3.Connection:
    """The catalogue read as it is, never changed (a read-only mount, another user's home, a full disk)."""
    if not path.exists():
        db = connect(":memory:")  # nothing indexed yet: an empty catalogue, kept nowhere
        migrations.apply(db)
        return db
    db = read_only_connection(path)
    refuse_newer(db, path)
    if migrations.needed_to_read(db):
        raise NotWritable(
            f"The database {path} was made by an older vidx and needs an upgrade, which needs a home that can "
            "be written"
        )
    return db


def stamp(path: Path) -> tuple[int, int, int] | None:
    """What a writer changes: the file's size and time, and its WAL's size."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    wal = path.with_name(path.name + "-wal")
    return st.st_mtime_ns, st.st_size, wal.stat().st_size if wal.exists() else 0


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
