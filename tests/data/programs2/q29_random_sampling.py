import torch
import torch.distributions as D

torch.manual_seed(2024)
print(
    torch.rand(3, dtype=torch.float64),
    torch.rand(3, dtype=torch.float16),
    torch.rand(3, dtype=torch.bfloat16),
)
print(torch.randn(2, dtype=torch.complex64), torch.randn(3, dtype=torch.float64))
print(
    torch.randint(-5, 5, (6,), dtype=torch.int8),
    torch.randint(0, 2**40, (2,)),
    torch.randint(3, (4,)),
)
print(torch.randperm(20), torch.randperm(5, dtype=torch.int32))
print(torch.multinomial(torch.tensor([0.1, 0.3, 0.6]), 5, replacement=True))
print(torch.multinomial(torch.tensor([[1.0, 2.0, 3.0, 4.0], [4.0, 0.0, 1.0, 1.0]]), 3))
print(torch.normal(torch.zeros(3), torch.arange(1.0, 4.0)), torch.normal(2.0, 3.0, size=(2,)))
print(torch.poisson(torch.tensor([0.5, 5.0, 50.0])), torch.bernoulli(torch.tensor([0.2, 0.8, 0.5])))
t = torch.empty(4)
print(t.uniform_(-1, 1), t.normal_(5, 0.1), t.exponential_(2.0), t.geometric_(0.3))
print(t.log_normal_(0, 0.5), t.cauchy_(), t.random_(0, 10), t.bernoulli_(0.5))
print(torch.rand_like(t), torch.randn_like(t), torch.randint_like(t, 100))
for dist in [
    D.Gamma(torch.tensor([0.5, 2.0]), torch.tensor([1.0, 3.0])),
    D.Exponential(torch.tensor([1.0, 0.1])),
    D.LogNormal(0.0, 1.0),
    D.Laplace(0.0, 2.0),
    D.StudentT(3.0),
    D.Chi2(torch.tensor([4.0])),
    D.Binomial(10, torch.tensor([0.2, 0.9])),
    D.Geometric(torch.tensor([0.3])),
    D.Cauchy(0.0, 1.0),
    D.HalfNormal(1.0),
    D.Weibull(1.0, 1.5),
    D.Gumbel(0.0, 1.0),
    D.Multinomial(5, torch.tensor([0.2, 0.3, 0.5])),
    D.VonMises(torch.tensor(0.0), torch.tensor(2.0)),
    D.NegativeBinomial(3, torch.tensor(0.4)),
    D.Beta(torch.tensor([0.5]), torch.tensor([0.5])),
    D.Pareto(1.0, 2.0),
    D.Kumaraswamy(2.0, 3.0),
    D.RelaxedBernoulli(torch.tensor(0.5), probs=torch.tensor([0.3])),
    D.ContinuousBernoulli(torch.tensor([0.3])),
]:
    s = dist.sample((3,))
    print(
        type(dist).__name__,
        s.flatten().tolist(),
        [round(v, 5) for v in dist.log_prob(s).flatten().tolist()],
    )
mix = D.MixtureSameFamily(
    D.Categorical(torch.tensor([0.3, 0.7])),
    D.Normal(torch.tensor([-2.0, 2.0]), torch.tensor([0.5, 1.0])),
)
print(mix.sample((4,)), mix.log_prob(torch.tensor([0.0, 2.0])), mix.mean, mix.variance)
tr = D.TransformedDistribution(
    D.Normal(0.0, 1.0), [D.transforms.ExpTransform(), D.transforms.AffineTransform(1.0, 2.0)]
)
print(tr.sample((2,)), tr.log_prob(torch.tensor([2.0, 4.0])))
lr = D.LowRankMultivariateNormal(torch.zeros(3), torch.ones(3, 1), torch.ones(3))
print(lr.sample(), lr.log_prob(torch.zeros(3)), lr.covariance_matrix)
rc = D.RelaxedOneHotCategorical(torch.tensor(0.5), probs=torch.tensor([0.2, 0.3, 0.5]))
print(rc.rsample())
print(D.Dirichlet(torch.tensor([0.3, 0.3, 0.3])).sample((2,)))
lkj = D.LKJCholesky(3, concentration=2.0)
print(lkj.sample())
w = D.Wishart(df=torch.tensor(4.0), covariance_matrix=torch.eye(2))
print(w.sample())
g = torch.Generator().manual_seed(5)
print(
    torch.randn(3, generator=g), torch.rand(2, generator=g), torch.randint(0, 9, (3,), generator=g)
)
st = torch.get_rng_state()
a = torch.randn(2)
torch.set_rng_state(st)
print(torch.equal(a, torch.randn(2)), torch.initial_seed())
with torch.random.fork_rng():
    torch.randn(100)
print(torch.randn(1))
print(torch.seed() > 0)
