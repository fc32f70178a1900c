"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and the one-step cells ``RNNCell``,
``LSTMCell``, ``GRUCell``.

A time step is written with ember's differentiable ops (``linear``, ``chunk``, ``sigmoid``,
``tanh``, ``cat``), so backpropagation through time needs no gradient rule of its own. The
input projection ``x W_ih^T + b_ih`` of a layer is one matrix product over every time step;
only the recurrent product ``h W_hh^T + b_hh`` runs step by step.

A float32 LSTM on padded input, which PyTorch hands to oneDNN, runs instead as oneDNN does
(:mod:`.._functional._onednn_rnn`: its orders and gate functions, forward and backward,
one ``MkldnnRnnLayerBackward0`` node per layer and direction), where those are mapped.

Parameter names, shapes, order and initialisation are PyTorch's, so ``manual_seed(s)`` gives
the same weights bit for bit and state dicts cross between the two libraries.

>>> lstm = LSTM(10, 20, num_layers=2, batch_first=True)
>>> out, (h, c) = lstm(ember.randn(3, 5, 10))   # batch 3, 5 steps
>>> out.shape, h.shape
(torch.Size([3, 5, 20]), torch.Size([2, 3, 20]))
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ember._warnings import warn_once, warn_up

from ..._ops import creation
from ..._tensor import Tensor
from ..._ops._core import OUT, _checking, fused, make, make_multi, needs_grad, wrap
from ...autograd.grad_mode import is_grad_enabled
from ... import _dtype as dtypes
from .._functional import _onednn_rnn
from ...amp import autocast_mode as _amp
from ..._ops import shape as S
from .. import init
from .._functional.dropout import dropout as _dropout
from .._functional.linear import linear
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# -- one time step --------------------------------------------------------------------------
# ``xw`` is the step's input projection x W_ih^T + b_ih, ``state`` a tuple: (h,) or, for the
# LSTM, (h, c). Each returns the new state.

def _pass_grad(ctx, g):
    return (g,)


def _tanh_step(xw, state, w_hh, b_hh, w_hr):
    return ((xw + linear(state[0], w_hh, b_hh)).tanh(),)


def _relu_step(xw, state, w_hh, b_hh, w_hr):
    return ((xw + linear(state[0], w_hh, b_hh)).relu(),)


def _lstm_step(xw, state, w_hh, b_hh, w_hr):
    h, c = state
    i, f, g, o = (xw + linear(h, w_hh, b_hh)).chunk(4, 1)  # PyTorch's gate order
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:  # proj_size > 0: the hidden state is projected down
        h = linear(h, w_hr)
    return h, c


def _gru_step(xw, state, w_hh, b_hh, w_hr):
    h = state[0]
    size = h.size(1)
    hg = linear(h, w_hh, b_hh)
    # NOTE: PyTorch adds the reset and update gates' input parts in place into chunks of the
    # hidden product and applies ``sigmoid_`` there: rows of H values inside wider rows, the
    # last H % 32 of each row through its kernel's scalar code; views of the sum keep that
    # layout (a contiguous (B, H) result would put the scalar tail at the end only)
    # (split, not narrow: the pieces' gradients join by concatenation, as PyTorch's in-place
    # chunks' do, keeping a -0 that a sum with the other pieces' zeros would turn to +0)
    hg_rz, hg_n = hg.split([2 * size, size], 1)
    xw_rz, xw_n = xw.split([2 * size, size], 1)
    r, z = (hg_rz + xw_rz).split([size, size], 1)  # (a list: two pieces even for size 0)
    r, z = r.sigmoid(), z.sigmoid()
    # (PyTorch's form: r scales (W_hn h + b_hn), bias included)
    n = (xw_n + r * hg_n).tanh()
    return ((h - n) * z + n,)


_STEPS = {"RNN_TANH": _tanh_step, "RNN_RELU": _relu_step, "LSTM": _lstm_step, "GRU": _gru_step}
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


