"""`vidx model ...` and `vidx embed ...`: the model layer's entry points for users and scripts."""

from __future__ import annotations

from dataclasses import asdict

import click

from vidx.config import PRECISIONS
from vidx.errors import NoCalibrationVideos
from vidx.model.space import model_id

from .app import emit_json, pass_state


@click.group("model")
def model_group():
    """Import, inspect, quantize and choose the S3D MIL-NCE model."""


@model_group.command("import")
@click.argument("source", required=False)
@click.option("--force", is_flag=True, help="Convert again even if this exact model is installed.")
@pass_state
def import_command(state, source, force):
    """Import SOURCE (hub URL, SavedModel folder or .tar.gz; default: model.source) as OpenVINO IRs."""
    result = state.library().import_model(source, force)
    m, short = result.manifest, model_id(result.manifest.fingerprint)
    if result.skipped:
        click.echo(f"Already imported (fingerprint {short}): nothing to do; --force converts again.")
    else:
        click.echo(f"Imported {m.source}")
        click.echo(f"fingerprint {short}, converted in {m.conversion_seconds:.1f} s, into {result.folder}")


@model_group.command("import-speech")
@click.argument("source")
@click.option("--force", is_flag=True, help="Install again even if this exact model is installed.")
@pass_state
def import_speech_command(state, source, force):
    """Install a Whisper speech model: a CTranslate2 folder, a .tar.gz of one, or a size name (tiny, base, small,
    ...) fetched when online. `vidx index` then indexes what each video says."""
    lib = state.library()
    result = lib.import_speech(source, force)
    m = result.manifest
    if result.skipped:
        click.echo(f"Already installed (fingerprint {m.fingerprint[:16]}): nothing to do; --force installs again.")
        return
    click.echo(f"Installed the speech model {m.source}")
    click.echo(f"fingerprint {m.fingerprint[:16]}, {sum(m.files.values()) / 1e6:.0f} MB, into {result.folder}")
    if not lib.settings.speech.enabled:
        click.echo(f"Note: speech.enabled is off ({lib.settings.origins.get('speech.enabled', 'default')}).")


@model_group.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_state
def info_command(state, as_json):
    """Show the installed model: source, fingerprint, shapes, precision, files."""
    data = state.library().model_info()
    if as_json:
        emit_json(data)
        return
    click.echo(f"source: {data['source']}")
    click.echo(f"fingerprint: {data['fingerprint']}")
    click.echo(f"imported: {data['imported_at']} (vidx {data['vidx_version']}, OpenVINO {data['openvino_version']})")
    click.echo(f"precision in use: {data['precision']}")
    for name, shape in {**data["inputs"], **data["outputs"]}.items():
        click.echo(f"  {name}: {shape}")
    for role, f in data["files"].items():
        click.echo(f"  {role}: {f['xml']} ({f['bytes']} bytes)")
    if data["quantization"]:
        q = data["quantization"]
        click.echo(
            f"int8: cosine to fp32 min {q['cosine_min']:.4f} mean {q['cosine_mean']:.4f}, "
            f"top-1 agreement {q['top1_agreement']:.0%} on {q['heldout_clips']} held-out clips "
            f"({'accepted' if q['accepted'] else 'rejected'}, guard {q['guard']})"
        )
    if data["candidates"]:
        click.echo(f"candidates, measured on {data['cpu']}:")
        for line in _candidate_lines(data["candidates"]):
            click.echo(line)
    click.echo(f"active: {data['active']['precision']}, {data['active']['reason']}")
    click.echo(f"speech: {speech_line(data['speech'])}")


