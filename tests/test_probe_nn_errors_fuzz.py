"""Wrong inputs to nn layers and losses (wrong rank, dtype, shape, empty batch), fuzzed: ember
raises PyTorch's exception type with its message, in PyTorch's order of checks, and gives its
outputs (dtype, shape, values) where the input is valid after all."""
import random
import warnings

import numpy as np
import pytest

import ember
from diff import quiet_run

torch = pytest.importorskip("torch")


def _outcome(lib, fn):
    """``fn(lib)``'s output (dtype, shape, grad_fn name, values) or its exception."""
    out, err = quiet_run(lib, fn)
    if err:
        return err
    if isinstance(out, tuple):
        out = out[0]
    gf = type(out.grad_fn).__name__ if out.grad_fn is not None else None
    vals = out.detach().double().numpy() if out.dtype.is_floating_point else out.numpy()
    return str(out.dtype), tuple(out.shape), gf, vals


def _same(fn):
    want, got = _outcome(torch, fn), _outcome(ember, fn)
    assert got[:3] == want[:3]
    if len(want) == 4:
        np.testing.assert_allclose(got[3], want[3], rtol=2e-3, atol=2e-3)


def _ones(lib, shape, dt="float32"):
    return lib.ones(shape, dtype=getattr(lib, dt))


def _mod(lib, name, *args, **kw):
    lib.manual_seed(0)
    return getattr(lib.nn, name)(*args, **kw)


