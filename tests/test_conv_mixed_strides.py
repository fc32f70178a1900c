"""The conv2d input gradient with unequal strides, bit for bit against PyTorch (2 threads).

oneDNN's ``brgconv_strided`` (input width a multiple of the column stride) groups the kernel
columns of each column phase into chains by whether their taps stay inside the output
gradient for the whole row (``_onednn_conv.strided_column_plan``).  Strides like (2, 1) with
a column padding of 1 make a 2-wide kernel's columns both "full": one chain, where ember
once summed each column alone and claimed it exact.  Where PyTorch's threads may cut the
width into blocks (odd work counts, a column stride of 1 most of all) ember refuses unless
the blocks would sum the same (``_onednn_conv.strided_blocks_agree``).
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _mkl_gemm, _onednn_conv as OC

from diff import bits, conv2d_grads, pinned_threads

torch = pytest.importorskip("torch")

exact = pytest.mark.skipif(
    not (OC.emulated() and OC._ger_ok() and torch.backends.mkldnn.is_available()),
    reason="PyTorch's conv2d order is reproduced only on the measured processor")


@pytest.fixture(autouse=True)
def _threads():
    yield from pinned_threads(torch, ember, 2)


def _operands(x_shape, w_shape, s, p, seed):
    rng = np.random.default_rng(seed)
    n, c, h, wd = x_shape
    o, _, kh, kw = w_shape
    oh, ow = (h + 2 * p[0] - kh) // s[0] + 1, (wd + 2 * p[1] - kw) // s[1] + 1
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    g = rng.standard_normal((n, o, oh, ow)).astype(np.float32)
    return x, w, g


def _torch_grad_input(g, w, x_shape, s, p, groups=1):
    return torch.nn.grad.conv2d_input(x_shape, torch.from_numpy(w), torch.from_numpy(g), s, p,
                                      groups=groups).numpy()


def _blocked(g, w, x_shape, s, p, block):
    """The input gradient summed with the width cut into blocks of ``block`` columns."""
    kh, o = w.shape[2], w.shape[0]
    wd = x_shape[3]
    plan = OC.strided_column_plan(wd, w.shape[3], s[1], p[1], block)
    out = np.empty(x_shape, np.float32)
    for b0 in range(0, wd, block):
        chains = [(range(kh), cols, (0, o)) for ph in range(min(s[1], wd - b0))
                  for cols in plan[(b0, ph)]]
        got = OC.sum_input_chains(g, w, x_shape, s, p, chains)
        out[..., b0:b0 + block] = got[..., b0:b0 + block]
    return out


# shapes a random sweep found claimed exact but wrong (row stride 2, column stride 1); the
# fourth, (3, 20, 20, 12) by (19, 20, 1, 3), is one whose width PyTorch's threads cut: now
# refused (test_cut_width_refused)
_FOUND = [((5, 7, 10, 9), (10, 7, 2, 2), (2, 1), (1, 1)),
          ((2, 13, 20, 12), (7, 13, 2, 2), (2, 1), (0, 1)),
          ((7, 7, 9, 18), (20, 7, 3, 2), (2, 1), (0, 1))]


@exact
@pytest.mark.parametrize("x_shape,w_shape,s,p", _FOUND, ids=str)
def test_found_shapes_bit_for_bit(x_shape, w_shape, s, p):
    x, w, g = _operands(x_shape, w_shape, s, p, sum(x_shape))
    t = _torch_grad_input(g, w, x_shape, s, p)
    got = OC.conv2d_grad_input(g, w, x_shape, s, p, threads=2)
    assert got is not None
    assert (bits(got) == bits(t)).all()
    # the per-column order ember had is not PyTorch's here
    kh, kw, o = w_shape[2], w_shape[3], w_shape[0]
    per_col = OC.sum_input_chains(g, w, x_shape, s, p,
                                  [(range(kh), [j], (0, o)) for j in range(kw)])
    assert (bits(per_col) != bits(t)).any()


@exact
def test_found_shape_through_autograd():
    x_shape, w_shape, s, p = _FOUND[0]
    x, w, g = _operands(x_shape, w_shape, s, p, 1)
    ours = conv2d_grads(ember, x, w, None, g, s, p)
    theirs = conv2d_grads(torch, x, w, None, g, s, p)
    for e, t in zip(ours, theirs, strict=True):
        assert (bits(e) == bits(t)).all()


def _mixed_shapes(seed, count):
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        n, c, o = int(rng.integers(1, 9)), int(rng.integers(1, 24)), int(rng.integers(1, 24))
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        h, wd = int(rng.integers(kh, 24)), int(rng.integers(kw, 24))
        s = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        p = (int(rng.integers(0, kh)), int(rng.integers(0, kw)))
        if s[0] == s[1] or (h + 2 * p[0] - kh) // s[0] < 0 or (wd + 2 * p[1] - kw) // s[1] < 0:
            continue
        out.append(((n, c, h, wd), (o, c, kh, kw), s, p))
    return out


@exact
def test_random_mixed_strides_claims_are_exact():
    """Every claimed input gradient of 150 random mixed-stride shapes is PyTorch's bit for
    bit, and most are claimed (the refusals: PyTorch's own path's gaps, oneDNN's other
    kernels, widths its threads may cut)."""
    claimed, wrong = 0, []
    for i, (xs, ws, s, p) in enumerate(_mixed_shapes(31, 150)):
        _, w, g = _operands(xs, ws, s, p, i)
        got = OC.conv2d_grad_input(g, w, xs, s, p, threads=2)
        if got is None:
            continue
        claimed += 1
        if (bits(got) != bits(_torch_grad_input(g, w, xs, s, p))).any():
            wrong.append((xs, ws, s, p))
    assert not wrong, wrong
    assert claimed >= 130


@exact
@pytest.mark.parametrize("x_shape,w_shape,s,p", [
    ((4, 9, 11, 14), (6, 9, 3, 5), (1, 2), (1, 2)),  # padding 2: once refused
    ((2, 20, 13, 18), (11, 20, 4, 4), (1, 3), (2, 3)),
    ((4, 5, 9, 12), (8, 5, 3, 4), (3, 2), (1, 2)),
    ((2, 6, 12, 15), (9, 6, 2, 5), (2, 1), (1, 3)),
    ((6, 3, 17, 16), (5, 3, 5, 3), (2, 2), (2, 2))], ids=str)  # equal strides, padding 2
def test_other_strides_and_paddings_bit_for_bit(x_shape, w_shape, s, p):
    _, w, g = _operands(x_shape, w_shape, s, p, 7)
    got = OC.conv2d_grad_input(g, w, x_shape, s, p, threads=2)
    assert got is not None
    assert (bits(got) == bits(_torch_grad_input(g, w, x_shape, s, p))).all()


@exact
@pytest.mark.parametrize("x_shape,w_shape,s,p,block", [
    ((3, 20, 20, 12), (19, 20, 1, 3), (2, 1), (0, 1), 6),  # found by the sweep
    ((5, 16, 12, 12), (32, 16, 3, 3), (2, 1), (1, 1), 6),  # 5 items: cut into halves
    ((3, 11, 22, 33), (11, 11, 3, 2), (2, 1), (2, 0), 11),  # 33 columns: thirds
    ((5, 11, 18, 10), (13, 11, 2, 3), (3, 1), (1, 1), 5),
    # equal strides, 3 images of one 32-channel block (once claimed: 6 blocks of 16)
    ((3, 20, 12, 20), (12, 20, 3, 3), (2, 2), (1, 1), 10)], ids=str)
def test_cut_width_refused(x_shape, w_shape, s, p, block):
    """Where PyTorch's threads cut the width and the blocks sum otherwise than the whole
    row, ember refuses; the blocks' chains give PyTorch's bits, the whole row's do not."""
    _, w, g = _operands(x_shape, w_shape, s, p, 3)
    t = _torch_grad_input(g, w, x_shape, s, p)
    assert OC.conv2d_grad_input(g, w, x_shape, s, p, threads=2) is None
    assert not OC.strided_blocks_agree(x_shape, w_shape, s, p)
    assert (bits(_blocked(g, w, x_shape, s, p, x_shape[3])) != bits(t)).any()
    assert (bits(_blocked(g, w, x_shape, s, p, block)) == bits(t)).all()


