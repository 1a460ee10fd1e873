"""Catalogue reads the read path needs: clip rows with their video's facts, one video's vectors, all of them."""

import numpy as np
import pytest

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


def unit(i, dim=4):
    return np.eye(dim, dtype=np.float32)[i]


def test_the_catalogues_facts_read_back_as_written(vidx_home, tmp_path):
    catalog, a, b, ids = make(vidx_home, tmp_path)
    with CatalogWriter(catalog) as writer:
        other = writer.add_root(tmp_path / "other")
        writer.save_failure(other, str(tmp_path / "other" / "bad.mp4"), (7, 8), "cannot decode")
        copy = writer.save_video(other, str(tmp_path / "other" / "c.mp4"), (10, 9), VideoInfo("x", 9.6, 10.0, 96), [])
        odd = writer.save_video(other, str(tmp_path / "other" / "odd-\udcff.mp4"), (3, 3), INFO, [])
    assert catalog.roots() == [str(tmp_path), str(tmp_path / "other")]
    assert catalog.root_ids() == {str(tmp_path): 1, str(tmp_path / "other"): other}
    assert catalog.video(str(tmp_path / "a.mp4")).id == a and catalog.video(str(tmp_path / "z.mp4")) is None
    assert catalog.video_info(b) == VideoInfo("y", 2.0, 10.0, 20)
    assert sorted(v.id for v in catalog.videos_with_hash("x")) == [a, copy]
    assert catalog.unshared_hashes({"x", "y", "none"}) == {"y"}
    assert catalog.ok_sizes() == {10, 5, 3}
    assert [(v.path, v.status, v.error) for v in catalog.failures()] == [
        (str(tmp_path / "other" / "bad.mp4"), "failed", "cannot decode")
    ]
    bad = catalog.failures()[0].id
    assert [v.id for v in catalog.videos_under(str(tmp_path / "other") + "/")] == [bad, copy, odd]
    assert [v.id for v in catalog.videos_under(str(tmp_path))] == [a, b, bad, copy, odd]
    shown = str(tmp_path / "other" / "odd-\\xff.mp4")
    assert catalog.video(shown).file == str(tmp_path / "other" / "odd-\udcff.mp4") == catalog.video_file(odd)
    assert catalog.video_file(a) == str(tmp_path / "a.mp4")
    assert catalog.video_file(catalog.failures()[0].id) is None
    assert catalog.clip_ids(a) == ids and catalog.clip_id(a, 0) == ids[1] and catalog.clip_id(b, 0) == 4
    assert catalog.counts() == {"videos": 4, "clips": 4, "failed": 1}
    assert catalog.indexed_seconds() == pytest.approx(9.6 + 2.0 + 9.6 + 9.6)
    assert catalog.has_clips() and catalog.orphan_clips() == [] and catalog.damage() is None
    assert catalog.clip_row(ids[2]) == catalog.clip_rows([ids[2]])[ids[2]] and catalog.clip_row(99) is None


INFO = VideoInfo("z", 9.6, 10.0, 96)


def test_the_generation_moves_with_every_change_of_the_clips(vidx_home, tmp_path):
    catalog = Catalog(Home(vidx_home))
    assert (catalog.generation, catalog.get_meta("generation"), catalog.has_clips()) == (0, None, False)
    before = catalog.version()
    with CatalogWriter(catalog) as writer:
        video = writer.save_video(
            writer.add_root(tmp_path), str(tmp_path / "a.mp4"), (1, 1), INFO, [ClipVector(0, 0, 3.2, unit(0))]
        )
    first = catalog.generation
    assert first > 0 and catalog.version() != before
    after = catalog.version()
    with CatalogWriter(catalog) as writer:
        writer.delete_video(video)
    assert catalog.generation > first and catalog.version() != after
    assert [key for key, _ in catalog.version()] == ["generation", "vector_index"]


def test_nearest_clips_come_best_first_with_their_rows(vidx_home, tmp_path):
    catalog = Catalog(Home(vidx_home))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        a = writer.save_video(
            root,
            str(tmp_path / "a.mp4"),
            (1, 1),
            INFO,
            [ClipVector(i, i * 3.2, i * 3.2 + 3.2, unit(0) * (1 - i / 10) + unit(1) * i / 10) for i in range(4)],
        )
    found, more = catalog.nearest(unit(0), 2)
    assert [(n.clip.id, n.clip.video_id) for n in found] == [(1, a), (2, a)] and more
    assert [n.score for n in found] == pytest.approx([1.0, 0.9], abs=1e-3)
    scores, ids, videos, more = catalog.nearest_ids(unit(0), 4, skip=[2])
    assert ids.tolist() == [1, 3, 4] and videos.tolist() == [a, a, a] and not more
    assert catalog.nearest(unit(0), 4)[1] is False
    assert catalog.vector_count() == 4
    assert catalog.index_bytes() == (vidx_home / "index" / "rows-00000.f16").stat().st_size == 5 * 4 * 2


