"""Automatic mixed precision against PyTorch: which ops autocast casts and to what, the
values and gradients that come out, and GradScaler's bookkeeping, errors and warnings."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _x(T):
    return T.tensor(np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32))


OPS = {  # what runs inside ``autocast("cpu")``: the dtype of the result is compared
    "linear": lambda T, x: T.nn.functional.linear(x, x[:3], x[0, :3]),
    "matmul": lambda T, x: x @ x.t(),
    "mm": lambda T, x: T.mm(x, x.t()),
    "bmm": lambda T, x: T.bmm(x[None], x.t()[None]),
    "addmm": lambda T, x: T.addmm(x[:, :4], x, x.t()),
    "float64 mm": lambda T, x: T.mm(x.double(), x.double().t()),
    "conv2d": lambda T, x: T.nn.functional.conv2d(x[None, None], x[None, None, :2, :2]),
    "conv1d": lambda T, x: T.nn.functional.conv1d(x[None], T.full((2, 4, 2), 0.1)),
    "prelu": lambda T, x: T.nn.functional.prelu(x, T.tensor([0.25])),
    "relu": lambda T, x: (x @ x.t()).relu(),
    "softmax": lambda T, x: (x @ x.t()).softmax(-1),
    "sum": lambda T, x: (x @ x.t()).sum(),
    "layer_norm": lambda T, x: T.nn.functional.layer_norm(x @ x.t(), (4,)),
    "add bf16 + f32": lambda T, x: (x @ x.t()) + x[:, :4],
    "cat": lambda T, x: T.cat([x @ x.t(), x[:, :4]]),
    "cross_entropy": lambda T, x: T.nn.functional.cross_entropy(x @ x.t(), T.tensor([0, 1, 2, 3])),
    "mse_loss": lambda T, x: T.nn.functional.mse_loss(x @ x.t(), T.zeros(4, 4)),
    "nll_loss": lambda T, x: T.nn.functional.nll_loss((x @ x.t()).log_softmax(-1),
                                                      T.tensor([0, 1, 2, 3])),
    "bce_with_logits": lambda T, x: T.nn.functional.binary_cross_entropy_with_logits(
        x @ x.t(), T.ones(4, 4)),
    "CrossEntropyLoss": lambda T, x: T.nn.CrossEntropyLoss()(x @ x.t(), T.tensor([0, 1, 2, 3])),
    "sdpa": lambda T, x: T.nn.functional.scaled_dot_product_attention(x[None], x[None], x[None]),
    "einsum": lambda T, x: T.einsum("ij,kj->ik", x, x),
    "baddbmm": lambda T, x: T.baddbmm(x[None, :, :4], x[None], x.t()[None]),
    "prod": lambda T, x: (x.to(T.bfloat16)[0, :3] + 1).prod(),
    "gaussian_nll_loss": lambda T, x: T.nn.functional.gaussian_nll_loss(
        x.to(T.bfloat16), x.to(T.bfloat16) * 0.5, T.ones(4, 6, dtype=T.bfloat16)),
    "LSTM": lambda T, x: (T.manual_seed(0), T.nn.LSTM(6, 3)(x[None])[0])[1],
    "GRU": lambda T, x: (T.manual_seed(0), T.nn.GRU(6, 3)(x[None])[0])[1],
}


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", list(OPS))
def test_autocast_casts_like_pytorch(name, dtype):
    if name == "LSTM" and dtype == "float16":
        pytest.skip("PyTorch's own float16 LSTM fails on this CPU (oneDNN has no primitive)")
    got = []
    for T in (ember, torch):
        x = _x(T)
        with T.autocast("cpu", dtype=getattr(T, dtype)):
            r = OPS[name](T, x)
            flags = (T.is_autocast_enabled(), T.is_autocast_enabled("cpu"),
                     str(T.get_autocast_dtype("cpu")))
        got.append((str(r.dtype), flags, r.detach().float().numpy()))
    (e_dtype, e_flags, e_val), (t_dtype, t_flags, t_val) = got
    assert (e_dtype, e_flags) == (t_dtype, t_flags)
    tol = 1e-2 if e_dtype == "torch.bfloat16" else 2e-3  # one rounding of the half type
    np.testing.assert_allclose(e_val, t_val, rtol=tol, atol=tol)


def _step(T, dtype=None):
    """One autocast forward and backward of a small model; its outputs and float32 grads."""
    T.manual_seed(0)
    model = T.nn.Sequential(T.nn.Linear(6, 5), T.nn.ReLU(), T.nn.Linear(5, 3))
    with T.autocast("cpu", dtype=dtype or T.bfloat16):
        out = model(_x(T))
        loss = T.nn.functional.cross_entropy(out, T.tensor([0, 1, 2, 0]))
    loss.backward()
    return (str(out.dtype), str(loss.dtype), type(out.grad_fn).__name__, loss.item(),
            [(str(p.grad.dtype), p.grad.numpy()) for p in model.parameters()])


def test_training_step_under_autocast_matches_pytorch():
    e, t = _step(ember), _step(torch)
    assert e[:3] == t[:3]
    assert e[3] == pytest.approx(t[3], rel=2e-2)
    for (ed, eg), (td, tg) in zip(e[4], t[4]):
        assert ed == td == "torch.float32"
        np.testing.assert_allclose(eg, tg, rtol=5e-2, atol=5e-3)


def test_outside_autocast_nothing_changes():
    for T in (ember, torch):
        with T.autocast("cpu"):
            pass
        x = _x(T)
        assert (x @ x.t()).dtype == T.float32 and not T.is_autocast_enabled("cpu")
        with T.autocast("cpu"), T.autocast("cpu", enabled=False):
            assert (x @ x.t()).dtype == T.float32


def test_autocast_as_a_decorator():
    for T in (ember, torch):
        @T.autocast("cpu")
        def f(a):
            return a @ a.t()
        assert f(_x(T)).dtype == T.bfloat16


def _enter(ctx):
    with ctx:
        return None


def _warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = fn()
    return r, [(w.category.__name__, str(w.message)) for w in caught]


WARNS = {
    "cpu float32": lambda T: _enter(T.autocast("cpu", dtype=T.float32)),
    "cuda without a GPU": lambda T: _enter(T.autocast("cuda")),
    "GradScaler without a GPU": lambda T: T.amp.GradScaler().is_enabled(),
    "cuda.amp.GradScaler": lambda T: T.cuda.amp.GradScaler().is_enabled(),
    "cuda.amp.autocast": lambda T: T.cuda.amp.autocast()._enabled,
}


@pytest.mark.parametrize("name", list(WARNS))
def test_warnings_like_pytorch(name):
    got = [_warnings(lambda: WARNS[name](T)) for T in (ember, torch)]
    (er, ew), (tr, tw) = got
    assert er == tr
    assert [c for c, _ in ew] == [c for c, _ in tw][:len(ew)]
    for (_, e), (_, t) in zip(ew, tw):
        assert t.startswith(e)


def _scaler_run(T):
    """Four steps with GradScaler, the second with an inf loss: scales, skips, weights."""
    T.manual_seed(0)
    lin = T.nn.Linear(2, 1)
    opt = T.optim.SGD(lin.parameters(), lr=0.1)
    scaler = T.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2)
    log = []
    for i in range(4):
        opt.zero_grad()
        loss = lin(T.ones(3, 2)).sum() * (float("inf") if i == 1 else 1)
        scaled = scaler.scale(loss)
        scaled.backward()
        log.append((scaled.item(), lin.weight.grad.tolist()))
        log.append(scaler.step(opt))
        scaler.update()
        log.append((scaler.get_scale(), scaler.state_dict(), lin.weight.tolist()))
    scaler.unscale_(opt)
    try:
        scaler.unscale_(opt)
    except RuntimeError as e:
        log.append(str(e))
    log.append([t.tolist() for t in scaler.scale([T.ones(1), T.ones(2)])])
    try:
        scaler.scale(3.0)
    except ValueError as e:
        log.append(str(e))
    fresh = T.amp.GradScaler("cpu")
    try:
        fresh.step(opt)
    except AssertionError as e:
        log.append(str(e))
    off = T.amp.GradScaler("cpu", enabled=False)
    log.append((off.state_dict(), off.get_scale(), off.scale(T.ones(1)).tolist()))
    other = T.amp.GradScaler("cpu")
    other.load_state_dict(scaler.state_dict())
    log.append(other.state_dict())
    return log


def test_grad_scaler_like_pytorch():
    assert _scaler_run(ember) == _scaler_run(torch)


def test_custom_fwd_casts_inputs():
    class Square(ember.autograd.Function):
        @staticmethod
        @ember.amp.custom_fwd(device_type="cpu", cast_inputs=ember.float32)
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a @ a.t()

        @staticmethod
        @ember.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g @ a + g.t() @ a

    x = _x(ember).bfloat16().requires_grad_()
    with ember.autocast("cpu"):
        y = Square.apply(x)
    assert y.dtype == ember.float32  # ran in float32, autocast off inside
    y.sum().backward()
    assert x.grad.dtype == ember.bfloat16


def test_grad_scaler_update_checks_like_pytorch():
    got = []
    for T in (ember, torch):
        scaler = T.amp.GradScaler("cpu")
        out = []
        for step in ("update before scale", "step", "second update", "new scale"):
            try:
                if step == "update before scale" or step == "second update":
                    scaler.update()
                elif step == "step":
                    lin = T.nn.Linear(2, 1)
                    opt = T.optim.SGD(lin.parameters(), 0.1)
                    scaler.scale(lin(T.ones(1, 2)).sum()).backward()
                    scaler.step(opt)
                    scaler.update()
                else:
                    scaler.update(2.0)
                out.append(scaler.get_scale())
            except AssertionError as e:
                out.append(str(e))
        got.append(out)
    assert got[0] == got[1]
