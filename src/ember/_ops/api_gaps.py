"""The smaller corners of PyTorch's API: Tensor attributes and in-place aliases, the
``*_scatter`` and ``*_copy`` functions, random fills (Cauchy, geometric, log-normal), the
top-level spellings of ``nn.functional`` ops (``torch.conv3d``, ``torch.kl_div``...) with
ATen's argument order, ``torch.gradient``, ``torch.histogramdd`` and a few switches.

``install()`` puts the Tensor methods on the class; the functions in ``__all__`` become
``torch.<name>`` through ``ember/__init__.py``.
"""
from __future__ import annotations

import builtins
import numbers
import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from .._warnings import warn
from . import creation as F
from . import index as I
from . import linalg as L
from . import pointwise as P
from . import shape as S
from ._core import check_inplace, commit, need_tensor, norm_dim, snapshot
from .pointwise import inplace, unary_inplace
from .methods import abs_inplace, tensor_other_inplace

__all__ = [
    "arccosh", "arcsinh", "arctanh", "select_scatter", "slice_scatter", "diagonal_scatter",
    "as_strided_scatter", "narrow_copy", "unsafe_chunk", "unsafe_split",
    "unsafe_split_with_sizes", "nonzero_static", "isreal", "is_signed", "fill",
    "empty_permuted", "gradient", "histogramdd", "OutOfMemoryError",
    "set_flush_denormal", "get_num_interop_threads", "set_num_interop_threads",
    "is_warn_always_enabled", "set_warn_always", "set_default_tensor_type",
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "avg_pool1d", "max_pool1d",
    "max_pool1d_with_indices", "max_pool3d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "pixel_shuffle", "pixel_unshuffle", "bilinear", "instance_norm",
    "rms_norm", "kl_div", "ctc_loss", "cosine_embedding_loss", "hinge_embedding_loss",
    "margin_ranking_loss", "poisson_nll_loss", "binary_cross_entropy_with_logits",
    "triplet_margin_loss", "embedding_bag", "alpha_dropout", "feature_alpha_dropout",
    "feature_dropout", "dropout", "dropout_", "alpha_dropout_", "feature_alpha_dropout_",
    "feature_dropout_", "celu_", "selu_", "threshold_", "embedding_renorm_", "channel_shuffle",
    "constant_pad_nd", "nuclear_norm", "frobenius_norm",
    "alias_copy", "as_strided_copy", "detach_copy", "diagonal_copy", "expand_copy",
    "permute_copy", "select_copy", "slice_copy", "split_copy", "split_with_sizes_copy",
    "squeeze_copy", "t_copy", "transpose_copy", "unbind_copy", "unfold_copy",
    "unsqueeze_copy", "view_copy",
]


# -- Tensor attributes and aliases ---------------------------------------------------

# ember's tensors are dense, strided and on the CPU or a CUDA device: every layout and
# backend question below is answered False, as PyTorch answers it for such a tensor.
_FALSE_PROPERTIES = ("is_sparse", "is_quantized", "is_meta", "is_mkldnn", "is_mps", "is_xpu",
                     "is_nested", "is_sparse_csr", "is_ipu", "is_maia", "is_mtia", "is_vulkan",
                     "is_xla")

arccosh, arcsinh, arctanh = P.acosh, P.asinh, P.atanh


class _Resize:
    """The autograd function behind the deprecated ``Tensor.resize``/``resize_as``: a new
    shape for the same number of elements, gradients reshaped back."""

    @staticmethod
    def apply(t, sizes):
        from ..autograd.function import Function

        class Resize(Function):  # (its node prints as ResizeBackward, as PyTorch's)
            @staticmethod
            def forward(ctx, x):
                ctx.shape = x.shape
                return x.contiguous().view(sizes).clone()

            @staticmethod
            def backward(ctx, g):
                return g.contiguous().view(ctx.shape)
        return _resize_fn(Resize, t)


def _resize_fn(fn, t):
    return fn.apply(t)


def _resize_check(t, sizes):
    n = 1
    for s in sizes:
        n *= s
    if n != t.numel():
        raise RuntimeError(
            f"requested resize to {'x'.join(map(str, sizes))} ({n} elements in total), but the "
            f"given tensor has a size of {'x'.join(map(str, t.shape))} ({t.numel()} elements). "
            "autograd's resize can only change the shape of a given tensor, while preserving "
            "the number of elements. ")


