"""Top-level functions that are thin wrappers of ember's layers: ``torch.lstm``,
``torch.gru``, ``torch.rnn_tanh``, ``torch.rnn_relu`` (the functional entry points
``nn.LSTM`` and friends run on, with the parameters as a flat list) and
``torch.segment_reduce``.

>>> m = ember.nn.LSTM(3, 4)
>>> x = ember.randn(5, 2, 3)
>>> h = (ember.zeros(1, 2, 4), ember.zeros(1, 2, 4))
>>> out, h_n, c_n = ember.lstm(x, h, m._flat_weights, True, 1, 0.0, False, False, False)
"""
from __future__ import annotations

from ._tensor import Tensor

__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu", "segment_reduce"]


class _Flat:
    """The parameters of ``params`` laid out as an ``RNNBase``'s attributes, so that the
    layers' own loop (``RNNBase._layers``) runs them."""

    def __init__(self, mode, params, has_biases, num_layers, dropout, train, bidirectional,
                 hx):
        from .nn.modules.rnn import RNNBase

        self._layers = RNNBase._layers.__get__(self)
        self._onednn = RNNBase._onednn.__get__(self)
        self._run = RNNBase._run.__get__(self)
        self.mode, self.bias, self.num_layers = mode, bool(has_biases), int(num_layers)
        self.dropout, self.training = float(dropout), bool(train)
        self.bidirectional = bool(bidirectional)
        self.batch_first = False
        # an LSTM with projections: its hidden state is narrower than its cell state
        self.proj_size = hx[0].size(-1) if mode == "LSTM" and hx[0].size(-1) != \
            hx[1].size(-1) else 0
        per = 2 + (2 if self.bias else 0) + (1 if self.proj_size else 0)
        directions = 2 if self.bidirectional else 1
        params = list(params)
        if len(params) != per * self.num_layers * directions:
            raise RuntimeError(f"{mode.lower()}: expected {per * self.num_layers * directions} "
                               f"parameters, got {len(params)}")
        it = iter(params)
        for layer in range(self.num_layers):
            for d in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias
                                                      else []) + \
                    (["weight_hr"] if self.proj_size else [])
                for name in names:
                    setattr(self, name + suffix, next(it))


def _invalid(name, args, forms):
    got = ", ".join("tuple" if isinstance(a, tuple) else "list" if isinstance(a, list)
                    else type(a).__name__ for a in args)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n" + "".join(f" * ({f})\n" for f in forms))


def _forms(hx):
    return (f"Tensor data, Tensor batch_sizes, {hx} hx, tuple of Tensors params, bool "
            "has_biases, int num_layers, float dropout, bool train, bool bidirectional",
            f"Tensor input, {hx} hx, tuple of Tensors params, bool has_biases, int num_layers, "
            "float dropout, bool train, bool bidirectional, bool batch_first")


def _run(name, mode, args):
    """``(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
    batch_first)`` or, for packed rows, ``(data, batch_sizes, hx, params, has_biases,
    num_layers, dropout, train, bidirectional)``."""
    lstm = mode == "LSTM"
    forms = _forms("tuple of Tensors" if lstm else "Tensor")
    if len(args) != 9:
        raise _invalid(name, args, forms)
    packed = isinstance(args[1], Tensor) and (lstm or isinstance(args[2], Tensor))
    if lstm and packed or not lstm and isinstance(args[2], Tensor):
        data, batch_sizes, hx, params, has_biases, layers, dropout, train, bidir = args
        first = False
    else:
        data, hx, params, has_biases, layers, dropout, train, bidir, first = args
        batch_sizes = None
    flags = (has_biases, train, bidir) if batch_sizes is not None else \
        (has_biases, train, bidir, first)
    if not all(isinstance(f, bool) for f in flags):  # (``nn.RNN(..., bidirectional=1)``)
        from ._ops._core import format_invalid_args

        raise TypeError(format_invalid_args(name, args, {}, tuple(f"({f})" for f in forms)))
    states = tuple(hx) if lstm else (hx,)
    flat = _Flat(mode, params, has_biases, layers, dropout, train, bidir,
                 states if lstm else (hx, hx))
    if batch_sizes is None and first:
        flat.batch_first = True
    out, finals = flat._run(data, states, batch_sizes)
    return (out, *finals)


