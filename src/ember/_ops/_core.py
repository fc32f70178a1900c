"""How an op turns arrays into tensors and records itself in the graph.

Every op computes its result on arrays (``t._data``) with the array module of
its device, then calls :func:`make` (or :func:`make_view`, :func:`make_multi`)
with its inputs, PyTorch's node name and its backward rule.  Nothing is
recorded when grad mode is off or no input requires grad.
"""
from __future__ import annotations
from ember._warnings import warn as _warn

import operator

import numpy as np

from .. import _dtype as D
from .. import _device
from .._device import CPU, device_of_array, xp_for
from .._tensor import InferenceVersionCounter, Tensor, VersionCounter
from ..autograd.grad_mode import STATE
from ..autograd.graph import OUT, SavedOutput, get_accumulator, node_class  # noqa: F401 (OUT: for the ops)



class _Quiet:
    """``with quiet:`` silences NumPy's floating-point warnings (overflow, 0/0...).

    PyTorch never warns about them, so no op should.  ``np.errstate`` does the same but
    costs about a microsecond per use, which matters once per op; this sets NumPy's
    error state directly and is re-entrant.
    """

    __slots__ = ("_tokens",)

    def __init__(self):
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_ERRSTATE.set(_IGNORE_ALL))

    def __exit__(self, *exc):
        _ERRSTATE.reset(self._tokens.pop())
        return False


try:  # NumPy >= 2 keeps its error state in a context variable
    from numpy._core._ufunc_config import _extobj_contextvar as _ERRSTATE
    from numpy._core._ufunc_config import _make_extobj

    _IGNORE_ALL = _make_extobj(all="ignore")
except ImportError:  # pragma: no cover - NumPy 1.x: np.seterr returns the old settings
    class _SetErr:
        @staticmethod
        def set(settings):
            return np.seterr(**settings)

        @staticmethod
        def reset(old):
            np.seterr(**old)

    _ERRSTATE = _SetErr()
    _IGNORE_ALL = {"all": "ignore"}

quiet = _Quiet()
_profile_hook = None  # set while a profiler records: called by every op
# set while a vmap runs: told of a result made without ``make`` (a comparison, ``any``...),
# which is mapped where an input is (ember.func._vmap)
_mapped_hook = None


def mapped(out, *inputs):
    """``out``, an op's result from ``inputs`` made with ``wrap``, as a vmap sees it."""
    if _mapped_hook is not None:
        _mapped_hook(inputs, out._data)
    return out


def refuse_dynamic(op, *tensors):
    """vmap's refusal of op ``op`` (``nonzero``...), whose result's shape depends on the values
    of ``tensors``, where one is mapped."""
    if _mapped_hook is not None:
        from ..func._vmap import refuse_dynamic

        refuse_dynamic(op, *tensors)


def wrap(arr, device=None) -> Tensor:
    """A new tensor owning ``arr`` (no history)."""
    if type(arr) is not np.ndarray and isinstance(arr, _SCALARS):
        arr = np.asarray(arr)  # NumPy returns scalars from some 0-d results
    t = _new_tensor(Tensor)
    t._data = arr
    t._device = device if device is not None else _dev_of(arr)
    t._requires_grad = False
    t._grad_fn = None
    t._vc = VersionCounter()
    t._fresh = STATE.in_backward
    if STATE.inference:
        t._is_inference = True
        t._vc = InferenceVersionCounter()
    return t


_new_tensor = object.__new__
# (bfloat16 joins when loaded: its NumPy dtype comes from ml_dtypes, imported on first use)
FLOAT_NP = {d.np for d in (D.float16, D.float32, D.float64)}
D.on_bfloat16_np(FLOAT_NP.add)  # (one set.add: atomic under the GIL, so readers need no lock)
D.on_float8_np(FLOAT_NP.add)  # (float8 results are recorded too, as PyTorch records them)


_SCALARS = (np.generic, bool, int, float, complex)


def as_array(x):
    """An op's result as an array: NumPy returns some 0-d results as scalars, CuPy never."""
    return np.asarray(x) if isinstance(x, _SCALARS) else x


def need_tensor(x, fname, arg="input", pos=1):
    """PyTorch's parser error where ``torch.<fname>`` takes only a tensor as argument ``arg``
    (numbered as in the function's signature: ``torch.mm(t, 2)`` names position 2)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{tp_name(x)}")


def to_host(a):
    """A NumPy array of ``a``'s values (a copy from the GPU; ``a`` itself on the CPU)."""
    return a if type(a) is np.ndarray else a.get()


def _dev_of(arr):
    return CPU if type(arr) is np.ndarray else device_of_array(arr)


def edge(t):
    """The ``(node, output_nr)`` a gradient for ``t`` flows into."""
    if t is None:
        return _NO_EDGE
    if t._base is None:
        if not t._requires_grad:
            return _NO_EDGE
        fn = t._grad_fn
    elif t._requires_grad or t._base._requires_grad:  # (a view's history may be out of date)
        fn = t.grad_fn
        if fn is None and not t._requires_grad:  # (follows its base: gathers nothing)
            return _NO_EDGE
    else:
        return _NO_EDGE
    if fn is not None:
        return (fn, t._output_nr)
    if t._no_grad_view:  # requires grad, yet gathers none (as in PyTorch)
        return _NO_EDGE
    acc = t._accumulator
    return (acc if acc is not None else get_accumulator(t), 0)


_NO_EDGE = (None, 0)


def gets_grad(t) -> bool:
    """Whether a gradient flows into ``t``: its own ``requires_grad``, or, for a view that
    follows its base (made before the base required grad), the history it takes once the
    base was written into (looked up here, before an op decides what to save)."""
    if t._requires_grad:
        return True
    b = t._base
    return b is not None and b._requires_grad and t.grad_fn is not None


def needs_grad(inputs) -> bool:
    if not STATE.enabled:
        return False
    for t in inputs:
        if t is not None and (t._requires_grad or t._base is not None and t._base._requires_grad):
            return True
    return False


def _node(name, rule, inputs):
    if len(inputs) == 1:
        d = inputs[0]._data
        return node_class(name)(rule, (edge(inputs[0]),), ((d.shape, d.dtype),))
    if len(inputs) == 2 and inputs[0] is not None and inputs[1] is not None:
        # every binary op: the general case below, unrolled
        a, b = inputs
        da, db = a._data, b._data
        return node_class(name)(rule, (edge(a), edge(b)),
                                ((da.shape, da.dtype), (db.shape, db.dtype)))
    edges = tuple([edge(t) for t in inputs])
    meta = tuple([(t._data.shape, t._data.dtype) if t is not None else None for t in inputs])
    return node_class(name)(rule, edges, meta)


def channels_last_copy(a):
    """A copy of NCHW(D) array ``a`` laid out channels-last (channels vary fastest)."""
    xp = xp_of_array(a)
    if not a.size and xp is np:  # (NumPy's empty arrays have zero strides: PyTorch's own)
        from numpy.lib.stride_tricks import as_strided

        return as_strided(np.empty(0, a.dtype), a.shape,
                          [s * a.itemsize for s in channels_last_strides(a.shape)])
    perm = (0, *range(2, a.ndim), 1)
    inverse = tuple(int(i) for i in np.argsort(perm))
    moved = a.transpose(perm)
    out = xp.empty(moved.shape, a.dtype)  # (fresh: PyTorch's strides on size-1 dims too)
    out[...] = moved
    return out.transpose(inverse)


def channels_last_strides(shape):
    """PyTorch's channels-last strides for NCHW(D) ``shape``.

    NOTE: unlike its contiguous strides, PyTorch multiplies the sizes as they are, so a
    dim of size 0 gives the dims outside it zero strides (``(2, 0, 4, 5)``: ``(0, 1, 0, 0)``)."""
    strides = [0] * len(shape)
    step = 1
    for d in (1, *range(len(shape) - 1, 1, -1), 0):  # C, then W, H (D), then N
        strides[d] = step
        step *= shape[d]
    return strides


def is_channels_last(a) -> bool:
    """Whether array ``a``'s strides are channels-last (NHWC / NDHWC order in memory)."""
    if a.size == 0:
        return True
    expected = 1
    for d in (1, *range(a.ndim - 1, 1, -1), 0):  # C, then W, H (D), then N
        if a.shape[d] != 1:
            if a.strides[d] // a.itemsize != expected:
                return False
            expected *= a.shape[d]
    return True


