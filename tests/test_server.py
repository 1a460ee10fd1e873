"""`vidx serve`: search JSON, Range and HEAD requests, nothing served outside the index, bounded connections."""

import html
import http.client
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from conftest import as_json
from serving import clip_id, connect, index_colours, make_app, raw, read_all, serving, video_id
from serving import request as get

from vidx.config import Home, load_settings
from vidx.store import Catalog
from vidx.web.bounded import WAITING_PER_WORKER


@pytest.fixture
def indexed(run, imported, library, tmp_path, vidx_home):
    return make_app(vidx_home), index_colours(run, library, tmp_path)


@pytest.fixture
def server(indexed):
    app, root = indexed
    with serving(app) as httpd:
        yield httpd, root


def test_api_search_is_the_cli_json(run, server):
    httpd, root = server
    response, body = get(httpd, "/api/search?q=blue&k=2")
    assert response.status == 200 and response.getheader("Content-Type") == "application/json"
    answer = json.loads(body)
    assert answer == {**as_json(run("query", "blue", "-k", "2", "--json")), "offset": 0, "k": 2, "more": True}
    assert answer["results"][0]["path"] == str(root / "blue.gif")
    assert answer["good_match"] is True


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("q=red&k=many", {"error": "k must be a whole number, got 'many'", "field": "k"}),
        ("q=red&k=0", {"error": "k must be between 1 and 1000, got 0", "field": "k"}),
        ("q=red&offset=-1", {"error": "offset must be between 0 and 10000, got -1", "field": "offset"}),
        (
            "q=red&since=yesterday",
            {"error": "since must be a date such as 2024-05-31, got 'yesterday'", "field": "since"},
        ),
        (
            "q=red&since=2024-06-02&until=2024-06-01",
            {"error": "until 2024-06-01 is before since 2024-06-02", "field": "until"},
        ),
        (
            "q=red&min_duration=50&max_duration=10",
            {"error": "max_duration 10 is below min_duration 50", "field": "max_duration"},
        ),
        (
            "q=red&min_duration=-1",
            {"error": "min_duration must be a number of seconds, 0 or more, got '-1'", "field": "min_duration"},
        ),
        ("q=", {"error": "q is empty: say what you remember seeing, e.g. /api/search?q=car+drifting", "field": "q"}),
        (
            "q=%20%20",
            {"error": "q is empty: say what you remember seeing, e.g. /api/search?q=car+drifting", "field": "q"},
        ),
    ],
)
def test_api_errors_name_the_parameter_never_a_cli_flag(server, query, error):
    response, body = get(server[0], f"/api/search?{query}")
    assert (response.status, json.loads(body)) == (400, error)


def test_api_pages_with_an_offset(server):
    httpd, _ = server
    whole = json.loads(get(httpd, "/api/search?q=red&k=10")[1])
    assert [r["rank"] for r in whole["results"]] == [1, 2, 3, 4] and whole["more"] is False, "four videos"
    first = json.loads(get(httpd, "/api/search?q=red&k=3")[1])
    second = json.loads(get(httpd, "/api/search?q=red&k=3&offset=3")[1])
    assert first["results"] + second["results"] == whole["results"]
    assert (first["offset"], first["more"], second["offset"], second["more"]) == (0, True, 3, False)
    assert first["good_match"] == second["good_match"] is True, "the same query, rated the same on every page"
    beyond = json.loads(get(httpd, "/api/search?q=red&k=3&offset=4")[1])
    assert (beyond["results"], beyond["more"]) == ([], False)


def test_page_lists_results_with_player_at_the_moment(server):
    httpd, root = server
    response, body = get(httpd, "/?q=green")
    page = body.decode()
    assert response.status == 200
    assert '<input type="search" name="q" id="q" value="green"' in page
    assert "<title>green · vidx</title>" in page
    assert page.count("<video") == 1, "one player for the page, opened at a result's moment"
    first = page.split('<li class="result"')[1]
    assert 'href="/media/' in first and '<span class="name">green.avi</span>' in first
    assert f"<bdi>{root}</bdi>" in first
    assert "100% relevant" in first


