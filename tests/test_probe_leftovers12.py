"""Differences left by earlier fuzz rounds (12): the strides and storage offsets of empty
views, sparse weights in ``F.embedding`` and ``F.normalize``, reductions whose ``out=``
shares the input's memory, float16/bfloat16 ``addmv`` roundings and ``fused=True``
optimizers on parameters laid out otherwise than their gradients."""
from __future__ import annotations

import random

import numpy as np
import pytest

import ember
from diff import outcome

torch = pytest.importorskip("torch")


# -- 1, 2: empty views: strides and storage offsets ----------------------------------------

def _geometry(t):
    return tuple(t.shape), t.stride(), t.storage_offset()


def test_empty_views_report_pytorchs_strides_and_offsets():
    cases = [
        lambda L: L.arange(10.)[3:3],
        lambda L: L.arange(10.)[9:2],
        lambda L: L.arange(10.)[20:30],
        lambda L: L.arange(10.)[-3:-3],
        lambda L: L.arange(10.)[3:3:2],
        lambda L: L.arange(10.)[::3][4:4],
        lambda L: L.arange(10.).narrow(0, 10, 0),
        lambda L: L.arange(24.).reshape(2, 3, 4)[1, :, 2:2],
        lambda L: L.arange(24.).reshape(2, 3, 4)[:, 1:1][1],
        lambda L: L.arange(24.).reshape(2, 3, 4)[:, 2:2][:, :, 1:3],
        lambda L: L.arange(24.).reshape(2, 3, 4)[:, 2:2].select(2, 3).t(),
        lambda L: L.arange(24.).reshape(2, 3, 4)[None, 1, 2:2],
        lambda L: L.arange(24.).reshape(2, 3, 4)[..., 3:3].view(2, 0, 3),
        lambda L: L.arange(24.).reshape(2, 3, 4)[:, 2:2].contiguous(),
        lambda L: L.arange(10.).split([3, 0, 7])[1],
        lambda L: L.arange(10.).tensor_split([12, 13])[1],
        lambda L: L.arange(24.).reshape(2, 3, 4)[:, :, 4:4].chunk(2, 1)[1],
        lambda L: L.arange(24.).reshape(2, 3, 4)[:, :, 2:2].unbind(1)[2],
        lambda L: L.zeros(1).expand(4)[:0],
        lambda L: L.zeros(3, 1).expand(3, 4)[1:1],
        lambda L: L.zeros(()).expand(3, 4)[1:1, 2:2].t(),
        lambda L: L.zeros(3, 0).diagonal(),
        lambda L: L.zeros(0, 3).t(),
        lambda L: L.empty(0, 3)[:, 1:],
        lambda L: L.ones(3, 0).unsqueeze(1),
        lambda L: L.zeros(0, 3).unsqueeze(0).expand(2, 0, 3),
        lambda L: L.randn(2, 3, 0).unbind(1)[2],
        lambda L: L.empty_strided((0, 3), (7, 2)),
        lambda L: L.empty_strided((0, 3), (0, 0)).t(),
        lambda L: L.empty_strided((2, 0), (0, 1)).clone(),
    ]
    for i, case in enumerate(cases):
        assert _geometry(case(ember)) == _geometry(case(torch)), i


