"""Several decoding processes: index.decoders, the core budget, results that do not depend on either, and
the timings `vidx index` reports."""

import re
import sqlite3

import numpy as np
import pytest
from conftest import as_json

from vidx.config import Home, load_settings
from vidx.indexer.budget import Budget, budget
from vidx.indexer.decoders import DecoderPool
from vidx.indexer.plan import VideoJob
from vidx.indexer.stages import ClipReady, VideoDone, VideoFailed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "Error: Invalid value for index.decoders (env VIDX_INDEX_DECODERS): must be >= 0, got -1"),
        ("65", "Error: Invalid value for index.decoders (env VIDX_INDEX_DECODERS): must be <= 64, got 65"),
        (
            "two",
            "Error: Invalid value for index.decoders (env VIDX_INDEX_DECODERS): expected a whole number, got 'two'",
        ),
    ],
)
def test_bad_decoder_counts(run, monkeypatch, value, message):
    monkeypatch.setenv("VIDX_INDEX_DECODERS", value)
    result = run("config", check=False)
    assert result.exit_code == 2
    assert result.output == message + "\n"


def test_decoders_default_to_auto(run):
    assert as_json(run("config", "--json"))["settings"]["index.decoders"] == {"value": 0, "from": "default"}


@pytest.mark.parametrize("precision", ["int8", "fp32"])
def test_core_budget(vidx_home, monkeypatch, precision):
    monkeypatch.setenv("VIDX_MODEL_PRECISION", precision)
    settings = load_settings(Home(vidx_home))
    # Two cores: one decoder, and inference keeps both cores (a decoder keeps less than one busy).
    assert budget(settings, available=2) == Budget(decoders=1, inference_threads=None)
    # Sixteen: several decoders, and inference gets exactly the cores they leave.
    big = budget(settings, available=16)
    assert big.decoders >= 2 and big.decoders + big.inference_threads == 16
    monkeypatch.setenv("VIDX_INDEX_DECODERS", "3")
    assert budget(load_settings(Home(vidx_home)), available=16).decoders == 3


def results(home):
    db = sqlite3.connect(home / "vidx.db")
    clips = db.execute(
        "select v.path, c.idx, c.start, c.end, c.vector from clips c join videos v on v.id = c.video_id "
        "order by v.path, c.idx"
    ).fetchall()
    videos = db.execute("select path, status, error, frames, duration from videos order by path").fetchall()
    db.close()
    return [c[:4] for c in clips], np.stack([np.frombuffer(c[4], np.float32) for c in clips]), videos


def test_results_do_not_depend_on_the_decoder_count(run, models, library, tmp_path, monkeypatch):
    root = library["root"]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "noise.mp4").write_bytes(bytes(range(256)) * 100)
    (broken / "empty.mkv").write_bytes(b"")
    seen = []
    for count in ("1", "3"):
        home = tmp_path / f"home-{count}"
        monkeypatch.setenv("VIDX_HOME", str(home))
        monkeypatch.setenv("VIDX_INDEX_DECODERS", count)
        run("model", "import", models["tf1"])
        result = run("index", root, broken, "--json", check=False)
        assert result.exit_code == 3, result.output
        seen.append((results(home), sorted((f["path"], f["error"]) for f in as_json(result)["failed"])))
    (clips_1, vectors_1, videos_1), failed_1 = seen[0]
    (clips_3, vectors_3, videos_3), failed_3 = seen[1]
    assert clips_1 == clips_3 and videos_1 == videos_3 and failed_1 == failed_3
    assert [path for path, _ in failed_1] == [str(broken / "empty.mkv"), str(broken / "noise.mp4")]
    np.testing.assert_allclose(vectors_1, vectors_3, rtol=0, atol=1e-5)


def test_index_reports_where_time_goes(run, imported, library):
    summary = as_json(run("index", library["root"] / "colours", "--json"))
    assert summary["clips_embedded"] > 0
    for key in ("decode_seconds", "embed_seconds", "write_seconds", "clips_per_second"):
        assert isinstance(summary[key], float) and summary[key] >= 0, key
    assert summary["clips_per_second"] == round(summary["clips_embedded"] / summary["seconds"], 2)
    assert summary["decode_seconds"] > 0 and summary["embed_seconds"] > 0


def test_summary_line_gives_clips_per_second_and_real_time(run, imported, library):
    line = run("index", library["root"] / "light").stdout.splitlines()[-1]
    match = re.fullmatch(
        r"2 added, 0 changed, 0 moved, 0 removed, 0 unchanged, 0 failed; (\d+) clips embedded in ([\d.]+) s "
        r"\(([\d.]+) clips/s, ([\d.]+)x real time\)",
        line,
    )
    assert match, line
    clips, seconds, rate, _ = (float(g) for g in match.groups())
    assert clips >= 2 and rate == pytest.approx(clips / seconds, rel=0.1, abs=0.1)


def job(path):
    return VideoJob(path, 1, path.stat().st_size, path.stat().st_mtime_ns, "")


def test_a_file_given_to_a_dead_decoder_moves_on(vidx_home, library):
    # A decoder can die between the parent's last read and its next file: handing that file over must not
    # end the run (a broken pipe), and the file goes to a fresh decoder.
    red, green = library["red"], library["green"]
    pool = DecoderPool(load_settings(Home(vidx_home)), 1, [job(red)])
    try:
        dead = pool.decoders[0].process
        dead.kill()
        dead.wait()
        pool.add([job(green)])
        events = list(pool.events())
    finally:
        pool.close()
    ends = [(e.job.path, type(e)) for e in events if not isinstance(e, ClipReady)]
    assert ends == [(red, VideoFailed), (green, VideoDone)]
    assert events[0].error == f"{red}: the decoder crashed (exit code -9)"
    assert {e.job.path for e in events if isinstance(e, ClipReady)} == {green}
