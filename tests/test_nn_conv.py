"""Convolutions (functional and modules), unfold/fold, pad and interpolate against PyTorch."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from diff import assert_same, check, check_error, gradcheck

torch = pytest.importorskip("torch")


def arr(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def grad_fn_name(t):
    return type(t.grad_fn).__name__


# -- conv2d ---------------------------------------------------------------------

CONV2D_CASES = [
    # (x shape, w shape, kwargs)
    ((2, 3, 9, 8), (4, 3, 3, 3), {}),
    ((2, 3, 9, 8), (4, 3, 3, 3), dict(padding=1)),
    ((2, 3, 9, 8), (4, 3, 3, 2), dict(stride=2, padding=(1, 0))),
    ((2, 3, 10, 11), (4, 3, 3, 3), dict(stride=(2, 3), dilation=(2, 1), padding=2)),
    ((2, 4, 7, 7), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((1, 6, 7, 6), (6, 1, 3, 3), dict(groups=6, stride=2)),  # depthwise
    ((2, 3, 8, 8), (5, 3, 1, 1), {}),
    ((2, 3, 8, 8), (5, 3, 3, 3), dict(padding="same")),
    ((2, 3, 8, 8), (5, 3, 3, 5), dict(padding="same", dilation=2)),
    ((2, 3, 8, 8), (5, 3, 3, 3), dict(padding="valid")),
    ((3, 9, 7), (4, 3, 3, 3), {}),  # unbatched
    ((3, 9, 7), (4, 3, 2, 3), dict(padding=1, stride=2)),
    ((0, 3, 9, 7), (4, 3, 3, 3), {}),  # empty batch
    ((2, 3, 5, 30), (4, 3, 3, 3), dict(padding=1)),  # a wide, short image
    ((2, 3, 30, 4), (4, 3, 3, 3), dict(padding=(0, 3), dilation=(1, 2))),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws,kw", CONV2D_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(xs, ws, kw, bias, dtype):
    x, w, b = arr(*xs, dtype=dtype), arr(*ws, dtype=dtype, seed=1), arr(ws[0], dtype=dtype,
                                                                        seed=2)
    if bias:
        r = check(lambda T, x, w, b: T.nn.functional.conv2d(x, w, b, **kw), x, w, b)
    else:
        r = check(lambda T, x, w: T.nn.functional.conv2d(x, w, **kw), x, w)
    want = "SqueezeBackward1" if len(xs) == 3 else "ConvolutionBackward0"
    assert grad_fn_name(r) == want


def test_conv2d_same_even_kernel_pads_and_warns():
    x, w = arr(2, 3, 8, 8), arr(4, 3, 2, 4, seed=1)
    ember._warnings._once.discard("conv_same_pad")  # (PyTorch's warns once a process)
    with pytest.warns(UserWarning, match="padding='same' with even kernel"):
        r = check(lambda T, x, w: T.nn.functional.conv2d(x, w, padding="same"), x, w)
    assert grad_fn_name(r) == "ConvolutionBackward0"
    assert type(r.grad_fn.next_functions[0][0]).__name__ == "ConstantPadNdBackward0"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 3, 11), (4, 3, 3), {}),
    ((2, 3, 11), (4, 3, 3), dict(stride=2, padding=2, dilation=2)),
    ((2, 4, 11), (6, 2, 4), dict(groups=2, padding="same")),
    ((3, 11), (4, 3, 5), dict(padding=1)),
])
def test_conv1d(xs, ws, kw, dtype):
    x, w, b = arr(*xs, dtype=dtype), arr(*ws, dtype=dtype, seed=1), arr(ws[0], dtype=dtype,
                                                                        seed=2)
    if kw.get("padding") == "same" and ws[-1] % 2 == 0:
        ember._warnings._once.discard("conv_same_pad")  # (PyTorch's warns once a process)
        with pytest.warns(UserWarning):
            check(lambda T, x, w, b: T.nn.functional.conv1d(x, w, b, **kw), x, w, b)
    else:
        check(lambda T, x, w, b: T.nn.functional.conv1d(x, w, b, **kw), x, w, b)


def test_conv3d():
    x, w, b = arr(2, 2, 5, 6, 5), arr(3, 2, 2, 3, 2, seed=1), arr(3, seed=2)
    check(lambda T, x, w, b: T.nn.functional.conv3d(x, w, b, stride=(1, 2, 1), padding=1), x, w,
          b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 3, 5, 6), (3, 4, 3, 3), {}),
    ((2, 3, 5, 6), (3, 4, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 5, 5), (4, 3, 3, 2), dict(stride=(2, 3), groups=2, dilation=(1, 2),
                                     output_padding=(1, 0))),
    ((2, 3, 5, 5), (3, 2, 3, 3), dict(dilation=2, output_padding=1)),  # op < dilation
    ((2, 3, 6, 6), (3, 2, 4, 4), dict(stride=2, padding=1)),  # the usual 2x upsampler
    ((3, 5, 6), (3, 4, 3, 3), dict(padding=1)),  # unbatched
])
def test_conv_transpose2d(xs, ws, kw, dtype):
    cout = ws[1] * kw.get("groups", 1)
    x, w, b = arr(*xs, dtype=dtype), arr(*ws, dtype=dtype, seed=1), arr(cout, dtype=dtype,
                                                                        seed=2)
    r = check(lambda T, x, w, b: T.nn.functional.conv_transpose2d(x, w, b, **kw), x, w, b)
    assert grad_fn_name(r) == ("SqueezeBackward1" if len(xs) == 3 else "ConvolutionBackward0")


def test_conv_transpose1d_3d():
    check(lambda T, x, w: T.nn.functional.conv_transpose1d(x, w, stride=2, output_padding=1),
          arr(2, 3, 7), arr(3, 2, 3, seed=1))
    check(lambda T, x, w: T.nn.functional.conv_transpose3d(x, w, stride=2, padding=1),
          arr(1, 2, 3, 4, 3), arr(2, 2, 3, 3, 3, seed=1))


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_conv_low_precision_forward(name):
    x, w = arr(2, 3, 6, 6), arr(4, 3, 3, 3, seed=1)
    tx = torch.from_numpy(x).to(getattr(torch, name))
    tw = torch.from_numpy(w).to(getattr(torch, name))
    ex = ember.from_numpy(x).to(getattr(ember, name))
    ew = ember.from_numpy(w).to(getattr(ember, name))
    t = torch.nn.functional.conv2d(tx, tw, padding=1)
    e = ember.nn.functional.conv2d(ex, ew, padding=1)
    assert e.dtype is getattr(ember, name)
    np.testing.assert_allclose(e.float().numpy(), t.float().numpy(), rtol=2e-2, atol=5e-2)


def test_conv_integer():
    x = np.arange(2 * 3 * 5 * 5, dtype=np.int64).reshape(2, 3, 5, 5) % 7
    w = np.arange(4 * 3 * 3 * 3, dtype=np.int64).reshape(4, 3, 3, 3) % 5 - 2
    check(lambda T, x, w: T.nn.functional.conv2d(x, w, padding=1), x, w)


def test_conv_gradcheck_float64():
    gradcheck(lambda T, x, w: T.nn.functional.conv2d(x, w, stride=2, padding=1, groups=2),
              arr(1, 4, 5, 4, dtype=np.float64), arr(2, 2, 3, 2, dtype=np.float64, seed=1))
    gradcheck(lambda T, x, w: T.nn.functional.conv_transpose2d(x, w, stride=2, padding=1),
              arr(1, 2, 3, 3, dtype=np.float64), arr(2, 2, 3, 3, dtype=np.float64, seed=1))


@pytest.mark.parametrize("transposed", [False, True])
def test_conv_double_backward(transposed):
    """Gradients of gradients (as in a gradient penalty) match PyTorch's."""
    kw = dict(stride=2, padding=1, groups=2)
    x = arr(2, 4, 6, 5, dtype=np.float64)
    w = arr(4, 2, 3, 3, dtype=np.float64, seed=1)

    def run(T):
        tx = (torch if T is torch else ember).from_numpy(x.copy()).requires_grad_()
        tw = (torch if T is torch else ember).from_numpy(w.copy()).requires_grad_()
        f = T.nn.functional.conv_transpose2d if transposed else T.nn.functional.conv2d
        y = f(tx, tw, **kw)
        gx, gw = T.autograd.grad((y * y).sum(), (tx, tw), create_graph=True)
        return T.autograd.grad((gx ** 2).sum() + (gw ** 3).sum(), (tx, tw))

    for e, t in zip(run(ember), run(torch), strict=True):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-9, atol=1e-9)


