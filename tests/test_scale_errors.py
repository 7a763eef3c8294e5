"""`assistant ingest --ray` refuses what cannot work with a sentence naming the fix, before
it starts anything (no Ray cluster, no model, no server here)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from assistant.cli import main

ARTICLE = "Harbour cranes idle\n\nThe harbour cranes in Ostbury stood idle after a power fault.\n"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def test_without_ray_installed_the_error_says_how_to_install_it(
    tmp_path: Path, write_files, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as in a base install: import fails
    folder = write_files({"cranes.txt": ARTICLE})
    code, err = _run(
        ["ingest", str(folder), "--ray", "auto", "--store", str(tmp_path / "s")], capsys
    )
    assert code == 2
    assert "--ray needs Ray" in err and "pip install 'news-assistant[scale]'" in err
    assert "Traceback" not in err


def test_ray_needs_a_chroma_server(tmp_path: Path, write_files, capsys) -> None:
    pytest.importorskip("ray")
    folder = write_files({"cranes.txt": ARTICLE})
    code, err = _run(
        ["ingest", str(folder), "--ray", "auto", "--store", str(tmp_path / "s")], capsys
    )
    assert code == 2
    assert "ASSISTANT_CHROMA_URL (--chroma-url)" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "option", [["--ray-actors", "0"], ["--ray-actor-cpus", "0"], ["--ray-batch", "0"]]
)
def test_ray_options_must_be_positive(
    tmp_path: Path, write_files, capsys, option: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")
    import assistant.scale.ray_ingest as ray_ingest

    # Past the server check (no server runs here): the options are checked next.
    monkeypatch.setattr(ray_ingest.Store, "is_server", property(lambda self: True))
    folder = write_files({"cranes.txt": ARTICLE})
    args = ["ingest", str(folder), "--ray", "auto", "--store", str(tmp_path / "s"), *option]
    code, err = _run(args, capsys)
    assert code == 2 and "must be positive" in err


def test_an_empty_ray_address_is_refused_not_read_as_a_local_ingest(
    tmp_path: Path, write_files, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")
    import assistant.scale.ray_ingest as ray_ingest

    monkeypatch.setattr(ray_ingest.Store, "is_server", property(lambda self: True))
    folder = write_files({"cranes.txt": ARTICLE})
    code, err = _run(["ingest", str(folder), "--ray", "", "--store", str(tmp_path / "s")], capsys)
    assert code == 2 and "--ray needs an address" in err, err  # not a local ingest (exit 0)


def _unanswered_port() -> tuple[socket.socket, list[socket.socket], int]:
    """A loopback port that never completes a connection: its listener accepts none and its
    backlog is full, so the kernel drops further connection attempts (as a firewall would)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers: list[socket.socket] = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)
    return listener, fillers, port


@pytest.mark.parametrize("kind", ["refused", "unanswered"])
def test_an_unreachable_ray_address_fails_in_time_without_taking_the_lease(
    tmp_path: Path, write_files, capsys, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    pytest.importorskip("ray")
    import assistant.scale.cluster as cluster
    import assistant.scale.ray_ingest as ray_ingest

    monkeypatch.setattr(ray_ingest.Store, "is_server", property(lambda self: True))
    locked: list[bool] = []
    monkeypatch.setattr(ray_ingest.Store, "ingest_lock", lambda self: locked.append(True))
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1.0)
    monkeypatch.setattr(cluster.connected, "__kwdefaults__", {"timeout": 1.0})
    if kind == "refused":
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port, sockets = probe.getsockname()[1], [probe]  # bound, never listening: refused
    else:
        listener, fillers, port = _unanswered_port()
        sockets = [listener, *fillers]
    folder = write_files({"cranes.txt": ARTICLE})
    try:
        args = ["ingest", str(folder), "--ray", f"127.0.0.1:{port}", "--store", str(tmp_path)]
        code, err = _run(args, capsys)
    finally:
        for s in sockets:
            s.close()
    assert code == 2, err
    assert f"cannot reach the Ray cluster at --ray 127.0.0.1:{port}" in err, err
    assert "Traceback" not in err
    assert locked == []  # the store's lock and the server's lease were never taken
