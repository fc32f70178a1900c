"""A differential sweep of ``ember.nn`` layers against PyTorch.

Each row of ``CASES`` names a layer, its constructor arguments and the inputs it
is fed.  For every row the two libraries are seeded alike and the layer built in
both; then ``sweep`` compares, in order:

- the initial parameters and buffers (bit for bit), ``state_dict`` key order,
  ``named_modules``/``named_parameters``/``named_buffers`` names and ``repr``;
- forward outputs in float32 and (after ``.to(float64)``) float64, in training
  and evaluation mode, with buffers after a training step (running statistics);
- the gradients of the inputs and parameters after ``backward()`` of a weighted sum;
- unbatched inputs and wrongly shaped inputs (exception type and message);
- float16 and bfloat16 forward and gradients where PyTorch has CPU kernels;
- strided inputs, an empty batch, one channel too many, float32 input to a float64 layer;
- ``copy.deepcopy``, strict/non-strict/wrong-shape ``load_state_dict``, loading PyTorch's
  weights into a fresh layer, ``zero_grad``, ``requires_grad_``, ``train(False)``,
  non-persistent buffers and ``dir()``.

``SCENARIOS`` below cover containers, registration errors, hooks and state-dict hooks.
Run this file as a script to apply every check to every row and print each mismatch.
"""

from __future__ import annotations

import copy
import math
import re
from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


# ----------------------------------------------------------------------------- inputs
class Spec:
    """One input: how to draw it (from a NumPy generator) and whether it needs grad."""

    def __init__(self, kind, shape, grad=None, **kw):
        self.kind, self.shape, self.kw = kind, shape, kw
        self.grad = (kind in ("f", "p", "pos", "logp")) if grad is None else grad

    def draw(self, rng, dtype):
        k, s = self.kind, self.shape
        if k == "f":
            return rng.standard_normal(s).astype(dtype)
        if k == "p":
            return rng.uniform(0.05, 0.95, s).astype(dtype)
        if k == "pos":
            return rng.uniform(0.2, 2.0, s).astype(dtype)
        if k == "b":
            return rng.integers(0, 2, s).astype(dtype)
        if k == "sign":
            return (rng.integers(0, 2, s) * 2 - 1).astype(dtype)
        if k == "long":
            return rng.integers(self.kw.get("lo", 0), self.kw["hi"], s).astype(np.int64)
        if k == "const":
            return np.asarray(self.kw["value"], dtype=self.kw.get("dtype", np.int64))
        if k == "logp":
            x = rng.standard_normal(s)
            x = x - np.log(np.exp(x).sum(-1, keepdims=True))
            return x.astype(dtype)
        if k == "fn":
            return self.kw["fn"](rng, dtype)
        raise ValueError(k)


def F(*shape, grad=None):
    return Spec("f", shape, grad)


def P(*shape, grad=None):
    return Spec("p", shape, grad)


def Pos(*shape, grad=None):
    return Spec("pos", shape, grad)


def B(*shape):
    return Spec("b", shape, False)


def Sign(*shape):
    return Spec("sign", shape, False)


def L(hi, *shape, lo=0):
    return Spec("long", shape, False, hi=hi, lo=lo)


def Const(value, dtype=np.int64):
    return Spec("const", (), False, value=value, dtype=dtype)


def LogP(*shape):
    return Spec("logp", shape)


def Fn(fn, grad=False):
    return Spec("fn", (), grad, fn=fn)


def unpool_indices(out_shape, kernel, in_spatial):
    """Valid, distinct MaxUnpool indices: one cell of each pooling window."""

    def draw(rng, dtype):
        nd = len(kernel)
        pooled = out_shape[-nd:]
        idx = np.zeros(out_shape, dtype=np.int64)
        for pos in np.ndindex(*pooled):
            off = [p * k + rng.integers(0, k) for p, k in zip(pos, kernel)]
            flat = int(np.ravel_multi_index(off, in_spatial))
            idx[(Ellipsis,) + pos] = flat
        return idx

    return Fn(draw)


# ----------------------------------------------------------------------------- cases
class Case:
    def __init__(
        self,
        ctor,
        kwargs=None,
        inputs=(),
        *,
        unbatched=None,
        bad=None,
        half=True,
        random=False,
        grad=True,
        fkw=None,
        rtol=None,
        id=None,
        train_only=False,
        skip_eval=False,
        empty=True,
        low_grad=True,
    ):
        self.ctor, self.kwargs = ctor, dict(kwargs or {})
        self.inputs, self.unbatched, self.bad = list(inputs), unbatched, bad
        self.half, self.random, self.grad, self.fkw = half, random, grad, dict(fkw or {})
        self.rtol, self.train_only, self.skip_eval = rtol, train_only, skip_eval
        self.empty = empty
        self.low_grad = low_grad  # compare float16/bfloat16 gradients
        name = ctor if isinstance(ctor, str) else ctor.__name__
        args = ",".join(
            f"{k}={v!r}" if not callable(v) else f"{k}=fn" for k, v in self.kwargs.items()
        )
        self.id = id or f"{name}({args})"

    def build(self, lib):
        nn = lib.nn
        if isinstance(self.ctor, str):
            kw = {
                k: (v(lib) if callable(v) and getattr(v, "_lib", False) else v)
                for k, v in self.kwargs.items()
            }
            return getattr(nn, self.ctor)(**kw)
        return self.ctor(nn)


def W(fn):
    """A constructor argument that depends on the library (a weight tensor, ...)."""
    fn._lib = True
    return fn


def w(*values):
    return W(lambda lib: lib.tensor(list(values)))


CASES: list[Case] = []


def add(*a, **k):
    CASES.append(Case(*a, **k))


# activations
X3 = [F(2, 3, 4)]
for name, kws in [
    ("ReLU", [{}, {"inplace": True}]),
    ("ReLU6", [{}, {"inplace": True}]),
    ("ELU", [{}, {"alpha": 0.5, "inplace": True}]),
    ("CELU", [{}, {"alpha": 2.0}]),
    ("SELU", [{}, {"inplace": True}]),
    ("GELU", [{}, {"approximate": "tanh"}]),
    ("GLU", [{}]),
    ("Hardshrink", [{}, {"lambd": 0.3}]),
    ("Hardsigmoid", [{}]),
    ("Hardswish", [{}]),
    ("Hardtanh", [{}, {"min_val": -0.5, "max_val": 0.5, "inplace": True}]),
    ("LeakyReLU", [{}, {"negative_slope": 0.2, "inplace": True}]),
    ("LogSigmoid", [{}]),
    ("LogSoftmax", [{"dim": 1}, {"dim": -1}]),
    ("Mish", [{}]),
    ("SiLU", [{}]),
    ("Sigmoid", [{}]),
    ("Softmax", [{"dim": -1}, {"dim": 0}]),
    ("Softmin", [{"dim": 1}]),
    ("Softplus", [{}, {"beta": 2.0, "threshold": 1.0}]),
    ("Softshrink", [{}, {"lambd": 0.2}]),
    ("Softsign", [{}]),
    ("Tanh", [{}]),
    ("Tanhshrink", [{}]),
    (
        "Threshold",
        [{"threshold": 0.1, "value": 20.0}, {"threshold": 0.1, "value": 20.0, "inplace": True}],
    ),
    ("Identity", [{}, {"unused": 3}]),
    ("PReLU", [{}, {"num_parameters": 3, "init": 0.1}]),
]:
    for kw in kws:
        add(name, kw, [F(2, 4, 4)] if name == "GLU" else X3)
add("GLU", {"dim": 1}, [F(2, 4, 3)])
add("Softmax2d", {}, [F(2, 3, 4, 4)], unbatched=[F(3, 4, 4)], bad=[F(4, 4)])
add("RReLU", {}, X3, random=True)
add("RReLU", {"lower": 0.1, "upper": 0.3, "inplace": True}, X3, random=True)

# linear
add("Linear", {"in_features": 5, "out_features": 4}, [F(2, 5)], unbatched=[F(5)], bad=[F(2, 6)])
add("Linear", {"in_features": 5, "out_features": 4, "bias": False}, [F(2, 3, 5)])
add(
    "Bilinear",
    {"in1_features": 3, "in2_features": 4, "out_features": 5},
    [F(2, 3), F(2, 4)],
    unbatched=[F(3), F(4)],
    bad=[F(2, 4), F(2, 4)],
)
add(
    "Bilinear",
    {"in1_features": 3, "in2_features": 4, "out_features": 5, "bias": False},
    [F(2, 3), F(2, 4)],
)
add("LazyLinear", {"out_features": 4}, [F(2, 5)])
add("LazyLinear", {"out_features": 4, "bias": False}, [F(2, 5)])
add("Identity", {}, [F(2, 5)])

# convolutions
for nd, sp in ((1, (9,)), (2, (7, 6)), (3, (5, 4, 5))):
    conv, convt = f"Conv{nd}d", f"ConvTranspose{nd}d"
    base = {"in_channels": 4, "out_channels": 6, "kernel_size": 3}
    opts = [
        {},
        {"bias": False},
        {"stride": 2, "padding": 1},
        {"dilation": 2, "padding": 2},
        {"groups": 2},
        {"padding": "same"},
        {"padding": "valid"},
        {"padding": 1, "padding_mode": "reflect"},
        {"padding": 1, "padding_mode": "replicate"},
        {"padding": 1, "padding_mode": "circular"},
        {"padding": "same", "dilation": 2},
    ]
    if nd > 1:
        opts = (
            opts[:6]
            + [
                {
                    "kernel_size": (3,) + (2,) * (nd - 1),
                    "stride": (1,) + (2,) * (nd - 1),
                    "padding": (1,) + (0,) * (nd - 1),
                }
            ]
            + opts[7:9]
        )
    for o in opts:
        add(
            conv,
            {**base, **o},
            [F(2, 4, *sp)],
            unbatched=[F(4, *sp)] if not o else None,
            bad=[F(2, 3, *sp)] if not o else None,
        )
    topts = [
        {},
        {"bias": False},
        {"stride": 2, "output_padding": 1},
        {"stride": 2, "padding": 1},
        {"groups": 2},
        {"dilation": 2},
        {"stride": 2, "dilation": 2, "output_padding": 1},
    ]
    for o in topts:
        add(
            convt,
            {**base, **o},
            [F(2, 4, *sp)],
            unbatched=[F(4, *sp)] if not o else None,
            bad=[F(2, 3, *sp)] if not o else None,
        )
    add(f"LazyConv{nd}d", {"out_channels": 6, "kernel_size": 3}, [F(2, 4, *sp)])
    add(
        f"LazyConvTranspose{nd}d",
        {"out_channels": 6, "kernel_size": 3, "stride": 2},
        [F(2, 4, *sp)],
    )

# pooling
add("MaxPool1d", {"kernel_size": 2}, [F(2, 3, 9)], unbatched=[F(3, 9)], bad=[F(2, 3, 1)])
add("MaxPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [F(2, 3, 8)])
add("MaxPool1d", {"kernel_size": 2, "dilation": 2, "return_indices": True}, [F(2, 3, 9)])
add("MaxPool2d", {"kernel_size": 2}, [F(2, 3, 6, 7)], unbatched=[F(3, 6, 7)], bad=[F(2, 3, 1, 1)])
add("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [F(2, 3, 6, 7)])
add(
    "MaxPool2d",
    {"kernel_size": (2, 3), "dilation": (2, 1), "return_indices": True},
    [F(2, 3, 6, 7)],
)
add("MaxPool3d", {"kernel_size": 2}, [F(2, 3, 4, 5, 4)], unbatched=[F(3, 4, 5, 4)])
add(
    "MaxPool3d",
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "return_indices": True},
    [F(1, 2, 5, 4, 5)],
)
add("AvgPool1d", {"kernel_size": 2}, [F(2, 3, 9)], unbatched=[F(3, 9)])
add(
    "AvgPool1d",
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    [F(2, 3, 8)],
)
add("AvgPool2d", {"kernel_size": 2}, [F(2, 3, 6, 7)], unbatched=[F(3, 6, 7)])
add(
    "AvgPool2d",
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    [F(2, 3, 6, 7)],
)
add("AvgPool2d", {"kernel_size": 2, "divisor_override": 3}, [F(2, 3, 6, 7)])
add("AvgPool3d", {"kernel_size": 2}, [F(2, 3, 4, 5, 4)], unbatched=[F(3, 4, 5, 4)])
add(
    "AvgPool3d",
    {
        "kernel_size": 3,
        "stride": 2,
        "padding": 1,
        "ceil_mode": True,
        "count_include_pad": False,
        "divisor_override": 5,
    },
    [F(1, 2, 5, 4, 5)],
)
add("LPPool1d", {"norm_type": 2, "kernel_size": 3}, [Pos(2, 3, 9)], unbatched=[Pos(3, 9)])
add(
    "LPPool1d", {"norm_type": 1.5, "kernel_size": 2, "stride": 1, "ceil_mode": True}, [Pos(2, 3, 8)]
)
add("LPPool2d", {"norm_type": 2, "kernel_size": 2}, [Pos(2, 3, 6, 7)], unbatched=[Pos(3, 6, 7)])
add(
    "LPPool2d",
    {"norm_type": 3, "kernel_size": (2, 3), "stride": 2, "ceil_mode": True},
    [Pos(2, 3, 6, 7)],
)
add("LPPool3d", {"norm_type": 2, "kernel_size": 2}, [Pos(2, 3, 4, 5, 4)])
for nd, sp in ((1, (9,)), (2, (6, 7)), (3, (4, 5, 6))):
    for kind in ("Avg", "Max"):
        name = f"Adaptive{kind}Pool{nd}d"
        outs = [3, (2,) * nd] if nd == 1 else [3, (2,) + (None,) * (nd - 1), (4,) * nd]
        for o in outs:
            add(name, {"output_size": o}, [F(2, 3, *sp)], unbatched=[F(3, *sp)])
        if kind == "Max":
            add(name, {"output_size": 2, "return_indices": True}, [F(2, 3, *sp)])
add(
    "FractionalMaxPool2d",
    {"kernel_size": 2, "output_size": 3},
    [F(2, 3, 7, 6)],
    unbatched=[F(3, 7, 6)],
    random=True,
)
add(
    "FractionalMaxPool2d",
    {"kernel_size": (2, 3), "output_ratio": 0.5, "return_indices": True},
    [F(2, 3, 8, 8)],
    random=True,
)
add("FractionalMaxPool3d", {"kernel_size": 2, "output_size": 2}, [F(1, 2, 5, 5, 5)], random=True)
add("MaxUnpool1d", {"kernel_size": 2}, [F(2, 3, 4), unpool_indices((2, 3, 4), (2,), (8,))])
add(
    "MaxUnpool2d", {"kernel_size": 2}, [F(2, 3, 3, 2), unpool_indices((2, 3, 3, 2), (2, 2), (6, 4))]
)
add(
    "MaxUnpool2d",
    {"kernel_size": 2, "stride": 2, "padding": 0},
    [F(1, 2, 3, 3), unpool_indices((1, 2, 3, 3), (2, 2), (7, 7))],
    fkw={"output_size": [7, 7]},
)
add(
    "MaxUnpool3d",
    {"kernel_size": 2},
    [F(1, 2, 2, 2, 2), unpool_indices((1, 2, 2, 2, 2), (2, 2, 2), (4, 4, 4))],
)

# normalisation
for nd, sp, ub in (
    (1, (4, 3), None),
    (1, (4, 3, 5), None),
    (2, (4, 3, 5, 4), None),
    (3, (2, 3, 3, 4, 2), None),
):
    name = f"BatchNorm{nd}d"
    for o in (
        {},
        {"momentum": None},
        {"affine": False},
        {"track_running_stats": False},
        {"eps": 1e-3, "momentum": 0.3},
    ):
        add(name, {"num_features": 3, **o}, [F(*sp)], bad=[F(4, 5, *sp[2:])] if not o else None)
    add(f"LazyBatchNorm{nd}d", {}, [F(*sp)])
    if len(sp) > 2:
        iname = f"InstanceNorm{nd}d"
        for o in (
            {},
            {"affine": True},
            {"track_running_stats": True},
            {"affine": True, "track_running_stats": True, "momentum": 0.2},
        ):
            # (PyTorch's affine instance norm fails on an empty batch with an IndexError)
            add(
                iname,
                {"num_features": 3, **o},
                [F(*sp)],
                unbatched=[F(*sp[1:])],
                empty=not o.get("affine"),
            )
        add(f"LazyInstanceNorm{nd}d", {"affine": True}, [F(*sp)], empty=False)
add("GroupNorm", {"num_groups": 2, "num_channels": 4}, [F(3, 4, 5)], bad=[F(3, 6, 5)])
add(
    "GroupNorm", {"num_groups": 2, "num_channels": 4, "affine": False, "eps": 1e-3}, [F(3, 4, 2, 3)]
)
add("LayerNorm", {"normalized_shape": 5}, [F(2, 3, 5)], bad=[F(2, 3, 4)])
add("LayerNorm", {"normalized_shape": [3, 5], "elementwise_affine": False}, [F(2, 3, 5)])
add("LayerNorm", {"normalized_shape": (5,), "bias": False, "eps": 1e-3}, [F(2, 5)])
add("RMSNorm", {"normalized_shape": 5}, [F(2, 3, 5)], bad=[F(2, 3, 4)])
add("RMSNorm", {"normalized_shape": [3, 5], "eps": 1e-3, "elementwise_affine": False}, [F(2, 3, 5)])
add("LocalResponseNorm", {"size": 2}, [F(2, 5, 4)])
add("LocalResponseNorm", {"size": 3, "alpha": 0.1, "beta": 0.5, "k": 2.0}, [F(2, 5, 3, 4)])
add("CrossMapLRN2d", {"size": 3}, [F(2, 5, 3, 4)], grad=False)

# dropout
for name, sp in (
    ("Dropout", (4, 6)),
    ("Dropout1d", (2, 6, 5)),
    ("Dropout2d", (2, 6, 3, 4)),
    ("Dropout3d", (2, 6, 2, 3, 4)),
    ("AlphaDropout", (4, 6)),
    ("FeatureAlphaDropout", (2, 6, 3, 4)),
):
    add(name, {}, [F(*sp)], random=True)
    add(name, {"p": 0.0}, [F(*sp)])
    add(name, {"p": 0.3, "inplace": True}, [F(*sp)], random=True)

# recurrent
for name in ("RNN", "LSTM", "GRU"):
    for o in (
        {},
        {"num_layers": 2},
        {"bias": False},
        {"batch_first": True},
        {"bidirectional": True},
        {"num_layers": 2, "bidirectional": True, "dropout": 0.0},
    ):
        inp = [F(2, 3, 4)] if o.get("batch_first") else [F(3, 2, 4)]
        add(
            name,
            {"input_size": 4, "hidden_size": 5, **o},
            inp,
            unbatched=[F(3, 4)] if not o else None,
            bad=[F(3, 2, 3)] if not o else None,
        )
    cell = name + "Cell"
    add(cell, {"input_size": 4, "hidden_size": 5}, [F(2, 4)], unbatched=[F(4)], bad=[F(2, 3)])
    add(cell, {"input_size": 4, "hidden_size": 5, "bias": False}, [F(2, 4)])
add("RNN", {"input_size": 4, "hidden_size": 5, "nonlinearity": "relu"}, [F(3, 2, 4), F(1, 2, 5)])
add("RNNCell", {"input_size": 4, "hidden_size": 5, "nonlinearity": "relu"}, [F(2, 4), F(2, 5)])
add("LSTM", {"input_size": 4, "hidden_size": 5, "proj_size": 3}, [F(3, 2, 4)])
add(
    "LSTM",
    {
        "input_size": 4,
        "hidden_size": 5,
        "proj_size": 3,
        "num_layers": 2,
        "bidirectional": True,
        "batch_first": True,
    },
    [F(2, 3, 4)],
)
add(
    "LSTMCell",
    {"input_size": 4, "hidden_size": 5},
    [
        F(2, 4),
        Spec(
            "fn",
            (),
            True,
            fn=lambda r, d: (
                r.standard_normal((2, 5)).astype(d),
                r.standard_normal((2, 5)).astype(d),
            ),
        ),
    ],
)
add("GRU", {"input_size": 4, "hidden_size": 5, "num_layers": 2}, [F(3, 2, 4), F(2, 2, 5)])

# attention and transformers
E = {"embed_dim": 8, "num_heads": 2}
for o in (
    {},
    {"bias": False},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"kdim": 6, "vdim": 5},
    {"batch_first": True},
    {"dropout": 0.0},
):
    kv = (F(4, 2, 6), F(4, 2, 5)) if "kdim" in o else (F(4, 2, 8), F(4, 2, 8))
    if o.get("batch_first"):
        q, kv = F(2, 3, 8), (F(2, 4, 8), F(2, 4, 8))
    else:
        q = F(3, 2, 8)
    add(
        "MultiheadAttention",
        {**E, **o},
        [q, *kv],
        unbatched=[F(3, 8), F(4, 8), F(4, 8)] if not o else None,
    )
