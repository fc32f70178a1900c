"""float32 matrix-vector and vector-vector products bit for bit against PyTorch (MKL's sgemv
and sdot orders, ``ember._ops._mkl_gemv``): ``mv``, ``A @ v``, ``A.t() @ u``, ``addmv``,
``F.linear`` of a 1-D input, ``matmul`` of a stack and a vector, ``dot``/``inner``/``vdot``,
on 1 and 2 threads, with their gradients.  Both libraries read the same memory (views of one
NumPy buffer), so their operands sit at the same addresses, which MKL's orders depend on."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from diff import pinned_threads
from ember._ops import _mkl_gemm as G
from ember._ops import _mkl_gemv as V

torch = pytest.importorskip("torch")

exact = pytest.mark.skipif(
    not (G.emulated() and torch.backends.mkl.is_available()),
    reason="PyTorch's MKL orders are reproduced only on the measured processor")

_SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-45, 3e38, -3e38],
                    np.float32)


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    yield from pinned_threads(torch, ember, request.param)


def _bits(x):
    return np.ascontiguousarray(x, np.float32).view(np.uint32)


def _same(e, t):
    """Equal bit for bit (NaNs where PyTorch has them, their payloads aside)."""
    e = np.asarray(e.detach().numpy() if isinstance(e, ember.Tensor) else e, np.float32)
    t = t.detach().numpy()
    nan = np.isnan(t)
    return e.shape == t.shape and np.array_equal(np.isnan(e), nan) and \
        np.array_equal(_bits(np.where(nan, 0, e)), _bits(np.where(nan, 0, t)))


def _views(buf, *index):
    """The same view of one NumPy buffer in ember and in PyTorch."""
    e, t = ember.from_numpy(buf), torch.from_numpy(buf)
    for ix in index:
        e, t = e[ix], t[ix]
    return e, t


def _vector(rng, k, offset=0, step=1, special=0.0):
    buf = rng.standard_normal(offset + k * step + 3).astype(np.float32)
    if special:
        hit = rng.random(buf.shape) < special
        buf[hit] = rng.choice(_SPECIAL, int(hit.sum()))
    return _views(buf, slice(offset, offset + k * step, step))


def _matrix(rng, m, k, layout):
    """(M, K) by rows, by columns (a transposed (K, M)), strided (neither), by rows off a
    16-byte boundary, or by rows with a row stride wider than K (from an offset too)."""
    if layout == "rows":
        return _views(rng.standard_normal((m, k)).astype(np.float32))
    if layout == "offset":
        off = int(rng.integers(1, 4))
        e, t = _views(rng.standard_normal(m * k + off).astype(np.float32), slice(off, None))
        return e.view(m, k), t.view(m, k)
    if layout == "cols":
        e, t = _views(rng.standard_normal((k, m)).astype(np.float32))
        return e.t(), t.t()
    if layout == "strided":
        return _views(rng.standard_normal((2 * m, 3 * k)).astype(np.float32),
                      (slice(None, None, 2), slice(None, None, 3)))
    lda, off = k + int(rng.integers(1, 9)), int(rng.integers(0, 4))
    e, t = _views(rng.standard_normal(m * lda + off).astype(np.float32), slice(off, None))
    return e.view(m, lda)[:, :k], t.view(m, lda)[:, :k]


def _k(rng):
    return int(rng.choice([rng.integers(1, 24), rng.integers(1, 400), rng.integers(400, 3000)]))


@exact
def test_dot_battery(threads):
    rng = np.random.default_rng(100 + threads)
    for i in range(220):
        k = _k(rng) if i % 10 else int(rng.integers(8100, 40000))  # (2 threads split these)
        step_x, step_y = (1, 1) if i % 4 else rng.integers(1, 4, 2)
        ex, tx = _vector(rng, k, int(rng.integers(0, 8)), int(step_x))
        ey, ty = _vector(rng, k, int(rng.integers(0, 8)), int(step_y))
        got, want = ember.dot(ex, ey), torch.dot(tx, ty)
        assert _same(got, want), (k, ex.stride(), ey.stride())
        if i % 7 == 0:
            assert _same(ember.inner(ex, ey), torch.inner(tx, ty))
            assert _same(ember.vdot(ex, ey), torch.vdot(tx, ty))
            assert _same(ember.matmul(ex, ey), torch.matmul(tx, ty))
    # (the emulation ran, and NumPy's own order differs from MKL's)
    xs = rng.standard_normal((20, 2, 1000)).astype(np.float32)
    assert V.dot(xs[0, 0], xs[0, 1]) is not None
    assert sum(_bits(np.dot(x, y)) != _bits(torch.dot(torch.from_numpy(x), torch.from_numpy(y)))
               for x, y in xs) > 0


@exact
def test_dot_special_values(threads):
    rng = np.random.default_rng(7)
    for k in (1, 2, 3, 4, 5, 17, 33, 100, 9001):
        for _ in range(6):
            ex, tx = _vector(rng, k, int(rng.integers(0, 4)), special=0.3)
            ey, ty = _vector(rng, k, 0, special=0.3)
            assert _same(ember.dot(ex, ey), torch.dot(tx, ty)), k
    z = np.full(5, -0.0, np.float32)  # (a sum of -0s: MKL's lanes start at +0)
    assert _same(ember.dot(ember.from_numpy(z), ember.ones(5)),
                 torch.dot(torch.from_numpy(z), torch.ones(5)))


@exact
def test_mv_battery(threads):
    rng = np.random.default_rng(200 + threads)
    for i in range(160):
        m = int(rng.choice([rng.integers(1, 9), rng.integers(1, 200)]))
        k = _k(rng)
        layout = ("rows", "cols", "strided", "wide", "offset")[i % 5]
        ea, ta = _matrix(rng, m, k, layout)
        step = 1 + (i % 3 == 0) + (i % 9 == 0)  # (a strided v: other orders after the groups)
        ev, tv = _vector(rng, k, 0, step)
        eu, tu = _vector(rng, m)
        assert V.mv(ea.numpy(), ev.numpy()) is not None, (m, k, layout, step)
        assert _same(ember.mv(ea, ev), torch.mv(ta, tv)), (m, k, layout, step)
        assert _same(ea @ ev, ta @ tv)
        assert _same(ea.t() @ eu, ta.t() @ tu), (m, k, layout)
        if layout in ("rows", "offset", "wide") and i % 3 == 1:  # (sgemm's N = 1: the same)
            assert _same(ea @ ev[:, None], ta @ tv[:, None]), (m, k, layout)


@exact
def test_addmv_battery(threads):
    rng = np.random.default_rng(300 + threads)
    for i in range(120):
        m, k = int(rng.integers(1, 120)), _k(rng)
        ea, ta = _matrix(rng, m, k, ("rows", "cols", "strided")[i % 3])
        ev, tv = _vector(rng, k, 0, 1 + (i % 4 == 0))
        ei, ti = _vector(rng, m if i % 6 else 1)
        beta = float(rng.choice([1.0, 0.0, 0.3, -2.0]))
        alpha = float(rng.choice([1.0, 0.5, -1.7]))
        got = ember.addmv(ei, ea, ev, beta=beta, alpha=alpha)
        assert _same(got, torch.addmv(ti, ta, tv, beta=beta, alpha=alpha)), (m, k, i, beta,
                                                                              alpha)


@exact
def test_linear_and_stacks(threads):
    rng = np.random.default_rng(400 + threads)
    F, TF = ember.nn.functional, torch.nn.functional
    for i in range(100):
        n, k = int(rng.choice([rng.integers(1, 20), rng.integers(1, 600)])), _k(rng)
        ew, tw = _matrix(rng, n, k, "offset" if i % 3 == 0 else "rows")
        ex, tx = _vector(rng, k)
        eb, tb = _vector(rng, n)
        assert _same(F.linear(ex, ew), TF.linear(tx, tw)), (n, k)
        assert _same(F.linear(ex, ew, eb), TF.linear(tx, tw, tb)), (n, k)
        assert _same(ex @ ew.t(), tx @ tw.t())
        if i % 4 == 0:  # a stack times a vector: one mv over the folded rows
            b = int(rng.integers(1, 4))
            es, ts = _views(rng.standard_normal((b, n, k)).astype(np.float32))
            assert _same(es @ ex, ts @ tx)
    w = rng.standard_normal((512, 784)).astype(np.float32)
    x = rng.standard_normal(784).astype(np.float32)
    assert G.covered(x[None], w.T)  # (one sample through a wide layer: emulated)


@exact
def test_gradients(threads):
    rng = np.random.default_rng(500 + threads)
    for m, k in ((5, 17), (64, 300), (3, 1000), (12, 40)):
        a = rng.standard_normal((m, k)).astype(np.float32)
        v = rng.standard_normal(k).astype(np.float32)
        g = rng.standard_normal(m).astype(np.float32)
        res = []
        for lib in (ember, torch):
            ta = lib.from_numpy(a.copy()).requires_grad_()
            tv = lib.from_numpy(v.copy()).requires_grad_()
            (ta @ tv).backward(lib.from_numpy(g))
            d = lib.dot(tv, tv * 0.5)
            d.backward()
            res.append((ta.grad, tv.grad))
        assert _same(res[0][0], res[1][0]) and _same(res[0][1], res[1][1]), (m, k)
        res = []
        for lib in (ember, torch):  # (one sample through a layer: addmm's backward)
            tw = lib.from_numpy(a.copy()).requires_grad_()
            tx = lib.from_numpy(v.copy()).requires_grad_()
            tb = lib.from_numpy(g.copy()).requires_grad_()
            lib.nn.functional.linear(tx, tw, tb).backward(lib.from_numpy(g[::-1].copy()))
            res.append((tw.grad, tx.grad, tb.grad))
        assert all(_same(e, t) for e, t in zip(*res)), (m, k)


def test_not_covered_falls_back():
    rng = np.random.default_rng(9)
    # an expanded vector: NumPy's order, yet the right values
    ea, ta = _matrix(rng, 8, 37, "rows")
    x = rng.standard_normal(1).astype(np.float32)
    ev, tv = ember.from_numpy(x).expand(37), torch.from_numpy(x).expand(37)
    assert V.mv(ea.numpy(), ev.numpy()) is None
    np.testing.assert_allclose(ember.mv(ea, ev).numpy(), torch.mv(ta, tv).numpy(), rtol=1e-5,
                               atol=1e-5)
    # float64 and empty operands keep their old paths
    x = rng.standard_normal(30)
    assert V.dot(x, x) is None
    assert float(ember.dot(ember.from_numpy(x), ember.from_numpy(x))) == pytest.approx(x @ x)
    assert float(ember.dot(ember.zeros(0), ember.zeros(0))) == 0.0


@exact
def test_vector_times_stack_and_bmm_columns(threads):
    """A vector times a stack (PyTorch: one mv over the folded transposed matrices when the
    vector requires grad, else bmm of the vector expanded), and bmm's single columns and
    single rows (a chain per output for N = 1 in a batch; each matrix's rows placed as in
    the whole output)."""
    rng = np.random.default_rng(600 + threads)
    for i in range(24):
        k, n = int(rng.integers(1, 120)), int(rng.integers(1, 40))
        shape = (int(rng.integers(1, 5)), k, n) if i % 2 else (2, int(rng.integers(1, 4)), k, n)
        y = rng.standard_normal(shape).astype(np.float32)
        x = rng.standard_normal(k).astype(np.float32)
        grad = bool(i % 3 == 0)
        ex = ember.from_numpy(x.copy()).requires_grad_(grad)
        tx = torch.from_numpy(x.copy()).requires_grad_(grad)
        assert _same(ex @ ember.from_numpy(y), tx @ torch.from_numpy(y)), (shape, grad)
        b, m = int(rng.integers(2, 6)), int(rng.integers(1, 14))
        a = rng.standard_normal((b, m, k)).astype(np.float32)
        c = rng.standard_normal((b, k, 1 if i % 2 else n)).astype(np.float32)
        assert _same(ember.bmm(ember.from_numpy(a), ember.from_numpy(c)),
                     torch.bmm(torch.from_numpy(a), torch.from_numpy(c))), (b, m, k, c.shape)


def _rows_of(rng, m, k, lda, off, special):
    buf = (rng.standard_normal(m * lda + off + 4) *
           np.exp2(rng.integers(-12, 12, m * lda + off + 4))).astype(np.float32)
    if special:
        hit = rng.random(buf.shape) < special
        buf[hit] = rng.choice(_SPECIAL, int(hit.sum()))
    return buf[off:off + m * lda].reshape(m, lda)[:, :k]


def _same_arrays(e, t):
    """Bit for bit, NaNs where the other has them (their payloads and signs aside: which
    operand's NaN an add passes on is not part of the order)."""
    e, t = np.asarray(e, np.float32), np.asarray(t, np.float32)
    nan = np.isnan(t)
    return e.shape == t.shape and np.array_equal(np.isnan(e), nan) and \
        np.array_equal(_bits(np.where(nan, 0, e)), _bits(np.where(nan, 0, t)))


def _reference(monkeypatch, fn, *args):
    """``fn(*args)`` through the products-and-reduce paths the einsum kernels replaced."""
    with monkeypatch.context() as mp:
        mp.setattr(G, "_groups_ok", lambda: False)
        return fn(*args)


@pytest.mark.skipif(not G._groups_ok(), reason="einsum's order differs from the one checked")
def test_einsum_kernels_match_reference(monkeypatch):
    """The one-pass einsum kernels (groups of 4 rows by rows, columns by columns, the 16
    lanes of a dot product) give the bits of the product-and-reduce emulation they replace,
    on random shapes, addresses, row strides, K mod 4, special values, and several chunks of
    rows (a small chunk size here) with the per-thread buffers reused between calls."""
    rng = np.random.default_rng(77)
    monkeypatch.setattr(G, "_CHUNK", 3000)  # (several chunks of rows even for small M)
    with np.errstate(all="ignore"):
        for i in range(150):
            m = int(rng.choice([rng.integers(1, 13), rng.integers(4, 90)]))
            k = int(rng.choice([rng.integers(1, 9), rng.integers(9, 700)]))
            lda = k + int(rng.integers(0, 6)) * (i % 3 == 0)
            a = _rows_of(rng, m, k, lda, int(rng.integers(0, 4)), 0.05 * (i % 5 == 0))
            w = rng.standard_normal(k * (1 + i % 2)).astype(np.float32)[::1 + i % 2]
            off = G._offset(a)
            got = G._dot(a, w, off)
            assert _same_arrays(got, _reference(monkeypatch, G._dot, a, w, off)), \
                (m, k, lda, off)
            cols = np.ascontiguousarray(a.T).T  # (by columns: one chain per output)
            got = G._chain(cols, w[:, None], None)
            assert _same_arrays(got, _reference(monkeypatch, G._chain, cols, w[:, None],
                                                None)), (m, k)
        for i in range(60):  # dot products: the 16 lanes (1 and 2 threads)
            n = int(rng.choice([rng.integers(16, 200), rng.integers(200, 20000)]))
            buf = rng.standard_normal(2 * n + 16).astype(np.float32)
            if i % 6 == 0:
                buf[rng.integers(0, buf.size, 3)] = rng.choice(_SPECIAL, 3)
            x = buf[int(rng.integers(0, 8)):][:n]
            y = buf[n + int(rng.integers(0, 8)):][:n]
            for th in (1, 2):
                got = V.dot(x, y, th)
                want = _reference(monkeypatch, V.dot, x, y, th)
                assert _same_arrays(got, want), (n, th)


def test_group_buffers_per_thread():
    """The kernels' buffers are kept per thread: products computed in another thread at the
    same time as this one's give the same bits."""
    import threading

    rng = np.random.default_rng(78)
    a = rng.standard_normal((64, 300)).astype(np.float32)
    ws = rng.standard_normal((8, 300)).astype(np.float32)
    want = [G._dot(a, w) for w in ws]
    got = {}

    def work(j):
        got[j] = [G._dot(a, ws[(i + j) % 8]) for i in range(16)]

    th = [threading.Thread(target=work, args=(j,)) for j in range(3)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    for j, res in got.items():
        assert all(np.array_equal(_bits(r), _bits(want[(i + j) % 8])) for i, r in enumerate(res))


@exact
def test_seed_mlp_one_sample(threads):
    """The seed's MLP (784-512-512-10) on one sample, twice with other inputs (the kernels'
    buffers reused), and a batch of one: PyTorch's bits."""
    rng = np.random.default_rng(79)
    res = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        nn = lib.nn
        net = nn.Sequential(nn.Flatten(0), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512),
                            nn.ReLU(), nn.Linear(512, 10)).eval()
        out = []
        with lib.no_grad():
            for x in rng.standard_normal((2, 28, 28)).astype(np.float32):
                out.append(net(lib.from_numpy(x)))
            out.append(net[1:](net[0](lib.from_numpy(x)).reshape(1, -1)))
        res.append(out)
        rng = np.random.default_rng(79)
    assert all(_same(e, t) for e, t in zip(*res))
