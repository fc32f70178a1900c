"""nn layers built with odd constructor arguments (strings for sizes, zero sizes, short tuples,
non-bool flags, non-number scalars), and one forward each: ember gives PyTorch's repr,
parameters (bit for bit from the same seed), and PyTorch's exception type and message, in
PyTorch's order of checks, where the arguments only fail in the forward."""
import random

import numpy as np
import pytest

import ember
from diff import quiet_run

torch = pytest.importorskip("torch")


def _outcome(lib, fn):
    """``fn(lib)``'s result (repr, or shapes and values of tensors) or its exception."""
    out, err = quiet_run(lib, fn, seed=0)
    if err:
        return err
    if isinstance(out, tuple):
        out = out[0]
    if isinstance(out, lib.nn.Module):
        params = [(n, tuple(p.shape), str(p.dtype), p.detach().double().numpy().tobytes())
                  for n, p in out.named_parameters()]
        return repr(out), params, list(out.state_dict())
    if isinstance(out, lib.Tensor):
        return str(out.dtype), tuple(out.shape), out.detach().double().numpy().round(5).tobytes()
    return repr(out)


def _same(fn):
    assert _outcome(ember, fn) == _outcome(torch, fn)


def _x(lib, *shape):
    lib.manual_seed(1)
    return lib.randn(*shape)


# -- constructors: repr and parameters ----------------------------------------------------

CTORS = [
    lambda nn: nn.ConvTranspose3d(4, 6, kernel_size=(3,), output_padding=(3,)),
    lambda nn: nn.ConvTranspose3d(4, 4, (1, 2), output_padding=3, groups=2, bias=False),
    lambda nn: nn.Conv2d(2, 4, (3,), padding=(1,), dilation=(1,)),
    lambda nn: nn.MaxUnpool2d(2, stride=(3,), padding="2"),
    lambda nn: nn.ReflectionPad2d("2"),
    lambda nn: nn.ReplicationPad3d("2"),
    lambda nn: nn.ZeroPad2d("12"),
    lambda nn: nn.AvgPool1d("2"),
    lambda nn: nn.LPPool2d(2, "2"),
    lambda nn: nn.Bilinear(0, 3, 4),
    lambda nn: nn.Bilinear(-1, 3, 4),
    lambda nn: nn.Bilinear(2, 3, 4),
    lambda nn: nn.FractionalMaxPool3d(-1, output_ratio=0.5),
    lambda nn: nn.FractionalMaxPool3d(0),
    lambda nn: nn.FractionalMaxPool3d((2, 0, 2), output_size=2),
    lambda nn: nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5)),
    lambda nn: nn.FractionalMaxPool2d(2, output_ratio=(0.5,)),
    lambda nn: nn.EmbeddingBag(0, 3, padding_idx=0),
    lambda nn: nn.EmbeddingBag(5, 3, padding_idx=-5),
    lambda nn: nn.EmbeddingBag(5, 3, padding_idx=5),
    lambda nn: nn.EmbeddingBag(5, 3, padding_idx=-6),
]


@pytest.mark.parametrize("i", range(len(CTORS)))
def test_constructor(i):
    _same(lambda lib: CTORS[i](lib.nn))


# -- arguments the forward refuses ------------------------------------------------------

