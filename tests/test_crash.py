"""kill -9 at any moment loses at most the work in flight; the next run heals. One indexer at a time."""

import os
import signal
import sqlite3
import subprocess
import time

import processes
import pytest
from conftest import as_json, vidx_subprocess


def start_index(root, delay="0.02"):
    # Its own process group, so that the test can tell when every process it started has ended.
    return processes.start_vidx(
        "index", root, "--quiet", env={"VIDX_DEBUG_DECODE_DELAY": delay}, start_new_session=True
    )


def slow_delay(root) -> str:
    """VIDX_DEBUG_DECODE_DELAY for a run over `root` that a test cuts into after its first few videos: 0.02 s a
    frame when the real videos are there (bikes.mp4 alone then takes 5 s), 0.05 s over the generated ones alone."""
    return "0.02" if (root / "real").is_dir() else "0.05"


def videos_written(home, table="videos"):
    try:
        with sqlite3.connect(home / "vidx.db", timeout=30) as db:
            return db.execute(f"select count(*) from {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("after_videos", [0, 1, 3, 5])
def test_sigkill_then_heal(run, imported, library, vidx_home, after_videos):
    root = library["root"]
    proc = start_index(root)
    if after_videos:
        assert processes.wait_for(lambda: videos_written(vidx_home) >= after_videos)
    else:
        # Once the run has recorded its folder (a bare `vidx index` heals from it), whatever the machine's load.
        assert processes.wait_for(lambda: videos_written(vidx_home, "roots") >= 1)
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert processes.wait_for(lambda: not processes.living_in_group(proc.pid), 30), "the decoder child outlived vidx"

    # --wait: a decoder being started at the kill holds a copy of the lock's descriptor until its exec, which
    # can take a while on a loaded machine (the cron line in the README waits too).
    healed = as_json(run("index", "--json", "--wait", "30"))
    status = as_json(run("status", "--json"))
    total = 6 + (3 if (root / "real").is_dir() else 0)
    assert status["videos"] == total
    assert healed["added"] + healed["unchanged"] + healed["changed"] == total
    assert status["clips"] == status["vectors"]
    assert as_json(run("doctor", "--json")) == {"healthy": True, "problems": [], "repaired": []}
    db = sqlite3.connect(vidx_home / "vidx.db")
    assert db.execute("select count(*) - count(distinct path) from videos").fetchone()[0] == 0
    assert (
        db.execute(
            "select count(*) from videos v where status = 'ok' and not exists "
            "(select 1 from clips c where c.video_id = v.id)"
        ).fetchone()[0]
        == 0
    )
    for word in ("red", "darkening"):
        results = as_json(run("query", word, "--json", "-k", "20"))["results"]
        assert results[0]["path"] == str(library[word])
        assert len({r["path"] for r in results}) == len(results)


def test_queries_work_while_indexing_and_a_second_indexer_is_refused(run, imported, library, vidx_home, tmp_path):
    run("index", library["root"] / "colours", "--quiet")
    proc = start_index(library["root"], delay=slow_delay(library["root"]))
    try:
        assert processes.wait_for(lambda: (vidx_home / "index.lock").exists() and videos_written(vidx_home) >= 4)
        assert proc.poll() is None, "the slow run should still be writing"
        for _ in range(3):
            assert as_json(run("query", "red", "--json"))["results"][0]["path"] == str(library["red"])
        second = vidx_subprocess("index", check=False)
        assert second.returncode == 1
        line = second.stderr.strip()
        assert line.startswith(f"Error: Another `vidx index` is running on {vidx_home} (pid {proc.pid}, started ")
        assert line.endswith("); let it finish, or pass --wait SECONDS")
        waited = as_json(vidx_subprocess("index", "--wait", "300", "--json"))
        # It ran after the first run let go of the lock: every video was already there, none to embed.
        total = 6 + (3 if (library["root"] / "real").is_dir() else 0)
        assert (waited["unchanged"], waited["clips_embedded"]) == (total, 0)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()
    status = as_json(run("status", "--json"))
    assert status["clips"] == status["vectors"]


def test_ctrl_c_says_what_was_kept_and_leaves_the_index_healthy(run, imported, library, vidx_home):
    root = library["root"]
    total = 6 + (3 if (root / "real").is_dir() else 0)
    # Its own process group, as a terminal's foreground job: Ctrl-C reaches vidx and its decoder child alike.
    proc = processes.start_vidx(
        "index",
        root,
        env={"VIDX_DEBUG_DECODE_DELAY": slow_delay(root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert processes.wait_for(lambda: videos_written(vidx_home) >= 2)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert out == ""
    assert "Traceback" not in err and "Aborted!" not in err and "KeyboardInterrupt" not in err, err
    kept = as_json(run("status", "--json"))
    assert err.splitlines()[-1] == (
        f"interrupted: {kept['videos']} of {total} files indexed; run vidx index again to finish"
    )
    assert 2 <= kept["videos"] < total
    assert processes.wait_for(lambda: not processes.living_in_group(proc.pid), 30), processes.living_in_group(proc.pid)
    assert as_json(run("doctor", "--json")) == {"healthy": True, "problems": [], "repaired": []}
    assert kept["clips"] == kept["vectors"]
    rest = as_json(run("index", "--json"))
    assert (rest["added"], rest["unchanged"]) == (total - kept["videos"], kept["videos"])