def lstm(*args):
    """``torch.lstm(input, (h0, c0), params, has_biases, num_layers, dropout, train,
    bidirectional, batch_first)`` -> ``(output, h_n, c_n)``; ``params`` is
    ``[w_ih, w_hh, b_ih, b_hh, (w_hr)]`` per layer and direction (``nn.LSTM``'s
    ``_flat_weights``)."""
    return _run("lstm", "LSTM", args)


def gru(*args):
    """``torch.gru(input, h0, params, has_biases, num_layers, dropout, train, bidirectional,
    batch_first)`` -> ``(output, h_n)``."""
    return _run("gru", "GRU", args)


def rnn_tanh(*args):
    """``torch.rnn_tanh(input, h0, params, ...)``: an Elman RNN with tanh -> ``(output,
    h_n)``."""
    return _run("rnn_tanh", "RNN_TANH", args)


def rnn_relu(*args):
    """``torch.rnn_relu(input, h0, params, ...)``: an Elman RNN with ReLU -> ``(output,
    h_n)``."""
    return _run("rnn_relu", "RNN_RELU", args)


# -- segment_reduce -------------------------------------------------------------------------

_REDUCTIONS = ("sum", "prod", "mean", "max", "min")


def _segments(data, lengths, reduce, initial):
    """The reduction of each segment of ``data`` along dim 0 (``lengths`` a list)."""
    import ember as E

    rest = tuple(data.shape[1:])
    outs, start = [], 0
    for n in lengths:
        seg = data.narrow(0, start, n)
        start += n
        if reduce == "sum":
            r = seg.sum(0)
            r = r + initial if initial is not None else r
        elif reduce == "prod":
            r = seg.prod(0)
            r = r * initial if initial is not None else r
        elif reduce == "mean":
            if initial is not None:  # NOTE: PyTorch's: the initial value joins the sum only
                r = (seg.sum(0) + initial) / n if n else E.full(rest, initial, dtype=data.dtype)
            else:
                r = seg.mean(0) if n else E.full(rest, float("nan"), dtype=data.dtype)
        else:
            identity = float("-inf") if reduce == "max" else float("inf")
            if n:
                r = seg.amax(0) if reduce == "max" else seg.amin(0)
                if initial is not None:
                    bound = E.full(rest, initial, dtype=data.dtype)
                    r = E.maximum(r, bound) if reduce == "max" else E.minimum(r, bound)
            else:
                r = E.full(rest, identity if initial is None else initial, dtype=data.dtype)
        outs.append(r)
    return E.stack(outs) if outs else data.new_zeros((0, *rest))


def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0,
                   unsafe=False, initial=None):
    """Reduce ``data`` along ``axis`` over consecutive segments given by ``lengths`` (or
    ``offsets``) with ``reduce`` in ``sum``, ``mean``, ``max``, ``min``, ``prod``.

    >>> ember.segment_reduce(ember.tensor([1., 2, 3, 4]), "sum", lengths=ember.tensor([1, 3]))
    tensor([1., 9.])
    """
    from ._ops._core import OUT, fused

    if reduce not in _REDUCTIONS:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    if lengths is None:
        off = offsets
        lengths = off[..., 1:] - off[..., :-1]
    axis = axis + data.dim() if axis < 0 else axis
    if lengths.dim() - 1 != axis:
        raise RuntimeError("Expected lengths.dim() - 1 == axis, got "
                           f"{lengths.dim() - 1} != {axis}")
    lens = lengths.tolist()

    def sums(ls):
        return [sums(x) for x in ls] if ls and isinstance(ls[0], list) else sum(ls)

    def check(ls):
        if ls and isinstance(ls[0], list):
            return all(check(x) for x in ls)
        return sum(ls) == data.size(axis) and all(n >= 0 for n in ls)

    if not unsafe and not check(lens):
        raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum "
                           "to data.size(lengths.dim()-1) when !unsafe.")

    def compute(x):
        def rows(t, ls, depth):
            if depth == 0:
                return _segments(t, ls, reduce, initial)
            import ember as E
            return E.stack([rows(t[i], ls[i], depth - 1) for i in range(len(ls))])
        return rows(x, lens, axis)

    # (as PyTorch's node, it keeps the data and the result)
    return fused("SegmentReduceBackward0", compute, data, keep=(0, OUT))
