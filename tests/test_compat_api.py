"""The smaller top-level names (ember._ops.compat_api, the autocast setters, torch.functional,
torch.vmap), differentially against PyTorch."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _same(a, b, tol=1e-12):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y, tol)
        return
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype) == str(b.dtype)
    np.testing.assert_allclose(a.detach().numpy().astype(np.float64),
                               b.detach().numpy().astype(np.float64), rtol=tol, atol=tol)


def _same_svd(ours, theirs, tol=1e-9):
    """U, S, V equal up to the sign of each singular pair (LAPACK builds differ in it: MKL's
    gesdd and NumPy's pick other signs for some wide matrices, in torch.linalg.svd too)."""
    (U, S, V), (tU, tS, tV) = ours, theirs
    _same(S, tS, tol)
    sign = np.sign((U.numpy() * tU.numpy()).sum(-2, keepdims=True))
    _same((ember.tensor(U.numpy() * sign), ember.tensor(V.numpy() * sign)), (tU, tV), tol)


def _pair(*shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    return ember.tensor(x), torch.tensor(x)


@pytest.mark.parametrize("name", ["solve", "lstsq", "eig", "symeig", "matrix_rank"])
def test_removed_functions_raise_pytorchs_error(name):
    a, b = ember.eye(2), torch.eye(2)
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch, name)(b, b)
    with pytest.raises(RuntimeError) as ours:
        getattr(ember, name)(a, a)
    assert str(ours.value) == str(theirs.value)
    if name != "matrix_rank":
        with pytest.raises(RuntimeError) as ours_m:
            getattr(a, name)(a) if name in ("solve", "lstsq") else getattr(a, name)()
        assert str(ours_m.value) == str(theirs.value)


def test_native_norms_and_dropout():
    e, t = _pair(2, 3, 4)
    _same(ember.native_layer_norm(e, [4], None, None, 1e-5),
          torch.native_layer_norm(t, [4], None, None, 1e-5))
    w, tw = _pair(4, seed=1)
    _same(ember.native_layer_norm(e, [3, 4], None, None, 1e-5),
          torch.native_layer_norm(t, [3, 4], None, None, 1e-5))
    _same(ember.native_layer_norm(e, [4], w, w, 1e-5)[0],
          torch.native_layer_norm(t, [4], tw, tw, 1e-5)[0])
    _same(ember.native_group_norm(e, None, None, 2, 3, 4, 3, 1e-5),
          torch.native_group_norm(t, None, None, 2, 3, 4, 3, 1e-5))
    _same(ember.native_batch_norm(e, None, None, None, None, True, 0.1, 1e-5),
          torch.native_batch_norm(t, None, None, None, None, True, 0.1, 1e-5))
    rm, trm = ember.zeros(3, dtype=ember.float64), torch.zeros(3, dtype=torch.float64)
    rv, trv = ember.ones(3, dtype=ember.float64), torch.ones(3, dtype=torch.float64)
    _same(ember.native_batch_norm(e, None, None, rm, rv, False, 0.1, 1e-5),
          torch.native_batch_norm(t, None, None, trm, trv, False, 0.1, 1e-5))
    for train in (True, False):
        ember.manual_seed(3)
        torch.manual_seed(3)
        out, mask = ember.native_dropout(e, 0.5, train)
        tout, tmask = torch.native_dropout(t, 0.5, train)
        assert mask.dtype == ember.bool and tmask.dtype == torch.bool
        if not train:
            _same(out, tout)
            assert bool(mask.all())
        else:
            np.testing.assert_allclose(out.numpy()[mask.numpy()], 2 * e.numpy()[mask.numpy()])
            assert not (out.numpy()[~mask.numpy()]).any()


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_cells(kind, bias):
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)
    x, tx = _pair(3, 5)
    h, th = _pair(3, 4, seed=1)
    c, tc = _pair(3, 4, seed=2)
    wi, twi = _pair(gates * 4, 5, seed=3)
    wh, twh = _pair(gates * 4, 4, seed=4)
    bi, tbi = _pair(gates * 4, seed=5) if bias else (None, None)
    bh, tbh = _pair(gates * 4, seed=6) if bias else (None, None)
    hx, thx = ((h, c), (th, tc)) if kind == "lstm" else (h, th)
    ours = getattr(ember, kind + "_cell")(x, hx, wi, wh, bi, bh)
    theirs = getattr(torch, kind + "_cell")(tx, thx, twi, twh, tbi, tbh)
    _same(ours, theirs)


def test_lstm_cell_needs_a_pair():
    x = ember.randn(2, 3)
    with pytest.raises(TypeError, match="hx"):
        ember.lstm_cell(x, ember.randn(2, 4), ember.randn(16, 3), ember.randn(16, 4))


@pytest.mark.parametrize("nd,transposed", [(1, False), (2, False), (3, False), (1, True),
                                           (2, True)])
