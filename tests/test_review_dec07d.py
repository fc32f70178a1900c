"""Review of the uint16/32/64, in-place/out= and printing work: differences found, against
PyTorch."""
import pytest
import torch

import ember


def _outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return "ok", r.tolist() if hasattr(r, "tolist") else r


@pytest.mark.parametrize("name", ["uint8", "uint16", "uint32"])
@pytest.mark.parametrize("data", [[3.7, -1.2], [-0.5], -1.5, [-0.0], [-1], [True, -1.5],
                                  [65535.9], [3.7]])
def test_negative_float_into_unsigned(name, data):
    # (a negative float overflows uint16 and uint32 as it does uint8; a negative int wraps)
    got = _outcome(lambda: ember.tensor(data, dtype=getattr(ember, name)))
    want = _outcome(lambda: torch.tensor(data, dtype=getattr(torch, name)))
    assert got == want


@pytest.mark.filterwarnings("ignore:An output with one or more elements was resized")
@pytest.mark.parametrize("case", ["resize_", "out"])
def test_resized_view_history_redone_from_base(case):
    # (a view resized in its base's memory: its history, redone after the base's in-place op,
    # follows the new geometry rather than the old slice)
    def run(lib):
        w = lib.arange(10., requires_grad=True)
        b = lib.zeros(10)
        v = b.view(2, 5)[:, 1]
        if case == "resize_":
            v.resize_(3)
        else:
            lib.add(lib.ones(3), 1, out=v)
        b.add_(w)
        (v * lib.arange(3.)).sum().backward()
        return type(v.grad_fn).__name__, v.tolist(), w.grad.tolist(), b.tolist()
    assert run(ember) == run(torch)


def test_inplace_on_expanded_still_refused():
    for lib in (ember, torch):
        e = lib.zeros(1).expand(3)
        with pytest.raises(RuntimeError, match="more than one element of the written-to"):
            e.add_(1)
        e2 = lib.zeros(3, 1).expand(3, 4)
        with pytest.raises(RuntimeError, match="more than one element of the written-to"):
            e2.mul_(2)
        lib.zeros(3, 0).expand(3, 0).add_(1)  # (no elements: nothing shared)
        lib.zeros(1, 4).expand(1, 4).add_(1)  # (a zero stride over a dim of 1)


_EXPANDED_CASES = [
    ("float32", lambda t: t.clamp_()),
    ("float32", lambda t: t.clamp_(None, None)),
    ("float32", lambda t: t.clip_(min=None)),
    ("int64", lambda t: t.clamp_()),
    ("complex64", lambda t: t.clamp_()),
    ("float32", lambda t: t.clamp_(0, 1)),
    ("float32", lambda t: type(t).clamp_(t)),
    ("float32", lambda t: t.heaviside_(t.new_zeros(3, dtype=t.dtype.to_complex()))),
    ("float32", lambda t: t.heaviside_(t.new_zeros(3, dtype=t.dtype))),
    ("int64", lambda t: t.ldexp_(t.new_ones(3, dtype=t.dtype))),
    ("int64", lambda t: t.ldexp_(t.new_ones(3).float())),
    ("float32", lambda t: t.ldexp_(t.new_ones(2, 3))),
    ("float32", lambda t: t.ldexp_(t.new_ones(3, dtype=t.dtype.to_complex()))),
    ("bool", lambda t: t.sub_(1)),
    ("float32", lambda t: t.sub_(t.new_ones(1, dtype=t.dtype).bool())),
    ("bool", lambda t: t.subtract_(t)),
    ("float32", lambda t: t.add_(1)),
    ("float32", lambda t: t.mvlgamma_(0.5)),
    ("float32", lambda t: t.round_(1)),
    ("float32", lambda t: t.sigmoid_()),
]


