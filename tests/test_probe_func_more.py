"""Differential checks of ``torch.func`` and forward-mode AD as users write them: pytrees
holding a ``torch.Size``, vmap's ``in_dims`` checks, ``jacfwd``/``hessian`` blocks (signs of
zeros, dtypes: forward mode's columns), and forward-mode tangents and double backward of
sigmoid and gelu bit for bit.  Each case runs the same code on ember and on PyTorch and
asserts the same result, or the same exception type and message."""
import pytest

torch = pytest.importorskip("torch")
from diff import same  # noqa: E402


def _hex(t):
    return t.detach().contiguous().numpy().tobytes().hex()


# -- pytrees: torch.Size is a node of ints -------------------------------------------------

def test_size_is_a_pytree_node():
    def run(T):
        from importlib import import_module

        pytree = import_module(T.__name__ + ".utils._pytree")
        leaves, spec = pytree.tree_flatten((T.Size([2, 3]), T.ones(1)))
        back = pytree.tree_unflatten([5, 6, T.zeros(1)], spec)
        return leaves[:2], str(spec), back, type(back[0]).__name__, \
            pytree.tree_map(lambda v: v * 2 if isinstance(v, int) else v, T.Size([4]))
    same(run)


@pytest.mark.parametrize("case", ["shape", "shape_none", "size_none"])
def test_vmap_returning_a_shape(case):
    def run(T):
        f = {"shape": lambda a: a.shape,
             "shape_none": lambda a: (a * 2, a.shape),
             "size_none": lambda a: (a.sum(), a.size(0))}[case]
        out_dims = {"shape": 0, "shape_none": (0, None), "size_none": (0, None)}[case]
        return T.func.vmap(f, out_dims=out_dims)(T.arange(12.).reshape(3, 4))
    same(run)


def test_vmap_in_dims_bool_reaches_size():
    def run(T):
        return T.func.vmap(T.sum, in_dims=True)(T.ones(3, 4))
    same(run)


# -- jacfwd: forward mode's columns ----------------------------------------------------------

@pytest.mark.parametrize("case", ["mul_argnums", "aux", "hessian2", "hessian_mixed", "abs",
                                  "std", "pow"])
def test_jacfwd_blocks_bit_for_bit(case):
    def run(T):
        g = T.Generator().manual_seed(0)
        x, y = T.randn(3, generator=g), T.randn(3, generator=g)
        m = T.randn(2, 3, generator=g)
        jf, hs = T.func.jacfwd, T.func.hessian
        out = {
            "mul_argnums": lambda: jf(lambda a, b: a * b, argnums=(0, 1))(x, y),
            "aux": lambda: jf(lambda a: (a.sin(), {"s": a.sum()}), has_aux=True)(x),
            "hessian2": lambda: hs(lambda a, b: (a * b ** 2).sum(), argnums=(0, 1))(x, y),
            "hessian_mixed": lambda: hs(lambda a: (a.sin() * a.exp()).sum())(x),
            "abs": lambda: jf(lambda a: a.abs() * 3)(m),
            "std": lambda: jf(lambda a: a.std(1))(m),
            "pow": lambda: jf(lambda a: a.pow(2))(m),
        }[case]()
        from importlib import import_module

        leaves = import_module(T.__name__ + ".utils._pytree").tree_leaves(out)
        return [(str(v.dtype), tuple(v.shape), _hex(v)) for v in leaves]
    same(run, warns=False)  # (PyTorch's first jacfwd loads its decompositions: warns)


@pytest.mark.parametrize("case", ["long", "double", "unrelated_double"])
def test_jacfwd_block_dtypes(case):
    def run(T):
        x, y = T.tensor([1.5, -2.0]), T.tensor([0.5, 3.0])
        f = {"long": lambda a: (a.sin(), a.long()), "double": lambda a: a.double() * 2,
             "unrelated_double": lambda a: y.double()}[case]
        return T.func.jacfwd(f)(x)
    same(run, warns=False)


# -- forward mode and double backward of sigmoid and gelu ----------------------------------

