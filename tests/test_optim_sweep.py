"""A differential sweep of ember.optim and ember.optim.lr_scheduler against PyTorch.

Every optimizer with the options users set (tensor learning rates, weight decay, momentum,
amsgrad, maximize, foreach, fused, several parameter groups, a parameter that never gets a
gradient) runs 10 steps on the same parameters with the same gradients in both libraries.
The gradients are computed in NumPy from the current parameters, so any difference comes from
the update arithmetic alone.  Updates without a square root must agree bit for bit; the
others may differ by a few ulps, because PyTorch's CPU ``sqrt`` comes from MKL's vector
library, which is not correctly rounded (NumPy's is).  State dicts (layout, dtypes, values),
state dicts moved between the libraries through files, printing, errors and hooks are
compared too; every learning-rate scheduler's sequence must match exactly.
"""
import io
import warnings

import numpy as np
import pytest

import ember
from ember import _blas

torch = pytest.importorskip("torch")

SHAPES = [(5, 4), (5,), (3, 5), (3,), (2, 2)]  # the last parameter never gets a gradient
NO_SQRT = {"SGD", "Adamax", "ASGD", "Rprop"}  # updates built from +, *, /, fma only


# -- helpers ------------------------------------------------------------------------------------

def ulps(a, b):
    """The largest distance in units in the last place between two float arrays."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    if a.size == 0:
        return 0
    it = np.int32 if a.dtype == np.float32 else np.int64
    ia, ib = a.view(it).astype(np.int64), b.view(it).astype(np.int64)
    top = np.int64(np.iinfo(it).min)
    ia = np.where(ia < 0, top - ia, ia)  # a monotone integer line through +-0
    ib = np.where(ib < 0, top - ib, ib)
    return int(np.max(np.abs(ia.astype(object) - ib.astype(object))))


def start(dtype):
    r = np.random.default_rng(0)
    return [r.standard_normal(s).astype(dtype) for s in SHAPES]


def grad_of(a, r):
    x = a.astype(np.float64)
    return (np.cos(3 * x) + 0.1 * x + 0.3 * r.standard_normal(x.shape)).astype(a.dtype)


def build(lib, name, kw, arrays, groups=None, lr_tensor=False):
    ps = [lib.from_numpy(a.copy()).requires_grad_() for a in arrays]
    kw = dict(kw)
    if lr_tensor:
        kw["lr"] = lib.tensor(kw.get("lr", 0.01))
    if groups:
        params = [dict(params=[ps[j] for j in g["idx"]],
                       **{k: v for k, v in g.items() if k != "idx"}) for g in groups]
    else:
        params = ps
    return ps, getattr(lib.optim, name)(params, **kw)


def steps(lib, ps, opt, n, seed=1):
    r = np.random.default_rng(seed)
    for _ in range(n):
        for p in ps[:-1]:
            p.grad = lib.from_numpy(grad_of(p.detach().numpy(), r))
        opt.step()


def run_pair(name, kw, dtype, groups=None, lr_tensor=False, n=10):
    out = {}
    for lib in (torch, ember):
        ps, opt = build(lib, name, kw, start(dtype), groups, lr_tensor)
        steps(lib, ps, opt, n)
        out[lib.__name__] = (ps, opt)
    return out


def to_lib(x, lib):
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return lib.from_numpy(x.detach().numpy().copy())
    if isinstance(x, dict):
        return {k: to_lib(v, lib) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(to_lib(v, lib) for v in x)
    return x


def assert_state_dicts(se, st, max_ulps):
    """Same layout (keys and their order, types, dtypes, shapes) and values within
    ``max_ulps`` for floating tensors (exactly for the rest)."""
    assert list(se) == list(st) == ["state", "param_groups"]
    assert list(se["state"]) == list(st["state"])
    for k, b in st["state"].items():
        a = se["state"][k]
        assert list(a) == list(b), f"state[{k}] keys {list(a)} != {list(b)}"
        for name, y in b.items():
            x = a[name]
            if isinstance(y, torch.Tensor):
                assert isinstance(x, ember.Tensor), (k, name, type(x))
                assert str(x.dtype) == str(y.dtype), (k, name, x.dtype, y.dtype)
                assert tuple(x.shape) == tuple(y.shape), (k, name)
                if y.is_floating_point():
                    assert ulps(x.numpy(), y.numpy()) <= max_ulps, (k, name)
                else:
                    assert np.array_equal(x.numpy(), y.numpy()), (k, name)
            else:
                assert type(x) is type(y) and x == y, (k, name, x, y)
    assert len(se["param_groups"]) == len(st["param_groups"])
    for ge, gt in zip(se["param_groups"], st["param_groups"]):
        assert list(ge) == list(gt), f"group keys {list(ge)} != {list(gt)}"
        for key, y in gt.items():
            x = ge[key]
            if isinstance(y, torch.Tensor):
                assert isinstance(x, ember.Tensor) and str(x.dtype) == str(y.dtype)
                assert x.item() == y.item(), key
            else:
                assert type(x) is type(y) and x == y, (key, x, y)


def tolerance(name, kw, dtype):
    """Allowed ulps after 10 steps: none without a square root (given BLAS's fused axpy,
    which ember uses for ``add_(alpha=)``); a few where MKL's sqrt rounds differently."""
    if name in NO_SQRT and not kw.get("fused") and _blas.available():
        return 0
    return 1024 if dtype == "float32" else 4096


