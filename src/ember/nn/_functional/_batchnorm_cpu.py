"""PyTorch's CPU batch norm kernels, step for step, so that ember's bits equal PyTorch's.

PyTorch normalises a contiguous float input of shape (N, C, *) in one of two layouts:

* with an image (``*`` not empty and not all ones): each channel's values are summed one by
  one into a double, the mean rounded to the input's type, then the squared deviations
  (rounded each) summed one by one into a double as well.  Backward sums each image row in
  SIMD lanes (``reduce_all``) and adds the rows' sums into doubles.
* (N, C) rows (``channels last``): the rows are split over the intra-op threads; each thread
  adds its rows into a buffer of the input's type, the threads' buffers are then added into
  doubles.  The squared deviations go into the buffers by fused multiply-adds.

The output is ``x * alpha + beta`` by fused multiply-adds, with ``alpha = invstd * weight``
and ``beta = bias - mean * alpha`` (fused too).  Running statistics move in the input's type:
``momentum * stat + (1 - momentum) * running`` (see :func:`update_running`).

A fused multiply-add of float32 values is emulated in float64, where the product is exact.
"""
from __future__ import annotations

import numpy as np

from ..._ops._cascade import VECTOR_BYTES, _threads
from ..._ops._sleef import row_sums

_F64 = np.float64


def eligible(a) -> bool:
    """Whether PyTorch's contiguous kernels would see ``a`` and ember can reproduce them."""
    return (type(a) is np.ndarray and a.dtype == np.float32 and a.ndim >= 2 and a.size > 0
            and a.flags.c_contiguous)


from ..._random import _fma32 as _fma  # noqa: E402  (float32 a * b + c, rounded once)


