"""The reader's side of the index (index_reader.py) on its own: what a state holds, fresh clips kept across
refreshes, and searches that leave clips out, in milliseconds."""

import numpy as np
from test_segments import DIM, Library, agrees_with_exact

from vidx.store import index_reader
from vidx.store.index_reader import OpenIndex


def segmented(tmp_path, videos=20):
    library = Library(tmp_path, threshold=400)
    library.add_videos(videos)  # 400 clips: ids 1-400 in one segment
    library.save()
    return library


def test_the_size_counts_segments_less_their_dropped_clips_and_the_fresh_ones(tmp_path):
    library = segmented(tmp_path)
    library.add_videos(1)  # fresh: 401-420
    reader = library.reader()
    assert reader.size == 420 and OpenIndex(tmp_path).size == 0
    library.drop([5, 6, 401])
    reader = library.reader(reader)
    assert reader.size == 417
    assert reader.refresh(library.state, library.ids(library.state.covered), np.array([1, 400, 401]), library.ids) == []
    assert reader.size == 417, "401, past the segment, counts once: gone from the fresh ids, not the segment"


def test_fresh_clips_are_read_once_and_follow_each_refresh(tmp_path):
    library = segmented(tmp_path)
    library.add_videos(2)  # 401-440
    reader = library.reader()
    assert reader._fresh_ids.tolist() == list(range(401, 441))
    library.drop(range(401, 421))
    reader = library.reader(reader)
    assert reader._fresh_ids.tolist() == list(range(421, 441))
    assert np.array_equal(reader._fresh, library.rows.read(range(421, 441)))
    query = library.rows.read([430])[0]
    scores, ids = reader.search(query, 5)
    assert ids[0] == 430 and scores[0] == np.float32(query @ query) and np.all(np.diff(scores) <= 0)
    agrees_with_exact(library, reader)


def test_a_search_leaves_out_what_it_is_told_to(tmp_path):
    library = segmented(tmp_path)
    library.add_videos(1)
    reader = library.reader()
    query = library.rows.read([3])[0]
    _, ids = reader.search(query, 10)
    skip = np.sort(np.concatenate([ids[:5], [405]]))
    _, found = reader.search(query, 10, skip)
    assert not set(found.tolist()) & set(skip.tolist()) and len(found) == 10
    everything = library.exact(query, 40).tolist()
    assert found.tolist() == [i for i in everything if i not in set(skip.tolist())][:10]


def test_a_damaged_segments_clips_are_scored_exactly_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(index_reader, "EXACT_BATCH", 64)
    library = segmented(tmp_path)
    path = tmp_path / library.state.segments[0].file
    with open(path, "r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.write(b"\x09" * 16)
    reader = OpenIndex(tmp_path)
    said = reader.refresh(library.state, library.ids(library.state.covered), np.zeros(0, np.int64), library.ids)
    assert said == [f"The index file {path} is damaged (its checksum is not the one recorded when it was written)"]
    assert reader.size == 400 and reader._exact_ids.tolist() == list(range(1, 401))
    query = library.rows.read([77])[0]
    _, found = reader.search(query, 10, np.array([77], np.int64))
    assert found.tolist() == [i for i in library.exact(query, 11).tolist() if i != 77][:10]
    agrees_with_exact(library, reader)
    again = reader.refresh(library.state, library.ids(library.state.covered), np.zeros(0, np.int64), library.ids)
    assert again == said, "damaged once, damaged for good"


def test_the_best_of_many_scores_and_the_scores_themselves():
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert index_reader.scored(vectors, np.array([1, 0, 2], np.float32)).tolist() == [4, 13, 22, 31]
    assert index_reader.best_first(np.array([1.0, 3.0, 2.0, 3.0]), 2).tolist() == [1, 3]
    assert index_reader.best_first(np.array([1.0, 3.0]), 5).tolist() == [1, 0]
    assert DIM == 64
