"""A query with words against the same query by pictures alone: `vidx query` with and without `--seen`.

    python benchmarks/said_query.py [--videos 2000] [--clips 50] [--lines 200] [--rounds 30]

Builds a synthetic catalogue in a temporary home: `--videos` videos of `--clips` random clip vectors and
`--lines` lines of 9 words each (drawn from a Zipf-distributed vocabulary of 20,000 words, as speech is), with the
toy model of the tests (its text branch knows "red"), so the query "red kite" finds clips by their pictures and
lines by their words, and is fused. Times Library.search in each mode, the model loaded, in rounds that run every
mode in turn (the machine's speed drifts), wall-clock and CPU time (all the process's threads: on a shared machine
the CPU time is what the query itself costs), and writes the medians to its section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from harness import write_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / "cache"
HEADING = "## Words with pictures (`vidx query` with and without `--seen`)"
# "kite" is the 401st word; w100 the 101st, as common as "people" or "time" in speech once stop words (which
# queries leave out) take the first hundred ranks; w1 the 2nd, in a third of the lines: the words side's worst
# case, since FTS5's bm25 ranks every matching line.
QUERIES = {"a rare word": "red kite", "a common word": "red w100", "a very common word": "red w1"}
MOVES_LESS = "the CPU time moves less."


def build(home: Path, videos: int, clips: int, lines: int, space: str, seed: int = 0) -> None:
    """The catalogue, written through the store as `vidx index` writes it, its vectors said to be of `space`."""
    from vidx.config import Home
    from vidx.said import Segment
    from vidx.store import Catalog, ClipVector, VideoInfo
    from vidx.store.catalog_writer import CatalogWriter
    from vidx.store.said_rows import Subtitles

    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(20_000)]
    vocabulary[400] = "kite"  # a word of middling frequency
    weights = 1 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()
    catalog = Catalog(Home(home))
    with CatalogWriter(catalog) as store:
        # Each video's file exists, empty: a search leaves out the files gone from the disk, which it checks.
        folder = home / "bench"
        folder.mkdir()
        root = store.add_root(folder)
        for v in range(videos):
            vectors = rng.standard_normal((clips, 512), dtype=np.float32)
            cut = [ClipVector(i, i * 3.2, (i + 1) * 3.2, vectors[i]) for i in range(clips)]
            words = rng.choice(len(vocabulary), size=(lines, 9), p=weights)
            said = [
                Segment(i * 2.0, i * 2.0 + 1.8, " ".join(vocabulary[w] for w in row), "speech")
                for i, row in enumerate(words)
            ]
            info = VideoInfo(f"h{v}", clips * 3.2, 10.0, clips * 32)
            path = folder / f"v{v:05d}.mp4"
            path.touch()
            store.save_video(root, str(path), (v, v), info, cut, Subtitles(said))
        store.set_meta("vector_space", space)


def toy_model() -> Path:
    folder = CACHE / "toy_s3d"
    if not folder.exists():
        subprocess.run([sys.executable, str(ROOT / "tests" / "toy_model.py"), str(folder)], check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=2000)
    parser.add_argument("--clips", type=int, default=50)
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    import vidx

    with tempfile.TemporaryDirectory(prefix="vidx-said-bench-") as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        with vidx.Library(home) as library:
            library.import_model(str(toy_model()))
            build(home, args.videos, args.clips, args.lines, library.vector_space())
        built = time.perf_counter() - started
        with vidx.Library(home) as library:
            library.warm_up()
            times: dict[tuple[str, str], list[tuple[float, float]]] = {
                (name, mode): [] for name in QUERIES for mode in ("seen", "both", "said")
            }
            load = os.getloadavg()[0]
            for _ in range(args.rounds + 1):  # the first round warms the page cache and is dropped
                for name, mode in times:
                    wall, cpu = time.perf_counter(), time.process_time()
                    library.search(QUERIES[name], k=10, mode=mode)
                    times[name, mode].append((time.perf_counter() - wall, time.process_time() - cpu))
            matches = {name: library.search(QUERIES[name], k=10_000, mode="said") for name in QUERIES}
    median = {key: tuple(statistics.median(run[i] for run in t[1:]) * 1000 for i in (0, 1)) for key, t in times.items()}
    changed = [f"--{name} {value}" for name, value in vars(args).items() if value != parser.get_default(name)]
    command = " ".join(["python benchmarks/said_query.py", *changed])
    write(args, command, built, load, median, {name: len(hits) for name, hits in matches.items()})


def write(args, command: str, built: float, load: float, median: dict, matched: dict) -> None:
    cpu = re.search(r"Model name:\s*(.+)", subprocess.run(["lscpu"], capture_output=True, text=True).stdout)
    rows = []
    for name, text in QUERIES.items():
        seen, both, said = (median[name, mode] for mode in ("seen", "both", "said"))
        rows.append(
            f"| `{text}` ({name}: lines of {matched[name]} videos match) | {seen[0]:.1f} ms ({seen[1]:.1f}) | "
            f"{both[0]:.1f} ms ({both[1]:.1f}): {both[0] / seen[0]:.2f}x ({both[1] / seen[1]:.2f}x) | "
            f"{said[0]:.1f} ms ({said[1]:.1f}) |"
        )
    section = "\n".join(
        [
            HEADING,
            "",
            f"Machine: {cpu.group(1).strip() if cpu else '?'} (lscpu), Python {platform.python_version()}. "
            f"Command: `{command}` (the catalogue took {built:.0f} s to build): {args.videos:,} videos, "
            f"{args.videos * args.clips:,} clips, {args.videos * args.lines:,} lines of words; the toy model's "
            f"text branch. Medians of {args.rounds} rounds, each running every query in every mode in turn, "
            "of `Library.search(TEXT, k=10, mode=...)` with the model loaded (what `vidx serve` answers; the "
            "CLI adds its start-up, the same in every mode): wall-clock time, and in brackets CPU time summed over "
            f"the process's threads. Load average {load:.1f} when the rounds began.",
            "",
            "| query | `--seen` | both (default) | `--said` |",
            "|---|---|---|---|",
            *rows,
            "",
            "Both sides bring their best 2k videos; the words side's ranking of the lines runs on a thread of its "
            "own, started before the text's embedding, beside the pictures' search. On a machine shared this "
            "heavily the wall-clock "
            f"figures move by a fifth from run to run; {MOVES_LESS}",
            "",
        ]
    )
    # The run's own lines are replaced; what the developers wrote below them (before and after, what was tried) stays.
    write_section(HEADING, section, MOVES_LESS)
    print(section)


if __name__ == "__main__":
    main()