# -- the options users set, per optimizer -------------------------------------------------------

CONFIGS = {
    "SGD": [dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, dampening=0.3),
            dict(lr=0.1, momentum=0.9, nesterov=True),
            dict(lr=0.1, momentum=0.9, weight_decay=0.05, maximize=True),
            dict(lr=0.05, weight_decay=0.1), dict(lr=0.1, momentum=0.5, fused=True)],
    "Adam": [dict(lr=0.01), dict(lr=0.01, amsgrad=True), dict(lr=0.01, weight_decay=0.1),
             dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, maximize=True),
             dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
             dict(lr=0.01, betas=(0.3, 0.5)), dict(lr=0.01, fused=True)],
    "AdamW": [dict(lr=0.01), dict(lr=0.01, amsgrad=True, weight_decay=0.2),
              dict(lr=0.01, maximize=True)],
    "Adamax": [dict(), dict(lr=0.01, weight_decay=0.1),
               dict(lr=0.01, betas=(0.5, 0.9), maximize=True)],
    "Adadelta": [dict(), dict(lr=0.5, rho=0.8, weight_decay=0.1), dict(maximize=True, eps=1e-4)],
    "Adagrad": [dict(), dict(lr=0.1, lr_decay=0.01, weight_decay=0.1),
                dict(initial_accumulator_value=0.5, eps=1e-6, maximize=True)],
    "ASGD": [dict(), dict(lr=0.05, lambd=0.01, alpha=0.75, t0=3, weight_decay=0.1),
             dict(maximize=True, t0=2)],
    "NAdam": [dict(), dict(lr=0.01, weight_decay=0.1),
              dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
              dict(lr=0.01, momentum_decay=0.01, maximize=True)],
    "RAdam": [dict(), dict(lr=0.01, weight_decay=0.1),
              dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
              dict(lr=0.01, betas=(0.5, 0.6), maximize=True)],
    "RMSprop": [dict(), dict(lr=0.01, momentum=0.9), dict(lr=0.01, centered=True),
                dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1),
                dict(alpha=0.9, eps=1e-5, maximize=True)],
    "Rprop": [dict(), dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2)), dict(maximize=True)],
    "Adafactor": [dict(), dict(lr=0.05, beta2_decay=-0.5, eps=(1e-30, 1e-3), d=2.0,
                               weight_decay=0.1), dict(maximize=True)],
}
CASES = [(name, kw) for name, kws in CONFIGS.items() for kw in kws]


def _id(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


# -- steps, state dicts and printing ------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_steps_state_dict_and_repr(case, dtype):
    name, kw = case
    out = run_pair(name, kw, dtype)
    (pt, ot), (pe, oe) = out["torch"], out["ember"]
    tol = tolerance(name, kw, dtype)
    for a, b in zip(pe, pt):
        assert ulps(a.detach().numpy(), b.detach().numpy()) <= tol
    assert pe[-1].grad is None and (pe[-1] in oe.state) == (pt[-1] in ot.state)
    assert_state_dicts(oe.state_dict(), ot.state_dict(), max(tol, 8))
    assert repr(oe) == repr(ot)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_tensor_lr(case):
    """A 0-d tensor lr: the step-size arithmetic rounds in float32 as PyTorch's does (so
    float64 parameters still agree to the last bit where no sqrt is involved)."""
    name, kw = case
    out = run_pair(name, kw, "float64", lr_tensor=True)
    (pt, ot), (pe, oe) = out["torch"], out["ember"]
    tol = tolerance(name, kw, "float64")
    for a, b in zip(pe, pt):
        assert ulps(a.detach().numpy(), b.detach().numpy()) <= tol
    assert repr(oe) == repr(ot)
    assert_state_dicts(oe.state_dict(), ot.state_dict(), max(tol, 8))


FOREACH = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("Adam", dict(lr=0.01)),
           ("ASGD", dict(t0=3)), ("ASGD", dict(maximize=True, weight_decay=0.1, t0=2)),
           ("Adamax", dict(lr=0.01)), ("Rprop", dict()), ("RMSprop", dict(momentum=0.5)),
           ("NAdam", dict()), ("RAdam", dict()), ("Adagrad", dict()), ("Adadelta", dict())]


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("case", FOREACH, ids=_id)
def test_foreach(case, foreach):
    """``foreach=True`` asks PyTorch for its multi-tensor update (ASGD's rounds
    differently from its single-tensor one, and ember follows it)."""
    name, kw = case
    out = run_pair(name, dict(kw, foreach=foreach), "float64")
    (pt, ot), (pe, oe) = out["torch"], out["ember"]
    tol = tolerance(name, kw, "float64")
    for a, b in zip(pe, pt):
        assert ulps(a.detach().numpy(), b.detach().numpy()) <= tol
    assert_state_dicts(oe.state_dict(), ot.state_dict(), max(tol, 8))


