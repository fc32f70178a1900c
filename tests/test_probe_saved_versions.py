"""Which tensors an op saves for backward, seen through in-place changes: PyTorch refuses the
backward once one of them changed (and ember must refuse it, with the same message, exactly
then), and its ``grad_fn._saved_*`` attributes."""
import re

import numpy as np
import pytest
import torch

import ember

F = "nn.functional"


def _f(L):
    return L.nn.functional


# name: (input shape, {aux name: (kind, shape[, high])}, op); kind: f (float, requiring grad),
# c (float constant), p (in [0, 1)), i (int64 index below high), b (bool mask)
OPS = {
    "index_select": ((3, 3), {"i": ("i", (2,), 3)}, lambda L, x, A: x.index_select(0, A["i"])),
    "take": ((2, 3), {"i": ("i", (2,), 6)}, lambda L, x, A: x.take(A["i"])),
    "scatter": ((2, 3), {"i": ("i", (2, 2), 3), "s": ("f", (2, 2))},
                lambda L, x, A: x.scatter(1, A["i"], A["s"])),
    "scatter_add": ((2, 3), {"i": ("i", (2, 2), 3), "s": ("f", (2, 2))},
                    lambda L, x, A: x.scatter_add(1, A["i"], A["s"])),
    "scatter_reduce": ((2, 3), {"i": ("i", (2, 2), 3), "s": ("f", (2, 2))},
                       lambda L, x, A: x.scatter_reduce(1, A["i"], A["s"], "amax")),
    "index_add": ((3, 3), {"i": ("i", (2,), 3), "s": ("f", (2, 3))},
                  lambda L, x, A: x.index_add(0, A["i"], A["s"])),
    "index_copy": ((3, 3), {"i": ("u", (2,), 3), "s": ("f", (2, 3))},
                   lambda L, x, A: x.index_copy(0, A["i"], A["s"])),
    "index_fill": ((3, 3), {"i": ("i", (2,), 3)}, lambda L, x, A: x.index_fill(0, A["i"], 1.0)),
    "masked_fill": ((3,), {"m": ("b", (3,))}, lambda L, x, A: x.masked_fill(A["m"], 0.0)),
    "masked_select": ((3,), {"m": ("b", (3,))}, lambda L, x, A: x.masked_select(A["m"])),
    "masked_scatter": ((3,), {"m": ("b", (3,)), "s": ("f", (3,))},
                       lambda L, x, A: x.masked_scatter(A["m"], A["s"])),
    "cross_entropy": ((2, 3), {"t": ("i", (2,), 3)},
                      lambda L, x, A: _f(L).cross_entropy(x, A["t"], label_smoothing=0.1)),
    "nll_loss": ((2, 3), {"t": ("i", (2,), 3)}, lambda L, x, A: _f(L).nll_loss(x, A["t"])),
    "multi_margin": ((2, 3), {"t": ("i", (2,), 3)},
                     lambda L, x, A: _f(L).multi_margin_loss(x, A["t"])),
    "cummax": ((2, 3), {}, lambda L, x, A: x.cummax(1).values),
    "cummin": ((2, 3), {}, lambda L, x, A: x.cummin(1)[0]),
    "erfinv": ((3,), {}, lambda L, x, A: (x.tanh() * 0.9).erfinv()),
    "rpow": ((3,), {}, lambda L, x, A: 2 ** x),
    "clamp_tensor": ((3,), {"lo": ("f", (3,))}, lambda L, x, A: x.clamp(min=A["lo"])),
    "clamp_both": ((3,), {"lo": ("c", (3,)), "hi": ("c", (3,))},
                   lambda L, x, A: x.clamp(A["lo"], A["hi"] + 2)),
    "dist": ((3,), {"a": ("f", (3,))}, lambda L, x, A: L.dist(x, A["a"], 1)),
    "pairwise_distance": ((2, 3), {"a": ("f", (2, 3))},
                          lambda L, x, A: _f(L).pairwise_distance(x, A["a"])),
    "max_pool1d": ((1, 2, 6), {}, lambda L, x, A: _f(L).max_pool1d(x, 2)),
    "max_pool2d": ((1, 1, 4, 4), {}, lambda L, x, A: _f(L).max_pool2d(x, 2)),
    "max_pool3d": ((1, 1, 2, 4, 4), {}, lambda L, x, A: _f(L).max_pool3d(x, 2)),
    "avg_pool2d": ((1, 1, 4, 4), {}, lambda L, x, A: _f(L).avg_pool2d(x, 2)),
    "avg_pool1d": ((1, 2, 6), {}, lambda L, x, A: _f(L).avg_pool1d(x, 2)),
    "adaptive_avg2d": ((1, 1, 4, 4), {}, lambda L, x, A: _f(L).adaptive_avg_pool2d(x, 2)),
    "adaptive_max2d": ((1, 1, 4, 4), {}, lambda L, x, A: _f(L).adaptive_max_pool2d(x, 2)),
    "layer_norm": ((2, 3), {"w": ("f", (3,)), "b": ("f", (3,))},
                   lambda L, x, A: _f(L).layer_norm(x, (3,), A["w"], A["b"])),
    "batch_norm_eval": ((4, 3), {"rm": ("c", (3,)), "rv": ("p", (3,))},
                        lambda L, x, A: _f(L).batch_norm(x, A["rm"], A["rv"], training=False)),
    "embedding": ((4, 3), {"i": ("i", (5,), 4)}, lambda L, x, A: _f(L).embedding(A["i"], x)),
    "embedding_bag": ((4, 3), {"i": ("i", (4,), 4), "o": ("o", (2,))},
                      lambda L, x, A: _f(L).embedding_bag(A["i"], x, A["o"])),
    "gather": ((2, 3), {"i": ("i", (2, 2), 3)}, lambda L, x, A: x.gather(1, A["i"])),
    "reflection_pad": ((1, 1, 4), {}, lambda L, x, A: _f(L).pad(x, (1, 1), mode="reflect")),
    "replication_pad": ((1, 1, 4), {}, lambda L, x, A: _f(L).pad(x, (1, 2), mode="replicate")),
    "constant_pad": ((1, 1, 4), {}, lambda L, x, A: _f(L).pad(x, (1, 2))),
    "adv_index": ((3, 3), {"i": ("i", (2,), 3)}, lambda L, x, A: x[:, A["i"]]),
    "mask_index": ((3, 3), {"m": ("b", (3,))}, lambda L, x, A: x[A["m"], 1:]),
    "index_put": ((3, 3), {"i": ("u", (2,), 3), "s": ("f", (2, 3))},
                  lambda L, x, A: x.index_put((A["i"],), A["s"], accumulate=True)),
    "setitem": ((3, 3), {"i": ("u", (2,), 3), "s": ("f", (2, 3))},
                lambda L, x, A: _setitem(x * 1, A["i"], A["s"])),
    "baddbmm": ((2, 2, 3), {"w": ("f", (2, 3, 2)), "b": ("f", (2, 2, 2))},
                lambda L, x, A: L.baddbmm(A["b"], x, A["w"])),
    "addbmm": ((2, 2, 3), {"w": ("f", (2, 3, 2)), "b": ("f", (2, 2))},
               lambda L, x, A: L.addbmm(A["b"], x, A["w"], beta=0.5)),
    "put": ((2, 3), {"i": ("u", (2,), 6), "s": ("f", (2,))},
            lambda L, x, A: x.put(A["i"], A["s"])),
    "aminmax": ((2, 3), {}, lambda L, x, A: L.aminmax(x, dim=1)[0]),
    "std_mean": ((2, 3), {}, lambda L, x, A: L.std_mean(x, 1)[0]),
    "solve": ((2, 2), {"b": ("f", (2,))},
              lambda L, x, A: L.linalg.solve(x + 3 * L.eye(2), A["b"])),
    "solve_a": ((2, 2), {"b": ("f", (2,))}, lambda L, x, A: L.linalg.solve(x, A["b"])),
}


