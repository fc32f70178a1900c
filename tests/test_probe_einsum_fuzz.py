"""A seeded fuzzer of einsum (and tensordot, vecdot, bmm's empty case) against PyTorch 2.13:
random equations of 1-4 operands (diagonals, ellipses that broadcast, size-0 and size-1
dims, upper-case labels, spaces, the list and sublist forms), float32/int64/bool operands,
strided ones; the values and gradients to the bit, shapes, dtypes, strides and errors."""
import random

import numpy as np
import pytest

import ember
from diff import measured_cpu

torch = pytest.importorskip("torch")

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _tensor(lib, arr, layout, grad):
    t = lib.tensor(arr)
    if layout == 1 and t.ndim >= 2:  # transposed storage
        t = lib.tensor(np.ascontiguousarray(arr.swapaxes(0, -1))).transpose(0, -1)
    elif layout == 2 and t.ndim >= 1:  # every other element of a wider one
        t = lib.tensor(np.repeat(arr, 2, axis=-1))[..., ::2]
    if grad:
        t.requires_grad_(True)
    return t


def _outcome(lib, eq, arrays, layouts, grad, mode):
    ops = [_tensor(lib, a, k, grad and a.dtype.kind == "f") for a, k in zip(arrays, layouts)]
    try:
        if mode == "list":
            out = lib.einsum(eq, ops)
        elif mode == "sub":
            args = []
            for op, sub in zip(ops, eq[0]):
                args += [op, sub]
            out = lib.einsum(*args, *eq[1:])
        else:
            out = lib.einsum(eq, *ops)
    except Exception as e:  # noqa: BLE001 - compared with the other library's
        return ("error", type(e).__name__, str(e))
    v = out.detach().numpy()
    res = [tuple(out.shape), str(out.dtype), out.stride() if out.numel() else None, v.tobytes()]
    if out.requires_grad:
        g = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(v.dtype)
        out.backward(lib.tensor(g))
        res.append([None if o.grad is None else o.grad.numpy().tobytes() for o in ops])
    return tuple(res)


def _random_case(r):
    letters = "abcdeAZ"
    n_ops = r.choice([1, 2, 2, 3, 3, 4])
    size = {c: r.choice([0, 1, 2, 3]) if r.random() < 0.1 else r.choice([1, 2, 3, 4])
            for c in letters}
    dtypes = [np.float32, np.float32, np.float32, np.int64, np.bool_]
    dt0 = r.choice(dtypes)
    same = r.random() < 0.85
    terms, arrays = [], []
    for _ in range(n_ops):
        term = "".join(r.choice(letters) for _ in range(r.randint(0, 4)))
        shape = [size[c] if r.random() < 0.9 else 1 for c in term]
        shape = [shape[term.index(c)] for c in term]  # (a repeated label: one size)
        if r.random() < 0.3:
            pos = r.randint(0, len(term))
            term = term[:pos] + "..." + term[pos:]
            shape[pos:pos] = [r.choice([1, 2, 3]) for _ in range(r.randint(0, 2))]
        terms.append(term)
        rs = np.random.default_rng(r.randint(0, 2 ** 31))
        dt = dt0 if same else r.choice(dtypes)
        if dt is np.bool_:
            arrays.append(np.asarray(rs.random(shape) < 0.5))
        elif dt is np.int64:
            arrays.append(np.asarray(rs.integers(-5, 5, shape)))
        else:
            arrays.append(np.asarray(rs.standard_normal(shape), dtype=dt))
    eq = ",".join(terms)
    if r.random() < 0.7:
        out = [c for c in sorted(set("".join(terms).replace(".", ""))) if r.random() < 0.5]
        r.shuffle(out)
        if "..." in eq and r.random() < 0.7:
            out.insert(r.randint(0, len(out)), "...")
        eq += "->" + "".join(out)
    if r.random() < 0.1:
        eq = " ".join(eq).replace(". . .", "...").replace("- >", "->")
    mode = r.choice(["plain", "plain", "list", "sub"])
    if mode == "sub":
        def sub(term):
            term = term.replace(" ", "").replace("...", ".")
            return [Ellipsis if c == "." else _LETTERS.index(c) for c in term]
        lhs, arrow, rhs = eq.partition("->")
        eq = ([sub(t) for t in lhs.split(",")],) + ((sub(rhs),) if arrow else ())
    return eq, arrays, [r.choice([0, 0, 1, 2]) for _ in arrays], r.random() < 0.6, mode


