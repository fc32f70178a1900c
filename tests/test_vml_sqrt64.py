"""float64 ``sqrt`` as PyTorch's CPU kernel (MKL's generic ``vdSqrt``) rounds it:
``ember._ops._vml._dsqrt``.

Where ``_vml.emulated()`` (the processor whose ``rsqrtps`` table was measured), ember's float64
``sqrt`` -- function, method, in-place, ``out=``, ``** 0.5``, 0-d, strided, autograd -- must be
PyTorch's bit for bit, NaN bits included (about 1.4% of values differ from NumPy's correctly
rounded ``sqrt`` by an ulp); elsewhere ``_vml.sqrt`` must be NumPy's.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _vml

torch = pytest.importorskip("torch")

exact = pytest.mark.skipif(
    not (_vml.emulated() and torch.backends.mkl.is_available()),
    reason="PyTorch's MKL sqrt is reproduced only on the measured processor")


def _bits(a):
    return np.ascontiguousarray(np.asarray(a, np.float64)).view(np.uint64)


def _same(e, t):
    e = e.detach().numpy() if hasattr(e, "detach") else np.asarray(e)
    t = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert e.shape == t.shape
    diff = int((_bits(e) != _bits(t)).sum())
    assert diff == 0, f"{diff} of {t.size} elements differ"


def _inputs(r):
    """Uniform, log-uniform over float64's whole range, every bit pattern (negatives, NaNs
    with payloads, infinities), subnormals, the vector path's edges, squares, specials."""
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, -1.0, 1.0, 4.0, 0.25,
                        2.0 ** -1022, 5e-324, 2.0 ** 1021, 2.0 ** 1022, 1.7976931348623157e308,
                        np.nextafter(2.0 ** 1022, 0), np.nextafter(2.0 ** -1022, 1),
                        float.fromhex("0x1.e15e92a13f5d6p-1")])
    u64 = np.uint64
    return {
        "uniform": r.uniform(0, 10, 100_000),
        "loguniform": np.exp(r.uniform(-740, 709, 100_000)),
        "bits": r.integers(0, 1 << 63, 100_000, dtype=u64) * u64(2)
                + r.integers(0, 2, 100_000, dtype=u64),
        "subnormal": r.integers(0, 1 << 52, 20_000, dtype=u64),
        "edges": r.integers(0x7FC0000000000000, 0x7FF0000000000000, 20_000, dtype=u64),
        "small": r.integers(0x0010000000000000, 0x0030000000000000, 20_000, dtype=u64),
        "nan": r.integers(0, 1 << 52, 2000, dtype=u64) | u64(0xFFF0000000000001),
        "squares": np.arange(20_000, dtype=np.float64) ** 2,
        "special": special,
    }


def _x(kind):
    x = _inputs(np.random.default_rng(3))[kind]
    return x.view(np.float64) if x.dtype == np.uint64 else x


def test_fallback_is_numpy():
    x = np.random.default_rng(0).uniform(0, 10, 1000)
    if not _vml.emulated() and not _vml.intel_sqrt():
        _same(_vml.sqrt(x), np.sqrt(x))
    _same(_vml.sqrt(np.empty(0)), np.empty(0))


@pytest.mark.skipif(not _vml.intel_sqrt(), reason="MKL's Intel sqrt is modelled on one Intel model")
@pytest.mark.parametrize("lo,hi", [(-300, 300), (-5, 5), (900, 1023)])
def test_intel_float64_sqrt_is_pytorchs(lo, hi):
    """On the Intel processor measured, float64 sqrt is MKL's vrsqrt14pd-based kernel (one
    Newton step, then fused residual and correction), bit for bit; specials as NumPy's."""
    r = np.random.default_rng(lo + 2000)
    x = (r.random(20000) * 3 + 1) * 2.0 ** r.integers(lo, hi, 20000).astype(np.float64)
    x[:12] = [0.0, -0.0, np.inf, 5e-324, 1e-310, -1.0, np.nan, 1.7e308, 2.0 ** -1022, 1.0,
              2.0, 0.25]
    want = torch.sqrt(torch.from_numpy(x)).numpy()
    _same(ember.sqrt(ember.tensor(x)).numpy(), want)
    y = ember.tensor(x)
    y.sqrt_()
    _same(y.numpy(), want)


