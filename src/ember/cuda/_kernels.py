"""Fused GPU kernels for the elementwise work of a training step.

On a GPU every array call is a kernel launch that costs several microseconds of host time,
whatever its size; for small batches that cost, not the arithmetic, sets the speed.  The
ops below (ReLU and its backward, log-softmax and NLL with their backwards, SGD's and
Adam's whole per-parameter updates, ``add_(x, alpha=)``) do in one kernel what the generic
array code does in two to thirteen, and without a host round trip (the generic ``nll_loss``
reads the targets' range back to the host to raise PyTorch's error; the fused one gives a
NaN loss for a target out of range instead, as the price of a step that never waits for
the GPU).  ``leading_sum`` is a bias's gradient as one cuBLAS product.

``for_array(a)`` gives the kernels for ``a``'s array module: CuPy's compiled ones, the
simulated GPU's NumPy twins (so that the simulation tests the wiring), or None on the CPU,
where the generic code is already the fast path.  Every op checks that its case is the
one the kernel handles (float32/float64, contiguous rows) and the caller falls back to the
generic code otherwise.  A kernel that fails to compile disables itself.
"""
from __future__ import annotations
from ember._warnings import warn as _warn

import functools

import numpy as np

from .. import _device, _meta_xp

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def for_array(a):
    """The fused kernels for the (non-NumPy) array ``a``, or None."""
    if type(a) is np.ndarray or isinstance(a, (np.generic, int, float, bool)):
        return None
    if type(a) is _meta_xp.MetaArray:
        return _NO_KERNELS
    global _FOR
    cp = _device._get_cupy()
    if cp is not _FOR[0]:  # once (and when the simulated device comes or goes)
        k = getattr(cp, "_ember_kernels", None)  # the simulated device brings its own
        _FOR = (cp, k if k is not None else _CupyKernels(cp))
    return _FOR[1]


_FOR = (None, None)  # (the array module, its kernels)


