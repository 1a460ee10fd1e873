"""A file still being copied into the library is left for the next run: neither failed nor indexed."""

import os
import shutil
import time

from conftest import as_json


def test_a_file_modified_within_the_settle_time_waits_for_the_next_run(run, imported, library, tmp_path, monkeypatch):
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root)
    monkeypatch.setenv("VIDX_INDEX_SETTLE_SECONDS", "60")
    settled = time.time_ns() - 120 * 10**9
    for name in ("green.avi", "blue.gif"):
        os.utime(root / name, ns=(settled, settled))
    os.utime(root / "red.mp4")  # copytree kept the library's mtime: red is the one just written
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
