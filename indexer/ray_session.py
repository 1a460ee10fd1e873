"""Ray for one indexing run, quietly: started or connected, and stopped or left as the caller had it."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

import ray

from .ray_compat import stop_auto_init, worker_logs_hidden
from .ray_connect import connect


@contextlib.contextmanager
def session(address: str) -> Iterator[None]:
    """Ray for one run: a local one started and stopped, or a connection to a cluster opened and closed. A
    process that already called ray.init (a notebook) keeps its Ray as it is."""
    if ray.is_initialized():
        yield
        return
    # Ray Data's threads can outlive a run that ended early by a moment; a Ray call from one after ray.shutdown
    # would start (or connect) a new Ray in this process. Off for the life of the process: vidx calls ray.init.
    stop_auto_init()
    # This process's C++ log says at error level, for each actor, that its constructor arguments are in the
    # object store (Ray Data puts them there). At fatal level it prints one line announcing the level, during
    # init, where _stderr_silenced swallows it.
    saved = {k: os.environ.get(k) for k in ("RAY_USAGE_STATS_ENABLED", "RAY_BACKEND_LOG_LEVEL")}
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    try:
        with _stderr_silenced():
            if address == "local":
                # Token auth is Ray's default for a local cluster (since 2.60): its ports listen on every interface.
                ray.init(
                    address="local",
                    include_dashboard=False,
                    object_store_memory=256 * 2**20,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                )
            else:
                connect(address)
        yield
    finally:
        ray.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """File descriptor 2 to /dev/null: what Ray's C++ side prints while it starts. Errors still raise."""
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Keep vidx's output its own while Ray runs: Ray Data's notices, and the raylet's lines about dead workers
    and nodes, which Ray prints to stdout whatever log_to_driver says (they would break `--json`). The summary
    reports what they mean, and Ray's logs on each node keep them."""
    # Ray Data's notices, and the notice that a local Ray turned token auth on, its default.
    loggers = [logging.getLogger(name) for name in ("ray.data", "ray._private.authentication")]
    levels = [x.level for x in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with worker_logs_hidden():
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
