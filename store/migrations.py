"""Schema changes, each applied once and recorded by sqlite-utils' Migrations. Never edit a shipped one.

`pending` asks with the standard sqlite3 alone, so that opening an up-to-date catalogue (every query does) never
imports sqlite-utils, which imports pandas whenever pandas is installed.
"""

from __future__ import annotations

import itertools
import sqlite3

from .vector_index import STATE_KEY
from .vector_move import move_vectors, row_checksums

SET = "vidx"  # the migration set's name in sqlite-utils' _sqlite_migrations table
VERSION_KEY = "vidx_version"  # in meta: the vidx that last applied migrations, named when an older one is refused


def m001_initial(db):
    db["roots"].create({"id": int, "path": str, "added_at": str}, pk="id", not_null={"path"})
    db["roots"].create_index(["path"], unique=True)
    db["videos"].create(
        {
            "id": int,
            "root_id": int,
            "path": str,
            "size": int,
            "mtime_ns": int,
            "hash": str,
            "duration": float,
            "fps": float,
            "frames": int,
            "status": str,
            "error": str,
            "indexed_at": str,
        },
        pk="id",
        not_null={"path", "status"},
        foreign_keys=[("root_id", "roots", "id")],
    )
    db["videos"].create_index(["path"], unique=True)
    db["videos"].create_index(["hash"])
    db["clips"].create(
        {"id": int, "video_id": int, "idx": int, "start": float, "end": float, "vector": bytes},
        pk="id",
        not_null={"video_id", "idx", "start", "end", "vector"},
        foreign_keys=[("video_id", "videos", "id")],
    )
    db["clips"].create_index(["video_id", "idx"], unique=True)
    db["meta"].create({"key": str, "value": str}, pk="key")


def m002_raw_path(db):
    # The exact bytes of a file name that is not UTF-8; `path` holds it with \xNN escapes.
    db["videos"].add_column("raw_path", bytes)


def m003_vectors_in_rows(db):
    # Clip vectors leave SQLite for float16 rows addressed by clip id (store/vector_rows.py); a dropped clip's id
    # is recorded for the index segments that still hold it, whichever statement deletes the clip.
    db.execute("create table dropped_clips (id integer primary key)")
    db.execute(
        "create trigger clips_dropped after delete on clips begin "
        "insert or ignore into dropped_clips (id) values (old.id); end"
    )
    state = move_vectors(db)  # the rows are durable before this transaction commits
    if state is not None:
        db.execute("update clips set vector = x''")
        db.execute("insert or replace into meta (key, value) values (?, ?)", [STATE_KEY, state.as_json()])


def m004_reclaim_vector_space(db):
    # The float32 blobs m003 emptied leave free pages behind: give them back to the file system, once.
    if db.execute("pragma freelist_count").fetchone()[0]:
        db.execute("vacuum")


m004_reclaim_vector_space.transactional = False  # type: ignore[attr-defined]  # VACUUM cannot run in one


def m005_said(db):
    # What was said in each video: subtitle lines and speech, one row a timed line. The FTS5 index reads its text
    # from these rows (external content) and the triggers keep it in step, inside the same transactions (rows are
    # inserted and deleted, never updated); porter stems English words, so "feeding" finds "feed".
    for statement in M005_SAID:
        db.execute(statement)


