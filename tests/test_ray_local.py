"""`--ray auto`: the private cluster of this machine listens on loopback only.

Ray is imported before the ingest starts, as any program that uses Ray itself would: Ray
reads at import whether a cluster may span machines, and its servers listen on every
interface unless the node's address is 127.0.0.1. The cluster's listening sockets are
listed (`ss -ltnp`) while the ingest runs, from inside its last step.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
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


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "RAY_"))}
    env.update(ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["PYTHONPATH"] = str(REPO / "tests")
    return env


def _articles(tmp_path: Path) -> Path:
    if shutil.which("ss") is None:
        pytest.skip("no `ss` here to list listening sockets")
    pytest.importorskip("ray")
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "cranes.txt").write_text(ARTICLE, encoding="utf-8")
    return folder


def test_the_private_cluster_listens_on_loopback_only(tmp_path: Path, chroma_url: str) -> None:
    folder = _articles(tmp_path)
    out = tmp_path / "listening.json"
    env = _env()
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


# `assistant ingest --ray auto` (the CLI), held in its last step after writing its
# descendants (the cluster's processes, and the watchdog, which exits once they are gone) to
# a file.
HELD_INGEST = r"""
import json, os, sys, time
from pathlib import Path

import assistant.scale.ray_ingest as ray_ingest
from test_ray_local import _descendants

out = Path(os.environ["CLUSTER_PIDS"])


def write_pids_then_hold(*args, **kwargs):
    pids = sorted(_descendants(os.getpid()))
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(pids), encoding="utf-8")
    os.replace(tmp, out)
    while True:  # until the test kills this process
        time.sleep(1)


ray_ingest.finish_ingest = write_pids_then_hold
from assistant.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_killed_driver_leaves_no_listener_behind(tmp_path: Path, chroma_url: str) -> None:
    folder = _articles(tmp_path)
    pids_file = tmp_path / "cluster.json"
    left: set[int] = set()
    proc = subprocess.Popen(
        [sys.executable, "-c", HELD_INGEST, "ingest", str(folder), "--store",
         str(tmp_path / "store"), "--chroma-url", chroma_url, "--ray", "auto"],
        cwd=REPO,
        env={**_env(), "CLUSTER_PIDS": str(pids_file)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not pids_file.exists():
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the ingest never reached its last step"
            time.sleep(0.1)
        cluster = set(json.loads(pids_file.read_text(encoding="utf-8")))
        assert _listeners(cluster), "the cluster had no listening socket to leave behind"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # The cluster's processes, and whatever they started since, must all go.
        deadline = time.monotonic() + 60
        while True:
            left = {p for p in cluster | set().union(*map(_descendants, cluster)) if _alive(p)}
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert _listeners(left) == []
        assert left == set()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in left:  # what a failed run left: not to disturb the tests after it
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
