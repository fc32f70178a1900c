"""Differential checks of PyTorch's argument parser on ints given as tensors, NumPy integers
or 0-d arrays (its ``SymInt`` and ``int64_t`` kinds), the deprecated forms of the products
added to a tensor (``addmm(beta, M, alpha, a, b)``...), dims and dtypes given in other
forms, and misspelt module attributes: each case is evaluated with ``torch`` bound to ember
and to PyTorch, and must give the same printed result (or exception type and message) and
the same warnings."""

import pytest

import ember

torch = pytest.importorskip("torch")
from diff import code_outcome  # noqa: E402

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
    return code_outcome(lib, code, _SETUP, _show)


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


_F = "torch.nn.functional."
_C1 = _F + "conv1d(x[None], torch.ones(2, 2, 1)"
_C2 = _F + "conv2d(torch.ones(1, 2, 3, 3), torch.ones(2, 2, 1, 1)"
_CT = _F + "conv_transpose1d(x[None], torch.ones(2, 2, 1)"
_MP = _F + "max_pool2d(torch.ones(1, 1, 4, 4), "
_AP = _F + "avg_pool2d(torch.ones(1, 1, 4, 4), "
CONV_POOL = [  # (the ints of convolutions and pools: a float, a tensor, NumPy's, a bool)
    _C1 + ", stride=1.0)", _C1 + ", None, 1.0)", _C1 + ", None, 1, 1, 1, 1.0)",
    _C1 + ", None, (1, 1.0))", _C1 + ", None, (1.0,))", _C1 + ", stride=[np.array(1)])",
    _C1 + ", stride=np.array(1))", _C1 + ", padding=None)", _C1 + ", padding='a')",
    _C1 + ", groups=torch.tensor(1))", _C1 + ", groups=torch.tensor([1]))", _C1 + ", groups=None)",
    _C1 + ", groups=np.array(1))", _C1 + ", groups=torch.tensor(True))", _C1 + ", foo=None)",
    _C1 + ", None, 1, 1, 1, 1, 1)", _C1 + ", stride=torch.tensor(True))",
    _C1 + ", stride=(torch.tensor(True),))", _C1 + ", padding=torch.tensor([[1]]))",
    _C1 + ", None, 1, 1, 1, groups=1.0)", _C1 + ", None, 1, 'same', 1, 1.0)",
    _C1 + ", torch.ones(2), (1,), 0, 1, 1.0)", _C1 + ", bias=None, stride=1, padding=1, "
    "dilation=1, groups=1.0)", _C1 + ", padding=np.int64(0), foo=1)",
    _F + "conv1d(x[None], np.ones((2, 2, 1)), padding=1.0)",
    _F + "conv1d(input=x[None], weight=torch.ones(2, 2, 1), padding=1.0)",
    _C2 + ", stride=(1, 2.0))", _C2 + ", stride=torch.tensor([1, 2]))", _C2 + ", bias=1.0)",
    _C2 + ", None, 1.0, 0, 1, 1)", _C2 + ", padding='same', stride=1.5)",
    _C2 + ", dilation=(1, np.int64(2)))",
    _F + "conv3d(torch.ones(1, 2, 3, 3, 3), torch.ones(2, 2, 1, 1, 1), padding=1.0)",
    _CT + ", groups=1.0)", _CT + ", None, 1, 1.0)", _CT + ", padding=(1, 2.0))",
    _CT + ", stride=torch.tensor([1]), dilation=np.int64(1))", _CT + ", padding='same')",
    _CT + ", None, 1, 0, 0, 1, 1, 1)", _CT + ", padding=np.array(1))",
    "torch.nn.Conv2d(1, 1, 3, padding=1.0)(torch.ones(1, 1, 4, 4))",
    "torch.nn.Conv1d(1, 1, 3, stride=1.5)(torch.ones(1, 1, 4))",
    _MP + "2.0)", _MP + "2, 2.0)", _MP + "2, padding=1.0)", _MP + "2, padding=None)",
    _MP + "(2, 2.0))", _MP + "torch.tensor(2))", _MP + "np.array(2))", _MP + "2, ceil_mode=1)",
    _MP + "2, dilation=1.0)", _MP + "2, return_indices=True, stride=1.0)", _MP + "'a')",
    _MP + "[torch.tensor(2), 2])", _MP + "2, stride=[])",
    _F + "max_pool1d(torch.ones(1, 1, 4), 2, stride=1.0)",
    _F + "max_pool1d(torch.ones(1, 1, 4), 2, return_indices=True, padding=1.0)",
    _F + "max_pool3d(torch.ones(1, 1, 4, 4, 4), 2.0)",
    _F + "avg_pool1d(torch.ones(1, 1, 4), 2, stride=1.0)",
    _F + "avg_pool1d(torch.ones(1, 1, 4), 2, 2, 0, False, True, 1)",
    _AP + "2.0)", _AP + "2, padding=1.0)", _AP + "2, None, 1.0)", _AP + "torch.tensor(2))",
    _AP + "2, divisor_override=1.5)", _AP + "2, divisor_override=torch.tensor(2))",
    _AP + "2, ceil_mode=1)", _F + "avg_pool3d(torch.ones(1, 1, 4, 4, 4), 2, count_include_pad=1)",
    _F + "adaptive_avg_pool2d(torch.ones(1, 1, 4, 4), 2.0)",
    _F + "adaptive_avg_pool2d(torch.ones(1, 1, 4, 4), torch.tensor(2))",
    _F + "adaptive_avg_pool1d(torch.ones(1, 1, 4), 2.0)",
    _F + "adaptive_max_pool1d(torch.ones(1, 1, 4), 2.0)",
    "torch.nn.MaxPool2d(2.0)(torch.ones(1, 1, 4, 4))",
    "torch.nn.MaxPool2d(2, padding=0.5)(torch.ones(1, 1, 4, 4))",
    "torch.nn.AvgPool2d(2.0)(torch.ones(1, 1, 4, 4))",
]
OTHER_INTS = [  # (one_hot, im2col/col2im, glu, cdist, fft, linalg, rot90, size...)
    _F + "one_hot(i, torch.tensor([1]))", _F + "one_hot(i, torch.tensor(3))",
    _F + "one_hot(i, np.array(3))", _F + "one_hot(i, num_classes=3.0)", _F + "one_hot(i, None)",
    _F + "one_hot([0, 1], 3)", _F + "one_hot(i, True)", _F + "one_hot(i, np.int64(3))",
    _F + "unfold(torch.ones(1, 1, 3, 3), torch.tensor(1))",
    _F + "unfold(torch.ones(1, 1, 3, 3), [1])", _F + "unfold(torch.ones(1, 1, 3, 3), 2.0)",
    _F + "unfold(torch.ones(1, 1, 3, 3), 2, stride=(1, 1.5))",
    _F + "unfold(torch.ones(1, 1, 3, 3), (2, np.int64(2))).shape",
    _F + "fold(torch.ones(1, 4, 9), (4, 4), [2])", _F + "fold(torch.ones(1, 4, 9), 4, 2.0)",
    _F + "fold(torch.ones(1, 4, 9), torch.tensor(4), 2)", "torch.nn.Unfold([2])(M[None, None])",
    _F + "glu(torch.ones(2, 4), torch.tensor([1]))", _F + "glu(torch.ones(2, 4), dim=1.0)",
    _F + "glu(torch.ones(2, 4), np.int64(0))", _F + "cosine_similarity(x, x, 1.0)",
    "torch.cosine_similarity(x, x, eps='a')", _F + "cosine_similarity(x, x, torch.tensor(0))",
    "torch.cdist(x, x, p=torch.tensor([1]))", "torch.cdist(x, x, p=np.array(1))",
    "torch.fft.fft(v, 1.0)", "torch.fft.fft(v, np.array([1]))", "torch.fft.rfft(v, n=True)",
    "torch.fft.fft(x, norm=1)", "torch.fft.ifft(v, torch.tensor([2])).shape",
    "torch.linalg.matrix_power(M, torch.tensor([1]))", "torch.linalg.matrix_power(M, n=1.0)",
    "torch.linalg.norm(x, dim=1.0)", "torch.linalg.norm(x, dim=np.int64(1))",
    "torch.linalg.norm(x, dim=torch.tensor(1))", "torch.linalg.norm(x, dim=np.array(1))",
    "torch.vander(v, torch.tensor([1]))", "torch.vander(v, N=1.0)", "torch.vander(v, np.int64(2))",
    "x.rot90(1.0)", "x.rot90(torch.tensor([1]))", "x.rot90(1, (torch.tensor([1]), 1))",
    "x.rot90(1, (True, 1))", "torch.rot90(x, 1, 0)", "x.rot90(1, (torch.tensor(True), 1))",
    "x.tensor_split(np.array(1))", "x.tensor_split(1.0)", "torch.tensor_split(x, 1.0)",
    "x.tensor_split(torch.tensor([1]))", "x.tensor_split((1, np.int64(2)), 1)",
    "x.index_put_((i,), 1.0)", "x.index_put_(i, torch.tensor(1.))", "x.index_put_((i,))",
    "x.index_put_((i,), torch.tensor(1.), accumulate=1)", "torch.index_put(x, (i,), 1.0)",
    "x.index_put((i,), np.int64(1))", "x.fill_diagonal_(np.array(1))", "x.fill_diagonal_(None)",
    "x.fill_diagonal_([1])", "x.fill_diagonal_(1, 1)", "x.fill_diagonal_(torch.tensor(2.))",
    "x.size(1.0)", "x.size(np.array(1))", "x.size(torch.tensor(1))", "x.size(True)",
    "x.stride(np.int64(0))", "x.stride('a')", "x.sum(np.array(1))", "x.amax(np.array(1))",
    "x.roll(np.array(1), 0)", _F + "interpolate(x[None], size=torch.tensor(True))",
    _F + "interpolate(x[None], size=(torch.tensor(True),))", "torch.zeros(2, np.float64(1))",
    "torch.nn.Embedding(np.float64(1), 2)", "torch.nn.Linear(np.array([1]), 2)",
    "torch.nn.Conv1d(2, 2, torch.tensor(1))", "torch.nn.Conv1d(2, 2, np.array([1])).weight.shape",
    "torch.nn.Conv1d(2, 2, torch.tensor([1, 1])).weight.shape",
    _F + "dropout(x, torch.tensor([1]))", _F + "dropout(x, np.array(1), training=None)",
    _F + "dropout(x, 0.5, training=None)", _F + "alpha_dropout(x, np.array(1))",
    _F + "embedding(i, torch.ones(3, 2), padding_idx=1.0)",
    _F + "embedding(i, torch.ones(3, 2), padding_idx=torch.tensor(True))",
    _F + "embedding(i, torch.ones(3, 2), padding_idx=np.int64(-1))",
    _F + "embedding(i, np.ones((3, 2)), padding_idx=1.0)",
]


