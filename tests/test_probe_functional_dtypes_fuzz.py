"""nn.functional and nn layers across dtypes, differential against PyTorch: result dtypes
and values, or the exception's type and message, for inputs (and weights / targets) of every
dtype, mixed ones included.  A seeded slice of the fuzzer in /tmp/hl3, plus regressions."""
import itertools
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

DT = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
      "float64", "complex64"]
TOL = {"float16": 1e-2, "bfloat16": 5e-2, "float32": 1e-4, "complex64": 1e-4}


def make(lib, dt, shape, seed, kind="n"):
    r = np.random.default_rng(seed)
    if kind == "idx":
        a = r.integers(0, 3, size=shape)
    elif kind == "prob":
        a = r.random(shape)
    else:
        a = r.standard_normal(shape) * 2
    if dt == "bool":
        a = a > 0
    elif dt.startswith(("int", "uint")) and kind != "idx":
        a = np.abs(a * 3).astype(np.int64)
    elif dt == "complex64":
        a = a + 1j * r.standard_normal(shape)
    a = np.asarray(a)
    if dt == "bfloat16":
        a = a.astype(np.float32)
    return (torch.from_numpy(a) if lib is torch else ember.from_numpy(a)).to(getattr(lib, dt))


def outcome(lib, fn, args):
    try:
        return "ok", fn(lib, *args)
    except Exception as e:  # the error is the behaviour compared
        return "err", type(e).__name__, str(e).split("\n")[0]


def same(tr, er):
    assert tr[0] == er[0], (tr, er)
    if tr[0] == "err":
        assert tr[1:] == er[1:]
        return
    t, e = tr[1], er[1]
    if isinstance(t, tuple):
        t, e = t[0], e[0]
    assert str(t.dtype) == str(e.dtype).replace("ember.", "torch.")
    assert tuple(t.shape) == tuple(e.shape)
    big = torch.complex128 if t.is_complex() else torch.float64
    tn = t.detach().to(big).numpy()
    en = e.detach().to(getattr(ember, str(big)[6:])).numpy()
    tol = TOL.get(str(t.dtype)[6:], 1e-12)
    np.testing.assert_allclose(en, tn, rtol=tol, atol=tol, equal_nan=True)


def compare(fn, dtypes, shapes, kinds, seed=0):
    ta = [make(torch, d, s, seed + i, k) for i, (d, s, k) in enumerate(zip(dtypes, shapes, kinds))]
    ea = [make(ember, d, s, seed + i, k) for i, (d, s, k) in enumerate(zip(dtypes, shapes, kinds))]
    torch.manual_seed(0)
    ember.manual_seed(0)
    same(outcome(torch, fn, ta), outcome(ember, fn, ea))


def F(lib):
    return lib.nn.functional


UNARY = {
    "relu": lambda lib, x: F(lib).relu(x),
    "gelu": lambda lib, x: F(lib).gelu(x),
    "silu": lambda lib, x: F(lib).silu(x),
    "elu": lambda lib, x: F(lib).elu(x),
    "leaky_relu": lambda lib, x: F(lib).leaky_relu(x),
    "hardtanh": lambda lib, x: F(lib).hardtanh(x),
    "softplus": lambda lib, x: F(lib).softplus(x),
    "sigmoid": lambda lib, x: F(lib).sigmoid(x),
    "softmax": lambda lib, x: F(lib).softmax(x, -1),
    "log_softmax": lambda lib, x: F(lib).log_softmax(x, 0),
    "softmax_dtype": lambda lib, x: F(lib).softmax(x, -1, dtype=lib.float64),
    "normalize": lambda lib, x: F(lib).normalize(x),
    "layer_norm": lambda lib, x: F(lib).layer_norm(x, (4,)),
    "batch_norm": lambda lib, x: F(lib).batch_norm(x, None, None, training=True),
    "group_norm": lambda lib, x: F(lib).group_norm(x.reshape(1, 4, 3), 2),
    "pad_reflect": lambda lib, x: F(lib).pad(x.reshape(1, 3, 4), (1, 2), mode="reflect"),
    "max_pool2d": lambda lib, x: F(lib).max_pool2d(x.reshape(1, 1, 3, 4), 2),
    "avg_pool1d": lambda lib, x: F(lib).avg_pool1d(x.reshape(1, 3, 4), 2),
    "adaptive_avg_pool2d": lambda lib, x: F(lib).adaptive_avg_pool2d(x.reshape(1, 1, 3, 4), 2),
    "interp_bilinear": lambda lib, x: F(lib).interpolate(x.reshape(1, 1, 3, 4), scale_factor=2,
                                                         mode="bilinear"),
    "interp_nearest": lambda lib, x: F(lib).interpolate(x.reshape(1, 3, 4), scale_factor=2),
    "unfold": lambda lib, x: F(lib).unfold(x.reshape(1, 1, 3, 4), 2),
    "pdist": lambda lib, x: F(lib).pdist(x),
    "one_hot": lambda lib, x: F(lib).one_hot(x),
    "embedding_idx": lambda lib, x: F(lib).embedding(x, lib.ones(10, 2)),
}

