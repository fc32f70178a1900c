import torch
import torch.nn as nn
from torch.distributions import Categorical, Normal

torch.manual_seed(13)


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 16)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(16, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = torch.relu(self.dropout(self.affine1(x)))
        return torch.softmax(self.affine2(x), dim=1)


policy = Policy()
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
eps = torch.finfo(torch.float32).eps
print(eps, torch.finfo(torch.float16), torch.iinfo(torch.int8).max)
gamma = 0.99
for episode in range(3):
    state = torch.zeros(4)
    for t in range(10):
        probs = policy(state.unsqueeze(0))
        m = Categorical(probs)
        action = m.sample()
        policy.saved_log_probs.append(m.log_prob(action))
        state = state + 0.1 * (action.float() - 0.5)
        policy.rewards.append(1.0 if action.item() == t % 2 else 0.0)
    R, returns = 0, []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    loss = torch.cat([-lp * R for lp, R in zip(policy.saved_log_probs, returns)]).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"Episode {episode}\tLast reward: {sum(policy.rewards):.2f}\tloss {loss.item():.4f}")
    del policy.rewards[:]
    del policy.saved_log_probs[:]
print(m, m.probs.shape, m.entropy())
n = Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.5]))
s = n.rsample((3,))
print(s, n.log_prob(s).sum(-1), n)
print(n.mean, n.stddev, n.variance)
c = Categorical(logits=torch.tensor([[1.0, 2.0, 3.0]]))
print(c.sample((5,)).squeeze(-1), c.probs, c.logits)
print(torch.distributions.kl_divergence(n, Normal(torch.zeros(2), torch.ones(2))))
b = torch.distributions.Bernoulli(probs=torch.tensor([0.3, 0.9]))
print(b.sample((4,)), b.log_prob(torch.tensor([1.0, 0.0])), b)
