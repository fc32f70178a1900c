"""Which elements PyTorch's CPU ``topk`` picks when values tie, and in what order.

PyTorch's CPU kernel fills a vector of (value, index) pairs and hands it to the C++ standard
library: ``std::partial_sort`` when ``k * 64 <= n``, otherwise ``std::nth_element`` followed
by ``std::sort`` of the first ``k - 1`` pairs.  Those algorithms are not stable, so among
equal values the winners depend on how they move the pairs around.  This module replays the
moves of GNU libstdc++ (introselect, heap select, introsort) on a Python list, comparing
only the values, so that ember selects the very same indices.

``topk_indices`` takes the fast NumPy route whenever ties cannot change the answer.

The same holds for ``sort`` with ``stable=False`` (``std::sort``: ``sort_indices``), for
``kthvalue`` (PyTorch's own quickselect: ``kth_index``) and ``mode`` (``std::sort`` of
(value, index) pairs, then the last index of the first longest run: ``mode_index``).
``median``/``nanmedian`` with ``dim`` break ties by index inside their comparator, so they
agree with a stable sort and need no replay.
"""
from __future__ import annotations

import numpy as np

__all__ = ["topk_indices", "sort_indices", "kth_index", "mode_index", "dense_ranks",
           "median_all_index", "row_sort_indices"]


def topk_indices(values, k: int, largest: bool = True, sorted: bool = True,
                 order: bool = True) -> np.ndarray:
    """The indices ``torch.topk(values, k, largest=largest, sorted=sorted)`` returns on the
    CPU for a one-dimensional NumPy array ``values`` (NaN counts as the largest value).

    ``order=False``: only which indices matters, not their order (cheaper when values tie).
    """
    values = np.asarray(values).reshape(-1)
    n = values.size
    if k == 0:
        return np.zeros(0, np.int64)
    keys = _keys(values, largest)  # small key = comes first
    partial_sort = k * 64 <= n  # else nth_element, then sort the first k - 1 if sorted
    if not _ties_matter(keys, k, order and (sorted or partial_sort), order):
        return np.argsort(keys, kind="stable")[:k].astype(np.int64)
    q = list(zip(keys.tolist(), range(n)))
    if partial_sort:
        _heap_select(q, 0, k, n)
        if order:
            _sort_heap(q, 0, k)
    else:
        _nth_element(q, 0, k - 1, n)
        if sorted and order:
            _sort(q, 0, k - 1)
    return np.array([i for _, i in q[:k]], dtype=np.int64)


def _keys(values, largest):
    """Dense integer ranks ordered so that the first to be picked has the smallest key."""
    if values.dtype == np.bool_ or values.dtype.kind in "iu":
        ranks = np.unique(values, return_inverse=True)[1]
    else:
        v = values.astype(np.float64)
        ranks = np.unique(v, return_inverse=True)[1]  # NaNs share the highest rank
    ranks = ranks.reshape(-1).astype(np.int64)
    return -ranks if largest else ranks


def _ties_matter(keys, k, sorted, order):
    """Whether replaying libstdc++ is needed: the k-th key is shared across the cut (which
    of the equal ones are chosen), or the order is wanted and is either introselect's
    arbitrary one (not ``sorted``) or sorted with ties among the chosen."""
    part = np.partition(keys, k - 1)
    kth = part[k - 1]
    better = int(np.count_nonzero(keys < kth))
    equal = int(np.count_nonzero(keys == kth))
    if better + equal != k:
        return True
    if not order:
        return False
    if not sorted:
        return True
    return np.unique(part[:k]).size != k


# -- GNU libstdc++'s algorithms on a list of (key, index) pairs, comparing keys only ----------

def _move_median_to_first(q, result, a, b, c):
    ka, kb, kc = q[a][0], q[b][0], q[c][0]
    if ka < kb:
        pick = b if kb < kc else (c if ka < kc else a)
    elif ka < kc:
        pick = a
    elif kb < kc:
        pick = c
    else:
        pick = b
    q[result], q[pick] = q[pick], q[result]


def _unguarded_partition(q, first, last, pivot):
    pv = q[pivot][0]
    while True:
        while q[first][0] < pv:
            first += 1
        last -= 1
        while pv < q[last][0]:
            last -= 1
        if not first < last:
            return first
        q[first], q[last] = q[last], q[first]
        first += 1


