"""Date and duration filters: applied inside the search loop, so they never shorten the top-k."""

import datetime as dt
import os
from dataclasses import dataclass

import numpy as np
import pytest
import videos
from conftest import as_json

from vidx.config import Home
from vidx.errors import UsageError
from vidx.searcher import search_vector
from vidx.searcher.filters import Filters
from vidx.store import Catalog, ClipVector, VideoInfo
from vidx.store.catalog_writer import CatalogWriter


def local_ns(*args) -> int:
    return int(dt.datetime(*args).astimezone().timestamp()) * 1_000_000_000


def axis(i: int, scale: float = 1.0) -> np.ndarray:
    v = np.zeros(8, np.float32)
    v[i] = scale
    return v


def on_disk(path):
    """A file for a video indexed by hand: a search leaves out files gone from the disk."""
    path.write_bytes(b"")
    return path


@pytest.fixture
def catalog(vidx_home, tmp_path):
    """30 old short videos that match the query well, and 3 new long ones that match it worse."""
    catalog = Catalog(Home(vidx_home))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for i in range(30):
            clips = [ClipVector(j, j * 3.2, (j + 1) * 3.2, axis(0, 10 - i * 0.1 - j * 0.01)) for j in range(2)]
            stat = (1, local_ns(2020, 6, 1, 12, 0))
            path = on_disk(tmp_path / f"old{i:02d}.mp4")
            writer.save_video(root, str(path), stat, VideoInfo(path.name, 6.4, 10.0, 64), clips)
        for i, day in enumerate((1, 2, 3)):
            clips = [ClipVector(j, j * 3.2, (j + 1) * 3.2, axis(0, 1 + i) + axis(1)) for j in range(2)]
            stat = (1, local_ns(2024, 5, day, 23, 59))
            path = on_disk(tmp_path / f"new{day}.mp4")
            writer.save_video(root, str(path), stat, VideoInfo(path.name, 60.0 * day, 10.0, 600), clips)
    return catalog


def names(hits):
    return [os.path.basename(h.path) for h in hits]


def test_filters_never_shorten_the_top_k(catalog):
    # 66 clips: the first FAISS request (64) misses a new video; the loop must widen rather than return two.
    assert names(search_vector(catalog, axis(0), 3)) == ["old00.mp4", "old01.mp4", "old02.mp4"]
    since = Filters.parse(since="2024-01-01")
    assert names(search_vector(catalog, axis(0), 3, filters=since)) == ["new3.mp4", "new2.mp4", "new1.mp4"]
    clips = search_vector(catalog, axis(0), 5, clips=True, filters=since)
    assert names(clips) == ["new3.mp4", "new3.mp4", "new2.mp4", "new2.mp4", "new1.mp4"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"since": "2024-05-02"}, ["new3.mp4", "new2.mp4"]),
        ({"until": "2024-05-02"}, ["new2.mp4", "new1.mp4"] + [f"old{i:02d}.mp4" for i in range(30)]),
        ({"since": "2024-05-02", "until": "2024-05-02"}, ["new2.mp4"]),
        ({"until": "2024-05-02T23:59"}, ["new2.mp4", "new1.mp4"] + [f"old{i:02d}.mp4" for i in range(30)]),
        ({"until": "2024-05-02T23:58:59"}, ["new1.mp4"] + [f"old{i:02d}.mp4" for i in range(30)]),
        ({"min_duration": 60, "max_duration": 120}, ["new2.mp4", "new1.mp4"]),
        ({"max_duration": 6.4, "since": "2019-12-31"}, [f"old{i:02d}.mp4" for i in range(30)]),
        ({"min_duration": 181}, []),
    ],
)
def test_each_bound(catalog, options, expected):
    hits = search_vector(catalog, axis(1), 50, filters=Filters.parse(**options))
    assert sorted(names(hits)) == sorted(expected)


@dataclass(frozen=True)
class Dated:
    mtime_ns: int
    duration: float | None


