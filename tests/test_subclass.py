"""Tensor subclasses and ``__torch_function__``, differential against PyTorch: which functions
a handler sees (``func.__name__``), with which ``types``, the result types, values and reprs,
modes, tensor-likes that are not tensors, autograd through subclasses, pickling."""
from __future__ import annotations

import copy
import functools
import io
import operator
import pickle

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

LIBS = (ember, torch)


def _show(r):
    """A comparable account of a result: type name and values (tensors), else the object."""
    if isinstance(r, (ember.Tensor, torch.Tensor)):
        return (type(r).__name__, tuple(r.shape), str(r.dtype).replace("ember", "torch"),
                np.asarray(r.detach().cpu().numpy() if hasattr(r, "cpu") else r).tolist())
    if isinstance(r, np.ndarray):
        return ("ndarray", r.tolist())
    if isinstance(r, (tuple, list)):
        return (type(r).__name__, [_show(x) for x in r])
    if type(r).__name__ == "Size":
        return ("Size", tuple(r))
    if type(r).__name__ == "dtype":
        return str(r).replace("ember", "torch")
    return r


def _logged(lib):
    class Logged(lib.Tensor):
        log: list = []

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            cls.log.append((func.__name__, tuple(t.__name__ for t in types)))
            return super().__torch_function__(func, types, args, kwargs)
    return Logged


