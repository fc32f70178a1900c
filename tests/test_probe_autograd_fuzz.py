"""A seeded random fuzzer of autograd graphs against PyTorch (N5): chains of random
differentiable ops (pointwise, reductions, max/min ties, views, splits, cat/stack, indexing,
in-place writes on intermediates and their views, hooks, retain_grad, detach, grad modes),
then one of several backward calls; every grad_fn chain, is_leaf, requires_grad, _version,
error message and gradient must match.  Plus the differences the fuzzer found, one by one."""
import random

import numpy as np
import pytest
import torch

import ember
from diff import measured_cpu


def _gfn(t):
    def nx(g, d):
        if g is None:
            return "None"
        s = type(g).__name__
        if d > 0:
            s += "(" + ",".join(nx(n, d - 1) for n, _ in g.next_functions) + ")"
        return s
    try:
        return nx(t.grad_fn, 2)
    except RuntimeError as e:  # (a multi-output view whose base was written in place)
        return "ERR " + str(e)


def _is_leaf(t):
    try:
        return t.is_leaf
    except RuntimeError as e:
        return "ERR " + str(e)


def _val(t):
    if t is None:
        return None
    return (str(t.dtype), tuple(t.shape), t.detach().numpy().astype(np.float64).copy())


def _make_ops(torch):
    def same(rng, a, b):
        return a.shape == b.shape

    def bin_(rng, a, b):
        if a.shape != b.shape:
            b = b.reshape(-1)[: a.numel()].reshape(a.shape) if b.numel() >= a.numel() else a
        return rng.choice([torch.add, torch.mul, torch.sub, torch.maximum, torch.minimum,
                           torch.atan2, torch.hypot])(a, b)
    def un(rng, a, b):
        f = rng.choice(["exp", "tanh", "sigmoid", "relu", "abs", "sin", "sqrt", "log1p", "neg",
                        "sign", "square", "reciprocal", "erf", "frac", "floor"])
        return getattr(a, f)()
    def red(rng, a, b):
        f = rng.choice(["sum", "mean", "amax", "amin", "prod", "logsumexp", "norm", "std", "var"])
        d = rng.randrange(a.dim()) if a.dim() else 0
        if f == "norm":
            return a.norm(dim=d)
        if f in ("std", "var"):
            return getattr(a, f)(dim=d, keepdim=rng.random() < 0.5)
        if f in ("amax", "amin"):
            return getattr(a, f)(dim=d)
        return getattr(a, f)(d, keepdim=rng.random() < 0.5)
    def maxmin(rng, a, b):
        f = rng.choice(["max", "min", "median"])
        if rng.random() < 0.4:
            return getattr(a, f)()
        d = rng.randrange(a.dim())
        return getattr(a, f)(d)
    def mm(rng, a, b):
        if a.dim() < 2:
            return a @ a
        return a @ a.transpose(-1, -2)
    def view(rng, a, b):
        c = rng.choice(["t", "T", "view", "reshape", "permute", "flatten", "unsqueeze", "diag",
                        "expand", "narrow", "select", "slice", "mT"])
        if c == "t":
            return a.t() if a.dim() <= 2 else a.transpose(0, 1)
        if c == "T":
            return a.transpose(0, -1)
        if c == "mT":
            return a.mT
        if c == "view":
            return a.view(-1)
        if c == "reshape":
            return a.reshape(a.shape[-1], -1) if a.dim() else a.reshape(1)
        if c == "permute":
            p = list(range(a.dim()))
            rng.shuffle(p)
            return a.permute(*p)
        if c == "flatten":
            return a.flatten()
        if c == "unsqueeze":
            return a.unsqueeze(0)
        if c == "diag":
            return a.diagonal(dim1=0, dim2=-1) if a.dim() >= 2 else a.unsqueeze(0)
        if c == "expand":
            return a.unsqueeze(0).expand(2, *a.shape)
        if c == "narrow":
            return a.narrow(0, 1, max(1, a.shape[0] - 1)) if a.dim() else a
        if c == "select":
            return a.select(-1, 0) if a.dim() else a
        if c == "slice":
            return a[1:, ::2] if a.dim() >= 2 else a[::2]
    def squeeze(rng, a, b):
        return a.unsqueeze(1).squeeze()
    def splits(rng, a, b):
        c = rng.choice(["unbind", "split", "chunk", "split_sizes"])
        if a.dim() == 0:
            return a
        if c == "unbind":
            return a.unbind(rng.randrange(a.dim()))
        if c == "split":
            return a.split(2, dim=-1)
        if c == "chunk":
            return a.chunk(2)
        return a.split([1, a.shape[0] - 1]) if a.shape[0] > 1 else a.split(1)
    def catstack(rng, a, b):
        if a.shape == b.shape:
            return rng.choice([torch.cat, torch.stack])([a, b], dim=rng.choice([0, -1]))
        return torch.cat([a, a])
    def where(rng, a, b):
        if a.shape != b.shape:
            b = torch.zeros_like(a)
        return torch.where(a > b, a, b)
    def clamp(rng, a, b):
        return rng.choice([
            lambda: a.clamp(-0.5, 0.5), lambda: a.clamp(min=0.0),
            lambda: a.clamp(max=b.detach()) if a.shape == b.shape else a.clamp(max=1.0),
            lambda: torch.clamp(a, min=b) if a.shape == b.shape else a.clamp_max(0.)])()
    def index(rng, a, b):
        if a.dim() == 0:
            return a
        idx = torch.tensor([0, 2, 0]) if a.shape[0] > 2 else torch.tensor([0, 0])
        c = rng.choice(["adv", "mask", "gather", "index_select", "setidx"])
        if c == "adv":
            return a[idx]
        if c == "mask":
            return a[a > 0]
        if c == "gather":
            return a.gather(0, torch.zeros_like(a, dtype=torch.long))
        if c == "index_select":
            return a.index_select(0, idx)
        c = a.clone()
        c[idx] = b.reshape(-1)[0]
        return c
    def inplace(rng, a, b):
        c = rng.choice(["add_", "mul_", "x0", "t_", "sin_", "exp_", "clamp_", "relu_", "sigmoid_",
                        "copy_", "zero_", "fill_", "div_", "tanh_", "pow_"])
        if c == "add_":
            return a.add_(1)
        if c == "mul_":
            return a.mul_(2)
        if c == "x0":
            a[0] += 1
            return a
        if c == "t_":
            return a.t_()
        if c == "copy_":
            return a.copy_(b) if a.shape == b.shape else a.copy_(a.detach() * 2)
        if c == "zero_":
            return a.zero_()
        if c == "fill_":
            return a.fill_(2.0)
        if c == "pow_":
            return a.pow_(2)
        if c == "div_":
            return a.div_(b) if b.shape == a.shape else a.div_(3)
        if c == "clamp_":
            return a.clamp_(-1, 1)
        return getattr(a, c)()
    def inplace_view(rng, a, b):
        if a.dim() == 0:
            return a.mul_(2)
        v = rng.choice([lambda t: t[0], lambda t: t.view(-1) if t.is_contiguous() else t[:1],
                        lambda t: t.t() if t.dim() == 2 else t[1], lambda t: t.narrow(0, 0, 1),
                        lambda t: t.diagonal() if t.dim() == 2 else t.select(0, 0)])(a)
        f = rng.choice(["mul_", "add_", "exp_", "sin_", "x", "copy_", "t_", "relu_", "sub_"])
        if f == "x":
            v[0] += 1
        elif f == "copy_":
            v.copy_(torch.ones_like(v))
        elif f == "t_":
            if v.dim() == 2:
                v.t_()
            else:
                v.mul_(3)
        elif f in ("mul_", "add_", "sub_"):
            getattr(v, f)(2)
        else:
            getattr(v, f)()
        return a
    def clone_ip(rng, a, b):
        c = a.clone()
        return inplace_view(rng, c, b) if rng.random() < 0.5 else inplace(rng, c, b)
    def detach(rng, a, b):
        c = rng.choice(["detach", "detach_", "rg", "nograd", "inference", "enable", "retain",
                        "hook", "hookleaf", "dtype"])
        if c == "detach":
            return a.detach()
        if c == "detach_":
            return a.detach_()
        if c == "rg":
            return a.requires_grad_()
        if c == "nograd":
            with torch.no_grad():
                r = a * 2
                if rng.random() < 0.5:
                    a.mul_(1.0)
            return r
        if c == "inference":
            with torch.inference_mode():
                r = a * 2
            return (r.is_inference(), r.requires_grad)  # (its _version: not kept)
        if c == "enable":
            with torch.no_grad():
                with torch.enable_grad():
                    return a * 3
        if c == "retain":
            a.retain_grad()
            return a
        if c == "hook":
            a.register_hook(lambda g: g * 2)
            return a
        if c == "hookleaf":
            a.register_hook(lambda g: None)
            return a
        return a.to(torch.float32 if a.dtype == torch.float64 else torch.float64)

    return [bin_, un, red, maxmin, mm, view, squeeze, splits, catstack, where, clamp, index,
            inplace, inplace_view, clone_ip, detach]


