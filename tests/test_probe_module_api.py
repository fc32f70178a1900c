"""Differential checks of the nn.Module API itself (found by fuzzing random module trees with
random operations): registration, state dicts and their loading, hooks, containers.  Each case
runs the same code on ember and on PyTorch and asserts the same result, or the same exception
type and message, and the same warnings."""
import pytest

torch = pytest.importorskip("torch")
from diff import same  # noqa: E402


def test_register_buffer_takes_persistent_from_its_argument_not_the_buffer():
    def run(T):
        m = T.nn.Module()
        m.register_buffer("a", T.nn.Buffer(T.ones(2)), persistent=False)
        m.register_buffer("b", T.nn.Buffer(T.ones(2), persistent=False))
        m.c = T.nn.Buffer(T.ones(2), persistent=False)
        m.d = T.nn.Buffer(T.ones(2))
        return list(m.state_dict()), [n for n, _ in m.named_buffers()]
    same(run)


def test_parameter_dict_bad_key_stays_listed_after_the_error():
    def run(T):
        d = T.nn.ParameterDict({"a": T.ones(1)})
        out = []
        try:
            d[1] = T.ones(2)
        except TypeError as e:
            out.append(str(e))
        out.append((len(d), list(d)))
        try:
            repr(d)
        except TypeError as e:
            out.append(str(e))
        return out
    same(run)


