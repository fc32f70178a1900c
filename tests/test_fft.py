"""``torch.fft`` against PyTorch: values, dtypes, ``n``/``s``/``dim``/``norm``, errors,
printing and gradients (real and complex leaves)."""
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

R = np.random.default_rng(0)
X1 = R.standard_normal(8)
X2 = R.standard_normal((4, 6))
X3 = R.standard_normal((2, 3, 5))
C1 = R.standard_normal(5) + 1j * R.standard_normal(5)
C2 = R.standard_normal((4, 5)) + 1j * R.standard_normal((4, 5))


def _np(x):
    return x.detach().numpy(force=True) if isinstance(x, torch.Tensor) else \
        x.detach().resolve_conj().numpy()


def same(e, t, rtol=1e-5, atol=1e-5):
    assert str(e.dtype) == str(t.dtype), (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape), (e.shape, t.shape)
    np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol)


def run(fn, **tol):
    try:
        want = fn(torch)
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc)) as info:
            fn(ember)
        assert str(info.value).split("\n")[0] == str(exc).split("\n")[0]
        return
    got = fn(ember)
    if isinstance(want, torch.Tensor):
        same(got, want, **tol)
    else:
        assert got == want


def arr(T, a, dtype=None):
    t = T.from_numpy(a.copy())
    return t if dtype is None else t.to(getattr(T, dtype))


CALLS = [
    ("fft", X1, {}), ("fft", X1, {"n": 5}), ("fft", X1, {"n": 11, "norm": "ortho"}),
    ("fft", C1, {"norm": "forward"}), ("fft", X2, {"dim": 0}), ("ifft", C1, {}),
    ("ifft", C2, {"n": 3, "dim": 0, "norm": "ortho"}), ("ifft", X1, {"norm": "forward"}),
    ("fft2", X2, {}), ("fft2", C2, {"s": (3, 7)}), ("ifft2", C2, {"norm": "ortho"}),
    ("fftn", X3, {}), ("fftn", X3, {"s": (4, -1)}), ("fftn", X3, {"dim": (0, 2)}),
    ("fftn", X3, {"dim": ()}), ("ifftn", C2, {"s": (2, 2), "dim": (1, 0)}),
    ("rfft", X1, {}), ("rfft", X1, {"n": 7}), ("rfft", X2, {"dim": 0, "norm": "forward"}),
    ("irfft", C1, {}), ("irfft", C1, {"n": 9}), ("irfft", C1, {"n": 4, "norm": "ortho"}),
    ("irfft", X1, {}), ("rfft2", X2, {}), ("rfft2", X3, {"s": (3, 4), "norm": "ortho"}),
    ("irfft2", C2, {}), ("irfft2", C2, {"s": (3, 5)}), ("rfftn", X3, {}),
    ("rfftn", X3, {"dim": (0, 1)}), ("irfftn", C2, {"norm": "forward"}),
    ("irfftn", C2, {"s": (-1, 7)}), ("hfft", C1, {}), ("hfft", C1, {"n": 5, "norm": "ortho"}),
    ("hfft", X1, {"norm": "forward"}), ("ihfft", X1, {}), ("ihfft", X1, {"n": 5}),
    ("ihfft", X2, {"dim": 0, "norm": "forward"}), ("hfft2", C2, {}),
    ("hfftn", C2, {"s": (3, 6), "norm": "ortho"}), ("ihfft2", X2, {}),
    ("ihfftn", X3, {"dim": (0, 2), "norm": "forward"}),
]


@pytest.mark.parametrize("name,a,kw", CALLS, ids=[f"{c[0]}{i}" for i, c in enumerate(CALLS)])
@pytest.mark.parametrize("dtype", [None, "float32"])
def test_transforms(name, a, kw, dtype):
    if dtype == "float32" and np.iscomplexobj(a):
        dtype = "complex64"
    tol = {"rtol": 1e-4, "atol": 1e-4} if dtype else {"rtol": 1e-10, "atol": 1e-10}
    run(lambda T: getattr(T.fft, name)(arr(T, a, dtype), **kw), **tol)


@pytest.mark.parametrize("name", ["fft", "rfft", "ihfft", "irfft", "hfft", "fftn"])
def test_integer_and_bool_input(name):
    run(lambda T: getattr(T.fft, name)(T.arange(6)))
    run(lambda T: getattr(T.fft, name)(T.ones(4, dtype=T.bool)))


