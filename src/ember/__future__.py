"""PyTorch's ``torch.__future__``: switches for behaviour that PyTorch plans to make the
default, read by ``nn.Module._apply`` (``.to()``, ``.double()``, ...) and by
``load_state_dict``."""

_overwrite_module_params_on_conversion: bool = False
_swap_module_params_on_conversion: bool = False


def set_overwrite_module_params_on_conversion(value: bool) -> None:
    """With True, converting a module (``module.double()``) gives it new Parameter objects
    instead of changing the old ones in place."""
    global _overwrite_module_params_on_conversion
    _overwrite_module_params_on_conversion = value


def get_overwrite_module_params_on_conversion() -> bool:
    """Whether a module's conversion puts new Parameter objects in place of the old ones."""
    return _overwrite_module_params_on_conversion


def set_swap_module_params_on_conversion(value: bool) -> None:
    """With True, a module's conversion and ``load_state_dict`` keep the Parameter objects
    and swap their contents with :func:`ember.utils.swap_tensors` (``module_load`` makes the
    loaded value)."""
    global _swap_module_params_on_conversion
    _swap_module_params_on_conversion = value


def get_swap_module_params_on_conversion() -> bool:
    """Whether a module's conversion and loading swap the contents of its tensors."""
    return _swap_module_params_on_conversion
