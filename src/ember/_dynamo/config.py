"""``torch._dynamo.config``: the settings PyTorch's graph capture reads, with its defaults.
ember runs compiled code eagerly, so they change nothing (see ``ember._config_module``)."""
from .._config_module import install

install(__name__, {
    "suppress_errors": False, "verbose": False, "cache_size_limit": 8,
    "recompile_limit": 8, "accumulated_cache_size_limit": 256,
    "accumulated_recompile_limit": 256, "capture_scalar_outputs": False,
    "capture_dynamic_output_shape_ops": False, "automatic_dynamic_shapes": True,
    "assume_static_by_default": True, "optimize_ddp": True, "specialize_int": False,
    "specialize_float": False, "dynamic_shapes": True, "force_parameter_static_shapes": True,
    "replay_record_enabled": False, "error_on_recompile": False, "guard_nn_modules": True,
    "skip_nnmodule_hook_guards": True, "inline_inbuilt_nn_modules": True,
    "allow_unspec_int_on_nn_module": False, "raise_on_ctx_manager_usage": True,
    "log_compilation_metrics": True, "cprofile": False,
})
