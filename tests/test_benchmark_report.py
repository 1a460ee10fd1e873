"""benchmarks/report.py renders BENCHMARKS.md from a run's figures alone, without measuring anything."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import report  # noqa: E402


def _library(clips_s: float, cpu_index: float) -> dict:
    return {
        "clips": 97,
        "realtime_x": 16.4,
        "clips_s": clips_s,
        "vs_inference": 0.55,
        "inference_clips_s": 9.63,
        "vs_ideal": 0.83,
        "ideal_clips_s": 6.38,
        "decode_clips_s": 9.44,
        "load": 2.0,
        "stages": {"seconds": 17.67, "decode_seconds": 16.77, "embed_seconds": 16.79, "write_seconds": 0.01},
        "decoders": 1,
        "peak_rss_mb": 727,
        "cpu_ms_per_clip": {"decode": 110.6, "inference": 203.7, "index": cpu_index},
    }


FIGURES = {
    "cpu": "AMD EPYC",
    "cpu_flags": ["avx2", "avx512f"],
    "cores": 2,
    "python": "3.11.7",
    "command": "python benchmarks/run.py --json",
    "total_s": 464.8,
    "gflops_per_clip": 71.9,
    "tf_clips_s": 2.62,
    "ov_fp32_clips_s": 2.71,
    "ov_int8_clips_s": 9.43,
    "ov_bf16_clips_s": 5.16,
    "bf16_vs_fp32_cos_min": 0.99134,
    "int8_vs_fp32_cos_min": 0.96237,
    "fp32_vs_tf_cos_min": 1.0,
    "index_realtime_x_fp32": 6.24,
    "index_realtime_x_int8": 14.13,
    "library_files": 4,
    "library_seconds": 302.0,
    **{f"library_{k}_int8": v for k, v in _library(5.27, 356.9).items()},
    **{f"library_{k}_fp32": v for k, v in _library(2.25, 868.4).items()},
    "peak_rss_mb": 1025,
    "query_cold_s": 0.489,
    "import_baseline_s": 0.281,
    "faiss_index": "IndexIDMap2/PQ128x4 fast-scan + exact re-ranking",
    "faiss_1m_ms": 7.33,
    "faiss_1m_recall10": 0.9743,
    "faiss_1m_open_mapped_s": 0.128,
    "faiss_1m_open_full_s": 1.736,
    "quantization": {"cosine_min": 0.96237, "accepted": False},
}
CHOSEN = {
    "active_precision": "int8-mixed",
    "active_clips_s": 8.1,
    "active_vs_fp32": 2.99,
    "active_cos_min": 0.9872,
    "active": {"precision": "int8-mixed", "reason": "chosen by `vidx model quantize`: the fastest"},
    "quantize_s": 312.5,
    "index_realtime_x_active": 15.2,
    "candidates": [
        {
            "precision": "int8",
            "clips_per_second": 9.5,
            "cosine_min": 0.96,
            "cosine_mean": 0.98,
            "top1_agreement": 0.9333,
            "accepted": False,
        },
        {
            "precision": "fp32",
            "clips_per_second": 2.7,
            "cosine_min": 1.0,
            "cosine_mean": 1.0,
            "top1_agreement": 1.0,
            "accepted": True,
        },
    ],
}


def test_the_report_is_made_from_the_figures():
    lines = report.markdown(FIGURES).splitlines()
    assert lines[:4] == [
        "# Benchmarks",
        "",
        "Machine: AMD EPYC, 2 cores, Python 3.11.7; CPU flags: avx2, avx512f.",
        "Command: `python benchmarks/run.py --json` (464.8 s). Model: a full-size S3D-G with random weights scaled on "
        "real clips (71.9 GFLOPs per 32x224x224 clip), imported and quantized through `vidx model import` and `vidx "
        "model quantize --calibration ../shared/videos`. All measured in this one run; inference rates are medians "
        "over rounds that time TF, FP32, INT8, accuracy-controlled INT8 and bf16 in turn.",
    ]
    assert "| OpenVINO bf16 | 5.16 clips/s | cos to fp32 min 0.99134 |" in lines
    assert "| INT8 / TF | 3.60x | |" in lines
    assert (
        "| the same run in CPU time per clip, FP32 | `vidx index` 868.4 ms, decode-only 110.6 ms, bare inference "
        "203.7 ms: with every core kept busy 0.23x bare inference, 0.36x the ideal | CPU time, which other tenants of "
        "the machine take little of |"
    ) in lines
    assert lines[-2:] == ['Quantization report: `{"cosine_min": 0.96237, "accepted": false}`', ""]


def test_a_cpu_without_bf16_has_no_bf16_row():
    figures = {k: v for k, v in FIGURES.items() if k != "ov_bf16_clips_s"}
    assert not [line for line in report.markdown(figures).splitlines() if "bf16 |" in line]


def test_the_chosen_precision_and_the_candidates_are_reported():
    lines = report.markdown({**FIGURES, **CHOSEN}).splitlines()
    assert (
        "| active precision, chosen by `vidx model quantize`: int8-mixed | 8.10 clips/s = 2.99x FP32, worst held-out "
        "cosine to FP32 0.9872 | chosen by `vidx model quantize`: the fastest |"
    ) in lines
    assert (
        "| `vidx index`, 720p30 H.264, clip.fps=10, int8-mixed (the home's setting after quantize) | 15.2x real "
        "time | inference |" in lines
    )
    assert lines[-4:] == [
        "|---|---|---|---|---|---|",
        "| int8 | 9.5 | 0.96 | 0.98 | 93% | no |",
        "| fp32 | 2.7 | 1.0 | 1.0 | 100% | yes |",
        "",
    ]


def test_writing_keeps_the_sections_other_scripts_wrote_into_benchmarks_md(tmp_path, monkeypatch):
    """A run rewrites its table and the kept files' sections; the sections scale.py, speech.py and said_query.py
    write straight into BENCHMARKS.md, with what was written by hand below their lines, stay as they were."""
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "notes.md").write_text("## Notes\n\nnew notes\n")
    monkeypatch.setattr(report, "ROOT", tmp_path)
    monkeypatch.setattr(report, "HERE", tmp_path / "benchmarks")
    scale = "## The index at scale\n\nits lines\n\nwritten by hand below them\n"
    words = "## Words with pictures\n\nmore lines\n"
    (tmp_path / "BENCHMARKS.md").write_text(
        f"# Benchmarks\n\nan old table\n\n## Notes\n\nold notes\n\n{scale}\n{words}"
    )
    report.write(FIGURES)
    assert (tmp_path / "BENCHMARKS.md").read_text() == (
        f"{report.markdown(FIGURES)}## Notes\n\nnew notes\n\n{scale}\n{words}"
    )
