"""Differential checks of the autograd API's semantics: in-place changes of tensors saved for
backward or seen through views (which error, which message, which versions), detach_,
custom Functions, hooks, and checkpoint.  Each case runs the same code on ember and on
PyTorch and asserts the same printed result, or the same exception type and message."""
import pytest

torch = pytest.importorskip("torch")
from diff import same  # noqa: E402


def _try(f):
    try:
        return ("ok", f())
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return (type(e).__name__, str(e))


def _name(node):
    return None if node is None else type(node).__name__


# -- views whose base (or a sibling) was changed in place -----------------------------------

@pytest.mark.parametrize("how", ["unbind", "split", "chunk", "chunk1", "split1"])
def test_multi_output_view_after_its_base_changed_in_place(how):
    def run(T):
        x = T.ones(2, 3, requires_grad=True)
        y = x * 1
        a = {"unbind": lambda: y.unbind(0), "split": lambda: y.split(1),
             "chunk": lambda: y.chunk(2), "chunk1": lambda: y.chunk(1),
             "split1": lambda: y.split(5)}[how]()[0]
        y.add_(1)
        return (_try(lambda: _name(a.grad_fn)), _try(lambda: a.is_leaf),
                _try(lambda: _name((a * 2).grad_fn)), repr(a))
    same(run)


def test_multi_output_view_after_a_sibling_changed_in_place():
    def run(T):
        y = T.ones(2, 3, requires_grad=True) * 1
        a, b, c = y.unbind(1)
        y[0].add_(1)
        return _try(lambda: _name(a.grad_fn)), _try(lambda: a[0:].add_(1))
    same(run)


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_no_grad_view_after_its_base_changed_in_place(mode):
    def run(T):
        x = T.ones(2, 3, requires_grad=True)
        y = x * 1
        with getattr(T, mode)():
            v = y[0]
        y.add_(1)
        return (_try(lambda: _name(v.grad_fn)), _try(lambda: v.is_leaf), v.requires_grad,
                _try(lambda: (v * 2).sum()), repr(v))
    same(run)


def test_no_grad_view_of_a_leaf_changed_under_no_grad():
    def run(T):
        x = T.ones(2, 3, requires_grad=True)
        with T.no_grad():
            v = x[0]
            x.add_(1)
            w = x[0:2]
            w.add_(1)
            inside = repr(w)
        return _try(lambda: _name((v * 2).grad_fn)), inside
    same(run)


def test_view_of_a_no_grad_view_is_refused_in_place_changes():
    def run(T):
        w = T.tensor([[1., 2.], [3., 4.]], requires_grad=True) * 1
        with T.no_grad():
            nv = w[0]
        out = [_try(lambda: nv[1:].add_(1)), _try(lambda: nv.view(2).mul_(2))]
        vv = nv[1:]
        w.add_(1)
        out += [_try(lambda: _name(vv.grad_fn)), _try(lambda: _name(nv.grad_fn))]
        with T.inference_mode():
            iv = (T.ones(2, requires_grad=True) * 1)[0:]
        out.append(_try(lambda: iv[0:].add_(1)))
        return out
    same(run)


