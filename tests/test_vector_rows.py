"""The float16 row files on their own (vector_rows.py): rows across files, reads of rows cut off, and the space of
dead rows given back (holes.py)."""

import resource

import numpy as np
import pytest

from vidx.errors import DiskFull
from vidx.store import holes
from vidx.store.vector_rows import FLOAT16_MAX, VectorRows, as_stored

DIM = 4


def rows_of(ids):
    """Row i holds i, i + 0.25, i + 0.5, i + 0.75 (float16 holds these exactly below 512)."""
    ids = np.asarray(ids, np.float32)
    return ids[:, None] + np.arange(DIM, dtype=np.float32) * 0.25


def test_rows_span_files_of_chunk_rows_each(tmp_path):
    rows = VectorRows(tmp_path, DIM, chunk_rows=10)
    assert rows.write(5, rows_of(range(5, 28))) == 23 * DIM * 2
    assert [p.name for p in rows.files()] == ["rows-00000.f16", "rows-00001.f16", "rows-00002.f16"]
    assert [p.stat().st_size for p in rows.files()] == [10 * DIM * 2, 10 * DIM * 2, 8 * DIM * 2]
    (tmp_path / "rows-00003.f16.sparse").write_bytes(b"")
    assert len(rows.files()) == 3
    ids = [27, 5, 14, 20, 9]
    assert np.array_equal(rows.read(ids), rows_of(ids)) and rows.read(ids).dtype == np.float32
    assert rows.stored(ids).dtype == np.float16
    assert np.array_equal(rows.read([12, 17]), rows_of([12, 17])), "two rows of one file, not the first"
    assert rows.read([]).shape == (0, DIM)


def test_rows_past_the_end_of_their_file_read_as_nan(tmp_path):
    rows = VectorRows(tmp_path, DIM, chunk_rows=10)
    rows.write(1, rows_of(range(1, 16)))
    found = rows.read([3, 16, 14, 19, 25])
    assert np.array_equal(found[[0, 2]], rows_of([3, 14]))
    assert np.isnan(found[[1, 3, 4]]).all(), "past the end of the second file, and a third file that is not there"
    assert np.isnan(VectorRows(tmp_path, DIM, chunk_rows=10).read([17])).all()


def test_a_reader_sees_rows_written_after_it_mapped_the_file(tmp_path):
    rows = VectorRows(tmp_path, DIM)
    rows.write(0, rows_of(range(3)))
    reader = VectorRows(tmp_path, DIM)
    assert np.isnan(reader.read([4])).all()
    rows.write(3, rows_of(range(3, 6)))
    assert np.array_equal(reader.read([4, 1]), rows_of([4, 1]))


def test_values_past_float16s_range_are_clipped_to_it():
    stored = as_stored(np.array([[1e6, -1e6, 0.5, 70000]], np.float32))
    assert stored.dtype == np.float16 and stored.tolist() == [[FLOAT16_MAX, -FLOAT16_MAX, 0.5, FLOAT16_MAX]]


def test_dead_rows_give_their_whole_blocks_back_and_keep_the_rest(tmp_path):
    dim = 1024  # 2048-byte rows: two a 4096-byte block
    rows = VectorRows(tmp_path, dim, chunk_rows=100)
    data = np.random.default_rng(0).standard_normal((250, dim)).astype(np.float32)
    rows.write(0, data)
    live = np.array([0, 1, 2, 3, 60, 99, 100, 130, 249], np.int64)
    reader = VectorRows(tmp_path, dim, chunk_rows=100)
    assert np.array_equal(reader.read(live), as_stored(data[live]).astype(np.float32))
    blocks = [p.stat().st_blocks for p in rows.files()]
    rows.reclaim(live, 250)
    assert np.array_equal(rows.read(live), as_stored(data[live]).astype(np.float32))
    assert np.array_equal(reader.read(live), as_stored(data[live]).astype(np.float32))
    assert [p.stat().st_size for p in rows.files()] == [200 * dim, 200 * dim, 100 * dim]
    after = [p.stat().st_blocks for p in rows.files()]
    assert all(a < b for a, b in zip(after, blocks, strict=True)), (blocks, after)
    assert not rows.read([5, 150]).any(), "whole blocks of dead rows read as zeros"


def test_dead_rows_are_noted_as_byte_ranges_of_each_file_that_exists(tmp_path):
    rows = VectorRows(tmp_path, DIM, chunk_rows=10)
    rows.write(0, rows_of(range(25)))
    (tmp_path / "rows-00001.f16").unlink()
    dead: dict[int, list[tuple[int, int]]] = {}
    rows._dead(4, 25, dead)
    assert dead == {0: [(4 * 8, 10 * 8)], 2: [(0, 5 * 8)]}


def test_give_back_punches_holes_in_place_where_it_can(tmp_path):
    if holes._fallocate() is None:
        pytest.skip("this C library has no fallocate")
    path = tmp_path / "rows"
    path.write_bytes(bytes(range(256)) * 64)
    inode = path.stat().st_ino
    holes.give_back(path, [(4096, 12288)])
    assert path.stat().st_ino == inode and path.stat().st_size == 16384
    assert path.read_bytes()[4096:12288] == bytes(8192) and path.read_bytes()[:4096] == (bytes(range(256)) * 16)
    assert [p.name for p in tmp_path.iterdir()] == ["rows"]


def test_a_copy_without_room_says_which_file_and_leaves_it_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(holes, "_fallocate", lambda: None)
    path = tmp_path / "rows"
    path.write_bytes(b"x" * 20_000)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, hard))
    try:
        with pytest.raises(DiskFull, match=f"^Cannot write {path}: it would pass this process's file size limit"):
            holes.give_back(path, [(0, 4096)])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert path.read_bytes() == b"x" * 20_000 and [p.name for p in tmp_path.iterdir()] == ["rows"]
