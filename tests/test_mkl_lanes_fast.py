"""The one-pass ``einsum`` forms of ``ember._ops._mkl_gemm``'s lane rows (``_lanes``: N < 12 times a
transposed ``b``, as ``nn.Linear``'s output layer runs) and of its chain rows from +0 (``_chain``:
the tail rows of a weight gradient) give the bits of the product-then-reduce forms they replaced
(kept as ``_lanes_reference``/``_chain_reference``), NaN payloads included, on random shapes with
signed zeros, subnormals, infinities and NaNs, rows off 16-byte boundaries; and, where the module
says the order is MKL's, PyTorch's bits."""
from __future__ import annotations

import numpy as np
import pytest
from diff import bits, pinned_threads

import ember
from ember._ops import _mkl_gemm as G

torch = pytest.importorskip("torch")
F = torch.nn.functional

exact = pytest.mark.skipif(
    not (G.emulated() and torch.backends.mkl.is_available()),
    reason="PyTorch's MKL sgemm order is reproduced only on the measured processor")

_SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-40, -1e-45, 3e38, -3e38,
                     1.1754942e-38], np.float32)


@pytest.fixture(autouse=True)
def _two_threads():
    yield from pinned_threads(torch, ember, 2)


def _identical(got, want):
    """Every bit, NaN payloads and signs included."""
    assert got.shape == want.shape and got.dtype == want.dtype == np.float32
    assert np.array_equal(bits(got), bits(want))


def _same_as_torch(e, t):
    """Equal bit for bit, NaNs where PyTorch has them."""
    t = t.detach().numpy()
    nan = np.isnan(t)
    assert np.array_equal(np.isnan(e), nan)
    assert np.array_equal(bits(np.where(nan, 0, e)), bits(np.where(nan, 0, t)))


def _operand(rng, shape, kind):
    """float32 values of one kind: plain normals, scales from tiny to huge, or salted with
    special values (zeros of both signs, subnormals, infinities, NaNs, the largest floats)."""
    x = rng.standard_normal(shape)
    if kind == "scaled":
        x = x * np.exp2(rng.integers(-60, 60, shape))
    x = x.astype(np.float32)
    if kind in ("salted", "scaled"):
        hit = rng.random(shape) < (0.02 if kind == "salted" else 0.005)
        x[hit] = rng.choice(_SPECIAL, int(hit.sum()))
    elif kind == "subnormal":
        x = (x * np.float32(1e-39)).astype(np.float32)
    elif kind == "zeros":
        x = np.where(rng.random(shape) < 0.5, np.float32(-0.0), np.float32(0.0))
    return x


def _rows(rng, m, k, kind, offset):
    """(m, k) rows of a wider array starting ``offset`` floats in: row addresses off 16-byte
    boundaries (what moves the lanes' head products), rows a stride apart."""
    pad = int(rng.integers(0, 3))
    base = _operand(rng, (m, k + offset + pad), kind)
    return base[:, offset:offset + k]


def _lanes_case(rng, m, k, n, kind, offset, row0=0):
    a = _rows(rng, m, k, kind, offset)
    w = _operand(rng, (n, k), "salted" if kind == "zeros" else kind)
    with np.errstate(all="ignore"):
        got = G._lanes(a, w.T, row0)
        want = G._lanes_reference(a, w.T, row0)
    _identical(got, want)


def test_selfchecks_hold():
    # (where they fail, the reference runs instead; here they must hold, or nothing is faster)
    assert G._lane_einsum_ok()
    assert G._chain_einsum_ok()


@pytest.mark.parametrize("seed", range(6))
def test_lanes_match_reference_on_random_shapes(seed):
    rng = np.random.default_rng(seed)
    kinds = ("normal", "salted", "scaled", "subnormal", "zeros")
    for i in range(40):
        m = int(rng.choice([1, 2, 3, 4, 5, 7, 11, 16, 33, 64, 100, 257, 300]))
        k = int(rng.integers(1, 1200 if m <= 64 else 300))
        if i % 4 == 0:
            k = int(rng.integers(1, 20))  # (fewer products than lanes, heads eating all)
        n = int(rng.integers(1, 12))
        _lanes_case(rng, m, k, n, kinds[i % len(kinds)], int(rng.integers(0, 4)),
                    int(rng.integers(0, 5)))


