"""More of torchvision in ember.vision: colour, geometry and blur transforms, CIFAR, FakeData.

torchvision cannot be installed beside the test PyTorch, so the references are:
Pillow's own calls for the PIL paths (the same calls torchvision makes), PyTorch's
``grid_sample`` for the tensor warps, NumPy or ``colorsys`` re-statements of the
tensor formulas, and PyTorch's generator for the random draws (the draws
torchvision makes, in its order, written out here).  Datasets are read from small
files written by the tests; nothing touches the network.
"""
from __future__ import annotations

import colorsys
import hashlib
import math
import os
import pickle
import random
import tarfile

import numpy as np
import pytest

import ember
from ember.vision import datasets
from ember.vision import transforms as T
from ember.vision.transforms import functional as F

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")
from PIL import ImageEnhance, ImageOps  # noqa: E402

from diff import measured_cpu  # noqa: E402

NEAREST, BILINEAR = T.InterpolationMode.NEAREST, T.InterpolationMode.BILINEAR


def rgb_image(rng, h=13, w=17):
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


def seed_both(seed: int) -> None:
    ember.manual_seed(seed)
    torch.manual_seed(seed)


def same_stream_after() -> None:
    """Both generators made the same number of draws: their next values agree."""
    assert ember.rand(3).tolist() == torch.rand(3).tolist()


def torch_uniform(low, high) -> float:
    return float(torch.empty(1).uniform_(low, high).item())


# -- references for the tensor warps ---------------------------------------------------------

def inverse_affine(center, angle, translate, scale, shear):
    """Output -> input matrix of torchvision's affine, by inverting the forward map with NumPy.

    Forward (y down, angles clockwise on screen): T(translate) C R(angle) S(scale)
    Shy(shear_y) Shx(shear_x) C^-1 with Shx = [[1, -tan], [0, 1]], Shy = [[1, 0], [-tan, 1]].
    """
    a, sx, sy = (math.radians(v) for v in (angle, *shear))
    rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    shx = np.array([[1, -math.tan(sx), 0], [0, 1, 0], [0, 0, 1]])
    shy = np.array([[1, 0, 0], [-math.tan(sy), 1, 0], [0, 0, 1]])
    c = np.array([[1, 0, center[0]], [0, 1, center[1]], [0, 0, 1]])
    t = np.array([[1, 0, translate[0]], [0, 1, translate[1]], [0, 0, 1]])
    forward = t @ c @ rot @ np.diag([scale, scale, 1.0]) @ shy @ shx @ np.linalg.inv(c)
    return np.linalg.inv(forward)[:2].ravel().tolist()


def grid_sample_reference(img, matrix, out_hw, mode, fill=None):
    """torchvision's tensor warp: output pixel centres through ``matrix`` (centred
    coordinates), normalised by the input half size, sampled by PyTorch's grid_sample."""
    x = torch.as_tensor(img).float()
    x = x.reshape(-1, *x.shape[-3:])
    h, w = x.shape[-2:]
    oh, ow = out_hw
    xs = torch.arange(ow, dtype=torch.float32) - ow * 0.5 + 0.5
    ys = torch.arange(oh, dtype=torch.float32) - oh * 0.5 + 0.5
    base = torch.stack([xs.expand(oh, ow), ys[:, None].expand(oh, ow), torch.ones(oh, ow)], -1)
    theta = torch.tensor(matrix, dtype=torch.float32).view(2, 3)
    scaled = theta.t() / torch.tensor([0.5 * w, 0.5 * h], dtype=torch.float32)
    grid = (base.view(1, -1, 3) @ scaled).view(1, oh, ow, 2).expand(x.shape[0], oh, ow, 2)
    if fill is not None:
        x = torch.cat([x, torch.ones(x.shape[0], 1, h, w)], 1)
    out = torch.nn.functional.grid_sample(x, grid, mode=mode, padding_mode="zeros",
                                          align_corners=False)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:]
        colour = torch.tensor(fill, dtype=torch.float32).view(1, -1, 1, 1)
        if mode == "nearest":
            out = torch.where(mask < 0.5, colour.expand_as(out), out)
        else:
            out = out * mask + (1.0 - mask) * colour
    return out


def test_inverse_affine_matrix_vs_numpy():
    for center, angle, translate, scale, shear in [
            ([3.5, -2.0], 30.0, [2, -5], 1.3, [10.0, -4.0]), ([0, 0], -123.0, [0, 0], 0.7, [0, 0]),
            ([16, 9], 90.0, [1.5, 0.5], 1.0, [0.0, 25.0])]:
        got = F._get_inverse_affine_matrix(center, angle, translate, scale, shear)
        np.testing.assert_allclose(got, inverse_affine(center, angle, translate, scale, shear),
                                   atol=1e-12)
        fwd = F._get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=False)
        both = np.vstack([np.reshape(fwd, (2, 3)), [0, 0, 1]]) @ np.vstack(
            [np.reshape(got, (2, 3)), [0, 0, 1]])
        np.testing.assert_allclose(both, np.eye(3), atol=1e-12)


