"""Helpers for tests that run vidx in a process of its own and check what processes it leaves behind: a mark
every process it starts inherits, and its process group."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MARK = "VIDX_TEST_MARK"


def vidx_code(*args: object, prelude: str = "") -> str:
    """`python -c` code that runs the real vidx CLI with `args`; `prelude` runs first (e.g. to block imports)."""
    return f"{prelude}\nimport sys\nfrom vidx.cli import main\nsys.argv = ['vidx', *{[str(a) for a in args]!r}]\nmain()"


def start_vidx(*args: object, env: dict[str, str] | None = None, **popen: Any) -> subprocess.Popen:
    """The real vidx CLI with `args` in a process of its own, its environment this one's with `env` over it; its
    output is dropped unless `popen` (Popen's own arguments, start_new_session=True and the like) says otherwise."""
    popen = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, **popen}
    return subprocess.Popen([sys.executable, "-c", vidx_code(*args)], env={**os.environ, **(env or {})}, **popen)


def living_in_group(pgid: int) -> list[str]:
    """The processes of a process group that still run (zombies waiting for a reaper do not count)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended while we looked
        state, _, group = text.rpartition(")")[2].split()[:3]
        if int(group) == pgid and state != "Z":
            found.append(text.split(")")[0] + ")")
    return found


def new_mark() -> str:
    """A value for MARK: put in the environment of the process under test, every process it starts inherits it."""
    return uuid.uuid4().hex


@contextlib.contextmanager
def marking() -> Iterator[str]:
    """A new mark in this process's environment for the block, so every process it starts carries it."""
    mark = new_mark()
    os.environ[MARK] = mark
    try:
        yield mark
    finally:
        del os.environ[MARK]


def marked(mark: str) -> dict[int, str]:
    """pid -> command of each live process (this one aside, zombies waiting for a reaper too) carrying `mark`."""
    found = {}
    needle = f"{MARK}={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0") and _state(entry) != "Z":
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found[int(entry.name)] = command[:120]
        except OSError:
            continue  # ended while we looked
    return found


def _state(entry: Path) -> str:
    return (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]


def wait_for(predicate, seconds: float = 120, step: float = 0.05) -> bool:
    """Whether `predicate()` came true within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def wait_until_gone(mark: str, seconds: float = 60) -> dict[int, str]:
    """The marked processes still alive after `seconds` (none, when all went)."""
    wait_for(lambda: not marked(mark), seconds, step=0.5)
    return marked(mark)