def resize(self, *sizes):
    """The deprecated out-of-place ``resize``: a reshaped copy, same number of elements."""
    warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    from ._core import shape_arg

    sizes = tuple(shape_arg(sizes))
    _resize_check(self, sizes)
    return _Resize.apply(self, sizes)


def resize_as(self, tensor):
    warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    sizes = tuple(tensor.shape)
    _resize_check(self, sizes)
    return _Resize.apply(self, sizes)


def _new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None,
                       requires_grad=False, pin_memory=False):
    from .more_tensor import empty_strided

    return empty_strided(size, stride, dtype=dtype or self.dtype,
                         device=self.device if device is None else device,
                         requires_grad=requires_grad)


def _storage_type(self):
    from .. import storage

    return getattr(storage, _LEGACY[self.dtype.name] + "Storage")


_LEGACY = {d.name: D.scalar_name(d) for d in D.ALL}


def _to_dense(self, dtype=None, *, masked_grad=None):
    """A dense tensor is its own dense form (a cast where ``dtype`` differs)."""
    return self if dtype is None or dtype is self.dtype else self.to(dtype)


def unsafe_chunk(input, chunks, dim=0):
    return S.chunk(input, chunks, dim)


def unsafe_split(input, split_size, dim=0):
    return S.split(input, split_size, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    return S.split_with_sizes(input, split_sizes, dim)


def narrow_copy(input, dim, start, length):
    """``narrow`` as a new tensor of its own, with the checks and words of PyTorch's own
    kernel for it (not narrow's) and its own backward node."""
    from ..autograd.grad_mode import no_grad
    from ._core import make
    from .more_math import _int_arg

    need_tensor(input, "narrow_copy")
    start = _int_arg(start, "narrow_copy", "start", 2)
    length = _int_arg(length, "narrow_copy", "length", 3)
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if dim >= input.ndim:
        raise RuntimeError("Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, "
                           "but got false.  (Could this error message be improved?  If so, "
                           "please report an enhancement request to PyTorch.)")
    d = norm_dim(dim, input.ndim)
    n = input.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    start += n if start < 0 else 0
    if length < 0 or start > n - length:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    fn = lambda b: S.slice_(b, d, start, start + length)  # noqa: E731
    with no_grad():
        arr = fn(input).clone(memory_format=S.contiguous_format)._data
    return make(arr, (input,), "NarrowCopyBackward0", S._region_rule, tuple(input.shape), fn,
                laid=True)


# -- scatter into a view -------------------------------------------------------------

def _scatter_into(input, src, view_of, fname):
    """``input``'s values with the view ``view_of(out)`` replaced by ``src``: a clone with
    an in-place copy, so gradients reach ``input`` (outside the view) and ``src``."""
    need_tensor(input, fname)
    need_tensor(src, fname, "src", 2)
    out = input.clone()
    view = view_of(out)
    if tuple(view.shape) != tuple(src.shape):
        raise RuntimeError("expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(view.shape)}")
    view.copy_(src)
    return out


def select_scatter(input, src, dim, index):
    return _scatter_into(input, src, lambda t: S.select(t, dim, index), "select_scatter")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    def view_of(t):
        d = norm_dim(dim, t.ndim)
        key = (slice(None),) * d + (slice(start, end, step),)
        return t[key]
    return _scatter_into(input, src, view_of, "slice_scatter")


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    return _scatter_into(input, src, lambda t: S.diagonal(t, offset, dim1, dim2),
                         "diagonal_scatter")


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    return _scatter_into(input, src,
                         lambda t: S.as_strided_view(t, size, stride, storage_offset),
                         "as_strided_scatter")


def nonzero_static(input, *, size, fill_value=-1):
    """The first ``size`` indices of ``nonzero(input)``, padded with ``fill_value`` rows."""
    need_tensor(input, "nonzero_static")
    if not isinstance(size, numbers.Integral) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    idx = I.nonzero(input, _op=None)[:size]  # (vmap takes it: its size is static)
    if idx.shape[0] < size:
        pad = F.full((size - idx.shape[0], input.ndim), fill_value, dtype=D.int64,
                     device=input.device)
        idx = S.cat([idx, pad], 0)
    return idx


def isreal(input):
    need_tensor(input, "isreal")
    if input.dtype.is_complex:
        from . import complex as cx

        return cx.imag(input).eq(0)
    return F.ones(input.shape, dtype=D.bool, device=input.device)


def is_signed(input):
    need_tensor(input, "is_signed")
    return input.is_signed()


def fill(input, value):
    """``input``'s shape and dtype, every element ``value``."""
    need_tensor(input, "fill")
    from .._tensor import Tensor
    from .methods import _fill_

    return _fill_(input.clone(), value,  # (PyTorch's out-of-place nodes: 0 and 1)
                  _name="FillBackward1" if isinstance(value, Tensor) else "FillBackward0")


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    """An uninitialised tensor of ``size`` whose memory runs through the dims in the order
    ``physical_layout`` (outermost first)."""
    size, perm = tuple(int(s) for s in size), tuple(int(p) for p in physical_layout)
    if len(size) != len(perm):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the "
                           f"physical_layout; i.e. len(size) = {len(size)} is not equal to "
                           f"len(physical_layout) = {len(perm)}")
    if sorted(perm) != list(range(len(size))):
        raise RuntimeError(f"Dimension {perm[0]} is duplicated in physical_layout")
    t = F.empty(tuple(size[p] for p in perm), dtype=dtype, device=device)
    inv = [perm.index(i) for i in range(len(size))]
    t = S.permute(t, inv)
    return t.requires_grad_() if requires_grad else t