add(
    "MultiheadAttention",
    E,
    [F(3, 2, 8), F(4, 2, 8), F(4, 2, 8)],
    fkw={"need_weights": False},
    id="MultiheadAttention(need_weights=False)",
)
add(
    "MultiheadAttention",
    E,
    [F(3, 2, 8), F(4, 2, 8), F(4, 2, 8)],
    fkw={"average_attn_weights": False},
    id="MultiheadAttention(average_attn_weights=False)",
)
TL = {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0.0}
for o in (
    {},
    {"activation": "gelu"},
    {"batch_first": True},
    {"norm_first": True},
    {"bias": False},
    {"layer_norm_eps": 1e-3},
):
    add(
        "TransformerEncoderLayer", {**TL, **o}, [F(3, 2, 8)], unbatched=[F(3, 8)] if not o else None
    )
    add("TransformerDecoderLayer", {**TL, **o}, [F(3, 2, 8), F(4, 2, 8)])
add("TransformerEncoderLayer", {"d_model": 8, "nhead": 2}, [F(3, 2, 8)], random=True)


def _encoder(nn):
    return nn.TransformerEncoder(nn.TransformerEncoderLayer(**TL), num_layers=2)


def _encoder_norm(nn):
    return nn.TransformerEncoder(
        nn.TransformerEncoderLayer(**TL, batch_first=True),
        2,
        norm=nn.LayerNorm(8),
        enable_nested_tensor=False,
    )


def _decoder(nn):
    return nn.TransformerDecoder(nn.TransformerDecoderLayer(**TL), 2, norm=nn.LayerNorm(8))


def _transformer(nn):
    return nn.Transformer(
        d_model=8,
        nhead=2,
        num_encoder_layers=1,
        num_decoder_layers=2,
        dim_feedforward=16,
        dropout=0.0,
    )


def _transformer_bf(nn):
    return nn.Transformer(
        d_model=8,
        nhead=2,
        num_encoder_layers=2,
        num_decoder_layers=1,
        dim_feedforward=16,
        dropout=0.0,
        batch_first=True,
        norm_first=True,
        activation="gelu",
    )


# (stacks of layers: bfloat16 rounding piles up through them, so its gradients are not compared)
add(_encoder, {}, [F(3, 2, 8)], low_grad=False)
add(_encoder_norm, {}, [F(2, 3, 8)], low_grad=False)
add(_decoder, {}, [F(3, 2, 8), F(4, 2, 8)], low_grad=False)
add(_transformer, {}, [F(4, 2, 8), F(3, 2, 8)], low_grad=False)
add(_transformer_bf, {}, [F(2, 4, 8), F(2, 3, 8)], low_grad=False)

# embeddings
add(
    "Embedding",
    {"num_embeddings": 10, "embedding_dim": 4},
    [L(10, 2, 3)],
    unbatched=[L(10, 3)],
    bad=[L(11, 2, 3, lo=10)],
)
add("Embedding", {"num_embeddings": 10, "embedding_dim": 4, "padding_idx": 0}, [L(10, 2, 5)])
add("Embedding", {"num_embeddings": 10, "embedding_dim": 4, "padding_idx": -2}, [L(10, 2, 5)])
add("Embedding", {"num_embeddings": 10, "embedding_dim": 4, "max_norm": 1.0}, [L(10, 2, 5)])
add(
    "Embedding",
    {
        "num_embeddings": 10,
        "embedding_dim": 4,
        "max_norm": 2.0,
        "norm_type": 1.0,
        "scale_grad_by_freq": True,
    },
    [L(10, 2, 5)],
)
for mode in ("mean", "sum", "max"):
    add("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 4, "mode": mode}, [L(10, 3, 4)])
    add(
        "EmbeddingBag",
        {"num_embeddings": 10, "embedding_dim": 4, "mode": mode},
        [L(10, 7), Fn(lambda r, d: np.array([0, 2, 2, 5], dtype=np.int64))],
        id=f"EmbeddingBag({mode}, offsets)",
    )
add(
    "EmbeddingBag",
    {"num_embeddings": 10, "embedding_dim": 4, "mode": "sum", "padding_idx": 1},
    [L(10, 3, 4)],
)
add(
    "EmbeddingBag",
    {"num_embeddings": 10, "embedding_dim": 4, "mode": "sum", "include_last_offset": True},
    [L(10, 7), Fn(lambda r, d: np.array([0, 2, 5, 7], dtype=np.int64))],
)
add(
    "EmbeddingBag",
    {"num_embeddings": 10, "embedding_dim": 4, "mode": "sum"},
    [L(10, 3, 4)],
    fkw={"per_sample_weights": None},
    id="EmbeddingBag(psw=None)",
)

# distances
add("CosineSimilarity", {}, [F(3, 4), F(3, 4)])
add("CosineSimilarity", {"dim": 0, "eps": 1e-4}, [F(3, 4), F(3, 4)])
add("PairwiseDistance", {}, [F(3, 4), F(3, 4)], unbatched=[F(4), F(4)])
add("PairwiseDistance", {"p": 1.0, "keepdim": True, "eps": 1e-3}, [F(3, 4), F(3, 4)])

# padding
for nd, sp in ((1, (2, 3, 5)), (2, (2, 3, 4, 5)), (3, (1, 2, 3, 4, 5))):
    for kind in ("Reflection", "Replication", "Zero", "Circular"):
        name = f"{kind}Pad{nd}d"
        add(name, {"padding": 2}, [F(*sp)], unbatched=[F(*sp[1:])])
        add(name, {"padding": tuple(range(2 * nd))}, [F(*sp)])
    add(f"ConstantPad{nd}d", {"padding": 1, "value": 3.5}, [F(*sp)], unbatched=[F(*sp[1:])])
    add(f"ConstantPad{nd}d", {"padding": tuple(range(2 * nd)), "value": -1.0}, [F(*sp)])
add("ReflectionPad1d", {"padding": 5}, [F(2, 3, 5)], id="ReflectionPad1d(too big)")

# shape layers
add("Flatten", {}, [F(2, 3, 4)])
add("Flatten", {"start_dim": 0, "end_dim": -2}, [F(2, 3, 4)])
add("Unflatten", {"dim": 1, "unflattened_size": (2, 3)}, [F(4, 6)], bad=[F(4, 5)])
add("Unflatten", {"dim": -1, "unflattened_size": (2, -1)}, [F(4, 6)])
add("Fold", {"output_size": (4, 5), "kernel_size": 2}, [F(2, 12, 12)], unbatched=[F(12, 12)])
add(
    "Fold",
    {"output_size": 5, "kernel_size": 2, "dilation": 2, "padding": 1, "stride": 2},
    [F(2, 12, 9)],
)
add("Unfold", {"kernel_size": 2}, [F(2, 3, 4, 5)], unbatched=[F(3, 4, 5)])
add("Unfold", {"kernel_size": (2, 3), "dilation": 2, "padding": 1, "stride": 2}, [F(2, 3, 6, 7)])
add(
    "PixelShuffle",
    {"upscale_factor": 2},
    [F(2, 8, 3, 2)],
    unbatched=[F(8, 3, 2)],
    bad=[F(2, 6, 3, 2)],
)
add("PixelUnshuffle", {"downscale_factor": 2}, [F(2, 2, 4, 6)], unbatched=[F(2, 4, 6)])
add("ChannelShuffle", {"groups": 2}, [F(2, 4, 3, 3)], half=False)
for o in (
    {"scale_factor": 2},
    {"scale_factor": 2, "mode": "bilinear"},
    {"size": (5, 7), "mode": "bilinear", "align_corners": True},
    {"scale_factor": 1.5, "mode": "bicubic"},
    {"size": 5, "mode": "nearest-exact"},
):
    add("Upsample", o, [F(2, 3, 4, 3)])
add("Upsample", {"scale_factor": 2, "mode": "linear"}, [F(2, 3, 4)])
add("Upsample", {"scale_factor": (2, 1, 2), "mode": "trilinear"}, [F(1, 2, 2, 3, 2)])
add("UpsamplingNearest2d", {"scale_factor": 2}, [F(2, 3, 4, 3)])
add("UpsamplingBilinear2d", {"size": (5, 6)}, [F(2, 3, 4, 3)])

# losses
RED = ("mean", "sum", "none")
for r in RED:
    add("L1Loss", {"reduction": r}, [F(3, 4), F(3, 4)])
    add("MSELoss", {"reduction": r}, [F(3, 4), F(3, 4)])
    add("BCELoss", {"reduction": r}, [P(3, 4), P(3, 4, grad=False)])
    add("BCEWithLogitsLoss", {"reduction": r}, [F(3, 4), P(3, 4, grad=False)])
    add("CrossEntropyLoss", {"reduction": r}, [F(3, 5), L(5, 3)])
    add("NLLLoss", {"reduction": r}, [LogP(3, 5), L(5, 3)])
    add("KLDivLoss", {"reduction": r}, [LogP(3, 4), P(3, 4, grad=False)])
    add("HuberLoss", {"reduction": r}, [F(3, 4), F(3, 4)])
    add("SmoothL1Loss", {"reduction": r}, [F(3, 4), F(3, 4)])
    add("SoftMarginLoss", {"reduction": r}, [F(3, 4), Sign(3, 4)])
    add("PoissonNLLLoss", {"reduction": r}, [F(3, 4), Pos(3, 4, grad=False)])
    add("GaussianNLLLoss", {"reduction": r}, [F(3, 4), F(3, 4), Pos(3, 4)])
    add("CosineEmbeddingLoss", {"reduction": r}, [F(3, 4), F(3, 4), Sign(3)])
    add("HingeEmbeddingLoss", {"reduction": r}, [F(3, 4), Sign(3, 4)])
    add("MarginRankingLoss", {"reduction": r}, [F(5), F(5), Sign(5)])
    add("MultiLabelSoftMarginLoss", {"reduction": r}, [F(3, 4), B(3, 4)])
    # (PyTorch's multi-margin kernels leave an empty batch's result uninitialised)
    add("MultiMarginLoss", {"reduction": r}, [F(3, 5), L(5, 3)], empty=False)
    add("TripletMarginLoss", {"reduction": r}, [F(3, 4), F(3, 4), F(3, 4)])
    add("TripletMarginWithDistanceLoss", {"reduction": r}, [F(3, 4), F(3, 4), F(3, 4)])
    add(
        "CTCLoss",
        {"reduction": r},
        [LogP(6, 2, 4), L(4, 2, 3, lo=1), Const([6, 5]), Const([3, 2])],
        rtol=1e-4,
    )
    add(
        "MultiLabelMarginLoss",
        {"reduction": r},
        [F(3, 4), Fn(lambda rr, d: np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 0, 0]]))],
        empty=False,
    )
add("MSELoss", {}, [F(3, 4), F(3, 4)], bad=[F(3, 4), F(3, 5)])
add("L1Loss", {}, [F(3, 4), F(3, 4, grad=True)])
add(
    "BCELoss",
    {"weight": w(1.0, 2.0, 0.5, 1.5)},
    [P(3, 4), P(3, 4, grad=False)],
    bad=[P(3, 4), P(3, 5)],
)
add("BCEWithLogitsLoss", {"pos_weight": w(1.0, 2.0, 0.5, 3.0)}, [F(3, 4), P(3, 4, grad=False)])
add(
    "BCEWithLogitsLoss",
    {"weight": w(1.0, 2.0, 0.5, 1.5), "pos_weight": w(2.0, 2.0, 0.5, 3.0)},
    [F(3, 4), B(3, 4)],
)
add(
    "CrossEntropyLoss",
    {"weight": w(1.0, 2.0, 0.5, 1.5, 1.0)},
    [F(3, 5), L(5, 3)],
    bad=[F(3, 4), L(4, 3)],
)
add("CrossEntropyLoss", {"ignore_index": 1}, [F(4, 5), Fn(lambda r, d: np.array([1, 0, 1, 3]))])
add("CrossEntropyLoss", {"label_smoothing": 0.2}, [F(3, 5), L(5, 3)])
add(
    "CrossEntropyLoss",
    {"label_smoothing": 0.1, "weight": w(1.0, 2.0, 0.5, 1.5, 1.0), "ignore_index": 0},
    [F(4, 5), Fn(lambda r, d: np.array([0, 2, 4, 1]))],
)
add("CrossEntropyLoss", {}, [F(3, 5), P(3, 5, grad=False)], id="CrossEntropyLoss(prob target)")
add(
    "CrossEntropyLoss",
    {"label_smoothing": 0.2, "reduction": "sum"},
    [F(3, 5), P(3, 5)],
    id="CrossEntropyLoss(prob target, smoothing)",
)
add("CrossEntropyLoss", {}, [F(2, 5, 3, 2), L(5, 2, 3, 2)], id="CrossEntropyLoss(K-dim)")
add("CrossEntropyLoss", {}, [F(5), Const(2)], id="CrossEntropyLoss(unbatched)")
add("CrossEntropyLoss", {}, [F(3, 5), L(7, 3, lo=5)], id="CrossEntropyLoss(target out of range)")
add("NLLLoss", {"weight": w(1.0, 2.0, 0.5, 1.5, 1.0), "ignore_index": 2}, [LogP(4, 5), L(5, 4)])
add("NLLLoss", {}, [F(2, 5, 3), L(5, 2, 3)], id="NLLLoss(K-dim)")
add("NLLLoss2d", {}, [F(2, 5, 3, 2), L(5, 2, 3, 2)])
add("KLDivLoss", {"reduction": "batchmean"}, [LogP(3, 4), P(3, 4, grad=False)])
add("KLDivLoss", {"reduction": "batchmean", "log_target": True}, [LogP(3, 4), LogP(3, 4)])
add("HuberLoss", {"delta": 0.5}, [F(3, 4), F(3, 4)])
add("SmoothL1Loss", {"beta": 0.5}, [F(3, 4), F(3, 4)])
add("SmoothL1Loss", {"beta": 0.0}, [F(3, 4), F(3, 4)])
add("PoissonNLLLoss", {"log_input": False}, [Pos(3, 4), Pos(3, 4, grad=False)])
add("PoissonNLLLoss", {"log_input": False, "full": True, "eps": 1e-4}, [Pos(3, 4), Pos(3, 4)])
add(
    "PoissonNLLLoss", {"full": True}, [F(3, 4), Fn(lambda r, d: r.integers(0, 4, (3, 4)).astype(d))]
)
add("GaussianNLLLoss", {"full": True, "eps": 1e-3}, [F(3, 4), F(3, 4), Pos(3, 1)])
add("GaussianNLLLoss", {}, [F(3, 4), F(3, 4), Pos(3)], id="GaussianNLLLoss(var 1d)")
add(
    "GaussianNLLLoss",
    {},
    [F(3, 4), F(3, 4), F(3, 4, grad=False)],
    id="GaussianNLLLoss(negative var)",
)
add("CosineEmbeddingLoss", {"margin": 0.3}, [F(3, 4), F(3, 4), Sign(3)])
add("HingeEmbeddingLoss", {"margin": 0.5}, [F(3, 4), Sign(3, 4)])
add("MarginRankingLoss", {"margin": 0.4}, [F(5), F(5), Sign(5)])
add("MultiLabelSoftMarginLoss", {"weight": w(1.0, 2.0, 0.5, 1.5)}, [F(3, 4), B(3, 4)])
add(
    "MultiMarginLoss",
    {"p": 2, "margin": 0.5, "weight": w(1.0, 2.0, 0.5, 1.5, 1.0)},
    [F(3, 5), L(5, 3)],
    empty=False,
)
add("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "swap": True}, [F(3, 4), F(3, 4), F(3, 4)])
add("TripletMarginLoss", {"eps": 1e-3}, [F(4), F(4), F(4)], id="TripletMarginLoss(unbatched)")
add("TripletMarginWithDistanceLoss", {"margin": 0.5, "swap": True}, [F(3, 4), F(3, 4), F(3, 4)])
add(
    "TripletMarginWithDistanceLoss",
    {"distance_function": W(lambda lib: lib.nn.CosineSimilarity())},
    [F(3, 4), F(3, 4), F(3, 4)],
    half=False,
    id="TripletMarginWithDistanceLoss(cosine)",
)
add(
    "CTCLoss",
    {"blank": 3, "zero_infinity": True},
    [LogP(6, 2, 4), L(3, 2, 4), Const([6, 2]), Const([4, 3])],
    rtol=1e-4,
)
add(
    "CTCLoss",
    {},
    [LogP(6, 2, 4), L(4, 5, lo=1), Const([6, 5]), Const([3, 2])],
    rtol=1e-4,
    id="CTCLoss(concatenated targets)",
)
add(
    "AdaptiveLogSoftmaxWithLoss",
    {"in_features": 8, "n_classes": 10, "cutoffs": [4, 8]},
    [F(5, 8), L(10, 5)],
    unbatched=[F(8), Const(7)],
    bad=[F(5, 7), L(10, 5)],
)
add(
    "AdaptiveLogSoftmaxWithLoss",
    {"in_features": 8, "n_classes": 10, "cutoffs": [3], "div_value": 2.0, "head_bias": True},
    [F(5, 8), L(10, 5)],
)

# more option combinations
add(
    "Conv2d",
    {
        "in_channels": 4,
        "out_channels": 6,
        "kernel_size": (3, 2),
        "stride": 2,
        "padding": (2, 1),
        "dilation": (1, 2),
        "padding_mode": "reflect",
    },
    [F(2, 4, 9, 8)],
)
add(
    "Conv1d",
    {
        "in_channels": 4,
        "out_channels": 4,
        "kernel_size": 2,
        "groups": 4,
        "padding": "same",
        "padding_mode": "circular",
        "bias": False,
    },
    [F(2, 4, 7)],
)
add(
    "Conv3d",
    {
        "in_channels": 2,
        "out_channels": 4,
        "kernel_size": 2,
        "stride": (1, 2, 1),
        "padding": 1,
        "padding_mode": "replicate",
        "groups": 2,
    },
    [F(1, 2, 4, 5, 3)],
)
add(
    "ConvTranspose2d",
    {
        "in_channels": 4,
        "out_channels": 6,
        "kernel_size": (3, 2),
        "stride": 2,
        "output_padding": 1,
        "groups": 2,
        "dilation": (2, 3),
        "bias": False,
    },
    [F(2, 4, 3, 4)],
)
add(
    "ConvTranspose1d",
    {
        "in_channels": 4,
        "out_channels": 2,
        "kernel_size": 3,
        "stride": 3,
        "padding": 2,
        "output_padding": 2,
    },
    [F(2, 4, 5)],
    fkw={"output_size": [12]},
)
add("MaxPool2d", {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0)}, [F(2, 3, 7, 6)])
add(
    "AvgPool1d",
    {"kernel_size": 4, "stride": 3, "padding": 2, "count_include_pad": False},
    [F(2, 3, 9)],
)
add(
    "Embedding",
    {"num_embeddings": 10, "embedding_dim": 4, "max_norm": 0.5, "norm_type": float("inf")},
    [L(10, 2, 5)],
)
add(
    "EmbeddingBag",
    {"num_embeddings": 10, "embedding_dim": 4, "mode": "max", "padding_idx": 2},
    [Fn(lambda r, d: np.array([[2, 3, 2], [2, 2, 2], [1, 5, 9]]))],
)
add(
    "EmbeddingBag",
    {"num_embeddings": 10, "embedding_dim": 4, "mode": "sum"},
    [L(10, 7), Fn(lambda r, d: np.array([0, 3, 3], dtype=np.int64)), F(7)],
    id="EmbeddingBag(per_sample_weights)",
)
add(
    "EmbeddingBag",
    {"num_embeddings": 10, "embedding_dim": 4, "mode": "mean"},
    [L(10, 7), Fn(lambda r, d: np.array([0, 3], dtype=np.int64)), F(7)],
    id="EmbeddingBag(mean, per_sample_weights)",
)
for r in RED:
    add(
        "CrossEntropyLoss",
        {
            "weight": w(1.0, 2.0, 0.5, 1.5, 1.0),
            "ignore_index": 2,
            "label_smoothing": 0.15,
            "reduction": r,
        },
        [F(2, 5, 3, 2), L(5, 2, 3, 2)],
        id=f"CrossEntropyLoss(K-dim, all options, {r})",
    )
    add(
        "NLLLoss",
        {"weight": w(1.0, 2.0, 0.5, 1.5, 1.0), "ignore_index": 4, "reduction": r},
        [
            LogP(2, 3, 5).__class__(
                "fn", (), True, fn=lambda rr, d: rr.standard_normal((2, 5, 3, 2)).astype(d)
            ),
            L(5, 2, 3, 2),
        ],
        id=f"NLLLoss(K-dim, weight, ignore, {r})",
    )
    add(
        "BCEWithLogitsLoss",
        {"pos_weight": w(1.0, 2.0, 0.5, 3.0), "reduction": r},
        [F(2, 3, 4), P(2, 3, 4, grad=False)],
        id=f"BCEWithLogitsLoss(3-d, pos_weight, {r})",
    )
    add(
        "BCELoss",
        {"weight": W(lambda lib: lib.tensor([[1.0], [2.0], [0.5]])), "reduction": r},
        [P(3, 4), P(3, 4, grad=False)],
        id=f"BCELoss(weight broadcast, {r})",
    )
    add("KLDivLoss", {"reduction": r, "log_target": True}, [LogP(3, 4), LogP(3, 4)])
    add(
        "CosineEmbeddingLoss",
        {"reduction": r, "margin": -0.2},
        [F(4), F(4), Const(-1.0, float)],
        id=f"CosineEmbeddingLoss(unbatched, {r})",
    )
