"""Videos that talk: speech made by espeak-ng (`-v en-us -s 130`, which Whisper understands well), laid on an
AAC track at known seconds beside H.264 pictures."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np

RATE = 22050  # espeak-ng's own rate
FEED_THE_CAT = "please remember to feed the cat before dinner"


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def spoken(text: str) -> np.ndarray:
    """`text` said by espeak-ng, float32 mono at RATE."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "said.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "130", "-w", str(out), text], check=True)
        with wave.open(str(out)) as w:
            assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
            pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    return pcm.astype(np.float32) / 32768


def talking(seconds: float, lines: list[tuple[float, str]]) -> np.ndarray:
    """`seconds` of silence with each (start, text) said from its start."""
    track = np.zeros(round(seconds * RATE), np.float32)
    for start, text in lines:
        voice = spoken(text)
        at = round(start * RATE)
        assert at + len(voice) <= len(track), f"{text!r} does not fit in {seconds} s"
        track[at : at + len(voice)] += voice
    return track


def write_video(path: Path, seconds: float, sound: np.ndarray | None, fps: int = 10) -> Path:
    """A grey-to-white H.264 video of `seconds`, with `sound` (float32 mono at RATE) as its AAC track, or none."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("aac", rate=RATE, layout="mono") if sound is not None else None
        for i in range(round(seconds * fps)):
            level = 60 + (i * 3) % 180
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), level, np.uint8), format="bgr24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if audio is not None:
            for at in range(0, len(sound), 1024):
                frame = av.AudioFrame.from_ndarray(sound[None, at : at + 1024], format="fltp", layout="mono")
                frame.sample_rate, frame.pts = RATE, at
                out.mux(audio.encode(frame))
            out.mux(audio.encode(None))
    return path


def undecodable(path: Path) -> Path:
    """H.264 pictures beside an MP3 track whose packets are noise."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("mp3", rate=22050, layout="mono")
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 100, np.uint8), format="bgr24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        noise = np.random.default_rng(0)
        for i in range(40):
            packet = av.Packet(noise.integers(0, 256, 400, dtype=np.uint8).tobytes())
            packet.stream, packet.pts, packet.dts, packet.time_base = audio, i * 1152, i * 1152, Fraction(1, 22050)
            out.mux(packet)
    return path
