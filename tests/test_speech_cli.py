"""The speech model and setting as a user meets them: `vidx model import-speech`, `model info`, speech.enabled."""

import pytest
from conftest import as_json


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