def test_conv_non_contiguous_inputs():
    """Transposed, sliced and channels-last-like inputs give the same results."""
    x, w = arr(5, 9, 3, 2, dtype=np.float64), arr(4, 3, 3, 2, dtype=np.float64, seed=1)
    check(lambda T, x, w: T.nn.functional.conv2d(x.permute(3, 2, 0, 1), w, padding=1), x, w)
    check(lambda T, x, w: T.nn.functional.conv2d(x.permute(3, 2, 0, 1)[:, :, ::2], w.mT,
                                                  stride=(1, 2)), x, w)
    check(lambda T, x, w: T.nn.functional.conv_transpose2d(x.permute(3, 2, 0, 1), w.transpose(
        0, 1)[:2].transpose(0, 1).contiguous().transpose(0, 1), stride=2), x, w)


def test_conv_needs_only_what_requires_grad():
    x = ember.from_numpy(arr(2, 3, 6, 6))
    w = ember.from_numpy(arr(4, 3, 3, 3, seed=1)).requires_grad_()
    y = ember.nn.functional.conv2d(x, w)
    y.sum().backward()
    assert x.grad is None and w.grad is not None
    with ember.no_grad():
        assert ember.nn.functional.conv2d(x, w).grad_fn is None


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 2), cg=st.integers(1, 3), og=st.integers(1, 2), groups=st.integers(1, 2),
       h=st.integers(3, 9), w=st.integers(3, 9), kh=st.integers(1, 3), kw=st.integers(1, 3),
       s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       p=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       d=st.tuples(st.integers(1, 2), st.integers(1, 2)))
