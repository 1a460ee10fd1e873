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
    query = [sys.executable, "-c", "from vidx.cli import main; main()", "query", "a person walking", "-k", "3"]
    return {
        "query_cold_s": timed(query, {"VIDX_HOME": str(home)}),
        "import_baseline_s": timed([sys.executable, "-c", "import openvino, openvino_tokenizers"], {}),
    }


def faiss_million(n: int, queries: int) -> dict:
    """The index vidx picks at `n` random 512-d vectors: ms per single query and recall@10 against exact search."""
    import faiss

    from vidx.store import vectors

    rng = np.random.default_rng(0)
    data = rng.standard_normal((n, 512), dtype=np.float32)
    probe = rng.standard_normal((queries, 512), dtype=np.float32)
    exact = faiss.IndexFlatIP(512)
    exact.add(data)
    _, truth = exact.search(probe, 10)
    start = time.perf_counter()
    index = vectors.build_index(np.arange(n, dtype=np.int64), data)
    build = time.perf_counter() - start
    vectors.search(index, probe[:1], 10)
    times, found = [], []
    for q in probe:
        t = time.perf_counter()
        _, ids = vectors.search(index, q[None], 10)
        times.append(time.perf_counter() - t)
        found.append(ids[0])
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
    # What a `vidx query` process pays first: opening the stored index, read whole or memory-mapped as vidx does.
    path = CACHE / "faiss-1m.faiss"
    vectors.save_index(index, path)
    kind = type(index).__name__ + "/" + vectors.describe(index)
    del index
    opened = {}
    for mapped in (False, True):
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            vectors.search(vectors.load_index(path, mapped), probe[:1], 10)
            runs.append(time.perf_counter() - start)
        opened[mapped] = round(statistics.median(runs), 3)
    path.unlink()
    return {
        "faiss_1m_open_full_s": opened[False],
        "faiss_1m_open_mapped_s": opened[True],
        "faiss_1m_ms": round(statistics.median(times) * 1000, 2),
        "faiss_1m_recall10": round(float(recall), 4),
        "faiss_index": kind,
        "faiss_build_s": round(build, 1),
    }
