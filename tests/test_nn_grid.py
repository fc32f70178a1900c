"""``F.affine_grid`` and ``F.grid_sample`` against PyTorch: values, gradients, errors, warnings."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from diff import assert_same, check

torch = pytest.importorskip("torch")

MODES_2D = ("bilinear", "nearest", "bicubic")
MODES_3D = ("bilinear", "nearest")
PADS = ("zeros", "border", "reflection")


def _sample(mode, pad, align):
    return lambda lib, x, g: lib.nn.functional.grid_sample(x, g, mode=mode, padding_mode=pad,
                                                          align_corners=align)


def _data(rng, ishape, gshape, dtype, spread=1.6):
    x = rng.standard_normal(ishape).astype(dtype)
    g = ((rng.random(gshape) * 2 - 1) * spread).astype(dtype)  # some points fall outside
    return x, g


# -- values and gradients --------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("pad", PADS)
@pytest.mark.parametrize("mode", MODES_2D)
def test_grid_sample_2d(mode, pad, align, dtype, rng):
    x, g = _data(rng, (2, 3, 5, 6), (2, 4, 7, 2), dtype)
    out = check(_sample(mode, pad, align), x, g)
    assert out.grad_fn.name() == "GridSampler2DBackward0"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("pad", PADS)
@pytest.mark.parametrize("mode", MODES_3D)
def test_grid_sample_3d(mode, pad, align, dtype, rng):
    x, g = _data(rng, (2, 2, 3, 4, 5), (2, 3, 2, 4, 3), dtype)
    out = check(_sample(mode, pad, align), x, g)
    assert out.grad_fn.name() == "GridSampler3DBackward0"


@pytest.mark.parametrize("nd", [2, 3])
@pytest.mark.parametrize("pad", PADS)
def test_grid_points_on_edges_and_centres(nd, pad):
    """Points exactly on pixel centres and on the edges, where the coordinate maps have
    kinks: PyTorch's one-sided derivatives there (zero where clamping bites)."""
    vals = np.array([-1.5, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5])
    ishape = (1, 2, 3, 4) if nd == 2 else (1, 2, 2, 3, 4)
    x = np.random.default_rng(3).standard_normal(ishape)
    mesh = np.meshgrid(*([vals] * nd), indexing="ij")
    g = np.stack(mesh, -1).reshape((1,) + (1,) * (nd - 2) + (-1, len(vals), nd))
    for mode in (MODES_2D if nd == 2 else MODES_3D):
        for align in (False, True):
            check(_sample(mode, pad, align), x, g)


@pytest.mark.parametrize("pad", PADS)
def test_grids_far_outside_and_not_finite(pad):
    x = np.arange(1.0, 13.0, dtype=np.float32).reshape(1, 1, 3, 4)
    nan, inf = float("nan"), float("inf")
    g = np.array([[[[nan, 0.0], [inf, 0.0], [-inf, 0.5], [0.2, nan], [7.3, -5.1],
                    [-3.9, 2.2], [37.25, 1.0], [-12.6, -40.1]]]], dtype=np.float32)
    for mode in MODES_2D:
        for align in (False, True):
            check(_sample(mode, pad, align), x, g, grad=False)
    far = np.array([[[[7.3, -5.1], [-3.9, 2.2], [37.25, 1.0], [-12.6, -40.1]]]])
    for mode in MODES_2D:
        check(_sample(mode, pad, True), x.astype(np.float64), far)
    x3 = np.arange(24.0).reshape(1, 1, 2, 3, 4)
    g3 = np.array([[[[[nan, 0, 0], [inf, 0.5, -inf], [5.3, -2.7, 9.1], [-6.2, 0.4, 3.3]]]]])
    for mode in MODES_3D:
        check(_sample(mode, pad, False), x3, g3, grad=False)


