"""The catalogue's schema changes (migrations.py, vector_move.py) on their own: older homes brought up to date."""

import resource
import sqlite3

import numpy as np
import pytest
import sqlite_utils
from sqlite_utils.migrations import Migrations

from vidx import __version__
from vidx.config import Home
from vidx.errors import DiskFull
from vidx.store import Catalog, migrations, vector_move
from vidx.store.checksums import row_crcs
from vidx.store.vector_rows import VectorRows

NAMES = [step.__name__ for step in migrations.STEPS]


def older_home(vidx_home, steps, clips):
    """A home as a vidx that knew only the first `steps` migrations left it, holding `clips` {id: float32 vector}."""
    vidx_home.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(sqlite3.connect(vidx_home / "vidx.db"))
    upgrade(db, steps)
    db["roots"].insert({"id": 1, "path": str(vidx_home), "added_at": "now"})
    db["videos"].insert({"id": 1, "root_id": 1, "path": "/a.mp4", "status": "ok", "duration": 2.0})
    for clip_id, vector in clips.items():
        row = {"id": clip_id, "video_id": 1, "idx": clip_id, "start": 0, "end": 1, "vector": vector.tobytes()}
        db["clips"].insert(row)
    db.conn.commit()
    return db


def upgrade(db, steps):
    """`db` as a vidx that knew only the first `steps` migrations would leave it."""
    older = Migrations(migrations.SET)
    for step in migrations.STEPS[:steps]:
        older(transactional=getattr(step, "transactional", True))(step)
    older.apply(db)


def test_a_new_catalogue_has_every_step_pending_and_none_once_applied():
    db = sqlite3.connect(":memory:")
    assert migrations.pending(db) == NAMES and migrations.unknown(db) == [] and migrations.written_by(db) is None
    migrations.apply(db)
    assert migrations.pending(db) == [] and migrations.unknown(db) == []
    assert migrations.written_by(db) == __version__


def test_steps_a_newer_vidx_applied_are_unknown(tmp_path):
    db = sqlite3.connect(":memory:")
    migrations.apply(db)
    with db:
        db.execute("insert into _sqlite_migrations (migration_set, name, applied_at) values ('vidx', 'm999_a', 'x')")
        db.execute("insert into _sqlite_migrations (migration_set, name, applied_at) values ('other', 'm998', 'x')")
        db.execute("update meta set value = '9.9' where key = ?", [migrations.VERSION_KEY])
    assert migrations.unknown(db) == ["m999_a"] and migrations.written_by(db) == "9.9"
    assert migrations.pending(db) == []


def test_an_older_catalogues_vectors_move_to_rows_with_their_checksums(vidx_home, monkeypatch):
    monkeypatch.setattr(vector_move, "BATCH", 2)  # several batches, as past 65,536 clips
    ids = (1, 2, 3, 4, 9, 11, 12, 70_000)  # runs of consecutive ids, and gaps of 5, 2 and more
    vectors = {i: np.random.default_rng(i).standard_normal(8).astype(np.float32) for i in ids}
    older_home(vidx_home, 2, vectors).close()
    catalog = Catalog(Home(vidx_home))
    assert migrations.pending(catalog.db) == []
    state = catalog.index_state()
    assert (state.dim, state.rows, state.segments) == (8, 70_001, ())
    ids = sorted(vectors)
    stored = VectorRows(vidx_home / "index", 8).stored(ids)
    assert np.array_equal(stored, np.stack([vectors[i] for i in ids]).astype(np.float16))
    crcs = dict(catalog.db.execute("select id, crc from clips"))
    assert [crcs[i] for i in ids] == row_crcs(stored)
    assert catalog.db.execute("select max(length(vector)) from clips").fetchone() == (0,)
    assert catalog.db.execute("select count(*) from dropped_clips").fetchone() == (0,)


def test_the_space_of_the_moved_vectors_is_given_back(vidx_home):
    # Vectors longer than a page (4 KB): their overflow pages become free pages, which m004 gives back.
    vectors = {i: np.full(1100, i, np.float32) for i in range(1, 301)}
    older_home(vidx_home, 2, vectors).close()
    before = (vidx_home / "vidx.db").stat().st_size
    Catalog(Home(vidx_home)).close()
    assert (vidx_home / "vidx.db").stat().st_size < before / 10


def test_the_pages_of_vectors_emptied_in_place_are_given_back(vidx_home, tmp_path):
    # The real model's 512-d float32 blobs (2 KB) each fit in a page: emptied, they free no page for m004, and m007
    # packs the rows left, one a page, into a file the size of what the clips keep without their vectors.
    vectors = {
        i: np.random.default_rng(i).standard_normal(512).astype(np.float16).astype(np.float32) for i in range(1, 2001)
    }
    older_home(vidx_home, 2, vectors).close()
    before = (vidx_home / "vidx.db").stat().st_size
    catalog = Catalog(Home(vidx_home))
    ids = sorted(vectors)
    assert np.array_equal(VectorRows(vidx_home / "index", 512).stored(ids), np.stack([vectors[i] for i in ids]))
    assert catalog.intact_vectors(ids)[0].all()
    catalog.close()
    Catalog(Home(tmp_path / "new")).close()
    empty = (tmp_path / "new" / "vidx.db").stat().st_size
    after = (vidx_home / "vidx.db").stat().st_size
    assert before > len(vectors) * 4096 and after - empty < len(vectors) * 64  # a clip's row and index entry