BINARY = {  # name: (fn, kinds, shapes)
    "mse_loss": (lambda lib, x, y: F(lib).mse_loss(x, y), "nn", ((3, 4), (3, 4))),
    "l1_loss": (lambda lib, x, y: F(lib).l1_loss(x, y), "nn", ((3, 4), (3, 4))),
    "bce_logits": (lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(x, y), "nn",
                   ((3, 4), (3, 4))),
    "bce": (lambda lib, x, y: F(lib).binary_cross_entropy(x, y), ("prob", "prob"),
            ((3, 4), (3, 4))),
    "cross_entropy": (lambda lib, x, y: F(lib).cross_entropy(x, y), ("n", "idx"),
                      ((3, 4), (3,))),
    "cross_entropy_prob": (lambda lib, x, y: F(lib).cross_entropy(x, y), "nn",
                           ((3, 4), (3, 4))),
    "nll_loss": (lambda lib, x, y: F(lib).nll_loss(x, y), ("n", "idx"), ((3, 4), (3,))),
    "nll_loss2d": (lambda lib, x, y: F(lib).nll_loss(x, y), ("n", "idx"),
                   ((2, 3, 2, 2), (2, 2, 2))),
    "linear": (lambda lib, x, y: F(lib).linear(x, y), "nn", ((3, 4), (5, 4))),
    "conv1d": (lambda lib, x, y: F(lib).conv1d(x, y), "nn", ((1, 3, 5), (2, 3, 2))),
    "conv_transpose1d": (lambda lib, x, y: F(lib).conv_transpose1d(x, y), "nn",
                         ((1, 3, 5), (3, 2, 2))),
    "embedding": (lambda lib, x, y: F(lib).embedding(x, y), ("idx", "n"), ((3,), (4, 2))),
    "embedding_bag": (lambda lib, x, y: F(lib).embedding_bag(x, y, lib.tensor([0, 2])),
                      ("idx", "n"), ((3,), (4, 2))),
    "embedding_bag_2d": (lambda lib, x, y: F(lib).embedding_bag(x, y), ("idx", "n"),
                         ((2, 2), (4, 2))),
    "cosine_similarity": (lambda lib, x, y: F(lib).cosine_similarity(x, y), "nn",
                          ((3, 4), (3, 4))),
    "prelu": (lambda lib, x, y: F(lib).prelu(x, y), "nn", ((3, 4), (1,))),
}


def _rows(names, seed):
    """A seeded slice of every dtype pair (the fuzzer runs them all)."""
    rng = np.random.default_rng(seed)
    pairs = list(itertools.product(DT, repeat=2))
    out = []
    for name in names:
        for i in rng.choice(len(pairs), 14, replace=False):
            out.append((name,) + pairs[i])
        out.append((name, "float32", "float32"))
        out.append((name, "complex64", "complex64"))
    return out


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_every_dtype(name):
    for d in DT:
        compare(UNARY[name], [d], [(3, 4)], ["idx" if name in ("one_hot", "embedding_idx")
                                              else "n"])