def test_conv2d_hypothesis(n, cg, og, groups, h, w, kh, kw, s, p, d):
    x = arr(n, cg * groups, h, w, dtype=np.float64)
    wt = arr(og * groups, cg, kh, kw, dtype=np.float64, seed=1)
    check(lambda T, x, wt: T.nn.functional.conv2d(x, wt, stride=s, padding=p, dilation=d,
                                                  groups=groups), x, wt)
    # the transposed convolution with the same geometry (output_padding picked to be legal)
    op = tuple(min(si, di) - 1 for si, di in zip(s, d, strict=True))
    wt_t = arr(cg * groups, og, kh, kw, dtype=np.float64, seed=1)
    check(lambda T, x, wt: T.nn.functional.conv_transpose2d(
        x, wt, stride=s, padding=(0, 0), dilation=d, groups=groups, output_padding=op), x, wt_t)


# -- errors ------------------------------------------------------------------------

@pytest.mark.parametrize("fn,xs,ws,match", [
    (lambda T, x, w: T.nn.functional.conv2d(x, w), (2, 3, 8, 8), (4, 2, 3, 3),
     "expected input[2, 3, 8, 8] to have 2 channels, but got 3 channels instead"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w), (3, 8, 8), (4, 2, 3, 3),
     "expected input[1, 3, 8, 8] to have 2 channels"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w), (8, 8), (4, 3, 3, 3),
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [8, 8]"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w), (2, 3, 8, 8), (4, 3, 9, 9),
     "Kernel size can't be greater than actual input size"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w, dilation=4), (2, 3, 8, 8), (4, 3, 3, 3),
     "Kernel size: (9 x 9)"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w), (2, 3, 8, 8), (4, 3, 3),
     "expected stride to be a single integer value or a list of 1 values"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w, stride=0), (2, 3, 8, 8), (4, 3, 3, 3),
     "non-positive stride is not supported"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w, padding=-1), (2, 3, 8, 8), (4, 3, 3, 3),
     "negative padding is not supported"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w, dilation=0), (2, 3, 8, 8), (4, 3, 3, 3),
     "non-positive dilation is not supported"),  # (PyTorch 2.13's words, batch of 2+)
    (lambda T, x, w: T.nn.functional.conv2d(x, w, groups=0), (2, 3, 8, 8), (4, 3, 3, 3),
     "non-positive groups is not supported"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w, padding="same", stride=2), (2, 3, 8, 8),
     (4, 3, 3, 3), "padding='same' is not supported for strided convolutions"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w, padding="foo"), (2, 3, 8, 8), (4, 3, 3, 3),
     "Invalid padding string: 'foo'"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w, padding=(1, 2, 3)), (2, 3, 8, 8),
     (4, 3, 3, 3), "list of 2 values"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w, groups=2), (2, 4, 8, 8), (3, 2, 3, 3),
     "expected weight to be divisible by 2 at dimension 0"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w.double()), (2, 3, 8, 8), (4, 3, 3, 3),
     "Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should be the same"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w, T.zeros(5)), (2, 3, 8, 8), (4, 3, 3, 3),
     "expected bias to be 1-dimensional with 4 elements, but got bias of size [5] instead"),
    (lambda T, x, w: T.nn.functional.conv2d(x, w, T.zeros(4).double()), (2, 3, 8, 8),
     (4, 3, 3, 3), "Input type (float) and bias type (double) should be the same"),
    (lambda T, x, w: T.nn.functional.conv1d(x, w), (8,), (4, 3, 3),
     "Expected 2D (unbatched) or 3D (batched) input to conv1d"),
    (lambda T, x, w: T.nn.functional.conv_transpose2d(x, w), (2, 3, 8, 8), (4, 3, 3, 3),
     "Given transposed=1, weight of size [4, 3, 3, 3], expected input[2, 3, 8, 8] to have 4 "
     "channels, but got 3 channels instead"),
    (lambda T, x, w: T.nn.functional.conv_transpose2d(x, w, stride=2, output_padding=2),
     (2, 3, 8, 8), (3, 4, 3, 3), "output padding must be smaller than either stride or "
     "dilation, but got output_padding_height: 2 output_padding_width: 2 stride_height: 2 "
     "stride_width: 2 dilation_height: 1 dilation_width: 1"),
    (lambda T, x, w: T.nn.functional.conv_transpose2d(x, w, padding="same"), (2, 3, 8, 8),
     (3, 4, 3, 3), None),
    (lambda T, x, w: T.nn.functional.conv2d(x, w, padding=1.5), (2, 3, 8, 8), (4, 3, 3, 3),
     None),
])
def test_conv_errors(fn, xs, ws, match):
    check_error(fn, arr(*xs), arr(*ws, seed=1), match=match)


