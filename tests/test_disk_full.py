"""Every write site tried with a failure, the SQLite way: the real `vidx` in a subprocess under a file size limit
(RLIMIT_FSIZE; Python ignores SIGXFSZ, so the write fails with EFBIG instead of killing it). After each: one line,
exit 1, the summary of what was committed, nothing lost, and the next run, with room, heals."""

import json
import shutil
import subprocess
import sys

import pytest
import videos
from conftest import as_json, vidx_subprocess


def limited(size: int) -> str:
    """A prelude that caps the size of every file the process writes at `size` bytes."""
    return f"import resource\nresource.setrlimit(resource.RLIMIT_FSIZE, ({size}, resource.RLIM_INFINITY))"


def limit_line(path, size: str) -> str:
    return (
        f"Error: Cannot write {path}: it would pass this process's file size limit of {size} (ulimit -f); raise the "
        "limit and try again\n"
    )


def healthy(run):
    assert as_json(run("doctor", "--json")) == {"healthy": True, "problems": [], "repaired": []}


@pytest.fixture
def colours(tmp_path):
    return videos.make_library(tmp_path / "lib")


@pytest.fixture
def copies(tmp_path, monkeypatch):
    """One long video and two copies of it at 0.4-s clips: 150 clips, so that the vector rows outgrow the catalogue
    and the lists learnt for an approximate index outgrow the rows."""
    monkeypatch.setenv("VIDX_CLIP_FRAMES", "4")
    folder = tmp_path / "copies"
    videos.write(folder / "long.mp4", videos.moving_checkers(200))
    for name in ("copy1.mp4", "copy2.mp4"):
        shutil.copy(folder / "long.mp4", folder / name)
    return folder


def test_a_catalogue_commit_without_room(run, imported, colours, vidx_home):
    root = colours["red"].parents[1]
    # Room in SQLite's log for the new catalogue and about half of the six videos' commits.
    stopped = vidx_subprocess("index", root, "--json", prelude=limited(300_000), check=False)
    assert (stopped.returncode, stopped.stderr) == (1, limit_line(vidx_home / "vidx.db", "300 KB"))
    # What the run committed before the commit that found no room, and no more.
    summary = json.loads(stopped.stdout)
    status = as_json(run("status", "--json"))
    assert 1 <= summary["added"] == status["videos"] < len(colours)
    assert status["clips"] == status["vectors"]
    healthy(run)

    healed = as_json(run("index", "--json"))
    assert (healed["added"], healed["unchanged"]) == (len(colours) - summary["added"], summary["added"])
    healthy(run)
    assert as_json(run("query", "red", "--json"))["results"][0]["path"] == str(colours["red"])


def test_vector_rows_cut_short_by_a_full_disk_commit_nothing(run, imported, copies, colours, vidx_home):
    run("index", copies, "--quiet")
    rows = vidx_home / "index" / "rows-00000.f16"
    shutil.copy(colours["red"], copies / "red.mp4")
    # Room for the first 100 bytes of the new video's rows: the write is cut short, then refused.
    size = rows.stat().st_size + 100
    stopped = vidx_subprocess("index", copies, "--quiet", prelude=limited(size), check=False)
    assert (stopped.returncode, stopped.stderr) == (1, limit_line(rows, f"{size / 1e3:.0f} KB"))
    assert stopped.stdout.startswith("0 added, 0 changed, 0 moved, 0 removed, 3 unchanged, 0 failed; 0 clips")
    status = as_json(run("status", "--json"))
    assert (status["videos"], status["clips"], status["vectors"]) == (3, 150, 150)
    healthy(run)

    assert as_json(run("index", copies, "--json"))["added"] == 1
    healthy(run)
    assert as_json(run("query", "red", "--json"))["results"][0]["path"] == str(copies / "red.mp4")


