"""The mistakes users make, and what they print: each snippet runs under PyTorch and under
ember (``torch`` bound to either), and the exception's type name and message text, or the
value, and the warnings raised must be the same.

Grouped by area: shapes, losses, autograd (the saved-tensor checks of an LSTM among them),
dtypes and devices, modules, optimizers and data, tensor attributes, checkpoints.
"""
from __future__ import annotations

import textwrap
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _run(lib, code):
    """``code`` run with ``torch`` bound to ``lib``: ``("ok", str(out))`` (``out`` as the
    snippet left it) or the exception's type name and message; then the warnings."""
    ns = {"torch": lib, "nn": lib.nn, "F": lib.nn.functional, "np": np}
    lib.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(textwrap.dedent(code), ns)
            res = ("ok", str(ns.get("out", "")))
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            res = (type(e).__name__, str(e))
    return res, [(w.category.__name__, str(w.message)) for w in caught]


def _same_all(cases):
    bad = []
    for code in cases:
        want, got = _run(torch, code), _run(ember, code)
        if want != got:
            bad.append(f"{code!r}\n  torch: {want}\n  ember: {got}")
    assert not bad, "\n".join(bad)


SHAPES = [
    "nn.Linear(784, 512)(torch.randn(64, 785))",
    "nn.Linear(4, 3)(torch.randn(2, 5, 5))",
    "F.linear(torch.randn(2, 3), torch.randn(4, 3), torch.randn(5))",
    "torch.mm(torch.randn(3), torch.randn(3, 5))",
    "torch.randn(5, 3) @ torch.randn(4)",
    "torch.randn(2, 5, 3) @ torch.randn(3, 3, 6)",
    "torch.bmm(torch.randn(2, 3, 4), torch.randn(2, 5, 5))",
    "torch.mv(torch.randn(3, 4), torch.randn(5))",
    "torch.dot(torch.randn(3), torch.randn(4))",
    "torch.randn(2, 3) @ torch.randn(3, 2).double()",
    "nn.Conv2d(3, 16, 3)(torch.randn(8, 1, 28, 28))",
    "nn.Conv2d(3, 16, 3)(torch.randn(28, 28))",
    "nn.Conv1d(3, 16, 3)(torch.randn(1, 1, 3, 28))",
    "nn.Conv2d(3, 16, 5)(torch.randn(1, 3, 3, 3))",
    "nn.Conv2d(3, 6, 3)(torch.randn(1, 3, 5, 5).double())",
    "nn.MaxPool2d(3)(torch.randn(1, 1, 2, 2))",
    "nn.BatchNorm2d(16)(torch.randn(4, 8, 5, 5))",
    "nn.BatchNorm1d(3)(torch.randn(1, 3))",
    "nn.LayerNorm([5, 10])(torch.randn(2, 10, 5))",
    "nn.LSTM(10, 20)(torch.randn(5, 3, 11))",
    "nn.LSTM(10, 20)(torch.randn(5, 3, 10), (torch.zeros(1, 4, 20), torch.zeros(1, 3, 20)))",
    "nn.GRU(10, 20, num_layers=2)(torch.randn(5, 3, 10), torch.zeros(1, 3, 20))",
    "m = nn.MultiheadAttention(8, 2); x = torch.randn(4, 2, 7); m(x, x, x)",
    "nn.Embedding(10, 3)(torch.tensor([1, 10]))",
    "torch.cat([torch.randn(2, 3), torch.randn(2, 4)])",
    "torch.stack([torch.randn(2, 3), torch.randn(2, 4)])",
    "torch.randn(2, 3).t().view(-1)",
    "torch.randn(2, 3).view(4, 2)",
    "torch.randn(2, 3).expand(2, 4)",
    "torch.randn(2, 3) + torch.randn(4)",
    "torch.randn(3).add_(torch.randn(2, 3))",
    "torch.ones(3, dtype=torch.long).add_(torch.randn(3))",
    "torch.randn(3, 4)[:, 4]",
    "torch.gather(torch.randn(3, 4), 1, torch.tensor([[0], [1], [2]], dtype=torch.int32))",
    "torch.zeros(3, 4).scatter_(1, torch.tensor([[0], [1], [4]]), 1.0)",
    "torch.split(torch.ones(5), [2, 2])",
    "torch.einsum('ij,jk->ik', torch.ones(2, 3), torch.ones(4, 5))",
]

