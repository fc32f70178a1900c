"""Differential fuzz of sorting, searching and selection against PyTorch.

sort/argsort/msort/topk/kthvalue/median/nanmedian/mode/max/min/argmax/argmin/aminmax/amax/
amin/unique/unique_consecutive/count_nonzero/quantile/nanquantile/isin/searchsorted/bucketize,
on NaN, infinities, signed zeros, ties, every real dtype, 0-d, empty and transposed inputs:
values bit for bit (NaN payloads aside), indices, dtypes, shapes, namedtuple types and
exceptions (type and first line of the message).  A seeded slice of the fuzzer, then
regressions for what it found.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
          "float32", "float64"]


def _np(rng, shape, dt):
    n = int(np.prod(shape)) if shape else 1
    small = rng.integers(0, 3) == 0  # (many ties)
    if dt == "bool":
        a = rng.integers(0, 2, n).astype(bool)
    elif dt == "uint8":
        a = rng.integers(0, 4 if small else 255, n).astype(dt)
    elif dt.startswith("int"):
        a = rng.integers(-3 if small else -100, 3 if small else 100, n).astype(dt)
    else:
        a = (rng.integers(-3, 3, n).astype(np.float64) if small
             else np.round(rng.standard_normal(n) * 3, 2))
        special = [np.nan, np.inf, -np.inf, -0.0, 0.0]
        for i in range(n):
            if rng.random() < 0.15:
                a[i] = special[rng.integers(0, len(special))]
    return a.reshape(shape)


def _pair(a, dt, transpose=False):
    t = torch.from_numpy(np.ascontiguousarray(a)).to(getattr(torch, dt))
    e = ember.from_numpy(np.ascontiguousarray(a)).to(getattr(ember, dt))
    if transpose and t.dim() >= 1:
        t, e = t.transpose(0, -1), e.transpose(0, -1)
    return e, t


def _bits_differ(e, t):
    if t.dtype == torch.bfloat16:
        tn, en = t.detach().float().numpy(), e.detach().float().numpy()
    else:
        tn, en = t.detach().numpy(), e.detach().numpy()
    if tn.dtype.kind != "f":
        return not np.array_equal(tn, en)
    keep = ~np.isnan(tn)  # (NaN payloads aside; signed zeros count)
    return not (np.array_equal(tn, en, equal_nan=True)
                and np.array_equal(np.signbit(tn)[keep], np.signbit(en)[keep]))


def same(e, t, path="result"):
    """Assert an ember result equals PyTorch's, recursively (namedtuples by type name)."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{path}: {type(e)}"
        assert str(e.dtype) == str(t.dtype), f"{path}: dtype {e.dtype} != {t.dtype}"
        assert tuple(e.shape) == tuple(t.shape), \
            f"{path}: shape {tuple(e.shape)} != {tuple(t.shape)}"
        assert not _bits_differ(e, t), f"{path}: values\n{e}\n{t}"
    elif isinstance(t, tuple):
        assert isinstance(e, tuple) and len(e) == len(t), f"{path}: {type(e)}"
        assert type(e).__name__ == type(t).__name__, f"{path}: {type(e).__name__}"
        for i, (a, b) in enumerate(zip(e, t)):
            same(a, b, f"{path}[{i}]")
    else:
        assert type(e) is type(t) and (e == t or (e != e and t != t)), f"{path}: {e!r} != {t!r}"


