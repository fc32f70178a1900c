"""torch.func (functional_call, stack_module_state, vmap, grad, grad_and_value, vjp, jvp,
jacrev, jacfwd, hessian, linearize) against PyTorch."""
import warnings
from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

with warnings.catch_warnings():  # (PyTorch's forward mode warns about torch.jit.script once)
    warnings.simplefilter("ignore", DeprecationWarning)
    torch.func.jvp(torch.sin, (torch.zeros(1),), (torch.ones(1),))

R = np.random.default_rng(0)


def arr(*shape, dtype="float64"):
    return R.standard_normal(shape).astype(dtype)


def same(e, t, rtol=1e-6, atol=1e-9, what="result"):
    """Compare pytrees of results: the same containers, tensors equal in dtype, shape,
    value and whether they require grad."""
    if isinstance(t, dict):
        assert isinstance(e, dict) and list(e) == list(t), what
        for k in t:
            same(e[k], t[k], rtol, atol, f"{what}[{k!r}]")
    elif isinstance(t, (tuple, list)):
        assert type(e) is type(t) and len(e) == len(t), f"{what}: {type(e)} vs {type(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            same(a, b, rtol, atol, f"{what}[{i}]")
    elif isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: ember gave {type(e)}"
        assert str(e.dtype) == str(t.dtype), f"{what}: {e.dtype} vs {t.dtype}"
        assert tuple(e.shape) == tuple(t.shape), f"{what}: {tuple(e.shape)} vs {tuple(t.shape)}"
        assert e.requires_grad == t.requires_grad, f"{what}: requires_grad"
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol,
                                   atol=atol, err_msg=what)
    else:
        assert e == t, f"{what}: {e!r} vs {t!r}"


def both(fn, *arrays):
    """``fn(lib, *tensors)`` in both libraries, from the same arrays; compared."""
    e = fn(ember, *[ember.from_numpy(a.copy()) for a in arrays])
    t = fn(torch, *[torch.from_numpy(a.copy()) for a in arrays])
    same(e, t)
    return e, t


def same_error(fn, *arrays, match_text=True):
    with pytest.raises(Exception) as t:
        fn(torch, *[torch.from_numpy(a.copy()) for a in arrays])
    with pytest.raises(type(t.value)) as e:
        fn(ember, *[ember.from_numpy(a.copy()) for a in arrays])
    if match_text:
        assert str(e.value) == str(t.value)


def sync(emod, tmod):
    """Give the ember module the PyTorch module's parameters and buffers."""
    emod.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                          for k, v in tmod.state_dict().items()})
    return emod


# -- functional_call -----------------------------------------------------------------------