add(
    "GRU",
    {"input_size": 4, "hidden_size": 5, "batch_first": True, "bidirectional": True},
    [F(2, 3, 4), F(2, 2, 5)],
)
add(
    "LSTM",
    {"input_size": 4, "hidden_size": 5, "num_layers": 2, "bias": False},
    [
        F(3, 2, 4),
        Spec(
            "fn",
            (),
            True,
            fn=lambda r, d: (
                r.standard_normal((2, 2, 5)).astype(d),
                r.standard_normal((2, 2, 5)).astype(d),
            ),
        ),
    ],
)
add(
    "LSTM",
    {"input_size": 4, "hidden_size": 5, "proj_size": 2, "bidirectional": True},
    [
        F(3, 2, 4),
        Spec(
            "fn",
            (),
            True,
            fn=lambda r, d: (
                r.standard_normal((2, 2, 2)).astype(d),
                r.standard_normal((2, 2, 5)).astype(d),
            ),
        ),
    ],
)
add(
    "RNN",
    {
        "input_size": 4,
        "hidden_size": 5,
        "num_layers": 3,
        "nonlinearity": "relu",
        "bias": False,
        "batch_first": True,
    },
    [F(2, 3, 4)],
)
add(
    "LSTM",
    {"input_size": 4, "hidden_size": 5, "num_layers": 2, "dropout": 0.5},
    [F(3, 2, 4)],
    random=True,
)
add("GRUCell", {"input_size": 4, "hidden_size": 5}, [F(4), F(5)], id="GRUCell(unbatched, h)")


def _kpm(lib):
    return lib.tensor([[False, False, True, False], [False, True, False, False]])


def _causal(lib):
    return lib.nn.Transformer.generate_square_subsequent_mask(3).bool()


add(
    "MultiheadAttention",
    E,
    [F(3, 2, 8), F(4, 2, 8), F(4, 2, 8)],
    fkw={"key_padding_mask": W(_kpm)},
    id="MultiheadAttention(key_padding_mask)",
)
add(
    "MultiheadAttention",
    {**E, "add_bias_kv": True, "add_zero_attn": True},
    [F(3, 2, 8), F(4, 2, 8), F(4, 2, 8)],
    fkw={"key_padding_mask": W(_kpm), "average_attn_weights": False},
    id="MultiheadAttention(bias_kv, zero_attn, key_padding_mask)",
)
add(
    "MultiheadAttention",
    {**E, "batch_first": True},
    [F(2, 3, 8), F(2, 3, 8), F(2, 3, 8)],
    fkw={"attn_mask": W(_causal), "need_weights": False},
    id="MultiheadAttention(causal mask)",
)
add(
    "TransformerEncoderLayer",
    {**TL, "batch_first": True},
    [F(2, 4, 8)],
    fkw={"src_key_padding_mask": W(_kpm)},
    id="TransformerEncoderLayer(padding mask)",
)
add(
    "TransformerDecoderLayer",
    {**TL, "norm_first": True},
    [F(3, 2, 8), F(4, 2, 8)],
    fkw={"tgt_mask": W(_causal), "memory_key_padding_mask": W(_kpm), "tgt_is_causal": True},
    id="TransformerDecoderLayer(masks)",
)

# wrappers
add(lambda nn: nn.DataParallel(nn.Linear(3, 4)), {}, [F(2, 3)], id="DataParallel(Linear)")
add(
    lambda nn: nn.Sequential(
        nn.Conv2d(3, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.LazyLinear(5),
    ),
    {},
    [F(2, 3, 8, 8)],
    id="Sequential(cnn)",
)
add(
    lambda nn: nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4), nn.Tanh()),
    {},
    [F(2, 4)],
    id="Sequential(repeated)",
)
add(
    lambda nn: nn.ModuleList([nn.Linear(2, 3), nn.Linear(2, 3), nn.ReLU(), nn.ReLU()]),
    {},
    [],
    id="ModuleList",
)
add(
    lambda nn: nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.ModuleList([nn.ReLU()])}),
    {},
    [],
    id="ModuleDict",
)
add(lambda nn: nn.RNNBase("LSTM", 4, 5), {}, [], id="RNNBase(LSTM)")
add(lambda nn: nn.SyncBatchNorm(3), {}, [F(4, 3, 2)], id="SyncBatchNorm")


# ----------------------------------------------------------------------------- helpers
def _np(t):
    t = t.detach()
    if isinstance(t, torch.Tensor):
        if t.is_sparse:
            t = t.to_dense()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy()
    if getattr(t, "is_sparse", False):
        t = t.to_dense()
    if t.dtype == ember.bfloat16:  # (numpy() refuses bfloat16, as PyTorch's)
        t = t.float()
    return t.numpy()


def _leaves(r, path="out"):
    """Flatten nested outputs into (path, value) pairs."""
    if isinstance(r, (tuple, list)):
        out = []
        for i, x in enumerate(r):
            out.extend(_leaves(x, f"{path}[{i}]"))
        return out
    if isinstance(r, dict):
        out = []
        for k, x in r.items():
            out.extend(_leaves(x, f"{path}[{k!r}]"))
        return out
    return [(path, r)]


def _tensor_types(lib):
    return lib.Tensor


class Mismatch(list):
    def add(self, what, detail=""):
        self.append(f"{what}: {detail}" if detail else what)


def _close(e, t, tol, what, bad):
    if isinstance(t, torch.Tensor):
        if not isinstance(e, ember.Tensor):
            bad.add(what, f"ember gave {type(e).__name__}")
            return
        if str(e.dtype).split(".")[-1] != str(t.dtype).split(".")[-1]:
            bad.add(what, f"dtype {e.dtype} vs {t.dtype}")
            return
        if tuple(e.shape) != tuple(t.shape):
            bad.add(what, f"shape {tuple(e.shape)} vs {tuple(t.shape)}")
            return
        a, b = _np(e), _np(t)
        if tol == 0:
            ok = np.array_equal(a, b, equal_nan=True)
        else:
            ok = np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True)
        if not ok:
            diff = np.nanmax(np.abs(a.astype(np.float64) - b.astype(np.float64))) if a.size else 0
            bad.add(what, f"values differ (max abs diff {diff:.3g})")
        return
    if type(t).__name__ != type(e).__name__ and not (t is None and e is None):
        if not (isinstance(t, (int, float)) and isinstance(e, (int, float))):
            bad.add(what, f"type {type(e).__name__} vs {type(t).__name__}")
            return
    if isinstance(t, float) and isinstance(e, float):
        if not math.isclose(e, t, rel_tol=1e-6, abs_tol=1e-9):
            bad.add(what, f"{e} vs {t}")
    elif isinstance(t, (int, str, bool)) and e != t:
        bad.add(what, f"{e!r} vs {t!r}")


def _compare(er, tr, tol, what, bad):
    el, tl = _leaves(er, what), _leaves(tr, what)
    if len(el) != len(tl):
        bad.add(what, f"{len(el)} outputs vs {len(tl)}")
        return
    if type(tr).__name__ != type(er).__name__ and isinstance(tr, tuple):
        bad.add(what, f"output type {type(er).__name__} vs {type(tr).__name__}")
    for (p, e), (_, t) in zip(el, tl):
        _close(e, t, tol, p, bad)


def _fkw(case, lib):
    """The forward keyword arguments, library-dependent ones (masks) built for ``lib``."""
    return {k: (v(lib) if getattr(v, "_lib", False) else v) for k, v in case.fkw.items()}


def _make_inputs(specs, seed, dtype, lib, grad):
    rng = np.random.default_rng(seed)
    out = []
    for s in specs:
        arr = s.draw(rng, dtype)
        items = arr if isinstance(arr, tuple) else (arr,)
        ts = []
        for a in items:
            t = lib.from_numpy(np.array(a, copy=True))
            if grad and s.grad and t.is_floating_point():
                t.requires_grad_()
            ts.append(t)
        out.append(tuple(ts) if isinstance(arr, tuple) else ts[0])
    return out


def _feed(inputs, inplace):
    """The values passed to forward: clones for in-place layers (a leaf cannot change)."""
    if not inplace:
        return inputs
    return [x.clone() if hasattr(x, "clone") else x for x in inputs]


def _run(lib, m, inputs, fkw, inplace):
    try:
        return m(*_feed(inputs, inplace), **fkw), None
    except Exception as exc:  # the exception is itself behaviour to compare
        return None, exc


def _first_line(msg):
    return str(msg).strip().split("\n")[0]


def _compare_errors(ee, te, what, bad, msg=False):
    if te is None and ee is None:
        return False
    if te is None:
        bad.add(what, f"ember raised {type(ee).__name__}: {_first_line(ee)}")
        return True
    if ee is None:
        bad.add(what, f"torch raised {type(te).__name__}: {_first_line(te)}, ember did not")
        return True
    if type(ee).__name__ != type(te).__name__ and not issubclass(type(ee), type(te)):
        bad.add(
            what,
            f"exception {type(ee).__name__} vs {type(te).__name__}: "
            f"{_first_line(ee)!r} vs {_first_line(te)!r}",
        )
    elif msg and str(ee) != str(te):
        bad.add(what + " message", f"{str(ee)!r} vs {str(te)!r}")
    return True


def _backward(out):
    """Back-propagate a weighted sum of every floating output that has a graph.

    The weights are fixed by each output's shape (the same in both libraries); a plain sum
    would give normalisation layers a zero gradient made only of rounding noise.
    """
    total = None
    for _, o in _leaves(out):
        if hasattr(o, "requires_grad") and o.requires_grad and o.is_floating_point():
            shape = tuple(o.shape)
            w = np.random.default_rng(len(shape) * 1000 + sum(shape)).uniform(0.5, 1.5, shape)
            lib = torch if isinstance(o, torch.Tensor) else ember
            s = (o * lib.from_numpy(w).to(o.dtype)).sum()
            total = s if total is None else total + s
    if total is not None:
        total.backward()
    return total is not None


def _state(m):
    return list(m.state_dict().items())


def _compare_state(em, tm, what, bad, tol=0):
    es, ts = _state(em), _state(tm)
    ek, tk = [k for k, _ in es], [k for k, _ in ts]
    if ek != tk:
        bad.add(what + " state_dict keys", f"{ek} vs {tk}")
        return
    for (k, e), (_, t) in zip(es, ts):
        if isinstance(t, torch.Tensor) and hasattr(t, "is_lazy"):
            continue
        if (
            type(t).__name__ == "UninitializedParameter"
            or type(t).__name__ == "UninitializedBuffer"
        ):
            if type(e).__name__ != type(t).__name__:
                bad.add(f"{what} {k}", f"{type(e).__name__} vs {type(t).__name__}")
            continue
        _close(e, t, tol, f"{what} {k}", bad)


def _is_lazy(m):
    return any(type(p).__name__ == "UninitializedParameter" for p in m.parameters()) or any(
        type(b).__name__ == "UninitializedBuffer" for b in m.buffers()
    )


def _structure(em, tm, what, bad):
    for attr in ("named_parameters", "named_buffers", "named_modules"):
        en = [n for n, _ in getattr(em, attr)()]
        tn = [n for n, _ in getattr(tm, attr)()]
        if en != tn:
            bad.add(f"{what} {attr}", f"{en} vs {tn}")
    er, tr = repr(em), repr(tm)
    if er != tr:
        bad.add(f"{what} repr", f"\n{er}\nvs\n{tr}")


def _param_grads(em, tm, tol, what, bad):
    ep, tp = dict(em.named_parameters()), dict(tm.named_parameters())
    for k, t in tp.items():
        e = ep.get(k)
        if e is None:
            continue
        if t.grad is None:
            if e.grad is not None and np.any(_np(e.grad)):
                bad.add(f"{what} {k}.grad", "torch None, ember not")
            continue
        if e.grad is None:
            bad.add(f"{what} {k}.grad", "ember None")
            continue
        _close(e.grad, t.grad, tol, f"{what} {k}.grad", bad)


def _input_grads(ein, tin, tol, what, bad):
    for i, (e, t) in enumerate(zip(ein, tin)):
        if isinstance(t, tuple):
            _input_grads(e, t, tol, f"{what}[{i}]", bad)
            continue
        if not isinstance(t, torch.Tensor) or not t.requires_grad:
            continue
        if t.grad is None:
            if e.grad is not None and np.any(_np(e.grad)):
                bad.add(f"{what} input{i}.grad", "torch None, ember not")
            continue
        if e.grad is None:
            bad.add(f"{what} input{i}.grad", "ember None")
            continue
        _close(e.grad, t.grad, tol, f"{what} input{i}.grad", bad)


# ----------------------------------------------------------------------------- the sweep
def sweep(case: Case, seed=0, full=True) -> Mismatch:
    """Every comparison for one row; ``full=False`` keeps float32 and the module protocol
    only (no float64 pass, half, strided/empty/wrong-dtype inputs)."""
    bad = Mismatch()
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    try:
        tm = case.build(torch)
    except Exception as te:
        try:
            case.build(ember)
        except Exception as ee:
            _compare_errors(ee, te, "construct", bad, msg=False)
            return bad
        bad.add("construct", f"torch raised {type(te).__name__}: {te}")
        return bad
    try:
        em = case.build(ember)
    except Exception as ee:
        bad.add("construct", f"ember raised {type(ee).__name__}: {ee}")
        return bad
    inplace = bool(case.kwargs.get("inplace"))
    lazy = _is_lazy(tm)

    _structure(em, tm, "init", bad)
    _compare_state(em, tm, "init", bad, tol=0)

    if not case.inputs:
        _module_protocol(case, em, tm, bad, full)
        return bad

    tols = {np.float32: case.rtol or 2e-5, np.float64: 1e-10}
    for dtype in (np.float32, np.float64) if full else (np.float32,):
        dname = np.dtype(dtype).name
        if dtype is np.float64:
            torch.manual_seed(seed)
            ember.manual_seed(seed)
            tm, em = case.build(torch), case.build(ember)
            tm.to(torch.float64)
            em.to(ember.float64)
        tin = _make_inputs(case.inputs, seed + 1, dtype, torch, case.grad)
        ein = _make_inputs(case.inputs, seed + 1, dtype, ember, case.grad)
        torch.manual_seed(seed + 7)
        ember.manual_seed(seed + 7)
        tr, te = _run(torch, tm, tin, _fkw(case, torch), inplace)
        er, ee = _run(ember, em, ein, _fkw(case, ember), inplace)
        if _compare_errors(ee, te, f"{dname} forward", bad):
            return bad
        if lazy and dtype is np.float32:
            _structure(em, tm, "after lazy init", bad)
        _compare_state(em, tm, f"{dname} after train forward", bad, tol=tols[dtype])
        if lazy and dtype is np.float32:  # the deferred initialisation draws
            ep = dict(em.named_parameters())
            for k, t in tm.named_parameters():
                if k in ep:
                    _close(ep[k], t, 0, f"lazy init {k}", bad)
        if case.random:
            rbad = Mismatch()
            _compare(er, tr, tols[dtype], f"{dname} train output (random)", rbad)
            bad.extend(rbad)
        else:
            _compare(er, tr, tols[dtype], f"{dname} train output", bad)
        if case.grad:
            tb = _backward(tr)
            eb = _backward(er)
            if tb != eb:
                bad.add(f"{dname} backward", f"ember has grad graph {eb}, torch {tb}")
            elif tb:
                gt = 1e-4 if dtype is np.float32 else 1e-9
                gt = max(gt, case.rtol or 0)
                _input_grads(ein, tin, gt, dname, bad)
                _param_grads(em, tm, gt, dname, bad)
        if not case.skip_eval:
            tm.eval()
            em.eval()
            with torch.no_grad(), ember.no_grad():
                tr2, te2 = _run(torch, tm, tin, _fkw(case, torch), inplace)
                er2, ee2 = _run(ember, em, ein, _fkw(case, ember), inplace)
            if not _compare_errors(ee2, te2, f"{dname} eval forward", bad):
                _compare(er2, tr2, tols[dtype], f"{dname} eval output", bad)
            tm.train()
            em.train()

    if case.unbatched:
        for dtype in (np.float64 if full else np.float32,):
            tin = _make_inputs(case.unbatched, seed + 2, dtype, torch, case.grad)
            ein = _make_inputs(case.unbatched, seed + 2, dtype, ember, case.grad)
            torch.manual_seed(seed)
            ember.manual_seed(seed)
            tr, te = _run(torch, tm, tin, _fkw(case, torch), inplace)
            er, ee = _run(ember, em, ein, _fkw(case, ember), inplace)
            if not _compare_errors(ee, te, "unbatched forward", bad):
                _compare(er, tr, tols[dtype], "unbatched output", bad)
    if case.bad:
        bdt = np.float64 if full else np.float32
        tin = _make_inputs(case.bad, seed + 3, bdt, torch, False)
        ein = _make_inputs(case.bad, seed + 3, bdt, ember, False)
        tr, te = _run(torch, tm, tin, _fkw(case, torch), inplace)
        er, ee = _run(ember, em, ein, _fkw(case, ember), inplace)
        if te is None:
            bad.add("bad input", "torch accepted it (fix the case table)")
        else:
            _compare_errors(ee, te, "bad input", bad, msg=True)
    if case.half and not case.random and full:
        _half(case, seed, em, tm, inplace, bad)
    if full and not case.random:
        _extras(case, seed, em, tm, inplace, bad)
    _module_protocol(case, em, tm, bad, full)
    return bad


