"""Turn a SOURCE (hub handle, SavedModel folder or .tar.gz of one) into a local SavedModel folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from vidx.config import Home
from vidx.errors import VidxError

from .archive import is_archive, unpack

DOWNLOAD_HELP = (
    "On a machine with internet, download the model archive from that page (Download > .tar.gz),\n"
    "copy it here and run: vidx model import /path/to/archive.tar.gz"
)
DOWNLOAD_AGAIN = "download the archive again"


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


@contextlib.contextmanager
def native_logs_hidden() -> Iterator[None]:
    """Send file descriptor 2 elsewhere: TensorFlow's C++ start-up logs ignore TF_CPP_MIN_LOG_LEVEL."""
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def download(source: str, home: Home) -> Path:
    """Fetch a hub module through tensorflow_hub, cached under the home."""
    os.environ.setdefault("TFHUB_CACHE_DIR", str(home.cache / "tfhub"))
    with native_logs_hidden():
        try:
            import tensorflow_hub as hub
        except ImportError:
            hub = None
        if hub is None:
            # vidx is installed from its clone (README.md): 'vidx[convert]' would ask the package index for another.
            needs = "Downloading a model needs TensorFlow Hub: pip install '.[convert]' in the vidx clone"
            raise VidxError(f"{needs}\n{DOWNLOAD_HELP}")
        try:
            return Path(hub.resolve(source))
        except Exception as e:  # tensorflow_hub raises urllib, OSError and ValueError alike for a failed fetch
            error = VidxError(f"Could not download the model from {source} ({_reason(e)}).\n{DOWNLOAD_HELP}")
    raise error


def _reason(error: Exception) -> str:
    import urllib.error

    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    if isinstance(error, (urllib.error.URLError, ConnectionError, TimeoutError)):
        return "no network connection"
    return f"{type(error).__name__}: {error}"


def local_savedmodel(source: str, home: Home, scratch: Path) -> Path:
    """A folder holding saved_model.pb for any accepted SOURCE; `scratch` receives downloads and extractions."""
    if is_url(source):
        return download(source, home)
    path = Path(source).expanduser()
    if not path.exists():
        raise VidxError(f"{source}: no such file or folder; give a SavedModel folder, a .tar.gz or a hub URL")
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise VidxError(f"{source} is not a SavedModel folder (no saved_model.pb in it)")
        return path
    if is_archive(path):
        return unpack(path, scratch, "saved_model.pb", named=str(path), kind="SavedModel", advice=DOWNLOAD_AGAIN)
    raise VidxError(f"{source} is neither a SavedModel folder nor a .tar.gz archive")
