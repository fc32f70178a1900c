"""The matrix-product family against PyTorch: dtypes of integer sums, scalar conversion of
``beta``/``alpha``, the order of checks and their messages, empty products, BLAS's
``alpha == 0`` shortcut, signed zeros, strides, ``F.linear``'s fused paths and
``tensordot``'s ``dims`` parsing (found by a random fuzzer of these ops)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

NAN = float("nan")


def _run(T, fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = fn(T)
        except Exception as e:  # noqa: BLE001 - the error itself is compared
            return ("err", type(e).__name__, str(e)), [str(w.message) for w in caught]
    out = []
    for t in r if isinstance(r, tuple) else (r,):
        if isinstance(t, str):
            out.append(t)
            continue
        v = t.detach().resolve_conj()
        if v.dtype is T.bfloat16:
            v = v.float()
        a = v.numpy()
        if a.dtype.kind == "c":  # (complex zeros' signs are not compared)
            a = a + 0
        out.append((str(t.dtype).split(".")[-1], tuple(t.shape),
                    tuple(t.stride()) if t.numel() else None, a.tobytes(),
                    type(t.grad_fn).__name__ if t.grad_fn is not None else None))
    return out, [str(w.message) for w in caught]


def _same(fn):
    exp, ew = _run(torch, fn)
    got, gw = _run(ember, fn)
    assert got == exp
    assert gw == ew


def _t(T, v, dt="float64"):
    return T.tensor(v, dtype=getattr(T, dt))


CASES = {
    # integer sums keep the operands' dtype
    "inner_strided_int32": lambda T: T.inner(_t(T, [1, 2, 3, 4], "int32")[::2],
                                             _t(T, [5, 6], "int32")),
    "inner_strided_int8_wraps": lambda T: T.inner(_t(T, [100, 0, 100], "int8")[::2],
                                                  _t(T, [1, 1], "int8")),
    "inner_strided_bool": lambda T: T.inner(_t(T, [True, False, True, True], "bool")[::2],
                                            _t(T, [True, True, False, True], "bool")[::2]),
    "addbmm_int8": lambda T: T.addbmm(T.ones(2, 2, dtype=T.int8), T.ones(3, 2, 2, dtype=T.int8),
                                      T.ones(3, 2, 2, dtype=T.int8), beta=0, alpha=2),
    # beta/alpha converted as PyTorch converts Scalars
    "addmm_uint8_alpha_-1": lambda T: T.addmm(T.ones(2, 2, dtype=T.uint8),
                                              T.ones(2, 2, dtype=T.uint8),
                                              T.ones(2, 2, dtype=T.uint8), alpha=-1),
    "addmm_uint8_beta_-255": lambda T: T.addmm(T.ones(2, 2, dtype=T.uint8),
                                               T.ones(2, 2, dtype=T.uint8),
                                               T.ones(2, 2, dtype=T.uint8), beta=-255),
    "addmm_uint8_alpha_300": lambda T: T.addmm(T.ones(2, 2, dtype=T.uint8),
                                               T.ones(2, 2, dtype=T.uint8),
                                               T.ones(2, 2, dtype=T.uint8), alpha=300),
    "addmm_uint8_alpha_-1.5": lambda T: T.addmm(T.ones(2, 2, dtype=T.uint8),
                                                T.ones(2, 2, dtype=T.uint8),
                                                T.ones(2, 2, dtype=T.uint8), alpha=-1.5),
    "addmm_int32_alpha_2**31": lambda T: T.addmm(T.ones(2, 2, dtype=T.int32),
                                                 T.ones(2, 2, dtype=T.int32),
                                                 T.ones(2, 2, dtype=T.int32), alpha=2 ** 31),
    "addmm_float_alpha_2**200": lambda T: T.addmm(T.ones(2, 2), T.ones(2, 2), T.ones(2, 2),
                                                  alpha=2 ** 200),
    "addmm_half_overflows_quietly": lambda T: T.addmm(T.ones(2, 2).half(), T.ones(2, 2).half(),
                                                      T.ones(2, 2).half(), alpha=1e6),
    "baddbmm_int8_alpha_200": lambda T: T.baddbmm(T.ones(1, 2, 2, dtype=T.int8),
                                                  T.ones(1, 2, 2, dtype=T.int8),
                                                  T.ones(1, 2, 2, dtype=T.int8), alpha=200),
    "addmv_uint8_alpha_-256": lambda T: T.addmv(T.ones(2, dtype=T.uint8),
                                                T.ones(2, 2, dtype=T.uint8),
                                                T.ones(2, dtype=T.uint8), alpha=-256),
    "addbmm_uint8_alpha_-1": lambda T: T.addbmm(T.ones(2, 2, dtype=T.uint8),
                                                T.ones(1, 2, 2, dtype=T.uint8),
                                                T.ones(1, 2, 2, dtype=T.uint8), alpha=-1),
    # the order of the checks, and their words
    "addbmm_mat1_mat2_dtypes": lambda T: T.addbmm(T.ones(2, 2), T.ones(1, 2, 2).double(),
                                                  T.ones(1, 2, 2)),
    "addbmm_self_mat2_dtypes": lambda T: T.addbmm(T.ones(2, 2), T.ones(1, 2, 2),
                                                  T.ones(1, 2, 2).double()),
    "addbmm_expand_first": lambda T: T.addbmm(T.ones(3, 7), T.ones(1, 2, 2),
                                              T.ones(3, 2, 2).half()),
    "addbmm_bool": lambda T: T.addbmm(T.ones(2, 2).bool(), T.ones(2, 2, 2).bool(),
                                      T.ones(2, 2, 2).bool(), alpha=0.5),
    "baddbmm_input_batch1_dtypes": lambda T: T.baddbmm(T.ones(2, 2, 2), T.ones(2, 2, 2).double(),
                                                       T.ones(2, 2, 2)),
    "baddbmm_bool": lambda T: T.baddbmm(T.ones(2, 2, 2).bool(), T.ones(2, 2, 2).bool(),
                                        T.ones(2, 2, 2)),
    "addmm_dtypes_before_dims": lambda T: T.addmm(T.ones(3), T.ones(3), T.ones(3, 3).double()),
    "addmm_bias_3d": lambda T: T.addmm(T.ones(3, 2, 4), T.ones(2, 3), T.ones(3, 4)),
    "addmm_inplace_shape": lambda T: T.ones(3, 4).addmm_(T.ones(2, 3), T.ones(3, 4)),
    "cross_size_before_dtype": lambda T: T.cross(T.ones(4, 3), T.ones(4, 3).half(), dim=0),
    "cross_dim_before_dtype": lambda T: T.cross(T.ones(3), T.ones(3).long(), dim=1),
    "cross_size_before_bool": lambda T: T.linalg.cross(T.ones(2, 3).bool(), T.ones(2, 2).bool()),
    "cross_broadcast": lambda T: T.linalg.cross(T.ones(2, 3), T.ones(3, 3)),
    "dot_bool_sizes_first": lambda T: T.vdot(T.ones(4).bool(), T.ones(2).bool()),
    "addr_bool_float_alpha": lambda T: T.addr(T.ones(2, 2).bool(), T.ones(2).bool(),
                                              T.ones(2).bool(), alpha=0.5),
    "baddbmm_expand_first": lambda T: T.baddbmm(T.ones(3, 7), T.ones(2, 2, 2),
                                                T.ones(2, 2, 1).half()),
    "baddbmm_expand_before_batch2": lambda T: T.baddbmm(T.ones(3, 7), T.ones(2, 2, 0),
                                                        T.ones(3, 0, 1)),
    "addmm_bool_shapes_first": lambda T: T.addmm(T.ones(()).bool(), T.ones(2, 2).bool(),
                                                 T.ones(3, 4).bool()),
    "addbmm_no_batch_bool_empty_result": lambda T: T.addbmm(T.ones(1).bool(),
                                                            T.ones(0, 0, 3).half(),
                                                            T.ones(0, 3, 1).bool(), beta=0.5),
    "addmm_k0_alpha_-1_zeros": lambda T: T.addmm(T.ones(2, 1).bfloat16(),
                                                 T.ones(2, 0).bfloat16(),
                                                 T.ones(0, 4).bfloat16(), beta=0, alpha=-1),
    # empty products: no kernel runs
    "bmm_empty_mixed": lambda T: T.bmm(T.ones(2, 2, 0), T.ones(2, 0, 2).to(T.int8)),
    "bmm_empty_batch_mixed": lambda T: T.bmm(T.ones(0, 2, 2), T.ones(0, 2, 2).to(T.int8)),
    "bmm_empty_bool": lambda T: T.bmm(T.ones(2, 2, 0).bool(), T.ones(2, 0, 2).bool()),
    "mm_k0_bool": lambda T: T.mm(T.ones(2, 0).bool(), T.ones(0, 4).bool()),
    "mv_empty_bool": lambda T: T.mv(T.ones(0, 2).bool(), T.ones(2).bool()),
    "matmul_empty_mixed": lambda T: T.matmul(T.ones(0, 3, 3, dtype=T.complex64),
                                             T.ones(2, 1, 3, 2, dtype=T.float64)),
    "addmm_k0_int_float_beta": lambda T: T.addmm(T.ones(2).long(), T.ones(2, 0).long(),
                                                 T.ones(0, 2).long(), beta=0.5),
    "baddbmm_k0_int_float_beta": lambda T: T.baddbmm(T.ones(2).long(), T.ones(2, 2, 0).long(),
                                                     T.ones(2, 0, 2).long(), beta=0.5),
    "baddbmm_k0_bool": lambda T: T.baddbmm(T.ones(2, 2, 1).bool(), T.ones(2, 2, 0).bool(),
                                           T.ones(2, 0, 1).bool()),
    "baddbmm_k0_batch2_dtype": lambda T: T.baddbmm(T.ones(1, 1, dtype=T.uint8),
                                                   T.ones(2, 1, 0, dtype=T.uint8),
                                                   T.ones(2, 0, 1, dtype=T.int8)),
    "addbmm_no_batch_int_float_beta": lambda T: T.addbmm(T.ones(2, 2).long(),
                                                         T.ones(0, 2, 2).long(),
                                                         T.ones(0, 2, 2).long(), beta=0.5),
    "addbmm_no_batch_mixed": lambda T: T.addbmm(T.ones(2, 1).half(), T.ones(0, 2, 2).half(),
                                                T.ones(0, 2, 1).bfloat16(), beta=0.5),
    "addbmm_k0_bool_two_batches": lambda T: T.addbmm(T.ones(2, 2).bool(),
                                                     T.ones(2, 2, 0).bool(),
                                                     T.ones(2, 0, 2).bool(), beta=True),
    "addmv_empty_input_kept": lambda T: T.addmv(T.ones(1), T.ones(2, 0), T.ones(0), beta=0.5),
    "addmv_empty_rows": lambda T: T.addmv(T.ones(1), T.ones(0, 3), T.ones(3), beta=2),
    "addmv_empty_int_beta": lambda T: T.addmv(T.ones(1).long(), T.ones(2, 0).long(),
                                              T.ones(0).long(), beta=0.5),
    # BLAS never reads the product when alpha == 0
    "addmm_alpha0_nan": lambda T: T.addmm(-T.zeros(2, 2), _t(T, [[NAN, 1], [-2, 3]]),
                                          _t(T, [[NAN, 1], [-2, 3]]).float(), alpha=0),
    "addmm_alpha0_nan_f64": lambda T: T.addmm(T.ones(2, 2).double(), _t(T, [[NAN, 1], [-2, 3]]),
                                              _t(T, [[NAN, 1], [-2, 3]]), alpha=0, beta=0.5),
    "addmm_alpha0_beta0_f32": lambda T: T.addmm(_t(T, NAN, "float32"),
                                                _t(T, [[-1, 2], [3, -4]], "float32"),
                                                _t(T, [[-1, 2], [3, -4]], "float32"),
                                                alpha=0, beta=0),
    "addmv_alpha0_nan": lambda T: T.addmv(-T.zeros(2), _t(T, [[NAN, 1], [-2, 3]], "float32"),
                                          _t(T, [1, -1], "float32"), alpha=0),
    "addbmm_alpha0_nan": lambda T: T.addbmm(T.ones(2, 2).double(),
                                            _t(T, [[[NAN, 1], [-2, 3]]] * 2),
                                            _t(T, [[[1, 1], [-2, 3]]] * 2), alpha=0, beta=0),
    # signed zeros and strides
    "mm_f64_k1_negative_zero": lambda T: T.mm(_t(T, [[-1.], [2.]]), _t(T, [[0., 1.]])),
    "mm_f64_row_times_matrix_strides": lambda T: T.mm(T.ones(1, 4).double(),
                                                      T.ones(4, 4).double()),
    "mm_f64_matrix_times_column_strides": lambda T: T.mm(T.ones(3, 4).double(),
                                                         T.ones(4, 1).double()),
    "multi_dot_f64_strides": lambda T: T.linalg.multi_dot(
        [T.ones(3, 4).double(), T.ones(4, 4).double(), T.ones(4, 1).double()]),
    "cross_f64_negative_zero": lambda T: T.linalg.cross(
        _t(T, [[0., -0.25, -0.25], [-0., 1., -0.]]), _t(T, [[0., 0., 1.], [0., -0., 1.]])),
    # F.linear: one addmm for a contiguous bias of one (non-1) dim, else matmul + add_
    "linear_0d_bias": lambda T: T.nn.functional.linear(T.ones(2, 2, 3), T.ones(4, 3),
                                                       T.tensor(1.)),
    "linear_2d_bias_3d_input": lambda T: T.nn.functional.linear(T.ones(2, 2, 3), T.ones(4, 3),
                                                                T.ones(2, 4)),
    "linear_row_bias": lambda T: T.nn.functional.linear(T.ones(2, 2, 3), T.ones(4, 3),
                                                        T.ones(1, 4)),
    "linear_column_bias": lambda T: T.nn.functional.linear(T.ones(1, 2, 3), T.ones(4, 3),
                                                           T.ones(2, 1)),
    "linear_vector_big_bias": lambda T: T.nn.functional.linear(T.ones(3), T.ones(4, 3),
                                                               T.ones(2, 4)),
    "linear_strided_bias": lambda T: T.nn.functional.linear(T.ones(2, 2, 3), T.ones(4, 3),
                                                            T.ones(8)[::2]),
    "linear_1d_weight_dtypes": lambda T: T.nn.functional.linear(T.ones(2, 1).int(), T.ones(1),
                                                                T.ones(1)),
    # tensordot's dims
    "tensordot_two_ints": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 2), dims=[0, 1]),
    "tensordot_int_other": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 2), dims=[[1], 0]),
    "tensordot_float": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 2), dims=1.0),
    "tensordot_tensor_count": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 2),
                                                    dims=T.tensor(1)),
    "tensordot_tensor_rows": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 2),
                                                   dims=T.tensor([[1], [0]])),
    "tensordot_tensor_pair": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 2),
                                                   dims=T.tensor([1, 0])),
    "tensordot_three_lists": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 2),
                                                   dims=([1], [0], [1])),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch(name):
    _same(CASES[name])


def test_linear_bias_paths_grad_fn():
    for xs in [(3,), (2, 3), (2, 2, 3), (2, 2, 2, 3), (2, 0, 3)]:
        for bs in [(4,), (), (1,), (1, 4), (2, 4)]:
            def fn(T, xs=xs, bs=bs):
                w = T.ones(4, 3, requires_grad=True)
                return T.nn.functional.linear(T.ones(xs), w, T.ones(bs))
            _same(fn)


def test_addbmm_no_batch_grads():
    def fn(T):
        c, x, y = (T.ones(s, dtype=T.float64, requires_grad=True)
                   for s in ((2, 3), (0, 2, 4), (0, 4, 3)))
        r = T.addbmm(c, x, y, beta=2, alpha=-1)
        return (r,) + T.autograd.grad(r.sum(), (c, x, y))
    _same(fn)


def test_bilinear_complex_grad_refused():
    def fn(T, grad):
        x = T.ones(2, 3, dtype=T.complex64, requires_grad=grad)
        return T.nn.functional.bilinear(x, T.ones(2, 2, dtype=T.complex64),
                                        T.ones(4, 3, 2, dtype=T.complex64))
    _same(lambda T: fn(T, True))
    _same(lambda T: fn(T, False))


def test_fuzz_products_small():
    """A seeded sweep: random products of small integer-valued operands in several dtypes
    and layouts, results compared bit for bit."""
    rng = np.random.default_rng(7)
    dts = ["float32", "float64", "int64", "complex128"]
    for _ in range(40):
        dt = dts[rng.integers(len(dts))]
        m, k, n, b = (int(v) for v in rng.integers(0, 4, 4))
        x = rng.integers(-4, 5, (b, m, k)).astype(np.float64)
        y = rng.integers(-4, 5, (b, k, n)).astype(np.float64)
        c = rng.integers(-4, 5, (m, n)).astype(np.float64)
        beta, alpha = (int(v) for v in rng.integers(-1, 3, 2))

        def fn(T, x=x, y=y, c=c, dt=dt, beta=beta, alpha=alpha):
            d = getattr(T, dt)
            X, Y, C = (T.tensor(v).to(d) for v in (x, y, c))
            outs = [T.matmul(X, Y), T.bmm(X, Y), T.addbmm(C, X, Y, beta=beta, alpha=alpha),
                    T.baddbmm(C, X, Y, beta=beta, alpha=alpha)]
            if b:
                outs += [T.mm(X[0], Y[0]), T.addmm(C, X[0], Y[0], beta=beta, alpha=alpha),
                         T.mm(X[0].mT.contiguous().mT, Y[0])]
                if n:
                    outs.append(T.addmv(C[:, 0], X[0], Y[0, :, 0], beta=beta, alpha=alpha))
            return tuple(outs)
        _same(fn)