LOSSES = [
    "F.cross_entropy(torch.randn(3, 5), torch.randn(3, 4))",
    "F.cross_entropy(torch.randn(3, 5), torch.tensor([0, 1, 2], dtype=torch.int32))",
    "F.cross_entropy(torch.randn(3, 5), torch.tensor([0, 1]))",
    "F.cross_entropy(torch.randn(3, 4), F.one_hot(torch.tensor([0, 1, 2]), 4))",
    "F.nll_loss(torch.randn(3, 5), torch.tensor([0, 1, 7]))",
    "F.binary_cross_entropy(torch.tensor([1.5, 0.2]), torch.tensor([1., 0.]))",
    "F.binary_cross_entropy(torch.rand(3, 1), torch.rand(3))",
    "F.binary_cross_entropy_with_logits(torch.rand(3), torch.tensor([1, 0, 1]))",
    "out = F.mse_loss(torch.randn(3), torch.randn(3, 1)).shape",
    "F.mse_loss(torch.randn(3), torch.randn(4))",
    "lp = torch.randn(10, 2, 5).log_softmax(2)\n"
    "F.ctc_loss(lp, torch.tensor([[1, 2], [3, 4]]), torch.tensor([11, 10]), torch.tensor([2, 2]))",
]

AUTOGRAD = [
    "x = torch.randn(3, requires_grad=True); y = x.exp().sum(); y.backward(); y.backward()",
    "x = torch.randn(3, requires_grad=True); (x * 2).backward()",
    "torch.randn(3).sum().backward()",
    "x = torch.randn(3, requires_grad=True); x.add_(1)",
    "a = torch.randn(3, 4, requires_grad=True); b = a.sigmoid(); c = b * 2; b.mul_(2)\n"
    "c.sum().backward()",
    "torch.tensor([1, 2], requires_grad=True)",
    "torch.randn(2, requires_grad=True).numpy()",
    "torch.randn(2).item()",
    "bool(torch.tensor([1, 2]))",
    "x = torch.randn(3, requires_grad=True); y = torch.randn(3, requires_grad=True)\n"
    "torch.autograd.grad((x * 2).sum(), [x, y])",
    "x = torch.randn(3, 4, requires_grad=True); x.view(12).detach_()",
    "x = torch.randn(2, 3, requires_grad=True) * 1; a, b = x.unbind(); a.add_(1)",
    "with torch.inference_mode():\n    x = torch.ones(2)\nx.add_(1)",
    "torch.autograd.Variable(torch.ones(2, dtype=torch.long), requires_grad=True)",
    "torch.autograd.Variable([1., 2.])",
    "out = torch.autograd.Variable()",
    "out = torch.autograd.Variable(torch.ones(2), volatile=True)",
    # the gradient given for an output takes the output's dtype first (PyTorch's engine casts)
    "x = torch.randn(3, 3, requires_grad=True)\n"
    "(x @ x).backward(torch.ones(3, 3, dtype=torch.long)); out = x.grad.dtype",
    "x = torch.randn(3, 3, requires_grad=True)\n"
    "out = torch.autograd.grad(x.t() @ x, x, torch.ones(3, 3).double())[0].dtype",
    "x = torch.randn(3, 3, requires_grad=True)\n"
    "g = torch.autograd.grad(F.linear(x, x), x, torch.ones(3, 3, dtype=torch.bool),\n"
    "                        create_graph=True)[0]; out = g.dtype, g.requires_grad",
]

