"""Near-duplicates: same footage re-encoded, resized or cut is grouped; the same scenes in another order are not."""

import shutil

import cv2
import numpy as np
import pytest
import videos
from conftest import as_json

from vidx.config import Home
from vidx.errors import UsageError
from vidx.searcher.dupes import Duplicates, SharedSpan, find_duplicates, group_duplicates
from vidx.store import Catalog, ClipArrays, VideoFacts
from vidx.times import span

CLIP = 3.2


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Hue sweeps A (red to green), B (to blue), C (back to red), 12 s each: every clip has a colour of its own."""
    root = tmp_path_factory.mktemp("dupes")
    a, b, c = videos.sweep(0, 120, 12), videos.sweep(120, 240, 12), videos.sweep(240, 360, 12)
    original = a + b + c
    paths = {
        "original": videos.write(root / "lib" / "original.mp4", original),
        # Another codec, container-level encoder and a quarter of the pixels.
        "small": videos.write_av(root / "lib" / "small.mp4", [cv2.resize(f, (48, 32)) for f in original]),
        # 7.3 s to 29.1 s: its clips start 0.9 s off the original's.
        "cut": videos.write(root / "lib" / "cut.avi", original[73:291]),
        "shuffled": videos.write(root / "lib" / "shuffled.mp4", c + b + a),
        "other": videos.write(root / "lib" / "fade.mp4", videos.fade(20, 235, 100)),
    }
    paths["copy"] = root / "lib" / "zz copy.mp4"
    shutil.copy(paths["original"], paths["copy"])
    paths["root"] = root / "lib"
    return paths


def spans(group):
    return {v["path"]: (v["start"], v["end"], v["duration"]) for v in group["videos"]}


def test_same_footage_grouped_other_order_not(run, imported, made):
    run("index", made["root"], "--quiet")
    groups = as_json(run("dupes", "--json"))["groups"]
    assert [(g["kind"], [v["path"] for v in g["videos"]]) for g in groups] == [
        ("exact", [str(made["original"]), str(made["copy"])]),
        ("near", [str(made["original"]), str(made["cut"]), str(made["small"])]),
    ]
    exact, near = groups
    assert exact["overlap"] == 1.0
    assert spans(exact)[str(made["copy"])] == (0.0, 36.0, 36.0)
    assert 0.8 <= near["overlap"] <= 1.0
    start, end, duration = spans(near)[str(made["cut"])]
    assert (start, duration) == (0.0, pytest.approx(21.8, abs=0.1))
    assert end == pytest.approx(duration, abs=CLIP)
    assert spans(near)[str(made["small"])][:2] == (0.0, 36.0)
    assert spans(near)[str(made["original"])][:2] == (0.0, 36.0), "the anchor's span covers what any member shares"

    # The shuffled video does share single scenes: with a low enough bar it joins, at the overlap of one scene.
    loose = as_json(run("dupes", "--json", "--min-overlap", "0.2"))["groups"][1]
    start, end, _ = spans(loose)[str(made["shuffled"])]
    assert end - start <= 12 + CLIP
    assert loose["overlap"] == pytest.approx((end - start) / 36, abs=0.01) and loose["overlap"] < 0.5

    lines = run("dupes").output.splitlines()
    expected = []
    for g in groups:
        expected.append(f"{g['kind']}, overlap {g['overlap']:.2f}")
        expected += [f"  {v['path']}  {span(v['start'], v['end'], of=v['duration'])}" for v in g["videos"]]
    assert lines == expected


def test_a_cut_shows_where_it_sits_in_the_original(run, imported, made, tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    for name in ("original", "cut"):
        shutil.copy(made[name], folder / made[name].name)
    run("index", folder, "--quiet")
    (group,) = as_json(run("dupes", "--json"))["groups"]
    start, end, _ = spans(group)[str(folder / "original.mp4")]
    assert abs(start - 7.3) <= CLIP and abs(end - 29.1) <= CLIP, (start, end)
    assert group["overlap"] == 1.0


def test_empty_index_no_duplicates_and_bad_overlap(run, imported, made, tmp_path):
    assert run("dupes").output == "The index is empty: run `vidx index FOLDER` first.\n"
    assert as_json(run("dupes", "--json")) == {"groups": []}
    for value in ("0", "1.5", "-1"):
        result = run("dupes", "--min-overlap", value, check=False)
        assert (result.exit_code, result.output) == (
            2,
            f"Error: --min-overlap must be above 0 and at most 1, got {float(value):g}\n",
        )
    folder = tmp_path / "distinct"
    folder.mkdir()
    for name in ("original", "other"):
        shutil.copy(made[name], folder / made[name].name)
    run("index", folder, "--quiet")
    assert run("dupes").output == "No duplicates found.\n"


def synthetic(rng, videos_count=200, clips=30, dim=512):
    """Random-walk clip vectors per video, then a re-encode, a cut between clip boundaries and a reordering of
    video 0; returns (VideoFacts, ClipArrays)."""
    walks = [rng.standard_normal(dim) + np.cumsum(rng.standard_normal((clips, dim)) * 0.35, axis=0)]
    for _ in range(videos_count - 1):
        walks.append(rng.standard_normal(dim) + np.cumsum(rng.standard_normal((clips, dim)) * 0.35, axis=0))
    x = walks[0]
    noise = lambda n: rng.standard_normal((n, dim)) * 0.08  # noqa: E731
    walks.append(x + noise(clips))  # re-encode
    walks.append(0.6 * x[8:25] + 0.4 * x[9:26] + noise(17))  # cut, its clips 40% of a clip off the original's
    walks.append(np.concatenate([x[20:], x[10:20], x[:10]]) + noise(clips))  # same scenes, another order
    facts, ids, starts = [], [], []
    for i, walk in enumerate(walks):
        facts.append(VideoFacts(i + 1, f"/v/{i:03d}.mp4", len(walk) * CLIP, f"h{i}"))
        ids += [i + 1] * len(walk)
        starts += [j * CLIP for j in range(len(walk))]
    starts = np.array(starts)
    vectors = np.concatenate(walks).astype(np.float32)
    return facts, ClipArrays(np.array(ids, np.int64), starts, starts + CLIP, vectors)


@pytest.mark.parametrize("exact_below", [0, 10**9], ids=["pca+ivf", "exact"])
def test_both_neighbour_searches_find_the_planted_duplicates(exact_below):
    facts, clips = synthetic(np.random.default_rng(7))
    found = group_duplicates(facts, clips, 0.8, exact_below=exact_below)
    assert [[v.path for v in g.videos] for g in found.groups] == [["/v/000.mp4", "/v/200.mp4", "/v/201.mp4"]]
    (group,) = found.groups
    original, reencode, cut = group.videos
    assert (original.start, original.end) == (0.0, 96.0)
    assert (cut.start, cut.end) == (0.0, pytest.approx(17 * CLIP))
    assert group.overlap >= 0.9


def test_bad_overlap_in_the_library():
    with pytest.raises(UsageError):
        group_duplicates(
            [], ClipArrays(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros((0, 4), np.float32)), 0
        )


def test_a_shared_intro_does_not_chain_two_videos(run, imported, tmp_path):
    """An intro found in two different videos is a duplicate of each, but the two are not of each other."""
    intro, one, two = videos.sweep(0, 120, 12), videos.sweep(120, 240, 12), videos.sweep(240, 360, 12)
    root = tmp_path / "lib"
    first = videos.write(root / "a-first.mp4", intro + one)
    second = videos.write(root / "b-second.mp4", intro + two)
    alone = videos.write(root / "intro.mp4", intro[:60])
    run("index", root, "--quiet")
    groups = as_json(run("dupes", "--json"))["groups"]
    assert [(g["kind"], [v["path"] for v in g["videos"]]) for g in groups] == [("near", [str(first), str(alone)])], (
        "the longest video anchors the intro's group; the second video shares only half, so it stays out"
    )
    assert str(second) not in run("dupes").output


def test_an_overlap_of_exactly_one_and_the_default_bar(vidx_home):
    """--min-overlap 1 asks for whole-video matches only (allowed); a caller passing no bar gets 0.8."""
    facts, clips = synthetic(np.random.default_rng(7))
    whole = group_duplicates(facts, clips, 1.0)
    assert [([v.path for v in g.videos], g.overlap) for g in whole.groups] == [
        (["/v/000.mp4", "/v/200.mp4", "/v/201.mp4"], 1.0)
    ]
    assert group_duplicates(facts, clips) == group_duplicates(facts, clips, 0.8)
    assert find_duplicates(Catalog(Home(vidx_home))) == Duplicates(())


def test_exact_groups_are_in_the_order_of_their_first_path():
    """Each group lists its videos in the catalogue's order; the groups go by their first path. Videos without
    clips (none indexed yet, or none with pictures) still group by their bytes."""
    facts = [
        VideoFacts(1, "/v/c.mp4", 5.0, "h1"),
        VideoFacts(2, "/v/b.mp4", 6.0, "h2"),
        VideoFacts(3, "/v/a.mp4", 5.0, "h1"),
        VideoFacts(4, "/v/d.mp4", 6.0, "h2"),
    ]
    none = ClipArrays(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros((0, 4), np.float32))
    found = group_duplicates(facts, none)
    assert [(g.kind, [v.path for v in g.videos], g.overlap) for g in found.groups] == [
        ("exact", ["/v/b.mp4", "/v/d.mp4"], 1.0),
        ("exact", ["/v/c.mp4", "/v/a.mp4"], 1.0),
    ]
    assert found.groups[0].videos[1] == SharedSpan("/v/d.mp4", 6.0, 0.0, 6.0)
    assert group_duplicates([], none) == Duplicates(())


def test_clips_of_a_video_not_listed_are_left_out():
    """The catalogue's clips may belong to videos the list leaves out (not indexed as ok), past its last id."""
    facts, clips = synthetic(np.random.default_rng(7), videos_count=20)
    stray = clips.vectors[:5]  # video 1's first clips again: they would match it
    more = ClipArrays(
        np.r_[clips.video_ids, np.full(5, 999)],
        np.r_[clips.starts, clips.starts[:5]],
        np.r_[clips.ends, clips.ends[:5]],
        np.concatenate([clips.vectors, stray]),
    )
    found = group_duplicates(facts, more, 0.8, exact_below=10**9)
    assert [[v.path for v in g.videos] for g in found.groups] == [["/v/000.mp4", "/v/020.mp4", "/v/021.mp4"]]