# -- modules -----------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(1, 32, 3),
    lambda nn: nn.Conv2d(3, 8, (3, 5), stride=2, padding=(1, 2), dilation=2, bias=False,
                         padding_mode="reflect"),
    lambda nn: nn.Conv2d(4, 8, 3, padding="same", groups=2),
    lambda nn: nn.Conv2d(4, 8, 3, padding="valid"),
    lambda nn: nn.Conv2d(4, 8, 3, padding=1, padding_mode="replicate"),
    lambda nn: nn.Conv2d(4, 8, 3, padding=(1, 2), padding_mode="circular"),
    lambda nn: nn.Conv2d(4, 8, (3, 4), padding="same", padding_mode="reflect", dilation=(1, 2)),
    lambda nn: nn.Conv1d(3, 4, 5),
    lambda nn: nn.Conv1d(3, 6, 5, stride=2, padding=1, dilation=3, groups=3, bias=False,
                         padding_mode="circular"),
    lambda nn: nn.Conv3d(2, 4, 3, padding=1),
    lambda nn: nn.ConvTranspose2d(3, 4, 3),
    lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2,
                                  bias=False, dilation=2),
    lambda nn: nn.ConvTranspose1d(3, 4, 3, stride=2),
])
def test_conv_module_repr_and_init(make):
    """Same repr, same attributes, and the same initial numbers for the same seed."""
    torch.manual_seed(7)
    tm = make(torch.nn)
    ember.manual_seed(7)
    em = make(ember.nn)
    assert repr(em) == repr(tm)
    for k in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
              "transposed", "output_padding", "groups", "padding_mode"):
        assert getattr(em, k) == getattr(tm, k), k
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    for (n, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy(), err_msg=n)
    # and the same forward/backward on the same input
    shape = {1: (2, tm.in_channels, 12), 2: (2, tm.in_channels, 9, 10),
             3: (2, tm.in_channels, 5, 6, 5)}[len(tm.kernel_size)]
    x = arr(*shape)
    ty = tm(torch.from_numpy(x))
    ey = em(ember.from_numpy(x))
    assert_same(ey, ty.detach(), rtol=1e-4, atol=1e-5)
    up = arr(*ty.shape, seed=3)
    ty.backward(torch.from_numpy(up))
    ey.backward(ember.from_numpy(up))
    for (n, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4,
                                   err_msg=n)


def test_conv2d_init_bit_exact_issue_shape():
    for seed in (0, 1, 1234):
        torch.manual_seed(seed)
        t = torch.nn.Conv2d(1, 32, 3)
        ember.manual_seed(seed)
        e = ember.nn.Conv2d(1, 32, 3)
        assert np.array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
        assert np.array_equal(e.bias.detach().numpy(), t.bias.detach().numpy())
        assert e.weight.dtype is ember.float32 and e.weight.requires_grad


def test_conv_module_state_dict_and_unbatched():
    e = ember.nn.Conv2d(3, 4, 3, padding=1)
    assert list(e.state_dict()) == ["weight", "bias"]
    assert e(ember.zeros(3, 5, 5)).shape == (4, 5, 5)
    t = torch.nn.Conv2d(3, 4, 3, padding=1, dtype=torch.float64)
    e = ember.nn.Conv2d(3, 4, 3, padding=1, dtype=ember.float64)
    assert e.weight.dtype is ember.float64 and t.weight.dtype is torch.float64


@pytest.mark.parametrize("make,exc", [
    (lambda nn: nn.Conv2d(3, 4, 3, groups=2), ValueError),
    (lambda nn: nn.Conv2d(4, 3, 3, groups=2), ValueError),
    (lambda nn: nn.Conv2d(4, 4, 3, groups=0), ValueError),
    (lambda nn: nn.Conv2d(4, 4, 3, padding_mode="foo"), ValueError),
    (lambda nn: nn.Conv2d(4, 4, 3, padding="same", stride=2), ValueError),
    (lambda nn: nn.Conv2d(4, 4, 3, padding="foo"), ValueError),
    (lambda nn: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), ValueError),
])
def test_conv_module_errors(make, exc):
    with pytest.raises(exc) as t:
        make(torch.nn)
    with pytest.raises(exc) as e:
        make(ember.nn)
    # PyTorch prints some choices as a Python set, whose order varies from run to run.
    unordered = lambda m: re.sub(r"\{[^}]*\}", lambda s: str(sorted(s.group(0))), m)
    assert unordered(str(e.value)) == unordered(str(t.value))


def test_conv_module_wrong_channels():
    m = ember.nn.Conv2d(3, 4, 3)
    with pytest.raises(RuntimeError, match=r"expected input\[2, 5, 8, 8\] to have 3 channels"):
        m(ember.zeros(2, 5, 8, 8))


def test_conv_transpose_module_output_size():
    torch.manual_seed(0)
    t = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    e = ember.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})
    x = arr(1, 3, 4, 4)
    ty = t(torch.from_numpy(x), output_size=[8, 8])
    ey = e(ember.from_numpy(x), output_size=[8, 8])
    assert tuple(ey.shape) == tuple(ty.shape) == (1, 2, 8, 8)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)