class OutOfMemoryError(RuntimeError):
    """Raised when a device runs out of memory (PyTorch's ``torch.OutOfMemoryError``)."""

    __module__ = "torch"


# -- switches ---------------------------------------------------------------------------

_interop_threads = None


def set_flush_denormal(mode) -> bool:
    """NumPy gives no switch for flush-to-zero, so ember leaves subnormals alone and answers
    False, as PyTorch does on a CPU without the feature; turning it off always succeeds."""
    return not mode


def get_num_interop_threads() -> int:
    import os

    return _interop_threads or os.cpu_count() or 1


def set_num_interop_threads(num) -> None:
    global _interop_threads
    if not isinstance(num, int) or isinstance(num, bool):
        raise TypeError(f"set_num_interop_threads(): argument 'num' (position 1) must be int, "
                        f"not {type(num).__name__}")
    if num <= 0:
        raise RuntimeError("Expected positive number of threads")
    if _interop_threads is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _interop_threads = num


def is_warn_always_enabled() -> bool:
    from .. import _warnings

    return _warnings.warn_always


def set_warn_always(b) -> None:
    """Whether the warnings PyTorch gives once per process are given every time."""
    from .. import _warnings

    _warnings.warn_always = builtins.bool(b)


def set_default_tensor_type(t) -> None:
    """Deprecated: ``torch.FloatTensor``/``torch.DoubleTensor`` (or their names) set the
    default floating dtype, as :func:`set_default_dtype` does."""
    dts = {"FloatTensor": D.float32, "DoubleTensor": D.float64, "HalfTensor": D.float16,
           "BFloat16Tensor": D.bfloat16}
    if isinstance(t, str):  # a dotted name, looked up as PyTorch looks it up
        import importlib

        module, _, short = t.rpartition(".")
        if module == "torch" or module.startswith("torch."):
            module = "ember" + module[len("torch"):]  # (PyTorch's names are ember's)
        t = getattr(importlib.import_module(module or short), short)
    short = getattr(t, "__name__", None)
    legacy = isinstance(t, type) and getattr(t, "_dtype", None) is not None
    if legacy and t._device_type == "cuda":
        from .._device import cuda_available, no_cuda

        if not cuda_available():  # (PyTorch's CPU build's words)
            raise no_cuda(TypeError, f"type torch.cuda.{short} not available. Torch not "
                          "compiled with CUDA enabled.")
    if not legacy or short not in dts:
        raise TypeError(("" if legacy else "invalid type object: ") + "only floating-point "
                        "types are supported as the default type")
    warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
         "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
         cpp="torch/csrc/tensor/python_tensor.cpp:434")  # (once the type is known to be good)
    D.set_default_dtype(dts[short])


# -- top-level spellings of nn.functional ops (ATen's argument order) -----------------

def _nnf():
    from ..nn import functional
    return functional


# ATen's reduction codes.  NOTE: PyTorch's top-level losses (``torch.kl_div`` and the
# rest) reduce nothing unless told: their default code is 0, not 'mean' as in ``F.*``.
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(fname, r, pos=3):
    if not isinstance(r, int) or isinstance(r, bool):
        raise TypeError(f"{fname}(): argument 'reduction' (position {pos}) must be int, not "
                        f"{type(r).__name__}")
    if r not in _REDUCTIONS:
        raise ValueError(f"{r} is not a valid value for reduction")
    return _REDUCTIONS[r]