class Net:
    """A model with parameters, a buffer and a submodule, built in either library."""

    @staticmethod
    def make(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(3, 2)
                self.register_buffer("scale", lib.full((2,), 2.0, dtype=lib.float64))

            def forward(self, x, shift=0.0):
                return self.fc(x) * self.scale + shift

        return M().double()


def test_functional_call_values_grads_and_restore():
    x, w, b, s = arr(4, 3), arr(2, 3), arr(2), arr(2)

    def fn(lib, x, w, b, s):
        m = Net.make(lib)
        w.requires_grad_()
        before = m.fc.weight
        out = lib.func.functional_call(m, {"fc.weight": w, "fc.bias": b, "scale": s}, (x,),
                                       {"shift": 1.5})
        gw, = lib.autograd.grad(out.sum(), [w])
        assert m.fc.weight is before and "weight" in m.fc._parameters
        assert m.scale.shape == (2,) and float(m.scale[0]) == 2.0
        # a tuple of dicts; a bare (non-tuple) argument
        out2 = lib.func.functional_call(m, ({"fc.weight": w}, {"fc.bias": b}), x)
        return out, gw, out2

    both(fn, x, w, b, s)


def test_functional_call_restores_after_error_and_writes_back_buffers():
    def fn(lib):
        m = lib.nn.BatchNorm1d(3).double()
        rm = lib.zeros(3, dtype=lib.float64)
        state = {"running_mean": rm}
        lib.func.functional_call(m, state, (lib.arange(12.0, dtype=lib.float64).view(4, 3),))
        seen = (state["running_mean"].clone(), m.running_mean.clone(),
                state["num_batches_tracked"] if "num_batches_tracked" in state else None)

        class Boom(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(2, 2)

            def forward(self, x):
                raise ValueError("boom")

        b = Boom()
        w = b.lin.weight
        with pytest.raises(ValueError):
            lib.func.functional_call(b, {"lin.weight": lib.zeros(2, 2), "extra": lib.ones(1)},
                                     (lib.ones(2),))
        assert b.lin.weight is w and not hasattr(b, "extra")
        return seen

    same(fn(ember), fn(torch))


def test_functional_call_tied_weights():
    def make(lib):
        class Tied(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = lib.nn.Linear(2, 2, bias=False)
                self.b = lib.nn.Linear(2, 2, bias=False)
                self.b.weight = self.a.weight

            def forward(self, x):
                return self.b(self.a(x))

        return Tied().double()

    x, w, w2 = arr(2), arr(2, 2), arr(2, 2)

    def fn(lib, x, w, w2):
        m = make(lib)
        tied = lib.func.functional_call(m, {"a.weight": w}, (x,))
        untied = lib.func.functional_call(m, {"a.weight": w}, (x,), tie_weights=False)
        both_given = lib.func.functional_call(m, {"a.weight": w, "b.weight": w}, (x,))
        return tied, untied.detach() - m.b(w.matmul(x)).detach(), both_given

    both(fn, x, w, w2)
    same_error(lambda lib, x, w, w2: lib.func.functional_call(
        make(lib), {"a.weight": w, "b.weight": w2}, (x,)), x, w, w2)
    # tie_weights=False takes both values
    both(lambda lib, x, w, w2: lib.func.functional_call(
        make(lib), {"a.weight": w, "b.weight": w2}, (x,), tie_weights=False), x, w, w2)


def test_functional_call_errors():
    x = arr(3)
    cases = [
        lambda lib, x: lib.func.functional_call(Net.make(lib), {"fc.weight": x, "bogus": x},
                                                (x,), strict=True),
        lambda lib, x: lib.func.functional_call(Net.make(lib), {"fc.weight": x}, (x,),
                                                strict=True),
        lambda lib, x: lib.func.functional_call(Net.make(lib), ({"scale": x}, {"scale": x}),
                                                (x,)),
        lambda lib, x: lib.func.functional_call(Net.make(lib), ({"scale": x}, 3), (x,)),
        lambda lib, x: lib.func.functional_call(Net.make(lib), 3, (x,)),
        lambda lib, x: lib.func.functional_call(Net.make(lib), {"nope.weight": x}, (x,)),
    ]
    for case in cases:
        same_error(case, x)


# -- stack_module_state --------------------------------------------------------------------

def test_stack_module_state_and_ensembling():
    tmodels = [torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)).double()
               for _ in range(3)]
    emodels = [sync(ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4))
                    .double(), t) for t in tmodels]
    ep, eb = ember.func.stack_module_state(emodels)
    tp, tb = torch.func.stack_module_state(tmodels)
    same((ep, eb), (tp, tb))
    assert all(v.is_leaf for v in ep.values()) and list(ep) == list(tp)
    for m in tmodels + emodels:
        m.eval()
    x = arr(5, 3)

    def ensemble(lib, models, params, buffers):
        base = models[0]

        def call(p, b, x):
            return lib.func.functional_call(base, (p, b), (x,))

        return lib.func.vmap(call, in_dims=(0, 0, None))(params, buffers,
                                                          lib.from_numpy(x.copy()))

    eo = ensemble(ember, emodels, ep, eb)
    to = ensemble(torch, tmodels, tp, tb)
    same(eo, to)

    # parameters that do not require grad stay that way
    for ms in (tmodels, emodels):
        for m in ms:
            m.requires_grad_(False)
    same(ember.func.stack_module_state(emodels)[0], torch.func.stack_module_state(tmodels)[0])


def test_stack_module_state_errors():
    for make in (lambda lib: [], lambda lib: [lib.nn.Linear(1, 1), lib.nn.Linear(1, 1).eval()],
                 lambda lib: [lib.nn.Linear(1, 1), lib.nn.ReLU()]):
        same_error(lambda lib: lib.func.stack_module_state(make(lib)))

    def mixed(lib):
        a, b = lib.nn.Linear(1, 1), lib.nn.Linear(1, 1)
        b.weight.requires_grad_(False)
        return lib.func.stack_module_state([a, b])

    same_error(mixed)


