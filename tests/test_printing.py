"""Tensor printing: every repr must equal PyTorch's, character for character.

Each case builds a NumPy array, prints it through ember and through
``torch.from_numpy`` and compares the two strings.  Suffix states that a CPU-only
PyTorch cannot produce (``device='cuda:0'``) are checked against known outputs.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

torch = pytest.importorskip("torch")

try:
    import ember._tensor_str  # noqa: F401
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from ember import _dtype as edtype  # noqa: E402
from ember._device import device as edevice  # noqa: E402
from ember._tensor_str import (  # noqa: E402
    get_printoptions,
    printoptions,
    set_printoptions,
    tensor_repr,
)

BF16 = np.dtype(ml_dtypes.bfloat16)

# Real ember tensors once the package builds them; a stand-in with the same
# attributes until then (and always for states a CPU machine can't make).
try:
    import ember

    _from_numpy = ember.from_numpy
except (ImportError, AttributeError):
    _from_numpy = None


class _GradFn:
    pass


def grad_fn_named(name):
    """An object whose class is called ``name``, like PyTorch's autograd nodes."""
    return type(name, (_GradFn,), {})()


class StandIn:
    """Carries exactly the attributes the printer reads from an ember tensor."""

    def __init__(self, arr, device="cpu", grad_fn=None, requires_grad=False):
        self._data = arr
        self.dtype = edtype.from_numpy_dtype(arr.dtype)
        self._device = edevice(device)
        self.grad_fn = grad_fn
        self.requires_grad = requires_grad or grad_fn is not None
        self.is_leaf = grad_fn is None
        self.shape = tuple(arr.shape)

    def __repr__(self):
        return tensor_repr(self)


def make(arr, **state):
    """An ember tensor (or stand-in) holding ``arr``."""
    if _from_numpy is not None and not state:
        return _from_numpy(arr)
    return StandIn(arr, **state)


def to_torch(arr):
    arr = arr.copy(order="C")  # (np.ascontiguousarray would make 0-d arrays 1-d)
    if arr.dtype == BF16:
        return torch.from_numpy(arr.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(arr)


def check(arr):
    expected = repr(to_torch(arr))
    got = repr(make(arr))
    assert got == expected, f"\n--- ember ---\n{got}\n--- torch ---\n{expected}"


@pytest.fixture(autouse=True)
def default_options():
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)
    edtype.set_default_dtype(edtype.float32)


# -- the corpus --------------------------------------------------------------------------

FLOATS = [np.float16, BF16, np.float32, np.float64]
INTS = [np.uint8, np.int8, np.int16, np.int32, np.int64]
ALL = FLOATS + INTS + [np.bool_]


