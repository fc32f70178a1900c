"""``torch.compile``'s outputs hang from one ``CompiledFunctionBackward`` node, as PyTorch's
(AOT autograd) do: printing a compiled model's output shows that ``grad_fn``, and the
gradients are the eager ones.  PyTorch is run with ``backend="aot_eager"`` (the same autograd
wrapping as inductor, without its C++ compile time)."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _name(t):
    fn = getattr(t, "grad_fn", None)
    return None if fn is None else type(fn).__name__


def _story(lib, backend):
    lib.manual_seed(0)
    nn = lib.nn
    seen = []
    m = nn.Sequential(nn.Linear(4, 3), nn.GELU(), nn.Linear(3, 2))
    x = lib.randn(5, 4)
    cm = lib.compile(m, backend=backend)
    y = cm(x)
    seen.append(_name(y))
    seen.append(repr(y))
    with lib.no_grad():
        seen.append(_name(cm(x)))
    seen.append(_name(lib.compile(m, backend="eager")(x)))

    def f(a, b):
        return a * b, (a + b).sum(), a.argmax(), {"v": a[0], "w": (a * 2)[1:]}

    a = lib.randn(3, requires_grad=True)
    b = lib.randn(3)
    r = lib.compile(f, backend=backend)(a, b)
    seen.append([_name(r[0]), _name(r[1]), _name(r[2]), _name(r[3]["v"]), _name(r[3]["w"])])
    seen.append(r[0].grad_fn is r[1].grad_fn is r[3]["w"].grad_fn)
    (r[0].sum() + r[1] + r[3]["w"].sum() * 3).backward()
    seen.append(a.grad.tolist())
    g = lib.compile(lambda t: (t, t.detach() * 2, b * 2), backend=backend)(a)
    seen.append([g[0] is a, _name(g[1]), _name(g[2])])
    opt = lib.optim.SGD(cm.parameters(), lr=0.1)
    for _ in range(3):
        loss = cm(x).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    seen.append(repr(loss))
    # (aot_eager's decompositions may round a last bit differently from eager: to 5 places)
    seen.append([[round(v, 5) for v in p.detach().reshape(-1).tolist()] for p in m.parameters()])
    return seen


def test_compiled_outputs_hang_from_one_node():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _story(torch, "aot_eager")
    assert _story(ember, "aot_eager") == want
    assert _story(ember, None) == want


def test_compiled_gradients_are_the_eager_ones():
    """Training through the compiled module gives the eager module's bits."""
    runs = []
    for compiled in (False, True):
        ember.manual_seed(1)
        m = ember.nn.Sequential(ember.nn.Linear(6, 5), ember.nn.Tanh(), ember.nn.Linear(5, 1))
        run = ember.compile(m) if compiled else m
        opt = ember.optim.Adam(run.parameters(), lr=0.01)
        x = ember.randn(8, 6)
        for _ in range(4):
            out = run(x)
            out.sum().backward()
            opt.step()
            opt.zero_grad()
        runs.append([p.detach().numpy().copy() for p in m.parameters()])
        if compiled:
            assert type(out.grad_fn).__name__ == "CompiledFunctionBackward"
    for p, q in zip(*runs):
        np.testing.assert_array_equal(p, q)
    # (an output modified in place keeps working as the eager one does)
    y = ember.compile(lambda t: t * 2)(ember.ones(2, requires_grad=True))
    y.add_(1)
    assert y.tolist() == [3.0, 3.0]
