"""Optimizer steps bit for bit against PyTorch where a fuzzer found them apart.

- 0-d parameters: NumPy makes a scalar of an operation's 0-d result, which the fused helpers
  (BLAS ``axpy`` for ``lerp_``/``add(alpha=)``, MKL's ``sqrt``) must still take as an array.
- RAdam and NAdam with ``foreach=True``: PyTorch's multi-tensor updates order their
  arithmetic differently from the single-tensor ones (RAdam's step as one ``addcmul_`` of a
  reciprocal, NAdam's denominator as ``sqrt(v) / sqrt(bias_correction2)``).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember import _blas
from ember._ops import _vml

torch = pytest.importorskip("torch")

exact = pytest.mark.skipif(
    not (_vml.emulated() and torch.backends.mkl.is_available() and _blas.available()),
    reason="PyTorch's MKL sqrt and fused axpy are reproduced only on the measured processor")


def _run(lib, name, kw, inits, grads, dtype, lr=0.01):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) for a in inits]
        kw = {"lr": lib.tensor(0.01) if lr == "t" else lr, **kw}
        opt = getattr(lib.optim, name)(ps, **kw)
        for gs in grads:
            for p, g in zip(ps, gs):
                p.grad = lib.tensor(g, dtype=getattr(lib, dtype))
            opt.step()
    return [p.detach().numpy() for p in ps]


def _check(name, kw, shapes, *, seed, steps=8, reps=6, dtype="float32", lr=0.01):
    rng = np.random.default_rng(seed)

    def draw(s):
        a = rng.standard_normal(s).astype(np.float32)
        return a + 1j * rng.standard_normal(s).astype(np.float32) if dtype[0] == "c" else a

    for _ in range(reps):
        inits = [draw(s) for s in shapes]
        grads = [[draw(s) for s in shapes] for _ in range(steps)]
        t = _run(torch, name, kw, inits, grads, dtype, lr)
        e = _run(ember, name, kw, inits, grads, dtype, lr)
        for a, b in zip(t, e):
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_array_equal(b, a, err_msg=f"{name} {kw} {shapes}")


ZERO_D = [("Adadelta", dict(lr=1.0, rho=0.95)), ("Adadelta", dict(weight_decay=0.1,
                                                                   maximize=True)),
          ("Adam", {}), ("Adam", dict(weight_decay=0.01, maximize=True)),
          ("AdamW", dict(amsgrad=True)), ("Adamax", {}), ("Adamax", dict(weight_decay=0.01)),
          ("RAdam", {}), ("NAdam", {}), ("RMSprop", dict(centered=True, momentum=0.9)),
          ("SGD", dict(momentum=0.9, weight_decay=0.01))]


@exact
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name,kw", ZERO_D, ids=[f"{n}{i}" for i, (n, _) in enumerate(ZERO_D)])
def test_zero_dim_parameter(name, kw, foreach):
    _check(name, dict(kw, foreach=foreach), [()], seed=1, reps=25)


MULTI = [("RAdam", {}), ("RAdam", dict(betas=(0.8, 0.9), weight_decay=0.01)),
         ("RAdam", dict(betas=(0.5, 0.6), weight_decay=0.1, decoupled_weight_decay=True)),
         ("RAdam", dict(maximize=True, eps=0.0)),
         ("NAdam", {}), ("NAdam", dict(betas=(0.8, 0.9), weight_decay=0.01)),
         ("NAdam", dict(momentum_decay=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
         ("NAdam", dict(maximize=True))]


@exact
@pytest.mark.parametrize("name,kw", MULTI, ids=[f"{n}{i}" for i, (n, _) in enumerate(MULTI)])
def test_multi_tensor_update(name, kw):
    # 12 steps: RAdam's rectified branch starts after a few (sooner with smaller beta2)
    _check(name, dict(kw, foreach=True), [(), (7,), (2, 3)], seed=2, steps=12, reps=3)


@exact
@pytest.mark.parametrize("name", ["RAdam", "NAdam"])
@pytest.mark.parametrize("dtype", ["float64", "complex64"])
def test_multi_tensor_other_dtypes(name, dtype):
    _check(name, dict(foreach=True, betas=(0.8, 0.9)), [(), (5,)], seed=3, steps=10, reps=2,
           dtype=dtype)


@exact
@pytest.mark.parametrize("name", ["RAdam", "NAdam"])
def test_multi_tensor_tensor_lr(name):
    # a 0-d tensor lr: float32 step-size arithmetic for RAdam, its value (a float) for NAdam
    _check(name, dict(foreach=True, weight_decay=0.01), [(4,)], seed=4, steps=10, reps=2,
           lr="t")


@pytest.mark.parametrize("name", ["RAdam", "NAdam"])
def test_foreach_none_on_cpu_is_single_tensor(name):
    # foreach=None on the CPU runs PyTorch's single-tensor update, not the multi-tensor one
    rng = np.random.default_rng(5)
    init = rng.standard_normal(6).astype(np.float32)
    grads = [[rng.standard_normal(6).astype(np.float32)] for _ in range(10)]
    a = _run(ember, name, {}, [init], grads, "float32")
    b = _run(ember, name, dict(foreach=False), [init], grads, "float32")
    np.testing.assert_array_equal(a[0], b[0])


# -- complex parameters: PyTorch's single-tensor updates add the weight decay (and Adadelta
# its step) in complex arithmetic, unfused, before or after viewing the tensors as real;
# its multi-tensor updates work on the real views throughout (fused).  ASGD: real views.
COMPLEX = [("Adam", dict(weight_decay=0.1)), ("Adam", dict(weight_decay=0.1, maximize=True)),
           ("Adamax", dict(weight_decay=0.1)), ("Adadelta", dict(weight_decay=0.1)),
           ("Adadelta", dict(lr=0.3)), ("Adagrad", dict(weight_decay=0.1, maximize=True)),
           ("RMSprop", dict(weight_decay=0.1, centered=True)), ("ASGD", dict(weight_decay=0.1)),
           ("ASGD", dict(t0=2))]


@exact
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name,kw", COMPLEX, ids=[f"{n}{i}" for i, (n, _) in enumerate(COMPLEX)])
def test_complex_parameter(name, kw, foreach):
    _check(name, dict(kw, foreach=foreach), [(3, 4)], seed=6, steps=6, reps=10,
           dtype="complex64")


# -- a 0-d tensor lr or betas: PyTorch's 0-d tensor arithmetic for the step sizes (``** 0.5`` is
# its sqrt, ``** 3`` a product), the value cast to the parameters' dtype where it meets them
# (a float64 lr on float32 parameters; 0-d parameters promote instead), and the multi-tensor
# Adamax/NAdam taking the lr's value as a Python float.
def _tensor_hyper(name, kw, dtype, lr_dtype, shape, foreach, seed, reps=2, steps=6):
    rng = np.random.default_rng(seed)
    for _ in range(reps):
        init = rng.standard_normal(shape).astype(np.float32)
        grads = [rng.standard_normal(shape).astype(np.float32) for _ in range(steps)]
        out = []
        for lib in (torch, ember):
            p = lib.tensor(init, dtype=getattr(lib, dtype), requires_grad=True)
            extra = {k: (lib.tensor(v[0]), lib.tensor(v[1])) if k == "betas" else v
                     for k, v in kw.items()}
            opt = getattr(lib.optim, name)(
                [p], lr=lib.tensor(0.03, dtype=getattr(lib, lr_dtype)), foreach=foreach,
                **extra)
            for g in grads:
                p.grad = lib.tensor(g, dtype=getattr(lib, dtype))
                opt.step()
            out.append(p.detach().numpy())
        np.testing.assert_array_equal(out[1], out[0], err_msg=f"{name} {kw} {shape}")


HYPER = [("Adam", dict(betas=(0.9, 0.999)), False), ("AdamW", dict(betas=(0.8, 0.99)), False),
         ("Adam", dict(weight_decay=0.01), False), ("AdamW", {}, False),
         ("Adamax", dict(weight_decay=0.01), True), ("Adamax", {}, False),
         ("NAdam", dict(weight_decay=0.01, decoupled_weight_decay=True), False),
         ("NAdam", {}, True), ("RAdam", dict(weight_decay=0.01, decoupled_weight_decay=True),
                               False),
         ("RAdam", {}, True), ("Adagrad", dict(lr_decay=0.01), False)]


@exact
@pytest.mark.parametrize("lr_dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(), (5,)])
@pytest.mark.parametrize("name,kw,foreach", HYPER,
                         ids=[f"{n}{i}" for i, (n, _, _) in enumerate(HYPER)])
def test_tensor_hyperparameters(name, kw, foreach, shape, lr_dtype):
    _tensor_hyper(name, kw, "float32", lr_dtype, shape, foreach, seed=7)
