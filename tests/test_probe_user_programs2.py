"""More whole user programs, written the way tutorials, course notebooks and Q&A answers
write them (custom Datasets with collate_fn, samplers and random_split; checkpoints resumed
into a fresh model, optimizer and scheduler; buffers and every kind of hook; a small CNN with
a confusion matrix; custom autograd Functions and gradcheck; distributions sampled with a
seed; the errors users hit, with their messages; printing of every dtype and print option;
gather/scatter/masking idioms; embedding bags; numpy interop; schedulers; pruning and
parametrizations; autograd mechanics; views written in place; default dtype and devices;
SWA/EMA and the data utilities), run unchanged on ember and on PyTorch: the printed text
must be the same.

The programs live in tests/data/programs2; all of them run in one subprocess per library
(``import torch`` resolved to ember on ember's side).  Where ember's float32 products and
vector math are PyTorch's bit for bit (``measured_cpu``) the text must be identical, else
numbers are compared to a relative 2e-3 (the last digits of float32 results may differ).

Also here: ``prod`` along a dim that leaves one output (a 1-D tensor's ``x.prod(0)``) is
PyTorch's two-pass reduction over its threads, as ``x.prod()`` is.
"""
import os

import numpy as np
import pytest
from programs import check_program, close, names, run_both

import ember

torch = pytest.importorskip("torch")

HERE = os.path.join(os.path.dirname(__file__), "data", "programs2")
PROGRAMS = names(HERE)


@pytest.fixture(scope="module")
def outputs():
    return run_both(HERE)


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_prints_what_pytorch_prints(outputs, name):
    check_program(outputs, name)


def test_close_is_strict_about_text_and_digits():
    assert close("loss 0.1234 tensor([1., 2.])", "loss 0.1235 tensor([1.,  2.])")
    assert not close("loss 0.1234", "loss 0.1334")
    assert not close("acc 3/8", "acc 4/8")


# -- prod along a dim that leaves one output: PyTorch's whole-tensor (two-pass) order --------

def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prod_over_the_only_dim_is_the_full_product(dtype):
    rng = np.random.default_rng(0)
    cases = [((40000,), 0), ((100003,), -1), ((1, 70000), 1), ((70000, 1), 0),
             ((1, 70000, 1), 1), ((2, 50000), 1), ((50000, 2), 0), ((300, 300), 1), ((33,), 0)]
    for shape, dim in cases:
        a = (rng.standard_normal(shape) * 0.01 + 1).astype(dtype)
        for keepdim in (False, True):
            want = torch.from_numpy(a).prod(dim, keepdim=keepdim).numpy()
            got = ember.from_numpy(a).prod(dim, keepdim=keepdim).numpy()
            assert got.shape == want.shape, (shape, dim, keepdim)
            assert np.array_equal(_bits(got), _bits(want)), (shape, dim, keepdim)
        # (the same bits as the whole-tensor product where one value comes out)
        if a.size == a.shape[dim]:
            assert np.array_equal(_bits(ember.from_numpy(a).prod(dim).numpy()).reshape(-1),
                                  _bits(ember.from_numpy(a).prod().numpy()).reshape(-1))


def test_prod_over_the_only_dim_keeps_its_gradient():
    x = np.linspace(0.99, 1.01, 40000)
    got = ember.tensor(x, requires_grad=True)
    want = torch.tensor(x, requires_grad=True)
    (g := got.prod(0)).backward()
    (w := want.prod(0)).backward()
    assert g.grad_fn.name() == w.grad_fn.name() == "ProdBackward1"
    assert g.item() == w.item()
    np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-12)


# -- handle ids: PyTorch's module backward hooks take one id per hooked node in the forward
# (``grad_fn.register_hook``/``register_prehook``); ``retain_grad`` takes none -----------------

def _id_steps(lib):
    nn = lib.nn
    last = [nn.Linear(1, 1).register_forward_hook(lambda *a: None).id]
    steps = []

    def mark():
        now = nn.Linear(1, 1).register_forward_hook(lambda *a: None).id
        steps.append(now - last[0] - 1)
        last[0] = now

    lib.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    h = net[0].register_full_backward_hook(lambda m, gi, go: None)
    mark()
    net(lib.randn(4, 3)).sum().backward()  # (an input without grad: the outputs' node only)
    mark()
    net(lib.randn(4, 3, requires_grad=True)).sum().backward()
    mark()
    with lib.no_grad():
        net(lib.randn(4, 3))
    mark()
    h.remove()
    net[1].register_full_backward_pre_hook(lambda m, go: None)
    net(lib.randn(4, 3)).sum().backward()
    mark()
    a = lib.randn(2, 2, requires_grad=True)
    b = a * 2
    b.retain_grad()
    mark()
    b.mul_(3)  # (the retained gradient follows the in-place change)
    (b * b).sum().backward()
    mark()
    return steps, b.grad.tolist()


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_handle_ids_follow_pytorch():
    assert _id_steps(ember) == _id_steps(torch)
