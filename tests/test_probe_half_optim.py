"""The optimizers on float16/bfloat16 parameters against PyTorch, bit for bit: the
multi-tensor (``foreach=True``) updates, whose in-place ``_foreach_mul_`` rounds its scalar to
the half type first; RAdam's single-tensor step sizes in float32; ASGD's half-type eta and
mu; Adafactor's multi-tensor scaling; fused Adagrad's decayed learning rate (a fused
multiply-add in its denominator); a NumPy or 0-d tensor ``alpha`` and a float32 0-d
``addcdiv`` divisor beside half tensors."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _bits(t):
    mod = torch if isinstance(t, torch.Tensor) else ember
    t = t.detach().contiguous().reshape(-1)
    if t.element_size() == 2:
        return t.view(mod.int16).numpy().copy()
    return t.numpy().copy()


def _steps(mod, name, kw, dtypes, shapes, steps, late=False):
    """``steps`` updates with seeded gradients; the parameters' bits after each step."""
    rng = np.random.RandomState(0)
    ps = [mod.tensor(np.asarray(rng.randn(*s), np.float32)).to(getattr(mod, d))
          .requires_grad_() for s, d in zip(shapes, dtypes)]
    kw = dict(kw)
    if kw.pop("tensor_lr", False):
        kw["lr"] = mod.tensor(kw["lr"])
    opt = getattr(mod.optim, name)(ps, **kw)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(steps):
            for j, p in enumerate(ps):
                g = mod.tensor(np.asarray(rng.randn(*p.shape), np.float32)).to(p.dtype)
                p.grad = None if late and j == 0 and i < 2 else g
            opt.step()
            out.append([_bits(p) for p in ps])
    return out, opt, ps


def _check(name, kw, dtypes=("bfloat16", "float16", "float32"),
           shapes=((37,), (5, 7), ()), steps=25, late=False):
    e, eo, eps = _steps(ember, name, kw, dtypes, shapes, steps, late)
    t, to, tps = _steps(torch, name, kw, dtypes, shapes, steps, late)
    for i, (a, b) in enumerate(zip(e, t)):
        for j, (x, y) in enumerate(zip(a, b)):
            assert np.array_equal(x, y), f"{name} {kw}: step {i + 1}, parameter {j} differs"
    for ep, tp in zip(eps, tps):  # the state's dtypes too
        es, ts = eo.state[ep], to.state[tp]
        assert sorted(es) == sorted(ts)
        for k in ts:
            if isinstance(ts[k], torch.Tensor):
                assert str(es[k].dtype) == str(ts[k].dtype), k


FOREACH = [
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.5, maximize=True)),
    ("Adam", dict(lr=1e-2, amsgrad=True)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1, maximize=True)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.3, betas=(0.3, 0.6))),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("ASGD", dict(lr=0.01, t0=5, weight_decay=0.1)),
    ("Rprop", dict(lr=0.01, maximize=True)),
    ("Adafactor", dict(lr=0.01, weight_decay=0.1)),
]


@pytest.mark.parametrize("name,kw", FOREACH, ids=[f"{n}-{i}" for i, (n, _) in
                                                  enumerate(FOREACH)])
def test_foreach_half_steps(name, kw):
    _check(name, dict(kw, foreach=True))


def test_single_tensor_radam_half():
    # ``exp_avg / bias_correction1`` and the rectification factor: float32 scalars
    _check("RAdam", dict(lr=0.01), dtypes=("float16", "bfloat16", "float32"), steps=30)
    _check("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, foreach=False))


def test_asgd_foreach_alpha_float32():
    # eta's ``(1 + lambd * lr * step) ** alpha`` as PyTorch's 0-d tensor power
    _check("ASGD", dict(lr=0.01, lambd=0.01, alpha=0.5, t0=3, foreach=True),
           dtypes=("float32", "float32"), shapes=((300,), (4, 33)), steps=12)


def test_sgd_foreach_late_buffers():
    # a parameter without a buffer yet: that dtype's buffers scale one by one
    _check("SGD", dict(lr=0.1, momentum=0.9, foreach=True), late=True, steps=8)


@pytest.mark.parametrize("name,kw", [
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.01)),
])
def test_foreach_tensor_lr_half(name, kw):
    # a tensor lr's factors are tensors to ``_foreach_mul_``: not rounded to the half type
    _check(name, dict(kw, foreach=True, tensor_lr=True), steps=12)


def test_adafactor_tensor_lr_half():
    _check("Adafactor", dict(lr=0.01, tensor_lr=True, foreach=False), steps=12)


