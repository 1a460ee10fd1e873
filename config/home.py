"""Where vidx keeps its models, database, index and config file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def resolve_home(flag: str | os.PathLike | None = None) -> Path:
    """--home beats VIDX_HOME beats $XDG_DATA_HOME/vidx (~/.local/share/vidx)."""
    if flag:
        return Path(flag).expanduser().absolute()
    if os.environ.get("VIDX_HOME"):
        return Path(os.environ["VIDX_HOME"]).expanduser().absolute()
    xdg = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(xdg).expanduser().absolute() / "vidx"


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
