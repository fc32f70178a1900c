"""Corners found by running user-style scripts on the surfaces ember gained lately (complex
tensors and their gradients, torch.fft windows, torch.linalg LU/tensorsolve/matrix_exp,
SummaryWriter, sdpa_kernel, ``ember run``) under both libraries: each case must behave as
PyTorch 2.13 does (or, for the tensorboard writer, as torch 2.14.1 with tensorboard 2.21
writes it: literal bytes captured there, since the test environment has no tensorboard)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def outcome(fn, lib):
    """What ``fn(lib)`` gives: ('ok', value) or (exception type name, message)."""
    try:
        return "ok", fn(lib)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__, str(e)


def same(fn):
    got, expected = outcome(fn, ember), outcome(fn, torch)
    assert got == expected


# -- gradcheck with complex inputs and outputs (Wirtinger calculus) --------------------------

GRADCHECK_CASES = {
    "c_to_c": (lambda T: (lambda t: (t * t.conj() + t).sum()), "c"),
    "abs": (lambda T: (lambda t: t.abs()), "c"),
    "times_2j": (lambda T: (lambda t: t * 2j), "c"),
    "polar": (lambda T: (lambda t: T.polar(t.abs() + 1, t)), "r"),
    "view_as_real": (lambda T: (lambda t: T.view_as_real(t)), "c"),
    "fft": (lambda T: (lambda t: T.fft.fft(t)), "c"),
    "rfft": (lambda T: (lambda t: T.fft.rfft(t)), "r"),
    "matrix_exp": (lambda T: (lambda t: T.linalg.matrix_exp(t.reshape(2, 2))), "c4"),
}


@pytest.mark.parametrize("case", sorted(GRADCHECK_CASES))
def test_gradcheck_complex(case):
    make, kind = GRADCHECK_CASES[case]

    def run(T):
        g = T.Generator().manual_seed(0)
        n = 4 if kind == "c4" else 3
        dt = T.float64 if kind == "r" else T.complex128
        x = T.randn(n, dtype=dt, generator=g).requires_grad_()
        return (T.autograd.gradcheck(make(T), (x,)),
                T.autograd.gradgradcheck(make(T), (x,)))
    assert run(ember) == run(torch) == (True, True)


def test_gradcheck_complex_reports_the_imaginary_part_first():
    def run(T):
        class Bad(T.autograd.Function):
            @staticmethod
            def forward(ctx, z):
                return z * z

            @staticmethod
            def backward(ctx, g):
                return g * 2

        x = T.randn(3, dtype=T.complex128, generator=T.Generator().manual_seed(0),
                    requires_grad=True)
        out = Bad.apply(x)
        try:
            T.autograd.gradcheck(Bad.apply, (x,))
        except RuntimeError as e:
            first = str(e).splitlines()[0]
        return (out.requires_grad, first,
                T.autograd.gradcheck(Bad.apply, (x,), raise_exception=False))
    assert run(ember) == run(torch)


# -- complex gradients: PyTorch's order of operations (the sign of a zero) ------------------

@pytest.mark.parametrize("case", ["mul3j_imag", "mul_real", "mul_tensor_real"])
def test_complex_mul_gradient_signed_zeros(case):
    fns = {"mul3j_imag": lambda T, z: (z * 3j).imag,
           "mul_real": lambda T, z: (z * z).real,
           "mul_tensor_real": lambda T, z: (z * T.tensor([2 - 1j, 1j])).real}

    def run(T):
        z = T.tensor([1 + 2j, -0.5 + 1j], requires_grad=True)
        fns[case](T, z).sum().backward()
        return str(z.grad), z.grad.real.signbit().tolist(), z.grad.imag.signbit().tolist()
    assert run(ember) == run(torch)


# -- broadcast errors: no NumPy error chained underneath ---------------------------------------

def test_broadcast_error_has_no_chained_numpy_error():
    def run(T):
        try:
            T.ones(3) + T.ones(4)
        except RuntimeError as e:
            return str(e), e.__cause__, e.__suppress_context__ or e.__context__ is None
    assert run(ember) == run(torch)


# -- torch.linalg ---------------------------------------------------------------------------

TENSORSOLVE_SHAPES = [((2, 3, 6, 2, 3), (2, 3, 6)), ((2, 3, 2, 3), (3, 2)),
                      ((2, 3, 2, 3), (6,)), ((2, 3, 2, 3), (2, 3, 1)), ((2, 3, 2, 3), (7,))]


@pytest.mark.parametrize("shapes", TENSORSOLVE_SHAPES)
def test_tensorsolve_shapes_and_message(shapes):
    def run(T):
        g = T.Generator().manual_seed(0)
        a = T.randn(*shapes[0], dtype=T.float64, generator=g)
        b = T.randn(*shapes[1], dtype=T.float64, generator=g)
        return tuple(T.linalg.tensorsolve(a, b).shape)
    same(run)


@pytest.mark.parametrize("fn", ["lu_factor", "lu_factor_ex", "lu_factor_batch"])
def test_lu_factor_singular_is_a_runtime_error(fn):
    def run(T):
        if fn == "lu_factor":
            T.linalg.lu_factor(T.zeros(2, 2))
        elif fn == "lu_factor_ex":
            T.linalg.lu_factor_ex(T.zeros(2, 2), check_errors=True)
        else:
            T.linalg.lu_factor(T.zeros(3, 2, 2))
    got, expected = outcome(run, ember), outcome(run, torch)
    assert got == expected and got[0] == "RuntimeError"


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_matrix_exp_complex(dtype):
    def run(T):
        a = T.tensor([[1j, 0.5], [0.25, -1j]], dtype=getattr(T, dtype))
        return T.linalg.matrix_exp(a).numpy(), T.matrix_exp(a).dtype
    (got, gdt), (exp, edt) = run(ember), run(torch)
    assert str(gdt) == str(edt)
    np.testing.assert_allclose(got, exp, rtol=1e-6 if dtype == "complex64" else 1e-13)


# -- window functions: PyTorch's order of operations --------------------------------------

@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window",
                                  "bartlett_window"])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_float64_bit_for_bit(name, periodic):
    for n in range(0, 40):
        got = getattr(ember, name)(n, periodic=periodic, dtype=ember.float64).numpy()
        exp = getattr(torch, name)(n, periodic=periodic, dtype=torch.float64).numpy()
        assert np.array_equal(got, exp), n


def test_windows_float32_print():
    def run(T):
        return (str(T.blackman_window(4)), str(T.bartlett_window(7)),
                str(T.hamming_window(6, False, 0.6, 0.3)), str(T.hann_window(5)))
    assert run(ember) == run(torch)


# -- torch.nn.attention ------------------------------------------------------------------------

def test_sdp_backend_converts_to_int():
    def run(T):
        B = T.nn.attention.SDPBackend
        return [int(B.MATH), int(B.FLASH_ATTENTION), B.EFFICIENT_ATTENTION.value,
                B.MATH.name, repr(B.CUDNN_ATTENTION)]
    assert run(ember) == run(torch)


# -- SummaryWriter: audio, custom scalars, the scalar-shape message ----------------------------
# The expected bytes were printed under /tmp/tvenv (torch 2.14.1, tensorboard 2.21) by
# ``torch.utils.tensorboard.summary.audio(...)`` / ``custom_scalars(...)`` followed by
# ``.SerializeToString()``, and the message by ``summary.scalar('x', torch.ones(2))``.

AUDIO_BYTES = (b'\nQ\n\x03aud2J\r\x00\x00\xfaE\x10\x01\x18\x04"4RIFF,\x00\x00\x00WAVEfmt '
               b'\x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>\x00\x00\x02\x00\x10\x00'
               b'data\x08\x00\x00\x00\x00\x00\xff?\x01\xe0\xff\x7f*\taudio/wav')
CUSTOM_SCALARS_BYTES = (
    b"\n\x89\x01\n\x18custom_scalars__config__BY\x08\x07\x12\x00BS\x12(\n\x06Taiwan\x12\x1e"
    b"\n\x04twse\x12\x16\n\ttwse/0050\n\ttwse/2330\x12'\n\x03USA\x12 \n\x03dow\x1a\x19\n\x17"
    b"\n\x05dow/a\x12\x06dow/lo\x1a\x06dow/hiJ\x12\n\x10\n\x0ecustom_scalars")


def test_tensorboard_audio_bytes():
    from ember.utils.tensorboard import _summary as S
    assert S.audio("aud", ember.tensor([0.0, 0.5, -0.25, 1.0]), 8000) == AUDIO_BYTES


def test_tensorboard_custom_scalars_bytes():
    from ember.utils.tensorboard import _summary as S
    layout = {"Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
              "USA": {"dow": ["Margin", ["dow/a", "dow/lo", "dow/hi"]]}}
    assert S.custom_scalars(layout) == CUSTOM_SCALARS_BYTES


def test_tensorboard_writer_audio_and_custom_scalars(tmp_path, capsys):
    from ember.utils.tensorboard import SummaryWriter
    from ember.utils.tensorboard import _summary as S
    with SummaryWriter(str(tmp_path)) as w:
        w.add_audio("aud", ember.tensor([0.0, 0.5, -0.25, 1.0]), 0, sample_rate=8000)
        w.add_audio("loud", ember.tensor([0.5, -2.0]), 1)
        w.add_custom_scalars_multilinechart(["a", "b"])
        w.add_custom_scalars_marginchart(["a", "b", "c"], category="c", title="t")
        with pytest.raises(AssertionError, match="Expected 3 tags, got 1."):
            w.add_custom_scalars_marginchart(["a"])
        with pytest.raises(AssertionError, match=r"len\(tags\) != 3"):
            w.add_custom_scalars({"x": {"y": ["Margin", ["a"]]}})
    assert capsys.readouterr().out == "warning: audio amplitude out of range, auto clipped.\n"
    with pytest.raises(AssertionError) as info:
        S.scalar("x", ember.ones(2))
    assert str(info.value) == ("Tensor should contain one element (0 dimensions).        "
                               "     Was given size: 2 and 1 dimensions.")


# -- ember run: Python's "Did you mean" hint for a missing attribute --------------------------

def test_run_shows_attribute_suggestions(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import torch.nn as nn
        m = nn.Sequential(nn.Linear(2, 2))
        m.add_module("blk-1", nn.ReLU())
        m.blk_1
        """))
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    p = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(script)],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert lines[-1] == ("AttributeError: 'Sequential' object has no attribute 'blk_1'. "
                         "Did you mean: 'blk-1'?")
    assert "script.py" in lines[lines.index("Traceback (most recent call last):") + 1]


