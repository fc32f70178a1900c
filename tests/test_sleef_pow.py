"""float32 pow / exp2 / atan2 bit for bit against PyTorch's CPU kernels.

PyTorch's vector loop runs Sleef's ``powf_u10`` / ``exp2f_u10`` / ``atan2f_u10`` on blocks of
32 values; the tail of each inner loop (and of each thread's range) takes the C library's
function. Vector results must match to the bit; so must the tails where ember's model of the C
library function is exact: ``pow(float, double)`` for a number exponent, ``exp2f`` and
``powf`` are modelled in NumPy, ``atan2f`` called in the C library (and modelled, off in the
last bit for a small fraction, beyond 2**20 scalar values)."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _sleef, _vml

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.skipif(not _sleef.VECTORIZED, reason="scalar-only PyTorch build")

SPECIAL = np.array([0., -0., 1., -1., 0.5, -0.5, 2., -2., 3., -3., 2.5, -2.5, np.inf, -np.inf,
                    np.nan, 1e-45, -1e-45, 1e-40, 3.4e38, -3.4e38, 1e30, 1e-30, 16777216.,
                    16777218., 1e10, -1e10, 0.99999994, 1.0000001, 100., -100., 200., -200.,
                    127.5, -149.5, -150., -151., 128., -128., 2.9e-39, -2.9e-39, 88.7, -103.9],
                   np.float32)


def _bits_equal(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    k = a.dtype.itemsize
    same = a.view(np.uint8).reshape(a.shape + (k,)) == b.view(np.uint8).reshape(b.shape + (k,))
    return same.all(-1) | (np.isnan(a) & np.isnan(b))


def _run(fn, *arrays):
    t = fn(torch, *[torch.from_numpy(a.copy()) for a in arrays]).numpy()
    e = fn(ember, *[ember.from_numpy(a.copy()) for a in arrays]).numpy()
    return t, e


def _exact(fn, *arrays):
    t, e = _run(fn, *arrays)
    bad = ~_bits_equal(t, e)
    assert not bad.any(), (np.flatnonzero(bad)[:8], t[bad][:4], e[bad][:4])


def _grid():
    x, y = np.meshgrid(SPECIAL, SPECIAL, indexing="ij")
    n = x.size - x.size % 32
    return x.reshape(-1)[:n].copy(), y.reshape(-1)[:n].copy()


@pytest.mark.parametrize("e", [1.7, 2.5, -1.5, 0.1, 4, -3, 7.25, 1e-3, 1, 0, 0.5, -0.5, -1, 2, 3,
                               -2, 40.0])
def test_pow_number_exponent_lengths(e):
    rng = np.random.default_rng(1)
    for n in range(1, 71):
        x = (rng.standard_normal(n) * 2).astype(np.float32)
        if e == 0.5 and not _vml.emulated():
            # NOTE: pow(x, 0.5) is VML's sqrt, emulated on the measured processor only
            # (Intel's is not correctly rounded: an ulp off for ~1% of values)
            t, g = _run(lambda L, a: L.pow(a, e), x)
            np.testing.assert_array_equal(np.isnan(t), np.isnan(g))
            np.testing.assert_array_max_ulp(t[~np.isnan(t)], g[~np.isnan(g)], maxulp=1)
            continue
        _exact(lambda L, a: L.pow(a, e), x)


def test_pow_number_exponent_threads_and_specials():
    rng = np.random.default_rng(2)
    x = np.abs(rng.standard_normal(100003)).astype(np.float32)  # a tail at each thread's end
    _exact(lambda L, a: a ** 1.7, x)
    s = np.resize(SPECIAL, 96)
    for e in (1.7, -1.7, 3.0, -3.0, 2.5, 1e10, -1e10, 0.1):
        _exact(lambda L, a: a ** e, s)
    _exact(lambda L, a: a.pow(float("inf")), s)
    _exact(lambda L, a: a.pow(float("nan")), s)


def test_pow_tensor_tensor_vector_exact():
    rng = np.random.default_rng(3)
    for sx, sy in [(1, 1), (3, 4), (100, 0.3), (1, 30), (1e-30, 1), (1e30, 1)]:
        x = (rng.standard_normal(4096) * sx).astype(np.float32)
        y = (rng.standard_normal(4096) * sy).astype(np.float32)
        _exact(lambda L, a, b: L.pow(a, b), x, y)
    _exact(lambda L, a, b: L.pow(a, b), *_grid())
    _exact(lambda L, a, b: L.pow(a, b.round()), *_grid())


def test_pow_tensor_tensor_tails():
    rng = np.random.default_rng(4)
    for n in range(1, 71):
        x = (rng.standard_normal(n) * 3).astype(np.float32)
        y = (rng.standard_normal(n) * 2).astype(np.float32)
        _exact(lambda L, a, c: L.pow(a.abs(), c), x, y)
        _exact(lambda L, a, c: L.pow(a, c.round()), x, y)
    s = np.resize(SPECIAL, 31)
    _exact(lambda L, a, b: L.pow(a, b), s, s[::-1].copy())


def test_long_tails():
    """Many scalar values: atan2f from the C library, powf modelled (glibc's algorithm)."""
    rng = np.random.default_rng(14)
    x = np.abs(rng.standard_normal((5000, 33))).astype(np.float32)
    y = rng.standard_normal((5000, 33)).astype(np.float32)
    _exact(lambda L, a, b: L.atan2(b, a), x, y)
    _exact(lambda L, a, b: L.pow(a, b), x, y)
    x = (rng.standard_normal((70000, 2)) * 4).astype(np.float32)
    _exact(lambda L, a: 1.7 ** a, x)  # all 140000 values the C library's powf (modelled)
    x = np.resize(SPECIAL, (64, 2))
    _exact(lambda L, a, b: L.pow(a, b), x, x[::-1].copy())


def test_rpow():
    rng = np.random.default_rng(5)
    for base in (2.0, 2, 0.5, 10.0, 1.0, 0.0, -2.0, 3.7):
        for n in (1, 5, 31, 32, 33, 64, 65, 100):
            _exact(lambda L, a: base ** a, (rng.standard_normal(n) * 5).astype(np.float32))
        _exact(lambda L, a: base ** a, np.resize(SPECIAL, 64))
    x = (rng.standard_normal(4096) * 30).astype(np.float32)
    _exact(lambda L, a: 2.0 ** a, x)


def test_pow_broadcast_and_0d():
    rng = np.random.default_rng(6)
    for sa, sb in [((50, 1), (1, 64)), ((50, 64), (1, 64)), ((50, 64), (50, 1)), ((64,), (40, 64)),
                   ((), (64,)), ((64,), ()), ((), ())]:
        x = np.asarray(np.abs(rng.standard_normal(sa)) + 0.1, np.float32)
        y = np.asarray(rng.standard_normal(sb), np.float32)
        if max(x.size, y.size) >= 32:
            _exact(lambda L, a, b: L.pow(a, b), x, y)
            _exact(lambda L, a, b: L.atan2(a, b), x, y)
    x = np.abs(rng.standard_normal((40, 70))).astype(np.float32)
    y = rng.standard_normal((40, 70)).astype(np.float32)
    t, e = _run(lambda L, a, b: L.pow(a, b), x, y)  # rows of 70: columns 64.. are tails
    assert _bits_equal(t[:, :64], e[:, :64]).all()
    _exact(lambda L, a: a.t() ** 1.7, x)  # a transposed operand: its memory order
    _exact(lambda L, a: L.exp2(a[:, 3:]), x)


def test_exp2():
    rng = np.random.default_rng(7)
    for n in range(1, 71):
        _exact(lambda L, a: L.exp2(a), (rng.standard_normal(n) * 20).astype(np.float32))
    _exact(lambda L, a: L.exp2(a), np.resize(SPECIAL, 64))
    _exact(lambda L, a: L.exp2(a), np.linspace(-155, 130, 3200, dtype=np.float32))
    _exact(lambda L, a: L.exp2(a), (rng.standard_normal(100003) * 10).astype(np.float32))


def test_atan2_vector_exact():
    rng = np.random.default_rng(8)
    for sy, sx in [(1, 1), (1e3, 1e-3), (1e-3, 1e3), (1e-38, 1e-38), (1, 1e-39)]:
        y = (rng.standard_normal(4096) * sy).astype(np.float32)
        x = (rng.standard_normal(4096) * sx).astype(np.float32)
        _exact(lambda L, a, b: L.atan2(a, b), y, x)
    _exact(lambda L, a, b: L.atan2(a, b), *_grid())


def test_atan2_tails():
    rng = np.random.default_rng(9)
    for n in range(1, 71):
        y = (rng.standard_normal(n) * 2).astype(np.float32)
        x = rng.standard_normal(n).astype(np.float32)
        _exact(lambda L, a, c: L.atan2(a, c), y, x)
    s = np.resize(SPECIAL, 31)
    _exact(lambda L, a, b: L.atan2(a, b), s, s[::-1].copy())


@pytest.mark.xfail(reason="glibc 2.36's atan2f differs in the last bit from ember's NumPy model "
                          "of it (the classic float atanf, used past 4096 tail values) for "
                          "about 0.4% of inputs, most with |y/x| < 0.4375", strict=False)
def test_atan2_model_exact():
    rng = np.random.default_rng(10)
    x = rng.standard_normal(31 * 200).astype(np.float32)
    y = (x * rng.uniform(-0.43, 0.43, x.size)).astype(np.float32)
    want = torch.atan2(torch.from_numpy(y.reshape(200, 31)), torch.from_numpy(x.reshape(200, 31)))
    got = _sleef._c_atan2_model(y, x).reshape(200, 31)
    assert _bits_equal(want.numpy(), got).all()


def _grads(fn, *arrays):
    out = []
    for lib in (torch, ember):
        ts = [lib.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
        r = fn(lib, *ts)
        g = lib.from_numpy(np.linspace(0.5, 1.5, r.numel(), dtype=np.float32).reshape(r.shape))
        r.backward(g)
        out.append([r.detach().numpy()] + [t.grad.numpy() for t in ts])
    return out


@pytest.mark.parametrize("n", [5, 33, 70, 200])
def test_gradients(n):
    rng = np.random.default_rng(11 + n)
    x = (np.abs(rng.standard_normal(n)) + 0.1).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    for fn in (lambda L, a: a ** 2.5, lambda L, a: L.pow(a, -1.7), lambda L, a: 1.7 ** a,
               lambda L, a: L.exp2(a * 3)):
        t, e = _grads(fn, x)
        assert all(_bits_equal(p, q).all() for p, q in zip(t, e))
    t, e = _grads(lambda L, a, b: L.pow(a, b), x, y)  # d/dbase: b * a ** (b - 1)
    assert _bits_equal(t[1], e[1]).all()
    t, e = _grads(lambda L, a, b: L.atan2(a, b), (y * 3).astype(np.float32), x)
    assert all(_bits_equal(p, q).all() for p, q in zip(t, e))


def test_inplace():
    rng = np.random.default_rng(12)
    x = rng.standard_normal(77).astype(np.float32)
    a, b = torch.from_numpy(x.copy()), ember.from_numpy(x.copy())
    a.pow_(1.3)
    b.pow_(1.3)
    assert _bits_equal(a.numpy(), b.numpy()).all()
    a, b = torch.from_numpy(np.abs(x)), ember.from_numpy(np.abs(x))
    a **= 2.2
    b **= 2.2
    assert _bits_equal(a.numpy(), b.numpy()).all()


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_types(dt):
    rng = np.random.default_rng(13)
    x = np.abs(rng.standard_normal(1000)).astype(np.float32)
    y = rng.standard_normal(1000).astype(np.float32)
    for fn in (lambda L, a, b: a ** 1.7, lambda L, a, b: L.pow(a, b), lambda L, a, b: 2.5 ** b,
               lambda L, a, b: L.exp2(b * 5), lambda L, a, b: L.atan2(b, a)):
        t = fn(torch, *(torch.from_numpy(v).to(getattr(torch, dt)) for v in (x, y)))
        e = fn(ember, *(ember.from_numpy(v).to(getattr(ember, dt)) for v in (x, y)))
        assert str(e.dtype) == str(t.dtype)
        assert _bits_equal(t.float().numpy(), e.float().numpy()).all()


@pytest.mark.skipif(not _vml.emulated(),
                    reason="PyTorch's MKL log is reproduced only on the measured processor")
@pytest.mark.parametrize("seed", [15, 16, 17])
def test_pow_exponent_gradient(seed):
    # out * log(base), with PyTorch's float32 log (MKL's, ember._ops._vml.log)
    rng = np.random.default_rng(seed)
    x = (np.abs(rng.standard_normal(2000)) * 10 ** rng.uniform(-3, 3, 2000)).astype(np.float32)
    y = rng.standard_normal(2000).astype(np.float32)
    t, e = _grads(lambda L, a, b: L.pow(a, b), x, y)
    assert _bits_equal(t[2], e[2]).all()


def _same_bits(a, b):
    return (a.view(np.int32) == b.view(np.int32)) | (np.isnan(a) & np.isnan(b))


def test_fast_paths_match_the_emulation():
    """The float64 models (and the values they send to the emulation) against Sleef's
    arithmetic step by step, over operands of many scales and the special values."""
    rng = np.random.default_rng(16)
    n = 6000
    bits = rng.integers(0, 2 ** 32, (2, n), dtype=np.uint64).astype(np.uint32).view(np.float32)
    cases = [
        (np.abs(rng.standard_normal(n)).astype(np.float32), rng.standard_normal(n) * 2),
        (np.exp(rng.uniform(-80, 80, n)), rng.uniform(-1, 1, n)),
        (rng.uniform(0.999, 1.001, n), rng.standard_normal(n) * 3e4),
        (rng.standard_normal(n) * 3, np.round(rng.standard_normal(n) * 3)),
        (np.full(n, 2.0), rng.standard_normal(n) * 40),
        (bits[0], bits[1]),
        *[(np.resize(a, n), np.resize(b, n)) for a, b in [_grid()]],
    ]
    for x, y in cases:
        x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
        assert _same_bits(_sleef.powf(x, y), _sleef._powf_exact(x, y)).all()
        assert _same_bits(_sleef.atan2f(y, x), _sleef._atan2f_exact(y, x)).all()
        with np.errstate(all="ignore"):
            d = y * np.float32(4)
        assert _same_bits(_sleef.exp2f(d), _sleef._exp2f_exact(d)).all()
    x = np.abs(rng.standard_normal(n)).astype(np.float32)
    e = np.float32(1.7)
    assert _same_bits(_sleef.powf(x, e), _sleef._powf_exact(x, e)).all()


def test_atan2_results_just_above_the_normal_range():
    """|atan2| just above 2**-126: Sleef's ratio is rounded there (the float64 atan2 is not
    its result)."""
    rng = np.random.default_rng(17)
    x = np.exp(rng.uniform(20, 80, 4096)).astype(np.float32)
    y = (x * np.exp(rng.uniform(-88, -80, 4096)) * rng.choice([-1, 1], 4096)).astype(np.float32)
    _exact(lambda L, a, b: L.atan2(a, b), y, x)


def test_thread_ranges():
    """A result of 32768 values or more: one range per thread, each with its own tail."""
    rng = np.random.default_rng(18)
    x = np.abs(rng.standard_normal(70001)).astype(np.float32) + np.float32(0.1)
    y = rng.standard_normal(70001).astype(np.float32)
    _exact(lambda L, a, b: L.pow(a, b), x, y)
    _exact(lambda L, a, b: L.atan2(b, a), x, y)
    _exact(lambda L, a: L.exp2(a * 10), y)
    _exact(lambda L, a: 1.5 ** a, y)
