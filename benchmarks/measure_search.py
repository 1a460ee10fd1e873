"""The query side: a cold `vidx query` process, and the index vidx picks at a million vectors."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import numpy as np
from harness import CACHE


def query_start(repeats: int) -> dict:
    """Seconds a cold `vidx query` process takes on the FP32 indexing run's home, and a bare OpenVINO import."""

    def timed(args: list[str], env: dict) -> float:
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run(args, env={**os.environ, **env}, capture_output=True, check=False)
            runs.append(time.perf_counter() - start)
        return round(statistics.median(runs), 3)

    home = CACHE / "index-fp32"
    query = [sys.executable, "-P", "-c", "from vidx.cli import main; main()", "query", "a person walking", "-k", "3"]
    return {
        "query_cold_s": timed(query, {"VIDX_HOME": str(home)}),
        "import_baseline_s": timed([sys.executable, "-c", "import openvino, openvino_tokenizers"], {}),
    }


def faiss_million(n: int, queries: int) -> dict:
    """The index vidx builds at `n` random 512-d vectors (the worst case for it: no runs of similar clips), from
    float16 rows as the writer leaves them: ms per single query and recall@10 against exact search."""
    import tempfile
    from pathlib import Path

    import faiss

    from vidx.store import index_build
    from vidx.store.index_reader import OpenIndex
    from vidx.store.segments import IndexState
    from vidx.store.vector_rows import VectorRows

    class Live:
        def ids(self, lo: int = 0) -> np.ndarray:
            return np.arange(max(lo, 1), n + 1, dtype=np.int64)

    rng = np.random.default_rng(0)
    probe = rng.standard_normal((queries, 512), dtype=np.float32)
    exact = faiss.IndexFlatIP(512)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        rows = VectorRows(Path(tmp), 512)
        for at in range(1, n + 1, 100_000):
            data = rng.standard_normal((min(100_000, n + 1 - at), 512), dtype=np.float32)
            rows.write(at, data)
            exact.add(rows.read(np.arange(at, at + len(data))))
        _, truth = exact.search(probe, 10)
        del exact
        start = time.perf_counter()
        state = index_build.save(
            Path(tmp), rows, IndexState(dim=512, rows=n + 1), Live(), np.zeros(0), min(n, 100_000)
        ).state
        build = time.perf_counter() - start
        # What a `vidx query` process pays first: reading the segments, mapping the rows, one query.
        start = time.perf_counter()
        index = OpenIndex(Path(tmp))
        index.refresh(state, np.zeros(0, np.int64), np.zeros(0, np.int64), lambda lo, hi: np.arange(lo, hi))
        index.search(probe[0], 10)
        opened = time.perf_counter() - start
        times, found = [], []
        for q in probe:
            t = time.perf_counter()
            _, ids = index.search(q, 10)
            times.append(time.perf_counter() - t)
            found.append(ids - 1)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
    return {
        "faiss_1m_open_mapped_s": round(opened, 3),
        "faiss_1m_ms": round(statistics.median(times) * 1000, 2),
        "faiss_1m_recall10": round(float(recall), 4),
        "faiss_index": f"{state.segments[0].file}: IVF-PQ segment + exact float16 re-ranking",
        "faiss_build_s": round(build, 1),
    }