# -- vmap ----------------------------------------------------------------------------------

def test_vmap_in_dims_out_dims():
    x, y, z = arr(3, 4), arr(4, 3), arr(5)
    both(lambda lib, x, y, z: lib.func.vmap(lib.mul)(x, x), x, y, z)
    both(lambda lib, x, y, z: lib.func.vmap(lib.mul, in_dims=(0, 1))(x, y), x, y, z)
    both(lambda lib, x, y, z: lib.func.vmap(lib.mul, in_dims=(-1, 0))(y, x), x, y, z)
    both(lambda lib, x, y, z: lib.func.vmap(lambda a, b: lib.outer(a, b),
                                            in_dims=(0, None), out_dims=2)(x, z), x, y, z)
    both(lambda lib, x, y, z: lib.func.vmap(lambda a: (a.sum(), a * 2),
                                            out_dims=(0, -1))(x), x, y, z)
    both(lambda lib, x, y, z: lib.func.vmap(lambda a: a, out_dims=(1,))(x), x, y, z)
    # nested pytrees in and out, non-tensor and keyword arguments
    both(lambda lib, x, y, z: lib.func.vmap(
        lambda d, pair, k, scale=1.0: {"s": (d["a"] * pair[0] + pair[1]) * k * scale,
                                       "t": [d["b"].sum(), pair[1]]},
        in_dims=({"a": 0, "b": 1}, [0, None], None), out_dims={"s": 1, "t": 0})(
            {"a": x, "b": y}, [x, z[:4]], 3.0, scale=0.5), x, y, z)
    P = namedtuple("P", "u v")
    both(lambda lib, x, y, z: lib.func.vmap(
        lambda d: P(OrderedDict(b=d["a"] * 2, a=d["a"].sum()), d["a"][0]),
        out_dims=P(OrderedDict(b=1, a=0), 0))(OrderedDict(a=x)), x, y, z)
    # an unmapped output, chunk_size, a 0-size batch
    both(lambda lib, x, y, z: lib.func.vmap(lambda a, b: (a + 1, b), in_dims=(0, None),
                                            out_dims=(0, None))(x, z), x, y, z)
    both(lambda lib, x, y, z: lib.func.vmap(lambda a: a.exp(), chunk_size=2)(x), x, y, z)
    both(lambda lib, x, y, z: lib.func.vmap(lambda a: (a.sum(), a))(x[:0]), x, y, z)


def test_vmap_nested_and_with_autograd():
    x, y = arr(2, 3, 4), arr(4)
    both(lambda lib, x, y: lib.func.vmap(lib.func.vmap(lib.dot, in_dims=(0, None)),
                                         in_dims=(0, None))(x, y), x, y)
    both(lambda lib, x, y: lib.func.vmap(lib.func.vmap(lambda a, b: a * b), in_dims=(1, 0),
                                         out_dims=1)(x.transpose(0, 1), x), x, y)

    def backward_through(lib, x, y):
        y.requires_grad_()
        out = lib.func.vmap(lambda a: (a * y).sin().sum())(x[0])
        return out, lib.autograd.grad(out.sum(), y)

    both(backward_through, x, y)


def test_vmap_randomness():
    x = arr(3, 2)
    same_error(lambda lib, x: lib.func.vmap(lambda a: a + lib.rand(2))(x), x)
    same_error(lambda lib, x: lib.func.vmap(lambda a: a, randomness="nope")(x), x)
    for lib in (ember, torch):
        t = lib.from_numpy(x.copy())
        same_rows = lib.func.vmap(lambda a: lib.rand(2), randomness="same")(t)
        assert bool((same_rows == same_rows[0]).all())
        diff_rows = lib.func.vmap(lambda a: lib.rand(2), randomness="different")(t)
        assert not bool((diff_rows == diff_rows[0]).all())


def add(a, b):
    return a + b


