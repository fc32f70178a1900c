"""float32 ``tanh`` as MKL's AVX-512 kernel rounds it on the Intel processor
``_vml.intel_sqrt()`` names (``_vml._tanh_intel``).

ember claims PyTorch's bits there only in the rows of ``_vml._TANH_INTEL_ROWS`` (coefficients
derived black-box from PyTorch's outputs, each row verified on all its floats, both signs) and
for |x| >= 10 (+-1), infinities and NaNs; elsewhere its tanh is NumPy's float64 result rounded
once (within an ulp).  The tests needing PyTorch's bits skip on other processors;
``EMBER_EXHAUSTIVE=1`` sweeps every float of every claimed row.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import ember
from ember._ops import _vml

torch = pytest.importorskip("torch")
from test_vml_exp import _bits, _same  # noqa: E402

intel = pytest.mark.skipif(
    not (_vml.intel_sqrt() and not _vml.emulated() and torch.backends.mkl.is_available()),
    reason="MKL's AVX-512 tanh is modelled on one Intel processor")


def _row_bits(k):
    """[lo, hi) bit patterns of |x| in row ``k`` of the kernel."""
    if k == 0:
        return 0, 0x3D600000
    lo = 0x3D400000 + (k << 21)
    return lo, lo + (1 << 21)


def _claimed():
    return sorted(_vml._TANH_INTEL_ROWS)


def _tanh_torch(x):
    return torch.tanh(torch.from_numpy(x)).numpy()


def _sample(r, rows, n):
    parts = [np.zeros(0, np.int64)]
    for k in rows:
        lo, hi = _row_bits(k)
        edge = np.concatenate([np.arange(lo, lo + 64), np.arange(hi - 64, hi)])
        parts += [r.integers(lo, hi, n), edge]
    b = np.concatenate(parts).astype(np.uint32)
    return np.concatenate([b, b | np.uint32(0x80000000)]).view(np.float32)


def test_table_shape():
    rows = _vml._TANH_INTEL_ROWS
    assert set(rows) <= set(range(31))
    for k, v in rows.items():
        assert len(v) == 8 and all(0 <= c < 2 ** 32 for c in v), k
    b = [_vml._tanh_intel_b(k) for k in range(31)]
    assert b[0] == 0 and b[30] == 9 and b[13] == 0.46875
    assert all(float(np.float32(v)) == v for v in b)
    if not (_vml.intel_sqrt() and not _vml.emulated()):
        assert not _vml.intel_tanh_exact()
    else:
        assert _vml.intel_tanh_exact() == (len(rows) == 31)


@intel
def test_claimed_rows_bits():
    r = np.random.default_rng(71)
    assert len(_claimed()) >= 22
    x = _sample(r, _claimed(), 20_000)
    ref = _tanh_torch(x)
    # (the sample tells the kernel from float64's rounding: those differ on ~1% of it)
    assert (_bits(np.tanh(x.astype(np.float64)).astype(np.float32)) != _bits(ref)).sum() > 1000
    _same(_vml.tanh(x), ref)
    _same(ember.tanh(ember.from_numpy(x)), torch.tanh(torch.from_numpy(x)))


@intel
def test_other_rows_within_an_ulp():
    r = np.random.default_rng(72)
    x = _sample(r, [k for k in range(31) if k not in _vml._TANH_INTEL_ROWS], 3_000)
    e, t = _bits(_vml.tanh(x)).astype(np.int64), _bits(_tanh_torch(x)).astype(np.int64)
    assert np.abs(e - t).max(initial=0) <= 1


@intel
def test_specials_and_big():
    r = np.random.default_rng(73)
    big = r.integers(0x41200000, 0x7F800000, 20_000).astype(np.uint32)
    nans = np.array([0x7FC00000, 0x7F800001, 0x7FC12345, 0xFFC00001, 0xFF800123], np.uint32)
    spec = np.array([0, 0x80000000, 1, 0x80000001, 0x007FFFFF, 0x00800000, 0x7F800000,
                     0xFF800000, 0x411FFFFF, 0x41200000, 0x41000000, 0x3D5FFFFF, 0x3D600000,
                     0x3F800000, 0xBF800000], np.uint32)
    b = np.concatenate([big, big | np.uint32(0x80000000), spec])
    x = b.view(np.float32)
    res, ref = _vml.tanh(x), _tanh_torch(x)
    k = np.array([(int(v) & 0x7FFFFFFF) >= 0x41200000 or _vml._TANH_INTEL_ROWS.get(
        min(max((int(v) & 0x7FE00000) - 0x3D400000, 0), 31 << 21) >> 21) is not None
        for v in b])
    _same(res[k], ref[k])
    # NaNs: quiet NaNs, sign and payload kept (bit for bit as PyTorch's)
    if _claimed():
        _same(_vml.tanh(nans.view(np.float32)), _tanh_torch(nans.view(np.float32)))


@intel
def test_small_sizes_and_api():
    # the per-element path (<= 12 elements, 0-d tensors) and the vector path agree
    r = np.random.default_rng(74)
    x = _sample(r, _claimed() or [31], 40)
    x = np.concatenate([x, np.array([0.0, -0.0, np.inf, -np.inf, 11.0, -1e30], np.float32)])
    whole = _vml.tanh(x)
    for i in range(0, x.size, 7):
        _same(_vml.tanh(x[i:i + 7]), whole[i:i + 7])
    for v in x[::97]:
        _same(ember.tanh(ember.tensor(v)), torch.tanh(torch.tensor(v)))
    m = np.resize(x, 600).reshape(20, 30)
    _same(ember.tanh(ember.from_numpy(m).t()), torch.tanh(torch.from_numpy(m).t()))
    e = ember.from_numpy(m.copy())
    t = torch.from_numpy(m.copy())
    e.tanh_()
    t.tanh_()
    _same(e, t)


@intel
@pytest.mark.skipif(not os.environ.get("EMBER_EXHAUSTIVE"),
                    reason="minutes: set EMBER_EXHAUSTIVE=1 (every float of the claimed rows)")
def test_exhaustive():
    for k in _claimed():
        lo0, hi0 = _row_bits(k)
        for lo in range(lo0, hi0, 1 << 24):
            b = np.arange(lo, min(hi0, lo + (1 << 24)), dtype=np.uint32)
            for sign in (0, 0x80000000):
                x = (b | np.uint32(sign)).view(np.float32)
                _same(_vml.tanh(x), _tanh_torch(x))


def test_small_path_unclaimed_rows(monkeypatch):
    # elements in rows not derived take the per-element path too (float64 tanh rounded once,
    # as the vector kernel gives them): no fallback to the vector kernel for tiny inputs
    rows = dict(_vml._TANH_INTEL_ROWS)
    for k in (3, 13, 22):
        rows.pop(k, None)
    monkeypatch.setattr(_vml, "_TANH_INTEL_ROWS", rows)
    _vml._tanh_intel_table.cache_clear()
    _vml._tanh_intel_lists.cache_clear()
    try:
        r = np.random.default_rng(75)
        x = _sample(r, list(range(31)), 6)
        x = np.concatenate([x, np.array([0.0, -0.0, 1e-30, -1e-45, 11.0, -np.inf], np.float32)])
        whole = _vml._tanh_intel(x, np.empty(x.size, np.float32))
        calls = []
        kernel = _vml._tanh_intel
        monkeypatch.setattr(_vml, "_tanh_intel", lambda *a: calls.append(1) or kernel(*a))
        for i in range(0, x.size, 7):
            part = _vml._tanh_intel_small(x[i:i + 7])
            assert part is not None
            _same(part, whole[i:i + 7])
            if _vml.intel_sqrt() and not _vml.emulated():
                _same(_vml.tanh(x[i:i + 7]), whole[i:i + 7])
        assert not calls
        k = np.array([not (_vml._tanh_intel_table()[-1][min(max(
            (int(v) & 0x7FE00000) - 0x3D400000, 0), 31 << 21) >> 21]) for v in x.view(np.uint32)])
        assert k.sum() > 20
        _same(whole[k], np.tanh(np.abs(x[k]).astype(np.float64)).astype(np.float32)
              * np.where(np.signbit(x[k]), -1, 1).astype(np.float32))
    finally:
        monkeypatch.undo()
        _vml._tanh_intel_table.cache_clear()
        _vml._tanh_intel_lists.cache_clear()
