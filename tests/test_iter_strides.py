"""The strides of elementwise results (PyTorch's TensorIterator layout), differential vs torch:
permuted, sliced, expanded and broadcast inputs, size-1 dims with any stride, numbers,
type promotion, channels-last, ``out=`` and in-place ops."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _layout(rng, shape):
    """Random strides for ``shape``: dense in a random order, maybe with gaps (a slice),
    expanded dims (stride 0), and any stride on size-1 dims."""
    n = len(shape)
    perm = rng.permutation(n)
    strides = [0] * n
    z = 1
    for d in perm[::-1]:
        strides[d] = z
        z *= max(shape[d], 1) * (2 if rng.random() < 0.15 else 1)
    for d in range(n):
        if shape[d] == 1 and rng.random() < 0.5:
            strides[d] = int(rng.integers(0, 30))
        elif shape[d] > 1 and rng.random() < 0.1:
            strides[d] = 0
    return strides


def _make(lib, shape, strides, dtype, seed):
    n = 1 + sum((s - 1) * t for s, t in zip(shape, strides) if s > 0)
    vals = np.random.default_rng(seed).standard_normal(n + 3) * 3
    base = lib.tensor(vals.astype(dtype))
    return base.as_strided(shape, strides, 3 if seed % 3 == 0 else 0)


def _operand_shape(rng, shape):
    if not shape:
        return ()
    shape = [s if rng.random() < 0.6 else 1 for s in shape]
    drop = int(rng.integers(0, len(shape) + 1)) if rng.random() < 0.3 else 0
    return tuple(shape[drop:])


_BINARY = [
    lambda L, a, b: a + b, lambda L, a, b: a * b, lambda L, a, b: L.sub(a, b, alpha=2),
    lambda L, a, b: a / b, lambda L, a, b: L.maximum(a, b), lambda L, a, b: a < b,
    lambda L, a, b: a == b, lambda L, a, b: L.atan2(a, b),
    lambda L, a, b: L.logical_and(a, b),
]
_UNARY = [
    lambda L, a: -a, lambda L, a: a.relu(), lambda L, a: a.exp(), lambda L, a: a.abs(),
    lambda L, a: a.sign(), lambda L, a: a.floor(), lambda L, a: a.sigmoid(),
    lambda L, a: a * 2, lambda L, a: 2 - a, lambda L, a: a ** 2, lambda L, a: a > 0.5,
    lambda L, a: a.clamp(-1, 1), lambda L, a: L.logical_not(a), lambda L, a: 2 ** a,
]
_TERNARY = [
    lambda L, a, b, c: L.where(a > 0, b, c), lambda L, a, b, c: L.addcmul(a, b, c, value=2),
    lambda L, a, b, c: L.lerp(a, b, c), lambda L, a, b, c: L.clamp(a, b, c),
    lambda L, a, b, c: L.addcdiv(a, b, c), lambda L, a, b, c: L.where(a > 0, b, 1.5),
]


def _case(seed):
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(0, 6))
    # (no 0-size dims: ember reports contiguous strides for every empty tensor)
    shape = tuple(int(rng.choice([1, 1, 2, 3])) for _ in range(ndim))
    arity = int(rng.integers(1, 4))
    ops = {1: _UNARY, 2: _BINARY, 3: _TERNARY}[arity]
    op = ops[int(rng.integers(0, len(ops)))]
    specs = []
    for i in range(arity):
        s = shape if i == 0 and rng.random() < 0.5 else _operand_shape(rng, shape)
        dt = "float32"
        if arity == 2 and rng.random() < 0.2:  # type promotion
            dt = str(rng.choice(["float64", "int64"]))
        specs.append((s, _layout(rng, s), dt, seed * 7 + i))
    return op, specs


def _run(lib, op, specs):
    ts = [_make(lib, *spec) for spec in specs]
    return op(lib, *ts)


def _summary(r):
    try:
        r.view(-1)
        view = True
    except RuntimeError:
        view = False
    return tuple(r.shape), r.stride(), r.is_contiguous(), view, str(r.dtype).split(".")[-1]


@pytest.mark.parametrize("chunk", range(6))
def test_fuzz_against_torch(chunk):
    bad = []
    for seed in range(chunk * 600, chunk * 600 + 600):
        op, specs = _case(seed)
        try:
            want = _run(torch, op, specs)
        except RuntimeError:
            continue
        got = _run(ember, op, specs)
        if _summary(got) != _summary(want):
            bad.append((seed, [s[:3] for s in specs], _summary(got), _summary(want)))
            continue
        np.testing.assert_allclose(got.detach().to(ember.float64).numpy(),
                                   want.detach().double().numpy(), rtol=1e-4, atol=1e-5,
                                   equal_nan=True)
    assert not bad, bad[:5]


def _pair(fn):
    """``fn(lib)`` on both libraries: the results' strides and contiguity must agree."""
    got, want = fn(ember), fn(torch)
    assert got.stride() == want.stride()
    assert got.is_contiguous() == want.is_contiguous()
    assert got.is_contiguous(memory_format=ember.channels_last) == \
        want.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("case", [
    lambda L: L.ones(2, 3, 4, 5).to(memory_format=L.channels_last) + 1,
    lambda L: L.ones(2, 3, 4, 5).to(memory_format=L.channels_last).relu(),
    lambda L: L.ones(2, 3, 4, 5).to(memory_format=L.channels_last) + L.ones(2, 3, 4, 5),
    lambda L: L.ones(2, 3, 4, 5) + L.ones(2, 3, 4, 5).to(memory_format=L.channels_last),
    lambda L: L.ones(2, 3, 4, 5).to(memory_format=L.channels_last) + L.ones(3, 1, 1),
    lambda L: L.ones(2, 3, 4, 5).to(memory_format=L.channels_last) * L.ones(1, 3, 1, 1),
    lambda L: L.ones(2, 3, 1, 1).to(memory_format=L.channels_last) * L.ones(2, 3, 1, 1),
    lambda L: L.ones(2, 4, 5, 1).permute(0, 3, 1, 2) - 2,  # (C == 1)
    lambda L: L.ones(2, 4, 5, 1).permute(0, 3, 1, 2) * L.ones(1, 1, 4, 5),
    lambda L: L.ones(2, 3, 4, 5, 6).to(memory_format=L.channels_last_3d).sigmoid(),
    lambda L: L.where(L.ones(2, 3, 4, 5).to(memory_format=L.channels_last) > 0, 1.0, 0.0),
    lambda L: L.ones(2, 3, 4, 5, dtype=L.int64).to(memory_format=L.channels_last).sin(),
    lambda L: L.ones(2, 3, 4, 5).to(memory_format=L.channels_last) + L.ones(2, 3, 4, 5,
                                                                          dtype=L.float64),
])
def test_channels_last(case):
    _pair(case)