def test_a_sample_of_vectors_is_drawn_by_id_and_the_same_for_a_seed(vidx_home, tmp_path):
    catalog = Catalog(Home(vidx_home))
    assert catalog.sample_vectors(5).shape == (0, 0)
    vectors = np.random.default_rng(0).standard_normal((30, 4)).astype(np.float32)
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for v in range(3):
            clips = [ClipVector(i, i, i + 1, vectors[v * 10 + i]) for i in range(10)]
            writer.save_video(root, str(tmp_path / f"{v}.mp4"), (1, 1), INFO, clips)
        writer.delete_video(catalog.video(str(tmp_path / "1.mp4")).id)
    stored = {tuple(np.float16(vectors[i]).astype(np.float32)) for i in (*range(10), *range(20, 30))}
    whole = catalog.sample_vectors(100)
    assert whole.shape == (20, 4) and {tuple(v) for v in whole} == stored
    some = catalog.sample_vectors(7, seed=3)
    assert 0 < len(some) <= 7 and {tuple(v) for v in some} <= stored, "ids of the deleted video draw nothing"
    assert np.array_equal(some, catalog.sample_vectors(7, seed=3))
    assert not np.array_equal(some, catalog.sample_vectors(7, seed=4))
    with CatalogWriter(catalog) as writer:  # most of the id range now draws nothing: drawn from the ids left
        writer.delete_video(catalog.video(str(tmp_path / "2.mp4")).id)
    assert catalog.sample_vectors(8).shape == (8, 4)


def test_a_thumbnail_is_drawn_once_then_read_from_the_cache(vidx_home, tmp_path):
    catalog, a, _, ids = make(vidx_home, tmp_path)
    drawn = []

    def draw(file, start, end):
        drawn.append((file, start, end))
        return b"jpeg"

    assert catalog.thumbnail(ids[0], draw) == b"jpeg" == catalog.thumbnail(ids[0], draw)
    assert drawn == [(str(tmp_path / "a.mp4"), 6.4, 9.6)]
    assert (catalog.home.thumbs / f"{ids[0]}.jpg").read_bytes() == b"jpeg"
    assert catalog.thumbnail(999, draw) is None and len(drawn) == 1
    assert catalog.thumbnail(ids[1], lambda *_: None) is None and not (catalog.home.thumbs / f"{ids[1]}.jpg").exists()


def test_clips_grouped_by_video_in_one_read(vidx_home, tmp_path, monkeypatch):
    from vidx.store import video_clips

    catalog, a, b, ids = make(vidx_home, tmp_path)
    monkeypatch.setattr(video_clips, "CHUNK", 1)  # one statement a video, as past 30,000
    assert video_clips.clip_ids_of(catalog, [b, a, 99]).tolist() == sorted(ids + [4])
    by_video, crcs = video_clips.clips_of(catalog, [a, b, 99])
    assert {v: i.tolist() for v, i in by_video.items()} == {a: [ids[1], ids[2], ids[0]], b: [4]}
    recorded = dict(catalog.db.execute("select id, crc from clips"))
    assert crcs.tolist() == [recorded[i] for i in (ids[1], ids[2], ids[0], 4)]
    none, no_crcs = video_clips.clips_of(catalog, [99])
    assert none == {} and no_crcs.shape == (0,) and no_crcs.dtype == np.int64
    spans = video_clips.clip_spans_of(catalog, [a, b, 99])
    assert sorted(spans) == [a, b]
    assert spans[a].ids.tolist() == [ids[1], ids[2], ids[0]] and spans[a].crcs.tolist() == crcs[:3].tolist()
    assert spans[a].starts.tolist() == [0.0, 3.2, 6.4] and spans[a].ends.tolist() == [3.2, 6.4, 9.6]
    assert spans[b].ends.tolist() == [2.0], "a clip's end as read stops at its video's duration"
    assert spans[a].ids.dtype == spans[a].crcs.dtype == np.int64


def test_a_thumbnail_that_cannot_be_kept_is_served_or_says_why(vidx_home, tmp_path):
    import resource

    catalog, _, _, ids = make(vidx_home, tmp_path)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (10, hard))
    try:  # no room for it: served uncached
        assert catalog.thumbnail(ids[0], lambda *_: b"x" * 100) == b"x" * 100
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert list(catalog.home.thumbs.iterdir()) == []
    (catalog.home.thumbs / f"{ids[1]}.jpg").mkdir()
    (catalog.home.thumbs / f"{ids[1]}.jpg" / "in the way").write_bytes(b"")
    with pytest.raises(OSError):
        catalog.thumbnail(ids[1], lambda *_: b"jpeg")
    assert [p.name for p in catalog.home.thumbs.iterdir()] == [f"{ids[1]}.jpg"], "no temporary file left"


def test_unfinished_thumbnails_are_those_older_than_the_grace(vidx_home, tmp_path):
    import os

    from vidx.store import thumbnails

    folder = tmp_path / "thumbs"
    folder.mkdir()
    old, young = folder / ".5.jpg.abc", folder / ".6.jpg.def"
    for path in (old, young, folder / "7.jpg"):
        path.write_bytes(b"")
    os.utime(old, (1, 1))
    assert thumbnails.unfinished(folder, 60.0) == [old]
    thumbnails.drop(folder, [7, 8])
    assert sorted(p.name for p in folder.iterdir()) == [".5.jpg.abc", ".6.jpg.def"]
