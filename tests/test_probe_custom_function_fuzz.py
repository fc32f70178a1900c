"""Custom ``torch.autograd.Function``s, differential against PyTorch: a seeded slice of a
random-program fuzzer (both styles, saved tensors, dirty / non-differentiable outputs,
materialized grads, once_differentiable, wrong gradients, grad modes, hooks, double
backward), plus regression tests for what it found."""
from __future__ import annotations

import random
import warnings

import numpy as np
import pytest

import ember
from diff import outcome

torch = pytest.importorskip("torch")


# -- the random programs ------------------------------------------------------------------

def _canon(lib, v):
    if isinstance(v, lib.Tensor):
        d = v.detach()
        vals = d.numpy().astype(np.float64) if d.dtype.is_floating_point else d.numpy()
        return ("T", str(d.dtype).split(".")[-1], tuple(d.shape), np.round(vals, 5).tolist(),
                v.requires_grad, v.is_leaf, None if v.grad_fn is None else
                type(v.grad_fn).__name__)
    if isinstance(v, (tuple, list)):
        return tuple(_canon(lib, x) for x in v)
    return v


def _make(lib, c, tr):
    def body(xs, scale):
        x = xs[0]
        inter = x.sin() * scale
        if c["out"] == "new":
            outs = [inter + sum(xs[1:]) if len(xs) > 1 else inter]
        elif c["out"] == "input":
            outs = [x]
        elif c["out"] == "view":
            outs = [x.view(-1) if c["viewkind"] == 0 else x[0]]
        else:  # "dirty": changed in place (marked dirty or not)
            x.mul_(2)
            outs = [x]
        if c["nout"] >= 2:
            outs.append(x * 3)
        if c["nout"] >= 3:
            outs.append(c["extra"])
        return inter, outs

    def setup(ctx, xs, scale, inter, outs):
        ctx.scale = scale
        ctx.shape0 = xs[0].shape
        tr.append(("needs_input_grad", tuple(ctx.needs_input_grad)))
        save = c["save"]
        if save == "inputs":
            ctx.save_for_backward(*xs)
        elif save == "outputs":
            ctx.save_for_backward(*[o for o in outs if isinstance(o, lib.Tensor)])
        elif save == "inter":
            ctx.save_for_backward(inter)
        elif save == "none":
            ctx.save_for_backward(None, xs[0])
        elif save == "bad":
            ctx.save_for_backward(xs[0], 3)
        if c["dirty"] and c["out"] == "dirty":
            ctx.mark_dirty(xs[0])
        if c["nondiff"] and len(outs) >= 2:
            ctx.mark_non_differentiable(outs[1])
        if c["nomat"]:
            ctx.set_materialize_grads(False)

    def backward(ctx, *gs):
        tr.append(("grads in", _canon(lib, gs)))
        st = ctx.saved_tensors
        tr.append(("saved", tuple(None if s is None else (s.requires_grad, type(s.grad_fn).__name__,
                                                           s._version) for s in st)))
        if c["access_twice"]:
            tr.append(("again", len(ctx.saved_tensors)))
        g = gs[0]
        g0 = None
        if g is not None:
            g0 = g * ctx.scale * 2
            if c["nout"] >= 2 and gs[1] is not None and not c["nondiff"]:
                g0 = g0 + gs[1] * 3
            if g0.shape != ctx.shape0:
                g0 = g0.reshape(ctx.shape0) if g0.numel() == int(np.prod(ctx.shape0)) else \
                    g0.sum().expand(ctx.shape0)
        res = [g0] + [g if g is not None and g.shape == ctx.shape0 else None
                      for _ in range(c["nt"] - 1)]
        bad = c["badgrad"]
        if bad == "count_less":
            res = res[:-1]
        elif bad == "count_more":
            res = res + [g0]
        elif bad == "shape" and g0 is not None:
            res[0] = g0.reshape(-1)[:1]
        elif bad == "dtype" and g0 is not None:
            res[0] = g0.double() if g0.dtype == lib.float32 else g0.float()
        elif bad == "int":
            res[0] = 3
        if c["has_scale"]:
            res.append(g0 if bad == "nontensor_grad" else None)
        return res[0] if len(res) == 1 and c["single_ret"] else tuple(res)

    if c["once"]:
        backward = lib.autograd.function.once_differentiable(backward)

    def split(args):
        return args[:c["nt"]], (args[c["nt"]] if c["has_scale"] else 1.5)

    def result(outs):
        return outs[0] if len(outs) == 1 and not c["tuple1"] else tuple(outs)

    if c["style"] == "ctx":
        def forward(ctx, *args):
            xs, scale = split(args)
            inter, outs = body(xs, scale)
            setup(ctx, xs, scale, inter, outs)
            return result(outs)
        ns = {"forward": staticmethod(forward)}
    else:
        cache = {}

        def forward(*args):
            xs, scale = split(args)
            cache["inter"], outs = body(xs, scale)
            return result(outs)

        def setup_context(ctx, inputs, output):
            xs, scale = split(inputs)
            setup(ctx, xs, scale, cache["inter"],
                  list(output) if isinstance(output, tuple) else [output])
        ns = {"forward": staticmethod(forward), "setup_context": staticmethod(setup_context)}
    ns["backward"] = staticmethod(backward)
    return type(c["name"], (lib.autograd.Function,), ns)


