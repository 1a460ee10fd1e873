"""One approximate segment on its own (ann.py): its sizes, training, search and the checks of its file."""

import faiss
import numpy as np
import pytest

from vidx.errors import IndexFileDamaged
from vidx.store import ann, checksums

DIM = 16


def vectors(n, seed=0):
    found = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return found / np.linalg.norm(found, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def segment():
    """A segment of 2000 vectors (ids 1000-2999), its lists learnt from all of them."""
    data = vectors(2000)
    index = ann.trained(data, ann.lists_for(2000))
    ann.add(index, np.arange(1000, 3000), data)
    return index, data


def test_codes_take_a_byte_for_every_eight_dimensions():
    assert [ann.supported(d) for d in (8, 512, 12, 4)] == [True, True, False, False]


@pytest.mark.parametrize(("n", "lists"), [(0, 4), (1, 4), (16, 16), (100, 32), (2000, 128), (10**9, 8192)])
def test_lists_are_the_power_of_two_nearest_four_square_roots(n, lists):
    assert ann.lists_for(n) == lists


@pytest.mark.parametrize(("n", "size"), [(5, 5), (20_000, 20_000), (100_000, 40_960), (10**7, 8192 * 40)])
def test_training_takes_forty_vectors_a_list_at_most(n, size):
    assert ann.training_size(n) == ann.training_size(n, codebooks=False) == size


def test_a_segment_holds_its_lists_codes_and_ids(segment):
    index, _ = segment
    assert (index.nlist, index.pq.M, index.pq.nbits, index.ntotal, index.metric_type) == (
        128,
        DIM // 8,
        ann.PQ_BITS,
        2000,
        faiss.METRIC_INNER_PRODUCT,
    )
    assert (index.cp.niter, index.cp.seed, index.pq.cp.niter) == (ann.KMEANS_ITERATIONS, 1234, ann.KMEANS_ITERATIONS)


def test_a_small_sample_learns_fewer_lists_and_bits_without_a_warning(capfd):
    index = ann.trained(vectors(20), 64)
    assert (index.nlist, index.pq.nbits, index.is_trained) == (20, 4, True)
    assert capfd.readouterr().err == ""


def test_lists_learnt_again_take_the_codebooks_they_are_given(segment):
    index, _ = segment
    again = ann.trained(vectors(500, seed=1), 16, codebooks=index)
    assert (again.nlist, again.pq.nbits, again.is_trained) == (16, ann.PQ_BITS, True)
    assert np.array_equal(faiss.vector_to_array(again.pq.centroids), faiss.vector_to_array(index.pq.centroids))
    assert again.quantizer.ntotal == 16


def test_the_fit_is_the_mean_cosine_to_each_vectors_centre(segment):
    index, data = segment
    centres = index.quantizer.reconstruct_n(0, index.nlist)
    assert ann.fit(index, centres[:5] * 3) == pytest.approx(1.0, abs=1e-5)
    _, lists = index.quantizer.search(data[:50], 1)
    unit = centres / np.linalg.norm(centres, axis=1, keepdims=True)
    expected = np.mean(np.sum(data[:50] * unit[lists[:, 0]], axis=1))
    assert ann.fit(index, data[:50]) == pytest.approx(expected, abs=1e-5)
    assert ann.fit(index, np.zeros((0, DIM), np.float32)) == 1.0


def test_a_search_finds_the_vector_itself_and_skips_the_dropped(segment):
    index, data = segment
    query = data[[7]]
    probed = ann.coarse(index, query)
    assert probed[0].shape == (1, ann.NPROBE) and probed[0].dtype == np.int64 and probed[1].dtype == np.float32
    scores, ids = ann.candidates(index, query, probed, 5, np.zeros(0, np.int64))
    assert ids[0] == 1007 and len(ids) == 5 and np.all(np.diff(scores) <= 0)
    _, ids = ann.candidates(index, query, probed, 5, np.array([1007], np.int64))
    assert 1007 not in ids.tolist() and len(ids) == 5


def test_removing_and_merging_count_the_vectors(segment, tmp_path):
    index, data = segment
    one, two = ann.trained(data, 16), ann.trained(data, 16)
    two.pq = one.pq
    two.quantizer = one.quantizer
    ann.add(one, np.arange(10), data[:10])
    ann.add(two, np.arange(10, 30), data[10:30])
    merged = ann.merged([one, two])
    assert merged is one and merged.ntotal == 30
    assert ann.remove(merged, np.array([3, 12, 99])) == 2 and merged.ntotal == 28
    assert ann.remove(merged, np.zeros(0, np.int64)) == 0


def test_a_saved_segment_loads_back_and_its_size_is_foreseen(segment, tmp_path):
    index, _ = segment
    path = tmp_path / "ann-000000-0-3000.faiss"
    size = ann.save(index, path)
    assert size == path.stat().st_size and [p.name for p in tmp_path.iterdir()] == [path.name]
    assert abs(ann.file_size(index) - size) < 0.05 * size
    for mapped in (False, True):
        loaded = ann.load(path, checksums.file_crc(path), mapped=mapped)
        assert loaded.ntotal == 2000 and loaded.nlist == 128


def test_a_segment_file_that_is_not_as_written_is_damaged(segment, tmp_path):
    index, _ = segment
    path = tmp_path / "ann.faiss"
    ann.save(index, path)
    crc = checksums.file_crc(path)
    with pytest.raises(IndexFileDamaged, match=f"^The index file {path} is damaged \\({ann.CHECKSUM_DIFFERS}\\)$"):
        ann.load(path, crc + 1)
    path.write_bytes(b"not an index")
    with pytest.raises(IndexFileDamaged, match=r"\(FAISS cannot read it\)$"):
        ann.load(path)
    faiss.write_index(faiss.IndexFlatIP(DIM), str(path))
    with pytest.raises(IndexFileDamaged, match=r"\(it is not a vidx index segment\)$"):
        ann.load(path)
    with pytest.raises(FileNotFoundError):
        ann.load(tmp_path / "gone.faiss")
