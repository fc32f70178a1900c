"""Differential checks of the libraries around the core (distributions, torch.func, fft,
special, autocast): each case runs the same code on ember and on PyTorch and asserts the
same printed result, or the same exception type and message, and the same warnings."""
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")
from diff import measured_cpu, nested_close, same  # noqa: E402


# -- distributions -------------------------------------------------------------------------

def test_kl_between_different_exponential_families_message():
    def run(T):
        D = T.distributions
        return D.kl_divergence(D.Normal(0., 1.), D.Bernoulli(0.3))
    same(run)


# -- torch.func ----------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["rand", "randn", "randint", "dropout", "normal_", "bernoulli"])
def test_vmap_randomness_error_leaves_the_generator_alone(op):
    def run(T):
        T.manual_seed(0)
        fns = {"rand": lambda a: T.rand(2), "randn": lambda a: T.randn(2, 3),
               "randint": lambda a: T.randint(0, 5, (3,)),
               "dropout": lambda a: T.nn.functional.dropout(a),
               "normal_": lambda a: a.normal_(),
               "bernoulli": lambda a: T.bernoulli(a.sigmoid())}
        try:
            T.func.vmap(fns[op])(T.ones(3, 4))
        except RuntimeError as e:
            msg = str(e)
        return msg, T.rand(2)
    same(run)


def test_jacfwd_randomness_error_leaves_the_generator_alone():
    def run(T):
        T.manual_seed(0)
        try:
            T.func.jacfwd(lambda a: a * T.rand(3))(T.ones(3))
        except RuntimeError as e:
            msg = str(e)
        return msg, T.rand(2)
    same(run, warns=False)


def test_jacrev_of_several_outputs_backpropagates_them_together():
    # the other outputs' zero cotangents decide the signs of the zeros
    def run(T):
        t, u = T.tensor([0.1, 0.2, 0.3]), T.tensor([0.5, -0.4])
        a = T.func.jacrev(lambda a: (a.sin(), a.cos()))(t)
        b = T.func.jacrev(lambda a, b: (a.sin(), b.cos()), argnums=(0, 1))(t, u)
        return [str(x) for x in (a, b)]
    same(run)


def test_double_backward_graph_of_a_broadcast_gradient_is_a_view():
    def run(T):
        T.manual_seed(0)
        m = T.nn.Linear(3, 2)
        b = T.randn(3, requires_grad=True)
        g1 = T.autograd.grad(m(T.ones(2, 3)).pow(2).sum(), m.bias, create_graph=True)[0]
        g2 = T.autograd.grad((T.ones(4, 3) + b).pow(2).sum(), b, create_graph=True)[0]
        b2 = T.randn(1, 3, requires_grad=True)
        g3 = T.autograd.grad((T.ones(4, 3) + b2).pow(2).sum(), b2, create_graph=True)[0]
        return [type(g.grad_fn).__name__ for g in (g1, g2, g3)], g1, g2, g3
    same(run)


_TWICE = {"to64": lambda T, x: x.to(T.float64), "double": lambda T, x: x.double(),
          "half": lambda T, x: x.to("cpu", T.float16), "view": lambda T, x: x.view(3, 1),
          "clone": lambda T, x: x.clone(), "expand": lambda T, x: x.expand(2, 3),
          "transpose": lambda T, x: x.view(1, 3).t(), "permute": lambda T, x: x.view(3, 1).T,
          "select": lambda T, x: x[0], "slice": lambda T, x: x[1:],
          "narrow": lambda T, x: x.narrow(0, 0, 2), "unsqueeze": lambda T, x: x.unsqueeze(0),
          "roll": lambda T, x: x.roll(1), "sum_dim": lambda T, x: x.view(3, 1).sum(0),
          "mean_dim": lambda T, x: x.view(3, 1).mean(1), "flatten": lambda T, x: x.flatten(),
          "mul_number": lambda T, x: x * 2, "div_number": lambda T, x: x / 2,
          "add_number": lambda T, x: x + 2, "sigmoid": lambda T, x: x.sigmoid()}


@pytest.mark.parametrize("f", list(_TWICE))
def test_backward_twice_through_nodes_that_save_no_tensor(f):
    # PyTorch frees only saved tensors: a node that saved none runs again
    def run(T):
        x = T.tensor([0.5, 1.5, 2.5], requires_grad=True)
        y = _TWICE[f](T, x)
        y.sum().backward()
        y.sum().backward()
        return x.grad
    same(run)


