"""`vidx doctor`'s checks of the store on their own (index_check.py, doctor.py, home_files.py): a small approximate
index of made-up vectors, harmed one way at a time, and what the check says and repairs."""

import json
import os

import numpy as np
import pytest

from vidx.config import Home
from vidx.store import Catalog, ClipVector, VideoInfo, index_check
from vidx.store.catalog_writer import CatalogWriter
from vidx.store.doctor import check
from vidx.store.vector_index import STATE_KEY

DIM, THRESHOLD = 16, 8
INFO = VideoInfo("h", 9.6, 10.0, 96)


@pytest.fixture
def home(vidx_home, tmp_path):
    """Four videos of ten clips (ids 1-40) as files under tmp_path/videos, in one approximate segment."""
    catalog = Catalog(Home(vidx_home), ann_threshold=THRESHOLD)
    rng = np.random.default_rng(0)
    folder = tmp_path / "videos"
    folder.mkdir()
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(folder)
        for v in range(4):
            (folder / f"{v}.mp4").write_bytes(b"video")
            clips = [
                ClipVector(i, i * 3.2, i * 3.2 + 3.2, rng.standard_normal(DIM).astype(np.float32)) for i in range(10)
            ]
            writer.save_video(root, str(folder / f"{v}.mp4"), (5, 1), INFO, clips)
    assert catalog.index_state().kind == "approximate" and catalog.index_state().covered == 41
    return catalog


def problems(catalog, threshold=THRESHOLD):
    return index_check.problems(catalog.db, catalog.home.index_dir, threshold)


def set_state(catalog, **changes):
    state = json.loads(catalog.get_meta(STATE_KEY))
    state.update(changes)
    with catalog.db:
        catalog.db.execute("update meta set value = ? where key = ?", [json.dumps(state), STATE_KEY])


def test_a_healthy_index_has_no_problems(home):
    assert problems(home) == index_check.IndexCheck()
    result = check(home)
    assert (result.healthy, result.problems, result.repaired, result.unrepaired) == (True, [], [], [])


def test_an_empty_catalogue_has_no_problems(vidx_home):
    assert problems(Catalog(Home(vidx_home))) == index_check.IndexCheck()


def test_clips_past_the_vector_rows_are_said_and_nothing_else_is_checked(home):
    set_state(home, rows=36)
    assert problems(home) == index_check.IndexCheck(["5 clips have ids past the vector rows (36)"])


def test_an_index_of_the_wrong_kind_is_rebuilt(home):
    said = "the index is approximate but 40 clips call for the exact one (index.ann_threshold 41)"
    assert problems(home, threshold=41) == index_check.IndexCheck([said], rebuild=True)
    assert problems(home, threshold=40) == index_check.IndexCheck()


def test_a_missing_segment_is_rebuilt(home):
    segment = home.index_state().segments[0].file
    os.unlink(home.home.index_dir / segment)
    assert problems(home) == index_check.IndexCheck([f"index files are missing: {segment}"], rebuild=True)
    result = check(home, repair=True)
    assert result.repaired == ["rebuilt the approximate index of 40 clips"] and result.unrepaired == []
    assert check(home).healthy


def test_a_damaged_segment_is_rebuilt(home):
    path = home.home.index_dir / home.index_state().segments[0].file
    with open(path, "r+b") as f:
        f.seek(path.stat().st_size - 100)
        f.write(b"\xff" * 8)
    said = f"The index file {path} is damaged (its checksum is not the one recorded when it was written)"
    assert problems(home) == index_check.IndexCheck([said], rebuild=True)


def test_segments_that_hold_a_clip_twice_are_rebuilt(home):
    segment = json.loads(home.get_meta(STATE_KEY))["segments"][0]
    set_state(home, segments=[segment, {**segment, "lo": 41, "hi": 41}])
    assert problems(home) == index_check.IndexCheck(["the index segments hold some clip ids twice"], rebuild=True)


def test_segments_that_disagree_with_sqlite_are_rebuilt(home):
    with home.db:  # a live clip recorded as dropped: the segments' copy of it is skipped
        home.db.execute("insert into dropped_clips (id) values (3), (4)")
    said = "the index segments disagree with SQLite (2 clips lack a vector, 0 vectors lack a clip)"
    assert problems(home) == index_check.IndexCheck([said], rebuild=True)
    with home.db:  # a clip gone without its drop recorded: the segments still answer with it
        home.db.execute("delete from dropped_clips")
        home.db.execute("drop trigger clips_dropped")
        home.db.execute("delete from clips where id = 7")
    said = "the index segments disagree with SQLite (0 clips lack a vector, 1 vectors lack a clip)"
    assert problems(home) == index_check.IndexCheck([said], rebuild=True)


def test_damaged_vector_rows_are_found_and_their_videos_dropped(home):
    rows = home.home.index_dir / "rows-00000.f16"
    with open(rows, "r+b") as f:
        f.seek(12 * DIM * 2)  # clip 12: the second video's third
        f.write(b"\x01\x02")
    assert problems(home) == index_check.IndexCheck(damaged=[12])
    second = home.video(str(home.roots()[0]) + "/1.mp4")
    said = f"1 clip of 1 video have damaged vector rows in {home.home.index_dir}, e.g. {second.path}"
    result = check(home)
    assert result.problems == [said] and result.unrepaired == [said]
    result = check(home, repair=True)
    assert result.problems == [said]
    assert result.repaired == ["removed 1 video whose vectors were damaged; vidx index embeds them again"]
    assert result.unrepaired == [] and home.video(second.path) is None and check(home).healthy


def test_vanished_files_are_said_and_removed(home):
    folder = home.roots()[0]
    os.unlink(f"{folder}/0.mp4")
    os.unlink(f"{folder}/2.mp4")
    said = f"2 indexed files no longer exist, e.g. {folder}/0.mp4"
    assert check(home).problems == [said]
    result = check(home, repair=True)
    assert result.repaired == ["removed 2 vanished files from the index"] and check(home).healthy
    os.unlink(f"{folder}/1.mp4")
    assert check(home).problems == [f"1 indexed file no longer exists, e.g. {folder}/1.mp4"]


def test_files_left_by_writes_that_never_finished_are_said_and_deleted(home):
    index = home.home.index_dir
    (index / "ann-000099-0-41.faiss.tmp").write_bytes(b"x" * 1000)
    (index / "lists-000098.faiss").write_bytes(b"x" * 24)
    result = check(home)
    left = index / "ann-000099-0-41.faiss.tmp"
    assert result.problems == [
        f"2 files (1 KB) left by writes that did not finish (a crash or a full disk), e.g. {left}"
    ]
    result = check(home, repair=True)
    assert result.repaired == ["deleted 2 files left by writes that did not finish"] and result.unrepaired == []
    assert not left.exists() and check(home).healthy
    assert check(home, writer_busy=True).healthy
