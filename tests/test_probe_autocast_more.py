"""CPU autocast and the half types against PyTorch: attention's half-type flash kernel
(values and gradients, bit for bit), the ops autocast runs in float32 or promotes, the
transformer's fused path under autocast, GradScaler's scale, half-type ``baddbmm``/``addbmm``
and ``xlog1py``, the dtype checks of ``tensordot``/``bilinear``/``vecdot``/``pdist``, and
the optimizers' half-type steps."""
import warnings

import numpy as np
import pytest

import ember
from diff import measured_cpu

torch = pytest.importorskip("torch")

LOW = ("bfloat16", "float16")


def _bits(t):
    mod = torch if isinstance(t, torch.Tensor) else ember
    return t.detach().contiguous().view(-1).view(mod.int16).numpy().copy()


def _same(e, t):
    assert str(e.dtype) == str(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    if e.dtype.is_floating_point and e.element_size() == 2:
        np.testing.assert_array_equal(_bits(e), _bits(t))
    else:
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


def _both(fn):
    return fn(ember), fn(torch)


def _inputs(T, shape, seed=0):
    rng = np.random.default_rng(seed)
    return [T.tensor(rng.standard_normal(shape).astype(np.float32)) for _ in range(3)]


# -- scaled_dot_product_attention's half-type flash kernel -------------------------------------

CASES = [((2, 3, 5, 8), {}), ((1, 2, 17, 16), {}), ((2, 4, 64, 32), {}),
         ((1, 2, 40, 8), {"is_causal": True}), ((2, 2, 33, 8), {"mask": "bool"}),
         ((2, 2, 33, 8), {"mask": "float"}), ((1, 1, 5, 8), {"scale": 0.3}),
         ((1, 2, 8, 8), {"mask": "dead"})]


def _sdpa(T, dt, shape, kw, backward):
    q, k, v = (x.to(getattr(T, dt)).requires_grad_() for x in _inputs(T, shape))
    kw = dict(kw)
    mask = kw.pop("mask", None)
    L = shape[2]
    rng = np.random.default_rng(1)
    if mask == "bool":
        kw["attn_mask"] = T.tensor(rng.random((L, L)) > 0.3)
    elif mask == "float":
        kw["attn_mask"] = T.tensor(rng.standard_normal((shape[0], 1, L, L)).astype(np.float32))
    elif mask == "dead":
        m = np.ones((L, L), bool)
        m[2] = False
        kw["attn_mask"] = T.tensor(m)
    out = T.nn.functional.scaled_dot_product_attention(q, k, v, **kw)
    if not backward:
        return [out]
    g = T.tensor(rng.standard_normal(out.shape).astype(np.float32)).to(out.dtype)
    out.backward(g)
    return [out, q.grad, k.grad, v.grad]


@pytest.mark.parametrize("dt", LOW)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_sdpa_half_flash_kernel_bits(dt, case):
    shape, kw = CASES[case]
    got, want = _both(lambda T: _sdpa(T, dt, shape, kw, backward=True))
    assert got[0].grad_fn.name() == want[0].grad_fn.name()
    for e, t in zip(got, want):
        # (bfloat16's values exact; a float32 sum's order now and then moves a float16 value
        # or a gradient by an ulp or so: a few in a thousand)
        assert str(e.dtype) == str(t.dtype)
        # (elsewhere than the measured processor, PyTorch's bfloat16 products may be
        # oneDNN's: AMX or AVX512-BF16, in another order)
        if e is got[0] and dt == "bfloat16" and measured_cpu():
            _same(e, t)
            continue
        a, b = e.detach().float().numpy(), t.detach().float().numpy()
        assert (a != b).mean() < 5e-3
        np.testing.assert_allclose(a, b, rtol=4e-3, atol=2e-3 * np.abs(b).max())


@pytest.mark.parametrize("dt", LOW)
def test_sdpa_under_autocast_casts_mask_and_runs_the_low_kernel(dt):
    def run(T):
        q, k, v = _inputs(T, (2, 2, 20, 16))
        m = T.tensor(np.random.default_rng(3).standard_normal((20, 20)).astype(np.float32))
        with T.autocast("cpu", dtype=getattr(T, dt)):
            a = T.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m)
            b = T.nn.functional.scaled_dot_product_attention(q[0], k[0], v[0])  # (math path)
        return a, b
    for e, t in zip(*_both(run)):
        _same(e, t)


