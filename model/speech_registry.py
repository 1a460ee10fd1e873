"""The installed speech model: a CTranslate2 Whisper folder on a shelf of its own (shelf.py), models/speech."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from vidx.config import Home

from .shelf import Shelf, StoredManifest

# What faster-whisper loads: the weights, the model's configuration, its tokenizer and its vocabulary.
REQUIRED = ("model.bin", "config.json", "tokenizer.json")
VOCABULARY = ("vocabulary.txt", "vocabulary.json")


@dataclass
class SpeechManifest(StoredManifest):
    source: str
    fingerprint: str
    vidx_version: str
    ctranslate2_version: str
    imported_at: str
    files: dict[str, int]  # name: bytes
    languages: int  # 1 for an English-only model


def speech_shelf(home: Home) -> Shelf:
    return Shelf(home.models / "speech")


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
    return speech_shelf(home).active()


def active_speech_manifest(home: Home) -> SpeechManifest | None:
    folder = active_speech_dir(home)
    return SpeechManifest.load(folder) if folder else None


def speech_info(home: Home) -> dict | None:
    """What `vidx model info --json` says of the speech model: its manifest and folder; None when none is installed."""
    folder = active_speech_dir(home)
    return {**asdict(SpeechManifest.load(folder)), "folder": str(folder)} if folder else None
