"""Everyday spellings of PyTorch code that a differential hunt found ember answering
differently: each case runs on both libraries and must give the same value, or the same
exception type and message, and the same warnings."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def outcome(fn, T):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = fn(T)
        except Exception as e:  # noqa: BLE001 - compared between the libraries
            r = (type(e).__name__, str(e))
    if hasattr(r, "tolist"):
        r = r.tolist()
    elif isinstance(r, (tuple, list)) and r and hasattr(r[0], "tolist"):
        r = [x.tolist() for x in r]
    return r, [(w.category.__name__, str(w.message)) for w in caught]


def _grad_after(T, fn):
    """A leaf's .grad after a use of it: values, strides, and that .view(-1) works."""
    u = T.ones(2, 2, requires_grad=True)
    fn(u).sum().backward()
    return u.grad.view(-1).tolist(), u.grad.stride()


def _retain_then_hook(T):
    d = T.tensor(1.0, requires_grad=True) * 1
    d.retain_grad()
    d.register_hook(lambda g: g * 100)  # runs before retain_grad's, as in PyTorch
    (d * 2).backward()
    return d.grad


def _anomaly_nan(T):
    # (PyTorch also warns with the forward traceback, which ember does not keep)
    with warnings.catch_warnings(), T.autograd.set_detect_anomaly(True):
        warnings.simplefilter("ignore")
        x = T.tensor([0.0], requires_grad=True)
        (x.sqrt() * 0).backward()


def _no_grad_views(T):
    """A view of a tensor requiring grad, made under no_grad, requires grad (as a leaf that
    gathers no gradient); other results do not."""
    w = T.nn.Parameter(T.tensor([[1.0, 2.0], [3.0, 4.0]]))
    with T.no_grad():
        views = [w[0], w.t(), w.view(4), w.reshape(-1), w[:, 1]]
        other = w * 1
        text = repr(w[0])
    flags = [(v.requires_grad, v.is_leaf, v.grad_fn is None) for v in views]
    (views[2] * 2).sum().backward()
    return flags, other.requires_grad, text, w.grad, views[2].grad


def _no_grad_view_inplace(T):
    w = T.nn.Parameter(T.tensor([1.0, 2.0]))
    with T.no_grad():
        v = w.view(2)
    v.add_(1)


def _shifts(T):
    x = T.tensor([1, -8, 3], dtype=T.int32)
    return [x << 1, x >> 1, x << 33, x >> 40, 1 << T.tensor([1, 8]), T.tensor([True]) << 1,
            T.bitwise_left_shift(x, -1), T.bitwise_right_shift(x, T.tensor([0, 1, 2]))]


def _inplace_after(T, use):
    """Change ``y`` in place after ``use(y)``: PyTorch saves a factor only when the other
    factor's gradient needs it, so a constant factor leaves ``y`` free to change."""
    x = T.ones(3, requires_grad=True)
    y = x * 2
    z = use(y)
    y.add_(1)
    z.sum().backward()
    return x.grad


def _transposed_leaf_grad(T):
    w = T.ones(3, 2).t().requires_grad_()  # a leaf laid out column-major
    (w * 2).sum().backward()
    return w.grad.stride(), w.grad.tolist()


class NoForward:
    """A module class without ``forward``, built per library."""

    @staticmethod
    def make(T):
        return type("NoFwd", (T.nn.Module,), {})()


