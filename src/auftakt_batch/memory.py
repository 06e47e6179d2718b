"""Memory a stage freed, handed back to the system.

glibc's allocator keeps what a stage frees — a parse's buffers, the text made to fingerprint a
year's entries — in the process's heap for later allocations instead of returning it, so a run
would hold its largest stage's peak to the end. `release()` asks it to return what it holds free
(malloc_trim); where the C library has no such call (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


def release() -> None:
    """Return the heap's free memory to the system, where the C library can (a few milliseconds)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim():  # noqa: ANN202 - a ctypes function, or None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
