"""Pickling and deep copies of tensors that are views, against PyTorch: a pickled view keeps
its whole storage, storage offset and strides (each tensor of one ``dumps`` its own copy of the
memory), user attributes and the conjugate bit survive, a Parameter of a view keeps its offset,
and ``copy.deepcopy`` of a base with its views shares the copied memory."""
import copy
import pickle
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")


def _info(t):
    return (tuple(t.shape), t.stride(), t.storage_offset(), t.untyped_storage().nbytes(),
            str(t.dtype), t.requires_grad, t.is_contiguous(), t.is_leaf)


def _both(make):
    return make(ember), make(torch)


def _check(e, t):
    assert type(e).__name__ == type(t).__name__
    assert _info(e) == _info(t)
    assert e.detach().resolve_conj().tolist() == t.detach().resolve_conj().tolist()


VIEWS = {
    "row": lambda m: m.arange(6.).reshape(2, 3)[1],
    "t": lambda m: m.arange(6.).reshape(2, 3).t(),
    "col": lambda m: m.arange(6.).reshape(2, 3)[:, 1],
    "step": lambda m: m.arange(6.).reshape(2, 3)[1:, ::2],
    "whole": lambda m: m.arange(6.).reshape(2, 3),
    "expand": lambda m: m.arange(3.).expand(4, 3),
    "scalar": lambda m: m.tensor(3.5),
    "empty": lambda m: m.empty(0),
    "dtype_view": lambda m: m.arange(8.).view(m.int32)[2:],
    "bytes": lambda m: m.arange(8.).view(m.uint8)[5:9],
    "unfold": lambda m: m.arange(8.).unfold(0, 3, 2),
    "fortran": lambda m: m.arange(12.).reshape(3, 4).t().contiguous().t()[1:],
    "grad_view": lambda m: m.ones(3, requires_grad=True)[1:],
    "real": lambda m: m.tensor([1 + 2j, 3 - 1j]).real,
    "conj": lambda m: m.tensor([1 + 2j, 3 - 1j, 2j]).conj()[1:],
}
DTYPES = ("bool", "float16", "bfloat16", "complex64", "int8", "uint8", "int64", "float64")


@pytest.mark.parametrize("name", VIEWS)
def test_pickle_view(name):
    e, t = _both(VIEWS[name])
    pe, pt = pickle.loads(pickle.dumps(e)), pickle.loads(pickle.dumps(t))
    _check(pe, pt)
    assert pe.is_conj() == pt.is_conj()


@pytest.mark.parametrize("name", [n for n in VIEWS if n != "grad_view"])
def test_deepcopy_view(name):
    e, t = _both(VIEWS[name])
    _check(copy.deepcopy(e), copy.deepcopy(t))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("proto", (0, 2, 5))
def test_pickle_dtypes(dtype, proto):
    e, t = _both(lambda m: m.arange(5).to(getattr(m, dtype))[1::2])
    _check(pickle.loads(pickle.dumps(e, protocol=proto)),
           pickle.loads(pickle.dumps(t, protocol=proto)))


def _sharing(m, how):
    x = m.arange(6.).reshape(2, 3)
    objs = {"list": [x, x[1:], x.t()], "dict": {"w": x, "v": x.view(6), "r": x[1]}}[how]
    out = pickle.loads(pickle.dumps(objs))
    vals = list(out.values()) if how == "dict" else out
    vals[0][1, 1] = 100
    return [v.tolist() for v in vals] + [_info(v) for v in vals]


@pytest.mark.parametrize("how", ("list", "dict"))
def test_one_dumps_copies_each_tensor(how):
    assert _sharing(ember, how) == _sharing(torch, how)


def _deep_sharing(m):
    x = m.arange(4.)
    v2, x2 = copy.deepcopy([x[1:], x])
    x2[1] = 9
    return v2.tolist(), _info(v2)


def test_deepcopy_shares_memory():
    assert _deep_sharing(ember) == _deep_sharing(torch)