def _setitem(x, i, v):
    x[i] = v
    return x


def _aux(L, spec, rng):
    A, leaves = {}, {}
    for k, (kind, shape, *hi) in spec.items():
        if kind == "f":
            leaves[k] = L.tensor(rng.standard_normal(shape), dtype=L.float32, requires_grad=True)
            A[k] = leaves[k] * 1
        elif kind == "c":
            A[k] = L.tensor(rng.standard_normal(shape), dtype=L.float32)
        elif kind == "p":
            A[k] = L.tensor(rng.random(shape) + 0.5, dtype=L.float32)
        elif kind == "i":
            A[k] = L.tensor(rng.integers(0, hi[0], shape))
        elif kind == "u":
            A[k] = L.tensor(rng.permutation(hi[0])[:shape[0]])
        elif kind == "o":
            A[k] = L.tensor([0, 2])
        else:
            A[k] = L.tensor(rng.random(shape) > 0.5)
    return A, leaves


def _run(L, name, target, grad_mode):
    shape, spec, fn = OPS[name]
    rng = np.random.default_rng(0)
    leaf = L.tensor(rng.standard_normal(shape), dtype=L.float32, requires_grad=True)
    x = leaf * 1
    A, leaves = _aux(L, spec, rng)
    y = fn(L, x, A)
    try:
        t = {"x": x, "y": y}.get(target, A.get(target))
        if grad_mode and target == "y":
            y = y.mul_(2)
        else:
            with L.no_grad():
                if t.dtype == L.bool:
                    t.logical_not_().logical_not_()
                else:
                    t.add_(0)
        y.sum().backward()
    except RuntimeError as e:
        return "E", re.sub(r"0x[0-9a-f]+", "0x", str(e))
    grads = [leaf.grad] + [leaves[k].grad for k in sorted(leaves)]
    return "ok", [None if g is None else g.double().numpy() for g in grads]


