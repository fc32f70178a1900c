"""Differential tests against PyTorch from the randomized optimizer fuzzing (T5): fused
kernels on float64 and on complex parameters, Adagrad's complex accumulator, SparseAdam with
a tensor lr, ASGD resumed with a tensor lr, LBFGS with an added group."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _run(L, name, arrays, grads, dtype, **kw):
    ps = [L.tensor(a, dtype=getattr(L, dtype), requires_grad=True) for a in arrays]
    opt = getattr(L.optim, name)(ps, **kw)
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = L.tensor(g, dtype=getattr(L, dtype))
        opt.step()
    state = [{k: np.asarray(v.detach().numpy()) for k, v in sorted(opt.state[p].items())}
             for p in ps]
    return [p.detach().numpy() for p in ps], state


def _same(t, e):
    (tp, ts), (ep, es) = t, e
    for a, b in zip(tp, ep):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    for a, b in zip(ts, es):
        assert list(a) == list(b)
        for k in a:
            assert a[k].dtype == b[k].dtype, k
            assert np.array_equal(a[k], b[k]), k


FUSED = [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.001, betas=(0.3, 0.999), maximize=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
]


@pytest.mark.parametrize("name,kw", FUSED)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fused_bits(name, kw, dtype):
    """``fused=True`` rounds as PyTorch's fused CPU kernels, float64 included (fused
    multiply-adds in the vector body, the last ``n % 4`` values as its scalar code)."""
    rng = np.random.default_rng(len(name) + len(kw))
    for n in (3, 4, 9, 21):
        arrays = [rng.standard_normal(n)]
        grads = [[rng.standard_normal(n)] for _ in range(3)]
        _same(_run(torch, name, arrays, grads, dtype, fused=True, **kw),
              _run(ember, name, arrays, grads, dtype, fused=True, **kw))


def _fused_outcome(L, name, order, **kw):
    a = L.tensor([1.5, -0.25, 2.0], requires_grad=True)
    c = L.tensor([0.5 - 1j, 1 + 0.5j, -2j], dtype=L.complex64, requires_grad=True)
    ps = [c, a] if order == "complex first" else [a, c]
    opt = getattr(L.optim, name)(ps, lr=0.1, fused=True, **kw)
    for p in ps:
        p.grad = L.ones_like(p)
    try:
        opt.step()
        out = "ok"
    except Exception as e:  # noqa: BLE001
        out = (type(e).__name__, str(e))
    return out, [p.detach().numpy().tolist() for p in ps]


@pytest.mark.parametrize("name,kw", [("SGD", {"momentum": 0.9}), ("Adam", {}), ("AdamW", {}),
                                     ("Adagrad", {})])
@pytest.mark.parametrize("order", ["complex first", "complex last"])
def test_fused_complex_params_refused(name, kw, order):
    """A complex parameter in a fused group: PyTorch's error (its dtype check, or the fused
    kernel's own), and no parameter of the group moved."""
    t = _fused_outcome(torch, name, order, **kw)
    e = _fused_outcome(ember, name, order, **kw)
    assert t[0] != "ok"
    assert e == t


@pytest.mark.parametrize("name,message", [
    ("Adagrad", "`fused` does not support sparse grad or complex param"),
    ("SGD", "`_fused_sgd` does not support sparse gradients")])
def test_fused_sparse_grad_refused(name, message):
    out = []
    for L in (torch, ember):
        q, p = L.nn.Parameter(L.ones(3)), L.nn.Parameter(L.ones(4, 2))
        opt = getattr(L.optim, name)([q, p], lr=0.1, fused=True)
        q.grad = L.ones(3)
        p.grad = L.tensor([[0.0, 0.0], [1.0, 2.0], [0.0, 0.0], [0.0, 0.0]]).to_sparse()
        with pytest.raises(RuntimeError) as info:
            opt.step()
        out.append((str(info.value), q.detach().numpy().tolist()))
    assert out[0] == out[1] == (message, [1.0] * 3)