@pytest.mark.parametrize("fn", ["dropout", "dropout1d", "dropout2d", "dropout3d",
                                "alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("training", [None, 1, 0.5, "np", "tensor"])
@pytest.mark.parametrize("inplace", [False, True])
def test_dropout_training_must_be_a_bool(fn, training, inplace):
    import numpy as np

    def run(T):
        training_ = {"np": np.True_, "tensor": T.tensor(True)}.get(training, training)
        x = T.ones(2, 3, 4, 5) if fn == "dropout3d" else T.ones(2, 3, 4)
        return getattr(T.nn.functional, fn)(x, 0.5, training=training_, inplace=inplace)
    same(run, warns=False)


def test_dropout_module_with_training_set_to_none():
    def run(T):
        m = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.Dropout(0.1))
        m[1].training = None
        return m(T.ones(1, 2))
    same(run)


def test_module_dict_attributes_are_pytorchs_in_pytorchs_order():
    def run(T):
        m = T.nn.Linear(2, 2)
        return [(k, type(v).__name__) for k, v in vars(m).items()]
    same(run)


def test_state_dict_hooks_public_and_private():
    def run(T):
        m = T.nn.Linear(2, 2)
        out = []

        def post(mod, sd, prefix, meta):
            return {"x": 1}
        m._register_state_dict_hook(post)
        out.append(m.state_dict())
        m.register_state_dict_post_hook(post)
        try:
            m.state_dict()
        except RuntimeError as e:
            out.append(str(e))
        try:  # the function itself is marked public now
            T.nn.Linear(1, 1)._register_state_dict_hook(post)
        except RuntimeError as e:
            out.append(str(e))
        return out
    same(run)


def test_load_pre_hook_sees_its_module_and_survives_deepcopy():
    import copy

    def run(T):
        m = T.nn.Sequential(T.nn.Linear(2, 2))
        seen = []
        m[0].register_load_state_dict_pre_hook(
            lambda mod, sd, prefix, *rest: seen.append((type(mod).__name__, prefix, sorted(sd))))
        m2 = copy.deepcopy(m)
        m2.load_state_dict(m.state_dict())
        return seen, type(list(m2[0]._load_state_dict_pre_hooks.values())[0]).__name__
    same(run)


def test_load_assign_keeps_requires_grad_and_a_parameter_for_a_buffer_registers_it():
    def run(T):
        m = T.nn.Module()
        m.register_parameter("w", T.nn.Parameter(T.ones(3), requires_grad=False))
        m.register_buffer("b", T.ones(2))
        given = T.nn.Parameter(T.zeros(3))
        r = m.load_state_dict({"w": given, "b": T.nn.Parameter(T.zeros(2))}, assign=True)
        return (r, m.w is given, m.w.requires_grad, given.requires_grad,
                [n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()],
                list(m.state_dict()))
    same(run)


@pytest.mark.parametrize("strict", [True, False])
def test_extra_state_key_of_a_module_without_extra_state_is_unexpected(strict):
    def run(T):
        s = T.nn.Sequential(T.nn.Linear(2, 2))
        sd = s.state_dict()
        sd["0._extra_state"] = 5
        sd["_extra_state"] = 5
        sd["1.weight"] = 5
        return s.load_state_dict(sd, strict=strict)
    same(run)


@pytest.mark.parametrize("value", ["ab", "", "t2", "t0", "t00"])
def test_module_list_extend_iterates_strings_and_tensors(value):
    def run(T):
        v = {"t2": T.ones(2), "t0": T.tensor(1.0), "t00": T.ones(0)}.get(value, value)
        return T.nn.ModuleList(v)
    same(run)


@pytest.mark.parametrize("cls", ["ModuleDict", "ParameterDict"])
@pytest.mark.parametrize("value", ["t2", "t22", "dictpair", "gen"])
def test_dict_update_elements_are_measured_and_indexed(cls, value):
    def run(T):
        v = {"t2": lambda: T.ones(2), "t22": lambda: T.ones(2, 2),
             "dictpair": lambda: [{"a": 1, "b": 2}], "gen": lambda: [(c for c in "ab")]}[value]
        d = getattr(T.nn, cls)()
        d.update(v())
        return list(d)
    same(run)


def _always_call_run(T, where):
    log = []

    class M(T.nn.Module):
        def forward(self, x):
            if where == "forward":
                raise ValueError("boom")
            return x * 2

    m = M()
    if where == "pre":
        m.register_forward_pre_hook(lambda mod, a: 1 / 0)
    m.register_forward_hook(lambda mod, a, o: log.append(("first", o)))
    if where == "hook":
        m.register_forward_hook(lambda mod, a, o: [][1])
    m.register_forward_hook(lambda mod, a, o: log.append(("always", o)) or o + 1,
                            always_call=True)
    m.register_forward_hook(lambda mod, a, k, o: log.append(("always_k", k, o)),
                            always_call=True, with_kwargs=True)

    def raising(mod, a, o):
        raise KeyError("in hook")
    m.register_forward_hook(raising, always_call=True)
    try:
        m(T.ones(2))
    except Exception as e:  # noqa: BLE001
        log.append((type(e).__name__, str(e)))
    return log


@pytest.mark.parametrize("where", ["forward", "hook", "pre"])
def test_always_called_forward_hooks_when_something_raises(where):
    same(lambda T: _always_call_run(T, where))


@pytest.mark.parametrize("kind", ["list", "dict", "tuple"])
def test_full_backward_hooks_only_hook_tensor_or_tuple_outputs(kind):
    def run(T):
        log = []

        class M(T.nn.Module):
            def forward(self, x):
                a, b = x * 2, x * 3
                return {"list": [a, b], "dict": {"a": a, "b": b}, "tuple": (a, 5, b)}[kind]
        m = M()
        m.register_full_backward_hook(lambda mod, gi, go: log.append(
            ("bwd", [g.sum().item() for g in gi], [g if g is None else g.sum().item()
                                                   for g in go])))
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", len(go))))
        x = T.ones(2, requires_grad=True)
        out = m(x)
        vals = out.values() if isinstance(out, dict) else [v for v in out
                                                           if isinstance(v, T.Tensor)]
        sum(v.sum() for v in vals).backward()
        return type(out).__name__, log, x.grad
    same(run)


def test_global_registration_hooks_see_and_replace_what_is_registered():
    def run(T):
        mm = T.nn.modules.module
        log = []
        hs = [mm.register_module_buffer_registration_hook(
                  lambda m, n, b: log.append(("buf", type(m).__name__, n, b is None))),
              mm.register_module_parameter_registration_hook(
                  lambda m, n, p: log.append(("par", type(m).__name__, n, tuple(p.shape)))),
              mm.register_module_module_registration_hook(
                  lambda m, n, c: log.append(("mod", type(m).__name__, n, type(c).__name__)))]
        try:
            net = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.BatchNorm1d(3))
            net.extra = T.nn.ReLU()
            net[1].running_mean = T.zeros(3)
            net.register_buffer("nb", None)
            net.register_parameter("np", None)
            net.x = T.nn.Buffer(T.ones(1))
            net.extra = None
            hs.append(mm.register_module_parameter_registration_hook(
                lambda m, n, p: T.nn.Parameter(p.detach()[:1])))
            lin = T.nn.Linear(2, 2)
        finally:
            for h in hs:
                h.remove()
        return log, [tuple(p.shape) for p in lin.parameters()]
    same(run)


def test_register_module_calls_an_overridden_add_module_and_buffers_go_through_register():
    def run(T):
        log = []

        class Sub(T.nn.Module):
            def add_module(self, name, module):
                log.append(("add", name))
                super().add_module(name, module)

            def register_buffer(self, name, tensor):  # (no ``persistent``)
                log.append(("buf", name))
                super().register_buffer(name, tensor)
        s = Sub()
        s.register_module("q", T.nn.ReLU())
        s.register_buffer("a", T.ones(1))
        s.a = T.zeros(1)
        s.c = T.nn.Buffer(T.ones(1))
        try:
            s.b = T.nn.Buffer(T.ones(1), persistent=False)
        except RuntimeError as e:
            log.append(str(e))
        return log, list(s.state_dict())
    same(run)


