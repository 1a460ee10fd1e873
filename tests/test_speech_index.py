"""Speech through `vidx index` and `vidx query`, with the real Whisper base: what a video says is found, silence and
no audio cost nothing, a model imported later hears the library without re-embedding it, a crash costs one file's
speech."""

import os
import shutil
import signal
import sqlite3
from pathlib import Path

import processes
import pytest
import speech_videos as sv
from conftest import as_json

from vidx.indexer.speech import DEBUG_CRASH, DEBUG_DELAY

FEED = "Please remember to feed the cat before dinner."


@pytest.fixture
def talk_root(tmp_path, talk):
    root = tmp_path / "talk"
    root.mkdir()
    for name in ("cat", "silent", "mute"):
        shutil.copy(talk[name], root / talk[name].name)
    return root


@pytest.fixture
def speech_model(run, imported, whisper_model):
    run("model", "import-speech", whisper_model)
    return whisper_model


def test_what_a_video_says_is_found_at_its_moment(run, speech_model, talk_root):
    summary = as_json(run("index", talk_root, "--json"))
    assert (summary["added"], summary["said_segments"], summary["warnings"], summary["failed"]) == (3, 1, [], [])
    assert as_json(run("status", "--json"))["said_segments"] == 1
    for mode in ([], ["--said"]):
        top = as_json(run("query", "feed the cat", *mode, "--json"))["results"][0]
        assert top["path"] == str(talk_root / "cat.mp4")
        said = top["said"]
        assert (said["text"], said["source"]) == (FEED, "speech")
        assert said["start"] == pytest.approx(2.0, abs=1) and said["end"] == pytest.approx(5.5, abs=1)
        assert (top["start"], top["end"]) == (said["start"], said["end"])
    again = as_json(run("index", "--json"))
    assert (again["unchanged"], again["clips_embedded"], again["said_segments"]) == (3, 0, 0)


def test_a_speech_model_imported_later_hears_the_library_without_re_embedding(run, imported, whisper_model, talk_root):
    first = as_json(run("index", talk_root, "--json"))
    assert (first["added"], first["said_segments"]) == (3, 0)
    run("model", "import-speech", whisper_model)
    later = as_json(run("index", "--json"))
    assert (later["unchanged"], later["clips_embedded"], later["said_segments"], later["warnings"]) == (3, 0, 1, [])
    assert as_json(run("query", "feed the cat", "--said", "--json"))["results"][0]["said"]["text"] == FEED
    # Heard once: silence and no audio track are not heard again either.
    assert as_json(run("index", "--json"))["said_segments"] == 0


def test_speech_off_hears_nothing(run, speech_model, talk_root, monkeypatch):
    monkeypatch.setenv("VIDX_SPEECH_ENABLED", "false")
    summary = as_json(run("index", talk_root, "--json"))
    assert (summary["added"], summary["said_segments"]) == (3, 0)
    assert as_json(run("query", "feed the cat", "--said", "--json"))["results"] == []


def test_a_crash_of_the_speech_engine_loses_that_file_s_speech_only(run, speech_model, talk_root, monkeypatch):
    monkeypatch.setenv(DEBUG_CRASH, "silent.mp4")
    result = run("index", talk_root)
    cat, silent = talk_root / "cat.mp4", talk_root / "silent.mp4"
    assert f"warning: {silent}: the speech engine crashed (exit code -11); its speech is not indexed" in (
        result.stderr.splitlines()
    )
    assert result.stdout.splitlines()[-1].startswith("3 added, 0 changed, 0 moved, 0 removed, 0 unchanged, 0 failed")
    assert as_json(run("query", "feed the cat", "--said", "--json"))["results"][0]["path"] == str(cat)
    # The reason is kept: the file is not heard again until it changes.
    monkeypatch.delenv(DEBUG_CRASH)
    again = as_json(run("index", "--json"))
    assert (again["said_segments"], again["warnings"]) == (0, [])


def committed(home) -> int:
    try:
        with sqlite3.connect(home / "vidx.db", timeout=30) as db:
            return db.execute("select count(*) from videos where status = 'ok'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def children(pid: int) -> list[bytes]:
    """The command lines of the live children of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                found.append((entry / "cmdline").read_bytes())
        except OSError:
            continue  # ended while we looked
    return found


def test_kill_9_while_hearing_heals_on_the_next_run(run, speech_model, talk_root, vidx_home):
    # The pictures are all committed, the speech process is still hearing: kill -9 takes it along, and the next
    # run hears what was lost without re-embedding.
    with processes.marking() as mark:
        proc = processes.start_vidx("index", talk_root, "--quiet", env={DEBUG_DELAY: "60"})
        try:
            assert processes.wait_for(lambda: committed(vidx_home) == 3)
            assert any(b"vidx.indexer.transcriber" in command for command in children(proc.pid))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert processes.wait_until_gone(mark, 30) == {}
    healed = as_json(run("index", "--json", "--wait", "30"))
    assert (healed["unchanged"], healed["clips_embedded"], healed["said_segments"]) == (3, 0, 1)
    assert as_json(run("query", "feed the cat", "--said", "--json"))["results"][0]["said"]["text"] == FEED
    assert as_json(run("doctor", "--json"))["healthy"] is True


def test_audio_that_cannot_be_decoded_is_one_warning_and_the_pictures_are_indexed(run, speech_model, tmp_path):
    root = tmp_path / "odd"
    bad = sv.undecodable(root / "tmp.mkv")
    os.rename(bad, os.path.join(os.fsencode(root), b"caf\xe9.mkv"))  # a name that is not UTF-8
    summary = as_json(run("index", root, "--json"))
    assert (summary["added"], summary["failed"], summary["said_segments"]) == (1, [], 0)
    assert summary["warnings"] == [
        f"{root}/caf\\xe9.mkv: its audio cannot be decoded (Invalid data found when processing input)"
    ]
    assert as_json(run("index", "--json"))["warnings"] == []