def suggests_channels_last(a) -> bool:
    """PyTorch's suggested memory format of a 4-d (5-d) array is channels-last
    (channels-last-3d): its strides read, size-1 dims included, as C, W, H (D), N in
    ascending order, each at least the one before times its size, with N's not C's (an
    N x 1 x 1 x 1 tensor is contiguous).  ``is_channels_last`` ignores size-1 dims; this
    does not (PyTorch's ``suggest_memory_format``, which picks oneDNN's kernels and decides
    whether ``to(memory_format=...)`` copies)."""
    if a.ndim not in (4, 5) or not a.size:
        return False
    st = [s // a.itemsize for s in a.strides]
    if st[1] == 0:
        return False
    low = 0
    for d in (1, *range(a.ndim - 1, 1, -1), 0):
        if st[d] < low or d == 0 and low == st[1]:
            return False
        low = st[d] * max(a.shape[d], 1)
    return True


# ops whose PyTorch kernels (TensorIterator's, or a legacy-contiguous empty_like) give a
# contiguous input a contiguous result, even one whose size-1 dims' strides suggest
# channels-last (an N x C x 1 x 1 or N x 1 x H x W channels-last tensor); those whose
# result is contiguous whatever the input are in ``_CONTIGUOUS_OUT`` below
_CONTIGUOUS_KEEPS = frozenset(
    f"{n}Backward{i}" for n in (
        "NativeBatchNorm", "Elu", "Celu", "Gelu", "Hardswish", "Hardsigmoid", "Silu", "Mish",
        "LeakyRelu", "Softplus", "Softshrink", "Hardshrink", "Threshold") for i in (0, 1))


# ops whose PyTorch kernels give a contiguous result whatever the input's layout (reductions,
# scans, softmax, layer norm, grid_sample, masked_fill, repeat, tril/triu, index_select,
# gather, scatter: a contiguous output or a contiguous copy of the input); ``make`` lays out
# their results so, at any rank
_CONTIGUOUS_OUT = frozenset((
    "SumBackward1", "MeanBackward1", "AmaxBackward0", "AminBackward0", "MaxBackward0",
    "MinBackward0", "VarBackward0", "StdBackward0", "VarMeanBackward0", "StdMeanBackward0",
    "LinalgVectorNormBackward0", "NormBackward1", "ProdBackward1", "LogsumexpBackward0",
    "NansumBackward0", "SoftmaxBackward0", "LogSoftmaxBackward0", "CumsumBackward0",
    "CumprodBackward0", "LogcumsumexpBackward0", "NativeLayerNormBackward0",
    "GridSampler2DBackward0", "GridSampler3DBackward0", "MaskedFillBackward0",
    "MaskedFillBackward1", "RepeatBackward0", "TrilBackward0", "TriuBackward0",
    "IndexSelectBackward0", "GatherBackward0", "MaskedScatterBackward0", "LogSigmoidBackward0",
    "ScatterBackward0", "ScatterBackward1", "ScatterAddBackward0", "ScatterReduceBackward0",
    "IndexCopyBackward0", "IndexAddBackward0", "IndexReduceBackward0", "RreluWithNoiseBackward0",
    "RenormBackward0", "LinalgCrossBackward0", "AdaptiveMaxPool3DBackward0",
    "AdaptiveAvgPool3DBackward0", "AvgPool3DBackward0",
))


def c_dense(arr):
    """``arr`` C-contiguous with PyTorch's strides (size-1 dims' included): itself or a copy."""
    if arr.flags.c_contiguous and (1 not in arr.shape or arr.strides == tuple(
            s * arr.itemsize for s in contiguous_strides(arr.shape))):
        return arr
    out = xp_of_array(arr).empty(arr.shape, arr.dtype)
    out[...] = arr
    return out


def _suggested_layout(arr, inputs, name=None):
    """PyTorch's suggested memory format: a 4-d or 5-d result comes out channels-last when
    an input of its rank suggests channels-last (``suggests_channels_last``: a 1 x C x H x W
    view of an H x W x C array does not), unless the result views that input's memory."""
    if name == "IndexBackward0":  # (laid out by TensorIterator's rules: ``index``'s own)
        return arr
    if arr.ndim > 5 or not arr.size or arr.flags.c_contiguous is False and is_channels_last(arr):
        return arr
    for t in inputs:
        a = None if t is None else t._data
        # (C-contiguous without size-1 dims: plain strides; with them, the size-1 dims'
        # strides decide, as PyTorch's: a 1-channel channels-last tensor suggests it; but
        # not for the ops that keep a contiguous input's result contiguous)
        if a is None or a.ndim != arr.ndim or a.flags.c_contiguous and (
                1 not in a.shape or name in _CONTIGUOUS_KEEPS) or \
                not suggests_channels_last(a):
            continue
        if xp_of_array(arr).may_share_memory(arr, a):
            return arr
        return channels_last_copy(arr)
    return arr


# -- TensorIterator's output strides -------------------------------------------------------

def iter_layout(arr, ops, common=None, first=0):
    """``arr``, the result of an elementwise op over tensors ``ops`` (None: a number), laid out
    with the strides PyTorch's TensorIterator gives it (NumPy's own choice differs for
    permuted and broadcast inputs, and for the strides of size-1 dims).

    ``common``: the NumPy dtype PyTorch computes in; on the CPU it first converts the tensors
    ``ops[first:]`` of another dtype (a copy that keeps their layout, made dense).
    """
    # The common cases, decided cheaply.  Without size-1 dims in the result (a size-1 dim of
    # an operand is then broadcast, and its stride does not count): C-contiguous tensors give
    # a contiguous result, which is what NumPy returns for them; tensors of the result's shape
    # all strided as NumPy's result (two transposes, say) give a result strided so too.
    shape = arr.shape
    if not arr.size:  # (NumPy calls every empty array C-contiguous: PyTorch's rules decide)
        pass
    elif 1 not in shape:
        for t in ops:
            if t is not None and not t._data.flags.c_contiguous:
                break
        else:
            return arr
        strides = arr.strides
        for t in ops:
            if t is not None and (t._data.strides != strides or t._data.shape != shape):
                break
        else:
            return arr
    elif arr.flags.c_contiguous and arr.strides == tuple(
            s * arr.itemsize for s in contiguous_strides(shape)):
        strides = arr.strides  # (size-1 dims: the operands' strides must be PyTorch's too)
        for t in ops:
            if t is not None and (not t._data.flags.c_contiguous or 1 in t._data.shape and
                                  t._data.strides != strides):
                break
        else:
            return arr
    want = _iter_strides(arr, ops, common, first)
    if want is None:
        return arr
    from .shape import _as_strided

    item = arr.itemsize
    n = 1
    for s in arr.shape:
        n *= s
    xp = xp_of_array(arr)
    out = _as_strided(xp.empty(max(n, 1), arr.dtype), arr.shape, [s * item for s in want])
    out[...] = arr
    return out


def c_order(a):
    """Array ``a`` in row-major order (``a`` itself when it is; a 0-d array stays 0-d)."""
    return a if a.flags.c_contiguous else xp_of_array(a).ascontiguousarray(a)


def contiguous_strides(shape):
    """The element strides of a C-contiguous tensor of ``shape`` (as PyTorch gives them: a
    size-0 or size-1 dim counts as 1 for the dims before it)."""
    out, z = [], 1
    for s in reversed(shape):
        out.append(z)
        z *= s if s > 1 else 1
    return tuple(out[::-1])


def _is_contiguous(shape, st):
    if 0 in shape:
        return True
    z = 1
    for s, t in zip(reversed(shape), reversed(st)):
        if s != 1:
            if t != z:
                return False
            z *= s
    return True


def is_dense(shape, st):
    """PyTorch's is_non_overlapping_and_dense: the elements fill a block of memory exactly
    once, in some order of the dims (strides in elements)."""
    dims = sorted((t, s) for s, t in zip(shape, st) if s > 1)
    z = 1
    for t, s in dims:
        if t != z:
            return False
        z *= s
    return True


def _sort_dims(shape, operands):
    """TensorIterator's order of the dims, fastest first: an insertion sort whose comparison
    asks the operands in turn (a broadcast dim, stride 0, has no say; a smaller stride
    decides; equal strides put the smaller size first; undecided leaves the order)."""
    n = len(shape)
    perm = list(range(n - 1, -1, -1))
    for i in range(1, n):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            a, b = perm[d0], perm[d1]
            cmp = 0
            for st in operands:
                s0, s1 = st[a], st[b]
                if s0 == 0 or s1 == 0:
                    continue
                if s0 < s1:
                    cmp = -1
                    break
                if s0 > s1 or shape[a] > shape[b]:
                    cmp = 1
                    break
            if cmp > 0:
                perm[d0], perm[d1] = b, a
                d1 = d0
            elif cmp < 0:
                break
    return perm


def _dense_like(shape, st):
    """The strides ``.to(dtype)`` gives a copy of a tensor with these (its dims' order kept)."""
    if is_dense(shape, st):
        return st
    perm = _sort_dims(shape, [st])
    out, z = [0] * len(shape), 1
    for d in perm:
        out[d] = z
        if shape[d] > 1:
            z *= shape[d]
    return out


def _iter_strides(arr, ops, common, first):
    """The element strides PyTorch gives ``arr``, or None where its own are those."""
    shape = arr.shape
    n = len(shape)
    if n == 0:
        return None
    convert = common is not None and type(arr) is np.ndarray
    operands = []
    same = True
    for i, t in enumerate(ops):
        if t is None:
            same = False
            continue
        d = t._data
        if d.ndim == 0:
            same = False
            continue
        st = [s // d.itemsize for s in d.strides]
        if convert and i >= first and d.dtype != common:
            st = _dense_like(d.shape, st)
        if d.shape != shape:
            same = False
        operands.append((d.shape, st))
    same = same and bool(operands)
    if same:  # TensorIterator's fast set-up
        if all(_is_contiguous(s, st) for s, st in operands):
            want = contiguous_strides(shape)
        elif n == 4 and all(is_channels_last_strides(s, st) for s, st in operands):
            want = [0, 1, 0, 0]
            want[3] = shape[1]
            want[2] = want[3] * shape[3]
            want[0] = want[2] * shape[2]
        elif all(is_dense(s, st) for s, st in operands) and \
                all(st == operands[-1][1] for s, st in operands):
            want = operands[-1][1]
        else:
            same = False
    if not same:
        padded = []
        for s, st in operands:
            off = n - len(s)
            padded.append([0] * off + [0 if s[i] == 1 and shape[off + i] != 1 else st[i]
                                       for i in range(len(s))])
        perm = _sort_dims(shape, padded)
        if perm == list(range(n - 1, -1, -1)):
            want = contiguous_strides(shape)
        else:
            want, z = [0] * n, 1
            for d in perm:
                want[d] = z
                z *= shape[d]
    item = arr.itemsize
    if [s // item for s in arr.strides] == list(want):
        return None
    return want


def is_channels_last_strides(shape, st) -> bool:
    """PyTorch's channels-last contiguity of a 4-d tensor with these element strides."""
    z = 1
    for d in (1, 3, 2, 0):
        if shape[d] != 1:
            if st[d] != z:
                return False
            z *= shape[d]
    return True


def make(arr, inputs, name, rule, *saved, device=None, _view=False, laid=False) -> Tensor:
    """Wrap the op's result and, when needed, record node ``name`` with ``rule``.

    ``laid``: ``arr`` already has its strides (``iter_layout``)."""
    # NOTE: this runs once per op, so it is ``wrap`` and ``needs_grad`` written out inline
    # (the two calls cost a quarter of recording an op).
    if type(arr) is not np.ndarray and isinstance(arr, _SCALARS):
        arr = np.asarray(arr)
    elif name in _CONTIGUOUS_OUT:
        arr = c_dense(arr) if arr.size else arr
    elif arr.ndim >= 4 and not laid and name != "CloneBackward0":  # (clone: its own)
        arr = _suggested_layout(arr, inputs, name)  # channels-last in, channels-last out
    if arr.dtype in D._ODD_NP or inputs and inputs[0] is not None and \
            inputs[0]._data.dtype in D._ODD_NP:  # float8 or a shell dtype
        from .._float8 import odd_result

        arr = odd_result(arr, inputs, name)
    elif arr.dtype in D._WIDE_NP and inputs and inputs[0] is not None and \
            inputs[0]._data.dtype in D._WIDE_NP:
        from .._float8 import wide_result

        wide_result(inputs, name)  # (uint16, uint32, uint64: PyTorch refuses most ops)
    if _profile_hook is not None:  # a profiler records (ember.autograd.profiler), or a vmap
        _profile_hook(name, inputs, arr)  # runs (the result's array, once laid out)
    out = _new_tensor(Tensor)
    out._data = arr
    out._device = device if device is not None else inputs[0]._device
    out._requires_grad = False
    out._grad_fn = None
    out._vc = VersionCounter()
    state = STATE
    out._fresh = state.in_backward
    if state.inference:
        out._is_inference = True
        out._vc = InferenceVersionCounter()  # (a view's is its base's, set by make_view)
        if not _view:  # (an inference tensor: never recorded, even under enable_grad)
            return out
    if rule is None or not state.enabled:
        return out
    for t in inputs:
        if t is not None and (t._requires_grad or t._base is not None and t._base._requires_grad):
            break
    else:
        return out
    if arr.dtype not in FLOAT_NP:
        if arr.dtype.kind != "c":
            return out
        if name not in _SELECTIONS:
            rule = complex_rule(rule)  # (complex results only: the float path pays nothing)
    node = _node(name, rule, inputs)
    out._grad_fn = node
    out._requires_grad = True
    if saved:
        node.save(*saved, out=out)
    return out


# Backward nodes that only pick, move or zero entries of the gradient (real coefficients):
# their rule is already right for complex values, and running it between two conjugations
# would turn the zeros it creates into -0 imaginary parts, which PyTorch's do not have.
_SELECTIONS = frozenset((
    "SliceBackward0", "SelectBackward0", "IndexBackward0", "MaskedFillBackward0",
    "MaskedFillBackward1", "GatherBackward0", "TakeBackward0", "IndexSelectBackward0",
    "ConstantPadNdBackward0", "SplitBackward0", "SplitWithSizesBackward0", "UnbindBackward0",
    "NarrowBackward0", "DiagonalBackward0", "DiagEmbedBackward0", "TrilBackward0",
    "TriuBackward0", "MaskedSelectBackward0", "UnfoldBackward0", "CatBackward0",
))


def complex_rule(rule):
    """``rule`` for a complex result, under PyTorch's convention (a gradient is the conjugate
    Wirtinger derivative: ``dL/dRe + i dL/dIm`` of a real loss).

    An op's rule multiplies the incoming gradient by the op's derivative; for a holomorphic
    op (arithmetic, exp, matmul, fft, and every linear op) the complex gradient is that times
    the *conjugated* derivative, ``conj(rule(conj(g)))``.  Rules written for complex values
    themselves (abs, angle, conj, ...) carry ``complex_ready`` and are used as they are.
    """
    if getattr(rule, "complex_ready", False):
        return rule

    def conj_rule(ctx, g):
        from .complex import conj_physical  # (a gradient never carries the conjugate bit)

        res = rule(ctx, conj_physical(g))
        if type(res) is not tuple:
            res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
        return tuple(_conj_grad(r) if r is not None and r._data.dtype.kind == "c" else r
                     for r in res)
    conj_rule.complex_ready = True
    return conj_rule


def _conj_grad(r):
    """``conj(r)`` for :func:`complex_rule`: PyTorch's ``g * conj(d)`` has a +0 imaginary part
    where its two products cancel, which ``conj(conj(g) * d)`` would make -0."""
    from .complex import conj_physical

    c = conj_physical(r)
    if type(c._data) is np.ndarray and c._data.flags.writeable and c._data.base is None:
        # (a new array of its own, made here)
        c._data.imag += 0.0  # (-0 + 0 is +0)
    return c


def complex_ready(rule):
    """Mark a backward rule as written for complex tensors (see :func:`complex_rule`)."""
    rule.complex_ready = True
    return rule


def linear_grad(arr, g, name, adjoint, into_zeros=False) -> Tensor:
    """A backward rule's result ``arr``, computed on raw arrays from the incoming gradient
    ``g`` and linear in it.  Recorded with ``adjoint``, its transpose written with
    differentiable ops, so that double backward (``create_graph=True``) differentiates
    through it instead of meeting a constant; outside that it is a plain wrap.
    ``into_zeros``: PyTorch's node writes ``g`` into a fresh zero tensor, its first input
    (an edge to no node in ``next_functions``)."""
    if into_zeros:
        return make(arr, (None, g), name, lambda ctx, gg: (None, adjoint(gg)),
                    device=g._device)
    return make(arr, (g,), name, lambda ctx, gg: (adjoint(gg),))


def not_twice_differentiable(grad, x, message, error=RuntimeError, name="NotImplemented",
                             inputs=None) -> Tensor:
    """A backward rule's result ``grad`` whose dependence on the op's input ``x`` is not
    recorded: a double backward that would need it raises ``error(message)``, as PyTorch's
    ops without a double-backward formula do, rather than treating it as a constant.
    ``name``: the node's name (PyTorch's ``...BackwardBackward0`` where it names the refusing
    node); ``inputs``: the node's edges when they are not ``(grad, x)`` (``x`` unused then:
    recorded when any of them requires grad)."""
    if inputs is None:
        if not (STATE.enabled and x._requires_grad):
            return grad
        inputs = (grad, x)
    elif not needs_grad(inputs):
        return grad

    def refuse(ctx, *gg):
        raise error(message)
    return make(grad._data, tuple(inputs), name, refuse)


def shown_as(grad, name, also=(), of=None):
    """A recorded gradient ``grad`` (the result of a backward rule under ``create_graph``)
    behind one pass-through node ``name``: PyTorch computes such gradients in one kernel whose
    node (``...BackwardBackward0``) is what ``grad.grad_fn`` shows.  ``also``: more inputs
    of that kernel (edges with no gradient), which make it recorded when they require grad
    even where ``grad`` does not.  ``of``: the node whose rule made ``grad``, for kernels
    that take the op's own input: its inputs become edges too, with zero gradients (PyTorch's
    formula for them); a gradient whose node already bears ``name`` gets them added."""
    if grad is None or not STATE.enabled:
        return grad
    extra = tuple([edge(t) for t in also]) + (of.next_functions if of is not None else ())
    xmeta = tuple([(t._data.shape, t._data.dtype) for t in also]) + \
        (tuple(of._meta) if of is not None else ())
    live = any(e[0] is not None for e in extra)
    fn = grad._grad_fn
    if fn is not None and type(fn).__name__ == name and fn._num_outputs == 1:
        if live:  # (a node made just now by the rule: it only gains edges)
            n, rule = len(fn.next_functions), fn._rule
            fn.next_functions = fn.next_functions + extra
            fn._meta = tuple(fn._meta) + xmeta
            fn._nig = None
            fn._rule = lambda ctx, gg: tuple(rule(ctx, gg)) + _zeros_for_edges(ctx, gg, n)
        return grad
    if not (grad._requires_grad or live):
        return grad
    node = node_class(name)(_pass_through, (edge(grad),) + extra,
                            ((grad._data.shape, grad._data.dtype),) + xmeta)
    node.__dict__["_zero_from"] = 1 + len(also)
    out = wrap(grad._data, grad._device)
    out._grad_fn, out._requires_grad = node, True
    return out


def _pass_through(ctx, g):
    return (g,) + (None,) * (ctx._zero_from - 1) + _zeros_for_edges(ctx, g, ctx._zero_from)


def _zeros_for_edges(ctx, g, first):
    xp = xp_of(g)
    return tuple([None if m is None or e[0] is None else wrap(xp.zeros(m[0], m[1]), g._device)
                  for e, m in zip(ctx.next_functions[first:], ctx._meta[first:])])


def exact_values(rule):
    """Decorator for a backward rule whose first-order path reproduces PyTorch's kernel bit
    for bit while its ``create_graph`` path builds a graph of other ops: under
    ``create_graph`` the gradients keep that graph but take the kernel's values (PyTorch's
    first gradient does not depend on ``create_graph``).  Costs a second run of the rule."""
    def exact(ctx, *gs):
        res = rule(ctx, *gs)
        if not STATE.enabled:
            return res
        STATE.enabled = False
        try:
            plain = rule(ctx, *gs)
        finally:
            STATE.enabled = True
        if type(res) is not tuple:
            return _with_values(res, plain)
        return tuple(_with_values(r, p) for r, p in zip(res, plain))
    exact.__dict__.update(rule.__dict__)
    exact.__name__ = getattr(rule, "__name__", "rule")
    return exact


def _with_values(graph, plain):
    """``graph``'s history with ``plain``'s values (when they are alike)."""
    if not (isinstance(graph, Tensor) and isinstance(plain, Tensor)) or \
            graph._data.shape != plain._data.shape or graph._data.dtype != plain._data.dtype:
        return graph
    fn = graph.grad_fn
    if fn is None:
        return plain
    out = wrap(plain._data, plain._device)
    out._grad_fn, out._output_nr, out._requires_grad = fn, graph._output_nr, True
    return out


def grads_shown_as(*names, takes_input=False):
    """Decorator for a backward rule: under ``create_graph`` its results are shown as nodes
    ``names`` (one per result; the last one repeats; ``None`` leaves a result as it is),
    with the values of its first-order path (:func:`exact_values`).
    ``takes_input``: PyTorch's kernel takes the op's input (see :func:`shown_as`'s ``of``)."""
    def deco(rule):
        rule = exact_values(rule)

        def shown(ctx, *gs):
            res = rule(ctx, *gs)
            if not STATE.enabled:
                return res
            one = type(res) is not tuple
            res = (res,) if one else res
            of = ctx if takes_input else None
            out = tuple(shown_as(r, names[min(i, len(names) - 1)], of=of)
                        if isinstance(r, Tensor) and names[min(i, len(names) - 1)] else r
                        for i, r in enumerate(res))
            return out[0] if one else out
        shown.__dict__.update(rule.__dict__)
        shown.__name__ = getattr(rule, "__name__", "rule")
        return shown
    return deco


def make_multi(arrs, inputs, name, rule, *saved, differentiable=None, _view=False,
               keep_index=False) -> tuple:
    """Several outputs of one node (``unbind``, ``split``, ``max(dim)``...).

    ``keep_index``: the node keeps its second output (the indices of ``max(dim)``, ``sort``...)
    after what it saved, as PyTorch's does: its backward is refused once they changed in place.
    """
    if _profile_hook is not None:  # a profiler records (ember.autograd.profiler)
        _profile_hook(name, inputs, arrs)
    dev = inputs[0]._device
    if inputs[0]._data.dtype in D._ODD_NP:  # float8 or a shell dtype
        from .._float8 import odd_result

        odd_result(arrs[0], inputs, name)
    elif inputs[0]._data.dtype in D._WIDE_NP and arrs[0].dtype in D._WIDE_NP:
        from .._float8 import wide_result

        wide_result(inputs, name)
    outs = tuple(wrap(a, dev) for a in arrs)
    # (under inference_mode only views record, as in PyTorch)
    if rule is not None and needs_grad(inputs) and (_view or not STATE.inference):
        if keep_index:
            rule, saved = _checking(rule), saved + (outs[1],)
        node = _node(name, rule, inputs)
        node._num_outputs = len(outs)
        node._out_meta = [(o._data.shape, o._data.dtype, dev) for o in outs]
        for i, o in enumerate(outs):
            if (differentiable is None or differentiable[i]) and o.dtype._kind >= 2:
                o._grad_fn = node
                o._output_nr = i
                o._requires_grad = True
        if saved:
            node.save(*saved, out=outs[0])
    return outs


def _checking(rule):
    """``rule``, once what its node saved is checked against in-place changes."""
    def checked(ctx, *grads):
        _ = ctx.saved
        return rule(ctx, *grads)
    return checked


def make_view(arr, base: Tensor, name, rule, view_fn, *saved, inputs=None) -> Tensor:
    """A view: shares ``base``'s memory and version counter.

    ``view_fn(tensor)`` redoes the view on another tensor; in-place ops on the
    view use it to rebuild the history of the base (PyTorch's CopySlices).
    """
    keep = False
    if not arr.size and view_fn is not None and base._data.ndim and \
            not any(base._data.strides):  # (a view of a fresh empty array: see there)
        from .shape import redo_empty_view

        arr, keep = redo_empty_view(arr, base, view_fn)
    out = make(arr, inputs or (base,), name, rule, *saved, _view=True)
    if keep:
        out.__dict__["_numpy_strides"] = True
    out._fresh = False  # shares memory: never taken over as a leaf's .grad
    # A view of an inference tensor is one, in any mode; a view of a normal tensor is normal,
    # even made under inference_mode (as in PyTorch).
    out._is_inference = base._is_inference
    # (a view of an inference tensor detached outside inference mode is not writable)
    out._vc = base._vc if not base._inference_vc else InferenceVersionCounter()
    out._view_version = base._vc.v
    if base._base is not None:
        out._base = base._base
        parent = base._view_fn
        out._view_fn = (lambda t: view_fn(parent(t))) if parent is not None else None
    else:
        out._base = base
        out._view_fn = view_fn
    # (PyTorch's creation meta: made in no-grad mode wins over the base's, but for one made in
    # inference mode; a view of such a view is refused in-place changes too)
    if not STATE.enabled and base._no_grad_view != "inference mode":
        _no_grad_view(out)
    elif base._no_grad_view:
        out._no_grad_view = base._no_grad_view
    elif base._multi_view:
        out._multi_view = True
    if base.__dict__ and base.__dict__.get("_neg", False):
        out.__dict__["_neg"] = True  # (the negative bit stays on the views, as PyTorch's)
    if base.__dict__ and "_fn_view" in base.__dict__ and out._grad_fn is not None:
        out._fn_view = True  # a view of a custom Function's view output: no in-place either
        out._multi_view = base._multi_view  # (one of several outputs: that message)
    if view_fn in REPLAYED or base.__dict__ and "_replay" in base.__dict__:
        _chain_replay(out, base, view_fn)
    return out


# The view ops PyTorch cannot redo as an ``as_strided`` of the base (they change the dtype):
# ``{op: steps}``, the ops that redo it (``real`` is a select of ``view_as_real``).
REPLAYED = {}


def _as_strided_step(t):
    size, stride, offset = t.shape, t.stride(), t.storage_offset()
    return lambda x: x.as_strided(size, stride, offset)


def _chain_replay(out, base, view_fn):
    """PyTorch's ``view_func`` of a view whose chain has such an op: the steps that redo it
    from its root base (an ``as_strided`` to the geometry of the views in between), which
    :func:`refresh_view` runs to rebuild its history, as PyTorch does."""
    if out._view_fn is None:
        return
    steps = base.__dict__.get("_replay", ()) if base._base is not None else ()
    own = REPLAYED.get(view_fn)
    if own is None:
        steps = steps + (_as_strided_step(out),)
    else:
        if base._base is not None and not steps:
            steps = (_as_strided_step(base),)
        steps = steps + own[:1] + tuple(_as_strided_step(out) for _ in own[1:])
    out.__dict__["_replay"] = steps


def _no_grad_view(view):
    """PyTorch's view made in no-grad (or inference) mode: it requires grad while its base
    does (``Tensor.requires_grad``), as a leaf of its own, never joined to the base's
    history, and refuses in-place changes that would need one.  Views made by a backward pass
    are left alone."""
    if not STATE.in_backward and not view._is_inference:
        view._view_fn = None
        view._no_grad_view = "inference mode" if STATE.inference else "no_grad mode"



def make_view_multi(arrs, base, name, rule, view_fns, *saved):
    if base._data.ndim and not base._data.size and not any(base._data.strides):
        from .shape import redo_empty_view  # (views of a fresh empty array: see there)

        arrs = [redo_empty_view(a, base, f) if not a.size else (a, False)
                for a, f in zip(arrs, view_fns)]
        kept = [k for _, k in arrs]
        arrs = [a for a, _ in arrs]
    outs = make_multi(arrs, (base,), name, rule, *saved, _view=True)
    if base._data.ndim and not base._data.size and not any(base._data.strides):
        for o, k in zip(outs, kept):
            if k:
                o.__dict__["_numpy_strides"] = True
    root = base._base if base._base is not None else base
    parent = base._view_fn if base._base is not None else None
    for o, fn in zip(outs, view_fns):
        o._fresh = False
        o._is_inference = base._is_inference
        o._vc = base._vc if not base._inference_vc else InferenceVersionCounter()
        o._view_version = base._vc.v
        o._base = root
        o._view_fn = (lambda t, fn=fn: fn(parent(t))) if parent is not None else fn
        if not STATE.enabled and base._no_grad_view != "inference mode":
            _no_grad_view(o)
        elif base._no_grad_view == "inference mode":
            o._no_grad_view = base._no_grad_view
        else:
            o._multi_view = True
    return outs


# -- gradients ----------------------------------------------------------------

def sum_to(g: Tensor, shape) -> Tensor:
    """Reduce a broadcast gradient back to ``shape``."""
    shape = tuple(shape)
    gs = g._data.shape
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    inner = tuple(i + lead for i, s in enumerate(shape) if s == 1 and gs[i + lead] != 1)
    if not inner and not needs_grad((g,)):  # only leading dims to remove, nothing recorded
        return g.sum(tuple(range(lead)))
    # as PyTorch's at::sum_to: a keepdim sum, then a view dropping the leading dims (so a
    # double-backward graph shows ViewBackward0)
    g = g.sum(tuple(range(lead)) + inner, keepdim=True)
    return g.reshape(shape) if lead else g


def conform_grad(g, meta, node, i):
    """Fit a gradient to its input: undo broadcasting and match the input's dtype."""
    shape, dtype = meta
    if g._data.shape != shape:
        try:  # the input must broadcast to the gradient (which is then summed down to it)
            if np.broadcast_shapes(shape, g.shape) != tuple(g.shape):
                raise ValueError
        except ValueError:
            raise RuntimeError(
                f"Function {type(node).__name__} returned an invalid gradient at index {i} - "
                f"got {list(g.shape)} but expected shape compatible with {list(shape)}") from None
        g = sum_to(g, shape)
    if g._data.dtype != dtype:
        if g._data.dtype.kind == "c" and dtype.kind != "c":
            if hasattr(type(node), "_forward_cls"):  # (a custom Function's backward: refused)
                raise RuntimeError(
                    "Expected isFloatingType(grad.scalar_type()) || (input_is_complex == "
                    "grad_is_complex) to be true, but got false.  (Could this error message be "
                    "improved?  If so, please report an enhancement request to PyTorch.)")
            from .complex import real_part

            g = real_part(g)  # a real input's share of a complex gradient (no cast warning)
        g = g.to(D.from_numpy_dtype(dtype))
    return g


def zeros_for(node, i):
    """The zero gradient for output ``i`` of ``node`` that received none (None for a
    custom Function's output that is not a tensor)."""
    meta = node._out_meta[i]
    if meta is None:
        return None
    shape, dtype, dev = meta
    return wrap(np.zeros(shape, dtype=dtype) if dev.type == "cpu" else
                xp_for(dev).zeros(shape, dtype=dtype), dev)


# -- arguments ----------------------------------------------------------------

def as_tensor_like(v, ref: Tensor, dtype=None) -> Tensor:
    """A Python scalar or array-like as a tensor on ``ref``'s device."""
    if isinstance(v, Tensor):
        return v
    d = dtype or D.result_type(v)
    return wrap(xp_of(ref).asarray(v, dtype=d.np), ref._device)


def check_same_device(*ts):
    """The common device of ``ts``; 0-d CPU tensors mix with any device, as in PyTorch."""
    dev = None
    for t in ts:
        if isinstance(t, Tensor):
            if t._data.ndim == 0 and t._device.type == "cpu":
                continue
            if dev is None:
                dev = t._device
            elif t._device != dev:
                if "meta" in (dev.type, t._device.type):  # (PyTorch's meta kernels say so)
                    raise RuntimeError(f"Tensor on device {t._device} is not on the expected "
                                       f"device {dev}!")
                raise RuntimeError(
                    "Expected all tensors to be on the same device, but found at least two "
                    f"devices, {dev} and {t._device}!")
    return dev


def same_device(a, *others):
    """Raise PyTorch's error unless ``a`` and the tensors ``others`` (None allowed) share a
    device; cheap when they do (the usual case, checked by identity first)."""
    d = a._device
    for t in others:
        if t is not None and t._device is not d and t._device != d:
            check_same_device(a, *[o for o in others if isinstance(o, Tensor)])
            return


def norm_dim(dim, ndim, wrap_scalar=True) -> int:
    """Wrap a negative dim; IndexError like PyTorch for one out of range."""
    if type(dim) is not int:
        dim = operator.index(dim)  # a NumPy integer, or an integer 0-d tensor
    n = max(ndim, 1) if wrap_scalar else ndim
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n if n else 0


def norm_dims(dims, ndim, in_order=False):
    """``dims`` wrapped and checked: all in range, then none twice; ``in_order``: each in
    range and not seen before, one after the other (PyTorch's ``dim_list_to_bitset``, whose
    ops report a dim given twice before a later one out of range)."""
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, (int, np.integer)):  # (a NumPy integer names one dim too)
        dims = (dims,)
    if in_order:
        out = []
        for d in dims:
            d = norm_dim(d, ndim)
            if d in out:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
            out.append(d)
        return tuple(out)
    out = tuple(norm_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        twice = next(d for i, d in enumerate(out) if d in out[:i])
        raise RuntimeError(f"dim {twice} appears multiple times in the list of dims")
    return out


def _py_type_name(a):
    """A Python object's type as PyTorch's argument parser names it (``tp_name``)."""
    cls = type(a)
    if isinstance(a, Tensor) or cls.__module__ == "builtins":
        return "Tensor" if isinstance(a, Tensor) else cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _size_item_ok(a, first):
    """Whether PyTorch's parser takes ``a`` as one int of a size (a bool only after the first)."""
    if isinstance(a, Tensor):
        return a.numel() == 1 and not a.dtype.is_floating_point and not a.dtype.is_complex
    if isinstance(a, (int, np.integer)):
        return not (first and isinstance(a, (bool, np.bool_)))
    return index_like(a)


def index_like(a):
    """Whether ``a`` (no int, no tensor) is an int by its ``__index__``, which PyTorch's parser
    calls (a 0-d NumPy array of ints; one with dimensions refuses)."""
    if not hasattr(type(a), "__index__") or isinstance(a, np.bool_):
        return False
    try:
        operator.index(a)
    except TypeError:
        return False
    return True


def _check_int_list(args, name, arg, overloads):
    """PyTorch's ``TypeError`` for a bad int list given to ``name`` as ``f(2, 3)`` or
    ``f((2, 3))``; ``overloads``: the signature lines of a method with several (``view``)."""
    loose = not (len(args) == 1 and isinstance(args[0], (tuple, list)))
    seq = args if loose else args[0]
    if loose and len(args) == 1:
        if _size_item_ok(args[0], True):
            return
        bad = _py_type_name(args[0])
        if overloads:
            raise TypeError(_no_overload(name, bad, bad, overloads))
        raise TypeError(f"{name}(): argument '{arg}' (position 1) must be tuple of ints, not "
                        f"{bad}")
    for i, a in enumerate(seq):
        if _size_item_ok(a, i == 0):
            continue
        if i:
            raise TypeError(f"{name}(): argument '{arg}' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{_py_type_name(a)}\"")
        if overloads:
            got = ", ".join(type(x).__name__ for x in args)
            mark = None if loose else \
                f"tuple of ({', '.join(type(x).__name__ for x in seq)})"
            raise TypeError(_no_overload(name, got, mark, overloads))
        if loose:
            raise TypeError(f"{name}() takes 1 positional argument but {len(args)} were given")
        raise TypeError(f"{name}(): argument '{arg}' (position 1) must be tuple of ints, but "
                        f"found element of type {_py_type_name(a)} at pos 0")


def tp_name(obj) -> str:
    """The type of ``obj`` as PyTorch's C++ argument errors name it (its ``tp_name``, with
    ember's types under their PyTorch names): ``int``, ``Tensor``, ``torch.dtype``..."""
    from .. import random as _random
    from .._size import Size

    if isinstance(obj, _random.Generator):
        return "torch._C.Generator"
    for cls, name in ((D.dtype, "torch.dtype"), (_device.device, "torch.device"),
                      (Size, "torch.Size")):
        if isinstance(obj, cls):
            return name
    cls = type(obj)
    if isinstance(obj, type):  # a class: its metaclass, as PyTorch's (ember's own is no type)
        if issubclass(obj, Tensor):
            return "torch._C._TensorMeta"
        if issubclass(obj, _random.Generator):
            return "OpaqueBaseMeta"  # (a metaclass written in Python)
        if cls.__module__ == "ember._ctype":
            return "type"
        if cls.__name__ == "_LegacyType":  # (``torch.FloatTensor``...)
            return "torch.tensortype"
    if cls.__name__ in ("layout", "memory_format") and \
            cls.__module__.split(".")[0] in ("torch", "ember"):
        return f"torch.{cls.__name__}"
    if cls.__module__ == "builtins" or cls.__flags__ & (1 << 9):  # (Py_TPFLAGS_HEAPTYPE)
        return cls.__name__  # (a class defined in Python: its bare name, as Tensor)
    return f"{cls.__module__}.{cls.__qualname__}"  # (a C type: numpy.float64...)


def _arg_desc(obj):
    """One argument in the marked list of PyTorch's error (a sequence with its items)."""
    if isinstance(obj, (tuple, list)):
        items = ", ".join(tp_name(x) for x in obj)
        return f"{tp_name(obj)} of " + (f"({items}{',' if len(obj) == 1 else ''})"
                                        if isinstance(obj, tuple) else f"[{items}]")
    return tp_name(obj)


def _kwargs_in_torch_order(kwargs):
    """The keywords as PyTorch's error lists them: it gathers them in a C++ hash map
    (libstdc++'s ``std::unordered_map<std::string, ...>``), which walks them most recent
    first, each next to the earlier ones that share its bucket."""
    if len(kwargs) < 2:
        return list(kwargs.items())
    order, buckets, limit = [], 1, 0
    for key in kwargs:
        if len(order) + 1 > limit:  # (its prime rehash policy: 13 buckets, then grown)
            buckets = _next_prime(max(len(order) + 1, 11 if not limit else 0) + 1,
                                  buckets * 2)
            limit, old, order = buckets, order, []
            for k in old:
                _bucket_insert(order, k, buckets)
        _bucket_insert(order, key, buckets)
    return [(k, kwargs[k]) for k in order]


def _bucket_insert(order, key, buckets):
    """``key`` into the node list of a libstdc++ hash map: first of its bucket's nodes, or at
    the head of the list when its bucket is empty."""
    b = _std_hash(key) % buckets
    at = next((i for i, k in enumerate(order) if _std_hash(k) % buckets == b), 0)
    order.insert(at, key)


def _next_prime(n, grown):
    n = max(n, grown)
    if n < 14:  # (libstdc++'s table for small counts)
        return (2, 2, 2, 3, 5, 5, 7, 7, 11, 11, 11, 11, 13, 13)[n]
    while any(n % d == 0 for d in range(2, int(n ** 0.5) + 1)):
        n += 1
    return n


_HASHES = {}


def _std_hash(text):
    """libstdc++'s ``std::hash<std::string>``: its 64-bit Murmur hash (``_Hash_bytes``)."""
    h = _HASHES.get(text)
    if h is not None:
        return h
    data, mask, mul = text.encode(), (1 << 64) - 1, 0xC6A4A7935BD1E995
    n = len(data)
    h = 0xC70F6907 ^ (n * mul & mask)
    tail = n & ~7
    for i in range(0, tail, 8):
        d = int.from_bytes(data[i:i + 8], "little") * mul & mask
        h = (h ^ (d ^ d >> 47) * mul & mask) * mul & mask
    if n & 7:
        h = (h ^ int.from_bytes(data[tail:], "little")) * mul & mask
    h = (h ^ h >> 47) * mul & mask
    _HASHES[text] = h = h ^ h >> 47
    return h


def _parse_option(option):
    """``(names, type names, nullable flags, variadic)`` of a signature line as PyTorch's
    error formatter splits it (its ``*`` and ``= default`` parts included, as it does)."""
    inner = option[1:-1]
    names, types, nullable = [], [], []
    for arg in inner.split(", "):
        start = 1 if arg[:1] == "#" else 0
        null = arg[start:start + 1] == "["
        if null:
            start += 1
            arg = arg[:-len(" or None]")]
        end = arg.rfind(" ")
        name = arg[end + 1:]
        if "..." in arg:
            end -= 4
        types.append(arg[start:end] if end >= 0 else arg[start:])
        names.append(name)
        nullable.append(null)
    return names, types, nullable, "..." in inner


def _type_matches(type_name, null, obj):
    if null and obj is None:
        return True
    accepted = {"float": ("float", "int", "long"), "int": ("int", "long")}.get(type_name,
                                                                             (type_name,))
    return tp_name(obj) in accepted


def format_invalid_args(name, args, kwargs, options):
    """PyTorch's ``TypeError`` message for arguments that fit none of the signature lines
    ``options`` (as printed: ``"(int n, *, torch.Generator generator)"``) of ``name``."""
    kw = _kwargs_in_torch_order(kwargs)
    got = "(" + "".join(f"{tp_name(a)}, " for a in args) + "".join(
        f"{k}={tp_name(v)}, " for k, v in kw)
    got = (got[:-2] if args else got) + ")"
    head = f"{name}() received an invalid combination of arguments - got "
    if len(options) == 1:  # (one signature: its own words)
        fits, unmatched, marked = _option_fit(options[0], args, kwargs, kw)
        if unmatched:
            return f"{head}unrecognized keyword arguments: {', '.join(unmatched)}"
        return f"{head}{marked if fits else got}, but expected {options[0]}"
    lines = []
    for option in options:
        lines.append(f" * {option}\n")
        fits, unmatched, marked = _option_fit(option, args, kwargs, kw)
        if not fits:
            continue
        if unmatched:
            lines.append("      didn't match because some of the keywords were incorrect: "
                         f"{', '.join(unmatched)}\n")
            continue
        lines.append(f"      didn't match because some of the arguments have invalid types: "
                     f"{marked}\n")
    return f"{head}{got}, but expected one of:\n{''.join(lines)}"


def _option_fit(option, args, kwargs, kw):
    """For one signature line of PyTorch's error: whether the arguments' count fits it, the
    keywords that are not among its last names, and the arguments marked (``!int!``) where
    their types do not fit it."""
    names, types, nullable, variadic = _parse_option(option)
    count = len(args) + len(kw)
    fits = count == len(names) or (variadic and count > len(names))
    tail = names[max(len(names) - len(kw), 0):]
    unmatched = [k for k, _ in kw if k not in tail]
    if not fits or unmatched:
        return fits, unmatched, None
    marks = []
    for i, a in enumerate(list(args) + [kwargs[names[i]] for i in range(len(args), count)]):
        j = i if i < len(names) else len(names) - 1
        ok = (i < len(names) or variadic) and _type_matches(types[j], nullable[j], a)
        label = f"{names[i]}=" if i >= len(args) else ""
        marks.append(f"{label}{_arg_desc(a)}" if ok else f"!{label}{_arg_desc(a)}!")
    return fits, unmatched, "(" + ", ".join(marks) + (", " if not args and marks else "") + ")"


def _no_overload(name, got, mark, overloads):
    """PyTorch's message when no overload of ``name`` takes the arguments; ``mark``: the
    one argument each overload refused (None when they were refused for their number)."""
    lines = "".join(f" * ({sig})\n" + (
        f"      didn't match because some of the arguments have invalid types: (!{mark}!)\n"
        if mark is not None else "") for sig in overloads)
    return (f"{name}() received an invalid combination of arguments - got ({got}), but expected "
            f"one of:\n{lines}")


def shape_arg(args, name=None, arg="size", overloads=None):
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(torch.Size(...))`` all mean (2, 3).
    With ``name`` (the method's, taking the list as argument ``arg``), a bad item gets
    PyTorch's parser's words."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        seq = args[0]
    else:
        seq = args
    if all(type(a) is int for a in seq):  # (the common case: nothing to check or convert)
        return tuple(seq)
    if name is not None and args:
        _check_int_list(args, name, arg, overloads)
        seq = [int(a) if i and isinstance(a, (bool, np.bool_)) else a for i, a in enumerate(seq)]
    out = []
    for a in seq:
        if isinstance(a, Tensor):
            if a.numel() != 1:  # (a whole tensor of sizes is not taken, as in PyTorch)
                raise TypeError("expected a sequence of integers, but got Tensor")
            a = a.item()
        if not isinstance(a, (int, np.integer)) and index_like(a):
            a = operator.index(a)
        if isinstance(a, (bool,)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"expected a sequence of integers, but got {type(a).__name__}")
        out.append(int(a))
    return tuple(out)


# the signature lines of PyTorch's legacy constructor (``torch.Tensor(...)``,
# ``torch.FloatTensor(...)``) in its errors
LEGACY_NEW = ("(*, torch.device device = None)", "(torch.Storage storage)", "(Tensor other)",
              "(tuple of ints size, *, torch.device device = None)",
              "(object data, *, torch.device device = None)")


def legacy_one_size(x) -> bool:
    """Whether the one argument of ``torch.Tensor(x)`` or ``torch.FloatTensor(x)`` is a size
    (an int, a NumPy integer or 0-d integer array, as PyTorch's parser reads one), not data."""
    if isinstance(x, (bool, Tensor)):
        return False
    return isinstance(x, (int, np.integer)) or \
        isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iu"


def legacy_size(args, kwargs=None):
    """The size of ``torch.Tensor(2, 3)`` or ``torch.FloatTensor(2, 3)``, with PyTorch's
    parser's errors: several arguments whose first is no int fit no signature; a bad later
    one fails to unpack (a bool there counts as an int)."""
    if len(args) > 1 and not _size_item_ok(args[0], True):
        raise TypeError(format_invalid_args("new", args, kwargs or {}, LEGACY_NEW))
    return shape_arg(args, "new")


def xp_of(t):
    """The array module of tensor ``t``'s device."""
    return np if type(t._data) is np.ndarray else _device.xp_of_other(t._data)


def xp_of_array(a):
    """The array module of a bare array."""
    return np if type(a) is np.ndarray else _device.xp_of_other(a)


def adopt(dst: Tensor, src: Tensor) -> None:
    """Make a freshly constructed ``dst`` hold ``src``'s state (used by ``Tensor(...)``)."""
    for name in ("_data", "_device", "_requires_grad", "_grad", "_grad_fn", "_output_nr",
                 "_vc", "_base", "_view_fn", "_view_version", "_accumulator",
                 "_retains_grad", "_fresh", "_is_inference"):
        setattr(dst, name, getattr(src, name))


# -- in-place ops -------------------------------------------------------------

_INFERENCE_INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details.")


def no_complex_autograd(name, *tensors) -> None:
    """PyTorch's refusal to record an op without complex gradients where a complex input
    requires grad (its autograd wrapper's check of the result; its in-place forms, which
    get ``snapshot``'s copies here, do not check)."""
    if STATE.enabled and any(isinstance(t, Tensor) and t.dtype._kind == 3 and t.requires_grad
                             and "_snapshot" not in t.__dict__ for t in tensors):
        raise RuntimeError(f"{name} does not support automatic differentiation for outputs "
                           "with complex dtype.")


# > 0 while a ``torch.func`` transform runs whose captured tensors may not be written into
# (ember.func._scope.refuse_captured_mutation)
CAPTURE_CHECK = [0]


def check_inplace(t: Tensor) -> None:
    """PyTorch's refusals for writing into ``t`` while grad mode is on (and, in any mode,
    into a tensor made under ``inference_mode`` once outside it: that one at the version bump,
    ``InferenceVersionCounter``, once written, as PyTorch's)."""
    if not STATE.enabled:
        return
    if CAPTURE_CHECK[0]:
        from ..func._scope import refuse_captured_mutation

        refuse_captured_mutation(t)
    if t._grad_fn is not None and t.__dict__.get("_fn_view") is not None:
        raise RuntimeError(_view_rebase_message(t, False))
    b = t._base
    if b is None:
        if t._requires_grad and t._grad_fn is None:
            if _FWAD_HIDDEN in t.__dict__ and _rebase_hidden(t):  # (a dual tensor's own)
                return
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        if FWAD_LIVE[0] and t._grad_fn is not None and _freeze_hidden(t):
            _rebase_hidden(t)  # (computed from dual tensors: one itself, then changed)
        return
    if not (t._requires_grad or b._requires_grad):  # (the view's own, or its base's)
        return  # (``commit`` refuses it when another operand requires grad)
    msg = _view_rebase_message(t, False)
    if msg is not None:
        raise RuntimeError(msg)
    # (as PyTorch: a view that requires grad of a leaf, even one that no longer does)
    if b._grad_fn is None:
        if _FWAD_HIDDEN in b.__dict__ and _rebase_hidden(b):  # (a view of a dual tensor)
            return
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


_FWAD_HIDDEN = "_ember_fwad_hidden"  # (ember.autograd.forward_ad marks its hidden leaves so)
# how many of those are alive (ember.autograd.forward_ad counts them)
from ..autograd.forward_ad import _LIVE_HIDDEN as FWAD_LIVE  # noqa: E402


def _freeze_hidden(t) -> bool:
    from ..autograd.forward_ad import freeze_hidden

    return freeze_hidden(t)


def _rebase_hidden(t) -> bool:
    from ..autograd.forward_ad import rebase_hidden_leaf

    return rebase_hidden_leaf(t)


def _op_name(node) -> str:
    """A node's op as PyTorch's messages name it: ``SliceBackward0`` is ``Slice``, and
    ``SqueezeBackward1`` is ``Squeeze1``."""
    op = type(node).__name__
    if "Backward" not in op:
        return op
    i = op.rindex("Backward")
    n = op[i + 8:]
    return op[:i] + (n if n != "0" else "")


def _view_rebase_message(t: Tensor, indirect: bool):
    """PyTorch's refusal to give the history of an in-place change to a view made by a custom
    Function, by an op with several view outputs (unbind, split), or in no-grad mode: written
    into (``indirect`` False), or with its base or another view of it written into (True);
    None for a view that may take that history."""
    what = "its base or another view of its base has been" if indirect else "is being"
    fn = t._grad_fn
    if t.__dict__.get("_fn_view") is not None and (fn is not None or not t._no_grad_view):
        meta = "multi" if t._multi_view else "fn"  # (one of a Function's several outputs)
    elif t._no_grad_view:
        meta = t._no_grad_view
    elif t._multi_view:
        meta = "multi"
    else:
        return None
    if meta in ("no_grad mode", "inference mode") or fn is None:
        # (PyTorch's: a view with no history of its own was made in no-grad mode)
        who = "A view was created in" if fn is None else \
            f"Output {t._output_nr} of {_op_name(fn)} is a view of a view which was created in"
        msg = f"{who} inference mode and {what} modified inplace in normal mode." \
            if meta == "inference mode" else \
            f"{who} no_grad mode and {what} modified inplace with grad mode enabled."
    else:
        msg = f"Output {t._output_nr} of {_op_name(fn)} is a view and {what} modified inplace."
    if meta == "multi":
        return (msg + " This view is the output of a function that returns multiple views. "
                "Such functions do not allow the output views to be modified inplace. You "
                "should replace the inplace operation by an out-of-place one.")
    if meta == "fn":
        return (msg + " This view was created inside a custom Function (or because an input "
                "was returned as-is) and the autograd logic to handle view+inplace would "
                "override the custom backward associated with the custom Function, leading to "
                "incorrect gradients. This behavior is forbidden. You can fix this by cloning "
                "the output of the custom Function.")
    made = "inference_mode" if meta == "inference mode" else "no_grad"
    return (msg + " Given that this use case is ambiguous and error-prone, it is forbidden. "
            "You can clarify your code by moving both the view and the inplace either both "
            f"inside the {made} block (if you don't want the inplace to be tracked) or both "
            "outside (if you want the inplace to be tracked).")


def snapshot(t: Tensor, *others) -> Tensor:
    """The value ``t`` has before an in-place op, for the op's backward rule to keep."""
    if not needs_grad((t,) + tuple(o for o in others if isinstance(o, Tensor))):
        return t
    s = t._alias()
    s._data = t._data.copy()
    s._vc = VersionCounter()
    s._grad_fn, s._output_nr, s._requires_grad = t.grad_fn, t._output_nr, t._requires_grad
    s.__dict__["_snapshot"] = True
    return s


_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the "
            "operation.")


def _self_overlapping(d) -> bool:
    from ._overlap import self_overlapping

    return self_overlapping(d)


def _ordered(d, arr) -> bool:
    """Store ``arr`` into view ``d`` in PyTorch's loop order where the order shows (``d``'s
    elements share memory, or ``arr`` is another layout of it; see ``_overlap``): True if
    done."""
    b = d.base
    if type(b) is np.ndarray and b.base is None:  # (the common cases, decided cheaply: ``d``
        a = arr.base  # an ordinary view, ``arr`` a new result or a view of other memory)
        if a is None and arr is not b or type(a) is np.ndarray and a.base is None and \
                a is not b:
            return False
    from ._overlap import needs_order, ordered_write

    if not needs_order(d, arr):
        return False
    ordered_write(d, arr)
    return True


def write(t: Tensor, arr) -> None:
    """Store ``arr`` into ``t``'s memory (and so into every view of it)."""
    d = t._data
    try:
        with quiet:  # (a cast that overflows to infinity: silent, as in PyTorch)
            if type(d) is np.ndarray:
                if d.ndim == 0:
                    d[()] = arr
                elif (b := d.base) is None or type(arr) is not np.ndarray or (
                        arr.base is None and arr is not b and type(b) is np.ndarray and
                        b.base is None):  # (the common cases, inline: see ``_ordered``)
                    d[...] = arr
                elif not _ordered(d, arr):  # (else a view sharing memory with itself or
                    d[...] = arr  # ``arr``: written in PyTorch's order)
            else:
                check_no_overlap(d)
                d[...] = arr
    except ValueError as e:
        if "read-only" not in str(e):
            raise
        w = writable_alias(d)  # a view of an expanded tensor that overlaps nowhere itself
        if w is None or has_internal_overlap(d):
            raise RuntimeError(_OVERLAP) from None
        w[...] = arr
    t._vc.v += 1


# Ops whose PyTorch forms refuse a complex (or bool) input before TensorIterator's overlap
# check of the tensor they write.
_COMPLEX_REFUSED_FIRST = frozenset("trunc fix floor ceil sign relu rad2deg deg2rad heaviside "
                                   "clamp".split())
_BOOL_REFUSED_FIRST = frozenset(("neg", "negative", "relu"))


def check_written_overlap(t: Tensor, name=None, refuse=None) -> None:
    """PyTorch's TensorIterator refusal of an in-place write into ``t`` whose elements share
    memory (an expanded tensor): before its shape and dtype checks and its kernels.
    ``refuse()`` raises the op ``name``'s own earlier refusal of ``t``'s dtype."""
    if has_internal_overlap(t._data):
        if refuse is not None and (t.dtype._kind == 3 and name in _COMPLEX_REFUSED_FIRST or
                                   t.dtype is D.bool and name in _BOOL_REFUSED_FIRST):
            refuse()
        elif refuse is not None:  # (PyTorch's parsing of the arguments comes first)
            try:
                refuse()
            except TypeError:
                raise
            except Exception:  # noqa: BLE001  (the op's later refusals: the overlap's first)
                pass
        raise RuntimeError(_OVERLAP)


def has_internal_overlap(d) -> bool:
    """Whether two elements of array ``d`` share memory (a zero stride over a dim of 2 or
    more, as ``expand`` makes)."""
    return d.size > 1 and 0 in d.strides and \
        any(s == 0 and n > 1 for n, s in zip(d.shape, d.strides))  # (in-place ops' hot path)


def _may_overlap(d) -> bool:
    """Whether two elements of array ``d`` may share memory (any overlap, as ``unfold`` makes,
    not only a zero stride): False where its strides prove they do not."""
    if d.size < 2:
        return False
    end = d.itemsize
    for s, n in sorted((abs(s), n) for n, s in zip(d.shape, d.strides) if n > 1):
        if s < end:
            return True
        end += (n - 1) * s
    return False


def writable_alias(d):
    """A writable NumPy array on ``d``'s memory, for a read-only view (NumPy marks whatever
    comes from a broadcast read-only) whose owner is writable; None where there is none."""
    if type(d) is not np.ndarray:
        return None
    root = d
    while True:  # (as_strided's views hold their array one object further: its .base's .base)
        b = root.base
        if not isinstance(b, np.ndarray):
            b = getattr(b, "base", None)
        if not isinstance(b, np.ndarray):
            break
        root = b
    if root is d or not root.flags.writeable:
        return None
    if not root.flags.c_contiguous:  # (a result laid out as a transposed input: ``a.t() * 1``)
        if not root.flags.f_contiguous:
            return None
        root = root.T  # (the same memory, in the C order NumPy's buffer wants)
    offset = d.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    try:
        return np.ndarray(d.shape, d.dtype, buffer=root, offset=offset, strides=d.strides)
    except (TypeError, ValueError):
        return None


_PARTIAL = ("unsupported operation: some elements of the input tensor and the written-to tensor "
            "refer to a single memory location. Please clone() the tensor before performing the "
            "operation.")


def check_no_partial_overlap(out: Tensor, *inputs) -> None:
    """PyTorch's refusal of an in-place write whose input shares only part of the written
    memory, or the same memory in another layout (``m += m.t()``, ``x[1:] += x[:-1]``): the
    result would depend on the order of the writes.  Like PyTorch, it judges only tensors
    that are dense (strided views with gaps pass unchecked)."""
    a = out._data
    for t in inputs:
        if not isinstance(t, Tensor):
            continue
        b = t._data
        if b is a or (a.base is None and b.base is None):  # one array, or two owners
            continue
        if not (_dense(a) and _dense(b)):
            continue
        (lo_a, hi_a), (lo_b, hi_b) = _bounds(a), _bounds(b)
        if lo_a < hi_b and lo_b < hi_a and not (
                lo_a == lo_b and hi_a == hi_b and a.strides == b.strides):
            raise RuntimeError(_PARTIAL)


# ``values, indices`` ops whose ``out=`` pair is resized before the overlap check: the
# position and default of their ``dim``
PAIR_RESIZED = {"mode": (1, -1), "max": (1, None), "min": (1, None), "aminmax": (None, None),
                "sort": (1, -1), "topk": (2, -1)}


def pair_want(name, args, kwargs):
    """The shape of the results of ``values, indices`` op ``name`` (one of ``PAIR_RESIZED``)
    for its arguments, or None where its own checks are to refuse them."""
    x = args[0]
    at, dim = PAIR_RESIZED[name]
    dim = args[at] if at is not None and len(args) > at else kwargs.get("dim", dim)
    keepdim = args[at + 1] if at is not None and len(args) > at + 1 else \
        kwargs.get("keepdim", False)
    k = None
    if name == "sort":
        keepdim = True  # (the input's shape)
    elif name == "topk":
        k, keepdim = args[1] if len(args) > 1 else kwargs.get("k"), True
        if not isinstance(k, int) or isinstance(k, bool) or k < 0:
            return None
    if not isinstance(keepdim, bool) or not (dim is None or isinstance(dim, int)) or \
            dim is not None and not x.ndim:  # (a 0-d input's dim: its own checks)
        return None
    if dim is None:
        return (1,) * x.ndim if keepdim else ()
    try:
        d = norm_dim(dim, x.ndim)
    except IndexError:
        return None
    if name == "topk" and k > x.shape[d]:
        return None  # (its own refusal, first)
    size = x.shape[d] if name == "sort" else k if name == "topk" else 1
    return tuple(size if i == d else n for i, n in enumerate(x.shape) if keepdim or i != d)


# ``values, indices`` ops that resize their ``out=`` pair before they read their input
SELF_RESIZED = frozenset(("max", "min", "aminmax", "sort", "topk", "median", "nanmedian"))


def resize_input_out(name, args, kwargs, out) -> None:
    """NOTE: an ``out=`` tensor that is the input itself (``torch.max(x, 1, keepdim=True,
    out=(x, i))``, of another shape than the result) is resized by PyTorch, with its warning,
    before the op reads it: the op then runs on the resized input (its first elements, or its
    dims checked anew: ``torch.max(x, 1, out=(x, i))`` of a 2-d ``x`` is refused as 1-d)."""
    x = args[0]
    if name in ("median", "nanmedian"):
        # NOTE: theirs then fail unless the result is 0-d or keeps its dims (where they read
        # the input as it was): the dim, wrapped for the input, is out of the resized one's
        # range, or the resized output shares part of what they read
        dim = args[1] if len(args) > 1 else kwargs.get("dim")
        keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
        if not isinstance(dim, int) or isinstance(dim, bool) or keepdim is not False or \
                x.ndim < 2 or not x.numel():
            return
        try:
            d = norm_dim(dim, x.ndim)
        except IndexError:
            return
        want = tuple(n for i, n in enumerate(x.shape) if i != d)
    else:
        want = pair_want(name, args, kwargs)
    if want is None or tuple(x.shape) == want or not x.numel():
        return
    for o in out:
        if isinstance(o, Tensor) and tuple(o.shape) != want:
            warn_resized(o, want)
            o.resize_(want)
    if name in ("median", "nanmedian"):
        if d >= len(want):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-len(want)}, {len(want) - 1}], but got {d})")
        if x.stride(d) <= 1:  # (else they read a contiguous copy of it)
            raise RuntimeError(_PARTIAL)


