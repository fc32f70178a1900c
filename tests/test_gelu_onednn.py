"""gelu on the CPU, bit for bit against PyTorch: oneDNN's kernels (contiguous float32 and
bfloat16, erf form, forward and backward), ATen's (other layouts, oneDNN off, float16, the
tanh form) with their vector blocks, scalar tails (the C library's erff) and thread ranges."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from diff import measured_cpu

torch = pytest.importorskip("torch")
F_T, F_E = torch.nn.functional, ember.nn.functional

SPECIAL = np.array([0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-38, -3e-39, 3e38, -3e38,
                    10, -10, 5.5, -5.5, 20, -20, 88, -88, 100, -100, -9.3, 9.3, -13, -14, -13.5,
                    0.84375, -0.84375, 1.25, -1.25, 2.857143, -2.857143, 6, -6, 5.9999995,
                    3.7e-9, -3.7e-9], np.float32)


def _bits(a):
    a = np.ascontiguousarray(a.detach().float().numpy() if hasattr(a, "detach") else a)
    return a.view(np.int32)


def _run(x, gy, approximate="none", dtype="float32", view=lambda t: t, reduce=None,
         mkldnn=True):
    """gelu's output and input gradient in both libraries (``reduce``: backward from the
    output's sum / mean instead of ``gy``)."""
    got = []
    for lib in (torch, ember):
        old = lib.backends.mkldnn.enabled
        lib.backends.mkldnn.enabled = mkldnn
        try:
            t = lib.tensor(x).to(getattr(lib, dtype)).requires_grad_(True)
            y = lib.nn.functional.gelu(view(t), approximate=approximate)
            if reduce:
                getattr(y, reduce)().backward()
            else:
                y.backward(lib.tensor(gy).to(y.dtype))
        finally:
            lib.backends.mkldnn.enabled = old
        got.append((_bits(y), _bits(t.grad)))
    return got


def _same(x, gy, **kw):
    (ty, tg), (ey, eg) = _run(x, gy, **kw)
    np.testing.assert_array_equal(ey, ty, err_msg="forward")
    np.testing.assert_array_equal(eg, tg, err_msg="backward")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("mkldnn", [True, False])
def test_lengths_1_to_100(approximate, mkldnn):
    rng = np.random.default_rng(1)
    xs = [(rng.standard_normal(n) * 3).astype(np.float32) for n in range(1, 101)]
    for x in xs:
        _same(x, rng.standard_normal(x.size).astype(np.float32), approximate=approximate,
              mkldnn=mkldnn)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_large_and_thread_ranges(approximate):
    rng = np.random.default_rng(2)
    for n in (16383, 16385, 20000, 32769, 70001):
        for mkldnn in (True, False):
            x = (rng.standard_normal(n) * 3).astype(np.float32)
            _same(x, rng.standard_normal(n).astype(np.float32), approximate=approximate,
                  mkldnn=mkldnn)


def test_onednn_backward_normal_inputs():
    # oneDNN's gelu_erf backward: Abramowitz & Stegun's erf with oneDNN's exp, 1/sqrt(pi)
    # rounded down (the case the old ~2/3 match missed)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(4096).astype(np.float32)
    _same(x, np.ones_like(x))
    x = rng.uniform(-7, 7, 50000).astype(np.float32)
    _same(x, rng.standard_normal(x.size).astype(np.float32))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_special_values(approximate):
    x = np.tile(SPECIAL, 3)
    for mkldnn in (True, False):
        _same(x, np.ones_like(x), approximate=approximate, mkldnn=mkldnn)
        _same(SPECIAL[:7], np.ones(7, np.float32), approximate=approximate, mkldnn=mkldnn)
        _same(x, None, approximate=approximate, mkldnn=mkldnn, reduce="sum")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_strided_layouts(approximate):
    # not contiguous: ATen's kernel (the C library's erff where the loop is scalar); a
    # transpose of dense memory runs as a flat loop with its thread ranges
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((37, 53)) * 4).astype(np.float32)
    _same(x, rng.standard_normal((53, 37)).astype(np.float32), approximate=approximate,
          view=lambda t: t.t())
    _same(x, rng.standard_normal((37, 27)).astype(np.float32), approximate=approximate,
          view=lambda t: t[:, ::2])
    x = (rng.standard_normal((200, 100)) * 4).astype(np.float32)
    _same(x, rng.standard_normal((100, 200)).astype(np.float32), approximate=approximate,
          view=lambda t: t.t())
    x = (rng.standard_normal((2, 16, 30, 19)) * 3).astype(np.float32)
    _same(x, rng.standard_normal((2, 30, 19, 16)).astype(np.float32), approximate=approximate,
          view=lambda t: t.permute(0, 2, 3, 1))