def test_a_disk_without_room_to_pack_them_leaves_the_home_read_as_it_is(vidx_home):
    db = older_home(vidx_home, 2, {i: np.full(512, i, np.float32) for i in range(1, 2001)})
    upgrade(db, 6)  # the home as the vidx before m007 left it
    db.close()
    before = (vidx_home / "vidx.db").stat().st_size
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, hard))
    try:  # room to open the catalogue to write (its log and shared memory), not for the packed copy
        catalog = Catalog(Home(vidx_home))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    with pytest.raises(DiskFull) as e:
        catalog.require_writable()
    assert str(e.value) == (
        f"Cannot write {vidx_home / 'vidx.db'}: it would pass this process's file size limit of 66 KB (ulimit -f); "
        "raise the limit and try again"
    )
    assert migrations.pending(catalog.db) == ["m007_pack_emptied_clip_pages"]
    assert catalog.intact_vectors([1, 2000])[0].all()
    assert VectorRows(vidx_home / "index", 512).stored([2000]).tolist() == [[2000] * 512]
    catalog.close()
    assert (vidx_home / "vidx.db").stat().st_size == before

    catalog = Catalog(Home(vidx_home))  # room again: the next opening to write packs them
    assert (migrations.pending(catalog.db), catalog.read_only) == ([], False)
    catalog.close()
    assert (vidx_home / "vidx.db").stat().st_size < before / 20


def test_a_catalogue_under_a_kilobyte_a_clip_is_not_packed_again(vidx_home):
    # A home made after m003 keeps no vectors in SQLite: m007 leaves it as it is, free pages and all (a VACUUM would
    # give them back), however many clips it holds.
    db = older_home(vidx_home, 6, {i: np.zeros(4, np.float32) for i in range(1, 2001)})
    db["meta"].insert({"key": "scratch", "value": "x" * 500_000})
    db["meta"].delete("scratch")
    db.conn.commit()
    free = db.execute("pragma freelist_count").fetchone()[0]
    before = (vidx_home / "vidx.db").stat().st_size
    assert free > 100 and before < 2000 * migrations.PACKED_BYTES_PER_CLIP
    upgrade(db, 7)
    assert migrations.pending(db.conn) == [] and db.execute("pragma freelist_count").fetchone()[0] == free
    db.close()
    assert (vidx_home / "vidx.db").stat().st_size == before


def test_rows_of_a_home_made_before_checksums_are_checksummed_as_they_are(vidx_home):
    db = older_home(vidx_home, 5, {})
    (vidx_home / "index").mkdir()
    rows = VectorRows(vidx_home / "index", 4)
    rows.write(1, np.arange(12, dtype=np.float32).reshape(3, 4))
    for clip_id in (1, 2, 3, 5):  # clip 5's row was never written: cut off
        db["clips"].insert({"id": clip_id, "video_id": 1, "idx": clip_id, "start": 0, "end": 1, "vector": b""})
    state = '{"dim":4,"rows":6}'
    db["meta"].upsert({"key": "vector_index", "value": state}, pk="key")
    db.conn.commit()
    db.close()
    catalog = Catalog(Home(vidx_home))
    crcs = dict(catalog.db.execute("select id, crc from clips"))
    assert [crcs[i] for i in (1, 2, 3)] == row_crcs(rows.stored([1, 2, 3]))
    assert crcs[5] == row_crcs(np.full((1, 4), np.nan, np.float16))[0]
    assert catalog.intact_vectors([1, 2, 3, 5])[0].tolist() == [True, True, True, False]


def test_a_catalogue_kept_in_memory_has_no_index_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = sqlite_utils.Database(sqlite3.connect(":memory:"))
    older = Migrations(migrations.SET)
    for step in migrations.STEPS[:2]:
        older()(step)
    older.apply(db)
    db["roots"].insert({"id": 1, "path": "/", "added_at": "now"})
    db["videos"].insert({"id": 1, "root_id": 1, "path": "/a.mp4", "status": "ok"})
    db["clips"].insert(
        {"id": 1, "video_id": 1, "idx": 0, "start": 0, "end": 1, "vector": np.ones(4, np.float32).tobytes()}
    )
    assert vector_move.index_folder(db.conn) is None and vector_move.move_vectors(db.conn) is None
    db["meta"].insert({"key": "vector_index", "value": '{"dim":4,"rows":2}'})
    assert list(vector_move.row_checksums(db.conn)) == []
    migrations.apply(db.conn)
    assert list(tmp_path.iterdir()) == []
