"""The top videos of a query when one long video crowds the nearest clips: the search widens past it, and the
pictures' side of a fused search, which asks only as many clips as a `seen` search of k videos, widens alike."""

import numpy as np
import pytest
from hand_made import QUERY, names, on_this_thread

from vidx.config import Home
from vidx.said import Segment
from vidx.searcher import SearchOptions, search_vector
from vidx.searcher.modes import search_text
from vidx.searcher.search import clips_asked
from vidx.store import Catalog, ClipVector, VideoInfo
from vidx.store.catalog_writer import CatalogWriter
from vidx.store.said_rows import Subtitles

LONG = 250  # clips of the long video, more than a first request for a few videos asks


def clip(i: int, score: float) -> ClipVector:
    return ClipVector(i, i * 3.2, (i + 1) * 3.2, np.array([score, 0, 0, 0], np.float32))


@pytest.fixture
def catalog(vidx_home, tmp_path):
    """a.mp4's one clip outscores long.mp4's every clip, which outscore b.mp4's one clip, which outscores c.mp4's;
    only c.mp4 says "kite"."""
    catalog = Catalog(Home(vidx_home))
    with CatalogWriter(catalog) as writer:
        root = writer.add_root(tmp_path)
        videos = {
            "a": [clip(0, 1.5)],
            "long": [clip(i, 1.0 - i / 2048) for i in range(LONG)],
            "b": [clip(0, 0.75)],
            "c": [clip(0, 0.5)],
        }
        for n, (name, clips) in enumerate(videos.items()):
            path = tmp_path / f"{name}.mp4"
            path.touch()
            said = Subtitles([Segment(0.5, 2.5, "a kite in the wind", "srt")]) if name == "c" else None
            writer.save_video(root, str(path), (n, n), VideoInfo(name, len(clips) * 3.2, 10.0, 32), clips, said)
    return catalog


def test_a_long_video_crowding_the_first_request_leaves_room_for_the_next_videos(catalog):
    assert clips_asked(3) < LONG
    hits = search_vector(catalog, QUERY, 3)
    assert names(hits) == ["a.mp4", "long.mp4", "b.mp4"]
    assert [hit.score for hit in hits] == [1.5, 1.0, 0.75]  # as stored (float16 holds these exactly)
    assert hits == search_vector(catalog, QUERY, 3, first=1000)  # one request large enough finds the same


def test_the_fused_pictures_side_widens_past_a_long_video(catalog):
    # k = 2: each side brings 4 videos. The pictures rank a, long, b, c; the words c alone: c, ranked on both
    # sides, comes first. Had the pictures' side stopped at its first request (a.mp4 and long.mp4), c would tie
    # with a.mp4, each first on one side, and lose the tie to the pictures' order.
    hits = search_text(catalog, lambda: QUERY, "kite", 2, 0.0, SearchOptions(2), on_this_thread(catalog))
    assert names(hits) == ["c.mp4", "a.mp4"]
    assert hits[0].said is not None and hits[0].said.text == "a kite in the wind"


@pytest.mark.parametrize(("mode", "text"), [("both", "kite"), ("both", "fog"), ("both", "the"), ("said", "kite")])
def test_a_text_search_embeds_its_text_once_in_every_mode(catalog, mode, text):
    """Words a line says (kite), words no line says (fog), stop words only (the), and the words' ranking alone:
    however the search goes, the text is embedded once."""
    calls = []

    def embed():
        calls.append(1)
        return QUERY

    search_text(catalog, embed, text, 2, 0.0, SearchOptions(2, mode=mode), on_this_thread(catalog))
    assert len(calls) == 1
