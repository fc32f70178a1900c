"""Mistakes people make, run on ember and on PyTorch 2.13: the same exception type and
message (or the same result) for each.  Found by a differential hunt over small scripts of
bad shapes, dtypes, autograd misuse, module misuse and everyday idioms."""
import decimal
import fractions
import io
import pickle
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def outcome(fn, lib):
    """What ``fn(lib)`` gives: ('ok', repr of the value) or (exception type name, message)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", repr(fn(lib))
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            return type(e).__name__, str(e).replace("ember.", "torch.")


def same(fn):
    got, want = outcome(fn, ember), outcome(fn, torch)
    assert got == want


def _hook_run(T, hook, on_leaf):
    x = T.ones(2, requires_grad=True)
    y = x * 2
    (x if on_leaf else y).register_hook(hook)
    y.sum().backward()
    return x.grad


class _Float(float):
    pass


def _iadd(a, b):
    a += b
    return a


def _module_hook_run(T, hook):
    T.manual_seed(0)
    lin = T.nn.Linear(2, 2)
    lin.register_full_backward_hook(hook)
    x = T.ones(1, 2, requires_grad=True)
    lin(x).sum().backward()
    return x.grad


def _setitem_node_names(T):
    x = T.ones(3, requires_grad=True) * 1
    x[0] = 5
    return x.grad_fn.name(), type(x.grad_fn).__name__


def _unbind_inplace(T):
    x = T.ones(4, 2, requires_grad=True) * 1
    x.unbind()[1].mul_(2)


class _Net:
    """A module with a Linear child, built on either library."""

    @staticmethod
    def make(T):
        class Net(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = T.nn.Linear(2, 2)
        return Net()


CASES = {
    # shapes
    "cat_of_a_tensor": lambda T: T.cat(T.ones(2, 2), dim=1),
    "stack_of_a_tensor": lambda T: T.stack(T.ones(2, 2)),
    "hstack_of_a_tensor": lambda T: T.hstack(T.ones(2, 2)),
    "vstack_of_a_tensor": lambda T: T.vstack(T.ones(2, 2)),
    "view_empty_inferred": lambda T: T.ones(0, 3).view(0, -1),
    "reshape_empty_inferred": lambda T: T.ones(0, 3).reshape(-1, 0),
    "view_zero_known_inferred": lambda T: T.ones(2, 3).view(0, -1),
    "cat_list_still_ok": lambda T: T.cat((T.ones(1), T.zeros(1))),
    "add__no_common_shape": lambda T: T.ones(2, 3).add_(T.ones(2)),
    "mul__no_common_shape": lambda T: T.ones(2, 3).mul_(T.ones(2)),
    "sub__no_common_shape_long": lambda T: T.ones(2, 3, dtype=T.long).sub_(
        T.ones(2, dtype=T.long)),
    "iadd_no_common_shape": lambda T: _iadd(T.ones(2, 3), T.ones(2)),
    "add__broadcast_ok": lambda T: T.ones(2, 3).add_(T.ones(3)),
    "resize__negative": lambda T: T.zeros(3).resize_(-1),
    "resize__negative_2d": lambda T: T.zeros(3).resize_(2, -3),
    "index_add_1d_out_of_range": lambda T: T.zeros(3).index_add(0, T.tensor([3]), T.ones(1)),
    "index_add_1d_negative": lambda T: T.zeros(3).index_add_(0, T.tensor([-1]), T.ones(1)),
    "index_add_2d_out_of_range": lambda T: T.zeros(2, 3).index_add(1, T.tensor([3]),
                                                                    T.ones(2, 1)),
    "masked_fill_bad_mask": lambda T: T.ones(2, 3).masked_fill(T.ones(2, 1, 4, dtype=T.bool), 0.),
    "masked_fill__bad_mask": lambda T: T.ones(2, 3).masked_fill_(T.ones(4, dtype=T.bool), 0.),
    "masked_select_bad_mask": lambda T: T.ones(3).masked_select(T.ones(2, 2, dtype=T.bool)),
    "masked_scatter_bad_mask": lambda T: T.ones(2, 3).masked_scatter(T.ones(4, dtype=T.bool),
                                                                     T.ones(12)),
    "addcmul_bad_shapes": lambda T: T.addcmul(T.ones(3), T.ones(2), T.ones(3)),
    "tensordot_int_dims": lambda T: T.tensordot(T.ones(2, 3), T.ones(4, 5), dims=1),
    "tensordot_list_dims": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 5), dims=([1], [1])),
    "tensordot_too_many_dims": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 5), dims=3),
    "tensordot_negative_dims": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 5), dims=-1),
    "tensordot_uneven_lists": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 5),
                                                    dims=([1], [0, 1])),
    "tensordot_ok": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 5), dims=([-1], [0])),
    "torch_softmax_needs_dim": lambda T: T.softmax(T.ones(2)),
    "torch_log_softmax_needs_dim": lambda T: T.log_softmax(T.ones(2)),
    "method_softmax_needs_dim": lambda T: T.ones(2).softmax(),
    "softmax_dim_none": lambda T: T.softmax(T.ones(2), None),
    "method_softmax_dim_none": lambda T: T.ones(2).softmax(None),
    "softmax_dim_kw_none": lambda T: T.ones(2).softmax(dim=None),
    # autograd
    "grad_wrt_tensor_without_grad": lambda T: (lambda x: T.autograd.grad((x * 2).sum(), x))(
        T.ones(2)),
    "grad_input_not_requiring": lambda T: (lambda y: T.autograd.grad(
        (y * 2).sum(), [y, T.ones(2)]))(T.ones(2, requires_grad=True)),
    "requires_grad_setter_int": lambda T: setattr(T.ones(2, dtype=T.long), "requires_grad",
                                                  True),
    "requires_grad_method_int": lambda T: T.ones(2, dtype=T.long).requires_grad_(),
    "hook_changes_shape_leaf": lambda T: _hook_run(T, lambda g: T.ones(3), True),
    "hook_changes_shape": lambda T: _hook_run(T, lambda g: T.ones(3), False),
    "hook_changes_dtype": lambda T: _hook_run(T, lambda g: g.double(), False),
    "hook_returns_int": lambda T: _hook_run(T, lambda g: 5, False),
    "hook_returns_same": lambda T: _hook_run(T, lambda g: g * 3, False),
    "copy_slices_name": lambda T: _setitem_node_names(T),
    "accumulate_grad_name": lambda T: (T.ones(2, requires_grad=True) * 2).grad_fn.next_functions[
        0][0].name(),
    "unbind_output_inplace": _unbind_inplace,
    "split_output_inplace": lambda T: (T.ones(4, 2, requires_grad=True) * 1).split(2)[1].mul_(2),
    "split_sizes_output_inplace": lambda T: (T.ones(4, 2, requires_grad=True) * 1).split(
        [1, 3])[1].mul_(2),
    "chunk_output_inplace": lambda T: (T.ones(4, 2, requires_grad=True) * 1).chunk(2)[0].zero_(),
    "view_of_split_output_inplace": lambda T: (T.ones(4, 2, requires_grad=True) * 1).split(
        2)[1][0].mul_(2),
    "unbind_without_grad_inplace_ok": lambda T: T.ones(4, 2).unbind()[1].mul_(2),
    "unbind_detached_inplace_ok": lambda T: (T.ones(4, 2, requires_grad=True) * 1).unbind()[
        1].detach().zero_(),
    "out_with_input_requiring_grad": lambda T: T.add(T.ones(2, requires_grad=True), 1,
                                                     out=T.empty(2)),
    "out_requiring_grad": lambda T: T.mul(T.ones(2), 1, out=T.ones(2, requires_grad=True) * 2),
    "out_under_no_grad_ok": lambda T: _no_grad(T, lambda: T.add(T.ones(2, requires_grad=True),
                                                                1, out=T.empty(2))),
    "data_set_int_on_grad_tensor": lambda T: setattr(T.ones(2, requires_grad=True), "data",
                                                     T.ones(2, dtype=T.long)),
    "data_set_list": lambda T: setattr(T.ones(2), "data", [1.0]),
    "data_set_none": lambda T: setattr(T.ones(2), "data", None),
    "no_grad_bare_decorator": lambda T: T.no_grad(lambda x: x * 2)(
        T.ones(1, requires_grad=True)).requires_grad,
    "enable_grad_bare_decorator": lambda T: _no_grad(T, lambda: T.enable_grad(
        lambda x: x * 2)(T.ones(1, requires_grad=True)).requires_grad),
    "set_detect_anomaly_str": lambda T: T.autograd.set_detect_anomaly("x"),
    "set_detect_anomaly_check_nan_str": lambda T: T.autograd.set_detect_anomaly(False, "x"),
    # modules
    "module_backward_hook_wrong_shape": lambda T: _module_hook_run(T, lambda m, gi, go: (
        T.ones(3),)),
    "module_backward_hook_wrong_dtype": lambda T: _module_hook_run(T, lambda m, gi, go: (
        gi[0].double(),)),
    "module_backward_hook_ok": lambda T: _module_hook_run(T, lambda m, gi, go: (gi[0] * 2,)),
    "module_list_append_tensor": lambda T: T.nn.ModuleList().append(T.ones(1)),
    "add_module_int": lambda T: T.nn.Module().add_module("a", 3),
    "assign_module_to_parameter": lambda T: setattr(T.nn.Linear(2, 2), "weight",
                                                    T.nn.Linear(1, 1)),
    "assign_int_to_child": lambda T: setattr(_Net.make(T), "fc", 3),
    "bilinear_input2_size": lambda T: T.nn.functional.bilinear(T.ones(5, 2), T.ones(5, 4),
                                                               T.ones(4, 2, 3)),
    "bilinear_input1_size": lambda T: T.nn.functional.bilinear(T.ones(5, 3), T.ones(5, 3),
                                                               T.ones(4, 2, 3)),
    "bilinear_batch_dims": lambda T: T.nn.functional.bilinear(T.ones(5, 2), T.ones(4, 3),
                                                              T.ones(4, 2, 3)),
    "lstm_cell_hx_not_a_pair": lambda T: T.nn.LSTMCell(3, 4)(T.ones(2, 3), T.zeros(2, 4)),
    "lstm_cell_hx_list_ok": lambda T: T.nn.LSTMCell(3, 4)(T.ones(2, 3), [T.zeros(2, 4),
                                                                         T.zeros(2, 4)])[0].shape,
    "parameter_list_called": lambda T: T.nn.ParameterList([T.nn.Parameter(T.ones(1))])(1),
    "parameter_dict_called": lambda T: T.nn.ParameterDict()(1),
    # creation
    "tensor_from_bytes": lambda T: T.tensor(b"ab"),
    "tensor_from_list_of_bytes": lambda T: T.tensor([b"a"]),
    "as_tensor_bytes": lambda T: T.as_tensor(b"ab"),
    "from_numpy_big_endian": lambda T: T.from_numpy(np.ones(2, dtype=">f4")),
    "tensor_big_endian": lambda T: T.tensor(np.ones(2, dtype=">f4")),
    "tensor_big_endian_reversed": lambda T: T.tensor(np.ones(2, dtype=">f4")[::-1]),
    "tensor_from_fraction": lambda T: T.tensor(fractions.Fraction(1, 2)),
    "tensor_from_list_with_fraction": lambda T: T.tensor([1.5, fractions.Fraction(1, 2)]),
    "tensor_from_decimal": lambda T: T.tensor(decimal.Decimal("1.5")),
    "tensor_from_float_subclass_ok": lambda T: T.tensor([_Float(1.5)]),
    "zeros_like_list": lambda T: T.zeros_like([1, 2]),
    "ones_like_none": lambda T: T.ones_like(None),
    "empty_like_int": lambda T: T.empty_like(3),
    "full_like_list": lambda T: T.full_like([1], 2),
    "rand_like_list": lambda T: T.rand_like([1.0]),
    "index_select_list_index": lambda T: T.ones(2, 2).index_select(0, [0]),
    "index_select_int_index": lambda T: T.ones(2, 2).index_select(0, 0),
    "gather_list_index": lambda T: T.ones(2, 2).gather(1, [[0], [1]]),
    "scatter_add_list_index": lambda T: T.zeros(3).scatter_add(0, [1], T.ones(1)),
    "index_add_list_index": lambda T: T.zeros(3).index_add(0, [1], T.ones(1)),
    "index_copy_list_index": lambda T: T.zeros(3).index_copy(0, [1], T.ones(1)),
    "scatter_reduce_list_index": lambda T: T.zeros(3).scatter_reduce(0, [1], T.ones(1), "sum"),
    "take_list_index": lambda T: T.zeros(3).take([1]),
    "scatter_reduce_bad_name": lambda T: T.zeros(3).scatter_(0, T.tensor([0]), T.ones(1),
                                                             reduce="max"),
    "scatter_reduce_max_alias": lambda T: T.zeros(3).scatter_reduce(
        0, T.tensor([0, 0]), T.tensor([2.0, 5.0]), reduce="max"),
    "scatter_reduce_min_alias": lambda T: T.zeros(3).scatter_reduce(
        0, T.tensor([0, 0]), T.tensor([2.0, 5.0]), reduce="min", include_self=False),
    "flip_without_dims": lambda T: T.ones(2).flip(),
    "flip_empty_dims_ok": lambda T: T.ones(2).flip([]),
    "type_as_list": lambda T: T.ones(2).type_as([1]),
    "numpy_of_grad_tensor": lambda T: T.ones(2, requires_grad=True).numpy(),
    "numpy_of_grad_tensor_in_no_grad": lambda T: _no_grad(
        T, lambda: T.ones(2, requires_grad=True).numpy().tolist()),
    "np_asarray_of_grad_tensor_in_no_grad": lambda T: _no_grad(
        T, lambda: np.asarray(T.ones(2, requires_grad=True)).tolist()),
    # random
    "randperm_negative": lambda T: T.randperm(-3),
    "randperm_float": lambda T: T.randperm(3.0),
    "randperm_bool": lambda T: T.randperm(True),
    "randperm_0d_tensor_ok": lambda T: T.randperm(T.tensor(3)).shape,
    "bernoulli_p_above_one": lambda T: T.bernoulli(T.tensor([1.5])),
    "bernoulli_p_negative": lambda T: T.bernoulli(T.tensor([-0.5])),
    "bernoulli_p_nan": lambda T: T.bernoulli(T.tensor([float("nan")])),
    "bernoulli__scalar_p": lambda T: T.empty(2).bernoulli_(1.5),
    "bernoulli__tensor_p": lambda T: T.empty(2).bernoulli_(T.tensor([1.5, 0.0])),
    "bernoulli_ok": lambda T: T.bernoulli(T.tensor([0.0, 1.0])),
    "normal_shapes_mismatch": lambda T: T.normal(T.zeros(2), T.ones(3)),
    "normal_shapes_broadcast_ok": lambda T: T.normal(T.zeros(2, 1), T.ones(3)).shape,
    "set_rng_state_float": lambda T: T.set_rng_state(T.ones(3)),
    "generator_set_state_float": lambda T: T.Generator().set_state(T.ones(3)),
    "cross_without_size_3": lambda T: T.cross(T.ones(2, 2), T.ones(2, 2)),
    "cross_legacy_dim": lambda T: T.cross(T.tensor([[1., 2.], [3., 4.], [5., 7.]]),
                                          T.tensor([[0., 1.], [1., 0.], [2., 2.]])),
    "zeros_size_tensor": lambda T: T.zeros(T.tensor([2, 3])),
    "zeros_size_0d_tensor_ok": lambda T: T.zeros(T.tensor(3)).shape,
    "linspace_tensor_steps_ok": lambda T: T.linspace(0, 1, T.tensor(3)),
    "linspace_1d_start": lambda T: T.linspace(T.tensor([0.0]), 1, 3),
    "linspace_1d_both": lambda T: T.linspace(T.tensor([0.0]), T.tensor([1.0]), 3),
    "logspace_1d_end": lambda T: T.logspace(0, T.tensor([1.0, 2.0]), 3),
    "arange_too_many": lambda T: T.arange(0, 1e20),
    "tril_indices_negative_row": lambda T: T.tril_indices(-1, 3),
    "triu_indices_negative_col": lambda T: T.triu_indices(3, -2),
    # non-tensors where a tensor is needed
    "F_relu_list": lambda T: T.nn.functional.relu([1.0, -1.0]),
    "F_gelu_ndarray": lambda T: T.nn.functional.gelu(np.ones(2)),
    "F_logsigmoid_list": lambda T: T.nn.functional.logsigmoid([1.0]),
    "F_dropout_list": lambda T: T.nn.functional.dropout([1.0]),
    "F_one_hot_list": lambda T: T.nn.functional.one_hot([1]),
    "F_cross_entropy_list": lambda T: T.nn.functional.cross_entropy([[1.0, 2.0]], T.tensor([0])),
    "F_nll_loss_list": lambda T: T.nn.functional.nll_loss([[1.0, 2.0]], T.tensor([0])),
    "F_linear_list": lambda T: T.nn.functional.linear([[1.0, 2.0]], T.ones(1, 2)),
    "F_pad_list": lambda T: T.nn.functional.pad([[1.0, 2.0]], (1, 1)),
    "F_relu_keyword_ok": lambda T: T.nn.functional.relu(input=T.tensor([-1.0, 2.0])),
    "torch_exp_list": lambda T: T.exp([1.0, 2.0]),
    "torch_sum_list": lambda T: T.sum([1.0, 2.0]),
    "torch_max_ndarray": lambda T: T.max(np.ones(2)),
    "torch_isnan_list": lambda T: T.isnan([1.0]),
    "torch_reshape_list": lambda T: T.reshape([1.0, 2.0], (2, 1)),
    # everyday slips: misspelt names get PyTorch's AttributeError
    "torch_typo": lambda T: T.softmx,
    "F_typo_case": lambda T: T.nn.functional.relU,
    "nn_typo_swap": lambda T: T.nn.Linaer,
    "tensor_method_typo": lambda T: T.ones(2).sizes(),
    "tensor_numpy_astype": lambda T: T.ones(2).astype(T.long),
    "tensor_numpy_copy": lambda T: T.ones(2).copy(),
    "pow_with_modulus": lambda T: pow(T.tensor(3), 2, 5),
    "hasattr_typo": lambda T: (hasattr(T, "softmx"), hasattr(T.ones(1), "sizes")),
}


# PyTorch words these by its overloads; the type is what a caller sees and catches
TYPE_ONLY = {
    "torch_clamp_int": lambda T: T.clamp(3, 0, 1),
    "torch_max_two_lists": lambda T: T.max([1, 2], [3, 4]),
    "torch_sqrt_int": lambda T: T.sqrt(4),
    "torch_exp_ndarray": lambda T: T.exp(np.ones(2)),
    "linspace_float_steps": lambda T: T.linspace(0, 1, 2.5),
    "index_select_fn_list": lambda T: T.index_select(T.zeros(3), 0, [1]),
    "index_fill_list_index": lambda T: T.zeros(3).index_fill(0, [1], 1.0),
    "rand_generator_int": lambda T: T.rand(2, generator=3),
}


@pytest.mark.parametrize("case", sorted(TYPE_ONLY))
def test_same_exception_type(case):
    assert outcome(TYPE_ONLY[case], ember)[0] == outcome(TYPE_ONLY[case], torch)[0] == \
        "TypeError"


def _no_grad(T, fn):
    with T.no_grad():
        return fn()


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_outcome(case):
    same(CASES[case])


def test_failed_split_inplace_keeps_values():
    """The refused in-place write on a multi-output view leaves the tensor as it was."""
    x = ember.ones(4, 2, requires_grad=True) * 1
    part = x.split(2)[1]
    with pytest.raises(RuntimeError):
        part.mul_(2)
    assert x.tolist() == [[1.0, 1.0]] * 4


def test_typo_traceback_suggests_the_name():
    """A misspelt torch name is a plain AttributeError naming the module and attribute, so
    Python's traceback adds its "Did you mean" line."""
    with pytest.raises(AttributeError) as info:
        ember.softmx  # noqa: B018
    assert type(info.value) is AttributeError
    assert info.value.name == "softmx" and info.value.obj is ember