# -- complex matrices: adjoint, torch.linalg ---------------------------------------------------

def test_adjoint_conjugates_complex():
    def run(T):
        a = T.tensor([[1 + 2j, 3 - 1j], [0.5j, 2]])
        return str(a.adjoint()), str(T.adjoint(a)), str(a.mH), str(T.ones(2, 3).adjoint().shape)
    assert run(ember) == run(torch)


@pytest.mark.parametrize("fn", ["det", "inv", "solve", "svdvals", "matrix_norm", "cond",
                                "solve_triangular", "vecdot"])
def test_linalg_complex_values_and_gradients(fn):
    def run(T):
        g = T.Generator().manual_seed(0)
        a = T.randn(3, 3, dtype=T.complex128, generator=g).requires_grad_()
        b = T.randn(3, 1, dtype=T.complex128, generator=g)
        f = getattr(T.linalg, fn)
        if fn == "solve":
            r = f(a, b)
        elif fn == "solve_triangular":
            r = f(T.triu(a) + 3 * T.eye(3), b, upper=True)
        elif fn == "vecdot":
            r = f(a, a.flip(0))
        else:
            r = f(a)
        loss = (r * r.conj()).real.sum() + (r.imag.sum() if r.is_complex() else r.sum())
        loss.backward()
        return np.asarray(r.detach().numpy()), np.asarray(a.grad.numpy())
    for got, exp in zip(run(ember), run(torch)):
        np.testing.assert_allclose(got, exp, rtol=1e-10, atol=1e-12)


