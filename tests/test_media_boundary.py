"""FFmpeg is reached through one package: only vidx.media imports cv2 or av, and its modules import one way."""

import ast
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
MEDIA_LIBRARIES = {"cv2", "av"}
# What vidx.media stands on: the layers below it. Anything else (indexer, searcher, store, model, cli, the
# Library) is above it and uses it.
BELOW_MEDIA = (
    "vidx.errors",
    "vidx.disk_full",
    "vidx.config",
    "vidx.filenames",
    "vidx.paths",
    "vidx.times",
    "vidx.said",
)


def packages() -> dict[str, Path]:
    """Each product package and its folder, as pyproject.toml maps them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {name: ROOT / folder for name, folder in config["tool"]["setuptools"]["package-dir"].items()}


def imports(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, inside functions too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
                if not node.module:  # `from . import x` imports the modules x
                    found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
                    continue
            found.append((node.lineno, base))
    return found


def modules_of(package: str, folder: Path) -> dict[str, Path]:
    return {f"{package}.{p.stem}" if p.stem != "__init__" else package: p for p in sorted(folder.glob("*.py"))}


def test_only_the_media_package_imports_opencv_or_pyav():
    packages_found = packages()
    assert "vidx.media" in packages_found and "vidx.indexer" in packages_found
    offenders = []
    for package, folder in packages_found.items():
        if package == "vidx.media":
            continue
        for path in modules_of(package, folder).values():
            offenders += [
                f"{path.relative_to(ROOT)}:{line} imports {name}"
                for line, name in imports(path, package)
                if name.split(".")[0] in MEDIA_LIBRARIES
            ]
    assert offenders == []


def media_edges() -> dict[str, set[str]]:
    """vidx.media's modules and the vidx modules each imports."""
    edges = {}
    for module, path in modules_of("vidx.media", packages()["vidx.media"]).items():
        edges[module] = {name for _, name in imports(path, "vidx.media") if name.split(".")[0] == "vidx"}
    return edges


def test_the_media_package_stands_only_on_the_layers_below_it():
    upward = {
        (module, name)
        for module, names in media_edges().items()
        for name in names
        if not name.startswith(("vidx.media.", *BELOW_MEDIA)) and name != "vidx.media"
    }
    assert upward == set()


def test_the_media_package_has_no_import_cycle():
    edges = {m: {n for n in names if n.startswith("vidx.media.")} for m, names in media_edges().items()}
    assert edges["vidx.media.decode"], "the scan sees relative imports"
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(module) :] + [module]))
        if module in done:
            return
        for name in sorted(edges.get(module, ())):
            visit(name, path + [module])
        done.add(module)

    for module in edges:
        visit(module, [])
