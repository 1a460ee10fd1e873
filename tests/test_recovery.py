"""`vidx doctor --repair`'s copy of a damaged catalogue (recovery.py) on its own: made-up clips, a zeroed page."""

import sqlite3

import numpy as np
from test_damage import clips_page, zero_page

from vidx.config import Home
from vidx.said import Segment
from vidx.store import Catalog, ClipVector, VideoInfo, recovery
from vidx.store.catalog_writer import CatalogWriter
from vidx.store.said_rows import Subtitles

INFO = VideoInfo("h", 32.0, 10.0, 320)


def build(home, tmp_path, videos=60, clips=10):
    catalog = Catalog(home)
    rng = np.random.default_rng(0)
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for v in range(videos):
            vectors = rng.standard_normal((clips, 4)).astype(np.float32)
            words = Subtitles([Segment(0.0, 1.0, f"line {v}", "subtitles")])
            writer.save_video(
                root,
                str(tmp_path / f"{v:02d}.mp4"),
                (1, 1),
                INFO,
                [ClipVector(i, i * 3.2, i * 3.2 + 3.2, vectors[i]) for i in range(clips)],
                words,
            )
    catalog.close()


def rows(path, query):
    with sqlite3.connect(path) as db:
        return db.execute(query).fetchall()


def test_a_catalogue_with_a_zeroed_page_keeps_every_row_it_can_read(vidx_home, tmp_path):
    home = Home(vidx_home)
    build(home, tmp_path)
    whole = rows(home.db, "select id, video_id, idx, crc from clips order by id")
    zero_page(home.db, clips_page(home.db))
    damaged = home.db.read_bytes()
    found = recovery.recover(home.db)
    assert found.kept_as.read_bytes() == damaged and found.kept_as.name.startswith("vidx.db.damaged-")
    names = sorted(p.name for p in vidx_home.iterdir() if p.name.startswith("vidx.db"))
    assert names[0] == "vidx.db" and found.kept_as.name in names, "the damaged files moved aside, with their log"
    assert all(name.startswith(found.kept_as.name) for name in names[1:])
    left = rows(home.db, "select id, video_id, idx, crc from clips order by id")
    assert set(left) < set(whole), "the rows read are copied as they were, checksums with them"
    lost = sorted(set(whole) - set(left))
    ((after, upto),) = found.lost["clips"]
    assert list(found.lost) == ["clips"]
    assert after == max(r[0] for r in left if r[0] < lost[0][0]) and upto >= lost[-1][0]
    assert all(after < r[0] <= upto for r in lost) and not any(after < r[0] <= upto for r in left)
    owner = {r[0]: r[1] for r in whole}[after]
    assert found.incomplete == sorted({r[1] for r in lost} | {owner})
    assert found.rows == len(left) + 60 + 60 + 60 + 1 + len(rows(home.db, "select * from meta"))
    assert rows(home.db, "pragma integrity_check") == [("ok",)]
    assert rows(home.db, "select rowid from said_fts where said_fts match 'line'") != []


def test_a_whole_catalogue_is_copied_whole(vidx_home, tmp_path):
    home = Home(vidx_home)
    build(home, tmp_path, videos=3)
    whole = {t: rows(home.db, f"select * from {t} order by rowid") for t in ("videos", "clips", "said", "meta")}
    found = recovery.recover(home.db)
    assert (found.lost, found.incomplete) == ({}, [])
    for table, before in whole.items():
        after = rows(home.db, f"select * from {table} order by rowid")
        assert after == before if table != "meta" else dict(after) == dict(before), table


def test_the_next_readable_rowid_is_found_past_a_damaged_page(vidx_home, tmp_path):
    home = Home(vidx_home)
    build(home, tmp_path)
    zero_page(home.db, clips_page(home.db))
    db = sqlite3.connect(f"file:{home.db}?mode=ro", uri=True)
    readable = []
    for x in range(0, 700, 1):
        try:
            db.execute("select rowid from clips where rowid > ? order by rowid limit 1", [x]).fetchone()
            readable.append(x)
        except sqlite3.DatabaseError:
            pass
    first_bad = next(x for x in range(700) if x not in readable)
    resume = recovery._next_readable(db, "clips", first_bad)
    assert resume == next(x for x in readable if x > first_bad)
    assert recovery._next_readable(db, "clips", readable[-1]) == readable[-1] + 1
