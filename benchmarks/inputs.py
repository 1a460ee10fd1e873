"""Benchmark inputs made from the real shared videos: a 720p30 H.264 file and real clips."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "videos"
SOURCE = SHARED / "bottle-detection.mp4"  # real footage, 640x360 at 29.83 fps, 40 s
INIT_CLIPS = 9  # the first clips in turn: about one from each shared video


# A library of distinct 720p30 files, five minutes in all: (source, seconds). Sources shorter than that loop.
LIBRARY = [
    ("bottle-detection.mp4", 75.0),
    ("car-detection.mp4", 78.0),
    ("one-by-one-person-detection.mp4", 72.0),
    ("bikes.mp4", 77.0),
]


def make_720p30(out: Path, seconds: float, source: Path = SOURCE) -> Path:
    """Upscale shared footage (the bottles by default) to 1280x720 at 30 fps, H.264 (libx264), `seconds` long,
    each source frame one output frame; cached."""
    import av

    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.mp4")
    with av.open(str(source)) as src, av.open(str(tmp), "w") as dst:
        stream = dst.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
        frames = int(seconds * 30)
        n = 0
        while n < frames:
            src.seek(0)
            for frame in src.decode(video=0):
                big = frame.reformat(width=1280, height=720, format="yuv420p")
                big.pts, big.time_base = n, Fraction(1, 30)
                for packet in stream.encode(big):
                    dst.mux(packet)
                n += 1
                if n == frames:
                    break
        for packet in stream.encode():
            dst.mux(packet)
    tmp.replace(out)
    return out


def make_library(folder: Path) -> tuple[list[Path], float]:
    """The LIBRARY files in `folder` (cached) and their total seconds."""
    paths = [make_720p30(folder / f"{Path(name).stem}-720p30.mp4", s, SHARED / name) for name, s in LIBRARY]
    return paths, sum(s for _, s in LIBRARY)


def real_clips(n: int) -> np.ndarray:
    """`n` clips cut by vidx's own pipeline (default settings) from the shared videos in turn, float32."""
    from vidx.config.settings import ClipSettings
    from vidx.media.decode import clips_in_turn
    from vidx.model.pixels import scale

    clip = ClipSettings()
    paths = sorted(p for p in SHARED.iterdir() if p.suffix != ".md")
    return np.stack([scale(c.frames) for c in itertools.islice(clips_in_turn(paths, clip), n)])


def quantize_split() -> tuple[np.ndarray, np.ndarray]:
    """(calibration, held-out) clips exactly as `vidx model quantize --calibration ../shared/videos` takes them.

    The benchmark measures INT8 against FP32 on the held-out ones and sets the model's init on the first
    INIT_CLIPS calibration clips, so no figure comes from a clip that shaped the weights.
    """
    from vidx.cli.model_commands import quantize_command
    from vidx.model.quantize import split

    defaults = {p.name: p.default for p in quantize_command.params}
    clips = real_clips(defaults["n_calib"] + defaults["heldout"])
    calibration, held = split(len(clips), defaults["n_calib"], defaults["heldout"])
    return clips[calibration], clips[held]
