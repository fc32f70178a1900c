"""Complex dtypes against PyTorch: promotion, creation, ops, refusals, printing,
checkpoints and autograd (PyTorch's conjugate-Wirtinger convention)."""
import io
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _np(x):
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        x = x.detach()
        return x.numpy(force=True) if isinstance(x, torch.Tensor) else x.resolve_conj().numpy()
    return x


def same(e, t, rtol=2e-6, atol=1e-6):
    """ember's result ``e`` equals PyTorch's ``t`` (tensors: dtype, shape, values)."""
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            same(a, b, rtol, atol)
        return
    if isinstance(t, torch.Tensor):
        assert str(e.dtype) == str(t.dtype), (e.dtype, t.dtype)
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol, equal_nan=True)
        return
    if isinstance(t, torch.dtype):
        assert str(e) == str(t)
        return
    if isinstance(t, np.ndarray):
        assert e.dtype == t.dtype
        np.testing.assert_array_equal(e, t)
        return
    assert type(e) is type(t), (e, t)
    if isinstance(t, (float, complex)):
        np.testing.assert_allclose(e, t, rtol=rtol, atol=atol)
    else:
        assert e == t


def run(fn, **tol):
    """``fn(lib)`` on both libraries: the same result, or the same exception and message."""
    try:
        want = fn(torch)
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc)) as info:
            fn(ember)
        assert str(info.value).split("\n")[0] == str(exc).split("\n")[0]
        return
    same(fn(ember), want, **tol)


Z = np.array([1 + 2j, -3.5 - 1j, 0.25 + 0.5j], dtype=np.complex64)
W = np.array([0.5j, 2 + 0j, -1 - 1j], dtype=np.complex64)
X = np.array([1.5, -2.0, 0.75], dtype=np.float32)


def z(T, a=Z):
    return T.from_numpy(a.copy())


# -- dtypes and promotion ------------------------------------------------------------------

DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64", "complex64", "complex128"]


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", ["complex64", "complex128"])
def test_promote_types(a, b):
    run(lambda T: T.promote_types(getattr(T, a), getattr(T, b)))
    run(lambda T: T.promote_types(getattr(T, b), getattr(T, a)))
    run(lambda T: T.can_cast(getattr(T, a), getattr(T, b)))
    run(lambda T: T.can_cast(getattr(T, b), getattr(T, a)))


@pytest.mark.parametrize("name", DTYPES[:6])
def test_result_type_with_complex_operands(name):
    run(lambda T: T.result_type(T.ones(2, dtype=getattr(T, name)), 1j))
    run(lambda T: T.result_type(T.ones(2, dtype=getattr(T, name)),
                                T.tensor(1j, dtype=T.complex128)))
    run(lambda T: T.result_type(T.tensor(1j), T.ones(2, dtype=getattr(T, name))))
    run(lambda T: (T.ones(2, dtype=getattr(T, name)) + 2j).dtype)
    run(lambda T: (T.ones(2, dtype=T.complex64) + T.ones(2, dtype=getattr(T, name))).dtype)


def test_dtype_attributes():
    for name in ("complex64", "complex128", "cfloat", "cdouble", "float32", "int64"):
        e, t = getattr(ember, name), getattr(torch, name)
        assert str(e) == str(t) and e.is_complex == t.is_complex
        assert e.is_floating_point == t.is_floating_point and e.is_signed == t.is_signed
        assert e.itemsize == t.itemsize
        assert str(e.to_real()) == str(t.to_real())
    for name in ("float32", "float64", "complex64"):
        assert str(getattr(ember, name).to_complex()) == str(getattr(torch, name).to_complex())
    run(lambda T: T.int32.to_complex())
    assert ember.cfloat is ember.complex64 and ember.cdouble is ember.complex128
    assert ember.finfo(ember.complex128) == ember.finfo(ember.float64)
    run(lambda T: T.iinfo(T.complex64))
    assert ember.is_complex(z(ember)) and z(ember).is_complex() and not z(ember).is_floating_point()
    assert z(ember).type() == "torch.ComplexFloatTensor"
    assert isinstance(z(ember), ember.ComplexFloatTensor)


def test_default_dtype_float64_makes_complex128():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        run(lambda T: T.tensor([1 + 2j]))
        run(lambda T: T.ones(2, dtype=T.int32) + 1j)
        run(lambda T: T.full((2,), 1j))
        run(lambda T: repr(T.tensor([1j])))
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


