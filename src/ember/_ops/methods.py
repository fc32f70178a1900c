"""``Tensor``'s math methods and operators, one line each.

They are gathered here, in one table, so that ``_tensor.py`` holds state and
protocol methods only.  ``install`` puts them on the class once at import.
"""
from __future__ import annotations
from ember._warnings import warn as _warn

import numbers
import sys

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from . import _core, _overlap
from . import _overlap_seq as _seq
from . import convert as C
from . import creation as F
from . import index as I
from . import linalg as L
from . import pointwise as P
from . import reduce as R
from . import shape as S
from .pointwise import inplace, unary_inplace
from ._core import tp_name


def _r(fn):
    """The reflected form of binary op ``fn`` (``2 - t`` calls ``t.__rsub__(2)``)."""
    return lambda self, other: fn(other, self)


def _unary(name):
    fn = getattr(P, name)
    return fn, unary_inplace(fn, name) if name != "abs" else abs_inplace


def abs_inplace(self):
    """``t.abs_()``: refused for complex tensors (their absolute values are real)."""
    if self.dtype.is_complex:
        raise RuntimeError("In-place abs is not supported for complex tensors.")
    return unary_inplace(P.abs)(self)


def _flip(self, *args, dims=None):
    """``t.flip(0, 1)``, ``t.flip((0, 1))`` or ``t.flip(dims=(0, 1))``."""
    if dims is None:
        if not args:
            raise TypeError('flip() missing 1 required positional arguments: "dims"')
        dims = args[0] if len(args) == 1 and not isinstance(args[0], int) else args
    return S.flip(self, dims)


def _new(factory):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        if size:  # (a bad size gets the method's name in PyTorch's message)
            from ._core import shape_arg

            shape = shape_arg(size, f"new_{factory.__name__}")
            neg = next((s for s in shape if s < 0), None)
            if neg is not None:  # (in the words of ``new_zeros`` too, unlike ``zeros``)
                raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: "
                                   f"{list(shape)}")
        out = factory(*size, dtype=dtype or self.dtype,
                      device=self.device if device is None else device,
                      requires_grad=requires_grad, **kw)
        # (as PyTorch's: a vmap maps what ``new_*`` makes from a tensor it maps)
        return out if _core._mapped_hook is None else _core.mapped(out, self)
    return method


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):

    from .._tensor import Tensor

    if isinstance(data, Tensor):
        _warn("To copy construct from a tensor, it is recommended to use "
              "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
              "requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
              UserWarning, stacklevel=2)
        t = data.detach().clone()
        t = t.to(device=self.device if device is None else device, dtype=dtype or self.dtype)
    else:
        t = F.tensor(data, dtype=dtype or self.dtype,
                     device=self.device if device is None else device)
    if requires_grad:
        F._require_grad(t)  # (the factories' words, not requires_grad_()'s)
    return t


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory=False):
    from ._core import shape_arg

    shape_arg((size,), "new_full")
    out = F.full(size, fill_value, dtype=dtype or self.dtype,
                 device=self.device if device is None else device,
                 requires_grad=requires_grad, pin_memory=pin_memory)
    return out if _core._mapped_hook is None else _core.mapped(out, self)  # (as ``_new``)


def _fill_(self, value, _name=None):
    """Set every element to ``value`` (a number or a 0-d tensor), recording it for autograd."""
    import numpy as np

    from .._tensor import Tensor
    from ._core import check_inplace, commit, make, needs_grad, snapshot

    check_inplace(self)
    vt = value if isinstance(value, Tensor) else None
    if vt is not None:
        if vt.ndim != 0:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{vt.ndim} dimensions.")
        from ._core import _OVERLAP, has_internal_overlap

        if has_internal_overlap(self._data):  # (a number fills one; a tensor is refused)
            raise RuntimeError(_OVERLAP)
        value = vt.item()
        if vt.dtype.is_complex and not self.dtype.is_complex:
            from .convert import _cast  # (its real part, with the copy's warning)

            value = _cast(vt._data, vt.dtype, self.dtype)[()]
        elif self.dtype._kind == 1:  # (integers)
            with np.errstate(all="ignore"):  # a tensor's value wraps (300 -> 44 in uint8)
                value = vt._data.astype(np.float64 if vt.dtype.is_floating_point else np.int64
                                        ).astype(self._data.dtype)[()]
        elif self.dtype in D._ODD:  # float8 (a shell dtype: PyTorch's refusal)
            from .creation import _fill_scalar

            value = _fill_scalar(value, self.dtype)
    else:
        from .creation import _fill_scalar, check_half_fill

        if self.dtype in D._ODD:  # float8 or a shell dtype
            from .._float8 import check_fill

            check_fill(value, self.dtype, self.numel())
        check_half_fill(value, self.dtype, self.numel())
        # (PyTorch's fill of one element converts a complex value through a double)
        value = _fill_scalar(value, self.dtype, via_double=self.numel() == 1)
    if needs_grad((self, vt)):
        xp = S.xp_of(self)
        arr = xp.full(self.shape, value, dtype=self._data.dtype)

        def rule(ctx, g):
            return (F.zeros_like(g) if ctx.needs_input_grad[0] else None,
                    g.sum() if ctx.needs_input_grad[1] else None)
        name = _name or ("FillBackward3" if vt is not None else "FillBackward2")
        if vt is None:  # (a number: the node's one edge is to ``self``)
            return commit(self, make(arr, (snapshot(self),), name,
                                     lambda ctx, g: (F.zeros_like(g),)), expanded=True)
        return commit(self, make(arr, (snapshot(self, vt), vt), name, rule))
    a = self._data
    if type(a) is np.ndarray and not a.flags.writeable and a.size:
        # NOTE: an expanded tensor is a read-only NumPy array, yet PyTorch lets fill_ write
        # through it (every alias gets the same value); write through the owning array.
        a = _writable_alias(a)
    with np.errstate(over="ignore"):  # (a half type's one element overflows to inf)
        if a.ndim == 0 and type(a) is np.ndarray:
            a[()] = value
        else:
            a[...] = value
    self._vc.v += 1
    return self


def _writable_alias(a):
    """``a`` seen through its owning array, writable if that one is (else ``a`` itself)."""
    from ._core import writable_alias

    w = writable_alias(a)
    return a if w is None else w


def _zero_(self):
    if self._data.dtype in D._ODD_NP and self.dtype in D.SHELLS:  # (zeroed bytes, as PyTorch)
        self._data[...] = np.zeros((), self._data.dtype)
        self._vc.v += 1
        return self
    return _fill_(self, 0, _name="ZeroBackward0")


