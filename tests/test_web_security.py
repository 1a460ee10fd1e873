"""`vidx serve` answers only who belongs: Host check (DNS rebinding), token off loopback, headers, methods.

Every request goes to 127.0.0.1; a server bound to 0.0.0.0 is reached there with a Host naming 0.0.0.0.
"""

import base64
import hashlib
import os
import re
import signal
import subprocess
import sys

import pytest
from serving import clip_id, index_colours, make_app, raw, request, serving, video_id

from vidx.web.guard import Guard

FORGED = [  # (Host header, the name the refusal gives)
    ("attacker.example:{port}", "attacker.example"),
    ("attacker.example", "attacker.example"),
    ("127.0.0.1.attacker.example:{port}", "127.0.0.1.attacker.example"),
    ("LocalHost.Attacker.Example", "localhost.attacker.example"),
    ("[::2]:{port}", "::2"),
]
UNAUTHORIZED = b"token missing or wrong: open the link vidx serve printed (it ends in ?token=...)\n"
TOKEN = "a-fixed-token-for-tests-0123456789"


@pytest.fixture
def indexed(run, imported, library, tmp_path, vidx_home):
    root = index_colours(run, library, tmp_path)
    return make_app(vidx_home), root


def routes(home, root) -> list[str]:
    """Every kind of route, with ids that exist and ids that do not."""
    return [
        "/",
        "/?q=red",
        "/api/search?q=red&k=2",
        f"/media/{video_id(home, root / 'red.mp4')}",
        f"/thumb/{clip_id(home)}.jpg",
        "/media/999999",
        "/thumb/999999.jpg",
        "/nowhere",
    ]


def test_a_forged_host_is_refused_on_every_route(indexed, vidx_home):
    app, root = indexed
    with serving(app) as httpd:
        port = httpd.server_address[1]
        for forged, name in FORGED:
            host = forged.format(port=port)
            expected = f"Host {name} is not allowed: start vidx serve with --allow-host {name} to allow it\n"
            for path in routes(vidx_home, root):
                for method in ("GET", "HEAD", "POST"):
                    response, body = request(httpd, path, {"Host": host}, method)
                    assert (response.status, body) == (403, b"" if method == "HEAD" else expected.encode()), (
                        method,
                        path,
                        host,
                    )
        for bad in (b"", b"Host: \r\n", b"Host: 127.0.0.1:80:80\r\n", b"Host: [::1\r\n", b"Host: a b\r\n"):
            status, _, body = raw(httpd, b"GET /api/search?q=red HTTP/1.0\r\n" + bad + b"\r\n")
            assert (status, body) == ("HTTP/1.0 403 Forbidden", b"a Host header naming this server is required\n")


def test_local_names_on_any_port_and_allowed_names_are_answered(indexed):
    app, _ = indexed
    with serving(app, guard=Guard.serving("127.0.0.1", ("vidx.lan", "[fd00::5]"))) as httpd:
        port = httpd.server_address[1]
        for host in (
            "127.0.0.1",
            f"127.0.0.1:{port}",
            "localhost:1",
            "LocalHost",
            "[::1]:8080",
            "vidx.lan",
            "VIDX.LAN:443",
        ):
            assert request(httpd, "/api/search?q=red&k=1", {"Host": host})[0].status == 200, host
        assert request(httpd, "/api/search?q=red&k=1", {"Host": "[fd00::5]:80"})[0].status == 200
        assert request(httpd, "/api/search?q=red&k=1", {"Host": "vidx.lan.attacker.example"})[0].status == 403


