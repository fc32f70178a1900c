"""Random streams against PyTorch, found by a seeded fuzzer of random calls: ``bernoulli``'s
``out=`` and broadcast probabilities (in the destination's memory order), ``multinomial``'s
``out=`` and transposed probabilities, ``normal``'s tensor overloads with ``out=`` (drawn into
``out`` itself), ``Generator.clone_state``, and the messages of bad arguments.  Each case runs
the same code on both libraries from the same seed, then compares the values bit for bit and
the next draw (the stream's position)."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _np(t):
    t = t.detach().contiguous()
    if t.dtype.is_floating_point and t.element_size() == 2:
        mod = torch if isinstance(t, torch.Tensor) else ember
        return t.view(-1).view(mod.int16).numpy().copy()
    return t.numpy().copy()


def _run(mod, fn):
    mod.manual_seed(0)
    try:
        r = fn(mod)
    except Exception as e:  # noqa: BLE001
        return ("error", type(e).__name__, str(e)), mod.rand(3).numpy()
    if not isinstance(r, tuple):
        r = (r,)
    return [(str(x.dtype), tuple(x.shape), _np(x)) if hasattr(x, "dtype") else x
            for x in r], mod.rand(3).numpy()


def _same(fn):
    (te, tn), (ee, en) = _run(torch, fn), _run(ember, fn)
    if isinstance(te, tuple) or isinstance(ee, tuple):
        assert ee == te
    else:
        assert len(ee) == len(te)
        for a, b in zip(ee, te):
            if isinstance(b, tuple):
                assert a[:2] == b[:2]
                np.testing.assert_array_equal(a[2], b[2])
            else:
                assert a == b
    np.testing.assert_array_equal(en, tn)


def _out_bernoulli(m, shape, out):
    p = m.rand(shape)
    o = out(m)
    r = m.bernoulli(p, out=o)
    return r, o, m.tensor(r is o)


@pytest.mark.parametrize("out", [
    lambda m: m.empty(2, 3), lambda m: m.empty(2, 3, dtype=m.float64),
    lambda m: m.empty(2, 3, dtype=m.int64), lambda m: m.empty(3, 2).t(), lambda m: m.empty(7)])
def test_bernoulli_out(out):
    _same(lambda m: _out_bernoulli(m, (2, 3), out))


def test_bernoulli_out_with_p_refused():
    _same(lambda m: m.bernoulli(m.zeros(3), 0.5, out=m.empty(3)))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("n", [2, 17, 64])
def test_bernoulli_tensor_p_into_transposed(dtype, n):
    def f(m):
        t = m.empty(n, 3, dtype=getattr(m, dtype)).t()
        return t.bernoulli_(m.rand(3, n))
    _same(f)


@pytest.mark.parametrize("make", [
    lambda m: m.empty(2, 3).bernoulli_(m.rand(3)),
    lambda m: m.empty(5, 3).t().bernoulli_(m.rand(5)),
    lambda m: m.empty(3).bernoulli_(m.rand(4)),
    lambda m: m.empty(3).bernoulli_(m.rand(2, 3)),
    lambda m: m.empty(3).bernoulli_(m.rand(4, dtype=m.complex64)),
    lambda m: m.empty(3).bernoulli_(m.tensor([2.0, 2.0, 2.0, 2.0])),
    lambda m: m.empty(0).bernoulli_(m.rand(2)),
    lambda m: m.empty(0, dtype=m.complex64).bernoulli_(m.rand(2)),
    lambda m: m.empty(0).bernoulli_(m.tensor([2.0])),
    lambda m: m.empty(3).bernoulli_(m.tensor(0.3)),
    lambda m: m.bernoulli(m.zeros(3), 2.0),
    lambda m: m.empty(3).bernoulli_(1.5),
    lambda m: m.empty(3).bernoulli_(-0.25),
])
def test_bernoulli_broadcast_and_errors(make):
    _same(make)


@pytest.mark.parametrize("shape,ns,repl", [((4, 6), 3, False), ((5, 17), 1, True),
                                           ((3, 40), 2, False), ((4, 6), 1, False)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multinomial_transposed_probs(shape, ns, repl, dtype):
    _same(lambda m: m.multinomial(m.rand(shape, dtype=getattr(m, dtype)).t(), ns, repl))


def test_multinomial_stepped_probs():
    _same(lambda m: m.multinomial(m.rand(6, 8)[:, ::2].t(), 2))


@pytest.mark.parametrize("out", [
    lambda m: m.empty(2, dtype=m.int64), lambda m: m.empty(5, dtype=m.int64),
    lambda m: m.empty(4, dtype=m.int64)[::2], lambda m: m.empty(2),
    lambda m: m.empty(2, dtype=m.int32)])
def test_multinomial_out(out):
    def f(m):
        o = out(m)
        r = m.multinomial(m.ones(3), 2, out=o)
        return r, o, m.tensor(r is o)
    _same(f)


def test_multinomial_out_2d():
    def f(m):
        o = m.empty(0, dtype=m.int64)
        m.multinomial(m.rand(3, 5), 4, True, out=o)
        return o
    _same(f)


@pytest.mark.parametrize("args", [
    lambda m: (m.rand(2, 50), 0.5), lambda m: (m.rand(16), 2.0), lambda m: (1.5, m.rand(33)),
    lambda m: (m.rand(8, 2), m.rand(8, 2) + 0.1), lambda m: (m.rand(3, dtype=m.float64), 1.0)])
@pytest.mark.parametrize("out", [
    lambda m, s: m.empty(s), lambda m, s: m.empty(s[::-1]).t() if len(s) == 2 else m.empty(s),
    lambda m, s: m.empty((2 * s[0],) + s[1:])[::2],
    lambda m, s: m.empty(s, dtype=m.float64)])
def test_normal_tensor_overloads_out(args, out):
    def f(m):
        mean, std = args(m)
        shape = tuple((mean if hasattr(mean, "shape") else std).shape)
        o = out(m, shape)
        r = m.normal(mean, std, out=o)
        return r, o, m.tensor(r is o)
    _same(f)


def test_normal_tensor_out_int_refused():
    _same(lambda m: m.normal(m.zeros(3), m.ones(3), out=m.empty(3, dtype=m.int64)))


@pytest.mark.parametrize("args", [(0.0, 1.0), (1, 2), (0.0, 1.0, (2,))])
def test_normal_float_overload_needs_size(args):
    _same(lambda m: m.normal(*args))


def test_generator_clone_state():
    def f(m):
        g = m.Generator().manual_seed(5)
        m.randn(3, generator=g)
        c = g.clone_state()
        return (m.randn(3, generator=c), m.randn(3, generator=g), m.rand(2, generator=c),
                m.rand(2, generator=g), m.tensor(c.initial_seed()), m.tensor(c is g),
                str(c.device), type(c).__name__, m.equal(c.get_state(), g.get_state()))
    _same(f)


@pytest.mark.parametrize("name,args", [("graphsafe_get_state", ()),
                                       ("graphsafe_set_state", (None,))])
def test_generator_graphsafe_refused(name, args):
    def f(m):
        g = m.Generator()
        return getattr(g, name)(*(g if a is None else a for a in args))
    _same(f)


def _fuzz(m, seed, n):
    """A seeded sequence of random calls on one stream; the values of each, in order."""
    import random

    rnd = random.Random(seed)
    g = m.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        k = rnd.randrange(6)
        shape = rnd.choice([(2, 50), (17, 2), (64, 3), (5, 7)])
        gen = g if rnd.random() < 0.5 else None
        t = m.empty(shape[::-1]).t()
        if k == 0:
            out.append(t.bernoulli_(m.rand(shape), generator=gen))
        elif k == 1:
            out.append(m.normal(m.rand(shape), 0.5, out=t, generator=gen))
        elif k == 2:
            out.append(m.multinomial(m.rand(shape).t(), 2, generator=gen))
        elif k == 3:
            o = m.empty(1)
            m.bernoulli(m.rand(shape), out=o, generator=gen)
            out.append(o)
        elif k == 4:
            out.append(m.normal(1.0, m.rand(shape) + 0.1, out=t, generator=gen))
        else:
            out.append(t.normal_(generator=gen))
    out.append(m.rand(4, generator=g))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_fuzzed_stream(seed):
    _same(lambda m: tuple(_fuzz(m, seed, 25)))


@pytest.mark.parametrize("rates", [
    lambda m: m.full((5,), 4.0, dtype=m.bfloat16),
    lambda m: m.tensor([3.0, 12.5], dtype=m.bfloat16).expand(2, 2).t(),
    lambda m: m.tensor([float("inf"), 1e20, 30.0]),
    lambda m: m.tensor([float("inf")], dtype=m.float64)])
def test_poisson_bfloat16_and_huge_rates(rates):
    _same(lambda m: m.poisson(rates(m)))


def _leaf(m):
    return m.zeros(3, requires_grad=True)


@pytest.mark.parametrize("fill", [
    lambda t: t.uniform_(2, 1), lambda t: t.uniform_(), lambda t: t.normal_(0, -1),
    lambda t: t.normal_(), lambda t: t.random_(), lambda t: t.random_(5, 2),
    lambda t: t.exponential_(), lambda t: t.exponential_(-1), lambda t: t.bernoulli_(0.5),
    lambda t: t.bernoulli_(2.0), lambda t: t.bernoulli_(t.detach() + 0.5)])
def test_fill_of_a_leaf_refused_before_checks_and_draws(fill):
    _same(lambda m: fill(_leaf(m)))


def test_fill_of_a_view_of_a_leaf_refused():
    _same(lambda m: m.zeros(1, requires_grad=True).expand(3).uniform_())


def test_normal_int_expanded_refused_by_dtype_first():
    _same(lambda m: m.zeros(1, dtype=m.int64).expand(3).normal_())


@pytest.mark.parametrize("make", [
    lambda m: m.normal(2.0, 3.0, 4), lambda m: m.normal(m.zeros(2), 1.0, 4),
    lambda m: m.normal(2.0, 3.0, (2.5,)), lambda m: m.normal(m.zeros(2), 1.0, (2,)),
    lambda m: m.normal(2.0, 3.0, [2]), lambda m: m.normal(2, 3, size=(2,)),
    lambda m: m.normal(m.tensor(2.0), m.tensor(3.0), (3,))])
def test_normal_size_only_in_the_float_overload(make):
    _same(make)


def test_init_sparse_permutations_from_the_default_generator():
    def f(m):
        g = m.Generator().manual_seed(2)
        return m.nn.init.sparse_(m.empty(5, 7), 0.5, generator=g), m.rand(2, generator=g)
    _same(f)


@pytest.mark.parametrize("bad", [5, "x"])
@pytest.mark.parametrize("make", [
    lambda m, g: m.normal(0.0, 1.0, (2,), generator=g),
    lambda m, g: m.normal(m.zeros(2), 1.0, generator=g),
    lambda m, g: m.empty(2).bernoulli_(0.5, generator=g),
    lambda m, g: m.bernoulli(m.rand(2), generator=g),
    lambda m, g: m.poisson(m.rand(2), generator=g),
    lambda m, g: m.randperm(3, generator=g),
    lambda m, g: m.empty(2).uniform_(generator=g)])
def test_wrong_generator_type(bad, make):
    _same(lambda m: make(m, bad))


@pytest.mark.parametrize("seed", [np.int64(5), np.float64(2.0), True, 1.5,
                                  "tensor", "tensor1"])
def test_generator_manual_seed_refuses_non_ints(seed):
    def f(m):
        s = {"tensor": m.tensor(5), "tensor1": m.tensor([5])}.get(seed, seed) \
            if isinstance(seed, str) else seed
        return m.tensor(m.Generator().manual_seed(s).initial_seed())
    _same(f)


@pytest.mark.parametrize("setter", ["generator", "global"])
def test_set_state_non_contiguous_refused(setter):
    def f(m):
        st = m.get_rng_state().repeat(2)[::2]
        (m.Generator().set_state if setter == "generator" else m.set_rng_state)(st)
    _same(f)


_INF, _NAN = float("inf"), float("nan")


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16", "float16", "int64"])
@pytest.mark.parametrize("a,b", [(0.0, -_INF), (_INF, 1.0), (1e300, 2.0), (2.0, 1.0),
                                 (_NAN, 1.0), (0.0, 1e39)])
def test_uniform_bounds_checked_before_the_range(dtype, a, b):
    _same(lambda m: m.empty(5, dtype=getattr(m, dtype)).uniform_(a, b))


def test_uniform_expanded_bounds_checked_before_the_overlap():
    _same(lambda m: m.zeros(1).expand(3).uniform_(0.0, _INF))


@pytest.mark.parametrize("dtype", ["int64", "float32"])
def test_normal_nan_std_refused(dtype):
    _same(lambda m: m.empty(5, dtype=getattr(m, dtype)).normal_(0.0, _NAN))


@pytest.mark.parametrize("fill", [
    lambda t: t.normal_(_INF, _INF), lambda t: t.normal_(-_INF, _INF),
    lambda t: t.log_normal_(_INF, _INF), lambda t: t.cauchy_(-_INF, _INF)])
@pytest.mark.parametrize("n", [5, 40])
def test_bfloat16_nans_of_a_fill_are_positive(fill, n):
    _same(lambda m: fill(m.empty(n, dtype=m.bfloat16)))
