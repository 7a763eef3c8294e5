"""Give freed heap memory back to the operating system between the phases of an ingest."""

from __future__ import annotations

import functools
from collections.abc import Callable

__all__ = ["release_free_memory"]


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # the C library loaded
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        return None
    return trim


def release_free_memory() -> None:
    """Return freed heap memory to the OS (glibc; a no-op elsewhere).

    Chroma's calls run on its own threads, and glibc keeps what a thread frees in that
    thread's arena for its later use, so one phase's freed memory is not reused by the next
    (embedding, writing, building BM25) and their peaks stack (docs/performance.md: ingest).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
