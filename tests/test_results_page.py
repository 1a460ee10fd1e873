"""`vidx query --html` and `--like`: a page people can look at, safe whatever the file names."""

import shutil
from html.parser import HTMLParser

import pytest
import videos
from conftest import as_json

import vidx
from vidx.errors import NotWritable
from vidx.web import html_page, write_html_page

HOSTILE = "<img src=x onerror=alert(1)>.mp4"
FOLDER = "<b>bold</b> & 'quotes'"


class Parsed(HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.tags, self.attrs, self.text = [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def hostile(run, imported, library, tmp_path):
    root = tmp_path / "lib"
    (root / FOLDER).mkdir(parents=True)
    shutil.copy(library["red"], root / FOLDER / HOSTILE)
    shutil.copy(library["blue"], root / "blue.gif")
    shutil.copy(library["brightening"], root / "fade_in.mp4")
    run("index", root, "--quiet")
    return root


def test_page_escapes_names_and_query(run, hostile, tmp_path):
    page = tmp_path / "out.html"
    query = "red <script>alert(1)</script>"
    run("query", query, "--html", page)
    parsed = Parsed(page.read_text())
    assert "script" not in parsed.tags
    assert not [a for _, attrs in parsed.attrs for a in attrs if a.startswith("on")]
    assert all(not (tag == "img" and attrs.get("src") == "x") for tag, attrs in parsed.attrs)
    text = "".join(parsed.text)
    assert query in text
    first = [attrs for tag, attrs in parsed.attrs if tag == "a"][0]
    assert first["href"].startswith((hostile / FOLDER / HOSTILE).as_uri())
    assert first["href"].endswith("#t=0,4"), "the link opens the whole moment: red throughout its 4 s"
    assert HOSTILE in text and str(hostile / FOLDER) in text, "the hostile name and folder show as text"
    strips = [attrs["src"] for tag, attrs in parsed.attrs if tag == "img"]
    assert len(strips) == 3 and all(s.startswith("data:image/jpeg;base64,") for s in strips)
    ranks = [attrs["data-rank"] for tag, attrs in parsed.attrs if tag == "li"]
    assert ranks == ["1", "2", "3"]


def test_the_page_from_python_is_the_one_the_cli_writes(run, hostile, tmp_path, monkeypatch):
    run("query", "blue", "-k", "2", "--html", tmp_path / "cli.html")
    monkeypatch.chdir(tmp_path)
    with vidx.Library() as lib:
        hits = lib.search("blue", k=2)
        typical = lib.typical_score("blue")
        written = write_html_page(lib, "blue", hits, "python.html", typical)
        assert written == tmp_path / "python.html"
        assert written.read_text() == html_page(lib, "blue", hits, typical) == (tmp_path / "cli.html").read_text()
        with pytest.raises(NotWritable) as error:
            write_html_page(lib, "blue", hits, tmp_path / "nowhere" / "x.html")
    assert str(error.value) == f"Cannot write the page {tmp_path / 'nowhere' / 'x.html'}: No such file or directory"


def test_thumbnails_are_cached_and_dropped_with_their_video(run, hostile, tmp_path, vidx_home):
    run("query", "blue", "--html", tmp_path / "a.html")
    cached = sorted((vidx_home / "thumbs").glob("*.jpg"))
    assert len(cached) == 3
    (hostile / "blue.gif").unlink()
    (hostile / "fade_in.mp4").unlink()
    run("index", "--quiet")
    assert len(list((vidx_home / "thumbs").glob("*.jpg"))) == 1


def test_like_finds_the_video_a_clip_was_cut_from(run, imported, library, tmp_path):
    run("index", library["root"], "--quiet")
    cut = videos.write(tmp_path / "cut.avi", videos.read(library["green"])[10:30])
    results = as_json(run("query", "--like", cut, "--json", "-k", "3"))["results"]
    assert results[0]["path"] == str(library["green"])
    later = videos.write(tmp_path / "later.avi", videos.grey_then_red(40))
    at = as_json(run("query", "--like", f"{later}@00:05", "--json"))
    assert at["query"] == f"like {later}@00:05"
    assert at["results"][0]["path"] == str(library["red"])
    assert str(later) not in [r["path"] for r in at["results"]]


def test_like_of_an_indexed_video_leaves_it_out(run, imported, library):
    run("index", library["root"] / "colours", "--quiet")
    results = as_json(run("query", "--like", library["red"], "--json"))["results"]
    assert str(library["red"]) not in [r["path"] for r in results]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["red", "--like", "x.mp4"], "Error: Give TEXT or --like VIDEO, not both"),
        ([], 'Error: Give TEXT to search for, e.g. vidx query "car drifting", or --like VIDEO[@mm:ss]'),
        (["red", "--open"], "Error: --open opens the --html page: give --html FILE too"),
    ],
)
def test_usage_errors(run, imported, args, message):
    result = run("query", *args, check=False)
    assert (result.exit_code, result.output) == (2, message + "\n")


def test_like_missing_file(run, imported, library):
    run("index", library["root"] / "colours", "--quiet")
    result = run("query", "--like", "/nowhere/x.mp4@00:10", check=False)
    assert (result.exit_code, result.output) == (1, "Error: /nowhere/x.mp4: no such video file for --like\n")