def test_convolution(nd, transposed):
    shape = (2, 4) + (6,) * nd
    x, tx = _pair(*shape)
    wshape = (4, 3) + (3,) * nd if transposed else (6, 2) + (3,) * nd
    w, tw = _pair(*wshape, seed=1)
    b, tb = _pair(wshape[1] * (2 if transposed else 1) if transposed else wshape[0], seed=2)
    args = ([2] * nd, [1] * nd, [1] * nd, transposed, [1 if transposed else 0] * nd, 2)
    _same(ember.convolution(x, w, b, *args), torch.convolution(tx, tw, tb, *args))


@pytest.mark.parametrize("interp", [0, 1, 2])
@pytest.mark.parametrize("pad", [0, 1, 2])
def test_grid_sampler(interp, pad):
    x, tx = _pair(1, 2, 5, 5)
    g, tg = _pair(1, 3, 4, 2, seed=1)
    _same(ember.grid_sampler(x, g * 0.8, interp, pad, False),
          torch.grid_sampler(tx, tg * 0.8, interp, pad, False))


@pytest.mark.parametrize("shape,q", [((8, 5), 3), ((5, 8), 4), ((2, 7, 6), 6)])
def test_svd_lowrank_same_draws(shape, q):
    x, tx = _pair(*shape)
    ember.manual_seed(7)
    torch.manual_seed(7)
    U, S, V = ember.svd_lowrank(x, q=q)
    tU, tS, tV = torch.svd_lowrank(tx, q=q)
    _same_svd((U, S, V), (tU, tS, tV))
    assert float(ember.rand(1)) == float(torch.rand(1))  # the same draws consumed
    m, mt = _pair(*shape[-2:], seed=3)
    ember.manual_seed(1)
    torch.manual_seed(1)
    _same_svd(ember.svd_lowrank(x, q=q, niter=1, M=m), torch.svd_lowrank(tx, q=q, niter=1, M=mt))


def test_pca_lowrank():
    x, tx = _pair(10, 4)
    for kw in ({}, {"q": 2}, {"center": False, "niter": 3}):
        ember.manual_seed(2)
        torch.manual_seed(2)
        _same_svd(ember.pca_lowrank(x, **kw), torch.pca_lowrank(tx, **kw))
    for bad in ({"q": 5}, {"q": -1}, {"niter": -1}):
        with pytest.raises(ValueError) as theirs:
            torch.pca_lowrank(tx, **bad)
        with pytest.raises(ValueError) as ours:
            ember.pca_lowrank(x, **bad)
        assert str(ours.value) == str(theirs.value)


def test_sym_helpers():
    cases = [("sym_int", (3.7,)), ("sym_int", (-3.7,)), ("sym_int", (4,)),
             ("sym_float", (2,)), ("sym_max", (2, 3)), ("sym_max", (2, 3.0)),
             ("sym_min", (2.5, 1)), ("sym_not", (True,)), ("sym_ite", (True, 1, 2)),
             ("sym_ite", (False, 1, 2)), ("sym_sqrt", (4,)), ("sym_sum", ([1, 2, 3],))]
    for name, args in cases:
        ours, theirs = getattr(ember, name)(*args), getattr(torch, name)(*args)
        assert ours == theirs and type(ours) is type(theirs), name


def test_cond_and_while_loop():
    x, tx = _pair(3)
    for pred in (True, False):
        _same(ember.cond(pred, lambda a: a.sin(), lambda a: a.cos(), (x,)),
              torch.cond(pred, lambda a: a.sin(), lambda a: a.cos(), (tx,)))
    _same(ember.cond(x.sum() > 0, lambda a: a + 1, lambda a: a - 1, [x]),
          torch.cond(tx.sum() > 0, lambda a: a + 1, lambda a: a - 1, [tx]))
    ours = ember.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2),
                            (ember.tensor(0), x))
    try:
        theirs = torch.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2),
                                  (torch.tensor(0), tx))
    finally:  # (PyTorch's while_loop compiles, and leaves distribution checks switched off)
        torch.distributions.Distribution.set_default_validate_args(True)
    assert isinstance(ours, tuple) and isinstance(theirs, tuple)
    assert int(ours[0]) == int(theirs[0])
    _same(ours[1], theirs[1])


def test_deterministic_debug_mode():
    try:
        for mode in ("warn", "error", "default", 1, 2, 0):
            ember.set_deterministic_debug_mode(mode)
            torch.set_deterministic_debug_mode(mode)
            assert ember.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
            assert (ember.are_deterministic_algorithms_enabled()
                    == torch.are_deterministic_algorithms_enabled())
        with pytest.raises(RuntimeError) as theirs:
            torch.set_deterministic_debug_mode("bad")
        with pytest.raises(RuntimeError) as ours:
            ember.set_deterministic_debug_mode("bad")
        assert str(ours.value) == str(theirs.value)
    finally:
        ember.set_deterministic_debug_mode(0)
        torch.set_deterministic_debug_mode(0)