CASES = {
    "format 0-d float": lambda T: (f"{T.tensor(0.01)}", "{}".format(T.tensor(2.5))),
    "format 0-d int with spec": lambda T: f"{T.tensor(3):>4}|{T.tensor(7)}",
    "format 1-d": lambda T: f"{T.tensor([1.5])}",
    "meshgrid xy": lambda T: T.meshgrid(T.arange(2), T.arange(3), indexing="xy"),
    "meshgrid xy 3": lambda T: [tuple(g.shape) for g in
                                T.meshgrid(T.arange(2), T.arange(3), T.arange(4),
                                           indexing="xy")],
    "meshgrid ij": lambda T: T.meshgrid(T.arange(2), T.arange(3), indexing="ij"),
    "broadcast_shapes": lambda T: repr(T.broadcast_shapes((2, 1), (3,))),
    "tensor(range)": lambda T: T.tensor(range(3)),
    "no forward": lambda T: NoForward.make(T)(T.zeros(1)),
    "log_softmax no dim": lambda T: T.nn.functional.log_softmax(T.ones(2, 3)),
    "softmin no dim": lambda T: T.nn.functional.softmin(T.ones(2, 3)),
    "LogSoftmax no dim": lambda T: T.nn.LogSoftmax()(T.ones(2, 3)),
    "clip_grad_norm": lambda T: T.nn.utils.clip_grad_norm([T.ones(2, requires_grad=True)], 1.),
    "init.normal": lambda T: T.nn.init.normal(T.empty(2)).shape,
    "init.kaiming_uniform": lambda T: T.nn.init.kaiming_uniform(T.empty(2, 2)).shape,
    "linear(list)": lambda T: T.nn.Linear(2, 2)([1.0, 2.0]),
    "linear(ndarray)": lambda T: T.nn.Linear(2, 2)(np.zeros((2, 2))),
    "flatten 0-d start 1": lambda T: T.nn.Flatten()(T.tensor(1.0)),
    "flatten 0-d": lambda T: T.flatten(T.tensor(1.0)),
    "grad of a transposed use": lambda T: _grad_after(T, lambda u: u.t() * T.tensor(
        [[1., 2.], [3., 4.]])),
    "grad of a transposed relu": lambda T: _grad_after(T, lambda u: u.t().relu() * 3),
    "grad of a transposed leaf": lambda T: _transposed_leaf_grad(T),
    "in-place after y*3": lambda T: _inplace_after(T, lambda y: y * 3),
    "in-place after y/3": lambda T: _inplace_after(T, lambda y: y / 3),
    "in-place after y[2]*5": lambda T: _inplace_after(T, lambda y: y[2] * 5),
    "shifts": lambda T: _shifts(T),
    "shift a float": lambda T: T.tensor([1.5]) << 1,
    "finfo": lambda T: [repr(T.finfo(d)) for d in (T.float32, T.float64, T.float16,
                                                   T.bfloat16)] + [repr(T.finfo())],
    "finfo fields": lambda T: [(f.bits, f.eps, f.max, f.min, f.tiny, f.resolution, f.dtype)
                               for f in (T.finfo(T.float32), T.finfo(T.float64))],
    "finfo(int)": lambda T: T.finfo(T.int32),
    "iinfo": lambda T: [(repr(i), i.bits, i.max, i.min, i.dtype)
                        for i in (T.iinfo(T.int64), T.iinfo(T.uint8), T.iinfo(T.int32))],
    "iinfo(bool)": lambda T: T.iinfo(T.bool),
    "iinfo(float)": lambda T: T.iinfo(T.float32),
    "Variable": lambda T: (isinstance(T.ones(1), T.autograd.Variable),
                           T.autograd.Variable(T.ones(2), requires_grad=True).requires_grad),
    "arange bad step": lambda T: T.arange(0, -1),
    "int tensor requires_grad": lambda T: T.tensor([1, 2], requires_grad=True),
    "int Parameter": lambda T: T.nn.Parameter(T.tensor([1, 2])),
    "int requires_grad_": lambda T: T.tensor([1, 2]).requires_grad_(),
    "float32 cumsum past 2**24": lambda T: T.ones(2 ** 25).cumsum(0)[-1].item(),
    "float32 cumsum of 0.1": lambda T: T.full((10 ** 5,), 0.1).cumsum(0)[-3:],
    "float32 cumprod": lambda T: T.full((12,), 1.1).cumprod(0),
    "conv2d double input": lambda T: T.nn.Conv2d(3, 4, 3)(T.ones(1, 3, 5, 5).double()),
    "conv2d double input, no bias": lambda T: T.nn.Conv2d(3, 4, 3, bias=False)(
        T.ones(1, 3, 5, 5).double()),
    "conv2d half input, no bias": lambda T: T.nn.Conv2d(3, 4, 3, bias=False)(
        T.ones(1, 3, 5, 5).half()),
    "conv1d long input": lambda T: T.nn.Conv1d(3, 4, 3)(T.ones(1, 3, 5, dtype=T.int64)),
    "double conv, float input": lambda T: T.nn.Conv2d(3, 4, 3).double()(T.ones(1, 3, 5, 5)),
    "linear 3-d grad_fn": lambda T: type(T.nn.Linear(3, 2)(T.ones(4, 5, 3)).grad_fn).__name__,
    "linear 1-d grad_fn": lambda T: type(T.nn.Linear(3, 2)(T.ones(3)).grad_fn).__name__,
    "linear transposed 3-d grad_fn": lambda T: type(T.nn.Linear(3, 2)(
        T.ones(4, 3, 5).transpose(1, 2)).grad_fn).__name__,
    "retain_grad then hook": lambda T: _retain_then_hook(T),
    "anomaly nan": lambda T: _anomaly_nan(T),
    "float64 to float16": lambda T: T.tensor([2049.0000001, 7613.99999], dtype=T.float16),
    "float64 tensor to float16": lambda T: T.tensor([2049.0000001], dtype=T.float64).half(),
    "float64 tensor to bfloat16": lambda T: T.tensor([1.00390625000001],
                                                  dtype=T.float64).bfloat16().float(),
    "floats to bfloat16": lambda T: T.tensor([1.00390625000001], dtype=T.bfloat16).float(),
    "version.cuda without a GPU": lambda T: (T.version.cuda, T.version.hip, T.version.debug),
    "non-leaf .grad warning": lambda T: (T.ones(2, requires_grad=True) * 2).grad,
    "views made under no_grad": lambda T: _no_grad_views(T),
    "in-place on a no_grad view": lambda T: _no_grad_view_inplace(T),
    # keyword spellings
    "rand(size=)": lambda T: tuple(T.rand(size=(2, 3)).shape),
    "randn(size=)": lambda T: (T.manual_seed(0), T.randn(size=(2,)))[1],
    "permute(dims=)": lambda T: T.arange(6).reshape(2, 3).permute(dims=(1, 0)),
    "flip(dims=)": lambda T: T.arange(6).reshape(2, 3).flip(dims=[0]),
    "reshape(shape=)": lambda T: T.arange(6).reshape(shape=(3, 2)),
    "view(size=)": lambda T: T.arange(6).view(size=(3, 2)),
    "view(dtype=)": lambda T: T.ones(2).view(dtype=T.int32),
    "cat(axis=)": lambda T: T.cat([T.ones(1, 2), T.zeros(1, 2)], axis=0),
    "stack(axis=)": lambda T: T.stack([T.ones(2), T.zeros(2)], axis=1),
    # PyTorch's argument names on torch.* functions
    "add(input=, other=, alpha=)": lambda T: T.add(input=T.ones(2), other=T.ones(2), alpha=3),
    "sub(other=)": lambda T: T.sub(T.ones(2), other=2),
    "mul(input=, other=)": lambda T: T.mul(input=T.ones(2), other=5),
    "sum(input=, dim=)": lambda T: T.sum(input=T.ones(2, 3), dim=1),
    "mean(input=)": lambda T: T.mean(input=T.arange(4.0)),
    "max(input=, dim=)": lambda T: T.max(input=T.tensor([[1, 5], [7, 2]]), dim=1),
    "argmax(input=)": lambda T: T.argmax(input=T.tensor([1, 5, 2]), dim=0),
    "exp(input=)": lambda T: T.exp(input=T.zeros(2)),
    "clamp(input=, min=)": lambda T: T.clamp(input=T.arange(-2, 3), min=0),
    "where(condition=, input=, other=)": lambda T: T.where(
        condition=T.tensor([True, False]), input=T.ones(2), other=T.zeros(2)),
    "matmul(input=, other=)": lambda T: T.matmul(input=T.ones(2, 3), other=T.ones(3)),
    "mm(mat2=)": lambda T: T.mm(T.ones(2, 3), mat2=T.ones(3, 1)),
    "bmm(input=, mat2=)": lambda T: T.bmm(input=T.ones(1, 2, 3), mat2=T.ones(1, 3, 1)),
    "addmm(input=, mat1=, mat2=)": lambda T: T.addmm(input=T.ones(2), mat1=T.ones(2, 3),
                                                    mat2=T.ones(3, 2), beta=2),
    "addcmul(tensor1=, tensor2=)": lambda T: T.addcmul(T.ones(2), tensor1=T.ones(2),
                                                        tensor2=T.full((2,), 3.0), value=2),
    "dot(tensor=)": lambda T: T.dot(T.ones(2), tensor=T.ones(2)),
    "mv(vec=)": lambda T: T.mv(T.ones(2, 2), vec=T.ones(2)),
    "outer(vec2=)": lambda T: T.outer(T.ones(2), vec2=T.arange(3.0)),
    "lerp(end=, weight=)": lambda T: T.lerp(T.zeros(2), end=T.ones(2), weight=0.25),
    "pow(exponent=)": lambda T: T.pow(T.arange(3), exponent=2),
    "eq(input=, other=)": lambda T: T.eq(input=T.arange(3), other=1),
    "cat(tensors=, dim=)": lambda T: T.cat(tensors=[T.ones(1), T.zeros(1)], dim=0),
    "gather(input=, index=)": lambda T: T.gather(input=T.arange(4).reshape(2, 2), dim=1,
                                                 index=T.tensor([[1], [0]])),
    "flatten(input=)": lambda T: T.flatten(input=T.ones(2, 2)),
    "transpose(input=)": lambda T: T.transpose(input=T.ones(2, 3), dim0=0, dim1=1).shape,
    "swapaxes(axis0=)": lambda T: T.swapaxes(T.ones(2, 3), axis0=0, axis1=1).shape,
    "swapdims(dim0=)": lambda T: T.swapdims(T.ones(2, 3), dim0=0, dim1=1).shape,
    "zeros_like(input=)": lambda T: T.zeros_like(input=T.ones(2)),
    "bernoulli(input=)": lambda T: T.bernoulli(input=T.ones(3)),
    "promote_types(type1=)": lambda T: str(T.promote_types(type1=T.int32, type2=T.float32)),
    # (PyTorch's messages list its overloads; the type is what code can rely on)
    "result_type(tensor1=) refused": lambda T: _error_type(
        lambda: T.result_type(tensor1=T.ones(1), tensor2=1.0)),
    "out= where there is none": lambda T: _error_type(
        lambda: T.t(T.ones(2, 2), out=T.ones(2, 2))),
    "add(out=)": lambda T: T.add(T.ones(2), 1, out=T.empty(2)),
    # in-place writes whose input overlaps the written memory in part, or in another layout
    "m += m.t()": lambda T: _overlap(T, lambda x: x.__iadd__(x.t())),
    "x[1:] += x[:-1]": lambda T: _overlap(T, lambda x: x.view(-1)[1:].add_(x.view(-1)[:-1])),
    "x[1:].copy_(x[:-1])": lambda T: _overlap(T, lambda x: x.view(-1)[1:].copy_(
        x.view(-1)[:-1])),
    "x[1:] = x[:-1]": lambda T: _overlap(T, lambda x: x.view(-1).__setitem__(
        slice(1, None), x.view(-1)[:-1])),
    "x += x": lambda T: _overlap(T, lambda x: x.__iadd__(x)),
    "disjoint halves": lambda T: _overlap(T, lambda x: x.view(-1)[:4].add_(x.view(-1)[4:8])),
    "x.mul_(x[0])": lambda T: _overlap(T, lambda x: x.mul_(x[0])),
    "row times column": lambda T: _overlap(T, lambda x: x[0].mul_(x[:, 0])),
    "x.t().add_(x)": lambda T: _overlap(T, lambda x: x.t().add_(x)),
    "clamp_ by its own element": lambda T: _overlap(T, lambda x: x.clamp_(min=x[0, 0])),
    "masked_fill_ by its own element": lambda T: _overlap(
        T, lambda x: x.masked_fill_(x > 3, x[0, 1])),
    "addcmul_ with x.t()": lambda T: _overlap(T, lambda x: x.addcmul_(x.t(), x)),
    "lerp_ to x.t()": lambda T: _overlap(T, lambda x: x.lerp_(x.t(), 0.5)),
    "x.sub_(x.t()) with grad": lambda T: _overlap(T, lambda x: x.sub_(x.t()), grad=True),
    "x[0] = x[0]": lambda T: _overlap(T, lambda x: x.__setitem__(0, x[0])),
    "x[:, 0] = x[:, 1]": lambda T: _overlap(T, lambda x: x.__setitem__((slice(None), 0),
                                                                       x[:, 1])),
    "x[0] = x[1]": lambda T: _overlap(T, lambda x: x.__setitem__(0, x[1])),
    "same memory, same layout": lambda T: _overlap(T, lambda x: x.view(-1).add_(x.view(-1))),
    # from the third differential hunt
    "index with a range": lambda T: T.arange(12.).reshape(3, 4)[range(3), [0, 1, 2]],
    "index columns with a range": lambda T: T.arange(12.).reshape(3, 4)[:, range(1, 3)],
    "nll by range indexing": lambda T: _range_nll(T),
    "constants": lambda T: (T.pi, T.e, T.inf, -T.inf, str(T.nan), T.newaxis),
    "masked_fill with -inf": lambda T: T.zeros(2).masked_fill(T.tensor([True, False]), -T.inf),
    "y[0] += 1 then backward": lambda T: _view_add_grad(T, lambda y: y[0].__iadd__(1)),
    "y.t().add_(1) then backward": lambda T: _view_add_grad(T, lambda y: y.t().add_(1)),
    "y[0].add_(1.5) then backward": lambda T: _view_add_grad(T, lambda y: y[0].add_(1.5)),
    "uniform_ cuts the gradient": lambda T: _view_add_grad(T, lambda y: y.uniform_()),
    "normal_ on a view cuts it there": lambda T: _view_add_grad(T, lambda y: y[0].normal_()),
    "bernoulli_ cuts the gradient": lambda T: _view_add_grad(T, lambda y: y.bernoulli_(0.5)),
    "sqrt(clamp(min=0)) grad": lambda T: _masked_grad(T, lambda x: x.clamp(min=0)),
    "sqrt(relu) grad": lambda T: _masked_grad(T, T.relu),
    "sqrt(where) grad": lambda T: _masked_grad(T, lambda x: T.where(x > 0, x, 0.0)),
    "sqrt(maximum) grad": lambda T: _masked_grad(T, lambda x: T.maximum(x, T.zeros(4))),
    "sqrt(hardtanh) grad": lambda T: _masked_grad(T, lambda x: T.nn.functional.hardtanh(x, 0, 5)),
    "sqrt(relu6) grad": lambda T: _masked_grad(T, T.nn.functional.relu6),
    "sqrt(threshold) grad": lambda T: _masked_grad(
        T, lambda x: T.nn.functional.threshold(x, 0.5, 0.0)),
    "relu second order": lambda T: _relu_second_order(T),
    "xlogy gradients at x == 0": lambda T: _xlogy_grads(T),
    "tile(2)": lambda T: T.tensor([1, 2]).tile(2),
    "tile(2, 1)": lambda T: T.arange(6.).reshape(2, 3).tile(2, 1),
    "torch.tile(dims=)": lambda T: T.tile(T.arange(3), dims=(2,)),
    "softmax(axis=)": lambda T: T.arange(6.).reshape(2, 3).softmax(axis=0),
    "squeeze(axis=)": lambda T: tuple(T.ones(1, 3).squeeze(axis=0).shape),
    "unsqueeze(axis=)": lambda T: tuple(T.ones(3).unsqueeze(axis=0).shape),
    "split(split_size=)": lambda T: [tuple(p.shape) for p in T.ones(3, 2).split(split_size=2)],
    "repeat(repeats=)": lambda T: tuple(T.ones(2, 3).repeat(repeats=(2, 1)).shape),
    "expand(size=)": lambda T: tuple(T.ones(1, 3).expand(size=(2, 3)).shape),
    "tensor of 1-element tensors": lambda T: T.tensor([T.tensor([1.0]), T.tensor([2.0])]),
    "tensor of 0-d tensors": lambda T: T.tensor([T.tensor(1), 2]),
    "tensor of longer tensors": lambda T: T.tensor([T.ones(2), T.ones(2)]),
    "sum(dim=None, keepdim=True)": lambda T: tuple(T.ones(2, 3, 4).sum(dim=None,
                                                                      keepdim=True).shape),
    "nansum(dim=None, keepdim=True)": lambda T: tuple(
        T.ones(2, 3).nansum(dim=None, keepdim=True).shape),
    "bfloat16 topk": lambda T: T.tensor([1.0, 3.0, 2.0], dtype=T.bfloat16).topk(2).indices,
    "bfloat16 sort descending": lambda T: T.tensor([1.0, 3.0, 2.0], dtype=T.bfloat16).sort(
        descending=True).indices,
    "bfloat16 adaptive_avg_pool2d": lambda T: str(T.nn.functional.adaptive_avg_pool2d(
        T.ones(1, 1, 4, 4, dtype=T.bfloat16), 2).dtype),
    "bfloat16 sigmoid": lambda T: T.sigmoid(T.tensor([3.0, -1.3], dtype=T.bfloat16)).float(),
    "float16 tanh": lambda T: T.tanh(T.tensor([0.3, 2.1], dtype=T.float16)).float(),
    "bfloat16 mse_loss": lambda T: T.nn.functional.mse_loss(
        T.arange(32.).bfloat16(), 2 * T.arange(32.).bfloat16()).float(),
    "device == str": lambda T: (T.ones(1).device == "cpu", T.device("cpu") != "cpu"),
    "version compares": lambda T: (T.__version__ >= "2.0", T.__version__ < (3, 0),
                                   T.__version__.split("+")[0]),
    "custom Function: a 0-d gradient for [3]": lambda T: _bad_function_grad(T, lambda g: g.sum()),
    "backward(inputs=[y]) after retain_grad": lambda T: _retained_input(T, ["y"]),
    "index errors name PyTorch's dim": lambda T: _index_errors(T),
    "dropout of a transposed tensor": lambda T: (T.manual_seed(0),
                                                T.nn.functional.dropout(T.ones(3, 4).t()))[1],
    "rand_like of a transposed tensor": lambda T: (T.manual_seed(0),
                                                  T.rand_like(T.ones(3, 4).t()))[1],
    "randn_like of a permuted tensor": lambda T: (T.manual_seed(0), T.randn_like(
        T.ones(2, 3, 4).permute(2, 0, 1)))[1],
    "randint_like of a transposed tensor": lambda T: (T.manual_seed(0), T.randint_like(
        T.ones(3, 4).t(), 10))[1],
    "Linear: weight stepped between backwards": lambda T: _stepped_weight(T),
    "writes through .data": lambda T: _data_writes(T),
    "ParameterDict from a dict": lambda T: list(T.nn.ParameterDict(
        {"w": T.nn.Parameter(T.ones(1)), "b": T.nn.Parameter(T.ones(1))}).keys()),
    "0-d tensor indexed": lambda T: T.tensor(1.5)[0],
    "max_pool2d of an empty batch": lambda T: _empty_pool(T),
    "-max() gradient": lambda T: str(_neg_grad(T, "max")),
    "-amax() gradient": lambda T: str(_neg_grad(T, "amax")),
    "randint(0, 5)": lambda T: T.randint(0, 5),
    "randint(0, 5.5, size)": lambda T: _error_type(lambda: T.randint(0, 5.5, (2,))),
    "manual_seed(1.5)": lambda T: (T.manual_seed(1.5), T.rand(2))[1],
    "Tensor.new": lambda T: (tuple(T.ones(2, 3).new(2, 2).shape), T.ones(2).new([1, 2]).tolist(),
                             tuple(T.ones(1).new().shape), tuple(T.ones(1).new(T.Size([3])).shape)),
    "resize_ keeps the memory's elements": lambda T: _resized(T),
    "resize_ of a leaf requiring grad": lambda T: T.ones(2, requires_grad=True).resize_(3),
    "DataParallel on one device": lambda T: _data_parallel(T),
    "distributed.is_initialized": lambda T: T.distributed.is_initialized(),
    "tensor of a deque": lambda T: T.tensor(__import__("collections").deque([1, 2])),
    "tensor of an array.array": lambda T: T.tensor(__import__("array").array("f", [1.5, 2])),
    "torch.range warns": lambda T: T.range(0, 2),
    "deprecated autocast queries": lambda T: (T.is_autocast_cpu_enabled(),
                                              str(T.get_autocast_cpu_dtype()),
                                              str(T.get_autocast_gpu_dtype())),
    "torch.cpu.amp.autocast": lambda T: _old_cpu_autocast(T),
    "torch.compiler": lambda T: (T.compiler.is_compiling(), T.compiler.disable(lambda: 3)()),
    "grad with no inputs": lambda T: T.autograd.grad(T.ones(1, requires_grad=True).sum(), []),
    "bfloat16 log_softmax": lambda T: _half_scores(T, T.bfloat16),
    "float16 cross_entropy": lambda T: _half_scores(T, T.float16),
    # (to 5 decimals: the last bits follow each library's summation order)
    "mean over a million rows": lambda T: [round(v, 5) for v in T.full(
        (1_000_000, 3), 0.1).mean(0).tolist()],
    "mean over image batches": lambda T: [round(v, 5) for v in T.full(
        (5000, 32, 32, 3), 0.1).mean(dim=(0, 1, 2)).tolist()],
    "std down the rows": lambda T: [round(v, 3) for v in (
        T.arange(200000.0).reshape(-1, 8) % 97 + 100).std(0).tolist()],
    "where with a long condition": lambda T: T.where(T.tensor([1, 0]), T.ones(2), T.zeros(2)),
    "permute(1, 1)": lambda T: T.ones(2, 3).permute(1, 1),
    "copy_ from a longer row": lambda T: T.zeros(3, 4).copy_(T.ones(5)),
    "copy_ from more dims": lambda T: T.zeros(3, 4).copy_(T.ones(2, 3, 4)),
    "copy_ from other rows": lambda T: T.zeros(3, 4).copy_(T.ones(2, 4)),
    "setitem from a longer row": lambda T: T.zeros(3, 4).__setitem__(slice(None), T.ones(5)),
    "zeros(2, -3)": lambda T: T.zeros(2, -3),
    "ones(-1)": lambda T: T.ones(-1),
    "full(-1) as uint8": lambda T: T.full((2,), -1, dtype=T.uint8),
    "full(300) as uint8": lambda T: T.full((2,), 300, dtype=T.uint8),
    "torch.add(2, 3)": lambda T: (T.add(2, 3), T.add(2, 3.5), T.mul(True, 2), T.div(2, 3)),
    "torch.eq(2, 3) refused": lambda T: _error_type(lambda: T.eq(2, 3)),
    "sum over a 0-d tensor dim": lambda T: T.ones(2, 3).sum(T.tensor(1)),
    "softmax of +inf": lambda T: str(T.tensor([[float("inf"), 1.0]]).softmax(1)),
    "log_softmax of +inf": lambda T: str(T.tensor([[float("inf"), 1.0]]).log_softmax(1)),
    "set_grad_enabled repr": lambda T: (repr(T.set_grad_enabled(False)),
                                        T.set_grad_enabled(True))[0],
    "backward(inputs=[x, y]) after retain_grad": lambda T: _retained_input(T, ["x", "y"]),
    "np.exp(tensor)": lambda T: _numpy_on_tensors(T),
    "copy.copy shares memory": lambda T: _shallow_copies(T),
    "own optimizer keeps an int step": lambda T: _own_optimizer_step(T),
    "custom Function: a [3, 1] gradient for [3]": lambda T: _bad_function_grad(
        T, lambda g: g.reshape(3, 1)),
    "custom Function: a [2, 3] gradient for [3]": lambda T: _bad_function_grad(
        T, lambda g: g.expand(2, 3)),
    # asarray's copy= and requires_grad=
    "asarray copy=False from a list": lambda T: T.asarray([1, 2], copy=False),
    "asarray copy=False to another dtype": lambda T: T.asarray(T.ones(2), dtype=T.float64,
                                                               copy=False),
    "asarray copy=True": lambda T: _asarray_copies(T),
    "asarray requires_grad": lambda T: _asarray_grads(T),
    "typename": lambda T: [T.typename(o).replace("ember", "torch") for o in (
        T.ones(1), T.ones(1, dtype=T.int64), T.nn.Linear(1, 1), T.nn.Linear, 3, "s", [1])],
    "grad_fn type and repr": lambda T: _grad_fn_names(T),
    "as_strided windows": lambda T: [T.arange(6.)[1:].as_strided((2, 2), (1, 1)),
                                     T.as_strided(T.arange(6.), (2, 3), (1, 2)),
                                     T.arange(6.)[2:].as_strided((2,), (2,), 0)],
    "as_strided overlapping gradient": lambda T: _as_strided_grad(T),
    "as_strided of a view: gradient": lambda T: _as_strided_view_grad(T),
    "Rprop on a 0-d parameter": lambda T: [_rprop_scalar(T, m) for m in (False, True)],
    "sign/floor backward of an infinite gradient": lambda T: _zero_grads(T),
    "state_dict pre/post hooks": lambda T: _state_dict_hooks(T),
    "state_dict post-hook returning a dict": lambda T: _returning_post_hook(T),
    "load_state_dict pre-hook renames, post-hook forgives": lambda T: _load_hooks(T),
    "load_state_dict post-hook returning a value": lambda T: _load_post_returns(T),
    "load_state_dict pre-hook error message": lambda T: _load_pre_error(T),
    "load hooks: each module's own entries, in PyTorch's order": lambda T: _load_hook_order(T),
    "load_state_dict: a one-element vector into a scalar buffer": lambda T: _scalar_buffer(T),
    "optimizer step hooks get the optimizer in args": lambda T: _step_hook_args(T),
    "uint8 nearest interpolate": lambda T: [
        T.nn.functional.interpolate(T.arange(24).view(1, 2, 3, 4).to(T.uint8), size=(5, 6),
                                    mode=m) for m in ("nearest", "nearest-exact")],
    "uint8 area interpolate": lambda T: T.nn.functional.interpolate(
        T.arange(24).view(1, 2, 3, 4).to(T.uint8), size=(5, 6), mode="area"),
    "int64 nearest interpolate": lambda T: T.nn.functional.interpolate(
        T.arange(24).view(1, 2, 3, 4), size=(5, 6)),
    "interpolate: a float in size": lambda T: _error_type(
        lambda: T.nn.functional.interpolate(T.ones(1, 1, 4, 4), size=(2.5, 3))),
    "interpolate: a float size": lambda T: _error_type(
        lambda: T.nn.functional.interpolate(T.ones(1, 1, 4, 4), size=2.5, mode="bilinear")),
    "interpolate: integer tensor sizes": lambda T: T.nn.functional.interpolate(
        T.ones(1, 1, 4, 4), size=(T.tensor(2), 3)).shape,
    "torch.rrelu at the top level": lambda T: [T.rrelu(T.tensor([-1.0, 2.0])),
                                               T.rrelu(T.tensor([-1.0, 2.0]), 0.1, 0.2, False)],
    "avg_pool2d kernel 0, stride 1": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 4, 4), 0, 1),
    "avg_pool2d kernel -1": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 4, 4), -1),
    "avg_pool2d kernel 0": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 4, 4), 0),
    "avg_pool2d stride -1": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 4, 4), 2, -1),
    "avg_pool2d kernel (2, 0)": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 4, 4), (2, 0),
                                                                     (1, 1)),
    "avg_pool1d kernel -2, stride -1": lambda T: T.nn.functional.avg_pool1d(T.ones(1, 1, 8), -2,
                                                                            -1),
    "avg_pool3d kernel -1": lambda T: T.nn.functional.avg_pool3d(T.ones(1, 1, 4, 4, 4), -1),
    "as_strided out of bounds": lambda T: T.arange(6.).as_strided((4, 4), (1, 1)),
    "as_strided negative stride": lambda T: T.arange(6.).as_strided((2, 2), (-1, 1)),
    "as_strided rank mismatch": lambda T: T.arange(6.).as_strided((2, 2), (1,)),
    "as_strided_ in place": lambda T: _as_strided_inplace(T),
}


