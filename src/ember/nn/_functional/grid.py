"""Sampling at arbitrary points: ``affine_grid`` and ``grid_sample``.

``grid_sample`` reads, for each output point, a few *taps* of the input: one
(``'nearest'``), ``2**d`` (``'bilinear'``, trilinear in 3-D) or 16
(``'bicubic'``).  Where a tap lies and whether it falls inside the input
(:class:`_Plan`) is piecewise constant in the grid; only the tap weights, small
polynomials of each coordinate's fractional part, vary smoothly with it.  So

    out[n, c, p] = sum_k W_k(grid[n, p]) * input[n, c, tap_k(n, p)]

and the gradient for the input scatters ``W_k * grad`` back to the taps, while
the gradient for the grid is ``dW_k/dgrid * input[taps]`` summed over channels.
The backward rule is written with ember ops over two primitives (gather the
taps, scatter to the taps, each the other's adjoint) and one node carrying a
coordinate's derivative, so gradients of gradients come for free.
"""
from __future__ import annotations

import itertools
import math
import operator

import numpy as np

from ... import _dtype as D
from ..._ops._core import _legacy, exact_values, make, quiet, shown_as, wrap, xp_of
from ..._ops.shape import stack
from ..._tensor import Tensor
from ..._warnings import warn as _warn
from ...autograd.grad_mode import STATE

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the old "
                  "behavior is desired. See the documentation of grid_sample for details.")
_FLOATS = (D.float16, D.bfloat16, D.float32, D.float64)
_CUBIC_A = -0.75  # the sharpness of the cubic convolution kernel, as in PyTorch


def _type_name(v) -> str:
    """A value's type as PyTorch's argument parser names it (``int``, ``numpy.bool``...)."""
    if isinstance(v, Tensor):
        return "Tensor"
    t = type(v)
    mod = t.__module__
    return t.__qualname__ if mod == "builtins" else f"{mod.split('.')[0]}.{t.__qualname__}"


