"""``Module``: the base class of layers and models.

Parameters, buffers and submodules are registered by assigning attributes
(``self.fc = nn.Linear(...)``), as in PyTorch; ``__call__`` runs the forward
hooks around ``forward`` and wires the full backward hooks.
"""
from __future__ import annotations

import typing

import functools
import inspect
import itertools
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from ..._tensor import Tensor
from ..._warnings import warn as _warn
from ...autograd.graph import RemovableHandle
from ..parameter import Buffer, Parameter, is_lazy

__all__ = ["Module", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
           "register_module_backward_hook",
           "register_module_buffer_registration_hook",
           "register_module_module_registration_hook",
           "register_module_parameter_registration_hook"]

# hooks every module runs, before its own (``register_module_forward_hook`` & co.)
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: set = set()
_global_forward_hooks_always_called: set = set()
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()
# hooks(module, name, value) -> None or a replacement, run whenever a buffer, parameter or
# submodule is registered
_global_buffer_registration_hooks: OrderedDict = OrderedDict()
_global_module_registration_hooks: OrderedDict = OrderedDict()
_global_parameter_registration_hooks: OrderedDict = OrderedDict()


def _registered(hooks, module, name, value):
    for hook in hooks.values():
        out = hook(module, name, value)
        if out is not None:
            value = out
    return value


def register_module_buffer_registration_hook(hook):
    """``hook(module, name, buffer)`` runs whenever any module registers a buffer; it may
    return a replacement buffer."""
    h = RemovableHandle(_global_buffer_registration_hooks)
    _global_buffer_registration_hooks[h.id] = hook
    return h


def register_module_module_registration_hook(hook):
    """``hook(module, name, submodule)`` runs whenever any module registers a submodule; it
    may return a replacement submodule."""
    h = RemovableHandle(_global_module_registration_hooks)
    _global_module_registration_hooks[h.id] = hook
    return h


def register_module_parameter_registration_hook(hook):
    """``hook(module, name, param)`` runs whenever any module registers a (non-None)
    parameter; it may return a replacement parameter."""
    h = RemovableHandle(_global_parameter_registration_hooks)
    _global_parameter_registration_hooks[h.id] = hook
    return h


def register_module_forward_pre_hook(hook):
    """``hook(module, args)`` runs before every module's forward (and its own pre-hooks); it
    may return replacement arguments."""
    h = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[h.id] = hook
    return h


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with
    ``with_kwargs``) runs after every module's forward, before its own hooks."""
    h = RemovableHandle(_global_forward_hooks)
    _global_forward_hooks[h.id] = hook
    if with_kwargs:
        _global_forward_hooks_with_kwargs.add(h.id)
    if always_call:
        _global_forward_hooks_always_called.add(h.id)
    return h


def register_module_full_backward_pre_hook(hook):
    """``hook(module, grad_output)`` runs in every module's backward, before its own
    backward pre-hooks; it may return a replacement ``grad_output``."""
    h = RemovableHandle(_global_backward_pre_hooks)
    _global_backward_pre_hooks[h.id] = hook
    return h


_global_is_full_backward_hook = None  # which of the two kinds the global hooks are


def _global_backward_hook_kind(full):
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is (not full):
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as "
                           "a global Module hook. Please use only one of them.")
    _global_is_full_backward_hook = full


def register_module_backward_hook(hook):
    """The deprecated global form of ``register_backward_hook``: ``hook(module, grad_input,
    grad_output)`` on the grad_fn of every module's first output."""
    _global_backward_hook_kind(False)
    h = RemovableHandle(_global_backward_hooks)
    _global_backward_hooks[h.id] = hook
    return h


def register_module_full_backward_hook(hook):
    """``hook(module, grad_input, grad_output)`` runs in every module's backward, before its
    own backward hooks; it may return a replacement ``grad_input``."""
    _global_backward_hook_kind(True)
    h = RemovableHandle(_global_backward_hooks)
    _global_backward_hooks[h.id] = hook
    return h


_HOOK_DICTS = ("_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
               "_load_state_dict_post_hooks")


def _fill(fills, assign, errors):
    """Copy (or with ``assign``, put) checked state-dict values into their modules; what
    fails to copy is reported in ``errors``, as PyTorch reports it."""
    from ... import __future__ as future
    from ...autograd.grad_mode import no_grad

    swap = future.get_swap_module_params_on_conversion()
    with no_grad():
        for mod, name, t, is_param, v, key in fills:
            if name is None:
                mod.set_extra_state(v)
                continue
            try:
                if swap:
                    _swap_one(t, v, assign)
                else:
                    _fill_one(mod, name, t, is_param, v, assign)
            except Exception as ex:  # noqa: BLE001 (PyTorch's message carries it)
                errors.append(f'While {"swapping" if swap else "copying"} the parameter named '
                              f'"{key}", whose dimensions '
                              f"in the model are {t.size()} and whose dimensions in the "
                              f"checkpoint are {v.size()}, an exception occurred : {ex.args}.")


