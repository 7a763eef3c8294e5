"""The only place that reaches into chromadb's private internals.

chromadb offers neither of the two things the store needs:

* a reload: an embedded client caches one `System` per path for the whole process (in
  `SharedSystemClient._identifier_to_system`), and a new client of that path reuses it, so a
  process never sees another's writes (`forget_system` drops it);
* a timeout: its HTTP client waits forever for a frozen server (`http_session` finds the
  httpx session to set one on).

Both are private attributes that a chromadb release may rename. `missing_internals` says
which are gone on the installed version; a test fails loudly on it, naming them, so an
upgrade is caught by the suite, not by a store that silently stops reloading.
"""

from __future__ import annotations

from typing import Any

__all__ = ["forget_system", "http_session", "missing_internals"]

# What `forget_system` uses: class attributes of chromadb.api.shared_system_client's
# SharedSystemClient (chromadb 1.x).
_SYSTEM_CACHES = ("_identifier_to_system", "_identifier_to_refcount")


def _shared_system_client() -> Any:
    from chromadb.api.shared_system_client import SharedSystemClient

    return SharedSystemClient


def forget_system(path: str) -> None:
    """Drop chromadb's cached System of the embedded store at `path`, so the next client of
    it loads the store again. The old System is not stopped: another client of this process
    may be mid-call on it; it is freed once nothing uses it."""
    cls = _shared_system_client()
    for name in _SYSTEM_CACHES:
        getattr(cls, name).pop(path, None)


def http_session(client: Any) -> Any | None:
    """The httpx session under a chromadb `HttpClient` (None where this version keeps it
    elsewhere: the caller then warns that a frozen server may hang)."""
    return getattr(getattr(client, "_server", None), "_session", None)


def missing_internals() -> list[str]:
    """The private chromadb names this module needs that the installed chromadb lacks
    (empty: all there)."""
    import httpx

    missing = []
    cls = _shared_system_client()
    for name in _SYSTEM_CACHES:
        if not isinstance(getattr(cls, name, None), dict):
            missing.append(f"chromadb.api.shared_system_client.SharedSystemClient.{name}")
    # Instance attributes, set in __init__: read from its code, as building an HTTP client
    # would reach for a server.
    from chromadb.api.client import Client
    from chromadb.api.fastapi import FastAPI

    for owner, name in ((Client, "_server"), (FastAPI, "_session")):
        code = getattr(getattr(owner, "__init__", None), "__code__", None)
        if name not in getattr(code, "co_names", ()):
            missing.append(f"{owner.__module__}.{owner.__qualname__}.{name}")
    if not hasattr(httpx, "Client"):
        missing.append("httpx.Client (the type of the HTTP client's session)")
    return missing