def test_backward_twice_through_a_node_with_saved_tensors_still_fails():
    def run(T):
        x = T.ones(3, requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()
    same(run)


# -- fft -----------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [("fftfreq", 0, 1.0), ("fftfreq", 4, 0.0), ("rfftfreq", 0, 1.0),
                                  ("fftfreq", 3, -0.0), ("fftfreq", -2, 1.0),
                                  ("rfftfreq", -5, 1.0), ("rfftfreq", -1, 1.0),
                                  ("rfftfreq", -2, 1.0), ("rfftfreq", 7, 1.0)])
def test_fftfreq_edges(call):
    name, n, d = call
    same(lambda T: getattr(T.fft, name)(n, d))


# -- special -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["erf", "expit", "gammaln", "psi", "round", "airy_ai",
                                  "spherical_bessel_j0", "i0", "logit", "ndtr"])
def test_special_unary_refuses_a_number_under_its_special_name(name):
    same(lambda T: getattr(T.special, name)(1.5))


@pytest.mark.parametrize("name", ["softmax", "logsumexp", "log_softmax"])
def test_special_reductions_refuse_a_list(name):
    same(lambda T: getattr(T.special, name)([1.0], 0))


@pytest.mark.parametrize("n", ["t1.5", "t[1]", "t2", "tTrue", "2.0", "None", "1", "u8"])
@pytest.mark.parametrize("fn", ["polygamma", "special.polygamma", "Tensor.polygamma", "mvlgamma",
                                "Tensor.mvlgamma", "special.multigammaln"])
def test_polygamma_and_mvlgamma_int_arguments(fn, n):
    def run(T):
        v = {"t1.5": T.tensor(1.5), "t[1]": T.tensor([1]), "t2": T.tensor(2),
             "tTrue": T.tensor(True), "2.0": 2.0, "None": None, "1": 1,
             "u8": T.tensor(1, dtype=T.uint8)}[n]
        x = T.tensor([1.5, 2.5])
        return {"polygamma": lambda: T.polygamma(v, x),
                "special.polygamma": lambda: T.special.polygamma(v, x),
                "Tensor.polygamma": lambda: x.polygamma(v),
                "mvlgamma": lambda: T.mvlgamma(x, v),
                "Tensor.mvlgamma": lambda: x.mvlgamma(v),
                "special.multigammaln": lambda: T.special.multigammaln(x, v)}[fn]()
    same(run)


def test_tanh_backward_of_an_infinite_gradient_is_silent():
    def run(T):
        y = T.tensor([12.0, 0.3], requires_grad=True)
        return T.autograd.grad(T.special.erfinv(y.tanh()).sum(), y)
    same(run)


# -- autocast ------------------------------------------------------------------------------

def test_autocast_caches_the_cast_parameters_for_the_whole_block():
    # PyTorch's cast cache: a training loop inside one autocast block keeps using the
    # parameters as first cast (in place updates are not seen until the block exits)
    def run(T):
        T.manual_seed(0)
        a = T.randn(4, 4)
        m = T.nn.Linear(4, 2)
        opt = T.optim.SGD(m.parameters(), lr=0.5)
        seen = []
        with T.autocast("cpu", dtype=T.bfloat16):
            for _ in range(3):
                opt.zero_grad()
                loss = m(a).float().pow(2).mean()
                loss.backward()
                opt.step()
                seen.append((loss.item(), m.weight.grad[0].tolist()))
        with T.autocast("cpu", dtype=T.bfloat16):
            seen.append(m(a)[0])
        return seen
    same(run)


def test_autocast_cache_made_under_no_grad_keeps_its_graph():
    def run(T):
        a = T.ones(1, 2)
        w = T.ones(2, 2, requires_grad=True)
        seen = []
        with T.autocast("cpu", dtype=T.bfloat16):
            with T.no_grad():
                seen.append(T.mm(a, w))
                w.add_(1)
            y = T.mm(a, w)
            y.sum().backward()
            seen += [y, w.grad]
            x = T.ones(3, 2, requires_grad=True)
            seen.append(x @ w.t())  # (a view: never cached)
            T.set_autocast_cache_enabled(False)
            seen.append(T.mm(a, w))
            T.set_autocast_cache_enabled(True)
            T.clear_autocast_cache()
            seen.append(T.mm(a, w))
        with T.autocast("cpu", dtype=T.bfloat16):
            seen.append(T.mm(a, w))
        return seen
    same(run)


def test_autocast_linear_casts_the_weight_before_transposing():
    def run(T):
        m = T.nn.Linear(3, 2)
        with T.autocast("cpu"):
            y = m(T.ones(2, 3))
        return [type(n).__name__ if n else None for n, _ in y.grad_fn.next_functions], \
            type(y.grad_fn.next_functions[2][0].next_functions[0][0]).__name__
    same(run)


