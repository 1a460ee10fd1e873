"""`vidx serve`: search JSON, Range requests, and nothing served outside the index."""

import http.client
import json
import os
import shutil
import threading

import pytest
from conftest import as_json

from vidx.config import Home, load_settings
from vidx.model.runtime import TextEncoder
from vidx.searcher.web import App, Server
from vidx.store import Catalog


@pytest.fixture
def server(run, imported, library, tmp_path, vidx_home):
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root)
    os.symlink(library["brightening"], root / "outside.mp4")
    run("index", root, "--quiet")
    settings = load_settings(Home(vidx_home))
    app = App(lambda: Catalog(settings.home), TextEncoder(settings.home), settings.search.k)
    httpd = Server(("127.0.0.1", 0), app)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, root
    httpd.shutdown()
    httpd.server_close()


def get(httpd, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", httpd.server_address[1], timeout=30)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def video_id(vidx_home, path):
    return Catalog(Home(vidx_home)).video(str(path)).id


def test_api_search_is_the_cli_json(run, server):
    httpd, root = server
    response, body = get(httpd, "/api/search?q=blue&k=2")
    assert response.status == 200 and response.getheader("Content-Type") == "application/json"
    assert json.loads(body) == as_json(run("query", "blue", "-k", "2", "--json"))
    assert json.loads(body)["results"][0]["path"] == str(root / "blue.gif")
    bad, body = get(httpd, "/api/search?q=red&k=many")
    assert bad.status == 400 and json.loads(body) == {"error": "k must be a whole number"}
    empty, body = get(httpd, "/api/search?q=")
    assert empty.status == 400 and json.loads(body)["error"].startswith("The query is empty")


def test_page_lists_results_with_player_at_the_moment(server):
    httpd, root = server
    response, body = get(httpd, "/?q=green")
    page = body.decode()
    assert response.status == 200
    assert '<input name="q" value="green"' in page
    assert '<video controls preload="metadata" src="/media/' in page
    assert str(root / "green.avi") in page.split('<li class="result"')[1]


def test_range_requests(server, vidx_home):
    httpd, root = server
    data = (root / "red.mp4").read_bytes()
    path = f"/media/{video_id(vidx_home, root / 'red.mp4')}"
    whole, body = get(httpd, path)
    assert (whole.status, body, whole.getheader("Accept-Ranges")) == (200, data, "bytes")
    part, body = get(httpd, path, {"Range": "bytes=100-199"})
    assert part.status == 206 and body == data[100:200]
    assert part.getheader("Content-Range") == f"bytes 100-199/{len(data)}"
    tail, body = get(httpd, path, {"Range": "bytes=-50"})
    assert tail.status == 206 and body == data[-50:]
    open_end, body = get(httpd, path, {"Range": f"bytes={len(data) - 10}-"})
    assert open_end.status == 206 and body == data[-10:]
    beyond, _ = get(httpd, path, {"Range": f"bytes={len(data)}-"})
    assert beyond.status == 416 and beyond.getheader("Content-Range") == f"bytes */{len(data)}"


@pytest.mark.parametrize(
    "path",
    [
        "/media/../vidx.db",
        "/media/%2e%2e%2fvidx.db",
        "/media/..%2F..%2Fetc%2Fpasswd",
        "//etc/passwd",
        "/etc/passwd",
        "/media/%2Fetc%2Fpasswd",
        "/thumb/../../vidx.db",
        "/media/999999",
        "/thumb/999999.jpg",
        "/index.lock",
    ],
)
def test_nothing_outside_the_index_is_served(server, path):
    response, _ = get(server[0], path)
    assert response.status == 404


def test_symlink_out_of_the_root_is_not_served(server, vidx_home):
    httpd, root = server
    response, _ = get(httpd, f"/media/{video_id(vidx_home, root / 'outside.mp4')}")
    assert response.status == 404


def test_thumbnail(server, vidx_home):
    httpd, root = server
    clip = Catalog(Home(vidx_home)).db.execute("select id from clips limit 1").fetchone()[0]
    response, body = get(httpd, f"/thumb/{clip}.jpg")
    assert response.status == 200 and response.getheader("Content-Type") == "image/jpeg"
    assert body[:3] == b"\xff\xd8\xff"


def test_serve_says_where_it_listens(run, imported, library):
    import re
    import subprocess
    import sys

    run("index", library["root"] / "colours", "--quiet")
    proc = subprocess.Popen(
        [sys.executable, "-u", "-c", "from vidx.cli import main; main()", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=os.environ,
    )
    try:
        line = proc.stdout.readline().rstrip("\n")
        port = int(
            re.fullmatch(
                r"Serving http://127\.0\.0\.1:(\d+)/ \(localhost only; --host 0\.0\.0\.0 shares it on the network\)\. Ctrl-C stops\.",
                line,
            ).group(1)
        )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/search?q=red&k=1")
        assert json.loads(conn.getresponse().read())["results"][0]["path"] == str(library["red"])
        conn.close()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_many_clients_at_once_on_a_fresh_server(server, vidx_home, capfd):
    """Thumbnails not made yet, each asked for by several clients at once, between searches: all answered."""
    from concurrent.futures import ThreadPoolExecutor

    httpd, _ = server
    clips = [row[0] for row in Catalog(Home(vidx_home)).db.execute("select id from clips")]
    paths = [f"/thumb/{clip}.jpg" for clip in clips for _ in range(8)] + ["/api/search?q=red&k=3", "/?q=blue"] * 20
    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda path: get(httpd, path), paths))
    assert [response.status for response, _ in answers] == [200] * len(paths)
    assert all(
        body[:3] == b"\xff\xd8\xff"
        for (_, body), path in zip(answers, paths, strict=True)
        if path.startswith("/thumb/")
    )
    assert "Traceback" not in capfd.readouterr().err
