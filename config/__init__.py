"""vidx.config: the home folder and the settings, each declared once in declared.py."""

from .declared import ENGINES, PRECISIONS
from .home import DEFAULT_HOME, Home, locate_home, resolve_home
from .settings import Settings, load_settings, parse_assignment, write_user_setting

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