@pytest.mark.parametrize("query", ["", "?q=", "?q=%20%20"])
def test_an_empty_query_shows_the_home_page(server, query):
    httpd, _ = server
    response, body = get(httpd, f"/{query}")
    page = body.decode()
    assert response.status == 200
    assert "<title>vidx</title>" in page
    assert '<section class="home" id="home"><p>4 videos, 13 seconds indexed; last indexed ' in page
    assert '<a href="/?q=car+drifting">car drifting</a>' in page
    assert 'id="results"' not in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("q=red&k=0", "k", "Results must be between 1 and 1000, got 0"),
        ("q=red&min_duration=50&max_duration=10", "max_duration", "Length up to 10 s is below length from 50 s"),
        ("q=red&since=2024-13-01", "since", "Modified from must be a date such as 2024-05-31, got '2024-13-01'"),
    ],
)
def test_page_errors_show_in_the_form(server, query, field, message):
    response, body = get(server[0], f"/?{query}")
    page = body.decode()
    assert (response.status, response.getheader("Content-Type")) == (400, "text/html; charset=utf-8")
    assert f'<ul class="errors" id="errors" role="alert"><li>{html.escape(message)}</li></ul>' in page
    assert re.search(f'<input [^>]*name="{field}"[^>]*aria-invalid="true"', page)
    assert "--" not in message


