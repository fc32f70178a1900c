"""``torch.signal.windows``: SciPy's window functions, built from ember's tensor ops in the
order PyTorch builds them (a ``linspace`` of the window's argument, then the formula), so
float32 windows carry the same roundings."""
from __future__ import annotations

import math

from .. import _dtype as D

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _ember():
    import ember
    return ember


def _start(name, M, dtype, layout):
    """The default dtype and PyTorch's checks shared by every window."""
    torch = _ember()
    dtype = torch.get_default_dtype() if dtype is None else dtype
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not None and layout is not torch.strided:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dtype not in (D.float32, D.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")
    return dtype


def _trivial(M, dtype, device, requires_grad, one_is_ones=True):
    """The window of length 0 (empty) or, for most windows, 1 (a single one)."""
    torch = _ember()
    if M == 0:
        return torch.empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if M == 1 and one_is_ones:
        return torch.ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)
    return None


def _line(start, end, M, dtype, device, requires_grad):
    return _ember().linspace(start, end, M, dtype=dtype, device=device,
                             requires_grad=requires_grad)


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None,
                requires_grad=False):
    dtype = _start("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    empty = _trivial(M, dtype, device, requires_grad, one_is_ones=False)
    if empty is not None:
        return empty
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    c = 1 / tau
    k = _line(-center * c, (-center + (M - 1)) * c, M, dtype, device, requires_grad)
    return _ember().exp(-_ember().abs(k))


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    dtype = _start("cosine", M, dtype, layout)
    empty = _trivial(M, dtype, device, requires_grad, one_is_ones=False)
    if empty is not None:
        return empty
    c = math.pi / (M + 1 if not sym and M > 1 else M)
    return _ember().sin(_line(0.5 * c, (0.5 + (M - 1)) * c, M, dtype, device, requires_grad))


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None,
             requires_grad=False):
    dtype = _start("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    empty = _trivial(M, dtype, device, requires_grad, one_is_ones=False)
    if empty is not None:
        return empty
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    c = 1 / (std * math.sqrt(2))
    k = _line(start * c, (start + (M - 1)) * c, M, dtype, device, requires_grad)
    return _ember().exp(-(k ** 2))


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None,
           requires_grad=False):
    torch = _ember()
    dtype = _start("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    trivial = _trivial(M, dtype, device, requires_grad)
    if trivial is not None:
        return trivial
    beta = torch.tensor(beta, dtype=dtype, device=device)  # in the window's dtype
    start = -beta
    c = 2.0 * beta / (M if not sym else M - 1)
    end = torch.minimum(beta, start + (M - 1) * c)
    k = _line(start, end, M, dtype, device, requires_grad)
    return torch.i0(torch.sqrt(beta * beta - torch.pow(k, 2))) / torch.i0(beta)


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """``sum_i (-1)^i a_i cos(2 pi i n / N)``."""
    torch = _ember()
    dtype = _start("general_cosine", M, dtype, layout)
    trivial = _trivial(M, dtype, device, requires_grad)
    if trivial is not None:
        return trivial
    if not hasattr(a, "__iter__"):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    c = 2 * math.pi / (M if not sym else M - 1)
    k = _line(0, (M - 1) * c, M, dtype, device, requires_grad)
    coef = torch.tensor([(-1) ** i * w for i, w in enumerate(a)], dtype=dtype, device=device,
                        requires_grad=requires_grad)
    i = torch.arange(coef.shape[0], dtype=coef.dtype, device=coef.device,
                     requires_grad=coef.requires_grad)
    return (coef.unsqueeze(-1) * torch.cos(i.unsqueeze(-1) * k)).sum(0)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None,
                    requires_grad=False):
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    dtype = _start("blackman", M, dtype, layout)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    dtype = _start("bartlett", M, dtype, layout)
    trivial = _trivial(M, dtype, device, requires_grad)
    if trivial is not None:
        return trivial
    c = 2 / (M if not sym else M - 1)
    return 1 - _ember().abs(_line(-1, -1 + (M - 1) * c, M, dtype, device, requires_grad))


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)
