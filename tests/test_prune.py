"""``nn.utils.prune``, ``nn.utils.stateless`` and ``utils.hooks`` against PyTorch.

Each case runs the same code with ``lib`` = ember and ``lib`` = torch on the same seed and
compares what a user sees: parameter, buffer and state-dict names, masks, pruned values,
the hooks on the module, gradients, and errors (type and message).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import ember
from diff import as_numpy

torch = pytest.importorskip("torch")
pytest.importorskip("torch.nn.utils.prune")  # (PyTorch does not import it by itself)

BOTH = (ember, torch)


def _prune(lib):
    return lib.nn.utils.prune


def _state(module):
    """What pruning changes on a module, as comparable plain data."""
    return {"params": [n for n, _ in module.named_parameters()],
            "buffers": [n for n, _ in module.named_buffers()],
            "state": list(module.state_dict()),
            "hooks": [(k, type(h).__name__) for k, h in module._forward_pre_hooks.items()],
            "tensors": {n: as_numpy(t) for n, t in module.state_dict().items()}}


def _same_state(e, t):
    se, st = _state(e), _state(t)
    for key in ("params", "buffers", "state"):
        assert se[key] == st[key], key
    assert [n for _, n in se["hooks"]] == [n for _, n in st["hooks"]]
    for name, value in st["tensors"].items():
        np.testing.assert_array_equal(se["tensors"][name], value, err_msg=name)


def _hook_ids(module):
    """The hooks' ids relative to the first one (the global counters differ in a test run)."""
    ids = list(module._forward_pre_hooks)
    return [i - min(ids) for i in ids] if ids else []


def _run(fn, seed=0):
    """``fn(lib)`` for both libraries after seeding each; returns (ember's, torch's)."""
    out = []
    for lib in BOTH:
        lib.manual_seed(seed)
        out.append(fn(lib))
    return out


def _error(fn):
    """(exception type name, message) of ``fn`` for both libraries, which must agree."""
    got = []
    for lib in BOTH:
        lib.manual_seed(0)
        with pytest.raises(Exception) as info:
            fn(lib)
        text = re.sub(r"0x[0-9a-f]+", "0x?", str(info.value)).replace("ember.nn.", "torch.nn.")
        got.append((type(info.value).__name__, text))
    assert got[0] == got[1]
    return got[1]


def _conv(lib):
    return lib.nn.Conv2d(3, 8, 3)


def _linear(lib):
    return lib.nn.Linear(12, 7)


# -- single methods --------------------------------------------------------------------------

@pytest.mark.parametrize("amount", [0.3, 5, 0, 0.0, 1.0, 1, 0.55])
@pytest.mark.parametrize("make", [_conv, _linear])
def test_l1_unstructured(make, amount):
    def go(lib):
        m = make(lib)
        _prune(lib).l1_unstructured(m, "weight", amount=amount)
        return m
    e, t = _run(go)
    _same_state(e, t)
    np.testing.assert_array_equal(as_numpy(e.weight), as_numpy(t.weight))
    assert type(e.weight) is ember.Tensor and "weight" not in e._parameters


@pytest.mark.parametrize("amount", [0.3, 4, 0.9])
def test_random_unstructured_draws_pytorchs_numbers(amount):
    def go(lib):
        m = _conv(lib)
        _prune(lib).random_unstructured(m, "weight", amount=amount)
        _prune(lib).random_unstructured(m, "bias", amount=amount if amount < 1 else 2)
        return m
    e, t = _run(go, seed=5)
    _same_state(e, t)
    np.testing.assert_array_equal(as_numpy(e.weight), as_numpy(t.weight))


@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("amount", [0.5, 2, 0])
def test_random_structured(dim, amount):
    def go(lib):
        m = _conv(lib)
        _prune(lib).random_structured(m, "weight", amount=amount, dim=dim)
        return m
    e, t = _run(go, seed=11)
    _same_state(e, t)


