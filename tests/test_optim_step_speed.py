"""The optimizers' flat float32 updates (``_adam_flat``, ``_rmsprop_flat``, ``_adagrad_flat``,
the fused kernels' flat path) and the filtered MKL ``sqrt`` they use keep every bit.

- ``_vml._sqrt_intel`` (NumPy's root, MKL's kernel redone only near halfway points) gives
  ``_sqrt_intel_exact``'s bits on every float32 in [1, 4) and on the edge cases.
- Each optimizer option: the state bit for bit PyTorch's, the parameters too where PyTorch's
  square root is reproduced on this processor (or not taken: the fused kernels), else within
  an ulp or so; and every array bit for bit ember's generic per-array update.
- The state dict keeps PyTorch's layout.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _vml
from ember.optim import _functional as F

torch = pytest.importorskip("torch")

# (blocks of 2**12 elements:) one parameter over several blocks, one whose size is not a
# multiple of 8 (the fused kernels' scalar tail), a 0-d one, a small one, a non-contiguous
# one (a transposed view), and one that never has a gradient
STEPS = 3


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch):
    monkeypatch.setattr(F, "_FLAT_BLOCK", 1 << 12)
    monkeypatch.setattr(F, "_FLAT_MIN", 1 << 9)


def _sqrt_reproduced():
    """Whether ember's float32 sqrt is checked here to be PyTorch's on every input: MKL's
    Intel kernel (``_vml.intel_sqrt``; elsewhere parameters are compared closely)."""
    return _vml.intel_sqrt() and not _vml.emulated()


def _grad(r, shape, step):
    """Gradients with exact zeros, squares in float32's subnormal range, and large values."""
    g = np.array(r.standard_normal(shape) * 10.0 ** r.uniform(-4, 0, shape))
    u = r.random(shape)
    g[u < 0.05] = 0.0
    g[(u >= 0.05) & (u < 0.08)] *= 1e-22
    g[(u >= 0.08) & (u < 0.09)] *= 1e-19 if step % 2 else 1e-40
    g[(u >= 0.09) & (u < 0.092)] *= 1e12
    return np.array(g, np.float32)


def _params(lib, r):
    shapes = [(70, 150), (4099,), (), (5,)]
    ws = [np.asarray(r.standard_normal(s) * 0.05, np.float32) for s in shapes]
    ps = [lib.nn.Parameter(lib.from_numpy(w.copy())) for w in ws]
    base = (r.standard_normal((40, 30)) * 0.05).astype(np.float32)
    ps.append(lib.nn.Parameter(lib.from_numpy(base.copy()).t()))  # (non-contiguous)
    ps.append(lib.nn.Parameter(lib.from_numpy(ws[3].copy())))  # (no gradient ever)
    return ps


def _run(lib, name, kw, seed=5):
    r = np.random.default_rng(seed)
    ps = _params(lib, r)
    opt = getattr(lib.optim, name)(ps, **kw)
    for i in range(STEPS):
        for j, p in enumerate(ps[:-1]):
            # (the small one goes without a gradient on the second step)
            p.grad = None if (j == 3 and i == 1) else lib.from_numpy(_grad(r, p.shape, i))
        opt.step()
    out = {"p": [p.detach().numpy().copy() for p in ps]}
    for j, p in enumerate(ps):
        for key, v in opt.state[p].items() if p in opt.state else ():
            out[f"{key}[{j}]"] = v.detach().numpy().copy()
    return out, opt


