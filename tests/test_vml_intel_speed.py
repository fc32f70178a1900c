"""The cheaper forms of the Intel float32 ``exp`` and ``log`` (``ember._ops._vml``): the
per-element Python path for a few elements (``_exp_intel_small``, ``_log_intel_small``), the
vector kernels' precomputed tables and per-thread scratch.  They must give the same bits as
the kernels (which the tests that need the Intel processor check against PyTorch; the others
run everywhere, against the kernels' own arithmetic)."""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest

import ember
from ember._ops import _vml

torch = pytest.importorskip("torch")

intel = pytest.mark.skipif(
    not (_vml.intel_sqrt() and not _vml.emulated() and torch.backends.mkl.is_available()),
    reason="MKL's AVX-512 exp and log are modelled on one Intel processor")


def _bits(a):
    return np.ascontiguousarray(np.asarray(a, np.float32)).view(np.uint32)


def _u(lo, hi, step=1):
    return np.arange(lo, hi, step, dtype=np.int64).astype(np.uint32)


def _exp_inputs(r):
    k = np.arange(-4032, 4033)
    near = (k * (math.log(2) / 32)).astype(np.float32)
    near = np.concatenate([near, np.nextafter(near, np.float32(-np.inf)),
                           np.nextafter(near, np.float32(np.inf))])
    edge = np.concatenate([_u(0x42AEAB00, 0x42AEAC50), _u(0xC2AEAB00, 0xC2AEAC50),
                           _u(0x00000001, 0x00000040), _u(0x80000001, 0x80000040)])
    x = np.concatenate([np.asarray(v, np.float32) for v in (
        r.uniform(-87.3, 87.3, 40_000), r.uniform(-1, 1, 10_000), r.uniform(-1e-6, 1e-6, 5_000),
        np.exp(r.uniform(-100, 4, 5_000)) * r.choice([-1, 1], 5_000), near,
        edge.view(np.float32), [0.0, -0.0])])
    return x[np.abs(x) <= np.uint32(0x42AEAC4F).view(np.float32)]   # (the vector path's)


def _log_inputs(r):
    # fractions at each step of the rcp14 estimate, every exponent of the fast path
    steps = np.concatenate([np.arange(-3, 4) + int(v) for v in _vml._LOG_INTEL_Y])
    exps = r.integers(1, 253, steps.size)
    at_steps = ((exps.astype(np.uint32) << np.uint32(23)) | steps.astype(np.uint32))
    edge = np.concatenate([_u(0x00800000, 0x00800100), _u(0x7E7FFF00, 0x7E800000),
                           _u(0x3F7FFF00, 0x3F800100)])
    return np.concatenate([np.asarray(v, np.float32) for v in (
        np.exp(r.uniform(-87, 87, 40_000)), r.uniform(0.5, 2, 20_000),
        r.uniform(0.99, 1.01, 5_000), at_steps.view(np.float32), edge.view(np.float32))])


SMALL = {"exp": (_vml._exp_intel_small, _vml._exp_intel, _exp_inputs),
         "log": (_vml._log_intel_small, _vml._log_intel, _log_inputs)}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_small_path_is_the_kernel(name):
    small, kernel, inputs = SMALL[name]
    r = np.random.default_rng(len(name) + 20)
    x = inputs(r)
    want = _bits(kernel(x, np.empty_like(x)))
    got, i, sizes = np.empty_like(want), 0, [1, 2, 3, 5, 8, 12]
    while i < x.size:   # chunks of every small size, as 1-d, 0-d and 2-d arrays
        n = sizes[i % len(sizes)]
        chunk = x[i:i + n]
        shaped = chunk.reshape(()) if chunk.size == 1 and i % 2 else chunk.reshape(1, -1)
        res = small(shaped)
        assert res is not None and res.shape == shaped.shape and res.dtype == np.float32
        got[i:i + n] = _bits(res).reshape(-1)
        i += n
    bad = got != want
    assert not bad.any(), (x[bad][:5], got[bad][:5], want[bad][:5])


@pytest.mark.parametrize("name", sorted(SMALL))
def test_small_path_leaves_rare_inputs_to_the_kernel(name):
    small, kernel, _ = SMALL[name]
    rare = np.concatenate([np.array([np.inf, -np.inf, np.nan, 100.0, -100.0, -1.0, 0.0, -0.0,
                                     3e38, 1e-40, -1e-40], np.float32),
                           np.array([0x7FC12345, 0xFFC00001, 0x7F800001], np.uint32)
                           .view(np.float32)])
    fn = getattr(_vml, name)
    for v in rare:
        x = np.array([1.5, v, 0.25], np.float32)
        if name == "exp" and abs(float(v)) <= 87 or name == "log" and 1e-30 < v < 1e30:
            continue
        assert small(x) is None
        with np.errstate(all="ignore"):
            assert (_bits(fn(x)) == _bits(kernel(x, np.empty_like(x)))).all()


