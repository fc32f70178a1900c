"""The float32 activation kernels' fast paths: cache-sized blocks, the vector/scalar split
on subsets, the forward's buffers reused by the backward, and the float32 fused
multiply-add's quick checks give PyTorch's bits (and the same bits as the slow ways)."""
from fractions import Fraction

import numpy as np
import pytest
import torch

import ember
from ember import _random
from ember._ops import _sleef
from ember.nn._functional import activation as A

_SPECIAL = np.float32([0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-39, -1e-39, 20,
                       np.nextafter(np.float32(20), 30), 2.5, -16.635532, -16.7, 88.72283, 88.73,
                       -103.9, -104, -104.1, 100, 100.1, 8.664339742, 9, -9, 5.5, -5.6, 1, -1,
                       -0.9999, 1e38, 3e38, -3e38, 1e-7, -1e-7])


def _values(n, seed=0):
    r = np.random.default_rng(seed)
    m = n - n // 2
    x = np.concatenate([r.standard_normal(n // 2) * 5,
                        np.sign(r.standard_normal(m)) * 10.0 ** r.uniform(-44, 38, m)])
    x = x.astype(np.float32)
    x[r.choice(n, _SPECIAL.size * 4, replace=False)] = np.tile(_SPECIAL, 4)
    return x


def _bits(a):
    a = np.ascontiguousarray(a, np.float32)
    b = a.view(np.uint32).copy()
    b[np.isnan(a)] = 0x7FC00000  # (NaN payloads aside)
    return b


_ACTS = {
    "sigmoid": lambda T, x: T.sigmoid(x),
    "silu": lambda T, x: T.nn.functional.silu(x),
    "gelu_tanh": lambda T, x: T.nn.functional.gelu(x, approximate="tanh"),
    "softplus": lambda T, x: T.nn.functional.softplus(x),
    "softplus_beta": lambda T, x: T.nn.functional.softplus(x, 2.0, 5.0),
    "elu": lambda T, x: T.nn.functional.elu(x, 0.5),
    "selu": lambda T, x: T.nn.functional.selu(x),
    "celu": lambda T, x: T.nn.functional.celu(x, 1.5),
    "mish": lambda T, x: T.nn.functional.mish(x),
    "logsigmoid": lambda T, x: T.nn.functional.logsigmoid(x),
    "expm1": lambda T, x: T.expm1(x),
    "log1p": lambda T, x: T.log1p(x),
}


def _run(T, x, g, name):
    t = T.from_numpy(x.copy()).requires_grad_()
    y = _ACTS[name](T, t)
    y.backward(T.from_numpy(g.copy()))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("name", sorted(_ACTS))
def test_vector_blocks_bits(name):
    # 40000 values (two cache blocks, all in PyTorch's vector code), specials included
    x = _values(40000).reshape(400, 100)
    g = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    (ye, ge), (yt, gt) = _run(ember, x, g, name), _run(torch, x, g, name)
    assert np.array_equal(_bits(ye), _bits(yt))
    assert np.array_equal(_bits(ge), _bits(gt))


def test_gelu_onednn_forward_bits():
    x = _values(40000, 2)
    got = ember.nn.functional.gelu(ember.from_numpy(x)).numpy()
    want = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
    assert np.array_equal(_bits(got), _bits(want))


@pytest.mark.parametrize("name", ["silu", "gelu_tanh", "softplus", "softplus_beta", "mish",
                                  "logsigmoid"])
@pytest.mark.parametrize("layout", ["tail", "rows", "strided", "transposed", "scalar"])
def test_backward_reuse_matches_recompute(name, layout, monkeypatch):
    # the backward reuses a buffer of the forward where both split values alike; the bits are
    # those of computing it again
    x = (np.random.default_rng(3).standard_normal(2400) * 4).astype(np.float32)
    pick = {"tail": lambda a: a[:1001], "rows": lambda a: a[:37 * 29].reshape(37, 29),
            "strided": lambda a: a.reshape(30, 80)[:, ::2],
            "transposed": lambda a: a[:1200].reshape(30, 40).T,
            "scalar": lambda a: a[5]}[layout]
    got = []
    for reuse in (True, False):
        if not reuse:
            monkeypatch.setattr(A, "_same_layout", lambda a, g: False)
        t = pick(ember.from_numpy(x.copy())).detach().requires_grad_()
        y = _ACTS[name](ember, t)
        y.backward(ember.ones_like(y) * 0.75)
        got.append((y.detach().numpy(), t.grad.numpy()))
    assert np.array_equal(_bits(got[0][0]), _bits(got[1][0]))
    assert np.array_equal(_bits(got[0][1]), _bits(got[1][1]))


def _reference_split(a, vector, scalar):
    m = _sleef.vector_mask(a)
    if m is None:
        return scalar(a)
    return vector(a) if m is True else np.where(m, vector(a), scalar(a))


@pytest.mark.parametrize("shape", [(1000,), (37, 29), (3, 5, 7), (64, 2)])
def test_split_on_subsets(shape):
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    vec, sca = (lambda v: v * np.float32(2)), (lambda v: v * np.float32(3) + 1)
    for a in (x, x.T, x[..., ::2], x[::-1]):
        want = _reference_split(a, vec, sca)
        assert np.array_equal(_sleef.split(a, vec, sca), want)
        one, two = _sleef.split(a, lambda v: (vec(v), -vec(v)), lambda v: (sca(v), -sca(v)),
                                outputs=2)
        assert np.array_equal(one, want) and np.array_equal(two, -want)
        # ``extra`` arrays are passed along, without a say in the layout
        got = _sleef.split(a, lambda v, e: vec(v) + e, lambda v, e: sca(v) + e,
                           extra=(np.ones(a.shape, np.float32),))
        assert np.array_equal(got, want + 1)


def _fma_exact(a, b, c):
    """float32 ``a * b + c`` rounded once (ties to even), by exact rational arithmetic."""
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    r = np.float32(float(exact))
    best = None
    for cand in (np.nextafter(r, np.float32(-np.inf)), r, np.nextafter(r, np.float32(np.inf))):
        if not np.isfinite(cand):
            continue
        err = abs(Fraction(float(cand)) - exact)
        even = not (int(np.float32(cand).view(np.uint32)) & 1)
        key = (err, not even)
        if best is None or key < best[0]:
            best = (key, cand)
    return best[1]


def test_fma32_correctly_rounded():
    r = np.random.default_rng(4)
    a = r.standard_normal(600).astype(np.float32)
    b = r.standard_normal(600).astype(np.float32)
    c = r.standard_normal(600).astype(np.float32)
    # float64 sums on a float32 halfway point (2**30 + 2**6 + 2**-30 rounds there in float64,
    # then to 2**30 in float32: the double rounding), tiny and zero sums
    a[:100] = np.float32(2.0 ** 6 * (1 + 2.0 ** -12)) * np.sign(r.standard_normal(100))
    b[:100], c[:100] = np.float32(1 - 2.0 ** -12 + 2.0 ** -24), np.float32(2.0 ** 30)
    a[100:200], b[100:200] = np.float32(1 + 2.0 ** -12), np.float32(1 + 2.0 ** -12)
    c[100:200] = -r.integers(1, 4, 100).astype(np.float32) * np.float32(2.0 ** -24)
    a[200:300] *= np.float32(1e-20)
    b[200:300] *= np.float32(1e-20)
    c[200:250] = 0
    a[300:350], c[300:350] = 0, 0
    got = _random._fma32(a, b, c)
    want = np.array([_fma_exact(*v) for v in zip(a, b, c)], np.float32)
    assert np.array_equal(_bits(got), _bits(want))
    # one scalar operand, and the same through the broadcasting path
    assert np.array_equal(_random._fma32(a, np.float32(0.3), c),
                          [_fma_exact(u, np.float32(0.3), w) for u, w in zip(a, c)])
    assert np.array_equal(_random._fma32(a[:, None], b[:3], c[:1]),
                          [[_fma_exact(u, v, c[0]) for v in b[:3]] for u in a])


@pytest.mark.parametrize("name", ["silu", "gelu_tanh", "softplus", "mish"])
def test_saved_tensor_hooks_use_the_unpacked_input(name):
    # a pack hook that changes the input: the backward is the derivative at the changed input
    # (the forward's buffers are not reused then)
    x = (np.random.default_rng(5).standard_normal(3000) * 3).astype(np.float32)
    t = ember.from_numpy(x.copy()).requires_grad_()
    with ember.autograd.graph.saved_tensors_hooks(lambda a: a * 2, lambda a: a):
        y = _ACTS[name](ember, t)
    y.sum().backward()
    t2 = ember.from_numpy(x * 2).requires_grad_()
    _ACTS[name](ember, t2).sum().backward()
    assert np.array_equal(_bits(t.grad.numpy()), _bits(t2.grad.numpy()))


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "softplus", "gelu_tanh"])
def test_zero_dim_inputs(name):
    for v in (-1.5, 2.0, -0.0, -30.0, np.nan):
        x = np.array(v, np.float32)
        (ye, ge), (yt, gt) = (_run(T, x, np.array(0.5, np.float32), name) for T in (ember, torch))
        assert ye.shape == yt.shape == ()
        assert np.array_equal(_bits(ye), _bits(yt)) and np.array_equal(_bits(ge), _bits(gt))