@pytest.mark.parametrize("m,k,n", [(64, 512, 10), (64, 784, 10), (64, 512, 8), (64, 512, 3),
                                   (256, 512, 10), (300, 1200, 11), (600, 100, 9), (3, 1024, 10),
                                   (1, 513, 7), (2, 5, 11), (5, 3, 4), (9, 1, 6), (1, 1, 1),
                                   (1100, 40, 7), (1030, 13, 5)])
@pytest.mark.parametrize("offset", [0, 1, 2, 3])
def test_lanes_match_reference_on_layer_shapes(m, k, n, offset):
    rng = np.random.default_rng(m * 31 + k + n + offset)
    _lanes_case(rng, m, k, n, "salted", offset)


def test_lanes_other_layouts_match_reference():
    rng = np.random.default_rng(5)
    for m, k, n in ((64, 130, 10), (7, 45, 6), (300, 61, 11)):
        base = _operand(rng, (k, m), "salted")
        w = _operand(rng, (n, k), "salted")
        for a, row0 in ((base.T, 0), (base.T, 3), (base[:, ::-1].T, 1),
                        (_operand(rng, (m, 2 * k), "salted")[:, ::2], 2)):
            with np.errstate(all="ignore"):
                _identical(G._lanes(a, w.T, row0), G._lanes_reference(a, w.T, row0))
        wt = _operand(rng, (k, n + 3), "salted")[:, 1:n + 1]  # (b by rows, a column slice)
        with np.errstate(all="ignore"):
            _identical(G._lanes(base.T, wt), G._lanes_reference(base.T, wt))


def test_lanes_nan_payloads_are_the_references():
    # a NaN of the operands meets a NaN the sum makes (inf - inf): which one survives depends on
    # the operands' order in each add, so those outputs come from the reference
    a = np.ones((8, 64), np.float32)
    w = np.ones((10, 64), np.float32)
    a[:, 0] = np.inf
    a[:, 4] = -np.inf
    a[:, 8] = np.array(0x7FC01234, np.uint32).view(np.float32)
    a[3, 12] = np.array(0xFFC00077, np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        got = G._lanes(a, w.T)
        assert np.isnan(got).all()
        _identical(got, G._lanes_reference(a, w.T))


@pytest.mark.parametrize("m,k,n,offset", [(64, 512, 10, 0), (9, 37, 7, 1), (3, 6, 11, 2),
                                          (40, 3, 5, 3)])
def test_lanes_of_negative_zero_products_sum_to_positive_zero(m, k, n, offset):
    # rows of -0 times positive weights: every product -0; MKL's lanes start at +0, so the
    # outputs are +0 (a form that started the lanes at the first product would keep -0)
    rng = np.random.default_rng(m + k)
    a = _rows(rng, m, k, "normal", offset)
    a[::2] = -0.0
    w = np.abs(_operand(rng, (n, k), "normal")) + np.float32(0.5)
    got = G._lanes(a, w.T)
    _identical(got, G._lanes_reference(a, w.T))
    assert not np.signbit(got[::2]).any() and (got[::2] == 0).all()
    tw = torch.from_numpy(w)
    if G.emulated() and G.plan(m, k, n, True, 2) == (0, "lanes"):
        _same_as_torch(G.mkl_sgemm(np.ascontiguousarray(a), w.T),
                       torch.mm(torch.from_numpy(np.ascontiguousarray(a)), tw.t()))


def test_lanes_fall_back_where_the_check_fails(monkeypatch):
    rng = np.random.default_rng(8)
    a = _operand(rng, (64, 100), "salted")
    w = _operand(rng, (10, 100), "salted")
    calls = []
    monkeypatch.setattr(G, "_lane_einsum_ok", lambda: False)
    monkeypatch.setattr(G, "_lanes_einsum", lambda *args: calls.append(args))
    with np.errstate(all="ignore"):
        _identical(G._lanes(a, w.T), G._lanes_reference(a, w.T))
    assert not calls


@pytest.mark.parametrize("seed", range(3))
def test_chain_matches_reference(seed):
    rng = np.random.default_rng(100 + seed)
    kinds = ("normal", "salted", "scaled", "subnormal", "zeros")
    for i in range(30):
        t = int(rng.integers(1, 12))
        k = int(rng.integers(1, 700))
        n = int(rng.integers(2, 600))
        kind = kinds[i % len(kinds)]
        a = _operand(rng, (k, t), kind).T if i % 2 else _operand(rng, (t, k), kind)
        b = _operand(rng, (k, n + 2), "salted" if kind == "zeros" else kind)
        b = b[:, :n] if i % 3 else np.ascontiguousarray(b[:, :n])
        with np.errstate(all="ignore"):
            _identical(G._chain(a, b, None), G._chain_reference(a, b, None))
            c = _operand(rng, (t, n), "salted")
            _identical(G._chain(a, b, c), G._chain_reference(a, b, c))


def test_chain_strided_b_takes_the_reference():
    # b's rows closer together than its columns: einsum might sum along k otherwise, so the
    # reference runs
    rng = np.random.default_rng(4)
    a = _operand(rng, (3, 50), "salted")
    b = _operand(rng, (20, 100), "salted").T[::2]  # (50, 20), rows 8 bytes apart
    with np.errstate(all="ignore"):
        _identical(G._chain(a, b, None), G._chain_reference(a, b, None))


@exact
@pytest.mark.parametrize("m,k,n", [(64, 512, 10), (64, 784, 10), (128, 512, 2), (37, 101, 7),
                                   (3, 785, 5), (7, 9, 6), (64, 10, 10), (200, 300, 11),
                                   (11, 1000, 3), (2, 64, 4)])
def test_lane_products_are_pytorchs(m, k, n):
    rng = np.random.default_rng(m + k + n)
    x = _operand(rng, (m, k), "salted")
    w = _operand(rng, (n, k), "normal")
    bias = _operand(rng, (n,), "normal")
    assert G.plan(m, k, n, True, 2) == (0, "lanes" if m > 1 else "gemv")
    tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias)
    with np.errstate(all="ignore"):
        _same_as_torch(G.mkl_addmm(bias, x, w.T), F.linear(tx, tw, tb))
        _same_as_torch(G.mkl_sgemm(x, w.T), torch.mm(tx, tw.t()))
        # rows off 16-byte boundaries (a slice of a wider batch)
        wide = _operand(rng, (m, k + 3), "normal")
        xs = wide[:, 1:k + 1]
        _same_as_torch(G.mkl_sgemm(xs, w.T), torch.mm(torch.from_numpy(wide)[:, 1:k + 1], tw.t()))


