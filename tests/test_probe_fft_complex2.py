"""Differential probes: ``torch.fft`` result layouts where a dim has size 1 and for ``dim=()``
(full ``stride()``, size-1 dims' included), and complex multiplication's and division's bits
(PyTorch's vectorised and scalar loops round them differently) in every layout."""
from __future__ import annotations

import random
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

F1 = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
FN = ["fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2", "rfftn", "irfftn", "hfft2", "ihfft2",
      "hfftn", "ihfftn"]


# -- fft layouts ------------------------------------------------------------------------------

def _fft_case(rng):
    nd = rng.randint(0, 4)
    shape = [rng.choice([1, 1, 2, 3, 4, 5]) for _ in range(nd)]
    dt = rng.choice(["float32", "float64", "complex64", "complex128", "int64"])
    g = np.random.default_rng(rng.randint(0, 10 ** 9))
    a = g.standard_normal(shape)
    if dt.startswith("complex"):
        a = a + 1j * g.standard_normal(shape)
    a = np.asarray(a * 3).astype(dt)
    perm = None
    if nd > 1 and rng.random() < 0.5:
        perm = list(range(nd))
        rng.shuffle(perm)
    step = nd > 0 and rng.random() < 0.2
    name = rng.choice(F1 + FN)
    kw = {}
    if name in F1:
        if rng.random() < 0.5:
            kw["n"] = rng.choice([1, 2, 3, 5, 8])
        if rng.random() < 0.5 and nd:
            kw["dim"] = rng.randint(-nd, nd - 1)
    else:
        r = rng.random()
        if r < 0.3:
            kw["dim"] = ()
        elif r < 0.7:
            kw["dim"] = tuple(rng.sample(range(-nd, nd), rng.randint(0, nd))) if nd else ()
        if rng.random() < 0.3:
            k = len(kw["dim"]) if "dim" in kw else rng.randint(0, nd)
            kw["s"] = tuple(rng.choice([1, 2, 3, 4]) for _ in range(k))
    return name, a, perm, step, kw, rng.random() < 0.15