def _program(L, seed):
    """Seed ``seed``'s random program run on library ``L``: what it showed, in order."""
    ops = _make_ops(L)
    rng = random.Random(seed)
    L.manual_seed(seed)
    out, pool, leaves = [], [], []
    for _ in range(rng.randint(2, 3)):
        dt = rng.choice([L.float64, L.float32])
        x = L.randn(*rng.choice([(3, 4), (3, 4), (4, 4), (2, 3, 4)]), dtype=dt)
        rq = rng.random() < 0.8
        if rng.random() < 0.3:
            x = x.round()  # (ties for max/min/median)
        x.requires_grad_(rq)
        leaves.append(x)
        pool.append(x)
    for step in range(rng.randint(3, 10)):
        x, y, op = rng.choice(pool), rng.choice(pool), rng.choice(ops)
        try:
            r = op(rng, x, y)
        except Exception as e:
            out.append((step, op.__name__, "ERR", type(e).__name__, str(e)))
            continue
        for rr in (r if isinstance(r, (tuple, list)) else (r,)):
            if isinstance(rr, L.Tensor):
                pool.append(rr)
                out.append((step, op.__name__, _gfn(rr), _is_leaf(rr), rr.requires_grad,
                            rr._version, tuple(rr.shape), str(rr.dtype)))
            else:
                out.append((step, op.__name__, rr))
    outs = [t for t in pool if t.requires_grad]
    out += [("ver", t._version, _gfn(t), _is_leaf(t), t.requires_grad) for t in pool]
    if not outs:
        return out
    mode = rng.choice(["sum", "grad", "gradarg", "twice", "create"])
    try:
        sel = rng.sample(outs, rng.randint(1, min(3, len(outs))))
        loss = sum((o.double().sin().sum() if rng.random() < 0.5 else (o * o).sum().double())
                   for o in sel)
        out.append(("loss", _gfn(loss), _val(loss)))
        if mode == "sum":
            loss.backward()
        elif mode == "grad":
            inp = [t for t in leaves if t.requires_grad] or [sel[0]]
            gs = L.autograd.grad(loss, inp, allow_unused=True,
                                 materialize_grads=rng.random() < 0.5)
            out += [("g", _val(g)) for g in gs]
        elif mode == "gradarg":
            o = sel[0]
            g = L.randn(o.shape, dtype=o.dtype)
            o.backward(g, retain_graph=True)
            o.backward(g)
        elif mode == "twice":
            loss.backward(retain_graph=rng.random() < 0.5)
            loss.backward()
        else:
            inp = [t for t in leaves if t.requires_grad]
            if inp:
                gs = L.autograd.grad(loss, inp, create_graph=True, allow_unused=True)
                s = sum(g.pow(2).sum() for g in gs if g is not None)
                if isinstance(s, L.Tensor) and s.requires_grad:
                    s.backward()
                    out.append(("s", _val(s), _gfn(s)))
    except Exception as e:
        out.append(("BWD ERR", type(e).__name__, str(e)))
    out += [("leafgrad", _val(t.grad)) for t in leaves]
    out += [("retained", _val(t.grad)) for t in pool
            if _is_leaf(t) is False and t.retains_grad]
    return out


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and \
            np.allclose(a, b, rtol=1e-4, atol=1e-5, equal_nan=True)
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and \
            all(_same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("chunk", range(4))
def test_random_programs(chunk):
    for seed in range(chunk * 15, chunk * 15 + 15):
        want, got = _program(torch, seed), _program(ember, seed)
        assert len(want) == len(got), seed
        for w, g in zip(want, got):
            assert _same(w, g), (seed, w, g)


# -- what the fuzzer found ---------------------------------------------------------------


def _hook_order(L):
    seen = []
    x = L.randn(3, requires_grad=True)
    y = L.randn(3, requires_grad=True)
    x.register_hook(lambda g: seen.append("x"))
    y.register_hook(lambda g: seen.append("y"))
    u = y * 2
    u.register_hook(lambda g: seen.append("u"))
    (x * u).sum().backward()  # (x's AccumulateGrad is ready first: PyTorch runs it at once)
    ls = [L.randn(2, requires_grad=True) for _ in range(7)]
    for i, t in enumerate(ls):
        t.register_hook(lambda g, i=i: seen.append(i))
    (ls[3] * ls[2] + ls[1] * ls[4] * ls[5] + ls[6] * ls[0]).sum().backward()
    L.stack(ls).sum().backward()
    L.cat(ls[::-1]).sum().backward()
    L.autograd.backward(ls[:5], [L.ones(2)] * 5)
    L.autograd.grad((ls[0] * ls[1] * ls[2]).sum(), [ls[2], ls[0], ls[1]])
    return seen


def test_engine_runs_a_ready_accumulate_grad_first():
    assert _hook_order(ember) == _hook_order(torch)


def _partial(L):
    x = L.randn(3, requires_grad=True)
    y = L.randn(3, requires_grad=True)
    m = y.exp()
    m.mul_(2)
    p = x * 2
    try:
        (m.sum() + p.sum()).backward()
    except RuntimeError as e:
        return str(e), x.grad is None, y.grad is None


def test_leaf_accumulated_before_a_failing_node():
    assert _partial(ember) == _partial(torch)


def _inplace_view_refusals(L):
    x = L.randn(2, 3, 4, requires_grad=True)
    a = x.clone().split(1)[0]
    out = []
    for f in (lambda t: t.t_(), lambda t: t.unsqueeze_(7), lambda t: t.squeeze_(7),
              lambda t: t.transpose_(0, 5), lambda t: t.swapdims_(0, 9)):
        for t in (x, a, L.randn(2, 3, 4)):
            try:
                f(t)
                out.append(tuple(t.shape))
            except Exception as e:
                out.append((type(e).__name__, str(e)))
    return out


def test_inplace_view_ops_refuse_autograd_first():
    assert _inplace_view_refusals(ember) == _inplace_view_refusals(torch)


def _reduction_layouts(L):
    L.manual_seed(0)
    out = []
    for dt in (L.float32, L.float64):
        for shp in ((3, 4), (2, 3, 4), (3, 1), (1, 4)):
            x = L.randn(*shp, dtype=dt, requires_grad=True)
            for d in range(len(shp)):
                for op in ("sum", "prod", "mean", "nansum"):
                    y = getattr(x, op)(d, keepdim=True)
                    out.append((op, y.stride(), getattr(x, op)(d).stride(),
                                type(y.reshape(-1).grad_fn).__name__))
    out.append(L.randn(12).prod(0).shape)
    return out


def test_reductions_are_contiguous():
    assert _reduction_layouts(ember) == _reduction_layouts(torch)


def _none_hooks(L):
    seen = []

    class F(L.autograd.Function):
        @staticmethod
        def forward(ctx, t, s):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return None, g

    x = L.randn(3, 2, requires_grad=True)
    a, b, c = x.unbind(0)
    b.register_hook(lambda g: seen.append(("b", g)))
    a.register_hook(lambda g: seen.append(("a", g)))
    a.sum().backward()
    s = L.randn(2, requires_grad=True)
    x.register_hook(lambda g: seen.append(("x", g)))
    for grad in (False, True):
        w = x[0] * 1
        w.register_hook(lambda g: seen.append(("w", g)))
        if grad:
            seen.append(L.autograd.grad(F.apply(w, s).sum(), [x, s], allow_unused=True))
        else:
            F.apply(w, s).sum().backward()
    p, q = x.split([1, 2])
    q.register_hook(lambda g: seen.append(("q", g)))
    q.retain_grad()
    p.sum().backward()
    seen.append(("q.grad", q.grad))
    return [tuple(None if v is None else v if isinstance(v, str) else v.tolist() for v in e)
            for e in seen]


def test_tensor_hooks_see_none_where_no_gradient_came():
    assert _none_hooks(ember) == _none_hooks(torch)


def _signed(t):
    return [(v, np.signbit(v)) for v in t.detach().reshape(-1).tolist()]


def _abs_double_backward(L):
    L.manual_seed(0)
    x0 = L.randn(3, 4).round()
    out = []
    for f in (L.abs, lambda x: x.abs() @ x.abs().t(), lambda x: L.where(x > 0, x, -x)):
        x = x0.clone().requires_grad_()
        g, = L.autograd.grad(f(x).sin().sum(), x, create_graph=True)
        g.pow(2).sum().backward()
        out.append((_signed(g), _signed(x.grad), type(g.grad_fn).__name__))
    x = L.tensor([1.0, 0.0, -2.0], requires_grad=True)
    (x.sgn() * x).sum().backward()
    out.append(_signed(x.grad))
    return out


def test_sgn_gradient_adds_nothing():
    got, want = _abs_double_backward(ember), _abs_double_backward(torch)
    if measured_cpu():
        assert str(got) == str(want)
        return
    # (elsewhere PyTorch's float32 sin/cos are other kernels, a ulp apart: the signs, zeros'
    # included, and the node names still exactly, the values closely)
    def lists(o):  # the (value, sign bit) lists: two gradients per function, then sgn's
        return [v for e in o[:3] for v in e[:2]] + o[3:]
    assert len(got) == len(want) == 4
    assert [e[2] for e in got[:3]] == [e[2] for e in want[:3]]
    for g, w in zip(lists(got), lists(want), strict=True):
        assert len(g) == len(w)
        assert [sb for _, sb in g] == [sb for _, sb in w]
        np.testing.assert_allclose([v for v, _ in g], [v for v, _ in w], rtol=1e-6)
