"""Attention and transformer layers: ``MultiheadAttention``, ``TransformerEncoderLayer``,
``TransformerEncoder``, ``TransformerDecoderLayer``, ``TransformerDecoder``, ``Transformer``.

Parameters are created and initialised in PyTorch's order, so that after the same
``manual_seed`` the weights are PyTorch's bit for bit.  The layers always compute what
PyTorch's general ("slow") path computes.  In evaluation without autograd PyTorch may take
fused fast paths instead, which agree to float rounding; ``MultiheadAttention``'s
(``torch._native_multi_head_attention``, which ``TransformerEncoderLayer``'s fused layer
runs too) is reproduced op for op (:func:`_native_attention`), so that evaluation gives
PyTorch's bits as well.  Otherwise:

- ``TransformerEncoder``'s nested-tensor path leaves zeros at padded positions: ember
  reproduces this (see :meth:`TransformerEncoder._padded_positions`).
- on those fast paths a query whose keys are all masked gives NaN (the slow path with
  ``need_weights=False`` gives zeros), and a float mask is read as boolean (any nonzero
  entry masks, where the slow path adds it): ember does the same on the same paths.
"""
from __future__ import annotations

import copy
import inspect
from ember._warnings import warn_once, warn_up

from ..._ops import creation
from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled
from .. import init
from .. import functional as F
from .._functional import activation as FA
from .._functional.attention import _canonical_mask, _none_or_dtype
from ..parameter import Parameter
from .activation import GELU, ReLU
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear, NonDynamicallyQuantizableLinear
from .module import Module
from .normalization import LayerNorm

