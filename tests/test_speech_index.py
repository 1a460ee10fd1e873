"""Speech through `vidx index` and `vidx query`, with the real Whisper base: what a video says is found, silence and
no audio cost nothing, a model imported later hears the library without re-embedding it, a crash costs one file's
speech."""

import shutil

import pytest
from conftest import as_json

from vidx.indexer.speech import DEBUG_CRASH

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


def test_import_speech_then_model_info(run, imported, whisper_model, vidx_home):
    result = run("model", "import-speech", whisper_model)
    folder = next(p for p in (vidx_home / "models" / "speech").iterdir() if p.name != "active")
    assert result.output == (
        f"Installed the speech model {whisper_model}\nfingerprint {folder.name}, 148 MB, into {folder}\n"
    )
    again = run("model", "import-speech", whisper_model)
    assert again.output == f"Already installed (fingerprint {folder.name}): nothing to do; --force installs again.\n"
    lines = run("model", "info").output.splitlines()
    assert lines[-1] == f"speech: {whisper_model} (fingerprint {folder.name}, 99 languages)"
    info = as_json(run("model", "info", "--json"))["speech"]
    assert (info["source"], info["folder"], info["enabled"], info["languages"]) == (
        str(whisper_model),
        str(folder),
        True,
        99,
    )
    off = as_json(run("--set", "speech.enabled=false", "model", "info", "--json"))["speech"]
    assert off["enabled"] is False


def test_model_info_without_speech(run, imported):
    assert run("model", "info").output.splitlines()[-1] == "speech: none (vidx model import-speech SOURCE)"
    assert as_json(run("model", "info", "--json"))["speech"] is None


def test_a_bad_source_is_one_line(run, imported, tmp_path):
    pytest.importorskip("faster_whisper")
    result = run("model", "import-speech", tmp_path, check=False)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path} is not a CTranslate2 Whisper model folder "
        "(no model.bin, config.json, tokenizer.json, vocabulary.* in it)\n"
    )


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
