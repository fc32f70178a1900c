"""Differential fuzzing of torch.nn.functional: the same calls on ember and on PyTorch (random
shapes, non-contiguous inputs, edge sizes) give the same bits in outputs and input gradients,
the same strides, or the same exception type and message."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _flat(r):
    if isinstance(r, (tuple, list)):
        return [y for x in r for y in _flat(x)]
    return [r]


def _run(lib, fn, arrays, seed=None, grad=True):
    """``fn(lib, *tensors)``: each output's dtype, shape, strides and bytes, then the input
    gradients' bytes for a fixed upstream gradient; or the exception's type and message."""
    if seed is not None:
        lib.manual_seed(seed)
    ts = [lib.from_numpy(a.copy()).requires_grad_(grad and a.dtype.kind == "f") for a in arrays]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs = _flat(fn(lib, *ts))
            res = [(str(o.dtype).split(".")[-1], tuple(o.shape), o.stride(),
                    o.detach().contiguous().numpy().tobytes()) if isinstance(o, lib.Tensor)
                   else o for o in outs]
            need = [o for o in outs if isinstance(o, lib.Tensor) and o.requires_grad]
            ins = [t for t in ts if t.requires_grad]
            if need and ins:
                rng = np.random.default_rng(1)
                ups = [lib.from_numpy(rng.standard_normal(tuple(o.shape))).to(o.dtype)
                       for o in need]
                gs = lib.autograd.grad(need, ins, ups, allow_unused=True)
                res += [None if g is None else g.numpy().tobytes() for g in gs]
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return type(e).__name__, str(e)
    return res


def same_bits(fn, *arrays, seed=None, grad=True):
    want = _run(torch, fn, arrays, seed, grad)
    got = _run(ember, fn, arrays, seed, grad)
    assert got == want


def _t(lib, x):
    """A non-contiguous view (column-major) of ``x``'s values."""
    return x.transpose(-1, -2).contiguous().transpose(-1, -2)


# -- pad: reflection and replication of negative amounts ---------------------------------

@pytest.mark.parametrize("shape,pads", [
    ((1, 1, 4), [-2, -2]), ((1, 1, 4), [-3, -2]), ((4, 4), [-3, -3]),
    ((1, 1, 4, 4), [-2, -2, -2, -2]), ((1, 1, 4, 4), [-2, -2, 0, 0]),
    ((1, 1, 4, 4), [-3, -2, -3, -2]), ((1, 1, 4, 4), [0, 0, -3, -2]),
    ((1, 4, 4), [0, 0, -3, -2]), ((1, 1, 3, 4, 4), [-2, -2, -2, -2, -2, -1]),
    ((1, 1, 3, 4, 4), [-2, -2, -2, -2, -2, -3]), ((1, 1, 3, 4, 4), [-2, -3, 0, 0, 0, 0]),
    ((1, 3, 4, 4), [-2, -4, 0, 0, -3, -3]), ((2, 1, 1), [2, -1, -2, 1]),
    ((1, 1, 2, 4), [-2, 3, -2, 0]), ((2, 2, 5, 2), [-1, -1, -2, 2])])
@pytest.mark.parametrize("mode", ["replicate", "reflect"])
def test_pad_negative_amounts_error_or_give_empty_as_pytorch(shape, pads, mode):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    same_bits(lambda T, x: T.nn.functional.pad(x, pads, mode=mode), x)


# -- interpolate: the area mode's empty outputs, the 1-d size message ----------------------

@pytest.mark.parametrize("shape,kw", [
    ((1, 1, 2), {"size": [0]}), ((1, 1, 2), {"size": [-1]}), ((1, 1, 0), {"size": [2]}),
    ((1, 1, 2, 2), {"size": [0, 3]}), ((1, 1, 2, 2), {"size": [-1, 2]}),
    ((1, 1, 2, 2, 2), {"size": [3, 3, 0]}), ((1, 1, 1, 6), {"scale_factor": 0.5}),
    ((2, 1, 4, 3), {"scale_factor": [0.7, 0.3], "recompute_scale_factor": True})])