def adaptive_avg_pool1d(input, output_size):
    return _nnf().adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    return _nnf().adaptive_max_pool1d(input, output_size, return_indices=True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    return _nnf().avg_pool1d(input, kernel_size, stride or None, padding, ceil_mode,
                             count_include_pad)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _nnf().max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    return _nnf().max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode,
                             return_indices=True)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _nnf().max_pool3d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _nnf().conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _nnf().conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups,
                                   dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _nnf().conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                                   dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _nnf().conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups,
                                   dilation)


def pixel_shuffle(input, upscale_factor):
    return _nnf().pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return _nnf().pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups):
    return _nnf().channel_shuffle(input, groups)


def bilinear(input1, input2, weight, bias=None):
    return _nnf().bilinear(input1, input2, weight, bias)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    from ..nn._functional.normalization import _instance_norm

    # (PyTorch's op: without nn.functional's spatial size check)
    return _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                          momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return _nnf().rms_norm(input, normalized_shape, weight, eps)


def kl_div(input, target, reduction=0, log_target=False):
    red = _reduction("kl_div", reduction)
    with warnings.catch_warnings():  # (ATen's kl_div gives no 'batchmean' advice)
        warnings.simplefilter("ignore")
        return _nnf().kl_div(input, target, reduction=red, log_target=log_target)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
             zero_infinity=False):
    return _nnf().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                           _reduction("ctc_loss", reduction, 6), zero_infinity)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return _nnf().cosine_embedding_loss(input1, input2, target, margin,
                                        reduction=_reduction("cosine_embedding_loss", reduction, 5))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return _nnf().hinge_embedding_loss(input, target, margin,
                                       reduction=_reduction("hinge_embedding_loss", reduction, 4))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return _nnf().margin_ranking_loss(input1, input2, target, margin,
                                      reduction=_reduction("margin_ranking_loss", reduction, 5))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return _nnf().poisson_nll_loss(input, target, log_input, full, eps=eps,
                                   reduction=_reduction("poisson_nll_loss", reduction, 6))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return _nnf().binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction("binary_cross_entropy_with_logits",
                                                    reduction), pos_weight=pos_weight)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False,
                        reduction=0):
    return _nnf().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                      reduction=_reduction("triplet_margin_loss", reduction, 8))


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """ATen's ``embedding_bag``: ``(output, offset2bag, bag_size, max_indices)``.

    The bookkeeping follows PyTorch's CPU kernels: ``offset2bag`` names each index's bag
    (empty on the fast path PyTorch takes for a float32 ``sum`` without ``padding_idx``);
    ``bag_size`` counts each bag's non-padding entries (zeros for ``sum``); ``max_indices``
    holds the winning rows for ``max``, a copy of ``bag_size`` for ``mean``, zeros for
    ``sum``."""
    modes = {0: "sum", 1: "mean", 2: "max"}
    out = _nnf().embedding_bag(indices, weight, offsets, scale_grad_by_freq=scale_grad_by_freq,
                               mode=modes[mode], sparse=sparse,
                               per_sample_weights=per_sample_weights,
                               include_last_offset=include_last_offset, padding_idx=padding_idx)
    nb = out.shape[0]
    off = offsets.numpy(force=True).astype(np.int64)
    n = indices.numel()
    ends = np.append(off[1:], n) if not include_last_offset else off[1:]
    starts = off[:nb]
    ends = ends[:nb]
    dev = weight.device
    idx = indices.numpy(force=True).reshape(-1)
    keep = np.ones(n, bool) if padding_idx is None else idx != padding_idx
    csum = np.concatenate([[0], np.cumsum(keep)])
    counts = csum[ends] - csum[starts]
    fast = mode == 0 and weight.dtype is D.float32 and padding_idx is None
    o2b = np.zeros(0, np.int64) if fast else np.repeat(np.arange(nb), ends - starts)
    bag = counts if mode != 0 else np.zeros(nb, np.int64)
    if mode == 2:
        # the row of ``weight`` that gave each maximum
        w = weight.numpy(force=True)
        mx = np.full((nb, w.shape[1]), -1, np.int64)
        for b in range(nb):
            rows = idx[starts[b]:ends[b]][keep[starts[b]:ends[b]]]
            if rows.size:
                mx[b] = rows[np.argmax(w[rows], axis=0)]
    else:
        mx = bag.copy()
    mk = [F.tensor(a, dtype=D.int64, device=dev) for a in (o2b, bag, mx)]
    return (out, *mk)


