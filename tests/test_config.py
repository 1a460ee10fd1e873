"""Settings: defaults < user file < environment < flags, and one clear line for a bad value."""

import pytest
from conftest import as_json

from vidx.config import Home, load_settings
from vidx.errors import ConfigError


def test_defaults(vidx_home):
    s = load_settings(Home(vidx_home))
    assert (s.clip.frames, s.clip.size, s.clip.fps, s.clip.stride) == (32, 224, 10.0, 0.0)
    assert s.search.k == 10 and s.model.precision == "fp32"
    assert ".gif" in s.index.extensions and ".mp4" in s.index.extensions


def test_precedence(run, vidx_home, monkeypatch):
    vidx_home.mkdir()
    (vidx_home / "config.toml").write_text("[clip]\nfps = 5\nsize = 200\n[search]\nk = 3\n")
    monkeypatch.setenv("VIDX_CLIP_FPS", "0")
    monkeypatch.setenv("VIDX_CLIP_MAX_PER_VIDEO", "7")
    data = as_json(run("--set", "search.k=4", "config", "--json"))["settings"]
    assert data["clip.size"] == {"value": 200, "from": str(vidx_home / "config.toml")}
    assert data["clip.fps"] == {"value": 0.0, "from": "env VIDX_CLIP_FPS"}
    assert data["clip.max_per_video"] == {"value": 7, "from": "env VIDX_CLIP_MAX_PER_VIDEO"}
    assert data["search.k"] == {"value": 4, "from": "flag"}
    assert data["clip.frames"] == {"value": 32, "from": "default"}


def test_config_text_output(run, vidx_home):
    lines = run("config").output.splitlines()
    assert lines[0] == f"home = {vidx_home}  (env VIDX_HOME)"
    assert "clip.fps = 10.0  (default)" in lines


def test_home_flag_beats_environment(run, tmp_path):
    other = tmp_path / "elsewhere"
    data = as_json(run("--home", other, "config", "--json"))
    assert (data["home"], data["home_from"]) == (str(other), "flag")
    assert run("--home", other, "config").output.splitlines()[0] == f"home = {other}  (flag)"


def test_xdg_and_the_default_home(run, vidx_home, monkeypatch, tmp_path):
    from vidx.config import resolve_home

    monkeypatch.delenv("VIDX_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_home() == tmp_path / "xdg" / "vidx"
    assert run("config").output.splitlines()[0] == f"home = {tmp_path / 'xdg' / 'vidx'}  (env XDG_DATA_HOME)"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert run("config").output.splitlines()[0] == f"home = {tmp_path / 'me' / '.local' / 'share' / 'vidx'}  (default)"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"VIDX_CLIP_FPS": "-1"},
            "Error: Invalid value for clip.fps (env VIDX_CLIP_FPS): must be >= 0, got -1.0",
        ),
        (
            {"VIDX_CLIP_FRAMES": "many"},
            "Error: Invalid value for clip.frames (env VIDX_CLIP_FRAMES): expected a whole number, got 'many'",
        ),
        (
            {"VIDX_CLIP_COLOUR": "1"},
            "Error: Unknown setting clip.colour (env VIDX_CLIP_COLOUR); `vidx config` lists the known ones",
        ),
        (
            {"VIDX_MODEL_PRECISION": "fp8"},
            "Error: Invalid value for model.precision (env VIDX_MODEL_PRECISION): must be one of fp32, bf16, int8, int8-mixed, got 'fp8'",
        ),
    ],
)
def test_bad_environment_values(run, monkeypatch, env, message):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    result = run("config", check=False)
    assert result.exit_code == 2
    assert result.output == message + "\n"


def test_bad_user_file_and_flag(run, vidx_home):
    vidx_home.mkdir()
    (vidx_home / "config.toml").write_text("[search]\nk = 'ten'\n")
    result = run("config", check=False)
    assert (result.exit_code, result.output) == (
        2,
        f"Error: Invalid value for search.k ({vidx_home / 'config.toml'}): expected a whole number, got 'ten'\n",
    )
    (vidx_home / "config.toml").unlink()
    flag = run("--set", "clip.stride", "config", check=False)
    assert (flag.exit_code, flag.output) == (
        2,
        "Error: Invalid --set 'clip.stride': expected SECTION.KEY=VALUE, e.g. clip.fps=0\n",
    )