@pytest.mark.parametrize("which", ["input", "grid"])
def test_gradient_for_one_argument(which, rng):
    x, g = _data(rng, (2, 3, 4, 5), (2, 3, 3, 2), np.float64)
    fn = _sample("bicubic", "reflection", False)
    rg = which == "input"
    tt = [torch.from_numpy(x).requires_grad_(rg), torch.from_numpy(g).requires_grad_(not rg)]
    et = [ember.from_numpy(x).requires_grad_(rg), ember.from_numpy(g).requires_grad_(not rg)]
    t = torch.autograd.grad(fn(torch, *tt).sum(), tt[0 if rg else 1])
    e = ember.autograd.grad(fn(ember, *et).sum(), et[0 if rg else 1])
    assert_same(e, t)


def test_nearest_gives_zero_grid_gradient(rng):
    x, g = _data(rng, (1, 2, 4, 5), (1, 3, 3, 2), np.float32)
    gx = ember.from_numpy(g).requires_grad_()
    ember.nn.functional.grid_sample(ember.from_numpy(x), gx, mode="nearest",
                                    align_corners=False).sum().backward()
    assert gx.grad is not None and not gx.grad.numpy().any()


@pytest.mark.parametrize("case", [("bilinear", 2), ("bicubic", 2), ("bilinear", 3)])
def test_double_backward(case, rng):
    mode, nd = case
    ishape, gshape = ((1, 2, 4, 5), (1, 3, 3, 2)) if nd == 2 else ((1, 2, 3, 4, 3),
                                                                    (1, 2, 2, 2, 3))
    x, g = _data(rng, ishape, gshape, np.float64, 1.3)
    grads = []
    for lib in (torch, ember):
        xs = [lib.from_numpy(a.copy()).requires_grad_() for a in (x, g)]
        y = lib.nn.functional.grid_sample(*xs, mode=mode, padding_mode="reflection",
                                          align_corners=False)
        gx, gg = lib.autograd.grad((y * y).sum(), xs, create_graph=True)
        grads.append((gx, gg) + tuple(lib.autograd.grad((gx * gx).sum() + (gg ** 3).sum(), xs)))
    assert_same(grads[1], grads[0])


@pytest.mark.parametrize("shapes", [((0, 3, 4, 5), (0, 2, 3, 2)), ((2, 0, 4, 5), (2, 2, 3, 2)),
                                    ((2, 3, 4, 5), (2, 0, 3, 2)),
                                    ((1, 2, 3, 4, 5), (1, 0, 2, 2, 3))])
def test_empty(shapes, rng):
    x, g = _data(rng, shapes[0], shapes[1], np.float32)
    check(_sample("bilinear", "zeros", True), x, g)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision(dtype, rng):
    # NOTE: ember samples half-precision data in float32 and rounds once, so it is closer to
    # the exact result than PyTorch's kernels, which work in the half type: loose tolerances.
    x, g = _data(rng, (1, 2, 4, 5), (1, 3, 3, 2), np.float32, 1.0)
    for mode in MODES_2D:
        out = []
        for lib in (torch, ember):
            dt = getattr(lib, dtype)
            out.append(lib.nn.functional.grid_sample(lib.from_numpy(x).to(dt),
                                                     lib.from_numpy(g).to(dt), mode=mode,
                                                     align_corners=False))
        assert_same(out[1], out[0], rtol=0.1, atol=0.1)


# -- affine_grid ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 7), (1, 1, 6, 1), (3, 2, 3, 4, 5),
                                  (1, 1, 1, 2, 3)])
def test_affine_grid(size, align, dtype, rng):
    nd = len(size) - 2
    theta = rng.standard_normal((size[0], nd, nd + 1)).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids with align_corners=True
        out = check(lambda lib, t: lib.nn.functional.affine_grid(t, size, align_corners=align),
                    theta)
    assert out.grad_fn.name() == "AffineGridGeneratorBackward0"


