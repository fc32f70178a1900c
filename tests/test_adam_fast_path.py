"""Adam's and AdamW's update on large CPU arrays (``_adam_flat``, with the fused product
``_fma32_into``), against PyTorch and against ember's generic update.

The moments must be PyTorch's bit for bit, the parameters within the usual tolerance
(PyTorch's float32 sqrt is MKL's, not correctly rounded), and every array bit for bit what the
generic block-by-block update (``_adam``) gives.  float64 keeps the generic update; it is
checked against PyTorch alongside (``exp_avg`` bit for bit, ``exp_avg_sq`` to 1e-14).
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import _random
from ember.optim import _functional as F

torch = pytest.importorskip("torch")

# (with blocks of 2**14 elements:) 40000 elements in three blocks, 2**15 in two whole ones,
# and a small array that keeps the generic update
SHAPES = [(200, 200), (1 << 15,), (7,)]
STEPS = 3


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch):
    monkeypatch.setattr(F, "_FLAT_BLOCK", 1 << 14)


def _grad(r, shape, dt, step):
    """Gradients with exact zeros, products in float32's subnormal range, and large values."""
    g = r.standard_normal(shape) * 10.0 ** r.uniform(-4, 0, shape)
    u = r.random(shape)
    g[u < 0.05] = 0.0
    g[(u >= 0.05) & (u < 0.08)] *= 1e-22          # (1 - beta2) * g * g below 2**-126
    g[(u >= 0.08) & (u < 0.09)] *= 1e-19 if step % 2 else 1e-40   # (and float32 subnormals)
    g[(u >= 0.09) & (u < 0.092)] *= 1e12 if dt == np.float32 else 1e150
    return g.astype(dt)


CASES = [("Adam", {}), ("Adam", dict(weight_decay=0.1)), ("Adam", dict(amsgrad=True)),
         ("Adam", dict(maximize=True)), ("Adam", dict(foreach=True)),
         ("Adam", dict(weight_decay=0.05, amsgrad=True, maximize=True, betas=(0.8, 0.99))),
         ("AdamW", {}), ("AdamW", dict(weight_decay=0.3, amsgrad=True)),
         ("AdamW", dict(maximize=True, foreach=True, eps=1e-3)),
         ("Adam", dict(betas=(0.3, 0.5), lr=0.1))]


def _id(case):
    name, kw = case
    return name + "".join(f"-{k}={v}" for k, v in kw.items())


def _run(lib, name, kw, dtype, seed, sync_from=None):
    """Steps of ``lib``'s optimizer; before each step the parameters can be set to another
    run's (so that a parameter differing by an ulp does not feed the next step's moments
    through coupled weight decay).  Returns the arrays after every step."""
    r = np.random.default_rng(seed)
    ws = [(r.standard_normal(s) * 0.05).astype(dtype) for s in SHAPES]
    ps = [lib.nn.Parameter(lib.from_numpy(w.copy())) for w in ws]
    opt = getattr(lib.optim, name)(ps, lr=kw.get("lr", 1e-2),
                                   **{k: v for k, v in kw.items() if k != "lr"})
    out = []
    for i in range(STEPS):
        if sync_from is not None and i:
            with lib.no_grad():
                for p, a in zip(ps, sync_from[i - 1]["p"]):
                    p.copy_(lib.from_numpy(a.copy()))
        for p, s in zip(ps, SHAPES):
            p.grad = lib.from_numpy(_grad(r, s, dtype, i))
        opt.step()
        got = {"p": [p.detach().numpy().copy() for p in ps]}
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            if key in opt.state[ps[0]]:
                got[key] = [opt.state[p][key].numpy().copy() for p in ps]
        out.append(got)
    return out


