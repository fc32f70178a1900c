"""Autograd behaves as PyTorch's: each scenario runs on both libraries and must give the
same printed results, or the same exception type and message."""
import re

import numpy as np
import pytest

import ember
from diff import gradcheck

torch = pytest.importorskip("torch")


def outcome(fn, lib):
    try:
        res = fn(lib)
    except Exception as exc:  # the error is the behaviour under test
        return ("raised", type(exc).__name__, str(exc).split(" (Triggered internally")[0])
    return ("ok", re.sub(r"0x[0-9a-f]+", "0x?", repr(res)))


def same(fn, message=True):
    t = outcome(fn, torch)
    e = outcome(fn, ember)
    if not message and t[0] == "raised":
        assert e[:2] == t[:2], f"ember: {e}\ntorch: {t}"
    else:
        assert e == t, f"ember: {e}\ntorch: {t}"


SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def leaf(T, *shape, seed=0):
    T.manual_seed(seed)
    return T.randn(*shape, requires_grad=True)


@scenario
def accumulate(T):
    x = leaf(T, 3)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    return x.grad, x.is_leaf, (x * 2).is_leaf, x.grad_fn


@scenario
def grad_fn_names_and_edges(T):
    x, w = leaf(T, 2, 3), leaf(T, 4, 3, seed=1)
    b = leaf(T, 4, seed=2)
    y = T.addmm(b, x, w.t())
    names = [type(n).__name__ if n is not None else None for n, _ in y.grad_fn.next_functions]
    return type(y.grad_fn).__name__, names, y.relu().grad_fn.name(), x[0].grad_fn.name()


@scenario
def accumulate_grad_variable(T):
    x = leaf(T, 3)
    y = x * 2
    acc = y.grad_fn.next_functions[0][0]
    return acc.variable is x, y.grad_fn.next_functions[1]


@scenario
def backward_with_gradient(T):
    x = leaf(T, 3)
    (x * x).backward(T.tensor([1.0, 0.5, 0.0]))
    return x.grad


@scenario
def implicit_grad_of_non_scalar(T):
    (leaf(T, 3) * 2).backward()


@scenario
def gradient_shape_mismatch(T):
    (leaf(T, 3) * 2).backward(T.ones(4))


@scenario
def second_backward_fails(T):
    x = leaf(T, 3)
    y = (x * x).sum()
    y.backward()
    y.backward()


@scenario
def second_backward_ok_without_saved_tensors(T):
    x = leaf(T, 3)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    return x.grad


@scenario
def retain_graph(T):
    x = leaf(T, 3)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@scenario
def higher_order(T):
    x = leaf(T, 4)
    y = (x ** 3 + x.sin() * x).sum()
    g, = T.autograd.grad(y, x, create_graph=True)
    gg, = T.autograd.grad(g.sum(), x, create_graph=True)
    ggg, = T.autograd.grad(gg.sum(), x)
    return g, gg, ggg, g.requires_grad, ggg.requires_grad


@scenario
def create_graph_backward(T):
    x = leaf(T, 3)
    y = (x * x * x).sum()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y.backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.sum().backward()
    return g, x.grad


@scenario
def grad_allow_unused(T):
    x, z = leaf(T, 3), leaf(T, 3, seed=1)
    return T.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)


@scenario
def grad_unused_error(T):
    x, z = leaf(T, 3), leaf(T, 3, seed=1)
    return T.autograd.grad((x * 2).sum(), [x, z])


@scenario
def grad_of_non_leaf(T):
    x = leaf(T, 3)
    h = x * 2
    y = (h * h).sum()
    return T.autograd.grad(y, [h, x])


@scenario
def grad_input_without_grad(T):
    x = leaf(T, 3)
    return T.autograd.grad((x * 2).sum(), T.ones(3))


@scenario
def grad_leaves_dot_grad_alone(T):
    x = leaf(T, 3)
    T.autograd.grad((x * 2).sum(), x)
    return x.grad


@scenario
def backward_inputs(T):
    x, z = leaf(T, 3), leaf(T, 3, seed=1)
    (x * z).sum().backward(inputs=[z])
    return x.grad, z.grad


@scenario
def no_grad_modes(T):
    x = leaf(T, 3)
    with T.no_grad():
        a = x * 2
        with T.enable_grad():
            b = x * 2
    @T.no_grad()
    def f(v):
        return v * 2
    T.set_grad_enabled(False)
    c = x * 2
    d = T.is_grad_enabled()
    T.set_grad_enabled(True)
    with T.set_grad_enabled(False):
        e = x * 2
    with T.inference_mode():
        i = x * 2
    return (a.requires_grad, b.requires_grad, f(x).requires_grad, c.requires_grad, d,
            e.requires_grad, i.requires_grad, i.is_inference(), x.is_inference(),
            T.is_grad_enabled())


