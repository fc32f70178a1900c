"""Autograd and in-place corners against PyTorch: writes into inference tensors outside
``inference_mode`` (made, then refused at the version bump), reductions and matrix products
into an expanded or aliased ``out=``, the conjugate and negative bits, and the signed zeros
and dtype checks of complex gradients."""
import re

import pytest
import torch

import ember
from diff import scenario_outcome


def _show(x):
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        x = x.detach()
        v = x.resolve_conj().numpy() if isinstance(x, ember.Tensor) else x.numpy(force=True)
        if v.dtype.kind == "c":  # (signed zeros shown)
            v = [(float(c.real), float(c.imag)) for c in v.ravel()]
        else:
            v = v.ravel().tolist()
        return f"T{tuple(x.shape)}{str(x.dtype).split('.')[-1]}{v}"
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(_show(v) for v in x) + ")"
    return re.sub(r" object at 0x[0-9a-f]+", "", repr(x))


def _same(scenario):
    assert scenario_outcome(ember, scenario, _show) == \
        scenario_outcome(torch, scenario, _show)


# -- in-place writes into inference tensors outside inference_mode --------------------------

_INPLACE = {
    "add_": lambda L, t: t.add_(1), "mul_view": lambda L, t: t[0].mul_(2),
    "setitem": lambda L, t: t.__setitem__((0, 1), 9.), "zero_": lambda L, t: t.zero_(),
    "copy_": lambda L, t: t.copy_(L.full((2, 3), 5.)), "fill_": lambda L, t: t.fill_(3),
    "clamp_": lambda L, t: t.clamp_(0, 1), "masked_fill_": lambda L, t: t.masked_fill_(t > 2, 0.),
    "index_put_": lambda L, t: t.index_put_((L.tensor([1]),), L.tensor(7.)),
    "relu_": lambda L, t: L.nn.functional.relu(t.neg(), inplace=True) and t.neg_(),
    "init": lambda L, t: L.nn.init.constant_(t, 2.), "out=": lambda L, t: L.add(t, 1, out=t),
    "resize_": lambda L, t: t.resize_(3, 2), "resize_same": lambda L, t: t.resize_(2, 3),
    "unsqueeze_": lambda L, t: t.unsqueeze_(0), "t_": lambda L, t: t.t_(),
    "data": lambda L, t: t.data.add_(1), "detach": lambda L, t: t.detach().add_(1),
    "detach_view": lambda L, t: t.detach()[0].add_(1),
    "leaf_param": lambda L, t: L.nn.Parameter(t).add_(1),
}


@pytest.mark.parametrize("name", list(_INPLACE))
def test_inference_tensor_written_then_refused(name):
    def scenario(L, log, step):
        with L.inference_mode():
            t = L.arange(6.).view(2, 3)
        step(lambda: _INPLACE[name](L, t))
        log(t)
        with L.no_grad():
            step(lambda: t.add_(1))
        log(t)
    _same(scenario)


def test_inference_tensor_data_taken_inside_and_parameter_no_grad():
    def scenario(L, log, step):
        with L.inference_mode():
            x = L.ones(2, 3)
            d, v = x.data, x[0]
            p = L.nn.Parameter(L.ones(2))
        step(lambda: d.add_(1))
        step(lambda: v.add_(1))
        step(lambda: p.add_(1))
        with L.no_grad():
            step(lambda: p.add_(1))
        with L.inference_mode():
            step(lambda: x.add_(1))
        log(x, p)
        step(lambda: x._version)
    _same(scenario)


# -- out= into expanded or aliased tensors ----------------------------------------------------

