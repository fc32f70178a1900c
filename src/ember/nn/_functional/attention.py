"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Both are composites of existing ops (``matmul``, ``masked_fill``, ``softmax``,
``dropout``, ``linear``), except where PyTorch runs its CPU flash kernel (float32 and the
half types, 4-D, no dropout): that kernel's forward and backward are reproduced bit for bit
(:mod:`._flash_cpu`), with its node ``ScaledDotProductFlashAttentionForCpuBackward0``.
Under autocast the op casts its inputs (a float mask too) and runs with autocast off inside.

Mask conventions, as PyTorch's (they are opposite to each other):

- ``scaled_dot_product_attention``: a boolean ``attn_mask`` is True where a query
  *may* attend; a float mask is added to the scores.
- ``MultiheadAttention`` and the transformer layers: a boolean mask is True where
  attention is *forbidden* (padding, future positions); a float mask is added.
  Boolean masks are turned into float ones (0 / -inf) by :func:`_canonical_mask`.
"""
from __future__ import annotations

import math
from ember._warnings import warn as _warn

from ... import _dtype as D
from ..._ops import creation, linalg
from ..._ops import shape as S
from ..._ops._core import _legacy
from ..._tensor import Tensor
from .activation import softmax
from .conv import _ctype
from .dropout import dropout
from .linear import linear
from .spatial import pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_NEG_INF = float("-inf")


# -- scaled dot product attention --------------------------------------------------------------

def _check_sdpa(query, key, value, attn_mask, is_causal):
    for pos, (name, t) in enumerate((("query", query), ("key", key), ("value", value)), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' (position "
                            f"{pos}) must be Tensor, not {type(t).__name__}")
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_ctype(query)} key.dtype: {_ctype(key)} and "
                           f"value.dtype: {_ctype(value)} instead.")
    if min(query.dim(), key.dim(), value.dim()) < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {query.dim()} key.dim: {key.dim()} and "
                           f"value.dim: {value.dim()} instead.")
    if attn_mask is not None:
        if attn_mask.dtype not in (D.bool, D.float32, query.dtype):
            raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query "
                               f"dtype, but got attn_mask.dtype: {_ctype(attn_mask)} and  "
                               f"query.dtype: {_ctype(query)} instead.")
    if query.dtype.is_complex:  # (PyTorch's math path: the scores' softmax refuses it)
        raise NotImplementedError('"softmax_lastdim_kernel_impl" not implemented for '
                                  f"'{_legacy(query.dtype)}'")
    if attn_mask is not None and attn_mask.dtype is D.bool and query.dtype.name in _INT_C:
        # (PyTorch's math path fills the masked scores, in the query's dtype, with -inf)
        raise RuntimeError(f"value cannot be converted to type {_INT_C[query.dtype.name]} "
                           "without overflow")
    if not query.dtype.is_floating_point:
        raise RuntimeError(f"expected scalar type Float but found {_legacy(query.dtype)}")


_INT_C = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
          "int64": "int64_t"}


def _repeat_heads(t, heads):
    """GQA: repeat each of ``t``'s heads (dim -3) so that there are ``heads`` of them."""
    n = t.size(-3)
    if heads % n:
        # (PyTorch's message stops short of its last word)
        raise RuntimeError("Number of heads in key and value must divide the number of heads "
                           "in ")
    return t if n == heads else t.repeat_interleave(heads // n, dim=-3)


def _safe_softmax(scores, dim=-1):
    """Softmax that gives 0 (not NaN) on rows that are all -inf, as PyTorch's SDPA does.

    The fully masked rows are zeroed before the softmax too, so that no NaN reaches the
    backward pass either.
    """
    dead = (scores == _NEG_INF).all(dim, keepdim=True)
    return softmax(scores.masked_fill(dead, 0.0), dim).masked_fill(dead, 0.0)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False) -> Tensor:
    """``softmax(Q @ K^T * scale + mask) @ V`` over the last two dims.

    Shapes: query (..., Hq, L, E), key (..., H, S, E), value (..., H, S, Ev) -> (..., Hq, L, Ev);
    the leading dims broadcast.  ``attn_mask`` broadcasts to (..., Hq, L, S): boolean True
    means *take part*, a float mask is added.  ``is_causal`` lets query i see keys 0..i (the
    upper-left triangle, also when L != S).  ``scale`` defaults to ``1/sqrt(E)``.
    ``enable_gqa`` repeats each key/value head to match the query's heads.  Dropout is
    applied whenever ``dropout_p > 0`` (pass 0.0 in evaluation).  Rows where every key is
    masked give zeros.

    >>> q = ember.randn(2, 4, 3, 8); k = v = ember.randn(2, 4, 5, 8)
    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
    torch.Size([2, 4, 3, 8])
    """
    from ...amp import autocast_mode as amp
    if amp.ON:
        # (autocast casts a float mask as well; the op runs with autocast off inside)
        query, key, value, attn_mask = amp.lower(query, key, value, attn_mask)
        with amp.excluded():
            return scaled_dot_product_attention(query, key, value, attn_mask, dropout_p,
                                                is_causal, scale, enable_gqa)
    _check_sdpa(query, key, value, attn_mask, is_causal)
    from ..attention import _check_viable
    _check_viable(query.device.type)
    if is_causal and attn_mask is not None and not _MATH_ONLY[0] and not (
            dropout_p <= 0.0 and _flash_ok(query, key, value, attn_mask, enable_gqa,
                                           query.dtype)):
        # (PyTorch's CPU flash kernel applies both, or refuses a negative p below; its math
        # kernel refuses the pair)
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if dropout_p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if dropout_p < 0 and not _MATH_ONLY[0] and _flash_ok(query, key, value, attn_mask,
                                                         enable_gqa, query.dtype):
        # (PyTorch picks its flash kernel for a negative p, which takes none but 0)
        raise RuntimeError("scaled_dot_product_attention_flash_attention: Currently do not "
                           "support dropout > 0")
    out_dtype = query.dtype
    if dropout_p == 0.0 and out_dtype in (D.float16, D.bfloat16) and not _MATH_ONLY[0] and \
            _flash_ok(query, key, value, attn_mask, enable_gqa, out_dtype):
        return _flash(query, key, value, attn_mask, is_causal, scale, enable_gqa)
    if out_dtype in (D.float16, D.bfloat16):
        # NOTE: as PyTorch's math kernel, half types are computed in float32 and rounded once.
        query, key, value = query.float(), key.float(), value.float()
        if attn_mask is not None and attn_mask.dtype != D.bool:
            attn_mask = attn_mask.float()
    if dropout_p == 0.0 and out_dtype is D.float32 and not _MATH_ONLY[0] and \
            _flash_ok(query, key, value, attn_mask, enable_gqa):
        out = _flash(query, key, value, attn_mask, is_causal, scale, enable_gqa)
        if out is not None:
            return out
    if dropout_p == 0.0 and out_dtype is D.float64 and not _MATH_ONLY[0] and \
            _flash_ok(query, key, value, attn_mask, enable_gqa, D.float64):
        return _flash_float64(query, key, value, attn_mask, is_causal, scale, enable_gqa)
    if enable_gqa:
        heads = query.size(-3)
        key = _repeat_heads(key, heads)
        value = _repeat_heads(value, heads)
    if scale is None:
        e = query.size(-1)
        scale = 1.0 / math.sqrt(e) if e else math.inf
    # As PyTorch's math kernel: both sides carry sqrt(scale), which keeps Q @ K^T in range.
    root = math.sqrt(abs(scale))
    scores = linalg.matmul(query * (-root if scale < 0 else root),
                           key.transpose(-2, -1) * root)
    if is_causal:
        L, Sk = scores.shape[-2], scores.shape[-1]
        keep = creation.ones((L, Sk), dtype=D.bool, device=scores.device).tril()
        scores = scores.masked_fill(keep.logical_not(), _NEG_INF)
    if attn_mask is not None:
        shape = S.broadcast_shapes(scores.shape, attn_mask.shape)
        if tuple(shape) != tuple(scores.shape):
            raise RuntimeError(f"output with shape {list(scores.shape)} doesn't match the "
                               f"broadcast shape {list(shape)}")
        if attn_mask.dtype == D.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), _NEG_INF)
        else:
            scores = scores + attn_mask
    weights = _safe_softmax(scores) if (is_causal or attn_mask is not None) else \
        softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    out = linalg.matmul(weights, value)
    return out if out.dtype == out_dtype else out.to(out_dtype)


