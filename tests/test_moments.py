"""Whole moments: the run of clips around the best one, not a single 3.2-s clip."""

import numpy as np
import pytest
import videos
from conftest import as_json

from vidx.config import Home, load_settings
from vidx.searcher import search_vector
from vidx.searcher.moments import moment_run, with_moments
from vidx.searcher.search import Hit
from vidx.store import Catalog, ClipVector, VideoInfo
from vidx.store.catalog_writer import CatalogWriter

CLIP = 3.2  # 32 frames sampled at 10 fps


def test_run_stops_where_scores_leave_the_margin():
    scores = [0.0, 1.0, 6.0, 9.0, 10.0, 8.0, 2.0, 9.5]
    assert moment_run(scores, 0.5) == (2, 5), "6 and 8 are within 5 of 10; 2 breaks the run before 9.5"
    assert moment_run(scores, 0.0) == (4, 4)
    assert moment_run(scores, 1.0) == (0, 7)


def test_margin_is_the_same_whatever_the_scale_and_offset_of_scores():
    scores = np.array([0.1, 0.3, 7.0, 7.1, 6.9, 0.2, 7.0])
    first_last = moment_run(scores, 0.5)
    assert first_last == (2, 4)
    for scale, offset in [(1000.0, 0.0), (0.001, 0.0), (1.0, 500.0), (3.0, -80.0)]:
        assert moment_run(scores * scale + offset, 0.5) == first_last, (scale, offset)


def test_run_grows_around_the_anchor_the_search_found():
    scores = [9.0, 1.0, 9.0, 8.0, 1.0]
    assert moment_run(scores, 0.5) == (0, 0)
    assert moment_run(scores, 0.5, anchor=2) == (2, 3)


def test_a_hit_whose_video_lost_its_clips_keeps_its_single_clip(vidx_home):
    catalog = Catalog(Home(vidx_home))
    hit = Hit(1, "/v/re-indexed.mp4", 0.5, 3.2, 6.4, clip_id=9, video_id=4)
    assert with_moments(catalog, np.ones(4, np.float32), [hit], 0.5) == [hit]
    assert with_moments(catalog, np.ones(4, np.float32), [], 0.5) == []


def test_the_moments_of_several_videos_are_read_together(vidx_home, tmp_path):
    catalog = Catalog(Home(vidx_home))
    axes = np.eye(4, dtype=np.float32)
    hits = []
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for name, scores, best in (("a.mp4", [0, 1, 9, 10, 9, 0], 3), ("b.mp4", [10, 8, 1, 0], 0)):
            clips = [ClipVector(i, CLIP * i, CLIP * (i + 1), s * axes[0] + axes[1]) for i, s in enumerate(scores)]
            info = VideoInfo(name, CLIP * len(clips), 10.0, 32 * len(clips))
            video = writer.save_video(root, str(tmp_path / name), (1, 1), info, clips)
            start = CLIP * best
            hits.append(
                Hit(len(hits) + 1, str(tmp_path / name), 10.0, start, start + CLIP, catalog.clip_id(video, best), video)
            )
    found = with_moments(catalog, axes[0], hits, 0.5)
    assert [(h.path, h.start, h.end) for h in found] == [(hits[0].path, 6.4, 16.0), (hits[1].path, 0.0, 6.4)]


def test_grey_red_grey_gives_the_red_moment(run, imported, tmp_path, vidx_home):
    folder = tmp_path / "lib"
    path = videos.write(
        folder / "grey_red_grey.mp4", videos.segments((videos.GREY, 12), (videos.RED, 16), (videos.GREY, 12))
    )
    run("index", folder, "--quiet")
    red = np.asarray(as_json(run("embed", "text", "red", "--json"))["vectors"][0], np.float32)
    catalog = Catalog(Home(vidx_home))
    (hit,) = search_vector(catalog, red, 1)
    assert hit.path == str(path)
    assert hit.end - hit.start == pytest.approx(CLIP), "the search itself still finds one clip"
    margin = load_settings(Home(vidx_home)).search.moment_margin
    (moment,) = with_moments(catalog, red, [hit], margin)
    # Clips of 3.2 s tile the video from 0: the red 12-28 s is exactly covered by the clips from 12.8 to 28.8 s
    # that are mostly red.
    assert (moment.start, moment.end) == pytest.approx((12.8, 28.8)), (moment.start, moment.end)
    assert (moment.rank, moment.path, moment.score, moment.clip_id) == (hit.rank, hit.path, hit.score, hit.clip_id)


