"""Corners found by running well-known PyTorch tutorials (transfer learning, char-RNN,
seq2seq, DCGAN, style transfer, NLP) on both libraries: each scenario must give the same
printed result."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _names(out):
    o, h = out
    hs = h if isinstance(h, tuple) else (h,)
    return type(o.grad_fn).__name__, [type(x.grad_fn).__name__ for x in hs]


RNN_CASES = {
    "lstm": lambda T: T.nn.LSTM(3, 4)(T.randn(5, 2, 3)),
    "lstm_hx": lambda T: T.nn.LSTM(3, 3)(T.randn(5, 1, 3), (T.randn(1, 1, 3), T.randn(1, 1, 3))),
    "lstm_2layer_dropout": lambda T: T.nn.LSTM(3, 4, 2, dropout=0.5)(T.randn(5, 2, 3)),
    "lstm_bidirectional": lambda T: T.nn.LSTM(3, 4, 2, bidirectional=True)(T.randn(5, 2, 3)),
    "lstm_batch_first": lambda T: T.nn.LSTM(3, 4, batch_first=True)(T.randn(2, 5, 3)),
    "lstm_unbatched": lambda T: T.nn.LSTM(3, 4)(T.randn(5, 3)),
    "lstm_proj": lambda T: T.nn.LSTM(3, 4, proj_size=2)(T.randn(5, 2, 3)),
    "lstm_double": lambda T: T.nn.LSTM(3, 4).double()(T.randn(5, 2, 3, dtype=T.double)),
    "gru": lambda T: T.nn.GRU(3, 4)(T.randn(5, 2, 3)),
    "gru_bidirectional": lambda T: T.nn.GRU(3, 4, bidirectional=True)(T.randn(5, 2, 3)),
    "rnn": lambda T: T.nn.RNN(3, 4)(T.randn(5, 2, 3)),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", sorted(RNN_CASES))
def test_rnn_output_grad_fn_names(case):
    # the LSTM tutorial prints ``out``: PyTorch's oneDNN LSTM layer shows
    # ``grad_fn=<MkldnnRnnLayerBackward0>``, its own loop ``StackBackward0``
    fn = RNN_CASES[case]
    torch.manual_seed(0)
    ember.manual_seed(0)
    assert _names(fn(ember)) == _names(fn(torch))


def test_rnn_outputs_and_grads_unchanged():
    def run(T):
        T.manual_seed(1)
        m = T.nn.LSTM(3, 4, 2, bidirectional=True)
        x = T.randn(6, 2, 3, requires_grad=True)
        o, (h, c) = m(x)
        (o.pow(2).sum() + h.sum() + c.sum()).backward()
        return [o.detach().numpy(), x.grad.numpy(), m.weight_hh_l1_reverse.grad.numpy()]
    for a, b in zip(run(ember), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_lstm_grad_fn_without_onednn():
    with torch.backends.mkldnn.flags(enabled=False):
        expected = type(torch.nn.LSTM(3, 4)(torch.randn(5, 2, 3))[0].grad_fn).__name__
    with ember.backends.mkldnn.flags(enabled=False):
        got = type(ember.nn.LSTM(3, 4)(ember.randn(5, 2, 3))[0].grad_fn).__name__
    assert got == expected == "StackBackward0"


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("backend", ["mkldnn", "cudnn"])
def test_backend_flags_context(backend):
    def run(T):
        mod = getattr(T.backends, backend)
        names = ["enabled", "deterministic"] + (["benchmark", "allow_tf32"]
                                                if backend == "cudnn" else [])
        before = [getattr(mod, n) for n in names]
        with mod.flags(enabled=False, deterministic=True):
            inside = [getattr(mod, n) for n in names]
        return before, inside, [getattr(mod, n) for n in names]
    assert run(ember) == run(torch)


def _outcome(fn, lib):
    try:
        res = fn(lib)
    except Exception as exc:  # the error is the behaviour under test
        return ("raised", type(exc).__name__, str(exc))
    return ("ok", repr(res))


@pytest.mark.parametrize("value", [1, 0, None, "a", 1.0, np.bool_(True), "tensor", True, False])
def test_set_grad_enabled_wants_a_bool(value):
    def run(T):
        v = T.tensor(True) if isinstance(value, str) and value == "tensor" else value
        try:
            return T.set_grad_enabled(v)
        finally:
            T.set_grad_enabled(True)
    assert _outcome(run, ember) == _outcome(run, torch)


@pytest.mark.parametrize("extra", [(None,), (3,), ("s",), ([1],), (None, 2.0)])
@pytest.mark.parametrize("needs_grad", [True, False])
def test_save_for_backward_only_tensors(extra, needs_grad):
    def run(T):
        class Twice(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, *extra)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2
        out = Twice.apply(T.ones(2, requires_grad=needs_grad))
        return out.detach()
    assert _outcome(run, ember) == _outcome(run, torch)


def test_saved_tensor_attributes():
    # the "autograd mechanics" tutorial: ``grad_fn._saved_self`` is the input itself,
    # ``_saved_result`` an equal tensor that is not the output object
    def run(T):
        x = T.randn(5, requires_grad=True)
        y = x.pow(2)
        out = [y.grad_fn._saved_self is x, x.equal(y.grad_fn._saved_self),
               repr(y.grad_fn._saved_exponent)]
        y = x.exp()
        out += [y.grad_fn._saved_result is y, y.equal(y.grad_fn._saved_result)]
        z = x * 2
        out += [repr(z.grad_fn._saved_other), repr(z.grad_fn._saved_self),
                repr((x * 2.5).grad_fn._saved_other)]
        w = x * T.ones(5, requires_grad=True)
        out += [w.grad_fn._saved_self is x]
        for f in ("sigmoid", "tanh", "sqrt"):
            r = getattr(x.abs(), f)()
            out.append(r.equal(r.grad_fn._saved_result))
        out.append(_outcome(lambda T: y.grad_fn._saved_foo, T)[:2])
        y.sum().backward()
        out.append(_outcome(lambda T: y.grad_fn._saved_result, T))
        return out
    torch.manual_seed(0)
    ember.manual_seed(0)
    assert run(ember) == run(torch)


def test_saved_tensors_hooks():
    def run(T):
        log = []
        a = T.ones(3, requires_grad=True)
        b = T.ones(3, requires_grad=True) * 2

        def pack(t):
            log.append(("pack", repr(t)))
            return t * 1

        def unpack(t):
            log.append(("unpack", repr(t)))
            return t
        with T.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = a * b
            e = a.exp()
        (y + e).sum().backward()
        log.append(repr(a.grad))
        with T.autograd.graph.save_on_cpu(pin_memory=False):
            z = (a * a.sin()).sum()
        z.backward()
        log.append(repr(a.grad))
        with T.autograd.graph.disable_saved_tensors_hooks("no hooks please"):
            log.append(_outcome(lambda T: T.autograd.graph.saved_tensors_hooks(
                pack, unpack).__enter__(), T))
        return log
    assert run(ember) == run(torch)


@pytest.mark.parametrize("case", ["plain", "no_grad_leaf", "leaf", "non_leaf"])
def test_mark_dirty_counts_and_leaf_check(case):
    def run(T):
        class Double(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2
        q = T.ones(2, requires_grad=case != "plain")
        if case == "non_leaf":
            q = q.clone()
        if case == "no_grad_leaf":
            with T.no_grad():
                r = Double.apply(q)
        else:
            r = _outcome(lambda T: Double.apply(q), T)
        return repr(r), q._version
    assert run(ember) == run(torch)
