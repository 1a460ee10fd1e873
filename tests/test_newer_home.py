"""A home whose catalogue a newer vidx changed is refused by every command, and nothing is written to it."""

import shutil
import sqlite3

import pytest
from conftest import as_json

import vidx

COMMANDS = [("query", "red"), ("status",), ("doctor",), ("doctor", "--repair"), ("index",), ("failed",), ("roots",)]


@pytest.fixture
def newer_home(run, imported, library, tmp_path, vidx_home):
    root = tmp_path / "lib"
    shutil.copytree(library["root"] / "colours", root)
    run("index", root, "--quiet")
    shutil.copy(library["moving"], root / "new.mp4")  # a file the refused `vidx index` must not add
    db = vidx_home / "vidx.db"
    with sqlite3.connect(db) as conn:  # what a newer vidx leaves: its own schema change, recorded, and its version
        conn.execute(
            "insert into _sqlite_migrations (migration_set, name, applied_at) values ('vidx', 'm099_future', '')"
        )
        conn.execute("update meta set value = '9.0.0' where key = 'vidx_version'")
    return db


def refusal(db) -> str:
    return (
        f"Error: The database {db} was written by vidx 9.0.0, newer than this vidx {vidx.__version__} (schema "
        "change m099_future); upgrade vidx to use this home\n"
    )


def snapshot(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*), max(id) from videos").fetchone(), conn.execute(
            "select * from meta"
        ).fetchall()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_refuses_a_catalogue_a_newer_vidx_changed(run, newer_home, command):
    before = snapshot(newer_home)
    result = run(*command, check=False)
    assert (result.exit_code, result.output) == (1, refusal(newer_home))
    assert snapshot(newer_home) == before


def test_a_renamed_column_is_refused_without_a_traceback(run, newer_home):
    with sqlite3.connect(newer_home) as conn:
        conn.execute("alter table clips rename column vector to embedding")
    for command in COMMANDS:
        result = run(*command, check=False)
        assert (result.exit_code, result.output) == (1, refusal(newer_home)), command


def test_the_version_that_changed_the_schema_is_recorded(run, imported, vidx_home):
    assert as_json(run("status", "--json"))["videos"] == 0
    with sqlite3.connect(vidx_home / "vidx.db") as conn:
        assert conn.execute("select value from meta where key = 'vidx_version'").fetchone() == (vidx.__version__,)