@scenario
def no_grad_generator(T):
    x = leaf(T, 3)

    @T.no_grad()
    def gen():
        yield (x * 2).requires_grad
        yield T.is_grad_enabled()
    return list(gen()), T.is_grad_enabled()


@scenario
def detach_shares_memory(T):
    x = leaf(T, 3)
    d = x.detach()
    with T.no_grad():
        d[0] = 5.0
    return x, d.requires_grad, d._version == x._version


@scenario
def detach_inplace(T):
    x = leaf(T, 3)
    y = x * 2
    y.detach_()
    return y.requires_grad, y.grad_fn, y.is_leaf


@scenario
def requires_grad_flags(T):
    x = T.ones(3)
    x.requires_grad_()
    y = x * 2
    return x.requires_grad, y.requires_grad, T.ones(2).requires_grad


@scenario
def requires_grad_on_int(T):
    return T.ones(3, dtype=T.long).requires_grad_()


@scenario
def requires_grad_false_on_non_leaf(T):
    return (leaf(T, 3) * 2).requires_grad_(False)


@scenario
def retain_grad_and_hooks(T):
    x = leaf(T, 3)
    seen = []
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: seen.append(g.clone()))
    hx = x.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    hx.remove()
    (x * 1).sum().backward()
    return h.grad, seen, x.grad


@scenario
def hook_on_tensor_without_grad(T):
    return T.ones(2).register_hook(lambda g: g)


@scenario
def non_leaf_grad_is_none(T):
    import warnings

    x = leaf(T, 3)
    h = x * 2
    h.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return h.grad


@scenario
def inplace_on_leaf(T):
    leaf(T, 3).add_(1)


@scenario
def inplace_on_view_of_leaf(T):
    leaf(T, 3)[0].add_(1)


@scenario
def inplace_after_save(T):
    x = leaf(T, 3)
    y = x.exp()
    y.add_(1)
    y.sum().backward()


@scenario
def inplace_input_after_save(T):
    x = leaf(T, 3)
    h = x * 1
    y = h * h
    h.mul_(2)
    y.sum().backward()


@scenario
def inplace_mul_gradients(T):
    x, z = leaf(T, 3), leaf(T, 3, seed=1)
    y = x * 1
    y.mul_(z)
    y.sum().backward()
    return x.grad, z.grad, y.grad_fn.name()


@scenario
def inplace_with_grad_into_plain_tensor(T):
    x = leaf(T, 3)
    buf = T.zeros(3)
    buf.add_(x * 2)
    buf.sum().backward()
    return buf.grad_fn.name(), x.grad


@scenario
def inplace_on_view_of_non_leaf(T):
    x = leaf(T, 4)
    b = x * 1
    v = b[1:3]
    v.mul_(3)
    names = type(b.grad_fn).__name__, type(v.grad_fn).__name__
    (b * T.arange(4.0)).sum().backward()
    return names, x.grad, b


@scenario
def other_view_sees_inplace(T):
    x = leaf(T, 4)
    b = x * 1
    v1 = b[0:2]
    v2 = b[1:3]
    v2.mul_(5)
    (v1 * T.tensor([1.0, 2.0])).sum().backward()
    return type(v1.grad_fn).__name__, x.grad


@scenario
def setitem_on_non_leaf(T):
    x = leaf(T, 3)
    b = x * 1
    b[1] = 7.0
    b.sum().backward()
    return b, x.grad


@scenario
def setitem_with_tensor_value(T):
    x = leaf(T, 3)
    b = T.zeros(3)
    b[0:2] = x[1:]
    (b * T.tensor([1.0, 2.0, 3.0])).sum().backward()
    return b, x.grad


@scenario
def setitem_advanced(T):
    x, v = leaf(T, 4), leaf(T, 2, seed=1)
    b = x * 2
    b[T.tensor([0, 2])] = v
    (b * T.arange(4.0)).sum().backward()
    return b.grad_fn.name(), x.grad, v.grad


@scenario
def views_and_broadcasting(T):
    x = leaf(T, 3, 4)
    b = leaf(T, 4, seed=1)
    y = (x.t()[1:, ::2] * 2).sum() + (x + b).pow(2).mean() + x.view(12)[3] + x.T[0].sum()
    y.backward()
    return x.grad, b.grad


@scenario
def dtype_of_grads(T):
    s = T.ones(2, requires_grad=True)
    d = T.ones(2, dtype=T.float64)
    (s * d).sum().backward()
    return s.grad


@scenario
def version_counters(T):
    t = T.ones(3)
    v0 = t._version
    t.add_(1)
    v = t[0:2]
    v.mul_(2)
    return v0, t._version, v._version, t