class _NoKernels:
    """The meta device's kernels: none (every fused path answers None, and the op takes
    its general path, which works out shapes only)."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None

    def sgd(self, *args, **kwargs):
        return False, None


_NO_KERNELS = _NoKernels()


def fits_rows(a) -> bool:
    """A C-contiguous 2-D float32/float64 array: what the row kernels take."""
    return a.ndim == 2 and a.dtype in _FLOATS and a.flags.c_contiguous and a.shape[1] > 0


# -- CUDA sources ---------------------------------------------------------------------

_RELU = "y = x > (T)0 ? x : (x != x ? x : (T)0)"  # NaN passes, as in PyTorch
_RELU_BACKWARD = "gx = y != (T)0 ? g : (T)0"  # threshold_backward: blocked where y == 0
_AXPY = "y = fma(a, x, y)"  # add_(x, alpha=a) in one kernel, rounded once as PyTorch's

# Adam/AdamW on one parameter in one kernel: the generic update's operations in its order,
# each rounded on its own (compiled with --fmad=false) except those the generic code
# rounds once (weight decay's add and lerp, each a BLAS-style axpy; addcmul in float32).
_ADAM = r"""
T gr = maximize ? -g : g;
if (decay_kind == 1) p = p * decay;
else if (decay_kind == 2) gr = fma(wd, p, gr);
const T d = gr - m;
m = lerp_small ? fma(w, d, m) : fma(-w, d, gr);
v = v * beta2;
v = sizeof(T) == 4 ? fma(gr * one_m_beta2, gr, v) : v + (gr * one_m_beta2) * gr;
AMSGRAD
den = den / bc2;
den = den + eps;
p = p + (m * neg_step) / den;
"""
_ADAM_DENOM = ("T den = sqrt(v);",  # or with amsgrad:
               "vmax = (vmax > v || vmax != vmax) ? vmax : v;\nT den = sqrt(vmax);")
_ADAM_IN = ("T g, T w, T beta2, T one_m_beta2, T bc2, T eps, T neg_step, T decay, T wd, "
            "int32 decay_kind, int32 maximize, int32 lerp_small")

# SGD with its options in one kernel; every add the generic update does (weight decay,
# momentum, Nesterov, the step itself) is an axpy, rounded once.  With momentum, ``first``
# says the buffer starts as the gradient.
_SGD = r"""
T gr = maximize ? -g : g;
if (has_wd) gr = fma(wd, p, gr);
MOMENTUM
p = fma(neg_lr, gr, p);
"""
_SGD_MOMENTUM = r"""
if (first) buf = gr;
else {
    buf = buf * momentum;
    buf = fma(one_m_damp, gr, buf);
}
gr = nesterov ? fma(momentum, buf, gr) : buf;
"""
_SGD_IN = ("T g, T wd, T momentum, T one_m_damp, T neg_lr, int32 maximize, int32 has_wd, "
           "int32 first, int32 nesterov")


# One thread per row: max, sum of exp, then the outputs (rows are short: class scores).
_LOG_SOFTMAX = r"""
const ptrdiff_t b = i * C;
T m = x[b];
for (ptrdiff_t j = 1; j < C; ++j) {
    const T v = x[b + j];
    if (v > m || v != v) m = v;
}
if (!isfinite(m)) m = 0;
T s = 0;
for (ptrdiff_t j = 0; j < C; ++j) s += exp(x[b + j] - m);
const T l = log(s);
for (ptrdiff_t j = 0; j < C; ++j) y[b + j] = (x[b + j] - m) - l;
"""

_LOG_SOFTMAX_BACKWARD = r"""
const ptrdiff_t b = i * C;
T s = 0;
for (ptrdiff_t j = 0; j < C; ++j) s += g[b + j];
for (ptrdiff_t j = 0; j < C; ++j) gx[b + j] = g[b + j] - exp(y[b + j]) * s;
"""

# One block sums the picked log-probabilities and counts the targets that are not ignored;
# thread 0 writes the loss (mean or sum) and the count the backward needs.
_NLL_FORWARD = r"""
extern "C" __global__ void NAME(const TYPE* lp, const long long* t, const long long n,
                                const long long C, const long long ignore, const int mean,
                                TYPE* out, TYPE* count) {
    __shared__ TYPE s_sum[256];
    __shared__ TYPE s_cnt[256];
    TYPE sum = 0, cnt = 0;
    for (long long r = threadIdx.x; r < n; r += blockDim.x) {
        const long long k = t[r];
        if (k == ignore) continue;
        cnt += 1;
        if (k < 0 || k >= C) sum += NAN_VALUE;
        else sum -= lp[r * C + k];
    }
    s_sum[threadIdx.x] = sum;
    s_cnt[threadIdx.x] = cnt;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) {
            s_sum[threadIdx.x] += s_sum[threadIdx.x + w];
            s_cnt[threadIdx.x] += s_cnt[threadIdx.x + w];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        out[0] = mean ? s_sum[0] / s_cnt[0] : s_sum[0];
        count[0] = s_cnt[0];
    }
}
"""
_NAN = {"float": "__int_as_float(0x7fc00000)",
        "double": "__longlong_as_double(0x7ff8000000000000LL)"}

_NLL_BACKWARD = r"""
const ptrdiff_t r = i / C;
const long long k = t[r];
gx = (k == (long long)(i - r * C) && k != ignore) ? -(mean ? go[0] / count[0] : go[0]) : (T)0;
"""


class _CupyKernels:
    """The kernels, compiled by CuPy on first use."""

    def __init__(self, cp):
        self.cp = cp
        self.broken = set()
        self._ones_cache = {}
        ew = cp.ElementwiseKernel
        self._relu = ew("T x", "T y", _RELU, "ember_relu")
        self._relu_backward = ew("T g, T y", "T gx", _RELU_BACKWARD, "ember_relu_backward")
        self._lsm = ew("raw T x, int64 C", "raw T y", _LOG_SOFTMAX, "ember_log_softmax_rows")
        self._lsm_backward = ew("raw T g, raw T y, int64 C", "raw T gx", _LOG_SOFTMAX_BACKWARD,
                                "ember_log_softmax_backward_rows")
        self._nll_backward = ew("raw T go, raw int64 t, raw T count, int64 C, int64 ignore, "
                                "int32 mean", "T gx", _NLL_BACKWARD, "ember_nll_backward")
        self._nll_forward = {}
        self._axpy = ew("T x, T a", "T y", _AXPY, "ember_axpy")
        exact = {"options": ("--fmad=false",), "no_return": True}  # no contracted a*b+c
        self._adam = [ew(_ADAM_IN, "T p, T m, T v" + ", T vmax" * ams,
                         _ADAM.replace("AMSGRAD", _ADAM_DENOM[ams]),
                         "ember_adam" + "_amsgrad" * ams, **exact) for ams in (0, 1)]
        self._sgd = [ew(_SGD_IN, "T p" + ", T buf" * mom,
                        _SGD.replace("MOMENTUM", _SGD_MOMENTUM * mom),
                        "ember_sgd" + "_momentum" * mom, **exact) for mom in (0, 1)]

    def _run(self, name, fn):
        """``fn()``, or None (and the kernel off from then on) if it fails to compile."""
        if name in self.broken:
            return None
        try:
            return fn()
        except self.cp.cuda.compiler.CompileException:  # pragma: no cover - GPU only

            self.broken.add(name)
            _warn(f"ember: the fused CUDA kernel {name} did not compile; using the "
                  "generic code", RuntimeWarning, stacklevel=3)
            return None

    def relu(self, x):
        return self._run("relu", lambda: self._relu(x))

    def relu_backward(self, g, y):
        return self._run("relu_backward", lambda: self._relu_backward(g, y))

    def axpy(self, alpha, x, y):
        """``y += alpha * x`` in place (one rounding); False where it does not apply."""
        if not _axpy_fits(x, y):
            return False
        return self._run("axpy", lambda: self._axpy(x, y.dtype.type(alpha), y)) is not None

    def adam(self, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, **opts):
        """One parameter's Adam/AdamW update in place, in one kernel (the arguments of
        ``optim._functional.adam``); False where it does not apply."""
        if not _same_floats(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq):
            return False
        s = adam_scalars(p.dtype.type, step, **opts)
        state = (p, exp_avg, exp_avg_sq) + ((max_exp_avg_sq,) if opts["amsgrad"] else ())
        kernel = self._adam[bool(opts["amsgrad"])]
        return self._run("adam", lambda: kernel(g, *s, *state) or True) is not None

    def sgd(self, p, g, buf, **opts):
        """One parameter's SGD update in place, in one kernel (the arguments of
        ``optim._functional.sgd``): ``(True, momentum buffer)``, or ``(False, None)`` where
        it does not apply."""
        if not _same_floats(p, g, buf):
            return False, None
        s = sgd_scalars(p.dtype.type, first=buf is None, **opts)
        if opts["momentum"] == 0:
            return self._run("sgd", lambda: self._sgd[0](g, *s, p) or True) is not None, None
        if buf is None:  # the first step makes the buffer
            buf = self.cp.empty_like(p)
        ok = self._run("sgd", lambda: self._sgd[1](g, *s, p, buf) or True) is not None
        return ok, (buf if ok else None)

    def leading_sum(self, a, dims):
        """``a.sum(axis=dims)`` where ``dims`` are ``a``'s leading axes (a bias's gradient),
        as one matrix-vector product, or None where that does not apply.

        NOTE: CuPy's own reduction gives the few output columns of such a sum a handful of
        thread blocks that walk all the rows, which leaves most of the GPU idle at large
        batches; cuBLAS's product with a vector of ones reads the rows at full width."""
        m = _leading_rows(a, dims)
        if m is None:
            return None
        return (self._ones(m, a) @ a.reshape(m, -1)).reshape(a.shape[len(dims):])

    def _ones(self, n, a):
        """A vector of ``n`` ones in ``a``'s dtype on ``a``'s GPU, kept for the next step."""
        key = (n, a.dtype, a.device.id)
        ones = self._ones_cache.get(key)
        if ones is None:
            if len(self._ones_cache) >= 16:  # a few batch sizes at a time
                self._ones_cache.clear()
            with a.device:
                ones = self._ones_cache[key] = self.cp.ones(n, dtype=a.dtype)
        return ones

    def log_softmax(self, x):
        y = self.cp.empty_like(x)

        def launch():
            self._lsm(x, x.shape[1], y, size=x.shape[0])
            return y
        return self._run("log_softmax", launch)

    def log_softmax_backward(self, g, y):
        g = self.cp.ascontiguousarray(g)
        gx = self.cp.empty_like(y)

        def launch():
            self._lsm_backward(g, y, y.shape[1], gx, size=y.shape[0])
            return gx
        return self._run("log_softmax_backward", launch)

    def nll_forward(self, lp, t, ignore, mean):
        """The loss (0-d) and the count of targets not ignored (0-d), for 2-D ``lp``."""
        cp = self.cp
        ctype = "float" if lp.dtype == np.float32 else "double"
        k = self._nll_forward.get(ctype)
        if k is None:
            src = _NLL_FORWARD.replace("NAME", f"ember_nll_forward_{ctype}") \
                .replace("TYPE", ctype).replace("NAN_VALUE", _NAN[ctype])
            k = self._nll_forward[ctype] = cp.RawKernel(src, f"ember_nll_forward_{ctype}")
        out = cp.empty((), dtype=lp.dtype)
        count = cp.empty((), dtype=lp.dtype)
        t = cp.ascontiguousarray(t)

        def launch():
            k((1,), (256,), (lp, t, np.int64(lp.shape[0]), np.int64(lp.shape[1]),
                             np.int64(ignore), np.int32(bool(mean)), out, count))
            return out, count
        return self._run("nll_forward", launch)

    def nll_backward(self, go, t, count, n_classes, ignore, mean):
        gx = self.cp.empty((t.shape[0], n_classes), dtype=go.dtype)
        return self._run("nll_backward",
                         lambda: self._nll_backward(go, t, count, n_classes, ignore,
                                                    int(bool(mean)), gx))


