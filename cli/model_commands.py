"""`vidx model ...` and `vidx embed ...`: the model layer's entry points for users and scripts."""

from __future__ import annotations

from pathlib import Path

import click

from vidx.config import PRECISIONS, VidxError, write_user_setting

from .app import cli, emit_json, pass_state
from .models import ensure_model, open_catalog


@cli.group("model")
def model_group():
    """Import, inspect, quantize and choose the S3D MIL-NCE model."""


@model_group.command("import")
@click.argument("source", required=False)
@click.option("--force", is_flag=True, help="Convert again even if this exact model is installed.")
@pass_state
def import_command(state, source, force):
    """Import SOURCE (hub URL, SavedModel folder or .tar.gz; default: model.source) as OpenVINO IRs."""
    from vidx.model.importer import import_model

    settings = state.settings()
    result = import_model(settings.home, source or settings.model.source, force=force)
    m = result.manifest
    if result.skipped:
        click.echo(f"Already imported (fingerprint {m.fingerprint[:16]}): nothing to do; --force converts again.")
    else:
        click.echo(f"Imported {m.source}")
        click.echo(f"fingerprint {m.fingerprint[:16]}, converted in {m.conversion_seconds:.1f} s, into {result.folder}")


@model_group.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_state
def info_command(state, as_json):
    """Show the installed model: source, fingerprint, shapes, precision, files."""
    from dataclasses import asdict

    from vidx.model.registry import active_dir, active_manifest

    settings = state.settings()
    manifest = active_manifest(settings.home)
    folder = active_dir(settings.home)
    files = {}
    for role, name in manifest.files.items():
        xml = folder / name
        files[role] = {
            "xml": str(xml),
            "bytes": xml.stat().st_size + xml.with_suffix(".bin").stat().st_size,
        }
    data = {**asdict(manifest), "precision": settings.model.precision, "folder": str(folder), "files": files}
    if as_json:
        emit_json(data)
        return
    click.echo(f"source: {manifest.source}")
    click.echo(f"fingerprint: {manifest.fingerprint}")
    click.echo(f"imported: {manifest.imported_at} (vidx {manifest.vidx_version}, OpenVINO {manifest.openvino_version})")
    click.echo(f"precision in use: {settings.model.precision}")
    for name, shape in {**manifest.inputs, **manifest.outputs}.items():
        click.echo(f"  {name}: {shape}")
    for role, f in files.items():
        click.echo(f"  {role}: {f['xml']} ({f['bytes']} bytes)")
    if manifest.bf16_report:
        click.echo(f"bf16: {_bf16_line(manifest.bf16_report)}")
    if manifest.quantization:
        q = manifest.quantization
        click.echo(
            f"int8: cosine to fp32 min {q['cosine_min']:.4f} mean {q['cosine_mean']:.4f}, "
            f"top-1 agreement {q['top1_agreement']:.0%} on {q['heldout_clips']} held-out clips "
            f"({'accepted' if q['accepted'] else 'rejected'}, guard {q['guard']})"
        )


def _calibration_paths(settings, folder: str | None) -> list[Path]:
    from vidx.indexer.walk import walk

    if folder:
        root = Path(folder).expanduser().absolute()
        if not root.is_dir():
            raise VidxError(f"{folder}: not a folder of videos")
        paths = list(walk(root, settings.index.extensions))
    else:
        catalog = open_catalog(settings)
        paths = [Path(v.path) for r in catalog.roots() for v in catalog.videos_under(r) if v.status == "ok"]
    if not paths:
        raise VidxError("No videos to calibrate on: index some, or give --calibration FOLDER of real videos")
    return paths


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
    """Make an INT8 video IR with NNCF; it becomes active only if it stays close to FP32."""
    from vidx.model.quantize import quantize

    settings = state.settings()
    ensure_model(settings)
    from vidx.indexer.decode import clips_in_turn

    paths = _calibration_paths(settings, calibration)
    clips = (clip.pixels for clip in clips_in_turn(paths, settings.clip))
    r = quantize(settings, clips, n_calib, heldout)
    click.echo(
        f"INT8 vs FP32 on {r.heldout_clips} held-out clips: cosine min {r.cosine_min:.4f}, mean {r.cosine_mean:.4f}; "
        f"text->clip top-1 agreement {r.top1_agreement:.0%} (calibrated on {r.calibration_clips} clips)"
    )
    from vidx.model.registry import active_manifest

    bf16 = active_manifest(settings.home).bf16_report
    if bf16:
        click.echo(f"bf16 beside them: {_bf16_line(bf16)}", err=True)
    if r.accepted:
        write_user_setting(settings.home, "model.precision", "int8")
        click.echo("INT8 is now the active precision.")
        _reindex_notice(settings, "int8")
    else:
        click.echo(
            f"Keeping {settings.model.precision}: min cosine {r.cosine_min:.4f} is below the guard "
            f"model.int8_min_cosine = {r.guard}."
        )


