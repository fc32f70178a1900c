"""Review of the integer/promotion/hook work against PyTorch: c10's checked conversion of a
floating Scalar (``alpha``, ``lerp``'s weight, ``addcmul``/``addcdiv``'s value) into the
type a kernel takes it in, a complex weight with no imaginary part, the in-place
addcmul_/addcdiv_/lerp_/clamp_ checks' common paths, and no NumPy warning on a half
addcmul that overflows."""
import warnings

import numpy as np
import pytest
import torch

import ember
from diff import bits_outcome, same_bits


_run, _check = bits_outcome, same_bits


def _xy(t, dt="float32"):
    d = getattr(t, dt)
    return (t.tensor([1.0, -2.0, 0.25], dtype=d), t.tensor([0.5, 4.0, -1.0], dtype=d))


ALPHAS = [1e10, 70000.0, 65504.0, 65519.0, 3.39e38, 3.4e38, 1e300, -1e300, float("inf"),
          100000, 2.5]


@pytest.mark.parametrize("dt", ["float16", "bfloat16", "float32", "float64", "complex64"])
@pytest.mark.parametrize("alpha", ALPHAS)
def test_alpha_conversion(dt, alpha):
    _check(lambda t: t.add(*_xy(t, dt), alpha=alpha))
    _check(lambda t: t.sub(*_xy(t, dt), alpha=alpha))
    _check(lambda t: t.rsub(*_xy(t, dt), alpha=alpha))
    _check(lambda t: _xy(t, dt)[0].add_(_xy(t, dt)[1], alpha=alpha))


@pytest.mark.parametrize("dt", ["float16", "bfloat16", "float32", "float64", "complex64"])
@pytest.mark.parametrize("value", [1e10, 3.4e38, 1e39, 1e300, -1e300, 0.5, 1 + 0j, 1 + 1j,
                                   1e300j])
def test_lerp_addc_value_conversion(dt, value):
    _check(lambda t: t.lerp(*_xy(t, dt), value))
    _check(lambda t: _xy(t, dt)[0].lerp_(_xy(t, dt)[1], value))
    if not isinstance(value, complex) or dt == "complex64":
        _check(lambda t: t.addcmul(*_xy(t, dt), _xy(t, dt)[1], value=value))
        _check(lambda t: t.addcdiv(*_xy(t, dt), _xy(t, dt)[1], value=value))
        _check(lambda t: _xy(t, dt)[0].addcmul_(_xy(t, dt)[1], _xy(t, dt)[1], value=value))
        _check(lambda t: _xy(t, dt)[0].addcdiv_(_xy(t, dt)[1], _xy(t, dt)[1], value=value))


def test_zero_d_tensor_alpha_and_out_order():
    _check(lambda t: t.add(*_xy(t), alpha=t.tensor(1e300, dtype=t.float64)))
    _check(lambda t: t.addcdiv(*_xy(t), _xy(t)[1], value=t.tensor(1e300, dtype=t.float64)))
    # (out='s cast check and resize come before the kernel's conversion of alpha)
    _check(lambda t: t.add(*_xy(t), alpha=1e300, out=t.empty(3, dtype=t.int64)))
    _check(lambda t: t.add(*_xy(t), alpha=1e300, out=t.empty(5)))
    _check(lambda t: t.add(*_xy(t), alpha=1e300, out=t.empty(3)))


def test_half_addcmul_overflow_no_warning():
    a, b = _xy(ember, "float16")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = ember.addcmul(a, b, b, value=1e10)
    assert r.tolist() == torch.addcmul(*_xy(torch, "float16"), _xy(torch, "float16")[1],
                                       value=1e10).tolist()


@pytest.mark.parametrize("case", [
    lambda t: t.ones(4, 3).addcmul_(t.ones(4, 3) * 2, t.ones(4, 3) * 3, value=0.5),
    lambda t: t.ones(4, 3).addcmul_(t.ones(3) * 2, t.ones(4, 3) * 3, value=0.5),
    lambda t: t.ones(3).addcmul_(t.ones(4, 3), t.ones(4, 3)),
    lambda t: t.ones(4, 3).addcdiv_(t.ones(4, 3), t.ones(4, 3) * 4, value=-2),
    lambda t: t.ones(4, 3).addcdiv_(t.ones(4, 3, dtype=t.int64), t.ones(4, 3, dtype=t.int64)),
    lambda t: t.ones(4, 3, dtype=t.int64).addcmul_(t.ones(4, 3, dtype=t.int64),
                                                   t.ones(4, 3, dtype=t.int64), value=2),
    lambda t: t.ones(4, 3, dtype=t.int64).addcmul_(t.ones(4, 3), t.ones(4, 3)),
    lambda t: t.ones(4, 3).addcmul_(t.ones(4, 3), t.ones(4, 3), value=1 + 1j),
    lambda t: t.ones(4, 3).lerp_(t.zeros(4, 3), 0.25),
    lambda t: t.ones(3).lerp_(t.zeros(4, 3), 0.25),
    lambda t: t.ones(4, 3).lerp_(t.zeros(4, 3), t.full((4, 3), 0.75)),
    lambda t: t.ones(4, 3).lerp_(t.zeros(3), t.full((2, 1, 1), 0.75)),
    lambda t: t.arange(6.).clamp_(1, 4),
    lambda t: t.arange(6.).clamp_(t.tensor(1.), 4),
    lambda t: t.arange(6).clamp_(t.tensor(1.5), 4),
    lambda t: t.arange(6.).clamp_(min=t.ones(5)),
    lambda t: t.clamp_(t.arange(6.), 1, 4),
    lambda t: t.arange(6.).clamp(min=t.tensor(2.), max=3),
])
def test_inplace_common_paths(case):
    _check(case)


@pytest.mark.parametrize("base", [1, 2, 1.0, True])
@pytest.mark.parametrize("grad", [True, False])
def test_pow_number_out_requires_grad(base, grad):
    def f(t):
        e = t.tensor([0.5, 2.0, -1.0], requires_grad=grad)
        return t.pow(base, e, out=t.empty(3))
    _check(f)

    def g(t):
        e = t.tensor([0.5, 2.0, -1.0], requires_grad=True)
        with t.no_grad():
            return t.pow(base, e, out=t.empty(3))
    _check(g)


def test_numpy_complex64_number_warning_points_at_caller():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = ember.mul(np.complex64(1 + 1j), 2)
    assert r.item() == torch.mul(torch.tensor(1.0), 2).item() and r.dtype == ember.float32
    assert [x.category for x in w] == [np.exceptions.ComplexWarning]
    assert w[0].filename == __file__