def test_linalg_complex_unsupported_is_refused():
    # (ember's Bunch-Kaufman LDL is written for real matrices: an honest refusal, not numbers)
    a = ember.eye(2, dtype=ember.complex64)
    for f in (ember.linalg.ldl_factor, ember.linalg.ldl_factor_ex):
        with pytest.raises(NotImplementedError, match="complex tensors is not supported"):
            f(a)


# -- LBFGS on complex parameters (PyTorch views them as real pairs) -------------------------

@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_lbfgs_complex_parameters(line_search):
    def run(T):
        g = T.Generator().manual_seed(0)
        w = T.randn(3, dtype=T.complex128, generator=g).requires_grad_()
        x = T.randn(5, 3, dtype=T.complex128, generator=g)
        y = T.randn(5, dtype=T.complex128, generator=g)
        opt = T.optim.LBFGS([w], line_search_fn=line_search)

        def closure():
            opt.zero_grad()
            loss = (x @ w - y).abs().pow(2).mean()
            loss.backward()
            return loss
        losses = [opt.step(closure).item() for _ in range(3)]
        return losses, w.detach().numpy()
    (gl, gw), (el, ew) = run(ember), run(torch)
    np.testing.assert_allclose(gl, el, rtol=1e-10)
    np.testing.assert_allclose(gw, ew, rtol=1e-8, atol=1e-10)


