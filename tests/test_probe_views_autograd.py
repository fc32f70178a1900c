"""Autograd through views and in-place ops, against PyTorch: a view's ``requires_grad`` that
follows its base, views made in no-grad mode (and by ops with several view outputs) written
into, in-place ops on expanded tensors (which refuse, which warn and write), and the outputs
and saved tensors of ``aminmax`` and the LU factorizations."""
import re
import warnings

import numpy as np
import pytest
import torch

import ember


def _show(x):
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return f"T{tuple(x.shape)}{np.round(x.detach().numpy(), 4).tolist()}"
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(_show(v) for v in x) + ")"
    s = repr(x)
    if "Backward" in s or "CopySlices" in s or "AccumulateGrad" in s:
        s = re.sub(r" object at 0x[0-9a-f]+", "", s)
    return re.sub(r"0x[0-9a-f]+", "ADDR", s)


def _run(L, scenario):
    """What ``scenario(L, log)`` logs, each step's error (type and message) and warnings."""
    out = []

    def log(*items):
        out.append(" ".join(_show(i) for i in items))

    def step(f):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = f()
                out.append("ok " + _show(r))
            except Exception as e:  # noqa: BLE001 (compared with PyTorch's)
                out.append(f"{type(e).__name__}: {e}")
        for m in w:
            msg = re.sub(r" \(Triggered internally at .*\)$", "", str(m.message))
            out.append(f"warn {m.category.__name__}: {msg}")
    scenario(L, log, step)
    return out


def _same(scenario):
    assert _run(ember, scenario) == _run(torch, scenario)


# -- (a) a view's requires_grad follows its base -------------------------------------------

def _base_set_later(L, log, step):
    x = L.zeros(4)
    v = x[1:3]
    x.requires_grad_()
    log(v.requires_grad, v.grad_fn, v.is_leaf, v._is_view(), v._base is x)
    w = v * 2
    log(w.requires_grad, w.grad_fn, w.grad_fn.next_functions)
    step(lambda: v.mul_(2))
    with L.no_grad():
        x.add_(1)
    log(v.grad_fn, v.is_leaf, v.grad_fn.next_functions)
    (v * 3).sum().backward()
    log(x.grad)


def _detached_base(L, log, step):
    x = L.randn(3, 4)
    b = x.detach()
    v = b[0]
    b.requires_grad_()
    log(v.requires_grad, v.grad_fn, b[1].requires_grad, b[1].grad_fn)
    step(lambda: v.add_(1))
    b.requires_grad_(False)
    log(v.requires_grad)


def _view_of_view_before(L, log, step):
    x = L.ones(2, 3)
    w = x.t()[0]
    x.requires_grad_()
    log(w.requires_grad, (w + 1).grad_fn.next_functions)
    step(lambda: w.add_(1))
    with L.no_grad():
        x.add_(1)
    (w * 2).sum().backward()
    log(w.grad_fn, x.grad)


def _base_gets_history(L, log, step):
    p = L.zeros(4)
    pv = p[:2]
    t = L.ones(4, requires_grad=True)
    p.add_(t)
    log(pv.requires_grad, pv.grad_fn, (pv * 2).grad_fn.next_functions)
    (pv * 2).sum().backward()
    log(t.grad)


def _no_grad_view_base_off(L, log, step):
    x = L.ones(3, requires_grad=True)
    with L.no_grad():
        v = x[1:]
    log(v.requires_grad, v.grad_fn, v.is_leaf)
    x.requires_grad_(False)
    log(v.requires_grad)
    step(lambda: v.mul_(2))


def _no_grad_view_base_on(L, log, step):
    x = L.zeros(4)
    with L.no_grad():
        v = x[:2]
    x.requires_grad_()
    log(v.requires_grad, v.grad_fn, (v * 2).grad_fn)
    step(lambda: v.mul_(2))


def _no_grad_view_other_operand(L, log, step):
    y = L.ones(3, requires_grad=True)
    x = L.zeros(4)
    with L.no_grad():
        v = x[:2]
    step(lambda: v.add_(y[:2]))
    log(x, x.grad_fn)
    v.add_(1)  # (nothing requires grad: allowed)
    log(x, v.is_leaf, v.grad_fn)
    x.add_(y[0])
    step(lambda: v.grad_fn)
    step(lambda: v.is_leaf)


def _multi_view_base_plain(L, log, step):
    y = L.ones(3, requires_grad=True)
    a = L.ones(2, 3)
    u = a.unbind(0)
    step(lambda: u[0].add_(y))
    step(lambda: a.split(1)[0].mul_(y))
    u[1].add_(1)  # (nothing requires grad: allowed)
    log(a)
    a.requires_grad_()
    log(u[0].requires_grad)
    step(lambda: u[0].grad_fn)
    step(lambda: u[0].add_(1))


def _inference_view(L, log, step):
    x = L.ones(3, requires_grad=True)
    with L.inference_mode():
        v = x[1:]
        log(v.requires_grad, v.is_inference())
    log(v.requires_grad, v.grad_fn)
    step(lambda: v.mul_(2))
    step(lambda: (v * 2).grad_fn)