def walks_to_clips(walks: dict, clip: float = CLIP) -> tuple[list[VideoFacts], ClipArrays]:
    """Each walk a video (ids from 1, in order), each row a clip of `clip` seconds."""
    facts = [VideoFacts(i + 1, path, len(w) * clip, path) for i, (path, w) in enumerate(walks.items())]
    ids = np.concatenate([np.full(len(w), i + 1) for i, w in enumerate(walks.values())])
    starts = np.concatenate([np.arange(len(w)) * clip for w in walks.values()])
    return facts, ClipArrays(ids, starts, starts + clip, np.concatenate(list(walks.values())).astype(np.float32))


def test_near_groups_go_by_overlap_then_path():
    """The group sharing more comes first, whatever the length of its videos; of groups sharing as much, the one
    whose first path comes first."""
    rng = np.random.default_rng(5)

    def walk(n):
        return rng.standard_normal(512) + np.cumsum(rng.standard_normal((n, 512)) * 0.35, axis=0)

    long, short, other = walk(40), walk(20), walk(20)
    walks = {
        "/v/long.mp4": long,
        "/v/long-tail.mp4": np.concatenate([long[8:], walk(8)]),  # shares 32 of 40 clips: 0.8
        "/v/short.mp4": short,
        "/v/short-again.mp4": short + rng.standard_normal(short.shape) * 0.08,  # a re-encode: 1.0
        "/v/t.mp4": other,
        "/v/a.mp4": other + rng.standard_normal(other.shape) * 0.08,
    }
    found = group_duplicates(*walks_to_clips(walks), 0.5, exact_below=10**9)
    assert [([v.path for v in g.videos], g.overlap) for g in found.groups] == [
        (["/v/a.mp4", "/v/t.mp4"], 1.0),
        (["/v/short-again.mp4", "/v/short.mp4"], 1.0),
        (["/v/long-tail.mp4", "/v/long.mp4"], 0.8),
    ]


