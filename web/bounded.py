"""A TCP server with a fixed number of worker threads, where connections that have sent nothing wait without one.

ThreadingHTTPServer gives each connection a thread at once, so a few hundred silent connections hold a few
hundred threads. Here one loop accepts connections and watches them; a connection gets a worker only once it
has sent something, and one silent for `timeout` seconds is closed. Workers hold the same timeout on every read
and write. The waiting room is bounded too: when it is full the oldest silent connection leaves, and when
every waiting connection has already spoken, new ones wait in the kernel's backlog until a worker frees up.
"""

from __future__ import annotations

import selectors
import socket
import socketserver
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

WAITING_PER_WORKER = 16


class BoundedServer(socketserver.TCPServer):
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler, max_connections: int = 64, timeout: float = 30.0):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.idle_timeout = timeout
        self.max_connections = max_connections
        self.max_waiting = WAITING_PER_WORKER * max_connections
        self._waiting: dict[socket.socket, tuple[float, object]] = {}  # insertion order is arrival order
        self._handed: set[socket.socket] = set()  # given to the workers, queued or being answered
        self._lock = threading.Lock()
        self._workers = ThreadPoolExecutor(max_connections, thread_name_prefix="vidx-serve")
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()
        super().__init__(address, handler)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._stopped.clear()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self._wake_r, selectors.EVENT_READ)
                listening = False
                while not self._stop.is_set():
                    with self._lock:
                        room = len(self._waiting) + len(self._handed) < self.max_waiting + self.max_connections
                    if room or self._waiting:
                        if not listening:
                            selector.register(self.socket, selectors.EVENT_READ)
                            listening = True
                    elif listening:  # all full of connections that spoke: let new ones wait in the backlog
                        selector.unregister(self.socket)
                        listening = False
                    for key, _ in selector.select(self._next_deadline(poll_interval)):
                        if key.fileobj is self._wake_r:
                            self._wake_r.recv(4096)
                        elif key.fileobj is self.socket:
                            self._accept(selector)
                        else:
                            sock = key.fileobj
                            assert isinstance(sock, socket.socket)  # every other registration is a waiting socket
                            selector.unregister(sock)
                            self._hand_over(sock)
                    self._expire(selector)
        finally:
            for sock in list(self._waiting):
                self._close_waiting(sock)
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop serve_forever (from another thread) and wait until it has returned."""
        self._stop.set()
        self._wake()
        self._stopped.wait()

    def server_close(self) -> None:
        """Stop, end the connections being answered, and wait for the workers, so no thread outlives the server."""
        self._stop.set()
        self._wake()
        self._stopped.wait()
        with self._lock:
            for sock in self._handed:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # a video streaming to a player ends now, not at its end
                except OSError:
                    pass
        self._workers.shutdown(wait=True, cancel_futures=True)
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()

    def _next_deadline(self, poll_interval: float) -> float:
        if not self._waiting:
            return poll_interval
        deadline, _ = next(iter(self._waiting.values()))
        return max(0.0, min(poll_interval, deadline - time.monotonic()))

    def _accept(self, selector: selectors.BaseSelector) -> None:
        try:
            sock, client = self.socket.accept()
        except OSError:  # the peer left already, or out of file descriptors: make room and try next time
            if self._waiting:
                self._close_waiting(next(iter(self._waiting)), selector)
            else:
                time.sleep(0.05)  # every descriptor is with a worker: do not spin until one is back
            return
        with self._lock:
            full = len(self._waiting) + len(self._handed) >= self.max_waiting + self.max_connections
        if full and self._waiting:
            self._close_waiting(next(iter(self._waiting)), selector)
        self._waiting[sock] = (time.monotonic() + self.idle_timeout, client)
        selector.register(sock, selectors.EVENT_READ)

    def _expire(self, selector: selectors.BaseSelector) -> None:
        now = time.monotonic()
        while self._waiting:
            sock, (deadline, _) = next(iter(self._waiting.items()))
            if deadline > now:
                return
            self._close_waiting(sock, selector)

    def _close_waiting(self, sock: socket.socket, selector: selectors.BaseSelector | None = None) -> None:
        del self._waiting[sock]
        if selector is not None:
            selector.unregister(sock)
        sock.close()

    def _hand_over(self, sock: socket.socket) -> None:
        _, client = self._waiting.pop(sock)
        with self._lock:
            self._handed.add(sock)
        try:
            future = self._workers.submit(self._answer, sock, client)
        except RuntimeError:  # the pool is shutting down
            self._release(sock)
            return
        future.add_done_callback(lambda f: self._cancelled(f, sock))

    def _answer(self, sock: socket.socket, client) -> None:
        try:
            if not self._stop.is_set():
                self.finish_request(sock, client)
        except Exception:
            if not self._stop.is_set():
                self.handle_error(sock, client)
        finally:
            self._release(sock)

    def _cancelled(self, future: Future, sock: socket.socket) -> None:
        if future.cancelled():  # server_close dropped it from the queue: _answer never ran
            self._release(sock)

    def _release(self, sock: socket.socket) -> None:
        self.shutdown_request(sock)
        with self._lock:
            self._handed.discard(sock)
        self._wake()  # serve_forever may be waiting for room to accept again

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:  # the pipe is full (a wake-up is pending anyway) or already closed
            pass
