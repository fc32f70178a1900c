"""PyTorch's float32 ``nn.LSTM`` on padded CPU input: oneDNN's LSTM, forward and backward,
bit for bit.

PyTorch 2.13 sends a float32 LSTM without projections, on the CPU, with oneDNN enabled
(``torch.backends.mkldnn.enabled``), given a padded (not packed) input with elements, to
oneDNN (``mkldnn_rnn``), one call per layer and direction. Measured black-box on this
processor (AVX-512; random operands compared element by element with candidate orders
emulated with exact float32 FMAs), each step ``t`` of one layer and direction runs:

- ``L = x_t W_ih^T``: each gate pre-activation one FMA chain from +0 over the input
  features in ascending order (the layer product of all steps at once);
- ``R = h_{t-1} W_hh^T``: a second FMA chain from +0 over the hidden units, ascending;
- ``z = (L + R) + (b_ih + b_hh)``: two rounded adds (the two biases summed once first);
  but where the layer has as many input features as hidden units (``F == H``: a first
  layer so built, or any later unidirectional layer), the batch holds more than one
  sequence (or the input is one step of one) and gradient mode is off (oneDNN's
  inference forward; with gradient mode on PyTorch asks for the training forward, which
  keeps the two chains), ``L + R`` is instead one FMA chain from +0 over
  ``(x_t, h_{t-1})`` concatenated, the input first;
- ``i, f, o = sigmoid(z_i, z_f, z_o)``, ``g = tanh(z_g)`` with oneDNN's own functions
  (below); ``c_t = fma(i, g, f * c_{t-1})``; ``h_t = o * tanh(c_t)``.

oneDNN's sigmoid: ``e = exp(-|x|)`` (oneDNN's exp, ``ember._ops._sleef.exp_onednn``),
``s = e / (e + 1)``, and ``1 - s`` for positive ``x``. oneDNN's tanh (AVX-512): the odd
function of ``|x|``; ``|x|`` itself below ``0x39ddb3d7``, 1 from ``0x41102cb3`` on, between
them a degree-6 polynomial (Horner, FMAs) in ``|x| - base`` where ``base`` keeps the top 10
bits of ``|x|``: the polynomial of each half binade is one of 32 in a table (the numbers of
oneDNN's published, Apache-2.0 source, written out below).

oneDNN's training forward (PyTorch asks for it whenever gradient mode is on) differs in
its products: a batch of one sums one chain over ``(x_t, h_{t-1})`` (whatever ``F`` and
``H``), and a chain longer than 384 products is cut into two equal halves (the first one
longer by one for an odd length), each summed from +0, the second added to the first
(``L + R1``, then ``+ R2``, for the recurrent product). Not mapped (:func:`mapped` says
False, the caller keeps ember's own loop): three or more blocks (``F`` or ``H`` over 768;
not equal thirds, measured), a batch of one whose ``F + H`` exceeds 384, and one step of a
batch of one (e.g. ``F = 300, H = 20`` sums otherwise, forward and backward).

The backward (oneDNN's, for the training forward; :func:`lstm_layer_backward`), measured
the same way, steps in the reverse of the forward's order:

- ``dh = dout_t + dh_next``; with ``tc = tanh(c_t)`` (oneDNN's tanh),
  ``dc = dc_next + (fma(-tc, tc, 1) * dh) * o``;
- ``dG_o = (fma(-o, o, o) * dh) * tc``, ``dG_i = (fma(-i, i, i) * dc) * g``,
  ``dG_f = (fma(-f, f, f) * dc) * c_{t-1}``, ``dG_g = fma(-g, g, 1) * (i * dc)``;
  ``dc_next = dc * f``; ``dh_next = dG W_hh``, one chain over the 4H gates;
- ``db`` (both biases' gradient): the rows of ``dG`` added one at a time from +0, in the
  backward's step order, rows ascending;
- after the loop: ``dx = dG W_ih`` (chains over 4H), ``dW_ih = dG^T x`` one chain over
  the steps (in the forward's order) and rows; ``dW_hh = dG^T h_prev``: left to right one
  chain over every step but the first plus the first step's own, right to left one chain
  over all the steps.
- Every chain longer than 384 is cut in two halves as in the training forward; a batch of
  one cuts its ``dG W_hh`` in halves from 256 products on where PyTorch runs more than
  one thread (``ember._ops._cascade``'s count; one chain on one thread).

:func:`mapped_backward` says where these hold: chains of at most 768 (``steps * batch``
included), a batch of one with ``4H`` at most 512 (and, from 256 on, PyTorch on one or two
threads). Elsewhere the values are still oneDNN's and the gradients come from ember's own
loop (close, not the same bits): a weight gradient over 800 rows matched no split tried;
one hidden unit, and the input's gradient for one input feature (summed otherwise: no
lane split tried matched), are not mapped either. Not
reproduced either (the caller keeps its own path): bfloat16/float16, dropout between
layers while training, other processors. PyTorch's thread count (1 or 2) changed none of
the measured orders but that one.
"""
from __future__ import annotations