def _state_dict_hooks(T):
    m, calls = T.nn.Sequential(T.nn.Linear(2, 2)), []
    m[0].register_state_dict_pre_hook(lambda mod, prefix, keep: calls.append((prefix, keep)))
    m.register_state_dict_post_hook(
        lambda mod, sd, prefix, meta: calls.append((prefix, sorted(sd), meta)))
    m._register_state_dict_hook(lambda mod, sd, prefix, meta: {"x": 1})
    return m.state_dict(), calls


def _returning_post_hook(T):
    m = T.nn.Linear(2, 2)
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: {})
    return m.state_dict()


def _load_hooks(T):
    m, calls = T.nn.Sequential(T.nn.Linear(2, 2)), []

    def rename(mod, sd, prefix, meta, strict, missing, unexpected, errors):
        calls.append((prefix, sorted(sd), meta, strict, list(missing), list(errors)))
        sd[prefix + "weight"] = sd.pop(prefix + "w")

    def forgive(mod, keys):
        calls.append((type(mod).__name__, list(keys.missing_keys)))
        keys.missing_keys.clear()
    m[0].register_load_state_dict_pre_hook(rename)
    m.register_load_state_dict_post_hook(forgive)
    m[0].register_load_state_dict_post_hook(lambda mod, k: calls.append(list(k.missing_keys)))
    result = m.load_state_dict({"0.w": T.ones(2, 2)})
    return str(result), calls, m[0].weight.tolist()