FORWARDS = [
    # non-str reductions, PyTorch's `reduction + "..."`
    lambda L: L.nn.MultiLabelSoftMarginLoss(reduction=None)(_x(L, 3, 4), _x(L, 3, 4)),
    lambda L: L.nn.GaussianNLLLoss(reduction=1)(_x(L, 3, 4), _x(L, 3, 4), _x(L, 3, 4).abs()),
    lambda L: L.nn.PoissonNLLLoss(reduction=1)(_x(L, 3, 4), _x(L, 3, 4)),
    lambda L: L.nn.PoissonNLLLoss(reduction="elementwise_mean")(_x(L, 3, 4), _x(L, 3, 4)),
    # non-bool flags
    lambda L: L.nn.KLDivLoss(log_target=None)(_x(L, 3, 4), _x(L, 3, 4)),
    lambda L: L.nn.TripletMarginLoss(swap=1)(_x(L, 3, 4), _x(L, 3, 4), _x(L, 3, 4)),
    lambda L: L.nn.PoissonNLLLoss(log_input="yes")(_x(L, 3, 4), _x(L, 3, 4)),
    lambda L: L.nn.PoissonNLLLoss(full=0)(_x(L, 3, 4), _x(L, 3, 4)),
    lambda L: L.nn.PairwiseDistance(keepdim=1)(_x(L, 3, 4), _x(L, 3, 4)),
    lambda L: L.nn.Embedding(10, 3, sparse=None)(L.tensor([1, 2])),
    lambda L: L.nn.Embedding(10, 3, scale_grad_by_freq=None)(L.tensor([1])),
    lambda L: L.nn.EmbeddingBag(10, 3, sparse=None)(L.tensor([[1, 2]])),
    lambda L: L.nn.EmbeddingBag(10, 3, scale_grad_by_freq=1)(L.tensor([[1]])),
    lambda L: L.nn.MaxPool1d(2, return_indices="yes", ceil_mode=1)(_x(L, 2, 3, 12)),
    lambda L: L.nn.MaxPool2d(2, return_indices=None, ceil_mode="a")(_x(L, 2, 3, 8, 8)),
    lambda L: L.nn.MaxPool2d(2, return_indices=1)(_x(L, 2, 3, 8, 8)),
    lambda L: L.nn.LPPool1d(2, 2, ceil_mode=0)(_x(L, 2, 3, 12)),
    lambda L: L.nn.LPPool1d(2, 2, 2, ceil_mode=0)(_x(L, 2, 3, 12)),
    lambda L: L.nn.LPPool2d(2, 2, ceil_mode=0)(_x(L, 2, 3, 8, 8)),
    lambda L: L.nn.LPPool1d(2, (2, 2))(_x(L, 2, 3, 12)),
    lambda L: L.nn.LPPool1d(2, (2,))(_x(L, 2, 3, 12)),
    lambda L: L.nn.LPPool1d(float("inf"), (2,))(_x(L, 2, 3, 12)),
    lambda L: L.nn.LPPool2d(2, "2")(_x(L, 2, 3, 8, 8)),
    # non-number and non-int scalars
    lambda L: L.nn.GELU(1)(_x(L, 2, 3)),
    lambda L: L.nn.GroupNorm(2.0, 6)(_x(L, 2, 6, 4)),
    lambda L: L.nn.functional.group_norm(_x(L, 2, 6, 4), True),
    lambda L: L.nn.PixelShuffle(2.0)(_x(L, 1, 8, 3, 3)),
    lambda L: L.nn.PixelUnshuffle(2.0)(_x(L, 1, 2, 4, 4)),
    lambda L: L.nn.LeakyReLU("0.1")(_x(L, 2, 3)),
    lambda L: L.nn.LeakyReLU(None, inplace=True)(_x(L, 2, 3)),
    lambda L: L.nn.functional.leaky_relu(_x(L, 2, 3), L.tensor(0.2)),
    lambda L: L.nn.Threshold("a", 1)(_x(L, 2, 3)),
    lambda L: L.nn.Threshold(0.1, None, inplace=True)(_x(L, 2, 3)),
    lambda L: L.nn.ELU("a")(_x(L, 2, 3)),
    lambda L: L.nn.CELU("a")(_x(L, 2, 3)),
    lambda L: L.nn.Softplus("a")(_x(L, 2, 3)),
    lambda L: L.nn.Softplus(1, "a")(_x(L, 2, 3)),
    lambda L: L.nn.Hardshrink("a")(_x(L, 2, 3)),
    lambda L: L.nn.Softshrink("a")(_x(L, 2, 3)),
    lambda L: L.nn.RReLU("a")(_x(L, 2, 3)),
    lambda L: L.nn.Hardtanh("a", "b")(_x(L, 2, 3)),
    lambda L: L.nn.ConstantPad1d((3,), "a")(_x(L, 2, 3, 8)),
    lambda L: L.nn.functional.pad(_x(L, 2, 3, 8), (1, 1), mode=1),
    lambda L: L.nn.functional.pad(_x(L, 2, 3, 8), (1, 1), value=[1]),
    lambda L: L.nn.functional.pad(_x(L, 2, 3, 8), (1, 1), value=True),
    # adaptive pools' output sizes
    lambda L: L.nn.AdaptiveAvgPool3d("2")(_x(L, 1, 2, 4, 4, 4)),
    lambda L: L.nn.AdaptiveMaxPool2d(("2", 2))(_x(L, 2, 6, 4)),
    lambda L: L.nn.AdaptiveAvgPool2d((None, 2.0))(_x(L, 2, 6, 4)),
    lambda L: L.nn.AdaptiveAvgPool2d((None, 2))(_x(L, 2, 6, 4)),
    # sizes the layer takes but its op refuses
    lambda L: L.nn.SyncBatchNorm(0)(_x(L, 2, 0, 3)),
    lambda L: L.nn.GRUCell(0, 0)(_x(L, 3, 0)),
    lambda L: L.nn.GRUCell(2, 0)(_x(L, 3, 2)),
    lambda L: L.nn.RMSNorm(())(_x(L, 2, 3)),
    lambda L: L.nn.functional.rms_norm(_x(L, 2, 3), (4,), weight=L.ones(5)),
    lambda L: L.nn.ConvTranspose1d(3, 2, 3, output_padding=-1)(_x(L, 2, 3, 8)),
    lambda L: L.nn.ConvTranspose1d(3, 2, 3, stride=0, output_padding=-1)(_x(L, 2, 3, 8)),
    lambda L: L.nn.ConvTranspose1d(3, 2, 3, dilation=-1, output_padding=-1)(_x(L, 2, 3, 8)),
    lambda L: L.nn.Conv1d(3, 2, 3, stride=0, padding=-1)(_x(L, 2, 3, 8)),
    # a kernel tuple of the wrong length: PyTorch's weight-rank check
    lambda L: L.nn.Conv1d(4, 6, (1, 2))(_x(L, 2, 4, 7)),
    lambda L: L.nn.Conv1d(4, 6, (1, 2))(_x(L, 4, 7)),
    lambda L: L.nn.ConvTranspose1d(4, 6, (1, 2))(_x(L, 4, 7)),
    lambda L: L.nn.Conv2d(4, 6, (2,))(_x(L, 2, 4, 7, 7)),
    lambda L: L.nn.functional.conv1d(_x(L, 2, 4, 7, 7), L.ones(6, 4, 3, 3)),
    # pools' tuple lengths
    lambda L: L.nn.AvgPool2d(2, stride=(1, 1, 1))(_x(L, 2, 3, 8, 8)),
    lambda L: L.nn.MaxPool2d(2, stride=(1, 1, 1))(_x(L, 2, 3, 8, 8)),
    lambda L: L.nn.MaxPool2d(2, 1, 0, (1, 1, 1))(_x(L, 2, 3, 8, 8)),
    lambda L: L.nn.MaxPool1d(0, stride=[2, 1], padding=[2, 1])(_x(L, 2, 3, 12)),
]