def resized_pair_overlap(name, args, kwargs, out):
    """NOTE: PyTorch's ``mode``/``max``/``min``/``aminmax``/``sort``/``topk`` resize their
    ``out=`` tensors first (a view of another shape: contiguous, from its storage offset, in
    its base's memory; a base in its own), then refuse one that shares part of the input's
    memory: an ``out`` such as ``x[:, 1]`` of another length than the result is refused,
    where the same one of the result's length (a strided view, which the check skips) is
    written."""
    x = args[0]
    if type(x._data) is not np.ndarray or not _dense(x._data) or not x.numel():
        return
    want = pair_want(name, args, kwargs)
    if want is None:
        return
    n = int(np.prod(want, dtype=np.int64))
    x_lo, x_hi = _bounds(x._data)
    if any(_resized_overlap(o, x, want, n, x_lo, x_hi) for o in out):
        for o in out:  # (each output resized, with PyTorch's warning, before the check)
            if isinstance(o, Tensor) and tuple(o.shape) != want:
                warn_resized(o, want)
        raise RuntimeError(_PARTIAL)


# ``values, indices`` ops whose kernels check their ``out=`` pair against the input: which
# outputs, and whether they are judged once resized (where one that is all of the input's
# memory passes) rather than as given (where it is refused too)
PAIR_OUT_CHECKED = {"kthvalue": ((0,), False), "median": ((0, 1), True),
                    "nanmedian": ((0, 1), True)}


