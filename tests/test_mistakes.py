"""What a new user gets wrong in the first hour, each mistake made through the real CLI: one clear line, the right
exit code, no traceback, no library noise (issue 15). The read-only home is in test_read_only_home.py, Ctrl-C in
test_crash.py, the busy port in test_server.py."""

import json
from pathlib import Path

import pytest
from conftest import OFFLINE_ENV, vidx_subprocess

TOY_MODEL = Path(__file__).with_name("toy_model.py")
KAGGLE = "https://www.kaggle.com/models/deepmind/mil-nce/TensorFlow1/s3d/1"


@pytest.fixture
def colours(run, imported, library):
    """red.mp4, green.avi and blue.gif, indexed."""
    run("index", library["root"] / "colours", "--quiet")
    return library["root"] / "colours"


@pytest.fixture
def offline(monkeypatch):
    for name, value in OFFLINE_ENV.items():
        monkeypatch.setenv(name, value)


def test_a_page_that_cannot_be_written_is_one_line_and_an_exit_status(colours):
    """Once the text model is loaded, an error must still end the process with a status, not an abort."""
    result = vidx_subprocess("query", "moving", "--html", "/nonexistent-dir/x.html", check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "Error: Cannot write the page /nonexistent-dir/x.html: No such file or directory\n",
    )


def test_the_page_says_where_it_went_and_json_stays_clean(run, colours, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("query", "red", "--json", "--html", "page.html")
    assert result.stderr == f"Wrote the page to {tmp_path / 'page.html'}\n"
    assert json.loads(result.stdout)["results"][0]["path"] == str(colours / "red.mp4")
    assert (tmp_path / "page.html").read_text().startswith("<!doctype html>")
