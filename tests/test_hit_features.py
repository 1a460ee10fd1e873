"""What people do with a hit, through `vidx query`, the Library and the web API: moments, export, filters."""

import json
import os
import time

import av
import pytest
import videos
from conftest import as_json
from serving import make_app, request, serving

import vidx
from vidx.times import span, span_in_name

CLIP = 3.2


@pytest.fixture
def grey_red_grey(run, imported, tmp_path):
    folder = tmp_path / "lib"
    path = videos.write(
        folder / "grey_red_grey.mp4", videos.segments((videos.GREY, 12), (videos.RED, 16), (videos.GREY, 12))
    )
    other = videos.write(folder / "green.mp4", videos.solid((40, 200, 40), 40))
    old = time.mktime((2020, 6, 1, 12, 0, 0, 0, 0, -1))
    os.utime(other, (old, old))
    run("index", folder, "--quiet")
    return path, other


def test_query_gives_the_whole_moment(run, grey_red_grey):
    path, _ = grey_red_grey
    (hit,) = as_json(run("query", "red", "-k", "1", "--json"))["results"]
    assert hit["path"] == str(path)
    assert abs(hit["start"] - 12) <= CLIP and abs(hit["end"] - 28) <= CLIP, hit
    line = run("query", "red", "-k", "1").output
    assert line.rstrip().endswith(f"{path}  {span(hit['start'], hit['end'])}")


def test_query_export_writes_each_moment(run, grey_red_grey, tmp_path):
    path, _ = grey_red_grey
    out = tmp_path / "clips"
    result = run("query", "red", "-k", "1", "--json", "--export", out, "--pad", "1")
    (hit,) = as_json(result)["results"]
    start, end = max(0, hit["start"] - 1), min(40, hit["end"] + 1)
    name = f"1-grey_red_grey-{span_in_name(start, end)}.mp4"
    assert hit["export"] == str(out / name) and os.listdir(out) == [name]
    with av.open(hit["export"]) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) / 10 == pytest.approx(end - start, abs=0.11), "the padded moment, to the frame"
    assert frames[0].mean() > 20, "a picture from the first frame"
    middle = frames[len(frames) // 2].mean(axis=(0, 1))
    assert middle[0] > 150 and middle[1] < 80, "the middle of the red moment is red"


def test_query_export_into_an_unwritable_place_is_one_line(run, grey_red_grey, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run("query", "red", "--export", blocker / "x", check=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output == f"Error: {blocker / 'x'}: cannot make the export folder (Not a directory)\n"


def test_filters_on_query_like_and_the_library(run, grey_red_grey):
    path, other = grey_red_grey
    assert [r["path"] for r in as_json(run("query", "red", "--json"))["results"]] == [str(path), str(other)]
    assert [r["path"] for r in as_json(run("query", "red", "--json", "--since", "2021-01-01"))["results"]] == [
        str(path)
    ]
    assert [r["path"] for r in as_json(run("query", "red", "--json", "--until", "2020-06-01"))["results"]] == [
        str(other)
    ]
    assert [r["path"] for r in as_json(run("query", "red", "--json", "--min-duration", "10"))["results"]] == [str(path)]
    assert [r["path"] for r in as_json(run("query", "red", "--json", "--max-duration", "10"))["results"]] == [
        str(other)
    ]
    liked = as_json(run("query", "--like", path, "--json", "--max-duration", "10"))["results"]
    assert [r["path"] for r in liked] == [str(other)]
    with vidx.Library() as lib:
        assert [h.path for h in lib.search("red", since="2021-01-01")] == [str(path)]
    bad = run("query", "red", "--since", "yesterday", check=False)
    assert bad.exit_code == 2 and bad.output.startswith("Error: --since") and "Traceback" not in bad.output


def test_web_api_search_filters_and_export(run, grey_red_grey, vidx_home):
    path, other = grey_red_grey
    with serving(make_app(vidx_home)) as httpd:
        response, body = request(httpd, "/api/search?q=red&min_duration=10")
        assert response.status == 200 and [r["path"] for r in json.loads(body)["results"]] == [str(path)]
        hit = json.loads(body)["results"][0]
        page = request(httpd, "/?q=red&since=2021-01-01")[1].decode()
        assert 'name="since" id="since" value="2021-01-01"' in page and str(other) not in page
        video_id = vidx.Library(vidx_home).search("red", k=1)[0].video_id
        response, body = request(httpd, f"/api/export?video={video_id}&start={hit['start']}&end={hit['end']}")
        assert response.status == 200 and response.getheader("Content-Type") == "video/mp4"
        assert response.getheader("Content-Disposition").startswith('attachment; filename="grey_red_grey-')
        assert body[4:8] == b"ftyp" and str(path).encode() not in body
        for query, reason in [
            (f"video={video_id}&start=30&end=99", "past the end"),
            (f"video={video_id}&start=-1&end=2", "negative"),
            ("video=99999&start=0&end=2", "no indexed video 99999"),
            (f"video={video_id}&start=5&end=5", "empty span"),
        ]:
            response, body = request(httpd, f"/api/export?{query}")
            assert response.status == 400 and reason in json.loads(body)["error"], (query, body)
            assert str(path) not in body.decode()
