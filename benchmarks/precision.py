"""The precision goals alone, side by side in one run, for a machine too busy for benchmarks/run.py: each
candidate's bare inference on the clips `vidx model quantize` holds out, against FP32, and its worst cosine; the
precision vidx chose; then `vidx index` of the 120-s 720p30 video with it.

    python benchmarks/precision.py [--quantize] [--index N]

Uses the stand-in under benchmarks/cache/home (run.py, or `model_setup.prepare_fp32`, imports it there);
--quantize runs `vidx model quantize --calibration ../shared/videos` on it first and times it. Every figure
carries the load average it was taken at: on a shared machine wall-clock rates are a fraction of what it
gives alone, CPU time much less so. Prints one JSON line; BENCHMARKS.md is not touched.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import inputs
from harness import CACHE, cosine_min, cpu, cpu_seconds, interleaved_rates, openvino_runner, vidx
from model_setup import Prepared, fresh_home

VIDEO_SECONDS = 120.0


def load() -> float:
    return round(os.getloadavg()[0], 2)


def timed_vidx(home: Path, *args: str, env: dict | None = None) -> tuple[str, dict]:
    """The real CLI: its stdout, and wall seconds, CPU seconds of its whole process tree, peak RSS and the
    load average at its start and end."""
    rss: list[int] = []
    before, start, at_start = cpu_seconds(resource.RUSAGE_CHILDREN), time.perf_counter(), load()
    result = vidx(home, *args, env=env, rss=rss)
    wall = time.perf_counter() - start
    used = cpu_seconds(resource.RUSAGE_CHILDREN) - before
    return result.stdout, {
        "wall_s": round(wall, 1),
        "cpu_s": round(used, 1),
        "peak_rss_mb": rss[0],
        "load": [at_start, load()],
    }


def candidates(folder: Path, active: str) -> dict:
    """Bare inference of every candidate on the held-out clips, timed in rounds in turn, with its CPU per clip
    and its worst cosine to FP32."""
    from vidx.model.runtime import cpu_has_bf16

    _, clips = inputs.quantize_split()
    variants = {"fp32": ("video.xml", "f32"), "int8": ("video-int8.xml", "f32")}
    variants["int8-mixed"] = ("video-int8-mixed.xml", "f32")
    if cpu_has_bf16():
        variants["bf16"] = ("video.xml", "bf16")
    runs, vectors, cpu_ms = {}, {}, {}
    for name, (xml, hint) in variants.items():
        runs[name], vectors[name] = openvino_runner(str(folder / xml), clips, hint)
    at_start = load()
    for name, run in runs.items():  # CPU per clip, which other tenants of the machine take little of
        before = cpu_seconds(resource.RUSAGE_SELF)
        run()
        cpu_ms[name] = round(1000 * (cpu_seconds(resource.RUSAGE_SELF) - before) / len(clips), 1)
    rates = interleaved_rates(runs, len(clips), 3)
    out: dict = {"clips": len(clips), "load": [at_start, load()]}
    for name in variants:
        out[name] = {
            "clips_s": rates[name],
            "vs_fp32": round(rates[name] / rates["fp32"], 2),
            "cpu_ms_per_clip": cpu_ms[name],
            "cpu_vs_fp32": round(cpu_ms["fp32"] / cpu_ms[name], 2),
            "cos_min": cosine_min(vectors["fp32"], vectors[name]),
        }
    out["active_precision"] = active
    out["active_clips_s"] = rates[active]
    out["active_cos_min"] = out[active]["cos_min"]
    out["active_vs_fp32"] = out[active]["vs_fp32"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quantize", action="store_true", help="run and time `vidx model quantize` first")
    parser.add_argument("--index", type=int, default=1, metavar="N", help="`vidx index` runs of the video")
    args = parser.parse_args()
    home = CACHE / "home"
    out: dict = {"cpu": cpu()[0], "cpu_flags": cpu()[1], "cores": os.cpu_count()}
    # Made first: `vidx index` waits for a file modified in the last index.settle_seconds, which the timing would count.
    video = inputs.make_720p30(CACHE / f"video-{int(VIDEO_SECONDS)}s" / "bottles-720p30.mp4", VIDEO_SECONDS)
    if args.quantize:
        _, out["quantize"] = timed_vidx(home, "model", "quantize", "--calibration", str(inputs.SHARED))
    info = json.loads(vidx(home, "model", "info", "--json").stdout)
    setup = Prepared(Path(), home, info, out.get("quantize", {}).get("wall_s", 0.0))
    out["chosen"] = {c["precision"]: c for c in info["candidates"]}
    out["reverted"] = info["quantization"]["reverted"]
    out.update(candidates(setup.folder, setup.active))
    out["index"] = []
    for _ in range(args.index):
        # A fresh home each run (nothing to skip) but for OpenVINO's compile cache, which the first run fills;
        # the precision `vidx model quantize` set in the stand-in's home, every other setting at its default.
        run_home = fresh_home("index-precision", setup)
        env = {"VIDX_MODEL_PRECISION": setup.active}
        stdout, figures = timed_vidx(run_home, "index", str(video.parent), "--json", "--quiet", env=env)
        summary = json.loads(stdout)
        assert summary["added"] and not summary["failed"], summary
        figures["realtime_x"] = round(VIDEO_SECONDS / figures["wall_s"], 2)
        # What the cores would give this run's CPU time with nothing else running and no core ever idle: the
        # bound a loaded machine's wall clock cannot show.
        figures["realtime_x_cpu_bound"] = round(VIDEO_SECONDS * out["cores"] / figures["cpu_s"], 2)
        stages = ("clips_embedded", "seconds", "decode_seconds", "embed_seconds", "write_seconds")
        figures["stages"] = {k: summary[k] for k in stages}
        out["index"].append(figures)
    print(json.dumps(out))
    os._exit(0)  # OpenVINO 2026.4 can abort at interpreter shutdown once a string model was compiled


if __name__ == "__main__":
    main()
