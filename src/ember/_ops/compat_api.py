"""Top-level names PyTorch keeps beside its main API: the ``native_*`` and ``*_cell``
functions with ATen's argument order, ``convolution`` and ``grid_sampler`` with ATen's
integer modes, the randomized low-rank SVD and PCA, the ``sym_*`` helpers (plain Python
arithmetic in eager mode), ``cond``/``while_loop`` run eagerly, the deterministic debug
mode, and the functions PyTorch removed in 1.9, which raise its RuntimeError saying what
replaces them.

The functions in ``__all__`` become ``torch.<name>`` through ``ember/__init__.py``;
``install()`` puts the removed methods on ``Tensor``.
"""
from __future__ import annotations

import builtins
import math

from .. import _dtype as D
from .._tensor import Tensor

__all__ = [
    "native_layer_norm", "native_group_norm", "native_batch_norm", "native_dropout",
    "native_channel_shuffle", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell",
    "convolution", "grid_sampler", "grid_sampler_2d", "grid_sampler_3d", "svd_lowrank",
    "pca_lowrank", "sym_int", "sym_float", "sym_max", "sym_min", "sym_not", "sym_ite",
    "sym_sqrt", "sym_sum", "cond", "while_loop", "get_deterministic_debug_mode",
    "set_deterministic_debug_mode", "is_distributed", "is_vulkan_available", "has_lapack",
    "has_mkl", "has_openmp", "has_spectral", "solve", "lstsq", "eig", "symeig", "matrix_rank",
    "set_anomaly_enabled", "get_device_module",
]

has_lapack = has_mkl = has_openmp = has_spectral = True  # what the flags mean: NumPy has them


def _nn():
    from ..nn import functional
    return functional


# ---- the native_* forms: the output plus the statistics the backward would keep ----------

