"""Connecting to a Ray cluster for one piece of work: an existing one at an address, or a local one started
on loopback for the run and stopped after it. Owns turning Ray's connection failures into
``ClusterUnavailable``."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from types import ModuleType

from verimath.errors import ClusterUnavailable, InputError, import_extra

CONNECT_TIMEOUT_S = 5.0
"""Seconds to wait for the cluster's head to accept a TCP connection before calling it unreachable (Ray itself
keeps retrying for minutes)."""


def ray_module(needed_by: str) -> ModuleType:
    """``ray``, or ``MissingExtra`` naming the ``ray`` extra."""
    return import_extra("ray", "ray", needed_by)


def check_reachable(address: str) -> None:
    """Refuse an address whose head does not accept connections, within ``CONNECT_TIMEOUT_S``."""
    if address == "auto":
        return  # resolved by Ray itself (a cluster already running on this machine)
    # Ray Client (ray://HOST:PORT) would wait 30 s on a dead port and leave its warning behind: check it too
    scheme, _, rest = address.rpartition("://")
    host, sep, port = rest.rpartition(":")
    if scheme not in ("", "ray") or not (sep and host and port.isdigit() and 0 < int(port) < 65536):
        raise InputError(f"{address!r} must look like HOST:PORT (the head's GCS port, 6379 by default) or "
                         f"ray://HOST:PORT (Ray Client, 10001 by default)", field="--ray-address")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ClusterUnavailable(f"cannot reach the Ray cluster at {address}: {reason}; is `ray start "
                                 f"--head` running there?") from None


@contextlib.contextmanager
def connected(address: str | None, *, needed_by: str = "--executor ray") -> Iterator[ModuleType]:
    """Ray, connected for the duration of the block: to the cluster at ``address``, or (None) to a local Ray
    started on 127.0.0.1 and stopped on exit. A connection this process already holds is used as it is and
    left open."""
    ray = ray_module(needed_by)
    if ray.is_initialized():
        yield ray
        return
    quiet = {"logging_level": logging.ERROR, "log_to_driver": False}
    try:
        if address:
            check_reachable(address)
            ray.init(address=address, **quiet)
        else:
            # Ray replaces 127.0.0.1 by the machine's address unless told it is not clustering (the variable
            # is named for Windows and macOS, where that is the default): a local run stays on loopback.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
            ray.init(include_dashboard=False, _node_ip_address="127.0.0.1", **quiet)
    except (ConnectionError, RuntimeError, TimeoutError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClusterUnavailable(f"cannot connect to the Ray cluster at {address or 'a local Ray'}: "
                                 f"{first}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def lost(ray: ModuleType, exc: BaseException) -> bool:
    """Whether ``exc`` says the cluster itself (not one worker) is gone."""
    return isinstance(exc, ray.exceptions.RaySystemError | ConnectionError)