_ENTRY = {"RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu", "LSTM": "lstm", "GRU": "gru"}


def _entry(mode):
    """The public (``__torch_function__``-dispatching) ``torch.rnn_tanh`` / ``torch.lstm`` /
    ... that a layer of ``mode`` runs on, as PyTorch's layers run on them."""
    import ember

    return getattr(ember, _ENTRY[mode])


def _run_direction(step, xws, batch_sizes, state0, weights, reverse):
    """Run one direction of one layer over the steps ``xws`` (step ``t`` has
    ``batch_sizes[t]`` rows, non-increasing: the longest sequences come first).

    Returns the per-step outputs, in time order, and the final state of every sequence: for
    a sequence that ends early, the state after its last step.
    """
    outs = [None] * len(xws)
    if not reverse:
        state, finished = state0, []
        for t, xw in enumerate(xws):
            bs = batch_sizes[t]
            if bs < state[0].size(0):  # the last rows' sequences have ended
                finished.append(tuple(s[bs:] for s in state))
                state = tuple(s[:bs] for s in state)
            state = step(xw, state, *weights)
            outs[t] = state[0]
        if finished:
            finished.append(state)
            state = tuple(S.cat([f[k] for f in reversed(finished)]) for k in range(len(state)))
        return outs, state
    # Backwards in time each sequence starts at its own last step: rows join as the batch
    # grows, each from its initial state.
    last = batch_sizes[-1] if batch_sizes else 0
    state = state0 if last == state0[0].size(0) else tuple(s[:last] for s in state0)
    for t in reversed(range(len(xws))):
        bs, have = batch_sizes[t], state[0].size(0)
        if bs > have:
            state = tuple(S.cat([s, s0[have:bs]]) for s, s0 in zip(state, state0))
        state = step(xws[t], state, *weights)
        outs[t] = state[0]
    return outs, state


def _suffixes(layer):
    """The parameter-name suffixes of every layer and direction, in order."""
    return [f"_l{k}" + ("_reverse" if d else "") for k in range(layer.num_layers)
            for d in range(2 if layer.bidirectional else 1)]


