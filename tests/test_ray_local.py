"""`--ray auto`: the private cluster of this machine listens on loopback only.

Ray is imported before the ingest starts, as any program that uses Ray itself would: Ray
reads at import whether a cluster may span machines, and its servers listen on every
interface unless the node's address is 127.0.0.1. The cluster's listening sockets are
listed (`ss -ltnp`) while the ingest runs, from inside its last step.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant
from tests.servers import free_port, start_chroma, stop_process

pytestmark = pytest.mark.slow

ARTICLE = (
    "Harbour cranes idle\n\nThe harbour cranes in Ostbury stood idle on Monday after a power "
    "fault, the port authority said. Repairs are expected to take two days.\n"
)


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = start_chroma(tmp_path / "chroma-data", port, tmp_path / "chroma.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def _descendants(root: int) -> set[int]:
    """This process's descendants (the private cluster's gcs_server, raylet, agents and
    workers), from /proc."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parent.items() if ppid in frontier} - found
        found |= frontier
    return found


def _listeners(pids: set[int]) -> list[tuple[str, int]]:
    """(local address, pid) of each TCP listening socket of `pids`."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        for pid in re.findall(r"pid=(\d+)", line):
            if int(pid) in pids:
                found.append((line.split()[3], int(pid)))
    return found


def test_the_private_cluster_listens_on_loopback_only(
    tmp_path: Path, chroma_url: str, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("ss") is None:
        pytest.skip("no `ss` here to list listening sockets")
    ray = pytest.importorskip("ray")  # imported first, as a program using Ray would
    if ray.is_initialized():
        ray.shutdown()
    import assistant.scale.ray_ingest as ray_ingest
    from assistant.scale.ray_ingest import RayOptions

    seen: list[list[tuple[str, int]]] = []
    real = ray_ingest.finish_ingest

    def listening_then_finish(*args: Any, **kwargs: Any) -> Any:
        seen.append(_listeners(_descendants(os.getpid()) | {os.getpid()}))
        return real(*args, **kwargs)

    monkeypatch.setattr(ray_ingest, "finish_ingest", listening_then_finish)
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "cranes.txt").write_text(ARTICLE, encoding="utf-8")
    a = Assistant(store=tmp_path / "store", embedder=embedder, chroma_url=chroma_url)
    report = a.ingest([folder], ray=RayOptions("auto", actors=1))
    assert report.added == 1, report
    assert seen and seen[0], "no listening socket of the cluster was found"
    names = {a for a, _ in seen[0]}
    open_to_network = [a for a in names if not re.match(r"(\[::ffff:)?127\.0\.0\.1\]?:", a)]
    assert open_to_network == [], seen[0]
