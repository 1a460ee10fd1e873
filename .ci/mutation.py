"""Mutation testing of vidx's core modules with mutmut, as installed: `vidx.store`, not `store`.

mutmut copies the sources into mutants/ and names each mutant after its file's path, so it must see the package as
`import` does. setuptools' package-dir (pyproject.toml) maps our top-level folders to vidx.*; here they are laid out
again as vidx/<package>/ in a work folder (default .mutation/, ignored by git), with the tests and pyproject.toml,
and mutmut runs there with only that copy importable. The core modules and the tests that judge them are below;
the run takes hours on 2 cores, so it is a documented command, not part of .ci/run.

Usage: python .ci/mutation.py [--work DIR] [--only GLOB] [judge | mutmut arguments, default: run]
`run` is mutmut's own runner: a fresh process per mutant, which builds every session fixture again (minutes each).
`judge` has mutmut make the mutants and its coverage (which tests reach which function), then judges every mutant
not yet judged in one pytest session (.ci/mutant_judge.py), writes the verdicts where `mutmut results` reads them
and prints them by module. Then `cd DIR && mutmut results` lists the survivors, `mutmut show NAME` shows one.
Another --only needs another --work folder: mutmut never mutates a module it once copied unmutated.
Needs `pip install mutmut==3.8.1` (the developers' tool, not a dependency of vidx): `judge` calls into its internals.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent

# The modules whose logic decides what is indexed, kept and found (issue 25's "core modules").
CORE = ["vidx/store/*.py", "vidx/indexer/plan.py", "vidx/searcher/*.py"]

# The tests that exercise those modules in-process. Browser, Ray, speech and quantization tests are left out: they
# cover other layers and would multiply the run's time without judging these modules.
TESTS = [
    "tests/test_store.py",
    "tests/test_segments.py",
    "tests/test_scale.py",
    "tests/test_catalog_reads.py",
    "tests/test_incremental.py",
    "tests/test_stages.py",
    "tests/test_still_written.py",
    "tests/test_orphans.py",
    "tests/test_newer_home.py",
    "tests/test_read_only_home.py",
    "tests/test_e2e.py",
    "tests/test_moments.py",
    "tests/test_filters.py",
    "tests/test_good_match.py",
    "tests/test_hit_features.py",
    "tests/test_dupes.py",
    "tests/test_library.py",
    "tests/test_mistakes.py",
    "tests/test_bad_input.py",
    "tests/test_damage.py",
    "tests/test_segments_damage.py",
    "tests/test_vector_check.py",
    "tests/test_fusion.py",
    "tests/test_ranking.py",
    "tests/test_results_truth.py",
    "tests/test_said.py",
    "tests/test_said_ranking.py",
    "tests/test_said_results.py",
    # The searcher's hand-made edges, judging search_vector's and said_matches' mutants in seconds (issue 25).
    "tests/test_search_vector.py",
    "tests/test_said_side.py",
    # dupes.py's offset choice, pre-filter and choice of neighbour search, on hand-made vectors (issue 25).
    "tests/test_dupes_alignment.py",
    # The words hits' and the modes' over hand-made videos, and the pictures' side of a fused search (issue 25).
    "tests/test_said_hits.py",
    "tests/test_modes.py",
    "tests/test_top_videos.py",
    # The store's own, each judging its modules in seconds without the model (issue 25, store mutants).
    "tests/test_index_state.py",
    "tests/test_ann.py",
    "tests/test_vector_rows.py",
    "tests/test_neighbours.py",
    "tests/test_index_check.py",
    "tests/test_index_build.py",
    "tests/test_index_reader.py",
    "tests/test_vector_index.py",
    "tests/test_catalog_writer.py",
    "tests/test_connections.py",
    "tests/test_recovery.py",
    "tests/test_migrations.py",
]

# A test's child process (a script, `python -m vidx`) inherits mutmut's "stats" mode, in which each call of a
# mutated function is recorded through mutmut's configuration, read from the current folder: the child's folder
# holds none. Children run the original code while mutmut records coverage; under a mutant they run the mutant.
CHILDREN_SITECUSTOMIZE = """import os

if os.environ.get("MUTANT_UNDER_TEST") == "stats":
    del os.environ["MUTANT_UNDER_TEST"]