@pytest.mark.parametrize("op", ["sigmoid", "gelu", "gelu_tanh", "chain"])
def test_tangents_bit_for_bit(op):
    def run(T):
        F = T.nn.functional
        g = T.Generator().manual_seed(1)
        x, t = T.randn(2, 3, 40, generator=g) * 3, T.randn(2, 3, 40, generator=g)
        f = {"sigmoid": T.sigmoid, "gelu": F.gelu,
             "gelu_tanh": lambda a: F.gelu(a, approximate="tanh"),
             "chain": lambda a: T.sigmoid(F.gelu(a) * 2).sum(-1)}[op]
        fwAD = T.autograd.forward_ad
        with fwAD.dual_level():
            tangent = fwAD.unpack_dual(f(fwAD.make_dual(x, t))).tangent
        return _hex(tangent), _hex(T.func.jvp(f, (x,), (t,))[1]), tangent.requires_grad
    same(run, warns=False)


@pytest.mark.parametrize("op", ["sigmoid", "gelu"])
def test_double_backward_bit_for_bit(op):
    def run(T):
        g = T.Generator().manual_seed(2)
        x = (T.randn(50, generator=g) * 3).requires_grad_()
        v = T.randn(50, generator=g).requires_grad_()
        t = T.randn(50, generator=g)
        f = T.sigmoid if op == "sigmoid" else T.nn.functional.gelu
        gx, = T.autograd.grad(f(x), x, v, create_graph=True)
        gv, gxx = T.autograd.grad(gx, (v, x), t)
        node = gx.grad_fn
        edges = [type(n).__name__ if n is not None else None for n, _ in node.next_functions]
        # (NOTE: ember's GeluBackwardBackward0 shows other edges than PyTorch's)
        return (_hex(gx), _hex(gv), gxx.abs().sum().item() > 0, node.name(),
                edges if op == "sigmoid" else None)
    same(run)


# -- forward_ad's refusals: levels, dual of a dual, non-tensors ------------------------------

@pytest.mark.parametrize("case", ["level5", "level5_long", "dual_level5", "dual_of_dual",
                                  "dual_of_derived", "param_dual_derived", "unpack_level1",
                                  "unpack_plain_level1", "unpack_list", "unpack_none",
                                  "exit_level1"])
def test_forward_ad_refusals_inside_a_level(case):
    def run(T):
        fwAD = T.autograd.forward_ad
        x, w = T.tensor([0.5, -1.0, 2.0]), T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with fwAD.dual_level():
            d = fwAD.make_dual(x, T.ones(3))
            return {
                "level5": lambda: fwAD.make_dual(x, T.ones(4), level=5),
                "level5_long": lambda: fwAD.make_dual(x.long(), T.ones(4), level=5),
                "dual_level5": lambda: fwAD.make_dual(d, T.ones(4), level=5),
                "dual_of_dual": lambda: fwAD.make_dual(d, T.ones(4)),
                "dual_of_derived": lambda: fwAD.make_dual(d.sin(), T.ones(3)),
                "param_dual_derived": lambda: fwAD.make_dual(w * 2, T.ones(3)),
                "unpack_level1": lambda: fwAD.unpack_dual(d.sin(), level=1),
                "unpack_plain_level1": lambda: fwAD.unpack_dual(x, level=1),
                "unpack_list": lambda: fwAD.unpack_dual([1]),
                "unpack_none": lambda: fwAD.unpack_dual(None),
                "exit_level1": lambda: fwAD.exit_dual_level(level=1),
            }[case]()
    same(run, warns=False)


@pytest.mark.parametrize("case", ["make_level0", "make", "unpack_level0", "unpack_float",
                                  "exit", "exit_0", "exit_minus3"])
def test_forward_ad_refusals_outside_a_level(case):
    def run(T):
        fwAD = T.autograd.forward_ad
        x = T.tensor([0.5, -1.0])
        return {
            "make_level0": lambda: fwAD.make_dual(x, T.ones(2), level=0),
            "make": lambda: fwAD.make_dual(x, T.ones(2)),
            "unpack_level0": lambda: fwAD.unpack_dual(x, level=0),
            "unpack_float": lambda: fwAD.unpack_dual(3.0),
            "exit": lambda: fwAD.exit_dual_level(),
            "exit_0": lambda: fwAD.exit_dual_level(level=0),
            "exit_minus3": lambda: fwAD.exit_dual_level(level=-3),
        }[case]()
    same(run, warns=False)


# -- vmap: in-place ops writing a mapped tensor into an unmapped one -----------------------

@pytest.mark.parametrize("case", ["add", "add_rows", "add_view", "add_alpha", "iadd", "sub",
                                  "mul", "imul", "div", "copy", "pow", "fmod", "nested",
                                  "into_mapped", "mapped_scalar"])
