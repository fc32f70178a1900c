"""ember.optim against torch.optim: the same model, the same gradients, the same steps.

The main check feeds both optimizers the gradients PyTorch computes (at PyTorch's
parameters), so any difference comes from the update arithmetic alone; the
parameters must agree to float32 rounding after 25 steps.  Other tests cover
state dicts (layout, values, loading across libraries), errors, closures,
``zero_grad``, parameter groups, hooks and printing.
"""
import copy
import pickle
import re
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

STEPS = 25


# -- helpers -------------------------------------------------------------------------------------

def to_torch(x):
    """Tensors (nested in dicts, lists and tuples) from ember to PyTorch, through NumPy."""
    if isinstance(x, ember.Tensor):
        return torch.from_numpy(x.detach().numpy().copy())
    if isinstance(x, dict):
        return {k: to_torch(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(to_torch(v) for v in x)
    return x


def to_ember(x):
    if isinstance(x, torch.Tensor):
        return ember.from_numpy(x.detach().numpy().copy())
    if isinstance(x, dict):
        return {k: to_ember(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(to_ember(v) for v in x)
    return x


def mlp(lib, dtype):
    nn = lib.nn
    return nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 8), nn.ReLU(),
                         nn.Linear(8, 3)).to(dtype)


class Pair:
    """The same small MLP in both libraries (PyTorch's seeded init, copied to ember), the
    same data, and a way to hand both the gradients PyTorch computes."""

    def __init__(self, dtype="float32", seed=0):
        torch.manual_seed(seed)
        self.t = mlp(torch, getattr(torch, dtype))
        self.e = mlp(ember, getattr(ember, dtype))
        with ember.no_grad():
            for pe, pt in zip(self.e.parameters(), self.t.parameters()):
                pe.copy_(ember.from_numpy(pt.detach().numpy().copy()))
        r = np.random.default_rng(seed)
        self.x = r.standard_normal((10, 6)).astype(dtype)
        self.y = r.standard_normal((10, 3)).astype(dtype)

    def torch_loss(self):
        out = self.t(torch.from_numpy(self.x))
        return ((out - torch.from_numpy(self.y)) ** 2).mean()

    def ember_loss(self):
        out = self.e(ember.from_numpy(self.x))
        return ((out - ember.from_numpy(self.y)) ** 2).mean()

    def grads(self, skip=()):
        """Backward in PyTorch; give ember's parameters copies of the same gradients
        (parameters whose index is in ``skip`` get none, in both)."""
        for p in self.t.parameters():
            p.grad = None
        self.torch_loss().backward()
        for i, (pe, pt) in enumerate(zip(self.e.parameters(), self.t.parameters())):
            if i in skip:
                pt.grad = None
                pe.grad = None
            else:
                pe.grad = ember.from_numpy(pt.grad.numpy().copy())

    def assert_close(self, rtol, atol, what=""):
        for i, (pe, pt) in enumerate(zip(self.e.parameters(), self.t.parameters())):
            np.testing.assert_allclose(pe.detach().numpy(), pt.detach().numpy(), rtol=rtol,
                                       atol=atol, err_msg=f"{what} param {i}")


def assert_state_equal(se, st, rtol=1e-5, atol=1e-6):
    """State dicts from the two libraries: same structure, keys, dtypes, values (``atol`` is
    relative to the largest magnitude in each state tensor)."""
    assert list(se) == list(st) == ["state", "param_groups"]
    assert list(se["state"]) == list(st["state"])
    for k in st["state"]:
        a, b = se["state"][k], st["state"][k]
        assert list(a) == list(b), f"state {k}: keys {list(a)} != {list(b)}"
        for name in b:
            x, y = a[name], b[name]
            if isinstance(y, torch.Tensor):
                assert isinstance(x, ember.Tensor), f"state {k}[{name}] is {type(x)}"
                assert str(x.dtype) == str(y.dtype), f"state {k}[{name}]: {x.dtype} {y.dtype}"
                assert tuple(x.shape) == tuple(y.shape)
                scale = max(1.0, float(np.abs(y.numpy()).max(initial=0)))
                np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=rtol, atol=atol * scale,
                                           err_msg=f"state {k}[{name}]")
            else:
                assert x == y
    assert len(se["param_groups"]) == len(st["param_groups"])
    for ge, gt in zip(se["param_groups"], st["param_groups"]):
        assert list(ge) == list(gt), f"group keys {list(ge)} != {list(gt)}"
        for key in gt:
            assert ge[key] == gt[key], f"group[{key!r}]: {ge[key]!r} != {gt[key]!r}"
            assert type(ge[key]) is type(gt[key]), key


# -- every optimizer and option, step by step ---------------------------------------------------

CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.9), eps=1e-6)),  # lerp's other formula (weight >= .5)
    ("Adam", dict(lr=0.01, betas=(0.5, 0.99))),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True, alpha=0.3)),
    ("Adagrad", dict(lr=0.05)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01)),
    ("Adagrad", dict(lr=0.05, initial_accumulator_value=0.1, eps=1e-6)),
    ("Adagrad", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5)),
    ("Adadelta", dict(rho=0.95, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True, eps=1e-4)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.3, 0.9), weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),  # rho_t passes 5 at step 6: both branches
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9))),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]


