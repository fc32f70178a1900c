"""conv2d shapes on which oneDNN leaves its direct kernels for ``gemm:jit`` (or its reference
kernel): large paddings, wide kernels, kernels taller than the input.

``ember._ops._onednn_conv`` reproduces PyTorch's bits only for the kernels it models, so per
pass (forward, backward data, backward weights and bias) it must refuse (None) where oneDNN
runs another kernel.  Checked two ways against PyTorch: the kernel each pass runs, as
``ONEDNN_VERBOSE`` names it, against ``_fwd_kernel`` / ``_bwd_data_kernel`` /
``_bwd_weights_kernel``; and the results of ``conv2d`` and the three gradient functions,
each either None or PyTorch's bits, on seeded random shapes of that region and its border.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

from ember._ops import _onednn_conv as OC

from diff import conv_exact, torch_threads_blas_one

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = conv_exact(torch)


@pytest.fixture(autouse=True)
def _two_threads():
    yield from torch_threads_blas_one(torch, 2)


def _out(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def _kernel_shapes(seed, count):
    """Small random shapes (N, C, O, H, W, KH, KW, stride, padding), paddings up to 5."""
    r = random.Random(seed)
    shapes = []
    while len(shapes) < count:
        kh, kw = r.randint(2, 7), r.randint(2, 7)
        if r.random() < 0.5:
            kw = kh
        sh = (2, r.randint(1, 24), r.randint(1, 24), r.randint(2, 14), r.randint(2, 14),
              kh, kw, r.randint(1, 3), r.randint(0, 5))
        if _out(sh[3], kh, sh[7], sh[8]) >= 1 and _out(sh[4], kw, sh[7], sh[8]) >= 1:
            shapes.append(sh)
    return shapes


def _onednn_kernels(capfd, sh):
    """{pass: implementation name} oneDNN reports for PyTorch's conv2d forward and backward."""
    n, c, o, h, w, kh, kw, s, p = sh
    x = torch.randn(n, c, h, w, requires_grad=True)
    wt = torch.randn(o, c, kh, kw, requires_grad=True)
    b = torch.randn(o, requires_grad=True)
    capfd.readouterr()
    with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
        F.conv2d(x, wt, b, stride=s, padding=p).sum().backward()
    found = {}
    for line in capfd.readouterr().out.splitlines():
        f = line.split(",")
        if len(f) > 7 and f[3] == "exec" and f[5] == "convolution":
            found[f[7]] = f[6]
    return found


def test_kernel_choice_matches_onednn_verbose(capfd):
    """The modelled kernel choice is oneDNN's on 120 random shapes (a third or so of them
    running gemm:jit in some pass)."""
    wrong, gemm_passes = [], 0
    for sh in _kernel_shapes(7, 120):
        n, c, o, h, w, kh, kw, s, p = sh
        ran = _onednn_kernels(capfd, sh)
        assert set(ran) == {"forward_training", "backward_data", "backward_weights"}, (sh, ran)
        gemm_passes += sum("gemm" in v for v in ran.values())
        fwd = OC._fwd_kernel((n, c, h, w), (o, c, kh, kw), s, p)
        if (fwd == "avx512") != (ran["forward_training"] == "jit:avx512_core"):
            wrong.append(("forward", sh, fwd, ran))
        data = OC._bwd_data_kernel((n, c, h, w), (o, c, kh, kw), s, p)
        if s == 1:  # (direct kernel, or gemm:jit)
            ok = (data == "avx512") == (ran["backward_data"] == "jit:avx512_core")
        else:  # (brgconv_strided; None also where its order is not mapped)
            ok = data in ("brgconv", None) and ran["backward_data"].startswith("brgconv")
        if not ok:
            wrong.append(("backward_data", sh, data, ran))
        kind = OC._bwd_weights_kernel((n, c, h, w), (o, c, kh, kw), s, p)[2]
        name = {None: "gemm", "avx512": "jit:avx512_core", "avx2": "jit:avx2"}[kind]
        if name not in ran["backward_weights"]:
            wrong.append(("backward_weights", sh, kind, ran))
    assert not wrong, wrong
    assert gemm_passes >= 40  # (the sample does reach the gemm:jit region)


