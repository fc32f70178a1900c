"""torch.autograd.functional (jacobian, hessian, vjp, jvp, vhp, hvp) and gradcheck /
gradgradcheck against PyTorch."""
import re
import warnings

import numpy as np
import pytest

import ember
from diff import assert_same

torch = pytest.importorskip("torch")

R = np.random.default_rng(0)


def arr(*shape, dtype="float64"):
    return R.standard_normal(shape).astype(dtype)


def both(fn, *arrays, **kw):
    """``fn(lib, *tensors)`` in both libraries (tensors made from the same arrays)."""
    tt = [torch.from_numpy(a.copy()) for a in arrays]
    et = [ember.from_numpy(a.copy()) for a in arrays]
    return fn(ember, *et, **kw), fn(torch, *tt, **kw)


def same_error(fn, *arrays):
    with pytest.raises(Exception) as t:
        fn(torch, *[torch.from_numpy(a.copy()) for a in arrays])
    with pytest.raises(type(t.value)) as e:
        fn(ember, *[ember.from_numpy(a.copy()) for a in arrays])
    assert str(e.value) == str(t.value)


# a few functions, written once for both libraries
def f_vec(lib, x):
    return x.sin() * x.sum() + x ** 3


def f_two_in_two_out(lib, x, y):
    return (x @ y).tanh(), (x * 2).sum(0) + y.mean()


def f_scalar(lib, x, y):
    return (x.exp() * y.sum()).sum() + (x ** 2 * y[0]).sum()


# -- jacobian ---------------------------------------------------------------------------------

@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_single_and_tuples(vectorize):
    e, t = both(lambda lib, x: lib.autograd.functional.jacobian(
        lambda a: f_vec(lib, a), x, vectorize=vectorize), arr(3))
    assert_same(e, t)
    e, t = both(lambda lib, x, y: lib.autograd.functional.jacobian(
        lambda a, b: f_two_in_two_out(lib, a, b), (x, y), vectorize=vectorize),
        arr(2, 3), arr(3, 2))
    assert_same(e, t)
    assert isinstance(e, tuple) and isinstance(e[0], tuple) and e[0][1].shape == (2, 2, 3, 2)
    # one input in a tuple, one output: a tuple of one
    e, t = both(lambda lib, x: lib.autograd.functional.jacobian(lambda a: a.cumsum(0), (x,)),
                arr(4))
    assert_same(e, t)
    # an unused input gives zeros
    e, t = both(lambda lib, x, y: lib.autograd.functional.jacobian(lambda a, b: a * 2, (x, y)),
                arr(2), arr(3))
    assert_same(e, t)


def test_jacobian_create_graph_and_forward_mode():
    def f(lib, x):
        jac = lib.autograd.functional.jacobian(lambda a: a ** 3, x, create_graph=True)
        assert jac.requires_grad
        g, = lib.autograd.grad(jac.sum(), x)
        return jac, g
    e, t = both(lambda lib, x: f(lib, x.requires_grad_()), arr(3))
    assert_same(e, t)
    with warnings.catch_warnings():  # (PyTorch's forward mode warns about torch.jit.script)
        warnings.simplefilter("ignore", DeprecationWarning)
        e, t = both(lambda lib, x: lib.autograd.functional.jacobian(
            lambda a: a.exp(), x, vectorize=True, strategy="forward-mode"), arr(3))
    assert_same(e, t)
    # without create_graph the result is detached even for an input that requires grad
    e, t = both(lambda lib, x: lib.autograd.functional.jacobian(
        lambda a: a * x, x.requires_grad_()), arr(2))
    assert not e.requires_grad and not t.requires_grad
    assert_same(e, t)


JACOBIAN_ERRORS = [
    lambda lib, x: lib.autograd.functional.jacobian(lambda a: a, [x]),
    lambda lib, x: lib.autograd.functional.jacobian(lambda a: a, 3.0),
    lambda lib, x: lib.autograd.functional.jacobian(lambda a, b: a, (x, 2)),
    lambda lib, x: lib.autograd.functional.jacobian(lambda a: 2, x),
    lambda lib, x: lib.autograd.functional.jacobian(lambda a: x * 2, x, strict=True),
    lambda lib, x: lib.autograd.functional.jacobian(lambda a, b: a * 2, (x, x), strict=True),
    lambda lib, x: lib.autograd.functional.jacobian(lambda a: a * 2, x, strict=True,
                                                     create_graph=True),
    lambda lib, x: lib.autograd.functional.jacobian(lambda a: a, x, strict=True,
                                                     vectorize=True),
    lambda lib, x: lib.autograd.functional.jacobian(lambda a: a, x, strategy="x"),
    lambda lib, x: lib.autograd.functional.jacobian(lambda a: a, x, strategy="forward-mode"),
    lambda lib, x: lib.autograd.functional.jacobian(lambda a: a, x, strategy="forward-mode",
                                                     create_graph=True),
    lambda lib, x: lib.autograd.functional.jacobian(lambda a: a, x, strategy="forward-mode",
                                                     strict=True),
]


