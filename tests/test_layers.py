"""The packages import one way: cli and web -> vidx (Library) -> searcher, store, ... Checked on the source."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The folder of each package below the front ends, as pyproject.toml maps it.
BELOW = ["vidx", "config", "model", "indexer", "searcher", "store", "media"]


def imports(folder: str) -> set[tuple[str, str]]:
    """(file, module) for every absolute import in a package's source, TYPE_CHECKING imports included; not
    `python -m vidx`, which is the command's entry point."""
    paths = sorted(p for p in (ROOT / folder).glob("*.py") if p.name != "__main__.py")
    assert paths, f"no package in {folder}/"
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {(path.name, alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add((path.name, node.module))
    return found


def test_the_web_app_reaches_the_index_only_through_the_library():
    reached = sorted(
        (name, module)
        for name, module in imports("web")
        if module.startswith(("vidx.store", "vidx.indexer", "vidx.model"))
    )
    assert reached == [], "vidx.web asks vidx.Library, as the CLI does"


@pytest.mark.parametrize("folder", BELOW)
def test_nothing_below_the_front_ends_imports_them(folder):
    upward = sorted(
        (name, module)
        for name, module in imports(folder)
        if module.startswith(("vidx.web", "vidx.cli", "http.server", "click"))
    )
    assert upward == [], f"{folder}/ imports a front end (or its HTTP server or click)"
