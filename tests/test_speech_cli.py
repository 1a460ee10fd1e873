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