@pytest.mark.parametrize("case", [
    lambda L: L.ones(3, 4).t() + L.ones(4, 3, dtype=L.float64),   # promoted operand
    lambda L: L.ones(3, 1).expand(3, 4).double() + L.ones(4, 3).t(),
    lambda L: L.ones(3, 1).expand(3, 4) + L.ones(4, 3, dtype=L.float64).t(),
    lambda L: L.ones(4, 3, dtype=L.int64).t() / 2,
    lambda L: L.ones(4, 3, dtype=L.int64).t().sin(),
    lambda L: L.ones(2, 3).t() + L.tensor(1.0),
    lambda L: L.tensor(2) * L.ones(2, 3, 4).permute(2, 0, 1),
    lambda L: L.ones(2, 3, 4).permute(2, 0, 1)[::2] * L.ones(3),
])
def test_promotion_and_scalars(case):
    _pair(case)


def test_out_and_inplace_keep_or_take_strides():
    for lib in (ember, torch):
        a = lib.ones(4, 3).t()
        out = lib.empty(0)
        lib.add(a, 1, out=out)  # resized: the functional result's strides
        kept = lib.empty(4, 3).t().contiguous()
        lib.mul(a, a, out=kept)  # right shape: its own strides
        b = lib.ones(4, 3).t()
        b.add_(lib.ones(3, 4))
        c = lib.ones(3, 1, 4)[:, :, ::2]
        c.mul_(2)
        if lib is ember:
            got = (out.stride(), kept.stride(), b.stride(), c.stride())
        else:
            want = (out.stride(), kept.stride(), b.stride(), c.stride())
    assert got == want


def test_reshape_records_what_torch_records():
    for lib in (ember, torch):
        x = lib.ones(3, 4, requires_grad=True)
        y = (x.t() * 2).reshape(-1)
        z = (x.t() * x.t()).reshape(12)
        name = (type(y.grad_fn).__name__, type(z.grad_fn).__name__)
        if lib is ember:
            got = (name, y.grad_fn.name(), z.grad_fn.name())
        else:
            want = (name, y.grad_fn.name(), z.grad_fn.name())
    assert got[1:] == want[1:]


def _permuted(L, device="cpu"):
    x = L.arange(24.0, device=device).reshape(2, 3, 4).permute(2, 0, 1) - 10
    y = L.arange(3.0, device=device).reshape(3, 1, 1).permute(1, 2, 0)
    return x, y


