"""Differential checks of small leftovers: vector norms into an expanded ``out=``, the dtypes
that fold's and convolution's CPU kernels refuse, the range factories' refusal of the wide
unsigned dtypes, torch.device's argument errors, polar of half tensors, copy_'s keyword
``non_blocking`` error, weight_norm's deprecation warning location and RAdam's half-precision
steps without NumPy warnings.  Each case runs the same code on ember and PyTorch and asserts
the same result, or the same exception type and message, and the same warnings."""
import os
import warnings

import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from diff import same  # noqa: E402


# -- norms into an expanded out= (reduced over its zero-stride dims too) --------------------

def _x(T):
    return T.arange(24.).reshape(2, 3, 4)


def _into(T, out_shape, shape, fn):
    o = T.zeros(out_shape).expand(shape)
    return fn(T, o), o


EXPANDED_NORMS = {
    "vector_norm": lambda T: _into(T, (1, 1), (2, 3),
                                   lambda T, o: T.linalg.vector_norm(_x(T), dim=2, out=o)),
    "vector_norm_1_rows": lambda T: _into(
        T, (2, 1), (2, 3), lambda T, o: T.linalg.vector_norm(_x(T), ord=1, dim=2, out=o)),
    "vector_norm_inf_cols": lambda T: _into(
        T, (1, 3), (2, 3),
        lambda T, o: T.linalg.vector_norm(_x(T), ord=float("inf"), dim=-1, out=o)),
    "vector_norm_keepdim": lambda T: _into(
        T, (1, 1, 1), (2, 3, 1),
        lambda T, o: T.linalg.vector_norm(_x(T), dim=2, keepdim=True, out=o)),
    "vector_norm_0": lambda T: _into(T, (1, 1), (2, 3),
                                     lambda T, o: T.linalg.vector_norm(_x(T), 0, 2, out=o)),
    "norm_dim": lambda T: _into(T, (1,), (2,),
                                lambda T, o: T.norm(_x(T)[0], dim=1, out=o)),
    "norm_p3_two_dims": lambda T: _into(T, (1,), (2,),
                                        lambda T, o: T.norm(_x(T), p=3, dim=(1, 2), out=o)),
    "matrix_norm_refused": lambda T: _into(T, (1,), (2,),
                                           lambda T, o: T.linalg.matrix_norm(_x(T), out=o)),
    "wrong_dtype": lambda T: _into(
        T, (1, 1), (2, 3),
        lambda T, o: T.linalg.vector_norm(_x(T), dim=2, dtype=T.float64, out=o)),
    "requires_grad": lambda T: _into(
        T, (1, 1), (2, 3),
        lambda T, o: T.linalg.vector_norm(_x(T).requires_grad_(), dim=2, out=o)),
}


@pytest.mark.parametrize("case", sorted(EXPANDED_NORMS))
def test_norm_into_expanded_out(case):
    same(EXPANDED_NORMS[case])


def test_norm_out_requires_grad_names_op():
    same(lambda T: T.linalg.vector_norm(_x(T).requires_grad_(), dim=2, out=T.zeros(2, 3)))


# -- dtypes the CPU kernels refuse --------------------------------------------------------

