"""Optimizers on complex parameters: PyTorch steps each real and imaginary part on its own
(``view_as_real``), so moments and step sizes are per part."""
import numpy as np
import pytest

import ember
from diff import torch

CASES = [("Adam", {}), ("AdamW", {"weight_decay": 0.1}), ("Adam", {"amsgrad": True}),
         ("RMSprop", {"centered": True, "momentum": 0.5}), ("Adagrad", {}), ("Adadelta", {}),
         ("Adamax", {}), ("NAdam", {}), ("RAdam", {}), ("Rprop", {}),
         ("SGD", {"lr": 0.1, "momentum": 0.9})]


@pytest.mark.parametrize("name,kw", CASES)
def test_complex_parameters_step_as_pytorch(name, kw):
    def run(lib):
        lib.manual_seed(0)
        p = lib.nn.Parameter(lib.randn(3, 2, dtype=lib.complex64))
        q = lib.nn.Parameter(lib.randn((), dtype=lib.complex64))
        opt = getattr(lib.optim, name)([p, q], **kw)
        for _ in range(3):
            opt.zero_grad()
            loss = (p.abs() ** 2).sum() + (p.real * p.imag).sum() + q.abs()
            loss.backward()
            opt.step()
        return p.detach().numpy(), q.detach().numpy()
    for got, want in zip(run(ember), run(torch)):
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)


def test_module_to_complex_and_deterministic_empty():
    import warnings
    outs = []
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m = lib.nn.Linear(2, 2).to(lib.cfloat)
        outs.append((repr(m.weight.dtype), repr(m.bias.dtype),
                     [x.category.__name__ for x in w]))
        lib.use_deterministic_algorithms(True)
        try:
            e = lib.empty(2, dtype=lib.cfloat)
        finally:
            lib.use_deterministic_algorithms(False)
        outs.append(repr(e))
    assert outs[:2] == outs[2:]
    with pytest.raises(TypeError, match="floating point or complex dtypes"):
        ember.nn.Linear(2, 2).to(ember.int64)
