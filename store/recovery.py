"""`vidx doctor --repair` on a damaged catalogue: what SQLite can still read, copied into a new one.

Table by table and row by row in rowid order, as sqlite3's `.recover` does for the pages it reaches. When a read
fails (a page zeroed or overwritten), the copy skips to the next row SQLite can reach and remembers the rowids it
could not read: that is what tells which videos lost clips, which `.recover` would not say. Those videos are left
out, so that the next `vidx index` embeds exactly them again. The damaged file is kept beside the new one, and
nothing is ever written to it.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from vidx import disk_full

from . import migrations
from .damage import is_catalogue_damage
from .vector_index import read_state
from .vector_move import row_checksums
from .vector_rows import sync_folder

LOWEST, HIGHEST = -(2**63), 2**63 - 1  # SQLite's rowids
SKIP = {"_sqlite_migrations"}  # the new catalogue's own record of its schema


@dataclass
class Recovered:
    kept_as: Path  # the damaged catalogue, beside the new one
    rows: int = 0  # rows copied
    lost: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # table: rowid spans (after, up to] unread
    incomplete: list[int] = field(default_factory=list)  # ids of videos that lost some of their clips, or all


def recover(path: Path) -> Recovered:
    """Copy what SQLite can read of the catalogue at `path` into a new one there; the damaged one is renamed."""
    fresh = path.with_name(path.name + ".recovering")
    fresh.unlink(missing_ok=True)
    damaged = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    new = sqlite3.connect(fresh)
    try:
        with disk_full.sqlite_writes(fresh):
            migrations.apply(new)
            found = Recovered(path.with_name(f"{path.name}.damaged-{dt.datetime.now():%Y%m%dT%H%M%S}"))
            for table in _tables(new):
                columns = _shared_columns(damaged, new, table)
                if columns:
                    with new:
                        found.rows += _copy(damaged, new, table, columns, found.lost.setdefault(table, []))
            if "crc" not in _shared_columns(damaged, new, "clips"):  # a catalogue older than the checksums (m006)
                with new:
                    new.executemany("update clips set crc = ? where id = ?", [(c, i) for i, c in row_checksums(new)])
            found.incomplete = _incomplete_videos(new, found.lost.get("clips", []))
    except BaseException:
        new.close()
        for suffix in ("", "-journal"):  # a copy cut short (by a full disk): the damaged catalogue stays as it was
            Path(f"{fresh}{suffix}").unlink(missing_ok=True)
        raise
    finally:
        damaged.close()
        new.close()
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.replace(f"{path}{suffix}", f"{found.kept_as}{suffix}")
    os.replace(fresh, path)
    sync_folder(path.parent)
    found.lost = {table: spans for table, spans in found.lost.items() if spans}
    return found


def _tables(db: sqlite3.Connection) -> list[str]:
    """The tables that hold data. Not the virtual ones and their shadow tables: the words' full-text index (said_fts)
    is filled by the triggers on the rows it indexes, as they are copied."""
    listed = db.execute("select name, type from pragma_table_list where schema = 'main'").fetchall()
    return [n for n, kind in listed if kind == "table" and not n.startswith("sqlite_") and n not in SKIP]


def _shared_columns(damaged: sqlite3.Connection, new: sqlite3.Connection, table: str) -> list[str]:
    try:
        had = {r[1] for r in damaged.execute(f'pragma table_info("{table}")')}
    except sqlite3.DatabaseError as e:  # the schema itself is unreadable
        if not is_catalogue_damage(e):
            raise
        return []
    return [r[1] for r in new.execute(f'pragma table_info("{table}")') if r[1] in had]


def _copy(damaged: sqlite3.Connection, new: sqlite3.Connection, table: str, columns: list[str], lost: list) -> int:
    """Copy `table`'s readable rows; each span of rowids it could not read goes into `lost`."""
    names = ", ".join(f'"{c}"' for c in columns)
    read = f'select rowid, {names} from "{table}" where rowid > ? order by rowid'
    write = f'insert or replace into "{table}" (rowid, {names}) values (?{", ?" * len(columns)})'
    copied, after = 0, LOWEST
    while True:
        try:
            for row in damaged.execute(read, [after]):
                new.execute(write, row)
                copied, after = copied + 1, row[0]
            return copied
        except sqlite3.DatabaseError as e:
            if not is_catalogue_damage(e):
                raise
            resume = _next_readable(damaged, table, after)
            lost.append((after, HIGHEST if resume is None else resume))
            if resume is None:
                return copied
            after = resume


def _next_readable(db: sqlite3.Connection, table: str, after: int) -> int | None:
    """The least rowid X past `after` from which rows can be read again (`rowid > X`), or None.

    A read past X descends to the page that holds X's successor: it fails while that page is the damaged one, and
    succeeds once X reaches the last rowid that page held. So the failures end at one X: found by doubling the step,
    then halving the span.
    """

    def readable(x: int) -> bool:
        try:
            db.execute(f'select rowid from "{table}" where rowid > ? order by rowid limit 1', [x]).fetchone()
            return True
        except sqlite3.DatabaseError as e:
            if not is_catalogue_damage(e):
                raise
            return False

    step = 1
    while not readable(after + step):
        if after + step >= HIGHEST:
            return None
        step = min(2 * step, HIGHEST - after)
    low, high = after + step // 2, after + step  # readable(high); not readable(low) unless step is 1
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if readable(middle) else (middle, high)
    return high if step > 1 else after + 1


def _incomplete_videos(db: sqlite3.Connection, lost: list[tuple[int, int]]) -> list[int]:
    """Videos indexed whole before that are not whole now: whose clips are not numbered 0, 1, 2, ... or owned the
    last clip read before rows were lost (their last clips may have been there); every one when the index state,
    which says what the vector rows hold, was lost."""
    if not read_state(db).dim and db.execute("select count(*) from clips").fetchone()[0]:
        return [r[0] for r in db.execute("select id from videos")]
    found = {
        r[0]
        for r in db.execute(
            "select videos.id from videos left join clips on clips.video_id = videos.id where status = 'ok' "
            "group by videos.id having count(clips.id) = 0 or min(clips.idx) != 0 or max(clips.idx) != count(*) - 1"
        )
    }
    for after, _ in lost:
        owner = db.execute("select video_id from clips where id = ?", [after]).fetchone()
        found |= {owner[0]} if owner else set()
    return sorted(found)