def _corpus():
    rng = np.random.default_rng(1234)
    cases = []

    def add(name, a):
        cases.append(pytest.param(a, id=f"{len(cases)}-{name}"))

    # 0-d values of every dtype.
    scalars = [0.0, -0.0, 1.0, -1.0, 0.1, 3.14159, 1e-5, 2.5e10, 123456.0, float("nan"),
               float("inf"), float("-inf"), 1e-4, 1e8]
    for dt in FLOATS:
        for v in scalars:
            with np.errstate(over="ignore"):  # float16 turns 1e8 into inf: fine
                add(f"scalar-{np.dtype(dt).name}-{v}", np.array(v, dtype=dt))
    for dt in INTS:
        for v in (0, 7, 100):
            add(f"scalar-{np.dtype(dt).name}-{v}", np.array(v, dtype=dt))
    add("scalar-int8-neg", np.array(-128, dtype=np.int8))
    add("scalar-int64-big", np.array(-2**63, dtype=np.int64))
    add("scalar-bool-t", np.array(True))
    add("scalar-bool-f", np.array(False))

    # Small vectors whose style decision is the point.
    vectors = {
        "ints-as-floats": [1.0, 2.0, 3.0],
        "neg-ints-as-floats": [-1.0, 100.0, -2500.0],
        "big-ints-as-floats": [1e8, 2.0],
        "over-1e8": [1e9, 2.0],
        "ratio-1000": [1.0, 1000.0],
        "ratio-1001": [1.0, 1001.0],
        "ratio-frac": [0.5, 600.25],
        "tiny": [1e-5, 0.5],
        "exactly-1e-4": [1e-4, 0.05],
        "mixed-signs": [-1.5, 2.25, 0.0, -0.0],
        "negzero-only": [-0.0, 0.0],
        "negzero-frac": [-0.0, 1.5],
        "all-zero": [0.0, 0.0, 0.0],
        "nan-only": [float("nan"), float("nan")],
        "nan-zero": [0.0, float("nan")],
        "inf-ints": [1.0, float("inf"), -float("inf")],
        "inf-frac": [1.5, float("nan"), -float("inf")],
        "inf-sci": [1e-7, float("inf"), 3.0],
        "round-up": [9.99996, 0.5],
        "round-half": [0.00005, 0.5, 2.5],
        "huge": [1e30, -1e-30, 5.0],
        "negative-sci": [-1e-20, 1.0],
        "thirds": [1 / 3, 2 / 3, -1 / 3],
        "tenths": [0.1, 0.2, 0.3, 0.7],
    }
    for name, vals in vectors.items():
        for dt in (np.float32, np.float64):
            add(f"{name}-{np.dtype(dt).name}", np.array(vals, dtype=dt))
    for dt in (np.float16, BF16):
        for name in ("ints-as-floats", "ratio-1001", "tiny", "inf-frac", "tenths",
                     "negzero-frac", "thirds"):
            add(f"{name}-{np.dtype(dt).name}", np.array(vectors[name], dtype=dt))
    add("float16-extremes", np.array([65504.0, 6e-8, -1.0], dtype=np.float16))
    add("bfloat16-big", np.array([1e30, 3.0, -7.5], dtype=BF16))

    # Integers, bools.
    add("uint8-range", np.array([0, 1, 255, 17], dtype=np.uint8))
    add("int8-range", np.array([-128, 0, 127], dtype=np.int8))
    add("int16", np.array([-32768, 5, 32767], dtype=np.int16))
    add("int32", np.array([[-2**31, 1], [2**31 - 1, -7]], dtype=np.int32))
    add("int64-extremes", np.array([-2**63, 0, 2**63 - 1], dtype=np.int64))
    add("int64-matrix", rng.integers(-1000, 1000, (4, 5)).astype(np.int64))
    add("bool-vector", np.array([True, False, True]))
    add("bool-matrix", rng.random((3, 4)) > 0.5)
    add("bool-all-true", np.ones((2, 2), dtype=bool))

    # Random values of every dtype over shapes 1-d to 4-d.
    for dt in ALL:
        for shape in [(5,), (2, 3), (2, 3, 4), (2, 2, 2, 3)]:
            if np.dtype(dt) == np.bool_:
                a = rng.random(shape) > 0.5
            elif np.dtype(dt).kind in "ui":
                info = np.iinfo(dt)
                a = rng.integers(max(info.min, -500), min(info.max, 500), shape).astype(dt)
            else:
                a = (rng.standard_normal(shape) * 3).astype(np.float32).astype(dt)
            add(f"random-{np.dtype(dt).name}-{len(shape)}d", a)

    # Empty tensors.
    for dt in (np.float32, np.float64, np.int64, np.bool_, np.int32, np.float16):
        for shape in [(0,), (0, 3), (2, 0, 4)]:
            add(f"empty-{np.dtype(dt).name}-{shape}", np.zeros(shape, dtype=dt))

    # Around the summarisation threshold and edgeitems.
    add("1000-elements", rng.standard_normal(1000).astype(np.float32))
    add("1001-elements", rng.standard_normal(1001).astype(np.float32))
    add("10x100", rng.standard_normal((10, 100)).astype(np.float32))
    add("10x101", rng.standard_normal((10, 101)).astype(np.float32))
    add("2x3x167", rng.standard_normal((2, 3, 167)).astype(np.float32))
    add("7x7x7x7-int", np.arange(7 ** 4, dtype=np.int64).reshape(7, 7, 7, 7))
    add("6x200-int", np.arange(1200, dtype=np.int32).reshape(6, 200))
    add("1001x1", rng.standard_normal((1001, 1)))
    add("2x1000-tails", np.concatenate([rng.standard_normal((2, 3)) * 1e-6,
                                        np.zeros((2, 994)),
                                        rng.standard_normal((2, 3))], axis=1))
    # Elided entries must not decide the style: huge values only in the middle.
    mid = np.full(2000, 0.5)
    mid[500:1500] = 1e12
    add("elided-huge", mid)
    add("summarised-bool", rng.random(1500) > 0.5)
    add("summarised-nan", np.where(rng.random(1200) > 0.9, np.nan, 1.0))

    # Long rows that wrap at 80 columns.
    add("long-row-float", rng.standard_normal(50).astype(np.float32))
    add("long-row-sci", (rng.standard_normal(30) * 1e-6).astype(np.float64))
    add("long-row-int", rng.integers(-10 ** 12, 10 ** 12, 40))
    add("wide-matrix", rng.standard_normal((3, 30)).astype(np.float32))
    add("wide-3d", rng.standard_normal((2, 2, 25)).astype(np.float32))
    add("wide-4d", rng.integers(0, 100, (2, 2, 2, 30)).astype(np.int16))
    add("long-bool", rng.random(40) > 0.5)
    add("column", np.arange(5, dtype=np.float32).reshape(5, 1))
    add("ints-with-nan-matrix", np.array([[1.0, np.nan], [-np.inf, 30.0]]))
    return cases


