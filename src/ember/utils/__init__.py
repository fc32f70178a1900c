"""Utilities, as ``torch.utils``: ``ember.utils.data`` holds datasets, samplers and
``DataLoader``; ``ember.utils.checkpoint`` recomputes activations instead of storing them."""
from . import checkpoint, data, deterministic, hooks  # noqa: F401
from . import _pytree, dlpack  # noqa: F401,E402

__all__ = ["checkpoint", "data", "deterministic", "hooks", "swap_tensors"]


def _poisoned(grad_outputs):
    raise RuntimeError(
        "Trying to execute AccumulateGrad node that was poisoned by swap_tensors this can "
        "happen when you try to run backward on a tensor that was swapped. For a module m with "
        "`torch.__future__.set_swap_module_params_on_conversion(True)` you should not change "
        "the device or dtype of the module (e.g. `m.cpu()` or `m.half()`) between running "
        "forward and backward. To resolve this, please only change the device/dtype before "
        "running forward (or after both forward and backward).")


def swap_tensors(t1, t2):
    """Swap the contents of two tensor objects (``torch.utils.swap_tensors``): afterwards
    ``t1`` holds what ``t2`` held (its class, data, attributes) and the other way round,
    each keeping its identity."""
    import copyreg
    import weakref

    from .._tensor import Tensor

    # (``retain_grad``'s weak reference is PyTorch's C++ one, refused below)
    if weakref.getweakrefs(t1) and not getattr(t1, "_retains_grad", False):
        raise RuntimeError("Cannot swap t1 because it has weakref associated with it")
    if weakref.getweakrefs(t2) and not getattr(t2, "_retains_grad", False):
        raise RuntimeError("Cannot swap t2 because it has weakref associated with it")
    own = set(copyreg._slotnames(Tensor))  # (ember's tensor state: swapped below)
    t1_slots = set(copyreg._slotnames(t1.__class__)) - own
    t2_slots = set(copyreg._slotnames(t2.__class__)) - own
    if t1_slots != t2_slots:
        raise RuntimeError("Cannot swap t1 and t2 if they have different slots")
    for t in (t1, t2):
        if not isinstance(t, Tensor):  # (PyTorch asks each for its use count)
            raise AttributeError(f"'{type(t).__name__}' object has no attribute '_use_count'")
    if t1 is t2:
        return
    for name, t in (("t1", t1), ("t2", t2)):
        if t._retains_grad:
            raise RuntimeError(f"Expected no weakrefs to {name}'s Tensor object but got  1")

    def swap(name):
        tmp = getattr(t1, name)
        setattr(t1, name, getattr(t2, name))
        setattr(t2, name, tmp)

    swap("__class__")
    swap("__dict__")
    for slot in sorted(own - {"__dict__", "__weakref__"}) + sorted(t1_slots):
        if hasattr(t1, slot) and hasattr(t2, slot):
            swap(slot)
        elif hasattr(t1, slot):
            setattr(t2, slot, getattr(t1, slot))
            delattr(t1, slot)
        elif hasattr(t2, slot):
            setattr(t1, slot, getattr(t2, slot))
            delattr(t2, slot)
    # NOTE: a gradient node made for a leaf before the swap would fill the other tensor: as
    # PyTorch's, a backward through it fails; the leaf's hooks go on with its contents, on a
    # new node.
    from ..autograd.graph import AccumulateGrad

    for t in (t1, t2):
        acc = t.__dict__.get("_accumulator")
        if acc is not None:
            new = t.__dict__["_accumulator"] = AccumulateGrad(t)
            new._tensor_hooks, new._post_hooks = acc._tensor_hooks, acc._post_hooks
            new._post_acc_hooks = acc._post_acc_hooks
            new._pre_hooks = None if acc._pre_hooks is None else dict(acc._pre_hooks)
            acc.register_prehook(_poisoned)