def _id(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_steps_match_torch(case):
    name, kw = case
    pair = Pair()
    ot = getattr(torch.optim, name)(pair.t.parameters(), **kw)
    oe = getattr(ember.optim, name)(pair.e.parameters(), **kw)
    for i in range(STEPS):
        # The last parameter misses its gradient now and then: the step must skip it.
        pair.grads(skip=(5,) if i % 7 == 3 else ())
        ot.step()
        oe.step()
        pair.assert_close(rtol=2e-6, atol=5e-7, what=f"step {i}")
    assert_state_equal(oe.state_dict(), ot.state_dict(), rtol=1e-4, atol=2e-6)


# PyTorch's CPU kernels round ``add_(x, alpha=)``, ``lerp_`` and ``addcmul_`` once (an FMA);
# ember's NumPy kernels round the product too.  With exact FMAs swapped in (float64, rounded
# once), the optimizers without a square root match PyTorch bit for bit, which shows the
# operations and their order are PyTorch's.  (Square roots differ: PyTorch's float32 sqrt
# comes from MKL and is not correctly rounded.)

def _fma(a, b, c):
    """round(a*b + c) in a's dtype; a*b is exact in float64."""
    return (np.asarray(a, np.float64) * b + c).astype(c.dtype)


def exact_add_(a, b, alpha=1):
    a[...] = _fma(b, np.float64(a.dtype.type(alpha)), a)
    return a


def exact_added(a, b, alpha):
    return _fma(b, np.float64(a.dtype.type(alpha)), a)


def exact_lerp_(a, b, w):
    dt = a.dtype.type
    if abs(w) < 0.5:
        a[...] = _fma(b - a, np.float64(dt(w)), a)
    else:
        a[...] = _fma(a - b, np.float64(dt(1) - dt(w)), b)
    return a


def exact_addcmul_(a, b, c, value=1):
    a[...] = _fma(b * value, c, a)
    return a


EXACT = [c for c in CASES if c[0] in ("SGD", "Adamax")]


@pytest.mark.parametrize("case", EXACT, ids=[_id(c) for c in EXACT])
def test_bit_exact_with_fma_kernels(case, monkeypatch):
    from ember.optim import _functional as F

    for name, fn in (("add_", exact_add_), ("added", exact_added), ("lerp_", exact_lerp_),
                     ("addcmul_", exact_addcmul_)):
        monkeypatch.setattr(F, name, fn)
    _assert_bit_exact(case)


@pytest.mark.parametrize("case", EXACT, ids=[_id(c) for c in EXACT])
def test_bit_exact_through_blas_axpy(case):
    """Where NumPy's BLAS provides axpy, the shipped kernels are those FMAs: no patching."""
    from ember import _blas

    if not _blas.available():
        pytest.skip("NumPy's BLAS has no axpy that ember can find")
    _assert_bit_exact(case)


def _assert_bit_exact(case):
    name, kw = case
    pair = Pair()
    ot = getattr(torch.optim, name)(pair.t.parameters(), **kw)
    oe = getattr(ember.optim, name)(pair.e.parameters(), **kw)
    for i in range(STEPS):
        pair.grads(skip=(5,) if i % 7 == 3 else ())
        ot.step()
        oe.step()
        pair.assert_close(rtol=0, atol=0, what=f"step {i}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_blas_axpy_is_torch_add_alpha(dtype):
    from ember import _blas

    if not _blas.available():
        pytest.skip("NumPy's BLAS has no axpy that ember can find")
    r = np.random.default_rng(3)
    for n in (1, 7, 31, 33, 1000, 65537):
        x = r.standard_normal(n).astype(dtype)
        y = r.standard_normal(n).astype(dtype)
        for alpha in (-1e-3, 0.3, -0.1234567):
            mine = y.copy()
            assert _blas.axpy(alpha, x, mine)
            want = torch.from_numpy(y.copy()).add_(torch.from_numpy(x), alpha=alpha).numpy()
            np.testing.assert_array_equal(mine, want)


def test_blas_axpy_declines_what_it_cannot_do():
    from ember import _blas

    r = np.random.default_rng(4)
    y = r.standard_normal((6, 4)).astype(np.float32)
    before = y.copy()
    x = r.standard_normal((6, 4)).astype(np.float32)
    assert not _blas.axpy(0.5, x.astype(np.float64), y)  # dtypes differ
    assert not _blas.axpy(0.5, x[:, :1], y)  # shapes differ
    assert not _blas.axpy(0.5, x.T.copy().T, y)  # not C-contiguous
    assert not _blas.axpy(0.5, y, y)  # the same memory
    assert not _blas.axpy(0.5, x.astype(np.float16), y.astype(np.float16))
    ro = y.copy()
    ro.flags.writeable = False
    assert not _blas.axpy(0.5, x, ro)
    np.testing.assert_array_equal(y, before)


def test_updates_without_blas_still_match(monkeypatch):
    """With no BLAS axpy (another NumPy build), the NumPy formulas take over."""
    from ember import _blas

    monkeypatch.setattr(_blas, "_kernels", {})
    pair = Pair()
    ot = torch.optim.SGD(pair.t.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    oe = ember.optim.SGD(pair.e.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    for i in range(STEPS):
        pair.grads()
        ot.step()
        oe.step()
        pair.assert_close(rtol=2e-6, atol=5e-7, what=f"step {i}")


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
                                     ("Adam", dict(lr=0.01, amsgrad=True)),
                                     ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
                                     ("NAdam", dict(lr=0.01)), ("RAdam", dict(lr=0.01))])
def test_float64_steps(name, kw):
    pair = Pair("float64")
    ot = getattr(torch.optim, name)(pair.t.parameters(), **kw)
    oe = getattr(ember.optim, name)(pair.e.parameters(), **kw)
    for _ in range(STEPS):
        pair.grads()
        ot.step()
        oe.step()
    pair.assert_close(rtol=1e-12, atol=1e-14)
    # the step counter stays float32 unless the default dtype is float64
    assert oe.state_dict()["state"][0].get("step", ember.tensor(0.)).dtype is ember.float32


def test_step_dtype_follows_default_dtype():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    pair = Pair("float64")
    ot = torch.optim.Adam(pair.t.parameters())
    oe = ember.optim.Adam(pair.e.parameters())
    pair.grads()
    ot.step()
    oe.step()
    assert str(oe.state[next(iter(pair.e.parameters()))]["step"].dtype) == "torch.float64"
    assert_state_equal(oe.state_dict(), ot.state_dict())


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.05, momentum=0.9)),
                                     ("Adam", dict(lr=0.01)), ("AdamW", dict(lr=0.01)),
                                     ("RMSprop", dict(lr=0.01, momentum=0.5))])
