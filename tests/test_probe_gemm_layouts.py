"""Float32 products whose operands have a size-1 dim, or a vector off a 16-byte boundary,
against PyTorch's bits: mm/addmm/F.linear/mv/matmul forward and backward, with the views
users make (``.t()`` of a (K, 1) weight, ``unsqueeze``, slicing, ``as_strided``)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF
from ember._ops import _mkl_gemm as G

torch = pytest.importorskip("torch")
TF = torch.nn.functional

pytestmark = pytest.mark.skipif(
    not G.emulated() or torch.get_num_threads() != ember.get_num_threads(),
    reason="PyTorch's MKL order is reproduced on the measured processor only")


def _aligned(n, rng):
    """``n`` random float32 values from a 64-byte boundary (PyTorch's allocations)."""
    raw = np.empty(n + 16, np.float32)
    s = (-(raw.ctypes.data % 64) // 4) % 16
    out = raw[s:s + n]
    out[...] = rng.standard_normal(n)
    return out


def _bits(x):
    return np.ascontiguousarray(x.detach().numpy()).view(np.int32)


def _same(t, e):
    assert t.shape == tuple(e.shape)
    assert np.array_equal(_bits(t), _bits(e))


def _pair(buf, size, stride, off):
    """The same view of one buffer in both: PyTorch's and ember's."""
    t = torch.from_numpy(buf.copy()).as_strided(size, stride, off)
    e = ember.from_numpy(buf).as_strided(size, stride, off)
    return t, e


def test_linear_one_input_feature_batch_one_grad():
    """x.grad of nn.Linear(1, N) at batch 1: mm of W.t() (a (1, N) row with strides (1, 1),
    which PyTorch's test passes by columns) by the gradient, MKL's order of that row by rows."""
    for n in (3, 16, 33, 300):
        torch.manual_seed(n)
        lt = torch.nn.Linear(1, n)
        le = enn.Linear(1, n)
        le.load_state_dict({k: ember.tensor(v.numpy()) for k, v in lt.state_dict().items()})
        g = np.random.default_rng(n).standard_normal((1, n)).astype(np.float32)
        xt = torch.tensor([[0.7]], requires_grad=True)
        xe = ember.tensor([[0.7]], requires_grad=True)
        lt(xt).backward(torch.from_numpy(g))
        le(xe).backward(ember.tensor(g))
        _same(xt.grad, xe.grad)


@pytest.mark.parametrize("cell", ["LSTMCell", "GRUCell"])
def test_rnn_cell_one_input_feature_grad(cell):
    for h in (3, 8, 20):
        torch.manual_seed(h)
        ct = getattr(torch.nn, cell)(1, h)
        ce = getattr(enn, cell)(1, h)
        ce.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ct.state_dict().items()})
        xt = torch.tensor([[-0.3]], requires_grad=True)
        xe = ember.tensor([[-0.3]], requires_grad=True)
        ot, oe = ct(xt), ce(xe)
        if cell == "LSTMCell":
            (ot[0].sum() + ot[1].pow(2).sum()).backward()
            (oe[0].sum() + oe[1].pow(2).sum()).backward()
        else:
            ot.pow(3).sum().backward()
            oe.pow(3).sum().backward()
        _same(xt.grad, xe.grad)


def test_row_by_columns_times_transposed_b():
    """a (1, K) with strides (1, 1) times b by columns (both "transposed" to PyTorch's test)."""
    rng = np.random.default_rng(1)
    for k, n in ((3, 5), (9, 16), (40, 2), (40, 33), (200, 5), (40, 1), (200, 1)):
        ta, ea = _pair(_aligned(k, rng), (1, k), (1, 1), 0)
        tb, eb = _pair(_aligned(k * n, rng), (k, n), (1, k), 0)
        _same(torch.mm(ta, tb), ember.mm(ea, eb))


def test_column_off_a_boundary_tail_rows():
    """N = 1, the M % 4 rows after the groups of 4: their order starts with the products up
    to the column's next 16-byte boundary; a strided column, the strided sgemv's order."""
    rng = np.random.default_rng(2)
    for m, k, off, step in itertools.product((2, 3, 5, 7, 13), (16, 33, 200), (0, 1, 2, 3),
                                             (1, 2)):
        ta, ea = _pair(_aligned(m * k, rng), (m, k), (k, 1), 0)
        tb, eb = _pair(_aligned(2 * k + 4, rng), (k, 1), (step, 1), off)
        _same(torch.mm(ta, tb), ember.mm(ea, eb))