# Statements one by one: sqlite3's executescript would commit the migration's transaction half-way.
M005_SAID = (
    """create table said (
        id integer primary key,
        video_id integer not null references videos(id),
        start float not null,
        end float not null,
        text text not null,
        source text not null
    )""",
    "create index said_video on said (video_id, source)",
    """create virtual table said_fts using fts5(
        text, content='said', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """create trigger said_added after insert on said begin
        insert into said_fts (rowid, text) values (new.id, new.text);
    end""",
    """create trigger said_removed after delete on said begin
        insert into said_fts (said_fts, rowid, text) values ('delete', old.id, old.text);
    end""",
    # Which words a video's rows come from, so that a run redoes only what changed: `subtitles` is the
    # fingerprint of its sidecar files (null: its subtitles not read yet), `bitmap_streams` the picture subtitle
    # streams skipped, `speech` the speech model that transcribed it (null: not transcribed) and `speech_error`
    # why its speech could not be read.
    """create table said_state (
        video_id integer primary key references videos(id),
        subtitles text,
        bitmap_streams integer not null default 0,
        speech text,
        speech_error text
    )""",
)


def m006_vector_checksums(db):
    # Each clip's CRC-32 of its float16 row (store/checksums.py), so that damage to the rows is found rather than
    # searched; for the clips already there, taken from their rows as they are now.
    db["clips"].add_column("crc", int)
    sums = row_checksums(db.conn)
    while batch := list(itertools.islice(sums, 65_536)):
        db.conn.executemany("update clips set crc = ? where id = ?", [(crc, i) for i, crc in batch])


# A catalogue larger than this for each clip still holds the pages of the float32 blobs m003 emptied in place.
PACKED_BYTES_PER_CLIP = 1024


def m007_pack_emptied_clip_pages(db):
    # m004 gave back free pages only, which blobs longer than a page leave (their overflow pages). A blob that fit in
    # its page (512-d: 2 KB) left that page holding one emptied row, and SQLite does not merge pages whose rows
    # shrank: such a home keeps 4 KB a clip (256-d: 1.4 KB). Packed, a clip's row and index entry take ~40 bytes, and
    # what else a home keeps a clip (its share of the video rows and said lines) a few hundred, so more than 1 KB a
    # clip means emptied pages and a VACUUM gives back most of the file; a home that never held blobs (a new one,
    # or one made after m003) only counts its clips, from their smallest index, and is not rewritten.
    clips = db.execute("select count(*) from clips").fetchone()[0]
    size = db.execute("pragma page_count").fetchone()[0] * db.execute("pragma page_size").fetchone()[0]
    if clips and size > clips * PACKED_BYTES_PER_CLIP:
        db.execute("vacuum")


m007_pack_emptied_clip_pages.transactional = False  # type: ignore[attr-defined]  # VACUUM cannot run in one
# The schema is the same without it: a home read as it is (a full disk with no room for the VACUUM, which needs about
# the packed file's size, a read-only mount) is read without it, and the next opening to write runs it.
m007_pack_emptied_clip_pages.readers_need = False  # type: ignore[attr-defined]

STEPS = (
    m001_initial,
    m002_raw_path,
    m003_vectors_in_rows,
    m004_reclaim_vector_space,
    m005_said,
    m006_vector_checksums,
    m007_pack_emptied_clip_pages,
)


def pending(conn: sqlite3.Connection) -> list[str]:
    """The names of the steps this database has not had yet (all of them for a new file)."""
    table = "_sqlite_migrations"
    columns = {row[1]: row[5] for row in conn.execute(f"pragma table_info({table})")}
    if columns.get("id") != 1:
        return [step.__name__ for step in STEPS]  # no table yet, or one that sqlite-utils will first convert
    done = {row[0] for row in conn.execute(f"select name from {table} where migration_set = ?", [SET])}
    return [step.__name__ for step in STEPS if step.__name__ not in done]


def needed_to_read(conn: sqlite3.Connection) -> list[str]:
    """The pending steps without which this database cannot be read as it is."""
    steps = {step.__name__: step for step in STEPS}
    return [name for name in pending(conn) if getattr(steps[name], "readers_need", True)]


def unknown(conn: sqlite3.Connection) -> list[str]:
    """The steps this database has had that this vidx does not know: a newer vidx changed its schema."""
    table = "_sqlite_migrations"
    columns = {row[1] for row in conn.execute(f"pragma table_info({table})")}
    if "migration_set" not in columns:
        return []
    known = {step.__name__ for step in STEPS}
    done = [row[0] for row in conn.execute(f"select name from {table} where migration_set = ? order by id", [SET])]
    return [name for name in done if name not in known]


def written_by(conn: sqlite3.Connection) -> str | None:
    """The version of vidx that last changed the schema, when one recorded it."""
    try:
        row = conn.execute("select value from meta where key = ?", [VERSION_KEY]).fetchone()
    except sqlite3.DatabaseError:
        return None  # a schema this vidx cannot read: the version is unknown
    return row[0] if row else None


def apply(conn: sqlite3.Connection) -> None:
    """Run the pending steps, each in its own transaction with the record of it, and record this vidx's version."""
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    from vidx import __version__

    migrations = Migrations(SET)
    for step in STEPS:
        migrations(transactional=getattr(step, "transactional", True))(step)
    db = Database(conn)
    migrations.apply(db)
    with conn:
        db.table("meta").upsert({"key": VERSION_KEY, "value": __version__}, pk="key")
