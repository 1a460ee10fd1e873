"""The web app in a thread for one test, stopped without leaving a thread behind; plain HTTP clients to loopback."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import threading
from contextlib import contextmanager
from pathlib import Path

import vidx
from vidx.config import Home
from vidx.store import Catalog
from vidx.web.server import App, Server


class Log(list):
    """The server's log lines, kept for the test to read."""

    def __call__(self, line: str) -> None:
        self.append(line)


def index_colours(run, library, tmp_path: Path) -> Path:
    """The colour videos indexed under tmp_path/lib, with a symlink that leaves the root."""
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root)
    os.symlink(library["brightening"], root / "outside.mp4")
    run("index", root, "--quiet")
    return root


def make_app(home: Path) -> App:
    return App(vidx.Library(home))


@contextmanager
def serving(app: App, host: str = "127.0.0.1", **options):
    """A Server on host, port 0, answering from a thread; every thread it started is gone afterwards."""
    httpd = Server((host, 0), app, log=Log(), **options)
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
        assert not thread.is_alive()
        assert [t.name for t in threading.enumerate() if t.name.startswith("vidx-serve")] == []


def request(server, path: str, headers: dict | None = None, method: str = "GET", timeout: float = 30):
    """(response, body) from a Server or a port, always through 127.0.0.1 whatever Host the headers name."""
    port = server if isinstance(server, int) else server.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def connect(httpd, timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", httpd.server_address[1]), timeout=timeout)


def read_all(sock: socket.socket) -> tuple[str, dict[str, str], bytes]:
    """Read a whole answer to its end: (status line, headers, body exactly as sent)."""
    chunks = []
    while chunk := sock.recv(1 << 16):
        chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status, dict(line.split(": ", 1) for line in lines), body


def raw(httpd, data: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send bytes as they are (no Host unless they carry one) and read the answer to its end."""
    with connect(httpd) as sock:
        sock.sendall(data)
        return read_all(sock)


def video_id(home: Path, path: Path) -> int:
    return Catalog(Home(home)).video(str(path)).id


def clip_id(home: Path) -> int:
    return Catalog(Home(home)).db.execute("select id from clips order by id limit 1").fetchone()[0]
