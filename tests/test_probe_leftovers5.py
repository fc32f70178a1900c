"""Differential tests (against PyTorch) for small leftovers: ``to()`` with a Python scalar as
the dtype, argsort's ``out=``, unique's words for an unknown keyword, median's ``out=`` type
names, scans into bool/integer dtypes, randperm into an expanded ``out``, the recurrent
layers' and upsampling's flags, fractional pooling's int lists, ``padding='same'`` with a
longer kernel tuple, pairwise_distance's keywords, lp_pool's kernel checks and matmul's
``out=`` resizing."""
import warnings

import numpy as np
import pytest
import torch

import ember


def _run(lib, f):
    """``f(lib)``'s result (as plain data) or its exception, and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = f(lib)
            res = _plain(r)
        except Exception as e:  # noqa: BLE001
            res = (type(e).__name__, str(e))
    return res, [str(w.message) for w in caught]


def _plain(r):
    if isinstance(r, (tuple, list)):
        return type(r).__name__, [_plain(x) for x in r]
    if hasattr(r, "tolist") and hasattr(r, "dtype"):
        return str(r.dtype), tuple(r.shape), r.tolist()
    return r if r is None or isinstance(r, (bool, int, float, complex, str)) else str(r)


def _same(f):
    assert _run(torch, f) == _run(ember, f)


# -- to() with a Python scalar as the dtype -------------------------------------------

@pytest.mark.parametrize("args", [(3.5,), (True,), (False,), (1j,), (3.5, True),
                                  (3.5, False, True), ("cpu", 3.5)])
def test_to_python_scalar_dtype(args):
    _same(lambda lib: lib.ones(2).to(*args).dtype)


@pytest.mark.parametrize("kw", [dict(copy=True), dict(non_blocking=True)])
def test_to_python_scalar_dtype_keywords(kw):
    _same(lambda lib: lib.ones(2).to(2.5, **kw).dtype)
    _same(lambda lib: lib.ones(2).to(dtype=2.5, **kw).dtype)


@pytest.mark.parametrize("arg", [3.5, True, 1j])
def test_module_to_python_scalar(arg):
    _same(lambda lib: lib.nn.Linear(1, 1).to(arg).weight.dtype)


# -- argsort's out= ------------------------------------------------------------------

@pytest.mark.parametrize("kw", [dict(stable=True), dict(stable=True, dim=0, descending=True),
                                dict(stable=False)])
def test_argsort_out(kw):
    def f(lib):
        o = lib.empty(2, 4, dtype=lib.long)
        r = lib.argsort(lib.tensor([[3, 1, 2, 3], [0, 5, 1, 1]]), out=o, **kw)
        return r, o, r is o
    _same(f)


@pytest.mark.parametrize("odt", ["int32", "float32"])
def test_argsort_out_dtype(odt):
    _same(lambda lib: lib.argsort(lib.tensor([3, 1, 2]), stable=True,
                                  out=lib.empty(0, dtype=getattr(lib, odt))))


def test_argsort_out_resized_and_grad():
    _same(lambda lib: lib.argsort(lib.tensor([3, 1, 2]), stable=True,
                                  out=lib.empty(5, dtype=lib.long)))
    _same(lambda lib: lib.argsort(lib.tensor([1., 3., 2.], requires_grad=True), stable=True,
                                  out=lib.empty(3, dtype=lib.int32)))
    _same(lambda lib: lib.argsort(lib.ones(2, 2), dim=5, stable=True,
                                  out=lib.empty(3, dtype=lib.int32)))


# -- unique's words for an unknown keyword ----------------------------------------------

@pytest.mark.parametrize("kw", [{}, dict(return_inverse=True), dict(return_counts=True),
                                dict(return_inverse=True, return_counts=True), dict(dim=0)])
@pytest.mark.parametrize("name", ["unique", "unique_consecutive"])
def test_unique_unknown_keyword(name, kw):
    x = [3, 1, 2, 3]
    _same(lambda lib: getattr(lib, name)(lib.tensor(x), out=lib.empty(0), **kw))
    _same(lambda lib: getattr(lib.tensor(x), name)(out=lib.empty(0), **kw))
    _same(lambda lib: getattr(lib, name)(lib.tensor(x), **kw))


@pytest.mark.parametrize("flags", [(True, True), (True, False), (False, True),
                                   (False, False, True), (True, True, False), (True,)])
@pytest.mark.parametrize("name", ["unique", "unique_consecutive"])
def test_unique_positional_flags(name, flags):
    _same(lambda lib: getattr(lib, name)(lib.tensor([3, 1]), *flags, out=1))


# -- median's out= type names -------------------------------------------------------------

@pytest.mark.parametrize("vdt", ["bfloat16", "float16", "float64", "bool", "complex64",
                                 "uint16", "int8", "float8_e4m3fn"])
@pytest.mark.parametrize("idt", ["int64", "bool", "bfloat16", "int32"])
@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_out_type_names(name, vdt, idt):
    def f(lib):
        out = (lib.empty(0, dtype=getattr(lib, vdt)), lib.empty(0, dtype=getattr(lib, idt)))
        return getattr(lib, name)(lib.tensor([1., 3., 2.]).bfloat16(), 0, out=out)
    _same(f)


# -- scans into a bool or integer dtype --------------------------------------------------

@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("shape,dim", [((0,), 0), ((2, 0), 1), ((0, 3), 1), ((), 0), ((0,), 5),
                                       ((2,), 5), ((3,), 0)])
def test_scan_bool_dtype(name, shape, dim):
    _same(lambda lib: getattr(lib, name)(lib.zeros(shape), dim, dtype=lib.bool))
    _same(lambda lib: getattr(lib.zeros(shape), name)(dim, dtype=lib.bool))


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dt", ["long", "bool", "float64", "int32"])
def test_scan_dtype_of_grad_input(name, dt):
    def f(lib):
        r = getattr(lib, name)(lib.ones(2, requires_grad=True), 0, dtype=getattr(lib, dt))
        return r, r.requires_grad
    _same(f)

    def g(lib):
        with lib.no_grad():
            return getattr(lib, name)(lib.ones(2, requires_grad=True), 0, dtype=getattr(lib, dt))
    _same(g)


def test_scan_empty_bool_out():
    _same(lambda lib: lib.cumsum(lib.empty(0), 0, dtype=lib.bool,
                                 out=lib.empty(3, dtype=lib.bool)))


# -- randperm into an expanded out --------------------------------------------------------

def test_randperm_expanded_out():
    def f(lib):
        lib.manual_seed(0)
        e = lib.empty(1, dtype=lib.long).expand(4)
        r = lib.randperm(4, out=e)
        z = lib.zeros(1).expand(6)
        lib.randperm(6, out=z)
        base = lib.zeros(2, dtype=lib.int32)
        lib.randperm(3, out=base[:1].expand(3))
        return r, e, z, base, lib.rand(2)
    _same(f)


# -- recurrent layers' flags ------------------------------------------------------------

@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kw", [dict(bidirectional=1), dict(bidirectional=np.bool_(True)),
                                dict(bias=1), dict(batch_first=1),
                                dict(num_layers=2, dropout=1)])
def test_rnn_flags(cls, kw):
    def f(lib):
        lib.manual_seed(0)
        return getattr(lib.nn, cls)(2, 3, **kw)(lib.ones(3, 2, 2))[0].shape
    _same(f)


# -- upsampling's align_corners ---------------------------------------------------------------

@pytest.mark.parametrize("shape,kw", [
    ((1, 1, 2, 2), dict(scale_factor=2, mode="bilinear", align_corners=1)),
    ((1, 1, 2, 2), dict(size=3, mode="bilinear", align_corners=1)),
    ((1, 1, 2, 2), dict(size=(3, 4), mode="bicubic", align_corners=0)),
    ((1, 1, 2), dict(scale_factor=2.5, mode="linear", align_corners=1)),
    ((1, 1, 2, 2, 2), dict(size=[3, 3, 3], mode="trilinear", align_corners=1)),
    ((1, 1, 2, 2), dict(scale_factor=(2, 3), mode="bilinear", align_corners="yes")),
    ((1, 1, 2, 2), dict(scale_factor=2, mode="bilinear", align_corners=1, antialias=True)),
    ((1, 1, 2, 2), dict(scale_factor=2, mode="bilinear", align_corners=1,
                        recompute_scale_factor=True)),
    ((1, 1, 2, 2), dict(scale_factor=0.1, mode="bilinear", align_corners=1)),
    ((1, 1, 2, 2), dict(scale_factor=2, mode="bilinear", align_corners=np.bool_(True))),
    ((1, 1, 2, 2), dict(scale_factor=2, mode="bilinear", align_corners=True)),
])
def test_interpolate_align_corners_type(shape, kw):
    _same(lambda lib: lib.nn.functional.interpolate(lib.ones(shape), **kw))


def test_upsample_module_align_corners_type():
    _same(lambda lib: lib.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=1)(
        lib.ones(1, 1, 2, 2)))
    _same(lambda lib: lib.nn.Upsample(size=(3, 3), mode="bicubic", align_corners=1)(
        lib.ones(1, 1, 2, 2)))


def test_interpolate_long_input_align_corners_type():
    _same(lambda lib: lib.nn.functional.interpolate(
        lib.ones(1, 1, 2, 2, dtype=lib.long), scale_factor=2, mode="bilinear",
        align_corners=1))


# -- fractional max pooling's int lists ----------------------------------------------------

@pytest.mark.parametrize("k", [1.5, "2", True, (2, 1.5), (2, True), np.int64(2), 2.0, (2, 2, 2),
                               (2,), None, [2, "1"]])
@pytest.mark.parametrize("nsp", [2, 3])
def test_fractional_pool_kernel_size(nsp, k):
    def f(lib):
        lib.manual_seed(0)
        fn = getattr(lib.nn.functional, f"fractional_max_pool{nsp}d")
        return fn(lib.arange(5. ** nsp).reshape((1, 1) + (5,) * nsp), k, output_size=2)
    _same(f)


@pytest.mark.parametrize("o", [1.5, (2, 2.5), "a"])
@pytest.mark.parametrize("nsp", [2, 3])
def test_fractional_pool_output_size(nsp, o):
    fn = f"fractional_max_pool{nsp}d"
    _same(lambda lib: getattr(lib.nn.functional, fn)(lib.ones((1, 1) + (5,) * nsp), 2,
                                                     output_size=o))


def test_fractional_pool_modules():
    _same(lambda lib: lib.nn.FractionalMaxPool2d(1.5, output_size=2)(lib.ones(1, 1, 5, 5)))
    _same(lambda lib: lib.nn.FractionalMaxPool3d("2", output_size=2)(lib.ones(1, 1, 5, 5, 5)))
    _same(lambda lib: lib.nn.FractionalMaxPool2d(1.5, output_ratio=0.5)(lib.ones(1, 1, 5, 5)))


# -- padding='same' with a kernel tuple longer than the dims ----------------------------------

@pytest.mark.parametrize("cls,k,kw", [
    ("Conv1d", (1, 2), {}), ("Conv2d", (1, 2, 3), {}), ("Conv2d", (3,), {}),
    ("Conv2d", 3, dict(dilation=(1, 2, 3))), ("Conv1d", (1, 2), dict(padding_mode="reflect")),
])
def test_conv_same_kernel_tuple_length(cls, k, kw):
    _same(lambda lib: (str(getattr(lib.nn, cls)(4, 6, k, padding="same", **kw)),
                       getattr(lib.nn, cls)(4, 6, k, padding="same", **kw)
                       ._reversed_padding_repeated_twice))


@pytest.mark.parametrize("cls,k,shape", [
    ("Conv1d", (1, 2), (1, 4, 5)), ("Conv1d", (1, 2), (4, 5)), ("Conv2d", (1, 2, 3), (1, 4, 5, 5)),
    ("Conv2d", (3,), (1, 4, 5, 5)), ("Conv2d", (3,), (4, 5, 5)), ("Conv2d", (3, 3), (4, 5, 5))])
@pytest.mark.parametrize("mode", ["zeros", "reflect"])
def test_conv_same_kernel_tuple_forward(cls, k, shape, mode):
    def f(lib):
        lib.manual_seed(0)
        return getattr(lib.nn, cls)(4, 6, k, padding="same", padding_mode=mode)(
            lib.ones(shape)).shape
    _same(f)


# -- pairwise_distance's keywords ----------------------------------------------------------

@pytest.mark.parametrize("args,kw", [((), dict(keepdim=1)), ((2, 1e-6, 1), {}),
                                     ((), dict(p="x")), ((), dict(eps="x")),
                                     ((), dict(eps=1, keepdim=True)), ((3.0,), {}),
                                     ((), dict(p=1))])
def test_pairwise_distance_arguments(args, kw):
    _same(lambda lib: lib.nn.functional.pairwise_distance(
        lib.ones(2, 3), lib.zeros(2, 3), *args, **kw))


# -- lp_pool's kernel checks ----------------------------------------------------------------

@pytest.mark.parametrize("nsp,k,kw", [(1, None, {}), (2, None, {}), (3, None, {}), (2, 1.5, {}),
                                      (2, 2, dict(stride=1.5)), (2, (2, None), {}),
                                      (1, (2,), {}), (2, 2, {}), (2, (2, 1), dict(stride=1))])
def test_lp_pool_kernel(nsp, k, kw):
    _same(lambda lib: getattr(lib.nn.functional, f"lp_pool{nsp}d")(
        lib.arange(4. ** nsp).reshape((1, 1) + (4,) * nsp), 2, k, **kw))


# -- matmul's out= --------------------------------------------------------------------------

@pytest.mark.parametrize("sa,sb", [((2,), (2, 3)), ((2,), (4, 2, 3)), ((2,), (2,)),
                                   ((3, 2), (2,)), ((4, 3, 2), (2,)), ((4, 3, 2), (2, 5)),
                                   ((3, 2), (4, 2, 5)), ((1,), (1, 3))])
@pytest.mark.parametrize("odt", ["float32", "float64"])
@pytest.mark.parametrize("n", [0, 7])
def test_matmul_out_resize_and_dtype(sa, sb, odt, n):
    def f(lib):
        o = lib.empty(n, dtype=getattr(lib, odt))
        r = lib.matmul(lib.ones(sa), lib.arange(float(np.prod(sb))).reshape(sb), out=o)
        return r, o.shape, o.stride()
    _same(f)


@pytest.mark.parametrize("make", [
    lambda lib: lib.empty(3), lambda lib: lib.zeros(3, 2)[:, 0], lambda lib: lib.zeros(2, 3)[:1],
    lambda lib: lib.empty(3, 1), lambda lib: lib.empty(1, 3)])
def test_matmul_vector_matrix_out(make):
    def f(lib):
        o = make(lib)
        base = o._base if o._base is not None else o
        r = lib.matmul(lib.arange(2.), lib.arange(6.).view(2, 3), out=o)
        return r, o.shape, o.stride(), base
    _same(f)


def test_matmul_out_keywords():
    _same(lambda lib: lib.matmul(input=lib.ones(2), other=lib.ones(2, 3), out=lib.empty(7)))
    _same(lambda lib: lib.matmul(input=lib.ones(2), other=lib.ones(2),
                                 out=lib.empty(7, dtype=lib.float64)))


# -- nanmean's out= ---------------------------------------------------------------------------

@pytest.mark.parametrize("idt,kw", [("long", dict(dtype="long")), ("long", dict(dtype="float32")),
                                    ("bool", dict(dtype="float64")), ("long", {}),
                                    ("float32", dict(dtype="float32"))])
def test_nanmean_out_integral_input_first(idt, kw):
    def f(lib):
        kws = {k: getattr(lib, v) for k, v in kw.items()}
        return lib.nanmean(lib.tensor([[1, 2]]).to(getattr(lib, idt)), 1,
                           out=lib.empty(1), **kws)
    _same(f)