@pytest.mark.parametrize("dev", ["foo", "CPU", "cpu"])
def test_autocast_device_type_errors(dev):
    same(lambda T: T.autocast(dev).fast_dtype)


@pytest.mark.parametrize("dt", ["float32", "float16", "bfloat16"])
def test_ndtr_is_the_erf_composite_in_the_dtype(dt):
    # PyTorch's (1 + erf(x / sqrt 2)) / 2: float32 loses the far left tail to 0
    def run(T):
        return T.special.ndtr(T.linspace(-9, 9, 37).to(getattr(T, dt))).tolist()
    if measured_cpu() or dt != "float32":
        same(run)
    else:  # (float32 erf is VML's, emulated on the measured processor only)
        nested_close(run(ember), run(torch))


def test_ndtr_graph_and_gradient():
    def run(T):
        y = T.tensor([-2., 0.3, 5.], requires_grad=True)
        r = T.special.ndtr(y)
        r.sum().backward()
        return r, [type(n).__name__ for n, _ in r.grad_fn.next_functions], y.grad.tolist(), \
            T.special.ndtr(T.tensor([-3, 0, 2])), T.special.ndtr(T.tensor([True]))
    same(run)


def test_trigamma_float64_is_pytorchs_series():
    def run(T):
        x = T.cat([T.linspace(-30, 30, 601, dtype=T.float64),
                   T.tensor([0.5, 1.0, 1e-300, float("inf"), -float("inf"), float("nan"), -0.0],
                            dtype=T.float64)])
        return T.polygamma(1, x).tolist(), T.special.polygamma(1, x[::7]).tolist()
    same(run)


@pytest.mark.parametrize("case", ["train", "eval", "no_stats", "functional", "functional_none",
                                  "ensemble"])
def test_vmap_batch_norm_running_stats(case):
    def run(T):
        import copy
        T.manual_seed(0)
        nn, x = T.nn, T.randn(2, 4, 3)
        if case in ("train", "eval", "no_stats"):
            bn = nn.BatchNorm1d(3, track_running_stats=case != "no_stats")
            if case == "eval":
                bn.eval()
            return T.func.vmap(bn)(x).tolist(), [b.tolist() for b in bn.buffers()]
        if case.startswith("functional"):
            stats = (T.zeros(3), T.ones(3)) if case == "functional" else (None, None)
            return T.func.vmap(lambda v: nn.functional.batch_norm(v, *stats, training=True))(
                x).tolist()
        models = [nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)) for _ in range(2)]
        p, b = T.func.stack_module_state(models)
        base = copy.deepcopy(models[0]).to("meta")
        out = T.func.vmap(lambda p, b, v: T.func.functional_call(base, (p, b), (v,)),
                          in_dims=(0, 0, None))(p, b, T.randn(4, 3))
        return out.tolist(), b["1.running_mean"].tolist()
    if measured_cpu() or case != "ensemble":
        same(run)
    else:  # (Linear's sgemm is MKL's other kernel off the measured processor)
        nested_close(run(ember), run(torch))




def test_autocast_cache_enabled_argument_and_decorator():
    def run(T):
        T.manual_seed(0)
        a = T.randn(4, 4)
        m = T.nn.Linear(4, 2)
        opt = T.optim.SGD(m.parameters(), lr=0.5)
        seen = []
        with T.autocast("cpu", dtype=T.bfloat16, cache_enabled=False):
            seen.append(T.is_autocast_cache_enabled())
            for _ in range(2):
                opt.zero_grad()
                loss = m(a).float().pow(2).mean()
                loss.backward()
                opt.step()
                seen.append(loss.item())
        seen.append(T.is_autocast_cache_enabled())

        @T.autocast("cpu", cache_enabled=False)
        def f(x):
            return T.is_autocast_cache_enabled(), m(x)[0, 0].item()
        seen.append(f(a))
        return seen
    same(run)


# -- jit -----------------------------------------------------------------------------------

def _jit_warnings(T, fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category.__name__, str(w.message), w.lineno) for w in caught
            if w.category.__name__ == "TracerWarning"]


def test_jit_trace_warns_for_python_values_in_user_code():
    def run(T):
        class M(T.nn.Module):
            def forward(self, x):
                a = bool(x.sum() > 0)
                b = x.sum().item()
                c = float(x.sum())
                d = int(x.sum())
                e = x.tolist()
                f = x[int(x[0])]
                return x * 2 + (a + b + c + d + len(e) + f)
        return _jit_warnings(T, lambda: T.jit.trace(M(), T.ones(2)))
    same(run, warns=False)


