"""float64 BatchNorm / LayerNorm / GroupNorm / InstanceNorm on the CPU: PyTorch's bits, forward
and backward, training and eval, and the running statistics (randomised shape sweeps)."""
import numpy as np
import torch

import ember


def _module(lib, kind, shape, affine, rng_params):
    c = shape[1]
    if kind == "bn":
        m = (lib.nn.BatchNorm1d if len(shape) <= 3 else lib.nn.BatchNorm2d)(c, affine=affine)
    elif kind == "ln1":
        m = lib.nn.LayerNorm(shape[-1], elementwise_affine=affine)
    elif kind == "ln2":
        m = lib.nn.LayerNorm(list(shape[-2:]), elementwise_affine=affine)
    elif kind == "gn":
        groups = [g for g in range(1, c + 1) if c % g == 0]
        m = lib.nn.GroupNorm(groups[rng_params[0] % len(groups)], c, affine=affine)
    else:  # instance norm
        m = lib.nn.InstanceNorm2d(c, affine=affine, track_running_stats=rng_params[1] % 2 == 0)
    return m.double()


def _run(lib, kind, shape, affine, train, seed):
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, 1000, 2)
    m = _module(lib, kind, shape, affine, picks)
    x_np = rng.standard_normal(shape) * rng.uniform(0.1, 10) + rng.uniform(-5, 5)
    gy_np = rng.standard_normal(shape)
    with lib.no_grad():
        for p in m.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape))))
        if getattr(m, "running_mean", None) is not None:
            m.running_mean.copy_(lib.tensor(rng.standard_normal(m.running_mean.shape)))
            m.running_var.copy_(lib.tensor(rng.uniform(0.2, 3, m.running_var.shape)))
    if not train:
        m.eval()
    x = lib.tensor(x_np, requires_grad=True)
    y = m(x)
    params = list(m.parameters())
    grads = lib.autograd.grad(y, [x] + params, lib.tensor(gy_np))
    out = [y, *grads]
    if getattr(m, "running_mean", None) is not None:
        out += [m.running_mean, m.running_var]
    return [t.detach().numpy().copy() for t in out]


def _sweep(kind, shapes, seed0):
    bad = []
    for i, shape in enumerate(shapes):
        for affine in (True, False):
            for train in (True, False):
                seed = seed0 + 4 * i + 2 * affine + train
                want = _run(torch, kind, shape, affine, train, seed)
                got = _run(ember, kind, shape, affine, train, seed)
                assert len(want) == len(got)
                for j, (w, g) in enumerate(zip(want, got)):
                    assert w.dtype == g.dtype == np.float64 and w.shape == g.shape
                    if not np.array_equal(w.view(np.int64), g.view(np.int64)):
                        bad.append((shape, affine, train, j,
                                    float(np.mean(w.view(np.int64) != g.view(np.int64)))))
    assert not bad, bad[:10]


def _shapes(rng, count, ndim, hi=70, cap=6000):
    out = []
    while len(out) < count:
        s = tuple(int(v) for v in rng.integers(1, hi + 1, ndim))
        if int(np.prod(s)) <= cap and int(np.prod(s)) // s[1] > 1:
            out.append(s)
    return out


def test_batch_norm_1d_2d_input():
    rng = np.random.default_rng(1)
    shapes = [(2, 5), (3, 1), (2, 17), (2, 40), (4, 2049), (200, 3), (600, 2), (5, 8), (9, 33)]
    _sweep("bn", shapes + _shapes(rng, 16, 2), 100)


def test_batch_norm_1d_3d_and_2d():
    rng = np.random.default_rng(2)
    shapes = [(1, 3, 2), (2, 2, 1), (3, 4, 8), (2, 3, 9), (5, 2, 70), (1, 1, 3, 3), (2, 3, 4, 5),
              (4, 3, 33, 9)]
    _sweep("bn", shapes + _shapes(rng, 10, 3) + _shapes(rng, 8, 4, hi=20), 200)


def test_layer_norm():
    rng = np.random.default_rng(3)
    shapes = [(2, 1), (3, 4), (2, 5), (3, 64), (2, 65), (2, 300), (1, 1000), (2, 3, 7)]
    _sweep("ln1", shapes + _shapes(rng, 12, 2) + _shapes(rng, 6, 3, hi=30), 300)
    _sweep("ln2", [(2, 3, 4), (2, 5, 13), (3, 1, 8)] + _shapes(rng, 6, 3, hi=30), 400)


def test_group_norm():
    rng = np.random.default_rng(4)
    shapes = [(2, 4), (3, 6, 9), (2, 4, 5, 7), (8, 16, 7, 7), (1, 12, 65)]
    _sweep("gn", shapes + _shapes(rng, 8, 3, hi=40) + _shapes(rng, 6, 4, hi=16), 500)


def test_instance_norm_2d():
    rng = np.random.default_rng(5)
    shapes = [(2, 3, 4, 5), (1, 2, 9, 3)]
    _sweep("in", shapes + _shapes(rng, 6, 4, hi=16), 600)


def test_linear_batch_norm_double_model():
    """The brief's example: a Linear's bias gradient under BatchNorm1d is float noise that
    must match PyTorch's."""
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(7, 5), lib.nn.BatchNorm1d(5)).double()
        x = lib.tensor(np.random.default_rng(7).standard_normal((11, 7)))
        loss = (model(x) ** 2).sum()
        loss.backward()
        outs.append([p.grad.numpy().copy() for p in model.parameters()]
                    + [model[1].running_mean.numpy().copy(), model[1].running_var.numpy().copy()])
    for w, g in zip(*outs):
        assert np.array_equal(w.view(np.int64), g.view(np.int64))


def test_layer_norm_single_value_rows_float32():
    """LayerNorm over one value: the bias's gradient is the threads' running sums of the rows
    (NumPy's reduce would add a single contiguous column pairwise)."""
    outs = []
    for lib in (torch, ember):
        m = lib.nn.LayerNorm(1)
        rng = np.random.default_rng(8)
        x = lib.tensor(rng.standard_normal((300, 1)).astype(np.float32), requires_grad=True)
        m(x).backward(lib.tensor(rng.standard_normal((300, 1)).astype(np.float32)))
        outs.append((m.bias.grad.numpy().copy(), m.weight.grad.numpy().copy(),
                     x.grad.numpy().copy()))
    for w, g in zip(*outs):
        assert np.array_equal(w.view(np.int32), g.view(np.int32))
