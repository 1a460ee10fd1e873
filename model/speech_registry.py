"""The installed speech model: a CTranslate2 Whisper folder under models/speech, one per fingerprint, and an
`active` link swapped atomically, as for the S3D model (registry.py)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from vidx.config import Home

from .space import model_id

MANIFEST = "manifest.json"
# What faster-whisper loads: the weights, the model's configuration, its tokenizer and its vocabulary.
REQUIRED = ("model.bin", "config.json", "tokenizer.json")
VOCABULARY = ("vocabulary.txt", "vocabulary.json")


@dataclass
class SpeechManifest:
    source: str
    fingerprint: str
    vidx_version: str
    ctranslate2_version: str
    imported_at: str
    files: dict[str, int]  # name: bytes
    languages: int  # 1 for an English-only model

    def save(self, folder: Path) -> None:
        tmp = folder / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(tmp, folder / MANIFEST)

    @classmethod
    def load(cls, folder: Path) -> SpeechManifest:
        data = json.loads((folder / MANIFEST).read_text())
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def speech_root(home: Home) -> Path:
    return home.models / "speech"


def model_files(folder: Path) -> list[str]:
    """The files of a CTranslate2 Whisper folder that a model needs, the first vocabulary file found."""
    vocabulary = next((name for name in VOCABULARY if (folder / name).is_file()), None)
    return [*REQUIRED, *([vocabulary] if vocabulary else [])]


def missing_files(folder: Path) -> list[str]:
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if not any((folder / name).is_file() for name in VOCABULARY):
        missing.append("vocabulary.*")
    return missing


def active_speech_dir(home: Home) -> Path | None:
    """The installed speech model's folder, or None when none was imported."""
    link = speech_root(home) / "active"
    if not link.is_symlink() or not (link / MANIFEST).exists():
        return None
    return link.resolve()


def active_speech_manifest(home: Home) -> SpeechManifest | None:
    folder = active_speech_dir(home)
    return SpeechManifest.load(folder) if folder else None


def speech_info(home: Home) -> dict | None:
    """What `vidx model info --json` says of the speech model: its manifest and folder; None when none is installed."""
    folder = active_speech_dir(home)
    return {**asdict(SpeechManifest.load(folder)), "folder": str(folder)} if folder else None


def installed_dir(home: Home, fingerprint: str) -> Path:
    return speech_root(home) / model_id(fingerprint)


def activate(home: Home, folder: Path) -> None:
    """Point `active` at `folder` with a rename, so a reader sees the old model or the new one, never neither."""
    tmp = speech_root(home) / "active.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(folder.name, tmp)
    os.replace(tmp, speech_root(home) / "active")


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
