"""Differential checks of argument handling (found by fuzzing ``out=`` and the keyword and
positional forms of ~150 ops against PyTorch): each case is evaluated with ``torch`` bound to
ember and to PyTorch, and must give the same printed result (or exception type and message),
the same warnings, and for ``out=`` the same object back and the same strides."""

import pytest

import ember

torch = pytest.importorskip("torch")
from diff import code_outcome  # noqa: E402

_SETUP = ("torch.manual_seed(0); x = torch.arange(6.).reshape(2, 3); "
          "xi = torch.arange(6).reshape(2, 3); v = torch.arange(3.)")


def _run(lib, code):
    return code_outcome(lib, code, _SETUP,
                        lambda r: tuple(str(v) for v in r) if isinstance(r, tuple) else r)


def _same(code):
    assert _run(ember, code) == _run(torch, code), code


# -- the argument parser: wrong types, unexpected keywords, overload lists ----------------

PARSER = [
    "torch.sum(x, axes=0)",
    "x.sum(axes=0)",
    "x.sum(dim=1.5)",
    "x.sum('a')",
    "x.sum(dim=('a',))",
    "torch.sum(x, (0, 'a'))",
    "torch.mean(x, dim='a')",
    "x.mean(keepdims=True)",
    "x.sum(0, keepdim=1)",
    "torch.sum(x, 0, None)",
    "torch.logsumexp(x, 0, keepdims=1)",
    "x.any(axis=-1, keepdim=1)",
    "torch.amax(x, ('a',))",
    "torch.amax(x, True)",
    "torch.amax(x, dim=None)",
    "torch.cumsum(x, True)",
    "x.cumsum(None)",
    "x.cumsum(dim=(0,))",
    "torch.cumsum(x, 0, torch.float64)",
    "torch.cummax(x, dim=0, keepdims=True)",
    "x.cummin()",
    "torch.cat([x, x], None)",
    "torch.cat((x, x), dim=(0,))",
    "torch.stack([x, x], 0.5)",
    "torch.kthvalue(x, 1, None)",
    "torch.kthvalue(x, 1, [0])",
    "torch.topk(x, 1.5)",
    "torch.topk(x, 1, 0, None)",
    "torch.index_select(x, None, torch.tensor([0]))",
    "torch.index_select(x, 0, [0])",
    "torch.movedim(x, None, 0)",
    "torch.narrow(x, 0.5, 0, 1)",
    "x.max(0, 1)",
    "x.max(x, dim=1)",
    "x.min(1.5)",
    "torch.max(x, [0], keep_dim=True)",
    "torch.sort(x, 0, True, True)",
    "torch.sort(x, 0, stable=True)",
    "x.sort(dim=None)",
    "torch.argsort(x, stable=None)",
    "x.std(0, 1)",
    "x.std(0, correction=1, unbiased=False)",
    "x.var(x)",
    "torch.std(x, 'a')",
    "torch.quantile(x, 0.5, 0.5)",
    "torch.quantile(x, 0.5, interpolation=None)",
    "x.count_nonzero(dim=1.5)",
    "x.count_nonzero(1, True)",
    "x.squeeze(None)",
    "torch.squeeze(x, 1.5)",
    "x.flip(0.5)",
    "torch.flip(x, 1)",
    "x.flip(1)",
    "x.flip(0, 1)",
    "x.roll(1.5)",
    "torch.gather(x, 1.5, xi)",
    "torch.diff(x, None)",
    "torch.softmax(x, 0, 1)",
    "torch.softmax(x, 0, torch.float64, 1)",
    "torch.softmax(x, axis=0, keepdim=1)",
    "torch.median(x, keepdim=True)",
    "torch.aminmax(x, 0)",
    "torch.t(x, out=x)",
    "x.cumsum_()",
    "torch.narrow_copy(x, None, 0, 1)",
    "torch.take_along_dim(x, xi, (0,))",
    "x.take_along_dim(xi, [0])",
    "torch.flatten(x, start_dim=None)",
    "x.flatten(0.5)",
    "torch.bucketize(x, 2.5)",
    "torch.bucketize(x, v, right=1)",
    "torch.searchsorted(v, x, side=1)",
    "torch.lerp(x, x, 2)",
    "x.lerp(2, 0.5)",
    "x.lerp_(x, 'a')",
    "torch.logaddexp(x, other=True)",
    "torch.hypot(x, other=2)",
    "torch.maximum(x, other=-1)",
    "torch.maximum(x, -1)",
    "torch.logical_and(x, other=2)",
    "torch.gather(x, 0, index=[0])",
    "x.gcd_(2)",
    "xi.gcd_(other=2)",
    "x.ldexp_(2.5)",
    "x.add(other='a')",
    "x.sub(other=[1])",
    "x.add()",
    "x.mul_()",
    "x.div()",
    "torch.repeat_interleave(x, 2, out=x)",
    "torch.repeat_interleave(x, 2.5)",
    "x.repeat_interleave(2, dim=(0,))",
    "x.repeat_interleave()",
    "torch.linalg.vector_norm(x, 2, 1, 1)",
    "torch.linalg.vector_norm(x, 2, 1.5)",
    "torch.linalg.vector_norm(x, ord=2, dim=1, keepdim=True, foo=1)",
    "torch.norm(x, dim=1, keepdim=1)",
    "x.norm(2, 1, 1)",
]