def _load_hook_order(T):
    m, calls = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.Sequential(T.nn.Linear(2, 1))), []
    for name, mod in m.named_modules():
        mod.register_load_state_dict_pre_hook(
            lambda mo, sd, p, meta, strict, mk, uk, em, name=name:
            calls.append(("pre", name, sorted(sd), strict, list(mk), list(uk))))
        mod.register_load_state_dict_post_hook(
            lambda mo, keys, name=name:
            calls.append(("post", name, list(keys.missing_keys), list(keys.unexpected_keys))))
    sd = m.state_dict()
    sd.pop("0.bias")
    sd["junk"], sd["1.0.x"], sd["1.zz.y"] = T.ones(1), T.ones(1), T.ones(1)
    return str(m.load_state_dict(sd, strict=False)), calls


def _step_hook_args(T):
    w, seen = T.ones(2, requires_grad=True), []
    opt = T.optim.SGD([w], lr=0.1)
    opt.register_step_pre_hook(lambda o, a, k: seen.append((len(a), a[0] is o, k)))
    opt.register_step_post_hook(lambda o, a, k: seen.append((len(a), k)))
    opt.register_step_pre_hook(lambda o, a, k: (a, {}))  # hands the same args back
    w.sum().backward()
    opt.step()
    return seen, w.tolist()