def test_vmap_inplace_into_an_unmapped_input(case):
    def run(T):
        vmap = T.func.vmap
        x = T.arange(12.).reshape(3, 4)

        def acc(a, b):
            a += b
            return a
        f, a = {
            "add": (lambda a, b: a.add_(b), T.zeros(4)),
            "add_rows": (lambda a, b: a.add_(b), T.zeros(2, 4)),
            "add_view": (lambda a, b: a[0].add_(b), T.zeros(2, 4)),
            "add_alpha": (lambda a, b: a.add_(b, alpha=2), T.zeros(4)),
            "iadd": (acc, T.zeros(4)),
            "sub": (lambda a, b: a.sub_(b), T.zeros(4)),
            "mul": (lambda a, b: a.mul_(b), T.ones(4)),
            "imul": (lambda a, b: a.__imul__(b), T.ones(4)),
            "div": (lambda a, b: a.div_(b), T.ones(4)),
            "copy": (lambda a, b: a.copy_(b), T.zeros(4)),
            "pow": (lambda a, b: a.pow_(b), T.ones(4)),
            "fmod": (lambda a, b: a.fmod_(b), T.ones(4)),
            "nested": (vmap(lambda a, b: a.add_(b), in_dims=(None, 0)), T.zeros(2, 4)),
            "into_mapped": (lambda a, b: b.add_(a), T.ones(4)),
            "mapped_scalar": (lambda a, b: b.mul_(2), T.ones(4)),
        }[case]
        if case == "nested":
            return vmap(f, in_dims=(0, None))(a, x)
        return vmap(f, in_dims=(None, 0))(a, x.clone())
    same(run, warns=False)  # (PyTorch's fallback for pow_ and fmod_ warns)


# -- requires_grad_() inside a transformed function ----------------------------------------

@pytest.mark.parametrize("case", ["grad_new", "grad_false", "grad_input", "vmap_new",
                                  "jvp_input", "vjp_new", "jacrev_new", "outer_param",
                                  "factory_kwarg", "setter"])
def test_requires_grad_inside_a_transform(case):
    def run(T):
        fn = T.func
        x = T.tensor([0.5, -1.0, 2.0])
        w = T.ones(3, requires_grad=True)

        def setter(a):
            t = T.ones(3)
            t.requires_grad = True
            return (a * t).sum()
        return {
            "grad_new": lambda: fn.grad(lambda a: a.sum() + T.ones(2).requires_grad_().sum())(x),
            "grad_false": lambda: fn.grad(lambda a: a.sum().requires_grad_(False))(x),
            "grad_input": lambda: fn.grad(lambda a: a.requires_grad_().sum())(x),
            "vmap_new": lambda: fn.vmap(lambda a: T.ones(2).requires_grad_().sum() + a)(x),
            "jvp_input": lambda: fn.jvp(lambda a: a.requires_grad_(), (x,), (x,)),
            "vjp_new": lambda: fn.vjp(lambda a: a * T.ones(3).requires_grad_(), x),
            "jacrev_new": lambda: fn.jacrev(lambda a: a * T.ones(3).requires_grad_())(x),
            "outer_param": lambda: fn.grad(lambda a: (a * w.requires_grad_(True)).sum())(x),
            "factory_kwarg": lambda: fn.grad(
                lambda a: (a * T.ones(3, requires_grad=True)).sum())(x).detach(),
            "setter": lambda: fn.grad(setter)(x).detach(),
        }[case]()
    same(run)


# -- randomness='error' sees every CPU generator --------------------------------------------

@pytest.mark.parametrize("case", ["vmap_generator", "vmap_generator_same", "nested_error_outer",
                                  "nested_same_in_different", "jacfwd_generator",
                                  "vmap_grad_rand"])
def test_randomness_error_with_a_generator(case):
    def run(T):
        fn = T.func
        x = T.arange(6.).reshape(2, 3)
        g = T.Generator().manual_seed(3)
        out = _try_call(lambda: {
            "vmap_generator": lambda: fn.vmap(lambda a: a + T.rand(3, generator=g))(x),
            "vmap_generator_same": lambda: fn.vmap(
                lambda a: a + T.randn(3, generator=g), randomness="same")(x),
            "nested_error_outer": lambda: fn.vmap(fn.vmap(
                lambda a: a + T.rand(()), randomness="different"))(x),
            "nested_same_in_different": lambda: fn.vmap(fn.vmap(
                lambda a: a + T.rand((), generator=g), randomness="same"),
                randomness="different")(x).shape,
            "jacfwd_generator": lambda: fn.jacfwd(lambda a: a + T.rand(3, generator=g))(x[0]),
            "vmap_grad_rand": lambda: fn.vmap(fn.grad(
                lambda a: (a * T.rand(3, generator=g)).sum()))(x),
        }[case]())
        return out, T.rand(2, generator=g)  # (a refused draw leaves the generator as it was)
    same(run, warns=False)


