"""Installed models under the home: one folder per fingerprint, and an `active` link swapped atomically."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from vidx.config import Home
from vidx.errors import NoModelError

from .manifest import Manifest
from .space import model_id


def active_dir(home: Home) -> Path | None:
    link = home.models / "active"
    if not link.is_symlink() or not (link / "manifest.json").exists():
        return None
    return link.resolve()


def require_active(home: Home) -> Path:
    """The active model's folder; NoModelError when none was imported."""
    folder = active_dir(home)
    if folder is None:
        raise NoModelError(home.root)
    return folder


def active_manifest(home: Home) -> Manifest:
    return Manifest.load(require_active(home))


def installed_dir(home: Home, fingerprint: str) -> Path:
    return home.models / model_id(fingerprint)


def activate(home: Home, folder: Path) -> None:
    """Point `active` at `folder` with a rename, so a reader sees the old model or the new one, never neither."""
    tmp = home.models / "active.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(folder.name, tmp)
    os.replace(tmp, home.models / "active")


def install(home: Home, staged: Path, fingerprint: str) -> Path:
    """Move a fully written staging folder into place and make it active."""
    final = installed_dir(home, fingerprint)
    if final.exists():
        old = final.with_name(final.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(staged, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staged, final)
    activate(home, final)
    return final