@pytest.mark.parametrize("foreach", [None, True])
@pytest.mark.parametrize("init", [0.0, 0.1])
def test_adagrad_complex_accumulator_start(foreach, init):
    """PyTorch fills a complex parameter's accumulator with ``init + init*1j``."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(5) + 1j * rng.standard_normal(5)]
    grads = [[rng.standard_normal(5) + 1j * rng.standard_normal(5)] for _ in range(3)]
    kw = dict(lr=0.01, lr_decay=1e-3, initial_accumulator_value=init, foreach=foreach)
    _same(_run(torch, "Adagrad", arrays, grads, "complex64", **kw),
          _run(ember, "Adagrad", arrays, grads, "complex64", **kw))
    for L in (torch, ember):  # (the state as made, before any step)
        p = L.nn.Parameter(L.zeros(2, dtype=L.complex64))
        s = L.optim.Adagrad([p], initial_accumulator_value=0.25).state[p]["sum"]
        assert s.numpy().tolist() == [0.25 + 0.25j] * 2


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("lr_dtype", [None, "float32", "float64"])
def test_sparse_adam_bits(dtype, lr_dtype):
    """SparseAdam: a tensor lr rounds the step size in its own dtype; float32 moments take
    PyTorch's (MKL's) sqrt."""
    rng = np.random.default_rng(7)
    a = rng.standard_normal((5, 3))
    grads = []
    for _ in range(4):
        g = rng.standard_normal((5, 3))
        g[rng.integers(0, 5, size=2)] = 0
        grads.append(g)
    out = []
    for L in (torch, ember):
        lr = 0.01 if lr_dtype is None else L.tensor(0.01, dtype=getattr(L, lr_dtype))
        p = L.tensor(a, dtype=getattr(L, dtype), requires_grad=True)
        opt = L.optim.SparseAdam([p], lr=lr, betas=(0.8, 0.999))
        for g in grads:
            p.grad = L.tensor(g, dtype=getattr(L, dtype)).to_sparse(1)
            opt.step()
        out.append((p.detach().numpy(), opt.state[p]["exp_avg_sq"].numpy()))
    assert np.array_equal(out[0][0], out[1][0])
    assert np.array_equal(out[0][1], out[1][1])


def test_asgd_tensor_lr_resumed_in_float64():
    """ASGD with a tensor lr: the new eta is a tensor of lr's dtype, so a state loaded into
    float64 parameters keeps eta's float64 bits (a float lr's are float32-rounded)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal(3)
    grads = rng.standard_normal((8, 3))

    def run(L, sd=None, start=0):
        p = L.tensor(a, dtype=L.float64, requires_grad=True)
        opt = L.optim.ASGD([p], lr=L.tensor(0.001, dtype=L.float64), t0=1e6, alpha=0.5,
                           weight_decay=0.01)
        if sd is not None:
            opt.load_state_dict(sd)
        for g in grads[start:start + 4]:
            p.grad = L.tensor(g, dtype=L.float64)
            opt.step()
        st = opt.state[p]
        return opt.state_dict(), p.detach().numpy(), st["eta"].dtype, st["eta"].item()

    sd, *_ = run(torch)
    sd_e = {"state": {0: {k: ember.tensor(v.numpy()) for k, v in sd["state"][0].items()}},
            "param_groups": [dict(sd["param_groups"][0],
                                  lr=ember.tensor(sd["param_groups"][0]["lr"].numpy()))]}
    _, pt, dt, eta_t = run(torch, sd, 4)
    _, pe, de, eta_e = run(ember, sd_e, 4)
    assert str(dt) == str(de) == "torch.float64"
    assert eta_t == eta_e
    assert np.array_equal(pt, pe)


def test_lbfgs_step_with_added_group():
    out = []
    for L in (torch, ember):
        a, b = L.nn.Parameter(L.ones(2)), L.nn.Parameter(L.ones(3))
        opt = L.optim.LBFGS([a], lr=0.5)
        opt.add_param_group({"params": [b]})

        def closure():
            opt.zero_grad()
            loss = (a ** 2).sum() + (b ** 2).sum()
            loss.backward()
            return loss
        with pytest.raises(AssertionError) as info:
            opt.step(closure)
        out.append(str(info.value))
    assert out[0] == out[1] == "Expected exactly one param_group, but got 2"


@pytest.mark.parametrize("name,kw", [FUSED[2], FUSED[4], FUSED[5],
                                     ("Adagrad", dict(lr=0.1, eps=1e-3, weight_decay=0.01))])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_fused_reduced_precision_bits(name, kw, dtype):
    """float16/bfloat16 through the fused kernels: float32 arithmetic, each result stored
    rounded once (Adagrad's vector body takes its constants rounded to the dtype first)."""
    rng = np.random.default_rng(11)
    for n in (5, 21, 37):
        a = rng.standard_normal(n)
        grads = rng.standard_normal((3, n))
        out = []
        for L in (torch, ember):
            p = L.tensor(a, dtype=getattr(L, dtype), requires_grad=True)
            opt = getattr(L.optim, name)([p], fused=True, **kw)
            for g in grads:
                p.grad = L.tensor(g, dtype=getattr(L, dtype))
                opt.step()
            out.append([p.detach().float().numpy()] + [
                v.float().numpy() for k, v in sorted(opt.state[p].items()) if k != "step"])
        for x, y in zip(*out):
            assert np.array_equal(x, y)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_group_tensor_lr_with_foreach(name):
    """A group's own tensor lr with ``foreach=True``: PyTorch's RuntimeError at the step,
    after the earlier groups' updates (and the first parameter's new state)."""
    out = []
    for L in (torch, ember):
        a, b = L.nn.Parameter(L.ones(2)), L.nn.Parameter(L.ones(3))
        opt = getattr(L.optim, name)([{"params": [a]}, {"params": [b], "lr": L.tensor(0.01)}],
                                     lr=0.1, foreach=True, amsgrad=True)
        a.grad, b.grad = L.ones(2), L.ones(3)
        with pytest.raises(RuntimeError) as info:
            opt.step()
        out.append((str(info.value), a.detach().numpy().tolist(), sorted(opt.state[b]),
                    len(opt.state)))
    assert out[0] == out[1]