def test_affine_grid_identity_is_exact():
    for n in (1, 2, 7, 8, 33, 100):
        for align in (False, True):
            if align and n == 1:
                continue
            t = torch.nn.functional.affine_grid(torch.eye(2, 3)[None], (1, 1, 3, n),
                                                align_corners=align)
            e = ember.nn.functional.affine_grid(ember.eye(2, 3)[None], (1, 1, 3, n),
                                                align_corners=align)
            np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("nd", [2, 3])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_affine_then_sample(nd, mode, rng):
    if nd == 3 and mode == "bicubic":
        return
    size = (2, 3, 5, 6) if nd == 2 else (2, 2, 3, 4, 5)
    x = rng.standard_normal(size)
    theta = np.tile(np.eye(nd, nd + 1), (2, 1, 1)) + 0.3 * rng.standard_normal((2, nd, nd + 1))
    out_size = size[:2] + tuple(s + 1 for s in size[2:])

    def fn(lib, x, theta):
        grid = lib.nn.functional.affine_grid(theta, out_size, align_corners=False)
        return lib.nn.functional.grid_sample(x, grid, mode=mode, padding_mode="border",
                                             align_corners=False)
    check(fn, x, theta)


def test_identity_grid_reproduces_input(rng):
    x = rng.standard_normal((1, 2, 4, 5)).astype(np.float32)
    for align in (False, True):
        F = ember.nn.functional
        grid = F.affine_grid(ember.eye(2, 3)[None], (1, 2, 4, 5), align_corners=align)
        for mode in MODES_2D:
            y = F.grid_sample(ember.from_numpy(x), grid, mode=mode, align_corners=align)
            np.testing.assert_allclose(y.numpy(), x, atol=1e-5)


# -- warnings ------------------------------------------------------------------------

def _warned(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [(x.category, str(x.message), x.filename) for x in w]


@pytest.mark.parametrize("which", ["grid_sample", "affine_grid"])
def test_align_corners_default_warns(which):
    def call(lib):
        F = lib.nn.functional
        if which == "grid_sample":
            return lambda: F.grid_sample(lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 1, 2))
        return lambda: F.affine_grid(lib.zeros(1, 2, 3), (1, 1, 2, 2))
    t, e = _warned(call(torch)), _warned(call(ember))
    assert len(e) == 1 and [w[:2] for w in e] == [w[:2] for w in t]
    assert e[0][0] is UserWarning and e[0][2] == __file__
    assert "align_corners=False since 1.3.0" in e[0][1]


def test_no_warning_when_align_corners_given():
    F = ember.nn.functional
    assert not _warned(lambda: F.grid_sample(ember.zeros(1, 1, 2, 2), ember.zeros(1, 1, 1, 2),
                                             align_corners=False))
    assert not _warned(lambda: F.affine_grid(ember.zeros(1, 2, 3), (1, 1, 2, 2),
                                             align_corners=True))


def test_affine_grid_unit_size_warns():
    t = _warned(lambda: torch.nn.functional.affine_grid(torch.zeros(1, 2, 3), (1, 1, 1, 3),
                                                        align_corners=True))
    e = _warned(lambda: ember.nn.functional.affine_grid(ember.zeros(1, 2, 3), (1, 1, 1, 3),
                                                        align_corners=True))
    assert [w[:2] for w in e] == [w[:2] for w in t] and len(e) == 1


# -- errors --------------------------------------------------------------------------

def _x(*s, dtype="float32"):
    return lambda lib: lib.zeros(*s, dtype=getattr(lib, dtype))