def _dtype_name(d) -> str:
    try:
        return _legacy(d)
    except KeyError:
        return {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(d.name, d.name)


def _check_bool(v, fn, pos):
    if type(v) is not bool:
        raise TypeError(f"{fn}(): argument 'align_corners' (position {pos}) must be bool, not "
                        f"{_type_name(v)}")


# -- affine_grid ----------------------------------------------------------------------

def _axis_coords(n, dt, align_corners):
    """The ``n`` normalised positions along one axis, in dtype ``dt`` (NumPy)."""
    if n <= 1:
        return np.zeros(1, dtype=dt)  # a single position sits at the centre
    # Evaluated from both ends towards the middle, so that the ends are exactly -1 and 1
    # and the positions are symmetric (PyTorch's linspace does the same).  For float32 the
    # products and sums are taken in float64 and rounded once, like the fused multiply-adds
    # of PyTorch's kernel, which makes the positions bit for bit the same.
    step = dt.type(2) / dt.type(n - 1)
    half = n // 2
    if dt.itemsize < 8:
        i = np.arange(n, dtype=np.float64)
        lo = -1 + np.float64(step) * i[:half]
        hi = 1 - np.float64(step) * (n - 1 - i[half:])
    else:  # float64: the same fused multiply-adds, each rounded once
        from ..._random import _fma64

        i = np.arange(n, dtype=dt)
        lo = np.asarray(_fma64(np.full(half, step), i[:half], np.full(half, -1.0, dt)))
        hi = np.asarray(_fma64(np.full(n - half, -step), n - 1 - i[half:],
                               np.full(n - half, 1.0, dt)))
    pos = np.concatenate([lo, hi]).astype(dt)
    if not align_corners:  # pixel centres: shrink the span by (n - 1) / n
        pos = ((pos * dt.type(n - 1)).astype(dt) / dt.type(n)).astype(dt)
    return pos


def _base_grid(spatial, dt, align_corners):
    """``(prod(spatial), d + 1)``: rows ``(x, y[, z], 1)`` with x along the last dim."""
    axes = [_axis_coords(n, dt, align_corners) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # one array per spatial dim, first dim first
    cols = [m.reshape(-1) for m in reversed(mesh)] + [np.ones(math.prod(spatial), dtype=dt)]
    return np.stack(cols, axis=1)


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The sampling grid of a batch of affine maps, for :func:`grid_sample`.

    ``theta`` ``(N, 2, 3)`` with ``size`` ``(N, C, H, W)`` gives ``(N, H, W, 2)``;
    ``theta`` ``(N, 3, 4)`` with ``size`` ``(N, C, D, H, W)`` gives ``(N, D, H, W, 3)``.
    Point ``(x, y[, z])`` of the output is ``theta @ (x, y[, z], 1)`` for the normalised
    position ``(x, y[, z])`` in ``[-1, 1]`` of that output pixel (its centre when
    ``align_corners=False``, the default; the corner pixels' centres sit at +-1 when True).

    >>> F.affine_grid(ember.eye(2, 3)[None], (1, 1, 2, 2), align_corners=True)[0, :, :, 0]
    tensor([[-1.,  1.],
            [-1.,  1.]])
    """
    if align_corners is None:
        _warn(_ALIGN_WARNING, UserWarning)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        _warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
              "align_corners=True. This is not an intended use case of affine_grid. See the "
              "documentation of affine_grid for details.", UserWarning)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if isinstance(size, Tensor):
        raise TypeError("affine_grid_generator(): argument 'size' (position 2) must be tuple of "
                        "ints, not Tensor")
    dims = []
    for i, s in enumerate(size):
        try:
            if isinstance(s, bool):
                raise TypeError
            dims.append(operator.index(s))
        except TypeError:
            raise TypeError("affine_grid_generator(): argument 'size' (position 2) must be tuple "
                            f"of ints, but found element of type {_type_name(s)} at pos "
                            f"{i}") from None
    _check_bool(align_corners, "affine_grid_generator", 3)
    n, nd = dims[0], len(dims) - 2
    if theta.shape[0] != n:
        # NOTE: PyTorch finds the mismatch in the batched matrix product it is built on.
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {nd + 1}] but got: [{theta.shape[0]}, {nd + 1}].")
    xp = xp_of(theta)
    dt = theta._data.dtype
    ct = np.dtype(np.float32) if dt.name in ("float16", "bfloat16") else dt
    base = _base_grid(tuple(dims[2:]), ct, align_corners)
    if xp is not np:
        base = xp.asarray(base)
    th = theta._data.astype(ct, copy=False)
    # (N, L, d): each point's coordinates times theta's columns, added left to right with a
    # rounding per step, as PyTorch's small batched product does (bit for bit; a BLAS
    # product of the same shape rounds differently)
    out = None
    for k in range(nd + 1):
        term = base[None, :, k:k + 1] * th[:, None, :, k]
        out = term if out is None else out + term
    out = out.astype(dt, copy=False).reshape(tuple(dims[:1]) + tuple(dims[2:]) + (nd,))
    out = xp.ascontiguousarray(out)
    return make(out, (theta,), "AffineGridGeneratorBackward0",
                lambda ctx, g: (_affine_grid_grad(g, base, n, nd),))


def _affine_grid_grad(g, base, n, nd):
    """``theta``'s gradient: each output point's gradient times its base row, summed."""
    b = wrap(base, g._device)
    low = g.dtype in (D.float16, D.bfloat16)
    g2 = (g.float() if low else g).reshape(n, -1, nd).transpose(1, 2)
    out = g2 @ b  # (N, d, d + 1)
    return out.to(g.dtype) if low else out


# -- grid_sample: where the taps are ------------------------------------------------------

def _unnormalize(c, size, align_corners):
    """Grid values in ``[-1, 1]`` as pixel positions, and the derivative of the map."""
    if align_corners:
        return ((c + 1) / 2) * (size - 1), (size - 1) / 2
    return ((c + 1) * size - 1) / 2, size / 2


def _clip(xp, s, size):
    """Clamp to ``[0, size - 1]`` (NaN to 0) and the derivative: 0 on and beyond the ends."""
    hi = size - 1
    return xp.fmin(xp.fmax(s, 0), hi), ((s > 0) & (s < hi))


def _reflect(xp, s, twice_lo, twice_hi):
    """Fold ``s`` into ``[twice_lo / 2, twice_hi / 2]`` by mirroring at the ends; with the
    derivative's sign (the fold count's parity, and the side of the lower end)."""
    if twice_lo == twice_hi:
        return xp.zeros_like(s), xp.zeros(s.shape, dtype=bool), xp.zeros(s.shape, dtype=bool)
    lo = twice_lo / 2
    span = (twice_hi - twice_lo) / 2
    with quiet:
        d = s - lo
        below = d < 0
        d = xp.abs(d)
        extra = xp.fmod(d, span)
        odd = xp.fmod(xp.floor(d / span), 2) == 1
    out = xp.where(odd, span - extra + lo, extra + lo).astype(s.dtype, copy=False)
    return out, below, odd


def _source(xp, c, size, padding, align_corners, volumetric):
    """Pixel positions for bilinear and nearest sampling (padding applied) and their
    derivative along the grid."""
    s, scale = _unnormalize(c, size, align_corners)
    m = xp.full(s.shape, scale, dtype=s.dtype)
    if padding == "zeros":
        if volumetric:  # see the NOTE below
            s = xp.where(xp.isfinite(s), s, -2).astype(s.dtype, copy=False)
        return s, m
    if padding == "reflection":
        twice = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        s, below, odd = _reflect(xp, s, *twice)
        m = xp.where(below != odd, -m, m)
    if volumetric:
        s = xp.where(xp.isnan(s), size - 1, s).astype(s.dtype, copy=False)
    s, inside = _clip(xp, s, size)
    return s, m * inside


def _tap_index(xp, t, size, padding):
    """Integer positions ``t`` (a float array) as indices into a dim of ``size``, and which are
    inside (None: all are): ``'zeros'`` keeps the ones inside, ``'border'`` clamps."""
    if padding == "border":
        return xp.fmin(xp.fmax(t, 0), size - 1).astype(np.int64), None
    valid = (t >= 0) & (t <= size - 1)  # False for NaN
    return xp.where(valid, t, 0).astype(np.int64), valid


class _Tap:
    """One tap per output point: a flat index into the spatial dims, and which are inside."""

    __slots__ = ("flat", "valid", "choice")

    def __init__(self, flat, valid, choice):
        self.flat, self.valid, self.choice = flat, valid, choice


class _Plan:
    """Where each output point of :func:`grid_sample` reads the input.

    Per spatial dim ``d`` (in the input's order): ``s[d]``, the pixel position read (as the
    weights see it), ``m[d]`` its derivative along the grid's component, ``fl[d]`` the
    integer part the weights are measured from; and ``taps``, each a ``_Tap`` whose
    ``choice`` says which of each dim's positions it combines.

    NOTE: PyTorch's 2-D and 3-D CPU kernels treat NaN and infinite grid values differently,
    and ember follows each.  In 2-D a NaN position clamps to 0 (border, reflection), and with
    zeros padding NaN weights reach the output (NaN).  In 3-D a NaN position clamps to the
    far end instead, and with zeros padding a non-finite position reads nothing (0).
    """

    def __init__(self, xp, grid, spatial, mode, padding, align_corners):
        nd = len(spatial)
        n = grid.shape[0]
        g = grid.reshape(n, math.prod(grid.shape[1:-1]), nd)
        self.s, self.m, self.fl = [], [], []
        per_dim = []  # per dim: a list of (index, valid) for each of its positions
        with quiet:
            for d, size in enumerate(spatial):
                c = g[..., nd - 1 - d]  # grid component 0 is x, along the last dim
                if mode == "bicubic":
                    s, scale = _unnormalize(c, size, align_corners)
                    m = xp.full(s.shape, scale, dtype=s.dtype)
                    fl = xp.floor(s)
                    positions = [_bicubic_index(xp, fl + o, size, padding, align_corners)
                                 for o in (-1, 0, 1, 2)]
                else:
                    s, m = _source(xp, c, size, padding, align_corners, nd == 3)
                    fl = xp.rint(s) if mode == "nearest" else xp.floor(s)
                    offsets = (0,) if mode == "nearest" else (0, 1)
                    positions = [_tap_index(xp, fl + o, size, "zeros") for o in offsets]
                self.s.append(s)
                self.m.append(m)
                self.fl.append(fl)
                per_dim.append(positions)
        strides = [math.prod(spatial[d + 1:]) for d in range(nd)]
        self.taps = []
        for choice in itertools.product(*[range(len(p)) for p in per_dim]):
            flat, valid = 0, None
            for d, j in enumerate(choice):
                idx, ok = per_dim[d][j]
                flat = flat + idx * strides[d]
                if ok is not None:
                    valid = ok if valid is None else valid & ok
            self.taps.append(_Tap(flat[:, None, :], None if valid is None else valid[:, None, :],
                                  choice))


def _bicubic_index(xp, t, size, padding, align_corners):
    if padding == "reflection":
        twice = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        t = _reflect(xp, t, *twice)[0]
        padding = "border"
    return _tap_index(xp, t, size, padding)


# -- grid_sample: gathering and scattering taps -------------------------------------------

def _full_index(xp, tap, shape):
    """Indices into the flattened ``(N, C, *spatial)`` input of one tap, ``(N, C, P)``."""
    n, c = shape[:2]
    length = math.prod(shape[2:])
    rows = (xp.arange(n)[:, None, None] * c + xp.arange(c)[None, :, None]) * length
    return rows + tap.flat


def _gather_array(xp, x, tap):
    idx = _full_index(xp, tap, x.shape)
    v = xp.take(x.reshape(-1), idx)
    return v if tap.valid is None else xp.where(tap.valid, v, 0).astype(x.dtype, copy=False)


def _scatter_arrays(xp, vals, taps, shape):
    """Each tap's ``(N, C, P)`` values (an iterable, consumed one at a time) added up at
    its positions of a zero ``(N, C, *spatial)`` array (summed in float64)."""
    size = math.prod(shape)
    acc = dt = None
    for v, tap in zip(vals, taps):
        dt = v.dtype
        idx = _full_index(xp, tap, shape)
        if tap.valid is not None:
            v = xp.where(tap.valid, v, 0)
        part = xp.bincount(idx.reshape(-1), weights=v.reshape(-1), minlength=size)
        acc = part if acc is None else acc + part
    return acc.astype(dt).reshape(shape)


def _gather(x, tap):
    """Tensor ``(N, C, *spatial)`` -> the values at one tap, ``(N, C, P)`` (0 outside)."""
    shape = tuple(x.shape)
    return make(_gather_array(xp_of(x), x._data, tap), (x,), "GridSamplerGatherBackward",
                lambda ctx, g: (_scatter([g], [tap], shape),))


def _scatter(vals, taps, shape):
    """The adjoint of :func:`_gather` for several taps: their ``(N, C, P)`` values added up
    into a ``(N, C, *spatial)`` tensor."""
    arr = _scatter_arrays(xp_of(vals[0]), [v._data for v in vals], taps, shape)

    def rule(ctx, g):
        return tuple(_gather(g, t) if need else None
                     for t, need in zip(taps, ctx.needs_input_grad))
    return make(arr, tuple(vals), "GridSamplerScatterBackward", rule)


# -- grid_sample: weights -------------------------------------------------------------

def _cubic_near(u):  # the kernel on |u| <= 1, and its derivative
    a = _CUBIC_A
    return ((a + 2) * u - (a + 3)) * u * u + 1, (3 * (a + 2) * u - 2 * (a + 3)) * u


def _cubic_far(u):  # the kernel on 1 < |u| < 2, and its derivative
    a = _CUBIC_A
    return ((a * u - 5 * a) * u + 8 * a) * u - 4 * a, (3 * a * u - 10 * a) * u + 8 * a


def _dim_weights(mode, f):
    """One dim's tap weights as functions of the fractional position ``f`` (an array or a
    tensor), and their derivatives along ``f``."""
    if mode == "bilinear":
        return [1 - f, f], [-1.0, 1.0]
    w0, d0 = _cubic_far(f + 1)
    w1, d1 = _cubic_near(f)
    w2, d2 = _cubic_near(1 - f)
    w3, d3 = _cubic_far(2 - f)
    return [w0, w1, w2, w3], [d0, d1, -d2, -d3]


def _prod(items):
    out = items[0]
    for x in items[1:]:
        out = out * x
    return out


def _sample_array(xp, x, plan, mode):
    """The forward pass on arrays: ``(N, C, *spatial)`` -> ``(N, C, P)``."""
    x = xp.ascontiguousarray(x)  # flattened once, as a view, for every tap
    if mode == "nearest":
        return _gather_array(xp, x, plan.taps[0])
    out = None
    with quiet:  # non-finite grid values give NaN weights, as in PyTorch
        ws = [_dim_weights(mode, (s - fl).astype(s.dtype, copy=False))[0]
              for s, fl in zip(plan.s, plan.fl)]
        for tap in plan.taps:
            w = _prod([ws[d][j] for d, j in enumerate(tap.choice)])
            term = w[:, None, :] * _gather_array(xp, x, tap)
            out = term if out is None else out + term
    return out


def _coord(grid, comp, s, m):
    """Pixel position ``s`` read along grid component ``comp``, as a tensor whose gradient
    reaches the grid through the derivative ``m`` (the positions are piecewise linear in the
    grid, so ``m`` is piecewise constant and this node needs no second derivative)."""
    gc = grid[..., comp].reshape(s.shape)
    mt = wrap(m, grid._device)
    return make(s, (gc,), "GridSamplerCoordBackward", lambda ctx, g: (g * mt,))


def _grid_sample_grads(g, x, grid, mode, padding, align_corners, nx, ng):
    """The gradients for ``input`` and ``grid``, built from differentiable ops."""
    if not STATE.enabled and _fast_2d(x, mode) and grid.dtype is x.dtype:
        return _grads_2d(g, x, grid, mode, padding, align_corners, nx, ng)
    if not STATE.enabled and _exact_3d(x, grid, mode):
        return _grads_3d(g, x, grid, mode, padding, align_corners, nx, ng)
    dt = x.dtype
    low = dt in (D.float16, D.bfloat16)
    if low:
        g, x, grid = g.float(), x.float(), grid.float()
    x = x.contiguous()  # flattened once, as a view, for every tap
    xp = xp_of(x)
    nd = x.dim() - 2
    shape = tuple(x.shape)
    plan = _Plan(xp, grid._data, shape[2:], mode, padding, align_corners)
    g3 = g.reshape(shape[:2] + (math.prod(grid.shape[1:-1]),))
    gx = gg = None
    if mode == "nearest":
        if nx:
            gx = _scatter([g3], plan.taps, shape)
        if ng:  # the taps do not move with the grid
            gg = wrap(xp.zeros(grid.shape, dtype=grid._data.dtype), grid._device)
    else:
        f = [_coord(grid, nd - 1 - d, plan.s[d], plan.m[d]) - wrap(plan.fl[d], g._device)
             for d in range(nd)]
        ws, dws = zip(*[_dim_weights(mode, fd) for fd in f])

        def weight(t):
            return _prod([ws[d][j] for d, j in enumerate(t.choice)])
        if nx:
            if STATE.enabled:  # create_graph: one node over all taps
                gx = _scatter([weight(t).unsqueeze(1) * g3 for t in plan.taps], plan.taps, shape)
            else:  # one tap's values at a time
                vals = ((weight(t).unsqueeze(1) * g3)._data for t in plan.taps)
                gx = wrap(_scatter_arrays(xp, vals, plan.taps, shape), g._device)
        if ng:
            acc = [None] * nd
            for t in plan.taps:
                h = (g3 * _gather(x, t)).sum(1)  # (N, P)
                for d in range(nd):
                    term = _prod([dws[e][j] if e == d else ws[e][j]
                                  for e, j in enumerate(t.choice)]) * h
                    acc[d] = term if acc[d] is None else acc[d] + term
            # grid component j moves the position along spatial dim nd - 1 - j
            comps = [acc[nd - 1 - j] * wrap(plan.m[nd - 1 - j], g._device) for j in range(nd)]
            gg = stack(comps, -1).reshape(grid.shape)
    if low:
        gx = None if gx is None else gx.to(dt)
        gg = None if gg is None else gg.to(dt)
    return gx, gg


# -- grid_sample: PyTorch's 3-D CPU kernel, step for step ----------------------------------
#
# PyTorch's 3-D CPU kernel is scalar code: per grid point, the weight of each corner is the
# product of its x, y and z shares (in that order), each share measured from the corner
# (``(x0 + 1) - x`` and ``x - x0``); the output adds the eight corners' terms in turn from
# zero (skipping those outside); the input's gradient adds each point's corner terms into a
# zero tensor, point by point; the grid's gradient sums, per point, over the channels and
# then the corners, the value times the other two shares times the output's gradient.

def _exact_3d(x: Tensor, grid: Tensor, mode: str) -> bool:
    """Whether :func:`grid_sample` on ``x`` follows PyTorch's 3-D kernel step for step."""
    return (x.dim() == 5 and mode != "bicubic" and x.dtype in (D.float32, D.float64)
            and grid.dtype is x.dtype and type(x._data) is np.ndarray
            and type(grid._data) is np.ndarray)


def _shares_3d(plan):
    """Per spatial dim (D, H, W): the shares of its lower and upper corner."""
    return [((fl + s.dtype.type(1)) - s, s - fl) for s, fl in zip(plan.s, plan.fl)]


def _sample_3d(x, plan, mode):
    """The forward pass of the 3-D kernel on arrays: ``(N, C, D, H, W)`` -> ``(N, C, P)``."""
    x = np.ascontiguousarray(x)
    if mode == "nearest":
        return _gather_array(np, x, plan.taps[0])
    shares = _shares_3d(plan)
    out = np.zeros(x.shape[:2] + plan.s[0].shape[1:], x.dtype)
    with quiet:
        for tap in plan.taps:
            (wz, wy, wx) = (shares[d][j] for d, j in enumerate(tap.choice))
            term = ((wx * wy) * wz)[:, None, :] * _gather_array(np, x, tap)
            if tap.valid is not None:  # (a corner outside adds nothing, not even +0)
                term = np.where(tap.valid, term, x.dtype.type(-0.0))
            out += term
    return out


def _grads_3d(g, x, grid, mode, padding, align_corners, nx, ng):
    """The 3-D kernel's gradients for ``input`` and ``grid`` (see above)."""
    xa = np.ascontiguousarray(x._data)
    shape = xa.shape
    n, c = shape[:2]
    plan = _Plan(np, grid._data, shape[2:], mode, padding, align_corners)
    g3 = np.ascontiguousarray(g._data).reshape(n, c, -1)
    shares = _shares_3d(plan) if mode != "nearest" else None
    gx = gg = None
    with quiet:
        if nx:
            idx, vals, keep = [], [], []
            for tap in plan.taps:
                if shares is None:
                    vals.append(g3)
                else:
                    (wz, wy, wx) = (shares[d][j] for d, j in enumerate(tap.choice))
                    vals.append(((wx * wy) * wz)[:, None, :] * g3)
                idx.append(_full_index(np, tap, shape))
                keep.append(np.ones(g3.shape, bool) if tap.valid is None else
                            np.broadcast_to(tap.valid, g3.shape))
            # (N, C, P, corner): each input element's terms in PyTorch's order
            idx, vals, keep = (np.stack(a, -1).reshape(-1) for a in (idx, vals, keep))
            acc = np.zeros(math.prod(shape), xa.dtype)
            np.add.at(acc, idx[keep], vals[keep])
            gx = wrap(acc.reshape(shape), g._device)
        if ng:
            gd = np.zeros(grid.shape, grid._data.dtype)
            if shares is not None:
                sums = [np.zeros(plan.s[0].shape, xa.dtype) for _ in range(3)]  # z, y, x
                taps = [(tap, _gather_array(np, xa, tap),
                         [shares[d][j] for d, j in enumerate(tap.choice)]) for tap in plan.taps]
                for ch in range(c):
                    go = g3[:, ch, :]
                    for tap, v, (wz, wy, wx) in taps:
                        val = v[:, ch, :]
                        ok = None if tap.valid is None else tap.valid[:, 0, :]
                        terms = (((val * wy) * wz) * go, ((val * wx) * wz) * go,
                                 ((val * wx) * wy) * go)  # x, y, z
                        for d, term in zip((2, 1, 0), terms):
                            new = sums[d] + term if tap.choice[d] else sums[d] - term
                            sums[d] = new if ok is None else np.where(ok, new, sums[d])
                for comp in range(3):  # grid component 0 moves along x, the last dim
                    d = 2 - comp
                    gd[..., comp] = (plan.m[d] * sums[d]).astype(gd.dtype).reshape(
                        gd.shape[:-1])
            gg = wrap(gd, g._device)
    return gx, gg


# -- grid_sample: PyTorch's 2-D CPU kernel, step for step ----------------------------------
#
# PyTorch's 2-D CPU kernel works on 256-bit vectors of grid points (8 float32, 4 float64) and,
# where the build has FMA (AVX2/AVX512), its compiler fuses each product with the sum that
# follows it: ``(g + 1) * (size / 2) - 0.5``, the running sum of the four weighted taps, the
# grid gradient's per-channel sum.  It scatters the input's gradient one vector at a time:
# per channel, the vector's north-west shares, then north-east, south-west, south-east, each
# added in the tensor's dtype.  For float32 and float64 input on the CPU ember repeats those
# steps, which gives PyTorch's bits.


def _fused() -> bool:
    """Whether PyTorch's vectorised CPU kernels are built with FMA here."""
    from ..._random import cpu_capability

    return cpu_capability() != "default"


def _muladd(a, b, c, dt):
    """``a * b + c`` in dtype ``dt`` as PyTorch's kernel takes it: one rounding with FMA."""
    if not _fused():
        return (np.asarray(a, dt) * b + c).astype(dt, copy=False)
    from ..._random import _fma32, _fma64

    if dt == np.float32:
        return np.asarray(_fma32(a, b, c), np.float32)
    a, b, c = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, c)))
    return np.asarray(_fma64(a, b, c), np.float64).reshape(a.shape)