@pytest.mark.parametrize("dt", LOW)
def test_transformer_fused_path_under_autocast(dt):
    def run(T):
        T.manual_seed(0)
        x = T.randn(2, 10, 16)
        layer = T.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True).eval()
        layer2 = T.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True,
                                              norm_first=True, activation="gelu").eval()
        with T.no_grad(), T.autocast("cpu", dtype=getattr(T, dt)):
            return layer(x), layer2(x)
    for e, t in zip(*_both(run)):
        _same(e, t)


def test_backends_mha_fastpath_switch():
    def run(T):
        seen = [T.backends.mha.get_fastpath_enabled()]
        T.backends.mha.set_fastpath_enabled(False)
        seen.append(T.backends.mha.get_fastpath_enabled())
        T.backends.mha.set_fastpath_enabled(True)
        return seen + [T.backends.mha.get_fastpath_enabled()]
    got, want = _both(run)
    assert got == want


# -- what autocast casts ------------------------------------------------------------------------

def _ops(T):
    x = T.tensor(np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32))
    sq = x[:, :4]
    spd = sq @ sq.t() + 4 * T.eye(4)
    vol = T.tensor(np.random.default_rng(1).standard_normal((1, 2, 4, 4, 4)).astype(np.float32))
    img = vol[:, :, 0]
    F = T.nn.functional
    return {
        "vecdot": lambda b: T.linalg.vecdot(x.to(b), x),
        "trace": lambda b: T.trace(sq.to(b)),
        "prod": lambda b: x.to(b).prod(1),
        "cdist": lambda b: T.cdist(x.to(b), x),
        "quantile": lambda b: T.quantile(x.to(b), 0.3),
        "inverse": lambda b: T.inverse(spd.to(b)),
        "linalg.inv": lambda b: T.linalg.inv(spd.to(b)),
        "pinverse": lambda b: T.pinverse(x.to(b)),
        "lstsq": lambda b: T.linalg.lstsq(spd.to(b), x[:, :2]).solution,
        "cholesky": lambda b: T.linalg.cholesky(spd.to(b)),
        "eigvalsh": lambda b: T.linalg.eigvalsh(spd.to(b)),
        "svd": lambda b: T.linalg.svd(spd.to(b))[1],
        "fft": lambda b: T.fft.rfft(x.to(b)).abs(),
        "avg_pool3d": lambda b: F.avg_pool3d(vol.to(b), 2),
        "max_pool3d": lambda b: F.max_pool3d(vol.to(b), 2),
        "max_pool3d indices": lambda b: F.max_pool3d(vol.to(b), 2, return_indices=True)[0],
        "adaptive_max_pool3d": lambda b: F.adaptive_max_pool3d(vol.to(b), 2),
        "reflect 1d": lambda b: F.pad(img[0].to(b), (1, 1), mode="reflect"),
        "reflect 2d": lambda b: F.pad(img.to(b), (1, 1, 1, 1), mode="reflect"),
        "reflect 3d": lambda b: F.pad(vol.to(b), (1, 1, 1, 1, 1, 1), mode="reflect"),
        "replicate": lambda b: F.pad(img.to(b), (1, 1, 1, 1), mode="replicate"),
        "constant": lambda b: F.pad(img.to(b), (1, 1)),
        "grid_sample": lambda b: F.grid_sample(img.to(b), T.zeros(1, 2, 2, 2),
                                               align_corners=False),
        "max_unpool2d": lambda b: F.max_unpool2d(*F.max_pool2d(img.to(b), 2,
                                                               return_indices=True), 2),
        "cat": lambda b: T.cat([x.to(b), x]),
        "cat low": lambda b: T.cat([x.to(b), x.to(b)]),
        "stack": lambda b: T.stack([x.to(b), x.double()]),
        "index_copy": lambda b: x.to(b).index_copy(0, T.tensor([1]), x[:1]),
        "Tensor.inverse": lambda b: spd.to(b).inverse(),
        "softmax": lambda b: x.to(b).softmax(-1),
    }