CORPUS = _corpus()


def test_corpus_is_big_enough():
    assert len(CORPUS) >= 150


@pytest.mark.parametrize("arr", CORPUS)
def test_matches_torch(arr):
    check(arr)


def test_str_equals_repr():
    t = make(np.array([1.5, 2.0], dtype=np.float32))
    assert str(t) == repr(t) == "tensor([1.5000, 2.0000])"


# -- print options -----------------------------------------------------------------------

OPTION_SETS = [
    dict(precision=2),
    dict(precision=8),
    dict(precision=0),
    dict(sci_mode=True),
    dict(sci_mode=False),
    dict(precision=2, sci_mode=True),
    dict(threshold=5),
    dict(threshold=5, edgeitems=1),
    dict(threshold=5, edgeitems=0),
    dict(threshold=0),
    dict(edgeitems=0),
    dict(linewidth=40),
    dict(linewidth=20, precision=6),
    dict(profile="short"),
    dict(profile="full"),
    dict(profile="full", linewidth=120),
    dict(profile="short", precision=5, sci_mode=False),
]

# Every fifth corpus case, plus the ones where summarising shows.
OPTION_CORPUS = CORPUS[::5] + [p for p in CORPUS if any(
    k in p.id for k in ("1001", "10x101", "elided", "7x7", "summarised"))]


def _opts_id(opts):
    return ",".join(f"{k}={v}" for k, v in opts.items())


@pytest.mark.parametrize("opts", OPTION_SETS, ids=_opts_id)
def test_options_match_torch(opts):
    set_printoptions(**opts)
    torch.set_printoptions(**opts)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    for p in OPTION_CORPUS:
        check(p.values[0])


def test_get_printoptions_default():
    assert get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                  "linewidth": 80, "sci_mode": None}
    assert get_printoptions() == torch._tensor_str.get_printoptions()


def test_set_printoptions_semantics():
    set_printoptions(precision=6, sci_mode=True)
    set_printoptions(linewidth=50)  # sci_mode goes back to None, precision stays
    assert get_printoptions() == {"precision": 6, "threshold": 1000, "edgeitems": 3,
                                  "linewidth": 50, "sci_mode": None}
    set_printoptions(profile="full")
    assert get_printoptions()["threshold"] == math.inf
    set_printoptions(profile="short", edgeitems=4)
    assert get_printoptions() == {"precision": 2, "threshold": 1000, "edgeitems": 4,
                                  "linewidth": 80, "sci_mode": None}
    set_printoptions(**get_printoptions())  # round-trips
    assert get_printoptions()["edgeitems"] == 4


def test_printoptions_context_restores():
    with printoptions(precision=1):
        assert repr(make(np.array([1.25], dtype=np.float32))) == "tensor([1.2])"
    assert get_printoptions()["precision"] == 4


