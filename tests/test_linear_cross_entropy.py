"""``nn.LinearCrossEntropyLoss``, ``F.linear_cross_entropy`` and ``nn.LinearCrossEntropyOptions``
against PyTorch: the same code runs on both libraries and the results are compared."""
from __future__ import annotations

import dataclasses
import pickle
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

LIBS = (torch, ember)


def _np(t):
    t = t.detach()
    if str(t.dtype).endswith("bfloat16"):
        t = t.float()
    return t.numpy()


def _run(lib, red="mean", opts=None, bias=True, cw=False, ign=None, dtype="float32", n=8, f=16,
         c=32, unbatched=False, upstream=True):
    """Loss and gradients (input, weight, bias) of one functional call, seeded the same."""
    lib.manual_seed(0)
    dt = getattr(lib, dtype)
    x = lib.randn(n, f).to(dt).requires_grad_()
    w = lib.randn(c, f).to(dt).requires_grad_()
    b = lib.randn(c).to(dt).requires_grad_() if bias else None
    t = lib.randint(0, c, (n,))
    if ign is not None:
        t[1] = ign
        t[3] = ign
    cwt = lib.rand(c).to(dt) if cw else None
    o = None if opts is None else lib.nn.LinearCrossEntropyOptions(**opts)
    xi, ti = (x[0], t[0]) if unbatched else (x, t)
    loss = lib.nn.functional.linear_cross_entropy(xi, w, ti, linear_bias=b, weight=cwt,
                                                  reduction=red, ignore_index=ign, options=o)
    name = type(loss.grad_fn).__name__
    if red == "none" and upstream:
        (loss * lib.arange(loss.numel()).reshape(loss.shape).to(dt)).sum().backward()
    else:
        loss.sum().backward()
    grads = [x.grad, w.grad] + ([b.grad] if bias else [])
    return [_np(loss)] + [_np(g) for g in grads], name, loss.dtype, tuple(loss.shape)


def _compare(kw, bitwise, rtol=2e-5, atol=2e-6):
    a, na, da, sa = _run(torch, **kw)
    b, nb, db, sb = _run(ember, **kw)
    assert na == nb and sa == sb and str(da) == str(db)
    for p, q in zip(a, b):
        if bitwise:
            np.testing.assert_array_equal(q, p)
        else:
            np.testing.assert_allclose(q, p, rtol=rtol, atol=atol)


# (n, f, c) = (8, 16, 32): a shape whose matrix products NumPy's BLAS rounds as PyTorch's
REDS = ["mean", "sum", "none"]
CASES = [{}, {"cw": True, "ign": 2}, {"ign": -100, "bias": False}, {"cw": True, "ign": 40},
         {"unbatched": True}]


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("kw", CASES)
def test_reference_path_bitwise(red, kw):
    if kw.get("unbatched"):  # ember's 1-D linear rounds its dot product differently
        _compare(dict(red=red, **kw), bitwise=False)
    else:
        _compare(dict(red=red, **kw), bitwise=True)


OPTS = [{}, {"batch_chunk_size": 3}, {"acc_policy": "balanced", "batch_chunk_size": 3},
        {"acc_policy": "accurate", "chunking_method": None}, {"chunking_method": "aspect_ratio"},
        {"allow_retain_graph": True, "batch_chunk_size": 5}]


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("opts", OPTS)
@pytest.mark.parametrize("kw", CASES[:4] + [{"unbatched": True, "bias": False}])
def test_chunked_float32_to_rounding(red, opts, kw):
    # not bit for bit: ember's float32 exp/log (NumPy's) differ from PyTorch's (Sleef's) in
    # the last bit for about 1% of values, and the per-chunk matrix products take other BLAS
    # paths for some shapes
    _compare(dict(red=red, opts=opts, **kw), bitwise=False)


def test_chunked_float32_loss_and_input_grad_bitwise():
    for red in REDS:
        a, *_ = _run(torch, red=red, opts={"chunking_method": None})
        b, *_ = _run(ember, red=red, opts={"chunking_method": None})
        np.testing.assert_array_equal(b[0], a[0])
        np.testing.assert_array_equal(b[1], a[1])


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("opts", [{}, {"acc_policy": "balanced", "batch_chunk_size": 3},
                                  {"acc_policy": "compact", "batch_chunk_size": 3},
                                  {"acc_policy": "accurate"}])
