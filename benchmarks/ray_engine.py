"""The same library through the local engine and through the Ray engine on this machine: clips/s and start-up.

    python benchmarks/ray_engine.py [--rounds N]

Uses the full-size S3D stand-in of benchmarks/run.py (built once, cached under benchmarks/cache/), FP32, and the
real videos in ../shared/videos. Each run is the real `vidx index` in its own process with a fresh home. Start-up
is the wall time of a run over one short file (process, model compile, and for Ray: starting a local Ray, its
actors and their decoder children, then the file's two clips); the rate is the library's other clips over the
rest of its wall time. Prints a Markdown table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import inputs  # noqa: E402
from harness import CACHE, cpu, vidx  # noqa: E402
from model_setup import prepare_fp32  # noqa: E402

ENGINES = {
    "local": {},
    "ray, 2 workers x 1 CPU": {"VIDX_INDEX_ENGINE": "ray", "VIDX_RAY_CPUS_PER_WORKER": "1"},
    "ray, 1 worker x 2 CPUs": {"VIDX_INDEX_ENGINE": "ray", "VIDX_RAY_CPUS_PER_WORKER": "2"},
}


def timed_index(model: Path, library: Path, env: dict) -> tuple[float, dict]:
    home = CACHE / "ray-bench-home"
    shutil.rmtree(home, ignore_errors=True)
    (home / "models").mkdir(parents=True)
    (home / "models" / "active").symlink_to(model)
    start = time.perf_counter()
    summary = json.loads(vidx(home, "index", str(library), "--json", "--quiet", env=env).stdout)
    wall = time.perf_counter() - start
    assert not summary["failed"], summary["failed"]
    return wall, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="runs of each engine; the best is kept")
    args = parser.parse_args()
    model = prepare_fp32()
    library = inputs.SHARED
    short = CACHE / "short"
    short.mkdir(parents=True, exist_ok=True)
    shutil.copy(library / "carphone_distorted.mp4", short / "short.mp4")
    figures: dict[str, dict] = {}
    for _ in range(args.rounds):  # engines in turn: this machine's speed drifts over minutes
        for name, env in ENGINES.items():
            startup, tiny = timed_index(model, short, env)
            wall, summary = timed_index(model, library, env)
            clips = summary["clips_embedded"]
            best = figures.get(name)
            if best is None or wall < best["wall_s"]:
                figures[name] = {
                    "startup_s": round(startup, 1),
                    "wall_s": round(wall, 1),
                    "clips": clips,
                    "clips_per_s": round((clips - tiny["clips_embedded"]) / (wall - startup), 2),
                    "startup_clips": tiny["clips_embedded"],
                }
    name, flags = cpu()
    load = os.getloadavg()[0]
    print(f"Machine: {name}, 2 cores; CPU flags: {', '.join(flags)}; load average {load:.1f} at the end.")
    print(f"Command: `python benchmarks/ray_engine.py --rounds {args.rounds}`.")
    print(f"Library: {library} ({figures['local']['clips']} clips), full-size S3D stand-in, FP32.\n")
    print("| engine | start-up (a 2-clip file) | library wall time | clips/s after start-up |")
    print("|---|---|---|---|")
    for engine, f in figures.items():
        print(f"| {engine} | {f['startup_s']} s | {f['wall_s']} s | {f['clips_per_s']} |")
    print(json.dumps({"cpu": name, "cpu_flags": flags, "engines": figures}))


if __name__ == "__main__":
    main()