def test_select_is_where_bit_for_bit():
    r = np.random.default_rng(6)
    a, b = _values(5000, 7), _values(5000, 8)
    m = r.random(5000) < 0.4
    for x, y in ((a, b), (a, np.float32(-0.0)), (np.float32(np.nan), b)):
        want = np.where(m, x, y).astype(np.float32)
        assert np.array_equal(_sleef.select(m, x, y).view(np.uint32), want.view(np.uint32))
    sq = _sleef.select(m.reshape(50, 100), a.reshape(50, 100), b.reshape(50, 100))
    assert np.array_equal(sq.view(np.uint32), np.where(m, a, b).reshape(50, 100).view(np.uint32))


_VIEWS = {"plain": lambda t: t, "transposed": lambda t: t.transpose(0, -1),
          "every_other": lambda t: t[..., ::2], "row_offset": lambda t: t[1:]}


@pytest.mark.parametrize("shape", [(37, 45), (300, 130), (5, 33, 7)])
@pytest.mark.parametrize("view", list(_VIEWS))
def test_strided_activation_and_gradient_bits(shape, view):
    """Forward and backward of the Sleef-path activations on strided views, with a gradient
    laid out otherwise: PyTorch's iterator decides which values take the vector code (the loop
    order follows the gradient, the loop is cut into a range per thread)."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    g = x[::-1].copy()
    cut = _VIEWS[view]
    for name in ("sigmoid", "silu", "softplus", "elu", "mish", "gelu", "logsigmoid"):
        got = []
        for lib in (torch, ember):
            t = cut(lib.from_numpy(x.copy())).detach().requires_grad_(True)
            fn = lib.sigmoid if name == "sigmoid" else getattr(lib.nn.functional, name)
            y = fn(t)
            y.backward(cut(lib.from_numpy(g)))
            got.append((y.detach().numpy().copy(), t.grad.numpy().copy()))
        for want, have in zip(*got):
            np.testing.assert_array_equal(have.view(np.uint32), want.view(np.uint32), err_msg=name)
