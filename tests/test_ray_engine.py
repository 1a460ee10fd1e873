"""`vidx index --engine ray` on a local Ray builds the index the local engine builds; a fault costs a file.

One local Ray (2 CPUs, no dashboard) serves the module: starting one takes seconds. vidx uses a Ray its
process already started, as a notebook's would be, and leaves it running.
"""

import os
import re
import shutil
import signal
import sqlite3
from pathlib import Path

import numpy as np
import processes
import pytest
import raytools
import videos
from conftest import as_json, vidx_subprocess

import vidx
from vidx.config import Home, load_settings
from vidx.errors import VidxError
from vidx.indexer.plan import content_hash

FAULTS = {
    "VIDX_DEBUG_DECODE_CRASH": "crash.mp4",
    "VIDX_DEBUG_DECODE_DELAY": "stall.mp4=30",  # 30 s a frame: stalled past index.timeout
    "VIDX_INDEX_TIMEOUT": "3",
    "VIDX_RAY_CPUS_PER_WORKER": "1",  # two workers on the two CPUs: a stalled file holds up only its own
}


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install -e '.[ray]')")
    with processes.marking() as mark:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
    assert processes.wait_until_gone(mark) == {}, "Ray processes left behind"


def other_home(tmp_path, vidx_home, name="ray-home") -> Path:
    """A second home with the same model, for the other engine."""
    home = tmp_path / name
    shutil.copytree(vidx_home / "models", home / "models", symlinks=True)
    return home


@pytest.fixture
def messy(lib, library):
    """Good videos, a copy, a text file, an empty file, a file that crashes the decoder, one that stalls it."""
    root = lib
    shutil.copy(library["red"], root / "colours" / "red-copy.mp4")
    (root / "bad").mkdir()
    (root / "bad" / "notes.avi").write_text("this is a text file renamed to .avi\n" * 50)
    (root / "bad" / "zero.mp4").write_bytes(b"")
    videos.write(root / "faults" / "crash.mp4", videos.solid((20, 200, 200), 20))
    videos.write(root / "faults" / "stall.mp4", videos.fade(60, 120, 20))
    named = videos.write(root / "names" / "tmp.mp4", videos.solid((120, 60, 200), 20))
    os.rename(named, os.path.join(os.fsencode(root / "names"), b"caf\xe9.mp4"))  # a name that is not UTF-8
    return root


def test_same_index_as_the_local_engine(run, imported, messy, tmp_path, vidx_home, monkeypatch, local_ray):
    for name, value in FAULTS.items():
        monkeypatch.setenv(name, value)
    local = run("index", messy, "--json", check=False)
    ray_home = other_home(tmp_path, vidx_home)
    on_ray = run("--home", ray_home, "index", messy, "--engine", "ray", "--json", check=False)
    assert (local.exit_code, on_ray.exit_code) == (3, 3), on_ray.output
    a, b = as_json(local), as_json(on_ray)
    # Rows come back as files finish on the cluster, so failures are listed in another order; timings differ.
    for summary in (a, b):
        summary["failed"].sort(key=lambda f: f["path"])
        timings = {k: summary.pop(k) for k in ("seconds", "decode_seconds", "embed_seconds", "write_seconds")}
        assert timings["decode_seconds"] > 0 and timings["embed_seconds"] > 0, timings
        assert summary.pop("clips_per_second") == round(summary["clips_embedded"] / timings["seconds"], 2)
    assert b == a
    assert (a["added"], a["clips_embedded"]) == (8, 12), "seven videos and a copy of one"
    faults = messy / "faults"
    assert {f["path"]: f["error"] for f in a["failed"]} == {
        str(messy / "bad" / "notes.avi"): f"{messy / 'bad' / 'notes.avi'}: not a video FFmpeg can open "
        "(unknown format or damaged header)",
        str(messy / "bad" / "zero.mp4"): f"{messy / 'bad' / 'zero.mp4'}: empty file (0 bytes)",
        str(faults / "crash.mp4"): f"{faults / 'crash.mp4'}: the decoder crashed (exit code -11)",
        str(faults / "stall.mp4"): f"{faults / 'stall.mp4'}: no frame decoded for 3 s (index.timeout); skipped",
    }
    assert raytools.assert_same_index(vidx_home, ray_home) == 12 + 2
    status = as_json(run("--home", ray_home, "status", "--json"))
    assert status["clips"] == status["vectors"] == 14
    # The workers hashed what the plan left unhashed: the hashes are the local engine's (checked above) and
    # the files' own.
    assert raytools.index_rows(ray_home)[0][str(messy / "motion" / "checkers.mp4")][2] == content_hash(
        messy / "motion" / "checkers.mp4"
    )


