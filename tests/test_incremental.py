"""Re-indexing: new, changed, moved, copied and deleted files; roots, failures and doctor."""

import os
import shutil
from dataclasses import replace

import pytest
import videos
from conftest import as_json

from vidx.config import Home
from vidx.store import Catalog


@pytest.fixture
def lib(tmp_path, library, run, imported):
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root / "colours")
    shutil.copytree(library["root"] / "light", root / "light")
    first = as_json(run("index", root, "--json"))
    assert first["added"] == 5
    return root


def clip_ids(vidx_home, path):
    catalog = Catalog(Home(vidx_home))
    return [
        r[0]
        for r in catalog.db.execute(
            "select clips.id from clips join videos on videos.id = clips.video_id where videos.path = ? order by clips.id",
            [str(path)],
        )
    ]


def test_move_reuses_vectors(run, lib, vidx_home):
    before = clip_ids(vidx_home, lib / "colours" / "red.mp4")
    (lib / "archive").mkdir()
    os.rename(lib / "colours" / "red.mp4", lib / "archive" / "renamed.mp4")
    summary = as_json(run("index", "--json"))
    assert (summary["moved"], summary["clips_embedded"], summary["added"], summary["removed"]) == (1, 0, 0, 0)
    assert clip_ids(vidx_home, lib / "archive" / "renamed.mp4") == before
    top = as_json(run("query", "red", "--json"))["results"][0]
    assert top["path"] == str(lib / "archive" / "renamed.mp4")
    status = as_json(run("status", "--json"))
    assert status["clips"] == status["vectors"]


def test_copy_is_listed_once_with_its_twin_and_embedded_once(run, lib):
    shutil.copy(lib / "colours" / "blue.gif", lib / "light" / "blue-copy.gif")
    summary = as_json(run("index", "--json"))
    assert (summary["added"], summary["clips_embedded"]) == (1, 0)
    first = as_json(run("query", "blue", "--json", "-k", "2"))["results"][0]
    paths = [first["path"], *first["copies"]]
    assert sorted(paths) == sorted([str(lib / "colours" / "blue.gif"), str(lib / "light" / "blue-copy.gif")])


