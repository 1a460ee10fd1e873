"""A home this user cannot write (a read-only mount, another user's folder): reading commands work on it, writing
commands say so in one line. Root ignores permissions, so the CLI runs as an unprivileged user in a subprocess."""

import contextlib
import http.client
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from serving import clip_id

# Runs each argument list through the real click group in one interpreter (one OpenVINO start-up for them all).
RUNNER = r"""
import json, sys
from click.testing import CliRunner
from vidx.cli import cli

out = []
for args in json.loads(sys.argv[1]):
    r = CliRunner().invoke(cli, args)
    bug = r.exception if r.exception is not None and not isinstance(r.exception, SystemExit) else None
    out.append({"exit_code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr, "bug": repr(bug) if bug else None})
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def reader() -> list[str]:
    """The command prefix that runs a program as a user who cannot write what this test process made."""
    if os.geteuid() != 0:
        return []  # already unprivileged: the homes below are made read-only with chmod
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, which writes anywhere, and setpriv (util-linux) is missing to drop to nobody")
    # uid nobody, with CAP_DAC_READ_SEARCH only so that it can start this interpreter wherever it is installed
    # (here under /root). Everything it is given lives in a world-readable folder (see `place`), since SQLite and
    # click ask access(2), which answers for the plain user.
    prefix = [
        setpriv,
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
    ]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import os; print(os.getuid())"], capture_output=True)
    if probe.returncode != 0 or probe.stdout.strip() != b"65534":
        pytest.skip(f"setpriv cannot drop to nobody here: {probe.stderr.decode().strip()}")
    return prefix


@pytest.fixture
def place(monkeypatch):
    """A folder any user can reach (pytest's own tmp_path is private to its user): `home` (the test's VIDX_HOME),
    `lib` (some videos) and `out`, which the reader may write: its $HOME (OpenVINO keeps telemetry there) and
    where pages go."""
    top = Path(tempfile.mkdtemp(prefix="vidx-read-only-"))
    top.chmod(0o755)
    (top / "out").mkdir(mode=0o777)
    (top / "out").chmod(0o777)
    monkeypatch.setenv("VIDX_HOME", str(top / "home"))
    yield top
    for p in [top, *top.rglob("*")]:
        if not p.is_symlink():
            p.chmod(stat.S_IMODE(p.stat().st_mode) | 0o700)
    shutil.rmtree(top)


@contextlib.contextmanager
def read_only(*paths: Path):
    """No write bit anywhere under `paths` for the duration, then the modes as they were."""
    modes = {}
    for top in paths:
        for p in [top, *top.rglob("*")]:
            if not p.is_symlink():
                modes[p] = p.stat().st_mode
                p.chmod(stat.S_IMODE(modes[p]) & ~0o222)
    try:
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(stat.S_IMODE(mode))


def run_as(reader: list[str], place: Path, *commands: list, home: Path | None = None) -> list[dict]:
    """Each command's exit code, stdout and stderr, run as the reader; none may end in a traceback."""
    env = {**os.environ, "VIDX_HOME": str(home or place / "home"), "HOME": str(place / "out")}
    argv = [[str(a) for a in c] for c in commands]
    proc = subprocess.run(
        [*reader, sys.executable, "-c", RUNNER, json.dumps(argv)], capture_output=True, text=True, env=env, timeout=600
    )
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    results = json.loads(proc.stdout)
    for args, r in zip(argv, results, strict=True):
        assert r["bug"] is None, (args, r)
        assert "Traceback" not in r["stderr"], (args, r)
    return results


@pytest.fixture
def indexed(run, models, library, place):
    """The colour videos, indexed by this (writing) process into place/home."""
    run("model", "import", models["tf1"])
    shutil.copytree(library["root"] / "colours", place / "lib")
    run("index", place / "lib", "--quiet")
    return place / "lib"


WRITING = [
    ["index"],
    ["index", "{root}"],
    ["roots", "remove", "{root}"],
    ["model", "import", "{model}"],
    ["model", "import-speech", "{model}"],
    ["model", "quantize"],
    ["model", "use", "fp32"],
    ["doctor", "--repair"],
]


