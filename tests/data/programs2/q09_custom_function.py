import torch
from torch.autograd import Function, gradcheck


class MyReLU(Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class ScaledTanh(Function):
    @staticmethod
    def forward(ctx, x, scale):
        y = torch.tanh(x) * scale
        ctx.save_for_backward(y)
        ctx.scale = scale
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (ctx.scale - y * y / ctx.scale), None


class StraightThrough(Function):
    @staticmethod
    def forward(ctx, x):
        return torch.sign(x)

    @staticmethod
    def backward(ctx, g):
        return g


torch.manual_seed(4)
x = torch.randn(5, requires_grad=True)
y = MyReLU.apply(x)
print(y)
print(y.grad_fn.__class__.__name__)
y.sum().backward()
print(x.grad)
inp = torch.randn(4, 3, dtype=torch.double, requires_grad=True)
print(gradcheck(MyReLU.apply, (inp,), eps=1e-6, atol=1e-4))
print(gradcheck(lambda t: ScaledTanh.apply(t, 2.5), (inp,)))
z = torch.randn(6, requires_grad=True)
s = StraightThrough.apply(z)
(s * torch.arange(6.0)).sum().backward()
print(s, z.grad)
w = torch.randn(3, requires_grad=True)
out = ScaledTanh.apply(w, 3.0)
print(out.requires_grad, out.is_leaf)
out.backward(torch.ones(3))
print(f"{w.grad.sum().item():.6f}")
with torch.no_grad():
    print(MyReLU.apply(torch.tensor([-1.0, 2.0])).requires_grad)


class Bad(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2, g


try:
    Bad.apply(torch.ones(2, requires_grad=True)).sum().backward()
except RuntimeError as e:
    print("RuntimeError:", e)
wrong = torch.randn(3, dtype=torch.double, requires_grad=True)


class WrongGrad(Function):
    @staticmethod
    def forward(ctx, x):
        return x**2

    @staticmethod
    def backward(ctx, g):
        return g * 3


print(gradcheck(WrongGrad.apply, (wrong,), raise_exception=False))
