"""Matrix products beyond the plain 2-D case, bit for bit against PyTorch: matmul's folds and
its bmm path (broadcast batches, a matrix or a vector times a stack, non-foldable layouts),
the graph it records, multi_dot's order of products, baddbmm/addbmm on MKL's path, addr's
vector/scalar kernel and its gradients, and kron of a transposed operand."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from diff import bits, measured_cpu, pinned_threads

import ember
from ember import _cpuinfo
from ember._ops import _mkl_gemm as G

torch = pytest.importorskip("torch")

exact = pytest.mark.skipif(
    not (G.emulated() and torch.backends.mkl.is_available()),
    reason="PyTorch's MKL sgemm order is reproduced only on the measured processor")


@pytest.fixture(autouse=True)
def _two_threads():
    yield from pinned_threads(torch, ember, 2)


def _make(lib, x, layout, grad):
    """``x`` as a tensor of ``lib``: "rows" (C order), "cols" (its last two dims stored
    transposed) or "batchT" (its first two dims swapped in memory)."""
    if layout == "cols":
        t = lib.from_numpy(np.ascontiguousarray(np.swapaxes(x, -1, -2))).transpose(-1, -2)
    elif layout == "batchT":
        t = lib.from_numpy(np.ascontiguousarray(np.swapaxes(x, 0, 1))).transpose(0, 1)
    else:
        t = lib.from_numpy(x.copy())
    return t.requires_grad_(grad)


def _run(fn, arrays, layouts, grads, seed=0):
    """``fn`` on both libraries: its output, the inputs' gradients (from one random upstream
    gradient) and the graph's node names, two levels down."""
    res = []
    for lib in (torch, ember):
        ts = [_make(lib, x, lay, g) for x, lay, g in zip(arrays, layouts, grads)]
        out = fn(lib, *ts)
        names = None
        if out.grad_fn is not None:
            up = np.random.default_rng(seed).standard_normal(tuple(out.shape)).astype(np.float32)
            names = [out.grad_fn.name()] + [f.name() for f, _ in out.grad_fn.next_functions
                                            if f is not None]
            out.backward(lib.from_numpy(up))
        res.append([out.detach().numpy()] + [t.grad.numpy() if t.grad is not None else None
                                             for t in ts] + [names])
    return res


def _same(want, got):
    for w, g in zip(want, got):
        if isinstance(w, np.ndarray):
            assert g is not None and w.shape == g.shape
            assert np.array_equal(bits(w), bits(g)), int((bits(w) != bits(g)).sum())
        else:
            assert w == g


def _same_or_close(want, got, rtol, atol):
    """:func:`_same` on the measured processor (see ``diff.measured_cpu``); elsewhere, where
    PyTorch's MKL kernels (sgemv, getrf) are not the ones ember reproduces, arrays within
    ``rtol``/``atol`` (shapes, dtypes and all else exact)."""
    if measured_cpu():
        _same(want, got)
        return
    for w, g in zip(want, got, strict=True):
        if isinstance(w, np.ndarray):
            assert g is not None and w.shape == g.shape and w.dtype == g.dtype
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
        else:
            assert w == g


_MATMUL_CASES = [
    # (a shape, b shape, a layout, b layout)
    ((7, 33), (3, 33, 40), "rows", "rows"),  # matrix @ stack: bmm, or a fold when a needs grad
    ((2, 64), (5, 64, 20), "rows", "rows"),
    ((33,), (4, 33, 17), "rows", "rows"),  # vector @ stack
    ((5, 12, 33), (33,), "cols", "rows"),  # a non-foldable stack @ vector: bmm
    ((5, 2, 64), (64, 20), "cols", "rows"),  # a non-foldable stack @ matrix: bmm
    ((3, 5, 17, 33), (33, 9), "batchT", "rows"),
    ((2, 3, 17, 33), (3, 33, 13), "rows", "rows"),  # broadcast batches
    ((1, 17, 33), (3, 33, 13), "rows", "rows"),  # a batch of one: squeezed when it needs grad
    ((3, 17, 33), (1, 33, 13), "rows", "rows"),
    ((4, 12, 1), (4, 1, 30), "rows", "rows"),
]


