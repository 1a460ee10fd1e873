"""A file still being copied into the library is left for the next run: neither failed nor indexed. One whose copy
ended just before the run is waited for, and indexed."""

import json
import os
import re
import shutil
import threading
import time

from conftest import as_json


def colours_copy(library, tmp_path, monkeypatch, settle: str, red_mtime_from_now: int | None = None):
    """The colours library copied, with `index.settle_seconds` = `settle`: green and blue settled long ago, red.mp4
    just written (now, or `red_mtime_from_now` ns from now); (root, the settled mtime)."""
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root)
    monkeypatch.setenv("VIDX_INDEX_SETTLE_SECONDS", settle)
    settled = time.time_ns() - 120 * 10**9  # settled long ago
    for name in ("green.avi", "blue.gif"):
        os.utime(root / name, ns=(settled, settled))
    if red_mtime_from_now is None:
        os.utime(root / "red.mp4")  # copytree kept the library's mtime
    else:
        red = time.time_ns() + red_mtime_from_now
        os.utime(root / "red.mp4", ns=(red, red))
    return root, settled


def test_a_file_modified_within_the_settle_time_waits_for_the_next_run(run, imported, library, tmp_path, monkeypatch):
    root, settled = colours_copy(library, tmp_path, monkeypatch, "60")
    result = run("index", root, check=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith(
        "2 added, 0 changed, 0 moved, 0 removed, 0 unchanged, 0 failed, 1 still being written; "
    )
    assert [r["path"] for r in as_json(run("failed", "--json"))] == []
    os.utime(root / "red.mp4", ns=(settled, settled))
    summary = as_json(run("index", "--json"))
    assert (summary["added"], summary["unchanged"], summary["still_being_written"], summary["failed"]) == (1, 2, 0, [])


def test_a_file_that_changes_while_it_is_read_waits_for_the_next_run(run, imported, library, tmp_path):
    import vidx

    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root)
    growing = root / "red.mp4"

    def copy_goes_on(progress):
        if progress.path is None and not progress.finished:  # planned, not yet read: the copy moves on
            os.utime(growing, ns=(time.time_ns(), time.time_ns() - 10**9))  # moved, and settled by the next run

    with vidx.Library() as lib:
        summary = lib.index([root], progress=copy_goes_on)
    assert (summary.added, summary.still_being_written, summary.failed) == (2, 1, [])
    assert as_json(run("failed", "--json")) == []
    assert growing.name not in str(as_json(run("status", "--json")))
    again = as_json(run("index", "--json"))
    assert (again["added"], again["unchanged"], again["still_being_written"], again["failed"]) == (1, 2, 0, [])


def test_a_file_dated_ahead_of_the_clock_is_watched_then_indexed_and_quiet_says_nothing(
    run, imported, library, tmp_path, monkeypatch
):
    a_year = 365 * 86_400 * 10**9  # a camera's clock a year ahead: once, never indexed till then
    root, _ = colours_copy(library, tmp_path, monkeypatch, "1", red_mtime_from_now=a_year)
    result = run("index", root, "--json")
    summary = json.loads(result.stdout)  # the notice of the wait is on stderr
    assert (summary["added"], summary["still_being_written"], summary["failed"]) == (3, 0, [])
    waited = re.fullmatch(
        r"Waiting (\d+\.\d) s for 1 file modified in the last 1 s \(index.settle_seconds\)\.", result.stderr.strip()
    )
    assert waited and 0.5 < float(waited[1]) <= 1, result.stderr
    ahead = time.time_ns() + a_year
    os.utime(root / "blue.gif", ns=(ahead, ahead))  # waited for again, the same bytes: a touch
    quiet = run("index", root, "--quiet")
    assert quiet.stderr == ""
    assert quiet.stdout.startswith("0 added, 0 changed, 0 moved, 0 removed, 3 unchanged, 0 failed; 0 clips embedded")


def test_a_file_still_changing_after_the_short_wait_is_left_for_the_next_run(
    run, imported, library, tmp_path, monkeypatch
):
    root, _ = colours_copy(library, tmp_path, monkeypatch, "1")
    growing = root / "red.mp4"
    copied = threading.Event()

    def copy_goes_on():
        while not copied.wait(0.05):
            os.utime(growing)

    copy = threading.Thread(target=copy_goes_on)
    copy.start()
    try:
        summary = json.loads(run("index", root, "--json").stdout)
    finally:
        copied.set()
        copy.join()
    assert (summary["added"], summary["still_being_written"], summary["failed"]) == (2, 1, [])
    assert growing.name not in str(as_json(run("status", "--json")))
    again = json.loads(run("index", "--json").stdout)  # after a wait: red was written less than 1 s ago
    assert (again["added"], again["unchanged"], again["still_being_written"], again["failed"]) == (1, 2, 0, [])