def _agree(got, want):
    """Outcomes (of ``_outcome``/``_outcome_of``) the same: bit for bit on the measured processor
    (see ``diff.measured_cpu``); elsewhere float32 values (and gradients) within a few ulps, as
    PyTorch's MKL products there are not the ones ember reproduces, and all else exact."""
    if measured_cpu() or got == want:
        assert got == want
        return
    assert len(got) == len(want) and got[:2] == want[:2], (got, want)
    exact = want[1] != "torch.float32"
    for g, w in zip(got[2:], want[2:], strict=True):
        if isinstance(w, list):  # the gradients (float32 operands')
            assert len(g) == len(w) and [x is None for x in g] == [x is None for x in w]
            pairs = [(x, y) for x, y in zip(g, w) if y is not None]
        else:
            pairs = [(g, w)]
        for x, y in pairs:
            if exact or not isinstance(y, bytes):
                assert x == y
            else:
                np.testing.assert_allclose(np.frombuffer(x, np.float32),
                                           np.frombuffer(y, np.float32), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(250))
def test_random_einsum_bits(seed):
    case = _random_case(random.Random(seed))
    _agree(_outcome(ember, *case), _outcome(torch, *case))


def _f(*shape):
    return np.ones(shape, np.float32)


ERROR_CASES = [
    ("ij,jk->ik", _f(2, 3), _f(4, 5)),
    ("...ij,...jk->...ik", _f(2, 1, 2, 3), _f(4, 3, 4)),
    ("...i,...i", _f(2, 3, 3), _f(3, 2, 3)),
    ("iij", _f(2, 3, 4)),
    ("ij->iij", _f(2, 3)),
    ("ij->...i", _f(2, 3)),
    ("ij-->i", _f(2, 3)),
    ("i$j", _f(2, 3)),
    ("....", _f(2, 3)),
    ("ij,jk", _f(2, 3), np.ones((3, 4), np.float64)),
    ("ij,jk", np.ones((2, 3), np.int32), np.ones((3, 4), np.int64)),
    ("ij,jk", _f(2, 3), 3),
    # the operands as one list: an empty one is no operand at all
    ("ij", []),
    ("ij", ()),
    ("ij", [_f(2, 3)], _f(2)),
    # the sublist form: subscripts checked as PyTorch's Python does
    (_f(2, 3), [0, 1], _f(3, 4), [1, 2], [0, 2]),
    (_f(2, 3), [0, 1], _f(3, 4)),
    (_f(2, 3), [0, 60]),
    (_f(2, 3), [0, -1]),
    (_f(2, 3), [0, 1.5]),
    (_f(2, 3), [0, 1.0]),
    (_f(2, 3), [0, True]),
    (_f(2, 3), [0, np.int64(30)]),
    (_f(2, 3), ["a", "b"]),
    (_f(2, 3), [None, 1]),
    (_f(2, 3), "ab"),
    (_f(2, 3), [0, 1], _f(3), [1], [0, 0]),
    # an equation that is neither a string nor a tensor
    (None, _f(2)),
    (3, _f(2)),
]


@pytest.mark.parametrize("k", range(len(ERROR_CASES)))
def test_einsum_errors_and_forms(k):
    def outcome(lib):
        args = [lib.tensor(x) if isinstance(x, np.ndarray) else
                [lib.tensor(y) for y in x] if isinstance(x, list) and x and
                isinstance(x[0], np.ndarray) else x for x in ERROR_CASES[k]]
        try:
            out = lib.einsum(*args)
        except Exception as e:  # noqa: BLE001 - compared with the other library's
            return type(e).__name__, str(e)
        return tuple(out.shape), str(out.dtype)
    assert outcome(ember) == outcome(torch)


def _outcome_of(fn):
    try:
        out = fn()
    except Exception as e:  # noqa: BLE001 - compared with the other library's
        return type(e).__name__, str(e)
    return (tuple(out.shape), str(out.dtype), None if out.grad_fn is None else
            out.grad_fn.name(), out.detach().numpy().tobytes())


