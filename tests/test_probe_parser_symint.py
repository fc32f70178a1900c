"""Differential checks of PyTorch's argument parser on ints given as tensors, NumPy integers
or 0-d arrays (its ``SymInt`` and ``int64_t`` kinds), the deprecated forms of the products
added to a tensor (``addmm(beta, M, alpha, a, b)``...), dims and dtypes given in other
forms, and misspelt module attributes: each case is evaluated with ``torch`` bound to ember
and to PyTorch, and must give the same printed result (or exception type and message) and
the same warnings."""
import re
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

_SETUP = ("x = torch.arange(6.).reshape(2, 3); v = torch.arange(5.); i = torch.tensor([0, 1]); "
          "M = torch.ones(2, 2); a = torch.ones(2, 3); b = torch.ones(3, 2); "
          "vec = torch.ones(3); B1 = torch.ones(4, 2, 3); B2 = torch.ones(4, 3, 2)")


def _show(res):
    if isinstance(res, (tuple, list)):
        return "(" + ", ".join(_show(r) for r in res) + ")"
    if hasattr(res, "shape") and hasattr(res, "dtype") and hasattr(res, "tolist"):
        return f"{tuple(res.shape)} {res.dtype} {res.tolist()}"
    return repr(res)


def _run(lib, code):
    env = {"torch": lib, "np": np}
    exec(_SETUP, env)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = f"ok {_show(eval(code, env))}"
        except Exception as e:  # noqa: BLE001
            out = f"{type(e).__name__}: {e}"
    out += "".join(f" | {w.category.__name__}: {w.message}" for w in caught)
    return re.sub(r" \(Triggered internally at [^)]*\)", "", out)


def _same(code):
    assert _run(ember, code) == _run(torch, code), code