_VIEWS = [
    lambda t, r: t[r.randrange(-1, t.shape[0] + 2):r.randrange(-1, t.shape[0] + 2)]
    if t.ndim else t,
    lambda t, r: t.narrow(-1, r.randrange(t.shape[-1] + 1), 0) if t.ndim else t,
    lambda t, r: t.select(0, r.randrange(t.shape[0])) if t.ndim and t.shape[0] else t,
    lambda t, r: t.transpose(0, -1) if t.ndim else t,
    lambda t, r: t.unsqueeze(r.randrange(t.ndim + 1)),
    lambda t, r: t.split(max(1, t.shape[-1] // 2), -1)[-1] if t.ndim else t,
    lambda t, r: t.chunk(3, 0)[-1] if t.ndim else t,
    lambda t, r: t.unbind(-1)[-1] if t.ndim and t.shape[-1] else t,
    lambda t, r: t.diagonal(0, 0, -1) if t.ndim > 1 else t,
    lambda t, r: t[..., r.randrange(3):r.randrange(3):r.randrange(1, 3)] if t.ndim else t,
    lambda t, r: t.flatten(),
    lambda t, r: t.movedim(0, -1) if t.ndim else t,
]


def test_random_view_chains_of_empty_and_expanded_tensors():
    rng = random.Random(12)
    for case in range(300):
        shape = tuple(rng.randrange(0, 4) for _ in range(rng.randrange(1, 4)))
        kind = rng.randrange(3)
        steps = [(rng.randrange(len(_VIEWS)), rng.random()) for _ in range(rng.randrange(1, 5))]

        def run(L):
            n = int(np.prod(shape))
            if kind == 0:
                t = L.arange(float(n)).reshape(shape)
            elif kind == 1:
                t = L.zeros(shape)
            else:
                t = L.zeros(shape[-1:]).expand(shape)
            out = []
            for k, seed in steps:
                t = _VIEWS[k](t, random.Random(seed))
                out.append(_geometry(t) if t.numel() == 0 else tuple(t.shape))
            return out
        assert run(ember) == run(torch), (case, shape, kind, steps)


# -- 3: sparse weights ------------------------------------------------------------------------

def _sparse_outcome(L, fn):
    """``fn``'s outcome, a message cut at PyTorch's "This could be because" (ember says what it
    supports instead)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = outcome(L, fn)[0]
    if res[0] != "ok":
        res = (res[0], res[1].split(" This could be")[0])
    return res


def test_sparse_weight_in_embedding_and_normalize():
    W = lambda L: L.arange(12.).reshape(4, 3).to_sparse()  # noqa: E731
    F = lambda L: L.nn.functional  # noqa: E731
    cases = [
        lambda L: F(L).embedding(L.tensor([0, 2, 3]), W(L)),
        lambda L: F(L).embedding(L.tensor([2, 0, 2]), W(L)),
        lambda L: L.embedding(W(L), L.tensor([3, 1])),
        lambda L: F(L).embedding(L.tensor([], dtype=L.long), W(L)),
        lambda L: F(L).embedding(L.tensor([0, 2]), W(L), padding_idx=0),
        lambda L: F(L).embedding(L.tensor([0, 2]), L.arange(12.).reshape(4, 3).to_sparse(1)),
        lambda L: F(L).embedding(L.tensor([[0, 2], [3, 3]]), W(L)),
        lambda L: F(L).embedding(L.tensor(1), W(L)),
        lambda L: F(L).embedding(L.tensor([0, 5]), W(L)),
        lambda L: F(L).embedding(L.tensor([0., 1.]), W(L)),
        lambda L: F(L).embedding(L.tensor([0, 2]), W(L), max_norm=1.0),
        lambda L: F(L).embedding(L.tensor([0, 2]), W(L).requires_grad_()).grad_fn.name(),
        lambda L: F(L).embedding(L.tensor([0, 2]), W(L).requires_grad_()).to_dense().sum()
        .backward(),
        lambda L: F(L).embedding(L.tensor([0, 2]),
                                 L.arange(12.).reshape(4, 3).to_sparse_csr()),
        lambda L: F(L).normalize(W(L), dim=(0, 1)),
        lambda L: F(L).normalize(W(L), dim=1),
        lambda L: L.norm(W(L), dim=(0, 1), keepdim=True),
        lambda L: L.norm(W(L), keepdim=True),
        lambda L: W(L).norm(p=1, dim=1, keepdim=True),
        lambda L: L.norm(W(L), dim=(1, 0)),
    ]
    for i, case in enumerate(cases):
        assert _sparse_outcome(ember, case) == _sparse_outcome(torch, case), i


# -- 5: reductions into an ``out=`` that shares the input's memory -----------------------------

_REDUCTIONS = ("sum", "nansum", "mean", "nanmean", "prod", "amax", "amin", "all", "any",
               "std", "var", "logsumexp", "max", "min")


def _reduce_into_input(L, op, shape, dim, where, dtype, data):
    x = L.tensor(data).reshape(shape)
    if dtype == "bool":
        x = x > 0
    elif dtype == "int64":
        x = (x * 3).to(L.int64)
    else:
        x = x.to(getattr(L, dtype))
    if where == "col":
        out = x[:, 0]
    elif isinstance(dim, tuple):
        out = x[0, 0]
    else:
        out = x.select(dim, where)
    if op in ("max", "min"):
        getattr(L, op)(x, dim, out=(out, L.empty(out.shape, dtype=L.long)))
    else:
        getattr(L, op)(x, dim, out=out)
    return x.tolist()


def test_reductions_into_an_out_sharing_the_inputs_memory():
    rng = np.random.default_rng(5)
    layouts = [((3, 4), 0, 0), ((3, 4), 0, 2), ((3, 4), 1, 0), ((3, 4), 1, 3),
               ((2, 3, 4), 1, 1), ((2, 3, 4), 0, 1), ((2, 3, 4), 2, 2), ((2, 3, 4), (0, 1), 0),
               ((4, 4), 0, "col"), ((4, 4), 1, "col"), ((5, 2), 0, 4)]
    for op in _REDUCTIONS:
        for shape, dim, where in layouts:
            for dtype in ("float32", "float64", "int64", "bool"):
                if (dtype == "bool") != (op in ("all", "any")) and not (
                        dtype == "bool" and op in ("amax", "amin")):
                    continue
                if dtype == "int64" and op not in ("sum", "prod", "amax", "amin", "max",
                                                   "min"):
                    continue
                if op in ("max", "min") and (isinstance(dim, tuple) or where == "col"):
                    continue  # (max/min's column case: per output in turn, not reproduced)
                data = rng.standard_normal(int(np.prod(shape))).tolist()
                args = (op, shape, dim, where, dtype, data)
                want = outcome(torch, lambda L: _reduce_into_input(L, *args))[0]
                got = outcome(ember, lambda L: _reduce_into_input(L, *args))[0]
                assert got == want, args[:5]


def test_mode_refuses_an_out_overlapping_its_input():
    def run(L, dim, which):
        x = L.arange(12.).reshape(3, 4)
        out = x[which] if dim == 0 else x[:, which]
        return L.mode(x, dim, out=(out, L.empty(out.shape, dtype=L.long)))
    for dim, which in ((0, 0), (0, 2), (1, 1)):
        assert outcome(ember, lambda L: run(L, dim, which))[0] == \
            outcome(torch, lambda L: run(L, dim, which))[0]


# -- 6: float16/bfloat16 addmv ----------------------------------------------------------------

def test_half_addmv_rounds_as_pytorchs_gemv():
    rng = np.random.default_rng(6)
    for case in range(126):
        dtype = ("bfloat16", "float16")[case % 2]
        n = int(rng.integers(1, 9))
        m = (1, 2, 5, 17, 40, 100)[case % 6]
        beta, alpha = ((0.5, 2), (0.3, 1.7), (1, 2.5), (2, 1), (0.1, 0.7), (0, 1.3),
                       (0.7, 1))[case % 7]
        column_major = case % 3 == 0
        data = [rng.standard_normal(k).astype(np.float32) for k in (n, n * m, m)]

        def run(L):
            dt = getattr(L, dtype)
            b, A, v = (L.from_numpy(a.copy()).to(dt) for a in data)
            A = A.reshape(n, m)
            if column_major:
                A = A.t().contiguous().t()
            return L.addmv(b, A, v, beta=beta, alpha=alpha).float().numpy()
        np.testing.assert_array_equal(run(ember), run(torch), err_msg=str((case, n, m)))


def test_half_addmv_variants():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((6, 5)).astype(np.float32)
    v = rng.standard_normal(5).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    cases = [
        lambda L: L.addmv(L.tensor(b[:1]).bfloat16(), L.tensor(a).bfloat16(),
                          L.tensor(v).bfloat16(), beta=0.3, alpha=1.9),
        lambda L: L.addmv(L.tensor(b[0]).half(), L.tensor(a).half().t().contiguous().t(),
                          L.tensor(v).half(), beta=-1.5, alpha=0.3),
        lambda L: L.tensor(b).bfloat16().addmv(L.tensor(a).bfloat16(), L.tensor(v).bfloat16(),
                                               beta=0.5, alpha=2),
        lambda L: L.tensor(b).bfloat16().addmv_(L.tensor(a).bfloat16()[:, :1],
                                                L.tensor(v).bfloat16()[:1], beta=0.5, alpha=3),
        lambda L: L.addmv(L.tensor(b[:5]).bfloat16(), L.tensor(a).bfloat16()[::2].t(),
                          L.tensor(b[:3]).bfloat16(), beta=0.25, alpha=-1.1),
    ]
    for i, case in enumerate(cases):
        np.testing.assert_array_equal(case(ember).float().numpy(),
                                      case(torch).float().numpy(), err_msg=str(i))


# -- 7: fused optimizers pair elements by memory ---------------------------------------------

def test_fused_optimizers_walk_memory():
    rng = np.random.default_rng(8)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    g = rng.standard_normal((4, 3)).astype(np.float32)
    big = rng.standard_normal((4, 6)).astype(np.float32)
    for kind in ("Adam", "AdamW", "SGD", "Adagrad"):
        for layout in ("paramT", "gradT", "bothT", "slice", "contiguous"):
            for dtype in ("float32", "float64", "bfloat16"):
                if dtype != "float32" and (kind == "SGD" or layout != "paramT"):
                    continue  # (ember's fused SGD skips half types: see _fused_cpu)

                def run(L):
                    dt = getattr(L, dtype)
                    if layout == "paramT":
                        p, grad = L.tensor(w).to(dt).t(), lambda i: L.tensor(g).to(dt) * (i + 1)
                    elif layout == "gradT":
                        p = L.tensor(w).to(dt)
                        grad = lambda i: L.tensor(g).to(dt).t() * (i + 1)  # noqa: E731
                    elif layout == "bothT":
                        p = L.tensor(w).to(dt).t()
                        grad = lambda i: (L.tensor(w).to(dt) * (i + 1)).t()  # noqa: E731
                    elif layout == "slice":
                        p, grad = L.tensor(big).to(dt)[:, :3], lambda i: L.tensor(g).to(dt) * i
                    else:
                        p, grad = L.tensor(w).to(dt), lambda i: L.tensor(w).to(dt) * (i - 1)
                    p = L.nn.Parameter(p)
                    kw = {"lr": 0.1, "fused": True}
                    if kind == "SGD":
                        kw["momentum"] = 0.9
                    if kind in ("Adam", "AdamW"):
                        kw["weight_decay"] = 0.01
                    opt = getattr(L.optim, kind)([p], **kw)
                    for i in range(3):
                        p.grad = grad(i)
                        opt.step()
                    state = {k: v.float().numpy() for k, v in opt.state[p].items()
                             if k != "step"}
                    return p.detach().float().numpy(), state
                (pe, se), (pt, st) = run(ember), run(torch)
                np.testing.assert_array_equal(pe, pt, err_msg=str((kind, layout, dtype)))
                assert se.keys() == st.keys()
                for k in se:
                    np.testing.assert_array_equal(se[k], st[k], err_msg=str((kind, layout, k)))


# -- 4: gradients through in-place ops on a view whose elements share memory ----------------

def _overlapped_inplace(L, op, geometry, seed):
    rng = np.random.default_rng(seed)
    (rows, cols), (s0, s1) = geometry
    n = (rows - 1) * s0 + (cols - 1) * s1 + 1
    base = L.tensor(rng.uniform(0.5, 2.0, n)).requires_grad_()
    src = L.tensor(rng.uniform(-1.0, 2.5, (2, cols))).requires_grad_()
    b = base.clone()
    v = b.as_strided((rows, cols), (s0, s1))
    idx = L.tensor([0, rows - 1])
    sidx = L.tensor(rng.integers(0, rows, (2, cols)))
    kind, how = op
    if kind == "index_reduce":
        v.index_reduce_(0, idx, src, how)
    elif kind == "scatter_reduce":
        v.scatter_reduce_(0, sidx, src, how)
    elif kind == "scatter_reduce_noself":
        v.scatter_reduce_(0, sidx, src, how, include_self=False)
    elif kind == "renorm":
        v.renorm_(2, 0, 1.5)
    elif kind == "index_add":
        v.index_add_(0, idx, src, alpha=0.5)
    elif kind == "index_copy":
        v.index_copy_(0, idx, src)
    elif kind == "scatter_add":
        v.scatter_add_(0, sidx, src)
    version = b._version
    (b * L.arange(1., n + 1, dtype=L.float64)).sum().backward()
    return b.tolist(), base.grad.tolist(), src.grad.tolist(), version


def test_grads_through_inplace_ops_on_overlapping_views():
    # (not here: ``include_self=False``, whose values ember does not write in PyTorch's order)
    ops = [("index_reduce", r) for r in ("prod", "amax", "amin", "mean")] + \
        [("scatter_reduce", r) for r in ("sum", "prod", "mean", "amax", "amin")] + \
        [("renorm", None), ("index_add", None), ("index_copy", None), ("scatter_add", None)]
    geometries = [((4, 3), (2, 1)), ((3, 4), (1, 1)), ((3, 3), (1, 2)), ((5, 2), (1, 3))]
    for k, op in enumerate(ops):
        for g, geometry in enumerate(geometries):
            args = (op, geometry, 10 * k + g)
            want = outcome(torch, lambda L: _overlapped_inplace(L, *args))[0]
            got = outcome(ember, lambda L: _overlapped_inplace(L, *args))[0]
            assert got == want, args


def test_mean_reductions_into_overlapping_views_without_grad():
    def run(L, kind, geometry, seed):
        rng = np.random.default_rng(seed)
        (rows, cols), (s0, s1) = geometry
        n = (rows - 1) * s0 + (cols - 1) * s1 + 1
        b = L.tensor(rng.uniform(0.5, 2.0, n), dtype=L.float32)
        v = b.as_strided((rows, cols), (s0, s1))
        src = L.tensor(rng.uniform(-1.0, 2.5, (3, cols)), dtype=L.float32)
        if kind == "index":
            v.index_reduce_(0, L.tensor([0, rows - 1, 0]), src, "mean")
        else:
            v.scatter_reduce_(0, L.tensor(rng.integers(0, rows, (3, cols))), src, "mean")
        return b.tolist(), b._version
    for seed, geometry in enumerate([((4, 3), (2, 1)), ((3, 4), (1, 1)), ((3, 3), (1, 2)),
                                     ((2, 5), (2, 1)), ((4, 2), (1, 1))]):
        for kind in ("index", "scatter"):
            args = (kind, geometry, seed)
            assert outcome(ember, lambda L: run(L, *args))[0] == \
                outcome(torch, lambda L: run(L, *args))[0], args
