"""float64 ``torch.dot``/``vdot``/``inner``/``@`` of vectors in MKL's ``ddot`` order
(ember._ops._mkl_gemv.dot64), and LBFGS float64 trajectories that lean on it, against PyTorch."""
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


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    yield from pinned_threads(torch, ember, request.param)


def _buf(n, off, rng):
    """``n`` random doubles ``off`` doubles past a 64-byte boundary."""
    b = np.zeros(n + 16)
    a = (-(b.ctypes.data // 8)) % 8
    v = b[a + off:a + off + n]
    v[:] = rng.standard_normal(n)
    return v


@exact
def test_dot64_orders(threads):
    rng = np.random.default_rng(0)
    sizes = list(range(1, 40)) + [64, 255, 1001, 4095, 4096, 4097, 20001]
    for n in sizes:
        for ox, oy, step in ((0, 0, 1), (1, 0, 1), (0, 1, 1), (3, 1, 1), (1, 2, 2), (0, 0, 3)):
            xb, yb = _buf(n * step, ox, rng), _buf(n, oy, rng)
            x = xb[::step]
            want = torch.dot(torch.from_numpy(xb)[::step], torch.from_numpy(yb)).item()
            got = V.dot64(x, yb)
            assert got is not None and float(got) == want, (n, ox, oy, step)
            e = ember.dot(ember.from_numpy(xb)[::step], ember.from_numpy(yb)).item()
            assert e == want, (n, ox, oy, step)


@exact
def test_dot64_entry_points():
    torch.manual_seed(1)
    for n in (2, 3, 5, 17, 100):
        a = torch.randn(n, dtype=torch.float64)
        b = torch.randn(n, dtype=torch.float64)
        ea, eb = ember.tensor(a.numpy()), ember.tensor(b.numpy())
        pairs = [(torch.dot(a, b), ember.dot(ea, eb)), (torch.vdot(a, b), ember.vdot(ea, eb)),
                 (torch.inner(a, b), ember.inner(ea, eb)), (a @ b, ea @ eb),
                 (torch.matmul(a, b), ember.matmul(ea, eb)),
                 (a[1:].dot(b[:-1]), ea[1:].dot(eb[:-1])),
                 (a[::2].dot(b[::2]), ea[::2].dot(eb[::2])),
                 (a.flip(0).dot(b), ea.flip(0).dot(eb))]
        for t, e in pairs:
            assert e.item() == t.item(), n
    # signed zeros: MKL's lanes start at +0
    z = torch.tensor([-0.0, -0.0, -0.0], dtype=torch.float64)
    ez = ember.tensor([-0.0, -0.0, -0.0], dtype=ember.float64)
    assert str(ember.dot(ez, ez.abs())) == str(torch.dot(z, z.abs()))


def _lbfgs(mod, ls):
    x = mod.tensor([-1.2, 1.0, 0.5, -0.3], dtype=mod.float64, requires_grad=True)
    opt = mod.optim.LBFGS([x], lr=1 if ls else 0.5, max_iter=20, history_size=5,
                          line_search_fn=ls)

    def closure():
        opt.zero_grad()
        loss = sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))
        loss.backward()
        return loss

    out = []
    for _ in range(3):
        out.append(opt.step(closure).item())
        out.extend(x.tolist())
    return out


@exact
@pytest.mark.parametrize("ls", [None, "strong_wolfe"])
def test_lbfgs_float64_trajectory(ls):
    assert _lbfgs(ember, ls) == _lbfgs(torch, ls)


@exact
def test_mv64_layouts(threads):
    """Matrices by columns (``A.t() @ v``, ``v @ W``, ``(1, K) @ W``) and the groups of 4 rows
    (and a single row after them) of matrices by rows (``W @ v``, ``F.linear``, ``v @ W.t()``),
    offsets and padded rows."""
    rng = np.random.default_rng(1)
    for m, k in ((4, 1), (4, 2), (8, 7), (2, 33), (64, 5), (12, 300), (5, 20), (300, 40),
                 (1, 30), (1, 2), (9, 17), (7, 100)):
        for oa, pad in ((0, 0), (1, 0), (0, 1), (1, 3), (2, 2)):
            lda = k + pad
            buf = _buf(m * lda, oa, rng)
            vb = _buf(2 * max(m, k), oa % 2, rng)
            tw, ew = (mod.from_numpy(buf).view(m, lda)[:, :k] for mod in (torch, ember))
            tv, ev = torch.from_numpy(vb)[:k], ember.from_numpy(vb)[:k]
            tu, eu = torch.from_numpy(vb)[::2], ember.from_numpy(vb)[::2]
            # (2 or 3 rows after the groups of 4: NumPy's order, not compared)
            g = 4 * (m // 4) + (m % 4 == 1)
            pairs = [(torch.mv(tw, tv)[:g], ember.mv(ew, ev)[:g]),
                     ((tv @ tw.t())[:g], (ev @ ew.t())[:g]),
                     (torch.nn.functional.linear(tv, tw)[:g],
                      ember.nn.functional.linear(ev, ew)[:g])]
            if k > 1:  # (a single column: not mapped)
                pairs += [(tw.t() @ tu[:m], ew.t() @ eu[:m]), (tu[:m] @ tw, eu[:m] @ ew),
                          (tu[None, :m].mm(tw), eu[None, :m].mm(ew))]
            for i, (t, e) in enumerate(pairs):
                assert np.array_equal(e.numpy(), t.numpy()), (i, m, k, oa, pad)


@exact
def test_mm64_one_column_and_linear_lbfgs():
    """``X @ w[:, None]``, ``addmm``/``nn.Linear`` with one output (PyTorch's dgemv through
    dgemm's N = 1), and LBFGS fitting such a layer in float64."""
    rng = np.random.default_rng(2)
    for n, k in ((64, 5), (8, 1000), (100, 33)):
        x, w, b = rng.standard_normal((n, k)), rng.standard_normal((1, k)), rng.standard_normal(1)
        tx, tw, tb = (torch.from_numpy(a) for a in (x, w, b))
        ex, ew, eb = (ember.from_numpy(a) for a in (x, w, b))
        assert np.array_equal((ex @ ew.t()).numpy(), (tx @ tw.t()).numpy())
        assert np.array_equal((ex @ ew.t().contiguous()).numpy(),
                              (tx @ tw.t().contiguous()).numpy())
        assert np.array_equal(ember.nn.functional.linear(ex, ew, eb).numpy(),
                              torch.nn.functional.linear(tx, tw, tb).numpy())

    def fit(mod):
        mod.manual_seed(0)
        x = mod.randn(64, 5, dtype=mod.float64)
        y = x @ mod.randn(5, dtype=mod.float64) + 0.1 * mod.randn(64, dtype=mod.float64)
        lin = mod.nn.Linear(5, 1).double()
        opt = mod.optim.LBFGS(lin.parameters(), lr=0.5, max_iter=8,
                              line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = ((lin(x).squeeze(1) - y) ** 2).mean()
            loss.backward()
            return loss

        return [opt.step(closure).item() for _ in range(2)] + lin.weight.flatten().tolist()

    assert fit(ember) == fit(torch)