# (label, fn(lib, x, i)) with ``x`` a float Logged tensor and ``i`` an int64 one
CASES = [
    ("add", lambda L, x, i: x + 1), ("radd", lambda L, x, i: 1 + x),
    ("plain+x", lambda L, x, i: L.ones(2, 3) + x), ("x+plain", lambda L, x, i: x + L.ones(2, 3)),
    ("plain-x", lambda L, x, i: L.ones(2, 3) - x), ("rsub", lambda L, x, i: 1 - x),
    ("div", lambda L, x, i: x / 2), ("rdiv", lambda L, x, i: 2 / x),
    ("floordiv", lambda L, x, i: x // 2), ("rfloordiv", lambda L, x, i: 2 // x),
    ("mod", lambda L, x, i: x % 2), ("rmod", lambda L, x, i: 3 % x),
    ("pow", lambda L, x, i: x ** 2), ("rpow", lambda L, x, i: 2 ** x),
    ("matmul", lambda L, x, i: x @ x.T), ("rmatmul", lambda L, x, i: L.ones(3, 2) @ x),
    ("and", lambda L, x, i: i & 1), ("rand", lambda L, x, i: 1 & i), ("or", lambda L, x, i: i | 2),
    ("rxor", lambda L, x, i: 3 ^ i), ("lshift", lambda L, x, i: i << 1),
    ("rrshift", lambda L, x, i: 8 >> i), ("invert", lambda L, x, i: ~i),
    ("eq", lambda L, x, i: x == x), ("ne", lambda L, x, i: x != 1), ("lt", lambda L, x, i: x < 1),
    ("rge", lambda L, x, i: 1 >= x), ("neg", lambda L, x, i: -x), ("pos", lambda L, x, i: +x),
    ("abs", lambda L, x, i: abs(x)),
    ("iadd", lambda L, x, i: operator.iadd(x.clone(), 1)),
    ("imul", lambda L, x, i: operator.imul(x.clone(), 2)),
    ("itruediv", lambda L, x, i: operator.itruediv(x.clone(), 2)),
    ("ipow", lambda L, x, i: operator.ipow(x.clone(), 2)),
    ("torch.add", lambda L, x, i: L.add(x, 1)), ("torch.add kw", lambda L, x, i: L.add(x, other=2)),
    ("sum", lambda L, x, i: x.sum()), ("mean dim", lambda L, x, i: x.mean(dim=0)),
    ("max dim", lambda L, x, i: x.max(0)), ("split", lambda L, x, i: x.split(1)),
    ("torch.max", lambda L, x, i: L.max(x, 1)), ("cat", lambda L, x, i: L.cat([x, x])),
    ("stack", lambda L, x, i: L.stack((x, L.ones(2, 3)))),
    ("where", lambda L, x, i: L.where(x > 0, x, 0.0)),
    ("shape", lambda L, x, i: x.shape), ("dtype", lambda L, x, i: x.dtype),
    ("T", lambda L, x, i: x.T), ("data", lambda L, x, i: x.data),
    ("requires_grad", lambda L, x, i: x.requires_grad), ("grad", lambda L, x, i: x.grad),
    ("size", lambda L, x, i: x.size()), ("dim", lambda L, x, i: x.dim()),
    ("view", lambda L, x, i: x.view(-1)), ("reshape", lambda L, x, i: L.reshape(x, (3, 2))),
    ("repr", lambda L, x, i: repr(x)), ("str", lambda L, x, i: str(x)),
    ("getitem", lambda L, x, i: x[0]), ("setitem", lambda L, x, i: x.clone().__setitem__(0, 2.0)),
    ("len", lambda L, x, i: len(x)), ("iter", lambda L, x, i: list(x)),
    ("item", lambda L, x, i: x[0, 0].item()), ("float", lambda L, x, i: float(x[0, 0])),
    ("int", lambda L, x, i: int(i[0])), ("bool", lambda L, x, i: bool(x[0, 0])),
    ("format", lambda L, x, i: f"{x[0, 0]}"), ("tolist", lambda L, x, i: x.tolist()),
    ("contains", lambda L, x, i: 1 in x), ("reversed", lambda L, x, i: reversed(x)),
    ("numpy", lambda L, x, i: x.numpy()),
    ("F.relu", lambda L, x, i: L.nn.functional.relu(x)),
    ("F.linear", lambda L, x, i: L.nn.functional.linear(x, L.ones(4, 3))),
    ("F.softmax", lambda L, x, i: L.nn.functional.softmax(x, 0)),
    ("softmax", lambda L, x, i: x.softmax(0)), ("torch.softmax", lambda L, x, i: L.softmax(x, 0)),
    ("zeros_like", lambda L, x, i: L.zeros_like(x)), ("numel", lambda L, x, i: L.numel(x)),
    ("is_tensor", lambda L, x, i: L.is_tensor(x)), ("arcsin", lambda L, x, i: (x / 2).arcsin()),
    ("torch.arcsin", lambda L, x, i: L.arcsin(x / 2)), ("clone", lambda L, x, i: x.clone()),
    ("detach", lambda L, x, i: x.detach()), ("to", lambda L, x, i: x.to(L.float64)),
    ("float()", lambda L, x, i: i.float()), ("new_zeros", lambda L, x, i: x.new_zeros(2)),
    ("exp", lambda L, x, i: L.exp(x)), ("exp_", lambda L, x, i: x.clone().exp_()),
    ("unbind", lambda L, x, i: L.unbind(x)), ("chunk", lambda L, x, i: x.chunk(2, 1)),
    ("linalg.norm", lambda L, x, i: L.linalg.norm(x)),
    ("mm plain first", lambda L, x, i: L.mm(L.ones(2, 2), x[:, :2])),
    ("as_tensor", lambda L, x, i: L.as_tensor(x)), ("asarray", lambda L, x, i: L.asarray(x)),
    ("tensor(x)", lambda L, x, i: L.tensor(x.tolist())), ("Tensor(x)", lambda L, x, i: L.Tensor(x)),
    ("full_like", lambda L, x, i: L.full_like(x, 2)),
    ("broadcast_tensors", lambda L, x, i: L.broadcast_tensors(x, L.ones(3))),
    ("einsum", lambda L, x, i: L.einsum("ij,ij->", x, x)),
    ("meshgrid", lambda L, x, i: L.meshgrid(x[0], x[1], indexing="ij")),
    ("clamp min", lambda L, x, i: L.clamp(L.zeros(2, 3), min=x)),
    ("autograd.grad", lambda L, x, i: L.autograd.grad((x.requires_grad_() * 2).sum(), x)),
]


def _trace(lib, fn):
    Logged = _logged(lib)
    x = lib.ones(2, 3).as_subclass(Logged)
    i = lib.tensor([1, 2]).as_subclass(Logged)
    Logged.log.clear()
    try:
        out = ("ok", _show(fn(lib, x, i)))
    except Exception as e:  # noqa: BLE001  (the exception type is compared)
        out = ("error", type(e).__name__)
    return list(Logged.log), out


@pytest.mark.parametrize("label,fn", CASES, ids=[c[0] for c in CASES])
def test_dispatch_trace_matches_pytorch(label, fn):
    mine, theirs = _trace(ember, fn), _trace(torch, fn)
    assert mine == theirs


def test_plain_subclass_results_and_repr():
    res = []
    for lib in LIBS:
        class MyT(lib.Tensor):
            pass
        x = lib.ones(2).as_subclass(MyT)
        res.append((type(x + 1).__name__, type(x.sum()).__name__, type(lib.add(x, 1)).__name__,
                    repr(x), repr(x.sum()), repr(x * 2), repr(lib.tensor([1, 2]).as_subclass(MyT)),
                    repr(lib.ones(2, requires_grad=True).as_subclass(MyT) * 2),
                    repr(MyT([1.0, 2.0])), repr(MyT(lib.ones(2))), tuple(MyT(2, 3).shape),
                    repr(MyT()), isinstance(x, lib.Tensor), lib.is_tensor(x)))
    assert res[0] == res[1]
    assert res[0][:3] == ("MyT", "MyT", "MyT") and res[0][3] == "MyT([1., 1.])"


def _construction(lib):
    out = []

    class MyT(lib.Tensor):
        pass

    class Init(lib.Tensor):
        def __init__(self, *args, **kwargs):
            super().__init__()
            self.tag = 1

    class New(lib.Tensor):
        @staticmethod
        def __new__(cls, data, extra=None):
            r = lib.Tensor._make_subclass(cls, data, True)
            r.extra = extra
            return r

    i = Init([1.0, 2.0])
    out.append((repr(i), i.tag))
    n = New(lib.ones(2), extra=3)
    out.append((repr(n), n.extra, n.is_leaf, repr(n * 2), hasattr(n * 2, "extra")))
    x = lib.ones(2, requires_grad=True)
    y = x * 2
    s = y.as_subclass(MyT)
    out.append((type(s.grad_fn).__name__, s.requires_grad, s.is_leaf, s._base is None))
    a = lib.ones(2).as_subclass(MyT)
    out.append((a.is_leaf, a.grad_fn, a._base is None))
    m = lib.Tensor._make_subclass(MyT, y, False)
    out.append((m.grad_fn, m.requires_grad, repr(m)))
    out.append(repr(lib.Tensor._make_subclass(MyT, lib.ones(2), True)))
    for bad in (lambda: lib.Tensor._make_subclass(MyT, lib.ones(2, dtype=lib.long), True),
                lambda: lib.Tensor._make_subclass(int, lib.ones(2)),
                lambda: lib.ones(2).as_subclass(dict)):
        with pytest.raises((RuntimeError, TypeError)) as e:
            bad()
        out.append((e.type.__name__, str(e.value)))
    t = lib.ones(2, requires_grad=True)
    alias = MyT(t)
    out.append((type(alias.grad_fn).__name__, alias.requires_grad, alias.is_leaf))
    out.append(type(a.as_subclass(lib.Tensor)).__name__)
    return out


def test_construction_matches_pytorch():
    assert _construction(ember) == _construction(torch)


def _autograd(lib):
    class MyT(lib.Tensor):
        pass

    out = []
    b = lib.ones(2, requires_grad=True).as_subclass(MyT)
    assert not b.is_leaf
    leaf = lib.tensor([1.0, 2.0]).as_subclass(MyT).requires_grad_()
    loss = (leaf * leaf * 3).sum()
    out.append((type(loss).__name__, type(loss.grad_fn).__name__, repr(loss)))
    loss.backward()
    out.append((type(leaf.grad).__name__, leaf.grad.tolist(), leaf.is_leaf, repr(leaf)))
    d = leaf.detach()
    out.append((type(d).__name__, d.requires_grad, repr(d)))
    w = lib.tensor([0.5, -1.0]).as_subclass(MyT).requires_grad_()
    z = lib.nn.functional.relu(w * 2).sum()
    (g,) = lib.autograd.grad(z, w)
    out.append((type(g).__name__, g.tolist()))
    return out


def test_autograd_through_subclass_matches_pytorch():
    assert _autograd(ember) == _autograd(torch)


def test_two_unrelated_subclasses_refuse_each_other():
    out = []
    for lib in LIBS:
        class A(lib.Tensor):
            pass

        class B(lib.Tensor):
            pass

        class C(A):
            pass
        a, b, c = (lib.ones(2).as_subclass(k) for k in (A, B, C))
        with pytest.raises(TypeError) as e:
            a + b
        with pytest.raises(TypeError) as e2:
            lib.add(a, b)
        out.append((str(e.value), e2.type.__name__, type(a + c).__name__, type(c + a).__name__,
                    type(c * 2).__name__, type(lib.mul(a, c)).__name__))
    assert out[0] == out[1]


def test_parameter_ops_give_plain_tensors():
    for lib in LIBS:
        p = lib.nn.Parameter(lib.ones(2))
        assert type(p * 2) is lib.Tensor and type(lib.add(p, 1)) is lib.Tensor
        assert p.__torch_function__ is lib._C._disabled_torch_function_impl
        assert not lib.overrides.has_torch_function((p,))
    assert repr(ember.nn.Parameter(ember.ones(2))) == repr(torch.nn.Parameter(torch.ones(2)))


def test_disabled_torch_function_impl_class():
    out = []
    for lib in LIBS:
        class P(lib.Tensor):
            __torch_function__ = lib._C._disabled_torch_function_impl

        class MyT(lib.Tensor):
            pass
        x = lib.ones(2).as_subclass(MyT)
        with lib._C.DisableTorchFunctionSubclass():
            inside = (type(x + 1).__name__, lib._C._is_torch_function_enabled())
        out.append((type(lib.ones(2).as_subclass(P) + 1).__name__, inside,
                    lib._C._is_torch_function_enabled(), type(x + 1).__name__))
    assert out[0] == out[1]


def _modes(lib):
    log = []

    class M(lib.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            log.append((func.__name__, tuple(t.__name__ for t in types)))
            return func(*args, **(kwargs or {}))

    class Outer(lib.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            log.append(("outer", func.__name__))
            return func(*args, **(kwargs or {}))

    class MyT(lib.Tensor):
        pass

    x = lib.ones(2, 3)
    out = []
    for fn in (lambda: lib.ones(2), lambda: x + 1, lambda: lib.add(x, 1), lambda: x.sum(),
               lambda: lib.nn.functional.relu(x), lambda: x.shape, lambda: repr(x),
               lambda: lib.tensor([1.0]), lambda: x.mean(dim=0), lambda: x[0],
               lambda: lib.cat([x, x]), lambda: lib.ones(2).as_subclass(MyT) * 2,
               lambda: lib.nn.functional.linear(x, lib.ones(4, 3))):
        log.clear()
        with M():
            r = fn()
        out.append((list(log), _show(r)))
    log.clear()
    with Outer():
        with M():
            lib.add(x, 1)
            x.sum()
    out.append(list(log))
    out.append((type(x + 1).__name__, lib.overrides._get_current_function_mode()))

    class Refuse(lib.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return 42 if func.__name__ == "add" else NotImplemented
    with Refuse():
        out.append(lib.add(x, 1))
        with pytest.raises(TypeError) as e:
            lib.mul(x, 1)
        out.append(str(e.value).split(";")[0])
    with lib._C.DisableTorchFunction():
        log.clear()
        with M():
            lib.add(x, 1)
        out.append(list(log))

    class Base(lib.overrides.BaseTorchFunctionMode):
        pass
    with Base():
        out.append(_show(lib.add(x, 1)))
    return out


def test_modes_match_pytorch():
    assert _modes(ember) == _modes(torch)


def _scalar_tensor(lib):
    """The ``ScalarTensor`` of PyTorch's "Extending torch" notes: a tensor-like that is not a
    tensor, with a table of the functions it implements."""
    handled = {}

    class ScalarTensor:
        def __init__(self, n, value):
            self._N, self._value = n, value

        def __repr__(self):
            return f"ScalarTensor(N={self._N}, value={self._value})"

        def tensor(self):
            return self._value * lib.eye(self._N)

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if kwargs is None:
                kwargs = {}
            if func not in handled or not all(issubclass(t, (lib.Tensor, ScalarTensor))
                                              for t in types):
                return NotImplemented
            return handled[func](*args, **kwargs)

    def implements(torch_function):
        def decorator(func):
            functools.update_wrapper(func, torch_function)
            handled[torch_function] = func
            return func
        return decorator

    @implements(lib.mean)
    def mean(input):
        return float(input._value) / input._N

    @implements(lib.add)
    def add(input, other):
        if isinstance(input, ScalarTensor) and isinstance(other, ScalarTensor):
            return ScalarTensor(input._N, input._value + other._value)
        return input.tensor() + (other.tensor() if isinstance(other, ScalarTensor) else other)

    d = ScalarTensor(5, 2)
    out = [lib.mean(d), repr(lib.add(d, d)), lib.add(d, lib.ones(5, 5)).sum().item(),
           lib.overrides.is_tensor_like(d), lib.overrides.has_torch_function((d,)),
           lib.overrides.has_torch_function((lib.ones(1),))]
    for bad in (lambda: lib.sum(d), lambda: lib.nn.functional.relu(d)):
        with pytest.raises(TypeError) as e:
            bad()
        out.append(str(e.value).replace("ember", "torch").split("\n")[0].split(" at 0x")[0])

    @lib.overrides.wrap_torch_function(lambda a: (a,))
    def myfunc(a):
        return "impl"
    handled[myfunc] = lambda a: "handled"

    def f2(a):
        if lib.overrides.has_torch_function((a,)):
            return lib.overrides.handle_torch_function(f2, (a,), a)
        return "impl2"
    handled[f2] = lambda a: "handled2"
    out += [myfunc(lib.ones(1)), myfunc(d), f2(d), f2(lib.ones(1))]
    return out


def test_tensor_like_wrapper_matches_pytorch():
    assert _scalar_tensor(ember) == _scalar_tensor(torch)


def test_overrides_helpers():
    for lib in LIBS:
        ov = lib.overrides

        class MyT(lib.Tensor):
            pass
        a = lib.ones(1).as_subclass(MyT)
        assert (ov.is_tensor_like(a), ov.is_tensor_like(1), ov.is_tensor_like(lib.ones(1))) == \
            (True, False, True)
        assert ov.is_tensor_method_or_property(lib.Tensor.add)
        assert not ov.is_tensor_method_or_property(lib.add)
        assert ov.is_tensor_method_or_property(lib.Tensor.shape.__get__)
        funcs = ov.get_overridable_functions()
        assert lib.add in funcs[lib] and lib.Tensor.add in funcs[lib.Tensor]
        assert lib.nn.functional.relu in funcs[lib.nn.functional]
        ignored = ov.get_ignored_functions()
        # (by name: importing torch._dynamo, as some tests do, rewraps torch.manual_seed
        # after PyTorch has cached this set)
        names = {getattr(f, "__name__", None) for f in ignored}
        assert {"is_tensor", "manual_seed"} <= names
        assert lib.Tensor.as_subclass in ignored and lib.add not in ignored
        assert ov.has_torch_function((a,)) and not ov.has_torch_function((1, lib.ones(1)))
    assert ember.overrides.resolve_name(ember.add) == "torch.add"
    assert ember.overrides.resolve_name(ember.Tensor.add) == "torch.Tensor.add"


class PickleMe(ember.Tensor):
    pass


class TorchPickleMe(torch.Tensor):
    pass


def test_pickle_copy_and_save():
    out = []
    for lib, cls in ((ember, PickleMe), (torch, TorchPickleMe)):
        a = lib.tensor([1.0, 2.0]).as_subclass(cls)
        a.note = "hi"
        b = pickle.loads(pickle.dumps(a))
        buf = io.BytesIO()
        lib.save(a, buf)
        buf.seek(0)
        c = lib.load(buf, weights_only=False)
        with pytest.raises(RuntimeError) as e:
            copy.deepcopy(a)
        d = copy.copy(a)
        d[0] = 5.0  # (the same memory)
        out.append((type(b) is cls, b.tolist(), b.note, type(c) is cls, c.tolist(),
                    getattr(c, "note", None), str(e.value), type(d) is cls, d.note, a.tolist()))
    assert out[0] == out[1]


def test_plain_tensors_get_no_dispatching_methods():
    class MyT(ember.Tensor):
        pass
    assert "add" in vars(MyT) and "__add__" in vars(MyT)
    # (Tensor's methods dispatch a subclass too once one exists, as ``super().add`` must)
    assert vars(ember.Tensor)["shape"] is not vars(MyT)["shape"]
    assert "add" not in vars(ember.nn.Parameter)
    x = ember.ones(2)
    assert type(x + 1) is ember.Tensor and type(ember.add(x, 1)) is ember.Tensor
    # names as PyTorch reports them
    assert (ember.Tensor.arcsin.__name__, ember.Tensor.__pow__.__name__,
            ember.Tensor.__rtruediv__.__name__, ember.arcsin.__name__) == \
        (torch.Tensor.arcsin.__name__, torch.Tensor.__pow__.__name__,
         torch.Tensor.__rtruediv__.__name__, torch.arcsin.__name__)


def _through_modules(lib):
    class L(lib.Tensor):
        log: list = []

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            cls.log.append(func.__name__)
            return super().__torch_function__(func, types, args, kwargs)
    lib.manual_seed(0)
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Dropout(0.0),
                          lib.nn.LayerNorm(4), lib.nn.Linear(4, 2))
    y = m(lib.ones(2, 3).as_subclass(L))
    out = [type(y).__name__, list(L.log)]
    L.log.clear()
    loss = lib.nn.functional.cross_entropy(y, lib.tensor([0, 1]))
    out += [type(loss).__name__, list(L.log), round(loss.item(), 5)]
    loss.backward()
    out.append(type(m[0].weight.grad).__name__)
    log = []

    class M(lib.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            log.append(func.__name__)
            return func(*args, **(kwargs or {}))
    with M():
        loss = lib.nn.functional.cross_entropy(m(lib.ones(2, 3)), lib.tensor([0, 1]))
        loss.backward()
    out.append(log)
    return out


def test_layers_dispatch_their_functional_call():
    assert _through_modules(ember) == _through_modules(torch)
