"""Dropout, embedding, one_hot and distances against PyTorch.

Dropout masks must be PyTorch's bit for bit after the same ``manual_seed`` (the
noise is ``bernoulli_(1 - p)`` on the shared generator stream), and so must the
default initialisation of ``Embedding``.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from diff import assert_same, check, check_error

torch = pytest.importorskip("torch")

DTYPES = [np.float32, np.float64]


def arr(rng, shape, dtype=np.float64, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def same_bits(e, t):
    e, t = e.detach(), t.detach()
    assert str(e.dtype).replace("torch.", "") == str(t.dtype).replace("torch.", "")
    assert tuple(e.shape) == tuple(t.shape)
    assert e.numpy().tobytes() == t.numpy().tobytes()


def seeded(seed, fn):
    """``fn(lib)`` run after ``manual_seed(seed)`` in each library; (ember, torch) results."""
    ember.manual_seed(seed)
    e = fn(ember)
    torch.manual_seed(seed)
    t = fn(torch)
    return e, t


# -- dropout: masks bit for bit ------------------------------------------------------

SHAPES = [(7,), (3, 5), (2, 3, 4), (4, 3, 2, 2), (1000,)]


@pytest.mark.parametrize("seed", [0, 1, 1234])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.73, 0.99])
@pytest.mark.parametrize("shape", SHAPES)
def test_dropout_bits(seed, p, shape):
    for dt in ("float32", "float64"):
        def fn(T, dt=dt):
            x = T.randn(*shape, dtype=getattr(T, dt))
            return T.nn.functional.dropout(x, p), T.rand(3)  # the stream continues in step
        (e, en), (t, tn) = seeded(seed, fn)
        same_bits(e, t)
        same_bits(en, tn)


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_module_bits_and_grads(seed, p):
    def fn(T):
        m = T.nn.Dropout(p)
        x = T.randn(6, 9, requires_grad=True)
        y = m(x)
        y.backward(T.arange(54.0).reshape(6, 9))
        return y, x.grad
    (ye, ge), (yt, gt) = seeded(seed, fn)
    same_bits(ye, yt)
    same_bits(ge, gt)
    assert type(ye.grad_fn).__name__ == "MulBackward0"


@pytest.mark.parametrize("name,shape", [("dropout1d", (3, 4, 5)), ("dropout1d", (4, 6)),
                                        ("dropout2d", (2, 3, 4, 5)), ("dropout3d", (2, 3, 2, 2, 2)),
                                        ("dropout3d", (3, 2, 4, 2)),
                                        ("feature_alpha_dropout", (3, 4, 5)),
                                        ("alpha_dropout", (4, 5)), ("alpha_dropout", (100,))])
@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("p", [0.3, 0.5])
def test_feature_and_alpha_dropout_bits(name, shape, seed, p):
    for dt in ("float32", "float64"):
        def fn(T, dt=dt):
            x = T.randn(*shape, dtype=getattr(T, dt), requires_grad=True)
            y = getattr(T.nn.functional, name)(x, p, True)
            y.backward(T.ones(*shape, dtype=getattr(T, dt)) * 3)
            return y, x.grad, T.randn(2)
        e, t = seeded(seed, fn)
        for a, b in zip(e, t, strict=True):
            same_bits(a, b)


def test_dropout2d_zeroes_whole_channels():
    ember.manual_seed(0)
    y = ember.nn.functional.dropout2d(ember.ones(8, 16, 3, 3), 0.5)
    per_channel = y.reshape(8, 16, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all().item()


@pytest.mark.parametrize("seed", [0, 5])
def test_dropout_inplace_bits(seed):
    def fn(T):
        x = T.randn(4, 6, requires_grad=True)
        z = x * 2
        y = T.nn.functional.dropout(z, 0.4, True, True)
        assert y is z
        y.sum().backward()
        return y, x.grad
    e, t = seeded(seed, fn)
    for a, b in zip(e, t, strict=True):
        same_bits(a, b)
    ember.manual_seed(seed)
    m = ember.nn.Dropout(0.4, inplace=True)
    z = ember.randn(4, 6)
    assert m(z) is z


@pytest.mark.parametrize("fn", ["dropout", "alpha_dropout", "dropout2d", "dropout1d"])
def test_dropout_identity_cases(fn):
    f = getattr(ember.nn.functional, fn)
    x = ember.randn(2, 3, 4, requires_grad=True) if fn != "dropout1d" else ember.randn(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert f(x, 0.5, False) is x
        assert f(x, 0.0, True) is x
    state = ember.get_rng_state()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f(x, 0.0, True)
    assert ember.get_rng_state().numpy().tobytes() == state.numpy().tobytes()


def test_dropout_p_one_and_empty():
    for T in (ember, torch):
        x = T.randn(3, 4, requires_grad=True)
        state = T.get_rng_state()
        y = T.nn.functional.dropout(x, 1.0)
        assert T.get_rng_state().numpy().tobytes() == state.numpy().tobytes()
        assert type(y.grad_fn).__name__ == "MulBackward0"
        assert (y == 0).all().item()
        e = T.randn(0, 3)
        assert T.nn.functional.dropout(e, 0.5) is e
    check(lambda T, x: T.nn.functional.alpha_dropout(x, 1.0, True), np.ones((2, 3)))


def test_dropout_modules_train_eval():
    for name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                 "FeatureAlphaDropout"):
        for kw in (dict(), dict(p=0.25, inplace=True)):
            me, mt = getattr(ember.nn, name)(**kw), getattr(torch.nn, name)(**kw)
            assert repr(me) == repr(mt)
            me.eval()
            x = ember.randn(2, 3, 4, 5, 6) if name == "Dropout3d" else ember.randn(2, 3, 4, 5)
            if name == "Dropout1d":
                x = ember.randn(2, 3, 4)
            assert me(x) is x
    seq_e = ember.nn.Sequential(ember.nn.Linear(3, 3), ember.nn.Dropout(0.1))
    seq_t = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Dropout(0.1))
    assert repr(seq_e) == repr(seq_t)
    assert list(seq_e.state_dict()) == list(seq_t.state_dict())


def test_dropout_errors():
    for T in (ember, torch):
        for p in (1.5, -0.1):
            msg = f"dropout probability has to be between 0 and 1, but got {p}"
            with pytest.raises(ValueError, match=msg):
                T.nn.functional.dropout(T.ones(3), p)
            with pytest.raises(ValueError, match=msg):
                T.nn.Dropout(p)
            with pytest.raises(ValueError, match=msg):
                T.nn.functional.dropout2d(T.ones(2, 3, 4, 4), p)
            with pytest.raises(ValueError, match=msg):
                T.nn.functional.alpha_dropout(T.ones(3), p, True)
        with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received "
                                               "a 4D input"):
            T.nn.functional.dropout1d(T.ones(2, 3, 4, 5))
        with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
            T.nn.functional.feature_alpha_dropout(T.ones(3), 0.5, True)
        with pytest.raises(RuntimeError):  # an integer tensor can't hold the scaled noise
            T.nn.functional.dropout(T.tensor([1, 2]), 0.5)


def test_dropout_warnings():
    for T in (ember, torch):
        with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d and "
                                             "assuming that channel-wise 1D dropout"):
            T.nn.functional.dropout2d(T.ones(2, 3, 4), 0.5, False)
        with pytest.warns(UserWarning, match="dropout2d: Received a 5-D input to dropout2d, "
                                             "which is deprecated"):
            T.nn.functional.dropout2d(T.ones(2, 3, 4, 5, 6), 0.5, False)
        with pytest.warns(UserWarning, match="dropout3d: Received a 3-D input to dropout3d"):
            T.nn.functional.dropout3d(T.ones(2, 3, 4), 0.5, False)


def test_dropout2d_3d_input_bits():
    def fn(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return T.nn.functional.dropout2d(T.randn(4, 5, 3), 0.5)
    e, t = seeded(11, fn)
    same_bits(e, t)


# -- embedding --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("idx", [[1, 2, 4, 1], [[0, 3], [3, 3]], 2, [[[1], [0]]]])
@pytest.mark.parametrize("kw", [dict(), dict(padding_idx=3), dict(padding_idx=-2),
                                dict(scale_grad_by_freq=True),
                                dict(padding_idx=1, scale_grad_by_freq=True)])
def test_embedding_values_grads(rng, dtype, idx, kw):
    w = arr(rng, (5, 3), dtype)
    out = check(lambda T, w: T.nn.functional.embedding(T.tensor(idx), w, **kw), w)
    assert type(out.grad_fn).__name__ == "EmbeddingBackward0"


def test_embedding_int32_indices_and_double_backward(rng):
    w = arr(rng, (6, 2))
    check(lambda T, w: T.nn.functional.embedding(T.tensor([5, 0, 5], dtype=T.int32), w), w)
    res = []
    for T in (ember, torch):
        wt = T.from_numpy(w.copy()).requires_grad_()
        y = T.nn.functional.embedding(T.tensor([[1, 2], [2, 4]]), wt, padding_idx=4,
                                      scale_grad_by_freq=True)
        g = T.from_numpy(np.arange(8.0).reshape(2, 2, 2)).requires_grad_()
        (gw,) = T.autograd.grad(y, wt, g, create_graph=True)
        assert type(gw.grad_fn).__name__ == "EmbeddingDenseBackwardBackward0"
        (gg,) = T.autograd.grad((gw * gw).sum(), g)
        res.append((gw, gg))
    assert_same(res[0], res[1])


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (0.5, 1.0), (2.0, 3.0),
                                                (0.3, float("inf"))])
def test_embedding_max_norm(rng, max_norm, norm_type):
    w = arr(rng, (6, 4), np.float32, 2.0)
    idx = [[0, 2, 2], [5, 0, 1]]
    res = []
    for T in (ember, torch):
        wt = T.from_numpy(w.copy()).requires_grad_()
        y = T.nn.functional.embedding(T.tensor(idx), wt, max_norm=max_norm, norm_type=norm_type)
        y.backward(T.ones(2, 3, 4))
        res.append((y, wt.detach(), wt.grad))
    assert_same(res[0], res[1])


@pytest.mark.parametrize("seed", [0, 42])
@pytest.mark.parametrize("args", [(10, 3), (7, 5), (4, 16, 2), (5, 2, -1)])
def test_embedding_init_bits(seed, args):
    e, t = seeded(seed, lambda T: T.nn.Embedding(*args).weight)
    same_bits(e, t)
    if len(args) == 3:
        assert (e[args[2]] == 0).all().item()


@pytest.mark.parametrize("kw", [dict(), dict(padding_idx=0), dict(padding_idx=-1),
                                dict(max_norm=1.0), dict(max_norm=2, norm_type=3.0),
                                dict(scale_grad_by_freq=True), dict(sparse=True),
                                dict(padding_idx=2, max_norm=1.5, norm_type=1.0,
                                     scale_grad_by_freq=True)])
def test_embedding_module(kw):
    e, t = seeded(3, lambda T: T.nn.Embedding(5, 4, **kw))
    assert repr(e) == repr(t)
    assert e.padding_idx == t.padding_idx
    assert list(e.state_dict()) == list(t.state_dict())
    idx = [[0, 1, 4], [2, 2, 3]]
    ye, yt = e(ember.tensor(idx)), t(torch.tensor(idx))
    assert_same(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    g = t.weight.grad.to_dense() if t.weight.grad.is_sparse else t.weight.grad
    assert e.weight.grad.is_sparse == t.weight.grad.is_sparse  # (sparse=True: a sparse grad)
    assert_same(e.weight.grad.to_dense(), g)
    assert_same(e.weight, t.weight)


def test_embedding_from_pretrained_and_weight():
    rng = np.random.default_rng(0)
    w = arr(rng, (4, 3), np.float32)
    for freeze in (True, False):
        e = ember.nn.Embedding.from_pretrained(ember.from_numpy(w.copy()), freeze=freeze,
                                               padding_idx=1)
        t = torch.nn.Embedding.from_pretrained(torch.from_numpy(w.copy()), freeze=freeze,
                                               padding_idx=1)
        assert repr(e) == repr(t)
        assert e.weight.requires_grad is t.weight.requires_grad is (not freeze)
        assert_same(e.weight, t.weight)  # the padding row is kept as given
        assert_same(e(ember.tensor([1, 3])), t(torch.tensor([1, 3])))
    src = ember.from_numpy(w.copy())
    e = ember.nn.Embedding(4, 3, _weight=src)
    assert e.weight.requires_grad
    assert_same(e.weight, torch.from_numpy(w))


def test_embedding_errors(rng):
    w = arr(rng, (10, 3), np.float32)
    check_error(lambda T, w: T.nn.functional.embedding(T.tensor([1, 10]), w), w,
                match="index out of range in self")
    check_error(lambda T, w: T.nn.functional.embedding(T.tensor([1, -1]), w), w,
                match="index out of range in self")
    check_error(lambda T, w: T.nn.functional.embedding(T.tensor([1.0, 2.0]), w), w,
                match="Expected tensor for argument #1 'indices' to have one of the following "
                      "scalar types: Long, Int; but got torch.FloatTensor instead (while checking "
                      "arguments for embedding)")
    check_error(lambda T, w: T.nn.functional.embedding(T.tensor([1]), w, padding_idx=10), w,
                match="Padding_idx must be within num_embeddings")
    check_error(lambda T, w: T.nn.functional.embedding(T.tensor([1]), w, padding_idx=-11), w,
                match="Padding_idx must be within num_embeddings")
    check_error(lambda T, w: T.nn.functional.embedding(T.tensor([1]), w.reshape(-1)), w,
                match="'weight' must be 2-D")
    for T in (ember, torch):
        for pad in (10, -11):
            with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
                T.nn.Embedding(10, 3, padding_idx=pad)
        with pytest.raises(AssertionError, match="Shape of weight does not match"):
            T.nn.Embedding(10, 3, _weight=T.randn(9, 3))
        with pytest.raises(AssertionError, match="Embeddings parameter is expected to be "
                                                 "2-dimensional"):
            T.nn.Embedding.from_pretrained(T.randn(9))


# -- one_hot ------------------------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=12), st.sampled_from([-1, 7, 9]))
def test_one_hot_hypothesis(values, num_classes):
    check(lambda T, x: T.nn.functional.one_hot(x, num_classes), np.array(values, np.int64))


def test_one_hot():
    check(lambda T, x: T.nn.functional.one_hot(x), np.array([[0, 2], [3, 1]], np.int64))
    check(lambda T, x: T.nn.functional.one_hot(x, 5), np.array(2, np.int64))
    check(lambda T, x: T.nn.functional.one_hot(x, 3), np.zeros((0, 2), np.int64))
    assert ember.nn.functional.one_hot(ember.tensor([1])).dtype is ember.int64


@pytest.mark.parametrize("values,nc,msg", [
    ([1, -1], -1, "Class values must be non-negative."),
    ([1, 3], 3, "Class values must be smaller than num_classes."),
    ([1, 2], -2, "Class values must be smaller than num_classes."),
    ([], -1, "Can not infer total number of classes from empty tensor."),
    ([], 0, "Can not infer total number of classes from empty tensor."),
])
def test_one_hot_errors(values, nc, msg):
    check_error(lambda T, x: T.nn.functional.one_hot(x, nc), np.array(values, np.int64),
                match=msg)


def test_one_hot_dtype_error():
    check_error(lambda T, x: T.nn.functional.one_hot(x), np.array([1, 2], np.int32),
                match="one_hot is only applicable to index tensor of type LongTensor.")
    check_error(lambda T, x: T.nn.functional.one_hot(x), np.array([1.0, 2.0], np.float32),
                match="one_hot is only applicable to index tensor of type LongTensor.")


# -- normalize, cosine_similarity, pairwise_distance ---------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, -1), (3.0, 0), (float("inf"), 1)])
def test_normalize(rng, dtype, p, dim):
    x = arr(rng, (3, 4, 2), dtype)
    out = check(lambda T, x: T.nn.functional.normalize(x, p, dim), x)
    assert type(out.grad_fn).__name__ == "DivBackward0"
    check(lambda T, x: T.nn.functional.normalize(x, p, dim, eps=0.5), x * 0.1)


def test_normalize_zero_and_out(rng):
    check(lambda T, x: T.nn.functional.normalize(x), np.zeros((2, 3)))
    check(lambda T, x: T.nn.functional.normalize(x, dim=0), arr(rng, 4))
    check_error(lambda T, x: T.nn.functional.normalize(x, dim=2), arr(rng, (3, 4)),
                match="Dimension out of range")
    check_error(lambda T, x: T.nn.functional.normalize(x), np.array([[1, 2]], np.int64))
    for T in (ember, torch):
        out = T.empty(2, 2)
        r = T.nn.functional.normalize(T.tensor([[3.0, 4.0], [0.0, 2.0]]), out=out)
        assert r is out
        assert_same(ember.tensor(out.tolist()), torch.tensor([[0.6, 0.8], [0.0, 1.0]]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("s1,s2,dim", [((3, 4), (3, 4), 1), ((2, 3, 4), (2, 3, 4), -1),
                                       ((3, 4), (1, 4), 1), ((3, 4), (3, 1), 1),
                                       ((4,), (4,), 0), ((2, 3, 4), (3, 4), 0)])
def test_cosine_similarity(rng, dtype, s1, s2, dim):
    out = check(lambda T, a, b: T.nn.functional.cosine_similarity(a, b, dim),
                arr(rng, s1, dtype), arr(rng, s2, dtype))
    assert type(out.grad_fn).__name__ == "SumBackward1"


def test_cosine_similarity_eps_and_errors(rng):
    small = arr(rng, (2, 3)) * 1e-6
    check(lambda T, a, b: T.nn.functional.cosine_similarity(a, b, eps=1e-3), small,
          arr(rng, (2, 3)))
    check(lambda T, a, b: T.nn.functional.cosine_similarity(a, b), np.zeros((2, 3)),
          arr(rng, (2, 3)))
    check(lambda T, a, b: T.nn.functional.cosine_similarity(a, b), arr(rng, (2, 3)),
          arr(rng, (2, 3), np.float32))
    check_error(lambda T, a, b: T.nn.functional.cosine_similarity(a, b), arr(rng, (3, 4)),
                arr(rng, (3, 5)), match="The size of tensor a (4) must match the size of tensor "
                                        "b (5) at non-singleton dimension 1")
    check_error(lambda T, a, b: T.nn.functional.cosine_similarity(a, b), arr(rng, 4),
                arr(rng, 4), match="Dimension out of range")
    check_error(lambda T, a, b: T.nn.functional.cosine_similarity(a, b),
                np.ones((2, 3), np.int64), np.ones((2, 3), np.int64),
                match="expected common dtype to be floating point, yet common dtype is Long")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("s1,s2", [((3, 4), (3, 4)), ((3, 4), (4,)), ((5,), (5,)),
                                   ((2, 3, 4), (3, 4))])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.5])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(rng, dtype, s1, s2, p, keepdim):
    out = check(lambda T, a, b: T.nn.functional.pairwise_distance(a, b, p, 1e-6, keepdim),
                arr(rng, s1, dtype), arr(rng, s2, dtype))
    assert type(out.grad_fn).__name__ == "NormBackward1"


def test_pairwise_distance_special(rng):
    check(lambda T, a, b: T.nn.functional.pairwise_distance(a, b, eps=0.1),
          arr(rng, (2, 3)), arr(rng, (2, 3)))
    check(lambda T, a, b: T.nn.functional.pairwise_distance(a, b, p=float("inf")),
          arr(rng, (2, 3)), arr(rng, (2, 3)))
    check(lambda T, a, b: T.nn.functional.pairwise_distance(a, b), np.ones((2, 3), np.int64),
          np.zeros((2, 3), np.int64))
    check_error(lambda T, a, b: T.nn.functional.pairwise_distance(a, b), arr(rng, (3, 4)),
                arr(rng, (3, 5)), match="The size of tensor a (4) must match")


def test_distance_modules(rng):
    for kw in (dict(), dict(dim=0, eps=1e-3)):
        me, mt = ember.nn.CosineSimilarity(**kw), torch.nn.CosineSimilarity(**kw)
        assert repr(me) == repr(mt) == "CosineSimilarity()"
        a, b = arr(rng, (3, 4)), arr(rng, (3, 4))
        assert_same(me(ember.from_numpy(a), ember.from_numpy(b)),
                    mt(torch.from_numpy(a), torch.from_numpy(b)))
    for kw in (dict(), dict(p=1.0, eps=1e-3, keepdim=True)):
        me, mt = ember.nn.PairwiseDistance(**kw), torch.nn.PairwiseDistance(**kw)
        assert repr(me) == repr(mt) == "PairwiseDistance()"
        assert (me.norm, me.eps, me.keepdim) == (mt.norm, mt.eps, mt.keepdim)
        a, b = arr(rng, (3, 4)), arr(rng, (3, 4))
        assert_same(me(ember.from_numpy(a), ember.from_numpy(b)),
                    mt(torch.from_numpy(a), torch.from_numpy(b)))
