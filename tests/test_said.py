"""What was said beside what was seen: subtitles indexed with the pictures and searched together with them.

The toy model's text branch knows six words (red, green, blue, brightening, darkening, moving); any other word
embeds to zero, so every clip scores alike and only the words can rank the videos.
"""

import os
import shutil

import pytest
from conftest import as_json
from subtitle_files import SRT, VTT, mkv_with_subtitles, write_text

from vidx.searcher.fusion import fuse

CAT_SRT = "1\n00:00:01,000 --> 00:00:03,000\nplease remember to feed the cat\n"
KITE_SRT = "1\n00:00:00,500 --> 00:00:02,500\nthe kite is flying high\n"
RED_KITE_VTT = "WEBVTT\n\n00:02.000 --> 00:03.500\nthe red kite over the hill\n"


@pytest.fixture
def lib(tmp_path, library, run, imported):
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root / "colours")
    shutil.copytree(library["root"] / "light", root / "light")
    write_text(root / "colours" / "red.en.srt", CAT_SRT)
    write_text(root / "colours" / "green.srt", KITE_SRT)
    write_text(root / "light" / "fade_out.vtt", RED_KITE_VTT)
    summary = as_json(run("index", root, "--json"))
    assert (summary["added"], summary["said_segments"], summary["warnings"]) == (5, 3, [])
    return root


def results(run, *args):
    return as_json(run("query", *args, "--json"))["results"]


def paths(run, *args):
    return [r["path"] for r in results(run, *args)]


def test_words_the_pictures_cannot_tell_apart_are_ranked_by_the_words(run, lib):
    top = results(run, "feed the cat")
    assert [r["path"] for r in top[:1]] == [str(lib / "colours" / "red.mp4")]
    assert top[0]["said"] == {
        "text": "please remember to feed the cat",
        "start": 1.0,
        "end": 3.0,
        "source": "subtitles",
    }
    assert (top[0]["start"], top[0]["end"], top[0]["score"]) == (1.0, 3.0, 0.0)
    # The other videos follow as the pictures rank them (all alike here), without a said line.
    assert len(top) == 5 and all("said" not in r for r in top[1:])
    assert paths(run, "feed the cat", "--said") == [str(lib / "colours" / "red.mp4")]
    # A best hit whose words matched is a good match, whatever its pictures score.
    assert as_json(run("query", "feed the cat", "--json"))["good_match"] is True
    assert as_json(run("query", "feed the cat", "--seen", "--json"))["good_match"] is False
    assert "No good match" not in run("query", "feed the cat").output


def test_seen_is_the_ranking_of_the_pictures_alone(run, lib, tmp_path):
    for query in ("red kite", "feed the cat", "darkening"):
        seen = results(run, query, "--seen")
        assert all("said" not in r for r in seen)
        (lib / "light" / "fade_out.vtt").unlink()
        (lib / "colours" / "red.en.srt").unlink()
        (lib / "colours" / "green.srt").unlink()
        assert as_json(run("index", "--json"))["clips_embedded"] == 0
        assert results(run, query) == seen  # no words left: the default mode is the pictures' ranking
        write_text(lib / "colours" / "red.en.srt", CAT_SRT)
        write_text(lib / "colours" / "green.srt", KITE_SRT)
        write_text(lib / "light" / "fade_out.vtt", RED_KITE_VTT)
        run("index")


def test_the_fused_ranking_is_reciprocal_rank_fusion_of_both(run, lib):
    seen = paths(run, "red kite", "--seen", "-k", "100")
    said = paths(run, "red kite", "--said", "-k", "100")
    assert said == [str(lib / "light" / "fade_out.avi"), str(lib / "colours" / "green.avi")]
    assert seen[0] == str(lib / "colours" / "red.mp4")
    both = results(run, "red kite", "-k", "3")
    assert [r["path"] for r in both] == fuse(seen, said)[:3]
    fade_out = next(r for r in both if r["path"].endswith("fade_out.avi"))
    assert fade_out["said"] == {"text": "the red kite over the hill", "start": 2.0, "end": 3.5, "source": "subtitles"}
    assert (fade_out["start"], fade_out["end"]) == (2.0, 3.5)