def _variant_inputs(specs, seed, dtype, lib, how):
    rng = np.random.default_rng(seed)
    out = []
    for s in specs:
        a = s.draw(rng, dtype)
        if isinstance(a, tuple):
            out.append(tuple(lib.from_numpy(np.array(x)) for x in a))
            continue
        if how == "strided" and a.ndim >= 2 and a.dtype.kind == "f":
            t = lib.from_numpy(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
        elif how == "empty" and a.ndim >= 2:
            t = lib.from_numpy(np.array(a[:0]))
        elif how == "channels" and a.ndim >= 2 and not out:  # one channel too many
            t = lib.from_numpy(np.concatenate([a, a[:, :1]], axis=1))
        else:
            t = lib.from_numpy(np.array(a, copy=True))
        out.append(t)
    return out


def _extras(case, seed, em, tm, inplace, bad):
    """Strided inputs, an empty batch and inputs of the wrong float type (module is float64)."""
    for how, dtype in (
        ("strided", np.float64),
        ("empty", np.float64),
        ("plain", np.float32),
        ("channels", np.float64),
    ):
        if how == "empty" and not case.empty:
            continue
        tin = _variant_inputs(case.inputs, seed + 5, dtype, torch, how)
        ein = _variant_inputs(case.inputs, seed + 5, dtype, ember, how)
        torch.manual_seed(seed)
        ember.manual_seed(seed)
        tr, te = _run(torch, tm, tin, _fkw(case, torch), inplace)
        er, ee = _run(ember, em, ein, _fkw(case, ember), inplace)
        if not _compare_errors(
            ee, te, f"{how} {np.dtype(dtype).name} forward", bad, msg=how == "channels"
        ):
            _compare(
                er,
                tr,
                1e-5 if dtype is np.float32 else 1e-10,
                f"{how} {np.dtype(dtype).name} output",
                bad,
            )


def _low_inputs(specs, seed, lib, low, grad):
    out = []
    for t in _make_inputs(specs, seed, np.float32, lib, False):
        if isinstance(t, lib.Tensor) and t.is_floating_point():
            t = t.to(low)
        out.append(t)
    if grad:
        for s, t in zip(specs, out):
            if s.grad and isinstance(t, lib.Tensor) and t.is_floating_point():
                t.requires_grad_()
    return out


def _low_close(e, t, tol, what, bad):
    if str(e.dtype).split(".")[-1] != str(t.dtype).split(".")[-1]:
        bad.add(what, f"dtype {e.dtype} vs {t.dtype}")
    elif tuple(e.shape) != tuple(t.shape):
        bad.add(what, f"shape {tuple(e.shape)} vs {tuple(t.shape)}")
    elif t.is_floating_point():
        a, b = _np(e).astype(np.float64), _np(t).astype(np.float64)
        scale = max(1.0, float(np.nanmax(np.abs(b)))) if b.size else 1.0
        if not np.allclose(a, b, rtol=tol, atol=tol * scale, equal_nan=True):
            bad.add(what, f"values differ (max {np.nanmax(np.abs(a - b)):.3g})")


def _half(case, seed, em, tm, inplace, bad):
    """float16 and bfloat16: forward values (where PyTorch has a CPU kernel) and gradients."""
    for low, tol in (("float16", 2e-2), ("bfloat16", 8e-2)):
        tmh = copy.deepcopy(tm).to(getattr(torch, low))
        emh = copy.deepcopy(em).to(getattr(ember, low))
        tin = _low_inputs(case.inputs, seed + 1, torch, getattr(torch, low), case.grad)
        ein = _low_inputs(case.inputs, seed + 1, ember, getattr(ember, low), case.grad)
        tr, te = _run(torch, tmh, tin, _fkw(case, torch), inplace)
        er, ee = _run(ember, emh, ein, _fkw(case, ember), inplace)
        if te is not None:  # PyTorch has no CPU kernel for this layer at this precision
            continue
        if _compare_errors(ee, te, f"{low} forward", bad):
            continue
        el, tl = _leaves(er, low), _leaves(tr, low)
        if len(el) != len(tl):
            bad.add(low, f"{len(el)} outputs vs {len(tl)}")
            continue
        for (p, e), (_, t) in zip(el, tl):
            if isinstance(t, torch.Tensor):
                _low_close(e, t, tol, p, bad)
        if not case.grad or (low == "bfloat16" and not case.low_grad):
            continue
        try:
            tb = _backward(tr)
        except Exception:  # no CPU backward kernel at this precision
            continue
        try:
            eb = _backward(er)
        except Exception as exc:
            bad.add(f"{low} backward", f"ember raised {type(exc).__name__}: {exc}")
            continue
        if tb and eb:
            for i, (e, t) in enumerate(zip(ein, tin)):
                if isinstance(t, torch.Tensor) and t.grad is not None and e.grad is not None:
                    _low_close(e.grad, t.grad, tol, f"{low} input{i}.grad", bad)
            ep = dict(emh.named_parameters())
            for k, t in tmh.named_parameters():
                if t.grad is not None and ep.get(k) is not None and ep[k].grad is not None:
                    _low_close(ep[k].grad, t.grad, tol, f"{low} {k}.grad", bad)


def _cross_load(case, tm, bad):
    """A fresh ember layer (another seed; lazy ones uninitialised) loads PyTorch's weights."""
    ember.manual_seed(99)
    fresh = case.build(ember)
    tsd = tm.state_dict()
    esd = OrderedDict(
        (
            k,
            ember.from_numpy(np.array(_np(v)))
            if v.dtype != torch.bfloat16
            else ember.from_numpy(_np(v.float())).to(ember.bfloat16),
        )
        for k, v in tsd.items()
        if not _is_lazy(tm)
    )
    if _is_lazy(tm):
        return
    floats = [v.dtype for v in tsd.values() if v.is_floating_point()]
    if floats:  # the same precision as PyTorch's layer (loading casts to the layer's)
        fresh.to(getattr(ember, str(floats[0]).split(".")[-1]))
    try:
        fresh.load_state_dict(esd)
    except Exception as exc:
        bad.add("load of PyTorch's state", f"{type(exc).__name__}: {exc}")
        return
    _compare_state(fresh, tm, "after loading PyTorch's state", bad, tol=0)


def _module_protocol(case, em, tm, bad, full=True):
    if full:
        _cross_load(case, tm, bad)
    # deepcopy: same repr and state, separate parameters
    ec, tc = copy.deepcopy(em), copy.deepcopy(tm)
    if repr(ec) != repr(tc):
        bad.add("deepcopy repr")
    es, cs = _state(em), _state(ec)
    if [k for k, _ in es] != [k for k, _ in cs] or not all(
        type(x) is type(y) and (x.numel() == 0 or np.array_equal(_np(x), _np(y), equal_nan=True))
        for (_, x), (_, y) in zip(es, cs)
        if not _is_lazy(em)
    ):
        bad.add("deepcopy state differs from the original")
    for (n, p), (_, q) in zip(ec.named_parameters(), em.named_parameters()):
        if p is q:
            bad.add("deepcopy", f"{n} shared")
    # strict loading: drop the first key, add an unexpected one
    tsd, esd = tm.state_dict(), em.state_dict()
    if tsd and not _is_lazy(tm):
        k0 = next(iter(tsd))
        for sd, lib in ((tsd, torch), (esd, ember)):
            del sd[k0]
            sd["bogus.weight"] = lib.zeros(1)
        tr, te = _run(torch, tm.load_state_dict, [tsd], {}, False)
        er, ee = _run(ember, em.load_state_dict, [esd], {}, False)
        _compare_errors(ee, te, "load_state_dict strict", bad, msg=True)
    if tsd and not _is_lazy(tm) and full:
        tr, te = _run(torch, tm.load_state_dict, [tsd], {"strict": False}, False)
        er, ee = _run(ember, em.load_state_dict, [esd], {"strict": False}, False)
        if not _compare_errors(ee, te, "load_state_dict non-strict", bad):
            if (sorted(er.missing_keys), sorted(er.unexpected_keys)) != (
                sorted(tr.missing_keys),
                sorted(tr.unexpected_keys),
            ):
                bad.add("load_state_dict non-strict result", f"{er} vs {tr}")
        # wrong shape
        tsd, esd = tm.state_dict(), em.state_dict()
        for sd, lib in ((tsd, torch), (esd, ember)):
            sd[k0] = lib.zeros(*(tuple(sd[k0].shape) + (2,)))
        tr, te = _run(torch, tm.load_state_dict, [tsd], {}, False)
        er, ee = _run(ember, em.load_state_dict, [esd], {}, False)
        _compare_errors(ee, te, "load_state_dict shape", bad, msg=True)
    # zero_grad leaves no gradients behind
    for p in em.parameters():
        p.grad = ember.ones_like(p) if not _is_lazy(em) else None
    em.zero_grad()
    if any(p.grad is not None for p in em.parameters()):
        bad.add("zero_grad", "grads not None")
    # requires_grad_ and train(False)
    em.requires_grad_(False)
    tm.requires_grad_(False)
    if [p.requires_grad for p in em.parameters()] != [p.requires_grad for p in tm.parameters()]:
        bad.add("requires_grad_(False)")
    em.train(False)
    tm.train(False)
    if [m.training for m in em.modules()] != [m.training for m in tm.modules()]:
        bad.add("train(False)")
    # non-persistent buffers are kept out of the state dict
    em.register_buffer("sweep_extra", ember.ones(2), persistent=False)
    tm.register_buffer("sweep_extra", torch.ones(2), persistent=False)
    if list(em.state_dict()) != list(tm.state_dict()):
        bad.add("non-persistent buffer in state_dict")
    if [n for n, _ in em.named_buffers()] != [n for n, _ in tm.named_buffers()]:
        bad.add("named_buffers with non-persistent buffer")
    # dir() lists parameters, buffers and submodules
    ed, td = set(dir(em)), set(dir(tm))
    own = set(tm._parameters) | set(tm._buffers) | set(tm._modules)
    if (own & td) - ed:
        bad.add("__dir__", f"missing {sorted((own & td) - ed)}")


# Every row gets the float32 checks; every FULL_EVERY-th row (a fixed spread over the table)
# also gets the float64, half and odd-input passes, to keep the file fast.  Running this
# file as a script applies every check to every row.
FULL_EVERY = 9


@pytest.mark.filterwarnings("ignore")  # PyTorch's internal notes (oneDNN, nested tensors)
@pytest.mark.parametrize("i", range(len(CASES)), ids=[c.id for c in CASES])
def test_sweep(i):
    bad = sweep(CASES[i], full=i % FULL_EVERY == 0)
    # Random layers: the draws may differ from PyTorch's by processor; report the rest.
    bad = [b for b in bad if "(random)" not in b]
    assert not bad, "\n".join(bad)


# ----------------------------------------------------------------------------- scenarios
# Containers, registration, hooks, state dicts, error paths: each scenario runs on both
# libraries and must give the same printed result, or the same exception type and message.


def _outcome(fn, lib):
    try:
        res = fn(lib)
    except Exception as exc:  # the error is the behaviour under test
        msg = str(exc)
        if fn.__name__ in _SET_MESSAGES:  # a Python set printed: its order is per process
            msg = ""
        # class paths name the library they live in
        msg = msg.replace("ember._tensor.Tensor", "torch.Tensor").replace("ember.", "torch.")
        return ("raised", type(exc).__name__, msg)
    return ("ok", re.sub(r"0x[0-9a-f]+", "0x?", repr(res)))


SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


_SET_MESSAGES = {"conv_bad_padding_mode", "conv_bad_padding_str"}


@scenario
def seq_index_slice(T):
    nn = T.nn
    T.manual_seed(0)
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())
    return [repr(s[1:3]), repr(s[-1]), repr(s[::2]), len(s), type(s[1:]).__name__]


@scenario
def seq_ops(T):
    nn = T.nn
    T.manual_seed(0)
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    s.append(nn.Tanh())
    s.insert(1, nn.Dropout(0.1))
    s.extend([nn.Identity()])
    p = s.pop(0)
    del s[0]
    s.insert(-1, nn.ELU())
    return [repr(s), repr(p), list(s._modules)]


@scenario
def seq_insert_bad(T):
    nn = T.nn
    s = nn.Sequential(nn.ReLU())
    s.insert(5, nn.Tanh())


@scenario
def seq_index_bad(T):
    nn = T.nn
    s = nn.Sequential(nn.ReLU())
    return s[3]


@scenario
def seq_add_mul(T):
    nn = T.nn
    s = nn.Sequential(nn.ReLU(), nn.Tanh())
    return [repr(s + nn.Sequential(nn.ELU())), repr(s * 2), repr(2 * s)]


@scenario
def seq_iadd(T):
    nn = T.nn
    s = nn.Sequential(nn.ReLU())
    s += nn.Sequential(nn.Tanh())
    s *= 2
    return s


@scenario
def seq_setitem(T):
    nn = T.nn
    s = nn.Sequential(nn.ReLU(), nn.Tanh())
    s[0] = nn.ELU()
    s[-1] = nn.SELU()
    return s


@scenario
def seq_delslice(T):
    nn = T.nn
    s = nn.Sequential(*[nn.ReLU() for _ in range(5)])
    del s[1:3]
    return [s, list(s._modules)]


@scenario
def seq_ordered(T):
    nn = T.nn
    return nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 2, 3)), ("act", nn.ReLU())]))


@scenario
def seq_append_nonmodule(T):
    nn = T.nn
    s = nn.Sequential()
    s.append(3)


@scenario
def seq_bad_arg(T):
    nn = T.nn
    return nn.Sequential(3)


@scenario
def seq_empty(T):
    return [
        repr(T.nn.Sequential()),
        repr(T.nn.ModuleList()),
        repr(T.nn.ModuleDict()),
        repr(T.nn.ParameterList()),
        repr(T.nn.ParameterDict()),
    ]


@scenario
def seq_dir(T):
    s = T.nn.Sequential(T.nn.ReLU())
    return [d for d in dir(s) if not d.startswith("_")]


@scenario
def modulelist_ops(T):
    nn = T.nn
    m = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    m.append(nn.ELU())
    m.extend([nn.SELU()])
    m.insert(0, nn.Identity())
    m += [nn.GELU()]
    x = m.pop(1)
    del m[0]
    m[0] = nn.Sigmoid()
    return [repr(m), repr(x), repr(m[1:]), len(m), repr(m + nn.ModuleList([nn.ReLU()]))]


@scenario
def modulelist_fold(T):
    nn = T.nn
    T.manual_seed(0)
    return nn.ModuleList(
        [nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.Linear(2, 2), nn.Linear(2, 2)]
    )


@scenario
def modulelist_bad_index(T):
    return T.nn.ModuleList([T.nn.ReLU()])[2]


@scenario
def modulelist_extend_bad(T):
    T.nn.ModuleList().extend(T.nn.ReLU())


@scenario
def moduledict_ops(T):
    nn = T.nn
    d = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    d["c"] = nn.ELU()
    d.update([("d", nn.SELU())])
    p = d.pop("b")
    return [
        repr(d),
        list(d.keys()),
        repr(p),
        "a" in d,
        len(d),
        [type(v).__name__ for v in d.values()],
        [k for k, _ in d.items()],
    ]


@scenario
def moduledict_bad_key(T):
    return T.nn.ModuleDict({"a": T.nn.ReLU()})["z"]


@scenario
def moduledict_update_bad(T):
    T.nn.ModuleDict().update(3)


@scenario
def moduledict_clear(T):
    d = T.nn.ModuleDict({"a": T.nn.ReLU()})
    d.clear()
    return d


@scenario
def paramlist_repr(T):
    nn = T.nn
    pl = nn.ParameterList(
        [nn.Parameter(T.zeros(2, 3)), nn.Parameter(T.zeros(4), requires_grad=False)]
    )
    pl.append(nn.Parameter(T.zeros(1, dtype=T.float64)))
    pl.extend([T.zeros(2)])
    return [
        repr(pl),
        len(pl),
        [type(p).__name__ for p in pl],
        [n for n, _ in pl.named_parameters()],
    ]


@scenario
def paramlist_plain(T):
    pl = T.nn.ParameterList([T.ones(2), 3, "x"])
    return [repr(pl), repr(pl[1]), repr(pl[0])]


@scenario
def paramdict_repr(T):
    nn = T.nn
    pd = nn.ParameterDict({"w": nn.Parameter(T.zeros(2, 3)), "b": T.zeros(3)})
    pd["z"] = nn.Parameter(T.ones(1))
    pd.update({"q": T.ones(2, dtype=T.float64)})
    x = pd.pop("w")
    return [
        repr(pd),
        list(pd.keys()),
        repr(x.shape),
        "b" in pd,
        [n for n, _ in pd.named_parameters()],
        repr(pd.get("nope", 5)),
    ]


@scenario
def paramdict_missing(T):
    return T.nn.ParameterDict()["x"]


@scenario
def setattr_tensor_over_param(T):
    m = T.nn.Linear(2, 2)
    m.weight = T.zeros(2, 2)


@scenario
def setattr_module_over_param(T):
    m = T.nn.Linear(2, 2)
    m.weight = T.nn.ReLU()


@scenario
def setattr_param_before_init(T):
    class M(T.nn.Module):
        def __init__(self):
            self.w = T.nn.Parameter(T.zeros(1))

    M()


@scenario
def setattr_module_before_init(T):
    class M(T.nn.Module):
        def __init__(self):
            self.w = T.nn.ReLU()

    M()


@scenario
def setattr_buffer_nontensor(T):
    m = T.nn.BatchNorm1d(2)
    m.running_mean = 3


@scenario
def setattr_buffer_none(T):
    m = T.nn.BatchNorm1d(2)
    m.running_mean = None
    return [list(m.state_dict()), [n for n, _ in m.named_buffers()]]


@scenario
def setattr_submodule_none(T):
    m = T.nn.Sequential(T.nn.ReLU())
    setattr(m, "0", None)
    return [m, list(m._modules)]


@scenario
def setattr_submodule_tensor(T):
    m = T.nn.Sequential(T.nn.ReLU())
    setattr(m, "0", T.zeros(1))


@scenario
def register_param_errors(T):
    out = []
    m = T.nn.Linear(1, 1)
    for name, val in [
        ("a.b", T.nn.Parameter(T.zeros(1))),
        ("", T.nn.Parameter(T.zeros(1))),
        ("weight2", T.zeros(1)),
        (3, None),
        ("bias", T.nn.Parameter(T.zeros(1))),
    ]:
        try:
            m.register_parameter(name, val)
            out.append("ok")
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    return out


@scenario
def register_buffer_errors(T):
    out = []
    m = T.nn.Linear(1, 1)
    for name, val in [
        ("a.b", T.zeros(1)),
        ("", T.zeros(1)),
        ("weight", T.zeros(1)),
        ("x", 3),
        (3, None),
        ("forward", T.zeros(1)),
    ]:
        try:
            m.register_buffer(name, val)
            out.append("ok")
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    return out


@scenario
def add_module_errors(T):
    out = []
    m = T.nn.Linear(1, 1)
    for name, val in [
        ("a.b", T.nn.ReLU()),
        ("", T.nn.ReLU()),
        ("weight", T.nn.ReLU()),
        ("x", 3),
        (3, None),
        ("forward", T.nn.ReLU()),
    ]:
        try:
            m.add_module(name, val)
            out.append("ok")
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    return out


@scenario
def nonpersistent_buffers(T):
    m = T.nn.Linear(2, 2)
    m.register_buffer("a", T.ones(1), persistent=False)
    m.register_buffer("b", T.ones(1))
    m.register_buffer("c", None)
    sd = m.state_dict()
    return [
        list(sd),
        [n for n, _ in m.named_buffers()],
        m._non_persistent_buffers_set,
        list(m.buffers()),
    ]


@scenario
def nonpersistent_reregister(T):
    m = T.nn.Linear(2, 2)
    m.register_buffer("a", T.ones(1), persistent=False)
    del m.a
    m.register_buffer("a", T.ones(1))
    return list(m.state_dict())


@scenario
def zero_grad_none(T):
    m = T.nn.Linear(2, 2)
    m(T.ones(1, 2)).sum().backward()
    m.zero_grad()
    return [p.grad for p in m.parameters()]