def test_missing_api_is_still_named():
    """A name PyTorch has keeps saying that ember lacks it; one PyTorch lacks too is its own
    AttributeError."""
    with pytest.raises(AttributeError, match="torch.fbgemm_pack_quantized_matrix is not "
                       "supported by ember"):
        ember.fbgemm_pack_quantized_matrix  # noqa: B018
    with pytest.raises(AttributeError, match="^module 'torch' has no attribute 'frobnicate'$"):
        ember.frobnicate  # noqa: B018


def test_load_of_a_non_checkpoint():
    """With weights_only (the default), a file that is no checkpoint is an UnpicklingError
    as in PyTorch (and still a RuntimeError, as ember's earlier error was); without it, a
    RuntimeError as in PyTorch for a plain pickle."""
    plain = pickle.dumps({"a": 1})
    for lib in (ember, torch):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Detected pickle protocol")  # (PyTorch's)
            with pytest.raises(pickle.UnpicklingError):
                lib.load(io.BytesIO(plain))
        with pytest.raises(RuntimeError, match="Invalid magic number"):
            lib.load(io.BytesIO(plain), weights_only=False)
    with pytest.raises(RuntimeError, match="Unsupported operand 110"):  # (PyTorch's words)
        ember.load(io.BytesIO(b"not a checkpoint at all"))


