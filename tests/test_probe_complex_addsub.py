"""Complex add, sub and rsub against PyTorch, bit for bit on infinities, NaNs and signed zeros.

PyTorch computes every complex form as ``x + alpha * y`` with ``alpha`` a complex number
(negated for a subtraction, as c10's Scalar negates it) and ``y`` cast to the result dtype
first: a complex product, so ``(1+0j) + (inf+0j)`` is ``inf+nanj`` and ``x + nan`` is
``nan+nanj``.  That holds for the in-place forms, ``alpha=``, ``out=``, numbers on either side,
``torch.rsub`` and real operands beside complex ones; a generic complex alpha takes the
kernel's roundings.  The gradients are ``grad * conj(alpha)`` (negated for a subtraction)."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")
VALS = [0.0, -0.0, 1.0, -1.5, INF, -INF, NAN, 2.5e38, 3.0]
GRID = [complex(a, b) for a in VALS for b in VALS]  # 81 values
ALPHAS = [1, 2, -1, 0.5, 1 + 1j, 0.3 + 0.7j, -0.0, 2 + 0j]


def _parts(t):
    a = np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)
    if a.dtype.kind == "c":
        a = np.stack([a.real, a.imag], -1)
    return a.astype(np.float64)


def _same(e, t):
    """The same dtype and values, NaNs where PyTorch's are and the zeros' and infinities'
    signs (a NaN's sign aside)."""
    assert str(e.dtype) == str(t.dtype)
    x, y = _parts(e), _parts(t)
    assert x.shape == y.shape
    nan = np.isnan(y)
    assert (np.isnan(x) == nan).all(), (x, y)
    assert (x[~nan].view(np.int64) == y[~nan].view(np.int64)).all(), (x, y)


def _pair(values, dt):
    return (ember.tensor(values, dtype=getattr(ember, dt)),
            torch.tensor(values, dtype=getattr(torch, dt)))


def _both(fn, *pairs):
    return fn(ember, *(p[0] for p in pairs)), fn(torch, *(p[1] for p in pairs))


# every pair of grid values, as two tensors of 6561 elements
_A = GRID * len(GRID)
_B = [c for c in GRID for _ in GRID]


@pytest.mark.parametrize("dt", ["complex64", "complex128"])
@pytest.mark.parametrize("alpha", ALPHAS)
def test_tensor_tensor_forms(dt, alpha):
    a, b = _pair(_A, dt), _pair(_B, dt)
    for fn in (lambda L, x, y: L.add(x, y, alpha=alpha),
               lambda L, x, y: L.sub(x, y, alpha=alpha),
               lambda L, x, y: L.rsub(x, y, alpha=alpha),
               lambda L, x, y: x.clone().add_(y, alpha=alpha),
               lambda L, x, y: x.clone().sub_(y, alpha=alpha),
               lambda L, x, y: L.add(x, y, alpha=alpha, out=L.empty(len(_A), dtype=x.dtype))):
        _same(*_both(fn, a, b))


@pytest.mark.parametrize("dt", ["complex64", "complex128"])
def test_operators_and_inplace(dt):
    a, b = _pair(_A, dt), _pair(_B, dt)

    def iadd(L, x, y):
        x = x.clone()
        x += y
        return x

    def isub(L, x, y):
        x = x.clone()
        x -= y
        return x
    for fn in (lambda L, x, y: x + y, lambda L, x, y: x - y, iadd, isub):
        _same(*_both(fn, a, b))


@pytest.mark.parametrize("dt", ["complex64", "complex128"])
@pytest.mark.parametrize("s", VALS + [1 + 1j, complex(INF, 0), complex(-0.0, -0.0),
                                      complex(NAN, 0), 0, 2])
def test_number_operand(dt, s):
    a = _pair(GRID, dt)
    for fn in (lambda L, x: x + s, lambda L, x: s + x, lambda L, x: x - s, lambda L, x: s - x,
               lambda L, x: L.add(x, s, alpha=2), lambda L, x: L.sub(x, s, alpha=1 + 1j),
               lambda L, x: L.rsub(x, s), lambda L, x: L.rsub(x, s, alpha=0.5),
               lambda L, x: x.clone().add_(s), lambda L, x: x.clone().sub_(s, alpha=-1),
               lambda L, x: x.clone().__iadd__(s), lambda L, x: x.clone().__isub__(s)):
        _same(*_both(fn, a))


@pytest.mark.parametrize("cdt,rdt", [("complex64", "float32"), ("complex64", "float64"),
                                     ("complex128", "float32")])
def test_real_tensor_beside_complex(cdt, rdt):
    a = _pair(GRID, cdt)
    r = _pair([v for v in VALS for _ in VALS], rdt)
    for fn in (lambda L, x, y: x + y, lambda L, x, y: y - x, lambda L, x, y: x - y,
               lambda L, x, y: L.add(x, y, alpha=2), lambda L, x, y: L.sub(y, x, alpha=0.5),
               lambda L, x, y: L.rsub(x, y, alpha=1 + 1j), lambda L, x, y: L.rsub(y, x),
               lambda L, x, y: x.clone().sub_(y, alpha=2) if x.dtype.itemsize >= 2 *
               y.dtype.itemsize else x.clone().sub_(y.to(x.real.dtype), alpha=2)):
        _same(*_both(fn, a, r))
    # a real tensor with a complex number, and a 0-d complex tensor
    for fn in (lambda L, x, y: y + complex(INF, 0), lambda L, x, y: complex(-0.0, -0.0) - y,
               lambda L, x, y: L.add(y, 1 + 1j, alpha=2),
               lambda L, x, y: x - L.tensor(INF), lambda L, x, y: x + L.tensor(-0.0 + 0j)):
        _same(*_both(fn, a, r))


def test_layouts_and_lengths():
    for n in (1, 2, 3, 5, 7, 8, 9, 16, 17, 33):
        vals = [GRID[(7 * i + 3) % len(GRID)] for i in range(n)]
        other = [GRID[(11 * i + 5) % len(GRID)] for i in range(n)]
        for dt in ("complex64", "complex128"):
            a, b = _pair(vals, dt), _pair(other, dt)
            for alpha in (0.3 + 0.7j, 1 + 1j, 0.3):
                _same(*_both(lambda L, x, y: L.add(x, y, alpha=alpha), a, b))
                _same(*_both(lambda L, x, y: L.sub(x, 1.5 - 0.25j, alpha=alpha), a, b))
    a = _pair([GRID[:27], GRID[27:54]], "complex128")
    _same(*_both(lambda L, x: x.t() - x.t(), a))
    _same(*_both(lambda L, x: x[:, :1] - x, a))
    _same(*_both(lambda L, x: x + x[0], a))


def test_complex128_into_complex64_inplace_is_silent():
    a = _pair([3e38 + 0j, 1 + 1j], "complex64")
    b = _pair([3e38 + 0j, INF + 0j], "complex128")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(*_both(lambda L, x, y: x.clone().__iadd__(y), a, b))
        f = _pair([3e38], "float32")
        g = _pair([3e38], "float64")
        _same(*_both(lambda L, x, y: x.clone().__iadd__(y), f, g))


@pytest.mark.parametrize("alpha", [1, 2, 1.0, 1 + 1j, -0.5j])
def test_gradients(alpha):
    def run(L):
        x = L.tensor([1 + 2j, 0j, 3 - 1j], requires_grad=True)
        y = L.tensor([0.5 + 1j, 0j, -1 + 0j], requires_grad=True)
        f = L.tensor([1.0, 0.0, -2.0], requires_grad=True)
        outs = []
        for fn in (lambda: L.add(x, y, alpha=alpha), lambda: L.sub(x, y, alpha=alpha),
                   lambda: L.rsub(x, y, alpha=alpha), lambda: L.rsub(x, 2 + 1j, alpha=alpha),
                   lambda: L.sub(f, 3j, alpha=alpha), lambda: L.add(f, y, alpha=alpha),
                   lambda: L.rsub(f, y, alpha=alpha), lambda: 0j - x):
            r = fn()
            gs = L.autograd.grad(r.abs().sum(), (x, y, f), allow_unused=True)
            outs.append((r.grad_fn.name(), len(r.grad_fn.next_functions), r, gs))
        return outs
    for (ne, le, re, ge), (nt, lt, rt, gt) in zip(run(ember), run(torch)):
        assert (ne, le) == (nt, lt)
        _same(re, rt)
        for u, v in zip(ge, gt):
            assert (u is None) == (v is None)
            if u is not None:
                _same(u, v)


def test_mul_div_by_real_numbers_and_sums():
    for dt in ("complex64", "complex128"):
        a = _pair(GRID, dt)
        for s in (2, 0.5, -0.0, INF, NAN, 2 + 0j):
            for fn in (lambda L, x: x * s, lambda L, x: s * x, lambda L, x: x / s,
                       lambda L, x: x.clone().mul_(s), lambda L, x: x.clone().div_(s)):
                _same(*_both(fn, a))
        z = _pair([[complex(INF, 0), 1 + 1j], [complex(-INF, NAN), complex(-0.0, -0.0)]], dt)
        for fn in (lambda L, x: x.sum(), lambda L, x: x.sum(0), lambda L, x: x.mean(1),
                   lambda L, x: x[1:, 1:].expand(3, 1).sum()):
            _same(*_both(fn, z))


def test_addcmul_addcdiv_add_their_product_part_by_part():
    # (their kernels add ``value * t1 * t2`` itself, no ``1 * p`` product: ``inf+0j`` stays)
    x = _pair([1.0, -2.0, 0.25, complex(INF, 0)], "complex64")
    y = _pair([0.5, 4.0, -1.0, complex(0, -0.0)], "complex64")
    for fn in (lambda L, a, b: a.addcmul(b, b, value=3.4e38),
               lambda L, a, b: a.addcdiv(b, b, value=3.4e38),
               lambda L, a, b: a.clone().addcmul_(b, b, value=1e38 + 0j),
               lambda L, a, b: L.addcmul(a, b, b)):
        _same(*_both(fn, x, y))


def test_index_add_complex_alpha_is_silent():
    src = _pair([[complex(INF, 0), 1 + 0j], [0j, complex(0, INF)]], "complex64")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(*_both(lambda L, s: L.zeros(2, 2, dtype=s.dtype).index_add(
            0, L.tensor([0, 1]), s, alpha=2), src))
