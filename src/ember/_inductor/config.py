"""``torch._inductor.config``: the code generator's settings scripts most often set, with
PyTorch's defaults.  ember generates no code, so they change nothing."""
from .._config_module import install

install(__name__, {
    "max_autotune": False, "max_autotune_gemm": False, "max_autotune_pointwise": False,
    "coordinate_descent_tuning": False, "epilogue_fusion": True, "freezing": False,
    "fx_graph_cache": True, "autotune_local_cache": True, "force_fuse_int_mm_with_mul": False,
    "use_mixed_mm": True, "fallback_random": False, "debug": False, "cpp_wrapper": False,
    "triton": {"cudagraphs": False, "unique_kernel_names": True,
               "cudagraph_trees": True},
    "cpp": {"threads": -1, "simdlen": None},
})