def test_interpolate_area_allows_an_empty_output(shape, kw):
    x = np.ones(shape, np.float32)
    same_bits(lambda T, x: T.nn.functional.interpolate(x, mode="area", **kw), x, grad=False)
    # (its backward: PyTorch's adaptive pooling kernels refuse an empty gradient)
    same_bits(lambda T, x: T.nn.functional.interpolate(x, mode="area", **kw), x)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear"])
@pytest.mark.parametrize("size", [[0], [-2]])
def test_interpolate_1d_empty_size_message(mode, size):
    x = np.ones((1, 2, 3), np.float32)
    same_bits(lambda T, x: T.nn.functional.interpolate(x, size=size, mode=mode), x)


# -- adaptive pooling: empty outputs and inputs ------------------------------------------

@pytest.mark.parametrize("name,shape,size", [
    ("adaptive_avg_pool1d", (1, 1, 2), 0), ("adaptive_avg_pool1d", (1, 0, 2), 2),
    ("adaptive_avg_pool1d", (2, 0), 2), ("adaptive_avg_pool1d", (1, 1, 0), 2),
    ("adaptive_max_pool1d", (1, 0, 2), 2), ("adaptive_max_pool1d", (1, 1, 2), 0),
    ("adaptive_avg_pool2d", (1, 2, 2), (0, 1)), ("adaptive_max_pool2d", (1, 2, 2), (0, 1)),
    ("adaptive_avg_pool2d", (1, 1, 2, 2), (0, 0)), ("adaptive_max_pool3d", (1, 1, 2, 2, 2),
                                                    (0, 1, 1)),
    ("adaptive_avg_pool3d", (0, 1, 2, 2, 2), (1, 1, 0)), ("adaptive_avg_pool1d", (0, 1, 2), 0)])
def test_adaptive_pool_empty_output_backward_refused(name, shape, size):
    x = np.ones(shape, np.float32)
    same_bits(lambda T, x: getattr(T.nn.functional, name)(x, size), x, grad=False)
    same_bits(lambda T, x: getattr(T.nn.functional, name)(x, size), x)


# -- pointwise losses: the layout of the loss, so the order of its sum -------------------

@pytest.mark.parametrize("name", ["mse_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss",
                                  "binary_cross_entropy", "l1_loss"])
@pytest.mark.parametrize("layout", ["TC", "CT", "TT", "SC", "TS"])
def test_pointwise_loss_of_permuted_operands_sums_in_pytorchs_order(name, layout):
    rng = np.random.default_rng(len(name) + ord(layout[0]))
    a = rng.random((7, 12)).astype(np.float32)
    b = rng.random((7, 12)).astype(np.float32)
    if name == "soft_margin_loss":
        b = np.sign(b - 0.5).astype(np.float32)

    def view(T, x, k):
        return _t(T, x[:, :6]) if k == "T" else x[:, ::2] if k == "S" else x[:, :6]

    def run(T, a, b):
        x, y = view(T, a, layout[0]), view(T, b, layout[1])
        f = getattr(T.nn.functional, name)
        return [f(x, y.detach(), reduction=r) for r in ("none", "sum", "mean")]
    same_bits(run, a, b)


# -- batch_norm / instance_norm: Python-level checks, and the ops without them -------------