import functools

import numpy as np

from ... import _blas
from ..._ops import _cascade, _onednn_conv
from ..._random import _fma32
from ..._ops._sleef import exp_onednn

__all__ = ["sigmoid", "tanh", "lstm_layer", "lstm_layer_backward", "lstm", "mapped",
           "mapped_backward", "emulated"]

_F32 = np.float32


def emulated() -> bool:
    """Whether PyTorch's oneDNN LSTM sums and rounds here as this module does: measured on
    the AMD processor and on the Intel one (family 6 model 167: the same AVX-512 kernels,
    checked on ~300 random layers, forward and backward, every mapped shape bit for bit) of
    :func:`ember._ops._mkl_gemm.profile`, where oneDNN's convolutions hold too."""
    return _onednn_conv.emulated()


def _b(*h):
    return np.array(h, np.uint32).view(_F32)


# oneDNN's tanh: coefficient d (of r**d) of the polynomial of each of the 32 half binades
_T0 = (
    0x00000000, 0x39bfffff, 0x39ffffff, 0x3a3ffffe, 0x3a7ffffb, 0x3abffff7, 0x3affffeb,
    0x3b3fffdc, 0x3b7fffab, 0x3bbfff70, 0x3bfffeab, 0x3c3ffdc0, 0x3c7ffaab, 0x3cbff701,
    0x3cffeaad, 0x3d3fdc08, 0x3d7faacd, 0x3dbf7081, 0x3dfeacc9, 0x3e3dc7fd, 0x3e7acbf5,
    0x3eb77a9f, 0x3eec9a9f, 0x3f22991f, 0x3f42f7d6, 0x3f67b7cc, 0x3f76ca83, 0x3f7ebbe9,
    0x3f7fd40c, 0x3f7fff32, 0x3f7ffffc, 0x3f800000,
)
_T1 = (
    0x3f800000, 0x3f800018, 0x3f7fffe8, 0x3f7fffda, 0x3f7fffdc, 0x3f7fffdc, 0x3f7fffac,
    0x3f7fff70, 0x3f7ffeec, 0x3f7ffdc0, 0x3f7ffbed, 0x3f7ff704, 0x3f7feff5, 0x3f7fdbca,
    0x3f7fbfff, 0x3f7f7041, 0x3f7f009b, 0x3f7dc36c, 0x3f7c0aa8, 0x3f7734b8, 0x3f70a4de,
    0x3f5f1fd8, 0x3f495493, 0x3f18b9ec, 0x3ed706cb, 0x3e390b06, 0x3d90b11f, 0x3c21a053,
    0x3aaf7fdb, 0x37ccc1a3, 0x355c6733, 0x00000000,
)
_T2 = (
    0x00000000, 0xbe4e0ff1, 0x3d25b1b1, 0x3d6b6dab, 0x3c9fb1d5, 0xbabff06f, 0x3c07b3f6,
    0xbb3fc1bc, 0x3a9f5921, 0xbbbf06f2, 0xbbb0f402, 0xbc47db9e, 0xbc73d5e7, 0xbca25bda,
    0xbcfca780, 0xbd40e07c, 0xbd7dab03, 0xbdbe4a0f, 0xbdfb14a5, 0xbe36cc8d, 0xbe6bd102,
    0xbe9fe7c5, 0xbeba0f10, 0xbec206a8, 0xbea3c388, 0xbe277d62, 0xbd8b7960, 0xbc209f49,
    0xbaad44ca, 0xb7c6eeac, 0xb663aa41, 0x00000000,
)
_T3 = (
    0x00000000, 0x45b3ae96, 0xc414eb20, 0xc450e02e, 0xc3152b4e, 0xbead2f56, 0xc2162e02,
    0xbeb4bd5a, 0xc11a59a4, 0xbed2f507, 0xc020d32c, 0x3dd0f506, 0xbf2a75e2, 0xbff950e3,
    0xbed47334, 0xbe809b8c, 0xbeb64532, 0xbe961a5b, 0xbe9b63ac, 0xbea0d4b2, 0xbe828a77,
    0xbe378612, 0xbdc20908, 0x3d2d3957, 0x3dd46e89, 0x3db3f629, 0x3d2c5e7b, 0x3bd20403,
    0x3a59dfae, 0x3770af45, 0x372cc014, 0x00000000,
)
_T4 = (
    0x00000000, 0xcc981a1b, 0x4a7edd3d, 0x4ab1007c, 0x48fedd9c, 0x41a557b5, 0x477ee32a,
    0x422557f5, 0x45ff3ce4, 0x42a55641, 0x446e0867, 0xc33dc19a, 0x42915214, 0x43af4fad,
    0x4110fe88, 0xc1099b75, 0x3fc8a8dc, 0xbfbeaef5, 0xbe365aad, 0x3f4d9652, 0x3ddfa08f,
    0x3e34e9b8, 0x3e2d07a6, 0x3dc63567, 0x3cdaeb78, 0xbcd17537, 0xbc92829c, 0xbb43ab99,
    0xb9b471dd, 0xb6baad5a, 0xb78bafc7, 0x00000000,
)
_T5 = (
    0x00000000, 0x52f688d5, 0xd0505c72, 0xd08f98e3, 0xce505cc9, 0xc7162b8a, 0xcc5061d6,
    0xc7162bdf, 0xca50b37f, 0xc7162a3a, 0xc8422086, 0x471a714e, 0xc5ece1f1, 0xc70e3d90,
    0xc3eba94a, 0x43e0c424, 0xc21f4552, 0x42217cc8, 0x405e7dc4, 0xc10dd401, 0x3e96b602,
    0xbd1a6d2f, 0xbd393883, 0xbd674682, 0xbd310016, 0xb961e269, 0x3ba32495, 0x3a7680d5,
    0x38b3173c, 0x35a9deea, 0x375c3f2a, 0x00000000,
)
_T6 = (
    0x00000000, 0xd8995ed1, 0x558285ea, 0x55b2cd69, 0x53028625, 0x4bc9991f, 0x5082898a,
    0x4b4999b3, 0x4e02c07c, 0x4ac99764, 0x4b72c822, 0xca40c0e1, 0x489413e4, 0x49b12224,
    0x46134c4e, 0xc60c2d57, 0x43c83910, 0xc3c872d1, 0xc186bc9e, 0x42325bc3, 0xbf2ffa4a,
    0x3d9a203c, 0xbc545a43, 0xbae08fee, 0x3c80225d, 0x3b1fd1df, 0xba36b9d1, 0xb91de544,
    0xb71f100f, 0xb408e2ed, 0xb685fec8, 0x00000000,
)
_TANH = [_b(*t) for t in (_T0, _T1, _T2, _T3, _T4, _T5, _T6)]
_KBLOCK = 384  # the longest product chain oneDNN's training forward sums unbroken
_HALVES_ONE = 256  # a batch of one's backward recurrent product: in halves from here on
_TANH_LINEAR = _b(0x39ddb3d7)[0]  # below: tanh(x) = x
_TANH_ONE = _b(0x41102cb3)[0]  # from here on: tanh(x) = 1
_IDX_BIAS, _IDX_MASK = np.uint32(0x39800000), np.uint32(0xffc00000)


