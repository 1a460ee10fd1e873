"""Fusing what was seen with what was said: reciprocal rank fusion, sides without signal left out."""

import pytest

from vidx.searcher.fusion import K, fuse, tells_apart, window
from vidx.searcher.said_query import fts_query, terms


def test_a_side_left_out_keeps_the_other_as_it_is():
    assert fuse([3, 1, 2], []) == [3, 1, 2]
    assert fuse([], [2, 3]) == [2, 3]
    assert fuse([], []) == []


def test_both_sides_good_beats_one_side_first():
    # 7 is first seen but never said; 5 is second on both sides.
    assert fuse([7, 5, 1], [9, 5, 2]) == [5, 7, 9, 1, 2]


def test_ranks_far_down_one_side_still_count():
    seen = list(range(100, 180))  # 80 videos
    said = [179, 1]
    fused = fuse(seen, said)
    assert fused[0] == 179  # last seen, first said: 1/140 + 1/61 beats 1/61 + nothing
    # Said second (1/62): after seen first (1/61), level with seen second, which the tie gives to the seen side.
    assert fused[:4] == [179, 100, 101, 1]


def test_ties_go_to_the_better_single_rank_then_to_the_seen_order():
    assert fuse([1, 2], [2, 1]) == [1, 2]  # equal sums, equal best ranks: seen order
    assert fuse([1, 2, 3], [3, 2, 1]) == [1, 3, 2]


def test_k_is_sixty_as_in_the_paper():
    # A video at rank r on both sides scores 2/(K + r), one first on one side only 1/(K + 1): level at r = K + 2,
    # where the tie goes to the better single rank, and the double one wins at r = K + 1.
    def place_of_2_at(rank: int) -> int:
        seen = [1, *range(100, 100 + rank - 2), 2]
        said = [1000, *range(1001, 1000 + rank - 1), 2]
        return fuse(seen, said).index(2)

    assert K == 60
    assert place_of_2_at(61) == 0
    assert place_of_2_at(62) == 2  # after 1 and 1000, first on one side each


def test_each_side_brings_twice_the_videos_wanted():
    assert [window(k) for k in (1, 10, 20)] == [2, 20, 40]


@pytest.mark.parametrize(
    "scores, apart",
    [
        ([], False),
        ([7.0], False),
        ([0.0, 0.0, 0.0], False),  # words the video model does not know: a zero text vector
        ([3.2, 3.2, 3.2], False),
        ([3.2, 3.2, 3.19999], False),
        ([3.2, 3.2, 3.19], True),
        ([0.3, 0.0, 0.0], True),
        ([-1.5, -2.5], True),
        ([-3.2, -3.2, -3.19999], False),  # alike, whatever their sign: the span is measured against their size
        ([0.0, 0.0, 0.0000011], True),  # above the absolute floor (1e-6)
        ([0.0, 0.0, 0.0000009], False),
        ([1.0001000100010001e-06, 0.0], False),  # a span exactly at the threshold is not above it
    ],
)
def test_a_side_tells_videos_apart_when_its_scores_differ(scores, apart):
    assert tells_apart(scores) is apart


@pytest.mark.parametrize(
    "text, expected_terms, query",
    [
        ("feed the cat", ["feed", "cat"], '"feed the cat" OR "feed" OR "cat"'),
        ("Kite", ["kite"], '"kite"'),
        ("red kite", ["red", "kite"], '"red kite" OR "red" OR "kite"'),  # two words are a phrase too
        ("the of and", [], None),
        ("", [], None),
        ("?!", [], None),
        ('cat AND "dog" -mouse*: cat', ["cat", "dog", "mouse"], '"cat and dog mouse cat" OR "cat" OR "dog" OR "mouse"'),
        ("Zoë's café", ["zoë", "s", "café"], '"zoë s café" OR "zoë" OR "s" OR "café"'),
    ],
)
def test_the_words_query(text, expected_terms, query):
    assert terms(text) == expected_terms
    assert fts_query(text) == query