_CPP_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool"}


def _check_clamp_scalars(self, *bounds):
    """PyTorch's error for an integer tensor clamped in place by float numbers; it names the
    C++ type (``long int``) here, unlike other in-place ops."""
    from .._tensor import Tensor

    nums = [b for b in bounds if b is not None and not isinstance(b, Tensor)]
    if nums and len(nums) == len([b for b in bounds if b is not None]):
        dt = D.result_type(self, *nums)
        if dt is not self.dtype and not D.can_cast(dt, self.dtype):
            from ._core import _legacy

            raise RuntimeError(f"result type {_legacy(dt)} can't be cast to the desired output "
                               f"type {_CPP_NAMES.get(self.dtype.name, _legacy(self.dtype))}")


def _clone(self, *args, **kwargs):
    if args:  # (PyTorch's method takes ``memory_format`` by keyword only)
        raise TypeError(f"clone() takes 0 positional arguments but {len(args)} "
                        f"{'was' if len(args) == 1 else 'were'} given")
    return S.clone(self, **kwargs)


def _clamp_(self, min=None, max=None):
    from ._core import check_no_partial_overlap

    P._check_ints(max, min)  # (PyTorch's parser reads ``max`` first)
    min, max = P.scalar_bounds(min, max)
    P.precheck_clamp_(self, min, max)
    _vmap_refuse(self, "clamp", min, max)
    if not self.dtype.is_floating_point:  # (a floating one takes a complex bound as a double)
        _check_clamp_scalars(self, min, max)
    check_no_partial_overlap(self, min, max)
    return unary_inplace(P.clamp)(self, min, max)


def _clamp_min_(self, min):
    if isinstance(min, (complex, np.complexfloating)):  # (before the in-place check)
        P._no_complex_clamp()
    _check_clamp_scalars(self, min)
    P.precheck_clamp_(self, min, None)
    return unary_inplace(P.clamp_min)(self, min)


def _clamp_max_(self, max):
    if isinstance(max, (complex, np.complexfloating)):  # (before the in-place check)
        P._no_complex_clamp()
    _check_clamp_scalars(self, max)
    P.precheck_clamp_(self, max, None)
    return unary_inplace(P.clamp_max)(self, max)


def _vmap_refuse(self, name, *others):
    """PyTorch's refusal, under vmap, of an in-place op on an unmapped ``self`` with a mapped
    operand (:func:`ember.func._vmap.check_inplace_batched`)."""
    vmap = sys.modules.get("ember.func._vmap")
    if vmap is not None and vmap._LEVELS:
        for other in others:
            vmap.check_inplace_batched(self, other, name)


def _masked_fill_(self, mask, value):
    I.check_fill_mask(mask, value)  # (PyTorch checks these first)
    _vmap_refuse(self, "masked_fill", mask)
    if isinstance(mask, Tensor):  # in place PyTorch names self "a" in a broadcast error
        S.broadcast_shapes(tuple(self.shape), tuple(mask.shape))
    return _writes_expanded(I.masked_fill, "masked_fill_")(self, mask, value)


def _writes_expanded(op, warning=None):
    """The in-place form of ``op``, whose PyTorch kernel writes into an expanded tensor (its
    elements sharing memory) rather than refuse it (``warning``: the op it then warns of)."""
    from .._tensor import Tensor
    from ._core import check_inplace, commit, has_internal_overlap, snapshot

    def op_(self, *args, **kw):
        check_inplace(self)
        new = op(snapshot(self, *[a for a in args if isinstance(a, Tensor)]), *args, **kw)
        if warning is not None and has_internal_overlap(self._data):
            I._warn_masked_expanded(warning)
        return commit(self, new, expanded=True)
    op_.__name__ = op.__name__ + "_"
    return op_


def _index_add_(self, dim, index, source, *, alpha=1):
    _vmap_refuse(self, "index_add", source)
    if isinstance(source, Tensor):  # (as PyTorch: no source sharing self's memory at all)
        I.check_source_overlap(self, source, lambda: I.index_add(self.detach(), dim, index,
                                                                 source, alpha=alpha))
        if I.aliased_1d(self, source) and (alpha == 1 or self.dtype.is_floating_point):
            I.index_add(self.detach(), dim, index, source, alpha=alpha)  # (its checks)
            return I.write_sequentially(self, source, index._data, True, alpha)
        if isinstance(index, Tensor) and _seq.shares(self):  # (elements sharing memory:
            _core.check_inplace(self)  # in PyTorch's order)
            I.index_add(self.detach(), dim, index, source, alpha=alpha)  # (its checks)
            return _seq.run(self, [source], lambda: _seq.index_add_(
                self, dim, index, source, alpha), lambda: unary_inplace(I.index_add)(
                self, dim, index, source, alpha=alpha))
    return unary_inplace(I.index_add)(self, dim, index, source, alpha=alpha)


def _scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    _vmap_refuse(self, "scatter", src)
    if isinstance(src, Tensor):
        I.check_source_overlap(self, src, lambda: I.scatter(self.detach(), dim, index, src,
                                                            value, reduce=reduce))
        if reduce is None and value is None and I.aliased_1d(self, src):
            I.scatter(self.detach(), dim, index, src)  # (its checks)
            return I.write_sequentially(self, src, index._data)
    if isinstance(index, Tensor) and reduce in (None, "add", "multiply") and \
            _seq.shares(self):  # (elements sharing memory: in PyTorch's order)
        _core.check_inplace(self)
        I.scatter(self.detach(), dim, index, src, value, reduce=reduce)  # (its checks, warning)
        return _seq.run(self, [src], lambda: _seq.scatter_(
            self, dim, index, src if isinstance(src, Tensor) else None,
            value if value is not None else src, reduce), lambda: unary_inplace(I.scatter)(
            self, dim, index, src, value, reduce=reduce, _name="scatter_"))
    return unary_inplace(I.scatter)(self, dim, index, src, value, reduce=reduce, _name="scatter_")