def _dropout_fn(name, inplace_):
    def fn(input, p, train):
        f = getattr(_nnf(), name)
        with warnings.catch_warnings():  # (ATen's forms take any rank without advice)
            warnings.simplefilter("ignore")
            return f(input, p, train, inplace_)
    fn.__name__ = name + ("_" if inplace_ else "")
    return fn


dropout = _dropout_fn("dropout", False)  # (``train`` has no default, unlike F.dropout's)
alpha_dropout = _dropout_fn("alpha_dropout", False)
feature_alpha_dropout = _dropout_fn("feature_alpha_dropout", False)
feature_dropout = _dropout_fn("dropout2d", False)
dropout_ = _dropout_fn("dropout", True)
alpha_dropout_ = _dropout_fn("alpha_dropout", True)
feature_alpha_dropout_ = _dropout_fn("feature_alpha_dropout", True)
feature_dropout_ = _dropout_fn("dropout2d", True)


def celu_(input, alpha=1.0):
    return _nnf().celu(input, alpha, inplace=True)


def selu_(input):
    return _nnf().selu(input, inplace=True)


def threshold_(input, threshold, value):
    return _nnf().threshold(input, threshold, value, inplace=True)


def embedding_renorm_(input, indices, max_norm, norm_type):
    """Scale, in place and outside autograd, each row of ``input`` named in ``indices`` whose
    ``norm_type``-norm exceeds ``max_norm`` down to ``max_norm`` (over ``norm + 1e-7``)."""
    from ..autograd.grad_mode import no_grad
    from ..nn._functional.sparse import _renorm_check

    _renorm_check(indices, input, np)
    rows = np.unique(indices.numpy(force=True).reshape(-1) % max(input.shape[0], 1))
    with no_grad():
        sel = F.tensor(rows, dtype=D.int64, device=input.device)
        w = input.index_select(0, sel)
        norms = w.norm(norm_type, dim=1)
        scale = P.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        input.index_copy_(0, sel, w * scale.unsqueeze(1).to(input.dtype))
    return input


def constant_pad_nd(input, pad, value=0):
    return _nnf().pad(input, list(pad), "constant", value)


def frobenius_norm(input, dim, keepdim=False):
    warn("at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will "
         "be removed in a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, "
         "keepdim)` instead", cpp="aten/src/ATen/native/LinearAlgebra.cpp:3175")
    from .. import linalg

    return linalg.vector_norm(input, 2.0, dim, keepdim)


def nuclear_norm(input, dim=None, keepdim=False):
    warn("at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be "
         "removed in a future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, "
         "keepdim)` instead", cpp="aten/src/ATen/native/LinearAlgebra.cpp:3229")
    from .. import linalg

    if isinstance(dim, bool):
        dim, keepdim = None, dim
    return linalg.matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


# -- view copies -------------------------------------------------------------------------

def _copy_of(view_fn, name):
    def fn(input, *args, **kwargs):
        need_tensor(input, name)
        res = view_fn(input, *args, **kwargs)
        if isinstance(res, (tuple, list)):
            return [r.clone(memory_format=S.contiguous_format) for r in res]
        return res.clone(memory_format=S.contiguous_format)
    fn.__name__ = name
    return fn


alias_copy = _copy_of(lambda t: t.view_as(t), "alias_copy")
as_strided_copy = _copy_of(S.as_strided_view, "as_strided_copy")
detach_copy = _copy_of(S.detach, "detach_copy")
diagonal_copy = _copy_of(S.diagonal, "diagonal_copy")
expand_copy = _copy_of(lambda t, size, implicit=False: S.expand(t, size), "expand_copy")
permute_copy = _copy_of(S.permute, "permute_copy")
select_copy = _copy_of(S.select, "select_copy")
slice_copy = _copy_of(lambda t, dim=0, start=None, end=None, step=1: t[
    (slice(None),) * norm_dim(dim, t.ndim) + (slice(start, end, step),)], "slice_copy")
split_copy = _copy_of(S.split, "split_copy")
split_with_sizes_copy = _copy_of(S.split_with_sizes, "split_with_sizes_copy")
squeeze_copy = _copy_of(S.squeeze, "squeeze_copy")
t_copy = _copy_of(S.t_, "t_copy")
transpose_copy = _copy_of(S.transpose, "transpose_copy")
unbind_copy = _copy_of(S.unbind, "unbind_copy")
unfold_copy = _copy_of(S.unfold, "unfold_copy")
unsqueeze_copy = _copy_of(S.unsqueeze, "unsqueeze_copy")
view_copy = _copy_of(lambda t, *size: t.view(*size), "view_copy")


# -- torch.gradient ------------------------------------------------------------------------

