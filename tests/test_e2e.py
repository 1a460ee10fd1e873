"""index -> query through the CLI, on videos whose right answers the toy model makes certain."""

import os
import re
import shutil

import pytest
from conftest import SHARED_VIDEOS, as_json

from vidx.config import Home
from vidx.store import Catalog

WORDS = ["red", "green", "blue", "brightening", "darkening", "moving"]


@pytest.fixture
def indexed(run, imported, library):
    summary = as_json(run("index", library["root"], "--json"))
    return summary


def test_index_summary(indexed, library):
    expected = 6 + (3 if SHARED_VIDEOS.is_dir() else 0)
    assert indexed["added"] == expected
    assert indexed["changed"] == indexed["removed"] == indexed["unchanged"] == indexed["moved"] == 0
    assert indexed["failed"] == []
    assert indexed["clips_embedded"] >= expected
    assert set(indexed) == {
        "added",
        "changed",
        "moved",
        "removed",
        "unchanged",
        "failed",
        "still_being_written",
        "failed_before",
        "clips_embedded",
        "seconds",
        "decode_seconds",
        "embed_seconds",
        "write_seconds",
        "clips_per_second",
        "said_segments",
        "warnings",
    }
    assert (indexed["said_segments"], indexed["warnings"]) == (0, [])


@pytest.mark.parametrize("word", WORDS)
def test_each_word_finds_its_video_first(run, indexed, library, word):
    results = as_json(run("query", word, "--json", "-k", "3"))["results"]
    assert results[0]["path"] == str(library[word])
    assert [r["rank"] for r in results] == [1, 2, 3]
    assert len({r["path"] for r in results}) == 3


def test_rgb_order_and_frame_order_decide(run, indexed, library):
    # A BGR slip would swap red and blue; a reversed clip would swap brightening and darkening.
    assert as_json(run("query", "red", "--json"))["results"][0]["path"] == str(library["red"])
    assert as_json(run("query", "blue", "--json"))["results"][0]["path"] == str(library["blue"])
    assert as_json(run("query", "brightening", "--json"))["results"][0]["path"] == str(library["brightening"])
    assert as_json(run("query", "darkening", "--json"))["results"][0]["path"] == str(library["darkening"])


def test_query_json_contract(run, indexed, library):
    data = as_json(run("query", "Red", "--json", "-k", "2"))
    assert data["query"] == "Red"
    first = data["results"][0]
    assert set(first) == {"rank", "path", "score", "start", "end"}
    assert os.path.isabs(first["path"])
    red = as_json(run("query", "red", "--json", "-k", "1"))["results"][0]
    assert (red["path"], red["start"], red["end"]) == (str(library["red"]), 0.0, 4.0), "red throughout: one moment"
    clips = as_json(run("query", "red", "--json", "-k", "2", "--clips"))["results"]
    assert {(c["start"], c["end"]) for c in clips} == {(0.0, 3.2), (0.8, 4.0)}, "--clips: 32 frames at 10 fps"
    assert data["results"][0]["score"] >= data["results"][1]["score"]


def test_human_output(run, indexed, library):
    lines = run("query", "blue", "-k", "1").output.splitlines()
    score = as_json(run("query", "blue", "-k", "1", "--json"))["results"][0]["score"]
    # Blue frames are RGB (40, 40, 220): the toy's blue feature B - R is 180/255, weighted x10.
    assert score == pytest.approx(10 * 180 / 255, abs=0.05)
    assert lines == [f"  1  {score:6.2f}  {library['blue']}  0:00.0–0:01.0"]


def test_clips_lists_several_moments_of_one_video(run, indexed, library):
    results = as_json(run("query", "brightening", "--clips", "--json", "-k", "2"))["results"]
    assert [r["path"] for r in results] == [str(library["brightening"])] * 2
    assert results[0]["start"] != results[1]["start"]


def test_under_and_min_score(run, indexed, library):
    light = library["root"] / "light"
    results = as_json(run("query", "red", "--json", "--under", light))["results"]
    assert {r["path"] for r in results} == {str(library["brightening"]), str(library["darkening"])}
    strict = as_json(run("query", "red", "--json", "--min-score", "1.0"))["results"]
    assert [r["path"] for r in strict] == [str(library["red"])]


def test_status(run, indexed, library, vidx_home):
    data = as_json(run("status", "--json"))
    catalog = Catalog(Home(vidx_home))
    assert data["videos"] == indexed["added"]
    assert data["clips"] == data["vectors"] == catalog.counts()["clips"] == indexed["clips_embedded"]
    assert data["failed"] == 0
    assert data["roots"] == [str(library["root"])]
    assert data["precision"] == "fp32"
    assert data["index_bytes"] > 0
    assert data["last_run_end"]


def test_rescan_embeds_nothing_new(run, indexed, library):
    again = as_json(run("index", "--json"))
    assert again["unchanged"] == indexed["added"]
    assert again["clips_embedded"] == 0 and again["added"] == 0


def test_changed_and_deleted_files(run, indexed, library, tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root)
    run("index", root, "--quiet")
    shutil.copy(library["brightening"], root / "red.mp4")
    (root / "green.avi").unlink()
    summary = as_json(run("index", root, "--json"))
    assert summary["changed"] == 1 and summary["removed"] == 1
    paths = [r["path"] for r in as_json(run("query", "brightening", "--json", "--under", root))["results"]]
    assert paths[0] == str(root / "red.mp4")
    assert str(root / "green.avi") not in [
        r["path"] for r in as_json(run("query", "green", "--json", "-k", "50"))["results"]
    ]
    status = as_json(run("status", "--json"))
    assert status["clips"] == status["vectors"]


def test_empty_index_and_empty_query(run, imported):
    result = run("query", "red")
    assert result.output == "The index is empty: run `vidx index FOLDER` first.\n"
    assert as_json(run("query", "red", "--json")) == {"query": "red", "results": []}
    empty = run("query", "  ", check=False)
    assert empty.exit_code == 1
    assert empty.output == 'Error: The query is empty: say what you remember seeing, e.g. "car drifting"\n'


def test_index_a_file_instead_of_a_folder(run, imported, library):
    result = run("index", library["red"], check=False)
    assert result.exit_code == 1
    assert result.output == f"Error: {library['red']}: not a folder; give the folder that holds your videos\n"


@pytest.mark.skipif(not SHARED_VIDEOS.is_dir(), reason="../shared/videos is absent: no real videos to index")
def test_real_videos_are_indexed_with_counted_frames(run, indexed, library, vidx_home):
    catalog = Catalog(Home(vidx_home))
    row = catalog.db.execute("select frames, fps, duration from videos where path like '%again.mkv'").fetchone()
    assert row[0] == 77, "the container claims 78 frames; 77 decode"
    assert 29 < row[1] < 31 and 2.5 < row[2] < 2.7


def test_query_refuses_vectors_of_another_model(run, indexed, models, vidx_home):
    run("model", "import", models["tf2"])
    result = run("query", "red", check=False)
    assert result.exit_code == 1
    assert re.fullmatch(
        r"Error: The index was built with another model \(\w+\); run `vidx index` to re-embed it with the active "
        r"one \(\w+\)\n",
        result.output,
    ), result.output
    assert as_json(run("index", "--json"))["changed"] == indexed["added"]
    assert as_json(run("query", "red", "--json"))["results"]
