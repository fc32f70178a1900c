"""Pointwise math against PyTorch bit for bit: gradients, strided float64 loops, half types."""
import numpy as np
import pytest
import torch

import ember
from diff import measured_cpu


def _values(n, seed=0):
    r = np.random.default_rng(seed)
    k = n // 5
    v = np.concatenate([
        r.uniform(-10, 10, k), r.uniform(-1, 1, k), r.normal(0, 3, k),
        np.exp(r.uniform(-30, 4, k)) * r.choice([-1, 1], k),
        np.round(r.uniform(-20, 20, n - 4 * k)) + r.uniform(-1e-3, 1e-3, n - 4 * k),
    ])
    sp = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 89.0, -89.0, 6.84375, 0.5, 2.0]
    v[:len(sp)] = sp[:n]
    return v[:n]


def _bits(t):
    """A tensor's values as integers (NaNs all alike), from either library."""
    if isinstance(t, torch.Tensor):
        a = t.detach().float().numpy() if t.dtype == torch.bfloat16 else t.detach().numpy()
    else:
        a = t.detach().float().numpy() if t.dtype == ember.bfloat16 else t.detach().numpy()
    a = np.ascontiguousarray(a)
    b = a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize]).astype(np.uint64)
    return np.where(np.isnan(a), 0, b)


def _same(t, e):
    assert t.shape == tuple(e.shape)
    np.testing.assert_array_equal(_bits(t), _bits(e))


def _pair(v, dtype, grad=False):
    t = torch.tensor(v).to(getattr(torch, dtype))
    e = ember.tensor(v).to(getattr(ember, dtype))
    if grad:
        t.requires_grad_(True)
        e.requires_grad_(True)
    return t, e


@pytest.mark.parametrize("n", [7, 1000, 4099])
@pytest.mark.parametrize("op", ["log10", "tanh"])
def test_float64_backward_bits(op, n):
    # log10: PyTorch's formula writes ln(10) an ulp below math.log(10); tanh: 1 - y*y is one
    # fused multiply-add in the vector loop and the scalar tail alike
    v = _values(n, seed=n)
    if op == "log10":
        v = np.abs(v) + 1e-3
    t, e = _pair(v, "float64", grad=True)
    g = _values(n, seed=n + 1)
    yt, ye = getattr(torch, op)(t), getattr(ember, op)(e)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    # (where the forward values agree: ember's float64 tanh is not MKL's, within an ulp)
    same = _bits(yt) == _bits(ye)
    assert same.mean() > 0.5
    np.testing.assert_array_equal(_bits(t.grad)[same], _bits(e.grad)[same])


@pytest.mark.parametrize("layout", ["stride2", "transposed", "rows"])
@pytest.mark.parametrize("op", ["sinh", "cosh", "atanh"])
def test_float64_strided_loops(op, layout):
    # a strided inner loop is PyTorch's scalar loop (the C library's function), not Sleef's
    v = _values(6002, seed=3)
    if op == "atanh":
        v = np.tanh(v)
    t, e = _pair(v, "float64")
    if layout == "stride2":
        t, e = t.view(-1, 2).t()[0], e.view(-1, 2).t()[0]
    elif layout == "transposed":
        t, e = t.view(2, -1).t(), e.view(2, -1).t()
    else:
        t, e = t[:6000].view(-1, 3)[:, :2], e[:6000].view(-1, 3)[:, :2]
    yt, ye = getattr(torch, op)(t), getattr(ember, op)(e)
    if layout == "transposed":  # (contiguous inner loops: Sleef's, an ulp off once in 15000)
        assert (_bits(yt) != _bits(ye)).sum() <= 2
    else:
        _same(yt, ye)


@pytest.mark.parametrize("n", [1, 40, 100, 3001])
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("op", ["exp", "sinh", "cosh", "log10", "atanh", "rsqrt"])
def test_half_unary_bits(op, dtype, n):
    # half types: Sleef's float32 function in the vector loop (64 values a step), the C
    # library's on the tails, rounded once (cosh(89) is inf in bfloat16's vector loop only)
    v = np.full(n, 89.0) if n in (40, 100) else _values(n, seed=7)
    if n == 1:
        v = np.array([6.84375])
    if op == "atanh":
        v = np.tanh(v / 4)
    if op == "rsqrt":  # (the scalar loop rounds the square root to the type first)
        v = np.abs(v) * 7.3
    t, e = _pair(v, dtype)
    _same(getattr(torch, op)(t), getattr(ember, op)(e))
    if n > 1:
        _same(getattr(torch, op)(t[::3]), getattr(ember, op)(e[::3]))


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_add_sub_round_the_number_first(dtype):
    v = _values(2001, seed=11)
    t, e = _pair(v, dtype)
    cases = [lambda L, x: x + 0.1, lambda L, x: 0.1 + x, lambda L, x: x - 0.3,
             lambda L, x: 0.7 - x, lambda L, x: L.add(x, 0.1, alpha=3),
             lambda L, x: L.sub(x, 1e-3, alpha=2.5), lambda L, x: L.rsub(x, 0.1),
             lambda L, x: x + 2049, lambda L, x: x * 0.1, lambda L, x: x / 0.3]
    for f in cases:
        _same(f(torch, t), f(ember, e))
    t.add_(0.1)
    e.add_(0.1)
    _same(t, e)