def _grad_along(f, d, h, coords, edge_order):
    """The central-difference derivative of ``f`` along dim ``d``: uniform step ``h`` or
    the sample positions ``coords`` (a 1-d tensor)."""
    n = f.shape[d]

    def sl(a, b=None):
        return S.narrow(f, d, a, (n if b is None else b) - a)

    def at(i):
        return S.narrow(f, d, i % n, 1)

    def bc(v):  # a 1-d coordinate difference shaped to broadcast along d
        shape = [1] * f.ndim
        shape[d] = -1
        return v.reshape(shape)
    if coords is None:
        inner = (sl(2) - sl(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first, last = (at(1) - at(0)) / h, (at(-1) - at(-2)) / h
        else:
            first = (-1.5 * at(0) + 2 * at(1) - 0.5 * at(2)) / h
            last = (0.5 * at(-3) - 2 * at(-2) + 1.5 * at(-1)) / h
    else:
        x = coords
        dx1, dx2 = bc(x[1:-1] - x[:-2]), bc(x[2:] - x[1:-1])
        a = -dx2 / (dx1 * (dx1 + dx2))
        b = (dx2 - dx1) / (dx1 * dx2)
        c = dx1 / (dx2 * (dx1 + dx2))
        inner = a * sl(0, n - 2) + b * sl(1, n - 1) + c * sl(2)
        if edge_order == 1:
            first = (at(1) - at(0)) / (x[1] - x[0])
            last = (at(-1) - at(-2)) / (x[-1] - x[-2])
        else:
            e1, e2 = x[1] - x[0], x[2] - x[1]
            first = (-(2 * e1 + e2) / (e1 * (e1 + e2)) * at(0) + (e1 + e2) / (e1 * e2) * at(1)
                     - e1 / (e2 * (e1 + e2)) * at(2))
            e1, e2 = x[-2] - x[-3], x[-1] - x[-2]
            last = (e2 / (e1 * (e1 + e2)) * at(-3) - (e2 + e1) / (e1 * e2) * at(-2)
                    + (2 * e2 + e1) / (e2 * (e1 + e2)) * at(-1))
    return S.cat([first, inner, last], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The derivative of ``input`` along each of ``dim`` by central differences (one-sided,
    of order ``edge_order``, at the edges), one tensor per dim."""
    need_tensor(input, "gradient")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        dims = list(range(input.ndim))
    elif isinstance(dim, int):
        dims = [norm_dim(dim, input.ndim)]
    else:
        dims = [norm_dim(d, input.ndim) for d in dim]
    if isinstance(spacing, (int, float, Tensor)) and not (
            isinstance(spacing, Tensor) and spacing.ndim):
        sp = [spacing] * len(dims)
    else:
        sp = list(spacing)
        if dim is None and len(sp) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or "
                               f"a list of length equal to 'self.dim() = {input.ndim}', since "
                               f"dim argument was not given, but got a list of length "
                               f"{len(sp)}")
        if len(sp) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                               f"it's spacing and dim arguments to have the same length, but "
                               f"got a spacing argument of length {len(sp)} and a dim argument "
                               f"of length {len(dims)}.")
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    f = input if input.dtype.is_floating_point or input.dtype.is_complex else \
        input.to(D.get_default_dtype())
    out = []
    for d, s in zip(dims, sp):
        if isinstance(s, Tensor) and s.ndim == 1:
            if s.shape[0] != input.shape[d]:
                raise RuntimeError(f"torch.gradient expected each tensor to be on the same "
                                   f"device and have the same size as the input along dim {d}")
            out.append(_grad_along(f, d, None, s, edge_order))
        else:
            h = s.item() if isinstance(s, Tensor) else s
            out.append(_grad_along(f, d, h, None, edge_order))
    return tuple(out)


# -- torch.histogramdd ---------------------------------------------------------------------

def histogramdd(input, bins, *, range=None, weight=None, density=False, out=None):
    """The ``D``-dimensional histogram of the rows of ``input`` (``[..., D]``): counts (or
    ``weight`` sums) per cell, and the edges of each dim's bins."""
    import math

    from ..return_types import make_return
    from .more_tensor import _bins_of, _num

    need_tensor(input, "histogramdd")
    _histogramdd_checks(input, bins, range, weight)
    nd = input.shape[-1]
    x = input.detach().reshape(-1, nd)
    xa = x.numpy(force=True)
    w = None if weight is None else weight.detach().reshape(-1).numpy(force=True)
    if isinstance(bins, int):
        bins = [bins] * nd
    edges = []
    for k, b in enumerate(bins):
        if isinstance(b, Tensor):
            edges.append(b.detach())
            continue
        if range is not None:
            lo, hi = float(range[2 * k]), float(range[2 * k + 1])
        elif xa.shape[0]:
            lo, hi = float(xa[:, k].min()), float(xa[:, k].max())
        else:  # NOTE: no data and no range: PyTorch's edges span [0, 1]
            lo, hi = 0.0, 1.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension {k}'s range [{_num(lo)}, "
                               f"{_num(hi)}] is not finite")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges.append(F.linspace(lo, hi, int(b) + 1, dtype=input.dtype, device=input.device))
    ea = [e.numpy(force=True) for e in edges]
    shape = tuple(len(e) - 1 for e in ea)
    keep = np.ones(xa.shape[0], bool)
    pos = []
    for k, e in enumerate(ea):
        v = xa[:, k]
        keep &= (v >= e[0]) & (v <= e[-1])
        if isinstance(bins[k], Tensor):
            p = np.searchsorted(e, v, side="right") - 1
        else:  # (even edges: PyTorch's linear interpolation, then a local search)
            p = _bins_of(v, e, local_search=True)[0]
        pos.append(np.clip(p, 0, len(e) - 2))
    flat = np.ravel_multi_index(tuple(p[keep] for p in pos), shape) if nd else np.zeros(0, int)
    hist = np.bincount(flat, weights=None if w is None else w[keep],
                       minlength=int(np.prod(shape))).reshape(shape)
    hist = hist.astype(input.dtype.np)
    if density:
        total = hist.sum()
        widths = np.ix_(*[np.diff(e) for e in ea])
        vol = 1
        for wd in widths:
            vol = vol * wd
        hist = (hist / (total * vol)).astype(input.dtype.np)
    h = F.tensor(hist, dtype=input.dtype, device=input.device)
    res = make_return("histogramdd", h, tuple(edges), names=("hist", "bin_edges"))
    if out is not None:
        from ._core import into_out

        into_out((h,), (out[0],))
        for o, e in zip(out[1], edges):
            into_out(e, o)
        return out
    return res


def _histogramdd_checks(input, bins, range, weight):
    """PyTorch's argument checks for ``histogramdd``, in its order."""
    from ._core import _legacy

    if input.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    nd = input.shape[-1]
    if range is not None and len(range) != 2 * nd:
        raise RuntimeError(f"torch.histogramdd: for a {nd}-dimensional histogram range should "
                           f"have {2 * nd} elements, but got {len(range)}")
    if input.dtype not in (D.float32, D.float64):
        raise NotImplementedError(f'"histogramdd" not implemented for '
                                  f"'{_legacy(input.dtype)}'")
    if not isinstance(bins, int) and len(bins) != nd:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.")
    if weight is not None:
        if weight.dtype is not input.dtype:
            names = {D.float32: "float", D.float64: "double", D.float16: "c10::Half",
                     D.bfloat16: "c10::BFloat16"}
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided, input tensor and weight "
                f"tensor should have the same dtype, but got input({names[input.dtype]}), and "
                f"weight({names.get(weight.dtype, _legacy(weight.dtype))})")
        if tuple(weight.shape) != tuple(input.shape[:-1]):
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided it should have the same shape "
                "as the input tensor excluding its innermost dimension, but got input with "
                f"shape {list(input.shape)} and weight with shape {list(weight.shape)}")
    for k in builtins.range(nd):
        b = bins if isinstance(bins, int) else bins[k]
        if not isinstance(b, Tensor) and int(b) + 1 < 1:
            raise RuntimeError(f"torch.histogramdd: bins tensor should have at least 1 element, "
                               f"but got {int(b) + 1} elements in the bins tensor for "
                               f"dimension {k}")
        if range is not None and not isinstance(b, Tensor) and range[2 * k] > range[2 * k + 1]:
            lo, hi = range[2 * k], range[2 * k + 1]
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{lo:g} max {hi:g} for dimension {k}")