GROUPS = [dict(idx=[0, 1]), dict(idx=[2, 3], lr=0.003, weight_decay=0.05), dict(idx=[4])]
GROUP_CASES = [c for c in CASES if not c[1].get("fused")][::2]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", GROUP_CASES, ids=_id)
def test_groups_and_state_dict_through_files(case, dtype):
    """Three parameter groups with their own options; then each library's state dict is
    saved to a file, loaded by the other library, and both go on for 3 more steps."""
    name, kw = case
    out = run_pair(name, kw, dtype, groups=GROUPS, n=5)
    (pt, ot), (pe, oe) = out["torch"], out["ember"]
    tol = tolerance(name, kw, dtype)
    assert_state_dicts(oe.state_dict(), ot.state_dict(), max(tol, 8))
    buf = io.BytesIO()
    ember.save(oe.state_dict(), buf)
    buf.seek(0)
    from_ember = torch.load(buf, weights_only=True)
    buf = io.BytesIO()
    torch.save(ot.state_dict(), buf)
    buf.seek(0)
    from_torch = ember.load(buf, weights_only=True)
    res = {}
    for lib, sd, ps in ((torch, from_ember, pt), (ember, from_torch, pe)):
        ps2, opt = build(lib, name, kw, [p.detach().numpy() for p in ps], GROUPS)
        opt.load_state_dict(sd)
        steps(lib, ps2, opt, 3, seed=7)
        res[lib.__name__] = (ps2, opt)
    for a, b in zip(res["ember"][0], res["torch"][0]):
        assert ulps(a.detach().numpy(), b.detach().numpy()) <= tol
    assert_state_dicts(res["ember"][1].state_dict(), res["torch"][1].state_dict(), max(tol, 8))


def test_asgd_loaded_into_float64_keeps_float32_rounding():
    """PyTorch writes eta and mu through float32 tensors even after load_state_dict has cast
    them to the parameters' float64."""
    out = run_pair("ASGD", dict(t0=2), "float64", n=3)
    res = {}
    for lib in (torch, ember):
        ps, opt = out[lib.__name__]
        ps2, opt2 = build(lib, "ASGD", dict(t0=2), [p.detach().numpy() for p in ps])
        opt2.load_state_dict(opt.state_dict())
        assert opt2.state[ps2[0]]["eta"].dtype == lib.float64
        steps(lib, ps2, opt2, 4)
        res[lib.__name__] = (ps2, opt2)
    for a, b in zip(res["ember"][0], res["torch"][0]):
        assert ulps(a.detach().numpy(), b.detach().numpy()) == 0
    assert_state_dicts(res["ember"][1].state_dict(), res["torch"][1].state_dict(), 0)


def test_float64_addcmul_is_fused_as_pytorchs():
    """The kernel under Adam/RMSprop/Adagrad/Adadelta's second moments."""
    from ember.optim import _functional as F

    r = np.random.default_rng(3)
    a, b, c = (r.standard_normal(3000) for _ in range(3))
    for value in (1, 0.001, -0.3):
        want = torch.from_numpy(a.copy()).addcmul_(torch.from_numpy(b), torch.from_numpy(c),
                                                   value=value).numpy()
        got = F.addcmul_(a.copy(), b, c, value)
        assert ulps(got, want) == 0


def test_adam_tensor_betas_step_size():
    """Tensor betas: ``1 - beta1`` in the parameter's dtype, ``lr / (1 - beta1**t)`` as
    PyTorch evaluates ``number / tensor`` (a float32 reciprocal, then the product)."""
    r = np.random.default_rng(0)
    p0, g0 = r.standard_normal(5), r.standard_normal(5)
    res = {}
    for lib in (torch, ember):
        p = lib.from_numpy(p0.copy()).requires_grad_()
        opt = lib.optim.Adam([p], lr=0.01, betas=(lib.tensor(0.9), lib.tensor(0.999)))
        for s in range(2):  # (later steps need beta2**t and MKL's float32 sqrt)
            p.grad = lib.from_numpy(g0 * (s + 1))
            opt.step()
        res[lib.__name__] = p.detach().numpy().copy(), opt.state[p]["exp_avg"].numpy().copy()
    for a, b in zip(res["ember"], res["torch"]):
        assert ulps(a, b) == 0


# -- Muon (2-D parameters; its Newton-Schulz iteration runs in bfloat16) -----------------------

MUON_SHAPES = [(5, 4), (3, 7), (6, 6), (2, 2)]


@pytest.mark.parametrize("lr_tensor", [False, True])
@pytest.mark.parametrize("kw", [dict(), dict(lr=0.02, momentum=0.9),
                                dict(lr=0.02, nesterov=False, weight_decay=0.0),
                                dict(adjust_lr_fn="match_rms_adamw", ns_steps=3),
                                dict(ns_coefficients=(3.0, -3.0, 1.0), eps=1e-5)])
def test_muon(kw, lr_tensor):
    r = np.random.default_rng(0)
    arrays = [r.standard_normal(s) for s in MUON_SHAPES]
    out = {}
    for lib in (torch, ember):
        ps, opt = build(lib, "Muon", kw, arrays, lr_tensor=lr_tensor)
        steps(lib, ps, opt, 4)
        out[lib.__name__] = (ps, opt)
    (pt, ot), (pe, oe) = out["torch"], out["ember"]
    for a, b in zip(pe, pt):
        assert ulps(a.detach().numpy(), b.detach().numpy()) <= 64
    assert_state_dicts(oe.state_dict(), ot.state_dict(), 64)
    assert repr(oe) == repr(ot)


@pytest.mark.parametrize("kw", [dict(lr=-1), dict(momentum=-1), dict(weight_decay=-1),
                                dict(adjust_lr_fn="x"), dict(params="1d")])
