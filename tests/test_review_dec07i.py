"""Review of the Dec 7 uncommitted work (E2): solve_triangular's check order, and the
cat/stack backward's per-input views (SliceBackward0/SelectBackward0 under create_graph only)."""
import pytest
import torch

import ember


def _err(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("case", ["nonsq", "nonsq_1d_b", "int", "int_bad_b", "int_1d_b",
                                  "int_nonsq", "long", "bool", "half", "ok_int_b"])
def test_solve_triangular_check_order(case):
    def run(T):
        A, B = T.eye(4) * 3, T.ones(4, 2)
        st = T.linalg.solve_triangular
        f = {
            "nonsq": lambda: st(T.ones(4, 3), B, upper=True),
            "nonsq_1d_b": lambda: st(T.ones(4, 3), T.ones(4), upper=True),
            "int": lambda: st(A.int(), B, upper=True),
            "int_bad_b": lambda: st(A.int(), T.ones(3, 2), upper=True),
            "int_1d_b": lambda: st(A.int(), T.ones(4), upper=False),
            "int_nonsq": lambda: st(A.int()[:, :3], B, upper=True),
            "long": lambda: st(A.long(), B.long(), upper=True),
            "bool": lambda: st(A.bool(), B.bool(), upper=True),
            "half": lambda: st(A.half(), B.half(), upper=True),
            "ok_int_b": lambda: st(A, B.int(), upper=True).tolist(),
        }[case]
        return _err(f) or f()
    assert run(ember) == run(torch)


def _graph(T, create_graph, kind, n):
    ps = [T.arange(3.0, dtype=T.float64).mul(k + 1).requires_grad_() for k in range(n)]
    y = T.cat([p * p for p in ps]) if kind == "cat" else T.stack([p * p for p in ps], 1)
    gs = T.autograd.grad((y * T.arange(float(y.numel()), dtype=T.float64).view(y.shape)).sum(),
                         ps, create_graph=create_graph)
    out = [(type(g.grad_fn).__name__ if g.grad_fn else None,
            [type(m).__name__ if m else None for m, _ in g.grad_fn.next_functions]
            if g.grad_fn else None, g.tolist(), g.stride()) for g in gs]
    if create_graph:
        gg = T.autograd.grad(sum((g ** 2).sum() for g in gs), ps)
        out.append([g.tolist() for g in gg])
    return out


@pytest.mark.parametrize("kind", ["cat", "stack"])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("n", [1, 3])
def test_cat_stack_backward_views(kind, create_graph, n):
    assert _graph(ember, create_graph, kind, n) == _graph(torch, create_graph, kind, n)


def test_stack_cat_backward_first_order_views_share_grad():
    # (without a graph the inputs' gradients are still views of the one incoming gradient)
    for T in (torch, ember):
        a = T.ones(2, 3, requires_grad=True)
        b = T.ones(2, 3, requires_grad=True)
        g = T.arange(12.0).view(2, 6)
        ga, gb = T.autograd.grad(T.cat([a, b], 1), (a, b), g)
        assert ga.tolist() == [[0.0, 1.0, 2.0], [6.0, 7.0, 8.0]]
        assert gb.tolist() == [[3.0, 4.0, 5.0], [9.0, 10.0, 11.0]]
        h = T.arange(12.0).view(2, 2, 3)
        ga, gb = T.autograd.grad(T.stack([a, b], 1), (a, b), h)
        assert ga.tolist() == [[0.0, 1.0, 2.0], [6.0, 7.0, 8.0]]
        assert gb.tolist() == [[3.0, 4.0, 5.0], [9.0, 10.0, 11.0]]


@pytest.mark.parametrize("weight", [1e30, 1e5, "t"])
def test_lerp_half_overflow_quiet(weight):
    import warnings

    def run(T):
        a = T.tensor([1.0, -2.0, 60000.0], dtype=T.float16)
        b = T.tensor([3.0, 5.0, -60000.0], dtype=T.float16)
        w = T.tensor(1e4, dtype=T.float16) if weight == "t" else weight
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = T.lerp(a, b, w).tolist()
        return out, [str(c.message) for c in caught]
    assert run(ember) == run(torch)