def tanh(x):
    """oneDNN's float32 tanh (AVX-512 kernel)."""
    x = np.asarray(x, _F32)
    a = np.abs(x)
    bits = a.view(np.uint32)
    top = bits & _IDX_MASK
    idx = (((bits - _IDX_BIAS) & _IDX_MASK) >> np.uint32(22)) & np.uint32(31)
    idx = idx.astype(np.intp)
    r = a - top.view(_F32)
    p = _TANH[6].take(idx)
    for d in range(5, -1, -1):
        p = _fma32(p, r, _TANH[d].take(idx))
    p = np.where(a < _TANH_ONE, p, _F32(1))
    p = np.where(a < _TANH_LINEAR, a, p)
    return np.copysign(p, x).astype(_F32, copy=False)


def sigmoid(x):
    """oneDNN's float32 logistic: ``e / (e + 1)`` with ``e = exp(-|x|)``, mirrored."""
    x = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        e = exp_onednn(-np.abs(x))
        s = e / (e + _F32(1))
        return np.where(x > 0, _F32(1) - s, s).astype(_F32, copy=False)


def _fma_chain(a, w):
    """The reference: exact float32 FMAs, one product at a time."""
    n, k = a.shape
    acc = np.zeros((n, w.shape[0]), _F32)
    for j in range(k):
        acc = _fma32(np.broadcast_to(a[:, j:j + 1], acc.shape),
                     np.broadcast_to(w[:, j], acc.shape), acc)
    return acc


