"""The IRs give the TF signatures' vectors, and vidx's clip sampling equals the notebook's at clip.fps=0."""

import numpy as np
import pytest
from conftest import SHARED_VIDEOS, as_json
from notebook import load_video
from toy_model import expected_video

from vidx.config import Home
from vidx.media.clips import cut_clips
from vidx.media.decode import read_frames
from vidx.model.pixels import scale
from vidx.model.runtime import TextEncoder, VideoEncoder

TEXTS = ["red", "Blue green", "BRIGHTENING moving red", "unknown words only", "a " * 20 + "red"]


@pytest.fixture(scope="module")
def tf_model(models):
    import tensorflow as tf

    return tf.saved_model.load(str(models["tf1"]), tags=[])


def _cosine(a, b):
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def _close(ours, theirs):
    nonzero = np.linalg.norm(theirs, axis=1) > 0
    assert np.all(_cosine(ours[nonzero], theirs[nonzero]) >= 0.9999)
    assert np.max(np.abs(ours - theirs)) <= 1e-4


def test_text_ir_matches_tf(tf_model, imported):
    import tensorflow as tf

    ours = TextEncoder(Home(imported)).embed(TEXTS)
    theirs = tf_model.signatures["text"](words=tf.constant(TEXTS))["text_embedding"].numpy()
    _close(ours, theirs)
    assert ours[0, 0] == 1.0 and ours[3].sum() == 0.0
    assert ours[4, 0] == 0.0, "only the first 16 words count"


def test_video_ir_matches_tf(tf_model, imported):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    clips = rng.random((3, 32, 224, 224, 3), dtype=np.float32)
    clips[1] = np.linspace(0, 1, 32, dtype=np.float32)[:, None, None, None] * clips[1]
    ours = VideoEncoder(Home(imported), "fp32", 32, 224).embed(clips)
    theirs = tf_model.signatures["video"](images=tf.constant(clips))["video_embedding"].numpy()
    _close(ours, theirs)
    np.testing.assert_allclose(ours, expected_video(clips), atol=1e-3)  # float32 means of 1.6M values


def _notebook_videos(library):
    paths = [library["red"], library["blue"], library["brightening"]]
    if SHARED_VIDEOS.is_dir():
        paths += [SHARED_VIDEOS / "bikes.mp4", SHARED_VIDEOS / "again.mkv"]
    return paths


def test_first_clip_equals_notebook_load_video(library):
    for path in _notebook_videos(library):
        reference = load_video(str(path)).astype(np.float32)
        first = scale(next(cut_clips(read_frames(path, 0, 224), 32, 0)).frames)
        assert first.shape == reference.shape == (32, 224, 224, 3)
        assert np.array_equal(first, reference), path


def test_embed_video_matches_notebook_and_tf(run, tf_model, imported, library):
    import tensorflow as tf

    for path in _notebook_videos(library):
        reference = load_video(str(path))[None]
        theirs = tf_model.signatures["video"](images=tf.cast(tf.constant(reference), tf.float32))[
            "video_embedding"
        ].numpy()
        data = as_json(run("--set", "clip.fps=0", "embed", "video", path, "--json"))
        assert data["path"] == str(path.resolve())  # ../shared may be a link
        ours = np.array([data["clips"][0]["vector"]], np.float32)
        assert _cosine(ours, theirs)[0] >= 0.9999, path


def test_embed_text_json_is_raw(run, imported):
    data = as_json(run("embed", "text", "red red", "blue", "--json"))
    assert len(data["vectors"]) == 2 and len(data["vectors"][0]) == 512
    assert data["vectors"][0][:3] == [2.0, 0.0, 0.0]
    assert data["vectors"][1][:3] == [0.0, 0.0, 1.0]
