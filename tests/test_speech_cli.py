"""The speech model and setting as a user meets them: `vidx model import-speech`, `model info`, speech.enabled."""

import pytest
from conftest import as_json

from vidx.config import Home, load_settings
from vidx.indexer.budget import Budget, budget


def test_speech_is_enabled_by_default(run):
    assert as_json(run("config", "--json"))["settings"]["speech.enabled"] == {"value": True, "from": "default"}
    assert "speech.enabled = true  (default)" in run("config").output.splitlines()


@pytest.mark.parametrize(("value", "expected"), [("false", False), ("0", False), ("off", False), ("Yes", True)])
def test_speech_can_be_turned_off(run, monkeypatch, value, expected):
    monkeypatch.setenv("VIDX_SPEECH_ENABLED", value)
    assert as_json(run("config", "--json"))["settings"]["speech.enabled"]["value"] is expected


def test_a_bad_switch_is_one_line(run, vidx_home):
    vidx_home.mkdir()
    (vidx_home / "config.toml").write_text("[speech]\nenabled = 3\n")
    result = run("config", check=False)
    assert result.exit_code == 2
    assert (
        result.output
        == f"Error: Invalid value for speech.enabled ({vidx_home}/config.toml): expected true or false, got 3\n"
    )


@pytest.mark.parametrize("precision", ["int8", "fp32"])
def test_speech_takes_its_share_of_the_cores(vidx_home, monkeypatch, precision):
    monkeypatch.setenv("VIDX_MODEL_PRECISION", precision)
    settings = load_settings(Home(vidx_home))
    # Two cores: speech takes one thread beside the decoder, and inference still keeps both cores.
    assert budget(settings, available=2, speech=True) == Budget(1, None, speech_threads=1)
    # Sixteen: decoders, speech and inference share them exactly, and speech off gives its cores to inference.
    on, off = budget(settings, available=16, speech=True), budget(settings, available=16)
    assert on.speech_threads >= 2 and on.decoders + on.inference_threads + on.speech_threads == 16
    assert off.speech_threads == 0 and off.inference_threads == on.inference_threads + on.speech_threads


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
    assert lines[-1] in run("status").output.splitlines()
    info = as_json(run("model", "info", "--json"))["speech"]
    assert (info["source"], info["folder"], info["enabled"], info["languages"]) == (
        str(whisper_model),
        str(folder),
        True,
        99,
    )
    off = run("--set", "speech.enabled=false", "model", "info")
    assert (
        off.output.splitlines()[-1]
        == f"speech: {whisper_model} (fingerprint {folder.name}, 99 languages, off (speech.enabled))"
    )
    assert as_json(run("--set", "speech.enabled=false", "model", "info", "--json"))["speech"]["enabled"] is False
    assert as_json(run("--set", "speech.enabled=false", "status", "--json"))["speech"] == {**info, "enabled": False}


def test_speech_off_is_said_when_a_model_is_installed(run, whisper_model, monkeypatch):
    monkeypatch.setenv("VIDX_SPEECH_ENABLED", "0")
    lines = run("model", "import-speech", whisper_model).output.splitlines()
    assert lines[-1] == "Note: speech.enabled is off (env VIDX_SPEECH_ENABLED)."


def test_model_info_without_speech(run, imported):
    assert run("model", "info").output.splitlines()[-1] == "speech: none (vidx model import-speech SOURCE)"
    assert as_json(run("model", "info", "--json"))["speech"] is None
    assert "speech: none (vidx model import-speech SOURCE)" in run("status").output.splitlines()
    assert as_json(run("status", "--json"))["speech"] is None


def test_a_bad_source_is_one_line(run, tmp_path):
    pytest.importorskip("faster_whisper")
    result = run("model", "import-speech", tmp_path, check=False)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path} is not a CTranslate2 Whisper model folder "
        "(no model.bin, config.json, tokenizer.json, vocabulary.* in it)\n"
    )
    offline = run("model", "import-speech", "nonsense", check=False)
    assert offline.exit_code == 1 and offline.output.startswith("Error: nonsense: no such folder or file, and not a ")