def test_muon_errors(kw):
    def fn(lib):
        kw2 = dict(kw)
        shape = (3,) if kw2.pop("params", None) else (3, 2)
        return repr(lib.optim.Muon([lib.nn.Parameter(lib.ones(shape))], **kw2))
    assert _outcome(fn, ember) == _outcome(fn, torch)


# -- LBFGS and sparse gradients -----------------------------------------------------------------

def _lbfgs(lib, kw, dtype, n_steps):
    ps = [lib.from_numpy(a.copy()).requires_grad_() for a in start(dtype)[:4]]
    opt = lib.optim.LBFGS(ps, **kw)
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        total = 0.0
        for p in ps:
            x = p.detach().numpy().astype(np.float64)
            total += float(np.sum(1.5 * (x - 0.5) ** 2 + 0.1 * x ** 4))
            p.grad = lib.from_numpy((3.0 * (x - 0.5) + 0.4 * x ** 3).astype(dtype))
        return lib.tensor(total, dtype=getattr(lib, dtype))

    losses = [float(opt.step(closure)) for _ in range(n_steps)]
    return ps, opt, calls[0], losses


@pytest.mark.parametrize("kw", [dict(max_iter=2), dict(max_iter=3, line_search_fn="strong_wolfe"),
                                dict(), dict(line_search_fn="strong_wolfe"),
                                dict(lr=0.5, max_iter=5, history_size=3),
                                dict(max_eval=7, tolerance_grad=1e-5, tolerance_change=1e-6)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lbfgs(kw, dtype):
    """Same closure calls and losses; parameters equal to float rounding (LBFGS's dot
    products go through BLAS, whose summation order differs between the libraries)."""
    n = 1 if "max_iter" in kw and kw["max_iter"] <= 3 else 3
    pt, ot, ct, lt = _lbfgs(torch, kw, dtype, n)
    pe, oe, ce, le = _lbfgs(ember, kw, dtype, n)
    assert ce == ct
    np.testing.assert_allclose(le, lt, rtol=1e-6 if dtype == "float32" else 1e-12)
    for a, b in zip(pe, pt):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(),
                                   rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)
    se, st = oe.state_dict(), ot.state_dict()
    assert list(se["state"][0]) == list(st["state"][0])
    assert se["state"][0]["func_evals"] == st["state"][0]["func_evals"]
    assert se["state"][0]["n_iter"] == st["state"][0]["n_iter"]
    assert se["param_groups"] == st["param_groups"]
    assert repr(oe) == repr(ot)


def _sparse(lib, name, kw, dtype):
    w0 = np.random.default_rng(0).standard_normal((10, 3)).astype(dtype)
    emb = lib.nn.Embedding(10, 3, sparse=True).to(getattr(lib, dtype))
    with lib.no_grad():
        emb.weight.copy_(lib.from_numpy(w0.copy()))
    opt = getattr(lib.optim, name)(emb.parameters(), **kw)
    r = np.random.default_rng(3)
    for _ in range(6):
        idx = lib.from_numpy(r.integers(0, 10, size=(4,)))
        tgt = lib.from_numpy(r.standard_normal((4, 3)).astype(dtype))
        opt.zero_grad()
        ((emb(idx) - tgt) ** 2).sum().backward()
        opt.step()
    return emb.weight.detach().numpy(), opt


@pytest.mark.parametrize("name,kw", [("SparseAdam", dict()),
                                     ("SparseAdam", dict(lr=0.1, betas=(0.5, 0.8), eps=1e-4)),
                                     ("SparseAdam", dict(lr=0.05, maximize=True)),
                                     ("SGD", dict(lr=0.1)), ("Adagrad", dict(lr=0.1))])
def test_sparse_gradients(name, kw):
    with warnings.catch_warnings():  # (PyTorch's note on sparse invariant checks)
        warnings.simplefilter("ignore")
        wt, ot = _sparse(torch, name, kw, "float32")
    we, oe = _sparse(ember, name, kw, "float32")
    assert ulps(we, wt) <= 4
    assert_state_dicts(oe.state_dict(), ot.state_dict(), 8)  # (SGD without momentum: no state)


def test_sparse_adam_float64():
    wt, _ = _sparse(torch, "SparseAdam", dict(lr=0.1), "float64")
    we, _ = _sparse(ember, "SparseAdam", dict(lr=0.1), "float64")
    assert ulps(we, wt) <= 64


# -- errors, printing and the rest of the Optimizer API -----------------------------------------

def _outcome(fn, lib):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            result = ("ok", fn(lib))
        except Exception as e:  # noqa: BLE001 (the type and text are what is compared)
            result = (type(e).__name__, str(e))
    return result, sorted({(x.category.__name__, str(x.message)) for x in w})


def _params(lib):
    return [lib.from_numpy(a.copy()).requires_grad_() for a in start("float32")]


def _stepped(lib, name, kw):
    ps = _params(lib)
    opt = getattr(lib.optim, name)(ps, **kw)
    for p in ps[:-1]:
        p.grad = lib.ones_like(p)
    opt.step()
    return repr(opt.state_dict())


BAD = {"SGD": [dict(lr=-0.1), dict(lr=0.1, momentum=-1), dict(lr=0.1, weight_decay=-1),
               dict(lr=0.1, nesterov=True), dict(lr=0.1, momentum=0.9, dampening=0.1,
                                                 nesterov=True)],
       "Adam": [dict(lr=-0.1), dict(eps=-1), dict(betas=(1.0, 0.9)), dict(betas=(0.9, -0.1)),
                dict(weight_decay=-1), dict(foreach=True, fused=True),
                dict(differentiable=True, fused=True)],
       "AdamW": [dict(lr=-0.1), dict(weight_decay=-1)],
       "Adamax": [dict(lr=-1), dict(eps=-1), dict(betas=(1.0, 0.5)), dict(weight_decay=-1)],
       "Adadelta": [dict(lr=-1), dict(rho=1.5), dict(eps=-1), dict(weight_decay=-1)],
       "Adagrad": [dict(lr=-1), dict(lr_decay=-1), dict(weight_decay=-1),
                   dict(initial_accumulator_value=-1), dict(eps=-1)],
       "ASGD": [dict(lr=-1), dict(weight_decay=-1)],
       "NAdam": [dict(lr=-1), dict(eps=-1), dict(betas=(0.5, 1.0)), dict(momentum_decay=-1)],
       "RAdam": [dict(lr=-1), dict(eps=-1), dict(betas=(1.0, 0.5)), dict(weight_decay=-1)],
       "RMSprop": [dict(lr=-1), dict(eps=-1), dict(momentum=-1), dict(weight_decay=-1),
                   dict(alpha=-1)],
       "Rprop": [dict(lr=-1), dict(etas=(1.5, 1.2)), dict(etas=(0.5, 0.9))],
       "LBFGS": [dict(lr=-1), dict(line_search_fn="foo")],
       "SparseAdam": [dict(lr=-1), dict(eps=-1), dict(betas=(1.0, 0.5))]}
ERROR_CASES = [(n, kw) for n, kws in BAD.items() for kw in kws]
ALL = ["SGD", "Adam", "AdamW", "Adamax", "Adadelta", "Adagrad", "ASGD", "NAdam", "RAdam",
       "RMSprop", "Rprop", "LBFGS", "SparseAdam", "Adafactor"]


@pytest.mark.parametrize("case", ERROR_CASES, ids=_id)
def test_bad_options(case):
    name, kw = case
    fn = lambda lib: type(getattr(lib.optim, name)(_params(lib), **kw)).__name__  # noqa: E731
    assert _outcome(fn, ember) == _outcome(fn, torch)
    # the same with the learning rate given as a 0-d tensor
    fn = lambda lib: type(getattr(lib.optim, name)(  # noqa: E731
        _params(lib), **dict(kw, lr=lib.tensor(kw.get("lr", 0.1))))).__name__
    assert _outcome(fn, ember) == _outcome(fn, torch)


def test_negative_lr_message():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -0.1$"):
        ember.optim.SGD(_params(ember), lr=-0.1)


CAPTURABLE = ["Adam", "AdamW", "Adamax", "Adadelta", "NAdam", "RAdam", "RMSprop", "Rprop", "ASGD"]


@pytest.mark.parametrize("foreach", [None, True])
@pytest.mark.parametrize("name", CAPTURABLE)
def test_capturable_on_cpu_is_refused_at_step(name, foreach):
    fn = lambda lib: _stepped(lib, name, dict(capturable=True, foreach=foreach))  # noqa: E731
    assert _outcome(fn, ember) == _outcome(fn, torch)


@pytest.mark.parametrize("name", ALL)
def test_api(name):
    """Printing (two groups, tensor lr), an empty parameter list, a bare tensor, a non-leaf,
    add_param_group (new options, a duplicate), a step with no gradients at all."""
    lr = {"lr": 0.1}

    def printed(lib):
        ps = _params(lib)
        return repr(getattr(lib.optim, name)([dict(params=ps[:2]), dict(params=ps[2:], lr=0.5)],
                                             **lr))

    def tensor_lr(lib):
        return repr(getattr(lib.optim, name)(_params(lib), lr=lib.tensor(0.01)))

    def add_group(lib):
        ps = _params(lib)
        opt = getattr(lib.optim, name)(ps[:3], **lr)
        opt.add_param_group({"params": ps[3:], "lr": 0.7})
        return repr(opt), repr(opt.state_dict())

    def duplicate(lib):
        ps = _params(lib)
        getattr(lib.optim, name)(ps, **lr).add_param_group({"params": ps[0]})

    def no_grads(lib):
        opt = getattr(lib.optim, name)(_params(lib), **lr)
        if name != "LBFGS":
            opt.step()
        return repr(opt.state_dict())

    for fn in (printed, tensor_lr, add_group, duplicate, no_grads,
               lambda lib: getattr(lib.optim, name)([], **lr),
               lambda lib: getattr(lib.optim, name)(_params(lib)[0], **lr),
               lambda lib: getattr(lib.optim, name)([_params(lib)[0] * 2], **lr)):
        assert _outcome(fn, ember) == _outcome(fn, torch)


def test_zero_grad_closure_and_hooks():
    res = {}
    for lib in (torch, ember):
        ps = _params(lib)
        opt = lib.optim.SGD(ps, lr=0.1, momentum=0.9)
        seen = []
        h1 = opt.register_step_pre_hook(lambda o, a, k: seen.append(("pre", len(a), sorted(k))))
        opt.register_step_post_hook(lambda o, a, k: seen.append(("post", len(a), sorted(k))))

        def closure():
            opt.zero_grad(set_to_none=False)
            loss = sum((p * p).sum() for p in ps[:-1])
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(3)]
        h1.remove()
        opt.step(closure=closure)
        opt.zero_grad(set_to_none=False)
        grads = [None if p.grad is None else p.grad.numpy().tolist() for p in ps]
        opt.zero_grad()
        res[lib.__name__] = (losses, seen, grads, [p.grad for p in ps],
                             [p.detach().numpy().tolist() for p in ps])
    t, e = res["torch"], res["ember"]
    np.testing.assert_allclose(e[0], t[0], rtol=1e-6)
    assert e[1] == t[1] and e[2] == t[2] and e[3] == t[3] == [None] * len(SHAPES)
    np.testing.assert_allclose(np.concatenate([np.ravel(x) for x in e[4]]),
                               np.concatenate([np.ravel(x) for x in t[4]]), rtol=1e-6)


