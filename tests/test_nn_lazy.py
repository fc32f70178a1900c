"""Lazy modules and uninitialized parameters against PyTorch."""
from __future__ import annotations

import copy
import io
import pickle
import warnings

import numpy as np
import pytest

import ember
from diff import assert_same

torch = pytest.importorskip("torch")

UNINIT_USE = "Attempted to use an uninitialized parameter in"
SHAPE_ERROR = "Can't access the shape of an uninitialized parameter or buffer."


def arr(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def both(name, *args, **kwargs):
    """The module ``nn.<name>(*args, **kwargs)`` in ember and in PyTorch."""
    return getattr(ember.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


# (class name, constructor args, input shape, eager class it becomes)
CASES = [
    ("LazyLinear", (5,), (3, 4), "Linear"),
    ("LazyLinear", (5, False), (2, 3, 7), "Linear"),
    ("LazyLinear", (2,), (6,), "Linear"),
    ("LazyConv1d", (4, 3), (2, 3, 9), "Conv1d"),
    ("LazyConv1d", (4, 3, 2, 1), (3, 9), "Conv1d"),  # unbatched
    ("LazyConv2d", (6, 3), (2, 4, 7, 6), "Conv2d"),
    ("LazyConv2d", (4, 3, 1, "same", 1, 2, False, "reflect"), (1, 6, 5, 5), "Conv2d"),
    ("LazyConv3d", (2, 2), (1, 3, 4, 4, 4), "Conv3d"),
    ("LazyConvTranspose1d", (4, 3), (2, 3, 6), "ConvTranspose1d"),
    ("LazyConvTranspose2d", (4, 3, 2, 1, 1, 2), (2, 4, 5, 5), "ConvTranspose2d"),
    ("LazyConvTranspose3d", (2, 2), (1, 3, 3, 3, 3), "ConvTranspose3d"),
    ("LazyBatchNorm1d", (), (4, 3), "BatchNorm1d"),
    ("LazyBatchNorm1d", (1e-3, None, False), (4, 3, 5), "BatchNorm1d"),
    ("LazyBatchNorm2d", (), (2, 3, 4, 4), "BatchNorm2d"),
    ("LazyBatchNorm3d", (1e-5, 0.1, True, False), (2, 3, 2, 2, 2), "BatchNorm3d"),
    ("LazyInstanceNorm1d", (), (2, 3, 6), "InstanceNorm1d"),
    ("LazyInstanceNorm2d", (1e-5, 0.1, False), (2, 3, 4, 4), "InstanceNorm2d"),
    ("LazyInstanceNorm3d", (), (1, 2, 3, 3, 3), "InstanceNorm3d"),
]


@pytest.mark.parametrize("name,args,shape,becomes", CASES)
def test_first_forward_matches_pytorch(name, args, shape, becomes):
    ember.manual_seed(7)
    torch.manual_seed(7)
    e, t = both(name, *args)
    assert repr(e) == repr(t)
    assert e.has_uninitialized_params() and t.has_uninitialized_params()
    x = arr(*shape)
    ye, yt = e(ember.from_numpy(x)), t(torch.from_numpy(x))
    # the seeded draws are PyTorch's, bit for bit: the initial parameters compare exactly
    for (ne, pe), (nt, pt) in zip(e.named_parameters(), t.named_parameters(), strict=True):
        assert ne == nt and type(pe) is ember.nn.Parameter
        assert_same(pe, pt, rtol=0, atol=0)
    for (ne, be), (nt, bt) in zip(e.named_buffers(), t.named_buffers(), strict=True):
        assert ne == nt and type(be) is ember.Tensor
        assert_same(be, bt)
    assert_same(ye, yt)
    assert type(e) is getattr(ember.nn, becomes) and type(t).__name__ == becomes
    assert repr(e) == repr(t)
    assert not e._forward_pre_hooks
    # later draws continue from the same generator state
    assert_same(ember.rand(3), torch.rand(3), rtol=0, atol=0)


def test_reprs_and_printing():
    for name, args in [("LazyLinear", (10,)), ("LazyLinear", (3, False)),
                       ("LazyConv2d", (4, 3, 2, 1, 1, 2, False, "reflect")),
                       ("LazyConvTranspose1d", (3, 2)), ("LazyBatchNorm2d", (1e-3, None)),
                       ("LazyInstanceNorm1d", ()), ("LazyBatchNorm1d", ())]:
        e, t = both(name, *args)
        assert repr(e) == repr(t)
    assert repr(ember.nn.LazyLinear(10)) == "LazyLinear(in_features=0, out_features=10, bias=True)"
    e, t = both("LazyLinear", 3)
    assert repr(e.weight) == str(e.weight) == repr(t.weight) == "<UninitializedParameter>"
    e, t = both("LazyBatchNorm1d")
    assert repr(e.running_mean) == repr(t.running_mean) == "<UninitializedBuffer>"
    assert ([(n, type(p).__name__) for n, p in e.named_buffers()] ==
            [(n, type(p).__name__) for n, p in t.named_buffers()])
    assert str(e.state_dict()) == str(t.state_dict())
    s = ember.nn.Sequential(ember.nn.LazyLinear(3), ember.nn.ReLU(), ember.nn.LazyLinear(2))
    st = torch.nn.Sequential(torch.nn.LazyLinear(3), torch.nn.ReLU(), torch.nn.LazyLinear(2))
    assert repr(s) == repr(st)
    s(ember.zeros(1, 5))
    st(torch.zeros(1, 5))
    assert repr(s) == repr(st)


def test_no_warning_on_construction():
    # NOTE: PyTorch 2.13 no longer warns that lazy modules are experimental.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.nn.LazyLinear(3)
        ember.nn.LazyConv2d(3, 3)
        ember.nn.LazyBatchNorm1d()
        torch.nn.LazyLinear(3)


def test_uninitialized_parameter_refuses_like_pytorch():
    e = ember.nn.parameter.UninitializedParameter()
    t = torch.nn.parameter.UninitializedParameter()
    assert (e.dtype, e.requires_grad, e.is_leaf, e.grad, e.ndim) == \
        (ember.float32, True, True, None, 1)
    assert (t.dtype, t.requires_grad, t.is_leaf, t.grad, t.ndim) == \
        (torch.float32, True, True, None, 1)
    assert tuple(e.size()) == tuple(t.size()) == (0,)
    assert e.is_floating_point() and not e.is_complex() and e.get_device() == -1
    assert e.data.numel() == t.data.numel() == 0
    with pytest.raises(RuntimeError, match=SHAPE_ERROR):
        t.shape  # noqa: B018
    with pytest.raises(RuntimeError, match=SHAPE_ERROR):
        e.shape  # noqa: B018
    for use in (lambda p: p.dim(), lambda p: p.numel(), lambda p: p.detach(),
                lambda p: p + 1, lambda p: p[0], lambda p: len(p), lambda p: p.sum(),
                lambda p: p.clone(), lambda p: p.requires_grad_(False), lambda p: p == p,
                lambda p: format(p, ""), lambda p: p.tolist(), lambda p: bool(p)):
        with pytest.raises(ValueError, match=UNINIT_USE):
            use(t)
        with pytest.raises(ValueError, match=UNINIT_USE + ".*UninitializedParameter"):
            use(e)
    e.requires_grad = False
    t.requires_grad = False
    assert e.requires_grad is t.requires_grad is False
    assert isinstance(e, ember.nn.Parameter) and ember.nn.parameter.is_lazy(e)
    with pytest.raises(RuntimeError, match="Can't share memory"):
        ember.nn.LazyLinear(3).share_memory()
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        ember.nn.parameter.UninitializedParameter(dtype=ember.int64)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        torch.nn.parameter.UninitializedParameter(dtype=torch.int64)
    assert ember.nn.UninitializedParameter is ember.nn.parameter.UninitializedParameter


def test_materialize():
    for lib in (ember, torch):
        p = lib.nn.parameter.UninitializedParameter(requires_grad=False, dtype=lib.float64)
        p.materialize((2, 3))
        assert type(p) is lib.nn.Parameter and tuple(p.shape) == (2, 3)
        assert p.dtype == lib.float64 and not p.requires_grad
        b = lib.nn.parameter.UninitializedBuffer()
        b.materialize((4,), dtype=lib.float16)
        assert type(b) is lib.Tensor and tuple(b.shape) == (4,) and b.dtype == lib.float16
        assert b.persistent


def test_dtype_and_device_conversions_before_first_call():
    ember.manual_seed(0)
    torch.manual_seed(0)
    e, t = both("LazyBatchNorm1d")
    e.double()
    t.double()
    assert type(e.running_mean).__name__ == type(t.running_mean).__name__ == "UninitializedBuffer"
    assert e.running_mean.dtype is ember.float64 and e.weight.dtype is ember.float64
    e, t = both("LazyLinear", 3)
    e.to(ember.float64)
    t.to(torch.float64)
    x = arr(2, 4).astype(np.float64)
    e(ember.from_numpy(x))
    t(torch.from_numpy(x))
    assert_same(e.weight, t.weight, rtol=0, atol=0)
    assert e.weight.dtype is ember.float64
    assert ember.nn.LazyConv1d(2, 3, dtype=ember.float64).weight.dtype is ember.float64


def test_initialize_parameters_keeps_the_module_lazy():
    e, t = both("LazyLinear", 3)
    e.initialize_parameters(ember.zeros(2, 5))
    t.initialize_parameters(torch.zeros(2, 5))
    assert repr(e) == repr(t) == "LazyLinear(in_features=5, out_features=3, bias=True)"
    assert type(e).__name__ == "LazyLinear" and not e.has_uninitialized_params()
    e(ember.zeros(2, 5))
    assert type(e) is ember.nn.Linear


def test_custom_lazy_module_errors():
    class My(ember.nn.modules.lazy.LazyModuleMixin, ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = ember.nn.parameter.UninitializedParameter()

        def forward(self, x):
            return x

    with pytest.raises(NotImplementedError, match="initialize_parameters is not implemented "
                                                  "for My"):
        My()(ember.zeros(2))

    class My2(My):
        def initialize_parameters(self, x):
            pass

    with pytest.raises(RuntimeError, match="module My2 has not been fully initialized"):
        My2()(ember.zeros(2))

    class My3(My):
        def initialize_parameters(self, x):
            self.w.materialize(x.shape)

    m = My3()
    m(ember.zeros(2))
    assert type(m) is My3 and tuple(m.w.shape) == (2,) and not m._forward_pre_hooks


def test_input_errors_match_pytorch():
    e, t = both("LazyConv1d", 4, 3)
    with pytest.raises(RuntimeError) as te:
        t(torch.zeros(3, 5, 6, 7))
    with pytest.raises(RuntimeError) as ee:
        e(ember.zeros(3, 5, 6, 7))
    assert str(ee.value) == str(te.value)
    e, t = both("LazyConv1d", 4, 3, groups=2)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        t(torch.zeros(3, 5, 6))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        e(ember.zeros(3, 5, 6))
    assert repr(e) == repr(t)  # in_channels was set before the check, as PyTorch
    # A lazy instance norm reads dim 1 even of an unbatched input (PyTorch's quirk).
    e, t = both("LazyInstanceNorm1d")
    with pytest.raises(ValueError) as te:
        t(torch.zeros(3, 5))
    with pytest.raises(ValueError) as ee:
        e(ember.zeros(3, 5))
    assert str(ee.value) == str(te.value)
    assert repr(e) == repr(t)


def test_state_dict_of_uninitialized_module():
    e, t = both("LazyLinear", 3)
    sd = e.state_dict()
    assert list(sd) == ["weight", "bias"] and sd["weight"] is e.weight
    assert str(sd) == str(t.state_dict())
    assert e.state_dict(keep_vars=True)["weight"] is e.weight
    # into an initialized module: PyTorch's shape error
    with pytest.raises(RuntimeError, match=SHAPE_ERROR):
        ember.nn.Linear(4, 3).load_state_dict(sd)
    with pytest.raises(RuntimeError, match=SHAPE_ERROR):
        torch.nn.Linear(4, 3).load_state_dict(t.state_dict())


@pytest.mark.parametrize("name,eager,args,shape", [
    ("LazyLinear", "Linear", ((4, 3), (3,)), (2, 4)),
    ("LazyConv2d", "Conv2d", ((2, 4, 3), (4, 3)), (1, 2, 5, 5)),
    ("LazyBatchNorm1d", "BatchNorm1d", ((3,), ()), (5, 3)),
])
def test_load_full_state_dict_materializes(name, eager, args, shape):
    ember.manual_seed(1)
    torch.manual_seed(1)
    eager_args, lazy_args = args
    src_e, src_t = both(eager, *eager_args)
    x = arr(*shape)
    src_e(ember.from_numpy(x))
    src_t(torch.from_numpy(x))
    e, t = both(name, *lazy_args)
    assert repr(e.load_state_dict(src_e.state_dict())) == \
        repr(t.load_state_dict(src_t.state_dict())) == "<All keys matched successfully>"
    assert not e.has_uninitialized_params()
    assert type(e).__name__ == type(t).__name__ == name  # still lazy until called
    assert repr(e) == repr(t)
    for (ne, ve), (nt, vt) in zip(e.state_dict().items(), t.state_dict().items(), strict=True):
        assert ne == nt
        assert_same(ve, vt)
    ye, yt = e(ember.from_numpy(x)), t(torch.from_numpy(x))
    assert_same(ye, yt)
    assert type(e) is getattr(ember.nn, eager) and repr(e) == repr(t)


def test_load_into_lazy_sequential_and_partial_load():
    src = ember.nn.Sequential(ember.nn.Linear(5, 3), ember.nn.ReLU(), ember.nn.Linear(3, 2))
    s = ember.nn.Sequential(ember.nn.LazyLinear(3), ember.nn.ReLU(), ember.nn.LazyLinear(2))
    s.load_state_dict(src.state_dict())
    x = ember.randn(4, 5)
    assert ember.equal(s(x), src(x))
    assert type(s[0]) is ember.nn.Linear and s[0].in_features == 5

    e, t = both("LazyLinear", 3)
    we = ember.nn.Linear(4, 3).weight.detach()
    r_e = e.load_state_dict({"weight": we}, strict=False)
    r_t = t.load_state_dict({"weight": torch.from_numpy(we.numpy())}, strict=False)
    assert repr(r_e) == repr(r_t)
    assert type(e.weight) is ember.nn.Parameter
    assert type(e.bias).__name__ == type(t.bias).__name__ == "UninitializedParameter"
    # the lazily loaded Linear then checks its input against the loaded weight
    e2, t2 = both("LazyLinear", 3)
    e2.load_state_dict(ember.nn.Linear(4, 3).state_dict())
    t2.load_state_dict(torch.nn.Linear(4, 3).state_dict())
    with pytest.raises(AssertionError) as te:
        t2(torch.zeros(2, 5))
    with pytest.raises(AssertionError) as ee:
        e2(ember.zeros(2, 5))
    assert str(ee.value) == str(te.value)


def test_optimizer_on_uninitialized_parameters():
    # PyTorch accepts them: materializing keeps the same Parameter objects
    ember.manual_seed(3)
    torch.manual_seed(3)
    e, t = both("LazyLinear", 2)
    oe = ember.optim.SGD(e.parameters(), lr=0.1)
    ot = torch.optim.SGD(t.parameters(), lr=0.1)
    x = arr(3, 4)
    e(ember.from_numpy(x)).sum().backward()
    t(torch.from_numpy(x)).sum().backward()
    oe.step()
    ot.step()
    assert oe.param_groups[0]["params"][0] is e.weight
    assert_same(e.weight, t.weight)
    assert_same(e.bias, t.bias)
    ember.optim.Adam(ember.nn.LazyConv2d(2, 3).parameters())


def test_copy_and_pickle():
    m = ember.nn.LazyLinear(3, dtype=ember.float64)
    for other in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert type(other.weight).__name__ == "UninitializedParameter"
        assert other.weight is not m.weight and other.weight.dtype is ember.float64
        other(ember.zeros(2, 4, dtype=ember.float64))
        assert type(other) is ember.nn.Linear
    assert m.has_uninitialized_params() and type(m) is ember.nn.LazyLinear


def test_save_and_load_uninitialized_state_dict_across_libraries():
    buf = io.BytesIO()
    ember.save(ember.nn.LazyLinear(3).state_dict(), buf)
    sd = torch.load(io.BytesIO(buf.getvalue()), weights_only=False)
    assert type(sd["weight"]).__name__ == "UninitializedParameter"
    buf = io.BytesIO()
    torch.save(torch.nn.LazyLinear(3).state_dict(), buf)
    sd = ember.load(io.BytesIO(buf.getvalue()), weights_only=False)
    assert type(sd["weight"]) is ember.nn.parameter.UninitializedParameter


def test_uninitialized_state_dict_into_uninitialized_module():
    """An uninitialized entry loads into an uninitialized module (nothing to copy) and a
    later full one still materializes it; into an initialized module it fails, as PyTorch's."""
    out = []
    for T in (torch, ember):
        b = T.nn.LazyLinear(3)
        res = [str(b.load_state_dict(T.nn.LazyLinear(3).state_dict())), repr(b.weight)]
        res.append((str(b.load_state_dict(T.nn.Linear(4, 3).state_dict())),
                    tuple(b.weight.shape)))
        try:
            T.nn.Linear(4, 3).load_state_dict(T.nn.LazyLinear(3).state_dict())
        except RuntimeError as e:
            res.append(str(e))
        out.append(res)
    assert out[0] == out[1]