@pytest.mark.parametrize("i", range(len(JACOBIAN_ERRORS)))
def test_jacobian_errors(i):
    same_error(JACOBIAN_ERRORS[i], arr(3))


# -- hessian ----------------------------------------------------------------------------------

@pytest.mark.parametrize("vectorize", [False, True])
def test_hessian(vectorize):
    e, t = both(lambda lib, x: lib.autograd.functional.hessian(
        lambda a: (a.sin() * a.sum()).sum(), x, vectorize=vectorize), arr(3))
    assert_same(e, t)
    e, t = both(lambda lib, x, y: lib.autograd.functional.hessian(
        lambda a, b: f_scalar(lib, a, b), (x, y), vectorize=vectorize), arr(2, 2), arr(3))
    assert_same(e, t)
    assert e[0][1].shape == (2, 2, 3)
    e, t = both(lambda lib, x: lib.autograd.functional.hessian(
        lambda a: (a ** 4).sum(), x.requires_grad_(), create_graph=True), arr(2))
    assert e.requires_grad and t.requires_grad
    assert_same(e, t)


HESSIAN_ERRORS = [
    lambda lib, x: lib.autograd.functional.hessian(lambda a: a ** 2, x),
    lambda lib, x: lib.autograd.functional.hessian(lambda a: (a.sum(), a.sum()), x),
    lambda lib, x: lib.autograd.functional.hessian(lambda a: a.sum() * 2, x, strict=True),
    lambda lib, x: lib.autograd.functional.hessian(lambda a: x.sum(), x, strict=True),
    lambda lib, x: lib.autograd.functional.hessian(lambda a: a.sum(), x,
                                                    outer_jacobian_strategy="x"),
]


@pytest.mark.parametrize("i", range(len(HESSIAN_ERRORS)))
def test_hessian_errors(i):
    same_error(HESSIAN_ERRORS[i], arr(3))


# -- vjp, jvp, vhp, hvp -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["vjp", "jvp"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_jvp(name, create_graph):
    def f(lib, x, y, v1, v2, v3, w):
        fn = getattr(lib.autograd.functional, name)
        x.requires_grad_(create_graph)
        single = fn(lambda a: f_vec(lib, a), x[0], v1, create_graph=create_graph)
        if name == "vjp":
            vs = (v2, v3)
        else:
            vs = (w.reshape(2, 3), w.reshape(3, 2))
        pair = fn(lambda a, b: f_two_in_two_out(lib, a, b), (x.reshape(2, 3), y), vs,
                  create_graph=create_graph)
        scalar = fn(lambda a: (a ** 2).sum(), x[:1, :1].reshape(()), create_graph=create_graph)
        if create_graph:
            assert single[1].requires_grad
        return single, pair, scalar
    e, t = both(f, arr(2, 3), arr(3, 2), arr(3), arr(2, 2), arr(3), arr(6))
    assert_same(e, t)


@pytest.mark.parametrize("name", ["vhp", "hvp"])
def test_vhp_hvp(name):
    def f(lib, x, y, v1, v2):
        fn = getattr(lib.autograd.functional, name)
        one = fn(lambda a: (a.sin() * a.sum()).sum(), x, v1)
        two = fn(lambda a, b: f_scalar(lib, a, b), (x.reshape(3, 1), y), (v1.reshape(3, 1), v2))
        graph = fn(lambda a: (a ** 3).sum(), x.requires_grad_(), v1, create_graph=True)
        assert graph[1].requires_grad
        return one, two, graph
    e, t = both(f, arr(3), arr(2), arr(3), arr(2))
    assert_same(e, t)
    # hvp equals vhp for the symmetric Hessian of a smooth function
    x, v = ember.from_numpy(arr(4)), ember.from_numpy(arr(4))
    f = lambda a: (a.exp() * a.sum()).sum()  # noqa: E731
    np.testing.assert_allclose(ember.autograd.functional.hvp(f, x, v)[1].numpy(),
                               ember.autograd.functional.vhp(f, x, v)[1].numpy(), rtol=1e-12)


