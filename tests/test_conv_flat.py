"""Stride-1 convolutions computed on flat planes (``ember._ops._onednn_conv._flat_chains``).

The forward pass and the input gradient of a stride-1 conv2d read each tap's columns as one
contiguous run of a flattened plane: the output is computed on rows as wide as the (padded)
input, the extra columns are dropped, and batches of images go through one ``sgemm`` per
channel block.  Each output still sums as oneDNN sums it, so the results are checked bit
for bit against PyTorch: channel counts that leave a short last block, every padding up to
the kernel's size less one, dilation, kernels whose chain is exactly the longest one
OpenBLAS call sums (28 taps x 16 channels) or longer, batches larger than one cache-sized
batch, and inputs with infinities and NaN (their reads in the dropped columns must not leak).
"""
from __future__ import annotations

import numpy as np
import pytest

from ember._ops import _onednn_conv as OC

from diff import bits, conv2d_grads, conv_exact, pinned_threads

torch = pytest.importorskip("torch")
import ember  # noqa: E402

exact = conv_exact(torch)

# (N, C, H, W, O, KH, KW, padding, dilation)
SHAPES = [
    (2, 1, 9, 11, 3, 3, 3, (0, 0), (1, 1)),
    (3, 17, 12, 10, 5, 3, 3, (1, 1), (1, 1)),
    (2, 33, 8, 9, 35, 2, 4, (1, 3), (1, 1)),
    (4, 16, 10, 13, 16, 4, 7, (1, 2), (1, 1)),  # K = 28 taps x 16: one call's longest chain
    (2, 16, 12, 12, 20, 5, 6, (2, 2), (1, 1)),  # K = 30 x 16: longer (chained calls)
    (5, 8, 14, 12, 7, 3, 2, (0, 1), (2, 3)),  # dilated forward
    (70, 4, 9, 9, 6, 3, 3, (1, 1), (1, 1)),  # more images than one cache-sized batch
    (2, 40, 7, 30, 48, 1, 5, (0, 2), (1, 1)),
]


@pytest.fixture(params=[1, 2], autouse=True)
def threads(request):
    yield from pinned_threads(torch, ember, request.param)


def _operands(shape, seed):
    n, c, h, wd, o, kh, kw, p, d = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, wd)).astype(np.float32)
    w = rng.standard_normal((o, c, kh, kw)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    oh = h + 2 * p[0] - d[0] * (kh - 1)
    ow = wd + 2 * p[1] - d[1] * (kw - 1)
    g = rng.standard_normal((n, o, oh, ow)).astype(np.float32)
    return x, w, b, g


@exact
@pytest.mark.parametrize("shape", SHAPES)
def test_flat_stride1_bits(shape):
    x, w, b, g = _operands(shape, sum(shape[:7]))
    p, d = shape[7:]
    got = conv2d_grads(ember, x, w, b, g, 1, p, d)
    want = conv2d_grads(torch, x, w, b, g, 1, p, d)
    names = ("output", "input grad", "weight grad", "bias grad")
    claimed = (OC.conv2d(x, w, b, 1, p, d) is not None,
               OC.conv2d_grad_input(g, w, x.shape, 1, p, d) is not None, True, True)
    for name, e, t, c in zip(names, got, want, claimed):
        if name != "output" and d != (1, 1):
            continue  # (dilated backward: not mapped, ember's own order)
        assert c, f"{name} not claimed for {shape}"
        np.testing.assert_array_equal(bits(e), bits(t), err_msg=f"{name} {shape}")


@exact
def test_flat_path_is_taken():
    """The shapes above run through the flat path (not the per-image one it replaced)."""
    calls = []
    inner = OC._flat_chains

    def spy(*a, **k):
        calls.append(a[0].shape)
        return inner(*a, **k)

    x, w, b, g = _operands(SHAPES[1], 0)
    try:
        OC._flat_chains = spy
        OC.conv2d(x, w, b, 1, (1, 1))
        OC.conv2d_grad_input(g, w, x.shape, 1, (1, 1))
    finally:
        OC._flat_chains = inner
    assert len(calls) == 2


@exact
@pytest.mark.parametrize("where", ["last column", "first column", "inside"])
def test_non_finite_inputs_stay_where_they_are(where):
    """An inf or NaN in a row's edge column is read by the dropped columns of the row above:
    the kept outputs are PyTorch's all the same (NaN and inf where PyTorch has them)."""
    x, w, b, g = _operands((2, 3, 8, 9, 4, 3, 3, (0, 0), (1, 1)), 5)
    col = {"last column": 8, "first column": 0, "inside": 4}[where]
    x[0, 1, 3, col] = np.inf
    x[1, 2, 5, col] = np.nan
    g[1, 0, 2, {"last column": 6, "first column": 0, "inside": 3}[where]] = -np.inf
    got = conv2d_grads(ember, x, w, b, g, 1, 0)
    want = conv2d_grads(torch, x, w, b, g, 1, 0)
    for e, t in zip(got[:2], want[:2]):
        np.testing.assert_array_equal(np.isnan(e), np.isnan(t))
        keep = ~np.isnan(t)
        np.testing.assert_array_equal(bits(e)[keep], bits(t)[keep])