__all__ = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
           "TransformerDecoderLayer", "TransformerDecoder", "Transformer"]


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of size ``embed_dim // num_heads`` each.

    Inputs are (L, N, E) (or (N, L, E) with ``batch_first``), or unbatched (L, E); keys
    and values may have other feature sizes (``kdim``, ``vdim``), which gives separate
    ``q/k/v_proj_weight`` instead of the packed ``in_proj_weight``.  ``forward`` returns
    ``(output, weights)``, weights averaged over heads unless ``average_attn_weights=False``,
    and None when ``need_weights=False``.  Boolean masks are True where attention is
    forbidden.

    >>> mha = MultiheadAttention(8, 2, batch_first=True)
    >>> x = ember.randn(3, 5, 8)
    >>> out, w = mha(x, x, x); out.shape, w.shape
    (torch.Size([3, 5, 8]), torch.Size([3, 5, 5]))
    """

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim="
                             f"{embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(creation.empty((3 * embed_dim, embed_dim), **kw))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(creation.empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(creation.empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(creation.empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        # Created (and so initialised, drawing from the generator) before the other weights.
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(creation.empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(creation.empty((1, 1, embed_dim), **kw))
        else:
            self.bias_k = self.bias_v = None  # NOTE: plain attributes, as in PyTorch
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def __setstate__(self, state):
        state.setdefault("_qkv_same_embed_dim", True)  # checkpoints of PyTorch 1.1
        super().__setstate__(state)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        # (a float mask, as given, keeps PyTorch off its fused kernel; a fused encoder layer,
        # whose masks are floats by then, runs that kernel itself)
        float_mask = not _FUSED_LAYER[0] and (
            (attn_mask is not None and attn_mask.is_floating_point())
            or (key_padding_mask is not None and key_padding_mask.is_floating_point()))
        batched = query.dim() == 3
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                           _none_or_dtype(attn_mask), "attn_mask", query.dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if self._fast_path_checks(query, key, value, batched, float_mask) and \
                type(query._data).__module__ == "numpy":
            # PyTorch's fused kernel (eval, no autograd, batch-first self-attention): its own
            # arithmetic (see ``_native_attention``)
            return _native_attention(self, query, need_weights, average_attn_weights,
                                     attn_mask, key_padding_mask)
        if query.is_nested or key.is_nested or value.is_nested:
            raise AssertionError("MultiheadAttention does not support NestedTensor outside of "
                                 "its fast path.")
        if self.batch_first and batched:
            # (N, L, E) -> (L, N, E), keeping which of query, key and value are one tensor
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = query.transpose(1, 0), key.transpose(1, 0)
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        return out, weights

    def _fast_path_checks(self, query, key, value, batched, float_mask=False):
        """PyTorch's tests of whether its fused kernel could run, in its order: ember has no
        such kernel, but a ``__torch_function__`` subclass sees the tensor attributes they
        read (``query.dtype``, ``query.is_nested``), so they are read here as there.
        ``float_mask``: a floating-point mask was given (tested first, refusing after the
        attribute tests)."""
        if not _fastpath_enabled() or not batched or query is not key or key is not value:
            return False
        if self.in_proj_bias is not None and query.dtype != self.in_proj_bias.dtype:
            return False
        if self.in_proj_weight is None or query.dtype != self.in_proj_weight.dtype:
            return False
        if self.training or self.num_heads % 2 or not self.batch_first or \
                self.bias_k is not None or self.bias_v is not None or self.add_zero_attn or \
                not self._qkv_same_embed_dim:
            return False
        query.is_nested  # noqa: B018  (read, as PyTorch's test reads it)
        from ...amp import autocast_mode

        if autocast_mode.is_autocast_enabled() or float_mask:
            return False
        args = (query, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
                self.out_proj.bias)
        if any(t is not None and type(t) not in (Tensor, Parameter) for t in args):
            return False  # (a subclass: PyTorch's has_torch_function)
        if is_grad_enabled() and any(t is not None and t.requires_grad for t in args):
            return False
        return self.in_proj_bias is not None

    def merge_masks(self, attn_mask, key_padding_mask, query):
        """One mask and its type from the two: 0 = attn_mask only, 1 = key_padding_mask only,
        2 = both, summed into shape (N, num_heads, L, L).  ``query`` is (N, L, E)."""
        if attn_mask is None:
            return key_padding_mask, (None if key_padding_mask is None else 1)
        n, L, _ = query.shape
        if attn_mask.dim() == 3:
            merged = attn_mask.view(n, -1, L, L)
        else:
            merged = attn_mask.view(1, 1, L, L).expand(n, self.num_heads, -1, -1)
        if key_padding_mask is not None:
            merged = merged + key_padding_mask.view(n, 1, 1, L).expand(-1, self.num_heads, -1,
                                                                        -1)
        return merged, 2


# Whether a ``TransformerEncoderLayer`` is running as PyTorch's fused layer
# (``_transformer_encoder_layer_fwd``), whose attention is the fused kernel's, masks and all.
_FUSED_LAYER = [False]
# Where a ``TransformerEncoder`` runs its layers as PyTorch's nested-tensor path: the (B, T)
# boolean tensor of the positions its nested tensor holds (else None).
_NESTED = [None]


def _rows(fn, x):
    """``fn`` of ``x`` (B, T, E); on PyTorch's nested-tensor path, of the rows its nested
    tensor holds only, in one product (as its products run on the packed rows), zeros at the
    other positions."""
    keep = _NESTED[0]
    if keep is None:
        return fn(x)
    got = fn(x[keep])
    out = creation.zeros(tuple(x.shape[:2]) + tuple(got.shape[1:]), dtype=got.dtype,
                         device=got.device)
    out[keep] = got
    return out


def _native_attention(mha, x, need_weights, average, attn_mask=None, key_padding_mask=None):
    """PyTorch's fused ``_native_multi_head_attention`` on the CPU, op for op: ``x @ W_in^T``
    without the bias, then ``q = (q + b_q) * (1 / sqrt(head_dim))`` (the factor formed from the
    float32 square root, rounded to float32), ``k + b_k``, ``v + b_v`` as (B, H, T, hd)
    arrays, ``softmax(bmm(q, k^T))``, ``bmm`` with ``v``, heads back to (B*T, D) and
    ``linear`` with the output projection.  The averaged weights are the heads' sum divided
    by their count (the slow path takes their mean).  A mask (the two merged as PyTorch
    merges them) is read as boolean, any nonzero entry masking, and the softmax is then
    PyTorch's masked one (:func:`_masked_softmax`): a row with every key masked gives NaN.
    It rounds otherwise than the slow path (which adds the bias inside one ``linear`` and
    scales later, or runs the flash kernel), so PyTorch's results in evaluation differ from
    its own training-mode ones in the last bits; ember follows each."""
    import numpy as np

    from ..._ops import linalg

    b, t, d = x.shape
    h = mha.num_heads
    hd = d // h
    qkv = _rows(lambda u: linalg.matmul(u, mha.in_proj_weight.t()), x)
    parts = qkv.split(d, -1)
    bias = mha.in_proj_bias.split(d)
    # (``1 / sqrt(hd)`` in the input's type: float32's from its float32 square root)
    inv = 1.0 / np.sqrt(hd) if x.dtype.itemsize == 8 else \
        float(np.float32(1.0 / np.sqrt(np.float32(hd))))

    def heads(u):
        return u.reshape(b, t, h, hd).permute(0, 2, 1, 3).contiguous().view(b * h, t, hd)
    q = heads((parts[0] + bias[0]) * inv)
    k = heads(parts[1] + bias[1])
    v = heads(parts[2] + bias[2])
    scores = linalg.bmm(q, k.transpose(1, 2))
    merged, kind = mha.merge_masks(attn_mask, key_padding_mask, x)
    if merged is None:
        weights = F.softmax(scores, -1)
    else:
        m = merged._data != 0
        m = m[:, None, None, :] if kind == 1 else m if m.ndim == 4 else m[None, None] \
            if m.ndim == 2 else m.reshape(b, -1, t, t)
        m = np.broadcast_to(m, (b, h, t, t)).reshape(b * h, t, t)
        if _NESTED[0] is not None:  # (the nested-tensor path: padded keys -inf, a plain softmax)
            weights = F.softmax(scores.masked_fill(_wrap_like(scores, m), float("-inf")), -1)
        else:
            weights = _wrap_like(scores, _masked_softmax(scores._data, m))
    ctx = linalg.bmm(weights, v).view(b, h, t, hd).permute(0, 2, 1, 3).contiguous()
    w, wb = mha.out_proj.weight, mha.out_proj.bias
    if _NESTED[0] is None:
        out = F.linear(ctx.view(b * t, d), w, wb).view(b, t, d)
    else:
        out = _rows(lambda u: F.linear(u, w, wb), ctx.view(b, t, d))
    if not need_weights:
        return out, None
    weights = weights.view(b, h, t, t)
    if average:
        weights = weights.sum(1) / h
    return out, weights


def _masked_softmax(s, masked):
    """PyTorch's CPU ``_masked_softmax`` of float32 rows ``s`` (True in ``masked``: left out),
    a scalar loop: the maximum of the kept entries, ``expf(x - max)`` (the C library's),
    their sum in float64 in order, each times ``1 / sum`` in float64, rounded once.  Float64
    rows: the same loop in float64 (results in their dtype)."""
    import numpy as np

    from ..._ops import _sleef

    keep = ~masked
    if s.dtype == np.float64:  # (double rows: the same loop, all in double)
        with np.errstate(all="ignore"):
            mx = np.where(keep, s, -np.inf).max(axis=-1, keepdims=True)
            z = np.where(keep, np.exp(s - mx), 0.0)
            total = np.zeros(s.shape[:-1], s.dtype)
            for j in range(s.shape[-1]):
                total += z[..., j]
            return (z * (1.0 / total)[..., None]).astype(s.dtype)
    with np.errstate(all="ignore"):
        mx = np.where(keep, s, -np.inf).max(axis=-1, keepdims=True).astype(np.float32)
        z = np.where(keep, _sleef.c_exp((s - mx).astype(np.float32)), np.float32(0))
        total = np.zeros(s.shape[:-1], np.float64)
        for j in range(s.shape[-1]):
            total += z[..., j]
        return (z.astype(np.float64) * (1.0 / total)[..., None]).astype(np.float32)


def _wrap_like(t, arr):
    from ..._ops._core import wrap

    return wrap(arr, t._device)


# -- transformer ---------------------------------------------------------------------------------

def _activation(activation):
    """The layer's activation: ``F.relu`` / ``F.gelu`` by name, and those (not the functions
    behind them, which are the defaults here) for ``FA.relu`` / ``FA.gelu``."""
    if isinstance(activation, str):
        if activation == "relu":
            return F.relu
        if activation == "gelu":
            return F.gelu
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    plain = inspect.unwrap(activation) if callable(activation) else None
    if plain is inspect.unwrap(F.relu):
        return F.relu
    if plain is inspect.unwrap(F.gelu):
        return F.gelu
    return activation


def _generate_square_subsequent_mask(sz, device=None, dtype=None):
    return creation.full((sz, sz), float("-inf"), dtype=dtype, device=device).triu(diagonal=1)


def _detect_is_causal_mask(mask, is_causal=None, size=None):
    """``is_causal`` if given; otherwise whether ``mask`` is exactly the causal float mask."""
    if is_causal is not None or mask is None:
        return is_causal is True
    sz = size if size is not None else mask.size(-2)
    causal = _generate_square_subsequent_mask(sz, device=mask.device, dtype=mask.dtype)
    if tuple(mask.shape) != tuple(causal.shape):
        return False
    return bool((mask == causal).all())


def _seq_len(src, batch_first):
    # (reading what PyTorch's reads: ``src.is_nested``, ``src.size()``)
    if src.is_nested:
        return None
    size = src.size()
    return size[0] if len(size) == 2 else size[1 if batch_first else 0]


def _fastpath_enabled():
    """``torch.backends.mha.get_fastpath_enabled()`` where ember has it (else True)."""
    from ... import backends

    mha = getattr(backends, "mha", None)
    return mha is None or bool(mha.get_fastpath_enabled())


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each with a residual connection and a
    LayerNorm (after the sum, or before the sublayer with ``norm_first``).

    >>> layer = TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16)
    >>> layer(ember.rand(5, 3, 8)).shape
    torch.Size([5, 3, 8])
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=FA.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        activation = _activation(activation)
        # 1 for relu, 2 for gelu, 0 otherwise (PyTorch's fast path reads it)
        # (F.relu may be a wrapper of FA.relu: argument checks, __torch_function__ dispatch)
        plain = inspect.unwrap(activation) if callable(activation) else activation
        if plain is inspect.unwrap(FA.relu) or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif plain is inspect.unwrap(FA.gelu) or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "activation"):
            self.activation = F.relu

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _none_or_dtype(src_mask), "src_mask", src.dtype)
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype, False)
        fused = self._fast_path_checks(src, src_mask, src_key_padding_mask)
        before, _FUSED_LAYER[0] = _FUSED_LAYER[0], fused
        try:
            x = src
            if fused:
                # PyTorch's fused layer adds each residual into its block's output in place,
                # in that output's dtype (the low one under autocast)
                if self.norm_first:
                    x = self._sa_block(self.norm1(x), src_mask, src_key_padding_mask,
                                       is_causal).add_(x)
                    x = _rows(self._ff_block, self.norm2(x)).add_(x)
                else:
                    x = self.norm1(self._sa_block(x, src_mask, src_key_padding_mask,
                                                  is_causal).add_(x))
                    x = self.norm2(_rows(self._ff_block, x).add_(x))
            elif self.norm_first:
                x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
                x = x + self._ff_block(self.norm2(x))
            else:
                x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
                x = self.norm2(x + self._ff_block(x))
        finally:
            _FUSED_LAYER[0] = before
        return x

    def _fast_path_checks(self, src, src_mask=None, src_key_padding_mask=None):
        """PyTorch's tests of whether its fused layer runs (reading the tensor attributes
        they read, see ``MultiheadAttention._fast_path_checks``): True where it does."""
        attn = self.self_attn
        if not _fastpath_enabled() or src.dim() != 3 or self.training or not attn.batch_first or \
                attn.in_proj_bias is None or not attn._qkv_same_embed_dim or \
                not self.activation_relu_or_gelu or self.norm1.eps != self.norm2.eps:
            return False
        if src.is_nested and (src_key_padding_mask is not None or src_mask is not None):
            return False
        from ...amp import autocast_mode

        if attn.num_heads % 2 or autocast_mode.is_autocast_enabled() or any(
                m._forward_hooks or m._forward_pre_hooks for m in self.modules()):
            return False
        args = (src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight,
                attn.out_proj.bias, self.norm1.weight, self.norm1.bias, self.norm2.weight,
                self.norm2.bias, self.linear1.weight, self.linear1.bias, self.linear2.weight,
                self.linear2.bias)
        if any(t is not None and type(t) not in (Tensor, Parameter) for t in args):
            return False
        return not (is_grad_enabled() and any(t is not None and t.requires_grad for t in args))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's ``memory``, then a feed-forward network,
    each with a residual connection and a LayerNorm.

    >>> layer = TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16)
    >>> layer(ember.rand(4, 3, 8), ember.rand(5, 3, 8)).shape
    torch.Size([4, 3, 8])
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=FA.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                            batch_first=batch_first, bias=bias, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                 batch_first=batch_first, bias=bias, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def __setstate__(self, state):
        state.setdefault("activation", F.relu)
        super().__setstate__(state)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    _sa_block = TransformerEncoderLayer._sa_block

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _clones(module, n):
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _why_no_nested_tensor(layer):
    """Why PyTorch's TransformerEncoder would not use nested tensors with ``layer`` ("" if it
    would)."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    attn = layer.self_attn
    if layer.norm_first:
        return f"{name}.norm_first was True"
    if not attn.batch_first:
        return (f"{name}.self_attn.batch_first was not True(use batch_first for better "
                "inference performance)")
    if not attn._qkv_same_embed_dim:
        return f"{name}.self_attn._qkv_same_embed_dim was not True"
    if attn.in_proj_bias is None:
        return f"{name}.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return f"{name}.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
    if attn.num_heads % 2 == 1:
        return f"{name}.self_attn.num_heads is odd"
    return ""


