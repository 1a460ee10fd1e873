"""vidx benchmark: a full-size S3D through the real import/quantize path, measured side by side in one run.

    python benchmarks/run.py [--quick] [--json]

Writes BENCHMARKS.md at the repository root; --json also prints one line of figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import inputs
import report
import s3d_model
from harness import CACHE, FIGURES, cpu
from measure_indexing import indexing, library
from measure_inference import inference
from measure_search import faiss_million, query_start
from model_setup import prepare

# The figures --json prints, in this order.
JSON_KEYS = (
    "cpu_flags",
    "tf_clips_s",
    "ov_fp32_clips_s",
    "ov_int8_clips_s",
    "int8_vs_fp32_cos_min",
    "index_realtime_x_fp32",
    "index_realtime_x_int8",
    "library_realtime_x_int8",
    "library_realtime_x_fp32",
    "library_vs_inference_int8",
    "query_cold_s",
    "import_baseline_s",
    "faiss_1m_ms",
    "faiss_1m_recall10",
    "peak_rss_mb",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (under 12 minutes)")
    parser.add_argument("--json", action="store_true", help="print one JSON line of figures")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    # A minute of video even with --quick: on 20 s, process start and model compilation took most of the time.
    seconds = 60.0
    name, flags = cpu()
    started = time.perf_counter()
    calibration, clips = inputs.quantize_split()
    setup = prepare(calibration[: inputs.INIT_CLIPS])
    del calibration
    figures = {
        "cpu": name,
        "cpu_flags": flags,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "command": f"python benchmarks/run.py{' --quick' if args.quick else ''}{' --json' if args.json else ''}",
    }
    figures.update(inference(setup, clips, repeats))
    video = inputs.make_720p30(CACHE / f"video-{int(seconds)}s" / "bottles-720p30.mp4", seconds)
    figures.update(indexing(setup, video, seconds))
    figures.update(library(setup, clips))
    figures["peak_rss_mb"] = max(
        figures["peak_rss_mb_fp32"],
        figures["peak_rss_mb_int8"],
        figures["library_peak_rss_mb_fp32"],
        figures["library_peak_rss_mb_int8"],
    )
    figures.update(query_start(5 if args.quick else 9))
    figures.update(faiss_million(1_000_000, 100 if args.quick else 300))
    figures["total_s"] = round(time.perf_counter() - started, 1)
    figures["quantization"] = setup.info["quantization"]
    figures["gflops_per_clip"] = round(s3d_model.video_gflops(), 1)
    FIGURES.write_text(json.dumps(figures, indent=1))
    report.write(figures)
    if args.json:
        print(json.dumps({k: figures[k] for k in JSON_KEYS}))
    os._exit(0)  # OpenVINO 2026.4 can abort at interpreter shutdown once a string model was compiled


if __name__ == "__main__":
    main()