_REDUCE = {
    "sum": lambda L, a, o: L.sum(a, 0, out=o), "nansum": lambda L, a, o: L.nansum(a, 0, out=o),
    "prod": lambda L, a, o: L.prod(a, 0, out=o), "amax": lambda L, a, o: L.amax(a, 0, out=o),
    "amin": lambda L, a, o: L.amin(a, 0, out=o), "mean": lambda L, a, o: L.mean(a, 0, out=o),
    "nanmean": lambda L, a, o: L.nanmean(a, 0, out=o),
    "sum_dtype": lambda L, a, o: L.sum(a, 0, dtype=L.float64, out=o.double()),
    "all": lambda L, a, o: L.all(a > 2, 0, out=L.zeros(1, dtype=L.bool).expand(3)),
    "any": lambda L, a, o: L.any(a > 2, 0, out=L.zeros(1, dtype=L.bool).expand(3)),
    "keepdim": lambda L, a, o: L.sum(a, 1, keepdim=True, out=L.zeros(1, 1).expand(2, 1)),
    "3d": lambda L, a, o: L.sum(L.arange(24.).view(2, 3, 4), 1, out=L.zeros(1, 4).expand(2, 4)),
    "add": lambda L, a, o: L.add(a[0], 1, out=o),
}


@pytest.mark.parametrize("name", list(_REDUCE))
def test_reduction_into_expanded_out(name):
    def scenario(L, log, step):
        a = L.arange(1., 7.).view(2, 3)
        o = L.zeros(1).expand(3)
        step(lambda: _REDUCE[name](L, a, o))
        log(o)
    _same(scenario)


_PRODUCTS = {
    "mm_self": lambda L, b, c: L.mm(b, b, out=b),
    "mm_other": lambda L, b, c: L.mm(L.ones(2, 2), b, out=b),
    "mm_t": lambda L, b, c: L.mm(b, b, out=b.t()),
    "matmul_self": lambda L, b, c: L.matmul(b, b, out=b),
    "matmul_mv": lambda L, b, c: L.matmul(L.ones(2, 2), c, out=c),
    "mv_row": lambda L, b, c: L.mv(b, b[0], out=b[1]),
    "addmm_beta0": lambda L, b, c: L.addmm(b, b, b, beta=0, out=b),
    "mm_apart": lambda L, b, c: L.mm(b, b, out=L.zeros(2, 2)),
}


@pytest.mark.parametrize("name", list(_PRODUCTS))
def test_matrix_product_into_aliased_out(name):
    def scenario(L, log, step):
        b = L.arange(1., 5.).view(2, 2)
        c = L.ones(2)
        step(lambda: _PRODUCTS[name](L, b, c))
        log(b, c)
    _same(scenario)


# -- the conjugate and negative bits ----------------------------------------------------------

def test_conj_bits():
    def scenario(L, log, step):
        x = L.tensor([1 + 2j, 3 - 4j, -1j])
        y = x.conj()
        log(y.is_conj(), y.detach().is_conj(), y[1:].detach().is_conj(), y.imag.is_neg(),
            x.imag.is_neg(), y.real.is_neg(), y.imag.resolve_neg().is_neg())
        step(lambda: L.view_as_real(y))
        step(lambda: L.view_as_real(y[1:]))
        step(lambda: L.view_as_real(y.resolve_conj()))
        step(lambda: y.detach().numpy())
        step(lambda: x.clone().conj_physical_())
        step(lambda: y.clone().conj().conj_physical_())
        r = L.ones(2)
        log(r.conj_physical() is r, r.conj_physical_() is r, L.conj_physical(r) is r)
        w = L.tensor([1 + 2j, 3 - 4j], requires_grad=True)
        step(lambda: w.conj_physical_())
        v = w * 1
        v.conj_physical_()
        log(v.grad_fn)
        v.abs().sum().backward()
        log(w.grad)
    _same(scenario)