def _weights(layer):
    return [getattr(layer, name + suffix, None) for suffix in _suffixes(layer)
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


def _onednn_route(layer, input, hx):
    """Whether PyTorch runs this padded ``(T, B, F)`` LSTM with oneDNN and
    :mod:`.._functional._onednn_rnn` reproduces its forward (ember's own loop runs where
    not)."""
    if not (layer._onednn(input) and input.dtype == dtypes.float32 and input.numel()
            and not _amp.ON and _onednn_rnn.emulated()):
        return False
    return hx[0].size(-1) == hx[1].size(-1) and _onednn_rnn.mapped(
        input.size(2), hx[1].size(-1), input.size(1), layer.num_layers, layer.bidirectional,
        is_grad_enabled(), input.size(0))


def _onednn_dtypes(input, tensors):
    """PyTorch's oneDNN LSTM refuses states or weights of another type than the input's."""
    kinds = {t.dtype for t in tensors if t is not None}
    if kinds - {dtypes.float32, dtypes.bfloat16, dtypes.float16}:
        raise RuntimeError("get_mkldnn_dtype: unsupported data type")
    if kinds - {input.dtype}:
        raise RuntimeError("could not create a primitive descriptor for the LSTM forward "
                           "propagation primitive. Run workload with environment variable "
                           "ONEDNN_VERBOSE=all to get additional diagnostic information.")


def _onednn_exact(layer, input, hx):
    """oneDNN's forward values ``(out, h_n, c_n)`` (NumPy arrays)."""
    params = [getattr(layer, name + suffix).detach().numpy()
              for suffix in _suffixes(layer) for name in ("weight_ih", "weight_hh")
              + (("bias_ih", "bias_hh") if layer.bias else ())]
    between = None
    if layer.dropout > 0 and layer.training:
        def between(a):  # PyTorch's dropout between layers, drawn as ember's own loop does
            return np.asarray(_dropout(wrap(a, input._device), layer.dropout, True)._data)
    return _onednn_rnn.lstm(input.detach().numpy(), hx[0].detach().numpy(),
                            hx[1].detach().numpy(), params, layer.bias, layer.num_layers,
                            layer.bidirectional, train=is_grad_enabled(), between=between)


def _onednn_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """One layer and direction as oneDNN runs it (training forward), recorded as PyTorch's
    ``MkldnnRnnLayerBackward0`` node whose backward is oneDNN's: ``(out, h_T, c_T)``."""
    f32 = np.float32
    arrays = [np.asarray(t._data, f32) for t in (x, h0, c0, w_ih, w_hh)]
    bias = None if b_ih is None else (np.asarray(b_ih._data, f32) + b_hh._data).astype(f32)
    cache = {}
    out, h, c = _onednn_rnn.lstm_layer(*arrays, bias, reverse, train=True, cache=cache)
    # (PyTorch's edges: the input, the four weights (None for no bias), then h0 and c0)
    inputs = (x, w_ih, w_hh, b_ih, b_hh, h0, c0)
    dev = x._device

    def rule(ctx, g_out, g_h, g_c):
        grads = [np.zeros(a.shape, f32) if g is None else np.asarray(g._data, f32)
                 for g, a in ((g_out, out), (g_h, h), (g_c, c))]
        dx, dh, dc, dw_ih, dw_hh, db = _onednn_rnn.lstm_layer_backward(
            cache, arrays[0], arrays[3], arrays[4], *grads, reverse=reverse)
        res = [dx, dw_ih, dw_hh] + ([None, None] if b_ih is None else [db, db.copy()]) + \
            [dh, dc]
        return tuple(None if g is None else wrap(g, dev) for g in res)

    outs = make_multi((out, h, c), inputs, "MkldnnRnnLayerBackward0", _checking(rule))
    node = outs[0]._grad_fn
    if node is not None:
        # (as PyTorch's node, it keeps its inputs and outputs: a second backward through it,
        # or one after its weights changed in place (an optimizer's step), is refused)
        node.save(x, w_ih, w_hh, b_ih, b_hh, h0, c0, *outs)
    return outs


def _onednn_graph(layer, input, hx):
    """Every layer through :func:`_onednn_layer`: ``(out, (h_n, c_n))``."""
    dirs = 2 if layer.bidirectional else 1
    data, hs, cs = input, [], []
    for k in range(layer.num_layers):
        outs = []
        for d in range(dirs):
            suffix = f"_l{k}" + ("_reverse" if d else "")
            biases = ((getattr(layer, "bias_ih" + suffix), getattr(layer, "bias_hh" + suffix))
                      if layer.bias else (None, None))
            out, h, c = _onednn_layer(data, hx[0][k * dirs + d], hx[1][k * dirs + d],
                                      getattr(layer, "weight_ih" + suffix),
                                      getattr(layer, "weight_hh" + suffix), *biases, d == 1)
            outs.append(out)
            hs.append(h)
            cs.append(c)
        data = outs[0] if dirs == 1 else S.cat(outs, -1)
        if layer.dropout > 0 and layer.training and k < layer.num_layers - 1:
            data = _dropout(data, layer.dropout, True)
    return data, (S.stack(hs), S.stack(cs))


# -- the multi-layer modules ----------------------------------------------------------------

class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: parameters, checks, the layer loop.

    ``mode`` is ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``. For layer ``k`` and
    each direction (``_reverse`` for the second) the parameters are ``weight_ih_lk``
    ``(G*H, input)``, ``weight_hh_lk`` ``(G*H, H_out)``, ``bias_ih_lk``, ``bias_hh_lk``
    ``(G*H,)`` and, with ``proj_size``, ``weight_hr_lk`` ``(proj_size, H)``, where ``G`` is
    the number of gates (1, 4 or 3).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            # (at the subclass's ``super().__init__`` line, as PyTorch's ``stacklevel=2``)
            warn_up("dropout option adds dropout after all but last recurrent layer, so "
                    "non-zero dropout expects num_layers greater than 1, but got "
                    f"dropout={dropout} and num_layers={num_layers}")
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int),
                                  ("hidden_size", hidden_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: "
                                f"{type(value).__name__}")
            if kind is int and value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)

        gates = _GATES[mode] * hidden_size
        out_size = proj_size if proj_size > 0 else hidden_size
        directions = 2 if bidirectional else 1

        def new(*shape):
            return Parameter(creation.empty(shape, device=device, dtype=dtype))

        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                params = [("weight_ih", new(gates, layer_input)),
                          ("weight_hh", new(gates, out_size))]
                if bias:
                    params += [("bias_ih", new(gates)), ("bias_hh", new(gates))]
                if proj_size > 0:
                    params.append(("weight_hr", new(proj_size, hidden_size)))
                names = [name + suffix for name, _ in params]
                for full, (_, p) in zip(names, params):
                    setattr(self, full, p)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``, drawn in
        registration order (PyTorch's numbers for the same seed)."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    @property
    def _flat_weights(self):
        return [getattr(self, name, None) for name in self._flat_weights_names]

    def __getstate__(self):
        # PyTorch's RNN keeps the weights' list itself; a pickle carries it so that PyTorch
        # can run a layer ember pickled.
        state = dict(self.__dict__)
        state["_flat_weights"] = self._flat_weights
        return state

    def __setstate__(self, state):
        state = dict(state)
        state.pop("_flat_weights", None)
        state.pop("_flat_weights_refs", None)
        super().__setstate__(state)

    @property
    def all_weights(self):
        """The parameters as one list per layer and direction."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op: PyTorch packs the weights into one buffer for cuDNN, ember uses none."""

    # -- checks (PyTorch's messages) --
    def check_input(self, input, batch_sizes) -> None:
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight_dtype}). Convert input: input.to({weight_dtype}), or "
                             f"convert model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def _mini_batch(self, input, batch_sizes):
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.size(0) if self.batch_first else input.size(1)

    def get_expected_hidden_size(self, input, batch_sizes):
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * (2 if self.bidirectional else 1),
                self._mini_batch(input, batch_sizes), size)

    def check_hidden_size(self, hx, expected_hidden_size,
                          msg="Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        return hx if permutation is None else hx.index_select(1, permutation)

    def _zeros(self, input, batch, size):
        return creation.zeros((self.num_layers * (2 if self.bidirectional else 1), batch, size),
                              dtype=input.dtype, device=input.device)

    # -- the computation --
    def _layers(self, data, batch_sizes, hx, padded=False, first=None):
        """Every layer over packed rows ``data`` ``(N, features)`` with per-step
        ``batch_sizes`` (a list of ints); ``hx`` is a tuple of ``(layers*directions, B, *)``
        initial states. Returns the last layer's rows (``(T, B, *)`` when ``padded``) and
        the tuple of final states. ``first``: the padded ``(T, B, features)`` input as
        PyTorch's first layer maps it (a batch-first one's transposed view, not contiguous:
        a product and then a bias addition, two roundings in a low dtype; under autocast
        the input itself, whose cast autocast keeps for both directions if it is a leaf)."""
        if _amp.ON and data.device.type in _amp._DTYPES:
            # NOTE: as PyTorch's autocast, an LSTM runs wholly in the low dtype, while RNN and
            # GRU (not on its list) run as PyTorch composes them: their linear maps autocast
            # to the low dtype, the gates' arithmetic promotes with the states (a float32
            # initial state keeps GRU's output float32; RNN's tanh output is low)
            if self.mode == "LSTM":
                data, *states = _amp.lower(data, *hx)
                hx = tuple(states)
        step = _STEPS[self.mode]
        directions = 2 if self.bidirectional else 1
        finals = [[] for _ in hx]
        steps = len(batch_sizes)
        uniform = steps > 0 and batch_sizes[0] * steps == data.size(0)  # a padded batch
        # PyTorch runs each layer and direction of such an LSTM as one oneDNN node, which keeps
        # its input, weights, initial states and outputs (changed in place, they are refused)
        onednn = padded and self._onednn(data)
        for layer in range(self.num_layers):
            outputs = []
            last = padded and layer == self.num_layers - 1
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                index = layer * directions + direction

                w_hr = getattr(self, "weight_hr" + suffix) if self.proj_size > 0 else None
                rows = data.size(0)

                # (its values bound now: a double backward runs it again, later)
                def run(x, w_ih, w_hh, b_ih, b_hh, *state0, reverse=direction == 1, w_hr=w_hr,
                        rows=rows, last=last):
                    xw = linear(x, w_ih, b_ih)
                    if xw.dim() == 3:
                        xw = xw.reshape(rows, xw.size(2))
                    xws = (xw.view(steps, batch_sizes[0], xw.size(1)).unbind(0) if uniform
                           else xw.split(batch_sizes))
                    outs, state = _run_direction(step, xws, batch_sizes, state0,
                                                 (w_hh, b_hh, w_hr), reverse)
                    return (S.stack(outs) if last else S.cat(outs),) + tuple(state)

                args = (data if first is None or layer else first,
                        getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix),
                        *((getattr(self, "bias_ih" + suffix), getattr(self, "bias_hh" + suffix))
                          if self.bias else (None, None)), *(h[index] for h in hx))
                if onednn:
                    res = fused("MkldnnRnnLayerBackward0", run, *args,
                                keep=tuple(range(len(args))) + ((OUT, 0), (OUT, 1), (OUT, 2)))
                else:
                    res = run(*args)
                outputs.append(res[0])
                for kept, s in zip(finals, res[1:]):
                    kept.append(s)
            data = outputs[0] if directions == 1 else S.cat(outputs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                data = _dropout(data, self.dropout, True)
        return data, tuple(S.stack(kept) for kept in finals)

    def _onednn(self, data):
        """Whether PyTorch's CPU build would run this layer with oneDNN (LSTM only)."""
        from ... import backends
        return (self.mode == "LSTM" and self.proj_size == 0 and data.device.type == "cpu"
                and str(data.dtype) in ("torch.float32", "torch.bfloat16")
                and backends.mkldnn.enabled)

    def _run(self, input, hx, batch_sizes):
        """Run on a padded ``(T, B, F)`` (or batch-first) input or on packed rows."""
        rows = None
        if batch_sizes is not None:
            sizes = batch_sizes.tolist()
            if not (sizes and sizes.count(sizes[0]) == len(sizes) and input.numel()
                    and self._onednn(input)):
                return self._layers(input, sizes, hx)
            # NOTE: PyTorch runs a packed LSTM whose sequences all have the same length as
            # the padded one it is (oneDNN), its rows a view of that output (ViewBackward0)
            rows = input.size(0)
            input = input.reshape(len(sizes), sizes[0], input.size(1))
        elif self.batch_first:
            input = input.transpose(0, 1)
        steps, batch = input.size(0), input.size(1)
        if steps == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        if self.mode == "LSTM" and self.proj_size > 0:
            from ... import backends
            if (input.device.type == "cpu" and input.dtype == dtypes.float32
                    and input.numel() and backends.mkldnn.enabled):
                warn_once("lstm_proj_onednn", "LSTM with projections is not supported with "
                          "oneDNN. Using default implementation.",
                          cpp="aten/src/ATen/native/RNN.cpp:1512")
        if self._onednn(input) and input.numel():
            _onednn_dtypes(input, [*hx, *_weights(self)])
        exact = None
        route = _onednn_route(self, input, hx)
        grad = route and needs_grad([input, *hx, *_weights(self)])
        if grad and _onednn_rnn.mapped_backward(input.size(2), hx[1].size(-1), batch, steps,
                                                self.num_layers, self.bidirectional,
                                                input.requires_grad):
            out, hidden = _onednn_graph(self, input, hx)  # oneDNN's forward and backward
        elif route and not grad:
            exact = _onednn_exact(self, input, hx)
            out = make(exact[0], (input,), "MkldnnRnnLayerBackward0", None)
            hidden = tuple(make(a, (input,), "StackBackward0", None) for a in exact[1:])
        else:
            if route:
                from ... import random as _random
                drawn = self.dropout > 0 and self.training and self.num_layers > 1
                before = _random.get_rng_state() if drawn else None
                exact = _onednn_exact(self, input, hx)
                if drawn:  # (ember's own loop draws the same dropout masks again)
                    _random.set_rng_state(before)
            out, hidden = self._layers(input.reshape(steps * batch, input.size(2)),
                                       [batch] * steps, hx, padded=True,
                                       first=input if rows is None else None)
        if exact is not None and out._data is not exact[0]:
            # oneDNN's values; the gradients flow through ember's own graph
            out._data = exact[0]
            for t, a in zip(hidden, exact[1:]):
                t._data = a
        if rows is not None:
            return out.view(rows, out.size(2)), hidden
        if self.batch_first:
            # NOTE: PyTorch turns its own loop's output back in place (TransposeBackward1), a
            # oneDNN LSTM's output out of place (TransposeBackward0).
            onednn = self._onednn(out)
            out = S.transpose(out, 0, 1, _name="TransposeBackward0" if onednn
                              else "TransposeBackward1")
        return out, hidden

    def _single_state_forward(self, input, hx, name, instead):
        """``forward`` of ``RNN`` and ``GRU`` (one hidden tensor)."""
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is None:
                hx = self._zeros(data, int(batch_sizes[0]), self.hidden_size)
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(data, hx, batch_sizes)
            out, h_n = _entry(self.mode)(data, batch_sizes, hx, self._flat_weights, self.bias,
                                         self.num_layers, self.dropout, self.training,
                                         self.bidirectional)
            return (PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(h_n, unsorted_indices))
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                             f"{instead}")
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError("For unbatched 2-D input, hx should also be 2-D but got "
                                       f"{hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                               f"{hx.dim()}-D tensor")
        if hx is None:
            hx = self._zeros(input, self._mini_batch(input, None), self.hidden_size)
        self.check_forward_args(input, hx, None)
        out, h_n = _entry(self.mode)(input, hx, self._flat_weights, self.bias, self.num_layers,
                                     self.dropout, self.training, self.bidirectional,
                                     self.batch_first)
        if not batched:
            out, h_n = out.squeeze(batch_dim), h_n.squeeze(1)
        return out, h_n

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if getattr(self, "proj_size", 0) != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """An Elman RNN, ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` per layer
    (``nonlinearity='relu'`` for ReLU).

    Input ``(L, N, H_in)`` (``(N, L, H_in)`` with ``batch_first``), ``(L, H_in)`` unbatched,
    or a :class:`~ember.nn.utils.rnn.PackedSequence`; ``hx`` ``(D*num_layers, N, H)``,
    zeros by default. Returns ``(output, h_n)`` with output ``(L, N, D*H)``.

    >>> rnn = RNN(10, 20, 2)
    >>> out, h = rnn(ember.randn(5, 3, 10))
    >>> out.shape, h.shape
    (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs) -> None:
        # (input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
        # batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)
        # NOTE: as PyTorch, the arguments go on to RNNBase (whose name its TypeErrors carry),
        # so a ninth positional one lands in LSTM's ``proj_size`` slot
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._single_state_forward(input, hx, "RNN", "tensor instead")


class LSTM(RNNBase):
    """A multi-layer LSTM: gates ``i, f, g, o`` (in that order in the weights),
    ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)``; with ``proj_size > 0``,
    ``h_t`` is then multiplied by ``weight_hr^T``.

    ``hx`` is ``(h_0, c_0)``, zeros by default; returns ``(output, (h_n, c_n))``.

    >>> LSTM(10, 20, num_layers=2, batch_first=True)
    LSTM(10, 20, num_layers=2, batch_first=True)
    """

    def __init__(self, *args, **kwargs) -> None:
        # (input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        # bidirectional=False, proj_size=0, device=None, dtype=None), as RNNBase takes them
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        return (self.num_layers * (2 if self.bidirectional else 1),
                self._mini_batch(input, batch_sizes), self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def _check_packed_state(self, data, hx, batch):
        """PyTorch's LSTM checks neither a packed sequence nor the state given with one: a
        wrong one fails in its kernel, with the kernel's error (as here)."""
        h, c = hx
        if h.dim() < 3 or c.dim() < 3:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[-{min(h.dim(), c.dim())}, {min(h.dim(), c.dim()) - 1}], but "
                             f"got 2)")
        if (h.shape[2] != c.shape[2]) != (self.proj_size > 0):  # (it reads projections off them)
            raise RuntimeError("got an incorrect number of RNN parameters")
        layers = self.num_layers * (2 if self.bidirectional else 1)
        if h.shape[0] != layers:
            raise RuntimeError("Odd number of params or hiddens given to a bidirectional RNN"
                               if self.bidirectional and h.shape[0] % 2 else
                               "Expected more hidden states in stacked_rnn")
        gates = 4 * self.hidden_size
        out = self.proj_size or self.hidden_size
        for rows, cols, size in ((data.shape[0] if data.dim() > 1 else 1, data.shape[-1],
                                  self.input_size),
                                 (h.shape[1], h.shape[2], out)):
            if cols != size:
                raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} "
                                   f"and {size}x{gates})")
        if h.shape[1] == 1 and batch != 1:
            raise RuntimeError(f"output with shape [1, {gates}] doesn't match the broadcast "
                               f"shape [{batch}, {gates}]")
        if h.shape[1] != batch:
            raise RuntimeError(f"The size of tensor a ({h.shape[1]}) must match the size of "
                               f"tensor b ({batch}) at non-singleton dimension 0")

    def _zero_state(self, input, batch):
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return self._zeros(input, batch, out_size), self._zeros(input, batch, self.hidden_size)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is None:
                hx = self._zero_state(data, int(batch_sizes[0]))
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            self._check_packed_state(data, hx, int(batch_sizes[0]))
            if data.dim() != 2:  # (PyTorch fails in its kernel, one way or another)
                self.check_forward_args(data, hx, batch_sizes)
            out, h_n, c_n = _entry("LSTM")(data, batch_sizes, hx, self._flat_weights, self.bias,
                                           self.num_layers, self.dropout, self.training,
                                           self.bidirectional)
            hidden = (h_n, c_n)
            return (PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(hidden, unsorted_indices))
        if input.dim() not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            hx = self._zero_state(input, self._mini_batch(input, None))
        else:
            want = 3 if batched else 2
            if hx[0].dim() != want or hx[1].dim() != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            if not batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx, None)
        out, h_n, c_n = _entry("LSTM")(input, hx, self._flat_weights, self.bias,
                                       self.num_layers, self.dropout, self.training,
                                       self.bidirectional, self.batch_first)
        if not batched:
            out, h_n, c_n = out.squeeze(batch_dim), h_n.squeeze(1), c_n.squeeze(1)
        return out, (h_n, c_n)