KERNEL_DTYPES = {
    "fold_long": lambda T: T.nn.functional.fold(T.ones(1, 4, 4, dtype=T.int64), (3, 3), 2),
    "fold_int": lambda T: T.nn.functional.fold(T.ones(1, 4, 4, dtype=T.int32), (3, 3), 2),
    "fold_bool": lambda T: T.nn.functional.fold(T.ones(1, 4, 4, dtype=T.bool), (3, 3), 2),
    "conv1d_bool": lambda T: T.nn.functional.conv1d(T.ones(1, 2, 5, dtype=T.bool),
                                                    T.ones(2, 2, 2, dtype=T.bool)),
    "conv2d_bool_groups": lambda T: T.nn.functional.conv2d(
        T.ones(1, 2, 5, 5, dtype=T.bool), T.ones(2, 1, 2, 2, dtype=T.bool), groups=2),
    "conv3d_bool": lambda T: T.nn.functional.conv3d(T.ones(1, 2, 4, 4, 4, dtype=T.bool),
                                                    T.ones(2, 2, 2, 2, 2, dtype=T.bool)),
    "conv2d_int_dilated": lambda T: T.nn.functional.conv2d(
        T.ones(1, 2, 5, 5, dtype=T.int32), T.ones(2, 2, 2, 2, dtype=T.int32), dilation=2),
    "conv3d_uint8_dilated": lambda T: T.nn.functional.conv3d(
        T.ones(1, 2, 4, 4, 4, dtype=T.uint8), T.ones(2, 2, 2, 2, 2, dtype=T.uint8),
        dilation=2),
    "conv2d_long_dilated": lambda T: T.nn.functional.conv2d(
        T.ones(1, 2, 5, 5, dtype=T.int64), T.ones(2, 2, 2, 2, dtype=T.int64), dilation=2),
    "conv2d_int": lambda T: T.nn.functional.conv2d(T.ones(1, 2, 5, 5, dtype=T.int32),
                                                   T.ones(2, 2, 2, 2, dtype=T.int32)),
    "conv1d_bool_float_weight": lambda T: T.nn.functional.conv1d(
        T.ones(1, 2, 5, dtype=T.bool), T.ones(2, 2, 2)),
    "conv1d_int_float_weight": lambda T: T.nn.functional.conv1d(
        T.ones(1, 2, 5, dtype=T.int32), T.ones(2, 2, 2)),
    "conv2d_bool_empty_batch": lambda T: T.nn.functional.conv2d(
        T.ones(0, 2, 5, 5, dtype=T.bool), T.ones(2, 2, 2, 2, dtype=T.bool)).shape,
}


@pytest.mark.parametrize("case", sorted(KERNEL_DTYPES))
def test_kernel_dtypes(case):
    same(KERNEL_DTYPES[case])


# -- range factories and the wide unsigned dtypes -----------------------------------------

RANGES = {
    "arange": lambda T, dt: T.arange(12, dtype=dt),
    "arange_step": lambda T, dt: T.arange(0, 12, 2, dtype=dt),
    "arange_out": lambda T, dt: T.arange(5, out=T.empty(0, dtype=dt)),
    "linspace": lambda T, dt: T.linspace(0, 10, 5, dtype=dt),
    "linspace_one": lambda T, dt: T.linspace(0, 10, 1, dtype=dt),
    "linspace_out": lambda T, dt: T.linspace(0, 10, 3, out=T.empty(0, dtype=dt)),
    "logspace": lambda T, dt: T.logspace(0, 2, 3, dtype=dt),
    "logspace_one": lambda T, dt: T.logspace(0, 2, 1, dtype=dt),
    "range": lambda T, dt: T.range(0, 3, dtype=dt),
    "full": lambda T, dt: T.full((2,), 3, dtype=dt),
    "ones": lambda T, dt: T.ones(2, dtype=dt),
    "eye": lambda T, dt: T.eye(2, 3, dtype=dt),
    "eye_empty": lambda T, dt: T.eye(0, dtype=dt),
    "eye_out": lambda T, dt: T.eye(2, out=T.empty(0, dtype=dt)),
}


@pytest.mark.parametrize("dt", ["uint16", "uint32", "uint64"])
@pytest.mark.parametrize("case", sorted(RANGES))
def test_wide_unsigned_ranges(case, dt):
    same(lambda T: RANGES[case](T, getattr(T, dt)))


@pytest.mark.parametrize("case", ["eye", "eye_empty", "eye_out"])
def test_eye_bits(case):
    same(lambda T: RANGES[case](T, T.bits8))


# -- torch.device's argument errors -------------------------------------------------------

DEVICES = {
    "index_device": lambda T: T.device("cuda", T.device("cpu")),
    "index_dtype": lambda T: T.device("cpu", T.float32),
    "type_device_with_index": lambda T: T.device(T.device("cpu"), 0),
    "type_device_with_none": lambda T: T.device(T.device("cpu"), None),
    "type_device": lambda T: T.device(T.device("cpu")),
    "index_none": lambda T: T.device("cpu", None),
}