def test_training_with_ember_autograd(name, kw):
    """Each library computing its own gradients: equal up to the matmul's rounding."""
    pair = Pair()
    ot = getattr(torch.optim, name)(pair.t.parameters(), **kw)
    oe = getattr(ember.optim, name)(pair.e.parameters(), **kw)
    for _ in range(10):
        ot.zero_grad()
        oe.zero_grad()
        lt = pair.torch_loss()
        le = pair.ember_loss()
        lt.backward()
        le.backward()
        ot.step()
        oe.step()
        assert le.item() == pytest.approx(lt.item(), rel=1e-5)
    pair.assert_close(rtol=1e-4, atol=1e-6)


def test_per_group_options():
    pair = Pair()

    def groups(model):
        ps = list(model.parameters())
        return [{"params": ps[:2], "lr": 0.1, "momentum": 0.9},
                {"params": ps[2:4], "weight_decay": 0.1, "nesterov": True, "momentum": 0.5},
                {"params": ps[4:], "lr": 0.001, "maximize": True}]

    ot = torch.optim.SGD(groups(pair.t), lr=0.01)
    oe = ember.optim.SGD(groups(pair.e), lr=0.01)
    for _ in range(10):
        pair.grads()
        ot.step()
        oe.step()
    pair.assert_close(rtol=2e-6, atol=5e-7)
    assert_state_equal(oe.state_dict(), ot.state_dict())
    assert repr(oe) == repr(ot)


def test_changing_lr_between_steps():
    pair = Pair()
    ot = torch.optim.Adam(pair.t.parameters(), lr=0.01)
    oe = ember.optim.Adam(pair.e.parameters(), lr=0.01)
    for i in range(10):
        for o in (ot, oe):
            o.param_groups[0]["lr"] = 0.01 / (i + 1)
            o.param_groups[0]["betas"] = (0.9 - 0.01 * i, 0.999)
        pair.grads()
        ot.step()
        oe.step()
    pair.assert_close(rtol=2e-6, atol=5e-7)