SAMPLE_ERRORS = [
    ((2, 3, 4, 5), (1, 6, 7, 2), {}),
    ((2, 3, 4, 5), (2, 6, 7, 1), {}),
    ((2, 3, 4, 5), (2, 3, 3, 3, 2), {}),
    ((2, 3, 4, 5, 6), (2, 3, 3, 3), {}),
    ((2, 3, 4), (2, 3, 3, 1), {}),
    ((2, 3, 4), (2, 3, 1), {}),
    ((2, 3, 0, 5), (2, 6, 7, 2), {}),
    ((2, 3, 4, 0, 3), (2, 6, 7, 2, 3), {}),
    ((2, 3, 1, 4, 5), (2, 3, 3, 3, 3), {"mode": "bicubic"}),
    ((2, 3, 4, 5), (2, 6, 7, 2), {"mode": "trilinear"}),
    ((2, 3, 4, 5), (2, 6, 7, 2), {"padding_mode": "circular"}),
    ((2, 3, 4, 5), (2, 6, 7, 2), {"align_corners": 1}),
    ((2, 3, 4, 5), (2, 6, 7, 2), {"dtypes": ("float32", "float64")}),
    ((2, 3, 4, 5), (2, 6, 7, 2), {"dtypes": ("float64", "float32")}),
    ((2, 3, 4, 5), (2, 6, 7, 2), {"dtypes": ("int32", "int32")}),
    ((2, 3, 4, 5, 6), (2, 6, 7, 2, 3), {"dtypes": ("int64", "float32")}),
    ((2, 3, 4, 5), (2, 6, 7, 2), {"dtypes": ("float32", "int32")}),
    ((), (2, 6, 7, 2), {}),
]


@pytest.mark.parametrize("case", SAMPLE_ERRORS)
def test_grid_sample_errors(case):
    ishape, gshape, kw = case
    kw = dict(kw)
    di, dg = kw.pop("dtypes", ("float32", "float32"))
    kw.setdefault("align_corners", False)
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            lib.nn.functional.grid_sample(_x(*ishape, dtype=di)(lib), _x(*gshape, dtype=dg)(lib),
                                          **kw)
        msgs.append((type(info.value), str(info.value)))
    assert msgs[1] == msgs[0]


def test_grid_sample_argument_types():
    for lib in (torch, ember):
        with pytest.raises(TypeError, match="argument 'grid' \\(position 2\\) must be Tensor, "
                                            "not int"):
            lib.nn.functional.grid_sample(lib.zeros(1, 1, 2, 2), 3, align_corners=False)


AFFINE_ERRORS = [
    ((2, 2, 3), "float32", (3, 3, 4, 5), {}),
    ((2, 2, 3), "float32", (2, 3, 4), {}),
    ((2, 2, 3), "float32", (2, 3, 4, 5, 6), {}),
    ((2, 3, 4), "float32", (2, 3, 4, 5), {}),
    ((2, 2, 3), "int32", (2, 3, 4, 5), {}),
    ((2, 2, 3), "float32", (2, 3, 0, 5), {}),
    ((2, 2, 3), "float32", (-1, 3, 4, 5), {}),
    ((2, 2), "float32", (2, 3, 4, 5), {}),
    ((2, 2, 3), "float32", (2, 3, 4, 5), {"align_corners": 1}),
    ((2, 2, 3), "float32", (2.0, 3, 4, 5), {}),
]


@pytest.mark.parametrize("case", AFFINE_ERRORS)
def test_affine_grid_errors(case):
    tshape, dtype, size, kw = case
    kw = dict(kw)
    kw.setdefault("align_corners", False)
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            lib.nn.functional.affine_grid(_x(*tshape, dtype=dtype)(lib), size, **kw)
        msgs.append((type(info.value), str(info.value)))
    assert msgs[1] == msgs[0]


def test_affine_grid_accepts_size_objects():
    theta = np.random.default_rng(0).standard_normal((2, 2, 3)).astype(np.float32)
    for size in ([2, 3, 4, 5], "shape", (2, 3, np.int64(4), 5)):
        def fn(lib, t, size=size):
            s = lib.zeros(2, 3, 4, 5).shape if size == "shape" else size
            return lib.nn.functional.affine_grid(t, s, align_corners=False)
        check(fn, theta)