def pair_out_overlap(name, args, kwargs, res, out) -> None:
    """NOTE: PyTorch's ``kthvalue`` refuses a ``values`` output sharing any of its input's
    memory (all of it too: ``kthvalue(x, 1, 1, keepdim=True, out=(x, i))`` for an ``x`` of
    one column), judged before it resizes it; ``median``/``nanmedian`` refuse an output
    (``indices`` too) sharing only part of it once resized (a view: contiguous from its
    storage offset, in its base's memory), unless the input's stride along ``dim`` is over 1
    (their kernel reads a contiguous copy then).  Only dense tensors are judged."""
    x = args[0] if args else None
    if not isinstance(x, Tensor) or type(x._data) is not np.ndarray or not x.numel() or \
            not _dense(x._data) or not isinstance(res, tuple):
        return
    which, resized = PAIR_OUT_CHECKED[name]
    if resized:
        if len(out) == 2 and all(isinstance(o, Tensor) for o in out):
            _pair_median(name, res[0].dtype, out[0].dtype, out[1].dtype)  # (theirs first)
        dim = args[1] if len(args) > 1 else kwargs.get("dim")
        if x.ndim and isinstance(dim, int) and x.stride(norm_dim(dim, x.ndim)) > 1:
            return
    x_lo, x_hi = _bounds(x._data)
    for j in which:
        o = out[j] if j < len(out) else None
        if not isinstance(o, Tensor) or type(o._data) is not np.ndarray or j >= len(res) or \
                o is x and resized:  # (the input itself: ``resize_input_out``)
            continue
        n = res[j].numel()
        if not resized or tuple(o.shape) == tuple(res[j].shape):
            a = o._data
            if not a.size or not _dense(a) or not np.may_share_memory(a, x._data):
                continue
            lo, hi = _bounds(a)
            same = a.strides == x._data.strides
        else:
            span = _resized_span(o, n, x) if n else None  # (a base: in its own memory too)
            if span is None:
                continue
            lo, hi = span
            same = x._data.flags.c_contiguous
        if lo < x_hi and x_lo < hi and not (
                resized and lo == x_lo and hi == x_hi and same and o.dtype is x.dtype):
            for k, w in enumerate(out if resized else ()):  # (each resized first, warning)
                if isinstance(w, Tensor) and k < len(res) and w.shape != res[k].shape:
                    warn_resized(w, tuple(res[k].shape))
            raise RuntimeError(_PARTIAL)


