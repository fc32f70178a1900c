"""A generated differential sweep of tensor indexing against PyTorch.

Every case is a function ``fn(lib)`` that builds its inputs from fixed NumPy data with
``lib`` (``ember`` or ``torch``) and returns what it computed; the two outcomes (values,
dtypes, shapes, or the exception's type and message) must agree.  The generator covers
``t[key]`` (values, whether the result is a view, gradients), ``t[key] = value`` (value
kinds, casts, broadcasting, views, autograd) and the index/gather/scatter/mask functions.

Run this file as a script to print a summary of the mismatches instead of failing.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


# -- specs of inputs that are built per library ------------------------------------------

class T:
    """An index or value tensor, built in each library from the same array."""

    def __init__(self, data, dtype="int64"):
        self.a = np.asarray(data, dtype=dtype)

    def __repr__(self):
        return f"T({self.a.tolist()!r},{self.a.dtype})"


class NP:
    """A NumPy array passed as it is."""

    def __init__(self, data, dtype="int64"):
        self.a = np.asarray(data, dtype=dtype)

    def __repr__(self):
        return f"NP({self.a.tolist()!r},{self.a.dtype})"


def build(spec, lib):
    if isinstance(spec, T):
        return lib.from_numpy(spec.a.copy())
    if isinstance(spec, NP):
        return spec.a.copy()
    if isinstance(spec, tuple):
        return tuple(build(s, lib) for s in spec)
    if isinstance(spec, list):
        return [build(s, lib) for s in spec]
    return spec


def data(shape, dtype="float32", seed=0):
    rng = np.random.default_rng(seed + 7 * len(shape) + int(np.prod(shape)))
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 9, size=shape).astype(dtype)
    return np.round(rng.standard_normal(shape) * 3, 2).astype(dtype)


def weights(shape):
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float32).reshape(shape) % 5 + 1) / 4


# -- outcomes ------------------------------------------------------------------------------

def _norm(r):
    if isinstance(r, (torch.Tensor, ember.Tensor)):
        d = r.detach()
        return ("T", str(d.dtype).replace("torch.", ""), tuple(d.shape), np.array(d.tolist()))
    if isinstance(r, (tuple, list)):
        return tuple(_norm(v) for v in r)
    if r is None or isinstance(r, (bool, int, float, str)):
        return r
    return repr(r)


def outcome(fn, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _norm(fn(lib))
        except Exception as e:  # noqa: BLE001 - the exception itself is the outcome
            return ("E", type(e).__name__, str(e).split("\n")[0])


def differ(a, b, path="out"):
    """A description of how outcome ``a`` (ember) differs from ``b`` (torch), or None."""
    if isinstance(b, tuple) and b and b[0] == "E":
        if not (isinstance(a, tuple) and a and a[0] == "E"):
            return f"{path}: torch raised {b} where ember gave a result"
        if a != b:
            return f"{path}: ember {a} vs torch {b}"
        return None
    if isinstance(a, tuple) and a and a[0] == "E":
        return f"{path}: ember raised {a} where torch gave a result"
    if isinstance(b, tuple) and b and b[0] == "T":
        if not (isinstance(a, tuple) and a and a[0] == "T"):
            return f"{path}: ember gave {a!r}"
        if a[1] != b[1] or a[2] != b[2]:
            return f"{path}: dtype/shape {a[1]}{list(a[2])} vs {b[1]}{list(b[2])}"
        x, y = a[3], b[3]
        if x.shape != y.shape:
            return f"{path}: value shapes {x.shape} vs {y.shape}"
        if x.dtype.kind in "fc" or y.dtype.kind in "fc":
            ok = np.allclose(x, y, rtol=1e-5, atol=1e-5, equal_nan=True)
        else:
            ok = np.array_equal(x, y)
        return None if ok else f"{path}: values {x.tolist()} vs {y.tolist()}"
    if isinstance(b, tuple):
        if not isinstance(a, tuple) or len(a) != len(b):
            return f"{path}: ember {a!r} vs torch {b!r}"
        for i, (u, v) in enumerate(zip(a, b)):
            m = differ(u, v, f"{path}[{i}]")
            if m:
                return m
        return None
    return None if a == b else f"{path}: ember {a!r} vs torch {b!r}"


# -- getitem ---------------------------------------------------------------------------------

def _items_for(n):
    """Single key items for a dim of size ``n`` (basic and advanced)."""
    return [0, 1, -1, n, -n - 1,
            slice(None), slice(1, None), slice(None, None, 2), slice(-2, None), slice(None, -1),
            slice(2, 1), slice(5, 10), slice(-10, 1), slice(None, None, 0),
            slice(None, None, -1), None, Ellipsis, True, False,
            T([0, n - 1]), T([0, n - 1], "int32"), T([1] + [0] * (n - 1), "uint8"), T(1), T(-1),
            T([], "int64"), T([n]), T([-n - 1]),
            T([[0, 1], [1, 0]]), T([0.0, 1.0], "float32"),
            [0, -1], [True] + [False] * (n - 1), [[0, 1], [1, 0]], [],
            NP([1, 0]), NP([True] * n, "bool"), T([True] * n, "bool"), T([True, False], "bool"),
            T(True, "bool")]


def _key_pool_pairs(n0, n1):
    a = [0, -1, slice(None), slice(1, None, 2), None, Ellipsis, T([1, 0]), [0, 0],
         T([[0], [1]]), T([True] + [False] * (n0 - 1), "bool")]
    b = [1, slice(None), slice(None, -1), None, Ellipsis, T([0, 1]), T([1]), T([[1, 2]]),
         T([False] * (n1 - 1) + [True], "bool"), T([2, 0]), T(2)]
    return list(itertools.product(a, b))


def _getitem_keys():
    cases = []
    for shape in [(3,), (3, 4), (2, 3, 4)]:
        for k in _items_for(shape[0]):
            cases.append((shape, k))
    for shape in [(3, 4), (3, 4, 5)]:
        for k in _key_pool_pairs(shape[0], shape[1]):
            cases.append((shape, k))
    s3 = (3, 4, 5)
    adv = [T([0, 2]), T([[1], [0]]), [1, 1], T(0)]
    for a, b in itertools.product(adv, adv):
        # advanced indices separated by a slice (their dims go first) or next to each other
        cases.append((s3, (a, slice(None), b)))
        cases.append((s3, (slice(None), a, b)))
        cases.append((s3, (a, b)))
        cases.append((s3, (Ellipsis, a, b)))
        cases.append((s3, (a, None, b)))
        cases.append((s3, (a, 1, b)))
    s4 = (2, 3, 4, 5)
    for key in [(0, Ellipsis, 1), (Ellipsis, None), (None, Ellipsis, None), (T([1]), Ellipsis,
                T([0, 3])), (slice(None), T([0, 2]), slice(None), T([4, 1])),
                (slice(None), T([0, 2]), T([1, 3]), slice(None)), (1, slice(None), T([0]), 2),
                (Ellipsis, Ellipsis), (T([[True, False, True], [False] * 3], "bool"),),
                (T([[True, False, True], [False] * 3], "bool"), T([0, 0])),
                (slice(None), T(np.ones((3, 4), bool), "bool")),
                (slice(None), T(np.ones((3, 5), bool), "bool")),
                (T(np.ones((2, 3, 4, 5), bool), "bool"),), (0, 0, 0, 0), (0, 0, 0, 0, 0),
                (T(np.zeros((2, 4), bool), "bool"),), (slice(1, 1), T([0, 1])),
                (1, T([[0, 1], [2, 0]]), slice(None, None, 2), T([[3], [1]])),
                (True, 0), (False, slice(None)), (None, True, None), (0, True),
                (T([0, 1]), T([0, 1, 2])), (T([0, 1]), T([[0], [1], [2]])),
                ([0, 1], [2, 1]), ([[0, 1]], ), ([[0, 1], [1, 0]],), ([True, False],),
                (NP([0, 1]), NP([1, 2])), (NP(1),), (1.5,), ("a",), ({0},),
                (T([0, 1], "int16"),), (T([0, 1], "int8"),)]:
        cases.append((s4, key))
    # the scalar and empty tensor
    for key in [(), Ellipsis, None, True, False, 0, slice(None), T(0), T([], "int64"),
                T(True, "bool"), (None, None)]:
        cases.append(((), key))
    for key in [0, slice(None), T([], "int64"), T([], "bool"), Ellipsis, None, True,
                (slice(None), 0), (Ellipsis, T([0, 0]))]:
        cases.append(((0, 3), key))
    return cases


def getitem_case(shape, key):
    def fn(lib):
        a = data(shape)
        x = lib.from_numpy(a.copy())
        out = x[build(key, lib)]
        # (the layout of an empty result is left out: NumPy does not move the pointer of an
        # empty slice, and PyTorch's from_numpy keeps NumPy's odd strides of empty arrays)
        res = [out, out._is_view()]
        if out.numel():
            res += [out.is_contiguous(), tuple(out.stride()), out.storage_offset()]
        out.fill_(-7.0)  # a view writes through to x; a copy does not
        res.append(x)
        xg = lib.from_numpy(a.copy()).requires_grad_()
        o = xg[build(key, lib)]
        (o * lib.from_numpy(weights(tuple(o.shape)))).sum().backward()
        res.append(xg.grad)
        return res
    return fn


def getitem_int_case(shape, key, dtype):
    def fn(lib):
        x = lib.from_numpy(data(shape, dtype))
        return x[build(key, lib)]
    return fn


# -- setitem ---------------------------------------------------------------------------------

def _region_shape(shape, key):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return tuple(torch.zeros(shape)[build(key, torch)].shape)
        except Exception:  # noqa: BLE001
            return None


def _values_for(region):
    vals = [5, 2.5, True, -3, T(4.5, "float32"), T(7, "int64"), 1 + 2j, T(1 + 1j, "complex64")]
    if region is not None:
        vals.append(T(data(region, seed=3), "float32"))
        vals.append(T(data(region, "int64", seed=4), "int64"))
        vals.append(T(data((1,) + region, seed=5), "float32"))
        if region:
            vals.append(T(data(region[-1:], seed=6), "float32"))
            vals.append(T(data(region[:-1] + (region[-1] + 1,), seed=7), "float32"))
            vals.append(T(data((2,) + region, seed=8), "float32"))
            if region[-1] > 0:
                vals.append(T(data(region[:-1] + (1,), seed=9), "float32"))
    return vals


def setitem_case(shape, key, value, dtype="float32", through_view=False):
    def fn(lib):
        x = lib.from_numpy(data(((2,) + shape) if through_view else shape, dtype))
        target = x[1] if through_view else x
        target[build(key, lib)] = build(value, lib)
        return x, x._version, target._version
    return fn


def setitem_grad_case(shape, key, value):
    def fn(lib):
        x = lib.from_numpy(data(shape, seed=11)).requires_grad_()
        v = build(value, lib)
        if isinstance(v, lib.Tensor):
            v = v.float().requires_grad_()
            vv = v * 3
        else:
            vv = v
        y = x * 2
        y[build(key, lib)] = vv
        (y * lib.from_numpy(weights(shape))).sum().backward()
        return y, x.grad, (v.grad if isinstance(v, lib.Tensor) else None)
    return fn


def _setitem_keys():
    keys = []
    for shape in [(3,), (3, 4)]:
        for k in _items_for(shape[0]):
            keys.append((shape, k))
    for k in [(0, 1), (slice(None), 0), (T([0, 2]), slice(1, 3)), (Ellipsis, T([1, 1])),
              (T([[0], [2]]), T([1, 3])), (T([0, 2]), None, T([1, 3])),
              (slice(None), T([True, False, True, False], "bool")),
              (T(np.eye(3, 4) > 0, "bool"),), (None, 1), (True,), (False, 0),
              (slice(None, None, 2), slice(1, None, 2)), ([0, 0, 0], [1, 2, 1]),
              (T([0, 0]), T([1, 1]))]:
        keys.append(((3, 4), k))
    for k in [(T([0, 1]), slice(None), T([2, 3])), (1, T([0, 2]), slice(None)),
              (slice(None), T([[0], [1]]), T([1, 4])), (Ellipsis, 0), (T([1, 0]), 2, T([0, 0]))]:
        keys.append(((2, 3, 5), k))
    return keys


# -- functions --------------------------------------------------------------------------------

def _grad_of(lib, x, out):
    (out * lib.from_numpy(weights(tuple(out.shape)))).sum().backward()
    return x.grad


def _function_cases():
    cases = []
    S = (3, 4)

    # index_put_ / index_put
    puts = [(T([0, 2]),), (T([0, 0]),), (T([0, 2]), T([1, 1])), (T([[0], [2]]), T([1, 3])),
            (T([0, 0, 2]), T([1, 1, 3])), (T([5]),), (T([-1]), T([-4])), (T([True, False, True],
            "bool"),), (T(np.eye(3, 4) > 0, "bool"),), (T([0, 1], "int32"),), (T([], "int64"),),
            (T([0, 1, 2]), T([0, 1])), (T([0], "float32"),), (T([1, 0, 1], "uint8"),)]
    # (an empty tuple of indices is left out: PyTorch 2.13 fails inside its kernel there)
    for idx, acc in itertools.product(puts, (False, True)):
        for vshape in [(), (4,), (1,), (2, 4), (2,), (3,)]:
            for vd in ("float32", "float64"):
                def put_fn(lib, idx=idx, acc=acc, vshape=vshape, vd=vd):
                    x = lib.from_numpy(data(S)).requires_grad_()
                    v = lib.from_numpy(data(vshape, vd, seed=2)).requires_grad_()
                    y = x.clone()
                    y.index_put_(build(idx, lib), v, accumulate=acc)
                    z = lib.index_put(x, build(idx, lib), v, accumulate=acc)
                    (y * lib.from_numpy(weights(S))).sum().backward()
                    return y, z, x.grad, v.grad
                cases.append((f"index_put{idx}{acc}{vshape}{vd}", put_fn))

    # index_add_ / index_copy_ / index_fill_ / index_reduce_
    idxs = [T([0, 2]), T([2, 2]), T([0, 1, 2, 0]), T([3]), T([-1]), T([], "int64"), T(1),
            T([0, 1], "int32"), T([[0, 1]]), T([0.0], "float32")]
    for dim, idx in itertools.product((0, 1, -1), idxs):
        k = idx.a.size
        sshape = list(S)
        sshape[dim] = k

        def ia(lib, dim=dim, idx=idx, sshape=tuple(sshape)):
            x = lib.from_numpy(data(S)).requires_grad_()
            s = lib.from_numpy(data(sshape, seed=1)).requires_grad_()
            y = x.clone().index_add_(dim, build(idx, lib), s, alpha=2)
            (y * lib.from_numpy(weights(S))).sum().backward()
            return y, x.grad, s.grad
        cases.append((f"index_add{dim}{idx}", ia))

        def ic(lib, dim=dim, idx=idx, sshape=tuple(sshape)):
            x = lib.from_numpy(data(S)).requires_grad_()
            s = lib.from_numpy(data(sshape, seed=1)).requires_grad_()
            y = x.clone().index_copy_(dim, build(idx, lib), s)
            z = lib.index_copy(x.detach(), dim, build(idx, lib), s.detach())
            (y * lib.from_numpy(weights(S))).sum().backward()
            return y, z, x.grad, s.grad
        cases.append((f"index_copy{dim}{idx}", ic))

        for val in (1.5, T(2.5, "float32"), T([1.0], "float32"), 7):
            def ifl(lib, dim=dim, idx=idx, val=val):
                x = lib.from_numpy(data(S)).requires_grad_()
                v = build(val, lib)
                y = x.clone().index_fill_(dim, build(idx, lib), v)
                xi = lib.from_numpy(data(S, "int64"))
                zi = xi.index_fill(dim, build(idx, lib), v)
                (y * lib.from_numpy(weights(S))).sum().backward()
                return y, zi, x.grad
            cases.append((f"index_fill{dim}{idx}{val}", ifl))

        for red, inc, dt in itertools.product(("prod", "mean", "amax", "amin"), (True, False),
                                              ("float32", "int64")):
            def ir(lib, dim=dim, idx=idx, sshape=tuple(sshape), red=red, inc=inc, dt=dt):
                x = lib.from_numpy(data(S, dt))
                s = lib.from_numpy(data(sshape, dt, seed=1))
                if dt == "float32":
                    x.requires_grad_()
                    s.requires_grad_()
                y = x.clone().index_reduce_(dim, build(idx, lib), s, red, include_self=inc)
                if dt != "float32" or (idx.a.dtype == np.int32 and not inc):
                    # (PyTorch 2.13's backward there fails: it fills with an int32 index)
                    return y
                (y * lib.from_numpy(weights(S))).sum().backward()
                return y, x.grad, s.grad
            cases.append((f"index_reduce{dim}{idx}{red}{inc}{dt}", ir))

    # masks
    masks = [np.array([True, False, True, False]), np.array([[True], [False], [True]]),
             np.eye(3, 4) > 0, np.ones((2, 3, 4), bool), np.array([True, False, True]),
             np.zeros((3, 4), bool), np.ones((1, 1), bool), np.array(True), np.ones(5, bool)]
    for m in masks:
        for val in (0.5, T(2.0, "float32"), T([2.0], "float32"), 3):
            def mf(lib, m=m, val=val):
                x = lib.from_numpy(data(S)).requires_grad_()
                y = x.clone()
                y.masked_fill_(lib.from_numpy(m.copy()), build(val, lib))
                z = x.masked_fill(lib.from_numpy(m.copy()), build(val, lib))
                xi = lib.from_numpy(data(S, "int64")).masked_fill(lib.from_numpy(m.copy()),
                                                                   build(val, lib))
                return y, z, xi, _grad_of(lib, x, y)
            cases.append((f"masked_fill{m.tolist()}{val}", mf))

        def ms(lib, m=m):
            x = lib.from_numpy(data(S)).requires_grad_()
            out = lib.masked_select(x, lib.from_numpy(m.copy()))
            return out, _grad_of(lib, x, out)
        cases.append((f"masked_select{m.tolist()}", ms))

        for n in (24, 3, 12):
            def msc(lib, m=m, n=n):
                x = lib.from_numpy(data(S)).requires_grad_()
                s = lib.from_numpy(data((n,), seed=2)).requires_grad_()
                y = x.clone()
                y.masked_scatter_(lib.from_numpy(m.copy()), s)
                z = x.masked_scatter(lib.from_numpy(m.copy()), s)
                (y * lib.from_numpy(weights(S))).sum().backward()
                (z * lib.from_numpy(weights(tuple(z.shape)))).sum().backward()
                return y, z, x.grad, s.grad
            cases.append((f"masked_scatter{m.tolist()}{n}", msc))
    for mdt in ("uint8", "int64", "float32"):
        def mbad(lib, mdt=mdt):
            x = lib.from_numpy(data(S))
            m = lib.from_numpy(np.ones(S, mdt))
            return [f(x, m) for f in (lambda x, m: x.masked_fill(m, 1.0),
                                      lambda x, m: x.masked_select(m))]
        cases.append((f"maskbad{mdt}", mbad))

    # take / take_along_dim / gather
    for idx in [T([0, 5, 11]), T([-1, -12]), T([12]), T([-13]), T([[0, 1], [2, 3]]), T(3),
                T([], "int64"), T([0, 1], "int32")]:
        def tk(lib, idx=idx):
            x = lib.from_numpy(data(S)).requires_grad_()
            out = lib.take(x, build(idx, lib))
            return out, _grad_of(lib, x, out)
        cases.append((f"take{idx}", tk))

        def pt(lib, idx=idx):
            res = []
            for acc in (False, True):
                x = lib.from_numpy(data(S))
                i = build(idx, lib)
                src = lib.from_numpy(data(tuple(i.shape), seed=3))
                res.append(x.put_(i, src, accumulate=acc))
                res.append(lib.from_numpy(data(S)).put(i, src, accumulate=acc))
            return res
        cases.append((f"put{idx}", pt))
    for acc in (False, True):
        def pt_dup(lib, acc=acc):
            x = lib.from_numpy(data(S)).requires_grad_()
            src = lib.from_numpy(np.array([1.0, 2.0, 3.0], np.float32)).requires_grad_()
            y = x.clone()
            y.put_(lib.from_numpy(np.array([1, 1, -11])), src, accumulate=acc)
            (y * lib.from_numpy(weights(S))).sum().backward()
            return y, x.grad, src.grad
        cases.append((f"put_dup{acc}", pt_dup))

    gidx = [(0, T([[0, 1, 2, 0], [2, 2, 1, 0]])), (1, T([[0, 3], [1, 1], [3, 2]])),
            (-1, T([[0], [1], [2]])), (0, T([[3, 0, 0, 0]])), (1, T([[4]])), (1, T([[-1]])),
            (0, T([0, 1])), (1, T(np.zeros((4, 2), np.int64))), (0, T(np.zeros((0, 4), np.int64))),
            (1, T([[0, 1]], "int32")), (2, T([[0]])), (1, T([[0.0]], "float32"))]
    for dim, idx in gidx:
        def ga(lib, dim=dim, idx=idx):
            x = lib.from_numpy(data(S)).requires_grad_()
            out = lib.gather(x, dim, build(idx, lib))
            return out, _grad_of(lib, x, out)
        cases.append((f"gather{dim}{idx}", ga))

        def tad(lib, dim=dim, idx=idx):
            x = lib.from_numpy(data(S)).requires_grad_()
            out = lib.take_along_dim(x, build(idx, lib), dim)
            return out, _grad_of(lib, x, out)
        cases.append((f"take_along_dim{dim}{idx}", tad))

        def sc(lib, dim=dim, idx=idx):
            res = []
            x = lib.from_numpy(data(S)).requires_grad_()
            i = build(idx, lib)
            # (gradients with src shaped as the index: PyTorch's backward refuses a larger src)
            src = lib.from_numpy(data(tuple(i.shape), seed=5)).requires_grad_()
            y = x.clone().scatter_(dim, i, src)
            res += [y, _grad_of(lib, x, y), src.grad]
            big = lib.from_numpy(data((3, 4), seed=5))
            res.append(lib.from_numpy(data(S)).scatter_(dim, i, big))
            res.append(lib.from_numpy(data(S)).scatter_(dim, i, 2.5))
            res.append(lib.from_numpy(data(S, "int64")).scatter(dim, i, 3))
            for red in ("add", "multiply"):
                res.append(lib.from_numpy(data(S)).scatter_(dim, i, src.detach(), reduce=red))
                res.append(lib.from_numpy(data(S)).scatter_(dim, i, 2.0, reduce=red))
            x2 = lib.from_numpy(data(S)).requires_grad_()
            src2 = lib.from_numpy(data(tuple(i.shape), seed=5)).requires_grad_()
            y2 = x2.clone().scatter_add_(dim, i, src2)
            res += [y2, _grad_of(lib, x2, y2), src2.grad]
            return res
        cases.append((f"scatter{dim}{idx}", sc))

        for red, inc in itertools.product(("sum", "prod", "mean", "amax", "amin"), (True, False)):
            def sr(lib, dim=dim, idx=idx, red=red, inc=inc):
                x = lib.from_numpy(data(S)).requires_grad_()
                i = build(idx, lib)
                src = lib.from_numpy(data(tuple(i.shape), seed=5)).requires_grad_()
                y = x.clone().scatter_reduce_(dim, i, src, red, include_self=inc)
                z = lib.from_numpy(data(S, "int64")).scatter_reduce(
                    dim, build(idx, lib), lib.from_numpy(data((3, 4), "int64", seed=6)), red,
                    include_self=inc)
                (y * lib.from_numpy(weights(S))).sum().backward()
                return y, z, x.grad, src.grad
            cases.append((f"scatter_reduce{dim}{idx}{red}{inc}", sr))
    for dim, idx in [(None, T([0, 11, -1])), (None, T([[0, 11]])), (0, T([[0], [2]])),
                     (1, T([[0, 3]])), (0, T([[[0]]]))]:
        def tad2(lib, dim=dim, idx=idx):
            x = lib.from_numpy(data(S)).requires_grad_()
            out = lib.take_along_dim(x, build(idx, lib), dim)
            return out, _grad_of(lib, x, out)
        cases.append((f"take_along_dim{dim}{idx}", tad2))

    # nonzero / argwhere / where
    for shape, dt in [((3, 4), "bool"), ((5,), "int64"), ((2, 3, 2), "float32"), ((), "bool"),
                      ((0, 3), "float32"), ((), "float32")]:
        def nz(lib, shape=shape, dt=dt):
            a = data(shape, dt, seed=9)
            if dt != "bool":
                a = a * (data(shape, "bool", seed=10))
            x = lib.from_numpy(np.asarray(a, dtype=dt))
            return (x.nonzero(), lib.nonzero(x, as_tuple=True), lib.argwhere(x), lib.where(x),
                    x.nonzero(as_tuple=True))
        cases.append((f"nonzero{shape}{dt}", nz))
    return cases


def _autograd_cases():
    cases = []

    def leaf(lib):
        x = lib.from_numpy(data((3, 4))).requires_grad_()
        x[0] = 1.0
        return x
    cases.append(("leaf_setitem", leaf))

    def leaf_adv(lib):
        x = lib.from_numpy(data((3, 4))).requires_grad_()
        x[lib.tensor([0, 1])] = 1.0
        return x
    cases.append(("leaf_setitem_adv", leaf_adv))

    def leaf_nograd(lib):
        x = lib.from_numpy(data((3, 4))).requires_grad_()
        with lib.no_grad():
            x[0] = 1.0
            x[lib.tensor([1])] += 2.0
        return x
    cases.append(("leaf_setitem_no_grad", leaf_nograd))

    for key in [0, (slice(None), 1), T([0, 2]), T(np.eye(3, 4) > 0, "bool")]:
        for op in ("exp", "sigmoid", "mul", "add", "view"):
            def vc(lib, key=key, op=op):
                x = lib.from_numpy(data((3, 4))).requires_grad_()
                y = {"exp": lambda t: t.exp(), "sigmoid": lambda t: t.sigmoid(),
                     "mul": lambda t: t * t, "add": lambda t: t + 1,
                     "view": lambda t: (t * 1)[:]}[op](x)
                z = y * 2 if op == "view" else y
                z[build(key, lib)] = 0.0
                (z * lib.from_numpy(weights((3, 4)))).sum().backward()
                return z, x.grad
            cases.append((f"version{key}{op}", vc))

            def vc2(lib, key=key, op=op):
                x = lib.from_numpy(data((3, 4))).requires_grad_()
                a = x * 1
                y = {"exp": lambda t: t.exp(), "sigmoid": lambda t: t.sigmoid(),
                     "mul": lambda t: t * t, "add": lambda t: t + 1,
                     "view": lambda t: t[1:]}[op](a)
                a[build(key, lib)] = 0.0  # modifies what y's node saved
                (y * lib.from_numpy(weights(tuple(y.shape)))).sum().backward()
                return y, x.grad
            cases.append((f"version_saved{key}{op}", vc2))

    def view_chain(lib):
        x = lib.from_numpy(data((3, 4))).requires_grad_()
        y = x * 1
        v = y[1:, ::2]
        v[0] = v[1] * 3
        w = lib.from_numpy(data((2,), seed=4)).requires_grad_()
        y[:, 1] = 0
        v[:, 0] = w
        (y * lib.from_numpy(weights((3, 4)))).sum().backward()
        return y, x.grad, w.grad
    cases.append(("view_chain", view_chain))
    return cases


def _more_cases():
    """Dtypes, layouts, triples of key items, aliasing and the other odd corners."""
    cases = []
    pool = [0, -1, slice(None), slice(None, None, 2), None, Ellipsis, T([1, 0]), T([[0], [2]]),
            [1], T([True, False, True], "bool")]
    s3 = (3, 3, 3)
    for key in itertools.product(pool, repeat=3):
        if key.count(Ellipsis) < 2:
            cases.append((f"get3{key!r}", getitem_case(s3, key)))
    keys = [0, -1, (slice(None), 1), (Ellipsis, T([0, 2])), T([[1], [0]]), [True, False, True],
            (T([True, False, True], "bool"), 1), (None, 1, None), slice(1, None)]
    for dt in ("float64", "int32", "uint8", "bool", "complex64", "float16", "int8"):
        for key in keys:
            def gd(lib, key=key, dt=dt):
                a = data((3, 4), "float32").astype(dt) if dt != "bool" else data((3, 4), dt)
                x = lib.from_numpy(a.copy())
                out = x[build(key, lib)]
                x2 = x.clone()
                x2[build(key, lib)] = x[build(key, lib)].flip(-1) if out.ndim else out
                x3 = x.clone()
                x3[build(key, lib)] = 1
                return out, x2, x3
            cases.append((f"dtype{dt}{key!r}", gd))
    # non-contiguous sources: views keep writing through
    for key in keys:
        for make in ("t", "slice", "expand_read"):
            def nc(lib, key=key, make=make):
                base = lib.from_numpy(data((4, 3)))
                x = {"t": lambda b: b.t(), "slice": lambda b: b[:, :].t()[:, ::1],
                     "expand_read": lambda b: b[:3, :1].expand(3, 4)}[make](base)
                out = x[build(key, lib)]
                layout = (out.is_contiguous(), tuple(out.stride()), out.storage_offset())
                if make != "expand_read":
                    out.mul_(2)
                return out, base, layout
            cases.append((f"noncontig{make}{key!r}", nc))
    # writes that alias
    for name, body in [
            ("expand_write", lambda lib, x: x[:1].expand(3, 4).__setitem__(0, 1.0)),
            ("expand_write_adv", lambda lib, x: x[:1].expand(3, 4).__setitem__(
                lib.tensor([0, 1]), 1.0)),
            ("overlap_copy", lambda lib, x: x[1:].__setitem__(slice(None), x[:-1])),
            ("same_region", lambda lib, x: x[:2].__setitem__(slice(None), x[:2])),
            ("self_adv", lambda lib, x: x.__setitem__(lib.tensor([0, 1]), x[1:])),
            ("self_mask", lambda lib, x: x.__setitem__(x > 0, x[x > 0] * 2)),
            ("iadd_dup", lambda lib, x: x.__setitem__(lib.tensor([0, 0]),
                                                       x[lib.tensor([0, 0])] + 1)),
            ("index_put_acc_dup", lambda lib, x: x.index_put_((lib.tensor([0, 0, 2]),),
                                                               lib.ones(3, 4), accumulate=True)),
            ("np_int_key", lambda lib, x: x[np.int64(1), np.int32(2)]),
            ("np_bool_key", lambda lib, x: x[np.bool_(True)]),
            ("np_0d_key", lambda lib, x: x[np.array(1)]),
            ("list_with_tensor", lambda lib, x: x[[lib.tensor(0), lib.tensor(1)]]),
            ("list_with_slice", lambda lib, x: x[[0, slice(None)]]),
            ("list_of_lists2", lambda lib, x: x[[[0, 1], [2, 3]]]),
            ("range_key", lambda lib, x: x[range(2)]),
            ("range_key2", lambda lib, x: x[:, range(1, 4, 2)]),
            ("tensor_in_tuple_0d", lambda lib, x: x[lib.tensor(1), lib.tensor([0, 2])]),
            ("mask_self_scalar", lambda lib, x: x.__setitem__(x > 0, x[0, 0])),
            ("adv_self_whole", lambda lib, x: x.__setitem__(lib.tensor([0, 1, 2]), x)),
            ("adv_self_elem", lambda lib, x: x.__setitem__(lib.tensor([1]), x[0, 0])),
            ("adv_other_row", lambda lib, x: x[1:].__setitem__(lib.tensor([0]), x[0])),
            ("transposed_adv", lambda lib, x: x.t().__setitem__(lib.tensor([0, 3]), 1.5)),
            ("expanded_index_put_acc", lambda lib, x: x[:1].expand(3, 4).index_put_(
                (lib.tensor([2, 0]),), lib.tensor(2.0), accumulate=True))]:

        def al(lib, body=body):
            x = lib.from_numpy(data((3, 4)))
            r = body(lib, x)
            return r, x
        cases.append((f"alias_{name}", al))

    def view_of_leaf(lib):
        x = lib.from_numpy(data((3, 4))).requires_grad_()
        x[0][1] = 5.0
        return x
    cases.append(("view_of_leaf", view_of_leaf))

    for key in [0, (slice(None), 1), T([0, 0]), T([True, False, True], "bool"), Ellipsis]:
        def iadd(lib, key=key):
            x = lib.from_numpy(data((3, 4)))
            v = x[1:]
            x[build(key, lib)] += 1
            x[build(key, lib)] *= 2
            return x, x._version, v._version
        cases.append((f"iadd{key!r}", iadd))

    def detach_write(lib):
        x = lib.from_numpy(data((3, 4))).requires_grad_()
        y = x.detach()
        y[0, 1] = 5.0
        y[lib.tensor([2])] = 1.0
        return x, y
    cases.append(("detach_write", detach_write))

    # the functions over dtypes and shapes
    ops = {
        "index_put_acc": lambda lib, x, v: x.index_put_((lib.tensor([0, 0, 2]),), v[:3],
                                                        accumulate=True),
        "index_put": lambda lib, x, v: x.index_put_((lib.tensor([0, 0, 2]),), v[:3]),
        "scatter_add": lambda lib, x, v: x.scatter_add_(0, lib.tensor([[0, 1, 2], [0, 0, 1]]),
                                                        v[:2]),
        "scatter": lambda lib, x, v: x.scatter_(0, lib.tensor([[0, 1, 2], [0, 0, 1]]), v[:2]),
        "scatter_value": lambda lib, x, v: x.scatter(1, lib.tensor([[0], [2], [1]]), 1),
        "index_add": lambda lib, x, v: x.index_add_(0, lib.tensor([2, 2, 0]), v[:3]),
        "index_add_alpha": lambda lib, x, v: x.index_add(0, lib.tensor([2, 0]), v[:2], alpha=2),
        "index_copy": lambda lib, x, v: x.index_copy_(0, lib.tensor([2, 0]), v[:2]),
        "index_fill": lambda lib, x, v: x.index_fill_(1, lib.tensor([0, 2]), 1),
        "masked_fill": lambda lib, x, v: x.masked_fill(x.real > 1 if x.is_complex() else x > 1,
                                                       0),
        "masked_scatter": lambda lib, x, v: x.masked_scatter(lib.tensor([True, False, True]),
                                                             v.reshape(-1)),
        "masked_select": lambda lib, x, v: x.masked_select(lib.tensor([[True], [False],
                                                                      [True]])),
        "gather": lambda lib, x, v: x.gather(1, lib.tensor([[2, 0], [1, 1], [0, 2]])),
        "take": lambda lib, x, v: x.take(lib.tensor([[8, -1], [0, 3]])),
        "put_acc": lambda lib, x, v: x.put_(lib.tensor([1, 1, -1]), v.reshape(-1)[:3],
                                            accumulate=True),
        "index_select": lambda lib, x, v: x.index_select(1, lib.tensor([2, 2, 0])),
        "nonzero": lambda lib, x, v: (x.nonzero(), x.nonzero(as_tuple=True), lib.argwhere(x)),
        "setitem_mask": lambda lib, x, v: x.__setitem__(x != 0, v.reshape(-1)[0]),
        "setitem_adv": lambda lib, x, v: x.__setitem__((lib.tensor([0, 2]), 1), v[0, :2]),
        "getitem_adv": lambda lib, x, v: x[lib.tensor([[0], [2]]), lib.tensor([1, 0])],
    }
    for red, inc in itertools.product(("sum", "prod", "mean", "amax", "amin"), (True, False)):
        ops[f"scatter_reduce_{red}{inc}"] = (
            lambda lib, x, v, red=red, inc=inc: x.scatter_reduce_(
                1, lib.tensor([[0, 0], [2, 1], [1, 1]]), v[:, :2], red, include_self=inc))
    for red in ("prod", "mean", "amax", "amin"):
        ops[f"index_reduce_{red}"] = (
            lambda lib, x, v, red=red: x.index_reduce_(0, lib.tensor([1, 1, 0]), v, red,
                                                       include_self=False))
    for dt in ("float64", "float16", "int32", "int8", "uint8", "bool", "complex64"):
        for name, op in ops.items():
            def od(lib, op=op, dt=dt):
                a = data((3, 3), "float32", seed=13)
                b = data((3, 3), "float32", seed=14)
                if dt == "bool":
                    a, b = a > 0, b > 0
                elif dt == "uint8":
                    a, b = np.abs(a), np.abs(b)
                x = lib.from_numpy(a.astype(dt))
                v = lib.from_numpy(b.astype(dt))
                r = op(lib, x, v)
                return r, x
            cases.append((f"op_{name}_{dt}", od))
    for shape in [(), (5,), (2, 3, 4)]:
        for name, body in [
                ("gather0", lambda lib, x: x.gather(0, lib.zeros(x.shape, dtype=lib.int64))),
                ("gather_last", lambda lib, x: x.gather(-1, (lib.ones(x.shape, dtype=lib.int64)
                                                             if x.ndim and x.shape[-1] > 1
                                                             else lib.zeros(x.shape,
                                                                            dtype=lib.int64)))),
                ("scatter_add", lambda lib, x: x.scatter_add(0, lib.zeros(x.shape,
                                                                          dtype=lib.int64), x)),
                ("scatter_amax", lambda lib, x: x.scatter_reduce(0, lib.zeros(
                    x.shape, dtype=lib.int64), x * 2, "amax", include_self=False)),
                ("index_select", lambda lib, x: x.index_select(0, lib.tensor([0, 0]))),
                ("index_fill", lambda lib, x: x.index_fill(0, lib.tensor([0]), -1.0)),
                ("index_add", lambda lib, x: x.index_add(0, lib.tensor([0]), x[:1] if x.ndim
                                                         else x)),
                ("index_copy", lambda lib, x: x.index_copy(0, lib.tensor([0]), x[:1] * 3 if
                                                           x.ndim else x * 3)),
                ("masked_select", lambda lib, x: x.masked_select(x > 0)),
                ("masked_fill_0d", lambda lib, x: x.masked_fill(lib.tensor(True), 2.0)),
                ("take", lambda lib, x: x.take(lib.tensor([0, -1]))),
                ("put", lambda lib, x: x.put(lib.tensor([0]), lib.tensor([9.0]))),
                ("nonzero", lambda lib, x: (x.nonzero(), x.nonzero(as_tuple=True))),
                ("where1", lambda lib, x: lib.where(x > 0)),
                ("get_ellipsis_none", lambda lib, x: x[..., None]),
                ("get_empty", lambda lib, x: x[lib.tensor([], dtype=lib.int64)]),
                ("set_all", lambda lib, x: x.__setitem__(..., 3.0)),
                ("set_mask", lambda lib, x: x.__setitem__(x > 0, -x[x > 0])),
        ]:
            def sh(lib, shape=shape, body=body):
                x = lib.from_numpy(data(shape, seed=21)).requires_grad_()
                y = x * 1
                out = body(lib, y)
                res = [out, y]
                if isinstance(out, lib.Tensor) and out.is_floating_point():
                    res.append(_grad_of(lib, x, out))
                elif out is None:
                    res.append(_grad_of(lib, x, y))
                return res
            cases.append((f"shape{shape}_{name}", sh))

    # odd keys, values and arguments
    def x(lib):
        return lib.arange(12.).reshape(3, 4)
    for name, body in [
            ("ip_list", lambda lib: x(lib).index_put_([lib.tensor([1, 2])], lib.tensor(5.))),
            ("ip_bool_acc", lambda lib: x(lib).index_put_((lib.tensor([True, False, True]),),
                                                          lib.tensor(5.), accumulate=True)),
            ("ip_int_acc", lambda lib: lib.zeros(3, dtype=lib.int64).index_put_(
                (lib.tensor([0, 0]),), lib.tensor([1, 2]), accumulate=True)),
            ("ip_bool_tensor_acc", lambda lib: lib.zeros(3, dtype=lib.bool).index_put_(
                (lib.tensor([0, 0]),), lib.tensor([True, False]), accumulate=True)),
            ("get_0d_neg", lambda lib: x(lib)[lib.tensor(-1)]),
            ("get_0d_oob", lambda lib: x(lib)[lib.tensor(3)]),
            ("get_0d_int32", lambda lib: x(lib)[lib.tensor(1, dtype=lib.int32)]),
            ("get_int16", lambda lib: x(lib)[lib.tensor([1], dtype=lib.int16)]),
            ("get_tuple_in_tuple", lambda lib: x(lib)[(0, 1), ]),
            ("get_tuple_list", lambda lib: x(lib)[[(0, 1)]]),
            ("get_nested_tuple", lambda lib: x(lib)[((0, 1), (1, 2))]),
            ("get_float_list", lambda lib: x(lib)[[0.7, 1.9]]),
            ("get_float_list_neg", lambda lib: x(lib)[[-0.5, -1.5]]),
            ("get_complex_list", lambda lib: x(lib)[[1j]]),
            ("get_mixed_list", lambda lib: x(lib)[[0, True]]),
            ("get_none_list", lambda lib: x(lib)[[None, 0]]),
            ("get_long_list", lambda lib: lib.arange(40.)[list(range(33))]),
            ("get_slice_tensor", lambda lib: x(lib)[lib.tensor(1):lib.tensor(3)]),
            ("get_slice_float", lambda lib: x(lib)[1.0:2]),
            ("get_slice_tensor_step", lambda lib: x(lib)[::lib.tensor(2)]),
            ("get_np_bool_0d", lambda lib: x(lib)[np.array(True)]),
            ("get_np_bool_2d", lambda lib: x(lib)[np.ones((3, 4), bool)]),
            ("get_np_uint8", lambda lib: x(lib)[np.array([1, 0, 1], np.uint8)]),
            ("get_np_float", lambda lib: x(lib)[np.array([1.9])]),
            ("get_np_int16", lambda lib: x(lib)[np.array([1], np.int16)]),
            ("get_np_uint64", lambda lib: x(lib)[np.array([1], np.uint64)]),
            ("get_np_int32_2d", lambda lib: x(lib)[np.array([[1, 0]], np.int32), 1]),
            ("set_list_value", lambda lib: x(lib).__setitem__(0, [1, 2, 3, 4])),
            ("set_ndarray_value", lambda lib: x(lib).__setitem__(0, np.ones(4))),
            ("set_str", lambda lib: x(lib).__setitem__(0, "a")),
            ("set_none", lambda lib: x(lib).__setitem__(0, None)),
            ("set_uint8_overflow", lambda lib: lib.zeros(3, dtype=lib.uint8).__setitem__(
                lib.tensor([0]), 1000)),
            ("set_uint8_wrap", lambda lib: lib.zeros(3, dtype=lib.uint8).__setitem__(0, -1)),
            ("set_f16_big", lambda lib: lib.zeros(3, dtype=lib.float16).__setitem__(0, 1e6)),
            ("set_f32_big", lambda lib: lib.zeros(3).__setitem__(0, 1e39)),
            ("set_f32_inf", lambda lib: lib.zeros(3).__setitem__(0, float("inf"))),
            ("set_bool_float", lambda lib: lib.zeros(3, dtype=lib.bool).__setitem__(0, 0.5)),
            ("set_np_f32", lambda lib: x(lib).__setitem__(np.int64(1), np.float32(2.5))),
            ("set_np_f64", lambda lib: x(lib).__setitem__(1, np.float64(2.5))),
            ("set_np_i32", lambda lib: x(lib).__setitem__(lib.tensor([1]), np.int32(2))),
            ("set_np_bool", lambda lib: x(lib).__setitem__(1, np.bool_(True))),
            ("set_np_c128", lambda lib: x(lib).__setitem__(1, np.complex128(1))),
            ("set_np_float_key", lambda lib: x(lib).__setitem__(np.array([1.9]), 2.5)),
            ("index_select_0d", lambda lib: x(lib).index_select(0, lib.tensor(1))),
            ("index_select_oob", lambda lib: x(lib).index_select(0, lib.tensor([3]))),
            ("index_select_neg", lambda lib: x(lib).index_select(1, lib.tensor([-1]))),
            ("gather_neg", lambda lib: x(lib).gather(1, lib.tensor([[-1]]))),
            ("scatter_neg", lambda lib: x(lib).scatter(1, lib.tensor([[-1]]), 1.0)),
            ("take_float_idx", lambda lib: x(lib).take(lib.tensor([1.0]))),
            ("masked_fill_int_mask", lambda lib: x(lib).masked_fill(lib.tensor([1, 0, 1, 0]),
                                                                    1.0)),
            ("masked_select_uint8", lambda lib: x(lib).masked_select(lib.tensor(
                [1, 0, 1, 0], dtype=lib.uint8))),
            ("where_0d", lambda lib: lib.where(lib.tensor(0.0))),
            ("argwhere_0d", lambda lib: lib.argwhere(lib.tensor(3))),
            ("put_neg_oob", lambda lib: x(lib).put_(lib.tensor([-13]), lib.tensor([1.]))),
            ("index_fill_neg", lambda lib: x(lib).index_fill(1, lib.tensor([-1]), 0.)),
            ("index_fill_bool_idx", lambda lib: x(lib).index_fill(1, lib.tensor([True]), 0.)),
            ("index_copy_neg", lambda lib: x(lib).index_copy(0, lib.tensor([-1]),
                                                             lib.ones(1, 4))),
            ("set_slice_tensor", lambda lib: x(lib).__setitem__(
                slice(lib.tensor(1), lib.tensor(3)), 0.))]:
        def od2(lib, body=body):
            r = body(lib)
            return r
        cases.append((f"odd_{name}", od2))

    # writes of values that require grad into tensors that do not
    for key in [0, T([0, 2]), T([True, False, True], "bool"), (slice(None), T([1]))]:
        def vg(lib, key=key):
            y = lib.zeros(3, 4)
            v = lib.from_numpy(data((4,), seed=31)).requires_grad_()
            y[build(key, lib)] = v * 2
            z = (y * lib.from_numpy(weights((3, 4)))).sum()
            g, = lib.autograd.grad(z, v, create_graph=True)
            return y, g, y.requires_grad, type(y.grad_fn).__name__
        cases.append((f"value_grad{key!r}", vg))

    # second derivatives (each first derivative is itself differentiated)
    i2 = [[0, 2, 2, 1], [1, 1, 0, 0], [2, 0, 1, 2]]
    second = {
        "gather": lambda lib, x, s: x.gather(1, lib.tensor(i2)) * s,
        "scatter_add": lambda lib, x, s: (x * x).scatter_add(1, lib.tensor(i2), s * s),
        "scatter": lambda lib, x, s: (x * x).scatter(0, lib.tensor(i2), s * s),
        "scatter_sum": lambda lib, x, s: (x * x).scatter_reduce(1, lib.tensor(i2), s * s,
                                                                "sum"),
        "scatter_mean": lambda lib, x, s: (x * x).scatter_reduce(1, lib.tensor(i2), s * s,
                                                                 "mean", include_self=False),
        "index_add": lambda lib, x, s: (x * x).index_add(0, lib.tensor([2, 2, 0]), s * s),
        "index_copy": lambda lib, x, s: (x * x).index_copy(0, lib.tensor([2, 1, 0]), s * s),
        "index_fill": lambda lib, x, s: (x * s).index_fill(1, lib.tensor([1, 3]), 0.5),
        "index_put_acc": lambda lib, x, s: (x * x).index_put((lib.tensor([0, 0, 2]),), s * s,
                                                             accumulate=True),
        "index_put": lambda lib, x, s: (x * x).index_put((lib.tensor([0, 2]),), (s * s)[:2]),
        "masked_fill": lambda lib, x, s: (x * s).masked_fill(x > 0, 1.0),
        "masked_scatter": lambda lib, x, s: (x * x).masked_scatter(x > 0, s * s),
        "masked_select": lambda lib, x, s: (x * s).masked_select(s > 0),
        "take": lambda lib, x, s: (x * s).take(lib.tensor([0, 5, 5, -1])),
        "take_along_dim": lambda lib, x, s: lib.take_along_dim(x * s, lib.tensor(i2), 1),
        "index_select": lambda lib, x, s: (x * s).index_select(1, lib.tensor([3, 0, 3])),
        "put_acc": lambda lib, x, s: (x * x).put(lib.tensor([0, 0, 7]), (s * s)[0, :3],
                                                 accumulate=True),
        "getitem_adv": lambda lib, x, s: (x * s)[lib.tensor([[0], [2]]), lib.tensor([1, 1])],
        "setitem": lambda lib, x, s: _set(x * x, (slice(None), lib.tensor([1, 1])),
                                          (s * s)[:, :2]),
        "setitem_mask": lambda lib, x, s: _set(x * x, s > 0, (s * x)[s > 0]),
    }
    for name, op in second.items():
        def sd(lib, op=op):
            x = lib.from_numpy(data((3, 4), seed=41)).requires_grad_()
            src = lib.from_numpy(data((3, 4), seed=42)).requires_grad_()
            out = op(lib, x, src)
            w = lib.from_numpy(weights(tuple(out.shape)))
            gx, gs = lib.autograd.grad((out * w).sum(), (x, src), create_graph=True,
                                       allow_unused=True)
            parts = [g for g in (gx, gs) if g is not None and g.requires_grad]
            second_grads = None
            if parts:
                total = sum((g * g).sum() for g in parts)
                second_grads = lib.autograd.grad(total, (x, src), allow_unused=True)
            return out, gx, gs, second_grads
        cases.append((f"second_{name}", sd))

    # gradients through chains of indexing
    chains = [lambda t, lib: t[1:][:, lib.tensor([0, 0, 3])][0],
              lambda t, lib: t[t > 0][::2],
              lambda t, lib: t[None, ..., 1][:, lib.tensor([2, 2])],
              lambda t, lib: t[lib.tensor([[0, 1], [1, 2]])][..., 1:3].sum(0),
              lambda t, lib: t.t()[lib.tensor([1, 3])][:, [True, False, True]],
              lambda t, lib: t.gather(1, lib.tensor([[0], [1], [3]])).expand(3, 2)[1]]
    for i, ch in enumerate(chains):
        def cg(lib, ch=ch):
            x = lib.from_numpy(data((3, 4))).requires_grad_()
            out = ch(x, lib)
            g, = lib.autograd.grad((out * lib.from_numpy(weights(tuple(out.shape)))).sum(), x,
                                   create_graph=True)
            g2, = lib.autograd.grad((g * g).sum(), x, allow_unused=True)
            return out, g, g2
        cases.append((f"chain{i}", cg))
    return cases


def _set(t, key, value):
    t[key] = value
    return t


# -- all cases -------------------------------------------------------------------------------

def all_cases():
    cases = []
    for shape, key in _getitem_keys():
        cases.append((f"get{shape}{key!r}", getitem_case(shape, key)))
    for shape, key in _getitem_keys()[:80]:
        for dt in ("int64", "bool"):
            cases.append((f"get{dt}{shape}{key!r}", getitem_int_case(shape, key, dt)))
    for shape, key in _setitem_keys():
        region = _region_shape(shape, key)
        for value in _values_for(region):
            cases.append((f"set{shape}{key!r}={value!r}", setitem_case(shape, key, value)))
        for value in _values_for(region)[:3] + _values_for(region)[8:10]:
            cases.append((f"setint{shape}{key!r}={value!r}",
                          setitem_case(shape, key, value, "int64")))
            cases.append((f"setview{shape}{key!r}={value!r}",
                          setitem_case(shape, key, value, through_view=True)))
        for value in [2.0] + [v for v in _values_for(region)[8:] if isinstance(v, T)
                              and v.a.dtype == np.float32][:2]:
            cases.append((f"setgrad{shape}{key!r}={value!r}",
                          setitem_grad_case(shape, key, value)))
    # repeated indices: the last write wins on the CPU
    for key, val in [(T([0, 0, 0]), T([1.0, 2.0, 3.0], "float32")),
                     ((T([1, 1]), T([2, 2])), T([4.0, 5.0], "float32")),
                     (T([[1, 1], [1, 1]]), T([[1.0, 2.0], [3.0, 4.0]], "float32"))]:
        cases.append((f"setdup{key!r}", setitem_case((3, 4), key, val if key.__class__ is tuple
                                                     else T(np.repeat(val.a[..., None], 4, -1),
                                                            "float32"))))
    cases += _function_cases()
    cases += _autograd_cases()
    cases += _more_cases()
    return cases


CASES = all_cases()


@pytest.mark.parametrize("case", range(len(CASES)), ids=[c[0][:90] for c in CASES])
def test_indexing_sweep(case):
    name, fn = CASES[case]
    msg = differ(outcome(fn, ember), outcome(fn, torch))
    assert msg is None, f"{name}: {msg}"


def test_uint8_index_warns():
    x = ember.arange(3)
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        x[ember.tensor([1, 0, 1], dtype=ember.uint8)]


if __name__ == "__main__":
    import collections
    import sys

    bad = collections.Counter()
    shown = 0
    for name, fn in CASES:
        m = differ(outcome(fn, ember), outcome(fn, torch))
        if m:
            bad[name.split("(")[0].split("[")[0][:14]] += 1
            if shown < int(sys.argv[1] if len(sys.argv) > 1 else 60):
                print(name[:120], "->", m[:400])
                shown += 1
    print(len(CASES), "cases,", sum(bad.values()), "mismatches", dict(bad))