# -- learning-rate schedulers -------------------------------------------------------------------

def make_opt(lib, name="SGD", **kw):
    params = [{"params": [lib.nn.Parameter(lib.ones(2))], "lr": 0.1 * (i + 1)} for i in range(2)]
    base = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.1)}[name]
    return getattr(lib.optim, name)(params, **(base | kw))


def _decay(e):
    return 0.95 ** e


def _mult(e):
    return 0.9 if e % 3 else 1.05


def _S(lib):
    return lib.optim.lr_scheduler


METRIC = [1.0 / (1 + i % 13) + 0.001 * (i // 13) * (1 if i % 2 else -1) for i in range(60)]
SCHEDULERS = {
    "StepLR": lambda lib, o: _S(lib).StepLR(o, 7, gamma=0.3),
    "MultiStepLR": lambda lib, o: _S(lib).MultiStepLR(o, [3, 10, 10, 25], gamma=0.5),
    "ConstantLR": lambda lib, o: _S(lib).ConstantLR(o, factor=0.25, total_iters=7),
    "LinearLR": lambda lib, o: _S(lib).LinearLR(o, start_factor=0.1, end_factor=0.9,
                                                total_iters=13),
    "ExponentialLR": lambda lib, o: _S(lib).ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda lib, o: _S(lib).PolynomialLR(o, total_iters=17, power=2.5),
    "CosineAnnealingLR": lambda lib, o: _S(lib).CosineAnnealingLR(o, T_max=11, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda lib, o: _S(lib).CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=0.01),
    "LambdaLR": lambda lib, o: _S(lib).LambdaLR(o, [_decay, lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda lib, o: _S(lib).MultiplicativeLR(o, _mult),
    "SequentialLR": lambda lib, o: _S(lib).SequentialLR(
        o, [_S(lib).LinearLR(o, 0.1, total_iters=5), _S(lib).ExponentialLR(o, 0.9),
            _S(lib).StepLR(o, 4, 0.5)], milestones=[5, 20]),
    "ChainedScheduler": lambda lib, o: _S(lib).ChainedScheduler(
        [_S(lib).ConstantLR(o, 0.1, total_iters=4), _S(lib).ExponentialLR(o, 0.9)]),
    "ChainedScheduler optimizer": lambda lib, o: _S(lib).ChainedScheduler(
        [_S(lib).StepLR(o, 3, 0.5), _S(lib).MultiplicativeLR(o, _mult)], optimizer=o),
    "CyclicLR scale_fn cycle": lambda lib, o: _S(lib).CyclicLR(
        o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 1 / (x ** 0.5), scale_mode="cycle"),
    "OneCycleLR no momentum": lambda lib, o: _S(lib).OneCycleLR(o, max_lr=0.3, total_steps=60,
                                                                cycle_momentum=False),
}
for _mode in ("triangular", "triangular2", "exp_range"):
    SCHEDULERS[f"CyclicLR {_mode}"] = lambda lib, o, m=_mode: _S(lib).CyclicLR(
        o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4, step_size_down=6, mode=m,
        gamma=0.97)
    SCHEDULERS[f"CyclicLR {_mode} Adam"] = (lambda lib, o, m=_mode: _S(lib).CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode=m, base_momentum=0.8,
        max_momentum=0.95), "Adam")
for _strategy in ("cos", "linear"):
    for _three in (False, True):
        SCHEDULERS[f"OneCycleLR {_strategy} three_phase={_three}"] = (
            lambda lib, o, s=_strategy, t=_three: _S(lib).OneCycleLR(
                o, max_lr=[0.5, 1.0], total_steps=60, anneal_strategy=s, three_phase=t,
                pct_start=0.3, div_factor=20, final_div_factor=1e3))
        SCHEDULERS[f"OneCycleLR {_strategy} three_phase={_three} Adam"] = (
            lambda lib, o, s=_strategy, t=_three: _S(lib).OneCycleLR(
                o, max_lr=0.5, epochs=6, steps_per_epoch=10, anneal_strategy=s, three_phase=t),
            "Adam")
for _mode in ("min", "max"):
    for _tm in ("rel", "abs"):
        SCHEDULERS[f"ReduceLROnPlateau {_mode} {_tm}"] = (
            lambda lib, o, m=_mode, t=_tm: _S(lib).ReduceLROnPlateau(
                o, mode=m, threshold_mode=t, patience=2, factor=0.5, threshold=0.01),
            "SGD", METRIC)
        SCHEDULERS[f"ReduceLROnPlateau {_mode} {_tm} cooldown min_lr"] = (
            lambda lib, o, m=_mode, t=_tm: _S(lib).ReduceLROnPlateau(
                o, mode=m, threshold_mode=t, patience=1, cooldown=3, factor=0.3,
                min_lr=[0.001, 0.02], eps=1e-4), "SGD", METRIC)
SCHEDULERS["CosineAnnealingWarmRestarts fractional"] = (
    lambda lib, o: _S(lib).CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2), "SGD", None,
    [i * 0.37 for i in range(1, 61)])
SCHEDULERS["CosineAnnealingWarmRestarts fractional T_mult=1"] = (
    lambda lib, o: _S(lib).CosineAnnealingWarmRestarts(o, T_0=3, eta_min=0.002), "SGD", None,
    [i * 0.29 for i in range(1, 61)])


def _schedule(lib, spec):
    if not isinstance(spec, tuple):
        spec = (spec,)
    make, opt_name, metric, epochs = spec + (None, "SGD", None, None)[len(spec):]
    opt = make_opt(lib, opt_name)
    sched = make(lib, opt)
    key = "betas" if opt_name == "Adam" else "momentum"
    trace = []
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for i in range(60):
            opt.step()
            if metric is not None:
                sched.step(metric[i])
            elif epochs is not None:
                sched.step(epochs[i])
            else:
                sched.step()
            trace.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups],
                          [g[key] for g in opt.param_groups]))
    state = {k: v for k, v in sched.state_dict().items() if k not in ("optimizer",
                                                                     "_schedulers")}
    state = {k: ("<fn>" if callable(v) else v) for k, v in state.items()}
    for k, v in state.items():
        if isinstance(v, list):
            state[k] = ["<fn>" if callable(x) else x for x in v]
    return trace, sorted({(x.category.__name__, str(x.message)) for x in w}), state


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_sequences(name):
    """60 steps: get_last_lr(), the groups' lr and momentum, exactly; warnings; state dict."""
    t = _schedule(torch, SCHEDULERS[name])
    e = _schedule(ember, SCHEDULERS[name])
    assert e[0] == t[0]
    assert e[1] == t[1]
    assert list(e[2]) == list(t[2])
    for k in t[2]:
        assert e[2][k] == t[2][k] and type(e[2][k]) is type(t[2][k]), k


