"""NNCF INT8 of the video IR, in full and with accuracy control; the choice of precision; switching by hand."""

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import as_json

from vidx.config import Home
from vidx.model import cpu, registry
from vidx.model.runtime import cpu_has_bf16

pytestmark = pytest.mark.slow

QUANTIZE = ("model", "quantize", "--clips", "8", "--heldout", "6")


def _expected_candidates() -> list[str]:
    return ["int8", "int8-mixed", *(["bf16"] if cpu_has_bf16() else []), "fp32"]


@pytest.fixture(scope="module")
def quantized_once(tmp_path_factory, models, library):
    """`vidx model import` of the toy model, then QUANTIZE calibrated on the library, once for the module (quantizing
    takes a few seconds), in a home no test changes: that home, and what quantize printed."""
    from click.testing import CliRunner

    from vidx.cli import cli

    home = tmp_path_factory.mktemp("qonce") / "home"
    runner = CliRunner(env={"VIDX_HOME": str(home)})
    assert runner.invoke(cli, ["model", "import", str(models["tf1"])]).exit_code == 0
    result = runner.invoke(cli, [*QUANTIZE, "--calibration", str(library["root"])])
    assert result.exit_code == 0, result.output
    return home, result


@pytest.fixture(scope="module")
def quantized(tmp_path_factory, quantized_once):
    """A copy of that home, shared by the tests that read the quantization (one of them then indexes in it)."""
    from click.testing import CliRunner

    from vidx.cli import cli

    once, result = quantized_once
    home = tmp_path_factory.mktemp("qhome") / "home"
    shutil.copytree(once, home, symlinks=True)
    info = CliRunner(env={"VIDX_HOME": str(home)}).invoke(cli, ["model", "info", "--json"])
    return home, result, json.loads(info.output)


@pytest.fixture
def quantized_home(quantized_once, vidx_home):
    """This test's home as `vidx model import` and QUANTIZE leave it: a copy of the module's."""
    shutil.copytree(quantized_once[0], vidx_home, symlinks=True)
    return vidx_home


def test_report_is_printed_and_stored(quantized):
    home, result, info = quantized
    q = registry.active_manifest(Home(home)).quantization
    assert q["calibration_clips"] == 8 and q["heldout_clips"] == 6
    assert 0.985 <= q["cosine_min"] <= q["cosine_mean"] <= 1.0
    assert 0.0 <= q["top1_agreement"] <= 1.0
    assert q["accepted"] is True and q["guard"] == 0.985
    assert q["reverted"] == 0, "INT8 already passes: accuracy control has nothing to revert"
    vnni = {"avx512_vnni", "avx_vnni", "amx_int8"} & set(Path("/proc/cpuinfo").read_text().split())
    assert q["overflow_fix"] == ("disable" if vnni else "first_layer_only")
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"INT8 vs FP32 on 6 held-out clips: cosine min {q['cosine_min']:.4f}, mean {q['cosine_mean']:.4f}; "
        f"text->clip top-1 agreement {q['top1_agreement']:.0%} (calibrated on 8 clips)"
    )
    assert lines[1] == "Candidates on this CPU, guard model.int8_min_cosine = 0.985:"
    candidates = info["candidates"]
    assert [c["precision"] for c in candidates] == _expected_candidates()
    assert [line.split()[0] for line in lines[2 : 2 + len(candidates)]] == _expected_candidates()
    active = info["active"]
    reason = info["chosen"]["reason"]
    # The toy model is too small for speed to separate the candidates: FP32, the default, may stay.
    changed = f"{active['precision']} is now the active precision: {reason}."
    assert lines[2 + len(candidates)] == (f"Keeping fp32: {reason}." if active["precision"] == "fp32" else changed)
    assert info["precision"] == active["precision"] == info["chosen"]["precision"]
    assert active["reason"] == f"chosen by `vidx model quantize`: {info['chosen']['reason']}"
    assert info["cpu"] == cpu.identity()
    folder = registry.active_dir(Home(home))
    for name in ("video-int8.xml", "video-int8-mixed.xml", "heldout.npy"):
        assert (folder / name).is_file()
    # A quantized IR's vectors are its own: quantizing again re-embeds even under the same precision name.
    manifest = registry.active_manifest(Home(home))
    digest = hashlib.sha256((folder / "video-int8.bin").read_bytes()).hexdigest()[:12]
    assert manifest.vector_space("int8") == f"{manifest.fingerprint[:16]}:int8@{digest}"
    assert manifest.vector_space("fp32") == f"{manifest.fingerprint[:16]}:fp32"