def test_vmap_errors():
    x, y = arr(3, 4), arr(4, 3)
    cases = [
        lambda lib, x, y: lib.func.vmap(add)(x, y),
        lambda lib, x, y: lib.func.vmap(add, in_dims=2)(x, y),
        lambda lib, x, y: lib.func.vmap(add, in_dims=(0, 0, 0))(x, y),
        lambda lib, x, y: lib.func.vmap(lambda a, b: a, in_dims=(0, (0, None)))(x, [y, y]),
        lambda lib, x, y: lib.func.vmap(lambda d: d["a"], in_dims=({"a": 0},))({"a": x, "b": y}),
        lambda lib, x, y: lib.func.vmap(lambda a, b: a)(x, 1.0),
        lambda lib, x, y: lib.func.vmap(lambda a: a, in_dims=None)(x),
        lambda lib, x, y: lib.func.vmap(lambda a: a, in_dims=(1.5,))(x),
        lambda lib, x, y: lib.func.vmap(lambda a: a, in_dims=(None,))(x),
        lambda lib, x, y: lib.func.vmap(lambda a: a)(),
        lambda lib, x, y: lib.func.vmap(lambda a: a, chunk_size=0)(x),
        lambda lib, x, y: lib.func.vmap(lambda a: (a, a), out_dims=(0, 0, 0))(x),
        lambda lib, x, y: lib.func.vmap(lambda a: {"a": a}, out_dims={"b": 0})(x),
        lambda lib, x, y: lib.func.vmap(lambda a: a, out_dims="a")(x),
        lambda lib, x, y: lib.func.vmap(lambda a: a, out_dims=None)(x),
        lambda lib, x, y: lib.func.vmap(lambda a: 1.0)(x),
        lambda lib, x, y: lib.func.vmap(lambda a: None)(x),
    ]
    for case in cases:
        same_error(case, x, y)
    same_error(lambda lib, x, y: lib.func.vmap(lambda a: a, out_dims=3)(x), x, y,
               match_text=False)


# -- grad, vjp, jvp, jacobians -------------------------------------------------------------

def f1(lib, x):
    return (x.sin() * x.sum() + x ** 3).sum()


def f2(lib, x, y):
    return (x.exp() * y).sum() + (x @ y) ** 2


def f_vec(lib, x, y):
    return x.tanh() * y.sum() + y ** 2


def f_multi(lib, x, y):
    return (x * y).sum(0), {"p": x.exp().sum(), "q": y.sin()}


def test_grad_and_value():
    x, y = arr(3), arr(3)
    G = lambda lib, f, **kw: lib.func.grad(lambda *a: f(lib, *a), **kw)
    both(lambda lib, x, y: G(lib, f1)(x), x, y)
    both(lambda lib, x, y: G(lib, f2, argnums=1)(x, y), x, y)
    both(lambda lib, x, y: G(lib, f2, argnums=(0, 1))(x, y), x, y)
    both(lambda lib, x, y: G(lib, f2, argnums=(1, -2))(x, y), x, y)
    both(lambda lib, x, y: lib.func.grad_and_value(lambda a, b: f2(lib, a, b),
                                                   argnums=(0, 1))(x, y), x, y)
    both(lambda lib, x, y: lib.func.grad_and_value(
        lambda a: (f1(lib, a), {"aux": a.cos(), "n": (a[0],)}), has_aux=True)(x), x, y)
    both(lambda lib, x, y: lib.func.grad(
        lambda d, k: (d["a"] * d["b"] * k).sum() + d["c"][0].sum(), has_aux=False)(
            {"a": x, "b": y, "c": [x, y]}, 2.0), x, y)
    # unused inputs get zeros; kwargs pass through
    both(lambda lib, x, y: lib.func.grad(lambda a, b, k=1.0: (a * k).sum(), argnums=(0, 1))(
        x, y, k=3.0), x, y)


def test_grad_nesting_and_outer_autograd():
    x, y = arr(3), arr(3)
    both(lambda lib, x, y: lib.func.grad(lambda a: lib.func.grad(
        lambda b: (b ** 4).sum())(a).sum())(x), x, y)
    both(lambda lib, x, y: lib.func.grad(lib.func.grad(lambda a: (a ** 3).sin().sum()))(x[0]),
         x, y)
    # closures over the outer transform's input
    both(lambda lib, x, y: lib.func.grad(lambda a: lib.func.grad(
        lambda b: (a * b ** 2).sum())(y).sum())(x), x, y)

    def outer(lib, x, y):
        y.requires_grad_()
        g = lib.func.grad(lambda a: (a * y).sum() ** 2)(x)
        h = lib.func.grad(lambda a: (a ** 2).sum())(x)
        return g, h, lib.autograd.grad(g.sum(), y)

    both(outer, x, y)

    def under_no_grad(lib, x, y):
        y.requires_grad_()
        with lib.no_grad():
            return lib.func.grad(lambda a: (a * y).sum() ** 2)(x)

    both(under_no_grad, x, y)


