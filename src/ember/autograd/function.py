"""Custom differentiable ops: ``class Op(Function)`` with static ``forward``/``backward``."""
from __future__ import annotations
from ember._warnings import warn as _warn

import functools
import weakref

from .grad_mode import STATE, no_grad
from .graph import Node, SavedOutput


class FunctionCtx:
    """What ``forward`` and ``backward`` share: ``ctx.save_for_backward(...)`` and friends."""

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        self._to_save_forward = tensors

    @property
    def saved_tensors(self):
        if isinstance(self, Node):
            if self.__dict__.get("_in_jvp"):  # (in ``jvp``: what save_for_forward kept)
                return tuple(self.__dict__.get("_to_save_forward", ()))
            if self.__dict__.get("_fn_freed"):
                self._released = True  # (the graph's refusal, as when tensors were freed)
            out = self.saved
            if not STATE.enabled and SavedOutput in map(type, self._saved):
                # NOTE: as PyTorch, a saved output comes back with this node as its grad_fn
                # (requiring grad) also in a backward that does not create a graph
                out = tuple(_as_output(o, s.output_nr, self) if type(s) is SavedOutput else o
                            for o, s in zip(out, self._saved))
            return out
        return getattr(self, "_to_save", ())

    @property
    def saved_variables(self):
        _warn("'saved_variables' is deprecated; use 'saved_tensors'", DeprecationWarning,
              stacklevel=2)
        return self.saved_tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool):
        self._materialize = bool(value)


def _as_output(t, output_nr, node):
    out = t._alias()
    out._grad_fn = node
    out._output_nr = output_nr
    out._requires_grad = True
    return out