def test_short_re_encodes_each_clip_matched_once_are_grouped():
    """A one-clip video and its re-encode, and a three-clip one whose every clip matches its twin once: few
    matching clips, but each pair can reach the bar, so none is skipped before its alignment."""
    rng = np.random.default_rng(11)
    one, three = rng.standard_normal((1, 512)), rng.standard_normal((3, 512))
    walks = {
        "/v/one.mp4": one,
        "/v/one-again.mp4": one + rng.standard_normal(one.shape) * 0.08,
        "/v/three.mp4": three,
        "/v/three-again.mp4": three + rng.standard_normal(three.shape) * 0.08,
    }
    found = group_duplicates(*walks_to_clips(walks), 0.8, exact_below=10**9)
    assert [([v.path for v in g.videos], g.overlap) for g in found.groups] == [
        (["/v/one-again.mp4", "/v/one.mp4"], 1.0),
        (["/v/three-again.mp4", "/v/three.mp4"], 1.0),
    ]


def test_a_pair_whose_matches_with_gaps_just_reach_the_bar_is_aligned():
    """Two 5-clip videos matching at clips 0 and 3 only (gaps of two clips) can just share 12.8 s of 16 s, the bar
    of 0.8: they are aligned, and grouped; a pair sharing one clip of 10, which cannot reach it, is skipped first."""
    rng = np.random.default_rng(3)
    long, five = rng.standard_normal((10, 512)), rng.standard_normal((5, 512))
    one_shared = rng.standard_normal((10, 512))
    one_shared[0] = long[0] + rng.standard_normal(512) * 0.08
    gappy = five + rng.standard_normal(five.shape) * 0.08
    gappy[[1, 2, 4]] = rng.standard_normal((3, 512))
    walks = {"/v/long.mp4": long, "/v/one-shared.mp4": one_shared, "/v/five.mp4": five, "/v/gappy.mp4": gappy}
    found = group_duplicates(*walks_to_clips(walks), 0.8, exact_below=10**9)
    assert [([v.path for v in g.videos], g.overlap) for g in found.groups] == [(["/v/five.mp4", "/v/gappy.mp4"], 0.8)]


