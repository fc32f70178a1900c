"""einsum against PyTorch 2.13: the autograd graph it builds (node for node), values,
gradients, dtypes and errors, over hand-picked equations and a seeded random battery."""
import random

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def graph(t, merge_reshapes=False):
    """The autograd graph under ``t`` as nested names (leaves as ``leaf``).  With
    ``merge_reshapes``, the three nodes a ``reshape`` may record (a view, an aliasing view,
    or a copy then a view) read alike: which one PyTorch records depends on the strides its
    elementwise kernels give results when broadcasting permuted operands, where ember's
    layout can differ (the values never do)."""
    def walk(fn):
        if fn is None:
            return "-"
        name = fn.name()
        if name.endswith("AccumulateGrad"):
            return "leaf"
        nxt = [f for f, _ in fn.next_functions]
        if merge_reshapes and name in ("ReshapeAliasBackward0", "UnsafeViewBackward0"):
            if name == "UnsafeViewBackward0" and nxt and nxt[0] is not None and \
                    nxt[0].name() == "CloneBackward0":
                nxt = [f for f, _ in nxt[0].next_functions]
            name = "ViewBackward0"
        return f"{name}({','.join(walk(f) for f in nxt)})"
    return walk(t.grad_fn)


def run(lib, eq, arrays, grad=True, sublist=None):
    ops = [lib.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    try:
        if sublist is not None:
            args = []
            for op, sub in zip(ops, sublist[0]):
                args += [op, sub]
            out = lib.einsum(*args, *sublist[1:])
        else:
            out = lib.einsum(eq, *ops)
    except Exception as e:  # noqa: BLE001 - compared with the other library's
        return ("error", type(e).__name__, str(e).split("\n")[0])
    grads = None
    if out.requires_grad:
        g = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)),
                       dtype=out.dtype)
        out.backward(g)
        grads = [None if o.grad is None else o.grad.numpy() for o in ops]
    return ("ok", (graph(out), graph(out, True)), tuple(out.shape), str(out.dtype).split(".")[-1],
            out.detach().numpy(), grads)


def check(eq, arrays, sublist=None, exact=False, loose_graph=False):
    want = run(torch, eq, arrays, sublist=sublist)
    got = run(ember, eq, arrays, sublist=sublist)
    if want[0] == "error" or got[0] == "error":
        assert got == want
        return
    assert got[1][loose_graph] == want[1][loose_graph]
    assert got[2:4] == want[2:4]
    tol = dict(rtol=0, atol=0) if exact else dict(rtol=2e-5, atol=1e-5)
    np.testing.assert_allclose(got[4], want[4], **tol)
    if want[5] is not None:
        for g, w in zip(got[5], want[5], strict=True):
            assert (g is None) == (w is None)
            if w is not None:
                np.testing.assert_allclose(g, w, **tol)


rng = np.random.default_rng(0)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