def _scalar_buffer(T):
    lin = T.nn.Linear(1, 1)
    lin.register_buffer("s", T.tensor(2.0))
    lin.load_state_dict({"weight": T.ones(1, 1), "bias": T.ones(1), "s": T.tensor([5.0])})
    return lin.s


def _load_post_returns(T):
    m = T.nn.Linear(2, 2)
    m.register_load_state_dict_post_hook(lambda mod, keys: 1)
    return m.load_state_dict(m.state_dict())


def _load_pre_error(T):
    m = T.nn.Linear(2, 2)
    m._register_load_state_dict_pre_hook(
        lambda sd, prefix, meta, strict, missing, unexpected, errors: errors.append("bad"))
    return m.load_state_dict(m.state_dict())


def _zero_grads(T):
    out = []
    for op in ("sign", "floor", "round", "sgn"):
        a = T.tensor([1.5, -2.0], requires_grad=True)
        getattr(a, op)().backward(T.tensor([float("inf"), 1.0]))
        out.append((a.grad + 0).tolist())  # (PyTorch's is a ZeroTensor: no tolist of its own)
    return out


def _rprop_scalar(T, maximize):
    w = T.tensor(1.5, requires_grad=True)
    opt = T.optim.Rprop([w], lr=0.1, maximize=maximize)
    for _ in range(5):
        opt.zero_grad()
        ((w - 0.3) ** 2).backward()
        opt.step()
    return w.item(), opt.state[w]["prev"].item(), opt.state[w]["step_size"].item()


