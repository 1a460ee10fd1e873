"""Near-identical clip pairs across videos (neighbours.py) on their own: the exact scan against a brute-force
reference, and the projected inverted file of large libraries finding the same planted copies."""

from collections import Counter

import numpy as np
import pytest

from vidx.store import neighbours
from vidx.store.neighbours import similar_pairs


def library(videos=40, clips=10, dim=96, seed=0):
    """Videos of random clips; video v + 1 copies a few of video v's clips with a little noise, and each video
    holds one clip twice (a near-copy within a video, never a pair)."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((videos * clips, dim)).astype(np.float32)
    groups = np.repeat(np.arange(videos), clips)
    for v in range(0, videos - 1, 2):
        for c in range(3):
            vectors[(v + 1) * clips + c] = vectors[v * clips + c] + 0.05 * rng.standard_normal(dim)
        vectors[v * clips + 9] = vectors[v * clips + 8] + 0.05 * rng.standard_normal(dim)
    return vectors, groups


def reference(vectors, groups, k, min_similarity):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = unit @ unit.T
    found = Counter()
    for i in range(len(unit)):
        for j in np.argsort(-scores[i], kind="stable")[:k]:
            if scores[i, j] >= min_similarity and groups[i] != groups[j]:
                found[(i, int(j)) if groups[i] < groups[j] else (int(j), i)] += 1
    return found


@pytest.mark.parametrize(("k", "min_similarity"), [(16, 0.9), (2, 0.9), (16, 0.05)])
def test_the_exact_scan_finds_every_close_pair_across_videos(k, min_similarity):
    vectors, groups = library()
    expected = reference(vectors, groups, k, min_similarity)
    pairs = similar_pairs(vectors, groups, k=k, min_similarity=min_similarity)
    assert Counter(zip(pairs.a.tolist(), pairs.b.tolist(), strict=True)) == expected
    assert (groups[pairs.a] < groups[pairs.b]).all() and (pairs.similarity >= min_similarity).all()
    unit = vectors  # normalised in place
    assert np.allclose(np.linalg.norm(unit, axis=1), 1, atol=1e-5)
    assert np.allclose(pairs.similarity, np.sum(unit[pairs.a] * unit[pairs.b], axis=1), atol=1e-5)
    assert pairs.a.dtype == pairs.b.dtype == np.int64 and pairs.similarity.dtype == np.float32


def test_the_planted_copies_are_the_close_pairs():
    vectors, groups = library()
    pairs = similar_pairs(vectors, groups)
    planted = {(v * 10 + c, (v + 1) * 10 + c) for v in range(0, 39, 2) for c in range(3)}
    assert set(zip(pairs.a.tolist(), pairs.b.tolist(), strict=True)) == planted
    assert len(pairs.a) == 2 * len(planted), "each pair is found from both its clips"


def test_the_projected_inverted_file_finds_the_planted_copies(monkeypatch):
    monkeypatch.setattr(neighbours, "BATCH", 1000)  # several batches, as a large library has
    vectors, groups = library(videos=300, clips=10, dim=96)
    pairs = similar_pairs(vectors.copy(), groups, exact_below=100)
    exact = similar_pairs(vectors.copy(), groups)
    assert Counter(zip(pairs.a.tolist(), pairs.b.tolist(), strict=True)) == Counter(
        zip(exact.a.tolist(), exact.b.tolist(), strict=True)
    )
    assert np.allclose(np.sort(pairs.similarity), np.sort(exact.similarity), atol=1e-5)


def test_too_few_clips_make_no_pairs():
    for n in (0, 1):
        pairs = similar_pairs(np.ones((n, 8), np.float32), np.zeros(n, np.int64))
        assert (len(pairs.a), len(pairs.b), len(pairs.similarity)) == (0, 0, 0)
        assert pairs.a.dtype == np.int64 and pairs.similarity.dtype == np.float32


def test_a_projection_keeps_64_components_and_unit_length():
    vectors, _ = library(videos=30, dim=96)
    projected = neighbours._project(vectors)
    assert projected.shape == (300, neighbours.PCA_DIM) and projected.dtype == np.float32
    assert np.allclose(np.linalg.norm(projected, axis=1), 1, atol=1e-5)
    assert neighbours._project(vectors[:, :32]).shape == (300, 32)


def test_the_inverted_file_has_a_list_for_each_thousand_clips():
    vectors = np.random.default_rng(1).standard_normal((2500, 16)).astype(np.float32)
    index = neighbours._inverted_file(vectors, nprobe=5)
    assert (index.nlist, index.nprobe, index.ntotal, index.cp.niter) == (2, 2, 2500, 10)
    assert neighbours._inverted_file(vectors[:500], nprobe=1).nlist == 1


def test_a_sample_is_a_sorted_draw_without_repeats():
    vectors = np.arange(100, dtype=np.float32)[:, None]
    assert neighbours._sample(vectors, 100) is vectors
    drawn = neighbours._sample(vectors, 10)[:, 0]
    assert len(drawn) == 10 and len(set(drawn.tolist())) == 10 and (np.diff(drawn) > 0).all()


def test_two_clips_make_a_pair_and_sixteen_neighbours_are_asked_by_default():
    pairs = similar_pairs(np.array([[1, 0, 0, 0], [1, 0.01, 0, 0]], np.float32), np.array([0, 1]))
    assert pairs.a.tolist() == [0, 0] and pairs.b.tolist() == [1, 1]
    vectors, groups = library()
    found = similar_pairs(vectors.copy(), groups, min_similarity=0.05)
    expected = reference(vectors, groups, 16, 0.05)
    assert Counter(zip(found.a.tolist(), found.b.tolist(), strict=True)) == expected
    assert similar_pairs(np.ones((1, 4), np.float32), np.zeros(1, np.int64)).b.dtype == np.int64


def test_a_pair_exactly_at_the_threshold_is_kept():
    vectors = np.array([[1, 0, 0, 0], [1, 1, 0, 0]], np.float32)
    at = float(np.float32(1 / np.sqrt(np.float32(2))))
    pairs = similar_pairs(vectors.copy(), np.array([0, 1]), min_similarity=at)
    assert pairs.a.tolist() == [0, 0] and pairs.similarity.tolist() == [at, at]
    assert len(similar_pairs(vectors.copy(), np.array([0, 1]), min_similarity=np.nextafter(at, 1)).a) == 0


def test_pairs_are_scored_in_batches(monkeypatch):
    vectors, groups = library()
    expected = similar_pairs(vectors.copy(), groups)
    monkeypatch.setattr(neighbours, "BATCH", 4)
    pairs = similar_pairs(vectors.copy(), groups)
    assert len(pairs.a) > 8 and np.array_equal(pairs.similarity, expected.similarity)
    assert np.array_equal(pairs.a, expected.a) and np.array_equal(pairs.b, expected.b)


def test_a_sample_of_rows_draws_each_once_and_the_same_every_time():
    vectors = np.arange(50, dtype=np.float32)[:, None]
    drawn = neighbours._sample(vectors, 45)[:, 0]
    assert len(np.unique(drawn)) == 45 and np.array_equal(drawn, neighbours._sample(vectors, 45)[:, 0])


def hidden_pair(clips=1000, seed=2):
    """Clips spread over the first 64 of 128 dimensions, and two (rows 0 and 1) that also share most of their
    length in the last 64, where no other clip has any: too rare across the library to be among the projection's 64
    main components. In full they are near-copies (cosine 0.917); on the first 64 dimensions alone, 0.446."""
    rng = np.random.default_rng(seed)
    vectors = np.zeros((clips, 128), np.float32)
    vectors[:, :64] = rng.standard_normal((clips, 64))
    shared, rare = rng.standard_normal(64), rng.standard_normal(64) * 2.6
    for row in (0, 1):
        vectors[row] = np.r_[shared + rng.standard_normal(64) * 0.8, rare]
    return vectors


def test_a_pair_the_projection_hides_is_found_by_the_exact_scan_only():
    """The projected search compares the clips on their main components and passes on only candidates over its
    looser bar (0.8 here); the pair falls under it there, so it is never rescored, though it is a near-copy in full.
    A library of exactly `exact_below` clips already takes the projected search."""
    vectors = hidden_pair()
    groups = np.arange(len(vectors))
    exact = similar_pairs(vectors.copy(), groups, exact_below=len(vectors) + 1)
    assert (exact.a.tolist(), exact.b.tolist()) == ([0, 0], [1, 1])
    assert exact.similarity.tolist() == pytest.approx([0.917, 0.917], abs=1e-3)
    projected = similar_pairs(vectors.copy(), groups, exact_below=len(vectors))
    assert (len(projected.a), len(projected.b), len(projected.similarity)) == (0, 0, 0)
