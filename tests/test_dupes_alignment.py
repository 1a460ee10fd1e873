"""How two videos' matching clips become a shared span (dupes.py's _align_all and _align), on vectors made by hand:
which time offset wins, which matches a pair needs before it is aligned, and which neighbour search finds them."""

import numpy as np
import pytest
from test_dupes import CLIP, walks_to_clips
from test_neighbours import hidden_pair

from vidx.searcher.dupes import group_duplicates
from vidx.store import ClipArrays, VideoFacts


def matched(clips: int, twins: list[tuple[int, int]], seed: int = 0):
    """Two videos of `clips` random clips each; w's clip j is a re-encode of v's clip i for each (i, j) in twins."""
    rng = np.random.default_rng(seed)
    v, w = rng.standard_normal((clips, 512)), rng.standard_normal((clips, 512))
    for i, j in twins:
        w[j] = v[i] + rng.standard_normal(512) * 0.08
    return walks_to_clips({"/v/v.mp4": v, "/v/w.mp4": w})


@pytest.mark.parametrize(
    ("length", "twins", "v_span", "w_span", "overlap"),
    [
        # Offsets (v's clip less w's) 2, 1 and 0. Each offset counts its own matches and those one clip to either
        # side: 1 counts 3, 0 and 2 count 2 each; all three are within a clip of 1 and kept.
        (5, [(2, 0), (3, 2), (4, 4)], (6.4, 16.0), (0.0, 16.0), 0.6),
        # Offsets 3, 3, 2, 2, 2, 1 and 0 (a copy drifting): 2 counts 6, 1 and 3 count 5, 0 counts 2. The matches
        # within a clip of 2 are kept (not the one at 0, two clips off): v's 3-8, w's 0-7.
        (10, [(3, 0), (4, 1), (5, 3), (6, 4), (7, 5), (8, 7), (9, 9)], (9.6, 28.8), (0.0, 25.6), 0.6),
    ],
    ids=["three-offsets", "drifting"],
)
def test_the_offset_with_most_matches_around_it_wins(length, twins, v_span, w_span, overlap):
    facts, clips = matched(length, twins)
    found = group_duplicates(facts, clips, 0.3, exact_below=10**9)
    assert [([(s.path, s.start, s.end) for s in g.videos], g.overlap) for g in found.groups] == [
        ([("/v/v.mp4", *v_span), ("/v/w.mp4", *w_span)], overlap)
    ]


def test_matches_found_from_one_side_only_still_count_each_clip():
    """A 6.4-s cut (a-cut) of two still shots that a long video (c-held) holds for 51.2 s each, and a 3.2-s copy of
    the cut's second clip (b-one). The long video's clips are each nearer to 15 clips of their own shot than to the
    cut's, which fill their 16 nearest: each of the cut's two clips is matched from its own side only, once. Two
    clips can make the cut's 6.4 s, so the pair is aligned (not skipped before): the cut is in the long video's group,
    whatever matches of the cut came before (b-one's)."""
    rng = np.random.default_rng(6)
    axes = np.linalg.qr(rng.standard_normal((512, 40)))[0].T  # orthonormal directions
    first, second = axes[0], axes[1]
    held = np.stack(
        [first + np.sqrt(0.1) * axes[3 + i] for i in range(15)]  # cosine 0.953 to the still shot
        + [first, second]
        + [second + np.sqrt(0.1) * axes[18 + i] for i in range(15)]
    )
    cut = np.stack([first + np.sqrt(0.2) * axes[33], second + np.sqrt(0.2) * axes[34]])  # 0.913 to the still shot
    facts, clips = walks_to_clips(
        {"/v/a-cut.mp4": cut, "/v/b-one.mp4": cut[1:] + 0.01 * axes[35], "/v/c-held.mp4": held}
    )
    found = group_duplicates(facts, clips, 0.8, exact_below=10**9)
    assert [([(s.path, s.start, s.end) for s in g.videos], g.overlap) for g in found.groups] == [
        ([("/v/c-held.mp4", 48.0, 54.4), ("/v/a-cut.mp4", 0.0, 6.4), ("/v/b-one.mp4", 0.0, 3.2)], 1.0)
    ]


def test_the_callers_exact_below_picks_the_neighbour_search():
    """Two one-clip videos whose clips are near-copies only in dimensions the projection drops (test_neighbours'
    hidden_pair): the exact search groups them; the projected one, which a caller asks for with exact_below=0,
    does not see them."""
    vectors = hidden_pair()
    ids = np.arange(1, len(vectors) + 1)
    facts = [VideoFacts(int(i), f"/v/{i:04d}.mp4", CLIP, f"h{i}") for i in ids]
    starts = np.zeros(len(vectors))

    def groups(exact_below):
        clips = ClipArrays(ids, starts, starts + CLIP, vectors.copy())
        return [[v.path for v in g.videos] for g in group_duplicates(facts, clips, exact_below=exact_below).groups]

    assert groups(10**9) == [["/v/0001.mp4", "/v/0002.mp4"]]
    assert groups(0) == []