@pytest.mark.parametrize("what", ["module", "buffer", "parameter"])
def test_registration_name_type_errors_use_the_torch_typename(what):
    def run(T):
        m = T.nn.Module()
        f = {"module": m.add_module, "buffer": m.register_buffer,
             "parameter": m.register_parameter}[what]
        return [str(_raises(lambda: f(name, None))) for name in (T.ones(1), 1.5, None)]
    same(run)


def _raises(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001
        return e


@pytest.mark.parametrize("args,kwargs", [
    (("float64",), {"copy": False}), (("float64", False, False), {}),
    (("cpu", "float64", False, True), {}), (("float64",), {"non_blocking": True}),
    (("cpu", False), {}), (("cpu", None, False), {}), (("cpu", False, True), {})])
def test_module_to_refuses_copy_and_tensor_to_needs_a_dtype_after_the_device(args, kwargs):
    def run(T):
        a = [getattr(T, x) if x == "float64" else x for x in args]
        out = []
        for obj in (T.nn.Linear(1, 1), T.ones(1)):
            try:
                r = obj.to(*a, **kwargs)
                out.append(str(r.weight.dtype if isinstance(r, T.nn.Module) else r.dtype))
            except (RuntimeError, TypeError) as e:
                out.append((type(e).__name__, str(e).split("\n")[0]))
        return out
    same(run)


def test_module_type_to_an_integer_dtype_refuses_parameters_that_require_grad():
    def run(T):
        m = T.nn.Sequential(T.nn.BatchNorm1d(2), T.nn.Linear(2, 2))
        try:
            m.type(T.int64)
        except RuntimeError as e:
            err = str(e)
        m2 = T.nn.Linear(2, 2).requires_grad_(False).type(T.int64)
        return err, [str(t.dtype) for t in m.state_dict().values()], m2.weight.dtype
    same(run)


def test_unimplemented_forward_is_pytorchs_function():
    def run(T):
        m = T.nn.Module()
        return repr(m.forward), T.nn.Module.forward.__name__, str(_raises(lambda: m(1)))
    same(run)


def test_global_old_style_backward_hook():
    def run(T):
        mm = T.nn.modules.module
        T.manual_seed(0)
        log = []
        net = T.nn.Sequential(T.nn.Linear(3, 2), T.nn.ReLU())
        h = mm.register_module_backward_hook(lambda m, gi, go: log.append(
            (type(m).__name__, [None if g is None else tuple(g.shape) for g in gi],
             [tuple(g.shape) for g in go])))
        try:
            log.append(str(_raises(lambda: mm.register_module_full_backward_hook(print))))
            net(T.randn(4, 3, requires_grad=True)).sum().backward()
        finally:
            h.remove()
            mm._global_is_full_backward_hook = None  # (process-wide: leave it as it was)
        return log
    same(run)


@pytest.mark.parametrize("strict", [True, False])
def test_load_a_value_that_fails_to_copy_reports_pytorchs_message(strict):
    def run(T):
        m = T.nn.Module()
        m.register_buffer("s", T.tensor(1.0))
        m.register_buffer("v", T.ones(2))
        return m.load_state_dict({"s": T.tensor(7.0, device="meta"), "v": T.zeros(2)},
                                 strict=strict)
    same(run)


def _grads(gs):
    return [None if g is None else g.tolist() for g in gs]


def test_backward_hooks_see_none_for_outputs_that_got_no_gradient():
    def run(T):
        log = []

        class M(T.nn.Module):
            def forward(self, x, y):
                return x * 2, x * 3, y * 4, x.detach()
        m = M()
        m.register_full_backward_hook(lambda mod, gi, go: log.append(("bwd", _grads(gi),
                                                                      _grads(go))))
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", _grads(go))))
        x = T.ones(2, requires_grad=True)
        y = T.ones(2, requires_grad=True)
        a, b, c, _ = m(x, y)
        a.sum().backward(retain_graph=True)
        log.append((x.grad.tolist(), y.grad))
        (b.sum() + c.sum()).backward()
        log.append((x.grad.tolist(), y.grad.tolist()))
        return log
    same(run)


def test_function_without_materialized_grads_runs_when_its_first_output_got_none():
    def run(T):
        calls = []

        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                calls.append((g1 is None, g2 is None))
                return (0 if g1 is None else g1 * 2) + (0 if g2 is None else g2 * 3)
        x = T.ones(2, requires_grad=True)
        F.apply(x)[1].sum().backward()
        return calls, x.grad
    same(run)


@pytest.mark.parametrize("cls", ["Module", "ParameterDict"])
def test_load_assign_into_a_buffer_that_holds_a_parameter_makes_it_a_parameter(cls):
    def run(T):
        m = getattr(T.nn, cls)()
        m.register_buffer("b", T.nn.Parameter(T.ones(3)))
        out = []
        for assign in (False, True):
            r = m.load_state_dict(m.state_dict(), assign=assign)
            out.append((r, type(m.b).__name__, [n for n, _ in m.named_parameters()],
                        [n for n, _ in m.named_buffers()]))
        return out
    same(run)


def test_batchnorm_load_without_metadata_keeps_its_batch_count():
    def run(T):
        T.manual_seed(0)
        net = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.BatchNorm1d(2))
        for _ in range(3):
            net(T.randn(4, 2))
        sd = {k: v for k, v in net.state_dict().items() if "num_batches" not in k}
        out = [net.load_state_dict(sd), net[1].num_batches_tracked]
        bn = T.nn.BatchNorm1d(2)
        bn.num_batches_tracked = None
        out.append(bn.load_state_dict(dict(bn.state_dict()), strict=False))
        return out
    same(run)