def _region_shapes(seed, count):
    """Shapes in oneDNN's gemm:jit region and on its border: paddings from about half the
    smaller kernel side to past it, inputs down to the kernel's size."""
    r = random.Random(seed)
    shapes = []
    while len(shapes) < count:
        kh, kw = r.randint(2, 7), r.randint(2, 7)
        if r.random() < 0.5:
            kw = kh
        k = min(kh, kw)
        p = r.randint(max(0, k // 2 - 1), min(k + 1, 5))
        sh = (r.randint(2, 4), r.choice([1, 3, 5, 8, 16, 20]), r.randint(1, 40),
              r.randint(max(2, kh - 2 * p), 12), r.randint(max(2, kw - 2 * p), 12),
              kh, kw, r.randint(1, 3), p)
        if _out(sh[3], kh, sh[7], p) >= 1 and _out(sh[4], kw, sh[7], p) >= 1:
            shapes.append(sh)
    return shapes


def test_gemm_jit_region_refused_or_exact():
    """30 shapes: each pass's result is None (refused) or PyTorch's bits; the passes ember
    claims are all exact, and it still claims the ones its kernels cover."""
    rng = np.random.default_rng(11)
    wrong, claimed, refused = [], 0, 0
    for sh in _region_shapes(3, 30):
        n, c, o, h, w, kh, kw, s, p = sh
        x = rng.standard_normal((n, c, h, w)).astype(np.float32)
        wt = rng.standard_normal((o, c, kh, kw)).astype(np.float32)
        b = rng.standard_normal(o).astype(np.float32)
        tx, tw, tb = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, wt, b))
        y = F.conv2d(tx, tw, tb, stride=s, padding=p)
        g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(torch.from_numpy(g))
        got = {
            "forward": (OC.conv2d(x, wt, b, s, p, threads=2), y.detach().numpy()),
            "grad_input": (OC.conv2d_grad_input(g, wt, x.shape, s, p, threads=2),
                           tx.grad.numpy()),
            "grad_weight": (OC.conv2d_grad_weight(x, g, wt.shape, s, p, threads=2),
                            tw.grad.numpy()),
            "grad_bias": (OC.conv2d_grad_bias(g, x.shape, wt.shape, s, p, threads=2),
                          tb.grad.numpy()),
        }
        for name, (e, t) in got.items():
            if e is None:
                refused += 1
                continue
            claimed += 1
            if e.shape != t.shape or not np.array_equal(
                    e.view(np.uint32), np.ascontiguousarray(t).view(np.uint32)):
                wrong.append((name, sh))
    assert wrong == []
    assert claimed >= 40 and refused >= 20, (claimed, refused)


@pytest.mark.parametrize("sh, runs", [
    # padding = kernel: a window wholly in the padding; every pass runs gemm:jit
    ((4, 16, 16, 6, 6, 3, 3, 1, 3), ("gemm", "gemm", "gemm")),
    # padding = the narrow kernel side: gemm:jit everywhere
    ((4, 9, 20, 5, 12, 7, 2, 1, 2), ("gemm", "gemm", "gemm")),
    # kernel taller than the input: only the weights pass leaves the direct kernels
    ((2, 5, 8, 3, 9, 5, 5, 1, 1), ("direct", "direct", "gemm")),
])
def test_each_pass_refuses_its_own_gemm_jit(sh, runs):
    """Per pass (forward, backward data, backward weights and bias; the kernels oneDNN ran,
    measured with ONEDNN_VERBOSE): None where that pass runs gemm:jit, PyTorch's bits
    elsewhere."""
    n, c, o, h, w, kh, kw, s, p = sh
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((o, c, kh, kw)).astype(np.float32)
    tx, tw = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, wt))
    tb = torch.zeros(o, requires_grad=True)
    y = F.conv2d(tx, tw, tb, stride=s, padding=p)
    g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(torch.from_numpy(g))
    got = [(OC.conv2d(x, wt, None, s, p, threads=2), y.detach().numpy(), runs[0]),
           (OC.conv2d_grad_input(g, wt, x.shape, s, p, threads=2), tx.grad.numpy(), runs[1]),
           (OC.conv2d_grad_weight(x, g, wt.shape, s, p, threads=2), tw.grad.numpy(), runs[2]),
           (OC.conv2d_grad_bias(g, x.shape, wt.shape, s, p, threads=2), tb.grad.numpy(),
            runs[2])]
    for e, t, kind in got:
        if kind == "gemm":
            assert e is None
        else:
            assert e is not None and np.array_equal(e, t)


@pytest.mark.parametrize("n, c, o, h, w, k, s, p, d, groups", [
    (2, 32, 32, 8, 8, 3, 1, 3, 1, 2),  # per group: padding = kernel -> gemm:jit
    (2, 32, 32, 8, 8, 3, 1, 2, 1, 2),
    (2, 16, 16, 9, 9, 3, 1, 4, 2, 1),  # dilated: the kernel spans 5
    (2, 16, 16, 9, 9, 3, 1, 5, 2, 1),  # ... as wide as the padding -> gemm:jit
    (2, 8, 16, 4, 4, 3, 2, 3, 2, 1),
])
def test_forward_grouped_and_dilated(capfd, n, c, o, h, w, k, s, p, d, groups):
    """The forward check counts the dilated kernel's span, per group: ``route`` refuses
    exactly where oneDNN runs gemm:jit, and ``conv2d`` is exact elsewhere."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((o, c // groups, k, k)).astype(np.float32)
    capfd.readouterr()
    with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
        y = F.conv2d(torch.from_numpy(x), torch.from_numpy(wt), None, s, p, d, groups)
    ran = [f.split(",")[6] for f in capfd.readouterr().out.splitlines()
           if ",exec,cpu,convolution," in f]
    assert len(ran) == 1
    how = OC.route(x.shape, wt.shape, s, p, d, groups, threads=2)
    assert (how is None) == (ran[0] != "jit:avx512_core")
    e = OC.conv2d(x, wt, None, s, p, d, groups, threads=2)
    assert (e is None) == (how is None)
    if e is not None:
        assert np.array_equal(e, y.numpy())
