"""Catalogue reads the read path needs: clip rows with their video's facts, one video's vectors, all of them."""

import numpy as np

from vidx.config import Home
from vidx.store import Catalog, ClipVector, VideoInfo
from vidx.store.catalog_writer import CatalogWriter


def make(vidx_home, tmp_path):
    catalog = Catalog(Home(vidx_home))
    # Clips stored out of order: reads give them back in position order.
    clips = [ClipVector(i, i * 3.2, i * 3.2 + 3.2, np.full(4, i, np.float32)) for i in (2, 0, 1)]
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        a = writer.save_video(root, str(tmp_path / "a.mp4"), (10, 123), VideoInfo("x", 9.6, 10.0, 96), clips)
        b = writer.save_video(root, str(tmp_path / "b.mp4"), (5, 456), VideoInfo("y", 2.0, 10.0, 20), clips[1:2])
    return catalog, a, b, catalog.clip_ids(a)


def test_clip_rows_carry_mtime_and_duration_and_take_any_number_of_ids(vidx_home, tmp_path):
    catalog, a, _, ids = make(vidx_home, tmp_path)
    rows = catalog.clip_rows(list(range(1, 40_001)))
    assert set(rows) == {1, 2, 3, 4}
    row = rows[ids[0]]
    assert (row.path, row.start, row.video_id, row.mtime_ns, row.duration) == (
        str(tmp_path / "a.mp4"),
        6.4,
        a,
        123,
        9.6,
    )


def test_one_videos_vectors_in_order(vidx_home, tmp_path):
    catalog, a, _, _ = make(vidx_home, tmp_path)
    clips = catalog.clip_vectors(a)
    assert [c.idx for c in clips] == [0, 1, 2]
    assert [c.vector[0] for c in clips] == [0.0, 1.0, 2.0]
    assert catalog.clip_vectors(999) == []


def test_all_clips_as_arrays(vidx_home, tmp_path):
    catalog, a, b, _ = make(vidx_home, tmp_path)
    arrays = catalog.clip_arrays()
    assert arrays.video_ids.tolist() == [a, a, a, b]
    assert arrays.starts.tolist() == [0.0, 3.2, 6.4, 0.0]
    assert arrays.vectors[:, 0].tolist() == [0.0, 1.0, 2.0, 0.0]
    assert [(v.path, v.duration, v.hash) for v in catalog.indexed_videos()] == [
        (str(tmp_path / "a.mp4"), 9.6, "x"),
        (str(tmp_path / "b.mp4"), 2.0, "y"),
    ]


def test_empty_catalogue_as_arrays(vidx_home):
    arrays = Catalog(Home(vidx_home)).clip_arrays()
    assert arrays.vectors.shape == (0, 0) and arrays.video_ids.shape == (0,)
