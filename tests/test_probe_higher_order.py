"""Higher-order autograd against PyTorch (C5): a seeded fuzzer of small programs of
differentiable ops, differentiated two and three times with ``create_graph=True`` (values,
grad_fn names and requires_grad of every gradient), plus the differences it found."""
import random

import numpy as np
import pytest
import torch

import ember


def _ops(T):
    F = T.nn.functional

    def fix(a, b):
        return b if b.shape == a.shape else a
    return {
        "mul": lambda a, b, c: a * fix(a, b),
        "div": lambda a, b, c: a / (fix(a, b) ** 2 + 1),
        "pow3": lambda a, b, c: a.pow(3),
        "log": lambda a, b, c: (a * a + 1).log(),
        "tanh": lambda a, b, c: a.tanh(),
        "softplus": lambda a, b, c: F.softplus(a),
        "gelu": lambda a, b, c: F.gelu(a),
        "silu": lambda a, b, c: F.silu(a),
        "elu": lambda a, b, c: F.elu(a),
        "celu": lambda a, b, c: F.celu(a, 0.7),
        "where": lambda a, b, c: T.where(a > 0, a, fix(a, b) * 2),
        "softmax": lambda a, b, c: F.softmax(a, dim=-1),
        "logsoftmax": lambda a, b, c: F.log_softmax(a, dim=-1),
        "mm": lambda a, b, c: a @ c if a.dim() == 2 and a.shape[1] == c.shape[0] else a,
        "cat": lambda a, b, c: T.cat([a, fix(a, b)], 0),
        "stack": lambda a, b, c: T.stack([a, fix(a, b)]).sum(0) * T.stack([a, a], 1).prod(1),
        "index": lambda a, b, c: a[[0, 1, 0]] if a.dim() >= 1 and a.shape[0] >= 2 else a,
        "prod": lambda a, b, c: a.prod(-1) if a.dim() else a,
        "norm": lambda a, b, c: a.norm(dim=-1) if a.dim() else a,
        "lse": lambda a, b, c: T.logsumexp(a, -1) if a.dim() else a,
        "mse": lambda a, b, c: F.mse_loss(a, fix(a, b)),
    }


_NAMES = sorted(_ops(torch))


def _run(T, seed):
    rng = random.Random(seed)
    nrng = np.random.RandomState(seed)
    ops = _ops(T)
    ins = [T.tensor(nrng.randn(*s) * 0.8, requires_grad=True) for s in ((3, 4), (3, 4), (4, 4))]
    prog = [rng.choice(_NAMES) for _ in range(rng.randint(2, 4))]
    out = []

    def rec(v):
        for t in v:
            out.append(None if t is None else (
                type(t.grad_fn).__name__ if t.grad_fn is not None else None, t.requires_grad,
                tuple(t.shape), t.detach().numpy().copy()))
    h = ins[0]
    for name in prog:
        h = ops[name](h, ins[1], ins[2])
    loss = (h * h.detach().cos()).sum()
    g = T.autograd.grad(loss, ins, create_graph=True, materialize_grads=True)
    rec(g)
    s = sum((gi * (i + 1.5)).sin().sum() for i, gi in enumerate(g))
    g2 = T.autograd.grad(s, ins, create_graph=True, allow_unused=True)
    rec(g2)
    live = [t for t in g2 if t is not None and t.requires_grad]
    if live:
        rec(T.autograd.grad(sum((t ** 2).sum() for t in live), ins, allow_unused=True))
    return prog, out


@pytest.mark.parametrize("seed", range(24))
def test_random_higher_order_programs(seed):
    prog, a = _run(torch, seed)
    _, b = _run(ember, seed)
    assert len(a) == len(b), prog
    for k, (x, y) in enumerate(zip(a, b)):
        assert (x is None) == (y is None), (prog, k)
        if x is not None:
            assert x[:3] == y[:3], (prog, k)
            np.testing.assert_allclose(y[3], x[3], rtol=1e-9, atol=1e-9, err_msg=str((prog, k)))


def _both(fn):
    return fn(torch), fn(ember)


def test_materialized_grads_require_grad_under_create_graph():
    def f(T):
        x = T.ones(3, dtype=T.float64, requires_grad=True)
        y = T.ones(2, requires_grad=True)
        res = []
        for cg in (False, True):
            g = T.autograd.grad((x * x).sum(), [x, y], create_graph=cg, materialize_grads=True)
            res.append([(t.requires_grad, t.grad_fn is None, t.is_leaf, t.tolist()) for t in g])
        g = T.autograd.grad(x ** 3, [x, y], T.eye(3, dtype=T.float64), is_grads_batched=True,
                            create_graph=True, materialize_grads=True)
        res.append((g[1].requires_grad, tuple(g[1].shape)))
        return res
    a, b = _both(f)
    assert a == b


