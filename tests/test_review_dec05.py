"""Regressions found reviewing the sweeps of 2026-12-05, each compared with PyTorch:
in-place arithmetic on a view of an expanded tensor, and ``out=`` dtype strictness of
``max``/``min``/``lerp`` (only some of their overloads refuse a castable ``out``)."""
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")


def _outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fn()
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        return type(e), None
    return None, res


@pytest.mark.parametrize("op", ["add_", "mul_", "sub_", "add_tensor"])
def test_inplace_on_row_of_expanded(op):
    def run(lib):
        base = lib.arange(3.0) - 1
        row = base.expand(2, 3)[0]  # (no element of the row shares memory with another)
        if op == "add_tensor":
            row.add_(lib.full((3,), 2.0))
        else:
            getattr(row, op)(2)
        return base.tolist()
    assert run(ember) == run(torch)


@pytest.mark.parametrize("op", ["add_", "mul_"])
def test_inplace_on_expanded_itself_refused_untouched(op):
    outcomes = []
    for lib in (torch, ember):
        base = lib.arange(3.0)
        x = base.expand(2, 3)
        err, _ = _outcome(lambda: getattr(x, op)(2))
        outcomes.append((err, base.tolist()))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] is RuntimeError


def _cases(lib):
    a = lib.arange(6.0).reshape(2, 3) - 2.5
    b = lib.ones(2, 3)
    ia = lib.arange(6).reshape(2, 3)
    long = lib.empty(0, dtype=lib.int64)
    return {
        "max_pair": lambda o: lib.max(a, b, out=o),
        "min_pair": lambda o: lib.min(a, b, out=o),
        "max_pair_int": lambda o: lib.max(ia, ia, out=o),
        "max_all": lambda o: lib.max(a, out=o),
        "max_dim": lambda o: lib.max(a, 1, out=(o, long)),
        "max_dim_kw": lambda o: lib.max(a, dim=1, out=(o, long)),
        "min_dim": lambda o: lib.min(a, 0, out=(o, long)),
        "lerp_number": lambda o: lib.lerp(a, b, 0.5, out=o),
        "lerp_tensor": lambda o: lib.lerp(a, b, lib.full((2, 3), 0.5), out=o),
        "lerp_tensor_kw": lambda o: lib.lerp(a, b, weight=lib.full((2, 3), 0.5), out=o),
        "abs": lambda o: lib.abs(a, out=o),
    }


@pytest.mark.parametrize("case", sorted(_cases(torch)))
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "complex64"])
def test_out_dtype_strictness(case, dtype):
    got = []
    for lib in (torch, ember):
        out = lib.empty(0, dtype=getattr(lib, dtype))
        err, _ = _outcome(lambda: _cases(lib)[case](out))
        got.append((err, None if err else out.tolist()))
    assert got[0] == got[1]


@pytest.mark.parametrize("fused_op", ["addcmul", "addcdiv"])
def test_multi_grad_hook_once_with_nested_backward(fused_op):
    # a fused op's backward runs a backward pass of its own inside the outer one: the
    # outer pass's "all" hook must still be called once, with every gradient
    got = []
    for lib in (torch, ember):
        calls = []
        a, x, c, w = (lib.ones(3, requires_grad=True) for _ in range(4))
        z = getattr(lib, fused_op)(c, w, x + 1)
        s = a * 2
        lib.autograd.graph.register_multi_grad_hook(
            (a, x), lambda gs: calls.append([None if g is None else g.tolist() for g in gs]))
        (s.sum() + z.sum()).backward()
        got.append(calls)
    assert got[0] == got[1]
    assert len(got[0]) == 1


def test_parameterdict_popitem_empty():
    got = []
    for lib in (torch, ember):
        err, _ = _outcome(lambda: lib.nn.ParameterDict().popitem())
        d = lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.ones(1)),
                                  "b": lib.nn.Parameter(lib.zeros(2))})
        key, value = d.popitem()
        got.append((err, key, value.tolist(), list(d.keys())))
    assert got[0] == got[1]
    assert got[0][0] is KeyError