CASES = {
    # conv1d/2d/3d check the bias dtype before the input's rank
    "conv1d_bias_before_rank": lambda L: _mod(L, "Conv1d", 3, 4, 3)(
        _ones(L, (2, 2, 3, 8), "int64")),
    "conv2d_bias_before_rank": lambda L: _mod(L, "Conv2d", 3, 4, 3).double()(
        _ones(L, (2, 2, 3, 8, 8))),
    "conv3d_bias_before_rank": lambda L: _mod(L, "Conv3d", 2, 3, 2)(_ones(L, (8, 8), "float16")),
    "conv_same_rank_first": lambda L: L.nn.functional.conv1d(
        _ones(L, (2, 2, 3, 8)), _ones(L, (4, 3, 3)), _ones(L, (4,), "float64"), padding="same"),
    # an empty batch runs no kernel: any dtypes, promoted as ``input * weight[0]``
    "conv_empty_int": lambda L: _mod(L, "Conv2d", 3, 4, 3, bias=False)(
        _ones(L, (0, 3, 5, 5), "int64")),
    "conv_empty_half": lambda L: _mod(L, "Conv1d", 3, 4, 3, bias=False)(
        _ones(L, (0, 3, 5), "float16")),
    "convT_empty_double": lambda L: _mod(L, "ConvTranspose2d", 3, 2, 3)(
        _ones(L, (0, 3, 4, 4), "float64")),
    "convT_empty_bool": lambda L: _mod(L, "ConvTranspose1d", 3, 4, 3, stride=2)(
        _ones(L, (0, 3, 5), "bool")),
    "convT_empty_spatial": lambda L: _mod(L, "ConvTranspose2d", 3, 2, 3)(_ones(L, (2, 3, 0, 0))),
    "convT1d_empty_spatial": lambda L: _mod(L, "ConvTranspose1d", 3, 2, 3)(_ones(L, (3, 0))),
    # bilinear: the inputs' ranks, then their batch dims, sizes, the bias's size
    "bilinear_rank": lambda L: _mod(L, "Bilinear", 4, 5, 3)(_ones(L, (2, 4)), _ones(L, (5,))),
    "bilinear_rank3": lambda L: _mod(L, "Bilinear", 4, 5, 3)(_ones(L, (2, 2, 4)), _ones(L, (2, 5))),
    "bilinear_bias": lambda L: L.nn.functional.bilinear(
        _ones(L, (2, 4)), _ones(L, (2, 5)), _ones(L, (3, 4, 5)), _ones(L, (2,))),
    "bilinear_weight2d": lambda L: L.nn.functional.bilinear(
        _ones(L, (2, 4)), _ones(L, (2, 5)), _ones(L, (4, 5))),
    "bilinear_weight4d": lambda L: L.nn.functional.bilinear(
        _ones(L, (2, 4)), _ones(L, (2, 5)), _ones(L, (3, 4, 5, 1))),
    # layer norm: mixed dtypes before the shapes
    "layernorm_mixed_first": lambda L: _mod(L, "LayerNorm", 5)(_ones(L, (2, 3, 4), "float64")),
    "layernorm_int_mixed": lambda L: _mod(L, "LayerNorm", [3, 5])(_ones(L, (2, 3, 3), "int64")),
    "layernorm_param_mixed": lambda L: L.nn.functional.layer_norm(
        _ones(L, (2, 5)), (5,), _ones(L, (5,), "float64"), _ones(L, (4,))),
    "layernorm_noaffine_shape": lambda L: _mod(L, "LayerNorm", 5, elementwise_affine=False)(
        _ones(L, (2, 3, 4), "int64")),
    # linear / mm: the shapes before the dtypes; empty and contiguous inputs use addmm
    "linear_shape_before_dtype": lambda L: L.nn.functional.linear(
        _ones(L, (6, 1), "float64"), _ones(L, (8, 4))),
    "linear_empty_addmm": lambda L: L.nn.functional.linear(
        _ones(L, (0, 2, 4), "float64"), _ones(L, (8, 4)), _ones(L, (8,))),
    "linear_empty_view": lambda L: L.nn.functional.linear(
        _ones(L, (0, 2, 4)).requires_grad_(), _ones(L, (8, 4)), _ones(L, (8,))),
    "linear_last_dim_empty": lambda L: L.nn.functional.linear(
        _ones(L, (2, 3, 0), "int32"), _ones(L, (8, 4)), _ones(L, (8,))),
    "mm_shape_first": lambda L: L.mm(_ones(L, (4, 8), "float16"), _ones(L, (7, 2))),
    "mv_shape_first": lambda L: L.mv(_ones(L, (4, 8)), _ones(L, (1,), "float64")),
    "mv_bool_shape_first": lambda L: L.mv(_ones(L, (4, 8), "bool"), _ones(L, (1,), "bool")),
    # multi-head attention projects the query first
    "mha_query_first": lambda L: _mod(L, "MultiheadAttention", 4, 2)(
        _ones(L, (3, 2, 4), "float64"), _ones(L, (3, 2, 1)), _ones(L, (3, 2, 1))),
    "mha_empty_batch": lambda L: _mod(L, "MultiheadAttention", 4, 2)(
        _ones(L, (0, 2, 4), "int32"), _ones(L, (3, 2, 4)), _ones(L, (3, 2, 4))),
    "tel_empty_double": lambda L: _mod(L, "TransformerEncoderLayer", 4, 2, 8, dropout=0.0)(
        _ones(L, (0, 2, 4), "float64")),
    # batch / instance norm of an empty input: no checks, ``input * weight[0] + bias[0]``
    "bn_empty_int": lambda L: _mod(L, "BatchNorm1d", 4)(_ones(L, (0, 4), "int64")),
    "bn_empty_wrong_channels": lambda L: _mod(L, "BatchNorm2d", 3)(_ones(L, (2, 0, 4, 4))),
    "bn_empty_half": lambda L: _mod(L, "BatchNorm1d", 4)(_ones(L, (0, 4, 3), "float16")),
    "bn_empty_eval_double": lambda L: _mod(L, "BatchNorm1d", 4).eval()(
        _ones(L, (2, 4, 0), "float64")),
    "bn_empty_one_stat": lambda L: L.nn.functional.batch_norm(
        _ones(L, (0, 3)), _ones(L, (3,)), None),
    "in_empty_affine": lambda L: _mod(L, "InstanceNorm1d", 3, affine=True)(_ones(L, (0, 3, 6))),
    "in_empty_int": lambda L: _mod(L, "InstanceNorm2d", 3)(_ones(L, (2, 3, 0, 4), "int64")),
    "in_empty_stats_int": lambda L: _mod(L, "InstanceNorm1d", 4, affine=True,
                                         track_running_stats=True)(_ones(L, (2, 4, 0), "int64")),
    # rms_norm: the mismatch warning before the dtype check (not compared), then its error
    "rmsnorm_long": lambda L: L.nn.functional.rms_norm(_ones(L, (2, 5), "int64"), (5,),
                                                       _ones(L, (5,))),
    # adaptive pooling: max pooling refuses an empty channel dim; an empty integer input
    # runs no average-pooling kernel
    "adaptive_max_empty_channels": lambda L: _mod(L, "AdaptiveMaxPool2d", 2)(
        _ones(L, (2, 0, 5, 5), "float16")),
    "adaptive_max3d_empty_channels": lambda L: L.nn.functional.adaptive_max_pool3d(
        _ones(L, (2, 0, 3, 3, 3)), 2),
    "adaptive_max_unbatched_empty": lambda L: L.nn.functional.adaptive_max_pool2d(
        _ones(L, (0, 3, 3)), 2),
    "adaptive_avg_empty_int": lambda L: _mod(L, "AdaptiveAvgPool2d", (2, 3))(
        _ones(L, (2, 0, 3, 3), "int64")),
    "adaptive_avg1d_empty_bool": lambda L: _mod(L, "AdaptiveAvgPool1d", 3)(
        _ones(L, (0, 3, 7), "bool")),
    # losses
    "bce_int": lambda L: L.nn.functional.binary_cross_entropy(
        _ones(L, (3, 4), "int64"), _ones(L, (3, 4), "int64")),
    "bce_bool": lambda L: L.nn.functional.binary_cross_entropy(
        _ones(L, (3, 4), "bool"), _ones(L, (3, 4), "bool"), weight=_ones(L, (4,))),
    "soft_margin_bool": lambda L: L.nn.functional.soft_margin_loss(
        _ones(L, (3, 4), "bool"), _ones(L, (3, 4))),
    "soft_margin_int": lambda L: L.nn.functional.soft_margin_loss(
        _ones(L, (3, 4), "int32"), _ones(L, (3, 4), "int64")),
    "soft_margin_int_float": lambda L: L.nn.functional.soft_margin_loss(
        _ones(L, (3, 4), "int64"), _ones(L, (3, 4))),
    "hinge_bool": lambda L: L.nn.functional.hinge_embedding_loss(
        _ones(L, (3, 4), "bool"), _ones(L, (3, 4), "int64")),
    "huber_int_long": lambda L: L.nn.functional.huber_loss(
        _ones(L, (3,), "int32"), _ones(L, (3,), "int64")),
    "huber_bool_long": lambda L: L.nn.functional.huber_loss(
        _ones(L, (3,), "bool"), _ones(L, (3,), "int64")),
    "huber_shape_before_delta": lambda L: L.nn.functional.huber_loss(
        _ones(L, (3,)), _ones(L, (2,)), delta=-1.0),
    "smooth_l1_shape_before_beta": lambda L: L.nn.functional.smooth_l1_loss(
        _ones(L, (3,)), _ones(L, (2,)), beta=-1.0),
    "mse_shape_before_dtype": lambda L: L.nn.functional.mse_loss(
        _ones(L, (3,), "int32"), _ones(L, (2,), "int64")),
    "bcel_pos_weight_bool": lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        _ones(L, (3, 4)), _ones(L, (3, 4)), pos_weight=_ones(L, (4, 2), "bool")),
    "bcel_int_before_shapes": lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        _ones(L, (3, 4), "int64"), _ones(L, (3, 4)), weight=_ones(L, (5,))),
    "bcel_weight_larger": lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        _ones(L, (3, 4)), _ones(L, (3, 4)), weight=_ones(L, (2, 3, 4))),
    "bcel_target_long_weight": lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        _ones(L, (3, 4)), _ones(L, (3, 4), "int64"), weight=_ones(L, (5,))),
    "margin_ranking_int": lambda L: L.nn.functional.margin_ranking_loss(
        _ones(L, (3,), "int64"), _ones(L, (3,), "int64"), _ones(L, (3,), "int32")),
    "margin_ranking_bool": lambda L: L.nn.functional.margin_ranking_loss(
        _ones(L, (3,), "bool"), _ones(L, (3,), "bool"), _ones(L, (3,), "bool")),
    "multilabel_half": lambda L: L.nn.functional.multilabel_margin_loss(
        _ones(L, (3, 4), "float16"), _ones(L, (3, 4), "bool")),
    "multilabel_shape_before_dtype": lambda L: L.nn.functional.multilabel_margin_loss(
        _ones(L, (3, 4), "int32"), _ones(L, (1, 4), "int64")),
    "multilabel_range_before_dtype": lambda L: L.nn.functional.multilabel_margin_loss(
        _ones(L, (4, 2), "int64"), _ones(L, (4, 2), "int64") * 7),
    "nll_target_dtype_first": lambda L: L.nn.functional.nll_loss(
        _ones(L, (3, 4)), _ones(L, (3,)), weight=_ones(L, (3,))),
    "nll_1d_target_dtype": lambda L: L.nn.functional.nll_loss(_ones(L, (4,)), _ones(L, (2,))),
    "nll_int_input_first": lambda L: L.nn.functional.nll_loss(
        _ones(L, (3, 4), "int64"), _ones(L, (3,), "uint8"), _ones(L, (4,), "float64")),
    "nll2d_byte_target": lambda L: L.nn.functional.nll_loss(
        _ones(L, (3, 4, 2, 2)), _ones(L, (3, 2, 2), "uint8")),
    "nll2d_weight_dtype_first": lambda L: L.nn.functional.nll_loss(
        _ones(L, (3, 4, 2, 2)), _ones(L, (3, 2, 2), "uint8"), _ones(L, (4,), "float64")),
    "nll2d_weight_before_size": lambda L: L.nn.functional.nll_loss(
        _ones(L, (3, 4, 2, 2)), _ones(L, (3, 2, 3), "int64"), _ones(L, (3,))),
    "nll2d_weight_any_shape": lambda L: L.nn.functional.nll_loss(
        _ones(L, (3, 4, 2, 2)), _ones(L, (3, 2, 2), "int64"), _ones(L, (2, 2))),
    "nll3d_weight_any_shape": lambda L: L.nn.functional.nll_loss(
        _ones(L, (3, 4, 2)), _ones(L, (3, 2), "int64"), _ones(L, (4, 1))),
    "ce_target_dtype_first": lambda L: L.nn.functional.cross_entropy(
        _ones(L, (3, 4, 2, 2)), _ones(L, (3, 2, 2), "int32"), _ones(L, (3,))),
    "ce_smoothing_target_dtype": lambda L: L.nn.functional.cross_entropy(
        _ones(L, (3, 4)), _ones(L, (3,), "int32"), _ones(L, (3,)), label_smoothing=0.1),
    "ce_byte_spatial": lambda L: L.nn.functional.cross_entropy(
        _ones(L, (3, 4, 2, 2)), _ones(L, (3, 2, 2), "uint8"), label_smoothing=0.1),
    "ctc_dtype_first": lambda L: L.nn.functional.ctc_loss(
        _ones(L, (6, 2, 4, 2), "float16"), _ones(L, (2, 3), "int64"), (6, 6), (2, 2)),
    "ctc_empty": lambda L: L.nn.functional.ctc_loss(
        _ones(L, (6, 0, 4)), _ones(L, (2, 3), "int64"), (6, 6), (2, 2)),
    "ctc_targets_dim": lambda L: L.nn.functional.ctc_loss(
        _ones(L, (6, 2, 4)), _ones(L, (2, 3, 2), "int64"), (6,), (2, 2)),
    "ctc_targets_size": lambda L: L.nn.functional.ctc_loss(
        _ones(L, (6, 2, 4)), _ones(L, (5, 3), "int64"), (8, 6), (2, 2)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name):
    _same(CASES[name])


