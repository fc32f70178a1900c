"""Corners found by running PyTorch's beginner tutorials and recipes (60 minute blitz, "What
is torch.nn really?", "Learning PyTorch with Examples", the state_dict / checkpoint recipes,
the autograd mechanics notes, "Extending PyTorch", module hooks, torchvision's transforms)
on both libraries, and under ``ember run``: each case must give the same outcome (values,
dtypes, printed text, warnings, exception type and message)."""
import math
import re

import numpy as np
import pytest

import ember
from diff import measured_cpu

torch = pytest.importorskip("torch")


def _outcome(fn, lib):
    """What ``fn(lib)`` gives, as text: its result, or its exception's type and message
    (object addresses blanked, library names unified)."""
    try:
        out = fn(lib)
    except Exception as exc:  # the error is the behaviour compared
        out = f"{type(exc).__name__}: {exc}"
    text = re.sub(r"0x[0-9a-f]+", "0x?", str(out))
    return text.replace("ember", "torch")


def _same(fn):
    assert _outcome(fn, ember) == _outcome(fn, torch)


# -- custom autograd.Function: what backward may return ---------------------------------------

def _function_returning(T, value, position):
    class Odd(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return (value, None) if position == 0 else (None, value)

    x = T.ones(2, requires_grad=True)
    Odd.apply(x, 3).sum().backward()
    return x.grad


@pytest.mark.parametrize("value", [5, 2.0, [1.0, 2.0], "x", np.ones(2), (1,)],
                         ids=["int", "float", "list", "str", "ndarray", "tuple"])
@pytest.mark.parametrize("position", [0, 1])
def test_function_backward_non_tensor_gradient(value, position):
    # a number, list or array is refused; any gradient for a non-tensor input is refused
    _same(lambda T: _function_returning(T, value, position))


def test_function_backward_tensor_for_non_tensor_input():
    _same(lambda T: _function_returning(T, T.ones(2), 1))


def test_function_backward_valid_gradients_still_work():
    _same(lambda T: _function_returning(T, T.full((2,), 4.0), 0))


# -- grad_fn._raw_saved_<name>.register_hooks (autograd mechanics notes) ------------------------

def _raw_saved_hooks(T):
    log = []
    x = T.tensor([1.5, -2.0, 0.25], requires_grad=True)
    y = x.pow(2)
    raw = y.grad_fn._raw_saved_self
    log.append(type(raw).__name__)
    log.append(repr(raw))

    def pack(t):
        log.append(("pack", t.tolist(), t.requires_grad, t.grad_fn is None))
        return t * 4

    def unpack(t):
        log.append(("unpack", t.tolist(), t.requires_grad))
        return t / 4

    raw.register_hooks(pack, unpack)
    s = y.grad_fn._saved_self
    log.append((s.tolist(), s.requires_grad, s.grad_fn is None))
    y.sum().backward()
    log.append(x.grad.tolist())
    for again in (lambda: raw.register_hooks(pack, unpack),
                  lambda: y.grad_fn._raw_saved_self.register_hooks(1, 2)):
        try:
            again()
        except Exception as exc:
            log.append(f"{type(exc).__name__}: {exc}")
    z = x.exp()  # a saved output: what unpack gives back has the node as its grad_fn
    z.grad_fn._raw_saved_result.register_hooks(lambda t: t.tolist(), T.tensor)
    r = z.grad_fn._saved_result
    log.append((r.requires_grad, r.grad_fn is z.grad_fn))
    z.sum().backward()
    log.append([round(v, 5) for v in x.grad.tolist()])
    w = (x * 2).sin()  # hooks on a non-leaf input
    hooked = w.grad_fn._raw_saved_self
    hooked.register_hooks(lambda t: t, lambda t: t.clone())
    log.append(type(w.grad_fn._saved_self.grad_fn).__name__)
    try:
        log.append(y.grad_fn._raw_saved_foo)
    except AttributeError as exc:
        log.append(str(exc))
    return log


def test_raw_saved_tensor_hooks():
    _same(_raw_saved_hooks)


def test_raw_saved_tensor_after_backward_and_double_set():
    def fn(T):
        out = []
        x = T.ones(3, requires_grad=True)
        y = x.sin()
        y.sum().backward()
        for act in (lambda: y.grad_fn._raw_saved_self.register_hooks(abs, abs),
                    lambda: y.grad_fn._saved_self):
            try:
                act()
            except RuntimeError as exc:
                out.append(str(exc))
        y = x.sin()
        y.grad_fn._raw_saved_self.register_hooks(lambda t: None, lambda t: T.zeros(3))
        y.sum().backward()  # the unpack hook's value is what backward uses
        out.append(x.grad.tolist())
        return out
    _same(fn)


# -- NumPy scalars and arrays beside tensors ------------------------------------------------------

NUMPY_EXPRS = [
    "np.bool_(True) - t", "t - np.bool_(True)", "t.sub(np.bool_(True))", "b + np.bool_(True)",
    "b - np.bool_(True)", "T.tensor(2) * np.bool_(True)", "True - t",
    "t + a", "a + t", "a - t", "t - a", "a * t", "t * a", "a / t", "t / a", "ai / ti",
    "ti / ai", "a // t", "t % a", "a ** t", "t ** a", "ti ** ai", "t @ a", "a @ t",
    "t + a0", "a0 * t", "t < a", "a >= t", "t == a", "a == t", "t != a", "a != t",
    "ti & ai", "t | a", "ti << ai", "tg + a", "a / tg",
]


def _numpy_expr(T, expr):
    names = {"T": T, "np": np, "t": T.tensor([1.0, 2.0]), "ti": T.tensor([1, 2]),
             "b": T.tensor([True, False]), "tg": T.ones(2, requires_grad=True),
             "a": np.array([2.0, 4.0]), "ai": np.array([3, 1]), "a0": np.array(2.0)}
    r = eval(expr, {}, names)
    if isinstance(r, T.Tensor):
        return r.dtype, r.tolist(), r.requires_grad
    return type(r).__name__, r


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("expr", NUMPY_EXPRS)
def test_numpy_operands(expr):
    # PyTorch's operators refuse NumPy arrays (NumPy computes, or nobody does) and take a
    # NumPy bool as a float
    _same(lambda T: _numpy_expr(T, expr))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "**="])
