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


class DiskFull(VidxError):
    """A write found no room: a full disk, a quota, or a file size limit. What was committed before it stays.

    `reason` is the message without the file it is about, for callers that must not show paths (the web app).
    """

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


class NewerCatalog(VidxError):
    """The catalogue's schema was changed by a newer vidx: reading or writing it could lose data."""


class CatalogDamaged(VidxError):
    """SQLite finds the catalogue damaged (a page zeroed or overwritten): nothing is written to it until
    `vidx doctor --repair` has recovered what it still holds into a new one."""

    def __init__(self, path, found: str):
        super().__init__(
            f"The catalogue {path} is damaged ({found}); nothing was written to it: "
            "run vidx doctor --repair to recover what it still holds"
        )
        self.found = found


class IndexFileDamaged(VidxError):
    """An index file is not what vidx wrote (truncated, overwritten, failing its checksum). The vector rows still
    hold every vector, so readers search without it and the next writer builds it again."""

    def __init__(self, path, reason: str):
        super().__init__(f"The index file {path} is damaged ({reason})")
        self.path = path


class VectorsDamaged(VidxError):
    """Some stored clip vectors fail their checksums; they are never copied or searched."""


class FilesFailed(VidxError):
    """`vidx index` finished, but some files could not be indexed."""

    exit_code = 3


class Unhealthy(VidxError):
    """`vidx doctor` found problems."""


__all__ = [
    "CatalogDamaged",
    "ConfigError",
    "DecodeError",
    "DiskFull",
    "FilesFailed",
    "IndexFileDamaged",
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
    "VectorsDamaged",
    "VidxError",
]
