"""`vidx serve`: a small local web app over the read path (standard library http.server, no framework).

Videos and thumbnails are addressed by database id, never by path, so no URL can name a file the index
does not hold; a video that resolves outside its root (a symlink out of the library) is not served either.
Every request passes the Guard (Host, then token) before any route sees it.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import mimetypes
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from vidx import SearchOptions
from vidx.errors import VidxError
from vidx.media.export import ExportError, export_name

from .bounded import BoundedServer
from .cards import Results
from .form import FieldError, SearchForm, read_form
from .guard import Guard, parse_cookies, url_host
from .page import SCRIPT, STYLE, AppPage, Overview, app_page

_MEDIA = re.compile(r"^/media/(\d+)$")
_THUMB = re.compile(r"^/thumb/(\d+)\.jpg$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_SECRET = re.compile(r"(?<=[?&]token=)[^&]*")
CHUNK = 1 << 16
EMPTY_QUERY = "q is empty: say what you remember seeing, e.g. /api/search?q=car+drifting"

# The page's only style is its inline <style> block, allowed by its hash; its only script is /static/vidx.js.
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'self'; style-src 'self' 'sha256-{_STYLE_HASH}'; img-src 'self' data:; "
        "media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}


class App:
    """What the handler needs of a `vidx.Library`: search, thumbnails and the files of indexed videos."""

    def __init__(self, library):
        self.library = library
        self.default_k = library.settings.search.k

    def results(self, form: SearchForm) -> Results:
        """The page of hits the form asks for (from its offset), whether more follow, and how good they are."""
        wanted = form.offset + form.k
        # From the first hit on, one more than asked: the best score rates every page, the extra one says "more".
        hits = self.library.search(form.query, options=SearchOptions(wanted + 1, **form.filters, mode=form.mode))
        best = hits[0].score if hits else None
        typical = self.library.typical_score(form.query)
        by_words = bool(hits) and hits[0].said is not None
        page = hits[form.offset : wanted]
        return Results(form.query, page, best, typical, form.offset, len(hits) > wanted, hits.deleted, by_words)

    def overview(self) -> Overview:
        status = self.library.status()
        return Overview(status["videos"], status["seconds"], status["last_run_end"])

    def export(self, video_id: int, start: float, end: float, folder: str) -> Path:
        """The span written as MP4 into `folder`; ExportError's `reason` says what was wrong, naming no path."""
        path = self.media_path(video_id)
        if path is None:
            raise ExportError(Path(str(video_id)), f"no indexed video {video_id}")
        name = export_name(0, path, start, end).split("-", 1)[1]
        return self.library.export(path, start, end, Path(folder) / name).path

    def thumbnail(self, clip_id: int) -> bytes | None:
        return self.library.thumbnail(clip_id)

    def media_path(self, video_id: int) -> str | None:
        return self.library.media_path(video_id)


def link(host: str, port: int, token: str | None) -> str:
    """The URL to open: with the token in it when one is required (the page then keeps it in a cookie)."""
    return f"http://{url_host(host)}:{port}/" + (f"?token={token}" if token else "")


