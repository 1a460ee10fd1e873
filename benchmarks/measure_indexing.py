"""End-to-end `vidx index`: one 720p30 video, then a library of them against the ideal that this run's
decode-only and inference-only rates allow."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import inputs
import numpy as np
from harness import CACHE, cpu_seconds, openvino_runner, vidx
from model_setup import Prepared, fresh_home


def index_run(home: Path, folder: Path, precision: str) -> tuple[dict, float, int]:
    """`vidx index --json` of `folder`: its summary, wall seconds and peak RSS (MB) of its process tree."""
    rss: list[int] = []
    start = time.perf_counter()
    result = vidx(home, "index", str(folder), "--json", "--quiet", env={"VIDX_MODEL_PRECISION": precision}, rss=rss)
    wall = time.perf_counter() - start
    vidx(home, "roots", "remove", str(folder))
    summary = json.loads(result.stdout)
    assert summary["added"] and not summary["failed"], summary
    return summary, wall, rss[0]


def indexing(setup: Prepared, video: Path, seconds: float) -> dict:
    """End-to-end `vidx index` of the 720p30 video at the default sampling: FP32, INT8 and the precision
    `vidx model quantize` chose (the home's own setting after it), each once."""
    out = {}
    for precision in dict.fromkeys(("fp32", "int8", setup.active)):
        _, wall, rss = index_run(fresh_home(f"index-{precision}", setup), video.parent, precision)
        out[f"index_realtime_x_{precision.replace('-', '_')}"] = round(seconds / wall, 2)
        out[f"peak_rss_mb_{precision.replace('-', '_')}"] = rss
    out["index_realtime_x_active"] = out[f"index_realtime_x_{setup.active.replace('-', '_')}"]
    return out


def decode_rate(paths: list[Path]) -> tuple[float, int]:
    """Clips per second one decoder cuts from `paths` on one core, as in `vidx index` (its own process, one
    thread, default clip settings), and the number of clips."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from vidx.config.settings import ClipSettings\n"
        "from vidx.media.decode import video_clips\n"
        "from vidx.media.opening import single_threaded\n"
        "single_threaded()\n"
        "clip = ClipSettings()\n"
        "start = time.perf_counter()\n"
        "n = sum(1 for p in sys.argv[1:] for _ in video_clips(Path(p), clip))\n"
        "print(n, time.perf_counter() - start)\n"
    )
    command = [sys.executable, "-P", "-c", code, *map(str, paths)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    clips, seconds = out.stdout.split()
    return round(int(clips) / float(seconds), 2), int(clips)


def alone(paths: list[Path], bare: Callable[[], None], clips: int) -> dict:
    """Decode-only over `paths`, then bare inference of as many clips (whole rounds of `clips`): rates and CPU."""
    before = cpu_seconds(resource.RUSAGE_CHILDREN)
    decode, count = decode_rate(paths)
    decode_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - before
    rounds = -(-count // clips)
    before, start = cpu_seconds(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(rounds):
        bare()
    infer = rounds * clips / (time.perf_counter() - start)
    infer_cpu = cpu_seconds(resource.RUSAGE_SELF) - before
    return {
        "decode": decode,
        "infer": infer,
        "decode_ms": 1000 * decode_cpu / count,
        "infer_ms": 1000 * infer_cpu / (rounds * clips),
        "clips": count,
    }


def library(setup: Prepared, clips: np.ndarray) -> dict:
    """`vidx index` of a library of distinct 720p30 files (five minutes in all), INT8 and FP32, against the
    ideal from this run's decode-only and inference-only rates.

    Each precision's run sits between two decode-only and two inference-only measurements (as many clips as the
    library), whose means make its ideal: on n cores a clip costs 1/decode core-seconds of decoding and
    n/inference of inference, so with decoding and inference overlapping perfectly the rate is
    n / (1/decode + n/inference). CPU milliseconds per clip of each are recorded too: other tenants of the
    machine take wall-clock time from each measurement unevenly, CPU time much less so.
    """
    from vidx.config import Home, load_settings
    from vidx.indexer.budget import budget, cores

    paths, seconds = inputs.make_library(CACHE / "library")
    folder = CACHE / "library"
    n = cores()
    out = {"library_files": len(paths), "library_seconds": seconds}
    for precision in ("int8", "fp32"):
        xml = str(setup.folder / ("video-int8.xml" if precision == "int8" else "video.xml"))
        bare, _ = openvino_runner(xml, clips, "f32")
        bare()
        home = fresh_home(f"library-{precision}", setup)
        decoders = budget(load_settings(Home(home), {"model.precision": precision}), n).decoders
        before = alone(paths, bare, len(clips))
        start = cpu_seconds(resource.RUSAGE_CHILDREN)
        summary, wall, rss = index_run(home, folder, precision)
        index_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - start
        after = alone(paths, bare, len(clips))
        count = summary["clips_embedded"]
        assert count == before["clips"] == after["clips"], (summary, before, after)
        mean = {k: (before[k] + after[k]) / 2 for k in ("decode", "infer", "decode_ms", "infer_ms")}
        ideal = min(mean["infer"], decoders * mean["decode"], n / (1 / mean["decode"] + n / mean["infer"]))
        rate = count / wall
        out.update(
            {
                f"library_clips_s_{precision}": round(rate, 2),
                f"library_realtime_x_{precision}": round(seconds / wall, 1),
                f"library_inference_clips_s_{precision}": round(mean["infer"], 2),
                f"library_decode_clips_s_{precision}": round(mean["decode"], 2),
                f"library_ideal_clips_s_{precision}": round(ideal, 2),
                f"library_vs_ideal_{precision}": round(rate / ideal, 3),
                f"library_vs_inference_{precision}": round(rate / mean["infer"], 3),
                f"library_stages_{precision}": {
                    k: summary[k] for k in ("seconds", "decode_seconds", "embed_seconds", "write_seconds")
                },
                f"library_cpu_ms_per_clip_{precision}": {
                    "decode": round(mean["decode_ms"], 1),
                    "inference": round(mean["infer_ms"], 1),
                    "index": round(1000 * index_cpu / count, 1),
                },
                f"library_peak_rss_mb_{precision}": rss,
                f"library_clips_{precision}": count,
                f"library_decoders_{precision}": decoders,
                f"library_load_{precision}": os.getloadavg()[0],
            }
        )
    return out