def _as_strided_inplace(T):
    y = T.arange(6.0)
    out = [y.as_strided_((2, 2), (1, 2)) is y, y.tolist(), y.stride(), y.storage_offset()]
    y.as_strided_((3,), (1,), 2)
    y.add_(10)
    w = T.arange(8.0)[2:]
    w.as_strided_((2,), (2,))
    out += [y.tolist(), y.storage_offset(), w.tolist(), w.storage_offset()]
    a = T.ones(3, requires_grad=True)
    return out, _error_type(lambda: a.as_strided_((3,), (1,)))


def _as_strided_view_grad(T):
    a = T.arange(12.0, requires_grad=True)
    v = (a * 1).view(3, 4)[1:, ::2]  # offset 4, strides (4, 2)
    w = v.as_strided((2, 3), (2, 1))  # from the view's own offset
    (w * T.arange(6.0).view(2, 3)).sum().backward()
    return a.grad.tolist()


def _as_strided_grad(T):
    a = T.arange(6.0, requires_grad=True)
    v = (a * 1).as_strided((3, 2), (1, 1))
    (v * T.tensor([1.0, 10.0])).sum().backward()
    return a.grad.tolist(), type(v.grad_fn).__name__


def _grad_fn_names(T):
    x = T.ones(2, requires_grad=True)
    y = (x * 2).sum()
    acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
    return (str(type(y.grad_fn)), repr(y.grad_fn).split(" object")[0], str(type(acc)),
            repr(acc).split(" object")[0])