def _axpy_fits(x, y):
    return x is not y and _same_floats(y, x)


def _same_floats(p, *arrays):
    """A float32/float64 ``p`` and arrays (None allowed) of its dtype and shape."""
    return p.dtype in _FLOATS and all(
        a is None or (a.dtype == p.dtype and a.shape == p.shape) for a in arrays)


def adam_scalars(dt, step, *, beta1, beta2, lr, weight_decay, eps, amsgrad, maximize,
                 decoupled_weight_decay):
    """The Adam kernel's scalar arguments, in dtype ``dt`` where the generic update converts
    them: ``w`` is lerp's weight (or ``1 - weight`` when lerp takes its second formula),
    ``decay_kind`` 0 (none), 1 (decoupled: ``p *= decay``) or 2 (coupled: ``g += wd * p``)."""
    w = 1 - beta1
    lerp_small = abs(w) < 0.5
    decay_kind = 0 if weight_decay == 0 else 1 if decoupled_weight_decay else 2
    return (dt(w) if lerp_small else dt(1) - dt(w), dt(beta2), dt(1 - beta2),
            dt((1 - beta2 ** step) ** 0.5), dt(eps), dt(-(lr / (1 - beta1 ** step))),
            dt(1 - lr * weight_decay), dt(weight_decay), np.int32(decay_kind),
            np.int32(bool(maximize)), np.int32(lerp_small))


