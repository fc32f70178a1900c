"""Leftovers of earlier probe rounds (task C): ``out=`` pairs and scans aliasing their input
(``kthvalue``/``median`` refusals, ``cumsum(x, 0, out=x[0])`` resized onto ``x``), deep copies
of empty views and of parameters, channels-last strides of empty tensors, prod's gradient at
zeros, SGD's multi-tensor and differentiable trajectories, sparse compressed parameters in the
optimizers (SGD's steps, the others' refusals, ``.grad`` layouts and accumulation) and the
index stride of a coalesced COO tensor."""
from __future__ import annotations

import copy
import itertools
import pickle
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def run(lib, code):
    """``r`` after ``code`` runs with ``torch`` bound to ``lib`` (its str, or the error's type
    and message), with the warnings it raised."""
    env = {"torch": lib, "np": np}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(code, env)
            out = "ok " + str(env["r"])
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            out = f"{type(e).__name__}: {e}"
    return out, [(w.category.__name__, str(w.message)) for w in caught]


def agree(code):
    want, got = run(torch, code), run(ember, code)
    assert got == want, code


def _outcome(lib, fn, n=120):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", fn(lib)
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            return type(e).__name__, str(e)[:n]


def same_outcome(fn, n=120):
    assert _outcome(ember, fn, n) == _outcome(torch, fn, n)


# -- 1, 2: ``out=`` sharing the input's memory ------------------------------------------------

_X = "x = torch.tensor([[3., 1, 2], [0, 5, 4]]); i = torch.empty(0, dtype=torch.long)\n"


def test_pair_out_overlap_refusals():
    cases = [
        "torch.kthvalue(x, 2, 1, out=(x, i)); r = (x, i)",
        "torch.kthvalue(x, 2, 1, keepdim=True, out=(x, i)); r = (x, i)",
        "torch.kthvalue(x, 2, 1, out=(x[0], i)); r = (x, i)",
        "torch.kthvalue(x, 1, 0, out=(x[0], i)); r = (x, i)",
        "torch.kthvalue(x, 1, 1, out=(x[1, 1:], i)); r = (x, i)",
        "torch.kthvalue(x.t(), 1, 0, out=(x[0, :2], i)); r = (x, i)",
        "torch.kthvalue(x[:, ::2], 1, 1, out=(x[0, :2], i)); r = (x, i)",  # (not dense: passes)
        "torch.kthvalue(x, 2, 0, keepdim=True, out=(x[:, 0], i)); r = (x, i)",
        "torch.median(x, 0, out=(x[:, 0], i)); r = (x, i)",
        "torch.median(x, 0, out=(x[:, 1:], i)); r = (x, i)",  # (a stride over 1: a copy read)
        "torch.median(x.t(), 0, out=(x[0, :2], i)); r = (x, i)",
        "torch.median(x, -1, out=(x[1], i)); r = (x, i)",
        "x = x.view(-1); torch.median(x[:3], 0, keepdim=True, out=(x[2:3], i)); r = (x, i)",
        "x = x.view(-1); torch.nanmedian(x[:3], 0, out=(x[3], i)); r = (x, i)",
        "x = x.view(-1); torch.median(x[2], 0, out=(x[2], i)); r = (x, i)",
        "y = torch.zeros(9); torch.median(x, 1, out=(y[:1], i)); r = (x, i, y)",
        "torch.kthvalue(x[0, 1:2], 1, 0, keepdim=True, out=(x[0, 1:2], i)); r = (x, i)",
        "torch.kthvalue(x[0, 1], 1, 0, out=(x[0, 1], i)); r = (x, i)",
        "torch.kthvalue(x[0], 1, 0, out=(x[1, 0], i)); r = (x, i)",
        "torch.kthvalue(x, 2, 1, out=(x[0], i.int())); r = (x, i)",
        "torch.kthvalue(x, 5, 1, out=(x[0], i)); r = (x, i)",
        "x = x.long(); v = torch.zeros(2, dtype=torch.long); "
        "torch.kthvalue(x, 1, 1, out=(v, x[0, :2])); r = (x, v)",  # (indices: not checked)
        "torch.median(x, 1, out=(x[0, :2], i)); r = (x, i)",
        "torch.nanmedian(x, 1, out=(x[0, :2], i)); r = (x, i)",
        "torch.median(x, 1, out=(x[0], i)); r = (x, i)",
        "torch.median(x, 1, out=(x[0], i.int())); r = (x, i)",
        "torch.median(x, 1, out=(x[:, 0], i)); r = (x, i)",
        "x = x.long(); v = torch.zeros(2, dtype=torch.long); "
        "torch.median(x, 1, out=(v, x[0, :2])); r = (x, v)",
        "x = x[:, :1].clone(); torch.median(x, 1, keepdim=True, out=(x, i)); r = (x, i)",
        "x = x[:, :1].clone(); torch.nanmedian(x, 1, keepdim=True, out=(x, i)); r = (x, i)",
        "y = x.clone(); torch.median(x, 1, out=(y, i)); r = (x, i, y)",
    ]
    for c in cases:
        agree(_X + c)