@scenario
def zero_grad_zeros(T):
    m = T.nn.Linear(2, 2)
    m(T.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    return [p.grad for p in m.parameters()]


@scenario
def apply_children_modules(T):
    nn = T.nn
    T.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    seen = []
    r = m.apply(lambda x: seen.append(type(x).__name__))
    return [
        seen,
        r is m,
        [type(c).__name__ for c in m.children()],
        [n for n, _ in m.named_children()],
        [type(c).__name__ for c in m.modules()],
        [n for n, _ in m.named_modules(prefix="root")],
    ]


@scenario
def named_modules_shared(T):
    nn = T.nn
    l = nn.ReLU()
    m = nn.Sequential(l, l, nn.Sequential(l))
    return [
        [n for n, _ in m.named_modules()],
        [n for n, _ in m.named_modules(remove_duplicate=False)],
    ]


@scenario
def named_params_shared(T):
    nn = T.nn
    l = nn.Linear(1, 1)
    m = nn.Sequential(l, l)
    return [
        [n for n, _ in m.named_parameters()],
        [n for n, _ in m.named_parameters(remove_duplicate=False)],
        [n for n, _ in m.named_parameters(recurse=False)],
        [n for n, _ in m.named_parameters(prefix="p")],
        list(m.state_dict()),
    ]


@scenario
def get_submodule_param(T):
    nn = T.nn
    T.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.BatchNorm1d(2)))
    return [
        m.get_submodule("1.0"),
        m.get_parameter("0.bias").shape,
        m.get_buffer("1.0.running_var"),
        m.get_submodule(""),
    ]


@scenario
def get_submodule_missing(T):
    T.nn.Sequential(T.nn.ReLU()).get_submodule("0.x")


@scenario
def get_submodule_missing2(T):
    T.nn.Sequential(T.nn.ReLU()).get_submodule("3")


@scenario
def get_parameter_not_param(T):
    T.nn.Sequential(T.nn.BatchNorm1d(2)).get_parameter("0.running_mean")


@scenario
def get_parameter_missing(T):
    T.nn.Sequential(T.nn.Linear(1, 1)).get_parameter("0.nope")


@scenario
def get_buffer_not_buffer(T):
    T.nn.Sequential(T.nn.Linear(1, 1)).get_buffer("0.weight")


@scenario
def set_submodule(T):
    m = T.nn.Sequential(T.nn.Sequential(T.nn.ReLU()))
    m.set_submodule("0.0", T.nn.Tanh())
    return m


@scenario
def requires_grad_flags(T):
    m = T.nn.Sequential(T.nn.Linear(1, 1), T.nn.BatchNorm1d(1))
    m.requires_grad_(False)
    m[0].bias.requires_grad_(True)
    return [(n, p.requires_grad) for n, p in m.named_parameters()]


@scenario
def train_flags(T):
    m = T.nn.Sequential(T.nn.Dropout(), T.nn.Sequential(T.nn.BatchNorm1d(1)))
    r = m.train(False)
    a = [x.training for x in m.modules()]
    m[1].train()
    b = [x.training for x in m.modules()]
    m.eval()
    return [r is m, a, b, [x.training for x in m.modules()]]


@scenario
def train_bad(T):
    T.nn.ReLU().train("yes")


@scenario
def forward_hooks_kwargs(T):
    nn = T.nn
    T.manual_seed(0)
    log = []

    class M(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    m = M()

    def pre(mod, args, kwargs):
        log.append(("pre", len(args), sorted(kwargs)))
        return args, {**kwargs, "scale": 3.0}

    def post(mod, args, kwargs, out):
        log.append(("post", sorted(kwargs)))
        return out + 1

    h1 = m.register_forward_pre_hook(pre, with_kwargs=True)
    h2 = m.register_forward_hook(post, with_kwargs=True)
    y = m(T.ones(2), scale=2.0)
    h1.remove()
    h2.remove()
    z = m(T.ones(2), scale=2.0)
    return [y, z, log]


@scenario
def forward_hooks_prepend_always(T):
    nn = T.nn
    log = []
    m = nn.ReLU()
    m.register_forward_hook(lambda *a: log.append("a"))
    m.register_forward_hook(lambda *a: log.append("b"), prepend=True)
    m.register_forward_pre_hook(lambda *a: log.append("pa"))
    m.register_forward_pre_hook(lambda *a: log.append("pb"), prepend=True)
    m(T.ones(1))
    return log


@scenario
def forward_pre_hook_single(T):
    m = T.nn.ReLU()
    m.register_forward_pre_hook(lambda mod, inp: -inp[0])
    return m(T.ones(2))


@scenario
def forward_hook_always_call(T):
    log = []

    class M(T.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = M()
    m.register_forward_hook(lambda *a: log.append("x"), always_call=True)
    try:
        m(T.ones(1))
    except ValueError as e:
        log.append(str(e))
    return log


@scenario
def full_backward_hooks(T):
    nn = T.nn
    T.manual_seed(0)
    log = []
    m = nn.Linear(3, 2)

    def pre(mod, gout):
        log.append(("pre", [g.shape for g in gout]))

    def post(mod, gin, gout):
        log.append(
            (
                "post",
                [None if g is None else tuple(g.shape) for g in gin],
                [tuple(g.shape) for g in gout],
            )
        )
        return (gin[0] * 2,)

    m.register_full_backward_pre_hook(pre)
    m.register_full_backward_hook(post)
    x = T.ones(4, 3, requires_grad=True)
    m(x).sum().backward()
    return [log, x.grad]


@scenario
def full_backward_hook_no_input_grad(T):
    log = []
    m = T.nn.Linear(3, 2)
    m.register_full_backward_hook(lambda mod, gi, go: log.append([g is None for g in gi]))
    m(T.ones(4, 3)).sum().backward()
    return log


@scenario
def backward_hook_changes_output_grad(T):
    m = T.nn.ReLU()
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 5,))
    x = T.ones(2, requires_grad=True)
    m(x).sum().backward()
    return x.grad


@scenario
def state_dict_hooks(T):
    nn = T.nn
    log = []
    m = nn.Linear(2, 2)
    m.register_state_dict_pre_hook(
        lambda mod, prefix, keep_vars: log.append(("pre", prefix, keep_vars))
    )

    def post(mod, sd, prefix, local_metadata):
        log.append(("post", prefix, list(sd)))
        sd[prefix + "extra"] = T.zeros(1)

    m._register_state_dict_hook(post)
    s = nn.Sequential(m)
    keys = list(s.state_dict())
    return [log, keys]


@scenario
def state_dict_post_hook_public(T):
    m = T.nn.Linear(2, 2)
    log = []
    if hasattr(m, "register_state_dict_post_hook"):
        m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: log.append(sorted(sd)))
    m.state_dict()
    return log


@scenario
def load_state_dict_hooks(T):
    m = T.nn.Linear(2, 2)
    log = []

    def pre(mod, sd, prefix, local_metadata, strict, missing, unexpected, errors):
        log.append(("pre", prefix, sorted(sd)))

    m.register_load_state_dict_pre_hook(pre)
    m.register_load_state_dict_post_hook(
        lambda mod, keys: log.append(("post", keys.missing_keys, keys.unexpected_keys))
    )
    r = m.load_state_dict(
        {"weight": T.zeros(2, 2), "bias": T.zeros(2), "x": T.zeros(1)}, strict=False
    )
    return [log, r]


@scenario
def load_state_dict_messages(T):
    m = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.BatchNorm1d(2))
    sd = m.state_dict()
    del sd["1.num_batches_tracked"]
    del sd["0.bias"]
    sd["0.weight"] = T.zeros(3, 2)
    sd["2.w"] = T.zeros(1)
    sd["1.extra"] = T.zeros(1)
    m.load_state_dict(sd)


@scenario
def load_state_dict_notmapping(T):
    T.nn.Linear(1, 1).load_state_dict([1, 2])


@scenario
def load_state_dict_assign(T):
    m = T.nn.Linear(2, 2)
    m.load_state_dict({"weight": T.ones(2, 2, dtype=T.float64), "bias": T.zeros(2)}, assign=True)
    return [m.weight.dtype, type(m.weight).__name__, m.weight.requires_grad]


@scenario
def load_state_dict_dtype_cast(T):
    m = T.nn.Linear(2, 2)
    m.load_state_dict({"weight": T.ones(2, 2, dtype=T.float64), "bias": T.zeros(2, dtype=T.int64)})
    return [m.weight.dtype, m.bias]


@scenario
def load_bn_missing_nbt(T):
    m = T.nn.BatchNorm1d(2)
    sd = m.state_dict()
    del sd["num_batches_tracked"]
    r = m.load_state_dict(sd)
    return [r, m.num_batches_tracked]


@scenario
def load_non_tensor_value(T):
    T.nn.Linear(1, 1).load_state_dict({"weight": [[1.0]], "bias": T.zeros(1)})


@scenario
def state_dict_prefix_keepvars(T):
    m = T.nn.Linear(1, 1)
    sd = m.state_dict(prefix="p.", keep_vars=True)
    return [
        list(sd),
        type(sd["p.weight"]).__name__,
        sd["p.weight"].requires_grad,
        type(m.state_dict()).__name__,
        m.state_dict()._metadata if hasattr(m.state_dict(), "_metadata") else None,
    ]


@scenario
def state_dict_metadata(T):
    m = T.nn.Sequential(T.nn.Linear(1, 1), T.nn.BatchNorm1d(1))
    return dict(m.state_dict()._metadata)


@scenario
def extra_repr_custom(T):
    class M(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.l = T.nn.Linear(1, 1)

        def extra_repr(self):
            return "hello=1"

    return [repr(M()), M().extra_repr(), T.nn.Module().extra_repr(), repr(T.nn.Module())]


@scenario
def module_dir(T):
    m = T.nn.Linear(1, 1)
    m.register_buffer("buf", T.zeros(1))
    m.add_module("sub", T.nn.ReLU())
    d = dir(m)
    return [
        x in d
        for x in (
            "weight",
            "bias",
            "buf",
            "sub",
            "forward",
            "in_features",
            "training",
            "T_destination",
        )
    ]


@scenario
def module_getattr_missing(T):
    return T.nn.Linear(1, 1).nope


@scenario
def module_delattr(T):
    m = T.nn.Linear(1, 1)
    del m.bias
    m.register_buffer("b", T.zeros(1))
    del m.b
    return [list(m.state_dict()), hasattr(m, "bias")]


@scenario
def parameter_repr(T):
    p = T.nn.Parameter(T.tensor([1.0, 2.0]))
    q = T.nn.Parameter(T.tensor([1.0]), requires_grad=False)
    return [repr(p), repr(q), str(p), repr(T.nn.Parameter())]


@scenario
def parameter_int(T):
    return T.nn.Parameter(T.tensor([1, 2]))


@scenario
def parameter_deepcopy(T):
    p = T.nn.Parameter(T.ones(2))
    q = copy.deepcopy(p)
    return [type(q).__name__, q.requires_grad, q is p]


@scenario
def module_to_dtype(T):
    m = T.nn.Sequential(T.nn.Linear(1, 1), T.nn.BatchNorm1d(1))
    m.to(T.float64)
    a = [(n, v.dtype) for n, v in m.state_dict().items()]
    m.half()
    b = [(n, v.dtype) for n, v in m.state_dict().items()]
    m.bfloat16()
    m.float()
    m.double()
    c = [(n, v.dtype) for n, v in m.state_dict().items()]
    return [a, b, c]


@scenario
def module_to_int(T):
    T.nn.Linear(1, 1).to(T.int32)


@scenario
def module_to_kwargs(T):
    m = T.nn.Linear(1, 1)
    r = m.to(dtype=T.float64, device="cpu")
    r2 = m.to("cpu", T.float32)
    r3 = m.to(T.zeros(1, dtype=T.float16))
    return [r is m, m.weight.dtype, r2 is m, r3 is m]


@scenario
def module_type_cast(T):
    m = T.nn.Linear(1, 1)
    m.type(T.float64)
    return m.weight.dtype


@scenario
def module_to_keeps_param_identity(T):
    m = T.nn.Linear(1, 1)
    w = m.weight
    m.to(T.float64)
    return [m.weight is w, type(m.weight).__name__, m.weight.requires_grad, m.weight.is_leaf]


@scenario
def module_to_grad(T):
    m = T.nn.Linear(1, 1)
    m(T.ones(1, 1)).sum().backward()
    m.double()
    return [m.weight.grad.dtype]


@scenario
def deepcopy_shared(T):
    l = T.nn.Linear(1, 1)
    s = T.nn.Sequential(l, l)
    c = copy.deepcopy(s)
    return [c[0] is c[1], c[0] is l, len(list(c.parameters()))]


@scenario
def deepcopy_with_grad(T):
    m = T.nn.Linear(1, 1)
    m(T.ones(1, 1)).sum().backward()
    c = copy.deepcopy(m)
    return [c.weight.grad is not None, c.weight.grad is m.weight.grad]


@scenario
def deepcopy_hooks(T):
    m = T.nn.ReLU()
    log = []
    m.register_forward_hook(lambda *a: log.append(1))
    c = copy.deepcopy(m)
    c(T.ones(1))
    return log


@scenario
def deepcopy_nonleaf_fails(T):
    m = T.nn.Linear(1, 1)
    m.extra = m.weight * 2
    copy.deepcopy(m)


@scenario
def module_call_no_forward(T):
    T.nn.Module()(T.ones(1))


@scenario
def module_forward_wrong_args(T):
    T.nn.Linear(2, 2)(T.ones(1, 2), T.ones(1))


@scenario
def share_memory_and_float(T):
    m = T.nn.Linear(1, 1)
    return [m.share_memory() is m, m.float() is m, m.cpu() is m]


@scenario
def buffers_iter(T):
    m = T.nn.Sequential(T.nn.BatchNorm1d(2), T.nn.Linear(2, 2))
    return [
        [n for n, _ in m.named_buffers()],
        [n for n, _ in m.named_buffers(recurse=False)],
        len(list(m.buffers())),
    ]


@scenario
def parameters_recurse(T):
    m = T.nn.Sequential(T.nn.Linear(1, 1))
    return [len(list(m.parameters(recurse=False))), len(list(m.parameters()))]


@scenario
def register_module_alias(T):
    m = T.nn.Module()
    m.register_module("a", T.nn.ReLU())
    return [m, list(m._modules)]


@scenario
def parametrize_repr(T):
    import importlib

    P = importlib.import_module(T.__name__ + ".nn.utils.parametrize")

    class Sym(T.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    m = T.nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Sym())
    return [repr(m), list(m.state_dict()), [n for n, _ in m.named_parameters()]]


@scenario
def embedding_from_pretrained(T):
    w = T.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    e = T.nn.Embedding.from_pretrained(w, padding_idx=1, max_norm=3.0)
    b = T.nn.EmbeddingBag.from_pretrained(w, mode="max", freeze=False)
    return [
        e,
        e.weight.requires_grad,
        b,
        b.weight.requires_grad,
        e(T.tensor([0, 2])),
        b(T.tensor([[0, 2]])),
    ]


@scenario
def embedding_bad_padding(T):
    T.nn.Embedding(3, 2, padding_idx=5)


@scenario
def conv_bad_groups(T):
    T.nn.Conv2d(3, 4, 3, groups=2)


@scenario
def conv_bad_groups2(T):
    T.nn.Conv2d(4, 3, 3, groups=2)


@scenario
def conv_bad_padding_mode(T):
    T.nn.Conv2d(3, 4, 3, padding_mode="bogus")


@scenario
def conv_bad_padding_str(T):
    T.nn.Conv2d(3, 4, 3, padding="full")


@scenario
def conv_same_stride(T):
    T.nn.Conv2d(3, 4, 3, padding="same", stride=2)


@scenario
def convt_padding_mode(T):
    T.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")


@scenario
def conv_zero_groups(T):
    T.nn.Conv1d(3, 4, 3, groups=0)


@scenario
def convt_output_size(T):
    T.manual_seed(0)
    m = T.nn.ConvTranspose2d(2, 3, 3, stride=2)
    return [
        m(T.ones(1, 2, 4, 4), output_size=[10, 10]).shape,
        m(T.ones(1, 2, 4, 4), output_size=(1, 3, 9, 10)).shape,
    ]


@scenario
def convt_output_size_bad(T):
    T.manual_seed(0)
    m = T.nn.ConvTranspose2d(2, 3, 3, stride=2)
    return m(T.ones(1, 2, 4, 4), output_size=[12, 12])


@scenario
def conv_same_even_kernel(T):
    T.manual_seed(0)
    m = T.nn.Conv1d(1, 1, 4, padding="same", dilation=1)
    x = T.arange(8.0).reshape(1, 1, 8)
    return m(x)


@scenario
def conv_reflect_too_big(T):
    m = T.nn.Conv1d(1, 1, 3, padding=4, padding_mode="reflect")
    return m(T.ones(1, 1, 3))


@scenario
def bn_batch1(T):
    T.nn.BatchNorm1d(3)(T.ones(1, 3))


@scenario
def bn_wrong_dim(T):
    T.nn.BatchNorm2d(3)(T.ones(2, 3, 4))


@scenario
def bn1d_wrong_dim(T):
    T.nn.BatchNorm1d(3)(T.ones(2, 3, 4, 5))


@scenario
def instnorm_warn_channels(T):
    m = T.nn.InstanceNorm1d(3, affine=True)
    return m(T.ones(2, 4, 5)).shape


@scenario
def groupnorm_bad(T):
    T.nn.GroupNorm(3, 4)


@scenario
def mha_bad_heads(T):
    T.nn.MultiheadAttention(7, 2)


@scenario
def transformer_bad_activation(T):
    T.nn.TransformerEncoderLayer(8, 2, activation="swish")


@scenario
def transformer_callable_activation(T):
    T.manual_seed(0)
    m = T.nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation=T.nn.functional.silu)
    return [m(T.ones(2, 1, 8)).shape]


@scenario
def transformer_mask(T):
    return T.nn.Transformer.generate_square_subsequent_mask(3)


@scenario
def mha_masks(T):
    T.manual_seed(0)
    m = T.nn.MultiheadAttention(4, 2)
    q = T.randn(3, 2, 4)
    k = T.randn(5, 2, 4)
    kpm = T.tensor([[False, False, True, False, True], [False] * 5])
    am = T.randn(3, 5)
    o, w = m(q, k, k, key_padding_mask=kpm, attn_mask=am)
    o2, w2 = m(
        q, q, q, attn_mask=T.nn.Transformer.generate_square_subsequent_mask(3), is_causal=True
    )
    return [o.round(decimals=4), w.round(decimals=4), o2.round(decimals=4)]


@scenario
def mha_bool_mask_3d(T):
    T.manual_seed(0)
    m = T.nn.MultiheadAttention(4, 2, batch_first=True)
    q = T.randn(2, 3, 4)
    am = T.zeros(4, 3, 3, dtype=T.bool)
    am[:, 0, 1] = True
    o, w = m(q, q, q, attn_mask=am)
    return [o.round(decimals=4), w.shape]


@scenario
def mha_bad_mask(T):
    T.manual_seed(0)
    m = T.nn.MultiheadAttention(4, 2)
    q = T.randn(3, 2, 4)
    m(q, q, q, attn_mask=T.zeros(2, 2))


@scenario
def transformer_masks(T):
    T.manual_seed(0)
    m = T.nn.Transformer(8, 2, 1, 1, 16, 0.0)
    s = T.randn(4, 2, 8)
    t = T.randn(3, 2, 8)
    return m(
        s,
        t,
        tgt_mask=m.generate_square_subsequent_mask(3),
        src_key_padding_mask=T.tensor([[False, False, False, True], [False] * 4]),
        tgt_is_causal=True,
    ).round(decimals=4)


@scenario
def encoder_eval_padding(T):
    T.manual_seed(0)
    m = T.nn.TransformerEncoder(
        T.nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True), 2
    ).eval()
    s = T.randn(2, 4, 8)
    kpm = T.tensor([[False, False, True, True], [False] * 4])
    with T.no_grad():
        return m(s, src_key_padding_mask=kpm).round(decimals=4)


@scenario
def lstm_packed(T):
    T.manual_seed(0)
    m = T.nn.LSTM(3, 4, batch_first=True, bidirectional=True)
    x = T.randn(3, 5, 3)
    lengths = T.tensor([5, 3, 2])
    U = __import__(T.__name__ + ".nn.utils.rnn", fromlist=["x"])
    p = U.pack_padded_sequence(x, lengths, batch_first=True)
    out, (h, c) = m(p)
    o, l = U.pad_packed_sequence(out, batch_first=True)
    return [type(out).__name__, o.round(decimals=4), l, h.round(decimals=4)]