def test_vjp_and_jvp():
    x, y, v, t = arr(4), arr(4), arr(4), arr(4)

    def vjps(lib, x, y, v, t):
        out, fn = lib.func.vjp(lambda a, b: f_vec(lib, a, b), x, y)
        out2, fn2, aux = lib.func.vjp(lambda a, b: (f_multi(lib, a, b), a * 2), x, y,
                                      has_aux=True)
        cts = (v.sum(), {"p": v.sum(), "q": t})
        return out, fn(v), fn(t), out2, fn2(cts), aux

    both(vjps, x, y, v, t)

    def jvps(lib, x, y, v, t):
        r1 = lib.func.jvp(lambda a, b: f_vec(lib, a, b), (x, y), (v, t))
        r2 = lib.func.jvp(lambda a, b: (f_multi(lib, a, b), b.sum()), (x, y), (v, t),
                          has_aux=True)
        r3 = lib.func.jvp(lambda d: d["a"] * 2 + lib.ones(4, dtype=lib.float64), ({"a": x},),
                          ({"a": v},))
        r4 = lib.func.jvp(lambda a: lib.ones(2, dtype=lib.float64), (x,), (v,))
        return r1, r2, r3, r4

    both(jvps, x, y, v, t)
    lin_e = ember.func.linearize(lambda a: a.sin() * a, ember.from_numpy(x.copy()))
    with warnings.catch_warnings():  # (PyTorch's tracing warns about its graph)
        warnings.simplefilter("ignore", UserWarning)
        lin_t = torch.func.linearize(lambda a: a.sin() * a, torch.from_numpy(x.copy()))
    same(lin_e[0], lin_t[0])
    same(lin_e[1](ember.from_numpy(v.copy())), lin_t[1](torch.from_numpy(v.copy())))


def test_vjp_jvp_errors():
    x = arr(3)
    cases = [
        lambda lib, x: lib.func.vjp(lambda a: (a, a * 2), x)[1](x),
        lambda lib, x: lib.func.vjp(lambda a: (a, a * 2), x)[1]({"a": x}),
        lambda lib, x: lib.func.vjp(lambda a: a.long(), x),
        lambda lib, x: lib.func.vjp(lambda a: 1, x),
        lambda lib, x: lib.func.vjp(lambda a: a, x, has_aux=True),
        lambda lib, x: lib.func.vjp(lambda a, b: a, x, 2.0),
        lambda lib, x: lib.func.jvp(lambda a: a, x, (x,)),
        lambda lib, x: lib.func.jvp(lambda a: a, (x,), [x]),
        lambda lib, x: lib.func.jvp(lambda a: a, (x,), (x[:2],)),
        lambda lib, x: lib.func.jvp(lambda a: a, (x, 1.0), (x, 1.0)),
        lambda lib, x: lib.func.jvp(lambda a: lib.ones(2), (x,), (x,), strict=True),
        lambda lib, x: lib.func.jvp(lambda a: a, (x,), (x,), has_aux=True),
        lambda lib, x: lib.func.grad(lambda a: a)(x),
        lambda lib, x: lib.func.grad(lambda a: 1.0)(x),
        lambda lib, x: lib.func.grad(lambda a: a.sum(), has_aux=True)(x),
        lambda lib, x: lib.func.grad(lambda a: a.sum(), argnums=(0, 0))(x),
        lambda lib, x: lib.func.grad(lambda a: a.sum(), argnums=())(x),
        lambda lib, x: lib.func.grad(lambda a: a.sum(), argnums=2)(x),
        lambda lib, x: lib.func.grad(lambda a: a.sum(), argnums=[0])(x),
        lambda lib, x: lib.func.grad(lambda a, b: a.sum(), argnums=1)(x, 2.0),
        lambda lib, x: lib.func.jacrev(lambda a: a, chunk_size=0),
        lambda lib, x: lib.func.jacfwd(lambda a: a + lib.rand(3))(x),
        lambda lib, x: lib.func.functionalize(lambda a: a, remove="x"),
    ]
    for case in cases:
        same_error(case, x)


