"""The index follows the library's size across runs, deletes without rebuilding, heals after kill -9, and readers
that stay open (the web app) follow each new generation. A low index.ann_threshold stands in for 100,000 clips."""

import json

import pytest
from conftest import as_json, vidx_subprocess
from serving import make_app, serving
from serving import request as get

NAMES = {
    "red": "red.mp4",
    "green": "green.avi",
    "blue": "blue.gif",
    "brightening": "fade_in.mp4",
    "darkening": "fade_out.avi",
    "moving": "checkers.mp4",
}
WORDS = tuple(NAMES)


@pytest.fixture
def low(monkeypatch):
    monkeypatch.setenv("VIDX_INDEX_ANN_THRESHOLD", "8")


def segment_files(home):
    return {p.name: p.stat().st_mtime_ns for p in (home / "index").glob("ann-*.faiss")}


def test_growth_across_runs_switches_the_kind(run, imported, lib, low, vidx_home):
    run("index", lib / "colours", "--quiet")
    first = as_json(run("status", "--json"))
    assert (first["index_kind"], first["clips"]) == ("exact", 5) and not segment_files(vidx_home)
    run("index", lib / "light", "--quiet")
    grown = as_json(run("status", "--json"))
    assert (grown["index_kind"], grown["clips"], grown["vectors"]) == ("approximate", 9, 9)
    assert len(segment_files(vidx_home)) == 1
    run("index", lib / "motion", "--quiet")
    assert len(segment_files(vidx_home)) == 2, "the new clips became a segment of their own"
    assert as_json(run("doctor", "--json"))["healthy"] is True
    for word, name in NAMES.items():
        assert as_json(run("query", word, "--json"))["results"][0]["path"].endswith("/" + name)


def test_a_deletion_from_the_approximate_index_rebuilds_nothing(run, imported, lib, low, vidx_home):
    run("index", lib, "--quiet")
    before = segment_files(vidx_home)
    assert before and as_json(run("status", "--json"))["index_kind"] == "approximate"
    (lib / "colours" / "blue.gif").unlink()
    assert as_json(run("index", "--json"))["removed"] == 1
    assert segment_files(vidx_home) == before, "no segment was written again"
    status = as_json(run("status", "--json"))
    assert status["clips"] == status["vectors"] == 10
    found = [r["path"] for r in as_json(run("query", "blue", "--json", "-k", "20"))["results"]]
    assert str(lib / "colours" / "blue.gif") not in found and len(found) == 5
    assert as_json(run("doctor", "--json"))["healthy"] is True


def test_kill_9_between_a_segment_write_and_the_commit_heals(run, imported, lib, low, vidx_home):
    # The writer dies the moment it would commit the state naming the segment it has just written.
    prelude = (
        "import os, signal\nfrom vidx.store.catalog_writer import CatalogWriter\n"
        "CatalogWriter._commit_index = lambda *args: os.kill(os.getpid(), signal.SIGKILL)"
    )
    killed = vidx_subprocess("index", lib, "--quiet", check=False, prelude=prelude)
    assert killed.returncode == -9
    left = segment_files(vidx_home)
    assert left, "the segment was written before the kill"
    status = as_json(run("status", "--json"))
    # It died at the first save past the threshold: what it committed before is there, exact and whole.
    assert status["index_kind"] == "exact" and status["clips"] == status["vectors"] >= 8
    healed = as_json(run("index", "--json", "--wait", "30"))
    assert healed["unchanged"] + healed["added"] == 6
    assert as_json(run("status", "--json"))["index_kind"] == "approximate"
    assert segment_files(vidx_home) != left, "the leftover gave way to a segment written by the healing run"
    assert as_json(run("query", "moving", "--json"))["results"][0]["path"] == str(lib / "motion" / "checkers.mp4")
    assert as_json(run("doctor", "--json")) == {"healthy": True, "problems": [], "repaired": []}


def test_results_are_the_exact_index_results_on_known_answers(run, imported, lib, low, monkeypatch):
    run("index", lib, "--quiet")
    assert as_json(run("status", "--json"))["index_kind"] == "approximate"
    approximate = {w: as_json(run("query", w, "--json", "-k", "20", "--clips")) for w in WORDS}
    monkeypatch.setenv("VIDX_INDEX_ANN_THRESHOLD", "1000")
    assert as_json(run("doctor", "--repair", "--json", check=False))["repaired"] == [
        "rebuilt the exact index of 11 clips"
    ]
    assert as_json(run("status", "--json"))["index_kind"] == "exact"
    exact = {w: as_json(run("query", w, "--json", "-k", "20", "--clips")) for w in WORDS}
    assert approximate == exact
    for word, name in NAMES.items():
        assert exact[word]["results"][0]["path"].endswith("/" + name)


def test_a_served_app_picks_up_a_new_generation_without_a_restart(run, imported, lib, low, vidx_home):
    from vidx.store.vector_index import held

    run("index", lib / "colours", "--quiet")
    app = make_app(vidx_home)
    try:
        with serving(app) as httpd:
            _, body = get(httpd, "/api/search?q=darkening&k=20")
            assert str(lib / "light" / "fade_out.avi") not in [r["path"] for r in json.loads(body)["results"]]
            index = held(vidx_home / "index")
            assert index.index.state.kind == "exact"
            vidx_subprocess("index", lib / "light", "--quiet")  # another process's run, as cron's
            _, body = get(httpd, "/api/search?q=darkening&k=20")
            assert json.loads(body)["results"][0]["path"] == str(lib / "light" / "fade_out.avi")
            assert held(vidx_home / "index") is index and index.index.state.kind == "approximate"
    finally:
        app.library.close()
