"""Small generated videos whose content the toy model scores in a known order."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

W, H = 96, 64


def write(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    """Write BGR uint8 frames: .gif through OpenCV's animation writer, others through VideoWriter."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gif":
        animation = cv2.Animation()
        animation.frames = [f for f in frames]
        animation.durations = [int(1000 / fps)] * len(frames)
        assert cv2.imwriteanimation(str(path), animation)
        return path
    fourcc = {".avi": "MJPG", ".mp4": "mp4v", ".mkv": "MJPG", ".webm": "VP80"}[path.suffix]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (W, H))
    assert writer.isOpened(), path
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def solid(bgr: tuple[int, int, int], n: int) -> list[np.ndarray]:
    return [np.full((H, W, 3), bgr, np.uint8) for _ in range(n)]


def fade(start: int, stop: int, n: int) -> list[np.ndarray]:
    return [np.full((H, W, 3), int(v), np.uint8) for v in np.linspace(start, stop, n)]


def moving_checkers(n: int) -> list[np.ndarray]:
    yy, xx = np.mgrid[0:H, 0:W]
    return [(((xx + 4 * i) // 8 + yy // 8) % 2 * 255).astype(np.uint8)[:, :, None].repeat(3, axis=2) for i in range(n)]


def make_library(root: Path) -> dict[str, Path]:
    """Videos named for the one query word each must win."""
    return {
        "red": write(root / "colours" / "red.mp4", solid((40, 40, 220), 40)),
        "green": write(root / "colours" / "green.avi", solid((40, 200, 40), 40)),
        "blue": write(root / "colours" / "blue.gif", solid((220, 40, 40), 10)),
        "brightening": write(root / "light" / "fade_in.mp4", fade(20, 235, 40)),
        "darkening": write(root / "light" / "fade_out.avi", fade(235, 20, 40)),
        "moving": write(root / "motion" / "checkers.mp4", moving_checkers(40)),
    }


def grey_then_red(n: int = 40) -> list[np.ndarray]:
    """Grey for `n` frames, then red for `n`: the red moment starts at n / fps seconds."""
    return solid((128, 128, 128), n) + solid((40, 40, 220), n)


def read(path: Path) -> list[np.ndarray]:
    """Every frame of a video, BGR, to cut pieces from it."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            return frames
        frames.append(frame)


GREY, RED, GREEN, BLUE = (128, 128, 128), (40, 40, 220), (40, 200, 40), (220, 40, 40)


def segments(*parts: tuple[tuple[int, int, int], float], fps: float = 10.0) -> list[np.ndarray]:
    """Solid BGR colours held for so many seconds each, e.g. segments((GREY, 12), (RED, 16), (GREY, 12))."""
    return [frame for bgr, seconds in parts for frame in solid(bgr, round(seconds * fps))]


def write_av(
    path: Path,
    frames: list[np.ndarray],
    fps: int = 10,
    sound: tuple[float, float] | None = None,
    gop: int = 50,
    rotation: int = 0,
) -> Path:
    """H.264 through PyAV, a keyframe every `gop` frames; `sound` adds an AAC track, silent but for a 440 Hz tone
    from `sound[0]` to `sound[1]` seconds; `rotation` sets the display matrix a phone would."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.gop_size = gop
        video.codec_context.options = {"keyint_min": str(gop), "sc_threshold": "0"}
        if rotation:
            video.set_display_rotation(rotation)
        audio = out.add_stream("aac", rate=44100, layout="mono") if sound else None
        for i, bgr in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(bgr), format="bgr24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if audio is not None:
            t = np.arange(round(len(frames) / fps * 44100)) / 44100
            samples = np.where((t >= sound[0]) & (t < sound[1]), 0.3 * np.sin(2 * np.pi * 440 * t), 0).astype(
                np.float32
            )
            for at in range(0, len(samples), 1024):
                frame = av.AudioFrame.from_ndarray(samples[None, at : at + 1024], format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 44100, at
                for packet in audio.encode(frame):
                    out.mux(packet)
            for packet in audio.encode(None):
                out.mux(packet)
    return path


def sweep(hue_from: float, hue_to: float, seconds: float, fps: float = 10.0) -> list[np.ndarray]:
    """Saturated colour whose hue (degrees) turns steadily: every clip of it has a mean colour of its own."""
    n = round(seconds * fps)
    hues = np.linspace(hue_from, hue_to, n, endpoint=False) % 360 / 2  # OpenCV keeps hue in 0-179
    return [cv2.cvtColor(np.full((H, W, 3), (h, 220, 230), np.uint8), cv2.COLOR_HSV2BGR) for h in hues]
