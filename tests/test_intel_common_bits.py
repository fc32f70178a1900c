"""float32 bits of common ops on the Intel processor ``_vml.intel_sqrt()`` names (family 6 model
167, AVX-512), where PyTorch's MKL runs other kernels than on the AMD EPYC ember was first
measured on.

A survey of the ops of ordinary training code (pointwise math, activations, softmax, losses,
reductions, normalisations, dropout, embedding, pooling, interpolation, forward and backward)
found ember's bits equal to PyTorch's there but for MKL's vector math functions erf, erfc,
erfinv, tan, atan, log2, log10 (AVX-512 kernels not modelled: ember's values are rounded from
float64, within an ulp), tanh (rows not yet derived), sqrt of x below 2**-102 (its residual
step is not scaled there yet), asin and acos.  asin and acos are now MKL's AVX-512 kernels
(``_vml._asin_block(x, intel=True)``): bit for bit on every |x| <= 1 (``EMBER_EXHAUSTIVE=1``),
NaNs and |x| > 1 included; log2's and erfinv's NaNs out of their domains are that processor's.
The tests needing PyTorch's bits skip elsewhere.
"""
from __future__ import annotations

import math
import os

import numpy as np
import pytest

import ember
from ember._ops import _rsqrt14, _vml

torch = pytest.importorskip("torch")
from diff import pinned_threads, unary_ways_in  # noqa: E402
from test_vml_exp import _bits, _same  # noqa: E402

intel = pytest.mark.skipif(
    not (_vml.intel_sqrt() and not _vml.emulated() and torch.backends.mkl.is_available()),
    reason="MKL's AVX-512 kernels are modelled on one Intel processor")


@pytest.fixture
def two_threads():
    yield from pinned_threads(torch, ember, 2)


def _asin_inputs(r):
    """|x| <= 1 (uniform, near +-1, near +-0.5 where the branches meet, every magnitude), bit
    patterns of every kind, special values and NaN payloads."""
    near1 = 1 - np.exp(r.uniform(-17, -1, 60_000))
    body = [r.uniform(-1, 1, 150_000), near1, -near1, r.uniform(0.49, 0.51, 20_000),
            np.exp(r.uniform(-100, 0, 20_000)) * r.choice([-1, 1], 20_000)]
    body = [np.asarray(b, np.float32) for b in body]
    bits = r.integers(0, 1 << 32, 100_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    edges = np.array([0x3F000000 + d for d in range(-3, 4)] + [0x3F800000 + d for d in
                     range(-3, 4)] + [0x2F800000 + d for d in range(-2, 3)], np.uint32)
    edges = np.concatenate([edges, edges | np.uint32(0x80000000)]).view(np.float32)
    special = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, np.inf, -np.inf, np.nan, 2.0 ** -149,
                        -(2.0 ** -149), 2.0 ** -126, 2.0, -2.0, 3.4e38], np.float32)
    nans = np.array([0x7FC12345, 0xFFC00001, 0x7F800001, 0xFF812345, 0x7FFFFFFF],
                    np.uint32).view(np.float32)
    return np.concatenate(body + [bits, edges, special, nans])


@intel
@pytest.mark.parametrize("name", ["asin", "acos"])
def test_asin_acos_bits(name):
    x = _asin_inputs(np.random.default_rng(41))
    want = getattr(torch, name)(torch.from_numpy(x))
    with np.errstate(all="ignore"):
        _same(getattr(_vml, name)(x), want)
    _same(getattr(ember, name)(ember.from_numpy(x)), want)


@intel
@pytest.mark.parametrize("name", ["asin", "acos"])
def test_asin_acos_api_paths(name, two_threads):
    r = np.random.default_rng(42)
    x = r.uniform(-1, 1, (37, 53)).astype(np.float32)
    x.reshape(-1)[:6] = [1.0, -1.0, 0.5, -0.5, 1.5, np.nan]
    unary_ways_in(name, x, _same, ints=(-1, 2))
    for v in x.reshape(-1)[:12]:   # 0-d tensors (the few-element path)
        _same(getattr(ember, name)(ember.tensor(v)), getattr(torch, name)(torch.tensor(v)))


@intel
@pytest.mark.parametrize("name", ["asin", "acos"])
def test_asin_acos_backward_bits(name):
    # the gradient is +-grad / sqrt(1 - x*x) from the input: PyTorch's bits, as the forward's
    r = np.random.default_rng(43)
    x = np.concatenate([r.uniform(-0.999, 0.999, 5000), 1 - np.exp(r.uniform(-12, -2, 500))])
    x = x.astype(np.float32)
    g = r.standard_normal(x.size).astype(np.float32)
    xt, xe = torch.from_numpy(x).requires_grad_(), ember.from_numpy(x.copy()).requires_grad_()
    yt, ye = getattr(torch, name)(xt), getattr(ember, name)(xe)
    yt.backward(torch.from_numpy(g))
    ye.backward(ember.from_numpy(g.copy()))
    _same(ye, yt)
    _same(xe.grad, xt.grad)