def _scatter_add_(self, dim, index, src):
    _vmap_refuse(self, "scatter_add", src)
    if isinstance(src, Tensor):
        I.check_source_overlap(self, src, lambda: I.scatter_add(self.detach(), dim, index, src))
        if I.aliased_1d(self, src):
            I.scatter_add(self.detach(), dim, index, src)  # (its checks)
            return I.write_sequentially(self, src, index._data, True)
        if isinstance(index, Tensor) and _seq.shares(self):  # (elements sharing memory:
            _core.check_inplace(self)  # in PyTorch's order)
            I.scatter_add(self.detach(), dim, index, src)  # (its checks)
            return _seq.run(self, [src], lambda: _seq.scatter_(self, dim, index, src, None, "add"),
                            lambda: unary_inplace(I.scatter_add)(self, dim, index, src))
    return unary_inplace(I.scatter_add)(self, dim, index, src)


def _lerp_(self, end, weight):
    from ._core import check_inplace, check_no_partial_overlap, commit, snapshot

    _vmap_refuse(self, "lerp", end, weight)
    check_inplace(self)
    check_no_partial_overlap(self, end, weight)
    P.lerp_dtype_checks(self, end, weight)
    if isinstance(end, Tensor) and not (end.shape == self.shape and (
            not isinstance(weight, Tensor) or weight.shape == self.shape)):
        # (the result's shape is checked before the kernel's refusals)
        try:
            shape = np.broadcast_shapes(*(tuple(t.shape) for t in (self, end, weight)
                                          if isinstance(t, Tensor)))
        except ValueError:  # (lerp's own error)
            shape = tuple(self.shape)
        if shape != tuple(self.shape):
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                               f"broadcast shape {list(shape)}")
    if _ordered(self, end, weight):
        return _overlap.ordered_op(self, P.lerp, (end, weight), {},
                                   lambda: P.lerp(snapshot(self, end), end, weight))
    return commit(self, P.lerp(snapshot(self, end), end, weight))


def _ordered(self, *others) -> bool:
    """Whether an elementwise write into view ``self`` must follow PyTorch's loop order
    (``self``'s elements share memory, or an operand is another layout of it)."""
    return self._data.base is not None and _overlap.ordered_args(self, others)


def _broadcasts_to(shape, *others) -> bool:
    """Whether ``others`` broadcast to exactly ``shape`` (an in-place result's shape)."""
    try:
        return np.broadcast_shapes(tuple(shape), *others) == tuple(shape)
    except ValueError:
        return False


def _addcmul_(self, t1, t2, *, value=1):
    from ._core import (check_inplace, check_no_overlap, check_no_partial_overlap, commit,
                        needs_grad, snapshot, write)

    P._check_ints(value)
    _vmap_refuse(self, "addcmul", t1, t2)
    check_inplace(self)
    check_no_partial_overlap(self, t1, t2)
    check_no_overlap(self._data)
    P.precheck_addc_(self, t1, t2, value, False)
    if isinstance(t1, Tensor) and isinstance(t2, Tensor):
        P.check_int_value(value, D.result_type(self, t1, t2))
    if isinstance(value, (float, np.floating, np.bool_)) and self.dtype._kind < 2:
        value = int(value)  # NOTE: PyTorch truncates a float value for integer tensors
    if _ordered(self, t1, t2):
        return _overlap.ordered_op(self, P.addcmul, (t1, t2), {"value": value}, lambda: P.addcmul(
            snapshot(self, t1, t2), t1, t2, value=value))
    if not needs_grad((self, t1, t2)) and self.dtype is t1.dtype is t2.dtype and \
            _broadcasts_to(self.shape, t1.shape, t2.shape):
        fused = P.fused_addcmul(self, t1, t2, value)
        if fused is not None:
            write(self, fused)  # (a view of an expanded tensor's memory too)
            return self
    return commit(self, P.addcmul(snapshot(self, t1, t2), t1, t2, value=value))


def _addcdiv_(self, t1, t2, *, value=1):
    from ._core import (check_inplace, check_no_overlap, check_no_partial_overlap, commit,
                        needs_grad, snapshot, write)

    P._check_ints(value)
    _vmap_refuse(self, "addcdiv", t1, t2)
    check_inplace(self)
    check_no_partial_overlap(self, t1, t2)
    check_no_overlap(self._data)
    P.precheck_addc_(self, t1, t2, value, True)
    if _ordered(self, t1, t2):
        return _overlap.ordered_op(self, P.addcdiv, (t1, t2), {"value": value}, lambda: P.addcdiv(
            snapshot(self, t1, t2), t1, t2, value=value))
    if not needs_grad((self, t1, t2)) and self.dtype is t1.dtype is t2.dtype and \
            self.dtype in (D.float32, D.float64) and _broadcasts_to(self.shape, t1.shape, t2.shape):
        # (PyTorch's order: ``self + value * t1 / t2``)
        q = t1._data * self._data.dtype.type(value) if value != 1 else t1._data
        write(self, self._data + q / t2._data)  # (a view of an expanded tensor's memory too)
        return self
    return commit(self, P.addcdiv(snapshot(self, t1, t2), t1, t2, value=value))


def _squeeze_(self, dim=None):
    from ._core import check_inplace

    check_inplace(self)  # (as PyTorch's: autograd's refusals come before the dims')
    # (PyTorch numbers the in-place overloads after the three out-of-place ones)
    n = 3 if dim is None else 4 if isinstance(dim, int) else 5
    return _reshape_inplace(self, S.squeeze(self.detach(), dim).shape, f"SqueezeBackward{n}")


def _unsqueeze_(self, dim):
    from ._core import check_inplace

    check_inplace(self)  # (as PyTorch's: autograd's refusals come before the dims')
    S.unsqueeze(self.detach(), dim)  # (its refusals of ``dim``)
    return _reshape_inplace(self, None, "UnsqueezeBackward1",
                            view=lambda t: S.unsqueeze(t, dim))  # (its strides)


def _t_inplace(self):
    from ._core import check_inplace

    check_inplace(self)  # (as PyTorch's: autograd's refusals come before the dims')
    if self.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    return _reshape_inplace(self, S.t_(self.detach()).shape, "TBackward1", transpose=True)


def _reshape_inplace(self, shape, name, transpose=False, view=None):
    from ..autograd.graph import node_class
    from ._core import check_inplace

    check_inplace(self)
    new = S.t_(self) if transpose else view(self) if view is not None else \
        S.reshape(self, shape)
    self._data = new._data
    if new._grad_fn is not None:
        # the view's node, under the in-place overload's name (same rule, same layout)
        new._grad_fn.__class__ = node_class(name)
        self._grad_fn, self._output_nr = new._grad_fn, 0
    self._vc.v += 1  # (as PyTorch: a tensor saved for backward before is now stale)
    if self._base is not None:  # the view now reads its base's memory through one more view
        self._view_fn = new._view_fn
        self._view_version = self._vc.v
    return self