# -- rotation -------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_random_rotation_pil_same_draws_as_torchvision(rng, mode):
    img = rgb_image(rng).convert(mode)
    cases = [dict(degrees=30), dict(degrees=(-10, 170), interpolation=BILINEAR, expand=True),
             dict(degrees=45, center=(2, 3), fill=(10, 20, 30) if mode == "RGB" else 77),
             dict(degrees=[5, 95], interpolation=Image.Resampling.BILINEAR, fill=[9])]
    for seed, kwargs in enumerate(cases):
        seed_both(seed)
        got = T.RandomRotation(**kwargs)(img)
        degrees = kwargs["degrees"]
        low, high = (-degrees, degrees) if np.isscalar(degrees) else degrees
        angle = torch_uniform(float(low), float(high))
        fill = kwargs.get("fill", 0)
        if isinstance(fill, (list, tuple)) and len(fill) == 1:
            fill = fill[0]
        if mode == "RGB" and not isinstance(fill, (list, tuple)):
            fill = (fill,) * 3
        resample = (Image.Resampling.BILINEAR if kwargs.get("interpolation") is not None
                    else Image.Resampling.NEAREST)
        want = img.rotate(angle, resample, kwargs.get("expand", False), kwargs.get("center"),
                          fillcolor=fill)
        assert got.mode == mode and got.size == want.size
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
        same_stream_after()


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("expand", [False, True])
def test_rotate_tensor_vs_grid_sample(rng, interpolation, expand):
    for trial in range(6):
        h, w = (int(v) for v in rng.integers(6, 30, 2))
        img = rng.random((2, 3, h, w), dtype=np.float32)
        angle = float(rng.uniform(-180, 180))
        center = None if trial % 2 else [float(rng.uniform(0, w)), float(rng.uniform(0, h))]
        fill = [0.25, 0.5, 1.0] if trial % 3 == 0 else None
        got = F.rotate(ember.tensor(img), angle, T.InterpolationMode(interpolation), expand,
                       center, fill)
        offset = [0.0, 0.0] if center is None else [center[0] - w / 2, center[1] - h / 2]
        matrix = inverse_affine(offset, -angle, [0, 0], 1.0, [0, 0])
        out_hw = (h, w)
        if expand:
            if center is not None:
                continue  # expand assumes a rotation about the centre
            # the box that holds the turned image, as Pillow sizes it
            ow, oh = Image.new("L", (w, h)).rotate(angle, expand=True).size
            out_hw = (oh, ow)
        want = grid_sample_reference(img, matrix, out_hw, interpolation, fill).numpy()
        assert tuple(got.shape) == want.shape
        if interpolation == "nearest":
            np.testing.assert_array_equal(got.numpy(), want)
        else:
            np.testing.assert_allclose(got.numpy(), want, atol=1e-5)


def test_rotate_tensor_quarter_turn_uint8_and_grad(rng):
    img = rng.integers(0, 256, (3, 8, 8), dtype=np.uint8)
    got = F.rotate(ember.tensor(img), 90.0)
    assert got.dtype == ember.uint8
    # a quarter turn counter-clockwise is rot90 (up to the sampling of a square grid)
    np.testing.assert_array_equal(got.numpy(), np.rot90(img, 1, axes=(1, 2)))
    pil = np.asarray(Image.fromarray(img.transpose(1, 2, 0)).rotate(90))
    np.testing.assert_array_equal(got.numpy().transpose(1, 2, 0), pil)
    # bilinear warps stay differentiable, with PyTorch's gradient
    x = rng.random((1, 5, 7), dtype=np.float32)
    ex = ember.tensor(x, requires_grad=True)
    F.rotate(ex, 33.0, BILINEAR).pow(2).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    ref = grid_sample_reference(tx, inverse_affine([0, 0], -33.0, [0, 0], 1, [0, 0]), (5, 7),
                                "bilinear")
    ref.pow(2).sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), atol=1e-5)


# -- affine ---------------------------------------------------------------------------------

AFFINE_CASES = [dict(degrees=20), dict(degrees=(-5, 40), translate=(0.2, 0.1)),
                dict(degrees=0, scale=(0.7, 1.3), shear=12),
                dict(degrees=15, translate=(0.1, 0.3), scale=(0.9, 1.1), shear=(-5, 5, -10, 10),
                     interpolation=BILINEAR, fill=40),
                dict(degrees=90, shear=(3, 8), center=(4, 6))]


def torch_affine_draws(kwargs, width, height):
    """RandomAffine.get_params written out with PyTorch's generator."""
    d = kwargs["degrees"]
    low, high = (-d, d) if np.isscalar(d) else d
    angle = torch_uniform(float(low), float(high))
    tx = ty = 0
    if "translate" in kwargs:
        max_dx, max_dy = kwargs["translate"][0] * width, kwargs["translate"][1] * height
        tx = int(round(torch_uniform(-max_dx, max_dx)))
        ty = int(round(torch_uniform(-max_dy, max_dy)))
    scale = torch_uniform(*kwargs["scale"]) if "scale" in kwargs else 1.0
    shear = [0.0, 0.0]
    if "shear" in kwargs:
        s = kwargs["shear"]
        s = [-s, s] if np.isscalar(s) else [float(v) for v in s]
        shear[0] = torch_uniform(s[0], s[1])
        if len(s) == 4:
            shear[1] = torch_uniform(s[2], s[3])
    return angle, [tx, ty], scale, shear


def test_random_affine_pil_same_draws_as_torchvision(rng):
    img = rgb_image(rng, 15, 20)
    for seed, kwargs in enumerate(AFFINE_CASES):
        seed_both(100 + seed)
        got = np.asarray(T.RandomAffine(**kwargs)(img))
        angle, translate, scale, shear = torch_affine_draws(kwargs, 20, 15)
        center = kwargs.get("center", (10.0, 7.5))
        matrix = inverse_affine(center, angle, translate, scale, shear)
        resample = Image.Resampling.BILINEAR if "interpolation" in kwargs else 0
        fill = kwargs.get("fill", 0)
        want = np.asarray(img.transform(img.size, Image.Transform.AFFINE, matrix, resample,
                                        fillcolor=(fill,) * 3))
        np.testing.assert_array_equal(got, want)
        same_stream_after()


def test_affine_tensor_nearest_ties(rng):
    # scale 2 on odd sizes puts every other output pixel exactly between two inputs:
    # PyTorch's sampler rounds those halves to even
    img = rng.random((1, 5, 7), dtype=np.float32)
    got = F.affine(ember.tensor(img), 0.0, [0, 0], 2.0, 0.0).numpy()
    want = grid_sample_reference(img, inverse_affine([0, 0], 0, [0, 0], 2.0, [0, 0]), (5, 7),
                                 "nearest")[0].numpy()
    np.testing.assert_array_equal(got, want)


