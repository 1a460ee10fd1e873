"""A reader of the segmented index meeting damage FAISS reads without complaint: random bytes inside a segment
(its header intact), written before the reader opened it or after, and vector rows that are not numbers."""

import os

import numpy as np
import pytest
from scribble import PARTS, scribble_part
from test_segments import DIM, Library, agrees_with_exact

from vidx.errors import IndexFileDamaged
from vidx.store import ann
from vidx.store.index_reader import OpenIndex


def approximate(folder):
    library = Library(folder, threshold=400)
    library.add_videos(60)
    library.save()
    assert library.state.kind == "approximate" and len(library.state.segments) == 1
    return library


def refreshed(library, reader):
    """What `reader` finds damaged as it moves to the library's state."""
    dropped = np.zeros(0, np.int64)
    return reader.refresh(library.state, library.ids(library.state.covered), dropped, library.ids)


@pytest.mark.parametrize("part", PARTS)
def test_a_segment_scribbled_inside_is_found_when_opened_and_searched_without(tmp_path, part):
    library = approximate(tmp_path)
    path = tmp_path / library.state.segments[0].file
    scribble_part(path, part)
    reader = OpenIndex(tmp_path)
    assert refreshed(library, reader) == [f"The index file {path} is damaged ({ann.CHECKSUM_DIFFERS})"]
    agrees_with_exact(library, reader)  # its clips scored exactly from their rows


def test_a_segment_scribbled_after_it_was_opened_is_read_through_again(tmp_path):
    library = approximate(tmp_path)
    reader = library.reader()
    path = tmp_path / library.state.segments[0].file
    os.utime(path, ns=(1, 1))  # it looks written to, yet is what was written: read through again, it passes
    agrees_with_exact(library, reader)
    scribble_part(path, "codes")
    with pytest.raises(IndexFileDamaged, match=ann.CHECKSUM_DIFFERS):
        reader.search(library.rows.read([1])[0], 10)  # HeldIndex refreshes the reader on this error
    assert refreshed(library, reader) == [f"The index file {path} is damaged ({ann.CHECKSUM_DIFFERS})"]
    agrees_with_exact(library, reader)


def test_rows_that_are_not_numbers_score_nothing_and_crowd_nothing_out(tmp_path):
    """A NaN score would sort above every other in the partition that finds the best n: as many NaN rows as n left
    no score at all, and a query found nothing."""
    library = Library(tmp_path, threshold=10**6)  # exact: every clip fresh, scored from its row on each query
    library.add_videos(30)
    library.save()
    damaged = np.full((300, DIM), np.nan, np.float16)
    damaged[::7] = 0
    damaged[::7, 0] = np.inf  # scores of +-inf
    with open(library.rows.path(0), "r+b") as f:
        f.seek(library.rows.row_bytes)  # row 1, the first clip's
        f.write(damaged.tobytes())
    query = library.rows.read([450])[0]
    scores, found = library.reader().search(query, 200)
    intact = library.ids()[300:]
    assert np.isfinite(scores).all()
    assert found.tolist() == intact[np.argsort(-(library.rows.read(intact) @ query), kind="stable")][:200].tolist()