def fma_rows(a, b):
    """``acc = a[:, i] * b[:, i] + acc`` for i in order, each fused (one rounding), from
    zero: per-thread buffers of blocks ``a``, ``b`` (threads, rows, C) -> (threads, C)."""
    acc = np.zeros(a.shape[::2], np.float32)
    wide = np.zeros(acc.shape, _F64)  # acc's values, in double
    add = np.add
    step = max(1, (1 << 16) // max(1, acc.size))  # rows of exact products made at once
    for lo in range(0, a.shape[1], step):
        # the products are exact in double; each sum rounds once, to float32, as the FMA
        prods = np.multiply(a[:, lo:lo + step], b[:, lo:lo + step], dtype=_F64)
        for row in np.moveaxis(prods, 1, 0):
            add(wide, row, out=wide)
            acc[...] = wide
            wide[...] = acc
    return acc


def _seq_sum(rows):
    """Each row of ``rows`` (k, n) added left to right into a double."""
    if rows.shape[1] == 1:
        return rows[:, 0].astype(_F64)
    return np.add.accumulate(rows.astype(_F64), axis=1)[:, -1]


_in_order = None


def _column_seq_sums(a):
    """:func:`_seq_sum` of each column of ``a`` (R, K), K >= 2, where
    :func:`_columns_in_order`."""
    wide = a.astype(_F64)
    out = np.add.reduce(wide, axis=0)
    zero = out == 0
    if zero.any():  # (the reduction starts at +0 and _seq_sum at the first term: all -0)
        out[zero] = np.add.accumulate(wide[:, zero], axis=0)[-1]
    return out


def _columns_in_order() -> bool:
    """Whether NumPy's ``add.reduce`` down the rows of a C-ordered float64 (R, K) array, K >= 2,
    adds each column's values in row order (as :func:`_seq_sum` adds a row), checked once."""
    global _in_order
    if _in_order is None:
        rng = np.random.default_rng(9)
        _in_order = True
        for k in (2, 3, 5, 16, 67):
            a = rng.standard_normal((5003, k)) * np.exp(rng.uniform(-30, 30, (5003, 1)))
            a = a.astype(np.float32).astype(_F64)
            if not (np.add.reduce(a, axis=0) == np.add.accumulate(a, axis=0)[-1]).all():
                _in_order = False
    return _in_order


def _block_sums(blocks):
    """Each thread block's rows (threads, chunk, C) added in order: (threads, C).  NumPy's
    reduce adds a strided axis row by row, but a single channel's contiguous column
    pairwise, so that case takes a running sum."""
    if blocks.shape[2] == 1:
        return np.add.accumulate(blocks, axis=1)[:, -1]
    return np.add.reduce(blocks, axis=1)


def _lanes(dtype) -> int:
    # measured: 8 float32 lanes, as PyTorch's sum kernel (its softmax kernels use 16 on AVX-512)
    return VECTOR_BYTES // np.dtype(dtype).itemsize


def _reduce_all(rows, other=None):
    """Each row of ``rows`` (k, n) summed as PyTorch's ``vec::reduce_all`` sums it: whole
    vectors into lanes in order, the tail into the first lanes, the lanes folded in halves; a
    row shorter than a vector left to right.  With ``other``, the sum of ``rows * other`` as
    ``map2_reduce_all`` takes it, where (measured) the tail's products are fused into their
    lanes and the whole vectors' are not."""
    k, n = rows.shape
    lanes = _lanes(rows.dtype)
    terms = rows if other is None else rows * other
    if n < lanes:
        acc = terms[:, 0].copy()
        for i in range(1, n):
            acc += terms[:, i]
        return acc
    return row_sums(terms, lanes, None if other is None else (rows, other))


def _thread_blocks(x, split=True):
    """(N, C) rows as PyTorch's ``parallel_for`` hands them to its threads: (threads, chunk, C),
    the last block padded with zeros (adding zero changes no sum).  Not ``split``: one block."""
    n, c = x.shape
    threads = min(_threads(), n) if split else 1
    chunk = -(-n // threads)
    threads = -(-n // chunk)
    if chunk * threads != n:
        x = np.concatenate([x, np.zeros((chunk * threads - n, c), x.dtype)])
    return x.reshape(threads, chunk, c)


def _image(a):
    n, c = a.shape[:2]
    return a.reshape(n, c, -1)


def stats(a):
    """``(mean, var_sum)`` per channel of ``a`` (N, C, *), in ``a``'s type."""
    dt = a.dtype.type
    n, c = a.shape[:2]
    count = a.size // c
    if a.size // (n * c) != 1:
        if c >= 2 and _columns_in_order():
            # (positions by rows, channels last: NumPy's reduction down the rows adds each
            # column in order, as _seq_sum does, without writing every partial sum)
            cl = np.empty((n, a.size // (n * c), c), a.dtype)
            cl[...] = _image(a).transpose(0, 2, 1)
            cl = cl.reshape(-1, c)
            mean = (_column_seq_sums(cl) / count).astype(dt)
            cl -= mean
            cl *= cl
            return mean, _column_seq_sums(cl).astype(dt)
        rows = np.moveaxis(_image(a), 1, 0).reshape(c, -1)
        mean = (_seq_sum(rows) / count).astype(dt)
        d = rows - mean[:, None]
        return mean, _seq_sum(d * d).astype(dt)
    # measured: with no more rows than threads, PyTorch adds the rows into doubles one by one
    # (a block of one row each) for 17 to 2048 channels, and all rows in one block otherwise
    blocks = _thread_blocks(a.reshape(n, c), split=n > _threads() or 16 < c <= 2048)
    mean = (_seq_sum(_block_sums(blocks).T) / count).astype(dt)
    d = blocks - mean
    d[-1, n - (blocks.shape[0] - 1) * blocks.shape[1]:] = 0  # the padding rows
    return mean, _seq_sum(fma_rows(d, d).T).astype(dt)


def invstd_train(var_sum, count, eps):
    """``1 / sqrt(var_sum / count + eps)``: the variance in the input's type, the rest in
    double; zero where the variance and ``eps`` both are."""
    var = (var_sum / var_sum.dtype.type(count)).astype(_F64)
    with np.errstate(divide="ignore"):
        inv = 1 / np.sqrt(var + eps)
    if eps == 0:
        inv = np.where(var == 0, 0.0, inv)
    return inv.astype(var_sum.dtype)


def invstd_eval(running_var, eps):
    """The forward kernel's ``1 / sqrt(running_var + eps)``, in the input's type."""
    dt = running_var.dtype.type
    return (dt(1) / np.sqrt(running_var + dt(eps))).astype(dt)


def update_running(buf, stat, momentum, fused):
    """``buf = momentum * stat + (1 - momentum) * buf`` in ``buf``'s type, ``1 - momentum``
    taken there too.  PyTorch's compiled kernel fuses the first product into the sum for the
    variance (``fused``) and not for the mean."""
    dt = buf.dtype.type
    m = dt(momentum)
    kept = (dt(1) - m) * buf
    stat = stat.astype(buf.dtype)
    buf[...] = _fma(np.asarray(m), stat, kept) if fused else m * stat + kept


def forward(a, mean, invstd, weight, bias):
    """``a * alpha + beta`` per channel, both fused as PyTorch's kernel fuses them."""
    dt = a.dtype
    alpha = invstd if weight is None else (invstd * weight).astype(dt)
    b = np.zeros_like(alpha) if bias is None else bias.astype(dt)
    beta = _fma(-mean, alpha, b)
    shape = (a.shape[1],) + (1,) * (a.ndim - 2)
    return _fma(a, alpha.reshape(shape), np.broadcast_to(beta.reshape(shape), a.shape))


def backward(a, g, mean, invstd, weight, train, need_x):
    """``(grad_input, grad_weight, grad_bias)`` of PyTorch's contiguous backward kernels.
    ``mean``/``invstd`` are the saved statistics (train) or the running mean and the
    backward kernel's ``invstd`` (eval)."""
    dt = a.dtype.type
    n, c = a.shape[:2]
    count = a.size // c
    w = np.ones(c, a.dtype) if weight is None else weight.astype(a.dtype)
    if a.size // (n * c) != 1:
        img = _image(a)
        gimg = _image(g)
        x = img.transpose(1, 0, 2).reshape(c * n, -1)
        dy = gimg.transpose(1, 0, 2).reshape(c * n, -1)
        sums = _reduce_all(dy).reshape(c, n)
        cen = (x.reshape(c, n, -1) - mean[:, None, None]).reshape(c * n, -1)
        dots = _reduce_all(cen, dy).reshape(c, n)
        sum_d, dot_d = _seq_sum(sums), _seq_sum(dots)
        shape = (1, c, 1)
        gx = None
        if need_x:
            inv = invstd.reshape(shape)
            if train:
                k = (dot_d.astype(a.dtype) * invstd * invstd / dt(count)).reshape(shape)
                gmean = (sum_d / count).astype(a.dtype).reshape(shape)
                rest = gimg - gmean
                gx = _fma(mean.reshape(shape) - img, np.broadcast_to(k, img.shape), rest)
                gx = gx * inv * w.reshape(shape)
            else:
                gx = gimg * inv * w.reshape(shape)
            gx = gx.reshape(a.shape)
        return gx, (dot_d * invstd).astype(a.dtype), sum_d.astype(a.dtype)
    x, dy = a.reshape(n, c), g.reshape(n, c)
    blocks, gblocks = _thread_blocks(x), _thread_blocks(dy)
    part_sum = _block_sums(gblocks)
    part_dot = fma_rows(blocks - mean, gblocks)
    total = _seq_sum(part_sum.T).astype(a.dtype)
    dot = _seq_sum(part_dot.T).astype(a.dtype)
    gx = None
    if need_x:
        if train:
            k = dot * invstd * invstd / dt(count)
            cen, kk, rest = x - mean, np.broadcast_to(k, x.shape), dy - total / dt(count)
            # measured: PyTorch's compiled loop fuses ``rest - cen * k`` for whole vectors of
            # channels, not for the channels left over after them
            whole = c - c % _lanes(a.dtype)
            gx = rest - cen * kk
            gx[:, :whole] = _fma(-cen[:, :whole], kk[:, :whole], rest[:, :whole])
            gx = gx * invstd * w
        else:
            gx = dy * invstd * w
        gx = gx.reshape(a.shape)
    return gx, dot * invstd, total


def backward_mixed(a, g, gsum, mean, invstd, weight, train, need_x):
    """PyTorch's generic backward, taken when the input and the gradient are laid out
    differently (a channels-last input under a contiguous gradient, or the reverse).

    ``gsum`` is the gradient summed over all dims but 1 by PyTorch's sum (the caller's).  Per
    channel, ``sum((x - mean) * g)`` visits the positions in (N, *spatial) order, each
    product rounded to the input's type and added into a double; then
    ``dx = ((g - gsum / count) - (x - mean) * k) * invstd * w`` with
    ``k = dotp * invstd * invstd / count`` (train) or ``dx = g * invstd * w`` (eval), all
    in the input's type, left to right.  The weight's gradient is ``dotp * invstd`` in
    double, rounded once.
    """
    dt = a.dtype.type
    c = a.shape[1]
    count = a.size // c
    w = np.ones(c, a.dtype) if weight is None else weight.astype(a.dtype)
    shape = (1, c) + (1,) * (a.ndim - 2)
    cen = a - mean.reshape(shape)
    terms = np.moveaxis(cen * g, 1, 0).reshape(c, -1)
    dotp = _seq_sum(terms) if count else np.zeros(c, _F64)
    gx = None
    if need_x:
        inv = invstd.reshape(shape)
        if train:
            k = (dotp.astype(a.dtype) * invstd * invstd / dt(count)).reshape(shape)
            gmean = (gsum / dt(count)).astype(a.dtype).reshape(shape)
            gx = (g - gmean - cen * k) * inv * w.reshape(shape)
        else:
            gx = g * inv * w.reshape(shape)
    return gx, (dotp * invstd).astype(a.dtype), gsum.astype(a.dtype)
