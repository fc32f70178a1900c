"""ember._random.CPUGenerator against PyTorch's CPU generator, bit for bit.

Every case seeds both generators alike, runs the same call on each and
compares the raw bits of the values and then the full 5056-byte RNG state
(which also pins down how many draws were consumed and the Box-Muller cache).
"""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

torch = pytest.importorskip("torch")

try:
    import ember._random  # noqa: F401
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ember import _random  # noqa: E402
from ember._random import CPUGenerator  # noqa: E402

BF16 = np.dtype(ml_dtypes.bfloat16)
TORCH_DTYPE = {
    np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
    np.dtype(np.float16): torch.float16, BF16: torch.bfloat16,
    np.dtype(np.int64): torch.int64, np.dtype(np.int32): torch.int32,
    np.dtype(np.int16): torch.int16, np.dtype(np.int8): torch.int8,
    np.dtype(np.uint8): torch.uint8, np.dtype(np.bool_): torch.bool,
}
FLOATS = [np.float32, np.float64, np.float16, ml_dtypes.bfloat16]
INTS = [np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_]
SEEDS = [0, 1, 42, 2**32 + 5, 2**63 + 12345, 2**64 - 1]
SIZES = [0, 1, 2, 7, 15, 16, 17, 31, 100, 1000, 10007]
CAPABILITY = torch.backends.cpu.get_cpu_capability().lower()
KNOWN = CAPABILITY in ("avx512", "avx2", "default")