ERRORS = [
    "T.fft.rfft(c)", "T.fft.ihfft(c)", "T.fft.fft(x, norm='bad')", "T.fft.fft(x, n=0)",
    "T.fft.fft(x, n=-1)", "T.fft.fft(x, dim=1)", "T.fft.fft(x.half())",
    "T.fft.fft(x.bfloat16())", "T.fft.irfft(c[:1])", "T.fft.hfft(c[:1])",
    "T.fft.fftn(x, s=(2, 3), dim=(0,))", "T.fft.fftn(x, s=(2, 3))", "T.fft.fft2(x)",
    "T.fft.fftn(x.reshape(2, 4), dim=(0, 0))", "T.fft.rfftn(x, dim=())",
    "T.fft.fft(T.tensor(1.))", "T.fft.fft(T.ones(0))", "T.fft.fftfreq(4, dtype=T.long)",
    "T.fft.fftfreq(4, dtype=T.cfloat)", "T.fft.fft(x, n=T.tensor(3))",
    "T.fft.irfft(c, n=1)",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_and_edge_cases(expr):
    run(lambda T: eval(expr, {"T": T, "x": arr(T, X1, "float32"),
                              "c": arr(T, C1, "complex64")}))


@pytest.mark.parametrize("expr", [
    "T.fft.fftfreq(5)", "T.fft.fftfreq(4, 0.1)", "T.fft.fftfreq(7, 0.3, dtype=T.float64)",
    "T.fft.rfftfreq(5, 2.0)", "T.fft.rfftfreq(8, 1 / 3)", "T.fft.fftfreq(4, requires_grad=True)",
    "T.fft.fftshift(T.arange(10).reshape(2, 5))", "T.fft.fftshift(T.arange(10).reshape(2, 5), "
    "dim=1)", "T.fft.ifftshift(T.arange(5))", "T.fft.ifftshift(T.arange(12).reshape(3, 4), "
    "dim=(0, -1))", "T.fft.fftshift(T.fft.fftfreq(6))",
])
def test_frequencies_and_shifts(expr):
    def f(T):
        r = eval(expr)
        return r
    t, e = f(torch), f(ember)
    assert str(e.dtype) == str(t.dtype) and e.requires_grad == t.requires_grad
    assert np.array_equal(_np(e), _np(t))  # (bit for bit)


def test_printing_matches():
    def text(T):
        x = T.tensor([0.5, -1.0, 2.0, 0.25, 3.0, -2.5])
        return [repr(T.fft.fft(x)), repr(T.fft.rfft(x, norm="ortho")), repr(T.fft.ihfft(x)),
                repr(T.fft.irfft(T.fft.rfft(x))), repr(T.fft.fft(x.double().requires_grad_())),
                repr(T.fft.hfft(x[:4].requires_grad_()))]
    assert text(ember) == text(torch)


def grads(fn, *arrays):
    out = {}
    for T in (torch, ember):
        leaves = [T.from_numpy(a.copy()).requires_grad_() for a in arrays]
        loss = fn(T, *leaves)
        loss.backward()
        out[T] = ([leaf.grad for leaf in leaves], type(loss.grad_fn).__name__)
    for e, t in zip(out[ember][0], out[torch][0]):
        same(e, t, rtol=1e-9, atol=1e-9)


GRADS = [
    ("T.fft.rfft(x).abs().sum()", X1), ("T.fft.rfft(x, n=5).abs().sum()", X1),
    ("T.fft.rfft(x, n=11, norm='ortho').real.sum()", X1),
    ("T.fft.fft(x).abs().pow(2).sum()", X1), ("T.fft.ifft(x, norm='forward').imag.sum()", X1),
    ("T.fft.irfft(T.fft.rfft(x) * T.fft.rfft(x)).pow(2).sum()", X1),
    ("T.fft.rfft2(x).abs().sum()", X2), ("T.fft.rfftn(x, s=(3, 4)).angle().sum()", X2),
    ("T.fft.ihfft(x).real.sum() + T.fft.ihfft(x).imag.sum()", X1),
    ("(T.fft.fftshift(T.fft.fft2(x)) * T.arange(24.).reshape(4, 6)).abs().sum()", X2),
    ("T.fft.hfft(T.fft.ihfft(x)).sin().sum()", X1),
    ("T.fft.ihfftn(x, s=(3, 5)).abs().sum()", X2),
    ("T.fft.hfft2(T.fft.ihfft2(x)).pow(2).sum()", X2),
]


@pytest.mark.parametrize("expr,a", GRADS, ids=[str(i) for i in range(len(GRADS))])
def test_gradients_real_input(expr, a):
    grads(lambda T, x: eval(expr), a)


CGRADS = [
    "T.fft.fft(z).abs().sum()", "T.fft.ifft(z, n=7, norm='ortho').real.sum()",
    "T.fft.fft(z, n=3).imag.sum()", "T.fft.irfft(z).pow(2).sum()",
    "T.fft.irfft(z, n=8).sin().sum()", "T.fft.irfft(z, n=9, norm='forward').sum()",
    "T.fft.hfft(z).pow(3).sum()", "T.fft.hfft(z, n=4, norm='ortho').abs().sum()",
    "T.fft.fft2(z.reshape(1, 5) * z.reshape(5, 1)).abs().sum()",
    "T.fft.irfftn(z.reshape(1, 5) * z.reshape(5, 1), s=(3, 6)).pow(2).sum()",
    "T.view_as_real(T.fft.fftn(z, norm='forward')).pow(2).sum()",
    "T.fft.ifft2(z.reshape(1, 5) * z.reshape(5, 1), s=(4, 3)).abs().sum()",
    "T.fft.irfft2(z.reshape(1, 5) * z.reshape(5, 1), norm='ortho').pow(2).sum()",
    "T.fft.ifftn(z.reshape(1, 5) * z.reshape(5, 1), dim=0).angle().sum()",
    "T.fft.hfftn(z.reshape(1, 5) * z.reshape(5, 1), s=(5, 6)).pow(2).sum()",
    "T.fft.fftshift(T.fft.ifftshift(z * z)).abs().sum()",
]


@pytest.mark.parametrize("expr", CGRADS)
def test_gradients_complex_input(expr):
    grads(lambda T, z: eval(expr), C1)


def test_grad_fn_names():
    for expr in ("T.fft.fft(z)", "T.fft.rfft(x)", "T.fft.irfft(z)", "T.fft.hfft(z)",
                 "T.fft.ihfft(x)", "T.fft.fftshift(z)", "T.fft.fftn(z)", "T.fft.irfftn(z)",
                 "T.fft.rfft(x, n=3)", "T.fft.fft(z, n=9)"):
        names = []
        for T in (torch, ember):
            ns = {"T": T, "z": T.from_numpy(C1.copy()).requires_grad_(),
                  "x": T.from_numpy(X1.copy()).requires_grad_()}
            names.append(type(eval(expr, ns).grad_fn).__name__)
        assert names[0] == names[1], (expr, names)


def test_out_argument():
    for T in (torch, ember):
        o = T.empty(5, dtype=T.complex128)
        r = T.fft.rfft(T.from_numpy(X1.copy()), out=o)
        assert r is o
        np.testing.assert_allclose(_np(o), np.fft.rfft(X1), atol=1e-12)


def test_torch_fft_under_ember_run(tmp_path):
    script = tmp_path / "s.py"
    script.write_text(textwrap.dedent("""
        import torch
        import torch.fft
        from torch.fft import rfft
        x = torch.arange(4.)
        print(torch.fft.fft(x), rfft(x).dtype, torch.fft.__name__)
        """))
    p = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(script)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "tensor([ 6.+0.j, -2.+2.j, -2.+0.j, -2.-2.j]) torch.complex64 ember.fft"]