class BackwardCFunction(Node, FunctionCtx):
    """The node a custom Function leaves in the graph (``<NameBackward>``)."""

    __slots__ = ()
    needs_input_grad = ()  # set per call by ``Function.apply``

    def apply(self, *grads):
        # (as PyTorch's: the user's backward (or vjp) as is, its result unchecked)
        return _user_backward(type(self)._forward_cls)(self, *grads)

    def __call__(self, *grads):
        return self._rule(self, *grads)

    def _release(self):
        Node._release(self)
        # NOTE: as PyTorch's, ``saved_tensors`` is refused once the backward freed the node,
        # even where nothing (or only None) was saved; running it again stays allowed
        self.__dict__["_fn_freed"] = True


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
        custom_setup = cls.setup_context is not Function.setup_context
        if not (kwargs and _internal(cls)):  # (ember's own take keyword-only options)
            args = _bind_args(cls.forward, custom_setup, args, kwargs)
            kwargs = {}
        tensors = [a if isinstance(a, Tensor) else None for a in args]
        # (each input's ``requires_grad``: a view's own, or as it follows its base, the base's;
        # recorded also where only forward AD's hidden tape needs it, which the property hides)
        raw = tuple(t is not None and (t._requires_grad or (
            t._base is not None and t._base._requires_grad)) for t in tensors)
        record = STATE.enabled and any(raw)
        ctx.needs_input_grad = needs = raw if _internal(cls) else tuple(
            t is not None and t.requires_grad for t in tensors)
        modes = _in_transform()
        if modes and not _internal(cls):
            _check_transform_support(cls, custom_setup, modes)
            if "vmap" in modes and cls.vmap is not Function.vmap:
                import sys

                vmap = sys.modules["ember.func._vmap"]
                if vmap._LEVELS:  # (a vmap's call, not jacfwd's: the staticmethod's result)
                    out = vmap.custom_function_vmap(cls, args)
                    if out is not NotImplemented:
                        return out
            if "jvp" in modes:  # (jacfwd then pushes tangents, so that this ``jvp`` is used)
                from ..func._scope import _active

                for s in _active():
                    if s.mode in ("jvp", "jacfwd"):
                        s.custom_jvp = True
        # (as PyTorch: the inputs' edges are taken before forward runs, which may change a
        # view in place, and so its history)
        in_edges = tuple(edge(t) for t in tensors if t is not None) if record else ()
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
        if not record and custom_setup and ctx._to_save:
            _check_saved_input(ctx, outs, tensors, False)
        if not record:
            if not any(o is a for o in outs for a in tensors if a is not None):
                return output
            # an input returned as is comes back as a new alias without history (as PyTorch:
            # a view of it, but not under no_grad where it requires grad), or itself where
            # marked dirty and not requiring grad
            outs = tuple(_alias(o, STATE.enabled or not o.requires_grad)
                         if any(o is a for a in tensors if a is not None)
                         and not (id(o) in ctx._dirty and not o.requires_grad)
                         else o for o in outs)
            return outs[0] if single else outs
        if ctx._dirty - {id(t) for t in tensors if t is not None}:
            from .._warnings import warn

            warn("ctx.mark_dirty() received a tensor that was not an input. Only input Tensors "
                 "that have been mutated should be passed to ctx.mark_dirty().",
                 cpp="torch/csrc/autograd/custom_function.cpp:320")
        for i, t in enumerate(ctx._to_save):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        if custom_setup and ctx._to_save:
            _check_saved_input(ctx, outs, tensors, True)
        # (as PyTorch: an edge per tensor argument only; backward returns one per argument)
        ctx._arg_pos = tuple([i for i, t in enumerate(tensors) if t is not None])
        ctx._n_args = len(tensors)
        given = [t for t in tensors if t is not None]
        ctx._devs = tuple([t._device for t in given])  # (where their gradients must be)
        Node.__init__(ctx, _rule, in_edges, tuple([(t._data.shape, t._data.dtype) for t in given]),
                      num_outputs=len(outs))
        ctx.needs_input_grad = needs
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
                if id(o) in ctx._non_diff:  # (as PyTorch: then a plain alias, not a view)
                    t = _alias(o)
                else:
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
        if len(outs) > 1 and sum(1 for t in wired if isinstance(t, Tensor) and
                                 t._grad_fn is ctx) > 1:
            # NOTE: as PyTorch, views among several differentiable outputs are refused in-place
            # writes as the outputs of an op with several views are (its message)
            for t in wired:
                if isinstance(t, Tensor) and t._grad_fn is ctx and "_fn_view" in t.__dict__:
                    t._multi_view = True
        # (a non-tensor output's gradient stays None; the others are materialized as zeros)
        ctx._out_meta = metas if ctx._materialize else None
        ctx.save(*ctx._to_save)
        if single and isinstance(output, Tensor) and id(output) in ctx._dirty and \
                output._base is not None and output._grad_fn is ctx:
            _dirty_view(output, ctx, tensors)
        return wired[0] if single else tuple(wired)


def _check_saved_input(ctx, outs, tensors, record):
    """PyTorch's refusal, with ``setup_context``, of an input returned as is (not marked
    dirty) that is saved for backward. NOTE: without a graph it is refused too where that
    input does not require grad (PyTorch swaps it for a view before it checks)."""
    for o in outs:
        if any(o is a for a in tensors if a is not None) and id(o) not in ctx._dirty and \
                any(o is t for t in ctx._to_save) and (record or not o._requires_grad):
            raise RuntimeError(
                "An input that has been returned as-is as output is being saved for backward. "
                "This is not supported if you override setup_context. You should return and save "
                "a view of the input instead, e.g. with x.view_as(x) or setup ctx inside the "
                "forward function itself.")


def _dirty_view(view, ctx, tensors):
    """A view changed in place by the Function (``mark_dirty``): as PyTorch, its base's
    history becomes ``CopySlices`` around the Function's node, and the view's own is
    regenerated from the base (``AsStridedBackward0``)."""
    import types

    from .._ops._core import _copy_slices

    if not any(t is view for t in tensors):
        return

    def rule(_, g):
        res = ctx._rule(ctx, g)
        return res if isinstance(res, tuple) else (res,)
    # NOTE: as PyTorch's CopySlices, the node's first input is taken for the view's (its
    # gradient fills the view's region of the base's; the others go to the node's edges)
    node = type(type(ctx).__name__, (types.SimpleNamespace,), {})(
        _rule=rule, _saved=ctx._saved, _versions=ctx._versions,
        next_functions=ctx.next_functions, _meta=ctx._meta)
    _copy_slices(view, node)


