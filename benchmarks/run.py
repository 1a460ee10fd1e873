"""vidx benchmark: a full-size S3D through the real import/quantize path, measured side by side in one run.

    python benchmarks/run.py [--quick] [--json]

Writes BENCHMARKS.md at the repository root; --json also prints one line of figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
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
sys.path.insert(0, str(HERE))

import media  # noqa: E402
import s3d_model  # noqa: E402

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
        [sys.executable, "-c", "from vidx.cli import main; main()", *args],
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


def imported(init_clips: np.ndarray) -> tuple[Path, Path]:
    """The full-size model set on `init_clips` (cached), imported through `vidx model import`: (SavedModel, home)."""
    # Keyed on the builder and the clips it is set on, so a change to either rebuilds it.
    key = hashlib.sha1(Path(s3d_model.__file__).read_bytes() + init_clips.tobytes()).hexdigest()[:10]
    savedmodel = CACHE / f"s3d-{key}"
    if not (savedmodel / "saved_model.pb").exists():
        s3d_model.build(savedmodel, init_clips)
    home = CACHE / "home"
    vidx(home, "model", "import", str(savedmodel))
    return savedmodel, home


def prepare_fp32() -> Path:
    """The folder of the full-size model as `prepare` sets it, imported but not quantized."""
    calibration, _ = media.quantize_split()
    _, home = imported(calibration[: media.INIT_CLIPS])
    return Path(json.loads(vidx(home, "model", "info", "--json").stdout)["folder"])


def prepare(init_clips: np.ndarray) -> dict:
    """The full-size model set on `init_clips` (cached), imported and quantized through vidx's own commands."""
    savedmodel, home = imported(init_clips)
    # Quantized on every run (about a minute), so the INT8 measured is what this vidx makes.
    vidx(home, "model", "quantize", "--calibration", str(media.SHARED))
    info = json.loads(vidx(home, "model", "info", "--json").stdout)
    return {"savedmodel": savedmodel, "home": home, "info": info}


def inference(setup: dict, clips: np.ndarray, repeats: int) -> dict:
    """TF SavedModel, OpenVINO FP32 (true f32), INT8 and bf16 where the CPU has it, on the same clips."""
    import tensorflow as tf

    from vidx.model.runtime import cpu_has_bf16

    folder = Path(setup["info"]["folder"])
    signature = tf.saved_model.load(str(setup["savedmodel"]), tags=[]).signatures["video"]
    tf_clips = tf.constant(clips)
    reference = signature(images=tf_clips)["video_embedding"].numpy()
    runs = {"tf": lambda: signature(images=tf_clips)}
    vectors = {}
    variants = [("ov_fp32", "video.xml", "f32"), ("ov_int8", "video-int8.xml", "f32")]
    if cpu_has_bf16():
        variants.append(("ov_bf16", "video.xml", "bf16"))
    for name, xml, hint in variants:
        runs[name], vectors[name] = openvino_runner(str(folder / xml), clips, hint)
    out = {f"{name}_clips_s": rate for name, rate in interleaved_rates(runs, len(clips), repeats).items()}
    out["fp32_vs_tf_cos_min"] = cosine_min(reference, vectors["ov_fp32"])
    out["int8_vs_fp32_cos_min"] = cosine_min(vectors["ov_fp32"], vectors["ov_int8"])
    if "ov_bf16" in vectors:
        out["bf16_vs_fp32_cos_min"] = cosine_min(vectors["ov_fp32"], vectors["ov_bf16"])
    return out


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


def fresh_home(name: str, setup: dict) -> Path:
    """An empty home whose active model is the benchmark's, its OpenVINO compile cache kept between runs."""
    home = CACHE / name
    for item in home.glob("*"):
        if item.is_file():
            item.unlink()
    home.mkdir(parents=True, exist_ok=True)
    (home / "models").mkdir(exist_ok=True)
    link = home / "models" / "active"
    link.unlink(missing_ok=True)
    link.symlink_to(Path(setup["info"]["folder"]))
    return home


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


def indexing(setup: dict, video: Path, seconds: float) -> dict:
    """End-to-end `vidx index` of the 720p30 video at the default sampling, FP32 then INT8."""
    out = {}
    for precision in ("fp32", "int8"):
        _, wall, rss = index_run(fresh_home(f"index-{precision}", setup), video.parent, precision)
        out[f"index_realtime_x_{precision}"] = round(seconds / wall, 2)
        out[f"peak_rss_mb_{precision}"] = rss
    return out


