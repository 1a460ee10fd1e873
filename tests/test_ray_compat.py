"""The private parts of Ray behind vidx.indexer.ray_compat still do what vidx needs: a Ray release that changes
one fails here, naming that release, before it fails a run."""

import io
import threading
import time
from importlib.metadata import requires

import processes
import pytest
from packaging.requirements import Requirement

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install -e '.[ray]')")

from vidx.indexer.ray_compat import stop_auto_init, stop_execution, worker_logs_hidden  # noqa: E402


def changed(what: str) -> str:
    return (
        f"Ray {ray.__version__} changed what vidx.indexer.ray_compat relies on: {what}. "
        "Adapt ray_compat, then move the pin of the ray extra in pyproject.toml"
    )


def test_the_installed_ray_is_the_one_the_extra_pins():
    (pin,) = [Requirement(r) for r in requires("vidx") if r.startswith("ray")]
    assert pin.specifier.contains(ray.__version__), (
        f"Ray {ray.__version__} is installed, the ray extra pins {pin.specifier}: run these tests on it, then move the pin"
    )


def test_ray_calls_no_longer_start_a_ray_once_auto_init_is_stopped(monkeypatch):
    from ray._private import auto_init_hook

    assert not ray.is_initialized(), "this test needs a process where Ray is not running"
    assert hasattr(auto_init_hook, "enable_auto_connect"), changed("auto_init_hook.enable_auto_connect is gone")
    started = []
    monkeypatch.setattr(auto_init_hook, "enable_auto_connect", True)
    monkeypatch.setattr(ray, "init", lambda *args, **kwargs: started.append(args))
    auto_init_hook.auto_init_ray()
    assert started == [()], changed("auto_init_hook.auto_init_ray no longer starts a Ray")
    stop_auto_init()
    auto_init_hook.auto_init_ray()
    assert started == [()], changed("enable_auto_connect = False no longer stops a Ray call from starting a Ray")


def test_worker_logs_are_hidden_in_the_block_and_shown_after_it():
    import ray._private.worker as ray_worker

    line = {"pid": "raylet", "ip": "10.0.0.2", "lines": ["A worker died or was killed"]}
    with worker_logs_hidden():
        hidden = io.StringIO()
        ray_worker.print_worker_logs(line, hidden)
    shown = io.StringIO()
    ray_worker.print_worker_logs(line, shown)
    assert hidden.getvalue() == "", changed("_worker_logs_enabled = False no longer hides the workers' logs")
    assert "A worker died or was killed" in shown.getvalue(), changed("print_worker_logs no longer prints them")


@pytest.fixture(scope="module")
def local_ray():
    with processes.marking() as mark:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
    assert processes.wait_until_gone(mark) == {}, "Ray processes left behind"


def test_stopping_an_execution_ends_its_iteration_in_another_thread(local_ray):
    def slow(batch):  # defined here, so Ray ships it by value to workers that cannot import this test module
        time.sleep(0.2)
        return batch

    dataset = ray.data.range(100, override_num_blocks=100).map_batches(slow, batch_size=None)
    dataset.context.enable_progress_bars = False
    assert hasattr(dataset, "_current_executor"), changed("Dataset._current_executor is gone")
    stop_execution(dataset)  # not started yet: nothing to stop
    rows = []
    pump = threading.Thread(target=lambda: rows.extend(dataset.iter_batches(batch_size=None, prefetch_batches=0)))
    pump.start()
    while not rows and pump.is_alive():
        time.sleep(0.05)
    stop_execution(dataset)
    pump.join(30)
    assert not pump.is_alive() and len(rows) < 100, changed("shutting down Dataset._current_executor no longer ends it")
