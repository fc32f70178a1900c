"""Custom differentiable ops: ``class Op(Function)`` with static ``forward``/``backward``."""
from __future__ import annotations
from ember._warnings import warn as _warn

import functools

from .grad_mode import STATE, no_grad
from .graph import Node


class FunctionCtx:
    """What ``forward`` and ``backward`` share: ``ctx.save_for_backward(...)`` and friends."""

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        self._to_save_forward = tensors

    @property
    def saved_tensors(self):
        if isinstance(self, Node):
            return self.saved
        return getattr(self, "_to_save", ())

    def mark_non_differentiable(self, *tensors):
        self._non_diff = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool):
        self._materialize = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The node a custom Function leaves in the graph (``<NameBackward>``)."""

    __slots__ = ()
    needs_input_grad = ()  # set per call by ``Function.apply``

    def apply(self, *grads):
        return self._rule(self, *grads)


_classes: dict = {}


def _node_cls(fn_cls):
    cls = _classes.get(fn_cls)
    if cls is None:
        cls = _classes[fn_cls] = type(fn_cls.__name__ + "Backward", (BackwardCFunction,),
                                      {"__slots__": (), "_forward_cls": fn_cls,
                                       "__module__": BackwardCFunction.__module__})
    return cls


class Function:
    """Subclass with ``@staticmethod forward(ctx, ...)`` and ``backward(ctx, *grads)``.

    Call it as ``MyOp.apply(x, ...)``.
    """

    def __init__(self, *args, **kwargs):

        _warn(f"{type(self)} should not be instantiated. Methods on autograd functions "
              "are all static, so you should invoke them on the class itself. "
              "Instantiating an autograd function will raise an error in a future "
              "version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    vjp = backward

    generate_vmap_rule = False

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("To use autograd.Function with vmap, you must either override "
                                  "the vmap staticmethod or set generate_vmap_rule=True.")

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._ops._core import edge
        from .._tensor import Tensor

        ctx = _node_cls(cls).__new__(_node_cls(cls))
        ctx._materialize = True
        ctx._dirty = set()
        ctx._non_diff = set()
        ctx._to_save = ()
        tensors = [a if isinstance(a, Tensor) else None for a in args]
        # (each input's ``requires_grad``: a view's own, or as it follows its base, the base's)
        record = STATE.enabled and any(t is not None and t.requires_grad for t in tensors)
        ctx.needs_input_grad = tuple(t is not None and t.requires_grad for t in tensors)
        custom_setup = cls.setup_context is not Function.setup_context
        modes = _in_transform()
        if modes and not cls.__module__.startswith("ember."):
            _check_transform_support(cls, custom_setup, modes)
        with no_grad():
            if custom_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(output, tuple)
        outs = (output,) if single else output
        for o in outs:
            if isinstance(o, Tensor) and id(o) in ctx._dirty:
                o._vc.v += 1  # marked dirty: a change in place, counted once more (as PyTorch)
                if STATE.enabled and o._requires_grad and o._grad_fn is None:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                       "in-place operation.")
        if not record:
            if not any(o is a for o in outs for a in tensors if a is not None):
                return output
            # an input returned as is comes back as a new alias without history (as PyTorch:
            # a view of it, but under no_grad)
            outs = tuple(_alias(o, STATE.enabled) if any(o is a for a in tensors if a is not None)
                         else o for o in outs)
            return outs[0] if single else outs
        if ctx._dirty - {id(t) for t in tensors if t is not None}:
            from .._warnings import warn

            warn("ctx.mark_dirty() received a tensor that was not an input. Only input Tensors "
                 "that have been mutated should be passed to ctx.mark_dirty().", UserWarning)
        for i, t in enumerate(ctx._to_save):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        # (as PyTorch: an edge per tensor argument only; backward returns one per argument)
        ctx._arg_pos = tuple(i for i, t in enumerate(tensors) if t is not None)
        ctx._n_args = len(tensors)
        Node.__init__(ctx, _rule, tuple(edge(tensors[i]) for i in ctx._arg_pos),
                      tuple((tensors[i]._data.shape, tensors[i]._data.dtype)
                            for i in ctx._arg_pos),
                      num_outputs=len(outs))
        ctx.needs_input_grad = tuple(t is not None and t.requires_grad for t in tensors)
        wired = []
        metas = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wired.append(o)
                metas.append(None)
                continue
            if id(o) in ctx._dirty:
                t = o
            elif any(o is a for a in tensors if a is not None):
                t = _alias(o, True)  # an input returned as is: a new alias, a view of it
                t._fn_view = (cls.__name__, i)
            else:
                t = o
                if o._base is not None:  # a view made in forward: no in-place change later
                    t._fn_view = (cls.__name__, i)
            if id(o) not in ctx._non_diff and (t.dtype.is_floating_point or t.dtype.is_complex):
                t._grad_fn = ctx
                t._output_nr = i
                t._requires_grad = True
            metas.append((t._data.shape, t._data.dtype, t._device))
            wired.append(t)
        ctx._out_meta = metas if ctx._materialize else None
        if ctx._out_meta is not None and any(m is None for m in metas):
            ctx._out_meta = None
        ctx.save(*ctx._to_save)
        return wired[0] if single else tuple(wired)


def _in_transform() -> set:
    """The kinds of ``torch.func`` transforms running (empty where none is): "vmap", "jvp",
    and "grad" for the reverse-mode ones."""
    import sys

    scope, vmap = sys.modules.get("ember.func._scope"), sys.modules.get("ember.func._vmap")
    modes = set()
    if vmap is not None and vmap._LEVELS:
        modes.add("vmap")
    for s in scope._active() if scope is not None else ():
        modes.update({None: ("grad",), "jvp": ("jvp",), "jacfwd": ("vmap", "jvp")}[s.mode])
    return modes


def _check_transform_support(cls, custom_setup, modes):
    """PyTorch's refusals of a custom Function under ``torch.func`` transforms that it does
    not support: without ``setup_context`` at all, without a ``vmap`` rule under vmap (jacfwd
    and hessian run one), without ``jvp`` under forward mode."""
    if not custom_setup:
        raise RuntimeError(
            "In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, "
            "jacrev, ...), it must override the setup_context staticmethod. For more details, "
            "please see https://pytorch.org/docs/main/notes/extending.func.html")
    if "vmap" in modes and cls.vmap is Function.vmap and not cls.generate_vmap_rule:
        raise RuntimeError(
            f"You tried to vmap over {cls.__name__}, but it does not have vmap support. Please "
            "override and implement the vmap staticmethod or set generate_vmap_rule=True. For "
            "more details, please see https://pytorch.org/docs/main/notes/extending.func.html")
    if "jvp" in modes and cls.jvp is Function.jvp:
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")


def _alias(t, view=False):
    from .._ops._core import wrap
    out = wrap(t._data, t._device)
    out._vc = t._vc
    if view:
        out._base = t if t._base is None else t._base
        out._view_version = t._vc.v
    return out


def _rule(ctx, *grads):
    cls = type(ctx)._forward_cls
    out = cls.backward(ctx, *grads)
    if not isinstance(out, tuple):
        out = (out,)
    n = ctx._n_args
    if len(out) > n and all(g is None for g in out[n:]):
        out = out[:n]
    if len(out) != n:
        raise RuntimeError(f"function {type(ctx).__name__} returned an incorrect number of "
                           f"gradients (expected {n}, got {len(out)})")
    from .._tensor import Tensor
    pos = ctx._arg_pos
    for i, g in enumerate(out):
        if i not in pos:  # the input was not a tensor: only None may come back for it
            if g is not None:
                raise RuntimeError(f"function {type(ctx).__name__} returned a gradient different "
                                   f"than None at position {i + 1}, but the corresponding forward "
                                   "input was not a Variable")
        elif g is not None and not isinstance(g, Tensor):
            kind = type(g)
            name = "numpy.ndarray" if kind.__module__ == "numpy" and kind.__name__ == "ndarray" \
                else kind.__name__
            raise RuntimeError(f"expected Variable or None (got {name})")
    return tuple(out) if len(pos) == n else tuple(out[i] for i in pos)


def once_differentiable(fn):
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper
