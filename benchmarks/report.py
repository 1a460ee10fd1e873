"""BENCHMARKS.md from the figures of a run of benchmarks/run.py: rewrite it without measuring again.

    python benchmarks/report.py

Reads benchmarks/cache/figures.json, which each run saves; useful after editing benchmarks/notes.md.
"""

from __future__ import annotations

import argparse
import json
import re

from harness import FIGURES, HERE, ROOT


def library_rows(f: dict, precision: str) -> list[str]:
    """The `vidx index` library lines: clips/s against bare inference and the ideal, then the same in CPU time."""
    p = precision
    stages = f[f"library_stages_{p}"]
    decoders = f[f"library_decoders_{p}"]
    cpu = f[f"library_cpu_ms_per_clip_{p}"]
    both = cpu["decode"] + cpu["inference"]
    what = f"`vidx index`, library of {f['library_files']} distinct 720p30 H.264 files ({f['library_seconds']:g} s"
    return [
        f"| {what}, {f[f'library_clips_{p}']} clips), clip.fps=10, {p.upper()} | "
        f"{f[f'library_realtime_x_{p}']}x real time, {f[f'library_clips_s_{p}']} clips/s = "
        f"{f[f'library_vs_inference_{p}']:.2f}x bare inference ({f[f'library_inference_clips_s_{p}']} clips/s), "
        f"{f[f'library_vs_ideal_{p}']:.2f}x the ideal {f[f'library_ideal_clips_s_{p}']} clips/s (decode-only "
        f"{f[f'library_decode_clips_s_{p}']} clips/s on one core); load average {f[f'library_load_{p}']:.1f} | "
        f"{stages['seconds']} s: decode {stages['decode_seconds']} s ({decoders} decoder{'s' * (decoders > 1)}), "
        f"embed {stages['embed_seconds']} s, write {stages['write_seconds']} s; peak RSS "
        f"{f[f'library_peak_rss_mb_{p}']} MB |",
        f"| the same run in CPU time per clip, {p.upper()} | `vidx index` {cpu['index']} ms, decode-only "
        f"{cpu['decode']} ms, bare inference {cpu['inference']} ms: with every core kept busy "
        f"{cpu['inference'] / cpu['index']:.2f}x bare inference, {both / cpu['index']:.2f}x the ideal | "
        "CPU time, which other tenants of the machine take little of |",
    ]


def active_rows(f: dict) -> list[str]:
    """The precision `vidx model quantize` chose: bare inference against FP32, the time to choose it, and
    `vidx index` with it."""
    if "active_precision" not in f:
        return []
    p = f["active_precision"]
    return [
        f"| active precision, chosen by `vidx model quantize`: {p} | {f['active_clips_s']:.2f} clips/s = "
        f"{f['active_vs_fp32']:.2f}x FP32, worst held-out cosine to FP32 {f['active_cos_min']} | "
        f"{f['active']['reason']} |",
        f"| `vidx model quantize --calibration ../shared/videos`: full and accuracy-controlled INT8, then every "
        f"candidate measured | {f['quantize_s']} s | NNCF's calibration and accuracy control |",
        f"| `vidx index`, 720p30 H.264, clip.fps=10, {p} (the home's setting after quantize) | "
        f"{f['index_realtime_x_active']}x real time | inference |",
    ]


def candidate_rows(f: dict) -> list[str]:
    """The candidates as `vidx model quantize` measured them, in its own process."""
    if not f.get("candidates"):
        return []
    return [
        "Candidates as `vidx model quantize` measured them (clips/s on its held-out clips, as `vidx index` runs "
        "the model):",
        "",
        "| precision | clips/s | worst cosine to FP32 | mean | top-1 agreement | accepted |",
        "|---|---|---|---|---|---|",
        *[
            f"| {c['precision']} | {c['clips_per_second']} | {c['cosine_min']} | {c['cosine_mean']} | "
            f"{c['top1_agreement']:.0%} | {'yes' if c['accepted'] else 'no'} |"
            for c in f["candidates"]
        ],
        "",
    ]