def test_intel_pieces():
    # runs everywhere: the fused multiply-add and the vrsqrt14ps estimate the Intel asin and
    # acos are built on, against a scalar fused multiply-add and the estimate's own module
    r = np.random.default_rng(44)
    a = r.standard_normal(20_000).astype(np.float32)
    b = r.standard_normal(20_000).astype(np.float32)
    c = r.standard_normal(20_000).astype(np.float32)
    # halfway cases: c = -round(a*b) + half an ulp of it, and its neighbours
    p = a.astype(np.float64) * b
    half = np.ldexp(np.float64(1), np.frexp(p)[1] - 25)
    c[:3000] = (half[:3000] - p[:3000]).astype(np.float32)
    got = _vml._fma(a, b, c)
    want = np.array([_vml._fma32(float(u), float(v), float(w)) for u, v, w in zip(a, b, c)],
                    np.float32)
    _same(got, want)
    _same(_vml._fma(a, np.float32(0.75), np.float32(-2)),
          np.array([_vml._fma32(float(u), 0.75, -2.0) for u in a], np.float32))
    w = np.concatenate([r.integers(0x00800000, 0x7F800000, 50_000).astype(np.uint32),
                        np.arange(1, 255, dtype=np.uint32) << np.uint32(23)]).view(np.float32)
    _same(_vml._rsqrt14_est(w.copy()), _rsqrt14.rsqrt14(w))


def test_intel_gating(monkeypatch):
    # runs everywhere: the Intel kernels where intel_sqrt() says so (within an ulp of the
    # exact values, the generic kernels' bits on 99% or more), else as before
    r = np.random.default_rng(45)
    x = np.concatenate([r.uniform(-1, 1, 20_000), [1.5, np.nan, 1.0, -1.0, 0.0]])
    x = x.astype(np.float32)
    monkeypatch.setattr(_vml, "emulated", lambda: False)
    monkeypatch.setattr(_vml, "intel_sqrt", lambda: True)
    for name, ref, block in (("asin", np.arcsin, _vml._asin_block),
                             ("acos", np.arccos, _vml._acos_block)):
        with np.errstate(all="ignore"):
            got = getattr(_vml, name)(x)
            _same(got, block(x, True))
            exact = ref(x.astype(np.float64))
        ok = ~np.isnan(exact)
        assert np.isnan(got[~ok]).all()
        assert (np.abs(got[ok] - exact[ok]) < np.spacing(np.abs(got[ok])) * 1.0).all()
        assert (_bits(got) == _bits(block(x))).mean() > 0.99
        assert getattr(_vml, name)(np.zeros((0, 3), np.float32)).shape == (0, 3)
        np.testing.assert_array_equal(getattr(_vml, name)(x[:5].astype(np.float64)),
                                      ref(x[:5].astype(np.float64)))
    monkeypatch.setattr(_vml, "intel_sqrt", lambda: False)
    with np.errstate(all="ignore"):
        _same(_vml.asin(x), np.arcsin(x.astype(np.float64)).astype(np.float32))
        _same(_vml.acos(x), np.arccos(x.astype(np.float64)).astype(np.float32))


@intel
@pytest.mark.skipif(not os.environ.get("EMBER_EXHAUSTIVE"),
                    reason="minutes: set EMBER_EXHAUSTIVE=1 (every |x| <= 1)")
@pytest.mark.parametrize("name", ["asin", "acos"])
def test_exhaustive(name):
    for sign in (0, 0x80000000):
        for lo in range(0, 0x3F800001, 1 << 23):
            b = np.arange(lo, min(lo + (1 << 23), 0x3F800001), dtype=np.int64)
            x = (b.astype(np.uint32) | np.uint32(sign)).view(np.float32)
            _same(getattr(_vml, name)(x), getattr(torch, name)(torch.from_numpy(x)))


# -- the survey's other findings -------------------------------------------------------------

@intel
@pytest.mark.parametrize("name", ["log2", "erfinv"])
def test_domain_nan_bits(name):
    # the NaN of an argument out of the domain: MKL's AVX-512 log2 gives +nan (0x7fc00000) for
    # x < 0 where its generic kernel and NumPy give -nan; its erfinv gives -nan (0xffc00000)
    # for |x| > 1 as on the AMD processor.  NaN arguments come back as themselves, quieted.
    r = np.random.default_rng(48)
    special = np.array([0x7FC00001, 0xFF812345, 0x7F800001, 0xFFC00000, 0x7FC00000,
                        0xBF800000, 0x80000001, 0xFF800000, 0x3FC00000, 0xBFC00000, 0,
                        0x80000000, 0x7F800000, 0x3F800000], np.uint32)
    bits = r.integers(0, 1 << 32, 50_000, dtype=np.uint64).astype(np.uint32)
    x = np.concatenate([special, bits]).view(np.float32)
    got = getattr(ember, name)(ember.from_numpy(x)).numpy()
    want = getattr(torch, name)(torch.from_numpy(x)).numpy()
    nan = np.isnan(want)
    assert np.isnan(got[nan]).all() and not np.isnan(got[~nan]).any()
    np.testing.assert_array_equal(_bits(got[nan]), _bits(want[nan]))
    assert _ulps(got[~nan], want[~nan]).max() <= 1
    for v in x[:14]:   # 0-d tensors
        e, t = ember.from_numpy(np.array(v)), torch.from_numpy(np.array(v))
        _same(getattr(ember, name)(e), getattr(torch, name)(t))