@pytest.mark.parametrize("scenario", [
    _base_set_later, _detached_base, _view_of_view_before, _base_gets_history,
    _no_grad_view_base_off, _no_grad_view_base_on, _no_grad_view_other_operand,
    _multi_view_base_plain, _inference_view])
def test_view_requires_grad_follows_base(scenario):
    _same(scenario)


# -- (b) in-place ops on expanded tensors -------------------------------------------------

_EXPANDED_OPS = {
    "masked_fill_": lambda L, x: x.masked_fill_(L.tensor([[True, False, True]] + [[False] * 3]),
                                                9.0),
    "masked_fill_t": lambda L, x: x.masked_fill_(L.tensor([True, False, True]), L.tensor(9.)),
    "setitem_mask": lambda L, x: x.__setitem__(L.tensor([[True, False, True], [False] * 3]), 5.),
    "index_fill_": lambda L, x: x.index_fill_(1, L.tensor([0]), 4.0),
    "index_fill_t": lambda L, x: x.index_fill_(0, L.tensor([1]), L.tensor(4.0)),
    "fill_": lambda L, x: x.fill_(2.0),
    "fill_tensor": lambda L, x: x.fill_(L.tensor(2.0)),
    "zero_": lambda L, x: x.zero_(),
    "tril_": lambda L, x: x.tril_(),
    "triu_": lambda L, x: x.triu_(1),
    "threshold": lambda L, x: L.nn.functional.threshold(x, 1.5, -1.0, inplace=True),
    "threshold_": lambda L, x: L.threshold_(x, 2.5, 0.0),
    "addcmul_": lambda L, x: x.addcmul_(L.ones(2, 3), L.ones(2, 3)),
    "addcdiv_": lambda L, x: x.addcdiv_(L.ones(3), L.ones(3)),
    "add_": lambda L, x: x.add_(1),
    "relu_": lambda L, x: L.nn.functional.relu(x, inplace=True),
    "copy_self": lambda L, x: x.copy_(x),
    "copy_": lambda L, x: x.copy_(L.ones(3)),
    "fill_diagonal_": lambda L, x: x.fill_diagonal_(7.0),
    "index_put_": lambda L, x: x.index_put_((L.tensor([0]),), L.tensor(1.)),
}


@pytest.mark.parametrize("name", list(_EXPANDED_OPS))
def test_inplace_on_expanded(name):
    op = _EXPANDED_OPS[name]

    def plain(L, log, step):
        x = (L.arange(3.0) + 1).expand(2, 3)
        step(lambda: op(L, x))
        log(x, x._version)

    def graded(L, log, step):
        a = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = (a * 1).expand(2, 3)
        step(lambda: op(L, x))
        log(x, x.grad_fn, x._base.grad_fn)
        step(lambda: x.sum().backward())
        log(a.grad)
    _same(plain)
    _same(graded)


# -- (c) aminmax and LU outputs --------------------------------------------------------------

def _aminmax(L, log, step):
    L.manual_seed(0)
    x = L.randn(3, 4, requires_grad=True)
    r = L.aminmax(x)
    log(type(r).__name__, r.min.grad_fn, r.min.grad_fn is r.max.grad_fn, r.min.output_nr,
        r.max.output_nr)
    r = x.aminmax(dim=1, keepdim=True)
    log(r.max.grad_fn.next_functions, r.max.output_nr)
    (r.min.sum() + 2 * r.max.sum()).backward()
    log(x.grad)


def _lu_factor(L, log, step):
    L.manual_seed(0)
    m = L.randn(3, 3, requires_grad=True)
    LU, piv = L.linalg.lu_factor(m)
    log(LU.grad_fn, LU.output_nr, LU._version, piv.requires_grad, piv.grad_fn)
    step(lambda: LU.add_(1))
    step(lambda: LU.sum().backward())
    LU, piv = L.linalg.lu_factor(m)
    step(lambda: piv.add_(0))
    step(lambda: LU.sum().backward())
    r = L.linalg.lu_factor_ex(m)
    log(type(r).__name__, r.LU.grad_fn, r.info.requires_grad)


def _lu(L, log, step):
    L.manual_seed(0)
    m = L.randn(3, 3, requires_grad=True)
    P, Lo, U = L.linalg.lu(m)
    log(P.grad_fn, Lo.grad_fn, Lo.output_nr, U.output_nr, P.requires_grad)
    (Lo.sum() + 2 * U.sum()).backward(retain_graph=True)
    log(m.grad)
    U.mul_(2)
    step(lambda: Lo.sum().backward())
    LU, piv = L.linalg.lu_factor(m.detach())
    LU.requires_grad_()
    P, Lo, U = L.lu_unpack(LU, piv)
    log(P.grad_fn, Lo.grad_fn, Lo.output_nr, U.output_nr)
    (Lo.sum() + 3 * U.sum()).backward()
    log(LU.grad)


@pytest.mark.parametrize("scenario", [_aminmax, _lu_factor, _lu])
def test_multi_output_nodes(scenario):
    _same(scenario)