def decode_rate(paths: list[Path]) -> tuple[float, int]:
    """Clips per second one decoder cuts from `paths` on one core, as in `vidx index` (its own process, one
    thread, default clip settings), and the number of clips."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from vidx.config.settings import ClipSettings, defaults\n"
        "from vidx.indexer.decode import single_threaded, video_clips\n"
        "single_threaded()\n"
        "clip = ClipSettings(**defaults()['clip'])\n"
        "start = time.perf_counter()\n"
        "n = sum(1 for p in sys.argv[1:] for _ in video_clips(Path(p), clip))\n"
        "print(n, time.perf_counter() - start)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True, check=True)
    clips, seconds = out.stdout.split()
    return round(int(clips) / float(seconds), 2), int(clips)


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


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


def library(setup: dict, clips: np.ndarray) -> dict:
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

    paths, seconds = media.make_library(CACHE / "library")
    folder = CACHE / "library"
    n = cores()
    out = {"library_files": len(paths), "library_seconds": seconds}
    for precision in ("int8", "fp32"):
        xml = str(Path(setup["info"]["folder"]) / ("video-int8.xml" if precision == "int8" else "video.xml"))
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


def query_start(setup: dict, repeats: int) -> dict:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (under 12 minutes)")
    parser.add_argument("--json", action="store_true", help="print one JSON line of figures")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    # A minute of video even with --quick: on 20 s, process start and model compilation took most of the time.
    seconds = 60.0
    name, flags = cpu()
    started = time.perf_counter()
    calibration, clips = media.quantize_split()
    setup = prepare(calibration[: media.INIT_CLIPS])
    del calibration
    figures = {"cpu": name, "cpu_flags": flags}
    figures.update(inference(setup, clips, repeats))
    video = media.make_720p30(CACHE / f"video-{int(seconds)}s" / "bottles-720p30.mp4", seconds)
    figures.update(indexing(setup, video, seconds))
    figures.update(library(setup, clips))
    figures["peak_rss_mb"] = max(
        figures["peak_rss_mb_fp32"],
        figures["peak_rss_mb_int8"],
        figures["library_peak_rss_mb_fp32"],
        figures["library_peak_rss_mb_int8"],
    )
    figures.update(query_start(setup, 5 if args.quick else 9))
    figures.update(faiss_million(1_000_000, 100 if args.quick else 300))
    figures["total_s"] = round(time.perf_counter() - started, 1)
    figures["quantization"] = setup["info"]["quantization"]
    figures["gflops_per_clip"] = round(s3d_model.video_gflops(), 1)
    # Every figure, for notes written after the run (BENCHMARKS.md shows most of them).
    (CACHE / "figures.json").write_text(json.dumps(figures, indent=1))
    write_markdown(figures, args)
    if args.json:
        keys = [
            "cpu_flags",
            "tf_clips_s",
            "ov_fp32_clips_s",
            "ov_int8_clips_s",
            "int8_vs_fp32_cos_min",
            "index_realtime_x_fp32",
            "index_realtime_x_int8",
            "library_realtime_x_int8",
            "library_realtime_x_fp32",
            "library_vs_inference_int8",
            "query_cold_s",
            "import_baseline_s",
            "faiss_1m_ms",
            "faiss_1m_recall10",
            "peak_rss_mb",
        ]
        print(json.dumps({k: figures[k] for k in keys}))
    os._exit(0)  # OpenVINO 2026.4 can abort at interpreter shutdown once a string model was compiled


def library_rows(f: dict, precision: str) -> list[str]:
    """The `vidx index` library lines: clips/s against bare inference and the ideal, then the same in CPU time."""
    p = precision
    stages = f[f"library_stages_{p}"]
    decoders = f[f"library_decoders_{p}"]
    cpu = f[f"library_cpu_ms_per_clip_{p}"]
    both = cpu["decode"] + cpu["inference"]
    what = f"`vidx index`, library of {f['library_files']} distinct 720p30 H.264 files ({f['library_seconds']:g} s"
    return [
        f"| {what}, {f[f'library_clips_{p}']} clips), clip.fps=10, {p.upper()} | "
        f"{f[f'library_realtime_x_{p}']}x real time, {f[f'library_clips_s_{p}']} clips/s = "
        f"{f[f'library_vs_inference_{p}']:.2f}x bare inference ({f[f'library_inference_clips_s_{p}']} clips/s), "
        f"{f[f'library_vs_ideal_{p}']:.2f}x the ideal {f[f'library_ideal_clips_s_{p}']} clips/s (decode-only "
        f"{f[f'library_decode_clips_s_{p}']} clips/s on one core); load average {f[f'library_load_{p}']:.1f} | "
        f"{stages['seconds']} s: decode {stages['decode_seconds']} s ({decoders} decoder{'s' * (decoders > 1)}), "
        f"embed {stages['embed_seconds']} s, write {stages['write_seconds']} s; peak RSS "
        f"{f[f'library_peak_rss_mb_{p}']} MB |",
        f"| the same run in CPU time per clip, {p.upper()} | `vidx index` {cpu['index']} ms, decode-only "
        f"{cpu['decode']} ms, bare inference {cpu['inference']} ms: with every core kept busy "
        f"{cpu['inference'] / cpu['index']:.2f}x bare inference, {both / cpu['index']:.2f}x the ideal | "
        "CPU time, which other tenants of the machine take little of |",
    ]


def write_markdown(f: dict, args) -> None:
    r = lambda a, b: f"{f[a] / f[b]:.2f}x"  # noqa: E731
    rows = [
        ("TF SavedModel, video branch", f"{f['tf_clips_s']:.2f} clips/s", "compute (TF CPU kernels)"),
        ("OpenVINO FP32 (INFERENCE_PRECISION_HINT=f32)", f"{f['ov_fp32_clips_s']:.2f} clips/s", "compute"),
        ("OpenVINO INT8 (NNCF)", f"{f['ov_int8_clips_s']:.2f} clips/s", "compute"),
    ]
    if "ov_bf16_clips_s" in f:
        rows.append(
            ("OpenVINO bf16", f"{f['ov_bf16_clips_s']:.2f} clips/s", f"cos to fp32 min {f['bf16_vs_fp32_cos_min']}")
        )
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {f['cpu']}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"CPU flags: {', '.join(f['cpu_flags'])}.",
        f"Command: `python benchmarks/run.py{' --quick' if args.quick else ''}{' --json' if args.json else ''}` "
        f"({f['total_s']} s). Model: a full-size S3D-G with random weights scaled on real clips "
        f"({f['gflops_per_clip']} GFLOPs per 32x224x224 clip), imported and quantized through `vidx model import` "
        "and `vidx model quantize --calibration ../shared/videos`. All measured in this one run; inference rates are "
        "medians over rounds that time TF, FP32, INT8 and bf16 in turn.",
        "",
        "| what | figure | limited by |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        f"| INT8 / TF | {r('ov_int8_clips_s', 'tf_clips_s')} | |",
        f"| INT8 / FP32 | {r('ov_int8_clips_s', 'ov_fp32_clips_s')} | |",
        f"| FP32 / TF | {r('ov_fp32_clips_s', 'tf_clips_s')} | |",
        f"| INT8 vs FP32, min cosine on the real clips quantize held out | {f['int8_vs_fp32_cos_min']} | "
        "quantization recipe, and the model |",
        f"| FP32 IR vs TF, min cosine | {f['fp32_vs_tf_cos_min']} | |",
        f"| `vidx index`, 720p30 H.264, clip.fps=10, FP32 | {f['index_realtime_x_fp32']}x real time | inference |",
        f"| `vidx index`, 720p30 H.264, clip.fps=10, INT8 | {f['index_realtime_x_int8']}x real time | inference |",
        *[row for precision in ("int8", "fp32") for row in library_rows(f, precision)],
        f"| peak RSS while indexing | {f['peak_rss_mb']} MB | model weights and the clip queue |",
        f"| cold `vidx query` process | {f['query_cold_s']} s | importing OpenVINO |",
        f"| bare `import openvino, openvino_tokenizers` | {f['import_baseline_s']} s | |",
        f"| FAISS, 1M random 512-d vectors ({f['faiss_index']}) | {f['faiss_1m_ms']} ms/query, recall@10 "
        f"{f['faiss_1m_recall10']} | memory bandwidth |",
        f"| opening that index and answering one query: memory-mapped (vidx) / read whole | "
        f"{f['faiss_1m_open_mapped_s']} s / {f['faiss_1m_open_full_s']} s | reading 2 GB of stored vectors |",
        "",
        f"Quantization report: `{json.dumps(f['quantization'])}`",
        "",
    ]
    # Hand-written notes, then the sections of other scripts (benchmarks/dupes.py writes its own, the Ray
    # engine's is by hand), kept across runs.
    kept = [p.read_text() for p in (HERE / "notes.md", HERE / "dupes.md", HERE / "ray_engine.md") if p.exists()]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines) + "\n" + "\n".join(kept))


if __name__ == "__main__":
    main()