def test_column_plan():
    # stride (2, 1), padding 1: a 2-wide kernel's columns both stay inside: one chain
    assert OC.strided_column_plan(9, 2, 1, 1, 9) == {(0, 0): [[0, 1]]}
    # a 3-wide one: only the middle column is full; each alone
    assert OC.strided_column_plan(12, 3, 1, 1, 12) == {(0, 0): [[0], [1], [2]]}
    # in halves: the first half's first two columns are full, the second's last two
    assert OC.strided_column_plan(12, 3, 1, 1, 6) == {(0, 0): [[0, 1], [2]],
                                                      (6, 0): [[0], [1, 2]]}
    # stride 2, padding 1: one column of a phase at most is full (each alone)
    assert OC.strided_column_plan(12, 3, 2, 1, 12) == {(0, 0): [[1]], (0, 1): [[0], [2]]}
    assert OC.strided_blocks_agree((3, 1, 5, 9), (1, 1, 2, 2), (2, 1), (1, 1))  # odd: 3 x 3
    assert not OC.strided_blocks_agree((3, 1, 5, 12), (1, 1, 3, 3), (2, 1), (1, 1))


@exact
def test_grouped_mixed_strides_bit_for_bit():
    xs, ws, groups, s, p = (5, 96, 10, 4), (96, 32, 2, 2), 3, (2, 1), (0, 1)
    _, w, g = _operands(xs, ws, s, p, 5)
    got = OC.conv2d_grad_input(g, w, xs, s, p, groups=groups, threads=2)
    assert got is not None
    assert (bits(got) == bits(_torch_grad_input(g, w, xs, s, p, groups))).all()