def _sum_to_size(self, *size):
    from ._core import shape_arg, sum_to

    return sum_to(self, shape_arg(size))


def _size_method(self):  # pragma: no cover - placeholder name kept out of the table
    return self.shape


def _contains(self, element):
    """``element in t``: whether any element of ``t`` equals ``element``."""
    import numbers

    from .._tensor import Tensor

    if isinstance(element, (Tensor, numbers.Number)):
        return bool(P.eq(element, self).any().item())  # (element first, as PyTorch's errors)
    raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in "
                       f"a {type(element)}.")


def _cast_method(dtype, name):
    def method(self, *, memory_format=None):  # (Python's words are PyTorch's parser's here)
        return C.to(self, dtype)
    method.__name__ = method.__qualname__ = name
    return method


def _type_as(self, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"type_as(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    return C.to(self, other.dtype)


def _view_as(self, other):
    return S.view(self, other.shape)


def _reshape_as(self, other):
    return S.reshape(self, other.shape)


def _index_put(self, indices, values, accumulate=False):
    from ._core import fused

    # (PyTorch's out-of-place op: one IndexPutBackward0 node on ``self`` and ``values``)
    # (which keeps the index tensors: refused once they changed, or a second time)
    return fused(None, lambda s, v: I.index_put_(s.clone(), indices, v, accumulate), self,
                 values, keep=tuple(k for k in indices if isinstance(k, Tensor)))


def _map_(self, other, fn):
    import numpy as np

    if self.requires_grad:
        raise RuntimeError("Can't call map_() on Variable that requires grad. Use "
                           "var.detach().map_() instead.")
    if self._device.type == "meta":
        return self
    if self._device.type != "cpu":  # (a Python call per element: PyTorch's CPU only)
        raise TypeError("map_ is only implemented on CPU tensors")
    out = np.vectorize(fn, otypes=[self._data.dtype])(self._data, other._data)
    self._data[...] = out  # (as PyTorch's, which writes element by element: no version bump)
    return self


def _apply_(self, fn):
    import numpy as np

    if self.requires_grad:
        raise RuntimeError("Can't call apply_() on Variable that requires grad. Use "
                           "var.detach().apply_() instead.")
    if self._device.type == "meta":
        return self
    if self._device.type != "cpu":
        raise TypeError("apply_ is only implemented on CPU tensors")
    self._data[...] = np.vectorize(fn, otypes=[self._data.dtype])(self._data)  # (no bump)
    return self


def _xor(a, b):
    return P.bitwise_xor(a, b)


def tensor_other_inplace(op, name):
    """An in-place binary method whose ``other`` must be a tensor (``t.logical_and_(other)``,
    ``atan2_``, ``hypot_``, ...)."""
    op_ = inplace(op)

    def method(self, other):
        from .._tensor import Tensor

        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(other).__name__}")
        return op_(self, other)
    method.__name__ = name
    return method


def _share_memory_(self):
    """Move the tensor's data into an anonymous shared mapping, which processes forked
    afterwards share (``torch.multiprocessing``'s Hogwild training); a no-op on a GPU."""
    a = self._data
    if type(a) is np.ndarray and not _is_shared(self):
        import mmap

        arr = np.frombuffer(mmap.mmap(-1, max(a.nbytes, 1)), dtype=a.dtype,
                            count=a.size).reshape(a.shape)
        arr[...] = a
        self._data = arr
    return self


def _untyped_storage(self):
    """The memory the tensor looks into, as PyTorch's ``UntypedStorage`` (``data_ptr()``,
    ``nbytes()``, ``size()``): views of one tensor report the same storage."""
    from ..storage import untyped_storage  # (one implementation, in ember.storage)

    return untyped_storage(self)


def _is_shared(self) -> bool:
    # (device memory is shared between processes, as PyTorch reports; host memory when it is
    # an anonymous shared mapping, not a checkpoint mapped by ``load(mmap=True)``)
    from ..storage import _is_shared_memory

    return _is_shared_memory(self._data)


def _dim_order(self, *, ambiguity_check=False):
    """The dims from outermost to innermost in memory, as PyTorch orders them: contiguous and
    channels-last tensors by their format, others by its element-wise iterator's insertion
    sort (larger strides outside; for equal strides the longer dim outside; zero strides and
    equal dims undecided)."""
    from ._cascade import iterator_sort

    if not isinstance(ambiguity_check, bool):
        raise TypeError("dim_order(): ember takes a bool for ambiguity_check (not a list of "
                        "memory formats)")
    shape, strides = tuple(self.shape), S.stride(self)
    n = len(shape)
    if ambiguity_check and (1 in shape or any(x == y for x, y in zip(strides, strides[1:]))):
        raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact "
                           "one of the given memory formats.")
    if n < 2:
        return tuple(range(n))
    plain = self.is_contiguous()
    last = n == 4 and self.is_contiguous(memory_format=S.channels_last)
    if plain and not last:
        return tuple(range(n))
    if last and not plain:
        return (0, 2, 3, 1)

    def swap(a, b):  # 1: ``a`` goes outside ``b``
        if strides[a] == 0 or strides[b] == 0:
            return 0
        if strides[a] == strides[b]:
            return 0 if shape[b] >= shape[a] else 1
        return -1 if strides[b] > strides[a] else 1

    perm = iterator_sort(range(n - 1, -1, -1), swap)
    if ambiguity_check and any(swap(p, q) != -1 for p, q in zip(perm, perm[1:])):
        raise RuntimeError("The tensor does not have unique dim order.")
    return tuple(perm[::-1])


def _pos(self):
    if self.dtype.name == "bool":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return self


def _invert(self):
    if self.dtype.name == "bool":
        return P.logical_not(self)
    if self.dtype._kind >= 2:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return P.bitwise_not(self)


def _matmul_op(self, other):
    from .._tensor import Tensor

    return L.matmul(self, other) if isinstance(other, Tensor) else NotImplemented


def _rmatmul_op(self, other):
    from .._tensor import Tensor

    return L.matmul(other, self) if isinstance(other, Tensor) else NotImplemented


def check_dim_given(name, args, kwargs, position):
    """``torch.softmax`` and ``Tensor.softmax`` (unlike ``F.softmax``) have no implicit dim."""
    if name not in ("softmax", "log_softmax"):
        return
    if not args and "dim" not in kwargs:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    if (args[0] if args else kwargs["dim"]) is None:
        where = f" (position {position})" if args else ""
        raise TypeError(f"{name}(): argument 'dim'{where} must be int, not NoneType")


