"""vidx.config: the home folder and the settings."""

from .home import DEFAULT_HOME, Home, locate_home, resolve_home
from .settings import ENGINES, PRECISIONS, Settings, load_settings, parse_assignment, write_user_setting

__all__ = [
    "DEFAULT_HOME",
    "ENGINES",
    "PRECISIONS",
    "Home",
    "Settings",
    "load_settings",
    "locate_home",
    "parse_assignment",
    "resolve_home",
    "write_user_setting",
]