@exact
def test_conv_transpose_mixed_strides_bit_for_bit():
    """ConvTranspose2d's output is this input gradient (oneDNN runs it so)."""
    from ember._ops import _onednn_deconv as D
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 10, 6, 7)).astype(np.float32)
    w = rng.standard_normal((10, 7, 3, 2)).astype(np.float32)
    s, p = (2, 1), (1, 1)
    ours = D.forward(x, w, None, s, p, (1, 0))
    assert ours is not None
    theirs = torch.nn.functional.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), None,
                                                  s, p, (1, 0)).numpy()
    assert (bits(ours) == bits(theirs)).all()


@exact
def test_grouped_16_per_group_column_stride_refused_where_oneDNN_leaves_its_direct_kernel():
    """16 output channels a group over 32 input channels, stride (1, 3): oneDNN runs
    ``brgconv_strided:avx2`` (not its direct kernel): not claimed, and the gradient is
    PyTorch's to float32 rounding."""
    from ember._ops import _dw_conv_bwd as DW

    x_shape, w_shape = (3, 64, 12, 12), (32, 32, 1, 4)
    assert DW.grouped_input_chains(x_shape, w_shape, 2, (1, 3), (0, 0), 2) is None
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    got, want = (conv2d_grads(mod, x, w, None, np.ones((3, 32, 12, 3), np.float32), (1, 3), 0,
                              1, 2)[1] for mod in (ember, torch))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)



@exact
@pytest.mark.xfail(strict=True, reason="oneDNN's threads cut the width by its cost model "
                   "(not mapped); refusing these families would give up ~40 exact shapes "
                   "for each wrong one")
@pytest.mark.parametrize("x_shape,w_shape,s,p", [
    ((3, 48, 11, 24), (1, 48, 1, 5), (1, 2), (1, 3)),  # one-row kernel, row stride 1
    ((5, 33, 17, 22), (25, 33, 7, 7), (2, 1), (7, 1)),  # row padding past half the kernel
    ((5, 66, 16, 32), (65, 66, 1, 3), (1, 2), (0, 1)),  # over 48 channels, 5 images
], ids=str)
def test_known_width_cuts_still_differ(x_shape, w_shape, s, p):
    """Shapes a review found claimed and wrong on 2 threads (about 1% of random strided
    shapes): kept as the record of the gap; a fix makes these pass (strict xfail)."""
    _, w, g = _operands(x_shape, w_shape, s, p, 0)
    got = OC.conv2d_grad_input(g, w, x_shape, s, p, threads=2)
    if got is None and _mkl_gemm.profile() == "intel":  # (an odd number of images: refused
        pytest.skip("refused on the Intel processor")  # there, see width_in_question)
    if got is not None:
        assert (bits(got) == bits(_torch_grad_input(g, w, x_shape, s, p))).all()