def _left_aligned(keep):
    """Whether each row of the boolean (N, S) ``keep`` is some Trues followed by Falses."""
    n = keep.long().sum(dim=1, keepdim=True)
    pos = creation.arange(keep.shape[1], device=keep.device)
    return bool((keep == (pos < n)).all())


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` (deep copies: same initial weights), then
    the optional ``norm``.

    >>> enc = TransformerEncoder(TransformerEncoderLayer(8, 2, 16, batch_first=True), 2)
    >>> enc(ember.rand(3, 5, 8)).shape
    torch.Size([3, 5, 8])
    """

    __constants__ = ["norm"]

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why = _why_no_nested_tensor(encoder_layer)
        if enable_nested_tensor and why:
            # (at nn.Transformer's line when it builds the encoder: PyTorch's stacklevel=2)
            warn_up(f"enable_nested_tensor is True, but self.use_nested_tensor is False "
                    f"because {why}")
            self.use_nested_tensor = False

    def _padded_positions(self, src, mask, key_padding_mask):
        """Where PyTorch's nested-tensor path would leave zeros, or None if it is not taken.

        NOTE: in evaluation without autograd, PyTorch runs a batch-first encoder given only a
        (left-aligned) key padding mask on nested tensors and pads the result with zeros: the
        outputs at padded positions are 0 (before ``norm``), not what the layers compute
        there.  ember runs the layers on the tokens that nested tensor holds, padded to the
        longest sequence, their products on the held rows only (:func:`_rows`), and pads
        the result with zeros to match.
        """
        first = self.layers[0]
        if not (_fastpath_enabled() and getattr(self, "use_nested_tensor", False)) or \
                first.training or src.dim() != 3 or key_padding_mask is None or \
                mask is not None:
            return None
        keep = key_padding_mask.logical_not()  # a float mask: only 0.0 means "keep"
        if getattr(self, "mask_check", True) and not _left_aligned(keep):
            return None
        if is_grad_enabled():
            attn = first.self_attn
            tensors = [src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight,
                       attn.out_proj.bias]
            for m in (first.norm1, first.norm2, first.linear1, first.linear2):
                tensors += [m.weight, m.bias]
            if any(t is not None and t.requires_grad for t in tensors):
                return None
        return keep.logical_not()

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _none_or_dtype(mask), "mask", src.dtype)
        mask = _canonical_mask(mask, "mask", None, "", src.dtype, False)
        padded = self._padded_positions(src, mask, src_key_padding_mask)
        batch_first = self.layers[0].self_attn.batch_first
        is_causal = _detect_is_causal_mask(mask, is_causal, _seq_len(src, batch_first))
        output = src
        if padded is not None:
            # (PyTorch builds a strided nested tensor here, which warns once per process)
            warn_once("nested_prototype", "The PyTorch API of nested tensors is in prototype "
                      "stage and will change in the near future. We recommend specifying "
                      "layout=torch.jagged when constructing a nested tensor, as this layout "
                      "receives active development, has better operator coverage, and works "
                      "with torch.compile.", cpp="aten/src/ATen/NestedTensorImpl.cpp:177")
            # PyTorch's nested tensor holds the first n tokens of each sequence (n: how many
            # the mask keeps, wherever they are) and pads them to the longest; the padded keys
            # are dropped outright, also where a float mask has a finite nonzero entry there
            n = padded.logical_not().sum(1)
            if not n.numel():
                raise RuntimeError("stack expects a non-empty TensorList")
            t = int(n.max())
            if not t:
                raise RuntimeError("to_padded_tensor: at least one constituent tensor should "
                                   "have non-zero numel")
            held = creation.arange(t, device=src.device) < n.unsqueeze(1)
            output = creation.zeros((src.shape[0], t, src.shape[2]), dtype=src.dtype,
                                    device=src.device)
            output[held] = src[:, :t][held]
            src_key_padding_mask = creation.zeros(tuple(held.shape), dtype=src.dtype,
                                                  device=src.device).masked_fill_(
                held.logical_not(), float("-inf"))
        before, _NESTED[0] = _NESTED[0], (None if padded is None else held)
        try:
            for mod in self.layers:
                output = mod(output, src_mask=mask, is_causal=is_causal,
                             src_key_padding_mask=src_key_padding_mask)
        finally:
            _NESTED[0] = before
        if padded is not None:  # (the nested result padded with zeros to the input's size)
            full = creation.zeros(tuple(src.shape), dtype=output.dtype, device=src.device)
            full[:, :t] = output.masked_fill(held.logical_not().unsqueeze(-1), 0.0)
            output = full
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` (deep copies), then the optional ``norm``.

    >>> dec = TransformerDecoder(TransformerDecoderLayer(8, 2, 16), 2)
    >>> dec(ember.rand(4, 3, 8), ember.rand(5, 3, 8)).shape
    torch.Size([4, 3, 8])
    """

    __constants__ = ["norm"]

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        seq_len = _seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder model of "Attention Is All You Need".

    After building both stacks, every weight matrix (every parameter of two or more
    dimensions) is re-drawn with ``xavier_uniform_``, as PyTorch does.

    >>> model = Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
    ...                     dim_feedforward=16, batch_first=True)
    >>> model(ember.rand(3, 5, 8), ember.rand(3, 4, 8)).shape
    torch.Size([3, 4, 8])
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation=FA.relu, custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                            layer_norm_eps, batch_first, norm_first, bias, **kw)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                            layer_norm_eps, batch_first, norm_first, bias, **kw)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batched = src.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if batched and src.size(batch_dim) != tgt.size(batch_dim):
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.size(-1) != self.d_model or tgt.size(-1) != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None) -> Tensor:
        """A (sz, sz) float mask: -inf above the diagonal (the future), 0 elsewhere."""
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)