@pytest.mark.parametrize("case", range(11))
def test_batch_norm_momentum_and_eps_arguments(case):
    def run(T):
        x = T.arange(24.).view(2, 3, 4)
        rm, rv = T.zeros(3), T.ones(3)
        F = T.nn.functional
        return [lambda: F.batch_norm(x, rm, rv, training=True, momentum=None),
                lambda: F.batch_norm(x, rm, rv, training=False, momentum=None),
                lambda: F.batch_norm(x, None, None, training=True, momentum="a"),
                lambda: F.instance_norm(x, rm, rv, momentum=None),
                lambda: F.batch_norm(x, rm, rv, training=True, eps=0),
                lambda: F.batch_norm(x, rm, rv, training=False, eps=-1.0),
                lambda: F.batch_norm(x, rm, rv, training=True, eps=None),
                lambda: T.batch_norm(x, None, None, None, None, True, 0.1, 0.0, False),
                lambda: T.instance_norm(x[..., :1], None, None, None, None, True, 0.1, 0.0,
                                        False),
                lambda: T.native_batch_norm(x, None, None, None, None, True, 0.1, 0.0),
                lambda: T.native_batch_norm(x[:1, :, :1], None, None, None, None, True, 0.1,
                                            1e-5)[:2]][case]()
    same_bits(lambda T: run(T))


def test_aten_batch_norm_takes_a_batch_of_one():
    same_bits(lambda T, x: T.batch_norm(x, None, None, None, None, True, 0.1, 1e-5, False),
              np.array([[1.5, -2.0, 3.0]], np.float32))


# -- random functionals: the noise drawn in row-major order ----------------------------------

@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("shape", [(3, 4, 3), (2, 5)])
def test_gumbel_softmax_of_transposed_logits(hard, shape):
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    same_bits(lambda T, x: T.nn.functional.gumbel_softmax(_t(T, x), tau=0.7, hard=hard), x,
              seed=5)


@pytest.mark.parametrize("name", ["dropout", "dropout1d", "dropout2d", "alpha_dropout",
                                  "feature_alpha_dropout"])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_dropouts_of_transposed_input(name, shape):
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    same_bits(lambda T, x: getattr(T.nn.functional, name)(_t(T, x), 0.5, True), x, seed=3)


# -- randomized: the bit-exact functionals over random shapes and layouts -----------------

