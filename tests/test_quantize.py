"""NNCF INT8 of the video IR: the report, the cosine guard, and switching precision."""

from pathlib import Path

import pytest
from conftest import as_json

from vidx.config import Home
from vidx.model import registry

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quantized(tmp_path_factory, models, library):
    """One quantization for the module, in its own home (quantizing takes a few seconds)."""
    from click.testing import CliRunner

    from vidx.cli import cli

    home = tmp_path_factory.mktemp("qhome")
    runner = CliRunner(env={"VIDX_HOME": str(home)})
    assert runner.invoke(cli, ["model", "import", str(models["tf1"])]).exit_code == 0
    result = runner.invoke(
        cli, ["model", "quantize", "--calibration", str(library["root"]), "--clips", "8", "--heldout", "6"]
    )
    assert result.exit_code == 0, result.output
    return home, result


def test_report_is_printed_and_stored(quantized):
    home, result = quantized
    q = registry.active_manifest(Home(home)).quantization
    assert q["calibration_clips"] == 8 and q["heldout_clips"] == 6
    assert 0.985 <= q["cosine_min"] <= q["cosine_mean"] <= 1.0
    assert 0.0 <= q["top1_agreement"] <= 1.0
    assert q["accepted"] is True and q["guard"] == 0.985
    vnni = {"avx512_vnni", "avx_vnni", "amx_int8"} & set(Path("/proc/cpuinfo").read_text().split())
    assert q["overflow_fix"] == ("disable" if vnni else "first_layer_only")
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"INT8 vs FP32 on 6 held-out clips: cosine min {q['cosine_min']:.4f}, mean {q['cosine_mean']:.4f}; "
        f"text->clip top-1 agreement {q['top1_agreement']:.0%} (calibrated on 8 clips)"
    )
    assert lines[1] == "INT8 is now the active precision."
    assert (registry.active_dir(Home(home)) / "video-int8.xml").is_file()


def test_int8_index_still_answers(quantized, library):
    from click.testing import CliRunner

    from vidx.cli import cli

    home, _ = quantized
    runner = CliRunner(env={"VIDX_HOME": str(home)})
    assert runner.invoke(cli, ["index", str(library["root"] / "colours"), "--quiet"]).exit_code == 0
    for word in ("red", "green", "blue"):
        assert as_json(runner.invoke(cli, ["query", word, "--json"]))["results"][0]["path"] == str(library[word])


def test_guard_keeps_fp32(run, models, library, vidx_home):
    run("model", "import", models["tf1"])
    first = run("model", "quantize", "--calibration", library["root"], "--clips", "8", "--heldout", "6")
    q = registry.active_manifest(Home(vidx_home)).quantization
    assert q["cosine_min"] < 1.0, "the toy model must lose something to INT8 for the guard to be tested"
    assert first.stdout.splitlines()[1] == "INT8 is now the active precision."
    run("model", "use", "fp32")
    guard = round((q["cosine_min"] + 1.0) / 2, 6)
    strict = run(
        "--set",
        f"model.int8_min_cosine={guard}",
        "model",
        "quantize",
        "--calibration",
        library["root"],
        "--clips",
        "8",
        "--heldout",
        "6",
    )
    q2 = registry.active_manifest(Home(vidx_home)).quantization
    assert q2["accepted"] is False
    assert strict.stdout.splitlines()[1] == (
        f"Keeping fp32: min cosine {q2['cosine_min']:.4f} is below the guard model.int8_min_cosine = {guard}."
    )
    assert as_json(run("model", "info", "--json"))["precision"] == "fp32"
    refused = run("model", "use", "int8", check=False)
    assert refused.exit_code == 1
    assert refused.output.startswith("Error: The INT8 model failed its check (min cosine ")


def test_use_precision(run, models, library, vidx_home):
    run("model", "import", models["tf1"])
    no_int8 = run("model", "use", "int8", check=False)
    assert (no_int8.exit_code, no_int8.output) == (
        1,
        "Error: No INT8 model yet: run `vidx model quantize` first\n",
    )
    run("index", library["root"] / "colours", "--quiet")
    notice = "The index holds vectors of another precision: the next `vidx index` re-embeds all 3 videos."
    quantized = run("model", "quantize", "--calibration", library["root"], "--clips", "8", "--heldout", "6")
    assert quantized.stdout.splitlines()[1:] == ["INT8 is now the active precision.", notice]
    assert as_json(run("config", "--json"))["settings"]["model.precision"]["value"] == "int8"
    summary = as_json(run("index", "--json"))
    assert summary["changed"] == 3 and summary["clips_embedded"] >= 3
    assert as_json(run("index", "--json"))["unchanged"] == 3
    back = run("model", "use", "fp32")
    assert back.stdout == f"Precision set to fp32.\n{notice}\n"
    assert as_json(run("index", "--json"))["changed"] == 3


def test_quantize_needs_videos(run, models):
    run("model", "import", models["tf1"])
    result = run("model", "quantize", check=False)
    assert (result.exit_code, result.output) == (
        1,
        "Error: No videos to calibrate on: index some, or give --calibration FOLDER of real videos\n",
    )


def test_few_clips_keep_half_for_judging(run, models, library, vidx_home):
    run("model", "import", models["tf1"])
    folder = library["root"] / "colours"
    n = sum(len(as_json(run("embed", "video", video, "--json"))["clips"]) for video in sorted(folder.iterdir()))
    assert 2 <= n < 16, "the folder must hold fewer clips than the defaults ask for"
    run("model", "quantize", "--calibration", folder)
    q = registry.active_manifest(Home(vidx_home)).quantization
    assert (q["calibration_clips"], q["heldout_clips"]) == (n - n // 2, n // 2)
