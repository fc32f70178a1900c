"""The differential helper: run the same code on ember and on PyTorch and compare.

``check(fn, *arrays)`` builds tensors from NumPy arrays in both libraries
(floating ones require grad), calls ``fn(lib, *tensors)`` with ``lib`` the
module (``ember`` or ``torch``), and compares the results' values, dtypes and
shapes; then it back-propagates the same random upstream gradient and
compares the inputs' gradients.  Exceptions must match in type.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

TOL = {"float16": (2e-3, 1e-3), "bfloat16": (2e-2, 1e-2), "float32": (2e-5, 1e-5),
       "float64": (1e-10, 1e-10)}


def to_torch(a, requires_grad=None):
    if isinstance(a, np.ndarray):
        t = torch.from_numpy(a.copy()) if a.dtype.name != "bfloat16" else torch.from_numpy(
            a.astype(np.float32)).to(torch.bfloat16)
        if requires_grad is None:
            requires_grad = t.is_floating_point()
        return t.requires_grad_(requires_grad) if requires_grad else t
    return a


def to_ember(a, requires_grad=None):
    if isinstance(a, np.ndarray):
        t = ember.from_numpy(a.copy())
        if requires_grad is None:
            requires_grad = t.is_floating_point()
        return t.requires_grad_(requires_grad) if requires_grad else t
    return a


def as_numpy(t):
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy(force=True)
    if isinstance(t, ember.Tensor):
        t = t.detach().resolve_conj()  # (as ``force=True`` does for PyTorch's)
        if t.dtype is ember.bfloat16:
            t = t.float()
        return t.numpy()
    return np.asarray(t)


def dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def assert_same(e, t, rtol=None, atol=None, what="value"):
    """Compare an ember result with a PyTorch result (tensors, tuples, scalars)."""
    if isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)), f"{what}: ember gave {type(e)}, torch a sequence"
        assert len(e) == len(t), f"{what}: length {len(e)} != {len(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_same(a, b, rtol, atol, f"{what}[{i}]")
        return
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: ember gave {type(e).__name__}"
        assert dtype_name(e) == dtype_name(t), f"{what}: dtype {e.dtype} != {t.dtype}"
        assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} != " \
                                                 f"{tuple(t.shape)}"
        name = dtype_name(t)
        r, a = TOL.get(name, (0, 0))
        np.testing.assert_allclose(as_numpy(e), as_numpy(t), rtol=rtol if rtol is not None else r,
                                   atol=atol if atol is not None else a, equal_nan=True,
                                   err_msg=what)
        return
    if isinstance(t, float):
        assert isinstance(e, float), f"{what}: {type(e)}"
        np.testing.assert_allclose(e, t, rtol=rtol or 1e-6, atol=atol or 1e-7, equal_nan=True)
        return
    assert e == t, f"{what}: {e!r} != {t!r}"


def _outputs(r):
    if isinstance(r, (tuple, list)):
        out = []
        for x in r:
            out.extend(_outputs(x))
        return out
    return [r]


def check(fn, *arrays, grad=True, rtol=None, atol=None, grad_rtol=None, grad_atol=None,
          requires_grad=None, seed=0):
    """Run ``fn`` on both libraries and compare values and (if ``grad``) input gradients."""
    tt = [to_torch(a, requires_grad) for a in arrays]
    et = [to_ember(a, requires_grad) for a in arrays]
    try:
        tr = fn(torch, *tt)
    except Exception as exc:  # the error itself is the behaviour to match
        with pytest.raises(type(exc)):
            fn(ember, *et)
        return None
    er = fn(ember, *et)
    assert_same(er, tr, rtol, atol)
    if not grad:
        return er
    touts = [o for o in _outputs(tr) if isinstance(o, torch.Tensor) and o.requires_grad]
    eouts = [o for o in _outputs(er) if isinstance(o, ember.Tensor) and o.requires_grad]
    assert len(touts) == len(eouts), "different outputs require grad"
    if not touts:
        return er
    r = np.random.default_rng(seed)
    ups = [r.standard_normal(tuple(o.shape)).astype(np.float64) for o in touts]
    tgrads = [torch.from_numpy(u).to(o.dtype) for u, o in zip(ups, touts)]
    egrads = [ember.from_numpy(u).to(o.dtype) for u, o in zip(ups, eouts)]
    tin = [t for t in tt if isinstance(t, torch.Tensor) and t.requires_grad]
    ein = [t for t in et if isinstance(t, ember.Tensor) and t.requires_grad]
    tg = torch.autograd.grad(touts, tin, tgrads, allow_unused=True)
    eg = ember.autograd.grad(eouts, ein, egrads, allow_unused=True)
    for i, (a, b) in enumerate(zip(eg, tg)):
        if b is None:
            assert a is None or not np.any(as_numpy(a)), f"grad[{i}]: torch None, ember {a}"
            continue
        assert a is not None, f"grad[{i}]: ember gave None"
        assert_same(a, b, grad_rtol if grad_rtol is not None else rtol,
                    grad_atol if grad_atol is not None else atol, f"grad[{i}]")
    return er


def check_error(fn, *arrays, match=None):
    """Both libraries raise the same exception type (and ember's message matches ``match``)."""
    tt = [to_torch(a, False) for a in arrays]
    et = [to_ember(a, False) for a in arrays]
    with pytest.raises(Exception) as tinfo:
        fn(torch, *tt)
    with pytest.raises(type(tinfo.value)) as einfo:
        fn(ember, *et)
    if match is not None:
        assert match in str(einfo.value), str(einfo.value)
    return str(tinfo.value), str(einfo.value)


def gradcheck(fn, *arrays, eps=1e-6, atol=1e-5, rtol=1e-4):
    """Numerical gradient check of ember's backward in float64 (central differences)."""
    xs = [ember.from_numpy(np.asarray(a, dtype=np.float64).copy()).requires_grad_()
          for a in arrays]
    out = fn(ember, *xs)
    r = np.random.default_rng(1)
    up = r.standard_normal(tuple(out.shape))
    grads = ember.autograd.grad(out, xs, ember.from_numpy(up), allow_unused=True)
    for x, g in zip(xs, grads):
        base = x.detach().numpy().copy()
        num = np.zeros_like(base)
        flat = base.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + eps
            plus = fn(ember, *[ember.from_numpy(base.copy()) if y is x else y.detach()
                               for y in xs]).numpy()
            flat[i] = orig - eps
            minus = fn(ember, *[ember.from_numpy(base.copy()) if y is x else y.detach()
                                for y in xs]).numpy()
            flat[i] = orig
            num.reshape(-1)[i] = ((plus - minus) * up).sum() / (2 * eps)
        analytic = np.zeros_like(base) if g is None else g.numpy()
        np.testing.assert_allclose(analytic, num, atol=atol, rtol=rtol)


def pinned_threads(torch, ember, n):
    """Generator for a pytest fixture: PyTorch and ember both on ``n`` intra-op threads while
    the test runs, the counts they had restored after it."""
    before_t, before_e = torch.get_num_threads(), ember.get_num_threads()
    torch.set_num_threads(n)
    ember.set_num_threads(n)
    yield n
    torch.set_num_threads(before_t)
    ember.set_num_threads(before_e)


def intraop_threads(torch, n):
    """Generator for a pytest fixture: PyTorch and ember's model of it (the thread count its
    emulated kernels split work for) on ``n`` intra-op threads, both restored after."""
    from ember._ops import _cascade

    before, before_e = torch.get_num_threads(), _cascade.intraop_threads
    torch.set_num_threads(n)
    _cascade.intraop_threads = n
    yield n
    torch.set_num_threads(before)
    _cascade.intraop_threads = before_e


def torch_threads_blas_one(torch, n=2):
    """Generator for a pytest fixture: PyTorch on ``n`` intra-op threads and NumPy's BLAS on
    1 (it keeps OpenBLAS from fighting PyTorch's spinning OpenMP threads for the cores), both
    restored after the test.  This changes no bit of ember's emulated products, whose BLAS
    calls sum at most 448 terms (up to its K block OpenBLAS's threads split rows and columns,
    never a sum); a product left to NumPy with a longer K can round otherwise."""
    from ember import _blas

    before, blas_before = torch.get_num_threads(), _blas.threads()
    torch.set_num_threads(n)
    _blas.set_threads(1)
    yield n
    torch.set_num_threads(before)
    if blas_before:
        _blas.set_threads(blas_before)


def classifier_steps(mod, model, opt, x, y, batch, steps):
    """``steps`` cross-entropy training steps of ``model`` on consecutive batches of ``x``
    and ``y`` in module ``mod`` (ember or torch): every loss as ``float.hex``, then the
    parameters' final values (NumPy copies)."""
    losses = []
    for i in range(steps):
        part = slice(i * batch, (i + 1) * batch)
        loss = mod.nn.functional.cross_entropy(model(x[part]), y[part])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item().hex())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def measured_cpu() -> bool:
    """Whether this is the processor ember's float32 kernel orders were measured on (MKL's
    ``sgemm`` and VML, oneDNN's convolutions and RNNs: see ``ember._ops._mkl_gemm``).  There
    ember's float32 results are PyTorch's bit for bit; on other processors PyTorch's libraries
    pick other kernels, and ember's products and transcendental functions are NumPy's, within a
    few ulps of PyTorch's, so tests of those bits compare closely instead (``bits_or_close``)."""
    from ember._ops import _mkl_gemm, _vml

    return _mkl_gemm.emulated() and _vml.emulated()


