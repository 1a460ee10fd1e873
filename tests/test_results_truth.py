"""Results that tell the truth about the library (issue 24): exact copies take one slot, files deleted since the last
run are never hits, and a moment never ends past its video."""

import json
import os
import shutil

import pytest
from conftest import as_json


@pytest.fixture
def copies(run, imported, library, tmp_path):
    """red.mp4 three times over (a.mp4, b.mp4, c.mp4), beside green.avi and the other colours, indexed."""
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        shutil.copy(library["red"], folder / name)
    for word in ("green", "blue"):
        shutil.copy(library[word], folder / library[word].name)
    run("index", folder, "--quiet")
    return folder


def test_exact_copies_take_one_result_and_list_the_others(run, copies):
    results = as_json(run("query", "red", "-k", "2", "--json"))["results"]
    first = results[0]
    assert len(results) == 2 and results[1]["path"] in {str(copies / "green.avi"), str(copies / "blue.gif")}
    listed = sorted([first["path"], *first["copies"]])
    assert listed == [str(copies / name) for name in ("a.mp4", "b.mp4", "c.mp4")]
    assert "copies" not in results[1]
    lines = run("query", "red", "-k", "2").stdout.splitlines()
    assert [line.split()[2] for line in lines] == [first["path"], results[1]["path"]]


def test_a_query_by_example_leaves_out_the_copies_of_its_video(run, copies):
    results = as_json(run("query", "--like", copies / "a.mp4", "--json"))["results"]
    assert sorted(r["path"] for r in results) == [str(copies / "blue.gif"), str(copies / "green.avi")]


def test_a_file_deleted_since_the_last_run_is_never_a_hit(run, copies):
    os.remove(copies / "green.avi")
    one = run("query", "red", "-k", "3")  # three contents indexed: green's turn comes
    assert one.stderr == "Left out 1 indexed file deleted since the last index run (`vidx index` forgets them)\n"
    assert str(copies / "green.avi") not in one.stdout and len(one.stdout.splitlines()) == 2
    os.remove(copies / "a.mp4")
    shown = run("query", "red", "-k", "3", "--json")
    answer = json.loads(shown.stdout)
    everything = [p for r in answer["results"] for p in [r["path"], *r.get("copies", [])]]
    assert sorted(everything) == [str(copies / name) for name in ("b.mp4", "blue.gif", "c.mp4")]
    assert answer["deleted_files"] == 2
    assert shown.stderr == "Left out 2 indexed files deleted since the last index run (`vidx index` forgets them)\n"