def test_small_sizes_take_the_small_path(monkeypatch):
    calls = []
    for name in ("exp", "log"):
        kernel = getattr(_vml, "_" + name + "_intel")
        monkeypatch.setattr(_vml, "_" + name + "_intel",
                            lambda x, o, k=kernel: calls.append(x.size) or k(x, o))
        x = np.arange(1, _vml._SMALL + 2, dtype=np.float32) / 4
        with np.errstate(all="ignore"):
            for n in range(1, _vml._SMALL + 2):
                _vml._on_intel(x[:n], getattr(np, name), getattr(_vml, "_" + name + "_intel"),
                               getattr(_vml, "_" + name + "_intel_small"))
    assert calls == [_vml._SMALL + 1] * 2


def test_fma32_rounds_as_fix_halfway():
    # Python-float fused multiply-add against the kernels' nudge, on sums built to fall near
    # and exactly on float32 halfway points
    r = np.random.default_rng(7)
    n = 3000
    k = r.integers(-30, 30, n)
    c = np.ldexp(r.integers(1 << 23, 1 << 24, n), k - 23) * r.choice([-1, 1], n)
    # a * b = (half an ulp of c) * (1 - 2**-46): the float64 sum rounds onto the halfway point
    a = np.ldexp(1 + 2.0 ** -23, k - 24) * r.choice([-1, 1], n)
    b = np.full(n, 1 - 2.0 ** -23)
    a[::3] = r.uniform(-1, 1, a[::3].size)   # and ordinary sums
    b[1::3] = r.uniform(-1, 1, b[1::3].size)
    a, b, c = (v.astype(np.float32) for v in (a, b, c))
    d = a.astype(np.float64) * b + c
    u, h = np.empty(a.size, np.uint64), np.empty(a.size, np.bool_)
    halfway = (d.view(np.uint64) & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000)
    assert halfway.sum() > 900
    plain = _bits(d.astype(np.float32))
    want = _bits(_vml._fix_halfway(d, a, b, c, u, h).astype(np.float32))   # (d in place)
    assert (want != plain).sum() > 200   # (nudged)
    got = _bits(np.array([_vml._fma32(float(x), float(y), float(z))
                          for x, y, z in zip(a, b, c)], np.float32))
    assert (got == want).all()


def test_scratch_per_thread():
    # blocks of a large array on two threads at once: each thread its own scratch
    r = np.random.default_rng(8)
    x = (r.standard_normal(3 * _vml._BLOCK + 17) * 5).astype(np.float32)
    xl = np.abs(x) + np.float32(1e-3)
    want = (_bits(_vml._exp_intel(x, np.empty_like(x))),
            _bits(_vml._log_intel(xl, np.empty_like(x))))
    errors = []

    def work():
        for _ in range(4):
            if not ((_bits(_vml._exp_intel(x, np.empty_like(x))) == want[0]).all() and
                    (_bits(_vml._log_intel(xl, np.empty_like(x))) == want[1]).all()):
                errors.append(1)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# -- against PyTorch on the Intel processor --------------------------------------------------

@intel
@pytest.mark.parametrize("name", ["exp", "log"])
def test_every_97th_float32(name):
    bits = _u(0, 1 << 32, 97)
    x = bits.view(np.float32)
    with np.errstate(all="ignore"):
        got = getattr(_vml, name)(x)
    want = getattr(torch, name)(torch.from_numpy(x)).numpy()
    bad = _bits(got) != _bits(want)
    assert not bad.any(), (x[bad][:5], got[bad][:5], want[bad][:5])


@intel
@pytest.mark.parametrize("name", ["exp", "log"])
def test_small_tensors_against_torch(name):
    r = np.random.default_rng(9)
    x = SMALL[name][2](r)
    x = x[r.permutation(x.size)[:3000]]
    fe, ft = getattr(ember, name), getattr(torch, name)
    i = 0
    for n in [0, 1, 2, 3, 7, 8, 9, 16] * 50:
        v = x[i:i + n]
        i += n
        _check(fe(ember.from_numpy(v.copy())), ft(torch.from_numpy(v.copy())))
        if n == 1:
            _check(fe(ember.from_numpy(v.reshape(()).copy())),
                   ft(torch.from_numpy(v.reshape(()).copy())))
    e = ember.from_numpy(x[:64].copy())
    t = torch.from_numpy(x[:64].copy())
    _check(getattr(e, name)(), getattr(t, name)())
    _check(fe(e[::9]), ft(t[::9]))


def _check(e, t):
    e, t = e.numpy(), t.numpy()
    assert e.shape == t.shape and e.dtype == t.dtype
    assert (_bits(e) == _bits(t)).all(), (e, t)