@exact
@pytest.mark.parametrize("grads", [(False, False), (True, False), (True, True), (False, True)])
@pytest.mark.parametrize("case", range(len(_MATMUL_CASES)))
def test_matmul_folds_and_bmm_paths(case, grads):
    sa, sb, la, lb = _MATMUL_CASES[case]
    rng = np.random.default_rng(case)
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    want, got = _run(lambda L, x, y: x @ y, [a, b], [la, lb], grads, case)
    _same(want, got)


@exact
def test_linear_without_bias_on_strided_input():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 17, 40)).astype(np.float32)
    w = rng.standard_normal((12, 40)).astype(np.float32)
    want, got = _run(lambda L, a, b: L.nn.functional.linear(a, b), [x, w], ["batchT", "rows"],
                     [False, True])
    _same(want, got)


def test_matmul_errors_follow_the_path_taken():
    r = np.random.default_rng(0).standard_normal
    cases = [((2, 3, 4), (5, 6), "rows"), ((2, 3, 4), (5, 6), "cols"), ((4,), (2, 5, 3), "rows"),
             ((3, 4), (2, 5, 3), "rows"), ((2, 3, 4), (5,), "cols"), ((2, 3, 4), (3, 5, 6), "rows")]
    for sa, sb, lay in cases:
        for grad in (False, True):
            msgs = []
            for lib in (torch, ember):
                x = _make(lib, r(sa).astype(np.float32), lay, grad)
                try:
                    x @ lib.from_numpy(r(sb).astype(np.float32))
                except RuntimeError as e:
                    msgs.append(str(e))
            assert len(msgs) == 2 and msgs[0] == msgs[1], (sa, sb, lay, grad)


@exact
@pytest.mark.parametrize("shapes", [[(64, 13), (13, 13), (13, 13), (13, 64)],
                                    [(33, 12), (12, 2), (2, 7), (7, 33)],
                                    [(2, 33), (33, 5), (5, 100), (100, 2)],
                                    [(100, 7), (7, 33), (33, 3)], [(13, 1), (1, 17), (17, 12)],
                                    [(5,), (5, 40), (40, 3), (3,)]])
def test_multi_dot_orders_its_products(shapes):
    rng = np.random.default_rng(len(shapes))
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    want, got = _run(lambda L, *ts: L.linalg.multi_dot(ts), arrays, ["rows"] * len(arrays),
                     [True] * len(arrays))
    _same(want, got)
    if all(len(s) == 2 for s in shapes):
        with warnings.catch_warnings():  # (deprecated in both, warned once)
            warnings.simplefilter("ignore")
            e = ember.chain_matmul(*[ember.from_numpy(x) for x in arrays])
            t = torch.chain_matmul(*[torch.from_numpy(x) for x in arrays])
        assert np.array_equal(bits(e.numpy()), bits(t.numpy()))


def test_multi_dot_errors():
    r = np.random.default_rng(0).standard_normal
    cases = [[(2, 3, 4), (4, 5)], [(2, 3), (3, 4, 5)], [(2, 3), (3, 4, 5), (5, 2)],
             [(2, 3), (4, 5)], [(3,), (4, 5), (5,)], [(3,)]]
    for shapes in cases:
        msgs = []
        for lib in (torch, ember):
            try:
                lib.linalg.multi_dot([lib.from_numpy(r(s).astype(np.float32)) for s in shapes])
            except RuntimeError as e:
                msgs.append(str(e))
        assert len(msgs) == 2 and msgs[0] == msgs[1], shapes
    msgs = []
    for lib in (torch, ember):
        try:
            lib.linalg.multi_dot([lib.zeros(2, 3), lib.zeros(3, 4, dtype=lib.float64)])
        except RuntimeError as e:
            msgs.append(str(e))
    assert msgs[0] == msgs[1]


