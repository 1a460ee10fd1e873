"""The rough edges a new user still hit after issue 15, each through the real CLI (issue 24): one clear line, the
right exit code, no traceback."""

import pytest


@pytest.mark.parametrize(
    ("home", "command", "reason"),
    [
        ("/etc/passwd/x", ["status"], "/etc/passwd is not a folder"),
        ("/proc/x", ["query", "moving"], "/proc: no such file or directory"),
        ("/sys/x", ["status"], "/sys: operation not permitted"),
        ("/sys/x", ["model", "import", "/nowhere"], "/sys: operation not permitted"),
    ],
)
def test_a_home_that_cannot_be_created_is_one_line(run, home, command, reason):
    result = run("--home", home, *command, check=False)
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        f"Error: The home {home} cannot be created ({reason})\n",
    )