@pytest.mark.parametrize("name,d1,d2", _rows(sorted(BINARY), 3))
def test_binary_mixed_dtypes(name, d1, d2):
    fn, kinds, shapes = BINARY[name]
    compare(fn, [d1, d2], shapes, kinds)


LAYERS = {
    "Linear": ("lib.nn.Linear(4, 3)", (2, 4)),
    "Conv2d": ("lib.nn.Conv2d(4, 3, 2)", (1, 4, 3, 3)),
    "ConvTranspose2d": ("lib.nn.ConvTranspose2d(4, 3, 2)", (1, 4, 3, 3)),
    "BatchNorm1d": ("lib.nn.BatchNorm1d(4)", (3, 4)),
    "LayerNorm": ("lib.nn.LayerNorm(4)", (3, 4)),
    "Embedding": ("lib.nn.Embedding(10, 3)", (2, 4)),
    "EmbeddingBag": ("lib.nn.EmbeddingBag(10, 3)", (2, 4)),
    "LSTM": ("lib.nn.LSTM(4, 3, batch_first=True)", (2, 3, 4)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("cast", [None, "double", "half"])
def test_layer_input_dtypes(name, cast):
    ctor, shape = LAYERS[name]

    def fn(lib, x):
        lib.manual_seed(0)
        m = eval(ctor, {"lib": lib})
        if cast:
            m = getattr(m, cast)()
        out = m(x)
        return out[0] if isinstance(out, tuple) else out

    for d in ("bool", "int64", "float16", "float32", "float64", "complex64"):
        if cast == "half" and d in ("float16", "complex64") and "Embedding" not in name:
            continue  # (half arithmetic: a value comparison of no interest here)
        compare(fn, [d], [shape], ["idx" if "Embedding" in name else "n"], seed=1)


# --- regressions --------------------------------------------------------------------------

def _err(fn):
    out = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            fn(lib)
        out.append((type(info.value).__name__, str(info.value)))
    assert out[0] == out[1]


@pytest.mark.parametrize("wdt", ["int32", "int64", "bool", "uint8", "complex64"])
def test_embedding_bag_integer_weight(wdt):
    # an integer table: PyTorch refuses it by name ("... but got torch.IntTensor instead")
    _err(lambda lib: F(lib).embedding_bag(lib.tensor([0, 1, 2]),
                                          lib.ones(4, 2, dtype=getattr(lib, wdt)),
                                          lib.tensor([0, 2])))
    _err(lambda lib: F(lib).embedding_bag(lib.tensor([[0, 1]]),
                                          lib.ones(4, 2, dtype=getattr(lib, wdt))))


def test_embedding_bag_integer_weight_check_order():
    w = "int32"
    _err(lambda lib: F(lib).embedding_bag(lib.tensor([0, 1]), lib.ones(3, 2, dtype=lib.int32),
                                          lib.tensor([0]), max_norm=1.0))
    _err(lambda lib: F(lib).embedding_bag(lib.tensor([0, 1]), lib.ones(3, 2, dtype=lib.int32),
                                          lib.tensor([0]), padding_idx=7))
    _err(lambda lib: F(lib).embedding_bag(lib.tensor([0, 1]), lib.ones(3, 2, dtype=lib.int32),
                                          lib.tensor([0]), per_sample_weights=lib.ones(2),
                                          mode="sum"))
    _err(lambda lib: F(lib).embedding_bag(lib.tensor([0, 1.5]),
                                          lib.ones(3, 2, dtype=getattr(lib, w)), lib.tensor([0])))
    _err(lambda lib: lib.nn.EmbeddingBag(3, 2)(lib.tensor([[0, 1]], dtype=lib.complex64)))


@pytest.mark.parametrize("wdt", ["bool", "float32", "float64", "complex128"])
@pytest.mark.parametrize("op", ["conv1d", "conv_transpose1d"])
def test_complex_conv_weight_mismatch(op, wdt):
    _err(lambda lib: getattr(F(lib), op)(lib.ones(1, 3, 5, dtype=lib.complex64),
                                         lib.ones(3, 3, 2, dtype=getattr(lib, wdt))))


def test_complex_conv_transpose_values_and_grads():
    res = []
    for lib in (torch, ember):
        x = lib.tensor(np.arange(15.).reshape(1, 3, 5) * (1 + 0.5j), requires_grad=True)
        w = lib.tensor(np.arange(12.).reshape(3, 2, 2) * (0.3 - 1j), requires_grad=True)
        y = F(lib).conv_transpose1d(x, w, stride=2)
        y.abs().sum().backward()
        res.append([t.detach().numpy() for t in (y, x.grad, w.grad)])
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("tdt", ["uint8", "int64"])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2, 2)])
def test_nll_loss_complex_input(tdt, shape):
    tshape = (shape[0],) + shape[2:]
    _err(lambda lib: F(lib).nll_loss(lib.ones(shape, dtype=lib.complex64),
                                     lib.zeros(tshape, dtype=getattr(lib, tdt))))


