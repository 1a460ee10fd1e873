"""The rough edges a new user still hit after issue 15, each through the real CLI (issue 24): one clear line, the
right exit code, no traceback."""

import os
import re
import shutil

import pytest
from conftest import as_json

import vidx
from vidx.config import Home
from vidx.indexer.lock import index_lock


@pytest.mark.parametrize(
    ("home", "command", "reason"),
    [
        ("/etc/passwd/x", ["status"], "/etc/passwd is not a folder"),
        ("/proc/x", ["query", "moving"], "/proc: no such file or directory"),
        ("/sys/x", ["status"], "/sys: operation not permitted"),
        ("/sys/x", ["model", "import", "/nowhere"], "/sys: operation not permitted"),
    ],
)
def test_a_home_that_cannot_be_created_is_one_line(run, home, command, reason):
    result = run("--home", home, *command, check=False)
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        f"Error: The home {home} cannot be created ({reason})\n",
    )


@pytest.fixture
def with_a_broken_file(run, imported, library, tmp_path):
    """red.mp4 beside a file no decoder can open, indexed once (exit 3)."""
    folder = tmp_path / "videos"
    folder.mkdir()
    shutil.copy(library["red"], folder / "red.mp4")
    (folder / "broken.mp4").write_bytes(b"junk")
    assert run("index", folder, "--quiet", check=False).exit_code == 3
    return folder


def test_files_that_failed_earlier_are_in_every_summary(run, with_a_broken_file):
    again = run("index")
    assert re.fullmatch(
        r"0 added, 0 changed, 0 moved, 0 removed, 1 unchanged, 0 failed, 1 failed earlier \(vidx failed\); "
        r"0 clips embedded in \d+\.\d s\n",
        again.stdout,
    ), again.stdout
    summary = as_json(run("index", "--json"))
    assert (summary["unchanged"], summary["failed"], summary["failed_before"]) == (1, [], 1)


def test_a_held_lock_says_how_long_it_was_waited_for(run, vidx_home, tmp_path):
    with index_lock(Home(vidx_home)):
        waited = run("roots", "remove", tmp_path, "--wait", "0.4", check=False)
        at_once = run("roots", "remove", tmp_path, check=False)
    holder = f"Error: Another `vidx index` is running on {vidx_home} (pid {os.getpid()}, started "
    assert waited.exit_code == at_once.exit_code == 1
    assert waited.stderr.startswith(holder) and at_once.stderr.startswith(holder)
    assert waited.stderr.endswith(") and still was after 0.4 s; let it finish, or pass a --wait above 0.4 seconds\n")
    assert at_once.stderr.endswith("); let it finish, or pass --wait SECONDS\n")


def test_under_a_folder_that_holds_nothing_indexed_says_so(run, with_a_broken_file, tmp_path):
    result = run("query", "red", "--under", "/nope", check=False)
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "Error: /nope is not under any indexed folder; `vidx roots` lists them\n",
    )
    # A folder that holds the indexed one is fine.
    assert as_json(run("query", "red", "--under", tmp_path, "--json"))["results"][0]["path"].endswith("red.mp4")


def test_a_malformed_time_in_like_is_a_usage_error(run, with_a_broken_file, monkeypatch):
    monkeypatch.chdir(with_a_broken_file)
    result = run("query", "--like", "red.mp4@abc", check=False)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "Error: --like red.mp4@abc: the time after @ is malformed ('abc'); give seconds, mm:ss or h:mm:ss, e.g. red.mp4@1:15\n",
    )
    missing = run("query", "--like", "blue.mp4@abc", check=False)
    assert (missing.exit_code, missing.stderr) == (1, "Error: blue.mp4@abc: no such video file for --like\n")


def test_the_python_api_speaks_python(vidx_home):
    with vidx.Library(vidx_home) as lib, pytest.raises(vidx.VidxError) as raised:
        lib.search("  ")
    assert str(raised.value) == 'The query is empty: say what you remember seeing, e.g. "car drifting"'
