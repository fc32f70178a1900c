"""Differential checks of tensor wrangling as data-science and research code does it
(metrics, reshaping and stacking idioms, padding, NumPy and Python interop, dtype
conversions): each case runs the same code on ember and on PyTorch and asserts the same
printed result or the same exception type and message."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from diff import same  # noqa: E402


@pytest.mark.parametrize("call", [
    lambda T, x: T.where(x > 0, x), lambda T, x: T.where(x > 0, x, None),
    lambda T, x: T.where(x > 0, 1, None), lambda T, x: T.where(x > 0, None, x),
    lambda T, x: T.where(x > 0, 2.5, None), lambda T, x: T.where(x > 0, 1, 0),
    lambda T, x: T.where(x > 0), lambda T, x: T.where(x > 0, x, 0.5),
])
def test_where_with_one_of_the_pair_missing_is_the_parsers_type_error(call):
    same(lambda T: call(T, T.tensor([1., -2.])))


@pytest.mark.parametrize("minlength", [-1, 0, 5])
def test_bincount_refuses_a_negative_minlength(minlength):
    same(lambda T: T.bincount(T.tensor([1, 1, 3]), minlength=minlength))
    same(lambda T: T.bincount(T.tensor([], dtype=T.long), minlength=minlength))


def test_confusion_matrix_and_per_class_precision():
    def cm(T):
        t, p, n = T.tensor([0, 1, 2, 2, 1]), T.tensor([0, 2, 2, 2, 0]), 4
        m = T.bincount(n * t + p, minlength=n * n).reshape(n, n)
        return m, m.diag() / m.sum(0), m.diag().float() / m.sum(1)
    same(cm)


@pytest.mark.parametrize("args", [(0, 2, -1), (0, -3, -1), (1, 0, 1), (-2, 0, 1), (0, 10, 0),
                                  (0, -10, 0), (0, 8, 3), (0, -11, 3), (0, 2.0, 1),
                                  (0, True, 1), (0, 2, 3)])
def test_narrow_copy_has_its_own_checks(args):
    same(lambda T: T.arange(10).narrow_copy(*args))


def test_narrow_copy_backward_node_and_layout():
    def run(T):
        x = T.arange(12.).view(3, 4).t().requires_grad_()
        y = T.narrow_copy(x, 0, 1, 2)
        g, = T.autograd.grad(y.pow(2).sum(), x, create_graph=True)
        return y, y.stride(), y.grad_fn.name(), g, g.grad_fn.name()
    same(run)
    same(lambda T: T.tensor(1).narrow_copy(0, 0, 1))


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack", "row_stack",
                                  "cat", "stack"])
@pytest.mark.parametrize("arg", ["empty", "int_item", "int_first", "0d"])
def test_stacking_refusals(name, arg):
    def run(T):
        a = T.arange(2)
        x = {"empty": [], "int_item": [a, 1], "int_first": [1, a],
             "0d": [T.tensor(1), T.tensor(2)]}[arg]
        return getattr(T, name)(x)
    same(run)


@pytest.mark.parametrize("name", ["block_diag", "cartesian_prod", "broadcast_tensors"])
@pytest.mark.parametrize("how", ["list", "tuple", "int_item", "none"])
def test_variadic_tensor_functions_take_no_list(name, how):
    def run(T):
        a, b = T.arange(2), T.arange(3)
        args = {"list": ([a, b],), "tuple": ((a, b),), "int_item": (a, 1), "none": ()}[how]
        return getattr(T, name)(*args)
    same(run)


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
@pytest.mark.parametrize("args", [(5,), ([1, 2],), (None,), ([], ), ((), )])
def test_atleast_refusals(name, args):
    same(lambda T: getattr(T, name)(*args))
    same(lambda T: getattr(T, name)([T.ones(2), 1]))
    same(lambda T: getattr(T, name)(T.tensor(1.), T.ones(2)))


@pytest.mark.parametrize("call", [
    lambda t: t.chunk(2), lambda t: t.split(1), lambda t: t.split([1]),
    lambda t: t.split_with_sizes([1]), lambda t: t.chunk(0), lambda t: t.unsafe_chunk(1),
])
def test_split_and_chunk_of_a_0d_tensor(call):
    same(lambda T: call(T.tensor(1)))


def test_meshgrid_checks_dtypes_before_dims():
    same(lambda T: T.meshgrid(T.ones(2, 2), T.arange(2), indexing="ij"))


@pytest.mark.parametrize("pad", [(-1, 1), (1, -1), (-1, 2), (2, -1), (-2, 1), (-1, -1), (-3, 2),
                                 (2, -3), (-2, 2), (-5, 1), (-2, -2), (-3, -1), (3, -2),
                                 (0, -4), (-3, -2), (5, -1), (-1, 5), (1, 1)])
def test_circular_pad_crops_then_wraps(pad):
    same(lambda T: T.nn.functional.pad(T.arange(4.).view(1, 1, 4), pad, mode="circular"))


def test_circular_pad_with_negative_pads_in_2d_and_its_gradient():
    def run(T):
        y = T.arange(16.).view(1, 1, 4, 4).requires_grad_()
        out = T.nn.functional.pad(y, (1, -1, -1, 2), mode="circular")
        out.backward(T.arange(out.numel(), dtype=T.float).view(out.shape))
        return out, y.grad, T.nn.functional.pad(y, (-1, 2, 1, -2), mode="circular")
    same(run)


@pytest.mark.parametrize("d", ["int64", "complex64", "float64", "str", "np", "float", "none"])
def test_set_default_dtype_takes_torch_dtypes_only(d):
    def run(T):
        arg = {"int64": T.int64, "complex64": T.complex64, "float64": T.float64,
               "str": "float64", "np": np.float64, "float": float, "none": None}[d]
        try:
            T.set_default_dtype(arg)
            return T.get_default_dtype(), T.tensor([1.5]).dtype
        finally:
            T.set_default_dtype(T.float32)
    same(run)


@pytest.mark.parametrize("data", [1.5 + 0j, [1, 2j], [[1j]]])
def test_complex_data_under_a_bfloat16_default(data):
    def run(T):
        T.set_default_dtype(T.bfloat16)
        try:
            return (T.tensor(data, dtype=T.complex64).dtype, T.zeros(1, dtype=T.cfloat).dtype,
                    T.tensor(data).dtype)
        finally:
            T.set_default_dtype(T.float32)
    same(run)


@pytest.mark.parametrize("args", [([1], 2), ("tensor", None), (1, "a"), (1, 2),
                                  (np.float32(1), "int8"), ("tensor", np.array(1.)),
                                  ("tensor", (1,)), (True, 1.5)])
def test_result_type_refuses_what_is_not_a_tensor_or_number(args):
    def run(T):
        conv = {"tensor": T.ones(1), "int8": T.ones(1, dtype=T.int8)}
        return T.result_type(*[conv.get(a, a) if isinstance(a, str) else a for a in args])
    same(run)


@pytest.mark.parametrize("call", [
    lambda T: T.arange(0, T.tensor([3])), lambda T: T.arange(T.tensor([3])),
    lambda T: T.arange(0, 5, T.tensor([2])), lambda T: T.arange(T.tensor([[3]])),
    lambda T: T.arange(T.tensor(3)), lambda T: T.arange(T.tensor(1), T.tensor(3.5)),
    lambda T: T.arange(0, T.tensor([3]), dtype=T.float32), lambda T: T.arange(T.tensor([3]), 5),
])
def test_arange_refuses_tensors_with_dims(call):
    same(call)


@pytest.mark.parametrize("name", ["finfo", "iinfo"])
@pytest.mark.parametrize("arg", [np.float32, np.int32, float, int, "float32", None, "tensor"])
def test_finfo_iinfo_argument_must_be_a_dtype(name, arg):
    def run(T):
        a = T.tensor(1.) if arg == "tensor" else arg
        return getattr(T, name)(a)
    same(run)
    same(lambda T: T.finfo())


_ALIASED = [
    ("sort", (), {}), ("argsort", (), {}), ("cummax", (), {}), ("cummin", (), {}),
    ("mode", (), {"keepdims": True}), ("aminmax", (), {"keepdims": True}), ("softmax", (), {}),
    ("log_softmax", (), {}), ("select", (), {"index": 0}),
    ("narrow", (), {"start": 0, "length": 1}), ("index_select", (), {"index": [0]}),
    ("gather", (), {"index": [[0, 0, 0]]}), ("nanmedian", (), {"keepdims": True}),
    ("logcumsumexp", (), {}), ("topk", (1,), {}), ("kthvalue", (1,), {}), ("diff", (), {}),
    ("unbind", (), {}), ("chunk", (2,), {}), ("tensor_split", (2,), {}),
    ("repeat_interleave", (2,), {}), ("quantile", (0.5,), {"keepdims": True}),
    ("nanquantile", (0.5,), {}), ("unsqueeze", (), {}), ("norm", (), {}),
]
# (PyTorch's methods in Python code, or absent, have their own words for axis=)
_NO_METHOD = ("trapezoid", "cumulative_trapezoid", "norm", "split")


@pytest.mark.parametrize("name,args,kw,form", [
    (n, a, k, f) for n, a, k in _ALIASED + [("trapezoid", (), {}),
                                            ("cumulative_trapezoid", (), {}),
                                            ("split", (1,), {})]
    for f in ("function", "method") if not (f == "method" and n in _NO_METHOD)])
def test_numpy_axis_and_keepdims_aliases(name, args, kw, form):
    def run(T):
        t = T.tensor([[3., 1., 2.], [0., 5., 4.]])
        k = {a: T.tensor(v) if isinstance(v, list) else v for a, v in kw.items()}
        f = getattr(T, name) if form == "function" else getattr(t, name)
        return f(*((t,) if form == "function" else ()), *args, axis=0, **k)
    same(run)


@pytest.mark.parametrize("key", [
    lambda T: slice(T.tensor(1.), None), lambda T: slice(None, T.tensor([2])),
    lambda T: slice(T.tensor([[1]]), None), lambda T: slice(T.tensor(True), None),
    lambda T: slice(T.tensor(0), T.tensor(3), T.tensor(2)), lambda T: slice(T.tensor([0, 1]), 2),
])
def test_slicing_with_tensor_bounds(key):
    same(lambda T: T.arange(4)[key(T)])


def test_from_numpy_of_a_matrix_or_masked_array_is_its_plain_data():
    def run(T):
        m = np.matrix([[1, 2], [3, 4]])
        t = T.from_numpy(m)
        t[0, 0] = 9
        ma = np.ma.array([1, 2, 3], mask=[0, 1, 0])
        return t, t[0], t.shape, m.tolist(), T.from_numpy(ma), T.as_tensor(m)[0]
    same(run)


@pytest.mark.parametrize("make", [
    lambda: np.broadcast_to(np.arange(3.), (2, 3)), lambda: np.zeros((2, 2), order="F"),
    lambda: np.arange(24.).reshape(2, 3, 4)[:, ::2],
    lambda: np.arange(24.).reshape(2, 3, 4).transpose(2, 0, 1),
    lambda: np.arange(24.).reshape(2, 3, 4).transpose(2, 0, 1)[::2],
    lambda: np.zeros((2, 1, 3)).transpose(1, 0, 2),
])
def test_copies_of_arrays_keep_pytorchs_layout(make):
    same(lambda T: (T.tensor(make()).stride(), T.asarray(make(), copy=True).stride()),
         warns=False)


@pytest.mark.parametrize("make", [
    lambda T: T.ones(3).expand(2, 3), lambda T: T.ones(2, 3).t(),
    lambda T: T.ones(4, 6)[:, ::2], lambda T: T.ones(2, 3, 4).permute(2, 0, 1)[::2],
])
def test_tensor_of_a_tensor_keeps_pytorchs_layout(make):
    same(lambda T: T.tensor(make(T)).stride(), warns=False)


@pytest.mark.parametrize("shape", [(), (1, 1), (0,), (3, 2)])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("how", ["full", "fill_", "full_like", "new_full"])
@pytest.mark.parametrize("value", [1e39, -1e5, 65519.99])
def test_half_fills_past_the_range_overflow_to_inf_only_for_one_element(shape, dtype, how,
                                                                        value):
    def run(T):
        d = getattr(T, dtype)
        if how == "full":
            return T.full(shape, value, dtype=d)
        if how == "fill_":
            return T.zeros(shape, dtype=d).fill_(value)
        if how == "full_like":
            return T.full_like(T.zeros(shape, dtype=d), value)
        return T.zeros(1, dtype=d).new_full(shape, value)
    same(run)


@pytest.mark.parametrize("arg", [np.int32, int, np.dtype("int32"), 5, "float", "Tensor",
                                 "torch.IntTensor", "Module"])
def test_tensor_type_refusals_name_the_type(arg):
    def run(T):
        a = {"Tensor": T.Tensor, "Module": T.nn.Module}.get(arg, arg) if isinstance(
            arg, str) else arg
        return T.ones(2).type(a)
    same(run)


@pytest.mark.parametrize("call", [
    lambda T, x: T.cat([x.transpose(1, 2), x.transpose(1, 2)]),
    lambda T, x: T.cat([x[0].t(), x[0].t()], 1), lambda T, x: T.stack([x.transpose(1, 2)] * 2),
    lambda T, x: T.stack([x.transpose(1, 2)] * 2, 2), lambda T, x: T.stack([x[0].t()] * 2, 1),
    lambda T, x: T.cat([x.permute(2, 0, 1)[:2], x.permute(2, 0, 1)[:1]]),
    lambda T, x: T.hstack([x.transpose(1, 2)] * 2), lambda T, x: T.vstack([x.transpose(1, 2)] * 2),
    lambda T, x: T.dstack([x.transpose(1, 2)] * 2), lambda T, x: T.column_stack([x[0].t()] * 2),
    lambda T, x: T.cat([x.view(2, 3, 2, 2).to(memory_format=T.channels_last)] * 2),
    lambda T, x: T.cat([x.view(2, 3, 2, 2).to(memory_format=T.channels_last),
                        x.view(2, 3, 2, 2)]),
    lambda T, x: T.cat([x.view(2, 3, 2, 2), x.view(2, 3, 2, 2).to(
        memory_format=T.channels_last)], 1),
])
def test_cat_and_stack_results_are_contiguous_unless_all_channels_last(call):
    def run(T):
        out = call(T, T.arange(24.).view(2, 3, 4))
        return out, out.stride()
    same(run)


@pytest.mark.parametrize("call", [
    lambda T: T.Tensor([1], dtype=T.int32), lambda T: T.FloatTensor([1], dtype=T.int32),
    lambda T: T.Tensor([1], requires_grad=True), lambda T: T.Tensor(2, 3, device="cpu").shape,
    lambda T: T.Tensor([1], foo=1), lambda T: T.Tensor(size=(2,)).shape,
    lambda T: T.Tensor(data=[1]), lambda T: T.Tensor(2, 3, dtype=T.int32),
    lambda T: T.LongTensor([1], dtype=T.int32), lambda T: T.FloatTensor(2, device="cpu").shape,
    lambda T: T.FloatTensor(size=(2,), dtype=T.int32), lambda T: T.IntTensor(size=(2,)).shape,
    lambda T: T.IntTensor(data=[1]), lambda T: T.DoubleTensor([1], requires_grad=True),
])
def test_legacy_constructors_refuse_other_keywords(call):
    same(call)


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint8", "int32", "int64", "float32", "bool"])
def test_repeat_interleave_repeats_take_the_index_dtypes_only(dtype):
    def run(T):
        reps = T.tensor([1, 2]).to(getattr(T, dtype))
        return (T.repeat_interleave(reps), T.repeat_interleave(reps, output_size=3),
                T.tensor([[1, 2], [3, 4]]).repeat_interleave(reps, dim=0))
    same(run)


@pytest.mark.parametrize("data", [[[], [1]], [[], [1, 2, 3]], [[[]], [1]], [[], ["a"]], [[], [1.5]],
                                  [[], [[1]]], [[], 2], [[[], []], [[1], [2]]], [[1], []],
                                  [[], [True]], [[], [1j]]])
def test_tensor_of_data_whose_first_items_are_empty(data):
    same(lambda T: (T.tensor(data), T.tensor(data).dtype))
    same(lambda T: T.tensor(data, dtype=T.int64).dtype)


@pytest.mark.parametrize("data", [["a"], [None], [[1], [None]], [1.5, "x"], [[1, 2], [3, None]]])
@pytest.mark.parametrize("dtype", [None, "float32", "int64", "float64"])
def test_tensor_with_a_dtype_infers_nothing(data, dtype):
    same(lambda T: T.tensor(data, dtype=dtype and getattr(T, dtype)))


_LAYOUT_OPS = {
    "cumsum": lambda x: x.cumsum(0), "cumprod": lambda x: x.cumprod(-1),
    "logcumsumexp": lambda x: x.logcumsumexp(0), "cummax": lambda x: x.cummax(0)[1],
    "roll": lambda x: x.roll(1, 0), "roll_flat": lambda x: x.roll(1),
    "masked_fill": lambda x: x.masked_fill(x > 0, 0.), "sort": lambda x: x.sort(0)[0],
    "argsort": lambda x: x.argsort(-1), "topk": lambda x: x.topk(1, 0)[1],
    "flip": lambda x: x.flip(0), "rot90": lambda x: x.rot90(1, (0, 1)),
    "tril": lambda x: x.tril(), "triu": lambda x: x.triu(1),
}


@pytest.mark.parametrize("op", sorted(_LAYOUT_OPS))
@pytest.mark.parametrize("view", ["perm3", "t2", "slice", "permslice", "perm4", "scalar"])
def test_result_layouts_of_scans_sorts_flips_and_fills(op, view):
    def run(T):
        T.manual_seed(0)
        x = {"perm3": lambda: T.randn(2, 3, 4).permute(2, 0, 1),
             "t2": lambda: T.randn(3, 4).t(), "slice": lambda: T.randn(2, 3, 4)[:, :, ::2],
             "permslice": lambda: T.randn(2, 3, 4).permute(2, 0, 1)[::2],
             "perm4": lambda: T.randn(2, 3, 4, 5).permute(0, 2, 3, 1),
             "scalar": lambda: T.tensor(2.5)}[view]()
        out = _LAYOUT_OPS[op](x)
        return out, out.stride()
    same(run)


def test_one_hot_of_a_transposed_tensor_is_contiguous():
    same(lambda T: T.nn.functional.one_hot(T.zeros(2, 3, dtype=T.long).t(), 4).stride())
