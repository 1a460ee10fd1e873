"""The private parts of Ray that vidx relies on, each behind one function, for want of a public way.

Private parts change without notice: pyproject.toml pins the ray extra to the minor release tested, and
tests/test_ray_compat.py fails naming the Ray version when a release changes any of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def stop_auto_init() -> None:
    """Ray calls (ray.get, ray.put, ...) no longer start or connect a Ray when none is running, for the life of
    the process. RAY_ENABLE_AUTO_CONNECT=0 does the same, but only if set before Ray is first imported."""
    from ray._private import auto_init_hook

    auto_init_hook.enable_auto_connect = False


@contextlib.contextmanager
def worker_logs_hidden() -> Iterator[None]:
    """The lines Ray prints on this process's stdout about dead workers and nodes, off for the block: they
    come whatever `ray.init(log_to_driver=False)` says (Ray's debugger turns them off the same way)."""
    import ray._private.worker as ray_worker

    printing = ray_worker._worker_logs_enabled
    ray_worker._worker_logs_enabled = False
    try:
        yield
    finally:
        ray_worker._worker_logs_enabled = printing


def reload_config() -> None:
    """Ray's C++ config read again from the environment, as Ray does itself when it turns token auth on. It reads
    it once, when Ray is imported; the `RAY_<setting>` variables set after that count only from here on."""
    from ray._raylet import Config  # type: ignore[attr-defined]  # missing from Ray's stub of _raylet

    Config.initialize("")


def local_node_ids() -> list[str]:
    """The ids of the Ray nodes (raylets) running on this machine, of whichever cluster: ray.init connects a
    driver to a cluster only through one of that cluster's nodes on the driver's machine."""
    from ray._private.services import find_node_ids

    return find_node_ids()


def stop_execution(dataset) -> None:
    """Stop the streaming execution of a Ray `dataset` that another thread is iterating. A Dataset has no public
    way to; its executor is set once iteration has started (None before)."""
    executor = dataset._current_executor
    if executor is not None:
        executor.shutdown(force=True)