def test_tensor_lr():
    pair = Pair()
    ot = torch.optim.SGD(pair.t.parameters(), lr=torch.tensor(0.05), momentum=0.9)
    oe = ember.optim.SGD(pair.e.parameters(), lr=ember.tensor(0.05), momentum=0.9)
    for _ in range(5):
        pair.grads()
        ot.step()
        oe.step()
    pair.assert_close(rtol=2e-6, atol=5e-7)


def test_adagrad_state_made_at_construction():
    pair = Pair()
    oe = ember.optim.Adagrad(pair.e.parameters(), initial_accumulator_value=0.5)
    ot = torch.optim.Adagrad(pair.t.parameters(), initial_accumulator_value=0.5)
    assert_state_equal(oe.state_dict(), ot.state_dict())


def test_sgd_without_momentum_keeps_no_state():
    pair = Pair()
    oe = ember.optim.SGD(pair.e.parameters(), lr=0.1)
    pair.grads()
    oe.step()
    assert oe.state_dict()["state"] == {}


def test_update_bumps_version_counter():
    p = ember.nn.Parameter(ember.ones(3))
    x = p * 1.0
    y = (x * p).sum()  # saves p for backward
    p.grad = ember.ones(3)
    ember.optim.SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_step_runs_without_grad_and_keeps_params_leaves():
    p = ember.nn.Parameter(ember.ones(3))
    p.grad = ember.ones(3)
    opt = ember.optim.Adam([p])
    opt.step()
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    for v in opt.state[p].values():
        assert not v.requires_grad


# -- state dicts ---------------------------------------------------------------------------------

SD_CASES = [("SGD", dict(lr=0.05, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
            ("AdamW", dict(lr=0.01)), ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
            ("Adagrad", dict(lr=0.05)), ("Adadelta", dict()), ("Adamax", dict(lr=0.01)),
            ("NAdam", dict(lr=0.01)), ("RAdam", dict(lr=0.01))]


@pytest.mark.parametrize("name,kw", SD_CASES, ids=[c[0] for c in SD_CASES])
def test_state_dict_crosses_libraries(name, kw):
    pair = Pair()
    ot = getattr(torch.optim, name)(pair.t.parameters(), **kw)
    oe = getattr(ember.optim, name)(pair.e.parameters(), **kw)
    for _ in range(5):
        pair.grads()
        ot.step()
        oe.step()
    se, st = oe.state_dict(), ot.state_dict()
    assert_state_equal(se, st)

    # PyTorch's state dict into a fresh ember optimizer, ember's into a fresh PyTorch one;
    # each continues exactly as the optimizer that saved the other's.
    pair2 = Pair()
    with ember.no_grad():
        for p2, p in zip(pair2.e.parameters(), pair.e.parameters()):
            p2.copy_(p)
    with torch.no_grad():
        for p2, p in zip(pair2.t.parameters(), pair.t.parameters()):
            p2.copy_(p)
    oe2 = getattr(ember.optim, name)(pair2.e.parameters(), lr=123.0)
    ot2 = getattr(torch.optim, name)(pair2.t.parameters(), lr=123.0)
    oe2.load_state_dict(to_ember(st))
    ot2.load_state_dict(to_torch(se))
    assert_state_equal(oe2.state_dict(), ot.state_dict())
    assert_state_equal(oe.state_dict(), ot2.state_dict())
    for _ in range(5):
        pair.grads()
        pair2.grads()
        for o in (ot, oe, ot2, oe2):
            o.step()
    pair2.assert_close(rtol=2e-6, atol=5e-7)
    for p, p2 in zip(pair.e.parameters(), pair2.e.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), p2.detach().numpy(), rtol=2e-6,
                                   atol=5e-7)


@pytest.mark.parametrize("name", ["Adam", "NAdam"])
def test_load_state_dict_casts_to_param_dtype_but_not_step(name):
    pe = ember.nn.Parameter(ember.ones(3, dtype=ember.float64))
    pt = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    src_t = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(3))])
    src_t.param_groups[0]["params"][0].grad = torch.ones(3)
    src_t.step()
    sd = src_t.state_dict()
    oe = getattr(ember.optim, name)([pe])
    ot = getattr(torch.optim, name)([pt])
    oe.load_state_dict(to_ember(sd))
    ot.load_state_dict(sd)
    assert_state_equal(oe.state_dict(), ot.state_dict())
    assert oe.state[pe]["exp_avg"].dtype is ember.float64
    assert oe.state[pe]["step"].dtype is ember.float32


def test_load_state_dict_errors():
    ps = [ember.nn.Parameter(ember.ones(2)) for _ in range(3)]
    opt = ember.optim.SGD(ps, lr=0.1)
    sd = opt.state_dict()
    other = ember.optim.SGD(ps[:2], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that "
                                         "doesn't match the size of optimizer's group"):
        other.load_state_dict(sd)
    two = ember.optim.SGD([{"params": ps[:1]}, {"params": ps[1:]}], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict has a different number of "
                                         "parameter groups"):
        two.load_state_dict(sd)


