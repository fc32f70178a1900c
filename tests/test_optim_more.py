"""Rprop, LBFGS and swa_utils (AveragedModel, SWALR, update_bn) against PyTorch."""
import copy
import re

import numpy as np
import pytest

import ember
from test_optim import Pair, assert_state_equal, to_ember, to_torch

torch = pytest.importorskip("torch")

ST = pytest.importorskip("torch.optim.swa_utils")
SE = ember.optim.swa_utils


# -- Rprop --------------------------------------------------------------------------------------

RPROP = [dict(), dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2)), dict(maximize=True),
         dict(lr=0.2, step_sizes=(0.01, 0.05))]


@pytest.mark.parametrize("kw", RPROP)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rprop_steps_match_torch(kw, dtype):
    pair = Pair(dtype)
    ot = torch.optim.Rprop(pair.t.parameters(), **kw)
    oe = ember.optim.Rprop(pair.e.parameters(), **kw)
    for i in range(20):
        pair.grads(skip=(5,) if i % 7 == 3 else ())
        ot.step()
        oe.step()
        # signs, products by the etas and clamps: the update is exact arithmetic
        pair.assert_close(rtol=1e-7, atol=0, what=f"step {i}")
    assert_state_equal(oe.state_dict(), ot.state_dict(), rtol=1e-7, atol=0)


def test_rprop_state_dict_crosses_libraries_and_repr():
    pair = Pair()
    ot = torch.optim.Rprop(pair.t.parameters(), lr=0.03)
    oe = ember.optim.Rprop(pair.e.parameters(), lr=0.03)
    assert repr(oe) == repr(ot)
    for _ in range(3):
        pair.grads()
        ot.step()
        oe.step()
    # ember's state goes into a fresh PyTorch optimizer, PyTorch's into a fresh ember one
    ot2 = torch.optim.Rprop(pair.t.parameters(), lr=0.03)
    ot2.load_state_dict(to_torch(oe.state_dict()))
    oe2 = ember.optim.Rprop(pair.e.parameters(), lr=0.03)
    oe2.load_state_dict(to_ember(ot.state_dict()))
    for _ in range(3):
        pair.grads()
        ot2.step()
        oe2.step()
        pair.assert_close(rtol=1e-7, atol=0)
    assert list(oe2.state_dict()["state"][0]) == ["step", "prev", "step_size"]


@pytest.mark.parametrize("kw", [dict(lr=-1), dict(etas=(1.5, 1.2)), dict(etas=(0.5, 0.9)),
                                dict(etas=(0, 1.2))])
def test_rprop_invalid_options(kw):
    p = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError) as t:
        torch.optim.Rprop(p, **kw)
    with pytest.raises(ValueError, match=re.escape(str(t.value))):
        ember.optim.Rprop([ember.zeros(2, requires_grad=True)], **kw)


# -- LBFGS --------------------------------------------------------------------------------------

def lbfgs_pair(dtype, kw, objective="tanh", seed=1):
    """The same objective on one weight matrix in both libraries, and their closures."""
    r = np.random.default_rng(seed)
    a = r.standard_normal((30, 8)).astype(dtype)
    b = r.standard_normal((30, 3)).astype(dtype)
    w0 = (r.standard_normal((8, 3)) * 0.1).astype(dtype)

    def loss(lib, w):
        x, y = lib.from_numpy(a), lib.from_numpy(b)
        if objective == "lsq":
            return ((x @ w - y) ** 2).mean()
        return (lib.tanh(x @ w) - y).pow(2).mean() + 0.01 * (w ** 4).sum()

    wt = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    we = ember.nn.Parameter(ember.from_numpy(w0.copy()))
    ot = torch.optim.LBFGS([wt], **kw)
    oe = ember.optim.LBFGS([we], **kw)

    def closure(opt, lib, w):
        def run():
            opt.zero_grad()
            value = loss(lib, w)
            value.backward()
            return value
        return run
    return (ot, closure(ot, torch, wt), wt), (oe, closure(oe, ember, we), we)


def close(we, wt, rtol):
    np.testing.assert_allclose(we.detach().numpy(), wt.detach().numpy(), rtol=rtol,
                               atol=rtol * float(np.abs(wt.detach().numpy()).max()))


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
@pytest.mark.parametrize("objective", ["lsq", "tanh"])
@pytest.mark.parametrize("kw", [dict(), dict(history_size=3, max_iter=7, lr=0.5)])
def test_lbfgs_float64_matches_torch(line_search, objective, kw):
    (ot, ct, wt), (oe, ce, we) = lbfgs_pair("float64", dict(kw, line_search_fn=line_search),
                                            objective)
    for _ in range(3):
        lt, le = ot.step(ct), oe.step(ce)
        assert le.item() == pytest.approx(lt.item(), rel=1e-12)
        close(we, wt, 1e-12)
    st, se = ot.state_dict()["state"][0], oe.state_dict()["state"][0]
    assert list(se) == list(st)
    assert (se["func_evals"], se["n_iter"]) == (st["func_evals"], st["n_iter"])


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_lbfgs_float32_matches_torch(line_search):
    # (far from convergence, where float32 rounding noise cannot change the path)
    (ot, ct, wt), (oe, ce, we) = lbfgs_pair(
        "float32", dict(max_iter=4, history_size=4, line_search_fn=line_search))
    for i in range(3):
        ot.step(ct)
        oe.step(ce)
        close(we, wt, 2e-5)
    st, se = ot.state_dict()["state"][0], oe.state_dict()["state"][0]
    assert list(se) == list(st)
    for key, value in st.items():
        values = value if isinstance(value, list) else [value]
        mine = se[key] if isinstance(value, list) else [se[key]]
        for a, b in zip(mine, values):
            if isinstance(b, torch.Tensor):
                assert str(a.dtype) == str(b.dtype), key
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5,
                                           err_msg=key)
            else:
                assert a == pytest.approx(b, rel=1e-5), key


