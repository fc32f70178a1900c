import copy
import math
import pickle
import numpy as np
import torch

t = torch.tensor([3.0, 1.0, 2.0])
print(sorted(t), max(t), min(t), sum(t), list(t), tuple(t.int()))
print(sum(torch.ones(2, 2)), sum([torch.tensor(1.0), torch.tensor(2.0)]), sum(t.tolist()))
x = torch.tensor(2.5)
print(
    int(x),
    float(x),
    round(x.item()),
    math.floor(x),
    math.ceil(x),
    math.sqrt(x),
    math.isclose(x, 2.5),
)
print(
    x.round(),
    torch.tensor(2.567).round(decimals=2),
    abs(torch.tensor(-2)),
    -torch.tensor(True) if False else ~torch.tensor(True),
)
print(
    complex(torch.tensor(1.5)),
    bool(torch.tensor(0.0)),
    bool(torch.tensor([1])),
    x.__index__() if False else int(torch.tensor(7)),
)
print(
    "%.2f" % x,
    "%d" % torch.tensor(5),
    "{:>8.3f}".format(x),
    "{}".format(torch.tensor([1, 2])),
    "%s" % torch.tensor(1.0),
)
print(2.0 in t, torch.tensor(1.0) in t, 5 in t, [1, 2, 3][torch.tensor(1)], "abc"[torch.tensor(2)])
print(torch.tensor(-7) // 2, torch.tensor(-7) % 3, torch.tensor(7.5) % -2, -7.5 % torch.tensor(2.0))
print(
    torch.tensor([5, -5]) // torch.tensor([2, 2]),
    torch.tensor([5.0, -5.0]) // 2,
    torch.tensor([1, 2]) / 2,
    7 // torch.tensor([2, -2]),
)
print(
    torch.tensor([6]) << 2,
    torch.tensor([6]) >> 1,
    torch.tensor([6]) ^ 3,
    torch.tensor([6]) & 3,
    torch.tensor([6]) | 1,
    ~torch.tensor([6]),
)
print(
    torch.tensor([True, False]) ^ torch.tensor([True, True]),
    ~torch.tensor([True, False]),
    torch.tensor([1, 2]) ** 2,
    2 ** torch.tensor([1, 2]),
)
print(list(reversed(t)), t.flip(0), copy.copy(t), copy.deepcopy(t), pickle.loads(pickle.dumps(t)))
print(
    np.float64(2.0) * t,
    (np.float64(2.0) * t).dtype,
    (t * np.float64(2.0)).dtype,
    (t * np.float32(2)).dtype,
)
print(
    (t + np.int64(1)).dtype,
    (torch.tensor([1, 2]) * np.float64(1.5)).dtype,
    (torch.tensor([1, 2]) + np.int32(1)).dtype,
)
print(
    torch.tensor(np.float64(1.0)).dtype,
    torch.tensor(np.float32(1.0)).dtype,
    torch.tensor(np.int16(3)).dtype,
    torch.tensor([np.float32(1)]).dtype,
)
print(
    torch.tensor(np.array([1, 2], dtype=np.uint16)).dtype,
    torch.as_tensor(np.array([1.0])).dtype,
    torch.tensor([True, 1]).dtype,
)
print(
    torch.tensor([1, 2.0]).dtype,
    torch.tensor([1, 2j]).dtype,
    torch.tensor([[1], [2]]).shape,
    torch.tensor(()).shape,
)
a = np.arange(3.0)
print(
    torch.from_numpy(a) + 1,
    np.asarray(t),
    np.array(t, dtype=np.int32),
    t.numpy().sum(),
    type(t.numpy().sum()).__name__,
)
print(
    np.mean(t.numpy()),
    np.sqrt(t).__class__.__name__ if False else np.sqrt(t.numpy()),
    t.tolist(),
    x.tolist(),
    type(x.item()),
)
print(
    torch.tensor([1.5], dtype=torch.bfloat16).tolist(),
    torch.tensor([1, 2], dtype=torch.uint8).tolist(),
    torch.tensor(1 + 2j).item(),
)
print(
    len(t),
    t.size(),
    t.shape[0],
    t.dim(),
    t.ndimension(),
    t.nelement(),
    t.numel(),
    x.shape,
    x.size(),
    x.ndim,
)
try:
    len(x)
except TypeError as e:
    print("TypeError", e)
try:
    bool(t)
except RuntimeError as e:
    print("RuntimeError", e)
try:
    iter(x)
except TypeError as e:
    print("TypeError", e)
try:
    int(t)
except (ValueError, TypeError, RuntimeError) as e:
    print(type(e).__name__, e)
print(t == None, t is None, t != None)  # noqa: E711
print(
    isinstance(t, torch.Tensor),
    type(t),
    type(torch.nn.Parameter(t)),
    torch.is_tensor(t),
    torch.is_floating_point(t),
)
print(
    hash(t) == id(t) or hash(t) is not None,
    {t: 1}[t],
    t.__class__.__name__,
    t.type(),
    t.int().type(),
    x.type(torch.int32),
)
print(
    torch.tensor([1, 2]) == torch.tensor([1, 3]),
    torch.equal(t, t.clone()),
    (t > 1).any().item(),
    (t > 1).all(),
)
d = {torch.tensor(1).item(): "a"}
print(
    d, t.max().item() == 3, f"{t.sum():g}", f"{t.mean().item():.2e}", str(torch.tensor(0.1 + 0.2))
)
print(
    np.array([t.numpy(), t.numpy()]).shape,
    torch.tensor(np.stack([a, a])).dtype,
    torch.stack([torch.from_numpy(a)] * 2).shape,
)
print(
    max(torch.tensor([1, 5]), torch.tensor([3, 2]), key=lambda v: v.sum()),
    torch.tensor(3) > 2,
    2 < torch.tensor(3),
)
print(
    range(torch.tensor(3)),
    [0] * torch.tensor(2),
    np.zeros(torch.tensor(2)).shape,
    torch.zeros(torch.tensor(2)),
)