def test_state_dict_shares_and_load_keeps_group_params():
    ps = [ember.nn.Parameter(ember.ones(2)) for _ in range(2)]
    opt = ember.optim.SGD(ps, lr=0.1, momentum=0.9)
    for p in ps:
        p.grad = ember.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert sd["state"][0]["momentum_buffer"] is opt.state[ps[0]]["momentum_buffer"]
    sd["param_groups"][0]["lr"] = 0.5
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["params"][0] is ps[0]
    assert opt.param_groups[0]["lr"] == 0.5


def test_named_parameters_state_dict():
    pair = Pair()
    ot = torch.optim.Adam(pair.t.named_parameters())
    oe = ember.optim.Adam(pair.e.named_parameters())
    pair.grads()
    ot.step()
    oe.step()
    assert_state_equal(oe.state_dict(), ot.state_dict())
    assert oe.param_groups[0]["param_names"] == ot.param_groups[0]["param_names"]


def test_pickle_and_deepcopy():
    pair = Pair()
    oe = ember.optim.Adam(pair.e.parameters(), lr=0.01)
    pair.grads()
    oe.step()
    for clone in (pickle.loads(pickle.dumps(oe)), copy.deepcopy(oe)):
        assert repr(clone) == repr(oe)
        assert len(clone.state) == len(oe.state)


# -- errors --------------------------------------------------------------------------------------

BAD = [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1)),
    ("SGD", dict(fused=True, foreach=True)),
    ("Adam", dict(lr=-1.0)), ("Adam", dict(eps=-1e-8)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-0.1)),
    ("Adam", dict(betas=(0, 0.9))), ("Adam", dict(fused=True, foreach=True)),
    ("AdamW", dict(betas=(0.9, 1.5))), ("AdamW", dict(lr=-2)),
    ("RMSprop", dict(lr=-1)), ("RMSprop", dict(eps=-1)), ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(weight_decay=-1)), ("RMSprop", dict(alpha=-0.5)),
    ("Adagrad", dict(lr=-1)), ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(weight_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adagrad", dict(eps=-1)),
    ("Adadelta", dict(lr=-1)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)),
    ("Adadelta", dict(weight_decay=-1)),
    ("Adamax", dict(lr=-1)), ("Adamax", dict(eps=-1)), ("Adamax", dict(betas=(0.9, 1.0))),
    ("Adamax", dict(weight_decay=-1)),
    ("NAdam", dict(lr=-1)), ("NAdam", dict(betas=(-0.1, 0.9))), ("NAdam", dict(momentum_decay=-1)),
    ("RAdam", dict(lr=-1)), ("RAdam", dict(betas=(0.9, 2.0))), ("RAdam", dict(weight_decay=-1)),
]


@pytest.mark.parametrize("name,kw", BAD, ids=[_id(c) for c in BAD])
def test_invalid_options(name, kw):
    with pytest.raises(Exception) as te:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))], **kw)
    with pytest.raises(type(te.value)) as ee:
        getattr(ember.optim, name)([ember.nn.Parameter(ember.ones(2))], **kw)
    assert str(ee.value) == str(te.value)


def _same_error(fn):
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(type(te.value)) as ee:
        fn(ember)
    assert str(ee.value) == str(te.value)


def test_param_errors():
    P = lambda lib: lib.nn.Parameter(lib.ones(2))  # noqa: E731
    _same_error(lambda lib: lib.optim.SGD([], lr=0.1))
    _same_error(lambda lib: lib.optim.SGD(P(lib), lr=0.1))
    _same_error(lambda lib: lib.optim.SGD([P(lib), 3], lr=0.1))
    _same_error(lambda lib: lib.optim.SGD([{"params": {P(lib)}}], lr=0.1))
    _same_error(lambda lib: lib.optim.SGD([P(lib) * 2], lr=0.1))
    _same_error(lambda lib: lib.optim.SGD([("a", P(lib)), P(lib)], lr=0.1))

    def overlap(lib):
        p = P(lib)
        lib.optim.Adam([{"params": [p]}, {"params": [p], "lr": 0.1}])

    def overlap_added(lib):
        p = P(lib)
        opt = lib.optim.Adam([p])
        opt.add_param_group({"params": p})

    def not_dict(lib):
        lib.optim.Adam([P(lib)]).add_param_group([P(lib)])

    def mixed_names(lib):
        opt = lib.optim.Adam([("w", P(lib))])
        opt.add_param_group({"params": [P(lib)]})

    for fn in (overlap, overlap_added, not_dict, mixed_names):
        _same_error(fn)


