"""Differential tests (against PyTorch) for small leftovers: tensordot's dot path, index_put_'s
mask checks and 0-d masks, and a meta tensor meeting a CPU one of another shape."""

import pytest
import torch

import ember


def _graph(fn, depth=0):
    if fn is None:
        return []
    return [(depth, fn.name())] + [x for f, _ in fn.next_functions for x in _graph(f, depth + 1)]


def _err(lib, f):
    try:
        f(lib)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("sa,sb,dims", [
    ((2, 2), (2, 2), 2), ((4,), (4,), 1), ((1, 4), (4, 1), 1), ((4,), (4, 1), 1),
    ((1,), (1,), 1), ((3, 1), (1,), 1), ((), (), 0), ((2, 2), (2, 2), 1), ((4,), (4, 3), 1),
    ((2, 2), (2, 2), ([0, 1], [1, 0])), ((2, 2), (2, 2), ([1, 0], [0, 1])),
    ((2, 1, 3), (3, 1, 2), ([0, 1, 2], [2, 1, 0])), ((4, 1), (4, 1), ([0], [0])),
])
def test_tensordot_graph_and_values(sa, sb, dims):
    out = []
    for lib in (torch, ember):
        n_a, n_b = max(1, int(torch.Size(sa).numel())), max(1, int(torch.Size(sb).numel()))
        a = lib.arange(1., n_a + 1).reshape(sa).requires_grad_()
        b = lib.arange(2., n_b + 2).reshape(sb)
        r = lib.tensordot(a, b, dims)
        r.sum().backward()
        out.append((r.tolist(), _graph(r.grad_fn), a.grad.tolist()))
    assert out[0] == out[1]


def test_tensordot_full_contraction_values_bitwise():
    a, b = torch.randn(7, 9, generator=torch.Generator().manual_seed(0)), torch.randn(9, 7)
    ea, eb = ember.tensor(a.numpy()), ember.tensor(b.numpy())
    for dims in (([0, 1], [1, 0]), 2, ([1, 0], [0, 1])):
        bb, ebb = (b.t(), eb.t()) if dims == 2 else (b, eb)
        assert torch.tensordot(a, bb, dims).item() == ember.tensordot(ea, ebb, dims).item()


def test_tensordot_dot_path_errors_and_int_dtypes():
    def f(lib):
        x = lib.ones(4, dtype=lib.uint16)
        lib.tensordot(x.view(2, 2), x.view(2, 2))

    assert _err(torch, f) == _err(ember, f)
    for dt in ("int32", "uint8"):
        r = [lib.tensordot(lib.arange(1, 4).reshape(3, 1).to(getattr(lib, dt)),
                           lib.tensor([2]).to(getattr(lib, dt)), 1) for lib in (torch, ember)]
        assert r[0].tolist() == r[1].tolist() and str(r[0].dtype) == str(r[1].dtype)


@pytest.mark.parametrize("shape,idx", [
    ((3,), "m31"), ((3,), "m32"), ((3,), "m13"), ((3, 4), "m341"), ((3, 4), "m34i"),
    ((3, 4), "m31"), ((3, 4), "i_m4"),
])
def test_index_put_mask_checks(shape, idx):
    def f(lib):
        k = {"m31": (lib.ones(3, 1).bool(),), "m32": (lib.ones(3, 2).bool(),),
             "m13": (lib.ones(1, 3).bool(),), "m341": (lib.ones(3, 4, 1).bool(),),
             "m34i": (lib.ones(3, 4).bool(), lib.tensor([0])),
             "i_m4": (lib.tensor([0, 1]), lib.ones(4, 2).bool())}[idx]
        lib.zeros(shape).index_put_(k, lib.tensor(2.))

    e = _err(torch, f)
    assert e is not None and e == _err(ember, f)


def test_index_put_zero_dim_masks():
    for key in ("T", "F", "Tm", "Fm", "Ti", "Fi", "iT"):
        for v in ("s", "row", "bad"):
            res = []
            for lib in (torch, ember):
                T, F = lib.tensor(True), lib.tensor(False)
                m = lib.ones(3, 4).bool()
                m[0, 0] = False
                i = lib.tensor([0, 2])
                k = {"T": (T,), "F": (F,), "Tm": (T, m), "Fm": (F, m), "Ti": (T, i),
                     "Fi": (F, i), "iT": (i, T)}[key]
                val = {"s": lib.tensor(2.), "row": lib.ones(4) * 2, "bad": lib.ones(2)}[v]
                t = lib.zeros(3, 4)
                try:
                    t.index_put_(k, val)
                    res.append(t.tolist())
                except Exception as e:  # noqa: BLE001
                    res.append((type(e).__name__, str(e)))
            assert res[0] == res[1], (key, v)


@pytest.mark.parametrize("op", ["add", "mul", "sub", "eq", "maximum", "atan2"])
def test_meta_with_cpu_broadcast_error_first(op):
    for sa, sb, meta_first in (((3,), (2, 4), True), ((2, 4), (3,), False), ((4,), (4,), False)):
        def f(lib):
            m, c = lib.empty(sa if meta_first else sb, device="meta"), lib.ones(
                sb if meta_first else sa)
            getattr(lib, op)(*((m, c) if meta_first else (c, m)))

        e = _err(torch, f)
        assert e is not None and e == _err(ember, f)


def test_hash_tensor_matches():
    cases = [
        lambda lib: lib.hash_tensor(lib.tensor([[1.5, -2., 3.], [0., -0., 7.]])),
        lambda lib: lib.hash_tensor(lib.tensor([[1.5, -2., 3.], [0., -0., 7.]]).half(), 0),
        lambda lib: lib.tensor([[1, -2, 3], [4, 5, -6]]).hash_tensor(1, keepdim=True),
        lambda lib: lib.hash_tensor(lib.arange(24).view(2, 3, 4).int(), [0, 2]),
        lambda lib: lib.hash_tensor(lib.tensor([255, 5], dtype=lib.uint8)),
        lambda lib: lib.hash_tensor(lib.tensor([True, False, True])),
        lambda lib: lib.hash_tensor(lib.tensor(3.), 0, keepdim=True),
        lambda lib: lib.hash_tensor(lib.empty(0, 3), 1),
        lambda lib: lib.hash_tensor(lib.tensor([float("nan"), float("inf")])),
    ]
    for f in cases:
        r = [f(lib) for lib in (torch, ember)]
        assert str(r[0].dtype) == str(r[1].dtype) and r[0].tolist() == r[1].tolist()
        assert tuple(r[0].shape) == tuple(r[1].shape)
    errors = [
        lambda lib: lib.hash_tensor(lib.empty(0)),
        lambda lib: lib.hash_tensor(lib.empty(2, 0, 3), (0, 1)),
        lambda lib: lib.hash_tensor(lib.ones(2), mode=1),
        lambda lib: lib.hash_tensor(lib.ones(2, dtype=lib.uint32)),
        lambda lib: lib.hash_tensor(lib.ones(2, dtype=lib.complex64)),
        lambda lib: lib.hash_tensor(lib.ones(2, 3), 2),
    ]
    for f in errors:
        e = _err(torch, f)
        assert e is not None and e == _err(ember, f)