def test_rms_norm_warning_before_error():
    got = []
    for lib in (torch, ember):
        lib.set_warn_always(True)  # (a TORCH_WARN_ONCE: warned every time)
        try:
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                with pytest.raises(NotImplementedError):
                    lib.nn.functional.rms_norm(lib.ones(2, 5, dtype=lib.int64), (5,),
                                               lib.ones(5))
        finally:
            lib.set_warn_always(False)
        got.append([str(x.message).split(" (Triggered")[0] for x in w])
    assert got[0] == got[1] == ["Mismatch dtype between input and weight: input dtype = long "
                                "int, weight dtype = float, Cannot dispatch to fused "
                                "implementation."]


@pytest.mark.parametrize("dt,shape", [("float16", (4, 5, 7, 3)), ("float16", (3, 16, 9)),
                                      ("bfloat16", (8, 3))])
def test_half_batch_norm_bits(dt, shape):
    """A batch norm in a half type throughout keeps its statistics in that type, as PyTorch's
    CPU kernel: the same bits (instance norm without affine parameters too)."""
    a = np.random.RandomState(1).standard_normal(shape).astype(np.float32) * 3 + 1
    got = []
    for lib in (torch, ember):
        x = lib.from_numpy(a).to(getattr(lib, dt))
        lib.manual_seed(0)
        bn = (lib.nn.BatchNorm1d if len(shape) < 4 else lib.nn.BatchNorm2d)(shape[1])
        outs = [bn.to(getattr(lib, dt))(x)]
        if len(shape) == 3:
            outs.append(lib.nn.InstanceNorm1d(shape[1])(x))
        got.append([o.detach().float().numpy() for o in outs])
    for want, have in zip(*got):
        np.testing.assert_array_equal(have, want)