INTS = [  # (a one-element integer tensor, a 0-d array, a NumPy integer for an int)
    "torch.eye(torch.tensor([2]))", "torch.eye(np.array(2))", "torch.eye(2, torch.tensor([3]))",
    "torch.eye(n=torch.tensor([2]))", "torch.eye(torch.tensor([[2]]))", "torch.eye(np.int64(2))",
    "torch.eye(torch.tensor(True))", "torch.eye(np.array([2]))", "torch.eye(2.0)",
    "v.topk(torch.tensor([2]))", "v.topk(np.array(2))", "v.topk(torch.tensor(2.0))",
    "torch.topk(v, k=torch.tensor(2))", "x.kthvalue(torch.tensor([2]))",
    "x.select(0, torch.tensor([1]))", "x.select(0, np.array(1))",
    "torch.randperm(torch.tensor([4])).shape", "torch.randperm(np.array(4)).shape",
    "torch.randint(torch.tensor([10]), (3,)).shape", "torch.randint(0, np.array(10), (3,)).shape",
    "torch.randint(0, 10, (np.int32(3),)).shape", "x.narrow(0, 1, torch.tensor([1]))",
    "x.narrow(0, np.array(1), 1)", "x.narrow(0, torch.tensor([1]), 1)",
    "x.narrow(0, torch.tensor(1.0), 1)", "x.narrow(0, torch.tensor(True), 1)",
    "x.narrow(0, torch.tensor(1), 1)", "x.narrow_copy(0, torch.tensor([1]), 1)",
    "x.roll(torch.tensor([1]), 1)", "x.sum(torch.tensor([0]))", "x.sum(np.int64(0))",
    "torch.linspace(0, 1, torch.tensor([3]))", "torch.zeros(torch.tensor(3))",
    "torch.zeros(torch.tensor(True))", "torch.zeros((2, torch.tensor(True)))",
    "x.view(2, torch.tensor(True))", "x.view(torch.tensor(2), -1)", "x.reshape(np.int64(3), 2)",
    "x.repeat(torch.tensor(2), 1)", "torch.arange(torch.tensor(5))", "x[torch.tensor(1)]",
    "x.unfold(1, torch.tensor([2]), 1)", "x.unfold(1, 2, 1.0)", "x.unfold(1, 2)",
    "x.diagonal(torch.tensor([0]))", "x.diagonal(0.5)", "torch.diagonal(x, 0, 0, 1, 2)",
    "x.chunk(torch.tensor(2))", "x.chunk(np.int64(2))", "x.chunk(torch.tensor([2]))",
    "x.chunk(2.0)", "x.chunk(True)", "torch.chunk(x, 'a')", "x.chunk(2, dim=0.5)",
    "x.split(torch.tensor(1))", "x.split(np.int64(1))", "x.split(1.0)", "x.split(True)",
    "x.split(torch.tensor([1]))", "x.split(torch.tensor(1.5))", "x.split(torch.tensor([1, 1]))",
    "x.split((1, 1.0))", "x.split(1, 1.0)", "x.split('a')", "x.split(split_size=1)",
    "torch.split(x, torch.tensor(1))", "torch.split(x, [1, 1], torch.tensor(0))",
    "x.movedim(torch.tensor(0), 1)", "x.moveaxis(torch.tensor(0), 1)",
    "torch.moveaxis(x, 0.5, 1)", "x.squeeze(torch.tensor(0))",
    # (a bool tensor: an int list of sizes refuses it, one of dims reads it as 1)
    "x.flip(torch.tensor(True))", "x.squeeze(torch.tensor(True))", "x.any(np.int64(1))",
    "x.any(torch.tensor([1]))", "x.all(np.array(1))", "x.norm(2, True)",
    # (ops whose parser now checks their ints)
    "x.unbind(torch.tensor([1]))", "x.unbind(1.0)", "x.unbind(0, 1)", "x.tril(torch.tensor([1]))",
    "x.triu(np.array(1))", "x.tril(1.0)", "torch.tril(x, torch.tensor(True))", "x.diag(0, 1)",
    "torch.diag(x, np.array(1))", "x.clone().tril_(1.5)", "x.swapaxes(torch.tensor([1]), 0)",
    "x.swapdims(0, 'a')", "torch.swapaxes(x, axis0=0, axis1=1)", "torch.tril_indices(1.0, 3)",
    "torch.tril_indices(1, 2, 3, 4)", "torch.triu_indices(3, 3, 1, dtype=torch.int32)",
    "torch.cross(torch.ones(3, 3), torch.ones(3, 3), 1.0)", "torch.ones(3, 3).cross(M, 1, 2)",
    "x.renorm(2, 1.0, 1.0)", "x.renorm(1, 2, 3, 4)", "torch.combinations(v, r=1.5)",
    "torch.histc(x, 1, 2, 3, 4)", "x.histc(bins=1.5)", "torch.bincount(i, minlength=1.5)",
    "torch.bincount(i, minlength=np.int64(4))", "torch.multinomial(v, 1, generator=1)",
    "torch.multinomial(v)", "torch.matrix_power(M, 1.0)", "M.matrix_power(np.int64(3))",
    "torch.split(x, 1, axis=0)", "torch.split(x, 1, 0, 5)", "torch.split([1, 2], 1)",
    "torch.nn.functional.softmax(x, torch.tensor([1]))", "torch.nn.functional.softmax(x, 1.0)",
    "torch.nn.functional.log_softmax(x, dim='a', dtype=torch.float64)",
    "torch.nn.functional.softmin(x, np.int64(1))", "torch.nn.LogSoftmax(1.5)(x)",
]

PRODUCTS = [  # (the deprecated forms, with PyTorch's warning each time)
    "torch.addmm(2, M, 3, a, b)", "torch.addmm(2, M, a, b)", "torch.addmm(2.5, M, 0.5, a, b)",
    "torch.addmm(torch.tensor(2.), M, a, b)", "torch.addmm(2, M, 3, a, b, out=torch.empty(2, 2))",
    "torch.addmm(M, a, b, 2, 3)", "torch.addmm(2, M, 3, a)", "torch.addmm('a', M, a, b)",
    "torch.addmm(M, a)", "torch.addmm(M, a, b, beta='x')", "torch.addmm(M, a, b, foo=1)",
    "torch.addmm(2, M, 3, a, b, beta=1)", "torch.addmm(M, a, b, out=5)",
    "torch.addmm(1, 2, 3, 4, 5)", "torch.addmm(2, M, mat1=a, mat2=b)",
    "M.addmm(2, 3, a, b)", "M.addmm(2, a, b)", "M.addmm(a, b, 2, 3)", "M.addmm(a)",
    "M.addmm('a', 'b')", "M.clone().addmm_(2, 3, a, b)", "M.clone().addmm_(2, a, b)",
    "torch.addmv(2, vec[:2], 3, a, vec)", "torch.addmv(vec[:2], a)",
    "vec[:2].addmv(2, 3, a, vec)", "vec[:2].clone().addmv_(2, a, vec)",
    "torch.addbmm(2, torch.ones(2, 2), 3, B1, B2)", "torch.ones(2, 2).addbmm(2, B1, B2)",
    "torch.baddbmm(2, torch.ones(4, 2, 2), B1, B2)", "torch.ones(4, 2, 2).baddbmm_(2, 3, B1, B2)",
    "torch.baddbmm(M, 'a')", "torch.addr(2, M, 3, vec[:2], vec[:2])",
    "M.clone().addr_(2, vec[:2], vec[:2])", "torch.addr(M, vec[:2])",
    # (a complex scale for a real result)
    "torch.addr(M, vec[:2], vec[:2], beta=1j)", "torch.addmm(M, a, b, beta=1j)",
    "torch.addmm(M.long(), a.long(), b.long(), alpha=1j)", "torch.addmm(M, a, b, alpha=2+0j)",
    "torch.addmv(vec[:2].half(), a.half(), vec.half(), alpha=1j)",
    "torch.addbmm(M.half(), B1.half(), B2.half(), alpha=1j)",
    "torch.addr(M.long(), vec[:2].long(), vec[:2].long(), alpha=1j)",
    "torch.baddbmm(torch.ones(4, 2, 2), B1, B2, alpha=2j)",
    "torch.addmv(vec[:2].int(), a.int(), vec.int(), beta=1j)",
]