def test_each_bound_at_its_edge():
    """--since takes in its first instant, --until leaves out the instant after its day (or its time); durations
    include both bounds, and a video of unknown duration fails any duration bound."""
    midnight = local_ns(2024, 5, 2, 0, 0)
    since, until = Filters.parse(since="2024-05-02"), Filters.parse(until="2024-05-01")
    assert [since.accepts(Dated(t, None)) for t in (midnight - 1, midnight)] == [False, True]
    assert [until.accepts(Dated(t, None)) for t in (midnight - 1, midnight)] == [True, False]
    both = Filters.parse(min_duration=60, max_duration=120)
    assert [both.accepts(Dated(midnight, d)) for d in (None, 59.9, 60, 120, 120.1)] == [False, False, True, True, False]
    longest = Filters.parse(max_duration=120)
    assert [longest.accepts(Dated(midnight, d)) for d in (None, 0, 120, 120.1)] == [False, True, True, False]
    assert Filters.parse(min_duration=60).accepts(Dated(midnight, 1e9))
    assert Filters.parse(min_duration=60, max_duration=60).accepts(Dated(midnight, 60)), "one duration exactly"
    noon = local_ns(2024, 5, 2, 12, 0)
    since, until = Filters.parse(since="2024-05-02T12:00"), Filters.parse(until="2024-05-02T12:00")
    assert [since.accepts(Dated(t, None)) for t in (noon - 1, noon)] == [False, True]
    assert [until.accepts(Dated(t, None)) for t in (noon, noon + 1)] == [True, False]


def test_no_filter_is_false():
    assert not Filters.parse()
    assert Filters.parse(min_duration=0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"since": "yesterday"},
            "--since takes an ISO date or date and time, e.g. 2024-05-31 or 2024-05-31T18:30, got 'yesterday'",
        ),
        (
            {"until": "2024-02-30"},
            "--until takes an ISO date or date and time, e.g. 2024-05-31 or 2024-05-31T18:30, got '2024-02-30'",
        ),
        (
            {"since": "2024-05-03", "until": "2024-05-02"},
            "--since 2024-05-03 is not before --until 2024-05-02: no file can match",
        ),
        ({"min_duration": -1}, "--min-duration must be a number of seconds >= 0, got -1"),
        ({"max_duration": -2.5}, "--max-duration must be a number of seconds >= 0, got -2.5"),
        ({"min_duration": 10, "max_duration": 5.5}, "--min-duration 10 is above --max-duration 5.5"),
    ],
)
def test_bad_bounds(options, message):
    with pytest.raises(UsageError) as error:
        Filters.parse(**options)
    assert str(error.value) == message


def test_modification_times_of_indexed_files(run, imported, tmp_path, vidx_home):
    folder = tmp_path / "lib"
    made = {
        "old": videos.write(folder / "old.mp4", videos.segments((videos.RED, 4))),
        "new": videos.write(folder / "new.avi", videos.segments(((70, 70, 190), 3))),  # less red than old
        "long": videos.write(folder / "long.mp4", videos.segments((videos.GREEN, 8))),
    }
    os.utime(made["old"], ns=(local_ns(2021, 3, 1, 8, 0),) * 2)
    os.utime(made["new"], ns=(local_ns(2024, 3, 1, 8, 0),) * 2)
    os.utime(made["long"], ns=(local_ns(2024, 3, 2, 8, 0),) * 2)
    run("index", folder, "--quiet")
    red = np.asarray(as_json(run("embed", "text", "red", "--json"))["vectors"][0], np.float32)
    catalog = Catalog(Home(vidx_home))
    assert names(search_vector(catalog, red, 3)) == ["old.mp4", "new.avi", "long.mp4"]
    assert names(search_vector(catalog, red, 3, filters=Filters.parse(since="2024-03-01"))) == ["new.avi", "long.mp4"]
    assert names(search_vector(catalog, red, 3, filters=Filters.parse(until="2024-03-01"))) == ["old.mp4", "new.avi"]
    assert names(search_vector(catalog, red, 3, filters=Filters.parse(min_duration=3.5))) == ["old.mp4", "long.mp4"]