def _fast_2d(x: Tensor, mode: str) -> bool:
    """Whether :func:`grid_sample` on ``x`` follows PyTorch's 2-D kernel step for step."""
    return (x.dim() == 4 and x.dtype in (D.float32, D.float64)
            and mode in ("bilinear", "nearest") and xp_of(x) is np)


def _sample_2d_low(x, gr, padding, align_corners, mode="bilinear"):
    """2-D sampling of float16/bfloat16 ``x`` at ``gr`` (both of that dtype) as PyTorch's CPU
    kernel does it: code in the data's own type, where every operation is computed in float32
    and rounded back (the source positions, their padding (a reflection folds off
    ``trunc(d / twice_span)`` whole spans, each step rounded), the corner weights, each
    corner's term and each partial sum, corners added in the order nw, ne, sw, se; nearest
    rounds the rounded position half to even; bicubic rounds each step of the cubic
    coefficients and of each row's, then the column's, weighted sum, its taps at
    ``floor(position) + k``, each rounded once)."""
    dt, f32 = x.dtype, np.float32

    def rd(v):
        return np.asarray(v, f32).astype(dt).astype(f32)

    n, c, h, w = x.shape

    def clip(v, size):  # (``min(size - 1, max(v, 0))`` as std::min/max: NaN gives size - 1)
        v = np.where(v < 0, f32(0), v)
        return np.where(v < size - 1, v, rd(size - 1))

    def reflect(v, twice_lo, twice_hi):
        if twice_lo == twice_hi:
            return np.zeros_like(v)
        low = rd(rd(twice_lo) / 2)
        twice = rd(twice_hi - twice_lo)
        with quiet:
            v = np.abs(rd(v - low))
            extra = rd(v - rd(np.trunc(rd(v / twice)) * twice))
            return rd(np.minimum(extra, rd(twice - extra)) + low)

    def pad(v, size):
        if padding == "border":
            return clip(v, size)
        if padding == "reflection":
            twice = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
            return clip(reflect(v, *twice), size)
        return v

    def source(g, size):
        g = g.astype(f32)
        if align_corners:
            v = rd(rd(rd(g + 1) / 2) * f32(rd(np.array(size - 1, f32))))
        else:
            v = rd(rd(rd(rd(g + 1) * f32(rd(np.array(size, f32)))) - 1) / 2)
        return v if mode == "bicubic" else pad(v, size)
    with quiet:
        ix, iy = source(gr[..., 0], w), source(gr[..., 1], h)  # (N, Ho, Wo)
    src = x.astype(f32)
    nidx = np.arange(n).reshape(n, 1, 1)
    if mode == "bicubic":
        with quiet:
            return _bicubic_low(src, nidx, ix, iy, pad, rd)
    if mode == "nearest":
        xx, yy = np.rint(ix).astype(np.int64), np.rint(iy).astype(np.int64)
        inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        vals = np.moveaxis(src[nidx, :, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)], -1, 1)
        return np.where(inside[:, None], vals, f32(0))
    x0 = np.floor(ix).astype(np.int64)
    y0 = np.floor(iy).astype(np.int64)
    right, left = rd(x0 + 1 - ix), rd(ix - x0)
    down, up = rd(y0 + 1 - iy), rd(iy - y0)
    acc = np.zeros((n, c) + ix.shape[1:], f32)
    for yy, xx, wt in ((y0, x0, rd(right * down)), (y0, x0 + 1, rd(left * down)),
                       (y0 + 1, x0, rd(right * up)), (y0 + 1, x0 + 1, rd(left * up))):
        inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        vals = src[nidx, :, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]  # (N, Ho, Wo, C)
        term = rd(np.moveaxis(vals, -1, 1) * wt[:, None])
        acc = np.where(inside[:, None], rd(acc + term), acc)
    return acc