# -- pad ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,pads,mode", [
    ((2, 3, 5, 6), (1, 2), "constant"),
    ((2, 3, 5, 6), (1, 2, 0, 3), "constant"),
    ((2, 3, 5, 6), (1, 1, 1, 1, 1, 1), "constant"),
    ((2, 3, 5, 6), (-1, 2, 1, -2), "constant"),
    ((5,), (2, 1), "constant"),
    ((2, 3, 5, 6), (2, 3, 1, 4), "reflect"),
    ((3, 5, 6), (5, 0, 4, 1), "reflect"),
    ((2, 3, 7), (3, 6), "reflect"),
    ((3, 7), (1, 2), "reflect"),
    ((2, 3, 5, 6), (2, 3, 1, 7), "replicate"),
    ((2, 3, 7), (3, 0), "replicate"),
    ((2, 3, 7), (-2, 3), "replicate"),
    ((2, 3, 5, 6), (2, 3, 1, 5), "circular"),
    ((2, 3, 7), (7, 2), "circular"),
    ((2, 3, 7), (-2, 1), "reflect"),
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2), "reflect"),
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2), "replicate"),
    ((2, 3, 4, 5), (1, 2, 2, 1, 1, 2), "circular"),
])
def test_pad(shape, pads, mode, dtype):
    r = check(lambda T, x: T.nn.functional.pad(x, pads, mode=mode), arr(*shape, dtype=dtype))
    t = torch.nn.functional.pad(torch.zeros(shape, requires_grad=True), pads, mode=mode)
    assert grad_fn_name(r) == type(t.grad_fn).__name__


def test_pad_value_and_integers():
    check(lambda T, x: T.nn.functional.pad(x, (1, 2, 3, 0), value=2.5), arr(2, 3, 4))
    x = np.arange(12).reshape(3, 4)
    check(lambda T, x: T.nn.functional.pad(x, (1, 2), value=7), x)
    check(lambda T, x: T.nn.functional.pad(x, (1, 2), value=2.5), x)
    check(lambda T, x: T.nn.functional.pad(x, (1, 2), mode="reflect"), x)


def test_pad_double_backward():
    x = arr(2, 3, 5, 6, dtype=np.float64)
    for mode in ("constant", "reflect", "replicate", "circular"):
        def run(T, mode=mode):
            t = T.from_numpy(x.copy()).requires_grad_()
            y = T.nn.functional.pad(t, (2, 1, 1, 3), mode=mode)
            (g,) = T.autograd.grad((y ** 3).sum(), t, create_graph=True)
            (gg,) = T.autograd.grad((g ** 2).sum(), t)
            return gg.numpy()
        np.testing.assert_allclose(run(ember), run(torch), rtol=1e-10, err_msg=mode)


@pytest.mark.parametrize("fn,shape,match", [
    (lambda T, x: T.nn.functional.pad(x, (1, 2, 3)), (2, 3, 4),
     "Padding length must be divisible by 2"),
    (lambda T, x: T.nn.functional.pad(x, (1,) * 10), (2, 3, 4, 4),
     "Padding length should be less than or equal to two times the input dimension but got "
     "padding length 10 and input of dimension 4"),
    (lambda T, x: T.nn.functional.pad(x, (4, 4), mode="reflect"), (2, 3, 8, 8),
     "Padding size 2 is not supported for 4D input tensor.\nSupported combinations"),
    (lambda T, x: T.nn.functional.pad(x, (1, 1), mode="foo"), (2, 3, 8),
     "Unrecognised padding mode foo"),
    (lambda T, x: T.nn.functional.pad(x, (8, 8), mode="reflect"), (2, 3, 8),
     "Argument #4: Padding size should be less than the corresponding input dimension, but got: "
     "padding (8, 8) at dimension 2 of input [2, 3, 8]"),
    (lambda T, x: T.nn.functional.pad(x, (7, 7, 8, 0), mode="reflect"), (2, 3, 8, 8),
     "Argument #6: Padding size should be less than the corresponding input dimension, but got: "
     "padding (8, 0) at dimension 2 of input [2, 3, 8, 8]"),
    (lambda T, x: T.nn.functional.pad(x, (9, 9), mode="circular"), (2, 3, 8),
     "Padding value causes wrapping around more than once."),
    (lambda T, x: T.nn.functional.pad(x, (1, 1), mode="reflect", value=2), (2, 3, 8),
     "Padding mode \"reflect\" doesn't take in value argument"),
    (lambda T, x: T.nn.functional.pad(x, (-5, -5)), (2, 3, 8),
     "narrow(): length must be non-negative."),
    (lambda T, x: T.nn.functional.pad(x, (1, 1), mode="reflect"), (8,), None),
    (lambda T, x: T.nn.functional.pad(x, (1, 1), mode="replicate"), (2, 3, 0),
     "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero "
     "dimensions for input, but got: [2, 3, 0]"),
])
def test_pad_errors(fn, shape, match):
    check_error(fn, arr(*shape), match=match)