def test_chunked_half_dtypes_bitwise(dtype, red, opts):
    # float32 inside, rounded to half at the end: ember's last-bit float32 differences vanish
    _compare(dict(dtype=dtype, red=red, opts=opts), bitwise=True)


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("opts", [{}, {"acc_policy": "accurate", "batch_chunk_size": 3}])
def test_chunked_float64_to_rounding(red, opts):
    _compare(dict(dtype="float64", red=red, opts=opts), bitwise=False, rtol=1e-12, atol=1e-14)


def test_grad_fn_names_and_edges():
    for lib in LIBS:
        x = lib.randn(4, 3, requires_grad=True)
        w = lib.randn(5, 3, requires_grad=True)
        t = lib.tensor([0, 1, 2, 3])
        o = lib.nn.LinearCrossEntropyOptions()
        names = []
        for kw in ({}, {"weight": lib.rand(5)}, {"linear_bias": lib.randn(5)}):
            for red in REDS:
                loss = lib.nn.functional.linear_cross_entropy(x, w, t, reduction=red, options=o,
                                                              **kw)
                names.append((type(loss.grad_fn).__name__, len(loss.grad_fn.next_functions),
                              [e[0] is None for e in loss.grad_fn.next_functions]))
        loss = lib.nn.functional.linear_cross_entropy(x.detach(), w.detach(), t, options=o)
        names.append(loss.requires_grad)
        if lib is torch:
            ref = names
    assert names == ref


def test_second_backward():
    for lib in LIBS:
        x = lib.randn(4, 3, requires_grad=True)
        w = lib.randn(5, 3, requires_grad=True)
        t = lib.tensor([0, 1, 2, 3])
        loss = lib.nn.functional.linear_cross_entropy(
            x, w, t, options=lib.nn.LinearCrossEntropyOptions())
        loss.backward(retain_graph=True)
        with pytest.raises(RuntimeError, match="chunked backward called twice"):
            loss.backward()
        loss = lib.nn.functional.linear_cross_entropy(
            x, w, t, options=lib.nn.LinearCrossEntropyOptions(allow_retain_graph=True))
        x.grad = None
        loss.backward(retain_graph=True)
        loss.backward()
        first = _np(x.grad)
        if lib is torch:
            ref = first
    np.testing.assert_allclose(first, ref, rtol=1e-5, atol=1e-6)


def _module_state(lib, **kw):
    lib.manual_seed(3)
    m = lib.nn.LinearCrossEntropyLoss(6, 4, **kw)
    return m


@pytest.mark.parametrize("kw", [{}, {"bias": True}, {"out_features": (2, 3), "bias": True},
                                {"reduction": "sum", "ignore_index": 1, "label_smoothing": 0.25},
                                {"dtype": "float64", "bias": True}])
def test_module_init_repr_state_dict(kw):
    out = []
    for lib in LIBS:
        k = dict(kw)
        if "dtype" in k:
            k["dtype"] = getattr(lib, k["dtype"])
        m = _module_state(lib, **k)
        sd = m.state_dict()
        out.append((repr(m), list(sd), [_np(v) for v in sd.values()],
                    [str(v.dtype) for v in sd.values()]))
    (r1, k1, v1, d1), (r2, k2, v2, d2) = out
    assert r2 == r1 and k2 == k1 and d2 == d1
    for p, q in zip(v1, v2):
        np.testing.assert_array_equal(q, p)


def test_module_repr_with_options_and_weight():
    reps = []
    for lib in LIBS:
        o = lib.nn.LinearCrossEntropyOptions(batch_chunk_size=4, acc_dtype=lib.float32,
                                             acc_policy="balanced")
        m = lib.nn.LinearCrossEntropyLoss(3, 5, weight=lib.ones(5), options=o)
        reps.append((repr(m), repr(o), list(m.state_dict())))
    assert reps[0] == reps[1]


