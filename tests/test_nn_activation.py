"""Activations (functional and modules) against PyTorch: values, gradients, dtypes, node
names, in-place variants, reprs, errors and double backward."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ember
from diff import assert_same, check, check_error, gradcheck, to_ember, to_torch, torch

FLOATS = [np.float32, np.float64]
SHAPES = [(), (0,), (7,), (2, 3, 4)]

# name -> f(T, x): every activation, with default and non-default options
ACTS = {
    "relu": lambda T, x: T.nn.functional.relu(x),
    "relu6": lambda T, x: T.nn.functional.relu6(x),
    "leaky_relu": lambda T, x: T.nn.functional.leaky_relu(x),
    "leaky_relu_0.2": lambda T, x: T.nn.functional.leaky_relu(x, 0.2),
    "leaky_relu_neg": lambda T, x: T.nn.functional.leaky_relu(x, -0.5),
    "elu": lambda T, x: T.nn.functional.elu(x),
    "elu_0.5": lambda T, x: T.nn.functional.elu(x, alpha=0.5),
    "selu": lambda T, x: T.nn.functional.selu(x),
    "celu": lambda T, x: T.nn.functional.celu(x),
    "celu_2": lambda T, x: T.nn.functional.celu(x, 2.0),
    "gelu": lambda T, x: T.nn.functional.gelu(x),
    "gelu_tanh": lambda T, x: T.nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda T, x: T.nn.functional.silu(x),
    "mish": lambda T, x: T.nn.functional.mish(x),
    "sigmoid": lambda T, x: T.nn.functional.sigmoid(x),
    "tanh": lambda T, x: T.nn.functional.tanh(x),
    "softplus": lambda T, x: T.nn.functional.softplus(x),
    "softplus_b2_t1": lambda T, x: T.nn.functional.softplus(x, beta=2, threshold=1),
    "softplus_b-1": lambda T, x: T.nn.functional.softplus(x, beta=-1.0),
    "softsign": lambda T, x: T.nn.functional.softsign(x),
    "hardtanh": lambda T, x: T.nn.functional.hardtanh(x),
    "hardtanh_-2_3": lambda T, x: T.nn.functional.hardtanh(x, -2.0, 3.0),
    "hardswish": lambda T, x: T.nn.functional.hardswish(x),
    "hardsigmoid": lambda T, x: T.nn.functional.hardsigmoid(x),
    "threshold": lambda T, x: T.nn.functional.threshold(x, 0.5, -2.0),
    "logsigmoid": lambda T, x: T.nn.functional.logsigmoid(x),
    "tanhshrink": lambda T, x: T.nn.functional.tanhshrink(x),
    "softshrink": lambda T, x: T.nn.functional.softshrink(x),
    "softshrink_1": lambda T, x: T.nn.functional.softshrink(x, 1.0),
    "hardshrink": lambda T, x: T.nn.functional.hardshrink(x),
    "hardshrink_0": lambda T, x: T.nn.functional.hardshrink(x, 0.0),
    "softmin": lambda T, x: T.nn.functional.softmin(x, dim=-1),
}

# points where the pieces of the piecewise functions meet, and large magnitudes
SPECIAL = np.array([-1e4, -100.0, -30.0, -20.0, -6.0, -3.0, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5,
                    1.0, 3.0, 6.0, 20.0, 30.0, 100.0, 1e4])


def rand(shape, dtype, seed=0, scale=3.0):
    return np.asarray(np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(ACTS))
def test_values_and_grads(name, shape, dtype):
    if name == "softmin" and shape == ():
        shape = (1,)
    check(ACTS[name], rand(shape, dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(ACTS))
def test_breakpoints_and_extremes(name, dtype):
    x = SPECIAL.astype(dtype)
    if name == "softmin":
        x = x[6:-6]  # softmin of +-1e4 together is all one-hot; keep it meaningful
    check(ACTS[name], x, atol=1e-5 if dtype == np.float32 else None)


@pytest.mark.parametrize("name", sorted(ACTS))
def test_node_names(name):
    x = rand((3, 4), np.float32)
    t = ACTS[name](torch, to_torch(x))
    e = ACTS[name](ember, to_ember(x))
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__


@pytest.mark.parametrize("name", ["relu6", "hardtanh", "hardswish", "hardsigmoid", "leaky_relu",
                                  "elu", "selu", "celu", "gelu", "silu", "mish", "softplus",
                                  "logsigmoid", "softshrink", "hardshrink", "threshold",
                                  "softsign", "tanhshrink"])
def test_nan_and_inf(name):
    x = np.array([np.nan, -np.inf, np.inf, 1.0], dtype=np.float64)
    if name == "gelu":
        x = np.array([np.nan, -np.inf, 1.0])  # PyTorch's float32 gelu(+inf) is nan, float64 inf
    check(ACTS[name], x)


def test_gelu_inf_float64():
    check(lambda T, x: T.nn.functional.gelu(x), np.array([np.inf, -np.inf]))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", ["relu6", "leaky_relu", "elu", "gelu", "silu", "softplus",
                                  "hardswish", "logsigmoid", "softshrink"])
def test_half_types(name, dtype):
    import ml_dtypes  # noqa: F401  (NumPy's bfloat16)

    x = rand((5,), np.float32).astype(np.dtype(dtype))
    check(ACTS[name], x, grad=False)


def test_integer_inputs():
    x = np.array([1, 7, -1, 0], dtype=np.int64)
    F = lambda T: T.nn.functional
    for fn in [lambda T, x: F(T).relu6(x), lambda T, x: F(T).hardtanh(x),
               lambda T, x: F(T).hardtanh(x, 1.5, 2.5), lambda T, x: F(T).threshold(x, 2, 5.5),
               lambda T, x: F(T).sigmoid(x), lambda T, x: F(T).softsign(x),
               lambda T, x: F(T).tanhshrink(x)]:
        check(fn, x, grad=False)


@pytest.mark.parametrize("fn,kernel", [
    ("leaky_relu", "leaky_relu_cpu"), ("elu", "elu_cpu"), ("selu", "elu_cpu"),
    ("celu", "elu_cpu"), ("gelu", "GeluKernelImpl"), ("silu", "silu_cpu"),
    ("mish", "mish_cpu"), ("softplus", "softplus_cpu"), ("hardswish", "hardswish_cpu"),
    ("hardsigmoid", "hardsigmoid_cpu"), ("logsigmoid", "log_sigmoid_cpu"),
    ("softshrink", "softshrink_check"), ("hardshrink", "hardshrink_cpu"), ("glu", "glu_cpu")])
def test_integer_errors(fn, kernel):
    x = np.array([1, 7, -1, 2], dtype=np.int64)
    t, e = check_error(lambda T, x: getattr(T.nn.functional, fn)(x), x)
    assert t == e == f"\"{kernel}\" not implemented for 'Long'"


@pytest.mark.parametrize("fn", [
    lambda T, x: T.nn.functional.softshrink(x, -1.0),
    lambda T, x: T.nn.functional.softshrink(x.double(), -0.5),
    lambda T, x: T.nn.functional.glu(x),
    lambda T, x: T.nn.functional.glu(x, 2),
    lambda T, x: T.nn.functional.glu(x[0, 0]),
    lambda T, x: T.nn.functional.hardtanh(x, 2.0, 1.0),
    lambda T, x: T.nn.functional.gelu(x, approximate="foo"),
    lambda T, x: T.nn.functional.celu(x, alpha=0.0),
    lambda T, x: T.nn.functional.prelu(x, T.ones(4)),
    lambda T, x: T.nn.functional.prelu(x, T.ones(1, 3)),
    lambda T, x: T.nn.functional.prelu(x[0], T.ones(3)),
    lambda T, x: T.nn.functional.prelu(x[0, 0], T.ones(2)),
    lambda T, x: T.nn.functional.softmax(x.long(), 0),
    lambda T, x: T.nn.functional.softmax(x.long(), 1),
    lambda T, x: T.nn.functional.log_softmax(x.long(), 0),
    lambda T, x: T.nn.functional.log_softmax(x.long(), -1),
    lambda T, x: T.nn.Hardtanh(2, 1),
    lambda T, x: T.nn.Softmax2d()(x),
])
def test_errors(fn):
    t, e = check_error(fn, rand((2, 3), np.float32))
    assert t == e


def test_inplace_negative_slope_backward_errors():
    for fn in [lambda T, y: T.nn.functional.leaky_relu(y, -0.1, inplace=True),
               lambda T, y: T.nn.functional.elu(y, -1.0, inplace=True)]:
        msgs = []
        for T in (torch, ember):
            x = T.tensor([-1.0, 2.0], requires_grad=True)
            out = fn(T, x * 1)
            with pytest.raises(RuntimeError) as info:
                out.sum().backward()
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]


# -- in-place ------------------------------------------------------------------------

INPLACE = {
    "relu": (lambda T, y: T.nn.functional.relu(y, inplace=True), "relu"),
    "relu6": (lambda T, y: T.nn.functional.relu6(y, inplace=True), "relu6"),
    "leaky_relu": (lambda T, y: T.nn.functional.leaky_relu(y, 0.2, True), None),
    "leaky_relu_": (lambda T, y: T.nn.functional.leaky_relu_(y, 0.2), None),
    "elu": (lambda T, y: T.nn.functional.elu(y, 0.5, inplace=True), None),
    "elu_": (lambda T, y: T.nn.functional.elu_(y), "elu"),
    "selu": (lambda T, y: T.nn.functional.selu(y, inplace=True), "selu"),
    "selu_": (lambda T, y: T.nn.functional.selu_(y), "selu"),
    "celu": (lambda T, y: T.nn.functional.celu(y, 2.0, inplace=True), None),
    "celu_": (lambda T, y: T.nn.functional.celu_(y), "celu"),
    "silu": (lambda T, y: T.nn.functional.silu(y, inplace=True), "silu"),
    "mish": (lambda T, y: T.nn.functional.mish(y, inplace=True), "mish"),
    "hardtanh": (lambda T, y: T.nn.functional.hardtanh(y, -2.0, 2.0, True), None),
    "hardtanh_": (lambda T, y: T.nn.functional.hardtanh_(y), "hardtanh"),
    "hardswish": (lambda T, y: T.nn.functional.hardswish(y, inplace=True), "hardswish"),
    "hardsigmoid": (lambda T, y: T.nn.functional.hardsigmoid(y, inplace=True), "hardsigmoid"),
    "threshold": (lambda T, y: T.nn.functional.threshold(y, 0.5, -2.0, True), "threshold"),
    "threshold_": (lambda T, y: T.nn.functional.threshold_(y, 0.5, -2.0), "threshold"),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace(name):
    fn, plain = INPLACE[name]
    x = rand((3, 4), np.float64)

    def run(T, x):
        y = x * 1
        v = y._version
        out = fn(T, y)
        assert out is y
        assert y._version == v + 1
        return y
    check(run, x)
    t = run(torch, to_torch(x))
    e = run(ember, to_ember(x))
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
    if plain is not None:  # the same values as the out-of-place function
        np.testing.assert_allclose(e.detach().numpy(),
                                   ACTS[plain](ember, to_ember(x, False)).numpy())


def test_inplace_without_grad_and_on_leaf():
    for T in (torch, ember):
        a = T.tensor([-2.0, 0.5, 9.0])
        r = T.nn.functional.relu6(a, inplace=True)
        assert r is a and a.tolist() == [0.0, 0.5, 6.0]
        leaf = T.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError):
            T.nn.functional.elu(leaf, inplace=True)


def test_inplace_on_view():
    def fn(T, x):
        y = x * 1
        T.nn.functional.elu(y[1], inplace=True)
        return y
    check(fn, rand((3, 4), np.float64))


def test_inplace_modules():
    x = rand((3, 4), np.float32)
    for ctor in ["ReLU6(True)", "LeakyReLU(0.1, True)", "ELU(inplace=True)", "SELU(True)",
                 "CELU(inplace=True)", "SiLU(True)", "Mish(True)", "Hardtanh(inplace=True)",
                 "Hardswish(True)", "Hardsigmoid(True)", "Threshold(0.1, 3.0, True)"]:
        def fn(T, x, ctor=ctor):
            y = x * 1
            out = eval(f"T.nn.{ctor}")(y)
            assert out is y
            return out
        check(fn, x)


# -- PReLU and GLU ---------------------------------------------------------------------

@pytest.mark.parametrize("shape,nw", [((2, 3, 4), 3), ((2, 3, 4), 1), ((5, 3), 3), ((5,), 1),
                                      ((), 1), ((2, 3, 2, 2), 3), ((0, 3), 3)])
@pytest.mark.parametrize("dtype", FLOATS)
def test_prelu(shape, nw, dtype):
    x = rand(shape, dtype)
    w = np.random.default_rng(1).uniform(-0.5, 0.5, nw).astype(dtype)
    check(lambda T, x, w: T.nn.functional.prelu(x, w), x, w)


def test_prelu_scalar_weight_and_names():
    x = rand((2, 3), np.float64)
    check(lambda T, x, w: T.nn.functional.prelu(x, w), x, np.array(0.3))
    t = torch.nn.functional.prelu(to_torch(x), to_torch(np.array([0.3])))
    e = ember.nn.functional.prelu(to_ember(x), to_ember(np.array([0.3])))
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__ == "PreluKernelBackward0"


def test_prelu_module():
    for args in [(), (3,), (3, 0.1)]:
        tm, em = torch.nn.PReLU(*args), ember.nn.PReLU(*args)
        assert repr(tm) == repr(em)
        assert list(dict(em.named_parameters())) == ["weight"]
        assert_same(em.weight.detach(), tm.weight.detach())
        assert em.weight.requires_grad
    x = rand((4, 3, 5), np.float32)
    tm, em = torch.nn.PReLU(3), ember.nn.PReLU(3)
    ty = tm(to_torch(x))
    ey = em(to_ember(x))
    assert_same(ey, ty)
    up = rand((4, 3, 5), np.float32, seed=2)
    ty.backward(torch.from_numpy(up))
    ey.backward(ember.from_numpy(up))
    assert_same(em.weight.grad, tm.weight.grad, rtol=1e-5, atol=1e-5)
    e64 = ember.nn.PReLU(2, dtype=ember.float64)
    assert e64.weight.dtype is ember.float64
    assert list(e64.state_dict()) == ["weight"]


@pytest.mark.parametrize("shape,dim", [((4,), -1), ((3, 6), 1), ((4, 2, 3), 0), ((2, 4, 3), -2),
                                       ((2, 0), -1)])
def test_glu(shape, dim):
    check(lambda T, x: T.nn.functional.glu(x, dim), rand(shape, np.float64))
    check(lambda T, x: T.nn.GLU(dim)(x), rand(shape, np.float32))


# -- modules -------------------------------------------------------------------------------

CTORS = ["ReLU()", "ReLU(True)", "ReLU6()", "ReLU6(True)", "LeakyReLU()", "LeakyReLU(0.2, True)",
         "LeakyReLU(negative_slope=1)", "PReLU()", "PReLU(3, 0.1)", "ELU()", "ELU(0.5, True)",
         "ELU(alpha=-1)", "SELU()", "SELU(True)", "CELU()", "CELU(2.0, True)", "GELU()",
         "GELU('tanh')", "SiLU()", "SiLU(True)", "Mish()", "Mish(True)", "Sigmoid()", "Tanh()",
         "Softplus()", "Softplus(2, 10)", "Softplus(beta=0.5)", "Softsign()", "Hardtanh()",
         "Hardtanh(-2, 3.5, True)", "Hardtanh(-2., 3)", "Hardswish()", "Hardswish(True)",
         "Hardsigmoid()", "Hardsigmoid(True)", "Threshold(0.1, 20)", "Threshold(1, 2., True)",
         "LogSigmoid()", "Tanhshrink()", "Softshrink()", "Softshrink(1)", "Hardshrink()",
         "Hardshrink(0.25)", "GLU()", "GLU(1)", "Softmax(1)", "Softmax()", "LogSoftmax(dim=0)",
         "Softmin(-1)", "Softmax2d()"]


@pytest.mark.parametrize("ctor", CTORS)
def test_module_repr_and_attributes(ctor):
    tm = eval(f"torch.nn.{ctor}")
    em = eval(f"ember.nn.{ctor}")
    assert repr(em) == repr(tm)
    public = lambda m: {k: v for k, v in vars(m).items() if not k.startswith("_")}
    assert public(em) == public(tm)


def test_module_repr_nested():
    def build(T):
        return T.nn.Sequential(T.nn.Linear(2, 3), T.nn.GELU("tanh"), T.nn.LeakyReLU(0.1),
                               T.nn.Softplus(2), T.nn.Hardtanh(-2, 2), T.nn.PReLU(3))
    assert repr(build(ember)) == repr(build(torch))


@pytest.mark.parametrize("ctor", [c for c in CTORS if "PReLU" not in c and "Softmax2d" not in c
                                  and "GLU" not in c and "(True" not in c and "True)" not in c
                                  and c not in ("Softmax()",)])
def test_module_forward(ctor):
    x = rand((3, 4), np.float64)
    check(lambda T, x: eval(f"T.nn.{ctor}")(x), x)


def test_softmax2d():
    for shape in [(3, 4, 5), (2, 3, 4, 5)]:
        check(lambda T, x: T.nn.Softmax2d()(x), rand(shape, np.float64))


def test_hardtanh_deprecated_arguments():
    for T in (torch, ember):
        with pytest.warns(FutureWarning, match="min_value"):
            m = T.nn.Hardtanh(min_value=-2.0)
        assert repr(m) == "Hardtanh(min_val=-2.0, max_val=1.0)"
        with pytest.warns(FutureWarning, match="max_value"):
            T.nn.Hardtanh(max_value=2.0)


def test_softmax_implicit_dim_warns():
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="Implicit dimension"):
            T.nn.Softmax()(T.ones(2, 3))


# -- double backward ---------------------------------------------------------------------------

DOUBLE = ["softplus", "softplus_b2_t1", "gelu", "gelu_tanh", "sigmoid", "tanh", "elu", "selu",
          "celu_2", "silu", "mish", "logsigmoid", "hardswish", "leaky_relu", "softshrink",
          "hardtanh", "softsign", "softmin", "relu6", "threshold", "hardshrink"]


def _double(T, fn, x, w, seed=3):
    """Gradient-penalty style: ``g = d fn(x * w) / dx`` with ``create_graph``, then the
    gradient of ``<g, v>`` with respect to ``x`` and ``w``."""
    mk = torch.from_numpy if T is torch else ember.from_numpy
    xt = mk(x.copy()).requires_grad_()
    wt = mk(w.copy()).requires_grad_()
    y = fn(T, xt * wt)
    r = np.random.default_rng(seed)
    u = r.standard_normal(tuple(y.shape))
    v = r.standard_normal(x.shape)
    g, = T.autograd.grad(y, xt, mk(u), create_graph=True)
    gg = T.autograd.grad(g, (xt, wt), mk(v), allow_unused=True)
    return g, gg


def _same_or_zero(e, t):
    if e is None or t is None:  # NOTE: ember leaves out a gradient that is identically zero
        assert not np.any((e if t is None else t).detach().numpy())
        return
    assert_same(e, t, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("name", DOUBLE)
def test_double_backward(name):
    x = rand((4, 5), np.float64)
    w = np.random.default_rng(7).uniform(0.5, 1.5, (5,))
    tg, tgg = _double(torch, ACTS[name], x, w)
    eg, egg = _double(ember, ACTS[name], x, w)
    assert_same(eg, tg)
    for e, t in zip(egg, tgg, strict=True):
        _same_or_zero(e, t)


def test_double_backward_glu_prelu():
    x = rand((3, 4), np.float64)
    w = np.random.default_rng(7).uniform(0.5, 1.5, (4,))
    for fn in [lambda T, x: T.nn.functional.glu(x, 1),
               lambda T, x: T.nn.functional.prelu(x, T.tensor([0.1, -0.2, 0.3, 0.5],
                                                             dtype=T.float64))]:
        tg, tgg = _double(torch, fn, x, w)
        eg, egg = _double(ember, fn, x, w)
        assert_same(eg, tg)
        for e, t in zip(egg, tgg, strict=True):
            _same_or_zero(e, t)


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "elu", "celu_2", "silu", "mish",
                                  "softplus", "logsigmoid"])
def test_gradcheck(name):
    x = np.array([-4.0, -1.3, -0.2, 0.4, 1.7, 3.1])
    gradcheck(ACTS[name], x)


def test_gradcheck_glu():
    gradcheck(lambda T, x: T.nn.functional.glu(x, 0), rand((4, 3), np.float64))


# -- generated inputs ------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                    elements=st.floats(-50, 50, allow_nan=False)),
       name=st.sampled_from(sorted(ACTS)))
def test_generated(x, name):
    if name == "softmin" and x.ndim == 0:
        x = x.reshape(1)
    check(ACTS[name], x)


@settings(max_examples=25, deadline=None)
@given(x=hnp.arrays(np.float32, (6,), elements=st.floats(-30, 30, width=32)),
       beta=st.floats(0.25, 4), threshold=st.floats(0.5, 30))
def test_generated_softplus(x, beta, threshold):
    check(lambda T, x: T.nn.functional.softplus(x, beta, threshold), x, atol=1e-5)