# -- random kernels refuse complex tensors with PyTorch's errors -------------------------------

RANDOM_REFUSALS = {
    "dropout": lambda T, dt: T.nn.functional.dropout(T.ones(4, dtype=dt), 0.5),
    "bernoulli_": lambda T, dt: T.ones(2, dtype=dt).bernoulli_(0.5),
    "bernoulli": lambda T, dt: T.bernoulli(T.ones(2, dtype=dt)),
    "exponential_": lambda T, dt: T.ones(2, dtype=dt).exponential_(),
    "random_": lambda T, dt: T.ones(2, dtype=dt).random_(),
    "random_from_to": lambda T, dt: T.ones(2, dtype=dt).random_(0, 3),
    "geometric_": lambda T, dt: T.ones(2, dtype=dt).geometric_(0.5),
    "cauchy_": lambda T, dt: T.ones(2, dtype=dt).cauchy_(),
    "log_normal_": lambda T, dt: T.ones(2, dtype=dt).log_normal_(),
    "randperm": lambda T, dt: T.randperm(3, dtype=dt),
}


@pytest.mark.parametrize("case", sorted(RANDOM_REFUSALS))
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_random_kernels_refuse_complex(case, dtype):
    same(lambda T: RANDOM_REFUSALS[case](T, getattr(T, dtype)))


# -- stft/istft argument errors name the functions ---------------------------------------------

def test_stft_istft_argument_errors():
    def run(T):
        x = T.ones(100)
        s = T.stft(x, 16, window=T.hann_window(16), return_complex=True)
        out = []
        for f in (lambda: T.stft(x, 16, bad=1), lambda: T.istft(s, 16, pad_mode="constant")):
            try:
                f()
            except TypeError as e:
                out.append(str(e))
        return out
    assert run(ember) == run(torch)


# -- torchvision v2: uint8 bilinear resize in uint8 on AVX2 and AVX512 machines ----------------
# Expected values printed under /tmp/tvenv (torchvision 0.29.1, CPU capability AVX512) by
# ``v2.functional.resized_crop`` / ``resize`` on ``torch.manual_seed(0); torch.randint(0, 256,
# (3, 16, 16), dtype=torch.uint8)`` (ember draws the same image).

def test_v2_resize_uint8_bilinear_is_native():
    from ember._random import cpu_capability
    from ember.vision.transforms.v2 import functional as F2

    if cpu_capability() not in ("avx2", "avx512"):
        pytest.skip("torchvision resizes uint8 natively only on AVX2/AVX512 (or ARM64)")
    ember.manual_seed(0)
    img = ember.randint(0, 256, (3, 16, 16), dtype=ember.uint8)
    out = F2.resized_crop(img, 1, 2, 13, 11, [8, 8], antialias=True)
    assert out[0].tolist()[0] == [154, 219, 105, 143, 122, 109, 141, 127]
    assert out[0].tolist()[-1] == [102, 137, 126, 136, 152, 79, 109, 94]
    assert F2.resize(img, [5, 7], antialias=True).sum().item() == 12996


