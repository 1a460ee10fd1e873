"""Connections to the catalogue (connections.py) on their own: read-only ones, the stamp of a writer's changes."""

import sqlite3

import pytest

from vidx.config import Home
from vidx.errors import NotWritable
from vidx.store import connections, migrations


def test_a_catalogue_not_made_yet_reads_as_an_empty_one_kept_nowhere(tmp_path):
    db = connections.read_only(tmp_path / "vidx.db")
    assert db.execute("select count(*) from clips").fetchone() == (0,) and migrations.pending(db) == []
    assert not (tmp_path / "vidx.db").exists()


def test_a_catalogue_read_only_is_read_and_never_written(tmp_path):
    home = Home(tmp_path / "home")
    connections.writable(home).close()
    db = connections.read_only(home.db)
    assert db.execute("select count(*) from videos").fetchone() == (0,)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("insert into meta (key, value) values ('a', 'b')")


def test_a_read_only_connection_with_no_writer_reads_the_file_as_it_is(tmp_path):
    home = Home(tmp_path / "home")
    writer = connections.writable(home)
    with writer:
        writer.execute("insert into meta (key, value) values ('written', 'yes')")
    reader = connections.read_only_connection(home.db)
    assert reader.execute("select value from meta where key = 'written'").fetchone() == ("yes",)
    writer.close()
    reader.close()
    assert connections.read_only_connection(home.db).execute("select count(*) from meta").fetchone()[0] >= 2


def test_an_older_catalogue_read_only_needs_an_upgrade(tmp_path):
    path = tmp_path / "vidx.db"
    db = sqlite3.connect(path)
    db.execute("create table _sqlite_migrations (id integer primary key, migration_set text, name text)")
    db.execute("insert into _sqlite_migrations (migration_set, name) values ('vidx', 'm001_initial')")
    db.commit()
    db.close()
    with pytest.raises(NotWritable) as e:
        connections.read_only(path)
    assert str(e.value) == (
        f"The database {path} was made by an older vidx and needs an upgrade, which needs a home that can be written"
    )


def test_the_stamp_changes_with_each_write(tmp_path):
    home = Home(tmp_path / "home")
    assert connections.stamp(home.db) is None
    db = connections.writable(home)
    first = connections.stamp(home.db)
    st = home.db.stat()
    wal = home.db.with_name(home.db.name + "-wal")
    assert first == (st.st_mtime_ns, st.st_size, wal.stat().st_size)
    with db:
        db.execute("insert into meta (key, value) values ('a', 'b')")
    assert connections.stamp(home.db) != first and connections.stamp(home.db)[2] == wal.stat().st_size > 0
    db.close()
    assert connections.stamp(home.db)[2] == 0, "no log once the last connection closed"


def test_a_catalogue_with_no_room_to_write_is_read_as_it_is_and_says_why(tmp_path):
    import resource

    from vidx.errors import DiskFull

    home = Home(tmp_path / "home")
    connections.writable(home).close()
    wal = home.db.with_name(home.db.name + "-wal")
    wal.unlink(missing_ok=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, hard))
    try:  # a write-ahead log of more than one byte cannot be made
        db, full = connections.to_write(home)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert isinstance(full, DiskFull) and str(full).startswith(f"Cannot write {home.db}: it would pass")
    assert db.execute("select count(*) from videos").fetchone() == (0,)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("insert into meta (key, value) values ('a', 'b')")
