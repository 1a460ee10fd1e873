"""`vidx model import-speech`: install a CTranslate2 Whisper model under the home, checked by loading it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from vidx import __version__
from vidx.config import Home
from vidx.errors import VidxError

from .shelf import Imported, fingerprint
from .speech_registry import SpeechManifest, model_files, speech_shelf
from .speech_source import local_speech_folder

# Read by faster-whisper when present (the mel bins of large-v3); kept with the model, never required.
OPTIONAL = ("preprocessor_config.json",)
NEEDS_PACKAGE = "Speech recognition needs faster-whisper: pip install '.[speech]' in the vidx clone"


def import_speech(home: Home, source: str, force: bool = False) -> Imported[SpeechManifest]:
    """Install SOURCE as the speech model; the same model again is a no-op unless `force`."""
    try:
        import ctranslate2
    except ImportError:
        raise VidxError(NEEDS_PACKAGE) from None
    shelf = speech_shelf(home)
    with shelf.scratch() as scratch:
        found = local_speech_folder(source, scratch)
        names = model_files(found) + [n for n in OPTIONAL if (found / n).is_file()]
        # Over the model's files alone, sorted: a download's extra files do not count.
        fp = fingerprint(found, sorted(names))
        existing = None if force else shelf.reuse(fp)
        if existing:
            return Imported(SpeechManifest.load(existing), existing, skipped=True)
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
        return Imported(manifest, shelf.install(staged, fp), skipped=False)


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
