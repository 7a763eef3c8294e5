"""The private chromadb internals the store relies on (`assistant.chroma.private`) exist in
the installed chromadb: an upgrade that renames them fails here, by name, instead of leaving
stores that silently stop reloading or questions that hang on a frozen server."""

from __future__ import annotations

from importlib.metadata import version

from assistant.chroma.private import forget_system, http_session, missing_internals


def test_the_installed_chromadb_has_every_private_name_we_use() -> None:
    missing = missing_internals()
    assert not missing, (
        f"chromadb {version('chromadb')} no longer has {', '.join(missing)}: "
        "update assistant/chroma/private.py (store reloads and server timeouts depend on it)"
    )


def test_forget_system_makes_the_next_client_load_the_store_again(tmp_path) -> None:
    import chromadb
    from chromadb.config import Settings

    path = str(tmp_path / "chroma")
    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    # A client's `_server` is its System's API instance: shared while the System is cached.
    first = chromadb.PersistentClient(path=path, settings=settings)._server
    assert chromadb.PersistentClient(path=path, settings=settings)._server is first
    forget_system(path)
    assert chromadb.PersistentClient(path=path, settings=settings)._server is not first
    forget_system(str(tmp_path / "never-opened"))  # nothing cached: nothing to do


def test_http_session_of_a_client_without_one_is_none() -> None:
    assert http_session(object()) is None
