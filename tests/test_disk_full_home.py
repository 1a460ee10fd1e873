"""A full disk as the home sees it: what failed writes leave and `vidx doctor` reports, a real file system with no
room left (a 2-MB tmpfs, when this user may mount one), and a reader that outlives the full disk."""

import fcntl
import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest
import videos
from conftest import as_json, vidx_subprocess
from test_damage import clips_page, zero_page
from test_disk_full import limit_line, limited


@pytest.fixture
def colours(tmp_path):
    return videos.make_library(tmp_path / "lib")


def test_doctor_reports_and_repairs_what_unfinished_writes_left(run, imported, colours, vidx_home):
    run("index", colours["red"].parent, "--quiet")
    index, thumbs = vidx_home / "index", vidx_home / "thumbs"
    (index / "ann-000099-0-10.faiss.tmp").write_bytes(b"x" * 5000)  # a segment save that never finished
    (index / "trained-9.faiss").write_bytes(b"x" * 100)  # written, then never committed
    thumbs.mkdir()
    (thumbs / ".3.jpg.k2j4x0").write_bytes(b"x" * 100)
    old = time.time() - 120
    os.utime(thumbs / ".3.jpg.k2j4x0", (old, old))
    (thumbs / ".4.jpg.a8c1p5").write_bytes(b"x")  # a server may be writing this one now

    found = run("doctor", "--json", check=False)
    assert found.exit_code == 1
    problem = f"3 files (5 KB) left by writes that did not finish (a crash or a full disk), e.g. {index}/ann-000099-0-10.faiss.tmp"
    assert as_json(found)["problems"] == [problem]

    # While a `vidx index` holds the lock, its files in flight are not leftovers.
    with open(vidx_home / "index.lock") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert as_json(run("doctor", "--json"))["healthy"]

    repaired = as_json(run("doctor", "--repair", "--json", check=False))
    assert repaired["repaired"] == ["deleted 3 files left by writes that did not finish"]
    assert sorted(p.name for p in index.iterdir()) == ["rows-00000.f16"]
    assert [p.name for p in thumbs.iterdir()] == [".4.jpg.a8c1p5"]
    assert as_json(run("doctor", "--json")) == {"healthy": True, "problems": [], "repaired": []}


def search_then(code: str) -> str:
    """A Python program that searches with no room to open the catalogue to write, then, with room, runs `code`
    with the same library: one process, as `vidx serve` is."""
    return f"""
import resource, subprocess, sys
import vidx
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, resource.RLIM_INFINITY))
with vidx.Library() as lib:
    print(lib.search("red")[0].path)
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
{textwrap.indent(textwrap.dedent(code), "    ")}
"""


def python(code: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert (result.returncode, result.stderr) == (0, "")
    return result.stdout.splitlines()


def test_a_reader_opened_on_a_full_disk_sees_what_a_writer_commits_later(run, imported, colours):
    run("index", colours["red"].parent, "--quiet")
    light = str(colours["darkening"].parent)
    index = f"import sys; from vidx.cli import main; sys.argv = ['vidx', 'index', {light!r}]; main()"
    code = f"""
        subprocess.run([sys.executable, "-c", {index!r}], check=True, capture_output=True)
        print(lib.search("darkening")[0].path)
    """
    assert python(search_then(code)) == [str(colours["red"]), str(colours["darkening"])]


def test_a_library_opened_on_a_full_disk_indexes_once_there_is_room(run, imported, colours):
    run("index", colours["red"].parent, "--quiet")
    light = str(colours["darkening"].parent)
    code = f"""
        print(lib.index({light!r}).added)
        print(lib.search("darkening")[0].path)
    """
    assert python(search_then(code)) == [str(colours["red"]), "2", str(colours["darkening"])]


@pytest.fixture
def small_disk(tmp_path):
    """A 2-MB tmpfs, or a skip where this user may not mount one."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip() or 'mount failed'}")
    try:
        yield mount
    finally:
        # Lazily: the in-process runs leave files of the home mapped until the collector closes them.
        subprocess.run(["umount", "--lazy", str(mount)], check=True)


def test_a_full_file_system(run, models, colours, small_disk, monkeypatch):
    home = small_disk / "home"
    monkeypatch.setenv("VIDX_HOME", str(home))
    run("model", "import", models["tf1"])
    run("index", colours["red"].parent, "--quiet")
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as f, pytest.raises(OSError):  # unbuffered: closing it writes nothing
        while True:
            f.write(b"\0" * 65536)

    stopped = run("index", colours["darkening"].parent, "--json", check=False)
    line = f"Error: The disk is full: cannot write {home}/vidx.db (0 bytes free); free some space and try again"
    assert (stopped.exit_code, stopped.output.splitlines()[-1]) == (1, line)
    assert as_json(run("status", "--json"))["videos"] == 3
    assert as_json(run("query", "red", "--json"))["results"][0]["path"] == str(colours["red"])
    full = f"the disk that holds {home} is full (0 bytes free): `vidx index` cannot write; free some space"
    assert as_json(run("doctor", "--json", check=False))["problems"] == [full]

    filler.unlink()
    healed = as_json(run("index", colours["darkening"].parent, "--json"))
    assert healed["added"] == len(list(colours["darkening"].parent.iterdir()))
    assert as_json(run("doctor", "--json")) == {"healthy": True, "problems": [], "repaired": []}


def test_recovering_a_damaged_catalogue_without_room(run, imported, colours, tmp_path, vidx_home):
    root = tmp_path / "copies"
    root.mkdir()
    for n in range(80):  # copies: clips enough for a few pages of the clips table, without embedding them all
        shutil.copy(colours["red"], root / f"{n:02d}.mp4")
    run("index", root, "--quiet")
    db_file = vidx_home / "vidx.db"
    zero_page(db_file, clips_page(db_file))
    damaged = db_file.read_bytes()

    # The new catalogue the damaged one's rows are copied into finds no room: it goes, the damaged one stays.
    stopped = vidx_subprocess("doctor", "--repair", prelude=limited(40_000), check=False)
    assert (stopped.returncode, stopped.stderr) == (1, limit_line(f"{db_file}.recovering", "40 KB"))
    assert sorted(p.name for p in vidx_home.glob("vidx.db*")) == ["vidx.db"] and db_file.read_bytes() == damaged

    run("doctor", "--repair")
    assert as_json(run("doctor", "--json"))["healthy"] is True