def sort_into_one(args, kwargs, res, out):
    """NOTE: PyTorch's ``sort`` copies the input into ``values``, fills ``indices`` with
    ``0, 1, ...`` along ``dim`` and sorts the pairs in place: an ``out=`` pair that is one
    memory (``sort(x, out=(x, x))`` of an int64 ``x``) ends up holding those positions, sorted
    (reversed where ``descending``).  ``res``, made so, where ``out`` is such a pair."""
    v, i = out[0], out[1]
    if not (isinstance(v, Tensor) and isinstance(i, Tensor)) or v.dtype is not i.dtype or \
            type(v._data) is not np.ndarray or type(i._data) is not np.ndarray:
        return res
    if v is not i and (  # (one tensor twice is one memory once resized too)
            tuple(v.shape) != tuple(i.shape) or tuple(v.shape) != tuple(res[1].shape) or
            not v._data.size or v._data.strides != i._data.strides or
            v._data.__array_interface__["data"][0] != i._data.__array_interface__["data"][0]):
        return res
    dim = args[1] if len(args) > 1 else kwargs.get("dim", -1)
    descending = args[2] if len(args) > 2 else kwargs.get("descending", False)
    if isinstance(dim, bool):
        dim, descending = -1, dim
    shape = tuple(res[1].shape)
    d = norm_dim(dim, len(shape)) if shape else 0
    n = shape[d] if shape else 1
    at = np.arange(n, dtype=np.int64)[::-1] if descending else np.arange(n, dtype=np.int64)
    pos = np.array(np.broadcast_to(
        at.reshape([n if k == d else 1 for k in range(len(shape))]), shape), order="C")
    from ..return_types import make_return

    t = wrap(pos)
    return make_return(type(res).__name__, t, t)


def resized_out_overlap(o, x) -> None:
    """The refusal of ``out=`` tensor ``o`` that, resized to input ``x``'s shape (in its base's
    memory), would share only part of ``x``'s memory (with PyTorch's warning first)."""
    if type(x._data) is not np.ndarray or not _dense(x._data) or not x.numel():
        return
    x_lo, x_hi = _bounds(x._data)
    if _resized_overlap(o, x, tuple(x.shape), x.numel(), x_lo, x_hi):
        warn_resized(o, tuple(x.shape))
        raise RuntimeError(_PARTIAL)


def _resized_span(o, n, x, contiguous=False):
    """The memory span ``(lo, hi)`` of ``out=`` tensor ``o`` resized to ``n`` elements (in its
    base's memory, from its storage offset), or None where that memory (C-contiguous, if
    ``contiguous``) shares nothing with input ``x``'s."""
    from .shape import _storage_root, storage_offset

    root = _storage_root(o)
    if type(root) is not np.ndarray or contiguous and not root.flags.c_contiguous or \
            not np.may_share_memory(root, x._data):
        return None
    lo = root.__array_interface__["data"][0] + storage_offset(o) * root.itemsize
    return lo, lo + n * root.itemsize


def _resized_overlap(o, x, want, n, x_lo, x_hi) -> bool:
    """Whether ``out=`` tensor ``o`` (a view, or a base), resized to ``want`` (``n``
    elements) in its base's memory, shares part of input ``x``'s (from ``x_lo`` to
    ``x_hi``)."""
    if not isinstance(o, Tensor) or tuple(o.shape) == want or o.dtype is not x.dtype or \
            o is x:  # (the input itself is resized with it)
        return False
    span = _resized_span(o, n, x, contiguous=True)
    if span is None:
        return False  # (past its storage's end, PyTorch grows the storage it shares)
    lo, hi = span
    return bool(n and lo < x_hi and x_lo < hi and not (
        lo == x_lo and hi == x_hi and x._data.flags.c_contiguous and want == x.shape))


def _dense(a) -> bool:
    """Whether ``a``'s elements fill its memory span exactly once (in some dim order)."""
    if a.size <= 1:
        return True
    want = a.itemsize
    for stride, n in sorted((abs(s), n) for s, n in zip(a.strides, a.shape) if n != 1):
        if stride != want:
            return False
        want *= n
    return True


def _bounds(a):
    """The byte range ``[low, high)`` that array ``a`` (NumPy or CuPy) spans."""
    ptr = a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr
    low = high = ptr
    for s, n in zip(a.strides, a.shape):
        if s < 0:
            low += s * (n - 1)
        else:
            high += s * (n - 1)
    return low, high + a.itemsize


def check_no_overlap(d):
    """PyTorch's refusal to write into an expanded tensor.  NumPy marks broadcast views
    read-only; CuPy has no such flag, so a zero stride over a dim longer than 1 tells."""
    if d.size > 1:
        for n, s in zip(d.shape, d.strides):
            if s == 0 and n > 1:
                raise RuntimeError(_OVERLAP)


def check_broadcast(sa, sb):
    """PyTorch's error where shapes ``sa`` and ``sb`` do not broadcast together."""
    n = max(len(sa), len(sb))
    for i in range(1, n + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {n - i}")


def check_broadcast_meta(*shapes):
    """PyTorch's error (the words of its meta kernels, for meta tensors) where ``shapes``
    (``Size``s) do not broadcast together."""
    common = [1] * max(len(s) for s in shapes)
    for n, shape in enumerate(shapes):
        for i in range(-1, -1 - len(shape), -1):
            if common[i] == 1:
                common[i] = shape[i]
            elif shape[i] != 1 and shape[i] != common[i]:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {shape[i]} "
                                   f"at {i}! Mismatching argument at index {n} had {shape}; but "
                                   f"expected shape should be broadcastable to {common}")