def test_random_affine_tensor_vs_grid_sample(rng):
    img = rng.random((3, 12, 16), dtype=np.float32)
    for seed, kwargs in enumerate(AFFINE_CASES):
        seed_both(200 + seed)
        got = T.RandomAffine(**kwargs)(ember.tensor(img)).numpy()
        angle, translate, scale, shear = torch_affine_draws(kwargs, 16, 12)
        center = kwargs.get("center")
        offset = [0.0, 0.0] if center is None else [center[0] - 8.0, center[1] - 6.0]
        matrix = inverse_affine(offset, angle, translate, scale, shear)
        mode = "bilinear" if "interpolation" in kwargs else "nearest"
        fill = [float(kwargs.get("fill", 0))] * 3
        want = grid_sample_reference(img, matrix, (12, 16), mode, fill)[0].numpy()
        if mode == "nearest":
            np.testing.assert_array_equal(got, want)
        elif measured_cpu():
            np.testing.assert_allclose(got, want, atol=1e-5)
        else:  # (MKL's product behind the grid rounds otherwise here: an edge's blend with
            # the fill moves by the fill times a coordinate's ulp)
            np.testing.assert_allclose(got, want, atol=2e-5 * max(1.0, np.abs(want).max()))
        same_stream_after()


# -- colour ---------------------------------------------------------------------------------

def pil_hue(img, factor):
    """torchvision's PIL hue shift: add factor * 255 (truncated, wrapped) to Pillow's H band."""
    h, s, v = img.convert("HSV").split()
    shifted = (np.asarray(h).astype(np.int64) + int(factor * 255)) % 256
    return Image.merge("HSV", (Image.fromarray(shifted.astype(np.uint8), "L"), s, v)).convert(
        img.mode)


def np_gray(x):
    return 0.2989 * x[..., 0, :, :] + 0.587 * x[..., 1, :, :] + 0.114 * x[..., 2, :, :]


def np_hue(x, factor):
    """Hue rotation of a float RGB image by colorsys, pixel by pixel."""
    out = np.empty_like(x, dtype=np.float64)
    for i in range(x.shape[-2]):
        for j in range(x.shape[-1]):
            h, s, v = colorsys.rgb_to_hsv(*x[:, i, j].astype(np.float64))
            out[:, i, j] = colorsys.hsv_to_rgb((h + factor) % 1.0, s, v)
    return out


def np_adjust(x, kind, f):
    """The tensor formulas on float images in [0, 1], in float64."""
    if kind == "brightness":
        return np.clip(f * x, 0, 1)
    if kind == "contrast":
        return np.clip(f * x + (1 - f) * np_gray(x).mean(), 0, 1)
    if kind == "saturation":
        return np.clip(f * x + (1 - f) * np_gray(x)[None], 0, 1)
    return np_hue(x, f)


def test_color_jitter_pil_same_draws_as_torchvision(rng):
    img = rgb_image(rng)
    enhancers = {0: ImageEnhance.Brightness, 1: ImageEnhance.Contrast, 2: ImageEnhance.Color}
    for seed, args in enumerate([(0.4, 0.4, 0.4, 0.1), (0.0, (0.5, 1.5), 0.0, (-0.5, -0.2)),
                                 ((0.2, 0.9), 0, 2.0, 0)]):
        seed_both(seed)
        got = T.ColorJitter(*args)(img)
        order = torch.randperm(4).tolist()
        factors = []
        for k, a in enumerate(args):
            center = 0.0 if k == 3 else 1.0
            if np.isscalar(a):
                bounds = (max(center - a, 0.0) if k < 3 else -a, center + a)
            else:
                bounds = a
            factors.append(None if bounds[0] == bounds[1] == center else torch_uniform(*bounds))
        want = img
        for k in order:
            if factors[k] is None:
                continue
            want = (pil_hue(want, factors[k]) if k == 3
                    else enhancers[k](want).enhance(factors[k]))
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
        same_stream_after()


def test_color_jitter_tensor_same_draws_and_formulas(rng):
    x = rng.random((3, 6, 7), dtype=np.float32)
    seed_both(7)
    got = T.ColorJitter(0.5, 0.5, 0.5, 0.2)(ember.tensor(x)).numpy()
    order = torch.randperm(4).tolist()
    factors = [torch_uniform(0.5, 1.5), torch_uniform(0.5, 1.5), torch_uniform(0.5, 1.5),
               torch_uniform(-0.2, 0.2)]
    kinds = ["brightness", "contrast", "saturation", "hue"]
    want = x.astype(np.float64)
    for k in order:
        want = np_adjust(want, kinds[k], factors[k])
    np.testing.assert_allclose(got, want, atol=2e-5)
    same_stream_after()


@pytest.mark.parametrize("kind", ["brightness", "contrast", "saturation", "hue"])
def test_adjust_tensor_formulas(rng, kind):
    x = rng.random((2, 3, 5, 6), dtype=np.float32)
    factor = 0.3 if kind == "hue" else 1.7
    got = getattr(F, f"adjust_{kind}")(ember.tensor(x), factor).numpy()
    for b in range(2):
        np.testing.assert_allclose(got[b], np_adjust(x[b].astype(np.float64), kind, factor),
                                   atol=2e-5)
    # uint8 images: the same formulas in float32, truncated back (within one level)
    u = rng.integers(0, 256, (3, 5, 6), dtype=np.uint8)
    got_u = getattr(F, f"adjust_{kind}")(ember.tensor(u), factor)
    assert got_u.dtype == ember.uint8
    want_u = np_adjust(u / 255.0, kind, factor) * 255
    assert np.abs(got_u.numpy().astype(np.float64) - want_u).max() <= 1.0 + 1e-6
    # PIL images go through ImageEnhance / Pillow's HSV
    img = Image.fromarray(u.transpose(1, 2, 0))
    pil = getattr(F, f"adjust_{kind}")(img, factor)
    enh = {"brightness": ImageEnhance.Brightness, "contrast": ImageEnhance.Contrast,
           "saturation": ImageEnhance.Color}
    want_pil = pil_hue(img, factor) if kind == "hue" else enh[kind](img).enhance(factor)
    np.testing.assert_array_equal(np.asarray(pil), np.asarray(want_pil))


