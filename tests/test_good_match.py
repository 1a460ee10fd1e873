""" "No good match": the best hit measured against how the library's clips score for the query, and relevance."""

import numpy as np
import pytest
import videos
from conftest import as_json

import vidx
from vidx.config import Home
from vidx.searcher.typical import MIN_SAMPLE, STANDS_OUT, Sample, TypicalScore, typical_score
from vidx.store import Catalog, ClipVector, VideoInfo
from vidx.store.catalog_writer import CatalogWriter

NOTICE = "No good match: the best result scores 0, no better than most clips score for this query (0).\n"


@pytest.fixture
def tinted(run, imported, library, tmp_path):
    """The generated library and ten near-grey videos, each tinted a little: more than MIN_SAMPLE clips whose
    scores for a colour spread a little around a median, as unrelated clips do."""
    for i in range(10):
        level = 60 + 15 * i
        videos.write(tmp_path / "tints" / f"tint{i}.avi", videos.solid((level, level, level + (i % 5) - 2), 40))
    run("index", library["root"], tmp_path / "tints", "--quiet")
    with vidx.Library() as lib:
        assert lib.status()["clips"] >= MIN_SAMPLE
    return tmp_path


def test_a_nonsense_query_is_no_good_match(run, tinted):
    result = run("query", "xyzzy", "-k", "2")
    assert result.stderr == NOTICE
    answer = as_json(run("query", "xyzzy", "-k", "2", "--json"))
    assert (answer["good_match"], answer["typical_score"]) == (False, 0.0)
    assert list(answer) == ["query", "results", "deleted_files", "good_match", "typical_score"], (
        "keys added, none removed"
    )
    assert list(answer["results"][0]) == ["rank", "path", "score", "start", "end"]


def test_a_query_that_finds_its_video_is_a_good_match(run, tinted, library):
    result = run("query", "red", "-k", "2")
    assert result.stderr == ""
    answer = as_json(run("query", "red", "-k", "2", "--json"))
    assert answer["results"][0]["path"] == str(library["red"])
    assert answer["good_match"] is True
    with vidx.Library() as lib:
        typical = lib.typical_score("red")
    assert typical.clips >= MIN_SAMPLE and typical.spread > 0, "the tints spread the scores: the MAD is not 0"
    assert answer["results"][0]["score"] > typical.median + STANDS_OUT * typical.spread
    assert abs(typical.median) < 0.1


def test_the_html_page_says_it_too(run, tinted, tmp_path):
    run("query", "xyzzy", "--html", tmp_path / "nonsense.html")
    assert (
        '<p class="notice" id="no-good-match" role="status">No good match' in (tmp_path / "nonsense.html").read_text()
    )
    run("query", "red", "--html", tmp_path / "red.html")
    page = (tmp_path / "red.html").read_text()
    assert "no-good-match" not in page
    assert page.count("100% relevant") == 1


@pytest.mark.parametrize(
    ("typical", "best", "good"),
    [
        (TypicalScore(0.0, 0.1, 500), 0.39, False),  # inside four robust standard deviations
        (TypicalScore(0.0, 0.1, 500), 0.41, True),
        (TypicalScore(0.0, 0.0, 500), 0.01, True),  # most clips score alike: anything above them stands out
        (TypicalScore(0.0, 0.0, 500), 0.0, False),
        (TypicalScore(0.0, 5.0, MIN_SAMPLE - 1), 0.5, True),  # too few clips to tell noise from matches
        (TypicalScore(0.0, 5.0, MIN_SAMPLE - 1), -0.5, False),
        (TypicalScore(0.0, 0.0, 0), 1.0, False),  # nothing indexed
        (TypicalScore(0.0, 0.25, 500), 1.0, False),  # exactly four robust standard deviations: not more
        (TypicalScore(0.0, 0.25, MIN_SAMPLE), 0.5, False),  # MIN_SAMPLE clips are enough to tell
        (TypicalScore(0.0, 5.0, MIN_SAMPLE - 1), 0.0, False),  # no higher than the median, however few the clips
    ],
)
def test_the_rule(typical, best, good):
    assert typical.good_match(best) is good


def test_relevance_runs_from_typical_to_best():
    typical = TypicalScore(1.0, 0.1, 500)
    assert [typical.relevance(score, 3.0) for score in (3.0, 2.0, 1.0, 0.0)] == [1.0, 0.5, 0.0, 0.0]
    # The words can rank a hit first that scores below a later one: that later hit is as relevant as can be.
    assert typical.relevance(5.0, 3.0) == 1.0
    assert typical.relevance(0.5, 0.8) == 0.0, "a best below the typical score makes nothing relevant"


def test_a_library_held_open_measures_queries_against_its_clips_as_they_are_now(run, imported, library, tmp_path):
    """The sample of clips is kept between queries, and drawn again once an index run changes the clips."""
    run("index", library["root"], "--quiet")
    with vidx.Library() as lib:
        before = lib.status()["clips"]
        assert lib.typical_score("red").clips == before
        videos.write(tmp_path / "more" / "grey.avi", videos.solid((90, 90, 90), 40))
        run("index", tmp_path / "more", "--quiet")
        assert lib.status()["clips"] > before
        assert lib.typical_score("red").clips == lib.status()["clips"]


def test_the_typical_score_is_the_median_and_robust_spread_of_the_sampled_clips():
    axis = np.eye(4, dtype=np.float32)[0]
    assert typical_score(np.zeros((0, 4), np.float32), axis) == TypicalScore(0.0, 0.0, 0), "nothing indexed"
    # Scores 0, 1, 2, 3 and 10: the median is 2, the median of the deviations from it 1.
    vectors = np.array([[s, -1.0, 0.0, 0.0] for s in (3.0, 0.0, 10.0, 1.0, 2.0)], np.float32)
    typical = typical_score(vectors, axis)
    assert typical == TypicalScore(2.0, 1.4826, 5)
    assert typical.as_json(None) == {"good_match": False, "typical_score": 2.0}
    assert typical.as_json(10.0) == {"good_match": True, "typical_score": 2.0}
    assert typical_score(vectors, 2 * axis) == TypicalScore(4.0, 2.9652, 5), "scores are dot products"
    # Shown to six decimals, as --json gives it.
    uneven = np.array([[s, 0.0, 0.0, 0.0] for s in (0.1234567, 0.4567891, -0.2098757)], np.float32)
    assert typical_score(uneven, axis) == TypicalScore(0.123457, 0.494199, 3)


def test_the_sample_is_drawn_again_only_when_the_clips_change(vidx_home, tmp_path):
    catalog = Catalog(Home(vidx_home))
    axes = np.eye(4, dtype=np.float32)

    def add(name: str, *vectors: np.ndarray) -> None:
        clips = [ClipVector(i, 3.2 * i, 3.2 * (i + 1), v) for i, v in enumerate(vectors)]
        with CatalogWriter(catalog) as writer:
            root = writer.add_root(tmp_path)
            writer.save_video(root, str(tmp_path / name), (1, 1), VideoInfo(name, 3.2 * len(clips), 10.0, 32), clips)

    add("a.mp4", axes[0], axes[1])
    sample = Sample()
    drawn = sample.vectors(catalog)
    assert drawn.tolist() == axes[:2].tolist()
    assert sample.vectors(catalog) is drawn, "the same clips: the same sample"
    add("b.mp4", axes[2])
    assert sample.vectors(catalog).tolist() == axes[:3].tolist()
