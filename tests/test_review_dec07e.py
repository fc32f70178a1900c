"""Review checks of the recipes, half-optimizer, torch.func and nn-error work: ``isinstance``
of tensors against ``nn.Parameter`` (now a metaclass check, which must stay cheap and right
for plain tensors), products of real and complex operands, module conversion and loading
under the ``torch.__future__`` switches, the default-device mode stack, and float32
optimizer steps.  Each case runs the same code on ember and on PyTorch."""
import numpy as np
import pytest

import ember
from diff import assert_bits_or_close

torch = pytest.importorskip("torch")


def _both(fn):
    return fn(ember), fn(torch)


def _same_float32_bytes(e, t, rtol=1e-5, atol=1e-6):
    """Float32 results (as bytes) of a few products and tanh: PyTorch's bits on the measured
    processor, else (MKL/VML's other kernels against ember's NumPy fallbacks) close."""
    assert_bits_or_close(np.frombuffer(e, np.float32), np.frombuffer(t, np.float32), rtol, atol)


def test_isinstance_parameter_of_tensors_and_subclasses():
    def run(T):
        class My(T.Tensor):
            pass

        t = T.ones(2)
        marked = T.ones(2)
        marked._is_param = True
        m = T.ones(2).as_subclass(My)
        p = T.nn.Parameter(m)

        class P2(T.nn.Parameter):
            pass

        return [isinstance(t, T.nn.Parameter), isinstance(marked, T.nn.Parameter),
                isinstance(m, T.nn.Parameter), isinstance(p, T.nn.Parameter),
                isinstance(p, My), type(p).__name__, p.requires_grad,
                isinstance(T.nn.Parameter(t), T.nn.Parameter),
                isinstance(T.nn.Buffer(T.ones(1)), T.nn.Parameter),
                isinstance(p, P2), isinstance(P2(T.ones(1)), T.nn.Parameter),
                isinstance(3, T.nn.Parameter), isinstance(None, T.nn.Parameter),
                isinstance(T.nn.parameter.UninitializedParameter(), T.nn.Parameter)]
    e, t = _both(run)
    assert e == t


def test_isinstance_parameter_of_plain_tensor_needs_no_failed_attribute_lookup(monkeypatch):
    # (the check runs at every module attribute assignment: a plain tensor must not go
    # through Tensor.__getattr__, whose failure costs microseconds)
    calls = []
    orig = ember.Tensor.__getattr__

    def spy(self, name):
        calls.append(name)
        return orig(self, name)
    monkeypatch.setattr(ember.Tensor, "__getattr__", spy)
    assert not isinstance(ember.ones(2), ember.nn.Parameter)
    m = ember.nn.Linear(2, 2)
    m.extra = ember.ones(2)
    assert calls == []


def test_module_setattr_of_tensor_and_subclass_parameter():
    def run(T):
        class My(T.Tensor):
            pass

        m = T.nn.Linear(2, 2)
        m.buf = T.ones(2)  # (a plain tensor: an attribute, not a parameter)
        m.p = T.nn.Parameter(T.ones(3).as_subclass(My))
        return sorted(n for n, _ in m.named_parameters()), sorted(m.__dict__.keys() & {"buf"})
    e, t = _both(run)
    assert e == t


@pytest.mark.parametrize("kind", ["ff", "fc", "cf", "cc", "fs", "cs", "fcs", "cd"])
def test_mul_real_and_complex_operands_bits(kind):
    rng = np.random.default_rng(0)
    f = rng.standard_normal(11).astype(np.float32)
    c = (rng.standard_normal(11) + 1j * rng.standard_normal(11)).astype(np.complex64)
    d = (rng.standard_normal(11) + 1j * rng.standard_normal(11)).astype(np.complex128)

    def run(T):
        a = {"f": T.from_numpy(f.copy()), "c": T.from_numpy(c.copy()),
             "d": T.from_numpy(d.copy())}
        x, y = a[kind[0]], a.get(kind[1])
        if kind == "fs":
            out = x * 1.5
        elif kind == "cs":
            out = x * 1.5
        elif kind == "fcs":
            out = x * (0.5 - 2j)
        else:
            out = x * y
        return out.dtype, out.numpy().tobytes()
    e, t = _both(run)
    assert str(e[0]).split(".")[-1] == str(t[0]).split(".")[-1]
    assert e[1] == t[1]