def to_numpy(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(BF16)
    return t.numpy()


def to_torch(a):
    a = np.ascontiguousarray(a)
    if a.dtype == BF16:
        return torch.from_numpy(a.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(a)


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def assert_same(ours, theirs, what=""):
    ref = to_numpy(theirs) if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.dtype == ref.dtype, (what, ours.dtype, ref.dtype)
    assert ours.shape == ref.shape, (what, ours.shape, ref.shape)
    if not np.array_equal(bits(ours), bits(ref)):
        bad = np.flatnonzero(bits(ours).ravel() != bits(ref).ravel())
        raise AssertionError(f"{what}: {bad.size}/{ref.size} differ, first at {bad[0]}: "
                             f"{ours.ravel()[bad[0]]!r} != {ref.ravel()[bad[0]]!r}")


def assert_state(g, what=""):
    assert_same(g.get_state(), torch.get_rng_state(), f"state after {what}")


@pytest.fixture
def gen():
    """A CPUGenerator emulating the kernels this torch process dispatches to."""
    if not KNOWN:
        pytest.skip(f"kernels measured on x86 only, torch reports {CAPABILITY}")
    state = torch.get_rng_state()
    yield CPUGenerator(capability=CAPABILITY)
    torch.set_rng_state(state)


def seed_both(g, seed):
    torch.manual_seed(seed)
    g.manual_seed(seed)


# --------------------------------------------------------------------------
# engine, seeding, state
# --------------------------------------------------------------------------

def test_default_seed_and_fresh_state():
    g = CPUGenerator()
    t = torch.Generator()
    assert g.initial_seed() == t.initial_seed() == _random.DEFAULT_SEED
    assert_same(g.get_state(), t.get_state(), "fresh generator")
    assert isinstance(_random.default_generator, CPUGenerator)  # others may have reseeded it


@pytest.mark.parametrize("seed", [0, 7, -1, -2**63, 2**63, 2**64 - 1, np.int64(-5), np.uint64(9)])
def test_manual_seed_values(seed):
    g = CPUGenerator().manual_seed(seed)
    t = torch.Generator().manual_seed(int(seed))
    assert g.initial_seed() == t.initial_seed()
    assert_same(g.get_state(), t.get_state(), f"seed {seed}")


@pytest.mark.parametrize("seed,exc", [(2**64, ValueError), (-2**63 - 1, ValueError),
                                      (1.5, RuntimeError), (True, RuntimeError)])
def test_manual_seed_errors(seed, exc):
    with pytest.raises(exc) as ours:
        CPUGenerator().manual_seed(seed)
    with pytest.raises(exc) as theirs:
        torch.Generator().manual_seed(seed)
    assert str(ours.value) == str(theirs.value)


def test_seed_is_random_and_reseeds():
    g = CPUGenerator()
    s1, s2 = g.seed(), g.seed()
    assert s1 != s2 and 0 <= s1 < 2**64
    assert g.initial_seed() == s2
    assert_same(g.get_state(), torch.Generator().manual_seed(s2).get_state(), "seed()")


@pytest.mark.parametrize("seed", SEEDS)
def test_raw_draws(gen, seed):
    seed_both(gen, seed)
    # random_() on int32 is random() % 2**31, on int64 random64() % 2**63
    u = gen.random_u32(1500)
    assert_same((u % np.uint32(2**31)).astype(np.int32),
                torch.empty(1500, dtype=torch.int32).random_(), "random()")
    v = gen.random_u64(700)
    assert_same((v % np.uint64(2**63)).astype(np.int64),
                torch.empty(700, dtype=torch.int64).random_(), "random64()")
    assert_state(gen, "raw draws")


def test_state_round_trips(gen):
    # torch -> ember, with a cached Box-Muller sample
    torch.manual_seed(9)
    torch.randn(3)
    gen.set_state(torch.get_rng_state().numpy())
    assert_state(gen, "set_state")
    assert_same(gen.normal(5, np.float64), torch.randn(5, dtype=torch.float64), "after load")
    # ember -> torch
    gen.manual_seed(11)
    gen.normal(1)
    torch.set_rng_state(torch.from_numpy(gen.get_state()))
    assert_same(gen.normal(3), torch.randn(3), "after store")
    assert_state(gen, "round trip")
    # the (unused by CPU kernels) float cache survives both ways
    st = gen.get_state()
    st[5048:5052] = np.array([1.25], np.float32).view(np.uint8)
    st[5052] = 1
    gen.set_state(st)
    torch.set_rng_state(torch.from_numpy(st))
    assert_state(gen, "float cache")
    gen.set_state(bytes(st))
    assert_state(gen, "from bytes")


@pytest.mark.parametrize("left,nxt", [(1, 0), (1, 624), (624, 0), (624, 1), (5, 0),
                                      (300, 100), (17, 600), (2, 622)])
def test_unusual_engine_positions(gen, left, nxt):
    st = torch.get_rng_state().numpy().copy()
    st[8:12] = np.array([left], np.int32).view(np.uint8)
    st[16:24] = np.array([nxt], np.uint64).view(np.uint8)
    words = np.random.default_rng(left).integers(0, 2**32, 624, dtype=np.uint64)
    st[24:5016] = words.view(np.uint8)
    torch.set_rng_state(torch.from_numpy(st))
    gen.set_state(st)
    for _ in range(3):
        assert_same(gen.uniform(700), torch.rand(700), f"left={left} next={nxt}")
    assert_state(gen, "unusual position")


def test_set_state_validation():
    g = CPUGenerator()
    good = g.get_state()
    bad_left = good.copy()
    bad_left[8:12] = 0
    bad_next = good.copy()
    bad_next[16:24] = np.array([625], np.uint64).view(np.uint8)
    unseeded = good.copy()
    unseeded[12:16] = 0
    cases = [(np.zeros(10, np.uint8), RuntimeError), (np.zeros(5056, np.float32), TypeError),
             (bad_left, RuntimeError), (bad_next, RuntimeError), (unseeded, RuntimeError)]
    for state, exc in cases:
        with pytest.raises(exc) as ours:
            g.set_state(state)
        with pytest.raises(exc) as theirs:
            torch.Generator().set_state(torch.from_numpy(state))
        assert str(ours.value) == str(theirs.value)
    assert_same(g.get_state(), good, "state untouched by failed loads")


# --------------------------------------------------------------------------
# floating-point distributions
# --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("seed", SEEDS[:5])
def test_randn_rand_all_sizes(gen, seed, dtype):
    td = TORCH_DTYPE[np.dtype(dtype)]
    seed_both(gen, seed)
    for n in SIZES:
        assert_same(gen.normal(n, dtype), torch.randn(n, dtype=td), f"randn({n})")
        assert_same(gen.uniform(n, dtype), torch.rand(n, dtype=td), f"rand({n})")
        assert_same(gen.normal(n, dtype, -1.5, 2.25), torch.empty(n, dtype=td).normal_(-1.5, 2.25),
                    f"normal_({n})")
        assert_same(gen.uniform(n, dtype, -3.3, 7.1), torch.empty(n, dtype=td).uniform_(-3.3, 7.1),
                    f"uniform_({n})")
        assert_state(gen, f"n={n}")


@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_edges(gen, dtype):
    td = TORCH_DTYPE[np.dtype(dtype)]
    seed_both(gen, 5)
    for lo, hi in [(0, 1), (2.0, 2.0), (1.0, 1.0004), (-30000.0, 30000.0), (1e-3, 3e-3)]:
        assert_same(gen.uniform(300, dtype, lo, hi), torch.empty(300, dtype=td).uniform_(lo, hi),
                    f"uniform_({lo}, {hi})")
    assert_state(gen, "uniform edges")


def _set_outputs(words):
    """Make torch's default generator emit exactly these 32-bit outputs next."""
    y = np.asarray(words, np.uint32).copy()
    y ^= y >> np.uint32(18)  # untemper
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    t = y.copy()
    for _ in range(5):
        t = y ^ ((t << np.uint32(7)) & np.uint32(0x9D2C5680))
    y = t.copy()
    for _ in range(3):
        t = y ^ (t >> np.uint32(11))
    st = torch.get_rng_state().numpy().copy()
    st[8:12] = np.array([624], np.int32).view(np.uint8)  # left: no twist for 623 draws
    st[16:24] = 0
    state = np.zeros(624, np.uint64)
    state[:t.size] = t
    st[24:5016] = state.view(np.uint8)
    torch.set_rng_state(torch.from_numpy(st))
    return st


@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_never_reaches_high(gen, dtype):
    # draws just below 1.0 make x*(to-from)+from round to `to`; PyTorch
    # returns `from` for those
    td = TORCH_DTYPE[np.dtype(dtype)]
    words = np.uint32(0xFFFFFFFF) - np.arange(600, dtype=np.uint32) * np.uint32(997)
    for lo, hi in [(0.1, 0.7), (-3.3, 7.1), (0.0, 1.0)]:
        gen.set_state(_set_outputs(words))
        assert_same(gen.uniform(300 if td == torch.float64 else 600, dtype, lo, hi),
                    torch.empty(300 if td == torch.float64 else 600, dtype=td).uniform_(lo, hi),
                    f"uniform_({lo}, {hi}) near the top")


def test_normal_cache_and_paths_interleaved(gen):
    seed_both(gen, 1234)
    calls = [
        ("randn3", lambda: gen.normal(3), lambda: torch.randn(3)),
        ("rand5", lambda: gen.uniform(5), lambda: torch.rand(5)),
        ("randn20", lambda: gen.normal(20), lambda: torch.randn(20)),  # vectorised: cache kept
        ("randint", lambda: gen.random_from_to(4, 0, 10), lambda: torch.randint(0, 10, (4,))),
        ("randn1 cached", lambda: gen.normal(1), lambda: torch.randn(1)),
        ("randn1 new", lambda: gen.normal(1, np.float64),
         lambda: torch.randn(1, dtype=torch.float64)),
        ("log_normal", lambda: gen.log_normal(2, np.float32, 0.1, 0.5),
         lambda: torch.empty(2).log_normal_(0.1, 0.5)),
        ("half small", lambda: gen.normal(7, np.float16),
         lambda: torch.randn(7, dtype=torch.float16)),
        ("bf16 fill", lambda: gen.normal(33, BF16), lambda: torch.randn(33, dtype=torch.bfloat16)),
        ("randn15", lambda: gen.normal(15, np.float64, 2.0, 3.0),
         lambda: torch.empty(15, dtype=torch.float64).normal_(2.0, 3.0)),
        ("randn0", lambda: gen.normal(0), lambda: torch.randn(0)),
        ("randperm", lambda: gen.randperm(9), lambda: torch.randperm(9)),
        ("randn16 f64", lambda: gen.normal(16, np.float64),
         lambda: torch.randn(16, dtype=torch.float64)),
        ("randn1", lambda: gen.normal(1), lambda: torch.randn(1)),
    ]
    for name, ours, theirs in calls:
        assert_same(ours(), theirs(), name)
        assert_state(gen, name)


@pytest.mark.parametrize("shape", [(5, 4), (3, 7), (20, 30)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_non_contiguous_uses_scalar_path_in_memory_order(gen, shape, dtype):
    td = TORCH_DTYPE[np.dtype(dtype)]
    seed_both(gen, 3)
    t = torch.empty(shape, dtype=td).t()
    t.normal_()
    n = t.numel()
    assert_same(gen.normal(n, dtype, contiguous=False), t.t().reshape(-1), "normal_ strided")
    t = torch.empty(shape, dtype=td).t()
    t.uniform_(-1, 1)
    assert_same(gen.uniform(n, dtype, -1, 1), t.t().reshape(-1), "uniform_ strided")
    assert_state(gen, "strided")


@pytest.mark.parametrize("dtype", FLOATS)
def test_other_float_distributions(gen, dtype):
    td = TORCH_DTYPE[np.dtype(dtype)]
    seed_both(gen, 77)
    for n in (0, 1, 5, 16, 333):
        assert_same(gen.exponential(n, dtype, 1.5), torch.empty(n, dtype=td).exponential_(1.5),
                    "exponential_")
        assert_same(gen.geometric(n, dtype, 0.3), torch.empty(n, dtype=td).geometric_(0.3),
                    "geometric_")
        assert_same(gen.cauchy(n, dtype, 0.5, 2.0), torch.empty(n, dtype=td).cauchy_(0.5, 2.0),
                    "cauchy_")
        assert_same(gen.log_normal(n, dtype, 0.5, 0.7),
                    torch.empty(n, dtype=td).log_normal_(0.5, 0.7), "log_normal_")
        assert_same(gen.bernoulli(n, 0.3, dtype), torch.empty(n, dtype=td).bernoulli_(0.3),
                    "bernoulli_")
        assert_state(gen, f"n={n}")


def test_bernoulli(gen):
    seed_both(gen, 8)
    for dt in (np.float32, np.int64, np.uint8, np.bool_, np.float64):
        for p in (0.0, 0.25, 1.0):
            assert_same(gen.bernoulli(101, p, dt),
                        torch.empty(101, dtype=TORCH_DTYPE[np.dtype(dt)]).bernoulli_(p),
                        f"bernoulli_({p}) {dt}")
    probs = np.linspace(0, 1, 257)
    for pdt in (np.float32, np.float64, np.float16):
        p = probs.astype(pdt)
        assert_same(gen.bernoulli_tensor(p), torch.bernoulli(torch.from_numpy(p)),
                    f"bernoulli(p {pdt})")
    assert_same(gen.geometric(50, np.int64, 0.4),
                torch.empty(50, dtype=torch.int64).geometric_(0.4), "geometric_ int64")
    assert_state(gen, "bernoulli")


def test_dropout_mask_is_bernoulli(gen):
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    seed_both(gen, 3)
    y = torch.nn.functional.dropout(torch.from_numpy(x), 0.3, training=True).numpy()
    mask = gen.bernoulli(1000, 0.7, np.float32)
    assert_same(x * mask * np.float32(1 / 0.7), y, "dropout")
    assert_state(gen, "dropout")


@pytest.mark.parametrize("dtype", FLOATS)
def test_torch_normal_tensor_forms(gen, dtype):
    dt = np.dtype(dtype)
    rng = np.random.default_rng(1)
    for n in (5, 40):
        m = rng.standard_normal(n).astype(dt)
        s = (rng.random(n) + 0.5).astype(dt)
        seed_both(gen, n)
        ours = ((gen.normal(n, dt) * s).astype(dt) + m).astype(dt)
        assert_same(ours, torch.normal(to_torch(m), to_torch(s)), "normal(T, T)")
        assert_state(gen, "normal(T, T)")


# --------------------------------------------------------------------------
# integers
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS[:4])
def test_random_full_and_randint_all_dtypes(gen, seed):
    seed_both(gen, seed)
    for n in SIZES:
        for dt in INTS + FLOATS:
            td = TORCH_DTYPE[np.dtype(dt)]
            assert_same(gen.random_full(n, dt), torch.empty(n, dtype=td).random_(),
                        f"random_() {dt}")
            assert_same(gen.random_from_to(n, 0, 2, dt), torch.randint(0, 2, (n,), dtype=td),
                        f"randint(0, 2) {dt}")
            if dt is not np.bool_:
                assert_same(gen.random_from_to(n, 3, 100, dt),
                            torch.randint(3, 100, (n,), dtype=td), f"randint(3, 100) {dt}")
        assert_state(gen, f"n={n}")


@pytest.mark.parametrize("lo,hi", [(0, 10), (-5, 5), (0, 2**28 - 1), (0, 2**28), (0, 2**31),
                                   (-2**31, 2**31), (-2**40, 2**40), (-2**63, 2**63 - 1),
                                   (2**62, 2**63 - 1)])
def test_randint_ranges_int64(gen, lo, hi):
    seed_both(gen, 4)
    for n in (1, 17, 1000):
        assert_same(gen.random_from_to(n, lo, hi), torch.randint(lo, hi, (n,)), f"[{lo}, {hi})")
    if max(abs(lo), abs(hi)) <= 2**53:
        assert_same(gen.random_from_to(33, lo, hi, np.float64),
                    torch.randint(lo, hi, (33,), dtype=torch.float64), "float64")
    assert_state(gen, "randint")


def test_randint_threshold_applies_to_int32_and_floats(gen):
    seed_both(gen, 6)
    for dt in (np.int32, np.float64):
        for hi in (2**28 - 1, 2**28, 2**30):
            assert_same(gen.random_from_to(20, 0, hi, dt),
                        torch.randint(0, hi, (20,), dtype=TORCH_DTYPE[np.dtype(dt)]), f"{dt} {hi}")
            assert_state(gen, f"{dt} {hi}")


@pytest.mark.parametrize("dtype", INTS + FLOATS)
def test_random_from_only(gen, dtype):
    td = TORCH_DTYPE[np.dtype(dtype)]
    seed_both(gen, 12)
    for lo in (0, 1, 5):
        if np.dtype(dtype) == np.bool_ and lo > 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # float dtypes: PyTorch warns about 2**digits too
            ours = gen.random_from_to(40, lo, None, dtype)
            theirs = torch.empty(40, dtype=td).random_(lo, None)
        assert_same(ours, theirs, f"random_({lo}, None)")
    if np.dtype(dtype) in (np.dtype(np.int64), np.dtype(np.float64), np.dtype(np.float32), BF16):
        assert_same(gen.random_from_to(40, -2**63, None, dtype),
                    torch.empty(40, dtype=td).random_(-2**63, None), "full 64-bit range")
    assert_state(gen, "random_(from)")


def test_randint_float_precision_rules(gen):
    seed_both(gen, 2)
    cases = [(np.float32, 0, 2**31), (np.float16, 0, 65504), (BF16, 0, 2**30),
             (np.float16, -65504, 65504), (np.float32, 2**24, 2**24 + 10)]
    for dt, lo, hi in cases:
        td = TORCH_DTYPE[np.dtype(dt)]
        with warnings.catch_warnings(record=True) as w_ours:
            warnings.simplefilter("always")
            ours = gen.random_from_to(50, lo, hi, dt)
        with warnings.catch_warnings(record=True) as w_theirs:
            warnings.simplefilter("always")
            theirs = torch.randint(lo, hi, (50,), dtype=td)
        assert len(w_ours) == len(w_theirs)
        assert_same(ours, theirs, f"randint({lo}, {hi}) {dt}")
        assert_state(gen, "float randint")


@pytest.mark.parametrize("args,dtype", [((5, 5), np.int64), ((6, 5), np.int64),
                                        ((0, 300), np.uint8), ((-1, 2), np.uint8),
                                        ((0, 3), np.bool_), ((0, 70000), np.float16)])
def test_randint_errors(args, dtype):
    with pytest.raises(RuntimeError) as ours:
        CPUGenerator().random_from_to(3, *args, dtype=dtype)
    with pytest.raises(RuntimeError) as theirs:
        torch.randint(*args, (3,), dtype=TORCH_DTYPE[np.dtype(dtype)])
    assert str(theirs.value).startswith(str(ours.value).split(" for ")[0])


def test_randperm(gen):
    seed_both(gen, 21)
    for n in SIZES + [100_003]:
        assert_same(gen.randperm(n), torch.randperm(n), f"randperm({n})")
    assert_same(gen.randperm(50, np.float32), torch.randperm(50, dtype=torch.float32), "float32")
    assert_state(gen, "randperm")
    with pytest.raises(RuntimeError, match="2049"):
        gen.randperm(3000, np.float16)


# --------------------------------------------------------------------------
# argument checking mirrors PyTorch
# --------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    ("uniform", (3, np.float32, 5, 3), lambda: torch.empty(3).uniform_(5, 3)),
    ("uniform", (3, np.float16, 0, 7e4),
     lambda: torch.empty(3, dtype=torch.float16).uniform_(0, 7e4)),
    ("uniform", (3, np.float32, -3e38, 3e38), lambda: torch.empty(3).uniform_(-3e38, 3e38)),
    ("normal", (3, np.float32, 0, -1), lambda: torch.empty(3).normal_(0, -1)),
    ("exponential", (3, np.float32, 0), lambda: torch.empty(3).exponential_(0)),
    ("geometric", (3, np.float32, 1), lambda: torch.empty(3).geometric_(1)),
    ("cauchy", (3, np.float32, 0, -1), lambda: torch.empty(3).cauchy_(0, -1)),
    ("log_normal", (3, np.float32, 1, 0), lambda: torch.empty(3).log_normal_(1, 0)),
    ("bernoulli", (3, 1.5), lambda: torch.empty(3).bernoulli_(1.5)),
    ("normal", (3, np.int32), lambda: torch.empty(3, dtype=torch.int32).normal_()),
    ("uniform", (3, np.int64), lambda: torch.empty(3, dtype=torch.int64).uniform_()),
    ("exponential", (3, np.int32), lambda: torch.empty(3, dtype=torch.int32).exponential_()),
    ("geometric", (3, np.bool_, 0.5), lambda: torch.empty(3, dtype=torch.bool).geometric_(0.5)),
    ("randperm", (3, np.bool_), lambda: torch.randperm(3, dtype=torch.bool)),
])
def test_errors_match(call):
    name, args, theirs = call
    with pytest.raises(Exception) as t_exc:
        theirs()
    with pytest.raises(Exception) as o_exc:
        getattr(CPUGenerator(), name)(*args)
    assert type(o_exc.value) is type(t_exc.value)
    assert str(o_exc.value) == str(t_exc.value)


# --------------------------------------------------------------------------
# capability selection and the other compiled kernels
# --------------------------------------------------------------------------

def test_capability_detection_matches_torch():
    assert _random.cpu_capability() == CAPABILITY or not KNOWN


_CHILD = r"""
import sys, numpy as np, torch
out = {}
torch.manual_seed(5)
out["randn"] = torch.randn(100).numpy()
out["normal"] = torch.empty(37).normal_(0.3, 1.7).numpy()
out["half"] = torch.randn(40, dtype=torch.float16).view(torch.int16).numpy()
out["small"] = torch.empty(5, dtype=torch.float64).normal_(0.3, 1.7).numpy()
out["unif"] = torch.empty(50).uniform_(-3.3, 7.1).numpy()
out["unif64"] = torch.empty(50, dtype=torch.float64).uniform_(-3.3, 7.1).numpy()
out["cauchy"] = torch.empty(20, dtype=torch.float64).cauchy_(0.5, 3.0).numpy()
out["fill64"] = torch.empty(40, dtype=torch.float64).normal_(0.3, 1.7).numpy()
out["state"] = torch.get_rng_state().numpy()
out["cap"] = np.array(torch.backends.cpu.get_cpu_capability())
np.savez(sys.argv[1], **out)
"""


def test_other_capability_kernels(tmp_path):
    """Re-run PyTorch with ATEN_CPU_CAPABILITY forced (DEFAULT, and AVX2 on an
    AVX512 machine) in child processes and compare with those emulations."""
    if not KNOWN:
        pytest.skip("x86 capabilities only")
    caps = ["default"] + (["avx2"] if CAPABILITY == "avx512" else [])
    procs = {}
    for cap in caps:  # both children at once: each pays a torch import
        env = dict(os.environ, ATEN_CPU_CAPABILITY=cap)
        procs[cap] = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path / cap)],
                                      env=env)
    for proc in procs.values():
        assert proc.wait(timeout=120) == 0
    for cap in caps:
        ref = np.load(tmp_path / f"{cap}.npz")
        assert str(ref["cap"]).lower() == cap
        g = CPUGenerator(5, capability=cap)
        assert_same(g.normal(100), ref["randn"], f"{cap} randn")
        assert_same(g.normal(37, np.float32, 0.3, 1.7), ref["normal"], f"{cap} normal_")
        assert_same(g.normal(40, np.float16).view(np.int16), ref["half"], f"{cap} half")
        assert_same(g.normal(5, np.float64, 0.3, 1.7), ref["small"], f"{cap} small path")
        assert_same(g.uniform(50, np.float32, -3.3, 7.1), ref["unif"], f"{cap} uniform_")
        assert_same(g.uniform(50, np.float64, -3.3, 7.1), ref["unif64"], f"{cap} uniform_ f64")
        assert_same(g.cauchy(20, np.float64, 0.5, 3.0), ref["cauchy"], f"{cap} cauchy_")
        assert_same(g.normal(40, np.float64, 0.3, 1.7), ref["fill64"], f"{cap} f64 fill")
        assert_same(g.get_state(), ref["state"], f"{cap} state")