def _cases(seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(6):
        n, c, h, w = (int(v) for v in rng.integers(1, 5, 4))
        k = tuple(int(v) for v in rng.integers(1, 3, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        p = tuple(int(v) for v in rng.integers(0, 2, 2))
        s = tuple(int(v) for v in rng.integers(1, 3, 2))
        x = rng.standard_normal((n, c, h + 1, w + 1)).astype(np.float32)
        out.append((lambda T, x, k=k, d=d, p=p, s=s: T.nn.functional.unfold(_t(T, x), k, d, p, s),
                    x))
        r = int(rng.integers(1, 3))
        y = rng.standard_normal((n, c * r * r, h, w)).astype(np.float32)
        out.append((lambda T, y, r=r: T.nn.functional.pixel_shuffle(_t(T, y), r), y))
        pads = [int(v) for v in rng.integers(-1, 3, 4)]
        mode = str(rng.choice(["constant", "reflect", "replicate"]))
        out.append((lambda T, x, pads=pads, mode=mode: T.nn.functional.pad(_t(T, x), pads, mode),
                    x))
        size = [int(v) for v in rng.integers(1, 9, 2)]
        imode = str(rng.choice(["nearest", "nearest-exact", "bilinear", "area"]))
        out.append((lambda T, x, size=size, m=imode: T.nn.functional.interpolate(
            _t(T, x), size=size, mode=m), x))
        lab = rng.integers(0, c, (n,))
        out.append((lambda T, x, lab=lab: T.nn.functional.multi_margin_loss(
            x.flatten(1), T.from_numpy(lab)), x))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_random_functionals_bit_exact(seed):
    for fn, x in _cases(seed):
        same_bits(fn, x)


# -- argument checks ----------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_pad_of_bool_tensor_refused_by_the_kernels(mode, nd):
    same_bits(lambda T: T.nn.functional.pad(T.ones([1, 2] + [3] * nd, dtype=T.bool), [1, 1] * nd,
                                            mode=mode))


@pytest.mark.parametrize("sf", [[2.0, 2.0, 2.0], (2.0, 2.0, 2.0)])
def test_interpolate_scale_factor_length_message_shows_it_as_given(sf):
    same_bits(lambda T: T.nn.functional.interpolate(T.ones(1, 1, 5, 5), scale_factor=sf))


@pytest.mark.parametrize("dt", ["int64", "bool"])
@pytest.mark.parametrize("which", [0, 1])
def test_kl_div_refuses_integral_inputs(dt, which):
    def run(T):
        a, b = T.zeros(3, 4), T.ones(3, 4, dtype=getattr(T, dt))
        return T.nn.functional.kl_div(*((a, b) if which else (b, a)), reduction="sum")
    same_bits(run)


@pytest.mark.parametrize("name", ["adaptive_max_pool2d", "adaptive_avg_pool2d",
                                  "adaptive_max_pool3d", "adaptive_avg_pool3d",
                                  "adaptive_avg_pool1d", "adaptive_max_pool1d"])
@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (1, 2, 3, 4), (1, 1, 2, 3, 4)])
def test_adaptive_pool_output_size_checks_in_pytorchs_order(name, shape):
    for size in ((2, 2, 2), (2, 2), (None, 2), (2,), (1, 1, 1, 1)):
        same_bits(lambda T, x: getattr(T.nn.functional, name)(x, size),
                  np.ones(shape, np.float32), grad=False)


# -- grid_sample on volumes: PyTorch's 3-D kernel's rounding -------------------------------

@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_grid_sample_3d_bits(seed, dt):
    rng = np.random.default_rng(seed)
    for mode in ("bilinear", "nearest"):
        for pm in ("zeros", "border", "reflection"):
            n, c = (int(v) for v in rng.integers(1, 3, 2))
            x = rng.standard_normal([n, c] + [int(v) for v in rng.integers(1, 5, 3)]).astype(dt)
            g = (rng.standard_normal([n] + [int(v) for v in rng.integers(1, 4, 3)] + [3])
                 * 1.2).astype(dt)
            ac = bool(rng.random() < 0.5)
            same_bits(lambda T, x, g: T.nn.functional.grid_sample(
                _t(T, x), g, mode=mode, padding_mode=pm, align_corners=ac), x, g)


# -- bicubic resizing: PyTorch's kernels' rounding (float64 too), its gradient's order ---------

@pytest.mark.parametrize("seed", range(4))
def test_interpolate_bicubic_gradient_bits(seed):
    rng = np.random.default_rng(seed)
    for _ in range(4):
        dt = np.float64 if rng.random() < 0.3 else np.float32
        x = rng.standard_normal([int(v) for v in rng.integers(1, 3, 2)] +
                                [int(v) for v in rng.integers(1, 7, 2)]).astype(dt)
        if rng.random() < 0.5:
            kw = {"size": [int(v) for v in rng.integers(1, 9, 2)]}
        else:
            kw = {"scale_factor": [float(rng.choice([0.7, 1.5, 2.0, 2.5, 3.0])) for _ in "hw"]}
        ac = bool(rng.random() < 0.5)

        def run(T, x):
            return T.nn.functional.interpolate(_t(T, x), mode="bicubic", align_corners=ac, **kw)
        same_bits(run, x)


# -- group_norm of a strided 3-d input: made contiguous, as PyTorch does ---------------------

@pytest.mark.parametrize("shape,groups", [((3, 3, 2), 1), ((2, 4, 5), 2), ((1, 6, 3), 3),
                                          ((4, 2, 7), 2)])
def test_group_norm_of_transposed_3d_input(shape, groups):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(shape[1]).astype(np.float32)
    b = rng.standard_normal(shape[1]).astype(np.float32)
    same_bits(lambda T, x, w, b: T.nn.functional.group_norm(_t(T, x), groups, w, b), x, w, b)
