"""Results that tell the truth about the library (issue 24): exact copies take one slot, files deleted since the last
run are never hits, and a moment never ends past its video."""

import contextlib
import json
import os
import shutil
import sqlite3

import pytest
import videos
from conftest import as_json

from vidx.times import span


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
    # Each copy on a line of its own under the result, its path under the result's path.
    assert lines[1:3] == [f"       also: {path}" for path in first["copies"]]
    assert [line.split()[2] for line in results_only(lines)] == [first["path"], results[1]["path"]]
    assert lines[0].index(first["path"]) == lines[1].index(first["copies"][0])


def test_the_html_page_names_the_copies_on_their_card(run, copies, tmp_path):
    first = as_json(run("query", "red", "-k", "2", "--json"))["results"][0]
    run("query", "red", "-k", "2", "--html", tmp_path / "page.html")
    page = (tmp_path / "page.html").read_text()
    names = ", ".join(os.path.basename(path) for path in first["copies"])
    paths = "\n".join(first["copies"])  # each whole path on hover
    assert page.count('class="copies"') == 1, "one card has copies, the first"
    assert f'<span class="copies" title="{paths}">2 copies: <bdi>{names}</bdi></span>' in page


def results_only(lines: list[str]) -> list[str]:
    """The result lines of `vidx query`, without the copies listed under them."""
    return [line for line in lines if not line.startswith("       also: ")]


def test_a_query_by_example_leaves_out_the_copies_of_its_video(run, copies):
    results = as_json(run("query", "--like", copies / "a.mp4", "--json"))["results"]
    assert sorted(r["path"] for r in results) == [str(copies / "blue.gif"), str(copies / "green.avi")]


def test_a_file_deleted_since_the_last_run_is_never_a_hit(run, copies):
    os.remove(copies / "green.avi")
    one = run("query", "red", "-k", "3")  # three contents indexed: green's turn comes
    # (Three videos, two of them copies: the library is too small to tell a good match, and says so first.)
    assert one.stderr.endswith(
        "\nLeft out 1 indexed file deleted since the last index run (`vidx index` forgets them)\n"
    )
    assert str(copies / "green.avi") not in one.stdout and len(results_only(one.stdout.splitlines())) == 2
    os.remove(copies / "a.mp4")
    shown = run("query", "red", "-k", "3", "--json")
    answer = json.loads(shown.stdout)
    everything = [p for r in answer["results"] for p in [r["path"], *r.get("copies", [])]]
    assert sorted(everything) == [str(copies / name) for name in ("b.mp4", "blue.gif", "c.mp4")]
    assert answer["deleted_files"] == 2
    assert (
        shown.stderr == "Left out 2 indexed files deleted since the last index run (`vidx index` forgets them)\n"
    )  # --json


@pytest.fixture
def odd_length(run, imported, tmp_path):
    """109 red frames at 30 fps (3.633 s): the last clip's samples, every 0.1 s, reach 3.6, so its end (3.7) passes
    the video's; beside an exact copy and the same frames in another container (a near duplicate)."""
    folder = tmp_path / "odd"
    red = videos.write(folder / "red.mp4", videos.solid((40, 40, 220), 109), fps=30)
    shutil.copy(red, folder / "copy.mp4")
    videos.write(folder / "red.avi", videos.solid((40, 40, 220), 109), fps=30)
    run("index", folder, "--quiet")
    return folder


def test_one_length_per_file_and_no_moment_past_it(run, odd_length):
    red = odd_length / "red.avi"
    length = 3.633
    for args in ([], ["--clips"]):
        results = as_json(run("query", "red", "--json", "-k", "9", *args))["results"]
        assert max(r["end"] for r in results) == length
    groups = as_json(run("dupes", "--json", "--min-overlap", "0.5"))["groups"]
    assert {v["duration"] for g in groups for v in g["videos"]} == {length}
    assert max(v["end"] for g in groups for v in g["videos"]) == length
    like = run("query", "--like", f"{red}@99", check=False)
    assert like.stderr == f"Error: {red} is 0:03.6 long: there is no second 99 in it\n"
    export = run("export", red, "0", "99", "-o", odd_length / "out.mp4", check=False)
    assert export.stderr.endswith("past the end of the video (0:03.6)\n")


def test_a_catalogue_indexed_before_the_clamp_reads_within_the_video(run, odd_length, vidx_home):
    with contextlib.closing(sqlite3.connect(vidx_home / "vidx.db")) as db, db:
        assert db.execute("update clips set end = 3.7 where end = 3.633").rowcount == 3  # as older vidx kept them
    for args in ([], ["--clips"]):
        results = as_json(run("query", "red", "--json", "-k", "9", *args))["results"]
        assert max(r["end"] for r in results) == 3.633
    groups = as_json(run("dupes", "--json", "--min-overlap", "0.5"))["groups"]
    assert max(v["end"] for g in groups for v in g["videos"]) == 3.633


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        (6.84, 9.98, "0:06.8–0:10.0"),  # two clips of bikes.mp4 both printed 00:06–00:09 before
        (6.36, 9.58, "0:06.4–0:09.6"),
        (0.0, 0.98, "0:00.0–0:01.0"),  # printed 00:00–00:00
        (65.0, 170.2, "1:05–2:50"),  # a minute or more: whole seconds
        (3725.0, 3790.4, "1:02:05–1:03:10"),
    ],
)
def test_moments_show_tenths_while_short(start, end, shown):
    assert span(start, end) == shown


def test_query_and_dupes_print_moments_alike(run, odd_length):
    lines = results_only(run("query", "red", "--clips", "-k", "9").stdout.splitlines())
    # red.mp4 and its copy take one line a clip, red.avi its own: two clips each.
    assert sorted(line.split()[-1] for line in lines) == ["0:00.0–0:03.2"] * 2 + ["0:00.5–0:03.6"] * 2
    assert "  0:00.0–0:03.6 of 0:03.6" in run("dupes").stdout