def _partition_pivot(q, first, last):
    mid = first + (last - first) // 2
    _move_median_to_first(q, first, first + 1, mid, last - 1)
    return _unguarded_partition(q, first + 1, last, first)


def _adjust_heap(q, first, hole, length, value):
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if q[first + child][0] < q[first + child - 1][0]:
            child -= 1
        q[first + hole] = q[first + child]
        hole = child
    if length & 1 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        q[first + hole] = q[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2  # the sift-up of push_heap
    while hole > top and q[first + parent][0] < value[0]:
        q[first + hole] = q[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    q[first + hole] = value


def _make_heap(q, first, last):
    n = last - first
    if n < 2:
        return
    parent = (n - 2) // 2
    while True:
        _adjust_heap(q, first, parent, n, q[first + parent])
        if parent == 0:
            return
        parent -= 1


def _pop_heap(q, first, last, result):
    value = q[result]
    q[result] = q[first]
    _adjust_heap(q, first, 0, last - first, value)


def _heap_select(q, first, middle, last):
    _make_heap(q, first, middle)
    for i in range(middle, last):
        if q[i][0] < q[first][0]:
            _pop_heap(q, first, middle, i)


def _sort_heap(q, first, last):
    while last - first > 1:
        last -= 1
        _pop_heap(q, first, last, last)


def _unguarded_linear_insert(q, last):
    val = q[last]
    prev = last - 1
    while val[0] < q[prev][0]:
        q[last] = q[prev]
        last = prev
        prev -= 1
    q[last] = val


def _insertion_sort(q, first, last):
    for i in range(first + 1, last):
        if q[i][0] < q[first][0]:
            val = q[i]
            q[first + 1:i + 1] = q[first:i]
            q[first] = val
        else:
            _unguarded_linear_insert(q, i)


def _introselect(q, first, nth, last, depth):
    while last - first > 3:
        if depth == 0:
            _heap_select(q, first, nth + 1, last)
            q[first], q[nth] = q[nth], q[first]
            return
        depth -= 1
        cut = _partition_pivot(q, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(q, first, last)


def _nth_element(q, first, nth, last):
    if first == last or nth == last:
        return
    _introselect(q, first, nth, last, 2 * ((last - first).bit_length() - 1))


def _introsort_loop(q, first, last, depth):
    while last - first > 16:
        if depth == 0:
            _heap_select(q, first, last, last)
            _sort_heap(q, first, last)
            return
        depth -= 1
        cut = _partition_pivot(q, first, last)
        _introsort_loop(q, cut, last, depth)
        last = cut


def _sort(q, first, last):
    if last - first < 2:
        return
    _introsort_loop(q, first, last, 2 * ((last - first).bit_length() - 1))
    if last - first > 16:
        _insertion_sort(q, first, first + 16)
        for i in range(first + 16, last):
            _unguarded_linear_insert(q, i)
    else:
        _insertion_sort(q, first, last)


# -- PyTorch's own quickselect (kthvalue), on a list of (key, index) pairs ---------------------

def _quick_select(q, k):
    """Sedgewick-style quickselect with a median-of-three pivot, as in PyTorch's CPU
    ``kthvalue``: afterwards ``q[k]`` holds the k-th smallest key (0-based)."""
    lo, hi = 0, len(q) - 1
    while True:
        if hi <= lo:
            return
        if hi == lo + 1:
            if q[lo][0] > q[hi][0]:
                q[lo], q[hi] = q[hi], q[lo]
            return
        mid = lo + (hi - lo) // 2
        q[mid], q[lo + 1] = q[lo + 1], q[mid]
        if q[lo + 1][0] > q[hi][0]:
            q[lo + 1], q[hi] = q[hi], q[lo + 1]
        if q[lo][0] > q[hi][0]:
            q[lo], q[hi] = q[hi], q[lo]
        if q[lo + 1][0] > q[lo][0]:
            q[lo + 1], q[lo] = q[lo], q[lo + 1]
        i, j = lo + 1, hi
        pv = q[lo][0]
        while True:
            i += 1
            while pv > q[i][0]:
                i += 1
            j -= 1
            while q[j][0] > pv:
                j -= 1
            if j < i:
                break
            q[i], q[j] = q[j], q[i]
        q[lo], q[j] = q[j], q[lo]
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


# -- entry points for sort / kthvalue / mode ---------------------------------------------------

def dense_ranks(rows, order=None):
    """Per row of a 2-D array, given ``order`` (a stable argsort of each row in the
    comparator's order; by default ascending with NaNs last): the dense rank of each element
    in that order (equal values, ``-0.0`` and ``0.0`` included, share a rank; NaNs share one),
    or ``None`` when no row holds equal values, and the ``order`` used."""
    if order is None:
        order = np.argsort(rows, axis=1, kind="stable")
    s = np.take_along_axis(rows, order, axis=1)
    new = s[:, 1:] != s[:, :-1]
    if s.dtype.kind == "f":
        new &= ~(np.isnan(s[:, 1:]) & np.isnan(s[:, :-1]))
    if new.all():
        return None, order
    ranks_sorted = np.zeros(s.shape, np.int64)
    np.cumsum(new, axis=1, out=ranks_sorted[:, 1:])
    ranks = np.empty_like(ranks_sorted)
    np.put_along_axis(ranks, order, ranks_sorted, axis=1)
    return ranks, order


def sort_indices(keys) -> np.ndarray:
    """The permutation ``std::sort`` leaves on (key, index) pairs compared by key only (small
    key first): PyTorch's CPU ``sort(stable=False)`` of one row."""
    keys = np.asarray(keys).reshape(-1)
    n = keys.size
    q = list(zip(keys.tolist(), range(n)))
    if n > 16:
        _introsort_loop(q, 0, n, 2 * (n.bit_length() - 1))
    # The closing insertion sort is stable, so a stable sort gives the same permutation.
    q.sort(key=_first)
    return np.fromiter((i for _, i in q), np.int64, n)


def _first(pair):
    return pair[0]


def kth_index(keys, k: int) -> int:
    """The index PyTorch's CPU ``kthvalue`` reports for the ``k``-th smallest (0-based) key."""
    q = list(zip(np.asarray(keys).reshape(-1).tolist(), range(np.size(keys))))
    _quick_select(q, k)
    return q[k][1]


def median_all_index(values, skip_nan: bool = False) -> int:
    """The index PyTorch's CPU ``median()``/``nanmedian()`` over all elements reports: the
    lower median (of the non-NaN values, for ``nanmedian``) left by ``std::nth_element`` on
    a copy of the values, NaN ordered last.  Only equal but distinct values (``-0.0`` and
    ``0.0``) can make it differ from a stable sort's."""
    vals = np.asarray(values).reshape(-1).tolist()
    q = [((1, 0.0) if v != v else (0, v), i) for i, v in enumerate(vals)]  # (NaN last)
    n = len(q)
    k = (n - (sum(1 for v in vals if v != v) if skip_nan else 0) - 1) // 2
    _nth_element(q, 0, k, n)
    return q[k][1]


def mode_index(values) -> int:
    """The index PyTorch's CPU ``mode`` reports for one row: the pairs are ``std::sort``-ed
    by raw value (NaN compares false both ways, as in C++), and the last pair of the first
    longest run of equal values wins."""
    vals = np.asarray(values).reshape(-1).tolist()  # (half types: pass them as float32)
    n = len(vals)
    q = list(zip(vals, range(n)))
    try:
        _sort(q, 0, n)
    except IndexError:  # NaNs sent an unguarded scan off the end (undefined in C++)
        pass
    best, best_freq, freq = 0, 0, 0
    for i in range(n):
        freq += 1
        if i == n - 1 or q[i][0] != q[i + 1][0]:
            if freq > best_freq:
                best, best_freq = q[i][1], freq
            freq = 0
    return best


# -- unique(dim=): std::sort of row indices, rows compared lexicographically ---------------------

class _RowKey:
    """A row compared as PyTorch's ``unique_dim`` comparator does: by the first column where
    one is ``<`` or ``>`` the other, so a NaN column counts as a tie and the next decides."""

    __slots__ = ("row",)

    def __init__(self, row):
        self.row = row

    def __lt__(self, other):
        for a, b in zip(self.row, other.row):
            if a < b:
                return True
            if a > b:
                return False
        return False


def row_sort_indices(rows) -> np.ndarray | None:
    """The order ``std::sort`` leaves the indices of the rows of the 2-d ``rows`` in under that
    comparator (which NaNs make inconsistent, so only a replay tells), or None where the
    replay runs off the list (where the C++ reads outside it)."""
    n = len(rows)
    q = [(_RowKey(r), i) for i, r in enumerate(np.asarray(rows, np.float64).tolist())]
    try:
        _sort(q, 0, n)
    except IndexError:
        return None
    return np.fromiter((i for _, i in q), np.int64, n)