def test_empty_contraction_of_mixed_dtypes_refused_by_autograd():
    # an integer result of a float operand that requires grad: PyTorch's autograd refuses it
    for eq, sa, sb in (("c,cae->ae", (2,), (2, 1, 0)), ("c,ce->e", (2,), (2, 0)),
                       ("ce,c->e", (2, 0), (2,)), ("ac,ce->ae", (0, 2), (2, 3))):
        for grad in (True, False):
            for dt in ("int64", "bool"):
                def run(lib):
                    x = lib.ones(*sa) if len(sa) == 1 else lib.ones(*sa, dtype=getattr(lib, dt))
                    y = lib.ones(*sb, dtype=getattr(lib, dt)) if len(sa) == 1 else lib.ones(*sb)
                    (x if x.dtype.is_floating_point else y).requires_grad_(grad)
                    return _outcome_of(lambda: lib.einsum(eq, x, y))
                assert run(ember) == run(torch), (eq, grad, dt)
    for lib_pair in ((torch, ember),):
        got = []
        for lib in lib_pair:
            a = lib.ones(1, 1, 2, requires_grad=True)
            rows = [_outcome_of(lambda: lib.bmm(a, lib.ones(1, 2, 0, dtype=lib.uint8))),
                    _outcome_of(lambda: lib.matmul(a, lib.ones(1, 2, 0, dtype=lib.long)))]
            with lib.no_grad():
                rows.append(_outcome_of(lambda: lib.bmm(a, lib.ones(1, 2, 0, dtype=lib.long))))
            got.append(rows)
        assert got[0] == got[1]


TENSORDOT_DIMS = [
    ([True], [0]), ([np.int64(1)], [0]), ("T1", [0]), ([1.0], [0]), ([1], [np.float64(0)]),
    ([1], ["a"]), ([None], [0]), (1, [0]), ((1,), (0,)), ("a", [0]), ([1], (0.5,)),
    "Tm1", "Tempty", "T3rows", "Tpairs", "Tfloatpairs", "Tcount", "Tbig", "T1d",
    ([1], [0], [1]), 3, -1, 2.0, None, np.int64(1),
]


def _td_dims(lib, d):
    table = {"T1": lambda: ([lib.tensor(1)], [0]), "Tm1": lambda: lib.tensor(-1),
             "Tempty": lambda: lib.tensor([]), "T3rows": lambda: lib.tensor([[0], [1], [1]]),
             "Tpairs": lambda: lib.tensor([[1], [0]]),
             "Tfloatpairs": lambda: lib.tensor([[1.], [0.]]), "Tcount": lambda: lib.tensor(1.7),
             "Tbig": lambda: lib.tensor(3), "T1d": lambda: lib.tensor([2])}
    return table[d]() if isinstance(d, str) and d in table else d


@pytest.mark.parametrize("k", range(len(TENSORDOT_DIMS)))
def test_tensordot_dims_forms(k):
    def run(lib):
        a, b = lib.arange(6.).reshape(2, 3), lib.arange(6.).reshape(3, 2)
        return _outcome_of(lambda: lib.tensordot(a, b, _td_dims(lib, TENSORDOT_DIMS[k])))
    assert run(ember) == run(torch)


def test_tensordot_operands_out_and_scalars():
    def run(lib):
        a, b = lib.ones(2, 3), lib.ones(3, 2)
        rows = [_outcome_of(f) for f in (
            lambda: lib.tensordot(2.0, b, ([1.0], [0])),
            lambda: lib.tensordot(a, 2.0, (1, [0])),
            lambda: lib.tensordot(a, 2.0, ([1], [0])),
            lambda: lib.tensordot(lib.ones(()), lib.ones(2, 4), lib.tensor(1)),
            lambda: lib.tensordot(lib.ones(1, 4), lib.ones(()), ([1], [0])),
            lambda: lib.tensordot(lib.ones(()), lib.ones(()), ([], [])),
            lambda: lib.tensordot(lib.ones(3, 1, 1), lib.ones(3, 1), lib.tensor(3)),
            lambda: lib.tensordot(a, b, 1, out=lib.empty(2, 2, dtype=lib.float64)))]
        o = lib.full((2, 2), 5.)
        r = lib.tensordot(a, b, 1, out=o)
        rows.append((r is o, o.tolist()))
        return rows
    assert run(ember) == run(torch)


