"""``nn.utils.weight_norm`` / ``spectral_norm`` (the hook forms), ``nn.utils.parametrize`` and
``nn.utils.parametrizations`` against PyTorch: the same seed gives the same modules (values,
buffers, power-iteration vectors), gradients, reprs, state-dict keys, warnings and errors."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import ember
from diff import assert_same, check_error, torch


def both(build, seed=0):
    """``build(T)`` run in PyTorch and ember after the same seed: (torch result, ember result)."""
    out = []
    for T in (torch, ember):
        T.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            out.append(build(T))
    return out


def same_module(tm, em, grads=True):
    """Same repr, state dict (keys and values) and parameter names; and the same gradients
    after the same forward and backward."""
    assert repr(em) == repr(tm)
    ts, es = tm.state_dict(), em.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        assert_same(es[k], ts[k], what=k)
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in em.named_buffers()] == [n for n, _ in tm.named_buffers()]


def run(T, m, shape, seed=1):
    x = T.from_numpy(np.random.default_rng(seed).standard_normal(shape))
    x = x.to(next(m.parameters()).dtype)
    y = m(x)
    (y * y).sum().backward()
    return y, [p.grad for p in m.parameters()]


def lin(T, i=3, o=4):
    return T.nn.Linear(i, o).double()


def conv(T):
    return T.nn.Conv2d(2, 3, (2, 3)).double()


# -- weight_norm (the hook form) -----------------------------------------------------------------

def test_weight_norm_warns_as_pytorch():
    msgs = []
    for T in (torch, ember):
        with pytest.warns(FutureWarning) as rec:
            T.nn.utils.weight_norm(T.nn.Linear(2, 2))
        msgs.append(str(rec[0].message))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("dim", [0, 1, 2, 3, -1, -2, None])
def test_weight_norm_hook(dim):
    tm, em = both(lambda T: T.nn.utils.weight_norm(conv(T), dim=dim))
    same_module(tm, em)
    assert list(em.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert type(em.weight.grad_fn).__name__ == tm.weight.grad_fn.name()
    assert_same(run(ember, em, (2, 2, 4, 5)), run(torch, tm, (2, 2, 4, 5)))
    assert_same(em.weight, tm.weight)  # recomputed by the hook on the call


def test_weight_norm_remove_and_errors():
    tm, em = both(lambda T: T.nn.utils.weight_norm(lin(T)))
    for T, m in ((torch, tm), (ember, em)):
        with torch.no_grad(), ember.no_grad():
            m.weight_g.mul_(2.0)
        T.nn.utils.remove_weight_norm(m)
    same_module(tm, em)
    assert isinstance(em.weight, ember.nn.Parameter)
    assert_same(run(ember, em, (2, 3)), run(torch, tm, (2, 3)))
    t, e = check_error(lambda T: T.nn.utils.remove_weight_norm(T.nn.Linear(2, 2)))
    assert e == t

    def twice(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            T.nn.utils.weight_norm(T.nn.utils.weight_norm(T.nn.Linear(2, 2)))
    t, e = check_error(twice)
    assert e == t


# -- spectral_norm (the hook form) ---------------------------------------------------------------

@pytest.mark.parametrize("kind", ["linear", "conv", "conv_transpose", "dim1", "iters3"])
def test_spectral_norm_hook_same_vectors_and_steps(kind):
    def build(T):
        if kind == "linear":
            return T.nn.utils.spectral_norm(lin(T, 5, 4))
        if kind == "conv":
            return T.nn.utils.spectral_norm(conv(T))
        if kind == "conv_transpose":
            return T.nn.utils.spectral_norm(T.nn.ConvTranspose2d(2, 3, 2).double())
        if kind == "dim1":
            return T.nn.utils.spectral_norm(lin(T, 5, 4), dim=1, eps=1e-6)
        return T.nn.utils.spectral_norm(lin(T, 5, 4), n_power_iterations=3)
    tm, em = both(build)
    same_module(tm, em)
    shape = (2, 5) if kind not in ("conv", "conv_transpose") else (1, 2, 4, 5)
    for _ in range(3):  # each training call takes power steps
        assert_same(run(ember, em, shape), run(torch, tm, shape))
        same_module(tm, em)
    tm.eval()
    em.eval()
    assert_same(run(ember, em, shape), run(torch, tm, shape))
    same_module(tm, em)
    assert list(em.state_dict())[-3:] == ["weight_orig", "weight_u", "weight_v"]
    torch.nn.utils.remove_spectral_norm(tm)
    ember.nn.utils.remove_spectral_norm(em)
    same_module(tm, em)
    assert list(em.state_dict()) == ["weight", "bias"] or list(em.state_dict()) == ["bias",
                                                                                    "weight"]


def test_spectral_norm_hook_errors():
    for fn in (lambda T: T.nn.utils.remove_spectral_norm(T.nn.Linear(2, 2)),
               lambda T: T.nn.utils.spectral_norm(T.nn.utils.spectral_norm(T.nn.Linear(2, 2))),
               lambda T: T.nn.utils.spectral_norm(T.nn.Linear(2, 2), n_power_iterations=0),
               lambda T: T.nn.utils.spectral_norm(T.nn.Linear(2, 2, bias=False), name="bias")):
        t, e = check_error(fn)
        assert e == t


# -- parametrize -----------------------------------------------------------------------------------

def symmetric(T):
    class Symmetric(T.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

        def right_inverse(self, A):
            return A.triu()
    return Symmetric()


def scale(T, c=2.0):
    class Scale(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.c = c

        def forward(self, X):
            return X * self.c

        def extra_repr(self):
            return f"c={self.c}"
    return Scale()


def test_register_parametrization_repr_keys_and_values():
    def build(T):
        m = lin(T, 3, 3)
        T.nn.utils.parametrize.register_parametrization(m, "weight", symmetric(T))
        T.nn.utils.parametrize.register_parametrization(m, "weight", scale(T))
        return m
    tm, em = both(build)
    same_module(tm, em)
    assert type(em).__name__ == "ParametrizedLinear"
    assert list(em.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert isinstance(em, ember.nn.Linear)
    assert ember.nn.utils.parametrize.type_before_parametrizations(em) is ember.nn.Linear
    assert ember.nn.utils.parametrize.is_parametrized(em)
    assert ember.nn.utils.parametrize.is_parametrized(em, "weight")
    assert not ember.nn.utils.parametrize.is_parametrized(em, "bias")
    assert_same(em.weight, tm.weight)
    assert_same(run(ember, em, (2, 3)), run(torch, tm, (2, 3)))


def test_parametrized_assignment_runs_right_inverse():
    def build(T):
        m = lin(T, 3, 3)
        T.nn.utils.parametrize.register_parametrization(m, "weight", symmetric(T))
        p = m.parametrizations.weight.original
        m.weight = T.arange(9.0, dtype=T.float64).reshape(3, 3)
        assert m.parametrizations.weight.original is p  # the same parameter, new values
        return m
    tm, em = both(build)
    same_module(tm, em)
    assert_same(em.weight, tm.weight)

    def no_inverse(T):
        m = lin(T)
        T.nn.utils.parametrize.register_parametrization(m, "weight", scale(T))
        m.weight = T.ones(4, 3, dtype=T.float64)
    t, e = check_error(no_inverse)
    assert e == t


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    def build(T):
        m = lin(T)
        T.nn.utils.parametrize.register_parametrization(m, "weight", scale(T, 3.0))
        T.nn.utils.parametrize.register_parametrization(m, "bias", scale(T, 0.5))
        T.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=leave)
        return m
    tm, em = both(build)
    same_module(tm, em)
    assert type(em).__name__ == "ParametrizedLinear"
    ember.nn.utils.parametrize.remove_parametrizations(em, "bias", leave_parametrized=leave)
    torch.nn.utils.parametrize.remove_parametrizations(tm, "bias", leave_parametrized=leave)
    same_module(tm, em)
    assert type(em) is ember.nn.Linear
    assert not hasattr(em, "parametrizations")
    assert isinstance(em.weight, ember.nn.Parameter)


def test_parametrize_a_buffer_and_train_mode_follows():
    def build(T):
        m = T.nn.BatchNorm1d(3).double()
        m.eval()
        p = scale(T)
        T.nn.utils.parametrize.register_parametrization(m, "running_var", p)
        assert not p.training
        return m
    tm, em = both(build)
    same_module(tm, em)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert_same(em.running_var, tm.running_var)


def test_cached_reuses_one_tensor():
    m = lin(ember)
    ember.nn.utils.parametrize.register_parametrization(m, "weight", scale(ember))
    assert m.weight is not m.weight
    with ember.nn.utils.parametrize.cached():
        a = m.weight
        with ember.nn.utils.parametrize.cached():
            assert m.weight is a
        assert m.weight is a
    assert m.weight is not a


def test_parametrized_module_copy_pickle_and_load_state_dict():
    tm, em = both(lambda T: T.nn.utils.parametrize.register_parametrization(
        lin(T), "weight", scale(T)))
    twin = copy.deepcopy(em)
    assert repr(twin) == repr(em)
    assert_same(twin.weight, tm.weight)
    for m in (tm, em):
        with pytest.raises(RuntimeError, match="state_dict"):
            pickle.dumps(m)
    sd = {k: v * 0 + 1 for k, v in em.state_dict().items()}
    r = twin.load_state_dict(sd)
    assert repr(r) == "<All keys matched successfully>"
    assert_same(twin.weight, torch.full((4, 3), 2.0, dtype=torch.float64))


def test_optimizer_steps_the_original():
    def build(T):
        m = T.nn.utils.parametrize.register_parametrization(lin(T, 3, 3), "weight",
                                                            symmetric(T))
        opt = T.optim.SGD(m.parameters(), lr=0.1)
        for _ in range(2):
            opt.zero_grad()
            run(T, m, (2, 3))
            opt.step()
        return m
    tm, em = both(build)
    same_module(tm, em)


def test_transfer_parametrizations():
    def build(T):
        a = T.nn.utils.parametrize.register_parametrization(lin(T), "weight", scale(T))
        b = lin(T)
        T.nn.utils.parametrize.transfer_parametrizations_and_params(a, b)
        assert b.parametrizations.weight.original is a.parametrizations.weight.original
        return b
    tm, em = both(build)
    same_module(tm, em)


PARAM_ERRORS = [
    lambda T: T.nn.utils.parametrize.register_parametrization(lin(T), "nope", scale(T)),
    lambda T: T.nn.utils.parametrize.remove_parametrizations(lin(T), "weight"),
    lambda T: T.nn.utils.parametrize.register_parametrization(
        lin(T), "weight", T.nn.Flatten(0)),
    lambda T: T.nn.utils.parametrize.register_parametrization(
        T.nn.utils.parametrize.register_parametrization(lin(T), "weight", scale(T)), "weight",
        T.nn.Flatten(0)),
    lambda T: T.nn.utils.parametrize.ParametrizationList([], T.ones(2)),
    lambda T: T.nn.utils.parametrize.remove_parametrizations(
        T.nn.utils.parametrizations.weight_norm(lin(T)), "weight", leave_parametrized=False),
]


@pytest.mark.parametrize("i", range(len(PARAM_ERRORS)))
def test_parametrize_errors(i):
    t, e = check_error(PARAM_ERRORS[i])
    if "Module '" not in t and "Module Linear" not in t:  # (the repr of a class made on the fly)
        assert e == t
    else:
        assert e.split("'")[0] == t.split("'")[0]


# -- parametrizations ------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1, None])
def test_parametrizations_weight_norm(dim):
    tm, em = both(lambda T: T.nn.utils.parametrizations.weight_norm(conv(T), dim=dim))
    same_module(tm, em)
    assert list(em.state_dict()) == ["bias", "parametrizations.weight.original0",
                                     "parametrizations.weight.original1"]
    assert type(em.weight.grad_fn).__name__ == tm.weight.grad_fn.name()
    assert_same(run(ember, em, (2, 2, 4, 5)), run(torch, tm, (2, 2, 4, 5)))


def test_parametrizations_weight_norm_loads_old_checkpoints():
    old = both(lambda T: T.nn.utils.weight_norm(lin(T)).state_dict(), seed=3)
    tm, em = both(lambda T: T.nn.utils.parametrizations.weight_norm(lin(T)))
    tm.load_state_dict(old[0])
    em.load_state_dict(old[1])
    same_module(tm, em)
    assert_same(em.weight, tm.weight)


@pytest.mark.parametrize("kind", ["linear", "conv", "conv_transpose", "dim1", "iters3", "bias"])
def test_parametrizations_spectral_norm(kind):
    def build(T):
        sn = T.nn.utils.parametrizations.spectral_norm
        if kind == "linear":
            return sn(lin(T, 5, 4))
        if kind == "conv":
            return sn(conv(T))
        if kind == "conv_transpose":
            return sn(T.nn.ConvTranspose2d(2, 3, 2).double())
        if kind == "dim1":
            return sn(lin(T, 5, 4), dim=-1, eps=1e-6)
        if kind == "iters3":
            return sn(lin(T, 5, 4), n_power_iterations=3)
        return sn(lin(T, 5, 4), name="bias")
    tm, em = both(build)
    same_module(tm, em)
    shape = (2, 5) if kind not in ("conv", "conv_transpose") else (1, 2, 4, 5)
    for _ in range(2):
        assert_same(run(ember, em, shape), run(torch, tm, shape))
        same_module(tm, em)
    tm.eval()
    em.eval()
    assert_same(run(ember, em, shape), run(torch, tm, shape))
    same_module(tm, em)


def test_parametrizations_spectral_norm_float32_seed():
    tm, em = both(lambda T: T.nn.utils.parametrizations.spectral_norm(T.nn.Linear(20, 40)))
    same_module(tm, em)
    assert_same(run(ember, em, (3, 20)), run(torch, tm, (3, 20)))


@pytest.mark.parametrize("shape,omap,triv", [
    ((3, 3), None, True), ((4, 3), None, True), ((3, 5), None, True), ((3, 3), "cayley", True),
    ((4, 3), "cayley", True), ((4, 4), "householder", True), ((4, 3), "householder", False),
    ((3, 5), "householder", False), ((4, 4), "matrix_exp", False), ((3, 3), "cayley", False)])
def test_orthogonal(shape, omap, triv):
    def build(T):
        m = lin(T, shape[1], shape[0])
        return T.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap,
                                                      use_trivialization=triv)
    tm, em = both(build)
    same_module(tm, em)
    w = em.weight.detach().numpy()
    small = w if w.shape[0] <= w.shape[1] else w.T
    np.testing.assert_allclose(small @ small.T, np.eye(small.shape[0]), atol=1e-12)
    assert_same(run(ember, em, (2, shape[1])), run(torch, tm, (2, shape[1])))


def test_orthogonal_assignment_and_errors():
    def build(T):
        m = T.nn.utils.parametrizations.orthogonal(lin(T, 3, 3))
        m.weight = T.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]],
                            dtype=T.float64)
        return m
    tm, em = both(build)
    same_module(tm, em)
    for fn in (lambda T: T.nn.utils.parametrizations.orthogonal(T.nn.Linear(2, 2), "bias"),
               lambda T: T.nn.utils.parametrizations.orthogonal(T.nn.Linear(2, 2),
                                                                orthogonal_map="qr"),
               lambda T: T.nn.utils.parametrizations.orthogonal(T.nn.Linear(2, 2), "nope")):
        t, e = check_error(fn)
        assert e.split("'")[0] == t.split("'")[0]
