"""The on-disk store: the schema its migrations make, and the vector index kept in step with SQLite."""

import numpy as np
import pytest
import sqlite_utils

from vidx.config import Home
from vidx.store import Catalog, ClipVector, VideoInfo
from vidx.store.catalog_writer import CatalogWriter


def test_schema(vidx_home):
    db = sqlite_utils.Database(Catalog(Home(vidx_home)).db)
    tables = ("roots", "videos", "clips", "meta", "dropped_clips", "said", "said_state")
    assert {t: db[t].columns_dict for t in tables} == {
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
        "clips": {"id": int, "video_id": int, "idx": int, "start": float, "end": float, "vector": bytes, "crc": int},
        "meta": {"key": str, "value": str},
        "dropped_clips": {"id": int},
        "said": {"id": int, "video_id": int, "start": float, "end": float, "text": str, "source": str},
        "said_state": {"video_id": int, "subtitles": str, "bitmap_streams": int, "speech": str, "speech_error": str},
    }
    assert [r[0] for r in db.execute("select name from _sqlite_migrations")] == [
        "m001_initial",
        "m002_raw_path",
        "m003_vectors_in_rows",
        "m004_reclaim_vector_space",
        "m005_said",
        "m006_vector_checksums",
        "m007_pack_emptied_clip_pages",
    ]
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_the_words_index_opens_in_a_process_that_loaded_tensorflow(tmp_path):
    import subprocess
    import sys

    # TensorFlow carries a SQLite without FTS5; vidx.model, where every TensorFlow import is, loads sqlite3 first.
    code = (
        "import vidx.model, tensorflow\n"
        "from pathlib import Path\nfrom vidx.config import Home\nfrom vidx.store import Catalog\n"
        f"print(Catalog(Home(Path({str(tmp_path)!r}))).said_counts())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout == "{'said_segments': 0, 'bitmap_subtitle_streams': 0}\n", done.stderr[-500:]


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
    assert first == [1, 2, 3] and catalog.clip_ids(video) == [4, 5], "ids are never reused: a clip's id is its row"
    assert catalog.counts()["clips"] == 2 and catalog.vector_count() == 2
    assert [r[0] for r in catalog.db.execute("select id from dropped_clips")] == [], "none was in a segment"


def test_writer_keeps_the_index_in_step(vidx_home):
    catalog = Catalog(Home(vidx_home))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(vidx_home)
        a = writer.save_video(root, "/a.mp4", (1, 1), INFO, [ClipVector(0, 0, 1, unit(0))])
        writer.save_video(root, "/b.mp4", (1, 1), INFO, [ClipVector(0, 0, 1, unit(1))])
        writer.copy_video(a, root, "/c.mp4", (1, 1))
        writer.delete_video(catalog.video("/b.mp4").id)
    assert catalog.vector_count() == 2 and catalog.index_state().kind == "exact"
    found, more = catalog.nearest(unit(0), 5)
    assert sorted(n.clip.path for n in found) == ["/a.mp4", "/c.mp4"] and not more
    assert [n.score for n in found] == [1.0, 1.0]
    assert sorted(p.name for p in (vidx_home / "index").iterdir()) == ["rows-00000.f16"]
    assert (vidx_home / "index" / "rows-00000.f16").stat().st_size == 4 * 512 * 2, "a float16 row a clip, row 0 unused"
    assert catalog.db.execute("select sum(length(vector)) from clips").fetchone()[0] == 0


def test_removing_every_video_leaves_an_empty_index(vidx_home):
    catalog = Catalog(Home(vidx_home))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(vidx_home)
        writer.save_video(root, f"{vidx_home}/a.mp4", (1, 1), INFO, [ClipVector(0, 0, 1, unit(0))])
    with CatalogWriter(catalog) as writer:
        writer.remove_root(vidx_home)
    assert catalog.roots() == [] and catalog.counts()["clips"] == 0
    assert catalog.vector_count() == 0
    assert catalog.nearest(unit(0), 5) == ([], False)


def test_an_older_home_moves_its_vectors_out_of_sqlite(vidx_home):
    import sqlite3

    from sqlite_utils.migrations import Migrations

    from vidx.store import migrations

    vidx_home.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(sqlite3.connect(vidx_home / "vidx.db"))
    older = Migrations(migrations.SET)
    for step in migrations.STEPS[:2]:
        older()(step)
    older.apply(db)
    db["roots"].insert({"id": 1, "path": str(vidx_home), "added_at": "now"})
    db["videos"].insert({"id": 1, "root_id": 1, "path": "/a.mp4", "status": "ok", "duration": 2.0})
    for clip_id, axis in ((2, 0), (5, 1)):
        vector = unit(axis).tobytes()
        db["clips"].insert({"id": clip_id, "video_id": 1, "idx": clip_id, "start": 0, "end": 1, "vector": vector})
    db.conn.commit()
    (vidx_home / "index").mkdir()
    (vidx_home / "index" / "vectors-7.faiss").write_bytes(b"an index of the old kind")
    db.close()
    catalog = Catalog(Home(vidx_home))
    assert catalog.index_state().rows == 6 and catalog.vector_count() == 2
    assert sorted(p.name for p in (vidx_home / "index").iterdir()) == ["rows-00000.f16"]
    assert [n.clip.id for n in catalog.nearest(unit(1), 2)[0]] == [5, 2]
    assert np.array_equal(catalog.vectors([5, 2]), np.stack([unit(1), unit(0)]))


def test_a_segment_file_vidx_did_not_write_is_refused(tmp_path):
    import faiss

    from vidx.errors import IndexFileDamaged
    from vidx.store import ann

    path = tmp_path / "ann-000000-0-1.faiss"
    faiss.write_index(faiss.IndexFlatIP(4), str(path))  # no inverted lists: not a segment vidx wrote
    with pytest.raises(IndexFileDamaged) as e:
        ann.load(path)
    assert str(e.value) == f"The index file {path} is damaged (it is not a vidx index segment)"


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
    assert (sick.problems, sick.repaired) == (["1 clip belongs to no video"], [])
    fixed = check(catalog, repair=True)
    assert (fixed.problems, fixed.repaired) == (["1 clip belongs to no video"], ["deleted 1 orphan clip"])
    assert fixed.unrepaired == []
    assert check(catalog).healthy
    assert catalog.counts()["clips"] == 0 and catalog.vector_count() == 0
    assert [r[0] for r in catalog.db.execute("select id from dropped_clips")] == [], "in no segment: forgotten"
    assert catalog.nearest(unit(0), 5) == ([], False)


def test_removing_a_video_from_the_approximate_index_rebuilds_it(run, imported, tmp_path, vidx_home, monkeypatch):
    import videos
    from conftest import as_json

    monkeypatch.setenv("VIDX_INDEX_ANN_THRESHOLD", "4")
    root = tmp_path / "lib"
    for name, colour in [("red", videos.RED), ("green", videos.GREEN), ("blue", videos.BLUE), ("grey", videos.GREY)]:
        videos.write(root / f"{name}.mp4", videos.segments((colour, 20)))
    run("index", root, "--quiet")
    for f in (vidx_home / "index").glob("ann-*.faiss"):
        f.unlink()
    repaired = as_json(run("doctor", "--repair", "--json", check=False))["repaired"]
    assert repaired == ["rebuilt the approximate index of 28 clips"], "past the threshold: an approximate index"
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
    for f in (vidx_home / "index").glob("ann-*.faiss"):
        f.unlink()  # the next writer builds the index again
    assert as_json(run("index", "--json"))["removed"] == 2
    assert run("doctor").stdout == "healthy\n"
    assert as_json(run("query", "blue", "--json"))["results"][0]["path"] == str(root / "blue.gif")
