"""Child processes that end when their parent ends, however it ends (kill -9 included)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

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