def _bind_args(forward, custom_setup, args, kwargs) -> tuple:
    """``apply``'s arguments as ``forward``'s positional ones (as PyTorch: with a
    ``setup_context``, bound to the signature with its defaults filled in; keywords only where
    they name a positional parameter)."""
    import inspect

    if custom_setup:
        sig, n_plain = _signature(forward)
        if kwargs or len(args) != n_plain:  # (else binding changes nothing: a hot path)
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
    if not kwargs:
        return args
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params[0 if custom_setup else 1:]
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    slots = list(args)
    for k, v in kwargs.items():
        if k not in names:
            raise TypeError(f"forward() got an unexpected keyword argument '{k}'")
        i = names.index(k)
        if i < len(args):
            raise TypeError(f"forward() got multiple values for argument '{k}'")
        slots.extend([_MISSING] * (i + 1 - len(slots)))
        slots[i] = v
    for i, v in enumerate(slots):
        if v is _MISSING:
            raise TypeError(f"forward() missing required argument: '{names[i]}' (position {i})")
    return tuple(slots)


_MISSING = object()


def _signature(forward):
    """``forward``'s signature, and its number of parameters where all are positional ones
    without defaults (-1 else), kept while ``forward`` lives."""
    import inspect

    found = _SIGNATURES.get(forward)
    if found is None:
        sig = inspect.signature(forward)
        plain = all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and
                    p.default is p.empty for p in sig.parameters.values())
        found = (sig, len(sig.parameters) if plain else -1)
        try:
            _SIGNATURES[forward] = found
        except TypeError:  # (a callable without weak references: not kept)
            pass
    return found


_SIGNATURES = weakref.WeakKeyDictionary()


def _internal(cls) -> bool:
    """Whether ``cls`` is one of ember's own Functions (under ``ember run`` their
    ``__module__`` reads ``torch...``: where its ``forward`` is written tells)."""
    code = getattr(cls.forward, "__code__", None)
    return code is not None and code.co_filename.startswith(_EMBER_DIR)


_EMBER_DIR = __file__[:-len("autograd/function.py")]


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
    if "vmap" in modes and cls.generate_vmap_rule and cls.vmap is not Function.vmap:
        raise RuntimeError(
            f"You tried to vmap over {cls.__name__}, but it has both generate_vmap_rule=True "
            "and an overridden vmap staticmethod. Please set generate_vmap_rule=False or delete "
            "the overridden vmap staticmethod to avoid ambiguity. For more details, please see "
            "https://pytorch.org/docs/main/notes/extending.func.html")
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
    out._is_inference = t._is_inference  # (an alias of a normal tensor, under inference_mode)
    if view:
        out._base = t if t._base is None else t._base
        out._view_version = t._vc.v
    return out


# > 0 while forward-mode tangents are being set up (``func._transforms._dual_graph``): a
# custom Function's node then answers with a vjp whose derivative is its ``jvp``
FWD_PUSH = [0]


def _rule(ctx, *grads):
    cls = type(ctx)._forward_cls
    if FWD_PUSH[0] and not _internal(cls):
        if cls.jvp is Function.jvp:
            raise NotImplementedError("You must implement the jvp function for custom "
                                      "autograd.Function to use it with forward mode AD.")
        return _VjpByJvp.apply(ctx, *grads)
    out = _user_backward(cls)(ctx, *grads)
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
        elif g is not None:
            j = pos.index(i)
            if g._device != ctx._devs[j]:
                raise RuntimeError(f"Function {type(ctx).__name__} returned an invalid gradient "
                                   f"at index {j} - expected device {ctx._devs[j]} but got "
                                   f"{g._device}")
    return tuple(out) if len(pos) == n else tuple(out[i] for i in pos)