# -- Tensor methods --------------------------------------------------------------------------

def _random_fill(method, name):
    def fill_(self, *args, generator=None):
        from .creation import _fill_random, _gen, _no_overlap

        check_inplace(self)
        from ._core import _mapped_hook

        if _mapped_hook is not None:  # (a vmap runs)
            from ..func._vmap import check_random_inplace

            check_random_inplace(self)
        _no_overlap(self)
        arr = getattr(_gen(generator, self._device), method)(self.numel(), self.dtype.np, *args)
        return _fill_random(self, arr, name)
    fill_.__name__ = method + "_"
    return fill_


def _cauchy_(self, median=0, sigma=1, *, generator=None):
    return _random_fill("cauchy", "CauchyBackward0")(self, median, sigma, generator=generator)


def _geometric_(self, p, *, generator=None):
    return _random_fill("geometric", "GeometricBackward0")(self, p, generator=generator)


def _log_normal_(self, mean=1, std=2, *, generator=None):
    return _random_fill("log_normal", "LogNormalBackward0")(self, mean, std,
                                                            generator=generator)


def _addmm_(self, mat1, mat2, *, beta=1, alpha=1):
    check_inplace(self)
    if isinstance(mat1, Tensor) and isinstance(mat2, Tensor) and mat1.ndim == 2 == mat2.ndim \
            and mat1.shape[1] == mat2.shape[0] and mat1.dtype is mat2.dtype:
        want = [mat1.shape[0], mat2.shape[1]]  # (PyTorch's in-place check, after its meta's)
        if list(self.shape) != want:
            raise RuntimeError(f"Bad in-place call: input tensor size {list(self.shape)} and "
                               f"output tensor size {want} should match")
    return commit(self, L.addmm(snapshot(self, mat1, mat2), mat1, mat2, beta=beta, alpha=alpha))


