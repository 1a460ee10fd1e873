"""vidx.config: the home folder and the settings."""

from .home import Home, resolve_home
from .settings import ENGINES, PRECISIONS, Settings, load_settings, parse_assignment, write_user_setting

__all__ = [
    "ENGINES",
    "PRECISIONS",
    "Home",
    "Settings",
    "load_settings",
    "parse_assignment",
    "resolve_home",
    "write_user_setting",
]