def _flash_ok(query, key, value, attn_mask, gqa=False, dtype=None) -> bool:
    """Whether PyTorch runs this call through its CPU flash kernel (float32 here) and ember
    reproduces it (:mod:`._flash_cpu`): 4-D query/key/value of one batch size and head count,
    one head size, no dropout, a mask (not requiring grad) of 2 or 4 dims, each batch/head
    dim 1 or full and its last two 1 or full.  ``dtype=float64``: whether PyTorch runs its
    flash kernel for these float64 tensors (ember does not reproduce its bits there)."""
    import numpy as np

    from ..attention import _backends

    if not _backends._sdp["flash"]:  # (sdpa_kernel / enable_flash_sdp(False): math)
        return False
    ts = (query, key, value)
    if any(t.dim() != 4 or type(t._data) is not np.ndarray or t.dtype is not (dtype or D.float32)
           for t in ts):
        return False
    b, h, L, e = query.shape
    hk = key.shape[1]
    if gqa and (hk == 0 or value.shape[1] != hk or h % hk):  # (the math path's errors)
        return False
    if key.shape[0] != b or value.shape[0] != b or key.shape[2] != value.shape[2] or \
            (not gqa and hk != h) or value.shape[1] != hk:
        return False
    if attn_mask is not None and not attn_mask.requires_grad and attn_mask.dim() < 2:
        attn_mask.size(-2)  # (PyTorch's test reads it first: an IndexError)
    if key.shape[3] != e or value.shape[3] != e or min(b, h, L, e, key.shape[2]) == 0:
        return False
    if any(t.stride(-1) != 1 for t in ts):
        return False
    if attn_mask is not None:
        m = attn_mask
        if m.requires_grad or type(m._data) is not np.ndarray or m.dim() not in (2, 4) or \
                m.dtype not in (D.bool, D.float32, dtype or D.float32):
            return False
        if m.shape[-2] not in (1, L) or m.shape[-1] not in (1, key.shape[2]):
            return False
        if m.dim() == 4 and (m.shape[0] not in (1, b) or m.shape[1] not in (1, h)):
            return False
    return True  # (off the measured processor too: see _flash_cpu.supported)


