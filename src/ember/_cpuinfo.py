"""What ``/proc/cpuinfo`` says about this machine's processors, read once (nothing where the
file does not exist): which kernels PyTorch's libraries pick depends on it."""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=None)
def processors() -> tuple:
    """One dict per processor listed, field name to its text, in the file's order."""
    out, cur = [], {}
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if not line.strip():  # a blank line ends a processor's record
                    if cur:
                        out.append(cur)
                    cur = {}
                    continue
                key, _, value = line.partition(":")
                cur[key.strip()] = value.strip()
    except OSError:
        pass
    if cur:
        out.append(cur)
    return tuple(out)


def first(field: str, default=None):
    """``field`` of the first processor listed (``default`` if absent)."""
    procs = processors()
    return procs[0].get(field, default) if procs else default


def model_id() -> tuple:
    """``(vendor, family, model)`` of the first processor, the key of the processor-specific
    kernels ember reproduces (``("", -1, -1)`` where unknown)."""
    try:
        return first("vendor_id", ""), int(first("cpu family", -1)), int(first("model", -1))
    except ValueError:
        return "", -1, -1


# The processors whose kernels ember's emulations were measured on, as model_id() gives them.
AMD_MEASURED = ("AuthenticAMD", 25, 17)  # MKL/oneDNN orders, VML functions: _mkl_gemm, _vml...
INTEL_MEASURED = ("GenuineIntel", 6, 167)  # MKL's sgemm order (part), sqrt: _mkl_gemm, _vml


def x86_64() -> bool:
    """Whether this is a 64-bit x86 machine (the only kind ember's kernel models cover)."""
    import platform

    return platform.machine().lower() in ("x86_64", "amd64")
