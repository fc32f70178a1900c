"""Integer and bool arithmetic against PyTorch, bit for bit: alpha's range and wraparound,
gcd/lcm of the type's minimum, addcmul's value conversion, the parser's OverflowError for a
Python int no Scalar holds, NaN signs of empty means, and a small seeded fuzz of the integer
ops over full-range values, layouts and broadcasting."""

import numpy as np
import pytest
import torch

import ember
from diff import bits_outcome, same_bits

B = 2 ** 64


_run, _check = bits_outcome, same_bits


INT = ["uint8", "int8", "int16", "int32", "int64"]
ALPHAS = [-2, -255, -256, 255, 256, -129, 127, -128, 128, 2 ** 31, -2 ** 63, 2 ** 63 - 1,
          2 ** 63, B - 1, B, -B]


@pytest.mark.parametrize("dt", INT + ["bool"])
def test_alpha_range_and_wrap(dt):
    # alpha is converted (negated for sub) to the dtype the kernel computes in
    for al in ALPHAS + [True, "t"]:
        def cases(L, al=al):
            d = getattr(L, dt)
            al = L.tensor(-300) if al == "t" else al
            a, b = L.tensor([5, 0, 1], dtype=d), L.tensor([3, 1, 1], dtype=d)
            out = []
            for f in (lambda: a.sub(b, alpha=al), lambda: a.add(3, alpha=al),
                      lambda: a.sub(3, alpha=al), lambda: L.rsub(a, b, alpha=al),
                      lambda: L.rsub(a, 3, alpha=al),
                      lambda: a.clone().add_(b.to(L.uint8), alpha=al)):
                out.append(_run(L, lambda L: f()))
            return out
        assert cases(ember) == cases(torch), al


def test_float_alpha_extremes():
    # sub adds -alpha negated in int64's arithmetic; a huge product with a number is a float
    for al in (2 ** 63, B - 1, -2 ** 63, 2 ** 63 - 1, B):
        def cases(L, al=al):
            a = L.tensor([1., 2.])
            return [_run(L, lambda L, f=f: f()) for f in (
                lambda: a.add(a, alpha=al), lambda: a.sub(a, alpha=al),
                lambda: a.add(3, alpha=al), lambda: a.clone().add_(a, alpha=al),
                lambda: a.clone().sub_(2, alpha=al))]
        assert cases(ember) == cases(torch), al


@pytest.mark.parametrize("dt", ["int8", "int16", "int32", "int64"])
def test_gcd_lcm_of_the_minimum(dt):
    def f(L):
        d = getattr(L, dt)
        m = L.iinfo(d).min
        a = L.tensor([m, m, m, 0, 6, m, -1, 1, m + 1, 63], dtype=d)
        b = L.tensor([m, 0, 6, m, m, -1, m, m, m, m], dtype=d)
        return (L.gcd(a, b), L.lcm(a, b), L.gcd(a[:, None], b), L.gcd(a[2], b[2]),
                a.clone().gcd_(b), L.gcd(a[::2], b[1::2]))
    _check(f)


def test_gcd_inplace_wider_other():
    _check(lambda L: L.tensor([63, -128, 8], dtype=L.int8).gcd_(
        L.tensor([-2 ** 63, -2 ** 63, 6])))


@pytest.mark.parametrize("dt", ["uint8", "int8", "int32", "int64"])
def test_addcmul_value_conversion(dt):
    for v in (2.7, -1.5, -255, -256, 255.9, 256.0, -128.5, -129.0, 127.9, float("nan"),
              float("inf"), 2 ** 63 - 1, -2 ** 63, 2 ** 63, True, 1e300, B):
        def f(L, v=v):
            a = L.tensor([1, 2], dtype=getattr(L, dt))
            return L.addcmul(a, a, a, value=v)

        def g(L, v=v):
            a = L.tensor([1, 2], dtype=getattr(L, dt))
            return a.clone().addcmul_(a.long(), a.long(), value=v)

        def h(L, v=v):
            a = L.tensor([1, 2], dtype=getattr(L, dt))
            return a.clone().addcmul_(a, a, value=v)
        for fn in (f, g, h):
            _check(fn)