DIMS_DTYPES = [
    "x.norm(dim='a')", "x.norm(2, 'a')", "x.norm(dim=np.int64(1))", "x.norm(dim=1.0)",
    "x.norm(p=1, dim=torch.tensor(0))", "x.norm(dim=torch.tensor([1]))",
    "torch.tensordot(x, x, dims=([0, 0], [0, 0]))", "torch.tensordot(x, x, dims=([0, -2], [0, 1]))",
    "x.sum((0, 0))", "x.flip((0, 5))", "x.permute(0, 0)", "torch.stack([x, x], -4)",
    "x.view(float)", "x.view(int)", "x.view(bool)", "torch.ones(2, 4).view(complex)",
    "x.view(str)", "torch.ones(2, dtype=torch.float32.__class__)",
    "torch.ones(2, dtype=torch.Generator)", "torch.ones(2, dtype=torch.Size)",
    "x.to(np.dtype('float64'))", "x.to(dtype=np.dtype('float64'))",
    "x.to('cpu', np.dtype('float64'))", "torch.zeros(2, dtype=np.dtype('float64'))",
    "torch.zeros(2, dtype=torch.ones(2))", "x.sum(dtype=torch.ones(2))", "x.to(float)",
    "torch.as_tensor([1], torch.float64)", "torch.as_tensor()", "torch.as_tensor([1], foo=1)",
    "torch.as_tensor([1, 2], dtype=np.float32)", "torch.as_tensor([1, 2], dtype='float32')",
    "torch.as_tensor([1], dtype=float)", "torch.as_tensor([1], device=1.5)",
    "torch.asarray([1], dtype=np.float32)", "torch.asarray([1], torch.float32)",
    "torch.asarray([1], copy=1)", "torch.asarray([1], requires_grad=None)",
]


@pytest.mark.parametrize("code", INTS + DIMS_DTYPES)
def test_same_as_pytorch(code):
    _same(code)


@pytest.mark.parametrize("code", PRODUCTS)
def test_products_and_their_deprecated_forms(code):
    prev = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    ember.set_warn_always(True)
    try:
        _same(code)
    finally:
        torch.set_warn_always(prev)
        ember.set_warn_always(prev)


@pytest.mark.parametrize("path, name", [
    ("", "szie"), ("", "frobnicate"), ("", "randn_like_"), ("", "zeroes"), ("nn", "Linaer"),
    ("nn", "Foo"), ("nn.functional", "relu7"), ("nn.functional", "softmx"),
    ("linalg", "svdd"), ("optim", "Adamm"), ("optim", "Foo")])
def test_misspelt_attribute_is_pytorchs_error(path, name):
    import importlib

    errors = []
    for lib in ("torch", "ember"):
        module = importlib.import_module(f"{lib}.{path}" if path else lib)
        with pytest.raises(AttributeError) as info:
            getattr(module, name)
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


def test_misspelt_transform_and_missing_api():
    import ember.vision.transforms as T

    with pytest.raises(AttributeError) as info:
        T.Resise  # noqa: B018
    assert type(info.value) is AttributeError
    assert str(info.value) == "module 'torchvision.transforms' has no attribute 'Resise'"
    for module, name in ((ember, "ScriptModule"), (ember.nn, "qat"),
                         (ember.optim, "swap_in_optimizer_params_and_state")):
        with pytest.raises(ember.Unsupported if hasattr(ember, "Unsupported") else
                           NotImplementedError, match="is not supported by ember"):
            getattr(module, name)
