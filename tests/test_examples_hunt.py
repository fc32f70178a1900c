"""Corners found by running small complete programs in the style of pytorch/examples (a
spatial transformer network, a graph network on a sparse adjacency) on ember and on
PyTorch 2.13: each case must give PyTorch's numbers, bits and warnings."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
from diff import measured_cpu  # noqa: E402


# -- grid_sample (2-D, float32 and float64): PyTorch's kernel step for step ---------------
# (a spatial transformer trains through affine_grid + grid_sample; its fused multiply-adds
# and the order it scatters the input's gradient decide the last bits)

def _grid_sample_both(x, grid, go, mode, padding, align_corners, grid_view=None):
    out = []
    for lib in (ember, torch):
        xt = lib.from_numpy(x.copy()).requires_grad_()
        g0 = lib.from_numpy(grid.copy()).requires_grad_()
        g = grid_view(g0) if grid_view else g0
        o = lib.nn.functional.grid_sample(xt, g, mode=mode, padding_mode=padding,
                                          align_corners=align_corners)
        o.backward(lib.from_numpy(go))
        out.append([o.detach().numpy(), xt.grad.numpy(), g0.grad.numpy()])
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_2d_bits(mode, padding, align_corners, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5, 6)).astype(dtype)
    grid = rng.uniform(-1.4, 1.4, (2, 7, 9, 2)).astype(dtype)
    grid[0, :2] = grid[0, :2].round(1)  # taps exactly on pixels
    go = rng.standard_normal((2, 3, 7, 9)).astype(dtype)
    (eo, egx, egg), (to, tgx, tgg) = _grid_sample_both(x, grid, go, mode, padding,
                                                       align_corners)
    np.testing.assert_array_equal(eo, to)
    np.testing.assert_array_equal(egx, tgx)
    np.testing.assert_array_equal(egg, tgg)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("wo", [5, 13])
def test_grid_sample_2d_strided_grid_scatter_order(wo, dtype):
    # a grid that is a slice of a wider one: PyTorch walks it row by row, a vector at a time
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 3, 3)).astype(dtype)  # many points share a pixel
    big = rng.uniform(-1, 1, (2, 7, wo + 3, 2)).astype(dtype)
    go = rng.standard_normal((2, 2, 7, wo)).astype(dtype)
    for mode in ("bilinear", "nearest"):
        e, t = _grid_sample_both(x, big, go, mode, "zeros", False,
                                 grid_view=lambda g: g[:, :, :wo])
        for a, b in zip(e, t):
            np.testing.assert_array_equal(a, b)


def test_affine_grid_sample_stn_step_bits():
    # the spatial transformer's sampler at its identity start, and a training step through it
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 1, 12, 12)).astype(np.float32)
    theta = (np.array([[1, 0, 0], [0, 1, 0]], np.float32)
             + rng.normal(0, 0.05, (4, 2, 3))).astype(np.float32)
    res = []
    for lib in (ember, torch):
        th = lib.from_numpy(theta.copy()).requires_grad_()
        grid = lib.nn.functional.affine_grid(th, (4, 1, 12, 12), align_corners=False)
        out = lib.nn.functional.grid_sample(lib.from_numpy(x), grid, align_corners=False)
        (out ** 2).mean().backward()
        res.append((out.detach().numpy(), th.grad.numpy()))
    if measured_cpu():
        np.testing.assert_array_equal(res[0][0], res[1][0])
        np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6, atol=1e-7)
    else:  # (MKL's batched product behind affine_grid rounds otherwise here)
        np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spatial", [(12, 12), (5, 7), (3, 4, 5)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_bits(spatial, align_corners, dtype):
    rng = np.random.default_rng(8)
    nd = len(spatial)
    theta = (np.eye(nd, nd + 1) + rng.normal(0, 0.3, (3, nd, nd + 1))).astype(dtype)
    size = (3, 1) + spatial
    a = ember.nn.functional.affine_grid(ember.from_numpy(theta), size,
                                        align_corners=align_corners).numpy()
    b = torch.nn.functional.affine_grid(torch.from_numpy(theta), size,
                                        align_corners=align_corners).numpy()
    # NOTE: PyTorch's product is MKL's batched one from 400 multiply-adds on (else its own
    # loop); off the measured processor MKL's kernel there rounds otherwise
    if measured_cpu():
        np.testing.assert_array_equal(a, b)
    else:
        tol = 1e-6 if dtype == np.float32 else 1e-14
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_grid_sample_2d_float32_nonfinite_forward():
    rng = np.random.default_rng(1)
    grid = rng.uniform(-1.3, 1.3, (2, 5, 6, 2)).astype(np.float32)
    grid.flat[[3, 10, 17, 30]] = [np.nan, np.inf, -np.inf, np.nan]
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    for mode in ("bilinear", "nearest"):
        for padding in ("zeros", "border", "reflection"):
            a = ember.nn.functional.grid_sample(ember.from_numpy(x), ember.from_numpy(grid),
                                                mode=mode, padding_mode=padding,
                                                align_corners=False).numpy()
            b = torch.nn.functional.grid_sample(torch.from_numpy(x), torch.from_numpy(grid),
                                                mode=mode, padding_mode=padding,
                                                align_corners=False).numpy()
            np.testing.assert_array_equal(a, b)


def test_grid_sample_2d_double_backward_still_works():
    # create_graph takes the differentiable path; its values agree with the fast one
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 2, 4, 4)).astype(np.float32)
    grid = rng.uniform(-0.9, 0.9, (1, 3, 3, 2)).astype(np.float32)
    res = []
    for lib in (ember, torch):
        xt = lib.from_numpy(x.copy()).requires_grad_()
        gt = lib.from_numpy(grid.copy()).requires_grad_()
        out = lib.nn.functional.grid_sample(xt, gt, align_corners=False)
        gx, gg = lib.autograd.grad(out.sum(), (xt, gt), create_graph=True)
        (gg ** 2).sum().backward()
        res.append((gx.detach().numpy(), gg.detach().numpy(), xt.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# -- sparse_coo_tensor: PyTorch's once-per-process warning about invariant checks ----------

_SPARSE_SCRIPT = textwrap.dedent("""
    import warnings
    import {lib} as torch
    def make(**kw):
        return torch.sparse_coo_tensor(torch.tensor([[0], [1]]), torch.ones(1), (2, 2), **kw)
    def seen(f):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            f()
        return [str(x.message).split(" (Triggered internally")[0] for x in w]
    print(seen(lambda: torch.sparse_coo_tensor((2, 2))))  # the first one warns
    print(seen(lambda: torch.zeros(2, 2).to_sparse()))
    print(seen(make))  # once only
    torch.set_warn_always(True)
    print(seen(make))
    print(seen(lambda: torch.zeros(2, 2, layout=torch.sparse_coo)))
    print(seen(lambda: make(check_invariants=False)))
    with torch.sparse.check_sparse_tensor_invariants(False):
        print(seen(make))
    print(seen(make))  # a choice was made: no more warnings
""")


def test_sparse_invariants_warning():
    # a fresh process each: the warning is PyTorch's once-per-process kind
    outs = []
    for lib in ("ember", "torch"):
        code = _SPARSE_SCRIPT.format(lib=lib)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    assert outs[1].count("Sparse invariant checks are implicitly disabled") == 2