def test_required_option():
    from ember.optim.optimizer import required
    from torch.optim.optimizer import required as trequired

    class Mine(ember.optim.Optimizer):
        def __init__(self, params, lr=required):
            super().__init__(params, {"lr": lr})

    class Theirs(torch.optim.Optimizer):
        def __init__(self, params, lr=trequired):
            super().__init__(params, {"lr": lr})

    with pytest.raises(ValueError) as te:
        Theirs([torch.nn.Parameter(torch.ones(1))])
    with pytest.raises(ValueError) as ee:
        Mine([ember.nn.Parameter(ember.ones(1))])
    assert str(ee.value) == str(te.value)
    assert repr(required) == repr(trequired)
    ok = Mine([{"params": [ember.nn.Parameter(ember.ones(1))], "lr": 0.1}])
    assert ok.param_groups[0]["lr"] == 0.1


def test_duplicate_parameters_warn():
    p = ember.nn.Parameter(ember.ones(2))
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([p, p], lr=0.1)


def test_differentiable_not_supported():
    # (SGD, Adam(W), RMSprop, Adagrad, Adamax, Adadelta take it: test_api_gaps2.py)
    with pytest.raises(NotImplementedError):
        ember.optim.NAdam([ember.nn.Parameter(ember.ones(2))], differentiable=True)


# -- closures, zero_grad, groups, hooks ----------------------------------------------------------

@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam"])
def test_closure(name):
    pair = Pair()
    ot = getattr(torch.optim, name)(pair.t.parameters())
    oe = getattr(ember.optim, name)(pair.e.parameters())
    calls = []

    def closure_e():
        calls.append(ember.is_grad_enabled())
        oe.zero_grad()
        loss = pair.ember_loss()
        loss.backward()
        return loss

    def closure_t():
        ot.zero_grad()
        loss = pair.torch_loss()
        loss.backward()
        return loss

    with ember.no_grad():  # the closure runs with grad enabled all the same
        le = oe.step(closure_e)
    lt = ot.step(closure_t)
    assert calls == [True]
    assert isinstance(le, ember.Tensor)
    assert le.item() == pytest.approx(lt.item(), rel=1e-6)
    assert oe.step() is None and ot.step() is None
    pair.assert_close(rtol=1e-4, atol=1e-6)


def test_zero_grad():
    pe = ember.nn.Parameter(ember.ones(3))
    opt = ember.optim.SGD([pe], lr=0.1)
    pe.grad = ember.full((3,), 2.0)
    g = pe.grad
    opt.zero_grad(set_to_none=False)
    assert pe.grad is g and pe.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert pe.grad is None
    opt.zero_grad()  # no grads: nothing to do
    # a grad that is part of a graph is detached first
    pe.grad = (ember.ones(3, requires_grad=True) * 2)
    opt.zero_grad(set_to_none=False)
    assert pe.grad.grad_fn is None and not pe.grad.requires_grad


def test_params_without_grad_are_skipped():
    a, b = ember.nn.Parameter(ember.ones(2)), ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.Adam([a, b], lr=0.1)
    a.grad = ember.ones(2)
    opt.step()
    assert b.tolist() == [1.0, 1.0] and a.tolist() != [1.0, 1.0]
    assert b not in opt.state and a in opt.state


def test_add_param_group():
    pair = Pair()
    ps_t, ps_e = list(pair.t.parameters()), list(pair.e.parameters())
    ot = torch.optim.Adam(ps_t[:4], lr=0.01)
    oe = ember.optim.Adam(ps_e[:4], lr=0.01)
    for i in range(8):
        if i == 3:
            ot.add_param_group({"params": ps_t[4:], "lr": 0.1, "amsgrad": True})
            oe.add_param_group({"params": ps_e[4:], "lr": 0.1, "amsgrad": True})
        pair.grads(skip=(4, 5) if i < 3 else ())
        ot.step()
        oe.step()
    pair.assert_close(rtol=2e-6, atol=5e-7)
    assert_state_equal(oe.state_dict(), ot.state_dict())
    assert repr(oe) == repr(ot)


def test_step_hooks():
    p = ember.nn.Parameter(ember.ones(2))
    p.grad = ember.ones(2)
    opt = ember.optim.SGD([p], lr=0.5)
    seen = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: seen.append(("pre", p.tolist())))
    h2 = opt.register_step_post_hook(lambda o, a, k: seen.append(("post", p.tolist())))
    from ember.optim.optimizer import register_optimizer_step_post_hook
    h3 = register_optimizer_step_post_hook(lambda o, a, k: seen.append(("global", type(o))))
    opt.step()
    assert seen == [("pre", [1.0, 1.0]), ("post", [0.5, 0.5]), ("global", ember.optim.SGD)]
    for h in (h1, h2, h3):
        h.remove()
    opt.step()
    assert len(seen) == 3