def test_scans_and_sorts_resized_onto_their_input():
    cases = [
        "torch.cumsum(x, 0, out=x[0]); r = x",
        "torch.cumsum(x, 0, out=x[1]); r = x",
        "torch.cumprod(x, 1, out=x[0]); r = x",
        "torch.logcumsumexp(x, 1, out=x[0]); r = x",
        "torch.cumsum(x, 1, out=x[:, 0]); r = x",
        "torch.cumsum(x, 0, out=x[0, :2]); r = x",
        "torch.cumsum(x, 0, dtype=torch.float64, out=x[0]); r = x",
        "torch.cumsum(x[:, :2], 0, out=x[0]); r = x",
        "torch.cumsum(x[0], 0, out=x[:, :1]); r = x",
        "torch.cumsum(x[1], 0, out=x[:, :2]); r = x",
        "x = x.t(); torch.cumsum(x, 0, out=x[0]); r = x",
        "torch.sort(x, 1, out=(x[0], i)); r = (x, i)",
        "torch.sort(x, 0, out=(x[1], i)); r = (x, i)",
        "torch.sort(x, 0, out=(x[:, 0], i)); r = (x, i)",
        "torch.msort(x, out=x[0]); r = x",
        "torch.msort(x, out=x[1]); r = x",
        "x = torch.tensor([3., 1, 2, 0, 5, 4]); "
        "torch.cumsum(x[:4].view(2, 2), 0, out=x[2:6].view(2, 2)); r = x",
    ]
    for c in cases:
        agree(_X + c)


def test_out_pairs_aliasing_a_same_shaped_input_sweep():
    rng = np.random.default_rng(14)
    ops = {
        "max": "torch.max(x, d, keepdim=True, out=OUT)",
        "min": "torch.min(x, d, keepdim=True, out=OUT)",
        "mode": "torch.mode(x, d, keepdim=True, out=OUT)",
        "median": "torch.median(x, d, keepdim=True, out=OUT)",
        "nanmedian": "torch.nanmedian(x, d, keepdim=True, out=OUT)",
        "kthvalue": "torch.kthvalue(x, 1, d, keepdim=True, out=OUT)",
        "cummax": "torch.cummax(x, d, out=OUT)",
        "cummin": "torch.cummin(x, d, out=OUT)",
        "sort": "torch.sort(x, d, out=OUT)",
        "aminmax": "torch.aminmax(x, dim=d, keepdim=True, out=OUT)",
    }
    for name, tmpl in ops.items():
        for shape, d in [((4, 1), 1), ((1, 5), 0), ((4, 5), 1), ((3, 4), 0)]:
            if name not in ("cummax", "cummin", "sort") and shape[d] != 1:
                continue
            for dt, out in itertools.product(("long", "float"), ("(x, i)", "(v, x)", "(x, x)")):
                a = rng.integers(0, 4, size=shape).tolist()
                idx = "x.dtype" if name == "aminmax" else "torch.long"
                code = (f"x = torch.tensor({a}).{dt}(); i = torch.zeros(x.shape, dtype={idx}); "
                        f"v = torch.zeros(x.shape, dtype=x.dtype); d = {d}\n"
                        f"{tmpl.replace('OUT', out)}; r = (x, i, v)")
                agree(code)


