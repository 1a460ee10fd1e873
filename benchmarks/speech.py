"""Speech recognition alone, and what a video with nothing to hear costs with speech on.

    python benchmarks/speech.py [--model FOLDER] [--threads 2]
    python benchmarks/speech.py --index S3D_FOLDER [--rounds 3] [--library-720p]

The model is the real Whisper base in CTranslate2 format that the tests use (tests/whisper_model.py builds it),
run as vidx runs it: faster-whisper, int8 on the CPU, voice-activity filter on. The talk is two minutes of
espeak-ng sentences (`-v en-us -s 130`) with short pauses, cached under benchmarks/cache/speech/. Figures:
- speech alone: the talk's samples (already decoded) through vidx's Recogniser, model loaded: x real time in wall
  time and in CPU time, and the share of the talk's words found in the transcript;
- the talk's audio decoded from an H.264 + AAC video (PyAV, to 16 kHz mono);
- a 60 s video whose track is silence, one of low noise, and one without audio: what hearing each costs, per
  second of video, and the speech process's start for a run.
With `--index`, `vidx index` end to end instead, each run the real CLI in a process of its own over a fresh home
whose video model is S3D_FOLDER (read, never written), speech on and off in turn (`VIDX_SPEECH_ENABLED`, the
Whisper model imported once into a home under the cache): a talk library (the talk and a second one of 60 s), a
60 s video without an audio track, one whose track is silence, and with `--library-720p` the 720p library of
benchmarks/inputs.py with no speech model, for reference (one run). Medians of `--rounds`, wall and CPU time (the run's
processes and their children).
Prints a Markdown table and one JSON line; the machine is shared, so the load average is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import speech_videos as sv  # noqa: E402
import whisper_model  # noqa: E402

from vidx.indexer.speech import hear  # noqa: E402
from vidx.indexer.transcriber import Transcriber  # noqa: E402
from vidx.media.audio import read_audio  # noqa: E402
from vidx.model.recogniser import Recogniser  # noqa: E402

CACHE = HERE / "cache" / "speech"
LINES = [
    "the weather today is cloudy with a chance of rain in the afternoon",
    "please remember to feed the cat before dinner",
    "our next speaker will talk about the history of the printing press",
    "turn left at the second traffic light and park behind the library",
    "the quarterly results show a steady rise in sales across europe",
    "she bought three apples, a loaf of bread and some fresh milk",
    "the train to glasgow leaves from platform nine at half past seven",
    "water boils at one hundred degrees celsius at sea level",
]
TALK_SECONDS = 120
PAUSE = 0.7


def cpu_name() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "?")


def cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def talk(seconds: int = TALK_SECONDS, first: int = 0) -> tuple[Path, list[str]]:
    """The talk video of `seconds` starting at line `first` (cached) and the words said in it."""
    lines: list[tuple[float, str]] = []
    at = 0.5
    while True:
        text = LINES[(first + len(lines)) % len(LINES)]
        length = len(sv.spoken(text)) / sv.RATE
        if at + length > seconds - 0.5:
            break
        lines.append((at, text))
        at += length + PAUSE
    path = CACHE / ("talk.mp4" if (seconds, first) == (TALK_SECONDS, 0) else f"talk-{seconds}s-{first}.mp4")
    if not path.exists():
        sv.write_video(path, seconds, sv.talking(seconds, lines))
    return path, [w for _, text in lines for w in words(text)]


def quiet_videos() -> dict[str, Path]:
    noise = (np.random.default_rng(0).standard_normal(60 * sv.RATE) * 0.01).astype(np.float32)
    made = {"silence": sv.talking(60, []), "low noise": noise, "no audio track": None}
    out = {}
    for name, sound in made.items():
        path = CACHE / f"{name.replace(' ', '-')}.mp4"
        if not path.exists():
            sv.write_video(path, 60, sound)
        out[name] = path
    return out


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def found_share(said: list[str], heard: list[str]) -> float:
    """Share of the said words found in order in what was heard (longest common subsequence)."""
    row = [0] * (len(heard) + 1)
    for w in said:
        previous = 0
        for j, h in enumerate(heard, 1):
            previous, row[j] = row[j], previous + 1 if w == h else max(row[j], row[j - 1])
    return row[-1] / len(said)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=whisper_model.location(), help="CTranslate2 Whisper folder")
    parser.add_argument("--threads", type=int, default=2, help="CTranslate2 threads (vidx gives it the budget's)")
    parser.add_argument("--index", type=Path, metavar="S3D_FOLDER", help="time `vidx index` with this video model")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --index runs (medians)")
    parser.add_argument("--library-720p", action="store_true", help="with --index: the 720p library too")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    if args.index:
        index_runs(args)
        return
    path, said = talk()
    load = os.getloadavg()[0]
    audio = read_audio(path)
    start, used = time.perf_counter(), cpu()
    for _ in range(5):
        read_audio(path)
    decode = ((time.perf_counter() - start) / 5, (cpu() - used) / 5)

    recogniser = Recogniser(args.model, args.threads)
    start = time.perf_counter()
    recogniser._loaded()
    loading = time.perf_counter() - start
    start, used = time.perf_counter(), cpu()
    heard = list(recogniser.segments(audio.samples, audio.offset))
    wall, busy = time.perf_counter() - start, cpu() - used
    share = found_share(said, [w for s in heard for w in words(s.text)])

    quiet = {}
    fresh = Recogniser(args.model, args.threads)
    for name, video in quiet_videos().items():
        start, used = time.perf_counter(), cpu()
        transcript = hear(video, fresh)
        assert not transcript.segments and not transcript.error, transcript
        quiet[name] = {"ms_per_video_second": round((time.perf_counter() - start) * 1000 / 60, 2)}
        quiet[name]["cpu_ms_per_video_second"] = round((cpu() - used) * 1000 / 60, 2)
    assert fresh._model is None  # nothing to hear never loads the model
    start, used = time.perf_counter(), cpu(resource.RUSAGE_CHILDREN)
    with Transcriber(args.model, args.threads, timeout=300) as transcriber:
        transcriber.submit(quiet_videos()["no audio track"])
        list(transcriber.finish())
    process = (time.perf_counter() - start, cpu(resource.RUSAGE_CHILDREN) - used)

    seconds = audio.seconds
    result = {
        "cpu": cpu_name(),
        "python": platform.python_version(),
        "command": "python benchmarks/speech.py" + (f" --threads {args.threads}" if args.threads != 2 else ""),
        "threads": args.threads,
        "load_average": round(load, 1),
        "talk_seconds": round(seconds, 1),
        "talk_segments": len(heard),
        "words_found": round(share, 3),
        "model_load_seconds": round(loading, 2),
        "speech_x_real_time": round(seconds / wall, 2),
        "speech_cpu_seconds": round(busy, 2),
        "speech_x_real_time_by_cpu": round(seconds / (busy / args.threads), 2),
        "audio_decode_x_real_time": round(seconds / decode[0], 1),
        "audio_decode_cpu_ms_per_second": round(decode[1] * 1000 / seconds, 2),
        "quiet": quiet,
        "speech_process_start_seconds": round(process[0], 2),
        "speech_process_start_cpu_seconds": round(process[1], 2),
    }
    print(table(result))
    print(json.dumps(result))


def table(r: dict) -> str:
    n = r["threads"]
    threads, cores = ("1 thread", "1 free core") if n == 1 else (f"{n} threads", f"{n} free cores")
    rows = [
        ("machine", f"{r['cpu']}, Python {r['python']}, load average {r['load_average']} at the start"),
        (
            f"Whisper base int8, {threads}, {r['talk_seconds']} s talk, model loaded",
            f"{r['speech_x_real_time']}x real time (wall); {r['speech_cpu_seconds']} s CPU = "
            f"{r['speech_x_real_time_by_cpu']}x real time on {cores}",
        ),
        ("words of the talk found in its transcript", f"{r['words_found']:.1%} ({r['talk_segments']} segments)"),
        ("loading the model (first file with speech in a run)", f"{r['model_load_seconds']} s"),
        (
            "decoding the talk's AAC track to 16 kHz mono",
            f"{r['audio_decode_x_real_time']}x real time, {r['audio_decode_cpu_ms_per_second']} ms CPU per second",
        ),
    ]
    for name, q in r["quiet"].items():
        rows.append(
            (
                f"hearing a 60 s video, {name}",
                f"{q['ms_per_video_second']} ms per second of video ({q['cpu_ms_per_video_second']} ms CPU)",
            )
        )
    rows.append(
        (
            "the speech process, started for a run (one file without audio)",
            f"{r['speech_process_start_seconds']} s, {r['speech_process_start_cpu_seconds']} s CPU",
        )
    )
    return "\n".join(["| what | figure |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)])


def index_runs(args) -> None:
    """`vidx index` end to end, speech on and off in turn, in fresh homes; prints a table and a JSON line."""
    video_model = CACHE / "index" / "s3d"
    if not video_model.exists():  # a copy: the folder given may be rebuilt by someone else meanwhile
        shutil.copytree(args.index.resolve(), video_model, ignore=shutil.ignore_patterns("*.npy"))
    speech_home = CACHE / "index" / "speech-home"
    if not (speech_home / "models" / "speech" / "active").exists():
        run_index(speech_home, ["model", "import-speech", str(args.model)], {})
    quiet = quiet_videos()
    libraries = {
        "talk library (2 videos, 180 s of talk)": [talk()[0], talk(60, 3)[0]],
        "a 60 s video without an audio track": [quiet["no audio track"]],
        "a 60 s video whose track is silence": [quiet["silence"]],
    }
    if args.library_720p:
        import inputs

        libraries["720p library (4 videos, 302 s; no speech model)"] = inputs.make_library(CACHE / "library-720p")[0]
    roots = {}
    for n, (name, files) in enumerate(libraries.items()):
        roots[name] = CACHE / "index" / f"library-{n}"
        roots[name].mkdir(parents=True, exist_ok=True)
        for file in files:
            if not (roots[name] / file.name).exists():
                os.link(file, roots[name] / file.name)
    modes = {name: (("off",) if "720p" in name else ("off", "on")) for name in libraries}
    times: dict[tuple[str, str], list[tuple[float, float]]] = {(n, m): [] for n in libraries for m in modes[n]}
    heard: dict[str, int] = {}
    load = os.getloadavg()
    for turn in range(args.rounds):
        for name, mode in times:  # on and off in turn, so both see the same drift of the shared machine's load
            if "720p" in name and turn:
                continue  # a reference figure: one run
            home = CACHE / "index" / "run-home"
            shutil.rmtree(home, ignore_errors=True)
            (home / "models").mkdir(parents=True)
            (home / "models" / "active").symlink_to(video_model.resolve())
            (home / "models" / "speech").symlink_to((speech_home / "models" / "speech").resolve())
            (home / "config.toml").write_text('[model]\nprecision = "int8"\n')
            env = {"VIDX_SPEECH_ENABLED": "true" if mode == "on" else "false"}
            wall, busy, summary = run_index(home, ["index", str(roots[name]), "--json"], env)
            times[name, mode].append((wall, busy))
            heard[name] = summary["said_segments"]
    median = {key: tuple(statistics.median(t[i] for t in runs) for i in (0, 1)) for key, runs in times.items()}
    result = {
        "cpu": cpu_name(),
        "python": platform.python_version(),
        "command": f"python benchmarks/speech.py --index {args.index} --rounds {args.rounds}"
        + (" --library-720p" if args.library_720p else ""),
        "load_average": [round(x, 1) for x in load],
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
        "runs": {f"{n} / speech {m}": [round(median[n, m][0], 2), round(median[n, m][1], 2)] for n, m in median},
        "said_segments": heard,
    }
    rows = ["| `vidx index` of | speech off | speech on | on / off |", "|---|---|---|---|"]
    for name in libraries:
        off = median[name, "off"]
        if "on" not in modes[name]:
            rows.append(f"| {name} | {off[0]:.1f} s ({off[1]:.1f} s CPU) | | |")
            continue
        on = median[name, "on"]
        rows.append(
            f"| {name} | {off[0]:.1f} s ({off[1]:.1f} s CPU) | {on[0]:.1f} s ({on[1]:.1f} s CPU), "
            f"{heard[name]} lines | {on[0] / off[0]:.3f}x wall ({on[1] / off[1]:.3f}x CPU) |"
        )
    print("\n".join(rows))
    print(json.dumps(result))


def run_index(home: Path, arguments: list[str], env: dict) -> tuple[float, float, dict]:
    """The real CLI in a process of its own: wall seconds, CPU seconds of it and its children, its --json."""
    started, used = time.perf_counter(), cpu(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-P", "-c", "from vidx.cli import main; main()", *arguments],
        env={**os.environ, "VIDX_HOME": str(home), **env},
        capture_output=True,
        text=True,
    )
    wall, busy = time.perf_counter() - started, cpu(resource.RUSAGE_CHILDREN) - used
    if done.returncode != 0:
        raise RuntimeError(f"vidx {' '.join(arguments)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, busy, json.loads(done.stdout) if "--json" in arguments else {}


if __name__ == "__main__":
    main()
