"""The segmented vector index on its own: float16 rows, IVF-PQ segments, the flush and merge policy, readers."""

import faiss
import numpy as np
import pytest

from vidx.errors import IndexFileDamaged
from vidx.store import ann, holes, index_build
from vidx.store.index_reader import OpenIndex, best_first
from vidx.store.segments import MERGE_FACTOR, IndexState, Lists, Step, fresh_max
from vidx.store.vector_rows import VectorRows

DIM = 64


class Library:
    """What the writer keeps in SQLite, kept in memory: the live ids, the dropped ones, the committed state."""

    def __init__(self, folder, threshold):
        self.folder, self.threshold = folder, threshold
        self.rows = VectorRows(folder, DIM)
        self.state = IndexState(dim=DIM)
        self.live: set[int] = set()
        self.dropped: set[int] = set()
        self.rng = np.random.default_rng(0)

    def ids(self, lo=0, hi=None):
        return np.array(sorted(i for i in self.live if i >= lo and (hi is None or i < hi)), np.int64)

    def add_videos(self, videos, clips=20, centres=None):
        """Videos as runs of similar clips: a random direction each (or the `centres` given: the same footage
        again), its clips a small step apart; returns the centres."""
        if centres is None:
            centres = self.rng.standard_normal((videos, 1, DIM)).astype(np.float32)
        vectors = (centres + 0.15 * self.rng.standard_normal((videos, clips, DIM))).reshape(-1, DIM)
        first = self.state.rows
        self.rows.write(first, vectors)
        self.state = IndexState(**{**self.state.__dict__, "rows": first + len(vectors)})
        self.live |= set(range(first, first + len(vectors)))
        return centres

    def drop(self, ids):
        self.live -= set(ids)
        self.dropped |= set(ids)

    def save(self, commit=True):
        dropped = np.array(sorted(self.dropped), np.int64)
        saved = index_build.save(self.folder, self.rows, self.state, self, dropped, self.threshold)
        if commit:
            self.state = saved.state
            self.dropped -= set(saved.purged.tolist())
            index_build.forget_leftovers(self.folder, self.state)
        return saved

    def reader(self, reader=None):
        reader = reader or OpenIndex(self.folder)
        dropped = np.array(sorted(i for i in self.dropped if i < self.state.covered), np.int64)
        reader.refresh(self.state, self.ids(self.state.covered), dropped, self.ids)
        return reader

    def exact(self, query, n):
        ids = self.ids()
        scores = self.rows.read(ids) @ query
        return ids[np.argsort(-scores, kind="stable")[:n]]

    def files(self):
        return sorted(p.name for p in self.folder.glob("ann-*.faiss"))


def agrees_with_exact(library, reader, queries=20):
    for at in library.rng.choice(library.ids(), queries, replace=False):
        query = library.rows.read([at])[0] + 0.05 * library.rng.standard_normal(DIM).astype(np.float32)
        _, found = reader.search(query, 10)
        assert found.tolist() == library.exact(query, 10).tolist()


def test_growth_across_runs_switches_the_kind_and_answers_stay_exact(tmp_path):
    library = Library(tmp_path, threshold=400)
    library.add_videos(10)
    assert library.save().step is Step.NOTHING and library.state.kind == "exact"
    agrees_with_exact(library, library.reader())
    library.add_videos(10)  # 400 clips: the threshold, by growth
    saved = library.save()
    assert (saved.step, library.state.kind, library.state.main.learnt_from) == (Step.BUILD, "approximate", 400)
    assert library.files() == ["ann-000001-0-401.faiss"] and library.state.main.file == "lists-000000.faiss"
    agrees_with_exact(library, library.reader())


def test_a_deletion_from_the_approximate_index_rewrites_nothing(tmp_path):
    library = Library(tmp_path, threshold=400)
    library.add_videos(25)
    library.save()
    reader = library.reader()
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    gone = list(range(41, 61))  # the third video
    library.drop(gone)
    saved = library.save()
    assert (saved.step, saved.bytes_written) == (Step.NOTHING, 0)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    reader = library.reader(reader)
    query = library.rows.read([45])[0]
    _, found = reader.search(query, 30)
    assert not set(found.tolist()) & set(gone)
    assert found.tolist() == library.exact(query, 30).tolist()
    assert reader.size == 480


