"""Recurrent layers (RNN, LSTM, GRU, their cells) and ``nn.utils.rnn``, against PyTorch.

Both libraries build the layer from the same seed, and the weights must agree bit for bit;
then outputs, final states and the gradients of the input, the initial state and every
parameter are compared.
"""
import io
import warnings

import numpy as np
import pytest

import ember
from diff import assert_same, check

torch = pytest.importorskip("torch")

# PyTorch's own CPU kernel notes that it cannot use oneDNN for projected LSTMs.
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")



@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """PyTorch's tiny recurrent kernels run faster on one thread (and the suite stays fast on
    a loaded machine); the setting is restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


MODES = {"tanh": ("RNN", {}), "relu": ("RNN", {"nonlinearity": "relu"}), "lstm": ("LSTM", {}),
         "gru": ("GRU", {})}


def pair(cls, *args, seed=0, **kw):
    """The same layer in both libraries from the same seed; its weights agree bit for bit."""
    torch.manual_seed(seed)
    t = getattr(torch.nn, cls)(*args, **kw)
    ember.manual_seed(seed)
    e = getattr(ember.nn, cls)(*args, **kw)
    assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    for (name, a), b in zip(t.named_parameters(), e.parameters()):
        assert a.dtype == getattr(torch, str(b.dtype).replace("torch.", "")), name
        assert np.array_equal(a.detach().numpy(), b.detach().numpy()), name
    return e, t


def _flat(r):
    if isinstance(r, (tuple, list)):
        return [y for x in r for y in _flat(x)]
    return [r]


def compare(e_mod, t_mod, arrays, call, seed=0, rtol=None, atol=None):
    """Run ``call(module, lib, *tensors)`` in both libraries on the same arrays (each requires
    grad), compare all outputs, then back-propagate one random upstream gradient per output
    and compare the gradients of every input and every parameter."""
    tt = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    et = [ember.from_numpy(a.copy()).requires_grad_() for a in arrays]
    tr = call(t_mod, torch, *tt)
    er = call(e_mod, ember, *et)
    assert_same(er, tr, rtol, atol, "output")
    touts = [o for o in _flat(tr) if isinstance(o, torch.Tensor) and o.requires_grad]
    eouts = [o for o in _flat(er) if isinstance(o, ember.Tensor) and o.requires_grad]
    assert len(eouts) == len(touts) > 0
    r = np.random.default_rng(seed)
    ups = [r.standard_normal(tuple(o.shape)) for o in touts]
    names = [f"input{i}" for i in range(len(arrays))] + [n for n, _ in t_mod.named_parameters()]
    tg = torch.autograd.grad(touts, tt + list(t_mod.parameters()),
                             [torch.from_numpy(u).to(o.dtype) for u, o in zip(ups, touts)])
    eg = ember.autograd.grad(eouts, et + list(e_mod.parameters()),
                             [ember.from_numpy(u).to(o.dtype) for u, o in zip(ups, eouts)])
    assert len(eg) == len(tg)
    for name, a, b in zip(names, eg, tg):
        assert_same(a, b, rtol, atol, f"grad of {name}")
    return er, tr


def _state(rng, cls, shape, cell_shape=None, dtype=np.float32):
    h = rng.standard_normal(shape).astype(dtype)
    if cls == "LSTM":
        return [h, rng.standard_normal(cell_shape or shape).astype(dtype)]
    return [h]


def _with_state(cls):
    if cls == "LSTM":
        return lambda m, lib, x, h, c: m(x, (h, c))
    return lambda m, lib, x, h: m(x, h)


# -- the option grid --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_forward_backward_grid(mode, layers, bidirectional, batch_first, rng):
    cls, kw = MODES[mode]
    e, t = pair(cls, 5, 6, layers, batch_first=batch_first, bidirectional=bidirectional, **kw)
    steps, batch = 4, 3
    x = rng.standard_normal((batch, steps, 5) if batch_first else (steps, batch, 5))
    hx = _state(rng, cls, (layers * (1 + bidirectional), batch, 6))
    (out, _), _ = compare(e, t, [x.astype(np.float32), *hx], _with_state(cls))
    assert tuple(out.shape)[-1] == 6 * (1 + bidirectional)


@pytest.mark.parametrize("mode", MODES)
def test_no_bias_and_default_state(mode, rng):
    cls, kw = MODES[mode]
    e, t = pair(cls, 4, 5, 2, bias=False, bidirectional=True, **kw)
    assert not any("bias" in n for n, _ in e.named_parameters())
    x = rng.standard_normal((3, 2, 4)).astype(np.float32)
    compare(e, t, [x], lambda m, lib, x: m(x))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched(mode, with_state, batch_first, rng):
    cls, kw = MODES[mode]
    e, t = pair(cls, 3, 4, 2, bidirectional=True, batch_first=batch_first, **kw)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    if with_state:
        (out, h), _ = compare(e, t, [x, *_state(rng, cls, (4, 4))], _with_state(cls))
    else:
        (out, h), _ = compare(e, t, [x], lambda m, lib, x: m(x))
    assert tuple(out.shape) == (5, 8)


@pytest.mark.parametrize("layers,bidirectional,bias,batched",
                         [(1, False, True, True), (2, True, True, True), (2, False, False, True),
                          (2, True, True, False)])
def test_lstm_projection(layers, bidirectional, bias, batched, rng):
    e, t = pair("LSTM", 5, 6, layers, bias=bias, bidirectional=bidirectional, proj_size=3)
    d = 1 + bidirectional
    assert tuple(e.weight_hr_l0.shape) == (3, 6)
    assert tuple(e.weight_hh_l0.shape) == (24, 3)
    if layers == 2:
        assert tuple(e.weight_ih_l1.shape) == (24, 3 * d)
    x = rng.standard_normal((4, 2, 5) if batched else (4, 5)).astype(np.float32)
    lead = (layers * d, 2) if batched else (layers * d,)
    hx = _state(rng, "LSTM", (*lead, 3), (*lead, 6))
    (out, (h, c)), _ = compare(e, t, [x, *hx], _with_state("LSTM"))
    assert out.shape[-1] == 3 * d and h.shape[-1] == 3 and c.shape[-1] == 6
    compare(e, t, [x], lambda m, lib, x: m(x))  # zero initial states of the two sizes


@pytest.mark.parametrize("mode", MODES)
def test_float64(mode, rng):
    cls, kw = MODES[mode]
    e, t = pair(cls, 3, 4, 2, bidirectional=True, **kw)
    e, t = e.double(), t.double()
    x = rng.standard_normal((5, 2, 3))
    compare(e, t, [x, *_state(rng, cls, (4, 2, 4), dtype=np.float64)], _with_state(cls))
    torch.manual_seed(1)
    t64 = getattr(torch.nn, cls)(3, 4, dtype=torch.float64, **kw)
    ember.manual_seed(1)
    e64 = getattr(ember.nn, cls)(3, 4, dtype=ember.float64, **kw)
    assert e64.weight_ih_l0.dtype is ember.float64
    np.testing.assert_array_equal(e64.weight_hh_l0.detach().numpy(),
                                  t64.weight_hh_l0.detach().numpy())


def test_zero_batch(rng):
    for cls in ("RNN", "LSTM", "GRU"):
        e, t = pair(cls, 3, 4, 2)
        x = np.zeros((5, 0, 3), np.float32)
        assert_same(e(ember.from_numpy(x)), t(torch.from_numpy(x)))


# -- cells --------------------------------------------------------------------------------------

CELLS = {"tanh": ("RNNCell", {}), "relu": ("RNNCell", {"nonlinearity": "relu"}),
         "lstm": ("LSTMCell", {}), "gru": ("GRUCell", {})}


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
def test_cells(cell, bias, batched, rng):
    cls, kw = CELLS[cell]
    e, t = pair(cls, 5, 4, bias=bias, **kw)
    x = rng.standard_normal((3, 5) if batched else (5,)).astype(np.float32)
    shape = (3, 4) if batched else (4,)
    if cls == "LSTMCell":
        hx = [rng.standard_normal(shape).astype(np.float32) for _ in range(2)]
        out, _ = compare(e, t, [x, *hx], lambda m, lib, x, h, c: m(x, (h, c)))
        assert tuple(out[1].shape) == shape
    else:
        hx = [rng.standard_normal(shape).astype(np.float32)]
        out, _ = compare(e, t, [x, *hx], lambda m, lib, x, h: m(x, h))
        assert tuple(out.shape) == shape
    compare(e, t, [x], lambda m, lib, x: m(x))


@pytest.mark.parametrize("cell", ["lstm", "gru", "relu"])
def test_cell_unrolled_over_steps(cell, rng):
    cls, kw = CELLS[cell]
    e, t = pair(cls, 3, 4, **kw)
    xs = rng.standard_normal((4, 2, 3)).astype(np.float32)

    def unroll(m, lib, xs):
        state = None
        outs = []
        for x in xs:
            state = m(x, state)
            outs.append(state[0] if isinstance(state, tuple) else state)
        return lib.stack(outs)
    compare(e, t, [xs], unroll)


# -- dropout between layers, train and eval -----------------------------------------------------

@pytest.mark.parametrize("mode", ["tanh", "lstm", "gru"])
def test_dropout_between_layers(mode, rng):
    cls, kw = MODES[mode]
    e, t = pair(cls, 4, 5, 3, dropout=0.4, bidirectional=True, **kw)
    x = rng.standard_normal((3, 2, 4)).astype(np.float32)

    def seeded(m, lib, x):
        lib.manual_seed(7)  # dropout's masks come from the same generator stream
        return m(x)
    (train_out, _), _ = compare(e, t, [x], seeded)
    e.eval()
    t.eval()
    (eval_out, _), _ = compare(e, t, [x], seeded)
    assert not np.allclose(train_out.detach().numpy(), eval_out.detach().numpy())


# -- packed sequences ---------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_input(mode, bidirectional, enforce_sorted, rng):
    cls, kw = MODES[mode]
    e, t = pair(cls, 3, 4, 2, bidirectional=bidirectional, **kw)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    x = rng.standard_normal((6, 4, 3)).astype(np.float32)

    def run(m, lib, x, *hx):
        rnn = lib.nn.utils.rnn
        packed = rnn.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        out, h = m(packed, (tuple(hx) if len(hx) == 2 else hx[0]) if hx else None)
        assert type(out) is rnn.PackedSequence
        return out, rnn.pad_packed_sequence(out, total_length=6), h
    hx = _state(rng, cls, (2 * (1 + bidirectional), 4, 4))
    compare(e, t, [x, *hx], run)
    compare(e, t, [x], run)


def test_packed_batch_first_lstm_projection(rng):
    e, t = pair("LSTM", 3, 5, 2, batch_first=True, proj_size=2, bidirectional=True)
    x = rng.standard_normal((3, 4, 3)).astype(np.float32)

    def run(m, lib, x):
        rnn = lib.nn.utils.rnn
        out, (h, c) = m(rnn.pack_padded_sequence(x, lib.tensor([2, 4, 3]), batch_first=True,
                                                 enforce_sorted=False))
        return rnn.pad_packed_sequence(out, batch_first=True, padding_value=-1.0), h, c
    compare(e, t, [x], run)


# -- nn.utils.rnn -------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side, rng):
    a, b, c = (rng.standard_normal((n, 2)) for n in (3, 1, 4))
    check(lambda T, a, b, c: T.nn.utils.rnn.pad_sequence(
        [a, b, c], batch_first=batch_first, padding_value=-2.5, padding_side=side), a, b, c)


def test_pad_sequence_dtypes_and_shapes():
    ints = [np.arange(3), np.arange(5)]
    check(lambda T, *s: T.nn.utils.rnn.pad_sequence(list(s), padding_value=7), *ints)
    mixed = [np.arange(2).astype(np.float32), np.arange(3)]  # the first sequence's dtype wins
    check(lambda T, *s: T.nn.utils.rnn.pad_sequence(list(s)), *mixed, grad=False)
    check(lambda T, x: T.nn.utils.rnn.pad_sequence(x, batch_first=True),
          np.arange(6.).reshape(2, 3))  # a tensor is a sequence of its rows


def test_pack_unpack_roundtrip(rng):
    seqs = [rng.standard_normal((n, 2)).astype(np.float32) for n in (2, 4, 1)]

    def run(T, *s):
        rnn = T.nn.utils.rnn
        packed = rnn.pack_sequence(list(s), enforce_sorted=False)
        padded, lengths = rnn.pad_packed_sequence(packed, batch_first=True)
        return (packed.data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices,
                padded, lengths, *rnn.unpack_sequence(packed),
                *rnn.unpad_sequence(padded, lengths, batch_first=True))
    check(run, *seqs)
    check(lambda T, x: T.nn.utils.rnn.unpad_sequence(x, T.tensor([3, 1])),
          np.arange(6.).reshape(3, 2), requires_grad=False)  # PyTorch transposes it in place


def test_packed_sequence_object(rng):
    x = rng.standard_normal((3, 2, 2)).astype(np.float32)
    tp = torch.nn.utils.rnn.pack_padded_sequence(torch.from_numpy(x), [3, 1])
    ep = ember.nn.utils.rnn.pack_padded_sequence(ember.from_numpy(x), [3, 1])
    assert repr(ep) == repr(tp)
    assert ep._fields == tp._fields
    e64, t64 = ep.double(), tp.double()
    assert_same(tuple(e64), tuple(t64))
    assert ep.to(ember.float32) is ep and not ep.is_cuda
    perm = np.array([2, 0, 3, 1])
    assert_same(ember.nn.utils.rnn.invert_permutation(ember.from_numpy(perm)),
                torch.nn.utils.rnn.invert_permutation(torch.from_numpy(perm)))
    assert ember.nn.utils.rnn.invert_permutation(None) is None
    ps = ember.nn.utils.rnn.PackedSequence(ember.ones(3), ember.tensor([2, 1]),
                                           ember.tensor([1, 0]))
    assert ps.unsorted_indices.tolist() == [1, 0]


# -- construction, printing, state dicts --------------------------------------------------------

REPRS = [("RNN", (10, 20), {}), ("RNN", (10, 20, 2), {"nonlinearity": "relu"}),
         ("LSTM", (10, 20), {"num_layers": 2, "batch_first": True}),
         ("LSTM", (4, 8), {"proj_size": 3, "bias": False, "dropout": 0.5, "num_layers": 3,
                           "bidirectional": True}),
         ("GRU", (3, 5, 2), {"dropout": 1}), ("RNNCell", (3, 4), {"nonlinearity": "relu"}),
         ("RNNCell", (3, 4), {"bias": False}), ("LSTMCell", (3, 4), {}),
         ("GRUCell", (3, 4), {"bias": False})]


@pytest.mark.parametrize("cls,args,kw", REPRS)
def test_repr_and_names(cls, args, kw):
    e, t = pair(cls, *args, **kw)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    if cls in ("RNN", "LSTM", "GRU"):
        assert e._flat_weights_names == t._flat_weights_names
        assert [[tuple(p.shape) for p in ps] for ps in e.all_weights] == \
            [[tuple(p.shape) for p in ps] for ps in t.all_weights]
        assert all(a is b for a, b in zip(e._flat_weights, e.parameters()))
        e.flatten_parameters()


def test_repr_in_a_model():
    def model(T):
        T.manual_seed(0)
        return T.nn.Sequential(T.nn.Embedding(10, 4), T.nn.GRU(4, 8, batch_first=True))
    assert repr(model(ember)) == repr(model(torch))


def test_reset_parameters_draws_pytorchs_numbers():
    e, t = pair("LSTM", 3, 7, 2, bidirectional=True)
    torch.manual_seed(11)
    t.reset_parameters()
    ember.manual_seed(11)
    e.reset_parameters()
    for a, b in zip(t.parameters(), e.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("cls", ["LSTM", "GRUCell"])
def test_state_dict_crosses_libraries(cls, rng):
    args = (3, 5, 2) if cls == "LSTM" else (3, 5)
    e, _ = pair(cls, *args, seed=1)
    _, t = pair(cls, *args, seed=2)
    assert not np.array_equal(e.weight_ih_l0.detach().numpy() if cls == "LSTM"
                              else e.weight_ih.detach().numpy(),
                              t.state_dict()[list(t.state_dict())[0]].numpy())
    # PyTorch -> ember through the dict of tensors, ember -> PyTorch through a .pth file
    e.load_state_dict({k: ember.from_numpy(v.numpy()) for k, v in t.state_dict().items()})
    x = rng.standard_normal((4, 2, 3) if cls == "LSTM" else (2, 3)).astype(np.float32)
    compare(e, t, [x], lambda m, lib, x: m(x))
    ember.manual_seed(9)
    fresh = getattr(ember.nn, cls)(*args)
    buf = io.BytesIO()
    ember.save(fresh.state_dict(), buf)
    buf.seek(0)
    t.load_state_dict(torch.load(buf))
    e.load_state_dict(fresh.state_dict())
    compare(e, t, [x], lambda m, lib, x: m(x))


def test_weight_assignment_is_used(rng):
    e, t = pair("GRU", 2, 3)
    w = rng.standard_normal((9, 3)).astype(np.float32)
    e.weight_hh_l0 = ember.nn.Parameter(ember.from_numpy(w))
    t.weight_hh_l0 = torch.nn.Parameter(torch.from_numpy(w))
    x = rng.standard_normal((3, 1, 2)).astype(np.float32)
    compare(e, t, [x], lambda m, lib, x: m(x))


def test_names_are_real_classes():
    for name in ("RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell",
                 "GRUCell"):
        assert issubclass(getattr(ember.nn, name), ember.nn.Module)
    assert issubclass(ember.nn.LSTM, ember.nn.RNNBase)
    for name in torch.nn.utils.rnn.__all__:
        assert callable(getattr(ember.nn.utils.rnn, name))
    with pytest.raises(AttributeError, match="^module 'torch.nn.utils.rnn' has no attribute "
                       "'no_such_function'$"):  # (PyTorch's words)
        ember.nn.utils.rnn.no_such_function  # noqa: B018


# -- errors and warnings ------------------------------------------------------------------------

def _outcome(fn, T):
    try:
        fn(T)
    except Exception as exc:  # the error is the behaviour under test
        return type(exc).__name__, str(exc)
    return "ok", ""


ERRORS = {
    "rnn 1-D input": lambda T: T.nn.RNN(3, 4)(T.ones(3)),
    "lstm 4-D input": lambda T: T.nn.LSTM(3, 4)(T.ones(1, 2, 3, 3)),
    "gru 1-D input": lambda T: T.nn.GRU(3, 4)(T.ones(3)),
    "wrong features": lambda T: T.nn.RNN(3, 4)(T.ones(5, 2, 4)),
    "wrong hidden": lambda T: T.nn.GRU(3, 4)(T.ones(5, 2, 3), T.ones(1, 3, 4)),
    "hidden 2-D for batched": lambda T: T.nn.RNN(3, 4)(T.ones(5, 2, 3), T.ones(2, 4)),
    "hidden 3-D for unbatched": lambda T: T.nn.GRU(3, 4)(T.ones(5, 3), T.ones(1, 1, 4)),
    "lstm wrong h": lambda T: T.nn.LSTM(3, 4)(T.ones(5, 2, 3), (T.ones(1, 3, 4), T.ones(1, 2, 4))),
    "lstm wrong c": lambda T: T.nn.LSTM(3, 4)(T.ones(5, 2, 3), (T.ones(1, 2, 4), T.ones(1, 2, 5))),
    "lstm proj wrong h": lambda T: T.nn.LSTM(3, 4, proj_size=2)(T.ones(5, 2, 3),
                                                                (T.ones(1, 2, 4), T.ones(1, 2, 4))),
    "lstm h 2-D": lambda T: T.nn.LSTM(3, 4)(T.ones(5, 2, 3), (T.ones(2, 4), T.ones(1, 2, 4))),
    "lstm unbatched 3-D": lambda T: T.nn.LSTM(3, 4)(T.ones(5, 3), (T.ones(1, 1, 4),) * 2),
    "input dtype": lambda T: T.nn.RNN(3, 4)(T.ones(5, 2, 3, dtype=T.float64)),
    "empty sequence": lambda T: T.nn.RNN(3, 4)(T.ones(0, 2, 3)),
    "packed wrong hidden": lambda T: T.nn.GRU(2, 3)(
        T.nn.utils.rnn.pack_sequence([T.ones(3, 2), T.ones(1, 2)]), T.ones(1, 3, 3)),
    "dropout out of range": lambda T: T.nn.LSTM(3, 4, dropout=1.5),
    "dropout bool": lambda T: T.nn.GRU(3, 4, dropout=True),
    "bias not bool": lambda T: T.nn.LSTM(3, 4, bias=1),
    "batch_first not bool": lambda T: T.nn.LSTM(3, 4, batch_first=1),
    "input_size float": lambda T: T.nn.LSTM(3.0, 4),
    "input_size 0": lambda T: T.nn.RNN(0, 4),
    "hidden_size float": lambda T: T.nn.GRU(3, 4.0),
    "hidden_size 0": lambda T: T.nn.LSTM(3, 0),
    "num_layers 0": lambda T: T.nn.LSTM(3, 4, 0),
    "proj negative": lambda T: T.nn.LSTM(3, 4, proj_size=-1),
    "proj too big": lambda T: T.nn.LSTM(3, 4, proj_size=4),
    "rnn proj": lambda T: T.nn.RNN(3, 4, proj_size=2),
    "gru proj": lambda T: T.nn.GRU(3, 4, proj_size=0),
    "nonlinearity": lambda T: T.nn.RNN(3, 4, nonlinearity="sigmoid"),
    "unknown keyword": lambda T: T.nn.RNN(3, 4, foo=1),
    "cell 3-D": lambda T: T.nn.RNNCell(3, 4)(T.ones(1, 2, 3)),
    "cell hidden 3-D": lambda T: T.nn.GRUCell(3, 4)(T.ones(2, 3), T.ones(1, 2, 4)),
    "lstm cell c 3-D": lambda T: T.nn.LSTMCell(3, 4)(T.ones(2, 3), (T.ones(2, 4),
                                                                    T.ones(1, 2, 4))),
    "cell input size": lambda T: T.nn.RNNCell(3, 4)(T.ones(2, 5)),
    "cell batch": lambda T: T.nn.RNNCell(3, 4)(T.ones(2, 3), T.ones(3, 4)),
    "cell hidden size": lambda T: T.nn.GRUCell(3, 4)(T.ones(2, 3), T.ones(2, 5)),
    "cell unbatched 2-D hidden": lambda T: T.nn.RNNCell(3, 4)(T.ones(3), T.ones(1, 4)),
    "lstm cell c size": lambda T: T.nn.LSTMCell(3, 4)(T.ones(2, 3), (T.ones(2, 4), T.ones(2, 5))),
    "lstm cell c batch": lambda T: T.nn.LSTMCell(3, 4)(T.ones(2, 3), (T.ones(2, 4), T.ones(3, 4))),
    "cell nonlinearity": lambda T: T.nn.RNNCell(3, 4, nonlinearity="x")(T.ones(2, 3)),
    "pad empty": lambda T: T.nn.utils.rnn.pad_sequence([]),
    "pad side": lambda T: T.nn.utils.rnn.pad_sequence([T.ones(2)], padding_side="top"),
    "pad not iterable": lambda T: T.nn.utils.rnn.pad_sequence(5),
    "pack unsorted": lambda T: T.nn.utils.rnn.pack_padded_sequence(T.ones(4, 3, 2), [2, 3, 1]),
    "pack zero length": lambda T: T.nn.utils.rnn.pack_padded_sequence(T.ones(4, 3), [3, 2, 0]),
    "pack lengths count": lambda T: T.nn.utils.rnn.pack_padded_sequence(T.ones(4, 3), [3, 2]),
    "pack 2-D lengths": lambda T: T.nn.utils.rnn.pack_padded_sequence(T.ones(4, 3),
                                                                      T.tensor([[3, 2, 1]])),
    "unpack too short": lambda T: T.nn.utils.rnn.pad_packed_sequence(
        T.nn.utils.rnn.pack_sequence([T.ones(3), T.ones(2)]), total_length=2),
    "packed float sizes": lambda T: T.nn.utils.rnn.pad_packed_sequence(
        T.nn.utils.rnn.PackedSequence(T.ones(3), T.tensor([2.0, 1.0]))),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = _outcome(ERRORS[name], torch)
        e = _outcome(ERRORS[name], ember)
    assert t[0] != "ok", "the scenario must fail in PyTorch"
    assert e == t


def test_dropout_warning():
    def caught(T):
        with pytest.warns(UserWarning) as record:
            T.nn.LSTM(3, 4, dropout=0.25)
        return [(w.category, str(w.message)) for w in record]
    assert caught(ember) == caught(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.nn.GRU(3, 4, 2, dropout=0.25)  # more than one layer: no warning
