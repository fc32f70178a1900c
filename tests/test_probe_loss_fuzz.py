"""Differential fuzzing of the loss functions against PyTorch: the same calls (random shapes,
non-contiguous operands, half types, 0-d inputs) give the same bits in the loss and in the input
gradients for a random upstream gradient, the same strides, or the same exception."""
import warnings

import numpy as np
import pytest

import ember
from diff import measured_cpu

torch = pytest.importorskip("torch")


def _nc(lib, t):
    """A column-major view of ``t``'s values (non-contiguous, dense)."""
    return t.transpose(-1, -2).contiguous().transpose(-1, -2) if t.dim() >= 2 else t


def _run(lib, fn, arrays, nc=(), grads=None):
    ts = []
    for k, a in enumerate(arrays):
        t = lib.from_numpy(np.array(a))
        if k in nc:
            t = _nc(lib, t)
        if a.dtype.kind == "f" and (grads is None or k in grads):
            t.requires_grad_(True)
        ts.append(t)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(lib, *ts)
            res = [str(out.dtype).split(".")[-1], tuple(out.shape), out.stride(),
                   out.detach().float().numpy().tobytes()]
            ins = [t for t in ts if t.requires_grad]
            if out.requires_grad and ins:
                up = np.random.default_rng(1).standard_normal(tuple(out.shape))
                gs = lib.autograd.grad([out], ins, [lib.from_numpy(up).to(out.dtype)],
                                       allow_unused=True)
                res += [None if g is None else g.double().numpy().tobytes() for g in gs]
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return type(e).__name__, str(e)
    return res


def same(fn, *arrays, nc=(), grads=None, close=False):
    """``close``: the losses' exp and log are VML's, whose bits ember has on the measured
    processor only (``diff.measured_cpu``): elsewhere the values (the loss, then float64
    copies of the float32 gradients) within a few ulps, the rest the same."""
    want = _run(torch, fn, arrays, nc, grads)
    got = _run(ember, fn, arrays, nc, grads)
    if close and not measured_cpu() and type(got) is list and type(want) is list and \
            len(got) == len(want):
        for i, (g, w) in enumerate(zip(got, want)):
            if type(g) is bytes and type(w) is bytes and len(g) == len(w):
                dt = np.float32 if i == 3 else np.float64
                np.testing.assert_allclose(np.frombuffer(g, dt), np.frombuffer(w, dt),
                                           rtol=1e-5, atol=1e-6, equal_nan=True)
            else:
                assert g == w
        return
    assert got == want


def _F(lib):
    return lib.nn.functional


_R = np.random.default_rng(0)


def _x(*shape, dt=np.float32, scale=1.0):
    return (np.asarray(_R.standard_normal(shape)) * scale).astype(dt)


# -- softmax output layout: a transposed input gives a contiguous result --------------------

@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_softmax_of_transposed_input_is_contiguous(dt):
    x = _x(5, 4, dt=dt)
    for dim in (0, 1):
        same(lambda T, a: T.log_softmax(a, dim), x, nc=(0,))
        same(lambda T, a: T.softmax(a, dim), x, nc=(0,))


