"""A text search's modes over hand-made videos: the options hold on both sides of a fused search, a words hit under
the minimum score leaves room for the next, and the files found gone are counted once whichever side found them."""

import os

import pytest
from hand_made import CLIP, QUERY, names, put, search

from vidx.config import Home
from vidx.said import Segment
from vidx.searcher import search_vector
from vidx.store import Catalog
from vidx.store.catalog_writer import CatalogWriter


@pytest.fixture
def catalog(vidx_home):
    return Catalog(Home(vidx_home))


def line(text: str) -> list[Segment]:
    return [Segment(0.5, 1.5, text, "subtitles")]


def test_a_words_hit_under_the_minimum_leaves_room_for_the_next_in_order(catalog, tmp_path):
    """The words rank w1 to w4 (the shorter line first); k = 2 takes them two at a time, then one by one as room
    is left, never one twice nor more than k."""
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for name, score, text in [
            ("w1.mp4", 0.25, "kite"),
            ("w2.mp4", 1.0, "kite one"),
            ("w3.mp4", 0.5, "kite one two"),
            ("w4.mp4", 1.0, "kite one two three"),
        ]:
            put(writer, root, tmp_path / name, [score], line(text))
    assert names(search(catalog, "kite", 4, mode="said")) == ["w1.mp4", "w2.mp4", "w3.mp4", "w4.mp4"]
    kept = search(catalog, "kite", 2, mode="said", min_score=0.5)  # w3 scores the minimum exactly: kept
    assert [(hit.rank, name) for hit, name in zip(kept, names(kept), strict=True)] == [(1, "w2.mp4"), (2, "w3.mp4")]
    passed = search(catalog, "kite", 2, mode="said", min_score=0.75)
    assert [(hit.rank, name) for hit, name in zip(passed, names(passed), strict=True)] == [
        (1, "w2.mp4"),
        (2, "w4.mp4"),
    ]


def test_a_fused_search_keeps_the_folder_the_filters_and_the_minimum_on_both_sides(catalog, tmp_path):
    """Under x/, at most 3 s long, scoring at least 0.5: a.mp4 (said and seen) and b.mp4 (seen); each other video
    would pass on one side: c.mp4 outside the folder, e.mp4 too long, d.mp4 and f.mp4 under the minimum."""
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "x" / "a.mp4", [1.0], line("kite"))
        put(writer, root, tmp_path / "x" / "b.mp4", [0.75])
        put(writer, root, tmp_path / "y" / "c.mp4", [0.875], line("kite"))
        put(writer, root, tmp_path / "x" / "d.mp4", [0.25], line("kite over the hill"))
        put(writer, root, tmp_path / "x" / "f.mp4", [0.375])
        put(writer, root, tmp_path / "x" / "e.mp4", [0.625, 0.625], line("kite"))
    assert CLIP * 2 > 3
    hits = search(catalog, "kite", 5, under=tmp_path / "x", max_duration=3.0, min_score=0.5)
    assert [(name, hit.rank, hit.said is not None) for hit, name in zip(hits, names(hits), strict=True)] == [
        ("a.mp4", 1, True),
        ("b.mp4", 2, False),
    ]
    # No line says "fog": the pictures' search alone, with the same options.
    hits = search(catalog, "fog", 5, under=tmp_path / "x", max_duration=3.0, min_score=0.5)
    assert names(hits) == ["a.mp4", "b.mp4"]


@pytest.mark.parametrize("text", ["kite", "cloud"])
def test_files_gone_are_counted_once_whichever_side_found_them(catalog, tmp_path, text):
    """k = 1: the pictures read gone-seen.mp4 (gone) and a.mp4, never gone-said.mp4, whose line the words find.
    "cloud" only gone-said.mp4 says: the pictures' search alone, counting both."""
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "gone-seen.mp4", [1.0])
        put(writer, root, tmp_path / "a.mp4", [0.875], line("kite"))
        put(writer, root, tmp_path / "b.mp4", [0.5])
        put(writer, root, tmp_path / "c.mp4", [0.375])
        put(writer, root, tmp_path / "gone-said.mp4", [0.125], line("kite in the cloud"))
    os.remove(tmp_path / "gone-seen.mp4")
    os.remove(tmp_path / "gone-said.mp4")
    hits = search(catalog, text, 1)
    assert (names(hits), hits.deleted) == (["a.mp4"], 2)


def test_the_words_side_under_the_root_or_a_folder_whose_name_ends_in_a_space_or_an_x(catalog, tmp_path):
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for folder, name in [("box", "a.mp4"), ("box ", "b.mp4"), ("BOX", "c.mp4"), ("BO", "d.mp4")]:
            put(writer, root, tmp_path / folder / name, [1.0], line("kite"))
    assert sorted(names(search(catalog, "kite", 5, mode="said", under="/"))) == ["a.mp4", "b.mp4", "c.mp4", "d.mp4"]
    assert names(search(catalog, "kite", 5, mode="said", under=tmp_path / "box ")) == ["b.mp4"]
    assert names(search(catalog, "kite", 5, mode="said", under=tmp_path / "BOX")) == ["c.mp4"]


def test_a_copy_whose_own_line_matched_is_its_content_s_one_result_in_a_fused_search(catalog, tmp_path):
    """The pictures show a.mp4 (b.mp4 its copy); b.mp4's own line matched: the content is one result, at b.mp4."""
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "a.mp4", [1.0], digest="same")
        put(writer, root, tmp_path / "b.mp4", [0.875], line("kite"), digest="same")
        put(writer, root, tmp_path / "c.mp4", [0.5])
        put(writer, root, tmp_path / "d.mp4", [0.25])
    seen = search_vector(catalog, QUERY, 5)
    assert [(name, hit.copies) for hit, name in zip(seen, names(seen), strict=True)] == [
        ("a.mp4", (str(tmp_path / "b.mp4"),)),
        ("c.mp4", ()),
        ("d.mp4", ()),
    ]
    hits = search(catalog, "kite", 5)
    shown = [
        (hit.rank, name, hit.score, hit.copies, hit.said is not None)
        for hit, name in zip(hits, names(hits), strict=True)
    ]
    assert shown == [
        (1, "b.mp4", 0.875, (str(tmp_path / "a.mp4"),), True),
        (2, "c.mp4", 0.5, (), False),
        (3, "d.mp4", 0.25, (), False),
    ]