PRODUCT_ERRORS = [
    lambda lib, x: lib.autograd.functional.vjp(lambda a: a * 2, x),
    lambda lib, x: lib.autograd.functional.vjp(lambda a: a * 2, x, x[:2]),
    lambda lib, x: lib.autograd.functional.vjp(lambda a: (a, a), x, (x,)),
    lambda lib, x: lib.autograd.functional.vjp(lambda a: (a, a), x, (x, x[:1])),
    lambda lib, x: lib.autograd.functional.vjp(lambda a: x * 2, x, x, strict=True),
    lambda lib, x: lib.autograd.functional.vjp(lambda a: a * 2, x, [x]),
    lambda lib, x: lib.autograd.functional.jvp(lambda a: a * 2, x),
    lambda lib, x: lib.autograd.functional.jvp(lambda a: a * 2, x, x[:1]),
    lambda lib, x: lib.autograd.functional.jvp(lambda a: x * 2, x, x, strict=True),
    lambda lib, x: lib.autograd.functional.jvp(lambda a: a * 2, x, x, strict=True,
                                                create_graph=True),
    lambda lib, x: lib.autograd.functional.vhp(lambda a: a * 2, x, x),
    lambda lib, x: lib.autograd.functional.vhp(lambda a: (a.sum(),), x, x),
    lambda lib, x: lib.autograd.functional.vhp(lambda a: a.sum(), x),
    lambda lib, x: lib.autograd.functional.vhp(lambda a: a.sum() * 2, x, x, strict=True),
    lambda lib, x: lib.autograd.functional.hvp(lambda a: a * 2, x, x),
    lambda lib, x: lib.autograd.functional.hvp(lambda a: a.sum() * 2, x, x, strict=True),
    lambda lib, x: lib.autograd.functional.hvp(lambda a: a.sum(), x, x[:2]),
]


@pytest.mark.parametrize("i", range(len(PRODUCT_ERRORS)))
def test_product_errors(i):
    same_error(PRODUCT_ERRORS[i], arr(3))


def test_products_without_strict_fill_zeros():
    e, t = both(lambda lib, x, y: lib.autograd.functional.vjp(lambda a, b: a * 2, (x, y), x),
                arr(3), arr(2))
    assert_same(e, t)
    e, t = both(lambda lib, x: lib.autograd.functional.jvp(lambda a: (a * 2, x.detach()), x,
                                                           x), arr(3))
    assert_same(e, t)
    e, t = both(lambda lib, x: lib.autograd.functional.hvp(lambda a: a.sum() * 2, x, x),
                arr(3))
    assert_same(e, t)


# -- gradcheck --------------------------------------------------------------------------------

