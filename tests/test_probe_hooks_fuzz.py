"""Module, tensor, autograd-node and saved-tensor hooks against PyTorch: a small random fuzzer
of module trees with random hooks (the order of every call, what each hook sees, the outputs,
gradients, errors and warnings), the hook lists a call takes (backward hooks before the
forward pre-hooks, forward hooks after the forward), full backward hooks on a module whose
inputs need no gradient, the name an old-style backward hook's errors give, pack hooks that
change their input in place, and the in-place functional layers' argument errors."""
import math
import random
import re
import warnings

import pytest

import ember
from diff import measured_cpu

torch = pytest.importorskip("torch")


def _sh(T, x):
    if isinstance(x, T.Tensor):
        return "T%s%s%s" % (tuple(x.shape), "g" if x.requires_grad else "",
                            "F" if x.grad_fn is not None else "")
    if isinstance(x, (tuple, list)):
        return type(x).__name__[0] + "(" + ",".join(_sh(T, v) for v in x) + ")"
    if isinstance(x, dict):
        return "D{" + ",".join(f"{k}:{_sh(T, v)}" for k, v in x.items()) + "}"
    return type(x).__name__ if x is not None else "None"


def _vals(T, t):
    if isinstance(t, T.Tensor):
        return [round(float(v), 3) for v in t.detach().reshape(-1)[:4]]
    if isinstance(t, (tuple, list)):
        return [_vals(T, v) for v in t]
    if isinstance(t, dict):
        return {k: _vals(T, v) for k, v in t.items()}
    return t


def _err(e):
    return type(e).__name__, re.sub(r"0x[0-9a-f]+", "0x", str(e))