@functools.lru_cache(maxsize=None)
def _blas_ok() -> bool:
    """Whether NumPy's OpenBLAS ``sgemm`` sums each output as one FMA chain from +0 (up to
    ``_onednn_conv._KMAX`` products) at the small shapes an LSTM step has, checked once."""
    if not (_onednn_conv.emulated() and _blas.has_sgemm()):
        return False
    rng = np.random.default_rng(2024)
    for n, g, k in ((1, 8, 3), (5, 128, 16), (3, 64, 48), (37, 96, 200), (2, 40, 448)):
        a = rng.standard_normal((n, k)).astype(_F32)
        w = rng.standard_normal((g, k)).astype(_F32)
        if not np.array_equal(_sgemm_chain(a, w), _fma_chain(a, w)):
            return False
    return True


def _sgemm_chain(a, w):
    n, k = a.shape
    g = w.shape[0]
    acc = np.zeros((n, g), _F32)
    at, wt = np.ascontiguousarray(a.T, _F32), np.ascontiguousarray(w.T, _F32)
    _blas.sgemm(False, True, n, g, k, at.ctypes.data, n, wt.ctypes.data, g, 0.0,
                acc.ctypes.data)
    return acc


def _chain(a, w):
    """``a @ w.T`` with each element one FMA chain from +0 over k ascending
    (``a`` (N, K), ``w`` (G, K)): one OpenBLAS call where it sums so, one ``sger`` rank-1
    update (an FMA each) per k for longer chains, exact FMAs in NumPy otherwise."""
    n, k = a.shape
    g = w.shape[0]
    if k == 0 or n == 0 or g == 0:
        return np.zeros((n, g), _F32)
    if k <= _onednn_conv._KMAX and _blas_ok():
        return _sgemm_chain(a, w)
    if not _onednn_conv._ger_ok():
        return _fma_chain(a, w)
    acc = np.zeros((n, g), _F32)
    at, wt = np.ascontiguousarray(a.T, _F32), np.ascontiguousarray(w.T, _F32)
    pa, pw, pc = at.ctypes.data, wt.ctypes.data, acc.ctypes.data
    for j in range(k):
        _onednn_conv._ger(101, n, g, 1.0, pa + 4 * j * n, 1, pw + 4 * j * g, 1, pc, g)
    return acc