@pytest.mark.parametrize("xdt", ["float16", "float32", "float64"])
@pytest.mark.parametrize("ydt", ["complex64", "complex128"])
@pytest.mark.parametrize("extra", ["", "weight", "pos_weight", "grad", "none"])
def test_bce_with_logits_complex_target(xdt, ydt, extra):
    # a complex target: PyTorch computes the loss (complex), refuses its gradient, and
    # refuses a pos_weight (stored into the real input's dtype)
    r = np.random.default_rng(4)
    x, y = r.standard_normal((3, 4)), r.standard_normal((3, 4)) + 1j * r.standard_normal((3, 4))

    def fn(lib):
        kw = {"reduction": "none"} if extra == "none" else {}
        if extra in ("weight", "pos_weight"):
            kw[extra] = lib.arange(4.0)
        xi = lib.tensor(x).to(getattr(lib, xdt)).requires_grad_(extra == "grad")
        return F(lib).binary_cross_entropy_with_logits(xi, lib.tensor(y).to(getattr(lib, ydt)),
                                                       **kw)

    same(outcome(torch, lambda lib: fn(lib), []), outcome(ember, lambda lib: fn(lib), []))


@pytest.mark.parametrize("case", ["bce_logits_w", "bce_logits_pw", "bce_w", "bce_w64"])
def test_bce_complex_weights(case):
    def fn(lib):
        c = lib.ones(4, dtype=lib.complex64)
        x16, y64 = lib.randn(3, 4).half(), lib.rand(3, 4, dtype=lib.float64)
        if case == "bce_logits_w":
            return F(lib).binary_cross_entropy_with_logits(x16, y64, weight=c)
        if case == "bce_logits_pw":
            return F(lib).binary_cross_entropy_with_logits(x16, y64, pos_weight=c)
        x = lib.rand(3, 4, dtype=lib.float64)
        return F(lib).binary_cross_entropy(x, y64, weight=c if case == "bce_w" else
                                           c.to(lib.complex128))

    _err(fn)


@pytest.mark.parametrize("pdt", ["uint8", "int8", "int32", "int64"])
@pytest.mark.parametrize("xdt", ["float16", "float32", "float64"])
def test_bce_with_logits_integer_pos_weight(pdt, xdt):
    # ``pos_weight - 1`` in the integer dtype: a uint8 0 wraps round to 255
    res = []
    for lib in (torch, ember):
        x = lib.linspace(-3, 3, 12).reshape(3, 4).to(getattr(lib, xdt))
        y = lib.linspace(0, 1, 12).reshape(3, 4).to(getattr(lib, xdt))
        pw = lib.tensor([0, 1, 2, 3]).to(getattr(lib, pdt))
        out = F(lib).binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="none")
        res.append((str(out.dtype)[6:], out.double().numpy()))
    assert res[0][0] == res[1][0]
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=TOL.get(xdt, 1e-12), atol=1e-3)