def dim_dtype_args(name, args, kwargs):
    """``torch.softmax(x, dim, dtype)`` and ``x.softmax(dim, dtype)`` take the dtype right
    after the dim, where ``F.softmax`` has ``_stacklevel``: (args, kwargs) for ``F``."""
    if name in ("softmax", "log_softmax") and len(args) > 1:
        if len(args) > 2 or "dtype" in kwargs:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        kwargs = dict(kwargs, dtype=args[1])
        args = args[:1]
    return args, kwargs


# PyTorch's names for the arguments after ``self`` of the methods whose ember functions spell
# them otherwise (``t.add(other=u)``, ``t.pow(exponent=2)``, ``t.mm(mat2=w)``); in-place
# variants (``name_``) take the same
_TORCH_ARGS = {
    **dict.fromkeys(("add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
                     "floor_divide", "remainder", "fmod", "atan2", "arctan2", "hypot",
                     "logaddexp", "logaddexp2", "xlogy", "maximum", "minimum", "fmax", "fmin",
                     "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
                     "less_equal", "not_equal", "equal", "isclose", "allclose", "matmul", "vdot",
                     "inner", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
                     "bitwise_right_shift", "logical_and", "logical_or", "logical_xor",
                     "copysign", "nextafter", "kron", "dist", "cross"), ("other",)),
    "pow": ("exponent",), "float_power": ("exponent",), "mm": ("mat2",), "bmm": ("mat2",),
    "mv": ("vec",), "dot": ("tensor",), "outer": ("vec2",), "ger": ("vec2",),
    "lerp": ("end", "weight"), "addcmul": ("tensor1", "tensor2"),
    "addcdiv": ("tensor1", "tensor2"), "addmm": ("mat1", "mat2"),
    "swapaxes": ("axis0", "axis1"), "swapdims": ("dim0", "dim1"), "heaviside": ("values",),
    "masked_scatter": ("mask", "source"), "index_copy": ("dim", "index", "source"),
}


# Methods whose arguments after ``self`` must be tensors, with PyTorch's names for them.
# PyTorch's parser numbers a method's arguments without ``self`` (``t.mm(2)``: "argument
# 'mat2' (position 1)"), where ember's functions number them as ``torch.mm(t, 2)`` does
# (position 2): :func:`check_tensor_args` puts the method's own check in front.
_TENSOR_ARGS = {
    **dict.fromkeys(("matmul", "inner", "kron", "dist", "cross", "equal", "allclose", "isclose",
                     "vdot", "atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "maximum",
                     "minimum", "fmax", "fmin", "nextafter", "ldexp", "gcd", "lcm", "igamma",
                     "igammac", "logical_and", "logical_or", "logical_xor"), ("other",)),
    "mm": ("mat2",), "bmm": ("mat2",), "mv": ("vec",), "dot": ("tensor",), "outer": ("vec2",),
    "ger": ("vec2",), "addmm": ("mat1", "mat2"), "heaviside": ("values",),
    "take_along_dim": ("indices",), "masked_select": ("mask",),
    # (their in-place forms)
    **dict.fromkeys(("atan2_", "arctan2_", "hypot_", "ldexp_", "gcd_", "lcm_", "nextafter_",
                     "igamma_", "igammac_", "logical_and_", "logical_or_", "logical_xor_"),
                    ("other",)),
    "heaviside_": ("values",),
}


def _tensor_args(name, theirs, fn):
    import functools

    one = len(theirs) == 1

    def method(self, *args, **kwargs):
        if one and len(args) == 1 and type(args[0]) is Tensor:
            return fn(self, *args, **kwargs)  # (the common call: nothing to refuse)
        for k, arg in enumerate(theirs):
            v = args[k] if k < len(args) else kwargs.get(arg, self)
            if not isinstance(v, Tensor):
                where = f" (position {k + 1})" if k < len(args) else ""
                raise TypeError(f"{name}(): argument '{arg}'{where} must be Tensor, not "
                                f"{tp_name(v)}")
        return fn(self, *args, **kwargs)
    return functools.wraps(fn)(method)


_PLAIN = frozenset((float, int, bool))  # (and Tensor, once installed: see check_tensor_args)


def tensor_or_number(name, values, args, first):
    """PyTorch's parser error for a value of ``values`` that is neither a tensor nor a number
    (a list, a NumPy array), the first numbered ``first``."""
    for pos, (v, arg) in enumerate(zip(values, args), first):
        if type(v) not in _PLAIN and not isinstance(v, (Tensor, numbers.Number, np.generic)):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{tp_name(v)}")


_NO_OTHER = {  # (PyTorch's words for ``t.add()``...)
    **dict.fromkeys(("add", "sub"), "{name}() received an invalid combination of arguments - "
                    "got (), but expected (Tensor other, *, Number alpha = 1)"),
    "mul": '{name}() missing 1 required positional arguments: "other"',
    "div": "{name}() received an invalid combination of arguments - got (), but expected one "
           "of:\n * (Tensor other)\n * (Tensor other, *, str rounding_mode)\n * (Number other, *, "
           "str rounding_mode)\n",
}


def _tensor_or_number_other(name, fn):
    import functools

    alpha = name.rstrip("_") in ("add", "sub")

    def method(self, *args, **kwargs):
        if not args and not kwargs:
            raise TypeError(_NO_OTHER[name.rstrip("_")].format(name=name))
        if alpha and args and (len(args) == 2 or "other" in kwargs):  # (``x.add(2, y)``)
            from .._argparse import deprecated_alpha

            fixed = deprecated_alpha(name, args, kwargs, True)
            if fixed is None and len(args) == 2 and not kwargs:
                raise TypeError(f"{name}() takes 1 positional argument but 2 were given")
            args, kwargs = fixed or (args, kwargs)
        elif name in ("mul", "mul_") and len(args) > 1:
            raise TypeError(f"{name}() takes 1 positional argument but {len(args)} were given")
        elif name in ("mul", "mul_") and args and "other" in kwargs:
            raise TypeError(f"{name}() got multiple values for argument 'other'")
        elif name == "div_" and (len(args) > 1 or kwargs and (
                args and "other" in kwargs or set(kwargs) - {"rounding_mode", "other"} or
                not isinstance(kwargs.get("rounding_mode", ""), (str, type(None))))):
            from .._argparse import parser

            div = parser("div", method=True)  # (div's signatures, in div_'s words)
            div.name = name
            div.match(args, kwargs)
        if alpha and "alpha" in kwargs and (not isinstance(
                kwargs["alpha"], (numbers.Number, np.number, np.bool_, Tensor)) or isinstance(
                kwargs["alpha"], Tensor) and (kwargs["alpha"].dim() or
                                              kwargs["alpha"].requires_grad)):
            # (the parser's Number: a tensor only where 0-d and not requiring grad)
            raise TypeError(f"{name}(): argument 'alpha' must be Number, not "
                            f"{tp_name(kwargs['alpha'])}")
        other = args[0] if args else kwargs.get("other", 0)
        if type(other) not in _PLAIN:
            if not args:  # (by keyword: PyTorch's parser names no position)
                try:
                    tensor_or_number(name, (other,), ("other",), 1)
                except TypeError as e:
                    raise TypeError(str(e).replace(" (position 1)", "")) from None
            tensor_or_number(name, (other,), ("other",), 1)
        return fn(self, *args, **kwargs)
    return functools.wraps(fn)(method)


