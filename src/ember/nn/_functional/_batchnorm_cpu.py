"""PyTorch's CPU batch norm kernels, step for step, so that ember's bits equal PyTorch's.

float32 as below; float64 takes the same steps in double (its sums into double buffers, its
fused multiply-adds emulated), with the differences measured noted where they are taken.

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
    return (type(a) is np.ndarray and a.dtype in _TYPES and a.ndim >= 2 and a.size > 0
            and a.flags.c_contiguous)


_TYPES = (np.dtype(np.float32), np.dtype(np.float64))

# (float64's fused multiply-adds are emulated, row by row where PyTorch's buffers take the rows
# one by one: beyond this many elements, or rows per thread, the generic path runs, a few ulps
# off PyTorch's)
EXACT64_MAX = 1 << 16
EXACT64_ROWS = 512


def eligible64(a, rows) -> bool:
    """Whether a float64 input is small enough, and finite, for the exact kernels: of at most
    :data:`EXACT64_MAX` elements, and where it is taken as ``rows`` (N, C) (no image, or
    channels last), at most :data:`EXACT64_ROWS` rows for each thread's buffer."""
    if type(a) is not np.ndarray or a.size > EXACT64_MAX:
        return False
    if rows and -(-rows // _threads()) > EXACT64_ROWS:
        return False
    return bool(np.isfinite(a).all())


from ..._random import _fma32, _fma64, _round_odd_fix, _two_sum_err, _within  # noqa: E402,I001


def _fma(a, b, c):
    """``a * b + c`` rounded once, in the type of the array ``a`` (float32 or float64)."""
    if a.dtype.type is _F64:  # (cheap: float32's many small calls are hot)
        return np.asarray(_fma64(a, b, c), _F64)
    return _fma32(a, b, c)


def fma_rows(a, b):
    """``acc = a[:, i] * b[:, i] + acc`` for i in order, each fused (one rounding), from
    zero: per-thread buffers of blocks ``a``, ``b`` (threads, rows, C) -> (threads, C)."""
    if a.dtype == _F64:  # (each fused step emulated in double, row by row)
        return fma_chain(np.moveaxis(a, 1, -1), np.moveaxis(b, 1, -1))
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


def fma_chain(a, b):
    """``acc = a[..., i] * b[..., i] + acc`` for i in order from zero, each step one fused
    multiply-add, in double: (..., K) -> (...)."""
    acc = np.zeros(a.shape[:-1], _F64)
    if not (_within(a, 2.0 ** 500, 2.0 ** -450) and _within(b, 2.0 ** 500, 2.0 ** -450)):
        for i in range(a.shape[-1]):
            acc = np.asarray(_fma64(a[..., i], b[..., i], acc), _F64)
        return acc
    # the products split exactly into ``hi + lo`` all at once (Dekker), then each step adds
    # one to the running sum, rounded once (as _fma64_split: TwoSum, a round-to-odd add)
    from ..._ops._sleef_more import _d_err

    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        hi = a * b
        lo = _d_err(a, b, hi)
        hi, lo = np.moveaxis(hi, -1, 0).copy(), np.moveaxis(lo, -1, 0).copy()
        for i in range(hi.shape[0]):
            th = acc + hi[i]
            tl = _two_sum_err(acc, hi[i], th)
            v = tl + lo[i]
            v = _round_odd_fix(v, _two_sum_err(tl, lo[i], v))
            r = th + v
            acc = r if r.all() else np.where(r == 0, th, r)
    if not np.isfinite(acc).all():  # (the sum left the safe range: step by step, rescaled)
        acc = np.zeros(a.shape[:-1], _F64)
        for i in range(a.shape[-1]):
            acc = np.asarray(_fma64(a[..., i], b[..., i], acc), _F64)
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
    if rows.dtype == _F64:
        # measured: the same lanes and fused tail, but the lanes folded left to right (the
        # generic fold; only float32 has the shuffle tree)
        full = n - n % lanes
        vecs = terms[:, :full].reshape(k, -1, lanes).transpose(1, 0, 2)
        acc = np.add.reduce(np.ascontiguousarray(vecs), axis=0, initial=-0.0)
        if full < n:
            tail = acc[:, :n - full]
            acc[:, :n - full] = (tail + terms[:, full:] if other is None else
                                 _fma(rows[:, full:], other[:, full:], tail))
        out = acc[:, 0].copy()
        for i in range(1, lanes):
            out += acc[:, i]
        return out
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
        if dt is _F64 and a.size // (n * c) % 2 and np.isfinite(a).all():
            return _stats64_odd(a, count)
        if c >= 2 and _columns_in_order():
            # (positions by rows, channels last: NumPy's reduction down the rows adds each
            # column in order, as _seq_sum does, without writing every partial sum)
            cl = np.empty((n, a.size // (n * c), c), a.dtype)
            cl[...] = _image(a).transpose(0, 2, 1)
            cl = cl.reshape(-1, c)
            with np.errstate(invalid="ignore", over="ignore"):  # (PyTorch warns of nothing)
                mean = (_column_seq_sums(cl) / count).astype(dt)
                first = _first_nans(cl, mean) if np.isnan(mean).any() else None
                cl -= mean
                cl *= cl
                return _with_nans(first, mean, _column_seq_sums(cl).astype(dt))
        rows = np.moveaxis(_image(a), 1, 0).reshape(c, -1)
        with np.errstate(invalid="ignore", over="ignore"):
            mean = (_seq_sum(rows) / count).astype(dt)
            first = _first_nans(rows.T, mean) if np.isnan(mean).any() else None
            d = rows - mean[:, None]
            return _with_nans(first, mean, _seq_sum(d * d).astype(dt))
    # measured: with no more rows than threads, PyTorch adds the rows into doubles one by one
    # (a block of one row each) for 17 to 2048 channels, and all rows in one block otherwise
    blocks = _thread_blocks(a.reshape(n, c), split=n > _threads() or 16 < c <= 2048)
    with np.errstate(invalid="ignore", over="ignore"):
        sums = _last_nans(blocks, _block_sums(blocks))
        mean = (_seq_nan(sums, _seq_sum(sums.T)) / count).astype(dt)
        d = blocks - mean
        if np.isnan(mean).any():  # (x - mean passes x's NaN on first)
            d = _pass_nans(d, blocks, np.broadcast_to(mean, d.shape))
        d[-1, n - (blocks.shape[0] - 1) * blocks.shape[1]:] = 0  # the padding rows
        sq = _last_nans(d, fma_rows(d, d))
        return mean, _seq_nan(sq, _seq_sum(sq.T)).astype(dt)


def _stats64_odd(a, count):
    """:func:`stats` of a finite float64 ``a`` (N, C, *) whose planes hold an odd number of
    values.  NOTE: PyTorch's compiled loop over a plane takes its values two at a time and
    the odd last one on its own, and only that one's square is fused into the running sum
    (measured); the others are rounded, then added, in order."""
    img = _image(a)
    rows = np.moveaxis(img, 1, 0).reshape(a.shape[1], -1)
    mean = _seq_sum(rows) / count
    d = img - mean[:, None]
    sq = d[:, :, :-1] * d[:, :, :-1]
    last = d[:, :, -1]
    acc = np.zeros(a.shape[1], _F64)
    for i in range(img.shape[0]):
        if sq.shape[2]:
            acc = np.add.accumulate(np.concatenate([acc[:, None], sq[i]], axis=1), axis=1)[:, -1]
        acc = np.asarray(_fma64(last[i], last[i], acc), _F64)
    return mean, acc


def _first_nans(cols, mean):
    """(mean, var_sum) of the channels where ``mean`` is NaN, as PyTorch's running sums into
    doubles leave them (:func:`_seq_nan` over ``cols`` (positions, C), the order they are
    summed), the var_sum the first squared deviation's NaN (the first value's, else the
    mean's); NumPy's own choice of NaN varies with the arrays' sizes.  Returned for all
    channels (:func:`_with_nans` keeps the var_sum of those where the mean is not NaN)."""
    mean = _seq_nan(cols, mean)
    x0 = cols[0]
    return mean, np.where(np.isnan(x0), _quiet(x0), mean).astype(mean.dtype)


def _seq_nan(cols, sums):
    """``sums`` (C,) of the columns of ``cols`` (K, C) with the NaN a running sum ``acc + x``
    (the running sum the first operand) ends with where it is NaN: the first NaN value's,
    unless an inf meets an inf of the other sign before it (the default NaN then)."""
    bad = np.isnan(sums)
    if not bad.any():
        return sums
    k = cols.shape[0]

    def first(mask):
        return np.where(mask.any(axis=0), np.argmax(mask, axis=0), k)

    at = first(np.isnan(cols))
    clash = np.maximum(first(cols == np.inf), first(cols == -np.inf))
    val = _quiet(cols[np.minimum(at, k - 1), np.arange(cols.shape[1])]).astype(sums.dtype)
    default = _default_nan(sums.dtype)
    fixed = np.where(clash < at, default, val)
    return np.where(bad & ((at < k) | (clash < k)), fixed, sums).astype(sums.dtype)


def _default_nan(dtype):
    """The x86 default NaN (what inf - inf makes): the sign bit set."""
    return np.copysign(np.array(np.nan, dtype), -1)


def _with_nans(first, mean, var):
    if first is None:
        return mean, var
    mean, nan_var = first
    return mean, np.where(np.isnan(mean), nan_var, var).astype(var.dtype)


def _last_nans(blocks, sums):
    """``sums`` (threads, C) of ``blocks`` (threads, rows, C) with the NaN PyTorch's buffers
    end with: each row is the first operand of its add (or fused multiply-add) into the
    buffer, so a block's last NaN row wins (NumPy's running sum keeps its first).  A NaN the
    adds make (inf - inf) stays only where no row is NaN: the same in both."""
    nan = np.isnan(blocks)
    if not nan.any():
        return sums
    # NOTE: PyTorch's per-thread sums keep each block's last NaN, its sum over the threads'
    # buffers (into doubles) the first thread's
    t, c = np.nonzero(nan.any(axis=1))
    r = blocks.shape[1] - 1 - np.argmax(nan[:, ::-1, :], axis=1)[t, c]
    sums = sums.copy()
    last = blocks[t, r, c]
    if last.dtype == np.float32:  # (quieted, as an add does)
        last = (last.view(np.uint32) | np.uint32(0x400000)).view(np.float32)
    sums[t, c] = last
    return sums


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
    variance (``fused``) and not for the mean; in double it fuses neither (measured)."""
    dt = buf.dtype.type
    fused = fused and dt is np.float32
    m = dt(momentum)
    kept = (dt(1) - m) * buf
    stat = stat.astype(buf.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        # (NaNs: the fused one passes the statistic's on first, the other the buffer's)
        new = _fma(np.asarray(m), stat, kept) if fused else m * stat + kept
        buf[...] = _pass_nans(new, *((stat, kept) if fused else (kept, stat)))


def forward(a, mean, invstd, weight, bias):
    """``a * alpha + beta`` per channel, both fused as PyTorch's kernel fuses them.

    NaNs come out as the processor's fused multiply-adds pass them on (measured): ``beta =
    bias - alpha * mean`` takes alpha's NaN, else mean's (its sign kept: a negated multiply-add,
    not a negated operand), else the bias's; the output takes alpha's, else the input's, else
    beta's (``_fma`` keeps its first operand's NaN, then the second's, then the third's)."""
    dt = a.dtype
    alpha = invstd if weight is None else (invstd * weight).astype(dt)
    b = np.zeros_like(alpha) if bias is None else bias.astype(dt)
    with np.errstate(invalid="ignore", over="ignore"):
        # NOTE: PyTorch keeps the sign of a NaN mean in beta (its negated FMA passes the NaN on
        # unchanged)
        beta = _fma(alpha, -mean, b)
        if np.isnan(beta).any():
            beta = _pass_nans(beta, alpha, mean, b)
        shape = (a.shape[1],) + (1,) * (a.ndim - 2)
        alpha, beta = alpha.reshape(shape), beta.reshape(shape)
        y = _fma(a, alpha, np.broadcast_to(beta, a.shape))
        if np.isnan(y).any():  # (NumPy's own choice of NaN varies with the arrays' sizes)
            y = _pass_nans(y, np.broadcast_to(alpha, a.shape), a, np.broadcast_to(beta, a.shape))
        return y


def _quiet(v):
    """NaNs of float32 ``v`` quieted, as an arithmetic instruction passes them on."""
    if v.dtype != np.float32:
        return v
    return np.where(np.isnan(v), (v.view(np.uint32) | np.uint32(0x400000)).view(np.float32), v)


def _pass_nans(y, *operands):
    """``y`` with each NaN where an operand (broadcast to ``y``) is NaN replaced by the first
    such operand's (quieted): the NaN an x86 fused multiply-add of these operands, in this
    order, passes on.  A NaN no operand held (inf - inf, 0 * inf) is left: the processor's
    default NaN, as NumPy's."""
    out = y
    for v in operands[::-1]:
        v = np.asarray(v)
        hit = np.isnan(v)
        if hit.any():
            out = np.where(hit, _quiet(v), out)
    return out.astype(y.dtype, copy=False)


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