def float_result_type(t: Tensor, other):
    """The dtype an op that computes integers in floats (``atan2``, ``copysign``) gives."""
    dt = D.result_type(t, other)
    return dt if dt._kind >= 2 else D.get_default_dtype()


def precheck_inplace(t: Tensor, other, dt=None) -> None:
    """PyTorch's checks of an in-place binary op made before it computes anything, in its
    order: ``other`` must broadcast to ``t``'s shape, then the common dtype (``dt`` where
    the op computes in another, as float ops of integers do) must cast to ``t``'s (so these
    errors come before a kernel's own refusals)."""
    if isinstance(other, Tensor):
        if other.shape != t.shape:
            meta = t.is_meta or other.is_meta
            if meta:
                check_broadcast_meta(t.shape, other.shape)
            check_broadcast(tuple(t.shape), tuple(other.shape))
            shape = np.broadcast_shapes(t.shape, other.shape)
            if shape != t.shape and meta:  # (PyTorch's meta kernel's words)
                raise RuntimeError(f"output with shape {t.shape} doesn't match the broadcast "
                                   f"shape {shape}")
            if shape != t.shape:
                raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the "
                                   f"broadcast shape {list(shape)}")
        if other.dtype is not t.dtype or dt is not None:
            dt = dt or _inplace_result_type(t, other)
            if not D.can_cast(dt, t.dtype):
                raise RuntimeError(f"result type {_legacy(dt)} can't be cast to the desired "
                                   f"output type {_legacy(t.dtype)}")
    elif isinstance(other, (bool, int, float, complex, np.number, np.bool_)):
        dt = dt or _inplace_result_type(t, other)
        if dt is not t.dtype and not D.can_cast(dt, t.dtype):
            raise RuntimeError(f"result type {_legacy(dt)} can't be cast to the desired "
                               f"output type {_legacy(t.dtype)}")


def _inplace_result_type(t, other):
    """The common dtype of an in-place op's operands; a complex32 one (which ember lacks)
    refused as PyTorch refuses to write ComplexHalf into a real ``t``."""
    try:
        return D.result_type(t, other)
    except NotImplementedError:
        if t.dtype._kind == 3:
            raise
        raise RuntimeError("result type ComplexHalf can't be cast to the desired output type "
                           f"{_legacy(t.dtype)}") from None


def commit(t: Tensor, new: Tensor, expanded=False) -> Tensor:
    """Finish an in-place op: ``new`` (computed out of place) becomes ``t``'s value and history.

    ``expanded``: the op's PyTorch kernel writes a ``t`` whose elements share memory (as
    ``expand`` makes) rather than refuse it: each element it changes goes into that memory
    (its backward through such a view is refused, as PyTorch's); so too for an
    ``as_strided`` view overlapping itself, the op writing only some elements (a fill)."""
    if new.shape != t.shape:  # (as PyTorch's TensorIterator: the shapes before the dtypes)
        try:
            if np.broadcast_shapes(new.shape, t.shape) != t.shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the broadcast "
                               f"shape {list(np.broadcast_shapes(new.shape, t.shape))}") from None
    if new.dtype is not t.dtype and not D.can_cast(new.dtype, t.dtype):
        raise RuntimeError(f"result type {_legacy(new.dtype)} can't be cast to the desired "
                           f"output type {_legacy(t.dtype)}")
    node = new._grad_fn
    if node is not None and t._base is not None:  # (another operand requires grad: as
        msg = _view_rebase_message(t, False)  # ``check_inplace``'s, before any write)
        if msg is not None:
            raise RuntimeError(msg)
    if expanded and (has_internal_overlap(t._data) or _self_overlapping(t._data)):
        _write_changed(t, new._data)
    else:
        write(t, new._data)
    if node is None:
        return t
    if t._base is None:
        old, old_nr = t._grad_fn, t._output_nr
        t._grad_fn, t._output_nr, t._requires_grad = node, 0, True
        _repoint_saved_output(node, t)
        if t._retains_grad and old is not None and old is not node:
            _move_retain_hook(old, old_nr, node)
    else:
        _repoint_saved_output(node, t)  # (a later change of the view makes it stale)
        _copy_slices(t, node)
    t._view_version = t._vc.v
    return t


def _write_changed(t: Tensor, arr) -> None:
    """Write the elements of ``arr`` that differ from ``t``'s (a signed zero too) into ``t``'s
    shared memory."""
    w = writable_alias(t._data)
    if w is None:
        raise RuntimeError(_OVERLAP)
    xp = xp_of_array(w)
    arr = xp.asarray(arr).astype(w.dtype, copy=False)
    if arr.shape != w.shape:
        arr = xp.broadcast_to(arr, w.shape)
    changed = arr != t._data
    if w.dtype.kind not in "biu":  # (``-0.0`` written over ``0.0`` is a change of bits)
        parts = (lambda a: (a.real, a.imag)) if w.dtype.kind == "c" else (lambda a: (a,))
        for new, old in zip(parts(arr), parts(t._data)):
            changed |= xp.signbit(new) != xp.signbit(old)
    w[changed] = arr[changed]
    t._vc.v += 1


def _move_retain_hook(old, nr, node):
    """``retain_grad()`` follows the tensor to the node of its in-place change (as PyTorch:
    ``.grad`` is then the gradient of the new value); its other hooks stay behind."""
    hooks = (old._tensor_hooks or {}).get(nr, {})
    for key, fn in list(hooks.items()):
        if getattr(fn, "retains_grad", False):
            del hooks[key]
            node._add_retain_hook(0, fn)


def _legacy(d):
    return D.scalar_name(d)


def _repoint_saved_output(node, t):
    versions = list(node._versions)
    for i, s in enumerate(node._saved):
        if type(s) is SavedOutput:
            s.tensor = t._alias()
            versions[i] = t._vc.v
    node._versions = tuple(versions)


def _copy_slices(view: Tensor, node) -> None:
    """An in-place op on a view: the base's history becomes PyTorch's ``CopySlices``."""
    base = view._base
    view_fn = view._view_fn
    overlap = has_internal_overlap(view._data)

    def rule(ctx, g):
        if ctx._released:  # (freed by an earlier backward: PyTorch's refusal)
            _ = ctx.saved
        need_base = ctx.needs_input_grad[0]
        if overlap and need_base:  # (PyTorch's backward writes the gradient through the
            raise RuntimeError(_OVERLAP)  # expanded view, where the base wants one)
        gb = g.clone()
        bd = base._data
        if gb._data.strides != bd.strides and type(bd) is np.ndarray and \
                type(gb._data) is np.ndarray and _dense(bd):
            # (PyTorch's gradient buffer has the base's strides, which an ``as_strided`` view
            # of a transposed base reads: ``(a.t() * 1).as_strided((2,), (1,))``)
            lay = np.empty_like(bd, dtype=gb._data.dtype)
            lay[...] = gb._data
            gb._data = lay
        region = view_fn(gb)
        from .shape import contiguous_format

        # (PyTorch hands the op's rule a contiguous copy of the region)
        res = node._rule(node, region.clone(memory_format=contiguous_format))
        res = res if isinstance(res, tuple) else (res,)
        first = res[0]
        if first is not None:
            first = conform_grad(first, node._meta[0], node, 0)
        if not need_base:
            pass
        elif STATE.enabled:  # create_graph: the region's new gradient, recorded (a raw write
            # would leave gb's history saying it is g's clone there too)
            if first is None:
                region.zero_()
            else:
                region.copy_(first)
        else:
            write(region, first._data if first is not None else 0)
        # (a Python number operand has no meta: its gradient goes nowhere)
        rest = tuple(None if r is None or node._meta[i + 1] is None
                     else conform_grad(r, node._meta[i + 1], node, i + 1)
                     for i, r in enumerate(res[1:]))
        return (gb,) + rest

    edges = (edge(base),) + node.next_functions[1:]
    meta = ((base._data.shape, base._data.dtype),) + node._meta[1:]
    cs = node_class("CopySlices")(rule, edges, meta)
    cs._saved, cs._versions = node._saved, node._versions  # a second backward is refused too
    old, old_nr = base._grad_fn, base._output_nr
    base._grad_fn, base._output_nr, base._requires_grad = cs, 0, True
    base._view_version = base._vc.v
    if base._retains_grad and old is not None:
        _move_retain_hook(old, old_nr, cs)
    refresh_view(view)


def refresh_view(view: Tensor) -> None:
    """Rebuild a view's history from its base after someone wrote into their memory."""
    base = view._base
    if view._grad_fn is None and not base._requires_grad:  # (as PyTorch: nothing to redo)
        view._view_version = view._vc.v
        return
    if view._no_grad_view or view._multi_view or "_fn_view" in view.__dict__:
        msg = _view_rebase_message(view, True)  # (PyTorch's: refused at each look)
        if msg is not None:
            raise RuntimeError(msg)
    view._view_version = view._vc.v
    if not base._requires_grad or view._view_fn is None:
        return
    steps = view.__dict__.get("_replay") if view.__dict__ else None
    if steps is not None:  # (redone from the base, recorded: PyTorch's view_func)
        was, STATE.enabled = STATE.enabled, True
        try:
            redone = base
            for step in steps:
                redone = step(redone)
        finally:
            STATE.enabled = was
        old, old_nr = view._grad_fn, view._output_nr
        view._grad_fn, view._output_nr, view._requires_grad = redone._grad_fn, 0, True
        if view._retains_grad and old is not None:  # (``retain_grad()`` follows it)
            _move_retain_hook(old, old_nr, view._grad_fn)
        return
    view_fn = view._view_fn

    def rule(ctx, g):
        # (the base's dtype: a view may have another one, as ``z.real`` of a complex z)
        xp = xp_of(g)
        gb = wrap(xp.zeros(base.shape, dtype=base._data.dtype), g._device)
        v = view_fn(gb)
        bd = base._data
        if type(bd) is np.ndarray and bd.strides != gb._data.strides and _dense(bd) and \
                not _may_overlap(v._data):
            # (PyTorch's gradient has the base's strides, which the view's geometry reads)
            gb = wrap(np.zeros_like(bd), g._device)
            v = view_fn(gb)
        if _may_overlap(v._data) and v._data.dtype == gb._data.dtype:
            # (an expanded or unfolded view: its elements' gradients add up)
            at = view_fn(wrap(xp.arange(base.numel()).reshape(base.shape), g._device))
            gb.view(-1).index_add_(0, at.reshape(-1), g.reshape(-1))
        elif STATE.enabled:  # create_graph: recorded (a raw write would cut g's history)
            v.copy_(g)
        else:
            write(v, g._data)
        return (gb,)

    old, old_nr = view._grad_fn, view._output_nr
    view._grad_fn = node_class("AsStridedBackward0")(rule, (edge(base),),
                                                     ((base._data.shape, base._data.dtype),))
    view._output_nr = 0
    view._requires_grad = True
    if view._retains_grad and old is not None:  # (``retain_grad()`` follows it)
        _move_retain_hook(old, old_nr, view._grad_fn)


def into_out(res, out, name=None, strict=True):
    """``res`` written into a caller's ``out=`` tensor (or tuple of them); ``res`` itself when
    there is none.  ``name``: the op's, for PyTorch's message; ``strict=False`` lets this
    call cast into ``out`` even for a name in ``STRICT_OUT`` (see :func:`strict_out`)."""
    if out is None:
        return res
    if isinstance(out, (tuple, list)):
        check = _PAIR_OUT.get(name)
        if check is not None and len(out) == 2 and all(isinstance(o, Tensor) for o in out):
            check(name, res[0].dtype, out[0].dtype, out[1].dtype)
        for o, r in zip(out, res):
            write_out(o, r, name, strict)
        kind = type(res)
        if getattr(kind, "__module__", None) == "torch.return_types":  # (``sort_out(...)``)
            from ..return_types import make_return

            return make_return(kind.__name__ + "_out", *out, names=kind._fields)
        return out
    return write_out(out, res, name, strict)


def _pair_expected(name, values, out_values, out_indices, indices=D.int64):
    for want, got in ((values, out_values), (indices, out_indices)):
        if got is not want:
            raise RuntimeError(_expected_out(want, got, name))


def _pair_kthvalue(name, values, out_values, out_indices):
    if out_values is not values:
        raise RuntimeError("output values must be of same type as input")
    if out_indices is not D.int64:
        raise RuntimeError("output indices must be of scalar type Long")


def _pair_median(name, values, out_values, out_indices):
    why = " (while checking arguments for median)"
    if out_indices is not D.int64:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have scalar type Long; "
                           f"but got {D.processed_type_name(out_indices)} instead{why}")
    if out_values is not values:
        raise RuntimeError("Expected tensor for 'values' to have the same type as tensor for "
                           f"argument #2 'self'; but type {D.processed_type_name(out_values)}"
                           f" does not equal {D.processed_type_name(values)}{why}")


def check_mode_out(values, out):
    """``mode``'s checks of its ``out=`` pair (made before anything else, the dim's too)."""
    if isinstance(out, (tuple, list)) and len(out) == 2 and \
            all(isinstance(o, Tensor) for o in out):
        for what, want, got in (("values", values, out[0].dtype),
                                ("indices", D.int64, out[1].dtype)):
            if got is not want:
                raise RuntimeError(f"expected scalar type '{_legacy(want)}' but got "
                                   f"'{_legacy(got)}' for {what} output")


# The dtype checks of the ``out=`` pairs of ``values, indices`` ops (``aminmax``: min, max)
_PAIR_OUT = {
    "sort": _pair_expected, "topk": _pair_expected, "kthvalue": _pair_kthvalue,
    "median": _pair_median, "nanmedian": _pair_median,
    "aminmax": lambda n, v, ov, oi: _pair_expected(n, v, ov, oi, v),
}


def _found_dtype(res, out, name):
    return f"Found dtype {_legacy(out)} but expected {_legacy(res)}"


def _expected_out(res, out, name):
    return (f"Expected out tensor to have dtype {D.cpp_name(res)}, but got {D.cpp_name(out)} "
            "instead")


def _bool_only(res, out, name):
    return f"{name} does not support non-boolean outputs."


# Ops whose ``out=`` must have the result's dtype exactly (PyTorch refuses even a safe cast
# there), with PyTorch's message for each; every other op casts into ``out`` when it can.
STRICT_OUT = {
    **dict.fromkeys(("abs", "absolute", "neg", "negative", "sign", "sgn", "floor", "ceil",
                     "round", "trunc", "frac", "fix", "lerp", "conj_physical", "bitwise_not"),
                    _found_dtype),
    **dict.fromkeys(("addmm", "cross", "diag", "gather", "matmul", "mm", "tril", "triu",
                     "argmax", "argmin", "norm", "softmax", "log_softmax", "bmm", "msort",
                     "argsort", "take_along_dim", "addmv", "baddbmm", "index_add", "index_copy",
                     "scatter", "scatter_add", "scatter_reduce"), _expected_out),

    **dict.fromkeys(("isposinf", "isneginf", "signbit"), _bool_only),
    **dict.fromkeys(("cummax", "cummin", "logcumsumexp"), lambda r, o, n: (
        f"expected scalar_type {_legacy(r)} but found {_legacy(o)}")),
    **dict.fromkeys(("max", "min"), _expected_out),
    **dict.fromkeys(("amax", "amin"), lambda r, o, n: (
        "Expected the dtype for input and out to match, but got "
        f"{_legacy(r)} for input's dtype and {_legacy(o)} for out's dtype.")),
    "nan_to_num": lambda r, o, n: (f"nan_to_num: dtype of out: {_legacy(o)} should be same as "
                                   f"input: {_legacy(r)}"),
    "float_power": lambda r, o, n: (f"the output given to float_power has dtype {_legacy(o)} "
                                    f"but the operation's result requires dtype {_legacy(r)}"),
    "nonzero": lambda r, o, n: ("nonzero: Expected out tensor to have scalar type Long but got "
                                f"scalar type{_legacy(o)}"),
    **dict.fromkeys(("complex", "polar"), lambda r, o, n: (
        f"Expected object of scalar type {_legacy(r)} but got scalar type {_legacy(o)} for "
        "argument 'out'")),
    **dict.fromkeys(("inner", "tensordot"), lambda r, o, n: (
        f"tensordot: Expected the output tensor to have dtype "
        f"{_legacy(r)}, but got an output tensor with dtype {_legacy(o)}")),
    **dict.fromkeys(("clamp", "clip", "clamp_min", "clamp_max"), _found_dtype),
    "where": lambda r, o, n: f"Expected out type to be {_legacy(r)} but got {_legacy(o)}",
    "narrow_copy": lambda r, o, n: (
        "Expected self.dtype() == output.dtype() to be true, but got false.  (Could this error "
        "message be improved?  If so, please report an enhancement request to PyTorch.)"),
}