def test_custom_function_view_outputs_after_the_base_changed():
    def run(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a.view(-1)

            @staticmethod
            def backward(ctx, g):
                return g.view(2, 3)

        x = T.ones(2, 3, requires_grad=True)
        y = x * 1
        o = F.apply(y)
        w = o[1:]
        direct = _try(lambda: w.add_(1))
        y.add_(1)
        return direct, _try(lambda: _name(o.grad_fn)), _try(lambda: _name(w.grad_fn))
    same(run)


def test_custom_function_returning_its_input_gives_a_view_of_it():
    def run(T):
        class Ident(T.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a

            @staticmethod
            def backward(ctx, g):
                return g * 2

        x = T.tensor([1., 2.], requires_grad=True)
        y = x * 1
        i = Ident.apply(y)
        out = [i._is_view(), i._base is y, i.is_leaf, i._version]
        y.add_(1)
        out.append(_try(lambda: _name(i.grad_fn)))
        with T.no_grad():
            j = Ident.apply(x)
        k = Ident.apply(T.ones(2))
        out += [j._is_view(), k._is_view(), k._base is not None]
        i2 = Ident.apply(x[0:])
        out += [i2._base is x, _try(lambda: i2.mul_(2))]
        i = Ident.apply(x)
        i.sum().backward()
        return out, x.grad
    same(run)


def test_a_view_of_a_leaf_that_stopped_requiring_grad():
    def run(T):
        x = T.ones(2, 3, requires_grad=True)
        r = x.view(-1)
        x.detach_()
        w = T.ones(3, requires_grad=True)
        v = w[0:2]
        w.requires_grad_(False)
        b = T.zeros(3)
        u = b[0:2]
        first = _try(lambda: _name(u.mul_(T.ones(2, requires_grad=True)).grad_fn))
        return _try(lambda: r.pow_(2)), _try(lambda: v.mul_(2)), first, \
            _try(lambda: _name(u.add_(1).grad_fn))
    same(run)


def test_squeeze_view_rebuilt_after_its_base_changed():
    def run(T):
        x = T.tensor([0.5, -1., 2.], requires_grad=True)
        a = x.atan()
        s = a.squeeze()
        a.masked_fill_(a > 0, 0.0)
        s.mean().backward()
        return _name(s.grad_fn), x.grad
    same(run)


# -- detach_ and requires_grad_(False) after the graph was made ---------------------------

def test_leaf_detached_in_place_after_the_forward_gets_no_grad():
    def run(T):
        x = T.tensor([1., 2., 3.], requires_grad=True)
        y = (x * 2).sum()
        x.requires_grad_(False)
        y.backward()
        x2 = T.tensor([1., 2., 3.], requires_grad=True)
        seen = []
        x2.register_hook(lambda g: seen.append(g.tolist()))
        y2 = (x2 * 2).sum()
        x2.detach_()
        y2.backward()
        return x.grad, x2.grad, seen
    same(run)


def test_saved_tensor_detached_in_place():
    def run(T):
        x = T.tensor([1., -2., 3.], requires_grad=True)
        y = x.abs()
        z = y * y
        y.detach_()
        first = _try(lambda: z.sum().backward())
        x.grad = None
        y = x.abs()
        y.detach_()  # (detached before it was saved: a leaf then, no error)
        z = y * x
        z.sum().backward()
        e = x.exp()  # (an op's own output is not refused so)
        e.detach_()
        return first, x.grad, _try(lambda: _name(e.grad_fn))
    same(run)


# -- versions -------------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["t_", "unsqueeze_", "squeeze_", "transpose_"])
def test_in_place_layout_change_of_a_view(op):
    def run(T):
        x = T.arange(6.).reshape(2, 3).requires_grad_()
        y = x * 1
        v = y[0:]
        args = (0,) if op == "unsqueeze_" else (0, 1) if op == "transpose_" else ()
        getattr(v, op)(*args)
        out = [_name(v.grad_fn), v._version, y._version, tuple(v.shape)]
        (v * T.arange(v.numel()).reshape(v.shape)).sum().backward(retain_graph=True)
        out.append(x.grad.clone())
        y.mul_(2)
        out += [_name(v.grad_fn), tuple(v.shape)]
        (v * T.arange(v.numel()).reshape(v.shape)).sum().backward()
        out.append(x.grad)
        p = T.zeros(2, 3)
        q = p[:]
        getattr(q, op)(*args)
        return out, p._version, q._version
    same(run)


def test_versions_of_resize_apply_map_and_matmul():
    def run(T):
        out = []
        for shp in [(2, 3), (3, 2), (6,), (4, 4)]:
            a = T.zeros(2, 3)
            a.resize_(*shp)
            out.append(a._version)
        a = T.zeros(2, 3).t()
        a.resize_(3, 2)
        out += [a._version, a.is_contiguous()]
        a = T.zeros(2, 3)
        a.apply_(lambda v: v + 1)
        a.map_(a, lambda u, v: u + v)
        out += [a._version, a]
        out.append(T.nn.functional.linear(T.ones(3), T.ones(2, 3))._version)
        out.append(T.nn.functional.linear(T.ones(3), T.ones(2, 3), T.ones(2))._version)
        out.append(T.matmul(T.ones(3), T.ones(3, 2))._version)
        out.append(T.matmul(T.ones(2, 3), T.ones(3))._version)
        out.append(T.matmul(T.ones(4, 2, 3), T.ones(3))._version)
        return out
    same(run)


# -- which inputs an op keeps for backward ---------------------------------------------------

def _changed_after(T, f):
    x = T.tensor([1., -2., 3.], requires_grad=True)
    y = x * 1
    r = f(T, y)
    y.add_(1)
    return _try(lambda: (r.sum().backward(), x.grad)[1])


@pytest.mark.parametrize("case", [
    "mm", "mm_w", "dot", "mv", "bmm", "einsum", "matmul_1d", "linear_1d", "linear_1d_w",
    "addcmul", "addcdiv", "addcmul_t2", "renorm", "pdist", "var_mean", "gather"])
def test_input_changed_after_the_forward(case):
    fns = {
        "mm": lambda T, y: y.view(3, 1).mm(T.ones(1, 2)),
        "mm_w": lambda T, y: y.view(3, 1).mm(T.ones(1, 2, requires_grad=True)),
        "dot": lambda T, y: y.dot(T.ones(3)),
        "mv": lambda T, y: T.ones(2, 3).mv(y),
        "bmm": lambda T, y: y.view(1, 3, 1).bmm(T.ones(1, 1, 2)),
        "einsum": lambda T, y: T.einsum("i,i->", y, T.ones(3)),
        "matmul_1d": lambda T, y: y @ T.ones(3, 2),
        "linear_1d": lambda T, y: T.nn.functional.linear(y, T.ones(2, 3)),
        "linear_1d_w": lambda T, y: T.nn.functional.linear(y, T.ones(2, 3, requires_grad=True)),
        "addcmul": lambda T, y: T.addcmul(T.ones(3), y, y),
        "addcdiv": lambda T, y: T.addcdiv(T.ones(3), y, y + 5),
        "addcmul_t2": lambda T, y: T.addcmul(T.ones(3), T.ones(3), y),
        "renorm": lambda T, y: y.view(1, 3).renorm(2, 0, 1),
        "pdist": lambda T, y: T.pdist(y.view(3, 1)),
        "var_mean": lambda T, y: T.var_mean(y)[0],
        "gather": lambda T, y: y.gather(0, T.tensor([0, 2])),
    }
    same(lambda T: _changed_after(T, fns[case]))


def test_gather_keeps_its_input_and_index():
    def run(T):
        x = T.tensor([1., 2., 3.], requires_grad=True)
        i = T.tensor([0, 2])
        g = x.gather(0, i)
        saved = g.grad_fn._saved_self, g.grad_fn._saved_index, g.grad_fn._saved_dim
        i.add_(0)
        return saved, _try(lambda: g.sum().backward()), g.grad_fn._saved_dim
    same(run)


def test_unkept_factor_reads_as_none():
    def run(T):
        a = T.ones(2, 3, requires_grad=True)
        b = T.ones(3, 2)
        o = a.mm(b)
        o2 = b.t().mm(a.t())
        d = T.ones(3, requires_grad=True).dot(T.ones(3))
        return (o.grad_fn._saved_self, tuple(o.grad_fn._saved_mat2.shape),
                tuple(o2.grad_fn._saved_self.shape), o2.grad_fn._saved_mat2,
                d.grad_fn._saved_self, d.grad_fn._saved_tensor)
    same(run)


@pytest.mark.parametrize("op", ["addcmul_", "addcdiv_", "mul_", "addmv_"])
def test_in_place_op_reading_its_own_input(op):
    def run(T):
        x = T.tensor([1., -2., 3.], requires_grad=True)
        y = x * 1
        f = {"addcmul_": lambda: y.addcmul_(y, y), "addcdiv_": lambda: y.addcdiv_(y, y + 5),
             "mul_": lambda: y.mul_(y),
             "addmv_": lambda: y.addmv_(y.view(3, 1).expand(3, 3).clone(), y)}[op]
        return _try(lambda: (f().sum().backward(), x.grad)[1])
    same(run)


def test_copy_backwards_is_named_with_its_namespace():
    def run(T):
        x = T.tensor([[1., 2.], [3., 4.]], requires_grad=True)
        y = x * 1
        y.copy_(x.exp())  # CopyBackwards
        z = y.sqrt()  # saves its result
        z.mul_(2)
        return _try(lambda: z.sum().backward())
    same(run)


@pytest.mark.parametrize("op", ["index_add_", "index_copy_", "scatter_add_", "scatter_",
                                "scatter_reduce_", "put_", "index_reduce_", "index_add_ok"])
def test_index_write_from_its_own_memory(op):
    def run(T):
        y = T.tensor([1., -2., 3., 4.])
        i2 = T.tensor([0, 1])
        f = {"index_add_": lambda: y.index_add_(0, T.arange(4), y),
             "index_copy_": lambda: y.index_copy_(0, i2, y[1:3]),
             "scatter_add_": lambda: y.scatter_add_(0, i2, y[1:3]),
             "scatter_": lambda: y.scatter_(0, i2, y[1:3]),
             "scatter_reduce_": lambda: y.scatter_reduce_(0, i2, y[1:3], "sum"),
             "put_": lambda: y.put_(i2, y[1:3]),
             "index_reduce_": lambda: y.index_reduce_(0, i2, y[1:3], "prod"),
             "index_add_ok": lambda: y.index_add_(0, i2, y.clone()[1:3])}[op]
        return _try(f), y
    same(run)


# -- node names -------------------------------------------------------------------------------

def test_sort_node_names():
    def run(T):
        y = T.tensor([3., 1., 2.], requires_grad=True)
        z = T.tensor(2.0, requires_grad=True)
        names = [_name(y.sort(stable=True)[0].grad_fn), _name(T.sort(y, stable=False)[0].grad_fn),
                 _name(y.sort(0, True)[0].grad_fn), _name(y.msort().grad_fn),
                 _name(z.sort()[0].grad_fn), _name(z.sort(stable=True)[0].grad_fn),
                 _name(z.msort().grad_fn)]
        z.sort()[0].backward()
        return names, z.grad
    same(run)


@pytest.mark.parametrize("f", ["silu", "mish"])
def test_activation_of_a_transposed_input_keeps_its_layout(f):
    def run(T):
        x = T.arange(9.).reshape(3, 3).requires_grad_()
        o = getattr(T.nn.functional, f)(x.t())
        return o.stride(), _name(o.contiguous().grad_fn)
    same(run)


# -- hooks, custom Functions, checkpoint -----------------------------------------------------

def test_post_accumulate_grad_hook_needs_a_tensor_requiring_grad():
    same(lambda T: _try(lambda: T.ones(2).register_post_accumulate_grad_hook(lambda t: None)))


def test_custom_function_edges_are_its_tensor_arguments():
    def run(T):
        class Sq(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.save_for_backward(x)
                ctx.k = k
                return x * x * k

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * 2 * x * ctx.k, None

        class Short(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g

        class Wrong(T.autograd.Function):
            @staticmethod
            def forward(ctx, k, x):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g, g

        x = T.tensor([1., 2.], requires_grad=True)
        y = Sq.apply(x, 3.)
        out = [len(y.grad_fn.next_functions), y.grad_fn.needs_input_grad]
        y.sum().backward()
        out += [x.grad, _try(lambda: Short.apply(x, 2.).sum().backward()),
                _try(lambda: Wrong.apply(2., x).sum().backward())]
        return out
    same(run)


# PyTorch's message (its first checkpoint call takes seconds: its text is kept here instead)
_REENTRANT_PARTIAL = (
    "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing an "
    "`inputs` parameter to .backward(). To resolve this error, you can either set "
    "use_reentrant=False, or call .backward() without passing the `inputs` argument.")


@pytest.mark.parametrize("how", ["grad", "inputs", "backward"])
def test_reentrant_checkpoint_refuses_a_partial_backward(how):
    import ember

    def f(u):
        return (u.sin() * 2).exp()

    x = ember.tensor([0.1, 0.2], requires_grad=True)
    o = ember.utils.checkpoint.checkpoint(f, x, use_reentrant=True).sum()
    if how == "backward":
        o.backward()
        tx = torch.tensor([0.1, 0.2], requires_grad=True)
        f(tx).sum().backward()
        assert x.grad.tolist() == tx.grad.tolist()
        return
    with pytest.raises(RuntimeError) as e:
        ember.autograd.grad(o, x) if how == "grad" else o.backward(inputs=[x])
    assert str(e.value) == _REENTRANT_PARTIAL


# -- in-place activations keep their result ----------------------------------------------------

@pytest.mark.parametrize("op", ["leaky_relu", "elu", "selu", "celu", "rrelu", "LeakyReLU",
                                "ELU"])
@pytest.mark.parametrize("post", ["mul_", "data"])
def test_in_place_activation_keeps_its_result(op, post):
    def run(T):
        F = T.nn.functional
        f = {"leaky_relu": lambda y: F.leaky_relu_(y, 0.1), "elu": lambda y: F.elu_(y),
             "selu": lambda y: F.selu(y, inplace=True), "celu": lambda y: F.celu_(y),
             "rrelu": lambda y: F.rrelu(y, training=False, inplace=True),
             "LeakyReLU": lambda y: T.nn.LeakyReLU(0.2, inplace=True)(y),
             "ELU": lambda y: T.nn.ELU(inplace=True)(y)}[op]
        x = T.tensor([[0.5, -1.], [2., -0.2]], requires_grad=True)
        r = f(x * 1)
        if post == "mul_":
            r.mul_(3)
        else:
            r.data.add_(1)
        return _try(lambda: ((r * 1).sum().backward(), x.grad)[1])
    same(run)


def test_in_place_elu_double_backward():
    def run(T):
        x = T.tensor([[0.5, -1., 0.3], [2., -0.2, -3.]], dtype=T.float64, requires_grad=True)
        o = T.nn.functional.elu(x * 1, inplace=True)
        g, = T.autograd.grad((o * o).sum(), x, create_graph=True)
        gg, = T.autograd.grad(g.sum(), x)
        return _name(o.grad_fn), _name(g.grad_fn), g, gg
    same(run)


# -- backward(inputs=...) and autograd.grad on non-leaf tensors ------------------------------

def test_backward_inputs_make_non_leaves_retain_their_grad():
    def run(T):
        w = T.ones(2, requires_grad=True)
        u = w * 2
        u.register_hook(lambda g: g * 10)
        (u * 3).sum().backward(inputs=[u])
        y = w * 2
        z = (y * 3).sum()
        z.backward(inputs=[y, y], retain_graph=True)
        z.backward(inputs=y)
        a = w * 2
        b = T.ones(2) * 2
        err = _try(lambda: (a * b).sum().backward(inputs=[a, b]))
        return u.grad, u.retains_grad, y.grad, y.retains_grad, w.grad, err, a.retains_grad
    same(run)


def test_autograd_grad_captures_before_hooks_where_the_pass_goes_on():
    def run(T):
        x = T.ones(2, requires_grad=True)
        out = []
        for which in ("y", "yx", "xy"):
            y = x * 2
            y.register_hook(lambda g: g * 10)
            z = (y * 3).sum()
            ins = {"y": [y], "yx": [y, x], "xy": [x, y]}[which]
            out.append(T.autograd.grad(z, ins))
        y = x * 2
        y.register_hook(lambda g: g * 10)
        y.retain_grad()
        out.append((T.autograd.grad((y * 3).sum(), [y, x]), y.grad))
        return out
    same(run)


def test_autograd_grad_runs_no_hook_off_its_path():
    def run(T):
        a = T.ones(2, requires_grad=True)
        b = a * 2
        c = a.exp()
        c.retain_grad()
        seen = []
        c.register_hook(lambda g: seen.append("c"))
        d = b * c  # (b and d are the targets: c's node lies beyond them)
        g = T.autograd.grad(d.sum() + b.sum(), [b, d])
        return g, c.grad, seen
    same(run)


# (the refusals only: PyTorch's first supported run of a custom Function under a transform
# takes seconds)
@pytest.mark.parametrize("setup,transform", [
    (False, "vmap"), (False, "grad"), (False, "jvp"), (False, "jacrev"), (False, "jacfwd"),
    (False, "vjp"), (False, "hessian"), (False, "plain"), (True, "vmap"), (True, "jvp"),
    (True, "jacfwd"), (True, "hessian")])
def test_custom_function_under_func_transforms(setup, transform):
    def run(T):
        if setup:
            class Sq(T.autograd.Function):
                @staticmethod
                def forward(x):
                    return x * x

                @staticmethod
                def setup_context(ctx, inputs, output):
                    ctx.save_for_backward(inputs[0])

                @staticmethod
                def backward(ctx, g):
                    x, = ctx.saved_tensors
                    return 2 * x * g
        else:
            class Sq(T.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    ctx.save_for_backward(x)
                    return x * x

                @staticmethod
                def backward(ctx, g):
                    x, = ctx.saved_tensors
                    return 2 * x * g
        F, x = T.func, T.tensor([1., 2.])
        return _try({"vmap": lambda: F.vmap(Sq.apply)(x),
                     "grad": lambda: F.grad(lambda t: Sq.apply(t).sum())(x),
                     "jvp": lambda: F.jvp(Sq.apply, (x,), (T.ones(2),)),
                     "jacrev": lambda: F.jacrev(Sq.apply)(x),
                     "jacfwd": lambda: F.jacfwd(Sq.apply)(x),
                     "vjp": lambda: F.vjp(Sq.apply, x)[0],
                     "hessian": lambda: F.hessian(lambda t: Sq.apply(t).sum())(x),
                     "plain": lambda: Sq.apply(x)}[transform])
    same(run, warns=False)  # (PyTorch's first jvp warns from its lazy imports)


@pytest.mark.parametrize("op", ["uniform_", "normal_", "bernoulli_", "random_", "exponential_",
                                "cauchy_", "geometric_", "log_normal_", "fill_", "zero_"])
def test_random_fill_of_an_expanded_tensor(op):
    def run(T):
        T.manual_seed(0)
        b = T.tensor([1., 2.])
        t = b.expand(2, 2)
        f = {"uniform_": lambda: t.uniform_(), "normal_": lambda: t.normal_(),
             "bernoulli_": lambda: t.bernoulli_(0.5), "random_": lambda: t.random_(2),
             "exponential_": lambda: t.exponential_(), "cauchy_": lambda: t.cauchy_(),
             "geometric_": lambda: t.geometric_(0.5), "log_normal_": lambda: t.log_normal_(),
             "fill_": lambda: t.fill_(2.), "zero_": lambda: t.zero_()}[op]
        return _try(f), b, b._version, T.rand(2)  # (no draw was made before the refusal)
    same(run)


@pytest.mark.parametrize("op", ["mm", "matmul", "bmm", "addmm", "mv", "mul", "div", "atan2",
                                "maximum", "pow", "hypot", "lerp", "xlogy", "fmod", "outer",
                                "addcmul", "einsum"])
def test_which_changed_input_the_error_names(op):
    # both inputs changed in place: the one PyTorch's backward unpacks first is named
    def run(T):
        f = {"mm": lambda a, b: a.mm(b), "matmul": lambda a, b: a @ b,
             "bmm": lambda a, b: a.unsqueeze(0).bmm(b.unsqueeze(0)),
             "addmm": lambda a, b: T.addmm(T.ones(2, 2), a, b),
             "mv": lambda a, b: a.mv(b[:, 0].contiguous()), "mul": lambda a, b: a * b.t(),
             "div": lambda a, b: a / b.t(), "atan2": lambda a, b: T.atan2(a, b.t()),
             "maximum": lambda a, b: T.maximum(a, b.t()), "pow": lambda a, b: a ** b.t(),
             "hypot": lambda a, b: T.hypot(a, b.t()), "lerp": lambda a, b: T.lerp(a, b.t(), a),
             "xlogy": lambda a, b: T.xlogy(a, b.t()), "fmod": lambda a, b: T.fmod(a, b.t()),
             "outer": lambda a, b: T.outer(a[0], b[:, 0]),
             "addcmul": lambda a, b: T.addcmul(a, a, b.t()),
             "einsum": lambda a, b: T.einsum("ij,jk->ik", a, b)}[op]
        a = T.ones(2, 3, requires_grad=True).exp()
        b = T.ones(3, 2, requires_grad=True).sin()
        m = f(a, b)
        a.add_(1)
        b.add_(1)
        return _try(lambda: m.sum().backward())
    same(run)


def test_set_multithreading_enabled():
    def run(T):
        out = [T.autograd.is_multithreading_enabled()]
        with T.autograd.set_multithreading_enabled(False):
            out.append(T.autograd.is_multithreading_enabled())
        out.append(T.autograd.is_multithreading_enabled())
        T.autograd.set_multithreading_enabled(False)
        out.append(T.autograd.is_multithreading_enabled())
        T.autograd.set_multithreading_enabled(True)
        return out
    same(run)