def test_score_is_the_best_clip_in_the_moment_of_the_words(run, lib):
    # A solid red video scores the same in every clip: its moment of words scores as its best moment.
    seen = {r["path"]: r["score"] for r in results(run, "red", "--seen", "-k", "5")}
    red = str(lib / "colours" / "red.mp4")
    said = {r["path"]: r for r in results(run, "red remember", "--said")}
    assert sorted(said) == [red, str(lib / "light" / "fade_out.avi")]  # "remember" in one, "red" in the other
    assert said[red]["score"] == pytest.approx(seen[red], abs=1e-5)
    assert said[red]["score"] > 1


def test_a_line_past_the_last_clip_scores_by_the_nearest_clip(run, lib):
    write_text(lib / "colours" / "red.en.srt", "1\n00:00:09,000 --> 00:00:10,000\nthe credits roll\n")
    run("index")
    hit = next(r for r in results(run, "red credits", "--said") if r["path"].endswith("red.mp4"))
    assert hit["said"] == {"text": "the credits roll", "start": 9.0, "end": 10.0, "source": "subtitles"}
    assert 0 < hit["start"] < hit["end"] <= 4.0, "past the video's 4 s: shown at its last clip"
    assert hit["score"] == pytest.approx(results(run, "red", "--seen", "-k", "1")[0]["score"], abs=1e-5)


def test_a_video_without_a_clip_to_show_is_left_out(run, lib, vidx_home):
    import sqlite3

    with sqlite3.connect(vidx_home / "vidx.db") as db:
        db.execute("delete from clips where video_id = (select id from videos where path like '%/red.mp4')")
    assert results(run, "feed the cat", "--said") == []
    assert sorted(paths(run, "remember kite", "--said")) == [
        str(lib / "colours" / "green.avi"),
        str(lib / "light" / "fade_out.avi"),
    ]


def test_stop_words_alone_or_words_never_said_do_not_reorder_the_pictures(run, lib):
    assert results(run, "the of to", "--said") == []
    assert results(run, "the of to") == results(run, "the of to", "--seen")
    assert results(run, "blue the", "--said") == []
    assert results(run, "blue the") == results(run, "blue the", "--seen")


def test_filters_under_and_k_in_every_mode(run, lib):
    for mode in (["--said"], ["--seen"], []):
        assert all(p.startswith(str(lib / "light")) for p in paths(run, "kite", *mode, "--under", lib / "light"))
        assert len(paths(run, "kite", *mode, "-k", "1")) == 1
        assert paths(run, "kite", *mode, "--max-duration", "0.1") == []
        assert paths(run, "kite", *mode, "--since", "2000-01-01") == paths(run, "kite", *mode)
        assert paths(run, "kite", *mode, "--until", "2000-01-01") == []
    assert paths(run, "kite", "--said", "--under", lib / "light") == [str(lib / "light" / "fade_out.avi")]
    # Lines match, but only outside the folder: the pictures' ranking as it is.
    assert results(run, "feed the cat", "--under", lib / "light") == results(
        run, "feed the cat", "--seen", "--under", lib / "light"
    )
    assert results(run, "red remember", "--said", "--min-score", "1") == [
        r for r in results(run, "red remember", "--said") if r["score"] >= 1
    ]


def test_text_output_shows_the_line_and_its_time(run, lib):
    out = run("query", "feed the cat", "-k", "1").output.splitlines()
    assert out[0].endswith(f"{lib / 'colours' / 'red.mp4'}  0:01.0–0:03.0")
    assert out[1] == '       said at 0:01.0: "please remember to feed the cat" (subtitles)'