@pytest.mark.parametrize("make,shape", [
    (lambda nn: nn.ZeroPad2d(1), (2, 3, 4, 5)),
    (lambda nn: nn.ZeroPad2d((1, 2, 3, 4)), (3, 4, 5)),
    (lambda nn: nn.ZeroPad1d(2), (2, 3, 4)),
    (lambda nn: nn.ZeroPad3d(1), (1, 2, 3, 4, 5)),
    (lambda nn: nn.ConstantPad2d(2, 3.5), (2, 3, 4, 5)),
    (lambda nn: nn.ConstantPad1d((1, 2), 0.), (2, 3, 4)),
    (lambda nn: nn.ConstantPad3d(1, 2), (1, 2, 3, 4, 5)),
    (lambda nn: nn.ReflectionPad2d(1), (2, 3, 4, 5)),
    (lambda nn: nn.ReflectionPad1d(2), (2, 3, 4)),
    (lambda nn: nn.ReflectionPad3d(1), (1, 2, 3, 4, 5)),
    (lambda nn: nn.ReplicationPad2d((1, 2, 0, 1)), (2, 3, 4, 5)),
    (lambda nn: nn.ReplicationPad1d(2), (2, 3, 4)),
    (lambda nn: nn.CircularPad2d(1), (2, 3, 4, 5)),
    (lambda nn: nn.CircularPad1d(1), (2, 3, 4)),
    (lambda nn: nn.Upsample(scale_factor=2), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(size=(3, 7), mode="bilinear", align_corners=True), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(scale_factor=(2, 3)), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(size=7, mode="linear"), (2, 3, 4)),
    (lambda nn: nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 4, 5)),
    (lambda nn: nn.UpsamplingBilinear2d(size=5), (2, 3, 4, 3)),
    (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 4)),
    (lambda nn: nn.PixelUnshuffle(2), (2, 2, 4, 6)),
    (lambda nn: nn.Unfold(2), (2, 3, 5, 6)),
    (lambda nn: nn.Unfold((2, 3), dilation=2, padding=1, stride=2), (2, 3, 7, 6)),
    (lambda nn: nn.Fold((4, 5), 2), (2, 12, 12)),
    (lambda nn: nn.Fold(4, (2, 3), 1, 1, 2), (2, 12, 6)),
])
def test_spatial_modules(make, shape):
    tm, em = make(torch.nn), make(ember.nn)
    assert repr(em) == repr(tm)
    assert {k: v for k, v in vars(em).items() if not k.startswith("_")} == \
        {k: v for k, v in vars(tm).items() if not k.startswith("_")}
    check(lambda T, x: (em if T is ember else tm)(x), arr(*shape))


# -- interpolate -------------------------------------------------------------------

INTERP = [
    dict(scale_factor=2), dict(scale_factor=3), dict(scale_factor=0.5), dict(scale_factor=1.7),
    dict(scale_factor=(2, 0.75)), dict(size=(7, 3)), dict(size=(13, 19)), dict(size=5),
    dict(scale_factor=2.3, recompute_scale_factor=True), dict(size=(6, 10)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", INTERP)
@pytest.mark.parametrize("mode,ac", [("nearest", None), ("bilinear", False), ("bilinear", True),
                                     ("nearest-exact", None), ("area", None)])
def test_interpolate_2d(kw, mode, ac, dtype):
    x = arr(2, 3, 6, 5, dtype=dtype)
    r = check(lambda T, x: T.nn.functional.interpolate(x, mode=mode, align_corners=ac, **kw), x)
    t = torch.nn.functional.interpolate(torch.zeros(2, 3, 6, 5, requires_grad=True), mode=mode,
                                        align_corners=ac, **kw)
    assert grad_fn_name(r) == type(t.grad_fn).__name__


def test_interpolate_nearest_index_rule_many_sizes():
    """Nearest's float32 source-index rule, over many size pairs (index exactness)."""
    x = np.arange(1 * 1 * 1 * 37, dtype=np.float32).reshape(1, 1, 1, 37)
    for size in range(1, 120, 7):
        for kw in (dict(size=(1, size)), dict(scale_factor=(1, size / 37))):
            check(lambda T, x, kw=kw: T.nn.functional.interpolate(x, **kw), x, grad=False, rtol=0,
                  atol=0)
    for sf in (0.3, 1.1, 2.5, 3.33, 7.9):
        check(lambda T, x, sf=sf: T.nn.functional.interpolate(x, scale_factor=(1, sf)), x,
              grad=False, rtol=0, atol=0)


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=9), dict(size=4),
                                dict(scale_factor=1.5)])
@pytest.mark.parametrize("mode,ac", [("nearest", None), ("linear", False), ("linear", True),
                                     ("area", None)])
def test_interpolate_1d(kw, mode, ac):
    check(lambda T, x: T.nn.functional.interpolate(x, mode=mode, align_corners=ac, **kw),
          arr(2, 3, 6, dtype=np.float64))