def test_muon_tall_parameter_bits():
    """Muon's update of a tall matrix comes back transposed: its ``add_(alpha=)`` is still one
    fused multiply-add per element, as PyTorch's kernel."""
    rng = np.random.default_rng(0)
    for _ in range(6):
        a = rng.standard_normal((5, 3)).astype(np.float32)
        grads = rng.standard_normal((2, 5, 3)).astype(np.float32)
        out = []
        for L in (torch, ember):
            p = L.nn.Parameter(L.from_numpy(a.copy()))
            opt = L.optim.Muon([p], lr=0.02, weight_decay=0.1, ns_steps=3)
            for g in grads:
                p.grad = L.from_numpy(g.copy())
                opt.step()
            out.append(p.detach().numpy())
        assert np.array_equal(*out)


@pytest.mark.parametrize("foreach", [False, True])
def test_adafactor_foreach_update_bits(foreach):
    """Adafactor's multi-tensor update scales the update and then adds it (two roundings);
    the single-tensor one adds with ``alpha=`` (one)."""
    rng = np.random.default_rng(5)
    shapes = [(2, 2), (), (4,), (2, 3)]
    for _ in range(4):
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(4)]
        _same(_run(torch, "Adafactor", arrays, grads, "float32", lr=0.01, foreach=foreach),
              _run(ember, "Adafactor", arrays, grads, "float32", lr=0.01, foreach=foreach))


def test_adafactor_tensor_lr_decays_0d_param_in_its_dtype():
    """A float64 tensor lr's decay factor is a 0-d float64 tensor: a 0-d float32 parameter
    is multiplied in float64 (0-d tensors promote each other), as in PyTorch."""
    out = []
    for L in (torch, ember):
        p = L.nn.Parameter(L.tensor(-0.8693, dtype=L.float32))
        opt = L.optim.Adafactor([p], lr=L.tensor(0.01, dtype=L.float64), weight_decay=0.01)
        for g in (0.3, -1.2, 0.7):
            p.grad = L.tensor(g, dtype=L.float32)
            opt.step()
        out.append(p.item())
    assert out[0] == out[1]


@pytest.mark.parametrize("name,kw", [("Adam", dict(lr=0.01, weight_decay=0.01, amsgrad=True)),
                                     ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
                                     ("NAdam", dict(weight_decay=0.01))])
@pytest.mark.parametrize("mode", ["param transposed", "grad transposed"])
def test_non_contiguous_params_and_grads(name, kw, mode):
    """A transposed parameter (its state is transposed too) or gradient: PyTorch's kernels
    still fuse ``add(alpha=)`` and ``lerp_``, so ember's fallbacks must too."""
    rng = np.random.default_rng(2)
    for m, n in ((3, 5), (4, 4), (6, 2)):
        a = rng.standard_normal((n, m)).astype(np.float32)
        grads = rng.standard_normal((3, n, m)).astype(np.float32)
        out = []
        for L in (torch, ember):
            base = L.from_numpy(a.copy())
            p = L.nn.Parameter(base.t() if mode == "param transposed" else base.t().contiguous())
            opt = getattr(L.optim, name)([p], **kw)
            for g in grads:
                G = L.from_numpy(g.copy()).t()
                p.grad = G if mode == "grad transposed" else G.contiguous()
                opt.step()
            out.append([p.detach().numpy(), p.stride()] + [
                v.numpy() for k, v in sorted(opt.state[p].items()) if k != "step"])
        assert out[0][1] == out[1][1]
        for x, y in zip(out[0][:1] + out[0][2:], out[1][:1] + out[1][2:]):
            assert np.array_equal(x, y)


@pytest.mark.parametrize("sa,sb", [((5, 4), (4,)), ((4,), (5, 4)), ((1, 4), (5, 1)),
                                   ((5, 4), "t"), ((), (3,))])
def test_add_alpha_fused_on_broadcast_and_strided(sa, sb):
    """``torch.add(a, b, alpha=)``: one rounding (PyTorch's kernel is a fused multiply-add)
    for broadcast and transposed operands too."""
    rng = np.random.default_rng(4)
    for _ in range(20):
        a = rng.standard_normal(sa).astype(np.float32)
        b = rng.standard_normal(sa[::-1] if sb == "t" else sb).astype(np.float32)
        res = []
        for L in (torch, ember):
            x, y = L.from_numpy(a.copy()), L.from_numpy(b.copy())
            y = y.t() if sb == "t" else y
            res.append((L.add(x, y, alpha=0.0123).numpy(), L.sub(y, x, alpha=0.3).numpy()))
        assert np.array_equal(res[0][0], res[1][0])
        assert np.array_equal(res[0][1], res[1][1])
