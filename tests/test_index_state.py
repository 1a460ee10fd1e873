"""The index state and the policy of segments.py on their own: the JSON kept in SQLite and the pure decisions."""

from dataclasses import replace

import pytest

from vidx.store import ann
from vidx.store.segments import (
    FRESH_MAX,
    MERGE_FACTOR,
    IndexState,
    Lists,
    Segment,
    Step,
    fresh_max,
    full_tier,
    keeps_lists,
    kind_for,
    next_step,
    rows_to_reclaim,
    tier,
    to_compact,
)

STATE = IndexState(
    dim=8,
    rows=901,
    segments=(Segment("ann-000001-0-500.faiss", 0, 500, 480, "lists-000000.faiss", 7),),
    lists=(Lists("lists-000000.faiss", 480, 0.75, 9),),
    made=2,
    reclaimed=20,
)


def test_a_state_reads_back_as_it_was_written():
    assert IndexState.from_json(STATE.as_json()) == STATE


def test_a_state_without_segments_or_lists_reads_as_one_with_none():
    assert IndexState.from_json('{"dim":8,"rows":5}') == IndexState(dim=8, rows=5)
    assert IndexState.from_json(None) == IndexState() == IndexState.from_json("")


def test_a_state_that_names_its_lists_keeps_them_beside_an_old_trained_for():
    text = STATE.as_json()[:-1] + ',"trained_for":300,"written_by":"a newer vidx"}'
    assert IndexState.from_json(text) == STATE


def test_the_main_lists_are_those_learnt_from_the_most_vectors():
    state = IndexState(lists=(Lists("a", 10), Lists("b", 30), Lists("c", 20)))
    assert state.main.file == "b" and state.lists_named("c") == Lists("c", 20)


def test_the_segments_cover_up_to_the_last_ones_end():
    assert (IndexState().covered, IndexState().kind) == (0, "exact")
    assert (STATE.covered, STATE.kind) == (500, "approximate")


def test_each_new_file_takes_the_next_number():
    name, state = STATE.next_segment(500, 901)
    assert (name, state.made) == ("ann-000002-500-901.faiss", 3)
    assert state.next_lists() == ("lists-000003.faiss", replace(state, made=4))


def test_a_state_keeps_only_the_lists_its_segments_use():
    new = Lists("lists-000002.faiss", 900)
    segment = Segment("ann-000003-0-901.faiss", 0, 901, 900, new.file)
    assert STATE.using((segment,), (new,)).lists == (new,)
    assert STATE.using((*STATE.segments, segment), (new,)).lists == (*STATE.lists, new)
    assert STATE.using(()) == replace(STATE, segments=(), lists=())


@pytest.mark.parametrize(("fit", "drifted"), [(0.75, False), (0.625, False), (0.6249, True), (0.0, True)])
def test_vectors_drift_from_lists_past_one_and_a_half_times_their_distance(fit, drifted):
    # The lists' own vectors lie 0.25 from their centres: drift starts past 0.375.
    assert Lists("lists", 100, fit=0.75).drifted(fit) is drifted
    assert not Lists("lists", 100).drifted(fit), "an unmeasured fit never drifts"


@pytest.mark.parametrize(
    ("live", "threshold", "dim", "kind"),
    [
        (100, 100, 8, "approximate"),
        (99, 100, 8, "exact"),
        (100, 100, 12, "exact"),  # PQ codes take dim / 8 bytes
        (ann.MIN_TRAINING, 1, 8, "approximate"),
        (ann.MIN_TRAINING - 1, 1, 8, "exact"),
    ],
)
def test_the_kind_follows_the_threshold_the_training_minimum_and_the_dimension(live, threshold, dim, kind):
    assert kind_for(live, threshold, dim) == kind


@pytest.mark.parametrize(("threshold", "most"), [(0, 1), (19, 1), (20, 2), (1000, 100), (10**9, FRESH_MAX)])
def test_fresh_clips_flush_at_a_tenth_of_the_threshold(threshold, most):
    assert fresh_max(threshold) == most


def test_the_next_step_depends_on_the_kind_the_segments_and_the_fresh_clips():
    segmented = replace(STATE, dim=8)
    assert next_step(IndexState(dim=8), 99, 99, 100) is Step.NOTHING
    assert next_step(segmented, 99, 0, 100) is Step.EXACT
    assert next_step(IndexState(dim=8), 100, 100, 100) is Step.BUILD
    assert next_step(segmented, 1000, 9, 100) is Step.NOTHING
    assert next_step(segmented, 1000, 10, 100) is Step.FLUSH


def test_a_segment_is_compacted_once_over_a_fifth_of_it_left():
    segments = (Segment("a", 0, 100, 100), Segment("b", 100, 200, 100), Segment("c", 200, 300, 50))
    assert to_compact(segments, [20, 21, 11]) == [1, 2]
    with pytest.raises(ValueError):
        to_compact(segments, [0, 0])


@pytest.mark.parametrize(("size", "level"), [(0, 0), (1, -1), (10, 0), (79, 0), (80, 1), (639, 1), (640, 2)])
def test_tiers_grow_by_the_merge_factor_from_the_fresh_size(size, level):
    assert tier(Segment("s", 0, 1, size), 100) == level  # fresh_max(100) is 10


def test_a_full_tier_is_the_newest_run_of_eight_segments_of_one_tier():
    small, large = Segment("s", 0, 1, 10), Segment("l", 0, 1, 80)
    assert full_tier((small,) * (MERGE_FACTOR - 1), 100) is None
    assert full_tier((large,) + (small,) * MERGE_FACTOR, 100) == (1, MERGE_FACTOR + 1)
    assert full_tier((large,) + (small,) * (MERGE_FACTOR - 1), 100) is None


def test_a_merge_keeps_one_set_of_lists_until_it_outgrows_four_times_their_vectors():
    state = IndexState(lists=(Lists("x", 100), Lists("y", 100)))
    assert keeps_lists(state, (Segment("a", 0, 1, 200, "x"), Segment("b", 1, 2, 200, "x")))
    assert not keeps_lists(state, (Segment("a", 0, 1, 200, "x"), Segment("b", 1, 2, 201, "x")))
    assert not keeps_lists(state, (Segment("a", 0, 1, 10, "x"), Segment("b", 1, 2, 10, "y")))


@pytest.mark.parametrize(
    ("rows", "reclaimed", "live", "due"),
    [(101, 0, 80, False), (101, 0, 79, True), (101, 20, 64, False), (101, 20, 63, True), (1, 0, 0, False)],
)
def test_dead_rows_are_reclaimed_past_a_fifth_of_the_rows_held(rows, reclaimed, live, due):
    assert rows_to_reclaim(IndexState(rows=rows, reclaimed=reclaimed), live) is due
