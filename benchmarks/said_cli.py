"""`vidx query TEXT` against `vidx query TEXT --seen` as a user runs them: cold processes, alternating.

said_query.py times a `Library` held open (what `vidx serve` answers); this times the command, start-up included,
on the same catalogue (2,000 videos, 100,000 clips, 400,000 lines; kept in benchmarks/cache/said-home). Prints,
for each query, the medians of wall and CPU time (of the query's process) and their ratios, with the load average.

Usage: python benchmarks/said_cli.py [--rounds 10]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

import said_query
from harness import CACHE, cpu_seconds

import vidx

HOME = CACHE / "said-home"


def timed_query(text: str, mode: str) -> tuple[float, float]:
    """Wall and CPU seconds of one `vidx query` process."""
    args = [sys.executable, "-P", "-c", "from vidx.cli import main; main()", "query", text, "-k", "10"]
    if mode == "seen":
        args.append("--seen")
    used, started = cpu_seconds(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(args, env={**os.environ, "VIDX_HOME": str(HOME)}, capture_output=True, check=True)
    return time.perf_counter() - started, cpu_seconds(resource.RUSAGE_CHILDREN) - used


def built_once() -> None:
    """said_query.py's catalogue in HOME, built on first use and kept: the benchmarks of processes share it."""
    if not (HOME / "vidx.db").exists():
        with vidx.Library(HOME) as library:
            library.import_model(str(said_query.toy_model()))
            said_query.build(HOME, 2000, 50, 200, library.vector_space())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    built_once()
    load = os.getloadavg()[0]
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for round_ in range(args.rounds + 1):  # the first round warms the page cache and is dropped
        for name, text in said_query.QUERIES.items():
            for mode in ("seen", "both"):
                figures = timed_query(text, mode)
                if round_:
                    runs.setdefault((name, mode), []).append(figures)
    for name in said_query.QUERIES:
        seen, both = ([statistics.median(r[i] for r in runs[name, mode]) for i in (0, 1)] for mode in ("seen", "both"))
        print(
            f"{said_query.QUERIES[name]!r} ({name}): --seen {seen[0] * 1000:.0f} ms ({seen[1] * 1000:.0f} CPU), "
            f"both {both[0] * 1000:.0f} ms "
            f"({both[1] * 1000:.0f} CPU): {both[0] / seen[0]:.3f}x ({both[1] / seen[1]:.3f}x)"
        )
    print(f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