def test_lbfgs_state_dict_layout_and_crossing():
    (ot, ct, wt), (oe, ce, we) = lbfgs_pair("float64", dict(history_size=5, max_iter=5))
    ot.step(ct)
    oe.step(ce)
    st, se = ot.state_dict(), oe.state_dict()
    assert list(se["state"]) == list(st["state"]) == [0]
    for key, value in st["state"][0].items():
        mine = se["state"][0][key]
        if isinstance(value, list):
            assert len(mine) == len(value)
            assert [type(v).__name__ for v in mine] == [type(v).__name__ for v in value], key
        else:
            assert type(mine).__name__ == type(value).__name__, key
    assert se["param_groups"] == st["param_groups"]
    assert repr(oe) == repr(ot)
    # continue from each other's state
    ot2 = torch.optim.LBFGS([wt], history_size=5, max_iter=5)
    ot2.load_state_dict(to_torch(se))
    oe2 = ember.optim.LBFGS([we], history_size=5, max_iter=5)
    oe2.load_state_dict(to_ember(st))
    for _ in range(2):
        ot2.step(ct)
        oe2.step(ce)
        close(we, wt, 1e-12)


def test_lbfgs_stops_at_zero_gradient_and_errors():
    w = ember.nn.Parameter(ember.zeros(3))
    opt = ember.optim.LBFGS([w])

    def closure():
        opt.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 0
    assert opt.state[w] == {"func_evals": 1, "n_iter": 0}
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(2, requires_grad=True)
    for lib, x, y in ((torch, torch.zeros(2, requires_grad=True),
                       torch.zeros(2, requires_grad=True)), (ember, a, b)):
        with pytest.raises(ValueError, match=re.escape(
                "LBFGS doesn't support per-parameter options (parameter groups)")):
            lib.optim.LBFGS([{"params": [x]}, {"params": [y]}])
        with pytest.raises(ValueError, match="Invalid learning rate: -1"):
            lib.optim.LBFGS([x], lr=-1)
        opt = lib.optim.LBFGS([x], line_search_fn="backtracking")

        def closure():
            opt.zero_grad()
            loss = ((x - 1) ** 2).sum()
            loss.backward()
            return loss
        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(closure)


def test_lbfgs_trains_a_model_with_ember_autograd():
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(3, 8), ember.nn.Tanh(), ember.nn.Linear(8, 1))
    x = ember.randn(32, 3)
    y = x.sum(1, keepdim=True).sin()
    opt = ember.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ember.nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss
    first = opt.step(closure).item()
    for _ in range(3):
        last = opt.step(closure).item()
    assert last < first / 10
    assert all(p.is_leaf and p.grad_fn is None for p in model.parameters())


# -- swa_utils ----------------------------------------------------------------------------------

def bn_model(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))


def bn_pair():
    torch.manual_seed(0)
    mt = bn_model(torch)
    me = bn_model(ember)
    me.load_state_dict(to_ember(dict(mt.state_dict())))
    return mt, me


AVERAGES = [
    lambda U: dict(),
    lambda U: dict(multi_avg_fn=U.get_ema_multi_avg_fn(0.9)),
    lambda U: dict(multi_avg_fn=U.get_ema_multi_avg_fn(0.3)),  # lerp's other formula
    lambda U: dict(avg_fn=U.get_ema_avg_fn(0.8)),
    lambda U: dict(multi_avg_fn=U.get_swa_multi_avg_fn()),
    lambda U: dict(avg_fn=U.get_swa_avg_fn()),
    lambda U: dict(use_buffers=True),
    lambda U: dict(multi_avg_fn=U.get_ema_multi_avg_fn(0.9), use_buffers=True),
]


