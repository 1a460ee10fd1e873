"""Every error a user can fix, in one family; the CLI turns each into one line and its exit code.

Messages say what went wrong and what to do in words a script's author can act on; they name no CLI flag,
since the CLI adds its own hints (`flag_hint` in `vidx.cli.app`).
"""


class VidxError(Exception):
    """Something the user can fix: a bad path, a missing model, a bad setting."""

    exit_code = 1


class ConfigError(VidxError):
    """A setting has an unknown key or a value of the wrong type or range."""

    exit_code = 2


class UsageError(VidxError):
    """Arguments that do not fit together, or a value out of range."""

    exit_code = 2


class NoModelError(VidxError):
    """No model has been imported into this home yet."""

    def __init__(self, home_root):
        super().__init__(f"No model installed in {home_root}; run `vidx model import`")


class ModelMismatch(VidxError):
    """The index holds vectors of another model than the active one."""


class DecodeError(VidxError):
    """A file that FFmpeg cannot turn into frames."""


class SubtitleError(VidxError):
    """A subtitle file or stream that cannot be read: the video is indexed by its pictures all the same."""


class NoSuchFile(VidxError):
    """A file the user named is not there."""


class NotIndexed(VidxError):
    """A folder the user named holds nothing of the index, nor lies inside it."""


class NoCalibrationVideos(VidxError):
    """Quantization found no videos to calibrate on."""


class LockHeld(VidxError):
    """Another `vidx index` is writing to this home."""


class NotWritable(VidxError):
    """The home, or a folder vidx must write to, cannot be written."""


class NewerCatalog(VidxError):
    """The catalogue's schema was changed by a newer vidx: reading or writing it could lose data."""


class FilesFailed(VidxError):
    """`vidx index` finished, but some files could not be indexed."""

    exit_code = 3


class Unhealthy(VidxError):
    """`vidx doctor` found problems."""


__all__ = [
    "ConfigError",
    "DecodeError",
    "FilesFailed",
    "LockHeld",
    "ModelMismatch",
    "NewerCatalog",
    "NoCalibrationVideos",
    "NoModelError",
    "NoSuchFile",
    "NotIndexed",
    "NotWritable",
    "SubtitleError",
    "Unhealthy",
    "UsageError",
    "VidxError",
]