def test_numpy_operand_in_place(op):
    def fn(T):
        t = T.ones(2)
        t0 = t
        exec(f"t {op} a", {}, loc := {"t": t, "a": np.full(2, 2.0)})
        t = loc["t"]
        return t.dtype, t.tolist(), t is t0
    _same(fn)


# -- float32 pow ("Learning PyTorch with Examples": ``x.unsqueeze(-1).pow(p)``) ---------------

def test_float32_pow_with_tensor_exponent_bits():
    # the polynomial features of the nn section: every value as PyTorch gives it
    def fn(T):
        x = T.linspace(-math.pi, math.pi, 2000)  # the tutorial's own inputs
        return x.unsqueeze(-1).pow(T.tensor([1, 2, 3])).numpy()
    np.testing.assert_array_equal(fn(ember), fn(torch))


def test_float32_pow_scalar_exponent_mostly_exact():
    # PyTorch's float32 pow is within one ulp of the true value; ember rounds the float64
    # power once, which agrees on all but a few values (NumPy's float32 power on ~1 in 9)
    def fn(T):
        x = T.linspace(-3.0, 3.0, 2000)
        return np.stack([(x ** 4).numpy(), x.pow(T.tensor(3.5)).numpy(),
                         x.pow(T.full((2000,), 2.0)).numpy()])
    e, t = fn(ember), fn(torch)
    np.testing.assert_allclose(e, t, rtol=2.5e-7, atol=0, equal_nan=True)
    assert ((e != t) & ~(np.isnan(e) & np.isnan(t))).sum() < 150  # NumPy's float32: ~700


# -- ``ember run``: the script compiled as Python would; torch.nn.common_types ------------------

SCRIPT = """
import dataclasses, typing
import torch
from torch import nn
from torch.nn.common_types import _size_2_t, _size_2_opt_t, _ratio_any_t

@dataclasses.dataclass
class Config:
    lr: float = 0.1
    kernel: _size_2_t = 3

class Block(nn.Module):
    def __init__(self, c: int, k: _size_2_t = 3, out: _size_2_opt_t = None) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, k)

print([f.type for f in dataclasses.fields(Config)])
print(Block.__init__.__annotations__)
print(typing.get_args(_size_2_opt_t), _ratio_any_t)
"""


def test_run_script_annotations_and_common_types(tmp_path):
    import os
    import subprocess
    import sys

    import contextlib
    import io

    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    ours = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(script)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert ours.returncode == 0, ours.stderr
    theirs = io.StringIO()  # the script on PyTorch, as ``python script.py`` compiles it
    with contextlib.redirect_stdout(theirs):
        exec(compile(SCRIPT, str(script), "exec", dont_inherit=True), {"__name__": "__main__"})
    assert ours.stdout == theirs.getvalue()  # annotations are objects, not strings


# -- anomaly mode: a failing backward names its node and where its forward ran ----------------

def _exp_then_in_place(w):
    z = w.exp()  # the forward call the anomaly report points at
    z.mul_(2)
    return z