def test_said_does_not_go_with_clips_or_like(run, lib):
    clips = run("query", "kite", "--said", "--clips", check=False)
    assert (clips.exit_code, clips.output) == (2, "Error: --clips lists clips by their pictures: drop --said\n")
    like = run("query", "--like", lib / "colours" / "red.mp4", "--said", check=False)
    assert (like.exit_code, like.output) == (2, "Error: --like finds videos by their pictures: drop --said\n")
    both = run("query", "kite", "--said", "--seen", check=False)
    assert (both.exit_code, both.output) == (
        2,
        "Error: Give --seen or --said, not both: without either, pictures and words rank together\n",
    )


def test_html_page_shows_the_line_with_a_link_to_its_time(run, lib, tmp_path):
    page = tmp_path / "out.html"
    run("query", "feed the cat", "-k", "1", "--html", page)
    text = page.read_text()
    url = (lib / "colours" / "red.mp4").as_uri()
    assert f'href="{url}#t=1,3"' in text
    assert '<span class="said">0:01.0 “please remember to feed the cat”</span>' in text


def test_sidecars_added_changed_and_removed_update_the_words_without_embedding(run, lib):
    blue = lib / "colours" / "blue.gif"
    write_text(lib / "colours" / "blue.de.vtt", VTT)
    added = as_json(run("index", "--json"))
    assert (added["clips_embedded"], added["said_segments"], added["unchanged"]) == (0, 2, 5)
    assert paths(run, "hill", "--said") == [str(blue), str(lib / "light" / "fade_out.avi")]

    write_text(lib / "colours" / "blue.de.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\na lighthouse\n")
    changed = as_json(run("index", "--json"))
    assert (changed["clips_embedded"], changed["said_segments"]) == (0, 1)
    assert paths(run, "hill", "--said") == [str(lib / "light" / "fade_out.avi")]
    assert paths(run, "lighthouse", "--said") == [str(blue)]

    (lib / "colours" / "blue.de.vtt").unlink()
    removed = as_json(run("index", "--json"))
    assert (removed["clips_embedded"], removed["said_segments"]) == (0, 0)
    assert paths(run, "lighthouse", "--said") == []
    assert as_json(run("status", "--json"))["said_segments"] == 3

    again = as_json(run("index", "--json"))
    assert (again["clips_embedded"], again["said_segments"], again["unchanged"]) == (0, 0, 5)


def test_a_moved_video_keeps_its_words_and_a_deleted_one_loses_them(run, lib):
    os.rename(lib / "colours", lib / "renamed")
    moved = as_json(run("index", "--json"))
    assert (moved["moved"], moved["clips_embedded"], moved["said_segments"]) == (3, 0, 0)
    assert paths(run, "feed the cat", "--said") == [str(lib / "renamed" / "red.mp4")]
    (lib / "renamed" / "red.mp4").unlink()
    deleted = as_json(run("index", "--json"))
    assert deleted["removed"] == 1
    assert paths(run, "feed the cat", "--said") == []
    assert as_json(run("status", "--json"))["said_segments"] == 2


def test_a_changed_video_reads_its_words_again(run, lib, library):
    shutil.copy(library["brightening"], lib / "colours" / "red.mp4")
    changed = as_json(run("index", "--json"))
    assert (changed["changed"], changed["said_segments"]) == (1, 1)
    assert paths(run, "feed the cat", "--said") == [str(lib / "colours" / "red.mp4")]


def test_a_copy_has_its_own_sidecars(run, lib, library):
    shutil.copy(lib / "colours" / "green.avi", lib / "light" / "green-copy.avi")
    write_text(lib / "light" / "green-copy.srt", CAT_SRT)
    copied = as_json(run("index", "--json"))
    assert (copied["added"], copied["clips_embedded"], copied["said_segments"]) == (1, 0, 1)
    assert sorted(paths(run, "cat", "--said")) == [
        str(lib / "colours" / "red.mp4"),
        str(lib / "light" / "green-copy.avi"),
    ]