def _attrs(m):
    t = m.arange(4.)[1:]
    t.foo = 5
    p = m.nn.Parameter(m.arange(4.))
    p.foo = 3
    b = m.nn.Buffer(m.ones(2))
    out = []
    for f in (lambda o: pickle.loads(pickle.dumps(o)), copy.deepcopy):
        out += [getattr(f(t), "foo", None), getattr(f(p), "foo", None),
                isinstance(f(b), m.nn.Buffer)]
    return out


def test_user_attributes():
    assert _attrs(ember) == _attrs(torch)


def _param(m):
    w = m.randn(3, requires_grad=True)
    w.grad = m.ones(3)
    p = m.nn.Parameter(m.arange(6.))
    p.grad = m.ones(6)
    q = m.nn.Parameter(p.data[2:])
    out = []
    for o in (w, p, q):
        for f in (lambda o: pickle.loads(pickle.dumps(o)), copy.deepcopy):
            c = f(o)
            out.append((type(c).__name__, _info(c), None if c.grad is None else c.grad.tolist()))
    lin = pickle.loads(pickle.dumps(m.nn.Linear(3, 2)))
    out.append(_info(lin.weight))
    return out


def test_parameters_and_grads():
    assert _param(ember) == _param(torch)


def test_pickle_loads_in_ember_and_keeps_big_tensor():
    x = ember.randn(64, 1000)
    y = pickle.loads(pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL))
    assert ember.equal(x, y) and y.is_contiguous() and y.storage_offset() == 0
    y[0, 0] = 1e6  # its own, writable memory
    assert x[0, 0].item() != 1e6
    f = ember.arange(12.).reshape(3, 4).t()
    g = pickle.loads(pickle.dumps(f))
    assert ember.equal(f, g) and g.stride() == (1, 4)


class _Views:
    def __init__(self, m):
        self.m, self.x = m, m.arange(12.).reshape(4, 3)

    def __len__(self):
        return 2

    def __getitem__(self, i):
        m = self.m
        return self.x[i], self.x[:, i].view(m.int32), m.nn.Parameter(self.x[i])


def _loader(m):
    out = []
    for batch in m.utils.data.DataLoader(_Views(m), batch_size=None, num_workers=1):
        out += [(type(t).__name__, t.tolist(), _info(t), t.is_shared()) for t in batch]
    return out


def test_worker_views_keep_their_storage():
    assert _loader(ember) == _loader(torch)


def _meta(m):
    out = []
    for t in (m.empty(3, 4, device="meta").t(), m.empty(2, device="meta", requires_grad=True),
              m.empty(2, 3, dtype=m.half, device="meta")[1:]):
        u = pickle.loads(pickle.dumps(t))
        out.append((str(u.device), tuple(u.shape), u.stride(), str(u.dtype), u.requires_grad))
    return out


def test_pickle_meta():
    assert _meta(ember) == _meta(torch)


def _subclasses(m):
    class MyT(m.Tensor):
        pass

    class MyP(m.nn.Parameter):
        pass

    globals().update(MyT=MyT, MyP=MyP)  # (pickled by name)
    MyT.__qualname__, MyP.__qualname__ = "MyT", "MyP"
    try:
        x = pickle.loads(pickle.dumps(m.arange(4.).as_subclass(MyT)[1:]))
        p = pickle.loads(pickle.dumps(MyP(m.arange(3.))))
        return type(x).__name__, _info(x), type(p).__name__, _info(p)
    finally:
        del globals()["MyT"], globals()["MyP"]


def test_pickle_subclasses():
    assert _subclasses(ember) == _subclasses(torch)


def _hooked(m):
    g = m.randn(3, requires_grad=True)
    g.register_hook(lambda gr: gr * 2)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        u = pickle.loads(pickle.dumps(g))
    return u.requires_grad, [str(x.message).split(" at 0x")[0] for x in w]


def test_pickle_warns_of_hooks():
    assert _hooked(ember) == _hooked(torch)