def _same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_moments_match_torch(case, dtype, monkeypatch):
    name, kw = case
    calls = []
    flat = F._adam_flat
    monkeypatch.setattr(F, "_adam_flat", lambda *a, **k: (calls.append(1), flat(*a, **k)))
    theirs = _run(torch, name, kw, dtype, seed=3)
    mine = _run(ember, name, kw, dtype, seed=3, sync_from=theirs)
    # the two large float32 parameters took the flat update (float64 keeps the generic one)
    assert len(calls) == (2 * STEPS if dtype == np.float32 else 0)
    for i, (t, e) in enumerate(zip(theirs, mine)):
        assert sorted(t) == sorted(e)
        for key in t:
            for j, (a, b) in enumerate(zip(t[key], e[key])):
                what = f"step {i}, {key}[{j}]"
                if key == "p":
                    np.testing.assert_allclose(b, a, rtol=2e-6, atol=5e-7, err_msg=what)
                elif dtype == np.float32 or key == "exp_avg":
                    assert _same_bits(a, b), what
                else:  # NOTE: ember's float64 addcmul_ rounds the product, then the sum
                    np.testing.assert_allclose(b, a, rtol=1e-14, atol=0, err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_flat_update_is_the_generic_one_bit_for_bit(case, monkeypatch):
    name, kw = case
    dtype = np.float32
    fast = _run(ember, name, kw, dtype, seed=11)
    monkeypatch.setattr(F, "_flat_ok", lambda *a: False)
    slow = _run(ember, name, kw, dtype, seed=11)
    for i, (a, b) in enumerate(zip(fast, slow)):
        for key in a:
            for j, (x, y) in enumerate(zip(a[key], b[key])):
                assert _same_bits(x, y), f"step {i}, {key}[{j}]"


def _special_state(r, n):
    """State arrays the flat update sees rarely: NaN, infinities, negative second moments."""
    v = np.abs(r.standard_normal(n)).astype(np.float32) * 1e-4
    v[::997] = np.nan
    v[5::1009] = np.inf
    v[7::1013] *= -1
    return v


def test_nonfinite_and_odd_state_match_the_generic_update():
    r = np.random.default_rng(5)
    n = 70000
    p0 = r.standard_normal(n).astype(np.float32)
    m0 = r.standard_normal(n).astype(np.float32) * 1e-3
    v0 = _special_state(r, n)
    g = r.standard_normal(n).astype(np.float32)
    g[::991] = np.nan
    g[3::1019] = np.inf
    g[4::1021] = -np.inf
    opts = dict(beta1=0.9, beta2=0.999, lr=1e-3, weight_decay=0.01, eps=1e-8, amsgrad=True,
                maximize=False, decoupled_weight_decay=False)
    got = []
    for flat_ok in (F._flat_ok, lambda *a: False):
        arrays = [a.copy() for a in (p0, m0, v0, v0)]
        saved, F._flat_ok = F._flat_ok, flat_ok
        try:
            with np.errstate(all="ignore"):
                F.adam(arrays[0], g, arrays[1], arrays[2], arrays[3], 3.0, **opts)
        finally:
            F._flat_ok = saved
        got.append(arrays)
    for x, y in zip(*got):
        assert _same_bits(x, y)


def test_numpy_scalar_options_keep_their_arithmetic():
    """A NumPy float64 learning rate or beta makes ``float32 array * scalar`` compute in
    float64 (NEP 50), so such options keep the generic update and its results."""
    r = np.random.default_rng(6)
    n = 50000
    arrays0 = [r.standard_normal(n).astype(np.float32) for _ in range(2)]
    arrays0.append(np.abs(arrays0[1]) * np.float32(1e-3))
    g = r.standard_normal(n).astype(np.float32)
    opts = dict(beta1=np.float64(0.9), beta2=np.float64(0.999), lr=np.float64(1e-3),
                weight_decay=np.float64(0.01), eps=1e-8, amsgrad=False, maximize=False,
                decoupled_weight_decay=True)
    got = []
    for flat_ok in (F._flat_ok, lambda *a: False):
        p, m, v = (a.copy() for a in arrays0)
        saved, F._flat_ok = F._flat_ok, flat_ok
        try:
            F.adam(p, g, m, v, None, 2.0, **opts)
        finally:
            F._flat_ok = saved
        got.append((p, m, v))
    for x, y in zip(*got):
        assert _same_bits(x, y)


# -- the fused product on its own -------------------------------------------------------------

def _crafted():
    """(a, b, c) whose float64 sum a*b + c lands exactly halfway between two float32 (the
    exact sum lies just above it), or in float32's subnormal range."""
    a = [25.0, 25.0, -25.0, 523265 * 2.0 ** -94, 1.5 * 2.0 ** -60, 2.0 ** -40]
    b = [1006633 * 2.0 ** -24, 1006633 * 2.0 ** -24, -1006633 * 2.0 ** -24, 525313 * 2.0 ** -94,
         2.0 ** -70, 2.0 ** -100]
    c = [2.0 ** -80, 2.0 ** -60, 2.0 ** -80, 2.0 ** -127, 3 * 2.0 ** -140, 2.0 ** -149]
    return (np.array(x, np.float32) for x in (a, b, c))


def test_fma32_into_matches_addcmul_and_screens(monkeypatch):
    r = np.random.default_rng(9)
    n = 4096
    g = (r.standard_normal(n) * 10.0 ** r.uniform(-6, 2, n)).astype(np.float32)
    a = (g * np.float32(0.001)).astype(np.float32)
    b = g.copy()
    c = np.abs(r.standard_normal(n)).astype(np.float32) * np.float32(1e-4)
    c[::50] = 0.0
    b[1::50] = 0.0
    seen = {"whole": 0, "fixes": 0}

    def counting(name, key):
        real = getattr(_random, name)

        def fn(*x):
            seen[key] += 1
            return real(*x)
        monkeypatch.setattr(_random, name, fn)

    counting("_fma32_flat", "whole")
    counting("_round_odd_fix", "fixes")

    def check(a, b, c):
        want = torch.addcmul(torch.from_numpy(c), torch.from_numpy(a),
                             torch.from_numpy(b)).numpy()
        out = np.empty_like(c)
        w1, w2 = np.empty(c.size), np.empty(c.size)
        with np.errstate(invalid="ignore", over="ignore"):
            got = _random._fma32_into(a, b, c, out, w1, w2)
        assert got is out
        assert _same_bits(out, want), np.nonzero(out != want)
        return dict(seen)

    assert check(a, b, c) == {"whole": 0, "fixes": 0}  # nothing to fix, nothing redone
    ca, cb, cc = _crafted()
    for i in range(len(ca)):
        aa, bb, c2 = a.copy(), b.copy(), c.copy()
        aa[100], bb[100], c2[100] = ca[i], cb[i], cc[i]
        before = dict(seen)
        after = check(aa, bb, c2)
        if i < 3:  # halfway: only that element is redone
            assert after == {"whole": before["whole"], "fixes": before["fixes"] + 1}, i
        else:  # float32's subnormal range: the whole array is
            assert after["whole"] == before["whole"] + 1, i
    # the first and fourth crafted cases are ones that a plain float64 sum rounds the wrong
    # way (halfway in float32's normal range; halfway between two float32 subnormals)
    for i, right in ((0, 1.5 + 2.0 ** -23), (3, 2.0 ** -127 + 2.0 ** -149)):
        s = np.float64(ca[i]) * np.float64(cb[i]) + np.float64(cc[i])
        assert np.float32(s) != np.float32(right)
        aa, bb, c2 = a.copy(), b.copy(), c.copy()
        aa[7], bb[7], c2[7] = ca[i], cb[i], cc[i]
        out = np.empty_like(c)
        with np.errstate(invalid="ignore", over="ignore"):
            _random._fma32_into(aa, bb, c2, out, np.empty(n), np.empty(n))
        assert out[7] == np.float32(right)
    for odd in (-1.0, np.nan):  # a negative addend, or NaN: the screens do not apply
        c3 = c.copy()
        c3[10] = odd
        whole = seen["whole"]
        assert check(a, b, c3)["whole"] == whole + 1


def test_eps_zero_on_zero_gradients_is_silent_nan_as_pytorch():
    import warnings

    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(3000))
        opt = lib.optim.Adam([p], lr=0.1, eps=0)
        p.grad = lib.zeros(3000)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            opt.step()
        assert bool(p.detach().isnan().all())