def test_fresh_clips_flush_into_segments_whose_tiers_merge(tmp_path):
    library = Library(tmp_path, threshold=400)
    library.add_videos(20)
    library.save()
    reader = library.reader()
    flushes = 0
    for _ in range(2 * MERGE_FACTOR):
        library.add_videos(2)  # 40 clips: fresh_max(400)
        saved = library.save()
        flushes += saved.step is Step.FLUSH
        assert 0 < saved.bytes_written
        reader = library.reader(reader)
    assert flushes == 2 * MERGE_FACTOR and fresh_max(400) == 40
    # Two full tiers of eight 40-clip segments became two 320-clip ones, then eight more...
    sizes = [s.size for s in library.state.segments]
    assert sizes[0] == 400 and len(sizes) < MERGE_FACTOR and sum(sizes) == len(library.live)
    agrees_with_exact(library, reader)


def test_a_segment_written_before_a_commit_that_never_came_is_a_leftover(tmp_path):
    library = Library(tmp_path, threshold=400)
    library.add_videos(20)
    library.save()
    committed = library.files()
    library.add_videos(2)
    library.save(commit=False)  # kill -9 after the segment was written, before SQLite took the new state
    assert len(library.files()) == len(committed) + 1
    reader = library.reader()  # readers follow the committed state: the extra file is never opened
    agrees_with_exact(library, reader)
    library.save()
    assert len(library.state.segments) == 2 and library.files() == sorted(s.file for s in library.state.segments)


def test_fresh_clips_far_from_the_lists_get_lists_of_their_own(tmp_path):
    library = Library(tmp_path, threshold=4000)  # flushes of 400 clips: enough to learn lists from
    seen = library.add_videos(200)
    library.save()
    main = library.state.main
    library.add_videos(20, centres=seen[:20])  # more clips of the kinds the lists were learnt from
    saved = library.save()
    assert (saved.step, saved.learnt, library.state.segments[-1].lists) == (Step.FLUSH, 0, main.file)
    library.add_videos(20)  # clips of new kinds: far from every centre
    saved = library.save()
    drifted = library.state.segments[-1].lists
    assert (saved.step, saved.learnt) == (Step.FLUSH, 1) and drifted != main.file
    assert library.state.main == main and library.state.lists_named(drifted).learnt_from == 400
    own, main_lists = (ann.load(tmp_path / name) for name in (drifted, main.file))
    assert own.nlist != main_lists.nlist, "lists learnt for the drifted clips' own size"
    codebooks = [faiss.vector_to_array(index.pq.centroids) for index in (own, main_lists)]
    assert np.array_equal(*codebooks), "the codebooks are the main lists', not learnt again"
    agrees_with_exact(library, library.reader())


def test_drift_is_seen_from_loose_lists_as_from_close_ones():
    # Figures of benchmarks/scale.py: lists learnt from 100,000 synthetic clips fit them at cosine 0.80; the 8,192
    # lists learnt from 5.14M fit them at 0.42 (0.37 on clips outside the sample), and fresh walks at 0.17.
    close, loose = Lists("close.faiss", 100_000, fit=0.80), Lists("loose.faiss", 5_140_000, fit=0.423)
    assert close.drifted(0.69) and not close.drifted(0.71), "half as far again from the centres"
    assert loose.drifted(0.167) and not loose.drifted(0.365), "half the cosine to the centres"
    assert loose.drifted(0.21) and not loose.drifted(0.212)
    assert not Lists("l.faiss", 1000, fit=0.4).drifted(0.2), "exactly half the cosine is not yet drift"


def test_a_merge_learns_lists_again_when_it_outgrows_them_or_its_segments_differ(tmp_path):
    library = Library(tmp_path, threshold=400)
    library.add_videos(20)
    library.save()
    first = library.state.main
    learnt = []
    while len(library.state.segments) > 1 or library.state.segments[0].size == 400:
        library.add_videos(2)  # 40 clips: too few to learn from, so each flush takes the main lists
        learnt.append(library.save().learnt)
    # 8 flushes merge into a segment of 320 with the same lists; 7 of those and the first 400 are 2640 clips, past
    # four times the 400 the lists were learnt from: that merge learns lists for 2640.
    assert len(learnt) == 56 and learnt[-1] == 1 and sum(learnt) == 1
    (segment,) = library.state.segments
    assert segment.size == 2640 and library.state.main.learnt_from == 2640 and library.state.lists != (first,)
    assert not (tmp_path / first.file).exists()
    agrees_with_exact(library, library.reader())


def test_the_index_turns_exact_again_when_the_library_shrinks(tmp_path):
    library = Library(tmp_path, threshold=400)
    library.add_videos(81)
    library.save()
    library.drop(range(1, 1301))
    saved = library.save()
    assert (saved.step, library.state.kind, library.files(), library.state.lists) == (Step.EXACT, "exact", [], ())
    assert saved.purged.size == 1300 and not library.dropped
    agrees_with_exact(library, library.reader())


