"""Differential tests (ember vs PyTorch) found by a randomized fuzzer over chains of views,
in-place changes of a view or its base, grad modes, and autograd through them."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

LIBS = (torch, ember)


def _np(t):
    return None if t is None else t.detach().resolve_conj().numpy()


def _chain(fn):
    """The grad_fn names along first next_functions, down to a non-view node."""
    out = []
    while fn is not None and type(fn).__name__ not in ("MulBackward0", "CopySlices"):
        out.append(type(fn).__name__)
        nf = [f for f, _ in fn.next_functions if f is not None]
        fn = nf[0] if nf else None
    out.append(None if fn is None else type(fn).__name__)
    return out


def _err(f):
    try:
        f()
        return ("ok", "")
    except Exception as e:  # noqa: BLE001
        return (type(e).__name__, str(e))


def test_unfolded_view_grad_after_base_written():
    # an overlapping (unfolded) view's history rebuilt after an in-place change: its
    # elements' gradients add up where they share memory
    res = []
    for T in LIBS:
        x0 = T.tensor([0.3, -1.2, 0.7], dtype=T.float64, requires_grad=True)
        x = x0 * 1
        v = x.view(-1).unfold(0, 2, 1)
        x[1:].sigmoid_()
        v.tanh().prod().backward()
        res.append(_np(x0.grad))
    np.testing.assert_allclose(res[1], res[0], rtol=1e-12)


@pytest.mark.parametrize("off", [0, 1])
def test_as_strided_of_expanded_grad(off):
    # as PyTorch's as_strided backward: an input that shows an element k times gets 1/k of
    # its memory's gradient at each place (first and second order)
    res = []
    for T in LIBS:
        x = T.tensor([[[0.3, -1.2], [0.7, 2.0]]], dtype=T.float64, requires_grad=True)
        v = x.unsqueeze(0).expand(2, 1, 2, 2).as_strided((2,), (1,), off)
        (v @ v).backward()
        g1 = _np(x.grad)
        y = x.expand(3, 2, 2).as_strided((2, 2), (1, 1), off)
        g, = T.autograd.grad((y ** 3).sum(), x, create_graph=True)
        x.grad = None
        g.sum().backward()
        res.append((g1, _np(g), _np(x.grad)))
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-12)


def test_as_strided_of_dtype_view():
    # as_strided of a view_as_real / .imag view counts the storage in the view's elements
    res = []
    for T in LIBS:
        z = (T.arange(12, dtype=T.float64).view(3, 2, 2).sum(-1).to(T.complex128) * (1 + 2j))
        r = T.view_as_real(z)
        out = [r.as_strided((2, 3), (6, 2), 0), r.as_strided((3,), (1,), 3),
               z.imag.as_strided((3,), (1,), 3), z[1:].real.as_strided((2,), (3,), 1)]
        res.append([_np(o) for o in out] + [_err(lambda: r.as_strided((2,), (1,), 11))[0]])
    for a, b in zip(*res):
        if isinstance(a, str):
            assert a == b
        else:
            np.testing.assert_array_equal(b, a)


CHAINS = {
    "real": lambda x, T: x.real, "imag": lambda x, T: x.imag, "var": lambda x, T: T.view_as_real(x),
    "x[0].real": lambda x, T: x[0].real, "x.real[0]": lambda x, T: x.real[0],
    "var(x[0])": lambda x, T: T.view_as_real(x[0]),
    "vac(var)": lambda x, T: T.view_as_complex(T.view_as_real(x)),
    "var.t": lambda x, T: T.view_as_real(x).transpose(0, 1),
    "var(var)": lambda x, T: T.view_as_real(x.t()[1:]).unsqueeze(0),
    "expand": lambda x, T: x.imag[:, ::2].unsqueeze(-1).expand(2, 2, 3),
}


@pytest.mark.parametrize("name", list(CHAINS))
def test_dtype_view_history_rebuilt_as_pytorch(name):
    # a view through view_as_real (or a part) is redone from its base after an in-place
    # change, as PyTorch's view_func: as_strided / ViewAsReal nodes, and its gradients
    res = []
    for T in LIBS:
        g = np.random.default_rng(0)
        x0 = T.tensor(g.standard_normal((2, 3)) + 1j * g.standard_normal((2, 3)),
                      requires_grad=True)
        got = []
        for where in ("base", "view", "no_grad"):
            x0.grad = None
            x = x0 * 1
            v = CHAINS[name](x, T)
            if where == "base":
                x.mul_(2 + 1j)
            elif where == "view":
                e = _err(lambda: v.mul_(3))
                if e[0] != "ok":  # (an expanded view: refused, as PyTorch's)
                    got.append(e)
                    continue
            else:
                with T.no_grad():
                    x.add_(1)
            got.append(_chain(v.grad_fn))
            w = T.arange(v.numel(), dtype=T.float64).view(v.shape) + 1
            loss = (v * w).sum()
            (loss.abs() if loss.is_complex() else loss).backward()
            got.append(_np(x0.grad))
        res.append(got)
    for a, b in zip(*res):
        if isinstance(a, (list, tuple)):
            assert a == b
        else:
            np.testing.assert_allclose(b, a, rtol=1e-12)


def test_copy_slices_second_backward_refused():
    res = []
    for T in LIBS:
        x = T.tensor([1.0, 2.0, 3.0])
        v = x[:2]
        o = T.tensor([5.0, 6.0], requires_grad=True)
        v.add_(o)
        (v * 2).sum().backward()
        first = _err(lambda: (x * 3).sum().backward())
        y = T.zeros(3)
        y[1:] += o
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        second = _err(lambda: y.sum().backward())
        res.append((first[0], first[1][:60], second[0], _np(o.grad)))
    assert res[0][:3] == res[1][:3]
    np.testing.assert_array_equal(res[1][3], res[0][3])


@pytest.mark.parametrize("div", [False, True])
@pytest.mark.parametrize("req", [(1, 0), (0, 1), (1, 1)])
def test_addcmul_addcdiv_saved_factors(div, req):
    # what PyTorch's node saves: a second backward, or one after a saved factor was changed
    # in place, is refused only where a gradient needs that factor
    res = []
    for T in LIBS:
        got = []
        a = T.ones(2, dtype=T.float64)
        l1 = T.tensor([0.5, 2.0], dtype=T.float64, requires_grad=bool(req[0]))
        l2 = T.tensor([1.5, 3.0], dtype=T.float64, requires_grad=bool(req[1]))
        for which in (0, 1):
            t1, t2 = l1 * 1, l2 * 1
            y = a.addcdiv(t1, t2) if div else a.addcmul(t1, t2)
            (t1, t2)[which].add_(1)
            got.append(_err(lambda: y.sum().backward())[0])
        y = a.addcdiv(l1, l2) if div else a.addcmul(l1, l2)
        y.sum().backward()
        got.append(_err(lambda: y.sum().backward())[0])
        res.append(got)
    assert res[0] == res[1]


def test_out_into_inference_tensor_and_no_grad_view():
    res = []
    for T in LIBS:
        got = []
        with T.inference_mode():
            v = T.ones(3, dtype=T.float64)
        o = T.full((3,), 2.0, dtype=T.float64)
        got.append(_err(lambda: T.add(o, 1, out=v)))
        got.append(v.tolist())  # (written, then refused, as PyTorch's version bump)
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1
        with T.no_grad():
            w = x[:2]
        got.append(_err(lambda: T.add(o[:2], 1, out=w)))
        res.append(got)
    assert res[0] == res[1]


def test_alias_for_one_slice_key_tuple():
    res = []
    for T in LIBS:
        x = T.randn(3, 2, requires_grad=True) * 1
        y = T.randn(3, requires_grad=True) * 1
        keys = [(slice(0, None, 1),), slice(0, None, 1), (slice(None),), (slice(0, 3, 1),),
                (slice(1, None),), (Ellipsis,)]
        res.append([type(t[k].grad_fn).__name__ for t in (x, y) for k in keys])
    assert res[0] == res[1]


def _custom(T):
    class Sq(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            ctx.seen = ctx.needs_input_grad
            a, b = ctx.saved_tensors
            return g * b, g * a
    return Sq


OPS = {
    "linear": lambda v, T: T.nn.functional.linear(v, T.ones(2, 3, dtype=v.dtype)),
    "fn": lambda v, T: _custom(T).apply(v, v),
    "fn2": lambda v, T: _custom(T).apply(v, T.ones_like(v)),
    "addcmul": lambda v, T: T.addcmul(T.zeros(3, dtype=v.dtype), v, v),
    "pinv": lambda v, T: T.linalg.pinv(v),
    "outer": lambda v, T: T.outer(v[0], v[1]),
}


@pytest.mark.parametrize("mode", ["nograd_mut", "mut", "none", "nograd_view"])
@pytest.mark.parametrize("name", list(OPS))
def test_view_made_before_base_required_grad(mode, name):
    # the view follows its base's requires_grad: ops record it (names, needs_input_grad),
    # save what its gradient needs, and backward works (or gathers nothing) as PyTorch's
    res = []
    for T in LIBS:
        x = T.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [0.1, 0.2, 0.3]], dtype=T.float64)
        if mode == "nograd_view":
            with T.no_grad():
                v = x[:2]
        else:
            v = x[:2]
        x.requires_grad_()
        if mode == "nograd_mut":
            with T.no_grad():
                x.mul_(2)
        elif mode == "mut":
            with T.no_grad():
                x[2].zero_()
        y = OPS[name](v, T)
        out = (y * T.arange(1, y.numel() + 1, dtype=y.dtype).view(y.shape)).sum()
        got = [v.requires_grad, v.grad_fn is None, y.requires_grad, type(y.grad_fn).__name__]
        got.append(_err(out.backward)[0])
        got.append(getattr(y.grad_fn, "seen", None))
        res.append((got, _np(x.grad)))
    assert res[0][0] == res[1][0]
    if res[0][1] is None:
        assert res[1][1] is None
    else:
        np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-12)


def test_autograd_api_on_view_following_base():
    res = []
    for T in LIBS:
        got = []
        for mut in (False, True):
            x = T.tensor([1.0, 2.0, 3.0])
            v = x[:2]
            x.requires_grad_()
            if mut:
                with T.no_grad():
                    x.mul_(2)
            got.append(_err(lambda: v.backward(T.ones(2)))[0])
            got.append(_err(lambda: T.autograd.grad((v * 2).sum(), v))[0])
            got.append(_err(lambda: (v * 2).sum().backward(inputs=[v]))[0])
            got.append(_err(lambda: v.retain_grad())[0])
            got.append(v.retains_grad)  # (PyTorch's looks at the history not yet rebuilt)
            got.append(_err(lambda: v.register_hook(lambda g: None))[0])
            got.append(_err(lambda: v.numpy())[0])
        res.append(got)
    assert res[0] == res[1]


def test_index_put_into_empty_view_of_leaf():
    # the in-place refusal comes before the bounds check
    res = []
    for T in LIBS:
        x = T.zeros(3, 2, dtype=T.float64)
        v = x[:0]
        x.requires_grad_()
        got = [_err(lambda: v.index_put_((T.tensor([0]),), T.ones(2, dtype=T.float64))),
               _err(lambda: v.__setitem__(T.tensor([0]), 1.0))]
        z = T.zeros(0, 2)
        got.append(_err(lambda: z.index_put_((T.tensor([0]),), T.ones(2))))
        got.append(_err(lambda: z.__setitem__((T.tensor([0]), 1), 1.0)))
        res.append(got)
    assert res[0] == res[1]


def _fuzz_case(T, seed):
    """A small random chain: views of a tensor (before or after it requires grad), an
    in-place change of one of them or of the base, then a loss through the view."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(1, 4, int(rng.integers(1, 4))))
    x0 = T.tensor(rng.standard_normal(shape), dtype=T.float64,
                  requires_grad=bool(rng.integers(2)))
    base = x0 * 1 if x0.requires_grad else x0
    v = base
    for _ in range(int(rng.integers(1, 4))):
        op = int(rng.integers(6))
        d = int(rng.integers(v.dim())) if v.dim() else 0
        if v.dim() == 0 or op == 0:
            v = v.unsqueeze(0)
        elif op == 1:
            v = v.narrow(d, 0, max(1, v.shape[d] - 1))
        elif op == 2:
            v = v.unfold(d, min(2, v.shape[d]), 1)
        elif op == 3:
            v = v.transpose(0, d)
        elif op == 4:
            v = v[(slice(None),) * d + (slice(0, None, 2),)]
        else:
            v = v.flatten()
    if not x0.requires_grad:
        x0.requires_grad_()
    got = []
    with T.no_grad() if rng.integers(2) else T.enable_grad():
        got.append(_err(lambda: base.mul_(1.5) if rng.integers(2) else base[..., :1].sub_(1)))
    got.append((v.requires_grad, v.is_leaf, v._version, v._is_view()))
    loss = (v.tanh() * 2).sum()
    got.append(type(loss.grad_fn).__name__)
    got.append(_err(loss.backward)[0])
    return got, _np(x0.grad), _np(v)


