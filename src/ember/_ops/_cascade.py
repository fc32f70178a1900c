"""Float sums added in PyTorch's order, so that ``x.sum()`` and ``x.mean()`` on the CPU give
PyTorch's bits, not only its value to a few ulps.

Floating-point addition is not associative: NumPy's pairwise sum and PyTorch's CPU kernel
round differently, and a loss printed with ``.item()`` (17 digits) or a bias gradient fed
back into training shows it.  PyTorch's kernel works in three layers, reproduced here with
NumPy operations whose order of additions is fixed:

1. *Layout.*  The reduction is laid out like PyTorch's element-wise iterator does it:
   size-1 dims dropped, reduced dims innermost, the rest ordered by stride, adjacent dims
   that are contiguous with each other merged.  The two innermost dims form a 2-D block;
   the outer dims add their blocks' results into the output one after another.
2. *Block.*  Within a block the reduced dim is summed by one of four loops, chosen by
   which dim is contiguous and whether it holds a full SIMD vector (8 float32 lanes): the
   lanes of a vector sum independently, then fold.
3. *Cascade.*  Each lane adds its values in chunks of 16 (or more for long rows) and the
   chunk sums again in chunks, four levels deep, with four interleaved partial sums where
   the loop unrolls (``_row``).  ``_levels`` is that cascade.

Large reductions are split between threads as PyTorch splits them (as many as PyTorch's
intra-op threads): a whole-tensor sum in contiguous ranges whose sums are added at the end,
a partial sum by ranges of an output dim.  nll_loss adds its terms with a cascade of its
own (``nll_sum``).  ``np.add.reduce`` along an axis that is not the
innermost adds rows in order, which is what every step relies on (the innermost axis is
never reduced with it: NumPy sums that one pairwise).
"""
from __future__ import annotations

import functools
import math
import os

import numpy as np

GRAIN = 32768  # PyTorch's at::internal::GRAIN_SIZE: smaller reductions run on one thread


# PyTorch's sum kernel works on 32-byte vectors (8 float32 lanes, 4 float64): measured
# bit for bit against PyTorch on an AVX-512 machine too.
VECTOR_BYTES = 32


def _ceil_log2(n: int) -> int:
    return 1 if n <= 2 else (n - 1).bit_length()


def _chunk_sums(g):
    """(b, k, step, w) -> (b, k, w): each chunk's ``step`` rows added in order.

    NOTE: ``np.einsum`` sums over a middle axis with the lanes innermost row after row from
    +0, as ``np.add.reduce`` does (checked by :func:`_einsum_sums_ok`), and on many short
    chunks about twice as fast (the reduce runs a short inner loop per row)."""
    if g.size < 4096 or g.shape[3] > 128 and g.shape[0] * g.shape[1] < 8 or \
            g.dtype.kind == "c":  # (complex: NumPy's reduce, rows in order, parts apart)
        return np.add.reduce(g, axis=2)  # (few values, or long rows: as fast as anything)
    if g.shape[3] >= 2 and _einsum_sums_ok():
        return np.einsum("bksw->bkw", g)
    if g.shape[0] * g.shape[1] < 8 or g.shape[3] > 64 or g.size > 1 << 18:
        return np.add.reduce(g, axis=2)
    return np.add.reduce(np.ascontiguousarray(np.moveaxis(g, 2, 0)), axis=0)


_EINSUM_SUMS = None


def _einsum_sums_ok() -> bool:
    """Whether ``np.einsum("bksw->bkw", g)`` gives ``np.add.reduce(g, axis=2)``'s bits: the
    rows of each chunk added one after another from +0 in ``g``'s dtype (probed with values
    whose sum tells that order apart from pairwise, blocked or wider sums, and with chunks
    of -0 alone, infinities and NaN)."""
    global _EINSUM_SUMS
    if _EINSUM_SUMS is None:
        ok = True
        rng = np.random.default_rng(11)
        with np.errstate(all="ignore"):
            for dt in (np.float32, np.float64):
                for shape in ((2, 3, 16, 8), (1, 5, 32, 4), (3, 1, 64, 33), (2, 2, 16, 2)):
                    g = rng.standard_normal(shape).astype(dt)
                    g[:, :, ::5] *= dt(2.0 ** 30)  # (large and small terms: order shows)
                    g[:, :, 3] = -g[:, :, 0]
                    g[0, 0] = -0.0
                    g[-1, -1, 1:3, 0] = [np.inf, -np.inf]
                    g[-1, -1, 4, 1] = np.nan
                    acc = g[:, :, 0] + dt(0)
                    for i in range(1, shape[2]):
                        acc = acc + g[:, :, i]
                    got = np.einsum("bksw->bkw", g)
                    for want in (acc, np.add.reduce(g, axis=2)):
                        ok = ok and got.dtype == dt and bool(np.array_equal(
                            got.view(np.uint8), want.view(np.uint8)))
        _EINSUM_SUMS = ok
    return _EINSUM_SUMS


