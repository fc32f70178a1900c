"""Views and shape ops, differentially against PyTorch."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember
from diff import check, check_error, gradcheck, torch


def arr(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def iarr(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


def both(a, requires_grad=False):
    e = ember.from_numpy(a.copy())
    t = torch.from_numpy(a.copy())
    if requires_grad:
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def fn_name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def same_layout(e, t, root_e=None, root_t=None):
    """Shape, strides, offset, contiguity and base of an ember/torch pair agree.

    Tensors without elements are left out of the stride and offset comparison: NumPy
    keeps no meaningful strides or data pointer for them (see test_empty_layout).
    """
    assert tuple(e.shape) == tuple(t.shape)
    if t.numel():
        assert e.stride() == t.stride(), (e.stride(), t.stride())
        assert e.storage_offset() == t.storage_offset()
    assert e.is_contiguous() == t.is_contiguous()
    if root_e is not None:
        assert (e._base is root_e) == (t._base is root_t), (e._base, t._base)
        assert (e.data_ptr() == root_e.data_ptr()) == (t.data_ptr() == root_t.data_ptr())
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


def check_pieces(fn, *arrays):
    """``check`` for ops returning several tensors of one node (split, unbind, ...).

    Values are compared piece by piece; gradients through one weighted sum of the
    pieces, which reaches the node through a single root.
    """
    check(fn, *arrays, grad=False)

    def total(T, *xs):
        outs = fn(T, *xs)
        return sum(((o * (i + 1)).sum() for i, o in enumerate(outs)), T.zeros(()))
    check(total, *arrays)


# -- view / reshape ------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 4), (24,), (2, -1), (-1, 3, 2), (1, 24, 1), (4, 6)])
def test_view_values_and_grad(shape):
    check(lambda T, x: x.view(*shape) * 2, arr(4, 6))
    check(lambda T, x: x.view(shape), arr(4, 6))


def test_view_errors():
    check_error(lambda T, x: x.view(5, 5), arr(4, 6), match="is invalid for input of size 24")
    check_error(lambda T, x: x.view(-1, -1), arr(4, 6))
    check_error(lambda T, x: x.view(-2, 12), arr(4, 6))
    check_error(lambda T, x: x.view(0, -1), arr(4, 6))
    _, msg = check_error(lambda T, x: x.t().view(24), arr(4, 6))
    assert msg.startswith("view size is not compatible with input tensor's size and stride")
    assert msg.endswith("Use .reshape(...) instead.")
    check_error(lambda T, x: x.view(2.5, 4), arr(4, 6))


def test_view_zero_size():
    check(lambda T, x: x.view(0, 5, -1), arr(0, 10))
    check(lambda T, x: x.view(-1), arr(3, 0))
    check_error(lambda T, x: x.view(-1, 0), arr(3, 0))


def test_view_noncontiguous_compatible():
    # Splitting a transposed dim is still a view.
    e, t = both(arr(4, 6))
    ev, tv = e.t().view(3, 2, 4), t.t().view(3, 2, 4)
    same_layout(ev, tv, e, t)


def test_reshape_view_or_copy():
    e, t = both(arr(4, 6), requires_grad=True)
    ev, tv = e.reshape(6, 4), t.reshape(6, 4)
    same_layout(ev, tv, e, t)
    assert fn_name(ev) == fn_name(tv) == "ViewBackward0"
    ec, tc = e.t().reshape(24), t.t().reshape(24)
    same_layout(ec, tc, e, t)
    assert ec._base is None and tc._base is None
    assert fn_name(ec) == fn_name(tc) == "UnsafeViewBackward0"
    assert fn_name(ec.grad_fn.next_functions[0][0]) if False else True
    assert type(ec.grad_fn.next_functions[0][0]).__name__ == \
        type(tc.grad_fn.next_functions[0][0]).__name__ == "CloneBackward0"
    check(lambda T, x: x.t().reshape(-1) * T.arange(24.0), arr(4, 6))
    check(lambda T, x: x.reshape(3, 8), arr(4, 6))


def test_reshape_without_grad_shares_or_copies():
    e, t = both(arr(4, 6))
    ev, tv = e.reshape(24), t.reshape(24)
    assert ev.data_ptr() == e.data_ptr() and tv.data_ptr() == t.data_ptr()
    ev[0] = 100.0
    tv[0] = 100.0
    assert e[0, 0].item() == t[0, 0].item() == 100.0
    ec, tc = e.t().reshape(24), t.t().reshape(24)
    assert (ec.data_ptr() == e.data_ptr()) == (tc.data_ptr() == t.data_ptr())
    ec[1] = -5.0
    tc[1] = -5.0
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_view_as_reshape_as():
    check(lambda T, x: x.view_as(T.zeros(3, 8)), arr(4, 6))
    check(lambda T, x: x.t().reshape_as(T.zeros(3, 8)), arr(4, 6))
    check(lambda T, x: x.ravel(), arr(4, 6))
    check(lambda T, x: x.t().ravel(), arr(4, 6))


# -- flatten / unflatten -------------------------------------------------------

@pytest.mark.parametrize("s,e", [(0, -1), (1, 2), (0, 0), (-2, -1), (2, 2)])
def test_flatten(s, e):
    check(lambda T, x: x.flatten(s, e), arr(2, 3, 4))
    check(lambda T, x: T.flatten(x.transpose(0, 2), s, e), arr(2, 3, 4))


def test_flatten_edge_cases():
    check(lambda T, x: x.flatten(), arr())
    check(lambda T, x: x.flatten(0, 0), arr())
    check(lambda T, x: x.flatten(), arr(0, 3))
    check_error(lambda T, x: x.flatten(2, 1), arr(2, 3, 4))
    check_error(lambda T, x: x.flatten(0, 3), arr(2, 3, 4))
    e, t = both(arr(2, 3))
    assert (e.flatten(1, 1) is e) == (t.flatten(1, 1) is t)


@pytest.mark.parametrize("dim,sizes", [(1, (2, 2)), (-1, (3, -1)), (0, (1, 2)), (1, [4, 1])])
def test_unflatten(dim, sizes):
    check(lambda T, x: x.unflatten(dim, sizes), arr(2, 4, 6)[:, :, :6] if dim != -1 else
          arr(2, 4, 6))
    check(lambda T, x: T.unflatten(x, dim, sizes) + 1, arr(2, 4, 6))


def test_unflatten_errors():
    check_error(lambda T, x: x.unflatten(1, (3, 3)), arr(2, 4))
    check_error(lambda T, x: x.unflatten(2, (2, 2)), arr(2, 4))
    check_error(lambda T, x: x.unflatten(1, (-1, -1)), arr(2, 4))


# -- squeeze / unsqueeze -------------------------------------------------------

@pytest.mark.parametrize("dim", [None, 0, 1, 2, -1, (0, 2), (1,), (), (0, 1, 2, 3)])
def test_squeeze(dim):
    a = arr(1, 3, 1, 2)
    if dim is None:
        check(lambda T, x: x.squeeze(), a)
        check(lambda T, x: T.squeeze(x), a)
    else:
        check(lambda T, x: x.squeeze(dim), a)
        check(lambda T, x: T.squeeze(x, dim), a)


def test_squeeze_grad_fn_names():
    e, t = both(arr(1, 3, 1), requires_grad=True)
    for f in (lambda x: x.squeeze(), lambda x: x.squeeze(0), lambda x: x.squeeze((0, 2)),
              lambda x: x.unsqueeze(1)):
        assert fn_name(f(e)) == fn_name(f(t))
        same_layout(f(e), f(t), e, t)


def test_squeeze_scalar_and_errors():
    check(lambda T, x: x.squeeze(), arr())
    check(lambda T, x: x.squeeze(0), arr())
    check(lambda T, x: x.squeeze(-1), arr())
    check_error(lambda T, x: x.squeeze(1), arr())
    check_error(lambda T, x: x.squeeze(3), arr(1, 2))
    check_error(lambda T, x: x.squeeze((0, 0)), arr(1, 2))


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_unsqueeze(dim):
    check(lambda T, x: x.unsqueeze(dim), arr(2, 3))


def test_unsqueeze_errors():
    check_error(lambda T, x: x.unsqueeze(3), arr(2, 3))
    check_error(lambda T, x: x.unsqueeze(-4), arr(2, 3))
    check(lambda T, x: x.unsqueeze(0), arr())
    check(lambda T, x: x.unsqueeze(-1), arr())


def test_squeeze_unsqueeze_inplace():
    e, t = both(arr(1, 3, 1))
    e.squeeze_()
    t.squeeze_()
    assert e.shape == t.shape
    e.unsqueeze_(0)
    t.unsqueeze_(0)
    assert tuple(e.shape) == tuple(t.shape)
    e2, t2 = both(arr(2, 3))
    e2.t_()
    t2.t_()
    same_layout(e2, t2)


# -- permute / transpose / t / T / mT / movedim ----------------------------------

@pytest.mark.parametrize("dims", [(2, 0, 1), (0, 1, 2), (-1, -2, -3), [1, 2, 0]])
def test_permute(dims):
    check(lambda T, x: x.permute(*dims), arr(2, 3, 4))
    check(lambda T, x: x.permute(dims), arr(2, 3, 4))
    check(lambda T, x: T.permute(x, dims), arr(2, 3, 4))
    e, t = both(arr(2, 3, 4))
    same_layout(e.permute(dims), t.permute(dims), e, t)


def test_permute_errors():
    check_error(lambda T, x: x.permute(0, 1), arr(2, 3, 4))
    check_error(lambda T, x: x.permute(0, 0, 1), arr(2, 3, 4))
    check_error(lambda T, x: x.permute(0, 1, 3), arr(2, 3, 4))
    check(lambda T, x: x.permute(()), arr())


@pytest.mark.parametrize("a,b", [(0, 1), (1, 0), (-1, 0), (2, 2), (0, 2)])
def test_transpose(a, b):
    check(lambda T, x: x.transpose(a, b), arr(2, 3, 4))
    check(lambda T, x: T.transpose(x, a, b), arr(2, 3, 4))
    check(lambda T, x: T.swapaxes(x, a, b), arr(2, 3, 4))
    check(lambda T, x: x.swapdims(a, b), arr(2, 3, 4))
    e, t = both(arr(2, 3, 4))
    same_layout(e.transpose(a, b), t.transpose(a, b), e, t)


def test_transpose_low_dim():
    check(lambda T, x: x.transpose(0, -1), arr(3))
    check(lambda T, x: x.transpose(0, -1), arr())
    check_error(lambda T, x: x.transpose(0, 1), arr(3))


def test_t():
    check(lambda T, x: x.t(), arr(2, 3))
    check(lambda T, x: x.t(), arr(3))
    check(lambda T, x: x.t(), arr())
    check(lambda T, x: T.t(x), arr(2, 3))
    check_error(lambda T, x: x.t(), arr(2, 3, 4))
    e, t = both(arr(2, 3), requires_grad=True)
    assert fn_name(e.t()) == fn_name(t.t()) == "TBackward0"
    assert fn_name(e.transpose(0, 1)) == fn_name(t.transpose(0, 1))


def test_T_mT():
    check(lambda T, x: x.T, arr(2, 3))
    with warnings.catch_warnings():  # PyTorch warns once per process: order-dependent
        warnings.simplefilter("ignore")
        check(lambda T, x: x.T, arr(3))
        check(lambda T, x: x.T, arr(2, 3, 4))
        check(lambda T, x: x.T, arr())
    ember._warnings._once.difference_update({"T on 0-d", "T on n-d"})
    with pytest.warns(UserWarning, match="deprecated"):
        _ = ember.zeros(3).T
    with pytest.warns(UserWarning, match="0-D"):
        _ = ember.zeros(()).T
    check(lambda T, x: x.mT, arr(2, 3, 4))
    check(lambda T, x: x.mT, arr(3, 4))
    check(lambda T, x: x.mH, arr(3, 4))
    check(lambda T, x: x.H, arr(3, 4))
    check_error(lambda T, x: x.mT, arr(3))
    e, t = both(arr(2, 3), requires_grad=True)
    same_layout(e.T, t.T, e, t)
    same_layout(e.mT, t.mT, e, t)


@pytest.mark.parametrize("src,dst", [(0, 2), (2, 0), (-1, 1), ((0, 1), (2, 0)),
                                     ([0, 2], [1, 0]), ((), ())])
def test_movedim(src, dst):
    check(lambda T, x: x.movedim(src, dst), arr(2, 3, 4))
    check(lambda T, x: T.moveaxis(x, src, dst), arr(2, 3, 4))


def test_movedim_errors():
    check_error(lambda T, x: x.movedim((0, 1), (1,)), arr(2, 3, 4))
    check_error(lambda T, x: x.movedim((0, 0), (1, 2)), arr(2, 3, 4))
    check_error(lambda T, x: x.movedim(0, 3), arr(2, 3, 4))


# -- expand / repeat / tile / repeat_interleave ------------------------------------

@pytest.mark.parametrize("shape,sizes", [((3, 1), (3, 4)), ((3, 1), (2, 3, 4)), ((1,), (5,)),
                                         ((), (2, 3)), ((3, 1), (-1, 4)), ((2, 1), (0, 2, 3))])
def test_expand(shape, sizes):
    check(lambda T, x: x.expand(*sizes), arr(*shape))
    check(lambda T, x: x.expand(sizes) * 1, arr(*shape))
    e, t = both(arr(*shape))
    same_layout(e.expand(sizes), t.expand(sizes), e, t)


def test_expand_errors():
    check_error(lambda T, x: x.expand(3, 4), arr(3, 2), match="must match the existing size")
    check_error(lambda T, x: x.expand(3), arr(3, 1))
    check_error(lambda T, x: x.expand(-1, 3, 1), arr(3, 1))
    check_error(lambda T, x: x.expand(2, -2), arr(1, 1))


def test_expand_as_and_broadcast():
    check(lambda T, x: x.expand_as(T.zeros(2, 3, 4)), arr(3, 1))
    check(lambda T, x: T.broadcast_to(x, (2, 3, 4)), arr(3, 1))
    check(lambda T, x, y: T.broadcast_tensors(x, y), arr(3, 1), arr(4))
    check_error(lambda T, x: x.expand_as(T.zeros(2, 4)), arr(3, 1))
    check_error(lambda T, x, y: T.broadcast_tensors(x, y), arr(3, 2), arr(4))


def test_expanded_write():
    check_error(lambda T, x: x.expand(3, 4).add_(1), arr(3, 1), match="single memory location")
    check_error(lambda T, x: x.expand(3, 4).copy_(T.ones(3, 4)), arr(3, 1))
    check_error(lambda T, x: x.expand(3, 4).__setitem__(0, 1.0), arr(3, 1))
    # fill_ and zero_ write the same value to every alias, which PyTorch allows.
    e, t = both(arr(3, 1))
    e.expand(3, 4).fill_(2.5)
    t.expand(3, 4).fill_(2.5)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    e[1:].expand(2, 5).zero_()
    t[1:].expand(2, 5).zero_()
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert e._version == t._version


@pytest.mark.parametrize("shape,reps", [((2, 3), (2, 1)), ((2, 3), (1, 2, 3)), ((3,), (2,)),
                                        ((), (3, 2)), ((2, 3), (0, 2)), ((2, 1), (1, 1))])
def test_repeat(shape, reps):
    check(lambda T, x: x.repeat(*reps), arr(*shape))
    check(lambda T, x: x.repeat(reps), arr(*shape))


def test_repeat_errors():
    check_error(lambda T, x: x.repeat(2), arr(2, 3))
    check_error(lambda T, x: x.repeat(-1, 2), arr(2, 3))


@pytest.mark.parametrize("shape,reps", [((2, 3), (2,)), ((2, 3), (1, 2, 3)), ((3,), (2, 2)),
                                        ((2, 3), ())])
def test_tile(shape, reps):
    check(lambda T, x: x.tile(reps), arr(*shape))
    check(lambda T, x: T.tile(x, reps), arr(*shape))


@pytest.mark.parametrize("reps,dim", [(2, None), (2, 0), (3, 1), ([1, 2], 0), ([0, 1, 2], 1),
                                      (1, -1)])
def test_repeat_interleave(reps, dim):
    a = arr(2, 3)
    if isinstance(reps, list) and dim is not None and len(reps) != a.shape[dim]:
        return
    check(lambda T, x: x.repeat_interleave(T.tensor(reps) if isinstance(reps, list) else reps,
                                           dim=dim), a)
    check(lambda T, x: T.repeat_interleave(x, reps if isinstance(reps, int) else T.tensor(reps),
                                           dim), a)


def test_repeat_interleave_tensor_only():
    e = ember.repeat_interleave(ember.tensor([1, 0, 2]))
    t = torch.repeat_interleave(torch.tensor([1, 0, 2]))
    assert e.tolist() == t.tolist() and e.dtype is ember.int64
    check_error(lambda T, x: x.repeat_interleave(T.tensor([1, 2]), dim=1), arr(2, 3))
    check_error(lambda T, x: x.repeat_interleave(-1), arr(2, 3))


# -- cat / stack --------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(dim):
    check(lambda T, x, y: T.cat([x, y], dim), arr(2, 3), arr(2, 3, seed=1))
    check(lambda T, x, y: T.cat((x, y, x), dim=dim), arr(2, 3), arr(2, 3, seed=1))


def test_cat_sizes_and_promotion():
    check(lambda T, x, y: T.cat([x, y]), arr(2, 3), arr(4, 3, seed=1))
    check(lambda T, x, y: T.cat([x, y], 1), arr(2, 3), arr(2, 1, seed=1))
    check(lambda T, x, y: T.cat([x, y]), arr(2, 3), arr(2, 3, dtype=np.float64))
    check(lambda T, x, y: T.cat([x, y]), arr(2, 3), iarr(2, 3))
    check(lambda T, x, y: T.cat([x, y]), iarr(2, 3), iarr(2, 3).astype(np.int32))
    check(lambda T, x, y: T.cat([x, y]), iarr(2, 3) > 2, iarr(2, 3).astype(np.uint8))
    check(lambda T, x, y: T.cat([x, y]), arr(2, 3, dtype=np.float16), iarr(2, 3))
    check(lambda T, x: T.concat([x, x]), arr(2, 3))
    check(lambda T, x: T.concatenate([x, x], 1), arr(2, 3))


def test_cat_legacy_empty():
    check(lambda T, x, y: T.cat([x, y]), arr(2, 3), arr(0))
    check(lambda T, x, y: T.cat([y, x, y], 1), arr(2, 3), arr(0))
    check(lambda T, x, y: T.cat([x, y]), arr(0, 3), arr(2, 3))
    check(lambda T, x, y: T.cat([x, y]), arr(0), arr(0))


def test_cat_errors():
    check_error(lambda T, x, y: T.cat([x, y]), arr(2, 3), arr(2, 4))
    check_error(lambda T, x, y: T.cat([x, y]), arr(2, 3), arr(3))
    check_error(lambda T, x: T.cat([x, x], 2), arr(2, 3))
    check_error(lambda T, x: T.cat([]), arr(2, 3))
    check_error(lambda T, x: T.cat([x, 1]), arr(2, 3))
    check_error(lambda T, x: T.cat([x, x]), arr())


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_stack(dim):
    check(lambda T, x, y: T.stack([x, y], dim), arr(2, 3), arr(2, 3, seed=1))
    check(lambda T, x, y: T.stack((x, y, x), dim=dim), arr(2, 3), arr(2, 3, seed=1))


def test_stack_promotion_and_errors():
    check(lambda T, x, y: T.stack([x, y]), arr(2, 3), iarr(2, 3))
    check(lambda T, x, y: T.stack([x, y]), arr(), arr(dtype=np.float64))
    check(lambda T, x, y: T.stack([x, y]), iarr(3), arr(dtype=np.float32).reshape(()))
    check_error(lambda T, x, y: T.stack([x, y]), arr(2, 3), arr(3, 2))
    check_error(lambda T, x: T.stack([x, x], 3), arr(2, 3))
    check_error(lambda T, x: T.stack([]), arr(2))


def test_hstack_vstack():
    check(lambda T, x, y: T.hstack([x, y]), arr(2, 3), arr(2, 2))
    check(lambda T, x, y: T.hstack([x, y]), arr(3), arr(2))
    check(lambda T, x, y: T.vstack([x, y]), arr(3), arr(2, 3))
    check(lambda T, x, y: T.hstack([x, y]), arr(), arr(2))


# -- split / chunk / tensor_split / unbind ---------------------------------------------

@pytest.mark.parametrize("size,dim", [(2, 0), (3, 0), (5, 0), (1, 1), (2, -1), ([1, 4], 0),
                                      ([2, 0, 3], 0), ([3], 1), (10, 0)])
def test_split(size, dim):
    check_pieces(lambda T, x: x.split(size, dim), arr(5, 3))
    check_pieces(lambda T, x: T.split(x, size, dim=dim), arr(5, 3))


def test_split_views_and_names():
    e, t = both(arr(5, 3), requires_grad=True)
    for a, b in zip(e.split(2), t.split(2)):
        same_layout(a, b, e, t)
        assert fn_name(a) == fn_name(b)
    for a, b in zip(e.split([2, 3]), t.split([2, 3])):
        assert fn_name(a) == fn_name(b)
    for a, b in zip(e.unbind(1), t.unbind(1)):
        same_layout(a, b, e, t)
        assert fn_name(a) == fn_name(b)


def test_split_errors():
    check_error(lambda T, x: x.split([1, 2]), arr(5, 3))
    check_error(lambda T, x: x.split(0), arr(5, 3))
    check_error(lambda T, x: x.split(2, 2), arr(5, 3))
    check_pieces(lambda T, x: x.split(0), arr(0, 3))


@pytest.mark.parametrize("chunks,dim", [(2, 0), (3, 0), (5, 0), (6, 0), (4, 1), (1, 0), (2, -1)])
def test_chunk(chunks, dim):
    check_pieces(lambda T, x: x.chunk(chunks, dim), arr(5, 3))
    check_pieces(lambda T, x: T.chunk(x, chunks, dim), arr(6, 4))


def test_chunk_edge_cases():
    check_pieces(lambda T, x: x.chunk(3), arr(0, 2))
    check_pieces(lambda T, x: x.chunk(3, 1), arr(2, 0))
    check_error(lambda T, x: x.chunk(0), arr(5))
    check_error(lambda T, x: x.chunk(-1), arr(5))


@pytest.mark.parametrize("ios,dim", [(3, 0), (2, 1), (7, 0), ([1, 3], 0), ([4, 2], 0),
                                     ([-1], 0), ((0, 10), 0), ([1], 1), (1, 0)])
def test_tensor_split(ios, dim):
    check_pieces(lambda T, x: x.tensor_split(ios, dim), arr(5, 3))
    check_pieces(lambda T, x: T.tensor_split(x, ios, dim=dim), arr(5, 3))


def test_tensor_split_errors():
    check_error(lambda T, x: x.tensor_split(0), arr(5, 3))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind(dim):
    check_pieces(lambda T, x: x.unbind(dim), arr(3, 2))
    check_pieces(lambda T, x: T.unbind(x, dim), arr(3, 2))
    check(lambda T, x: [y * 2 for y in x.unbind(dim)][0], arr(3, 2))


def test_grad_from_several_pieces_of_one_node():
    check(lambda T, x: x.split(2), arr(5, 3))
    check(lambda T, x: x.unbind(1), arr(5, 3))


def test_unbind_errors():
    check_error(lambda T, x: x.unbind(), arr())
    check_error(lambda T, x: x.unbind(2), arr(2, 3))
    check_pieces(lambda T, x: x.unbind(0), arr(0, 3))


# -- flip / roll / narrow / select ----------------------------------------------------

@pytest.mark.parametrize("dims", [(0,), (1,), (0, 1), (-1,), ()])
def test_flip(dims):
    check(lambda T, x: x.flip(dims), arr(3, 4))
    check(lambda T, x: T.flip(x, dims), arr(3, 4))
    if dims:
        check(lambda T, x: x.flip(*dims), arr(3, 4))


def test_flip_variants():
    check(lambda T, x: T.fliplr(x), arr(3, 4))
    check(lambda T, x: T.flipud(x), arr(3, 4))
    check(lambda T, x: x.flip(0), iarr(3, 4))
    check_error(lambda T, x: x.flip((0, 0)), arr(3, 4))
    check_error(lambda T, x: x.flip(2), arr(3, 4))
    check_error(lambda T, x: T.fliplr(x), arr(3))
    e, t = both(arr(3, 4))
    assert e.flip(0).is_contiguous() and t.flip(0).is_contiguous()


@pytest.mark.parametrize("shifts,dims", [(1, None), (-2, None), (1, 0), (2, 1), ((1, 2), (0, 1)),
                                         (5, 0), (-7, 1), ((1,), (1,))])
def test_roll(shifts, dims):
    check(lambda T, x: x.roll(shifts, dims), arr(3, 4))
    check(lambda T, x: T.roll(x, shifts, dims), arr(3, 4))


def test_roll_errors():
    check_error(lambda T, x: x.roll((1, 2), 0), arr(3, 4))
    check(lambda T, x: x.roll(1), arr(0, 2))


@pytest.mark.parametrize("dim,start,length", [(0, 0, 2), (0, 1, 3), (1, 2, 1), (-1, -2, 2),
                                              (0, 4, 0), (0, -4, 1)])
def test_narrow(dim, start, length):
    check(lambda T, x: x.narrow(dim, start, length), arr(4, 3))
    check(lambda T, x: T.narrow(x, dim, start, length), arr(4, 3))
    e, t = both(arr(4, 3))
    same_layout(e.narrow(dim, start, length), t.narrow(dim, start, length), e, t)


def test_narrow_errors():
    check_error(lambda T, x: x.narrow(0, 3, 2), arr(4, 3))
    check_error(lambda T, x: x.narrow(0, 5, 0), arr(4, 3))
    check_error(lambda T, x: x.narrow(0, -5, 1), arr(4, 3))
    check_error(lambda T, x: x.narrow(0, 0, -1), arr(4, 3))
    check_error(lambda T, x: x.narrow(2, 0, 1), arr(4, 3))
    check(lambda T, x: x.narrow(0, T.tensor(1), 2), arr(4, 3))


@pytest.mark.parametrize("dim,index", [(0, 0), (0, -1), (1, 2), (-1, 0)])
def test_select(dim, index):
    check(lambda T, x: x.select(dim, index), arr(4, 3))
    check(lambda T, x: T.select(x, dim, index), arr(4, 3))
    e, t = both(arr(4, 3))
    same_layout(e.select(dim, index), t.select(dim, index), e, t)


def test_select_errors():
    check_error(lambda T, x: x.select(0, 4), arr(4, 3))
    check_error(lambda T, x: x.select(0, -5), arr(4, 3))
    check_error(lambda T, x: x.select(2, 0), arr(4, 3))
    check_error(lambda T, x: x.select(0, 0), arr())


# -- tril / triu / diag / diagonal ---------------------------------------------------------

@pytest.mark.parametrize("k", [0, 1, -1, 5, -5])
def test_tril_triu(k):
    check(lambda T, x: x.tril(k), arr(3, 4))
    check(lambda T, x: T.triu(x, k), arr(3, 4))
    check(lambda T, x: T.tril(x, diagonal=k), arr(2, 3, 4))
    check(lambda T, x: x.triu(k), iarr(2, 4, 3))


def test_tril_triu_inplace_and_errors():
    def f(T, x):
        y = x * 1
        y.tril_(1)
        return y
    check(f, arr(3, 3))
    check_error(lambda T, x: x.tril(), arr(3))


@pytest.mark.parametrize("k", [0, 1, -2, 4])
def test_diag(k):
    check(lambda T, x: T.diag(x, k), arr(3))
    check(lambda T, x: x.diag(k), arr(3, 4))
    check(lambda T, x: T.diag(x, k), iarr(4, 3))


def test_diag_errors():
    check_error(lambda T, x: T.diag(x), arr(2, 2, 2))
    check_error(lambda T, x: T.diag(x), arr())


@pytest.mark.parametrize("off,d1,d2", [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (0, 1, 0), (1, -1, 0),
                                       (0, 0, 2), (5, 0, 1)])
def test_diagonal(off, d1, d2):
    check(lambda T, x: x.diagonal(off, d1, d2), arr(3, 4, 5))
    check(lambda T, x: T.diagonal(x, offset=off, dim1=d1, dim2=d2), arr(3, 4, 5))
    e, t = both(arr(3, 4, 5))
    same_layout(e.diagonal(off, d1, d2), t.diagonal(off, d1, d2), e, t)


def test_diagonal_errors():
    check_error(lambda T, x: x.diagonal(0, 0, 0), arr(3, 4))
    check_error(lambda T, x: x.diagonal(), arr(3))


def test_diagonal_write_through():
    e, t = both(arr(3, 3))
    e.diagonal().fill_(7)
    t.diagonal().fill_(7)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_diag_embed():
    check(lambda T, x: T.diag_embed(x), arr(2, 3))
    check(lambda T, x: T.diag_embed(x, 1), arr(2, 3))
    check(lambda T, x: T.diag_embed(x, -2), arr(3))


# -- contiguity, strides, offsets, data_ptr -----------------------------------------------

CHAINS = [
    lambda x: x.t(),
    lambda x: x[1:, ::2],
    lambda x: x[:, 1],
    lambda x: x.t()[1:3],
    lambda x: x.unsqueeze(1),
    lambda x: x[None, :, None],
    lambda x: x[:1],
    lambda x: x.t().contiguous(),
    lambda x: x.contiguous(),
    lambda x: x[::2].t(),
    lambda x: x.expand(2, 4, 6),
    lambda x: x[:, :1].expand(4, 3),
    lambda x: x.view(2, 2, 6).permute(2, 0, 1),
    lambda x: x.diagonal(),
    lambda x: x[2:, 3:].diagonal(1),
    lambda x: x.narrow(1, 2, 3).select(0, 1),
    lambda x: x.unfold_dummy() if False else x[3:, 5:],
    lambda x: x[:, 5:].squeeze(1) if False else x[:, 5],
    lambda x: x.split(2, 1)[2],
    lambda x: x.chunk(2)[1].t(),
    lambda x: x.unbind(1)[3],
    lambda x: x[..., 2:4],
    lambda x: x[:0],
    lambda x: x.reshape(6, 4),
    lambda x: x.t().reshape(6, 4),
    lambda x: x.view(24)[3:20:4],
    lambda x: x.movedim(0, 1),
    lambda x: x.detach(),
    lambda x: x.t().T,
    lambda x: x.t().clone(),
    lambda x: x.flatten(),
    lambda x: x.t().flatten(),
    lambda x: x[1:2, 1:2],
    lambda x: x.t()[:, :1],
]


@pytest.mark.parametrize("i", range(len(CHAINS)))
def test_view_chain_layout(i):
    e, t = both(arr(4, 6))
    same_layout(CHAINS[i](e), CHAINS[i](t), e, t)
    # A view of a view records the root as its base.
    e2, t2 = both(arr(5, 6))
    try:
        tt = CHAINS[i](t2[1:])
    except RuntimeError:
        return
    same_layout(CHAINS[i](e2[1:]), tt, e2, t2)


def test_contiguous_identity_and_copy():
    e, t = both(arr(4, 6))
    assert (e.contiguous() is e) and (t.contiguous() is t)
    ec, tc = e.t().contiguous(), t.t().contiguous()
    assert ec._base is None and tc._base is None
    assert ec.data_ptr() != e.data_ptr()
    # size-1 dims and empty tensors are contiguous whatever their stride
    for f in (lambda x: x[:, :1], lambda x: x[:1].t(), lambda x: x[:0].t(), lambda x: x.t()[:1]):
        assert f(e).is_contiguous() == f(t).is_contiguous()


def test_stride_dim():
    e, t = both(arr(2, 3, 4))
    for d in (0, 1, 2, -1):
        assert e.stride(d) == t.stride(d)
    with pytest.raises(IndexError):
        e.stride(3)
    with pytest.raises(IndexError):
        t.stride(3)


def test_data_ptr_views_vs_copies():
    e, t = both(arr(4, 6))
    assert e.view(24).data_ptr() == e.data_ptr()
    assert e[1].data_ptr() == e.data_ptr() + 6 * 4
    assert t[1].data_ptr() == t.data_ptr() + 6 * 4
    assert e.clone().data_ptr() != e.data_ptr()
    assert e.detach().data_ptr() == e.data_ptr()
    assert e.flip(0).data_ptr() != e.data_ptr()


# -- memory sharing and version counters ---------------------------------------------------

def test_view_writes_reach_base_and_back():
    e, t = both(arr(4, 6))
    for x in (e, t):
        v = x[1:3, ::2]
        v.mul_(0)
        x[0].fill_(5)
        w = x.t()
        w[0, 3] = -1.0
        x.view(-1)[5] = 42.0
        x.unsqueeze(0)[0, 2, 2] = 9.0
        x.diagonal()[1:] += 1
        x.select(1, 4).zero_()
        x.narrow(0, 2, 1).sub_(3)
        x.split(2, 1)[1].mul_(2)
        x.expand(2, 4, 6)[0]  # reading only
        x.movedim(0, 1)[5, 1] = 11.0
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_version_counter():
    e, t = both(arr(4, 6))
    ops = [lambda x: x.add_(1), lambda x: x[0].mul_(2), lambda x: x.t().zero_(),
           lambda x: x.__setitem__(0, 1.0), lambda x: x.view(-1).fill_(3),
           lambda x: x.unsqueeze(0).sub_(1), lambda x: x.clone().add_(1),
           lambda x: x.detach().add_(1), lambda x: x.copy_(x * 2),
           lambda x: x.__setitem__((slice(None), [0, 2]), 0.5), lambda x: x.clamp_(0, 1),
           lambda x: x.masked_fill_(x > 0, 0.0), lambda x: x.index_add_(0, x.new_tensor(
               [0], dtype=x.dtype).long(), x[:1].clone())]
    for op in ops:
        op(e)
        op(t)
        assert e._version == t._version
        assert e.t()._version == t.t()._version
        assert e[1]._version == t[1]._version
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_version_shared_with_views():
    e, t = both(arr(4, 6))
    ev, tv = e[1], t[1]
    ev.add_(1)
    tv.add_(1)
    assert e._version == t._version == ev._version == tv._version == 1
    ed, td = e.detach(), t.detach()
    ed.add_(1)
    td.add_(1)
    assert e._version == t._version
    ec, tc = e.clone(), t.clone()
    assert ec._version == tc._version == 0


def test_numpy_shares_memory_with_views():
    e, t = both(arr(4, 6))
    en, tn = e.t().numpy(), t.t().numpy()
    en[0, 1] = 77.0
    tn[0, 1] = 77.0
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert e[1, 0].item() == 77.0


def test_detach_shares_memory():
    e, t = both(arr(3), requires_grad=True)
    ed, td = e.detach(), t.detach()
    ed[0] = 10.0
    td[0] = 10.0
    assert e[0].item() == t[0].item() == 10.0
    assert not ed.requires_grad and ed.grad_fn is None


# -- in-place on views with autograd ----------------------------------------------------------

def test_inplace_on_view_gradient():
    def f(T, x):
        y = x * 1
        y[1:].mul_(2)
        y.t()[0].add_(y[0].detach())
        return y
    check(f, arr(3, 3))

    def g(T, x):
        y = x.clone()
        v = y.diagonal()
        v.mul_(x.diagonal())
        return y.sum(0)
    check(g, arr(3, 3))


def test_inplace_on_leaf_view_errors():
    check_error(lambda T, x: x.requires_grad_()[0].add_(1), arr(3))
    check_error(lambda T, x: x.requires_grad_().t().mul_(1), arr(3, 2))


def test_view_grad_fn_after_inplace():
    e, t = both(arr(3, 3), requires_grad=True)
    ye, yt = e * 1, t * 1
    ve, vt = ye[0], yt[0]
    ye.mul_(2)
    yt.mul_(2)
    assert fn_name(ve) == fn_name(vt)
    assert fn_name(ye) == fn_name(yt)


# -- Size --------------------------------------------------------------------------------

def test_size():
    e, t = ember.zeros(2, 3, 4).shape, torch.zeros(2, 3, 4).shape
    assert repr(e) == repr(t) and str(e) == str(t)
    assert repr(e[1:]) == repr(t[1:]) and isinstance(e[1:], ember.Size)
    assert e[0] == t[0] and e[-1] == t[-1]
    assert repr(e + (5,)) == repr(t + (5,))
    assert type(e + (5,)) is ember.Size
    assert ((5,) + e) == ((5,) + t)
    assert type((5,) + e).__name__ == type((5,) + t).__name__
    assert e.numel() == t.numel() == 24
    assert repr(ember.Size([])) == repr(torch.Size([]))
    assert ember.Size([]).numel() == 1
    assert e == (2, 3, 4) and e == t
    assert repr(ember.Size((0, 1))) == repr(torch.Size((0, 1)))
    assert e.count(3) == 1 and e.index(4) == 2
    assert hash(e) == hash((2, 3, 4))
    assert ember.zeros(2, 3).size() == torch.zeros(2, 3).size()
    assert ember.zeros(2, 3).size(1) == 3 and ember.zeros(2, 3).size(-2) == 2
    assert repr(e * 2) == repr(t * 2)
    assert repr(2 * e) == repr(2 * t)


def test_size_construction():
    for T in (ember, torch):
        with pytest.raises(TypeError):
            T.Size([1.5])
        with pytest.raises(TypeError):
            T.Size([T.tensor(2.0)])
        with pytest.raises(TypeError):
            T.Size(3)
        with pytest.raises(TypeError):
            T.Size([2]) + (1.5,)
        with pytest.raises(TypeError):
            T.Size([2]) + [1]
        with pytest.raises(IndexError):
            T.zeros(2, 3).size(2)
        with pytest.raises(IndexError):
            T.zeros(2, 3).size(-3)
    for args in ([np.int64(3), True, -1], (x for x in [1, 2]), []):
        a = list(args) if not isinstance(args, list) else args
        assert repr(ember.Size(a)) == repr(torch.Size(a))
    assert repr(ember.Size([ember.tensor(2)])) == repr(torch.Size([torch.tensor(2)]))
    assert type(ember.Size([np.int64(3)])[0]) is int
    assert repr(ember.Size([2, 3])[::-1]) == repr(torch.Size([2, 3])[::-1])
    assert (ember.Size([2, 3]) == [2, 3]) == (torch.Size([2, 3]) == [2, 3])
    import pickle
    s = pickle.loads(pickle.dumps(ember.Size([2, 3])))
    assert type(s) is ember.Size and s == (2, 3)


def test_empty_layout():
    # Without elements: contiguous strides as PyTorch reports them, null data pointer.
    for shape in [(0,), (2, 0), (0, 3), (3, 0, 2)]:
        e, t = ember.zeros(shape), torch.zeros(shape)
        assert e.stride() == t.stride() and e.is_contiguous() and e.data_ptr() == 0
        assert e.reshape(-1).stride() == t.reshape(-1).stride()
        assert e.clone().stride() == t.clone().stride()


def test_size_scalar_dim():
    for d in (0, -1):
        te = ember.zeros(())
        tt = torch.zeros(())
        with pytest.raises(IndexError):
            tt.size(d)
        with pytest.raises(IndexError):
            te.size(d)


# -- generated shapes ------------------------------------------------------------------------

shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4)


@st.composite
def tensors(draw, min_dims=1):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=4, min_side=0, max_side=4))
    a = np.random.default_rng(draw(st.integers(0, 100))).standard_normal(shape).astype(np.float32)
    how = draw(st.sampled_from(["plain", "transposed", "strided"]))
    return a, how


def _prep(T, x, how):
    if how == "transposed":
        return x.permute(*range(x.ndim - 1, -1, -1))
    if how == "strided":
        return x.repeat(*([2] + [1] * (x.ndim - 1)))[::2]
    return x


@settings(max_examples=30, deadline=None)
@given(tensors(), st.data())
def test_generated_reshape_flatten(a, data):
    a, how = a

    def f(T, x):
        y = _prep(T, x, how)
        return y.reshape(-1), y.flatten(), y.reshape(y.shape[::-1]) if y.numel() else y
    check_pieces(f, a)
    e, t = both(a)
    pe, pt = _prep(ember, e, how), _prep(torch, t, how)
    same_layout(pe, pt)
    if pe.numel():
        re_, rt = pe.reshape(-1), pt.reshape(-1)
        same_layout(re_, rt)
        assert (re_.data_ptr() == e.data_ptr()) == (rt.data_ptr() == t.data_ptr()) or \
            how == "strided"


@settings(max_examples=30, deadline=None)
@given(tensors(), st.data())
def test_generated_views(a, data):
    a, how = a
    n = a.ndim
    d0 = data.draw(st.integers(-n, n - 1))
    d1 = data.draw(st.integers(-n, n - 1))
    perm = data.draw(st.permutations(range(n)))

    def f(T, x):
        y = _prep(T, x, how)
        outs = [y.transpose(d0, d1), y.permute(*perm), y.unsqueeze(d0), y.squeeze(),
                y.movedim(d0, d1), y.flip(d0), y.roll(1, d0)]
        if y.shape[d0]:
            outs.append(y.select(d0, -1))
            outs.append(y.narrow(d0, 0, 1))
        outs.append(T.cat([y, y], d0))
        outs.append(T.stack([y, y], d1))
        outs.extend(y.chunk(2, d0))
        outs.extend(y.split(2, d1) if y.shape[d1] else [])
        outs.append(y.repeat(*([2] * n)))
        outs.append(y.expand(2, *y.shape))
        return outs
    check_pieces(f, a)
    e, t = both(a)
    pe, pt = _prep(ember, e, how), _prep(torch, t, how)
    for fe, ft in ((pe.transpose(d0, d1), pt.transpose(d0, d1)),
                   (pe.permute(*perm), pt.permute(*perm)),
                   (pe.unsqueeze(d0), pt.unsqueeze(d0))):
        same_layout(fe, ft)


@settings(max_examples=30, deadline=None)
@given(tensors(min_dims=2), st.integers(-3, 3))
def test_generated_tri_diag(a, k):
    a, how = a
    check(lambda T, x: (_prep(T, x, how).tril(k), _prep(T, x, how).triu(k),
                        _prep(T, x, how).diagonal(k, -2, -1)), a)


def test_gradcheck_shape_ops():
    a = arr(3, 4, dtype=np.float64)
    gradcheck(lambda T, x: x.t().reshape(6, 2).repeat(2, 1), a)
    gradcheck(lambda T, x: T.cat([x, x.flip(0)], 1).roll(2, 1), a)
    gradcheck(lambda T, x: x.unfold_dummy() if False else x.diagonal(1).expand(2, 3), a)
    gradcheck(lambda T, x: T.stack(x.unbind(1)).tril(), a)
    gradcheck(lambda T, x: x.repeat_interleave(2, 0).tensor_split(3)[1], a)


# -- dtype views and unfold ----------------------------------------------------------------------

@pytest.mark.parametrize("dst", ["int32", "float16", "uint8", "float64", "int16", "bfloat16",
                                 "float32"])
def test_view_dtype(dst):
    for f in (lambda x: x, lambda x: x.t(), lambda x: x[:, :2], lambda x: x[0], lambda x: x[0, 0],
              lambda x: x[:, :1], lambda x: x[:, 1:3]):
        e, t = both(arr(2, 4))
        try:
            rt = f(t).view(getattr(torch, dst))
        except RuntimeError:
            with pytest.raises(RuntimeError):
                f(e).view(getattr(ember, dst))
            continue
        re_ = f(e).view(getattr(ember, dst))
        assert tuple(re_.shape) == tuple(rt.shape) and re_.stride() == rt.stride()
        assert re_.storage_offset() == rt.storage_offset()
        a = (re_.float() if dst == "bfloat16" else re_).numpy()  # (numpy() refuses bfloat16)
        b = (rt.float() if dst == "bfloat16" else rt).numpy()
        np.testing.assert_array_equal(a.astype(np.float32) if dst == "bfloat16" else a, b)
        # writes go through to the original memory and count on its version
        re_.zero_()
        rt.zero_()
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert e._version == t._version


@pytest.mark.parametrize("dim,size,step", [(0, 2, 1), (1, 3, 2), (-1, 1, 1), (1, 5, 1), (1, 2, 3),
                                           (0, 0, 1)])
def test_unfold(dim, size, step):
    check(lambda T, x: x.unfold(dim, size, step), arr(3, 5))
    check(lambda T, x: x.t().unfold(dim, size, step) * 2, arr(5, 3))
    e, t = both(arr(3, 5))
    same_layout(e.unfold(dim, size, step), t.unfold(dim, size, step), e, t)


def test_unfold_errors_and_scalar():
    check_error(lambda T, x: x.unfold(1, 6, 1), arr(3, 5))
    check_error(lambda T, x: x.unfold(1, 2, 0), arr(3, 5))
    check_error(lambda T, x: x.unfold(2, 2, 1), arr(3, 5))
    check(lambda T, x: x.unfold(0, 1, 1), arr())
    gradcheck(lambda T, x: x.unfold(1, 3, 1).exp(), arr(2, 5, dtype=np.float64))


@pytest.mark.parametrize("args", [(), (1,), (-1,), (0, 0, 2), (1, 2, 0)])
def test_diag_embed_dims(args):
    a = np.random.default_rng(0).standard_normal((2, 3))
    check(lambda T, x: T.diag_embed(x, *args), a)
