"""A words hit over hand-made clips and lines: which clip scores it, the moment it shows, and what a damaged clip
or a video of unknown length changes."""

import os
from pathlib import Path

import numpy as np
import pytest
from hand_made import QUERY, put, search

from vidx.config import Home
from vidx.said import Segment
from vidx.searcher.said_hits import said_hits
from vidx.searcher.said_side import said_matches
from vidx.searcher.search import Wanted
from vidx.store import Catalog
from vidx.store.catalog_writer import CatalogWriter


@pytest.fixture
def catalog(vidx_home):
    return Catalog(Home(vidx_home))


def said(catalog, text: str, k: int = 5, under=None):
    """The said mode's hits, and those by file name."""
    hits = search(catalog, text, k, mode="said", under=under)
    return hits, {Path(hit.path).name: hit for hit in hits}


def damage(catalog, vidx_home, clip_id: int) -> None:
    """Overwrite a clip's stored vector with loud bytes that fail its checksum."""
    width = catalog.index_state().dim * 2
    with open(vidx_home / "index" / "rows-00000.f16", "r+b") as f:
        f.seek(clip_id * width)
        f.write((QUERY * 1000).astype(np.float16).tobytes())


def test_the_best_clip_overlapping_the_line_scores_it_even_one_touching_an_end(catalog, tmp_path):
    """The line 2-4 s overlaps clips 0-2, 2-4 and 4-6: the one touching its end scores best in one video, the one
    touching its start in the other; the 8-10 s clip, scoring more, does not overlap it."""
    line = Segment(2.0, 4.0, "a kite over the hill", "subtitles")
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        at_end = put(writer, root, tmp_path / "end.mp4", [0.25, 0.5, 1.0, 0.125, 2.0], [line])
        at_start = put(writer, root, tmp_path / "start.mp4", [1.0, 0.5, 0.25, 0.125, 2.0], [line])
    _, hits = said(catalog, "kite")
    shown = {name: (h.score, h.start, h.end, h.clip_id, h.said) for name, h in hits.items()}
    assert shown == {
        "end.mp4": (1.0, 2.0, 4.0, catalog.clip_id(at_end, 2), line),
        "start.mp4": (1.0, 2.0, 4.0, catalog.clip_id(at_start, 0), line),
    }


def test_a_line_past_the_last_clip_is_shown_at_the_clip_starting_nearest_it(catalog, tmp_path):
    """past.mp4's line starts after its 6 s; edge.mp4's starts at its very end, touching its last clip."""
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        past = put(writer, root, tmp_path / "past.mp4", [2.0, 1.0, 0.5], [Segment(9.0, 10.0, "kite", "subtitles")])
        edge = put(writer, root, tmp_path / "edge.mp4", [2.0, 1.0, 0.75], [Segment(6.0, 7.0, "kite", "subtitles")])
    _, hits = said(catalog, "kite")
    shown = {name: (h.score, h.start, h.end, h.clip_id, h.said.start, h.said.end) for name, h in hits.items()}
    assert shown == {
        "past.mp4": (0.5, 4.0, 6.0, catalog.clip_id(past, 2), 9.0, 10.0),
        "edge.mp4": (0.75, 4.0, 6.0, catalog.clip_id(edge, 2), 6.0, 7.0),
    }


def test_a_line_of_a_video_of_unknown_length_keeps_its_own_times(catalog, tmp_path):
    """A row with no duration (as a home from before durations were kept has): nothing bounds the line."""
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        video = put(writer, root, tmp_path / "a.mp4", [0.5, 1.0], [Segment(3.0, 9.0, "kite", "subtitles")])
    catalog.db.execute("update videos set duration = null")
    catalog.db.commit()
    _, hits = said(catalog, "kite")
    assert [(h.score, h.start, h.end, h.clip_id, h.duration) for h in hits.values()] == [
        (1.0, 3.0, 9.0, catalog.clip_id(video, 1), None)
    ]


