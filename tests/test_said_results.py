"""The words side tells the truth about the library as the pictures' side does (issue 24): exact copies take one
result, a file gone from the disk is never one, and --under must name an indexed folder."""

import json
import os
import shutil

import pytest
from conftest import as_json
from subtitle_files import write_text

CAT_SRT = "1\n00:00:01,000 --> 00:00:03,000\nplease remember to feed the cat\n"


@pytest.fixture
def copies(run, imported, library, tmp_path):
    """red.mp4 twice (a.mp4 with a sidecar, b.mp4 without), and green.avi, whose own sidecar says the same."""
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(library["red"], folder / name)
    shutil.copy(library["green"], folder / "green.avi")
    write_text(folder / "a.srt", CAT_SRT)
    write_text(folder / "green.srt", "1\n00:00:00,500 --> 00:00:02,000\nfeed the cat\n")
    assert as_json(run("index", folder, "--json"))["said_segments"] == 2
    return folder


@pytest.mark.parametrize("flags", [["--said"], []], ids=["said", "both"])
def test_a_copy_is_listed_under_the_result_its_words_matched(run, copies, flags):
    answer = as_json(run("query", "feed the cat", "-k", "5", "--json", *flags))
    (a,) = [r for r in answer["results"] if r["path"] in {str(copies / "a.mp4"), str(copies / "b.mp4")}]
    assert (a["path"], a["copies"], a["said"]["text"]) == (
        str(copies / "a.mp4"),
        [str(copies / "b.mp4")],
        "please remember to feed the cat",
    )
    assert len(answer["results"]) == 2 and answer["deleted_files"] == 0


def test_a_file_gone_from_the_disk_is_never_a_said_hit(run, copies):
    os.remove(copies / "green.avi")
    answer = json.loads(run("query", "feed the cat", "--said", "--json").stdout)
    assert [r["path"] for r in answer["results"]] == [str(copies / "a.mp4")]
    assert answer["deleted_files"] == 1
    os.remove(copies / "a.mp4")
    answer = json.loads(run("query", "feed the cat", "--json").stdout)
    (only,) = answer["results"]
    assert (only["path"], "copies" in only, "said" in only) == (str(copies / "b.mp4"), False, False)
    assert answer["deleted_files"] == 2


def test_under_a_folder_no_root_holds_is_an_error_in_the_said_mode(run, copies, tmp_path):
    result = run("query", "feed the cat", "--said", "--under", tmp_path / "elsewhere", check=False)
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {tmp_path / 'elsewhere'} is not under any indexed folder; `vidx roots` lists them\n",
    )


def test_a_line_past_the_end_of_its_video_is_a_moment_within_it(run, copies, vidx_home):
    import vidx

    write_text(copies / "green.srt", "1\n00:00:02,000 --> 00:01:30,000\nfeed the cat\n")
    run("index", "--quiet")
    with vidx.Library(vidx_home) as library:
        (hit,) = [h for h in library.search("feed the cat", mode="said") if h.path.endswith("green.avi")]
    assert hit.duration is not None and hit.duration < 90
    assert (hit.start, hit.end, hit.said.start, hit.said.end) == (2.0, hit.duration, 2.0, 90.0)


def test_copies_that_both_say_the_words_are_one_result_and_the_next_video_still_counts(
    run, imported, library, tmp_path
):
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(library["red"], folder / name)
        write_text(folder / name.replace(".mp4", ".srt"), "1\n00:00:01,000 --> 00:00:03,000\nfeed the cat\n")
    shutil.copy(library["green"], folder / "green.avi")
    write_text(folder / "green.srt", CAT_SRT)  # a longer line: ranked after both copies' lines
    run("index", folder, "--quiet")
    answer = as_json(run("query", "feed the cat", "--said", "-k", "5", "--json"))
    assert [(r["path"], r.get("copies")) for r in answer["results"]] == [
        (str(folder / "a.mp4"), [str(folder / "b.mp4")]),
        (str(folder / "green.avi"), None),
    ]