def test_the_longest_stretch_of_matches_is_the_shared_span():
    """Two videos matching over four stretches, 0-9.6 s, 19.2-22.4 s, 32-44.8 s and 54.4-64 s, whose gaps (3 clips)
    are wider than a run may skip: the span they share is the longest stretch alone."""
    rng = np.random.default_rng(9)
    v = rng.standard_normal((20, 512))
    w = rng.standard_normal((20, 512))
    matched = [0, 1, 2, 6, 10, 11, 12, 13, 17, 18, 19]
    w[matched] = v[matched] + rng.standard_normal((len(matched), 512)) * 0.08
    starts = np.r_[np.arange(20), np.arange(20)] * CLIP
    facts = [VideoFacts(1, "/v/v.mp4", 20 * CLIP, "a"), VideoFacts(2, "/v/w.mp4", 20 * CLIP, "b")]
    clips = ClipArrays(np.repeat([1, 2], 20), starts, starts + CLIP, np.concatenate([v, w]).astype(np.float32))
    found = group_duplicates(facts, clips, 0.15, exact_below=10**9)
    assert [(g.videos, g.overlap) for g in found.groups] == [
        ((SharedSpan("/v/v.mp4", 64.0, 32.0, 44.8), SharedSpan("/v/w.mp4", 64.0, 32.0, 44.8)), 0.2)
    ]


