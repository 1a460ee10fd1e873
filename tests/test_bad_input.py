"""Bad files cost one line each, never the run: exit 3, each one named, the good ones indexed."""

import os
import shutil

import av
import numpy as np
import pytest
import videos
from conftest import as_json


def mpeg1(path, n=30):
    container = av.open(str(path), "w")
    stream = container.add_stream("mpeg1video", rate=25)
    stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
    for i in range(n):
        frame = av.VideoFrame.from_ndarray(np.full((64, 96, 3), (200, 30 + i, 30), np.uint8), format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return path


@pytest.fixture(scope="module")
def messy(tmp_path_factory, library):
    root = tmp_path_factory.mktemp("messy")
    good = {
        "mjpeg": videos.write(root / "ok" / "mjpeg.avi", videos.solid((40, 200, 40), 20)),
        "mpeg1": mpeg1(root / "ok" / "mpeg1.mpg"),
        "gif": videos.write(root / "ok" / "anim.gif", videos.fade(30, 200, 5)),
        "single": videos.write(root / "ok" / "single.mp4", videos.solid((220, 40, 40), 1)),
        "ffv1": videos.write(root / "ok" / "lossless.mkv", videos.moving_checkers(12)),
    }
    bad = root / "bad"
    bad.mkdir()
    (bad / "zero.mp4").write_bytes(b"")
    (bad / "notes.avi").write_text("this is a text file renamed to .avi\n" * 50)
    (bad / "noise.mkv").write_bytes(np.random.default_rng(1).integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    whole = library["red"].read_bytes()
    (bad / "truncated.mp4").write_bytes(whole[: len(whole) // 2])
    avi = videos.write(root / "tmp.avi", videos.solid((40, 40, 220), 40)).read_bytes()
    os.remove(root / "tmp.avi")
    (bad / "promises.avi").write_bytes(avi[:4096])
    os.symlink(bad / "nowhere.mp4", bad / "dangling.mp4")
    os.symlink(bad / "loop-b.mp4", bad / "loop-a.mp4")
    os.symlink(bad / "loop-a.mp4", bad / "loop-b.mp4")
    os.symlink(root, bad / "folder-loop")
    os.mkfifo(bad / "pipe.mp4")
    with open(os.path.join(os.fsencode(bad), b"caf\xe9.mp4"), "wb") as f:
        f.write(library["red"].read_bytes())
    return root, good


EXPECTED_ERRORS = {
    "zero.mp4": "empty file (0 bytes)",
    "notes.avi": "",
    "noise.mkv": "",
    "truncated.mp4": "",
    "promises.avi": "",
    "dangling.mp4": "cannot read (No such file or directory; dangling link?)",
    "loop-a.mp4": "cannot read (Too many levels of symbolic links; dangling link?)",
    "loop-b.mp4": "cannot read (Too many levels of symbolic links; dangling link?)",
    "pipe.mp4": "not a regular file (a pipe or a device?)",
}


def test_messy_library(run, imported, messy):
    root, good = messy
    result = run("index", root, "--json", check=False)
    assert result.exit_code == 3, result.output
    summary = as_json(result)
    assert summary["added"] == len(good) + 1, "a file name that is not UTF-8 is indexed too"
    failed = {os.path.basename(f["path"]): f["error"] for f in summary["failed"]}
    assert set(failed) == set(EXPECTED_ERRORS)
    for name, fragment in EXPECTED_ERRORS.items():
        error = failed[name]
        assert error.startswith(str(root / "bad" / name) + ": "), error
        assert fragment in error and "\n" not in error
    assert "Traceback" not in result.output
    status = as_json(run("status", "--json"))
    assert status["videos"] == len(good) + 1 and status["clips"] == status["vectors"]
    assert as_json(run("query", "green", "--json"))["results"][0]["path"] == str(good["mjpeg"])


def test_failures_are_listed_and_not_retried_unless_asked(run, imported, messy):
    root, _ = messy
    run("index", root, "--quiet", check=False)
    listed = as_json(run("failed", "--json"))
    assert {os.path.basename(f["path"]) for f in listed} == {
        "zero.mp4",
        "notes.avi",
        "noise.mkv",
        "truncated.mp4",
        "promises.avi",
    }
    assert run("failed").stdout.count("\n") == len(listed)
    again = as_json(run("index", "--json", check=False))
    assert again["clips_embedded"] == 0 and again["unchanged"] == 6  # 5 good videos and caf\xe9.mp4
    assert again["failed_before"] == len(listed)
    retried = run("index", "--retry-failed", "--json", check=False)
    assert retried.exit_code == 3
    assert {os.path.basename(f["path"]) for f in as_json(retried)["failed"]} >= {"zero.mp4", "notes.avi"}
    assert as_json(run("status", "--json"))["failed"] == len(listed)


def test_a_fixed_file_is_indexed_on_the_next_run(run, imported, library, tmp_path):
    root = tmp_path / "fixable"
    root.mkdir()
    (root / "clip.mp4").write_bytes(b"")
    assert run("index", root, "--quiet", check=False).exit_code == 3
    shutil.copy(library["red"], root / "clip.mp4")
    summary = as_json(run("index", "--json"))
    assert summary["changed"] == 1 and summary["failed"] == []
    assert as_json(run("failed", "--json")) == []


def test_stuck_decoder_times_out(run, imported, library, tmp_path, monkeypatch):
    root = tmp_path / "slow"
    root.mkdir()
    shutil.copy(library["red"], root / "slow.mp4")
    monkeypatch.setenv("VIDX_DEBUG_DECODE_DELAY", "0.5")
    monkeypatch.setenv("VIDX_INDEX_TIMEOUT", "1")
    result = run("index", root, "--json", check=False)
    assert result.exit_code == 3
    assert as_json(result)["failed"] == [
        {
            "path": str(root / "slow.mp4"),
            "error": f"{root / 'slow.mp4'}: no frame decoded for 1 s (index.timeout); skipped",
        }
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="running as root, which reads files whatever their permissions")
def test_unreadable_file(run, imported, library, tmp_path):
    root = tmp_path / "locked"
    root.mkdir()
    shutil.copy(library["red"], root / "locked.mp4")
    os.chmod(root / "locked.mp4", 0)
    result = run("index", root, "--json", check=False)
    assert result.exit_code == 3
    assert as_json(result)["failed"][0]["error"] == f"{root / 'locked.mp4'}: cannot read (Permission denied)"


def test_a_decoder_crash_fails_that_file_alone(run, imported, library, tmp_path, monkeypatch):
    root = tmp_path / "crashy"
    shutil.copytree(library["root"] / "colours", root)
    monkeypatch.setenv("VIDX_DEBUG_DECODE_CRASH", "green.avi")
    result = run("index", root, "--json", check=False)
    assert result.exit_code == 3
    summary = as_json(result)
    assert summary["added"] == 2
    assert summary["failed"] == [
        {"path": str(root / "green.avi"), "error": f"{root / 'green.avi'}: the decoder crashed (exit code -11)"}
    ]