def _ulps(a, b):
    a, b = (np.asarray(v, np.float32).view(np.int32).astype(np.int64) for v in (a, b))
    return np.abs(np.where(a < 0, -(a & 0x7FFFFFFF), a) - np.where(b < 0, -(b & 0x7FFFFFFF), b))


@intel
def test_unmodelled_within_an_ulp():
    # MKL's AVX-512 erf, erfc, tan, atan, log2, log10 and PyTorch's own erfinv are not modelled
    # here: ember's values (NumPy's, rounded from float64) are within an ulp, and differ on
    # at most these fractions of typical inputs (the survey's counts, with some margin)
    r = np.random.default_rng(46)
    normal = (r.standard_normal(40_000) * 2).astype(np.float32)
    pos = np.exp(r.uniform(-10, 10, 40_000)).astype(np.float32)
    unit = r.uniform(-1, 1, 40_000).astype(np.float32)
    cases = {"erf": (normal, 0.06), "erfc": (normal, 0.12), "tan": (normal, 0.02),
             "atan": (normal, 0.001), "log2": (pos, 0.001), "log10": (pos, 0.001),
             "erfinv": (unit, 0.02)}
    for name, (x, frac) in cases.items():
        got = getattr(ember, name)(ember.from_numpy(x)).numpy()
        want = getattr(torch, name)(torch.from_numpy(x)).numpy()
        d = _ulps(got, want)
        assert d.max() <= 1 and (d != 0).mean() <= frac, (name, d.max(), (d != 0).mean())


def _steps(lib, x, tgt, w):
    """A few ops of an ordinary training step, forward and backward: every result."""
    F = lib.nn.functional
    xs = lib.from_numpy(x.copy()).requires_grad_()
    ws = lib.from_numpy(w.copy()).requires_grad_()
    h = F.layer_norm(xs, (x.shape[1],)) * ws
    a = F.gelu(h) + F.silu(h) + F.gelu(h, approximate="tanh") + F.mish(h) + F.elu(h) + \
        F.softplus(h) + F.selu(h) + F.leaky_relu(h, 0.1) + F.hardswish(h)
    b = F.batch_norm(a, None, None, training=True)
    g = F.group_norm(b.reshape(x.shape[0], 4, -1), 2)
    z = g.reshape(x.shape) * lib.sigmoid(h) + lib.tanh(h * 0.01) * lib.exp(h * 0.5)
    loss = F.cross_entropy(z, lib.from_numpy(tgt)) + F.mse_loss(z, h) + \
        F.binary_cross_entropy_with_logits(z, lib.sigmoid(h).detach()) + \
        F.kl_div(F.log_softmax(z, 1), F.softmax(h, 1).detach(), reduction="batchmean") + \
        F.smooth_l1_loss(z, h.detach()) + lib.logsumexp(z, 1).mean() + z.var(0).sum() + \
        z.std(1).mean() + z.norm() + lib.log(z.abs() + 1).sum() * 1e-3 + \
        lib.sqrt(z * z + 1).mean() + z.cumsum(1).mean()
    loss.backward()
    return [loss, z, xs.grad, ws.grad]


@intel
def test_common_training_ops_bits(two_threads):
    # the survey's finding for the ops of ordinary training code: PyTorch's bits here, forward
    # and backward, on this Intel processor as on the AMD one
    r = np.random.default_rng(47)
    for n, c in ((8, 16), (33, 40), (64, 100)):
        x = (r.standard_normal((n, c)) * 2).astype(np.float32)
        w = (r.standard_normal(c) * 0.5 + 1).astype(np.float32)
        tgt = r.integers(0, c, n)
        got, want = _steps(ember, x, tgt, w), _steps(torch, x, tgt, w)
        for e, t in zip(got, want):
            _same(e, t)


def test_survey_helpers():
    # runs everywhere: the ulp distance used above
    x = np.array([1.0, -1.0, 0.0, -0.0, 2.0 ** -149, -(2.0 ** -149)], np.float32)
    y = np.nextafter(x, np.float32(np.inf))
    assert _ulps(x, y).tolist() == [1, 1, 1, 1, 1, 1]
    assert _ulps(x, x).max() == 0 and math.isclose(float(x[0]), 1.0)
