"""Connecting an ingest to a Ray cluster, or to a private one started on this machine."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import socket
from collections.abc import Iterator
from types import ModuleType
from typing import IO, Any

from assistant.errors import ClusterError, ConfigError
from assistant.scale.watchdog import tell_session, watching

__all__ = ["INSTALL_HINT", "LOCAL", "check_address", "connected", "import_ray", "ray_installed"]

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'news-assistant[scale]'"
# `--ray auto`: a private cluster of this machine, started for the ingest and stopped after.
LOCAL = "auto"
# The private cluster's shared-memory object store: the pipeline holds a few groups of
# articles at a time, and a 2-core machine has no memory to spare for Ray's default (30% of RAM).
LOCAL_OBJECT_STORE_BYTES = 400 * 1024 * 1024


def ray_installed() -> None:
    """Nothing, or a `ConfigError` saying how to install Ray; Ray is not imported (what a
    private cluster must be told is read at its import, see `connected`)."""
    if importlib.util.find_spec("ray") is None:
        raise ConfigError(
            f"--ray needs Ray, which is not installed here: {INSTALL_HINT} (on this machine "
            "and on every machine of the Ray cluster)"
        )


def import_ray() -> ModuleType:
    """Ray, or a `ConfigError` saying how to install it."""
    # No usage reports leave the machine (read when Ray starts or connects).
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise ConfigError(
            f"--ray needs Ray, which is not installed here: {INSTALL_HINT} (on this machine "
            "and on every machine of the Ray cluster)"
        ) from None
    return ray


# How long connecting to a cluster may take. Ray itself waits minutes for a head that does
# not answer (it retries the GCS), and the ingest would hold the store's lease meanwhile.
CONNECT_TIMEOUT_S = 20.0
LOOPBACK = "127.0.0.1"
# The private cluster's processes read these: the raylet's agents learn of its death through
# a pipe (by polling, one of them outlives a SIGKILLed driver for minutes), and they give up
# on a dead GCS within seconds instead of retrying for a minute.
_PRIVATE_ENV = {
    "RAY_enable_pipe_based_agent_to_parent_health_check": "1",
    "RAY_gcs_rpc_server_reconnect_timeout_s": "5",
}


def _session_dir(ray: ModuleType) -> str:
    """The private cluster's session folder (its processes name it), or "" when this Ray
    does not say where it is."""
    node = getattr(getattr(ray, "_private", None), "worker", None)
    node = getattr(node, "_global_node", None)
    try:
        return str(node.get_session_dir_path()) if node is not None else ""
    except Exception:  # Ray's private API: the watchdog still has the process tree
        return ""


def check_address(address: str) -> tuple[str, int]:
    """`address` ("host:port" of a cluster's head) split, or a `ConfigError` saying why not."""
    host, sep, port = address.strip().rpartition(":")
    host = host.strip("[]")
    if not address.strip():
        raise ConfigError(
            "--ray needs an address: the cluster head's host:port, or auto for a cluster of "
            "this machine alone"
        )
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"--ray {address!r} is not an address like HEAD:6379 (the cluster head's "
            "host:port), nor auto"
        )
    return host, int(port)


def _reachable(address: str, timeout: float) -> None:
    """Raise a `ConfigError` unless the head at `address` accepts a connection in time: Ray
    would wait for it for minutes, holding the caller's lease."""
    host, port = check_address(address)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        why = "no answer" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise ConfigError(
            f"cannot reach the Ray cluster at --ray {address} within {timeout:g} s ({why}). "
            "Check the head's host:port and that `ray start --head` runs there, or use "
            "--ray auto for a cluster of this machine alone."
        ) from None


def _private_cluster_on_loopback(ray: ModuleType) -> None:
    """Make Ray see this machine as a one-node cluster on loopback.

    Ray's servers listen on every interface unless the node's address is 127.0.0.1, and it
    replaces a 127.0.0.1 it is given by the machine's network address unless multi-node
    clusters are off, a switch it reads once, at import. So the switch is set before Ray is
    imported (by `import_ray`) and, if Ray was imported earlier, on its loaded constants.
    """
    constants = getattr(getattr(ray, "_private", None), "ray_constants", None)
    if constants is not None and getattr(constants, "ENABLE_RAY_CLUSTER", False):
        constants.ENABLE_RAY_CLUSTER = False


@contextlib.contextmanager
def connected(address: str, *, timeout: float = CONNECT_TIMEOUT_S) -> Iterator[ModuleType]:
    """Ray, connected to the cluster at `address` ("host:port" of its head, or `LOCAL`) for
    the duration. A connection the caller already made is used as it is and left open.

    A head that does not accept a connection within `timeout` is a `ConfigError`. The
    private cluster of `LOCAL` listens on 127.0.0.1 only, and its processes end with it."""
    if address == LOCAL:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read at import
        for name, value in _PRIVATE_ENV.items():
            os.environ.setdefault(name, value)  # read by the cluster's processes
    else:
        _reachable(address, timeout)
    quiet = logging.getLogger().getEffectiveLevel() > logging.INFO
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    kwargs: dict[str, Any] = {
        "logging_level": logging.ERROR if quiet else logging.INFO,
        # Workers' output stays in the cluster's logs; failures come back as exceptions.
        "log_to_driver": not quiet,
    }
    with contextlib.ExitStack() as stack:
        # A private cluster's processes outlive a SIGKILLed driver (Ray's own checks leave a
        # listening agent behind): a watchdog process stops them by process id.
        watchdog = stack.enter_context(watching()) if address == LOCAL else None
        yield from _connect(ray, address, kwargs, watchdog)


def _connect(
    ray: ModuleType, address: str, kwargs: dict[str, Any], watchdog: IO[bytes] | None
) -> Iterator[ModuleType]:
    """`connected`'s connection, made (the private cluster started) and closed."""
    try:
        if address == LOCAL:
            _private_cluster_on_loopback(ray)
            ray.init(
                address="local",
                _node_ip_address=LOOPBACK,
                num_cpus=os.cpu_count() or 1,
                object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                include_dashboard=False,
                **kwargs,
            )
        else:
            ray.init(address=address, **kwargs)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ConfigError(
            f"cannot connect to the Ray cluster at --ray {address} ({exc}). Start its head "
            "with `ray start --head --port PORT` and give --ray HOST:PORT (with the cluster's "
            "token in RAY_AUTH_TOKEN and RAY_AUTH_MODE=token when it uses token "
            "authentication), or use --ray auto for a cluster of this machine alone."
        ) from None
    try:
        if address == LOCAL:
            tell_session(watchdog, _session_dir(ray))
        if address == LOCAL and ray.util.get_node_ip_address() != LOOPBACK:
            raise ClusterError(
                "the private Ray cluster of --ray auto did not start on 127.0.0.1 "
                f"(it is on {ray.util.get_node_ip_address()}), so it would be reachable from "
                "the network; it was stopped"
            )
        yield ray
    finally:
        ray.shutdown()  # disconnects; stops the cluster only when it was our private one
