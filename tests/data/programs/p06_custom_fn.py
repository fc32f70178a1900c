import torch
from torch.autograd import Function, gradcheck


class MyCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x ** 2


class LinearFn(Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.lo, ctx.hi = lo, hi
        ctx.save_for_backward(x)
        return x.clamp(lo, hi)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        mask = (x >= ctx.lo) & (x <= ctx.hi)
        return g * mask, None, None


torch.manual_seed(5)
x = torch.randn(4, dtype=torch.double, requires_grad=True)
print(gradcheck(MyCube.apply, (x,), eps=1e-6, atol=1e-4))
inp = (torch.randn(5, 3, dtype=torch.double, requires_grad=True),
       torch.randn(2, 3, dtype=torch.double, requires_grad=True),
       torch.randn(2, dtype=torch.double, requires_grad=True))
print("linear gradcheck:", gradcheck(LinearFn.apply, inp))
y = MyCube.apply(x)
print(y.grad_fn)
print(type(y.grad_fn).__name__)
y.sum().backward()
print(x.grad)
a = torch.randn(3, 2, requires_grad=True)
b = Clamp.apply(a, -0.5, 0.5)
b.sum().backward()
print(b, a.grad)
w = torch.randn(2, 2, requires_grad=True)
out = LinearFn.apply(torch.randn(3, 2), w)
out.pow(2).mean().backward()
print(f"{w.grad.norm():.6f}", w.grad.tolist())


class Bad(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 3  # wrong on purpose


try:
    gradcheck(Bad.apply, (torch.randn(2, dtype=torch.double, requires_grad=True),))
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])
print(gradcheck(Bad.apply, (torch.randn(2, dtype=torch.double, requires_grad=True),),
                raise_exception=False))
try:
    MyCube.apply(torch.ones(2, requires_grad=True)).backward()
except RuntimeError as e:
    print("RuntimeError:", e)