# -- torch.stft / torch.istft -----------------------------------------------------------------

S1 = R.standard_normal(40)
S2 = R.standard_normal((3, 33))

STFT = [
    "T.stft(x, 8, window=w, return_complex=True)",
    "T.stft(x, 8, 3, window=w, return_complex=True, center=False, normalized=True)",
    "T.stft(x, 8, window=w, return_complex=True, onesided=False)",
    "T.stft(x, 8, win_length=6, window=T.hann_window(6, dtype=T.float64), return_complex=True)",
    "T.stft(x2, 16, 5, window=T.hann_window(16, dtype=T.float64), return_complex=True, "
    "pad_mode='constant')",
    "T.stft(x * (1+1j), 8, window=w)", "x.stft(8, window=w, return_complex=True)",
    "T.stft(x, 8, window=w)", "T.stft(x, 41, window=T.ones(41), return_complex=True, "
    "center=False)", "T.stft(x, 8, hop_length=0, window=w, return_complex=True)",
    "T.stft(x, 8, win_length=9, return_complex=True)",
    "T.stft(x, 8, win_length=6, window=w, return_complex=True)",
    "T.stft(x.reshape(2, 2, 10), 4, window=T.ones(4, dtype=T.float64), return_complex=True)",
    "T.stft(x * (1+1j), 8, window=w, onesided=True)",
    "T.istft(T.stft(x, 8, window=w, return_complex=True), 8, window=w)",
    "T.istft(T.stft(x, 8, window=w, return_complex=True), 8, window=w, length=30)",
    "T.istft(T.stft(x2, 8, window=w, return_complex=True), 8, window=w)",
    "T.istft(T.stft(x, 8, window=w, return_complex=True, onesided=False), 8, window=w, "
    "onesided=False)",
    "T.istft(T.stft(x, 8, 2, window=w, return_complex=True, center=False), 8, 2, "
    "window=T.ones(8, dtype=T.float64), center=False)",
    "T.istft(T.stft(x, 8, window=w, return_complex=True), 8, hop_length=8, window=w)",
    "T.istft(T.stft(x, 8, window=w, return_complex=True), 8, win_length=9, window=w)",
    "T.istft(T.stft(x, 8, window=w, return_complex=True), 10, window=T.ones(10))",
    "T.istft(T.view_as_real(T.stft(x, 8, window=w, return_complex=True)), 8, window=w)",
    "T.istft(T.stft(x, 8, window=w, return_complex=True, normalized=True), 8, window=w, "
    "normalized=True)",
    "T.istft(T.stft(x, 8, window=w, return_complex=True, onesided=False), 8, window=w, "
    "return_complex=True)",
    "T.stft(x, 8, window=w, return_complex=True).istft(8, window=w)",
]


