"""Realistic user programs (a DCGAN, a VAE, a char-level LSTM with sampling, seq2seq with
attention, transfer learning with param groups, custom autograd Functions with gradcheck,
gradient accumulation with early stopping and checkpoints, samplers and k-fold splits, an LR
finder with bfloat16 autocast, a small ResNet, distillation and contrastive losses, weight
tying and metrics, LBFGS regression, REINFORCE, tensor wrangling, a Transformer with hooks)
print on ember what they print on PyTorch 2.13.

The programs live in tests/data/programs; each is run unchanged, all of them in one
subprocess per library (``import torch`` resolved to ember on ember's side).  Where torch is
importable its output is produced live; else the output recorded from PyTorch (``*.out``
beside each program) is the reference.  Object addresses are masked.  Where the products and
the vector math are reproduced bit for bit (``_mkl_gemm.emulated()`` and ``_vml.emulated()``:
the measured processor), the text must be identical; elsewhere the last digits of float32
results may differ (NumPy's BLAS and libm), so numbers are compared to a relative 2e-3.
"""
import os

import pytest
from programs import close, exact, mask, names, results, start

HERE = os.path.join(os.path.dirname(__file__), "data", "programs")
PROGRAMS = names(HERE)


@pytest.fixture(scope="module")
def outputs():
    # (the two libraries' runs go side by side: one process each)
    ember_run = start("ember", HERE)
    try:
        import torch  # noqa: F401
        want = results(start("torch", HERE))
    except ImportError:
        want = {}
        for n in PROGRAMS:
            with open(os.path.join(HERE, n + ".out")) as f:
                want[n] = [mask(f.read()), None]
    return results(ember_run), want


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_prints_what_pytorch_prints(outputs, name):
    got, want = outputs
    assert want[name][1] is None, want[name][1]
    assert got[name][1] is None, got[name][1]
    if exact():
        assert got[name][0] == want[name][0]
    else:
        assert close(got[name][0], want[name][0]), (got[name][0], want[name][0])


def test_recorded_outputs_are_pytorch_outputs(outputs):
    # the recorded reference, the one used where torch is missing, is what PyTorch prints
    # (to the tolerance above: it was recorded on another processor than this one may be)
    _, want = outputs
    for n in PROGRAMS:
        with open(os.path.join(HERE, n + ".out")) as f:
            assert close(want[n][0], mask(f.read())), n


def test_close_is_strict_about_text_and_digits():
    assert close("loss 0.1234 tensor([1., 2.])", "loss 0.1235 tensor([1.0000, 2.0000])")
    assert not close("loss 0.1234", "loss 0.1334")
    assert not close("acc 3/8", "acc 4/8")
    assert not close("Loss_D", "Loss_G")


# -- hook handles: every handle takes an id from one shared counter, so the hooks that layers
# register themselves show in the ids (and dict keys) of the hooks a program adds after them --

def _hook_ids(lib):
    nn = lib.nn
    base = nn.Linear(2, 2).register_forward_hook(lambda *a: None).id
    lazy = nn.LazyLinear(3)
    pre = list(lazy._forward_pre_hooks)
    loads = len(lazy._load_state_dict_pre_hooks)
    lazy(lib.ones(1, 2))
    after = (type(lazy).__name__, len(lazy._forward_pre_hooks),
             len(lazy._load_state_dict_pre_hooks), hasattr(lazy, "_load_hook"))
    wn = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
    h = nn.Linear(2, 2).register_forward_pre_hook(lambda *a: None)
    return [i - base for i in pre], loads, after, len(wn._load_state_dict_pre_hooks), h.id - base


def test_hook_ids_follow_layers_own_hooks():
    import torch

    import ember

    assert _hook_ids(ember) == _hook_ids(torch)


def test_weight_norm_loads_old_checkpoint_through_its_hook():
    import numpy as np
    import torch

    import ember

    def run(lib):
        lib.manual_seed(0)
        old = lib.nn.Sequential(lib.nn.utils.weight_norm(lib.nn.Linear(3, 2)))
        new = lib.nn.Sequential(lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(3, 2)))
        res = str(new.load_state_dict(old.state_dict()))
        return res, new[0].weight.detach().numpy().copy(), old[0].weight.detach().numpy().copy()

    with pytest.warns(FutureWarning):
        a = run(ember)
    with pytest.warns(FutureWarning):
        b = run(torch)
    assert a[0] == b[0]
    # (the loaded weight is the old one, recomputed from its g and v: to rounding)
    np.testing.assert_allclose(a[1], a[2], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-6, atol=1e-7)
