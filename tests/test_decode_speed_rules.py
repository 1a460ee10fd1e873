"""What the faster decoding may and may not change.

clip.fps 0: every frame bit-identical to the notebook's OpenCV reader. clip.fps > 0: each sample time k/fps
takes a real frame of the video within half a sampling period, every sample time that has such a frame takes
one, and a clip's start and end are the times of the frames it uses.
"""

import hashlib
import math

import cv2
import numpy as np
import pytest
from conftest import SHARED_VIDEOS
from notebook import crop_center_square

from vidx.config.settings import ClipSettings
from vidx.media import opening
from vidx.media.decode import read_frames, video_clips
from vidx.media.frames import DecodeStats
from vidx.model.pixels import scale

# Real files of each kind: 30 fps H.264 with B-frames (pyramid and not), 25, 12.5 and 10 fps H.264, Matroska.
REAL = [
    "bikes.mp4",
    "bottle-detection.mp4",
    "car-detection.mp4",
    "carphone_pristine.mp4",
    "one-by-one-person-detection.mp4",
    "again.mkv",
]
GENERATED = ["red", "green", "blue", "brightening", "darkening", "moving"]


def videos(library):
    paths = [library[name] for name in GENERATED]
    if SHARED_VIDEOS.is_dir():
        paths += [SHARED_VIDEOS / name for name in REAL]
    return paths


def notebook_frames(path, size):
    """Every frame as the notebook reads it: cv2.VideoCapture, centre crop, cv2.resize, BGR -> RGB."""
    cap = cv2.VideoCapture(str(path))
    while True:
        ok, frame = cap.read()
        if not ok:
            cap.release()
            return
        yield cv2.resize(crop_center_square(frame), (size, size))[:, :, [2, 1, 0]]


def identity(pixels: np.ndarray) -> tuple:
    """A frame's shape, type and a SHA-256 of its bytes: equal exactly when the frames are bit-identical."""
    return pixels.shape, pixels.dtype.str, hashlib.sha256(np.ascontiguousarray(pixels)).hexdigest()


@pytest.fixture(scope="module")
def notebook_identities(library):
    """Each video's frames as the notebook reads them at 224, read once for both thread counts, kept as their
    identities (the frames of the real videos would take half a gigabyte)."""
    return {path: [identity(f) for f in notebook_frames(path, 224)] for path in videos(library)}


@pytest.mark.parametrize("threads", ["default", "single"])
def test_fps_0_frames_are_the_notebooks(library, notebook_identities, monkeypatch, threads):
    if threads == "single":
        # What a decoding process of `vidx index` uses; decoding is exact whatever the thread count.
        monkeypatch.setattr(opening, "_CAPTURE_PARAMS", [cv2.CAP_PROP_N_THREADS, 1])
    for path in videos(library):
        ours = [identity(f.pixels) for f in read_frames(path, 0, 224)]
        theirs = notebook_identities[path]
        assert len(ours) == len(theirs) > 0, path
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert a == b, f"{path.name}: frame {i} differs"


def every_frame(path, size):
    """(time, pixels) of every frame, through the fps 0 reader, and the stream's duration."""
    stats = DecodeStats()
    frames = [(f.time, f.pixels) for f in read_frames(path, 0, size, stats)]
    return frames, stats.duration


@pytest.mark.parametrize("fps", [10.0, 4.0])
def test_fps_above_0_takes_real_frames_within_half_a_period(library, fps):
    period = 1 / fps
    for path in videos(library):
        frames, duration = every_frame(path, 32)
        by_time = {round(t, 6): pixels for t, pixels in frames}
        sampled = list(read_frames(path, fps, 32))
        samples = [round(f.time / period) for f in sampled]
        for f, k in zip(sampled, samples, strict=True):
            assert abs(f.time - k * period) <= period / 2 + 1e-6, (path.name, f.time)
            assert np.array_equal(f.pixels, by_time[round(f.time, 6)]), (path.name, f.time)
            assert f.end == pytest.approx(f.time + period)
        assert samples == sorted(set(samples)), f"{path.name}: a sample time used twice or out of order"
        # Every sample time inside the video with a frame within half a period takes one.
        wanted = {math.floor(t / period + 0.5) for t, _ in frames}
        assert set(samples) == {k for k in wanted if k >= 0 and k * period < duration - 1e-9}, path.name


@pytest.mark.skipif(not SHARED_VIDEOS.is_dir(), reason="../shared/videos is absent: no B-frame video to decode")
def test_a_sample_time_may_take_a_neighbouring_reference_frame():
    # bikes.mp4 is 25 fps H.264 with B-frames: some sample times fall on a frame no other frame refers to,
    # and the reader takes the decodable frame beside it instead of decoding that one.
    frames, _ = every_frame(SHARED_VIDEOS / "bikes.mp4", 32)
    times = [t for t, _ in frames]
    sampled = [f.time for f in read_frames(SHARED_VIDEOS / "bikes.mp4", 10, 32)]

    def closest(s):
        sample = round(s * 10) / 10
        return min(times, key=lambda t: (abs(t - sample), t))

    nearest = [closest(s) for s in sampled]
    moved = [s for s, n in zip(sampled, nearest, strict=True) if s != n]
    assert moved and all(abs(s - n) <= 0.05 + 1e-6 for s, n in zip(sampled, nearest, strict=True))


@pytest.mark.parametrize("fps", [10.0, 0.0])
def test_clip_start_and_end_are_the_times_of_its_frames(library, fps):
    settings = ClipSettings(frames=8, size=32, fps=fps, stride=0.0, max_per_video=0)
    for path in videos(library):
        sampled = list(read_frames(path, fps, 32))
        clips = list(video_clips(path, settings))
        starts = {round(f.time, 3) for f in sampled}
        ends = {round(f.end, 3) for f in sampled}
        assert clips, path.name
        for clip in clips:
            assert clip.start in starts and clip.end in ends, (path.name, clip.start, clip.end)


def test_scaling_to_float_is_the_notebooks_division_for_every_byte():
    values = np.arange(256, dtype=np.uint8)
    assert np.array_equal(scale(values), (values / 255.0).astype(np.float32))