def _cubic_low(t, rd):
    """PyTorch's four cubic-convolution coefficients for fractions ``t``, each step rounded."""
    def near(v):  # ((A + 2) * x - (A + 3)) * x * x + 1
        return rd(rd(rd(rd(rd(v * np.float32(1.25)) - np.float32(2.25)) * v) * v) + 1)

    def far(v):  # ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
        return rd(rd(rd(rd(rd(rd(v * np.float32(_CUBIC_A)) + np.float32(3.75)) * v) - 6) * v) + 3)
    t2 = rd(1 - t)
    return far(rd(t + 1)), near(t), near(t2), far(rd(t2 + 1))


def _bicubic_low(src, nidx, ix, iy, pad, rd):
    """:func:`_sample_2d_low`'s bicubic case: four rows' cubic sums along x, then along y."""
    h, w = src.shape[2:]
    fx, fy = np.floor(ix), np.floor(iy)
    cx, cy = _cubic_low(rd(ix - fx), rd), _cubic_low(rd(iy - fy), rd)

    def value(xx, yy):  # (PyTorch's get_value_bounded: padded, truncated, zero outside)
        xx, yy = pad(xx, w), pad(yy, h)
        ok = np.isfinite(xx) & np.isfinite(yy)
        xi = np.where(ok, xx, -1).astype(np.int64)
        yi = np.where(ok, yy, -1).astype(np.int64)
        inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
        vals = src[nidx, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]  # (N, Ho, Wo, C)
        return np.where(inside[:, None], np.moveaxis(vals, -1, 1), np.float32(0))

    def interp(vals, coeffs):
        acc = rd(vals[0] * coeffs[0][:, None])
        for v, k in zip(vals[1:], coeffs[1:]):
            acc = rd(acc + rd(v * k[:, None]))
        return acc
    xs = [rd(fx + o) for o in (-1, 0, 1, 2)]
    rows = [interp([value(xx, rd(fy + o)) for xx in xs], cx) for o in (-1, 0, 1, 2)]
    return interp(rows, cy)