def test_vecdot_of_two_vectors_is_vdot():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(100).astype(np.float32), rng.standard_normal(100).astype(np.float32)

    def run(lib):
        a = lib.tensor(x, requires_grad=True)
        rows = [_outcome_of(lambda: lib.linalg.vecdot(a, lib.tensor(y), dim=d)) for d in (-1, 0, 1)]
        rows += [_outcome_of(f) for f in (
            lambda: lib.linalg.vecdot(lib.ones(1), lib.ones(3)),
            lambda: lib.linalg.vecdot(lib.ones(3), lib.ones(0)),
            lambda: lib.linalg.vecdot(lib.ones(2, 3, requires_grad=True), lib.ones(3)),
            lambda: lib.linalg.vecdot(a.detach(), lib.tensor(y), out=lib.empty(()))[None])]
        return rows
    got, want = run(ember), run(torch)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        _agree(g, w)


BMM_DTYPES = [  # (batch1's shape, dtype, layout; batch2's): PyTorch's kernel words the refusal
    ((1, 10, 10), "bool", 0, (1, 10, 10), "bool", 0),
    ((1, 2, 2), "bool", 0, (1, 2, 2), "bool", 0),
    ((1, 10, 20), "float32", "half", (1, 10, 10), "float64", 0),
    ((1, 10, 10), "float64", 0, (1, 10, 20), "float32", "half"),
    ((1, 10, 10), "float32", "T", (1, 10, 10), "float64", "T"),
    ((1, 10, 10), "float32", 0, (1, 10, 10), "complex64", 0),
    ((1, 10, 10), "complex64", 0, (1, 10, 10), "float32", 0),
    ((1, 10, 10), "bool", 0, (1, 10, 10), "int64", 0),
    ((1, 10, 10), "int64", 0, (1, 10, 10), "bool", 0),
    ((1, 10, 10), "int64", 0, (1, 10, 10), "int32", 0),
    ((1, 10, 10), "float32", 0, (1, 10, 10), "float16", 0),
    ((1, 10, 10), "float16", 0, (1, 10, 10), "float32", 0),
    ((1, 400, 1), "float32", 0, (1, 1, 1), "int64", 0),
    ((1, 399, 1), "float32", 0, (1, 1, 1), "int64", 0),
    ((3, 5, 5), "float32", 0, (3, 5, 16), "float64", 0),
    ((1, 2, 2), "bool", 0, (1, 2, 2), "float32", 0),
]


@pytest.mark.parametrize("k", range(len(BMM_DTYPES)))
def test_bmm_refusal_of_mixed_dtypes(k):
    sa, da, la, sb, db, lb = BMM_DTYPES[k]

    def operand(lib, shape, dt, layout):
        t = lib.ones(*shape, dtype=getattr(lib, dt))
        return t[:, :, ::2] if layout == "half" else t.mT if layout == "T" else t

    def run(lib):
        a, b = operand(lib, sa, da, la), operand(lib, sb, db, lb)
        return [_outcome_of(lambda: lib.bmm(a, b)),
                _outcome_of(lambda: lib.matmul(a.expand(2, -1, -1), b.expand(2, -1, -1))),
                _outcome_of(lambda: lib.einsum("bij,bjk->bik", a, b))]
    assert run(ember) == run(torch)


def test_block_diag_gradients_after_an_empty_vector():
    # PyTorch's backward gives an empty 1-D block's gradient without stepping past its row:
    # the blocks after it get the gradient read that many rows higher
    def run(lib):
        rows = []
        for make in (lambda: [lib.zeros(0), lib.arange(4.).reshape(4, 1), lib.tensor([7.])],
                     lambda: [lib.ones(2), lib.zeros(0), lib.zeros(0), lib.ones(1, 2),
                              lib.tensor(3.)],
                     lambda: [lib.ones(2, dtype=lib.complex64), lib.zeros(0), lib.ones(1, 2)],
                     lambda: [lib.zeros(0, 2), lib.ones(2)]):
            ts = [t.requires_grad_() for t in make()]
            out = lib.block_diag(*ts)
            out.backward(lib.arange(float(out.numel())).reshape(out.shape).to(out.dtype))
            rows.append((out.grad_fn.name(), out.detach().numpy().tobytes(),
                         [(str(t.grad.dtype), t.grad.numpy().tobytes()) for t in ts]))
        return rows
    assert run(ember) == run(torch)