def test_flags_and_device_module():
    for name in ("has_lapack", "has_mkl", "has_openmp", "has_spectral"):
        assert getattr(ember, name) is True
    assert ember.is_vulkan_available() is torch.is_vulkan_available()
    assert ember.is_distributed(ember.ones(2)) is torch.is_distributed(torch.ones(2))
    assert ember.get_device_module("cpu") is ember.cpu
    assert ember.get_device_module(ember.device("cuda:0")) is ember.cuda
    assert ember.get_device_module() is (ember.cuda if ember.cuda.is_available() else ember.cpu)
    for bad, exc in (("meta", RuntimeError), (3, RuntimeError)):
        with pytest.raises(exc) as theirs:
            torch.get_device_module(bad)
        with pytest.raises(exc) as ours:
            ember.get_device_module(bad)
        assert str(ours.value) == str(theirs.value)


def test_anomaly_setter():
    try:
        ember.set_anomaly_enabled(True)
        assert ember.is_anomaly_enabled() and ember.is_anomaly_check_nan_enabled()
        ember.set_anomaly_enabled(False, False)
        assert not ember.is_anomaly_enabled() and not ember.is_anomaly_check_nan_enabled()
        with pytest.raises(TypeError):
            ember.set_anomaly_enabled(1)
    finally:
        ember.set_anomaly_enabled(False, True)


def _autocast_state(mod):
    return (mod.is_autocast_enabled("cpu"), str(mod.get_autocast_dtype("cpu")),
            mod.is_autocast_enabled("cuda"), str(mod.get_autocast_dtype("cuda")))


def test_autocast_setters_match():
    def script(mod):
        seen = [_autocast_state(mod)]
        mod.set_autocast_dtype("cpu", mod.float16)
        seen.append(_autocast_state(mod))
        mod.set_autocast_enabled("cpu", True)
        a = mod.ones(2, 2)
        seen.append(str((a @ a).dtype))
        with mod.autocast("cpu"):  # no dtype: the one set above
            seen.append(_autocast_state(mod))
        with mod.autocast("cpu", dtype=mod.bfloat16, enabled=False):
            seen.append(_autocast_state(mod))
        seen.append(_autocast_state(mod))
        mod.set_autocast_enabled("cpu", False)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            mod.set_autocast_cpu_enabled(True)
            seen.append(_autocast_state(mod))
            mod.set_autocast_cpu_enabled(False)
            mod.set_autocast_cpu_dtype(mod.bfloat16)
            mod.set_autocast_gpu_dtype(mod.bfloat16)
        seen.append([(x.category.__name__, str(x.message).split(" (Triggered")[0]) for x in w])
        seen.append(_autocast_state(mod))
        mod.set_autocast_gpu_dtype  # noqa: B018
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod.set_autocast_gpu_dtype(mod.float16)
        mod.set_autocast_cache_enabled(False)
        seen.append(mod.is_autocast_cache_enabled())
        mod.set_autocast_cache_enabled(True)
        seen.append((mod.autocast_increment_nesting(), mod.autocast_decrement_nesting()))
        mod.clear_autocast_cache()
        for bad in (lambda: mod.set_autocast_enabled("cpu", 1),
                    lambda: mod.set_autocast_enabled("xyz", True)):
            try:
                bad()
            except (TypeError, RuntimeError) as e:
                seen.append((type(e).__name__, str(e)))
        return seen

    try:
        assert script(ember) == script(torch)
    finally:
        for mod in (ember, torch):
            mod.set_autocast_enabled("cpu", False)
            mod.set_autocast_dtype("cpu", mod.bfloat16)


def test_functional_module_and_vmap():
    import torch.functional as tf
    assert set(ember.functional.__all__) == set(tf.__all__)
    e, t = _pair(3, 4)
    _same(ember.functional.einsum("ij->ji", e), tf.einsum("ij->ji", t))
    _same(ember.vmap(lambda r: r.sum())(e), torch.vmap(lambda r: r.sum())(t))
    np.testing.assert_array_equal(ember.from_dlpack(ember.to_dlpack(e)).numpy(), e.numpy())


def test_dynamo_and_inductor_config_defaults():
    import torch._dynamo.config as tdc
    import torch._inductor.config as tic

    from ember._dynamo import config as edc
    from ember._inductor import config as eic
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ours, theirs in ((edc, tdc), (eic, tic), (eic.triton, tic.triton),
                             (eic.cpp, tic.cpp)):
            for name in ours._defaults:
                if not isinstance(getattr(ours, name), type(edc)):
                    assert getattr(ours, name) == getattr(theirs, name), name
    with eic.patch({"triton.cudagraphs": True, "max_autotune": True}):
        assert eic.triton.cudagraphs and eic.max_autotune
    assert not eic.triton.cudagraphs and not eic.max_autotune
    with pytest.raises(AttributeError, match="torch._inductor.config.nope does not exist"):
        eic.patch(nope=1)
    assert ember._dynamo.list_backends(exclude_tags=()) == sorted(
        set(ember._dynamo.list_backends(exclude_tags=())) & set(
            torch._dynamo.list_backends(exclude_tags=())))