@pytest.mark.parametrize("i", range(len(_EXPANDED_CASES)))
def test_expanded_inplace_checks_order(i):
    # (an op's own checks of its arguments and bounds come before TensorIterator's refusal of
    # an expanded tensor it writes)
    name, fn = _EXPANDED_CASES[i]

    def run(lib):
        t = lib.zeros(1, dtype=getattr(lib, name)).expand(3)
        kind, msg = _outcome(lambda: fn(t))
        return kind, None if kind == "TypeError" else msg  # (the type: as parsed first)
    assert run(ember) == run(torch)


def test_torch_clamp_function_expanded():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
            lib.clamp_(lib.zeros(1).expand(3))
        with pytest.raises(RuntimeError, match="more than one element"):
            lib.clamp_(lib.zeros(1).expand(3), 0, 1)


@pytest.mark.parametrize("case", range(6))
def test_clamp_and_heaviside_check_order(case):
    # (clamp's check that a bound is given comes before its refusal of complex; heaviside's
    # refusal of complex before its check of the dtypes, in place too)
    def run(lib):
        c = lib.zeros(3, dtype=lib.complex64)
        f = lib.zeros(3)
        return _outcome([lambda: c.clamp(), lambda: c.clamp_(),
                         lambda: lib.clamp(c, None, None),
                         lambda: lib.zeros(1, dtype=lib.complex64).expand(3).clamp_(),
                         lambda: f.heaviside_(c), lambda: f.heaviside(c)][case])
    assert run(ember) == run(torch)


_INDEX_SELECT_CASES = [
    ((2, 3), 0, [0, 1]), ((2, 3), 1, [0, 2]), ((2, 3), -1, [2]), ((1, 2, 3), 1, [1, 0]),
    ((0, 3), 1, [0]), ((2, 3), 0, []), ((2, 3), 1, [5]), ((3,), 0, [1]), ((3,), 0, []),
    ((0,), 0, []), ((0,), 0, [0]), ((3,), 0, [5]), ((), 0, [0]), ((), 0, []),
]


@pytest.mark.parametrize("name", ["uint16", "uint32", "uint64"])
@pytest.mark.parametrize("i", range(len(_INDEX_SELECT_CASES)))
def test_index_select_wide_unsigned(name, i):
    # (PyTorch refuses these dtypes only for a vector or a scalar, whose kernel checks the
    # bounds; a matrix or more is copied slice by slice)
    shape, dim, idx = _INDEX_SELECT_CASES[i]

    def run(lib):
        n = 1
        for s in shape:
            n *= s
        t = lib.tensor(list(range(n)), dtype=getattr(lib, name)).reshape(shape)
        return _outcome(lambda: t.index_select(dim, lib.tensor(idx, dtype=lib.int64)))
    assert run(ember) == run(torch)


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "int64"])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (2,), (0,), (2, 3)])
def test_full_complex_value_message(name, shape):
    # (full fills as fill_ does: a one-element tensor converts the number through a double)
    def run(lib):
        dt = getattr(lib, name)
        return [_outcome(lambda: lib.full(shape, 1 + 2j, dtype=dt)),
                _outcome(lambda: lib.zeros(shape, dtype=dt).fill_(1 + 2j))]
    assert run(ember) == run(torch)


@pytest.mark.parametrize("name", ["bool", "float32", "int64", "float16"])
@pytest.mark.parametrize("value", [1 + 2j, 1 + 0j, 0j, 2j])
def test_masked_fill_complex_tensor_value(name, value):
    # (a complex 0-d value: its imaginary part must be zero, but for a bool tensor; no warning)
    import warnings

    def run(lib):
        m = lib.tensor([True, False])
        out = [_outcome(lambda: lib.zeros(2, dtype=getattr(lib, name)).masked_fill(
            m, lib.tensor(value)))]

        def put():
            t = lib.zeros(2, dtype=getattr(lib, name))
            t[m] = lib.tensor(value)
            return t
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out.append(_outcome(put))
        return out
    assert run(ember) == run(torch)
