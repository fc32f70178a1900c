"""Small differences found on Dec 8 (task G): an own-loop LSTM's kept tensors, index keys
with a str item, the legacy sparse constructors, ``typename`` of top-level builtins,
``resize_`` back from empty, ``ldexp`` of a complex input with a half exponent, and the node
names of ``index_reduce``."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _outcome(fn):
    """(``"ok"``, value) or (exception type name, message), with the library named torch."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).replace("ember", "torch")


def _same_outcome(fn, compare=None):
    t, e = _outcome(lambda: fn(torch)), _outcome(lambda: fn(ember))
    assert t[0] == e[0], (t, e)
    if t[0] != "ok":
        assert t[1] == e[1], (t, e)
    elif compare is not None:
        compare(t[1], e[1])
    else:
        assert t[1] == e[1], (t, e)


# -- 1. what an LSTM's oneDNN node keeps, run by ember's own loop --------------------------

def _rnn_case(lib, cls, hidden, batch, steps, name, layers=1, bi=False, frozen=False,
              use="out"):
    lib.manual_seed(0)
    m = getattr(lib.nn, cls)(4, hidden, num_layers=layers, bidirectional=bi)
    if frozen:
        for p in m.parameters():
            p.requires_grad_(False)
    x = lib.randn(steps, batch, 4, requires_grad=frozen)
    out, hid = m(x)
    with lib.no_grad():
        getattr(m, name).mul_(2)
    r = out if use == "out" else (hid[0] if isinstance(hid, tuple) else hid)
    r.sum().backward()
    return type(out.grad_fn).__name__


def test_rnn_weights_changed_in_place():
    cases = []
    for cls in ("LSTM", "GRU", "RNN"):
        for hidden, batch, steps in ((800, 2, 2), (600, 2, 2), (6, 1, 1), (6, 2, 3)):
            for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                for use in ("out", "h"):
                    cases.append((cls, hidden, batch, steps, name, 1, False, False, use))
    cases += [("LSTM", 800, 2, 2, "weight_ih_l0", 2, True, False, "out"),
              ("LSTM", 800, 2, 2, "weight_hh_l1_reverse", 2, True, False, "h"),
              ("LSTM", 800, 2, 2, "bias_hh_l1", 2, False, False, "out"),
              ("LSTM", 800, 2, 2, "weight_ih_l0", 1, False, True, "out"),
              ("LSTM", 6, 2, 2, "weight_ih_l0", 1, False, True, "out")]
    for case in cases:
        _same_outcome(lambda lib, c=case: _rnn_case(lib, *c))


def test_own_loop_lstm_gradients_and_nodes():
    rng = np.random.default_rng(0)
    for layers, bi in ((1, False), (2, True)):
        res = {}
        a = rng.standard_normal((2, 2, 3)).astype(np.float32)
        for lib in (torch, ember):
            lib.manual_seed(1)
            m = lib.nn.LSTM(3, 800, num_layers=layers, bidirectional=bi)
            x = lib.from_numpy(a.copy())
            out, (h, c) = m(x)
            (out.sum() + h.sum() * 2 + c.sum() * 3).backward()
            res[lib] = (type(out.grad_fn).__name__, type(h.grad_fn).__name__,
                        [type(f[0]).__name__ for f in h.grad_fn.next_functions],
                        [p.grad.numpy().copy() for p in m.parameters()])
        t, e = res[torch], res[ember]
        assert t[:3] == e[:3]
        for a, b in zip(t[3], e[3]):
            np.testing.assert_allclose(b, a, rtol=1e-4, atol=2e-5)


# -- 2. an index key with a str item --------------------------------------------------------

def test_index_with_str_items():
    keys = ["[0, 'a']", "(0, 'a')", "['a']", "'a'", "[[0, 'a']]", "[0.5, 'a']", "[None, 'a']",
            "[0, [1, 'a']]", "[slice(None), 'a']", "[0, 1, 'a']", "[..., 'a']",
            "[0, ::-1]", "[0, 0, ::-1]", "[True, 'a']"]
    for key in keys:
        for shape in ((5,), (4, 5)):
            def fn(lib, key=key, shape=shape):
                x = lib.arange(20)[:int(np.prod(shape))].reshape(shape)
                return tuple(eval(f"x[{key}]", {"x": x}).shape)  # noqa: S307
            _same_outcome(fn)


# -- 3. torch.sparse.FloatTensor and friends ------------------------------------------------

