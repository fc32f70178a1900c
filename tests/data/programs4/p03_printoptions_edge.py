import torch

torch.manual_seed(0)
x = torch.randn(20, 30)
torch.set_printoptions(precision=2, sci_mode=False, linewidth=60, threshold=50, edgeitems=2)
print(x)
print(x * 1e6)
print(torch.randn(3, 4, 5, 6))
print(torch.arange(100))
print(torch.randn(4) * 1e-7)
torch.set_printoptions(profile="full")
print(torch.arange(1200).view(-1)[:1001].shape, torch.arange(12).view(3, 4))
torch.set_printoptions(profile="short")
print(torch.randn(5, 5))
torch.set_printoptions(profile="default")
print(torch.tensor([1e8, 1.0]), torch.tensor([1e7, 1.5]), torch.tensor([123456.0, 0.5]))
print(
    torch.tensor([100.0, 1000.0, 10000.0]),
    torch.tensor([0.0001, 1.0]),
    torch.tensor([0.00001, 1.0]),
)
print(torch.tensor([1.0, 2.0, 3.0]) * 1e15, torch.tensor([2**62, -3]), torch.tensor([-1, 10, -100]))
print(torch.tensor([[1.5e-3, 2.0], [3.0, 4e4]]))
print(torch.tensor([0.0, -0.0, 1.0]), torch.tensor([-0.0]), torch.tensor([float("nan")]))
print(
    torch.tensor([float("inf"), 1.0]),
    torch.tensor([float("-inf"), 1e-9]),
    torch.full((2,), float("nan")),
)
print(torch.arange(2000.0).view(2, 1000))
print(torch.randn(1001, 2).shape, torch.zeros(1001, dtype=torch.int32))
print(torch.randn(2, 3, dtype=torch.complex64))
print(torch.zeros(2000, dtype=torch.complex64))
print(torch.tensor([[True, False] * 600]))
print(torch.arange(10, dtype=torch.uint8).view(2, 5), torch.tensor([-128, 127], dtype=torch.int8))
print(
    torch.tensor([1.25, 2.5], dtype=torch.float16).view(2, 1)
    * torch.tensor([1.0, 1000.0], dtype=torch.float16)
)
print(torch.tensor([3.0e-41]), torch.tensor([1e-45]), torch.tensor([1e38, 1e-38]))
print(torch.linspace(0, 1, 7), torch.logspace(0, 3, 4), torch.linspace(-1e-3, 1e-3, 3))
torch.set_printoptions(precision=6)
print(torch.tensor([1 / 3, 2 / 3]), torch.tensor(1 / 3, dtype=torch.float64))
torch.set_printoptions(precision=4, sci_mode=True)
print(torch.tensor([1.0, 2.0]), torch.tensor(5.0))
torch.set_printoptions(sci_mode=None, precision=4, threshold=1000, edgeitems=3, linewidth=80)
print(torch.ones(3, 40))
print(repr(torch.tensor([1, 2])), str(torch.tensor([[1.0]])), torch.tensor([1.0]).__str__())
print([torch.tensor(1.0), torch.tensor([2, 3])], (torch.tensor(1),), {"a": torch.zeros(2)})