def fn_classes(lib):
    class WrongScale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x * 3

    class WrongSecond(lib.autograd.Function):  # right gradient, wrong second derivative
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * (3 * x.detach() ** 2)

    class Noisy(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2 + lib.randn_like(g) * 1e-9

    class TwoInputs(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return lib.stack([x[0] * y[0], x[1] * y[0], x.sum()])

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            gx = lib.stack([g[0] * y[0] + g[2], g[1] * y[0] + g[2]])
            return gx, (g[:2] * x).sum().reshape(1) * 1.5

    return WrongScale, WrongSecond, Noisy, TwoInputs


X = np.array([1.0, -2.0, 0.5])


def run_check(check, fn_of, *arrays, dtype="float64", **kw):
    """``check(fn_of(lib), inputs, **kw)`` in both libraries: results or error messages."""
    out = []
    for lib in (torch, ember):
        ins = tuple(lib.tensor(a, dtype=getattr(lib, dtype)).requires_grad_() for a in arrays)
        try:
            out.append(("ok", check(lib)(fn_of(lib), ins, **kw)))
        except Exception as exc:  # the behaviour to compare
            out.append((type(exc).__name__, str(exc)))
    assert out[1] == out[0]
    return out[0]


def gc(lib):
    return lib.autograd.gradcheck


def ggc(lib):
    return lib.autograd.gradgradcheck


@pytest.mark.parametrize("fn", [
    lambda lib: lib.sin,
    lambda lib: lambda a: (a.exp() * a.sum(), a[:2] ** 2, a.argmax()),
    lambda lib: lambda a: [a.cumsum(0), a.prod()],
    lambda lib: lambda a: (a * 3).reshape(3, 1) @ a.reshape(1, 3),
])
def test_gradcheck_passes(fn):
    assert run_check(gc, fn, X) == ("ok", True)
    assert run_check(ggc, fn, X) == ("ok", True)


def test_gradcheck_mismatch_message_is_pytorchs():
    kind, msg = run_check(gc, lambda lib: fn_classes(lib)[0].apply, X)
    assert kind == "GradcheckError"
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:")
    kind, msg = run_check(gc, lambda lib: fn_classes(lib)[3].apply, [1.0, 2.0], [3.0])
    assert "output 0 with respect to input 1" in msg
    assert run_check(gc, lambda lib: fn_classes(lib)[0].apply, X,
                     raise_exception=False) == ("ok", False)
    assert run_check(gc, lambda lib: fn_classes(lib)[0].apply, X, atol=10) == ("ok", True)
    # float32 output: the numerical Jacobian in float32
    kind, msg = run_check(gc, lambda lib: lambda a: (a * 2).float(), [1.0, 2.0])
    assert kind == "GradcheckError" and "numerical:tensor([[" in msg


def test_gradgradcheck_finds_a_wrong_second_derivative():
    for lib in (torch, ember):
        lib.manual_seed(0)
    kind, msg = run_check(ggc, lambda lib: fn_classes(lib)[1].apply, X)
    assert kind == "GradcheckError" and "Jacobian mismatch" in msg
    assert run_check(gc, lambda lib: fn_classes(lib)[1].apply, X) == ("ok", True)
    assert run_check(ggc, lambda lib: fn_classes(lib)[1].apply, X,
                     raise_exception=False) == ("ok", False)


def test_gradcheck_nondeterministic_backward():
    kind, msg = run_check(gc, lambda lib: fn_classes(lib)[2].apply, X)
    assert kind == "GradcheckError" and msg.startswith("Backward is not reentrant")
    # within the tolerance, the next check fails: backward is not proportional to grad_output
    assert run_check(gc, lambda lib: fn_classes(lib)[2].apply, X, nondet_tol=1e-6) == \
        ("GradcheckError", "backward not multiplied by grad_output")


def test_gradcheck_input_checks():
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="gradcheck expects at least one input tensor"):
            lib.autograd.gradcheck(lib.sin, (lib.zeros(2, dtype=lib.float64),))
        x = lib.zeros(1, dtype=lib.float64).expand(3).requires_grad_()
        with pytest.raises(RuntimeError, match=re.escape("The 0th input has a dimension with "
                                                         "stride 0.")):
            lib.autograd.gradcheck(lib.sin, (x,))
        with pytest.warns(UserWarning, match=re.escape("Input #0 requires gradient and is not a "
                                                       "double precision floating point")):
            # (and float32 differences are too coarse for the default tolerances)
            assert not lib.autograd.gradcheck(lambda a: a * 2, (lib.ones(2, requires_grad=True),),
                                              raise_exception=False)
        with pytest.raises(AttributeError):
            lib.autograd.gradcheck(lambda a: 3, (lib.ones(2, dtype=lib.float64,
                                                          requires_grad=True),))
        y = lib.ones(2, dtype=lib.float64, requires_grad=True)
        # extra non-tensor arguments pass through; a detached output must have no gradient
        assert lib.autograd.gradcheck(lambda a, s: a * s, (y, 2.0))
        assert lib.autograd.gradcheck(lambda a: (a * 0).detach() + 1, (y,))
    kind, msg = run_check(gc, lambda lib: lambda a: a.detach() * 2, X)
    assert (kind, msg) == ("GradcheckError", "Numerical gradient for function expected to be "
                           "zero")


def test_gradcheck_names():
    from ember.autograd.gradcheck import GradcheckError

    assert issubclass(GradcheckError, RuntimeError)
    import types  # ember.autograd.gradcheck is the function, as in PyTorch, not the module

    assert not isinstance(ember.autograd.gradcheck, types.ModuleType)
    assert callable(ember.autograd.gradcheck) and callable(ember.autograd.gradgradcheck)
    for name in torch.autograd.functional.__all__:
        assert hasattr(ember.autograd.functional, name), name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        assert ember.autograd.gradcheck(ember.nn.functional.softplus, (x,), fast_mode=True)
        assert ember.autograd.gradcheck(ember.sin, (x,), check_forward_ad=True)
        with pytest.raises(NotImplementedError):
            ember.autograd.gradcheck(ember.sin, (x,), check_batched_forward_grad=True)