def _try_call(f):
    try:
        return repr(f())
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return f"{type(e).__name__}: {e}"


# -- jacrev/jacfwd refuse complex inputs and outputs ----------------------------------------

@pytest.mark.parametrize("case", ["rev_in_unused", "rev_in", "rev_out", "rev_out_second",
                                  "rev_aux_complex", "fwd_in", "fwd_out", "fwd_aux_complex",
                                  "hessian", "fwd_dict"])
def test_jacobians_refuse_complex(case):
    def run(T):
        fn = T.func
        x = T.tensor([0.5, -1.0, 2.0])
        c = x.to(T.complex64)
        return {
            "rev_in_unused": lambda: fn.jacrev(lambda a, b: a.abs() + b, argnums=1)(c, x),
            "rev_in": lambda: fn.jacrev(lambda a: a.abs())(c),
            "rev_out": lambda: fn.jacrev(lambda a: a * (1 + 1j))(x),
            "rev_out_second": lambda: fn.jacrev(lambda a: (a, a * 1j))(x),
            "rev_aux_complex": lambda: fn.jacrev(
                lambda a: (a.abs(), {"c": a * 1j}), has_aux=True)(x),
            "fwd_in": lambda: fn.jacfwd(lambda a, b: a.abs() + b, argnums=1)(c, x),
            "fwd_out": lambda: fn.jacfwd(lambda a, b: (a, b * 1j), argnums=(0, 1))(x, x),
            "fwd_aux_complex": lambda: fn.jacfwd(
                lambda a: (a, {"c": a * 1j}), has_aux=True)(x),
            "hessian": lambda: fn.hessian(lambda a: a.abs().sum())(c),
            "fwd_dict": lambda: fn.jacfwd(lambda d: d["k"])({"k": c}),
        }[case]()
    same(run, warns=False)


# -- pytrees: torch.return_types are nodes of their own ------------------------------------

@pytest.mark.parametrize("case", ["spec", "unflatten", "tree_map", "paths", "nested", "dumps",
                                  "vmap_out", "vmap_out_dims", "size_dumps"])
def test_return_types_are_pytree_nodes(case):
    def run(T):
        from importlib import import_module

        pt = import_module(T.__name__ + ".utils._pytree")
        x = T.arange(6.).view(2, 3)
        leaves, spec = pt.tree_flatten(x.max(0))
        return {
            "spec": lambda: str(spec),
            "unflatten": lambda: pt.tree_unflatten(leaves, spec),
            "tree_map": lambda: pt.tree_map(lambda t: t * 2, x.sort(1)),
            "paths": lambda: [pt.keystr(p) for p, _ in pt.tree_flatten_with_path(x.aminmax())[0]],
            "nested": lambda: str(pt.tree_flatten((x.min(1), [x.kthvalue(1, 1)]))[1]),
            "dumps": lambda: pt.treespec_dumps(spec),
            "vmap_out": lambda: T.func.vmap(lambda a: a.max(0))(x),
            "vmap_out_dims": lambda: T.func.vmap(lambda a: a.max(0), out_dims=(0, 0, 0))(x),
            "size_dumps": lambda: pt.treespec_dumps(pt.tree_flatten(T.Size([1, 2]))[1]),
        }[case]()
    same(run)


def test_sigmoid_second_derivatives_bit_for_bit():
    def run(T):
        x = T.tensor([[0.3, -1.2, 2.0], [0.0, 4.0, -0.7]])
        h = T.autograd.functional.hessian(lambda a: T.sigmoid(a).sum(), x)
        x64 = x.double().requires_grad_()
        g, = T.autograd.grad(T.sigmoid(x64).sum(), x64, create_graph=True)
        gg, = T.autograd.grad(g.sum(), x64)
        t = T.randn(2, 3, dtype=T.float64, generator=T.Generator().manual_seed(0))
        fwAD = T.autograd.forward_ad
        with fwAD.dual_level():
            tangent = fwAD.unpack_dual(T.sigmoid(fwAD.make_dual(x.double(), t))).tangent
        return _hex(h), _hex(gg), g.grad_fn.name(), _hex(tangent)
    same(run, warns=False)
