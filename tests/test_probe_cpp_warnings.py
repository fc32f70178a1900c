"""PyTorch's warnings from its C++ (``TORCH_WARN``) end with " (Triggered internally at
/__w/pytorch/pytorch/<file>:<line>.)" (its CPU wheel's build path); those from its Python
code have no such suffix.  ember's warnings give the same text, suffix included."""
import warnings

import numpy as np
import pytest
import torch

import ember

# expressions (``torch`` bound to the library, ``np`` to NumPy) whose warnings come from C++
CPP = [
    "(torch.ones(2, requires_grad=True) * 2).grad",
    "torch.ones(2, 3, 4).T",
    "torch.tensor(1.).T",
    "torch.tensor(1.).H",
    "torch.tensor(1.).mT",
    "torch.tensor(1.).mH",
    "torch.meshgrid(torch.ones(2), torch.ones(3))",
    "torch.lu(torch.eye(3))",
    "torch.lu_solve(torch.ones(2, 1), *torch.linalg.lu_factor(torch.eye(2)))",
    "torch.triangular_solve(torch.ones(2, 1), torch.eye(2))",
    "torch.ones(3)[torch.tensor([1, 0, 1], dtype=torch.uint8)]",
    "torch.ones(1).expand(3).index_put_((torch.tensor([0]),), torch.tensor(2.))",
    "torch.ones(1).expand(3).__setitem__(torch.tensor([True, False, True]), 2.)",
    "torch.ones(1).expand(3).masked_fill_(torch.tensor([True, False, True]), 2.)",
    "torch.ones(1).expand(3).index_fill_(0, torch.tensor([0]), 2.)",
    "torch.ones(3).scatter(0, torch.tensor([0]), torch.ones(1), reduce='add')",
    "torch.ones(3).index_reduce(0, torch.tensor([0]), torch.ones(1), 'prod')",
    "torch.ones(2, dtype=torch.complex64).to(torch.float32)",
    "torch.ones(3)[np.array([1 + 1j])]",
    "torch.ones(1).std()",
    "torch.ones(1).var()",
    "torch.std_mean(torch.ones(1))",
    "torch.cov(torch.ones(1))",
    "torch.add(torch.ones(2), 1, out=torch.ones(3))",
    "torch.arange(0, 3, out=torch.ones(5))",
    "torch.stft(torch.ones(100), 16, return_complex=True)",
    "torch.stft(torch.ones(100), 16, window=torch.hann_window(16), return_complex=False)",
    "torch.istft(torch.stft(torch.ones(100), 16, return_complex=True, "
    "window=torch.hann_window(16)), 16)",
    "torch.chain_matmul(torch.eye(2), torch.eye(2))",
    "torch.qr(torch.eye(2))",
    "torch.cholesky(torch.eye(2))",
    "torch.cross(torch.ones(3, 3), torch.ones(3, 3))",
    "torch.set_default_tensor_type(torch.FloatTensor)",
    "float(torch.ones(1, requires_grad=True))",
    "torch.from_numpy(np.broadcast_to(np.ones(1), (2,)))",
    "torch.frombuffer(b'abcd', dtype=torch.uint8)",
    "torch.frobenius_norm(torch.ones(2, 2), (0, 1))",
    "torch.nuclear_norm(torch.ones(2, 2))",
    "torch.nn.functional.conv1d(torch.ones(1, 1, 5), torch.ones(1, 1, 2), padding='same')",
    "(torch.ones(2, requires_grad=True) * 2).sum().backward(create_graph=True)",
    "torch.ones(3, 3)[[0, slice(None)]]",
    "torch.ones(2).add(2, torch.ones(2))",
    "torch.addcdiv(torch.ones(2), 2, torch.ones(2), torch.ones(2))",
    "torch.set_float32_matmul_precision('bogus')",
    "torch.sparse_coo_tensor(torch.tensor([[0]]), torch.tensor([1.]), (2,))",
    "torch.sparse_csr_tensor(torch.tensor([0, 1]), torch.tensor([0]), torch.tensor([1.]), (1, 1))",
    "torch.ones(3).masked_scatter_(torch.tensor([1, 0, 2], dtype=torch.uint8), torch.zeros(3))",
    "torch.ones(3).masked_scatter(torch.tensor([1, 0, 2], dtype=torch.uint8), torch.zeros(3))",
    "torch.where(torch.tensor([1, 0, 2], dtype=torch.uint8), torch.ones(3), torch.zeros(3))",
    "torch.ones(3).where(torch.tensor([1, 0, 2], dtype=torch.uint8), 0.)",
    "torch.searchsorted(torch.arange(4.), torch.ones(2, 2).t())",
    "torch.searchsorted(torch.arange(8.)[::2], torch.ones(1))",
    "torch.bucketize(torch.ones(1), torch.arange(8.)[::2])",
    "torch.searchsorted(torch.arange(4.), torch.ones(1), sorter=torch.tensor([0, 9, 1, 9, 2, 9, 3])"
    "[::2])",    # the out= forms: their own C++ lines
    "torch.ger(torch.ones(2), torch.ones(2), out=torch.empty(2, 2))",
    "torch.qr(torch.eye(2), out=(torch.empty(2, 2), torch.empty(2, 2)))",
    "torch.cholesky(torch.eye(2), out=torch.empty(2, 2))",
    "torch.lu_solve(torch.ones(2, 1), *torch.linalg.lu_factor(torch.eye(2)), "
    "out=torch.empty(2, 1))",
    "torch.triangular_solve(torch.ones(2, 1), torch.eye(2), "
    "out=(torch.empty(2, 1), torch.empty(2, 2)))",
    "torch.chain_matmul(torch.eye(2), torch.eye(2), out=torch.empty(2, 2))",
    "torch.std(torch.ones(1), out=torch.empty(()))",
    "torch.empty(2).random_(0, 1 << 25)",
    "torch.empty(2).random_(-(1 << 25), 5)",
]