def run_both(fn, eargs, targs):
    """``fn(lib, *args)`` on each library: equal results, or the same exception."""
    out = []
    for lib, args in ((ember, eargs), (torch, targs)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append((None, fn(lib, *args)))
        except Exception as ex:  # noqa: BLE001 (compared below)
            out.append((ex, None))
    (ee, e), (te, t) = out
    if te is not None or ee is not None:
        assert type(ee) is type(te), f"ember raised {ee!r}, torch {te!r}"
        assert str(ee).split("\n")[0] == str(te).split("\n")[0]
        return
    same(e, t)


def _shape(rng):
    c = rng.integers(0, 6)
    if c == 0:
        return ()
    if c == 1:
        return (int(rng.integers(0, 3)),)
    return tuple(int(rng.integers(1, 6)) for _ in range(int(rng.integers(1, 4))))


def _case(rng):  # noqa: C901 (one branch an op)
    shp = _shape(rng)
    dt = DTYPES[rng.integers(0, len(DTYPES))]
    a = _np(rng, shp, dt)
    e, t = _pair(a, dt, bool(rng.random() < 0.3))
    nd = max(len(shp), 1)
    dim = int(rng.integers(-nd - (rng.random() < 0.05), nd + (rng.random() < 0.05)))
    n = t.shape[dim] if (t.dim() and -nd <= dim < nd) else 1
    k = int(rng.integers(0, n + 2))
    kd, flag, flag2 = (bool(rng.random() < 0.5) for _ in range(3))
    op = int(rng.integers(0, 30))
    extra = None
    if op in (26, 27, 28, 29):
        if op == 26:
            extra = _pair(_np(rng, (int(rng.integers(0, 4)),), dt), dt)
        elif op == 29:
            extra = _pair(_np(rng, (int(rng.integers(1, 6)),), dt), dt)
        else:
            extra = _pair(np.sort(_np(rng, shp if shp else (3,), dt), axis=-1), dt)
    interp = ["linear", "lower", "higher", "midpoint", "nearest"][rng.integers(0, 5)]
    qs = [float(np.round(rng.random(), 2)) for _ in range(int(rng.integers(1, 4)))]
    qscalar, usedim, scal = (bool(rng.random() < p) for p in (0.4, 0.6, 0.3))
    sval = int(rng.integers(-3, 300)) if dt != "bool" else True

    def fn(L, x, ex=None):
        if op == 0:
            return L.sort(x, dim=dim, descending=flag, stable=flag2)
        if op == 1:
            return L.sort(x, dim, flag)
        if op == 2:
            return L.argsort(x, dim=dim, descending=flag, stable=flag2)
        if op == 3:
            return L.msort(x)
        if op == 4:
            return L.topk(x, k, dim=dim, largest=flag, sorted=flag2)
        if op == 5:
            return L.kthvalue(x, k, dim, kd)
        if op == 6:
            return L.median(x), L.nanmedian(x)
        if op == 7:
            return L.median(x, dim, kd)
        if op == 8:
            return L.nanmedian(x, dim, kd)
        if op == 9:
            return L.mode(x, dim, kd)
        if op == 10:
            return L.max(x), L.min(x)
        if op == 11:
            return L.max(x, dim, kd), L.min(x, dim, kd)
        if op == 12:
            return L.argmax(x), L.argmin(x)
        if op == 13:
            return L.argmax(x, dim, kd), L.argmin(x, dim, kd)
        if op == 14:
            return L.aminmax(x)
        if op == 15:
            return L.aminmax(x, dim=dim, keepdim=kd)
        if op == 16:
            return L.amax(x, dim, kd), L.amin(x, dim, kd)
        if op == 17:
            return L.unique(x, sorted=True, return_inverse=flag, return_counts=flag2)
        if op == 18:
            return L.unique(x, return_inverse=flag, return_counts=flag2, dim=dim)
        if op == 19:
            return L.unique_consecutive(x, return_inverse=flag, return_counts=flag2)
        if op == 20:
            return L.unique_consecutive(x, return_inverse=flag, return_counts=flag2, dim=dim)
        if op == 21:
            return L.count_nonzero(x), L.count_nonzero(x, dim=dim)
        if op in (22, 23, 24, 25):
            f = getattr(L, "quantile" if op % 2 == 0 else "nanquantile")
            q = qs[0] if qscalar else L.tensor(
                qs, dtype=x.dtype if x.is_floating_point() else L.float32)
            if op >= 24:
                return f(x, q, dim=dim, keepdim=kd, interpolation=interp)
            return f(x, q, keepdim=kd, interpolation=interp)
        if op == 26:
            return L.isin(x, ex, invert=flag), L.isin(ex, x, invert=flag)
        if op == 27:
            if scal:
                return L.searchsorted(ex.flatten(), sval, right=flag, out_int32=flag2)
            if ex.dim() > 1 and x.shape[:-1] == ex.shape[:-1]:
                return L.searchsorted(ex, x, side="right" if flag else "left", out_int32=flag2)
            return L.searchsorted(ex.flatten(), x, right=flag, out_int32=flag2)
        if op == 28:
            return L.bucketize(sval if scal else x, ex.flatten(), right=flag, out_int32=flag2)
        return L.searchsorted(ex, x, right=flag, sorter=L.argsort(ex, stable=True))

    if extra is None:
        return fn, (e,), (t,)
    return fn, (e, extra[0]), (t, extra[1])


@pytest.mark.parametrize("chunk", range(6))
def test_fuzz_slice(chunk):
    for seed in range(chunk * 50, chunk * 50 + 50):
        fn, ea, ta = _case(np.random.default_rng(seed))
        try:
            run_both(fn, ea, ta)
        except AssertionError as ex:
            raise AssertionError(f"seed {seed}: {ex}") from None


# -- regressions --------------------------------------------------------------------------------

def _both(values, dt):
    return _pair(np.asarray(values), dt)


@pytest.mark.parametrize("value", [-1, 257, 200, 2.5, True, -300, 65520.0])
@pytest.mark.parametrize("dt", ["uint8", "int8", "float16"])
def test_searchsorted_scalar_in_sequence_dtype(value, dt):
    # PyTorch compares in the common dtype: -1 is 255 among uint8 bounds, 65520 is inf in half
    e, t = _both([1, 2, 3, 100], dt)
    for right in (False, True):
        run_both(lambda L, s: L.searchsorted(s, value, right=right), (e,), (t,))
        run_both(lambda L, s: L.bucketize(value, s, right=right), (e,), (t,))


def test_searchsorted_zero_dim_and_mixed_dtypes():
    e, t = _both([1, 2, 3, 100], "uint8")
    for v in (-1, 257):
        run_both(lambda L, s: L.searchsorted(s, L.tensor(v)), (e,), (t,))
    e, t = _both([1.0, 2.0, 3.0, 4.0], "float32")
    run_both(lambda L, s: L.searchsorted(s, L.tensor(1.00000001, dtype=L.float64)), (e,), (t,))
    e, t = _both([1, 70000], "int64")
    run_both(lambda L, s: L.searchsorted(s, L.tensor([65520.0, 3.0], dtype=L.float16)),
             (e,), (t,))


@pytest.mark.parametrize("n", [0, 1, 19, 20, 2000])
def test_isin_transposed_test_elements(n):
    # PyTorch's kernel for few test elements takes ``.view(-1)`` of them: a transposed
    # tensor fails there, while a sliced one, or many test elements, works
    e, t = _both(np.arange(6.0).reshape(2, 3), "float32")
    el = np.arange(n, dtype=np.float32) % 7
    ee, te = _both(el, "float32")
    run_both(lambda L, x, y: L.isin(x, y.t()), (ee, e), (te, t))
    run_both(lambda L, x, y: L.isin(x.double(), y.t()), (ee, e), (te, t))
    run_both(lambda L, x, y: L.isin(x, y[:, ::2]), (ee, e), (te, t))
    run_both(lambda L, x, y: L.isin(x.double(), y[:, ::2]), (ee, e), (te, t))
    run_both(lambda L, y: L.isin(2.0, y.t()), (e,), (t,))
    run_both(lambda L, y: L.isin(y.t(), 2.0), (e,), (t,))
    big_e, big_t = _both(np.arange(200.0).reshape(10, 20), "float32")
    run_both(lambda L, x, y: L.isin(x, y.t()), (ee, big_e), (te, big_t))


@pytest.mark.parametrize("dt", ["float16", "bfloat16", "float32", "float64"])
def test_unique_dim_with_nan_and_signed_zeros(dt):
    # a NaN column ties in PyTorch's comparator, so std::sort's moves decide the order
    cases = [
        [-np.inf, np.nan, -2.75],
        [[1.0, np.nan, 1.0, 0.0, -1.0], [0.0, 2.0, -3.0, 2.0, 1.0]],
        [[2.0, 1.0, -3.0, -1.0, 0.0], [-1.0, -0.0, 0.0, -np.inf, 0.0],
         [0.0, 1.0, 0.0, -1.0, 2.0], [0.0, -0.0, 0.0, 2.0, -2.0], [np.nan, -1.0, 1.0, -1.0, 1.0]],
        [[0.0, 1.0, 0.0], [-np.inf, 2.0, np.nan], [2.0, 2.0, 0.0], [np.nan, 1.0, 1.0]],
    ]
    rng = np.random.default_rng(3)
    big = np.round(rng.standard_normal((40, 2))) % 2  # (past 16 rows: introsort's own steps)
    big[rng.random(big.shape) < 0.1] = np.nan
    big[rng.random(big.shape) < 0.2] = -0.0
    cases.append(big.tolist())
    for c in cases:
        e, t = _both(c, dt)
        for d in range(-e.dim(), e.dim()):
            run_both(lambda L, x: L.unique(x, dim=d, return_inverse=True, return_counts=True),
                     (e,), (t,))
            run_both(lambda L, x: L.unique(x.t() if x.dim() > 1 else x, dim=d), (e,), (t,))


@pytest.mark.parametrize("dt", ["float16", "bfloat16", "float32", "float64"])
def test_median_all_of_permuted_tensor_signed_zero(dt):
    # PyTorch's median() selects in a clone, which keeps a permuted tensor's memory order
    rng = np.random.default_rng(0)
    for _ in range(40):
        shape = tuple(int(rng.integers(1, 7)) for _ in range(int(rng.integers(2, 4))))
        a = rng.integers(-1, 2, shape) * 0.0
        a = np.where(rng.random(shape) < 0.5, -a, a)
        if rng.random() < 0.3:
            a.flat[rng.integers(a.size)] = np.nan
        e, t = _both(a, dt)
        for tr in (lambda x: x.transpose(0, -1), lambda x: x.permute(*reversed(range(x.dim()))),
                   lambda x: x[..., ::2]):
            run_both(lambda L, x: (L.median(tr(x)), L.nanmedian(tr(x))), (e,), (t,))


def test_namedtuple_reprs_and_out():
    x = np.array([[3.0, 1.0, 2.0, 1.0], [0.0, -1.0, 5.0, 5.0]])
    e, t = _both(x, "float64")
    for f in (lambda L, x: L.sort(x), lambda L, x: L.topk(x, 2), lambda L, x: L.max(x, 1),
              lambda L, x: L.aminmax(x), lambda L, x: L.kthvalue(x, 1), lambda L, x: L.mode(x),
              lambda L, x: L.median(x, 0), lambda L, x: L.nanmedian(x, 1, True)):
        run_both(lambda L, x: repr(f(L, x)), (e,), (t,))
        run_both(f, (e,), (t,))
    for name, args in (("sort", (1,)), ("topk", (2,)), ("kthvalue", (2,)), ("max", (1,)),
                       ("min", (1, True)), ("median", (1,)), ("mode", (1,))):
        def f(L, x):
            v, i = L.empty(0, dtype=x.dtype), L.empty(0, dtype=L.long)
            r = getattr(L, name)(x, *args, out=(v, i))
            return r, v, i, repr(r), r.values is v, r[1] is i
        run_both(f, (e,), (t,))
    run_both(lambda L, x: L.sort(x, out=(L.empty(0), L.empty(0, dtype=L.long))), (e,), (t,))
    run_both(lambda L, x: L.searchsorted(x[0].sort()[0], x, out=L.empty(0, dtype=L.int32)),
             (e,), (t,))


def test_errors():
    x = np.array([[3.0, 1.0, 2.0, 1.0], [0.0, -1.0, 5.0, 5.0]])
    e, t = _both(x, "float64")
    c = _both(np.array([1 + 2j, 3 - 1j]), "complex128")
    for f in (lambda L, x: L.topk(x, 5), lambda L, x: L.topk(x, -1), lambda L, x: L.topk(x, 1, 3),
              lambda L, x: L.kthvalue(x, 5), lambda L, x: L.kthvalue(x, 0),
              lambda L, x: L.sort(x, 2), lambda L, x: L.argmax(x, 2),
              lambda L, x: L.quantile(x, 1.5), lambda L, x: L.quantile(x, 0.5, interpolation="x"),
              lambda L, x: L.unique(x, dim=3), lambda L, x: L.count_nonzero(x, dim=(0, 0)),
              lambda L, x: L.searchsorted(x, x, side="middle"),
              lambda L, x: L.max(x[:0]), lambda L, x: L.max(x[:0], 0)):
        run_both(f, (e,), (t,))
    for f in (lambda L, x: L.sort(x), lambda L, x: L.topk(x, 1), lambda L, x: L.max(x),
              lambda L, x: L.kthvalue(x, 1), lambda L, x: L.median(x), lambda L, x: L.unique(x)):
        run_both(f, (c[0],), (c[1],))


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_gradients(dt):
    rng = np.random.default_rng(0)
    y = rng.integers(-2, 3, (3, 5)).astype(dt)
    ops = [lambda L, x: L.sort(x, 1), lambda L, x: L.topk(x, 2, 1),
           lambda L, x: L.kthvalue(x, 2, 1), lambda L, x: L.median(x),
           lambda L, x: L.nanmedian(x, 0), lambda L, x: L.mode(x, 1), lambda L, x: L.max(x),
           lambda L, x: L.amax(x, 1), lambda L, x: L.aminmax(x, dim=0),
           lambda L, x: L.quantile(x, L.tensor([0.2, 0.5], dtype=x.dtype), dim=1),
           lambda L, x: L.nanquantile(x, 0.7, dim=0, interpolation="midpoint")]

    def grad_of(op):
        def f(L, x):
            x = x.detach().requires_grad_()
            r = op(L, x)
            v = r[0] if isinstance(r, tuple) else r
            (v * (L.arange(v.numel(), dtype=v.dtype).reshape(v.shape) + 1)).sum().backward()
            return v, x.grad
        return f
    for a in (y, np.where(rng.random(y.shape) < 0.2, np.nan, y).astype(dt)):
        e, t = _both(a, dt)
        for op in ops:
            run_both(grad_of(op), (e,), (t,))