CLOSED_FORM = {
    "StepLR": lambda lib, o: _S(lib).StepLR(o, 3, 0.5),
    "ExponentialLR": lambda lib, o: _S(lib).ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda lib, o: _S(lib).CosineAnnealingLR(o, 10),
    "MultiStepLR": lambda lib, o: _S(lib).MultiStepLR(o, [2, 5]),
    "LinearLR": lambda lib, o: _S(lib).LinearLR(o, 0.2, total_iters=5),
    "PolynomialLR": lambda lib, o: _S(lib).PolynomialLR(o, 6, 2.0),
    "ConstantLR": lambda lib, o: _S(lib).ConstantLR(o, 0.5, 4),
    "LambdaLR": lambda lib, o: _S(lib).LambdaLR(o, _decay),
    "MultiplicativeLR": lambda lib, o: _S(lib).MultiplicativeLR(o, _mult),
}


@pytest.mark.parametrize("name", list(CLOSED_FORM))
def test_scheduler_epoch_argument_resume_and_initial_lr(name):
    make = CLOSED_FORM[name]

    def with_epoch(lib):  # the deprecated ``step(epoch)``: its warning and closed form
        o = make_opt(lib)
        s = make(lib, o)
        out = []
        for e in [1, 2, 5, 3, 7, 7, 12]:
            o.step()
            s.step(e)
            out.append(s.get_last_lr())
        return out

    def resume(lib):  # state dicts of both, loaded into fresh objects, then 8 steps
        o = make_opt(lib)
        s = make(lib, o)
        for _ in range(4):
            o.step()
            s.step()
        o2 = make_opt(lib)
        o2.load_state_dict(o.state_dict())
        s2 = make(lib, o2)
        s2.load_state_dict(s.state_dict())
        out = []
        for _ in range(8):
            o2.step()
            s2.step()
            out.append(s2.get_last_lr())
        return out, sorted((k, str(v)) for k, v in s2.state_dict().items())

    def initial_lr(lib):  # groups that already hold 'initial_lr' keep it
        o = make_opt(lib)
        for g in o.param_groups:
            g["initial_lr"] = g["lr"] * 2
        s = make(lib, o)
        return s.last_epoch, s.get_last_lr()

    for fn in (with_epoch, resume, initial_lr):
        assert _outcome(fn, ember) == _outcome(fn, torch)