@pytest.mark.parametrize("n", [1, 2, 3, float("inf"), float("-inf"), "fro"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_ln_structured(n, dim):
    def go(lib):
        m = _linear(lib) if n == "fro" else _conv(lib)  # ('fro' takes at most two dims)
        _prune(lib).ln_structured(m, "weight", amount=0.4, n=n, dim=dim)
        return m
    e, t = _run(go, seed=2)
    _same_state(e, t)


def test_identity_and_custom_from_mask():
    def go(lib):
        m = _linear(lib)
        _prune(lib).identity(m, "bias")
        mask = (lib.arange(84).reshape(7, 12) % 3 != 0)
        _prune(lib).custom_from_mask(m, "weight", mask=mask)
        return m
    e, t = _run(go)
    _same_state(e, t)
    assert e.weight_mask.dtype is ember.float32


def test_importance_scores():
    def go(lib):
        m = _linear(lib)
        scores = lib.arange(84.).reshape(7, 12).flip(0)
        _prune(lib).l1_unstructured(m, "weight", amount=10, importance_scores=scores)
        _prune(lib).ln_structured(m, "weight", amount=1, n=1, dim=0,
                                  importance_scores=scores.abs() + 1)
        return m
    e, t = _run(go)
    _same_state(e, t)


# -- iterative pruning: the container ----------------------------------------------------------

def test_iterative_pruning_combines_masks():
    def go(lib):
        m = _conv(lib)
        P = _prune(lib)
        P.random_unstructured(m, "weight", amount=0.3)
        P.l1_unstructured(m, "bias", amount=3)
        P.ln_structured(m, "weight", amount=0.5, n=2, dim=0)
        P.l1_unstructured(m, "weight", amount=20)
        P.random_structured(m, "weight", amount=1, dim=1)
        P.custom_from_mask(m, "bias", mask=lib.tensor([1., 0, 1, 1, 1, 1, 1, 0]))
        return m
    e, t = _run(go, seed=3)
    _same_state(e, t)
    assert _hook_ids(e) == _hook_ids(t)
    hook = next(h for h in e._forward_pre_hooks.values() if h._tensor_name == "weight")
    assert [type(h).__name__ for h in hook] == ["RandomUnstructured", "LnStructured",
                                                 "L1Unstructured", "RandomStructured"]
    assert len(hook) == 4 and type(hook[1]).__name__ == "LnStructured"


def test_container_errors():
    def add_other(lib):
        P = _prune(lib)
        a = P.L1Unstructured(0.1)
        a._tensor_name = "weight"
        b = P.L1Unstructured(0.1)
        b._tensor_name = "bias"
        P.PruningContainer(a).add_pruning_method(b)
    kind, msg = _error(add_other)
    assert kind == "ValueError" and msg.startswith("Can only add")

    def add_non_method(lib):
        P = _prune(lib)
        a = P.Identity()
        a._tensor_name = "weight"
        P.PruningContainer(a).add_pruning_method(3)
    assert _error(add_non_method) == ("TypeError",
                                      "<class 'int'> is not a BasePruningMethod subclass")

    def no_dim(lib):
        class NoDim(_prune(lib).BasePruningMethod):
            PRUNING_TYPE = "structured"

            def compute_mask(self, t, default_mask):
                return default_mask
        method = NoDim()
        method._tensor_name = "w"
        _prune(lib).PruningContainer(method).compute_mask(lib.ones(2, 2), lib.ones(2, 2))
    assert _error(no_dim) == ("AttributeError", 'Pruning methods of PRUNING_TYPE "structured" '
                                                "need to have the attribute `dim` defined.")
    # several methods at once need the container's tensor name first, as in PyTorch
    assert _error(lambda lib: _prune(lib).PruningContainer(
        _prune(lib).Identity(), _prune(lib).Identity()))[0] == "AttributeError"


# -- ties: the same entries go as in PyTorch ---------------------------------------------------

@pytest.mark.parametrize("amount", [0.2, 0.5, 7, 30])
def test_ties_pick_pytorchs_entries(amount):
    def go(lib):
        m = lib.nn.Linear(10, 6)
        with lib.no_grad():
            m.weight.copy_((lib.arange(60.).reshape(6, 10) % 4) - 1.5)
            m.bias.zero_()
        P = _prune(lib)
        P.l1_unstructured(m, "weight", amount=amount)
        P.l1_unstructured(m, "bias", amount=2)
        P.remove(m, "weight")  # the pruned zeros now tie again
        P.l1_unstructured(m, "weight", amount=amount)
        P.ln_structured(m, "weight", amount=2, n=1, dim=1)
        return m
    e, t = _run(go)
    _same_state(e, t)


def test_topk_tie_order_matches_pytorch():
    from ember._ops._stl_select import topk_indices

    rng = np.random.default_rng(0)
    for trial in range(300):
        n = int(rng.integers(1, 400)) if trial % 5 else int(rng.integers(400, 3000))
        a = rng.integers(0, int(rng.integers(1, 6)), n).astype(np.float32)
        if trial % 7 == 0:
            a[rng.random(n) < 0.1] = np.nan
        k = int(rng.integers(0, n + 1))
        for largest in (True, False):
            for srt in (True, False):
                want = torch.topk(torch.from_numpy(a), k, largest=largest, sorted=srt).indices
                np.testing.assert_array_equal(topk_indices(a, k, largest, srt), want.numpy())
            assert set(topk_indices(a, k, largest, srt, order=False).tolist()) == \
                set(want.tolist())


# -- global pruning ----------------------------------------------------------------------------

def _lenet(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.Conv2d(6, 16, 3), nn.Flatten(),
                         nn.Linear(16 * 24 * 24, 20), nn.Linear(20, 10))


def test_global_unstructured():
    def go(lib):
        m = _lenet(lib)
        P = _prune(lib)
        P.l1_unstructured(m[5], "weight", amount=0.5)  # an earlier mask is respected
        params = [(m[0], "weight"), (m[2], "weight"), (m[4], "weight"), (m[5], "weight"),
                  (m[0], "bias")]
        P.global_unstructured(params, pruning_method=P.L1Unstructured, amount=0.3)
        P.global_unstructured(params[:2], pruning_method=P.RandomUnstructured, amount=100,
                              importance_scores={(m[0], "weight"): m[0].weight * 0 + 1})
        return m
    e, t = _run(go, seed=4)
    for a, b in zip(e, t):
        _same_state(a, b)
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(as_numpy(e(ember.from_numpy(x))),
                               as_numpy(t(torch.from_numpy(x))), rtol=1e-5, atol=1e-5)


def test_global_unstructured_errors():
    def structured(lib):
        m = _linear(lib)
        P = _prune(lib)
        P.global_unstructured([(m, "weight")], pruning_method=P.LnStructured, amount=1, n=1)
    kind, msg = _error(structured)
    assert kind == "TypeError" and msg.startswith('Only "unstructured" PRUNING_TYPE')
    assert _error(lambda lib: _prune(lib).global_unstructured(
        3, _prune(lib).L1Unstructured, amount=1))[0] == "TypeError"
    assert _error(lambda lib: _prune(lib).global_unstructured(
        [], _prune(lib).L1Unstructured, importance_scores=[], amount=1)) == (
        "TypeError", "global_unstructured(): importance_scores must be of type dict")


# -- the forward pre-hook, gradients, remove -----------------------------------------------------

def test_hook_recomputes_weight_and_gradients_flow_to_orig():
    def go(lib):
        m = _linear(lib)
        _prune(lib).l1_unstructured(m, "weight", amount=0.5)
        with lib.no_grad():
            m.weight_orig.mul_(2)  # the hook refreshes `weight` from this at the next call
        x = lib.linspace(-1, 1, 36).reshape(3, 12)
        y = m(x)
        y.sum().backward()
        return m, y
    (e, ye), (t, yt) = _run(go)
    np.testing.assert_allclose(as_numpy(ye), as_numpy(yt), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(as_numpy(e.weight), as_numpy(t.weight))
    np.testing.assert_allclose(as_numpy(e.weight_orig.grad), as_numpy(t.weight_orig.grad),
                               rtol=1e-6)
    assert e.weight.grad_fn.name() == t.weight.grad_fn.name() == "MulBackward0"


def test_remove_makes_pruning_permanent():
    def go(lib):
        m = _conv(lib)
        P = _prune(lib)
        P.l1_unstructured(m, "weight", amount=0.3)
        P.random_unstructured(m, "bias", amount=2)
        before = P.is_pruned(m)
        P.remove(m, "weight")
        middle = P.is_pruned(m)
        P.remove(m, "bias")
        return m, (before, middle, P.is_pruned(m),
                   P.is_pruned(lib.nn.Sequential(lib.nn.ReLU(), m)))
    (e, fe), (t, ft) = _run(go)
    _same_state(e, t)
    assert fe == ft == (True, True, False, False)
    assert isinstance(e.weight, ember.nn.Parameter)


def test_remove_and_apply_errors():
    kind, msg = _error(lambda lib: _prune(lib).remove(_linear(lib), "weight"))
    assert kind == "ValueError" and "has to be pruned before pruning can be removed" in msg
    assert _error(lambda lib: _prune(lib).l1_unstructured(_linear(lib), "weight", amount=-1)) \
        == ("ValueError", "amount=-1 should either be a float in the range [0, 1] or a "
                          "non-negative integer")
    _error(lambda lib: _prune(lib).l1_unstructured(_linear(lib), "weight", amount=1.5))
    assert _error(lambda lib: _prune(lib).l1_unstructured(_linear(lib), "weight", amount="a")) \
        == ("TypeError", "Invalid type for amount: a. Must be int or float.")
    _error(lambda lib: _prune(lib).ln_structured(_linear(lib), "bias", amount=1, n=2, dim=0))
    _error(lambda lib: _prune(lib).ln_structured(_linear(lib), "weight", amount=1, n=2, dim=2))
    _error(lambda lib: _prune(lib).l1_unstructured(
        _linear(lib), "weight", amount=1, importance_scores=lib.ones(3)))

    def too_many(lib):
        m = _linear(lib)
        try:
            _prune(lib).l1_unstructured(m, "weight", amount=100)
        finally:  # a failed first pruning leaves the module as it was
            assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
            assert not _prune(lib).is_pruned(m)
    assert _error(too_many) == ("ValueError", "amount=100 should be smaller than the number of "
                                              "parameters to prune=84")


def test_prune_method_and_subclass():
    def go(lib):
        P = _prune(lib)

        class EveryOther(P.BasePruningMethod):
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask
        w = lib.arange(1., 13.).reshape(3, 4)
        m = _linear(lib)
        EveryOther.apply(m, "bias")
        return (P.L1Unstructured(0.5).prune(w), P.LnStructured(1, 2, 0).prune(-w),
                P.RandomStructured(2, 1).prune(w, default_mask=lib.ones(3, 4)),
                EveryOther().prune(w), m.bias_mask)
    e, t = _run(go)
    for a, b in zip(e, t):
        np.testing.assert_array_equal(as_numpy(a), as_numpy(b))
    with pytest.raises(TypeError):
        ember.nn.utils.prune.BasePruningMethod()


def test_pruned_state_dict_loads_into_a_pruned_model():
    src = _linear(ember)
    ember.nn.utils.prune.l1_unstructured(src, "weight", amount=0.5)
    dst = _linear(ember)
    ember.nn.utils.prune.identity(dst, "weight")
    dst.load_state_dict(src.state_dict())
    dst(ember.ones(1, 12))
    np.testing.assert_array_equal(as_numpy(dst.weight), as_numpy(src.weight))


# -- stateless.functional_call and utils.hooks ---------------------------------------------------

def test_stateless_functional_call_is_deprecated_alias():
    outs = []
    for lib in BOTH:
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        params = {"weight": lib.ones(2, 3), "bias": lib.zeros(2)}
        with pytest.warns(FutureWarning) as rec:
            y = lib.nn.utils.stateless.functional_call(m, params, (lib.ones(1, 3),))
        outs.append((as_numpy(y), [str(r.message) for r in rec]))
        assert rec[0].filename == __file__
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    assert outs[0][1] == outs[1][1]


def test_removable_handle_is_the_hook_handle_class():
    from ember.utils.hooks import RemovableHandle

    m = ember.nn.Linear(2, 2)
    h = m.register_forward_pre_hook(lambda mod, args: None)
    assert isinstance(h, RemovableHandle) and RemovableHandle is ember.utils.hooks.RemovableHandle
    assert isinstance(ember.ones(1, requires_grad=True).register_hook(lambda g: g),
                      RemovableHandle)
    hooks, extra = {}, [{}, {}]
    handle = RemovableHandle(hooks, extra_dict=extra)
    hooks[handle.id] = extra[0][handle.id] = extra[1][handle.id] = "x"
    with handle:
        pass
    assert hooks == {} and extra == [{}, {}]
    assert ember.utils.hooks.unserializable_hook(lambda g: g).__torch_unserializable__