CASES = [(n, t, g) for n, (_, spec, _) in OPS.items() for t in ["x", "y", *spec]
         for g in ((False, True) if t == "y" else (False,))]


@pytest.mark.parametrize("name,target,grad_mode", CASES,
                         ids=[f"{n}-{t}{'-g' if g else ''}" for n, t, g in CASES])
def test_inplace_change_of_saved(name, target, grad_mode):
    want = _run(torch, name, target, grad_mode)
    got = _run(ember, name, target, grad_mode)
    assert got[0] == want[0], (got, want)
    if want[0] == "E":
        assert got[1] == want[1]
    else:
        for a, b in zip(got[1], want[1], strict=True):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_erfinv_saves_self_and_double_backward():
    for L in (torch, ember):
        x = L.tensor([0.1, -0.5, 0.7], dtype=L.float64, requires_grad=True)
        y = x.erfinv()
        assert y.grad_fn._saved_self.tolist() == [0.1, -0.5, 0.7]
        g, = L.autograd.grad(y.sum(), x, create_graph=True)
        g2, = L.autograd.grad(g.sum(), x)
        if L is torch:
            want = (g.detach().numpy(), g2.numpy())
    np.testing.assert_allclose(g.detach().numpy(), want[0], rtol=1e-12)
    np.testing.assert_allclose(g2.numpy(), want[1], rtol=1e-12)


def test_zero_dim_index_tensor_not_kept():
    # a 0-d index tensor is read as a number: changing it later is no error
    out = []
    for L in (torch, ember):
        x = L.randn(3, 3, requires_grad=True) * 1
        i, j = L.tensor([0, 2]), L.tensor(1)
        y = x[i, j]
        with L.no_grad():
            j.add_(0)
        y.sum().backward()
        out.append(type(y.grad_fn).__name__)
    assert out[0] == out[1]


def test_fused_dist_backward_twice_refused():
    # the node keeps tensors now, freed by the first backward, as PyTorch's
    out = []
    for L in (torch, ember):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = L.dist(x, L.tensor([0.0, 0.5]))
        y.backward()
        try:
            y.backward()
            out.append("ok")
        except RuntimeError as e:
            out.append(str(e))
    assert out[0] == out[1]


