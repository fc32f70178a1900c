"""``torch.cuda.memory``: the memory functions of :mod:`ember.cuda`, under their module's name
(``torch.cuda.memory.memory_allocated()`` is ``torch.cuda.memory_allocated()``)."""
from .._unsupported import module_getattr as _module_getattr
from . import (MemPool, empty_cache, get_per_process_memory_fraction,  # noqa: F401
               list_gpu_processes, max_memory_allocated, max_memory_cached,
               max_memory_reserved, mem_get_info, memory_allocated, memory_cached,
               memory_reserved, memory_stats, memory_stats_as_nested_dict, memory_summary,
               reset_accumulated_memory_stats, reset_max_memory_allocated,
               reset_max_memory_cached, reset_peak_memory_stats,
               set_per_process_memory_fraction, use_mem_pool)

__getattr__ = _module_getattr("torch.cuda.memory")
