"""Differential checks of what users print besides plain tensors (grad_fn nodes and their
next_functions, the messages naming PyTorch's C types, ...): each case runs the same code on
ember and on PyTorch and asserts the same printed result, or the same exception type and
message, and the same warnings."""
import pytest

torch = pytest.importorskip("torch")
from diff import same  # noqa: E402


def _chain(g, depth=4):
    """The names of a grad_fn and of its first inputs' nodes, ``depth`` deep, with how many
    inputs each has."""
    out = []
    while g is not None and depth:
        out.append((type(g).__name__, len(g.next_functions)))
        nxt = [n for n, _ in g.next_functions if n is not None]
        g = nxt[0] if nxt else None
        depth -= 1
    return out


# -- grad_fn nodes -------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3,), (3, 1), (2, 3), ()])
def test_roll_without_dims_is_one_roll_node(shape):
    def run(T):
        T.manual_seed(0)
        x = T.randn(shape, requires_grad=True)
        w = T.randn(shape)
        outs = [x.roll(1), T.roll(x, (2,)), x.roll(1, ())]
        (outs[0] * w).sum().backward()
        return [(str(r), _chain(r.grad_fn)) for r in outs], x.grad
    same(run)


@pytest.mark.parametrize("case", [
    lambda T, t0, t1: t0.roll(1, 0), lambda T, t0, t1: t0.roll(1, -1),
    lambda T, t0, t1: t0.roll(1, 1), lambda T, t0, t1: t1.roll((1, 1), (0, 0)),
    lambda T, t0, t1: t1.roll((), ()), lambda T, t0, t1: t1.roll((1, 2), 5),
    lambda T, t0, t1: t0.roll((1, 2), (0,)), lambda T, t0, t1: t1.roll(T.tensor(1)),
    lambda T, t0, t1: t1.roll(1, T.tensor(0)), lambda T, t0, t1: t1.roll([1, 2]),
    lambda T, t0, t1: t1.view(2, 2).roll(1, (0, 1))])
def test_roll_dims_and_shifts(case):
    same(lambda T: case(T, T.tensor(2.), T.arange(4.)))


@pytest.mark.parametrize("kw", [{}, {"r": 3}, {"with_replacement": True}, {"r": 1},
                                {"r": 0}, {"r": 3, "with_replacement": True}, {"r": 6}])
def test_combinations_graph(kw):
    def run(T):
        T.manual_seed(0)
        v = T.randn(5, requires_grad=True)
        r = T.combinations(v, **kw)
        if r.numel():
            r.pow(2).sum().backward()
        return str(r), _chain(r.grad_fn), v.grad
    same(run)


@pytest.mark.parametrize("kw", [
    {"q": 0.5}, {"q": 0.3, "dim": 1}, {"q": 0.3, "dim": -1, "keepdim": True},
    {"q": [0.2, 0.7], "keepdim": True}, {"q": [0.2, 0.7], "dim": 0},
    {"q": [0.2, 0.7], "dim": 0, "keepdim": True}, {"q": 0.3, "keepdim": True},
    {"q": 0.3, "interpolation": "higher", "dim": 0}, {"q": 0.4, "tensor": True}])
@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
def test_quantile_ends_in_the_inplace_squeeze_node(kw, fn):
    def run(T):
        T.manual_seed(0)
        x = T.randn(3, 4, 2)
        x[0, 1, 0] = float("nan")
        x.requires_grad_()
        args = dict(kw)
        q = args.pop("q")
        if isinstance(q, list) or args.pop("tensor", False):
            q = T.tensor(q)
        r = getattr(T, fn)(x, q, **args)
        r.sum().backward()
        return str(r), _chain(r.grad_fn, 2), x.grad
    same(run)


