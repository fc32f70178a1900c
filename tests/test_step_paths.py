"""The fast paths of a training step, against PyTorch bit for bit.

- ``_vml.sqrt`` screens blocks by their least nonzero and largest bits, so blocks whose only
  scalar-path values are +0 (Adam's second moments of dead ReLU units) skip the masked fix-up;
  blocks with subnormals, -0, negatives, infinities or NaNs still take it.
- ``_sleef._fma32`` rounds small arrays through one float64 sum, screened for halfway and
  tiny sums (log_softmax's ``logf`` of the row sums runs on it).
- Adam on a network with dead units (zeros in ``exp_avg_sq``) through the flat update.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import ember
from ember._ops import _sleef, _vml

torch = pytest.importorskip("torch")

exact_sqrt = pytest.mark.skipif(
    not (_vml.emulated() and torch.backends.mkl.is_available()),
    reason="PyTorch's MKL sqrt is reproduced only on the measured processor")


def _bits(a):
    return np.ascontiguousarray(np.asarray(a, np.float32)).view(np.uint32)


def _assert_same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    diff = int((_bits(got) != _bits(want)).sum())
    assert diff == 0, f"{diff} of {want.size} elements differ"


_ODD = np.array([2.0 ** -149, 1e-40, 2.0 ** -126 * 0.75, -0.0, -1.0, np.inf, -np.inf, np.nan,
                 3.4028235e38, 3.4e38], np.float32)


@exact_sqrt
@pytest.mark.parametrize("odd", [None, *range(len(_ODD))])
def test_sqrt_blocks_with_zeros(odd):
    r = np.random.default_rng(7 if odd is None else odd)
    n = 3 * _vml._BLOCK + 123  # several blocks and a short one
    x = (r.standard_normal(n) ** 2 * 1e-7).astype(np.float32)
    x[r.random(n) < 0.4] = 0  # +0: the vector path's own result
    if odd is not None:  # one scalar-path value in the second block only
        x[_vml._BLOCK + 17] = _ODD[odd]
    want = torch.sqrt(torch.from_numpy(x)).numpy()
    _assert_same(_vml.sqrt(x), want)
    out = np.full(n, 5, np.float32)
    assert _vml.sqrt(x, out=out) is out
    _assert_same(out, want)
    _assert_same(ember.from_numpy(x).sqrt().numpy(), want)


def _fma_exact(a, b, c):
    """float32 a * b + c rounded once, from the exact rational value (ties to even)."""
    out = []
    for x, y, z in zip(a.tolist(), b.tolist(), c.tolist()):
        v = Fraction(x) * Fraction(y) + Fraction(z)
        f = np.float32(float(v))  # within an ulp; pick the nearest of it and its neighbours
        cands = [f, np.nextafter(f, np.float32(np.inf)), np.nextafter(f, np.float32(-np.inf))]
        best = min(cands, key=lambda q: (abs(Fraction(float(q)) - v),
                                         int(np.array(q).view(np.uint32)) & 1))
        out.append(best)
    return np.array(out, np.float32)


@pytest.mark.parametrize("kind", ["normal", "halfway", "tiny", "zeros"])
def test_small_fma_rounds_once(kind):
    r = np.random.default_rng({"normal": 0, "halfway": 1, "tiny": 2, "zeros": 3}[kind])
    n = 300
    if kind == "normal":
        a, b, c = (r.standard_normal(n).astype(np.float32) for _ in range(3))
    elif kind == "halfway":
        # c + a*b = (1 + 2**-24 + 2**-70) * 2**k: the float64 sum lands on a float32
        # halfway point and would round to even, the exact value rounds up
        k, sign = r.integers(-20, 20, n).astype(np.float64), r.choice([-1.0, 1.0], n)
        a = (sign * -2.0 ** -24 * (1 + 2.0 ** -23) * 2 ** k).astype(np.float32)
        b = np.full(n, 1 - 2.0 ** -23, np.float32)
        c = (sign * (1 + 2.0 ** -23) * 2 ** k).astype(np.float32)
        plain = r.random(n) < 0.3
        a[plain] = r.standard_normal(int(plain.sum()))
    elif kind == "tiny":
        # a*b = 2**-150 - 2**-196 on an odd multiple of 2**-149: the float64 sum lands on a
        # subnormal float32 halfway point and would round to even, the exact value down
        sign = r.choice([-1.0, 1.0], n)
        a = (sign * 2.0 ** -75 * (1 + 2.0 ** -23)).astype(np.float32)
        b = np.full(n, 2.0 ** -75 * (1 - 2.0 ** -23), np.float32)
        c = (sign * (r.integers(512, 2 ** 21, n) * 2 + 1) * 2.0 ** -149).astype(np.float32)
    else:
        a = r.standard_normal(n).astype(np.float32)
        b = np.float32(0.5)
        c = np.where(r.random(n) < 0.5, -a * b, a).astype(np.float32)
    bb = np.broadcast_to(b, a.shape).astype(np.float32)
    _assert_same(_sleef._fma32(a, b, c), _fma_exact(a, bb, c))


@pytest.mark.parametrize("cols", [10, 3, 37])
def test_log_softmax_rows_bits(cols):
    """log_softmax along the last dim (Sleef's exp and log of the row sums) and
    cross-entropy's value and gradient, equal to PyTorch's bits; rows whose sums lie in
    [1, 1.5) (a zero exponent: exact zero products in ``logf``) included."""
    r = np.random.default_rng(cols)
    x = (r.standard_normal((64, cols)) * 3).astype(np.float32)
    x[::4, 1:] -= 30  # sums of about 1
    y = r.integers(0, cols, 64)
    out = {}
    for T in (torch, ember):
        xt = T.from_numpy(x.copy()).requires_grad_()
        ls = T.nn.functional.log_softmax(xt, 1)
        loss = T.nn.functional.cross_entropy(xt, T.from_numpy(y))
        loss.backward()
        out[T.__name__] = (ls.detach().numpy(), loss.detach().numpy(), xt.grad.numpy())
    for got, want in zip(out["ember"], out["torch"]):
        _assert_same(got, want)


@exact_sqrt
def test_adam_with_dead_units_is_bit_identical():
    """Adam's flat update on weights whose rows belong to dead ReLU units (zeros in
    ``exp_avg_sq``): every parameter equals PyTorch's after every step."""
    r = np.random.default_rng(3)
    x = r.random((32, 64), dtype=np.float32)
    y = r.integers(0, 10, 32)
    params = {}
    for T in (torch, ember):
        T.manual_seed(0)
        model = T.nn.Sequential(T.nn.Linear(64, 128), T.nn.ReLU(), T.nn.Linear(128, 10))
        with T.no_grad():
            model[0].bias[::2] = -100.0  # half the hidden units never fire
        opt = T.optim.Adam(model.parameters(), lr=1e-3)
        seen = []
        for _ in range(3):
            opt.zero_grad()
            T.nn.functional.cross_entropy(model(T.from_numpy(x)), T.from_numpy(y)).backward()
            opt.step()
            seen.append([p.detach().numpy().copy() for p in model.parameters()])
        if T is ember:
            v = opt.state[model[0].weight]["exp_avg_sq"].numpy()
            assert (v == 0).mean() > 0.4  # the path under test
        params[T.__name__] = seen
    for want, got in zip(params["torch"], params["ember"]):
        for w, g in zip(want, got):
            _assert_same(g, w)