@exact
@pytest.mark.parametrize("kind", ["uniform", "loguniform", "bits", "subnormal", "edges",
                                  "small", "nan", "squares", "special"])
def test_sqrt64_bitwise(kind):
    x = _x(kind)
    t = torch.from_numpy(x)
    _same(_vml.sqrt(x), t.sqrt())
    _same(ember.sqrt(ember.from_numpy(x)), torch.sqrt(t))


@exact
def test_not_correctly_rounded():
    # the documented case: MKL's result is an ulp above the correctly rounded one
    x = float.fromhex("0x1.e15e92a13f5d6p-1")
    got = ember.tensor(x, dtype=ember.float64).sqrt().item()
    assert got == torch.tensor(x, dtype=torch.float64).sqrt().item()
    assert got.hex() == "0x1.f072d308bd280p-1"
    u = _x("uniform")
    assert (_bits(_vml.sqrt(u)) != _bits(np.sqrt(u))).mean() > 0.005


@exact
def test_sqrt64_paths():
    x = _x("uniform")[:30_011].copy()
    t, e = torch.from_numpy(x), ember.from_numpy(x.copy())
    _same(e ** 0.5, t ** 0.5)
    _same(ember.pow(e, 0.5), torch.pow(t, 0.5))
    for n in (1, 2, 3, 7, 15, 16, 17, 33):
        _same(e[:n].sqrt(), t[:n].sqrt())
    _same(e[::3].sqrt(), t[::3].sqrt())
    _same(e[:30_000].reshape(100, 300).t().sqrt(), t[:30_000].reshape(100, 300).t().sqrt())
    eo, to = ember.empty(x.shape, dtype=ember.float64), torch.empty(x.shape, dtype=torch.float64)
    ember.sqrt(e, out=eo)
    torch.sqrt(t, out=to)
    _same(eo, to)
    e2, t2 = e.clone(), t.clone()
    e2.sqrt_()
    t2.sqrt_()
    _same(e2, t2)
    for v in x[:300]:  # 0-d tensors
        assert ember.tensor(v, dtype=ember.float64).sqrt().item() == \
            torch.tensor(v, dtype=torch.float64).sqrt().item()


@exact
def test_sqrt64_autograd_and_optimizer():
    x = _x("uniform")[:5000]
    eg = ember.tensor(x, requires_grad=True)
    tg = torch.tensor(x, requires_grad=True)
    ey, ty = eg.sqrt(), tg.sqrt()
    _same(ey, ty)
    ey.sum().backward()
    ty.sum().backward()
    _same(eg.grad, tg.grad)
    # Adam, RMSprop, Adagrad on a float64 parameter with given gradients (their denominators
    # are sqrt's)
    r = np.random.default_rng(4)
    p0, gs = r.standard_normal((4, 50)), [r.standard_normal((4, 50)) for _ in range(4)]
    for name, kw in (("Adam", {}), ("Adam", {"amsgrad": True}), ("RMSprop", {}),
                     ("Adagrad", {}), ("NAdam", {})):
        ep, tp = ember.tensor(p0, requires_grad=True), torch.tensor(p0, requires_grad=True)
        eo = getattr(ember.optim, name)([ep], lr=0.01, **kw)
        to = getattr(torch.optim, name)([tp], lr=0.01, **kw)
        for g in gs:
            ep.grad, tp.grad = ember.tensor(g), torch.tensor(g)
            eo.step()
            to.step()
        _same(ep, tp)


def test_signaling_nan_arguments_come_back_quieted():
    # PyTorch's sqrt and logs give a NaN argument back quieted (its payload and sign kept)
    x = np.array([0x7FF0000000000001, 0xFFF0000000000001, 0xFFF4000000000000,
                  0x7FF8000000000002], np.uint64).view(np.float64)
    x32 = np.array([0x7F800001, 0xFF800001, 0x7FC00003], np.uint32).view(np.float32)
    for name in ("sqrt", "log", "log2", "log10", "log1p"):
        for a in (x, x32):
            e = getattr(ember.from_numpy(a.copy()), name)().numpy()
            t = getattr(torch.from_numpy(a.copy()), name)().numpy()
            assert e.tobytes() == t.tobytes(), name
    _same(ember.from_numpy(x.copy()) ** 0.5, torch.from_numpy(x.copy()) ** 0.5)
