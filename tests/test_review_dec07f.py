"""Review (K1) of the autograd engine, indexing and reduction changes: the differences it
found, each checked against PyTorch."""
import numpy as np
import pytest
import torch

import ember
from diff import error_of


_err = error_of


def _hook_on_missing_gradient(L, ret):
    L.manual_seed(0)
    q = L.randn(4, 6, requires_grad=True)
    a, b, c = q.chunk(3, dim=1)
    c.register_hook(ret(L))  # (c gets no gradient: its hook is given None)
    return _err(lambda: (a * b).sum().backward()), q.grad is None


@pytest.mark.parametrize("ret", [lambda L: (lambda g: L.ones(4, 2)), lambda L: (lambda g: 5),
                                 lambda L: (lambda g: None if g is None else g * 2)])
def test_tensor_hook_cannot_replace_a_none_gradient(ret):
    assert _hook_on_missing_gradient(ember, ret) == _hook_on_missing_gradient(torch, ret)


def _module_hook_on_missing_output(L):
    class Two(L.nn.Module):
        def forward(self, x):
            return x * 2, x * 3

    m = Two()
    m.register_full_backward_pre_hook(lambda mod, go: (go[0], L.ones(2)))
    x = L.ones(2, requires_grad=True)
    a, _ = m(x)
    return _err(lambda: a.sum().backward())


def test_module_pre_hook_cannot_replace_a_none_gradient():
    assert _module_hook_on_missing_output(ember) == _module_hook_on_missing_output(torch)


def _unique(L, vals, dt, **kw):
    r = L.unique(L.tensor(vals, dtype=getattr(L, dt)), **kw)
    r = r if isinstance(r, tuple) else (r,)
    return [(str(x.dtype), x.tolist(), [bool(b) for b in np.signbit(
        np.asarray(x.float().tolist() if x.is_floating_point() else x.tolist(), float))])
            for x in r]


_NAN = float("nan")


@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("vals", [[3., 1., 2., 1., 3.], [0., -0., 1., 0.], [-0., 2., -0.],
                                  [-0., 1., 0., -0.], [_NAN, 1., _NAN, 1.], [5.], [2., 0., -1.]])
def test_unique_values_inverse_counts(dt, vals):
    for kw in ({}, {"return_inverse": True, "return_counts": True},
               {"sorted": False, "return_counts": True}):
        got, want = _unique(ember, vals, dt, **kw), _unique(torch, vals, dt, **kw)
        assert str(got) == str(want), kw


def test_unique_of_many_floats_without_signed_zero_ties_is_numpy_fast():
    # (no NaN, no mix of 0.0 and -0.0: the values alone decide, without PyTorch's sort order)
    ember.manual_seed(0)
    x = (ember.randn(2000) * 10).floor()
    vals, inv, counts = ember.unique(x, return_inverse=True, return_counts=True)
    t = torch.tensor(x.tolist())
    w = torch.unique(t, return_inverse=True, return_counts=True)
    assert vals.tolist() == w[0].tolist() and inv.tolist() == w[1].tolist()
    assert counts.tolist() == w[2].tolist()


def test_strides_of_indexing_with_multi_dim_index_tensors():
    import random

    rng = random.Random(0)
    for _ in range(150):
        nd = rng.randint(1, 4)
        shape = [rng.randint(1, 4) for _ in range(nd)]
        na = rng.randint(1, nd)
        start = rng.randint(0, nd - na)
        ishape = [rng.randint(1, 3) for _ in range(rng.randint(1, 3))]
        key = [slice(None)] * nd
        flip = len(ishape) == 2 and rng.random() < 0.3  # (transposed index tensors)
        for j in range(na):
            k = torch.randint(0, shape[start + j], ishape[::-1] if flip else ishape)
            key[start + j] = k.t() if flip else k
        x = torch.randn(*shape)
        if rng.random() < 0.3 and nd > 1:
            x = x.transpose(0, nd - 1).contiguous().transpose(0, nd - 1)
        want = x[tuple(key)]
        xe = ember.tensor(x.numpy()).as_strided(x.shape, x.stride())
        got = xe[tuple(ember.tensor(k.numpy()).as_strided(k.shape, k.stride())
                       if isinstance(k, torch.Tensor) else k for k in key)]
        assert got.stride() == want.stride(), (shape, key)
        assert got.tolist() == want.tolist()


def _sgn_zero_sums(L):
    out = []
    for f in (lambda x: x.sgn() + x * -0.0, lambda x: x * -0.0 + x.sgn(),
              lambda x: (x * -1.0).relu() + x.sgn(), lambda x: x.sgn() * x,
              lambda x: x.sgn() + x.sgn() + x * -0.0, lambda x: x.sgn() + (x * -0.0).view(-1)):
        x = L.tensor([0.0, -0.0, 1.0, -2.0], requires_grad=True)
        f(x).sum().backward()
        out.append([(v, bool(np.signbit(v))) for v in x.grad.tolist()])
    x = L.tensor([1.0, -2.0], requires_grad=True)
    z = x * 1
    seen = []
    z.register_hook(lambda g: seen.append([bool(np.signbit(v)) for v in g.tolist()]))
    (z.sgn() + z * -0.0).sum().backward()
    return out, seen


def test_sgn_zero_gradient_summed_as_pytorch_input_buffer():
    # (PyTorch's zeros of sgn's backward: added in place into a gradient only the buffer
    # holds (-0 becomes 0), else they add nothing)
    assert str(_sgn_zero_sums(ember)) == str(_sgn_zero_sums(torch))