BIG = [
    lambda L: L.tensor([True, False]) - B, lambda L: B - L.tensor([True]),
    lambda L: L.tensor([True]) - (-B), lambda L: L.tensor([1, 2], dtype=L.int16) / B,
    lambda L: L.true_divide(L.tensor([3]), B), lambda L: L.tensor([True]) / B,
    lambda L: L.tensor([1, 2], dtype=L.int16).div_(B), lambda L: L.tensor([1]).sub_(B),
    lambda L: L.where(L.tensor([True, False]), B, 0),
    lambda L: L.where(L.tensor([True, False]), -B, 0),
    lambda L: L.where(L.tensor([True]), L.tensor([1]), B),
    lambda L: L.tensor([2], dtype=L.int8) ** B, lambda L: L.tensor([True]) ** B,
    lambda L: L.tensor([2]).pow_(B), lambda L: L.lerp(L.ones(2), L.ones(2), B),
    lambda L: L.lerp(L.ones(2).short(), L.ones(2).short(), B),
    lambda L: L.addcmul(L.ones(2).short(), L.ones(2).short(), L.ones(2).short(), value=B),
    lambda L: L.addcdiv(L.ones(2), L.ones(2), L.ones(2), value=-B),
    lambda L: L.ones(2).addcmul_(L.ones(2), L.ones(2), value=B),
    lambda L: L.ones(2).addcdiv_(L.ones(2), L.ones(2), value=B),
]


@pytest.mark.parametrize("i", range(len(BIG)))
def test_python_int_no_scalar_holds(i):
    _check(BIG[i])


def test_xlogy_number_in_tensor_dtype():
    for f in (lambda L: L.xlogy(L.tensor([31, 0, -2, 7]), 5),
              lambda L: L.xlogy(L.tensor([31., 0, -2, 7e30]), 5),
              lambda L: L.xlogy(L.tensor([31., 0, -2, 7e30]), -1.5),
              lambda L: L.xlogy(3.3, L.tensor([31., 0, -2, 7e30])),
              lambda L: L.xlogy(L.tensor([31., 0, -2]).double(), 5.1),
              lambda L: L.xlogy(L.tensor(31.), 5.1),
              lambda L: L.xlogy(L.tensor([[3, 4]], dtype=L.int16).T, 127)):
        _check(f)


def test_empty_mean_nan_sign():
    # mean's 0/0 is x86's negative NaN (bfloat16's conversion gives the positive one);
    # var_mean's and std_mean's mean comes out of the variance pass: positive
    for f in (lambda L: L.zeros(0).mean(), lambda L: L.zeros(0, 3).mean(0),
              lambda L: L.zeros(0).double().mean(), lambda L: L.zeros(0).half().mean(),
              lambda L: L.zeros(0).bfloat16().mean(),
              lambda L: L.zeros(0, dtype=L.int32).mean(dtype=L.float64),
              lambda L: L.zeros(0, dtype=L.complex64).mean(),
              lambda L: L.zeros(0, 3).mean(0, keepdim=True),
              lambda L: L.var_mean(L.zeros(0, 3), 0)[1], lambda L: L.std_mean(L.zeros(0))[1],
              lambda L: L.std_mean(L.zeros(0, 2, dtype=L.complex64), 0)[1],
              lambda L: L.var_mean(L.zeros(0, 3).half(), 0)[1],
              lambda L: L.var_mean(L.zeros(0, 3).bfloat16(), 0)[1]):
        _check(f)


def test_histc_int32_bound_name():
    _check(lambda L: L.histc(L.tensor([2 ** 31 - 1], dtype=L.int32), bins=3))
    _check(lambda L: L.histc(L.tensor([-2 ** 31], dtype=L.int32), bins=3))
    # (the range is checked against the type's bounds as doubles: int64's max is 2**63)
    _check(lambda L: L.histc(L.tensor([-1, 7, 2 ** 63 - 2, -2 ** 63]), bins=4))
    _check(lambda L: L.histc(L.tensor([0, 2 ** 63 - 1]), bins=4))


# --------------------------------------------------------------------------- the fuzz

DT = INT + ["bool"]
INFO = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-2 ** 31, 2 ** 31 - 1),
        "int64": (-2 ** 63, 2 ** 63 - 1), "uint8": (0, 255), "bool": (0, 1)}


