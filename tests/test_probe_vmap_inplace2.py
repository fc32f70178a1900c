"""vmap and side effects on what it does not map, against PyTorch (which runs the function
once on batched tensors): an in-place change of a captured tensor or an input passed whole
(with unmapped operands) happens once; an in-place op writing a mapped operand into a tensor
computed from unmapped ones is refused; an in-place random op on an unmapped tensor under
randomness='different' is refused; what the function prints is printed once."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


from test_probe_vmap_fuzz import _flat, outcome  # noqa: E402


def assert_same_outcome(fn, what=""):
    e, t = outcome(ember, fn), outcome(torch, fn)
    assert e[0] == t[0], (what, e, t)
    if e[0] == "err":
        assert e[1:] == t[1:], (what, e, t)
        return
    fe, ft = _flat(e[1]), _flat(t[1])
    assert len(fe) == len(ft), what
    for x, y in zip(fe, ft):
        if not isinstance(x, ember.Tensor):
            assert x == y, (what, x, y)
            continue
        assert tuple(x.shape) == tuple(y.shape), (what, x, y)
        assert str(x.dtype) == str(y.dtype), what
        np.testing.assert_array_equal(x.detach().numpy(), y.detach().numpy(), err_msg=str(what))


# each: f(L, w, x) -> output, run as vmap(f)(xs) with w captured (w: float64, values 2)
_CAPTURED = [
    lambda L, w, x: w.pow_(2) * x,
    lambda L, w, x: w.mul_(3) + x,
    lambda L, w, x: (w * x, w.add_(1))[0],
    lambda L, w, x: x * w.add_(1).sum(),
    lambda L, w, x: w.sub_(w.new_ones(())).mul(x),
    lambda L, w, x: (w.__setitem__(0, 5.0), x * w)[1],
    lambda L, w, x: (w[1:].add_(1), x * w)[1],
    lambda L, w, x: (w.copy_(w * 3), x + w)[1],
    lambda L, w, x: (w.clamp_(max=1.5), x + w)[1],
    lambda L, w, x: (w.fill_(7.0), w.zero_(), x + w)[2],
    lambda L, w, x: (w.index_add_(0, L.tensor([0]), L.ones(1, dtype=L.float64)), x + w)[1],
    lambda L, w, x: (w.mul_(2), w.mul_(2), x * w)[2],
    lambda L, w, x: (x * w.view(2, 1).add_(1).view(2)),
    lambda L, w, x: x + w.exp_(),
    lambda L, w, x: L.vmap(lambda y: w.add_(1).sum() * y)(x),
]


def test_inplace_on_captured_happens_once():
    for k, f in enumerate(_CAPTURED):
        def fn(L, f=f):
            w = L.full((2,), 2.0, dtype=L.float64)
            xs = L.arange(6.0, dtype=L.float64).reshape(3, 2)
            out = L.vmap(lambda x: f(L, w, x))(xs)
            return out, w, w._version

        assert_same_outcome(fn, k)


def test_inplace_on_inputs_passed_whole_and_out_dims_none():
    def f1(L):
        w = L.full((2,), 2.0, dtype=L.float64)
        xs = L.arange(6.0, dtype=L.float64).reshape(3, 2)

        def g(x, w):
            w.mul_(3)
            return x + w
        return L.vmap(g, in_dims=(0, None))(xs, w), w, w._version

    def f2(L):
        w = L.full((2,), 2.0, dtype=L.float64)
        xs = L.arange(6.0, dtype=L.float64).reshape(3, 2)
        out = L.vmap(lambda x: (w * x, w.add_(1)), out_dims=(0, None))(xs)
        return out, w, out[1] is w

    def f3(L):  # (a module's parameter, changed under no_grad)
        lin = L.nn.Linear(2, 2, dtype=L.float64)
        with L.no_grad():
            lin.weight.fill_(1.0)
            lin.bias.fill_(0.0)

        def g(x):
            with L.no_grad():
                lin.bias.add_(1.0)
            return lin(x)
        xs = L.arange(6.0, dtype=L.float64).reshape(3, 2)
        return L.vmap(g)(xs), lin.bias.detach().clone()

    def f4(L):  # nested: the inner vmap's change once per outer call... once in all
        w = L.zeros(2, dtype=L.float64)
        xs = L.arange(12.0, dtype=L.float64).reshape(3, 2, 2)
        out = L.vmap(L.vmap(lambda x: (w.add_(1), x * w)[1]))(xs)
        return out, w

    def f5(L):  # chunk_size
        w = L.full((2,), 2.0, dtype=L.float64)
        xs = L.arange(10.0, dtype=L.float64).reshape(5, 2)
        return L.vmap(lambda x: w.pow_(2) * x, chunk_size=2)(xs), w

    def f6(L):  # a value written through a view of a captured tensor and returned
        w = L.full((2,), 2.0, dtype=L.float64)
        xs = L.arange(6.0, dtype=L.float64).reshape(3, 2)
        return L.vmap(lambda x: (w[0:1].add_(1), w * x)[1])(xs), w

    for k, fn in enumerate((f1, f2, f3, f4, f5, f6)):
        assert_same_outcome(fn, k)


def test_inplace_mapped_operand_into_computed_unmapped_refused():
    cases = [
        lambda L, w, x: w.clone().add_(x),
        lambda L, w, x: w.clone().mul_(x),
        lambda L, w, x: (w + 0).mul_(x),
        lambda L, w, x: (w * 2).div_(x + 1),
        lambda L, w, x: w.clone().copy_(x),
        lambda L, w, x: w.t().clone().sub_(x),
        lambda L, w, x: w.exp().mul_(x),
        lambda L, w, x: L.zeros(2).mul_(x),
        lambda L, w, x: w.clone().mul_(w),  # (unmapped operand: allowed)
        lambda L, w, x: (w.clone() * x).mul_(x),  # (mapped self: allowed)
        lambda L, w, x: w.clone().add(x),
    ]
    for k, f in enumerate(cases):
        def fn(L, f=f):
            w = L.ones(2)
            xs = L.arange(6.0).reshape(3, 2)
            return L.vmap(lambda x: f(L, w, x))(xs), w

        assert_same_outcome(fn, k)


def test_inplace_random_on_unmapped():
    for randomness in ("same", "different", "error"):
        for k, op in enumerate((lambda t: t.normal_(), lambda t: t.uniform_(),
                                lambda t: t.bernoulli_(0.5), lambda t: t.exponential_(),
                                lambda t: t.cauchy_(), lambda t: t.log_normal_(),
                                lambda t: t.geometric_(0.5), lambda t: t.random_(0, 5))):
            def fn(L, op=op, randomness=randomness):
                L.manual_seed(0)
                w = L.ones(2)
                xs = L.arange(6.0).reshape(3, 2)
                out = L.vmap(lambda x: op(w) + x, randomness=randomness)(xs)
                return out, w

            e, t = outcome(ember, fn), outcome(torch, fn)
            assert e[0] == t[0], (randomness, k, e, t)
            if e[0] == "err":
                assert e[1:] == t[1:], (randomness, k, e, t)
            elif k in (0, 1):  # (bits for normal_ and uniform_; the others: the same shapes)
                assert_same_outcome(fn, (randomness, k))

    def mapped(L):  # (a mapped tensor: its own draws)
        L.manual_seed(0)
        xs = L.zeros(3, 20)
        return L.vmap(lambda x: x.clone().normal_() * 0 + x.sum(), randomness="different")(xs)

    assert_same_outcome(mapped)


def test_print_once():
    cases = [
        lambda L, x: print(x.shape, x.dim(), x.size(0), x.dtype),
        lambda L, x: print("hi"),
        lambda L, x: print(L.ones(2)),
        lambda L, x: [print(i) for i in range(2)],
    ]
    for k, f in enumerate(cases):
        for nested in (False, True):
            outs = []
            for L in (ember, torch):
                buf = io.StringIO()
                g = L.vmap(lambda x, f=f, L=L: (f(L, x), x * 2)[1])
                if nested:
                    g = L.vmap(g)
                with contextlib.redirect_stdout(buf):
                    r = g(L.arange(12.0).reshape(3, 2, 2) if nested else
                          L.arange(6.0).reshape(3, 2))
                outs.append((buf.getvalue(), r.tolist()))
            assert outs[0] == outs[1], (k, nested, outs)
    # a raise in a later call leaves sys.stdout as it was
    import sys

    before = sys.stdout

    calls = []

    def g(x):
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("boom")
        return x

    with pytest.raises(ValueError):
        ember.vmap(lambda x: ember.vmap(g)(x))(ember.ones(3, 2))
    assert sys.stdout is before
    # with chunk_size, PyTorch runs the function (and prints) once per chunk
    outs = []
    for L in (ember, torch):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            L.vmap(lambda x: (print(x.shape), x)[1], chunk_size=2)(L.ones(5, 3))
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]


def test_batch_norm_running_stats_refused():
    for track in (True, False):
        def fn(L, track=track):
            L.manual_seed(0)
            bn = L.nn.BatchNorm1d(2, track_running_stats=track, dtype=L.float64)
            xs = L.arange(12.0, dtype=L.float64).reshape(3, 2, 2)
            return L.vmap(bn)(xs)

        e, t = outcome(ember, fn), outcome(torch, fn)
        assert e[0] == t[0] and (e[1:] == t[1:] if e[0] == "err" else np.allclose(
            e[1].detach().numpy(), t[1].detach().numpy(), rtol=1e-12, atol=1e-12)), (e, t)