_MANY = {
    "isnan": lambda L, x, y: x.isnan(), "signbit": lambda L, x, y: x.signbit(),
    "tanh": lambda L, x, y: x.tanh(), "gelu": lambda L, x, y: L.nn.functional.gelu(x),
    "elu": lambda L, x, y: L.nn.functional.elu(x),
    "softplus": lambda L, x, y: L.nn.functional.softplus(x),
    "bitand": lambda L, x, y: x.long() & y.long(), "pow": lambda L, x, y: x.abs() ** y,
    "remainder": lambda L, x, y: x % 3, "floordiv": lambda L, x, y: x // y.clamp(1),
    "hypot": lambda L, x, y: L.hypot(x, y), "y_mul": lambda L, x, y: y * x,
    "half": lambda L, x, y: x.half() + 1, "bf16": lambda L, x, y: x.bfloat16() * y.bfloat16(),
    "complex": lambda L, x, y: (x * 1j) + 1, "abs_complex": lambda L, x, y: (x * 1j).abs(),
    "invert": lambda L, x, y: ~(x > 0), "logical_or": lambda L, x, y: L.logical_or(x, y),
    "neg_int": lambda L, x, y: -(x.long()), "sign_int": lambda L, x, y: x.long().sign(),
    "sin_int": lambda L, x, y: x.long().sin(), "clamp_t": lambda L, x, y: x.clamp(min=y),
    "int_div": lambda L, x, y: x.long() / 2, "mixed": lambda L, x, y: x.int() + y.long(),
    "nan_to_num": lambda L, x, y: x.nan_to_num(), "frac": lambda L, x, y: x.frac(),
    "to_double": lambda L, x, y: x.double(),
}


@pytest.mark.parametrize("name", sorted(_MANY))
def test_more_ops_on_permuted_inputs(name):
    _pair(lambda L: _MANY[name](L, *_permuted(L)))


def test_to_keeps_size1_strides():
    _pair(lambda L: L.arange(8).as_strided((1, 1, 1, 2, 1), (4, 1, 1, 1, 1)).float())
    _pair(lambda L: L.atan2(L.arange(8).as_strided((1, 1, 1, 2, 1), (4, 1, 1, 1, 1)),
                            L.arange(8).as_strided((1, 1, 1, 1, 1), (1, 9, 7, 8, 4))))


@pytest.mark.parametrize("fn", [
    lambda L, x, y: x + 1, lambda L, x, y: x * y, lambda L, x, y: x.exp(),
    lambda L, x, y: L.where(x > 0, x, 0.0), lambda L, x, y: x < y,
    lambda L, x, y: L.addcmul(x, x, y), lambda L, x, y: -x, lambda L, x, y: x.relu(),
])
def test_meta_and_device_arrays(fn):
    want = fn(torch, *_permuted(torch)).stride()
    assert fn(ember, *_permuted(ember, "meta")).stride() == want
    from ember import _device

    with _device._simulate_cuda():  # (arrays that are not NumPy's, as CuPy's)
        got = fn(ember, *_permuted(ember, "cuda"))
        assert type(got._data).__name__ == "SimArray"
        assert got.stride() == want


@pytest.mark.parametrize("fn", [
    lambda L, x, y: x.sin_(), lambda L, x, y: x.relu_(), lambda L, x, y: x.clamp_(0, 1),
    lambda L, x, y: x.lerp_(x, 0.5), lambda L, x, y: x.addcmul_(x, x),
    lambda L, x, y: L.maximum(x, y, out=L.empty(0)), lambda L, x, y: L.lt(x, y, out=L.empty(0,
                                                                             dtype=L.bool)),
    lambda L, x, y: L.where(x > 0, x, y, out=L.empty(0)), lambda L, x, y: L.sin(x, out=L.empty(0)),
    lambda L, x, y: L.atan2(x, y, out=L.empty(0)),
])
def test_inplace_and_resized_out(fn):
    def run(L):
        x, y = L.ones(4, 1, 3).permute(2, 1, 0), L.ones(3, 1, 1)
        r = fn(L, x, y)
        return r
    _pair(run)


@pytest.mark.parametrize("shape,view,target", [
    ((1, 1), "unsqueeze", (3, 1, 1)),
    ((3, 1, 4), None, (3, 2, 4)),
    ((2, 1, 1), None, (-1, 1, 5)),
    ((4, 1), "slice", (4, 1)),
    ((1, 5), "unsqueeze", (2, 3, 1, 5)),
], ids=str)
def test_expand_keeps_the_strides_of_size_one_dims_it_does_not_widen(shape, view, target):
    """PyTorch's expand: stride 0 for new and widened dims; a size-1 dim kept at size 1 keeps
    its stride (NumPy's broadcast_to would give it 0).  The strides decide, for one, whether
    matmul folds a stack into one mm."""
    got = []
    for mod in (torch, ember):
        t = mod.zeros(shape)
        t = t[None] if view == "unsqueeze" else t[:, :1] if view == "slice" else t
        got.append(t.expand(*target).stride())
    assert got[0] == got[1]


def test_matmul_of_an_expanded_stack_with_one_term_sums_as_bmm():
    """A stack PyTorch cannot fold into rows goes through bmm, whose one-term sums start
    from +0: no -0 where the folded mm would keep one."""
    a = np.ones((5, 1), np.float32)
    a[::2] = 0
    b = -np.ones((1, 7), np.float32)
    got = [mod.matmul(mod.tensor(a)[None].expand(3, 5, 1), mod.tensor(b)).numpy()
           for mod in (torch, ember)]
    np.testing.assert_array_equal(got[0].view(np.uint32), got[1].view(np.uint32))