def _anomaly_report(T, forward_in_anomaly):
    import warnings

    w = T.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with T.autograd.set_detect_anomaly(True):
            if forward_in_anomaly:
                z = _exp_then_in_place(w)
        if not forward_in_anomaly:
            z = _exp_then_in_place(w)
        with T.autograd.set_detect_anomaly(True):
            try:
                z.sum().backward()
            except RuntimeError as exc:
                error = str(exc)
    reports = [str(c.message) for c in caught if "Error detected" in str(c.message)]
    assert len(reports) == 1
    lines = reports[0].split(" (Triggered internally")[0].rstrip().splitlines()
    return error, lines[0], [line.strip() for line in lines[-2:]] if forward_in_anomaly \
        else len(lines)


@pytest.mark.parametrize("forward_in_anomaly", [True, False])
def test_anomaly_mode_reports_forward_trace(forward_in_anomaly):
    # the trace ends at this file's forward line; the in-place hint changes with the mode
    e, t = (_anomaly_report(T, forward_in_anomaly) for T in (ember, torch))
    assert e == t


# -- torchvision's RandomPerspective / F.perspective ("Illustration of transforms") -----------

def _image(c=3, h=24, w=30, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (c, h, w)).astype(np.uint8)


def _digest(x):
    import hashlib

    from PIL import Image
    if isinstance(x, Image.Image):
        x = np.asarray(x)
    elif isinstance(x, ember.Tensor):
        x = x.numpy()
    return hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()[:16]


# What torchvision 0.29.1 (torch 2.14.1) returned for these seeds and inputs (captured once
# with torchvision installed, by running the same transforms and digests).
PERSPECTIVE_DIGESTS = {
    ("pil", 0): "f268d0035a60c8c3", ("u8", 0): "4a620cbeea360170",
    ("nearest", 0): "fa44172185a68aa5", ("pil", 1): "073e86e704ab3059",
    ("u8", 1): "33856950f8787eea", ("nearest", 1): "9c0525deb98a876c",
    ("pil", 2): "7c50878b371fdad4", ("u8", 2): "81a9ac9fe489c33f",
    ("nearest", 2): "e0dd7ae0810c71fb",
}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_perspective_matches_torchvision(seed):
    pytest.importorskip("PIL")
    from PIL import Image

    from ember.vision import transforms as T

    a = _image()
    cases = {
        "pil": lambda: T.RandomPerspective(0.5, p=1.0)(Image.fromarray(a.transpose(1, 2, 0))),
        "u8": lambda: T.RandomPerspective(0.7, p=1.0, fill=[5, 60, 200])(ember.from_numpy(a)),
        "nearest": lambda: T.RandomPerspective(
            0.3, p=1.0, interpolation=T.InterpolationMode.NEAREST)(ember.from_numpy(a).float()
                                                                  / 255),
    }
    for name, fn in cases.items():
        ember.manual_seed(seed)
        assert _digest(fn()) == PERSPECTIVE_DIGESTS[(name, seed)], name
    assert repr(T.RandomPerspective(0.2, p=0.3)) == "RandomPerspective(p=0.3)"


def _torch_perspective(img, coeffs, mode, fill):
    """torchvision's tensor perspective warp restated on torch: the projective grid by two
    bmm, grid_sample with a ones channel when filling, the v1 blend, rounding to uint8."""
    h, w = img.shape[-2:]
    fp = img.is_floating_point()
    x = (img if fp else img.float()).reshape(-1, *img.shape[-3:])
    c = coeffs
    t1 = torch.tensor([[[c[0], c[1], c[2]], [c[3], c[4], c[5]]]], dtype=x.dtype)
    t2 = torch.tensor([[[c[6], c[7], 1.0], [c[6], c[7], 1.0]]], dtype=x.dtype)
    base = torch.empty(1, h, w, 3, dtype=x.dtype)
    base[..., 0].copy_(torch.linspace(0.5, w - 0.5, w))
    base[..., 1].copy_(torch.linspace(0.5, h - 0.5, h).unsqueeze(-1))
    base[..., 2].fill_(1)
    g1 = base.view(1, h * w, 3).bmm(t1.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h],
                                                                       dtype=x.dtype))
    g2 = base.view(1, h * w, 3).bmm(t2.transpose(1, 2))
    grid = (g1 / g2 - 1.0).view(1, h, w, 2).expand(x.shape[0], -1, -1, -1)
    if fill is not None:
        x = torch.cat([x, torch.ones_like(x[:, :1])], dim=1)
    y = torch.nn.functional.grid_sample(x, grid, mode=mode, padding_mode="zeros",
                                        align_corners=False)
    if fill is not None:
        y, mask = y[:, :-1], y[:, -1:].expand_as(y[:, :-1])
        f = torch.tensor(fill, dtype=y.dtype).view(1, -1, 1, 1).expand_as(y)
        y = torch.where(mask < 0.5, f, y) if mode == "nearest" else y * mask + (1.0 - mask) * f
    y = y.reshape(img.shape)
    return y if fp else y.round().to(img.dtype)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill", [None, [77.0], [10.0, 200.0, 30.0]])
