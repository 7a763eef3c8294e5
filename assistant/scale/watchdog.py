"""Stops `--ray auto`'s private cluster when its driver dies without stopping it.

Run as a script (standard library only, so it starts fast and imports nothing of the
assistant) by `watching`, before the cluster starts. The driver holds the write end of a pipe
to this process's stdin: "done" on it means the driver stopped the cluster itself; end of
file without it means the driver died (SIGKILL included). Meanwhile the driver's descendants
born after this process started (the cluster's gcs_server, raylet, agents and workers) are
recorded, with their start times so that a reused process id is never taken for one of them;
when the driver dies they, their descendants and any process naming the cluster's session
folder are killed by process id. `ray stop` would stop every Ray cluster of the machine.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["tell_session", "watching"]

# How often the driver's descendants are recorded while it lives: a worker that starts and
# is orphaned between two looks is still found through its parent or the session folder.
_POLL_S = 0.5
# How long the sweep goes on killing what the dying cluster still starts.
_SWEEP_S = 20.0


def _processes() -> dict[int, tuple[int, str]]:
    """Every process: its parent and start time (from /proc)."""
    out: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":  # a zombie is dead already, whoever reaps it
            out[int(entry.name)] = (int(fields[1]), fields[19])
    return out


def _descendants(roots: set[int], procs: dict[int, tuple[int, str]]) -> set[int]:
    found: set[int] = set()
    frontier = roots
    while frontier:
        frontier = {pid for pid, (ppid, _) in procs.items() if ppid in frontier} - found
        found |= frontier
    return found


def _names_session(pid: int, session: str) -> bool:
    try:
        return session.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _sweep(recorded: dict[int, str], session: str | None) -> None:
    """Kill the recorded processes still alive (same start time), those naming `session`,
    and their descendants, until none is left or the sweep's time is up."""
    deadline = time.monotonic() + _SWEEP_S
    me = os.getpid()
    while time.monotonic() < deadline:
        procs = _processes()
        roots = {pid for pid, start in recorded.items() if procs.get(pid, (0, ""))[1] == start}
        if session:
            roots |= {pid for pid in procs if pid != me and _names_session(pid, session)}
        doomed = (roots | _descendants(roots, procs)) - {me}
        if not doomed:
            return
        for pid in doomed:
            recorded.setdefault(pid, procs[pid][1])
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)  # let the kernel reap before looking again


def _watch(driver: int) -> None:
    procs = _processes()
    before = _descendants({driver}, procs) | {os.getpid()}
    recorded: dict[int, str] = {}
    session: str | None = None
    buffer = b""
    while True:
        ready, _, _ = select.select([sys.stdin.buffer], [], [], _POLL_S)
        procs = _processes()
        for pid in _descendants({driver}, procs) - before:
            recorded.setdefault(pid, procs[pid][1])
        if not ready:
            continue
        data = os.read(sys.stdin.fileno(), 4096)
        buffer += data
        lines = buffer.decode(errors="replace").splitlines()
        if "done" in lines:
            return  # the driver stopped its cluster itself
        # Only a real folder's name: an empty one would match every process.
        session = next((ln[8:] for ln in lines if ln.startswith("session /")), session)
        if not data:  # end of file without "done": the driver died
            _sweep(recorded, session)
            return


@contextlib.contextmanager
def watching() -> Iterator[IO[bytes] | None]:
    """A watchdog over this process for the private cluster started inside the context;
    yields the pipe to tell it the cluster's session folder (`tell_session`). Leaving the
    context normally or by an exception tells it the cluster was stopped."""
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", __file__, str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives a Ctrl-C sent to the driver's process group
        )
    except OSError:
        yield None  # no watchdog: a killed driver may leave the cluster behind, as before
        return
    try:
        yield proc.stdin
    finally:
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.write(b"done\n")
            proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


def tell_session(pipe: IO[bytes] | None, session_dir: str) -> None:
    """Tell the watchdog the private cluster's session folder."""
    if pipe is not None and session_dir:
        with contextlib.suppress(OSError):
            pipe.write(f"session {session_dir}\n".encode())
            pipe.flush()


if __name__ == "__main__":
    _watch(int(sys.argv[1]))