def _loc_2d(c, size, padding, align_corners):
    """Pixel positions along one dim for grid values ``c``, and the derivative."""
    dt = c.dtype
    f = dt.type
    with quiet:
        if align_corners:
            sf = f(size - 1) / f(2)
            s = (c + f(1)) * sf
        else:
            sf = f(size) / f(2)
            s = _muladd(c + f(1), sf, f(-0.5), dt)
        mult = np.full(s.shape, sf, dt)
        if padding == "zeros":
            return s, mult
        if padding == "reflection":
            if align_corners and size <= 1:
                return np.zeros_like(s), np.zeros_like(s)
            twice, low = (f(size - 1) * 2, f(0)) if align_corners else (f(size) * 2, f(-0.5))
            d = s - low if not align_corners else s
            neg = d < 0
            d = np.abs(d)
            flips = np.trunc(d / twice)
            extra = _muladd(-flips, twice, d, dt)
            mirrored = twice - extra
            more = extra > mirrored
            s = np.where(more, mirrored, extra)
            if not align_corners:
                s = s + low
            mult = np.where(more != neg, -mult, mult)
        s = np.fmin(np.fmax(s, f(0)), f(size - 1))  # NaN to 0
        inside = (s != 0) & (s != f(size - 1))
    return s, np.where(inside, mult, f(0))