def _bf16_line(report: dict) -> str:
    return (
        f"cosine to fp32 min {report['cosine_min']:.4f}, mean {report['cosine_mean']:.4f}, "
        f"top-1 agreement {report['top1_agreement']:.0%}"
    )


def _reindex_notice(settings, precision: str) -> None:
    from vidx.model.registry import active_manifest

    if not settings.home.db.exists():
        return
    catalog = open_catalog(settings)
    stored = catalog.get_meta("vector_space")
    wanted = f"{active_manifest(settings.home).fingerprint[:16]}:{precision}"
    videos = catalog.counts()["videos"]
    if stored and stored != wanted and videos:
        click.echo(
            f"The index holds vectors of another precision: the next `vidx index` re-embeds all {videos} videos."
        )


@model_group.command("use")
@click.argument("precision", type=click.Choice(PRECISIONS))
@pass_state
def use_command(state, precision):
    """Switch the video model's precision (fp32, bf16 or int8); the index is re-embedded on the next run."""
    from vidx.model.registry import active_manifest
    from vidx.model.runtime import cpu_has_bf16

    settings = state.settings()
    manifest = active_manifest(settings.home)
    if precision == "int8":
        q = manifest.quantization
        if not q:
            raise VidxError("No INT8 model yet: run `vidx model quantize` first")
        if not q["accepted"]:
            raise VidxError(
                f"The INT8 model failed its check (min cosine {q['cosine_min']:.4f} < {q['guard']}); "
                "quantize again with more clips"
            )
    if precision == "bf16" and not cpu_has_bf16():
        raise VidxError("This CPU has no bf16 support (AVX512_BF16 or AMX); use fp32 or int8")
    write_user_setting(settings.home, "model.precision", precision)
    click.echo(f"Precision set to {precision}.")
    if precision == "bf16":
        report = manifest.bf16_report
        click.echo(
            f"bf16: {_bf16_line(report)}." if report else "bf16 is unmeasured: `vidx model quantize` measures it."
        )
    if settings.origins.get("model.precision", "").startswith(("env", "flag")):
        click.echo(f"Note: {settings.origins['model.precision']} still overrides it.")
    _reindex_notice(settings, precision)


@cli.group("embed")
def embed_group():
    """Print raw model vectors, for debugging and scripts."""


@embed_group.command("text")
@click.argument("texts", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help='Print {"vectors": [[...], ...]}.')
@pass_state
def embed_text_command(state, texts, as_json):
    """Embed each TEXT with the text IR (no TensorFlow involved)."""
    from vidx.model.runtime import TextEncoder

    settings = state.settings()
    vectors = TextEncoder(settings.home, ensure_model(settings)).embed(list(texts))
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
    from vidx.indexer.decode import video_clips
    from vidx.model.runtime import VideoEncoder

    settings = state.settings()
    c = settings.clip
    target = Path(path).expanduser().absolute()
    if not target.is_file():
        raise VidxError(f"{path}: no such file")
    encoder = VideoEncoder(settings.home, settings.model.precision, c.frames, c.size, ensure_model(settings))
    out = []
    batch = []

    def flush():
        vecs = encoder.embed([b.pixels for b in batch])
        out.extend({"start": b.start, "end": b.end, "vector": v.tolist()} for b, v in zip(batch, vecs, strict=True))
        batch.clear()

    for clip in video_clips(target, c):
        batch.append(clip)
        if len(batch) == settings.index.batch:
            flush()
    if batch:
        flush()
    if as_json:
        emit_json({"path": str(target), "clips": out})
        return
    for clip in out:
        click.echo(f"{clip['start']:8.2f}-{clip['end']:8.2f} s: {len(clip['vector'])}-d")
