"""Corners found by running PyTorch's intermediate tutorials and recipes ("What is torch.nn
really?", the 60-minute blitz, reproducibility, inference mode, model containers, custom
autograd functions, hooks) on both libraries: each case must behave as PyTorch 2.13 does."""
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")


def outcome(fn, lib):
    """What ``fn(lib)`` gives: ('ok', value) or (exception type name, message)."""
    try:
        return "ok", fn(lib)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__, str(e)


def same(fn):
    got, expected = outcome(fn, ember), outcome(fn, torch)
    assert got == expected


# -- grad_fn.metadata (the blitz walks loss.grad_fn) ------------------------------------------

def test_grad_fn_metadata_is_a_dict_kept_on_the_node():
    def run(T):
        x = T.ones(2, requires_grad=True)
        y = (x * 2).sum()
        y.grad_fn.metadata["k"] = 1
        acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
        return y.grad_fn.metadata, y.grad_fn.metadata is y.grad_fn.metadata, acc.metadata
    assert run(ember) == run(torch)


# -- reproducibility recipe: deterministic algorithms fill "uninitialised" memory ----------

EMPTY_CASES = {
    "empty": lambda T: T.empty(3),
    "empty_int64": lambda T: T.empty(2, dtype=T.int64),
    "empty_uint8": lambda T: T.empty(2, dtype=T.uint8),
    "empty_int8": lambda T: T.empty(2, dtype=T.int8),
    "empty_bool": lambda T: T.empty(2, dtype=T.bool),
    "empty_half": lambda T: T.empty(2, dtype=T.float16),
    "empty_like": lambda T: T.empty_like(T.ones(2, dtype=T.int32)),
    "new_empty": lambda T: T.ones(2).new_empty((2,)),
    "empty_strided": lambda T: T.empty_strided((2, 2), (1, 2)),
}


@pytest.mark.parametrize("case", sorted(EMPTY_CASES))
def test_deterministic_empty_is_filled(case):
    def run(T):
        T.use_deterministic_algorithms(True)
        try:
            return str(EMPTY_CASES[case](T))
        finally:
            T.use_deterministic_algorithms(False)
    assert run(ember) == run(torch)


def test_fill_uninitialized_memory_switch():
    import torch.utils.deterministic as td

    import ember.utils.deterministic as ed

    def run(T, mod):
        before = mod.fill_uninitialized_memory
        T.use_deterministic_algorithms(True)
        try:
            mod.fill_uninitialized_memory = False
            off = T.empty(2, dtype=T.int64).shape
            err = outcome(lambda _: setattr(mod, "fill_uninitialized_memory", 1), T)
        finally:
            mod.fill_uninitialized_memory = True
            T.use_deterministic_algorithms(False)
        return before, tuple(off), err
    assert run(ember, ed) == run(torch, td)


# -- containers: insert shifts numbered keys as PyTorch does --------------------------------

def _keys(m):
    return [(k, type(v).__name__) for k, v in m._modules.items()]


@pytest.mark.parametrize("kind", ["Sequential", "ModuleList"])
@pytest.mark.parametrize("index", [0, 1, 2, -1, -2, 5, -5])
def test_container_insert(kind, index):
    def run(T):
        m = getattr(T.nn, kind)(*([[T.nn.ReLU(), T.nn.Tanh()]] if kind == "ModuleList"
                                  else [T.nn.ReLU(), T.nn.Tanh()]))
        m.insert(index, T.nn.Sigmoid())
        return _keys(m)
    got, expected = outcome(run, ember), outcome(run, torch)
    assert got[0] == expected[0]
    if got[0] == "ok":
        assert got == expected


def test_sequential_insert_keeps_named_keys():
    def run(T):
        m = T.nn.Sequential(T.nn.ReLU(), T.nn.Tanh())
        m.add_module("x", T.nn.ReLU())
        m.insert(3, T.nn.ReLU())
        out = _keys(m)
        m2 = T.nn.Sequential(T.nn.ReLU())
        m2.add_module("act", T.nn.Tanh())
        m2.append(T.nn.Linear(1, 1))
        return out, type(outcome(lambda _: m2.insert(1, T.nn.ReLU()), T)[0]).__name__
    assert run(ember) == run(torch)


def test_sequential_multiplication_and_iadd():
    def run(T):
        m = T.nn.Sequential(T.nn.ReLU(), T.nn.Tanh())
        out = [_keys(2 * m), _keys(m * 2)]
        m *= 3
        out.append(_keys(m))
        for bad in (lambda: m * 1.5, lambda: m * 0, lambda: m.__iadd__([T.nn.ReLU()])):
            try:
                bad()
            except Exception as e:  # noqa: BLE001
                out.append(type(e).__name__)
        return out
    assert run(ember) == run(torch)