@scenario
def custom_function(T):
    class Exp(T.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            r = i.exp()
            ctx.save_for_backward(r)
            return r

        @staticmethod
        def backward(ctx, g):
            r, = ctx.saved_tensors
            return g * r

    x = leaf(T, 3)
    o = Exp.apply(x)
    o.sum().backward()
    return type(o.grad_fn).__name__, x.grad, o


@scenario
def custom_function_needs_input_grad(T):
    seen = []

    class Mul(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.save_for_backward(a, b)
            ctx.k = k
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            seen.append(ctx.needs_input_grad)
            return (g * b * ctx.k if ctx.needs_input_grad[0] else None,
                    g * a * ctx.k if ctx.needs_input_grad[1] else None, None)

    x = leaf(T, 3)
    c = T.ones(3)
    Mul.apply(x, c, 2.0).sum().backward()
    return x.grad, seen


@scenario
def custom_function_non_differentiable(T):
    class Sort(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            v, i = x.sort()
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(i)
            return v, i

        @staticmethod
        def backward(ctx, gv, gi):
            i, = ctx.saved_tensors
            out = T.zeros_like(gv)
            out[i] = gv
            return out

    x = leaf(T, 4)
    v, i = Sort.apply(x)
    (v * T.arange(4.0)).sum().backward()
    return i.requires_grad, x.grad


@scenario
def custom_function_dirty(T):
    class AddOne(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    a = leaf(T, 3)
    b = a * 2
    c = AddOne.apply(b)
    c.sum().backward()
    return c is b, a.grad, type(b.grad_fn).__name__


@scenario
def custom_function_materialize(T):
    got = []

    class Two(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            got.append((g1 is None, g2 is None))
            return g1 * 2 if g1 is not None else None

    x = leaf(T, 3)
    a, b = Two.apply(x)
    a.sum().backward()
    return got, x.grad


@scenario
def custom_function_wrong_count(T):
    class Bad(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    Bad.apply(leaf(T, 3), leaf(T, 3, seed=1)).sum().backward()


@scenario
def multi_output_views(T):
    x = leaf(T, 4, 3)
    a, b = x.split(2)
    c = x.unbind(1)
    (a.sum() * 2 + b.pow(2).sum() + c[2].sum()).backward()
    return x.grad, a.grad_fn.name(), c[0].grad_fn.name()


@scenario
def max_dim_gradient(T):
    x = leaf(T, 3, 4)
    v, i = x.max(dim=1)
    v.sum().backward()
    return x.grad, i, v.grad_fn.name()


@scenario
def post_accumulate_hook(T):
    x = leaf(T, 3)
    seen = []
    x.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.clone()))
    (x * 4).sum().backward()
    return seen


@scenario
def node_hooks(T):
    x = leaf(T, 3)
    y = x * 2
    seen = []
    y.grad_fn.register_prehook(lambda go: seen.append(("pre", go[0].shape)))
    y.grad_fn.register_hook(lambda gi, go: seen.append(("post", len(gi))))
    y.sum().backward()
    return seen, x.grad


@scenario
def leaf_grad_assignment(T):
    x = leaf(T, 3)
    x.grad = T.ones(3)
    (x * 2).sum().backward()
    g = x.grad
    x.grad = None
    return g, x.grad


@scenario
def wrong_grad_assignment(T):
    x = leaf(T, 3)
    x.grad = T.ones(3, dtype=T.float64)


@scenario
def deep_chain(T):
    x = leaf(T, 5)
    y = x
    for _ in range(300):
        y = y * 1.001 + 0.001
    y.sum().backward()
    return x.grad


@scenario
def same_tensor_used_twice(T):
    x = leaf(T, 3)
    a = x * 2
    y = a * a + a.exp() * a
    y.sum().backward()
    return x.grad


@scenario
def grad_is_owned_by_each_leaf(T):
    a = leaf(T, 3)
    b = leaf(T, 3, seed=1)
    (a + b).sum().backward()
    with T.no_grad():
        a.grad.mul_(10)
    return a.grad, b.grad


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(name):
    same(SCENARIOS[name])


@pytest.mark.parametrize("fn", [
    lambda T, x: (x * x).sum(1),
    lambda T, x: x.exp().log1p() / (1 + x * x),
    lambda T, x: x.t().matmul(x).tanh(),
    lambda T, x: x[:, 1:].sigmoid() * x[:, :-1],
    lambda T, x: x.softmax(1) if hasattr(x, "softmax") else x.exp() / x.exp().sum(1, True),
    lambda T, x: x.max(1).values + x.min(0).values.sum(),
    lambda T, x: x.norm(dim=1) + x.std(1) + x.var(1),
    lambda T, x: x.prod(1) + x.cumsum(1)[:, -1] + x.logsumexp(1),
])
def test_numerical_gradients(fn):
    a = np.random.default_rng(3).uniform(0.2, 1.5, (3, 4))
    gradcheck(fn, a)
