"""A `chroma run` server on 127.0.0.1 for a benchmark, stopped when the block ends."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _up(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def chroma_server(data: Path) -> Iterator[str]:
    """`chroma run --path data` on a free loopback port; yields its URL."""
    exe = shutil.which("chroma", path=os.path.dirname(sys.executable))
    if exe is None:
        raise SystemExit("the `chroma` executable is not installed next to this Python")
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (data.parent / f"chroma-{port}.log").open("wb")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(data), "--port", str(port), "--host", "127.0.0.1"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 60
        while not _up(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"chroma run did not start; see {log.name}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()