@scenario
def gru_packed_unsorted(T):
    T.manual_seed(0)
    m = T.nn.GRU(3, 4)
    x = T.randn(5, 3, 3)
    lengths = T.tensor([2, 5, 3])
    U = __import__(T.__name__ + ".nn.utils.rnn", fromlist=["x"])
    p = U.pack_padded_sequence(x, lengths, enforce_sorted=False)
    out, h = m(p)
    return [h.round(decimals=4), U.pad_packed_sequence(out)[0].round(decimals=4)]


@scenario
def lstm_h0_bad(T):
    T.manual_seed(0)
    m = T.nn.LSTM(3, 4)
    m(T.randn(5, 2, 3), (T.zeros(1, 2, 4), T.zeros(1, 3, 4)))


@scenario
def lstm_h0_not_tuple(T):
    T.manual_seed(0)
    m = T.nn.LSTM(3, 4)
    m(T.randn(5, 2, 3), T.zeros(1, 2, 4))


@scenario
def rnn_h0_bad(T):
    T.manual_seed(0)
    m = T.nn.GRU(3, 4)
    m(T.randn(5, 2, 3), T.zeros(2, 2, 4))


@scenario
def rnn_bad_nonlin(T):
    T.nn.RNN(3, 4, nonlinearity="gelu")


@scenario
def rnn_dropout_warn(T):
    import warnings

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        T.nn.LSTM(3, 4, dropout=0.5)
    return [str(x.message) for x in w]


@scenario
def rnn_proj_bad(T):
    T.nn.LSTM(3, 4, proj_size=4)


@scenario
def rnn_flat_weights(T):
    T.manual_seed(0)
    m = T.nn.LSTM(3, 4, 2, bidirectional=True, proj_size=2)
    return [m._flat_weights_names, [w.shape for w in m.all_weights[0]]]


@scenario
def rnn_cell_h_bad(T):
    T.manual_seed(0)
    T.nn.GRUCell(3, 4)(T.ones(2, 3), T.ones(3, 4))


@scenario
def dropout_bad_p(T):
    T.nn.Dropout(1.5)


@scenario
def dropout_train_eval(T):
    m = T.nn.Dropout(0.5)
    m.eval()
    x = T.ones(3)
    return [m(x), m.training]


@scenario
def softmax_no_dim(T):
    import warnings

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = T.nn.Softmax()(T.tensor([[1.0, 2.0], [3.0, 5.0]]))
    return [r, [str(x.message) for x in w], repr(T.nn.Softmax()), repr(T.nn.LogSoftmax())]


@scenario
def unflatten_bad(T):
    T.nn.Unflatten(1, [2, 3])(T.ones(2, 7))


@scenario
def flatten_repr(T):
    return [
        T.nn.Flatten(),
        T.nn.Unflatten(1, (2, 3)),
        T.nn.Unflatten("x", (("a", 2),)) if False else None,
    ]


@scenario
def loss_reprs(T):
    nn = T.nn
    return [
        nn.CrossEntropyLoss(),
        nn.CrossEntropyLoss(weight=T.ones(3), label_smoothing=0.1),
        nn.BCEWithLogitsLoss(pos_weight=T.ones(2)),
        nn.NLLLoss(reduction="sum"),
        nn.HuberLoss(delta=2.0),
        nn.TripletMarginWithDistanceLoss(),
        nn.CTCLoss(),
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4]),
    ]


@scenario
def loss_buffers(T):
    nn = T.nn
    m = nn.CrossEntropyLoss(weight=T.ones(3))
    n = nn.BCEWithLogitsLoss(weight=T.ones(2), pos_weight=T.ones(2))
    return [
        list(m.state_dict()),
        list(n.state_dict()),
        [k for k, _ in nn.MultiMarginLoss(weight=T.ones(2)).named_buffers()],
        list(nn.NLLLoss().state_dict()),
    ]


@scenario
def loss_bad_reduction(T):
    T.nn.MSELoss(reduction="avg")(T.ones(2), T.ones(2))


@scenario
def loss_size_average(T):
    import warnings

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = T.nn.MSELoss(size_average=False)
    return [m.reduction, m, [str(x.message) for x in w]]


@scenario
def loss_broadcast_warn(T):
    import warnings

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = T.nn.MSELoss()(T.ones(3, 1), T.zeros(3))
    return [r, [str(x.message) for x in w]]


@scenario
def ce_bad_target_dtype(T):
    T.nn.CrossEntropyLoss()(T.ones(2, 3), T.ones(2))


@scenario
def nll_bad_target(T):
    T.nn.NLLLoss()(T.ones(2, 3), T.tensor([0, 5]))


@scenario
def ce_target_float_int(T):
    T.nn.CrossEntropyLoss()(T.ones(2, 3), T.tensor([0.0, 1.0]))


@scenario
def bce_out_of_range(T):
    T.nn.BCELoss()(T.tensor([1.5]), T.tensor([1.0]))


@scenario
def identity_args(T):
    return [T.nn.Identity(3, x=4), T.nn.Identity()(T.ones(1))]


@scenario
def upsample_reprs(T):
    nn = T.nn
    return [
        nn.Upsample(scale_factor=2),
        nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True),
        nn.UpsamplingNearest2d(scale_factor=2.0),
        nn.UpsamplingBilinear2d(size=4),
        nn.Upsample(scale_factor=1.5, mode="bicubic", recompute_scale_factor=True),
    ]


@scenario
def pad_reprs(T):
    nn = T.nn
    return [
        nn.ZeroPad2d(1),
        nn.ConstantPad1d((1, 2), 3),
        nn.ReflectionPad3d(2),
        nn.CircularPad2d((1, 2, 3, 4)),
        nn.ZeroPad1d((1, 2)),
        nn.ConstantPad3d(1, 0.5),
    ]


@scenario
def pool_reprs(T):
    nn = T.nn
    return [
        nn.MaxPool2d(2),
        nn.AvgPool1d(3),
        nn.AvgPool2d(2, divisor_override=2),
        nn.LPPool2d(2, 3),
        nn.AdaptiveAvgPool2d((None, 3)),
        nn.AdaptiveMaxPool1d(2, True),
        nn.FractionalMaxPool2d(2, output_ratio=0.5),
        nn.MaxUnpool2d(2),
        nn.MaxPool3d(2, ceil_mode=True, return_indices=True, dilation=2),
    ]


@scenario
def act_reprs(T):
    nn = T.nn
    return [
        nn.ELU(),
        nn.Hardtanh(),
        nn.ReLU6(inplace=True),
        nn.Threshold(0.1, 2),
        nn.Softplus(),
        nn.RReLU(),
        nn.PReLU(3),
        nn.GELU("tanh"),
        nn.CELU(),
        nn.Softshrink(),
        nn.Hardshrink(),
        nn.LeakyReLU(),
        nn.GLU(),
        nn.Softmin(1),
        nn.Softmax2d(),
        nn.MultiheadAttention(4, 2),
        nn.Hardsigmoid(True),
        nn.SiLU(True),
        nn.Mish(True),
        nn.Hardswish(True),
    ]


@scenario
def misc_reprs(T):
    nn = T.nn
    return [
        nn.Dropout(),
        nn.AlphaDropout(0.2),
        nn.Embedding(
            3, 2, padding_idx=1, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True
        ),
        nn.EmbeddingBag(4, 2, mode="max", include_last_offset=True, padding_idx=0),
        nn.LSTM(
            2, 3, 2, bias=False, batch_first=True, dropout=0.0, bidirectional=True, proj_size=1
        ),
        nn.GRU(2, 3),
        nn.RNN(2, 3, nonlinearity="relu"),
        nn.LSTMCell(2, 3, bias=False),
        nn.RNNCell(2, 3, nonlinearity="relu"),
        nn.Bilinear(1, 2, 3, bias=False),
        nn.LayerNorm([2, 3], elementwise_affine=False),
        nn.RMSNorm(3),
        nn.RMSNorm([2, 3], eps=1e-5),
        nn.GroupNorm(2, 4),
        nn.LocalResponseNorm(2),
        nn.CrossMapLRN2d(3),
        nn.PixelShuffle(2),
        nn.PixelUnshuffle(2),
        nn.ChannelShuffle(2),
        nn.Fold(3, 2),
        nn.Unfold((2, 3), padding=1),
        nn.CosineSimilarity(),
        nn.PairwiseDistance(),
        nn.InstanceNorm2d(3, affine=True),
        nn.BatchNorm2d(3, momentum=None),
        nn.SyncBatchNorm(3),
        nn.LazyLinear(3),
        nn.LazyConv2d(3, 2),
        nn.LazyBatchNorm1d(),
        nn.Conv2d(2, 2, 3, padding="same", padding_mode="circular", bias=False),
        nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=1, groups=2, dilation=2),
    ]


@scenario
def lazy_repr_state(T):
    m = T.nn.LazyLinear(3)
    return [
        m,
        list(m.state_dict()),
        type(m.weight).__name__,
        m.has_uninitialized_params(),
        m.in_features,
    ]


@scenario
def lazy_load_state(T):
    m = T.nn.LazyLinear(3)
    m.load_state_dict({"weight": T.ones(3, 2), "bias": T.zeros(3)})
    return [m, type(m).__name__, m.weight.shape]


@scenario
def lazy_to_double(T):
    T.manual_seed(0)
    m = T.nn.LazyConv1d(2, 2).double()
    y = m(T.ones(1, 3, 4, dtype=T.float64))
    return [m.weight.dtype, type(m).__name__, y.dtype]


@scenario
def lazy_param_count(T):
    m = T.nn.LazyLinear(3)
    return sum(p.numel() for p in m.parameters())


@scenario
def sequential_forward_multi(T):
    T.nn.Sequential(T.nn.Linear(1, 1))(T.ones(1, 1), T.ones(1, 1))


@scenario
def modulelist_forward(T):
    T.nn.ModuleList()(T.ones(1))


@scenario
def dataparallel(T):
    m = T.nn.DataParallel(T.nn.Linear(2, 3))
    return [m, list(m.state_dict()), type(m.module).__name__]


@scenario
def adaptive_logsoftmax_methods(T):
    T.manual_seed(0)
    m = T.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3, 6], div_value=2.0)
    x = T.randn(5, 4)
    r = m(x, T.tensor([0, 3, 6, 9, 2]))
    return [
        type(r).__name__,
        r._fields,
        r.loss.round(decimals=4),
        m.log_prob(x).round(decimals=4),
        m.predict(x),
    ]


@scenario
def adaptive_bad_cutoffs(T):
    T.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [6, 3])


@scenario
def adaptive_bad_target(T):
    T.manual_seed(0)
    m = T.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3, 6])
    m(T.randn(2, 4), T.tensor([0, 10]))


@scenario
def embedding_bag_psw(T):
    T.manual_seed(0)
    m = T.nn.EmbeddingBag(5, 2, mode="sum")
    return m(
        T.tensor([1, 2, 4, 4]), T.tensor([0, 1]), per_sample_weights=T.tensor([1.0, 2.0, 0.5, 1.0])
    )


@scenario
def embedding_bag_psw_mean(T):
    T.manual_seed(0)
    m = T.nn.EmbeddingBag(5, 2, mode="mean")
    return m(
        T.tensor([1, 2, 4, 4]), T.tensor([0, 1]), per_sample_weights=T.tensor([1.0, 2.0, 0.5, 1.0])
    )


@scenario
def embedding_bag_2d_offsets(T):
    T.manual_seed(0)
    T.nn.EmbeddingBag(5, 2)(T.tensor([[1, 2]]), T.tensor([0]))


@scenario
def embedding_float_input(T):
    T.manual_seed(0)
    T.nn.Embedding(5, 2)(T.tensor([1.0]))


@scenario
def prelu_bad_channels(T):
    T.nn.PReLU(3)(T.ones(2, 4))


@scenario
def glu_odd(T):
    T.nn.GLU()(T.ones(2, 3))


@scenario
def pixelshuffle_bad(T):
    T.nn.PixelUnshuffle(2)(T.ones(1, 1, 3, 4))


@scenario
def fold_bad(T):
    T.nn.Fold((4, 5), 2)(T.ones(1, 5, 12))


@scenario
def maxpool_bad_pad(T):
    T.nn.MaxPool2d(2, padding=2)(T.ones(1, 1, 4, 4))


@scenario
def avgpool_bad_pad(T):
    T.nn.AvgPool1d(2, padding=2)(T.ones(1, 1, 4))


@scenario
def maxunpool_bad_size(T):
    T.nn.MaxUnpool2d(2)(T.ones(1, 1, 2, 2), T.zeros(1, 1, 2, 2, dtype=T.int64), output_size=(9, 9))


@scenario
def adaptive_zero_out(T):
    return T.nn.AdaptiveAvgPool2d(0)(T.ones(1, 1, 2, 2)).shape


@scenario
def upsample_no_args(T):
    T.nn.Upsample()(T.ones(1, 1, 2, 2))


@scenario
def upsample_bad_mode(T):
    T.nn.Upsample(scale_factor=2, mode="bilinear")(T.ones(1, 1, 2))


@scenario
def cosine_broadcast(T):
    return T.nn.CosineSimilarity(dim=-1)(T.ones(2, 1, 3), T.ones(1, 4, 3)).shape


@scenario
def layernorm_bad_shape(T):
    T.nn.LayerNorm([3, 4])(T.ones(2, 4, 3))


@scenario
def rmsnorm_eps_none(T):
    m = T.nn.RMSNorm(3)
    return [m.eps, m(T.tensor([[1.0, 2.0, 3.0]])).round(decimals=5)]


@scenario
def ctc_bad(T):
    T.nn.CTCLoss()(
        T.randn(3, 2, 4).log_softmax(2),
        T.tensor([[1, 2, 1, 1], [1, 1, 1, 1]]),
        T.tensor([3, 3]),
        T.tensor([4, 4]),
    )


@scenario
def ctc_inf(T):
    lp = T.zeros(2, 1, 3).log_softmax(2)
    return [
        T.nn.CTCLoss(reduction="sum")(lp, T.tensor([[1, 1, 1]]), T.tensor([2]), T.tensor([3])),
        T.nn.CTCLoss(zero_infinity=True, reduction="sum")(
            lp, T.tensor([[1, 1, 1]]), T.tensor([2]), T.tensor([3])
        ),
    ]


@scenario
def gaussian_bad_var(T):
    T.nn.GaussianNLLLoss()(T.ones(2, 3), T.ones(2, 3), T.ones(2, 2))


@scenario
def triplet_bad_dims(T):
    T.nn.TripletMarginLoss()(T.ones(2, 3), T.ones(3), T.ones(2, 3))


@scenario
def kl_default_warn(T):
    import warnings

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = T.nn.KLDivLoss()(T.zeros(2, 3).log_softmax(1), T.ones(2, 3) / 3)
    return [r, [str(x.message)[:60] for x in w]]


@scenario
def mse_bad_shapes(T):
    T.nn.MSELoss()(T.ones(3, 2), T.zeros(2, 3))


@scenario
def multilabel_margin_bad(T):
    T.nn.MultiLabelMarginLoss()(T.ones(2, 3), T.zeros(2, 4, dtype=T.int64))


@scenario
def hinge_bad(T):
    return T.nn.HingeEmbeddingLoss()(T.ones(2, 3), T.ones(2, 4))


@scenario
def poisson_bad(T):
    return T.nn.PoissonNLLLoss()(T.ones(2, 3), T.ones(2, 4))


@scenario
def set_submodule_errors(T):
    out = []
    m = T.nn.Sequential(T.nn.Sequential(T.nn.Linear(1, 1)))
    for args in [
        ("", T.nn.ReLU()),
        ("0.0", 3),
        ("0.x", T.nn.ReLU(), True),
        ("0.0.weight", T.nn.ReLU()),
        ("9.0", T.nn.ReLU()),
        ("0.new", T.nn.ReLU()),
    ]:
        try:
            m.set_submodule(*args)
            out.append("ok")
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    out.append(repr(m))
    return out


@scenario
def seq_slice_keys(T):
    nn = T.nn
    s = nn.Sequential(OrderedDict([("a", nn.ReLU()), ("b", nn.Tanh()), ("c", nn.ELU())]))
    return [s[1:], list(s[1:]._modules), s[-2:][0], s.b]


@scenario
def seq_getitem_str(T):
    nn = T.nn
    s = nn.Sequential(OrderedDict([("a", nn.ReLU())]))
    return s["a"]


@scenario
def seq_pop_slice(T):
    nn = T.nn
    s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.ELU())
    x = s.pop(-1)
    return [s, x, list(s._modules)]


@scenario
def seq_reversed_iter(T):
    nn = T.nn
    s = nn.Sequential(nn.ReLU(), nn.Tanh())
    return [type(m).__name__ for m in reversed(s)] if hasattr(s, "__reversed__") else None


@scenario
def seq_eq_len_bool(T):
    nn = T.nn
    s = nn.Sequential()
    return [len(s), bool(s) if hasattr(s, "__len__") else None]


@scenario
def modulelist_setitem_neg(T):
    nn = T.nn
    m = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    m[-1] = nn.ELU()
    return m


@scenario
def modulelist_index_bad_neg(T):
    nn = T.nn
    m = nn.ModuleList([nn.ReLU()])
    return m[-3]


@scenario
def modulelist_delslice(T):
    nn = T.nn
    m = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.ELU(), nn.SELU()])
    del m[::2]
    return [m, list(m._modules)]


@scenario
def modulelist_insert_neg(T):
    nn = T.nn
    m = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    m.insert(-1, nn.ELU())
    m.insert(10, nn.SELU())
    return m


@scenario
def modulelist_in_module_repr(T):
    nn = T.nn

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList()
            self.d = nn.ModuleDict()
            self.p = nn.ParameterList()
            self.lin = nn.Linear(1, 1)

    return M()


@scenario
def nested_fold(T):
    nn = T.nn
    T.manual_seed(0)
    return nn.Sequential(
        *[nn.Sequential(nn.Linear(2, 2), nn.ReLU()) for _ in range(3)], nn.Linear(2, 1)
    )


@scenario
def paramlist_ops(T):
    nn = T.nn
    pl = nn.ParameterList([nn.Parameter(T.ones(1)) for _ in range(4)])
    pl[0] = nn.Parameter(T.zeros(2))
    sl = pl[1:3]
    return [
        type(sl).__name__,
        len(sl),
        repr(pl),
        [n for n, _ in pl.named_parameters()],
        pl[-1].shape,
    ]


@scenario
def paramlist_setattr_tensor(T):
    pl = T.nn.ParameterList([T.nn.Parameter(T.ones(1))])
    pl[0] = T.zeros(3)
    return [type(pl[0]).__name__, pl[0].requires_grad]


@scenario
def paramlist_in_module(T):
    nn = T.nn

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = nn.ParameterList([nn.Parameter(T.ones(2)), nn.Parameter(T.ones(3))])

    m = M()
    return [m, [n for n, _ in m.named_parameters()], list(m.state_dict())]


@scenario
def paramdict_ops(T):
    nn = T.nn
    pd = nn.ParameterDict({"a": nn.Parameter(T.ones(1)), "b": nn.Parameter(T.ones(2))})
    r = [pd.setdefault("c", T.ones(3)).shape, list(pd.keys()), list(reversed(pd)), len(pd)]
    c = pd.copy()
    r.append(list(c.keys()))
    r.append(c["a"] is pd["a"])
    f = pd.fromkeys(["x", "y"], T.zeros(1))
    r.append(repr(f))
    pd.clear()
    r.append(repr(pd))
    return r


@scenario
def paramdict_or(T):
    nn = T.nn
    a = nn.ParameterDict({"a": nn.Parameter(T.ones(1))})
    b = nn.ParameterDict({"b": nn.Parameter(T.ones(1))})
    return [repr(a | b), list((a | b).keys())]


@scenario
def paramdict_popitem(T):
    nn = T.nn
    pd = nn.ParameterDict({"a": nn.Parameter(T.ones(1)), "b": nn.Parameter(T.ones(2))})
    k, v = pd.popitem()
    return [k, v.shape, list(pd.keys())]


@scenario
def paramdict_in_module(T):
    nn = T.nn

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.pd = nn.ParameterDict({"w": nn.Parameter(T.ones(2)), "b": T.ones(1)})

    m = M()
    return [m, [n for n, _ in m.named_parameters()], list(m.state_dict())]


@scenario
def paramdict_delete(T):
    nn = T.nn
    pd = nn.ParameterDict({"a": nn.Parameter(T.ones(1))})
    del pd["a"]
    return [repr(pd), "a" in pd]


