"""Turn a speech SOURCE (a CTranslate2 Whisper folder, a .tar.gz of one, or a size name) into a local folder."""

from __future__ import annotations

from pathlib import Path

from vidx.errors import VidxError

from .archive import is_archive, unpack
from .speech_registry import missing_files

# Where faster-whisper fetches a size name from, said to the user who must fetch it by hand: its own table
# (private, hence the fallback) knows the names that live elsewhere (distil-*, turbo).
HANDLE = "Systran/faster-whisper-{name}"
COPY_AGAIN = "copy the archive again"


def sizes() -> list[str]:
    from faster_whisper import available_models

    return list(available_models())


def local_speech_folder(source: str, scratch: Path) -> Path:
    """A folder holding a CTranslate2 Whisper model for any accepted SOURCE; `scratch` receives downloads and
    extractions."""
    path = Path(source).expanduser()
    if path.is_dir():
        return _checked(path, source)
    if path.exists():
        if is_archive(path):
            found = unpack(
                path, scratch / "unpacked", "model.bin", named=source, kind="Whisper model", advice=COPY_AGAIN
            )
            return _checked(found, source)
        raise VidxError(f"{source} is neither a Whisper model folder nor a .tar.gz of one")
    names = sizes()
    if source in names:
        return _download(source, scratch / "download")
    raise VidxError(f"{source}: no such folder or file, and not a model size ({', '.join(names)})")


def _checked(folder: Path, source: str) -> Path:
    missing = missing_files(folder)
    if missing:
        raise VidxError(f"{source} is not a CTranslate2 Whisper model folder (no {', '.join(missing)} in it)")
    return folder


def _download(name: str, cache: Path) -> Path:
    """faster-whisper's own download of a size name from its public handle."""
    from faster_whisper import utils

    handle = getattr(utils, "_MODELS", {}).get(name, HANDLE.format(name=name))
    try:
        return Path(utils.download_model(name, cache_dir=str(cache)))
    except Exception as e:  # the hub client raises its own errors, OSError and httpx's alike for a failed fetch
        reason = "no network connection" if isinstance(e, OSError) else type(e).__name__
        raise VidxError(
            f"Cannot download the speech model {name!r} ({reason}); on a machine with internet download "
            f"{handle} (model.bin, config.json, tokenizer.json, vocabulary.*), copy that folder "
            f"here and run: vidx model import-speech FOLDER"
        ) from None