def assert_bits_or_close(got, want, rtol=1e-5, atol=1e-6):
    """``got`` is ``want`` bit for bit on the measured processor (:func:`measured_cpu`), else
    within ``rtol``/``atol`` (NaNs in the same places)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    if measured_cpu():
        if got.dtype.kind in "fc":
            assert np.array_equal(np.ascontiguousarray(got).view(np.uint8),
                                  np.ascontiguousarray(want).view(np.uint8))
        else:
            assert np.array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def nested_close(got, want, rtol=1e-5):
    """Nested lists, tuples and dicts alike, their floats within ``rtol`` (else equal)."""
    assert type(got) is type(want)
    if isinstance(got, dict):
        assert got.keys() == want.keys()
        got, want = list(got.values()), list(want.values())
    if isinstance(got, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            nested_close(g, w, rtol)
    elif isinstance(got, float):
        assert got == pytest.approx(want, rel=rtol, abs=rtol)
    else:
        assert got == want


def plain_result(r, lib, with_repr=False):
    """A result of ``lib`` (ember or torch) as plain data to compare: sparse COO tensors by
    their parts (indices, value bytes, coalesced flag), dense ones by their values, each with
    its grad_fn's name (and its ``repr`` where ``with_repr``); tuples and lists element-wise."""
    if isinstance(r, (tuple, list)):
        return tuple(plain_result(x, lib, with_repr) for x in r)
    if isinstance(r, lib.Tensor):
        fn = type(r.grad_fn).__name__ if r.grad_fn is not None else None
        shown = (repr(r),) if with_repr else ()
        if r.layout == lib.sparse_coo:
            v = r._values().detach()
            return ("sparse", tuple(r.shape), str(r.dtype), r._indices().tolist(),
                    v.numpy().tobytes(), tuple(v.shape), r.is_coalesced(), r.requires_grad,
                    fn) + shown
        d = r.detach()
        return ("dense", tuple(d.shape), str(d.dtype), d.numpy().tobytes(), fn) + shown
    if isinstance(r, lib.Size):
        return ("size", tuple(r))
    return r


