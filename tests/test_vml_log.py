"""float32 ``log`` and ``log2`` as PyTorch's CPU kernels (MKL's ``vsLn``, ``vsLog2``) round
them: ``ember._ops._vml``.

Where ``_vml.emulated()`` (the measured processor, on which MKL runs its generic kernels),
ember's float32 log and log2 -- function, method, in-place, ``out=``, any layout and size,
gradients, logsumexp -- must be PyTorch's bit for bit, NaN bits included; elsewhere they are
NumPy's float64 results rounded once.  ``EMBER_EXHAUSTIVE=1`` checks every float32 bit pattern.
Also float32 ``sin``, ``cos``, ``tan``, ``atan``, ``asin``, ``acos`` (MKL's ``vsSin``...), the
same way.  Where MKL's kernels read tables of MKL's own data (log2 of subnormals, tan past
10000), ember does not copy them and those values need only be within an ulp.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import ember
from ember._ops import _vml

torch = pytest.importorskip("torch")
from diff import unary_ways_in  # noqa: E402

exact = pytest.mark.skipif(
    not (_vml.emulated() and torch.backends.mkl.is_available()),
    reason="PyTorch's MKL log is reproduced only on the measured processor")

FUNCS = {"log": (_vml.log, torch.log, np.log), "log2": (_vml.log2, torch.log2, np.log2)}


def _bits(a):
    return np.ascontiguousarray(np.asarray(a, np.float32)).view(np.uint32)


def _not_copied(name, x):
    """The inputs whose kernel path reads a table of MKL's own data, which ember does not
    copy: within an ulp there."""
    x = np.asarray(x)
    if name == "log2":
        return (x > 0) & (x < np.float32(2.0 ** -126))
    if name == "tan":
        return np.isfinite(x) & (np.abs(x) > np.float32(10000))
    return np.zeros(x.shape, bool)


def _same(e, t, loose=None):
    """Bit for bit; on ``loose`` (a mask) within an ulp."""
    e = e.detach().numpy() if hasattr(e, "detach") else np.asarray(e)
    t = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert e.shape == t.shape and e.dtype == t.dtype
    bad = _bits(e) != _bits(t)
    if loose is not None:
        ulps = np.abs(_bits(e).astype(np.int64) - _bits(t).astype(np.int64))
        assert (ulps[loose & bad] <= 1).all()
        bad &= ~loose
    assert not bad.any(), f"{int(bad.sum())} of {t.size} differ, e.g. {e[bad][:3]} vs {t[bad][:3]}"


def _f32(*h):
    return np.array(h, np.uint32).view(np.float32)


def _inputs(r):
    """Every exponent (random fractions), around 1 and the fraction boundaries the kernels
    split at, subnormals, and special values (NaNs with payloads and both signs)."""
    special = np.concatenate([
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, 0.5, 2.0 ** -149,
                  -2.0 ** -149, 2.0 ** -126, 3.4028235e38, -3.4028235e38], np.float32),
        _f32(0x7FC00001, 0xFFC12345, 0x7F800001, 0xFF812345, 0x007FFFFF, 0x3F2AAAAB,
             0x3F2AAAAA)])
    # positive normal values over all exponents, with random fractions
    expo = r.integers(1, 255, 200_000).astype(np.uint32) << np.uint32(23)
    normal = (expo | r.integers(0, 1 << 23, 200_000).astype(np.uint32)).view(np.float32)
    spread = r.integers(0, 1 << 32, 50_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    sub = r.integers(1, 1 << 23, 30_000).astype(np.uint32).view(np.float32)
    near1 = (np.arange(-3000, 3000) + 0x3F800000).astype(np.uint32).view(np.float32)
    # log's reduction splits at 2/3 (0x3f2aaaab); log2's table at each 2**11 step
    split = (np.arange(-500, 500) + 0x3F2AAAAB).astype(np.uint32).view(np.float32)
    steps = ((np.arange(4096, dtype=np.uint32) << np.uint32(11)) | np.uint32(0x40000000))
    steps = np.concatenate([steps, steps - np.uint32(1)]).view(np.float32)
    body = [r.uniform(0, 10, 20_000), r.standard_normal(10_000)]
    body = [np.asarray(b, np.float32) for b in body]
    return np.concatenate(body + [normal, spread, sub, -sub, near1, split, steps, special])


@exact
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_bitwise(name):
    mine, ref, _ = FUNCS[name]
    x = _inputs(np.random.default_rng(len(name)))
    with np.errstate(all="ignore"):
        _same(mine(x), ref(torch.from_numpy(x)), _not_copied(name, x))


@exact
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_api_paths(name):
    r = np.random.default_rng(3)
    x = np.abs(r.standard_normal((37, 53)) * 4).astype(np.float32)
    x[0, :5] = [0.0, -1.0, np.inf, np.nan, 1e-40 if name == "log" else 1e-30]
    _api_paths(name, x, 1, 400)


def _api_paths(name, x, lo, hi):
    """``name`` through every way in, on the (37, 53) float32 ``x``, and on the integers
    ``lo`` to ``hi`` (computed in float32)."""
    unary_ways_in(name, x, _same, (lo, hi), start=5)


@exact
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_gradients(name):
    r = np.random.default_rng(4)
    x = np.abs(r.standard_normal(500) * 3).astype(np.float32) + np.float32(0.01)
    g = r.standard_normal(500).astype(np.float32)
    e = ember.from_numpy(x.copy()).requires_grad_()
    t = torch.from_numpy(x.copy()).requires_grad_()
    ye, yt = getattr(e, name)(), getattr(t, name)()
    _same(ye, yt)
    ye.backward(ember.from_numpy(g))
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-6)


@exact
def test_logsumexp():
    # exp and log as PyTorch's (MKL's), the sum in PyTorch's order: bit for bit
    r = np.random.default_rng(5)
    for shape, dim in (((200, 37), 1), ((5, 300), 0), ((7, 3, 50), (0, 2)), ((64,), 0)):
        for scale in (0.1, 1.0, 5.0, 30.0):
            x = (r.standard_normal(shape) * scale).astype(np.float32)
            _same(ember.logsumexp(ember.from_numpy(x), dim),
                  torch.logsumexp(torch.from_numpy(x), dim))


def test_log2_tables():
    y, hi, lo = _vml._log2_tables()
    # the estimate rounds rcp(m) * 1.4375 to an integer: within one of the exact rounding
    m = 1 + (np.arange(4096) + 0.5) / 4096
    assert (np.abs(y - np.round(184 / m)) <= 1).all() and y[0] == 184 and y[-1] == 92
    v = -120 - np.log2(y.astype(np.float64) / 1.4375)
    assert (hi * 16384 == np.round(hi * 16384)).all()
    assert (np.abs(hi.astype(np.float64) + lo - v) < 1e-11).all()


def test_gating(monkeypatch):
    r = np.random.default_rng(6)
    x = np.abs(r.standard_normal(5000) * 20).astype(np.float32)
    monkeypatch.setattr(_vml, "emulated", lambda: False)
    monkeypatch.setattr(_vml, "intel_sqrt", lambda: False)  # (its kernel: test_vml_intel_exp)
    with np.errstate(all="ignore"):
        for mine, _, ref in FUNCS.values():
            # elsewhere: NumPy's float64 result rounded once; other dtypes: NumPy's
            _same(mine(x), ref(x.astype(np.float64)).astype(np.float32))
            x64 = x.astype(np.float64)
            np.testing.assert_array_equal(mine(x64), ref(x64))


@exact
@pytest.mark.skipif(not os.environ.get("EMBER_EXHAUSTIVE"),
                    reason="minutes: set EMBER_EXHAUSTIVE=1 (the logs on all 2**32 floats)")
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_exhaustive(name):
    mine, ref, _ = FUNCS[name]
    for k in range(256):
        bits = np.arange(k << 24, (k + 1) << 24, dtype=np.int64).astype(np.uint32)
        x = bits.view(np.float32)
        with np.errstate(all="ignore"):
            got = mine(x).view(np.uint32)
        want = ref(torch.from_numpy(x)).numpy().view(np.uint32)
        _same(got.view(np.float32), want.view(np.float32), _not_copied(name, x))


# -- sin, cos --------------------------------------------------------------------------------

TRIG = {"sin": (_vml.sin, torch.sin, np.sin), "cos": (_vml.cos, torch.cos, np.cos),
        "tan": (_vml.tan, torch.tan, np.tan), "atan": (_vml.atan, torch.atan, np.arctan),
        "asin": (_vml.asin, torch.asin, np.arcsin), "acos": (_vml.acos, torch.acos, np.arccos)}


def _trig_inputs(r):
    special = np.concatenate([
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0 ** -149, -2.0 ** -149,
                  2.0 ** -126, 3.4028235e38, -3.4028235e38, 10000.0, -10000.0,
                  np.pi, np.pi / 2, -np.pi / 2, 3 * np.pi / 2], np.float32),
        _f32(0x7FC00001, 0xFFC12345, 0x7F800001, 0xFF812345, 0x461C4001, 0xC61C4001),
        # atan's interval edges and the ends of its vector path, and a few others
        _f32(*[e + d for e in (0x3EC00000, 0x3F3851EC, 0x3FE00000, 0x402C0001, 0x01000000,
                               0x7D000000, 0x4120DDFB, 0x407B8000, 0x3C600000, 0x27800000)
                for d in (-1, 0, 1)])])
    body = [r.uniform(-4, 4, 100_000), r.uniform(-1, 1, 100_000),
            1 - 10 ** r.uniform(-8, 0, 10_000), r.uniform(-100, 100, 100_000),
            r.uniform(-10000, 10000, 100_000), r.uniform(-1e-3, 1e-3, 10_000),
            r.uniform(-1e6, 1e6, 30_000)]
    # past 10000 (another path): every exponent, random fractions, both signs
    expo = r.integers(140, 255, 60_000).astype(np.uint32) << np.uint32(23)
    big = (expo | r.integers(0, 1 << 23, 60_000).astype(np.uint32)).view(np.float32)
    body += [big, -big[:20_000]]
    # near multiples of pi / 2, where the reduction cancels
    k = np.arange(-6366, 6367)
    body.append(np.repeat(k * (np.pi / 2), 3) + np.tile([-1e-4, 0, 1e-4], k.size))
    body = [np.asarray(b, np.float32) for b in body]
    return np.concatenate(body + [special])


@exact
@pytest.mark.parametrize("name", sorted(TRIG))
def test_trig_bitwise(name):
    mine, ref, _ = TRIG[name]
    x = _trig_inputs(np.random.default_rng(7))
    with np.errstate(all="ignore"):
        _same(mine(x), ref(torch.from_numpy(x)), _not_copied(name, x))


@exact
@pytest.mark.parametrize("name", sorted(TRIG))
def test_trig_api_paths(name):
    r = np.random.default_rng(10)
    x = (r.standard_normal((37, 53)) * 4).astype(np.float32)
    _api_paths(name, x, -50, 50)


def test_trig_gating(monkeypatch):
    x = (np.random.default_rng(11).standard_normal(5000) * 20).astype(np.float32)
    monkeypatch.setattr(_vml, "emulated", lambda: False)
    monkeypatch.setattr(_vml, "intel_sqrt", lambda: False)  # (sin, cos: test_vml_intel_tanh)
    with np.errstate(all="ignore"):
        for mine, _, ref in TRIG.values():
            _same(mine(x), ref(x.astype(np.float64)).astype(np.float32))
            np.testing.assert_array_equal(mine(x.astype(np.float64)), ref(x.astype(np.float64)))


@exact
@pytest.mark.skipif(not os.environ.get("EMBER_EXHAUSTIVE"),
                    reason="minutes: set EMBER_EXHAUSTIVE=1 (these on all 2**32 floats)")
@pytest.mark.parametrize("name", sorted(TRIG))
def test_trig_exhaustive(name):
    mine, ref, _ = TRIG[name]
    for k in range(256):
        x = np.arange(k << 24, (k + 1) << 24, dtype=np.int64).astype(np.uint32).view(np.float32)
        with np.errstate(all="ignore"):
            got = mine(x).view(np.uint32)
        want = ref(torch.from_numpy(x)).numpy().view(np.uint32)
        _same(got.view(np.float32), want.view(np.float32), _not_copied(name, x))


def test_rcpps():
    # the measured estimate: 12 bits, within 1.5 * 2**-12 relative, the exponent negated
    x = np.random.default_rng(13).uniform(-1e6, 1e6, 10_000).astype(np.float32)
    y = _vml._rcpps(x).astype(np.float64)
    assert (np.abs(y * x - 1) < 1.5 * 2.0 ** -12).all()
    assert (_vml._rcpps(x * np.float32(4)) == y.astype(np.float32) / 4).all()
    assert _vml._rcpps(np.float32([0.0, -0.0, 1e-40])).tolist() == [np.inf, -np.inf, np.inf]


def test_trig_tables():
    words, rows = _vml._trig_tables()
    # words: 1 / (2 pi) in binary, 0x0.28be60db9391054a7f09d5f4..., from bit e - 150 on
    assert list(words[150]) == [0x28BE60DB, 0x9391054A, 0x7F09D5F4]
    assert words[151, 0] == 0x517CC1B7 and list(words[100]) == [0, 0xA2F, 0x9836E4E4]
    assert (words[:54] == 0).all()
    t = 2 * np.pi * np.arange(256) / 256
    ca, sb, sc, cd = rows.T.astype(np.float64)
    assert (np.abs(sb + sc - np.sin(t)) < 1e-15).all()
    assert (np.abs(ca + cd - np.cos(t)) < 1e-7).all()
    nz = cd != 0
    assert (np.log2(np.abs(cd[nz])) == np.round(np.log2(np.abs(cd[nz])))).all()


@exact
def test_tan():
    r = np.random.default_rng(12)
    k = np.arange(-6366, 6367)
    x = np.concatenate([r.uniform(-2, 2, 100_000), r.uniform(-10000, 10000, 100_000),
                        np.repeat(k * (np.pi / 2), 3) + np.tile([-1e-4, 0, 1e-4], k.size),
                        [0.0, -0.0, 1e-40, -1e-40, np.inf, -np.inf, np.nan, 10000.0]])
    x = x.astype(np.float32)
    # past 10000 (another path): every exponent, random fractions, both signs
    expo = r.integers(140, 255, 60_000).astype(np.uint32) << np.uint32(23)
    big = (expo | r.integers(0, 1 << 23, 60_000).astype(np.uint32)).view(np.float32)
    x = np.concatenate([x, big, -big[:20_000], r.uniform(-1e6, 1e6, 20_000).astype(np.float32)])
    with np.errstate(all="ignore"):
        _same(_vml.tan(x), torch.tan(torch.from_numpy(x)), _not_copied("tan", x))
    e, t = ember.from_numpy(x[:999].reshape(27, 37)), torch.from_numpy(x[:999].reshape(27, 37))
    _same(ember.tan(e), torch.tan(t))
    _same(e.T.tan(), t.T.tan())
    e2, t2 = e.clone(), t.clone()
    e2.tan_()
    t2.tan_()
    _same(e2, t2)


@exact
@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window"])
def test_float32_windows(name):
    # PyTorch's float32 windows take cos_ of the phases: MKL's cos
    for n in (5, 64, 400, 1023):
        for periodic in (True, False):
            _same(getattr(ember, name)(n, periodic), getattr(torch, name)(n, periodic))
