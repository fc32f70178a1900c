"""Small differences the lead found beside the session's sweeps, each checked against PyTorch."""
import pytest

from diff import same

CASES = {
    # a ninth positional argument of RNN/GRU is PyTorch's ``proj_size`` slot, not ``device``
    "rnn_positional_proj": lambda t: t.nn.RNN(10, 20, 2, "relu", True, False, 0.0, False, 0,
                                              None, t.float64).weight_ih_l0.dtype,
    "gru_positional_proj": lambda t: t.nn.GRU(10, 20, 2, True, False, 0.0, False, 0, None,
                                              t.float64).weight_hh_l1.dtype,
    "gru_positional_proj_repr": lambda t: t.nn.GRU(10, 20, 2, True, False, 0.0, False, 5),
    "rnn_proj_keyword": lambda t: t.nn.RNN(10, 20, proj_size=3),
    "gru_bad_keyword": lambda t: t.nn.GRU(10, 20, foo=3),
    "rnn_bad_nonlinearity": lambda t: t.nn.RNN(10, 20, 1, "sigmoid"),
    "container": lambda t: t.nn.Container(a=t.nn.Linear(2, 3), b=t.nn.ReLU()),
    "container_params": lambda t: [n for n, _ in t.nn.Container(
        a=t.nn.Linear(2, 3)).named_parameters()],
}


@pytest.mark.parametrize("name", CASES)
def test_same_as_torch(name):
    same(CASES[name])
