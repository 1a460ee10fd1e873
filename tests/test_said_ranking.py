"""The words side at the edges of its shortcuts: it ranks only a few lines a video wanted at first, and scores a said
hit by the clips its line overlaps alone. Neither may change an answer."""

import json
import shutil

import numpy as np
import pytest
from conftest import as_json
from subtitle_files import write_text

from vidx.config import Home
from vidx.searcher.fusion import window
from vidx.searcher.said_side import LINES_PER_VIDEO
from vidx.store import Catalog


def srt(*cues: tuple[float, float, str]) -> str:
    def at(seconds: float) -> str:
        ms = round(seconds * 1000)
        return f"00:{ms // 60_000:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return "".join(f"{n}\n{at(a)} --> {at(b)}\n{text}\n\n" for n, (a, b, text) in enumerate(cues, start=1))


@pytest.fixture
def folder(tmp_path, library, imported):
    folder = tmp_path / "videos"
    folder.mkdir()
    shutil.copy(library["red"], folder / "red.mp4")
    shutil.copy(library["green"], folder / "green.avi")
    return folder


def test_a_video_whose_every_line_outranks_the_others_still_leaves_room_for_them(run, folder):
    # k=2 ranks the best 16 lines a video wanted (of 2k) at first; red's lines outrank green's, and there are more.
    many = LINES_PER_VIDEO * window(2) + 6
    write_text(folder / "red.srt", srt(*[(i * 0.05, i * 0.05 + 0.04, "kite kite") for i in range(many)]))
    write_text(folder / "green.srt", srt((1.0, 2.0, "a kite over the hill")))
    assert as_json(run("index", folder, "--json"))["said_segments"] == many + 1
    found = as_json(run("query", "kite", "--said", "-k", "2", "--json"))["results"]
    assert [(r["path"], r["said"]) for r in found] == [
        (str(folder / "red.mp4"), {"text": "kite kite", "start": 0.0, "end": 0.04, "source": "subtitles"}),
        (str(folder / "green.avi"), {"text": "a kite over the hill", "start": 1.0, "end": 2.0, "source": "subtitles"}),
    ]


def test_a_words_hit_under_min_score_leaves_its_place_to_the_next(run, folder):
    # Green's line ranks first on the words, but its pictures are not red.
    write_text(folder / "green.srt", srt((1.0, 2.0, "kite kite")))
    write_text(folder / "red.srt", srt((1.0, 2.0, "a kite in the evening sky")))
    run("index", folder)
    assert [r["path"] for r in as_json(run("query", "red kite", "--said", "--json"))["results"]] == [
        str(folder / "green.avi"),
        str(folder / "red.mp4"),
    ]
    found = as_json(run("query", "red kite", "--said", "-k", "1", "--min-score", "1", "--json"))["results"]
    assert [(r["path"], r["said"]["text"]) for r in found] == [(str(folder / "red.mp4"), "a kite in the evening sky")]


def test_a_line_whose_only_clip_is_damaged_is_scored_by_the_nearest_intact_clip(run, folder, vidx_home):
    # red.mp4's clips: 0.0-3.2 s and 0.8-4.0 s; the line overlaps the first alone.
    write_text(folder / "red.srt", srt((0.1, 0.5, "feed the cat")))
    run("index", folder)
    red = as_json(run("query", "red", "--seen", "-k", "1", "--json"))["results"][0]
    catalog = Catalog(Home(vidx_home))
    first, second = catalog.clip_vectors(catalog.video(str(folder / "red.mp4")).id)
    assert (first.start, first.end, second.start) == (0.0, 3.2, 0.8)
    clip = catalog.clip_ids(catalog.video(str(folder / "red.mp4")).id)[0]
    width = catalog.index_state().dim * 2
    catalog.close()
    loud = np.zeros(width // 2, np.float16)
    loud[0] = np.finfo(np.float16).max  # says "red" louder than any clip can: used, it would win every score
    with open(vidx_home / "index" / "rows-00000.f16", "r+b") as f:
        f.seek(clip * width)
        f.write(loud.tobytes())

    query = run("query", "red cat", "--said", "--json")
    (hit,) = json.loads(query.stdout)["results"]
    assert (hit["path"], hit["start"], hit["end"], hit["said"]["text"]) == (
        str(folder / "red.mp4"),
        0.1,
        0.5,
        "feed the cat",
    )
    assert hit["score"] == pytest.approx(red["score"], abs=1e-5)
    assert query.stderr == (
        f"Some clip vectors in {vidx_home / 'index'} are damaged (they fail their checksums); their clips are left "
        "out until vidx doctor --repair drops their videos and vidx index embeds them again\n"
    )
