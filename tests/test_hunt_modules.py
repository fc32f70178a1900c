"""Module API, serialization, data-loading and global-object corners found by a differential
hunt: each scenario runs on both libraries and must give the same printed result, or the same
exception type and message."""
import copy
import io
import pickle
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def outcome(fn, lib):
    try:
        res = fn(lib)
    except Exception as exc:  # the error is the behaviour under test
        return ("raised", type(exc).__name__, str(exc))
    return ("ok", repr(res))


SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


@scenario
def clip_grads_with_norm(T):
    g = [T.tensor([[3.0, -4.0], [1.0, 2.0]]), T.tensor([0.5, -7.25])]
    ps = [T.zeros(2, 2, requires_grad=True), T.zeros(2, requires_grad=True)]
    for p, gr in zip(ps, g):
        p.grad = gr.clone()
    T.nn.utils.clip_grads_with_norm_(ps, 1.5, T.tensor(8.7))
    out = [p.grad for p in ps]
    T.nn.utils.clip_grads_with_norm_(ps, 100.0, T.tensor(8.7))  # coefficient clamped to 1
    return out, [p.grad for p in ps], T.nn.utils.clip_grads_with_norm_([], 1.0, T.tensor(1.0))


@scenario
def init_bad_mode(T):
    return T.nn.init.kaiming_normal_(T.empty(3, 3), mode="fan_avg")


@scenario
def init_correct_fan(T):
    return (T.nn.init._calculate_correct_fan(T.empty(3, 4, 5), "fan_in"),
            T.nn.init._calculate_correct_fan(T.empty(3, 4, 5), "fan_out"))


@scenario
def parameter_deepcopy_drops_grad(T):
    p = T.nn.Parameter(T.ones(2))
    p.grad = T.ones(2)
    t = T.ones(2, requires_grad=True)
    t.grad = T.ones(2)
    m = T.nn.Linear(2, 2)
    m.weight.grad = T.ones(2, 2)
    return copy.deepcopy(p).grad, copy.deepcopy(t).grad, copy.deepcopy(m).weight.grad


@scenario
def save_local_lambda(T):
    f = (lambda: (lambda x: x))()
    T.save({"f": f}, io.BytesIO())


@scenario
def module_dict_update_errors(T):
    out = []
    for cls in (T.nn.ModuleDict, T.nn.ParameterDict):
        for arg in (3, [3], [(1, 2, 3)], "ab"):
            out.append(outcome(lambda _, arg=arg, cls=cls: cls().update(arg), T))
    return out


@scenario
def device_errors(T):
    return outcome(lambda _: T.device("cuda", -1), T)


@scenario
def version_compares(T):
    v = T.__version__
    return [(v >= o, v < o, v > o) for o in ("abc", "2.0", "3", "1.9.1", (2, 13), "v2.0")]


@scenario
def backends_flags(T):
    b = T.backends
    out = [b.mkldnn.enabled, b.mkldnn.deterministic, b.opt_einsum.enabled,
           b.opt_einsum.strategy]
    b.mkldnn.enabled = False
    out.append(b.mkldnn.enabled)
    b.mkldnn.enabled = True
    out.append(outcome(lambda _: setattr(b.mkldnn, "enabled", "x"), T))
    return out


@scenario
def untyped_storage_sharing(T):
    base = T.arange(10.0)
    buf = io.BytesIO()
    T.save({"base": base, "view": base[2:5], "t": base.view(2, 5).t()}, buf)
    buf.seek(0)
    r = T.load(buf)
    ptr = r["base"].untyped_storage().data_ptr()
    return (r["view"].untyped_storage().data_ptr() == ptr,
            r["t"].untyped_storage().data_ptr() == ptr, r["view"].untyped_storage().nbytes(),
            T.ones(3).expand(2, 3).untyped_storage().nbytes(),
            T.is_storage(base.untyped_storage()), T.is_storage(base))


@scenario
def channel_shuffle(T):
    x = T.arange(2 * 6 * 2.0).view(2, 6, 2).requires_grad_()
    m = T.nn.ChannelShuffle(3)
    y = m(x)
    y.backward(T.arange(24.0).view(2, 6, 2))
    errors = [outcome(lambda _, a=a: T.nn.functional.channel_shuffle(*a), T)
              for a in ((x, 4), (x, 0), (x, -1), (T.ones(2, 6), 2), (x, 1.5))]
    return m, y.detach(), type(y.grad_fn).__name__, x.grad, errors


@scenario
def to_empty_and_skip_init(T):
    T.manual_seed(0)
    m = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.BatchNorm1d(4))
    m.to_empty(device="cpu")
    T.manual_seed(1)
    s = T.nn.utils.skip_init(T.nn.Linear, 3, 4, bias=False)
    after = T.rand(2)  # skip_init drew no random numbers
    bad = [outcome(lambda _: T.nn.utils.skip_init(int), T),
           outcome(lambda _: T.nn.utils.skip_init(T.nn.ReLU), T)]
    return ([(k, v.shape, v.dtype) for k, v in m.state_dict().items()], type(s).__name__,
            s.weight.shape, s.bias, after, bad)


@scenario
def global_forward_hooks(T):
    from importlib import import_module

    mod = import_module(T.__name__ + ".nn.modules.module")
    seen = []
    h1 = mod.register_module_forward_pre_hook(lambda m, a: seen.append(("pre", type(m).__name__)))
    h2 = mod.register_module_forward_hook(lambda m, a, o: o * 2)
    own = T.nn.ReLU()
    own.register_forward_hook(lambda m, a, o: seen.append(("own", o.tolist())))
    try:
        out = T.nn.Sequential(own)(T.ones(2))
    finally:
        h1.remove()
        h2.remove()
    return out, seen, T.nn.ReLU()(T.ones(1))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(name):
    fn = SCENARIOS[name]
    assert outcome(fn, ember) == outcome(fn, torch)


def test_clip_grad_norm_scales_as_pytorch():
    # the coefficient is a float32 tensor (reciprocal then product), not a float64 quotient
    rng = np.random.default_rng(0)
    for _ in range(50):
        grads = [rng.standard_normal(s).astype(np.float32) for s in ((7, 5), (5,), (3, 2))]
        total = np.float32(rng.uniform(0.5, 30))
        max_norm = float(rng.uniform(0.1, 3))
        res = []
        for T in (ember, torch):
            ps = [T.zeros(g.shape, requires_grad=True) for g in grads]
            for p, g in zip(ps, grads):
                p.grad = T.tensor(g)
            T.nn.utils.clip_grads_with_norm_(ps, max_norm, T.tensor(total))
            res.append([p.grad.numpy() for p in ps])
        for a, b in zip(*res):
            assert np.array_equal(a, b)


def test_worker_warning_on_each_new_set_of_workers(monkeypatch):
    import os

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)

    def count(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            dl = T.utils.data.DataLoader(list(range(4)), num_workers=2)
            batches = [b.tolist() for b in dl]  # checked again when the workers start
        return batches, sum("worker processes in total" in str(x.message) for x in w)
    assert count(ember) == count(torch) == ([[0], [1], [2], [3]], 2)


def test_pickled_lambda_error_type():
    f = (lambda: (lambda x: x))()
    with pytest.raises(AttributeError, match="Can't pickle local object"):
        ember.save(f, io.BytesIO())
    assert pickle  # the C pickler's message is what PyTorch shows