@pytest.mark.parametrize("swap", [False, True])
def test_training_conversion_and_loading_under_future_switches(swap):
    def run(T):
        f = T.__future__
        before = f.get_swap_module_params_on_conversion()
        f.set_swap_module_params_on_conversion(swap)
        try:
            T.manual_seed(0)
            m = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.BatchNorm1d(4), T.nn.Linear(4, 2))
            opt = T.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
            x = T.randn(5, 3)
            m(x).sum().backward()
            w = m[0].weight
            m.double()
            out = [m[0].weight is w, m[0].weight.dtype, m[0].weight.grad.dtype,
                   m[1].running_mean.dtype, type(m[0].weight).__name__]
            m.float()
            opt.zero_grad()
            m(x).pow(2).sum().backward()
            opt.step()
            sd = {k: v.clone() + 1 for k, v in m.state_dict().items()}
            out.append(str(m.load_state_dict(sd)))
            out.append(m[0].weight is w)
            out.append(m[0].weight.detach().numpy().tobytes())
            m.load_state_dict({k: v.double() for k, v in sd.items()}, assign=True)
            out += [m[0].weight.dtype, m[0].weight.requires_grad,
                    type(m[0].weight).__name__]
            return [str(o).replace("torch.", "") if not isinstance(o, bytes) else o
                    for o in out]
        finally:
            f.set_swap_module_params_on_conversion(before)
    e, t = _both(run)
    assert e[:7] + e[8:] == t[:7] + t[8:]
    _same_float32_bytes(e[7], t[7])


def test_default_device_mode_stack_with_set_default_device():
    def run(T):
        out = []
        try:
            T.set_default_device("meta")
            out.append(str(T.zeros(2).device))
            with T.device("cpu"):
                out.append(str(T.randn(2).device))
            out.append(str(T.tensor([1.0]).device))
            T.set_default_device("cpu")
            out.append(str(T.ones(1).device))
            with T.device("meta"):
                with T.device("cpu"):
                    out.append(str(T.arange(3).device))
                out.append(str(T.nn.Linear(2, 2).weight.device))
            out.append(str(T.empty(1).device))
        finally:
            T.set_default_device(None)
        out.append(str(T.zeros(1).device))
        return out
    e, t = _both(run)
    assert e == t


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam"])
def test_float32_optimizer_steps_bits(name):
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((6, 5)).astype(np.float32)
    xs = rng.standard_normal((3, 4, 5)).astype(np.float32)

    def run(T):
        w = T.nn.Parameter(T.from_numpy(w0.copy()))
        kw = {"lr": 0.01, "weight_decay": 1e-3} if name != "SGD" else \
            {"lr": 0.1, "momentum": 0.9, "nesterov": True}
        opt = getattr(T.optim, name)([w], **kw)
        for x in xs:
            opt.zero_grad()
            (T.from_numpy(x.copy()) @ w.t()).tanh().pow(2).sum().backward()
            opt.step()
        return w.detach().numpy().tobytes()
    e, t = _both(run)
    _same_float32_bytes(e, t, rtol=1e-4, atol=1e-5)


def test_isinstance_buffer_of_tensors():
    def run(T):
        t = T.ones(2)
        marked = T.ones(2)
        marked._is_buffer = True
        b = T.nn.Buffer(T.ones(2))
        m = T.nn.Module()
        m.b = T.nn.Buffer(T.zeros(1), persistent=False)
        m.t = T.ones(1)
        return [isinstance(t, T.nn.Buffer), isinstance(marked, T.nn.Buffer),
                isinstance(b, T.nn.Buffer), type(b).__name__,
                isinstance(T.nn.Parameter(T.ones(1)), T.nn.Buffer), isinstance(1, T.nn.Buffer),
                list(m.state_dict()), [n for n, _ in m.named_buffers()]]
    e, t = _both(run)
    assert e == t


def test_parameter_of_uninitialized_is_refused():
    def run(T):
        out = []
        for make in (T.nn.parameter.UninitializedParameter, T.nn.parameter.UninitializedBuffer):
            try:
                T.nn.Parameter(make())
                out.append("ok")
            except ValueError as e:
                out.append(str(e).split(" in ")[0])
        m = T.nn.LazyLinear(3)
        m(T.ones(2, 4))
        out.append((type(m.weight).__name__, tuple(m.weight.shape)))
        return out
    e, t = _both(run)
    assert e == t


@pytest.mark.parametrize("case", ["jacobian_in_vmap", "hessian_in_vmap", "vjp_in_grad",
                                  "jacobian_vectorized", "jacrev_in_vmap"])
def test_autograd_functional_inside_func_transforms(case):
    x0 = np.random.default_rng(2).standard_normal((3, 2)).astype(np.float32)

    def run(T):
        x = T.from_numpy(x0.copy())
        AF, func = T.autograd.functional, T.func
        fns = {
            "jacobian_in_vmap": lambda: func.vmap(lambda v: AF.jacobian(T.sin, v))(x),
            "hessian_in_vmap": lambda: func.vmap(
                lambda v: AF.hessian(lambda t: t.pow(3).sum(), v))(x),
            "vjp_in_grad": lambda: func.grad(lambda v: AF.vjp(T.sin, v)[1].sum())(x[0]),
            "jacobian_vectorized": lambda: AF.jacobian(T.sin, x[0], vectorize=True),
            "jacrev_in_vmap": lambda: func.vmap(func.jacrev(T.sin))(x)}
        try:
            return fns[case]().detach().numpy().tolist()
        except RuntimeError as e:
            return str(e)
    e, t = _both(run)
    assert e == t