@pytest.mark.parametrize("dtype", ["float64", "float32", "bfloat16"])
def test_fused_adagrad_lr_decay(dtype):
    _check("Adagrad", dict(lr=0.1, lr_decay=0.1, fused=True), dtypes=(dtype,),
           shapes=((300,),), steps=16)


@pytest.mark.parametrize("name,kw", [
    ("Adam", dict(lr=1e-3, amsgrad=True, maximize=True, weight_decay=0.1)),
    ("AdamW", dict(lr=3e-3, betas=(0.3, 0.6))),
    ("Adagrad", dict(lr=0.1, maximize=True, weight_decay=0.1, lr_decay=0.01)),
])
def test_fused_half_and_float32(name, kw):
    _check(name, dict(kw, fused=True), dtypes=("bfloat16",), shapes=((300,),), steps=12)
    _check(name, dict(kw, fused=True), dtypes=("float16", "float32"),
           shapes=((4, 33), (17,)), steps=12)


@pytest.mark.parametrize("dt", ["bfloat16", "float16"])
def test_alpha_numpy_and_tensor(dt):
    rng = np.random.RandomState(1)
    a, b = (np.asarray(rng.randn(100), np.float32) for _ in range(2))
    res = []
    for mod in (ember, torch):
        x, y = (mod.tensor(v).to(getattr(mod, dt)) for v in (a, b))
        res.append([_bits(x.add(y, alpha=mod.tensor(-0.0123456))),
                    _bits(x.sub(y, alpha=mod.tensor(0.3))),
                    _bits(x.clone().add_(y, alpha=np.float32(-0.0123456)))])
    for u, v in zip(*res):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("dt", ["bfloat16", "float16"])
def test_addcdiv_float32_scalar_tensor(dt):
    rng = np.random.RandomState(2)
    a, b = (np.asarray(rng.randn(100), np.float32) for _ in range(2))
    res = []
    for mod in (ember, torch):
        x, y = (mod.tensor(v).to(getattr(mod, dt)) for v in (a, b))
        res.append([_bits(x.clone().addcdiv_(y, mod.tensor(0.3), value=-1)),
                    _bits(mod.addcdiv(x, y, mod.tensor(0.7), value=0.5)),
                    _bits(x.clone().addcmul_(y, mod.tensor(0.3), value=-1))])
    for u, v in zip(*res):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adamax"])
@pytest.mark.parametrize("dtype,beta_dtype", [
    ("float32", "float32"), ("bfloat16", "float32"), ("float16", "float32"),
    ("bfloat16", "float64"), ("float64", "float64"), ("float64", "float32")])
def test_tensor_betas(name, dtype, beta_dtype):
    # 0-d tensor betas: the step sizes in the betas' dtype, as PyTorch's 0-d arithmetic (a
    # half parameter's lerp weight ``1 - beta1`` cast to its dtype)
    res = []
    for mod in (ember, torch):
        rng = np.random.RandomState(0)
        p = mod.tensor(np.asarray(rng.randn(40), np.float32)).to(getattr(mod, dtype))
        p.requires_grad_()
        bt = getattr(mod, beta_dtype)
        opt = getattr(mod.optim, name)([p], lr=0.01, weight_decay=0.1, betas=(
            mod.tensor(0.9, dtype=bt), mod.tensor(0.99, dtype=bt)))
        out = []
        for _ in range(10):
            p.grad = mod.tensor(np.asarray(rng.randn(40), np.float32)).to(p.dtype)
            opt.step()
            out.append(_bits(p))
        res.append(out)
    for i, (a, b) in enumerate(zip(*res)):
        assert np.array_equal(a, b), f"step {i + 1}"


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adagrad"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_grad_scaler_fused(name, dtype):
    # a fused optimizer takes the scale into its kernel: float16 gradients are no error
    res = []
    for mod in (ember, torch):
        mod.manual_seed(0)
        lin = mod.nn.Linear(8, 4).to(getattr(mod, dtype))
        opt = getattr(mod.optim, name)(lin.parameters(), lr=0.01, fused=True)
        scaler = mod.amp.GradScaler("cpu", init_scale=2.0 ** 10)
        rng = np.random.RandomState(0)
        out = []
        for i in range(5):
            x = mod.tensor(rng.randn(16, 8).astype(np.float32)).to(lin.weight.dtype)
            if i == 2:
                x[0, 0] = float("inf")
            loss = lin(x).float().pow(2).mean()
            opt.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            out += [_bits(lin.weight), _bits(lin.bias), _bits(lin.weight.grad)]
        res.append((out, scaler.get_scale()))
    assert res[0][1] == res[1][1]
    for i, (a, b) in enumerate(zip(res[0][0], res[1][0])):
        assert np.array_equal(a, b), i