def _user_backward(cls):
    """The backward a custom Function defines: ``backward``, or ``vjp`` (not both)."""
    fn = cls.backward
    if cls.vjp is not Function.vjp:
        if fn is not Function.backward:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is "
                               "not allowed. You should only implement one of them.")
        fn = cls.vjp
    return fn


class _VjpByJvp(Function):
    """A stand-in for a custom Function's vjp while tangents are pushed forward (the
    double-backward trick): its values do not matter (ones, linear in the cotangents), and
    its derivative with respect to the cotangents is the Function's ``jvp``, which PyTorch's
    forward mode calls."""

    @staticmethod
    def forward(ctx, node, *grads):
        from .._device import CPU, xp_for
        from .._ops._core import wrap

        ctx.node = node
        ctx.out_shapes = [None if g is None else tuple(g.shape) for g in grads]
        ctx.dev = dev = next((g._device for g in grads if g is not None), CPU)
        ctx.set_materialize_grads(False)  # (an input without a tangent: None, or zeros below)
        return tuple(wrap(xp_for(dev).ones(shape, dtype=dtype), dev) for shape, dtype in node._meta)

    @staticmethod
    def backward(ctx, *tangents):
        from .._device import xp_for
        from .._ops._core import wrap

        node = ctx.node
        full = [None] * node._n_args
        for i, t, (shape, dtype) in zip(node._arg_pos, tangents, node._meta):
            if t is None and getattr(node, "_materialize", True):
                t = wrap(xp_for(ctx.dev).zeros(shape, dtype=dtype), ctx.dev)
            full[i] = t
        node.__dict__["_in_jvp"] = True
        try:
            out = type(node)._forward_cls.jvp(node, *full)
        finally:
            node.__dict__.pop("_in_jvp", None)
        if not isinstance(out, tuple):
            out = (out,)
        shapes = ctx.out_shapes
        if len(out) != len(shapes):
            raise RuntimeError("Function's jvp returned an invalid number of forward gradients "
                               f"(expected {len(shapes)} but got {len(out)})")
        from .._tensor import Tensor

        for i, (g, shape) in enumerate(zip(out, shapes)):
            if g is None:
                continue
            if not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__}) for "
                                   f"grad output {i}.")
            if shape is not None and tuple(g.shape) != shape:
                raise RuntimeError("Trying to set a forward gradient that has a different size "
                                   "than that of the original Tensor, this is not supported. "
                                   f"Tensor is of size {list(shape)} while the given forward "
                                   f"gradient is of size {list(g.shape)}.")
        return (None, *out)


def once_differentiable(fn):
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        from .._tensor import Tensor

        with no_grad():
            outputs = fn(ctx, *args)
        if not STATE.enabled or not any(isinstance(a, Tensor) and a.requires_grad
                                        for a in args):
            return outputs
        # (as PyTorch: under create_graph, the gradients require grad through a node that
        # refuses to be differentiated; it leads to detached stand-ins, not to the inputs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        wired = tuple(_delayed_error(outs))
        return wired[0] if single else wired
    return wrapper


def _delayed_error_rule(ctx, *grads):
    raise RuntimeError("trying to differentiate twice a function that was marked with "
                       "@once_differentiable")


def _delayed_error(outs):
    from .._ops._core import edge
    from .._tensor import Tensor

    from .graph import node_class

    leaves = [o.detach().requires_grad_() if isinstance(o, Tensor) and
              (o.dtype.is_floating_point or o.dtype.is_complex) else None for o in outs]
    # (PyTorch's ``DelayedError`` node, which prints as ``Error``)
    node = node_class("Error")(
        _delayed_error_rule, tuple(edge(t) for t in leaves),
        tuple(None if t is None else (t._data.shape, t._data.dtype) for t in leaves),
        num_outputs=len(outs))
    for i, (o, t) in enumerate(zip(outs, leaves)):
        if t is None:
            yield o
            continue
        out = _alias(t)
        out._grad_fn = node
        out._output_nr = i
        out._requires_grad = True
        yield out
