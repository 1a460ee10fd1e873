"""The rough edges a new user still hit after issue 15, each through the real CLI (issue 24): one clear line, the
right exit code, no traceback."""

import re
import shutil

import pytest
from conftest import as_json


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