def test_only_the_segments_that_lost_many_clips_are_written_again(tmp_path):
    library = Library(tmp_path, threshold=400)
    library.add_videos(40)
    library.save()
    library.add_videos(2)
    library.save()
    (_, kept) = library.state.segments
    library.drop(range(1, 201))
    saved = library.save()
    assert saved.step is Step.COMPACT and not library.dropped
    assert [s.size for s in library.state.segments] == [600, 40] and library.state.segments[1] == kept
    agrees_with_exact(library, library.reader())


def test_the_rows_of_clips_that_left_give_their_space_back(tmp_path):
    library = Library(tmp_path, threshold=400)
    library.add_videos(100)  # 2000 rows of 128 bytes
    library.save()
    rows_file = tmp_path / "rows-00000.f16"
    before, size = rows_file.stat().st_blocks, rows_file.stat().st_size
    keep = library.rows.read(np.arange(1001, 2001))
    library.drop(range(1, 301))  # 15%: not yet
    assert library.save().state.reclaimed == 0 and rows_file.stat().st_blocks == before
    library.drop(range(301, 1001))
    assert library.save().state.reclaimed == 1000
    assert rows_file.stat().st_size == size and rows_file.stat().st_blocks * 512 <= before * 512 - 120_000
    assert np.array_equal(library.rows.read(np.arange(1001, 2001)), keep)
    agrees_with_exact(library, library.reader())


def test_a_file_system_without_holes_gets_a_sparse_copy(tmp_path):
    path = tmp_path / "rows"
    data = np.random.default_rng(0).integers(0, 255, 1 << 20, np.uint8).tobytes()
    path.write_bytes(data)
    holes.copy_without(path, [(4096, 500_000), (600_000, 700_003)])
    copied = path.read_bytes()
    assert len(copied) == len(data) and copied[:4096] == data[:4096] and copied[700_003:] == data[700_003:]
    assert copied[500_000:600_000] == data[500_000:600_000] and copied[4096:500_000] == bytes(495_904)
    assert copied[600_000:700_003] == bytes(100_003), "each part kept stops where the next hole starts"
    assert path.stat().st_blocks * 512 < len(data) - 400_000
    assert [p.name for p in tmp_path.iterdir()] == ["rows"]


def test_a_sparse_copy_that_cannot_read_its_file_says_why(tmp_path):
    # The copy fails before its file exists: the reason is the reading's, not a missing copy's.
    (tmp_path / "rows").mkdir()
    with pytest.raises(IsADirectoryError):
        holes.copy_without(tmp_path / "rows", [(0, 10)])
    assert [p.name for p in tmp_path.iterdir()] == ["rows"]


def test_a_state_written_before_lists_were_named_still_reads():
    old = '{"dim":8,"rows":9,"trained_for":8,"segments":[{"file":"ann-000000-0-9.faiss","lo":0,"hi":9,"size":8}],"made":1}'
    state = IndexState.from_json(old)
    assert state.lists == (Lists("trained-8.faiss", 8),) and state.segments[0].lists == "trained-8.faiss"
    assert not state.main.drifted(0.0) and not state.main.drifted(-0.2), "an unmeasured fit never calls for new lists"