def test_jacobians_and_hessian():
    x, y = arr(4), arr(4)
    for name in ("jacrev", "jacfwd"):
        J = lambda lib, f, **kw: getattr(lib.func, name)(lambda *a: f(lib, *a), **kw)
        both(lambda lib, x, y: J(lib, f_vec)(x, y), x, y)
        both(lambda lib, x, y: J(lib, f_vec, argnums=(0, 1))(x, y), x, y)
        both(lambda lib, x, y: J(lib, f_multi, argnums=1)(x, y), x, y)
        both(lambda lib, x, y: J(lib, lambda lib, a, b: (f_vec(lib, a, b), a.sum()),
                                 has_aux=True)(x, y), x, y)
        both(lambda lib, x, y: J(lib, lambda lib, d: d["u"] * d["v"].sum())(
            {"u": x, "v": y.view(2, 2)}), x, y)
    both(lambda lib, x, y: lib.func.jacrev(lambda a: a.exp(), chunk_size=2)(x), x, y)
    both(lambda lib, x, y: lib.func.hessian(lambda a: f1(lib, a))(x), x, y)
    both(lambda lib, x, y: lib.func.hessian(lambda a, b: f2(lib, a, b), argnums=(0, 1))(x, y),
         x, y)
    both(lambda lib, x, y: lib.func.jacrev(lib.func.jacrev(lambda a: a.sin() * a.sum()))(x),
         x, y)
    # composed with vmap: per-row Jacobians and Hessians
    xs = arr(3, 4)
    both(lambda lib, xs, y: lib.func.vmap(lib.func.jacrev(lambda a: a.tanh() * a))(xs), xs, y)
    both(lambda lib, xs, y: lib.func.vmap(lib.func.hessian(lambda a: (a ** 3 * y).sum()))(xs),
         xs, y)


# -- per-sample gradients (the torch.func tutorial) ----------------------------------------

def make_cnn(lib):
    class SimpleCNN(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(1, 4, 3, 1)
            self.fc1 = lib.nn.Linear(4 * 3 * 3, 8)
            self.fc2 = lib.nn.Linear(8, 5)

        def forward(self, x):
            x = lib.nn.functional.relu(self.conv1(x))
            x = lib.nn.functional.max_pool2d(x, 2)
            x = lib.flatten(x, 1)
            x = lib.nn.functional.relu(self.fc1(x))
            return lib.nn.functional.log_softmax(self.fc2(x), dim=1)

    return SimpleCNN()


def per_sample_grads(lib, model, data, targets):
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        batch = sample.unsqueeze(0)
        targets = target.unsqueeze(0)
        predictions = lib.func.functional_call(model, (params, buffers), (batch,))
        return lib.nn.functional.nll_loss(predictions, targets)

    ft_compute_grad = lib.func.grad(compute_loss)
    ft_compute_sample_grad = lib.func.vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
    return ft_compute_sample_grad(params, buffers, data, targets)


def test_per_sample_gradients_recipe():
    torch.manual_seed(0)  # (weights away from ReLU/max-pool ties, where rounding could flip)
    tmodel = make_cnn(torch)
    emodel = sync(make_cnn(ember), tmodel)
    data = R.standard_normal((6, 1, 8, 8)).astype("float32")
    targets = R.integers(0, 5, 6)
    eg = per_sample_grads(ember, emodel, ember.from_numpy(data.copy()),
                          ember.from_numpy(targets.copy()))
    tg = per_sample_grads(torch, tmodel, torch.from_numpy(data.copy()),
                          torch.from_numpy(targets.copy()))
    same(eg, tg, rtol=1e-4, atol=1e-6)
    # and they are the gradients of each sample's loss, one backward at a time
    for i in range(2):
        emodel.zero_grad()
        loss = ember.nn.functional.nll_loss(emodel(ember.from_numpy(data[i:i + 1].copy())),
                                            ember.from_numpy(targets[i:i + 1].copy()))
        loss.backward()
        for k, p in emodel.named_parameters():
            np.testing.assert_allclose(eg[k][i].numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_exposed_as_torch_func():
    import importlib

    mod = importlib.import_module("ember.func")
    assert ember.func is mod
    assert set(torch.func.__all__) - set(mod.__all__) <= {"rearrange"}
    assert ember.func.debug_unwrap(ember.ones(1)).shape == (1,)
    m = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.BatchNorm1d(2))
    ember.func.replace_all_batch_norm_modules_(m)
    assert m[1].running_mean is None and not m[1].track_running_stats
