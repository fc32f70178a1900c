"""Differential checks of small leftovers: softmax and log_softmax of empty integer tensors,
the parser's refusal of a tensor for logit's and nan_to_num's float arguments (and
mvlgamma_'s words), pow_'s negative integer power check before the dtype check, setitem's
expand error before the leaf error, index_put_'s leaf error before its index errors (and its
words for a non-tensor index), vmap's errors for a chunk_size that is no int, to_sparse's
parser errors and blocksize refusals, and ``Tensor.module_load``.  Each case runs the same
code on ember and PyTorch and asserts the same result, or the same exception and message."""
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from diff import same  # noqa: E402


def _show(t):
    return (t.dtype, tuple(t.shape), t.tolist()) if hasattr(t, "dtype") else t


# -- softmax of an empty integer tensor: an empty result, no kernel's refusal ---------------

SOFTMAX = {
    "softmax": lambda T: T.softmax(T.ones(3, 0).long(), 1),
    "log_softmax": lambda T: T.log_softmax(T.ones(3, 0).long(), 1),
    "F_softmin": lambda T: T.nn.functional.softmin(T.ones(3, 0).long(), 1),
    "method_bool": lambda T: T.ones(0, 2).bool().log_softmax(0),
    "nonempty_refused": lambda T: T.softmax(T.ones(3, 2).long(), 0),
    "cross_entropy": lambda T: T.nn.functional.cross_entropy(T.ones(0, 3).long(),
                                                             T.ones(0).long()),
}


@pytest.mark.parametrize("case", SOFTMAX)
def test_softmax_empty_int(case):
    same(lambda T: _show(SOFTMAX[case](T)))


# -- a float argument given a tensor (a 0-d one without grad is taken) ---------------------

def _y(T):
    return T.tensor([0.5, float("nan"), 0.9])


FLOAT_ARGS = {
    "logit_": lambda T, v: _y(T).logit_(v),
    "logit": lambda T, v: T.logit(_y(T), v),
    "logit_kw": lambda T, v: _y(T).logit(eps=v),
    "nan_to_num_": lambda T, v: _y(T).nan_to_num_(v),
    "nan_to_num": lambda T, v: T.nan_to_num(_y(T), 0.0, 1.0, v),
    "nan_to_num_posinf": lambda T, v: _y(T).nan_to_num(posinf=v),
}
VALUES = {"vector": lambda T: T.ones(3), "0d": lambda T: T.tensor(0.25),
          "0d_grad": lambda T: T.tensor(0.25, requires_grad=True), "str": lambda T: "a",
          "int": lambda T: 1}


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("case", FLOAT_ARGS)
def test_float_argument(case, value):
    same(lambda T: _show(FLOAT_ARGS[case](T, VALUES[value](T))))


@pytest.mark.parametrize("p", [1.5, "a"])
def test_mvlgamma_inplace_words(p):
    same(lambda T: _show(T.ones(3).mvlgamma_(p)))
    same(lambda T: _show(T.ones(3).mvlgamma_(p=2)))


# -- pow_: "Integers to negative integer powers" before the result's cast ------------------

@pytest.mark.parametrize("dt", ["bool", "uint8", "int32"])
def test_pow_inplace_negative_int(dt):
    same(lambda T: _show(T.ones(3, dtype=getattr(T, dt)).pow_(-1)))
    same(lambda T: _show(T.ones(3, dtype=getattr(T, dt)).pow_(2)))


# -- setitem on a leaf's view: the value's expand error first ------------------------------

SETITEM = {
    "view_0d": lambda a, T: a[0].__setitem__(0, T.ones(5)),
    "view_rows": lambda a, T: a[0:2].__setitem__(0, T.ones(2, 3)),
    "row": lambda a, T: a.__setitem__(0, T.ones(5)),
    "none_key": lambda a, T: a.__setitem__(None, T.ones(5)),
    "fits": lambda a, T: a.__setitem__(0, T.ones(4)),
    "number": lambda a, T: a.__setitem__(0, 2.0),
}


@pytest.mark.parametrize("rg", [True, False])
@pytest.mark.parametrize("case", SETITEM)
def test_setitem_leaf_shape_error(case, rg):
    same(lambda T: SETITEM[case](T.ones(3, 4, requires_grad=rg), T))


# -- index_put_: the leaf error before the indices' errors; a non-tensor index -------------

