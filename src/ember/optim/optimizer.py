"""``Optimizer``: parameter groups, per-parameter state, hooks and state dicts.

The built-in optimizers are thin subclasses: each validates its options, says
which state a parameter starts with, and supplies one per-parameter update
function that works in place on the NumPy (or CuPy) arrays behind the tensors
(see ``_functional.py``).  The state dict has PyTorch's exact layout, so a
checkpoint moves between ember and PyTorch.
"""
from __future__ import annotations

import functools
import weakref
from ember._warnings import warn as _warn
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain

import numpy as np

from .. import _dtype as D
from .._ops._core import _INFERENCE_INPLACE, wrap
from .._tensor import Tensor
from ..autograd.grad_mode import STATE, enable_grad
from ..autograd.graph import RemovableHandle

__all__ = ["Optimizer", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook", "required"]


class _RequiredParameter:
    """An option with no default, which every group must set (``optimizer.required``)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks: OrderedDict = OrderedDict()
_global_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """``hook(optimizer, args, kwargs)`` runs before every optimizer's ``step``."""
    handle = RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """``hook(optimizer, args, kwargs)`` runs after every optimizer's ``step``."""
    handle = RemovableHandle(_global_post_hooks)
    _global_post_hooks[handle.id] = hook
    return handle


# ember's top-level functions whose PyTorch counterparts are Python functions (or absent):
# every other one is a C builtin of ``torch._VariableFunctionsClass`` in PyTorch.
_PYTHON_DEFINED = frozenset("""
    atleast_1d atleast_2d atleast_3d autocast_decrement_nesting autocast_increment_nesting
    avg_pool2d block_diag broadcast_tensors cartesian_prod cdist chain_matmul
    clear_autocast_cache compile cond eig einsum get_default_device get_default_dtype
    get_deterministic_debug_mode get_device_module get_num_interop_threads get_num_threads
    is_autocast_cache_enabled is_tensor is_warn_always_enabled lstsq lu matrix_rank meshgrid
    norm pca_lowrank set_anomaly_enabled set_autocast_cache_enabled set_autocast_cpu_dtype
    set_autocast_cpu_enabled set_autocast_dtype set_autocast_enabled set_autocast_gpu_dtype
    set_default_device set_default_dtype set_default_tensor_type set_deterministic_debug_mode
    set_flush_denormal set_num_interop_threads set_num_threads set_printoptions set_warn_always
    solve split stft svd_lowrank sym_float sym_int sym_ite sym_max sym_min sym_not sym_sqrt
    sym_sum symeig tensordot to_dlpack typename unique unique_consecutive unravel_index vmap
    while_loop""".split())


def _is_builtin_like(obj, qualname) -> bool:
    """Whether ``obj`` is one of ember's top-level functions that PyTorch has as a builtin."""
    import ember

    return (qualname not in _PYTHON_DEFINED and "." not in qualname
            and getattr(ember, qualname, None) is obj)


def _typename(obj) -> str:
    """``torch.typename``: ``torch.FloatTensor`` for tensors, a dotted class name otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not isinstance(qualname, str):
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    if module.startswith("ember"):  # (one of ember's functions: its public, torch-like home)
        from .. import _compat

        public = _compat._public_module(module)
        if public == "ember" and _is_builtin_like(obj, qualname):
            # NOTE: PyTorch's top-level operators are C builtins named after the class that
            # holds them (``torch._VariableFunctionsClass.relu``).
            module = public + "._VariableFunctionsClass"
            if _compat.installed():
                module = _compat._torch_name(module)
        elif _compat.installed():
            module = _compat._torch_name(public)
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def _with_step_hooks(step):
    """Wrap a subclass's ``step`` so that the global and per-optimizer hooks run around it."""

    @functools.wraps(step)
    def wrapper(*args, **kwargs):  # (hooks get the optimizer in ``args`` too, as PyTorch's)
        self = args[0]
        pre = self._optimizer_step_pre_hooks
        if self.__dict__.get("_in_step_hooks") or not (
                pre or _global_pre_hooks or self._optimizer_step_post_hooks
                or _global_post_hooks):
            return step(*args, **kwargs)
        # A subclass's step calling super().step() runs the hooks once, not twice.
        self._in_step_hooks = True
        try:
            for hook in chain(_global_pre_hooks.values(), pre.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                           f"new_kwargs), but got {result}.")
            out = step(*args, **kwargs)
            for hook in chain(self._optimizer_step_post_hooks.values(),
                              _global_post_hooks.values()):
                hook(self, args, kwargs)
        finally:
            del self._in_step_hooks
        return out

    wrapper._ember_hooked = True
    return wrapper


def scalar_dtype():
    """The dtype of ``state['step']``: float64 when that is the default dtype, else float32."""
    return D.float64 if D.get_default_dtype() is D.float64 else D.float32


class Optimizer:
    """Base class of all optimizers, as ``torch.optim.Optimizer``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of
    dicts (parameter groups, each with ``'params'`` and its own options);
    ``defaults`` holds the options a group does not set.

    >>> opt = ember.optim.SGD(model.parameters(), lr=0.1)
    >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_ember_hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- pickling and printing ---------------------------------------------------------------
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)
        # Older checkpoints lack some options; fill them from the class's table.
        for group in self.param_groups:
            for key, value in self._group_fill.items():
                group.setdefault(key, value)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state.get(p)
                if self._tensor_step and st and "step" in st and \
                        not isinstance(st["step"], Tensor):
                    st["step"] = self._step_tensor(float(st["step"]), group, p)

    _group_fill: dict = {}  # option -> value for checkpoints saved before it existed
    # whether a loaded state's ``step`` becomes a tensor (PyTorch's Adam-like optimizers do
    # this; the base class, and so a user's own optimizer, keeps it as it was saved)
    _tensor_step = False

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # -- groups ------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (with options of its own) to ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or
                                                                       p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len(set(tensors)):
            _warn("optimizer contains a parameter group with duplicate parameters; in "
                  "future, this will cause an error; see "
                  "github.com/pytorch/pytorch/issues/40967 for more information",
                  stacklevel=3)
        seen: set = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients and steps -----------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (to ``None``, or to zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    if g.is_sparse or type(g._data) is not np.ndarray and compressed(g):
                        g.zero_()
                        continue
                    try:
                        g._data[...] = 0
                    except ValueError:  # a read-only (broadcast) array: give it memory
                        g._data = np.zeros_like(g._data)
                    g._vc.v += 1

    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    _takes_sparse = False  # (SGD, Adagrad and SparseAdam step with sparse gradients)

    def _run_step(self, closure, update_group):
        """The shared body of the built-in ``step``: closure with grad on, updates with it off."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        saved = STATE.enabled
        # (grad mode on for a differentiable step, which autograd records, as PyTorch's)
        STATE.enabled = bool(self.defaults.get("differentiable"))
        try:
            for group in self.param_groups:
                if not self._takes_sparse:
                    _refuse_sparse(self, group)
                    _refuse_compressed(self, group)
                if group.get("capturable"):
                    self._check_capturable(group)
                if group.get("fused"):
                    self._check_fused(group)
                try:
                    with np.errstate(all="ignore"):  # (inf * 0 and the like: NaN, silently)
                        update_group(group)
                except ValueError:  # (NumPy's broadcast error: a state of another shape)
                    self._raise_state_shape(group)
                    raise
        finally:
            STATE.enabled = saved
        return loss

    def _raise_state_shape(self, group):
        """PyTorch's RuntimeError for an in-place update that meets a state tensor whose
        shape is not its parameter's (a state dict loaded into parameters of another order):
        the first such state of the group, in PyTorch's broadcast wording."""
        for p in group["params"]:
            if p.grad is None:
                continue
            for v in self.state.get(p, {}).values():
                if not isinstance(v, Tensor) or v.dim() == 0 or v.shape == p.shape:
                    continue
                a, b = tuple(v.shape), tuple(p.shape)
                n = max(len(a), len(b))
                a1, b1 = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
                for i in range(n - 1, -1, -1):
                    if a1[i] != b1[i] and 1 not in (a1[i], b1[i]):
                        raise RuntimeError(f"The size of tensor a ({a1[i]}) must match the "
                                           f"size of tensor b ({b1[i]}) at non-singleton "
                                           f"dimension {i}") from None
                both = [max(x, y) for x, y in zip(a1, b1, strict=True)]
                out = a if list(a) != both else b
                raise RuntimeError(f"output with shape {list(out)} doesn't match the "
                                   f"broadcast shape {both}") from None

    # PyTorch's wording for a ``capturable`` step on a device that cannot capture
    _capturable_what = "params and state_steps"
    _capturable_xla = True  # (whether 'xla' is listed: for the single-tensor path...)
    _capturable_foreach = (None, False)  # (...and the foreach one: its wording, 'xla')

    def _check_capturable(self, group):
        """PyTorch's AssertionError for ``capturable=True`` with parameters on the CPU (its
        capturable updates are for CUDA graphs; ember's CPU arrays have none)."""
        what, xla = self._capturable_what, self._capturable_xla
        if group.get("foreach"):
            what = self._capturable_foreach[0] or what
            xla = self._capturable_foreach[1]
        for p in group["params"]:
            if p._grad is not None and p.device.type == "cpu":
                devices = ["cuda", "xpu", "hpu", "privateuseone"] + (["xla"] if xla else [])
                raise AssertionError(f"If capturable=True, {what} must be on supported "
                                     f"devices: {devices}.")

    # how PyTorch checks a ``fused`` group's parameters: "lazy" (Adam, AdamW: each one whose
    # state is new), "once" (SGD: the first with a gradient, once per optimizer), "both"
    # (Adagrad)
    _fused_check = "lazy"

    def _check_fused(self, group):
        """PyTorch's errors for a ``fused`` group's parameters that its kernels refuse (not
        floating point: complex ones), before any of the group is updated."""
        params = [p for p in group["params"] if p._grad is not None]
        checked = []
        if self._fused_check != "lazy" and self.__dict__.get("_need_fused_check", True):
            checked = params[:1]
        if self._fused_check != "once":
            checked += [p for p in params if not self.state.get(p)]
        for p in checked:
            if not p.is_floating_point():
                devices = ["mps", "cuda", "xpu", "hpu", "cpu", "mtia", "privateuseone"]
                raise RuntimeError("`fused=True` requires all the params to be floating point "
                                   f"Tensors of supported devices: {devices} but {p.dtype} "
                                   f"and {p.device.type}")
            self._need_fused_check = False
        self._fused_refuse(params)

    def _fused_refuse(self, params):
        """The errors of the fused update itself, past the check above (``params``: those
        with a gradient)."""

    def _init_state(self, state, group, p, *zeros):
        """Start a parameter's empty ``state``: ``step`` at 0, then a zero buffer like ``p``
        under each name in ``zeros``, in that order (the state dict keeps it)."""
        state["step"] = self._step_tensor(0.0, group, p)
        for name in zeros:
            state[name] = zeros_state(p)

    def _step_tensor(self, value, group, p):
        """A new ``state['step']`` tensor: on the CPU in the scalar dtype, as PyTorch keeps it
        (on the parameter's device for ``capturable``/``fused`` groups, float32 if fused)."""
        from .._ops.creation import tensor

        dtype = D.float32 if group.get("fused") else scalar_dtype()
        if group.get("capturable") or group.get("fused"):
            return tensor(value, dtype=dtype, device=p.device)
        return tensor(value, dtype=dtype)

    # -- hooks -------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` before ``step``; may return new ``(args, kwargs)``."""
        return self._add_hook(self._optimizer_step_pre_hooks, hook, False)

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` after ``step``."""
        return self._add_hook(self._optimizer_step_post_hooks, hook, False)

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return self._add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return self._add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return self._add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        return self._add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    @staticmethod
    def _add_hook(store, hook, prepend):
        handle = RemovableHandle(store)
        store[handle.id] = hook
        if prepend:
            store.move_to_end(handle.id, last=False)
        return handle

    # -- state dicts -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``.

        Parameters are numbered in the order the groups list them; the state
        tensors are the optimizer's own (not copies), as in PyTorch.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index: dict[int, int] = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        out = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, out)
            if result is not None:
                out = result
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state dict made by :meth:`state_dict` (ember's or PyTorch's).

        Floating-point state is cast to its parameter's dtype and device;
        ``step`` keeps its own dtype (float32 on the parameter's device for
        ``capturable``/``fused`` groups), as PyTorch does.
        """
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        group_of = {}
        for g in state_dict["param_groups"]:
            for i in g["params"]:
                group_of.setdefault(i, g)

        def cast(param, value, group, key=None):
            if isinstance(value, Tensor):
                if key == "step":
                    if group.get("capturable", False) or group.get("fused", False):
                        return value.to(dtype=D.float32, device=param.device)
                    return value
                if param.is_floating_point():
                    return value.to(dtype=param.dtype, device=param.device)
                return value.to(device=param.device)
            if isinstance(value, dict):
                return {k: cast(param, v, group, k) for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                return type(value)(cast(param, v, group) for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, group_of.get(k, {}))
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


# -- helpers for the built-in optimizers --------------------------------------------------------

def check_adam_options(eps, betas, weight_decay) -> None:
    """PyTorch's ValueErrors for the options the Adam family shares (checked in its order)."""
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def check_lr(lr, only_negative=False) -> None:
    """``only_negative``: SGD's test, ``lr < 0`` (which lets NaN through)."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if (lr < 0.0) if only_negative else not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_flags(differentiable, fused=None, foreach=None, name=None) -> None:
    """``differentiable=True`` (a step that autograd can see through) is implemented for the
    optimizers that give their ``name`` (SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, Adadelta:
    see ``_differentiable``);
    ``foreach``/``fused`` run the same single-tensor update."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if differentiable and name is None:
        raise NotImplementedError("ember's optimizers other than SGD, Adam, AdamW, RMSprop, "
                                  "Adagrad, Adamax and Adadelta do not support "
                                  "differentiable=True")


def multi_tensor(group) -> bool:
    """Whether a group takes PyTorch's multi-tensor update rather than its single-tensor one,
    for the optimizers whose two updates round differently: ``foreach=True`` (not
    ``capturable``, whose update is another again).  NOTE: ``foreach=None`` keeps the
    single-tensor update on a simulated GPU too (PyTorch's default there is the multi-tensor
    one), so that a GPU's steps stay the CPU's bit for bit."""
    return bool(group.get("foreach")) and not group.get("capturable")


def complex_decay(group, p, g, opts):
    """``(g, opts)`` for a single-tensor update: PyTorch's Adam, Adamax, Adadelta, Adagrad and
    RMSprop add a complex parameter's weight decay to its gradient before viewing the two as
    real, so that sum rounds twice (a complex ``add(alpha=)`` is not fused; their
    multi-tensor updates add the real views, once).  So for a complex parameter the decayed
    gradient is made here, and ``opts`` come back without ``maximize`` and weight decay."""
    wd = opts["weight_decay"]
    if wd == 0 or opts.get("decoupled_weight_decay") or not g.is_complex() or \
            multi_tensor(group):
        return g, opts
    a = -g._data if opts["maximize"] else g._data
    return wrap(a + p._data * wd, g._device), dict(opts, weight_decay=0, maximize=False)


def scalar(x) -> float:
    """A hyperparameter as a Python number (a one-element tensor gives its value)."""
    return x.item() if isinstance(x, Tensor) else x


def lr_scalar(x, fused=False):
    """A learning rate as the update's arithmetic takes it: a Python number as it is, a
    one-element tensor as a NumPy scalar of its dtype, so that ``lr / bias_correction`` and
    ``1 - lr * weight_decay`` round in that dtype (float32 for ``torch.tensor(0.01)``), as
    PyTorch's arithmetic on the 0-d tensor does.  (A ``fused`` kernel takes the tensor's
    value as a double: a Python float.)"""
    if not isinstance(x, Tensor):
        return x
    if fused:
        return x.item()
    return np.asarray(x.detach().cpu()._data).reshape(())[()]


# A GPU-held step count (fused and capturable updates, ASGD) -> (its array, the version this
# module left it at, the count as the host computed it): the next count comes from the host's
# copy instead of a read of the device, while nothing else has written the tensor.
# (keyed by id: a tensor's ``==`` is elementwise, so it cannot key a WeakKeyDictionary; each
# entry holds a weak reference that drops the entry when its tensor goes)
_HOST_STEPS: dict = {}


def _forget_step(key):
    return lambda _ref: _HOST_STEPS.pop(key, None)


def next_step(step_t) -> float:
    """``state['step'] += 1`` in place; the new count as a Python float."""
    a = step_t._data
    a += 1
    step_t._vc.v += 1
    if type(a) is np.ndarray:
        return float(a)
    key = id(step_t)
    seen = _HOST_STEPS.get(key)
    if seen is not None and seen[0]() is step_t and seen[1] is a and \
            seen[2] == step_t._vc.v - 1:
        # the device's ``a += 1`` in its own dtype, repeated on the host (float32 counts
        # stop growing at 2**24 on both)
        value = a.dtype.type(seen[3]) + a.dtype.type(1)
        _HOST_STEPS[key] = (seen[0], a, step_t._vc.v, value)
    else:
        value = float(a)  # the first step, or the count was set from outside
        _HOST_STEPS[key] = (weakref.ref(step_t, _forget_step(key)), a, step_t._vc.v, value)
    return float(value)


def zeros_state(p) -> Tensor:
    """``zeros_like(p)`` in ``p``'s layout, dtype and device."""
    if type(p._data) is not np.ndarray and p.is_sparse:  # (a sparse Parameter: PyTorch's
        # ``zeros_like(p, memory_format=torch.preserve_format)``)
        raise RuntimeError("memory format option is only supported by strided tensors")
    return wrap(np.zeros_like(p._data), p._device)  # CuPy arrays dispatch to CuPy


def full_state(p, value) -> Tensor:
    if type(p._data) is not np.ndarray and compressed(p):
        # (PyTorch's ``full_like(p, value, memory_format=torch.preserve_format)``)
        raise RuntimeError("unsupported memory format Preserve")
    t = zeros_state(p)
    if value != 0:
        t._data[...] = value
    return t


def compressed(*ts) -> bool:
    """Whether any of ``ts`` is a sparse compressed (CSR, CSC, BSR, BSC) tensor."""
    from .._sparse_compressed import CompressedTensor

    return any(isinstance(t, CompressedTensor) for t in ts)


_COPY_NNZ = ("torch.copy_: only sparse compressed tensors with the same number of specified "
             "elements are supported.")


def _refuse_compressed(opt, group):
    """NOTE: PyTorch's optimizers other than SGD fail on a sparse compressed (CSR...) parameter
    with its gradient, at the first op of their update that the layout lacks (an in-place
    ``lerp_``/``addcmul_``... for most; the step size's ``copy_``, a CSR-only sum, ...);
    ember's updates, on arrays, give that op's error up front."""
    for p in group["params"]:
        if p._grad is None or type(p._data) is np.ndarray or not compressed(p):
            continue
        from .._sparse_compressed import _layout_name, _no_kernel

        name = next((c.__name__ for c in type(opt).__mro__
                     if c.__module__.startswith("ember.optim.")), type(opt).__name__)
        lay = _layout_name(p)
        rowwise, blocked = lay in ("SparseCsr", "SparseBsr"), lay in ("SparseBsr", "SparseBsc")
        foreach = group.get("foreach") is True
        non_block = ("empty_sparse_compressed expected sparse compressed (non-block) tensor "
                     f"layout but got {lay}")
        if name == "Rprop" and (blocked or not rowwise or foreach):
            raise RuntimeError(non_block if blocked else _COPY_NNZ if rowwise else
                               "Expected result Tensor to be of format CSR")
        if name == "ASGD" and not (rowwise and foreach):
            raise RuntimeError(_COPY_NNZ if rowwise else "crow_indices expected sparse row "
                               f"compressed tensor layout but got {lay}")
        if name == "Adafactor":
            if blocked:
                raise RuntimeError(non_block)
            raise NotImplementedError(_no_kernel("aten::norm.out"))
        if name == "LBFGS":
            raise NotImplementedError(_no_kernel("aten::view"))
        raise RuntimeError(f"unsupported tensor layout: {lay}")


def _refuse_sparse(opt, group):
    """PyTorch's error for a sparse gradient given to an optimizer without a sparse update."""
    for p in group["params"]:
        g = p._grad
        if g is not None and g.is_sparse:
            # (the message names the optimizer whose ``_init_group`` refuses it: a user's
            # subclass's base; AdamW's is Adam's)
            name = next((c.__name__ for c in type(opt).__mro__
                         if c.__module__.startswith("ember.optim.")), type(opt).__name__)
            name = "Adam" if name == "AdamW" else name
            hint = ", please consider SparseAdam instead" if name == "Adam" else ""
            raise RuntimeError(f"{name} does not support sparse gradients{hint}")


def with_grad(group):
    """``(param, grad)`` for the parameters of ``group`` that have a gradient."""
    for p in group["params"]:
        g = p._grad
        if g is not None:
            if p._is_inference and not p._inference_vc and not STATE.inference:
                raise RuntimeError(_INFERENCE_INPLACE)  # the update is an in-place write
            yield p, g
