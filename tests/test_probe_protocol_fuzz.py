"""Tensor's Python protocols (format specs, conversions, builtins, operators with Python and
NumPy scalars, copies), fuzzed against PyTorch; plus the cases the fuzzing found: a NumPy
bool taken for a float in every Scalar argument, complex ``pow`` through ``exp(y * log(x))``,
device ordering against other types, unhashable ``finfo``/``iinfo``."""
import copy
import math
import operator
import random
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402


def _run(fn, mod):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = fn(mod)
            out = (type(r).__name__, repr(r).replace("ember", "torch"),
                   str(getattr(r, "dtype", "")))
        except Exception as e:  # noqa: BLE001
            out = ("!", type(e).__name__, str(e))
    return out, sorted({(x.category.__name__, str(x.message)) for x in w})


def check(fn):
    assert _run(fn, ember) == _run(fn, torch)


DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]
SPECS = ["", ">7f", ".3e", "d", ",", "%", "10", "<8.2f", ".2", "g", "x", "+.1f", "^9", "s"]
FNS = [bool, int, float, complex, operator.index, math.floor, math.ceil, math.trunc, round,
       abs, len, list, sorted, max, sum, math.isnan, math.sqrt, np.asarray,
       lambda t: round(t, 1), lambda t: divmod(t, 2), lambda t: math.isclose(t, 1.5),
       lambda t: 1.5 in t, lambda t: "a" in t, lambda t: None in t, lambda t: t.tolist(),
       lambda t: list(reversed(t)), lambda t: copy.deepcopy(t), lambda t: (lambda a, b: b)(*t)]


def _make(m, dt, shape):
    base = m.tensor([1.5, -2.25, 0.0, 3.0, 7.75, -0.5])
    d = getattr(m, dt)
    t = m.complex(base, base * 0.5).to(d) if dt.startswith("complex") else base.to(d)
    n = math.prod(shape)
    return t[:n].reshape(shape) if shape else t[0].clone()


def test_fuzz_format_and_builtins():
    rng = random.Random(0)
    for _ in range(150):
        dt, shape = rng.choice(DTYPES), rng.choice([(), (1,), (2,), (2, 3)])
        spec = rng.choice(SPECS)
        check(lambda m: format(_make(m, dt, shape), spec))
        fn = rng.choice(FNS)
        check(lambda m: fn(_make(m, dt, shape)))


OTHERS = [2, 2.5, True, 1j, None, [1, 2], np.float64(2), np.float32(2), np.int64(3),
          np.bool_(True), np.array([1, 2]), np.array(3.5), "a"]
OPS = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "eq", "lt", "ge", "and_",
       "xor", "lshift"]


def test_fuzz_operators_with_scalars():
    rng = random.Random(1)
    for _ in range(250):
        dt = rng.choice([d for d in DTYPES if d != "float16"])  # (complex32 is unsupported)
        shape = rng.choice([(), (2,)])
        o, op = rng.choice(OTHERS), getattr(operator, rng.choice(OPS))
        if rng.random() < 0.5:
            check(lambda m: op(_make(m, dt, shape), o))
        else:
            check(lambda m: op(o, _make(m, dt, shape)))


@pytest.mark.parametrize("dt", ["bool", "int64", "uint8", "float32"])
def test_numpy_bool_is_a_float_scalar(dt):
    b = np.True_
    for fn in [lambda m, t: t ** b, lambda m, t: m.pow(t, b), lambda m, t: t // b,
               lambda m, t: t % b, lambda m, t: m.fmod(t, b), lambda m, t: m.clamp(t, b),
               lambda m, t: m.clamp(t, max=b), lambda m, t: m.pow(b, t),
               lambda m, t: m.copysign(t, b), lambda m, t: m.xlogy(t, b),
               lambda m, t: m.result_type(t, b), lambda m, t: m.result_type(b, b),
               lambda m, t: m.div(t, b, rounding_mode="floor")]:
        check(lambda m: fn(m, m.tensor([3, 1]).to(getattr(m, dt))))


