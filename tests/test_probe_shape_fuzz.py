"""Differential tests (ember vs PyTorch) found by a random fuzzer over chains of shape and view
ops (reshape/view, squeeze, permute, expand, repeat, split, unfold, roll, rot90, diag_embed,
as_strided, ...) on contiguous, transposed, sliced, expanded, 0-d, empty and channels-last
tensors: shapes, strides, offsets, aliasing, values, errors, writes and gradients."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

LIBS = (torch, ember)


def _err(f):
    try:
        return ("ok", f())
    except Exception as e:  # noqa: BLE001
        return (type(e).__name__, str(e).split("\nException raised")[0])


def _geom(t):
    return (tuple(t.shape), t.stride(), t.storage_offset(), t.is_contiguous(), t._is_view())


def _both(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = (fn(T) for T in LIBS)
    assert a == b
    return a


def _cl(T):
    return T.arange(60.).reshape(2, 3, 2, 5).permute(0, 3, 1, 2)  # channels-last strides


@pytest.mark.parametrize("sd", [(4, 3), (1, 3), (0, 3), (1, 1), (5, 1), ((1, 1), (1, 2)),
                                ((0, 2), (1, 3)), ((2, 0), (3, 1)), (1, None)])
def test_roll_layout_as_pytorch(sd):
    # each dim's roll is a cat of two narrows (keeps channels-last); a whole turn is a
    # contiguous clone
    def f(T):
        x = _cl(T)
        r = T.roll(x, *sd) if sd[1] is not None else x.roll(sd[0])
        g = T.roll(x.clone().requires_grad_(), *sd) if sd[1] is not None else None
        return _geom(r), r.tolist(), None if g is None else g.stride()
    _both(f)


def test_roll_of_empty_tensor_skips_dim_checks():
    def f(T):
        x = T.zeros(1, 0, requires_grad=True)
        out = [_err(lambda: tuple(x.roll(*a).shape)) for a in
               [((-3, 5), (-3, -2)), (1, 2), ((1, 2), (0,)), ((1, 1), (0, 0))]]
        r = x.roll((1, 2), (3, 0))
        r.sum().backward()
        return out, type(r.grad_fn).__name__, tuple(x.grad.shape)
    _both(f)


@pytest.mark.parametrize("k", range(-4, 5))
def test_rot90_is_a_fresh_tensor(k):
    def f(T):
        x = _cl(T).requires_grad_()
        r = x.rot90(k, (2, 0))
        (r * T.arange(60.).reshape(r.shape)).sum().backward()
        with T.no_grad():
            n = x.rot90(k, (1, -1))
        return _geom(r), r.tolist(), type(r.grad_fn).__name__, x.grad.tolist(), _geom(n)
    _both(f)


@pytest.mark.parametrize("args", [(0, 1, -4), (1, 3, -4), (2, 2, 0), (-2, 3, -3), (1, 0, -1),
                                  (-1, -2, -1), (0, -1, 1)])
def test_diag_embed_result_contiguous(args):
    def f(T):
        x = T.arange(24.).reshape(2, 3, 4).requires_grad_()
        r = T.diag_embed(x, *args)
        (r * T.arange(r.numel(), dtype=r.dtype).reshape(r.shape)).sum().backward()
        return _geom(r), r.tolist(), type(r.grad_fn).__name__, x.grad.tolist()
    _both(f)


@pytest.mark.parametrize("src", ["sliced", "last1", "expanded"])
@pytest.mark.parametrize("shape", [(-1, 1), (1, -1, 1), (-1, 1, 1)])
def test_view_strides_of_new_size1_dims(src, shape):
    # PyTorch's computeStride: a new size-1 dim gets its chunk's stride (NumPy's differ)
    def f(T):
        b = T.arange(60.).reshape(3, 4, 5)
        x = {"sliced": b[:, :, :1], "last1": b[:, 1:2, ::2][..., :1],
             "expanded": b[0, :1].expand(3, 4, 5)[:, :, :1]}[src]
        out = [_geom(x.view(*shape)), _geom(x.reshape(*shape))]
        out += [_geom(x.unflatten(d, (-1, 1))) for d in range(x.dim())]
        v = x.view(*shape)
        return out, _err(lambda: v.add_(1) is v), b.tolist()
    _both(f)


def test_setitem_number_into_zero_stride_as_strided():
    def f(T):
        x = T.arange(12.)
        v = x.as_strided((2, 2), (2, 0), 2)
        return (_err(lambda: v.__setitem__(Ellipsis, 0)), _err(lambda: v.__setitem__(0, 1.0)),
                _err(lambda: v.__setitem__(1, T.tensor([1.0, 2.0]))),
                _err(lambda: v.fill_(0) is v), x.tolist())
    _both(f)


def test_adjoint_and_H_of_0d():
    def f(T):
        out = []
        for dt in (T.float64, T.complex128):
            x = T.tensor(1.5, dtype=dt, requires_grad=True)
            for g in (lambda: x.adjoint(), lambda: T.adjoint(x), lambda: x.H):
                r = g()
                out.append((r is x, r.is_conj(), type(r.grad_fn).__name__))
        return out
    _both(f)


@pytest.mark.parametrize("dims", [(0, -1), (0,), (-1, -1), (0, 0), (1,), (-2,)])
def test_squeeze_0d_repeated_dims(dims):
    _both(lambda T: _err(lambda: tuple(T.tensor(1.5).squeeze(dims).shape)))


def test_getitem_slice_start_as_written():
    # PyTorch skips a slice only when its start, as written, is 0
    def f(T):
        out = []
        for x in (T.zeros(3, 0, 5, requires_grad=True), T.zeros(3, 2, 5, requires_grad=True)):
            for k in (slice(1, None), slice(0, None), slice(None, 5), slice(-5, None),
                      slice(0, 100), slice(5, 1), slice(-1, None)):
                r = x[:, k]
                s = x[:, None, k]
                out.append((type(r.grad_fn).__name__, type(s.grad_fn).__name__,
                            tuple(r.shape)))
        return out
    _both(f)


def test_repeat_interleave_int_always_copies():
    def f(T):
        out = []
        for x in (T.arange(6.).reshape(2, 3), T.arange(6.).reshape(2, 3).t(), T.tensor(2.5),
                  T.arange(4.).requires_grad_()):
            for a, k in [((1,), {}), ((1,), {"dim": 0}), ((2,), {"dim": -1}), ((0,), {})]:
                r = _err(lambda: x.repeat_interleave(*a, **k))
                if r[0] == "ok":
                    v = r[1]
                    r = (_geom(v), v.tolist(), type(v.grad_fn).__name__,
                         v.untyped_storage().data_ptr() == x.untyped_storage().data_ptr())
                out.append(r)
        return out
    _both(f)


def test_repeat_interleave_0d_with_dim_errors():
    def f(T):
        x = T.tensor(2.5)
        return [_err(lambda: x.repeat_interleave(1, dim=0)),
                _err(lambda: x.repeat_interleave(0, dim=-1)),
                _err(lambda: x.repeat_interleave(T.tensor([2]), dim=-1)),
                _err(lambda: x.repeat_interleave(T.tensor([0]), dim=2)),
                _err(lambda: x.repeat_interleave(1, dim=2)),
                _err(lambda: x.repeat_interleave(T.tensor(2), dim=0)),
                _err(lambda: x.repeat_interleave(T.tensor([[1]]), dim=0)),
                _err(lambda: x.repeat_interleave(T.tensor(2)).tolist())]
    _both(f)


def test_index_select_out_of_range_on_empty():
    def f(T):
        out = []
        for x in (T.zeros(3, 0, 5), T.zeros(0, 4), T.zeros(0), T.zeros(2, 0).t()):
            for d in range(x.dim()):
                n = x.shape[d]
                for idx in ([0, n, 0], [-1], [n + 2, 1]):
                    out.append(_err(lambda: x.index_select(d, T.tensor(idx)).shape))
        return out
    _both(f)


def test_unfold_of_0d():
    def f(T):
        x = T.tensor(2.0, requires_grad=True)
        out = []
        for s, st in [(0, 1), (1, 1), (1, 3), (0, 2), (2, 1)]:
            r = _err(lambda: x.unfold(0, s, st))
            if r[0] == "ok":
                v = r[1]
                v.sum().backward()
                r = (tuple(v.shape), v.stride(), x.grad.tolist())
                x.grad = None
            out.append(r)
        return out
    _both(f)


def test_unflatten_of_0d_error():
    def f(T):
        x = T.tensor(1.0)
        return [_err(lambda: x.unflatten(d, s)) for d, s in
                [(0, (1,)), (-1, (-1, 1)), (0, ()), (1, (1,))]]
    _both(f)


# -- a small random fuzz of view chains ------------------------------------------------------

def _start(T, kind):
    b = T.arange(60, dtype=T.float64).reshape(3, 4, 5) * 0.5 - 7
    return [lambda: b.clone(), lambda: b.clone().transpose(0, 2), lambda: b.clone()[::2, 1:, ::2],
            lambda: b.clone()[0, :1].expand(3, 4, 5), lambda: b.clone()[1, 2, 3],
            lambda: b.clone().reshape(1, 3, 4, 5).contiguous(memory_format=T.channels_last),
            lambda: b.clone()[:, 1], lambda: _cl(T).double()][kind]()


def _ops(rng, nd):
    d = int(rng.integers(-nd, nd)) if nd else 0
    return [("view", (-1, 1)), ("reshape", (1, -1)), ("unsqueeze", (int(rng.integers(0, nd + 1)),)),
            ("squeeze", ()), ("transpose", (d, 0)), ("roll", (1, d)), ("rot90", (1, (0, -1))),
            ("flip", ((d,),)), ("diag_embed", (1, 0, -1)), ("unflatten", (d, (-1, 1))),
            ("repeat_interleave", (1,)), ("narrow", (d, 0, 1)), ("movedim", (d, -1)),
            ("tril", (0,))]


def _chain(T, seed):
    rng = np.random.default_rng(seed)
    x = _start(T, int(rng.integers(8)))
    leaf = x.detach().requires_grad_()
    v = leaf * 1
    out = []
    for _ in range(int(rng.integers(1, 5))):
        ops = _ops(rng, v.dim())
        name, args = ops[int(rng.integers(len(ops)))]
        r = _err(lambda: getattr(v, name)(*args))
        if r[0] != "ok":
            out.append((name, r))
            break
        v = r[1]
        out.append((name, _geom(v)[:4], v.tolist(), type(v.grad_fn).__name__))
    (v * T.arange(v.numel(), dtype=v.dtype).reshape(v.shape)).sum().backward()
    out.append(leaf.grad.tolist())
    return out


@pytest.mark.parametrize("seed", range(40))
def test_fuzzed_view_chains(seed):
    _both(lambda T: _chain(T, seed))


def test_roll_strides_of_size1_dims():
    def f(T):
        x = T.arange(60.).reshape(3, 4, 5)[:, :, 3:4]
        return [_geom(x.roll(*a)) for a in [((2,), (-2,)), (1, 0), ((1, 1), (0, 1))]]
    _both(f)


def test_repeat_interleave_size_error_names_dim_as_given():
    def f(T):
        x = T.arange(60.).reshape(3, 4, 5)
        return [_err(lambda: x.repeat_interleave(T.tensor([1, 2]), dim=d)) for d in (-1, 2, -3)]
    _both(f)


_MAKES = {"squeeze(-1)": lambda v: v.squeeze(-1), "squeeze()": lambda v: v.squeeze(),
          "squeeze((1, 2))": lambda v: v.squeeze((1, 2)), "[0]": lambda v: v[0],
          "transpose(0, 1)": lambda v: v.transpose(0, 1)}


@pytest.mark.parametrize("make", list(_MAKES))
def test_multi_view_inplace_message_names_overload(make):
    # PyTorch's message names SqueezeBackward1 as "Squeeze1" (and SqueezeBackward0 "Squeeze")
    def f(T):
        x = T.randn(4, 3, 1, requires_grad=True) * 1
        r = _err(lambda: _MAKES[make](x.split(2)[0]).add_(1))
        with T.no_grad():
            a = x.split(2)[0]
        return r, _err(lambda: _MAKES[make](a).add_(1))
    _both(f)