# -- seeded fuzz: random wrong (and right) inputs to layers and losses ----------------------

_DTS = ["float32"] * 5 + ["float64", "int64", "float16", "int32", "bool"]


def _mutate(rng, base):
    s = list(base)
    r = rng.random()
    if r < 0.15 and s:
        s = s[1:]
    elif r < 0.3:
        s = [2] + s
    elif r < 0.5 and s:
        s[rng.randrange(len(s))] = rng.choice([0, 1, 3])
    return tuple(s)


_LAYERS = [
    ("Linear", (4, 3), (2, 4)), ("Conv1d", (3, 4, 3), (2, 3, 8)),
    ("Conv2d", (3, 4, 3), (2, 3, 5, 5)), ("ConvTranspose1d", (3, 4, 3), (2, 3, 5)),
    ("ConvTranspose2d", (3, 2, 3), (1, 3, 4, 4)), ("BatchNorm1d", (4,), (3, 4)),
    ("BatchNorm2d", (3,), (2, 3, 4, 4)), ("LayerNorm", (5,), (2, 3, 5)),
    ("GroupNorm", (2, 4), (2, 4, 5)), ("InstanceNorm1d", (3,), (2, 3, 6)),
    ("RMSNorm", (5,), (2, 5)), ("Bilinear", (4, 5, 3), (2, 4)),
]


