"""The engines an index run can use: one registry, the settings' names, Ray loaded only when asked for."""

import subprocess
import sys

import pytest

from vidx.config import ENGINES
from vidx.errors import UsageError
from vidx.indexer.engines import REGISTRY, engine_factory


def test_the_setting_names_exactly_the_registered_engines():
    assert tuple(REGISTRY) == ENGINES


def test_an_unknown_engine_is_a_usage_error():
    with pytest.raises(UsageError, match="^engine must be one of local, ray, got 'spark'$"):
        engine_factory("spark")


def test_the_local_engine_never_imports_ray():
    code = (
        "import sys\nfrom vidx.indexer.engines import engine_factory\n"
        "print(engine_factory('local').__name__, 'ray' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "LocalEngine False\n"), result.stderr