def test_jit_trace_deprecation_is_hidden_in_a_users_function():
    # PyTorch attributes trace_method's DeprecationWarning to its own file, which Python's
    # default filters hide in a script
    def run(T):
        m = T.nn.Linear(2, 2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            T.jit.trace(m, T.ones(1, 2))
        return [w for w in caught if w.filename == __file__]
    same(run, warns=False)


_FFT_OUT = {
    "fft": lambda T: T.fft.fft(T.ones(6), out=T.empty(6)),
    "rfft": lambda T: T.fft.rfft(T.ones(6), out=T.empty(4)),
    "ifft_long": lambda T: T.fft.ifft(T.ones(6), out=T.empty(6, dtype=T.int64)),
    "irfft": lambda T: T.fft.irfft(T.ones(6, dtype=T.cfloat), out=T.empty(10, dtype=T.cfloat)),
    "hfft": lambda T: T.fft.hfft(T.ones(6, dtype=T.cfloat), out=T.empty(10, dtype=T.cfloat)),
    "fft2": lambda T: T.fft.fft2(T.ones(2, 3), out=T.empty(2, 3)),
    "ihfft": lambda T: T.fft.ihfft(T.ones(6), out=T.empty(4)),
    "rfft2": lambda T: T.fft.rfft2(T.ones(2, 4), out=T.empty(2, 3)),
    "ihfft2": lambda T: T.fft.ihfft2(T.ones(2, 4), out=T.empty(2, 3)),
    "irfftn": lambda T: T.fft.irfftn(T.ones(6, dtype=T.cfloat),
                                     out=T.empty(10, dtype=T.cdouble)),
    "fft_ok": lambda T: T.fft.fft(T.ones(6), out=T.empty(6, dtype=T.cfloat)).abs(),
    "fftfreq_float": lambda T: T.fft.fftfreq(4.5),
    "rfftfreq_float": lambda T: T.fft.rfftfreq(4.0),
    "fftfreq_tensor": lambda T: T.fft.fftfreq(T.tensor(4)),
    "fftfreq_bool": lambda T: T.fft.fftfreq(True),
    "fftfreq_d_str": lambda T: T.fft.fftfreq(4, "x"),
    "rfftfreq_d_tensor": lambda T: T.fft.rfftfreq(5, d=T.tensor(0.5)),
}


@pytest.mark.parametrize("case", list(_FFT_OUT))
def test_fft_out_dtypes_and_freq_arguments(case):
    same(_FFT_OUT[case])


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
def test_ihfftn_is_one_sided_then_inverse(norm):
    def run(T):
        T.manual_seed(0)
        a, b = T.randn(2, 4), T.randn(3, 4, 5)
        x = T.randn(2, 4, requires_grad=True)
        y = T.fft.ihfft2(x, norm=norm)
        y.abs().sum().backward()
        return [str(v) for v in (T.fft.ihfft2(a, norm=norm), T.fft.ihfftn(b, norm=norm)[0],
                                 T.fft.ihfftn(b, dim=(1,), norm=norm)[0], y, x.grad)]
    same(run)


_KEYWORD_INPUT = {
    "special_erf": lambda T: T.special.erf(input=1.0),
    "special_airy_x": lambda T: T.special.airy_ai(x=T.tensor([0.5, -1.0])),
    "special_sph_x": lambda T: T.special.spherical_bessel_j0(x=T.tensor([0.5, 2.0])),
    "abs": lambda T: T.abs(input=3.0),
    "sum_list": lambda T: T.sum(input=[1., 2.]),
    "F_relu": lambda T: T.nn.functional.relu(input=[1.]),
    "F_gelu": lambda T: T.nn.functional.gelu(input=[1.]),
    "F_linear": lambda T: T.nn.functional.linear(input=[1.], weight=T.ones(2, 2)),
    "F_pad": lambda T: T.nn.functional.pad(input=[1.], pad=(1, 1)),
    "F_avg_pool2d": lambda T: T.nn.functional.avg_pool2d(input=[1.], kernel_size=2),
    "F_cross_entropy": lambda T: T.nn.functional.cross_entropy(input=[1.], target=T.ones(1)),
}


@pytest.mark.parametrize("case", list(_KEYWORD_INPUT))
def test_non_tensor_input_given_by_keyword(case):
    same(_KEYWORD_INPUT[case])