@pytest.mark.parametrize("name", ["vstack", "row_stack"])
def test_vstack_unsqueezes_1d_inputs(name):
    def run(T):
        v = T.ones(3, requires_grad=True)
        s = T.tensor(1., requires_grad=True)
        return [(r.shape, _chain(r.grad_fn, 2))
                for r in (getattr(T, name)([v, v]), getattr(T, name)([s, s]))]
    same(run)


@pytest.mark.parametrize("case", [
    lambda v: v.broadcast_to(3, 4), lambda v: v.broadcast_to((3, 4)),
    lambda v: v.broadcast_to([3, 4]), lambda v: v.broadcast_to(size=(2, 4)),
    lambda v: v.broadcast_to(4), lambda v: v.broadcast_to(3), lambda v: v.broadcast_to(),
    lambda v: v.broadcast_to((2, -1))])
def test_broadcast_to_method_takes_sizes_as_varargs(case):
    same(lambda T: case(T.ones(4)).shape)


def test_broadcast_to_function_arguments():
    def run(T):
        v = T.ones(4)
        out = [T.broadcast_to(v, size=(2, 4)).shape]
        try:
            T.broadcast_to(v, 3, 4)
        except TypeError as e:
            out.append(str(e))
        return out
    same(run)


# -- the C types' names in Python's messages ------------------------------------------------

@pytest.mark.parametrize("case", [
    lambda T, x: x.shape(), lambda T, x: x.dtype(), lambda T, x: x.device(),
    lambda T, x: x.shape.foo, lambda T, x: x.dtype.foo, lambda T, x: x.device.foo,
    lambda T, x: iter(x.dtype), lambda T, x: x.dtype < x.dtype, lambda T, x: len(x.dtype),
    lambda T, x: x.device[0], lambda T, x: x.shape - 1, lambda T, x: T.float32 + 1,
    lambda T, x: T.finfo(T.float32).foo, lambda T, x: T.iinfo(T.int32).eps,
    lambda T, x: T.finfo(T.float32)(), lambda T, x: T.Generator().foo,
    lambda T, x: T.strided(), lambda T, x: T.channels_last(), lambda T, x: T.strided.foo,
    lambda T, x: T.bfloat16(), lambda T, x: [1] * x.shape, lambda T, x: (3,) * x.shape,
    lambda T, x: x.shape * x.shape, lambda T, x: 1 + x.shape, lambda T, x: [1] + x.shape,
    lambda T, x: None * x.shape, lambda T, x: 1.5 * x.shape])
def test_messages_name_the_c_types(case):
    same(lambda T: case(T, T.ones(2, 3)))


@pytest.mark.parametrize("other", [1, [1], "a", None, 1.5, (3,), "size", "tensor"])
def test_size_concatenation(other):
    def run(T):
        s = T.Size([2, 3])
        o = {"size": T.Size([4]), "tensor": T.tensor([1])}.get(other, other) \
            if isinstance(other, str) else other
        out = []
        for f in (lambda: s + o, lambda: s * o, lambda: 2 * s):
            try:
                r = f()
                out.append((type(r).__name__, repr(r)))
            except TypeError as e:
                out.append(str(e))
        return out
    same(run)


def test_c_types_keep_their_short_names():
    def run(T):
        return [(c.__name__, c.__qualname__) for c in (
            T.Size, T.dtype, T.device, T.finfo, T.iinfo, T.Generator, T.layout,
            T.memory_format)] + [type(o).__name__ for o in (
                T.Size([1]), T.float32, T.device("cpu"), T.finfo(), T.iinfo(T.int8),
                T.Generator(), T.strided, T.channels_last)]
    same(run)


# -- setitem with a key that is the whole tensor -------------------------------------------

def _setitem_graph(T, idx, val, base_grad=True):
    x = T.arange(12.).view(3, 4).requires_grad_(base_grad)
    y = x.clone() if base_grad else T.zeros(3, 4)
    y[idx] = val
    out = [str(y), _chain(y.grad_fn, 3), y._version]
    if y.requires_grad:
        y.sum().backward()
        out += [x.grad if base_grad else None,
                val.grad if isinstance(val, T.Tensor) and val.requires_grad else None]
    return out


