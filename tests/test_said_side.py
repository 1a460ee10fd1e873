"""The words side's matches over hand-made lines: what it reads of each video it shows."""

import os

import numpy as np

from vidx.config import Home
from vidx.filenames import printable
from vidx.said import Segment
from vidx.searcher.said_side import said_matches
from vidx.store import Catalog, ClipVector, VideoInfo
from vidx.store.catalog_writer import CatalogWriter
from vidx.store.said_rows import Subtitles


def test_a_line_of_a_file_whose_name_is_not_utf8_matches(vidx_home, tmp_path):
    """The file is looked for on the disk by its exact bytes, not by the name shown: it is there, not gone."""
    catalog = Catalog(Home(vidx_home))
    odd = tmp_path / os.fsdecode(b"kite-\xe9.mp4")
    odd.touch()
    line = Segment(0.5, 2.5, "a kite in the wind", "srt")
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        clip = ClipVector(0, 0.0, 3.2, np.array([1, 0, 0, 0], np.float32))
        writer.save_video(root, str(odd), (1, 1), VideoInfo("k", 3.2, 10.0, 32), [clip], Subtitles([line]))
    gone: set[int] = set()
    found = said_matches(catalog.db, "kite", 5, gone=gone)
    shown = [(m.path, m.raw_path, m.line.text, m.line.start, m.line.end) for m in found]
    assert shown == [(printable(str(odd)), os.fsencode(str(odd)), "a kite in the wind", 0.5, 2.5)]
    assert gone == set()


def put(writer, root, path, digest, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    clip = ClipVector(0, 0.0, 3.2, np.array([1, 0, 0, 0], np.float32))
    writer.save_video(root, str(path), (1, 1), VideoInfo(digest, 3.2, 10.0, 32), [clip], Subtitles(lines))


def test_copies_of_one_content_are_one_match_and_the_next_videos_follow(vidx_home, tmp_path):
    catalog = Catalog(Home(vidx_home))
    line = Segment(0.5, 2.5, "a kite in the wind", "srt")
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        for name, digest in (("a.mp4", "same"), ("b.mp4", "same"), ("c.mp4", "other")):
            put(writer, root, tmp_path / name, digest, [line])
    for limit in (5, 20):
        found = said_matches(catalog.db, "kite", limit)
        assert [m.path for m in found] == [str(tmp_path / "a.mp4"), str(tmp_path / "c.mp4")]


def test_a_match_past_the_lines_ranked_first_is_found(vidx_home, tmp_path):
    """The best 16 lines a video wanted are ranked first; when a folder leaves all of them out, the rest are read."""
    catalog = Catalog(Home(vidx_home))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        put(writer, root, tmp_path / "x" / "loud.mp4", "loud", [Segment(i, i + 0.5, "kite", "srt") for i in range(40)])
        put(
            writer,
            root,
            tmp_path / "y" / "quiet.mp4",
            "quiet",
            [Segment(0.5, 2.5, "a kite flies over the long wide field", "srt")],
        )
    found = said_matches(catalog.db, "kite", 2, prefix=f"{tmp_path}/y/")
    assert [m.path for m in found] == [str(tmp_path / "y" / "quiet.mp4")]