def check_tensor_args(cls):
    """Once every method is installed: the methods of ``_TENSOR_ARGS`` check their tensor
    arguments first, with the method's numbering, and ``add``/``sub``/``mul``/``div`` (and
    their in-place forms) refuse a list or an array, which their operators take."""
    global _PLAIN
    _PLAIN = _PLAIN | {cls}
    for name, theirs in _TENSOR_ARGS.items():
        if callable(getattr(cls, name, None)):
            setattr(cls, name, _tensor_args(name, theirs, getattr(cls, name)))
    for name in ("add", "sub", "mul", "div", "add_", "sub_", "mul_", "div_"):
        setattr(cls, name, _tensor_or_number_other(name, getattr(cls, name)))


def _keyword_names(name, fn):
    """``fn`` taking PyTorch's keyword names for its arguments (see ``_TORCH_ARGS``), where
    they differ from its own (which it still takes)."""
    import functools
    import inspect

    theirs = _TORCH_ARGS.get(name[:-1] if name.endswith("_") else name)
    if theirs is None:
        return fn
    try:
        ours = list(inspect.signature(fn).parameters.values())[1:]
    except (TypeError, ValueError):
        return fn
    renames = {t: p.name for t, p in zip(theirs, ours)
               if t != p.name and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if not renames:
        return fn
    position = {t: k for k, (t, p) in enumerate(zip(theirs, ours))
                if p.kind == p.POSITIONAL_OR_KEYWORD}

    def method(self, *args, **kwargs):
        if kwargs:
            for t, o in renames.items():
                if t in kwargs:
                    if position.get(t, len(args)) < len(args):  # (``x.mul(2, other=y)``)
                        raise TypeError(f"{name}() got multiple values for argument '{t}'")
                    kwargs[o] = kwargs.pop(t)
        return fn(self, *args, **kwargs)
    return functools.wraps(fn)(method)


def _nn_fn(name):
    """A Tensor method that forwards to ``nn.functional`` (softmax and friends)."""
    def method(self, *args, **kwargs):
        from ..nn import functional

        if "axis" in kwargs:  # the method takes PyTorch's NumPy-style alias of dim
            kwargs["dim"] = kwargs.pop("axis")
        check_dim_given(name, args, kwargs, 1)
        args, kwargs = dim_dtype_args(name, args, kwargs)
        return getattr(functional, name)(self, *args, **kwargs)
    method.__name__ = name
    return method


_unaries = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
            "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
            "asinh", "acosh", "atanh", "sigmoid", "erf", "erfc", "erfinv", "relu", "abs", "sign",
            "sgn", "floor", "ceil", "trunc", "fix", "round", "frac", "neg", "square"]

