"""The indexer's stages on their own: the plan, the writer, and the search over hand-made vectors."""

import os
import time
from pathlib import Path

import numpy as np
import pytest

from vidx.config import Home, load_settings
from vidx.errors import NotIndexed, UsageError, VidxError
from vidx.indexer.commit import Written, commit
from vidx.indexer.plan import Failure, Move, Placement, VideoJob, content_hash, make_plan
from vidx.indexer.stages import ClipReady, VideoDone, VideoFailed
from vidx.indexer.subtitle_words import SubtitleReader
from vidx.media.clips import Clip
from vidx.said import Segment
from vidx.searcher import search_vector
from vidx.searcher.search import Hit, Hits, check_query, check_under
from vidx.store import Catalog, ClipVector, VideoInfo
from vidx.store.catalog_writer import CatalogWriter


def unit(i: int, dim: int = 512) -> np.ndarray:
    return np.eye(dim, dtype=np.float32)[i]


@pytest.fixture
def catalog(vidx_home):
    return Catalog(Home(vidx_home))


def put(writer, root_id, path, vectors, digest=None):
    """Index a video by hand; its file is made when missing, since a search leaves out files gone from the disk,
    and its content hash is its name unless given, since videos of one hash are copies taking one result."""
    clips = [ClipVector(i, i * 3.2, (i + 1) * 3.2, v) for i, v in enumerate(vectors)]
    if not os.path.exists(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    st = os.stat(path)
    info = VideoInfo(digest or path.name, 3.2 * len(clips), 10.0, 32)
    return writer.save_video(root_id, str(path), (st.st_size, st.st_mtime_ns), info, clips)


def test_writer_commits_each_video_once_its_clips_have_vectors(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
    good = VideoJob(tmp_path / "a.mp4", root, 10, 1, "ha")
    bad = VideoJob(tmp_path / "b.mp4", root, 10, 1, "hb")
    for job in (good, bad):  # on disk as the walk saw them, so neither reads as still being written
        job.path.write_bytes(b"x" * job.size)
        os.utime(job.path, ns=(job.mtime_ns, job.mtime_ns))

    def clip(n):
        return Clip(n, n * 3.2, (n + 1) * 3.2, np.empty(0, np.uint8))

    events = [
        ClipReady(good, clip(0), unit(0)),
        ClipReady(bad, clip(0), unit(1)),
        ClipReady(good, clip(1), unit(2)),
        VideoFailed(bad, f"{bad.path}: broken"),
        VideoDone(good, VideoInfo("ha", 6.4, 10.0, 64)),
    ]
    with CatalogWriter(catalog) as writer:
        written = list(commit(events, writer, SubtitleReader((".mp4",))))
    assert written == [Written(bad, error=f"{bad.path}: broken"), Written(good, clips=2)]
    assert [w.failed for w in written] == [True, False]
    assert catalog.video(str(good.path)).status == "ok" and catalog.video(str(bad.path)).error.endswith("broken")
    rows = catalog.db.execute("select idx, start, end from clips order by idx").fetchall()
    assert rows == [(0, 0.0, 3.2), (1, 3.2, 6.4)]
    assert catalog.vector_count() == 2


def test_plan_sorts_files_by_what_they_need(catalog, tmp_path):
    settings = load_settings(catalog.home)
    lib = tmp_path / "lib"
    lib.mkdir()
    for name, data in [("same.mp4", b"same"), ("grown.mp4", b"old"), ("touched.mp4", b"t"), ("gone.mp4", b"g")]:
        (lib / name).write_bytes(data)
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(lib)
        for name in ("same.mp4", "grown.mp4", "touched.mp4", "gone.mp4"):
            put(writer, root, lib / name, [unit(0)], content_hash(lib / name))
    (lib / "grown.mp4").write_bytes(b"new content")
    os.utime(lib / "touched.mp4", ns=(1, 1))
    os.rename(lib / "gone.mp4", lib / "moved.mp4")
    (lib / "copy.mp4").write_bytes(b"same")
    (lib / "new.mp4").write_bytes(b"brand new")
    (lib / "new-twin.mp4").write_bytes(b"brand new")

    plan = make_plan(catalog, [lib], settings)
    assert plan.unchanged == 1
    assert [(j.path.name, j.known) for j in plan.embed] == [("grown.mp4", True), ("new-twin.mp4", False)]
    assert [v.path for v, _ in plan.touches] == [str(lib / "touched.mp4")]
    assert [(p.source.path, p.path.name) for p in plan.moves] == [(str(lib / "gone.mp4"), "moved.mp4")]
    assert sorted(p.path.name for p in plan.copies) == ["copy.mp4", "new.mp4"]
    assert plan.removals == [] and plan.failed == []

    everything = make_plan(catalog, [lib], settings, reembed_all=True)
    assert everything.unchanged == 0 and everything.moves == [] and len(everything.removals) == 1


def test_a_touch_matches_the_hash_an_earlier_vidx_recorded(catalog, tmp_path):
    """Catalogues hold each file's blake2b-160 of its bytes: a hash of another kind would make every touched file of
    an existing library new content, embedded again."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "a.mp4").write_bytes(b"same bytes")
    with CatalogWriter(catalog) as writer:
        put(writer, writer.add_root(lib), lib / "a.mp4", [unit(0)], "eb503fb1d2d678132870250b229d8bb8e63402a4")
    os.utime(lib / "a.mp4", ns=(1, 1))
    plan = make_plan(catalog, [lib], load_settings(catalog.home))
    assert [(v.path, st) for v, st in plan.touches] == [(str(lib / "a.mp4"), (10, 1))]
    assert plan.embed == []


def test_the_plan_waits_for_files_just_written_and_keeps_only_those_that_did_not_change(catalog, tmp_path, monkeypatch):
    """Files modified in the last index.settle_seconds are watched that long (from now, for one dated ahead), then
    planned if unchanged; one that changed is left for the next run, one deleted is gone, not failed."""
    from vidx.indexer import plan as planning

    monkeypatch.setenv("VIDX_INDEX_SETTLE_SECONDS", "5")
    settings = load_settings(catalog.home)
    lib = tmp_path / "lib"
    lib.mkdir()
    names = ("copied.mp4", "ahead.mp4", "growing.mp4", "deleted.mp4", "old.mp4")
    for name in names:
        (lib / name).write_bytes(name.encode())
    os.utime(lib / "old.mp4", ns=(10**9, 10**9))
    year_ahead = time.time_ns() + 365 * 86_400 * 10**9  # a camera's clock
    os.utime(lib / "ahead.mp4", ns=(year_ahead, year_ahead))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(lib)
        put(writer, root, lib / "deleted.mp4", [unit(0)], content_hash(lib / "deleted.mp4"))
    slept = []

    def meanwhile(seconds):  # what happens while the run waits
        slept.append(seconds)
        with open(lib / "growing.mp4", "ab") as f:
            f.write(b" more")
        (lib / "deleted.mp4").unlink()

    monkeypatch.setattr(planning.time, "sleep", meanwhile)
    plan = make_plan(catalog, [lib], settings)
    assert len(slept) == 1 and 4.5 < slept[0] <= 5
    assert plan.embed == [job(lib / name, root) for name in ("ahead.mp4", "copied.mp4", "old.mp4")]
    assert (plan.unsettled, plan.failed) == (1, [])  # growing.mp4
    assert [v.path for v in plan.removals] == [str(lib / "deleted.mp4")]


def test_files_that_settle_later_than_the_short_wait_are_not_waited_for(catalog, tmp_path, monkeypatch):
    from vidx.indexer import plan as planning

    monkeypatch.setenv("VIDX_INDEX_SETTLE_SECONDS", "60")
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "wet.mp4").write_bytes(b"wet")
    with CatalogWriter(catalog) as writer:
        writer.add_root(lib)
    monkeypatch.setattr(planning.time, "sleep", lambda seconds: pytest.fail(f"waited {seconds} s"))
    plan = make_plan(catalog, [lib], load_settings(catalog.home))
    assert (plan.embed, plan.unsettled) == ([], 1)


def stat_of(path):
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def job(path, root, known=False, lazy=False):
    """The VideoJob a plan makes of the file at `path` as it is on disk; `lazy`: left to the engine to hash."""
    return VideoJob(path, root, *stat_of(path), "" if lazy else content_hash(path), known)


def test_plan_counts_failed_and_unsettled_files_and_retries_failed_ones_when_asked(catalog, tmp_path, monkeypatch):
    monkeypatch.setenv("VIDX_INDEX_SETTLE_SECONDS", "60")
    settings = load_settings(catalog.home)
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("bad-1.mp4", "bad-2.mp4", "kept.mp4", "new.mp4", "wet-1.mp4", "wet-2.mp4", "zz-new.mp4"):
        (lib / name).write_bytes(name.encode())
        if not name.startswith("wet"):  # the others are still being written
            os.utime(lib / name, ns=(10**9, 10**9))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(lib)
        put(writer, root, lib / "kept.mp4", [unit(0)], content_hash(lib / "kept.mp4"))
        for name in ("bad-1.mp4", "bad-2.mp4"):
            writer.save_failure(root, str(lib / name), (9, 10**9), f"{name}: broken")

    plan = make_plan(catalog, [lib], settings)
    assert (plan.unchanged, plan.failed_before, plan.unsettled) == (1, 2, 2)
    assert plan.embed == [job(lib / "new.mp4", root), job(lib / "zz-new.mp4", root)]
    retried = make_plan(catalog, [lib], settings, retry_failed=True)
    assert (retried.unchanged, retried.failed_before, retried.unsettled) == (1, 0, 2)
    assert retried.embed == [
        job(lib / n, root, known=n.startswith("bad")) for n in ("bad-1.mp4", "bad-2.mp4", "new.mp4", "zz-new.mp4")
    ]


def test_a_file_that_failed_is_no_source_of_a_move(catalog, tmp_path):
    """A failed row keeps the hash of the content it held when it last indexed; that content, found at a new path
    once the failed file is gone, has no vectors to move there: it is embedded."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "a.mp4").write_bytes(b"first")
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(lib)
        put(writer, root, lib / "a.mp4", [unit(0)], content_hash(lib / "a.mp4"))
        writer.save_failure(root, str(lib / "a.mp4"), (6, 1), "a.mp4: broken")
    os.rename(lib / "a.mp4", lib / "b.mp4")
    plan = make_plan(catalog, [lib], load_settings(catalog.home))
    assert plan.moves == [] and plan.embed == [job(lib / "b.mp4", root)]
    assert [v.path for v in plan.removals] == [str(lib / "a.mp4")]


def test_a_file_that_cannot_be_read_fails_and_the_plan_goes_on(catalog, tmp_path):
    """A dangling link, a pipe and a file whose bytes cannot be read are failures of their own, known or new. As
    root every file reads whatever its mode: /proc/self/mem is a regular file whose first bytes never do."""
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("a-known.mp4", "c-new.mp4"):
        os.symlink("/proc/self/mem", lib / name)
    os.symlink(lib / "nowhere.mp4", lib / "0-dangling.mp4")
    os.mkfifo(lib / "0-pipe.mp4")
    for name in ("b-after.mp4", "d-after.mp4"):
        (lib / name).write_bytes(name.encode())
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(lib)
        writer.save_failure(root, str(lib / "a-known.mp4"), (1, 1), "a-known.mp4: was broken")
    plan = make_plan(catalog, [lib], load_settings(catalog.home))
    assert plan.failed == [
        Failure(
            str(lib / "0-dangling.mp4"),
            f"{lib / '0-dangling.mp4'}: cannot read (No such file or directory; dangling link?)",
        ),
        Failure(str(lib / "0-pipe.mp4"), f"{lib / '0-pipe.mp4'}: not a regular file (a pipe or a device?)"),
        Failure(str(lib / "a-known.mp4"), f"{lib / 'a-known.mp4'}: cannot read (Input/output error)"),
        Failure(str(lib / "c-new.mp4"), f"{lib / 'c-new.mp4'}: cannot read (Input/output error)"),
    ]
    assert plan.embed == [job(lib / "b-after.mp4", root), job(lib / "d-after.mp4", root)]


def test_a_twin_gone_from_the_disk_in_another_root_is_no_source_of_a_copy(catalog, tmp_path):
    """A copy takes the vectors of a twin still on disk as it was indexed; one whose file is gone from a root this
    run does not walk is not known to hold that content any more: the new file is embedded."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "gone.mp4").write_bytes(b"the same bytes")
    (tmp_path / "b" / "new.mp4").write_bytes(b"the same bytes")
    with CatalogWriter(catalog) as writer:
        put(
            writer,
            writer.add_root(tmp_path / "a"),
            tmp_path / "a" / "gone.mp4",
            [unit(0)],
            content_hash(tmp_path / "b" / "new.mp4"),
        )
        root = writer.add_root(tmp_path / "b")
    os.remove(tmp_path / "a" / "gone.mp4")
    plan = make_plan(catalog, [tmp_path / "b"], load_settings(catalog.home))
    assert (plan.embed, plan.copies, plan.removals) == ([job(tmp_path / "b" / "new.mp4", root)], [], [])


@pytest.fixture
def hand_made(catalog, tmp_path):
    """Three videos under two folders; clip vectors point along known axes."""
    with CatalogWriter(catalog) as writer:
        roots = {name: writer.add_root(tmp_path / name) for name in ("x", "y")}
        put(writer, roots["x"], tmp_path / "x" / "a.mp4", [unit(0), 0.9 * unit(0) + 0.1 * unit(1), unit(2)])
        put(writer, roots["x"], tmp_path / "x" / "b.mp4", [0.5 * unit(0), unit(1)])
        put(writer, roots["y"], tmp_path / "y" / "c.mp4", [0.8 * unit(0)])
    return tmp_path


def test_search_ranks_videos_by_their_best_clip(catalog, hand_made):
    hits = search_vector(catalog, unit(0), 10)
    assert [(h.rank, Path(h.path).name, h.score, h.start) for h in hits] == [
        (1, "a.mp4", 1.0, 0.0),
        (2, "c.mp4", pytest.approx(0.8, abs=1e-3), 0.0),  # the float16 row of 0.8 is 0.7998
        (3, "b.mp4", 0.5, 0.0),
    ]
    clips = search_vector(catalog, unit(0), 3, clips=True)
    assert [(Path(h.path).name, h.start) for h in clips] == [("a.mp4", 0.0), ("a.mp4", 3.2), ("c.mp4", 0.0)]


def test_search_filters(catalog, hand_made):
    assert [Path(h.path).name for h in search_vector(catalog, unit(0), 10, under=str(hand_made / "y"))] == ["c.mp4"]
    assert [Path(h.path).name for h in search_vector(catalog, unit(0), 10, under="/")] == ["a.mp4", "c.mp4", "b.mp4"]
    assert [Path(h.path).name for h in search_vector(catalog, unit(0), 10, min_score=0.6)] == ["a.mp4", "c.mp4"]
    excluded = search_vector(catalog, unit(0), 10, exclude=str(hand_made / "x" / ".." / "x" / "a.mp4"))
    assert [Path(h.path).name for h in excluded] == ["c.mp4", "b.mp4"]
    with pytest.raises(UsageError):
        search_vector(catalog, unit(0), 0)


def test_search_widens_past_many_clips_of_one_video(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "long.mp4", [unit(0)] * 300)
        put(writer, root, tmp_path / "other.mp4", [0.1 * unit(0)])
    hits = search_vector(catalog, unit(0), 2)
    assert [Path(h.path).name for h in hits] == ["long.mp4", "other.mp4"]


def test_lazy_plan_hashes_only_files_that_could_be_moves_or_copies(catalog, tmp_path):
    """An engine whose workers hash what they read gets new files of a size nothing else has unhashed."""
    settings = load_settings(catalog.home)
    lib = tmp_path / "lib"
    lib.mkdir()
    for name, data in [("kept.mp4", b"kept"), ("gone.mp4", b"gone!"), ("grown.mp4", b"old"), ("touched.mp4", b"t")]:
        (lib / name).write_bytes(data)
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(lib)
        for name in ("kept.mp4", "gone.mp4", "grown.mp4", "touched.mp4"):
            put(writer, root, lib / name, [unit(0)], content_hash(lib / name))
    gone = catalog.video(str(lib / "gone.mp4"))
    os.rename(lib / "gone.mp4", lib / "moved.mp4")
    os.utime(lib / "touched.mp4", ns=(2, 2))  # same size, new time: a touch only its hash tells
    (lib / "grown.mp4").write_bytes(b"grown up")
    (lib / "copy.mp4").write_bytes(b"kept")
    (lib / "solo.mp4").write_bytes(b"a size of its own")  # before the twins: the plan goes on past it
    (lib / "twin-a.mp4").write_bytes(b"twins")
    (lib / "twin-b.mp4").write_bytes(b"twins")
    (lib / "like-grown.mp4").write_bytes(b"grown up")

    eager = make_plan(catalog, [lib], settings)
    lazy = make_plan(catalog, [lib], settings, lazy_hash=True)
    for plan in (eager, lazy):
        assert plan.moves == [Move(gone, lib / "moved.mp4", root, stat_of(lib / "moved.mp4"))]
        assert plan.copies == [
            Placement(lib / name, root, stat_of(lib / name), content_hash(lib / name))
            for name in ("copy.mp4", "like-grown.mp4", "twin-b.mp4")
        ]
        assert [(v.path, st) for v, st in plan.touches] == [(str(lib / "touched.mp4"), (1, 2))]
    assert {j.path.name: j.hash for j in eager.embed} == {
        n: content_hash(lib / n) for n in ("grown.mp4", "solo.mp4", "twin-a.mp4")
    }
    # grown.mp4 shares its new size with a new file, so it is hashed to see that file is its copy.
    assert lazy.embed == [
        job(lib / "grown.mp4", root, known=True),
        job(lib / "solo.mp4", root, lazy=True),
        job(lib / "twin-a.mp4", root),
    ]
    os.remove(lib / "like-grown.mp4")
    again = make_plan(catalog, [lib], settings, lazy_hash=True)
    assert again.embed == [
        job(lib / "grown.mp4", root, known=True, lazy=True),
        job(lib / "solo.mp4", root, lazy=True),
        job(lib / "twin-a.mp4", root),
    ]
    assert (again.unchanged, len(again.touches), len(again.moves), len(again.copies)) == (1, 1, 1, 2)


def test_a_hit_as_json_and_the_checks_before_a_search():
    hit = Hit(2, "/v/a.mp4", 0.5, 3.2, 6.4, clip_id=7, video_id=3)
    assert hit.as_json() == {"rank": 2, "path": "/v/a.mp4", "score": 0.5, "start": 3.2, "end": 6.4}
    said = Hit(
        1, "/v/a.mp4", 0.5, 1.0, 2.5, copies=("/v/b.mp4", "/w/c.mp4"), said=Segment(1.0, 2.5, "feed it", "speech")
    )
    assert said.as_json() == {
        "rank": 1,
        "path": "/v/a.mp4",
        "score": 0.5,
        "start": 1.0,
        "end": 2.5,
        "copies": ["/v/b.mp4", "/w/c.mp4"],
        "said": {"text": "feed it", "start": 1.0, "end": 2.5, "source": "speech"},
    }
    hits = Hits([hit], 2, frozenset({5}))
    assert (list(hits), hits.deleted, hits.gone) == ([hit], 2, frozenset({5}))
    assert (list(Hits()), Hits().deleted, Hits().gone) == ([], 0, frozenset())

    check_query(" red ")
    with pytest.raises(VidxError) as error:
        check_query(" \t")
    assert str(error.value) == 'The query is empty: say what you remember seeing, e.g. "car drifting"'
    check_under(Path("/v/x"), ["/w", "/v"])
    check_under(Path("/"), ["/v"])  # a folder that holds an indexed one
    with pytest.raises(NotIndexed) as error:
        check_under(Path("/vv"), ["/w", "/v"])
    assert str(error.value) == "/vv is not under any indexed folder"