def test_out_that_is_the_input_resized_first():
    """An ``out=`` tensor that is the input itself, of another shape: resized (warning) before
    the op reads it."""
    cases = [
        "torch.max(x, 1, keepdim=True, out=(x, i)); r = (x, i)",
        "torch.max(x, 1, out=(x, i)); r = (x, i)",
        "torch.aminmax(x, out=(x, v)); r = (x, v)",
        "torch.topk(x, 2, 1, out=(x, i)); r = (x, i)",
        "torch.topk(x, 4, 1, out=(x, i)); r = (x, i)",
        "torch.median(x, 1, out=(x, i)); r = (x, i)",
        "torch.nanmedian(x, 0, out=(x, i)); r = (x, i)",
        "torch.median(x, 0, keepdim=False, out=(x, i)); r = (x, i)",
        "torch.nanmedian(x, -1, out=(x, i)); r = (x, i)",
        "x = x.view(1, 2, 3); torch.median(x, 2, out=(x, i)); r = (x, i)",
        "x = x.view(1, 2, 3); torch.median(x, 1, out=(x, i)); r = (x, i)",
        "x = x.long(); torch.median(x, 1, out=(v.long(), x)); r = x",
        "x = x[0].clone(); torch.median(x, 0, out=(x, i)); r = (x, i)",
        "x = x[0].clone(); torch.median(x, 0, keepdim=True, out=(x, i)); r = (x, i)",
        "b = torch.arange(9.).reshape(3, 3); x = b; torch.topk(x, 2, 1, out=(b, i)); r = b",
        "b = torch.arange(9.).reshape(3, 3); x = b[1:]; torch.min(x, 0, out=(b, i)); r = b",
        "b = torch.arange(9.).reshape(3, 3); x = b.view(-1)[1:4]; torch.max(x, 0, out=(b[0], i))"
        "; r = b",
        "b = torch.arange(9.).reshape(3, 3); x = b.view(-1)[:3]; torch.max(x, 0, out=(b, i)); "
        "r = b",
    ]
    for c in cases:
        agree("x = torch.tensor([[3., 1, 2], [0, 5, 4]]); i = torch.empty(0, dtype=torch.long); "
              "v = torch.empty(0)\n" + c)
    rng = np.random.default_rng(12)
    ops = ["torch.max(x, D, KD out=OUT)", "torch.min(x, D, KD out=OUT)",
           "torch.aminmax(x, dim=D, KD out=OUT)", "torch.sort(x, D, out=OUT)",
           "torch.topk(x, 2, D, out=OUT)", "torch.cummax(x, D, out=OUT)",
           "torch.kthvalue(x, 1, D, KD out=OUT)"]
    for _ in range(120):
        op = ops[rng.integers(len(ops))]
        shape = [(2, 3), (3, 2), (3, 3), (4,), (2, 2, 2), (1, 3)][rng.integers(6)]
        d = int(rng.integers(-len(shape), len(shape)))
        kd = "keepdim=True," if rng.random() < .5 else ""
        dt = "float" if rng.random() < .7 else "long"
        out = ("(x, i)", "(v, x)" if dt == "long" else "(x, i)",
               "(x, x)" if dt == "long" else "(x, i)")[rng.integers(3)]
        if "aminmax" in op:
            out = "(x, v)" if rng.random() < .5 else "(v, x)"
        a = rng.integers(0, 5, size=shape).tolist()
        agree(f"x = torch.tensor({a}).{dt}(); i = torch.empty(0, dtype=torch.long); "
              "v = torch.empty(0, dtype=x.dtype)\n"
              f"res = {op.replace('D', str(d)).replace('KD ', kd).replace('OUT', out)}; "
              "r = (x, i, v)")


def test_sort_into_one_memory():
    cases = [
        "torch.sort(x, 1, out=(x, x)); r = x",
        "torch.sort(x, 1, descending=True, out=(x, x)); r = x",
        "torch.sort(x, 0, descending=True, out=(x, x)); r = x",
        "r = torch.sort(x, 0, True, out=(x, x))",
        "r = (torch.sort(x, True, out=(x, x)), x)",
        "w = torch.empty(2, 3, dtype=torch.long); r = (torch.sort(x, dim=0, out=(w, w)), x)",
        "w = torch.empty(0, dtype=torch.long); r = (torch.sort(x, dim=0, out=(w, w)), x)",
        "r = (torch.sort(x.t(), dim=0, out=(x.t(), x.t())), x)",
        "x = torch.tensor(5); r = (torch.sort(x, out=(x, x)), x)",
        "v = torch.empty(0, dtype=torch.long); r = (torch.sort(x, 1, out=(v, x)), x)",
        "r = (torch.topk(x, 3, 1, out=(x, x)), x)",
        "r = (torch.cummax(x, 1, out=(x, x)), x)",
    ]
    for c in cases:
        agree("x = torch.tensor([[3, 1, 2], [0, 5, 4]])\n" + c)