CASES = [
    ("Adam", {}), ("Adam", dict(foreach=True)), ("Adam", dict(foreach=False)),
    ("Adam", dict(amsgrad=True)), ("Adam", dict(weight_decay=0.1)),
    ("Adam", dict(maximize=True, lr=0.01)), ("Adam", dict(betas=(0.3, 0.5), lr=0.1)),
    ("Adam", dict(fused=True)), ("Adam", dict(fused=True, amsgrad=True, weight_decay=0.05)),
    ("Adam", dict(fused=True, maximize=True, betas=(0.3, 0.5), eps=1e-3)),
    ("AdamW", {}), ("AdamW", dict(fused=True, weight_decay=0.3)),
    ("AdamW", dict(amsgrad=True, foreach=True, maximize=True)),
    ("RMSprop", {}), ("RMSprop", dict(momentum=0.9, lr=0.01)),
    ("RMSprop", dict(centered=True, weight_decay=0.1)),
    ("RMSprop", dict(centered=True, momentum=0.5, maximize=True, alpha=0.9, foreach=True)),
    ("RMSprop", dict(alpha=0.3, eps=1e-3)),
    ("Adagrad", {}), ("Adagrad", dict(lr_decay=0.01, weight_decay=0.1)),
    ("Adagrad", dict(maximize=True, initial_accumulator_value=0.1, foreach=True)),
    ("Adagrad", dict(fused=True)), ("Adagrad", dict(fused=True, lr_decay=0.1, maximize=True,
                                                    weight_decay=0.01)),
]


def _id(case):
    name, kw = case
    return name + "".join(f"-{k}={v}" for k, v in kw.items())


def _bits(a):
    return a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes()


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_torch_and_the_generic_update(case, monkeypatch):
    name, kw = case
    want, topt = _run(torch, name, kw)
    calls = []
    for fn in ("_adam_flat", "_rmsprop_flat", "_adagrad_flat"):
        real = getattr(F, fn)
        monkeypatch.setattr(F, fn, lambda *a, _real=real, **k: (calls.append(1), _real(*a, **k)))
    got, eopt = _run(ember, name, kw)
    # (the two large parameters took the flat update; fused, the transposed one too: its
    # kernel walks the parameter's memory as one flat run, as PyTorch's does)
    assert len(calls) == (3 if kw.get("fused") else 2) * STEPS
    assert sorted(got) == sorted(want)
    exact_sqrt = _sqrt_reproduced() or kw.get("fused")
    for key in want:
        if key == "p" or not exact_sqrt and not key.startswith(
                ("exp_avg", "max_exp", "step", "sum", "square", "grad_avg")):
            continue
        assert _bits(got[key]) == _bits(want[key]), key
    for j, (a, b) in enumerate(zip(got["p"], want["p"])):
        if exact_sqrt:
            assert _bits(a) == _bits(b), f"p[{j}]"
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=f"p[{j}]")
    # the generic per-array update, everywhere: every array bit for bit
    monkeypatch.setattr(F, "_flat_ok", lambda *a, **k: False)
    generic, _ = _run(ember, name, kw)
    for key in got:
        if key == "p":
            assert [_bits(a) for a in got[key]] == [_bits(a) for a in generic[key]]
        else:
            assert _bits(got[key]) == _bits(generic[key]), key
    # the state dict's layout
    sd_t, sd_e = topt.state_dict(), eopt.state_dict()
    assert sorted(sd_e["state"]) == sorted(sd_t["state"])
    for i in sd_t["state"]:
        assert list(sd_e["state"][i]) == list(sd_t["state"][i])
        for k, v in sd_t["state"][i].items():
            assert str(sd_e["state"][i][k].dtype) == str(v.dtype)
            assert tuple(sd_e["state"][i][k].shape) == tuple(v.shape)
    assert [sorted(g) for g in sd_e["param_groups"]] == [sorted(g) for g in sd_t["param_groups"]]