@pytest.mark.parametrize("op", ["add", "radd", "mul", "getitem", "iter", "lt", "mod", "iadd",
                                "matmul", "pos", "eq"])
def test_uninitialized_parameter_operator_names_the_method_pytorch_runs(op):
    def run(T):
        w = T.nn.LazyLinear(2).weight
        f = {"add": lambda: w + 1, "radd": lambda: 1 + w, "mul": lambda: w * 2,
             "getitem": lambda: w[0], "iter": lambda: list(w), "lt": lambda: w < 1,
             "mod": lambda: w % 2, "iadd": lambda: w.__iadd__(1), "matmul": lambda: w @ w,
             "pos": lambda: +w, "eq": lambda: w == 1}[op]
        return f()
    same(run)


@pytest.mark.parametrize("idx", [slice(-3, 1), slice(None, None, 2), -1, 0, 3])
def test_module_list_del_goes_by_position(idx):
    def run(T):
        out = []
        ml = T.nn.ModuleList()
        ml.add_module("w", None)
        out.append(_raises(lambda: ml.__delitem__(idx)))
        ml = T.nn.ModuleList([T.nn.ReLU(), T.nn.Tanh(), T.nn.ELU()])
        out.append(_raises(lambda: ml.__delitem__(idx)))
        return [str(e) for e in out], ml, list(ml._modules)
    same(run)


def test_nested_repr_keeps_blank_extra_repr_lines_empty():
    def run(T):
        class E3(T.nn.Module):
            def extra_repr(self):
                return "a\n\nb"

        class E4(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.x = T.nn.ModuleList([E3(), T.nn.ReLU()])
                self.y = E3()
        return repr(E4()), repr(E3())
    same(run)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("args,kwargs", [((), {}), ((3,), {}), ((3,), {"hidden": 2}),
                                         ((3, 4), {"nonlinearity": "relu"}),
                                         ((3, 4, 2, "relu"), {}), ((3, 4), {"proj_size": 2})])
def test_recurrent_layer_constructor_errors_come_from_rnnbase(cls, args, kwargs):
    same(lambda T: getattr(T.nn, cls)(*args, **kwargs), warns=False)


@pytest.mark.parametrize("kind", ["proxy", "userdict"])
def test_load_state_dict_takes_any_mapping(kind):
    import types
    from collections import UserDict

    def run(T):
        lin = T.nn.Linear(2, 2)
        sd = dict(lin.state_dict())
        return lin.load_state_dict(types.MappingProxyType(sd) if kind == "proxy" else
                                   UserDict(sd))
    same(run)


def test_set_extra_state_runs_in_pytorchs_visiting_order():
    def run(T):
        log = []

        class X(T.nn.Module):
            def __init__(self, name):
                super().__init__()
                self.name = name
                self.lin = T.nn.Linear(1, 1)

            def get_extra_state(self):
                return {"n": self.name}

            def set_extra_state(self, state):
                log.append(("set", self.name, state))
        y = T.nn.Sequential(X("a"), X("b"))
        for n, m in y.named_modules():
            m.register_load_state_dict_pre_hook(lambda mod, sd, prefix, *r: log.append(prefix))
        sd = y.state_dict()
        log.append(y.load_state_dict(sd))
        sd.pop("1._extra_state")
        log.append(str(_raises(lambda: y.load_state_dict(sd))))
        return log, list(sd)
    same(run)


def test_call_super_init_passes_the_arguments_to_a_mixin():
    def run(T):
        log = []

        class Mixin:
            def __init__(self, *args, **kwargs):
                log.append((args, kwargs))
                super().__init__()

        class M(T.nn.Module, Mixin):
            call_super_init = True

            def __init__(self):
                super().__init__(x=1)

        class M2(T.nn.Module, Mixin):
            call_super_init = True

        class M3(T.nn.Module):
            def __init__(self):
                super().__init__(5)
        return repr(M()), repr(M2()), str(_raises(M3)), str(_raises(lambda: T.nn.Module(a=1))), log
    same(run)
