"""Special functions bit for bit against PyTorch's CPU kernels.

- ``digamma``: PyTorch's own ``calc_digamma`` (recurrence to 10, asymptotic polynomial with
  fused multiply-adds, reflection through ``tan``) in the input's float type; float64 with
  the C library's ``log`` and ``tan``; integers and half types through the float32 kernel.
- ``lgamma`` of float32 (and half, integer) tensors: Sleef's ``lgammaf_u1`` on every value.
- ``lgamma`` of float64 tensors: Sleef's ``lgamma_u1`` (double pairs, fused multiply-adds).
- ``sinh``, ``cosh``, ``atanh``: Sleef's ``*_u10`` in the vector loop, the C library's routines
  (float32: fdlibm's before libc 2.41) on the loop tails and small tensors.
- ``sinc`` (the C library's ``sinf``) and its gradient in PyTorch's order; ``logit`` (MKL's
  log of the ratio; the half types rounding each step); ``entr``/``xlogy`` (the C library's
  double ``log``); ``i0``/``i0e``/``i1``/``i1e`` and ``ndtri`` (Cephes in the input's type)
  and the i1/i1e gradients' epsilon guard; ``digamma``'s gradient (trigamma with ``sinf``);
  ``zeta`` and ``polygamma`` (n >= 2: Cephes's zeta in double, the first term by ``powf``
  for float32); ``xlog1py`` (the C library's double ``log1p``); ``modified_bessel_i0/i1/k0/k1``,
  ``scaled_modified_bessel_k0/k1``, ``spherical_bessel_j0`` (PyTorch's forward functions);
  float64 ``erf``/``erfc`` near MKL's (the C library's instead of a series).
"""
from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np
import pytest

import ember
from ember._ops import _libm, _sleef

torch = pytest.importorskip("torch")
from diff import measured_cpu  # noqa: E402

vector = pytest.mark.skipif(not _sleef.VECTORIZED or
                            torch.backends.cpu.get_cpu_capability() == "DEFAULT",
                            reason="Sleef's vector code runs only in vector builds")
libm = pytest.mark.skipif(not _libm.emulated_log1pf(),
                          reason="the C library's fdlibm float routines are modelled for glibc")


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    bad = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    assert not bad.any(), (np.flatnonzero(bad)[:5], a[bad][:5], b[bad][:5])


