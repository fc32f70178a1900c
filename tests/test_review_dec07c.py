"""Review of Dec 7 (c): ``detach`` keeps a real view's negative bit (and skips the look-up for
plain tensors), and ``Function.apply`` binds a ``setup_context`` Function's arguments to
``forward``'s signature as PyTorch does (defaults, keywords, errors) with a cached signature."""
import numpy as np
import torch

import ember


def _neg_bits(L):
    z = L.tensor([1 + 2j, 3 - 4j])
    im = z.conj().imag
    d = im.detach()
    return (im.is_neg(), d.is_neg(), d.detach().is_neg(), im[0:1].detach().is_neg(),
            d.resolve_neg().tolist(), L.randn(3).detach().is_neg(),
            L.randn(3)[1:].detach().is_neg(), z.real.detach().is_neg())


def test_detach_keeps_negative_bit():
    assert _neg_bits(ember) == _neg_bits(torch)


def _scale_fn(L):
    class Scale(L.autograd.Function):
        @staticmethod
        def forward(x, k=2.0, j=1.0):
            return x * k + j

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.n = len(inputs)
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None, None

    class Plain(L.autograd.Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None
    return Scale, Plain


def _apply_cases(L):
    Scale, Plain = _scale_fn(L)
    x = L.tensor([1.0, 2.0], requires_grad=True)
    out = []
    calls = [lambda: Scale.apply(x), lambda: Scale.apply(x, 3.0), lambda: Scale.apply(x, j=5.0),
             lambda: Scale.apply(x, 3.0, 4.0), lambda: Plain.apply(x, 3.0),
             lambda: Plain.apply(x, k=4.0), lambda: Plain.apply(x, 3.0),
             lambda: Plain.apply(x), lambda: Plain.apply(x, 1.0, 2.0),
             lambda: Scale.apply(x, kk=1.0)]
    for call in calls:
        try:
            y = call()
            g, = L.autograd.grad(y.sum(), x)
            out.append((y.tolist(), g.tolist(), y.grad_fn._forward_cls.__name__))
        except Exception as e:  # noqa: BLE001
            out.append((type(e).__name__, str(e)))
    return out


def test_setup_context_apply_binds_arguments():
    assert _apply_cases(ember) == _apply_cases(torch)


def test_setup_context_apply_repeated_and_redefined():
    # (the cached signature belongs to each forward: a class made again binds afresh)
    for k in (2.0, 3.0):
        Scale, Plain = _scale_fn(ember)
        x = ember.ones(2, requires_grad=True)
        assert Scale.apply(x).tolist() == [3.0, 3.0]
        assert np.allclose(Plain.apply(x, k).detach().numpy(), k)