# no warning in PyTorch (nor in ember)
SILENT = [
    "torch.ger(torch.ones(2), torch.ones(2))",
    "torch.cross(torch.ones(3, 3), torch.ones(3, 3), out=torch.empty(3, 3))",
    "torch.ones(2, dtype=torch.complex64).bool()",
    "torch.ones(2, dtype=torch.complex64).to(torch.bool)",
    "torch.empty(2, dtype=torch.bool).copy_(torch.ones(2, dtype=torch.complex64))",
]

# expressions whose warnings come from PyTorch's Python code (no suffix)
PYTHON = [
    "torch.tensor(torch.ones(2))",
    "torch.ones(2).new_tensor(torch.ones(2))",
    "torch.nn.functional.softmax(torch.ones(2, 2))",
    "torch.nn.functional.upsample(torch.ones(1, 1, 2, 2), scale_factor=2)",
    "torch.nn.functional.mse_loss(torch.ones(2, 1), torch.ones(2))",
    "torch.nn.functional.kl_div(torch.ones(2), torch.ones(2))",
    "torch.range(0, 3)",
    "torch.nn.functional.grid_sample(torch.ones(1, 1, 2, 2), torch.zeros(1, 2, 2, 2))",
]


@pytest.fixture(autouse=True)
def _warn_always():
    """``TORCH_WARN_ONCE`` warnings every time (others in this process may have used them)."""
    before = (torch.is_warn_always_enabled(), ember.is_warn_always_enabled())
    torch.set_warn_always(True)
    ember.set_warn_always(True)
    yield
    torch.set_warn_always(before[0])
    ember.set_warn_always(before[1])