def _method(fn):
    def m(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    m.__name__ = getattr(fn, "__name__", "method")
    return m


_TORCH_INPLACE = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_",
    "arctan_", "arctanh_", "as_strided_", "asin_", "asinh_", "atan_", "atanh_", "ceil_",
    "cos_", "cosh_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_",
    "floor_", "frac_", "index_put_", "log10_", "log1p_", "log2_", "log_", "nan_to_num_",
    "neg_", "negative_", "reciprocal_", "resize_as_", "round_", "rsqrt_", "sigmoid_", "sin_",
    "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_")


def _torch_inplace(name):
    """``torch.<name>(input, ...)``: the Tensor method ``input.<name>(...)``."""
    def fn(input, *args, **kwargs):
        need_tensor(input, name)
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    return fn


def torch_inplace_functions():
    """The ``torch.X_`` functional spellings of in-place methods, by name."""
    return {n: _torch_inplace(n) for n in _TORCH_INPLACE if hasattr(Tensor, n)}


def install() -> None:
    for name in _FALSE_PROPERTIES:
        if name not in Tensor.__dict__:
            setattr(Tensor, name, property(lambda self: False))
    from .._tensor import refuse_attribute_writes

    refuse_attribute_writes()
    methods = {
        "absolute_": abs_inplace, "negative_": unary_inplace(P.neg),
        "arccosh": P.acosh, "arcsinh": P.asinh, "arctanh": P.atanh,
        "arccosh_": unary_inplace(P.acosh), "arcsinh_": unary_inplace(P.asinh),
        "arctanh_": unary_inplace(P.atanh), "arccos_": unary_inplace(P.acos),
        "arcsin_": unary_inplace(P.asin), "arctan_": unary_inplace(P.atan),
        "atan2_": tensor_other_inplace(P.atan2, "atan2_"),
        "arctan2_": tensor_other_inplace(P.atan2, "arctan2_"),
        "hypot_": tensor_other_inplace(P.hypot, "hypot_"), "xlogy_": inplace(P.xlogy),
        "greater_": inplace(P.gt), "greater_equal_": inplace(P.ge), "less_": inplace(P.lt),
        "less_equal_": inplace(P.le), "not_equal_": inplace(P.ne),
        "addmm_": _addmm_, "resize": resize, "resize_as": resize_as,
        "new_empty_strided": _new_empty_strided, "storage_type": _storage_type,
        "to_dense": _to_dense, "unsafe_chunk": _method(unsafe_chunk),
        "unsafe_split": _method(unsafe_split),
        "unsafe_split_with_sizes": _method(unsafe_split_with_sizes),
        "narrow_copy": _method(narrow_copy), "select_scatter": _method(select_scatter),
        "slice_scatter": _method(slice_scatter),
        "diagonal_scatter": _method(diagonal_scatter),
        "as_strided_scatter": _method(as_strided_scatter),
        "nonzero_static": _method(nonzero_static), "isreal": _method(isreal),
        "cauchy_": _cauchy_, "geometric_": _geometric_, "log_normal_": _log_normal_,
    }
    for name, fn in methods.items():
        if name not in Tensor.__dict__:  # never replace a method someone else has given it
            setattr(Tensor, name, fn)


install()