@pytest.mark.parametrize("expr", STFT)
def test_stft_istft(expr):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the warnings: test_stft_warnings_and_gradients)
        run(lambda T: eval(expr, {"T": T, "x": T.from_numpy(S1.copy()),
                                  "x2": T.from_numpy(S2.copy()),
                                  "w": T.hann_window(8, dtype=T.float64)}),
            rtol=1e-10, atol=1e-10)


def test_stft_warnings_and_gradients():
    from ember import _warnings

    for key in ("stft window", "stft return_complex", "istft window", "istft length"):
        _warnings._once.discard(key)
    x = ember.from_numpy(S1.copy())
    with pytest.warns(UserWarning, match="A window was not provided. A rectangular window"):
        ember.stft(x, 8, return_complex=True)
    with pytest.warns(UserWarning, match="stft with return_complex=False is deprecated"):
        out = ember.stft(x, 8, window=ember.ones(8, dtype=ember.float64), return_complex=False)
    assert out.shape == (5, 21, 2) and out.dtype is ember.float64
    with pytest.warns(UserWarning, match="The length of signal is shorter than the length"):
        ember.istft(ember.stft(x, 8, window=ember.ones(8), return_complex=True), 8,
                    window=ember.ones(8), length=45)
    warnings.simplefilter("ignore")  # (PyTorch's own length warning, below)
    grads(lambda T, x: T.stft(x, 8, 3, window=T.hann_window(8, dtype=T.float64),
                              return_complex=True, normalized=True).abs().sum(), S1)
    grads(lambda T, x: T.istft(T.stft(x, 8, window=T.hann_window(8, dtype=T.float64),
                                      return_complex=True) * 1j, 8,
                               window=T.hann_window(8, dtype=T.float64), length=45)
          .pow(2).sum(), S1)


def test_fft_second_order_gradient():
    def f(T):
        x = T.from_numpy(np.array([1.0, 2.0, -0.5, 0.25])).requires_grad_()
        g, = T.autograd.grad(T.fft.rfft(x).abs().pow(3).sum(), x, create_graph=True)
        g.pow(2).sum().backward()
        return x.grad
    same(f(ember), f(torch), rtol=1e-10, atol=1e-10)
