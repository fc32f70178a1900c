"""Tensor subclasses and ``__torch_function__`` against PyTorch: handlers that refuse an
operator, the keyword arguments Python-level methods hand on, the ``types`` a mode sees for
PyTorch's hand-written methods, ``super()`` / unbound ``Tensor`` methods on a subclass, and
non-tensor tensor-likes as operator operands."""
import pytest
import torch

import ember


def _outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001
        return ("error", type(e).__name__, str(e).splitlines()[0])
    if isinstance(r, (torch.Tensor, ember.Tensor)):
        return (type(r).__name__, r.detach().tolist())
    if isinstance(r, (tuple, list)):
        return (type(r).__name__, [type(v).__name__ for v in r])
    return (type(r).__name__, r)


def _refusing(lib):
    class Refusing(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented
    return Refusing


def _operators_refused(lib):
    o = lib.arange(4.).as_subclass(_refusing(lib))
    x = lib.arange(4.)

    def iadd():
        y = lib.arange(4.).as_subclass(type(o))
        y += x
        return y
    cases = [lambda: o + x, lambda: x + o, lambda: o == x, lambda: o != x, lambda: o < x,
             lambda: o @ x, lambda: o - x, lambda: o ** x, lambda: x * o, lambda: o | x,
             lambda: o * 1, lambda: 1 * o, lambda: -o, iadd]
    return [_outcome(f) for f in cases]


def test_operators_refused_by_every_handler():
    assert _operators_refused(ember) == _operators_refused(torch)


def _logged(lib, log):
    class L(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            log.append((func.__name__, [t.__name__ for t in types],
                        [type(a).__name__ for a in args], kwargs))
            return super().__torch_function__(func, types, args, kwargs or {})
    return L


def _python_level_kwargs(lib):
    log = []
    a = lib.arange(4., requires_grad=True).as_subclass(_logged(lib, log))
    calls = [lambda: a.split(2), lambda: a.split([1, 3], 0), lambda: a.split(split_size=2),
             lambda: lib.split(a, 2, 0), lambda: lib.split(a, split_size_or_sections=[1, 3]),
             lambda: a.unique(), lambda: a.unique(False, True), lambda: lib.unique(a, dim=0),
             lambda: a.unique_consecutive(return_counts=True),
             lambda: lib.unique_consecutive(a), lambda: repr(a),
             lambda: a.sum().backward(retain_graph=True)]
    out = []
    for f in calls:
        log.clear()
        out.append((_outcome(f), log[:1]))
    return out


def test_python_level_methods_hand_on_their_defaults():
    assert _python_level_kwargs(ember) == _python_level_kwargs(torch)


def _mode_types(lib):
    log = []

    class M(lib.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            log.append((func.__name__, [t.__name__ for t in types], kwargs))
            return func(*args, **(kwargs or {}))
    x = lib.tensor([1., 2.])
    calls = ["dim()", "ndimension()", "numel()", "nelement()", "tolist()", "sum().item()",
             "detach()", "is_floating_point()", "is_complex()", "element_size()", "zero_()",
             "new_tensor([1])", "storage_offset()", "sum()", "size()", "add(1)", "clone()",
             "__array__()", "sum().__float__()", "__len__()"]
    out = []
    for c in calls:
        log.clear()
        with M():
            eval("x." + c, {"x": x})
        out.append((c, log[-1]))
    return out


def test_mode_sees_the_tensor_type_of_handwritten_methods():
    assert _mode_types(ember) == _mode_types(torch)


def _super_calls(lib):
    log = []

    class MyT(lib.Tensor):
        def __add__(self, other):
            log.append("my add")
            return super().__add__(other)

        def sum(self, *args, **kwargs):
            return super().sum(*args, **kwargs)

        def clone(self):
            return lib.Tensor.clone(self)
    a = lib.ones(2).as_subclass(MyT)
    b = lib.ones(2).as_subclass(_logged(lib, log))
    res = [_outcome(f) for f in (
        lambda: a + 1, lambda: a.sum(), lambda: a.clone(), lambda: lib.Tensor.mul(a, 2),
        lambda: lib.Tensor.__mul__(a, 2), lambda: lib.Tensor.add(b, 1),
        lambda: lib.Tensor.__rsub__(b, 1), lambda: lib.ones(2) + 1, lambda: lib.ones(2).dim(),
        lambda: lib.ones(2).add(b), lambda: lib.ones(2).type_as(b),
        lambda: lib.nn.Parameter(lib.ones(2)).mul(b), lambda: lib.ones(2).view((2, 1)))]
    names = [lib.overrides.resolve_name(f) for f in (
        lib.Tensor.add, lib.Tensor.__add__, lib.Tensor.grad.__get__, lib.add)]
    return res, [entry if isinstance(entry, str) else entry[:3] for entry in log], names


def test_super_and_unbound_tensor_methods_dispatch():
    assert _super_calls(ember) == _super_calls(torch)


def _foreign(lib):
    log = []

    class Like:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            log.append((func.__name__, [t.__name__ for t in types],
                        [type(a).__name__ for a in args]))
            if func.__name__ in ("add", "mul", "eq", "sub"):
                return "handled-" + func.__name__
            return NotImplemented
    x, s = lib.ones(2), Like()
    cases = [lambda: x + s, lambda: s + x, lambda: x * s, lambda: x - s, lambda: x / s,
             lambda: x == s, lambda: x < s, lambda: x @ s, lambda: x ** s, lambda: x + None,
             lambda: x == None, lambda: lib.mean(s), lambda: lib.add(x, s)]  # noqa: E711
    return [_outcome(f) for f in cases], log


def test_tensor_like_operands_are_offered_the_operator():
    assert _foreign(ember) == _foreign(torch)


def _errors(lib):
    x = lib.ones(2, requires_grad=True)
    return [_outcome(f) for f in (
        lambda: x.as_subclass(3), lambda: x.as_subclass(int),
        lambda: lib.Tensor._make_subclass(3, x), lambda: lib.Tensor._make_subclass(int, x),
        lambda: x.apply_(lambda v: v), lambda: x.map_(x, lambda a, b: a),
        lambda: x.detach().apply_(lambda v: v * 2))]


def test_subclass_making_and_apply_errors():
    assert _errors(ember) == _errors(torch)


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_plain_tensor_fast_path_keeps_plain_results(lib):
    class Sub(lib.Tensor):
        pass
    x = lib.ones(2)
    p = lib.nn.Parameter(lib.ones(2))
    s = lib.ones(2).as_subclass(Sub)
    assert type(x + x) is lib.Tensor and type(x.add(1)) is lib.Tensor
    assert type(p * 2) is lib.Tensor and type(x + s) is Sub and type(p + s) is Sub
    assert type(s.sum()) is Sub and type(lib.Tensor.sum(s)) is Sub