def test_vectors_off_a_boundary():
    """mv, v @ A.t() and a single row times a transposed column, vectors anywhere."""
    rng = np.random.default_rng(3)
    for m, k, off, step in itertools.product((1, 2, 3, 6, 13), (5, 40, 200), (0, 1, 2, 3),
                                             (1, 2)):
        ta, ea = _pair(_aligned(m * k, rng), (m, k), (k, 1), 0)
        tv, ev = _pair(_aligned(2 * k + 4, rng), (k,), (step,), off)
        _same(torch.mv(ta, tv), ember.mv(ea, ev))
        _same(tv @ ta.t(), ev @ ea.t())
        _same(ta @ tv[:, None], ea @ ev[:, None])
    for k, off in itertools.product((7, 12, 45, 300), (1, 2, 3)):  # nn.Linear(K, 1), one row
        tx, ex = _pair(_aligned(k + 4, rng), (1, k), (k, 1), off)
        tw, ew = _pair(_aligned(k, rng), (1, k), (k, 1), 0)
        _same(TF.linear(tx, tw), EF.linear(ex, ew))


def _views(r, c):
    """Strides of an (r, c) matrix: contiguous, transposed, and PyTorch's unsqueeze/slicing
    strides for its size-1 dims."""
    out = {(c, 1), (1, r)}
    if r == 1:
        out |= {(1, 1), (2 * c, 2), (3 * c, 1)}
    if c == 1:
        out |= {(1, 1), (2, 1), (1, 3 * r)}
    return sorted(out)


def _check(op, specs, rng):
    """``op`` forward and backward in both, on views ``specs`` ((size, stride, off), ...)."""
    res = []
    for fw in (torch, ember):
        args = []
        for size, stride, off in specs:
            n = off + sum((s - 1) * st for s, st in zip(size, stride)) + 1
            buf = _aligned(n, np.random.default_rng(n + off))
            x = (torch.from_numpy(buf.copy()) if fw is torch else ember.from_numpy(buf))
            args.append(x.as_strided(size, stride, off).detach().requires_grad_(True))
        y = op(fw, *args)
        g = np.random.default_rng(7).standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(fw.from_numpy(g))
        res.append([y] + [a.grad for a in args])
    for t, e in zip(*res):
        _same(t, e)


def _mm(fw, a, b):
    return fw.mm(a, b)


def _addmm(fw, c, a, b):
    return fw.addmm(c, a, b)


def _linear(fw, x, w, c):
    return (TF if fw is torch else EF).linear(x, w, c)


def test_size_one_dims_sweep():
    """Shapes with a 1 anywhere, every view of _views, mm/addmm/F.linear and their grads."""
    rng = np.random.default_rng(4)
    for m, k, n in ((1, 9, 5), (1, 40, 1), (2, 40, 1), (5, 1, 16), (13, 3, 1)):
        for sa, sb in itertools.product(_views(m, k), _views(k, n)):
            for off in (0, 1):
                a, b = ((m, k), sa, off), ((k, n), sb, off)
                _check(_mm, (a, b), rng)
                _check(_addmm, (((n,), (1,), 0), a, b), rng)
                _check(_linear, (a, ((n, k), sb[::-1], off), ((n,), (1,), 0)), rng)


def test_both_by_columns_tail_rows():
    """a and b both by columns (a.t() of a contiguous matrix times W.t()), 2 or more rows:
    the tail rows sum one non-fused chain from +0, the bias added after it."""
    rng = np.random.default_rng(5)
    for m, k, n in ((2, 3, 2), (5, 40, 7), (7, 200, 11), (6, 263, 14), (3, 1, 5), (11, 64, 3)):
        at = rng.standard_normal((k, m)).astype(np.float32)
        w = rng.standard_normal((n, k)).astype(np.float32)
        c = rng.standard_normal(n).astype(np.float32)
        t = torch.addmm(torch.from_numpy(c), torch.from_numpy(at).t(), torch.from_numpy(w).t())
        e = ember.addmm(ember.tensor(c), ember.tensor(at).t(), ember.tensor(w).t())
        _same(t, e)
        _same(torch.from_numpy(at).t() @ torch.from_numpy(w).t(),
              ember.tensor(at).t() @ ember.tensor(w).t())


def test_multihead_attention_head_size_one_weights():
    """need_weights=True, head size 1, batch 1: the attention output reaches out_proj as a
    column-major view (PyTorch's reshape of the transposed bmm output)."""
    for e, lq in ((2, 3), (4, 5), (3, 7)):
        torch.manual_seed(e)
        mt = torch.nn.MultiheadAttention(e, e)
        me = enn.MultiheadAttention(e, e)
        me.load_state_dict({k: ember.tensor(v.numpy()) for k, v in mt.state_dict().items()})
        x = np.random.default_rng(lq).standard_normal((lq, 1, e)).astype(np.float32)
        xt = torch.tensor(x, requires_grad=True)
        xe = ember.tensor(x, requires_grad=True)
        ot, _ = mt(xt, xt, xt, need_weights=True)
        oe, _ = me(xe, xe, xe, need_weights=True)
        _same(ot, oe)
        ot.sum().backward()
        oe.sum().backward()
        _same(xt.grad, xe.grad)
