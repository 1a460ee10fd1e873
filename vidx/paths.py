"""A user's path made absolute, in the two senses vidx needs: as named, or where it really is.

`absolute` keeps symlinks as the user named them: roots, `--under`, output files and the home are compared and
shown that way, so a library reached through a link stays under the link. `resolved` follows them: a file to
read or to leave out of results is the same file however it is spelt.
"""

from __future__ import annotations

import os
from pathlib import Path

from vidx.errors import NoSuchFile


def absolute(path: str | os.PathLike) -> Path:
    """`~` expanded, `..` folded, relative to the working folder; symlinks kept as named."""
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def resolved(path: str | os.PathLike) -> Path:
    """`~` expanded and every symlink followed: the file's real place."""
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


def existing_file(path: str | os.PathLike) -> Path:
    """`resolved(path)`, which must be a file."""
    target = resolved(path)
    if not target.is_file():
        raise NoSuchFile(f"{os.fspath(path)}: no such video file")
    return target
