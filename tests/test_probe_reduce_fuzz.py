"""Differential checks, bit for bit against PyTorch, of reductions a random fuzzer of
reductions found differing: descending sorts with NaN and inf, ``unique``'s signed zeros
and NaNs, ``var``/``std``'s all-reduce kernel and Welford sums (var_mean's mean included),
empty reductions' NaN, nanmean/nansum's complex refusals, logsumexp(dim=()), aminmax's
dim check."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")


def _bits(t):
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.view(torch.int16)
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()
    return a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes()


def _ebits(t):
    if t.dtype in (ember.float16, ember.bfloat16):
        t = t.view(ember.int16)
    a = t.detach().numpy()
    return a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes()


def same(fn, *arrays, dtype=None):
    """``fn(lib, *tensors)`` in both libraries gives the same bits (or the same error)."""
    def run(lib):
        ts = [lib.tensor(a) if dtype is None else lib.tensor(a).to(getattr(lib, dtype))
              for a in arrays]
        try:
            r = fn(lib, *ts)
        except Exception as e:  # noqa: BLE001
            return ("err", type(e).__name__, str(e).split("\n")[0])
        r = r if isinstance(r, tuple) else (r,)
        return [(_bits if lib is torch else _ebits)(x) for x in r]
    assert run(ember) == run(torch)


def _data(shape, seed, special=False):
    r = np.random.default_rng(seed)
    a = r.standard_normal(shape) * 3 + 0.7
    if special:
        flat = a.reshape(-1)
        for i in range(0, flat.size, 5):
            flat[i] = [NAN, INF, -INF, -0.0][(i // 5) % 4]
    return a


# ------------------------------------------------------------------------ sort / topk

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("stable", [None, True, False])
def test_sort_descending_nan_above_inf(dtype, stable):
    a = np.array([1., INF, 2., NAN, INF, -INF, NAN, 0., -0.0, INF])
    same(lambda T, x: T.sort(x, descending=True, stable=stable), a, dtype=dtype)
    same(lambda T, x: T.argsort(x, descending=True), a, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_topk_nan_and_inf(dtype):
    a = _data((5, 15, 24), 3, special=True)
    same(lambda T, x: T.topk(x, 5, dim=-3), a.transpose(2, 1, 0).copy(), dtype=dtype)
    same(lambda T, x: T.topk(x, 1, dim=1), a, dtype=dtype)
    same(lambda T, x: x.sort(0, descending=True), a, dtype=dtype)


# ------------------------------------------------------------------------ unique

@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
@pytest.mark.parametrize("n", [10, 40, 300])
def test_unique_signed_zero_and_nan_order(dtype, n):
    r = np.random.default_rng(n)
    a = r.integers(-3, 4, n).astype(np.float64)
    a[r.random(n) < 0.2] = NAN
    z = a == 0
    a[z] = np.where(r.random(int(z.sum())) < 0.5, 0.0, -0.0)
    same(lambda T, x: T.unique(x, return_inverse=True, return_counts=True), a, dtype=dtype)
    same(lambda T, x: T.unique(x.reshape(-1, 2).t(), sorted=False, return_inverse=True),
         a, dtype=dtype)


# ------------------------------------------------------------------------ var / std

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(7, 3, 33), (5,), (1000,), (3, 1, 2), ()])
def test_var_std_all_reduce(dtype, shape):
    a = _data(shape, 1)
    same(lambda T, x: (T.var(x), T.std(x, unbiased=False), T.var(x, correction=2,
                                                                 keepdim=True)), a, dtype=dtype)
    if len(shape) >= 2:
        same(lambda T, x: (T.var(x.transpose(0, 1)), T.std(x[:, ::2]), T.var(x[::2, 1:]),
                           T.var(x.transpose(0, -1)[..., ::3])), a, dtype=dtype)
    if len(shape) >= 1:
        same(lambda T, x: T.std(x[..., :1].expand(*x.shape[:-1], 5)), a, dtype=dtype)


def test_var_all_reduce_threads_chunks():
    a = _data((70000,), 2)
    same(lambda T, x: (T.var(x), T.std(x)), a, dtype="float64")


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
@pytest.mark.parametrize("dim", [0, -1, (0, -1), 1])
def test_welford_var_mean(dtype, dim):
    a = _data((7, 3, 33), 4)
    same(lambda T, x: (T.var(x, dim), *T.std_mean(x, dim),
                       *T.var_mean(x, dim, correction=0, keepdim=True)), a, dtype=dtype)
    same(lambda T, x: (T.var(x.transpose(0, 1), dim), *T.std_mean(x[:, ::2], dim),
                       *T.var_mean(x.transpose(0, -1)[..., ::3], dim)), a, dtype=dtype)


def test_welford_inf_nan():
    a = np.array([[1., INF, 2.], [INF, 1, 2], [1, 2, INF], [NAN, 1, 2]])
    for dt in ("float32", "float64", "bfloat16"):
        same(lambda T, x: (*T.var_mean(x, 1), *T.std_mean(x, 1, correction=5), T.var(x, 1)),
             a, dtype=dt)


def test_complex_var_mean_mean():
    r = np.random.default_rng(5)
    a = r.standard_normal((9, 33)) + 1j * r.standard_normal((9, 33))
    a[0, 3] = complex(INF, 1.0)
    a[0, 5] = complex(-INF, 2.0)
    for dt in ("complex64", "complex128"):
        same(lambda T, x: (*T.var_mean(x, 1), *T.var_mean(x[1:]), *T.var_mean(x.t(), 0)),
             a, dtype=dt)


def test_empty_and_single_nan_bits():
    same(lambda T, x: (T.var(x, 0), T.var_mean(x, 0)[0]), np.zeros((0, 3)), dtype="float32")
    same(lambda T, x: T.var(x, 0), np.ones((1, 3)), dtype="bfloat16")
    same(lambda T, x: T.std(x), np.array([1.0, INF]), dtype="bfloat16")
    same(lambda T, x: T.var(x), np.ones(1), dtype="bfloat16")


# ------------------------------------------------------------------------ refusals

def test_nanmean_nansum_complex_dtype_refusals():
    a = np.array([[1., NAN], [2, 3]])
    same(lambda T, x: T.nanmean(x, dtype=T.complex64), a)
    same(lambda T, x: T.nanmean(x.to(T.complex64), dtype=T.complex64), a)
    same(lambda T, x: T.nansum(x, dtype=T.complex128), a)
    same(lambda T, x: T.nanmean(x, dtype=T.int64), a)
    same(lambda T, x: T.nanmean(x, 1, dtype=T.float16), a)


def test_logsumexp_empty_dims_and_aminmax_dim_check():
    a = np.arange(12.).reshape(3, 4) / 7
    same(lambda T, x: T.logsumexp(x, dim=()), a)
    same(lambda T, x: T.logsumexp(x, dim=[]), a)
    same(lambda T, x: T.logsumexp(x, dim=(), keepdim=True), a)
    same(lambda T, x: T.logsumexp(x[0, 0], dim=()), a)
    same(lambda T, x: T.logsumexp(x[:0], dim=()), a)
    same(lambda T, x: T.aminmax(x.to(T.complex64), dim=2), a)
    same(lambda T, x: T.aminmax(x.to(T.complex64), dim=1), a)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_max_min_amax_nan_bits(dtype):
    a = np.array([1., -NAN, 3., INF, -INF] * 4)
    same(lambda T, x: (x.max(), x.min(), *T.aminmax(x), x.amax(), x.reshape(4, 5).amin(1),
                       x.reshape(4, 5).max(1).values, T.aminmax(x.reshape(4, 5), dim=1)[0],
                       x[:3].max(), x.amax(dim=())), a, dtype=dtype)
    b = np.array([[1., 2, 5], [4, -1, 0]])
    same(lambda T, x: (*T.aminmax(x), *T.aminmax(x, dim=0), *T.aminmax(x, dim=1, keepdim=True),
                       *T.aminmax(x[0, 0]), *T.aminmax(x[0, 0], dim=0, keepdim=True)), b,
         dtype=dtype)
