"""Helpers for tests that check what processes vidx leaves behind: a mark every process it starts inherits."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

MARK = "VIDX_TEST_MARK"


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
