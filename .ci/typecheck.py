"""mypy over vidx as installed: every module under its import name (vidx.store.catalog, not store.catalog).

setuptools' package-dir (pyproject.toml) maps our top-level folders to vidx.*. mypy names a file after its folders and
cannot follow the editable install's import hook, so alone it would check `store.catalog` and fail to find
`vidx.store`. Here each file is handed to mypy with its installed name; the settings are [tool.mypy] in pyproject.toml.
Usage: python .ci/typecheck.py [mypy options]. Exit code and output are mypy's.
"""

import sys
import time
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from mypy import build, util
from mypy.errors import CompileError
from mypy.fscache import FileSystemCache
from mypy.main import process_options
from mypy.modulefinder import BuildSource

ROOT = Path(__file__).resolve().parent.parent


def installed_modules() -> list[BuildSource]:
    """Each module of every package in pyproject's package-dir, named as `import` finds it once installed."""
    package_dir: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"
    ]
    sources = []
    for package, folder in package_dir.items():
        for path in sorted((ROOT / folder).glob("*.py")):
            module = package if path.stem == "__init__" else f"{package}.{path.stem}"
            sources.append(BuildSource(str(path.relative_to(ROOT)), module))
    return sources


def main(args: list[str]) -> int:
    """Check the installed modules as `mypy` would, printing its messages and summary line."""
    started = time.time()
    fscache = FileSystemCache()
    _, options = process_options(args, require_targets=False, fscache=fscache)
    sources = installed_modules()
    formatter = util.FancyFormatter(sys.stdout, sys.stderr, options.hide_error_codes)
    messages: list[str] = []

    def show(_filename: str | None, new_messages: list[str], _serious: bool) -> None:
        messages.extend(new_messages)
        for message in new_messages:
            print(formatter.colorize(message) if options.color_output else message)

    blockers = False
    try:
        result = build.build(sources, options, None, show, fscache, sys.stdout, sys.stderr)
        result.manager.metastore.close()
    except CompileError:
        blockers = True
    errors, _notes, files = util.count_stats(messages)
    if errors:
        print(formatter.format_error(errors, files, len(sources), blockers=blockers, use_color=options.color_output))
        return 2 if blockers else 1
    print(formatter.format_success(len(sources), options.color_output), f"({time.time() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