class Handler(BaseHTTPRequestHandler):
    app: App
    guard: Guard
    server: Server  # the one server class that makes handlers, so its log is there
    server_version = "vidx"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # One quiet line per request on stderr, the token blanked out.
        self.server.log(f"{self.command} {_SECRET.sub('...', self.path)} {getattr(code, 'value', code)}")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002  errors http.server reports (bad request line, timeout)
        self.server.log(format % args)

    def end_headers(self):
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def __getattr__(self, name: str):
        # http.server answers a method without a do_<METHOD> with 501; every method but GET and HEAD gets 405.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def do_GET(self):  # noqa: N802
        self._route(body=True)

    def do_HEAD(self):  # noqa: N802
        self._route(body=False)

    def _not_allowed(self):
        self.with_body = True
        if self._refused(parse_qs(urlsplit(self.path).query)):
            return
        reason = f"{self.command} is not allowed: use GET or HEAD\n"
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, reason, {"Allow": "GET, HEAD"})

    def _refused(self, params) -> bool:
        """Answer 403 or 401 when the Guard says no; True if it did."""
        bearer = self.headers.get("Authorization", "")
        token = params.get("token", [bearer[7:] if bearer.startswith("Bearer ") else None])[0]
        refusal = self.guard.refusal(
            self.headers.get("Host"), token, parse_cookies(self.headers.get("Cookie")), self.server.server_address[1]
        )
        if refusal is None:
            return False
        extra = {"WWW-Authenticate": 'Bearer realm="vidx"'} if refusal.status == HTTPStatus.UNAUTHORIZED else {}
        self._send(HTTPStatus(refusal.status), refusal.reason + "\n", extra)
        return True

    def _route(self, body: bool):
        self.with_body = body
        parts = urlsplit(self.path)
        params = parse_qs(parts.query)
        if self._refused(params):
            return
        route = parts.path
        try:
            if route == "/":
                return self._page(params)
            if route == "/api/search":
                return self._api(params)
            if route == "/api/export":
                return self._export(params)
            if route == "/static/vidx.js":
                return self._send(HTTPStatus.OK, SCRIPT, {}, "text/javascript; charset=utf-8")
            if match := _THUMB.match(route):
                return self._thumb(int(match.group(1)))
            if match := _MEDIA.match(route):
                return self._media(int(match.group(1)))
        except ExportError as e:
            return self._send(HTTPStatus.BAD_REQUEST, json.dumps({"error": e.reason}).encode(), {}, "application/json")
        except (ValueError, VidxError) as e:
            return self._send(HTTPStatus.BAD_REQUEST, json.dumps({"error": str(e)}).encode(), {}, "application/json")
        self._send(HTTPStatus.NOT_FOUND, "not found\n")

    def _export(self, params):
        try:
            video_id = int(params.get("video", [""])[0])
            start, end = (float(params.get(name, [""])[0]) for name in ("start", "end"))
        except ValueError:
            raise ValueError("give video (an id), start and end (seconds)") from None
        with tempfile.TemporaryDirectory(prefix="vidx-export-") as folder:
            written = self.app.export(video_id, start, end, folder)
            data = written.read_bytes()
        disposition = f'attachment; filename="{re.sub(r"[^A-Za-z0-9._-]", "_", written.name)}"'
        self._send(HTTPStatus.OK, data, {"Content-Disposition": disposition}, "video/mp4")

    def _api(self, params):
        form, _ = read_form(params, self.app.default_k)
        problems = form.errors or ((FieldError("q", EMPTY_QUERY, EMPTY_QUERY),) if not form.query.strip() else ())
        if problems:
            answer: dict[str, object] = {"error": problems[0].api, "field": problems[0].field}
            return self._send(HTTPStatus.BAD_REQUEST, json.dumps(answer).encode(), {}, "application/json")
        results = self.app.results(form)
        answer = {"query": form.query, "results": [h.as_json() for h in results.hits], "deleted_files": results.deleted}
        if results.typical is not None:  # a text query's always is; only a query by example goes unmeasured
            answer.update(results.typical.as_json(results.best), good_match=results.good_match)
        answer.update(offset=results.offset, k=form.k, more=results.more)
        self._send(HTTPStatus.OK, json.dumps(answer, ensure_ascii=False).encode(), {}, "application/json")

    def _page(self, params):
        form, given = read_form(params, self.app.default_k)
        page = AppPage(form, given, errors=form.errors)
        if form.query.strip() and not form.errors:
            try:
                page = AppPage(form, given, results=self.app.results(form))
            except VidxError as e:  # what the form could not check (a date and time after another, same day)
                page = AppPage(form, given, errors=(FieldError("q", str(e), str(e)),))
        if page.results is None:
            page = AppPage(form, given, overview=self.app.overview(), errors=page.errors)
        headers = {}
        if self.guard.token is not None and self.guard.accepts(params.get("token", [None])[0]):
            # The first visit brings the token in the URL; later requests (form, thumbnails, player) carry it here.
            name = self.guard.cookie_name(self.server.server_address[1])
            headers["Set-Cookie"] = f"{name}={self.guard.token}; Path=/; HttpOnly; SameSite=Strict"
        status = HTTPStatus.BAD_REQUEST if page.errors else HTTPStatus.OK
        self._send(status, app_page(page).encode(), headers, "text/html; charset=utf-8")

    def _thumb(self, clip_id: int):
        data = self.app.thumbnail(clip_id)
        if data is None:
            return self._send(HTTPStatus.NOT_FOUND, "not found\n")
        self._send(HTTPStatus.OK, data, {}, "image/jpeg")

    def _media(self, video_id: int):
        path = self.app.media_path(video_id)
        if path is None:
            return self._send(HTTPStatus.NOT_FOUND, "not found\n")
        size = os.path.getsize(path)
        start, end = 0, size - 1
        status = HTTPStatus.OK
        header = self.headers.get("Range")
        if header:
            match = _RANGE.match(header.strip())
            if not match or not (match.group(1) or match.group(2)):
                return self._unsatisfiable(size)
            first, last = match.groups()
            if first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:
                start = max(0, size - int(last))
            if start > end or start >= size:
                return self._unsatisfiable(size)
            status = HTTPStatus.PARTIAL_CONTENT
        self.send_response(status)
        self.send_header("Content-Type", mimetypes.guess_type(path)[0] or "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if not self.with_body:
            return
        with open(path, "rb") as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    break
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the player moved on: it seeks by dropping the connection
                left -= len(chunk)

    def _unsatisfiable(self, size: int):
        self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
        self.send_header("Content-Range", f"bytes */{size}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, body: bytes | str, headers=None, content_type="text/plain; charset=utf-8"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.with_body:
            self.wfile.write(data)


class Server(BoundedServer):
    """The web app on `address`: at most `max_connections` answered at once, each silent `timeout` s at most."""

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        log: Callable[[str], None] = lambda line: None,
        guard: Guard | None = None,
        max_connections: int = 64,
        timeout: float = 30.0,
    ):
        self.log = log
        self.guard = guard or Guard.serving(address[0])
        handler = type("BoundHandler", (Handler,), {"app": app, "guard": self.guard, "timeout": timeout})
        super().__init__(address, handler, max_connections, timeout)

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            # A browser drops connections all the time (a favicon, a thumbnail scrolled past): one line, no traceback.
            self.log(f"{client_address[0]} closed the connection before the answer was sent")
            return
        # A bug in a handler: its traceback goes to the server's log, the connection closes, the server goes on.
        self.log(f"error answering {client_address[0]}: {traceback.format_exc()}")


def listen(host: str, port: int, app: App, **options) -> Server:
    """A Server on host:port, or a VidxError saying in one line why it cannot listen there."""
    try:
        return Server((host, port), app, **options)
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise VidxError(f"Port {port} is in use on {host}: try another with --port (0 picks a free one)") from None
        raise VidxError(f"Cannot listen on {url_host(host)}:{port}: {e.strerror or e}") from None
