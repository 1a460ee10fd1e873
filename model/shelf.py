"""Installed models in one folder (the S3D models in models/, the speech models in models/speech): a folder per
fingerprint, each with its manifest.json, and an `active` link swapped atomically. An import stages the new folder
beside them and moves it into place, so a reader never sees half a model."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import Field, asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from .space import model_id

MANIFEST = "manifest.json"

M = TypeVar("M", bound="StoredManifest")


class StoredManifest:
    """A dataclass kept as manifest.json in its model's folder."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    def save(self, folder: Path) -> None:
        tmp = folder / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(tmp, folder / MANIFEST)

    @classmethod
    def load(cls: type[M], folder: Path) -> M:
        data = json.loads((folder / MANIFEST).read_text())
        # Keys another vidx version wrote, and this one does not know, are left out rather than fatal.
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Imported(Generic[M]):
    """What an import did: the model's manifest, its installed folder, and whether it was installed already."""

    manifest: M
    folder: Path
    skipped: bool


def fingerprint(folder: Path, names: Iterable[str]) -> str:
    """sha256 over the files `names` of `folder`, in the order given: each name, a NUL byte, then its content."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0")
        with open(folder / name, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Shelf:
    """The installed models of one kind, in `root`."""

    root: Path

    def active(self) -> Path | None:
        """The active model's folder, None when none was installed."""
        link = self.root / "active"
        if not link.is_symlink() or not (link / MANIFEST).exists():
            return None
        return link.resolve()

    def folder(self, fingerprint: str) -> Path:
        return self.root / model_id(fingerprint)

    def reuse(self, fingerprint: str) -> Path | None:
        """The folder of a model installed whole before, made active again; None when there is none."""
        folder = self.folder(fingerprint)
        if not (folder / MANIFEST).exists():
            return None
        self.activate(folder)
        return folder

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        """A folder for staging an import, on the same file system as the installed models (so installing is a
        rename), removed however the import ends."""
        self.root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".import-", dir=self.root))
        try:
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def install(self, staged: Path, fingerprint: str) -> Path:
        """Move a fully written staging folder into place and make it active."""
        final = self.folder(fingerprint)
        if final.exists():
            old = final.with_name(final.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(staged, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staged, final)
        self.activate(final)
        return final

    def activate(self, folder: Path) -> None:
        """Point `active` at `folder` with a rename, so a reader sees the old model or the new one, never neither."""
        tmp = self.root / "active.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(folder.name, tmp)
        os.replace(tmp, self.root / "active")