def test_adjust_hue_negative_and_grey(rng):
    img = rgb_image(rng)
    for factor in (-0.5, -0.3, -0.001, 0.5):
        np.testing.assert_array_equal(np.asarray(F.adjust_hue(img, factor)),
                                      np.asarray(pil_hue(img, factor)))
    grey = img.convert("L")
    assert F.adjust_hue(grey, 0.2) is grey
    one = ember.rand(1, 4, 4)
    assert F.adjust_hue(one, 0.2) is one and F.adjust_saturation(one, 0.2) is one
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]."):
        F.adjust_hue(img, 0.7)
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative."):
        F.adjust_brightness(ember.rand(3, 2, 2), -1)


def test_grayscale(rng):
    img = rgb_image(rng)
    np.testing.assert_array_equal(np.asarray(T.Grayscale()(img)), np.asarray(img.convert("L")))
    three = T.Grayscale(3)(img)
    assert three.mode == "RGB"
    for c in range(3):
        np.testing.assert_array_equal(np.asarray(three)[..., c], np.asarray(img.convert("L")))
    x = rng.random((2, 3, 4, 5), dtype=np.float32)
    got = F.rgb_to_grayscale(ember.tensor(x), 3)
    assert tuple(got.shape) == (2, 3, 4, 5)
    np.testing.assert_allclose(got.numpy(), np.repeat(np_gray(x)[:, None], 3, 1), atol=1e-6)
    u = rng.integers(0, 256, (3, 4, 5), dtype=np.uint8)
    np.testing.assert_array_equal(F.rgb_to_grayscale(ember.tensor(u)).numpy()[0],
                                  np_gray(u.astype(np.float32)).astype(np.uint8))
    with pytest.raises(TypeError, match=r"permitted channel values are \[1, 3\], but found 4"):
        F.rgb_to_grayscale(ember.rand(4, 2, 2))
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        F.rgb_to_grayscale(img, 2)
    # RandomGrayscale keeps the channel count; one torch.rand(1) draw
    for seed in range(6):
        seed_both(seed)
        out = T.RandomGrayscale(p=0.5)(img)
        assert out.mode == "RGB"
        converted = bool(torch.rand(1) < 0.5)
        assert np.array_equal(np.asarray(out), np.asarray(T.Grayscale(3)(img))) == converted
        same_stream_after()


def test_sharpness_and_gamma(rng):
    img = rgb_image(rng)
    np.testing.assert_array_equal(np.asarray(F.adjust_sharpness(img, 1.8)),
                                  np.asarray(ImageEnhance.Sharpness(img).enhance(1.8)))
    x = rng.random((3, 6, 5), dtype=np.float32)
    got = F.adjust_sharpness(ember.tensor(x), 0.4).numpy()
    kernel = np.ones((3, 3)) / 13
    kernel[1, 1] = 5 / 13
    smooth = x.astype(np.float64).copy()
    for i in range(1, 5):
        for j in range(1, 4):
            smooth[:, i, j] = (x[:, i - 1:i + 2, j - 1:j + 2] * kernel).sum(axis=(1, 2))
    np.testing.assert_allclose(got, np.clip(0.4 * x + 0.6 * smooth, 0, 1), atol=1e-6)
    np.testing.assert_allclose(F.adjust_gamma(ember.tensor(x), 2.2, 0.9).numpy(),
                               np.clip(0.9 * x.astype(np.float64) ** 2.2, 0, 1), atol=1e-6)
    table = [int(255.999 * (v / 255.0) ** 0.5) for v in range(256)]
    np.testing.assert_array_equal(np.asarray(F.adjust_gamma(img, 0.5)),
                                  np.array(table, np.uint8)[np.asarray(img)])