def test_the_fastest_accepted_candidate_is_active(quantized):
    _, _, info = quantized
    candidates = info["candidates"]
    assert {tuple(c) for c in candidates} == {
        ("precision", "clips_per_second", "cosine_min", "cosine_mean", "top1_agreement", "accepted")
    }
    passing = [c for c in candidates if c["accepted"]]
    assert info["active"]["precision"] == max(passing, key=lambda c: c["clips_per_second"])["precision"]
    fp32 = candidates[-1]
    assert (fp32["precision"], fp32["cosine_min"], fp32["accepted"]) == ("fp32", 1.0, True)


def test_int8_index_still_answers(quantized, library):
    from click.testing import CliRunner

    from vidx.cli import cli

    home, _, _ = quantized
    runner = CliRunner(env={"VIDX_HOME": str(home)})
    assert runner.invoke(cli, ["model", "use", "int8"]).exit_code == 0
    assert runner.invoke(cli, ["index", str(library["root"] / "colours"), "--quiet"]).exit_code == 0
    for word in ("red", "green", "blue"):
        assert as_json(runner.invoke(cli, ["query", word, "--json"]))["results"][0]["path"] == str(library[word])


def test_a_candidate_under_the_guard_is_never_active(run, library, quantized_home, vidx_home):
    q = registry.active_manifest(Home(vidx_home)).quantization
    assert q["cosine_min"] < 1.0, "the toy model must lose something to INT8 for the guard to be tested"
    run("model", "use", "fp32")
    guard = round((q["cosine_min"] + 1.0) / 2, 6)
    strict = run("--set", f"model.int8_min_cosine={guard}", *QUANTIZE, "--calibration", library["root"])
    manifest = registry.active_manifest(Home(vidx_home))
    candidates = {c["precision"]: c for c in manifest.candidates}
    assert manifest.quantization["accepted"] is False and candidates["int8"]["accepted"] is False
    assert manifest.chosen["precision"] != "int8"
    # Accuracy control kept the toy model's layers in float until the worst cosine reached the guard.
    assert manifest.quantization["reverted"] >= 1
    assert candidates["int8-mixed"]["cosine_min"] >= guard and candidates["int8-mixed"]["accepted"]
    line = next(line for line in strict.stdout.splitlines() if line.split()[:1] == ["int8"])
    assert line.endswith(", below the guard")
    below = manifest.chosen["reason"].split("; below it: ")[1].split(", ")
    assert f"int8 ({candidates['int8']['cosine_min']:g})" in below
    assert candidates[manifest.chosen["precision"]]["accepted"]
    assert as_json(run("model", "info", "--json"))["precision"] == manifest.chosen["precision"]
    refused = run("model", "use", "int8", check=False)
    assert refused.exit_code == 1
    assert refused.output == (
        f"Error: The INT8 model failed its check (min cosine {candidates['int8']['cosine_min']:.4f} < {guard}); "
        "quantize again with more clips\n"
    )


def test_a_home_measured_on_another_cpu_is_measured_again(run, library, quantized_home, vidx_home):
    folder = registry.active_dir(Home(vidx_home))
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    # The same CPU: nothing is measured again (marked speeds stay).
    for c in data["candidates"]:
        c["clips_per_second"] = 12345.0
    path.write_text(json.dumps(data))
    run("index", library["root"] / "colours", "--quiet")
    assert {c["clips_per_second"] for c in json.loads(path.read_text())["candidates"]} == {12345.0}
    # Another CPU: measured again, the choice made again and applied, before the run embeds anything.
    data["cpu"] = "Some Other CPU; avx2"
    data["chosen"] = {"precision": "bf16", "reason": "measured elsewhere", "guard": 0.985}
    path.write_text(json.dumps(data))
    run("index", library["root"] / "colours", "--quiet")
    again = json.loads(path.read_text())
    assert again["cpu"] == cpu.identity()
    assert 12345.0 not in {c["clips_per_second"] for c in again["candidates"]}
    assert again["chosen"]["reason"] != "measured elsewhere"
    info = as_json(run("model", "info", "--json"))
    assert info["precision"] == again["chosen"]["precision"]
    status = as_json(run("status", "--json"))
    assert status["precision"] == again["chosen"]["precision"]


def test_use_precision(run, models, library, vidx_home):
    run("model", "import", models["tf1"])
    no_int8 = run("model", "use", "int8", check=False)
    assert (no_int8.exit_code, no_int8.output) == (
        1,
        "Error: No INT8 model yet: run `vidx model quantize` first\n",
    )
    run("index", library["root"] / "colours", "--quiet")
    notice = "The index holds vectors of another precision: the next `vidx index` re-embeds all 3 videos."
    run(*QUANTIZE, "--calibration", library["root"])
    run("model", "use", "int8-mixed")
    assert as_json(run("config", "--json"))["settings"]["model.precision"]["value"] == "int8-mixed"
    info = as_json(run("model", "info", "--json"))
    if info["chosen"]["precision"] != "int8-mixed":
        assert info["active"] == {"precision": "int8-mixed", "reason": "set by `vidx model use`"}
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