# PyTorch's oneDNN LSTM node (MkldnnRnnLayerBackward0) keeps its inputs, weights and outputs:
# a second backward through it, or one after an in-place change of any of them, is refused
LSTM = [
    "m = nn.LSTM(4, 3)\ny = m(torch.randn(5, 2, 4))[0]\nl = y.sum()\nl.backward()\nl.backward()",
    "m = nn.LSTM(4, 3)\nh = None\nfor i in range(2):\n    y, h = m(torch.randn(5, 2, 4), h)\n"
    "    y.sum().backward()",
    "m = nn.LSTM(4, 3)\nh = None\nfor i in range(2):\n    y, h = m(torch.randn(5, 2, 4), h)\n"
    "    y.sum().backward()\n    h = tuple(t.detach() for t in h)\nout = 1",
    "m = nn.LSTM(4, 3); o = torch.optim.SGD(m.parameters(), lr=0.1)\nh = None\n"
    "for i in range(2):\n    o.zero_grad()\n    y, h = m(torch.randn(5, 2, 4), h)\n"
    "    y.sum().backward(retain_graph=True)\n    o.step()",
    "m = nn.LSTM(4, 3, batch_first=True, num_layers=2)\ny = m(torch.randn(2, 5, 4))[0]\n"
    "with torch.no_grad():\n    m.weight_hh_l1.mul_(2)\ny.sum().backward()",
    "m = nn.LSTM(4, 3, bidirectional=True)\ny = m(torch.randn(5, 2, 4))[0]\n"
    "with torch.no_grad():\n    m.bias_hh_l0_reverse.mul_(2)\ny.sum().backward()",
    "m = nn.LSTM(4, 3)\ny = m(torch.randn(5, 4))[0]\nwith torch.no_grad():\n"
    "    m.weight_ih_l0.mul_(2)\ny.sum().backward()",
    "m = nn.LSTM(4, 3)\ny, (h, c) = m(torch.randn(5, 2, 4))\n"
    "F.relu(y, inplace=True).sum().backward()",
    "m = nn.LSTM(4, 3, num_layers=2)\ny, (h, c) = m(torch.randn(5, 2, 4))\ny.mul_(2)\n"
    "y.sum().backward()",
    "m = nn.LSTM(4, 3)\nx = torch.randn(5, 2, 4)\ny, (h, c) = m(x)\nx.add_(1)\ny.sum().backward()",
    "m = nn.LSTM(4, 3)\nh0 = torch.zeros(1, 2, 3); c0 = torch.zeros(1, 2, 3)\n"
    "y, (h, c) = m(torch.randn(5, 2, 4), (h0, c0))\nh0.add_(1)\ny.sum().backward()",
    "m = nn.LSTM(4, 3)\ny, (h, c) = m(torch.randn(5, 2, 4))\nh.add_(1)\n"
    "(y.sum() + h.sum()).backward(); out = m.weight_ih_l0.grad.shape",
    "m = nn.LSTM(4, 3)\ny, (h, c) = m(torch.randn(5, 2, 4))\ny.sum().backward(retain_graph=True)\n"
    "y.sum().backward(); out = m.weight_ih_l0.grad.shape",
    "m = nn.LSTM(4, 3)\ny, (h, c) = m(torch.randn(5, 2, 4))\n"
    "torch.autograd.grad(y.sum(), m.weight_ih_l0)\ntorch.autograd.grad(y.sum(), m.weight_ih_l0)",
    "m = nn.LSTM(4, 3)\nwith torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):\n"
    "    y, (h, c) = m(torch.randn(5, 2, 4))\ny.sum().backward(); out = m.weight_ih_l0.grad.shape",
]

# Bilinear's node keeps an input only where another input's gradient needs it (PyTorch's
# ``_trilinear`` saves by need): its weight changed after a forward on plain inputs is no error
BILINEAR = [
    "m = nn.Bilinear(4, 4, 2)\nx = torch.randn(3, 4)\ny = m(x, x)\nwith torch.no_grad():\n"
    "    m.weight.mul_(2)\ny.sum().backward(); out = m.weight.grad.shape",
    "m = nn.Bilinear(4, 4, 2)\nx = torch.randn(3, 4, requires_grad=True)\ny = m(x, x)\n"
    "with torch.no_grad():\n    m.weight.mul_(2)\ny.sum().backward()",
    "m = nn.Bilinear(4, 4, 2)\nx = torch.randn(3, 4)\nz = torch.randn(3, 4, requires_grad=True)\n"
    "y = m(x, z)\nx.add_(1)\ny.sum().backward()",
    "m = nn.Bilinear(4, 4, 2)\nx = torch.randn(3, 4)\nz = torch.randn(3, 4, requires_grad=True)\n"
    "y = m(x, z)\nz.data.add_(1)\nwith torch.no_grad():\n    m.weight.mul_(2)\n"
    "y.sum().backward(); out = z.grad.shape",
]