@pytest.mark.parametrize("exponent", [0.5, -0.5, 2, 3, -1, -2])
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_pow_scalar(dtype, exponent):
    # bfloat16: x ** 3 and x ** -2 round x * x to bfloat16 first; float16: x ** +-0.5 is pow
    # ((-inf) ** 0.5 = inf, (-0.) ** -0.5 = inf)
    if dtype == "bfloat16" and exponent == -0.5:
        pytest.skip("PyTorch's bfloat16 rsqrt uses the processor's estimate: not emulated")
    v = _values(3001, seed=13)
    t, e = _pair(v, dtype)
    _same(t ** exponent, e ** exponent)
    _same(torch.pow(t[::2], exponent), ember.pow(e[::2], exponent))


def test_atan2_gradient_of_subnormal_radius_is_infinite():
    # PyTorch zeroes the reciprocal of a^2 + b^2 only where that is 0, not where it is inf
    a = [-6.8528662e-23, 3.6e-23, 0.0, 1e-30, 1.5, -0.0]
    b = [-8.8691048e-28, 2.66e-23, 0.0, 0.0, -2.0, 0.0]
    grads = []
    for L in (torch, ember):
        x = L.tensor(a, requires_grad=True)
        y = L.tensor(b, requires_grad=True)
        grads.append(L.autograd.grad(L.atan2(x, y).sum(), [x, y]))
    for t, e in zip(*grads):
        _same(t, e)


