"""Leftover differences against PyTorch, checked call by call against it: ``histc``'s and
``histogram``'s degenerate ranges (a range too narrow for the dtype, overflowing edges,
infinite and NaN data), ``index_fill``/``index_copy``/``index_add``/``index_reduce`` on empty
dims, the functional activations' and dropouts' argument errors, the order of ``out=``'s
checks (scatters, clamp's Scalar overload, stack's resize), Python ints past int64 (a uint64
Scalar in PyTorch) and ``rsub``'s wrapped negation of its alpha."""
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")


def _outcome(lib, fn):
    """What ``fn(lib)`` gives: its value (as a list, with its dtype) or its error, and the
    warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = fn(lib)
            if isinstance(r, tuple):
                r = [(x.tolist(), str(x.dtype)) for x in r]
            elif isinstance(r, lib.Tensor):
                r = (r.tolist(), str(r.dtype), tuple(r.shape))
            got = ("ok", repr(r))
        except Exception as e:  # noqa: BLE001  (compared with PyTorch's)
            got = (type(e).__name__, str(e))
    return got, [str(w.message) for w in caught if "index_reduce" not in str(w.message)]


def _same(fn):
    want = _outcome(torch, fn)
    got = _outcome(ember, fn)
    assert got == want


F32, F64 = "float32", "float64"


@pytest.mark.parametrize("dt", [F32, F64])
@pytest.mark.parametrize("case", [
    lambda t, d: t.histc(t.tensor([1e30], dtype=d), bins=3),
    lambda t, d: t.histc(t.tensor([1e30] * 3, dtype=d), bins=4),
    lambda t, d: t.histc(t.tensor([3e38, -3e38], dtype=d), bins=4),
    lambda t, d: t.histc(t.tensor([0., 3e38, 3e38], dtype=d), bins=3),
    lambda t, d: t.histc(t.tensor([float("inf")], dtype=d), bins=3),
    lambda t, d: t.histc(t.tensor([1., float("nan")], dtype=d), bins=3),
    lambda t, d: t.histc(t.tensor([float("nan")], dtype=d), bins=3),
    lambda t, d: t.histc(t.tensor([1234567., float("inf")], dtype=d), bins=3),
    lambda t, d: t.histc(t.tensor([0., 0.], dtype=d), bins=4, min=0, max=0),
    lambda t, d: t.histc(t.tensor([1e30, 1e30], dtype=d), bins=5, min=1e30, max=1e30),
    lambda t, d: t.histogram(t.tensor([1e30], dtype=d), bins=3),
    lambda t, d: t.histogram(t.tensor([0., 3e38, 3e38], dtype=d), bins=4),
    lambda t, d: t.histogram(t.tensor([-3e38, 3e38], dtype=d), bins=3),
    lambda t, d: t.histogramdd(t.tensor([[1e30, 0.]], dtype=d), bins=3),
    lambda t, d: t.histogramdd(t.tensor([[float("inf"), 0.]], dtype=d), bins=3),
    lambda t, d: t.histogramdd(t.ones(2, 2, dtype=d), bins=3, range=[0., float("inf"), 0., 1.]),
])
def test_histograms_degenerate(case, dt):
    _same(lambda t: case(t, getattr(t, dt)))


@pytest.mark.parametrize("case", [
    lambda t: t.histc(t.tensor([1e38, 1e38]).bfloat16(), bins=5),
    lambda t: t.histc(t.tensor([6e4, 6e4]).half(), bins=5),
    lambda t: t.histc(t.tensor([1e4, 6e4]).half(), bins=3),
    lambda t: t.histc(t.tensor([1e308], dtype=t.float64), bins=6),
    lambda t: t.histc(t.tensor([1., float("nan")]).bfloat16(), bins=3),
])
def test_histc_half_types_and_wide_range(case):
    _same(case)


@pytest.mark.parametrize("dt", ["int8", F32])
@pytest.mark.parametrize("case", [
    lambda t, d: t.zeros(0, dtype=d).index_fill(0, t.tensor([0]), 1),
    lambda t, d: t.zeros(0, dtype=d).clone().index_fill_(0, t.tensor([0]), t.tensor(1)),
    lambda t, d: t.zeros(2, 0, dtype=d).index_fill(1, t.tensor([0]), 1),
    lambda t, d: t.zeros(0, 3, dtype=d).index_fill(1, t.tensor([0]), 1),
    lambda t, d: t.zeros(0, dtype=d).index_copy(0, t.tensor([0]), t.ones(1, dtype=d)),
    lambda t, d: t.zeros(0, 3, dtype=d).index_copy(0, t.tensor([0]), t.ones(1, 3, dtype=d)),
    lambda t, d: t.zeros(2, 0, dtype=d).index_add(1, t.tensor([0]), t.ones(2, 1, dtype=d)),
    lambda t, d: t.zeros(0, 3, dtype=d).index_add(0, t.tensor([0]), t.ones(1, 3, dtype=d)),
    lambda t, d: t.zeros(0, dtype=d).index_add(0, t.tensor([0]), t.ones(1, dtype=d)),
    lambda t, d: t.zeros(0, 3, dtype=d).index_reduce(0, t.tensor([2]), t.ones(1, 3, dtype=d),
                                                     "amax"),
    lambda t, d: t.zeros(0, 3, dtype=d).index_reduce(0, t.tensor([2]), t.ones(1, 3, dtype=d),
                                                     "prod", include_self=False),
    lambda t, d: t.zeros(2, 0, dtype=d).index_reduce(0, t.tensor([5]), t.ones(1, 0, dtype=d),
                                                     "prod", include_self=False),
])
def test_index_updates_on_empty_dims(case, dt):
    _same(lambda t: case(t, getattr(t, dt)))


def _x(t):
    return t.ones(2, 3, 4)


@pytest.mark.parametrize("case", [
    lambda t: t.nn.functional.threshold(_x(t)),
    lambda t: t.nn.functional.threshold(_x(t), 0.5),
    lambda t: t.nn.functional.threshold("a", 1., 1.),
    lambda t: t.nn.functional.threshold("a", 1., 1., True),
    lambda t: t.nn.functional.threshold_(_x(t)),
    lambda t: t.nn.functional.threshold_("a", 1., 2.),
    lambda t: t.nn.functional.threshold_(_x(t), None, 2.),
    lambda t: t.nn.functional.dropout1d("abc"),
    lambda t: t.nn.functional.dropout2d(None),
    lambda t: t.nn.functional.dropout3d([1., 2.]),
    lambda t: t.nn.functional.dropout(_x(t), None, True, True),
    lambda t: t.nn.functional.alpha_dropout(_x(t), None, True, True),
    lambda t: t.nn.functional.feature_alpha_dropout(_x(t), None, True, False),
    lambda t: t.nn.functional.hardtanh(_x(t), None, None, True),
    lambda t: t.nn.functional.hardtanh_(_x(t), None, None),
    lambda t: t.nn.functional.hardtanh_(),
    lambda t: t.nn.functional.hardtanh_(_x(t).clone(), 2., 1.),
    lambda t: t.nn.functional.hardtanh(_x(t).clone(), 2., 1., True),
])
def test_functional_argument_errors(case):
    _same(case)


def _i(t):
    return t.tensor([0, 1])


@pytest.mark.parametrize("case", [
    lambda t: t.scatter(t.zeros(3), 0, _i(t), 1e300, out=t.zeros(3, dtype=t.int64)),
    lambda t: t.scatter(t.zeros(3, dtype=t.int8), 0, _i(t), 1000, out=t.zeros(3)),
    lambda t: t.scatter(t.zeros(3, dtype=t.int8), 0, _i(t), 1000, reduce="multiply",
                        out=t.zeros(3)),
    lambda t: t.scatter(t.zeros(3, dtype=t.int8), 0, t.tensor([5]), 1, out=t.zeros(3)),
    lambda t: t.scatter(t.zeros(3, dtype=t.int64), 0, t.tensor([5.]), 1, out=t.zeros(3)),
    lambda t: t.index_add(t.zeros(3, dtype=t.int64), 0, t.tensor([5]),
                          t.ones(1, dtype=t.int64), out=t.zeros(3)),
    lambda t: t.index_add(t.zeros(3, dtype=t.int64), 0, t.tensor([1]),
                          t.ones(1, dtype=t.int64), alpha=1e300, out=t.zeros(3)),
    lambda t: t.clamp(t.tensor([1, 2, 3]), 2, t.tensor(2.), out=t.zeros(3, dtype=t.int64)),
    lambda t: t.clamp(t.tensor([1, 2, 3]), 2, t.tensor(2.), out=t.zeros(3, dtype=t.float64)),
    lambda t: t.clamp(t.tensor([1, 2, 3]), t.tensor(2), t.tensor(2.),
                      out=t.zeros(3, dtype=t.int64)),
    lambda t: t.clamp(t.tensor([1, 2, 3]), None, t.tensor(2.5), out=t.zeros(3, dtype=t.int64)),
    lambda t: t.stack([t.ones(2, 3)] * 2, out=t.zeros(2, dtype=t.int64)),
    lambda t: t.stack([t.ones(2, 3)] * 2, dim=1, out=t.zeros(0, dtype=t.int64)),
    lambda t: t.row_stack([t.ones(2, 3)] * 2, out=t.zeros(2, dtype=t.int64)),
    lambda t: t.concatenate([t.ones(2, 3).cfloat(), t.ones(2, 3)], out=t.zeros(2)),
    lambda t: t.concatenate([t.ones(2, 3), t.ones(2, 3)], out=t.zeros(5)),
])
def test_out_checks_order(case):
    _same(case)


def _t(t):
    return t.tensor([1, 2, 3])


@pytest.mark.parametrize("case", [
    lambda t: _t(t).clamp(-2**64, 2**64),
    lambda t: _t(t).clone().clamp_(-2**64, 2**64),
    lambda t: t.clip(_t(t), -2**64, 2**64),
    lambda t: _t(t).clamp(-2**63, 2**63),
    lambda t: _t(t).clamp(max=2**63),
    lambda t: _t(t).float().clamp(0, 2**63),
    lambda t: t.tensor([True, False]).clamp(max=2**63),
    lambda t: t.bitwise_and(t.tensor([True, False]), 2**63),
    lambda t: t.bitwise_and(_t(t), 2**63),
    lambda t: t.tensor([True, False]) + 2**63,
    lambda t: t.where(t.tensor([True, False]), 2**63, 0),
    lambda t: t.add(2**63, 0.5, out=t.zeros(1, dtype=t.int64)),
    lambda t: t.add(t.tensor([1, 2], dtype=t.uint8), 2**63, alpha=2),
    lambda t: t.add(2**63, 1),
    lambda t: t.add(1, 2**63),
    lambda t: t.add(2**63, True),
    lambda t: t.add(2**63, 2**63),
    lambda t: t.mul(2**64, 2),
    lambda t: t.sub(2**63, 1.5),
    lambda t: _t(t) + 2**63,
    lambda t: _t(t).float() + 2**63,
])
def test_ints_past_int64(case):
    _same(case)


@pytest.mark.parametrize("case", [
    lambda t: t.rsub(t.tensor([1., 2., 3.]), 1, alpha=-2**63),
    lambda t: t.rsub(t.tensor([1., 2., 3.]), 1, alpha=2**63),
    lambda t: t.rsub(t.tensor([1., 2., 3.]), 1, alpha=2**64 - 1),
    lambda t: t.rsub(t.tensor([1., 2., 3.]), t.tensor([1., 1., 1.]), alpha=-2**63),
    lambda t: t.rsub(t.tensor([1., 2., 3.]).half(), 1, alpha=2**64 - 1),
    lambda t: t.rsub(t.tensor([1., 2., 3.], dtype=t.complex64), 1, alpha=2**64 - 2),
    lambda t: t.rsub(t.tensor([1, 2, 3]), 1, alpha=-2**63),
    lambda t: t.rsub(t.tensor([1, 2], dtype=t.uint8), 1, alpha=-2**63),
])
def test_rsub_alpha_wraps(case):
    _same(case)
