"""``torch.__config__``: how this build was made and how it runs in parallel.

ember is not compiled, so ``show`` names what it runs on (NumPy, its BLAS, CuPy if present)
in the layout of PyTorch's text; ``parallel_info`` gives the thread counts as PyTorch lists
them."""
from __future__ import annotations

import os


def _blas_name() -> str:
    try:
        import numpy as np

        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # (older NumPy: no dict form)
        return "unknown"


def show() -> str:
    """A description of what ember runs on."""
    import numpy as np

    from . import __version__, cuda

    lines = ["ember built with:", f"  - Python {os.sys.version.split()[0]}",
             f"  - NumPy {np.__version__}", f"  - BLAS: {_blas_name()}"]
    if cuda.is_available():
        import cupy

        lines.append(f"  - CuPy {cupy.__version__}")
    lines.append(f"  - Build settings: VERSION={__version__}, USE_CUDA="
                 f"{'ON' if cuda.is_available() else 'OFF'}, ")
    return "\n".join(lines) + "\n"


def parallel_info() -> str:
    """The intra-op and inter-op thread counts, as PyTorch's ``ATen/Parallel`` block."""
    from . import get_num_interop_threads, get_num_threads

    return (f"ATen/Parallel:\n\tat::get_num_threads() : {get_num_threads()}\n"
            f"\tat::get_num_interop_threads() : {get_num_interop_threads()}\n"
            f"std::thread::hardware_concurrency() : {os.cpu_count()}\n"
            "Environment variables:\n"
            f"\tOMP_NUM_THREADS : {os.environ.get('OMP_NUM_THREADS', '[not set]')}\n"
            "ATen parallel backend: OpenMP\n")