"""

DOCUMENTS = ["README.md", "BENCHMARKS.md", "docs"]


def lay_out(work: Path) -> None:
    """Copy each package of pyproject's package-dir to work/vidx/<name>, beside the tests and pyproject.toml."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    package_dir: dict[str, str] = tomllib.loads(pyproject)["tool"]["setuptools"]["package-dir"]
    # Everything but mutants/ is laid out afresh; mutants/ keeps mutmut's results, and mutmut itself sees which
    # functions changed since, so a second run goes on where the first stopped.
    if work.exists():
        for entry in work.iterdir():
            if entry.name != "mutants":
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    for package, folder in package_dir.items():
        target = work.joinpath(*package.split("."))
        shutil.copytree(ROOT / folder, target, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    # Tests read the documents they check (README.md, docs/) from the project's root.
    for document in DOCUMENTS:
        copy = shutil.copytree if (ROOT / document).is_dir() else shutil.copy2
        copy(ROOT / document, work / document)
    # vidx reads its own version from its installed metadata; this stands in for an install of the copy.
    project = tomllib.loads(pyproject)["project"]
    dist_info = work / f"vidx-{project['version']}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: vidx\nVersion: {project['version']}\n")
    existing = [test for test in TESTS if (ROOT / test).exists()]
    mutmut = (
        "\n[tool.mutmut]\n"
        'source_paths = ["vidx"]\n'
        f"also_copy = {[dist_info.name, *DOCUMENTS]!r}\n"
        f"only_mutate = {CORE!r}\n"
        f"pytest_add_cli_args_test_selection = {existing!r}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x"]\n'
        # Each mutant's tests run in a process forked from a server that has imported nothing: a fork of a process
        # whose OpenVINO and FAISS thread pools already ran hangs.
        'process_isolation = "forkserver"\n'
        'forkserver_warmup = "none"\n'
    )
    (work / "pyproject.toml").write_text(pyproject + mutmut)
    # The tests find the shared videos at ../shared from the project's root, which mutmut runs as work/mutants.
    shared = ROOT.parent / "shared"
    if shared.exists():
        (work / "shared").symlink_to(shared)


# mutmut's `run` up to its stats: copy and mutate the sources, then run the tests once recording which functions each
# one reaches (mutants/mutmut-stats.json). Its command line has no step that stops there, hence its internals.
PREPARE = """import os
from mutmut.__main__ import (collect_or_load_stats, copy_also_copy_files, copy_src_dir, create_mutants,
    get_mutant_runner, setup_source_paths, store_lines_covered_by_tests)
from mutmut.mutation.trampoline import set_mutant_under_test

set_mutant_under_test("mutant_generation")
os.makedirs("mutants", exist_ok=True)
copy_src_dir()
copy_also_copy_files()
setup_source_paths()
store_lines_covered_by_tests()
create_mutants(os.cpu_count() or 1)
collect_or_load_stats(get_mutant_runner(os.cpu_count() or 1), apply_config_invalidation=True)
"""

# The judge's verdicts as mutmut's exit codes and words, so that `mutmut results` and `mutmut browse` show them.
# "suspicious": the killing test fails without the mutant too; "segfault": the mutant ended the pytest session.
EXIT_CODES = {"killed": 1, "survived": 0, "timeout": 36, "no tests": 33, "suspicious": 35, "segfault": -11}


def metas(work: Path) -> list[Path]:
    """mutmut's record of each mutated file: its mutants and their exit codes (None: not judged yet)."""
    return sorted((work / "mutants").rglob("*.py.meta"))


def unjudged(work: Path) -> list[str]:
    return [
        name
        for meta in metas(work)
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items()
        if code is None
    ]


def record(work: Path, verdicts: dict[str, str]) -> None:
    for meta in metas(work):
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        if verdicts.keys() & codes.keys():
            codes.update((name, EXIT_CODES[v]) for name, v in verdicts.items() if name in codes)
            meta.write_text(json.dumps(data, indent=4))


def judge_batch(work: Path, names: list[str], env: dict[str, str]) -> dict[str, str]:
    """Judge names in one pytest session; a mutant that ends the session itself (a crash) is said so."""
    queue, judged = work / "judge-queue.txt", work / "judged.txt"
    queue.write_text("".join(f"{name}\n" for name in names))
    start = judged.stat().st_size if judged.exists() else 0
    tests = [test for test in TESTS if (ROOT / test).exists()]
    # The root is given: pytest would take the work folder, which holds the files named by --mutants and
    # --mutants-out, and then name the tests mutants/tests/..., not as mutmut's stats do.
    command = [sys.executable, "-m", "pytest", "-q", "--tb=no", "--rootdir", ".", "-p", "no:cacheprovider"]
    # A test the timeout cut short can leave an object whose finaliser fails later, in an unrelated test.
    command += ["-p", "mutant_judge", "-W", "ignore::pytest.PytestUnraisableExceptionWarning", "--mutants", str(queue)]
    command += ["--mutants-out", str(judged), *tests]
    with open(work / "judge.log", "a") as log:
        subprocess.run(command, cwd=work / "mutants", env=env, stdout=log, stderr=subprocess.STDOUT)
    if not judged.exists():
        return {}
    with open(judged) as lines:
        lines.seek(start)
        verdicts: dict[str, str] = {}
        begun = None
        for line in lines:
            kind, name, *_ = line.split()
            if kind == "judging":
                begun = name
            else:
                verdicts[name], begun = kind.replace("_", " "), None
    if begun is not None:
        verdicts[begun] = "segfault"
    return verdicts