def test_torch_docs_example():
    set_printoptions(precision=2)
    assert repr(make(np.array([1.12345], dtype=np.float32))) == "tensor([1.12])"
    set_printoptions(threshold=5)
    assert repr(make(np.arange(10))) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    set_printoptions(profile="default")
    assert repr(make(np.arange(10))) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"


# -- default dtype -----------------------------------------------------------------------

@pytest.mark.parametrize("default", ["float64", "float16", "bfloat16"])
def test_dtype_suffix_follows_default_dtype(default):
    torch.set_default_dtype(getattr(torch, default))
    edtype.set_default_dtype(getattr(edtype, default))
    for dt in ALL:
        check(np.array([1, 0, 1], dtype=dt))
        check(np.zeros((0,), dtype=dt))
        check(np.zeros((2, 0), dtype=dt))


def test_dtype_suffix_default():
    assert repr(make(np.array([1.0]))) == "tensor([1.], dtype=torch.float64)"
    assert repr(make(np.array([1.0], dtype=np.float32))) == "tensor([1.])"
    assert repr(make(np.array([1]))) == "tensor([1])"
    assert repr(make(np.array([1], dtype=np.int32))) == "tensor([1], dtype=torch.int32)"
    assert repr(make(np.array([True]))) == "tensor([True])"
    assert repr(make(np.zeros((0, 3)))) == "tensor([], size=(0, 3), dtype=torch.float64)"
    assert repr(make(np.zeros(0, dtype=np.int64))) == "tensor([], dtype=torch.int64)"


# -- suffixes ----------------------------------------------------------------------------

SUFFIX_ARRAYS = [
    np.array([1.5, -2.0], dtype=np.float32),
    np.array(3.0, dtype=np.float32),
    np.array([1.0, 2.0]),
    np.zeros((0,), dtype=np.float32),
    np.zeros((0, 2)),
    np.array([[0.1234567, 2.5] * 4] * 2, dtype=np.float32),     # last line nearly full
    np.linspace(-1, 1, 9, dtype=np.float32).reshape(1, 9),      # last line 67 chars
    np.linspace(-1, 1, 10, dtype=np.float32),                   # one line, 79 chars
    np.linspace(-1, 1, 11, dtype=np.float32),                   # wraps
    np.linspace(-1, 1, 2000, dtype=np.float64).reshape(2, 1000),
    np.array([1e-8, 1.0], dtype=np.float16),
]


def _torch_with_grad_fn(arr):
    x = to_torch(arr).requires_grad_()
    return x * 1  # MulBackward0


@pytest.mark.parametrize("i", range(len(SUFFIX_ARRAYS)))
@pytest.mark.parametrize("linewidth", [80, 60])
def test_requires_grad_and_grad_fn_suffixes(i, linewidth):
    arr = SUFFIX_ARRAYS[i]
    set_printoptions(linewidth=linewidth)
    torch.set_printoptions(linewidth=linewidth)

    leaf = to_torch(arr).requires_grad_()
    assert repr(StandIn(arr, requires_grad=True)) == repr(leaf)

    out = _torch_with_grad_fn(arr)
    name = type(out.grad_fn).__name__
    assert repr(StandIn(arr, grad_fn=grad_fn_named(name))) == repr(out)


def test_suffix_wrapping_boundaries():
    # Sweep the last line's length across the 80-column limit for every suffix mix.
    for value in (1.0, 1.5, 10.5, -100.5, 12345.5):
        for dt in (np.float32, np.float64):
            for shape in [(n,) for n in range(1, 14)] + [(2, n) for n in range(1, 13)]:
                arr = np.full(shape, value, dtype=dt)
                leaf = to_torch(arr).requires_grad_()
                got = repr(StandIn(arr, requires_grad=True))
                assert got == repr(leaf), got
                out = leaf * 1
                got = repr(StandIn(arr, grad_fn=grad_fn_named("MulBackward0")))
                assert got == repr(out), got


def test_addmm_grad_fn():
    rng = np.random.default_rng(0)
    for rows, cols in [(2, 3), (2, 9), (3, 12), (2, 600)]:
        b = rng.standard_normal(cols).astype(np.float32)
        x = rng.standard_normal((rows, 4)).astype(np.float32)
        w = rng.standard_normal((4, cols)).astype(np.float32)
        out = torch.addmm(torch.from_numpy(b).requires_grad_(), torch.from_numpy(x),
                          torch.from_numpy(w))
        assert type(out.grad_fn).__name__ == "AddmmBackward0"
        arr = out.detach().numpy()
        assert repr(StandIn(arr, grad_fn=grad_fn_named("AddmmBackward0"))) == repr(out)


