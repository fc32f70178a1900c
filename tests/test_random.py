"""ember's public random API draws PyTorch's numbers, bit for bit, for the same seed."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def bits(t):
    t = t.detach()
    if str(t.dtype).endswith("bfloat16"):
        t = t.to(t.__class__ is torch.Tensor and torch.float32 or ember.float32)
    return np.asarray(t.numpy()).tobytes()


CALLS = [
    lambda T: T.rand(7),
    lambda T: T.rand(3, 5, dtype=T.float64),
    lambda T: T.rand(40, dtype=T.float16),
    lambda T: T.rand(33, dtype=T.bfloat16),
    lambda T: T.randn(5),
    lambda T: T.randn(16),
    lambda T: T.randn(1000),
    lambda T: T.randn(17, 3),
    lambda T: T.randn(9, dtype=T.float64),
    lambda T: T.randn(100, dtype=T.float64),
    lambda T: T.randint(0, 10, (20,)),
    lambda T: T.randint(-5, 5, (3, 3), dtype=T.int32),
    lambda T: T.randint(3, (4,)),
    lambda T: T.randint(0, 2 ** 40, (5,)),
    lambda T: T.randperm(10),
    lambda T: T.randperm(1000),
    lambda T: T.normal(2.0, 3.0, size=(50,)),
    lambda T: T.normal(T.zeros(20), T.ones(20)),
    lambda T: T.empty(64, 32).uniform_(-0.1, 0.1),
    lambda T: T.empty(20).normal_(1.0, 0.5),
    lambda T: T.empty(6, 4).t().normal_(),
    lambda T: T.empty(10, dtype=T.int64).random_(0, 100),
    lambda T: T.empty(10).random_(),
    lambda T: T.empty(10).bernoulli_(0.3),
    lambda T: T.bernoulli(T.full((3, 4), 0.7)),
    lambda T: T.empty(10).exponential_(2.0),
    lambda T: T.rand_like(T.ones(3, 3)),
    lambda T: T.randn_like(T.ones(40)),
    lambda T: T.randint_like(T.ones(5), 7),
]


@pytest.mark.parametrize("seed", [0, 1, 42, 2 ** 40 + 7])
@pytest.mark.parametrize("i", range(len(CALLS)))
def test_same_stream(seed, i):
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    for _ in range(2):  # the second call shows the generators moved by the same amount
        t = CALLS[i](torch)
        e = CALLS[i](ember)
        assert str(e.dtype) == str(t.dtype)
        assert tuple(e.shape) == tuple(t.shape)
        assert bits(e) == bits(t)


def test_interleaved_calls_share_one_stream():
    outs = []
    for T in (torch, ember):
        T.manual_seed(3)
        outs.append([bits(c(T)) for c in CALLS])
    assert outs[0] == outs[1]


def test_generator_objects():
    tg = torch.Generator().manual_seed(5)
    eg = ember.Generator().manual_seed(5)
    assert bits(ember.rand(4, generator=eg)) == bits(torch.rand(4, generator=tg))
    assert bits(ember.randperm(6, generator=eg)) == bits(torch.randperm(6, generator=tg))
    assert eg.initial_seed() == tg.initial_seed() == 5
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()


def test_rng_state_crosses_between_libraries():
    torch.manual_seed(11)
    torch.randn(3)  # leaves a cached normal in the state
    state = torch.get_rng_state()
    ember.set_rng_state(ember.from_numpy(state.numpy().copy()))
    assert bits(ember.randn(5)) == bits(torch.randn(5))
    ember.manual_seed(12)
    ember.rand(3)
    torch.set_rng_state(torch.from_numpy(ember.get_rng_state().numpy().copy()))
    assert bits(torch.rand(4)) == bits(ember.rand(4))
    assert ember.get_rng_state().dtype is ember.uint8
    assert tuple(ember.get_rng_state().shape) == tuple(torch.get_rng_state().shape)


def test_seed_functions():
    ember.manual_seed(123)
    assert ember.initial_seed() == 123
    s = ember.seed()
    assert ember.initial_seed() == s
    g = ember.Generator()
    st = g.get_state()
    a = ember.rand(3, generator=g)
    g.set_state(st)
    assert bits(ember.rand(3, generator=g)) == bits(a)


def test_bad_state_and_seed():
    draws = []
    for T in (torch, ember):  # torch.manual_seed takes int(seed); a Generator only ints
        T.manual_seed(1.5)
        draws.append(T.rand(2).tolist())
        with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
            T.Generator().manual_seed(1.5)
    assert draws[0] == draws[1]
    with pytest.raises(RuntimeError):
        torch.set_rng_state(torch.zeros(10, dtype=torch.uint8))
    with pytest.raises(RuntimeError):
        ember.set_rng_state(ember.zeros(10, dtype=ember.uint8))
    with pytest.raises(TypeError):
        ember.set_rng_state(ember.zeros(5056))


@pytest.mark.parametrize("seed", [0, 7])
def test_multinomial_draws(seed):
    outs = []
    for T in (torch, ember):
        g = T.Generator().manual_seed(seed)
        w = T.tensor([0.1, 0.9, 0.4, 0.7, 3.0, 0.6, 0.0, 2.0], dtype=T.double)
        outs.append([T.multinomial(w, 5, False, generator=g).tolist(),
                     T.multinomial(w, 1, True, generator=g).tolist(),
                     T.multinomial(w.float(), 6, True, generator=g).tolist(),
                     T.multinomial(T.rand(3, 4, generator=g), 2, generator=g).tolist()])
    assert outs[0] == outs[1]
    with pytest.raises(RuntimeError):
        ember.multinomial(ember.tensor([1.0, 2.0]), 3)
