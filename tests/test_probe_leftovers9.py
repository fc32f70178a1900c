"""Differential tests for leftovers of earlier fuzz rounds: the sign of a +0/-0 tie in
amax/amin over any dims, group_norm with no positions, max_pool3d on unbatched strided
inputs, renorm's gradient bits, and the strides of diag_embed's and cat's gradients."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import ember
from diff import bits_outcome

torch = pytest.importorskip("torch")

DTYPES = ("float32", "float64", "float16", "bfloat16")


def _same(fn):
    assert bits_outcome(ember, fn) == bits_outcome(torch, fn)


def _signs(lib, vals, dt, fn, dim):
    x = lib.tensor(vals).to(getattr(lib, dt))
    r = getattr(x, fn)(dim) if dim is not None else getattr(x, fn)()
    return lib.signbit(r).tolist()


def test_amax_amin_zero_ties_over_an_outer_dim():
    rng = np.random.default_rng(0)
    for dt in DTYPES:
        for m in list(range(1, 41)) + [63, 64, 65, 70]:
            n = int(rng.integers(2, 6))
            vals = rng.choice([0.0, -0.0], size=(n, m)).astype(np.float32)
            for fn, dim in itertools.product(("amax", "amin"), (0, 1, None)):
                got, want = _signs(ember, vals, dt, fn, dim), _signs(torch, vals, dt, fn, dim)
                assert got == want, (dt, n, m, fn, dim)


def test_amax_amin_zero_ties_any_dims_and_layouts():
    rng = np.random.default_rng(1)
    for it in range(700):
        nd = int(rng.integers(1, 4))
        shape = [int(rng.choice([1, 2, 3, 5, 8, 17, 33, 40, 65])) if rng.random() < .3
                 else int(rng.integers(1, 6)) for _ in range(nd)]
        if np.prod(shape) > 20000:
            continue
        dt = DTYPES[it % 4]
        vals = rng.choice([0.0, -0.0, -1.0, 1.0, -2.0], size=shape, p=[.4, .4, .1, .05, .05])
        perm = [int(p) for p in (rng.permutation(nd) if rng.random() < .4 else range(nd))]
        step = bool(rng.random() < .2)
        dims = tuple(int(d) for d in rng.choice(nd, size=int(rng.integers(0, nd + 1)),
                                                replace=False))
        keep = bool(rng.random() < .5)
        fn = ("amax", "amin", "aminmax")[it % 3]
        if fn == "aminmax" and len(dims) > 1:
            continue

        def f(lib):
            x = lib.tensor(vals.astype(np.float32)).to(getattr(lib, dt))
            if step:
                x = lib.cat([x, x], -1)[..., ::2]
            x = x.permute(*perm)
            if fn == "aminmax":
                return tuple(lib.aminmax(x, dim=dims[0] if dims else None, keepdim=keep))
            return getattr(x, fn)(dims, keepdim=keep) if dims else getattr(x, fn)()
        _same(f)


def test_max_min_all_reduce_zero_ties():
    # which of two tied zeros the whole-tensor max()/min()/aminmax() keep, at every pair of
    # places (the others -1 or +1), for each dtype's lanes and tails
    rng = np.random.default_rng(7)
    for dt in DTYPES:
        for n in (2, 5, 7, 8, 9, 12, 15, 16, 17, 20, 33, 47, 64, 65):
            for _ in range(12):
                i, j = (int(v) for v in rng.choice(n, 2, replace=False))
                for fn in ("max", "min"):
                    def f(lib):
                        x = lib.full((n,), -1.0 if fn == "max" else 1.0,
                                     dtype=getattr(lib, dt))
                        x[i], x[j] = -0.0, 0.0
                        lo, hi = lib.aminmax(x)
                        return getattr(x, fn)(), lo if fn == "min" else hi, \
                            getattr(x[::1].t() if x.ndim == 2 else x, fn)()
                    _same(f)


def _group_norm(lib, shape, groups, wb, dt):
    lib.manual_seed(0)
    x = lib.randn(*shape, dtype=getattr(lib, dt)).requires_grad_()
    c = shape[1]
    w = lib.randn(c, dtype=getattr(lib, dt), requires_grad=True) if wb[0] else None
    b = lib.randn(c, dtype=getattr(lib, dt), requires_grad=True) if wb[1] else None
    y = lib.nn.functional.group_norm(x, groups, w, b)
    y.sum().backward()
    return (y, x.grad, None if w is None else w.grad, None if b is None else b.grad,
            y.grad_fn.name())


def test_group_norm_without_positions():
    for dt in DTYPES:
        for shape in [(2, 4, 0), (2, 4, 0, 5), (0, 4, 3), (2, 4, 3, 0, 2), (1, 6, 0),
                      (3, 2, 0, 0), (2, 0, 3)]:
            for groups in (1, 2):
                for wb in ((1, 1), (1, 0), (0, 1), (0, 0))[:4 if dt == "float32" else 2]:
                    _same(lambda lib: _group_norm(lib, shape, groups, wb, dt))


def test_group_norm_bias_without_weight_refused():
    for dt in DTYPES:
        for shape in [(2, 4, 3), (0, 4, 3), (2, 0, 3), (2, 4, 0)]:
            for x_grad in (True, False):
                def f(lib):
                    x = lib.ones(*shape, dtype=getattr(lib, dt), requires_grad=x_grad)
                    b = lib.ones(shape[1], dtype=getattr(lib, dt), requires_grad=True)
                    y = lib.nn.functional.group_norm(x, 2 if shape[1] else 1, None, b)
                    y.sum().backward()
                    return b.grad
                _same(f)


def test_group_norm_module_without_positions():
    def f(lib):
        lib.manual_seed(0)
        m = lib.nn.GroupNorm(2, 4)
        x = lib.randn(3, 4, 0, 2, requires_grad=True)
        m(x).sum().backward()
        return m.weight.grad, m.bias.grad, x.grad
    _same(f)


def test_max_pool3d_unbatched_layouts():
    for perm in itertools.permutations(range(4)):
        for sizes in ((3, 4, 5, 6), (2, 1, 4, 4)):
            base = np.random.default_rng(2).standard_normal(
                [sizes[p] for p in perm]).astype(np.float32)
            inv = [perm.index(i) for i in range(4)]
            for name, kw in (("max_pool3d", {}), ("max_pool3d", {"return_indices": True}),
                             ("avg_pool3d", {}), ("adaptive_max_pool3d", {"output_size": 2}),
                             ("adaptive_avg_pool3d", {"output_size": 2})):
                def f(lib):
                    x = lib.tensor(base).permute(*inv).requires_grad_()
                    args = (kw["output_size"],) if "output_size" in kw else (2,)
                    extra = {k: v for k, v in kw.items() if k != "output_size"}
                    y = getattr(lib.nn.functional, name)(x, *args, **extra)
                    v = y[0] if isinstance(y, tuple) else y
                    v.sum().backward()
                    strides = [t.stride() for t in (y if isinstance(y, tuple) else (y,))]
                    return y, strides, x.grad, x.grad.stride()
                _same(f)


def test_renorm_gradient_bits():
    rng = np.random.default_rng(3)
    for it in range(300):
        nd = int(rng.integers(2, 4))
        shape = [int(rng.integers(1, 6)) for _ in range(nd)]
        dim = int(rng.integers(-nd, nd))
        dt = DTYPES[it % 4]
        # (float64 p-norms other than 1, 2, inf differ in their last bit already forward)
        p = float(rng.choice([1, 2, np.inf] if dt == "float64" else [1, 2, 3, 1.5, np.inf]))
        vals = (rng.standard_normal(shape) * rng.choice([0.3, 1, 5])).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        maxnorm = float(rng.choice([0.5, 1.0, 2.0, 0.0]))

        def f(lib):
            x = lib.tensor(vals).to(getattr(lib, dt)).requires_grad_()
            y = lib.renorm(x, p, dim, maxnorm)
            y.backward(lib.tensor(g).to(getattr(lib, dt)))
            return y, x.grad
        _same(f)


def test_diag_embed_gradient_strides():
    rng = np.random.default_rng(4)
    for it in range(200):
        nd = int(rng.integers(1, 4))
        shape = [int(rng.integers(1, 5)) for _ in range(nd)]
        off = int(rng.integers(-2, 3))
        d1, d2 = [int(v) for v in rng.choice(nd + 1, 2, replace=False)]
        if rng.random() < .5:
            d1 -= nd + 1
        dt = ("float32", "float64", "complex64")[it % 3]
        vals = rng.standard_normal(shape).astype(np.float32)
        perm = [int(v) for v in rng.permutation(nd)]
        inv = [perm.index(i) for i in range(nd)]

        def f(lib):
            x = lib.tensor(vals).to(getattr(lib, dt))
            if it % 2:
                x = x.permute(*perm).contiguous().permute(*inv)
            x.requires_grad_()
            y = lib.diag_embed(x, off, d1, d2)
            y.backward(lib.ones_like(y))
            return y, y.stride(), x.grad.stride(), x.grad, y.grad_fn.name()
        _same(f)


def test_cat_real_and_complex_gradient_strides():
    rng = np.random.default_rng(5)
    names = ("float32", "float64", "complex64", "complex128", "float16", "int64")
    for it in range(300):
        lo = 1 if it % 2 else 2
        nd = int(rng.integers(1, 4))
        shape = [int(rng.integers(lo, 4)) for _ in range(nd)]
        dim = int(rng.integers(-nd, nd))
        k = int(rng.integers(2, 4))
        dts = [str(rng.choice(names)) for _ in range(k)]
        if lo == 1:  # (a real input's share of a complex gradient with size-1 dims: not yet)
            complex_grad = any(d.startswith("complex") for d in dts)
            dts = [d for d in dts if not complex_grad or d.startswith("complex")] or ["float64"]
            if any(d == "float16" for d in dts) and len(set(dts)) > 1:
                dts = ["float32"] * len(dts)
        shapes = []
        for _ in dts:
            s = list(shape)
            s[dim] = int(rng.integers(lo, 4))
            shapes.append(s)
        vals = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        tr = [bool(rng.random() < .3) and len(s) >= 2 for s in shapes]
        gseed = int(rng.integers(1 << 30))

        def f(lib):
            xs = []
            for v, d, t in zip(vals, dts, tr, strict=True):
                x = lib.tensor(v.T.copy() if t else v).to(getattr(lib, d))
                x = x.T if t else x
                if d != "int64":
                    x.requires_grad_()
                xs.append(x)
            y = lib.cat(xs, dim)
            if not y.requires_grad:
                return y
            g = np.random.default_rng(gseed).standard_normal(y.shape).astype(np.float32)
            y.backward(lib.tensor(g).to(y.dtype))
            return y, [None if x.grad is None else (x.grad.stride(), x.grad) for x in xs]
        _same(f)


def test_leaf_grad_keeps_size_one_strides():
    def f(lib):
        a = lib.randn(1, 2, dtype=lib.float64).T.requires_grad_()
        x = lib.randn(2, 1, dtype=lib.float64, requires_grad=True)
        lib.cat([a, x], 1).backward(lib.ones(2, 2, dtype=lib.float64))
        return a.grad.stride(), x.grad.stride(), a.grad
    _same(f)


def test_pool_gradients_laid_out_as_the_input():
    cases = [("max_pool2d", (2,), 4), ("avg_pool2d", (2,), 4), ("adaptive_max_pool2d", (2,), 4),
             ("adaptive_avg_pool2d", (2,), 4), ("lp_pool2d", (2, 2), 4), ("max_pool3d", (2,), 5),
             ("avg_pool3d", (2,), 5), ("adaptive_max_pool3d", (2,), 5),
             ("adaptive_avg_pool3d", (2,), 5), ("max_pool1d", (2,), 3), ("avg_pool1d", (2,), 3),
             ("adaptive_max_pool1d", (2,), 3), ("adaptive_avg_pool1d", (2,), 3)]
    for name, args, nd in cases:
        for c in (1, 3):
            for last in (True, False):
                shape = (2, c) + (4,) * (nd - 2)
                perm = (0,) + tuple(range(2, nd)) + (1,) if last else tuple(range(nd))
                base = np.random.default_rng(6).standard_normal(
                    [shape[p] for p in perm]).astype(np.float32)
                inv = [perm.index(i) for i in range(nd)]

                def f(lib):
                    x = lib.tensor(base).permute(*inv).requires_grad_()
                    y = getattr(lib.nn.functional, name)(x, *args)
                    g, = lib.autograd.grad(y.sum(), x, retain_graph=True)
                    y.sum().backward()
                    return y, y.stride(), g, g.stride(), x.grad.stride()
                _same(f)


def test_real_share_of_complex_gradient_single_value():
    for dt in ("float64", "float32", "float16"):
        for shape in ((1, 1), (1,), (1, 1, 1)):
            def f(lib):
                a = lib.randn(*shape, dtype=lib.complex128, requires_grad=True)
                x = lib.randn(*shape, dtype=getattr(lib, dt), requires_grad=True)
                y = lib.cat([a, x], 0)
                y.backward(lib.ones(y.shape, dtype=lib.complex128))
                return a.grad.stride(), x.grad.stride(), x.grad, a.grad
            _same(f)