# -- creation ------------------------------------------------------------------------------

@pytest.mark.parametrize("expr", [
    "T.tensor([1+2j, 3.5-1j])", "T.tensor([[1, 2.5], [1j, True]])", "T.tensor(2j)",
    "T.tensor([1.5], dtype=T.cfloat)", "T.tensor([1j], dtype=T.float32)",
    "T.tensor([1+1j], dtype=T.cdouble)", "T.zeros(2, 3, dtype=T.cfloat)",
    "T.ones(2, dtype=T.cdouble)", "T.full((2,), 1+1j)", "T.full((2,), 1.5, dtype=T.cfloat)",
    "T.full((2,), 1j, dtype=T.float32)", "T.empty(2, dtype=T.complex64).shape",
    "T.eye(2, 3, dtype=T.cdouble)", "T.ones_like(T.tensor([1j]))", "T.zeros_like(T.ones(2), "
    "dtype=T.cfloat)", "T.complex(T.tensor([1., 2]), T.tensor([3., 4]))",
    "T.complex(T.tensor([1., 2], dtype=T.float64), T.tensor([3.], dtype=T.float64))",
    "T.complex(T.tensor([1, 2]), T.tensor([3, 4]))",
    "T.complex(T.tensor([1.]), T.tensor([1.], dtype=T.float64))",
    "T.polar(T.tensor([1., 2]), T.tensor([0., 1]))",
    "T.from_numpy(np.array([1+1j, 2]))", "T.from_numpy(np.array([1j], dtype=np.complex64))",
    "T.arange(3, dtype=T.cfloat)", "T.randint(3, (2,), dtype=T.cfloat)",
])
def test_creation(expr):
    run(lambda T: eval(expr))


def test_from_numpy_shares_memory_and_numpy_round_trip():
    a = np.array([1 + 1j, 2 - 2j])
    t = ember.from_numpy(a)
    a[0] = 5j
    assert t[0].item() == 5j and np.shares_memory(t.numpy(), a)
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.clongdouble. "
                                        "The only supported types are: float64, float32, "
                                        "float16, complex64, complex128, int64"):
        ember.from_numpy(np.array([1j], dtype=np.clongdouble))


@pytest.mark.parametrize("dtype", ["cfloat", "cdouble"])
@pytest.mark.parametrize("n", [3, 8, 40])
def test_random_draws_are_pytorchs_bits(dtype, n):
    for fn in ("randn", "rand"):
        torch.manual_seed(7)
        ember.manual_seed(7)
        t = getattr(torch, fn)(n, dtype=getattr(torch, dtype))
        e = getattr(ember, fn)(n, dtype=getattr(ember, dtype))
        assert np.array_equal(e.numpy(), t.numpy())
    torch.manual_seed(1)
    ember.manual_seed(1)
    t = torch.empty(2, 9, dtype=getattr(torch, dtype)).normal_(1.0, 3.0)
    e = ember.empty(2, 9, dtype=getattr(ember, dtype)).normal_(1.0, 3.0)
    assert np.array_equal(e.numpy(), t.numpy())
    assert np.array_equal(ember.randn_like(e).numpy(), torch.randn_like(t).numpy())


# -- conversions ---------------------------------------------------------------------------

