"""The exceptions a user can fix; vidx.cli turns them into one-line errors."""


class VidxError(Exception):
    """Something the user can fix: a bad path, a missing model, a bad setting."""

    exit_code = 1


class ConfigError(VidxError):
    """A setting has an unknown key or a value of the wrong type or range."""

    exit_code = 2


class UsageError(VidxError):
    """A command was called with arguments that do not fit together."""

    exit_code = 2
