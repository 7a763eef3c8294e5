"""`--ray auto`: the private cluster of this machine listens on loopback only.

Ray is imported before the ingest starts, as any program that uses Ray itself would: Ray
reads at import whether a cluster may span machines, and its servers listen on every
interface unless the node's address is 127.0.0.1. The cluster's listening sockets are
listed (`ss -ltnp`) while the ingest runs, from inside its last step.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import free_port, start_chroma, stop_process

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent

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


# The ingest runs in a process of its own: Ray keeps what it read at import (another test
# module's token authentication, say) for the life of a process. It imports Ray first, then
# lists the cluster's listening sockets from inside the ingest's last step into a file.
INGEST = r"""
import json, os, sys
import ray  # first, as a program using Ray itself would

import assistant.scale.ray_ingest as ray_ingest
from assistant import Assistant
from assistant.scale.ray_ingest import RayOptions
from test_ray_local import _descendants, _listeners

out, folder, store, url = sys.argv[1:]
real = ray_ingest.finish_ingest


def listening_then_finish(*args, **kwargs):
    found = _listeners(_descendants(os.getpid()) | {os.getpid()})
    with open(out, "w") as fh:
        json.dump(found, fh)
    return real(*args, **kwargs)


ray_ingest.finish_ingest = listening_then_finish
report = Assistant(store=store, chroma_url=url).ingest([folder], ray=RayOptions("auto", actors=1))
assert report.added == 1, report
"""


def test_the_private_cluster_listens_on_loopback_only(tmp_path: Path, chroma_url: str) -> None:
    if shutil.which("ss") is None:
        pytest.skip("no `ss` here to list listening sockets")
    pytest.importorskip("ray")
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "cranes.txt").write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "listening.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "RAY_"))}
    env.update(ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["PYTHONPATH"] = str(REPO / "tests")
    proc = subprocess.run(
        [sys.executable, "-c", INGEST, str(out), str(folder), str(tmp_path / "store"), chroma_url],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(out.read_text(encoding="utf-8"))
    assert found, "no listening socket of the cluster was found"
    names = {a for a, _ in found}
    open_to_network = [a for a in names if not re.match(r"(\[::ffff:)?127\.0\.0\.1\]?:", a)]
    assert open_to_network == [], found