def test_reading_commands_work_and_writing_ones_say_the_home_is_not_writable(reader, indexed, models, place):
    home, page = place / "home", place / "out" / "page.html"
    red, green, blue = (indexed / n for n in ("red.mp4", "green.avi", "blue.gif"))
    before = sorted(p.name for p in home.iterdir())
    writing = [[a.format(root=indexed, model=models["tf1"]) for a in c] for c in WRITING]
    with read_only(home):
        results = run_as(
            reader,
            place,
            ["status", "--json"],
            ["query", "red", "--json"],
            ["query", "--like", red, "--json", "-k", "1"],
            ["query", "blue", "--html", page],
            ["doctor"],
            ["failed"],
            ["roots"],
            ["config"],
            ["model", "info", "--json"],
            *writing,
        )
    status, text, like, html, doctor, failed, roots, config, info, *refused = results
    assert all(r["exit_code"] == 0 for r in results[: len(results) - len(refused)]), results
    data = json.loads(status["stdout"])
    assert (data["videos"], data["clips"]) == (3, data["vectors"])
    assert json.loads(text["stdout"])["results"][0]["path"] == str(red)
    (nearest,) = json.loads(like["stdout"])["results"]
    assert nearest["path"] in (str(green), str(blue)), "the other colours; red left out"
    assert html["stderr"] == f"Wrote the page to {page}\n"
    assert page.read_text().count("data:image/jpeg;base64,") == 3, "thumbnails are made, just not cached"
    assert doctor["stdout"] == "healthy\n"
    assert (failed["stdout"], failed["stderr"]) == ("", "no failed files\n")
    assert roots["stdout"] == f"{indexed}\n"
    assert config["stdout"].splitlines()[0] == f"home = {home}  (env VIDX_HOME)"
    assert json.loads(info["stdout"])["precision"] == "fp32"
    line = f"Error: The home {home} is not writable (permission denied): it can be searched but not changed\n"
    for args, r in zip(writing, refused, strict=True):
        assert (r["exit_code"], r["stdout"], r["stderr"]) == (1, "", line), args
    assert sorted(p.name for p in home.iterdir()) == before, "nothing was written: no thumbs/, cache/ or -shm"


def test_a_read_only_home_is_read_through_the_log_of_a_writer_that_has_it_open(reader, indexed, place):
    """Another user's `vidx index` holds the database open: its latest commits sit in the WAL, and count."""
    if not reader:
        pytest.skip("needs a second user: the writer here must write where the reader cannot")
    home = place / "home"
    writer = sqlite3.connect(home / "vidx.db")
    try:
        writer.execute("update meta set value = '2030-01-01T00:00:00+00:00' where key = 'last_run_end'")
        writer.commit()
        assert (home / "vidx.db-wal").exists()
        with read_only(home):
            (status,) = run_as(reader, place, ["status", "--json"])
    finally:
        writer.close()
    assert json.loads(status["stdout"])["last_run_end"] == "2030-01-01T00:00:00+00:00"


def test_a_home_inside_a_folder_that_cannot_be_written(reader, place):
    locked = place / "locked"
    locked.mkdir()
    home = locked / "vidx"
    with read_only(locked):
        results = run_as(
            reader,
            place,
            ["status"],
            ["query", "red"],
            ["query", "--like", "nothere.mp4"],
            ["failed"],
            ["roots"],
            ["doctor"],
            ["index", place / "out"],
            ["model", "import", place / "out"],
            home=home,
        )
    status, query, like, failed, roots, doctor, index, model = [
        (r["exit_code"], r["stdout"], r["stderr"]) for r in results
    ]
    assert status == (
        0,
        "0 videos, 0 clips, 0 vectors, 0 failed\n"
        "said: 0 lines of subtitles and speech; bitmap subtitle streams skipped: 0\nroots: (none)\nmodel: (none) [fp32]\n"
        "speech: none (vidx model import-speech SOURCE)\nindex: 0 bytes; database: 0 bytes\nlast index run ended: never\n",
        "",
    )
    assert query == (0, "The index is empty: run `vidx index FOLDER` first.\n", "")
    assert like == (1, "", "Error: nothere.mp4: no such video file for --like\n")
    assert failed == (0, "", "no failed files\n")
    assert roots == (0, "", "no roots yet: vidx index FOLDER\n")
    assert doctor == (0, "healthy\n", "")
    line = f"Error: The home {home} cannot be created ({locked}: permission denied)\n"
    assert index == (1, "", line)
    assert model == (1, "", line)
    assert list(locked.iterdir()) == []


def test_serve_on_a_read_only_home(reader, indexed, place):
    home = place / "home"
    env = {**os.environ, "HOME": str(place / "out")}
    clip = clip_id(home)
    with read_only(home):
        proc = subprocess.Popen(
            [*reader, sys.executable, "-u", "-m", "vidx", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            port = int(re.match(r"Serving http://127\.0\.0\.1:(\d+)/ ", proc.stdout.readline()).group(1))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/api/search?q=red&k=1")
            assert json.loads(conn.getresponse().read())["results"][0]["path"] == str(indexed / "red.mp4")
            conn.request("GET", f"/thumb/{clip}.jpg")
            response = conn.getresponse()
            assert (response.status, response.read()[:3]) == (200, b"\xff\xd8\xff")
            conn.close()
        finally:
            proc.kill()
            _, err = proc.communicate()
    assert "Traceback" not in err, err
    assert not (home / "thumbs").exists()