@pytest.mark.parametrize(
    "size, refused",
    [
        (250_000, "lists-000000.faiss"),  # the lists learnt (393 KB)
        (400_000, "ann-000001-0-161.faiss"),  # the segment (404 KB), once the lists were written
    ],
)
def test_an_index_segment_without_room(run, imported, copies, colours, vidx_home, monkeypatch, size, refused):
    run("index", copies, "--quiet")
    # 150 clips, and the 10 of a new video, now call for the approximate index: the writer builds it once that
    # video is committed.
    monkeypatch.setenv("VIDX_INDEX_ANN_THRESHOLD", "100")
    shutil.copy(colours["red"], copies / "red.mp4")
    stopped = vidx_subprocess("index", "--json", prelude=limited(size), check=False)
    assert (stopped.returncode, stopped.stderr) == (1, limit_line(vidx_home / "index" / refused, f"{size // 1000} KB"))
    summary = json.loads(stopped.stdout)
    assert (summary["added"], summary["unchanged"]) == (1, 3)
    # The half-written file is gone, and so is any file written for the state never committed; the clips are all
    # there, scored exactly until the index is built.
    assert sorted(p.name for p in (vidx_home / "index").iterdir()) == ["rows-00000.f16"]
    status = as_json(run("status", "--json"))
    assert (status["videos"], status["clips"], status["vectors"], status["index_kind"]) == (4, 160, 160, "exact")
    doctor = as_json(run("doctor", "--json", check=False))
    assert doctor["problems"] == [
        "the index is exact but 160 clips call for the approximate one (index.ann_threshold 100)"
    ]
    assert as_json(run("query", "red", "--json"))["results"][0]["path"] == str(copies / "red.mp4")

    run("index", "--quiet")
    assert as_json(run("status", "--json"))["index_kind"] == "approximate"
    healthy(run)


def test_readers_go_on_when_nothing_can_be_written(run, imported, colours, vidx_home):
    run("index", colours["red"].parent, "--quiet")
    # Too little room even for SQLite's shared-memory file, which opening the catalogue to write makes.
    no_room = limited(1000)
    status = vidx_subprocess("status", "--json", prelude=no_room)
    assert (as_json(status)["videos"], as_json(status)["clips"]) == (3, 5)
    query = vidx_subprocess("query", "red", "--json", prelude=no_room)
    assert as_json(query)["results"][0]["path"] == str(colours["red"])
    assert vidx_subprocess("doctor", prelude=no_room).stdout == "healthy\n"

    stopped = vidx_subprocess("index", "--json", prelude=no_room, check=False)
    assert (stopped.returncode, stopped.stderr) == (1, limit_line(vidx_home / "vidx.db", "1 KB"))
    assert json.loads(stopped.stdout)["added"] == 0


def test_a_thumbnail_without_room_is_served_uncached(imported, run, colours, vidx_home):
    run("index", colours["red"].parent, "--quiet")
    code = (
        f"{limited(1000)}\nimport vidx\nwith vidx.Library() as lib:\n"
        "    data = lib.thumbnail(lib.search('red')[0].clip_id)\nprint(data[:3] == b'\\xff\\xd8\\xff')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert (result.returncode, result.stdout, result.stderr) == (0, "True\n", "")
    assert list((vidx_home / "thumbs").iterdir()) == []  # neither a strip cut short nor its temporary file


def test_a_results_page_without_room_leaves_the_old_one(imported, run, colours, tmp_path):
    run("index", colours["red"].parent, "--quiet")
    out = tmp_path / "pages"
    out.mkdir()
    (out / "page.html").write_text("the last page")
    stopped = vidx_subprocess("query", "red", "--html", out / "page.html", prelude=limited(1000), check=False)
    assert (stopped.returncode, stopped.stderr) == (1, limit_line(out / "page.html", "1 KB"))
    assert [p.name for p in out.iterdir()] == ["page.html"]
    assert (out / "page.html").read_text() == "the last page"


def test_a_sparse_copy_without_room_leaves_the_row_file_as_it_was(tmp_path):
    # Where holes cannot be punched, the rows' space is given back by a copy: refused, it leaves nothing behind.
    path = tmp_path / "rows-00000.f16"
    data = bytes(range(256)) * 4096
    path.write_bytes(data)
    code = f"""{limited(600_000)}
from pathlib import Path
from vidx.store import holes
try:
    holes.copy_without(Path({str(path)!r}), [(4096, 100_000)])
except OSError as e:
    print(e.strerror)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert (result.returncode, result.stdout) == (0, "File too large\n")
    assert [p.name for p in tmp_path.iterdir()] == [path.name] and path.read_bytes() == data