# Ops that PyTorch builds on ``cat``: its own message when ``out`` cannot hold the result.
_CAT_FAMILY = frozenset(("cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
                         "column_stack", "row_stack"))


def strict_out(name, args, kwargs) -> bool:
    """Whether this call of op ``name`` wants an ``out=`` of the result's dtype exactly:
    ``max``/``min`` only in their ``dim`` form, ``lerp`` only with a tensor weight (PyTorch
    casts into ``out`` for ``max(a, b)``, ``max(a)`` and a number weight)."""
    if name in ("max", "min"):
        dim = args[1] if len(args) > 1 else kwargs.get("dim")
        return dim is not None and not isinstance(dim, Tensor)
    if name == "lerp":
        return isinstance(args[2] if len(args) > 2 else kwargs.get("weight"), Tensor)
    if name in ("clamp", "clip", "clamp_min", "clamp_max"):
        # (PyTorch's Scalar overload: number bounds only, or a number beside 0-d tensors,
        # which its parser then takes as numbers)
        bounds = (*args[1:], *kwargs.values())
        return not any(isinstance(b, Tensor) for b in bounds) or \
            any(b is not None and not isinstance(b, Tensor) for b in bounds)
    return name in STRICT_OUT


def precheck_out(name, input, out, strict=True) -> None:
    """The ``out=`` dtype check that PyTorch makes before computing, for the ops whose result
    has their (real) input's dtype: it comes before the op's own dtype refusals."""
    if strict and isinstance(out, Tensor) and isinstance(input, Tensor) and \
            out.dtype is not input.dtype and STRICT_OUT.get(name) is _found_dtype and \
            not input.dtype.is_complex and name not in ("clamp", "clip", "clamp_min",
                                                        "clamp_max"):  # (bounds promote)
        raise RuntimeError(_found_dtype(input.dtype, out.dtype, name))
    if name == "logcumsumexp" and strict and isinstance(out, Tensor) and \
            isinstance(input, Tensor) and out.dtype is not input.dtype:  # (before the dtype's
        raise RuntimeError(STRICT_OUT[name](input.dtype, out.dtype, name))  # refusal)


def scatter_out_first(name, input, out) -> None:
    """The scatters' ``out=`` dtype check, which PyTorch makes after its argument checks but
    before its kernel refuses a value or an index (called on such a refusal)."""
    if isinstance(out, Tensor) and isinstance(input, Tensor) and out.dtype is not input.dtype:
        raise RuntimeError(_expected_out(input.dtype, out.dtype, name))


def _same_dtype_out(message):
    """A check that ``out`` has the input's dtype, made before the op computes."""
    def check(name, args, out):
        if args and isinstance(args[0], Tensor) and out.dtype is not args[0].dtype:
            raise RuntimeError(message.format(name=name, input=_legacy(args[0].dtype),
                                              out=_legacy(out.dtype)))
    return check


def _mv_out(name, args, out):
    if len(args) > 1 and isinstance(args[1], Tensor) and out.dtype is not args[0].dtype and \
            args[0].ndim == 2 and args[1].ndim == 1 and args[0].shape[1] == args[1].shape[0]:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_legacy(out.dtype)}, {_legacy(args[0].dtype)}, and "
                           f"{_legacy(args[1].dtype)}")


def _index_select_out(name, args, out):
    if len(args) > 2 and isinstance(args[2], Tensor) and args[2].dtype in (D.int32, D.int64):
        try:  # (a bad dim, or index dtype, is refused first)
            norm_dim(args[1], args[0].ndim)
        except (TypeError, IndexError):
            return
        _same_dtype_out("index_select(): self and result must have the same scalar type")(
            name, args, out)


def _bool_out(name, args, out):
    if out.dtype not in (D.bool, D.uint8):
        raise RuntimeError(f"{name} only supports bool tensor for result, got: "
                           f"{_legacy(out.dtype)}")


def _logsumexp_out(name, args, out):
    if not out.dtype.is_floating_point:
        raise RuntimeError("logsumexp(): Expected floating point type for result tensor, but "
                           f"got: {_legacy(out.dtype)}")


# The ``out=`` dtype checks PyTorch makes before an op's own (index, size) checks.
def _dim_then_out(name, args, out):
    """``gather``'s and ``index_copy``'s ``out=`` dtype check: after their ``dim``'s (given by
    position), before any of their others."""
    if len(args) > 1 and isinstance(args[0], Tensor) and out.dtype is not args[0].dtype:
        try:
            norm_dim(args[1], args[0].ndim)
        except (TypeError, IndexError):
            return
        raise RuntimeError(_expected_out(args[0].dtype, out.dtype, name))


def _where_out(name, args, out):
    """``where``'s ``out=`` dtype check, before its condition's or its operands' shapes."""
    if len(args) == 3 and any(isinstance(a, Tensor) for a in args[1:]):
        res = D.result_type(args[1], args[2])
        if res is not out.dtype:
            raise RuntimeError(STRICT_OUT["where"](res, out.dtype, name))


def _take_out(name, args, out):
    if len(args) > 1 and isinstance(args[1], Tensor) and args[1].dtype is D.int64:
        _same_dtype_out("take(): self and out expected to have the same dtype, but got "
                        "self.dtype = {input} and out.dtype = {out}")(name, args, out)


_OUT_FIRST = {
    **dict.fromkeys(("gather", "index_copy"), _dim_then_out), "where": _where_out,
    "masked_select": lambda name, args, out: len(args) > 1 and isinstance(
        args[1], Tensor) and args[1].dtype is D.bool and _same_dtype_out(
        "masked_select(): self and result must have the same scalar type")(name, args, out),
    "index_select": _index_select_out, "all": _bool_out, "any": _bool_out,
    "take": _take_out,  # (after its index's dtype check)
    **dict.fromkeys(("dot", "vdot"), _same_dtype_out(
        "result dtype {out} does not match input dtype {input}")),
    "mv": _mv_out, "logsumexp": _logsumexp_out,
}


def check_out_first(name, args, out):
    """PyTorch's checks of ``out=`` that come before the op's others: ``out`` must not require
    grad (where the op is differentiable), then some ops' dtype checks."""
    if STATE.enabled and name not in NOT_DIFFERENTIABLE and name not in STRICT_OUT_FIRST:
        for o in (out if isinstance(out, (tuple, list)) else (out,)):
            if isinstance(o, Tensor) and o._requires_grad:
                raise RuntimeError(_no_grad_out("diagonal" if name == "diag" and args and
                                                isinstance(args[0], Tensor) and
                                                args[0].ndim == 2 else name))
        if name == "argsort" and args and isinstance(args[0], Tensor) and \
                args[0]._requires_grad:  # (PyTorch's argsort writes through sort's out form)
            raise RuntimeError(_no_grad_out(name))
        if name in _GRAD_OUT_FIRST and any(isinstance(a, Tensor) and a._requires_grad
                                           for a in args[:2]):
            raise RuntimeError(_no_grad_out(name))  # (before the scan's dtype= from out)
    check = _OUT_FIRST.get(name)
    if check is not None and isinstance(out, Tensor):
        check(name, args, out)


# Ops whose autograd refuses an ``out=`` for an input that requires grad before any other
# check (the scans, whose ``out``'s dtype would otherwise become their dtype= first; cross,
# whose dim checks are linalg_cross's, inside).
_GRAD_OUT_FIRST = frozenset(("cumsum", "cumprod", "logcumsumexp", "cross"))


def _no_grad_out(name):
    name = _OUT_OP_NAMES.get(name, name)
    return (f"{name + '(): ' if name else ''}functions with out=... arguments don't support "
            "automatic differentiation, but one of the arguments requires grad.")


# Ops without a derivative: PyTorch writes their ``out=`` even where it requires grad.
NOT_DIFFERENTIABLE = frozenset((
    "eq ne lt le gt ge greater greater_equal less less_equal not_equal logical_and logical_or "
    "logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift "
    "bitwise_right_shift isposinf isneginf signbit argmax argmin all any nonzero searchsorted "
    "bucketize count_nonzero").split())
# (and these refuse a non-bool ``out`` first)
STRICT_OUT_FIRST = frozenset(("isposinf", "isneginf", "signbit"))

# The op PyTorch names where an ``out=`` requires grad: the one an alias (or a composite op)
# calls.
_OUT_OP_NAMES = {
    "negative": "neg", "absolute": "abs", "true_divide": "div", "divide": "div",
    "multiply": "mul", "subtract": "sub", "clip": "clamp", "arccos": "acos", "arcsin": "asin",
    "arctan": "atan", "arccosh": "acosh", "arcsinh": "asinh", "arctanh": "atanh",
    "arctan2": "atan2", "fix": "trunc", "diff": "sub", "concat": "cat", "concatenate": "cat",
    "hstack": "cat",
    "vstack": "cat", "dstack": "cat", "column_stack": "cat", "outer": "mul", "ger": "mul",
    "kron": "mul", "diagonal": "aten::diagonal_copy",
    "float_power": "pow", "square": "pow", "nanmean": "nansum", "take_along_dim": "gather",
    "diag": "aten::diag_embed", "msort": "sort", "argsort": "sort", "cross": "linalg_cross",
    "norm": "linalg_vector_norm", "softmax": "aten::softmax", "log_softmax": "aten::log_softmax",
}


# PyTorch's structured TensorIterator ops, which warn twice about an ``out=`` they resize
# when it is of another dtype than their result (they resize it, then the result's copy).
_RESIZED_TWICE = frozenset((
    "acos acosh add addcdiv addcmul arccos arccosh arcsin arcsinh arctan arctan2 arctanh asin "
    "asinh atan atan2 atanh bitwise_and bitwise_left_shift bitwise_or bitwise_right_shift "
    "bitwise_xor copysign cos cosh deg2rad digamma div divide erf erfc erfinv exp exp2 expm1 "
    "fmax fmin fmod gcd hypot i0 lcm ldexp lerp lgamma log log10 log1p log2 logaddexp "
    "logaddexp2 maximum minimum mul multiply nextafter pow rad2deg reciprocal remainder rsqrt "
    "sigmoid sin sinc sinh sqrt square sub subtract tan tanh true_divide xlogy").split())
# (and the comparisons, by their operands' common dtype rather than their result's: not done)


