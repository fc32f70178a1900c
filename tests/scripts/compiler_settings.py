"""Scripts written for torch.compile set dynamo/inductor options; they must run as written."""
import torch
import torch._dynamo
import torch._dynamo.config
import torch._inductor.config
torch._dynamo.config.suppress_errors = True
print(torch._dynamo.config.suppress_errors, torch._dynamo.config.cache_size_limit)
torch._dynamo.reset()
torch._inductor.config.coordinate_descent_tuning = True
torch._inductor.config.triton.cudagraphs = False
with torch._dynamo.config.patch(verbose=True):
    print(torch._dynamo.config.verbose)
print(torch._dynamo.config.verbose)
try:
    torch._dynamo.config.not_a_setting = 1
except AttributeError as e:
    print("AttributeError", e)
m = torch.compile(torch.nn.Linear(2, 2), backend="eager")
print(type(m).__name__)
try:
    torch.compile(torch.nn.Linear(2, 2), backend="nope")
except Exception as e:
    print(type(e).__name__, e)
print(torch._dynamo.list_backends())
x = torch.ones(3, 4)
torch._dynamo.mark_dynamic(x, 0)
@torch._dynamo.disable
def f(a): return a + 1
print(f(x).shape, torch._dynamo.is_compiling())
with torch.compiler.set_stance("force_eager"):
    print(m(torch.ones(1, 2)).shape)
print(torch._dynamo.optimize("inductor")(lambda a: a * 2)(torch.ones(2)))
