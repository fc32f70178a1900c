import torch


def attempt(label, fn):
    try:
        r = fn()
        print(label, "->", r)
    except Exception as e:
        print(label, "!!", type(e).__name__ + ":", str(e).splitlines()[0][:150])


attempt(
    "int8 wrap",
    lambda: torch.tensor([120], dtype=torch.int8) + torch.tensor([10], dtype=torch.int8),
)
attempt(
    "uint8 sub", lambda: torch.tensor([3], dtype=torch.uint8) - torch.tensor([5], dtype=torch.uint8)
)
attempt("uint8 256", lambda: torch.tensor([256], dtype=torch.uint8))
attempt("uint8 -1", lambda: torch.tensor([-1], dtype=torch.uint8))
attempt("int8 scalar add 200", lambda: torch.tensor([1], dtype=torch.int8) + 200)
attempt("int div 0", lambda: torch.tensor([5]) // 0)
attempt("int div 0 tensor", lambda: torch.tensor([5]) // torch.tensor([0]))
attempt("int rem 0", lambda: torch.tensor([5]) % 0)
attempt("true div 0", lambda: torch.tensor([5, 0, -5]) / 0)
attempt("float // 0", lambda: torch.tensor([5.0, -1.0, 0.0]) // 0)
attempt("float % 0", lambda: torch.tensor([5.0]) % 0)
attempt("sum uint8", lambda: torch.tensor([200, 100], dtype=torch.uint8).sum())
attempt("sum bool", lambda: torch.tensor([True, True]).sum().dtype)
attempt("cumsum int32", lambda: torch.tensor([1, 2], dtype=torch.int32).cumsum(0).dtype)
attempt("prod int8", lambda: torch.tensor([100, 100], dtype=torch.int8).prod())
attempt("nan to int", lambda: torch.tensor([float("nan"), 1e20, -3.7]).long())
attempt("float to uint8", lambda: torch.tensor([300.0, -1.0, 2.9]).to(torch.uint8))
attempt("float16 overflow", lambda: torch.tensor([70000.0]).half())
attempt("bf16 round", lambda: torch.tensor([1.00390625, 257.0]).bfloat16())
attempt("int + bool", lambda: (torch.tensor([1]) + torch.tensor([True])).dtype)
attempt(
    "uint8 + int8",
    lambda: (torch.tensor([1], dtype=torch.uint8) + torch.tensor([1], dtype=torch.int8)).dtype,
)
attempt("int32 * 2.5", lambda: (torch.tensor([1], dtype=torch.int32) * 2.5).dtype)
attempt(
    "float16 + float32 0d",
    lambda: (torch.tensor([1.0], dtype=torch.float16) + torch.tensor(1.0)).dtype,
)
attempt(
    "int tensor + float 0d",
    lambda: (torch.tensor([1]) + torch.tensor(1.5, dtype=torch.float64)).dtype,
)
attempt(
    "complex + float", lambda: (torch.tensor([1j]) + torch.tensor([1.0], dtype=torch.float64)).dtype
)
attempt("add_ int float", lambda: torch.tensor([1]).add_(1.5))
attempt("mul_ int float", lambda: torch.tensor([1]).mul_(torch.tensor([2.0])))
attempt("int pow neg", lambda: torch.tensor([2]) ** torch.tensor([-1]))
attempt("int pow neg scalar", lambda: torch.pow(torch.tensor([2]), -2))
attempt("sqrt int", lambda: torch.tensor([4]).sqrt())
attempt("exp int", lambda: torch.tensor([0, 1], dtype=torch.int16).exp().dtype)
attempt("abs int8 min", lambda: torch.tensor([-128], dtype=torch.int8).abs())
attempt("neg uint8", lambda: -torch.tensor([1], dtype=torch.uint8))
attempt("bitshift", lambda: torch.tensor([1, 2]) << 3)
attempt("bitshift neg", lambda: torch.tensor([-16]) >> 2)
attempt("floor_divide neg", lambda: torch.floor_divide(torch.tensor([-7]), 2))
attempt("fmod neg", lambda: torch.fmod(torch.tensor([-7]), 3))
attempt("remainder float neg", lambda: torch.remainder(torch.tensor([-7.5]), 2))
attempt("arange float steps", lambda: torch.arange(0, 1, 0.1).shape)
attempt("arange float dtype int", lambda: torch.arange(0, 5, 1.5, dtype=torch.int64))
attempt("linspace int", lambda: torch.linspace(0, 10, 4, dtype=torch.int64))
attempt("full int infer", lambda: torch.full((2,), 3).dtype)
attempt("full bool", lambda: torch.full((2,), True).dtype)
attempt("ones_like int float fill", lambda: torch.zeros(2, dtype=torch.int32).fill_(2.7))
attempt("clamp int float", lambda: torch.tensor([1, 5]).clamp(max=2.5))
attempt("where mixed", lambda: torch.where(torch.tensor([True, False]), torch.tensor([1]), 2.5))
attempt("mean int dtype", lambda: torch.tensor([1, 2]).mean(dtype=torch.float64))
attempt("max int empty", lambda: torch.tensor([], dtype=torch.int64).max())
attempt("argmax empty", lambda: torch.zeros(0).argmax())
attempt("int matmul", lambda: torch.tensor([[1, 2]]) @ torch.tensor([[3], [4]]))
attempt("bool matmul", lambda: torch.tensor([[True]]) @ torch.tensor([[True]]))
attempt("uint16", lambda: torch.tensor([1], dtype=torch.uint16) + 1)
attempt("item uint8", lambda: type(torch.tensor(5, dtype=torch.uint8).item()).__name__)
attempt("round half int", lambda: torch.tensor([2.5, 3.5, -2.5]).round())
attempt("tolist f16", lambda: torch.tensor([0.1], dtype=torch.float16).tolist())
attempt("tolist bf16", lambda: torch.tensor([0.1], dtype=torch.bfloat16).tolist())
attempt("int(float tensor)", lambda: int(torch.tensor(-2.7)))
attempt("eq float int", lambda: torch.tensor([1.0]) == torch.tensor([1]))
attempt("isin", lambda: torch.isin(torch.tensor([1, 2, 3]), torch.tensor([2.0])))
attempt("lerp int", lambda: torch.lerp(torch.tensor([1]), torch.tensor([2]), 0.5))