def _fft_run(lib, case):
    name, a, perm, step, kw, with_out = case
    t = lib.from_numpy(np.array(a))
    if perm is not None:
        t = t.permute(*perm)
    if step:
        t = t[..., ::2]
    f = getattr(lib.fft, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if with_out:
                o = lib.empty(0, dtype=f(t, **kw).dtype)
                r = f(t, **kw, out=o)
                assert r is o
            else:
                r = f(t, **kw)
    except Exception as e:  # noqa: BLE001 (compared with PyTorch's)
        return type(e).__name__, str(e).split("\n")[0]
    return ("ok", tuple(r.shape), str(r.dtype).split(".")[-1], r.stride(), r.is_conj(),
            r.detach().resolve_conj().numpy())


@pytest.mark.parametrize("seed", range(3))
def test_fft_layouts_size1_and_empty_dims(seed):
    rng = random.Random(500 + seed)
    for _ in range(300):
        case = _fft_case(rng)
        e, t = _fft_run(ember, case), _fft_run(torch, case)
        if t[0] != "ok" and "MKL FFT error" in t[1]:
            continue
        assert e[:5] == t[:5], (case[0], case[1].shape, case[1].dtype, case[2:])
        if e[0] == "ok":
            np.testing.assert_allclose(e[5], t[5], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("src", [
    # dim=(): PyTorch's clone (size-1 dims' strides kept; a strided input made dense)
    "t.fft.fft2(t.randn(1, 2, 1, 4, dtype=t.complex128).permute(2, 1, 3, 0), dim=())",
    "t.fft.ifftn(t.randn(1, 2)[:, ::2], dim=())",
    "t.fft.fftn(t.randn(3, 1, 5, dtype=t.complex128).permute(0, 2, 1), dim=(), s=())",
    "t.fft.ifft2(t.randn(3, 1, 4, 1, dtype=t.complex64).permute(2, 1, 0, 3)[..., ::2], dim=())",
    # a cut is a slice (a view keeping the input's strides), a pad a new tensor
    "t.fft.fft(t.randn(5, 2, 3, 1, dtype=t.complex128).permute(3, 0, 2, 1), n=2, dim=-2)",
    "t.fft.ihfft(t.randn(2, 5, 1, 1).permute(2, 3, 0, 1), n=8, dim=2)",
    # hfft's conj view keeps its strides
    "t.fft.hfft(t.randn(1, 2, 3, 3, dtype=t.float64).permute(0, 3, 2, 1))",
    "t.fft.hfft(t.randn(5, 5, 1, 4, dtype=t.complex64).permute(2, 1, 0, 3), n=3, dim=-3)",
    "t.fft.hfft2(t.randn(1, 3, 1, 5).permute(3, 2, 1, 0), dim=(0,), s=(2,))",
    # out=: a conj result's (conj_physical_out's) layout
    "t.fft.ihfft(t.randn(2, 5, 1, 1).permute(2, 3, 0, 1), n=8, dim=2, "
    "out=t.empty(0, dtype=t.complex64))",
    "t.fft.ifft(t.randn(1, 2, 4, dtype=t.float64), dim=0, out=t.empty(0, dtype=t.complex128))",
    "t.randn(1, 3, 2, dtype=t.complex64).permute(2, 0, 1).conj()",
])
def test_fft_layout_cases(src):
    def run(lib):
        r = eval(src, {"t": lib})
        return tuple(r.shape), str(r.dtype).split(".")[-1], r.stride(), r.is_conj()
    assert run(ember) == run(torch)


def test_ihfftn_one_dim_out_is_left_as_is():
    # NOTE: PyTorch's ihfftn/ihfft2 of one dim into out= swaps conj_physical_out's arguments:
    # ``out`` comes back untouched (a dtype mismatch raises, a shape mismatch warns)
    def run(lib, o, **kw):
        x = lib.arange(8.0).reshape(2, 4)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = lib.fft.ihfftn(x, out=o, **kw)
            except RuntimeError as e:
                return str(e)
        return (r is o, tuple(r.shape), r.resolve_conj().numpy().tolist(),
                [str(m.message)[:90] for m in w])
    for lib_out in [lambda L: L.zeros(0, dtype=L.complex64),
                    lambda L: L.full((2, 3), 7 + 1j, dtype=L.complex64),
                    lambda L: L.full((2, 5), 7 + 1j, dtype=L.complex64),
                    lambda L: L.zeros(0, dtype=L.complex128), lambda L: L.zeros(0)]:
        for kw in ({"dim": (-1,)}, {"dim": (0,), "s": (3,)}, {}):
            assert run(ember, lib_out(ember), **kw) == run(torch, lib_out(torch), **kw)


def test_kron_of_unviewable_product_raises():
    def run(lib):
        a = lib.ones(1, 3, dtype=lib.complex64).permute(1, 0)
        try:
            return tuple(lib.kron(a, lib.ones(3, 1, dtype=lib.complex64)).shape)
        except RuntimeError as e:
            return str(e)
    assert run(ember) == run(torch)


# -- complex multiplication's and division's bits ----------------------------------------------

def _bits(t):
    v = np.ascontiguousarray(t.detach().resolve_conj().numpy())
    return v.shape, v.dtype, v.view(np.uint8).tobytes()


def _same_bits(f):
    e, t = f(ember), f(torch)
    assert e[:2] == t[:2]
    if len(t) == 2:  # (an error: the same)
        return []
    if e[2] != t[2]:
        ev, tv = (np.frombuffer(v[2], dtype=v[1]) for v in (e, t))
        return np.flatnonzero(ev != tv)[:8].tolist()
    return []


def _c(g, shape, dt=np.complex64):
    return np.asarray(g.standard_normal(shape) + 1j * g.standard_normal(shape)).astype(dt)


def test_cmul_layouts():
    g = np.random.default_rng(0)
    T = lambda L, a: L.from_numpy(a.copy())  # noqa: E731
    for dt in (np.complex64, np.complex128):
        for n in (1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 22, 29, 31, 45):
            for m in (1, 2, 3, 5):
                A, B, X = _c(g, (m, n), dt), _c(g, (m, n), dt), _c(g, (m, 2 * n), dt)
                c, r, s = _c(g, (m, 1), dt), _c(g, (1, n), dt), complex(_c(g, (), dt))
                AT, S0 = _c(g, (n, m), dt), _c(g, (1,), dt).reshape(())
                K = _c(g, (2, 3), dt)
                cases = {
                    "same": lambda L: T(L, A) * T(L, B),
                    "inner broadcast": lambda L: T(L, A) * T(L, c),
                    "inner broadcast first": lambda L: T(L, c) * T(L, A),
                    "row broadcast": lambda L: T(L, A) * T(L, r),
                    "outer": lambda L: T(L, c) * T(L, r),
                    "outer()": lambda L: L.outer(T(L, c).reshape(-1), T(L, r).reshape(-1)),
                    "kron": lambda L: L.kron(T(L, A), T(L, K)),
                    "kron rev": lambda L: L.kron(T(L, K), T(L, A)),
                    "number": lambda L: T(L, A) * s,
                    "number first": lambda L: s * T(L, A),
                    "0-d": lambda L: T(L, S0) * T(L, A),
                    "transposed": lambda L: T(L, AT).T * T(L, B),
                    "both transposed": lambda L: T(L, AT).T * T(L, AT).T,
                    "transposed * number": lambda L: T(L, AT).T * s,
                    "strided": lambda L: T(L, X)[:, ::2] * T(L, A),
                    "strided * inner broadcast": lambda L: T(L, X)[:, ::2] * T(L, c),
                    "mul_ inner broadcast": lambda L: T(L, A).mul_(T(L, c)),
                    "mul_ strided other": lambda L: T(L, A).mul_(T(L, X)[:, ::2]),
                    "mul_ strided self": lambda L: T(L, AT).T.mul_(T(L, B)),
                    "mul_ number": lambda L: T(L, X)[:, ::2].mul_(s),
                    "mul_ real": lambda L: T(L, A).mul_(T(L, A.real.copy())),
                    "div": lambda L: T(L, A) / T(L, B),
                    "div inner broadcast": lambda L: T(L, A) / T(L, c),
                    "div transposed": lambda L: T(L, AT).T / T(L, B),
                    "div strided": lambda L: T(L, X)[:, ::2] / T(L, A),
                    "div number": lambda L: T(L, A) / s,
                    "div_": lambda L: T(L, A).div_(T(L, B)),
                    "div_ inner broadcast": lambda L: T(L, A).div_(T(L, c)),
                    "div_ strided other": lambda L: T(L, A).div_(T(L, X)[:, ::2]),
                    "div_ strided self": lambda L: T(L, AT).T.div_(T(L, B)),
                    "div_ number": lambda L: T(L, A).div_(s),
                    "add alpha transposed": lambda L: L.add(T(L, A), T(L, AT).T, alpha=2 + 1j),
                    "sub alpha broadcast": lambda L: L.sub(T(L, c), T(L, A), alpha=2 - 1j),
                }
                for name, f in cases.items():
                    assert not _same_bits(lambda L: _bits(f(L))), (np.dtype(dt).name, n, m, name)


def _operand(rng, g, shape, dt):
    """A tensor maker for ``shape``: permuted, sliced or plain."""
    nd = len(shape)
    perm = list(range(nd))
    if nd > 1 and rng.random() < 0.3:
        rng.shuffle(perm)
    step = nd > 0 and rng.random() < 0.2
    base = [shape[p] for p in perm]
    if step:
        base[-1] *= 2
    a = _c(g, base, dt) if dt.startswith("complex") else g.standard_normal(base).astype(dt)

    def make(lib):
        t = lib.from_numpy(a.copy())
        if step:
            t = t[..., ::2]
        return t.permute(*np.argsort(perm).tolist()) if nd > 1 else t
    return make


@pytest.mark.parametrize("seed", range(2))
def test_cmul_fuzz(seed):
    rng, g = random.Random(seed), np.random.default_rng(seed)
    for _ in range(500):
        nd = rng.randint(0, 4)
        shape = [rng.choice([1, 2, 3, 5, 8, 13]) for _ in range(nd)]
        if nd and rng.random() < 0.5:
            shape[-1] = rng.randint(1, 50)
        while np.prod(shape) > 8192:  # (ember's exact roundings stop at COMPLEX_EXACT_MAX)
            shape[0] = 1
        dt1 = rng.choice(["complex64"] * 3 + ["complex128", "float32"])
        dt2 = rng.choice(["complex64"] * 3 + ["complex128", "float32", "number"])
        s2 = [s if rng.random() < 0.75 else 1 for s in shape]
        if rng.random() < 0.3:
            s2 = s2[rng.randint(0, nd):]
        a = _operand(rng, g, [s if rng.random() < 0.75 else 1 for s in shape], dt1)
        if dt2 == "number":
            v = complex(g.standard_normal(), g.standard_normal())
            b = lambda lib, v=v: v  # noqa: E731
        else:
            b = _operand(rng, g, s2, dt2)
        op = rng.choice(["mul", "rmul", "mul_", "kron", "div", "div_"])
        if op == "kron" and (dt2 == "number" or np.prod(shape) ** 2 > 5000):
            op = "mul"

        def run(lib):
            x, y = a(lib), b(lib)
            try:
                r = x * y if op == "mul" else y * x if op == "rmul" else x.mul_(y) \
                    if op == "mul_" else x / y if op == "div" else x.div_(y) \
                    if op == "div_" else lib.kron(x, y)
            except RuntimeError as e:
                return type(e).__name__, str(e)[:60]
            return _bits(r)
        assert not _same_bits(run), (op, shape, dt1, s2, dt2)