_METHODS = {
    # arithmetic and operators
    "add": P.add, "sub": P.sub, "subtract": P.sub, "mul": P.mul, "multiply": P.mul,
    "div": P.div, "divide": P.div, "true_divide": P.true_divide,
    "floor_divide": P.floor_divide, "remainder": P.remainder, "fmod": P.fmod, "pow": P.pow,
    "add_": inplace(P.add), "sub_": inplace(P.sub), "subtract_": inplace(P.sub),
    "mul_": inplace(P.mul), "multiply_": inplace(P.mul), "div_": inplace(P.div),
    "divide_": inplace(P.div), "true_divide_": inplace(P.true_divide),
    "floor_divide_": inplace(P.floor_divide), "remainder_": inplace(P.remainder),
    "fmod_": inplace(P.fmod), "pow_": inplace(P.pow),
    # (``2 + t`` and ``2 * t`` record ``t`` first, as PyTorch's ``t.__radd__(2)`` does)
    "__add__": P.add, "__radd__": P.add, "__iadd__": inplace(P.add),
    "__sub__": P.sub, "__rsub__": lambda self, other: P.rsub(self, other),
    "__isub__": inplace(P.sub),
    "__mul__": P.mul, "__rmul__": P.mul, "__imul__": inplace(P.mul),
    "__truediv__": P.div, "__rtruediv__": P.rtruediv, "__itruediv__": inplace(P.div),
    "__floordiv__": P.floor_divide, "__rfloordiv__": _r(P.floor_divide),
    "__ifloordiv__": inplace(P.floor_divide),
    "__mod__": P.remainder, "__rmod__": _r(P.remainder), "__imod__": inplace(P.remainder),
    "__pow__": P.pow, "__rpow__": _r(P.pow), "__ipow__": inplace(P.pow),
    "__matmul__": _matmul_op, "__rmatmul__": _rmatmul_op,
    "__neg__": P.neg, "__pos__": _pos, "__abs__": P.abs,
    "__invert__": _invert,
    "__and__": P.bitwise_and, "__rand__": _r(P.bitwise_and), "__iand__": inplace(P.bitwise_and),
    "__or__": P.bitwise_or, "__ror__": _r(P.bitwise_or), "__ior__": inplace(P.bitwise_or),
    "__xor__": _xor, "__rxor__": _r(_xor), "__ixor__": inplace(_xor),
    "__lshift__": P.bitwise_left_shift, "__rlshift__": _r(P.bitwise_left_shift),
    "__ilshift__": inplace(P.bitwise_left_shift),
    "__rshift__": P.bitwise_right_shift, "__rrshift__": _r(P.bitwise_right_shift),
    "__irshift__": inplace(P.bitwise_right_shift),
    "bitwise_left_shift": P.bitwise_left_shift, "bitwise_right_shift": P.bitwise_right_shift,
    "__contains__": _contains, "__reversed__": lambda self: S.flip(self, 0) if self.ndim else self,
    "__eq__": P.eq, "__ne__": P.ne, "__lt__": P.lt, "__le__": P.le, "__gt__": P.gt,
    "__ge__": P.ge,
    "eq": P.eq, "ne": P.ne, "lt": P.lt, "le": P.le, "gt": P.gt, "ge": P.ge,
    "not_equal": P.ne, "less": P.lt, "less_equal": P.le, "greater": P.gt,
    "greater_equal": P.ge,
    "eq_": inplace(P.eq), "ne_": inplace(P.ne), "lt_": inplace(P.lt), "le_": inplace(P.le),
    "gt_": inplace(P.gt), "ge_": inplace(P.ge),
    "logical_and": P.logical_and, "logical_or": P.logical_or, "logical_xor": P.logical_xor,
    "logical_not": P.logical_not, "logical_not_": unary_inplace(P.logical_not, "logical_not"),
    "logical_and_": tensor_other_inplace(P.logical_and, "logical_and_"),
    "logical_or_": tensor_other_inplace(P.logical_or, "logical_or_"),
    "logical_xor_": tensor_other_inplace(P.logical_xor, "logical_xor_"),
    "bitwise_and_": inplace(P.bitwise_and),
    "bitwise_or_": inplace(P.bitwise_or), "bitwise_xor_": inplace(_xor),
    "bitwise_not_": unary_inplace(P.bitwise_not),
    "bitwise_left_shift_": inplace(P.bitwise_left_shift),
    "bitwise_right_shift_": inplace(P.bitwise_right_shift),
    "bitwise_and": P.bitwise_and, "bitwise_or": P.bitwise_or, "bitwise_xor": P.bitwise_xor,
    "bitwise_not": P.bitwise_not,
    "isnan": P.isnan, "isinf": P.isinf, "isfinite": P.isfinite, "isposinf": P.isposinf,
    "isneginf": P.isneginf, "signbit": P.signbit, "nan_to_num": P.nan_to_num,
    "nan_to_num_": unary_inplace(P.nan_to_num, "nan_to_num"),
    "isclose": P.isclose, "allclose": P.allclose, "equal": P.equal,
    "clamp": P.clamp, "clip": P.clamp, "clamp_": _clamp_, "clip_": _clamp_,
    "clamp_min": P.clamp_min, "clamp_max": P.clamp_max,
    "clamp_min_": _clamp_min_, "clamp_max_": _clamp_max_,
    "maximum": P.maximum, "minimum": P.minimum, "fmax": P.fmax, "fmin": P.fmin,
    "where": lambda self, cond, other: P.where(cond, self, other),
    "lerp": P.lerp, "lerp_": _lerp_, "addcmul": P.addcmul, "addcdiv": P.addcdiv,
    "addcmul_": _addcmul_, "addcdiv_": _addcdiv_, "atan2": P.atan2, "arctan2": P.atan2,
    "hypot": P.hypot, "logaddexp": P.logaddexp, "xlogy": P.xlogy,
    "fill_": _fill_, "zero_": _zero_,
    # linear algebra
    "matmul": L.matmul, "mm": L.mm, "bmm": L.bmm, "mv": L.mv, "dot": L.dot, "inner": L.inner,
    "outer": L.outer, "ger": L.ger, "addmm": lambda self, a, b, **kw: L.addmm(self, a, b, **kw),
    # reductions
    "sum": R.sum, "nansum": R.nansum, "mean": R.mean, "nanmean": R.nanmean, "prod": R.prod,
    "max": R.max, "min": R.min, "amax": R.amax, "amin": R.amin, "aminmax": R.aminmax,
    "argmax": R.argmax, "argmin": R.argmin, "std": R.std, "var": R.var, "norm": R._tensor_norm,
    "logsumexp": R.logsumexp, "cumsum": R.cumsum, "cumprod": R.cumprod, "cummax": R.cummax,
    "cummin": R.cummin, "all": R.all, "any": R.any, "count_nonzero": R.count_nonzero,
    "hash_tensor": R.hash_tensor,
    "sort": R.sort, "argsort": R.argsort, "msort": R.msort, "topk": R.topk,
    "kthvalue": R.kthvalue, "median": R.median,
    "unique": R.dispatch_words(R.unique, "_", 2, 3, method=True),
    "unique_consecutive": R.dispatch_words(R.unique_consecutive, "_consecutive_", 2, 1,
                                           method=True),
    "bincount": R.bincount,
    "sum_to_size": _sum_to_size,
    # shapes and views
    "view": S.view, "view_as": _view_as, "reshape": S.reshape, "reshape_as": _reshape_as,
    "flatten": S.flatten, "unflatten": S.unflatten, "ravel": lambda self: S.reshape(self, -1),
    "squeeze": S.squeeze, "unsqueeze": S.unsqueeze, "squeeze_": _squeeze_,
    "unsqueeze_": _unsqueeze_, "t_": _t_inplace,
    "permute": S.permute, "transpose": S.transpose, "swapaxes": S.swapaxes,
    "swapdims": S.swapaxes, "t": S.t_, "movedim": S.movedim, "moveaxis": S.movedim,
    "expand": S.expand, "expand_as": S.expand_as, "broadcast_to": S.broadcast_to_method,
    "repeat": S.repeat, "tile": S.tile, "repeat_interleave": S.repeat_interleave,
    "split": S.split, "chunk": S.chunk, "tensor_split": S.tensor_split, "unbind": S.unbind,
    "flip": _flip,
    "fliplr": S.fliplr, "flipud": S.flipud, "roll": S.roll, "narrow": S.narrow,
    "select": S.select, "split_with_sizes": S.split_with_sizes, "unfold": S.unfold,
    "diagonal": S.diagonal, "diag": S.diag,
    "diag_embed": S.diag_embed,
    "tril": S.tril, "triu": S.triu, "tril_": _writes_expanded(S.tril),
    "triu_": _writes_expanded(S.triu),
    "contiguous": S.contiguous, "is_contiguous": S.is_contiguous, "stride": S.stride,
    "storage_offset": S.storage_offset, "data_ptr": S.data_ptr, "const_data_ptr": S.data_ptr,
    "clone": _clone,
    "as_strided": S.as_strided_view, "as_strided_": S.as_strided_,
    "share_memory_": _share_memory_, "is_shared": _is_shared,
    "untyped_storage": _untyped_storage,
    "dim_order": _dim_order,
    # indexing
    "__getitem__": I.getitem, "__setitem__": I.setitem, "gather": I.gather,
    "scatter": I.scatter, "scatter_": _scatter_, "scatter_add": I.scatter_add,
    "scatter_add_": _scatter_add_, "index_select": I.index_select, "index_add": I.index_add,
    "index_add_": _index_add_, "index_put_": I.index_put_, "index_put": _index_put,
    "masked_fill": I.masked_fill, "masked_fill_": _masked_fill_,
    "masked_select": I.masked_select, "masked_scatter": I.masked_scatter,
    "nonzero": I.nonzero, "argwhere": I.argwhere, "take": I.take, "copy_": I.copy_,
    # conversion
    "to": C.to, "type": C.type_, "type_as": _type_as, "cpu": C.cpu, "cuda": C.cuda, "xpu": C.xpu,
    "ipu": C.ipu, "mtia": C.mtia,
    "float": _cast_method(D.float32, "float"),
    "double": _cast_method(D.float64, "double"),
    "half": _cast_method(D.float16, "half"),
    "bfloat16": _cast_method(D.bfloat16, "bfloat16"),
    "int": _cast_method(D.int32, "int"),
    "long": _cast_method(D.int64, "long"),
    "short": _cast_method(D.int16, "short"),
    "char": _cast_method(D.int8, "char"),
    "byte": _cast_method(D.uint8, "byte"),
    "bool": _cast_method(D.bool, "bool"),
    # factories and random fills
    "new_zeros": _new(F.zeros), "new_ones": _new(F.ones), "new_empty": _new(F.empty),
    "new_full": _new_full, "new_tensor": _new_tensor,
    "uniform_": F.uniform_, "normal_": F.normal_, "random_": F.random_,
    "bernoulli_": F.bernoulli_, "bernoulli": lambda self, p=None, *, generator=None: F.bernoulli(
        self, p, generator=generator), "exponential_": F.exponential_,
    "multinomial": F.multinomial,
    "map_": _map_, "apply_": _apply_,
    "softmax": _nn_fn("softmax"), "log_softmax": _nn_fn("log_softmax"),
    "prelu": _nn_fn("prelu"), "hardshrink": _nn_fn("hardshrink"),
}