@pytest.mark.parametrize("reduce", ["sum", "mean"])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_broadcast_gradient(approximate, reduce):
    rng = np.random.default_rng(4)
    for n in (37, 1000, 40000):
        x = (rng.standard_normal(n) * 3).astype(np.float32)
        for mkldnn in (True, False):
            _same(x, None, approximate=approximate, reduce=reduce, mkldnn=mkldnn)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_half_types(dtype, approximate):
    # computed in float32; the vector loop takes 64 half values a step
    rng = np.random.default_rng(5)
    for n in (105, 4000, 20000):
        x = (rng.standard_normal(n) * 3).astype(np.float32)
        for mkldnn in (True, False):
            _same(x, rng.standard_normal(n).astype(np.float32), approximate=approximate,
                  dtype=dtype, mkldnn=mkldnn)


def test_c_library_erff():
    # gelu of a strided input is all scalar code: 0.5 x (1 + erff(x / sqrt 2)), erff glibc's
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.uniform(-9, 9, 30000), rng.standard_normal(30000)]).astype(
        np.float32).reshape(2, -1)
    (ty, _), (ey, _) = _run(x, np.ones((30000, 2), np.float32), view=lambda t: t.t())
    np.testing.assert_array_equal(ey, ty)


def test_transformer_encoder_gelu_adam():
    def run(lib):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(32, 4, 64, dropout=0.1, activation="gelu",
                                               batch_first=True)
        head = lib.nn.Linear(32, 5)
        opt = lib.optim.Adam([*layer.parameters(), *head.parameters()], lr=1e-3)
        x, y = lib.randn(8, 10, 32), lib.randint(0, 5, (8, 10))
        losses = []
        for _ in range(20):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(head(layer(x)).reshape(-1, 5), y.reshape(-1))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [_bits(p) for p in layer.parameters()]

    (tl, tp), (el, ep) = run(torch), run(ember)
    if not measured_cpu():  # (the layer's products are MKL's: bits on the measured one only)
        np.testing.assert_allclose(el, tl, rtol=1e-4)
        # (atol: the key bias's gradient is rounding noise, which Adam scales up to lr)
        for a, b in zip(ep, tp):
            np.testing.assert_allclose(a.view(np.float32), b.view(np.float32), rtol=1e-3,
                                       atol=1e-3)
        return
    assert el == tl
    for a, b in zip(ep, tp):
        np.testing.assert_array_equal(a, b)


_BROADCASTS = [((37, 53), lambda y: y.mean(1).sum()), ((37, 53), lambda y: y.sum(0).sum()),
               ((4, 37, 53), lambda y: (y.sum(2) * y.sum(2)).sum()),
               ((300, 250), lambda y: y.sum(1).sum()),
               ((2, 300, 170), lambda y: y.sum((0, 2)).sum()),
               ((40, 50), lambda y: y.t().sum(0).sum())]


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_dim_broadcast_gradient(approximate):
    # a gradient broadcast along some dims (sum(dim)'s): PyTorch's vector loop runs each row
    # with the stride-0 operand as a scalar (each thread range's row pieces with their tails);
    # mean(dim)'s gradient is dense (divided after the expand)
    rng = np.random.default_rng(9)
    for shape, reduce in _BROADCASTS:
        x = (rng.standard_normal(shape) * 3).astype(np.float32)
        for mkldnn in (False, True):
            got = []
            for lib in (torch, ember):
                old = lib.backends.mkldnn.enabled
                lib.backends.mkldnn.enabled = mkldnn
                try:
                    t = lib.tensor(x, requires_grad=True)
                    reduce(lib.nn.functional.gelu(t, approximate=approximate)).backward()
                finally:
                    lib.backends.mkldnn.enabled = old
                got.append(_bits(t.grad))
            np.testing.assert_array_equal(got[1], got[0])