@pytest.mark.parametrize("code", PARSER)
def test_parser_errors(code):
    _same(code)


# -- what the parser lets through ------------------------------------------------------------

ACCEPTED = [
    "torch.sum(x, np.int64(0))",
    "torch.sum(x, [np.int64(0)])",
    "torch.sum(x=x)",
    "torch.sum(input=x, axis=1)",
    "x.sum(axis=0, keepdims=True)",
    "x.max(dim=0, keepdims=True)",
    "torch.std(x, None, True)",
    "torch.std(x, 0, correction=0, keepdim=True)",
    "torch.sort(x, stable=None)",
    "torch.roll(x, 1, None)",
    "x.permute(1, 0)",
    "x.squeeze(0, 1)",
    "torch.sum(x, (0, True))",
    "torch.sum(x, torch.tensor(1))",
    "torch.bucketize(x, v, right=True)",
    "torch.linalg.vector_norm(x=x)",
    "torch.linalg.vector_norm(x, 1, None, True, dtype=torch.float64)",
    "torch.lerp(input=x, end=x, weight=0.5)",
    "x.lerp(x, torch.tensor(0.5))",
    "torch.diff(x, 0, 5)",
    "torch.diff(x, 0, prepend=v[:1].expand(2, 1))",
]


@pytest.mark.parametrize("code", ACCEPTED)
def test_parser_accepts(code):
    _same(code)


# -- Tensor methods that take no arguments --------------------------------------------------

@pytest.mark.parametrize("code", ["x.t(1)", "x.t(out=x)", "x.abs(out=x)", "x.exp(1)",
                                  "x.floor(out=x)", "x.msort(1)", "x.sigmoid(k=1)"])
def test_no_argument_methods(code):
    _same(code)


# -- out= of ops with several outputs -------------------------------------------------------