def matmul_out_first(a, b, out) -> None:
    """What PyTorch's ``matmul(a, b, out=out)`` does to ``out`` before it computes: a dot's
    ``out`` is resized before its dtype check (and worded as dot's); a vector times a matrix
    resizes ``out`` to ``[1, m]`` (the warning's shape), then squeezes it; a batched product
    resizes ``out`` to the result's shape before the dtype check of the op it folds into."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor) and isinstance(out, Tensor)) or \
            not a.ndim or not b.ndim or a.dtype is not b.dtype or \
            a.shape[-1] != (b.shape[-2] if b.ndim > 1 else b.shape[0]):
        return
    if a.ndim <= 2 and b.ndim <= 2:
        if out.dtype is not a.dtype:
            if a.ndim == b.ndim == 1:
                if out.ndim:
                    warn_resized(out, ())
                raise RuntimeError(f"result dtype {_legacy(out.dtype)} does not match input "
                                   f"dtype {_legacy(a.dtype)}")
        elif a.ndim == 1 and b.ndim == 2:
            m = b.shape[1]
            if tuple(out.shape) != (1, m):
                warn_resized(out, (1, m))
                out.resize_(1, m)  # (restrided in its memory, as PyTorch's resize)
            out.squeeze_(0)
        return
    try:
        batch = np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    except ValueError:
        return
    shape = batch + tuple(a.shape[-2:-1]) + tuple(b.shape[-1:] if b.ndim > 1 else ())
    if out.dtype is not a.dtype:
        if tuple(out.shape) != shape:
            warn_resized(out, shape)
        if b.ndim == 1:
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                               f"{_legacy(out.dtype)}, {_legacy(a.dtype)}, and "
                               f"{_legacy(b.dtype)}")
        raise RuntimeError(STRICT_OUT["matmul"](a.dtype, out.dtype, "matmul"))


def warn_resized(out, shape, twice=False):
    """PyTorch's warning for a non-empty ``out=`` resized to the result's ``shape`` (``twice``:
    by the ops of ``_RESIZED_TWICE`` where ``out`` is not of the result's dtype)."""
    if out.numel() == 0:
        return
    for _ in range(2 if twice else 1):
        _warn(f"An output with one or more elements was resized since it had shape "
              f"{list(out.shape)}, which does not match the required output shape "
              f"{list(shape)}. This behavior is deprecated, and in a future PyTorch "
              "release outputs will not be resized unless they have zero elements. You can "
              "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
              "with t.resize_(0).", cpp="aten/src/ATen/native/Resize.cpp:30")


_COMPARISONS = frozenset("eq ne lt le gt ge greater greater_equal less less_equal not_equal"
                         .split())

# TensorIterator ops, which refuse to resize an ``out=`` that is one of their inputs
_READ_WRITE_CHECKED = _RESIZED_TWICE | _COMPARISONS | frozenset(
    "where clamp clip clamp_min clamp_max logical_and logical_or logical_xor floor_divide fmax "
    "fmin heaviside".split())


_BOOL_ITER = _COMPARISONS | frozenset(("logical_and", "logical_or", "logical_xor"))


def warn_complex_into_real(name, operands, out) -> None:
    """PyTorch's warning (once) where comparison or logical op ``name`` computes in a complex
    dtype and writes a real, non-bool ``out`` (its copy of the result drops the imaginary
    parts)."""
    if name not in _BOOL_ITER or not isinstance(out, Tensor) or out.dtype._kind in (0, 3):
        return
    operands = [v for v in operands if isinstance(v, (Tensor, bool, int, float, complex))]
    try:
        if len(operands) < 2 or D.result_type(*operands)._kind != 3:
            return
    except NotImplementedError:  # (complex32: complex too)
        pass
    from .._warnings import warn_once

    warn_once("complex to real", "Casting complex values to real discards the imaginary part",
              cpp="aten/src/ATen/native/Copy.cpp:307")


_UNARY_ITER = frozenset("abs absolute neg negative floor ceil trunc fix round frac sign sgn "
                        "bitwise_not logical_not".split())


def check_read_write_out(name, args, kwargs, out) -> None:
    """PyTorch's refusals of the ``out=`` of TensorIterator op ``name``, before the dtype
    checks: one whose elements share memory; one that is also an input and is not of the
    broadcast shape (such an output is never resized)."""
    if name not in _READ_WRITE_CHECKED and name not in _UNARY_ITER or \
            not isinstance(out, Tensor):
        return
    if has_internal_overlap(out._data):  # (TensorIterator's first check)
        raise RuntimeError(_OVERLAP)
    ts = [v for v in (*args, *kwargs.values()) if isinstance(v, Tensor)]
    if not any(v is out for v in ts):
        return
    try:
        shape = np.broadcast_shapes(*(tuple(v.shape) for v in ts))
    except ValueError:
        return  # (the op's own error)
    if shape != tuple(out.shape):
        raise RuntimeError(f"output with shape {list(out.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")


def pow_number_out(args, kwargs, out):
    """``pow(number, exponent, out=out)``'s first steps in PyTorch: ``out`` resized to the
    exponent's shape in its own dtype (one warning), then a base of 1 fills it with ones
    (no cast check; True: done) where any other base redispatches to the tensor's ``pow``."""
    base, exp = args[0], args[1] if len(args) > 1 else kwargs.get("exponent")
    if not isinstance(exp, Tensor) or not isinstance(out, Tensor) or not isinstance(
            base, (bool, int, float, complex, np.number, np.bool_)):
        return False
    if STATE.enabled and exp._requires_grad:  # (autograd's refusal of out=, first)
        return False
    if tuple(out.shape) != tuple(exp.shape):
        warn_resized(out, tuple(exp.shape))
        out.resize_(exp.shape)
    if base == 1 and not isinstance(base, bool):  # (True is no 1.0 to PyTorch here)
        out.fill_(1)
        return True
    return False


def out_before_kernel(name, args, kwargs, error):
    """What PyTorch does with the ``out=`` of a binary TensorIterator op before its kernel
    refuses the operands' dtype (``error``): the cast check of the common dtype into ``out``
    (none for a comparison), then the resize (and its warning)."""
    out = kwargs.get("out")
    if name in ("clamp", "clip", "clamp_min", "clamp_max") and isinstance(out, Tensor) and \
            not getattr(error, "_out_seen", False):  # (tensor bounds: a TensorIterator's op)
        error._out_seen = True
        ts = [v for v in (*args, *kwargs.values()) if isinstance(v, Tensor) and v is not out]
        try:
            common = D.result_type(*ts)
            shape = np.broadcast_shapes(*(tuple(v.shape) for v in ts))
        except (NotImplementedError, ValueError):
            return
        if not D.can_cast(common, out.dtype):
            raise RuntimeError(f"result type {_legacy(common)} can't be cast to the desired "
                               f"output type {_legacy(out.dtype)}")
        if tuple(out.shape) != shape:
            warn_resized(out, shape, out.dtype is not common)
        return
    if name not in _RESIZED_TWICE and name not in _COMPARISONS and name != "floor_divide" or \
            not isinstance(out, Tensor) or getattr(error, "_out_seen", False):
        return
    a = args[0] if args else kwargs.get("input", kwargs.get("self"))
    b = args[1] if len(args) > 1 else kwargs.get("other", kwargs.get("exponent"))
    if not all(isinstance(v, (Tensor, bool, int, float, complex, np.number, np.bool_))
               for v in (a, b)):  # (two numbers: the first one's 0-d tensor, same dtypes)
        return
    error._out_seen = True  # (once, however many layers see it)
    try:
        common = D.result_type(a, b)
    except NotImplementedError:  # (complex32, which ember does not have)
        if out.dtype._kind == 3:
            return
        raise RuntimeError("result type ComplexHalf can't be cast to the desired output type "
                           f"{_legacy(out.dtype)}") from None
    if name not in _COMPARISONS and not D.can_cast(common, out.dtype):
        raise RuntimeError(f"result type {_legacy(common)} can't be cast to the desired "
                           f"output type {_legacy(out.dtype)}")
    shape = np.broadcast_shapes(*(tuple(v.shape) for v in (a, b) if isinstance(v, Tensor)))
    if tuple(out.shape) != shape:
        # (a comparison computes in the common dtype unless ``out`` is boolean)
        warn_resized(out, shape, out.dtype is not common and (
            name in _RESIZED_TWICE or name in _COMPARISONS and out.dtype is not D.bool))


def resize_view_in_storage(t: Tensor, shape) -> bool:
    """Give view ``t`` the contiguous ``shape`` in its base's memory from its storage offset,
    as PyTorch's ``resize_`` does where that memory holds it (so writes reach the base):
    False (nothing done) where it does not, or ``t`` is no view."""
    if t._base is None or type(t._data) is not np.ndarray:
        return False
    from .shape import _storage_root, storage_offset

    root = _storage_root(t)
    n = 1
    for s in shape:
        n *= s
    if type(root) is not np.ndarray or not root.flags.c_contiguous or \
            root.dtype != t._data.dtype or not root.flags.writeable or \
            not t._base._data.flags.c_contiguous:
        return False
    off = storage_offset(t)
    if off < 0 or off + n > root.size:
        return False
    t._data = root.reshape(-1)[off:off + n].reshape(tuple(shape))
    if t._view_fn is not None:  # (its history, redone from the base: the new geometry)
        from .shape import as_strided_view

        size, at = tuple(shape), off - storage_offset(t._base)
        stride = tuple(s // t._data.itemsize for s in t._data.strides)
        t._view_fn = lambda b: as_strided_view(b, size, stride, at)
        t.__dict__.pop("_replay", None)
    return True


def write_out(out: Tensor, res: Tensor, name=None, strict=True, redo=None) -> Tensor:
    """Store an op's result into a user's ``out=`` tensor (resized if its shape differs).
    ``redo()``: where the shapes agree, it writes ``out`` instead (the op redone in
    PyTorch's loop order, for an ``out`` sharing memory with itself or an input)."""
    if STATE.enabled and (res._requires_grad or out.requires_grad) and \
            name not in NOT_DIFFERENTIABLE:  # (``out``'s own flag, or as a view its base's)
        raise RuntimeError(_no_grad_out(name))
    if strict and res.dtype is not out.dtype and name in STRICT_OUT:
        raise RuntimeError(STRICT_OUT[name](res.dtype, out.dtype, name))
    if not D.can_cast(res.dtype, out.dtype):
        if name == "stack" and tuple(out.shape) != tuple(res.shape):
            warn_resized(out, res.shape)  # (PyTorch's stack resizes ``out`` before its cat)
            out.resize_(res.shape)
        if name in _CAT_FAMILY:
            raise TypeError("torch.cat(): input types can't be cast to the desired output type "
                            f"{_legacy(out.dtype)}")
        raise RuntimeError(f"result type {_legacy(res.dtype)} can't be cast to the desired "
                           f"output type {_legacy(out.dtype)}")
    if tuple(out.shape) != tuple(res.shape):
        warn_resized(out, res.shape, name in _RESIZED_TWICE and res.dtype is not out.dtype)
        if resize_view_in_storage(out, res.shape):  # (a view: resized in its base's memory)
            write(out, res._data)
        else:
            out._data = res._data.astype(out._data.dtype)
            out._vc.v += 1
    elif redo is not None:
        redo()
    else:
        write(out, res._data)
    if out._is_inference and not STATE.inference and not out._inference_vc:
        raise RuntimeError(_INFERENCE_INPLACE)  # (as PyTorch's: at the version bump, once written)
    return out


# Functions and methods (C++ ones in PyTorch) whose ``dim``/``keepdim`` PyTorch's argument
# parser also takes under NumPy's names ``axis``/``keepdims`` (the reductions do it their
# own way, in ``reduce._accept_axis``).
NUMPY_DIM_ALIASED = frozenset((
    "sort argsort cummax cummin mode aminmax softmax log_softmax select narrow index_select "
    "gather take_along_dim nanmedian logcumsumexp topk kthvalue diff unbind chunk tensor_split "
    "repeat_interleave cross quantile nanquantile trapezoid trapz cumulative_trapezoid "
    "unsqueeze").split())


def numpy_dim_aliases(fn):
    """``fn`` taking ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``."""
    import functools

    @functools.wraps(fn)
    def aliased(*args, **kwargs):
        if kwargs:
            if "axis" in kwargs and "dim" not in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            if "keepdims" in kwargs and "keepdim" not in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)
    return aliased


def tensor_input(fn, name, strict=False, arg="input", keyword_position=False):
    """``fn`` (a public function whose first argument PyTorch requires to be a tensor) giving
    PyTorch's TypeError for a non-tensor there (a list, a NumPy array): at once when
    ``strict``, else only when it makes ``fn`` fail (a number it can take still works, as
    ember's own code may rely on), rather than whatever error it fails with inside.
    ``keyword_position``: the message names position 1 for a keyword argument too (a
    PyTorch function written in Python, passing it on positionally)."""
    import functools
    import inspect

    try:  # (``inplace=True`` makes PyTorch's functional layers call the ``name_`` op)
        at = list(inspect.signature(fn).parameters).index("inplace")
    except (ValueError, TypeError):
        at = None

    def refuse(args, kwargs, where):
        inplace = at is not None and (kwargs.get("inplace") if len(args) <= at else args[at])
        return TypeError(f"{name}{'_' if inplace is True else ''}(): argument '{arg}'{where} "
                         f"must be Tensor, not {tp_name(args[0])}")

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        if args:
            if isinstance(args[0], Tensor):
                return fn(*args, **kwargs)
            where = " (position 1)"
        elif arg in kwargs:  # (by keyword, under PyTorch's name for it: given positionally)
            args, where = (kwargs.pop(arg),), " (position 1)" if keyword_position else ""
            if isinstance(args[0], Tensor):
                return fn(*args, **kwargs)
        else:
            return fn(*args, **kwargs)  # (its own error for the missing argument)
        if strict:
            raise refuse(args, kwargs, where)
        try:
            return fn(*args, **kwargs)
        except Exception:
            raise refuse(args, kwargs, where) from None
    checked._ember_keyword_input = arg  # (what ``_argparse.python_words`` reads)
    return checked


# -- composite ops shown as one node ------------------------------------------------------

def fused(name, fn, *inputs, int_edges=False, outputs=None, refuse=None, twice=None,
          keep=(), compact=False):
    """``fn(*inputs)``, a composite of other ops, shown as PyTorch's single op ``name``.

    Its result(s) get one node called ``name`` whose ``next_functions`` are the inputs' own
    edges (one per tensor argument), as PyTorch's native op has; none of the composite's
    inner nodes show.  The composite runs on detached stand-ins of the inputs that require
    grad, and the node's backward takes the gradient through that private graph.  Under
    ``create_graph`` the gradient is itself computed as a fused op of the inputs and the
    incoming gradients, so any order of differentiation works.  ``name=None`` keeps the
    name of the composite's own last node.  ``int_edges`` gives integer tensor arguments an
    edge (``None``) too, for the few ops PyTorch declares differentiable in them (``ldexp``).
    ``outputs`` (one bool per output) marks the outputs PyTorch records as differentiable
    even where the composite made them without history (``lstsq``'s residuals).
    ``refuse=(node_name, message, error)``: an op PyTorch cannot differentiate twice; under
    ``create_graph`` its gradients are nodes ``node_name`` that raise ``error(message)``.
    ``twice``: the name of the ``create_graph`` gradient's node (PyTorch's formula's last op;
    by default the composite gradient's own last node).
    ``keep``: what PyTorch's node saves, checked against in-place changes when its backward
    runs: input positions, ``OUT`` (the first output), ``(OUT, k)`` (output ``k``, recorded
    or not) or other tensors (an index); or a function of the inputs that gives them.
    ``compact``: the recorded outputs are numbered
    among themselves, as PyTorch numbers an op's differentiable outputs (``linalg.lu``'s
    ``L`` and ``U`` are its outputs 0 and 1, after ``P``).

    Only for ops off the hot path: it costs a detach per input and a nested backward.
    """
    if not STATE.enabled:
        return fn(*inputs)
    if callable(keep):  # (what PyTorch's node keeps hangs on which inputs need a gradient)
        keep = keep(*inputs)
    # (PyTorch's node has an edge per floating or complex tensor argument; indices get none)
    pos = [i for i, t in enumerate(inputs)
           if isinstance(t, Tensor) and (int_edges or t.dtype._kind >= 2)]
    # (a view that follows its base records the node too, as PyTorch's, even where its edge
    # gathers nothing)
    # (read off the flags, not the property: forward AD's hidden tape counts too)
    diff = [i for i in pos if inputs[i]._requires_grad or
            inputs[i]._base is not None and inputs[i]._base._requires_grad]
    if not diff:
        return fn(*inputs)
    args = list(inputs)
    for i in diff:
        args[i] = inputs[i].detach().requires_grad_()
        if keep and type(args[i]._vc) is VersionCounter:
            # (``keep`` says what is checked: an input PyTorch's node does not keep may change
            # in place before the backward, whatever the composite saved of it)
            args[i]._vc = VersionCounter()
        if inputs[i]._grad_fn is not None:  # (named in an in-place change's error message)
            args[i].__dict__["_stands_for"] = inputs[i]
    out = fn(*args)
    outs = out if isinstance(out, tuple) else (out,)
    # (an output may be a stand-in itself, as a gradient passed straight through is)
    live = [k for k, o in enumerate(outs) if isinstance(o, Tensor) and o._requires_grad]
    if not live:
        return out
    shown = live if outputs is None else \
        [k for k, o in enumerate(outs) if isinstance(o, Tensor) and (outputs[k] or k in live)]
    leaves = [args[i] for i in diff]

    def rule(ctx, *gs):
        from ..autograd import grad as _grad

        if compact:  # (back to the composite's numbering)
            full = [None] * len(outs)
            for j, k in enumerate(shown):
                full[k] = gs[j]
            gs = full
        if keep:
            _ = ctx.saved  # (refused once changed in place, as PyTorch's)
        picked = [k for k in live if gs[k] is not None]
        res = [None] * len(pos)
        if not picked:
            return tuple(res)
        if STATE.enabled and refuse is None:  # create_graph: a gradient of inputs and gs
            n = len(inputs)

            def vjp(*xs_gs):
                inner = fn(*xs_gs[:n])
                inner = inner if isinstance(inner, tuple) else (inner,)
                return _grad([inner[k] for k in picked], [xs_gs[i] for i in diff],
                             list(xs_gs[n:]), create_graph=True, allow_unused=True)
            grads = fused(twice, vjp, *inputs, *[gs[k] for k in picked])
        else:
            grads = _grad([outs[k] for k in picked], leaves, [gs[k] for k in picked],
                          retain_graph=True, allow_unused=True)
            if refuse is not None and STATE.enabled:
                ins = [gs[k] for k in picked] + [inputs[i] for i in diff]
                grads = [None if g is None else not_twice_differentiable(
                    g, None, refuse[1], refuse[2], refuse[0], ins) for g in grads]
        for i, g in zip(diff, grads):
            res[pos.index(i)] = g
        return tuple(res)

    if name is None:
        name = next((type(outs[k]._grad_fn).__name__ for k in live
                     if outs[k]._grad_fn is not None), "AliasBackward0")
    edges = tuple([edge(inputs[i]) for i in pos])
    meta = tuple([(inputs[i]._data.shape, inputs[i]._data.dtype) for i in pos])
    numbered = [outs[k] for k in shown] if compact else outs
    node = node_class(name)(rule, edges, meta, len(numbered))
    if len(numbered) > 1:
        node._out_meta = [(o._data.shape, o._data.dtype, o._device) if isinstance(o, Tensor)
                          else ((), np.dtype(np.float32), CPU) for o in numbered]
    result = list(outs)
    for j, k in enumerate(shown):
        o = outs[k]
        r = wrap(o._data, o._device)
        r._vc = o._vc  # (writing to it in place invalidates what the composite saved)
        r._grad_fn, r._output_nr, r._requires_grad = node, j if compact else k, True
        result[k] = r
    if keep:
        node.save(*[(inputs[i] if i < len(inputs) else None) if type(i) is int else
                    result[i[1]] if type(i) is tuple else i for i in keep],
                  out=result[shown[0]])
    if not isinstance(out, tuple):
        return result[0]
    return type(out)(result) if type(out) is tuple else type(out)(*result)


def fused_op(name, outputs=None, refuse=None, twice=None, keep=(), compact=False):
    """Decorator: the op runs as ``fused(name, ...)`` over its positional arguments (a
    tensor passed by keyword, such as ``out=``, makes it run unfused)."""
    def deco(fn):
        def op(*args, **kwargs):
            if not STATE.enabled or any(type(v) is Tensor for v in kwargs.values()):
                return fn(*args, **kwargs)
            return fused(name, (lambda *a: fn(*a, **kwargs)) if kwargs else fn, *args,
                         outputs=outputs, refuse=refuse, twice=twice, keep=keep,
                         compact=compact)
        op.__name__, op.__qualname__, op.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
        op.__module__, op.__wrapped__ = fn.__module__, fn
        return op
    return deco