def _gen(rng):
    nt = rng.randint(1, 3)
    out = rng.choice(["new", "new", "new", "input", "view", "dirty"])
    saves = ["inputs", "outputs", "inter", "none", "nothing"]
    return dict(
        name=rng.choice(["MyFn", "Scale", "Op"]), style=rng.choice(["ctx", "setup"]), nt=nt,
        has_scale=rng.random() < 0.3, scale=rng.choice([2.0, 0.5, 3]), out=out,
        viewkind=rng.randint(0, 1), nout=rng.choice([1, 1, 2, 3]),
        extra=rng.choice([7, "s", None, 2.5]), tuple1=rng.random() < 0.15,
        single_ret=rng.random() < 0.5,
        save=rng.choice(saves + ["bad"] if rng.random() < 0.1 else saves),
        dirty=rng.random() < 0.8, nondiff=rng.random() < 0.2, nomat=rng.random() < 0.2,
        access_twice=rng.random() < 0.2, once=rng.random() < 0.2,
        badgrad=rng.choice(["ok"] * 8 + ["count_less", "count_more", "shape", "dtype",
                                         "nontensor_grad", "int"]),
        f64=rng.random() < 0.5, rg=[rng.random() < 0.8 for _ in range(nt)],
        nonleaf=out == "dirty" or rng.random() < 0.3,
        mode=rng.choice(["none"] * 6 + ["no_grad", "inference", "enable"]),
        hook=rng.random() < 0.2, double=rng.random() < 0.2, retain=rng.random() < 0.3,
        second=rng.random() < 0.3, after=rng.random() < 0.3)


def _trace(lib, c, seed):
    tr = []
    cls = _make(lib, c, tr)
    rng = np.random.RandomState(seed)

    def rec(label, f):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                r = f()
            except Exception as e:  # noqa: BLE001 (the exception is what is compared)
                tr.append((label, type(e).__name__, str(e).split("\n")[0]))
                return None
        tr.append((label, _canon(lib, r), sorted(str(w.message) for w in caught)))
        return r

    shape = tuple(rng.randint(1, 4, size=rng.randint(1, 3)))
    dt = lib.float64 if c["f64"] else lib.float32
    leaves = [lib.tensor(rng.randn(*shape), dtype=dt, requires_grad=c["rg"][i])
              for i in range(c["nt"])]
    xs = [x * 1 if x.requires_grad else x.clone() for x in leaves] if c["nonleaf"] else leaves
    args = xs + ([c["scale"]] if c["has_scale"] else [])
    mode = {"none": None, "no_grad": lib.no_grad, "inference": lib.inference_mode,
            "enable": lib.enable_grad}[c["mode"]]

    def apply():
        if mode is None:
            return cls.apply(*args)
        with mode():
            return cls.apply(*args)
    out = rec("apply", apply)
    if out is None:
        return tr
    outs = out if isinstance(out, tuple) else (out,)
    for o in outs:
        if isinstance(o, lib.Tensor):
            tr.append(("out", o.requires_grad, o.is_leaf, str(o.grad_fn).split(" object")[0]
                       .replace("ember.", "torch."), [o is x for x in xs], o._is_view()))
    if c["hook"] and isinstance(outs[0], lib.Tensor) and outs[0].requires_grad:
        outs[0].register_hook(lambda g: tr.append(("hook", _canon(lib, g))))
    tens = [o for o in outs if isinstance(o, lib.Tensor) and o.requires_grad]
    if not tens:
        return tr
    used = tens[:1] if c["nomat"] else tens
    loss = rec("loss", lambda: sum(o.float().sum() * (k + 1) for k, o in enumerate(used)))
    if loss is None:
        return tr
    rec("backward", lambda: loss.backward(create_graph=c["double"], retain_graph=c["retain"]))
    tr.extend(("grad", i, _canon(lib, x.grad)) for i, x in enumerate(leaves))
    if c["second"]:
        rec("backward again", lambda: loss.backward())
    if c["after"]:
        rec("saved after", lambda: tens[0].grad_fn is not None and
            len(tens[0].grad_fn.saved_tensors))
    g = leaves[0].grad
    if c["double"] and g is not None and g.requires_grad:
        rec("double", lambda: lib.autograd.grad(g.sum(), leaves[0], allow_unused=True))
    return tr