def test_cross_without_dim_warns_once_as_pytorch():
    def run(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            T.set_warn_always(True)
            try:
                T.cross(T.ones(3), T.ones(3))
            finally:
                T.set_warn_always(False)
        return [(x.category, str(x.message).split(" (Triggered internally")[0]) for x in w]
    assert run(ember) == run(torch) and len(run(ember)) == 1


def test_failed_in_place_op_changes_nothing():
    """A refused in-place op leaves the values and the version counter as they were."""
    t = ember.arange(6.0).reshape(2, 3)
    before = t._version
    with pytest.raises(RuntimeError):
        t.add_(ember.ones(2))
    assert t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and t._version == before


def test_read_only_numpy_warning_is_given_once():
    """As PyTorch's ("suppressed for the rest of this program"): a second read-only array
    converted without a copy warns no more."""
    a = np.broadcast_to(np.ones(1, dtype=np.float32), (2,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ember.as_tensor(a)  # the first (here or in an earlier test) may warn
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.from_numpy(a)
        ember.as_tensor(a)
    assert not [x for x in w if "not writable" in str(x.message)]


def test_half_sum_overflow_is_silent():
    """A float16 sum past the largest half is inf without NumPy's RuntimeWarning, as in
    PyTorch."""
    def run(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = T.tensor([60000.0, 60000.0], dtype=T.half).sum()
        return repr(r), [str(x.message) for x in w]
    assert run(ember) == run(torch)


@pytest.mark.parametrize("name,names,want", [
    ("softmx", ["softmax", "soft"], "softmax"), ("relU", ["relu"], "relu"),
    ("Linaer", ["Linear"], "Linear"), ("sizes", ["size"], "size"),
    ("int4", ["int"], None), ("qint8", ["int8"], None), ("chalf", ["half"], None),
    ("set_some_dtype", ["get_some_dtype"], None), ("conj_", ["conj"], None),
    ("frobnicate", ["softmax"], None), ("_private", ["private"], None)])
def test_slip_detection(name, names, want):
    """Only a likely misspelling gets PyTorch's plain AttributeError; names one step from
    another that PyTorch really has (in-place twins, dtypes with digits...) keep saying
    ember lacks them."""
    from ember._unsupported import typo_of

    assert typo_of(name, names) == want