def assert_same_training(ours, theirs, rtol=1e-4, atol=1e-5):
    """Two :func:`classifier_steps` results are the same bit for bit (on another processor than
    the measured one: within ``rtol``/``atol``, see :func:`measured_cpu`)."""
    if not measured_cpu():
        np.testing.assert_allclose([float.fromhex(v) for v in ours[0]],
                                   [float.fromhex(v) for v in theirs[0]], rtol=rtol, atol=atol)
        for e, t in zip(ours[1], theirs[1], strict=True):
            assert e.shape == t.shape
            np.testing.assert_allclose(e, t, rtol=rtol, atol=atol)
        return
    assert ours[0] == theirs[0]
    for e, t in zip(ours[1], theirs[1], strict=True):
        assert e.shape == t.shape
        assert (np.ascontiguousarray(e).view(np.uint32) ==
                np.ascontiguousarray(t).view(np.uint32)).all()


def conv2d_grads(mod, x, w, b, g, stride, padding, dilation=1, groups=1):
    """``F.conv2d`` of NumPy operands in ``mod`` (ember or torch; ``b`` None: no bias), its
    backward with output gradient ``g``: the output, then the gradients of x, w (and b), as
    NumPy arrays."""
    ts = [mod.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    y = mod.nn.functional.conv2d(*ts[:2], ts[2] if len(ts) == 3 else None, stride, padding,
                                 dilation, groups)
    y.backward(mod.tensor(g))
    return [y.detach().numpy()] + [t.grad.numpy() for t in ts]


def bits(a):
    """The float32 bits of ``a`` as unsigned integers (comparisons that tell -0 from +0 and
    see every last bit)."""
    return np.ascontiguousarray(np.asarray(a), np.float32).view(np.uint32)


def conv_exact(torch):
    """The skip mark of the tests of PyTorch's float32 convolution orders: reproduced only
    on the measured processor (where ember's emulation says so), against a torch with
    oneDNN."""
    from ember._ops import _onednn_conv

    return pytest.mark.skipif(
        not (_onednn_conv.emulated() and torch.backends.mkldnn.is_available()),
        reason="PyTorch's conv2d order is reproduced only on the measured processor")


def outcome(lib, fn):
    """What ``fn(lib)`` gives: ``("ok", repr(result))`` or the exception's type name and
    message, with the warnings it raised (category, message: PyTorch's C++ warnings' "Triggered
    internally at" suffix included, which ember's give too)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = ("ok", repr(fn(lib)))
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            res = (type(e).__name__, str(e))
    return res, [(w.category.__name__, str(w.message)) for w in caught]


def bits_outcome(lib, fn):
    """What ``fn(lib)`` gives, bit for bit: each tensor's dtype, shape and bytes (half types
    widened to float64 first), other results by repr, or ("EXC", type name, the message's
    first line). Warnings are ignored."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fn(lib)
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return ("EXC", type(e).__name__, str(e).split("\n")[0])
    return _bits(r)