def _flash_float64(query, key, value, attn_mask, is_causal, scale, gqa):
    """float64 attention that PyTorch runs through its flash kernel: the math kernel's values
    (to float64 rounding), shown as the flash node, whose gradients refuse a second backward
    as PyTorch's do."""
    from ..._ops._core import fused

    def math(q, k, v):
        _MATH_ONLY[0] = True
        try:
            return scaled_dot_product_attention(q, k, v, attn_mask, 0.0, is_causal, scale, gqa)
        finally:
            _MATH_ONLY[0] = False
    return fused("ScaledDotProductFlashAttentionForCpuBackward0", math, query, key, value,
                 refuse=("NotImplemented", _NO_DERIVATIVE, RuntimeError))


def _flash(query, key, value, attn_mask, is_causal, scale, gqa=False):
    """PyTorch's CPU flash attention in float32 (node ``ScaledDotProductFlashAttention
    ForCpuBackward0``), or None where a product is not reproduced."""
    import numpy as np

    from ..._ops._core import make, wrap
    from . import _flash_cpu

    mask = None
    if attn_mask is not None:
        md = attn_mask._data
        # a boolean mask becomes 0 / -inf first, as PyTorch converts it
        mask = np.where(md, np.float32(0), np.float32(-np.inf)) if md.dtype == np.bool_ \
            else md.astype(np.float32, copy=False)
        mask = mask.reshape((1, 1) * (mask.ndim == 2) + mask.shape)
    q, k, v = query._data, key._data, value._data
    rep = q.shape[1] // k.shape[1]
    # (a shared key/value head serves ``rep`` query heads in turn: the forward sees it
    # repeated, the backward adds their gradients into it)
    kr, vr = (np.repeat(t, rep, axis=1) if rep > 1 else t for t in (k, v))
    dev = query._device

    def laid(a, dtype=np.float32):  # the kernel's gradients: (B, L, H, E) memory seen as
        t = np.empty((a.shape[0], a.shape[2], a.shape[1], a.shape[3]), dtype)  # (B, H, L, E)
        t = t.transpose(0, 2, 1, 3)
        t[...] = a
        return t

    def as_query(a):  # (PyTorch's kernel allocates its output as ``empty_like(query)``)
        if a.shape != q.shape or q.strides[-1] != q.itemsize and q.shape[-1] != 1:
            return np.ascontiguousarray(a)
        from ..._ops.creation import _like_layout
        return _like_layout(query, np.ascontiguousarray(a), None)

    low = query.dtype in (D.float16, D.bfloat16)
    if low:  # (the half-type kernel, forward and backward)
        lowt = q.dtype
        q32, k32, v32 = (t.astype(np.float32) for t in (q, k, v))
        kr, vr = (np.repeat(t, rep, axis=1) if rep > 1 else t for t in (k32, v32))
        out, lse = _flash_cpu.forward(q32, kr, vr, mask, is_causal, scale, lowt)
        out = np.ascontiguousarray(out.astype(lowt))

        def low_rule(ctx, g):
            from ...autograd.grad_mode import STATE
            if type(g._data) is not np.ndarray:
                return _math_grads(query, key, value, attn_mask, is_causal, scale, g,
                                   STATE.enabled, gqa)
            got = _flash_cpu.backward(np.ascontiguousarray(g._data, np.float32), q32, k32, v32,
                                      out.astype(np.float32), lse, mask, is_causal, scale,
                                      lowt)
            if STATE.enabled:  # create_graph: as PyTorch, this backward has no derivative
                return tuple(make(laid(a, lowt), (g, query, key, value), "NotImplemented",
                                  _no_derivative, laid=True) for a in got)
            return tuple(wrap(laid(a, lowt), dev) for a in got)
        return make(as_query(out), (query, key, value),
                    "ScaledDotProductFlashAttentionForCpuBackward0", low_rule, laid=True)
    if not _flash_cpu.supported():
        return _math_as_flash(query, key, value, attn_mask, is_causal, scale, gqa, as_query,
                              laid)
    res = _flash_cpu.forward(q, kr, vr, mask, is_causal, scale)
    if res is None:  # (a product not reproduced: the math kernel's values, the flash node)
        return _math_as_flash(query, key, value, attn_mask, is_causal, scale, gqa, as_query,
                              laid)
    out, lse = res

    def rule(ctx, g):
        from ...autograd.grad_mode import STATE

        got = None
        if type(g._data) is np.ndarray:
            got = _flash_cpu.backward(np.ascontiguousarray(g._data, np.float32), q, k, v, out,
                                      lse, mask, is_causal, scale)
        if got is None:  # a product not reproduced: the math kernel's gradients
            return _math_grads(query, key, value, attn_mask, is_causal, scale, g,
                               STATE.enabled, gqa)
        if STATE.enabled:  # create_graph: as PyTorch, this backward has no derivative
            return tuple(make(laid(a), (g, query, key, value), "NotImplemented", _no_derivative,
                              laid=True) for a in got)
        return tuple(wrap(laid(a), dev) for a in got)

    # (the output laid out as the query is: C-ordered for a contiguous one)
    return make(as_query(out), (query, key, value),
                "ScaledDotProductFlashAttentionForCpuBackward0", rule, laid=True)