@pytest.mark.parametrize("case", sorted(DEVICES))
def test_device_args(case):
    same(DEVICES[case])


# -- polar of half tensors, copy_'s non_blocking ------------------------------------------

def test_polar_half():
    a = (lambda T: T.ones(2, dtype=T.half))
    same(lambda T: T.polar(a(T), a(T)), warns=False)  # (a warning once a process)
    same(lambda T: T.polar(a(T), T.ones(2)))


COPY = {
    "keyword_int": lambda T: T.zeros(2).copy_(T.ones(2), non_blocking=1),
    "keyword_str": lambda T: T.zeros(2).copy_(T.ones(2), non_blocking="a"),
    "positional_int": lambda T: T.zeros(2).copy_(T.ones(2), 1),
    "positional_bool": lambda T: T.zeros(2).copy_(T.ones(2), True),
}


@pytest.mark.parametrize("case", sorted(COPY))
def test_copy_non_blocking(case):
    same(COPY[case])


# -- weight_norm's deprecation warning: at the library's line, so shown once a process ------

def test_weight_norm_warning_location():
    where = {}
    for T in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            T.nn.utils.weight_norm(T.nn.Linear(3, 2))
        (w,) = [w for w in caught if w.category is FutureWarning]
        where[T.__name__] = (os.path.basename(w.filename), str(w.message))
    assert where["ember"] == where["torch"]


# -- RAdam on half parameters with zero gradients: no NumPy warnings ----------------------

@pytest.mark.parametrize("foreach", [False, True])
def test_radam_half_zero_grad(foreach):
    def run(T):
        p = T.nn.Parameter(T.tensor([0.0, 1.0, 2.0], dtype=T.float16))
        opt = T.optim.RAdam([p], lr=1e-2, foreach=foreach)
        for _ in range(7):
            opt.zero_grad()
            (p * T.tensor([0.0, 1.0, 0.5], dtype=T.float16)).sum().backward()
            opt.step()
        return p.detach()
    same(run)


# -- linalg.norm / matrix_norm out=: PyTorch's composite forms copy into out (CopyBackwards) ---

def _grad_out(T, fn, out):
    x = _x(T).requires_grad_()
    r = fn(T, x, out)
    grad = None
    if r.requires_grad:
        r.sum().backward()
        grad = x.grad
    return r, out, grad


COPIED_OUT = {
    "linalg_norm_vector": lambda T: _grad_out(
        T, lambda T, x, o: T.linalg.norm(x, dim=2, out=o), T.zeros(2, 3)),
    "linalg_norm_resized": lambda T: _grad_out(
        T, lambda T, x, o: T.linalg.norm(x, dim=2, out=o), T.zeros(5)),
    "matrix_norm": lambda T: _grad_out(
        T, lambda T, x, o: T.linalg.matrix_norm(x, out=o), T.zeros(2)),
    "matrix_norm_1": lambda T: _grad_out(
        T, lambda T, x, o: T.linalg.matrix_norm(x, ord=1, out=o), T.zeros(2)),
    "norm_nuc": lambda T: _grad_out(  # (the sum of singular values: its node, not its grad)
        T, lambda T, x, o: T.norm(x, p="nuc", dim=(1, 2), out=o).detach(), T.zeros(2))[1],
    "matrix_norm_wrong_dtype": lambda T: _grad_out(
        T, lambda T, x, o: T.linalg.matrix_norm(x, out=o), T.zeros(2, dtype=T.float64)),
    "matrix_norm_leaf_out": lambda T: _grad_out(
        T, lambda T, x, o: T.linalg.matrix_norm(x, out=o), T.zeros(2, requires_grad=True)),
    "norm_fro_refused": lambda T: _grad_out(
        T, lambda T, x, o: T.norm(x, dim=2, out=o), T.zeros(2, 3)),
}


@pytest.mark.parametrize("case", sorted(COPIED_OUT))
def test_composite_norm_out_with_grad(case):
    same(COPIED_OUT[case])