class _Plan2d:
    """Where each output point reads the input, as PyTorch's 2-D kernel finds it: per tap
    (north-west, north-east, south-west, south-east; one for ``'nearest'``) the weight
    ``(N, P)``, the flat index into ``H * W`` ``(N, P)`` and whether it is inside."""

    def __init__(self, grid, size_hw, mode, padding, align_corners):
        n, p = grid.shape[0], math.prod(grid.shape[1:-1])
        h, w = size_hw
        gx = grid[..., 0].reshape(n, p)
        gy = grid[..., 1].reshape(n, p)
        x, self.mx = _loc_2d(gx, w, padding, align_corners)
        y, self.my = _loc_2d(gy, h, padding, align_corners)
        with quiet:
            if mode == "nearest":
                xs, ys = [np.rint(x)], [np.rint(y)]
                self.weights = None
            else:
                x0, y0 = np.floor(x), np.floor(y)
                fw, fn = x - x0, y - y0
                one = x.dtype.type(1)
                fe, fs = one - fw, one - fn
                self.fw, self.fe, self.fn, self.fs = fw, fe, fn, fs
                self.weights = [fs * fe, fs * fw, fn * fe, fn * fw]
                xs, ys = [x0, x0 + 1], [y0, y0 + 1]
        self.flat, self.valid = [], []
        for yy in ys:
            for xx in xs:
                ok = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)  # False for NaN
                idx = np.where(ok, yy * w + xx, 0).astype(np.int64)
                self.flat.append(idx)
                self.valid.append(ok)

    def gather(self, x):
        """Each tap's input values, ``(N, C, P)`` (0 outside)."""
        n, c = x.shape[:2]
        hw = math.prod(x.shape[2:])
        flat = np.ascontiguousarray(x).reshape(-1)
        plane = ((np.arange(n)[:, None] * c + np.arange(c)[None, :]) * hw)[:, :, None]
        out = []
        for idx, ok in zip(self.flat, self.valid):
            v = np.take(flat, plane + idx[:, None, :])
            out.append(np.where(ok[:, None, :], v, x.dtype.type(0)))
        return out