@pytest.mark.parametrize("i", range(len(AVERAGES)))
def test_averaged_model_matches_torch(i):
    mt, me = bn_pair()
    at = ST.AveragedModel(mt, **AVERAGES[i](ST))
    ae = SE.AveragedModel(me, **AVERAGES[i](SE))
    assert repr(ae) == repr(at)
    ot = torch.optim.SGD(mt.parameters(), lr=0.1)
    oe = ember.optim.SGD(me.parameters(), lr=0.1)
    r = np.random.default_rng(0)
    for _ in range(5):
        x = r.standard_normal((8, 4)).astype(np.float32)
        for lib, m, o in ((torch, mt, ot), (ember, me, oe)):
            o.zero_grad()
            m(lib.from_numpy(x)).pow(2).mean().backward()
        for pe, pt in zip(me.parameters(), mt.parameters()):  # PyTorch's gradients for both
            pe.grad = ember.from_numpy(pt.grad.numpy().copy())
        ot.step()
        oe.step()
        at.update_parameters(mt)
        ae.update_parameters(me)
    se, st = ae.state_dict(), at.state_dict()
    assert list(se) == list(st)
    for k in st:
        np.testing.assert_allclose(se[k].numpy(), st[k].numpy(), rtol=1e-6, atol=1e-7,
                                   err_msg=k)
        assert str(se[k].dtype) == str(st[k].dtype)
    x = r.standard_normal((5, 4)).astype(np.float32)
    at.eval()
    ae.eval()
    np.testing.assert_allclose(ae(ember.from_numpy(x)).detach().numpy(),
                               at(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_averaged_model_errors():
    m = ember.nn.Linear(2, 2)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        SE.AveragedModel(m, avg_fn=SE.get_swa_avg_fn(), multi_avg_fn=SE.get_swa_multi_avg_fn())
    for fn in ("get_ema_multi_avg_fn", "get_ema_avg_fn"):
        with pytest.raises(ValueError) as t:
            getattr(ST, fn)(1.5)
        with pytest.raises(ValueError, match=re.escape(str(t.value))):
            getattr(SE, fn)(1.5)
    a = SE.AveragedModel(m)
    assert a.n_averaged.dtype is ember.int64 and a.n_averaged.item() == 0
    assert a.module is not m and a.module.weight is not m.weight


def test_update_bn_matches_torch():
    mt, me = bn_pair()
    r = np.random.default_rng(3)
    batches = [r.standard_normal((6, 4)).astype(np.float32) for _ in range(4)]
    labels = [np.zeros(6, np.float32)] * 4
    mt.eval()
    me.eval()
    ST.update_bn([(torch.from_numpy(x), torch.from_numpy(y)) for x, y in zip(batches, labels)],
                 mt)
    SE.update_bn([(ember.from_numpy(x), ember.from_numpy(y)) for x, y in zip(batches, labels)],
                 me)
    for (k, v), (k2, w) in zip(me.state_dict().items(), mt.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(v.numpy(), w.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    assert not me.training and me[1].momentum == 0.1
    # plain tensors as batches; a model without batch norm is left alone
    SE.update_bn([ember.from_numpy(x) for x in batches], me)
    lin = ember.nn.Linear(2, 2)
    SE.update_bn([ember.zeros(1, 2)], lin)


@pytest.mark.parametrize("kw", [dict(swa_lr=0.05), dict(swa_lr=0.05, anneal_epochs=3,
                                                        anneal_strategy="linear"),
                                dict(swa_lr=[0.01, 0.2], anneal_epochs=0),
                                dict(swa_lr=0.02, anneal_epochs=4)])
def test_swalr_matches_torch(kw):
    groups = lambda lib: [{"params": [lib.zeros(2, requires_grad=True)], "lr": 0.5},  # noqa
                          {"params": [lib.zeros(2, requires_grad=True)], "lr": 0.1}]
    ot = torch.optim.SGD(groups(torch), lr=0.3)
    oe = ember.optim.SGD(groups(ember), lr=0.3)
    t_sched = ST.SWALR(ot, **kw)
    e_sched = SE.SWALR(oe, **kw)
    rates = []
    for _ in range(8):
        ot.step()
        oe.step()
        t_sched.step()
        e_sched.step()
        rates.append((e_sched.get_last_lr(), t_sched.get_last_lr()))
    for mine, theirs in rates:
        assert mine == pytest.approx(theirs, rel=1e-15)
    sd_e, sd_t = e_sched.state_dict(), t_sched.state_dict()
    assert sorted(sd_e) == sorted(sd_t)
    assert "anneal_func" not in sd_e
    e2 = SE.SWALR(ember.optim.SGD(groups(ember), lr=0.3), swa_lr=1.0)
    e2.load_state_dict(sd_e)
    assert e2.anneal_func == e_sched.anneal_func
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        e_sched.get_lr()


def test_swalr_errors():
    for kw in (dict(swa_lr=0.1, anneal_strategy="exp"), dict(swa_lr=0.1, anneal_epochs=-1),
               dict(swa_lr=0.1, anneal_epochs=1.5), dict(swa_lr=[0.1, 0.2])):
        with pytest.raises(ValueError) as t:
            ST.SWALR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1), **kw)
        with pytest.raises(ValueError, match=re.escape(str(t.value))):
            SE.SWALR(ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1), **kw)


def test_public_names_and_deepcopy():
    for name in ("Rprop", "LBFGS", "swa_utils"):
        assert hasattr(ember.optim, name)
    for name in ST.__all__:
        assert hasattr(SE, name), name
    opt = ember.optim.Rprop([ember.zeros(2, requires_grad=True)])
    assert copy.deepcopy(opt).defaults == opt.defaults
