"""Find video files under a root: one pass with os.scandir, hidden folders pruned, no symlink loop followed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def walk(root: Path, extensions: tuple[str, ...]) -> Iterator[Path]:
    """Yield files whose suffix is in `extensions`, sorted per folder; symlinked folders are entered once."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                subfolders.append(Path(entry.path))
            elif os.path.splitext(entry.name)[1].lower() in extensions:
                yield Path(entry.path)
        stack.extend(reversed(subfolders))
