"""What the benchmark's measurements share: the machine, the real CLI in a process of its own, rates timed in
rounds, an OpenVINO runner and cosines."""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / "cache"
# Every figure of the last run of run.py, for report.py and for notes written after the run.
FIGURES = CACHE / "figures.json"

FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16")


def cpu() -> tuple[str, list[str]]:
    info = Path("/proc/cpuinfo").read_text()
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = next(line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags"))
    found = [f for f in FLAGS if f in flags]
    if any(f.startswith("amx") for f in found):
        found = [f for f in found if not f.startswith("amx")] + ["amx"]
    return name, found


def vidx(home: Path, *args: str, env: dict | None = None, rss: list | None = None) -> subprocess.CompletedProcess:
    """The real CLI in its own process, as a user runs it; `rss` receives the peak RSS of its process tree."""
    import psutil

    proc = subprocess.Popen(
        [sys.executable, "-P", "-c", "from vidx.cli import main; main()", *args],
        env={**os.environ, "VIDX_HOME": str(home), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    if rss is not None:
        tree = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                total = sum(p.memory_info().rss for p in [tree, *tree.children(recursive=True)])
            except psutil.Error:
                total = 0
            peak = max(peak, total)
            time.sleep(0.05)
        rss.append(peak // 2**20)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"vidx {' '.join(args)} failed ({proc.returncode}): {stderr[-2000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def interleaved_rates(runs: dict[str, Callable[[], object]], items: int, repeats: int) -> dict[str, float]:
    """Items per second of each run: median over `repeats` rounds that time every run in turn, after a warm-up.

    Rounds rather than one run after another, since this machine's speed drifts by 10% over minutes.
    """
    for run in runs.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: round(items / statistics.median(t), 2) for name, t in times.items()}


def openvino_runner(model, clips: np.ndarray, hint: str) -> tuple[Callable[[], None], np.ndarray]:
    """A run of a video IR (path or ov.Model) over `clips`, throughput hint, one clip per request, and the array
    its vectors land in."""
    import openvino as ov

    config = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "THROUGHPUT"}
    compiled = ov.Core().compile_model(model, "CPU", config)
    queue = ov.AsyncInferQueue(compiled)
    results = np.zeros((len(clips), 512), np.float32)

    def done(request, i):
        results[i] = request.get_output_tensor(0).data[0]

    queue.set_callback(done)

    def run():
        for i in range(len(clips)):
            queue.start_async({0: clips[i : i + 1]}, i)
        queue.wait_all()

    return run, results


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def cosine_min(a: np.ndarray, b: np.ndarray) -> float:
    return round(float(cosines(a, b).min()), 5)


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def write_section(heading: str, section: str, own_lines_end: str | None = None) -> None:
    """Put `section` (which starts with `heading`) into BENCHMARKS.md in place of the section there, or at its end.

    With `own_lines_end` (the last line a script writes), only the old section's lines up to it are replaced: what
    was written by hand below them stays. A section written whole, without that line, is replaced whole."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    whole = re.compile(re.escape(heading) + r".*?(?=^## |\Z)", re.S | re.M)
    own = re.compile(re.escape(heading) + r".*?" + re.escape(own_lines_end) + r"\n", re.S) if own_lines_end else None
    if own and own.search(text):
        text = own.sub(lambda _: section, text)
    elif whole.search(text):
        text = whole.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
