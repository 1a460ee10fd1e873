"""What a new user gets wrong in the first hour, each mistake made through the real CLI: one clear line, the right
exit code, no traceback, no library noise (issue 15). The read-only home is in test_read_only_home.py, Ctrl-C in
test_crash.py, the busy port in test_server.py."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import videos
from conftest import OFFLINE_ENV, as_json, vidx_subprocess

TOY_MODEL = Path(__file__).with_name("toy_model.py")
KAGGLE = "https://www.kaggle.com/models/deepmind/mil-nce/TensorFlow1/s3d/1"


@pytest.fixture
def colours(run, imported, library):
    """red.mp4, green.avi and blue.gif, indexed."""
    run("index", library["root"] / "colours", "--quiet")
    return library["root"] / "colours"


@pytest.fixture
def offline(monkeypatch):
    for name, value in OFFLINE_ENV.items():
        monkeypatch.setenv(name, value)


def test_a_page_that_cannot_be_written_is_one_line_and_an_exit_status(colours):
    """Once the text model is loaded, an error must still end the process with a status, not an abort."""
    result = vidx_subprocess("query", "red", "--html", "/nonexistent-dir/x.html", check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "Error: Cannot write the page /nonexistent-dir/x.html: No such file or directory\n",
    )


def test_the_page_says_where_it_went_and_json_stays_clean(run, colours, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("query", "red", "--json", "--html", "page.html")
    assert result.stderr == f"Wrote the page to {tmp_path / 'page.html'}\n"
    assert json.loads(result.stdout)["results"][0]["path"] == str(colours / "red.mp4")
    assert (tmp_path / "page.html").read_text().startswith("<!doctype html>")


def test_like_and_embed_resolve_the_users_path(run, colours, tmp_path, monkeypatch):
    red = colours / "red.mp4"
    monkeypatch.chdir(tmp_path)
    dotted = os.path.relpath(red)  # ../../library0/colours/red.mp4, as a user types it
    assert dotted.startswith("..")
    link = tmp_path / "alias.mp4"
    link.symlink_to(red)
    for spelling in (dotted, link):
        results = as_json(run("query", "--like", spelling, "--json"))["results"]
        assert sorted(r["path"] for r in results) == [str(colours / "blue.gif"), str(colours / "green.avi")]
        assert as_json(run("embed", "video", spelling, "--json"))["path"] == str(red)


def test_like_past_the_end_says_how_long_the_video_is(run, colours):
    red = colours / "red.mp4"
    result = run("query", "--like", f"{red}@99:00", check=False)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"Error: {red} is 0:04.0 long: there is no second 5940 in it\n",
    )


def test_index_of_a_missing_folder_fails_before_any_model_work(vidx_home):
    """In a fresh home, offline: a download attempt would print its notice and fail on the network instead."""
    result = vidx_subprocess("index", "/does-not-exist", env=OFFLINE_ENV, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "Error: /does-not-exist: no such folder; give the folder that holds your videos\n",
    )
    assert not vidx_home.exists(), "nothing was made: no home, no model"


def test_a_query_before_anything_is_indexed_needs_no_model(run, vidx_home, offline):
    result = run("query", "red")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "The index is empty: run `vidx index FOLDER` first.\n",
        "",
    )
    assert as_json(run("query", "red", "--json")) == {"query": "red", "results": []}
    assert not (vidx_home / "models").exists(), "no model import was attempted"
    missing = run("query", "--like", "nothere.mp4", check=False)
    assert (missing.exit_code, missing.stdout, missing.stderr) == (
        1,
        "",
        "Error: nothere.mp4: no such video file for --like\n",
    )


def test_a_query_of_an_index_whose_model_is_gone_imports_it_first(run, colours, vidx_home, offline):
    shutil.rmtree(vidx_home / "models")
    result = run("query", "red", check=False)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        f"No model installed yet: importing {KAGGLE} (once).",
        f"Error: Could not download the model from {KAGGLE} (no network connection).",
    ]
    assert "Traceback" not in result.stderr


def test_a_file_ffmpeg_cannot_open_is_our_line_alone(colours, tmp_path):
    notes = tmp_path / "SOURCES.md"
    notes.write_text("# Where the sample videos come from\n" * 20)
    result = vidx_subprocess("query", "--like", notes, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"Error: {notes}: not a video FFmpeg can open (unknown format or damaged header)\n",
    )


def test_a_thumbnail_of_a_damaged_file_makes_no_noise(run, imported, library, tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root)
    run("index", root, "--quiet")
    (root / "red.mp4").write_text("overwritten since it was indexed\n" * 100)
    page = tmp_path / "page.html"
    result = vidx_subprocess("query", "red", "--html", page, check=False)
    assert (result.returncode, result.stderr) == (0, f"Wrote the page to {page}\n")
    assert page.read_text().count("data:image/jpeg;base64,") == 2, "the two readable videos keep their strip"


def test_roots_remove_counts_what_it_forgot(run, imported, library, tmp_path):
    root = tmp_path / "mixed"
    root.mkdir()
    shutil.copy(library["red"], root / "red.mp4")
    (root / "empty.mp4").write_bytes(b"")
    (root / "notes.avi").write_text("not a video\n" * 50)
    assert run("index", root, "--quiet", check=False).exit_code == 3
    result = run("roots", "remove", root)
    assert (result.stdout, result.stderr) == (f"Forgot {root}: 1 video and 2 failed files.\n", "")
    assert as_json(run("failed", "--json")) == [] and as_json(run("status", "--json"))["videos"] == 0


def test_empty_lists_say_so_on_stderr(run, vidx_home):
    for args, line in ((["failed"], "no failed files\n"), (["roots"], "no roots yet: vidx index FOLDER\n")):
        result = run(*args)
        assert (result.stdout, result.stderr) == ("", line)
        assert as_json(run(*args, "--json")) == []


def test_counts_take_the_right_plural(run, imported, tmp_path):
    videos.write(tmp_path / "one" / "single.mp4", videos.solid((220, 40, 40), 1))
    line = run("index", tmp_path / "one").stdout
    assert re.fullmatch(
        r"1 added, 0 changed, 0 moved, 0 removed, 0 unchanged, 0 failed; 1 clip embedded in \d+\.\d s \(\d+\.\d clips/s, \d+\.\dx real time\)\n",
        line,
    )
    assert run("status").stdout.splitlines()[0] == "1 video, 1 clip, 1 vector, 0 failed"


def test_k_below_one_names_the_option(run, colours):
    result = run("query", "red", "-k", "0", check=False)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "Error: Invalid value for '-k': 0 is not in the range x>=1."


def test_the_toy_model_script_prints_only_its_folder(tmp_path):
    out = tmp_path / "toy"
    result = subprocess.run([sys.executable, str(TOY_MODEL), str(out)], capture_output=True, text=True, timeout=600)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{out}\n", "")
    assert (out / "saved_model.pb").is_file()
