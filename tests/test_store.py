"""The on-disk store: the schema its migrations make, and the FAISS file kept in step with SQLite."""

import numpy as np
import pytest
import sqlite_utils

from vidx.config import Home
from vidx.store import Catalog, ClipVector, VideoInfo
from vidx.store.catalog_writer import CatalogWriter


def test_schema(vidx_home):
    db = sqlite_utils.Database(Catalog(Home(vidx_home)).db)
    assert {t: db[t].columns_dict for t in ("roots", "videos", "clips", "meta", "said", "said_state")} == {
        "roots": {"id": int, "path": str, "added_at": str},
        "videos": {
            "id": int,
            "root_id": int,
            "path": str,
            "size": int,
            "mtime_ns": int,
            "hash": str,
            "duration": float,
            "fps": float,
            "frames": int,
            "status": str,
            "error": str,
            "indexed_at": str,
            "raw_path": bytes,
        },
        "clips": {"id": int, "video_id": int, "idx": int, "start": float, "end": float, "vector": bytes},
        "meta": {"key": str, "value": str},
        "said": {"id": int, "video_id": int, "start": float, "end": float, "text": str, "source": str},
        "said_state": {"video_id": int, "subtitles": str, "bitmap_streams": int, "speech": str, "speech_error": str},
    }
    assert [r[0] for r in db.execute("select name from _sqlite_migrations")] == [
        "m001_initial",
        "m002_raw_path",
        "m003_said",
    ]
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


INFO = VideoInfo("h", 3.2, 10.0, 32)


def unit(i: int) -> np.ndarray:
    return np.eye(512, dtype=np.float32)[i]


def test_resaving_a_video_replaces_its_clips(vidx_home):
    catalog = Catalog(Home(vidx_home))
    clips = [ClipVector(i, i * 3.2, (i + 1) * 3.2, np.full(512, i, np.float32)) for i in range(3)]
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(vidx_home)
        video = writer.save_video(root, "/v.mp4", (1, 1), INFO, clips)
        first = catalog.clip_ids(video)
        assert writer.save_video(root, "/v.mp4", (2, 2), INFO, clips[:2]) == video
    assert len(first) == 3 and len(catalog.clip_ids(video)) == 2
    assert catalog.counts()["clips"] == 2 and catalog.vector_count() == 2, "the FAISS file dropped the first three"


def test_writer_keeps_the_faiss_file_in_step(vidx_home):
    catalog = Catalog(Home(vidx_home))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(vidx_home)
        a = writer.save_video(root, "/a.mp4", (1, 1), INFO, [ClipVector(0, 0, 1, unit(0))])
        writer.save_video(root, "/b.mp4", (1, 1), INFO, [ClipVector(0, 0, 1, unit(1))])
        writer.copy_video(a, root, "/c.mp4", (1, 1))
        writer.delete_video(catalog.video("/b.mp4").id)
    assert catalog.faiss.generation == catalog.generation
    assert catalog.vector_count() == 2
    found, more = catalog.nearest(unit(0), 5)
    assert sorted(n.clip.path for n in found) == ["/a.mp4", "/c.mp4"] and not more
    assert [n.score for n in found] == [1.0, 1.0]


def test_lagging_faiss_file_is_rebuilt_by_the_next_writer(vidx_home):
    catalog = Catalog(Home(vidx_home))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(vidx_home)
        writer.save_video(root, "/a.mp4", (1, 1), INFO, [ClipVector(0, 0, 1, unit(0))])
    killed = CatalogWriter(catalog)  # a run killed before it saved the FAISS file: SQLite has /b.mp4, the file not
    killed.save_video(root, "/b.mp4", (1, 1), INFO, [ClipVector(0, 0, 1, unit(1))])
    assert catalog.vector_count() == 1, "queries take the newest file, even a lagging one"
    found, _ = catalog.nearest(unit(1), 5)
    assert [n.clip.path for n in found] == ["/a.mp4"]
    with CatalogWriter(catalog):
        pass
    assert catalog.vector_count() == 2
    assert [n.clip.path for n in catalog.nearest(unit(1), 1)[0]] == ["/b.mp4"]
    assert sorted(p.name for p in (vidx_home / "index").iterdir()) == [f"vectors-{catalog.generation}.faiss"]


def test_removing_every_video_leaves_an_empty_current_faiss_file(vidx_home):
    catalog = Catalog(Home(vidx_home))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(vidx_home)
        writer.save_video(root, f"{vidx_home}/a.mp4", (1, 1), INFO, [ClipVector(0, 0, 1, unit(0))])
    assert catalog.faiss.path is not None
    with CatalogWriter(catalog) as writer:
        writer.remove_root(vidx_home)
    assert catalog.roots() == [] and catalog.counts()["clips"] == 0
    assert catalog.faiss.generation == catalog.generation and catalog.vector_count() == 0
    assert catalog.nearest(unit(0), 5) == ([], False)


def test_large_libraries_switch_to_an_approximate_index_with_high_recall():
    import faiss

    from vidx.store import vectors

    rng = np.random.default_rng(0)
    data = rng.standard_normal((4000, 512), dtype=np.float32)
    ids = np.arange(10, 4010, dtype=np.int64)
    assert vectors.describe(vectors.build_index(ids, data, ann_threshold=5000)) == "exact inner product"
    index = vectors.build_index(ids, data, ann_threshold=4000)
    assert vectors.describe(index) == "PQ128x4 fast-scan + exact re-ranking"
    assert not vectors.supports_removal(index)
    exact = faiss.IndexFlatIP(512)
    exact.add(data)
    queries = rng.standard_normal((50, 512), dtype=np.float32)
    _, truth = exact.search(queries, 10)
    _, found = vectors.search(index, queries, 10)
    recall = np.mean([len(set(t + 10) & set(f)) / 10 for t, f in zip(truth, found, strict=True)])
    assert recall >= 0.95


