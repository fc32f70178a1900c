"""float32 ``exp`` and ``log`` as MKL's AVX-512 kernels round them on the Intel processor
``_vml.intel_sqrt()`` names (``ember._ops._vml._exp_intel``, ``_log_intel``).

There ember's float32 exp and log -- function, method, in-place, ``out=``, any layout and
size -- must be PyTorch's bit for bit, NaN bits included; elsewhere (other processors) these
kernels are not used, and the tests that need PyTorch's bits skip, while the ones that do not
(the kernels' own arithmetic against a float64 reference, the tables) run everywhere.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember._ops import _vml

torch = pytest.importorskip("torch")
from diff import unary_ways_in  # noqa: E402

intel = pytest.mark.skipif(
    not (_vml.intel_sqrt() and not _vml.emulated() and torch.backends.mkl.is_available()),
    reason="MKL's AVX-512 exp and log are modelled on one Intel processor")

FUNCS = {"exp": (_vml.exp, torch.exp, _vml._exp_intel),
         "log": (_vml.log, torch.log, _vml._log_intel)}


from test_vml_exp import _bits, _same  # noqa: E402,F401  (bit-for-bit comparison)


def _u(lo, hi, step=1):
    return np.arange(lo, hi, step, dtype=np.int64).astype(np.uint32)


def _inputs(name, r):
    """Per function: its working range, a spread of every bit pattern, the edges of its paths,
    subnormals and special values (NaNs with payloads and both signs)."""
    special = np.concatenate([
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0 ** -149, -2.0 ** -149,
                  2.0 ** -126, 3.4028235e38, -3.4028235e38], np.float32),
        _u(0x7FC00001, 0x7FC00002).view(np.float32),
        np.array([0xFFC12345, 0x7F800001, 0xFF812345], np.uint32).view(np.float32)])
    spread = r.integers(0, 1 << 32, 200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    sub = r.integers(1, 1 << 23, 20_000).astype(np.uint32).view(np.float32)
    if name == "exp":
        # the vector path up to |x| = 0x42aeac4f, overflow at 88.72, zero below -103.97;
        # n/32 at its rounding points (x near multiples of ln 2 / 32)
        edge = np.concatenate([_u(0x42AEAC00, 0x42AEAD00), _u(0x42B17180, 0x42B17280),
                               _u(0x42CFF100, 0x42CFF200)])
        edge = np.concatenate([edge, edge | np.uint32(0x80000000)]).view(np.float32)
        k = np.arange(-4032, 4033)
        near = (k * (math.log(2) / 32)).astype(np.float32)
        near = np.concatenate([near, np.nextafter(near, np.float32(-np.inf)),
                               np.nextafter(near, np.float32(np.inf))])
        body = [r.uniform(-88, 88, 150_000), r.uniform(-20, 20, 100_000),
                r.uniform(-1e-2, 1e-2, 30_000), r.uniform(-104, -87, 20_000), near]
    else:
        # dense around 1 (the polynomial alone), the two paths' boundaries (2**126 and up
        # take another, and so do subnormals below 2**-127), zeros and negatives
        edge = np.concatenate([_u(0x3F7E0000, 0x3F810000, 3), _u(0x7E7FFF00, 0x7E810000),
                               _u(0x7F7F0000, 0x7F800002), _u(0x00000001, 0x00000100),
                               _u(0x001FFF00, 0x00200100), _u(0x003FF000, 0x00401000),
                               _u(0x007FFF00, 0x00800100)]).view(np.float32)
        body = [np.exp(r.uniform(-87, 88, 150_000)), r.uniform(0.5, 2, 150_000),
                r.uniform(0.97, 1.03, 50_000), -np.exp(r.uniform(-80, 80, 5_000))]
    body = [np.asarray(b, np.float32) for b in body]
    return np.concatenate(body + [edge, spread, sub, -sub, special])


@intel
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_bitwise(name):
    mine, ref, _ = FUNCS[name]
    x = _inputs(name, np.random.default_rng(len(name)))
    with np.errstate(all="ignore"):
        _same(mine(x), ref(torch.from_numpy(x)))


@intel
def test_log_every_fraction_near_one():
    # every float32 in [0.5, 2) once in 16: each row of the tables with both exponents
    x = _u(0x3F000000, 0x40000000, 16).view(np.float32)
    _same(_vml.log(x), torch.log(torch.from_numpy(x)))


@intel
def test_exp_every_97th():
    bits = _u(0, 0x42B00000, 97 * 8)
    x = np.concatenate([bits, bits | np.uint32(0x80000000)]).view(np.float32)
    _same(_vml.exp(x), torch.exp(torch.from_numpy(x)))


@intel
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_api_paths(name):
    r = np.random.default_rng(3)
    x = (r.standard_normal((37, 53)) * 4).astype(np.float32)
    if name == "log":
        x = np.abs(x) + np.float32(0.01)
    unary_ways_in(name, x, _same, sizes=(0, 1, 3, 7, 15, 16, 17, 33))
    fe, ft = getattr(ember, name), getattr(torch, name)
    big = (r.standard_normal(200_003) * 6).astype(np.float32)   # several blocks, odd tail
    if name == "log":
        big = np.abs(big)
    _same(fe(ember.from_numpy(big)), ft(torch.from_numpy(big)))


@intel
def test_logsumexp_and_gradients():
    r = np.random.default_rng(4)
    x = (r.standard_normal((64, 50)) * 3).astype(np.float32)
    _same(ember.logsumexp(ember.from_numpy(x), 1), torch.logsumexp(torch.from_numpy(x), 1))
    g = r.standard_normal(500).astype(np.float32)
    for name in FUNCS:
        v = np.abs(x.reshape(-1)[:500]) + np.float32(0.1)
        e = ember.from_numpy(v.copy()).requires_grad_()
        t = torch.from_numpy(v.copy()).requires_grad_()
        getattr(e, name)().backward(ember.from_numpy(g))
        getattr(t, name)().backward(torch.from_numpy(g))
        _same(e.grad, t.grad)


# -- everywhere: the kernels' arithmetic and tables, without PyTorch's bits ---------------------

@pytest.mark.parametrize("name", sorted(FUNCS))
def test_kernel_within_an_ulp(name):
    # the emulated kernel, run on any processor: within an ulp of the float64 result rounded
    # (the kernels are MKL's high-accuracy ones), NaN/inf/zero as the float64 function gives
    _, _, kernel = FUNCS[name]
    x = _inputs(name, np.random.default_rng(11))
    got = kernel(x, np.empty_like(x))
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x.astype(np.float64)).astype(np.float32)
    assert (np.isnan(got) == np.isnan(want)).all()
    ok = ~np.isnan(want)
    ulps = np.abs(_bits(got[ok]).astype(np.int64) - _bits(want[ok]).astype(np.int64))
    assert ulps.max() <= 1
    assert (ulps == 1).mean() < 0.01


def test_fix_halfway_rounds_once():
    # a * b + c in float64, nudged where it fell exactly halfway between two float32s, then
    # rounded to float32: the float32 fused multiply-add (checked against exact fractions)
    from fractions import Fraction

    r = np.random.default_rng(5)
    a = r.uniform(-1, 1, 4000).astype(np.float32)
    b = r.uniform(-1, 1, 4000).astype(np.float32)
    # c chosen so that a * b + c lies near halfway points: c = -a*b rounded + half an ulp + tiny
    p = a.astype(np.float64) * b
    c = (np.float32(1.5) - p).astype(np.float32)
    c[::2] = (np.float32(0.75) + (p[::2] * 2.0 ** -30)).astype(np.float32)
    d = a.astype(np.float64) * b + c
    u, h = np.empty(a.size, np.uint64), np.empty(a.size, np.bool_)
    got = _vml._fix_halfway(d, a, b, c, u, h).astype(np.float32)
    for i in range(0, a.size, 7):
        exact = Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(c[i]))
        lo = np.float32(float(exact))
        cands = [np.nextafter(lo, np.float32(-1)), lo, np.nextafter(lo, np.float32(2))]
        errs = [abs(Fraction(float(v)) - exact) for v in cands]
        best = min(errs)
        picks = [v for v, e in zip(cands, errs) if e == best]
        if len(picks) == 2:   # a true tie: to even
            picks = [v for v in picks if not (_bits(v) & 1)]
        assert got[i] == picks[0], (i, a[i], b[i], c[i])


def test_log_step_buckets():
    # the bucketed step count is np.searchsorted's, on every fraction near each step
    for second, steps in ((False, _vml._LOG_INTEL_Y), (True, _vml._LOG_INTEL_Y2)):
        f = np.concatenate([np.arange(-300, 300) + int(v) for v in steps] +
                           [np.arange(0, 1 << 23, 4099), [0, (1 << 23) - 1]])
        f = f[(f >= 0) & (f < 1 << 23)].astype(np.uint32)
        want = np.searchsorted(steps, f, side="right")
        table = _vml._log_intel_buckets(second)
        v = table[f >> 15]
        got = (v >> 24) + (f >= (v & 0xFFFFFF))
        assert (got == want).all()
    # the steps: Y falls by one at each, 32 of them, spaced wider than a bucket
    for steps in (_vml._LOG_INTEL_Y, _vml._LOG_INTEL_Y2):
        assert steps.size == 32 and (np.diff(steps.astype(np.int64)) > 1 << 15).all()


def test_tables():
    hi, lo = _vml._exp_intel_table()
    j = np.arange(32)
    assert (hi == (2.0 ** (j / 32)).astype(np.float32)).all()
    rel = hi.astype(np.float64) * (1 + lo.astype(np.float64)) / 2.0 ** (j / 32) - 1
    assert np.abs(rel).max() < 2.0 ** -46
    l2, a, b, a2, b2 = _vml._log_intel_tables()
    assert float(a[0]) == 0.0 and float(b[0]) == 0.0
    for ta, tb, shift in ((a, b, 0.0), (a2, b2, math.log(2))):
        want = shift - np.log1p(j / 32)
        assert (ta * 2.0 ** 15 == np.round(ta * 2.0 ** 15)).all()  # multiples of 2**-15
        err = np.abs(ta.astype(np.float64) + tb - want)
        assert (err <= np.abs(tb) * 2.0 ** -24 + 1e-16).all()   # tb: the rest, rounded
    assert abs(_vml._LOG_INTEL_L1 + float(l2) - math.log(2)) < float(l2) * 2.0 ** -24 + 1e-16