# --------------------------------------------------------------------------
# the exact-arithmetic helpers
# --------------------------------------------------------------------------

def test_fma_helpers_are_correctly_rounded():
    rng = np.random.default_rng(0)
    n = 2000
    a = rng.standard_normal(n) * 2.0 ** rng.integers(-40, 40, n)
    b = rng.standard_normal(n) * 2.0 ** rng.integers(-40, 40, n)
    c = -(a * b) * (1 + rng.standard_normal(n) * 1e-15)  # heavy cancellation
    c[::2] = rng.standard_normal(n // 2) * 2.0 ** rng.integers(-90, 90, n // 2)
    out = _random._fma64(a, b, c)
    for i in range(0, n, 7):
        assert out[i] == float(Fraction(a[i]) * Fraction(b[i]) + Fraction(c[i]))
    # float32: 1 + a*b lands a hair above half an ulp of 1, so rounding the
    # float64 sum to float32 would round twice and wrongly go down to 1.0
    a32 = np.float32(float.fromhex("0x1.6152e8p+0"))
    b32 = np.float32(float.fromhex("0x1.72f7ecp-25"))
    exact = Fraction(float(a32)) * Fraction(float(b32)) + 1
    assert exact > 1 + Fraction(1, 2**24)
    assert float(np.float32(np.float64(a32) * np.float64(b32) + 1.0)) == 1.0
    assert float(_random._fma32(a32, b32, np.float32(1))) == 1 + 2**-23


def test_fma32_is_correctly_rounded_near_zero_and_halfway():
    """Exact rational arithmetic checks the float32 fused multiply-add on the hard cases:
    cancellation to zero (signed), subnormal results and sums on float32 halfway points."""
    from fractions import Fraction
    rng = np.random.default_rng(1)
    n = 3000
    a = (rng.standard_normal(n) * 2.0 ** rng.integers(-70, 5, n)).astype(np.float32)
    b = (rng.standard_normal(n) * 2.0 ** rng.integers(-70, 5, n)).astype(np.float32)
    c = (-(a.astype(np.float64) * b) * rng.choice([1, 1 + 2**-20, 1 - 2**-24, 1 + 2**-25, 0], n)
         ).astype(np.float32)
    c[:50], a[50:100] = 0, 0
    a[100:300] = (2.0 ** -70 * rng.standard_normal(200)).astype(np.float32)
    b[100:300] = np.float32(2.0 ** -60)
    c[100:300] = (2.0 ** -140 * rng.integers(-50, 50, 200)).astype(np.float32)
    got = _random._fma32(a, b, c)

    def nearest(exact):  # round to nearest float32, ties to even
        f = np.float32(float(exact))
        near = [np.nextafter(f, np.float32(-np.inf)), f, np.nextafter(f, np.float32(np.inf))]
        return min(near, key=lambda x: (abs(Fraction(float(x)) - exact),
                                        int(np.array(x).view(np.int32)) & 1))
    for i in range(n):
        exact = Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(c[i]))
        assert got[i] == nearest(exact), i
    zero = (a[:100].astype(np.float64) * b[:100] + c[:100]) == 0
    assert (np.signbit(got[:100][zero]) == np.signbit(
        (a[:100].astype(np.float64) * b[:100] + c[:100])[zero])).all()
