"""The index kept in step with SQLite (vector_index.py) on its own: ids read by range, the writer's rows and
saves, the index a process holds open across generations."""

import numpy as np
import pytest
from test_index_check import DIM, home  # noqa: F401  (the fixture)

from vidx.store import vector_index
from vidx.store.catalog_writer import CatalogWriter


def test_ids_are_read_by_range_and_dropped_ones_below_a_bound(home):  # noqa: F811
    db = home.db
    assert vector_index.clip_ids(db).tolist() == list(range(1, 41))
    assert vector_index.clip_ids(db, 5, 8).tolist() == [5, 6, 7] and vector_index.clip_ids(db, 39).tolist() == [39, 40]
    assert vector_index.dropped_ids(db, 41).tolist() == []
    with CatalogWriter(home) as writer:
        writer.delete_orphan_clips([3, 30])
    assert vector_index.dropped_ids(db, 41).tolist() == [3, 30] and vector_index.dropped_ids(db, 30).tolist() == [3]
    assert vector_index.read_state(db) == home.index_state()


def test_the_writer_reserves_rows_past_the_last_and_saves_them(home):  # noqa: F811
    writer = vector_index.IndexWriter(home.db, home.home.index_dir, 8)
    assert writer.state == home.index_state() and not writer.lost
    vectors = np.random.default_rng(5).standard_normal((3, DIM)).astype(np.float32)
    ids, state = writer.reserve(vectors)
    assert ids == [41, 42, 43] and state.rows == 44 and writer.state.rows == 41, "counted once committed"
    assert np.array_equal(writer.rows.read(ids), vectors.astype(np.float16).astype(np.float32))
    writer.committed(state)
    assert writer.state == state
    writer.rebuild()
    assert writer.state.segments == () and writer.state.lists == () and writer.state.rows == 44


def test_a_writer_finds_a_lost_segment_and_builds_anew(home):  # noqa: F811
    (home.home.index_dir / home.index_state().segments[0].file).unlink()
    writer = vector_index.IndexWriter(home.db, home.home.index_dir, 8)
    assert writer.lost and writer.state.segments == ()
    committed = []
    saved = writer.save(lambda state, purged: committed.append((state, purged.tolist())))
    assert committed == [(saved.state, [])] and saved.state.kind == "approximate" and not writer.lost


def test_the_held_index_follows_the_generation(home):  # noqa: F811
    folder = home.home.index_dir
    held = vector_index.held(folder)
    assert vector_index.held(folder) is held
    query = home.vectors([12])[0]
    scores, ids, size = held.search(home.db, query, 3)
    assert ids[0] == 12 and size == 40 and held.generation == vector_index.version(home.db)
    with CatalogWriter(home) as writer:
        writer.delete_video(home.video(home.roots()[0] + "/1.mp4").id)  # clips 11-20
    scores, ids, size = held.search(home.db, query, 3, np.array([1], np.int64))
    assert 12 not in ids.tolist() and size == 30 and 1 not in ids.tolist()
    vector_index.release(folder)
    assert vector_index.held(folder) is not held
    vector_index.release(folder)


def test_a_search_that_meets_a_damaged_segment_refreshes_without_it(home):  # noqa: F811
    held = vector_index.HeldIndex(home.home.index_dir)
    query = home.vectors([12])[0]
    held.search(home.db, query, 3)
    path = home.home.index_dir / home.index_state().segments[0].file
    with open(path, "r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.write(b"\x09" * 16)
    scores, ids, size = held.search(home.db, query, 3)
    assert ids[0] == 12 and size == 40 and held.generation is not None


def test_an_empty_index_finds_nothing(vidx_home):
    from vidx.config import Home
    from vidx.store import Catalog

    catalog = Catalog(Home(vidx_home))
    scores, ids, size = vector_index.HeldIndex(catalog.home.index_dir).search(catalog.db, np.ones(4), 5)
    assert (scores.tolist(), ids.tolist(), size) == ([], [], 0) and ids.dtype == np.int64


def test_reads_inside_a_snapshot_see_one_state(home):  # noqa: F811
    with vector_index.snapshot(home.db):
        assert home.db.in_transaction
        with vector_index.snapshot(home.db):
            assert home.db.in_transaction
        assert home.db.in_transaction
    assert not home.db.in_transaction
    with pytest.raises(KeyError), vector_index.snapshot(home.db):
        raise KeyError("a read that failed")
    assert not home.db.in_transaction