def test_invert_posterize_solarize_autocontrast_equalize(rng):
    u = rng.integers(30, 200, (3, 9, 11), dtype=np.uint8)
    img = Image.fromarray(u.transpose(1, 2, 0))
    t = ember.tensor(u)
    pairs = [(F.invert, (), ImageOps.invert), (F.posterize, (3,), ImageOps.posterize),
             (F.solarize, (128,), ImageOps.solarize), (F.autocontrast, (), ImageOps.autocontrast),
             (F.equalize, (), ImageOps.equalize)]
    for fn, args, pil_fn in pairs:
        np.testing.assert_array_equal(np.asarray(fn(img, *args)), np.asarray(pil_fn(img, *args)))
    np.testing.assert_array_equal(F.invert(t).numpy(), 255 - u)
    np.testing.assert_array_equal(F.posterize(t, 3).numpy(), u & 0b11100000)
    np.testing.assert_array_equal(F.posterize(t, 0).numpy(), np.zeros_like(u))
    np.testing.assert_array_equal(F.solarize(t, 128).numpy(), np.where(u >= 128, 255 - u, u))
    low = u.min(axis=(1, 2), keepdims=True).astype(np.float32)
    high = u.max(axis=(1, 2), keepdims=True).astype(np.float32)
    want = np.clip((u - low) * (np.float32(255) / (high - low)), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(F.autocontrast(t).numpy(), want)
    # Pillow's equalisation is the reference for the tensor one
    np.testing.assert_array_equal(F.equalize(t).numpy().transpose(1, 2, 0),
                                  np.asarray(ImageOps.equalize(img)))
    x = rng.random((3, 4, 4), dtype=np.float32)
    np.testing.assert_allclose(F.invert(ember.tensor(x)).numpy(), 1 - x, atol=1e-7)
    np.testing.assert_array_equal(F.solarize(ember.tensor(x), 0.5).numpy(),
                                  np.where(x >= 0.5, np.float32(1) - x, x))
    flat = ember.full((1, 3, 3), 0.25)
    np.testing.assert_array_equal(F.autocontrast(flat).numpy(), flat.numpy())
    with pytest.raises(TypeError, match="Only torch.uint8 image tensors are supported, but found "
                                        "torch.float32"):
        F.equalize(ember.tensor(x))
    with pytest.raises(ValueError, match="The number if bits should be between 0 and 8. Got 9"):
        F.posterize(t, 9)
    with pytest.raises(TypeError, match="Threshold should be less than bound of img."):
        F.solarize(ember.tensor(x), 1.5)
    # the Random* wrappers: one torch.rand(1).item() draw, applied when below p
    wrappers = [(T.RandomInvert(0.5), F.invert),
                (T.RandomPosterize(2, 0.5), lambda i: F.posterize(i, 2)),
                (T.RandomSolarize(100, 0.5), lambda i: F.solarize(i, 100)),
                (T.RandomAutocontrast(0.5), F.autocontrast), (T.RandomEqualize(0.5), F.equalize),
                (T.RandomAdjustSharpness(2.0, 0.5), lambda i: F.adjust_sharpness(i, 2.0))]
    for seed, (transform, fn) in enumerate(wrappers * 2):
        seed_both(seed)
        out = transform(img)
        applied = torch.rand(1).item() < 0.5
        want = fn(img) if applied else img
        np.testing.assert_array_equal(np.asarray(out), np.asarray(want))
        same_stream_after()


# -- blur and erasing -------------------------------------------------------------------------

def np_gaussian_blur(x, ksize, sigma):
    """Reflect-padded correlation with the normalised sampled Gaussian, in float64."""
    def kernel(k, s):
        off = np.arange(k) - (k - 1) / 2
        g = np.exp(-0.5 * (off / s) ** 2)
        return g / g.sum()

    kx, ky = kernel(ksize[0], sigma[0]), kernel(ksize[1], sigma[1])
    px, py = ksize[0] // 2, ksize[1] // 2
    padded = np.pad(x.astype(np.float64), [(0, 0)] * (x.ndim - 2) + [(py, py), (px, px)],
                    mode="reflect")
    h, w = x.shape[-2:]
    out = np.zeros(x.shape, np.float64)
    for i in range(ksize[1]):
        for j in range(ksize[0]):
            out += ky[i] * kx[j] * padded[..., i:i + h, j:j + w]
    return out


def test_gaussian_blur(rng):
    x = rng.random((3, 9, 12), dtype=np.float32)
    seed_both(5)
    got = T.GaussianBlur((5, 3), sigma=(0.5, 2.5))(ember.tensor(x)).numpy()
    sigma = torch_uniform(0.5, 2.5)
    np.testing.assert_allclose(got, np_gaussian_blur(x, (5, 3), (sigma, sigma)), atol=1e-6)
    same_stream_after()
    # default sigma from the kernel size; uint8 rounds back; PIL goes through the tensor path
    u = rng.integers(0, 256, (3, 9, 12), dtype=np.uint8)
    want = np.round(np_gaussian_blur(u, (7, 7), (1.4, 1.4)))
    got_u = F.gaussian_blur(ember.tensor(u), 7).numpy()
    assert np.abs(got_u.astype(np.float64) - want).max() <= 1
    img = Image.fromarray(u.transpose(1, 2, 0))
    np.testing.assert_array_equal(np.asarray(F.gaussian_blur(img, [7, 7])),
                                  got_u.transpose(1, 2, 0))
    with pytest.raises(ValueError, match=r"kernel_size should have odd and positive integers. "
                                         r"Got \[4, 4\]"):
        F.gaussian_blur(img, 4)
    with pytest.raises(ValueError, match="Kernel size value should be an odd and positive "
                                         "number."):
        T.GaussianBlur(2)
    with pytest.raises(ValueError, match=r"sigma values should be positive and of the form "
                                         r"\(min, max\)."):
        T.GaussianBlur(3, (2.0, 1.0))


def torch_erasing_draws(shape, scale, ratio, value):
    """RandomErasing.get_params written out with PyTorch's generator (after its rand(1))."""
    c, h, w = shape
    log_ratio = torch.log(torch.tensor(ratio))
    for _ in range(10):
        area = h * w * torch.empty(1).uniform_(scale[0], scale[1]).item()
        aspect = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
        eh, ew = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
        if not (eh < h and ew < w):
            continue
        v = (torch.empty([c, eh, ew], dtype=torch.float32).normal_() if value is None
             else torch.tensor(value)[:, None, None])
        i = torch.randint(0, h - eh + 1, size=(1,)).item()
        j = torch.randint(0, w - ew + 1, size=(1,)).item()
        return i, j, eh, ew, v
    return None


@pytest.mark.parametrize("value", [0, (0.1, 0.2, 0.3), "random"])
def test_random_erasing_same_draws_as_torchvision(rng, value):
    x = rng.random((3, 20, 24), dtype=np.float32)
    for seed in range(8):
        seed_both(seed)
        got = T.RandomErasing(p=0.7, scale=(0.05, 0.5), value=value)(ember.tensor(x)).numpy()
        want = x.copy()
        if torch.rand(1) < 0.7:
            vals = None if value == "random" else [float(v) for v in np.atleast_1d(value)]
            params = torch_erasing_draws((3, 20, 24), (0.05, 0.5), (0.3, 3.3), vals)
            if params is not None:
                i, j, h, w, v = params
                want[:, i:i + h, j:j + w] = v.numpy()
        np.testing.assert_array_equal(got, want)
        same_stream_after()
    t = ember.tensor(x)
    assert T.RandomErasing(p=1.0, inplace=True)(t) is t
    with pytest.raises(ValueError, match="If value is a sequence, it should have either a single "
                                         "value or 3 \\(number of input channels\\)"):
        T.RandomErasing(p=1.0, value=(1, 2))(t)
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="noise")
    with pytest.raises(ValueError, match="Random erasing probability should be between 0 and 1"):
        T.RandomErasing(p=1.5)
    with pytest.warns(UserWarning, match=r"Scale and ratio should be of kind \(min, max\)"):
        T.RandomErasing(scale=(0.5, 0.1))
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.erase(Image.new("L", (3, 3)), 0, 0, 1, 1, ember.tensor(0.0))