def test_margin_setting(run, monkeypatch):
    assert as_json(run("config", "--json"))["settings"]["search.moment_margin"] == {"value": 0.5, "from": "default"}
    monkeypatch.setenv("VIDX_SEARCH_MOMENT_MARGIN", "1.5")
    result = run("config", check=False)
    assert (result.exit_code, result.output) == (
        2,
        "Error: Invalid value for search.moment_margin (env VIDX_SEARCH_MOMENT_MARGIN): must be <= 1, got 1.5\n",
    )
    monkeypatch.setenv("VIDX_SEARCH_MOMENT_MARGIN", "-0.1")
    result = run("config", check=False)
    assert result.output.endswith("must be >= 0, got -0.1\n")


def test_a_damaged_clip_beside_the_best_never_widens_its_moment(vidx_home, tmp_path):
    """A clip whose stored vector fails its checksum scores as its video's worst intact clip (5 here, not 0), however
    loud its bytes: the moment is the best clip and the one before it, as with its true vector."""
    catalog = Catalog(Home(vidx_home))
    axes = np.eye(4, dtype=np.float32)
    scores = [5, 9, 10, 1, 5]
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        clips = [ClipVector(i, CLIP * i, CLIP * (i + 1), s * axes[0] + axes[1]) for i, s in enumerate(scores)]
        info = VideoInfo("a", CLIP * len(clips), 10.0, 32 * len(clips))
        video = writer.save_video(root, str(tmp_path / "a.mp4"), (1, 1), info, clips)
    best, loud = catalog.clip_id(video, 2), catalog.clip_id(video, 3)
    hit = Hit(1, str(tmp_path / "a.mp4"), 10.0, 2 * CLIP, 3 * CLIP, best, video)
    assert [(h.start, h.end) for h in with_moments(catalog, axes[0], [hit], 0.5)] == [(CLIP, 3 * CLIP)]
    width = catalog.index_state().dim * 2
    with open(vidx_home / "index" / "rows-00000.f16", "r+b") as f:
        f.seek(loud * width)
        f.write((axes[0] * 1000).astype(np.float16).tobytes())
    assert [(h.start, h.end) for h in with_moments(catalog, axes[0], [hit], 0.5)] == [(CLIP, 3 * CLIP)]


def test_a_moment_grows_around_the_clip_the_search_found(vidx_home, tmp_path):
    """An approximate index may find a clip other than the exact best: the moment is around that clip."""
    catalog = Catalog(Home(vidx_home))
    axes = np.eye(4, dtype=np.float32)
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        clips = [ClipVector(i, CLIP * i, CLIP * (i + 1), s * axes[0]) for i, s in enumerate([9, 1, 10, 9])]
        video = writer.save_video(root, str(tmp_path / "a.mp4"), (1, 1), VideoInfo("a", 4 * CLIP, 10.0, 128), clips)
    found = Hit(1, str(tmp_path / "a.mp4"), 9.0, 0.0, CLIP, catalog.clip_id(video, 0), video)
    assert [(h.start, h.end) for h in with_moments(catalog, axes[0], [found], 0.5)] == [(0.0, CLIP)]


def test_hits_whose_video_changed_between_the_search_and_the_moments(vidx_home, tmp_path):
    """An index run in between: a hit whose video lost its clips keeps its single clip beside the others' moments,
    and one whose video was indexed again (new clip ids) has its moment around the new clips' best."""
    catalog = Catalog(Home(vidx_home))
    axes = np.eye(4, dtype=np.float32)
    path = str(tmp_path / "a.mp4")

    def clips(scores):
        return [ClipVector(i, CLIP * i, CLIP * (i + 1), s * axes[0]) for i, s in enumerate(scores)]

    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        video = writer.save_video(root, path, (1, 1), VideoInfo("a", 4 * CLIP, 10.0, 128), clips([10, 0, 0, 0]))
        old = catalog.clip_id(video, 0)
        writer.save_video(root, path, (2, 2), VideoInfo("a2", 4 * CLIP, 10.0, 128), clips([0, 0, 9, 10]))
    lost = Hit(1, "/v/re-indexed.mp4", 0.5, 3.2, 6.4, clip_id=old + 100, video_id=video + 100)
    again = Hit(2, path, 10.0, 0.0, CLIP, old, video)
    found = with_moments(catalog, axes[0], [lost, again], 0.5)
    assert [(h.path, h.start, h.end) for h in found] == [(lost.path, 3.2, 6.4), (path, 2 * CLIP, 4 * CLIP)]