@pytest.mark.parametrize("mode", ["nearest", "trilinear"])
def test_interpolate_3d(mode):
    check(lambda T, x: T.nn.functional.interpolate(x, scale_factor=(2, 1.5, 0.5), mode=mode),
          arr(1, 2, 3, 4, 6, dtype=np.float64))


def test_upsample_functions_warn_deprecated():
    x = arr(1, 2, 3, 3)
    for f in ("upsample", "upsample_nearest", "upsample_bilinear"):
        with pytest.warns(UserWarning, match=f"`nn.functional.{f}` is deprecated"):
            check(lambda T, x, f=f: getattr(T.nn.functional, f)(x, scale_factor=2), x)


def test_interpolate_double_backward():
    x = arr(2, 3, 4, 5, dtype=np.float64)
    for mode in ("nearest", "bilinear"):
        def run(T, mode=mode):
            t = T.from_numpy(x.copy()).requires_grad_()
            y = T.nn.functional.interpolate(t, size=(7, 3), mode=mode)
            (g,) = T.autograd.grad((y ** 3).sum(), t, create_graph=True)
            (gg,) = T.autograd.grad((g ** 2).sum(), t)
            return gg.numpy()
        np.testing.assert_allclose(run(ember), run(torch), rtol=1e-10, err_msg=mode)


@pytest.mark.parametrize("fn,shape,exc_match", [
    (lambda T, x: T.nn.functional.interpolate(x, size=4, scale_factor=2), (2, 3, 8, 8),
     "only one of size or scale_factor should be defined"),
    (lambda T, x: T.nn.functional.interpolate(x), (2, 3, 8, 8),
     "either size or scale_factor should be defined"),
    (lambda T, x: T.nn.functional.interpolate(x, size=(4, 4, 4)), (2, 3, 8, 8),
     "Input and output must have the same number of spatial dimensions"),
    (lambda T, x: T.nn.functional.interpolate(x, scale_factor=(2, 3, 4)), (2, 3, 8, 8),
     "Input and scale_factor must have the same number of spatial dimensions"),
    (lambda T, x: T.nn.functional.interpolate(x, size=8, mode="bilinear"), (2, 3, 4),
     "Got 3D input, but bilinear mode needs 4D input"),
    (lambda T, x: T.nn.functional.interpolate(x, size=4, mode="linear"), (2, 3, 4, 4),
     "Got 4D input, but linear mode needs 3D input"),
    (lambda T, x: T.nn.functional.interpolate(x, size=4, align_corners=True), (2, 3, 8, 8),
     "align_corners option can only be set with the interpolating modes"),
    (lambda T, x: T.nn.functional.interpolate(x, size=4, mode="foo"), (2, 3, 8, 8),
     "Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D) for the modes"),
    (lambda T, x: T.nn.functional.interpolate(x, size=3), (2, 3),
     "(got 2D) for the modes"),
    (lambda T, x: T.nn.functional.interpolate(x, size=0), (2, 3, 8, 8),
     "Input and output sizes should be greater than 0, but got input (H: 8, W: 8) output "
     "(H: 0, W: 0)"),
    (lambda T, x: T.nn.functional.interpolate(x, size=2, recompute_scale_factor=True),
     (2, 3, 8, 8), "recompute_scale_factor is not meaningful with an explicit size."),
    (lambda T, x: T.nn.functional.interpolate(x, size=4, antialias=True), (2, 3, 8, 8),
     "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes"),
    (lambda T, x: T.nn.functional.interpolate(x.long(), scale_factor=2), (2, 3, 8, 8),
     "\"upsample_nearest2d_channels_last\" not implemented for 'Long'"),
])
def test_interpolate_errors(fn, shape, exc_match):
    check_error(fn, arr(*shape), match=exc_match)


# -- unfold / fold / pixel shuffle ---------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kw", [
    ((2, 3, 5, 6), dict(kernel_size=2)),
    ((2, 3, 7, 6), dict(kernel_size=(2, 3), dilation=2, padding=1, stride=2)),
    ((3, 5, 6), dict(kernel_size=3, padding=1)),
    ((2, 3, 8, 9), dict(kernel_size=(3, 1), stride=(1, 3))),
])
def test_unfold(shape, kw, dtype):
    r = check(lambda T, x: T.nn.functional.unfold(x, **kw), arr(*shape, dtype=dtype))
    assert grad_fn_name(r) == "Im2ColBackward0"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kw", [
    ((2, 12, 12), dict(output_size=(4, 5), kernel_size=2)),
    ((2, 12, 6), dict(output_size=4, kernel_size=(2, 3), padding=1, stride=2)),
    ((12, 9), dict(output_size=(4, 4), kernel_size=2)),
    ((1, 18, 9), dict(output_size=(7, 7), kernel_size=3, dilation=2, stride=1, padding=1)),
])
def test_fold(shape, kw, dtype):
    if shape[-1] == 9 and kw.get("dilation") == 2:
        shape = (1, 18, 25)
    r = check(lambda T, x: T.nn.functional.fold(x, **kw), arr(*shape, dtype=dtype))
    assert grad_fn_name(r) == "Col2ImBackward0"