MULTI_OUT = [
    "torch.max(x, 1, out=torch.empty(2))",
    "torch.sort(x, out=torch.empty(2, 3))",
    "torch.topk(x, 2, out=torch.empty(2, 2))",
    "torch.median(x, 1, out=torch.empty(2))",
    "torch.cummax(x, 1, out=torch.empty(2, 3))",
    "torch.frexp(x, out=torch.empty(2, 3))",
    "torch.max(x, 1, out=(torch.empty(2),))",
    "torch.max(x, 1, out=(x, x, x))",
    "torch.sort(x, out=(torch.empty(2, 3), torch.empty(2, 3, dtype=torch.int32)))",
    "torch.sort(xi, out=(torch.empty(2, 3), torch.empty(2, 3, dtype=torch.long)))",
    "torch.topk(x, 2, out=(torch.empty(2, 2, dtype=torch.float64), torch.empty(2, 2, "
    "dtype=torch.long)))",
    "torch.kthvalue(x, 1, out=(torch.empty(2), torch.empty(2, dtype=torch.int32)))",
    "torch.kthvalue(xi, 1, out=(torch.empty(2), torch.empty(2, dtype=torch.long)))",
    "torch.mode(x, out=(torch.empty(2, dtype=torch.float64), torch.empty(2, dtype=torch.int32)))",
    "torch.mode(x, 5, out=(torch.empty(2, dtype=torch.float64), torch.empty(2, "
    "dtype=torch.long)))",
    "torch.median(x, 1, out=(torch.empty(2, dtype=torch.float64), torch.empty(2, "
    "dtype=torch.int32)))",
    "torch.nanmedian(x, 1, out=(torch.empty(2, dtype=torch.float64), torch.empty(2, "
    "dtype=torch.long)))",
    "torch.aminmax(xi, out=(torch.empty(()), torch.empty(())))",
    "torch.frexp(x, out=(torch.empty(2, 3, dtype=torch.float64), torch.empty(2, 3)))",
    "torch.frexp(x, out=(torch.empty(2, 3), torch.empty(2, 3)))",
    "torch.max(x, 1, out=[torch.empty(0), torch.empty(0, dtype=torch.long)])",
]


@pytest.mark.parametrize("code", MULTI_OUT)
def test_multi_output_out(code):
    _same(code)


# -- out= dtype checks (the op's own words, and which check comes first) --------------------

OUT_DTYPE = [
    "torch.softmax(x, 0, out=torch.empty(2, 3, dtype=torch.float64))",
    "torch.log_softmax(x, 0, torch.float64, out=torch.empty(2, 3))",
    "torch.log_softmax(x, 0, out=torch.empty(5))",
    "torch.vdot(v, v, out=torch.empty(()))",
    "torch.vdot(v, v, out=torch.empty((), dtype=torch.long))",
    "torch.dot(v, v[:2], out=torch.empty((), dtype=torch.float64))",
    "torch.outer(v, v, out=torch.empty(3, 3, dtype=torch.float64))",
    "torch.index_select(xi, 0, torch.tensor([5]), out=torch.empty(1, 3, dtype=torch.int32))",
    "torch.index_select(xi, 5, torch.tensor([0]), out=torch.empty(1, 3, dtype=torch.int32))",
    "torch.masked_select(x, x > 2, out=torch.empty(3, dtype=torch.float64))",
    "torch.take(x, torch.tensor([0]), out=torch.empty(1, dtype=torch.float64))",
    "torch.all(x, 1, out=torch.empty(2, dtype=torch.int32))",
    "torch.any(xi, out=torch.empty((), dtype=torch.uint8))",
    "torch.all(x, 1, out=torch.empty(2, requires_grad=True))",
    "torch.mv(x, v, out=torch.empty(2, dtype=torch.float64))",
    "torch.bmm(x[None], x.t()[None], out=torch.empty(1, 2, 2, dtype=torch.float64))",
    "torch.addmv(v[:2], x, v, out=torch.empty(2, dtype=torch.float64))",
    "torch.baddbmm(x[None].mT @ x[None], x[None].mT, x[None], out=torch.empty(1, 3, 3, "
    "dtype=torch.float64))",
    "torch.logsumexp(xi, 1, out=torch.empty(2, dtype=torch.long))",
    "torch.histc(x, 4, out=torch.empty(4, dtype=torch.float64))",
    "torch.searchsorted(v, x, out=torch.empty(2, 3, dtype=torch.int32))",
    "torch.bucketize(x, v, out_int32=True, out=torch.empty(2, 3, dtype=torch.int32))",
    "torch.quantile(x, 0.5, 1, out=torch.empty(2, dtype=torch.float64))",
    "torch.take_along_dim(x, xi % 2, 0, out=torch.empty(2, 3, dtype=torch.float64))",
    "torch.msort(x, out=torch.empty(2, 3, dtype=torch.float64))",
    "torch.narrow_copy(x, 0, 0, 1, out=torch.empty(0))",
    "torch.narrow_copy(x, 0, 0, 1, out=torch.empty(1, 3, dtype=torch.float64))",
    "torch.cross(torch.ones(2, 3), torch.ones(2, 3), dim=2)",
    "torch.logsumexp(input=v, dim=1, out=torch.empty(3, dtype=torch.int32))",
    "torch.masked_select(x, xi, out=torch.empty(3, dtype=torch.float64))",
    "torch.mean(xi, 0, out=torch.empty(3))",
    "torch.mean(xi, 0, dtype=torch.float32, out=torch.empty(3))",
    "torch.mean(x, 0, out=torch.empty(3, dtype=torch.float64))",
    "torch.nanmean(xi, out=torch.empty(()))",
    "torch.positive(x, out=x)",
    "torch.std_mean(torch.ones(3, 1), 1)",
    "torch.var_mean(torch.ones(3, 1), 1)",
]