def _bits(r):
    if isinstance(r, (tuple, list)):
        return tuple(_bits(x) for x in r)
    if hasattr(r, "dtype") and hasattr(r, "shape"):
        t = r.detach()
        if str(t.dtype).endswith("float16"):
            t = t.double()
        return str(r.dtype).split(".")[-1], tuple(r.shape), np.asarray(t.numpy()).tobytes()
    return type(r).__name__, repr(r)


def same_bits(fn):
    """``fn(ember)`` and ``fn(torch)`` give the same bits (``bits_outcome``)."""
    assert bits_outcome(ember, fn) == bits_outcome(torch, fn)


def quiet_run(lib, fn, seed=None):
    """``(fn(lib), None)`` with warnings ignored (after ``lib.manual_seed(seed)`` where given),
    or ``(None, (type name, the message's first line))`` where it raises."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if seed is not None:
            lib.manual_seed(seed)
        try:
            return fn(lib), None
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            return None, (type(e).__name__, str(e).split("\n")[0])


def error_of(fn):
    """The exception ``fn()`` raises, as (type name, message), or None."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return type(e).__name__, str(e)
    return None


def same(fn, warns=True):
    """``fn(ember)`` and ``fn(torch)`` print, raise and warn alike (``warns=False``: the
    warnings are not compared, where PyTorch's first use of a module warns from its imports)."""
    want, got = outcome(torch, fn), outcome(ember, fn)
    if not warns:
        want, got = want[0], got[0]
    assert got == want


def code_outcome(lib, code, setup, show=str):
    """What the expression ``code`` gives with ``torch`` bound to ``lib`` (and ``np`` to NumPy)
    after running ``setup``: ``"ok "`` and ``show`` of its value, or the exception's type and
    message; then the warnings it raised (PyTorch's C++ warnings with their "Triggered internally
    at" suffix, as ember's)."""
    import warnings

    env = {"torch": lib, "np": np}
    exec(setup, env)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = f"ok {show(eval(code, env))}"
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            out = f"{type(e).__name__}: {e}"
    out += "".join(f" | {w.category.__name__}: {w.message}" for w in caught)
    return out


def scenario_outcome(lib, scenario, show):
    """The lines a scenario ``scenario(lib, say, step)`` records: ``say(*values)`` adds their
    ``show`` forms; ``step(f)`` adds ``"ok "`` and ``show(f())``, or the exception's type and
    message, then each warning ``f`` raised (with PyTorch's C++ location suffix, as ember's)."""
    import warnings

    out = []

    def step(f):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out.append("ok " + show(f()))
            except Exception as e:  # noqa: BLE001 (the exception is what is compared)
                out.append(f"{type(e).__name__}: {e}")
        out.extend(f"warn {w.category.__name__}: {w.message}" for w in caught)

    scenario(lib, lambda *a: out.append(" ".join(show(v) for v in a)), step)
    return out


def unary_ways_in(name, x, same, ints=(1, 40), sizes=(0, 1, 3, 7, 15, 16, 17, 31, 33), start=0):
    """``torch.<name>`` and ember's on the float32 array ``x`` (2-d, at least (13, 17)) by every
    way in: the function, the method, a transposed and a strided view, the first ``sizes``
    elements from ``start`` (a kernel's tail), a 0-d tensor, ``out=``, the in-place form, and
    the integers ``ints`` (computed in float32); ``same(ember_result, torch_result)``
    compares."""
    e, t = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
    fe, ft = getattr(ember, name), getattr(torch, name)
    same(fe(e), ft(t))
    same(getattr(e, name)(), getattr(t, name)())
    same(fe(e.T), ft(t.T))
    same(fe(e[::3, 1::2]), ft(t[::3, 1::2]))
    for n in sizes:
        same(fe(e.reshape(-1)[start:start + n]), ft(t.reshape(-1)[start:start + n]))
    same(fe(e[2, 3]), ft(t[2, 3]))
    oe, ot = ember.empty(x.shape), torch.empty(x.shape)
    fe(e, out=oe)
    ft(t, out=ot)
    same(oe, ot)
    e2, t2 = e.clone(), t.clone()
    getattr(e2, name + "_")()
    getattr(t2, name + "_")()
    same(e2, t2)
    same(fe(ember.arange(*ints)), ft(torch.arange(*ints)))