def test_a_damaged_clip_under_the_line_gives_way_to_the_intact_clip_starting_nearest_it(catalog, tmp_path, vidx_home):
    """The line 2.5-3.5 s overlaps clip 2-4 alone, damaged: of the intact clips, 4-6 starts nearest it (1.5 s off,
    0-2 starts 2.5 s off). A video whose only clip is damaged has no hit."""
    line = Segment(2.5, 3.5, "a kite over the hill", "subtitles")
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        video = put(writer, root, tmp_path / "a.mp4", [0.5, 2.0, 1.0, 0.25], [line])
        ruined = put(writer, root, tmp_path / "ruined.mp4", [2.0], [line])
    damage(catalog, vidx_home, catalog.clip_id(video, 1))
    damage(catalog, vidx_home, catalog.clip_id(ruined, 0))
    found, hits = said(catalog, "kite")
    assert [(name, h.score, h.start, h.end, h.clip_id) for name, h in hits.items()] == [
        ("a.mp4", 1.0, 2.5, 3.5, catalog.clip_id(video, 2))
    ]
    assert [h.rank for h in found] == [1]


def test_a_match_whose_video_lost_its_clips_since_the_words_were_read_has_no_hit(catalog, tmp_path):
    """An index run committing between the words' read and the hits' (a video re-indexed or removed)."""
    line = Segment(0.5, 1.5, "kite", "subtitles")
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "a.mp4", [1.0], [line])
        lost = put(writer, root, tmp_path / "b.mp4", [0.5], [line])
    matches = said_matches(catalog.db, "kite", 5)
    assert [m.path for m in matches] == [str(tmp_path / "a.mp4"), str(tmp_path / "b.mp4")]
    catalog.db.execute("delete from clips where video_id = ?", [lost])
    hits = said_hits(catalog, QUERY, matches, Wanted(None, None, None), set())
    assert [hit and (hit.path, hit.score) for hit in hits] == [(str(tmp_path / "a.mp4"), 1.0), None]


def test_a_words_hit_scores_to_six_decimals(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "a.mp4", [0.1], [Segment(0.5, 1.5, "kite", "subtitles")])
    _, hits = said(catalog, "kite")
    assert hits["a.mp4"].score == 0.099976  # float16's 0.0999755859375


def test_a_words_hit_lists_its_copies_the_search_would_show_and_counts_those_gone(catalog, tmp_path):
    line = Segment(0.5, 1.5, "kite", "subtitles")
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "x" / "a.mp4", [1.0], [line], digest="same")
        put(writer, root, tmp_path / "x" / "b.mp4", [1.0], [], digest="same")
        put(writer, root, tmp_path / "y" / "c.mp4", [1.0], [], digest="same")
        put(writer, root, tmp_path / "x" / "d.mp4", [1.0], [], digest="same")
    os.remove(tmp_path / "x" / "d.mp4")
    found, hits = said(catalog, "kite")
    assert (hits["a.mp4"].copies, found.deleted) == ((str(tmp_path / "x" / "b.mp4"), str(tmp_path / "y" / "c.mp4")), 1)
    found, hits = said(catalog, "kite", under=tmp_path / "x")
    assert (hits["a.mp4"].copies, found.deleted) == ((str(tmp_path / "x" / "b.mp4"),), 1)


def test_a_words_hit_lists_only_the_copies_modified_within_the_dates(catalog, tmp_path):
    line = Segment(0.5, 1.5, "kite", "subtitles")
    in_2020, in_1990 = 1_590_000_000 * 10**9, 640_000_000 * 10**9
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "a.mp4", [1.0], [line], digest="same", mtime_ns=in_2020)
        put(writer, root, tmp_path / "b.mp4", [1.0], [], digest="same", mtime_ns=in_2020)
        put(writer, root, tmp_path / "c.mp4", [1.0], [], digest="same", mtime_ns=in_1990)
    hits = search(catalog, "kite", 5, mode="said", since="2000-01-01")
    assert [(hit.path, hit.copies) for hit in hits] == [(str(tmp_path / "a.mp4"), (str(tmp_path / "b.mp4"),))]