def _last_epoch_resume(lib):
    o = make_opt(lib)
    for g in o.param_groups:
        g["initial_lr"] = 0.5
    out = []
    for s in (_S(lib).StepLR(o, 3, 0.5, last_epoch=4),
              _S(lib).CosineAnnealingLR(o, 10, 0.01, last_epoch=3)):
        out.append(s.get_last_lr())
        for _ in range(6):
            o.step()
            s.step()
            out.append(s.get_last_lr())
    return out


def _onecycle_resume(lib):
    o = make_opt(lib)
    s = _S(lib).OneCycleLR(o, 0.5, total_steps=20)
    for _ in range(5):
        o.step()
        s.step()
    o2 = make_opt(lib)
    o2.load_state_dict(o.state_dict())
    s2 = _S(lib).OneCycleLR(o2, 0.5, total_steps=20, last_epoch=5)
    out = []
    for _ in range(10):
        o2.step()
        s2.step()
        out.append(s2.get_last_lr())
    return out


def _step_before_optimizer(lib):
    o = make_opt(lib)
    s = _S(lib).StepLR(o, 2)
    s.step()
    o.step()
    s.step()
    return s.get_last_lr()


def _onecycle_past_the_end(lib):
    o = make_opt(lib)
    s = _S(lib).OneCycleLR(o, 0.5, total_steps=5)
    for _ in range(7):
        o.step()
        s.step()


