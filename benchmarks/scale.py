"""The index at N clips: a home built through vidx's own writer, then queried, added to and deleted from by cron.

    python benchmarks/scale.py --clips 1000000 [--home DIR] [--random] [--per-video 100] --json

Clips are 512-d vectors with the structure of real ones, as benchmarks/dupes.py makes them (each video a random walk:
runs of similar clips), or plain random vectors with --random. The home gets the toy model (tests/toy_model.py), so
`VIDX_HOME=DIR vidx query`, `vidx serve` and `vidx index` work on it; its videos are empty files under DIR/synthetic/
(a search checks that each hit's file is there, and that check is timed too). Query figures time the read path from a
query vector as a Library held open runs it (whether the index is empty, search_vector, the moments), recall@10 is
against an exact scan of the stored rows, and the cron figures are `/usr/bin/time -v` of `vidx index FOLDER` adding
one 1-minute video, then deleting it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from dupes import CLIP, DIM, blur, walks  # noqa: E402

QUERIES = 200
WORDS = ["red", "green", "blue", "brightening", "darkening", "moving"]


def videos(rng, clips: int, per_video: int, random: bool):
    """Batches of videos, [count, per_video, DIM], normalised, a thousand videos at a time."""
    total = clips // per_video
    for at in range(0, total, 1000):
        count = min(1000, total - at)
        if random:
            batch = rng.standard_normal((count, per_video, DIM), dtype=np.float32)
        else:
            batch = walks(rng, count, per_video)
        yield batch / np.linalg.norm(batch, axis=2, keepdims=True)


def vidx(home: Path, *args: str, timed: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-P", "-m", "vidx", *args]
    if timed:
        command = ["/usr/bin/time", "-v", *command]
    env = {**os.environ, "VIDX_HOME": str(home)}
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True)


def import_toy_model(home: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(ROOT / "tests" / "toy_model.py"), tmp], check=True, capture_output=True)
        vidx(home, "model", "import", tmp)


def build(home: Path, args) -> tuple[float, int]:
    """Every video through CatalogWriter.save_video, as `vidx index` stores them; (seconds, peak RSS in MB)."""
    from vidx import Library
    from vidx.store import ClipVector, VideoInfo
    from vidx.store.catalog_writer import CatalogWriter

    started = time.perf_counter()
    folder = home / "synthetic"
    folder.mkdir(exist_ok=True)
    with Library(home) as library:
        rng = np.random.default_rng(0)
        number = 0
        with CatalogWriter(library.catalog) as writer:
            root = writer.add_root(folder)
            writer.set_meta("vector_space", library.vector_space())
            for batch in videos(rng, args.clips, args.per_video, args.random):
                for vectors in batch:
                    clips = [ClipVector(j, j * CLIP, (j + 1) * CLIP, v) for j, v in enumerate(vectors)]
                    info = VideoInfo(f"{number:016x}", len(vectors) * CLIP, 10.0, len(vectors) * 32)
                    path = folder / f"{number:08d}.mp4"
                    path.touch()
                    writer.save_video(root, str(path), (1, 1), info, clips)
                    number += 1
    return time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def exact_top10(catalog, queries: np.ndarray) -> np.ndarray:
    """The true top 10 of each query, by scanning every stored row a chunk at a time."""
    ids = np.array([r[0] for r in catalog.db.execute("select id from clips order by id")], np.int64)
    best_scores = np.full((len(queries), 10), -np.inf, np.float32)
    best_ids = np.zeros((len(queries), 10), np.int64)
    for at in range(0, len(ids), 200_000):
        chunk = ids[at : at + 200_000]
        scores = queries @ catalog.vectors(chunk).T
        scores = np.concatenate([best_scores, scores], axis=1)
        found = np.concatenate([best_ids, np.broadcast_to(chunk, (len(queries), len(chunk)))], axis=1)
        order = np.argsort(-scores, axis=1)[:, :10]
        best_scores, best_ids = np.take_along_axis(scores, order, 1), np.take_along_axis(found, order, 1)
    return best_ids


def warm_queries(home: Path, args) -> dict:
    """p50/p99 of the read path with the index held open, and recall@10 of the clips it returns."""
    from vidx import Library
    from vidx.searcher import search_vector
    from vidx.searcher.moments import with_moments

    rng = np.random.default_rng(1)
    with Library(home) as library:
        catalog = library.catalog
        top = catalog.index_state().rows
        if args.random:
            queries = rng.standard_normal((QUERIES, DIM), dtype=np.float32)
        else:
            queries = blur(rng, catalog.vectors(np.sort(rng.choice(np.arange(1, top), QUERIES))), 0.7)
        queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
        catalog.nearest(queries[0], 10)  # the first query opens the index
        times, cpu = [], []
        for query in queries:
            started, started_cpu = time.perf_counter(), time.thread_time()
            # What a Library's search does with a query vector (vidx.searching: Searching._nearest).
            library.is_empty()
            hits = search_vector(catalog, query, 10)
            with_moments(catalog, query, hits, library.settings.search.moment_margin)
            times.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)
        found = [[n.clip.id for n in catalog.nearest(q, 10)[0]] for q in queries]
        truth = exact_top10(catalog, queries)
    recall = np.mean([len(set(f) & set(t.tolist())) / 10 for f, t in zip(found, truth, strict=True)])
    return {
        "query_p50_ms": round(float(np.percentile(times, 50)) * 1000, 2),
        "query_p99_ms": round(float(np.percentile(times, 99)) * 1000, 2),
        # The same queries' CPU time: what the wall time would be on cores of its own (the load on a shared machine
        # adds the wait for a core).
        "query_cpu_p50_ms": round(float(np.percentile(cpu, 50)) * 1000, 2),
        "query_cpu_p99_ms": round(float(np.percentile(cpu, 99)) * 1000, 2),
        "recall_at_10": round(float(recall), 4),
    }


ANON = "import atexit, sys\natexit.register(lambda: print([l for l in open('/proc/self/status') if l.startswith('RssAnon')][0], file=sys.stderr))\n"  # noqa: E501


def cold_query(home: Path) -> dict:
    """`vidx query` in a new process: the median wall and CPU (user + system) time of three, and its anonymous
    memory at exit."""
    env = {**os.environ, "VIDX_HOME": str(home)}
    times, cpu, anon = [], [], []
    for word in WORDS[:3]:
        code = ANON + f"from vidx.cli import main\nsys.argv = ['vidx', 'query', {word!r}, '--json']\nmain()"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-P", "-c", code], env=env, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        anon.append(int(re.search(r"RssAnon:\s+(\d+)", done.stderr).group(1)) // 1024)
    return {
        "cold_query_seconds": round(float(np.median(times)), 3),
        "cold_query_cpu_seconds": round(float(np.median(cpu)), 3),
        "query_anon_rss_mb": max(anon),
    }


def one_minute_video(path: Path) -> Path:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (96, 64))
    for i in range(600):
        writer.write(np.full((64, 96, 3), (i * 7 % 256, 90, 255 - i % 256), np.uint8))
    writer.release()
    return path


def time_v(result: subprocess.CompletedProcess) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in MB and bytes written, from /usr/bin/time -v."""
    text = result.stderr
    clock = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", text)
    hours, minutes, seconds = int(clock.group(1) or 0), int(clock.group(2)), float(clock.group(3))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) // 1024
    written = int(re.search(r"File system outputs: (\d+)", text).group(1)) * 512
    return hours * 3600 + minutes * 60 + seconds, rss, written


