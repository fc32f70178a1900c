"""Differential checks of PyTorch's argument parser on the factories, the size-taking methods
and the index ops (wrong types, missing or extra arguments, unexpected keywords, overload
lists), the order of the keywords in its "got (...)" lines, and the deprecated ``add``/``sub``
forms: each case is evaluated with ``torch`` bound to ember and to PyTorch, and must give the
same printed result (or exception type and message) and the same warnings."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
from diff import code_outcome  # noqa: E402

_SETUP = ("torch.manual_seed(0); x = torch.ones(2, 3); i = torch.tensor([0, 1]); m = x > 0; "
          "g = torch.Generator().manual_seed(1); ix = i.view(2, 1).expand(2, 3)")


def _show(res):
    if isinstance(res, (tuple, list)):
        return "(" + ", ".join(_show(r) for r in res) + ")"
    if hasattr(res, "shape") and hasattr(res, "dtype"):
        return f"{tuple(res.shape)} {res.dtype}"
    return repr(res)


def _run(lib, code):
    return code_outcome(lib, code, _SETUP, _show)


def _same(code):
    assert _run(ember, code) == _run(torch, code), code


FACTORIES = [
    "torch.zeros(2, device=1.5)", "torch.zeros(2, layout='strided')",
    "torch.zeros(2, requires_grad=1)", "torch.zeros(2, dtype='float')",
    "torch.zeros(2, 3, size=(2, 3))", "torch.zeros(size=(2, 3), foo=1)", "torch.zeros()",
    "torch.zeros(2, 3.5)", "torch.zeros([2, 3.5])", "torch.zeros(-1)", "torch.ones(2, out=5)",
    "torch.full((2, 3))", "torch.full([2], 1, 2)", "torch.full(2, 3)", "torch.full((2,), 'a')",
    "torch.rand(2, generator=1)", "torch.rand(2, names=None)", "torch.randn(2, 'x')",
    "torch.randint(5)", "torch.randint(0, 5, (2,), dtype='x')", "torch.randint(high=5)",
    "torch.randint(5, size=3)", "torch.randint(5.5, (2,))", "torch.randint(1, 2, 3, 4)",
    "torch.randperm(5, 1)", "torch.randperm()", "torch.randperm(5.0)",
    "torch.arange('a')", "torch.arange(1, 'a')", "torch.arange()", "torch.arange(1, 2, 3, 4)",
    "torch.arange(5, dtype='x')", "torch.arange(5, foo=1)",
    "torch.linspace('a', 1, 5)", "torch.linspace(0, 1, steps='x')", "torch.linspace(0, 1)",
    "torch.logspace(0, 1, 5, base='x')", "torch.eye(2, 3.0)", "torch.eye()", "torch.eye(2, 3, 4)",
    "torch.eye(torch.tensor(2))", "torch.eye(2, torch.tensor(3))",
    "torch.tensor()", "torch.tensor([1], foo=1)", "torch.tensor([1], dtype='x')",
    "torch.tensor([1, torch.float32])", "torch.tensor(torch.device('cpu'), dtype=torch.int64)",
    "torch.zeros_like()", "torch.zeros_like(x, 1)", "torch.ones_like(x, memory_format=1)",
    "torch.full_like(x)", "torch.full_like(x, 'a')", "torch.empty_like(x, device=2.5)",
    "torch.randint_like(x)", "torch.randint_like(x, 5.5)", "torch.randint_like(x, 1, 2, 3)",
    "torch.rand_like(x, generator=1)",
    "torch.empty_strided((2, 3))", "torch.empty_strided((2, 3), (1.0, 2))",
    "torch.empty_strided(2, 3)", "torch.zeros(np.array([2, 3]))", "torch.zeros(np.array(3))",
    "torch.ones(2, np.array(3))", "x.view(np.array(3), 2)", "x.reshape((np.array(2), 3))",
    "x.repeat(np.array([1, 2]))", "torch.ones(2, layout=torch.sparse_coo)",
    "torch.full((2,), 1.0, layout=torch.sparse_coo)", "torch.zeros(2, layout=torch.sparse_coo)",
    # (calls that fit)
    "torch.zeros(size=(2, 3))", "torch.zeros(2, device=0)", "torch.zeros((np.int64(2), 3))",
    "torch.zeros(2, 3, dtype=float)", "torch.full(size=(2,), fill_value=3)",
    "torch.rand(2, 3, generator=g)", "torch.randint(low=0, high=5, size=(3,))",
    "torch.randint(high=5, size=(3,), generator=g)", "torch.randint(torch.tensor(5), (2,))",
    "torch.randperm(n=4, generator=g)", "torch.arange(start=1, end=5)", "torch.arange(end=5)",
    "torch.linspace(start=0, end=1, steps=3)", "torch.logspace(0, 2, steps=3, base=2)",
    "torch.eye(n=2, m=3)", "torch.tensor(data=[1.0])", "torch.zeros_like(input=x)",
    "torch.full_like(input=x, fill_value=2.5)", "torch.randint_like(x, low=1, high=5)",
    "torch.randint_like(x, torch.tensor(5))", "torch.empty_strided(size=(2, 3), stride=(3, 1))",
]

METHODS = [
    "x.view(dtype=5)", "x.view()", "x.view(3, 2, size=(3, 2))", "x.view(True, 6)",
    "x.reshape()", "x.expand(2, 3, implicit='a')", "x.expand(size=(2, 2, 3), implicit=True)",
    "x.new_zeros()", "x.new_zeros((2,), dtype='x')", "x.new_zeros(2, device=1.5)",
    "x.new_zeros(2, requires_grad=1)", "x.new_full((2,), 'a')", "x.new_full((2,))",
    "x.new_full(2, 1)", "x.new_empty()", "x.tile()", "torch.tile(x, 2)", "torch.tile(x, (2.0,))",
    "x.clone().resize_()", "x.unflatten(1)", "x.unflatten()", "x.unflatten(1, ())",
    "x.unflatten('a', (3,))", "x.unflatten(1, (3.0,))", "x.unflatten(1, 3)",
    "torch.unflatten(x, 1)", "x.broadcast_to(2.0)", "torch.broadcast_to(x, (2.0, 3))",
    "x.as_strided((2, 3))", "x.as_strided((2, 3), (1.0, 2))", "x.as_strided(2, 3)",
    "x.as_strided((2, 3), (3, 1), 'a')", "x.permute(dims=[1, 0])", "x.repeat(repeats=[2, 1])",
    "x.view(size=(3, 2))", "x.reshape(shape=(3, 2))", "x.new_full(size=(2,), fill_value=3)",
    "x.nonzero(as_tuple=1)", "x.nonzero(1)", "torch.nonzero(x, as_tuple='a')",
    "x.clone(memory_format=1)", "x.clone(1)", "torch.clone(x, memory_format='a')",
    "x.contiguous(memory_format=1)", "x.contiguous(1)", "x.contiguous(memory_format=None)",
    "x.clone(memory_format=None)",
    # (the random fills, new_tensor, new_empty_strided)
    "torch.empty(3).normal_(0, 'a')", "torch.empty(3).normal_(0., 1., g)",
    "torch.empty(3).normal_(0, 1, 2)", "torch.empty(3).uniform_(-1, 'b')",
    "torch.empty(3).uniform_(**{'from': -2, 'to': 2})",
    "torch.empty(3).uniform_(0, 1, generator=1)",
    "torch.empty(3).exponential_('a')", "torch.empty(3).geometric_()",
    "torch.empty(3).geometric_(p='x')", "torch.empty(3).normal_(foo=1)",
    "torch.empty(3).uniform_(None)", "torch.empty(3).normal_(torch.tensor([0., 1.]))",
    "torch.empty(3).uniform_(0, 1j)", "torch.empty(3).cauchy_(median=0, sigma=1)",
    "x.new_tensor([1, 2], dtype='float')", "x.new_tensor()", "x.new_tensor([1], 2)",
    "x.new_tensor(data=[1.])", "x.new_tensor([1], requires_grad=None)",
    "x.new_empty_strided((2, 3), (3.0, 1))", "x.new_empty_strided((2,))",
    "x.new_empty_strided(size=(2,), stride=(1,), dtype=torch.int64)",
]

INDEX_OPS = [
    "x.index_add(0.0, i, x)", "x.index_add(0, i, 1)", "x.index_add(0, i, x, alpha='a')",
    "x.index_add(0, i)", "x.index_copy('a', i, x)", "x.index_fill(0, i, 'a')",
    "x.index_fill(0, i, [1])", "x.index_fill(0, [0], 1)", "x.scatter(0, ix, 'a')",
    "x.scatter(0.0, i, x)", "x.scatter(0, [0], x)", "x.scatter(0, i, x, reduce=1)",
    "x.scatter(0)", "x.scatter_add(0, i, 1.0)", "x.scatter_add(0, [0], x)",
    "x.scatter_reduce(0, i, x)", "x.scatter_reduce(0, i, x, 1)",
    "x.scatter_reduce(0, i, x, 'sum', include_self=1)", "x.masked_fill(m, 'a')",
    "x.masked_fill([True], 1)", "x.masked_fill(m)", "x.masked_fill(m, [1])",
    "x.masked_scatter(m, 1)", "x.masked_select(m, 1)", "x.clone().put_(i, 1)",
    "x.clone().put_([0], x)", "x.clone().put_(i, x[0, :2], accumulate=1)", "torch.take(x, 0)",
    "x.clone().index_fill_(dim=1, index=i, value=5)", "x.scatter(1, ix, 2, reduce='multiply')",
    "x.clone().scatter_add_(0, ix, x)", "x.clone().masked_scatter_(m, x)",
    "x.clone().put_(i, x[0, :2], accumulate=True)", "torch.put(x, i, x[0, :2])",
    "torch.where(m, x)", "torch.where([True])",
    "x.index_fill(1, i, 1+0j)", "x.index_fill(1, torch.tensor([5]), 2j)",
    "x.scatter(1, i.view(2, 1), 1+0j)", "x.scatter(1, i.view(2, 1), 2j)",
    "x.index_add(0, i, x, alpha=1+0j)", "x.index_add(0, i, x, alpha=2j)",
    "x.index_add(0, i, x, alpha=torch.tensor(2.))", "x.long().index_add(0, i, x.long(), alpha=1.5)",
    "x.index_add(0, i, x, alpha=torch.tensor([2.]))",
]

OUT_FORMS = [  # (``out=`` of the index ops, and resize_'s ``size=``)
    "torch.index_add(x, 0, i[:1], x[:1], alpha=2, out=torch.empty(2, 3))",
    "torch.scatter_add(x, 0, ix[:1], x[:1], out=torch.empty(2, 3))",
    "torch.scatter_reduce(x, 0, ix[:1], x[:1], 'sum', out=torch.empty(2, 3))",
    "torch.scatter(x, 0, ix[:1], 1.0, reduce='add', out=torch.empty(2, 3))",
    "torch.index_copy(x, 0, i[:1], x[:1], out=torch.empty(2, 3))",
    "torch.scatter(x, 0, ix[:1], 2.0, out=torch.empty(1))",
    "torch.index_copy(x, 0, i[:1], x[:1], out=torch.empty(2, 3, dtype=torch.int64))",
    "torch.scatter(x, 0, ix[:1], 1.0, out=torch.empty(2, 3, dtype=torch.float64))",
    "torch.index_add(x, 0, i[:1], x[:1], out=x)", "torch.scatter(x, 0, ix[:1], x[1:], out=x)",
    "torch.scatter_add(x, 0, ix[:1], x[1:], out=x)", "torch.scatter(x, 0, ix[:1], 1.0, out=x)",
    "torch.index_add(x, 0, i[:1], torch.ones(1, 3), out=x[0])",
    "x.clone().resize_(size=(3, 2))", "x.resize_(2, 3, memory_format=1)",
]

KEYWORD_ORDER = [  # (a C++ hash map's order, not the call's)
    "torch.rand(2, a=1, b=2, c=3)", "torch.rand(2, dtype=1, device=2, requires_grad=3)",
    "torch.rand(2, foo=1, bar=2, out=3, layout=4, generator=5)",
    "torch.rand(2, " + ", ".join(f"k{n}={n}" for n in range(15)) + ")",
    "x.view(dtype=1, size=2, foo=3)",
]

ADD_SUB = [
    "torch.add(x, 1, x)", "torch.sub(x, 2, x)", "x.add(1, x)", "x.sub(2, x)",
    "torch.add(x, 1, other=x)", "x.add(2, other=x)", "x.clone().add_(2, x)",
    "torch.add(x, 2, x, out=torch.empty(2, 3))", "torch.add(x, torch.tensor(2.), x)",
    "torch.add(x, 2, 3)", "x.add(2, 3)", "x.add(x, 2)", "x.add(2, x, alpha=3)",
    "torch.add(x, x, 2, alpha=2)", "torch.add(x, alpha=2)", "x.sub(alpha=2)",
    "x.sub(x, 1, foo=1, alpha=2)", "torch.add(x, x, alpha='a')", "x.add(x, alpha='a')",
    "x.clone().add_(x, alpha='a')", "x.sub_(x, alpha=None)", "torch.mul(x, 2, x)",
    "torch.div(x, x, rounding_mode=1)", "x.div(x, rounding_mode=1)",
    "torch.div(x, 2, rounding_mode=1)", "torch.div(x, x, rounding_mode='floor')",
    "x.mul(2, x)", "x.mul_(2, x)", "x.div_(2, x)", "x.div(2, x)", "x.div_(x, rounding_mode=1)",
    "x.div_(x, foo=1)", "x.clone().div_(x, rounding_mode='floor')", "x.clone().div_(other=x)",
    "torch.subtract(x, 1, x)", "x.subtract(2, x)", "torch.add(x, 2, np.float64(3))",
]


@pytest.mark.parametrize("code", FACTORIES + METHODS + INDEX_OPS + OUT_FORMS + KEYWORD_ORDER)
def test_parser_errors(code):
    _same(code)


def _same_warning_always(code):
    """``_same`` with warn-always on in both libraries (PyTorch warns once a process: this
    shows each call's warning)."""
    prev = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    ember.set_warn_always(True)
    try:
        _same(code)
    finally:
        torch.set_warn_always(prev)
        ember.set_warn_always(prev)


@pytest.mark.parametrize("code", ADD_SUB)
def test_add_sub_forms(code):
    _same_warning_always(code)


def test_deprecated_form_warns_once_a_process():
    from ember import _warnings

    _warnings._once.discard("argparse-deprecated")
    x = ember.ones(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.add(x, 2, x)
        x.sub(2, x)
        ember.sub(x, 2, x)
    assert [str(w.message) for w in caught] == [
        "This overload of add is deprecated:\n\tadd(Tensor input, Number alpha, Tensor other, "
        "*, Tensor out = None)\nConsider using one of the following signatures instead:\n\t"
        "add(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None) (Triggered "
        "internally at /__w/pytorch/pytorch/torch/csrc/utils/python_arg_parser.cpp:1841.)"]


def test_keyword_order_matches_the_hash_map():
    from ember._ops._core import _kwargs_in_torch_order

    rng = np.random.default_rng(0)
    names = ["dtype", "device", "requires_grad", "layout", "pin_memory", "out", "foo", "bar",
             "generator", "size", "memory_format", "alpha", "dim", "keepdim", "a", "verylongname"]
    for n in (2, 3, 4, 6, 9, 13, 14, 16):
        keys = list(rng.choice(names, n, replace=False))
        kwargs = dict.fromkeys(keys, 1)
        try:
            torch.rand(2, **kwargs)
        except TypeError as e:
            got = str(e).split(" - got (int, ")[1].split("), but")[0]
        assert got == ", ".join(f"{k}=int" for k, _ in _kwargs_in_torch_order(kwargs))


def test_well_typed_calls_keep_their_checks():
    """A call whose argument types passed the parser before takes the short way, which still
    refuses a list of ints holding something else."""
    z, x = ember.zeros, ember.ones(6)
    for _ in range(3):
        assert tuple(z(3, 4).shape) == (3, 4) and tuple(z((2, 5)).shape) == (2, 5)
        assert tuple(x.view(2, 3).shape) == (2, 3) and tuple(x.view((3, 2)).shape) == (3, 2)
    for call in (lambda: z((2.5, 3)), lambda: z((2, 3.5)), lambda: x.view((2, 3.0)),
                 lambda: x.view(2, 3.0)):
        with pytest.raises(TypeError) as e:
            call()
        assert "tuple of ints" in str(e.value)
    assert tuple(z([2, True]).shape) == (2, 1)  # (a bool after the first item: an int)


# (the keywords a renaming wrapper gave ember's names before; the order of the value checks
# of the mask, gather/scatter and index ops, and of their ``out=`` dtype checks)
CHECK_ORDER = [
    "torch.mul(x, 3, other=x)", "torch.mul(x, x, other=x)", "torch.mul()", "torch.mul(other=2)",
    "torch.mul(x, other=x, input=x)", "x.mul(3, other=x)", "x.clone().mul_(2, other=2)",
    "x.clone().div_(2, other=2)", "torch.addcmul(x, x, x, tensor1=x)",
    "torch.swapdims(x, 0, 1, dim0=0)", "torch.sub(x, 3, other=x, alpha=2)",
    "x.masked_fill(torch.ones(3, 2), 1.0)", "x.masked_fill(torch.ones(3, 2), torch.ones(2))",
    "x.masked_fill(torch.ones(3, 2, dtype=torch.bool), torch.tensor(1j))",
    "x.masked_fill(torch.ones(3, 2, dtype=torch.uint8), 1.0)",
    "x.clone().masked_fill_(torch.ones(3, 2), 1.0)", "x.masked_scatter(torch.ones(3, 2), x)",
    "x.masked_scatter(torch.ones(3, 2, dtype=torch.bool), x.long())",
    "x.clone().masked_scatter_(torch.ones(3, 2), x.long())",
    "x.clone().masked_scatter_(torch.ones(3, 2), x)",
    "x.scatter(0, ix, torch.ones(3))", "x.scatter(0, ix[:1, :1], torch.ones(3))",
    "x.scatter(0, torch.zeros(2, 0, dtype=torch.long), torch.ones(3))",
    "x.scatter(0, torch.zeros(2, 0), torch.ones(3))", "x.scatter_add(0, ix.int(), torch.ones(3))",
    "x.clone().scatter_(0, ix, torch.ones(3))", "x.scatter(0, ix, torch.ones(5, 5, 5))",
    "x.scatter_reduce(0, ix, torch.ones(3), 'foo')", "x.scatter_reduce(5, ix, x, 'foo')",
    "x.scatter_reduce(0, ix.float(), x, 'foo')", "x.scatter_reduce(0, ix, x.long(), 'foo')",
    "x.scatter_reduce(0, torch.tensor([[5, 0, 0]]), x, 'foo')", "x.scatter(5, ix.float(), x)",
    "x.scatter_add(5, ix.float(), x)", "x.gather(5, ix.float())",
    "x.gather(0, torch.zeros(2, 0, 3))", "x.scatter(0, torch.ones(3, 3, dtype=torch.int), x)",
    "x.index_fill(0, i.float(), torch.tensor(1j))", "x.index_fill(0, i.float(), 1j)",
    "x.index_fill(0, i, torch.tensor(1j))", "x.long().index_fill(0, i, torch.tensor(1e30))",
    "x.byte().index_fill(0, i, torch.tensor(1000))",
    "torch.gather(x, 0, ix.float(), out=torch.empty(2, 3).long())",
    "torch.gather(x, 0, torch.ones(3, 3, 3).long(), out=torch.empty(2, 3).long())",
    "torch.where(m.float(), x, x, out=torch.empty(2, 3).long())",
    "torch.where(m, x, torch.ones(4), out=torch.empty(2, 3).long())",
    "torch.where(m, 2, 3, out=torch.empty(2, 3))",
    "torch.take(x, i.float(), out=torch.empty(2).long())",
    "torch.index_copy(x, 0, i, torch.ones(3), out=torch.empty(2, 3).long())",
    "torch.index_copy(x, 0, i.float(), x, out=torch.empty(2, 3).long())",
    "x.addcmul(x, x, value=2j)", "x.clone().addcdiv_(x, x, value=2j)",
    "torch.addcmul(x, x, x, value=1+0j)", "torch.addcmul(x, x, 'a')", "x.addcmul(x)",
    "torch.addcmul(x, x, x, foo=1)",
    "torch.take_along_dim(torch.tensor(5.), torch.tensor(0), dim=0)",
    "torch.take_along_dim(torch.tensor(5.), torch.tensor(0), dim=-1)",
    "torch.take_along_dim(torch.tensor(5.), torch.tensor(0))",
]

WARNED_ONCE = [  # (PyTorch's TORCH_WARN_ONCE: each call's warning seen with warn_always)
    "torch.addcmul(x, 2, x, x)", "torch.addcdiv(x, 2, x, x)", "x.addcmul(2, x, x)",
    "x.clone().addcmul_(2, x, x)", "x.clone().addcdiv_(2, x, x)",
    "torch.addcmul(x, 2, x, x, out=torch.empty(2, 3))", "torch.addcmul(x, 2, x, x, value=3)",
    "x.scatter(0, ix, torch.ones(3), reduce='add')", "x.scatter(5, ix, x, reduce='add')",
    "x.scatter(0, ix.int(), torch.ones(3, 3, 3), reduce='foo')",
    "x.clone().scatter_(0, ix, torch.ones(3), reduce='foo')",
    "x.scatter(0, ix.float(), x, reduce='add')",
]


@pytest.mark.parametrize("code", CHECK_ORDER)
def test_check_order(code):
    _same(code)


@pytest.mark.parametrize("code", WARNED_ONCE)
def test_warned_once_forms(code):
    _same_warning_always(code)


def test_scatter_reduce_warns_once_a_process():
    from ember import _warnings

    _warnings._once.discard("scatter-reduce")
    x, i = ember.ones(2, 3), ember.tensor([[0, 1, 0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x.scatter(0, i, x, reduce="add")
        x.scatter(0, i, x, reduce="multiply")
    assert len(caught) == 1 and "reduce argument of torch.scatter" in str(caught[0].message)


@pytest.mark.parametrize("name", ["batch_sizes", "szie", "shpe", "reshpae", "lenght", "foo",
                                  "astype", "numpy_", "get_shape", "dims"])
def test_missing_attribute_in_pytorch_words(name):
    for lib in (ember, torch):
        for t in (lib.ones(2), lib.nn.Parameter(lib.ones(2))):
            with pytest.raises(AttributeError) as e:
                getattr(t, name)
            assert type(e.value) is AttributeError
            assert str(e.value) == f"'{type(t).__name__}' object has no attribute '{name}'"
    assert not hasattr(ember.ones(1), name) and getattr(ember.ones(1), name, 5) == 5


def test_pytorch_tensor_names_ember_lacks_say_so():
    for name in ("q_scale", "chalf", "to_mkldnn"):
        assert hasattr(torch.ones(1), name)
        with pytest.raises(NotImplementedError, match=f"torch.Tensor.{name} is not supported"):
            getattr(ember.ones(1), name)