# -- 3: empty tensors' strides and offsets ----------------------------------------------------

def _geometry(t):
    return (tuple(t.shape), t.stride(), t.storage_offset(), t.untyped_storage().nbytes())


def test_deepcopy_and_pickle_of_empty_views():
    makers = [
        lambda L: L.arange(10.)[3:3],
        lambda L: L.arange(10.)[10:],
        lambda L: L.zeros(0, 3).t(),
        lambda L: L.zeros(4, 3)[:, 1:1],
        lambda L: L.zeros(4, 3)[2:2, 1:],
        lambda L: L.zeros(4, 3).t()[1:1],
        lambda L: L.zeros(4, 3, dtype=L.complex64)[1:1],
        lambda L: L.zeros(0, 3, 4, 5).permute(0, 2, 3, 1),
        lambda L: L.zeros(2, 3, 0, 5).permute(0, 2, 3, 1),
        lambda L: L.as_strided(L.zeros(3), (0, 2), (0, 0)),
        lambda L: L.from_numpy(np.zeros((0, 2))),
        lambda L: L.arange(10.)[5:],
    ]
    for make in makers:
        same_outcome(lambda L: _geometry(copy.deepcopy(make(L))))
        same_outcome(lambda L: _geometry(pickle.loads(pickle.dumps(make(L)))))
        same_outcome(lambda L: _geometry(L.nn.Parameter(make(L)).__deepcopy__({})))

    def shared(L):  # (one storage copied once: the empty view still on it)
        x = L.zeros(5)
        y, a = copy.deepcopy([x, x[2:2]])
        y[2:3] = 7
        return (a.storage_offset(), a.untyped_storage().nbytes(),
                a.untyped_storage().data_ptr() == y.untyped_storage().data_ptr(), str(y))
    same_outcome(shared)


def test_parameter_deepcopy_keeps_layout():
    makers = [
        lambda L: L.zeros(0, 3).t(),
        lambda L: L.zeros(4, 3).t(),
        lambda L: L.arange(10.)[2:8:2],
        lambda L: L.arange(6.).view(2, 3)[:, ::2],
        lambda L: L.zeros(2, 3, 4, 5).to(memory_format=L.channels_last),
        lambda L: L.empty(0, 3, 4, 5, memory_format=L.channels_last),
        lambda L: L.tensor([1 + 2j, 3j]).conj(),
    ]
    for make in makers:
        for rg in (True, False):
            same_outcome(lambda L: (
                lambda p: (_geometry(p), str(p), type(p).__name__, p.requires_grad, p.is_leaf,
                           p.grad_fn))(copy.deepcopy(L.nn.Parameter(make(L), rg))))


def test_empty_channels_last_strides():
    shapes = [(0, 3, 4, 5), (2, 0, 4, 5), (2, 3, 0, 5), (2, 3, 4, 0), (0, 1, 1, 1), (1, 1, 1, 0),
              (0, 0, 0, 0)]
    shapes3d = [(2, 0, 4, 5, 3), (2, 3, 0, 5, 1), (0, 3, 2, 2, 2)]
    for shape in shapes + shapes3d:
        def cl(L, shape=shape):
            return L.channels_last if len(shape) == 4 else L.channels_last_3d
        for dt in ("float32", "float64", "int8"):
            same_outcome(lambda L: (lambda x: (x.stride(), x.is_contiguous(),
                                               x.is_contiguous(memory_format=cl(L))))(
                L.empty(shape, dtype=getattr(L, dt), memory_format=cl(L))))
        fns = [
            lambda x, L: x.is_contiguous(memory_format=cl(L)),
            lambda x, L: x.contiguous(memory_format=cl(L)).stride(),
            lambda x, L: x.to(memory_format=cl(L)).stride(),
            lambda x, L: x.clone(memory_format=cl(L)).stride(),
            lambda x, L: L.empty_like(x, memory_format=cl(L)).stride(),
            lambda x, L: L.zeros_like(x, memory_format=cl(L)).stride(),
            lambda x, L: copy.deepcopy(x.to(memory_format=cl(L))).stride(),
            lambda x, L: pickle.loads(pickle.dumps(x.to(memory_format=cl(L)))).stride(),
            lambda x, L: x.to(memory_format=cl(L)).clone().stride(),
            lambda x, L: x.to(memory_format=cl(L)).contiguous().stride(),
            lambda x, L: x.to(memory_format=cl(L)).float().stride(),
            lambda x, L: L.empty_like(x.to(memory_format=cl(L))).stride(),
            lambda x, L: x.to(memory_format=cl(L)).clone(
                memory_format=L.contiguous_format).stride(),
        ]
        for fn in fns:
            same_outcome(lambda L: fn(L.empty(shape), L))


