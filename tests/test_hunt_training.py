"""Bit-for-bit checks found by differential hunts over realistic training scripts."""
import numpy as np
import pytest

import ember
from diff import assert_bits_or_close, torch

# inner-loop layouts: whole blocks of 32, a scalar tail, rows with tails, a strided inner dim,
# a transposed (but dense) view
LAYOUTS = {
    "block": lambda x: x[:4096],
    "tail": lambda x: x[:1000],
    "rows": lambda x: x[:1200].reshape(30, 40),
    "chunk": lambda x: x[:2400].reshape(30, 80)[:, 20:45],
    "strided": lambda x: x[:2400].reshape(30, 80)[:, ::2],
    "transposed": lambda x: x[:1200].reshape(30, 40).t(),
}


def _pair(layout, seed=0):
    x = torch.randn(5000, generator=torch.Generator().manual_seed(seed)) * 5
    e = ember.tensor(x.numpy())
    return LAYOUTS[layout](x), LAYOUTS[layout](e)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("name", ["sigmoid", "silu"])
def test_sigmoid_silu_bits(name, layout):
    # PyTorch's CPU kernels take Sleef's expf in 32-value vector blocks, the C library's in
    # the tail; an LSTM/GRU gate or a SiLU net drifted from the first step without it
    t, e = _pair(layout)
    t, e = t.clone().requires_grad_(), e.clone().requires_grad_()
    ft = getattr(torch.nn.functional, name)
    fe = getattr(ember.nn.functional, name)
    yt, ye = ft(t), fe(e)
    assert np.array_equal(yt.detach().numpy(), ye.detach().numpy())
    g = torch.randn(yt.shape, generator=torch.Generator().manual_seed(1))
    yt.backward(g)
    ye.backward(ember.tensor(g.numpy()))
    if layout == "transposed":  # mixed layouts: all scalar, and the C library's expf is
        np.testing.assert_allclose(t.grad.numpy(), e.grad.numpy(), rtol=1e-6)  # not always
    else:  # correctly rounded
        assert np.array_equal(t.grad.numpy(), e.grad.numpy())


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_sigmoid_tanh_backward_bits(name):
    # backward from the forward's own output: sigmoid's g * (1 - y) * y in that order, tanh's
    # 1 - y * y fused (one rounding)
    x = torch.randn(3000, generator=torch.Generator().manual_seed(2)) * 3
    g = torch.randn(3000, generator=torch.Generator().manual_seed(3))
    t = x.clone().requires_grad_()
    yt = getattr(torch, name)(t)
    yt.backward(g)
    y = ember.tensor(yt.detach().numpy(), requires_grad=True)
    # the rule sees the same y as PyTorch's: feed it through the node directly
    e = ember.tensor(x.numpy(), requires_grad=True)
    ye = getattr(ember, name)(e)
    ye._data[...] = y._data  # PyTorch's forward bits (tanh's can differ by an ulp)
    ye.backward(ember.tensor(g.numpy()))
    assert np.array_equal(t.grad.numpy(), e.grad.numpy())


def test_packed_lstm_bits():
    # a packed LSTM runs ATen's own cell (an unpacked float32 one goes through oneDNN)
    from torch.nn.utils.rnn import pack_padded_sequence as tpack
    torch.manual_seed(0)
    rt = torch.nn.LSTM(6, 5)
    x = torch.randn(7, 4, 6)
    ember.manual_seed(0)
    re = ember.nn.LSTM(6, 5)
    lengths = [7, 5, 3, 2]
    ot, (ht, ct) = rt(tpack(x, torch.tensor(lengths)))
    oe, (he, ce) = re(ember.nn.utils.rnn.pack_padded_sequence(ember.tensor(x.numpy()),
                                                              ember.tensor(lengths)))
    # (its gate products are MKL's sgemm and its sigmoid/tanh VML's: bitwise on the measured
    # processor, close elsewhere)
    assert_bits_or_close(oe.data.detach().numpy(), ot.data.detach().numpy())
    assert_bits_or_close(ce.detach().numpy(), ct.detach().numpy())
    ot.data.sum().backward()
    oe.data.sum().backward()
    # NOTE: the gradients agree to rounding only: the order in which backpropagation through
    # time adds a step's gradients is not yet PyTorch's
    np.testing.assert_allclose(rt.weight_hh_l0.grad.numpy(), re.weight_hh_l0.grad.numpy(),
                               rtol=1e-5, atol=1e-6)


def test_is_inference_and_requires_grad_outside():
    results = []
    for T in (torch, ember):
        with T.inference_mode():
            a = T.ones(2)
            inside = T.ones(2).requires_grad_().requires_grad
        b = T.ones(2)
        row = [T.is_inference(a), T.is_inference(b), inside, a.requires_grad_(False).requires_grad]
        for fn in (lambda: a.requires_grad_(), lambda: setattr(a, "requires_grad", True),
                   lambda: T.is_inference(3)):
            try:
                fn()
                row.append("ok")
            except (RuntimeError, TypeError) as e:
                row.append((type(e).__name__, str(e)))
        results.append(row)
    assert results[0] == results[1]