@pytest.mark.parametrize("xdt,ydt", [("float32", "float64"), ("float64", "float32"),
                                     ("float32", "int64"), ("float16", "float32"),
                                     ("bfloat16", "float64")])
@pytest.mark.parametrize("which", ["input", "target", "both"])
def test_huber_loss_mixed_dtype_backward(xdt, ydt, which):
    # PyTorch's forward takes two dtypes, its backward refuses them ("Found dtype ...")
    def fn(lib):
        x = lib.linspace(-2, 2, 6).to(getattr(lib, xdt))
        y = lib.linspace(1, -1, 6).to(getattr(lib, ydt))
        ins = []
        if which in ("input", "both"):
            ins.append(x.requires_grad_())
        if which in ("target", "both") and y.is_floating_point():
            ins.append(y.requires_grad_())
        if not ins:
            raise RuntimeError("nothing requires grad")
        loss = F(lib).huber_loss(x, y, delta=0.5)
        assert str(loss.dtype)[6:] == xdt
        return lib.autograd.grad(loss, ins)

    _err(fn)


def test_huber_loss_same_dtype_backward_still_works():
    res = []
    for lib in (torch, ember):
        x = lib.linspace(-2, 2, 6, dtype=lib.float64).requires_grad_()
        y = lib.linspace(1, -1, 6, dtype=lib.float64).requires_grad_()
        res.append([g.numpy() for g in lib.autograd.grad(F(lib).huber_loss(x, y), (x, y))])
    for a, b in zip(*res):
        np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("xdt", ["complex64", "float16", "float64"])
@pytest.mark.parametrize("ydt", ["bool", "uint8", "float32", "complex64"])
def test_soft_margin_loss_complex(xdt, ydt):
    compare(lambda lib, x, y: F(lib).soft_margin_loss(x, y), [xdt, ydt], [(3, 4), (3, 4)],
            ["n", "n"])


def test_soft_margin_loss_complex_no_grad():
    _err(lambda lib: F(lib).soft_margin_loss(lib.ones(3, dtype=lib.complex64,
                                                      requires_grad=True), lib.ones(3)))


@pytest.mark.parametrize("xdt", ["bool", "float32", "int64"])
@pytest.mark.parametrize("shape", [(3, 4), (4,)])
def test_multilabel_margin_loss_complex_target(xdt, shape):
    _err(lambda lib: F(lib).multilabel_margin_loss(lib.ones(shape, dtype=getattr(lib, xdt)),
                                                   lib.ones(shape, dtype=lib.complex64)))


