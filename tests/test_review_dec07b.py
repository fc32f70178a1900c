"""Review of the CPU autocast lists and the antialiased resize kernel against PyTorch: the
``out=`` variants of the listed ops are not on PyTorch's autocast lists (no casts, ``out``
filled in place), and ``_AaTapMap``'s tap loop stays bit for bit PyTorch's."""
import numpy as np
import pytest

import ember
from diff import measured_cpu

torch = pytest.importorskip("torch")


def _pair(fn):
    return fn(ember), fn(torch)


def _data(T, seed=0):
    rng = np.random.default_rng(seed)
    a = T.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    b = T.tensor(rng.standard_normal((3, 4)).astype(np.float32)).bfloat16()
    return a, b


@pytest.mark.parametrize("case", ["cat_bf16_out", "cat_f32_out", "stack_bf16_out",
                                  "prod_bf16_out", "prod_f32_out", "cat_none_out"])
def test_autocast_out_variants_not_cast(case):
    def run(T):
        a, b = _data(T)
        with T.autocast("cpu"):
            if case == "cat_bf16_out":
                o = T.zeros(6, 4, dtype=T.bfloat16)
                r = T.cat([a, b], out=o)
            elif case == "cat_f32_out":
                o = T.zeros(6, 4)
                r = T.cat([b, b], out=o)
            elif case == "stack_bf16_out":
                o = T.zeros(2, 3, 4, dtype=T.bfloat16)
                r = T.stack([a, b], out=o)
            elif case == "prod_bf16_out":
                o = T.zeros(3, dtype=T.bfloat16)
                r = T.prod(b, 1, out=o)
            elif case == "prod_f32_out":
                o = T.zeros(3)
                r = T.prod(b, 1, out=o)
            else:  # (an explicit ``out=None``: the listed op, cast as without it)
                o = None
                r = T.cat([a, b], out=None)
        return r is o if o is not None else None, str(r.dtype), r.float().numpy()

    (e_is, e_dt, e_val), (t_is, t_dt, t_val) = _pair(run)
    assert (e_is, e_dt) == (t_is, t_dt)
    np.testing.assert_array_equal(e_val, t_val)


def test_autocast_listed_ops_without_out():
    def run(T):
        a, b = _data(T)
        with T.autocast("cpu"):
            got = [T.cat([a, b]), T.cat([b, b]), T.stack((b, a)), b.prod(), T.prod(b, 1),
                   T.nn.functional.pad(b.view(1, 3, 4), (1, 1), mode="reflect"),
                   T.nn.functional.pad(b, (1, 1))]
            with T.autocast("cpu", enabled=False):
                got += [T.cat([a, b]), b.prod()]
        return [(str(t.dtype), t.float().numpy()) for t in got]

    for (ed, ev), (td, tv) in zip(*_pair(run)):
        assert ed == td
        np.testing.assert_array_equal(ev, tv)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("shape,size", [((2, 3, 37, 29), (16, 11)), ((1, 2, 13, 17), (40, 31)),
                                        ((1, 1, 30, 30), (1, 7)), ((1, 1, 100, 9), (3, 50))])
def test_antialiased_resize_bits(dtype, mode, shape, size):
    x = np.random.default_rng(1).random(shape).astype(dtype)

    def run(T):
        t = T.tensor(x)
        f = T.nn.functional.interpolate
        return [f(t, size=size, mode=mode, antialias=True).numpy(),
                f(t, scale_factor=0.37, mode=mode, antialias=True).numpy(),
                f(t, size=size, mode=mode, antialias=True, align_corners=True).numpy()]

    for e, t in zip(*_pair(run)):
        np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32"])
def test_nadam_half_type_steps(dtype):
    """NAdam's single-tensor ``exp_avg_sq / bias_correction2`` on a half type: the quotient in
    float32 with the scalar unrounded, rounded once (float32 unchanged)."""
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((6, 5)).astype(np.float32)
    grads = [rng.standard_normal((6, 5)).astype(np.float32) for _ in range(6)]

    def run(T):
        p = T.nn.Parameter(T.tensor(w0).to(getattr(T, dtype)))
        opt = T.optim.NAdam([p], lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)
        for g in grads:
            p.grad = T.tensor(g).to(p.dtype)
            opt.step()
        return p.detach().float().numpy()

    e, t = _pair(run)
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("layout", ["bthe", "split", "tbhe", "size1", "expand", "contig",
                                    "strided_e"])
def test_sdpa_output_laid_out_as_query(dtype, layout):
    """The CPU flash kernel's output is ``empty_like(query)``: heads split from a
    ``(B, T, H*E)`` projection give an output whose ``transpose(1, 2)`` views as ``(B, T, C)``
    (the math path's, for a query whose last dim is strided, is contiguous)."""
    B, T, H, E = 2, 5, 3, 4
    rng = np.random.default_rng(5)
    base = rng.standard_normal((B, T, 3 * H * E)).astype(np.float32)

    def run(T_):
        x = T_.tensor(base).to(getattr(T_, dtype))
        if layout == "bthe":
            q = x[..., :H * E].contiguous().view(B, T, H, E).transpose(1, 2)
        elif layout == "split":
            q = x.split(H * E, dim=2)[1].view(B, T, H, E).transpose(1, 2)
        elif layout == "tbhe":
            q = x[..., :H * E].reshape(T, B, H, E).permute(1, 2, 0, 3)
        elif layout == "size1":
            q = x[:1, :, :E].reshape(1, T, 1, E).transpose(1, 2)
        elif layout == "expand":
            q = x[:1, :, :E].reshape(1, 1, T, E).expand(B, H, T, E)
        elif layout == "contig":
            q = x[..., :H * E].reshape(B, H, T, E)
        else:
            q = x[..., :2 * H * E].reshape(B, H, T, 2 * E)[..., ::2]
        k = v = q.detach().clone().requires_grad_()
        q = q.detach().clone().requires_grad_() if layout == "contig" else q
        y = T_.nn.functional.scaled_dot_product_attention(q, k, v)
        y.float().sum().backward()
        merged = None
        try:
            merged = tuple(y.transpose(1, 2).view(B, T, -1).shape)
        except RuntimeError:
            pass
        return tuple(y.stride()), merged, y.detach().float().numpy(), tuple(k.grad.stride())

    (es, em, ev, eg), (ts, tm, tv, tg) = _pair(run)
    assert (es, em) == (ts, tm)
    if layout != "size1":  # (NOTE: the gradient's stride at a size-1 dim differs, left alone)
        assert eg == tg
    if measured_cpu():
        np.testing.assert_array_equal(ev, tv)
    else:  # (float32's products are MKL's: ember has their bits on the measured processor)
        np.testing.assert_allclose(ev, tv, rtol=1e-5, atol=1e-6)