def test_off_loopback_every_route_needs_the_token(indexed, vidx_home):
    app, root = indexed
    with serving(app, host="0.0.0.0") as httpd:
        token, port = httpd.guard.token, httpd.server_address[1]
        assert len(token) == 43  # secrets.token_urlsafe(32)
        host = {"Host": f"0.0.0.0:{port}"}
        cookie = f"vidx-token-{port}"
        for path in routes(vidx_home, root):
            sep = "&" if "?" in path else "?"
            for attempt, headers in [
                (path, host),
                (f"{path}{sep}token=wrong", host),
                (f"{path}{sep}token={token[:-1]}", host),
                (path, {**host, "Cookie": f"vidx-token-{port + 1}={token}"}),  # another server's cookie
                (path, {**host, "Cookie": f"{cookie}={token}x"}),
                (path, {**host, "Authorization": f"Bearer {token[1:]}"}),
            ]:
                response, body = request(httpd, attempt, headers)
                # The same line whether the id exists or not: nothing is routed before the token.
                assert (response.status, body) == (401, UNAUTHORIZED), attempt
                assert response.getheader("WWW-Authenticate") == 'Bearer realm="vidx"'
        media = f"/media/{video_id(vidx_home, root / 'red.mp4')}"
        for path, status in [("/", 200), ("/api/search?q=red&k=1", 200), (media, 200), ("/media/999999", 404)]:
            sep = "&" if "?" in path else "?"
            assert request(httpd, f"{path}{sep}token={token}", host)[0].status == status
            assert request(httpd, path, {**host, "Cookie": f"other=1; {cookie}={token}"})[0].status == status
            assert request(httpd, path, {**host, "Authorization": f"Bearer {token}"})[0].status == status
        first, _ = request(httpd, f"/?token={token}", host)
        assert first.getheader("Set-Cookie") == f"{cookie}={token}; Path=/; HttpOnly; SameSite=Strict"
        later, _ = request(httpd, "/?q=red", {**host, "Cookie": f"{cookie}={token}"})
        assert later.getheader("Set-Cookie") is None
        forged, _ = request(httpd, f"/api/search?q=red&token={token}", {"Host": "attacker.example"})
        assert forged.status == 403
    assert "GET /?token=... 200" in httpd.log
    assert [line for line in httpd.log if token in line] == []


def test_who_needs_a_token():
    assert Guard.serving("127.0.0.1").token is None
    assert Guard.serving("::1").token is None
    assert Guard.serving("localhost").token is None
    first, second = Guard.serving("0.0.0.0").token, Guard.serving("0.0.0.0").token
    assert first != second and len(first) == 43
    assert Guard.serving("192.168.1.5", no_token=True).token is None
    assert Guard.serving("127.0.0.1", token=TOKEN).token == TOKEN  # asked for: required on loopback too


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--token", "short"], "Error: --token must be at least 16 characters long, got 5"),
        (
            ["--token", "sixteen chars and a space"],
            "Error: --token may hold only letters, digits and . _ ~ - (it travels in URLs and cookies)",
        ),
        (["--token", TOKEN, "--no-token"], "Error: --token and --no-token do not go together: pick one"),
        (["--allow-host", "http://vidx.lan/"], "Error: --allow-host 'http://vidx.lan/' is not a host name or address"),
        (["--port", "70000"], None),
    ],
)
def test_serve_option_errors_are_one_line(run, args, message):
    result = run("serve", "--host", "0.0.0.0", *args, check=False)
    assert result.exit_code == 2
    if message is None:  # click's own range check
        assert "Invalid value for '--port': 70000 is not in the range 0<=x<=65535." in result.output
    else:
        assert result.output == message + "\n"