def summary(work: Path) -> None:
    """Every mutant's status by module (mutmut's own runs' too), and the kill rate: (killed + timeout) / judged."""
    from mutmut.stats import status_by_exit_code  # here: without mutmut, main says how to install it

    columns = ["killed", "timeout", "survived", "no tests", "suspicious", "segfault", "not checked"]
    print(f"{'module':32} {'mutants':>7} " + " ".join(f"{c:>11}" for c in columns))
    totals = dict.fromkeys(columns, 0)
    for meta in metas(work):
        codes = json.loads(meta.read_text())["exit_code_by_key"].values()
        if not codes:
            continue
        counts = dict.fromkeys(columns, 0)
        for code in codes:
            status = status_by_exit_code[code]
            counts[status if status in counts else "suspicious"] += 1
        for column in columns:
            totals[column] += counts[column]
        module = meta.relative_to(work / "mutants").as_posix().removesuffix(".meta")
        print(f"{module:32} {len(codes):>7} " + " ".join(f"{counts[c]:>11}" for c in columns))
    print(f"{'total':32} {sum(totals.values()):>7} " + " ".join(f"{totals[c]:>11}" for c in columns))
    judged = sum(totals.values()) - totals["not checked"]
    caught = totals["killed"] + totals["timeout"]
    print(f"kill rate {caught / max(judged, 1):.1%} ({caught} of {judged} judged)")


def judge(work: Path, env: dict[str, str]) -> int:
    print(f"mutmut makes the mutants and finds the tests that reach each function (log: {work / 'judge.log'})")
    with open(work / "judge.log", "w") as log:
        prepared = subprocess.run([sys.executable, "-c", PREPARE], cwd=work, env=env, stdout=log, stderr=log)
    if prepared.returncode:
        print(f"mutmut stopped with exit code {prepared.returncode}: see the log", file=sys.stderr)
        return prepared.returncode
    # mutmut mutates a file again only when its source is newer than the copy in mutants/: a module an earlier run's
    # --only left out was copied unmutated then, and stays so.
    unmutated = [
        source.relative_to(work).as_posix()
        for pattern in CORE
        for source in work.glob(pattern)
        if not (work / "mutants" / f"{source.relative_to(work)}.meta").exists()
    ]
    if unmutated:
        print(f"not mutated, left out by an earlier run's --only: {', '.join(unmutated)}; use another --work folder")
    env = dict(env, PYTHONPATH=f"{env['PYTHONPATH']}{os.pathsep}{ROOT / '.ci'}")
    # Each session judges the mutants left; one that crashed the last is recorded, so the next goes on after it.
    while names := unjudged(work):
        print(f"judging {len(names)} mutants in one pytest session (log: {work / 'judge.log'})", flush=True)
        verdicts = judge_batch(work, names, env)
        if not verdicts:
            print("the pytest session judged no mutant: see the log", file=sys.stderr)
            return 1
        record(work, verdicts)
    summary(work)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=ROOT / ".mutation", help="the work folder")
    parser.add_argument("--only", action="append", help="mutate only these globs (e.g. vidx/indexer/plan.py)")
    parser.add_argument("mutmut_args", nargs="*", default=["run"])
    args = parser.parse_args()
    if args.only:
        CORE[:] = args.only
    if shutil.which("mutmut") is None:
        print("mutmut is not installed: pip install mutmut==3.8.1", file=sys.stderr)
        return 2
    lay_out(args.work)
    # Child processes (decoding, the vocabulary) import vidx from the mutated copy too, not from an installed vidx.
    # The folder exists before mutmut starts: Python caches a missing sys.path entry as one it can never import from.
    (args.work / "mutants").mkdir(exist_ok=True)
    children = args.work / "children"
    children.mkdir()
    (children / "sitecustomize.py").write_text(CHILDREN_SITECUSTOMIZE)
    env = dict(os.environ, PYTHONPATH=f"{args.work / 'mutants'}{os.pathsep}{children}")
    if args.mutmut_args == ["judge"]:
        return judge(args.work, env)
    return subprocess.run(["mutmut", *args.mutmut_args], cwd=args.work, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
