import json
import os
import shutil
import signal
import sqlite3  # noqa: F401  (loaded before TensorFlow, whose own SQLite, loaded first, has no FTS5)
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

import toy_model  # noqa: E402
import videos  # noqa: E402
from processes import vidx_code  # noqa: E402

SHARED_VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"
OFFLINE_ENV = {
    "https_proxy": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "no_proxy": "",
    "NO_PROXY": "",
}


def pytest_configure(config):
    # A shell starts a background job (`pytest &` in a script) with SIGINT ignored, and every process started from
    # it inherits that: the tests that press Ctrl-C on a vidx they start need the default back.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_addoption(parser):
    parser.addoption(
        "--soak",
        type=int,
        nargs="?",
        const=300,
        default=0,
        metavar="STEPS",
        help="run tests/test_churn.py for STEPS random steps (300 if none given) instead of CI's few",
    )
    parser.addoption("--churn-seed", type=int, default=25, help="the seed of tests/test_churn.py (default 25)")


@pytest.fixture(autouse=True)
def vidx_home(tmp_path, monkeypatch):
    """Every test gets its own empty home; nothing touches a real ~/.local/share/vidx."""
    home = tmp_path / "home"
    monkeypatch.setenv("VIDX_HOME", str(home))
    for name in list(os.environ):
        if name.startswith("VIDX_") and name != "VIDX_HOME":
            monkeypatch.delenv(name)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)  # it stands for ray.address
    # Tests index files they have just written; the settling wait is tested on its own (test_still_written.py).
    monkeypatch.setenv("VIDX_INDEX_SETTLE_SECONDS", "0")
    return home


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    built = {
        "tf1": toy_model.build_tf1(root / "toy_tf1"),
        "serve": toy_model.build_tf1(root / "toy_serve", tags=["serve"]),
        "vocab": toy_model.build_tf1(root / "toy_vocab", vocab_file=True),
        "tf2": toy_model.build_tf2(root / "toy_tf2"),
        "nosig": toy_model.build_without_signatures(root / "nosig"),
    }
    archive = root / "toy_tf1.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(built["tf1"], arcname="s3d")
    built["tar"] = archive
    return built


@pytest.fixture(scope="session")
def library(tmp_path_factory) -> dict[str, Path]:
    """Generated videos with known answers, beside copies of the real shared videos when present."""
    root = tmp_path_factory.mktemp("library")
    made = videos.make_library(root)
    if SHARED_VIDEOS.is_dir():
        (root / "real").mkdir()
        for name in ("bikes.mp4", "again.mkv", "carphone_distorted.mp4"):
            shutil.copy(SHARED_VIDEOS / name, root / "real" / name)
    made["root"] = root
    return made


@pytest.fixture
def lib(tmp_path, library) -> Path:
    """A copy of the generated videos (colours, light and motion), for a test that changes or damages them."""
    root = tmp_path / "lib"
    for folder in ("colours", "light", "motion"):
        shutil.copytree(library["root"] / folder, root / folder)
    return root


@pytest.fixture
def run():
    """Invoke the CLI in-process and return the result; happy paths pass check=True to see tracebacks."""
    from vidx.cli import cli

    def invoke(*args, check=True, input=None):
        result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=not check, input=input)
        if check:
            assert result.exit_code == 0, result.output
        return result

    return invoke


@pytest.fixture
def imported(run, models, vidx_home):
    run("model", "import", models["tf1"])
    return vidx_home


def vidx_subprocess(*args, env=None, check=True, prelude=""):
    """Run the real console entry point in a fresh interpreter; `prelude` runs first (e.g. to block imports)."""
    result = subprocess.run(
        [sys.executable, "-c", vidx_code(*args, prelude=prelude)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def as_json(result):
    return json.loads(result.output if hasattr(result, "output") else result.stdout)


@pytest.fixture(scope="session")
def whisper_model() -> Path:
    """The real Whisper base folder (tests/whisper_model.py builds it; .ci/run does); skips when absent."""
    import whisper_model as built

    folder = built.location()
    if not built.is_built(folder):
        pytest.skip(f"no Whisper model at {folder}: run python tests/whisper_model.py")
    pytest.importorskip("faster_whisper", reason="speech needs pip install -e '.[speech]'")
    return folder


@pytest.fixture(scope="session")
def talk(tmp_path_factory) -> dict[str, Path]:
    """Videos that say a known line at a known time, say nothing, or have no audio track (needs espeak-ng)."""
    import speech_videos as sv

    if not sv.have_espeak():
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    root = tmp_path_factory.mktemp("talk")
    return {
        "cat": sv.write_video(root / "cat.mp4", 8, sv.talking(8, [(2.0, sv.FEED_THE_CAT)])),
        "silent": sv.write_video(root / "silent.mp4", 8, sv.talking(8, [])),
        "mute": sv.write_video(root / "mute.mp4", 8, None),
    }