INDEX_PUT = {
    "0d_too_many": lambda T, a: a.index_put_((T.tensor([0]),), T.tensor(2.)),
    "float_index": lambda T, a: a.index_put_((T.tensor([0.5]),), T.tensor(2.)),
    "float_index_1d": lambda T, a: a.reshape(1).index_put_((T.tensor([0.5]),), T.tensor(2.)),
    "two_for_1d": lambda T, a: a.reshape(1).index_put_((T.tensor([0]), T.tensor([0.5])),
                                                       T.tensor(2.)),
    "int_index": lambda T, a: a.index_put_((T.tensor([0]), 1), T.tensor(2.)),
    "fn_int_index": lambda T, a: T.index_put_(a, (0,), T.tensor(2.)),
    "fn_out_of_place": lambda T, a: T.index_put(a, (0,), T.tensor(2.)),
    "method_out_of_place": lambda T, a: a.index_put((0,), T.tensor(2.)),
}


@pytest.mark.parametrize("rg", [True, False])
@pytest.mark.parametrize("case", INDEX_PUT)
def test_index_put_leaf_first(case, rg):
    same(lambda T: _show(INDEX_PUT[case](T, T.tensor(1.0, requires_grad=rg))))


# -- vmap's chunk_size: PyTorch's own failures for a float or a bool ------------------------

@pytest.mark.parametrize("cs", [1.5, 2.0, True, 2, "a"])
def test_vmap_chunk_size(cs):
    same(lambda T: _show(T.func.vmap(T.sin, chunk_size=cs)(T.ones(3))))
    same(lambda T: _show(T.func.vmap(T.add, (None, 0), chunk_size=cs)(T.ones(2), T.ones(3, 2))))


# -- to_sparse: the parser's signatures, blocksize for a layout without blocks -------------

TO_SPARSE = {
    "float": lambda T, t: t.to_sparse(2.0),
    "bool": lambda T, t: t.to_sparse(True),
    "kw_float": lambda T, t: t.to_sparse(sparse_dim=2.0),
    "bad_kw": lambda T, t: t.to_sparse(foo=1),
    "sparse_dim": lambda T, t: t.to_sparse(1).to_dense(),
    "dense_blocksize": lambda T, t: t.to_sparse(blocksize=(1, 1)),
    "dense_csr_blocksize": lambda T, t: t.to_sparse(layout=T.sparse_csr, blocksize=(1, 1)),
    "coo_blocksize": lambda T, t: t.to_sparse().to_sparse(blocksize=(1, 1)),
    "coo_csc_blocksize": lambda T, t: t.to_sparse().to_sparse(layout=T.sparse_csc,
                                                              blocksize=(1, 1)),
    "dense_bsr": lambda T, t: t.to_sparse(layout=T.sparse_bsr, blocksize=(1, 1)).to_dense(),
}


@pytest.mark.parametrize("case", TO_SPARSE)
def test_to_sparse_arguments(case):
    same(lambda T: _show(TO_SPARSE[case](T, T.ones(2, 2))), warns=False)


def test_module_load_not_listed_missing():
    assert hasattr(ember.Tensor, "module_load") and hasattr(torch.Tensor, "module_load")
    assert "module_load" not in ember._tensor._TORCH_ONLY


def _z(T):
    return T.tensor([0.3, float("nan"), float("inf"), -float("inf")])


def test_float_arguments_still_taken():
    same(lambda T: _show(T.logit(_z(T), 0.1, out=T.empty(4))))
    same(lambda T: _show(T.nan_to_num(_z(T), nan=1.0, posinf=2.0, neginf=-2.0,
                                      out=T.empty(4))))
    same(lambda T: _show(_z(T).nan_to_num_(nan=1.0, posinf=2.0, neginf=-2.0)))
    same(lambda T: _show(T.nan_to_num_(_z(T), 3.0)))
    same(lambda T: _show(T.logit_(_z(T), T.ones(2))))
    same(lambda T: _show(_z(T).nan_to_num(1, 2, 3, 4)))
    same(lambda T: _show(_z(T).mvlgamma_(1, 2)))


# -- already alike (checked): abs_'s words for an argument, clamp's out= of another dtype --

ALIKE = {
    "abs_arg": lambda T: T.ones(3).abs_(1),
    "abs_kw": lambda T: T.ones(3).abs_(foo=1),
    "clamp_bool_into_long": lambda T: T.clamp(T.ones(3, dtype=T.bool), 0, 1,
                                              out=T.ones(3, dtype=T.long)),
    "clamp_long_into_bool": lambda T: T.clamp(T.ones(3, dtype=T.long), 0, 1,
                                              out=T.ones(3, dtype=T.bool)),
}


@pytest.mark.parametrize("case", ALIKE)
def test_already_alike(case):
    same(lambda T: _show(ALIKE[case](T)))
