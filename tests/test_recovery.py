"""`vidx doctor --repair`'s copy of a damaged catalogue (recovery.py) on its own: made-up clips, a zeroed page."""

import sqlite3

import numpy as np
from test_damage import clips_page, zero_page

from vidx.config import Home
from vidx.said import Segment
from vidx.store import Catalog, ClipVector, VideoInfo, recovery
from vidx.store.catalog_writer import CatalogWriter
from vidx.store.doctor import check_home
from vidx.store.said_rows import Subtitles

INFO = VideoInfo("h", 32.0, 10.0, 320)


def build(home, tmp_path, videos=60, clips=10):
    catalog = Catalog(home)
    rng = np.random.default_rng(0)
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for v in range(videos):
            (tmp_path / f"{v:02d}.mp4").write_bytes(b"video")
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


def doctor(home, repair, writer_busy=False):
    """check_home as `vidx doctor` calls it: every catalogue it opened closed before a repair."""
    opened = []

    def catalog():
        opened.append(Catalog(home))
        return opened[-1]

    def close():
        for each in opened:
            each.close()

    return check_home(home, catalog, close, repair, **({"writer_busy": True} if writer_busy else {}))


def test_doctor_says_a_damaged_catalogue_and_repairs_it_by_recovery(vidx_home, tmp_path):
    home = Home(vidx_home)
    build(home, tmp_path)
    whole = rows(home.db, "select count(*) from videos")[0][0]
    zero_page(home.db, clips_page(home.db))
    found = doctor(home, repair=False)
    assert len(found.problems) == 1 and found.problems[0].startswith(
        f"the catalogue {home.db} is damaged: SQLite finds "
    )
    assert found.unrepaired == found.problems and found.repaired == [] and not found.healthy
    fixed = doctor(home, repair=True)
    assert fixed.problems == found.problems and fixed.unrepaired == []
    copied, removed, rebuilt = fixed.repaired
    (kept,) = vidx_home.glob("vidx.db.damaged-*[0-9]")
    assert copied.startswith("copied the ") and copied.endswith(
        f" rows SQLite could read into a new catalogue; the damaged one is kept as {kept}"
    )
    left = rows(home.db, "select count(*) from videos")[0][0]
    assert (
        removed
        == f"removed {whole - left} videos that lost clips with the damaged catalogue; vidx index embeds them again"
    )
    assert rebuilt == f"rebuilt the exact index of {rows(home.db, 'select count(*) from clips')[0][0]} clips"
    assert doctor(home, repair=False).healthy


def test_doctor_on_a_sound_catalogue_checks_the_rest_and_spares_a_busy_writers_files(vidx_home, tmp_path):
    home = Home(vidx_home)
    build(home, tmp_path, videos=2)
    (home.index_dir / "ann-000009-0-9.faiss.tmp").write_bytes(b"x")
    said = f"1 file (1 bytes) left by writes that did not finish (a crash or a full disk), e.g. {home.index_dir}/ann-000009-0-9.faiss.tmp"
    assert doctor(home, repair=False).problems == [said]
    assert doctor(home, repair=False, writer_busy=True).healthy
    assert doctor(home, repair=True).repaired == ["deleted 1 file left by writes that did not finish"]
    assert doctor(home, repair=False).healthy


def test_doctor_checks_that_each_index_agrees_with_its_table(vidx_home, tmp_path):
    """A page-by-page check (quick_check) passes a catalogue whose index of clips lists them under other keys: only
    the thorough one compares each index with its table."""
    home = Home(vidx_home)
    build(home, tmp_path, videos=2)
    db = sqlite3.connect(home.db)
    db.execute("pragma writable_schema = on")
    with db:
        db.execute(
            "update sqlite_schema set sql = replace(sql, ?, ?) where name = ?",
            ['("video_id", "idx")', '("idx", "video_id")', "idx_clips_video_id_idx"],
        )
    db.close()
    assert rows(home.db, "pragma quick_check") == [("ok",)]
    found = doctor(home, repair=False)
    assert len(found.problems) == 1 and " is damaged: SQLite finds " in found.problems[0]
    assert "missing from index idx_clips_video_id_idx" in found.problems[0]


def test_doctor_says_a_catalogue_sqlite_cannot_open_at_all(vidx_home, tmp_path):
    home = Home(vidx_home)
    build(home, tmp_path, videos=2)
    zero_page(home.db, 1)
    found = doctor(home, repair=False)
    said = f"the catalogue {home.db} is damaged: SQLite finds file is not a database"
    assert (found.problems, found.unrepaired, found.repaired) == ([said], [said], [])
