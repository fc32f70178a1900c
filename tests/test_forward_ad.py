"""torch.autograd.forward_ad: dual tensors, differential against PyTorch (values, flags,
printing, errors) and against ember's own torch.func.jvp."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("torch.autograd.forward_ad")

with warnings.catch_warnings():  # (PyTorch's first make_dual scripts decompositions: warns)
    warnings.simplefilter("ignore")
    torch.autograd.forward_ad._maybe_load_decompositions()

LIBS = (ember, torch)


def fw(lib):
    return lib.autograd.forward_ad


def close(a, b, tol=1e-5):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def data(lib, *shape, seed=0):
    return lib.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


FUNCS = {
    "sin_mul": lambda L, x: x.sin() * 2 + x,
    "exp_sum": lambda L, x: (x.exp() / 3).sum(),
    "matmul": lambda L, x: x @ x.T,
    "softmax": lambda L, x: L.nn.functional.softmax(x, dim=-1),
    "tanh_mean": lambda L, x: L.tanh(x).mean(0),
    "index_cat": lambda L, x: L.cat([x[0], x[:, 1] ** 2]),
    "reshape_pow": lambda L, x: (x.reshape(-1) ** 3).cumsum(0),
    "norm_div": lambda L, x: x / x.norm(),
    "relu_amax": lambda L, x: L.relu(x).amax(dim=1) + L.sigmoid(x).sum(1),
    "log_softmax_nll": lambda L, x: L.nn.functional.cross_entropy(x, L.tensor([0, 2, 1])),
}


@pytest.mark.parametrize("name", list(FUNCS))
def test_tangents_match_pytorch(name):
    out = {}
    for L in LIBS:
        x, v = data(L, 3, 4), data(L, 3, 4, seed=1)
        with fw(L).dual_level():
            y = FUNCS[name](L, fw(L).make_dual(x, v))
            primal, tangent = fw(L).unpack_dual(y)
            out[L] = (primal, tangent, y.requires_grad, y.grad_fn is None, repr(y))
    (pe, te, re, ge, se), (pt, tt, rt, gt, st) = out[ember], out[torch]
    close(pe, pt)
    close(te, tt, 1e-4)
    assert (re, ge) == (rt, gt) == (False, True)
    assert se.split("tangent=")[0] == st.split("tangent=")[0]


def test_flags_and_printing():
    text = {}
    for L in LIBS:
        lines = []
        x, v = L.tensor([1.0, 2.0]), L.tensor([1.0, 0.5])
        w = L.tensor([3.0, 4.0], requires_grad=True)
        with fw(L).dual_level() as level:
            lines.append(level)
            d = fw(L).make_dual(x, v)
            lines += [repr(d), d.requires_grad, d.grad_fn, d.is_leaf, d.grad]
            y = d.sin() * 2
            lines += [repr(y), str(y + 1), y.requires_grad, y.grad_fn, y.is_leaf]
            u = fw(L).unpack_dual(y)
            lines += [repr(u), type(u).__name__, u.primal.requires_grad,
                      u.tangent.requires_grad, repr(fw(L).unpack_dual(x))]
            dw = fw(L).make_dual(w, v)
            lines += [repr(dw), dw.requires_grad, type(dw.grad_fn).__name__,
                      repr(fw(L).unpack_dual(dw).primal), y.numpy().tolist()]
            z = y * w
            lines.append(repr(z).split(",\n")[0])
        lines += [repr(fw(L).unpack_dual(y)), repr(y), repr(d)]
        text[L] = lines
    assert text[ember] == text[torch]


def test_backward_through_dual_parameter():
    grads = {}
    for L in LIBS:
        x, v = L.tensor([1.0, 2.0]), L.tensor([1.0, 0.5])
        w = L.tensor([3.0, 4.0], requires_grad=True)
        with fw(L).dual_level():
            d, dw = fw(L).make_dual(x, v), fw(L).make_dual(w, v)
            loss = (d.sin() * dw).sum() + (dw * dw).sum()
            loss.backward()
            tangent = fw(L).unpack_dual(loss).tangent
        grads[L] = (w.grad, tangent, d.grad)
    close(grads[ember][0], grads[torch][0])
    close(grads[ember][1], grads[torch][1])
    assert grads[ember][2] is None and grads[torch][2] is None


def _tutorial_module(L):
    """PyTorch's tutorial: swap a module's parameters for dual tensors."""
    L.manual_seed(0)
    model = L.nn.Linear(5, 5)
    inp = L.randn(16, 5)
    params = {name: p for name, p in model.named_parameters()}
    tangents = {name: L.rand_like(p) for name, p in params.items()}
    with fw(L).dual_level():
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fw(L).make_dual(p, tangents[name]))
        out = model(inp)
        jvp = fw(L).unpack_dual(out).tangent
    return out, jvp


def _tutorial_functional_call(L):
    L.manual_seed(0)
    model = L.nn.Linear(5, 5)
    inp = L.randn(16, 5)
    params = {name: p for name, p in model.named_parameters()}
    tangents = {name: L.rand_like(p) for name, p in params.items()}
    dual_params = {}
    with fw(L).dual_level():
        for name, p in params.items():
            dual_params[name] = fw(L).make_dual(p, tangents[name])
        out = L.func.functional_call(model, dual_params, inp)
        jvp = fw(L).unpack_dual(out).tangent
    # torch.func.jvp over the parameters gives the same numbers
    _, jvp2 = L.func.jvp(lambda ps: L.func.functional_call(model, ps, inp), (params,),
                         (tangents,))
    return out, jvp, jvp2


def test_tutorial_module_parameters():
    (oe, je), (ot, jt) = _tutorial_module(ember), _tutorial_module(torch)
    close(oe, ot)
    close(je, jt)
    assert oe.requires_grad and type(oe.grad_fn).__name__ == type(ot.grad_fn).__name__


def test_tutorial_functional_call_and_func_jvp_agree():
    (oe, je, je2), (ot, jt, jt2) = (_tutorial_functional_call(ember),
                                    _tutorial_functional_call(torch))
    close(oe, ot)
    close(je, jt)
    close(je2, jt2)
    close(je, je2)


def test_agrees_with_func_jvp():
    x, v = data(ember, 4, 3), data(ember, 4, 3, seed=2)
    f = lambda t: (t.exp() * t.cos()).sum(1) / (1 + t.abs().sum())  # noqa: E731
    _, want = ember.func.jvp(f, (x,), (v,))
    with ember.autograd.forward_ad.dual_level():
        got = ember.autograd.forward_ad.unpack_dual(f(
            ember.autograd.forward_ad.make_dual(x, v))).tangent
    close(got, want, 1e-6)


def test_two_duals_and_unrelated_outputs():
    res = {}
    for L in LIBS:
        a, b = data(L, 3), data(L, 3, seed=3)
        ta, tb = data(L, 3, seed=4), data(L, 3, seed=5)
        with fw(L).dual_level():
            da, db = fw(L).make_dual(a, ta), fw(L).make_dual(b, tb)
            both = da * db + da.exp()
            other = (a * 2).sum()
            res[L] = (fw(L).unpack_dual(both).tangent, fw(L).unpack_dual(other).tangent,
                      fw(L).unpack_dual(da).tangent is ta,
                      fw(L).unpack_dual(da.argmax()).tangent)
    close(res[ember][0], res[torch][0])
    assert res[ember][1:] == res[torch][1:] == (None, True, None)


def test_decorator_and_functions():
    for L in LIBS:
        seen = []

        @fw(L).dual_level()
        def run():
            seen.append(fw(L)._current_level)
            return fw(L).unpack_dual(fw(L).make_dual(L.ones(2), L.ones(2)) * 3).tangent

        assert run().tolist() == [3.0, 3.0]
        level = fw(L).enter_dual_level()
        seen.append(level)
        fw(L).exit_dual_level(level=level)
        seen.append(fw(L)._current_level)
        assert seen == [0, 0, -1]


ERRORS = [
    lambda F, L: F.make_dual(L.ones(2), L.ones(2)),
    lambda F, L: _in_level(F, lambda: F.make_dual(L.tensor([1, 2]), L.ones(2))),
    lambda F, L: _in_level(F, lambda: F.make_dual(L.ones(2), L.tensor([1, 2]))),
    lambda F, L: _in_level(F, lambda: F.make_dual(L.ones(2), L.ones(3))),
    lambda F, L: _in_level(F, lambda: F.enter_dual_level()),
    lambda F, L: _in_level(F, lambda: F.exit_dual_level(level=3)),
]


def _in_level(F, fn):
    with F.dual_level():
        fn()


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    with pytest.raises(Exception) as it:
        ERRORS[i](torch.autograd.forward_ad, torch)
    with pytest.raises(it.type) as ie:
        ERRORS[i](ember.autograd.forward_ad, ember)
    assert str(ie.value) == str(it.value)
    assert ember.autograd.forward_ad._current_level == -1


def test_primal_of_plain_tensors():
    out = {}
    for L in LIBS:
        w, x = L.ones(2, requires_grad=True), L.ones(2)
        with fw(L).dual_level():
            pw, px = fw(L).unpack_dual(w).primal, fw(L).unpack_dual(x).primal
            out[L] = (repr(pw), pw is w, pw._base is w, repr(px), px is x, px._base is x,
                      fw(L).unpack_dual(w * 2).tangent)
    assert out[ember] == out[torch]


def test_plain_tensors_untouched():
    with ember.autograd.forward_ad.dual_level():
        w = ember.ones(2, requires_grad=True)
        y = (w * 2).sum()
        assert repr(y) == "tensor(4., grad_fn=<SumBackward0>)"
        y.backward()
        assert w.grad.tolist() == [2.0, 2.0]
    x = ember.ones(2)
    assert not x.requires_grad and x.is_leaf and x.grad_fn is None


def test_no_grad_warns():
    F = ember.autograd.forward_ad
    with ember.no_grad(), F.dual_level():
        with pytest.warns(UserWarning, match="grad mode disabled"):
            F.make_dual(ember.ones(2), ember.ones(2))


def test_large_tangent_printing():
    text = {}
    for L in LIBS:
        with fw(L).dual_level():
            d = fw(L).make_dual(L.arange(12.0).reshape(3, 4), L.ones(3, 4))
            text[L] = (repr(d * 1.5), str(d.sum()))
    assert text[ember] == text[torch]
