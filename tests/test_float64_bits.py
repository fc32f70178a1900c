"""float64 results bit for bit against PyTorch's CPU kernels: the Welford sums of
``var``/``std``/``var_mean``/``std_mean`` over long slices, and the NaN bits (sign and
payload) that elementwise kernels give for a NaN argument."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402


def _bits(t):
    a = t.detach().numpy()
    return a.view(np.uint64 if a.dtype == np.float64 else np.uint32)


@pytest.fixture
def threads():
    """Restores both libraries' intra-op thread counts."""
    old_t, old_e = torch.get_num_threads(), ember.get_num_threads()
    yield
    torch.set_num_threads(old_t)
    ember.set_num_threads(old_e)


# -- var / std / var_mean / std_mean: PyTorch's Welford reduction -----------------------------

_CASES = [((3, 1000), 1), ((3, 1000), 0), ((200, 400), 1), ((400, 200), (0,)),
          ((7, 60, 50), (0, 2)), ((2, 3, 700), -1), ((64, 64, 3), (0, 1)),
          ((40000,), None), ((1, 40000), 1), ((3, 15000), None)]


def test_var_family_welford_bits(threads):
    r = np.random.default_rng(0)
    bad = []
    for nthreads in (1, 2):
        torch.set_num_threads(nthreads)
        ember.set_num_threads(nthreads)
        for shape, dim in _CASES:
            x = r.standard_normal(shape) * 3 + 1
            big = x.size >= 32768
            for view in ("c", "t") if not big else ("c",):
                xx = np.swapaxes(x, 0, -1) if view == "t" else x
                for c in (0, 1, 2) if not big else (1,):
                    for kd in (False, True) if dim is not None and not big else (False,):
                        for fn in ("var_mean", "std_mean", "var", "std"):
                            args = (dim,) if dim is not None else ()
                            kw = {"correction": c}
                            if dim is not None:
                                kw["keepdim"] = kd
                            with warnings.catch_warnings():
                                warnings.simplefilter("ignore")
                                tr = getattr(torch, fn)(torch.from_numpy(xx), *args, **kw)
                                er = getattr(ember, fn)(ember.from_numpy(xx), *args, **kw)
                            tr = tr if isinstance(tr, tuple) else (tr,)
                            er = er if isinstance(er, tuple) else (er,)
                            for a, b in zip(tr, er):
                                assert tuple(a.shape) == tuple(b.shape)
                                if not np.array_equal(_bits(a), _bits(b)):
                                    bad.append((nthreads, fn, shape, dim, view, c, kd))
                                    break
    assert not bad, bad[:10]


def test_var_mean_special_values():
    # a slice of one value (the -0 of x * 0 is +0 as the running sum starts at +0), constant
    # slices, infinities and NaNs in long slices
    r = np.random.default_rng(1)
    x = -np.abs(r.standard_normal((500, 1)))
    for c in (0,):
        tv, tm = torch.var_mean(torch.from_numpy(x), 1, correction=c)
        ev, em = ember.var_mean(ember.from_numpy(x), 1, correction=c)
        assert np.array_equal(_bits(tv), _bits(ev)) and np.array_equal(_bits(tm), _bits(em))
    y = r.standard_normal((6, 900))
    y[0] = 2.5
    y[1, 17] = np.inf
    y[2, 400] = -np.inf
    y[3, 5] = np.nan
    y[4, 100] = 1e300
    for fn in ("var_mean", "std_mean"):
        tr = getattr(torch, fn)(torch.from_numpy(y), 1)
        er = getattr(ember, fn)(ember.from_numpy(y), 1)
        for a, b in zip(tr, er):
            assert np.array_equal(_bits(a), _bits(b)), fn


# -- NaN payloads --------------------------------------------------------------------------

_UNARY = {
    "softplus": lambda L, F, a: F.softplus(a),
    "softplus_beta": lambda L, F, a: F.softplus(a, beta=2.0),
    "logsigmoid": lambda L, F, a: F.logsigmoid(a),
    "pow2.5": lambda L, F, a: L.pow(a, 2.5),
    "pow-1.5": lambda L, F, a: L.pow(a, -1.5),
    "pow0": lambda L, F, a: L.pow(a, 0),
    "rpow": lambda L, F, a: L.pow(2.0, a),
    "rpow1": lambda L, F, a: L.pow(1.0, a),
    "exp2": lambda L, F, a: L.exp2(a),
    "expm1": lambda L, F, a: L.expm1(a),
    "sinh": lambda L, F, a: L.sinh(a),
    "cosh": lambda L, F, a: L.cosh(a),
    "hardswish": lambda L, F, a: F.hardswish(a),
    "hardsigmoid": lambda L, F, a: F.hardsigmoid(a),
    "mish": lambda L, F, a: F.mish(a),
    "sigmoid": lambda L, F, a: L.sigmoid(a),
    "tanh": lambda L, F, a: L.tanh(a),
    "exp": lambda L, F, a: L.exp(a),
    "log1p": lambda L, F, a: L.log1p(a),
    "sqrt": lambda L, F, a: L.sqrt(a),
    "silu": lambda L, F, a: F.silu(a),
}


# (float64 tanh's payload and expm1's quieting of a signaling NaN: left to NumPy, see
# pointwise._NAN_MODES)
_F64_LEFT = {"tanh", "expm1"}


