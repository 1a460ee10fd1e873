"""The writer's side of the index (index_build.py) on its own: samples, the files a state names, leftovers."""

import numpy as np

from vidx.store import ann, index_build
from vidx.store.segments import IndexState, Lists, Segment


def test_a_sample_is_n_distinct_ids_sorted_and_the_same_every_time():
    ids = np.arange(100, 400, 3, dtype=np.int64)
    assert index_build._sample(ids, 100) is ids and index_build._sample(ids, 200) is ids
    drawn = index_build._sample(ids, 99)
    assert len(np.unique(drawn)) == 99 and np.isin(drawn, ids).all() and (np.diff(drawn) > 0).all()
    assert np.array_equal(drawn, index_build._sample(ids, 99))
    assert np.array_equal(index_build._sample(ids, 10), index_build._sample(ids, 10))


STATE = IndexState(
    dim=8,
    rows=50,
    segments=(Segment("ann-000002-0-50.faiss", 0, 50, 49, "lists-000001.faiss", 11),),
    lists=(Lists("lists-000001.faiss", 49, 0.5, 22),),
    made=3,
)


def test_a_state_names_its_segments_and_lists_with_their_checksums():
    assert index_build.files_named(STATE) == {"ann-000002-0-50.faiss": 11, "lists-000001.faiss": 22}


def test_files_no_committed_state_names_are_leftovers(tmp_path):
    names = [
        "ann-000002-0-50.faiss",
        "lists-000001.faiss",
        "ann-000005-0-50.faiss.tmp",
        "lists-000004.faiss",
        "trained-40.faiss",
        "vectors-000001.faiss",
        "rows-00000.f16",
        "rows-00000.f16.sparse",
        "notes.txt",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    left = [p.name for p in index_build.leftovers(tmp_path, STATE)]
    assert left == [
        "ann-000005-0-50.faiss.tmp",
        "lists-000004.faiss",
        "rows-00000.f16.sparse",
        "trained-40.faiss",
        "vectors-000001.faiss",
    ]
    index_build.forget_leftovers(tmp_path, STATE)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ann-000002-0-50.faiss",
        "lists-000001.faiss",
        "notes.txt",
        "rows-00000.f16",
    ]


def test_files_are_checked_against_their_checksums_and_stamped_when_unrecorded(tmp_path):
    vectors = np.random.default_rng(0).standard_normal((64, 8)).astype(np.float32)
    index = ann.trained(vectors, 4)
    ann.save(index, tmp_path / "lists-000001.faiss")
    ann.add(index, np.arange(1, 65), vectors)
    ann.save(index, tmp_path / "ann-000002-0-50.faiss")
    unrecorded = IndexState(
        dim=8,
        segments=(Segment("ann-000002-0-50.faiss", 0, 50, 64, "lists-000001.faiss"),),
        lists=(Lists("lists-000001.faiss", 64),),
    )
    found = index_build.check_files(tmp_path, unrecorded)
    assert (found.missing, found.damaged) == ([], [])
    crcs = {name: crc for name, crc in index_build.files_named(found.state).items()}
    assert all(crcs.values()) and found.state == IndexState(
        dim=8,
        segments=(Segment("ann-000002-0-50.faiss", 0, 50, 64, "lists-000001.faiss", crcs["ann-000002-0-50.faiss"]),),
        lists=(Lists("lists-000001.faiss", 64, 0.0, crcs["lists-000001.faiss"]),),
    )
    assert index_build.check_files(tmp_path, found.state) == index_build.FileCheck(found.state, [], [])
    (tmp_path / "lists-000001.faiss").unlink()
    with open(tmp_path / "ann-000002-0-50.faiss", "r+b") as f:
        f.seek(200)
        f.write(b"\xff\xff")
    harmed = index_build.check_files(tmp_path, found.state)
    assert harmed.missing == ["lists-000001.faiss"] and harmed.state.lists == found.state.lists
    path = tmp_path / "ann-000002-0-50.faiss"
    assert harmed.damaged == [
        f"The index file {path} is damaged (its checksum is not the one recorded when it was written)"
    ]
    path.write_bytes(b"garbage")
    assert index_build.check_files(tmp_path, unrecorded).damaged == [
        f"The index file {path} is damaged (FAISS cannot read it)"
    ]