@pytest.mark.parametrize("seed", range(30))
def test_fuzzed_view_chains(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = (_fuzz_case(T, seed) for T in LIBS)
    assert a[0] == b[0]
    np.testing.assert_allclose(b[2], a[2], rtol=1e-12)
    if a[1] is None:
        assert b[1] is None
    else:
        np.testing.assert_allclose(b[1], a[1], rtol=1e-10)


def test_addc_inplace_into_view_of_expanded():
    # a row of an expanded tensor overlaps nowhere itself: written through to its base
    res = []
    for T in LIBS:
        x = T.tensor([0.3, 1.2], dtype=T.float64)
        w = x.unsqueeze(0).expand(2, 2).select(0, 1)
        o = T.tensor([0.5, 2.0], dtype=T.float64)
        w.addcmul_(o, o, value=0.5)
        w.addcdiv_(o, o)
        res.append((_np(x).copy(), w._version))
    np.testing.assert_array_equal(res[1][0], res[0][0])
    assert res[0][1] == res[1][1]


@pytest.mark.parametrize("mut", [False, True])
def test_reduction_with_dtype_of_view_following_base(mut):
    # the cast happens inside the op (no ToCopyBackward0) for a view that follows its base
    res = []
    for T in LIBS:
        x = T.tensor([[1.0, 2.0], [3.0, 4.0]])
        v = x[:1]
        x.requires_grad_()
        if mut:
            with T.no_grad():
                x.mul_(2)
        got = []
        for y in (v.sum(dtype=T.float64), v.sum(0, dtype=T.float64), v.mean(dtype=T.float64),
                  v.prod(dtype=T.float64), v.cumsum(1, dtype=T.float64)):
            got.append((type(y.grad_fn).__name__,
                        [type(f).__name__ for f, _ in y.grad_fn.next_functions]))
        res.append(got)
    assert res[0] == res[1]
