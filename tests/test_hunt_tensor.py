"""Tensor-API cases found by a differential hunt (NumPy interplay, conversions, overflow
checks, creation and reduction corners, memory formats), each compared with PyTorch: the
printed result, or the exception's type and message."""
import warnings

import numpy as np
import pytest

import ember
from diff import torch


def outcome(fn, lib):
    """``repr`` of ``fn(lib)``, or the exception's type name and message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return repr(fn(lib))
    except Exception as exc:  # noqa: BLE001 - the exception is the result compared
        return f"{type(exc).__name__}: {exc}"


def same(fn):
    assert outcome(fn, ember) == outcome(fn, torch)


NUMPY = {
    "np_array_copies": lambda T: (lambda x: (np.array(x).__setitem__(0, 7), x)[1])(
        T.arange(3.)),
    "np_asarray_shares": lambda T: (lambda x: (np.asarray(x).__setitem__(0, 7), x)[1])(
        T.arange(3.)),
    "tensor_negative_strides": lambda T: T.tensor(np.arange(6).reshape(2, 3)[:, ::-1]),
    "as_tensor_negative_strides": lambda T: T.as_tensor(np.arange(3)[::-1]),
    "tensor_of_list_of_reversed": lambda T: T.tensor([np.arange(3)[::-1]]),
}


@pytest.mark.parametrize("name", sorted(NUMPY))
def test_numpy_interplay(name):
    same(NUMPY[name])


def test_unsupported_numpy_dtype_named():
    # (PyTorch's list of supported dtypes is longer: ember lacks complex and uint16-64)
    for T in (ember, torch):
        with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.str_"):
            T.from_numpy(np.array(["a"]))


def test_str_dtype_refused():
    for T in (ember, torch):
        with pytest.raises(TypeError, match="argument 'dtype' must be torch.dtype, not str"):
            T.zeros(2, dtype="float32")


PROTOCOL = {
    "contains_broadcast_error": lambda T: T.tensor([3, 4]) in T.tensor([1, 2, 3]),
    "contains_scalar": lambda T: 3 in T.tensor([1, 2, 3]),
    "reversed": lambda T: list(reversed(T.tensor([1, 2, 3]))),
    "reversed_2d": lambda T: reversed(T.tensor([[1, 2], [3, 4]])),
    "reversed_0d": lambda T: reversed(T.tensor(3)),
}


@pytest.mark.parametrize("name", sorted(PROTOCOL))
def test_python_protocol(name):
    same(PROTOCOL[name])


OVERFLOW_DTYPES = ["uint8", "int8", "int16", "int32", "float16", "bfloat16", "float32"]
OVERFLOW_VALUES = [300, 100000, 2 ** 40, -1, 1e39, float("nan")]
OVERFLOW_OPS = {
    "tensor": lambda T, v, d: T.tensor(v, dtype=d),
    "list": lambda T, v, d: T.tensor([v], dtype=d),
    "full": lambda T, v, d: T.full((1,), v, dtype=d),
    "fill_": lambda T, v, d: T.zeros(1, dtype=d).fill_(v),
    "setitem": lambda T, v, d: (lambda z: (z.__setitem__(0, v), z)[1])(T.zeros(1, dtype=d)),
    "new_full": lambda T, v, d: T.zeros(1, dtype=d).new_full((1,), v),
    "masked_fill": lambda T, v, d: T.zeros(1, dtype=d).masked_fill(T.tensor([True]), v),
    "index_fill": lambda T, v, d: T.zeros(1, dtype=d).index_fill(0, T.tensor([0]), v),
    "clamp": lambda T, v, d: T.zeros(1, dtype=d).clamp(max=v),
    "where": lambda T, v, d: T.where(T.tensor([True]), T.zeros(1, dtype=d), v),
}


@pytest.mark.parametrize("op", sorted(OVERFLOW_OPS))
@pytest.mark.parametrize("dtype", OVERFLOW_DTYPES)
def test_scalar_overflow_checks(op, dtype):
    for v in OVERFLOW_VALUES:
        same(lambda T: OVERFLOW_OPS[op](T, v, getattr(T, dtype)))


def test_fill_with_tensor_value_wraps():
    same(lambda T: T.zeros(1, dtype=T.uint8).fill_(T.tensor(300)))
    same(lambda T: T.zeros(1, dtype=T.float16).fill_(T.tensor(1e39, dtype=T.float64)))


MISC = {
    "clamp_inplace_int_float": lambda T: T.ones(2, dtype=T.int64).clamp_(0.5, 1.5),
    "clamp_inplace_uint8": lambda T: T.ones(2, dtype=T.uint8).clamp_(min=0.5),
    "clamp_min_inplace_int": lambda T: T.ones(2, dtype=T.int32).clamp_min_(0.5),
    "clamp_inplace_tensor_bound": lambda T: T.ones(2, dtype=T.int64).clamp_(T.tensor(0.5)),
    "promote_types_str": lambda T: T.promote_types("float", T.int32),
    "promote_types_py": lambda T: T.promote_types(T.int32, float),
    "can_cast_str": lambda T: T.can_cast(T.int32, "float"),
    "can_cast_py": lambda T: T.can_cast(float, T.int32),
    "device_float64": lambda T: T.device("float64"),
    "device_cuda0": lambda T: T.device("cuda0"),
    "device_empty": lambda T: T.device(""),
    "to_str_dtype": lambda T: T.ones(2).to("float64"),
    "mean_int_dtype": lambda T: T.tensor([1.0, 2.0]).mean(dtype=T.int64),
    "nanmean_int": lambda T: T.tensor([1, 2]).nanmean(),
    "nanmean_dtype": lambda T: T.tensor([1.0, float("nan")]).nanmean(dtype=T.float64),
    "bincount_float": lambda T: T.tensor([1.0]).bincount(),
    "bincount_bool": lambda T: T.tensor([True]).bincount(),
    "isclose_dtypes": lambda T: T.isclose(T.tensor([1]), T.tensor([1.0])),
    "allclose_shapes": lambda T: T.allclose(T.tensor([1.0, 2.0]), T.tensor([1.0, 2, 3])),
    "median_bool": lambda T: T.tensor([True, False]).median(),
    "median_dim_bool": lambda T: T.tensor([True, False]).median(0),
    "topk_bool": lambda T: T.tensor([True, False]).topk(1),
    "kthvalue_bool": lambda T: T.tensor([True, False]).kthvalue(1),
    "histc_half": lambda T: T.histc(T.tensor([0, 1 / 3, 2 / 3, 1.0], dtype=T.float16), bins=3),
    "histc_bf16": lambda T: T.histc(T.tensor([0, 1 / 3, 2 / 3, 1.0], dtype=T.bfloat16), bins=3),
    "print_huge_range": lambda T: T.tensor([1e300, 1e-300], dtype=T.float64),
}


@pytest.mark.parametrize("name", sorted(MISC))
def test_misc(name):
    same(MISC[name])


CREATION = {
    "int_tensors_in_list": lambda T: T.tensor([T.tensor([1, 2]), T.tensor([3, 4])]),
    "bool_tensors_in_list": lambda T: T.tensor([T.tensor([True, False])]),
    "float_tensors_in_list": lambda T: T.tensor([T.tensor([1.0, 2.0])]),
    "tensor_row_in_list": lambda T: T.tensor([[3, 4], T.tensor([1, 2])]),
    "tensor_rows_in_list": lambda T: T.tensor([[[1, 2]], T.tensor([[3, 4]])]),
    "scalar_tensor_row": lambda T: T.tensor([[1, 2], T.tensor(3)]),
    "huge_int_to_float": lambda T: T.tensor([2 ** 70], dtype=T.float32),
    "arange_int64_float_step": lambda T: T.arange(0, 1, 0.3, dtype=T.int64),
    "arange_int32_float_step": lambda T: T.arange(0, 1, 0.3, dtype=T.int32),
    "arange_int64_truncates": lambda T: T.arange(0.5, 3.7, 1, dtype=T.int64),
    "arange_int32_float_bounds": lambda T: T.arange(0.5, 3.7, 1, dtype=T.int32),
    "arange_int64_negative": lambda T: T.arange(-2.5, 2.5, 1, dtype=T.int64),
    "arange_bool": lambda T: T.arange(True),
    "legacy_float": lambda T: T.Tensor(3.5),
    "legacy_bool": lambda T: T.Tensor(True),
    "legacy_np_float": lambda T: T.FloatTensor(np.float32(2)),
    "legacy_none": lambda T: T.LongTensor(None),
    "legacy_size": lambda T: T.Tensor(T.Size([2, 3])).shape,
    "scalar_tensor": lambda T: T.scalar_tensor(3),
    "scalar_tensor_dtype": lambda T: T.scalar_tensor(True, dtype=T.int32),
    "meshgrid_2d": lambda T: T.meshgrid(T.tensor([[1]]), T.tensor([1]), indexing="ij")[0].shape,
    "meshgrid_dtypes": lambda T: T.meshgrid(T.tensor([1]), T.tensor([1.0]), indexing="ij"),
    "meshgrid_empty": lambda T: T.meshgrid(indexing="ij"),
    "meshgrid_bad_indexing": lambda T: T.meshgrid(T.tensor([1]), indexing="foo"),
}


@pytest.mark.parametrize("name", sorted(CREATION))
def test_creation(name):
    fn = CREATION[name]
    if name == "meshgrid_2d":  # (PyTorch prints the tensor the C++ way in this message)
        with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor"):
            fn(ember)
        with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor"):
            fn(torch)
        return
    same(fn)


SHAPES = {
    "expand_last_dim_reported": lambda T: T.zeros(2, 2).expand(4, 4),
    "expand_new_dims": lambda T: T.zeros(2, 2).expand(2, 3, 4),
    "broadcast_shapes_error": lambda T: T.broadcast_shapes((3, 1), (2, 2)),
    "broadcast_shapes_error_3": lambda T: T.broadcast_shapes((1, 2, 3), (5, 1, 4)),
    "broadcast_shapes": lambda T: T.broadcast_shapes((2, 1), (3,), 1),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes(name):
    same(SHAPES[name])


MEMORY_FORMATS = {
    "repr": lambda T: (T.channels_last, T.contiguous_format, T.preserve_format,
                       T.channels_last_3d),
    "contiguous_cl": lambda T: T.zeros(2, 3, 4, 5).contiguous(
        memory_format=T.channels_last).stride(),
    "is_contiguous_cl": lambda T: (lambda y: (y.is_contiguous(), y.is_contiguous(
        memory_format=T.channels_last)))(T.zeros(2, 3, 4, 5).to(memory_format=T.channels_last)),
    "to_cl_stride": lambda T: T.zeros(2, 3, 4, 5).to(memory_format=T.channels_last).stride(),
    "clone_cl": lambda T: T.zeros(2, 3, 4, 5).clone(memory_format=T.channels_last).stride(),
    "cl_op_keeps_layout": lambda T: (T.zeros(2, 3, 4, 5).contiguous(
        memory_format=T.channels_last) + 1).stride(),
    "empty_like_cl": lambda T: T.empty_like(T.zeros(2, 3, 4, 5),
                                            memory_format=T.channels_last).stride(),
    "cl_rank_error": lambda T: T.zeros(2, 3, 4).contiguous(memory_format=T.channels_last),
    "cl3d": lambda T: T.zeros(1, 2, 3, 4, 5).contiguous(
        memory_format=T.channels_last_3d).stride(),
    "clone_contiguous": lambda T: T.arange(12.).reshape(3, 4).t().clone(
        memory_format=T.contiguous_format).stride(),
    "clone_preserve": lambda T: T.arange(12.).reshape(3, 4).t().clone(
        memory_format=T.preserve_format).stride(),
    "values_kept": lambda T: T.arange(24.).reshape(1, 2, 3, 4).contiguous(
        memory_format=T.channels_last),
}


@pytest.mark.parametrize("name", sorted(MEMORY_FORMATS))
def test_memory_formats(name):
    same(MEMORY_FORMATS[name])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_comparisons_round_the_scalar(dtype):
    # PyTorch compares in the half type: float16 0.3 == 0.3 is True
    for v in [0.3, 0.1, 1 / 3, 70000.0, 65519.0, 2, float("inf")]:
        for op in ["__eq__", "__lt__", "__ge__", "__ne__"]:
            same(lambda T: getattr(T.tensor([0.3, 0.1, 1 / 3, 65504, 2.0],
                                            dtype=getattr(T, dtype)), op)(v))
    same(lambda T: T.tensor([0.1], dtype=getattr(T, dtype)) == T.tensor(0.1))


def test_bfloat16_overflow_to_half_is_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = ember.tensor([3e38], dtype=ember.bfloat16).to(ember.float16)
        assert repr(ember.tensor([1e300, 1e-300], dtype=ember.float64))
    assert repr(e) == repr(torch.tensor([3e38], dtype=torch.bfloat16).to(torch.float16))


@pytest.mark.parametrize("shape", [(2,), (2, 3), (2, 2, 2)])
def test_conjugate_transpose_property(shape):
    same(lambda T: T.ones(shape, requires_grad=True).H)


INPLACE = {
    "logical_and_": lambda T: T.tensor([1.0, 0, 3]).logical_and_(T.tensor([1, 1, 0])),
    "logical_or_scalar": lambda T: T.tensor([True, False]).logical_or_(1),
    "logical_xor_": lambda T: T.tensor([True, False]).logical_xor_(T.tensor([True, True])),
    "bitwise_and_": lambda T: T.tensor([5, 6]).bitwise_and_(3),
    "bitwise_or_": lambda T: T.tensor([5, 6]).bitwise_or_(T.tensor([1, 1])),
    "bitwise_xor_": lambda T: T.tensor([True, False]).bitwise_xor_(T.tensor([True, True])),
    "bitwise_not_": lambda T: T.tensor([1, 0]).bitwise_not_(),
    "bitwise_left_shift_": lambda T: T.tensor([1, 2]).bitwise_left_shift_(2),
    "bool_shift": lambda T: T.tensor([True, False]) << T.tensor([True, True]),
    "bool_rshift": lambda T: T.tensor([True, False]) >> 1,
    "copy_list": lambda T: T.zeros(2).copy_([1, 2]),
    "copy_number": lambda T: T.zeros(2).copy_(3),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_methods(name):
    same(INPLACE[name])