class GRU(RNNBase):
    """A multi-layer GRU: gates ``r, z, n`` (in that order in the weights),
    ``n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))``,
    ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``.

    >>> GRU(10, 20, bidirectional=True)
    GRU(10, 20, bidirectional=True)
    """

    def __init__(self, *args, **kwargs) -> None:
        # (input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        # bidirectional=False, device=None, dtype=None), as RNNBase takes them (see RNN)
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._single_state_forward(input, hx, "GRU", "instead")


# -- cells: one time step -------------------------------------------------------------------

class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` ``(chunks*H, input)``, ``weight_hh``
    ``(chunks*H, H)``, ``bias_ih``/``bias_hh`` ``(chunks*H,)``, uniform initialisation."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(creation.empty((rows, input_size), device=device,
                                                  dtype=dtype))
        self.weight_hh = Parameter(creation.empty((rows, hidden_size), device=device,
                                                  dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(rows, device=device, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(rows, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += f", bias={self.bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    reset_parameters = RNNBase.reset_parameters

    def _prepare(self, name, input, hx, states):
        """Check dims, add the batch dim to unbatched input; returns (input, hx tuple,
        batched)."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for label, h in zip(["hidden"] if states == 1 else ["hx[0]", "hx[1]"],
                                [hx] if states == 1 else hx):
                if h.dim() not in (1, 2):
                    raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {h.dim()}D "
                                     "instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = creation.zeros((input.size(0), self.hidden_size), dtype=input.dtype,
                                   device=input.device)
            hx = (zeros,) * states
        else:
            hx = (hx,) if states == 1 else tuple(hx)
            if not batched:
                hx = tuple(h.unsqueeze(0) for h in hx)
        return input, hx, batched

    def _step(self, name, input, hx):
        """One step through the public ``torch.<name>`` (``rnn_tanh_cell``, ...), as
        PyTorch's cells run."""
        import ember

        return getattr(ember, name)(input, hx if name == "lstm_cell" else hx[0],
                                    self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


def _check_cell(input, hx, w_ih, w_hh):
    """PyTorch's checks of a cell step's shapes (``hx`` a tuple of states)."""
    if input.size(1) != w_ih.size(1):
        raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected "
                           f"{w_ih.size(1)}")
    hidden_size = w_hh.size(1)
    for label, h in enumerate(hx):
        if input.size(0) != h.size(0):
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match "
                               f"hidden{label} batch size {h.size(0)}")
        if h.size(1) != hidden_size:
            raise RuntimeError(f"hidden{label} has inconsistent hidden_size: got "
                               f"{h.size(1)}, expected {hidden_size}")


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    >>> cell = RNNCell(10, 20)
    >>> cell(ember.randn(3, 10)).shape
    torch.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, hx, batched = self._prepare("RNNCell", input, hx, 1)
        if self.nonlinearity == "tanh":
            step = "rnn_tanh_cell"
        elif self.nonlinearity == "relu":
            step = "rnn_relu_cell"
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = self._step(step, input, hx)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: takes ``(h, c)`` (zeros by default) and returns the new ``(h, c)``.

    >>> cell = LSTMCell(10, 20)
    >>> [t.shape for t in cell(ember.randn(3, 10))]
    [torch.Size([3, 20]), torch.Size([3, 20])]
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        if isinstance(hx, Tensor) and input.dim() == 2:  # (h, c) is needed, not h alone
            raise TypeError("lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, "
                            "not Tensor")
        input, hx, batched = self._prepare("LSTMCell", input, hx, 2)
        h, c = self._step("lstm_cell", input, hx)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step, with the same gates as :class:`GRU`.

    >>> cell = GRUCell(10, 20)
    >>> cell(ember.randn(3, 10)).shape
    torch.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, batched = self._prepare("GRUCell", input, hx, 1)
        h = self._step("gru_cell", input, hx)
        return h if batched else h.squeeze(0)