@scenario
def moduledict_setitem_bad(T):
    T.nn.ModuleDict()["a"] = 3


@scenario
def moduledict_iter_order(T):
    nn = T.nn
    d = nn.ModuleDict(OrderedDict([("z", nn.ReLU()), ("a", nn.Tanh())]))
    d.update({"m": nn.ELU()})
    return [list(d), list(iter(d))]


@scenario
def moduledict_update_seq_bad(T):
    T.nn.ModuleDict().update([("a", T.nn.ReLU(), 3)])


@scenario
def global_forward_hooks(T):
    import importlib

    M = importlib.import_module(T.__name__ + ".nn.modules.module")
    log = []
    h1 = M.register_module_forward_pre_hook(lambda m, i: log.append(("pre", type(m).__name__)))
    h2 = M.register_module_forward_hook(lambda m, i, o: log.append(("post", type(m).__name__)))
    try:
        T.nn.Sequential(T.nn.ReLU())(T.ones(1))
    finally:
        h1.remove()
        h2.remove()
    T.nn.ReLU()(T.ones(1))
    return log


@scenario
def hook_handle_twice(T):
    m = T.nn.ReLU()
    h = m.register_forward_hook(lambda *a: None)
    h.remove()
    h.remove()
    return [len(m._forward_hooks)]


@scenario
def hook_handle_context(T):
    m = T.nn.ReLU()
    log = []
    with m.register_forward_hook(lambda *a: log.append(1)):
        m(T.ones(1))
    m(T.ones(1))
    return log


@scenario
def forward_hook_returns_output(T):
    m = T.nn.Linear(2, 2)
    T.manual_seed(0)
    m.register_forward_hook(lambda mod, i, o: o * 0)
    return m(T.ones(1, 2))


@scenario
def forward_pre_hook_kwargs_none(T):
    m = T.nn.ReLU()
    log = []
    m.register_forward_pre_hook(lambda mod, a, k: log.append((len(a), k)), with_kwargs=True)
    m(T.ones(1))
    return log


@scenario
def forward_pre_hook_kwargs_bad_return(T):
    m = T.nn.ReLU()
    m.register_forward_pre_hook(lambda mod, a, k: a, with_kwargs=True)
    m(T.ones(1))


@scenario
def backward_hook_bilinear(T):
    T.manual_seed(0)
    m = T.nn.Bilinear(2, 3, 2)
    log = []
    m.register_full_backward_hook(
        lambda mod, gi, go: log.append([None if g is None else tuple(g.shape) for g in gi])
    )
    x = T.ones(4, 2, requires_grad=True)
    y = T.ones(4, 3)
    m(x, y).sum().backward()
    return log


@scenario
def backward_hook_lstm(T):
    T.manual_seed(0)
    m = T.nn.LSTM(2, 3)
    log = []
    m.register_full_backward_hook(
        lambda mod, gi, go: log.append(
            (
                [None if g is None else tuple(g.shape) for g in gi],
                [None if g is None else tuple(g.shape) for g in go],
            )
        )
    )
    x = T.ones(4, 1, 2, requires_grad=True)
    out, (h, c) = m(x)
    out.sum().backward()
    return log


@scenario
def old_backward_hook_warn(T):
    import warnings

    m = T.nn.Linear(2, 2)
    log = []
    m.register_backward_hook(lambda mod, gi, go: log.append(len(gi)))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        m(T.ones(1, 2, requires_grad=True)).sum().backward()
    return [log]


@scenario
def backward_hooks_mixed(T):
    m = T.nn.Linear(2, 2)
    m.register_backward_hook(lambda *a: None)
    m.register_full_backward_hook(lambda *a: None)
    m(T.ones(1, 2, requires_grad=True)).sum().backward()


@scenario
def extra_state(T):
    class M(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.l = T.nn.Linear(1, 1)
            self.v = 3

        def get_extra_state(self):
            return {"v": self.v}

        def set_extra_state(self, st):
            self.v = st["v"]

    m = M()
    sd = m.state_dict()
    m2 = M()
    m2.v = 0
    m2.load_state_dict(sd)
    return [list(sd), sd["_extra_state"], m2.v]


@scenario
def extra_state_missing(T):
    class M(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.l = T.nn.Linear(1, 1)

        def get_extra_state(self):
            return 1

        def set_extra_state(self, st):
            pass

    m = M()
    sd = m.state_dict()
    del sd["_extra_state"]
    m.load_state_dict(sd)


@scenario
def to_empty(T):
    m = T.nn.Linear(2, 2).to_empty(device="cpu")
    return [m.weight.shape, type(m.weight).__name__, m.weight.requires_grad]


@scenario
def module_pickle(T):
    import pickle

    T.manual_seed(0)
    m = T.nn.Sequential(T.nn.Linear(1, 1), T.nn.BatchNorm1d(1))
    m.register_buffer("np", T.ones(1), persistent=False)
    c = pickle.loads(pickle.dumps(m))
    return [c, list(c.state_dict()), [n for n, _ in c.named_buffers()]]


@scenario
def module_half_int_buffers(T):
    m = T.nn.BatchNorm1d(2).half()
    return [(k, v.dtype) for k, v in m.state_dict().items()]


@scenario
def module_to_complex_warn(T):
    import warnings

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = T.nn.Linear(1, 1).to(T.complex64)
    return [m.weight.dtype, [str(x.message)[:50] for x in w]]


@scenario
def delattr_then_assign(T):
    m = T.nn.Linear(1, 1)
    del m.weight
    m.weight = T.zeros(1, 1)
    return [list(m.state_dict()), type(m.weight).__name__, "weight" in m.__dict__]


@scenario
def param_requires_grad_false(T):
    m = T.nn.Linear(1, 1)
    m.register_parameter("p", T.nn.Parameter(T.ones(1), requires_grad=False))
    return [(n, p.requires_grad) for n, p in m.named_parameters()]


@scenario
def assign_buffer_param(T):
    m = T.nn.BatchNorm1d(1)
    m.running_mean = T.nn.Parameter(T.zeros(1))
    return [list(m._buffers), list(m._parameters), list(m.state_dict())]


@scenario
def assign_plain_over_module(T):
    m = T.nn.Sequential(T.nn.ReLU())
    m.x = T.nn.ReLU()
    m.x = 5


@scenario
def parameters_generator(T):
    m = T.nn.Linear(1, 1)
    g = m.parameters()
    return [type(g).__name__, next(g).shape]


@scenario
def named_parameters_types(T):
    m = T.nn.Linear(1, 1)
    return [
        type(m.named_parameters()).__name__,
        type(m.state_dict()).__name__,
        type(m._parameters).__name__,
    ]


@scenario
def state_dict_destination(T):
    m = T.nn.Linear(1, 1)
    d = OrderedDict()
    r = m.state_dict(destination=d, prefix="x.")
    return [r is d, list(d)]


@scenario
def state_dict_positional(T):
    import warnings

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = T.nn.Linear(1, 1)
        d = m.state_dict(None, "y.")
    return [list(d), [str(x.message)[:60] for x in w]]


@scenario
def load_strict_missing_only(T):
    T.nn.Linear(1, 1).load_state_dict({"weight": T.zeros(1, 1)})


@scenario
def load_unexpected_only(T):
    T.nn.Linear(1, 1).load_state_dict(
        {"weight": T.zeros(1, 1), "bias": T.zeros(1), "zz": T.zeros(1), "aa.b": T.zeros(1)}
    )


@scenario
def load_shape_0d(T):
    T.nn.Linear(1, 1).load_state_dict({"weight": T.tensor(1.0), "bias": T.zeros(1)})


@scenario
def load_nested_missing_module(T):
    m = T.nn.Sequential(T.nn.Linear(1, 1), T.nn.Sequential(T.nn.Linear(1, 1)))
    sd = m.state_dict()
    sd = {k: v for k, v in sd.items() if not k.startswith("1.")}
    sd["2.0.weight"] = T.zeros(1)
    return m.load_state_dict(sd, strict=False)


@scenario
def incompat_keys_repr(T):
    r = T.nn.Linear(1, 1).load_state_dict({"weight": T.zeros(1, 1), "bias": T.zeros(1)})
    return [r, type(r).__name__, r.missing_keys, tuple(r)]


@scenario
def parameter_new_and_ops(T):
    p = T.nn.Parameter(T.ones(2))
    q = p * 2
    return [
        type(q).__name__,
        type(p.data).__name__,
        type(p.detach()).__name__,
        type(p.clone()).__name__,
        p.is_leaf,
        repr(p.grad),
    ]


@scenario
def parameter_from_param(T):
    p = T.nn.Parameter(T.nn.Parameter(T.ones(1)))
    return [type(p).__name__, repr(p)]


@scenario
def buffer_class(T):
    if not hasattr(T.nn, "Buffer"):
        return None

    class M(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.b = T.nn.Buffer(T.ones(1))
            self.c = T.nn.Buffer(T.zeros(1), persistent=False)

    m = M()
    return [list(m.state_dict()), [n for n, _ in m.named_buffers()], type(m.b).__name__]


@scenario
def uninit_param_repr(T):
    m = T.nn.LazyLinear(2)
    return [repr(m.weight), m.weight.shape if False else None]


@scenario
def lazy_materialize_shape_error(T):
    m = T.nn.LazyLinear(2)
    m(T.ones(3, 4))
    m(T.ones(3, 5))


@scenario
def lazy_deepcopy(T):
    m = T.nn.LazyLinear(2)
    c = copy.deepcopy(m)
    return [repr(c), type(c).__name__]


@scenario
def lazy_state_dict_load_uninit(T):
    m = T.nn.LazyLinear(2)
    n = T.nn.LazyLinear(2)
    n.load_state_dict(m.state_dict())
    return [type(n.weight).__name__]


@scenario
def train_mode_dropout_seed(T):
    T.manual_seed(3)
    m = T.nn.Dropout(0.5)
    return m(T.ones(12))


@scenario
def rrelu_train_seed(T):
    T.manual_seed(3)
    return T.nn.RReLU()(-T.ones(6)).round(decimals=6)


@scenario
def alpha_dropout_seed(T):
    T.manual_seed(3)
    return T.nn.AlphaDropout(0.5)(T.ones(8)).round(decimals=6)


@scenario
def dropout2d_seed(T):
    T.manual_seed(3)
    return T.nn.Dropout2d(0.5)(T.ones(2, 4, 1, 2))


@scenario
def dropout2d_3d_input_warn(T):
    import warnings

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        T.manual_seed(3)
        r = T.nn.Dropout2d(0.5)(T.ones(4, 2, 3))
    return [r, [str(x.message)[:80] for x in w]]


@scenario
def transformer_dropout_train(T):
    T.manual_seed(0)
    m = T.nn.TransformerEncoderLayer(4, 2, 8)
    T.manual_seed(1)
    return m(T.ones(3, 2, 4)).round(decimals=4)


@scenario
def lstm_dropout_train(T):
    T.manual_seed(0)
    m = T.nn.LSTM(2, 3, num_layers=2, dropout=0.5)
    T.manual_seed(1)
    return m(T.ones(3, 2, 2))[0].round(decimals=4)


@scenario
def mha_dropout_train(T):
    T.manual_seed(0)
    m = T.nn.MultiheadAttention(4, 2, dropout=0.5)
    x = T.ones(3, 2, 4)
    T.manual_seed(1)
    o, w = m(x, x, x)
    return [o.round(decimals=4), w.round(decimals=4)]


@scenario
def fractional_seed(T):
    T.manual_seed(0)
    m = T.nn.FractionalMaxPool2d(2, output_size=3, return_indices=True)
    x = T.arange(2 * 49.0).reshape(1, 2, 7, 7)
    return m(x)


@scenario
def embedding_sparse_grad(T):
    T.manual_seed(0)
    m = T.nn.Embedding(5, 2, sparse=True)
    m(T.tensor([1, 1, 3])).sum().backward()
    return [m.weight.grad.is_sparse, m.weight.grad.to_dense()]


@scenario
def embedding_bag_sparse(T):
    T.manual_seed(0)
    m = T.nn.EmbeddingBag(5, 2, sparse=True)
    m(T.tensor([[1, 1, 3]])).sum().backward()
    return [m.weight.grad.is_sparse, m.weight.grad.to_dense()]


@scenario
def embedding_padding_grad(T):
    T.manual_seed(0)
    m = T.nn.Embedding(5, 2, padding_idx=1)
    m(T.tensor([1, 1, 3])).sum().backward()
    return [m.weight.grad, m.weight[1]]


@scenario
def embedding_scale_freq(T):
    T.manual_seed(0)
    m = T.nn.Embedding(5, 2, scale_grad_by_freq=True)
    m(T.tensor([1, 1, 3])).sum().backward()
    return m.weight.grad


@scenario
def bn_eval_no_update(T):
    T.manual_seed(0)
    m = T.nn.BatchNorm1d(2).eval()
    m(T.randn(4, 2))
    return [m.running_mean, m.num_batches_tracked]


@scenario
def bn_momentum_none_cma(T):
    T.manual_seed(0)
    m = T.nn.BatchNorm1d(2, momentum=None)
    for _ in range(3):
        m(T.randn(4, 2))
    return [
        m.running_mean.round(decimals=6),
        m.running_var.round(decimals=6),
        m.num_batches_tracked,
    ]


@scenario
def bn_no_track_eval(T):
    T.manual_seed(0)
    m = T.nn.BatchNorm1d(2, track_running_stats=False).eval()
    return [m(T.randn(4, 2)).round(decimals=5), m.running_mean]


@scenario
def bn_reset(T):
    T.manual_seed(0)
    m = T.nn.BatchNorm1d(2)
    m(T.randn(4, 2))
    m.reset_running_stats()
    return [m.running_mean, m.running_var, m.num_batches_tracked]


@scenario
def instnorm_track_eval(T):
    T.manual_seed(0)
    m = T.nn.InstanceNorm1d(2, track_running_stats=True)
    m(T.randn(3, 2, 5))
    m.eval()
    return [m(T.randn(3, 2, 5)).round(decimals=5), m.running_mean.round(decimals=6)]


@scenario
def groupnorm_repr_eps(T):
    return [
        T.nn.GroupNorm(2, 4, eps=1e-3),
        T.nn.LayerNorm(3, eps=1e-6, bias=False),
        T.nn.BatchNorm1d(3, eps=1e-3, momentum=0.01),
    ]


@scenario
def sync_bn_convert(T):
    m = T.nn.Sequential(T.nn.Conv2d(1, 2, 1), T.nn.BatchNorm2d(2))
    return T.nn.SyncBatchNorm.convert_sync_batchnorm(m)


@scenario
def rnn_flatten_parameters(T):
    m = T.nn.LSTM(2, 3)
    r = m.flatten_parameters()
    return r


@scenario
def rnn_weights_attr(T):
    T.manual_seed(0)
    m = T.nn.GRU(2, 3, 2, bias=False)
    return [[tuple(w.shape) for w in m.parameters()], m.weight_ih_l1.shape, repr(m)]


@scenario
def rnn_state_dict_keys(T):
    m = T.nn.LSTM(2, 3, 2, bidirectional=True, proj_size=2)
    return list(m.state_dict())


@scenario
def rnn_input_not_3d(T):
    T.nn.LSTM(2, 3)(T.ones(1, 2, 3, 2))


@scenario
def rnn_input_wrong_size(T):
    T.nn.GRU(2, 3)(T.ones(4, 1, 3))


@scenario
def rnn_input_wrong_dtype(T):
    T.nn.RNN(2, 3)(T.ones(4, 1, 2, dtype=T.float64))


@scenario
def rnncell_unbatched_h(T):
    T.manual_seed(0)
    m = T.nn.LSTMCell(2, 3)
    h, c = m(T.ones(2), (T.zeros(3), T.zeros(3)))
    return [h.shape, c.shape]


@scenario
def rnncell_bad_input(T):
    T.nn.RNNCell(2, 3)(T.ones(2, 2, 2))


@scenario
def linear_int_input(T):
    T.nn.Linear(2, 2)(T.ones(1, 2, dtype=T.int64))


@scenario
def conv_int_input(T):
    T.nn.Conv1d(1, 1, 2)(T.ones(1, 1, 3, dtype=T.int64))


@scenario
def conv_wrong_dim(T):
    T.nn.Conv2d(1, 1, 2)(T.ones(1, 1, 1, 3, 3))


@scenario
def conv_kernel_too_big(T):
    T.nn.Conv2d(1, 1, 5)(T.ones(1, 1, 3, 3))


@scenario
def convt_output_padding_bad(T):
    T.nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)(T.ones(1, 1, 3, 3))


@scenario
def pool_int_input(T):
    return T.nn.MaxPool1d(2)(T.arange(8).reshape(1, 1, 8))


@scenario
def avgpool_int_input(T):
    return T.nn.AvgPool1d(2)(T.arange(8).reshape(1, 1, 8))


@scenario
def relu_int_input(T):
    return [T.nn.ReLU()(T.tensor([-1, 2])), T.nn.ReLU6()(T.tensor([-1, 9]))]


@scenario
def sigmoid_int_input(T):
    return T.nn.Sigmoid()(T.tensor([0, 1]))


@scenario
def gelu_int_input(T):
    return T.nn.GELU()(T.tensor([0, 1]))


@scenario
def softmax_int_input(T):
    return T.nn.Softmax(dim=0)(T.tensor([0, 1]))


@scenario
def leaky_inplace_leaf(T):
    T.nn.LeakyReLU(inplace=True)(T.ones(2, requires_grad=True))


@scenario
def relu_inplace_view_grad(T):
    x = T.ones(3, requires_grad=True)
    y = (x * 2)[:2]
    r = T.nn.ReLU(inplace=True)(y)
    r.sum().backward()
    return [x.grad, r.grad_fn.name() if hasattr(r.grad_fn, "name") else None]


@scenario
def hardtanh_bad(T):
    T.nn.Hardtanh(1.0, -1.0)


@scenario
def threshold_repr(T):
    return [T.nn.Threshold(0.1, 20), T.nn.Threshold(1, 2, True)]


@scenario
def softplus_large(T):
    return T.nn.Softplus(beta=2.0, threshold=5.0)(T.tensor([-100.0, 0.0, 2.4, 2.6, 100.0]))


@scenario
def logsigmoid_extreme(T):
    return T.nn.LogSigmoid()(T.tensor([-1000.0, 0.0, 1000.0]))


@scenario
def bce_logits_extreme(T):
    return T.nn.BCEWithLogitsLoss(reduction="none")(
        T.tensor([-1000.0, 1000.0, 0.0]), T.tensor([1.0, 0.0, 0.5])
    )


@scenario
def ce_extreme(T):
    return T.nn.CrossEntropyLoss(reduction="none")(
        T.tensor([[1000.0, -1000.0], [0.0, 0.0]]), T.tensor([1, 0])
    )


@scenario
def bce_log_clamp(T):
    return T.nn.BCELoss(reduction="none")(T.tensor([0.0, 1.0, 0.5]), T.tensor([1.0, 0.0, 1.0]))


@scenario
def ce_all_ignored(T):
    return T.nn.CrossEntropyLoss(ignore_index=0)(T.ones(2, 3), T.tensor([0, 0]))


@scenario
def ce_ignore_with_smoothing_sum(T):
    return T.nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.3, reduction="sum")(
        T.arange(6.0).reshape(2, 3), T.tensor([0, 2])
    )


@scenario
def nll_weight_mean(T):
    return T.nn.NLLLoss(weight=T.tensor([0.0, 1.0, 2.0]))(
        T.arange(6.0).reshape(2, 3), T.tensor([0, 0])
    )


@scenario
def ce_prob_target_ignore(T):
    return T.nn.CrossEntropyLoss(ignore_index=1)(T.arange(6.0).reshape(2, 3), T.full((2, 3), 1 / 3))


@scenario
def ce_smoothing_bad(T):
    T.nn.CrossEntropyLoss(label_smoothing=1.5)(T.ones(2, 3), T.tensor([0, 1]))


@scenario
def ce_weight_bad(T):
    T.nn.CrossEntropyLoss(weight=T.ones(4))(T.ones(2, 3), T.tensor([0, 1]))


@scenario
def kl_batchmean_scalar(T):
    return T.nn.KLDivLoss(reduction="batchmean")(T.tensor(-1.0), T.tensor(0.5))


@scenario
def huber_grad_at_delta(T):
    x = T.tensor([1.0, -1.0, 0.5], requires_grad=True)
    T.nn.HuberLoss(delta=1.0)(x, T.zeros(3)).backward()
    return x.grad


@scenario
def smoothl1_beta_neg(T):
    T.nn.SmoothL1Loss(beta=-1.0)(T.ones(2), T.zeros(2))


@scenario
def poisson_log_input_false_zero(T):
    return T.nn.PoissonNLLLoss(log_input=False, full=True, reduction="none")(
        T.tensor([0.0, 1.0, 2.0]), T.tensor([0.0, 1.0, 3.0])
    )


@scenario
def gaussian_var_broadcast_bad(T):
    T.nn.GaussianNLLLoss()(T.ones(2, 3), T.ones(2, 3), T.ones(3, 3))


@scenario
def margin_ranking_bad(T):
    T.nn.MarginRankingLoss()(T.ones(2), T.ones(3), T.ones(2))


@scenario
def cosine_embedding_bad(T):
    T.nn.CosineEmbeddingLoss()(T.ones(2, 3), T.ones(2, 3), T.ones(3))


@scenario
def triplet_dist_fn(T):
    m = T.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: (a - b).abs().sum(-1), margin=0.3
    )
    return [repr(m), m(T.zeros(2, 3), T.ones(2, 3), T.full((2, 3), 2.0))]