@model_group.command("quantize")
@click.option(
    "--calibration",
    type=click.Path(),
    help="Folder of real videos to calibrate on (default: the indexed library).",
)
# 64 calibration clips judged better than 16 on the full-size S3D stand-in (BENCHMARKS.md).
@click.option("--clips", "n_calib", default=64, show_default=True, help="Calibration clips.")
@click.option("--heldout", default=8, show_default=True, help="Held-out clips for the FP32 comparison.")
@pass_state
def quantize_command(state, calibration, n_calib, heldout):
    """Make INT8 video IRs with NNCF, in full and with accuracy control; the fastest precision whose worst
    cosine to FP32 on the held-out clips reaches model.int8_min_cosine becomes active."""
    lib = state.library()
    previous = lib.settings.model.precision
    try:
        done = lib.quantize(calibration, n_calib, heldout)
    except NoCalibrationVideos:
        raise NoCalibrationVideos(
            "No videos to calibrate on: index some, or give --calibration FOLDER of real videos"
        ) from None
    r, choice = done.report, done.choice
    click.echo(
        f"INT8 vs FP32 on {r.heldout_clips} held-out clips: cosine min {r.cosine_min:.4f}, mean {r.cosine_mean:.4f}; "
        f"text->clip top-1 agreement {r.top1_agreement:.0%} (calibrated on {r.calibration_clips} clips)"
    )
    click.echo(f"Candidates on this CPU, guard model.int8_min_cosine = {choice.guard}:")
    for line in _candidate_lines([asdict(c) for c in choice.candidates]):
        click.echo(line)
    if choice.active == previous:
        click.echo(f"Keeping {previous}: {choice.reason}.")
    else:
        click.echo(f"{choice.active} is now the active precision: {choice.reason}.")
        _reindex_notice(lib)


def _candidate_lines(candidates: list[dict]) -> list[str]:
    return [
        f"  {c['precision']:<10} {c['clips_per_second']:7.2f} clips/s, cosine to fp32 min {c['cosine_min']:.4f}, "
        f"top-1 agreement {c['top1_agreement']:.0%}{'' if c['accepted'] else ', below the guard'}"
        for c in candidates
    ]


def speech_line(speech: dict | None) -> str:
    """The speech model in one line, as `vidx model info` and `vidx status` show it."""
    if speech is None:
        return "none (vidx model import-speech SOURCE)"
    languages = "English" if speech["languages"] == 1 else f"{speech['languages']} languages"
    state = "" if speech["enabled"] else ", off (speech.enabled)"
    return f"{speech['source']} (fingerprint {speech['fingerprint'][:16]}, {languages}{state})"


def _bf16_line(report: dict) -> str:
    return (
        f"cosine to fp32 min {report['cosine_min']:.4f}, mean {report['cosine_mean']:.4f}, "
        f"top-1 agreement {report['top1_agreement']:.0%}"
    )


def _reindex_notice(lib) -> None:
    videos = lib.videos_to_reembed()
    if videos:
        click.echo(
            f"The index holds vectors of another precision: the next `vidx index` re-embeds all {videos} videos."
        )


@model_group.command("use")
@click.argument("precision", type=click.Choice(PRECISIONS))
@pass_state
def use_command(state, precision):
    """Switch the video model's precision by hand; the index is re-embedded on the next run."""
    lib = state.library()
    lib.use_precision(precision)
    click.echo(f"Precision set to {precision}.")
    if precision == "bf16":
        report = lib.model_info()["bf16_report"]
        click.echo(
            f"bf16: {_bf16_line(report)}." if report else "bf16 is unmeasured: `vidx model quantize` measures it."
        )
    origin = lib.settings.origins.get("model.precision", "")
    if origin.startswith(("env", "flag")):
        click.echo(f"Note: {origin} still overrides it.")
    _reindex_notice(lib)


@click.group("embed")
def embed_group():
    """Print raw model vectors, for debugging and scripts."""


@embed_group.command("text")
@click.argument("texts", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help='Print {"vectors": [[...], ...]}.')
@pass_state
def embed_text_command(state, texts, as_json):
    """Embed each TEXT with the text IR (no TensorFlow involved)."""
    vectors = state.library().embed_text(list(texts))
    if as_json:
        emit_json({"vectors": vectors.tolist()})
        return
    for text, v in zip(texts, vectors, strict=True):
        click.echo(
            f"{text!r}: {len(v)}-d, norm {float((v**2).sum() ** 0.5):.4f}, first {[round(float(x), 4) for x in v[:4]]}"
        )


@embed_group.command("video")
@click.argument("path", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help='Print {"path": ..., "clips": [{start, end, vector}, ...]}.')
@pass_state
def embed_video_command(state, path, as_json):
    """Embed PATH clip by clip, sampled as `vidx index` samples it."""
    from vidx.paths import existing_file

    target = existing_file(path)
    clips = state.library().embed_video(target)
    if as_json:
        out = [{"start": start, "end": end, "vector": v.tolist()} for start, end, v in clips]
        emit_json({"path": str(target), "clips": out})
        return
    for start, end, v in clips:
        click.echo(f"{start:8.2f}-{end:8.2f} s: {len(v)}-d")