def _outcome(lib, code, action="always"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter(action)
        try:
            eval(code, {"torch": lib, "np": np})
            res = "ok"
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            res = f"{type(e).__name__}: {e}"
    return res, [(w.category.__name__, str(w.message)) for w in caught]


@pytest.mark.parametrize("code", CPP)
def test_cpp_warning_suffix(code):
    want = _outcome(torch, code)
    assert want[1] and all("(Triggered internally at /__w/pytorch/pytorch/" in m
                           for _, m in want[1])
    assert _outcome(ember, code) == want


@pytest.mark.parametrize("code", SILENT)
def test_no_warning(code):
    want = _outcome(torch, code)
    assert want == ("ok", [])
    assert _outcome(ember, code) == want


@pytest.mark.parametrize("code", PYTHON)
def test_python_warning_has_no_suffix(code):
    want = _outcome(torch, code)
    assert want[1] and not any("Triggered internally" in m for _, m in want[1])
    assert _outcome(ember, code) == want


@pytest.mark.parametrize("code", [
    "torch.ones(2, 3, 4).T", "(torch.ones(2, requires_grad=True) * 2).grad", "torch.ones(1).std()",
    "torch.where(torch.tensor([1, 0], dtype=torch.uint8), 1., 0.)"])
def test_cpp_warning_as_error(code):
    """Under ``simplefilter("error")`` the exception's text is the whole message."""
    want = _outcome(torch, code, "error")
    assert "Triggered internally at" in want[0]
    assert _outcome(ember, code, "error") == want


@pytest.mark.parametrize("code", [
    "(torch.ones(2, requires_grad=True) * 2).resize_(3)",
    "(torch.ones(2, requires_grad=True) * 2).resize_as_(torch.ones(3))",
    "torch.where(torch.tensor([1, 0], dtype=torch.int8), 1., 0.)"])
def test_refusals(code):
    assert _outcome(ember, code) == _outcome(torch, code)


def test_list_of_arrays():
    """(Under ``set_warn_always`` ember warns once more than PyTorch: its texts are compared.)"""
    code = "torch.tensor([np.ones(2), np.ones(2)])"
    want = _outcome(torch, code)
    assert "tensor_new.cpp" in want[1][0][1]
    assert set(_outcome(ember, code)[1]) == set(want[1])


def test_uint8_mask_fill_refused_without_warning():
    code = "torch.ones(3).__setitem__(torch.tensor([1, 0, 1], dtype=torch.uint8), 0.)"
    want = _outcome(torch, code)
    assert want[0].startswith("RuntimeError") and not want[1]
    assert _outcome(ember, code) == want


def test_where_uint8_values():
    for lib in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = lib.where(lib.tensor([1, 0, 2], dtype=lib.uint8), lib.arange(3.), -1.)
        assert got.tolist() == [0.0, -1.0, 2.0] and got.dtype == lib.float32


_FN = """
class Fn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.clone()
        ctx.mark_dirty(y)
        return y

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("boom")

def no_forward_info():
    y = Fn.apply(torch.ones(2, requires_grad=True)).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = torch.autograd.detect_anomaly()
        ctx.__enter__()
    try:
        y.backward()
    finally:
        ctx.__exit__(None, None, None)
"""


@pytest.mark.parametrize("code", [
    "Fn.apply(torch.ones(2, requires_grad=True))",  # mark_dirty of a non-input
    "no_forward_info()",  # anomaly mode without the forward's trace
    "torch.nn.LSTM(4, 4, proj_size=2)(torch.ones(2, 1, 4))",
])
def test_autograd_function_and_module_warnings(code):
    outs = []
    for lib in (torch, ember):
        env = {"torch": lib, "warnings": warnings}
        exec(_FN, env)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                eval(code, env)
                res = "ok"
            except Exception as e:  # noqa: BLE001 (the exception is what is compared)
                res = f"{type(e).__name__}: {e}"
        outs.append((res, [(w.category.__name__, str(w.message)) for w in caught]))
    assert "Triggered internally at" in outs[0][1][-1][1]
    assert outs[1] == outs[0]
