"""Nothing outlives `vidx index`: after kill -9 its decoders go within seconds, holding no shared memory."""

import os
import signal
import time
from pathlib import Path

import processes
import pytest
import videos

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")


def shared_memory(pids: list[int]) -> set[str]:
    """/dev/shm files these processes hold open or mapped."""
    held = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("/dev/shm/"):
                    held.add(target.split(" ")[0])
            for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
                if "/dev/shm/" in line:
                    held.add(line[line.index("/dev/shm/") :].split(" ")[0])
        except OSError:
            continue
    return held


@pytest.fixture(scope="module")
def long_videos(tmp_path_factory):
    """Three different videos of about 300 frames: at 0.1 s a frame, each decoder is mid-file for half a minute.
    (Three copies of one video would be embedded once, by one decoder.)"""
    root = tmp_path_factory.mktemp("long")
    for name, frames in (("a", 300), ("b", 301), ("c", 302)):
        videos.write(root / f"{name}.mp4", videos.moving_checkers(frames))
    return root


def start_index(root, tag, decoders, log, delay="0.1"):
    env = {processes.MARK: tag, "VIDX_DEBUG_DECODE_DELAY": delay, "VIDX_INDEX_DECODERS": decoders}
    with open(log, "wb") as err:
        return processes.start_vidx("index", root, "--quiet", env=env, stderr=err)


@pytest.mark.parametrize("decoders", ["1", "2"])
def test_kill_9_leaves_no_process_and_no_shared_memory(imported, long_videos, decoders, tmp_path):
    tag = processes.new_mark()
    proc = start_index(long_videos, tag, decoders, tmp_path / "stderr")
    try:
        # The indexer and its decoders, mid-run (decoding is slowed down).
        assert processes.wait_for(lambda: len(processes.marked(tag)) >= 1 + int(decoders), 60), (
            tmp_path / "stderr"
        ).read_text()
        time.sleep(1.0)
        tree = list(processes.marked(tag))
        held = shared_memory(tree)
        assert proc.poll() is None, "the run should still be going"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert processes.wait_for(lambda: not processes.marked(tag), 10), (
        f"still alive 10 s after kill -9: {processes.marked(tag)} of {tree}"
    )
    assert processes.wait_for(lambda: not any(os.path.exists(p) for p in held), 5), f"left in /dev/shm: {held}"


def test_a_finished_run_leaves_nothing_running(imported, library, tmp_path):
    tag = processes.new_mark()
    proc = start_index(library["root"] / "colours", tag, "2", tmp_path / "stderr", delay="0")
    assert proc.wait(timeout=300) == 0, (tmp_path / "stderr").read_text()
    assert processes.wait_for(lambda: not processes.marked(tag), 10), processes.marked(tag)