@scenario
def ctc_int32_and_mean(T):
    T.manual_seed(0)
    lp = T.randn(5, 2, 4).log_softmax(2)
    return T.nn.CTCLoss()(
        lp,
        T.tensor([[1, 2], [3, 3]], dtype=T.int32),
        T.tensor([5, 4], dtype=T.int32),
        T.tensor([2, 2], dtype=T.int32),
    ).round(decimals=4)


@scenario
def ctc_tuple_lengths(T):
    T.manual_seed(0)
    lp = T.randn(5, 2, 4).log_softmax(2)
    return T.nn.CTCLoss()(lp, T.tensor([[1, 2], [3, 3]]), (5, 4), (2, 1)).round(decimals=4)


@scenario
def ctc_unbatched(T):
    T.manual_seed(0)
    lp = T.randn(5, 4).log_softmax(1)
    return T.nn.CTCLoss()(lp, T.tensor([1, 2]), T.tensor(5), T.tensor(2)).round(decimals=4)


@scenario
def pairwise_unbatched_mix(T):
    return T.nn.PairwiseDistance()(T.ones(3), T.zeros(2, 3))


@scenario
def cosine_sim_zero(T):
    return T.nn.CosineSimilarity()(T.zeros(1, 3), T.ones(1, 3))


@scenario
def upsample_warn_align(T):
    import warnings

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = T.nn.UpsamplingBilinear2d(scale_factor=2)(T.arange(4.0).reshape(1, 1, 2, 2))
    return [r, [str(x.message)[:60] for x in w]]


@scenario
def upsample_recompute(T):
    return T.nn.Upsample(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)(
        T.arange(9.0).reshape(1, 1, 3, 3)
    ).round(decimals=5)


@scenario
def upsample_size_and_scale(T):
    T.nn.Upsample(size=3, scale_factor=2)(T.ones(1, 1, 2))


@scenario
def fold_unbatched_bad(T):
    T.nn.Fold(3, 2)(T.ones(4))


@scenario
def unfold_3d_bad(T):
    T.nn.Unfold(2)(T.ones(1, 1, 3))


@scenario
def channel_shuffle_bad(T):
    T.nn.ChannelShuffle(3)(T.ones(1, 4, 2, 2))


@scenario
def flatten_bad_dims(T):
    T.nn.Flatten(2, 1)(T.ones(2, 3, 4))


@scenario
def identity_returns_same(T):
    x = T.ones(2)
    return T.nn.Identity()(x) is x


@scenario
def padding_negative(T):
    return T.nn.ZeroPad2d(-1)(T.arange(16.0).reshape(1, 1, 4, 4))


@scenario
def reflection_pad_bad(T):
    T.nn.ReflectionPad2d(3)(T.ones(1, 1, 2, 2))


@scenario
def circular_pad_bad(T):
    T.nn.CircularPad1d(4)(T.ones(1, 1, 2))


@scenario
def constant_pad_int(T):
    return T.nn.ConstantPad1d(1, 2.5)(T.tensor([[1, 2]]))


@scenario
def replication_pad_wrong_dims(T):
    T.nn.ReplicationPad2d(1)(T.ones(2))


@scenario
def adaptive_pool_bad(T):
    T.nn.AdaptiveAvgPool2d((2, 2, 2))(T.ones(1, 1, 4, 4))


@scenario
def maxpool_indices_grad(T):
    x = T.tensor([[[1.0, 3.0, 3.0, 2.0]]], requires_grad=True)
    y, i = T.nn.MaxPool1d(2, stride=1, return_indices=True)(x)
    y.sum().backward()
    return [y, i, x.grad]


@scenario
def lppool_inf(T):
    return T.nn.LPPool1d(float("inf"), 2)(T.tensor([[[1.0, -3.0, 2.0, 0.5]]]))


@scenario
def lppool_neg(T):
    return T.nn.LPPool1d(2, 2)(T.tensor([[[1.0, -3.0, 2.0, 0.5]]]))


@scenario
def mha_kdim_repr_state(T):
    m = T.nn.MultiheadAttention(4, 2, kdim=3, vdim=5, bias=False, add_bias_kv=True)
    return [
        repr(m),
        list(m.state_dict()),
        m._qkv_same_embed_dim,
        m.in_proj_weight,
        m.head_dim,
        m.batch_first,
    ]


@scenario
def mha_need_weights_batch_first(T):
    T.manual_seed(0)
    m = T.nn.MultiheadAttention(4, 2, batch_first=True)
    x = T.randn(2, 3, 4)
    m.eval()
    with T.no_grad():
        o, w = m(x, x, x, need_weights=False)
    return [o.round(decimals=4), w]


@scenario
def mha_key_value_mismatch(T):
    T.manual_seed(0)
    m = T.nn.MultiheadAttention(4, 2)
    m(T.ones(3, 2, 4), T.ones(5, 2, 4), T.ones(4, 2, 4))


@scenario
def mha_bad_embed(T):
    T.manual_seed(0)
    m = T.nn.MultiheadAttention(4, 2)
    m(T.ones(3, 2, 5), T.ones(3, 2, 5), T.ones(3, 2, 5))


@scenario
def mha_kpm_float(T):
    T.manual_seed(0)
    m = T.nn.MultiheadAttention(4, 2)
    x = T.randn(3, 2, 4)
    return m(x, x, x, key_padding_mask=T.tensor([[0.0, -1e9, 0.0], [0.0, 0.0, 0.0]]))[1].round(
        decimals=4
    )


@scenario
def mha_all_masked(T):
    T.manual_seed(0)
    m = T.nn.MultiheadAttention(4, 2)
    x = T.randn(2, 1, 4)
    return m(x, x, x, key_padding_mask=T.tensor([[True, True]]))[0]


@scenario
def encoder_layer_repr(T):
    return [
        T.nn.TransformerEncoderLayer(4, 2, 8),
        T.nn.TransformerDecoderLayer(4, 2, 8, activation="gelu", norm_first=True),
    ]


@scenario
def transformer_repr(T):
    return T.nn.Transformer(4, 2, 2, 1, 8)


@scenario
def transformer_src_tgt_bad(T):
    T.manual_seed(0)
    T.nn.Transformer(4, 2, 1, 1, 8)(T.ones(3, 2, 4), T.ones(3, 3, 4))


@scenario
def transformer_d_model_bad(T):
    T.manual_seed(0)
    T.nn.Transformer(4, 2, 1, 1, 8)(T.ones(3, 2, 5), T.ones(3, 2, 5))


@scenario
def encoder_mask_check(T):
    T.manual_seed(0)
    m = T.nn.TransformerEncoder(
        T.nn.TransformerEncoderLayer(4, 2, 8, 0.0), 1, enable_nested_tensor=False
    )
    x = T.randn(3, 2, 4)
    mask = T.nn.Transformer.generate_square_subsequent_mask(3)
    return m(x, mask=mask, is_causal=True).round(decimals=4)


@scenario
def encoder_layers_deepcopied(T):
    layer = T.nn.TransformerEncoderLayer(4, 2, 8)
    m = T.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    return [
        m.layers[0] is layer,
        m.layers[0] is m.layers[1],
        m.num_layers,
        list(m.state_dict())[:3],
    ]


@scenario
def adaptive_logsoftmax_repr(T):
    T.manual_seed(0)
    m = T.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3, 6], div_value=2.0)
    return [m, list(m.state_dict())]


@scenario
def backward_hook_nontensor_args(T):
    log = []

    class M(T.nn.Module):
        def forward(self, x, k, y):
            return x * k + y, 3, x

    m = M()
    m.register_full_backward_pre_hook(
        lambda mod, go: log.append(("pre", [None if g is None else tuple(g.shape) for g in go]))
    )

    def post(mod, gi, go):
        log.append(
            (
                "post",
                [None if g is None else tuple(g.shape) for g in gi],
                [None if g is None else tuple(g.shape) for g in go],
            )
        )
        return (gi[0] * 10, None, gi[2])

    m.register_full_backward_hook(post)
    x = T.ones(2, requires_grad=True)
    y = T.ones(2, requires_grad=True)
    a, _, b = m(x, 2.0, y)
    (a.sum() + b.sum() * 3).backward()
    return [log, x.grad, y.grad]


@scenario
def backward_pre_hook_bad_len(T):
    m = T.nn.ReLU()
    m.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
    x = T.ones(2, requires_grad=True)
    m(x).sum().backward()


@scenario
def backward_hook_bad_len(T):
    m = T.nn.ReLU()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    x = T.ones(2, requires_grad=True)
    m(x).sum().backward()


def _tryall(fns):
    """The outcome of each call: its repr, or its exception type and message."""
    out = []
    for f in fns:
        try:
            out.append(("ok", re.sub(r"0x[0-9a-f]+", "0x?", repr(f()))))
        except Exception as e:
            out.append((type(e).__name__, str(e).replace("ember.", "torch.")))
    return out


@scenario
def seq_mul_bad(T):
    nn = T.nn
    s = nn.Sequential(nn.ReLU())
    return _tryall(
        [
            lambda: s * 0,
            lambda: s * -1,
            lambda: s * 1.5,
            lambda: 0 * s,
            lambda: s + 3,
            lambda: s + nn.ReLU(),
        ]
    )


@scenario
def seq_imul(T):
    nn = T.nn
    s = nn.Sequential(nn.ReLU(), nn.Tanh())
    r = s.__imul__(2)
    return [r is s, s]


@scenario
def seq_append_returns(T):
    nn = T.nn
    s = nn.Sequential()
    return [s.append(nn.ReLU()) is s, s.extend([nn.Tanh()]) is s, s.insert(0, nn.ELU()) is s]


@scenario
def modulelist_bad_index_type(T):
    nn = T.nn
    m = nn.ModuleList([nn.ReLU()])
    return _tryall(
        [
            lambda: m["a"],
            lambda: m[1.0],
            lambda: m.extend(3),
            lambda: m.append(3),
            lambda: m.insert(0, 3),
            lambda: nn.ModuleList(3),
            lambda: nn.ModuleList([3]),
        ]
    )


@scenario
def moduledict_bad_ctor(T):
    nn = T.nn
    return _tryall(
        [
            lambda: nn.ModuleDict([("a", nn.ReLU(), 1)]),
            lambda: nn.ModuleDict([3]),
            lambda: nn.ModuleDict(3),
            lambda: nn.ModuleDict({"a": 3}),
            lambda: nn.ModuleDict({1: nn.ReLU()}),
            lambda: nn.ModuleDict({"a.b": nn.ReLU()}),
        ]
    )


@scenario
def paramlist_bad(T):
    nn = T.nn
    return _tryall(
        [
            lambda: nn.ParameterList(3),
            lambda: nn.ParameterList([1, 2])[5],
            lambda: nn.ParameterList([T.ones(1)])["a"],
            lambda: nn.ParameterList()(T.ones(1)),
            lambda: nn.ParameterList([T.ones(1)]).extend(3),
        ]
    )


@scenario
def seq_getitem_bad(T):
    nn = T.nn
    s = nn.Sequential(nn.ReLU())
    return _tryall(
        [lambda: s["x"], lambda: s[1.0], lambda: s[-2], lambda: s.pop(5), lambda: s.__delitem__(3)]
    )


@scenario
def module_call_dict_output_backward_hook(T):
    class M(T.nn.Module):
        def forward(self, x):
            return {"a": x * 2}

    m = M()
    log = []
    m.register_full_backward_hook(lambda mod, gi, go: log.append(len(gi)))
    x = T.ones(2, requires_grad=True)
    m(x)["a"].sum().backward()
    return [log, x.grad]


@scenario
def module_namedtuple_output_backward_hook(T):
    NT = namedtuple("NT", "a b")

    class M(T.nn.Module):
        def forward(self, x):
            return NT(x * 2, x * 3)

    m = M()
    log = []
    m.register_full_backward_hook(
        lambda mod, gi, go: log.append([None if g is None else tuple(g.shape) for g in go])
    )
    x = T.ones(2, requires_grad=True)
    r = m(x)
    (r.a.sum() + r.b.sum()).backward()
    return [type(r).__name__, log, x.grad]


@scenario
def named_modules_memo_prefix(T):
    nn = T.nn
    l = nn.ReLU()
    m = nn.Sequential(l, nn.Sequential(l))
    memo = set()
    r1 = [n for n, _ in m.named_modules(memo=memo, prefix="p")]
    r2 = [n for n, _ in m.named_modules(memo=memo)]
    return [r1, r2, len(memo)]


@scenario
def float_int_buffers(T):
    m = T.nn.Module()
    m.register_buffer("i", T.ones(2, dtype=T.int64))
    m.register_buffer("f", T.ones(2, dtype=T.float64))
    m.float()
    a = [v.dtype for v in m.buffers()]
    m.half()
    b = [v.dtype for v in m.buffers()]
    m.to(T.float64)
    c = [v.dtype for v in m.buffers()]
    return [a, b, c]


@scenario
def apply_fn_init(T):
    T.manual_seed(0)
    m = T.nn.Sequential(T.nn.Linear(3, 2), T.nn.ReLU(), T.nn.Linear(2, 1))

    def init(mod):
        if isinstance(mod, T.nn.Linear):
            T.nn.init.xavier_uniform_(mod.weight)
            T.nn.init.zeros_(mod.bias)

    m.apply(init)
    return [p for p in m.parameters()]


@scenario
def init_functions_all(T):
    I = T.nn.init
    T.manual_seed(0)
    w = T.empty(4, 6)
    out = []
    for f, kw in [
        (I.uniform_, {}),
        (I.normal_, {"std": 2}),
        (I.xavier_normal_, {"gain": 2}),
        (I.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}),
        (I.kaiming_uniform_, {"a": 0.1}),
        (I.trunc_normal_, {"a": -1, "b": 1}),
        (I.orthogonal_, {}),
        (I.sparse_, {"sparsity": 0.5}),
        (I.constant_, {"val": 0.3}),
        (I.eye_, {}),
        (I.dirac_, {}),
    ]:
        try:
            x = w.clone() if f is not I.dirac_ else T.empty(2, 2, 3)
            f(x, **kw)
            out.append(x.round(decimals=5))
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    return out


@scenario
def calculate_gain(T):
    I = T.nn.init
    return _tryall(
        [
            lambda: I.calculate_gain("leaky_relu", 0.2),
            lambda: I.calculate_gain("selu"),
            lambda: I.calculate_gain("tanh"),
            lambda: I.calculate_gain("bogus"),
            lambda: I.calculate_gain("leaky_relu", "x"),
            lambda: I.calculate_gain("conv2d"),
        ]
    )


@scenario
def forward_hook_kwargs_modify(T):
    class M(T.nn.Module):
        def forward(self, x, *, scale=1.0):
            return x * scale

    m = M()
    m.register_forward_hook(lambda mod, a, k, out: out + k["scale"], with_kwargs=True)
    return m(T.ones(2), scale=3.0)


@scenario
def module_repr_long_extra(T):
    class M(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = T.nn.Linear(1, 1)
            self.b = T.nn.Sequential()

        def extra_repr(self):
            return "x=1,\ny=2"

    return M()


@scenario
def module_repr_nested_extra(T):
    class M(T.nn.Module):
        def extra_repr(self):
            return "line1\nline2"

    return T.nn.Sequential(M(), T.nn.ModuleList([M()]))


@scenario
def get_submodule_deep(T):
    m = T.nn.Sequential(T.nn.ModuleDict({"x": T.nn.ModuleList([T.nn.Linear(1, 1)])}))
    return _tryall(
        [
            lambda: m.get_submodule("0.x.0"),
            lambda: m.get_parameter("0.x.0.weight").shape,
            lambda: m.get_submodule("0.x.1"),
            lambda: m.get_submodule("0.y"),
            lambda: m.get_parameter("0.x.0"),
            lambda: m.get_buffer("0.x.0.bias"),
        ]
    )


@scenario
def register_buffer_over_attr(T):
    m = T.nn.Linear(1, 1)
    m.foo = 3
    return _tryall(
        [
            lambda: m.register_buffer("foo", T.zeros(1)),
            lambda: m.register_parameter("foo", T.nn.Parameter(T.zeros(1))),
            lambda: m.add_module("foo", T.nn.ReLU()),
        ]
    )


@scenario
def parameters_with_grads_state_dict(T):
    m = T.nn.Linear(1, 1)
    m(T.ones(1, 1)).sum().backward()
    sd = m.state_dict()
    return [sd["weight"].requires_grad, sd["weight"].grad_fn, type(sd["weight"]).__name__]


@scenario
def load_state_dict_into_frozen(T):
    m = T.nn.Linear(1, 1)
    m.requires_grad_(False)
    m.load_state_dict({"weight": T.ones(1, 1), "bias": T.ones(1)})
    return [m.weight.requires_grad, m.weight]


@scenario
def load_state_dict_version_counter(T):
    m = T.nn.Linear(1, 1)
    v = m.weight._version
    m.load_state_dict({"weight": T.ones(1, 1), "bias": T.ones(1)})
    return m.weight._version - v


@scenario
def state_dict_shares_storage(T):
    m = T.nn.Linear(1, 1)
    sd = m.state_dict()
    sd["weight"].fill_(5.0)
    return m.weight


@scenario
def modules_training_after_add(T):
    m = T.nn.Sequential(T.nn.ReLU()).eval()
    m.append(T.nn.Dropout())
    return [x.training for x in m.modules()]



@scenario
def rnn_cell_base(T):
    T.manual_seed(0)
    m = T.nn.RNNCellBase(4, 5, bias=True, num_chunks=3)
    return [m, [(n, p.shape) for n, p in m.named_parameters()], list(m.state_dict())]


@scenario
def backward_hook_inplace_relu(T):
    m = T.nn.ReLU(inplace=True)
    m.register_full_backward_hook(lambda *a: None)
    x = T.ones(2, requires_grad=True) * 1
    return m(x)

@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(name):
    t = _outcome(SCENARIOS[name], torch)
    e = _outcome(SCENARIOS[name], ember)
    assert e == t, f"ember: {e}\ntorch: {t}"


if __name__ == "__main__":
    import sys
    import time
    import warnings

    warnings.simplefilter("ignore")
    pat = sys.argv[1] if len(sys.argv) > 1 else ""
    n = nbad = 0
    t0 = time.time()
    for c in CASES:
        if pat not in c.id:
            continue
        n += 1
        try:
            b = sweep(c)
        except Exception as exc:  # a crash of the harness on this case
            import traceback

            b = [f"CRASH {type(exc).__name__}: {exc}\n{traceback.format_exc()[-800:]}"]
        if b:
            nbad += 1
            print(f"== {c.id}")
            for line in b:
                print("   ", line[:600])
    print(f"{n} cases, {nbad} with mismatches, {time.time() - t0:.1f}s")