@pytest.mark.parametrize("ls", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("red", ["none", "sum", "mean"])
def test_cross_entropy_transposed_logits(ls, red):
    # the row sums of the probability-target loss follow the log_softmax result's layout
    x, p = _x(16, 10, scale=3), _R.random((16, 10)).astype(np.float32)
    t = _R.integers(0, 10, 16)
    same(lambda T, a, b: _F(T).cross_entropy(a, b.softmax(1), reduction=red,
                                             label_smoothing=ls), x, p, nc=(0,), grads=(0,))
    same(lambda T, a, b: _F(T).cross_entropy(a, b, reduction=red, label_smoothing=ls),
         x, t, nc=(0,))


# -- nll_loss: the spatial kernel's names and its gradient-layout check ---------------------

@pytest.mark.parametrize("shape", [(2, 3), (3,), (2, 3, 4), (2, 3, 4, 5), (2, 3, 2, 2, 2)])
def test_nll_loss_weight_requiring_grad_names_the_kernel(shape):
    x = _x(*shape)
    t = np.zeros(shape[:1] + shape[2:] if len(shape) > 1 else (), np.int64)
    same(lambda T, a, b, w: _F(T).nll_loss(a, b, weight=w), x, t, _R.random(3).astype(np.float32),
         grads=(0, 2))


@pytest.mark.parametrize("layout", ["t", "cl", "slice", "5d", "3d"])
def test_nll_loss_4d_non_contiguous_backward(layout):
    def fn(T, a, b):
        if layout == "t":
            a = _nc(T, a)
        elif layout == "cl":
            a = a.contiguous(memory_format=T.channels_last)
        elif layout == "slice":
            a = a[..., ::2]
            b = b[..., ::2]
        elif layout == "5d":
            a, b = _nc(T, a.unsqueeze(-1)), b.unsqueeze(-1)
        else:
            a, b = _nc(T, a[..., 0]), b[..., 0]
        return _F(T).nll_loss(a, b, reduction="sum")
    same(fn, _x(2, 3, 4, 4), _R.integers(0, 3, (2, 4, 4)))


# -- pointwise losses: 0-d inputs, non-contiguous operands, float64 -------------------------

def test_soft_margin_loss_0d():
    for v in _x(40):
        same(lambda T, a, b: _F(T).soft_margin_loss(a, b), np.float32(v), np.float32(1),
             grads=(0,), close=True)


@pytest.mark.parametrize("red", ["none", "sum", "mean"])
@pytest.mark.parametrize("extra", ["", "w", "pw"])
def test_bce_with_logits_non_contiguous(red, extra):
    x, y = _x(17, 8, scale=3), (_R.random((17, 8)) < 0.5).astype(np.float32)
    w = _R.random((17, 8)).astype(np.float32)
    pw = (_R.random(8) * 3).astype(np.float32)

    def fn(T, a, b, w, pw):
        return _F(T).binary_cross_entropy_with_logits(
            a, b, weight=w if extra == "w" else None, pos_weight=pw if extra == "pw" else None,
            reduction=red)
    same(fn, x, y, w, pw, nc=(0, 1, 2), grads=(0,))


@pytest.mark.parametrize("red", ["none", "sum", "mean"])
def test_binary_cross_entropy_float64(red):
    p = _R.random((40, 30)) * 0.98 + 0.01
    p[0, :3] = [0.0, 1.0, 1e-300]
    y = _R.random((40, 30))
    y[0, :3] = [0.5, 0.5, 1.0]
    w = _R.random(30)
    # (the input's gradient only: the target's is float64 logit, NumPy's log in its vector part)
    same(lambda T, a, b: _F(T).binary_cross_entropy(a, b, reduction=red), p, y, grads=(0,))
    same(lambda T, a, b, c: _F(T).binary_cross_entropy(a, b, weight=c, reduction=red), p, y, w,
         grads=(0,))


# -- ctc_loss: the C library's exp and log in the CPU kernel's scalar loops ------------------

@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(6))
def test_ctc_loss_gradients(dt, seed):
    r = np.random.default_rng(seed + 149)
    T_, N, C = int(r.integers(3, 20)), int(r.integers(1, 4)), int(r.integers(2, 6))
    x = r.standard_normal((T_, N, C))
    lp = (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(dt)
    il = r.integers(1, T_ + 1, N)
    il[0] = T_
    S = int(r.integers(1, max(2, T_ // 2)))
    tl = r.integers(0, S + 1, N)
    tg = r.integers(1, C, (N, S))
    for red in ("none", "sum", "mean"):
        same(lambda T, a, b, c, d: _F(T).ctc_loss(a, b, c, d, reduction=red, zero_infinity=True),
             lp, tg, il, tl)


# -- half types: smooth_l1 and huber backward kernels; multi_margin refused ------------------

@pytest.mark.parametrize("dn", ["half", "bfloat16"])
@pytest.mark.parametrize("red", ["none", "sum", "mean"])
@pytest.mark.parametrize("shape", [(3, 3), (17, 10, 3), (70,)])
def test_smooth_l1_and_huber_half_backward(dn, red, shape):
    x, y = _x(*shape), _x(*shape)

    def sl1(T, a, b):
        d = getattr(T, dn)
        return _F(T).smooth_l1_loss(a.to(d), b.to(d), reduction=red, beta=0.5)

    def hub(T, a, b):
        d = getattr(T, dn)
        return _F(T).huber_loss(a.to(d), b.to(d), reduction=red, delta=0.7)
    same(sl1, x, y)
    same(hub, x, y)


@pytest.mark.parametrize("dn", ["half", "bfloat16"])
def test_multi_margin_loss_half_not_implemented_on_cpu(dn):
    x = _x(3, 4)
    for t in ([0, 1, 2], [0, 1, 7], [0, 1]):
        same(lambda T, a: _F(T).multi_margin_loss(a.to(getattr(T, dn)), T.tensor(t)), x)
    same(lambda T, a: _F(T).multi_margin_loss(a.to(getattr(T, dn)),
                                              T.tensor([0, 1, 2], dtype=T.int32)), x)


# -- a broad random sweep of the float32 losses (bits, gradients and strides) ---------------

def _cases(r, sh, red):
    x, y = _x(*sh, scale=float(r.choice([0.3, 1, 3]))), _x(*sh)
    p = (r.random(sh) * 0.98 + 0.01).astype(np.float32)
    yb = (r.random(sh) < 0.5).astype(np.float32)
    pm = np.where(r.random(sh) < 0.5, 1, -1).astype(np.float32)
    beta, mg = float(r.choice([0.0, 0.5, 2.0])), float(r.choice([0.0, 0.5, 1.0]))
    yield lambda T, a, b: _F(T).mse_loss(a, b, reduction=red), (x, y), None
    yield lambda T, a, b: _F(T).l1_loss(a, b, reduction=red), (x, y), None
    yield lambda T, a, b: _F(T).smooth_l1_loss(a, b, reduction=red, beta=beta), (x, y), None
    yield lambda T, a, b: _F(T).huber_loss(a, b, reduction=red, delta=beta + 0.5), (x, y), None
    yield lambda T, a, b: _F(T).binary_cross_entropy(a, b, reduction=red), (p, yb), (0,)
    yield (lambda T, a, b: _F(T).binary_cross_entropy_with_logits(a, b, reduction=red),
           (x, yb), None)
    yield (lambda T, a, b: _F(T).kl_div(a, b, reduction="batchmean", log_target=True),
           (np.log(p), np.log(np.flip(p))), None)
    yield lambda T, a, b: _F(T).poisson_nll_loss(a, b, reduction=red), (x, np.abs(y)), (0,)
    yield lambda T, a, b: _F(T).soft_margin_loss(a, b, reduction=red), (x, pm), (0,)
    yield lambda T, a, b: _F(T).hinge_embedding_loss(a, b, mg, reduction=red), (x, pm), (0,)
    yield (lambda T, a, b, c: _F(T).margin_ranking_loss(a, b, c, mg, reduction=red),
           (x, y, pm), (0, 1))
    if len(sh) == 2:
        yield (lambda T, a, b: _F(T).multilabel_soft_margin_loss(a, b, reduction=red),
               (x, yb), (0,))
        t = r.integers(0, sh[1], sh[0])
        yield (lambda T, a, b: _F(T).multi_margin_loss(a, b, p=2, margin=mg, reduction=red),
               (x, t), None)
        yield (lambda T, a, b, c: _F(T).triplet_margin_loss(a, b, c, swap=True, reduction=red),
               (x, y, _x(*sh)), None)
        yield (lambda T, a, b, c: _F(T).cosine_embedding_loss(a, b, c, reduction=red),
               (x, y, pm[:, 0].copy()), (0, 1))


@pytest.mark.parametrize("seed", range(12))
def test_random_float32_losses(seed):
    r = np.random.default_rng(seed)
    sh = tuple(int(v) for v in r.choice([1, 2, 3, 5, 17], int(r.integers(0, 4))))
    red = ["none", "mean", "sum"][seed % 3]
    nc = tuple(range(3)) if seed % 2 and len(sh) >= 2 else ()
    for fn, arrays, grads in _cases(r, sh, red):
        same(fn, *arrays, nc=tuple(k for k in nc if k < len(arrays) and arrays[k].ndim >= 2),
             grads=grads, close=True)


@pytest.mark.parametrize("name", ["mse_loss", "smooth_l1_loss", "huber_loss", "l1_loss"])
@pytest.mark.parametrize("red", ["none", "sum", "mean"])
def test_target_gradient_where_input_equals_target(name, red):
    # PyTorch's target gradient is its kernel with the operands swapped: the input's signed
    # zero where they are equal, not its negation
    x = np.array([1, 2, 3, 0.5, -1, 0] * 6, np.float32).reshape(6, 6)
    y = np.where(_R.random((6, 6)) < 0.5, x, x + 1).astype(np.float32)
    same(lambda T, a, b: getattr(_F(T), name)(a, b, reduction=red), x, y)
    same(lambda T, a, b: getattr(_F(T), name)(a, b, reduction=red), x, y[0].copy())
    same(lambda T, a, b: getattr(_F(T), name)(a.half(), b.half(), reduction=red), x, y)