def test_load_settings_raises_config_error(vidx_home):
    with pytest.raises(ConfigError):
        load_settings(Home(vidx_home), {"index.batch": "0"})


def test_engine_and_ray_settings(run, monkeypatch):
    data = as_json(run("config", "--json"))["settings"]
    assert data["index.engine"] == {"value": "local", "from": "default"}
    assert data["ray.address"] == {"value": "local", "from": "default"}
    assert (data["ray.cpus_per_worker"]["value"], data["ray.workers"]["value"]) == (2, 0)
    monkeypatch.setenv("RAY_ADDRESS", "head.example:6379")
    assert as_json(run("config", "--json"))["settings"]["ray.address"] == {
        "value": "head.example:6379",
        "from": "env RAY_ADDRESS",
    }
    monkeypatch.setenv("VIDX_RAY_ADDRESS", "other:6379")
    assert "ray.address = other:6379  (env VIDX_RAY_ADDRESS)" in run("config").output.splitlines()
    bad = run("--set", "index.engine=spark", "config", check=False)
    assert (bad.exit_code, bad.output) == (
        2,
        "Error: Invalid value for index.engine (flag): must be one of local, ray, got 'spark'\n",
    )
    assert run("--set", "ray.cpus_per_worker=0", "config", check=False).output == (
        "Error: Invalid value for ray.cpus_per_worker (flag): must be >= 1, got 0\n"
    )


def test_vidx_config_lists_the_declared_settings_in_order(run, monkeypatch):
    from vidx.config.declared import SETTINGS

    monkeypatch.delenv("VIDX_INDEX_SETTLE_SECONDS")

    data = as_json(run("config", "--json"))["settings"]
    assert list(data) == list(SETTINGS)
    for key, setting in SETTINGS.items():
        default = list(setting.default) if isinstance(setting.default, tuple) else setting.default
        assert data[key] == {"value": default, "from": "default"}


def test_the_typed_sections_default_to_the_declaration(vidx_home, monkeypatch):
    from vidx.config.declared import SECTIONS

    monkeypatch.delenv("VIDX_INDEX_SETTLE_SECONDS")
    settings = load_settings(Home(vidx_home))
    for section, cls in SECTIONS.items():
        assert getattr(settings, section) == cls()


def test_every_setting_has_one_line_of_doc_and_a_known_type():
    from vidx.config.declared import SETTINGS

    for setting in SETTINGS.values():
        assert setting.kind in (bool, int, float, str, tuple), setting.key
        assert setting.rules.doc and "\n" not in setting.rules.doc and "|" not in setting.rules.doc, setting.key


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("index.decoders=65", "Error: Invalid value for index.decoders (flag): must be <= 64, got 65"),
        ("search.moment_margin=1.5", "Error: Invalid value for search.moment_margin (flag): must be <= 1, got 1.5"),
        ("model.int8_min_cosine=-2", "Error: Invalid value for model.int8_min_cosine (flag): must be >= -1, got -2.0"),
        (
            "index.extensions=mp4,.mov",
            "Error: Invalid value for index.extensions (flag): each extension starts with a dot, got ['mp4', '.mov']",
        ),
        ("ray.address=", "Error: Invalid value for ray.address (flag): give HOST:PORT of the Ray head, or local"),
        (
            "clip.max_per_video=1.5",
            "Error: Invalid value for clip.max_per_video (flag): expected a whole number, got '1.5'",
        ),
    ],
)
def test_bounds_choices_and_rules_of_the_declaration(run, flag, message):
    result = run("--set", flag, "config", check=False)
    assert (result.exit_code, result.output) == (2, message + "\n")


def test_a_list_setting_from_the_environment(run, monkeypatch):
    monkeypatch.setenv("VIDX_INDEX_EXTENSIONS", ".MP4, ,.gif")
    assert as_json(run("config", "--json"))["settings"]["index.extensions"] == {
        "value": [".mp4", ".gif"],
        "from": "env VIDX_INDEX_EXTENSIONS",
    }