_KEYS = {"ellipsis": Ellipsis, "slice": slice(None), "slices": (slice(None), slice(0, 4)),
         "()": (), "slice(0,10)": slice(0, 10), "ellipsis-slice": (Ellipsis, slice(None)),
         "slice(-3,)": slice(-3, None), "None": None, "True": True, "0": 0}
_VALUES = {"float": lambda T: 2.5, "0d": lambda T: T.tensor(3.), "row": lambda T: T.ones(4),
           "full": lambda T: T.ones(3, 4), "0d-grad": lambda T: T.tensor(2., requires_grad=True),
           "row-grad": lambda T: T.ones(4, requires_grad=True),
           "1x1x4-grad": lambda T: T.ones(1, 1, 4, requires_grad=True),
           "col-grad": lambda T: T.ones(3, 1, requires_grad=True)}


@pytest.mark.parametrize("value", list(_VALUES))
@pytest.mark.parametrize("key", list(_KEYS))
def test_setitem_nodes(key, value):
    same(lambda T: _setitem_graph(T, _KEYS[key], _VALUES[value](T)))


@pytest.mark.parametrize("value", ["row-grad", "0d-grad", "full"])
@pytest.mark.parametrize("key", ["slice", "ellipsis", "0"])
def test_setitem_into_a_tensor_without_grad(key, value):
    same(lambda T: _setitem_graph(T, _KEYS[key], _VALUES[value](T), base_grad=False))


@pytest.mark.parametrize("key", ["slice", "ellipsis", "()", "0", "slice(0,2)"])
def test_setitem_on_a_leaf_that_requires_grad(key):
    def run(T):
        w = T.zeros(3, requires_grad=True)
        w[_KEYS[key] if key != "slice(0,2)" else slice(0, 2)] = 1.
    same(run)


@pytest.mark.parametrize("dt", ["float32", "int64", "bool"])
def test_complex_value_into_a_real_tensor(dt):
    def run(T):
        out = []
        for f in (lambda z: z.fill_(T.tensor(1.5 + 2j)),
                  lambda z: z.__setitem__(slice(None), T.tensor(1.5 + 2j)),
                  lambda z: z.__setitem__(0, T.tensor(1.5 + 2j))):
            z = T.zeros(2, dtype=getattr(T, dt))
            f(z)
            out.append(z)
        return out
    same(run)


def test_whole_key_values_of_other_layouts():
    def run(T):
        T.manual_seed(0)
        out = []
        for v in (T.randn(4, 1).t(), T.randn(8)[::2], T.randn(3, 1).expand(3, 4),
                  T.randn(1, 3, 8)[..., ::2], T.tensor([300, 2, 3, 4]), T.randn(1).expand(4)):
            for idx in (slice(None), Ellipsis, 0):
                y = T.zeros(3, 4, dtype=T.int8 if v.dtype == T.int64 else T.float32)
                y[idx] = v
                out.append((y, y._version))
        y = T.arange(6.).view(2, 3)
        y[:] = y[0]
        return out, y
    same(run)


# -- deprecated torch attributes -------------------------------------------------------------

@pytest.mark.parametrize("name", ["has_mps", "has_cuda", "has_cudnn"])
def test_deprecated_has_attributes_warn(name):
    same(lambda T: getattr(T, name))


# -- ops that cast to their ``dtype`` inside their own node ----------------------------------

@pytest.mark.parametrize("op", [
    lambda T, x: x.cumsum(0, dtype=T.float64), lambda T, x: x.cumprod(1, dtype=T.float64),
    lambda T, x: x.prod(dtype=T.float64), lambda T, x: x.prod(0, keepdim=True, dtype=T.float64),
    lambda T, x: T.cumsum(x, 1, dtype=T.float64), lambda T, x: x.cumsum(0, dtype=T.float32),
    lambda T, x: T.linalg.vector_norm(x, dtype=T.float64),
    lambda T, x: T.linalg.vector_norm(x, 1, 0, dtype=T.float64),
    lambda T, x: T.linalg.matrix_norm(x, dtype=T.float64),
    lambda T, x: T.linalg.matrix_norm(x, 1, dtype=T.float64),
    lambda T, x: T.linalg.norm(x, dtype=T.float64)])
