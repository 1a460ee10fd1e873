"""Schema changes, each applied once and recorded by sqlite-utils' Migrations. Never edit a shipped one."""

from sqlite_utils.migrations import Migrations

migrations = Migrations("vidx")


@migrations()
def m001_initial(db):
    db["roots"].create({"id": int, "path": str, "added_at": str}, pk="id", not_null={"path"})
    db["roots"].create_index(["path"], unique=True)
    db["videos"].create(
        {
            "id": int,
            "root_id": int,
            "path": str,
            "size": int,
            "mtime_ns": int,
            "hash": str,
            "duration": float,
            "fps": float,
            "frames": int,
            "status": str,
            "error": str,
            "indexed_at": str,
        },
        pk="id",
        not_null={"path", "status"},
        foreign_keys=[("root_id", "roots", "id")],
    )
    db["videos"].create_index(["path"], unique=True)
    db["videos"].create_index(["hash"])
    db["clips"].create(
        {"id": int, "video_id": int, "idx": int, "start": float, "end": float, "vector": bytes},
        pk="id",
        not_null={"video_id", "idx", "start", "end", "vector"},
        foreign_keys=[("video_id", "videos", "id")],
    )
    db["clips"].create_index(["video_id", "idx"], unique=True)
    db["meta"].create({"key": str, "value": str}, pk="key")


@migrations()
def m002_raw_path(db):
    # The exact bytes of a file name that is not UTF-8; `path` holds it with \xNN escapes.
    db["videos"].add_column("raw_path", bytes)
