"""vidx.config: the home folder, the settings and the user-facing exceptions."""

from .errors import ConfigError, UsageError, VidxError
from .home import Home, resolve_home
from .settings import PRECISIONS, Settings, load_settings, parse_assignment, write_user_setting

__version__ = "0.1.0"

__all__ = [
    "PRECISIONS",
    "ConfigError",
    "Home",
    "Settings",
    "UsageError",
    "VidxError",
    "__version__",
    "load_settings",
    "parse_assignment",
    "resolve_home",
    "write_user_setting",
]