def _inputs(dtype, n=4000, seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.standard_normal(n) * 3, rng.uniform(-40, 40, n // 4),
                        np.exp(rng.uniform(-30, 30, n // 4)), rng.uniform(9.5, 10.5, n // 4),
                        [0, -0.0, np.inf, -np.inf, np.nan, 1, 2, -1, -2.5, 10, 1e-30, 1e30]])
    with np.errstate(over="ignore"):
        return x.astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_digamma_matches(dtype):
    x = _inputs(dtype)
    _same(torch.digamma(torch.from_numpy(x)).numpy(),
          ember.digamma(ember.from_numpy(x)).numpy())


@pytest.mark.parametrize("dtype", ["int64", "float16", "bfloat16"])
def test_digamma_other_dtypes_use_float_kernel(dtype):
    vals = list(range(-3, 40)) if dtype == "int64" else [-2.5, -1, 0.0, 0.3, 1, 3.7, 15, 1e4]
    t = torch.tensor(vals).to(getattr(torch, dtype))
    e = ember.tensor(vals).to(getattr(ember, dtype))
    _same(torch.digamma(t).float().numpy(), ember.digamma(e).float().numpy())
    assert str(ember.digamma(e).dtype).split(".")[1] == str(torch.digamma(t).dtype).split(".")[1]


@vector
def test_lgamma_float32_matches_sleef():
    rng = np.random.default_rng(1)
    x = np.concatenate([_inputs("float32"), rng.uniform(0, 3, 2000).astype(np.float32),
                        -np.exp(rng.uniform(-20, 20, 1000)).astype(np.float32),
                        np.float32([0.5, 1.2, 2.3, 7, 1e-31, -1e-31, 3e38, -3e38])])
    for v in (x, x[:7], x[:1]):
        _same(torch.lgamma(torch.from_numpy(v)).numpy(),
              ember.lgamma(ember.from_numpy(v)).numpy())


@vector
@pytest.mark.parametrize("dtype", ["int64", "float16", "bfloat16"])
def test_lgamma_other_dtypes_use_float_kernel(dtype):
    vals = list(range(-3, 60)) if dtype == "int64" else [-2.5, -1, 0.0, 0.3, 1, 3.7, 15, 1e4]
    t = torch.tensor(vals).to(getattr(torch, dtype))
    e = ember.tensor(vals).to(getattr(ember, dtype))
    _same(torch.lgamma(t).float().numpy(), ember.lgamma(e).float().numpy())


def _hyper_inputs(name, seed=2):
    rng = np.random.default_rng(seed)
    if name == "atanh":
        x = np.concatenate([np.tanh(rng.standard_normal(3000) * 2), rng.uniform(-1, 1, 1000),
                            rng.standard_normal(500) * 1e-5])
    else:
        x = np.concatenate([rng.standard_normal(3000) * 3, rng.uniform(-95, 95, 1000),
                            rng.standard_normal(500) * 1e-3])
    return x.astype(np.float32)


@vector
@libm
@pytest.mark.parametrize("name", ["sinh", "cosh", "atanh"])
def test_hyperbolic_float32_tails_and_small_tensors(name):
    x = _hyper_inputs(name)
    xt, xe = torch.from_numpy(x), ember.from_numpy(x)
    f, g = getattr(torch, name), getattr(ember, name)
    for n in (1, 5, 31):  # no vector block: the C library's routine on every value
        for i in range(0, 4500 - n, 97 * n):
            _same(f(xt[i:i + n]).numpy(), g(xe[i:i + n]).numpy())
    for n in (45, 70):  # vector blocks and a tail, a transposed (strided) layout
        a = x[:n * 9].reshape(9, n)
        _same(f(torch.from_numpy(a).T).numpy(), g(ember.from_numpy(a).T).numpy())
    special = np.float32([0, -0.0, np.inf, -np.inf, np.nan, 1, -1, 89, 89.5, -100, 1e-40, 2.0])
    _same(f(torch.from_numpy(special)).numpy(), g(ember.from_numpy(special)).numpy())


@vector
@pytest.mark.parametrize("name", ["sinh", "cosh", "atanh"])
def test_hyperbolic_float32_vector_code(name):
    x = _hyper_inputs(name, seed=3)[:4480]
    a = getattr(torch, name)(torch.from_numpy(x)).numpy()
    b = getattr(ember, name)(ember.from_numpy(x)).numpy()
    bad = a != b
    # NOTE: a few values in 10**5 differ by an ulp (PyTorch's the less accurate one: some
    # detail of its Sleef build not modelled); NumPy's float64 rounded once differed in ~1%
    assert bad.sum() <= 2
    assert (np.abs(a[bad].view(np.int32) - b[bad].view(np.int32)) <= 1).all()


@libm
@pytest.mark.parametrize("name", ["sinhf", "coshf", "atanhf"])
def test_c_library_float_routines(name):
    lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
    x = _hyper_inputs(name[:-1], seed=4)
    x = np.concatenate([x, np.float32([0, -0.0, np.inf, -np.inf, np.nan, 22, -22, 1, -1, 0.5,
                                       88.7, 89.2, -89.6, 2.0 ** -29, 0.3465, 1.5])])
    want = np.array([fn(v) for v in x.tolist()], np.float32)
    _same(want, getattr(_libm, name)(x))


@vector
def test_lgamma_float64_matches_sleef():
    rng = np.random.default_rng(5)
    x = np.concatenate([_inputs("float64", n=2000), rng.uniform(0, 3, 1000),
                        -np.exp(rng.uniform(-20, 20, 500)), np.exp(rng.uniform(-700, 700, 500)),
                        [0.5, 1.1, 2.3, 7, 1e-307, -1e-307, 1e308, -1e308, 5e-324]])
    a = torch.lgamma(torch.from_numpy(x)).numpy()
    b = ember.lgamma(ember.from_numpy(x)).numpy()
    bad = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    # NOTE: about 3 values in 10**5 differ by an ulp (not modelled); rounded from another
    # algorithm a third of them did
    assert bad.sum() <= 1
    assert (np.abs(a[bad].view(np.int64) - b[bad].view(np.int64)) <= 1).all()


@libm
def test_c_library_sinf():
    lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    lib.sinf.restype, lib.sinf.argtypes = ctypes.c_float, [ctypes.c_float]
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.standard_normal(2000) * 3, rng.uniform(-130, 130, 2000),
                        np.exp(rng.uniform(-30, 88, 2000)) * rng.choice([-1, 1], 2000),
                        [0, -0.0, np.inf, -np.inf, np.nan, 120, -120, 0.7853982, 1e-40, 3e38]])
    x = x.astype(np.float32)
    _same(np.array([lib.sinf(v) for v in x.tolist()], np.float32), _libm.sinf(x))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sinc_and_its_gradient(dtype):
    x = _inputs(dtype, n=2000, seed=7)
    x = x[np.isfinite(x)]
    out = []
    for lib in (torch, ember):
        t = lib.tensor(x, requires_grad=True)
        y = lib.sinc(t)
        y.backward(lib.from_numpy(np.linspace(-1, 1, x.size).astype(dtype)))
        out.append((y.detach().numpy(), t.grad.numpy()))
    _same(out[0][0], out[1][0])
    if dtype == "float32" and measured_cpu():  # (float64: PyTorch's cos and sin are MKL's,
        _same(out[0][1], out[1][1])             # a few ulp apart; float32 too elsewhere)
    elif dtype == "float32":  # (near 0 the formula cancels: sin's ulp over pi x**2)
        with np.errstate(divide="ignore"):
            bound = 1e-5 * np.abs(out[0][1]) + 8 * np.finfo(np.float32).eps / np.abs(x)
        assert (np.abs(out[1][1] - out[0][1]) <= bound).all()
    tiny = [0.0, 1e-30, -2.0]  # (x * x * pi underflows to 0: gradient 0, as PyTorch's)
    grads = []
    for lib in (torch, ember):
        t = lib.tensor(tiny, requires_grad=True)
        lib.sinc(t).sum().backward()
        grads.append(t.grad.numpy())
    _same(*grads)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_logit_matches(dtype, eps):
    rng = np.random.default_rng(8)
    x = np.concatenate([1 / (1 + np.exp(-rng.standard_normal(3000) * 3)),
                        rng.uniform(-0.2, 1.2, 300), [0, 1, np.nan]]).astype(np.float32)
    a = torch.logit(torch.from_numpy(x).to(getattr(torch, dtype)), eps=eps)
    b = ember.logit(ember.from_numpy(x).to(getattr(ember, dtype)), eps=eps)
    if measured_cpu() or dtype != "float32":
        _same(a.float().numpy(), b.float().numpy())
    else:  # (MKL's float32 log is emulated on the measured processor only)
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_entr_xlogy_use_the_c_library_log(dtype):
    rng = np.random.default_rng(9)
    x = np.abs(rng.standard_normal(5000) * 3).astype(dtype)
    y = rng.standard_normal(5000).astype(dtype)
    _same(torch.special.entr(torch.from_numpy(x)).numpy(),
          ember.special.entr(ember.from_numpy(x)).numpy())
    _same(torch.xlogy(torch.from_numpy(y), torch.from_numpy(x)).numpy(),
          ember.xlogy(ember.from_numpy(y), ember.from_numpy(x)).numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e"])
def test_modified_bessel_cephes_kernels(dtype, name):
    rng = np.random.default_rng(10)
    x = np.concatenate([rng.standard_normal(3000) * 4, rng.uniform(-100, 100, 1000),
                        [0, -0.0, 8, -8, np.inf, -np.inf, np.nan, 88, 89, 700, 720]])
    x = x.astype(dtype)
    out = []
    for lib in (torch, ember):
        t = lib.tensor(x[np.abs(x) < 50], requires_grad=True)
        y = getattr(lib.special, name)(t)
        y.backward(lib.ones_like(y))
        out.append((getattr(lib.special, name)(lib.from_numpy(x)).numpy(), t.grad.numpy()))
    _same(out[0][0], out[1][0])
    _same(out[0][1], out[1][1])
    for lib in (torch, ember):  # (PyTorch's gradients take 1/2 below the machine epsilon)
        t = lib.tensor([0.0, 1e-9, -1e-9], requires_grad=True)
        getattr(lib.special, name)(t).sum().backward()
        out.append(t.grad.numpy())
    _same(out[2], out[3])


def test_digamma_gradient_is_trigamma():
    x = _inputs("float32", n=2000, seed=11)
    x = x[np.isfinite(x) & (np.abs(x) < 1e6)]
    grads = []
    for lib in (torch, ember):
        t = lib.tensor(x, requires_grad=True)
        lib.digamma(t).backward(lib.ones_like(t))
        grads.append(t.grad.numpy())
    _same(*grads)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ndtri_cephes_kernel(dtype):
    rng = np.random.default_rng(12)
    x = np.concatenate([rng.uniform(0, 1, 3000), np.exp(rng.uniform(-80, 0, 1000)),
                        1 - np.exp(rng.uniform(-30, 0, 500)),
                        [0, 1, -0.0, 0.5, np.nan, -0.1, 1.1, np.inf, 0.135335, 0.8646647]])
    x = x.astype(dtype)
    _same(torch.special.ndtri(torch.from_numpy(x)).numpy(),
          ember.special.ndtri(ember.from_numpy(x)).numpy())


@vector
@pytest.mark.parametrize("name", ["sinh", "cosh", "atanh"])
def test_hyperbolic_float64(name):
    x = _hyper_inputs(name, seed=13).astype(np.float64)
    x = np.concatenate([x, [0, -0.0, np.inf, -np.inf, np.nan, 1, -1, 709.7, 710.5, -711]])
    xt, xe = torch.from_numpy(x), ember.from_numpy(x)
    f, g = getattr(torch, name), getattr(ember, name)
    for n in (1, 7, 15):  # shorter than a vector step: the C library's routine on every value
        for i in range(0, x.size - n, 211 * n):
            _same(f(xt[i:i + n]).numpy(), g(xe[i:i + n]).numpy())
    _same(f(xt[3]).numpy(), g(xe[3]).numpy())
    a, b = f(xt).numpy(), g(xe).numpy()
    bad = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    assert bad.sum() <= 3  # (Sleef's vector code: a few in 10**5 an ulp apart, as float32's)
    assert (np.abs(a[bad].view(np.int64) - b[bad].view(np.int64)) <= 1).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zeta_and_polygamma(dtype):
    rng = np.random.default_rng(14)
    q = rng.uniform(-3, 5, 2000).astype(dtype)
    s = rng.uniform(0.5, 6, 2000).astype(dtype)
    s[::7] = np.round(s[::7])
    _same(torch.special.zeta(torch.from_numpy(s), torch.from_numpy(q)).numpy(),
          ember.special.zeta(ember.from_numpy(s), ember.from_numpy(q)).numpy())
    _same(torch.special.zeta(3.0, torch.from_numpy(q)).numpy(),
          ember.special.zeta(3.0, ember.from_numpy(q)).numpy())
    x = _inputs(dtype, n=1500, seed=15)
    for n in (2, 3, 6):
        _same(torch.polygamma(n, torch.from_numpy(x)).numpy(),
              ember.polygamma(n, ember.from_numpy(x)).numpy())
    _same(torch.polygamma(2, torch.arange(1, 9)).numpy(),
          ember.polygamma(2, ember.arange(1, 9)).numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_xlog1py_uses_the_c_library_log1p(dtype):
    rng = np.random.default_rng(16)
    x = rng.standard_normal(4000)
    x[:3] = 0
    y = np.concatenate([rng.standard_normal(2000) * 3, np.abs(rng.standard_normal(1990)) * 5,
                        [-1, -2, np.inf, -np.inf, np.nan, 0, -0.0, 1e-300, -0.5, 3.0]])
    _same(torch.special.xlog1py(torch.from_numpy(x.astype(dtype)),
                                torch.from_numpy(y.astype(dtype))).numpy(),
          ember.special.xlog1py(ember.from_numpy(x.astype(dtype)),
                                ember.from_numpy(y.astype(dtype))).numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
                                  "modified_bessel_k1", "scaled_modified_bessel_k0",
                                  "scaled_modified_bessel_k1", "spherical_bessel_j0"])
def test_special_bessel_family(dtype, name):
    rng = np.random.default_rng(17)
    x = np.concatenate([rng.standard_normal(2000) * 2, rng.uniform(-50, 50, 1000),
                        rng.uniform(-0.6, 0.6, 500),
                        [0, -0.0, 2, 8, -8, np.inf, -np.inf, np.nan, 700, 750, 1e-30]])
    x = x.astype(dtype)
    _same(getattr(torch.special, name)(torch.from_numpy(x)).numpy(),
          getattr(ember.special, name)(ember.from_numpy(x)).numpy())


@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_erf_float64_near_mkl(name):
    # NOTE: PyTorch's CPU erf/erfc are MKL's (not modelled); the C library's, which ember
    # takes, agree on most values and are within a few ulp elsewhere (the old series: 2 in 5)
    x = np.random.default_rng(18).standard_normal(20000) * 2
    a = getattr(torch, name)(torch.from_numpy(x)).numpy()
    b = getattr(ember, name)(ember.from_numpy(x)).numpy()
    bad = a != b
    assert bad.mean() < (0.05 if name == "erf" else 0.25)
    assert np.all(np.abs(a - b) <= 4 * np.spacing(np.abs(a)))


# -- the fast paths of the exact multiply-add and of the C library's pow (speed, same bits) ------

def _fma_exact(a, b, c):
    from fractions import Fraction
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def _fma64_cases():
    rng = np.random.default_rng(31)
    n = 3000
    a = rng.standard_normal(n) * 2.0 ** rng.integers(-40, 40, n)
    b = rng.standard_normal(n) * 2.0 ** rng.integers(-40, 40, n)
    c = np.where(np.arange(n) % 3 == 0, -(a * b) * (1 + rng.integers(-4, 4, n) * 2.0 ** -52),
                 rng.standard_normal(n))
    c[::7] = np.round(a[::7] * b[::7] * 2 ** 20) / 2 ** 20  # (near ties)
    return a, b, c


def test_fma64_fast_path_is_correctly_rounded():
    from ember._random import _fma64, _fma64_horner
    a, b, c = _fma64_cases()
    want = np.array([_fma_exact(*t) for t in zip(a.tolist(), b.tolist(), c.tolist())])
    _same(want, _fma64(a, b, c))
    _same(want[:5], _fma64(a[:5], b[:5], c[:5]))
    got = _fma64(a, b[0], 0.25)  # (scalar operands, unbroadcast)
    _same(np.array([_fma_exact(v, b[0], 0.25) for v in a.tolist()]), got)
    # Horner's scheme with the multiplier split once: each step rounds as _fma64's
    coefs = [0.1, -0.3, c, 1.5]
    u = np.full_like(a, 0.7)
    ref = u
    for k in coefs:
        ref = _fma64(ref, a * 1e-3, k)
    _same(ref, _fma64_horner(u, a * 1e-3, coefs))


def test_fma64_edges_take_the_general_path():
    from ember._random import _fma64
    a = np.array([1e300, 2.0 ** -500, np.inf, np.nan, 3.0, 2.0 ** -1074, 1e200, -0.0])
    b = np.array([1e10, 2.0 ** -600, 1.0, 1.0, 5.0, 0.5, 1e200, 0.0])
    c = np.array([1.0, 2.0 ** -1074, 1.0, 0.0, 2.0 ** 1020, 0.0, 1.0, -0.0])
    with np.errstate(all="ignore"):
        got = _fma64(a, b, c)
    want = [_fma_exact(*t) if np.isfinite(t).all() and abs(t[0] * t[1]) < 1e308
            else t[0] * t[1] + t[2] for t in zip(a.tolist(), b.tolist(), c.tolist())]
    _same(np.array(want), got)


def test_round_odd_fix_steps_toward_the_error():
    from ember._random import _round_odd_fix
    s = np.array([1.0, 1.0, -1.0, -1.0, 3.0, 2.0 ** -1022, np.inf, 0.0, 1.5])
    e = np.array([1e-20, -1e-20, 1e-20, -1e-20, 1e-20, -1e-330, np.nan, 0.0, 0.0])
    want = s.copy()
    for i in range(s.size):
        if np.isfinite(s[i]) and e[i] != 0 and (s[i:i + 1].view(np.int64)[0] & 1) == 0:
            want[i] = np.nextafter(s[i], np.inf if e[i] > 0 else -np.inf)
    _same(want, _round_odd_fix(s, e))


def test_vector_pow_matches_the_c_library():
    import math
    from ember._ops import _gamma
    rng = np.random.default_rng(32)
    a = np.concatenate([rng.uniform(0, 30, 4000), np.exp(rng.uniform(-40, 40, 2000)),
                        1 + np.arange(2000) * 0.25, [0, -1, np.nan, np.inf, 1e-300, 1e300, 2, 4]])
    for m in (1, 2, 3, 4, 7, 12, 33, 64, 65):
        b = np.full(a.size, -float(m))
        with np.errstate(all="ignore"):
            got = _gamma._c_pow(a, b)
            want = _gamma._c_pow_each(a, b)
        _same(want, got)
        ok = (a > 0) & (a < 1e6) & (a > 1e-6)
        assert all(math.pow(u, -m) == v for u, v in zip(a[ok][:300].tolist(), got[ok][:300]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [2, 3, 6])
def test_polygamma_large_tensor(dtype, n):
    rng = np.random.default_rng(33 + n)
    x = np.concatenate([np.abs(rng.standard_normal(20000)) * 5, rng.uniform(-9, 9, 3000),
                        [0.5, 1, 2, 9, 10, 1e-3, 1e6, -2.5, np.inf, np.nan]]).astype(dtype)
    _same(torch.polygamma(n, torch.from_numpy(x)).numpy(),
          ember.polygamma(n, ember.from_numpy(x)).numpy())


@libm
def test_sinc_float32_in_blocks():
    x = (np.random.default_rng(34).standard_normal(40000) * 50).astype(np.float32)
    x[:6] = [0, -0.0, 1e-30, 120, 1e5, np.inf]
    _same(torch.sinc(torch.from_numpy(x)).numpy(), ember.sinc(ember.from_numpy(x)).numpy())


@vector
def test_lgamma_float64_large_tensor():
    rng = np.random.default_rng(35)
    x = np.concatenate([rng.standard_normal(20000) * 8, rng.uniform(-30, 30, 10000),
                        [0, -0.0, -1, -2, 1e-310, 1e300, np.inf, -np.inf, np.nan, 2.3, 7]])
    _same(torch.lgamma(torch.from_numpy(x)).numpy(), ember.lgamma(ember.from_numpy(x)).numpy())