# -- inference mode ------------------------------------------------------------------------

def _inference_case(body):
    def run(T):
        with T.inference_mode():
            x = T.randn(3, 4)
        return body(T, x)
    return run


INFERENCE_CASES = {
    "saved_by_linear": lambda T, x: T.nn.Linear(4, 2)(x).shape,
    "saved_by_mul": lambda T, x: (x * T.ones(4, requires_grad=True)).shape,
    "not_saved_by_add": lambda T, x: (x + T.ones(4, requires_grad=True)).requires_grad,
    "add_": lambda T, x: x.add_(1).shape,
    "setitem": lambda T, x: x.__setitem__(0, 1.0),
    "view_add_": lambda T, x: x[0].add_(1).shape,
    "zero_": lambda T, x: x.zero_().shape,
    "nograd_add_": lambda T, x: T.no_grad()(lambda: x.add_(1).shape)(),
    "detach_add_": lambda T, x: x.detach().add_(1).is_inference(),
    "data_add_": lambda T, x: x.data.add_(1).is_inference(),
    "detach_view_add_": lambda T, x: x.detach().view(12).add_(1).shape,
    "view_is_inference": lambda T, x: (x.view(12).is_inference(), x[0].is_inference(),
                                       (x + 1).is_inference()),
    "version": lambda T, x: x._version,
    "detached_version": lambda T, x: x.detach()._version,
    "parameter": lambda T, x: T.nn.Parameter(x).is_inference(),
    "requires_grad": lambda T, x: x.requires_grad_(),
    "clone": lambda T, x: (x.clone().is_inference(), x.clone().add_(1).shape),
}


@pytest.mark.parametrize("case", sorted(INFERENCE_CASES))
def test_inference_tensor_rules(case):
    same(_inference_case(INFERENCE_CASES[case]))


def test_optimizer_refuses_an_inference_parameter():
    def run(T):
        with T.inference_mode():
            m = T.nn.Linear(3, 1)
        m(T.ones(3)).sum().backward()
        T.optim.SGD(m.parameters(), lr=0.1).step()
    same(run)


def test_inference_mode_false_turns_grad_on():
    def run(T):
        out = []
        with T.no_grad():
            with T.inference_mode(False):
                out.append((T.is_grad_enabled(), T.is_inference_mode_enabled()))
            out.append(T.is_grad_enabled())
        with T.inference_mode():
            with T.inference_mode(False):
                out.append((T.ones(2).is_inference(), T.is_grad_enabled()))
        return out
    assert run(ember) == run(torch)


# -- hooks and custom functions ------------------------------------------------------------

@pytest.mark.parametrize("order", ["full_then_old", "old_then_full", "full_twice"])
def test_backward_hook_kinds_do_not_mix(order):
    def run(T):
        m = T.nn.Linear(2, 2)
        first, second = {"full_then_old": ("full", "old"), "old_then_full": ("old", "full"),
                         "full_twice": ("full", "full")}[order]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for kind in (first, second):
                if kind == "full":
                    m.register_full_backward_hook(lambda *a: None)
                else:
                    m.register_backward_hook(lambda *a: None)
        return "registered"
    same(run)