def test_dtype_cast_inside_the_node(op):
    def run(T):
        T.manual_seed(0)
        x = T.randn(3, 4, requires_grad=True)
        r = op(T, x)
        r.sum().backward()
        return str(r), _chain(r.grad_fn, 2), x.grad
    same(run)


def test_softmin_casts_after_negating():
    def run(T):
        T.manual_seed(0)
        r = T.nn.functional.softmin(T.randn(3, 4, requires_grad=True), 0, dtype=T.float64)
        return str(r), _chain(r.grad_fn, 3)
    same(run)


@pytest.mark.parametrize("inp", ["float32", "int64", "float64", "complex64", "float16"])
@pytest.mark.parametrize("dt", ["float64", "float32", "int64", "complex64", "float16",
                                "bfloat16"])
def test_norm_dtype_checks(inp, dt):
    def run(T):
        a = T.arange(3.).to(getattr(T, inp))
        out = []
        for f in (lambda: T.linalg.vector_norm(a, dtype=getattr(T, dt)),
                  lambda: T.linalg.matrix_norm(a.view(1, 3), dtype=getattr(T, dt)),
                  lambda: T.linalg.matrix_norm(a.view(1, 3), 1, dtype=getattr(T, dt))):
            try:
                out.append(f())
            except RuntimeError as e:
                out.append(str(e))
        return out
    same(run)


@pytest.mark.parametrize("ord", [1, -1, float("inf"), float("-inf"), "nuc", 2])
@pytest.mark.parametrize("kw", [{}, {"keepdim": True}, {"dim": (0, 2)}, {"dim": (2, 0)},
                                {"dim": (-1, -3), "keepdim": True}])
def test_matrix_norm_graph(ord, kw):
    def run(T):
        T.manual_seed(0)
        x = T.randn(2, 3, 4, requires_grad=True)
        r = T.linalg.matrix_norm(x, ord, **kw)
        r.sum().backward()
        return str(r), _chain(r.grad_fn, 2), x.grad
    same(run)


@pytest.mark.parametrize("case", [
    lambda T, x, v: x.index_put((T.tensor([0]),), T.tensor(1.)),
    lambda T, x, v: x.index_put((T.tensor([0, 2]),), v),
    lambda T, x, v: x.index_put((T.tensor([0, 0]),), v, accumulate=True),
    lambda T, x, v: T.index_put(x, (T.tensor([1]), T.tensor([2])), T.tensor(5.)),
    lambda T, x, v: x.detach().index_put((T.tensor([0]),), v),
    lambda T, x, v: x.index_put((T.tensor([5]),), v),
    lambda T, x, v: x.index_put((T.tensor([True, False, True]),), T.tensor(0.))])
def test_index_put_is_one_node(case):
    def run(T):
        T.manual_seed(0)
        x = T.randn(3, 4, requires_grad=True)
        v = T.randn(4, requires_grad=True)
        r = case(T, x, v)
        r.sum().backward()
        return str(r), _chain(r.grad_fn, 2), [len(r.grad_fn.next_functions)], x.grad, v.grad
    same(run)


@pytest.mark.parametrize("shape,n", [((5,), 1), ((4, 8), 1), ((4, 8), 8), ((2, 3, 5), 3),
                                     ((2, 3, 4, 4), 3), ((), 1)])