# -- choosing among transforms --------------------------------------------------------------

def test_random_apply_choice_order(rng):
    add = [T.Lambda(lambda v, k=k: v * 10 + k) for k in range(1, 4)]
    for seed in range(6):
        seed_both(seed)
        out = T.RandomApply(add[:2], p=0.5)(0)
        assert out == (0 if 0.5 < torch.rand(1) else 12)
        same_stream_after()
    # RandomChoice and RandomOrder draw from Python's random module, as torchvision
    for seed in range(6):
        random.seed(seed)
        got = T.RandomChoice(add, p=[0.2, 0.3, 0.5])(0)
        random.seed(seed)
        assert got == random.choices([1, 2, 3], weights=[0.2, 0.3, 0.5])[0]
        random.seed(seed)
        got = T.RandomOrder(add)(0)
        random.seed(seed)
        order = [0, 1, 2]
        random.shuffle(order)
        assert got == int("".join(str(k + 1) for k in order))
    with pytest.raises(TypeError, match="Argument transforms should be a sequence"):
        T.RandomOrder(add[0])
    with pytest.raises(TypeError, match="Argument p should be a sequence"):
        T.RandomChoice(add, p=0.5)


# -- crops and linear maps ------------------------------------------------------------------

def test_five_and_ten_crop(rng):
    x = rng.random((3, 10, 12), dtype=np.float32)
    crops = T.FiveCrop((4, 5))(ember.tensor(x))
    want = [x[:, :4, :5], x[:, :4, 7:], x[:, 6:, :5], x[:, 6:, 7:], x[:, 3:7, 4:9]]
    assert len(crops) == 5
    for got, ref in zip(crops, want):
        np.testing.assert_array_equal(got.numpy(), ref)
    ten = T.TenCrop(4, vertical_flip=True)(ember.tensor(x))
    flipped = x[:, ::-1]
    assert len(ten) == 10
    np.testing.assert_array_equal(ten[5].numpy(), flipped[:, :4, :4])
    np.testing.assert_array_equal(ten[9].numpy(), flipped[:, 3:7, 4:8])
    img = rgb_image(rng, 10, 12)
    pil_crops = F.ten_crop(img, [4, 6])
    mirror = np.asarray(img.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    np.testing.assert_array_equal(np.asarray(pil_crops[6]), mirror[:4, 6:])
    with pytest.raises(ValueError, match=r"Requested crop size \(11, 5\) is bigger than input "
                                         r"size \(10, 12\)"):
        F.five_crop(ember.tensor(x), (11, 5))
    with pytest.raises(ValueError, match=r"Please provide only two dimensions \(h, w\) for size."):
        T.FiveCrop((1, 2, 3))


def test_linear_transformation(rng):
    x = rng.random((2, 2, 3), dtype=np.float32)
    m = rng.random((12, 12), dtype=np.float32)
    mean = rng.random(12, dtype=np.float32)
    t = T.LinearTransformation(ember.tensor(m), ember.tensor(mean))
    got = t(ember.tensor(x)).numpy()
    np.testing.assert_allclose(got, ((x.reshape(1, 12) - mean) @ m).reshape(2, 2, 3), rtol=1e-5)
    assert repr(T.LinearTransformation(ember.eye(2), ember.zeros(2))) == (
        "LinearTransformation(transformation_matrix=[[1.0, 0.0], [0.0, 1.0]], "
        "mean_vector=[0.0, 0.0])")
    with pytest.raises(ValueError, match=r"transformation_matrix should be square. Got \(2, 3\) "
                                         "rectangular matrix."):
        T.LinearTransformation(ember.zeros(2, 3), ember.zeros(2))
    with pytest.raises(ValueError, match="Input tensor and transformation matrix have "
                                         r"incompatible shape.\[1 x 2 x 2\] != 12"):
        t(ember.zeros(1, 2, 2))


# -- printing and argument checks ---------------------------------------------------------------

def test_reprs():
    assert repr(T.RandomRotation(30)) == (
        "RandomRotation(degrees=[-30.0, 30.0], interpolation=nearest, expand=False, fill=0)")
    assert repr(T.RandomRotation((0, 90), BILINEAR, True, (1, 2), (1, 2, 3))) == (
        "RandomRotation(degrees=[0.0, 90.0], interpolation=bilinear, expand=True, "
        "center=(1, 2), fill=(1, 2, 3))")
    assert repr(T.RandomAffine(10)) == "RandomAffine(degrees=[-10.0, 10.0])"
    assert repr(T.RandomAffine(0, (0.1, 0.1), (0.9, 1.1), 5, BILINEAR, 3, (1, 1))) == (
        "RandomAffine(degrees=[0.0, 0.0], translate=(0.1, 0.1), scale=(0.9, 1.1), "
        "shear=[-5.0, 5.0], interpolation=bilinear, fill=3, center=(1, 1))")
    assert repr(T.ColorJitter(0.4, hue=0.1)) == (
        "ColorJitter(brightness=(0.6, 1.4), contrast=None, saturation=None, hue=(-0.1, 0.1))")
    assert repr(T.ColorJitter(brightness=1.5)) == (
        "ColorJitter(brightness=(0.0, 2.5), contrast=None, saturation=None, hue=None)")
    assert repr(T.GaussianBlur(3)) == "GaussianBlur(kernel_size=(3, 3), sigma=(0.1, 2.0))"
    assert repr(T.GaussianBlur((3, 5), 1.5)) == "GaussianBlur(kernel_size=(3, 5), sigma=(1.5, 1.5))"
    assert repr(T.Grayscale(3)) == "Grayscale(num_output_channels=3)"
    assert repr(T.RandomGrayscale()) == "RandomGrayscale(p=0.1)"
    assert repr(T.RandomErasing()) == (
        "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)")
    assert repr(T.RandomPosterize(4)) == "RandomPosterize(bits=4,p=0.5)"
    assert repr(T.RandomSolarize(192.0, 0.3)) == "RandomSolarize(threshold=192.0,p=0.3)"
    assert repr(T.RandomAdjustSharpness(2)) == "RandomAdjustSharpness(sharpness_factor=2,p=0.5)"
    assert repr(T.RandomInvert()) == "RandomInvert(p=0.5)"
    assert repr(T.RandomEqualize(0.2)) == "RandomEqualize(p=0.2)"
    assert repr(T.RandomAutocontrast()) == "RandomAutocontrast(p=0.5)"
    assert repr(T.FiveCrop(3)) == "FiveCrop(size=(3, 3))"
    assert repr(T.TenCrop([4, 5])) == "TenCrop(size=[4, 5], vertical_flip=False)"
    assert repr(T.RandomApply([T.Grayscale()], p=0.3)) == (
        "RandomApply(\n    p=0.3\n    Grayscale(num_output_channels=1)\n)")
    assert repr(T.RandomChoice([T.RandomInvert(), T.Grayscale()])) == (
        "RandomChoice(\n    RandomInvert(p=0.5)\n    Grayscale(num_output_channels=1)\n)(p=None)")
    assert repr(T.RandomOrder([T.RandomInvert()])) == "RandomOrder(\n    RandomInvert(p=0.5)\n)"


def test_argument_errors():
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive."):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="degrees should be a sequence of length 2."):
        T.RandomRotation([1, 2, 3])
    with pytest.raises(TypeError, match="center should be a sequence of length 2."):
        T.RandomRotation(3, center=5)
    with pytest.raises(TypeError, match="Fill should be either a sequence or a number."):
        T.RandomRotation(3, fill={"red": 1})
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        T.RandomAffine(0, translate=(0.5, 1.5))
    with pytest.raises(ValueError, match="scale values should be positive"):
        T.RandomAffine(0, scale=(0, 1))
    with pytest.raises(ValueError, match="shear should be a sequence of length 2 or 4."):
        T.RandomAffine(0, shear=(1, 2, 3))
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non "
                                         "negative."):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match=r"hue values should be between \(-0.5, 0.5\), but got "
                                         r"\[-0.7, 0.7\]."):
        T.ColorJitter(hue=0.7)
    with pytest.raises(TypeError, match="contrast should be a single number or a list/tuple with "
                                        "length 2."):
        T.ColorJitter(contrast=(1, 2, 3))
    with pytest.raises(TypeError, match="Argument angle should be int or float"):
        F.rotate(ember.zeros(1, 3, 3), "90")
    with pytest.raises(ValueError, match="Argument scale should be positive"):
        F.affine(ember.zeros(1, 3, 3), 0, [0, 0], 0.0, 0)
    with pytest.raises(ValueError, match=r"The number of elements in 'fill' cannot broadcast to "
                                         r"match the number of channels of the image \(2 != 3\)"):
        F.rotate(ember.zeros(3, 4, 4), 10.0, fill=[1.0, 2.0])
    with pytest.raises(ValueError, match="Interpolation mode 'bicubic' is unsupported with Tensor "
                                         "input"):
        F.rotate(ember.zeros(3, 4, 4), 10.0, T.InterpolationMode.BICUBIC)
    with pytest.raises(ValueError, match=r"The number of elements in 'fill' does not match the "
                                         r"number of channels of the image \(2 != 3\)"):
        F.rotate(Image.new("RGB", (4, 4)), 10.0, fill=(1, 2))