def test_gradient_never_has_conj_bit():
    def scenario(L, log, step):
        a = L.tensor([[1 + 1j, 2j, 0.5], [3 + 0j, -1j, 1], [1, 1j, 2 - 1j]], requires_grad=True)
        r = L.linalg.qr(a)[1]
        s = L.stack([r.real, r.imag], -1)
        g, = L.autograd.grad(s, a, L.ones_like(s))
        log(g.is_conj())
        b = L.tensor([[1 + 1j, 2j], [3 + 0j, -1j]], requires_grad=True)
        (b.mH * 1).abs().sum().backward()
        log(b.grad.is_conj())
    _same(scenario)


# -- complex gradients -------------------------------------------------------------------------

_CGRAD = {
    "angle": (lambda a: a.angle(), 1), "div": (lambda a, b: a / b, 2),
    "pow": (lambda a: a ** 2, 1), "dot": (lambda a, b: a.dot(b), 2),
    "prod": (lambda a: a[:2].prod() * a[3], 1),  # (NOTE: with a zero factor, PyTorch's -0 differ)
    "fft": (lambda a: ember.fft.fft(a) if isinstance(a, ember.Tensor) else torch.fft.fft(a), 1),
    "sgn": (lambda a: a.sgn(), 1), "mul": (lambda a, b: a * b, 2), "abs": (lambda a: a.abs(), 1),
    "exp": (lambda a: a.exp(), 1), "matmul": (lambda a, b: a.view(2, 2) @ b.view(2, 2), 2),
}


@pytest.mark.parametrize("name", list(_CGRAD))
def test_complex_gradient_signed_zeros(name):
    fn, n = _CGRAD[name]
    vals = ([1 + 2j, -3 + 0j, 0j, -0.0 - 1j], [2 - 1j, 1j, 3 + 0j, -1 + 1j])

    def scenario(L, log, step):
        xs = [L.tensor(v, requires_grad=True) for v in vals[:n]]
        out = fn(*xs)
        loss = (out.real.sum() + 2 * out.imag.sum()) if out.is_complex() else out.sum()
        loss.backward()
        log(*[x.grad for x in xs])
    _same(scenario)


def test_complex_grad_output_dtype_checked():
    def scenario(L, log, step):
        x = L.tensor([1 + 2j, 3j], requires_grad=True)
        step(lambda: L.autograd.grad(x.sum(), x))
        step(lambda: L.autograd.grad(x * 2, x))
        step(lambda: L.autograd.grad(x.sum(), x, L.tensor(1 + 1j)))
        step(lambda: L.autograd.grad(x.sum(), x, L.tensor(1.)))
        step(lambda: L.autograd.grad(x.abs().sum(), x, L.tensor(1 + 0j)))
        step(lambda: (x * 2).backward(L.ones(2)))
        step(lambda: (x * 2).backward(L.ones(3, dtype=L.complex64)))
        log(x.grad)
    _same(scenario)


# -- retain_grad follows a tensor to the history of an in-place change ------------------------

def test_retain_grad_follows_view_and_base_rebased():
    def scenario(L, log, step):
        x = L.arange(4., requires_grad=True)
        y = x * 2
        v = y[:2]
        v.retain_grad()
        y.mul_(3)  # (the view's history is rebuilt from its base)
        log(v.grad_fn)
        v.sum().backward()
        log(v.grad, x.grad)
        x = L.arange(4., requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: log("y hook", g))  # (stays with the old value)
        y.retain_grad()
        y[:2].mul_(5)  # (the base's history becomes CopySlices)
        y.sum().backward()
        log(y.grad, x.grad)
        x = L.arange(4., requires_grad=True)
        y = x * 2
        v = y[:2]
        v.retain_grad()
        v.mul_(3)
        (v.sum() * 2).backward()
        log(v.grad, x.grad)
    _same(scenario)


def test_unpack_hook_must_give_a_tensor():
    def scenario(L, log, step):
        a = L.ones(2, requires_grad=True)
        with L.autograd.graph.saved_tensors_hooks(lambda t: None, lambda p: None):
            d = (a * a).sum()
        step(lambda: d.backward())
        with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: 3):
            d = (a * a).sum()
        step(lambda: d.backward())
        step(lambda: d.grad_fn.next_functions[0][0]._saved_self)
        with L.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda p: p):
            d = (a * a).exp().sum()
        step(lambda: d.backward())
        log(a.grad)
    _same(scenario)