# ops ember composes whose PyTorch node saves tensors: a second backward, or one after an
# in-place change of what the node kept, is refused (and only then)
_FUSED = ("F.pdist(A)", "torch.var_mean(A)[0]", "torch.var_mean(A)[1]",
          "torch.segment_reduce(a, 'sum', lengths=torch.tensor([1, 2]))", "torch.linalg.pinv(A)",
          "torch.linalg.lstsq(A, B).solution", "torch.cholesky(A @ A.t() + torch.eye(3))",
          "torch.linalg.solve_triangular(A.triu() + 3 * torch.eye(3), B, upper=True)",
          "torch.addmv(a, A, torch.randn(3))", "torch.addmv(a, torch.randn(3, 3), a)",
          "torch.addmv(a, torch.randn(3, 3), torch.randn(3))", "torch.addr(A, a, a)",
          "torch.addr(A, a, torch.randn(3))", "torch.addr(A, torch.randn(3), torch.randn(3))",
          "A.renorm(2, 0, 1.)")
_LEAVES = "A = torch.randn(3, 3, requires_grad=True); B = torch.randn(3, 2)\n" \
          "a = torch.randn(3, requires_grad=True)\n"
_NONLEAVES = "A0 = torch.randn(3, 3, requires_grad=True); A = A0 * 1; B = torch.randn(3, 2)\n" \
             "a0 = torch.randn(3, requires_grad=True); a = a0 * 1\n"
FUSED_SAVED = [pre + f"y = {op}\n" + then for op in _FUSED for pre, then in (
    (_LEAVES, "l = y.sum()\nl.backward()\nl.backward(); out = 1"),
    (_NONLEAVES, "A.add_(1); a.add_(1)\ny.sum().backward(); out = 1"),
    (_NONLEAVES, "y.add_(1)\ny.sum().backward(); out = 1"))] + [
    "x = torch.randn(3, 4, requires_grad=True); y = F.pdist(x, p=1); l = y.sum(); l.backward()\n"
    "l.backward()",
    "x = torch.randn(3, 4, requires_grad=True); y = torch.var_mean(x, 1)[1]; l = y.sum()\n"
    "l.backward(); l.backward()",
]

# what a node keeps decides what is refused: sgn, mvlgamma and householder_product keep their
# input (and result); remainder, fmod and hypot keep an operand only for a gradient that needs it
_PRE = "x = torch.rand(3, 3, requires_grad=True); w = torch.rand(3, 3) + 0.5\n"
SAVED_BY_NEED = [_PRE + code for code in (
    "y = x.sgn(); l = y.sum(); l.backward(); l.backward()",
    "y = (x * 1).sgn(); y.mul_(1); y.sum().backward()",
    "y = torch.special.multigammaln(x + 2, 1); l = y.sum(); l.backward(); l.backward()",
    "y = torch.linalg.householder_product(x, torch.rand(2, requires_grad=True))\n"
    "l = y.sum(); l.backward(); l.backward()",
    "y = torch.linalg.householder_product(x, torch.rand(2, requires_grad=True))\ny.mul_(1)\n"
    "y.sum().backward()",
    "y = torch.hypot(x, w); w.mul_(2); y.sum().backward(); out = x.grad.shape",
    "y = torch.remainder(x, w); w.mul_(2); y.sum().backward(); out = x.grad.shape",
    "y = torch.fmod(x, w); w.mul_(2); y.sum().backward(); out = x.grad.shape",
    "w.requires_grad_(); y = torch.remainder(x, w); w.data.mul_(1); x.data.mul_(1)\n"
    "out = y.grad_fn._saved_self.shape, y.grad_fn._saved_other.shape",
    "y = torch.fmod(x, w); out = y.grad_fn._saved_self, y.grad_fn._saved_other",
    "w.requires_grad_(); w = w * 1; y = torch.fmod(x, w); w.mul_(2); y.sum().backward()",
    "y = torch.hypot(w, x); out = y.grad_fn._saved_self, y.grad_fn._saved_other.shape",
    "x = x * 1; y = torch.fft.rfft(x); x.add_(1); y.abs().sum().backward()",
    "x = x * 1; y = torch.fft.fft2(x); x.add_(1); y.abs().sum().backward()",
    "y = torch.fft.rfft(x); l = y.real.sum(); l.backward(); l.backward()",
    "x = x * 1; w.requires_grad_(); w = w * 1; y = torch.complex(x, w); w.add_(1)\n"
    "y.abs().sum().backward()",
    "w.requires_grad_(); y = torch.complex(x, w); out = y.grad_fn._saved_real.shape",
    "x = x * 1; w.requires_grad_(); w = w * 1; y = torch.polar(x, w); w.add_(1)\n"
    "y.abs().sum().backward(); out = 1",
    "y = torch.polar(x, w); y.mul_(1); y.abs().sum().backward()",
    "y = torch.ldexp(x, torch.ones(3, dtype=torch.long)); l = y.sum(); l.backward()\n"
    "l.backward()",
    "y = x.index_put((torch.tensor([0, 2]),), torch.ones(3)); l = y.sum(); l.backward()\n"
    "l.backward()",
    "i = torch.tensor([0, 2]); y = x.index_put((i,), torch.ones(3)); i.add_(0)\n"
    "y.sum().backward()",
)]

