"""The normal fill's fast log/sincos (``_random._log256_unit``, ``_sincos256_unit``) against
the exact emulations they replace, over every input they can get, and the fills against
PyTorch bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import _random as R

torch = pytest.importorskip("torch")

_BLOCK = 1 << 15
# 1 checks all 2**24 inputs (the proof; run with 0 mismatches, ~10 s per function); the
# suite checks every _STRIDE-th one, the residue rotating per block, plus both ends in full
_STRIDE = 8


def _all_uniforms():
    # the float32 uniforms the generator draws: k * 2**-24, 0 <= k < 2**24
    k = np.arange(1 << 24, dtype=np.uint32).reshape(-1, _BLOCK)
    rows = np.arange(k.shape[0])
    picked = np.take_along_axis(
        k, (rows % _STRIDE)[:, None] + np.arange(0, _BLOCK, _STRIDE)[None, :], axis=1)
    k = np.concatenate([np.arange(1 << 16, dtype=np.uint32), picked.reshape(-1),
                        np.arange((1 << 24) - (1 << 16), 1 << 24, dtype=np.uint32)])
    return k.astype(np.float32) * np.float32(2.0 ** -24)


def test_log256_unit_sweep():
    # the proof of the fast path (at _STRIDE = 1): inputs u1 = 1 - u give the exact bits
    u1 = R._ONE - _all_uniforms()
    for s in range(0, u1.size, 1 << 18):
        v = u1[s:s + (1 << 18)]
        got = R._log256_unit(v)
        want = R._log256_ps(v)
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), s


def test_sincos256_unit_sweep():
    theta = R._TWO_PI_F * _all_uniforms()
    for s in range(0, theta.size, 1 << 18):
        v = theta[s:s + (1 << 18)]
        gs, gc = R._sincos256_unit(v)
        ws, wc = R._sincos256_ps(v)
        assert np.array_equal(gs.view(np.uint32), ws.view(np.uint32)), s
        assert np.array_equal(gc.view(np.uint32), wc.view(np.uint32)), s


def _exact_normal16(u, mean, std):
    # the fill as written before the fast path: the general functions
    d = np.asarray(u, np.float32).reshape(-1, 2, 8)
    radius = np.sqrt(np.float32(-2.0) * R._log256_ps(R._ONE - d[:, 0]))
    s, c = R._sincos256_ps(R._TWO_PI_F * d[:, 1])
    out = np.empty_like(d)
    out[:, 0] = R._fma32(radius * c, np.float32(std), np.float32(mean))
    out[:, 1] = R._fma32(radius * s, np.float32(std), np.float32(mean))
    return out.reshape(-1)


_PARAMS = [(0.0, 1.0), (1.5, 2.0), (-3.0, 0.0), (0.0, 0.0), (-0.0, 1e-30), (1e30, 1e10),
           (0.0, float("inf")), (float("nan"), 1.0), (1e-40, 1e-40), (3.0, 1e-39), (-2.0, 0.5),
           (-0.0, 1.0), (float("inf"), 1.0), (-float("inf"), 1.0), (1e-45, 1.0), (7.5, 1.0),
           (-1e30, 1.0), (float(np.float32(1.0) + np.float32(2.0 ** -23)), 1.0)]


def test_normal16_avx2_matches_exact():
    rng = np.random.default_rng(0)
    u = (rng.integers(0, 1 << 24, 16 * 4096).astype(np.float32) * np.float32(2.0 ** -24))
    u[:32] = [0.0, 2.0 ** -24, 0.5, 1 - 2.0 ** -24, 0.25, 0.125, 0.75, 2.0 ** -23] * 4
    with np.errstate(over="ignore", invalid="ignore"):
        for mean, std in _PARAMS:
            got = R._normal16_avx2(u, mean, std)
            want = _exact_normal16(u, mean, std)
            assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), (mean, std)


def _same_bits(e, t):
    a, b = e.numpy(), t.numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


@pytest.mark.skipif(R.cpu_capability() == "default", reason="torch runs the AVX2 fill here")
def test_fills_match_torch():
    sizes = list(range(1, 21)) + [16383, 16384, 16385, 100003]
    for seed in range(3):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        for n in sizes:
            for dt in ("float32", "float64", "float16"):
                pe = [(0.0, 1.0), (-2.0, 0.5), (3.0, 0.0)] if n > 20 else _PARAMS[:4]
                for mean, std in pe:
                    e = ember.empty(n, dtype=getattr(ember, dt)).normal_(mean, std)
                    t = torch.empty(n, dtype=getattr(torch, dt)).normal_(mean, std)
                    _same_bits(e, t)
                e = ember.empty(n, dtype=getattr(ember, dt)).uniform_(-1.5, 2.0)
                t = torch.empty(n, dtype=getattr(torch, dt)).uniform_(-1.5, 2.0)
                _same_bits(e, t)
        _same_bits(ember.randn(3, 50), torch.randn(3, 50))
        we, wt = ember.empty(64, 33), torch.empty(64, 33)
        ember.nn.init.kaiming_normal_(we)
        torch.nn.init.kaiming_normal_(wt)
        _same_bits(we, wt)
        ember.nn.init.xavier_uniform_(we)
        torch.nn.init.xavier_uniform_(wt)
        _same_bits(we, wt)
        assert ember.rand(7).tolist() == torch.rand(7).tolist()


def test_uniform_exact_sum_path_matches_fma():
    # uniform_'s float64 shortcut (``_uniform_sum_exact``) against the checked _fma32, on
    # ranges where float32 rounding ties are common (a small span on a large start) and not
    pairs = [(0.0, 1.0), (-1.0, 1.0), (1e6, 1e6 + 3.5), (-0.125, 0.375), (1e-3, 0.1),
             (3.0, 3.0), (-0.0, 0.0), (-2.0 ** 20, -2.0 ** 20 + 1.0), (-7.3e-8, 1e-7),
             (1e-30, 1.0), (2.5, 2.5 + 2.0 ** -20), (100.0, 1e7), (-3e38, 3e38)]
    for cap in ("avx2", "default"):
        g = R.CPUGenerator(3, capability=cap)
        for lo, hi in pairs:
            flo, fhi = np.float32(lo), np.float32(hi)
            for n in (1, 17, 40000):
                ref = g.clone()
                try:
                    got = g.uniform(n, np.float32, lo, hi)
                except RuntimeError:
                    continue
                x = (ref.random_u32(n) & np.uint32((1 << 24) - 1)).astype(np.float32)
                x *= np.float32(2.0 ** -24)
                rng = fhi - flo
                with np.errstate(over="ignore"):
                    v = R._fma32(x, rng, flo) if cap == "avx2" else x * rng + flo
                want = np.where(v >= fhi, flo, v)
                assert got.tobytes() == want.tobytes(), (cap, lo, hi, n)


def test_uniform_sum_exact_rule():
    f = R._uniform_sum_exact
    assert f(np.float32(2.0), np.float32(-1.0)) and f(np.float32(0.0), np.float32(0.0))
    assert not f(np.float32(1e-30), np.float32(1.0))  # bits 2**-123 below a 1: not exact
    assert not f(np.float32(np.inf), np.float32(0.0))
    # the ties: every k * 2**-24 * 3.5 + 1e6 rounds once, from an exact float64 sum
    assert f(np.float32(3.5), np.float32(1e6))


def test_random_u32_paths_agree():
    # the 32-bit draw (NumPy's full-range integers) against random_raw, across twists
    assert R._raw32_ok()
    sizes = [1, 623, 624, 625, 4097, 5000, 70001, (1 << 20) + 3]
    saved = list(R._RAW32)
    try:
        draws = {}
        for flag in (True, False):
            R._RAW32[:] = [flag]
            g = R.CPUGenerator(11)
            draws[flag] = [g.random_u32(n).tobytes() for n in sizes] + [g.get_state().tobytes()]
        assert draws[True] == draws[False]
    finally:
        R._RAW32[:] = saved
    ember.manual_seed(4)
    torch.manual_seed(4)
    e, t = ember.randint(0, 1 << 20, (9000,)), torch.randint(0, 1 << 20, (9000,))
    assert e.tolist() == t.tolist()
