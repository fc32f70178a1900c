import torch

for dt in [
    torch.bool,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.uint8,
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
    torch.complex64,
    torch.complex128,
]:
    t = torch.tensor([0, 1, 2, 3]).to(dt)
    print(dt, repr(t), t.element_size(), t.is_floating_point(), t.is_complex(), t.is_signed())
print(torch.tensor([1e-10, 1.0, 1e10]))
print(torch.tensor([1e-10, 1.0, 1e10], dtype=torch.float16))
print(torch.tensor([1e-5, 3e-3], dtype=torch.bfloat16))
print(torch.tensor([0.1, 100000.0, float("nan"), float("inf"), -float("inf")]))
print(torch.tensor([1.5, float("nan")], dtype=torch.float64))
print(torch.tensor([123456789.0, 0.001]))
print(torch.tensor([[1e-8, 2e-8], [3e-8, 4e-8]]))
print(torch.tensor([65504.0, -65504.0, 6e-5], dtype=torch.float16))
print(torch.tensor([1 + 2j, -0.5j, 3.25 + 0j]))
print(torch.tensor([1e10 + 1j, 1e-3j], dtype=torch.complex64))
print(torch.tensor([float("nan") + 1j, complex(float("inf"), 0)]))
print(
    torch.tensor(3.14159),
    torch.tensor(7),
    torch.tensor(True),
    torch.tensor(2.5, dtype=torch.float16),
)
print(torch.tensor(1e20), torch.tensor(-0.0), torch.tensor(1 + 1j))
print(
    torch.tensor([]),
    torch.zeros(0, 3),
    torch.empty(2, 0, dtype=torch.int64),
    torch.zeros(0, dtype=torch.bool),
)
print(torch.arange(2 * 3 * 2 * 2).view(2, 3, 2, 2))
print(torch.ones(1, 1, 1, 1, 1, dtype=torch.float16))
w = torch.tensor([1.0, 2.0], requires_grad=True)
print(w, w * 2, (w * 2).sum(), w.mean(), w[0], w.view(2, 1), w.exp().log())
print(torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True) ** 2)
print(torch.tensor([1.0], dtype=torch.float16, requires_grad=True).sum())
s = torch.Size([2, 3, 4])
print(s, repr(s), s[1:], s.numel(), len(s), s == (2, 3, 4), torch.Size([]), torch.Size([5]))
print(
    torch.float32,
    repr(torch.int8),
    torch.bfloat16,
    str(torch.complex64),
    torch.double,
    torch.half,
    torch.long,
)
print(
    torch.device("cpu"),
    repr(torch.device("cpu", 0)),
    torch.device("cuda:1"),
    torch.device("cuda", 0).index,
)
print(torch.finfo(torch.float32))
print(torch.finfo(torch.float16))
print(torch.finfo(torch.bfloat16))
print(torch.finfo(torch.float64).eps, torch.finfo().tiny, torch.finfo(torch.float16).max)
print(torch.iinfo(torch.int8), torch.iinfo(torch.uint8).max, torch.iinfo(torch.int64).min)
print(torch.iinfo(torch.int32))
print(torch.finfo(torch.complex64))
v = torch.tensor(2.0 / 3)
print(
    f"{v:.3f}",
    f"{v.item():.4f}",
    f"{torch.tensor(5):d}" if False else f"{torch.tensor(5)}",
    "{:.2e}".format(v),
)
print(
    f"{torch.tensor(2.5, dtype=torch.float64):.1f}",
    format(torch.tensor(1.0)),
    f"{torch.tensor([1.0, 2.0])}",
)
print(f"{torch.tensor(3):>5}", f"{torch.tensor(True)}")
try:
    print(f"{torch.tensor([1.0, 2.0]):.2f}")
except TypeError as e:
    print("TypeError", e)
print(torch.tensor([1, 2, 3], dtype=torch.int8) * 100)
print(torch.tensor([200], dtype=torch.uint8) + 100)
print(torch.tensor([True, False]) + torch.tensor([True, True]))
print(torch.tensor([0.1, 0.2], dtype=torch.bfloat16) + torch.tensor([0.3], dtype=torch.float16))
