"""Second derivatives as PyTorch records them: a first gradient taken with ``create_graph``
shows PyTorch's node (``...BackwardBackward0`` where one kernel computes it), a second
backward through a gradient PyTorch cannot differentiate raises its error (cdist, pdist,
embedding_bag, hardsigmoid, the margin losses, CPU flash attention), and the second-order
values agree where it can (float64 inputs)."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _int(a):
    return ("int", np.asarray(a, dtype=np.int64))


def _const(a):
    return ("const", np.asarray(a, dtype=np.float64))


def _build(L, arrays, dtype):
    ts, leaves = [], []
    for a in arrays:
        if isinstance(a, tuple):
            ts.append(L.tensor(a[1]))
        else:
            t = L.tensor(a, dtype=dtype, requires_grad=True)
            ts.append(t)
            leaves.append(t)
    return ts, leaves


def _first(L, fn, arrays, dtype, weighted=True):
    """The first gradients (create_graph) of ``<fn(...), w>`` (or of the plain sum)."""
    ts, leaves = _build(L, arrays, dtype)
    out = fn(L, *ts)
    if weighted:
        w = np.random.default_rng(1).standard_normal(tuple(out.shape))
        y = (out * L.tensor(w, dtype=out.dtype)).sum()
    else:
        y = out.sum()
    gs = L.autograd.grad(y, leaves, create_graph=True, allow_unused=True)
    return leaves, gs


def _name(g):
    return None if g is None or g.grad_fn is None else type(g.grad_fn).__name__


def _second(L, leaves, gs, seed=2):
    """``d <gs, v> / d leaves`` (None where a first gradient has no history), or the error."""
    r = np.random.default_rng(seed)
    s = None
    for g in gs:
        if g is not None and g.requires_grad:
            term = (g * L.tensor(r.standard_normal(tuple(g.shape)), dtype=g.dtype)).sum()
            s = term if s is None else s + term
    if s is None:
        return "no graph"
    try:
        return L.autograd.grad(s, leaves, allow_unused=True)
    except Exception as e:  # noqa: BLE001 - the type and message are what is compared
        return type(e), str(e)


def _values(gs):
    return [None if g is None else g.detach().numpy() for g in gs]


def _compare(name, dtype="float64", weighted=True):
    fn, arrays = CASES[name]
    try:
        tl, tg = _first(torch, fn, arrays, getattr(torch, dtype), weighted)
    except RuntimeError as e:  # (no first derivative at all: the same refusal)
        with pytest.raises(RuntimeError) as got:
            _first(ember, fn, arrays, getattr(ember, dtype), weighted)
        assert str(got.value) == str(e)
        return
    el, eg = _first(ember, fn, arrays, getattr(ember, dtype), weighted)
    assert [_name(g) for g in eg] == [_name(g) for g in tg]
    assert [g is not None and g.requires_grad for g in eg] == \
        [g is not None and g.requires_grad for g in tg]
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    for e, t in zip(_values(eg), _values(tg)):
        assert (e is None) == (t is None)
        if e is not None:
            np.testing.assert_allclose(e, t, **tol)
    ts, es = _second(torch, tl, tg), _second(ember, el, eg)
    if isinstance(ts, tuple) and len(ts) == 2 and isinstance(ts[0], type):
        assert es == ts  # the same exception type and message
        return
    assert not (isinstance(es, tuple) and len(es) == 2 and isinstance(es[0], type)), es
    assert es == ts if isinstance(ts, str) else not isinstance(es, str)
    if isinstance(ts, str):
        return
    for e, t in zip(es, ts):
        if t is None or e is None:  # (an unused input: None in one, zeros in the other)
            z = t if e is None else e
            assert z is None or not z.detach().numpy().any()
            continue
        np.testing.assert_allclose(e.numpy(), t.numpy(), **tol)


R = np.random.default_rng(0)


def rn(*s):
    return R.standard_normal(s)


def pos(*s):
    return R.uniform(0.5, 2.0, s)


def F(L):
    return L.nn.functional


_BAG = (_int([0, 2, 2, 4]), _int([0, 2]))
CASES = {
    # PyTorch refuses the second backward
    "cdist": (lambda L, x, y: L.cdist(x, y), (rn(4, 3), rn(5, 3))),
    "cdist_p1": (lambda L, x, y: L.cdist(x, y, p=1), (rn(4, 3), rn(5, 3))),
    "cdist_p3": (lambda L, x, y: L.cdist(x, y, p=3), (rn(4, 3), rn(5, 3))),
    "cdist_pinf": (lambda L, x, y: L.cdist(x, y, p=float("inf")), (rn(4, 3), rn(5, 3))),
    "cdist_batched": (lambda L, x, y: L.cdist(x, y), (rn(2, 3, 2), rn(2, 4, 2))),
    "cdist_one_side": (lambda L, x: L.cdist(x, L.ones(2, 3, dtype=x.dtype)), (rn(4, 3),)),
    "pdist": (lambda L, x: F(L).pdist(x), (rn(4, 3),)),
    "pdist_p1": (lambda L, x: F(L).pdist(x, 1), (rn(4, 3),)),
    "pdist_p3": (lambda L, x: F(L).pdist(x, 3), (rn(4, 3),)),
    "embedding_bag_sum": (lambda L, w, i, o: F(L).embedding_bag(i, w, o, mode="sum") ** 2,
                          (rn(5, 3),) + _BAG),
    "embedding_bag_mean": (lambda L, w, i, o: F(L).embedding_bag(i, w, o) ** 2,
                           (rn(5, 3),) + _BAG),
    "embedding_bag_max": (lambda L, w, i, o: F(L).embedding_bag(i, w, o, mode="max") ** 2,
                          (rn(5, 3),) + _BAG),
    "embedding_bag_psw": (lambda L, w, p, i, o: F(L).embedding_bag(
        i, w, o, mode="sum", per_sample_weights=p) ** 2, (rn(5, 3), rn(4)) + _BAG),
    "hardsigmoid": (lambda L, x: F(L).hardsigmoid(x * 3), (rn(3, 4),)),
    "multi_margin": (lambda L, x, t: F(L).multi_margin_loss(x, t) * x.sum(),
                     (rn(3, 4), _int([0, 3, 1]))),
    "multi_margin_p2": (lambda L, x, t: F(L).multi_margin_loss(x, t, p=2),
                        (rn(3, 4), _int([0, 3, 1]))),
    "multilabel_margin": (lambda L, x, t: F(L).multilabel_margin_loss(x, t) * x.sum(),
                          (rn(3, 4), _int([[0, 3, -1, 0], [1, -1, 0, 0], [2, 1, 0, -1]]))),
    "sdpa_4d_flash": (lambda L, q, k, v: F(L).scaled_dot_product_attention(q, k, v),
                      (rn(1, 2, 3, 4), rn(1, 2, 3, 4), rn(1, 2, 3, 4))),
    "sdpa_4d_causal": (lambda L, q: F(L).scaled_dot_product_attention(
        q, q * 1, q * 1, is_causal=True) ** 2, (rn(1, 2, 3, 4),)),
    "ldl_factor": (lambda L, x: L.linalg.ldl_factor(x + x.mT)[0], (rn(3, 3),)),
    "ctc_loss": (lambda L, x: F(L).ctc_loss(x.log_softmax(2), L.tensor([[1, 2], [1, 1]]),
                                            L.tensor([4, 4]), L.tensor([2, 2])), (rn(4, 2, 4),)),
    # one double-backward node of PyTorch's
    "sigmoid": (lambda L, x: L.sigmoid(x), (rn(3, 4),)),
    "tanh": (lambda L, x: L.tanh(x), (rn(3, 4),)),
    "softplus": (lambda L, x: F(L).softplus(x), (rn(3, 4),)),
    "elu": (lambda L, x: F(L).elu(x), (rn(3, 4),)),
    "selu": (lambda L, x: F(L).selu(x), (rn(3, 4),)),
    "gelu_tanh": (lambda L, x: F(L).gelu(x, approximate="tanh"), (rn(3, 4),)),
    "gelu": (lambda L, x: F(L).gelu(x), (rn(3, 4),)),
    "logsigmoid": (lambda L, x: F(L).logsigmoid(x), (rn(3, 4),)),
    "glu": (lambda L, x: F(L).glu(x, 1), (rn(3, 4),)),
    "softmax": (lambda L, x: F(L).softmax(x, 1), (rn(3, 4),)),
    "log_softmax": (lambda L, x: F(L).log_softmax(x, 0), (rn(3, 4),)),
    "cross_entropy": (lambda L, x, t: F(L).cross_entropy(x, t), (rn(3, 4), _int([0, 3, 1]))),
    "prelu": (lambda L, x, w: F(L).prelu(x, w) ** 2, (rn(3, 4), rn(4))),
    "rrelu_eval": (lambda L, x: F(L).rrelu(x, training=False), (rn(3, 4),)),
    "threshold": (lambda L, x: F(L).threshold(x, 0.1, 2.0), (rn(3, 4),)),
    "hardshrink": (lambda L, x: F(L).hardshrink(x), (rn(3, 4),)),
    "softshrink": (lambda L, x: F(L).softshrink(x) ** 2, (rn(3, 4),)),
    "mse_loss": (lambda L, x, y: F(L).mse_loss(x, y), (rn(3, 4), rn(3, 4))),
    "smooth_l1_loss": (lambda L, x, y: F(L).smooth_l1_loss(x, y), (rn(3, 4), rn(3, 4))),
    "huber_loss": (lambda L, x, y: F(L).huber_loss(x, y, delta=0.5), (rn(3, 4), rn(3, 4))),
    "bce": (lambda L, x, y: F(L).binary_cross_entropy(x, y),
            (R.uniform(0.1, 0.9, (3, 4)), _const(R.uniform(0, 1, (3, 4))))),
    "soft_margin": (lambda L, x, y: F(L).soft_margin_loss(x, y),
                    (rn(3, 4), _const(np.sign(rn(3, 4))))),
    "max_pool2d": (lambda L, x: F(L).max_pool2d(x, 2), (rn(1, 2, 4, 4),)),
    "max_pool3d": (lambda L, x: F(L).max_pool3d(x, 2), (rn(1, 1, 4, 4, 4),)),
    "adaptive_max_pool2d": (lambda L, x: F(L).adaptive_max_pool2d(x, 3), (rn(1, 2, 5, 5),)),
    "fractional_max_pool2d": (lambda L, x: F(L).fractional_max_pool2d(
        x, 2, output_size=2, _random_samples=L.full((1, 2, 2), 0.5, dtype=x.dtype)),
        (rn(1, 2, 5, 5),)),
    "fractional_max_pool3d": (lambda L, x: F(L).fractional_max_pool3d(
        x, 2, output_size=2, _random_samples=L.full((1, 1, 3), 0.5, dtype=x.dtype)),
        (rn(1, 1, 4, 4, 4),)),
    "avg_pool2d": (lambda L, x: F(L).avg_pool2d(x, 2), (rn(1, 2, 4, 4),)),
    "avg_pool2d_sq": (lambda L, x: F(L).avg_pool2d(x, 2) ** 2, (rn(1, 2, 4, 4),)),
    "max_pool3d_sq": (lambda L, x: F(L).max_pool3d(x, 2) ** 2, (rn(1, 1, 4, 4, 4),)),
    "adaptive_avg_pool3d": (lambda L, x: F(L).adaptive_avg_pool3d(x, 2), (rn(1, 1, 3, 3, 3),)),
    "pad_reflect_sq": (lambda L, x: F(L).pad(x, (1, 1), mode="reflect") ** 2, (rn(1, 2, 4),)),
    "adaptive_avg_pool2d": (lambda L, x: F(L).adaptive_avg_pool2d(x, 3), (rn(1, 2, 5, 5),)),
    "pad_reflect": (lambda L, x: F(L).pad(x, (1, 1), mode="reflect"), (rn(1, 2, 4),)),
    "pad_replicate2d": (lambda L, x: F(L).pad(x, (1, 2, 1, 0), mode="replicate"),
                        (rn(1, 1, 3, 3),)),
    "pad_circular": (lambda L, x: F(L).pad(x, (1, 2), mode="circular") ** 2, (rn(1, 2, 4),)),
    "interp_nearest": (lambda L, x: F(L).interpolate(x, scale_factor=2) ** 2, (rn(1, 1, 3, 3),)),
    "interp_bilinear": (lambda L, x: F(L).interpolate(x, scale_factor=2, mode="bilinear"),
                        (rn(1, 1, 3, 3),)),
    "interp_bicubic": (lambda L, x: F(L).interpolate(x, scale_factor=2, mode="bicubic") ** 2,
                       (rn(1, 1, 3, 3),)),
    "interp_trilinear": (lambda L, x: F(L).interpolate(
        x, scale_factor=2, mode="trilinear") ** 2, (rn(1, 1, 2, 2, 2),)),
    "batch_norm": (lambda L, x, w, b: F(L).batch_norm(x, None, None, w, b, training=True),
                   (rn(4, 3), rn(3), rn(3))),
    "batch_norm_eval": (lambda L, x, w, b: F(L).batch_norm(
        x, L.zeros(3, dtype=x.dtype), L.ones(3, dtype=x.dtype), w, b) ** 2,
        (rn(4, 3), rn(3), rn(3))),
    "layer_norm": (lambda L, x, w, b: F(L).layer_norm(x, (4,), w, b), (rn(3, 4), rn(4), rn(4))),
    "conv2d": (lambda L, x, w, b: F(L).conv2d(x, w, b, padding=1),
               (rn(1, 2, 3, 3), rn(2, 2, 2, 2), rn(2))),
    "conv_transpose2d": (lambda L, x, w: F(L).conv_transpose2d(x, w, stride=2) ** 2,
                         (rn(1, 2, 2, 2), rn(2, 1, 2, 2))),
    "grid_sample": (lambda L, x, g: F(L).grid_sample(x, g, align_corners=False),
                    (rn(1, 1, 3, 3), R.uniform(-1, 1, (1, 2, 2, 2)))),
    "grid_sample_nearest": (lambda L, x, g: F(L).grid_sample(
        x, g, mode="nearest", align_corners=False) ** 2,
        (rn(1, 1, 3, 3), R.uniform(-1, 1, (1, 2, 2, 2)))),
    # PyTorch's formula ends with another op than ember's did
    "clamp": (lambda L, x: x.clamp(-0.5, 0.5) ** 2, (rn(3, 4),)),
    "clamp_tensor": (lambda L, x, lo: L.clamp(x, min=lo) ** 2, (rn(3, 4), rn(3, 4))),
    "maximum": (lambda L, x, y: L.maximum(x, y) ** 2, (rn(3, 4), rn(3, 4))),
    "fmin": (lambda L, x, y: L.fmin(x, y) ** 2, (rn(3, 4), rn(3, 4))),
    "sinc": (lambda L, x: L.sinc(x), (rn(3, 4),)),
    "trace": (lambda L, x: x.trace() ** 2, (rn(4, 4),)),
    "diag_embed": (lambda L, x: L.diag_embed(x) ** 2, (rn(3, 4),)),
    "cross": (lambda L, a, b: L.linalg.cross(a, b), (rn(2, 3), rn(2, 3))),
    "index_fill": (lambda L, x, i: x.index_fill(1, i, 2.0) ** 2, (rn(3, 4), _int([0, 3]))),
    "cdist_mm": (lambda L, x, y: L.cdist(x, y, compute_mode="use_mm_for_euclid_dist"),
                 (rn(4, 3), rn(5, 3))),
    "masked_scatter": (lambda L, x, s: x.masked_scatter(x.detach() > 0, s) ** 2,
                       (rn(3, 4), rn(12))),
    "fft_abs": (lambda L, x: L.fft.fft(x).abs() ** 2, (rn(3, 4),)),
    "rfft_real": (lambda L, x: L.fft.rfft(x).real ** 3, (rn(3, 4),)),
    "bce_target": (lambda L, x, y: F(L).binary_cross_entropy(x, y),
                   (R.uniform(0.1, 0.9, (3, 4)), R.uniform(0, 1, (3, 4)))),
    "bce_logits": (lambda L, x, y: F(L).binary_cross_entropy_with_logits(x, y),
                   (rn(3, 4), R.uniform(0, 1, (3, 4)))),
    "xlogy": (lambda L, x, y: L.xlogy(x, y), (rn(3, 4), pos(3, 4))),
    "xlog1py": (lambda L, x, y: L.special.xlog1py(x, y), (rn(3, 4), pos(3, 4))),
    "nansum": (lambda L, x: x.nansum(1) ** 2, (rn(3, 4),)),
    "nanmean": (lambda L, x: x.nanmean(0) ** 2, (rn(3, 4),)),
    # a sample of the ones that already agreed
    "relu": (lambda L, x: F(L).relu(x), (rn(3, 4),)),
    "hardtanh": (lambda L, x: F(L).hardtanh(x) ** 2, (rn(3, 4),)),
    "leaky_relu": (lambda L, x: F(L).leaky_relu(x, 0.2), (rn(3, 4),)),
    "embedding": (lambda L, w, i: F(L).embedding(i, w) ** 2, (rn(5, 3), _int([0, 2, 2, 4]))),
    "sort": (lambda L, x: x.sort(1).values ** 2, (rn(3, 4),)),
    "prod": (lambda L, x: x.prod(1), (rn(3, 4),)),
    "cumprod": (lambda L, x: x.cumprod(1), (rn(3, 4),)),
    "std": (lambda L, x: x.std(1), (rn(3, 4),)),
    "norm_p3": (lambda L, x: x.norm(p=3, dim=1), (rn(3, 4),)),
    "gather": (lambda L, x, i: x.gather(1, i) ** 2, (rn(3, 4), _int([[0, 1], [2, 2], [3, 0]]))),
    "avg_pool1d": (lambda L, x: F(L).avg_pool1d(x, 2) ** 2, (rn(1, 2, 6),)),
    "interp_area": (lambda L, x: F(L).interpolate(x, size=(2, 2), mode="area") ** 2,
                    (rn(1, 1, 4, 4),)),
    "inv": (lambda L, x: L.linalg.inv(x), (rn(3, 3),)),
    "eigh": (lambda L, x: L.linalg.eigh(x + x.mT)[0], (rn(3, 3),)),
    "mha": (lambda L, x: (lambda m: m(x, x, x)[0])(
        (L.manual_seed(0), L.nn.MultiheadAttention(4, 2).double())[1]) ** 2, (rn(3, 1, 4),)),
}

_REFUSING = ["cdist", "cdist_p1", "cdist_p3", "cdist_pinf", "cdist_batched", "cdist_one_side",
             "pdist", "pdist_p1", "pdist_p3", "embedding_bag_sum", "embedding_bag_mean",
             "embedding_bag_max", "embedding_bag_psw", "hardsigmoid", "multi_margin",
             "multi_margin_p2", "multilabel_margin", "sdpa_4d_flash", "sdpa_4d_causal",
             "ldl_factor", "ctc_loss"]


@pytest.mark.parametrize("name", list(CASES))
def test_first_gradient_node_and_second_backward(name):
    _compare(name)


@pytest.mark.parametrize("name", ["cdist", "pdist", "hardsigmoid", "max_pool2d", "avg_pool2d",
                                  "pad_reflect", "threshold", "grid_sample", "layer_norm",
                                  "conv2d", "embedding_bag_sum", "interp_bilinear"])
def test_plain_sum_records_as_pytorch(name):
    """With an upstream gradient that needs no grad the double-backward node is still
    recorded where PyTorch's kernel takes the op's input (zeros for it), and not elsewhere."""
    _compare(name, weighted=False)


@pytest.mark.parametrize("name", ["cdist", "cdist_p3", "pdist", "embedding_bag_mean",
                                  "sigmoid", "softmax", "mse_loss", "batch_norm"])
def test_float32(name):
    _compare(name, "float32")


@pytest.mark.parametrize("name", ["tanh", "softplus", "gelu", "elu", "logsigmoid", "log_softmax",
                                  "cross_entropy", "mse_loss", "batch_norm", "layer_norm",
                                  "conv2d", "grid_sample", "adaptive_avg_pool2d", "cdist",
                                  "embedding_bag_sum"])
def test_float32_first_gradient_does_not_depend_on_create_graph(name):
    """PyTorch's first gradient is its kernel's, bit for bit, with or without create_graph."""
    fn, arrays = CASES[name]
    _, tg = _first(torch, fn, arrays, torch.float32)
    _, eg = _first(ember, fn, arrays, ember.float32)
    for e, t in zip(_values(eg), _values(tg)):
        np.testing.assert_array_equal(e, t)


def test_nansum_gradient_is_a_product_with_not_nan():
    a = np.array([[1.0, np.nan, 2.0], [np.nan, 3.0, 4.0]], dtype=np.float32)
    res = []
    for L in (torch, ember):
        x = L.tensor(a, requires_grad=True)
        (g,) = L.autograd.grad(x.nansum(1), x, L.tensor([np.inf, 2.0]))
        res.append(g.numpy())
    np.testing.assert_array_equal(res[1], res[0])  # (inf * 0 at the NaN: NaN, as PyTorch)


def test_brief_example_cdist_float32():
    errs = []
    for L in (torch, ember):
        L.manual_seed(0)
        x = L.randn(4, 3, requires_grad=True)
        y = L.randn(5, 3)
        (g,) = L.autograd.grad(L.cdist(x, y).sum(), x, create_graph=True)
        assert type(g.grad_fn).__name__ == "CdistBackwardBackward0"
        with pytest.raises(NotImplementedError) as e:
            g.sum().backward()
        errs.append((str(e.value), g.detach().numpy()))
    assert errs[0][0] == errs[1][0] == "the derivative for '_cdist_backward' is not implemented."
    np.testing.assert_array_equal(errs[1][1], errs[0][1])  # (the kernel's own first gradient)


def test_cdist_matrix_product_path_differentiates_twice():
    a, b = rn(30, 3), rn(4, 3)
    res = []
    for L in (torch, ember):
        x = L.tensor(a, requires_grad=True)
        (g,) = L.autograd.grad(L.cdist(x, L.tensor(b)).sum(), x, create_graph=True)
        (h,) = L.autograd.grad((g ** 2).sum(), x)
        res.append(h.numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-9, atol=1e-12)


def test_third_order_through_resizing():
    res = []
    for L in (torch, ember):
        x = L.tensor(np.random.default_rng(5).standard_normal((1, 1, 3, 3)), requires_grad=True)
        g, = L.autograd.grad((F(L).interpolate(x, scale_factor=2, mode="bilinear") ** 2).sum(),
                             x, create_graph=True)
        h, = L.autograd.grad((g ** 2).sum(), x, create_graph=True)
        k, = L.autograd.grad((h ** 2).sum(), x)
        res.append(([_name(g), _name(h)], k.numpy()))
    assert res[1][0] == res[0][0]
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-9)


def _of_leaves(L, name):
    """Case ``name`` in library ``L`` as a function of its float64 leaves only (the other
    operands fixed), for gradcheck: (function, leaves)."""
    fn, arrays = CASES[name]
    ts, leaves = _build(L, arrays, L.float64)
    idx = [i for i, a in enumerate(arrays) if not isinstance(a, tuple)]

    def f(*vs):
        args = list(ts)
        for i, v in zip(idx, vs):
            args[i] = v
        return fn(L, *args)
    return f, leaves


@pytest.mark.parametrize("name", ["cdist", "pdist_p3", "embedding_bag_sum", "hardsigmoid",
                                  "multi_margin_p2", "sdpa_4d_flash"])
def test_gradgradcheck_refuses_as_pytorch(name):
    errs = []
    for L in (torch, ember):
        f, leaves = _of_leaves(L, name)
        assert L.autograd.gradcheck(f, tuple(leaves))
        with pytest.raises((RuntimeError, NotImplementedError)) as e:
            L.autograd.gradgradcheck(f, tuple(leaves))
        errs.append((e.type, str(e.value)))
    assert errs[1] == errs[0]


@pytest.mark.parametrize("name", ["softplus", "glu", "huber_loss", "max_pool2d", "pad_reflect",
                                  "interp_bicubic", "layer_norm", "grid_sample", "prelu"])
def test_gradgradcheck_passes_as_pytorch(name):
    for L in (torch, ember):
        f, leaves = _of_leaves(L, name)
        assert L.autograd.gradgradcheck(f, tuple(leaves))
