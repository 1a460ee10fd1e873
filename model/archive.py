"""A model given as a .tar.gz: extracted safely, then found inside by a file every such model holds."""

from __future__ import annotations

import tarfile
from pathlib import Path

from vidx.errors import VidxError

ENDINGS = (".tar.gz", ".tgz", ".tar")


def is_archive(path: Path) -> bool:
    return path.name.endswith(ENDINGS)


def unpack(archive: Path, into: Path, marker: str, *, named: str, kind: str, advice: str) -> Path:
    """The folder nearest the top of `archive`, extracted into `into`, that holds `marker`: archives wrap their
    model in folders of their own. The data filter refuses members that would land outside `into`. Errors name the
    archive as `named` and the model as `kind`; `advice` says what to do with an archive that cannot be read."""
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:
        raise VidxError(f"Cannot extract {named}: {_reason(e)}; {advice}") from None
    found = sorted(into.rglob(marker), key=lambda p: len(p.parts))
    if not found:
        raise VidxError(f"{named} holds no {kind} (no {marker} inside)")
    return found[0].parent


def _reason(error: BaseException) -> str:
    """Why the archive could not be read, in one line."""
    if isinstance(error, tarfile.ReadError) and "\n" in str(error):
        # tarfile.open tried each compression in turn, and says on a line each why none could read it.
        return "damaged, or not a tar archive (plain, gzip, bzip2 or xz)"
    return " ".join(str(error).split()) or type(error).__name__
