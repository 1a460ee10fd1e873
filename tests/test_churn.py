"""Churn: seeded random changes to a small library (new files, copies, moves, renames, overwrites of the same size
and of another, truncations, folder swaps, deletions, touches), with `kill -9`s (and a few Ctrl-Cs) of a real
`vidx index` mid-run.
After each run that completes: doctor healthy, nothing twice, every file on disk in the catalogue as it is now;
at the end (and every CHECK_EVERY steps of a soak), the catalogue equal to a fresh index of the same folder.

CI runs a short seed; `pytest tests/test_churn.py --soak [STEPS] [--churn-seed N]` runs hundreds of steps.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import processes
import pytest
import videos
from conftest import as_json

from vidx.config import Home
from vidx.store import Catalog

SHORT_STEPS = 6
CHECK_EVERY = 25  # steps between comparisons with a fresh index, in a soak
FOLDERS = ("a", "b", "c")
SUFFIXES = (".mp4", ".avi", ".mkv")
PAD = 96 * 1024  # every file written is padded to this size (FFmpeg ignores bytes past the video), so an overwrite
# with new content keeps the size, and only the content hash can tell


class Churn:
    """The library and the seeded changes made to it. Each write gets its own mtime, a second after the last, in
    the past: two writes in one clock tick would otherwise look like none to a stat."""

    def __init__(self, root: Path, rng: random.Random):
        self.root, self.rng = root, rng
        self.clock = time.time() - 10**6
        self.made = 0
        self.log: list[str] = []

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file())

    def free_path(self) -> Path:
        self.made += 1
        folder = self.root / self.rng.choice(FOLDERS)
        return folder / f"v{self.made:04d}{self.rng.choice(SUFFIXES)}"

    def write(self, path: Path, pad: bool = True) -> None:
        """New content: a colour and length of its own, and so a content hash of its own."""
        colour = tuple(self.rng.randrange(256) for _ in range(3))
        frames = videos.solid(colour, self.rng.choice((12, 40, 50)))
        if self.rng.random() < 0.3:
            frames = videos.fade(self.rng.randrange(256), self.rng.randrange(256), 40)
        made = videos.write(path.with_name(f".new{path.suffix}"), frames)
        data = made.read_bytes()
        made.unlink()
        assert len(data) <= PAD, len(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.ljust(PAD, b"\0") if pad else data)
        self.stamp(path)

    def stamp(self, path: Path) -> None:
        self.clock += 1
        os.utime(path, ns=(int(self.clock * 1e9),) * 2)

    def step(self) -> None:
        files = self.files()
        kinds = ["add", "copy", "move", "overwrite", "resize", "truncate", "swap", "delete", "touch"]
        kind = self.rng.choice(kinds if files else ["add"])
        path = self.rng.choice(files) if files else None
        if kind == "add" or path is None:
            path = self.free_path()
            self.write(path)
        elif kind == "copy":
            target = self.free_path()
            shutil.copyfile(path, target)
            self.stamp(target)
        elif kind == "move":
            target = self.free_path()
            path.rename(target)
        elif kind in ("overwrite", "resize"):
            self.write(path, pad=kind == "overwrite")
        elif kind == "truncate":
            os.truncate(path, int(path.stat().st_size * self.rng.uniform(0.05, 0.9)))
            self.stamp(path)
        elif kind == "swap":
            one, two = self.rng.sample(FOLDERS, 2)
            (self.root / one).rename(self.root / "swapping")
            (self.root / two).rename(self.root / one)
            (self.root / "swapping").rename(self.root / two)
        elif kind == "delete":
            path.unlink()
        else:
            self.stamp(path)
        self.log.append(f"{kind} {path.relative_to(self.root)}")


def stopped_run(root: Path, vidx_home: Path, after: float, how: signal.Signals) -> None:
    """A real `vidx index` in a process of its own, stopped `after` seconds in (if still running then): `kill -9`
    of vidx alone, or Ctrl-C to its process group as a terminal sends it."""
    env = {"VIDX_HOME": str(vidx_home), "VIDX_DEBUG_DECODE_DELAY": "0.02"}
    proc = processes.start_vidx("index", root, "--quiet", env=env, start_new_session=True)
    try:
        proc.wait(timeout=after)
    except subprocess.TimeoutExpired:
        if how is signal.SIGINT:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=120)
    if not processes.wait_for(lambda: not processes.living_in_group(proc.pid), 30):
        os.killpg(proc.pid, signal.SIGKILL)  # not left running past the test
        pytest.fail(f"a decoder outlived the vidx index stopped by {how.name}")


def catalogue(home: Path) -> dict[str, tuple]:
    """Each file the catalogue holds: failed, or indexed with its content hash, its clips and their vectors."""
    catalog = Catalog(Home(home))
    try:
        found: dict[str, tuple] = {v.path: ("failed",) for v in catalog.failures()}
        for video in catalog.indexed_videos():
            clips = catalog.clip_vectors(video.id)
            spans = [(c.idx, round(c.start, 3), round(c.end, 3)) for c in clips]
            vectors = np.stack([c.vector for c in clips]) if clips else np.zeros((0, 0), np.float32)
            found[video.path] = ("ok", video.hash, spans, vectors)
        return found
    finally:
        catalog.close()


def holds_the_folder(run, root: Path, home: Path, log: list[str]) -> None:
    """What must hold after every run that completes."""
    assert as_json(run("doctor", "--json")) == {"healthy": True, "problems": [], "repaired": []}, log
    status = as_json(run("status", "--json"))
    assert status["clips"] == status["vectors"], log
    held = catalogue(home)
    assert len(held) == status["videos"] + status["failed"], log  # no file recorded twice
    on_disk = {str(p): p.stat() for p in root.rglob("*") if p.is_file()}
    assert set(held) == set(on_disk), log
    catalog = Catalog(Home(home))
    try:
        for video in catalog.indexed_videos():
            row = catalog.video(video.path)
            assert (row.size, row.mtime_ns) == (on_disk[video.path].st_size, on_disk[video.path].st_mtime_ns), log
            assert [c[0] for c in held[video.path][2]] == list(range(len(held[video.path][2]))), log
    finally:
        catalog.close()


def equals_a_fresh_index(run, root: Path, home: Path, fresh: Path, log: list[str]) -> None:
    for leftover in fresh.glob("vidx.db*"):
        leftover.unlink()
    shutil.rmtree(fresh / "index", ignore_errors=True)
    run("--home", fresh, "index", root, "--quiet", check=False)
    churned, anew = catalogue(home), catalogue(fresh)
    assert set(churned) == set(anew), log
    for path, (status, *facts) in anew.items():
        assert churned[path][0] == status, (path, log)
        if status == "ok":
            hash_, spans, vectors = facts
            assert churned[path][1:3] == (hash_, spans), (path, log)
            assert np.allclose(churned[path][3], vectors, atol=1e-3), (path, log)


def test_churn_with_kills_ends_equal_to_a_fresh_index(run, imported, models, tmp_path, vidx_home, request):
    steps = request.config.getoption("--soak") or SHORT_STEPS
    seed = request.config.getoption("--churn-seed")
    rng = random.Random(seed)
    root, fresh = tmp_path / "lib", tmp_path / "fresh"
    run("--home", fresh, "model", "import", models["tf1"])
    churn = Churn(root, rng)
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True)  # kept, empty or not, so that any two can be swapped
    for _ in range(6):
        churn.write(churn.free_path())
    run("index", root, "--quiet")
    kills = 0
    for step in range(1, steps + 1):
        for _ in range(rng.randint(1, 3)):
            churn.step()
        if rng.random() < 0.5:
            how = rng.choice([signal.SIGKILL] * 4 + [signal.SIGINT])
            stopped_run(root, vidx_home, rng.uniform(0.3, 3.0), how)
            kills += how is signal.SIGKILL
            churn.log.append(how.name)
        done = run("index", "--json", "--wait", "60", check=False)
        assert done.exit_code in (0, 3), (done.output, churn.log)  # 3: a truncated file failed
        assert json.loads(done.stdout)["still_being_written"] == 0, churn.log
        holds_the_folder(run, root, vidx_home, churn.log)
        if step % CHECK_EVERY == 0 or step == steps:
            equals_a_fresh_index(run, root, vidx_home, fresh, churn.log)
    assert kills, f"seed {seed}: no run was killed"