CASES = {
    "matmul": ("ij,jk->ik", [f32(3, 4), f32(4, 5)]),
    "batched": ("bij,bjk->bik", [f32(2, 3, 4), f32(2, 4, 5)]),
    "transpose": ("ij->ji", [f32(3, 4)]),
    "identity": ("ij", [f32(3, 4)]),
    "total": ("ij->", [f32(3, 4)]),
    "column_sums": ("ij->j", [f32(3, 4)]),
    "dot": ("i,i->", [f32(5), f32(5)]),
    "outer": ("i,j->ij", [f32(3), f32(4)]),
    "hadamard": ("ij,ij->ij", [f32(3, 4), f32(3, 4)]),
    "row_dots": ("ij,ij->i", [f32(3, 4), f32(3, 4)]),
    "diag": ("ii->i", [f32(3, 3)]),
    "trace": ("ii", [f32(4, 4)]),
    "trace_explicit": ("ii->", [f32(4, 4)]),
    "diag_3d": ("iji->ij", [f32(3, 2, 3)]),
    "broadcast_batch": ("bij,jk->bik", [f32(2, 3, 4), f32(4, 5)]),
    "attention": ("bhqd,bhkd->bhqk", [f32(2, 3, 4, 5), f32(2, 3, 6, 5)]),
    "attention_out": ("bhqk,bhkd->bhqd", [f32(2, 3, 4, 6), f32(2, 3, 6, 5)]),
    "ellipsis": ("...ij,...jk", [f32(2, 3, 4), f32(2, 4, 5)]),
    "ellipsis_out": ("...ij,...jk->...ik", [f32(2, 1, 3, 4), f32(5, 4, 2)]),
    "ellipsis_summed": ("...i->i", [f32(2, 3, 4)]),
    "ellipsis_middle": ("a...b->b...a", [f32(2, 3, 4, 5)]),
    "three": ("ij,jk,kl->il", [f32(2, 3), f32(3, 4), f32(4, 5)]),
    "three_outer": ("i,j,k->ijk", [f32(2), f32(3), f32(4)]),
    "bilinear": ("bn,anm,bm->ba", [f32(2, 3), f32(4, 3, 5), f32(2, 5)]),
    "broadcast_one": ("ij,jk->ik", [f32(3, 1), f32(4, 5)]),
    "size_one_both": ("ij,jk->ik", [f32(1, 4), f32(4, 1)]),
    "implicit_sorted": ("ba,ac", [f32(3, 4), f32(4, 5)]),
    "upper_labels": ("Ab,bC->AC", [f32(3, 4), f32(4, 5)]),
    "spaces": (" i j , j k -> i k ", [f32(3, 4), f32(4, 5)]),
    "empty_dim": ("ij,jk->ik", [f32(0, 4), f32(4, 5)]),
    "empty_sum": ("ij,jk->ik", [f32(3, 0), f32(0, 5)]),
    "scalar": (",->", [f32(), f32()]),
    "scalar_vec": (",i->i", [f32(), f32(4)]),
    "int": ("ij,jk->ik", [np.arange(12).reshape(3, 4), np.arange(20).reshape(4, 5)]),
    "float64": ("ij,jk->ik", [f32(3, 4).astype(np.float64), f32(4, 5).astype(np.float64)]),
    "mixed_mul": ("i,i->i", [f32(3), f32(3).astype(np.float64)]),
    "mixed_bmm": ("ij,jk->ik", [f32(3, 4), f32(4, 5).astype(np.float64)]),
    # errors
    "err_too_many": ("ij->i", [f32(2, 2), f32(2, 2)]),
    "err_too_few": ("ij,jk->ik", [f32(2, 2)]),
    "err_rank": ("ijk->i", [f32(2, 2)]),
    "err_rank_ellipsis": ("ijk...->i", [f32(2, 2)]),
    "err_bad_char": ("i1,jk->ik", [f32(2, 2), f32(2, 2)]),
    "err_bad_out_char": ("ij->i1", [f32(2, 2)]),
    "err_out_twice": ("ij->ii", [f32(2, 2)]),
    "err_out_unknown": ("ij->k", [f32(2, 2)]),
    "err_size": ("ij,jk->ik", [f32(2, 3), f32(4, 5)]),
    "err_diag_size": ("ii->i", [f32(2, 3)]),
    "err_two_ellipsis": ("......->", [f32(2, 3)]),
    "err_bad_dots": ("i..j->i", [f32(2, 3)]),
    "err_out_two_ellipsis": ("...->......", [f32(2, 3)]),
    "err_out_bad_dots": ("i...->i..", [f32(2, 3)]),
    "err_ellipsis_broadcast": ("...i,...i->...", [f32(2, 3), f32(4, 3)]),
}
EXACT = {"transpose", "identity", "column_sums", "diag", "outer", "hadamard", "three_outer",
         "int", "mixed_mul", "scalar", "scalar_vec", "ellipsis_middle"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_einsum_case(name):
    eq, arrays = CASES[name]
    check(eq, arrays, exact=name in EXACT)


def test_no_operands():
    for args in (("i",), (np.ones(2, np.float32),)):
        with pytest.raises(ValueError) as e1:
            torch.einsum(*[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args])
        with pytest.raises(ValueError) as e2:
            ember.einsum(*[ember.tensor(a) if isinstance(a, np.ndarray) else a for a in args])
        assert str(e1.value) == str(e2.value)


def test_list_of_operands_and_sublist_form():
    a, b = f32(3, 4), f32(4, 5)
    for lib in (torch, ember):
        x, y = lib.tensor(a), lib.tensor(b)
        assert lib.einsum("ij,jk", [x, y]).shape == (3, 5)
    check(None, [a, b], sublist=([[0, 1], [1, 2]], [0, 2]))
    check(None, [f32(2, 3, 4)], sublist=([[Ellipsis, 1]], [1]))
    check(None, [a], sublist=([[0, 52]],))


def _random_equation(r):
    letters = "abcdeAB"
    n_ops = r.choice([1, 2, 2, 3])
    size = {c: r.choice([1, 2, 3]) for c in letters}
    terms, arrays = [], []
    for _ in range(n_ops):
        k = r.randint(0, 4)
        term = "".join(r.choice(letters) for _ in range(k))
        ell = r.random() < 0.2
        shape = [size[c] if r.random() < 0.85 else 1 for c in term]
        if ell:
            pos = r.randint(0, len(term))
            extra = [r.choice([1, 2]) for _ in range(r.randint(0, 2))]
            term = term[:pos] + "..." + term[pos:]
            shape = shape[:pos] + extra + shape[pos:]
        terms.append(term)
        arrays.append(f32(*shape))
    eq = ",".join(terms)
    if r.random() < 0.7:
        seen = sorted(set("".join(terms).replace(".", "")))
        out = [c for c in seen if r.random() < 0.5]
        r.shuffle(out)
        if "..." in eq and r.random() < 0.7:
            out.insert(r.randint(0, len(out)), "...")
        eq += "->" + "".join(out)
    return eq, arrays


@pytest.mark.parametrize("seed", range(300))
def test_random_equations(seed):
    eq, arrays = _random_equation(random.Random(seed))
    check(eq, arrays, loose_graph=True)
