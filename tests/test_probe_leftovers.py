"""Differential checks of small leftovers: fractional max pooling's argument checks and empty
windows, interpolate's size and scale_factor parsing, the legacy size_average/reduce warnings'
locations, ldexp's resize warning, the 0-norm of single complex elements, embedding_bag with
no bags, native_batch_norm's statistics and cross_entropy of an empty batch of probabilities.
Each case runs the same code on ember and PyTorch and asserts the same result, or the same
exception type and message, and the same warnings."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from diff import same  # noqa: E402


# -- fractional max pooling ----------------------------------------------------------------

FRACTIONAL = {
    "k0": lambda T, x, x3: T.nn.functional.fractional_max_pool2d(
        x, 0, output_size=3, _random_samples=T.rand(1, 2, 2), return_indices=True),
    "k_neg": lambda T, x, x3: T.nn.functional.fractional_max_pool2d(
        x, -1, output_size=3, _random_samples=T.rand(1, 2, 2), return_indices=True),
    "k0_rect_unbatched": lambda T, x, x3: T.nn.functional.fractional_max_pool2d(
        x[0], (0, 2), output_size=(3, 4), _random_samples=T.rand(1, 2, 2), return_indices=True),
    "k0_out1": lambda T, x, x3: T.nn.functional.fractional_max_pool2d(
        x, 0, output_size=1, return_indices=True),
    "3d_k0": lambda T, x, x3: T.nn.functional.fractional_max_pool3d(
        x3, (0, 1, 2), output_size=3, _random_samples=T.rand(1, 2, 3), return_indices=True),
    "k_len3": lambda T, x, x3: T.nn.functional.fractional_max_pool2d(x, (2, 2, 2), 3),
    "k_len1": lambda T, x, x3: T.nn.functional.fractional_max_pool2d(x, (2,), 3),
    "out_len3": lambda T, x, x3: T.nn.functional.fractional_max_pool2d(x, 2, (3, 3, 3)),
    "k_len_before_dims": lambda T, x, x3: T.nn.functional.fractional_max_pool2d(
        x[0, 0], (2, 2, 2), 3, _random_samples=T.rand(1, 2, 2)),
    "3d_k_len2": lambda T, x, x3: T.nn.functional.fractional_max_pool3d(x3, (2, 2), 3),
    "3d_out_len2": lambda T, x, x3: T.nn.functional.fractional_max_pool3d(x3, 2, (3, 3)),
    "out_neg": lambda T, x, x3: T.nn.functional.fractional_max_pool2d(
        x, 2, output_size=-1, _random_samples=T.rand(3)),
    "out_neg_unbatched": lambda T, x, x3: T.nn.functional.fractional_max_pool2d(
        x[0].long(), 2, output_size=-1, _random_samples=T.rand(1, 2, 2)),
    "3d_out_neg": lambda T, x, x3: T.nn.functional.fractional_max_pool3d(
        x3[0], 2, output_size=(2, -1, 2), _random_samples=T.rand(1, 2, 3)),
    "samples_dtype_first": lambda T, x, x3: T.nn.functional.fractional_max_pool2d(
        x, 2, output_size=2, _random_samples=T.rand(3).double()),
    "3d_samples_2d": lambda T, x, x3: T.nn.functional.fractional_max_pool3d(
        x3, 2, output_size=2, _random_samples=T.rand(2, 3)),
    "3d_samples_batch": lambda T, x, x3: T.nn.functional.fractional_max_pool3d(
        x3, 2, output_size=2, _random_samples=T.rand(0, 2, 3)),
    "3d_samples_channels": lambda T, x, x3: T.nn.functional.fractional_max_pool3d(
        x3, 2, output_size=2, _random_samples=T.rand(1, 3, 3)),
    "3d_samples_last": lambda T, x, x3: T.nn.functional.fractional_max_pool3d(
        x3, 2, output_size=2, _random_samples=T.rand(1, 2, 2)),
    "3d_empty_channels": lambda T, x, x3: T.nn.functional.fractional_max_pool3d(
        T.randn(2, 0, 4, 4, 4), 2, output_size=2, _random_samples=T.rand(3)),
    "3d_3d_input_draws_first": lambda T, x, x3: T.nn.functional.fractional_max_pool3d(
        T.randn(2, 4, 4), 2, output_size=2),
}


@pytest.mark.parametrize("case", sorted(FRACTIONAL))
def test_fractional_max_pool(case):
    def run(T):
        T.manual_seed(0)
        x, x3 = T.randn(1, 2, 6, 6), T.randn(1, 2, 5, 5, 5)
        try:
            res = FRACTIONAL[case](T, x, x3)
        except Exception as e:  # noqa: BLE001 (compared, with the generator's state after)
            res = (type(e).__name__, str(e))
        return res, T.rand(2)
    same(run)


def test_fractional_max_pool_empty_windows_keep_the_graph():
    def run(T):
        x = T.randn(1, 2, 6, 6, requires_grad=True)
        out = T.nn.functional.fractional_max_pool2d(x, 0, output_size=3,
                                                    _random_samples=T.rand(1, 2, 2))
        return out, out.grad_fn.name()
    same(run)


# -- interpolate: size and scale_factor ------------------------------------------------------

INTERP = {
    "size_tensor": dict(size=lambda T: T.tensor([3, 3])),
    "size_tensor_bilinear": dict(size=lambda T: T.tensor([3, 3]), mode="bilinear"),
    "size_tensor_area": dict(size=lambda T: T.tensor([2, 2]), mode="area"),
    "size_tensor_0d": dict(size=lambda T: T.tensor(3)),
    "size_tensor_1elem": dict(size=lambda T: T.tensor([3])),
    "size_np_int": dict(size=lambda T: np.int64(3)),
    "size_np_tuple": dict(size=lambda T: (np.int64(3), np.int32(5))),
    "size_np_array": dict(size=lambda T: np.array([3, 3])),
    "size_bool": dict(size=lambda T: True),
    "size_tuple_bool_first": dict(size=lambda T: (True, 3)),
    "size_tuple_bool_later": dict(size=lambda T: (3, True)),
    "size_tuple_tensor_later": dict(size=lambda T: (3, T.tensor([3, 3])), mode="bilinear"),
    "size_tuple_tensor_later_area": dict(size=lambda T: (3, T.tensor([2, 2])), mode="area"),
    "size_tuple_bool_area": dict(size=lambda T: (True, 3), mode="area"),
    "size_str": dict(size=lambda T: "3"),
    "size_neg": dict(size=lambda T: -1, mode="bilinear"),
    "sf_tensor": dict(scale_factor=lambda T: T.tensor(2.0)),
    "sf_tensor_area": dict(scale_factor=lambda T: T.tensor(2.0), mode="area"),
    "sf_tensor_recompute": dict(scale_factor=lambda T: T.tensor(2.0), mode="bilinear",
                                recompute_scale_factor=True),
    "sf_tuple_tensor_first": dict(scale_factor=lambda T: (T.tensor(2.0), 2.0), mode="bilinear"),
    "sf_list_tensor_later": dict(scale_factor=lambda T: [2.0, T.tensor(2.0)]),
    "sf_list_str_later": dict(scale_factor=lambda T: [2.0, "a"], mode="bicubic"),
    "sf_list_none_later": dict(scale_factor=lambda T: (2.0, None)),
    "sf_str": dict(scale_factor=lambda T: "3"),
    "sf_complex": dict(scale_factor=lambda T: 2 + 1j),
    "sf_np": dict(scale_factor=lambda T: np.float32(1.5)),
    "sf_np_int": dict(scale_factor=lambda T: np.int64(2)),
    "sf_bool": dict(scale_factor=lambda T: True),
}


@pytest.mark.parametrize("case", sorted(INTERP))
def test_interpolate_size_and_scale_arguments(case):
    def run(T):
        kw = dict(INTERP[case])
        for k in ("size", "scale_factor"):
            if k in kw:
                kw[k] = kw[k](T)
        x = T.arange(32.).reshape(1, 2, 4, 4)
        return T.nn.functional.interpolate(x, **kw)
    same(run)


def test_interpolate_1d_scale_list_of_none():
    same(lambda T: T.nn.functional.interpolate(T.ones(1, 2, 4), scale_factor=[None],
                                               mode="linear"))


# -- the legacy size_average / reduce warnings ----------------------------------------------

def _legacy_calls(T):
    F, nn = T.nn.functional, T.nn
    x, t = T.randn(3, 4), T.randn(3, 4)
    y = T.tensor([0, 2, 1])
    return [
        lambda: F.cross_entropy(x, y, size_average=False),
        lambda: F.nll_loss(x, y, size_average=False),
        lambda: F.nll_loss(x, y, reduce=False),
        lambda: F.mse_loss(x, t, size_average=False),
        lambda: F.l1_loss(x, t, reduce=False),
        lambda: F.smooth_l1_loss(x, t, size_average=False),
        lambda: F.poisson_nll_loss(x, t.abs(), size_average=False),
        lambda: F.multilabel_soft_margin_loss(x, (t > 0).float(), size_average=False),
        lambda: F.kl_div(x, t, size_average=False),
        lambda: F.soft_margin_loss(x, t.sign(), size_average=False),
        lambda: F.multi_margin_loss(x, y, size_average=False),
        lambda: F.hinge_embedding_loss(x, t.sign(), size_average=False),
        lambda: F.binary_cross_entropy(x.sigmoid(), t.sigmoid(), size_average=False),
        lambda: F.binary_cross_entropy_with_logits(x, t.sigmoid(), size_average=False),
        lambda: F.margin_ranking_loss(x[:, 0], t[:, 0], T.ones(3), size_average=False),
        lambda: F.triplet_margin_loss(x, t, x + 1, size_average=False),
        lambda: F.cosine_embedding_loss(x, t, T.ones(3), size_average=False),
        lambda: nn.MSELoss(size_average=False),
        lambda: nn.KLDivLoss(size_average=False),
        lambda: nn.CrossEntropyLoss(reduce=False),
    ]


def _warning_places(T):
    """Each call's warning text, and which calls share the place it is shown at (what the
    default filter shows once)."""
    texts, places = [], []
    for call in _legacy_calls(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            call()
        assert len(w) == 1
        texts.append(str(w[0].message))
        places.append((w[0].filename, w[0].lineno))
    return texts, [places.index(p) for p in places]


def test_legacy_reduction_warnings_shown_where_pytorch_shows_them():
    assert _warning_places(ember) == _warning_places(torch)


# -- ldexp and the complex 0-norm -------------------------------------------------------------

@pytest.mark.parametrize("shapes", [((), (3,)), ((1,), (3,)), ((2, 1), (2,)), ((2,), ())])
@pytest.mark.parametrize("dtypes", [("float32", "int64"), ("float16", "int8"),
                                    ("float32", "float32"), ("int64", "int64"),
                                    ("complex64", "int64")])
def test_ldexp_resize_warning(shapes, dtypes):
    def run(T):
        a = T.full(shapes[0], 1.5 if "int" not in dtypes[0] else 3).to(getattr(T, dtypes[0]))
        e = T.arange(1, 1 + int(np.prod(shapes[1]))).reshape(shapes[1])
        return T.ldexp(a, e.to(getattr(T, dtypes[1])))
    same(run)


def test_ldexp_inplace_shape_error_without_warning():
    same(lambda T: T.tensor(1.5).ldexp_(T.tensor([1, 2, 3])))


@pytest.mark.parametrize("case", ["0d", "0d_dim0", "1elem", "col_dim1", "row", "empty", "p1"])
def test_vector_norm_zero_of_single_complex_elements_warns(case):
    def run(T):
        c = T.tensor(3 + 4j)
        v = T.linalg.vector_norm
        calls = {"0d": lambda: T.norm(c, 0), "0d_dim0": lambda: v(c, 0, dim=0),
                 "1elem": lambda: v(c.reshape(1, 1), 0),
                 "col_dim1": lambda: v(T.tensor([[1j], [2j]]), 0, dim=1),
                 "row": lambda: v(T.tensor([[1j, 2j]]), 0),
                 "empty": lambda: v(T.zeros(0, dtype=T.complex64), 0),
                 "p1": lambda: v(c, 1)}
        T.set_warn_always(True)  # (a warning PyTorch gives once per process)
        try:
            return calls[case]()
        finally:
            T.set_warn_always(False)
    same(run)


# -- embedding_bag with no bags --------------------------------------------------------------

@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("n", [0, 4])
def test_embedding_bag_include_last_offset_no_bags(mode, n):
    def run(T):
        T.manual_seed(0)
        w = T.randn(10, 3)
        inp = T.arange(n) % 10
        return T.nn.functional.embedding_bag(inp, w, T.tensor([0]), mode=mode,
                                             include_last_offset=True)
    same(run)


# -- native_batch_norm's statistics -----------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1, 1), (2, 3), (1, 3, 4), (4, 3, 5, 5)])
def test_native_batch_norm_statistics_bits(shape):
    def run(T):
        T.manual_seed(0)
        x = T.randn(*shape)
        rm, rv = T.zeros(3), T.ones(3)
        out, mean, invstd = T.native_batch_norm(x, T.ones(3), T.zeros(3), rm, rv, True, 0.1,
                                                1e-5)
        return [t.numpy().tobytes().hex() for t in (out, mean, invstd, rm, rv)]
    same(run)


def test_native_batch_norm_channels_last_statistics_bits():
    def run(T):
        T.manual_seed(0)
        x = T.randn(2, 40, 3, 3).contiguous(memory_format=T.channels_last)
        _, mean, invstd = T.native_batch_norm(x, None, None, None, None, True, 0.1, 1e-5)
        return mean.numpy().tobytes().hex(), invstd.numpy().tobytes().hex()
    same(run)


def test_batch_norm_batch_of_one_numpy_quiet():
    def run(T):
        x = T.arange(3.).reshape(1, 3, 1)
        return T.batch_norm(x, None, None, T.zeros(3), T.ones(3), True, 0.1, 1e-5, False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        same(run)


# -- cross_entropy of an empty batch of class probabilities -----------------------------------

@pytest.mark.parametrize("kw", [{}, {"weight": True}, {"label_smoothing": 0.2}])
def test_cross_entropy_probabilities_empty_batch_mean(kw):
    def run(T):
        x = T.zeros(0, 4, requires_grad=True)
        k = dict(kw)
        if k.pop("weight", None):
            k["weight"] = T.ones(4)
        loss = T.nn.functional.cross_entropy(x, T.zeros(0, 4), **k)
        fns = [loss.grad_fn.name(), loss.grad_fn.next_functions[0][0].name()]
        return loss, fns, T.autograd.grad(loss, x)
    same(run)