def _gen(rng, dt, shape):
    lo, hi = INFO[dt]
    if dt == "bool":
        return rng.random(shape) > 0.5
    mode = rng.integers(3)
    if mode == 0:
        a = rng.integers(max(lo, -8), min(hi, 8) + 1, shape)
    elif mode == 1:
        a = rng.integers(lo, hi, shape, endpoint=True, dtype=np.int64)
    else:
        ch = np.array([lo, hi, 0, 1, -1 if lo < 0 else 2, lo + 1, hi - 1, 7, 8, 63, 64, 31,
                       32], dtype=np.int64)
        a = rng.choice(ch, shape)
    return np.asarray(a).astype(dt)


def _mk(lib, arr, layout):
    if not arr.ndim:
        return lib.tensor(arr.item(), dtype=getattr(lib, str(arr.dtype)))
    if layout == "t" and arr.ndim >= 2:
        return lib.from_numpy(np.ascontiguousarray(arr.swapaxes(-1, -2))).transpose(-1, -2)
    if layout == "s":
        return lib.from_numpy(np.ascontiguousarray(np.repeat(arr, 2, axis=-1)))[..., ::2]
    return lib.from_numpy(np.ascontiguousarray(arr))


def _shapes(rng):
    base = [(), (5,), (3, 4), (2, 3, 4), (0,), (2, 0)][rng.integers(6)]
    other = list(base)
    r = rng.random()
    if r < 0.3 and base:
        other[rng.integers(len(base))] = 1
    elif r < 0.45:
        other = list(base[-1:])
    elif r < 0.55:
        other = []
    return base, tuple(other)


BINARY = {
    "add": lambda L, a, b: a + b, "sub": lambda L, a, b: a - b, "mul": lambda L, a, b: a * b,
    "truediv": lambda L, a, b: a / b, "floordiv": lambda L, a, b: a // b,
    "mod": lambda L, a, b: a % b, "pow": lambda L, a, b: a ** b,
    "trunc": lambda L, a, b: L.div(a, b, rounding_mode="trunc"),
    "floor": lambda L, a, b: L.div(a, b, rounding_mode="floor"),
    "fmod": lambda L, a, b: L.fmod(a, b), "and": lambda L, a, b: a & b,
    "or": lambda L, a, b: a | b, "xor": lambda L, a, b: a ^ b, "lsh": lambda L, a, b: a << b,
    "rsh": lambda L, a, b: a >> b, "gcd": lambda L, a, b: L.gcd(a, b),
    "lcm": lambda L, a, b: L.lcm(a, b), "maximum": lambda L, a, b: L.maximum(a, b),
    "lt": lambda L, a, b: a < b, "clamp": lambda L, a, b: L.clamp(a, min=b),
    "where": lambda L, a, b: L.where(a > 0, a, b), "iadd": lambda L, a, b: a.clone().add_(b),
    "isub": lambda L, a, b: a.clone().sub_(b), "ipow": lambda L, a, b: a.clone().pow_(b),
    "igcd": lambda L, a, b: a.clone().gcd_(b), "idiv": lambda L, a, b: a.clone().div_(b),
    "add_alpha": lambda L, a, b: L.add(a, b, alpha=3),
    "sub_alpha": lambda L, a, b: L.sub(a, b, alpha=-2),
    "xlogy": lambda L, a, b: L.xlogy(a, b),
}


@pytest.mark.parametrize("seed", range(4))
def test_fuzz_binary(seed):
    rng = np.random.default_rng(seed)
    names = list(BINARY)
    for _ in range(150):
        name = names[rng.integers(len(names))]
        d1 = DT[rng.integers(6)]
        d2 = d1 if rng.random() < 0.5 else DT[rng.integers(6)]
        s1, s2 = _shapes(rng)
        if rng.random() < 0.5:
            s1, s2 = s2, s1
        a, b = _gen(rng, d1, s1), _gen(rng, d2, s2)
        l1, l2 = "cts"[rng.integers(3)], "cts"[rng.integers(3)]
        num = None
        if rng.random() < 0.15 and b.size:
            num = b.reshape(-1)[0].item()

        def fn(L, f=BINARY[name], a=a, b=b, l1=l1, l2=l2, num=num):
            return f(L, _mk(L, a, l1), _mk(L, b, l2) if num is None else num)
        assert _run(ember, fn) == _run(torch, fn), (name, d1, s1, l1, d2, s2, l2, num)