def _method_without_out(fn):
    """PyTorch's reduction methods take no ``out=`` (``torch.sum(t, 0, out=None)`` does): so
    ``np.sum(t)``, which calls ``t.sum(axis=None, out=None)``, raises a TypeError."""
    def method(self, *args, **kwargs):
        if "out" in kwargs:  # NumPy's calls also pass ``axis=``, which PyTorch names first
            bad = "axis" if "axis" in kwargs else "out"
            raise TypeError(f"{fn.__name__}() got an unexpected keyword argument '{bad}'")
        return fn(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


for _name in ("sum", "nansum", "mean", "nanmean", "prod", "max", "min", "amax", "amin",
              "argmax", "argmin", "std", "var", "logsumexp", "all", "any", "count_nonzero",
              "median", "cumsum", "cumprod"):
    _METHODS[_name] = _method_without_out(_METHODS[_name])
del _name

_PROPERTIES = {"T": S.T, "mT": S.mT, "H": lambda t: S.H(t).conj(),
               "mH": lambda t: S.mT(t, "mH").conj()}


_BINARY_DUNDERS = frozenset(
    f"__{p}{op}__" for op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow",
                              "matmul", "and", "or", "xor", "lshift", "rshift")
    for p in ("", "r", "i")) | {
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"}


def _operator(fn, name=""):
    """A binary operator that answers NotImplemented for an operand no tensor op takes
    (None, a string, a list...), as PyTorch's do: ``t == None`` is then False, ``t in
    [None, t]`` works, and ``t + None`` raises Python's own TypeError."""
    def op(self, other, *modulo):
        if modulo:  # ``pow(t, 2, 5)``: no tensor op takes a modulus (Python's TypeError)
            return NotImplemented
        if type(other) is Tensor or isinstance(other, _OPERANDS):
            if isinstance(other, np.ndarray) and not numpy_ok:
                # NOTE: PyTorch's operators (but ``==`` and ``/`` on the right) refuse a NumPy
                # array, so NumPy's own reflected operator computes: a float64 result for
                # float32 and float64, no autograd, and refusals where NumPy has none
                # (``t < arr``, ``arr - t``), and ``t != arr`` is Python's identity test.
                if name != "__rtruediv__":
                    return NotImplemented
                import warnings

                out = self.reciprocal() * other
                # (NumPy 2's, as it wraps its result in PyTorch's Python code)
                warnings.warn("__array_wrap__ must accept context and return_scalar arguments "
                              "(positionally) in the future. (Deprecated NumPy 2.0)",
                              DeprecationWarning, stacklevel=1)
                return out
            return fn(self, other)
        if getattr(type(other), "__torch_function__", None) is not None:
            from .._subclass import foreign_operand  # (a tensor-like: ``x + scalar_like``)

            return foreign_operand(name, self, other)
        return NotImplemented
    numpy_ok = name == "__eq__"
    op.__name__ = getattr(fn, "__name__", "op")
    return op


def install(cls):
    global Tensor, _OPERANDS
    Tensor = cls
    _OPERANDS = (cls, numbers.Number, np.generic, np.ndarray)
    for name in _unaries:
        fn, fn_ = _unary(name)
        _METHODS.setdefault(name, fn)
        _METHODS.setdefault(name + "_", fn_)
    _METHODS.setdefault("arcsin", P.asin)
    _METHODS.setdefault("arccos", P.acos)
    _METHODS.setdefault("arctan", P.atan)
    _METHODS.setdefault("negative", P.neg)
    _METHODS.setdefault("positive", _pos)
    _METHODS.setdefault("absolute", P.abs)
    from . import complex as _complex

    _complex.install(cls, _METHODS, _PROPERTIES)
    for name, fn in _METHODS.items():
        if getattr(fn, "__module__", None) == __name__ and fn.__name__ == "_" + name:
            fn.__name__ = fn.__qualname__ = name  # Python's argument errors name the method
        if name in _BINARY_DUNDERS:
            fn = _operator(fn, name)
        else:
            fn = _keyword_names(name, fn)
        setattr(cls, name, fn)
    for name, fn in _PROPERTIES.items():
        setattr(cls, name, property(*fn) if isinstance(fn, tuple) else property(fn))
    cls.__hash__ = object.__hash__