@pytest.mark.parametrize("dt", LOW)
def test_autocast_fp32_and_promote_lists(dt):
    def run(T):
        out = {}
        for name, fn in _ops(T).items():
            for b in ("float32", dt):
                try:
                    with T.autocast("cpu", dtype=getattr(T, dt)):
                        r = fn(getattr(T, b))
                    out[name, b] = (str(r.dtype), tuple(r.shape))
                except Exception as e:  # noqa: BLE001
                    out[name, b] = (type(e).__name__, str(e))
        return out
    got, want = _both(run)
    assert got == want


def test_autocast_promote_refuses_two_low_types():
    def run(T):
        x = T.ones(2, 2)
        with T.autocast("cpu", dtype=T.bfloat16):
            try:
                T.cat([x.half(), x.bfloat16()])
            except RuntimeError as e:
                return str(e)
    got, want = _both(run)
    assert got == want


def test_fp32_ops_keep_float32_inside_under_autocast():
    # (the composite ops on the float32 list run with autocast off inside: no low matmuls)
    def run(T):
        x = T.tensor(np.random.default_rng(4).standard_normal((4, 6)).astype(np.float32))
        with T.autocast("cpu"):
            return T.pinverse(x), T.linalg.lstsq(x[:, :4], x[:, 4:]).solution
    got, want = _both(run)
    for e, t in zip(got, want):
        assert str(e.dtype) == str(t.dtype)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-4, atol=1e-5)


# -- half-type ops --------------------------------------------------------------------------

@pytest.mark.parametrize("dt", LOW)
def test_half_baddbmm_addbmm_round_once(dt):
    def run(T):
        rng = np.random.default_rng(5)
        out = []
        for b, n, m, p in ((3, 4, 6, 5), (2, 16, 32, 16), (1, 3, 3, 3)):
            def t(*s):
                return T.tensor(rng.standard_normal(s).astype(np.float32)).to(getattr(T, dt))
            i, b1, b2, ib = t(n, p), t(b, n, m), t(b, m, p), t(b, n, p)
            out += [T.baddbmm(ib, b1, b2), T.baddbmm(i, b1, b2, beta=0.5, alpha=2),
                    T.addbmm(i, b1, b2), T.addbmm(i, b1, b2, beta=0.3, alpha=1.5)]
        return out
    for e, t in zip(*_both(run)):
        _same(e, t)


@pytest.mark.parametrize("dt", LOW)
def test_half_xlog1py_with_numbers(dt):
    vals = [0.0, 1.0, 0.5, 3.7, 1e-3, 100.0, float("inf"), 0.99, 2.0, 7.5, 0.25]

    def run(T):
        v = T.tensor(vals).to(getattr(T, dt))
        return [T.special.xlog1py(v, 2.5), T.special.xlog1py(0.3, v),
                T.special.xlog1py(v, v.flip(0)), T.xlogy(v, 2.5), v.abs().pow(1.7)]
    for e, t in zip(*_both(run)):
        _same(e, t)


def test_addcmul_with_a_half_self_and_float32_factors_is_fused():
    def run(T):
        x = T.tensor(np.random.default_rng(7).standard_normal((4, 6)).astype(np.float32))
        return [T.addcmul(x.bfloat16(), x, x), T.addcmul(x.half(), x, x.flip(0), value=0.3),
                T.addcmul(x, x.bfloat16(), x)]
    for e, t in zip(*_both(run)):
        assert str(e.dtype) == str(t.dtype)
        np.testing.assert_array_equal(e.numpy().view(np.int32), t.numpy().view(np.int32))