def test_a_copy_in_a_new_folder_takes_the_vectors_of_one_indexed_in_another(run, lib, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(lib / "colours" / "red.mp4", elsewhere / "red-again.mp4")
    summary = as_json(run("index", elsewhere, "--json"))
    assert (summary["added"], summary["clips_embedded"]) == (1, 0)
    (lib / "colours" / "red.mp4").write_bytes(b"changed since it was indexed")
    shutil.copy(elsewhere / "red-again.mp4", elsewhere / "red-third.mp4")
    summary = as_json(run("index", elsewhere, "--json"))
    assert (summary["added"], summary["clips_embedded"]) == (1, 0), "the second copy's vectors are still good"


def test_two_new_copies_embed_once(run, imported, library, tmp_path):
    root = tmp_path / "twins"
    root.mkdir()
    shutil.copy(library["red"], root / "a.mp4")
    shutil.copy(library["red"], root / "b.mp4")
    summary = as_json(run("index", root, "--json"))
    assert summary["added"] == 2
    assert summary["clips_embedded"] == 2, "one video of two clips, embedded once"
    assert as_json(run("status", "--json"))["clips"] == 4


def test_touch_without_change_embeds_nothing(run, lib):
    path = lib / "colours" / "green.avi"
    os.utime(path, ns=(0, 10**18))
    summary = as_json(run("index", "--json"))
    assert (summary["changed"], summary["unchanged"], summary["clips_embedded"]) == (0, 5, 0)
    assert as_json(run("index", "--json"))["unchanged"] == 5


def test_unchanged_rescan_prints_one_summary_line(run, lib):
    result = run("index")
    assert result.stdout.splitlines()[-1].startswith(
        "0 added, 0 changed, 0 moved, 0 removed, 5 unchanged, 0 failed; 0 clips embedded in "
    )


def test_progress_lines_when_not_a_terminal(run, imported, library, tmp_path):
    root = tmp_path / "few"
    shutil.copytree(library["root"] / "colours", root)
    result = run("index", root)
    log = [line.split(" ", 1)[1] for line in result.stderr.splitlines()]
    assert log[0] == "3 files to embed"
    assert sorted(log[1:]) == sorted(f"indexed {root / n}" for n in ("blue.gif", "green.avi", "red.mp4"))
    quiet = run("index", root, "--quiet")
    assert quiet.stderr == ""


def test_roots(run, lib, library):
    other = library["root"] / "motion"
    run("index", other, "--quiet")
    assert as_json(run("roots", "--json")) == sorted([str(lib), str(other)])
    assert run("roots").stdout == "".join(f"{p}\n" for p in sorted([str(lib), str(other)]))
    removed = run("roots", "remove", lib)
    assert removed.stdout == f"Forgot {lib}: 5 videos and 0 failed files.\n"
    assert as_json(run("roots", "--json")) == [str(other)]
    status = as_json(run("status", "--json"))
    assert status["videos"] == 1 and status["clips"] == status["vectors"]
    unknown = run("roots", "remove", lib, check=False)
    assert (unknown.exit_code, unknown.output) == (
        1,
        f"Error: {lib} is not an indexed folder; `vidx roots` lists them\n",
    )


def test_doctor_finds_and_repairs_an_index_of_the_wrong_kind_or_missing_segments(run, lib, vidx_home, monkeypatch):
    assert as_json(run("doctor", "--json")) == {"healthy": True, "problems": [], "repaired": []}
    clips = as_json(run("status", "--json"))["clips"]
    monkeypatch.setenv("VIDX_INDEX_ANN_THRESHOLD", "4")  # lowered after the index was built
    os.remove(lib / "light" / "fade_out.avi")
    sick = run("doctor", "--json", check=False)
    assert sick.exit_code == 1
    assert as_json(sick)["problems"] == [
        f"1 indexed file no longer exists, e.g. {lib / 'light' / 'fade_out.avi'}",
        f"the index is exact but {clips} clips call for the approximate one (index.ann_threshold 4)",
    ]
    fixed = run("doctor", "--repair")  # everything it found was repaired: exit 0
    left = as_json(run("status", "--json"))
    assert fixed.stdout.splitlines()[2:] == [
        "repaired: removed 1 vanished file from the index",
        f"repaired: rebuilt the approximate index of {left['clips']} clips",
    ]
    assert (left["index_kind"], left["vectors"]) == ("approximate", left["clips"])
    assert run("doctor").stdout == "healthy\n"
    for segment in (vidx_home / "index").glob("ann-*.faiss"):
        segment.unlink()
    sick = as_json(run("doctor", "--json", check=False))
    assert sick["problems"][0].startswith("index files are missing: ann-")
    run("doctor", "--repair")
    assert run("doctor").stdout == "healthy\n"
    assert as_json(run("query", "darkening", "--json"))["results"][0]["path"] != str(lib / "light" / "fade_out.avi")


def test_unchanged_rescan_leaves_the_index_files_alone(run, lib, vidx_home):
    before = {p: p.stat().st_mtime_ns for p in (vidx_home / "index").iterdir()}
    assert [p.name for p in before] == ["rows-00000.f16"]
    run("index", "--quiet")
    assert {p: p.stat().st_mtime_ns for p in (vidx_home / "index").iterdir()} == before


def test_new_content_of_the_same_size_is_embedded_again(run, imported, tmp_path):
    red = videos.write(tmp_path / "made" / "red.mp4", videos.solid(videos.RED, 40)).read_bytes()
    green = videos.write(tmp_path / "made" / "green.mp4", videos.solid(videos.GREEN, 40)).read_bytes()
    size = max(len(red), len(green))
    path = tmp_path / "lib" / "clip.mp4"
    path.parent.mkdir()
    path.write_bytes(red.ljust(size, b"\0"))  # FFmpeg ignores bytes past the end of the video
    run("index", path.parent, "--quiet")
    path.write_bytes(green.ljust(size, b"\0"))
    os.utime(path, ns=(0, 10**18))
    summary = as_json(run("index", "--json"))
    assert (summary["changed"], summary["failed"], summary["clips_embedded"]) == (1, [], 2)


def test_a_new_file_with_the_old_content_of_a_changed_one_is_embedded(run, lib):
    a, b = lib / "colours" / "red.mp4", lib / "colours" / "b.mp4"
    shutil.copy(a, b)
    a.write_bytes((lib / "colours" / "green.avi").read_bytes())
    summary = as_json(run("index", "--json"))
    assert (summary["added"], summary["changed"], summary["failed"]) == (1, 1, [])
    assert as_json(run("query", "red", "--json"))["results"][0]["path"] == str(b)
    assert as_json(run("doctor", "--json"))["healthy"] is True


def as_written(vidx_home, segment):
    """Record `segment`'s checksum as the writer would have, had it written the file so: a bug in what the writer
    wrote, not damage to what it wrote (tests/test_damage.py has those)."""
    from vidx.store.checksums import file_crc
    from vidx.store.vector_index import STATE_KEY

    catalog = Catalog(Home(vidx_home))
    state = catalog.index_state()
    segments = tuple(replace(s, crc=file_crc(segment)) if s.file == segment.name else s for s in state.segments)
    with catalog.db:
        catalog.db.execute(
            "update meta set value = ? where key = ?", [replace(state, segments=segments).as_json(), STATE_KEY]
        )
    catalog.close()


def test_doctor_finds_a_segment_that_disagrees_with_sqlite(run, lib, library, vidx_home, monkeypatch):
    monkeypatch.setenv("VIDX_INDEX_ANN_THRESHOLD", "4")
    run("doctor", "--repair", check=False)  # the approximate index: one segment
    shutil.copy(library["moving"], lib / "checkers.mp4")
    run("index", "--quiet")  # its clips flush into a second segment
    import faiss

    _, newer = sorted((vidx_home / "index").glob("ann-*.faiss"))
    emptied = faiss.read_index(str(newer))
    emptied.reset()  # the second segment's file, as a run writing it would have left it had it lost its vectors
    faiss.write_index(emptied, str(newer))
    as_written(vidx_home, newer)
    sick = run("doctor", "--json", check=False)
    assert sick.exit_code == 1
    (problem,) = as_json(sick)["problems"]
    assert problem.startswith("the index segments disagree with SQLite (") and "0 vectors lack a clip" in problem
    fixed = as_json(run("doctor", "--repair", "--json", check=False))
    assert fixed["repaired"][0].startswith("rebuilt the approximate index of ")
    assert run("doctor").stdout == "healthy\n"


def test_doctor_finds_clip_ids_held_twice(run, lib, vidx_home, monkeypatch):
    import faiss
    import numpy as np

    monkeypatch.setenv("VIDX_INDEX_ANN_THRESHOLD", "4")
    run("doctor", "--repair", check=False)
    (current,) = (vidx_home / "index").glob("ann-*.faiss")
    index = faiss.read_index(str(current))
    index.add_with_ids(np.zeros((1, index.d), np.float32), np.array([1], np.int64))
    faiss.write_index(index, str(current))
    as_written(vidx_home, current)
    sick = run("doctor", "--json", check=False)
    assert (sick.exit_code, as_json(sick)["problems"]) == (1, ["the index segments hold some clip ids twice"])
    run("doctor", "--repair", check=False)
    assert run("doctor").stdout == "healthy\n"
