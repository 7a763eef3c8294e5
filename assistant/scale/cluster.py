"""Connecting an ingest to a Ray cluster, or to a private one started on this machine."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from assistant.errors import ConfigError

__all__ = ["INSTALL_HINT", "LOCAL", "connected", "import_ray"]

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'news-assistant[scale]'"
# `--ray auto`: a private cluster of this machine, started for the ingest and stopped after.
LOCAL = "auto"
# The private cluster's shared-memory object store: the pipeline holds a few groups of
# articles at a time, and a 2-core machine has no memory to spare for Ray's default (30% of RAM).
LOCAL_OBJECT_STORE_BYTES = 400 * 1024 * 1024


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


@contextlib.contextmanager
def connected(address: str) -> Iterator[ModuleType]:
    """Ray, connected to the cluster at `address` ("host:port" of its head, or `LOCAL`) for
    the duration. A connection the caller already made is used as it is and left open."""
    if address == LOCAL:
        # Ray binds a private cluster to this machine's network address unless told that it
        # has no other nodes; on loopback nothing outside the machine can reach it. Read when
        # Ray is first imported.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
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
    try:
        if address == LOCAL:
            ray.init(
                address="local",
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
        yield ray
    finally:
        ray.shutdown()  # disconnects; stops the cluster only when it was our private one