def test_state_dict_hooks():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=0.5)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    assert opt.state_dict()["extra"] == 1
    loaded = []
    opt.register_load_state_dict_post_hook(lambda o: loaded.append(o))
    opt.register_load_state_dict_pre_hook(lambda o, sd: {k: v for k, v in sd.items()
                                                         if k != "extra"})
    opt.load_state_dict(opt.state_dict())
    assert loaded == [opt]


def test_custom_optimizer_subclass():
    """A user's optimizer written the PyTorch way runs on ember's base class, hooks included."""

    class PlainSGD(ember.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        @ember.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])
                        self.state[p]["n"] = self.state[p].get("n", 0) + 1

    p = ember.nn.Parameter(ember.ones(2))
    p.grad = ember.ones(2)
    opt = PlainSGD([p])
    calls = []
    opt.register_step_post_hook(lambda *a: calls.append(1))
    opt.step()
    assert p.tolist() == pytest.approx([0.9, 0.9]) and calls == [1]
    assert opt.state_dict()["state"] == {0: {"n": 1}}


# -- printing ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam"])
def test_repr(name):
    pt = [torch.nn.Parameter(torch.ones(2))]
    pe = [ember.nn.Parameter(ember.ones(2))]
    ot = getattr(torch.optim, name)([{"params": pt}, {"params": [torch.nn.Parameter(
        torch.ones(1))], "lr": 0.5}])
    oe = getattr(ember.optim, name)([{"params": pe}, {"params": [ember.nn.Parameter(
        ember.ones(1))], "lr": 0.5}])
    assert repr(oe) == repr(ot)
    assert oe.defaults == ot.defaults