def test_a_sidecar_that_cannot_be_read_is_one_warning(run, lib):
    bad = write_text(lib / "light" / "fade_in.srt", "1\n00:00:01,000 -> 00:00:02,000\nbroken\n")
    result = run("index", check=False)
    assert result.exit_code == 0
    assert f"warning: {bad}: line 2: cannot read the cue timing '00:00:01,000 -> 00:00:02,000'" in result.output
    assert as_json(run("index", "--json"))["warnings"] == []  # not read again until it changes
    bad.write_bytes(b"\x00\x01binary")
    summary = as_json(run("index", "--json"))
    assert (summary["warnings"], summary["failed"], summary["said_segments"]) == (
        [f"{bad}: binary data, not subtitles"],
        [],
        0,
    )
    assert str(lib / "light" / "fade_in.mp4") in paths(run, "brightening", "--seen")


def test_embedded_subtitles_and_bitmap_streams_counted(run, imported, tmp_path):
    root = tmp_path / "films"
    mkv_with_subtitles(root / "film.mkv", [write_text(tmp_path / "s.srt", SRT)], bitmap=True)
    summary = as_json(run("index", root, "--json"))
    assert (summary["added"], summary["said_segments"]) == (1, 2)
    top = results(run, "dinner")
    assert top[0]["said"] == {"text": "before dinner", "start": 2.5, "end": 4.0, "source": "subtitles"}
    status = as_json(run("status", "--json"))
    assert (status["said_segments"], status["bitmap_subtitle_streams"]) == (2, 1)
    assert "bitmap subtitle streams skipped: 1" in run("status").output


def test_a_library_indexed_before_words_were_gets_them_without_embedding(run, lib, vidx_home):
    import sqlite3

    with sqlite3.connect(vidx_home / "vidx.db") as db:
        db.execute("delete from said")
        db.execute("delete from said_state")
    assert results(run, "feed the cat", "--said") == []
    summary = as_json(run("index", "--json"))
    assert (summary["clips_embedded"], summary["said_segments"]) == (0, 3)
    assert paths(run, "feed the cat", "--said") == [str(lib / "colours" / "red.mp4")]


def test_a_home_of_the_vidx_before_words_is_upgraded_and_gets_them_without_embedding(run, lib, vidx_home):
    import sqlite3

    from vidx.store import migrations

    # The home as the vidx before the words index left it: m001 to m004 applied, no said tables.
    with sqlite3.connect(vidx_home / "vidx.db") as db:
        for dropped in (
            "trigger said_added",
            "trigger said_removed",
            "table said_fts",
            "table said",
            "table said_state",
        ):
            db.execute(f"drop {dropped}")
        db.execute("delete from _sqlite_migrations where name = 'm005_said'")
        assert migrations.pending(db) == ["m005_said"]
    status = as_json(run("status", "--json"))
    assert (status["videos"], status["said_segments"], status["vectors"]) == (5, 0, status["clips"])
    summary = as_json(run("index", "--json"))
    assert (summary["clips_embedded"], summary["said_segments"]) == (0, 3)
    assert paths(run, "feed the cat", "--said") == [str(lib / "colours" / "red.mp4")]
    with sqlite3.connect(vidx_home / "vidx.db") as db:
        assert migrations.pending(db) == []
        assert db.execute("select value from meta where key = 'vidx_version'").fetchone() is not None


def test_the_library_searches_in_each_mode(lib, vidx_home):
    import vidx
    from vidx.said import Segment

    with vidx.Library(vidx_home) as library:
        (hit,) = library.search("feed the cat", k=1, mode="said")
        assert hit.said == Segment(1.0, 3.0, "please remember to feed the cat", "subtitles")
        assert (hit.path, hit.start, hit.end) == (str(lib / "colours" / "red.mp4"), 1.0, 3.0)
        assert all(h.said is None for h in library.search("feed the cat", k=5, mode="seen"))
        assert library.search("feed the cat", k=1)[0].said == hit.said
        with pytest.raises(vidx.VidxError) as error:
            library.search("cat", mode="heard")
        assert str(error.value) == "mode must be one of both, seen, said, got 'heard'"
        with pytest.raises(vidx.VidxError) as error:
            library.search("cat", mode="said", clips=True)
        assert str(error.value) == "single clips are ranked by their pictures: the said mode does not list them"


