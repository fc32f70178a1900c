"""Forward-mode AD tangents bit for bit against PyTorch (float32, CPU): ``unpack_dual`` of
a dual tensor pushed through an op, and ``torch.func.jvp``.  ember's tangents come from
the double-backward trick; the ops here give PyTorch's forward formulas as the gradient
for the cotangent (silu, softmax, log_softmax, logsumexp, nll_loss / cross_entropy,
mse_loss, mean, var, and elu / softplus, whose tangent is their backward kernel's)."""
import warnings

import numpy as np
import pytest

import ember
from diff import measured_cpu

torch = pytest.importorskip("torch")

with warnings.catch_warnings():  # (PyTorch's first make_dual scripts decompositions: warns)
    warnings.simplefilter("ignore")
    torch.autograd.forward_ad._maybe_load_decompositions()

OPS = {
    "silu": lambda F, a: F.silu(a),
    "softmax_last": lambda F, a: F.softmax(a, -1),
    "softmax_0": lambda F, a: F.softmax(a, 0),
    "softmax_mid": lambda F, a: F.softmax(a, 1),
    "log_softmax_last": lambda F, a: F.log_softmax(a, -1),
    "log_softmax_0": lambda F, a: F.log_softmax(a, 0),
    "log_softmax_mid": lambda F, a: F.log_softmax(a, 1),
    "logsumexp": lambda F, a: a.logsumexp(-1),
    "logsumexp_dims": lambda F, a: a.logsumexp((0, 2), keepdim=True),
    "chain": lambda F, a: F.log_softmax(F.silu(a) * 2, -1).exp(),
    "elu": lambda F, a: F.elu(a * 4),
    "elu_alpha": lambda F, a: F.elu(a * 4, 0.5),
    "selu": lambda F, a: F.selu(a * 4),
    "celu": lambda F, a: F.celu(a * 4, 1.5),
    "softplus": lambda F, a: F.softplus(a * 8),
    "softplus_beta": lambda F, a: F.softplus(a * 8, 2, 3),
    "var_all": lambda F, a: a.var(),
    "var_dim": lambda F, a: a.var(1),
    "var_keepdim": lambda F, a: a.var(-1, keepdim=True),
    "var_dims_biased": lambda F, a: a.var((0, 2), correction=0),
}


def _data(shape=(3, 5, 37), seed=0):
    g = np.random.default_rng(seed)
    return (g.standard_normal(shape).astype(np.float32),
            g.standard_normal(shape).astype(np.float32))


def _fwad(lib, f, x, t):
    fw = lib.autograd.forward_ad
    with fw.dual_level():
        d = fw.make_dual(lib.tensor(x), lib.tensor(t))
        return fw.unpack_dual(f(lib.nn.functional, d)).tangent.detach().numpy()


def _jvp(lib, f, x, t):
    out = lib.func.jvp(lambda a: f(lib.nn.functional, a), (lib.tensor(x),), (lib.tensor(t),))
    return out[1].detach().numpy()


@pytest.mark.parametrize("name", list(OPS))
def test_tangent_bits(name):
    x, t = _data()
    for run in (_fwad, _jvp):
        mine, theirs = run(ember, OPS[name], x, t), run(torch, OPS[name], x, t)
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
        if measured_cpu():
            assert mine.tobytes() == theirs.tobytes(), (name, run.__name__)
        else:  # (PyTorch's float32 exp is MKL's vector maths, emulated only on the measured cpu)
            np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name} {run.__name__}")


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"reduction": "none"},
                                {"weight": True}, {"weight": True, "ignore_index": 2},
                                {"label_smoothing": 0.1}])
def test_cross_entropy_nll_tangent_bits(kw):
    x, t = _data((6, 5, 4))
    target = np.random.default_rng(1).integers(0, 5, (6, 4))
    w = np.random.default_rng(2).random(5).astype(np.float32)

    def run(lib, loss):
        extra = dict(kw, weight=lib.tensor(w)) if kw.get("weight") else kw
        tgt = lib.tensor(target)
        return _jvp(lib, lambda F, a: getattr(F, loss)(
            F.log_softmax(a, 1) if loss == "nll_loss" else a, tgt, **extra), x, t)

    for loss in ("cross_entropy",) + (() if "label_smoothing" in kw else ("nll_loss",)):
        assert run(ember, loss).tobytes() == run(torch, loss).tobytes(), loss


def test_first_order_unchanged():
    # (outside forward mode the ops save what PyTorch's do, and backward is as before)
    x, _ = _data()
    res = []
    for lib in (ember, torch):
        a = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.softmax(a, 1)
        z = lib.nn.functional.log_softmax(a, -1)
        saved = tuple(y.grad_fn._saved_result.shape), y.grad_fn._saved_dim
        (y.pow(2).sum() + z.sum() + lib.nn.functional.silu(a).sum()).backward()
        res.append((saved, a.grad.numpy().tobytes()))
    assert res[0] == res[1]


def test_silu_double_backward_bits():
    # the gradient for the cotangent of silu's create_graph backward stays PyTorch's
    # (its composite formula), not forward mode's
    x, t = _data((4, 33))
    out = []
    for lib in (ember, torch):
        a = lib.tensor(x, requires_grad=True)
        g = lib.tensor(t, requires_grad=True)
        gx, = lib.autograd.grad(lib.nn.functional.silu(a), a, g, create_graph=True)
        gg, = lib.autograd.grad(gx, g, lib.tensor(x))
        out.append(gg.numpy().tobytes())
    assert out[0] == out[1]


@pytest.mark.parametrize("red", ["mean", "sum", "none"])
def test_mse_loss_tangent_bits(red):
    x, t = _data((8, 37))
    y = np.random.default_rng(3).standard_normal((8, 37)).astype(np.float32)
    for run in (_fwad, _jvp):
        got = [run(lib, lambda F, a, lib=lib: F.mse_loss(a, lib.tensor(y), reduction=red), x, t)
               for lib in (ember, torch)]
        assert got[0].tobytes() == got[1].tobytes(), run.__name__


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 2)])
def test_mean_tangent_bits(dim):
    x, t = _data()
    for keepdim in (False, True):
        def f(F, a):
            return a.mean() if dim is None else a.mean(dim, keepdim=keepdim)
        for run in (_fwad, _jvp):
            assert run(ember, f, x, t).tobytes() == run(torch, f, x, t).tobytes()
