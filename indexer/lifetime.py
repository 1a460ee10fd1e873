"""Child processes that end when their parent ends, however it ends (kill -9 included): `start_child` is how
vidx starts every one of them (the decoders, the speech process).

They are plain `python -c` processes talking over two pipes, which leave nothing in /dev/shm, not
multiprocessing's spawn: that would run the caller's own `__main__` script again in every child and start a
resource tracker.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, kernel: bool = True) -> None:
    """Have this process killed when `parent` dies: by the kernel on Linux (`kernel`: the parent started it
    from its main thread, whose end the kernel watches), and always by a thread that watches the parent."""
    if kernel and sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # The parent may have died before the request took effect: the child then belongs to another process.
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ctrl-C reaches every process of the terminal's group. A child started while SIGINT is ignored keeps
    ignoring it (Python leaves an inherited SIG_IGN alone), so it prints no KeyboardInterrupt of its own: the
    parent stops and kills it on the way out. SIGINT is blocked meanwhile, so a Ctrl-C in that moment waits for
    the parent's own handler instead of being lost."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread sets handlers, and only it ever receives KeyboardInterrupt
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


# The child's whole program. `python -c` puts the working folder first on sys.path: run from a clone, its vidx/
# folder (the top package alone) would hide the installed vidx, so it comes off before the first vidx import
# (with -P or PYTHONSAFEPATH it is not there). The child is tied to the parent before anything heavy is imported,
# so a parent killed even now takes it along at once.
_PROGRAM = (
    "import sys\n"
    "if sys.path[:1] == ['']: del sys.path[0]\n"
    "from vidx.indexer.lifetime import die_with_parent; die_with_parent(int(sys.argv[1]), sys.argv[2] == '1')\n"
    "from {module} import serve; serve(*map(int, sys.argv[3:]))"
)

T = TypeVar("T")


@dataclass
class Child(Generic[T]):
    """A child from `start_child`: messages go to it through `jobs` and come back through `events`. `held` is
    what the parent handed it and has not seen finished, the first in hand; `last`, when it last showed progress."""

    process: subprocess.Popen
    jobs: Connection
    events: Connection
    held: deque[T] = field(default_factory=deque)
    last: float = field(default_factory=time.monotonic)

    def send(self, message: object) -> None:
        try:
            self.jobs.send(message)
        except BrokenPipeError:
            pass  # the child died (on the item in hand): its events' end-of-file says so, and its items move on

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.jobs.close()
        self.events.close()


def start_child(module: str, first_message: object) -> Child[Any]:
    """A child running `module`'s `serve(jobs_fd, events_fd)`, which dies with this process and has been sent
    `first_message`."""
    jobs_out, jobs_in = os.pipe()
    events_out, events_in = os.pipe()
    # The kernel's death signal follows the thread that starts the child: asked for only from the main thread.
    kernel = threading.current_thread() is threading.main_thread()
    program = _PROGRAM.format(module=module)
    with sigint_ignored():
        process = subprocess.Popen(
            [sys.executable, "-c", program, str(os.getpid()), str(int(kernel)), str(jobs_out), str(events_in)],
            pass_fds=(jobs_out, events_in),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            # FFmpeg, OpenCV, CTranslate2 and ONNX Runtime log on their own, about every damaged file; what the
            # child sends back already says what failed, once.
            stderr=subprocess.DEVNULL,
        )
    # Only the child holds these ends now, so its death reads as end-of-file here.
    os.close(jobs_out)
    os.close(events_in)
    child: Child[Any] = Child(process, Connection(jobs_in, readable=False), Connection(events_out, writable=False))
    child.send(first_message)
    return child