_MATH_ONLY = [False]  # set while the math kernel stands in for the flash one


def _math_as_flash(query, key, value, attn_mask, is_causal, scale, gqa, as_query, laid):
    """The flash kernel's call off the measured processor, where ember does not reproduce its
    products (:func:`._flash_cpu.supported`): the math kernel's values (within a few ulps of
    the flash kernel's) and gradients, with the flash kernel's node, output and gradient
    layouts, and no second derivative, as PyTorch's."""
    from ... import autograd
    from ..._ops._core import make, wrap
    from ...autograd.grad_mode import STATE, enable_grad, no_grad

    ins = [t.detach().requires_grad_(t.requires_grad) for t in (query, key, value)]
    want = [t for t in ins if t.requires_grad] if STATE.enabled else []
    _MATH_ONLY[0] = True
    try:
        with enable_grad() if want else no_grad():
            inner = scaled_dot_product_attention(*ins, attn_mask=attn_mask, is_causal=is_causal,
                                                 scale=scale, enable_gqa=gqa)
    finally:
        _MATH_ONLY[0] = False
    dev = query._device

    def rule(ctx, g):
        got = iter(autograd.grad(inner, want, g.detach(), retain_graph=True,
                                 allow_unused=True))
        grads = [next(got) if t.requires_grad else None for t in ins]
        if STATE.enabled:  # create_graph: as PyTorch, this backward has no derivative
            return tuple(None if a is None else
                         make(laid(a._data), (g, query, key, value), "NotImplemented",
                              _no_derivative, laid=True) for a in grads)
        return tuple(None if a is None else wrap(laid(a._data), dev) for a in grads)

    return make(as_query(inner._data), (query, key, value),
                "ScaledDotProductFlashAttentionForCpuBackward0", rule, laid=True)


