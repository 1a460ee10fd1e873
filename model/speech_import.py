"""`vidx model import-speech`: install a CTranslate2 Whisper model under the home, checked by loading it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vidx import __version__
from vidx.config import Home
from vidx.errors import VidxError

from . import speech_registry as registry
from .speech_registry import SpeechManifest
from .speech_source import local_speech_folder

# Read by faster-whisper when present (the mel bins of large-v3); kept with the model, never required.
OPTIONAL = ("preprocessor_config.json",)
NEEDS_PACKAGE = "Speech recognition needs faster-whisper: pip install '.[speech]' in the vidx clone"


@dataclass(frozen=True)
class SpeechImportResult:
    manifest: SpeechManifest
    folder: Path
    skipped: bool


def import_speech(home: Home, source: str, force: bool = False) -> SpeechImportResult:
    """Install SOURCE as the speech model; the same model again is a no-op unless `force`."""
    try:
        import ctranslate2
    except ImportError:
        raise VidxError(NEEDS_PACKAGE) from None
    root = registry.speech_root(home)
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".import-", dir=root))
    try:
        found = local_speech_folder(source, scratch)
        names = registry.model_files(found) + [n for n in OPTIONAL if (found / n).is_file()]
        fp = fingerprint(found, names)
        existing = registry.installed_dir(home, fp)
        if not force and (existing / registry.MANIFEST).exists():
            registry.activate(home, existing)
            return SpeechImportResult(SpeechManifest.load(existing), existing, skipped=True)
        staged = scratch / "model"
        staged.mkdir()
        for name in names:
            shutil.copyfile(found / name, staged / name)
        _check_loads(staged, source)
        manifest = SpeechManifest(
            source=source if not Path(source).expanduser().exists() else str(Path(source).expanduser().absolute()),
            fingerprint=fp,
            vidx_version=__version__,
            ctranslate2_version=ctranslate2.__version__,
            imported_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            files={name: (staged / name).stat().st_size for name in names},
            languages=_languages(staged),
        )
        manifest.save(staged)
        folder = registry.install(home, staged, fp)
        return SpeechImportResult(manifest, folder, skipped=False)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def fingerprint(folder: Path, names: list[str]) -> str:
    """sha256 over the model's files (name, then content, sorted): a download's extra files do not count."""
    digest = hashlib.sha256()
    for name in sorted(names):
        digest.update(name.encode() + b"\0")
        with open(folder / name, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _check_loads(folder: Path, source: str) -> None:
    """Load the model once, so a damaged one is refused here rather than failing every video's speech."""
    from faster_whisper import WhisperModel

    try:
        WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=1)
    except Exception as e:  # CTranslate2 and the tokenizer raise RuntimeError, ValueError and others alike
        raise VidxError(f"{source} is not a Whisper model CTranslate2 can load ({_first_line(e)})") from None


def _languages(folder: Path) -> int:
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return 1
    return len(config.get("lang_ids") or []) or 1


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