def test_moves_and_copies_whichever_engine_runs_next(run, imported, library, tmp_path, local_ray):
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root / "colours")
    first = as_json(run("index", root, "--engine", "ray", "--json"))
    assert (first["added"], first["clips_embedded"]) == (3, 5)
    (root / "archive").mkdir()
    os.rename(root / "colours" / "red.mp4", root / "archive" / "renamed.mp4")
    shutil.copy(root / "colours" / "blue.gif", root / "archive" / "blue-copy.gif")
    by_local = as_json(run("index", "--json"))
    assert (by_local["moved"], by_local["added"], by_local["clips_embedded"]) == (1, 1, 0)
    os.rename(root / "archive" / "renamed.mp4", root / "red-again.mp4")
    shutil.copy(root / "colours" / "green.avi", root / "green-1.avi")
    shutil.copy(root / "colours" / "green.avi", root / "green-2.avi")
    videos.write(root / "new" / "twin-a.mp4", videos.solid((90, 90, 30), 12))
    shutil.copy(root / "new" / "twin-a.mp4", root / "new" / "twin-b.mp4")
    by_ray = as_json(run("index", "--engine", "ray", "--json"))
    assert (by_ray["moved"], by_ray["added"], by_ray["clips_embedded"]) == (1, 4, 1), "the new twins embedded once"
    assert as_json(run("query", "red", "--json"))["results"][0]["path"] == str(root / "red-again.mp4")
    assert as_json(run("doctor", "--json"))["healthy"]


def test_a_file_that_kills_its_worker_is_retried_once_then_failed(
    run, imported, library, tmp_path, monkeypatch, local_ray
):
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root)
    videos.write(root / "killer.mp4", videos.solid((200, 20, 120), 20))
    monkeypatch.setenv("VIDX_DEBUG_KILL_WORKER", "killer.mp4")
    result = run("index", root, "--engine", "ray", check=False)
    assert result.exit_code == 3
    assert result.stderr.splitlines()[-1] == (
        f"failed: {root / 'killer.mp4'}: the Ray worker died on it 2 times (out of memory?); skipped"
    )
    assert result.stdout.startswith("3 added, 0 changed, 0 moved, 0 removed, 0 unchanged, 1 failed; 5 clips embedded")
    assert [f["path"] for f in as_json(run("failed", "--json"))] == [str(root / "killer.mp4")]
    monkeypatch.delenv("VIDX_DEBUG_KILL_WORKER")
    again = as_json(run("index", "--engine", "ray", "--retry-failed", "--json"))
    assert (again["changed"], again["failed"]) == (1, [])