@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
def test_perspective_is_pytorchs_grid_sample(mode, fill, dtype):
    from ember.vision.transforms import functional as TF

    a = _image(h=17, w=23)
    x = a if dtype == "uint8" else a.astype(dtype) / 255
    start = [[0, 0], [22, 0], [22, 16], [0, 16]]
    for end in ([[3, 2], [20, 1], [21, 14], [1, 15]], [[0, 4], [19, 0], [22, 11], [5, 16]]):
        coeffs = TF._get_perspective_coeffs(start, end)
        # the coefficients: float64 least squares rounded to float32, as torchvision's
        a_rows = []
        for (px, py), (qx, qy) in zip(end, start):
            a_rows += [[px, py, 1, 0, 0, 0, -qx * px, -qx * py],
                       [0, 0, 0, px, py, 1, -qy * px, -qy * py]]
        want_c = torch.linalg.lstsq(torch.tensor(a_rows, dtype=torch.float64),
                                    torch.tensor(start, dtype=torch.float64).view(8),
                                    driver="gels").solution.to(torch.float32).tolist()
        assert coeffs == want_c
        want = _torch_perspective(torch.from_numpy(x), coeffs, mode, fill)
        got = TF.perspective(ember.from_numpy(x), start, end,
                             TF.InterpolationMode(mode), fill)
        if measured_cpu() or dtype == "uint8" or mode == "nearest":
            np.testing.assert_array_equal(got.numpy(), want.numpy())
        else:
            # (the sampling grid is a batched product, whose MKL kernel off the measured
            # processor rounds differently from ember's; the bilinear weights, and the mask
            # that blends in the fill, carry that on)
            tol = (2e-5 if dtype == "float32" else 1e-12) * max(fill or [1.0])
            assert got.numpy().dtype == want.numpy().dtype
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=tol, atol=tol)


def test_perspective_refusals():
    from ember.vision.transforms import functional as TF

    def fn(T, TFn):
        x = T.zeros(3, 8, 8, dtype=T.uint8)
        out = []
        for call in (lambda: TFn.perspective(x, [[0, 0]] * 3, [[0, 0]] * 4),
                     lambda: TFn.perspective(x, [[0, 0], [7, 0], [7, 7], [0, 7]],
                                             [[1, 0], [7, 1], [6, 7], [0, 6]],
                                             TFn.InterpolationMode.BICUBIC)):
            try:
                call()
            except Exception as exc:
                out.append(f"{type(exc).__name__}: {exc}")
        return out
    assert fn(ember, TF) == [  # torchvision 0.29.1's messages
        "ValueError: Please provide exactly four corners, got 3 startpoints and 4 endpoints.",
        "ValueError: Interpolation mode 'bicubic' is unsupported with Tensor input"]


# -- module backward hooks on a layer whose inputs need no gradient --------------------------

@pytest.mark.parametrize("kind", ["pre", "full", "both"])
def test_backward_hook_warning_when_no_input_requires_grad(kind):
    import warnings

    def fn(T):
        T.manual_seed(0)
        m = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.ReLU(), T.nn.Linear(3, 1))
        seen = []
        if kind in ("pre", "both"):
            m[0].register_full_backward_pre_hook(lambda mod, go: seen.append(("pre", len(go))))
        if kind in ("full", "both"):
            m[0].register_full_backward_hook(
                lambda mod, gi, go: seen.append(("full", gi, len(go))))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m(T.randn(4, 2)).sum().backward()
        return seen, [str(c.message)[:60] for c in caught]
    _same(fn)


# -- gradcheck runs a custom Function as often as PyTorch's (its undefined-grad check) --------

def _gradcheck_calls(T, two_outputs, **kwargs):
    log = []

    class Fn(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            log.append("forward")
            return (x * 2, x * 3) if two_outputs else x * 2

        @staticmethod
        def backward(ctx, *grads):
            log.append(("backward", [round(float(g.abs().sum()), 6) for g in grads]))
            return grads[0] * 2 + grads[1] * 3 if two_outputs else grads[0] * 2

    x = T.tensor([0.25, 0.5], dtype=T.float64, requires_grad=True)
    ok = T.autograd.gradcheck(Fn.apply, x, **kwargs)
    return ok, log


@pytest.mark.parametrize("two_outputs", [False, True])
@pytest.mark.parametrize("undefined", [True, False])
def test_gradcheck_calls_like_pytorch(two_outputs, undefined):
    _same(lambda T: _gradcheck_calls(T, two_outputs, check_undefined_grad=undefined))