# -- 4: prod's gradient at zeros --------------------------------------------------------------

def _bits_nan_blind(a):
    a = np.asarray(a)
    return np.isnan(a).tobytes() + np.where(np.isnan(a), 7, a).tobytes()


def test_prod_gradient_zero_signs():
    rng = np.random.default_rng(4)
    values = [0., -0., 1., -2., 0.5, 3., -1.5, np.inf, -np.inf, np.nan]
    for _ in range(50):
        shape = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(0, 4)))
        arr = rng.choice(values, p=[.2, .2, .1, .1, .1, .1, .1, .04, .03, .03], size=shape)
        dim = None if rng.random() < 0.3 or not shape else int(rng.integers(-len(shape),
                                                                              len(shape)))
        keep = bool(rng.random() < .5)
        n = 1 if dim is None else int(np.prod(shape)) // shape[dim]
        g = rng.choice([1., -1., 0., -0., 2.5, -3.], size=n)
        for dt in ("float64", "float32"):
            out = []
            for L in (torch, ember):
                x = L.tensor(arr, dtype=getattr(L, dt), requires_grad=True)
                y = x.prod() if dim is None else x.prod(dim, keepdim=keep)
                y.backward(L.tensor(g.reshape(tuple(y.shape)), dtype=getattr(L, dt)))
                out.append(_bits_nan_blind(x.grad.numpy()))
            assert out[0] == out[1], (arr.tolist(), dim, keep, dt)


# -- 5: SGD's update paths, bit for bit -------------------------------------------------------

def _sgd_trajectory(L, cfg, dt, seed):
    rng = np.random.default_rng(seed)
    ps = [L.tensor(rng.standard_normal(s), dtype=dt) for s in [(3, 4), (5,)]]
    if not cfg["differentiable"]:  # (a differentiable step refuses leaves that require grad)
        ps = [L.nn.Parameter(p) for p in ps]
    opt = L.optim.SGD(ps, **cfg)
    out = []
    for _ in range(3):
        for p in ps:
            p.grad = L.tensor(rng.standard_normal(tuple(p.shape)), dtype=dt)
        opt.step()
        out.append(b"".join(p.detach().numpy().tobytes() for p in ps))
    return out


def test_sgd_foreach_and_differentiable_trajectories():
    n = 0
    for mom, damp, nest, wd, maxi, fe, diff in itertools.product(
            [0, 0.9], [0, 0.3], [False, True], [0, 0.1], [False, True], [None, True, False],
            [False, True]):
        if nest and (mom == 0 or damp != 0) or (fe is None and diff):
            continue
        cfg = dict(lr=0.1, momentum=mom, dampening=damp, nesterov=nest, weight_decay=wd,
                   maximize=maxi, foreach=fe, differentiable=diff)
        n += 1
        dt = ("float64", "float32")[n % 2]
        assert _sgd_trajectory(ember, cfg, getattr(ember, dt), n) == \
            _sgd_trajectory(torch, cfg, getattr(torch, dt), n), (cfg, dt)


# -- 6: sparse compressed parameters in the optimizers ----------------------------------------

_CONV = {"csr": lambda t: t.to_sparse_csr(), "csc": lambda t: t.to_sparse_csc(),
         "bsr": lambda t: t.to_sparse_bsr((1, 1)), "bsc": lambda t: t.to_sparse_bsc((1, 1))}