def _no_derivative(ctx, g):
    raise RuntimeError(_NO_DERIVATIVE)


_NO_DERIVATIVE = ("derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward "
                  "is not implemented")


def _math_grads(query, key, value, attn_mask, is_causal, scale, g, create_graph, gqa):
    """The gradients of the math kernel (differentiable: a ``create_graph`` backward gets its
    graph), where the flash kernel's are not reproduced."""
    from ... import autograd
    from ...autograd.grad_mode import enable_grad

    ins = [t.detach().requires_grad_(t.requires_grad) for t in (query, key, value)]
    want = [t for t in ins if t.requires_grad]
    _MATH_ONLY[0] = True
    try:
        with enable_grad():
            out = scaled_dot_product_attention(*ins, attn_mask=attn_mask, is_causal=is_causal,
                                               scale=scale, enable_gqa=gqa)
    finally:
        _MATH_ONLY[0] = False
    got = iter(autograd.grad(out, want, g, create_graph=create_graph, allow_unused=True)
               if want else ())
    return tuple(next(got) if t.requires_grad else None for t in ins)


# -- masks -------------------------------------------------------------------------------------

def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A boolean mask (True = masked) as a float one of ``target_type`` (-inf = masked); a
    float mask as it is.  Warns, as PyTorch, when the two masks of a call differ in type."""
    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if mask.dtype != D.bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        _warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
              "same type for both instead.", UserWarning, stacklevel=2)
    if is_float:
        return mask
    return creation.zeros(tuple(mask.shape), dtype=target_type,
                          device=mask.device).masked_fill_(mask, _NEG_INF)


# -- multi-head attention ----------------------------------------------------------------------

def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the input is batched (3-D) or not (2-D); PyTorch's AssertionErrors otherwise."""
    if query.dim() not in (2, 3):
        raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.dim()}-D query tensor")
    batched = query.dim() == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    want = 3 if batched else 2
    if key.dim() != want or value.dim() != want:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {want}-D but "
                             f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != want - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{want - 1}-D but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or "
                                 f"3-D but found {attn_mask.dim()}-D tensor instead")
        if not batched and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
    return batched