def test_complex_pow_whole_exponents():
    for base in [1j, 2j, 1 + 1j, -1 + 0j, 0.5j, 0j]:
        for dt in ["float32", "int64", "complex64", "float64", "complex128"]:
            check(lambda m: (base ** m.tensor([0, 1, 2, 3, -2]).to(getattr(m, dt))).tolist())
    vals = [0, 1, -1, 2, 1j, -2j, 1 + 1j, 0.5, float("inf"), float("nan"), 3, -3 + 2j]
    xs = [a for a in vals for _ in vals]
    ys = [b for _ in vals for b in vals]
    for dt in ["complex64", "complex128"]:
        check(lambda m: str((m.tensor(xs, dtype=getattr(m, dt))
                             ** m.tensor(ys, dtype=getattr(m, dt))).tolist()))


def test_device_ordering_and_info_hash():
    for o in [3, "cpu", None, 2.5]:
        check(lambda m: m.device("cpu") < o)
        check(lambda m: o >= m.device("cpu"))
    check(lambda m: m.device("cpu") <= m.device("cpu"))
    check(lambda m: m.device("cpu").__lt__(3))
    check(lambda m: hash(m.finfo(m.float32)))
    check(lambda m: hash(m.iinfo(m.int8)))
    check(lambda m: m.finfo(m.float32) == m.finfo())


def test_copies_of_parameters_and_views():
    def grads(m):
        p = m.nn.Parameter(m.ones(2))
        p.sum().backward()
        p.foo = "bar"
        c = copy.deepcopy(p)
        return type(c).__name__, c.grad, c.foo, c.requires_grad, copy.copy(p).grad

    def views(m):
        v = m.arange(6.).reshape(2, 3)[0]
        v.attr = 5
        c = copy.deepcopy(v)
        return c, c.attr, c._base is None
    check(grads)
    check(views)


def test_numpy_array_operands():
    for shape in [(0,), (3,), (0, 3), (2, 2)]:
        for fn in [lambda m, t, a: t == a, lambda m, t, a: a == t, lambda m, t, a: t + a,
                   lambda m, t, a: a / t, lambda m, t, a: t / a]:
            check(lambda m: fn(m, m.ones(shape), np.array([1., 2.])))
    # (``array / t`` goes through NumPy in PyTorch's Python: NumPy 2's warning, once wrapped)
    check(lambda m: np.array([1., 2.]) / m.tensor([3, 1]))
    check(lambda m: np.array(2.) / m.tensor([3., 1.], requires_grad=True))


NP_SCALARS = [np.True_, np.float64(2.5), np.float32(2.5), np.float16(2.5), np.int64(3),
              np.uint8(3), np.array(2.5)]


def test_fuzz_inplace_and_fills_with_numpy_scalars():
    rng = random.Random(2)
    ops = [lambda t, s: t.__iadd__(s), lambda t, s: t.__itruediv__(s),
           lambda t, s: t.__ifloordiv__(s), lambda t, s: t.__iand__(s),
           lambda t, s: t.__ior__(s), lambda t, s: t.__ipow__(s), lambda t, s: t.fill_(s),
           lambda t, s: t.masked_fill(t > 2, s), lambda t, s: t.new_full((2,), s),
           lambda t, s: t.addcmul(t, t, value=s), lambda t, s: t.clone().addcmul_(t, t, value=s),
           lambda t, s: t.index_fill(0, t.new_zeros(1, dtype=t.new_tensor(0).long().dtype), s)]
    for _ in range(120):
        dt = rng.choice(["bool", "int64", "int32", "uint8", "float16", "bfloat16", "float32",
                         "float64", "complex64"])
        s, op = rng.choice(NP_SCALARS), rng.choice(ops)
        check(lambda m: op(m.tensor([3, 1]).to(getattr(m, dt)), s))


def test_half_tensor_against_complex_numbers():
    # (PyTorch compares in complex32: the number's parts rounded to half; ordering refused)
    for m in (ember, torch):  # (the warning is once a process: each time here, as a set)
        m.set_warn_always(True)
    try:
        for fn in [lambda t: t == 1.0001 + 0j, lambda t: t != 2 + 0j, lambda t: (1 + 0j) == t,
                   lambda t: t == np.complex128(2), lambda t: t < 1j, lambda t: 1j <= t,
                   lambda t: 1j in t, lambda t: (2 + 0j) in t, lambda t: t.eq(2 + 0j)]:
            check(lambda m: fn(m.tensor([1., 2., float("nan")], dtype=m.float16)))
    finally:
        for m in (ember, torch):
            m.set_warn_always(False)