@pytest.mark.parametrize("code", OUT_DTYPE)
def test_out_dtype_checks(code):
    _same(code)


# -- out= that requires grad ----------------------------------------------------------------

OUT_GRAD = [
    "torch.tril(v, out=torch.empty(3, requires_grad=True))",
    "torch.sum(x, 5, out=torch.empty(2, requires_grad=True))",
    "torch.cat([x, v], out=torch.empty(2, requires_grad=True))",
    "torch.softmax(x, 1, out=torch.empty(2, 3, requires_grad=True))",
    "torch.negative(x, out=torch.empty(2, 3, requires_grad=True))",
    "torch.true_divide(x, 2, out=torch.empty(2, 3, requires_grad=True))",
    "torch.hstack([x, x], out=torch.empty(2, 6, requires_grad=True))",
    "torch.square(x, out=torch.empty(2, 3, requires_grad=True))",
    "torch.eq(x, x, out=torch.empty(2, 3, requires_grad=True))",
    "torch.signbit(x, out=torch.empty(2, 3, requires_grad=True))",
    "torch.ones(3, out=torch.empty(3, requires_grad=True))",
    "torch.zeros(2, out=torch.empty(3, requires_grad=True))",
    "torch.empty(3, out=torch.empty(3, requires_grad=True))",
    "torch.randn(3, out=torch.empty(2, requires_grad=True))",
    "torch.randperm(3, out=torch.empty(3, requires_grad=True))",
    "torch.zeros(3, dtype=torch.int32, out=torch.empty(3, requires_grad=True))",
    "torch.normal(torch.zeros(3), 1., out=torch.empty(3, requires_grad=True))",
    "torch.zeros(3, out=torch.empty(3, requires_grad=True)[:2])",
    "torch.ones(3, out=torch.empty(3), requires_grad=True)",
    "torch.diag(x, out=torch.empty(2, requires_grad=True))",
    "torch.diag(v, out=torch.empty(3, 3, requires_grad=True))",
    "torch.column_stack([v, v], out=torch.empty(3, 2, requires_grad=True))",
]


@pytest.mark.parametrize("code", OUT_GRAD)
def test_out_requiring_grad(code):
    _same(code)


# -- factories writing into out= ------------------------------------------------------------

FACTORY = [
    "torch.arange(5, out=torch.empty(2))",
    "torch.arange(5, out=torch.empty(0))",
    "torch.arange(1, out=torch.empty(()))",
    "torch.linspace(0, 1, 1, out=torch.empty(()))",
    "torch.logspace(0, 1, 1, out=torch.empty(()))",
    "torch.normal(torch.zeros(3), torch.ones(3), out=torch.empty(2))",
    "torch.normal(0., torch.ones(3, dtype=torch.float64), out=torch.empty(3))",
    "torch.rand(2, 3, out=torch.empty(3, 2).t())",
    "torch.randn(4, 5, out=torch.empty(5, 4).t())",
    "torch.randn(2, 3, out=torch.empty(3, 2).t(), requires_grad=True)",
    "torch.normal(0., 1., (2, 3), out=torch.empty(3, 2).t())",
    "torch.randint(1, 5, size=(2, 3), out=torch.empty(3, 2, dtype=torch.long).t())",
    "torch.rand(2, 3, generator=torch.Generator().manual_seed(3), out=torch.empty(3, 2).t())",
    "torch.rand(2, 3, out=torch.empty(3, 2).t()).stride()",
]