def test_requires_grad_setter_on_non_leaf_and_view_as_complex_0d():
    def scenario(L, log, step):
        w = L.ones(3, requires_grad=True)
        nl = w * 2
        step(lambda: setattr(nl, "requires_grad", True))
        step(lambda: setattr(nl, "requires_grad", False))
        step(lambda: setattr(w[:2], "requires_grad", True))
        step(lambda: nl.requires_grad_(True))
        step(lambda: setattr(nl, "requires_grad", 1))
        step(lambda: setattr(L.ones(2, dtype=L.long), "requires_grad", True))
        d = w.detach()[:2]
        step(lambda: setattr(d, "requires_grad", True))
        log(d.requires_grad, d.is_leaf)
        step(lambda: L.view_as_complex(L.ones(())))
        step(lambda: L.view_as_complex(L.ones(2, 3)))
    _same(scenario)


def test_saved_tensors_hooks_keep_the_graph_for_double_backward():
    def scenario(L, log, step):
        a = L.tensor([1., 2.], requires_grad=True)
        with L.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda p: p):
            y = (a * a * a).sum()
            z = a.exp()
            b = a * 2
            w = (b * b).sum()
        g, = L.autograd.grad(y, a, create_graph=True)
        log(g, g.grad_fn is not None)
        step(lambda: L.autograd.grad(g.sum(), a))
        log(z.grad_fn._saved_result, w.grad_fn.next_functions[0][0]._saved_self)
        g2, = L.autograd.grad(z.sum(), a, create_graph=True)
        step(lambda: L.autograd.grad(g2.sum(), a))
        with L.autograd.graph.saved_tensors_hooks(lambda t: "p", lambda p: L.ones(2)):
            e = a * a
        log(e.grad_fn._saved_self, e.grad_fn._saved_self.requires_grad)
    _same(scenario)


_CGRAD_GRAPH = {
    "mm": lambda a, b: a.view(2, 2) @ b.view(2, 2), "mv": lambda a, b: a.view(2, 2) @ b[:2],
    "dot": lambda a, b: a.dot(b), "square": lambda a, b: a.square() + b,
    "addcmul": lambda a, b: a.addcmul(a, b, value=2), "einsum": None,
    "pow": lambda a, b: a ** 3 + b,
    "diag": lambda a, b: a.view(2, 2).diag() * b[:2], "prod": lambda a, b: a[:2].prod() * b[0],
}


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", list(_CGRAD_GRAPH))
def test_complex_gradient_signed_zeros_create_graph(name, create_graph):
    vals = ([1 + 2j, -3 + 0j, 0j, -0.0 - 1j], [2 - 1j, 1j, 3 + 0j, -1 + 1j])

    def scenario(L, log, step):
        fn = _CGRAD_GRAPH[name] or (lambda a, b: L.einsum("i,i->", a, b))
        xs = [L.tensor(v, requires_grad=True) for v in vals]
        out = fn(*xs)
        loss = out.real.sum() + 2 * out.imag.sum()
        log(*L.autograd.grad(loss, xs, create_graph=create_graph))
    _same(scenario)


def test_detect_anomaly_enables_on_entering_only():
    def scenario(L, log, step):
        made = []
        step(lambda: made.append(L.autograd.detect_anomaly()))  # (its warning logged)
        log(L.is_anomaly_enabled())
        with made[0]:
            log(L.is_anomaly_enabled())
        log(L.is_anomaly_enabled())
        step(lambda: made.append(L.autograd.detect_anomaly(check_nan="x")))
        log(L.is_anomaly_enabled())
        step(lambda: made[1].__enter__())
        log(L.is_anomaly_enabled())
    _same(scenario)