def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """``(out, mean, rstd)``; ``mean``/``rstd`` keep the normalised dims as size 1."""
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    out = _nn().layer_norm(input, list(normalized_shape), weight, bias, eps)
    x = input.detach()
    mean = x.mean(dims, keepdim=True)
    rstd = (x.var(dims, unbiased=False, keepdim=True) + eps).rsqrt()
    return out, mean, rstd


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """``(out, mean, rstd)`` with ``mean``/``rstd`` of shape ``(N, group)``."""
    out = _nn().group_norm(input, group, weight, bias, eps)
    x = input.detach().reshape(N, group, -1)
    mean = x.mean(-1)
    rstd = (x.var(-1, unbiased=False) + eps).rsqrt()
    return out, mean, rstd


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
                      eps):
    """``(out, save_mean, save_invstd)``: batch statistics in training, empty tensors in
    evaluation (PyTorch keeps none there)."""
    from ..nn._functional.normalization import _batch_norm

    # (the op: without nn.functional's batch size and eps checks)
    out = _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        from . import creation
        empty = creation.empty((0,), dtype=input.dtype, device=input.device)
        return out, empty, empty.clone()
    from ..nn._functional import normalization as N
    from ._core import wrap

    a = input._data
    if a.size and N._exact_batch_norm(input, (weight, bias, running_mean, running_var)):
        # (the statistics as PyTorch's CPU kernel computes them, bit for bit)
        rows = a if N._bn_cpu.eligible(a) else N._nhwc_rows(a)
        mean, var_sum = N._bn_cpu.stats(rows)
        invstd = N._bn_cpu.invstd_train(var_sum, rows.size // a.shape[1], eps)
        return out, wrap(mean, input._device), wrap(invstd, input._device)
    dims = (0,) + tuple(range(2, input.dim()))
    x = input.detach()
    return out, x.mean(dims), (x.var(dims, unbiased=False) + eps).rsqrt()


def native_dropout(input, p, train):
    """``(out, mask)``: the bool mask of kept elements (all True when ``train`` is False)."""
    from . import creation
    if not train or p == 0:
        return input.clone(), creation.ones(input.shape, dtype=D.bool, device=input.device)
    if p == 1:
        return input * 0, creation.zeros(input.shape, dtype=D.bool, device=input.device)
    mask = creation.empty(input.shape, dtype=input.dtype, device=input.device)
    mask.bernoulli_(1 - p)
    return input * mask * (1.0 / (1 - p)), mask.bool()


def native_channel_shuffle(input, groups):
    return _nn().channel_shuffle(input, groups)


# ---- one recurrent step with explicit weights ------------------------------------------------

def _cell(kind, input, hx, w_ih, w_hh, b_ih, b_hh):
    from ..nn.modules.rnn import _STEPS, _check_cell
    state = tuple(hx) if kind == "LSTM" else (hx,)
    _check_cell(input, state, w_ih, w_hh)
    out = _STEPS[kind](_nn().linear(input, w_ih, b_ih), state, w_hh, b_hh, None)
    return out if kind == "LSTM" else out[0]


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: ``hx`` is ``(h, c)``; returns the new ``(h, c)``."""
    if isinstance(hx, Tensor):
        raise TypeError("lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, "
                        f"not {type(hx).__name__}")
    if len(hx) != 2:
        raise RuntimeError("lstm_cell expects two hidden states")
    return _cell("LSTM", input, hx, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell("GRU", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell("RNN_TANH", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell("RNN_RELU", input, hx, w_ih, w_hh, b_ih, b_hh)


# ---- ATen's spellings of convolution and grid sampling ---------------------------------------

def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """Convolution of any dimension (from the weight's), plain or transposed."""
    nd = weight.dim() - 2
    if nd not in (1, 2, 3):
        raise RuntimeError(f"convolution: expected a 3-D, 4-D or 5-D weight, but got "
                           f"{weight.dim()}-D")
    F = _nn()
    if transposed:
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[nd - 1]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    fn = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
    return fn(input, weight, bias, stride, padding, dilation, groups)


_INTERP = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """``F.grid_sample`` with ATen's integer modes (0/1/2: bilinear, nearest, bicubic;
    zeros, border, reflection)."""
    for what, v, names in (("interpolation_mode", interpolation_mode, _INTERP),
                           ("padding_mode", padding_mode, _PADDING)):
        if not isinstance(v, int) or not 0 <= v < len(names):
            raise RuntimeError(f"grid_sampler(): expected {what} to be one of 0..."
                               f"{len(names) - 1} ({', '.join(names)}), but got {v}")
    return _nn().grid_sample(input, grid, _INTERP[interpolation_mode],
                             _PADDING[padding_mode], align_corners)


grid_sampler_2d = grid_sampler_3d = grid_sampler


# ---- randomized low-rank SVD (Halko, Martinsson and Tropp, 2009) ----------------------------

def _approximate_basis(A, q, niter, M):
    """``q`` orthonormal columns ``Q`` with ``Q Q^H (A - M) ~ A - M``: a Gaussian sketch of
    the range, sharpened by ``niter`` power iterations, orthonormalised after each product."""
    from .. import linalg
    from . import creation
    dtype = A.dtype if (A.dtype.is_floating_point or A.dtype.is_complex) else D.float32
    sketch = creation.randn(A.shape[-1], q, dtype=dtype, device=A.device)

    def times(B, X, BM):
        return B @ X if BM is None else B @ X - BM @ X

    Q = linalg.qr(times(A, sketch, M)).Q
    for _ in range(niter):
        Q = linalg.qr(times(A.mH, Q, None if M is None else M.mH)).Q
        Q = linalg.qr(times(A, Q, M)).Q
    return Q


def _svd_lowrank(A, q, niter, M):
    from .. import linalg
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    wide = m < n
    if wide:  # work on the tall one; U and V swap back at the end
        A = A.mH
        M = None if M is None else M.mH
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mH @ A if M is None else Q.mH @ A - Q.mH @ M
    U, S, Vh = linalg.svd(B, full_matrices=False)
    U, V = Q @ U, Vh.mH
    return (V, S, U) if wide else (U, S, V)


def svd_lowrank(A, q=6, niter=2, M=None):
    """``(U, S, V)`` with ``A - M ~ U diag(S) V^H`` from a rank-``q`` random sketch; the
    sketch is drawn from the default generator (seed it to repeat a result)."""
    return _svd_lowrank(A, q, niter, M)


def pca_lowrank(A, q=None, center=True, niter=2):
    """Principal components of the rows of ``A`` (columns centred unless ``center=False``),
    as ``svd_lowrank`` of the centred matrix."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter, None)
    return _svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter, None)


# ---- symbolic-shape helpers: in eager mode, arithmetic on Python numbers --------------------

def sym_int(a):
    return a if isinstance(a, int) else int(math.trunc(a))


def sym_float(a):
    return a if isinstance(a, float) else float(a)


def sym_max(a, b):
    out = builtins.max(a, b)
    return float(out) if isinstance(a, float) or isinstance(b, float) else out


def sym_min(a, b):
    out = builtins.min(a, b)
    return float(out) if isinstance(a, float) or isinstance(b, float) else out


def sym_not(a):
    return not a


def sym_ite(b, t, f):
    return t if b else f


def sym_sqrt(a):
    return math.sqrt(a)


def sym_sum(args):
    return builtins.sum(args)


# ---- control flow, run eagerly --------------------------------------------------------------

def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``; ``pred`` is a bool
    or a one-element bool tensor."""
    if isinstance(pred, Tensor) and pred.numel() != 1:
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got "
                           f"{pred}.")
    if not isinstance(operands, (tuple, list)):
        raise RuntimeError(f"Expect operands to be a tuple of possibly nested dict/list/tuple "
                           f"that only consists of tensor leaves, but got {operands}.")
    return (true_fn if bool(pred) else false_fn)(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """Run ``carried_inputs = body_fn(*carried_inputs)`` while ``cond_fn(*carried_inputs)``;
    returns the final carried values as a tuple."""
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"carried_inputs must be a tuple or list, got "
                           f"{type(carried_inputs)}")
    carried = tuple(carried_inputs)
    while bool(cond_fn(*carried)):
        out = body_fn(*carried)
        carried = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return carried


# ---- switches -------------------------------------------------------------------------------

_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def get_deterministic_debug_mode() -> int:
    """0 (default), 1 (warn) or 2 (error): ``use_deterministic_algorithms``' setting."""
    from .. import backends
    if not backends.are_deterministic_algorithms_enabled():
        return 0
    return 1 if backends.is_deterministic_algorithms_warn_only_enabled() else 2


def set_deterministic_debug_mode(debug_mode) -> None:
    from .. import backends
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, "
                               f"`warn`, `error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    backends.use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def is_distributed(input) -> bool:
    return False


def is_vulkan_available() -> bool:
    return False


# ---- removed in PyTorch 1.9: its RuntimeError, which says what to use instead ----------------

_GONE = "This function was deprecated since version 1.9 and is now removed."
_REMOVED = {
    "solve": (
        " `torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` "
        "has its arguments reversed and does not return the LU factorization.\n\nTo get the "
        "LU factorization see `torch.lu`, which can be used with `torch.lu_solve` or "
        "`torch.lu_unpack`.\nX = torch.solve(B, A).solution should be replaced with:\n"
        "X = torch.linalg.solve(A, B)"),
    "lstsq": (
        " `torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` "
        "has reversed arguments and does not return the QR decomposition in the returned "
        "tuple (although it returns other information about the problem).\n\nTo get the QR "
        "decomposition consider using `torch.linalg.qr`.\n\nThe returned solution in "
        "`torch.lstsq` stored the residuals of the solution in the last m - n columns of the "
        "returned value whenever m > n. In torch.linalg.lstsq, the residuals are in the field "
        "'residuals' of the returned named tuple.\n\nThe unpacking of the solution, as in\n"
        "X, _ = torch.lstsq(B, A).solution[:A.size(1)]\nshould be replaced with:\n"
        "X = torch.linalg.lstsq(A, B).solution"),
    "eig": (
        " `torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather "
        "than real tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should be "
        "replaced with:\nL_complex = torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, "
        "eigenvectors=True) should be replaced with:\nL_complex, V_complex = "
        "torch.linalg.eig(A)"),
    "symeig": (
        " The default behavior has changed from using the upper triangular portion of the "
        "matrix by default to using the lower triangular portion.\n\nL, _ = torch.symeig(A, "
        "upper=upper) should be replaced with:\nL = torch.linalg.eigvalsh(A, UPLO='U' if "
        "upper else 'L')\n\nand\n\nL, V = torch.symeig(A, eigenvectors=True) should be "
        "replaced with:\nL, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')"),
    "matrix_rank": (
        "\nPlease use the `torch.linalg.matrix_rank` function instead. The parameter "
        "'symmetric' was renamed in `torch.linalg.matrix_rank()` to 'hermitian'."),
}


def _removed(name):
    def gone(*args, **kwargs):
        raise RuntimeError(_GONE + _REMOVED[name])
    gone.__name__ = gone.__qualname__ = name
    gone.__doc__ = "Removed in PyTorch 1.9: raises the RuntimeError naming its replacement."
    return gone


solve, lstsq, eig, symeig, matrix_rank = (_removed(n) for n in
                                          ("solve", "lstsq", "eig", "symeig", "matrix_rank"))


def install(tensor_cls) -> None:
    for name in ("solve", "lstsq", "eig", "symeig"):
        setattr(tensor_cls, name, globals()[name])


def set_anomaly_enabled(enabled, check_nan=True) -> None:
    """Anomaly mode on or off for the rest of the process (``autograd.set_detect_anomaly``
    as a plain call)."""
    from ..autograd import set_detect_anomaly
    set_detect_anomaly(enabled, check_nan)


def get_device_module(device=None):
    """The ``torch.<type>`` module of ``device`` (a device, a string or None: the GPU module
    when a GPU is available, else ``torch.cpu``)."""
    import importlib

    from .._device import device as Device
    from .. import cuda
    if device is None:
        kind = "cuda" if cuda.is_available() else "cpu"
    elif isinstance(device, (str, Device)):
        kind = Device(device).type
    else:
        raise RuntimeError(f"Invalid value of device '{device}', expect torch.device, str, "
                           "or None")
    if kind not in ("cpu", "cuda", "mps", "xpu"):
        raise RuntimeError(f"Device '{kind}' does not have a corresponding module registered "
                           f"as 'torch.{kind}'.")
    return importlib.import_module(f"ember.{kind}")