def test_unfold_fold_double_backward_and_conv_equivalence():
    x = arr(2, 3, 6, 5, dtype=np.float64)

    def run(T):
        t = T.from_numpy(x.copy()).requires_grad_()
        c = T.nn.functional.unfold(t, 3, padding=1, stride=2)
        y = T.nn.functional.fold(c * c, (6, 5), 3, padding=1, stride=2)
        (g,) = T.autograd.grad((y ** 2).sum(), t, create_graph=True)
        (gg,) = T.autograd.grad((g ** 2).sum(), t)
        return gg.numpy()

    np.testing.assert_allclose(run(ember), run(torch), rtol=1e-10)


@pytest.mark.parametrize("fn,shape,match", [
    (lambda T, x: T.nn.functional.unfold(x, 2), (2, 3, 4, 4, 4),
     "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
     "dimensions for input, but got: [2, 3, 4, 4, 4]"),
    (lambda T, x: T.nn.functional.unfold(x, 9), (2, 3, 8, 8),
     "Given input with spatial size (8, 8), kernel_size=(9, 9), dilation=(1, 1), padding=(0, "
     "0), calculated shape of the array of sliding blocks as (0, 0), but its components must be "
     "at least one."),
    (lambda T, x: T.nn.functional.fold(x, (4, 4), 3), (2, 12, 9),
     "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
     "got input.size(1)=12 and kernel_size=(3, 3)."),
    (lambda T, x: T.nn.functional.fold(x, (4, 4), 2), (2, 12, 8),
     "Given output_size=(4, 4), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), "
     "stride=(1, 1), expected size of input's dimension 2 to match the calculated number of "
     "sliding blocks 3 * 3 = 9, but got input.size(2)=8."),
    (lambda T, x: T.nn.functional.unfold(x.long(), 2), (2, 3, 4, 4),
     "\"im2col_out_cpu\" not implemented for 'Long'"),
    (lambda T, x: T.nn.functional.pixel_shuffle(x, 2), (2, 3, 4, 4),
     "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
     "upscale_factor, but input.size(-3)=3 is not divisible by 4"),
    (lambda T, x: T.nn.functional.pixel_unshuffle(x, 2), (2, 3, 5, 4),
     "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=5 "
     "is not divisible by 2"),
    (lambda T, x: T.nn.functional.pixel_shuffle(x, 2), (3, 4),
     "pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 "
     "dimension(s)"),
])
def test_unfold_fold_errors(fn, shape, match):
    check_error(fn, arr(*shape), match=match)


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((4, 2, 3), 2), ((2, 1, 9, 3, 4), 3)])
def test_pixel_shuffle(shape, r):
    x = arr(*shape)
    y = check(lambda T, x: T.nn.functional.pixel_shuffle(x, r), x)
    assert grad_fn_name(y) == "PixelShuffleBackward0"
    check(lambda T, x: T.nn.functional.pixel_unshuffle(T.nn.functional.pixel_shuffle(x, r), r),
          x)


@pytest.mark.parametrize("chunk", [1, 5000])
def test_conv_batch_chunking(monkeypatch, chunk):
    """The batch is processed in cache-sized chunks; tiny chunks give the same results."""
    from ember.nn._functional import conv as C

    monkeypatch.setattr(C, "_CHUNK_BYTES", chunk)
    x, w = arr(5, 4, 7, 6, dtype=np.float64), arr(6, 2, 3, 3, dtype=np.float64, seed=1)
    b = arr(6, dtype=np.float64, seed=2)
    check(lambda T, x, w, b: T.nn.functional.conv2d(x, w, b, padding=1, groups=2), x, w, b)
    w4 = arr(6, 4, 2, 3, dtype=np.float64, seed=3)
    check(lambda T, x, w: T.nn.functional.conv2d(x, w, stride=2, dilation=2), x, w4)
    wt = arr(4, 3, 3, 3, dtype=np.float64, seed=1)
    check(lambda T, x, w: T.nn.functional.conv_transpose2d(x, w, stride=2, padding=1,
                                                           output_padding=1), x, wt)


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_spatial_low_precision(name):
    x = arr(2, 3, 5, 6)
    for f in (lambda T, t: T.nn.functional.interpolate(t, scale_factor=1.5, mode="bilinear"),
              lambda T, t: T.nn.functional.interpolate(t, size=(7, 4)),
              lambda T, t: T.nn.functional.pad(t, (1, 2, 2, 1), mode="reflect"),
              lambda T, t: T.nn.functional.max_pool2d(t, 2),
              lambda T, t: T.nn.functional.avg_pool2d(t, 3, 2, 1)):
        t = f(torch, torch.from_numpy(x).to(getattr(torch, name)))
        e = f(ember, ember.from_numpy(x).to(getattr(ember, name)))
        assert e.dtype is getattr(ember, name) and tuple(e.shape) == tuple(t.shape)
        np.testing.assert_allclose(e.float().numpy(), t.float().numpy(), rtol=1e-2, atol=1e-2)