def test_public_names():
    for name in ("Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                 "Adamax", "NAdam", "RAdam", "lr_scheduler"):
        assert hasattr(ember.optim, name), name
    from ember.optim.adam import Adam  # noqa: F401  (torch's module layout)
    from ember.optim.sgd import SGD  # noqa: F401


def test_no_warnings_in_a_training_loop():
    pair = Pair()
    opt = ember.optim.SGD(pair.e.parameters(), lr=0.1)
    sched = ember.optim.lr_scheduler.StepLR(opt, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.zero_grad()
            pair.ember_loss().backward()
            opt.step()
            sched.step()
    assert re.match(r"SGD \(", repr(opt))


# -- devices -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,kw", SD_CASES, ids=[c[0] for c in SD_CASES])
def test_simulated_cuda_matches_cpu(name, kw, monkeypatch):
    """The updates are written for any array module: on the simulated GPU (NumPy behind a
    CuPy-like array that refuses to mix with NumPy) they give the CPU's numbers exactly."""
    simulate = getattr(ember._device, "_simulate_cuda", None)
    if simulate is None:
        pytest.skip("no simulated CUDA device in this build")
    from ember._ops import _vml

    # the CPU's float32 sqrt is PyTorch's MKL one where ``_vml`` knows it; a GPU's is NumPy's
    monkeypatch.setattr(_vml, "emulated", lambda: False)
    monkeypatch.setattr(_vml, "intel_sqrt", lambda: False)
    r = np.random.default_rng(0)
    w = r.standard_normal((4, 3)).astype(np.float32)
    gs = [r.standard_normal((4, 3)).astype(np.float32) for _ in range(6)]
    out = {}
    with simulate():
        for dev in ("cpu", "cuda"):
            p = ember.nn.Parameter(ember.from_numpy(w.copy()).to(dev))
            opt = getattr(ember.optim, name)([p], **kw)
            for g in gs:
                p.grad = ember.from_numpy(g.copy()).to(dev)
                opt.step()
            out[dev] = p.detach().cpu().numpy()
            state = opt.state_dict()["state"][0]
            for key, value in state.items():
                expect = "cpu" if key in ("step", "mu_product") else dev
                assert value.device.type == expect, key
            # a CPU checkpoint loads onto the device's parameters
            if dev == "cuda":
                q = ember.nn.Parameter(ember.from_numpy(w.copy()).to(dev))
                other = getattr(ember.optim, name)([q], **kw)
                other.load_state_dict({"state": {0: {k: v.cpu() for k, v in state.items()}},
                                       "param_groups": opt.state_dict()["param_groups"]})
                for key, value in other.state[q].items():
                    # NOTE: as in PyTorch, all state but ``step`` moves to the parameter's
                    # device and dtype on loading, NAdam's ``mu_product`` included.
                    assert value.device.type == ("cpu" if key == "step" else dev), key
                q.grad = ember.from_numpy(gs[0].copy()).to(dev)
                other.step()
    np.testing.assert_array_equal(out["cuda"], out["cpu"])


def test_missing_optimizer_is_named():
    assert not hasattr(ember.optim, "Lion")  # (not in torch.optim either; Muon now exists)
    with pytest.raises(AttributeError) as theirs:
        torch.optim.Lion  # noqa: B018
    with pytest.raises(AttributeError) as ours:  # PyTorch lacks it too: its own words
        ember.optim.Lion  # noqa: B018
    assert str(ours.value) == str(theirs.value) == "module 'torch.optim' has no attribute 'Lion'"


def test_subclass_calling_super_step_runs_hooks_once():
    class Logged(ember.optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    p = ember.nn.Parameter(ember.ones(2))
    p.grad = ember.ones(2)
    opt = Logged([p], lr=0.5)
    calls = []
    opt.register_step_pre_hook(lambda *a: calls.append("pre"))
    opt.register_step_post_hook(lambda *a: calls.append("post"))
    opt.step()
    assert calls == ["pre", "post"] and p.tolist() == [0.5, 0.5]


def test_checkpoint_file_crosses_libraries(tmp_path):
    """An optimizer state dict saved with ember.save loads in torch.load, and back."""
    if not hasattr(ember, "save"):
        pytest.skip("no ember.save in this build")
    pair = Pair()
    oe = ember.optim.AdamW(pair.e.parameters(), lr=0.01, amsgrad=True)
    ot = torch.optim.AdamW(pair.t.parameters(), lr=0.01, amsgrad=True)
    for _ in range(3):
        pair.grads()
        oe.step()
        ot.step()
    ember.save({"optimizer": oe.state_dict()}, tmp_path / "e.pth")
    torch.save({"optimizer": ot.state_dict()}, tmp_path / "t.pth")
    assert_state_equal(oe.state_dict(), torch.load(tmp_path / "e.pth")["optimizer"])
    assert_state_equal(ember.load(tmp_path / "t.pth")["optimizer"], ot.state_dict())
    fresh = ember.optim.AdamW(Pair().e.parameters())
    fresh.load_state_dict(ember.load(tmp_path / "t.pth")["optimizer"])
    assert_state_equal(fresh.state_dict(), ot.state_dict())


@pytest.mark.parametrize("kw", [dict(lr=1e-2), dict(lr=1e-2, amsgrad=True, weight_decay=0.1)])
def test_adam_updates_large_parameters_block_by_block(kw, monkeypatch):
    """A large parameter is updated in cache-sized blocks: exactly what one whole-array pass
    gives, and PyTorch's values."""
    from ember.optim import _functional as F

    r = np.random.default_rng(8)
    w = r.standard_normal((600, 500)).astype(np.float32)  # more than 4 blocks
    grads = [r.standard_normal(w.shape).astype(np.float32) for _ in range(3)]
    results = []
    for block in (F._BLOCK, 1 << 40):
        monkeypatch.setattr(F, "_BLOCK", block)
        p = ember.nn.Parameter(ember.from_numpy(w.copy()))
        opt = ember.optim.Adam([p], **kw)
        for g in grads:
            p.grad = ember.from_numpy(g)
            opt.step()
        results.append(p.detach().numpy().copy())
    np.testing.assert_array_equal(results[0], results[1])
    tp = torch.nn.Parameter(torch.from_numpy(w.copy()))
    topt = torch.optim.Adam([tp], **kw)
    for g in grads:
        tp.grad = torch.from_numpy(g)
        topt.step()
    np.testing.assert_allclose(results[0], tp.detach().numpy(), rtol=2e-6, atol=5e-7)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad"])
def test_second_moments_are_pytorchs_bit_for_bit(name):
    """``addcmul_`` fuses its last product into the sum as PyTorch's CPU kernel does, so the
    squared-gradient averages stay PyTorch's bits step after step (the parameters can still
    differ by an ulp: PyTorch's float32 sqrt is MKL's, not correctly rounded)."""
    r = np.random.default_rng(7)
    w = r.standard_normal(5000).astype(np.float32)
    gs = [r.standard_normal(5000).astype(np.float32) for _ in range(5)]
    key = {"Adam": "exp_avg_sq", "AdamW": "exp_avg_sq", "RMSprop": "square_avg",
           "Adagrad": "sum"}[name]
    got = []
    for T in (torch, ember):
        p = T.nn.Parameter(T.from_numpy(w.copy()))
        opt = getattr(T.optim, name)([p], lr=1e-2)
        for g in gs:
            p.grad = T.from_numpy(g.copy())
            opt.step()
        got.append(opt.state[p][key].numpy().copy())
    np.testing.assert_array_equal(got[0], got[1])
