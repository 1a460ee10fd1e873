"""A cold `vidx query` process beside a bare `import openvino, openvino_tokenizers`, timed in alternating runs.

    python benchmarks/cold_query.py [--home HOME] [--text TEXT] [--runs 7]

Without --home it indexes a small library with the test suite's toy model (built with TensorFlow, once per run)
in a temporary home. Each round runs the query and the bare import in its own fresh interpreter, in turn, the
order swapping every round, so that load on a shared machine falls on both alike. Prints one JSON line: the
medians, their ratio, every run, the machine and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = [sys.executable, "-c", "import openvino, openvino_tokenizers"]


def vidx(home: Path, *args: str) -> subprocess.CompletedProcess:
    """The real console entry point in a fresh interpreter, as a user runs it."""
    command = [sys.executable, "-P", "-c", "from vidx.cli import main; main()", *args]
    result = subprocess.run(command, env={**os.environ, "VIDX_HOME": str(home)}, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"vidx {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def toy_home(folder: Path) -> Path:
    """A home holding the toy model and an index of its six generated videos."""
    sys.path.insert(0, str(ROOT / "tests"))
    import toy_model
    import videos

    home = folder / "home"
    vidx(home, "model", "import", str(toy_model.build_tf1(folder / "model")))
    videos.make_library(folder / "videos")
    vidx(home, "index", str(folder / "videos"), "--quiet")
    return home


def seconds(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, every thread) of one process."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {done.stderr.decode().strip()}")
    return wall, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine() -> str:
    text = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"^Model name:\s*(.+)$", text, re.M)
    return model.group(1).strip() if model else platform.processor()


def measure(home: Path, text: str, runs: int) -> dict:
    query = [sys.executable, "-P", "-c", "from vidx.cli import main; main()", "query", text, "-k", "3"]
    vidx(home, "query", text, "-k", "3")  # once untimed: the OS caches the files, as for a user's second query
    wall: dict[str, list[float]] = {"query": [], "baseline": []}
    cpu: dict[str, list[float]] = {"query": [], "baseline": []}
    load = os.getloadavg()[0]
    for round_ in range(runs):
        pair = [("query", query, {"VIDX_HOME": str(home)}), ("baseline", BASELINE, {})]
        for name, command, env in pair if round_ % 2 == 0 else pair[::-1]:
            took, used = seconds(command, env)
            wall[name].append(round(took, 3))
            cpu[name].append(round(used, 3))
    median = {name: statistics.median(runs) for name, runs in wall.items()}
    median_cpu = {name: statistics.median(runs) for name, runs in cpu.items()}
    return {
        "query_cold_s": median["query"],
        "import_baseline_s": median["baseline"],
        "ratio": round(median["query"] / median["baseline"], 2),
        # On a shared machine CPU time varies less than the wall clock: other tenants' load hardly changes it.
        "query_cpu_s": median_cpu["query"],
        "import_baseline_cpu_s": median_cpu["baseline"],
        "cpu_ratio": round(median_cpu["query"] / median_cpu["baseline"], 2),
        "query_runs": wall["query"],
        "baseline_runs": wall["baseline"],
        "load_average": [round(load, 2), round(os.getloadavg()[0], 2)],  # at the start and at the end
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="An indexed home (default: a toy one, made for this run).")
    parser.add_argument("--text", default="red", help="What to query.")
    parser.add_argument("--runs", type=int, default=7, help="Rounds of one query and one bare import each.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or toy_home(Path(tmp))
        figures = measure(home, args.text, args.runs)
    command = "python benchmarks/cold_query.py" + "".join(f" {a}" for a in sys.argv[1:])
    print(json.dumps({**figures, "machine": machine(), "python": platform.python_version(), "command": command}))


if __name__ == "__main__":
    main()