def test_prelu_views_its_weight(shape, n):
    def run(T):
        T.manual_seed(0)
        x = T.randn(shape, requires_grad=True)
        m = T.nn.PReLU(n)
        r = m(x)
        gx, gw = T.autograd.grad(r.pow(2).sum(), (x, m.weight), create_graph=True)
        return str(r), _chain(r.grad_fn, 3), str(gw), str(gx)
    same(run)


@pytest.mark.parametrize("xs,ws", [((2, 3), (2, 2)), ((2, 3), (3, 1)), ((), (2,)), ((), (1, 1)),
                                   ((5,), (2,)), ((2, 3), ())])
def test_prelu_argument_checks_order(xs, ws):
    same(lambda T: T.nn.functional.prelu(T.ones(xs), T.ones(ws)).shape)


def test_prelu_dtype_checked_before_the_kernel():
    same(lambda T: T.nn.functional.prelu(T.arange(3), T.ones(1)))


def _onednn_exact():
    from ember._ops import _mkl_gemm

    return pytest.mark.skipif(not _mkl_gemm.emulated(),
                              reason="oneDNN's LSTM graph is mapped on the measured processor")


@_onednn_exact()
@pytest.mark.parametrize("kw,with_h0", [({}, False), ({"bias": False}, True)])
def test_lstm_layer_node_edges(kw, with_h0):
    def run(T):
        T.manual_seed(0)
        m = T.nn.LSTM(8, 4, **kw)
        seq = T.randn(5, 2, 8, requires_grad=True)
        n = m.num_layers * (2 if m.bidirectional else 1)
        args = (seq, (T.zeros(n, 2, 4, requires_grad=True),) * 2) if with_h0 else (seq,)
        out, (h, c) = m(*args)
        nodes = [[type(e).__name__ if e is not None else None for e, _ in t.grad_fn.next_functions]
                 for t in (out, h)]
        (out.sum() + h.sum() + c.sum()).backward()
        return nodes, seq.grad.sum().item(), [p.grad.sum().item() for p in m.parameters()]
    same(run)


# -- linalg.cond ---------------------------------------------------------------------------

@pytest.mark.parametrize("p", [1, -1, float("inf"), float("-inf"), "fro", "nuc", None, 2, -2])
def test_cond_graph(p):
    def run(T):
        T.manual_seed(0)
        A = T.randn(3, 3, dtype=T.float64, requires_grad=True)
        r = T.linalg.cond(A, p)
        r.backward()
        return str(r), _chain(r.grad_fn, 2), A.grad
    same(run)


@pytest.mark.parametrize("p", [1, -1, float("inf"), "fro", "nuc"])
def test_cond_of_a_singular_matrix_is_inf(p):
    def run(T):
        B = T.tensor([[[0., 0.], [0., 0.]], [[2., 1.], [1., 3.]]])
        r = T.linalg.cond(B, p)  # (the second's last bits are LAPACK's)
        return r[0], r.isfinite(), T.linalg.cond(T.zeros(2, 0, 0), p)
    same(run)


@pytest.mark.parametrize("shape", [(2, 3), (3,)])
@pytest.mark.parametrize("p", [1, 1.0, float("inf"), -1, True, "fro", "nuc", 2, -2.0, "bad", 3,
                               2.5])
def test_cond_argument_checks(shape, p):
    same(lambda T: T.linalg.cond(T.tensor([[1., 2., 3.], [4., 5., 7.]])[:, :shape[-1]]
                                 if len(shape) == 2 else T.ones(shape), p).isfinite())


@pytest.mark.parametrize("p", [1, "fro", "nuc", 2, "bad", 3])
def test_cond_of_integers(p):
    same(lambda T: T.linalg.cond(T.arange(4).view(2, 2), p))


@pytest.mark.parametrize("dt", ["float32", "float64", "bfloat16", "complex64"])
def test_modified_by_an_inplace_operation_names_the_type(dt):
    def run(T):
        a = T.ones(2, dtype=getattr(T, dt), requires_grad=True) * 1
        b = a.sin()
        a.mul_(2)
        b.abs().sum().backward()
    same(run)
