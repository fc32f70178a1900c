import torch
from torch.distributions import (
    Normal,
    Categorical,
    Bernoulli,
    MultivariateNormal,
    Uniform,
    Beta,
    kl_divergence,
    Poisson,
    OneHotCategorical,
    Independent,
    Dirichlet,
)

torch.manual_seed(123)
n = Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.5]))
print(n)
s = n.sample((3,))
print(s, s.shape)
print(n.log_prob(s))
print(n.mean, n.stddev, n.variance, n.entropy())
r = n.rsample()
print(r.requires_grad)
mu = torch.tensor(0.5, requires_grad=True)
d = Normal(mu, 1.0)
x = d.rsample((4,))
x.sum().backward()
print(mu.grad)
c = Categorical(probs=torch.tensor([0.1, 0.2, 0.7]))
samples = c.sample((1000,))
print(torch.bincount(samples), c.log_prob(torch.tensor([0, 2])), c.entropy())
print(c.probs, c.logits)
b = Bernoulli(logits=torch.tensor([-1.0, 0.0, 2.0]))
print(b.sample((2,)), b.probs, b.mean)
mvn = MultivariateNormal(torch.zeros(2), covariance_matrix=torch.tensor([[1.0, 0.5], [0.5, 2.0]]))
print(mvn.sample((2,)), mvn.log_prob(torch.zeros(2)), mvn.scale_tril)
u = Uniform(0.0, 2.0)
print(u.sample((3,)), u.log_prob(torch.tensor(1.0)), u.cdf(torch.tensor(0.5)))
be = Beta(torch.tensor(2.0), torch.tensor(5.0))
print(be.sample(), be.mean, f"{be.log_prob(torch.tensor(0.3)).item():.5f}")
print(kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0)))
print(kl_divergence(c, Categorical(logits=torch.zeros(3))))
p = Poisson(torch.tensor([1.0, 4.0]))
print(p.sample((3,)), p.log_prob(torch.tensor([2.0, 2.0])))
oh = OneHotCategorical(probs=torch.tensor([0.25, 0.25, 0.5]))
print(oh.sample((2,)))
ind = Independent(Normal(torch.zeros(3), torch.ones(3)), 1)
print(ind.batch_shape, ind.event_shape, ind.log_prob(torch.zeros(3)))
dr = Dirichlet(torch.tensor([1.0, 2.0, 3.0]))
print(dr.sample(), dr.mean)
try:
    Normal(0.0, -1.0)
except ValueError as e:
    print("ValueError:", e)
print(Normal(torch.zeros(2, 3), 1.0).batch_shape, n.icdf(torch.tensor([0.5, 0.975])))