def test_real_ember_autograd_suffixes():
    needed = ("addmm", "mul")
    if _from_numpy is None or not all(hasattr(ember, n) for n in needed):
        pytest.skip("ember tensors with autograd are not built yet")
    rng = np.random.default_rng(3)
    b = rng.standard_normal(5).astype(np.float32)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    w = rng.standard_normal((4, 5)).astype(np.float32)
    eb, tb = ember.from_numpy(b.copy()).requires_grad_(), torch.from_numpy(b).requires_grad_()
    assert repr(eb) == repr(tb)
    eo = ember.addmm(eb, ember.from_numpy(x), ember.from_numpy(w))
    to = torch.addmm(tb, torch.from_numpy(x), torch.from_numpy(w))
    assert repr(eo) == repr(to)
    assert repr(ember.mul(eo, 2.0)) == repr(torch.mul(to, 2.0))


def test_cuda_grad_fn_wraps_onto_its_own_line():
    rng = np.random.default_rng(7)
    a = (rng.standard_normal((2, 1000)) * 0.01).astype(np.float32)
    a[0, :3] = [-0.0093, -0.0258, -0.0099]
    a[0, -3:] = [0.0122, -0.0083, -0.0249]
    a[1, :3] = [-0.0196, -0.0290, 0.0258]
    a[1, -3:] = [0.0148, 0.0051, 0.0068]
    t = StandIn(a, device="cuda:0", grad_fn=grad_fn_named("SliceBackward0"))
    assert repr(t) == (
        "tensor([[-0.0093, -0.0258, -0.0099,  ...,  0.0122, -0.0083, -0.0249],\n"
        "        [-0.0196, -0.0290,  0.0258,  ...,  0.0148,  0.0051,  0.0068]],\n"
        "       device='cuda:0', grad_fn=<SliceBackward0>)")


def test_cuda_short_stays_on_one_line():
    t = StandIn(np.array([-0.0026, -0.0258], dtype=np.float32), device="cuda:0",
                grad_fn=grad_fn_named("SliceBackward0"))
    assert repr(t) == "tensor([-0.0026, -0.0258], device='cuda:0', grad_fn=<SliceBackward0>)"


class _FakeCupy:
    """A non-NumPy device array: the printer must ask it for a host copy."""

    copied = []  # sizes of the host copies made

    def __init__(self, a):
        self._a = a
        self.shape, self.dtype, self.size, self.ndim = a.shape, a.dtype, a.size, a.ndim

    def __getitem__(self, index):
        return _FakeCupy(self._a[index])

    def get(self):
        _FakeCupy.copied.append(self._a.size)
        return self._a.copy()


def test_device_array_is_summarised_before_the_copy():
    a = np.linspace(-1, 1, 20000, dtype=np.float32).reshape(100, 200)
    t = StandIn(a, device="cuda:0")
    expected = repr(t)
    assert expected.startswith(repr(to_torch(a))[:-1] + ",\n       device='cuda:0')")
    t._data = _FakeCupy(a)
    _FakeCupy.copied.clear()
    assert repr(t) == expected
    assert _FakeCupy.copied == [9, 9, 9, 9]  # the four corners, nothing else
    t = StandIn(np.array(2.5), device="cuda:0")
    t._data = _FakeCupy(t._data)
    assert repr(t) == "tensor(2.5000, device='cuda:0', dtype=torch.float64)"