def markdown(f: dict) -> str:
    """The measured part of BENCHMARKS.md: the machine, the command, the table and the quantization report."""
    r = lambda a, b: f"{f[a] / f[b]:.2f}x"  # noqa: E731
    rows = [
        ("TF SavedModel, video branch", f"{f['tf_clips_s']:.2f} clips/s", "compute (TF CPU kernels)"),
        ("OpenVINO FP32 (INFERENCE_PRECISION_HINT=f32)", f"{f['ov_fp32_clips_s']:.2f} clips/s", "compute"),
        ("OpenVINO INT8 (NNCF)", f"{f['ov_int8_clips_s']:.2f} clips/s", "compute"),
    ]
    if "ov_int8_mixed_clips_s" in f:
        rows.append(
            (
                "OpenVINO accuracy-controlled INT8 (int8-mixed)",
                f"{f['ov_int8_mixed_clips_s']:.2f} clips/s",
                f"cos to fp32 min {f['int8_mixed_vs_fp32_cos_min']}",
            )
        )
    if "ov_bf16_clips_s" in f:
        rows.append(
            ("OpenVINO bf16", f"{f['ov_bf16_clips_s']:.2f} clips/s", f"cos to fp32 min {f['bf16_vs_fp32_cos_min']}")
        )
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {f['cpu']}, {f['cores']} cores, Python {f['python']}; CPU flags: {', '.join(f['cpu_flags'])}.",
        f"Command: `{f['command']}` ({f['total_s']} s). Model: a full-size S3D-G with random weights scaled on real "
        f"clips ({f['gflops_per_clip']} GFLOPs per 32x224x224 clip), imported and quantized through "
        "`vidx model import` and `vidx model quantize --calibration ../shared/videos`. All measured in this one run; "
        "inference rates are medians over rounds that time TF, FP32, INT8, accuracy-controlled INT8 and bf16 in turn.",
        "",
        "| what | figure | limited by |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        f"| INT8 / TF | {r('ov_int8_clips_s', 'tf_clips_s')} | |",
        f"| INT8 / FP32 | {r('ov_int8_clips_s', 'ov_fp32_clips_s')} | |",
        f"| FP32 / TF | {r('ov_fp32_clips_s', 'tf_clips_s')} | |",
        f"| INT8 vs FP32, min cosine on the real clips quantize held out | {f['int8_vs_fp32_cos_min']} | "
        "quantization recipe, and the model |",
        f"| FP32 IR vs TF, min cosine | {f['fp32_vs_tf_cos_min']} | |",
        f"| `vidx index`, 720p30 H.264, clip.fps=10, FP32 | {f['index_realtime_x_fp32']}x real time | inference |",
        f"| `vidx index`, 720p30 H.264, clip.fps=10, INT8 | {f['index_realtime_x_int8']}x real time | inference |",
        *active_rows(f),
        *[row for precision in ("int8", "fp32") for row in library_rows(f, precision)],
        f"| peak RSS while indexing | {f['peak_rss_mb']} MB | model weights and the clip queue |",
        f"| cold `vidx query` process | {f['query_cold_s']} s | importing OpenVINO |",
        f"| bare `import openvino, openvino_tokenizers` | {f['import_baseline_s']} s | |",
        f"| FAISS, 1M random 512-d vectors ({f['faiss_index']}) | {f['faiss_1m_ms']} ms/query, recall@10 "
        f"{f['faiss_1m_recall10']} | memory bandwidth |",
        f"| opening that index and answering one query (segments read, float16 rows memory-mapped) | "
        f"{f['faiss_1m_open_mapped_s']} s | reading the segments' codes |",
        "",
        f"Quantization report: `{json.dumps(f['quantization'])}`",
        "",
        *candidate_rows(f),
    ]
    return "\n".join(lines) + "\n"


def write(f: dict) -> None:
    """BENCHMARKS.md: the measured part, then the hand-written notes and the sections of other scripts
    (benchmarks/dupes.py writes its own, the Ray engine's and the cold query's are by hand), kept across runs.
    Every other section of BENCHMARKS.md stays as it is, after those: the scripts that write straight into it
    (scale.py, speech.py, said_query.py) and what was written by hand below their lines live nowhere else."""
    sections = ("notes.md", "dupes.md", "ray_engine.md", "cold_query.md")
    kept = [(HERE / name).read_text() for name in sections if (HERE / name).exists()]
    made = markdown(f) + "\n".join(kept)
    path = ROOT / "BENCHMARKS.md"
    ours = set(re.findall(r"^## .*$", made, re.M))
    old = path.read_text() if path.exists() else ""
    others = [s for s in re.split(r"(?m)^(?=## )", old) if s.startswith("## ") and s.splitlines()[0] not in ours]
    path.write_text("\n".join(part.rstrip("\n") + "\n" for part in [made, *others]))


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    write(json.loads(FIGURES.read_text()))


if __name__ == "__main__":
    main()