@pytest.mark.parametrize("block", range(4))
def test_random_functions(block):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (create_graph's reference-cycle warning)
        for seed in range(block * 100, block * 100 + 100):
            c = _gen(random.Random(seed))
            c["f64"] = True  # (float32 ``sin`` may differ in its last bit: not this test's)
            assert _trace(ember, c, seed) == _trace(torch, c, seed), (seed, c)


# -- what it found ------------------------------------------------------------------------

def _same(fn):
    assert outcome(ember, fn) == outcome(torch, fn)


def _fn(lib, forward, backward, setup_context=None, name="Fn", **extra):
    ns = {"forward": staticmethod(forward), "backward": staticmethod(backward), **extra}
    if setup_context is not None:
        ns["setup_context"] = staticmethod(setup_context)
    return type(name, (lib.autograd.Function,), ns)


def test_saved_tensors_refused_after_backward_even_when_nothing_saved():
    for save in ((), (None,)):
        def run(L, save=save):
            def fwd(ctx, x):
                ctx.save_for_backward(*save)
                return x * 2
            F = _fn(L, fwd, lambda ctx, g: g * 2)
            x = L.ones(2, requires_grad=True)
            y = F.apply(x)
            s = y.sum()
            s.backward()
            s.backward()  # (running it again stays allowed)
            return x.grad, y.grad_fn.saved_tensors
        _same(run)

    def retained(L):
        F = _fn(L, lambda ctx, x: x * 2, lambda ctx, g: g * 2)
        y = F.apply(L.ones(2, requires_grad=True))
        y.sum().backward(retain_graph=True)
        return y.grad_fn.saved_tensors
    _same(retained)


def test_non_differentiable_outputs_get_zero_grads_next_to_non_tensor_outputs():
    for materialize in (True, False):
        def run(L, materialize=materialize):
            seen = []

            def fwd(ctx, x):
                ctx.set_materialize_grads(materialize)
                a, b = x * 2, x * 3
                ctx.mark_non_differentiable(b)
                return a, b, 7

            def bwd(ctx, ga, gb, gc):
                seen.append((ga, gb, gc))
                return ga
            x = L.ones(2, requires_grad=True)
            a, b, c = _fn(L, fwd, bwd).apply(x)
            a.sum().backward()
            return seen, b.requires_grad, c
        _same(run)

    def unused_first(L):  # (only the second output used: the first's gradient is zeros)
        seen = []

        def bwd(ctx, ga, gb, gc):
            seen.append((ga, gb, gc))
            return ga + gb
        x = L.ones(2, requires_grad=True)
        a, b, c = _fn(L, lambda ctx, x: (x * 2, x * 3, "s"), bwd).apply(x)
        b.sum().backward()
        return seen, x.grad
    _same(unused_first)


@pytest.mark.parametrize("mode", [None, "no_grad", "inference_mode"])
@pytest.mark.parametrize("rg", [False, True])
@pytest.mark.parametrize("dirty", [False, True])
def test_setup_context_refuses_saving_an_input_returned_as_is(mode, rg, dirty):
    def run(L):
        def fwd(x):
            if dirty:
                x.mul_(2)
            return x

        def setup(ctx, inputs, output):
            ctx.save_for_backward(output)
            if dirty:
                ctx.mark_dirty(inputs[0])

        def bwd(ctx, g):
            s, = ctx.saved_tensors
            return g * 2
        F = _fn(L, fwd, bwd, setup)
        x = L.ones(2, requires_grad=rg) * 1 if dirty else L.ones(2, requires_grad=rg)
        if mode is None:
            y = F.apply(x)
        else:
            with getattr(L, mode)():
                y = F.apply(x)
        return y.requires_grad, y is x
    _same(run)


def test_saved_output_comes_back_with_its_node():
    for create_graph in (False, True):
        def run(L, create_graph=create_graph):
            seen = []

            def fwd(ctx, x):
                y = x * 2
                ctx.save_for_backward(y, x)
                return y

            def bwd(ctx, g):
                y, x = ctx.saved_tensors
                seen.append((y.requires_grad, type(y.grad_fn).__name__, x.requires_grad,
                             type(x.grad_fn).__name__))
                return g * 2
            x = L.ones(2, requires_grad=True)
            y = _fn(L, fwd, bwd).apply(x * 1)
            L.autograd.grad(y.sum(), x, create_graph=create_graph)
            return seen
        _same(run)

    def dirty(L):  # (an input changed in place and saved: the output)
        seen = []

        def fwd(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            ctx.save_for_backward(x)
            return x

        def bwd(ctx, g):
            s, = ctx.saved_tensors
            seen.append((s.requires_grad, type(s.grad_fn).__name__, s._version))
            return g * 2
        x = L.ones(2, requires_grad=True)
        _fn(L, fwd, bwd).apply(x * 1).sum().backward()
        return seen, x.grad
    _same(dirty)


def test_complex_gradient_for_a_real_input_is_refused():
    def run(L):
        F = _fn(L, lambda ctx, x, y: x + y, lambda ctx, g: (g + 0j, g))
        a, b = L.ones(3, requires_grad=True), L.ones(3, requires_grad=True)
        F.apply(a, b).sum().backward()
    _same(run)


def test_vjp_instead_of_backward():
    def vjp_only(L):
        F = type("F", (L.autograd.Function,), {
            "forward": staticmethod(lambda ctx, x: x * 2),
            "vjp": staticmethod(lambda ctx, g: g * 5)})
        x = L.ones(2, requires_grad=True)
        F.apply(x).sum().backward()
        return x.grad
    _same(vjp_only)

    def both(L):
        F = _fn(L, lambda ctx, x: x * 2, lambda ctx, g: g * 7,
                vjp=staticmethod(lambda ctx, g: g * 5))
        x = L.ones(2, requires_grad=True)
        F.apply(x).sum().backward()
    _same(both)


def test_grad_fn_apply_returns_the_backward_as_is():
    def run(L):
        F = _fn(L, lambda ctx, x: x * 2, lambda ctx, g: g * 7)
        y = F.apply(L.ones(2, requires_grad=True))
        return y.grad_fn.apply(L.ones(2))
    _same(run)


def test_non_differentiable_input_returned_as_is_is_no_view():
    def run(L):
        def fwd(ctx, x):
            ctx.mark_non_differentiable(x)
            return x
        F = _fn(L, fwd, lambda ctx, g: g)
        out = []
        for x in (L.ones(2, requires_grad=True), L.ones(2, requires_grad=True) * 1):
            y = F.apply(x)
            out.append((y is x, y._base is x, y._is_view(), y.is_leaf, y.requires_grad,
                        y.grad_fn))
        return out
    _same(run)


def test_saved_variables_is_deprecated():
    def run(L):
        def fwd(ctx, x):
            ctx.save_for_backward(x)
            return x * 2
        F = _fn(L, fwd, lambda ctx, g: g * ctx.saved_variables[0])
        x = L.full((2,), 3.0, requires_grad=True)
        F.apply(x).sum().backward()
        return x.grad
    _same(run)


def test_gradient_on_the_wrong_device_is_refused():
    for first in (True, False):
        def run(L, first=first):
            def bwd(ctx, g):
                return (g.to("meta"), g) if first else (None, g.to("meta"))
            F = _fn(L, lambda ctx, x, y: x * y, bwd)
            a = L.ones(2, requires_grad=True)
            F.apply(a, a).sum().backward() if first else F.apply(3, a).sum().backward()
        _same(run)


@pytest.mark.parametrize("mode", [None, "no_grad", "inference_mode"])
def test_input_returned_as_is_under_grad_modes(mode):
    def run(L):
        F = _fn(L, lambda ctx, x: x, lambda ctx, g: g)
        out = []
        for rg in (False, True):
            for leaf in (True, False):
                x = L.ones(2, requires_grad=rg)
                x = x if leaf else x * 1
                if mode is None:
                    y = F.apply(x)
                else:
                    with getattr(L, mode)():
                        y = F.apply(x)
                out.append((y is x, y._is_view(), y._base is x, y.requires_grad, y.is_leaf,
                            y.is_inference()))
        return out
    _same(run)


def test_in_place_write_into_a_view_output_names_several_outputs():
    def run(L):
        out = []
        for outs in (lambda x: (x[:2], x * 2), lambda x: (x[:2], 7), lambda x: (x, x * 2),
                     lambda x: (x[:2], (x * 2).long()), lambda x: (x[:2],),
                     lambda x: x.split(2), lambda x: x.unbind(0)):
            F = _fn(L, lambda ctx, x, outs=outs: outs(x), lambda ctx, *g: g[0])
            for write in (lambda y: y.add_(1), lambda y: y[:1].mul_(2)):
                ys = F.apply(L.ones(4, requires_grad=True) * 1)
                try:
                    write(ys[0])
                    out.append("ok")
                except RuntimeError as e:
                    out.append(str(e))
        return out
    _same(run)
