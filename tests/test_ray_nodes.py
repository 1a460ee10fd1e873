"""Nodes lost mid-run, on a cluster of three Ray nodes on this machine: a head without CPUs (the driver's
side) and two one-CPU workers. Nothing is lost or committed twice, and the next run completes what a run
could not finish. vidx connects by address, as `vidx index --engine ray --address HOST:6379` does."""

import shutil
import threading

import processes
import pytest
import raytools

import vidx

SLOW = "0.05"  # VIDX_DEBUG_DECODE_DELAY: 2 s a file, so there is a run to cut into


@pytest.fixture(scope="module")
def cluster():
    cluster_utils = pytest.importorskip("ray.cluster_utils", reason="the ray extra is not installed")
    with processes.marking() as mark:
        made = cluster_utils.Cluster(
            initialize_head=True,
            head_node_args={
                "num_cpus": 0,
                "include_dashboard": False,
                "object_store_memory": 100 * 2**20,
                # A lost node is found in about 3 s, not Ray's 15 (5 missed checks, 3 s apart): the tasks it held
                # are retried sooner; what vidx commits and when it gives up are the same.
                "_system_config": {"health_check_period_ms": 1000, "health_check_failure_threshold": 3},
            },
        )
        for _ in range(2):
            made.add_node(num_cpus=1, object_store_memory=100 * 2**20)
    yield made
    made.shutdown()
    assert processes.wait_until_gone(mark) == {}, "Ray processes left behind"


def index(root, address, timeout, progress=None):
    settings = {"ray.address": address, "index.timeout": timeout, "ray.cpus_per_worker": 1}
    with vidx.Library(settings=settings) as lib:
        return lib.index(root, progress=progress, engine="ray")


def remove_a_node_after(cluster, files):
    """A progress callback that kills a worker node (its raylet and workers, SIGKILL) once `files` are done."""
    node = next(iter(cluster.worker_nodes))

    def progress(event):
        if event.outcome == "indexed" and event.done == files:
            threading.Thread(target=cluster.remove_node, args=(node, False)).start()

    return progress


def test_a_node_lost_mid_run_loses_and_doubles_nothing(imported, lib, tmp_path, vidx_home, cluster, monkeypatch):
    shutil.copytree(vidx_home / "models", tmp_path / "local-home" / "models", symlinks=True)
    with vidx.Library(home=tmp_path / "local-home") as local:
        assert local.index(lib).added == 6
    monkeypatch.setenv("VIDX_DEBUG_DECODE_DELAY", SLOW)
    summary = index(lib, cluster.address, 10, remove_a_node_after(cluster, 1))
    assert len(cluster.worker_nodes) == 1
    assert (summary.added, summary.failed, summary.clips_embedded) == (6, [], 11)
    raytools.assert_same_index(tmp_path / "local-home", vidx_home)
    again = index(lib, cluster.address, 10)
    assert (again.unchanged, again.clips_embedded) == (6, 0)


def test_the_last_node_lost_ends_the_run_and_the_next_run_completes_it(imported, lib, cluster, monkeypatch):
    if not cluster.worker_nodes:
        cluster.add_node(num_cpus=1, object_store_memory=100 * 2**20)
    while len(cluster.worker_nodes) > 1:
        cluster.remove_node(next(iter(cluster.worker_nodes)), False)
    monkeypatch.setenv("VIDX_DEBUG_DECODE_DELAY", SLOW)
    # index.timeout 3: the run gives up after 6 s of silence (a file takes 2 s, as 4 s took 10 s of silence).
    cut = index(lib, cluster.address, 3, remove_a_node_after(cluster, 1))
    assert cut.added >= 1 and cut.added + len(cut.failed) == 6
    unfinished = sorted(f.path for f in cut.failed)
    assert [f.error for f in sorted(cut.failed, key=lambda f: f.path)] == [
        f"{path}: not indexed, no Ray worker made progress for 6 s; the next run tries it" for path in unfinished
    ]
    with vidx.Library() as lib_:
        assert lib_.failures() == [], "unfinished files are not recorded as failed"
    # The run that completes the cut one need not be slow; a node started now would pass the delay to its workers.
    monkeypatch.delenv("VIDX_DEBUG_DECODE_DELAY")
    cluster.add_node(num_cpus=1, object_store_memory=100 * 2**20)
    done = index(lib, cluster.address, 5)
    assert (done.added, done.unchanged, done.failed) == (len(unfinished), cut.added, [])
    with vidx.Library() as lib_:
        status = lib_.status()
    assert (status["videos"], status["clips"], status["vectors"]) == (6, 11, 11)