def test_calling_a_function_instance():
    def run(T):
        class Double(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return Double()(T.ones(1))
    same(run)


# -- small API corners ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["mps", "xpu", "hip", "xla", "meta", "mps:1", "foo", "cuda0"])
def test_device_types(name):
    same(lambda T: str(T.device(name)))


def test_return_types_count_fields():
    def run(T):
        r = T.max(T.ones(2, 2), 1)
        return r.n_fields, r.n_sequence_fields, r.n_unnamed_fields, isinstance(r, tuple)
    assert run(ember) == run(torch)


@pytest.mark.parametrize("std", [-1.0, -0.5, -1e-10, -123456789.0, -2.5e20, float("-inf"), -3])
def test_normal_std_message(std):
    same(lambda T: T.normal(0.0, std, (2,)))
    same(lambda T: T.empty(2).normal_(0.0, std))


# -- matrix_exp (the parametrizations tutorial's orthogonal maps) --------------------------

def test_matrix_exp_values_and_gradients():
    import numpy as np

    rng = np.random.default_rng(0)
    for shape, scale in [((3, 3), 1.0), ((4, 3, 3), 3.0), ((5, 5), 10.0), ((2, 2), 1e-8)]:
        a = rng.standard_normal(shape) * scale
        g = rng.standard_normal(shape)
        res = []
        for T in (ember, torch):
            x = T.tensor(a, requires_grad=True)
            y = T.matrix_exp(x)
            y.backward(T.tensor(g))
            res.append((y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__))
        (ye, ge, ne), (yt, gt, nt) = res
        np.testing.assert_allclose(ye, yt, rtol=1e-12, atol=1e-12 * np.abs(yt).max())
        np.testing.assert_allclose(ge, gt, rtol=1e-10, atol=1e-10 * np.abs(gt).max())
        assert ne == nt == "LinalgMatrixExpBackward0"
    x = ember.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    assert ember.autograd.gradgradcheck(ember.linalg.matrix_exp, (x,))
    f32 = rng.standard_normal((3, 3)).astype(np.float32)
    np.testing.assert_allclose(ember.tensor(f32).matrix_exp().numpy(),
                               torch.tensor(f32).matrix_exp().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [lambda T: T.ones(2, 3), lambda T: T.ones(3),
                                  lambda T: T.ones(2, 2, dtype=T.int64),
                                  lambda T: T.ones(2, 0, 0), lambda T: T.zeros(2, 2)])
def test_matrix_exp_checks(make):
    same(lambda T: str(T.linalg.matrix_exp(make(T))))


# -- legacy spellings and small messages ---------------------------------------------------

@pytest.mark.parametrize("kwargs", [{"volatile": True}, {"volatile": True, "requires_grad": True},
                                    {"volatile": False}])
def test_variable_volatile(kwargs):
    def run(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = outcome(lambda _: T.autograd.Variable(T.ones(2), **kwargs).requires_grad, T)
        return out, [str(x.message) for x in w]
    assert run(ember) == run(torch)


def test_anomaly_flags():
    def run(T):
        out = [T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled()]
        with T.autograd.set_detect_anomaly(True, check_nan=False):
            out += [T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled()]
        return out + [T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled()]
    assert run(ember) == run(torch)


@pytest.mark.parametrize("shape", [(3,), (2, 1), ()])
def test_grad_of_another_size(shape):
    def run(T):
        p = T.ones(2, requires_grad=True)
        p.grad = T.ones(shape)
    same(run)


# -- memory formats: the channels-last recipe ----------------------------------------------

def test_module_to_channels_last():
    def run(T):
        m = T.nn.Sequential(T.nn.Conv2d(3, 4, 3), T.nn.Linear(2, 2), T.nn.BatchNorm2d(4))
        m.to(memory_format=T.channels_last)
        out = [p.stride() for p in m.parameters()]
        m.to(T.float64, memory_format=T.contiguous_format)
        out += [(p.stride(), str(p.dtype)) for p in m.parameters()]
        m3 = T.nn.Conv3d(1, 1, 1).to(memory_format=T.channels_last_3d)
        out.append(m3.weight.stride())
        out.append(outcome(lambda _: m3.to(memory_format=T.channels_last), T))
        return out
    assert run(ember) == run(torch)


@pytest.mark.parametrize("case", ["channels_last", "channels_last_3d", "contiguous", "preserve",
                                  "wrong_rank", "requires_grad"])
def test_empty_memory_format(case):
    def run(T):
        shape, mf, kw = {
            "channels_last": ((2, 3, 4, 5), T.channels_last, {}),
            "channels_last_3d": ((1, 2, 2, 2, 2), T.channels_last_3d, {}),
            "contiguous": ((2, 2), T.contiguous_format, {}),
            "preserve": ((2, 2), T.preserve_format, {}),
            "wrong_rank": ((2, 3), T.channels_last, {}),
            "requires_grad": ((2, 3, 4, 5), T.channels_last, {"requires_grad": True}),
        }[case]
        t = T.empty(*shape, memory_format=mf, **kw)
        return t.stride(), t.is_leaf, t.requires_grad
    same(run)


# -- nn.modules.utils, DataParallel without a GPU, deepcopy of shared memory ----------------

def test_modules_utils_helpers():
    import collections

    def run(T):
        u = T.nn.modules.utils
        out = [u._pair(3), u._pair((1, 2)), u._single(2), u._triple([1, 2, 3]), u._quadruple(0),
               u._ntuple(5)(1), u._pair("ab"), u._reverse_repeat_tuple((1, 2), 2),
               u._list_with_default([None, 3], [1, 2, 7, 9]), u._pair.__name__]
        sd = collections.OrderedDict([("module.a", 1), ("module.b.c", 2), ("x", 3)])
        sd._metadata = collections.OrderedDict([("", {"v": 1}), ("module", {"v": 2}),
                                                ("module.b", {"v": 3})])
        u.consume_prefix_in_state_dict_if_present(sd, "module.")
        return out, list(sd.items()), list(sd._metadata.items())
    assert run(ember) == run(torch)
    assert ember.nn.utils.clip_grad_norm_ is not None  # nn.utils is still nn.utils


@pytest.mark.skipif(ember.cuda.is_available(), reason="PyTorch's CPU build has no GPU")
def test_data_parallel_without_gpu():
    def run(T):
        dp = T.nn.DataParallel(T.nn.Linear(2, 1))
        return (dp.device_ids, hasattr(dp, "output_device"), hasattr(dp, "dim"),
                list(dp.state_dict()))
    assert run(ember) == run(torch)


DEEPCOPY_CASES = {
    "view_and_base": lambda T: [T.arange(6.).view(2, 3), None],
    "transposed": lambda T: [T.arange(6.).view(2, 3).t()],
    "strided": lambda T: [T.zeros(3, 4)[:, ::2]],
    "offset_view": lambda T: [T.arange(6.).view(2, 3)[1, 1:]],
    "permuted": lambda T: [T.arange(8.).view(2, 2, 2).permute(2, 0, 1)],
    "bool": lambda T: [T.ones(2, dtype=T.bool)],
    "empty": lambda T: [T.ones(0)],
}


@pytest.mark.parametrize("case", sorted(DEEPCOPY_CASES))
def test_deepcopy_keeps_layout_and_sharing(case):
    import copy

    def run(T):
        ts = DEEPCOPY_CASES[case](T)
        if ts[-1] is None:  # a base and a view of it, copied together
            ts = [ts[0], ts[0][1]]
        cs = copy.deepcopy(ts)
        out = [(c.stride(), c.storage_offset(), c.is_contiguous(), c.tolist()) for c in cs]
        if len(cs) == 2:
            cs[0][1, 0] = 100
            out.append(cs[1].tolist())
        return out
    assert run(ember) == run(torch)


def test_atan2_gradient_at_the_origin_and_bits():
    import numpy as np

    rng = np.random.default_rng(1)
    ys = np.concatenate([[0.0, 0.0, 1.0, -0.0, 1e-30], rng.standard_normal(200)]).astype(np.float32)
    xs = np.concatenate([[0.0, -0.0, 0.0, 0.0, 1e-30], rng.standard_normal(200)]).astype(np.float32)
    g = rng.standard_normal(ys.shape).astype(np.float32)
    res = []
    for T in (ember, torch):
        y, x = T.tensor(ys, requires_grad=True), T.tensor(xs, requires_grad=True)
        T.atan2(y, x).backward(T.tensor(g))
        res.append(np.stack([y.grad.numpy(), x.grad.numpy()]))
    np.testing.assert_array_equal(res[0], res[1])


@pytest.mark.parametrize("make", ["linear", "relu", "conv", "sequential"])
def test_old_style_backward_hook(make):
    def run(T):
        mod, x = {
            "linear": lambda: (T.nn.Linear(3, 2), T.randn(2, 3, requires_grad=True)),
            "relu": lambda: (T.nn.ReLU(), T.randn(2, 3, requires_grad=True)),
            "conv": lambda: (T.nn.Conv2d(1, 2, 3), T.randn(1, 1, 4, 4, requires_grad=True)),
            "sequential": lambda: (T.nn.Sequential(T.nn.Linear(3, 3), T.nn.Tanh()),
                                   T.randn(2, 3, requires_grad=True)),
        }[make]()
        seen = []

        def hook(m, gi, go):
            seen.append((type(m).__name__, [None if g is None else tuple(g.shape) for g in gi],
                         [tuple(g.shape) for g in go]))
            return tuple(None if g is None else g * 0 for g in gi)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            mod.register_backward_hook(hook)
            mod(x).sum().backward()
        return seen, x.grad.abs().sum().item(), [(x.category.__name__, str(x.message)) for x in w]
    T = torch
    T.manual_seed(0)
    expected = run(T)
    ember.manual_seed(0)
    assert run(ember) == expected


@pytest.mark.parametrize("act", ["ReLU", "LeakyReLU", "Hardtanh", "ReLU6", "Tanh"])
def test_gradient_penalty_reaches_the_first_bias(act):
    # WGAN-GP: the penalty's backward gives the first layer's bias a zero gradient (not None)
    # where the activation is piecewise linear, as PyTorch's double-backward nodes do
    def run(T):
        T.manual_seed(0)
        net = T.nn.Sequential(T.nn.Linear(3, 4), getattr(T.nn, act)(), T.nn.Linear(4, 1))
        x = T.randn(5, 3, requires_grad=True)
        g, = T.autograd.grad(net(x).sum(), x, create_graph=True)
        ((g.norm(2, dim=1) - 1) ** 2).mean().backward()
        return type(g.grad_fn).__name__, [
            None if p.grad is None else round(p.grad.abs().sum().item(), 4)
            for p in net.parameters()]
    assert run(ember) == run(torch)