# -- complex gradients: node names and PyTorch's +0 imaginary parts --------------------------

Z = [1 + 2j, -0.5 + 0.3j, 0.7 - 1.1j]
W = [0.3 - 0.4j, 1.2 + 0.1j, -0.9 + 2j]
CGRAD_CASES = {
    "vdot": lambda T, z, w: T.vdot(z, w),
    "var": lambda T, z, w: z.var(),
    "std": lambda T, z, w: z.std(),
    "var_biased": lambda T, z, w: z.var(unbiased=False),
    "std_dim": lambda T, z, w: T.stack([z, w]).std(0, unbiased=False),
    "where": lambda T, z, w: T.where(z.real > 0, z, w),
    "slice": lambda T, z, w: z[:1],
    "index": lambda T, z, w: z[[0, 2]],
    "select": lambda T, z, w: z[1],
    "masked_fill": lambda T, z, w: z.masked_fill(T.tensor([True, False, False]), 0),
    "narrow": lambda T, z, w: z.narrow(0, 1, 1),
    "gather": lambda T, z, w: z.gather(0, T.tensor([1])),
    "take": lambda T, z, w: z.take(T.tensor([0])),
    "index_select": lambda T, z, w: z.index_select(0, T.tensor([2])),
}


@pytest.mark.parametrize("case", sorted(CGRAD_CASES))
def test_complex_gradients_print_as_pytorch(case):
    def run(T):
        z = T.tensor(Z, dtype=T.complex128, requires_grad=True)
        w = T.tensor(W, dtype=T.complex128, requires_grad=True)
        out = CGRAD_CASES[case](T, z, w)
        loss = (out * out.conj()).real.sum() + out.imag.sum() * 0.7 if out.is_complex() \
            else out.sum()
        loss.backward()
        return type(out.grad_fn).__name__, str(z.grad), str(w.grad)
    assert run(ember) == run(torch)


# -- torch.gradient / torch.histogramdd argument checks ----------------------------------------

GRADIENT_SPACINGS = [dict(spacing=[1.0]), dict(spacing=[2.0], dim=(0, 1)),
                     dict(spacing=[2.0, 3.0], dim=0), dict(spacing=(2.0,), dim=0),
                     dict(spacing=[2.0, 3.0, 4.0]), dict(spacing=[2, 3])]


@pytest.mark.parametrize("kw", GRADIENT_SPACINGS, ids=str)
def test_gradient_spacing_lists(kw):
    def run(T):
        m = T.arange(20, dtype=T.float64).reshape(4, 5) ** 2
        return [r.tolist() for r in T.gradient(m, **kw)]
    same(run)


HISTOGRAMDD_CASES = {
    "empty": lambda T: T.histogramdd(T.zeros(0, 3), bins=[1, 2, 3]),
    "empty_range": lambda T: T.histogramdd(T.zeros(0, 1), bins=2, range=[2., 3.]),
    "one_point": lambda T: T.histogramdd(T.tensor([[0.5, 0.5]]), bins=2),
    "1d": lambda T: T.histogramdd(T.ones(3), bins=2),
    "long": lambda T: T.histogramdd(T.ones(3, 2, dtype=T.int64), bins=[2, 2, 2]),
    "long_range": lambda T: T.histogramdd(T.ones(3, 2, dtype=T.int64), bins=2, range=[0., 1.]),
    "half": lambda T: T.histogramdd(T.ones(3, 2, dtype=T.float16), bins=2),
    "bins_len": lambda T: T.histogramdd(T.ones(3, 3), bins=[2, 2]),
    "weight_dtype": lambda T: T.histogramdd(T.ones(3, 2, dtype=T.float64), bins=2,
                                            weight=T.ones(3)),
    "weight_half": lambda T: T.histogramdd(T.ones(3, 2), bins=2,
                                           weight=T.ones(3, dtype=T.float16)),
    "weight_shape": lambda T: T.histogramdd(T.ones(3, 2), bins=2, weight=T.ones(4)),
    "range_len": lambda T: T.histogramdd(T.ones(3, 2), bins=[2, 2], range=[0., 1.]),
    "range_order": lambda T: T.histogramdd(T.ones(3, 2), bins=[2, 2], range=[1., 0., 0., 1.]),
    "bins_negative": lambda T: T.histogramdd(T.ones(3, 2), bins=-1),
}