def _project(query, key, value, embed_dim, in_proj_weight, in_proj_bias, separate, wq, wk, wv):
    """The input projections of queries, keys and values."""
    if separate:
        for what, w in (("q", wq), ("k", wk), ("v", wv)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {what}_proj_weight "
                                     "is None")
        bq = bk = bv = None
        if in_proj_bias is not None:
            bq, bk, bv = in_proj_bias.chunk(3)
        for name, w, b, t in (("query", wq, bq, query), ("key", wk, bk, key),
                              ("value", wv, bv, value)):
            if tuple(w.shape) != (embed_dim, t.size(-1)):
                raise AssertionError(f"expecting {name} weights shape of "
                                     f"{(embed_dim, t.size(-1))}, but got {w.shape}")
            if b is not None and tuple(b.shape) != (embed_dim,):
                raise AssertionError(f"expecting {name} bias shape of {(embed_dim,)}, but got "
                                     f"{b.shape}")
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
    if in_proj_weight is None:
        raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    if query is key and key is value:  # self-attention: one product for all three
        return linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
    if key is value:  # encoder-decoder attention: keys and values in one product
        sizes = [embed_dim, 2 * embed_dim]
        wq, wkv = in_proj_weight.split(sizes)
        bq, bkv = (None, None) if in_proj_bias is None else in_proj_bias.split(sizes)
        q = linear(query, wq, bq)  # (as PyTorch: the query's first, which shows in errors)
        k, v = linear(key, wkv, bkv).chunk(2, dim=-1)
        return q, k, v
    w = in_proj_weight.chunk(3)
    b = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
    return linear(query, w[0], b[0]), linear(key, w[1], b[1]), linear(value, w[2], b[2])


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """The computation of :class:`~ember.nn.MultiheadAttention` (sequence-first layout).

    query (L, N, E) or (L, E); key (S, N, Ek); value (S, N, Ev).  Returns the output
    (L, N, E) and, if ``need_weights``, the attention weights (N, L, S), or
    (N, num_heads, L, S) when ``average_attn_weights`` is False (unbatched: no N).
    Boolean masks are True where attention is forbidden.
    """
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        # NOTE: as PyTorch, the hint is trusted: the mask is dropped and SDPA masks causally.
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    q, k, v = _project(query, key, value, embed_dim, in_proj_weight, in_proj_bias,
                       use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight)
    src_len = key.shape[0]
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    def one_more_key(attn_mask, key_padding_mask):  # a column that is never masked
        return (None if attn_mask is None else pad(attn_mask, (0, 1)),
                None if key_padding_mask is None else pad(key_padding_mask, (0, 1)))

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = S.cat([k, bias_k.repeat(1, bsz, 1)])
        v = S.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask, key_padding_mask = one_more_key(attn_mask, key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    # heads: (len, N, E) -> (N * heads, len, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, bsz * num_heads, head_dim, "k")
    v = _heads(v, static_v, bsz * num_heads, head_dim, "v")
    if add_zero_attn:
        zeros = creation.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k = S.cat([k, zeros], dim=1)
        v = S.cat([v, zeros.to(v.dtype)], dim=1)
        attn_mask, key_padding_mask = one_more_key(attn_mask, key_padding_mask)
    src_len = k.size(1)

    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        kpm = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1) \
            .reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    if need_weights:
        # NOTE: the plain softmax, as PyTorch's: a query whose keys are all masked gets NaN.
        scores = linalg.bmm(q * math.sqrt(1.0 / float(head_dim)), k.transpose(-2, -1))
        if attn_mask is not None:
            if attn_mask.dtype != q.dtype:  # (PyTorch adds the mask by ``baddbmm``)
                raise RuntimeError(f"Input dtypes must be the same, got: input "
                                   f"{_ctype(attn_mask)}, batch1: {_ctype(q)}, batch2: "
                                   f"{_ctype(k)}")
            scores = scores + attn_mask
        weights = softmax(scores, dim=-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = linalg.bmm(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.shape[-1])  # explicit sizes: the batch may be empty
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, attn_mask.shape[-2], src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.shape[-1])
    return (out if batched else out.squeeze(1)), None


def _heads(t, static, n, head_dim, what):
    """(len, N, E) -> (N * heads, len, head_dim), or the given precomputed ``static`` one."""
    if static is None:
        return t.reshape(t.shape[0], n, head_dim).transpose(0, 1)
    if static.size(0) != n:
        raise AssertionError(f"expecting static_{what}.size(0) of {n}, but got {static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting static_{what}.size(2) of {head_dim}, but got "
                             f"{static.size(2)}")
    return static