def test_casts_and_python_numbers():
    run(lambda T: z(T).to(T.complex128))
    run(lambda T: T.tensor([1, 2]).to(T.cfloat))
    run(lambda T: T.ones(2).to(T.cdouble))
    run(lambda T: z(T)[0].item())
    run(lambda T: z(T).tolist())
    run(lambda T: complex(z(T)[1]))
    run(lambda T: float(z(T)[1]))
    run(lambda T: int(z(T)[1]))
    run(lambda T: float(T.tensor(2 + 0j)))
    run(lambda T: bool(T.tensor(0j)))
    run(lambda T: z(T).numpy().dtype.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("float32", "float64", "int64", "bool", "float16"):
            run(lambda T: z(T).to(getattr(T, name)))


def test_complex_to_real_cast_warns_once_like_pytorch():
    from ember import _warnings

    _warnings._once.discard("complex to real")
    with pytest.warns(UserWarning, match="Casting complex values to real discards the "
                                         "imaginary part"):
        ember.tensor([1j]).float()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.tensor([1j]).double()  # (PyTorch's warning is TORCH_WARN_ONCE)


# -- views ---------------------------------------------------------------------------------

def test_real_imag_are_assignable_views():
    for T in (torch, ember):
        t = T.tensor([1 + 2j, 3 - 4j])
        t.real[0] = 10
        t.imag[1] = 7
        r = t.real
        r.mul_(2)
        t.imag = T.tensor([0.5, 0.25])
        assert t.tolist() == [(20 + 0.5j), (6 + 0.25j)]
    run(lambda T: T.ones(2).real)
    run(lambda T: T.ones(2).imag)
    run(lambda T: T.real(z(T)))
    run(lambda T: T.imag(z(T)))


def test_view_as_real_and_complex_share_memory():
    for T in (torch, ember):
        t = T.tensor([1 + 2j, 3 - 4j])
        r = T.view_as_real(t)
        r[1, 1] = 9
        assert t[1].item() == 3 + 9j
        c = T.view_as_complex(r)
        c[0] = 5j
        assert r.tolist() == [[0.0, 5.0], [3.0, 9.0]] and t[0].item() == 5j
    run(lambda T: T.view_as_real(z(T)[::2]))
    run(lambda T: T.view_as_complex(T.arange(8.).reshape(2, 2, 2).transpose(0, 1)))
    for bad in ("T.view_as_real(T.ones(2))", "T.view_as_complex(T.ones(2, 3))",
                "T.view_as_complex(T.ones(2, 2, dtype=T.long))",
                "T.view_as_complex(T.ones(2, 4)[:, ::2])", "T.view_as_complex(T.ones(2))",
                "T.view_as_complex(T.arange(8.).reshape(2, 4)[:, 1:3])",
                "T.view_as_complex(T.arange(9.)[1:].reshape(4, 2))",
                "T.view_as_complex(T.arange(10.)[2:].reshape(4, 2))"):
        run(lambda T: eval(bad))


def test_conj_family():
    run(lambda T: z(T).conj())
    run(lambda T: z(T).conj().is_conj())
    run(lambda T: z(T).conj().resolve_conj().is_conj())
    run(lambda T: z(T).conj_physical())
    run(lambda T: z(T).conj_physical().is_conj())
    run(lambda T: T.ones(2).conj())
    run(lambda T: T.conj(z(T)).is_conj())
    run(lambda T: z(T).reshape(3, 1).H)
    run(lambda T: z(T).reshape(1, 3, 1).mH)
    run(lambda T: z(T).conj().numpy())
    run(lambda T: z(T).conj().resolve_conj().numpy())
    run(lambda T: z(T).conj().numpy(force=True))


# -- math ----------------------------------------------------------------------------------

BINARY = ["a + b", "a - b", "a * b", "a / b", "a ** 2", "a ** b", "2 ** a", "a ** -1",
          "a + 1.5", "a * 2", "3 - a", "1 / a", "a + x", "x * a", "x / a", "a == b", "a != b",
          "a == a", "a.eq(1+2j)", "a ** 0.5", "T.add(a, b, alpha=2j)", "a - True",
          "T.tensor([1, 2, 3]) / 1j", "a * T.tensor([True, False, True])",
          "T.ones(3, dtype=T.float64) * a", "T.add(x, x, alpha=1j)", "T.where(a == a, a, 0.)",
          "T.lerp(a, b, 0.5)", "T.isclose(a, a + 1e-7)", "T.allclose(a, b)", "T.equal(a, a)",
          "T.dot(a, b)", "T.vdot(a, b)", "a @ b", "a.reshape(3, 1) @ b.reshape(1, 3)",
          "T.logaddexp(a, b)", "T.float_power(a, 2)", "T.float_power(x, b)", "T.sinc(a)",
          "a.var()", "a.std(0)", "a.norm()", "T.linalg.vector_norm(a, 3)",
          "a.reshape(1, 3) @ T.ones(3, 3)"]


@pytest.mark.parametrize("expr", BINARY)
def test_binary(expr):
    run(lambda T: eval(expr, {"T": T, "a": z(T), "b": z(T, W), "x": T.from_numpy(X.copy())}))


UNARY = ["abs", "angle", "sgn", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh",
         "sinh", "cosh", "asin", "atan", "reciprocal", "neg", "square", "sigmoid", "expm1",
         "log1p", "log2", "log10", "isnan", "isfinite", "isinf", "sum", "mean", "prod",
         "nonzero", "any", "all", "count_nonzero", "clone", "flip", "cumsum", "logsumexp"]


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_unary(name, dtype):
    args = (0,) if name in ("flip", "cumsum", "logsumexp") else ()
    run(lambda T: getattr(z(T, Z.astype(dtype)), name)(*args), rtol=3e-6)


def test_reductions_with_dims_and_dtypes():
    m = np.arange(12).reshape(3, 4) * (1 + 0.5j)
    run(lambda T: T.from_numpy(m).sum(0))
    run(lambda T: T.from_numpy(m).mean(1, keepdim=True))
    run(lambda T: T.from_numpy(m).prod(1))
    run(lambda T: T.ones(2).sum(dtype=T.cfloat))
    run(lambda T: z(T).mean(dtype=T.float32))
    run(lambda T: T.ones(2, dtype=T.long).mean(dtype=T.cfloat))


def test_real_tensor_angle_and_abs():
    run(lambda T: T.tensor([-1., 2., 0., float("nan")]).angle())
    run(lambda T: T.tensor([-1, 2]).angle())


def test_inplace():
    run(lambda T: z(T).add_(1.5))
    run(lambda T: z(T).mul_(z(T, W)))
    run(lambda T: z(T).exp_())
    run(lambda T: T.ones(2).add_(1j))
    run(lambda T: T.ones(2, dtype=T.long).mul_(T.tensor([1j, 1])))


REFUSED = ["a < b", "a < 1", "a <= b", "a > b", "a >= b", "a.max()", "a.max(0)", "a.min()",
           "a.amax()", "a.argmax()", "a.argmin()", "T.maximum(a, b)", "T.minimum(a, b)",
           "a.clamp(0, 1)", "a.clamp(min=0)", "a.clamp(max=b)", "a.floor()", "a.ceil()",
           "a.round()", "a.trunc()", "a.frac()", "a.relu()", "T.nn.functional.relu(a)",
           "a.sort()", "a.argsort()", "a.topk(1)", "a.sign()", "a % 2", "T.fmod(a, 2)",
           "a // 2", "a.median()", "a.kthvalue(1)", "T.atan2(a, b)", "a.erf()", "a & a",
           "a.unique()", "a.requires_grad_() if False else T.ones(2, dtype=T.long)"
           ".requires_grad_()", "T.ones(2, dtype=T.long, requires_grad=True)",
           "T.tensor(1j, requires_grad=True).backward()", "a.bitwise_not()", "a.nansum()",
           "a.nanmean()", "a.cummax(0)", "a.cummin(0)", "a.aminmax()", "a.heaviside(b)",
           "T.hypot(a, b)", "T.xlogy(a, b)", "a.digamma()", "a.lgamma()", "a.deg2rad()",
           "a.rad2deg()", "a.isposinf()", "a.isneginf()", "a.signbit()", "a.copysign(b)",
           "a.histc()", "T.bucketize(a, b)", "T.searchsorted(a, b)", "a.mode()", "a.logit()",
           "a.erfinv()", "T.bincount(a)"]


@pytest.mark.parametrize("expr", REFUSED)
def test_pytorch_refusals(expr):
    run(lambda T: eval(expr, {"T": T, "a": z(T), "b": z(T, W)}))


def test_testing_assert_close():
    for args in [(z(torch), z(torch)), (z(torch)[0], z(torch)[0] + 1e-3j),
                 (z(torch), z(torch).to(torch.complex128)), (1 + 2j, 1 + 2.0000001j),
                 (1 + 2j, 1 + 3j), (z(torch), z(torch, W))]:
        def f(T, args=args):
            conv = [ember.from_numpy(a.numpy().copy()) if T is ember and
                    isinstance(a, torch.Tensor) else a for a in args]
            T.testing.assert_close(*conv)
            return True
        run(f)
    nan = np.array([complex(np.nan, 1), 1j], dtype=np.complex64)
    run(lambda T: T.testing.assert_close(z(T, nan), z(T, nan), equal_nan=True) or True)


# -- printing ------------------------------------------------------------------------------

PRINTED = [
    "T.tensor([1+2j, 3.5-1j])", "T.tensor(1+2j)", "T.tensor([1+2j], dtype=T.complex128)",
    "T.tensor([1e-5+2j, 3e5-1j])", "T.tensor([0j, -0.0-0.0j, 1+0j])",
    "T.tensor([complex(float('nan'), float('inf')), complex(1, -float('inf'))])",
    "T.randn(40, 40, dtype=T.cfloat)", "T.randn(3, 4, dtype=T.cdouble, requires_grad=True)",
    "T.randn(3, dtype=T.cfloat, requires_grad=True) * 2", "T.zeros(0, dtype=T.cfloat)",
    "T.zeros(2, 0, dtype=T.cdouble)", "T.tensor([[1+1j, 2], [3, 4j]])",
    "T.tensor([123456.7+1e-3j, 2j])", "T.randn(2, 30, dtype=T.cfloat)",
    "T.full((2, 2), 1e10+1e-10j)", "T.tensor([0.1+1j, 100.25+10.5j])",
    "T.randn(2, 3, dtype=T.cfloat, requires_grad=True).abs()",
]


@pytest.mark.parametrize("expr", PRINTED)
def test_printing(expr):
    def text(T):
        T.manual_seed(3)
        return repr(eval(expr))
    assert text(ember) == text(torch)


def test_printing_options():
    def text(T):
        T.manual_seed(0)
        out = []
        T.set_printoptions(sci_mode=True)
        out.append(str(T.tensor([1 + 2j, 3 - 4j])))
        T.set_printoptions(precision=2, linewidth=40)
        out.append(str(T.randn(3, 5, dtype=T.cfloat)))
        T.set_printoptions(profile="default")
        return out
    assert text(ember) == text(torch)


# -- checkpoints ---------------------------------------------------------------------------

def test_save_load_both_directions():
    torch.manual_seed(0)
    tz, td = torch.randn(3, 4, dtype=torch.cfloat), torch.randn(5, dtype=torch.cdouble)
    for zipped in (True, False):
        buf = io.BytesIO()
        torch.save({"a": tz, "b": td, "c": tz[1:, ::2], "p": torch.nn.Parameter(td.clone())},
                   buf, _use_new_zipfile_serialization=zipped)
        got = ember.load(io.BytesIO(buf.getvalue()))
        assert got["a"].dtype is ember.complex64 and got["b"].dtype is ember.complex128
        assert np.array_equal(got["a"].numpy(), tz.numpy())
        assert np.array_equal(got["c"].numpy(), tz[1:, ::2].numpy())
        assert isinstance(got["p"], ember.nn.Parameter) and got["p"].requires_grad
        assert np.array_equal(got["p"].detach().numpy(), td.numpy())
        e = ember.tensor([[1 + 2j, 3 - 4j]])
        ed = ember.randn(3, dtype=ember.cdouble)
        buf = io.BytesIO()
        ember.save({"a": e, "b": ed, "v": e[0, 1:]}, buf, _use_new_zipfile_serialization=zipped)
        back = torch.load(io.BytesIO(buf.getvalue()))
        assert back["a"].dtype == torch.complex64 and back["a"].tolist() == e.tolist()
        assert np.array_equal(back["b"].numpy(), ed.numpy())
        assert back["v"].tolist() == [3 - 4j] and back["v"].storage_offset() == 1


def test_complex_storages():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (TypedStorage's deprecation warning)
        buf = io.BytesIO()
        torch.save(torch.tensor([1j, 2]).storage(), buf)
        s = ember.load(io.BytesIO(buf.getvalue()))
        assert s.dtype is ember.complex64 and s.tolist() == [1j, 2]
        buf = io.BytesIO()
        ember.save(ember.tensor([1j, 2], dtype=ember.cdouble).storage(), buf)
        back = torch.load(io.BytesIO(buf.getvalue()))
        assert back.dtype == torch.complex128 and back.tolist() == [1j, 2]
    assert ember.ComplexFloatStorage.__name__ == torch.ComplexFloatStorage.__name__


# -- autograd ------------------------------------------------------------------------------

def grads(fn, *arrays):
    """fn(T, *leaves) -> real scalar loss; the leaves' gradients in both libraries agree."""
    out = {}
    for T in (torch, ember):
        leaves = [T.from_numpy(a.copy()).requires_grad_() for a in arrays]
        fn(T, *leaves).backward()
        out[T] = [leaf.grad for leaf in leaves]
    for e, t in zip(out[ember], out[torch]):
        same(e, t, rtol=1e-5, atol=1e-5)


Z128 = Z.astype(np.complex128)
W128 = W.astype(np.complex128)
X64 = X.astype(np.float64)

GRADS = [
    "(a * b).abs().sum()", "(a / b).real.sum()", "(a * a).imag.sum()", "(a.conj() * b).abs().sum()",
    "a.abs().sum()", "a.angle().sum()", "(a.exp() * b).real.sum()", "a.log().imag.sum()",
    "a.sqrt().abs().sum()", "(a.sin() + a.cos()).real.sum()", "a.tanh().abs().sum()",
    "(a ** 3).real.sum()", "(a ** b).real.sum()", "a.reciprocal().imag.sum()",
    "T.view_as_real(a * b).pow(2).sum()", "a.sgn().real.sum() + a.sgn().imag.sum()",
    "(a.reshape(3, 1) @ b.reshape(1, 3)).abs().sum()", "(a.sum() * b.mean()).abs()",
    "T.view_as_complex(T.view_as_real(a) * 2).abs().sum()", "a.prod().real",
    "(a - 2 * b + 1j).abs().pow(2).sum()", "a.conj_physical().imag.sum()",
    "(a * b.conj()).sum().real", "(a.cumsum(0) * b).abs().sum()", "T.vdot(a, b).real",
    "T.logaddexp(a, b).abs().sum()", "a.var() + a.std()", "a.norm() + T.sinc(b).abs().sum()",
]


@pytest.mark.parametrize("expr", GRADS)
def test_gradients_complex_leaves(expr):
    grads(lambda T, a, b: eval(expr), Z128, W128)


REAL_TO_COMPLEX = [
    "T.complex(x, y).abs().sum()", "T.polar(x.abs() + 1, y).real.sum()",
    "(x * T.tensor([1j, 2, 1 - 1j], dtype=T.complex128)).abs().sum()",
    "(x.to(T.complex128) ** 2).imag.sum() + (x.to(T.complex128) * 1j).exp().real.sum()",
    "(T.complex(x, y) * T.complex(y, x)).angle().sum()",
]


@pytest.mark.parametrize("expr", REAL_TO_COMPLEX)
def test_gradients_real_leaves_through_complex(expr):
    grads(lambda T, x, y: eval(expr), X64, X64[::-1].copy())


def test_grad_fn_names_and_errors():
    for expr in ("a.real", "a.imag", "T.view_as_real(a)", "a.conj()", "a.abs()", "a.angle()",
                 "a.sgn()", "T.complex(x, x)", "T.polar(x, x)", "a * a", "a.sum()"):
        names = []
        for T in (torch, ember):
            ns = {"T": T, "a": T.from_numpy(Z.copy()).requires_grad_(),
                  "x": T.from_numpy(X.copy()).requires_grad_()}
            names.append(type(eval(expr, ns).grad_fn).__name__)
        assert names[0] == names[1], (expr, names)
    run(lambda T: T.from_numpy(Z.copy()).requires_grad_().sum().backward())


def test_complex_grad_accumulates_and_backward_with_gradient():
    for T in (torch, ember):
        a = T.tensor([1 + 1j, 2 - 1j], requires_grad=True)
        (a * a).backward(T.tensor([1 + 0j, 1j]))
        (a.abs().sum()).backward()
        if T is torch:
            want = a.grad
        else:
            same(a.grad, want, rtol=1e-6)


def _inplace_case(T, k):
    z = T.from_numpy(Z128.copy()).requires_grad_()
    y = z * (2 - 1j)
    if k == 0:
        y.real.mul_(3)
        loss = (y * y.conj()).real.sum() + y.imag.sum()
    elif k == 1:
        y[1] = 5j
        loss = y.abs().sum()
    elif k == 2:
        T.view_as_real(y)[:, 1].add_(1.0)
        loss = y.angle().sum()
    elif k == 3:
        y.mul_(1j)
        loss = y.exp().real.sum()
    else:
        y.imag.zero_()
        loss = y.abs().pow(2).sum()
    loss.backward()
    return z.grad


@pytest.mark.parametrize("k", range(5))
def test_gradients_through_inplace_writes_to_complex_views(k):
    same(_inplace_case(ember, k), _inplace_case(torch, k), rtol=1e-9, atol=1e-9)


def test_second_order_gradients():
    def f(T):
        a = T.from_numpy(Z128.copy()).requires_grad_()
        g, = T.autograd.grad((a * a).exp().abs().sum(), a, create_graph=True)
        (g.real * g.imag).sum().backward()
        return a.grad
    same(f(ember), f(torch), rtol=1e-9, atol=1e-9)