@pytest.mark.parametrize("kw", [
    dict(), dict(bias=True), dict(reduction="none", bias=True),
    dict(out_features=(2, 3), bias=True), dict(out_features=(2,), reduction="sum"),
    dict(ignore_index=2, reduction="none"), dict(label_smoothing=0.2, bias=True),
])
@pytest.mark.parametrize("chunked", [False, True])
def test_module_forward_backward(kw, chunked):
    res = []
    for lib in LIBS:
        lib.manual_seed(7)
        opts = lib.nn.LinearCrossEntropyOptions(batch_chunk_size=2) if chunked else None
        m = lib.nn.LinearCrossEntropyLoss(16, 32, options=opts, **kw)
        x = lib.randn(8, 16, requires_grad=True)
        t = lib.randint(0, 32, (8, *kw.get("out_features", ())))
        fallback = chunked and ("out_features" in kw or "label_smoothing" in kw)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            loss = m(x, t)
        msgs = [str(r.message) for r in rec]
        assert len(msgs) == (1 if fallback else 0)
        loss.sum().backward()
        grads = [x.grad] + [p.grad for p in m.parameters()]
        res.append(([_np(loss)] + [_np(g) for g in grads], type(loss.grad_fn).__name__, msgs))
    (a, na, ma), (b, nb, mb) = res
    assert na == nb and ma == mb
    for p, q in zip(a, b):
        np.testing.assert_allclose(q, p, rtol=2e-5, atol=2e-6)


def test_probability_target_and_kdim_shapes():
    res = []
    for lib in LIBS:
        lib.manual_seed(1)
        m = lib.nn.LinearCrossEntropyLoss(5, 10, out_features=(4, 3))
        x = lib.randn(2, 5, requires_grad=True)
        t = lib.randint(0, 10, (2, 4, 3))
        p = lib.randn(2, 10, 4, 3).softmax(dim=1)
        l1, l2 = m(x, t), m(x, p)
        l3 = lib.nn.LinearCrossEntropyLoss(5, 10, out_features=(4, 3), reduction="none")(x, t)
        (l1 + l2 + l3.sum()).backward()
        res.append([_np(v) for v in (l1, l2, l3, x.grad)] + [tuple(l3.shape)])
    for p, q in zip(*res):
        np.testing.assert_allclose(q, p, rtol=2e-5, atol=2e-6)


def _error(fn):
    out = []
    for lib in LIBS:
        with pytest.raises(Exception) as info:
            fn(lib)
        out.append((type(info.value).__name__, str(info.value)))
    assert out[1] == out[0]


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.randn(2, 2, 3), lib.randn(4, 3),
                                                       lib.zeros(2, dtype=lib.long)),
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.randn(2, 3), lib.randn(3),
                                                       lib.zeros(2, dtype=lib.long)),
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.randn(2, 3), lib.randn(4, 5),
                                                       lib.zeros(2, dtype=lib.long)),
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.randn(2, 3), lib.randn(4, 3),
                                                       lib.zeros(2, dtype=lib.long),
                                                       linear_bias=lib.randn(5)),
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.randn(3), lib.randn(4, 2, 3),
                                                       lib.zeros(2, dtype=lib.long)),
    lambda lib: lib.nn.functional.linear_cross_entropy(lib.randn(2, 3), lib.randn(4, 3),
                                                       lib.rand(2, 4), ignore_index=1),
    lambda lib: lib.nn.LinearCrossEntropyLoss(3, 4, weight=lib.ones(3)),
    lambda lib: lib.nn.LinearCrossEntropyLoss(3, 4, label_smoothing=1.5),
    lambda lib: lib.nn.LinearCrossEntropyOptions(acc_policy="fast"),
    lambda lib: lib.nn.LinearCrossEntropyOptions(chunking_method="aspect_ratio:0"),
    lambda lib: lib.nn.LinearCrossEntropyOptions(chunking_method="square"),
    lambda lib: lib.nn.LinearCrossEntropyOptions(batch_chunk_size=0),
    lambda lib: lib.nn.LinearCrossEntropyOptions(acc_dtype=lib.int32),
    lambda lib: lib.nn.functional.linear_cross_entropy(
        lib.randn(8, 4), lib.randn(16, 4), lib.zeros(8, dtype=lib.long),
        options=lib.nn.LinearCrossEntropyOptions(batch_chunk_size=3,
                                                 chunking_method="aspect_ratio")),
    lambda lib: lib.nn.functional.linear_cross_entropy(
        lib.randn(8, 4), lib.randn(16, 4), lib.zeros(8, dtype=lib.long),
        options=lib.nn.LinearCrossEntropyOptions(acc_dtype=lib.float64)),
])
def test_errors(case):
    _error(case)


