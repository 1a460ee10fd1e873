"""Where vidx keeps its models, database, index and config file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vidx.errors import NotWritable
from vidx.paths import absolute

# How `vidx --help` and the README word the default home; tests hold both to it.
DEFAULT_HOME = "$VIDX_HOME, else $XDG_DATA_HOME/vidx, else ~/.local/share/vidx"


def locate_home(flag: str | os.PathLike | None = None) -> tuple[Path, str]:
    """The home folder and where it came from: --home beats VIDX_HOME beats $XDG_DATA_HOME/vidx beats
    ~/.local/share/vidx."""
    if flag:
        return absolute(flag), "flag"
    if os.environ.get("VIDX_HOME"):
        return absolute(os.environ["VIDX_HOME"]), "env VIDX_HOME"
    if os.environ.get("XDG_DATA_HOME"):
        return absolute(os.environ["XDG_DATA_HOME"]) / "vidx", "env XDG_DATA_HOME"
    return absolute(Path.home() / ".local" / "share" / "vidx"), "default"


def resolve_home(flag: str | os.PathLike | None = None) -> Path:
    return locate_home(flag)[0]


def writable(folder: Path) -> bool:
    """Whether this user can write `folder`, or create it: the nearest folder that exists decides."""
    return os.access(_nearest_existing(folder), os.W_OK)


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _plain(error: OSError) -> str:
    """`no such file or directory`: the system's reason as the rest of a sentence."""
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "config.toml"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def db(self) -> Path:
        return self.root / "vidx.db"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def thumbs(self) -> Path:
        return self.root / "thumbs"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def ensure(self) -> Home:
        """The home folder, made if need be; NotWritable in one line when it cannot be (a file in the way, or a
        place such as /proc or /sys that takes no folders, even from root, whom permissions do not stop)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            above = _nearest_existing(self.root)
            reason = f"{above} is not a folder" if above.exists() and not above.is_dir() else f"{above}: {_plain(e)}"
            raise NotWritable(f"The home {self.root} cannot be created ({reason})") from None
        return self

    def _blocker(self) -> Path | None:
        """The first place this user cannot write that a write to the home needs, if any."""
        root = _nearest_existing(self.root)
        for path in (root, self.db, self.index_dir, self.models):
            if path.exists() and not os.access(path, os.W_OK):
                return path
        return None

    def writable(self) -> bool:
        return self._blocker() is None

    def require_writable(self) -> None:
        """NotWritable, in one line saying where, when this user cannot write the home (a read-only mount,
        another user's folder)."""
        blocker = self._blocker()
        if blocker is None:
            return
        try:
            reason = "read-only file system" if os.statvfs(blocker).f_flag & os.ST_RDONLY else "permission denied"
        except OSError:
            reason = "permission denied"
        where = reason if blocker == self.root else f"{blocker}: {reason}"
        if not self.root.exists():
            raise NotWritable(f"The home {self.root} cannot be created ({where})")
        raise NotWritable(f"The home {self.root} is not writable ({where}): it can be searched but not changed")
