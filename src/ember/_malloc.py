"""Large arrays reuse freed memory instead of faulting fresh pages in (GNU libc only).

A convolution's step allocates and frees arrays of megabytes: outputs, gradients, im2col
scratch.  GNU libc's malloc serves large ones from fresh ``mmap`` pages, or hands the top of
its heap back to the system as soon as 128 KiB or more of it is free (its thresholds then
adapt, but only up to the size of the last array freed), so the next step pays a page fault
and a zeroed page for every 4 KiB it touches: ~3,000 faults and ~15% of a small CNN's
training step on the development machine.  At import ember fixes both thresholds
(``mallopt``): arrays up to :data:`MMAP_BYTES` come from the heap, and up to
:data:`TRIM_BYTES` of free heap stay with the process for the next step.  The thresholds
are the process's: a PyTorch imported beside ember (whose CPU allocator sits on the same
malloc) is spared its page faults too.

``EMBER_MALLOC=default`` in the environment leaves malloc alone; other C libraries (no
``mallopt``) are left alone too.
"""
from __future__ import annotations

import ctypes
import os
import sys

MMAP_BYTES = 32 << 20  # (glibc's own adaptive threshold stops at this size on 64-bit)
TRIM_BYTES = 64 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # (glibc's mallopt parameter numbers)


def keep_freed_memory() -> bool:
    """Set the thresholds (once per process; True where they were set)."""
    if not sys.platform.startswith("linux") or os.environ.get("EMBER_MALLOC") == "default":
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
        gnu = libc.gnu_get_libc_version  # (GNU libc's parameter numbers, not musl's)
    except (AttributeError, OSError):
        return False
    del gnu
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES))


keep_freed_memory()