def test_rms_norm_complex():
    x = np.array([[1 + 2j, 3 - 1j, 0.5j, 2], [0.1 - 0.3j, -2, 1j, 0.2]])
    res = []
    for lib in (torch, ember):
        xi = lib.tensor(x, dtype=lib.complex64, requires_grad=True)
        y = F(lib).rms_norm(xi, (4,))
        with warnings.catch_warnings():  # (the mixed dtypes' warning: tested elsewhere)
            warnings.simplefilter("ignore")
            mixed = F(lib).rms_norm(xi, (4,), weight=lib.ones(4) * 2)
        outs = [y, mixed,
                F(lib).rms_norm(xi.detach(), (4,), lib.ones(4, dtype=lib.complex64) * (2 + 1j)),
                F(lib).rms_norm(xi.detach().to(lib.complex128), (4,)),
                lib.nn.RMSNorm(4, dtype=lib.complex64)(xi),
                F(lib).rms_norm(lib.tensor([1e-4 + 0j], dtype=lib.complex64), (1,))]  # (eps)
        y.abs().sum().backward()
        res.append([(str(o.dtype)[6:], o.detach().numpy()) for o in outs + [xi.grad]])
    for (da, a), (db, b) in zip(*res):
        assert da == db
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("qdt", ["complex64", "complex128", "uint8", "int32", "int64", "bool"])
@pytest.mark.parametrize("mask", [None, "bool", "float32", "causal"])
def test_sdpa_dtype_errors(qdt, mask):
    def fn(lib):
        q = lib.ones(1, 3, 4, dtype=getattr(lib, qdt))
        kw = {"is_causal": True} if mask == "causal" else \
            {"attn_mask": lib.ones(3, 3, dtype=getattr(lib, mask))} if mask else {}
        return F(lib).scaled_dot_product_attention(q, q, q, **kw)

    _err(fn)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("xdt,tdt", [("float16", "float32"), ("float32", "float64"),
                                     ("bfloat16", "float16"), ("float64", "float32"),
                                     ("int8", "int64"), ("float16", "int64"),
                                     ("float32", "float32")])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_regression_loss_0d_target_promotes(name, xdt, tdt, reduction):
    # PyTorch broadcasts the operands first: a 0-d target of a wider dtype is then a full
    # tensor, and promotes ("mse_loss(half, tensor(2.))" is float32; int8 with a 0-d int64:
    # '"mse_cpu" not implemented for 'Long''); the gradients too
    def fn(lib):
        x = lib.linspace(-1, 2, 5).to(getattr(lib, xdt))
        t = lib.tensor(0.3 if tdt.startswith("float") else 1).to(getattr(lib, tdt))
        ins = [a.requires_grad_() for a in (x, t) if a.is_floating_point()]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the target size's warning)
            loss = getattr(F(lib), name)(x, t, reduction=reduction)
        if name == "huber_loss" and xdt != tdt:
            return loss.detach()  # (its mixed-dtype backward refuses: tested above)
        return (loss,) + lib.autograd.grad(loss.sum(), ins)

    tr, er = outcome(torch, lambda lib: fn(lib), []), outcome(ember, lambda lib: fn(lib), [])
    assert tr[0] == er[0], (tr, er)
    if tr[0] == "err":
        assert tr[1:] == er[1:]
        return
    t, e = (tr[1], er[1]) if isinstance(tr[1], tuple) else ((tr[1],), (er[1],))
    for a, b in zip(t, e):
        assert str(a.dtype)[6:] == str(b.dtype)[6:]
        np.testing.assert_allclose(b.detach().double().numpy(), a.detach().double().numpy(),
                                   rtol=TOL.get(str(a.dtype)[6:], 0), atol=0)


def test_mse_loss_mixed_float_grads_bitwise():
    for seed in range(12):
        r = np.random.default_rng(seed)
        xd, td = r.choice(["float32", "float64"], 2)
        shape = (int(r.integers(1, 40)),)
        xa = r.standard_normal(shape)
        ta = r.standard_normal(shape if seed % 3 else ())
        res = []
        for lib in (torch, ember):
            x = lib.tensor(xa).to(getattr(lib, xd)).requires_grad_()
            t = lib.tensor(ta).to(getattr(lib, td)).requires_grad_()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loss = F(lib).mse_loss(x, t)
            res.append([loss.detach().double().numpy()] +
                       [g.double().numpy() for g in lib.autograd.grad(loss, (x, t))])
        for a, b in zip(*res):
            np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("wdt", ["int64", "int32", "uint8", "bool", "complex64", "float16"])
@pytest.mark.parametrize("idx", [[0, 2], [0, 5], [5], [-1, 1]])
def test_embedding_max_norm_weight_dtypes(wdt, idx):
    # the renormalisation's norm refuses an integer table (after the indices' checks)
    def fn(lib):
        w = (lib.arange(6.0).reshape(3, 2) - 2).to(getattr(lib, wdt))
        return F(lib).embedding(lib.tensor(idx), w, max_norm=1.0)

    same(outcome(torch, lambda lib: fn(lib), []), outcome(ember, lambda lib: fn(lib), []))