def test_batch_norm_training_buffers_update_without_refusal():
    # PyTorch's kernel updates the running statistics without bumping their versions
    for L in (torch, ember):
        bn = L.nn.BatchNorm1d(3)
        x = L.randn(4, 3, requires_grad=True)
        y = bn(x) + bn(x * 2)
        y.sum().backward()
        assert x.grad is not None


SAVED_ATTR_CASES = {
    "softmax_neg": lambda L, x: x.softmax(-1),
    "log_softmax_neg": lambda L, x: x.log_softmax(-2),
    "softmax_pos": lambda L, x: _f(L).softmax(x, dim=1),
    "softmin_neg": lambda L, x: _f(L).softmin(x, -1),
    "gather_neg": lambda L, x: x.gather(-1, L.tensor([[0], [1]])),
    "amax_neg": lambda L, x: x.amax(-1),
    "amin_tuple": lambda L, x: x.amin((0, 1), keepdim=True),
    "amax_list": lambda L, x: L.amax(x, dim=[1, -2]),
    "logsumexp_neg": lambda L, x: x.logsumexp(-1),
    "logsumexp_tuple": lambda L, x: x.logsumexp((0,), keepdim=True),
    "erfinv": lambda L, x: (x * 0.1).erfinv(),
}


def _saved_attrs(L, fn):
    x = L.tensor([[0.5, -1.2, 2.0], [0.3, 0.1, -0.7]], requires_grad=True)
    y = fn(L, x)
    node = y.grad_fn
    out = [type(node).__name__]
    for when in ("before", "after"):
        for name in ("self", "result", "dim", "keepdim"):
            try:
                v = getattr(node, "_saved_" + name)
            except AttributeError:
                continue
            except RuntimeError as e:
                v = "freed" if "backward through the graph a second time" in str(e) else str(e)
            if isinstance(v, (torch.Tensor, ember.Tensor)):
                v = (tuple(v.shape), np.round(v.detach().double().numpy(), 5).tolist())
            out.append((when, name, v))
        if when == "before":
            y.sum().backward()
    return out


@pytest.mark.parametrize("name", list(SAVED_ATTR_CASES))
def test_saved_attributes(name):
    fn = SAVED_ATTR_CASES[name]
    assert _saved_attrs(ember, fn) == _saved_attrs(torch, fn)


INDEX_OUTPUT_CASES = {
    "max_dim": lambda L, x: x.max(1), "min_dim": lambda L, x: x.min(1),
    "sort": lambda L, x: x.sort(1, descending=True), "topk": lambda L, x: x.topk(2, 1),
    "kthvalue": lambda L, x: x.kthvalue(2, 1), "median": lambda L, x: x.median(1),
    "mode": lambda L, x: x.mode(1), "cummax": lambda L, x: x.cummax(1),
    "cummin": lambda L, x: L.cummin(x, -1),
    "frexp": lambda L, x: L.frexp(x),
    "max_pool_indices": lambda L, x: _f(L).max_pool1d(x[None], 2, return_indices=True),
    "adaptive_max_indices": lambda L, x: _f(L).adaptive_max_pool1d(x[None], 1, True),
}


def _index_output_changed(L, fn, which):
    leaf = L.tensor([[0.5, -1.2, 2.0, 0.3], [0.1, 0.9, -0.7, 1.5]], requires_grad=True)
    outs = fn(L, leaf * 1)
    with L.no_grad():
        outs[which].add_(0)
    try:
        outs[0].sum().backward()
    except RuntimeError as e:
        return str(e)
    return leaf.grad.tolist()


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("name", list(INDEX_OUTPUT_CASES))
def test_indices_output_kept(name, which):
    # the values and indices ops keep their indices output: changing it is refused
    fn = INDEX_OUTPUT_CASES[name]
    assert _index_output_changed(ember, fn, which) == _index_output_changed(torch, fn, which)