def test_the_shared_seconds_are_the_shorter_of_the_two_spans():
    """A video whose last 15 clips (16-64 s) are in another that holds one of them twice (16-67.2 s there): they
    share 48 s, the shorter span, of the shorter video's 64 s."""
    rng = np.random.default_rng(4)
    v = rng.standard_normal((20, 512))
    w = np.concatenate([rng.standard_normal((5, 512)), v[5:13], v[12:13], v[13:]])
    w[5:] += rng.standard_normal((16, 512)) * 0.08
    facts = [VideoFacts(1, "/v/v.mp4", 20 * CLIP, "a"), VideoFacts(2, "/v/w.mp4", 21 * CLIP, "b")]
    for order in ([0, 1], [1, 0]):  # the longer video, the group's anchor, listed second and first
        listed = [(facts[i], [v, w][i]) for i in order]
        starts = np.concatenate([np.arange(len(walk)) * CLIP for _, walk in listed])
        ids = np.concatenate([np.full(len(walk), fact.id) for fact, walk in listed])
        vectors = np.concatenate([walk for _, walk in listed]).astype(np.float32)
        found = group_duplicates([f for f, _ in listed], ClipArrays(ids, starts, starts + CLIP, vectors), 0.5)
        assert [([(s.path, s.start, s.end) for s in g.videos], g.overlap) for g in found.groups] == [
            ([("/v/w.mp4", 16.0, 67.2), ("/v/v.mp4", 16.0, 64.0)], 0.75)
        ]


def test_members_go_by_path_and_an_anchor_left_without_members_ends_nothing():
    """a.mp4 (and its re-encodes a2, a3) holds b.mp4's first 16 clips of 20; c.mp4 is b.mp4's last 4, matching b.mp4
    alone, which a.mp4's group took already: c.mp4 anchors nothing, and the shorter pair after it (e.mp4, d.mp4) is
    still a group. A group's members go by path, whatever their order in the catalogue."""
    rng = np.random.default_rng(8)
    x, y, z = rng.standard_normal((16, 512)), rng.standard_normal((4, 512)), rng.standard_normal((2, 512))

    def again(walk):
        return walk + rng.standard_normal(walk.shape) * 0.08

    long = np.concatenate([x, rng.standard_normal((14, 512))])
    facts, clips = walks_to_clips(
        {
            "/v/a.mp4": long,
            "/v/b.mp4": np.concatenate([again(x), y]),
            "/v/c.mp4": again(y),
            "/v/e.mp4": z,
            "/v/d.mp4": again(z),
            "/v/a3.mp4": again(long),
            "/v/a2.mp4": again(long),
        }
    )
    found = group_duplicates(facts, clips, 0.8, exact_below=10**9)
    assert [([v.path for v in g.videos], g.overlap) for g in found.groups] == [
        (["/v/d.mp4", "/v/e.mp4"], 1.0),
        (["/v/a.mp4", "/v/a2.mp4", "/v/a3.mp4", "/v/b.mp4"], 0.8),
    ]


def test_overlaps_and_spans_are_given_to_three_decimals_and_short_videos_group():
    """Videos of 0.94 s (less than a second is no special case) sharing their last two clips of three: 0.667, over
    0.312-0.937 s of each."""
    rng = np.random.default_rng(12)
    v = rng.standard_normal((3, 512))
    w = np.concatenate([rng.standard_normal((1, 512)), v[1:] + rng.standard_normal((2, 512)) * 0.08])
    facts, clips = walks_to_clips({"/v/v.mp4": v, "/v/w.mp4": w}, clip=0.31245)
    found = group_duplicates(facts, clips, 0.5, exact_below=10**9)
    assert [([(v.path, v.start, v.end) for v in g.videos], g.overlap) for g in found.groups] == [
        ([("/v/v.mp4", 0.312, 0.937), ("/v/w.mp4", 0.312, 0.937)], 0.667)
    ]
