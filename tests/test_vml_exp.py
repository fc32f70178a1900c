"""float32 ``exp`` as PyTorch's CPU kernel (MKL's ``vsExp``) rounds it: ``ember._ops._vml``.

Where ``_vml.emulated()`` (the measured processor, on which MKL runs its generic kernel),
ember's float32 exp -- function, method, in-place, ``out=``, any layout and size, gradients
-- must be PyTorch's bit for bit, NaN bits included; elsewhere it is NumPy's float64 result
rounded once.
"""
from __future__ import annotations

import platform

import numpy as np
import pytest

import ember
from ember import _cpuinfo
from ember._ops import _vml

torch = pytest.importorskip("torch")
from diff import unary_ways_in  # noqa: E402

exact = pytest.mark.skipif(
    not (_vml.emulated() and torch.backends.mkl.is_available()),
    reason="PyTorch's MKL exp is reproduced only on the measured processor")

FUNCS = {"exp": (_vml.exp, torch.exp)}


def _bits(a):
    return np.ascontiguousarray(np.asarray(a, np.float32)).view(np.uint32)


def _same(e, t):
    e = e.detach().numpy() if hasattr(e, "detach") else np.asarray(e)
    t = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert e.shape == t.shape and e.dtype == t.dtype
    bad = _bits(e) != _bits(t)
    assert not bad.any(), f"{int(bad.sum())} of {t.size} differ, e.g. {e[bad][:3]} vs {t[bad][:3]}"


def _f32(*h):
    return np.array(h, np.uint32).view(np.float32)


def _inputs(name, r):
    """Per function: its working range, every bit pattern, the edges of its vector path,
    subnormals and special values (NaNs with payloads and both signs)."""
    special = np.concatenate([
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0 ** -149, -2.0 ** -149,
                  2.0 ** -126, 3.4028235e38, -3.4028235e38], np.float32),
        _f32(0x7FC00001, 0xFFC12345, 0x7F800001, 0xFF812345)])
    spread = r.integers(0, 1 << 32, 150_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    sub = r.integers(1, 1 << 23, 20_000).astype(np.uint32).view(np.float32)
    if name == "exp":  # (the one function here so far)
        # the scalar path starts above |x| = 0x42aeac4f; overflow at 88.72, zero below -103.97
        edge = np.concatenate([np.arange(0x42AEAC00, 0x42AEAD00), np.arange(0x42B17180,
                               0x42B17280), np.arange(0x42CFF100, 0x42CFF200)]).astype(np.uint32)
        edge = np.concatenate([edge, edge | np.uint32(0x80000000)]).view(np.float32)
        body = [r.uniform(-88, 88, 150_000), r.uniform(-104, -87, 30_000),
                r.uniform(-1e-3, 1e-3, 20_000)]
    body = [np.asarray(b, np.float32) for b in body]
    return np.concatenate(body + [edge, spread, sub, -sub, special])


@exact
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_bitwise(name):
    mine, ref = FUNCS[name]
    x = _inputs(name, np.random.default_rng(len(name)))
    with np.errstate(all="ignore"):
        _same(mine(x), ref(torch.from_numpy(x)))


@exact
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_api_paths(name):
    r = np.random.default_rng(3)
    x = (r.standard_normal((37, 53)) * 4).astype(np.float32)
    unary_ways_in(name, x, _same, sizes=(0, 1, 3, 7, 15, 16, 17))


@exact
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_gradients(name):
    r = np.random.default_rng(4)
    x = (r.standard_normal(500) * 3).astype(np.float32)
    g = r.standard_normal(500).astype(np.float32)
    e = ember.from_numpy(x.copy()).requires_grad_()
    t = torch.from_numpy(x.copy()).requires_grad_()
    getattr(e, name)().backward(ember.from_numpy(g))
    getattr(t, name)().backward(torch.from_numpy(g))
    _same(e.grad, t.grad)


def test_exp_table():
    hi, lo = _vml._exp_table()
    j = np.arange(128)
    assert (hi == (2.0 ** (j / 128)).astype(np.float32)).all()
    # lo: the rest, to within half its ulp (plus float64's error in 2**(j/128))
    err = np.abs(hi.astype(np.float64) + lo - 2.0 ** (j / 128))
    assert (err <= np.abs(lo) * 2.0 ** -24 + 2.0 ** -52).all()


def test_gating(monkeypatch):
    expected = platform.machine().lower() in ("x86_64", "amd64") and \
        _cpuinfo.model_id() in _vml._MEASURED
    assert _vml.emulated() == expected
    r = np.random.default_rng(6)
    x = (r.standard_normal(5000) * 20).astype(np.float32)
    ref = {"exp": np.exp}
    monkeypatch.setattr(_vml, "emulated", lambda: False)
    monkeypatch.setattr(_vml, "intel_sqrt", lambda: False)  # (its kernel: test_vml_intel_exp)
    with np.errstate(all="ignore"):
        for name, (mine, _) in FUNCS.items():
            # elsewhere: NumPy's float64 result rounded once; other dtypes: NumPy's
            _same(mine(x), ref[name](x.astype(np.float64)).astype(np.float32))
            x64 = x.astype(np.float64)
            assert (np.isnan(mine(x64)) == np.isnan(ref[name](x64))).all()
            np.testing.assert_array_equal(mine(x64), ref[name](x64))