def _fuzz(T, seed):
    nn = T.nn
    M = T.nn.modules.module
    log = []

    class Two(nn.Module):
        def __init__(s, mode):
            super().__init__()
            s.a = nn.Linear(3, 3)
            s.mode = mode

        def forward(s, x, y=None, *, scale=1.0):
            h = s.a(x) * scale
            if y is not None:
                h = h + y
            if s.mode == 0:
                return h, h * 2
            if s.mode == 1:
                return {"a": h, "b": h.sum()}
            if s.mode == 2:
                return h.view(-1, 3)
            if s.mode == 3:
                return [h, h + 1]
            if s.mode == 4:
                return h.relu_()
            if s.mode == 5:
                raise ValueError("boom in forward")
            return h

    class Wrap(nn.Module):
        def __init__(s, inner, k):
            super().__init__()
            s.inner = inner
            s.k = k

        def forward(s, x):
            o = s.inner(x, x * 0.5, scale=2.0) if s.k else s.inner(x)
            if isinstance(o, dict):
                return o["a"]
            if isinstance(o, (tuple, list)):
                return o[0] + o[1]
            return o

    R = random.Random(seed)
    T.manual_seed(seed)
    mode = R.choice([0, 0, 1, 2, 3, 4, 5, 6, 6])
    layers = [nn.Linear(3, 3), nn.ReLU(inplace=R.random() < 0.3),
              Wrap(Two(mode), R.random() < 0.6), nn.Linear(3, 2)]
    net = nn.Sequential(*layers)
    mods = [("net", net)] + [(n, m) for n, m in net.named_modules() if n]
    handles = []
    for i in range(R.randint(1, 8)):
        name, m = R.choice(mods)
        # (no global backward hooks: their kind, once set, stays for the whole process)
        kind = R.choice(["fpre", "fpre_kw", "fwd", "fwd_kw", "bpre", "bfull", "bold", "gfpre",
                         "gfwd", "gbpre"])
        ret = R.choice(["none", "none", "same", "scale", "bad"])
        prepend, always = R.random() < 0.3, R.random() < 0.3
        tag = f"h{i}:{kind}:{ret}@{name}"

        def hook(mod, *a, tag=tag, kind=kind, ret=ret):
            log.append((tag, type(mod).__name__, *[_sh(T, x) for x in a]))
            if ret == "none":
                return None
            if kind in ("fpre", "gfpre"):
                if ret == "same":
                    return a[0]
                if ret == "scale":
                    return a[0][0] * 1.5
                return "bad"
            if kind == "fpre_kw":
                return (a[0], a[1]) if ret != "bad" else (a[0],)
            if kind in ("fwd", "fwd_kw", "gfwd"):
                out = a[-1]
                return out * 2 if ret == "scale" and isinstance(out, T.Tensor) else None
            g = a[0]
            if ret == "same":
                return g
            if ret == "scale":
                return tuple(x * 3 if x is not None else None for x in g)
            return tuple(g) + (None,)

        reg = {"fpre": lambda: m.register_forward_pre_hook(hook, prepend=prepend),
               "fpre_kw": lambda: m.register_forward_pre_hook(hook, prepend=prepend,
                                                              with_kwargs=True),
               "fwd": lambda: m.register_forward_hook(hook, prepend=prepend,
                                                      always_call=always),
               "fwd_kw": lambda: m.register_forward_hook(hook, prepend=prepend,
                                                         with_kwargs=True, always_call=always),
               "bpre": lambda: m.register_full_backward_pre_hook(hook, prepend=prepend),
               "bfull": lambda: m.register_full_backward_hook(hook, prepend=prepend),
               "bold": lambda: m.register_backward_hook(hook),
               "gfpre": lambda: M.register_module_forward_pre_hook(hook),
               "gfwd": lambda: M.register_module_forward_hook(hook, always_call=always),
               "gbpre": lambda: M.register_module_full_backward_pre_hook(hook)}[kind]
        try:
            handles.append(reg())
        except Exception as e:
            log.append(("regerr", tag, *_err(e)))
    try:
        x = T.randn(2, 3, requires_grad=R.random() < 0.7)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                out = net(x)
                log.append(("out", _sh(T, out), _vals(T, out)))
                if isinstance(out, T.Tensor) and out.requires_grad:
                    out.sum().backward()
                    log.append(("xgrad", _vals(T, x.grad)))
                    for n, p in net.named_parameters():
                        log.append(("pgrad", n, _vals(T, p.grad)))
            except Exception as e:
                log.append(("ERR", *_err(e)))
            log.extend(("WARN", ww.category.__name__, str(ww.message)) for ww in w)
    finally:
        for hd in handles:
            hd.remove()
    return log


@pytest.mark.parametrize("start", range(0, 80, 20))
def test_fuzz_module_hooks(start):
    for seed in range(start, start + 20):
        got, want = _fuzz(ember, seed), _fuzz(torch, seed)
        if got != want and not measured_cpu():
            # (off the measured processor PyTorch's products (MKL) round differently from
            # ember's, so the values (3 decimals) agree closely, the rest exactly)
            assert _close(got, want), (seed, got, want)
            continue
        assert got == want, seed


def _close(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-5, abs_tol=2e-3) or (a != a and b != b)
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


def _no_input_grad(T, ret):
    lin = T.nn.Linear(3, 2)
    seen = []

    def h(m, gi, go):
        seen.append((len(gi), gi[0] is None, [tuple(g.shape) for g in go]))
        return {"nones": (None, None, None), "short": (), "tensor": (T.ones(2, 3),),
                "list": [None], "none": None}[ret]
    lin.register_full_backward_hook(h)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            lin(T.randn(4, 3)).sum().backward()
            res = ("ok", tuple(lin.weight.grad.shape))
        except Exception as e:
            res = _err(e)
    return seen, res, [str(x.message)[:40] for x in w]


@pytest.mark.parametrize("ret", ["none", "nones", "short", "tensor", "list"])
def test_full_backward_hook_no_input_requires_grad(ret):
    # only None (or a tuple of Nones, of any length) may come back when no input needs grad
    assert _no_input_grad(ember, ret) == _no_input_grad(torch, ret)