def _overlap(T, fn, grad=False):
    x = T.arange(9.0).reshape(3, 3)
    if grad:
        x = x.requires_grad_().clone()
    fn(x)
    return x


def _range_nll(T):
    T.manual_seed(0)
    inp = T.randn(3, 5).log_softmax(-1)
    return -inp[range(3), T.tensor([1, 0, 4])].mean()


def _view_add_grad(T, fn):
    x = T.ones(2, 3, requires_grad=True)
    y = x * 2
    T.manual_seed(0)
    fn(y)
    y.sum().backward()
    return x.grad.tolist(), type(y.grad_fn).__name__


def _masked_grad(T, fn):
    x = T.tensor([-1.0, 4.0, 0.0, 2.0], requires_grad=True)
    T.sqrt(fn(x)).sum().backward()
    return x.grad


def _relu_second_order(T):
    x = T.tensor([-2.0, 3.0], requires_grad=True)
    (gx,) = T.autograd.grad((x * x).relu().sum(), x, create_graph=True)
    return type(gx.grad_fn).__name__, T.autograd.grad(gx.sum(), x)[0].tolist()


def _xlogy_grads(T):
    x = T.tensor([0.0, 0.0, 0.0, 1.0, 2.0], requires_grad=True)
    y = T.tensor([2.0, 0.0, -1.0, 3.0, 0.5], requires_grad=True)
    T.xlogy(x, y).sum().backward()
    s = T.tensor([0.0, 1.0], requires_grad=True)
    T.xlogy(s, 2.0).sum().backward()
    return str(x.grad), str(y.grad), str(s.grad)  # (str: NaN compares equal)


