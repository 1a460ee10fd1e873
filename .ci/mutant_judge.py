"""pytest plugin: judge many mutmut mutants in one pytest session, so session fixtures are built once.

mutmut's own runner forks a process per mutant, which builds every session fixture (toy models, videos) again:
about 5 mutants a minute here. mutmut's mutated code calls each function through a trampoline that picks the
mutant named by `set_mutant_under_test`, so one session can switch from mutant to mutant between tests.

For each mutant of --mutants (in order), the tests mutmut's stats say reach its function run, those that killed a
mutant of the same function first, then the quickest, until one fails (killed), runs past its time (timeout) or
all pass (survived). A killing test is run again without the mutant: if it fails then too, the kill is not the
mutant's ("suspicious"). Each mutant's lines go to --mutants-out: `judging NAME` before, then
`VERDICT NAME KILLING_TEST SECONDS`; a `judging` line with no verdict after it names a mutant that ended the session.

Run by `.ci/mutation.py judge` from the mutants folder (mutmut-stats.json, the mutated vidx importable).
"""

import json
import signal
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import TextIO

import pytest
from mutmut.mutation.trampoline import set_mutant_under_test
from mutmut.utils.format_utils import mangled_name_from_mutant_name


class MutantTimeout(BaseException):
    """Raised by the alarm inside a test that runs past its time; a BaseException so no `except Exception` eats it."""


def pytest_addoption(parser):
    parser.addoption("--mutants", help="file of mutant names, one a line")
    parser.addoption("--mutants-out", help="file the verdicts are appended to")


def _alarm(signum, frame):
    raise MutantTimeout("the mutant ran past the test's time")


def _use(mutant: str) -> None:
    # Also mirrored into MUTANT_UNDER_TEST, so that a child process the test starts runs the same mutant.
    set_mutant_under_test(mutant)


class _Judge:
    """What the session learns across mutants: each test's time, and which tests killed each function's mutants."""

    def __init__(self, session: pytest.Session, out: TextIO) -> None:
        self.session = session
        self.out = out
        stats = json.loads(Path("mutmut-stats.json").read_text())
        self.tests_by_function = stats["tests_by_mangled_function_name"]
        self.durations = stats["duration_by_test"]
        self.measured: dict[str, float] = {}
        self.kills: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.reports: list[pytest.TestReport] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.append(report)

    def tests_for(self, function: str) -> list[pytest.Item]:
        covering = set(self.tests_by_function.get(function, ()))
        chosen = [item for item in self.session.items if item.nodeid in covering]
        kills = self.kills[function]
        return sorted(chosen, key=lambda item: (-kills[item.nodeid], self.seconds(item)))

    def seconds(self, item: pytest.Item) -> float:
        return self.measured.get(item.nodeid, self.durations.get(item.nodeid, 10.0))

    def teardown(self, nextitem: pytest.Item | pytest.Session | None) -> None:
        """Tear down the fixtures nextitem does not share (the session: keep session fixtures only)."""
        try:
            self.session._setupstate.teardown_exact(nextitem)  # type: ignore[arg-type]
        except Exception:  # a fixture a mutant broke may fail its teardown; it is gone either way
            pass

    def run(self, item: pytest.Item) -> tuple[bool, bool]:
        """Run one test (its setup, call and teardown); whether it failed, and whether it ran past its time."""
        self.teardown(item)
        self.reports.clear()
        began = time.monotonic()
        timed_out = False
        # A test gets three times what the stats run measured, and half a minute for a loaded machine.
        signal.alarm(int(3 * self.durations.get(item.nodeid, 20.0)) + 30)
        try:
            # nextitem=item.parent: the test's own fixtures go after it, its module's and the session's stay.
            item.ihook.pytest_runtest_protocol(item=item, nextitem=item.parent)
        except MutantTimeout:
            timed_out = True
        finally:
            signal.alarm(0)
        self.measured[item.nodeid] = time.monotonic() - began
        failed = timed_out or any(report.failed for report in self.reports)
        timed_out = timed_out or any("MutantTimeout" in str(report.longrepr) for report in self.reports)
        return failed, timed_out

    def fails_alone(self, item: pytest.Item) -> bool:
        """Whether a test fails with no mutant, with its module's fixtures (which a mutant may have built) new."""
        _use("")
        self.teardown(self.session)
        failed, _ = self.run(item)
        if failed:
            # A session fixture the mutant broke while it was built: build everything again, once.
            self.teardown(None)
            failed, _ = self.run(item)
        return failed

    def judge(self, mutant: str) -> None:
        self.out.write(f"judging {mutant}\n")
        began = time.monotonic()
        function = mangled_name_from_mutant_name(mutant)
        tests = self.tests_for(function)
        verdict, killer = ("survived" if tests else "no_tests"), "-"
        _use(mutant)
        for item in tests:
            failed, timed_out = self.run(item)
            if failed:
                self.kills[function][item.nodeid] += 1
                verdict, killer = ("timeout" if timed_out else "killed"), item.nodeid
                if self.fails_alone(item):
                    verdict = "suspicious"
                break
        _use("")
        self.out.write(f"{verdict} {mutant} {killer} {time.monotonic() - began:.1f}\n")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    names_file = session.config.getoption("--mutants")
    if not names_file:
        return None
    signal.signal(signal.SIGALRM, _alarm)
    with open(session.config.getoption("--mutants-out"), "a", buffering=1) as out:
        judge = _Judge(session, out)
        session.config.pluginmanager.register(judge, "mutant-judge-reports")
        for mutant in Path(names_file).read_text().split():
            judge.judge(mutant)
        judge.teardown(None)
    return True