def _swap_one(t, v, assign):
    """Load ``v`` into ``t`` as PyTorch does with ``torch.__future__``'s swap switch on:
    ``t.module_load`` makes the new value, whose contents ``t`` then takes."""
    from ...utils import swap_tensors

    new = t.module_load(v, assign=assign)
    if new is v or new is t:
        raise RuntimeError("module_load returned one of self or other, please .detach() the "
                           "result if returning one of the inputs in module_load")
    if isinstance(t, Parameter):
        if not isinstance(new, Parameter):
            new = Parameter(new, requires_grad=t.requires_grad)
        else:
            new.requires_grad_(t.requires_grad)
    swap_tensors(t, new)


def _fill_one(mod, name, t, is_param, v, assign):
    if assign:
        # as PyTorch: a Parameter's requires_grad is kept (a Parameter given is changed in
        # place), and the value is set as an attribute (a Parameter given for a buffer, or
        # a buffer that holds a Parameter, makes it a parameter)
        if isinstance(t, Parameter) and not isinstance(v, Parameter):
            v = Parameter(v, t.requires_grad)
        elif isinstance(t, Parameter):
            v.requires_grad_(t.requires_grad)
        setattr(mod, name, v)
    elif not is_lazy(v):  # (uninitialized into uninitialized: nothing to copy)
        t.copy_(v)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(s, n):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    # (as PyTorch: a blank line stays empty)
    return first + "\n" + "\n".join(" " * n + line if line.strip() else "" for line in lines)


def _type_name(value):
    """``torch.typename`` as PyTorch's messages here use it: ``torch.FloatTensor`` for a
    tensor, ``int`` for a builtin, the dotted name of a class or function
    (``torch.nn.modules.activation.ReLU``, ``__main__.f``), else of the value's class."""
    from ...optim.optimizer import _typename

    return _typename(value)


_hook_ids = itertools.count()
_FLAG_DICTS = ("_forward_hooks_with_kwargs", "_forward_hooks_always_called",
               "_forward_pre_hooks_with_kwargs")


class _WrappedHook:
    """A load-state-dict pre-hook that is given its module first (held weakly, as PyTorch
    holds it, so that the hook keeps no module alive)."""

    def __init__(self, hook, module=None):
        self.hook = hook
        functools.update_wrapper(self, hook)
        self.with_module = module is not None
        if module is not None:
            self.module = weakref.ref(module)

    def __call__(self, *args, **kwargs):
        if not self.with_module:
            return self.hook(*args, **kwargs)
        module = self.module()
        if module is None:
            raise RuntimeError("You are trying to call the hook of a dead Module!")
        return self.hook(module, *args, **kwargs)

    def __getstate__(self):
        state = {"hook": self.hook, "with_module": self.with_module}
        if self.with_module:
            state["module"] = self.module()
        return state

    def __setstate__(self, state):
        self.hook, self.with_module = state["hook"], state["with_module"]
        if self.with_module:
            if state["module"] is None:
                raise RuntimeError("You are trying to revive the hook of a dead Module!")
            self.module = weakref.ref(state["module"])


_EXTRA_STATE = "_extra_state"  # the state-dict key of a module's get_extra_state()

def _forward_unimplemented(self, *input):
    """What the module computes; every subclass defines it."""
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                              '"forward" function')