def test_cuda_suffix_order():
    t = StandIn(np.array([1, 2], dtype=np.int32), device="cuda:0")
    t._data = _FakeCupy(t._data)
    assert repr(t) == "tensor([1, 2], device='cuda:0', dtype=torch.int32)"
    t = StandIn(np.array([1.0, 2.0]), device="cuda:1", requires_grad=True)
    assert repr(t) == "tensor([1., 2.], device='cuda:1', dtype=torch.float64, requires_grad=True)"
    t = StandIn(np.zeros((0, 4), dtype=np.float16), device="cuda:0",
                grad_fn=grad_fn_named("ViewBackward0"))
    assert repr(t) == ("tensor([], device='cuda:0', size=(0, 4), dtype=torch.float16,\n"
                       "       grad_fn=<ViewBackward0>)")


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int64, np.bool_])
@pytest.mark.parametrize("shape", [(), (0,), (2, 3)])
def test_meta_tensors(dt, shape):
    arr = np.zeros(shape, dtype=dt)
    grad = np.dtype(dt).kind == "f"
    expected = torch.empty(shape, dtype=to_torch(arr).dtype, device="meta").requires_grad_(grad)
    assert repr(StandIn(arr, device="meta", requires_grad=grad)) == repr(expected)


def test_strided_arrays():
    # Views over NumPy memory: transposed, reversed, stepped.
    base = np.arange(60, dtype=np.float32).reshape(3, 4, 5) / 3
    for arr in (base.T, base[::-1, :, ::2], base[:, 1], np.arange(3000)[::-2],
                np.broadcast_to(np.float64(1.5), (4, 3))):
        expected = repr(to_torch(arr))
        assert repr(StandIn(arr)) == expected


def test_size_suffix_when_edgeitems_zero():
    for opts in (dict(edgeitems=0), dict(edgeitems=0, threshold=3)):
        set_printoptions(**opts)
        torch.set_printoptions(**opts)
        for arr in SUFFIX_ARRAYS[:3] + [np.arange(12).reshape(3, 4)]:
            assert repr(StandIn(arr, requires_grad=arr.dtype.kind == "f")) == repr(
                to_torch(arr).requires_grad_(arr.dtype.kind == "f"))


def test_tensor_contents_and_prefix():
    arr = np.array([1.0, 2.0])
    expected = to_torch(arr).__repr__(tensor_contents="[custom]")
    assert tensor_repr(StandIn(arr), tensor_contents="[custom]") == expected

    class MyT(torch.Tensor):
        pass

    sub = torch.Tensor._make_subclass(MyT, to_torch(np.arange(30, dtype=np.float32) / 7))
    assert tensor_repr(StandIn(np.arange(30, dtype=np.float32) / 7), prefix="MyT(") == repr(sub)


def test_parameter_layout():
    arr = np.array([[0.5, -1.25], [3.0, 4.0]], dtype=np.float32)
    param = torch.nn.Parameter(to_torch(arr))
    assert "Parameter containing:\n" + tensor_repr(StandIn(arr, requires_grad=True)) == repr(param)


def test_invalid_grad_fn():
    class Broken(StandIn):
        @property
        def grad_fn(self):
            raise RuntimeError("view modified in place")

        @grad_fn.setter
        def grad_fn(self, value):
            pass

    assert repr(Broken(np.array([1.0], dtype=np.float32))) == "tensor([1.], grad_fn=<Invalid>)"


# -- randomised --------------------------------------------------------------------------

_float_elems = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.floats(-10, 10, width=32),
    st.integers(-1000, 1000).map(float),
    st.sampled_from([0.0, -0.0, 1e-5, 1e-4, 1e8, 1e9, 0.5, 1000.0]),
)


@st.composite
def _arrays(draw):
    kind = draw(st.sampled_from(["float32", "float64", "int32", "int64", "float16"]))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=9))
    if kind.startswith("int"):
        elems = st.integers(-(2 ** 31), 2 ** 31 - 1) | st.integers(-50, 50)
    elif kind == "float16":
        elems = st.floats(allow_nan=True, allow_infinity=True, width=16)
    else:
        elems = _float_elems
    return draw(hnp.arrays(np.dtype(kind), shape, elements=elems))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(arr=_arrays(), threshold=st.sampled_from([1000, 20]), edgeitems=st.sampled_from([3, 1]),
       precision=st.sampled_from([4, 2]), linewidth=st.sampled_from([80, 45]))
def test_random_arrays_match_torch(arr, threshold, edgeitems, precision, linewidth):
    opts = dict(threshold=threshold, edgeitems=edgeitems, precision=precision,
                linewidth=linewidth)
    try:
        set_printoptions(**opts)
        torch.set_printoptions(**opts)
        check(arr)
    finally:
        set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