@exact
@pytest.mark.parametrize("b,m,k,n,beta,alpha", [(2, 17, 33, 2, 0.5, 2.0), (7, 33, 12, 2, 1, 1),
                                                (3, 20, 40, 30, 0.3, 1.7), (1, 9, 50, 13, 1, 1),
                                                (4, 13, 3, 13, 0, 1.5), (3, 4, 5, 6, 0.5, 1)])
def test_baddbmm_and_addbmm_bits(b, m, k, n, beta, alpha):
    rng = np.random.default_rng(m * k)
    x = rng.standard_normal((b, m, k)).astype(np.float32)
    y = rng.standard_normal((b, k, n)).astype(np.float32)
    c3 = rng.standard_normal((b, m, n)).astype(np.float32)
    c2 = rng.standard_normal((m, n)).astype(np.float32)
    for lay in ("rows", "cols"):
        want, got = _run(lambda L, c, p, q: L.baddbmm(c, p, q, beta=beta, alpha=alpha),
                         [c3, x, y], [lay, "rows", "rows"], [False] * 3)
        _same(want, got)
        want, got = _run(lambda L, c, p, q: L.addbmm(c, p, q, beta=beta, alpha=alpha),
                         [c2, x, y], [lay, "rows", "rows"], [False] * 3)
        _same(want, got)


@pytest.mark.parametrize("m,n,kind", [(33, 17, "full"), (17, 1, "full"), (5, 31, "full"),
                                      (300, 301, "full"), (1000, 77, "full"), (40, 45, "cols"),
                                      (5, 40, "row"), (40, 5, "col"), (64, 2, "full"),
                                      (1, 100, "full")])
def test_addr_bits_and_gradients(m, n, kind):
    """addr's kernel: ``fma(alpha * v1, v2, beta * input)`` in its vector blocks of 16 along
    the loop, ``fma(beta, input, (alpha * v1) * v2)`` in the scalar tail; its gradients through
    mv (and times alpha after it)."""
    rng = np.random.default_rng(m + n)
    shape = {"row": (n,), "col": (m, 1)}.get(kind, (m, n))
    c = rng.standard_normal(shape).astype(np.float32)
    v1 = rng.standard_normal(m).astype(np.float32)
    v2 = rng.standard_normal(n).astype(np.float32)
    lay = "cols" if kind == "cols" else "rows"
    for beta, alpha in ((1, 1), (0.3, 1.7), (0, 1.1)):
        want, got = _run(lambda L, i, p, q: L.addr(i, p, q, beta=beta, alpha=alpha),
                         [c, v1, v2], [lay, "rows", "rows"], [True] * 3)
        _same_or_close(want, got, 1e-5, 1e-4)  # (sums of up to 1000 products)


def test_kron_of_a_transposed_operand_fails_as_in_pytorch():
    r = np.random.default_rng(0).standard_normal
    for sa, sb, lay in [((3, 4), (2, 5), "cols"), ((3, 4), (5,), "cols"), ((3, 4), (3, 4), "rows")]:
        out = []
        for lib in (torch, ember):
            a = _make(lib, r(sa).astype(np.float32), lay, False)
            try:
                out.append(tuple(lib.kron(a, lib.from_numpy(r(sb).astype(np.float32))).shape))
            except RuntimeError as e:
                out.append(str(e))
        assert out[0] == out[1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (4, 4), (3, 5, 5), (9, 9), (16, 16), (1, 1),
                                   (0, 0)])
def test_det_is_the_product_of_the_lu_diagonal(shape, dtype):
    """PyTorch's det: the LU of A's transpose (of A itself when A is not contiguous), its
    diagonal multiplied in order, times the row swaps' sign (NumPy's: sign * exp(logdet))."""
    rng = np.random.default_rng(sum(shape))
    for i in range(6):
        a = rng.standard_normal(shape).astype(dtype)
        for lay in ("rows", "cols"):
            if len(shape) < 2 or lay == "cols" and not a.size:
                continue
            want, got = (lib.linalg.det(_make(lib, a, lay, False)).numpy()
                         for lib in (torch, ember))
            if measured_cpu() or _cpuinfo.model_id() == ("GenuineIntel", 6, 167):
                assert want.shape == got.shape and np.array_equal(want, got), (i, lay)
            else:  # (MKL's LU measured on those two processors only: elsewhere closely)
                _same_or_close([want], [got], 1e-5 if dtype == np.float32 else 1e-13, 0)


