import copy
import pickle
import torch

torch.manual_seed(21)
t = torch.tensor([3.5, -1.25, 2.0])
print(len(t), list(t), [float(v) for v in t], sorted(t.tolist()))
print(max(t), min(t).item(), sum(t), t[0] > 1, bool(t[0] > 1))
for row in torch.arange(6).view(3, 2):
    print(row, end=" | ")
print()
print(int(torch.tensor(7.9)), float(torch.tensor(2)), complex(torch.tensor(1.5)))
print(round(t[1].item(), 1), abs(t), -t, +t, ~torch.tensor([True, False]))
print(f"{t[0]:.3f} {t[0]!r} {t[0]!s}", "%.2f" % t[1], "{:>8.2f}".format(t[2]))
print(f"{t}", str(t), repr(t), format(t))
try:
    print(f"{t:.2f}")
except Exception as e:
    print(type(e).__name__, e)
d = {"loss": torch.tensor(0.5), "acc": torch.tensor([0.9, 0.8])}
print(d)
print([torch.tensor(1), torch.tensor([2.0])])
print((torch.tensor(3), torch.zeros(2, 2)))
print(t.shape == (3,), t.shape, tuple(t.shape), t.shape[0], list(t.size()), t.size(-1))
print(torch.Size([2, 3]) + (4,), torch.Size([2, 3]).numel(), t.shape.numel())
c = copy.deepcopy(t)
c[0] = 0
print(t[0].item(), c)
p = pickle.loads(pickle.dumps(t))
print(p, p.dtype, torch.equal(p, t))
print(hash(t) == hash(t), t is t.detach(), t.data_ptr() == t.detach().data_ptr())
print(2 ** torch.tensor([1, 2]), 10 / torch.tensor([4]), 7 // torch.tensor([2]), 5 - t)
print(torch.tensor([1, 2]) == torch.tensor([1, 3]), torch.tensor([1, 2]) @ torch.tensor([3, 4]))
print(t.tolist(), t.numpy(), t.double().numpy().dtype)
print(torch.tensor([[1, 2], [3, 4]]).tolist(), torch.tensor(5).tolist())
print(torch.tensor([0.1, 0.2]).sum() == 0.3, (torch.tensor(0.1) + 0.2).item())
print(torch.tensor(2) in torch.tensor([1, 2]), 3 in torch.arange(3))
print(torch.is_tensor(t), torch.is_floating_point(t), isinstance(t, torch.Tensor))
print(t.__class__, type(t), t.dtype.is_floating_point, t.dtype.itemsize)
x = torch.zeros(2, requires_grad=True)
print(x, x.detach(), x.data, x.clone(), x + 1)
print(torch.tensor([1., 2.], dtype=torch.float64).requires_grad_())
nan = float("nan")
print(torch.tensor(nan) == torch.tensor(nan), torch.isnan(torch.tensor([nan, 1.])))
print(torch.tensor([1.123456789], dtype=torch.float64), torch.tensor([100000.5]))
print(torch.tensor([1e-5, 1.0, 1e5]), torch.tensor([1e-5, 1e6]))
print(torch.tensor([[0.001, 1000.0], [0.5, 2.0]]), torch.tensor([12345678.0, 1.0]))