DTYPES_DEVICES = [
    "torch.zeros(2).to('cuda')",
    "nn.Linear(2, 2).cuda()",
    "torch.zeros(2, device='cuda:1')",
    "torch.device('gpu')",
    "torch.arange(5).mean()",
    "torch.tensor([True]) - torch.tensor([False])",
    "x = torch.ones(3, dtype=torch.long); x /= 2",
    "torch.ones(2, dtype=torch.bfloat16).numpy()",
    "torch.set_default_dtype(torch.int64)",
]

MODULES_DATA = [
    "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.fc1 = nn.Linear(4, 3)\nNet().fc3",
    "class M(nn.Module):\n    def __init__(self):\n        self.fc = nn.Linear(2, 2)\nM()",
    "nn.Linear(2, 2).load_state_dict({'weight': torch.zeros(3, 2), 'bias': torch.zeros(3)})",
    "nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).load_state_dict("
    "{'0.weight': torch.zeros(3, 2), 'module.0.bias': torch.zeros(2)})",
    "nn.Module().register_buffer('a.b', torch.ones(1))",
    "nn.Module().register_parameter('w', torch.ones(1))",
    "nn.Sequential(nn.ReLU(), nn.Tanh())[2]",
    "nn.ModuleDict({'a': nn.ReLU()})['b']",
    "nn.Linear(2.5, 3)",
    "torch.optim.SGD([], lr=0.1)",
    "m = nn.Linear(2, 2)\n"
    "torch.optim.SGD([{'params': m.parameters()}, {'params': [m.weight]}], lr=0.1)",
    "torch.optim.Adam(nn.Linear(2, 2).parameters(), betas=(1.0, 0.99))",
    "next(iter(torch.utils.data.DataLoader([torch.ones(3), torch.ones(4)], batch_size=2)))",
    "next(iter(torch.utils.data.DataLoader([object(), object()], batch_size=2)))",
    "torch.utils.data.DataLoader([1, 2], shuffle=True, sampler=[0, 1])",
    "torch.utils.data.DataLoader([1, 2], batch_size=2, batch_sampler=[[0, 1]])",
    "torch.utils.data.random_split(range(10), [3, 3])",
    "torch.utils.data.TensorDataset(torch.ones(3), torch.ones(4))",
    "import io\nb = io.BytesIO(); torch.save(nn.Linear(1, 1), b); b.seek(0); torch.load(b)",
    "torch.load('/nonexistent/ember-probe/model.pt')",
]

# PyTorch's read-only tensor attributes are C getsets of torch._C.TensorBase: an assignment
# is refused in their words ("attribute ... is not writable")
ATTRIBUTES = [f"x = torch.ones(2, 3); x.{name} = {value}" for name, value in (
    ("shape", "(3, 2)"), ("dtype", "torch.float64"), ("device", "'cpu'"), ("T", "1"),
    ("mT", "1"), ("H", "1"), ("mH", "1"), ("grad_fn", "None"), ("is_leaf", "False"),
    ("ndim", "3"), ("layout", "torch.strided"), ("is_cuda", "True"), ("itemsize", "8"),
    ("nbytes", "8"), ("output_nr", "1"), ("_version", "0"), ("retains_grad", "True"),
    ("is_sparse", "True"), ("is_quantized", "True"), ("is_meta", "True"))] + [
    "p = nn.Parameter(torch.ones(2)); p.shape = (1, 2)",
    "x = torch.ones(2, 3); x.requires_grad = 1",
    "x = torch.ones(2, 3); x.data = [1]",
    "x = torch.ones(2, 3); x.grad = 1",
    "x = torch.ones(2, 3); out = x.shape, x.T.shape, x.dtype, x.is_leaf, x.ndim",
]

