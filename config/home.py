"""Where vidx keeps its models, database, index and config file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# How `vidx --help` and the README word the default home; tests hold both to it.
DEFAULT_HOME = "$VIDX_HOME, else $XDG_DATA_HOME/vidx, else ~/.local/share/vidx"


def locate_home(flag: str | os.PathLike | None = None) -> tuple[Path, str]:
    """The home folder and where it came from: --home beats VIDX_HOME beats $XDG_DATA_HOME/vidx beats
    ~/.local/share/vidx."""
    if flag:
        return Path(flag).expanduser().absolute(), "flag"
    if os.environ.get("VIDX_HOME"):
        return Path(os.environ["VIDX_HOME"]).expanduser().absolute(), "env VIDX_HOME"
    if os.environ.get("XDG_DATA_HOME"):
        return Path(os.environ["XDG_DATA_HOME"]).expanduser().absolute() / "vidx", "env XDG_DATA_HOME"
    return (Path.home() / ".local" / "share").absolute() / "vidx", "default"


def resolve_home(flag: str | os.PathLike | None = None) -> Path:
    return locate_home(flag)[0]


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
        self.root.mkdir(parents=True, exist_ok=True)
        return self