def _compressed_sgd(L, cfg, dt, seed, same_pattern, steps=3):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((4, 6)) * (rng.random((4, 6)) < .5)
    p = L.nn.Parameter(L.tensor(a, dtype=dt).to_sparse_csr())
    opt = L.optim.SGD([p], **cfg)
    out = []
    for _ in range(steps):
        g = rng.standard_normal((4, 6)) * ((a != 0) if same_pattern else
                                           (rng.random((4, 6)) < .5))
        p.grad = L.tensor(g, dtype=dt).to_sparse_csr()
        opt.step()
        out.append((p.detach().to_dense().numpy().tobytes(), p._nnz(), str(p.layout)))
    buf = opt.state[p].get("momentum_buffer")
    return out, None if buf is None else (buf.to_dense().numpy().tobytes(), buf._nnz())


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta state")
def test_sgd_on_compressed_parameters():
    n = 0
    for mom, damp, nest, wd, maxi, fe, same_pattern in itertools.product(
            [0, 0.9], [0, 0.3], [False, True], [0, 0.1], [False, True], [None, True],
            [True, False]):
        if nest and (mom == 0 or damp != 0):
            continue
        cfg = dict(lr=0.1, momentum=mom, dampening=damp, nesterov=nest, weight_decay=wd,
                   maximize=maxi, foreach=fe)
        n += 1
        dt = "float64" if n % 2 else "float32"
        assert _compressed_sgd(ember, cfg, getattr(ember, dt), n, same_pattern) == \
            _compressed_sgd(torch, cfg, getattr(torch, dt), n, same_pattern), (cfg, dt)


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta state")
def test_compressed_add_rounds_once():
    rng = np.random.default_rng(6)
    for t in range(60):
        a = rng.standard_normal((4, 6)) * (rng.random((4, 6)) < .5)
        b = rng.standard_normal((4, 6)) * ((a != 0) if t % 2 else (rng.random((4, 6)) < .5))
        alpha = float(rng.choice([-0.1, 0.3, 1.0, -1.0, 0.7]))
        dt = ("float64", "float32")[t % 2]
        out = []
        for L in (torch, ember):
            x = L.tensor(a, dtype=getattr(L, dt)).to_sparse_csr()
            y = L.tensor(b, dtype=getattr(L, dt)).to_sparse_csr()
            s = x.add(y, alpha=alpha)
            x.add_(y, alpha=alpha)
            out.append((s.to_dense().numpy().tobytes(), s._nnz(),
                        x.to_dense().numpy().tobytes(), x._nnz()))
        assert out[0] == out[1], (t, alpha, dt)


def test_compressed_add_refusals():
    d = [[1., 0, 2], [0, 3, 0]]
    cases = [
        lambda L: L.tensor(d).to_sparse_csc().add(L.tensor(d).to_sparse_csc(), alpha=0.5),
        lambda L: L.tensor(d).to_sparse_csc().add_(L.tensor(d).to_sparse_csc()),
        lambda L: L.tensor(d).to_sparse_csc().add(L.tensor(d).to_sparse_csr()),
        lambda L: L.tensor(d).to_sparse_csr().add(L.tensor(d).to_sparse_csc()),
        lambda L: L.tensor(d).to_sparse_bsc((1, 1)).add(L.tensor(d).to_sparse_bsc((1, 1))),
        lambda L: L.tensor(d).long().to_sparse_csr().add(L.tensor(d).long().to_sparse_csr()),
        lambda L: L.tensor(d).int().to_sparse_csr() + L.tensor(d).int().to_sparse_csr(),
        lambda L: L.tensor(d).to_sparse_csr().add(L.tensor(d).long().to_sparse_csr(), alpha=3),
        lambda L: L.tensor(d).to_sparse_csr().add(L.tensor(d).double().to_sparse_csr()),
        lambda L: L.tensor(d).bool().to_sparse_csr() + L.tensor(d).bool().to_sparse_csr(),
        lambda L: L.tensor(d).to_sparse_csr().add(L.zeros(3, 3).to_sparse_csr()),
        lambda L: L.tensor(d).to_sparse_csc().add(L.zeros(3, 3).to_sparse_csr()),
    ]
    for fn in cases:
        same_outcome(lambda L: str(fn(L)))
    for lay, dt in itertools.product(_CONV, ("bool", "long", "float", "double")):
        def twice(L):  # (a tensor added to itself: its values alone, any layout or dtype)
            p = _CONV[lay](getattr(L.tensor(d), dt)())
            return str((p + p, p.add(p, alpha=2), p.add(p, alpha=0.1) if dt in (
                "float", "double") else None))
        same_outcome(twice, 2000)

    def grads(L):
        p = L.tensor(d).to_sparse_csr().requires_grad_()
        q = p.add(p, alpha=0.5)
        q.to_dense().sum().backward()
        return str((q, p.grad))
    same_outcome(grads, 2000)


