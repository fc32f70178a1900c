"""Output memory layouts (strides, contiguity) of ops on inputs of many layouts (channels-last,
permuted, transposed, a 1 x C x H x W view of an H x W x C array), against PyTorch 2.13."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _inputs(lib):
    """The same values in several layouts (built from one NumPy array: no RNG involved)."""
    base = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5) * 0.37 % 5 - 2.5
    x = lib.tensor(base)
    hwc = lib.tensor(np.ascontiguousarray(base[0].transpose(1, 2, 0))).permute(2, 0, 1)
    return {
        "cl": x.contiguous(memory_format=lib.channels_last),
        "perm": lib.tensor(np.ascontiguousarray(base.transpose(0, 3, 2, 1))).permute(0, 3, 2, 1),
        "transp": lib.tensor(np.ascontiguousarray(base.transpose(0, 1, 3, 2))).transpose(2, 3),
        "hwc": hwc.unsqueeze(0),
        "cl1": x[:1].contiguous(memory_format=lib.channels_last),
        "p3": lib.tensor(np.ascontiguousarray(base[0].transpose(2, 0, 1))).permute(1, 2, 0),
    }


def _ops(lib):
    F = lib.nn.functional
    return {
        "sum_k1": lambda x: x.sum(1, keepdim=True),
        "sum_klast": lambda x: x.sum(-1, keepdim=True),
        "mean_k": lambda x: x.mean((-1, -2), keepdim=True),
        "amax_k": lambda x: x.amax(1, keepdim=True),
        "amin_last": lambda x: x.amin(-1),
        "max_k": lambda x: x.max(1, keepdim=True)[0],
        "var_k": lambda x: x.var(1, keepdim=True),
        "std_k": lambda x: x.std(1, keepdim=True),
        "norm_k": lambda x: x.norm(dim=1, keepdim=True),
        "prod_k": lambda x: x.prod(1, keepdim=True),
        "lse_k": lambda x: x.logsumexp(1, keepdim=True),
        "all_k": lambda x: (x > 0).all(1, keepdim=True),
        "any_last": lambda x: (x > 0).any(-1),
        "cnz": lambda x: lib.count_nonzero(x, -1),
        "softmax": lambda x: x.softmax(1),
        "log_softmax": lambda x: F.log_softmax(x, -1),
        "cumsum": lambda x: x.cumsum(1),
        "roll_flat": lambda x: x.roll(1),
        "roll_dim": lambda x: x.roll(1, 1),
        "masked_fill": lambda x: x.masked_fill(x > 0, 1.0),
        "tril": lambda x: x.tril(),
        "repeat": lambda x: x.repeat(*([1] * x.ndim)),
        "index_select": lambda x: x.index_select(1, lib.tensor([0, 2])),
        "adv_index": lambda x: x[:, [0, 2]],
        "layer_norm": lambda x: F.layer_norm(x, x.shape[-1:]),
        "batch_norm": lambda x: F.batch_norm(x, None, None, training=True),
        "group_norm": lambda x: F.group_norm(x, 1),
        "grid_sample": lambda x: F.grid_sample(
            x, lib.linspace(-1, 1, x.shape[0] * 18).reshape(x.shape[0], 3, 3, 2),
            align_corners=False) if x.ndim == 4 else x,
        "adaptive_avg1": lambda x: F.adaptive_avg_pool2d(x, 1),
        "cat0": lambda x: lib.cat([x, x], 0),
        "cat1": lambda x: lib.cat([x, x], 1),
        "stack0": lambda x: lib.stack([x, x]),
        "stack1": lambda x: lib.stack([x, x], 1),
        "stack2": lambda x: lib.stack([x, x], 2),
        "stack_last": lambda x: lib.stack([x, x], -1),
        "relu": lambda x: F.relu(x),
        "add": lambda x: x + 1,
        "gather": lambda x: x.gather(1, lib.zeros_like(x, dtype=lib.long)),
        "masked_scatter": lambda x: x.masked_scatter(x > 0, x * 2),
        "scatter_add": lambda x: x.scatter_add(1, lib.zeros_like(x, dtype=lib.long), x),
        "scatter_value": lambda x: x.scatter(1, lib.zeros_like(x, dtype=lib.long), 1.0),
        "scatter_reduce": lambda x: x.scatter_reduce(1, lib.zeros_like(x, dtype=lib.long), x,
                                                     "amax"),
        "index_add": lambda x: x.index_add(0, lib.tensor([0]), x[:1]),
        "logsigmoid": lambda x: F.logsigmoid(x),
        "rms_norm": lambda x: F.rms_norm(x, x.shape[-1:]),
        "rrelu_eval": lambda x: F.rrelu(x, training=False),
        "renorm": lambda x: x.renorm(2, 0, 1.0),
        "complex": lambda x: lib.view_as_real(lib.complex(x, x)),
        "i0": lambda x: x.i0(),
        "sinc": lambda x: x.sinc(),
        "logit": lambda x: x.sigmoid().logit(),
        "max_pool_idx": lambda x: (F.max_pool2d if x.ndim == 4 else F.max_pool1d)(
            x, 2, return_indices=True)[1],
        "max_pool1d": lambda x: F.max_pool1d(x, 2) if x.ndim == 3 else x,
        "glu": lambda x: F.glu(x, 1 if x.shape[1] % 2 == 0 else -1) if x.shape[-1] % 2 == 0 else x,
        "gelu": lambda x: F.gelu(x),
        "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
        "silu": lambda x: F.silu(x),
    }


OPS = list(_ops(torch))
INPUTS = list(_inputs(torch))


@pytest.mark.parametrize("inp", INPUTS)
def test_layouts(inp):
    t_in, e_in = _inputs(torch)[inp], _inputs(ember)[inp]
    t_ops, e_ops = _ops(torch), _ops(ember)
    bad = []
    for name in OPS:
        t, e = t_ops[name](t_in), e_ops[name](e_in)
        if (t.stride(), t.is_contiguous()) != (e.stride(), e.is_contiguous()) or \
                tuple(t.shape) != tuple(e.shape):
            bad.append((name, t.stride(), e.stride()))
        np.testing.assert_allclose(e.double().numpy(), t.double().numpy(), rtol=1e-5,
                                   atol=1e-5, err_msg=name)
    assert not bad


def test_adaptive_avg_pool_channels_last_variants():
    for shape in ((2, 3, 4, 5), (1, 3, 4, 5), (2, 3, 1, 1), (2, 1, 4, 5)):
        outs = []
        for lib in (torch, ember):
            x = lib.ones(shape).contiguous(memory_format=lib.channels_last)
            outs.append((lib.nn.functional.adaptive_avg_pool2d(x, 1).stride(),
                         lib.nn.functional.adaptive_avg_pool2d(x[0], 1).stride()))
        assert outs[0] == outs[1], shape


def test_size1_dims_unary():
    def run(lib):
        F = lib.nn.functional
        b = lib.arange(36.).reshape(3, 4, 3) - 10
        xs = [b.permute(0, 2, 1).unsqueeze(1), lib.arange(60.).reshape(4, 5, 3).permute(2, 0, 1)
              .unsqueeze(0), b.reshape(3, 1, 3, 4)[:, :, ::2]]
        return [(F.gelu(x).stride(), F.silu(x).stride(), F.elu(x).stride(),
                 F.glu(x, -1).stride() if x.shape[-1] % 2 == 0 else None) for x in xs]
    assert run(ember) == run(torch)


def test_pool3d_channels_last_3d():
    def run(lib):
        F = lib.nn.functional
        x = lib.arange(384.).reshape(2, 3, 4, 4, 4).contiguous(memory_format=lib.channels_last_3d)
        v, i = F.max_pool3d(x, 2, return_indices=True)
        av, ai = F.adaptive_max_pool3d(x, 2, return_indices=True)
        outs = [v, i, av, ai, F.avg_pool3d(x, 2), F.adaptive_avg_pool3d(x, 2),
                F.adaptive_avg_pool3d(x, 1)]
        return [(o.stride(), o.double().sum().item()) for o in outs]
    assert run(ember) == run(torch)


def test_stack_cat_mixed_layouts():
    def run(lib):
        x = lib.arange(120.).reshape(2, 3, 4, 5)
        cl = x.contiguous(memory_format=lib.channels_last)
        c3 = lib.arange(720.).reshape(2, 3, 4, 5, 6).contiguous(
            memory_format=lib.channels_last_3d)
        res = [lib.cat([cl, x], 0), lib.cat([x, cl], 1), lib.stack([cl, x], 1),
               lib.stack([c3, c3], 1), lib.stack([c3[0], c3[0]]), lib.stack([cl[0], cl[0]])]
        res += [lib.cat([cl.unsqueeze(k)] * 2, k) for k in range(5)]
        return [(r.stride(), r.sum().item()) for r in res]
    assert run(ember) == run(torch)