class Module:
    """Base class for all neural network modules; subclass it and define ``forward``."""

    _version = 1
    T_destination = typing.TypeVar("T_destination", bound=typing.Dict[str, typing.Any])
    training: bool
    dump_patches = False
    call_super_init = False
    _compiled_call_impl = None  # (PyTorch's slot for ``model.compile()``; some code reads it)

    def __init__(self, *args, **kwargs):
        if (args or kwargs) and not self.call_super_init:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'" if kwargs else
                            f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        setattr_ = super().__setattr__
        setattr_("training", True)
        setattr_("_parameters", {})
        setattr_("_buffers", {})
        setattr_("_non_persistent_buffers_set", set())
        # (PyTorch's attributes, in PyTorch's order: ``vars(module)`` and pickling see these)
        setattr_("_backward_pre_hooks", OrderedDict())
        setattr_("_backward_hooks", OrderedDict())
        setattr_("_is_full_backward_hook", None)
        setattr_("_forward_hooks", OrderedDict())
        setattr_("_forward_hooks_with_kwargs", OrderedDict())  # hook id -> True
        setattr_("_forward_hooks_always_called", OrderedDict())
        setattr_("_forward_pre_hooks", OrderedDict())
        setattr_("_forward_pre_hooks_with_kwargs", OrderedDict())
        for name in _HOOK_DICTS:
            setattr_(name, OrderedDict())
        setattr_("_modules", {})
        if self.call_super_init:  # (a mixin's __init__ after Module's: it takes the arguments)
            super().__init__(*args, **kwargs)

    forward = _forward_unimplemented  # (PyTorch's name for it: ``repr(Module().forward)``)

    # -- registration ---------------------------------------------------------
    def register_parameter(self, name: str, param) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_type_name(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             f"parameters must be created explicitly. To express '{name}' as a "
                             "function of another Tensor, compute the value in the forward() "
                             "method.")
        self._parameters[name] = _registered(_global_parameter_registration_hooks, self, name,
                                             param)

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_type_name(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        # (a Buffer's own ``persistent`` is ignored here)
        self._buffers[name] = _registered(_global_buffer_registration_hooks, self, name, tensor)
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_type_name(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_type_name(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = _registered(_global_module_registration_hooks, self, name, module)

    def register_module(self, name: str, module) -> None:
        """Alias for :meth:`add_module` (which a subclass's override of it serves too)."""
        self.add_module(name, module)

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(self, name, d, self._buffers, self._modules,
                         self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_type_name(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _remove_from(self, name, d, self._parameters, self._buffers,
                         self._non_persistent_buffers_set)
            modules[name] = _registered(_global_module_registration_hooks, self, name, value)
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_type_name(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = _registered(_global_module_registration_hooks, self, name, value)
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_type_name(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            persistent = value.persistent if isinstance(value, Buffer) else \
                name not in self._non_persistent_buffers_set
            # (through register_buffer, as PyTorch: its hooks and a subclass's override run;
            # an override without ``persistent`` is given none, and takes persistent ones only)
            if type(self).register_buffer is Module.register_buffer or "persistent" in \
                    inspect.signature(self.register_buffer).parameters:
                self.register_buffer(name, value, persistent)
            elif not persistent:
                raise RuntimeError("Registering a non-persistent buffer on a Module subclass "
                                   "that implements register_buffer() without the persistent "
                                   "argument is not allowed.")
            else:
                self.register_buffer(name, value)
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        # (a list, as PyTorch's: a name both in the class and registered is listed twice)
        keys = [*dir(type(self)), *self.__dict__, *self._parameters, *self._modules,
                *self._buffers]
        return sorted(k for k in keys if not k[0].isdigit())

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in _HOOK_DICTS + _FLAG_DICTS:  # (pickled before a kind of hook existed)
            self.__dict__.setdefault(name, OrderedDict())
        self.__dict__.setdefault("_is_full_backward_hook", None)
        # (older ember pickles: sets of hook ids, and their own marks of hook kinds)
        for name in _FLAG_DICTS:
            if isinstance(self.__dict__[name], set):
                self.__dict__[name] = OrderedDict.fromkeys(self.__dict__[name], True)
        for hid in self.__dict__.pop("_state_dict_public_hooks", ()):
            self._state_dict_hooks[hid]._from_public_api = True
        pre = self._load_state_dict_pre_hooks
        for hid, hook in pre.items():
            if not isinstance(hook, _WrappedHook):
                pre[hid] = _WrappedHook(hook, self if hid in state.get(
                    "_load_pre_hooks_with_module", ()) else None)
        self.__dict__.pop("_load_pre_hooks_with_module", None)

    def get_submodule(self, target: str) -> Module:
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at the dotted path ``target`` (its parent must already exist; with
        ``strict`` the attribute itself must too)."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target: str) -> Parameter:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    # -- iteration ------------------------------------------------------------
    def _named_members(self, get, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for k, v in get(mod):
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (mod_prefix + ("." if mod_prefix else "") + k, v)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True):
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                       remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True):
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                       remove_duplicate)

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_children(self):
        memo = set()
        for name, m in self._modules.items():
            if m is not None and m not in memo:  # (the modules, hashed as PyTorch hashes)
                memo.add(m)
                yield name, m

    def modules(self, remove_duplicate: bool = True):
        for _, m in self.named_modules(remove_duplicate=remove_duplicate):
            yield m

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        if memo is None:
            memo = set()
        if self in memo:  # (the modules themselves, as PyTorch: a caller's memo works)
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from m.named_modules(memo, sub, remove_duplicate)

    # -- modes ----------------------------------------------------------------
    def train(self, mode: bool = True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                g.zero_()

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # -- moving ---------------------------------------------------------------
    def _apply(self, fn, recurse=True):
        if recurse:
            for m in self.children():
                m._apply(fn)
        from ... import __future__ as future
        from ...autograd.grad_mode import no_grad

        swap = future.get_swap_module_params_on_conversion()
        overwrite = future.get_overwrite_module_params_on_conversion()
        for key, p in self._parameters.items():
            if p is None:
                continue
            with no_grad():
                new = fn(p)
            # NOTE: PyTorch sets ``param.data`` only where the two tensors' kinds allow a
            # shallow copy; to or from the meta device they do not, so each module gets a new
            # Parameter (tied weights come apart, as in ``model.to_empty(device="cpu")``)
            if swap or overwrite or p.is_meta != new.is_meta:
                self._apply_anew(key, p, new, fn, swap)
                continue
            if new is not p:
                if p.requires_grad and not (new.is_floating_point() or new.is_complex()):
                    # (PyTorch sets ``param.data``, which refuses this: model.type(torch.long))
                    raise RuntimeError("data set to a tensor that requires gradients must be "
                                       "floating point or complex dtype")
                p._data, p._device = new._data, new._device
            if p._grad is not None:
                with no_grad():
                    g = fn(p._grad)
                if g is not p._grad:
                    p._grad._data, p._grad._device = g._data, g._device
        for key, b in self._buffers.items():
            if b is not None:
                self._buffers[key] = fn(b)
        return self

    def _apply_anew(self, key, p, new, fn, swap):
        """:meth:`_apply` for one parameter under ``torch.__future__``'s switches: its
        contents swapped with the converted tensor's (the same Parameter object stays), or
        a new Parameter put in its place; its gradient likewise."""
        from ...autograd.grad_mode import no_grad
        from ...utils import swap_tensors

        grad = p._grad
        if swap:
            p._grad = None
            try:
                swap_tensors(p, Parameter(new, requires_grad=p.requires_grad))
            except Exception as e:
                p._grad = grad
                raise RuntimeError(f"_apply(): Couldn't swap {self._get_name()}.{key}") from e
            out = p
        else:
            out = self._parameters[key] = Parameter(new, p.requires_grad)
        if grad is not None:
            with no_grad():
                g = fn(grad)
            if swap:
                g.requires_grad_(grad.requires_grad)
                try:
                    swap_tensors(grad, g)
                except Exception as e:
                    raise RuntimeError(
                        f"_apply(): Couldn't swap {self._get_name()}.{key}.grad") from e
                out._grad = grad
            else:
                out._grad = g.requires_grad_(grad.requires_grad)

    def to_empty(self, *, device, recurse=True):
        """Parameters and buffers replaced by uninitialised ones (zeros in ember) on
        ``device``."""
        from ..._ops.creation import empty_like

        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def to(self, *args, **kwargs):
        from ..._ops.convert import _is_dtype, _parse_to

        kwargs = dict(kwargs)
        memory_format = kwargs.pop("memory_format", None)
        dtype, device, _ = _parse_to(args, kwargs)
        # (PyTorch's module form refuses ``copy``, given by name or as the last positional
        # after non_blocking, even copy=False)
        lead = 0 if not args else 1 if isinstance(args[0], Tensor) or _is_dtype(args[0]) else \
            2 if len(args) > 1 and (args[1] is None or _is_dtype(args[1])) else 1
        if "copy" in kwargs or len(args) - lead >= 2:
            raise RuntimeError(".to() does not accept copy argument")
        if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but got "
                            f"desired dtype={dtype}")
        if dtype is not None and dtype.is_complex:
            from ..._warnings import warn
            warn("Complex modules are a new feature under active development whose design may "
                 "change, and some modules might not work as expected when using complex "
                 "tensors as parameters or buffers. Please file an issue at "
                 "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml if a "
                 "complex module does not work as expected.", UserWarning, stacklevel=2)

        def convert(t):
            if dtype is not None and (t.is_floating_point() or t.is_complex()):
                t = t.to(t.device if device is None else device, dtype)
            elif device is not None:
                t = t.to(device)
            if memory_format is not None and t.dim() in (4, 5):  # as PyTorch: 4-d/5-d only
                t = t.to(memory_format=memory_format)
            return t
        try:
            return self._apply(convert)
        except NotImplementedError as e:
            from ..._meta_xp import NO_DATA

            if str(e) != NO_DATA:
                raise
            raise NotImplementedError(
                f"{NO_DATA} Please use torch.nn.Module.to_empty() instead of "
                "torch.nn.Module.to() when moving module from meta to a different device."
            ) from None

    def cpu(self):
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None):
        return self._apply(lambda t: t.cuda(device))

    def xpu(self, device=None):
        raise AssertionError("Torch not compiled with XPU enabled")

    def ipu(self, device=None):
        raise RuntimeError("PyTorch is not linked with support for ipu devices")

    def mtia(self, device=None):
        raise AssertionError(
            "Torch not compiled with MTIA enabled. Ensure you have `import "
            "mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and include "
            "`//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!")

    def compile(self, *args, **kwargs):
        """``model.compile()``: PyTorch compiles the module's call in place; ember has no
        compiler, so the arguments are checked as ``torch.compile`` checks them and calls
        stay eager."""
        from ..._compile import compile as _compile
        _compile(self._call_impl if hasattr(self, "_call_impl") else self.forward, *args,
                 **kwargs)

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))

    def float(self):
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self):
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

    def share_memory(self):
        """Move parameters, their gradients and buffers to shared memory (see
        ``Tensor.share_memory_``): processes forked afterwards train the same weights."""
        for t in (*self.parameters(), *self.buffers()):
            t.share_memory_()
            if t.grad is not None:
                t.grad.share_memory_()
        return self

    # -- state dict -----------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE] = self.get_extra_state()

    def get_extra_state(self):
        """Extra state (any picklable value) for the state dict under ``_extra_state``; a
        module that defines this also defines :meth:`set_extra_state`."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called. Please file an issue at "
                           "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                           "to report this bug.")

    def set_extra_state(self, state):
        """Take back what :meth:`get_extra_state` returned, when a state dict is loaded."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called. Please file an issue at "
                           "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                           "to report this bug.")

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        if args:  # the deprecated positional form state_dict(destination, prefix, keep_vars)
            _warn("Positional args are being deprecated, use kwargs instead. Refer to "
                  "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                  "#torch.nn.Module.state_dict for details.", FutureWarning, stacklevel=2)
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local = {"version": self._version}
        meta = getattr(destination, "_metadata", None)
        if meta is not None:
            meta[prefix[:-1]] = local
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        for hid, hook in self._state_dict_hooks.items():
            r = hook(self, destination, prefix, local)
            if r is not None:
                if getattr(hook, "_from_public_api", False):
                    raise RuntimeError("state_dict post-hook must return None")
                destination = r  # (a private hook may hand back another dict)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy ``state_dict`` into this module's parameters and buffers.

        The modules are visited as PyTorch visits them: each sees only its own prefix's
        entries, its load pre-hooks run first and its post-hooks after its children.  Every
        key and shape is checked before anything is copied, so a failed load changes
        nothing, except where load post-hooks exist (they may forgive missing or unexpected
        keys) or a module overrides ``_load_from_state_dict`` or ``set_extra_state``: then
        each module is filled as it is visited and the errors come at the end, as in PyTorch.
        """
        if not isinstance(state_dict, Mapping):  # (any mapping, a MappingProxyType too)
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # upgrades and hooks must not touch the caller's
        missing, unexpected, errors = [], [], []
        # (fills of one module: [(module, name, tensor, is_param, value, key)], name None:
        # extra state; whether they are assigned)
        fills = []
        # (user code run while loading, whose calls PyTorch interleaves with the copies: a
        # post-hook, a module's own _load_from_state_dict or set_extra_state)
        eager = any(m._load_state_dict_post_hooks or type(m)._load_from_state_dict is not
                    Module._load_from_state_dict or type(m).set_extra_state is not
                    Module.set_extra_state for m in self.modules())

        def visit(mod, local, prefix):
            # NOTE: as in PyTorch, ``assign=True`` is written into the caller's metadata
            # itself, so a later load of the same state dict assigns too.
            meta = {} if metadata is None else metadata.get(prefix[:-1], {})
            if assign:
                meta["assign_to_params_buffers"] = True
            if type(mod)._load_from_state_dict is not Module._load_from_state_dict:
                # (overridden, as some models do to rename or adapt entries: it copies)
                mod._load_from_state_dict(local, prefix, meta, True, missing, unexpected, errors)
            else:
                got = mod._load_own(local, prefix, meta, True, missing, unexpected, errors)
                if eager:
                    _fill(got, meta.get("assign_to_params_buffers", False), errors)
                else:
                    fills.append((got, meta.get("assign_to_params_buffers", False)))
            for name, child in mod._modules.items():
                if child is not None:
                    sub = prefix + name + "."
                    visit(child, {k: v for k, v in local.items() if k.startswith(sub)}, sub)
            for hook in mod._load_state_dict_post_hooks.values():
                if hook(mod, _IncompatibleKeys(missing, unexpected)) is not None:
                    raise AssertionError(
                        "Hooks registered with ``register_load_state_dict_post_hook`` are not "
                        "expected to return new values, if incompatible_keys need to be "
                        "modified, it should be done inplace.")

        visit(self, state_dict, "")
        self._check_loaded(errors, strict, missing, unexpected)
        if not eager:
            for got, assigned in fills:
                _fill(got, assigned, errors)
            self._check_loaded(errors, strict, missing, unexpected)
        return _IncompatibleKeys(missing, unexpected)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """PyTorch's step of ``load_state_dict`` for this module alone (not its children):
        its load pre-hooks, then its own parameters, buffers and extra state copied from
        ``state_dict``'s ``prefix`` entries; problems go to the three lists."""
        _fill(self._load_own(state_dict, prefix, local_metadata, strict, missing_keys,
                             unexpected_keys, error_msgs),
              local_metadata.get("assign_to_params_buffers", False), error_msgs)

    def _load_own(self, local, prefix, meta, strict, missing, unexpected, errors):
        """The checks of :meth:`_load_from_state_dict`: what it would fill, as
        ``(module, name, tensor, is_param, value)`` (name None: extra state)."""
        mod, fills = self, []
        assign = meta.get("assign_to_params_buffers", False)
        errors.extend(mod._upgrade_state_dict(local, prefix, meta.get("version")) or ())
        for hook in mod._load_state_dict_pre_hooks.values():
            hook(local, prefix, meta, strict, missing, unexpected, errors)
        own = mod._loadable()
        for name, (t, is_param) in own.items():
            key = prefix + name
            if key not in local:
                if strict:
                    missing.append(key)
                continue
            v = local[key]
            if not isinstance(v, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected '
                              "torch.Tensor or Tensor-like object from checkpoint but "
                              f"received {type(v)}")
                continue
            if not is_lazy(t) and t.dim() == 0 and v.dim() == 1 and v.shape[0] == 1:
                v = v[0]  # (a one-element vector loads into a scalar, as in old PyTorch)
            if not is_lazy(t) and tuple(v.shape) != tuple(t.shape):  # (lazy takes any)
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{v.shape} from checkpoint, the shape in current model is "
                              f"{t.shape}.")
                continue
            if not assign and t.is_meta and not v.is_meta:  # (a no-op copy: PyTorch warns)
                from ..._warnings import warn

                warn(f"for {key}: copying from a non-meta parameter in the checkpoint to a "
                     "meta parameter in the current model, which is a no-op. (Did you mean to "
                     "pass `assign=True` to assign items in the state dictionary to their "
                     "corresponding key in the module instead of copying them in place?)",
                     UserWarning, stacklevel=3)
            fills.append((mod, name, t, is_param, v, key))
        extra = prefix + _EXTRA_STATE
        if type(mod).set_extra_state is not Module.set_extra_state:
            if extra in local:
                fills.append((mod, None, None, False, local[extra], extra))
            elif strict:
                missing.append(extra)
        elif strict and extra in local:  # (a module that keeps no extra state)
            unexpected.append(extra)
        for key in local if strict else ():
            if key.startswith(prefix) and key != extra:
                head, dot, _ = key[len(prefix):].partition(".")
                if (head not in mod._modules) if dot else (head not in own):
                    unexpected.append(key)
        return fills

    def _loadable(self):
        """name -> (tensor, is_param): what a state dict fills in this module itself."""
        out = {name: (t, True) for name, t in self._parameters.items() if t is not None}
        out.update((name, (t, False)) for name, t in self._buffers.items()
                   if t is not None and name not in self._non_persistent_buffers_set)
        return out

    def _check_loaded(self, errors, strict, missing, unexpected):
        msgs = []
        if strict:
            if missing:
                msgs.append("Missing key(s) in state_dict: " +
                            ", ".join(f'"{k}"' for k in missing) + ". ")
            if unexpected:
                msgs.append("Unexpected key(s) in state_dict: " +
                            ", ".join(f'"{k}"' for k in unexpected) + ". ")
        msgs += errors
        if msgs:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t" +
                               "\n\t".join(msgs))

    def _upgrade_state_dict(self, state_dict, prefix, version):
        """Bring entries saved by an older version of this module up to date (in place).

        ``version`` is the module's ``_version`` recorded in the checkpoint's metadata, or
        None when the checkpoint has none.  Layers whose format changed override this; one
        may return a list of error messages, which fail the load as PyTorch's would.
        """

    # -- hooks ----------------------------------------------------------------
    def _add_hook(self, store, hook, prepend=False, extra=None):
        h = RemovableHandle(store, extra_dict=extra)
        store[h.id] = hook
        if prepend:
            store.move_to_end(h.id, last=False)
        return h

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        h = self._add_hook(self._forward_pre_hooks, hook, prepend,
                           extra=self._forward_pre_hooks_with_kwargs)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[h.id] = True
        return h

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        h = self._add_hook(self._forward_hooks, hook, prepend,
                           extra=[self._forward_hooks_with_kwargs,
                                  self._forward_hooks_always_called])
        if with_kwargs:
            self._forward_hooks_with_kwargs[h.id] = True
        if always_call:
            self._forward_hooks_always_called[h.id] = True
        return h

    def _backward_hook_kind(self, full):
        """PyTorch refuses a module both kinds of backward hook (``register_backward_hook``'s
        and ``register_full_backward_hook``'s); ember runs both as full hooks."""
        if self.__dict__.get("_is_full_backward_hook") is (not full):
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = full

    def register_full_backward_hook(self, hook, prepend=False):
        self._backward_hook_kind(True)
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        self._backward_hook_kind(False)
        return self._add_hook(self._backward_hooks, hook)

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` runs before the module's state is saved."""
        return self._add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` runs after the module's state
        (and its children's) is in ``state_dict``; it changes it in place, returning None."""
        hook._from_public_api = True  # (marked on the function itself, as PyTorch marks it)
        return self._add_hook(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook):
        """A post-hook that may return a new state dict to use instead."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook "
                               "that was previously registered via "
                               "register_state_dict_post_hook")
        return self._add_hook(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs before the module's entries are read: it may
        rename or convert them in ``state_dict``, or add an error message."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        return self._add_hook(self._load_state_dict_pre_hooks,
                              _WrappedHook(hook, self if with_module else None))

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` runs after the load; it may change the missing
        and unexpected key lists in place (a strict load then judges what is left)."""
        return self._add_hook(self._load_state_dict_post_hooks, hook)

    # -- calling --------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not (self._backward_hooks or self._backward_pre_hooks or self._forward_hooks
                or self._forward_pre_hooks or _global_forward_pre_hooks
                or _global_forward_hooks or _global_backward_pre_hooks
                or _global_backward_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        # (what the always-called forward hooks see if anything below raises: PyTorch's
        # latest args, kwargs and result, None where the forward did not finish)
        st = {"args": args, "kwargs": kwargs, "result": None}
        called = set()
        try:
            return self._call_hooked(st, called)
        except Exception:
            args, kwargs, result = st["args"], st["kwargs"], st["result"]
            for hid, hook in list(_global_forward_hooks.items()):
                if hid in _global_forward_hooks_always_called and hid not in called:
                    try:  # (PyTorch passes no kwargs to a global hook here)
                        r = hook(self, args, result)
                        result = result if r is None else r
                    except Exception as e:
                        _warn("global module forward hook with ``always_call=True`` raised an "
                              "exception that was silenced as another error was raised in "
                              f"forward: {str(e)}")
            for hid, hook in list(self._forward_hooks.items()):
                if hid in self._forward_hooks_always_called and hid not in called:
                    try:
                        r = hook(self, args, kwargs, result) if \
                            hid in self._forward_hooks_with_kwargs else hook(self, args, result)
                        result = result if r is None else r
                    except Exception as e:
                        _warn("module forward hook with ``always_call=True`` raised an exception "
                              "that was silenced as another error was raised in forward: "
                              f"{str(e)}")
            raise

    def _call_hooked(self, st, called):
        args, kwargs = st["args"], st["kwargs"]
        # the backward hooks are taken before the forward pre-hooks run (as PyTorch takes
        # them); register_backward_hook's (non-full) hooks go on the output's grad_fn instead
        # (the global hooks come first, as in PyTorch)
        full, old_style = [], []
        (old_style if _global_is_full_backward_hook is False else full).extend(
            _global_backward_hooks.values())
        (old_style if self.__dict__.get("_is_full_backward_hook") is False else full).extend(
            self._backward_hooks.values())
        pre = [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]
        for hook in list(_global_forward_pre_hooks.values()):
            r = hook(self, args)
            if r is not None:
                args = st["args"] = r if isinstance(r, tuple) else (r,)
        for hid, hook in list(self._forward_pre_hooks.items()):
            if hid in self._forward_pre_hooks_with_kwargs:
                r = hook(self, args, kwargs)
                if r is not None:
                    if not (isinstance(r, tuple) and len(r) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {r}.")
                    args, kwargs = st["args"], st["kwargs"] = r
            else:
                r = hook(self, args)
                if r is not None:
                    args = st["args"] = r if isinstance(r, tuple) else (r,)
        bw = None
        if full or pre:
            from .._backward_hooks import BackwardHook

            bw = BackwardHook(self, pre, full)
            args = st["args"] = bw.setup_input(args)
        result = st["result"] = self.forward(*args, **kwargs)
        # (taken after the forward, as PyTorch takes them: global hooks first; a handle's id
        # is unique across both stores)
        hooks = [(hid, hook, hid in _global_forward_hooks_with_kwargs,
                  hid in _global_forward_hooks_always_called)
                 for hid, hook in _global_forward_hooks.items()]
        hooks += [(hid, hook, hid in self._forward_hooks_with_kwargs,
                   hid in self._forward_hooks_always_called)
                  for hid, hook in self._forward_hooks.items()]
        for hid, hook, with_kwargs, always in hooks:
            if always:
                called.add(hid)
            if with_kwargs:
                r = hook(self, args, kwargs, result)
            else:
                r = hook(self, args, result)
            if r is not None:
                result = st["result"] = r
        if bw is not None:
            if not isinstance(result, (Tensor, tuple)):
                _warn("For backward hooks to be called, module output should be a Tensor or a "
                      f"tuple of Tensors but received {type(result)}")
            result = bw.setup_output(result)
        if old_style:
            self._add_old_style_backward_hooks(args, result, old_style)
        return result

    def _add_old_style_backward_hooks(self, args, result, hooks):
        """``register_backward_hook``'s hooks, as PyTorch runs them: on the grad_fn of the
        first output tensor, seeing that node's input and output gradients (not the module's,
        when the forward records several nodes: PyTorch warns then)."""
        var = result
        while not isinstance(var, Tensor):
            var = next(v for v in var.values() if isinstance(v, Tensor)) \
                if isinstance(var, dict) else var[0]
        grad_fn = var.grad_fn
        if grad_fn is None:
            return
        for hook in hooks:
            grad_fn.register_hook(_WrappedHook(hook, self))
        outs = (result,) if isinstance(result, Tensor) else result
        ins = (args,) if isinstance(args, Tensor) else args
        tail = "Please use register_full_backward_hook to get the documented behavior."
        if not (isinstance(outs, tuple) and all(isinstance(r, Tensor) for r in outs)):
            msg = ("Using non-full backward hooks on a Module that does not return a single "
                   "Tensor or a tuple of Tensors is deprecated and will be removed in future "
                   "versions. This hook will be missing some of the grad_output. " + tail)
        elif not (isinstance(ins, tuple) and all(isinstance(i, Tensor) for i in ins)):
            msg = ("Using non-full backward hooks on a Module that does not take as input a "
                   "single Tensor or a tuple of Tensors is deprecated and will be removed in "
                   "future versions. This hook will be missing some of the grad_input. " + tail)
        else:
            out_fns = {r.grad_fn for r in outs if r.grad_fn is not None}
            if not out_fns or (len(out_fns) == 1 and grad_fn not in out_fns):
                msg = ("Using a non-full backward hook when outputs are nested in python data "
                       "structure is deprecated and will be removed in future versions. This "
                       "hook will be missing some grad_output.")
            elif len(out_fns) > 1:
                msg = ("Using a non-full backward hook when outputs are generated by different "
                       "autograd Nodes is deprecated and will be removed in future versions. "
                       "This hook will be missing some grad_output. " + tail)
            elif {i.grad_fn for i in ins if i.grad_fn is not None} != \
                    {n for n, _ in grad_fn.next_functions}:
                msg = ("Using a non-full backward hook when the forward contains multiple "
                       "autograd Nodes is deprecated and will be removed in future versions. "
                       "This hook will be missing some grad_input. " + tail)
            else:
                return
        _warn(msg, FutureWarning)

    _call_impl = __call__

    # -- printing -------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(m), 2)
                       for key, m in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def _check_name(name, what):
    if not isinstance(name, str):
        raise TypeError(f"{what} name should be a string. Got {_type_name(name)}")
    if "." in name:
        raise KeyError(f'{what} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{what} name can\'t be empty string ""')


def _remove_from(module, name, d, *stores):
    for s in stores:
        if isinstance(s, set):
            s.discard(name)
        elif name in s:
            del s[name]
    d.pop(name, None)


functools  # noqa: B018