def cron(home: Path) -> dict:
    """`vidx index` of a folder that gained one 1-minute video, then of the same folder once it is deleted."""
    folder = home / "cron"
    video = one_minute_video(folder / "phone.mp4")
    an_hour_ago = time.time() - 3600  # a file modified just now would be waited for (index.settle_seconds)
    os.utime(video, (an_hour_ago, an_hour_ago))
    added = vidx(home, "index", str(folder), "--json", timed=True)
    assert json.loads(added.stdout)["added"] == 1, added.stdout
    add_seconds, add_rss, add_written = time_v(added)
    video.unlink()
    deleted = vidx(home, "index", str(folder), "--json", timed=True)
    assert json.loads(deleted.stdout)["removed"] == 1, deleted.stdout
    delete_seconds, _, _ = time_v(deleted)
    return {
        "add_seconds": round(add_seconds, 2),
        "add_peak_rss_mb": add_rss,
        "add_bytes_written": add_written,
        "delete_seconds": round(delete_seconds, 2),
    }


def home_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, required=True)
    parser.add_argument("--home", type=Path, help="Build the home here and keep it (default: a temporary folder).")
    parser.add_argument("--random", action="store_true", help="Plain random vectors instead of runs of clips.")
    parser.add_argument("--per-video", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="Print one JSON line of figures.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "home"
        home.mkdir(parents=True, exist_ok=True)
        import_toy_model(home)
        load = [os.getloadavg()[0]]  # on a shared machine, what every time below was measured under
        seconds, peak = build(home, args)
        figures = {"clips": args.clips, "build_seconds": round(seconds, 1), "build_peak_rss_mb": peak}
        load.append(os.getloadavg()[0])
        figures.update(warm_queries(home, args))
        figures.update(cold_query(home))
        figures.update(cron(home))
        figures["home_bytes"] = home_bytes(home)
        load.append(os.getloadavg()[0])
        figures["load_average"] = [round(x, 1) for x in load]  # 1-minute, at the start, after the build, at the end
    print(json.dumps(figures) if args.json else "\n".join(f"{k}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