def test_dtype_checks_of_products():
    def run(T):
        x = T.ones(4, 6)
        out = []
        for fn in (lambda: T.tensordot(x.bfloat16(), x.t(), 1),
                   lambda: T.inner(x.double(), x),
                   lambda: T.inner(x[0].half(), x[0]),
                   lambda: T.nn.functional.bilinear(x.bfloat16(), x, T.ones(3, 6, 6)),
                   lambda: T.nn.functional.bilinear(x, x, T.ones(3, 6, 6), T.ones(3).double()),
                   lambda: T.linalg.vecdot(x.bfloat16(), x),
                   lambda: T.linalg.vecdot(x.long(), x.long()),
                   lambda: T.nn.functional.pdist(x.half()),
                   lambda: T.nn.functional.pdist(x[:1].bfloat16())):
            try:
                r = fn()
                out.append((str(r.dtype), tuple(r.shape)))
            except Exception as e:  # noqa: BLE001
                out.append((type(e).__name__, str(e)))
        return out
    got, want = _both(run)
    assert got == want


def test_grad_scaler_scale_promotes_like_a_0d_float32_tensor():
    def run(T):
        s = T.amp.GradScaler("cpu", init_scale=2.0 ** 16)
        out = []
        for t in (T.tensor(1.0, dtype=T.float16), T.ones(2, dtype=T.float16), T.tensor(3),
                  T.ones(2, dtype=T.bfloat16), T.tensor(2.0, dtype=T.float64)):
            r = s.scale(t)
            out.append((str(r.dtype), tuple(r.shape), r.float().tolist()))
        return out
    got, want = _both(run)
    assert got == want


# -- half-type optimizer steps ------------------------------------------------------------------

OPTS = {
    "sgd": lambda T, p: T.optim.SGD(p, lr=0.05),
    "sgd momentum": lambda T, p: T.optim.SGD(p, lr=0.05, momentum=0.9),
    "sgd wd": lambda T, p: T.optim.SGD(p, lr=0.05, momentum=0.5, weight_decay=0.01,
                                       dampening=0.1),
    "adam": lambda T, p: T.optim.Adam(p, lr=1e-2),
    "adamw": lambda T, p: T.optim.AdamW(p, lr=1e-2, eps=1e-4),
    "adagrad": lambda T, p: T.optim.Adagrad(p, lr=0.1, weight_decay=0.1, lr_decay=0.01),
    "rmsprop": lambda T, p: T.optim.RMSprop(p, lr=1e-3, momentum=0.5),
    "adadelta": lambda T, p: T.optim.Adadelta(p),
}


@pytest.mark.parametrize("dt", LOW)
@pytest.mark.parametrize("name", list(OPTS))
def test_half_optimizer_steps(dt, name):
    # 100 elements: PyTorch's vector loop and its scalar tail (add's alpha rounds twice there)
    def run(T):
        rng = np.random.default_rng(6)
        low = getattr(T, dt)
        p = T.tensor(rng.standard_normal(100).astype(np.float32)).to(low).requires_grad_()
        opt = OPTS[name](T, [p])
        out = []
        for _ in range(3):
            p.grad = T.tensor(rng.standard_normal(100).astype(np.float32)).to(low)
            opt.step()
            out.append(p.detach().clone())
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no NumPy warning leaks)
        got, want = _both(run)
    for e, t in zip(got, want):
        _same(e, t)


@pytest.mark.parametrize("dt", LOW)
def test_half_model_training_losses(dt):
    def run(T):
        T.manual_seed(0)
        model = T.nn.Sequential(T.nn.Linear(8, 16), T.nn.ReLU(), T.nn.Linear(16, 4))
        model = model.to(getattr(T, dt))
        opt = T.optim.Adam(model.parameters(), lr=1e-2)
        x = T.randn(32, 8).to(getattr(T, dt))
        y = T.randint(0, 4, (32,))
        losses = []
        for _ in range(4):
            opt.zero_grad()
            loss = T.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, want = _both(run)
    np.testing.assert_array_equal(got, want)  # (float16's NaN from step 2 on, as PyTorch's)
