"""search_vector's edges over hand-made vectors: the bounds it keeps exactly and the messages it gives."""

import os
from pathlib import Path

import numpy as np
import pytest

from vidx.config import Home
from vidx.errors import UsageError
from vidx.filenames import printable
from vidx.searcher import search_vector
from vidx.searcher.filters import Filters
from vidx.store import Catalog, ClipVector, VideoInfo
from vidx.store.catalog_writer import CatalogWriter

QUERY = np.array([1, 0, 0, 0], np.float32)


def along(*scores: float) -> list[ClipVector]:
    """Clips 3.2 s long whose scores against QUERY are `scores` (float16 holds these exactly)."""
    return [ClipVector(i, i * 3.2, (i + 1) * 3.2, np.array([s, 0, 0, 0], np.float32)) for i, s in enumerate(scores)]


@pytest.fixture
def catalog(vidx_home):
    return Catalog(Home(vidx_home))


def put(writer, root, path: Path, clips: list[ClipVector], digest: str | None = None) -> None:
    """Index a file by hand (made empty when missing: a search leaves out files gone from the disk)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    st = os.stat(path)
    info = VideoInfo(digest or path.name, 3.2 * len(clips), 10.0, 32)
    writer.save_video(root, str(path), (st.st_size, st.st_mtime_ns), info, clips)


def names(hits) -> list[str]:
    return [Path(hit.path).name for hit in hits]


def test_k_below_one_is_refused_with_its_value(catalog):
    for k in (0, -3):
        with pytest.raises(UsageError) as error:
            search_vector(catalog, QUERY, k)
        assert str(error.value) == f"k must be at least 1, got {k}"


def test_a_hit_scoring_exactly_the_minimum_is_kept(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "a.mp4", along(1.0))
        put(writer, root, tmp_path / "b.mp4", along(0.5))
        put(writer, root, tmp_path / "c.mp4", along(0.25))
    assert names(search_vector(catalog, QUERY, 10, min_score=0.5)) == ["a.mp4", "b.mp4"]
    clips = search_vector(catalog, QUERY, 10, clips=True, min_score=0.5)
    assert [(Path(h.path).name, h.score) for h in clips] == [("a.mp4", 1.0), ("b.mp4", 0.5)]


def test_filters_that_leave_out_the_best_videos_give_the_next_in_order(catalog, tmp_path):
    """The nearest videos are read a few (2k) at a time: none may be passed over between two such readings."""
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for name, score in [("x/a.mp4", 1.0), ("x/b.mp4", 0.875), ("y/c.mp4", 0.75), ("y/d.mp4", 0.625)]:
            put(writer, root, tmp_path / name, along(score))
    assert names(search_vector(catalog, QUERY, 1, under=tmp_path / "y")) == ["c.mp4"]
    assert names(search_vector(catalog, QUERY, 2, under=tmp_path / "y")) == ["c.mp4", "d.mp4"]


def test_a_file_gone_from_the_disk_is_counted_once_and_named_by_its_video(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for name, score in [("a.mp4", 1.0), ("b.mp4", 0.875), ("c.mp4", 0.75)]:
            put(writer, root, tmp_path / name, along(score, score / 2))
    gone = catalog.video(str(tmp_path / "b.mp4")).id
    os.remove(tmp_path / "b.mp4")
    for clips in (False, True):
        hits = search_vector(catalog, QUERY, 3, clips=clips)
        assert "b.mp4" not in names(hits)
        assert (hits.deleted, hits.gone) == (1, frozenset({gone}))


def test_scores_are_given_to_six_decimals(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "a.mp4", along(0.8))  # 0.7998046875 as float16
    assert [hit.score for hit in search_vector(catalog, QUERY, 1)] == [0.799805]


def test_under_a_folder_whose_name_ends_in_x(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "BOX" / "a.mp4", along(1.0))
        put(writer, root, tmp_path / "a.mp4", along(0.5))
    assert names(search_vector(catalog, QUERY, 3, under=tmp_path / "BOX")) == ["a.mp4"]
    assert names(search_vector(catalog, QUERY, 3, under=f"{tmp_path}/BOX/")) == ["a.mp4"]


def test_a_copy_whose_name_is_not_utf8_is_listed(catalog, tmp_path):
    odd = tmp_path / os.fsdecode(b"copy-\xe9.mp4")
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "a.mp4", along(1.0), digest="same")
        put(writer, root, odd, along(1.0), digest="same")
    hits = search_vector(catalog, QUERY, 3)
    assert [(hit.path, hit.copies) for hit in hits] == [(str(tmp_path / "a.mp4"), (printable(str(odd)),))]
    assert hits.deleted == 0


def test_a_copy_outside_the_dates_is_not_listed_under_its_twin(catalog, tmp_path):
    old, new = 1_600_000_000 * 10**9, 1_700_000_000 * 10**9  # September 2020, November 2023
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for name, mtime in [("new.mp4", new), ("old.mp4", old), ("also-new.mp4", new)]:
            (tmp_path / name).touch()
            os.utime(tmp_path / name, ns=(mtime, mtime))
            put(writer, root, tmp_path / name, along(1.0), digest="same")
    hits = search_vector(catalog, QUERY, 3, filters=Filters.parse(since="2023-01-01"))
    assert [(Path(hit.path).name, hit.copies) for hit in hits] == [("new.mp4", (str(tmp_path / "also-new.mp4"),))]
