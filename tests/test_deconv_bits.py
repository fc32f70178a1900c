"""conv_transpose2d in oneDNN's orders (``ember._ops._onednn_deconv``): a batch of one image
(oneDNN's deconvolution passes, not the path PyTorch takes for a plain convolution of one
image) and the bias gradient where oneDNN's weights pass is its ``gemm:jit`` kernel (not
claimed), bit for bit against PyTorch on 2 threads.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _onednn_deconv as D

from diff import bits, conv_exact, pinned_threads

torch = pytest.importorskip("torch")
exact = conv_exact(torch)


@pytest.fixture(autouse=True)
def _threads():
    yield from pinned_threads(torch, ember, 2)


def _run(mod, x, w, b, g, stride, padding, output_padding):
    ts = [mod.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = mod.nn.functional.conv_transpose2d(*ts, stride, padding, output_padding)
    y.backward(mod.tensor(g))
    return [y.detach().numpy()] + [t.grad.numpy() for t in ts]


def _operands(xs, ws, stride, padding, output_padding, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    b = rng.standard_normal(ws[1]).astype(np.float32)
    g = rng.standard_normal(D.out_shape(xs, ws, stride, padding, output_padding)).astype(
        np.float32)
    return x, w, b, g


# (input, weight, stride, padding, output padding): DCGAN generator layers at batch 1, ...
ONE_IMAGE = [((1, 100, 1, 1), (100, 64, 4, 4), 1, 0, 0),
             ((1, 64, 4, 4), (64, 32, 4, 4), 2, 1, 0),
             ((1, 32, 8, 8), (32, 3, 4, 4), 2, 1, 0),
             ((1, 64, 20, 20), (64, 24, 3, 3), 2, 1, 1),
             ((1, 7, 6, 9), (7, 40, 5, 5), 1, 2, 0)]


@exact
@pytest.mark.parametrize("xs,ws,s,p,op", ONE_IMAGE, ids=str)
def test_one_image_bit_for_bit(xs, ws, s, p, op):
    x, w, b, g = _operands(xs, ws, s, p, op, sum(xs) + sum(ws))
    assert D.route(xs, ws, s, p, op) == "onednn"
    assert D.forward(x, w, b, s, p, op) is not None
    got = _run(ember, x, w, b, g, s, p, op)
    want = _run(torch, x, w, b, g, s, p, op)
    for name, e, t in zip(("output", "input grad", "weight grad", "bias grad"), got, want):
        np.testing.assert_array_equal(bits(e), bits(t), err_msg=name)


@exact
@pytest.mark.parametrize("xs,ws,s,p,op", [((2, 41, 3, 3), (41, 41, 5, 5), 2, 3, 0),
                                          ((2, 12, 5, 5), (12, 38, 4, 4), 1, 3, 0)], ids=str)
def test_bias_gradient_not_claimed_on_gemm_jit(xs, ws, s, p, op):
    """A padding next to the kernel's size: oneDNN's weights pass is ``gemm:jit``, whose bias
    sums differ from the direct kernel's chain (the claim was wrong here)."""
    x, w, b, g = _operands(xs, ws, s, p, op, 7)
    assert D.grad_bias(g, xs, ws, s, p, op) is None
    got = _run(ember, x, w, b, g, s, p, op)[3]
    want = _run(torch, x, w, b, g, s, p, op)[3]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