@exact
@pytest.mark.parametrize("m,k,n", [(10, 64, 512), (10, 256, 784), (6, 40, 30), (11, 17, 100),
                                   (2, 300, 20), (3, 100, 13)])
def test_chain_products_are_pytorchs(m, k, n):
    # the weight gradient of an output layer: g.T @ h, its last rows chains from +0
    rng = np.random.default_rng(m * k + n)
    g = _operand(rng, (k, m), "salted")
    h = _operand(rng, (k, n), "normal")
    assert G.plan(m, k, n, False, 2)[1] == "chain"
    with np.errstate(all="ignore"):
        _same_as_torch(G.mkl_sgemm(g.T, h), torch.mm(torch.from_numpy(g).t(), torch.from_numpy(h)))


@exact
def test_output_layer_training_is_pytorchs():
    # the seed MLP's last layer forward and backward through ember's public API, bit for bit
    import ember

    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 512)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    w = (rng.standard_normal((10, 512)) * 0.05).astype(np.float32)
    b = (rng.standard_normal(10) * 0.05).astype(np.float32)
    ember.set_num_threads(2)
    grads = []
    for T in (torch, ember):
        tx = T.from_numpy(x.copy()).requires_grad_()
        tw = T.from_numpy(w.copy()).requires_grad_()
        tb = T.from_numpy(b.copy()).requires_grad_()
        out = T.nn.functional.linear(tx, tw, tb)
        loss = T.nn.functional.cross_entropy(out, T.from_numpy(y))
        loss.backward()
        grads.append([v.detach().numpy().copy() for v in (out, loss, tx.grad, tw.grad, tb.grad)])
    for t, e in zip(*grads):
        _identical(np.asarray(e, np.float32), np.asarray(t, np.float32))