@functools.lru_cache(maxsize=64)  # the same few every step
def sgd_scalars(dt, *, first, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """The SGD kernel's scalar arguments, in dtype ``dt`` as the generic update converts them."""
    return (dt(weight_decay), dt(momentum), dt(1 - dampening), dt(-lr),
            np.int32(bool(maximize)), np.int32(weight_decay != 0), np.int32(first),
            np.int32(bool(nesterov)))


def _leading_rows(a, dims):
    """The number of rows that a sum over ``a``'s leading axes ``dims`` folds together, when
    the product with a ones vector can do it: a C-contiguous float array, some axes kept."""
    k = len(dims)
    if not (0 < k < a.ndim and dims == tuple(range(k)) and a.dtype in _FLOATS and
            a.flags.c_contiguous and a.size):
        return None
    m = 1
    for n in a.shape[:k]:
        m *= n
    return m


class NumpyTwins:
    """The same ops in NumPy, on arrays the caller unwraps and wraps (the simulated GPU)."""

    @staticmethod
    def axpy(alpha, x, y):
        from .._blas import axpy

        if not _axpy_fits(x, y):
            return False
        if not axpy(alpha, x, y):  # as the CPU: an FMA, emulated where BLAS is missing
            y[...] = (x.astype(np.float64) * np.float64(y.dtype.type(alpha)) + y).astype(y.dtype)
        return True

    @staticmethod
    def adam(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, **opts):
        """The Adam kernel's source, line for line, in NumPy (its FMAs as the CPU's axpy)."""
        from .._blas import added

        if not _same_floats(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq):
            return False
        (w, beta2, one_m_beta2, bc2, eps, neg_step, decay, wd, decay_kind, maximize,
         lerp_small) = adam_scalars(p.dtype.type, step, **opts)

        def fma(a, x, y):
            return added(y, x, a)
        with np.errstate(all="ignore"):
            gr = -g if maximize else g
            if decay_kind == 1:
                p *= decay
            elif decay_kind == 2:
                gr = fma(wd, p, gr)
            d = gr - exp_avg
            exp_avg[...] = fma(w, d, exp_avg) if lerp_small else fma(-w, d, gr)
            exp_avg_sq *= beta2
            if exp_avg_sq.dtype == np.float32:
                exp_avg_sq[...] = (gr * one_m_beta2).astype(np.float64) * gr + exp_avg_sq
            else:
                exp_avg_sq += (gr * one_m_beta2) * gr
            v = exp_avg_sq
            if opts["amsgrad"]:
                np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                v = max_exp_avg_sq
            den = np.sqrt(v) / bc2
            den += eps
            p += (exp_avg * neg_step) / den
        return True

    @staticmethod
    def sgd(p, g, buf, **opts):
        """The SGD kernel's source, line for line, in NumPy (its FMAs as the CPU's axpy)."""
        from .._blas import added

        if not _same_floats(p, g, buf):
            return False, None
        (wd, momentum, one_m_damp, neg_lr, maximize, has_wd, first,
         nesterov) = sgd_scalars(p.dtype.type, first=buf is None, **opts)
        with np.errstate(all="ignore"):
            gr = -g if maximize else g
            if has_wd:
                gr = added(gr, p, wd)
            if opts["momentum"] != 0:
                if first:
                    buf = gr.copy()
                else:
                    buf *= momentum
                    buf[...] = added(buf, gr, one_m_damp)
                gr = added(gr, buf, momentum) if nesterov else buf
            p[...] = added(p, gr, neg_lr)
        return True, buf

    @staticmethod
    def leading_sum(a, dims):
        m = _leading_rows(a, dims)
        if m is None:
            return None
        return (np.ones(m, dtype=a.dtype) @ a.reshape(m, -1)).reshape(a.shape[len(dims):])

    @staticmethod
    def relu(x):
        return np.where(x > 0, x, np.where(x != x, x, 0)).astype(x.dtype)

    @staticmethod
    def relu_backward(g, y):
        return np.where(y != 0, g, 0).astype(g.dtype)

    @staticmethod
    def log_softmax(x):
        m = np.max(x, axis=1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
        with np.errstate(all="ignore"):
            s = x - m
            return (s - np.log(np.exp(s).sum(axis=1, keepdims=True))).astype(x.dtype)

    @staticmethod
    def log_softmax_backward(g, y):
        return (g - np.exp(y) * g.sum(axis=1, keepdims=True)).astype(y.dtype)

    @staticmethod
    def nll_forward(lp, t, ignore, mean):
        keep = t != ignore
        ok = keep & (t >= 0) & (t < lp.shape[1])
        picked = np.where(ok, lp[np.arange(t.shape[0]), np.where(ok, t, 0)], np.nan)
        total = -np.where(keep, picked, 0).sum(dtype=lp.dtype)
        count = lp.dtype.type(keep.sum())
        with np.errstate(all="ignore"):
            out = total / count if mean else total
        return np.asarray(out, dtype=lp.dtype), np.asarray(count, dtype=lp.dtype)

    @staticmethod
    def nll_backward(go, t, count, n_classes, ignore, mean):
        with np.errstate(all="ignore"):
            v = -(go / count if mean else go)
        hit = (np.arange(n_classes)[None, :] == t[:, None]) & (t != ignore)[:, None]
        return np.where(hit, v, 0).astype(go.dtype)