def _old_style_wrong_count(T):
    lin = T.nn.Sequential(T.nn.Linear(3, 3), T.nn.ReLU())

    def hook(m, gi, go):
        return tuple(gi) + (None,)
    lin[1].register_backward_hook(hook)
    try:
        lin(T.randn(2, 3)).sum().backward()
    except Exception as e:
        return _err(e)


def test_old_style_backward_hook_error_names_the_hook():
    assert _old_style_wrong_count(ember) == _old_style_wrong_count(torch)
    assert "'hook'" in _old_style_wrong_count(ember)[1]


def _lists_taken(T):
    nn = T.nn
    log = []

    class RegInForward(nn.Module):
        def __init__(s):
            super().__init__()
            s.lin = nn.Linear(2, 2)
            s.n = 0

        def forward(s, x):
            s.n += 1
            if s.n == 1:
                s.h = s.register_forward_hook(lambda m, a, o: log.append("late fwd"))
                s.register_full_backward_hook(lambda m, gi, go: log.append("late bwd"))
            if s.n == 2:
                s.h.remove()
            return s.lin(x)

    m = RegInForward()
    m.register_forward_pre_hook(lambda mm, a: log.append("pre"))
    x = T.randn(1, 2, requires_grad=True)
    for _ in range(3):
        m(x).sum().backward()
        log.append("|")
    m2 = nn.Linear(2, 2)

    def pre(mod, a):
        log.append("pre2")
        if not mod._backward_hooks:
            mod.register_full_backward_hook(lambda mm, gi, go: log.append("bwd from pre"))
            mod.register_full_backward_pre_hook(lambda mm, go: log.append("bwdpre from pre"))
            mod.register_forward_hook(lambda mm, a, o: log.append("fwd from pre"))
    m2.register_forward_pre_hook(pre)
    for _ in range(2):
        m2(x).sum().backward()
        log.append("|")
    return log


def test_hook_lists_taken_as_pytorch_takes_them():
    # backward hooks: before the forward pre-hooks; forward hooks: after the forward
    assert _lists_taken(ember) == _lists_taken(torch)


def _pack_cases(T):
    out = []

    def p(t):
        t.mul_(2)
        return t
    q = T.randn(2, requires_grad=True)
    for f in (lambda: q.exp(), lambda: q * 2, lambda: q * q):
        try:
            with T.autograd.graph.saved_tensors_hooks(p, lambda t: t):
                f()
            out.append("ok")
        except Exception as e:
            out.append(_err(e))
    out.append(q._version)
    with T.inference_mode():
        t = T.ones(2)
    try:
        with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            (q * t).sum().backward()
        out.append("ok")
    except Exception as e:
        out.append(_err(e))
    return out


def test_pack_hook_in_place_and_inference_tensor():
    assert _pack_cases(ember) == _pack_cases(torch)


_INPLACE = ["relu", "hardtanh", "leaky_relu", "elu", "relu6", "silu", "dropout", "celu",
            "selu", "rrelu", "mish", "hardswish", "hardsigmoid", "alpha_dropout"]


@pytest.mark.parametrize("inplace", [True, False])
def test_inplace_functional_non_tensor_error_names(inplace):
    def errs(T):
        out = []
        for n in _INPLACE:
            try:
                getattr(T.nn.functional, n)("b", inplace=inplace)
            except Exception as e:
                out.append(_err(e))
        return out
    assert errs(ember) == errs(torch)


def test_inplace_relu_module_with_bad_pre_hook():
    def run(T):
        m = T.nn.Sequential(T.nn.ReLU(inplace=True))
        m[0].register_forward_pre_hook(lambda mod, a: "bad")
        try:
            m(T.randn(2))
        except Exception as e:
            return _err(e)
    assert run(ember) == run(torch)