@pytest.mark.parametrize("case", sorted(HISTOGRAMDD_CASES))
def test_histogramdd_edges_and_errors(case):
    def run(T):
        h = HISTOGRAMDD_CASES[case](T)
        return h.hist.tolist(), [e.tolist() for e in h.bin_edges]
    same(run)


# -- round's two overloads; incomplete-gamma derivative message --------------------------------

ROUND_CASES = {
    "plain": lambda T, x: T.round(x),
    "decimals0": lambda T, x: T.round(x, decimals=0),
    "decimals2": lambda T, x: T.round(x, decimals=2),
    "method0": lambda T, x: x.round(decimals=0),
    "special": lambda T, x: T.special.round(x),
    "int": lambda T, x: T.round(T.arange(3)),
    "int_decimals0": lambda T, x: T.round(T.arange(3), decimals=0),
    "special_int": lambda T, x: T.special.round(T.arange(3)),
    "inplace_int0": lambda T, x: T.arange(3).round_(decimals=0),
    "half0": lambda T, x: T.round(T.tensor([2.5], dtype=T.float16), decimals=0),
}


@pytest.mark.parametrize("case", sorted(ROUND_CASES))
def test_round_overloads(case):
    def run(T):
        x = T.tensor([2.5, 0.5, -1.5, 1.234], requires_grad=True)
        r = ROUND_CASES[case](T, x)
        return str(r), type(r.grad_fn).__name__ if r.grad_fn is not None else None
    same(run)


@pytest.mark.parametrize("fn", ["igamma", "igammac", "special.gammainc", "special.gammaincc"])
def test_incomplete_gamma_input_derivative_message(fn):
    def run(T):
        x = T.ones(2, requires_grad=True)
        f = getattr(T.special, fn[8:]) if fn.startswith("special.") else getattr(T, fn)
        f(x, x).sum().backward()
    same(run)


# -- a complex gradient never carries the conjugate bit ----------------------------------------

CONJ_BIT_CASES = {
    "conj": lambda T, z, a: z.conj().sum().real,
    "exp": lambda T, z, a: z.exp().abs().sum(),
    "inv": lambda T, z, a: T.linalg.inv(a).abs().sum(),
    "vdot": lambda T, z, a: T.vdot(z, z).real,
    "fft": lambda T, z, a: T.fft.fft(z).abs().sum(),
}


@pytest.mark.parametrize("case", sorted(CONJ_BIT_CASES))
def test_complex_gradient_has_no_conjugate_bit(case):
    def run(T):
        z = T.tensor([1 + 2j, 3 - 1j], requires_grad=True)
        a = T.tensor([[1 + 1j, 2], [0.5j, -1]], dtype=T.complex128, requires_grad=True)
        CONJ_BIT_CASES[case](T, z, a).backward()
        g = z.grad if z.grad is not None else a.grad
        return g.is_conj(), str(g), np.round(g.numpy(), 10).tolist()
    assert run(ember) == run(torch)


def test_tensorboard_image_format_message():
    # (message printed under /tmp/tvenv by ``SummaryWriter.add_image('x', torch.rand(2, 3, 4,
    # 4))``: PyTorch's continued source line leaves eight spaces in it)
    from ember.utils.tensorboard import _summary as S
    with pytest.raises(AssertionError) as info:
        S.image("x", ember.rand(2, 3, 4, 4), "CHW")
    assert str(info.value) == ("size of input tensor and input format are different.         "
                               "tensor shape: (2, 3, 4, 4), input_format: CHW")