def test_other_optimizers_refuse_compressed_parameters():
    names = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Rprop", "Adagrad",
             "Adadelta", "ASGD", "Adafactor", "LBFGS", "SparseAdam"]
    for name, lay in itertools.product(names, _CONV):
        for kw in ({}, {"foreach": True}, {"foreach": False}):
            if name in ("SparseAdam", "LBFGS") and kw:
                continue

            def step(L):
                p = L.nn.Parameter(_CONV[lay](L.tensor([[1., 0, 2], [0, 3, 0]])))
                opt = getattr(L.optim, name)([p], lr=0.1, **kw)
                p.grad = _CONV[lay](L.tensor([[1., 0, 1], [0, 1, 0]]))
                opt.step((lambda: L.tensor(1.)) if name == "LBFGS" else None)
                return str(p)
            same_outcome(step, 90)


def test_grad_layouts_and_accumulation():
    d = [[1., 0, 2], [0, 3, 0]]
    lays = {"dense": lambda t: t, "coo": lambda t: t.to_sparse(), **_CONV}
    for pl, gl in itertools.product(lays, lays):
        def assign(L):
            p = L.nn.Parameter(lays[pl](L.tensor(d)))
            p.grad = lays[gl](L.tensor(d))
            return str(p.grad.layout)
        same_outcome(assign)
    scripts = [
        "p = torch.nn.Parameter(torch.tensor(D).to_sparse_csr()); (p.to_dense() * 2).sum()"
        ".backward(); (p.to_dense() * 3).sum().backward(); r = p.grad",
        "p = torch.nn.Parameter(torch.tensor(D).to_sparse_csr()); (p.to_dense() * 2).sum()"
        ".backward(); p.grad.zero_(); (p.to_dense() * 3).sum().backward(); r = p.grad",
        "p = torch.nn.Parameter(torch.tensor(D).to_sparse_csr()); p.grad = torch.ones(2, 3)"
        ".to_sparse_csr(); (p.to_dense() * 3).sum().backward(); r = p.grad",
        "p = torch.nn.Parameter(torch.tensor(D).to_sparse_csr()); (p.to_dense() * 3).sum()"
        ".backward(); (p @ torch.ones(3, 2)).sum().backward(); r = p.grad",
        "p = torch.nn.Parameter(torch.tensor(D).to_sparse_csr()); (p @ torch.ones(3, 2)).sum()"
        ".backward(); (p.to_dense() * 3).sum().backward(); r = p.grad",
        "p = torch.nn.Parameter(torch.tensor(D).to_sparse_csr()); l = (p.to_dense() * 3).sum();"
        " l.backward(create_graph=True); (p.to_dense() * 2).sum().backward(); r = p.grad",
        "p = torch.nn.Parameter(torch.tensor(D).to_sparse_csr()); (p.to_dense() * 2).sum()"
        ".backward(); o = torch.optim.SGD([p], lr=0.1, momentum=0.9); o.step(); "
        "o.zero_grad(set_to_none=False); (p.to_dense() * 3).sum().backward(); o.step(); "
        "r = (p, p.grad, o.state[p])",
    ]
    for s in scripts:
        agree(f"D = {d}\n" + s)


# -- 7: coalesced COO indices -----------------------------------------------------------------

def test_coalesced_index_strides():
    rng = np.random.default_rng(7)
    for t in range(40):
        sd = int(rng.integers(1, 4))
        nnz = int(rng.integers(1, 8))  # (NOTE: an empty one's values keep their strides)
        dense = tuple(int(n) for n in rng.integers(1, 3, size=int(rng.integers(0, 3))))
        idx = rng.integers(0, 3, size=(sd, nnz)).tolist()
        vals = rng.standard_normal((nnz, *dense))
        code = (f"i = torch.tensor({idx}, dtype=torch.long).reshape({sd}, {nnz}); "
                f"v = torch.tensor(np.array({vals.tolist()})).reshape({(nnz, *dense)}); "
                f"s = torch.sparse_coo_tensor(i, v, {(3,) * sd + dense}).coalesce(); "
                "r = (s.indices().stride(), s.values().stride(), s.indices().shape, "
                "s.values().shape, s.indices().is_contiguous(), s.indices(), "
                "s.indices().contiguous().stride(), s._nnz())")
        agree(code)
    agree("i = torch.tensor([[1, 0, 1], [2, 0, 2]]); v = torch.arange(12.).reshape(3, 2, 2)"
          ".transpose(1, 2); s = torch.sparse_coo_tensor(i, v); r = (s._values().stride(), "
          "s.coalesce().values().stride(), s.coalesce().indices().stride())")