def _layer_case(rng):
    name, args, base = rng.choice(_LAYERS)
    double, shape, dt = rng.random() < 0.2, _mutate(rng, base), rng.choice(_DTS)
    other = _mutate(rng, (2, 5))

    def fn(L):
        m = _mod(L, name, *args)
        if double:
            m = m.double()
        x = _ones(L, shape, dt)
        return m(x, _ones(L, other, dt)) if name == "Bilinear" else m(x)
    return fn


def _loss_case(rng):
    kind = rng.choice(["nll", "ce", "bce", "bcel", "mse", "huber", "sm", "mr", "hinge"])
    xs = _mutate(rng, rng.choice([(3, 4), (3, 4, 2)]))
    xd, td = rng.choice(_DTS), rng.choice(_DTS + ["int64"] * 3)
    if kind in ("nll", "ce"):
        ts = _mutate(rng, (xs[0],) + tuple(xs[2:]) if len(xs) > 1 else ())
    else:
        ts = _mutate(rng, xs) if rng.random() < 0.5 else xs
    ws = _mutate(rng, (4,)) if rng.random() < 0.3 else None
    wd = rng.choice(_DTS)

    def fn(L):
        f = L.nn.functional
        x, t = _ones(L, xs, xd), _ones(L, ts, td)
        w = None if ws is None else _ones(L, ws, wd)
        if kind == "nll":
            return f.nll_loss(x, t, weight=w)
        if kind == "ce":
            return f.cross_entropy(x, t, weight=w)
        if kind == "bce":
            return f.binary_cross_entropy(x * 0.5 if x.is_floating_point() else x, t, weight=w)
        if kind == "bcel":
            return f.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=w)
        if kind == "mse":
            return f.mse_loss(x, t)
        if kind == "huber":
            return f.huber_loss(x, t, delta=rng_delta)
        if kind == "sm":
            return f.soft_margin_loss(x, t)
        if kind == "hinge":
            return f.hinge_embedding_loss(x, t)
        return f.margin_ranking_loss(x, _ones(L, ts, xd), t)
    rng_delta = rng.choice([1.0, -1.0])
    return fn


@pytest.mark.parametrize("seed", range(3))
def test_fuzz_layers_and_losses(seed):
    rng = random.Random(seed)
    for _ in range(50):
        fn = _layer_case(rng) if rng.random() < 0.5 else _loss_case(rng)
        _same(fn)
