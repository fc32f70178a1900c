"""What ``weight_norm`` and ``spectral_norm`` share: each keeps a forward pre-hook object
(with a ``name`` and a ``remove(module)``) per parameter it manages, found here."""
from __future__ import annotations


def check_no_hook(module, hook_type, name: str, fn_name: str) -> None:
    """Refuse a second ``hook_type`` hook on ``module.<name>`` (PyTorch's RuntimeError)."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, hook_type) and hook.name == name:
            raise RuntimeError(f"Cannot register two {fn_name} hooks on the same parameter "
                               f"{name}")


def remove_hook(module, hook_type, name: str, fn_name: str):
    """Undo ``fn_name`` on ``module.<name>``: the hook restores the plain parameter and is
    dropped (PyTorch's ValueError when there is none)."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, hook_type) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"{fn_name} of '{name}' not found in {module}")
