"""Differential checks found by randomized fuzzing of creation ops, conversions, activations
(with their gradients) and comparisons: each case runs the same code on ember and on PyTorch
and asserts the same result (``tolist``: every bit, -0.0 included), or the same exception
type and message."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from diff import same  # noqa: E402

NAN, INF = float("nan"), float("inf")


def _try(f):
    try:
        r = f()
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return type(e).__name__, str(e).split("\n")[0]
    if hasattr(r, "tolist"):
        return str(r.dtype), tuple(r.shape), r.requires_grad, r.tolist()
    return r


# -- ranges ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [(0, 5, NAN), (INF, 5, 0), (-0.0, INF, 1), (True, INF, 1),
                                  (10 ** 10, INF, 1), (1 / 3, INF, 1), (1234567.0, -INF, 1),
                                  (0, 5, 1 + 0j), (0, 5, 1 + 1j), (1 + 2j, 3, 1)])
def test_arange_checks_step_first_and_formats_its_bounds(args):
    same(lambda T: _try(lambda: T.arange(*args)))


@pytest.mark.parametrize("dtype", ["int64", "int32", "float64"])
def test_arange_complex_argument_message(dtype):
    same(lambda T: _try(lambda: T.arange(0, 1 + 1j, 1, dtype=getattr(T, dtype))))


@pytest.mark.parametrize("dtype", ["int16", "int32", "int64", "uint8", "bool", "float32"])
@pytest.mark.parametrize("args", [(10, 2.5, 3), (0, 10, 3), (0, 1, 1), (0, 5, 0), (0, NAN, 3),
                                  (INF, 1, 3), (0, 1e10, 3)])
def test_logspace_integer_and_bool_dtypes(dtype, args):
    same(lambda T: _try(lambda: T.logspace(*args, dtype=getattr(T, dtype))))


@pytest.mark.parametrize("dtype", ["int16", "int64", "bool", "float32", "bfloat16"])
@pytest.mark.parametrize("args", [(0, NAN, 3), (INF, 1, 3), (5, 5, 0), (5, 5, 1), (0, 5, 2),
                                  (0, 1 + 1j, 3)])
def test_linspace_refusals(dtype, args):
    same(lambda T: _try(lambda: T.linspace(*args, dtype=getattr(T, dtype))))


@pytest.mark.parametrize("dtype", [None, "int64", "float16", "float64", "bool"])
@pytest.mark.parametrize("args", [(3.7, 2.5, 1), (-1.5, 5, 1), (1, 0, -0.25), (0, 0, 1),
                                  (5, 1, 1), (0, 1, NAN), (0, INF, 1), (2, 2, -1), (1, 4, 1 + 1j),
                                  (0.1, 2.0, 0.1)])
def test_range_as_pytorch_computes_and_refuses(dtype, args):
    step = args[2]
    if dtype in ("int8", "int64") and isinstance(step, float) and step == step and \
            step != int(step):
        pytest.skip("PyTorch divides by a step truncated to 0 (a crash)")

    def run(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _try(lambda: T.range(*args, dtype=None if dtype is None else
                                        getattr(T, dtype)))
    same(run)


# -- random factories -----------------------------------------------------------------------

def test_normal_tensor_mean_number_std_draws_with_the_scale():
    def run(T):
        T.manual_seed(0)
        m = T.tensor([0.3, -1.2, 2.5, 0.7, -3.3])
        a = T.normal(m, 0.7).tolist()
        b = T.normal(m.double(), 1.3).tolist()
        g = T.Generator().manual_seed(5)
        c = T.normal(m.half(), 0.5, generator=g).tolist()
        return a, b, c
    same(run)


@pytest.mark.parametrize("case", ["complex64", "complex128", "int_empty", "int", "neg", "Size"])
def test_normal_with_size(case):
    def run(T):
        T.manual_seed(3)
        f = {"complex64": lambda: T.normal(2.0, 3.0, size=(2, 2), dtype=T.complex64),
             "complex128": lambda: T.normal(2.0, 3.0, (3,), dtype=T.complex128,
                                            requires_grad=True),
             "int_empty": lambda: T.normal(2.0, 3.0, size=(0, 2), dtype=T.int64),
             "int": lambda: T.normal(2.0, 3.0, size=(1, 2), dtype=T.int64),
             "neg": lambda: T.normal(2.0, 3.0, size=(-1, 2)),
             "Size": lambda: T.normal(2.0, 3.0, size=T.Size([2]))}[case]
        return _try(f), T.rand(2).tolist()
    same(run)


@pytest.mark.parametrize("args", [(5, (-2,)), (0, 5, (2, -3)), (3, 1, (-1,))])
def test_randint_negative_size_before_bounds(args):
    same(lambda T: _try(lambda: T.randint(*args)))


@pytest.mark.parametrize("dtype", [None, "int8", "float16"])
def test_randint_like_requires_grad(dtype):
    def run(T):
        T.manual_seed(0)
        kw = {} if dtype is None else {"dtype": getattr(T, dtype)}
        return _try(lambda: T.randint_like(T.zeros(2, 3), 1, 5, requires_grad=True, **kw))
    same(run)


def test_tensor_of_a_lone_numpy_uint64():
    def run(T):
        return (_try(lambda: T.tensor(np.uint64(7))), _try(lambda: T.as_tensor(np.uint64(7))),
                _try(lambda: T.tensor(np.uint64(7), dtype=T.float32)),
                _try(lambda: T.tensor([np.uint64(7), 1])))
    same(run)


@pytest.mark.parametrize("v", [INF, NAN, 2.0 ** 63, 1e19, -1e19, 2.7, -2.7])
def test_int_of_a_complex_tensor(v):
    same(lambda T: _try(lambda: int(T.tensor(v, dtype=T.complex128))))


# -- activations ----------------------------------------------------------------------------

_X = [-20.0, -3.0, -1.0, -0.0, 0.5, NAN, INF, -INF, -1e-3, -0.7]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("op", ["elu_", "selu_", "celu_", "elu", "selu", "celu"])
@pytest.mark.parametrize("alpha", [1.0, 0.001, 20.0])
def test_elu_family_values_and_gradients(dtype, op, alpha):
    def run(T):
        F = T.nn.functional
        dt = getattr(T, dtype)
        x = T.tensor(_X, dtype=dt, requires_grad=True)
        f = {"elu_": lambda v: F.elu_(v, alpha), "selu_": lambda v: F.selu(v, inplace=True),
             "celu_": lambda v: F.celu(v, alpha, inplace=True), "elu": lambda v: F.elu(v, alpha),
             "selu": F.selu, "celu": lambda v: F.celu(v, alpha)}[op]
        y = f(x.clone())
        y.backward(T.linspace(-2, 3, 10, dtype=dt))
        return y.tolist(), x.grad.tolist()
    same(run)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("op", ["leaky", "leaky3", "rrelu", "leaky_", "hardswish", "hardsigmoid"])
def test_half_activation_gradients_round_once(dtype, op):
    def run(T):
        F = T.nn.functional
        T.manual_seed(0)
        x0 = T.cat([T.randn(40) * 4, T.tensor([-3.0, 3.0, -0.0, 0.0, 1e4, -1e4, 2.9, -2.9])])
        x = x0.to(getattr(T, dtype)).requires_grad_()
        f = {"leaky": lambda v: F.leaky_relu(v, 0.001), "leaky3": lambda v: F.leaky_relu(v, -3.),
             "rrelu": lambda v: F.rrelu(v, training=False),
             "leaky_": lambda v: F.leaky_relu_(v.clone(), 0.01),
             "hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid}[op]
        f(x).backward(T.randn(48).to(x.dtype))
        return x.grad.tolist()
    same(run)


def test_hardswish_gradient_is_plus_zero_below_minus_three():
    def run(T):
        x = T.tensor([-5.0, -3.0, -4.0, 1.0], requires_grad=True)
        T.nn.functional.hardswish(x).backward(T.tensor([-1.0, -2.0, 3.0, -1.0]))
        return x.grad.tolist()
    same(run)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("n", [12, 17, 40])
@pytest.mark.parametrize("op", ["relu6", "hardtanh", "softshrink", "hardshrink"])
def test_masking_gradients_at_nan(dtype, n, op):
    # PyTorch's vector code blocks the gradient at NaN, its scalar tail passes it
    def run(T):
        F = T.nn.functional
        x = T.full((n,), NAN, dtype=getattr(T, dtype))
        x[::3] = 2.0
        x[1::5] = 0.25
        x.requires_grad_()
        f = {"relu6": F.relu6, "hardtanh": lambda v: F.hardtanh(v, -2.0, 3.0),
             "softshrink": F.softshrink, "hardshrink": F.hardshrink}[op]
        f(x).backward(T.ones(n, dtype=x.dtype))
        return x.grad.tolist()
    same(run)


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dtype", [None, "float16", "float64"])
def test_softmax_of_a_0d_tensor_backward(op, dtype):
    def run(T):
        x = T.tensor(2.5, requires_grad=True)
        y = getattr(T.nn.functional, op)(x, dim=0, dtype=None if dtype is None else
                                         getattr(T, dtype))
        y.backward(T.tensor(0.7, dtype=y.dtype))
        return y.tolist(), x.grad.tolist(), y.grad_fn.name()
    same(run)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64", "int8", "uint8",
                                   "int64", "complex64"])
@pytest.mark.parametrize("start", [0.1, 2.5, 1 / 3, 38.5, 300, -1.5, 7.7])
def test_linspace_logspace_of_one_or_no_step_fill_without_a_kernel(dtype, start):
    def run(T):
        dt = getattr(T, dtype)
        return (_try(lambda: T.logspace(start, 0, 1, dtype=dt)),
                _try(lambda: T.logspace(start, 0, 1, base=2.5, dtype=dt)),
                _try(lambda: T.linspace(start * 1e3, 0, 1, dtype=dt)),
                _try(lambda: T.linspace(start * 1e3, 1e9, 0, dtype=dt)),
                _try(lambda: T.logspace(start * 1e3, 0, 0, dtype=dt)))
    same(run)


def test_one_step_spaces_of_a_complex_start():
    same(lambda T: (_try(lambda: T.linspace(1 + 2j, 0, 1)), _try(lambda: T.logspace(1 + 2j, 0, 1))))


@pytest.mark.parametrize("v", [1e39, 3.4e38, 1e39 + 1j, 1e300, INF])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_full_complex64_refuses_an_overflowing_value(v, dtype):
    same(lambda T: _try(lambda: T.full((1,), v, dtype=getattr(T, dtype))))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("n", [7, 40])
def test_logsigmoid_half_gradient_from_the_rounded_buffer(dtype, n):
    def run(T):
        T.manual_seed(0)
        x0 = T.cat([T.randn(n) * 4, T.tensor([NAN, INF, -INF, -0.0, 0.0, 20.0, -20.0])])
        x = x0.to(getattr(T, dtype)).requires_grad_()
        y = T.nn.functional.logsigmoid(x)
        y.backward(T.randn(n + 7).to(x.dtype))
        return y.tolist(), x.grad.tolist()
    same(run)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("shape,d", [((4,), 0), ((3, 8), 1), ((6, 5), 0), ((2, 40), -1)])
def test_glu_half_gradient(dtype, shape, d):
    def run(T):
        T.manual_seed(0)
        x = (T.randn(*shape) * 3).to(getattr(T, dtype)).requires_grad_()
        y = T.nn.functional.glu(x, d)
        y.backward(T.randn(y.shape).to(x.dtype))
        return y.tolist(), x.grad.tolist()
    same(run)


# -- conversions ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["int32", "int8", "uint8", "int64", "bool", "float32",
                                   "float16"])
@pytest.mark.parametrize("data", [[1.5, 1 + 2j], [1 + 0j, 2], [1 + 2j], 1 + 2j, [300.0, 1 + 2j],
                                  [1 + 2j, 300.0], [2 ** 63]])
def test_tensor_of_complex_numbers_with_a_real_dtype(dtype, data):
    same(lambda T: _try(lambda: T.tensor(data, dtype=getattr(T, dtype))))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "int8", "uint8"])
def test_fill_of_a_complex_number_names_the_conversion(dtype):
    def run(T):
        dt = getattr(T, dtype)
        return (_try(lambda: T.full((1,), 1 + 2j, dtype=dt)),
                _try(lambda: T.zeros(1, dtype=dt).fill_(1 + 2j)))
    same(run)