def test_sqrt_intel_is_the_exact_kernel():
    """Every float32 in [1, 4) (both exponent parities: MKL's result scales exactly from
    there), the lowest normal binades, subnormals, and random bit patterns (negatives, NaNs
    with payloads, infinities): the filtered root gives the exact kernel's bits, in place too."""
    def check(x):
        with np.errstate(all="ignore"):
            want = _vml._sqrt_intel_exact(x)
            got = _vml._sqrt_intel(x)
            inplace = x.copy()
            _vml._sqrt_intel(inplace, inplace)
        assert got.view(np.uint32).tobytes() == want.view(np.uint32).tobytes()
        assert inplace.view(np.uint32).tobytes() == want.view(np.uint32).tobytes()

    one = int(np.float32(1).view(np.uint32))
    check(np.arange(one, one + (2 << 23), dtype=np.uint32).view(np.float32))
    for e in (-126, -120, -110, -100, -96, -90):
        lo = int(np.float32(2.0 ** e).view(np.uint32))
        check(np.arange(lo, lo + (2 << 23), 7, dtype=np.uint32).view(np.float32))
    check(np.arange(0, 1 << 23, 3, dtype=np.uint32).view(np.float32))
    r = np.random.default_rng(0)
    bits = r.integers(0, 1 << 32, 1 << 20, dtype=np.uint64).astype(np.uint32)
    bits[:4096] |= np.uint32(0x7F800000)
    check(bits.view(np.float32))
    check(np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 3.4028235e38]))
    for n in (1, 33, 3071, 3072, 70001):  # (sizes on both sides of the short cut)
        check(bits[-n:].view(np.float32))


def test_sqrt_into_is_sqrt():
    r = np.random.default_rng(1)
    x = (np.abs(r.standard_normal(5000)) * 10.0 ** r.uniform(-40, 30, 5000)).astype(np.float32)
    x[:10] = 0
    k = x.size
    scratch = (np.empty(k), np.empty(k, np.int64), np.empty(k, bool))
    out = np.empty_like(x)
    _vml.sqrt_into(x, out, *scratch)
    assert out.tobytes() == np.asarray(_vml.sqrt(x)).tobytes()
    if _sqrt_reproduced():
        assert out.tobytes() == torch.sqrt(torch.from_numpy(x)).numpy().tobytes()


def test_block_fma_is_fma32():
    """``_fma_into`` (any signs) and ``_sq_fma_into`` (squares) round as ``_fma32``: random
    magnitudes, short mantissas, zeros, subnormal results, NaN and infinity, and sums that
    double rounding would get wrong (float64 sum exactly halfway between two float32)."""
    r = np.random.default_rng(7)
    n = 6000
    f = np.float32

    def arrays(signed):
        a = r.standard_normal(n) * 10.0 ** r.integers(-30, 20, n)
        b = r.standard_normal(n) * 10.0 ** r.integers(-30, 20, n)
        c = r.standard_normal(n) * 10.0 ** r.integers(-45, 30, n)
        short = r.random(n) < 0.3
        a[short] = r.integers(-64, 64, short.sum()) * 2.0 ** r.integers(-20, 5, short.sum())
        b[short] = r.integers(-64, 64, short.sum()) * 2.0 ** r.integers(-20, 5, short.sum())
        c[short] = r.integers(-64, 64, short.sum()) * 2.0 ** r.integers(-40, 5, short.sum())
        a[:50], b[:50], c[:50] = 2.0 ** -12 * (1 + 2.0 ** -23), 2.0 ** -12 * (1 - 2.0 ** -23), \
            1 + 2.0 ** -23  # (exact sum just below a halfway point)
        a[50:60] = 0
        c[60:70] = 0
        c[70:73] = [np.nan, np.inf, -np.inf]
        if not signed:
            b = a.copy()
            b[:50] = a[:50]
            a[:50] = 2.0 ** -12 * (1 - 2.0 ** -23)
            c = np.abs(c)
            c[70] = np.nan
        return a.astype(f), b.astype(f), c.astype(f)

    with np.errstate(all="ignore"):
        for signed in (True, False):
            for case in range(4):
                a, b, c = arrays(signed)
                if case == 1:  # (no subnormal results: the screened path throughout)
                    keep = np.abs(a.astype(np.float64) * b + c) > 1e-30
                    a, b, c = a[keep], b[keep], c[keep]
                if case == 2:
                    c[:] = np.abs(c)
                    c[70:73] = 1.0
                want = F._fma32(a, b, c)
                out = np.empty_like(a)
                w1, w2 = np.empty(a.size), np.empty(a.size)
                F._fma_into(a, b, c, out, w1, w2)
                assert out.tobytes() == want.tobytes()
                if not signed:
                    out[:] = 0
                    F._sq_fma_into(a, b, c, out, w1, w2)
                    assert out.tobytes() == want.tobytes()