def test_materialize_grads_refuses_an_unused_gradient_edge():
    def f(T):
        x = T.ones(3, requires_grad=True)
        y = T.ones(3, requires_grad=True)
        e = T.autograd.graph.get_gradient_edge(y * 2)
        try:
            T.autograd.grad((x * x).sum(), [x, e], materialize_grads=True)
        except RuntimeError as err:
            return str(err)
    a, b = _both(f)
    assert a == b and a is not None


def test_double_backward_node_names_of_index_cat_stack():
    def f(T):
        x = T.arange(12.0, dtype=T.float64).reshape(3, 4).requires_grad_()
        res = []
        for fn in (lambda x: x[[0, 1, 0]], lambda x: x[:, [1, 2]],
                   lambda x: T.cat([x, x * 2]), lambda x: T.cat([x, x * 2], 1),
                   lambda x: T.stack([x, x * 3]), lambda x: T.stack([x, x], 2),
                   lambda x: T.hstack([x, x]), lambda x: x.take(T.tensor([1, 1, 5])),
                   lambda x: x[x > 3]):
            y = fn(x)
            g, = T.autograd.grad((y * y).sum(), x, create_graph=True)
            res.append((type(g.grad_fn).__name__,
                        [type(n).__name__ for n, _ in g.grad_fn.next_functions],
                        g.tolist()))
        return res
    a, b = _both(f)
    assert a == b


def test_celu_second_derivative_uses_float32_inverse_alpha():
    def f(T):
        x = T.tensor([-1.3, -0.2, 0.4, -2.1], dtype=T.float64, requires_grad=True)
        g, = T.autograd.grad(T.nn.functional.celu(x, 0.7).sum(), x, create_graph=True)
        g2, = T.autograd.grad(g.sum(), x, create_graph=True)
        g3, = T.autograd.grad(g2.sum(), x)
        return g.numpy(force=True).tobytes(), g2.numpy(force=True).tolist(), g3.tolist()
    (a1, a2, a3), (b1, b2, b3) = _both(f)
    assert a1 == b1
    np.testing.assert_allclose(b2, a2, rtol=1e-14)
    np.testing.assert_allclose(b3, a3, rtol=1e-14)


def _first_grad(T, fn, x):
    y = fn(x)
    g, = T.autograd.grad((y * y).sum(), x, create_graph=True)
    return (g.grad_fn.name(), [type(n).__name__ for n, _ in g.grad_fn.next_functions],
            g.detach().numpy().tobytes(), str(g.dtype))


@pytest.mark.parametrize("case", ["mean", "mean0", "max", "min", "maxtie", "lerp", "lerp7"])
def test_scalar_overload_nodes_of_first_gradients(case):
    fn = {"mean": lambda x: x.mean(), "mean0": lambda x: x.mean(0, keepdim=True),
          "max": lambda x: x.max(), "min": lambda x: x.min(),
          "maxtie": lambda x: (x * 0 + 1).max() * x,
          "lerp": lambda x: x.lerp(x.detach().flip(0), 0.3),
          "lerp7": lambda x: x.lerp(x * 2, 0.7)}[case]

    def f(T):
        res = []
        for dt in (T.float64, T.float32):
            x = T.tensor([[0.3, -1.2, 2.5], [2.5, 0.7, -0.4]], dtype=dt, requires_grad=True)
            res.append(_first_grad(T, fn, x))
        return res
    a, b = _both(f)
    assert a == b


@pytest.mark.parametrize("shape,reps", [((3, 4), (2, 1)), ((3,), (2, 2)), ((), (3,)),
                                        ((), (2, 3)), ((2, 3), (1, 2, 2)), ((2, 3), (1, 1)),
                                        ((2, 0), (2, 1)), ((2, 3), (0, 1))])
def test_repeat_backward_sums_as_pytorch(shape, reps):
    def f(T):
        x = T.tensor(np.linspace(-1.3, 2.9, int(np.prod(shape))).reshape(shape) / 7,
                     dtype=T.float32, requires_grad=True)
        y = x.repeat(*reps)
        g, = T.autograd.grad((y * y).sum(), x, create_graph=True)
        return (None if g.grad_fn is None else g.grad_fn.name(), g.requires_grad,
                tuple(g.shape), g.detach().numpy().tobytes())
    a, b = _both(f)
    assert a == b


def test_hardswish_first_gradient_is_its_double_backward_node():
    def f(T):
        res = []
        for dt in (T.float64, T.float32):
            x = T.tensor([-4., -3., -1.5, 0., 2.9, 3., 5., float("nan")], dtype=dt,
                         requires_grad=True)
            y = T.nn.functional.hardswish(x)
            g, = T.autograd.grad((y * y.detach()).sum(), x, create_graph=True)
            g2, = T.autograd.grad((g * g).sum(), x)
            res.append((g.grad_fn.name(), g.detach().numpy().tobytes(), g2.tolist()))
        return res
    a, b = _both(f)
    assert str(a) == str(b)
