"""float32 ``tanh`` as PyTorch's CPU kernel (MKL's ``vsTanh``) rounds it: ``ember._ops._vml``.

Where ``_vml.emulated()`` (the measured processor, on which MKL runs its generic kernel),
ember's float32 tanh -- function, method, in-place, ``out=``, any layout and size, nn.Tanh,
tanhshrink, the RNN cells, gradients -- must be PyTorch's bit for bit, NaN bits included;
elsewhere it is NumPy's float64 result rounded once.  ``EMBER_EXHAUSTIVE=1`` checks every
float32 bit pattern.  Also erfinv's NaN bits, and float32 asinh and acosh (the C library's
asinhf, acoshf: ``ember._ops._libm``).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import ember
from ember._ops import _vml

torch = pytest.importorskip("torch")

def _libm_emulated():
    from ember._ops import _libm
    return _libm.emulated_log1pf()


exact = pytest.mark.skipif(
    not (_vml.emulated() and torch.backends.mkl.is_available()),
    reason="PyTorch's MKL tanh is reproduced only on the measured processor")


def _bits(a):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    return np.ascontiguousarray(a).view(np.uint32)


def _same(e, t):
    be, bt = _bits(e), _bits(t)
    assert be.shape == bt.shape and be.dtype == bt.dtype
    bad = be != bt
    assert not bad.any(), f"{int(bad.sum())} of {bt.size} differ, e.g. " \
        f"{be[bad][:3].view(np.float32)} vs {bt[bad][:3].view(np.float32)}"


def _inputs():
    r = np.random.default_rng(7)
    u32 = np.uint32
    # the rows' edges: |x| = 2**e (1 + j/4) from 0.125 to 10 (and the next one, 12), both sides
    edges = 0x3E000000 + (np.arange(27, dtype=np.int64) << 21)
    near = (edges[:, None] + np.arange(-300, 300)).reshape(-1)
    bits = np.concatenate([
        r.integers(0, 1 << 32, 100_000, dtype=np.uint64),            # every exponent
        near, r.integers(1, 1 << 23, 5_000),                           # edges, subnormals
        np.array([0, 0x7F800000, 0x7FC00000, 0x7FC00001, 0x7F800001, 0x7F7FFFFF, 0x7F000000,
                  0x7F200000, 0x00800000, 0x41200000, 0x413FFFFF, 0x41400000])])
    bits = bits.astype(u32)
    body = [r.uniform(-12, 12, 80_000), r.standard_normal(50_000),
            r.uniform(-0.2, 0.2, 30_000), r.uniform(-1e-3, 1e-3, 10_000)]
    x = np.concatenate([bits, bits | u32(0x80000000)]).view(np.float32)
    return np.concatenate([x] + [np.asarray(b, np.float32) for b in body])


@exact
def test_bitwise():
    x = _inputs()
    with np.errstate(all="ignore"):
        _same(_vml.tanh(x), torch.tanh(torch.from_numpy(x)))


@exact
def test_api_paths():
    r = np.random.default_rng(3)
    x = (r.standard_normal((37, 53)) * 3).astype(np.float32)
    e, t = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
    _same(ember.tanh(e), torch.tanh(t))
    _same(e.tanh(), t.tanh())
    _same(e.t().tanh(), t.t().tanh())
    _same(e[:, ::3].tanh(), t[:, ::3].tanh())
    _same(e[2, 5].tanh(), t[2, 5].tanh())
    e2, t2 = e.clone(), t.clone()
    e2.tanh_()
    t2.tanh_()
    _same(e2, t2)
    oe, ot = ember.empty(37, 53), torch.empty(37, 53)
    ember.tanh(e, out=oe)
    torch.tanh(t, out=ot)
    _same(oe, ot)
    _same(ember.nn.Tanh()(e), torch.nn.Tanh()(t))
    _same(ember.nn.functional.tanh(e), torch.nn.functional.tanh(t))
    _same(ember.nn.functional.tanhshrink(e), torch.nn.functional.tanhshrink(t))
    # the gradient (PyTorch's own 1 - y*y on MKL's y)
    g = r.standard_normal((37, 53)).astype(np.float32)
    ea, ta = e.clone().requires_grad_(), t.clone().requires_grad_()
    ea.tanh().backward(ember.from_numpy(g))
    ta.tanh().backward(torch.from_numpy(g))
    _same(ea.grad, ta.grad)


def _copy(me, mt):
    me.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in mt.state_dict().items()})


@exact
@pytest.mark.parametrize("cls,kw", [("RNN", {}), ("GRU", {}), ("LSTM", {"proj_size": 3})])
def test_rnn(cls, kw):
    torch.manual_seed(0)
    mt = getattr(torch.nn, cls)(7, 5, num_layers=2, **kw)
    me = getattr(ember.nn, cls)(7, 5, num_layers=2, **kw)
    _copy(me, mt)
    x = (np.random.default_rng(1).standard_normal((6, 4, 7)) * 2).astype(np.float32)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ot, _ = mt(torch.from_numpy(x))
        oe, _ = me(ember.from_numpy(x))
    _same(oe, ot)
    ot.sum().backward()
    oe.sum().backward()
    _same(me.weight_ih_l0.grad, mt.weight_ih_l0.grad)


@exact
@pytest.mark.parametrize("cls", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cells(cls):
    torch.manual_seed(1)
    mt, me = getattr(torch.nn, cls)(7, 5), getattr(ember.nn, cls)(7, 5)
    _copy(me, mt)
    x = (np.random.default_rng(2).standard_normal((4, 7)) * 2).astype(np.float32)
    ot, oe = mt(torch.from_numpy(x)), me(ember.from_numpy(x))
    for a, b in zip(oe if isinstance(oe, tuple) else (oe,), ot if isinstance(ot, tuple) else (ot,)):
        _same(a, b)


def test_table_is_minimax():
    """Each row is a polynomial close to tanh on its interval (relative error below the
    widest row's 7.8e-10), and the last row is 1."""
    cols = _vml._tanh_table()
    rows = np.stack(cols, 1)
    assert rows.shape == (27, 7) and (rows[26] == [1, 0, 0, 0, 0, 0, 0]).all()
    ld = np.longdouble
    for r in range(26):
        lo = 0.0 if r == 0 else float(np.uint32(0x3DE00000 + (r << 21)).view(np.float32))
        hi = float(np.uint32(0x3DE00000 + ((r + 1) << 21)).view(np.float32))
        a = np.linspace(max(lo, 1e-6), hi, 501).astype(ld)
        p = np.polynomial.polynomial.polyval(a, rows[r].astype(ld))
        assert np.abs(p / np.tanh(a) - 1).max() < 8e-10, r


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="derived in 80-bit long double")
def test_stored_table_is_the_derived_one():
    """The rows ember ships are those its Remez exchange derives (not data from elsewhere)."""
    stored, derived = np.stack(_vml._tanh_table(), 1), _vml._tanh_rows()
    if _vml.emulated():
        np.testing.assert_array_equal(stored, derived)
        return
    # NOTE: the exchange derives other last bits on other processors (seen on an Intel Xeon:
    # its long double tanh and cos are the C library's, a few ulps off, on the x87 unit), and
    # the ill-conditioned solve moves a coefficient by up to ~1e-6 relative: elsewhere the
    # rows must be the same polynomials (to float64's rounding)
    for r in range(26):
        lo, hi = (0.0, 0.125) if r == 0 else (
            float(np.uint32(0x3DE00000 + (s << 21)).view(np.float32)) for s in (r, r + 1))
        a = np.linspace(lo, hi, 1001)
        p, q = (np.polynomial.polynomial.polyval(a, rows[r]) for rows in (stored, derived))
        np.testing.assert_allclose(p, q, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(stored[26], derived[26])


def test_fallback_and_other_dtypes(monkeypatch):
    x = np.random.default_rng(5).standard_normal(1000).astype(np.float32) * 4
    np.testing.assert_array_equal(_vml.tanh(x.astype(np.float64)), np.tanh(x.astype(np.float64)))
    monkeypatch.setattr(_vml, "emulated", lambda: False)
    monkeypatch.setattr(_vml, "intel_sqrt", lambda: False)   # (its rows: _tanh_intel)
    np.testing.assert_array_equal(_vml.tanh(x), np.tanh(x.astype(np.float64)).astype(np.float32))


@exact
@pytest.mark.skipif(not os.environ.get("EMBER_EXHAUSTIVE"),
                    reason="minutes: set EMBER_EXHAUSTIVE=1 (tanh on all 2**32 floats)")
def test_exhaustive():
    for k in range(256):
        x = np.arange(k << 24, (k + 1) << 24, dtype=np.int64).astype(np.uint32).view(np.float32)
        with np.errstate(all="ignore"):
            got = _vml.tanh(x)
        _same(got, torch.tanh(torch.from_numpy(x)))


@exact
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_erfinv_nan_bits(dtype):
    """erfinv outside [-1, 1] and of NaNs: PyTorch's NaN bits (float32: MKL's vsErfInv gives
    0xffc00000; NaNs keep their sign and payload, quieted)."""
    x = np.array([1.5, -2, np.inf, -np.inf, np.nan, -np.nan, 1, -1, 0, -0.0], np.float64)
    if dtype == "float64":
        x = np.concatenate([x, np.array([0x7FF8000000000001, 0xFFF0000000012345],
                                        np.uint64).view(np.float64)])
    x = x.astype(dtype)
    if dtype == "float32":
        x = np.concatenate([x, np.array([0x7FC00001, 0xFF812345], np.uint32).view(np.float32)])
    e = ember.erfinv(ember.from_numpy(x.copy())).numpy()
    t = torch.erfinv(torch.from_numpy(x.copy())).numpy()
    u = {2: np.uint16, 4: np.uint32, 8: np.uint64}[x.itemsize]
    np.testing.assert_array_equal(e.view(u), t.view(u))


@pytest.mark.skipif(not _libm_emulated(), reason="GNU libc's fdlibm asinhf/acoshf (x86-64, "
                    "libc before 2.41) are modelled; others round float64 results")
@pytest.mark.parametrize("name", ["asinh", "acosh"])
def test_libm_asinh_acosh(name):
    """float32 asinh, acosh: PyTorch's scalar loops over the C library's asinhf, acoshf."""
    r = np.random.default_rng(11)
    bits = r.integers(0, 1 << 32, 60_000, dtype=np.uint64).astype(np.uint32)
    x = np.concatenate([r.standard_normal(40_000) * 3, r.uniform(0.9, 2.5, 40_000),
                        np.exp(r.uniform(-20, 38, 20_000)),
                        [0, -0.0, np.inf, -np.inf, np.nan, 1, -1, 2, 2 ** 14, 2 ** 28]])
    x = np.concatenate([x.astype(np.float32), bits.view(np.float32)])
    fe, ft = getattr(ember, name), getattr(torch, name)
    with np.errstate(all="ignore"):
        _same(fe(ember.from_numpy(x.copy())), ft(torch.from_numpy(x.copy())))
        e, t = ember.from_numpy(x[:999].copy()), torch.from_numpy(x[:999].copy())
        getattr(e, name + "_")()
        getattr(t, name + "_")()
        _same(e, t)
        _same(getattr(ember.from_numpy(x[:1000].reshape(40, 25)).t(), name)(),
              getattr(torch.from_numpy(x[:1000].reshape(40, 25)).t(), name)())