# resize_ of a tensor on a NumPy array's memory: any shape that fits that memory, never more
RESIZE = [
    "a = np.ones(2); x = torch.from_numpy(a); x.resize_(10)",
    "x = torch.from_numpy(np.ones(2)); x.resize_(10)",
    "x = torch.from_numpy(np.arange(4.)); x.resize_(2); out = x",
    "x = torch.from_numpy(np.arange(4.)); x.resize_(2); x.resize_(4); out = x",
    "x = torch.from_numpy(np.arange(4.)); x.resize_(2); x.resize_(5)",
    "x = torch.from_numpy(np.arange(4.))[1:]; x.resize_(3); out = x",
    "x = torch.from_numpy(np.arange(4.))[1:]; x.resize_(4)",
    "x = torch.from_numpy(np.arange(6.).reshape(2, 3)); x.resize_(3, 2); out = x",
    "x = torch.from_numpy(np.arange(6.).reshape(2, 3)); x.resize_(3, 3)",
    "a = np.arange(6.); x = torch.from_numpy(a); x.resize_(2); x[0] = 7; out = (x, a)",
    "x = torch.as_tensor(np.arange(4.)); x.resize_(5)",
    "x = torch.tensor(np.arange(4.)); x.resize_(5); out = x.shape",
    "x = torch.from_numpy(np.arange(4.)).view(2, 2); x.resize_(5)",
    "x = torch.from_numpy(np.arange(4, dtype=np.float32)); x.resize_(2, 2); out = x",
]


def test_shapes():
    _same_all(SHAPES)


def test_losses():
    _same_all(LOSSES)


def test_autograd():
    _same_all(AUTOGRAD)


def test_lstm_saved_tensors():
    _same_all(LSTM)


def test_bilinear_saves_by_need():
    _same_all(BILINEAR)


def test_fused_ops_keep_what_pytorch_saves():
    _same_all(FUSED_SAVED)


def test_nodes_keep_by_need():
    _same_all(SAVED_BY_NEED)


def test_dtypes_devices():
    _same_all(DTYPES_DEVICES)


def test_modules_optim_data():
    _same_all(MODULES_DATA)


def test_read_only_attributes():
    _same_all(ATTRIBUTES)


def test_resize_numpy_memory():
    _same_all(RESIZE)


def test_anomaly_traceback_ends_with_newline():
    """Anomaly mode's warning: the forward's traceback keeps its last newline before the
    " (Triggered internally at ...)" suffix, as PyTorch's."""
    code = ("with torch.autograd.detect_anomaly():\n    x = torch.zeros(1, requires_grad=True)\n"
            "    y = x.sqrt() * 0\n    y.sum().backward()")
    (want, wwarn), (got, gwarn) = _run(torch, code), _run(ember, code)
    assert got == want
    tails = [[m.split("\n")[-2:] for c, m in w if "Error detected" in m] for w in (wwarn, gwarn)]
    assert tails[0] and tails[1] == tails[0]


# a typo in a module's name (``torch.cuda.is_avaliable``) is PyTorch's AttributeError, naming
# PyTorch's module; a name PyTorch has but ember lacks is ember's Unsupported
MODULE_TYPOS = ["torch.cuda.is_avaliable()", "torch.jit.scirpt", "torch.nn.utils.clip_grad",
                "torch.nn.utils.rnn.pad_sequnce", "torch.testing.assert_closee",
                "torch.distributed.is_initialised", "torch.profiler.profiler_x",
                "torch.compiler.compile_x", "torch.library.custom_opp", "torch.nn.parallel.DP"]


def test_module_typos():
    _same_all(MODULE_TYPOS)


def test_module_typos_under_ember_run():
    """Under ``ember run`` (``torch`` resolved to ember), a module without a ``__getattr__`` of
    its own refuses a missing name in PyTorch's module's name."""
    from ember import _compat

    names = ("autograd", "backends", "amp", "func", "random", "hub", "serialization",
             "utils.checkpoint", "nn.parameter", "optim.swa_utils", "autograd.graph",
             "distributions.constraints", "backends.cudnn")
    codes = [f"torch.{n}.Varible" for n in names]
    want = [_run(torch, code) for code in codes]
    was = _compat.installed()
    _compat.install()
    try:
        got = [_run(ember, code) for code in codes]
    finally:
        if not was:
            _compat.uninstall()
    assert got == want
    if not was:  # (and ember's own names again once uninstalled)
        assert "ember.autograd" in _run(ember, "torch.autograd.Varible")[0][1]