def test_a_worker_checks_the_model_against_the_drivers_vector_space(imported, library, vidx_home, local_ray):
    """The actor on its own: its threads are its CPUs, a file's row, and the refusal of another vector space."""
    from vidx.indexer.ray_engine import Ledger, RayEngine, Worker

    ray = local_ray
    settings = load_settings(Home(vidx_home))
    with vidx.Library() as lib:
        folder, space = lib.model_folder(), lib.vector_space()
    red = library["red"]
    batch = {"path": np.array([os.fsencode(red)]), "size": np.array([red.stat().st_size]), "hash": np.array([""])}

    def worker(vector_space):
        ledger = ray.remote(num_cpus=0)(Ledger).remote(RayEngine(settings, folder, vector_space)._model())
        return ray.remote(num_cpus=2)(Worker).remote(settings, ledger, {})

    good = worker(space)
    assert ray.get(good.__ray_call__.remote(lambda self: (self.threads, self.encoder.threads))) == (2, 2)
    row = ray.get(good.__ray_call__.remote(lambda self, batch: self(batch), batch))
    assert (row["status"], row["hash"]) == (["done"], [content_hash(red)])
    assert np.frombuffer(row["clips"][0], np.float64).reshape(-1, 3).tolist() == [[0.0, 0.0, 3.2], [1.0, 0.8, 4.0]]
    assert len(row["vectors"][0]) == 2 * 512 * 4
    ray.kill(good)
    other = "0123456789abcdef:fp32"
    refused = ray.get(worker(other).__ray_call__.remote(lambda self, batch: self(batch), batch))
    assert refused["status"] == ["fatal"]
    assert os.fsdecode(refused["reason"][0]).endswith(f": its model is {space}, the index holds {other}")


def test_ray_started_for_the_run_is_stopped_after_it(imported, library, tmp_path):
    """The default ray.address: a local Ray of vidx's own, in a real process, gone when vidx is."""
    pytest.importorskip("ray", reason="the ray extra is not installed (pip install -e '.[ray]')")
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "light", root)
    (root / "notes.avi").write_text("not a video\n" * 50)
    mark = processes.new_mark()
    result = vidx_subprocess("index", root, "--engine", "ray", env={processes.MARK: mark}, check=False)
    assert result.returncode == 3, result.stderr
    assert re.fullmatch(
        r"2 added, 0 changed, 0 moved, 0 removed, 0 unchanged, 1 failed; 4 clips embedded in \d+\.\d s \(\d+\.\d clips/s, \d+\.\dx real time\)\n",
        result.stdout,
    )
    lines = result.stderr.splitlines()
    assert lines[0].split(" ", 1)[1] == "3 files to embed"
    assert sorted(line.split(" ", 1)[1] for line in lines[1:4]) == [
        f"failed {root / 'notes.avi'}",
        f"indexed {root / 'fade_in.mp4'}",
        f"indexed {root / 'fade_out.avi'}",
    ]
    assert lines[4:] == [
        f"failed: {root / 'notes.avi'}: not a video FFmpeg can open (unknown format or damaged header)"
    ]
    assert processes.wait_until_gone(mark) == {}, "Ray processes left behind"