def test_float16_rows_cost_under_a_thousandth_of_cosine(tmp_path):
    rows = VectorRows(tmp_path, 512, chunk_rows=1000)
    vectors = np.random.default_rng(1).standard_normal((2500, 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert rows.write(0, vectors) == 2500 * 1024
    assert [p.name for p in rows.files()] == ["rows-00000.f16", "rows-00001.f16", "rows-00002.f16"]
    stored = rows.read(np.arange(2500))
    queries = np.random.default_rng(2).standard_normal((50, 512)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    assert np.abs(stored @ queries.T - vectors @ queries.T).max() < 1e-3
    assert np.array_equal(rows.read([2499, 3, 1500]), stored[[2499, 3, 1500]])


@pytest.mark.parametrize(("n", "lists"), [(400, 64), (1_000_000, 4096), (10_000_000, 8192)])
def test_lists_follow_the_size(n, lists):
    assert ann.lists_for(n) == lists


def test_a_search_can_leave_out_ids_in_segments_and_fresh_clips(tmp_path):
    library = Library(tmp_path, threshold=400)
    library.add_videos(20)
    library.save()
    library.add_videos(1)  # fresh: past the segment
    reader = library.reader()
    query = library.rows.read([405])[0]
    _, first = reader.search(query, 30)
    assert 405 in first.tolist() and library.state.covered == 401
    skip = np.array(sorted(set(range(401, 421)) | set(range(1, 21))), np.int64)  # a fresh video, a segment's
    _, found = reader.search(query, 30, skip)
    assert not set(found.tolist()) & set(skip.tolist())
    kept = [i for i in library.exact(query, 60).tolist() if i not in set(skip.tolist())]
    assert found.tolist() == kept[:30]


def test_a_reader_told_of_a_segment_gone_since_raises_file_not_found(tmp_path):
    library = Library(tmp_path, threshold=400)
    library.add_videos(20)
    library.save()
    (tmp_path / library.state.segments[0].file).unlink()  # a writer moved past this state and deleted its file
    with pytest.raises(FileNotFoundError):
        library.reader()  # HeldIndex reads the state again on this error


def test_the_best_first_are_a_stable_sort_of_every_score_cut_to_n():
    scores = np.random.default_rng(3).integers(0, 7, 5000).astype(np.float32)  # the toy model's many ties
    for n in (1, 10, 200, 4999, 5000, 6000):
        assert best_first(scores, n).tolist() == np.argsort(-scores, kind="stable")[:n].tolist()


def test_a_compacted_segment_drops_its_first_clip_and_keeps_its_lists(tmp_path):
    library = Library(tmp_path, threshold=400)
    library.add_videos(20)
    library.save()
    library.add_videos(2)
    library.save()
    first, second = library.state.segments
    assert second.lo == 401 and second.lists == first.lists
    library.drop(range(401, 411))  # a quarter of the second segment, from its first clip on
    saved = library.save()
    assert saved.step is Step.COMPACT and library.state.segments[0] == first
    compacted = library.state.segments[1]
    assert (compacted.lo, compacted.hi, compacted.size, compacted.lists) == (401, 441, 30, first.lists)
    assert [x.file for x in library.state.lists] == [first.lists]
    assert not library.dropped, "the compacted segment holds none of them any more"
    reader = library.reader()
    _, found = reader.search(library.rows.read([401])[0], 50)
    assert 401 not in found.tolist()
    agrees_with_exact(library, reader)


def _scribble_near_the_end(path):
    with open(path, "r+b") as f:
        f.seek(path.stat().st_size - 64)
        f.write(b"\x07" * 8)


def _a_tier_one_flush_short_of_merging(tmp_path):
    """A library of 400 clips in one segment, then seven flushes of 40: the next flush fills the tier."""
    library = Library(tmp_path, threshold=400)
    library.add_videos(20)
    library.save()
    for _ in range(MERGE_FACTOR - 1):
        library.add_videos(2)
        library.save()
    return library


def test_a_segment_damaged_since_it_was_written_is_never_compacted(tmp_path):
    library = Library(tmp_path, threshold=200)
    library.add_videos(20)
    library.save()
    path = tmp_path / library.state.segments[0].file
    _scribble_near_the_end(path)
    library.drop(range(1, 101))
    with pytest.raises(IndexFileDamaged, match="its checksum is not the one recorded"):
        library.save()


def test_a_segment_damaged_since_it_was_written_is_never_merged(tmp_path):
    library = _a_tier_one_flush_short_of_merging(tmp_path)
    path = tmp_path / library.state.segments[3].file
    _scribble_near_the_end(path)
    library.add_videos(2)  # the eighth segment of its tier: the tier merges
    with pytest.raises(IndexFileDamaged, match="its checksum is not the one recorded"):
        library.save()


def test_a_merge_leaves_out_the_clips_that_left_its_segments(tmp_path):
    library = _a_tier_one_flush_short_of_merging(tmp_path)
    library.drop([401, 450])  # the run's first clip, and one inside it: too few to compact
    library.add_videos(2)
    saved = library.save()
    assert [(s.lo, s.hi, s.size) for s in library.state.segments] == [(0, 401, 400), (401, 721, 318)]
    assert saved.purged.tolist() == [401, 450] and not library.dropped
    reader = library.reader()
    for gone in (401, 450):
        assert gone not in reader.search(library.rows.read([gone])[0], 50)[1].tolist()
    agrees_with_exact(library, reader)


def test_a_save_that_compacts_still_flushes_the_fresh_clips_due(tmp_path):
    library = Library(tmp_path, threshold=200)
    library.add_videos(20)
    library.save()
    library.drop(range(1, 101))  # a quarter of the segment
    library.add_videos(2)  # 40 fresh clips: a flush is due too (at 20)
    saved = library.save()
    assert saved.step is Step.FLUSH and not library.dropped
    assert [(s.lo, s.hi, s.size) for s in library.state.segments] == [(0, 401, 300), (401, 441, 40)]
    agrees_with_exact(library, library.reader())
