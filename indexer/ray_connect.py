"""This process connected to a Ray cluster by its head's address, or one line saying why not and what to do.

Left to itself, ray.init tries a head that does not answer 20 times at about 41 s each (14 minutes), and then,
whatever went wrong, says only "Failed to connect to Ray cluster". Here the head's port is tried first, in
seconds; ray.init's own wait is bounded; and the reason Ray found is kept in the line.
"""

from __future__ import annotations

import logging
import os
import socket

import ray
from ray.exceptions import RayError

from vidx.errors import VidxError

from .ray_compat import local_node_ids, reload_config

PORT_SECONDS = 3.0
# ray.init's wait for a head whose port answers: one try (Ray's default is 20, for a head still starting), of
# two 5-s connections and then at most 10 s for the cluster's id (Ray's default 30): about 21 s. Ray reads the
# tries from the environment at each ray.init, the seconds from its C++ config (see reload_config).
LIMITS = {"RAY_gcs_server_port_wait_time_s": "1", "RAY_py_gcs_connect_timeout_s": "10"}
# What ray.init says when no node of the cluster runs on the driver's machine (after 60 s of looking).
NOT_A_NODE = "No node info found matching attributes"


def connect(address: str) -> None:
    """ray.init(address) for one indexing run; raises VidxError with Ray's reason and what to do."""
    head = _host_port(address)
    if head is not None:  # "auto" and Ray Client's ray:// addresses are Ray's to resolve
        _check_port(address, *head)
        if not local_node_ids():
            raise VidxError(_line(address, "no Ray node runs on this machine", _not_a_node(address)))
    saved = {key: os.environ.get(key) for key in LIMITS}
    for key, value in LIMITS.items():
        os.environ.setdefault(key, value)  # a user's own setting stands
    reload_config()
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError, RayError) as e:
        _restore(saved)
        reload_config()
        raise VidxError(_explain(address, e)) from None
    # Connected: Ray's config keeps the limits until the next ray.init reads the environment again.
    _restore(saved)


def _restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _host_port(address: str) -> tuple[str, int] | None:
    host, colon, port = address.rpartition(":")
    if not colon or not port.isdigit() or "://" in address:
        return None
    return host.strip("[]"), int(port)  # an IPv6 host comes in brackets


def _check_port(address: str, host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=PORT_SECONDS):
            return
    except socket.gaierror as e:
        raise VidxError(_line(address, f"cannot resolve {host} ({e.strerror})", "correct ray.address")) from None
    except TimeoutError:
        reason = f"port {port} did not answer within {PORT_SECONDS:g} s"
        raise VidxError(_line(address, reason, "is the head up, and its port open to this machine?")) from None
    except OSError as e:
        reason = f"nothing answers on port {port} ({(e.strerror or str(e)).lower()})"
        advice = f"start the head (ray start --head --port={port}) or correct ray.address"
        raise VidxError(_line(address, reason, advice)) from None


def _explain(address: str, error: BaseException) -> str:
    """ray.init's failure as one line: the innermost reason Ray gave, and what to do about it."""
    kind, reason = _reason(error)
    if NOT_A_NODE in reason:
        return _line(address, f"no Ray node of this cluster runs on this machine ({reason})", _not_a_node(address))
    if kind == "AuthenticationError":
        if os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
            advice = (
                "the cluster requires token authentication: export RAY_AUTH_MODE=token, with the cluster's token "
                "in ~/.ray/auth_token (or RAY_AUTH_TOKEN)"
            )
        else:
            advice = (
                "this machine's token is not the cluster's: copy the head's ~/.ray/auth_token here "
                "(or set RAY_AUTH_TOKEN)"
            )
        return _line(address, reason, advice)
    if kind == "RpcError":
        port = address.rpartition(":")[2]
        return _line(address, reason, f"is {port} the port of the head's GCS (ray start --head --port=...)?")
    return _line(address, reason, "")


def _reason(error: BaseException) -> tuple[str, str]:
    """The innermost exception's class name and first sentence. Ray keeps the last try's error only as the text
    of a traceback, whose last line is `module.Class: message`."""
    while error.__cause__ is not None:
        error = error.__cause__
    kind, text = type(error).__name__, str(error).strip()
    if "Traceback (most recent call last)" in text:
        last = text.splitlines()[-1]
        name, _, text = last.partition(": ")
        kind = name.rpartition(".")[2]
    text = text.splitlines()[0] if text else kind
    text = text.split(". ")[0].rstrip(".").removeprefix("RPC error: ")
    return kind, text


def _not_a_node(address: str) -> str:
    return (
        "a driver reaches a cluster through a node of it on its machine: "
        f"run ray start --address={address} --num-cpus=0 here first"
    )


def _line(address: str, reason: str, advice: str) -> str:
    return f"Cannot reach the Ray cluster at {address}: {reason}" + (f"; {advice}" if advice else "")