def test_the_web_app_takes_the_mode_and_shows_the_line(run, lib, vidx_home):
    import json

    from serving import make_app, serving
    from serving import request as get

    with serving(make_app(vidx_home)) as httpd:
        for mode in ("said", "seen"):
            response, body = get(httpd, f"/api/search?q=feed+the+cat&k=2&mode={mode}")
            assert response.status == 200
            cli = as_json(run("query", "feed the cat", "-k", "2", f"--{mode}", "--json"))
            assert json.loads(body)["results"] == cli["results"]
        bad, body = get(httpd, "/api/search?q=cat&mode=heard")
        assert (bad.status, json.loads(body)) == (
            400,
            {"error": "mode must be one of both, seen, said, got 'heard'", "field": "mode"},
        )
        page, body = get(httpd, "/?q=feed+the+cat&k=1&mode=said")
        text = body.decode()
        # The card opens the player at its moment, which is the line's.
        assert 'data-start="1.0" data-end="3.0"' in text
        assert '<span class="said">0:01.0 “please remember to feed the cat”</span>' in text
        assert '<option value="said" selected>what was said</option>' in text


def test_kill_9_mid_run_loses_no_words_and_mixes_none(run, imported, library, vidx_home, tmp_path):
    import signal
    import sqlite3

    import processes

    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root / "colours")
    shutil.copytree(library["root"] / "light", root / "light")
    for video in [*root.glob("*/*.*")]:
        write_text(video.with_suffix(".srt"), f"1\n00:00:01,000 --> 00:00:02,000\nthe word {video.stem}\n")
    env = {"VIDX_DEBUG_DECODE_DELAY": "0.02"}
    proc = processes.start_vidx("index", root, "--quiet", env=env, start_new_session=True)

    def said_rows():
        try:
            with sqlite3.connect(vidx_home / "vidx.db", timeout=30) as db:
                return db.execute("select count(*) from said").fetchone()[0]
        except sqlite3.OperationalError:
            return 0

    assert processes.wait_for(lambda: said_rows() >= 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run("index", "--wait", "30")
    db = sqlite3.connect(vidx_home / "vidx.db")
    per_video = db.execute(
        "select videos.path, count(said.id) from videos left join said on said.video_id = videos.id group by videos.id"
    ).fetchall()
    assert sorted(n for _, n in per_video) == [1] * 5
    db.execute("insert into said_fts (said_fts) values ('integrity-check')")  # raises when FTS5 drifted
    for video in [p for p in root.glob("*/*") if p.suffix != ".srt"]:
        assert paths(run, f"word {video.stem}", "--said", "-k", "1") == [str(video)]


def test_export_cuts_the_moment_of_the_words(run, lib, tmp_path):
    import av

    (hit,) = results(run, "feed the cat", "--said", "--export", tmp_path / "out")
    assert hit["export"] == str(tmp_path / "out" / "1-red-0001.0-0003.0.mp4")
    with av.open(hit["export"]) as container:
        assert float(container.duration / 1_000_000) == pytest.approx(2.0, abs=0.15)


def test_words_find_a_video_whose_name_is_not_utf8(tmp_path, run, imported):
    """The line's video is opened by its name as on disk, not as shown (where \\xe9 stands for the byte)."""
    root = tmp_path / "lib"
    mkv = mkv_with_subtitles(root / "cat.mkv", [write_text(tmp_path / "cat.srt", CAT_SRT)])
    os.rename(mkv, os.path.join(os.fsencode(root), b"caf\xe9.mkv"))
    run("index", root, "--quiet")
    assert paths(run, "feed the cat", "--said") == [str(root / "caf\\xe9.mkv")]