@pytest.mark.parametrize("n", [7, 1000, 40001])
def test_logaddexp_float32_bits(n):
    # Sleef's expf and log1pf in the vector loop, the C library's on the tails
    v, w = _values(n, seed=21), _values(n, seed=22)
    t, e = _pair(v, "float32")
    u, f = _pair(w, "float32")
    _same(torch.logaddexp(t, u), ember.logaddexp(e, f))
    _same(torch.logaddexp(t[::2], u[::2]), ember.logaddexp(e[::2], f[::2]))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_softshrink_signed_zeros(dtype):
    # the scalar loop gives a * 0 (-0. for negative a), the vector loop (one vector a step) +0
    v = np.where(np.arange(1003) % 3 == 0, -0.3, np.linspace(-2, 2, 1003))
    t, e = _pair(v, dtype)
    F, G = torch.nn.functional, ember.nn.functional
    for sl in (lambda x: x, lambda x: x[::2], lambda x: x[:7], lambda x: x[:20],
               lambda x: x[:1000].view(10, 100).t(), lambda x: x[:1000].view(40, 25)[:, :20]):
        a, b = F.softshrink(sl(t)), G.softshrink(sl(e))
        np.testing.assert_array_equal(np.signbit(a.float().numpy()), np.signbit(b.float().numpy()))
        _same(a, b)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_division_rounding_modes(dtype):
    # the quotient is rounded to the half type before trunc; floor division runs PyTorch's
    # float algorithm in the half type's arithmetic
    v, w = _values(3001, seed=31), _values(3001, seed=32)
    t, e = _pair(v, dtype)
    u, f = _pair(w, dtype)
    _same(torch.div(t, u, rounding_mode="trunc"), ember.div(e, f, rounding_mode="trunc"))
    _same(torch.div(t, u, rounding_mode="floor"), ember.div(e, f, rounding_mode="floor"))
    _same(torch.floor_divide(t, u), ember.floor_divide(e, f))
    _same(t // 0.3, e // 0.3)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_remainder_and_fmod_bits(dtype):
    # remainder is fmod plus the divisor where the signs differ: a zero keeps the dividend's
    # sign; float32's vector fmod is NaN where |x / y| passes the float32 range
    v, w = _values(4001, seed=41), _values(4001, seed=42)
    v[20:30] = [1e30, -3e38, 2e25, 1e20, 5.0, -3.0, 3.0, -0.0, 6.0, -6.0]
    w[20:30] = [1e-10, 1e-12, 1e-40, 3e-20, 1.0, 1.0, -1.0, 2.0, -2.0, 2.0]
    t, e = _pair(v, dtype)
    u, f = _pair(w, dtype)
    _same(torch.remainder(t, u), ember.remainder(e, f))
    _same(torch.fmod(t, u), ember.fmod(e, f))
    _same(t % 1.5, e % 1.5)
    if dtype != "bfloat16":
        _same(torch.remainder(t[::2], u[::2]), ember.remainder(e[::2], f[::2]))
        _same(torch.fmod(t[::2], u[::2]), ember.fmod(e[::2], f[::2]))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_xlogy_rounds_the_log_first(dtype):
    v, w = _values(2001, seed=51), np.abs(_values(2001, seed=52))
    w[:3] = [0.0, np.nan, -1.0]
    t, e = _pair(v, dtype, grad=True)
    u, f = _pair(w, dtype)
    yt, ye = torch.xlogy(t, u), ember.xlogy(e, f)
    _same(yt, ye)
    yt.sum().backward()
    ye.sum().backward()
    _same(t.grad, e.grad)


@pytest.mark.parametrize("layout", ["full", "stride2", "rows64", "rows7", "flip", "transposed"])
def test_logit_float32_layouts(layout):
    # MKL's log over a tensor that fills its memory; else Sleef's logf in the vector loop and
    # the C library's logf on tails and strided loops
    r = np.random.default_rng(61)
    v = r.uniform(-0.1, 1.1, 40000).astype(np.float32)
    v[:5] = [0, 1, np.nan, 0.5, -0.0]
    sl = {"full": lambda a: a, "stride2": lambda a: a[::2],
          "rows64": lambda a: a.reshape(400, 100)[:, :64],
          "rows7": lambda a: a.reshape(400, 100)[:, :7], "flip": lambda a: a.flip(0),
          "transposed": lambda a: a.reshape(200, 200).T}[layout]
    t, e = torch.logit(sl(torch.tensor(v))), ember.logit(sl(ember.tensor(v)))
    if measured_cpu() or layout not in ("full", "flip", "transposed"):
        _same(t, e)
    else:  # (MKL's log is emulated on the measured processor only: else an ulp apart)
        assert t.shape == tuple(e.shape)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


# -- signed zeros in maximum/minimum/fmax/fmin/clamp, NaN bits in casts, NaN gradients --------

def _signs(t):
    return np.signbit(t.detach().float().numpy())


def _zeros_pair(n, dtype, seed):
    r = np.random.default_rng(seed)
    v = np.where(r.random(n) < 0.5, 0.0, -0.0)
    v[r.random(n) < 0.1] = 1.5
    return _pair(v, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_minmax_signed_zero_ties(dtype):
    # of +0. and -0. the scalar loop keeps the first, the vector loop (64 bytes a step) the
    # second; fmax/fmin keep the first (bfloat16's the second)
    for n in (7, 16, 17, 40, 1000, 40001):
        (t, e), (u, f) = _zeros_pair(n, dtype, n), _zeros_pair(n, dtype, n + 1)
        views = [lambda x: x, lambda x: x[::2], lambda x: x[1:]]
        if n == 1000:
            views += [lambda x: x.view(40, 25)[:, :20], lambda x: x.view(40, 25).t()]
        for op in ("maximum", "minimum", "fmax", "fmin"):
            for sl in views:
                a, b = getattr(torch, op)(sl(t), sl(u)), getattr(ember, op)(sl(e), sl(f))
                np.testing.assert_array_equal(_signs(a), _signs(b), err_msg=f"{op} {n}")
            z = torch.tensor(-0.0, dtype=t.dtype)
            np.testing.assert_array_equal(_signs(getattr(torch, op)(t, z)),
                                          _signs(getattr(ember, op)(e, ember.tensor(-0.0).to(
                                              e.dtype))))
        for kw in ({"min": 0}, {"max": 0}, {"min": 0, "max": 1}):
            ta = {k: (u if v == 0 else -u) for k, v in kw.items()}
            ea = {k: (f if v == 0 else -f) for k, v in kw.items()}
            np.testing.assert_array_equal(_signs(torch.clamp(t, **ta)),
                                          _signs(ember.clamp(e, **ea)))
            np.testing.assert_array_equal(_signs(torch.clamp(t[::2], **{
                k: v[::2] for k, v in ta.items()})), _signs(ember.clamp(e[::2], **{
                    k: v[::2] for k, v in ea.items()})))


def _nan_source(kind, n):
    pats = {"float64": (np.uint64, [0x7FF8000000000000, 0xFFF8000000000000,
                                    0x7FF0000000000001, 0xFFF8000000000123]),
            "float32": (np.uint32, [0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00123]),
            "float16": (np.uint16, [0x7E00, 0xFE00, 0x7C01, 0x7D23])}
    it, p = pats[kind]
    a = np.array((p * n)[:n], it).view(getattr(np, kind))
    a[5::7] = 1.5
    return a


@pytest.mark.parametrize("pair", ["float64-bfloat16", "float32-bfloat16", "float16-bfloat16",
                                  "float32-float16", "float16-float32"])
def test_nan_bits_in_casts(pair):
    # bfloat16: 0xffff from the vector code (float64 16 values a step), 0x7fc0 from the
    # scalar; float16: the processor's conversion in contiguous loops, 0x7e00 when strided;
    # float16 -> float32: quieted, but 0x7fffffff on the tail of a contiguous loop
    src, dst = pair.split("-")
    for n in (1, 7, 8, 17, 33, 100, 1000):
        v = _nan_source(src, n)
        t, e = torch.from_numpy(v.copy()), ember.from_numpy(v.copy())
        views = [lambda x: x, lambda x: x[::2]]
        if n == 1000:
            views += [lambda x: x.view(40, 25)[:, :20], lambda x: x.view(40, 25).t()]
        for sl in views:
            a = sl(t).to(getattr(torch, dst))
            b = sl(e).to(getattr(ember, dst))
            it = np.uint16 if a.element_size() == 2 else np.uint32
            if a.dtype == torch.bfloat16:
                a = a.view(torch.int16)
                b = b.view(ember.int16)
            np.testing.assert_array_equal(np.ascontiguousarray(a.numpy()).view(it),
                                          np.ascontiguousarray(b.numpy()).view(it),
                                          err_msg=f"{pair} {n}")


def test_bfloat16_nan_from_numbers_is_positive():
    nan = float("nan")
    for L in (torch, ember):
        for t in (L.tensor([nan, -nan] * 20, dtype=L.bfloat16), L.full((20,), -nan,
                                                                      dtype=L.bfloat16)):
            assert set(t.view(L.int16).tolist()) == {0x7FC0}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("op", ["hardswish", "elu", "hardtanh", "relu6", "hardshrink",
                                "softshrink"])
def test_backward_at_nan_vector_blocks_and_tails(op, dtype):
    # NaN inputs: the vector loop's selects give NaN (hardswish, elu) or 0, the scalar loop
    # (the tails, strided loops) passes the gradient
    for n in (7, 17, 33, 70, 200):
        v = np.full(n, np.nan)
        v[3::5] = 0.25
        grads = []
        for L in (torch, ember):
            x = L.tensor(v).to(getattr(L, dtype)).requires_grad_(True)
            y = L.tensor(np.concatenate([v, v])).to(getattr(L, dtype)).requires_grad_(True)
            f = getattr(L.nn.functional, op)
            f(x).backward(L.ones(n, dtype=x.dtype))
            f(y[::2]).backward(L.ones(n, dtype=x.dtype))
            grads.append((x.grad, y.grad))
        for t, e in zip(*grads):
            _same(t, e)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_trigamma_bits(dtype):
    # half types: the float32 series rounded once (bfloat16 at -4: finite, not inf); a NaN
    # from -inf keeps its sign (but bfloat16's scalar loop gives 0x7fc0); trigamma(inf) = 0
    v = _values(712, seed=71)
    v[:8] = [np.inf, -np.inf, -4.0, -2.238, 0.0, -0.0, 1000.0, np.nan]
    grads = []
    for L in (torch, ember):
        x = L.tensor(v).to(getattr(L, dtype))
        grads.append(L.polygamma(1, x))
        x.requires_grad_(True)
        L.digamma(x).backward(L.ones(712, dtype=x.dtype))
        grads.append(x.grad)
        grads.append(L.polygamma(2, x.detach()[:6]))
    t, e = grads[:3], grads[3:]
    # (bfloat16's product g * trigamma: PyTorch's vector loop writes its NaN as 0xffff)
    _same(t[1], e[1])
    for a, b in zip(t[::2], e[::2]):
        a, b = a.detach(), b.detach()
        if a.dtype == torch.bfloat16:
            a, b = a.view(torch.int16), b.view(ember.int16)
        np.testing.assert_array_equal(a.numpy().view(f"u{a.element_size()}"),
                                      b.numpy().view(f"u{a.element_size()}"))
