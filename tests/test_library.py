"""`vidx.Library`, the Python API, called directly and from a script in a real interpreter."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import as_json

import vidx
from vidx.errors import LockHeld, NoSuchFile, UsageError
from vidx.searcher.filters import Filters

DOCS = Path(__file__).resolve().parents[1] / "docs" / "python-api.md"


@pytest.fixture
def lib(imported, library):
    with vidx.Library() as lib:
        lib.index([library["root"]])
        yield lib


def test_the_import_surface():
    assert vidx.__version__ == "0.1.0"
    assert issubclass(vidx.VidxError, Exception)
    assert set(vidx.__all__) >= {"Library", "VidxError", "Hit", "IndexSummary", "__version__"}


def test_index_summary_and_search(imported, library, run):
    with vidx.Library() as lib:
        s = lib.index([library["root"]])
        expected = 6 + len(list(library["root"].glob("real/*")))
        assert (s.added, s.changed, s.moved, s.removed, s.unchanged, s.failed) == (expected, 0, 0, 0, 0, [])
        assert s.clips_embedded >= s.added and s.seconds > 0
        assert s.as_json()["added"] == s.added
        again = lib.index()
        assert (again.added, again.unchanged) == (0, s.added)
        hits = lib.search("red", k=3)
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].path == str(library["red"])
    h = hits[0]
    assert h.as_json() == {"rank": 1, "path": h.path, "score": h.score, "start": h.start, "end": h.end}
    assert [h.as_json() for h in hits] == as_json(run("query", "red", "-k", "3", "--json"))["results"]


def test_search_options(lib, library):
    clips = lib.search("red", k=4, clips=True)
    assert len(clips) == 4 and len({h.path for h in clips}) < 4, "clips=True lists several clips of one video"
    under = lib.search("red", under=library["root"] / "light")
    assert under and all(h.path.startswith(str(library["root"] / "light") + "/") for h in under)
    best = lib.search("red", k=1)[0].score
    assert [h.path for h in lib.search("red", min_score=best)] == [str(library["red"])]
    with pytest.raises(UsageError, match="^k must be a whole number of at least 1, got 0$"):
        lib.search("red", k=0)


@pytest.mark.parametrize("k", [0, -1, True, 2.0, "3"])
def test_search_options_take_k_as_a_whole_number_of_at_least_one(k):
    with pytest.raises(UsageError) as error:
        vidx.SearchOptions(k=k)
    assert str(error.value) == f"k must be a whole number of at least 1, got {k!r}"


def test_search_options_are_checked_when_made_and_replaced_by_name():
    assert (vidx.SearchOptions(k=1).count(7), vidx.SearchOptions().count(7)) == (1, 7)
    for mode in ("both", "seen", "said"):
        assert vidx.SearchOptions(mode=mode).mode == mode
    with pytest.raises(UsageError, match="^mode must be one of both, seen, said, got 'heard'$"):
        vidx.SearchOptions(mode="heard")
    assert vidx.SearchOptions(clips=True, mode="seen").clips
    with pytest.raises(
        UsageError, match="^single clips are ranked by their pictures: the said mode does not list them$"
    ):
        vidx.SearchOptions(clips=True, mode="said")
    bounded = vidx.SearchOptions(since="2024-05-02", until="2024-06-01", min_duration=1, max_duration=9)
    assert bounded.filters == Filters.parse("2024-05-02", "2024-06-01", 1, 9)
    assert not vidx.SearchOptions().filters

    seen = vidx.SearchOptions(k=4, mode="seen")
    assert vidx.SearchOptions.given(seen, k=None, clips=True) == vidx.SearchOptions(k=4, clips=True, mode="seen")
    assert vidx.SearchOptions.given(None, k=None) == vidx.SearchOptions()
    assert vidx.SearchOptions.given(seen, k=2) == vidx.SearchOptions(k=2, mode="seen")
    assert vidx.SearchOptions.given(None, k=2, since="2024-05-02").filters == Filters.parse("2024-05-02")
    with pytest.raises(TypeError, match="^unexpected search option 'filters'$"):
        vidx.SearchOptions.given(seen, filters=Filters(), zz=1)


def test_search_and_like_share_one_options_value(lib, library):
    options = vidx.SearchOptions(k=4, clips=True, under=library["root"] / "colours")
    assert lib.search("red", options=options) == lib.search("red", k=4, clips=True, under=options.under)
    # Keywords beside the value replace its fields; the value itself is left as it was.
    assert [h.path for h in lib.search("red", options=options, k=1, clips=False)] == [str(library["red"])]
    assert options.k == 4 and options.clips
    assert lib.like(library["red"], options=options) == lib.like(
        library["red"], 0.0, 4, clips=True, under=options.under
    )
    with pytest.raises(UsageError, match="^--min-duration 5 is above --max-duration 2$"):
        vidx.SearchOptions(min_duration=5, max_duration=2)
    with pytest.raises(TypeError, match="^unexpected search option 'kk'$"):
        lib.search("red", kk=3)


def test_under_expands_the_home_folder(lib, library, run, monkeypatch):
    monkeypatch.setenv("HOME", str(library["root"]))
    light = [h.path for h in lib.search("red", under=library["root"] / "light")]
    assert light and [h.path for h in lib.search("red", under="~/light")] == light
    found = as_json(run("query", "red", "--under", "~/light", "--json"))["results"]
    assert [h["path"] for h in found] == light


def test_like_leaves_the_file_out_however_it_is_named(lib, library, tmp_path):
    link = tmp_path / "alias.mp4"
    link.symlink_to(library["red"])
    dotted = library["root"] / "colours" / ".." / "colours" / "red.mp4"
    for spelling in (library["red"], link, dotted):
        hits = lib.like(spelling, at=0.0, k=3)
        assert len(hits) == 3 and str(library["red"]) not in [h.path for h in hits]
    with pytest.raises(NoSuchFile, match="^/nowhere.mp4: no such video file$"):
        lib.like("/nowhere.mp4")


def test_like_past_the_end_says_how_long_the_video_is(lib, library):
    with pytest.raises(UsageError, match=rf"^{library['red']} is 0:04\.0 long: there is no second 600 in it$"):
        lib.like(library["red"], at=600)


def test_embeddings(lib, library):
    text = lib.embed_text(["red", "moving"])
    assert text.shape == (2, 512) and text.dtype == np.float32
    np.testing.assert_allclose(lib.embed_text("red")[0], text[0])
    clips = lib.embed_video(library["moving"])
    assert [type(x) for x in clips[0]] == [float, float, np.ndarray] and clips[0][2].shape == (512,)
    assert clips[0][0] == 0.0 and all(a[1] <= b[1] for a, b in zip(clips, clips[1:], strict=False))
    # Every clip, in order, as `vidx index` stored it.
    stored = lib.catalog.clip_vectors(lib.catalog.video(str(library["moving"])).id)
    assert [(start, end) for start, end, _ in clips] == [(row.start, row.end) for row in stored] and len(stored) > 1
    # Stored as float16 rows: 11 bits of mantissa, so within 1e-3 of what the model gave.
    np.testing.assert_allclose(np.stack([v for _, _, v in clips]), np.stack([row.vector for row in stored]), atol=1e-3)


def test_status_and_settings(lib, library):
    status = lib.status()
    assert status["roots"] == [str(library["root"])] and status["videos"] > 0
    assert status["clips"] == status["vectors"] and status["precision"] == "fp32"
    assert vidx.Library(settings={"search.k": 2}).settings.search.k == 2
    with pytest.raises(vidx.VidxError, match=r"^Unknown setting search.nope \(flag\)"):
        vidx.Library(settings={"search.nope": 1})


def test_progress_callback(imported, library):
    events = []
    with vidx.Library() as lib:
        summary = lib.index(library["root"] / "colours", progress=events.append)
    assert events[0].path is None and events[0].total == 3 and events[0].done == 0
    assert [e.outcome for e in events[1:-1]] == ["indexed"] * 3 and [e.done for e in events[1:-1]] == [1, 2, 3]
    assert events[-1].finished and events[-1].clips_embedded == summary.clips_embedded


def test_the_lock_is_an_error_that_names_no_flag(imported, library, vidx_home):
    from vidx.config import Home
    from vidx.indexer.lock import index_lock

    with index_lock(Home(vidx_home)), pytest.raises(LockHeld) as caught:
        vidx.Library().index([library["root"]])
    assert re.fullmatch(
        r"Another `vidx index` is running on .* \(pid \d+, started .*\); let it finish", str(caught.value)
    )


def run_script(code: str, cwd: Path) -> subprocess.CompletedProcess:
    """`code` saved as a script and run as users run theirs, with no `if __name__ == "__main__"` guard."""
    (cwd / "script.py").write_text(code)
    return subprocess.run([sys.executable, "script.py"], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_a_script_that_loaded_the_text_model_ends_cleanly(imported, library, tmp_path):
    """OpenVINO 2026.x aborts when a compiled text model is destroyed; the library must keep that from scripts."""
    code = (
        "import vidx\n"
        f"lib = vidx.Library()\nlib.index([{str(library['root'] / 'colours')!r}])\n"
        "print(lib.search('red', k=1)[0].path)\n"
        "del lib\nimport gc; gc.collect()\n"
        "raise SystemExit(7)\n"
    )
    result = run_script(code, tmp_path)
    assert (result.returncode, result.stdout) == (7, f"{library['red']}\n"), result.stderr
    crash = run_script("import vidx\nlib = vidx.Library()\nlib.embed_text(['red'])\n1 / 0\n", tmp_path)
    assert crash.returncode == 1 and crash.stderr.rstrip().endswith("ZeroDivisionError: division by zero")


def test_python_dash_m_vidx_is_the_cli(imported, library, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "vidx", "index", str(library["root"] / "colours"), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert as_json(result)["added"] == 3


def test_the_worked_example_in_the_docs_runs_as_written(imported, library, tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert blocks, "docs/python-api.md has a worked example"
    (tmp_path / "library").symlink_to(library["root"], target_is_directory=True)
    result = run_script(blocks[0], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{6 + len(list((library['root']).glob('real/*')))} added, 0 failed"
    rank, score, path, span = lines[1].split(" ", 3)
    assert (rank, path) == ("1", f"{tmp_path}/library/motion/checkers.mp4") and float(score) > 0
    assert re.fullmatch(r"\d+\.\d-\d+\.\d s", span)
    assert len(lines) == 4