def _blocked(a, w, train, into=None, halves=False):
    """``_chain`` (added to ``into`` where given), but oneDNN's training forward cuts a
    chain longer than :data:`_KBLOCK` into equal blocks (the last one shorter), each a
    chain from +0, added in order."""
    k = a.shape[1]
    if not train or k <= _KBLOCK and not halves:
        return _chain(a, w) if into is None else into + _chain(a, w)
    blocks = 2 if halves else -(-k // _KBLOCK)
    size = -(-k // blocks)
    out = _chain(a[:, :size], w[:, :size])
    if into is not None:
        out = into + out
    for j in range(size, k, size):
        out = out + _chain(a[:, j:j + size], w[:, j:j + size])
    return out


def lstm_layer(x, h0, c0, w_ih, w_hh, bias, reverse=False, train=False, cache=None):
    """One layer and direction over ``x`` (T, B, F): returns (out (T, B, H), h_T, c_T).
    ``bias`` is ``b_ih + b_hh`` (float32) or None; ``train``: gradient mode was on."""
    steps, batch, _ = x.shape
    hid = w_hh.shape[1]
    # one chain over (x_t, h_{t-1}) where oneDNN merges the two products (see above)
    # (inference: also one step of a batch of one, measured on the Intel processor)
    joint = (x.shape[2] == hid and (batch > 1 or steps == 1)) if not train else batch == 1
    if joint:
        w_joint = np.concatenate([w_ih, w_hh], 1)
    else:
        layer = _blocked(x.reshape(steps * batch, -1), w_ih, train).reshape(
            steps, batch, 4 * hid)
    h, c = h0, c0
    out = np.empty((steps, batch, hid), _F32)
    if cache is not None:
        cache.update(gates=[None] * steps, c=[None] * steps, h_prev=[None] * steps,
                     c_prev=[None] * steps)
    for t in (reversed(range(steps)) if reverse else range(steps)):
        if joint:
            z = _blocked(np.concatenate([x[t], h], 1), w_joint, train)
        else:
            z = _blocked(h, w_hh, train, layer[t])
        if bias is not None:
            z = z + bias
        i = sigmoid(z[:, :hid])
        f = sigmoid(z[:, hid:2 * hid])
        g = tanh(z[:, 2 * hid:3 * hid])
        o = sigmoid(z[:, 3 * hid:])
        if cache is not None:
            cache["gates"][t] = (i, f, g, o)
            cache["h_prev"][t], cache["c_prev"][t] = h, c
        c = _fma32(i, g, f * c)
        h = o * tanh(c)
        out[t] = h
        if cache is not None:
            cache["c"][t] = c
    return out, h, c


def lstm_layer_backward(cache, x, w_ih, w_hh, d_out, d_h, d_c, reverse=False):
    """oneDNN's backward of :func:`lstm_layer` (``cache`` its saved states): the gradients
    ``(dx, dh0, dc0, dW_ih, dW_hh, db)`` from those of the output and of ``h_T``/``c_T``
    (``db`` is both biases' gradient)."""
    steps, batch, _ = x.shape
    hid = w_hh.shape[1]
    one = _F32(1)
    order = list(reversed(range(steps))) if reverse else list(range(steps))
    dgs = np.empty((steps, batch, 4 * hid), _F32)
    db = np.zeros(4 * hid, _F32)
    wh_t = np.ascontiguousarray(w_hh.T)
    # (a batch of one: its threads split the product, on one thread it stays one chain)
    halves = batch == 1 and 4 * hid >= _HALVES_ONE and _cascade._threads() > 1
    for t in reversed(order):  # (the backward runs the steps in the opposite order)
        i, f, g, o = cache["gates"][t]
        tc = tanh(cache["c"][t])
        dh = d_out[t] + d_h
        dc = d_c + (_fma32(-tc, tc, one) * dh) * o
        dg = dgs[t]
        dg[:, :hid] = (_fma32(-i, i, i) * dc) * g
        dg[:, hid:2 * hid] = (_fma32(-f, f, f) * dc) * cache["c_prev"][t]
        dg[:, 2 * hid:3 * hid] = _fma32(-g, g, one) * (i * dc)
        dg[:, 3 * hid:] = (_fma32(-o, o, o) * dh) * tc
        for row in dg:
            db = db + row
        d_c = dc * f
        d_h = _blocked(dg, wh_t, True, halves=halves)
    flat = dgs.reshape(steps * batch, 4 * hid)
    dx = _blocked(flat, np.ascontiguousarray(w_ih.T), True).reshape(x.shape)
    # the weights' products sum over the steps in the forward's order
    dgt = np.ascontiguousarray(np.concatenate([dgs[t] for t in order]).T)
    xs = np.ascontiguousarray(np.concatenate([x[t] for t in order]).T)
    dw_ih = _blocked(dgt, xs, True)
    # the recurrent weights: left to right, one product over every step but the first,
    # plus the first's; right to left, one product over all the steps (measured)
    first, rest = order[0], order[1:]
    if reverse:
        first, rest = None, order
    dw_hh = None
    if first is not None:
        dw_hh = _blocked(np.ascontiguousarray(dgs[first].T),
                         np.ascontiguousarray(cache["h_prev"][first].T), True)
    if rest:
        a = np.ascontiguousarray(np.concatenate([dgs[t] for t in rest]).T)
        hp = np.ascontiguousarray(np.concatenate([cache["h_prev"][t] for t in rest]).T)
        part = _blocked(a, hp, True)
        dw_hh = part if dw_hh is None else part + dw_hh
    return dx, d_h, d_c, dw_ih, dw_hh, db


def mapped(features, hidden, batch, num_layers, bidirectional, train, steps=None):
    """Whether :func:`lstm` knows oneDNN's order for this layer shape (see the module's
    docstring)."""
    if not train:
        return True
    if batch == 1 and steps == 1:  # (one step of one: other orders, measured on Intel)
        return False
    dirs = 2 if bidirectional else 1
    for f in [features] + [hidden * dirs] * (num_layers - 1):
        if batch == 1 and f + hidden > _KBLOCK:
            return False
        if max(f, hidden) > 2 * _KBLOCK:
            return False
    return True


def mapped_backward(features, hidden, batch, steps, num_layers, bidirectional,
                    input_grad=True):
    """Whether :func:`lstm_layer_backward` knows oneDNN's orders for this shape: every
    product chain at most two blocks long (the weights' ones run over ``steps * batch``).
    ``input_grad``: the input's gradient is wanted (for one input feature oneDNN sums it
    otherwise, not mapped; the other gradients hold there)."""
    dirs = 2 if bidirectional else 1
    # (one hidden unit, or the input's gradient for one feature: other kernels, measured on
    # the Intel processor, which differ in the last bit from these orders)
    if hidden == 1 or features == 1 and input_grad:
        return False
    if not mapped(features, hidden, batch, num_layers, bidirectional, True, steps):
        return False
    longest = max([features, hidden * dirs, 4 * hidden, steps * batch])
    if batch == 1 and 4 * hidden >= _HALVES_ONE and _cascade._threads() > 2:
        return False  # (split between its threads: measured on 1 and 2 only)
    return longest <= 2 * _KBLOCK and (batch > 1 or 4 * hidden <= 2 * _HALVES_ONE)


def lstm(x, h0, c0, params, has_bias, num_layers, bidirectional, train=False, between=None):
    """Every layer of a padded (T, B, F) LSTM as oneDNN runs it (NumPy float32 arrays;
    ``params`` per layer and direction ``[w_ih, w_hh, (b_ih, b_hh)]``). Returns
    (out, h_n, c_n). ``train``: PyTorch's gradient mode is on (oneDNN's training forward).
    ``between``: applied to each layer's output but the last's (PyTorch's dropout)."""
    dirs = 2 if bidirectional else 1
    per = 4 if has_bias else 2
    hs, cs = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            p = params[(layer * dirs + d) * per:(layer * dirs + d + 1) * per]
            bias = (p[2] + p[3]).astype(_F32) if has_bias else None
            k = layer * dirs + d
            o, h, c = lstm_layer(x, h0[k], c0[k], p[0], p[1], bias, reverse=d == 1,
                                     train=train)
            outs.append(o)
            hs.append(h)
            cs.append(c)
        x = outs[0] if dirs == 1 else np.concatenate(outs, -1)
        if between is not None and layer < num_layers - 1:
            x = between(x)
    return x, np.stack(hs), np.stack(cs)