@pytest.mark.parametrize("code", FACTORY)
def test_factory_out(code):
    _same(code)


@pytest.mark.parametrize("code", [
    "torch.softmax(x, 0, out=o)", "torch.max(x, 1, out=(o[0, :2], i[0]))",
    "torch.sum(x, 1, out=o[0, :2])", "torch.vdot(v, v, out=o[0, 0])"])
def test_out_is_returned_with_its_strides(code):
    def run(lib):
        env = {"torch": lib}
        exec(_SETUP + "; o = torch.zeros(3, 2).t(); i = torch.zeros(2, 2, dtype=torch.long)",
             env)
        res = eval(code, env)
        res = res if isinstance(res, tuple) else (res,)
        outs = (env["o"],) if "o[" not in code else ()
        return ([str(r) for r in res], [r.stride() for r in res],
                [r is o for r in res for o in outs])
    assert run(ember) == run(torch)


# -- the binary ops' and clamp's signatures; out= checks before a kernel refuses a dtype ----

_H = "torch.ones(2, dtype=torch.half)"
_C = "torch.ones(2, dtype=torch.cfloat)"
_B = "torch.ones(2, dtype=torch.bool)"
_I = "torch.ones(2, dtype=torch.int16)"

BINARY_PARSER = [
    "torch.clamp(x, torch.zeros(3), 1)", "torch.clamp(x, 0, torch.ones(3))",
    "torch.clip(x, min=torch.zeros(3), max=1.5)", "x.clamp(torch.zeros(3), 1)",
    "x.clone().clamp_(torch.zeros(3), 1)", "x.clip(min=torch.zeros(3), max=1.0)",
    "torch.clamp(x, 'a')", "torch.clamp(x, 1, 2, 3)", "torch.clamp(x, [1])",
    "torch.clamp(x, torch.tensor(1.), 3)", "torch.clamp(x, None, 2.5)",
    "torch.clamp_min(x, 'a')", "x.clamp_max([1])", "torch.clamp(x, 1 + 2j)",
    "torch.clamp(x, max=1 + 0j)", "torch.clamp(xi, 1 + 1j)", "torch.clamp_min(x, 1 + 1j)",
    "x.clone().clamp_(1 + 2j)",
    "torch.eq(x, [1, 2, 3])", "torch.eq(x, np.ones(3))", "torch.eq(1, x)", "x.eq([1])",
    "x.greater()", "torch.ne(x, other=x, foo=1)", "torch.lt(x, x, x)",
    "torch.pow(x, [2])", "torch.pow(x, other=2)", "torch.pow(input=x, other=2)",
    "x.pow(other=2)", "torch.pow(2, 3)", "torch.pow(2, v)", "torch.pow(x, exponent=2)",
    "torch.pow(self=2, exponent=v)", "torch.xlogy(self=2, other=v)",
    "torch.float_power(x, other=2)", "x.float_power()",
    "torch.subtract(x, [1, 2, 3])", "torch.subtract(x)", "x.subtract(other=[1])",
    "torch.multiply(x, 'a')", "x.multiply([1])", "torch.divide(x)", "x.divide([1])",
    "torch.true_divide(x, np.ones(3))", "torch.floor_divide(x)",
    "torch.remainder(x, [1])", "torch.remainder(2, 3)", "torch.remainder(2, v)",
    "torch.fmod(2, v)", "torch.bitwise_and(xi, 'a')", "x.bitwise_or()",
    "torch.rsub(x, 1, out=x)", "torch.rsub(x)", "torch.rsub(x, 'a')",
    "torch.maximum(x)", "x.maximum()", "torch.atan2(x)", "x.matmul()",
    "torch.logical_and(x, x, x)", "torch.logical_and(x, other=x, foo=1)",
    "torch.lcm(xi, other=2)", "torch.gcd(xi, 2)", "torch.dot(v, tensor=[1])",
    "torch.mm(x)", "x.mm()", "torch.mm(x, x, x)", "torch.bmm(x, mat2=2)",
    "torch.where(x > 0, x, [1])", "torch.where([1], x, x)", "x.where([1, 2, 3])",
    "x.where()", "torch.where(x > 0, x, 0.5)", "x.where(x > 0, 2)",
    "torch.add(x)", "torch.sub(x)", "torch.mul(x)", "torch.div(x)",
    "x.dim(1)", "x.numel(1, 2)", "x.clone(1)", "torch.clone(x, 1)",
    "torch.diag(torch.ones(2, 2, 2))", "torch.diag(torch.ones(2, 2, 2), out=v)",
    "torch.ger(v, v)", "v.ger(v)", "torch.ger(v, v, out=torch.empty(3, 3))",
    "torch.ger(v, v, out=torch.empty(2))",
    "x.clone().squeeze_(None)", "x.clone().unsqueeze_('a')", "x.clone().transpose_(0)",
    "x.clone().unsqueeze_(0).shape", "x.clone().transpose_(0, 1).shape",
]