def test_a_dropped_client_is_one_line_in_the_log(server, vidx_home):
    httpd, _ = server
    for _ in range(20):
        with connect(httpd) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
            sock.sendall(f"GET /thumb/{clip_id(vidx_home)}.jpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    get(httpd, "/api/search?q=red&k=1")  # answered after the last dropped one
    assert [line for line in httpd.log if "Traceback" in line or "Error" in line] == []


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
    response, body = get(httpd, f"/thumb/{clip_id(vidx_home)}.jpg")
    assert response.status == 200 and response.getheader("Content-Type") == "image/jpeg"
    assert body[:3] == b"\xff\xd8\xff"


def test_serve_says_where_it_listens(run, imported, library):
    run("index", library["root"] / "colours", "--quiet")
    proc = subprocess.Popen(
        [sys.executable, "-P", "-u", "-c", "from vidx.cli import main; main()", "serve", "--port", "0"],
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
    assert [line for line in httpd.log if "Traceback" in line] == []


def test_head_gives_the_length_without_the_body(server, vidx_home):
    httpd, root = server
    size = (root / "red.mp4").stat().st_size
    media = f"/media/{video_id(vidx_home, root / 'red.mp4')}"
    status, headers, body = raw(httpd, f"HEAD {media} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    assert (status, headers["Content-Length"], headers["Content-Type"], body) == (
        "HTTP/1.0 200 OK",
        str(size),
        "video/mp4",
        b"",
    )
    status, headers, body = raw(
        httpd, f"HEAD {media} HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=100-199\r\n\r\n".encode()
    )
    assert (status, headers["Content-Length"], headers["Content-Range"], body) == (
        "HTTP/1.0 206 Partial Content",
        "100",
        f"bytes 100-199/{size}",
        b"",
    )
    thumb = f"/thumb/{clip_id(vidx_home)}.jpg"
    _, jpeg = get(httpd, thumb)
    status, headers, body = raw(httpd, f"HEAD {thumb} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    assert (status, headers["Content-Length"], headers["Content-Type"], body) == (
        "HTTP/1.0 200 OK",
        str(len(jpeg)),
        "image/jpeg",
        b"",
    )


def test_the_form_and_the_api_take_the_same_k(server):
    httpd, _ = server
    _, page = get(httpd, "/")
    assert '<input type="number" name="k" id="k" value="10" min="1" max="1000">' in page.decode()
    assert get(httpd, "/api/search?q=red&k=1000")[0].status == 200
    assert get(httpd, "/?q=red&k=1000")[0].status == 200
    too_many, body = get(httpd, "/api/search?q=red&k=1001")
    assert too_many.status == 400 and json.loads(body)["error"] == "k must be between 1 and 1000, got 1001"


def worker_threads() -> int:
    return sum(t.name.startswith("vidx-serve") for t in threading.enumerate())


def test_300_idle_connections_do_not_starve_a_search(indexed, vidx_home):
    """Connections that say nothing hold no worker, with the default settings: a new search is answered."""
    app, root = indexed
    settings = load_settings(Home(vidx_home)).serve
    assert (settings.max_connections, settings.timeout) == (64, 30.0)
    before = threading.active_count()
    with serving(app, max_connections=settings.max_connections, timeout=settings.timeout) as httpd:
        with ExitStack() as idle:
            for _ in range(300):
                idle.enter_context(connect(httpd))
            response, body = get(httpd, "/api/search?q=red&k=1", timeout=10)
            assert response.status == 200
            assert json.loads(body)["results"][0]["path"] == str(root / "red.mp4")
            assert (worker_threads(), threading.active_count() - before) == (1, 2)  # one worker, one accepting loop


def test_a_silent_connection_is_closed_after_the_timeout(indexed):
    app, _ = indexed
    with serving(app, timeout=1) as httpd, connect(httpd) as silent, connect(httpd) as halfway:
        halfway.sendall(b"GET /api/search?q=red HTTP/1.0\r\n")  # then nothing: the headers never end
        assert silent.recv(1) == b""  # closed by the server, well before this client's own 10 s
        assert halfway.recv(1) == b""
    assert "Request timed out: TimeoutError('timed out')" in httpd.log


def test_past_the_bound_a_request_waits_for_a_free_worker(indexed, vidx_home):
    app, root = indexed
    with serving(app, max_connections=2) as httpd, ExitStack() as stack:
        slow = [stack.enter_context(connect(httpd)) for _ in range(2)]
        for sock in slow:
            sock.sendall(b"GET /api/search?q=red&k=1 HTTP/1.0\r\n")  # each holds a worker, reading headers
        for _ in range(100):
            if worker_threads() == 2:
                break
            threading.Event().wait(0.1)
        assert worker_threads() == 2
        waiting = stack.enter_context(connect(httpd))
        waiting.sendall(b"GET /api/search?q=blue&k=1 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        waiting.settimeout(1)
        with pytest.raises(TimeoutError):
            waiting.recv(1)
        slow[0].sendall(b"Host: 127.0.0.1\r\n\r\n")
        status, _, body = read_all(slow[0])
        assert status == "HTTP/1.0 200 OK" and json.loads(body)["results"][0]["path"] == str(root / "red.mp4")
        waiting.settimeout(10)
        status, _, body = read_all(waiting)
        assert status == "HTTP/1.0 200 OK" and json.loads(body)["results"][0]["path"] == str(root / "blue.gif")
        assert worker_threads() == 2


def test_when_the_waiting_room_is_full_the_oldest_silent_connection_leaves(indexed):
    app, _ = indexed
    with serving(app, max_connections=1) as httpd, ExitStack() as stack:
        # One worker: room for WAITING_PER_WORKER silent connections and one more; the next one pushes the first out.
        idle = [stack.enter_context(connect(httpd)) for _ in range(WAITING_PER_WORKER + 2)]
        assert idle[0].recv(1) == b""
        assert get(httpd, "/api/search?q=red&k=1", timeout=10)[0].status == 200
        idle[-1].settimeout(0.5)
        with pytest.raises(TimeoutError):
            idle[-1].recv(1)  # still open, still waiting


def test_port_in_use_is_one_line(run, imported):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", port, check=False)
    assert (result.exit_code, result.output) == (
        1,
        f"Error: Port {port} is in use on 127.0.0.1: try another with --port (0 picks a free one)\n",
    )
    result = run("serve", "--host", "203.0.113.7", "--port", "0", check=False)  # TEST-NET-3: never this machine's
    assert (result.exit_code, result.output) == (
        1,
        "Error: Cannot listen on 203.0.113.7:0: Cannot assign requested address\n",
    )


def test_serve_settings(run, monkeypatch):
    monkeypatch.setenv("VIDX_SERVE_TOKEN", "a-secret-of-twenty-chars")
    data = as_json(run("config", "--json"))["settings"]
    assert data["serve.max_connections"] == {"value": 64, "from": "default"}
    assert data["serve.timeout"] == {"value": 30.0, "from": "default"}
    assert "a-secret-of-twenty-chars" not in run("config").output
    bad = run("--set", "serve.max_connections=0", "config", check=False)
    assert (bad.exit_code, bad.output) == (
        2,
        "Error: Invalid value for serve.max_connections (flag): must be >= 1, got 0\n",
    )
