"""One writer: every statement that changes the catalogue lives in store/catalog_writer.py (schema changes in
store/migrations.py), so SQLite and FAISS cannot drift apart through a write made elsewhere. Catalog reads with the
standard sqlite3; sqlite-utils, which imports pandas whenever it is installed, stays out of the read path."""

import ast
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# store/recovery.py writes a new catalogue from what a damaged one still holds, before anything opens it.
ALLOWED = {"store/catalog_writer.py", "store/migrations.py", "store/recovery.py"}
WRITE_SQL = re.compile(
    r"\b(insert\s+(or\s+\w+\s+)?into|replace\s+into|update\s+\w+\s+set|delete\s+from|alter\s+table|vacuum"
    r"|(create|drop)\s+(unique\s+|temp\s+|temporary\s+|virtual\s+)*(table|index|view|trigger))\b",
    re.IGNORECASE,
)
# sqlite-utils' Table methods that change the database, as called on db["table"] or db.table("table").
TABLE_WRITES = {
    "insert",
    "insert_all",
    "upsert",
    "upsert_all",
    "update",
    "delete",
    "delete_where",
    "create",
    "create_index",
    "add_column",
    "add_foreign_key",
    "transform",
    "drop",
    "enable_fts",
    "populate_fts",
}


def product_files() -> list[Path]:
    """Every module of every package the wheel ships (pyproject's package-dir), so a new package is covered too."""
    folders = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"].values()
    return sorted(p for folder in set(folders) for p in (ROOT / folder).rglob("*.py"))


def writes(source: str) -> list[str]:
    """What in `source` writes to SQLite: SQL text, sqlite-utils table writes, sqlite-utils itself."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and WRITE_SQL.search(node.value):
            found.append((node.lineno, f"SQL {WRITE_SQL.search(node.value).group(0)!r}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TABLE_WRITES:
            table = node.func.value
            on_table = isinstance(table, ast.Subscript) or (
                isinstance(table, ast.Call) and isinstance(table.func, ast.Attribute) and table.func.attr == "table"
            )
            if on_table:
                found.append((node.lineno, f"sqlite-utils .{node.func.attr}()"))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if any(name.split(".")[0] == "sqlite_utils" for name in names):
                found.append((node.lineno, "imports sqlite_utils"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_the_scan_sees_each_kind_of_write():
    source = (
        'db.execute("INSERT OR IGNORE INTO roots (path) values (?)", [p])\n'
        'db.execute(f"delete from clips where id in ({marks})", ids)\n'
        'conn.executescript("update meta set value = 1; DROP TABLE clips")\n'
        'db["videos"].update(1, {"size": 2})\n'
        'db.table("meta").upsert({"key": "k"}, pk="key")\n'
        "from sqlite_utils.migrations import Migrations\n"
        'record.update(size=1)\nfound.update({1: 2})\nprint("update the settings, then delete the file")\n'
    )
    assert writes(source) == [
        "line 1: SQL 'INSERT OR IGNORE INTO'",
        "line 2: SQL 'delete from'",
        "line 3: SQL 'update meta set'",
        "line 4: sqlite-utils .update()",
        "line 5: sqlite-utils .upsert()",
        "line 6: imports sqlite_utils",
    ]


def test_only_the_writer_writes():
    files = product_files()
    assert ROOT / "store" / "catalog_writer.py" in files
    outside = {
        str(path.relative_to(ROOT)): found
        for path in files
        if str(path.relative_to(ROOT)) not in ALLOWED and (found := writes(path.read_text()))
    }
    assert outside == {}