@pytest.mark.parametrize("code", BINARY_PARSER)
def test_binary_parser(code):
    _same(code)


BEFORE_KERNEL = [
    f"torch.{op}({a}, {a}, out={o})"
    for op in ("gcd", "hypot", "bitwise_and", "bitwise_left_shift", "nextafter", "atan2",
               "copysign", "floor_divide", "pow", "logaddexp", "heaviside")
    for a, o in ((_H, "torch.ones(2, dtype=torch.uint8)"), (_C, "torch.ones(2, dtype=torch.long)"),
                 (_C, "torch.ones(3, dtype=torch.cfloat)"), (_C, "torch.ones(3, dtype=torch.bool)"),
                 (_I, "torch.ones(3)"), (_B, "torch.ones(3, dtype=torch.long)"))
] + [
    "torch.sin(xi, out=torch.ones(3, dtype=torch.float64))",
    "torch.add(x, 1, out=torch.ones(3, dtype=torch.float64))",
    "torch.lerp(v, v, 0.5, out=torch.ones(2, dtype=torch.float64))",
    "torch.addcmul(v, v, v, out=torch.ones(2, dtype=torch.float64))",
    "torch.cat([xi, xi], out=torch.ones(3, dtype=torch.float64))",
    "torch.logical_not(xi, out=torch.ones(3, dtype=torch.float64))",
    "torch.gcd(xi, xi, out=torch.ones(3))",
    "torch.less(torch.ones((), dtype=torch.cfloat), torch.ones((), dtype=torch.cfloat), "
    "out=torch.ones(1, dtype=torch.long))",
    f"torch.lt({_C}, {_C}, out=torch.ones(3, dtype=torch.bool))",
    f"torch.ge({_C}, {_C}, out=torch.ones(3, dtype=torch.cfloat))",
    "torch.true_divide(2, v, out=torch.empty(3))", "torch.multiply(2.5, v)",
    "torch.divide(v, 2, rounding_mode='floor', out=torch.empty(3))",
    "torch.subtract(2, v, alpha=2)", "torch.floor_divide(v, 2, out=torch.empty(3))",
    "torch.logaddexp(input=torch.ones((), dtype=torch.int16), other=xi.short(), "
    "out=torch.ones(()))",
]


@pytest.mark.parametrize("code", BEFORE_KERNEL)
def test_out_checks_before_kernel(code):
    _same(code)


@pytest.mark.parametrize("code", [
    "torch.eq(x, v)", "x.eq(1)", "torch.pow(2, v)", "torch.where(x > 1, x, 0.)",
    "torch.clamp(x, v, None)", "x.clamp(min=v)", "torch.remainder(x, 2.5)",
    "torch.mm(x, x.t())", "x.where(x > 1, v)", "torch.maximum(x, v)"])
def test_binary_fast_path_results(code):
    for _ in range(2):  # (the second call takes the wrappers' short ways)
        _same(code)
