"""Servers the tests start on loopback and stop themselves: `chroma run`, and Ray clusters of
several nodes on this machine (`ray start --head` plus `ray start --address`).

Every process is started in a session of its own, and stopping kills exactly the processes
of those sessions (by their ids, found in /proc): never `ray stop`, which would stop every
Ray cluster of the machine, other people's included.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import ClassVar

import pytest

BIN = Path(sys.executable).parent
# Ray authenticates every connection with a token. One per test session, handed to the nodes
# and to every driver through the environment (`RayCluster.auth_env`), so no test depends on
# (or writes) the user's ~/.ray/auth_token.
RAY_TOKEN = uuid.uuid4().hex


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def heartbeat(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_chroma(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`chroma run` on 127.0.0.1:port over `data`, once it answers its heartbeat."""
    exe = shutil.which("chroma", path=str(BIN))
    if exe is None:
        pytest.fail("the `chroma` executable is not installed next to this Python")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [exe, "run", "--path", str(data), "--port", str(port), "--host", "127.0.0.1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    deadline = time.monotonic() + 30
    while not heartbeat(port):
        if proc.poll() is not None:
            pytest.fail(f"chroma run exited with {proc.returncode}; see {log}")
        if time.monotonic() > deadline:
            stop_process(proc)
            pytest.fail(f"chroma run did not answer its heartbeat in 30 s; see {log}")
        time.sleep(0.2)
    return proc


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _session_of(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in ("Z", "X"):
        return None  # exited, waiting to be reaped
    return int(fields[3])  # after the name: state, ppid, pgrp, session


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def session_processes(sessions: set[int]) -> dict[int, str]:
    """pid -> command line of every live process in `sessions`."""
    out = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit() and _session_of(pid) in sessions:
            out[int(pid)] = _cmdline(pid)
    return out


class RayCluster:
    """A Ray cluster of `nodes` nodes on this machine, each with `cpus_per_node` CPUs and its
    own loopback address (127.0.0.2, 127.0.0.3, ...; Ray would otherwise pick the machine's
    network address). Stop it with `stop()`."""

    OBJECT_STORE_BYTES = 200 * 1024 * 1024
    # What a driver needs in its environment to connect (an explicit address never reads
    # ~/.ray/auth_token by itself).
    auth_env: ClassVar[dict[str, str]] = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": RAY_TOKEN}

    def __init__(self, nodes: int = 2, cpus_per_node: int = 1) -> None:
        # Short: Ray's socket paths under it must stay within the 107 bytes of a Unix socket.
        self.temp = Path(tempfile.mkdtemp(prefix="na-ray-", dir="/tmp"))
        self.port = free_port()
        self.address = f"127.0.0.2:{self.port}"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = {
            **os.environ,
            **self.auth_env,
            "RAY_USAGE_STATS_ENABLED": "0",
            "ANONYMIZED_TELEMETRY": "False",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
        common = [
            "--num-cpus",
            str(cpus_per_node),
            "--object-store-memory",
            str(self.OBJECT_STORE_BYTES),
            "--disable-usage-stats",
            "--block",
        ]
        try:
            self._start(
                "head",
                [
                    "--head",
                    "--node-ip-address",
                    "127.0.0.2",
                    "--port",
                    str(self.port),
                    "--include-dashboard",
                    "false",
                    "--dashboard-port",
                    str(free_port()),
                    "--ray-client-server-port",
                    str(free_port()),
                    "--temp-dir",
                    str(self.temp),
                    *common,
                ],
            )
            self._wait_for_port("127.0.0.2", self.port)
            for i in range(1, nodes):
                ip = f"127.0.0.{i + 2}"
                self._start(
                    f"node{i}",
                    ["--address", self.address, "--node-ip-address", ip, *common],
                )
        except BaseException:
            self.stop()
            raise
        self.nodes = nodes

    def _start(self, name: str, args: list[str]) -> None:
        log = (self.temp / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [str(BIN / "ray"), "start", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        log.close()
        self.procs.append(proc)

    def _wait_for_port(self, host: str, port: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection((host, port), timeout=1).close()
                return
            except OSError:
                if any(p.poll() is not None for p in self.procs):
                    pytest.fail(f"ray start exited; see the logs in {self.temp}")
                if time.monotonic() > deadline:
                    pytest.fail(f"the Ray head did not listen within {timeout:.0f} s")
                time.sleep(0.2)

    def wait_for_nodes(self, ray: object, timeout: float = 180) -> None:
        """Wait (in a driver connected to the cluster) until every node has joined."""
        deadline = time.monotonic() + timeout
        while len([n for n in ray.nodes() if n["Alive"]]) < self.nodes:  # type: ignore[attr-defined]
            if any(p.poll() is not None for p in self.procs):
                pytest.fail(f"ray start exited; see the logs in {self.temp}")
            if time.monotonic() > deadline:
                pytest.fail(f"{self.nodes} Ray nodes did not join within {timeout:.0f} s")
            time.sleep(0.2)

    @property
    def sessions(self) -> set[int]:
        return {p.pid for p in self.procs}

    def node_of(self, pid: int) -> int | None:
        """Which node (0 = head) a process of the cluster runs under, by its session."""
        session = _session_of(str(pid))
        for i, p in enumerate(self.procs):
            if p.pid == session:
                return i
        return None

    def processes(self, title: str) -> dict[int, str]:
        """The cluster's live processes whose command line (Ray's process title for workers,
        e.g. "ray::MapWorker(...)") starts with `title`."""
        return {
            pid: cmd
            for pid, cmd in session_processes(self.sessions).items()
            if cmd.startswith(title)
        }

    def stop(self) -> None:
        """SIGTERM every process of the cluster's sessions, SIGKILL what is left after 5 s."""
        for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
            for pid in session_processes(self.sessions):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                for p in self.procs:
                    p.poll()  # reap the leaders, which are our children
                if not session_processes(self.sessions):
                    break
                time.sleep(0.2)
        for p in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=5)
        shutil.rmtree(self.temp, ignore_errors=True)