def _levels(x):
    """``x`` (batch, n, lanes): each lane summed over ``n`` by PyTorch's four-level cascade:
    sums of ``step`` values passed up a level, what is left at each level added at the end.

    ``np.add.reduce`` along a middle axis, with the lanes innermost in memory, adds in order."""
    x = np.ascontiguousarray(x)  # (with the lanes elsewhere NumPy would sum pairwise)
    b, n, w = x.shape
    step = 1 << max(4, _ceil_log2(n) // 4)
    whole = n // step * step
    # what each level leaves over is added onto ``acc`` in turn, from the bottom level's
    # last, partial chunk.  An empty leftover adds +0, which can only turn a -0 into +0 (a
    # sum is -0 only if every term is), so those additions are made once, at the end
    # (NOTE: a sum can be -0 here only on a NumPy whose reduce starts from the first row).
    acc, empty = (np.add.reduce(x[:, whole:], axis=1), False) if whole < n else (None, True)
    sums = x[:, :whole]
    for level in (1, 2, 3):
        if not sums.shape[1]:
            break
        sums = _chunk_sums(sums.reshape(b, -1, step, w))
        whole = sums.shape[1] // step * step if level < 3 else 0  # the top level keeps all
        if whole < sums.shape[1]:
            left = np.add.reduce(sums[:, whole:], axis=1)
            acc = left if acc is None else acc + left
        else:
            empty = True
        sums = sums[:, :whole]
    if acc is None:
        return np.zeros((b, w), x.dtype)
    return acc + x.dtype.type(0) if empty else acc


def _row(x):
    """``x`` (batch, n, lanes): PyTorch's ``row_sum``, four partial cascades interleaved."""
    b, n, w = x.shape
    n4 = n // 4
    parts = _levels(x[:, :4 * n4].reshape(b, n4, 4 * w)).reshape(b, 4, w)
    if n == 4 * n4 and w > 1:
        # ((p0 + p1) + p2) + p3, as below: NumPy reduces a middle axis row after row (over
        # a contiguous one it would sum pairwise after the first)
        return np.add.reduce(parts, axis=1)
    acc = parts[:, 0]
    for i in range(4 * n4, n):
        acc = acc + x[:, i]
    for k in (1, 2, 3):
        acc = acc + parts[:, k]
    return acc


def _rows(rows, lanes):
    """Each row of ``rows`` (batch, n), contiguous along n, summed: whole vectors in lanes,
    then the leftover elements and the lanes one by one; a row shorter than a vector by
    ``_row`` alone."""
    b, n = rows.shape
    if n < lanes:
        return _row(rows[:, :, None])[:, 0]
    nv = n // lanes
    vec = _row(rows[:, :nv * lanes].reshape(b, nv, lanes))
    if n == nv * lanes:
        return fold_left(vec)
    return fold_left(np.concatenate([rows[:, nv * lanes:], vec], axis=1))


def _columns(block, group):
    """``block`` (batch, n reduced, cols): the first columns, in runs of ``group`` (four
    vectors where the columns are contiguous, else four), cascade directly; the rest by
    ``_row``, which treats each column alike whether PyTorch loads it in a vector or not."""
    c = block.shape[2]
    head = c // group * group
    if not head:
        return _row(block)
    if head == c:
        return _levels(block)
    return np.concatenate([_levels(block[:, :, :head]), _row(block[:, :, head:])], axis=1)


# -- the iterator's layout ----------------------------------------------------------------

def iterator_sort(items, swap):
    """PyTorch's element-wise iterator orders dims with this insertion sort, which tolerates
    ``swap(p, q)`` having no opinion (0); +1 moves ``q`` inside ``p``, -1 stops the pass."""
    items = list(items)
    for i in range(1, len(items)):
        j = i
        for k in range(i - 1, -1, -1):
            c = swap(items[k], items[j])
            if c > 0:
                items[k], items[j] = items[j], items[k]
                j = k
            elif c < 0:
                break
    return items


def operand_order(shape, strides):
    """The dims of one operand (``strides`` in elements), innermost first, as PyTorch's
    iterator orders them (``reorder_dimensions``: by stride, a broadcast dim anywhere)."""
    def swap(p, q):
        sp, sq = strides[p], strides[q]
        if sp == 0 or sq == 0:
            return 0
        if sp != sq:
            return 1 if sp > sq else -1
        return 1 if shape[p] > shape[q] else 0
    return iterator_sort(range(len(shape) - 1, -1, -1), swap)


def _layout(a, axes):
    """PyTorch's iterator dims for reducing ``axes`` of ``a``, innermost first: a list of
    ``[size, byte stride, output stride, reduced, original axes (outermost first)]``."""
    kept = [d for d in range(a.ndim) if d not in axes]
    out_stride, s = {}, 1
    for d in reversed(kept):
        out_stride[d] = s
        s *= a.shape[d]
    dims = [[a.shape[d], a.strides[d], 0 if d in axes else out_stride[d], d in axes, [d]]
            for d in range(a.ndim) if a.shape[d] != 1]

    def swap(d0, d1):  # 1: d0 goes after (outside) d1, -1: before, 0: undecided
        o0, o1 = d0[2], d1[2]
        if (o0 == 0) != (o1 == 0):
            return 1 if o1 == 0 else -1
        if o0 and o1:
            if o0 != o1:
                return -1 if o0 < o1 else 1
            if d0[0] > d1[0]:
                return 1
        s0, s1 = d0[1], d1[1]
        if s0 and s1:
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if d0[0] > d1[0]:
                return 1
        return 0

    perm = iterator_sort(dims[::-1], swap)
    merged = []
    for d in perm:
        if merged:
            p = merged[-1]
            if p[0] * p[1] == d[1] and p[0] * p[2] == d[2]:
                p[4] = d[4] + p[4]
                p[0] *= d[0]
                continue
        merged.append(list(d))
    return merged


def _block_sums(view, dims, lanes):
    """Sum the 2-D block (the two innermost dims) of ``view`` (outermost axis first) for
    every outer index: (outer..., size1) where the block's dim 1 is kept or reduced."""
    size0, s0 = dims[0][0], dims[0][1]
    size1, s1 = (dims[1][0], dims[1][1]) if len(dims) > 1 else (1, 0)
    item = view.itemsize
    flat = view.reshape(-1, size1, size0)
    if s0 == item and size0 >= lanes:  # PyTorch's four loops, chosen in its order
        out = _rows(flat.reshape(-1, size0), lanes)
    elif s1 == item and size1 >= lanes:
        out = _columns(flat.transpose(0, 2, 1), 4 * lanes)
    elif s0 < s1 or len(dims) == 1:
        out = _row(flat.reshape(-1, size0)[:, :, None])[:, 0]
    else:
        out = _columns(flat.transpose(0, 2, 1), 4)
    return out.reshape(view.shape[:-1])


def _merged(a, dims):
    """``a`` viewed with ``dims``'s sizes, outermost first."""
    axes = [ax for d in reversed(dims) for ax in d[4]]
    ones = [ax for ax in range(a.ndim) if a.shape[ax] == 1]
    return a.transpose(ones + axes).reshape([d[0] for d in reversed(dims)])


def _terms(view, dims):
    """What one pass over ``view`` (laid out as ``dims``, from ``_layout``) adds into each
    output element, in order: (kept dims..., terms), kept dims outermost first; and them."""
    if dims[0][3]:  # (``_layout`` puts the reduced dims innermost)
        part = _block_sums(view, dims, VECTOR_BYTES // view.itemsize)
        order = dims[1:][::-1]
    else:  # no reduced dim in the block: the outer dims add whole blocks
        part = view
        order = dims[::-1]
    kept = [i for i, d in enumerate(order) if not d[3]]
    summed = [i for i, d in enumerate(order) if d[3]]
    if summed:
        part = part.transpose(kept + summed)
    part = part.reshape([order[i][0] for i in kept] + [-1])
    return part, [order[i] for i in kept]


def fold_left(terms):
    """Terms along the last axis added left to right from zero."""
    if terms.shape[-1] <= 1:
        return terms.sum(axis=-1) + terms.dtype.type(0)
    return np.cumsum(terms, axis=-1)[..., -1]


def _serial(view, dims):
    """The sum of ``view`` laid out as ``dims`` on one thread: (kept results, kept dims)."""
    terms, kept = _terms(view, dims)
    return fold_left(terms), kept


intraop_threads = None  # set by torch.set_num_threads


def _physical_cores() -> int:
    from .._cpuinfo import processors
    cores = {(p.get("physical id"), p["core id"]) for p in processors() if "core id" in p}
    return len(cores) or os.cpu_count() or 1


def _threads():
    """PyTorch's intra-op threads: what set_num_threads said, else OMP_NUM_THREADS or
    MKL_NUM_THREADS, else the physical cores (the environment read once, as PyTorch reads
    it when it starts its thread pool)."""
    if intraop_threads is not None:
        return intraop_threads
    return _default_threads()


@functools.lru_cache(maxsize=None)
def _default_threads():
    for var in ("MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        try:
            n = int(os.environ.get(var, ""))
        except ValueError:
            continue
        if n > 0:
            return n
    return _PHYSICAL


_PHYSICAL = _physical_cores()


def cascade_sum(a, axes):
    """``a`` (float32/float64, CPU) summed over ``axes`` (a tuple of dims) as PyTorch sums
    it; the result has the kept dims in their order (``keepdims`` is the caller's)."""
    axes = tuple(sorted(set(axes)))
    out_shape = tuple(s for d, s in enumerate(a.shape) if d not in axes)
    if a.size == 0 or not a.ndim or not axes:
        return a.sum(axis=axes) if a.size == 0 else a + a.dtype.type(0)
    if a.flags.c_contiguous:  # the common layouts, without working the layout out
        fast = _contiguous(a, axes, out_shape)
        if fast is not None:
            return fast
    elif any(s < 0 for s in a.strides):
        a = np.ascontiguousarray(a)
    dims = _layout(a, axes)
    if not dims:  # one element
        return a.reshape(out_shape) + a.dtype.type(0)
    view = _merged(a, dims)
    threads = _threads() if a.size >= GRAIN else 1
    if threads > 1 and all(d[3] for d in dims):
        res, kept = _two_pass(view, dims, threads), []
    elif threads > 1 and _split_matters(dims, threads, a.itemsize):
        res, kept = _split(view, dims, threads)
    else:
        res, kept = _serial(view, dims)
    return _restore(res, kept, a, axes, out_shape)


def _contiguous(a, axes, out_shape):
    """A C-contiguous array summed over all its dims (short of a thread split), its leading
    dims, or its trailing dims, which the layout would merge to one or two dims."""
    lanes = VECTOR_BYTES // a.itemsize
    if len(axes) == a.ndim:
        return _flat_sum(a.reshape(-1), _threads() if a.size >= GRAIN else 1).reshape(())
    k = len(axes)
    if axes == tuple(range(k)):  # leading: columns summed down the rows
        rows = math.prod(a.shape[:k])
        block = a.reshape(1, rows, -1)
        if rows == 1 or block.shape[2] == 1:
            return None
        group = 4 * lanes if block.shape[2] >= lanes else 4
        return _columns(block, group).reshape(out_shape)
    if axes == tuple(range(a.ndim - k, a.ndim)):  # trailing: each row summed
        rows = a.reshape(-1, math.prod(a.shape[a.ndim - k:]))
        if rows.shape[0] == 1 or rows.shape[1] == 1:
            return None
        return _rows(rows, lanes).reshape(out_shape)
    return None


def _flat_sum(flat, threads):
    """A contiguous 1-D sum (shape (1,)) on ``threads`` threads: each sums an equal range
    (the last one shorter), then the per-thread results (zero for idle threads) are summed
    like any short row."""
    lanes = VECTOR_BYTES // flat.itemsize
    if threads == 1:
        return _rows(flat[None], lanes)
    n = flat.size
    chunk = -(-n // min(threads, -(-n // GRAIN)))
    whole = n // chunk
    buffer = np.zeros(threads, flat.dtype)
    buffer[:whole] = _rows(flat[:whole * chunk].reshape(whole, chunk), lanes)
    if whole * chunk < n:
        buffer[whole] = _rows(flat[whole * chunk:][None], lanes)[0]
    if threads < lanes:  # (what _rows does with a row shorter than a vector: from +0 in order)
        acc = flat.dtype.type(0)
        for v in buffer:
            acc = acc + v
        return np.array([acc])
    return _rows(buffer[None], lanes)


def _two_pass(view, dims, threads):
    """A whole-tensor sum on several threads: each sums a contiguous range of the flat
    iteration, then the per-thread results are summed (see ``_flat_sum``)."""
    if len(dims) == 1 and dims[0][1] == view.itemsize:
        return _flat_sum(view, threads)[0]
    n = view.size
    used = min(threads, -(-n // GRAIN))
    chunk = -(-n // used)
    buffer = np.zeros(threads, view.dtype)
    for t, lo in enumerate(range(0, n, chunk)):
        hi = min(n, lo + chunk)
        terms = [_terms(v, d)[0].reshape(-1) for v, d in _ranges(view, dims, lo, hi)]
        buffer[t] = fold_left(np.concatenate(terms) if len(terms) > 1 else terms[0])
    return _rows(buffer[None], VECTOR_BYTES // view.itemsize)[0]


def _ranges(view, dims, lo, hi):
    """The blocks a thread sums for the flat range [lo, hi) of ``dims``: PyTorch walks it in
    2-D steps (a partial row, then whole rows, then what is left)."""
    if len(dims) == 1:
        yield view[lo:hi], [[hi - lo] + dims[0][1:]]
        return
    shape = [d[0] for d in dims]
    at = lo
    while at < hi:
        values, rest = [], at
        for size in shape:
            values.append(rest % size)
            rest //= size
        step0 = min(shape[0] - values[0], hi - at)
        step1 = min(shape[1] - values[1], (hi - at) // shape[0]) if step0 == shape[0] else 1
        index = tuple(values[:1:-1]) + (slice(values[1], values[1] + step1),
                                         slice(values[0], values[0] + step0))
        yield view[index], [[step0] + dims[0][1:], [step1] + dims[1][1:]]
        at += step0 * step1


def _split_matters(dims, threads, item):
    """Whether PyTorch's cut of the output between threads changes any sum.  It cuts the
    outermost kept dim at least as long as there are threads (else the longest) into one
    range per thread, contiguous ones rounded to 128 bytes: that keeps every run of four
    vectors whole, and rows are summed independently, so only a cut through non-contiguous
    block columns (summed four at a time) tells."""
    best = len(dims) - 1
    for k in range(len(dims) - 1, -1, -1):
        if dims[k][3]:
            break
        if dims[k][0] >= threads:
            best = k
            break
        if dims[k][0] > dims[best][0]:
            best = k
    if len(dims) < 2 or best != 1 or dims[1][1] == item:
        return False
    inner = dims[0][1] == item and dims[0][0] >= VECTOR_BYTES // item
    return not inner and dims[0][1] >= dims[1][1]


def _split(view, dims, threads):
    """A partial sum whose block columns (``dims[1]``) are cut into one range per thread,
    each range summed on its own (see ``_split_matters``)."""
    cols = dims[1][0]
    chunk = -(-cols // min(threads, cols))
    pieces = [_serial(view[..., lo:min(cols, lo + chunk), :],
                      [dims[0], [min(cols, lo + chunk) - lo] + dims[1][1:]] + dims[2:])[0]
              for lo in range(0, cols, chunk)]
    return np.concatenate(pieces, axis=-1), [d for d in reversed(dims) if not d[3]]


def _restore(res, kept, a, axes, out_shape):
    """Put the kept dims (merged, outermost first) back in ``a``'s order and shape."""
    names, sizes = [], []
    for d in kept:
        for ax in sorted(d[4], key=lambda k: -a.strides[k]):
            names.append(ax)
            sizes.append(a.shape[ax])
    res = res.reshape(sizes) if sizes else res.reshape(())
    order = sorted(range(len(names)), key=lambda i: names[i])
    res = res.transpose(order) if names else res
    return np.ascontiguousarray(res).reshape(out_shape)


# -- nll_loss's own sum ------------------------------------------------------------------

def nll_sum(terms, skipped=None):
    """The sum PyTorch's nll_loss kernel forms of ``terms`` (the per-target contributions in
    target order, 1-D): eight partial sums, the running one pushed up a level after every
    index that is a multiple of 16 (of 256 for the next level, and so on; index 0 goes all
    the way up).  A target equal to ``ignore_index`` (``skipped``) adds nothing and, as it is
    passed over, pushes nothing either."""
    n = terms.shape[0]
    levels = 8
    power = max(4, _ceil_log2(n) // levels)
    step = 1 << power
    zero = terms.dtype.type(0)
    if n == 0:
        return zero
    if skipped is not None and skipped.any():
        mask = step - 1
        parts = [zero] * levels
        for b in range(n):
            if skipped[b]:
                continue
            parts[0] = parts[0] + terms[b]
            for j in range(levels - 1):
                if b & (mask << (j * power)):
                    break
                parts[j + 1] = parts[j + 1] + parts[j]
                parts[j] = zero
    else:
        parts = [zero] * levels
        parts[levels - 1] = terms[0] + zero  # index 0 is pushed to the top
        values = terms[1:]  # index b closes a group of `step` when b is a multiple of it
        for j in range(levels - 1):  # (level 6 keeps all: 16**7 targets are out of reach)
            whole = values.shape[0] // step * step if j < levels - 2 else 0
            parts[j] = fold_left(values[whole:])
            if not whole:
                break
            values = fold_left(values[:whole].reshape(-1, step))
    total = zero
    for p in parts:
        total = total + p
    return total