# -- CIFAR ----------------------------------------------------------------------------------

DEAD_URL = "http://127.0.0.1:9/nothing-listens-here.tar.gz"


def write_pickle(path, obj) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def make_cifar(root, rng, hundred=False, n_train=(3, 2, 4, 1, 2), n_test=5):
    """Small CIFAR folders in torchvision's layout; returns {split: (images NHWC, labels)}."""
    folder = os.path.join(root, "cifar-100-python" if hundred else "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    key = "fine_labels" if hundred else "labels"
    splits = {}
    names = [("train", [sum(n_train)])] if hundred else [
        *[(f"data_batch_{i + 1}", [n]) for i, n in enumerate(n_train)]]
    names.append(("test" if hundred else "test_batch", [n_test]))
    for name, (n,) in names:
        images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        labels = rng.integers(0, 100 if hundred else 10, n).tolist()
        entry = {"batch_label": name, "data": images.transpose(0, 3, 1, 2).reshape(n, 3072),
                 key: labels, "filenames": [f"img{i}.png" for i in range(n)]}
        if hundred:
            entry["coarse_labels"] = [v // 5 for v in labels]
        write_pickle(os.path.join(folder, name), entry)
        split = "test" if name.startswith("test") else "train"
        old = splits.get(split, (np.zeros((0, 32, 32, 3), np.uint8), []))
        splits[split] = (np.concatenate([old[0], images]), old[1] + labels)
    if hundred:
        write_pickle(os.path.join(folder, "meta"), {
            "fine_label_names": [f"fine{i}" for i in range(100)],
            "coarse_label_names": [f"coarse{i}" for i in range(20)]})
    else:
        write_pickle(os.path.join(folder, "batches.meta"), {
            "label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                            "horse", "ship", "truck"], "num_cases_per_batch": 10000})
    return splits


@pytest.mark.parametrize("hundred", [False, True])
def test_cifar_reads_torchvision_layout(tmp_path, rng, hundred):
    splits = make_cifar(str(tmp_path), rng, hundred)
    cls = datasets.CIFAR100 if hundred else datasets.CIFAR10
    for train in (True, False):
        images, labels = splits["train" if train else "test"]
        ds = cls(str(tmp_path), train=train)
        assert len(ds) == len(labels) and ds.targets == labels
        assert ds.data.shape == (len(labels), 32, 32, 3) and ds.data.dtype == np.uint8
        np.testing.assert_array_equal(ds.data, images)
        img, target = ds[1]
        assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
        np.testing.assert_array_equal(np.asarray(img), images[1])
        assert target == labels[1] and type(target) is int
        name = "CIFAR100" if hundred else "CIFAR10"
        assert repr(ds) == (f"Dataset {name}\n    Number of datapoints: {len(labels)}\n"
                            f"    Root location: {tmp_path}\n"
                            f"    Split: {'Train' if train else 'Test'}")
    if hundred:
        assert len(ds.classes) == 100 and ds.class_to_idx["fine7"] == 7
    else:
        assert ds.classes[3] == "cat" and ds.class_to_idx == {c: i for i, c in
                                                              enumerate(ds.classes)}
    ds = cls(str(tmp_path), train=False, transform=T.ToTensor(),
             target_transform=lambda t: t + 1000)
    x, y = ds[0]
    assert tuple(x.shape) == (3, 32, 32) and y == splits["test"][1][0] + 1000
    np.testing.assert_allclose(x.numpy(), splits["test"][0][0].transpose(2, 0, 1) / 255.0,
                               atol=1e-7)
    assert "    StandardTransform\nTransform: ToTensor()\nTarget transform: " in repr(ds)


def test_cifar_missing_corrupted_and_refused(tmp_path, rng):
    with pytest.raises(RuntimeError, match="^Dataset not found or corrupted. You can use "
                                           "download=True to download it$"):
        datasets.CIFAR10(str(tmp_path))
    make_cifar(str(tmp_path), rng)
    folder = tmp_path / "cifar-10-batches-py"
    os.remove(folder / "batches.meta")
    with pytest.raises(RuntimeError, match="^Dataset metadata file not found or corrupted. You "
                                           "can use download=True to download it$"):
        datasets.CIFAR10(str(tmp_path))
    (folder / "test_batch").write_bytes(b"\x80\x02truncated")
    with pytest.raises(RuntimeError, match="^Dataset not found or corrupted.*test_batch"):
        datasets.CIFAR10(str(tmp_path), train=False)

    class Payload:  # a pickle that would run code when loaded
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    write_pickle(folder / "test_batch", {"data": Payload(), "labels": []})
    with pytest.raises(RuntimeError, match="is not expected in a CIFAR file"):
        datasets.CIFAR10(str(tmp_path), train=False)
    write_pickle(folder / "test_batch", {"data": np.zeros((2, 100), np.uint8), "labels": [1, 2]})
    with pytest.raises(RuntimeError, match=r"holds data of shape \(2, 100\)"):
        datasets.CIFAR10(str(tmp_path), train=False)


def test_cifar_download_from_local_archive_and_offline(tmp_path, rng, monkeypatch):
    source = tmp_path / "source"
    splits = make_cifar(str(source), rng, n_train=(1, 1, 1, 1, 2), n_test=3)
    archive = tmp_path / "root" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    # an archive with the expected MD5 is unpacked without any network
    monkeypatch.setattr(datasets.CIFAR10, "url", DEAD_URL)
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", md5)
    ds = datasets.CIFAR10(str(archive.parent), train=False, download=True)
    assert ds.targets == splits["test"][1]
    assert len(datasets.CIFAR10(str(archive.parent), download=True)) == 6  # already there
    # no archive, no files, no network: a RuntimeError that says what to put where
    empty = tmp_path / "empty"
    with pytest.raises(RuntimeError) as err:
        datasets.CIFAR10(str(empty), download=True)
    msg = str(err.value)
    assert msg.startswith(f"Error downloading {DEAD_URL}")
    assert "cifar-10-python.tar.gz" in msg and str(empty) in msg


# -- FakeData -------------------------------------------------------------------------------

def test_fakedata_same_images_as_torchvision():
    ds = datasets.FakeData(size=5, image_size=(3, 6, 7), num_classes=4, random_offset=11)
    assert len(ds) == 5
    assert repr(ds) == "Dataset FakeData\n    Number of datapoints: 5"
    seed_both(2024)
    for index in (0, 3, 4):
        img, target = ds[index]
        state = torch.get_rng_state()
        torch.manual_seed(index + 11)
        want = torch.randn(3, 6, 7)
        want_target = torch.randint(0, 4, size=(1,), dtype=torch.long)[0].item()
        torch.set_rng_state(state)
        want_img = want.mul(255).byte().permute(1, 2, 0).numpy()
        assert isinstance(img, Image.Image) and img.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(img), want_img)
        assert target == want_target and type(target) is int
    same_stream_after()  # the caller's generator is left where it was
    grey = datasets.FakeData(2, (1, 4, 4), transform=T.ToTensor(),
                             target_transform=lambda t: t * 0 + 9)
    x, y = grey[1]
    assert tuple(x.shape) == (1, 4, 4) and y == 9
    with pytest.raises(IndexError, match="FakeData index out of range"):
        grey[2]
    assert "Transform: ToTensor()" in repr(grey)