def _sample_2d(x, grid, mode, padding, align_corners):
    """The forward pass: ``(N, C, H, W)`` -> ``(N, C, P)``."""
    plan = _Plan2d(grid, x.shape[2:], mode, padding, align_corners)
    vals = plan.gather(x)
    if mode == "nearest":
        return vals[0]
    with quiet:
        out = vals[0] * plan.weights[0][:, None, :]
        for v, wt in zip(vals[1:], plan.weights[1:]):
            out = _muladd(v, wt[:, None, :], out, x.dtype)
    return out


def _chunks(grid):
    """The vector each output point falls in, as PyTorch's kernel walks the grid: runs of a
    vector's length over all points when a sample's points lie evenly in memory, else runs per
    row."""
    _, ho, wo, _ = grid.shape
    item = grid.itemsize
    lanes = 32 // item
    sh, sw, sc = (st // item for st in grid.strides[1:])
    whole = (sh, sw, sc) == (2 * wo, 2, 1) or ((sw == 1 or wo == 1) and (sh == wo or ho == 1))
    p = np.arange(ho * wo)
    if whole:
        return p // lanes
    per_row = -(-wo // lanes)
    return (p // wo) * per_row + (p % wo) // lanes


def _scatter_2d(parts, plan, chunk, shape):
    """Adds each tap's ``(N, C, P)`` shares into a zero ``(N, C, H * W)`` array in PyTorch's
    order: vector by vector, tap by tap within a vector, point by point."""
    n, c = shape[:2]
    hw = math.prod(shape[2:])
    taps = len(parts)
    p = chunk.shape[0]
    # the order of (tap, point) pairs: by vector, then tap, then point
    key_tap = np.repeat(np.arange(taps), p)
    key_p = np.tile(np.arange(p), taps)
    order = np.lexsort((key_p, key_tap, chunk[key_p]))
    vals = np.take(np.stack(parts, 2).reshape(n, c, taps * p), order, axis=2)
    # a tap outside the input adds to a spare slot past the end
    idx = np.where(np.stack(plan.valid, 1), np.stack(plan.flat, 1), -1)
    idx = np.take(idx.reshape(n, taps * p), order, axis=1)
    plane = (np.arange(n)[:, None] * c + np.arange(c)[None, :]) * hw  # (N, C)
    full = np.where(idx[:, None, :] < 0, n * c * hw, plane[:, :, None] + idx[:, None, :])
    out = np.zeros(n * c * hw + 1, vals.dtype)
    np.add.at(out, full.reshape(-1), vals.reshape(-1))
    return out[:-1].reshape(shape)


def _grads_2d(g, x, grid, mode, padding, align_corners, nx, ng):
    """The gradients of :func:`_sample_2d` for ``input`` and ``grid``, in PyTorch's steps."""
    xa, ga, gout = x._data, grid._data, g._data
    shape = tuple(xa.shape)
    plan = _Plan2d(ga, shape[2:], mode, padding, align_corners)
    g3 = np.ascontiguousarray(gout).reshape(shape[:2] + (math.prod(ga.shape[1:-1]),))
    gx = gg = None
    with quiet:
        if nx:
            if mode == "nearest":
                parts = [g3]
            else:
                parts = [wt[:, None, :] * g3 for wt in plan.weights]
            gx = wrap(_scatter_2d(parts, plan, _chunks(ga), shape), g._device)
        if ng:
            if mode == "nearest":
                gg = np.zeros(ga.shape, ga.dtype)
            else:
                nw, ne, sw, se = plan.gather(xa)
                dt = xa.dtype
                along_x = _muladd(se - sw, plan.fn[:, None], (ne - nw) * plan.fs[:, None], dt)
                along_y = _muladd(se - ne, plan.fw[:, None], (sw - nw) * plan.fe[:, None], dt)
                acc_x = np.zeros(g3.shape[::2], dt)
                acc_y = np.zeros(g3.shape[::2], dt)
                for ch in range(shape[1]):  # summed over the channels in order
                    acc_x = _muladd(along_x[:, ch], g3[:, ch], acc_x, dt)
                    acc_y = _muladd(along_y[:, ch], g3[:, ch], acc_y, dt)
                gg = np.stack([acc_x * plan.mx, acc_y * plan.my], -1).reshape(ga.shape)
            gg = wrap(gg, g._device)
    return gx, gg


# -- grid_sample ----------------------------------------------------------------------

def _check(input, grid, mode, align_corners):
    for name, pos, v in (("input", 1, input), ("grid", 2, grid)):
        if not isinstance(v, Tensor):
            raise TypeError(f"grid_sampler(): argument '{name}' (position {pos}) must be Tensor, "
                            f"not {_type_name(v)}")
    _check_bool(align_corners, "grid_sampler", 5)
    if input._device != grid._device:
        raise RuntimeError("grid_sampler(): expected input and grid to be on same device, but "
                           f"input is on {input._device} and grid is on {grid._device}")
    if input.dim() == 0 or grid.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    ishape, gshape = list(input.shape), list(grid.shape)
    if ishape[0] != gshape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but "
                           f"got input with sizes {ishape} and grid with sizes {gshape}")
    if gshape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in "
                           f"last dimension, but got grid with sizes {gshape}")
    for i in range(2, input.dim()):
        if ishape[i] == 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {ishape} with dimension {i} "
                               "being empty")
    want = 4 if input.dim() == 4 else 5
    if input.dim() != want or grid.dim() != want:
        raise RuntimeError(f"grid_sampler(): expected {want}D input and grid with same number of "
                           f"dimensions, but got input with sizes {ishape} and grid with sizes "
                           f"{gshape}")
    if want == 5 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype not in _FLOATS:
        kernel = "grid_sampler_2d_cpu_kernel_impl" if want == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{_dtype_name(input.dtype)}'")
    if grid.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(input.dtype)} but found "
                           f"{_dtype_name(grid.dtype)}")


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    """Samples ``input`` at the points of ``grid``.

    ``input`` ``(N, C, H, W)`` with ``grid`` ``(N, H_out, W_out, 2)`` gives
    ``(N, C, H_out, W_out)``; ``input`` ``(N, C, D, H, W)`` with ``grid``
    ``(N, D_out, H_out, W_out, 3)`` gives ``(N, C, D_out, H_out, W_out)``.  A grid point is
    ``(x, y[, z])`` in normalised coordinates: -1 and 1 are the left and right edges of the
    input (``align_corners=False``, the default) or the centres of its corner pixels (True).

    ``mode``: ``'bilinear'`` (trilinear for 5-D input), ``'nearest'`` or ``'bicubic'``
    (4-D only).  ``padding_mode`` says what points outside the input read: ``'zeros'``,
    ``'border'`` (the nearest edge pixel) or ``'reflection'`` (the input mirrored at its
    edges).

    >>> x = ember.arange(4.).reshape(1, 1, 2, 2)
    >>> F.grid_sample(x, ember.zeros(1, 1, 1, 2), align_corners=False)
    tensor([[[[1.5000]]]])
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        _warn(_ALIGN_WARNING, UserWarning)
        align_corners = False
    _check(input, grid, mode, align_corners)
    xp = xp_of(input)
    x, gr = input._data, grid._data
    dt = x.dtype
    # NOTE: as PyTorch, 2-D sampling of half-precision data (every mode and padding) rounds
    # every step to the data's type (its scalar kernel); 3-D is computed in float32.
    low_2d = dt.name in ("float16", "bfloat16") and input.dim() == 4 and xp is np
    if dt.name in ("float16", "bfloat16") and not low_2d:
        x, gr = x.astype(np.float32), gr.astype(np.float32)
    if low_2d:
        out = _sample_2d_low(x, gr, padding_mode, align_corners, mode)
    elif _fast_2d(input, mode):
        out = _sample_2d(x, gr, mode, padding_mode, align_corners)
    elif _exact_3d(input, grid, mode):
        plan = _Plan(xp, gr, tuple(input.shape[2:]), mode, padding_mode, align_corners)
        out = _sample_3d(x, plan, mode)
    else:
        plan = _Plan(xp, gr, tuple(input.shape[2:]), mode, padding_mode, align_corners)
        out = _sample_array(xp, x, plan, mode)
    out = out.astype(dt, copy=False).reshape(tuple(input.shape[:2]) + tuple(grid.shape[1:-1]))
    name = "GridSampler2DBackward0" if input.dim() == 4 else "GridSampler3DBackward0"

    @exact_values
    def rule(ctx, g):
        x_, grid_ = ctx.saved
        nx, ng = ctx.needs_input_grad
        res = _grid_sample_grads(g, x_, grid_, mode, padding_mode, align_corners, nx, ng)
        if not STATE.enabled:
            return res
        # (create_graph: shown as PyTorch's double-backward node, recorded as it is)
        twice = name.replace("Backward0", "BackwardBackward0")
        return tuple(shown_as(r, twice, (x_, grid_)) for r in res)
    return make(xp.ascontiguousarray(out), (input, grid), name, rule, input, grid)