@exact
@pytest.mark.parametrize("b,m,k,n", [(3, 7, 40, 30), (2, 5, 20, 20), (4, 10, 33, 64),
                                     (2, 9, 50, 3), (1, 6, 40, 20), (3, 4, 1, 5)])
def test_bmm_of_stacks_blas_cannot_take(b, m, k, n):
    """A stack whose matrices are neither by rows nor by columns (a strided slice): PyTorch
    runs an addmm per matrix on all its threads (which split rows 4.. of M = 5..11 apart),
    the matrix copied to rows first; baddbmm likewise."""
    rng = np.random.default_rng(m * n)
    x = rng.standard_normal((b, m, 2 * k)).astype(np.float32)
    y = rng.standard_normal((b, k, n)).astype(np.float32)
    c = rng.standard_normal((b, m, n)).astype(np.float32)
    outs = [(lib.bmm(lib.from_numpy(x)[:, :, ::2], lib.from_numpy(y)).numpy(),
             lib.baddbmm(lib.from_numpy(c), lib.from_numpy(x)[:, :, ::2], lib.from_numpy(y),
                         beta=0.5, alpha=1.5).numpy()) for lib in (torch, ember)]
    for want, got in zip(*outs):
        assert np.array_equal(bits(want), bits(got))


@exact
@pytest.mark.parametrize("b,m,k,n", [(3, 7, 40, 30), (2, 5, 6, 7)])
def test_baddbmm_and_addbmm_gradients_scale_after_the_product(b, m, k, n):
    """PyTorch's gradients of the stacks: ``g.bmm(batch2.mT) * alpha`` (alpha after the
    product, so an alpha that is no power of 2 rounds otherwise than ``(g * alpha).bmm``)."""
    rng = np.random.default_rng(k)
    x = rng.standard_normal((b, m, k)).astype(np.float32)
    y = rng.standard_normal((b, k, n)).astype(np.float32)
    c = rng.standard_normal((b, m, n)).astype(np.float32)
    want, got = _run(lambda L, i, p, q: L.baddbmm(i, p, q, beta=0.3, alpha=1.7), [c, x, y],
                     ["rows"] * 3, [True] * 3)
    _same(want, got)
    want, got = _run(lambda L, i, p, q: L.addbmm(i, p, q, beta=0.3, alpha=1.7), [c[0], x, y],
                     ["rows"] * 3, [True] * 3)
    _same(want, got)


def test_bmm_and_batched_matmul_error_order():
    """The shapes first, then batch1's dtype (no Bool kernel), then batch2's against it."""
    cases = [((2, 3, 4), "bool", (2, 5, 6), "float32"),
             ((2, 3, 4), "float32", (2, 5, 6), "float64"),
             ((2, 3, 4), "bool", (2, 4, 6), "float32"), ((2, 3, 4), "float32", (2, 4, 6), "bool"),
             ((2, 3, 4), "int32", (2, 4, 6), "float32"),
             ((2, 3, 4), "float32", (3, 4, 6), "float64")]
    for sa, da, sb, db in cases:
        for op in ("bmm", "matmul"):
            got = []
            for lib in (torch, ember):
                try:
                    getattr(lib, op)(lib.ones(sa, dtype=getattr(lib, da)),
                                     lib.ones(sb, dtype=getattr(lib, db)))
                    got.append(None)
                except (RuntimeError, NotImplementedError) as e:
                    got.append((type(e).__name__, str(e)))
            assert got[0] == got[1], (sa, da, sb, db, op)