def test_options_dataclass():
    out = []
    for lib in LIBS:
        O = lib.nn.LinearCrossEntropyOptions
        o = O()
        with pytest.raises(dataclasses.FrozenInstanceError):
            o.batch_chunk_size = 3
        adj = [repr(O(**kw)._adjust(n, f, c, dt, lib.device("cpu")))
               for kw in ({}, {"batch_chunk_size": 5}, {"chunking_method": "aspect_ratio:4"},
                          {"acc_policy": "balanced"}, {"chunking_method": None})
               for n, f, c in ((100, 8, 1000), (7, 16, 3), (64, 64, 64))
               for dt in (lib.float32, lib.bfloat16, lib.float16)]
        out.append((repr(o), o == O(), hash(o) == hash(O()), [f.name for f in
                    dataclasses.fields(O)], adj, repr(O(acc_dtype=lib.bfloat16))))
    assert out[1] == out[0]


def test_fallback_warning_text():
    msgs = []
    for lib in LIBS:
        with pytest.warns(UserWarning) as rec:
            lib.nn.functional.linear_cross_entropy(
                lib.randn(2, 3), lib.randn(4, 2, 3), lib.zeros(2, 2, dtype=lib.long),
                linear_bias=lib.randn(4, 2), options=lib.nn.LinearCrossEntropyOptions())
        msgs.append([str(r.message) for r in rec])
    assert msgs[1] == msgs[0]


def test_module_pickles_and_loads_state_dict():
    lib = ember
    m = lib.nn.LinearCrossEntropyLoss(3, 4, bias=True,
                                      options=lib.nn.LinearCrossEntropyOptions(batch_chunk_size=2))
    m2 = pickle.loads(pickle.dumps(m))
    assert repr(m2) == repr(m)
    np.testing.assert_array_equal(_np(m2.linear.weight), _np(m.linear.weight))
    tm = torch.nn.LinearCrossEntropyLoss(3, 4, bias=True)
    tm.load_state_dict({k: torch.from_numpy(_np(v)) for k, v in m.state_dict().items()})
    x, t = np.random.RandomState(0).randn(5, 3).astype(np.float32), np.array([0, 1, 2, 3, 0])
    a = tm(torch.from_numpy(x), torch.from_numpy(t))
    b = m(ember.from_numpy(x), ember.from_numpy(t))
    np.testing.assert_allclose(_np(b), _np(a), rtol=1e-6)


def test_names_exported():
    for name in ("LinearCrossEntropyLoss", "LinearCrossEntropyOptions"):
        assert hasattr(ember.nn, name) and name in dir(ember.nn)
    assert "linear_cross_entropy" in ember.nn.functional.__all__


_SCRIPT = """
import pickle
import warnings
import torch
import torch.nn.functional as F
import torch.nn.modules.loss as L
from torch.nn.modules.linear_cross_entropy_options import LinearCrossEntropyOptions
warnings.simplefilter("ignore")
torch.manual_seed(0)
o = LinearCrossEntropyOptions(batch_chunk_size=2)
m = torch.nn.LinearCrossEntropyLoss(3, 4, bias=True, options=o)
print(type(m), type(o), L.LinearCrossEntropyLoss is torch.nn.LinearCrossEntropyLoss)
print(type(pickle.loads(pickle.dumps(m))) is type(m), pickle.loads(pickle.dumps(o)) == o)
print(m)
print(m(torch.randn(5, 3), torch.tensor([0, 1, 2, 3, 0])).grad_fn.name())
print(F.linear_cross_entropy(torch.randn(2, 3), torch.randn(4, 3), torch.tensor([1, 2])).shape)
"""


def test_ember_run_resolves_the_names(tmp_path):
    """Under ``ember run`` the classes print PyTorch's modules, resolve there, and pickle; the
    printed lines are the script's output under PyTorch 2.13."""
    import os
    import subprocess
    import sys
    script = tmp_path / "script.py"
    script.write_text(_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    got = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(script)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert got.returncode == 0, got.stderr
    assert got.stdout.splitlines() == [
        "<class 'torch.nn.modules.loss.LinearCrossEntropyLoss'> <class "
        "'torch.nn.modules.linear_cross_entropy_options.LinearCrossEntropyOptions'> True",
        "True True",
        "LinearCrossEntropyLoss(",
        "  in_features=3, num_classes=4, out_features=(), bias=True, reduction=mean, "
        "ignore_index=None, label_smoothing=0.0, options=LinearCrossEntropyOptions("
        "allow_retain_graph=False, batch_chunk_size=2, chunking_method='auto', "
        "acc_policy='auto', acc_dtype=None)",
        "  (linear): Linear(in_features=3, out_features=4, bias=True)",
        ")",
        "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_defaultBackward",
        "torch.Size([])"]