def test_without_the_extra_one_line_says_what_to_install(imported, library):
    block = (
        "import sys\nclass _NoRay:\n    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'ray':\n            raise ImportError(\"No module named 'ray'\")\n"
        "sys.meta_path.insert(0, _NoRay())\n"
    )
    result = vidx_subprocess("index", library["root"] / "colours", "--engine", "ray", prelude=block, check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert (
        result.stderr
        == "Error: The ray engine needs Ray (No module named 'ray'): pip install '.[ray]' in the vidx clone\n"
    )


def test_a_worker_bigger_than_any_node_is_one_line(run, imported, library, local_ray):
    result = run("--set", "ray.cpus_per_worker=4", "index", library["root"], "--engine", "ray", "--quiet", check=False)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: No node of the Ray cluster has 4 CPUs for a worker; lower ray.cpus_per_worker\n"


def test_address_without_the_ray_engine_is_a_usage_error(run, imported, library):
    result = run("index", library["root"], "--address", "head:6379", check=False)
    assert (result.exit_code, result.output) == (2, "Error: --address is the Ray cluster's: give --engine ray too\n")
    with pytest.raises(VidxError, match="^engine must be one of local, ray, got 'spark'$"):
        vidx.Library().index(library["root"], engine="spark")


def assert_healed(run, library):
    status = as_json(run("status", "--json"))
    assert status["videos"] == 6 + len(list(library["root"].glob("real/*")))
    assert status["clips"] == status["vectors"]
    assert as_json(run("doctor", "--json")) == {"healthy": True, "problems": [], "repaired": []}
    raytools.index_rows(Path(os.environ["VIDX_HOME"]))  # no video twice


def test_kill_9_of_a_local_run_is_healed_by_the_ray_engine(run, imported, library, vidx_home, local_ray):
    from test_crash import start_index, videos_written

    proc = start_index(library["root"])
    assert processes.wait_for(lambda: videos_written(vidx_home) >= 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    healed = as_json(run("index", "--engine", "ray", "--json"))
    assert healed["added"] + healed["unchanged"] + healed["changed"] == 6 + len(list(library["root"].glob("real/*")))
    assert_healed(run, library)


def test_kill_9_of_a_ray_run_is_healed_by_the_local_engine(run, imported, library, vidx_home, local_ray):
    from test_crash import slow_delay, videos_written

    address = local_ray.get_runtime_context().gcs_address
    env = {"VIDX_DEBUG_DECODE_DELAY": slow_delay(library["root"])}
    proc = processes.start_vidx("index", library["root"], "--engine", "ray", "--address", address, env=env)
    try:
        assert processes.wait_for(lambda: videos_written(vidx_home) >= 2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # What was committed before the kill stays whole and searchable (docs/cluster.md says so).
    assert as_json(run("doctor", "--json")) == {"healthy": True, "problems": [], "repaired": []}
    assert as_json(run("status", "--json"))["vectors"] >= 2
    healed = as_json(run("index", "--json"))
    assert healed["added"] + healed["unchanged"] + healed["changed"] == 6 + len(list(library["root"].glob("real/*")))
    assert_healed(run, library)


def said_rows(home):
    db = sqlite3.connect(home / "vidx.db")
    rows = db.execute(
        "select v.path, s.start, s.end, s.text, s.source, t.speech, t.speech_error from said s "
        "join videos v on v.id = s.video_id join said_state t on t.video_id = v.id order by v.path, s.start"
    ).fetchall()
    states = db.execute(
        "select v.path, t.speech, t.speech_error from said_state t join videos v on v.id = t.video_id order by v.path"
    ).fetchall()
    db.close()
    return rows, states


def test_same_words_as_the_local_engine_with_speech_on(
    run, imported, whisper_model, talk, tmp_path, vidx_home, local_ray, monkeypatch
):
    from vidx.indexer import transcriber
    from vidx.indexer.lifetime import start_child

    root = tmp_path / "talk"
    root.mkdir()
    for name in ("cat", "silent", "mute"):
        shutil.copy(talk[name], root / talk[name].name)
    # The speech engine crashes on one file: it loses its speech alone, the reason kept, on either engine.
    monkeypatch.setenv("VIDX_DEBUG_SPEECH_CRASH", "silent.mp4")
    crashed = f"{root / 'silent.mp4'}: the speech engine crashed (exit code -11); its speech is not indexed"
    run("model", "import-speech", whisper_model)
    local = as_json(run("index", root, "--json"))
    # From here on, a speech process started by this process (the driver) is counted: the workers must hear.
    started = []
    monkeypatch.setattr(transcriber, "start_child", lambda *args: started.append(args) or start_child(*args))
    ray_home = other_home(tmp_path, vidx_home)
    on_ray = as_json(run("--home", ray_home, "index", root, "--engine", "ray", "--json"))
    assert started == [], "the driver transcribed: the Ray workers must"
    assert (local["said_segments"], on_ray["said_segments"]) == (1, 1)
    assert (local["warnings"], on_ray["warnings"]) == ([crashed], [crashed])
    assert raytools.assert_same_index(vidx_home, ray_home) > 0  # the pictures of every file, its speech lost or not
    assert said_rows(vidx_home) == said_rows(ray_home)
    words, states = said_rows(ray_home)
    [(path, _, _, text, source, _, error)] = words
    assert (path, text, source, error) == (
        str(root / "cat.mp4"),
        "Please remember to feed the cat before dinner.",
        "speech",
        None,
    )
    assert [(p, e) for p, _, e in states] == [
        (str(root / "cat.mp4"), None),
        (str(root / "mute.mp4"), None),
        (str(root / "silent.mp4"), crashed),
    ]
