"""Differential checks of uint16, uint32 and uint64 tensors: PyTorch's CPU kernels copy, cast,
index, sort, compare for equality, multiply, divide, sum (into int64) and do &, |, ^ on them,
and refuse nearly everything else with ``"<kernel>" not implemented for 'UInt16'``; ember
refuses the same ops with the same words (and the same ones stay allowed).  Also: reading
Python data into uint64, a 0-d wide tensor as an index, empty inputs (no kernel runs), and
torchvision's scaling of uint16 images.  Each case runs on ember and PyTorch: the same result,
or the same exception type and message."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from diff import same  # noqa: E402

WIDE = ("uint16", "uint32", "uint64")


def _env(T, dt):
    d = getattr(T, dt)
    return {"T": T, "np": np, "D": d, "a": T.tensor([3, 1, 4, 2], dtype=d),
            "b": T.tensor([1, 2, 2, 5], dtype=d), "m": T.tensor([True, False, True, False]),
            "i": T.tensor([0, 2]), "x": T.arange(10.)}


def _run(expr, dt):
    def fn(T):
        env = _env(T, dt)
        *stmts, last = expr.split("; ")
        for s in stmts:
            exec(s, env)
        return eval(last, env)
    return fn


# refused by PyTorch (each names its kernel), or allowed: both are checked
OPS = [
    # arithmetic
    "a + b", "a + 1", "a - b", "a * b", "a * 2", "a / b", "a // b", "a % b", "a ** 2",
    "a.pow(b)", "-a", "a.abs()", "a.sign()", "a.square()", "a.fmod(b)",
    "a.div(b, rounding_mode='floor')", "a.div(b, rounding_mode='trunc')",
    "a + T.tensor([1.0, 2, 3, 4])", "a * 1.5", "a.sqrt()", "T.heaviside(a, b)",
    "T.gcd(a, b)", "a.addcmul(a, b)", "a.diff()", "T.cumulative_trapezoid(a)",
    # comparisons, logic, bits
    "a < b", "a <= 2", "a > b", "a >= b", "a == b", "a != 2", "a < 2.5", "a.logical_and(b)",
    "a.logical_not()", "a.logical_and(m)", "a & b", "a | b", "a ^ b", "~a", "a << 1",
    "a >> 1", "a.bitwise_left_shift(b)", "T.isin(a, b)", "T.isin(a, 2)", "T.isin(2, a)",
    "a.equal(b)", "a.isfinite()",
    # reductions and scans
    "a.min()", "a.max()", "a.sum()", "a.sum(0, dtype=D)", "a.prod()", "a.prod(dtype=D)",
    "a.cumsum(0)", "a.cumsum(0, dtype=D)", "a.argmax()", "a.argmin(0)", "a.max(0)",
    "a.amax()", "a.aminmax()", "a.median()", "a.median(0)", "a.nanmedian()",
    "a.kthvalue(2)", "a.mode()", "a.cummax(0)", "a.count_nonzero()",
    "T.count_nonzero(a.view(2, 2), 1)", "a.any()", "a.all()",
    # sorting and searching
    "a.sort()", "a.argsort(descending=True)", "a.topk(2)", "a.unique()",
    "T.searchsorted(a, b)", "a.nonzero()", "T.bincount(a)", "a.histc()", "a.histc(3, 0, 5)",
    # clamping, filling, indexing
    "a.clamp(1, 3)", "a.clamp(min=2)", "a.clamp(max=2)", "a.clamp(1, 2.5)",
    "a.clamp(T.tensor(1, dtype=D), T.tensor(3, dtype=D))", "T.nn.functional.relu(a)",
    "T.maximum(a, b)", "T.where(m, a, b)", "T.where(a > 1, a, b)", "a.clone().fill_(7)",
    "a.masked_fill(m, 9)", "a.index_select(0, i)", "a.gather(0, i)", "a[i]", "a[m]",
    "a.take(i)", "a.masked_select(m)", "a.index_fill(0, i, 5)",
    "T.zeros(4, dtype=D).scatter(0, i, a)", "a.clone().scatter_(0, i, 5)",
    "a.index_add(0, i, b[:2])", "a.clone().put_(i, b[:2])",
    "a.index_reduce(0, i, b[:2], 'prod')",
    "a.index_reduce(0, i, b[:2], 'amax', include_self=False)",
    "a.scatter_reduce(0, i, b[:2], 'sum')", "a.scatter_reduce(0, i, b[:2], 'mean')",
    "a.scatter_reduce(0, i, b[:2], 'amin')",
    "a.scatter_reduce(0, i, b[:2], 'sum', include_self=False)",
    "T.remainder(5, a)", "2 % a", "T.dist(a, b)", "T.renorm(a.view(2, 2), 2, 0, 1)",
    # shapes and products
    "a.flip(0)", "a.view(2, 2).flip(0)", "a.view(2, 2).flip(1)", "a.view(2, 2).t().flip(0)",
    "a.view(1, 4).flip(0)", "a.roll(1)", "a.view(2, 2).tril()", "a.view(2, 2).trace()",
    "T.cat([a, b])", "T.vander(a)", "a.view(2, 2) @ b.view(2, 2)", "a[:2] @ a.view(2, 2)",
    "T.dot(a, b)", "a.view(2, 2).mv(b[:2])", "T.outer(a, b)",
    "T.addr(a.view(2, 2), a[:2], a[:2])", "T.baddbmm(a.view(1, 2, 2), a.view(1, 2, 2), "
    "a.view(1, 2, 2))", "T.cross(a[:3], b[:3], dim=0)",
    # in place
    "a.add_(1)", "a.sub_(b)", "a.mul_(2)", "a.neg_()", "a.clamp_(1, 2)", "a.lt_(b)",
    "a.bitwise_not_()", "a.pow_(2)", "a.masked_fill_(m, 1)", "a += 1; a", "a *= 2; a",
    "a[m] = 0; a", "a[i] = 1; a", "a[1:3] = b[:2]; a", "a[0] = 5; a",
    "a.index_put_((i,), T.tensor(9, dtype=a.dtype))",
    # conversions and printing
    "a.to(T.int64)", "a.float()", "a.tolist()", "a[0].item()", "str(a.view(2, 2))",
    "a.sum().item()",
]


@pytest.mark.parametrize("expr", OPS)
def test_ops_as_pytorch(expr):
    for dt in WIDE:
        same(_run(expr, dt))


NN = [
    "T.nn.functional.pad(a.view(1, 1, 4), (1, 1), mode='reflect')",
    "T.nn.functional.pad(a.view(1, 1, 2, 2), (1, 1, 1, 1), mode='replicate')",
    "T.nn.functional.pad(a.view(1, 1, 4), (1, 1), mode='circular')",
    "T.nn.functional.conv1d(a.view(1, 1, 4), a.view(1, 1, 4))",
    "T.nn.functional.conv3d(a.view(1, 1, 1, 2, 2), a.view(1, 1, 1, 2, 2))",
    "T.nn.functional.relu6(a)", "T.nn.functional.hardtanh(a, 0., 1.)",
    "T.nn.functional.pixel_shuffle(a.view(1, 4, 1, 1), 2)",
    "T.nn.functional.pixel_unshuffle(a.view(1, 1, 2, 2), 2)",
    "T.nn.functional.channel_shuffle(a.view(1, 4, 1), 2)",
    "T.nn.functional.max_pool1d(a.view(1, 1, 4), 2)",
    "T.nn.functional.max_pool2d(a.view(1, 1, 2, 2), 2)",
    "T.nn.functional.embedding(a, T.ones(10, 2))", "T.nn.functional.one_hot(a, 5)",
    "T.nn.functional.embedding_bag(a, T.ones(5, 2), T.tensor([0]))",
    "T.nn.functional.embedding_bag(a.view(2, 2), T.ones(5, 2))",
    # random draws (the stream must stay in step: what follows is drawn too)
    "T.manual_seed(0); a.geometric_(0.5); T.rand(2)",
    "T.manual_seed(0); T.bernoulli(a); T.rand(2)",
    "T.manual_seed(0); T.rand(4).bernoulli_(a); T.rand(2)",
    "T.manual_seed(0); a.random_(0, 2**15); T.rand(2)",
]


@pytest.mark.parametrize("expr", NN)
def test_nn_and_random_as_pytorch(expr):
    for dt in WIDE:
        same(_run(expr, dt))


@pytest.mark.parametrize("dts", [("int16", "int64"), ("int64", "int16"), ("uint8", "int64"),
                                 ("int8", "int16"), ("int64", "float32")])
def test_embedding_bag_promotes_indices_and_offsets(dts):
    same(lambda T: T.nn.functional.embedding_bag(T.tensor([1, 2], dtype=getattr(T, dts[0])),
                                                 T.ones(5, 2),
                                                 T.tensor([0], dtype=getattr(T, dts[1]))))
    same(lambda T: T.nn.functional.embedding_bag(T.tensor([[1, 0]], dtype=T.bool), T.ones(5, 2)))


EMPTY = ["e @ T.ones(2, 2, dtype=D)", "e.gather(0, T.zeros(0, 2, dtype=T.long))", "e.tril()",
         "T.isin(e, e)", "e.cummax(0)", "e.median()", "e.sum(dtype=D)", "e + 1", "-e",
         "e.max()", "e.flip(0)", "e.argmax()", "e.argmin(0)", "e.max(1)", "e.amax(1)",
         "e.prod(1, dtype=D)", "e.index_select(0, T.zeros(0, dtype=T.long))", "e.clamp(1)",
         "e.sort(1)", "e.topk(1)", "e.nonzero()", "e.t() @ e"]


@pytest.mark.parametrize("expr", EMPTY)
def test_empty_inputs(expr):
    for dt in WIDE:
        same(lambda T: eval(expr, {"T": T, "D": getattr(T, dt),
                                   "e": T.zeros(0, 2, dtype=getattr(T, dt))}))


INDEX = ["x[T.tensor(1, dtype=D)]", "x.view(2, 5)[1, T.tensor(1, dtype=D)]",
         "x[T.tensor(1, dtype=D), None]", "x[T.tensor([1], dtype=D)]",
         "x[T.tensor(1, dtype=D), 1:]", "x[a[0]]"]


@pytest.mark.parametrize("expr", INDEX)
def test_zero_dim_index(expr):
    for dt in ("int8", "int16") + WIDE:
        same(_run(expr, dt))
    same(lambda T: T.arange(10.)[T.tensor(2 ** 63, dtype=T.uint64)])


UINT64_DATA = [
    "-1", "[-1]", "[[1, -2]]", "1.5", "[1.5]", "[True, 2]", "True", "[2**64]", "[2**64 - 1]",
    "[2**64 - 1, 1.0]", "[-1, 1.5]", "[1.5, -1]", "[2**64, -1]", "[np.int64(5)]",
    "np.int64(5)", "[np.bool_(True)]", "[T.tensor(5)]", "[None]", "[1, [2]]", "[[1, 2], [3]]",
    "[[-1, 2], [3]]", "(1, -1)", "[]", "np.array([1.5, -1])", "[-2**63]", "[1 + 0j]",
]


@pytest.mark.parametrize("data", UINT64_DATA)
def test_uint64_from_python_data(data):
    same(lambda T: T.tensor(eval(data, {"T": T, "np": np}), dtype=T.uint64))
    same(lambda T: T.as_tensor(eval(data, {"T": T, "np": np}), dtype=T.uint64))


def test_uint32_data_still_wraps():
    same(lambda T: T.tensor([-1, 1.5], dtype=T.uint32))
    same(lambda T: T.tensor([-1], dtype=T.uint16))


@pytest.mark.parametrize("case", [("uint16", "uint8"), ("uint8", "uint16"), ("uint16", "int32"),
                                  ("uint16", "float32")])
def test_vision_to_dtype_scales_uint16(case):
    from ember.vision.transforms.v2 import functional as F

    src, dst = (getattr(ember, n) for n in case)
    x = ember.tensor([[[0, 1, 255, 256], [257, 4095, 65280, 65535]]]).to(ember.int64)
    img = x.clamp(max=255).to(src) if src is ember.uint8 else x.to(src)
    got = F.to_dtype(img, dst, scale=True)
    v = img.to(ember.int64).numpy()
    if dst is ember.float32:
        want = np.float32(v) * np.float32(1 / 65535)
    else:
        bits = {"uint8": 8, "uint16": 16, "int32": 31}
        s = bits[case[1]] - bits[case[0]]
        want = v << s if s > 0 else v >> -s
    assert got.dtype is dst
    assert np.array_equal(got.numpy(), np.asarray(want).astype(got.numpy().dtype))


LOGDET = ["T.ones(2, 2, dtype=T.long)", "T.ones(3, dtype=T.long)", "T.ones(2, 3)",
          "T.ones(2, 2, dtype=T.half)", "T.ones(2, 2, dtype=T.uint16)", "[[1.]]", "T.eye(2)"]


@pytest.mark.parametrize("arg", LOGDET)
def test_logdet_checks(arg):
    same(lambda T: T.logdet(eval(arg, {"T": T})))


CLOSE = [
    "T.testing.assert_close(T.tensor([1, 2], dtype=T.uint16), T.tensor([1, 2]), "
    "check_dtype=False)",
    "T.testing.assert_close(T.tensor([2**64 - 1], dtype=T.uint64), T.tensor([-1]), "
    "check_dtype=False)",
    "T.testing.assert_close(T.tensor([1, 2], dtype=T.uint16), T.tensor([1, 3], "
    "dtype=T.uint32), check_dtype=False)",
    "T.testing.assert_close(T.tensor(2, dtype=T.uint32), T.tensor(3, dtype=T.uint32))",
    "T.testing.assert_close(T.tensor(2, dtype=T.uint64), T.tensor(2**64 - 1, dtype=T.uint64))",
    # (a scalar's differences are those of its Python number, for every dtype)
    "T.testing.assert_close(T.tensor(2), T.tensor(3))",
    "T.testing.assert_close(T.tensor(2.), T.tensor(3.))",
    "T.testing.assert_close(T.tensor(2.5, dtype=T.float16), T.tensor(3, dtype=T.float16))",
]


@pytest.mark.parametrize("expr", CLOSE)
def test_assert_close(expr):
    same(lambda T: eval(expr, {"T": T}))