@pytest.mark.parametrize("code", CONV_POOL + OTHER_INTS)
def test_int_arguments_of_functional_ops(code):
    _same(code)


DIM_ORDER = [  # (a dim given twice and one out of range: which PyTorch reports first)
    "x.std((0, 0, 5))", "x.var((0, 5, 0))", "x.var((0, 0, 5))", "x.flip((0, 0, 5))",
    "x.flip((0, 5, 0))", "x.squeeze((0, 0, 5))", "torch.linalg.vector_norm(x, dim=(0, 0, 5))",
    "x.sum((0, 0, 5))", "x.mean((5, 0, 0))", "x.amax((0, 0, 5))", "x.nansum((0, 0, 5))",
    "x.long().nansum((0, 0, 5))", "x.logsumexp((0, 0, 5))", "x.any((0, 0, 5))",
    "x.nanmean((0, 0, 5))", "torch.std_mean(x, (0, 0, 5))", "torch.var_mean(x, (5, 0, 0))",
    "x.cfloat().std((0, 0, 5))", "torch.linalg.norm(x, 2, dim=(0, 0, 5))",
    "torch.ones(()).flip((0, 0))", "M.addmm(a, b, torch.float32)",
]


@pytest.mark.parametrize("code", DIM_ORDER)
def test_dim_twice_or_out_of_range(code):
    _same(code)


@pytest.mark.parametrize("code", [
    "torch.addmm(M, a, b, torch.float32)", "torch.addmm(M, a, b, out_dtype=torch.float32)",
    "torch.baddbmm(torch.ones(4, 2, 2), B1, B2, torch.float32)", "torch.mm(a, b, torch.float32)",
    "torch.bmm(B1, B2, torch.float32)",
    "torch.mm(a, b, torch.float32, out=torch.empty(2, 2))"])
def test_products_with_out_dtype_have_no_cpu_kernel(code):
    # (the first line: PyTorch's goes on with where its build registered each kernel)
    first = [_run(lib, code).split("\n")[0] for lib in (ember, torch)]
    assert first[0] == first[1]
    assert first[0].startswith("NotImplementedError: Could not run 'aten::")