def test_legacy_sparse_constructors():
    def build(lib, kind, form):
        i = lib.tensor([[0, 1, 1], [1, 0, 2]])
        v = lib.tensor([1.0, 2.0, 3.0])
        cls = getattr(lib.sparse, kind)
        args = {"iv": (i, v), "ivs": (i, v, lib.Size([2, 3])), "ivl": (i, v, [2, 4]),
                "ivd": (i, v.double(), (2, 3)), "ivl64": (i, v.long(), (3, 3)), "none": (),
                "ints": (2, 3), "size": (lib.Size([4]),), "list": ([2, 3],), "one": (i,)}[form]
        r = cls(*args)
        return (str(r.dtype), tuple(r.shape), r.layout == lib.sparse_coo, r.type(),
                r.to_dense().tolist(), isinstance(r, cls), isinstance(r, lib.FloatTensor))

    for kind in ("FloatTensor", "DoubleTensor", "LongTensor", "HalfTensor", "ByteTensor"):
        for form in ("iv", "ivs", "ivl", "ivd", "ivl64", "none", "ints", "size", "list", "one"):
            _same_outcome(lambda lib, k=kind, f=form: build(lib, k, f))
    for lib in (torch, ember):
        assert repr(lib.sparse.DoubleTensor) == "<class 'torch.sparse.DoubleTensor'>"
        assert lib.sparse.LongTensor.dtype is lib.int64 and lib.sparse.FloatTensor.is_sparse
        assert not isinstance(lib.zeros(2), lib.sparse.FloatTensor)
    msgs = {}
    for lib in (torch, ember):
        i, v = lib.tensor([[0]]), lib.tensor([1.0])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.sparse.FloatTensor(i, v, (2,))
            lib.sparse.DoubleTensor(i, v, (2,))
            lib.sparse.FloatTensor(i, v)
            lib.sparse.FloatTensor(3)
            lib.sparse.FloatTensor()
        msgs[lib] = [str(x.message).split(" (Triggered")[0] for x in w
                     if "deprecated" in str(x.message)]
    assert msgs[torch] == msgs[ember]


# -- 4. typename of a top-level builtin -----------------------------------------------------

def test_typename_of_builtins():
    for name in ("relu", "add", "sigmoid", "cat", "matmul", "conv2d", "from_numpy",
                 "frombuffer", "is_tensor", "typename"):
        _same_outcome(lambda lib, n=name: lib.typename(getattr(lib, n)).replace(
            "ember", "torch"))
    for fn in ("relu", "tanh", "softmax"):
        _same_outcome(lambda lib, f=fn: lib.nn.Sequential(lib.nn.ReLU(), getattr(lib, f)))
    _same_outcome(lambda lib: lib.nn.Sequential(lib.nn.functional.relu))
    _same_outcome(lambda lib: lib.nn.Module().register_buffer("b", lib.add))


# -- 5. resize_ back from empty -------------------------------------------------------------

def test_resize_back_from_empty():
    def fn(lib, steps, numpy):
        x = lib.from_numpy(np.arange(6.0)) if numpy else lib.arange(6.0)
        for s in steps:
            x.resize_(*s)
        return x.tolist()
    for steps in ([(0,), (6,)], [(0,), (4,)], [(2, 0), (3,)], [(0,), (2,), (0,), (6,)],
                  [(0, 3), (2, 3)], [(3,), (0,), (5,)]):
        for numpy in (False, True):
            _same_outcome(lambda lib, s=steps, n=numpy: fn(lib, s, n))
    for lib in (torch, ember):
        a = np.arange(4.0)
        x = lib.from_numpy(a)
        x.resize_(0)
        x.resize_(4)
        x[3] = 9
        assert a.tolist() == [0.0, 1.0, 2.0, 9.0] and x.tolist() == a.tolist()


# -- 6. ldexp of a complex input and a half exponent ----------------------------------------

def test_ldexp_complex_half():
    names = ("complex64", "complex128", "float16", "bfloat16", "float32", "int64", "bool")
    for a in names:
        for b in names:
            def fn(lib, a=a, b=b):
                x = lib.arange(3).to(getattr(lib, a))
                e = lib.tensor([1, 0, 2]).to(getattr(lib, b))
                r = lib.ldexp(x, e)
                return str(r.dtype), r.tolist()
            _same_outcome(fn)
    _same_outcome(lambda lib: lib.pow(2 + 0j, lib.ones(2, dtype=lib.float16)))
    _same_outcome(lambda lib: lib.pow(2 + 0j, lib.ones(2, dtype=lib.float32)).tolist())


# -- 7. index_reduce's node -----------------------------------------------------------------

def test_index_reduce_node_and_kept_tensors():
    def fn(lib, reduce, include_self, inplace, change):
        lib.manual_seed(0)
        x = lib.rand(5, 3, dtype=lib.float64, requires_grad=True)
        w = lib.rand(4, 3, dtype=lib.float64, requires_grad=True)
        x2, w2 = x * 1, w * 1
        i = lib.tensor([0, 1, 1, 4])
        if inplace:
            y = x2.clone()
            y.index_reduce_(0, i, w2, reduce, include_self=include_self)
        else:
            y = x2.index_reduce(0, i, w2, reduce, include_self=include_self)
        node = type(y.grad_fn).__name__
        {"y": lambda: y.mul_(2), "x": lambda: x2.add_(1), "w": lambda: w2.add_(1),
         "i": lambda: i.add_(0), "none": lambda: None}[change]()
        y.sum().backward()
        return node, x.grad.tolist(), w.grad.tolist()

    for reduce in ("prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            for inplace in (False, True):
                for change in ("none", "y", "x", "w", "i"):
                    _same_outcome(lambda lib, a=(reduce, include_self, inplace, change):
                                  fn(lib, *a))
