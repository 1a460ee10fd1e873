"""`vidx dupes` at scale: a synthetic catalogue of a million clips, timed from SQLite to groups.

    python benchmarks/dupes.py [--clips 1000000] [--per-video 100] [--planted 100] [--twin-cosine 0.96] [--keep DIR]

Videos are random walks in 512 dimensions (neighbouring clips alike, videos unlike each other); for `--planted`
of them the library also holds a re-encode (the vectors plus noise leaving them at `--twin-cosine` to the
original's), a cut (a stretch whose clips fall 40% of a clip off the original's, plus that noise) and the same
scenes in another order (plus that noise). The run checks that every planted
re-encode and cut is grouped with its original and no reordering is, then writes benchmarks/dupes.md and its
section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from harness import write_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DIM, CLIP = 512, 3.2
HEADING = "## Near-duplicate videos (`vidx dupes`)"


def walks(rng, count: int, clips: int) -> np.ndarray:
    """`count` videos of `clips` vectors each: a random start, then small random steps."""
    out = rng.standard_normal((count, clips, DIM), dtype=np.float32) * np.float32(0.35)
    out[:, 0] = rng.standard_normal((count, DIM), dtype=np.float32)
    return np.cumsum(out, axis=1)


def blur(rng, x: np.ndarray, cosine: float) -> np.ndarray:
    """`x` plus noise that leaves each vector at about `cosine` to what it was: a re-encode's change."""
    scale = np.linalg.norm(x, axis=1, keepdims=True) / np.sqrt(DIM) * np.tan(np.arccos(cosine))
    return x + scale * rng.standard_normal(x.shape, dtype=np.float32)


def library(rng, total: int, per_video: int, planted: int, cosine: float) -> list[np.ndarray]:
    """Per video, its clip vectors: for each planted original its three relatives, then unrelated videos."""
    videos: list[np.ndarray] = []
    for x in walks(rng, planted, per_video):
        cut_from, cut_len, third = per_video // 5, per_video // 2, per_video // 3
        cut = 0.6 * x[cut_from : cut_from + cut_len] + 0.4 * x[cut_from + 1 : cut_from + cut_len + 1]
        reordered = np.concatenate([x[2 * third :], x[third : 2 * third], x[:third]])
        videos += [x, blur(rng, x, cosine), blur(rng, cut, cosine), blur(rng, reordered, cosine)]
    left = total - sum(len(v) for v in videos)
    for at in range(0, left // per_video, 1000):
        videos.extend(walks(rng, min(1000, left // per_video - at), per_video))
    return videos


def build_catalogue(home: Path, args: argparse.Namespace) -> int:
    """Store the synthetic library through the writer, as `vidx index` does; returns how many clips it holds.

    Run in a child process: the writer's in-memory FAISS index must not count in the benchmark's peak RSS."""
    from vidx.config import Home
    from vidx.store import Catalog, ClipVector, VideoInfo
    from vidx.store.catalog_writer import CatalogWriter

    videos = library(np.random.default_rng(0), args.clips, args.per_video, args.planted, args.twin_cosine)
    catalog = Catalog(Home(home))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(Path("/bench"))
        for i, vecs in enumerate(videos):
            clips = [ClipVector(j, j * CLIP, (j + 1) * CLIP, v) for j, v in enumerate(vecs)]
            info = VideoInfo(f"{i:08x}", len(vecs) * CLIP, 10.0, round(len(vecs) * CLIP * 10))
            writer.save_video(root, f"/bench/{i:07d}.mp4", (1, 1), info, clips)
    catalog.close()
    return sum(len(v) for v in videos)


def machine() -> tuple[str, str]:
    text = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"^Model name:\s*(.+)$", text, re.M)
    flags = re.search(r"^Flags:\s*(.+)$", text, re.M)
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")
    have = [f for f in wanted if flags and f in flags.group(1).split()]
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return (model.group(1).strip() if model else platform.processor()), f"{cores} cores, flags: {', '.join(have)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1_000_000)
    parser.add_argument("--per-video", type=int, default=100)
    parser.add_argument("--planted", type=int, default=100)
    parser.add_argument("--twin-cosine", type=float, default=0.96, help="A planted copy's clips to the original's.")
    parser.add_argument("--keep", type=Path, help="Build the catalogue in this folder and keep it.")
    args = parser.parse_args()
    from vidx.config import Home
    from vidx.searcher.dupes import group_duplicates
    from vidx.store import Catalog

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
        home = Path(tmp) / "home"
        with ProcessPoolExecutor(1) as child:
            clips = child.submit(build_catalogue, home, args).result()
        catalog = Catalog(Home(home))
        built = time.perf_counter() - started
        load = os.getloadavg()[0]
        # What find_duplicates does, in its two steps: read the catalogue, then group.
        wall, cpu = time.perf_counter(), time.process_time()
        facts, arrays = catalog.indexed_videos(), catalog.clip_arrays()
        read = time.perf_counter() - wall
        found = group_duplicates(facts, arrays, 0.8)
        seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    groups = [sorted(int(Path(v.path).stem) for v in g.videos) for g in found.groups if g.kind == "near"]
    expected = [[4 * i, 4 * i + 1, 4 * i + 2] for i in range(args.planted)]
    found_ok = sum(1 for e in expected if e in groups)
    wrong = [g for g in groups if g not in expected]
    model, details = machine()
    command = "python benchmarks/dupes.py" + "".join(
        f" --{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "keep" and v != parser.get_default(k)
    )
    section = "\n".join(
        [
            HEADING,
            "",
            f"Machine: {model}, {details}; Python {platform.python_version()}. Command: `{command}` "
            f"(the synthetic catalogue took {built:.0f} s to build).",
            "",
            "| what | figure |",
            "|---|---|",
            f"| `find_duplicates` on {clips:,} clips in {clips // args.per_video:,} videos, from the SQLite catalogue "
            f"to groups (what `vidx dupes` does) | {seconds:.1f} s |",
            f"| of which reading the catalogue (SQLite, in the page cache) | {read:.1f} s |",
            f"| CPU time, both cores together (the machine is shared: load average {load:.1f} at the start) "
            f"| {cpu:.1f} s |",
            f"| planted re-encode + cut groups found whole | {found_ok} of {args.planted} |",
            f"| other groups (a reordering grouped, or anything else) | {len(wrong)} |",
            f"| peak RSS of the benchmark process | {peak_mb} MB |",
            "",
            "Reading the 2-KB vectors out of SQLite, normalising them, projecting them on 64 principal "
            "components, one inverted file of ~1,000 clips a list searched with nprobe 2 and 16 neighbours a clip, "
            "re-scoring candidates on the full vectors, then aligning only the video pairs that share enough clips.",
            "",
        ]
    )
    (HERE / "dupes.md").write_text(section)
    write_section(HEADING, section)
    print(section)
    if found_ok != args.planted or wrong:
        sys.exit(f"expected {args.planted} planted groups and nothing else; found {found_ok}, other {wrong[:5]}")


if __name__ == "__main__":
    main()
