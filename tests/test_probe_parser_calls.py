"""Differential checks of how users call Tensor methods and torch functions: sizes and dims
given as ``torch.Size``, ``torch.norm``/``Tensor.norm`` (Python-level in PyTorch, passing on
to ``linalg.vector_norm``/``matrix_norm``), the ``out=`` dtype checks of ``torch.linalg``'s
kernels, and PyTorch's parser's words (and keyword names) for ``torch.linalg``/``torch.special``
calls: each case is evaluated with ``torch`` bound to ember and to PyTorch, and must give the
same printed result (or exception type and message) and the same warnings."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
from diff import code_outcome  # noqa: E402

_SETUP = ("torch.manual_seed(0); x = torch.arange(6.).reshape(2, 3); v = torch.arange(4.); "
          "y = torch.ones(2, 3); "
          "X = torch.tensor([[2., 1., 0.], [1., 3., 1.], [0., 1., 4.]]); "
          "o = torch.empty(0); d = torch.empty(0, dtype=torch.float64); "
          "l = torch.empty(0, dtype=torch.int64); i32 = torch.empty(0, dtype=torch.int32)")


def _show(res):
    if isinstance(res, (tuple, list)):
        return type(res).__name__ + "(" + ", ".join(_show(r) for r in res) + ")"
    if hasattr(res, "shape") and hasattr(res, "dtype"):
        return f"{tuple(res.shape)} {res.dtype} {(np.round(res.detach().numpy(), 4) + 0).tolist()}"
    return repr(res)


def _run(lib, code):
    return code_outcome(lib, code, _SETUP, _show)


def _same(code):
    assert _run(ember, code) == _run(torch, code), code


SIZE_DIMS = [
    "x.sum(torch.Size([1]))", "x.mean(torch.Size([0, 1]))", "x.amax(torch.Size([1]), True)",
    "torch.logsumexp(x, torch.Size([1]))", "x.std(torch.Size([1]))", "x.nansum(torch.Size([]))",
]

NORM = [
    "x.norm()", "x.norm(1)", "x.norm(p=1, dim=1)", "x.norm(2, 1, True)", "x.norm(None)",
    "x.norm(2, 1, True, torch.float64)", "x.norm('nuc')", "x.norm(p='fro', dim=1)",
    "x.norm(foo=1)", "x.norm(axis=1)", "x.norm(dim=1, out=o)", "x.norm((0, 1))",
    "x.norm(1, True, 3)", "x.norm(torch.Size([1]))", "x.norm(dtype=int)",
    "torch.norm(x, x)", "torch.norm()", "torch.norm(input=x, p=1, dim=0)", "torch.norm(t=x)",
    "torch.norm(x, 1, keepdim=True, out=(o, l))", "torch.norm(x, 1, out=[o, l])",
    "torch.norm(x, 1, 1, out=d)", "torch.norm(x, out=o)", "torch.norm(x, 'nuc', out=o)",
    "torch.norm(x, 'abc')", "torch.norm(x, 'fro', (0, 1, 0))", "torch.norm(x, 'nuc', 1)",
    "torch.norm(x, dim=np.int64(1))", "torch.norm(x.long())",
    "torch.norm(torch.ones(2, 2, 2), 'fro', dim=(0, 1, 2))", "torch.Tensor.norm.__qualname__",
    "torch.linalg.matrix_norm(x, out=(o,))", "torch.linalg.matrix_norm(x, 'fro', (0, 1), 1)",
    "torch.linalg.matrix_norm(x, foo=1)", "torch.linalg.matrix_norm(x, ord=None)",
    "torch.linalg.matrix_norm(x, dim=0)", "torch.linalg.matrix_norm(x, 'fro', [0, 1], False, "
    "torch.float64)", "torch.linalg.matrix_norm(input=x)", "torch.linalg.vector_norm(v, axis=0)",
]

LINALG_OUT = [
    "torch.linalg.vector_norm(x, out=d)", "torch.linalg.vector_norm(x, dtype=torch.float64, "
    "out=o)", "torch.linalg.vector_norm(x, out=l)", "torch.linalg.matrix_norm(x, out=d)",
    "torch.linalg.matrix_norm(x, 'nuc', out=d)", "torch.linalg.matrix_norm(x, 1, out=d)",
    "torch.linalg.norm(x, out=d)", "torch.linalg.norm(v, 1, out=d)", "torch.linalg.det(X, out=d)",
    "torch.linalg.det(X, out=l)", "torch.linalg.inv(X, out=d)", "torch.linalg.cross(X, X, out=d)",
    "torch.linalg.svdvals(X, out=d)", "torch.linalg.eigvalsh(X, out=d)",
    "torch.linalg.solve(X, X, out=d)", "torch.linalg.matrix_power(X, 2, out=d)",
    "torch.linalg.vecdot(X, X, out=l)", "torch.linalg.multi_dot([X, X], out=l)",
    "torch.linalg.cond(X, out=d)", "torch.linalg.cond(X, 'fro', out=l)",
    "torch.linalg.matrix_rank(X, out=d)", "torch.linalg.matrix_rank(X, out=torch.empty(0, "
    "dtype=torch.bool))", "torch.linalg.pinv(X, out=d)", "torch.linalg.pinv(X, out=l)",
    "torch.linalg.slogdet(X, out=(d, o))", "torch.linalg.slogdet(X, out=(o, d))",
    "torch.linalg.qr(X, out=(d, o))", "torch.linalg.eigh(X, out=(o, d))",
    "torch.linalg.svd(X, out=(o, d, o))", "torch.linalg.cholesky(X, out=d)",
    "torch.linalg.cholesky_ex(X, out=(o, l))", "torch.linalg.inv_ex(X, out=(d, i32))",
    "torch.linalg.solve_triangular(X, X, upper=True, out=d)",
    "torch.linalg.solve_triangular(X, X.double(), upper=True, out=o)",
    "torch.linalg.eigvals(X, out=o)", "torch.linalg.eigvals(X, out=l)",
    "torch.linalg.eig(X, out=(o, torch.empty(0, dtype=torch.complex64)))",
    "type(torch.linalg.eig(X, out=(torch.empty(0, dtype=torch.complex64), "
    "torch.empty(0, dtype=torch.complex64)))).__name__",
    "torch.linalg.lu_factor(X, out=(d, i32))", "torch.linalg.lu_factor_ex(X, out=(o, i32, l))",
    "torch.linalg.lu(X, out=(o, d, o))", "torch.linalg.lu_solve(*torch.linalg.lu_factor(X), X, "
    "out=d)", "torch.linalg.householder_product(X, X[0, :2], out=d)",
    "torch.linalg.householder_product(X, X[0, :2], out=l)", "torch.linalg.tensorinv(X, 1, out=l)",
    "torch.linalg.tensorsolve(X, X[0], out=l)", "torch.cholesky_inverse(X, out=l)",
    "torch.cholesky_solve(X, X, out=l)", "torch.geqrf(X, out=(o, l))",
    "torch.ormqr(X, X[0], X, out=l)", "torch.svd(X, out=(d, o, o))", "torch.qr(X, out=(d, o))",
    "torch.slogdet(X, out=(d, o))", "torch.inverse(X, out=d)", "torch.matrix_power(X, 2, out=d)",
    "torch.linalg.matmul(X, X, out=d)", "torch.linalg.matmul(X, X, out=o)",
]

LINALG_CALLS = [
    "torch.linalg.inv(X, foo=1)", "torch.linalg.det(X, 1)", "torch.linalg.svd(X, True, 1)",
    "torch.linalg.eigh(X, 'L', 3)", "torch.linalg.solve(X)", "torch.linalg.cross(X)",
    "torch.linalg.vecdot(X, X, 1)", "torch.linalg.matrix_exp(X, foo=1)",
    "torch.linalg.matmul(X, X, foo=1)", "torch.linalg.matmul(X)",
    "torch.linalg.matmul(input=X, other=X)", "torch.linalg.diagonal(X, 1)",
    "torch.linalg.pinv(X, foo=1)", "torch.linalg.cholesky(X, True)",
    "torch.linalg.lu_factor(X, foo=1)", "torch.linalg.svdvals(X, 1)",
    "torch.linalg.multi_dot(X, X)", "torch.linalg.householder_product(X)",
    "torch.linalg.matrix_rank(X, 0.1, foo=1)", "torch.linalg.cond(X, foo=1)",
    "torch.linalg.cond(X, [1])", "torch.linalg.inv(input=X)", "torch.linalg.inv(A=X)",
    "torch.linalg.solve(input=X, other=X)", "torch.linalg.cholesky(A=X)",
    "torch.linalg.cholesky(input=X)", "torch.linalg.cholesky(a=X)", "torch.linalg.eigh(A=X)",
    "torch.linalg.lstsq(A=X, B=X)", "torch.linalg.lstsq(input=X, b=X).solution",
    "torch.linalg.matrix_power(input=X, n=2)", "torch.linalg.matrix_exp(A=X)",
    "torch.linalg.vector_norm(input=X)", "torch.linalg.vector_norm(x=X)",
    "torch.linalg.norm(input=X)", "torch.linalg.norm(A=X)", "torch.linalg.tensorsolve(X, "
    "other=X[0])",
    # the older forms of pinv and matrix_rank (a relative / an absolute tolerance)
    "torch.linalg.pinv(X, 0.1)", "torch.linalg.pinv(X, rcond=0.5)", "torch.linalg.pinv(X, 0.1, "
    "True)", "torch.linalg.pinv(X, torch.tensor(0.9))", "torch.linalg.pinv(X, 'a')",
    "torch.linalg.pinv(X, 0.1, rtol=0.1)", "torch.linalg.pinv(input=X)",
    "torch.linalg.matrix_rank(X, 2.0)", "torch.linalg.matrix_rank(X, tol=2.5)",
    "torch.linalg.matrix_rank(X, 2.0, True)", "torch.linalg.matrix_rank(X, 'x')",
    "torch.linalg.matrix_rank(A=X)", "torch.linalg.cond(input=X)", "torch.linalg.cond(A=X)",
]

SPECIAL_CALLS = [
    "torch.special.erf(v, foo=1)", "torch.special.erf(x=v)", "torch.special.erf(input=1.0)",
    "torch.special.expit(v, 1)", "torch.special.expit(input=1.0)", "torch.special.airy_ai(x=v)",
    "torch.special.airy_ai(input=v)", "torch.special.logsumexp(v, axis=0)",
    "torch.special.softmax(v, axis=0)", "torch.special.zeta(v)", "torch.special.zeta(1., 2.)",
    "torch.special.xlog1py(1., 2.)", "torch.special.xlogy(input=v, other=v)",
    "torch.special.xlogy(input=1.0, other=2.0)", "torch.special.chebyshev_polynomial_t(1., 2)",
    "torch.special.hermite_polynomial_h(x=v, n=1)", "torch.special.log_softmax(v)",
    "torch.float_power(2., 3.)", "torch.fft.fftn(v, foo=1)", "torch.fft.fftshift(v, foo=1)",
    "torch.fft.fftfreq(4, foo=1)", "torch.fft.fftshift(input=v)",
]


SCALARS = [
    "x.lerp(x + 1, np.int64(1))", "x.lerp(x + 1, np.float32(0.25))", "x.lerp(x, np.bool_(True))",
    "x.lerp(x, 1+2j)", "x.double().lerp(x.double(), 1j)", "torch.lerp(x, x, np.float64(0.75))",
    "x.clone().lerp_(x + 1, np.float32(0.75))", "x.lerp(x, weight=np.float64(0.3))",
    "x.cfloat().lerp(x.cfloat() * 2, 0.5j)",
    "x.index_fill(0, torch.tensor([0]), np.bool_(True))",
    "x.long().index_fill(1, torch.tensor([0]), np.bool_(True))",
    "x.sub(np.bool_(True), alpha=np.bool_(True))", "x.long().add(1, alpha=np.bool_(True))",
    "x.bool().add(True, alpha=np.bool_(True))", "x.add(1, alpha=np.float32(2))",
    "(x > 2).add(True, alpha=True)", "(x > 2).add(False, alpha=2)", "(x > 2).add(1, alpha=True)",
    "torch.add(x > 2, True, alpha=False)", "(x > 2).sub(True, alpha=True)",
    "torch.add(x, True, alpha=2)", "torch.add(x.long(), True, alpha=2)", "torch.sub(x, True, "
    "alpha=3)", "torch.add(x.int(), False, alpha=5)",
    "x.fill_('a')", "x.fill_(None)", "x.fill_([1])", "x.fill_((1,))", "x.fill_(np.array(1.5))",
    "x.fill_(np.float64(2))", "x.fill_(torch.tensor(3))", "x.fill_(value=4)", "x.fill_(1, 2)",
    "x.fill_(val=1)", "x.fill_(torch.ones(2))", "x.int().fill_(2.7)", "torch.fill(x, 'a')",
    "torch.fill(x, value=torch.tensor(5))", "torch.fill_(x.clone(), 3)",
    "torch.fill(x.requires_grad_(), 3.0).grad_fn.name()",
    "torch.fill(x, torch.tensor(2., requires_grad=True)).grad_fn.name()",
    "torch.can_cast(complex, torch.int)",
    "torch.promote_types(complex, torch.int)", "torch.can_cast(np.dtype('float32'), torch.int)",
"torch.scalar_tensor(1, dtype='float32')",
    "torch.return_types.max((1,))", "torch.return_types.max([1, 2, 3])",
    "torch.return_types.max((torch.tensor(1), torch.tensor(2)))",
    "x.new_zeros((3, -1))", "x.new_zeros(-1)", "x.new_ones(2, -3)", "x.new_empty(-1)",
    "x.max(other=x + 1)", "torch.max(x, other=x - 1)", "x.min(other=x - 1)",
    "torch.min(input=x, other=x + 1)", "torch.nn.functional.gelu(x, 'tanh')",
    "torch.nn.functional.gelu(x, approximate='tanh')", "x.size(1, 2)", "x.size(foo=2)",
    "x.size(dim=-1)", "x.size('a')",
]

METHOD_WORDS = [
    "x.float('zz')", "x.float(foo=1)", "x.long(1, 2)", "x.half(None)", "x.bool(memory_format="
    "torch.preserve_format)", "x.numpy('zz')", "x.numpy(foo=1)", "x.numpy(force=True)",
    "x.is_contiguous('zz')", "x.is_contiguous(1, 2)", "x.stride(1, 2, 3)", "x.stride(0)",
    "x.requires_grad_(1, 2)", "x.requires_grad_(foo=1)", "x.detach('zz')", "x.detach(foo=1)",
    "x.tolist(1)", "x.dim(foo=1)", "x.numel(1)", "x.item(1)", "x.element_size(2)",
    "x.allclose(y, 'zz')", "x.allclose(y, 1, 2, 3, 4, 5, 6)", "x.allclose()",
    "torch.allclose()", "torch.allclose(input=x, other=y)", "torch.allclose(x, y, 1e-3, 1e-3, "
    "True)", "torch.isclose(x, y, 'a')", "x.isclose(y, atol=2)", "torch.allclose(x, 2.0)",
    "x.copy_(y, 'zz')", "x.copy_(y, None)", "x.copy_(y, True)",
    "torch.einsum(equation='ij,jk->ik', operands=[x, y.t()])", "torch.einsum('ij->i', x, 'zz')",
    "torch.einsum()", "torch.einsum('ij->i')", "torch.einsum('ij->i', [x, 1])",
    "torch.einsum('ij,jk->ik', [x, y.t()])", "torch.einsum(x, [0, 1], [0])",
]


@pytest.mark.parametrize("code", SCALARS)
def test_scalar_arguments(code):
    _same(code)


@pytest.mark.parametrize("code", METHOD_WORDS)
def test_method_argument_errors(code):
    _same(code)


@pytest.mark.parametrize("code", SIZE_DIMS + NORM)
def test_size_dims_and_norm(code):
    _same(code)


@pytest.mark.parametrize("code", LINALG_OUT)
def test_linalg_out_dtypes(code):
    _same(code)


@pytest.mark.parametrize("code", LINALG_CALLS + SPECIAL_CALLS)
def test_linalg_special_calls(code):
    _same(code)


def test_norm_grad_and_trace():
    for lib in (ember, torch):
        r = lib.tensor([3.0, 4.0], requires_grad=True)
        n = r.norm()
        n.backward()
        assert n.grad_fn.name() == "LinalgVectorNormBackward0"
        assert r.grad.tolist() == pytest.approx([0.6, 0.8])
    e = ember.fx.symbolic_trace(lambda t: ember.norm(t, 1))
    t = torch.fx.symbolic_trace(lambda t: torch.norm(t, 1))
    assert e.code == t.code


def test_legacy_tensor_type_named_as_pytorch_does():
    # (PyTorch's first look at a legacy type may warn about its ``__torch_function__``)
    for code in ("torch.zeros(2, dtype=torch.FloatTensor)",
                 "torch.promote_types(torch.FloatTensor, torch.int)"):
        assert _run(ember, code).split(" | ")[0] == _run(torch, code).split(" | ")[0]


def test_norm_hands_its_options_to_torch_function_by_keyword():
    def run(lib):
        seen = []

        class Logged(lib.Tensor):
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                seen.append((func.__name__, len(args), sorted(kwargs or {})))
                return super().__torch_function__(func, types, args, kwargs)

        x = lib.arange(6.).reshape(2, 3).as_subclass(Logged)
        x.norm()
        x.norm(1, 0)
        lib.norm(x, 1)
        return seen[:3]
    assert run(ember) == run(torch)
