"""float32 ``sqrt`` as PyTorch's CPU kernel (MKL's ``vsSqrt``) rounds it: ``ember._ops._vml``.

Where ``_vml.emulated()`` (the processor whose ``rsqrtps`` table was measured), ember's
float32 ``sqrt`` -- function, method, in-place, ``out=``, ``** 0.5`` -- and the optimizers'
square roots must be PyTorch's bit for bit, NaN bits included; elsewhere ``_vml.sqrt`` must be
NumPy's correctly rounded ``sqrt``.
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
    return np.ascontiguousarray(np.asarray(a, np.float32)).view(np.uint32)


def _same(e, t):
    e = e.numpy() if hasattr(e, "numpy") else e
    t = t.detach().numpy() if hasattr(t, "detach") else t
    assert e.shape == t.shape
    diff = int((_bits(e) != _bits(t)).sum())
    assert diff == 0, f"{diff} of {t.size} elements differ"


def _inputs(r):
    """Uniform, log-uniform over float32's whole range, every bit pattern (negatives, NaNs
    with payloads, infinities), subnormals, exact squares, the largest floats, specials."""
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1.0, 4.0, 2.0 ** -126,
                        2.0 ** -149, 3.4028235e38], np.float32)
    with np.errstate(over="ignore"):
        return {
            "uniform": r.uniform(0, 10, 200_000).astype(np.float32),
            "loguniform": np.exp(r.uniform(-103, 88, 200_000)).astype(np.float32),
            "bits": r.integers(0, 1 << 32, 300_000, dtype=np.uint64).astype(np.uint32)
                     .view(np.float32),
            "subnormal": r.integers(0, 1 << 23, 50_000).astype(np.uint32).view(np.float32),
            "huge": r.integers(0x7F7F0000, 0x7F800000, 20_000).astype(np.uint32)
                     .view(np.float32),
            "squares": (np.arange(3000, dtype=np.float32) ** 2),
            "special": special,
        }


def test_fallback_is_numpy():
    r = np.random.default_rng(0)
    x = r.uniform(0, 10, 1000)
    # (float16: never emulated, PyTorch rounds it otherwise; float64: tests/test_vml_sqrt64.py)
    _same(_vml.sqrt(x.astype(np.float16)).astype(np.float32),
          np.sqrt(x.astype(np.float16)).astype(np.float32))
    if not _vml.emulated() and not _vml.intel_sqrt():
        _same(_vml.sqrt(x.astype(np.float32)), np.sqrt(x.astype(np.float32)))


@pytest.mark.skipif(not _vml.intel_sqrt(), reason="MKL's Intel sqrt is modelled on one Intel model")
@pytest.mark.parametrize("n", [1, 5, 16, 100, 4097, 70000])
def test_intel_float32_sqrt_is_pytorchs(n):
    """On the Intel processor measured, float32 sqrt is MKL's vrsqrt14ps-based kernel, bit for
    bit (about 0.7% of values an ulp from the correctly rounded root), in place and into out=."""
    r = np.random.default_rng(n)
    x = (r.random(n) * 10).astype(np.float32) * np.float32(2.0) ** \
        r.integers(-60, 60, n).astype(np.float32)
    specials = np.array([0.0, -0.0, np.inf, 1e-40, -1.0, np.nan, 4.0], np.float32)
    x[:min(n, 7)] = specials[:min(n, 7)]
    want = torch.sqrt(torch.from_numpy(x)).numpy()
    got = ember.sqrt(ember.tensor(x)).numpy()
    assert (_bits(got) == _bits(want)).all()
    y = ember.tensor(x)
    y.sqrt_()
    assert (_bits(y.numpy()) == _bits(want)).all()
    o = ember.empty(n)
    ember.sqrt(ember.tensor(x), out=o)
    assert (_bits(o.numpy()) == _bits(want)).all()


@pytest.mark.skipif(not _vml.intel_sqrt(), reason="MKL's Intel sqrt is modelled on one Intel model")
def test_intel_rsqrt14_estimates_every_input_in_1_to_4():
    """The stored vrsqrt14ps table read through: an estimate within 2**-14 of 1/sqrt(x), a
    multiple of 2**-17 for x in [1, 4), the same for the 256 inputs sharing their top bits."""
    from ember._ops import _rsqrt14

    b = np.arange(np.float32(1).view(np.uint32), np.float32(4).view(np.uint32), 97,
                  dtype=np.uint32)
    x = b.view(np.float32)
    y = _rsqrt14.rsqrt14(x).astype(np.float64)
    assert np.all(np.abs(y * np.sqrt(x.astype(np.float64)) - 1) < 2.0 ** -14)
    assert np.all(y * 2 ** 17 == np.round(y * 2 ** 17))
    z = _rsqrt14.rsqrt14((b | np.uint32(0xFF)).view(np.float32)).astype(np.float64)
    assert np.array_equal(y[(b & 0x7FFFFF) != 0], z[(b & 0x7FFFFF) != 0])


@exact
def test_rsqrtps_table_is_a_12_bit_estimate():
    # the estimate is a multiple of 2**-13 (times 2**-k), within 1.5 * 2**-12 of 1/sqrt(x)
    x = np.exp(np.random.default_rng(1).uniform(-80, 80, 100_000)).astype(np.float32)
    y = _vml.rsqrtps(x)
    assert ((_bits(y) & 0x7FF) == 0).all()
    rel = np.abs(y.astype(np.float64) * np.sqrt(x.astype(np.float64)) - 1)
    assert rel.max() < 1.5 * 2.0 ** -12


@exact
@pytest.mark.parametrize("kind", ["uniform", "loguniform", "bits", "subnormal", "huge",
                                  "squares", "special"])
def test_sqrt_bitwise(kind):
    x = _inputs(np.random.default_rng(2))[kind]
    t = torch.from_numpy(x)
    _same(_vml.sqrt(x), t.sqrt())
    _same(ember.sqrt(ember.from_numpy(x)), torch.sqrt(t))


@exact
@pytest.mark.parametrize("n", [1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 65, 1000, 2047, 2049, 8195])
def test_sizes(n):
    x = np.random.default_rng(n).uniform(0, 100, n).astype(np.float32)
    _same(ember.from_numpy(x).sqrt(), torch.from_numpy(x).sqrt())


@exact
def test_paths():
    r = np.random.default_rng(3)
    x = r.uniform(0, 10, (301, 7)).astype(np.float32)
    e, t = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
    _same(e.t().sqrt(), t.t().sqrt())                   # transposed
    _same(e[:, ::2].sqrt(), t[:, ::2].sqrt())           # strided
    _same(e.expand(2, 301, 7).sqrt(), t.expand(2, 301, 7).sqrt())
    _same(e ** 0.5, t ** 0.5)                           # pow by 0.5 is sqrt in PyTorch
    _same(ember.pow(e, 0.5), torch.pow(t, 0.5))
    for v in x.ravel()[:200]:                            # 0-d tensors
        _same(ember.tensor(v).sqrt(), torch.tensor(v).sqrt())
    oe, ot = ember.empty(301, 7), torch.empty(301, 7)
    ember.sqrt(e, out=oe)
    torch.sqrt(t, out=ot)
    _same(oe, ot)
    e.sqrt_()
    t.sqrt_()
    _same(e, t)
    i = np.arange(0, 200_000, 7, dtype=np.int64)         # integers: computed in float32
    _same(ember.sqrt(ember.from_numpy(i)), torch.sqrt(torch.from_numpy(i)))


@exact
def test_gradient_uses_the_same_sqrt():
    x = np.random.default_rng(4).uniform(0.1, 10, 5000).astype(np.float32)
    e = ember.from_numpy(x).requires_grad_()
    t = torch.from_numpy(x).requires_grad_()
    ember.sqrt(e).sum().backward()
    torch.sqrt(t).sum().backward()
    _same(e.grad, t.grad)


OPTIMS = [("Adam", {}), ("Adam", dict(amsgrad=True, weight_decay=0.01)),
          ("Adam", dict(foreach=True)), ("AdamW", dict(weight_decay=0.1)),
          ("RMSprop", {}), ("RMSprop", dict(centered=True, momentum=0.9)),
          ("Adagrad", {}), ("Adadelta", {}), ("NAdam", {}), ("RAdam", {})]


@exact
@pytest.mark.parametrize("name,kw", OPTIMS, ids=[f"{n}-{'-'.join(k)}" for n, k in OPTIMS])
def test_optimizer_steps_bitwise(name, kw):
    """10 float32 steps: parameters and states PyTorch's bit for bit (a small parameter and
    one large enough for Adam's blocked update)."""
    r = np.random.default_rng(5)
    shapes = [(5, 3), (3000,)]
    ws = [(r.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
    gs = [[(r.standard_normal(s) * 10.0 ** r.uniform(-3, 0)).astype(np.float32)
           for s in shapes] for _ in range(10)]
    runs = []
    for lib in (ember, torch):
        ps = [lib.from_numpy(w.copy()).requires_grad_() for w in ws]
        opt = getattr(lib.optim, name)(ps, lr=0.01, **kw)
        for step in gs:
            for p, g in zip(ps, step):
                p.grad = lib.from_numpy(g.copy())
            opt.step()
        runs.append(ps)
    for pe, pt in zip(*runs):
        _same(pe.detach(), pt)