@pytest.mark.parametrize("i", range(len(FORWARDS)))
def test_forward(i):
    _same(FORWARDS[i])


# -- 1-d and 2-d pools' argument checks, in PyTorch's order and words -----------------------

def test_pool_checks():
    rng = random.Random(0)
    for _ in range(60):
        kw = {"kernel_size": rng.choice([-1, 0, 2, 3, 20, (2, 2), (1, 2)]),
              "padding": rng.choice([0, 1, 2, -1, (0, -1), (1, 2, 3)]),
              "stride": rng.choice([None, 0, -1, 1, (1, 1)]),
              "dilation": rng.choice([1, 0, -1, 2, (1, 1)]),
              "return_indices": rng.choice([False, True])}
        for fn, shape in (("max_pool1d", (2, 3, 12)), ("max_pool2d", (2, 3, 12, 12)),
                          ("avg_pool1d", (2, 3, 12))):
            args = dict(kw)
            if fn.startswith("avg"):
                del args["dilation"], args["return_indices"]
            _same(lambda L, fn=fn, shape=shape, args=args:
                  getattr(L.nn.functional, fn)(_x(L, *shape), **args))


def test_float64_params_bits():
    """Float64 layers from the same seed: the same numbers (the factory dtype= path)."""
    for make in (lambda nn, dt: nn.Linear(3, 5, dtype=dt), lambda nn, dt: nn.Bilinear(2, 3, 4,
                 dtype=dt), lambda nn, dt: nn.Conv2d(2, 4, 3, dtype=dt),
                 lambda nn, dt: nn.LSTM(3, 4, proj_size=2, dtype=dt),
                 lambda nn, dt: nn.Embedding(5, 3, padding_idx=-1, dtype=dt)):
        _same(lambda L, make=make: make(L.nn, L.float64))


def test_values_unchanged():
    """The checks leave valid calls alone."""
    x = np.random.default_rng(0).standard_normal((2, 3, 12)).astype(np.float32)
    for fn in (lambda L, t: L.nn.functional.lp_pool1d(t, 2, 3),
               lambda L, t: L.nn.functional.lp_pool1d(t, 2, 3, 2, True),
               lambda L, t: L.nn.functional.max_pool1d(t, 3, 2, 1, return_indices=True)[1],
               lambda L, t: L.nn.functional.leaky_relu(t, 0.2),
               lambda L, t: L.nn.functional.threshold(t, 0.1, 20),
               lambda L, t: L.nn.functional.pad(t, (1, 2), value=np.float32(1.5)),
               lambda L, t: L.nn.functional.pixel_shuffle(t.reshape(2, 4, 3, 3), 2)):
        _same(lambda L, fn=fn: fn(L, L.tensor(x)))
