"""Run a command while other processes keep every core busy: the test suite under load.

    python benchmarks/busy.py [--workers N] [--seconds S] -- COMMAND...

The burners are separate processes spinning in pure Python; they stop when the command
exits, or after `--seconds` whatever happens (so a stuck run never leaves them behind).
The command's exit status is returned.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import time


def _burn(deadline: float) -> None:
    x = 0
    while time.monotonic() < deadline:
        for _ in range(100_000):
            x = (x * 31 + 7) % 1_000_003


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seconds", type=float, default=3600.0, help="burn at most this long")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    deadline = time.monotonic() + args.seconds
    burners = [mp.Process(target=_burn, args=(deadline,), daemon=True) for _ in range(args.workers)]
    for b in burners:
        b.start()
    print(f"busy.py: {args.workers} burners for at most {args.seconds:.0f}s", file=sys.stderr)
    try:
        return subprocess.call(command)
    finally:
        for b in burners:
            b.terminate()
            b.join()


if __name__ == "__main__":
    sys.exit(main())
