"""The C library functions Python does not wrap, reached through ctypes where the platform has them.

Three are used: renameat2 (write.py swaps the site in with one call), prctl
(parallel.py has a worker die with its parent) and mallopt (below). Each is taken
from the C library this process already runs on (`ctypes.CDLL(None)`):
ctypes.util.find_library would cost a tenth of a second of imports on every build.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


@functools.cache
def c_function(name: str) -> Any | None:
    """The C library's function `name` (errno kept for ctypes.get_errno), or None where there is
    none: another C library (macOS has no renameat2 or mallopt), or a platform where ctypes
    cannot open the running one by None (Windows)."""
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError, TypeError):
        return None


def keep_freed_memory() -> None:
    """Have glibc's malloc keep memory it frees for the next allocation (where malloc is glibc's).

    By default it hands freed memory back to the kernel (trimming the heap above 128 KiB
    free, unmapping blocks it mapped one by one) and takes fresh pages again moments
    later, each page fault a kernel round trip: a cold build of 10,000 page dumps
    took 950,000 page faults, 720,000 with these settings, and a second less of
    system time. Up to 256 MiB freed stays with the process; blocks from 32 MiB on
    are still mapped on their own (and returned when freed). Forked workers inherit it.
    Without mallopt the allocator's defaults stay.
    """
    mallopt = c_function("mallopt")
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, 32 << 20)
        mallopt(_M_TRIM_THRESHOLD, 256 << 20)