SCHEDULER_ERRORS = [
    lambda lib, o: _S(lib).StepLR(o, 3, last_epoch=4),  # no 'initial_lr' in the groups
    lambda lib, o: _S(lib).LinearLR(o, start_factor=0),
    lambda lib, o: _S(lib).LinearLR(o, end_factor=2),
    lambda lib, o: _S(lib).ConstantLR(o, factor=2),
    lambda lib, o: _S(lib).CosineAnnealingWarmRestarts(o, T_0=0),
    lambda lib, o: _S(lib).CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda lib, o: _S(lib).CosineAnnealingWarmRestarts(o, T_0=2.5),
    lambda lib, o: _S(lib).CosineAnnealingWarmRestarts(o, 3).step(-1),
    lambda lib, o: _S(lib).CyclicLR(o, 0.1, 1.0, mode="foo"),
    lambda lib, o: _S(lib).CyclicLR(lib.optim.Adagrad(o.param_groups[0]["params"]), 0.1, 1.0),
    lambda lib, o: _S(lib).OneCycleLR(o, 1.0),
    lambda lib, o: _S(lib).OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="x"),
    lambda lib, o: _S(lib).OneCycleLR(o, 1.0, total_steps=10, pct_start=2),
    lambda lib, o: _S(lib).OneCycleLR(o, 1.0, epochs=0, steps_per_epoch=3),
    lambda lib, o: _S(lib).ReduceLROnPlateau(o, factor=1.0),
    lambda lib, o: _S(lib).ReduceLROnPlateau(o, mode="x"),
    lambda lib, o: _S(lib).ReduceLROnPlateau(o, threshold_mode="x"),
    lambda lib, o: _S(lib).ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda lib, o: _S(lib).LambdaLR(o, [_decay]),
    lambda lib, o: _S(lib).SequentialLR(o, [_S(lib).StepLR(o, 2)], milestones=[1]),
    lambda lib, o: _S(lib).StepLR(3, 2),
]


@pytest.mark.parametrize("fn", [_last_epoch_resume, _onecycle_resume, _step_before_optimizer,
                                _onecycle_past_the_end]
                         + [lambda lib, f=f: type(f(lib, make_opt(lib))).__name__
                            for f in SCHEDULER_ERRORS])
def test_scheduler_behaviour_warnings_and_errors(fn):
    t = _outcome(fn, torch)
    assert _outcome(fn, ember) == t


def test_step_before_optimizer_warns():
    result, warned = _outcome(_step_before_optimizer, ember)
    assert any("before `optimizer.step()`" in m for _, m in warned)


# -- swa_utils ----------------------------------------------------------------------------------

def _swa(lib, kind):
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                              torch.nn.Linear(4, 2)).double()
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4),
                              lib.nn.Linear(4, 2)).double()
    model.load_state_dict({k: lib.from_numpy(v.numpy().copy())
                           for k, v in ref.state_dict().items()})
    su = lib.optim.swa_utils
    averaged = {"default": lambda: su.AveragedModel(model),
                "buffers": lambda: su.AveragedModel(model, use_buffers=True),
                "ema": lambda: su.AveragedModel(model, multi_avg_fn=su.get_ema_multi_avg_fn(0.9)),
                "ema_fn": lambda: su.AveragedModel(model, avg_fn=su.get_ema_avg_fn(0.8),
                                                   use_buffers=True),
                "swa_multi": lambda: su.AveragedModel(model,
                                                      multi_avg_fn=su.get_swa_multi_avg_fn()),
                }[kind]()
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    sched = su.SWALR(opt, swa_lr=0.05, anneal_epochs=4,
                     anneal_strategy="linear" if kind == "buffers" else "cos")
    r = np.random.default_rng(0)
    data = [lib.from_numpy(r.standard_normal((8, 3))) for _ in range(3)]
    lrs = []
    for i in range(6):
        opt.zero_grad()
        model(data[i % 3]).pow(2).mean().backward()
        opt.step()
        sched.step()
        averaged.update_parameters(model)
        lrs.append(sched.get_last_lr())
    su.update_bn([(d, 0) for d in data], averaged)
    return lrs, {k: v.numpy() for k, v in averaged.state_dict().items()}


@pytest.mark.parametrize("kind", ["default", "buffers", "ema", "ema_fn", "swa_multi"])
def test_swa_utils(kind):
    lt, st = _swa(torch, kind)
    le, se = _swa(ember, kind)
    assert le == lt
    assert list(se) == list(st)
    for k in st:
        assert se[k].dtype == st[k].dtype
        np.testing.assert_allclose(se[k], st[k], rtol=1e-12, atol=1e-14, err_msg=k)
