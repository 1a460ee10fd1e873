"""Clip cutting and frame sampling."""

import numpy as np
import pytest
from conftest import SHARED_VIDEOS

from vidx.errors import DecodeError
from vidx.media.clips import cut_clips
from vidx.media.decode import read_frames
from vidx.media.frames import DecodeStats, Frame
from vidx.model.pixels import scale


def frames(n, step=0.1):
    return [Frame(i * step, (i + 1) * step, np.full((2, 2, 3), i, np.uint8)) for i in range(n)]


def first_values(clip):
    return [int(round(v * 255)) for v in scale(clip.frames)[:, 0, 0, 0]]


def test_side_by_side_clips_and_an_end_aligned_tail():
    clips = list(cut_clips(frames(10), 4, 0))
    assert [first_values(c) for c in clips] == [[0, 1, 2, 3], [4, 5, 6, 7], [6, 7, 8, 9]]
    assert [(c.start, c.end) for c in clips] == [(0.0, 0.4), (0.4, 0.8), (0.6, 1.0)]
    assert [c.number for c in clips] == [0, 1, 2]


def test_exact_multiple_has_no_tail():
    assert len(list(cut_clips(frames(8), 4, 0))) == 2


def test_short_video_is_looped_frame_by_frame_like_the_notebook():
    (clip,) = cut_clips(frames(3), 8, 0)
    assert first_values(clip) == [0, 0, 0, 1, 1, 1, 2, 2]
    assert (clip.start, clip.end) == (0.0, 0.3)


def test_stride_in_seconds_overlaps_clips():
    clips = list(cut_clips(frames(9), 4, 0.2))
    assert [first_values(c)[0] for c in clips] == [0, 2, 4, 5]
    assert first_values(clips[-1]) == [5, 6, 7, 8], "the start at frame 6 ends in an end-aligned tail"


def test_max_clips_per_video():
    assert len(list(cut_clips(frames(40), 4, 0, max_clips=3))) == 3


def test_sampling_follows_decoder_timestamps(library):
    stats = DecodeStats()
    sampled = list(read_frames(library["red"], 5, 32, stats))
    assert stats.frames == 40
    assert stats.duration == pytest.approx(4.0)
    assert [round(f.time, 2) for f in sampled] == [round(0.2 * i, 2) for i in range(20)]


def test_undecodable_file(tmp_path):
    bad = tmp_path / "text.mp4"
    bad.write_text("not a video at all")
    with pytest.raises(DecodeError) as error:
        list(read_frames(bad, 10, 32))
    assert str(error.value).startswith(f"{bad}: ")


@pytest.mark.skipif(not SHARED_VIDEOS.is_dir(), reason="../shared/videos is absent: no real videos to decode")
@pytest.mark.parametrize(
    ("name", "frames", "seconds"),
    [
        ("again.mkv", 77, 2.57),
        ("book.mkv", 109, 3.63),
        ("car-detection.mp4", 377, 30.16),
        ("carphone_distorted.mp4", 120, 4.0),
    ],
)
def test_real_videos_counted_while_decoding(name, frames, seconds):
    stats = DecodeStats()
    sampled = list(read_frames(SHARED_VIDEOS / name, 10, 64, stats))
    assert stats.frames == frames
    assert stats.duration == pytest.approx(seconds, abs=0.05)
    assert len(sampled) == pytest.approx(seconds * 10, abs=2)
    assert all(b.time > a.time for a, b in zip(sampled, sampled[1:], strict=False))