def test_every_response_carries_the_security_headers(indexed, vidx_home):
    app, root = indexed
    with serving(app) as httpd:
        _, page = request(httpd, "/?q=red")
        style = re.search(rb"<style>(.*?)</style>", page, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(style).digest()).decode()
        assert re.findall(rb"<script[^>]*>", page) == [b'<script src="/static/vidx.js">'], "no inline script"
        expected = {
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'self'; style-src 'self' 'sha256-{digest}'; img-src 'self' data:; "
                "media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
            ),
            "Referrer-Policy": "no-referrer",
        }
        media = f"/media/{video_id(vidx_home, root / 'red.mp4')}"
        answers = [
            request(httpd, path, headers, method)[0]
            for path, headers, method in [
                ("/?q=red", {}, "GET"),
                ("/api/search?q=red", {}, "GET"),
                ("/api/search?q=red&k=many", {}, "GET"),
                (f"/thumb/{clip_id(vidx_home)}.jpg", {}, "GET"),
                (media, {}, "GET"),
                (media, {"Range": "bytes=0-9"}, "GET"),
                (media, {"Range": "bytes=99999999-"}, "GET"),
                (media, {}, "HEAD"),
                ("/nowhere", {}, "GET"),
                ("/", {"Host": "attacker.example"}, "GET"),
                ("/", {}, "DELETE"),
            ]
        ]
        assert sorted({a.status for a in answers}) == [200, 206, 400, 403, 404, 405, 416]
        for answer in answers:
            assert {name: answer.getheader(name) for name in expected} == expected, answer.status
        # An error http.server sends itself (too many header lines) carries them too.
        status, headers, _ = raw(httpd, b"GET / HTTP/1.0\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n")
        assert status == "HTTP/1.0 431 Too many headers"
        assert {name: headers[name] for name in expected} == expected
    with serving(app, host="0.0.0.0") as httpd:
        refused, _ = request(httpd, "/", {"Host": f"0.0.0.0:{httpd.server_address[1]}"})
        assert refused.status == 401
        assert {name: refused.getheader(name) for name in expected} == expected


def test_other_methods_get_405(indexed):
    app, _ = indexed
    with serving(app) as httpd:
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW"):
            response, body = request(httpd, "/api/search?q=red", method=method)
            assert (response.status, body, response.getheader("Allow")) == (
                405,
                f"{method} is not allowed: use GET or HEAD\n".encode(),
                "GET, HEAD",
            )


def serve(*args, env=None):
    return subprocess.Popen(
        [sys.executable, "-P", "-u", "-c", "from vidx.cli import main; main()", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def stop(proc) -> tuple[str, str]:
    """Ctrl-C, as a user stops it; what it printed after the lines already read."""
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.wait() == 0
    return out, err


def status(port: int, path: str, host: str) -> int:
    return request(port, path, {"Host": host})[0].status


def test_serve_off_loopback_prints_the_link_with_the_token(run, imported, library):
    run("index", library["root"] / "colours", "--quiet")
    proc = serve("--host", "0.0.0.0", env={"VIDX_SERVE_TOKEN": TOKEN})
    try:
        line = proc.stdout.readline().rstrip("\n")
        match = re.fullmatch(
            rf"Serving http://0\.0\.0\.0:(\d+)/\?token={TOKEN} "
            r"\(reachable from the network; the token in this link is required\)\. Ctrl-C stops\.",
            line,
        )
        assert match, line
        assert proc.stdout.readline() == (
            "Other machines open it by this machine's name or address: allow each with --allow-host NAME.\n"
        )
        port = int(match.group(1))
        assert status(port, "/api/search?q=red", f"0.0.0.0:{port}") == 401
        assert status(port, f"/api/search?q=red&token={TOKEN}", f"0.0.0.0:{port}") == 200
        assert status(port, f"/api/search?q=red&token={TOKEN}", "vidx.lan") == 403
    finally:
        out, err = stop(proc)
    assert out == "Stopped.\n"
    assert TOKEN not in err and "Traceback" not in err
    assert err.splitlines()[-1].endswith(" GET /api/search?q=red&token=... 403")


def test_serve_without_a_token_only_when_asked_and_with_a_warning(run, imported, library):
    run("index", library["root"] / "colours", "--quiet")
    proc = serve("--host", "0.0.0.0", "--no-token", "--allow-host", "vidx.lan")
    try:
        line = proc.stdout.readline().rstrip("\n")
        match = re.fullmatch(
            r"Serving http://0\.0\.0\.0:(\d+)/ \(reachable from the network, without a token\)\. Ctrl-C stops\.", line
        )
        assert match, line
        port = int(match.group(1))
        warning = f"Warning: --no-token: anyone who can reach port {port} of this machine sees every video.\n"
        assert proc.stderr.readline() == warning
        assert status(port, "/api/search?q=red", f"vidx.lan:{port}") == 200
        assert status(port, "/api/search?q=red", "other.lan") == 403
    finally:
        out, _ = stop(proc)
    assert out == "Stopped.\n"