@pytest.mark.parametrize("threshold", [5000, 1000], ids=["exact", "approximate"])
def test_mapped_index_answers_as_the_loaded_one(tmp_path, threshold):
    from vidx.store import vectors

    rng = np.random.default_rng(1)
    data = rng.standard_normal((2000, 512), dtype=np.float32)
    path = tmp_path / "v.faiss"
    vectors.save_index(vectors.build_index(np.arange(2000, dtype=np.int64), data, threshold), path)
    queries = rng.standard_normal((5, 512), dtype=np.float32)
    loaded = vectors.search(vectors.load_index(path), queries, 10)
    mapped = vectors.search(vectors.load_index(path, mapped=True), queries, 10)
    np.testing.assert_array_equal(mapped[1], loaded[1])
    np.testing.assert_array_equal(mapped[0], loaded[0])


def test_a_faiss_file_vidx_did_not_write_is_refused(tmp_path):
    import faiss

    from vidx.errors import VidxError
    from vidx.store import vectors

    path = tmp_path / "vectors-1.faiss"
    faiss.write_index(faiss.IndexFlatIP(4), str(path))  # no id map: vidx's clip ids cannot be in it
    with pytest.raises(VidxError) as e:
        vectors.load_index(path)
    assert str(e.value) == f"{path} is not a vidx vector index: move it away and run vidx doctor --repair"


def test_index_runs_on_the_approximate_index(run, imported, library, tmp_path, monkeypatch):
    import shutil

    from conftest import as_json

    monkeypatch.setenv("VIDX_INDEX_ANN_THRESHOLD", "4")
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root / "colours")
    shutil.copytree(library["root"] / "light", root / "light")
    run("index", root, "--quiet")
    assert as_json(run("query", "blue", "--json"))["results"][0]["path"] == str(root / "colours" / "blue.gif")
    (root / "colours" / "blue.gif").unlink()
    assert as_json(run("index", "--json"))["removed"] == 1
    assert as_json(run("doctor", "--json"))["healthy"] is True
    assert as_json(run("query", "darkening", "--json"))["results"][0]["path"] == str(root / "light" / "fade_out.avi")


def test_doctor_repairs_orphan_clips_and_their_vectors_together(vidx_home):
    from vidx.store.doctor import check

    catalog = Catalog(Home(vidx_home))
    with CatalogWriter(catalog) as writer:
        video = writer.save_video(writer.add_root(vidx_home), "/a.mp4", (1, 1), INFO, [ClipVector(0, 0, 1, unit(0))])
    with catalog.db:  # what a hand-edited or damaged catalogue may hold: clips of no video
        catalog.db.execute("delete from videos where id = ?", [video])
    sick = check(catalog)
    assert (sick.problems, sick.repaired) == (["1 clips belong to no video"], [])
    fixed = check(catalog, repair=True)
    assert (fixed.problems, fixed.repaired) == (["1 clips belong to no video"], ["deleted 1 orphan clips"])
    assert check(catalog).healthy
    assert catalog.counts()["clips"] == 0 and catalog.vector_count() == 0
    assert catalog.faiss.generation == catalog.generation


def test_removing_a_video_from_the_approximate_index_rebuilds_it(run, imported, tmp_path, vidx_home, monkeypatch):
    import videos
    from conftest import as_json

    monkeypatch.setenv("VIDX_INDEX_ANN_THRESHOLD", "4")
    root = tmp_path / "lib"
    for name, colour in [("red", videos.RED), ("green", videos.GREEN), ("blue", videos.BLUE), ("grey", videos.GREY)]:
        videos.write(root / f"{name}.mp4", videos.segments((colour, 20)))
    run("index", root, "--quiet")
    for f in (vidx_home / "index").glob("*.faiss"):
        f.unlink()
    repaired = as_json(run("doctor", "--repair", "--json", check=False))["repaired"]
    assert repaired == ["rebuilt the FAISS file from 28 stored vectors"], "past the threshold: an approximate index"
    (root / "blue.mp4").unlink()
    assert as_json(run("index", "--json"))["removed"] == 1
    assert run("doctor").stdout == "healthy\n"
    paths = [r["path"] for r in as_json(run("query", "blue", "--json", "-k", "3"))["results"]]
    assert paths and str(root / "blue.mp4") not in paths


def test_an_approximate_index_too_small_to_train_is_built_exact(
    run, imported, library, tmp_path, vidx_home, monkeypatch
):
    import shutil

    from conftest import as_json

    monkeypatch.setenv("VIDX_INDEX_ANN_THRESHOLD", "1")
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root)
    run("index", root, "--quiet")
    clips = as_json(run("status", "--json"))["clips"]
    assert clips < 16
    (root / "green.avi").unlink()
    (root / "red.mp4").unlink()
    for f in (vidx_home / "index").glob("*.faiss"):
        f.unlink()
    assert as_json(run("index", "--json"))["removed"] == 2
    assert run("doctor").stdout == "healthy\n"
    assert as_json(run("query", "blue", "--json"))["results"][0]["path"] == str(root / "blue.gif")