def _bad_function_grad(T, make_grad):
    class Bad(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return make_grad(g)

    x = T.ones(3, requires_grad=True)
    Bad.apply(x).sum().backward()
    return x.grad


def _retained_input(T, which):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward(inputs=[{"x": x, "y": y}[w] for w in which])
    return y.grad.tolist(), None if x.grad is None else x.grad.tolist()


def _numpy_on_tensors(T):
    t = T.tensor([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 2's note to PyTorch
        got = [np.exp(t), np.add(t, 1), np.greater(t, 1), np.float64(2) * t, np.sqrt(t.long()),
               np.maximum(t, 1.5), np.exp(T.tensor(1.0))]
    return [(type(r).__name__ == "Tensor", str(r.dtype), r.tolist()) for r in got]


def _shallow_copies(T):
    import copy

    t = T.tensor([1.0, 2.0])
    c = copy.copy(t)
    c[0] = 5
    p = T.nn.Parameter(T.ones(2))
    cp = copy.copy(p)
    x = T.ones(2, requires_grad=True) * 2
    cx = copy.copy(x)
    return (t.tolist(), c is t, type(cp).__name__, cp.data_ptr() == p.data_ptr(),
            cx.grad_fn is None, cx.requires_grad)


def _own_optimizer_step(T):
    class Mine(T.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    st = self.state[p]
                    st["step"] = st.get("step", 0) + 1

    p = T.nn.Parameter(T.ones(2))
    first = Mine([p])
    first.step()
    second = Mine([p])
    second.load_state_dict(first.state_dict())
    adam = T.optim.Adam([p])
    adam.load_state_dict({"state": {0: {"step": 3, "exp_avg": T.zeros(2),
                                        "exp_avg_sq": T.zeros(2)}},
                          "param_groups": adam.state_dict()["param_groups"]})
    return (second.state[p]["step"], type(second.state[p]["step"]).__name__,
            type(adam.state[p]["step"]).__name__)


def _index_errors(T):
    x = T.zeros(2, 3, 4)
    out = []
    for k in [(0, 0, 9), (None, 0, 5), (Ellipsis, 7), (0, [0, 5]), (slice(None), 1, [9]), 5,
              (1, 5), ([0, 1], [1, 7])]:
        try:
            x[k]
        except IndexError as e:
            out.append(str(e))
    return out


def _stepped_weight(T):
    T.manual_seed(0)
    m = T.nn.Linear(3, 1)
    opt = T.optim.SGD(m.parameters(), 0.1)
    out = m(T.randn(4, 3))
    out.pow(2).mean().backward(retain_graph=True)
    opt.step()
    out.abs().mean().backward()
    return [round(v, 5) for v in m.weight.grad.view(-1).tolist()]  # (the last bits may differ)


def _data_writes(T):
    T.manual_seed(0)
    w = T.randn(2, 2, requires_grad=True)
    x = T.randn(2, 2, requires_grad=True)
    y = (x @ w).sum()
    w.data.mul_(0)
    y.backward()
    return w._version, x.grad.tolist()


def _empty_pool(T):
    x = T.randn(0, 1, 4, 4, requires_grad=True)
    T.nn.functional.max_pool2d(x, 2).sum().backward()
    return tuple(x.grad.shape)


def _neg_grad(T, name):
    x = T.tensor([[1.0, 3.0, 2.0], [3.0, 0.0, 3.0]], requires_grad=True)
    (-getattr(x, name)()).backward()
    return x.grad


def _resized(T):
    y = T.arange(6.0)
    y.resize_(2, 2)
    first = y.tolist()
    y.resize_(3, 3)
    return first, tuple(y.shape), y[:2, :2].tolist(), y.resize_as_(T.ones(4)).tolist()


def _data_parallel(T):
    T.manual_seed(0)
    m = T.nn.DataParallel(T.nn.Linear(2, 1))
    return repr(m), list(m.state_dict()), m(T.ones(3, 2)).tolist()


def _old_cpu_autocast(T):
    with T.cpu.amp.autocast():
        return T.is_autocast_enabled("cpu")


def _half_scores(T, dtype):
    T.manual_seed(0)
    x = (T.randn(16, 10) * 3).to(dtype)
    t = T.randint(0, 10, (16,))
    f = T.nn.functional
    return (f.log_softmax(x, -1).float().tolist(), f.cross_entropy(x, t).float().item(),
            f.cross_entropy(x, t, reduction="none").float().tolist())


def _error_type(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - compared between the libraries
        return type(e).__name__
    return None


def _asarray_copies(T):
    a = np.ones(3, np.float32)
    shared = [np.shares_memory(T.asarray(a, **kw).numpy(), a)
              for kw in ({}, {"copy": True}, {"copy": False})]
    x = T.ones(2)
    return shared, T.asarray(x) is x, T.asarray(x, copy=True) is x, str(T.asarray(obj=[1.5]).dtype)


def _asarray_grads(T):
    x = T.ones(2, requires_grad=True)
    out = [T.asarray(np.ones(2), requires_grad=True), T.asarray(x * 2),
           T.asarray(x * 2, requires_grad=False), T.asarray(x, copy=True)]
    y = T.asarray(x, requires_grad=False)  # NOTE: PyTorch turns off the leaf's own flag
    return [repr(t) for t in out], y is x, x.requires_grad


@pytest.mark.parametrize("name", list(CASES))
def test_same_as_pytorch(name):
    fn = CASES[name]
    got, want = outcome(fn, ember), outcome(fn, torch)
    assert got[0] == want[0]
    # warnings: the same categories and texts (PyTorch may add internal ones first, and its
    # C++ warnings end with where they were triggered)
    if not got[1]:
        assert not want[1]
    assert len(got[1]) <= len(want[1])
    for (g_cat, g_text), (w_cat, w_text) in zip(got[1], want[1][len(want[1]) - len(got[1]):]):
        assert g_cat == w_cat and w_text.startswith(g_text)


@pytest.mark.parametrize("module,name", [("ember.vision.transforms.v2", "UniformTemporalSubsample"),
                                         ("ember.vision.datasets", "CocoDetection"),
                                         ("ember.vision.models", "optical_flow"),
                                         ("ember.nn", "qat"),
                                         ("ember.utils.data", "IterDataPipe")])
def test_missing_api_is_named(module, name):
    """A PyTorch or torchvision name ember lacks says so, and hasattr() stays False."""
    import importlib

    mod = importlib.import_module(module)
    torch_name = module.replace("ember.vision", "torchvision").replace("ember", "torch")
    with pytest.raises(AttributeError, match=f"{torch_name}.{name} is not supported by ember"):
        getattr(mod, name)
    assert not hasattr(mod, name)


def _extra_state_module(T):
    class WithExtra(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = T.nn.Linear(1, 1)
            self.got = None

        def get_extra_state(self):
            return {"step": 3}

        def set_extra_state(self, state):
            self.got = state
    return WithExtra


def test_extra_state_round_trip():
    """get_extra_state/set_extra_state: saved as ``_extra_state``, given back on load, and a
    missing one is a missing key, as in PyTorch."""
    results = []
    for T in (ember, torch):
        cls = _extra_state_module(T)
        sd = T.nn.Sequential(cls(), T.nn.Linear(1, 1)).state_dict()
        fresh = T.nn.Sequential(cls(), T.nn.Linear(1, 1))
        loaded = repr(fresh.load_state_dict(sd))
        got = fresh[0].got
        del sd["0._extra_state"], sd["1.bias"]
        lenient = fresh.load_state_dict(sd, strict=False)
        try:
            fresh.load_state_dict(sd)
            strict = None
        except RuntimeError as e:
            strict = str(e)
        results.append((list(T.nn.Sequential(cls()).state_dict()), loaded, got,
                        lenient.missing_keys, strict))
    assert results[0] == results[1]