def _nan_input(dt, n, r):
    x = r.standard_normal(n).astype(dt)
    xb = x.view(np.uint32 if dt == np.float32 else np.uint64)
    if dt == np.float32:  # (quiet with payloads of both signs, a signaling one)
        pats = [0x7FC12345, 0xFFC00001, 0x7FA00000, 0xFFC54321]
    else:
        pats = [0x7FF8123456789ABC, 0xFFF8000000000001, 0x7FF4000000000000,
                0xFFF8000000054321]
    idx = [1, 3, 5, n - 1]  # (n - 1: in the scalar tail of a 100-value loop)
    for i, p in zip(idx, pats):
        xb[i] = p
    return x, idx


def test_nan_payloads_unary():
    r = np.random.default_rng(2)
    bad = []
    for dt in (np.float32, np.float64):
        for n in (7, 100, 130):
            x, idx = _nan_input(dt, n, r)
            for name, f in _UNARY.items():
                if dt == np.float64 and name in _F64_LEFT:
                    continue
                t = f(torch, TF, torch.from_numpy(x.copy()))
                e = f(ember, EF, ember.from_numpy(x.copy()))
                if not np.array_equal(_bits(t)[idx], _bits(e)[idx]):
                    bad.append((dt.__name__, n, name, [hex(v) for v in _bits(t)[idx]],
                                [hex(v) for v in _bits(e)[idx]]))
    assert not bad, bad[:8]


def test_nan_payloads_strided_and_2d():
    r = np.random.default_rng(3)
    bad = []
    for dt in (np.float32, np.float64):
        x, _ = _nan_input(dt, 240, r)
        x2 = x.reshape(8, 30)
        for name, f in _UNARY.items():
            if dt == np.float64 and name in _F64_LEFT:
                continue
            for view in (lambda a: a, lambda a: a.t(), lambda a: a[:, ::2]):
                t = f(torch, TF, view(torch.from_numpy(x2.copy()))).contiguous()
                e = f(ember, EF, view(ember.from_numpy(x2.copy()))).contiguous()
                nan = np.isnan(t.numpy())  # (the NaNs' bits; other float64 values may differ)
                if not np.array_equal(_bits(t)[nan], _bits(e)[nan]) or \
                        not np.array_equal(nan, np.isnan(e.numpy())):
                    bad.append((dt.__name__, name))
    assert not bad, bad[:8]


def test_pow_negative_base_nan_sign():
    # float64 x ** 2.5 of a negative x: the vector loop's NaN is positive, the scalar
    # loop's (strided input, tails) negative
    r = np.random.default_rng(4)
    x = r.standard_normal((6, 40))
    for e in (2.5, -1.5, 0.3):
        for view in (lambda a: a, lambda a: a[:, ::2], lambda a: a[:, :37]):
            t = torch.pow(view(torch.from_numpy(x.copy())), e).contiguous()
            m = ember.pow(view(ember.from_numpy(x.copy())), e).contiguous()
            nan = np.isnan(t.numpy())
            assert nan.any() and np.array_equal(_bits(t)[nan], _bits(m)[nan])


def test_all_nan_loop_shapes():
    # every length up to a few steps: which values the vector loop computes, and which half
    # of its step (hardswish, mish), decides their NaN bits
    bad = []
    for dt, it, pat in ((np.float32, np.uint32, 0xFFC54321),
                        (np.float64, np.uint64, 0xFFF8000000054321)):
        for name in ("hardswish", "hardsigmoid", "mish", "sinh", "softplus", "pow2.5",
                     "sigmoid", "logsigmoid"):
            f = _UNARY[name]
            for n in range(1, 140, 3):
                x = np.full(n, pat, it).view(dt)
                t = _bits(f(torch, TF, torch.from_numpy(x.copy())))
                e = _bits(f(ember, EF, ember.from_numpy(x.copy())))
                if not np.array_equal(t, e):
                    bad.append((dt.__name__, name, n))
    assert not bad, bad[:8]


def test_nan_payloads_binary():
    # pow and atan2 of two tensors: every bit set in the vector loop, the NaN argument's bits
    # in the tail (pow: the base's where both are NaN, atan2: the second argument's)
    r = np.random.default_rng(5)
    bad = []
    for dt, it, pats in ((np.float32, np.uint32, (0x7FC12345, 0xFFC00001)),
                         (np.float64, np.uint64, (0x7FF8123456789ABC, 0xFFF8000000000001))):
        for n in (9, 100, 150):
            x = (r.standard_normal(n) * 2).astype(dt)
            y = r.standard_normal(n).astype(dt)
            xb, yb = x.view(it), y.view(it)
            for i in range(0, n, 7):
                if i % 3 != 1:
                    xb[i] = pats[0]
                if i % 3 != 0:
                    yb[i] = pats[1]
            xb[n - 1], yb[n - 2] = pats[0], pats[1]
            for name in ("pow", "atan2"):
                t = getattr(torch, name)(torch.from_numpy(x.copy()), torch.from_numpy(y.copy()))
                e = getattr(ember, name)(ember.from_numpy(x.copy()), ember.from_numpy(y.copy()))
                nan = np.isnan(t.numpy())
                if not np.array_equal(_bits(t)[nan], _bits(e)[nan]) or \
                        not np.array_equal(nan, np.isnan(e.numpy())):
                    bad.append((dt.__name__, n, name))
    assert not bad, bad
