import torch

torch.manual_seed(123)
print(torch.rand(3, dtype=torch.float64))
print(torch.randn(2, 2, dtype=torch.float16))
print(torch.randn(3, dtype=torch.bfloat16))
print(torch.randint(-5, 5, (6,), dtype=torch.int8))
print(torch.randint(3, (2, 3)))
x = torch.empty(5)
print(x.uniform_(-1, 1), x.normal_(2, 0.5))
print(torch.empty(4).exponential_(2.0))
print(torch.empty(4).geometric_(0.3))
print(torch.empty(3).cauchy_())
print(torch.empty(3).log_normal_(0, 0.25))
print(torch.empty(6, dtype=torch.int64).random_(0, 10), torch.empty(3).random_(5))
print(torch.empty(4).bernoulli_(0.3), torch.bernoulli(torch.full((5,), 0.7)))
probs = torch.tensor([0.1, 0.2, 0.3, 0.4])
print(torch.multinomial(probs, 6, replacement=True), torch.multinomial(probs, 3))
print(torch.multinomial(torch.tensor([[0.5, 0.5], [0.9, 0.1]]), 4, replacement=True))
print(torch.normal(torch.zeros(3), torch.tensor([1.0, 2.0, 3.0])))
print(torch.normal(2.0, 3.0, size=(2, 2)))
print(torch.normal(torch.arange(3.0), 0.1))
print(torch.rand_like(torch.zeros(2, dtype=torch.float64)), torch.randn_like(torch.ones(2)))
print(
    torch.randint_like(torch.zeros(4), 10),
    torch.randint_like(torch.zeros(3, dtype=torch.int32), 2, 8),
)
print(torch.randperm(8), torch.randperm(5, dtype=torch.int32))
print(torch.poisson(torch.tensor([1.0, 5.0, 20.0])))
g = torch.Generator().manual_seed(9)
print(
    torch.rand(2, generator=g),
    torch.randn(2, generator=g),
    torch.randint(0, 100, (3,), generator=g),
)
print(g.initial_seed(), torch.initial_seed())
state = torch.get_rng_state()
a = torch.rand(3)
torch.set_rng_state(state)
print(torch.equal(a, torch.rand(3)), state.shape, state.dtype)
t = torch.arange(10)
print(t[torch.randperm(10)[:4]])
x = torch.randn(1000)
print(f"{x.mean():.4f} {x.std():.4f} {x.min():.4f} {x.max():.4f}")
print(torch.quantile(x, torch.tensor([0.25, 0.5, 0.75])))
print(
    torch.median(torch.tensor([3.0, 1.0, 4.0, 2.0])), torch.tensor([3.0, 1.0, 4.0, 2.0]).nanmedian()
)
print(torch.kthvalue(torch.tensor([5, 3, 8, 1]), 2), torch.mode(torch.tensor([1, 2, 2, 3, 3])))
print(torch.quantile(torch.tensor([1.0, 2.0, 3.0, 4.0]), 0.4, interpolation="nearest"))
d = torch.distributions.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.5]))
s = d.sample((3,))
print(s, d.log_prob(s), d.entropy())
c = torch.distributions.Categorical(probs=torch.tensor([0.2, 0.3, 0.5]))
print(c.sample((8,)), c.entropy())
b = torch.distributions.Bernoulli(logits=torch.tensor([0.0, 2.0]))
print(b.sample(), b.probs, b.mean)
u = torch.distributions.Uniform(0.0, 2.0)
print(u.rsample((2,)), u.log_prob(torch.tensor(1.0)))
mvn = torch.distributions.MultivariateNormal(torch.zeros(2), torch.eye(2) * 2)
print(mvn.sample((2,)), mvn.log_prob(torch.zeros(2)))
print(
    torch.distributions.kl_divergence(
        torch.distributions.Normal(0.0, 1.0), torch.distributions.Normal(1.0, 2.0)
    )
)
print(torch.distributions.Dirichlet(torch.tensor([1.0, 2.0, 3.0])).sample())
print(
    torch.distributions.Beta(2.0, 3.0).sample((2,)),
    torch.distributions.Gamma(2.0, 1.0).sample((2,)),
)
