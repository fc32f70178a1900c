"""Differences found by fuzzing torchvision.transforms (v1 and v2) against torchvision 0.29.1.

torchvision is not installed next to the test's PyTorch: where the behaviour is PyTorch's
(``F.interpolate``, ``F.pad``, indexing) the reference is PyTorch itself; where it is
torchvision's own, the literal results printed by torchvision 0.29.1 (torch 2.13) are stored
here, marked "torchvision 0.29.1".
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.vision import tv_tensors
from ember.vision import transforms as T
from ember.vision.transforms import functional as F
from ember.vision.transforms import v2
from ember.vision.transforms.v2 import functional as F2

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")


def _err(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


def _torch_err(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


def _rand(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).random(shape).astype(dtype)


# -- interpolate: the antialias check comes after the sizes; Lanczos --------------------------

@pytest.mark.parametrize("shape,mode,kw,size", [
    ((1, 2, 5, 6), "lanczos", {}, [3, 4]),
    ((1, 2, 5, 6), "lanczos", {"antialias": True, "align_corners": True}, [3, 4]),
    ((1, 2, 5, 6), "lanczos", {"antialias": True}, [3, 4, 2]),
    ((2, 5, 6), "lanczos", {"antialias": True}, [3, 4]),
    ((2, 5, 6), "bilinear", {"antialias": True}, [3, 4]),
    ((1, 2, 5, 6), "nearest", {"antialias": True}, [3, 4, 2]),
    ((1, 2, 5, 6), "box", {}, [3, 4]),
    ((1, 1, 2, 5, 6), "lanczos", {}, [3, 4, 2]),
])
def test_interpolate_errors_match_torch(shape, mode, kw, size):
    x = _rand(*shape)
    want = _torch_err(lambda: torch.nn.functional.interpolate(
        torch.from_numpy(x), size=size, mode=mode, **kw))
    got = _err(lambda: ember.nn.functional.interpolate(
        ember.from_numpy(x), size=size, mode=mode, **kw))
    assert got == want


def test_interpolate_lanczos_matches_torch():
    f_t, f_e = torch.nn.functional.interpolate, ember.nn.functional.interpolate
    # one-hot rows read off the weights: the same numbers as PyTorch's, bit for bit
    for n_in, n_out in [(3, 33), (17, 51), (40, 13), (9, 4)]:
        for dt in (np.float32, np.float64):
            x = np.eye(n_in, dtype=dt).reshape(n_in, 1, 1, n_in)
            want = f_t(torch.from_numpy(x), size=(1, n_out), mode="lanczos",
                       antialias=True).numpy()
            got = f_e(ember.from_numpy(x), size=(1, n_out), mode="lanczos",
                      antialias=True).numpy()
            np.testing.assert_array_equal(got, want)
    # uint8 (fixed point, as Pillow-SIMD): bit for bit
    x = (_rand(2, 3, 20, 21) * 255).astype(np.uint8)
    for size in [(7, 33), (40, 3)]:
        want = f_t(torch.from_numpy(x), size=size, mode="lanczos", antialias=True).numpy()
        got = f_e(ember.from_numpy(x), size=size, mode="lanczos", antialias=True).numpy()
        np.testing.assert_array_equal(got, want)
    # float: a few ulps (the order of the sums), the gradient node's name
    x = _rand(1, 2, 9, 8)
    tx = torch.from_numpy(x).requires_grad_()
    ex = ember.from_numpy(x).requires_grad_()
    ty = f_t(tx, scale_factor=(0.7, 1.9), mode="lanczos", antialias=True)
    ey = f_e(ex, scale_factor=(0.7, 1.9), mode="lanczos", antialias=True)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__ == "UpsampleLanczos2DAaBackward0"


def test_v2_resize_lanczos_on_tensors():
    x = (_rand(3, 20, 21) * 255).astype(np.uint8)
    out = v2.Resize((7, 33), interpolation=v2.InterpolationMode.LANCZOS)(
        tv_tensors.Image(ember.from_numpy(x)))
    want = torch.nn.functional.interpolate(torch.from_numpy(x)[None], size=(7, 33),
                                           mode="lanczos", antialias=True)[0]
    assert type(out) is tv_tensors.Image
    np.testing.assert_array_equal(out.numpy(), want.numpy())
    xf = _rand(2, 3, 9, 8)
    out = F2.resize(ember.from_numpy(xf), [5, 11], interpolation=v2.InterpolationMode.LANCZOS)
    want = torch.nn.functional.interpolate(torch.from_numpy(xf), size=(5, 11), mode="lanczos",
                                           antialias=True)
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)
    # v1 hands Lanczos to interpolate without antialias, which refuses it
    assert _err(lambda: F.resize(ember.from_numpy(xf), [5, 11],
                                 interpolation=T.InterpolationMode.LANCZOS)) == (
        "ValueError", "Lanczos mode requires antialias=True")


# -- v1 tensor functions: what torchvision passes on to PyTorch ------------------------------

def test_v1_resize_modes_and_dims_go_to_interpolate():
    x = ember.from_numpy(_rand(3, 5, 6))
    tx = torch.from_numpy(_rand(3, 5, 6))
    for mode in (T.InterpolationMode.BOX, T.InterpolationMode.HAMMING):
        got = _err(lambda: F.resize(x, [3, 4], interpolation=mode))
        want = _torch_err(lambda: torch.nn.functional.interpolate(
            tx[None], size=[3, 4], mode=mode.value))
        assert got == want and got[0] == "NotImplementedError"
    # a 2-D image gains one dim only: F.interpolate's error for a 3-D input
    got = _err(lambda: F.resize(x[0], [3, 4]))
    want = _torch_err(lambda: torch.nn.functional.interpolate(tx[:1], size=[3, 4],
                                                              mode="bilinear"))
    assert got == want and got[0] == "ValueError"
    assert T.Resize([3, 4])(x).shape == (3, 3, 4)


def test_v1_2d_and_5d_images_in_grid_warps():
    x2, x5 = ember.rand(5, 6), ember.rand(2, 1, 3, 5, 6)
    # torchvision 0.29.1
    assert _err(lambda: F.rotate(x2, 30)) == (
        "RuntimeError", "grid_sampler(): expected grid to have size 1 in last dimension, but "
        "got grid with sizes [1, 5, 6, 2]")
    assert _err(lambda: F.rotate(x2, 30, expand=True)) == (
        "RuntimeError", "grid_sampler(): expected grid to have size 1 in last dimension, but "
        "got grid with sizes [1, 9, 8, 2]")
    assert _err(lambda: F.rotate(x2, 30, fill=[1.0])) == ("IndexError",
                                                          "tuple index out of range")
    assert _err(lambda: T.RandomRotation(20)(x2)) == ("IndexError", "tuple index out of range")
    assert _err(lambda: F.affine(x5, 10, [1, 1], 1.0, [0.0, 0.0])) == (
        "RuntimeError", "grid_sampler(): expected grid to have size 3 in last dimension, but "
        "got grid with sizes [2, 5, 6, 2]")
    assert _err(lambda: F.affine(x5, 10, [1, 1], 1.0, [0.0, 0.0], fill=2)) == (
        "RuntimeError", "Tensors must have same number of dimensions: got 5 and 4")
    assert _err(lambda: F.perspective(x2, [[0, 0], [5, 0], [5, 4], [0, 4]],
                                      [[1, 0], [5, 1], [4, 4], [0, 3]])) == (
        "RuntimeError", "grid_sampler(): expected grid to have size 1 in last dimension, but "
        "got grid with sizes [1, 5, 6, 2]")
    assert _err(lambda: F.elastic_transform(x5, ember.zeros(1, 5, 6, 2))) == (
        "RuntimeError", "grid_sampler(): expected grid to have size 3 in last dimension, but "
        "got grid with sizes [2, 5, 6, 2]")
    assert F.rotate(x2[None], 30).shape == (1, 5, 6)


def test_v1_2d_and_5d_images_in_blur_sharpness_symmetric_pad():
    x2, x5 = ember.rand(5, 6), ember.rand(2, 1, 3, 5, 6)
    assert _err(lambda: F.gaussian_blur(x2, 3)) == ("IndexError", "tuple index out of range")
    got = _err(lambda: F.gaussian_blur(x5, 3))
    want = _torch_err(lambda: torch.nn.functional.pad(torch.rand(2, 1, 3, 5, 6), [1, 1, 1, 1],
                                                      mode="reflect"))
    assert got == want and got[0] == "NotImplementedError"
    # torchvision 0.29.1
    assert _err(lambda: F.adjust_sharpness(x5, 0.5)) == (
        "RuntimeError", "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got "
        "input of size: [2, 1, 3, 5, 6]")
    for x in (x2, x5):
        assert _err(lambda: F.pad(x, [1, 2], padding_mode="symmetric")) == (
            "RuntimeError", "Symmetric padding of N-D tensors are not supported yet")
    # v2 pads any leading dims
    assert F2.pad(x5, [1, 2], padding_mode="symmetric").shape == (2, 1, 3, 9, 8)


def test_symmetric_pad_values_and_too_much_padding():
    a = _rand(2, 3, 4, 5)
    out = F.pad(ember.from_numpy(a), [2, 1, 3, 4], padding_mode="symmetric").numpy()
    want = np.pad(a, [(0, 0), (0, 0), (1, 4), (2, 3)], mode="symmetric")
    np.testing.assert_array_equal(out, want)
    # more padding than pixels: torchvision's index lists run out (no second reflection)
    with pytest.raises(IndexError, match="is out of bounds for dimension"):
        F.pad(ember.from_numpy(a), [6, 0], padding_mode="symmetric")
    with pytest.raises(IndexError, match="is out of bounds for dimension"):
        T.RandomCrop(9, pad_if_needed=True, padding_mode="symmetric")(ember.from_numpy(a))


def test_get_dimensions_of_a_non_image():
    # torchvision 0.29.1
    assert _err(lambda: F.get_dimensions((1, 2))) == ("TypeError",
                                                      "Unexpected type <class 'tuple'>")
    assert _err(lambda: F.get_image_size([1])) == ("TypeError", "Unexpected type <class 'list'>")


def test_elastic_fill_of_the_wrong_length():
    x3, x4 = ember.zeros(3, 35, 32), ember.zeros(2, 1, 35, 32, dtype=ember.uint8)
    # torchvision 0.29.1: it does not check; PyTorch's expand / broadcast errors
    ember.manual_seed(0)
    assert _err(lambda: T.ElasticTransform(fill=(1, 2))(x3)) == (
        "RuntimeError", "The expanded size of the tensor (3) must match the existing size (2) "
        "at non-singleton dimension 1.  Target sizes: [1, 3, 35, 32].  Tensor sizes: "
        "[1, 2, 1, 1]")
    pil = Image.fromarray(np.zeros((35, 32, 3), np.uint8))
    assert _err(lambda: T.ElasticTransform(fill=(1, 2))(pil))[1].startswith(
        "The expanded size of the tensor (3) must match the existing size (2)")
    assert _err(lambda: v2.ElasticTransform(fill=(1, 2))(x3)) == (
        "RuntimeError", "The size of tensor a (3) must match the size of tensor b (2) at "
        "non-singleton dimension 1")
    assert _err(lambda: v2.ElasticTransform(fill=(1, 2, 3))(x4)) == (
        "RuntimeError", "output with shape [2, 1, 35, 32] doesn't match the broadcast shape "
        "[2, 3, 35, 32]")
    assert _err(lambda: v2.ElasticTransform(
        fill=(1, 2), interpolation=v2.InterpolationMode.NEAREST)(ember.zeros(2, 2, 3, 35, 32))) \
        == ("RuntimeError", "The expanded size of the tensor (3) must match the existing size "
            "(2) at non-singleton dimension 1.  Target sizes: [4, 3, 35, 32].  Tensor sizes: "
            "[1, 2, 1, 1]")


# -- v2 --------------------------------------------------------------------------------------

def test_v2_2d_plain_tensors():
    x2 = ember.rand(5, 6)
    unpack = ("ValueError", "not enough values to unpack (expected 3, got 2)")
    # torchvision 0.29.1
    assert _err(lambda: F2.rotate(x2, 30)) == unpack
    assert _err(lambda: F2.rotate(x2, 30, fill=[1.0])) == ("IndexError",
                                                           "tuple index out of range")
    assert _err(lambda: F2.pad(x2, [1], padding_mode="reflect")) == unpack
    assert _err(lambda: F2.crop(x2, -1, -1, 4, 9)) == unpack
    assert _err(lambda: F2.resize(x2, [3, 4])) == unpack
    assert _err(lambda: v2.RandomZoomOut(p=1)(x2)) == unpack
    assert F2.crop(x2, 1, 1, 2, 2).shape == (2, 2)
    assert F2.rotate(x2, 90, expand=True).shape == (6, 5)  # (the transpose fast path)
    # masks are unsqueezed by their own kernels
    assert F2.rotate(tv_tensors.Mask(x2), 30).shape == (5, 6)


def test_v2_pad_5d_reflect_and_edge():
    a = _rand(2, 2, 3, 5, 6)
    for mode, tmode in (("reflect", "reflect"), ("edge", "replicate")):
        out = F2.pad(ember.from_numpy(a), [2, 1], padding_mode=mode)
        want = torch.nn.functional.pad(torch.from_numpy(a).reshape(4, 3, 5, 6), [2, 2, 1, 1],
                                       mode=tmode).reshape(2, 2, 3, 7, 10)
        np.testing.assert_array_equal(out.numpy(), want.numpy())


def test_v2_warps_of_empty_masks():
    m = tv_tensors.Mask(ember.zeros(0, 12, 32, dtype=ember.uint8))
    # torchvision 0.29.1
    assert F2.rotate(m, 10).shape == (0, 12, 32)
    assert F2.rotate(m, 10, expand=True).shape == (0, 18, 34)
    out = F2.affine(m, 10, [1, 1], 1.0, [0.0, 0.0])
    assert type(out) is tv_tensors.Mask and out.shape == (0, 12, 32)
    sample = {"image": tv_tensors.Image(ember.zeros(3, 12, 32)), "masks": m,
              "boxes": tv_tensors.BoundingBoxes(ember.zeros(0, 4), format="XYXY",
                                                canvas_size=(12, 32))}
    ember.manual_seed(0)
    assert v2.RandomRotation(10)(sample)["masks"].shape == (0, 12, 32)


def test_v2_multiple_sizes_message():
    s = {"a": tv_tensors.Image(ember.zeros(3, 31, 32)), "b": tv_tensors.Mask(ember.zeros(32, 32))}
    # torchvision 0.29.1
    assert _err(lambda: v2.RandomCrop(5)(s)) == (
        "ValueError", "Found multiple HxW dimensions in the sample: '(31, 32)', '(32, 32)'")
    s["c"] = tv_tensors.Mask(ember.zeros(33, 32))
    assert _err(lambda: v2.RandomCrop(5)(s)) == (
        "ValueError", "Found multiple HxW dimensions in the sample: '(31, 32)', '(32, 32)', "
        "'(33, 32)'")


def test_crop_window_beyond_the_right_or_bottom_edge():
    # torchvision 0.29.1: the padding is counted from max(w, left) / max(h, top)
    x = ember.arange(9.0).reshape(1, 9, 1)
    for fn in (F.crop, F2.crop):
        assert fn(x, 0, 2, 5, 6).shape == (1, 5, 6)
        assert fn(x, 5, 3, 7, 5).shape == (1, 7, 5)
        assert fn(x, -3, 3, 2, 7).shape == (1, 10, 7)
        out = fn(x, 4, 5, 5, 6)
        assert out.shape == (1, 5, 6) and float(out.abs().sum()) == 0.0
    out = F.crop(x, 7, -1, 4, 2)
    assert out.shape == (1, 4, 2) and out[0, :2, 1].tolist() == [7.0, 8.0]


def test_constructor_checks_in_torchvision_order():
    # torchvision 0.29.1: scale and ratio are indexed (for the (min, max) warning) before
    # the interpolation is looked at; a str is a Sequence
    with pytest.raises(IndexError, match="tuple index out of range"):
        T.RandomResizedCrop(4, scale=(1,))
    with pytest.warns(UserWarning, match=r"Scale and ratio should be of kind \(min, max\)"):
        T.RandomResizedCrop(4, scale=(0.9, 0.1))
    with pytest.raises(IndexError, match="string index out of range"):
        T.RandomErasing(scale="a")
    with pytest.warns(UserWarning, match="Scale and ratio"):
        odd = T.RandomResizedCrop(3, "random", (4, 4), interpolation=2.5)
    with pytest.raises(AttributeError, match="'float' object has no attribute 'value'"):
        repr(odd)
    assert _err(lambda: v2.JPEG(quality={})) == ("TypeError",
                                                 "quality should be a sequence of length 2.")
    assert _err(lambda: v2.JPEG(quality=(1, "a")))[0] == "TypeError"


def test_v2_linear_transformation():
    ember.manual_seed(0)
    m, mu = ember.rand(12, 12), ember.rand(12)
    t = v2.LinearTransformation(m, mu)
    assert repr(t) == "LinearTransformation()"
    x = ember.rand(2, 3, 2, 2)
    out = t({"img": tv_tensors.Image(x), "label": 3})
    assert type(out["img"]) is tv_tensors.Image and out["label"] == 3
    want = (torch.from_numpy(x.numpy()).reshape(-1, 12) - torch.from_numpy(mu.numpy())) @ \
        torch.from_numpy(m.numpy())
    np.testing.assert_allclose(out["img"].numpy().reshape(-1, 12), want.numpy(), rtol=1e-6)
    pil = Image.fromarray(np.zeros((2, 2, 3), np.uint8))
    assert _err(lambda: t(pil)) == ("TypeError",
                                    "LinearTransformation() does not support PIL images.")
    assert _err(lambda: v2.LinearTransformation(ember.ones(3, 4), ember.ones(3))) == (
        "ValueError", "transformation_matrix should be square. Got (3, 4) rectangular matrix.")


def test_v2_five_and_ten_crop_name_the_size_as_given():
    x = ember.rand(3, 8, 4)
    # torchvision 0.29.1 (v1 names the parsed size)
    assert _err(lambda: F2.five_crop(x, [6]))[1] == \
        "Requested crop size [6] is bigger than input size (8, 4)"
    assert _err(lambda: F2.ten_crop(x, 6))[1] == \
        "Requested crop size 6 is bigger than input size (8, 4)"
    assert _err(lambda: F.five_crop(x, [6]))[1] == \
        "Requested crop size (6, 6) is bigger than input size (8, 4)"
    assert [tuple(t.shape) for t in F2.ten_crop(tv_tensors.Image(x), 3)] == [(3, 3, 3)] * 10


def test_tv_tensor_in_place_ops_return_plain_tensors():
    # torchvision 0.29.1: in-place ops hand back the data as a plain Tensor; the tv_tensor
    # itself keeps its type
    img = tv_tensors.Image(ember.rand(3, 4, 4))
    out = img.add_(1)
    assert type(out) is ember.Tensor and type(img) is tv_tensors.Image
    assert out.data_ptr() == img.data_ptr()
    assert type(img.mul_(2).div_(3)) is ember.Tensor
    assert type(F.normalize(img, [0.5], [0.5])) is ember.Tensor
    assert type(F.normalize(img, [0.5], [0.5], inplace=True)) is ember.Tensor
    m = tv_tensors.Mask(ember.zeros(2, 2))
    assert type(m.fill_(1)) is ember.Tensor and type(m.zero_()) is ember.Tensor
    b = tv_tensors.BoundingBoxes([[0, 0, 1, 1]], format="XYXY", canvas_size=(4, 4))
    assert type(b.add_(1)) is ember.Tensor and type(b.clone()) is tv_tensors.BoundingBoxes
    assert type(img.requires_grad_()) is tv_tensors.Image
    x = tv_tensors.Image(ember.zeros(1, 2, 2))
    x += 1
    assert type(x) is ember.Tensor and float(x.sum()) == 4.0


def test_v1_grid_warps_of_empty_images():
    # torchvision 0.29.1
    assert _err(lambda: F.rotate(ember.rand(3, 0, 0), 30)) == (
        "RuntimeError", "grid_sampler(): expected input to have non-empty spatial dimensions, "
        "but input has sizes [1, 3, 0, 0] with dimension 2 being empty")
    assert _err(lambda: F.affine(ember.rand(2, 1, 0, 5), 10, [1, 1], 1.0, [0.0, 0.0],
                                 fill=2))[1].endswith("[2, 2, 0, 5] with dimension 2 being empty")
    assert _err(lambda: F.rotate(ember.rand(0, 2, 4, 5), 30, expand=True)) == (
        "RuntimeError", "grid_sampler(): expected grid and input to have same batch size, but "
        "got input with sizes [0, 2, 4, 5] and grid with sizes [1, 6, 7, 2]")
    assert F.rotate(ember.rand(0, 4, 5), 30, expand=True).shape == (0, 6, 7)
    ember.manual_seed(0)
    with pytest.raises(RuntimeError, match="non-empty spatial dimensions"):
        T.Compose([T.CenterCrop(0), T.RandomAffine(10)])(ember.rand(3, 5, 5))


def test_tv_tensor_class_names_under_ember_run():
    import pickle
    import sys

    from ember import _compat

    img = tv_tensors.Image(ember.zeros(1, 2, 2))
    b = tv_tensors.BoundingBoxes([[0, 0, 1, 1]], format="XYXY", canvas_size=(4, 4))
    _compat.install()
    try:
        # torchvision 0.29.1
        assert str(type(img)) == "<class 'torchvision.tv_tensors._image.Image'>"
        assert str(type(b)) == "<class 'torchvision.tv_tensors._bounding_boxes.BoundingBoxes'>"
        assert str(tv_tensors.Mask) == "<class 'torchvision.tv_tensors._mask.Mask'>"
        with pytest.raises(ValueError, match="No dtype was specified for type <class "
                           "'torchvision.tv_tensors._bounding_boxes.BoundingBoxes'>"):
            v2.ToDtype({tv_tensors.Image: ember.float32})({"i": img, "b": b})
        p = pickle.loads(pickle.dumps({"img": img, "b": b, "f": b.format}))
        assert type(p["img"]) is tv_tensors.Image and p["b"].canvas_size == (4, 4)
        assert p["f"] is tv_tensors.BoundingBoxFormat.XYXY
    finally:
        _compat.uninstall()
    assert tv_tensors.Image.__module__ == "ember.vision.tv_tensors"
    assert "torchvision.tv_tensors._image" not in sys.modules


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int64", "float16", "float32"])
def test_constant_pad_value_is_a_double_then_a_fill(dtype):
    # (T.Pad(fill=...) and v2's pads of uint8 images come here)
    for v in [0.5, 2.7, -1.5, 300.0, -1, True, 1e39, 70000.0]:
        x = np.zeros((1, 2), dtype=dtype)
        try:
            want = torch.nn.functional.pad(torch.from_numpy(x), [1, 1], value=v).numpy()
        except RuntimeError as e:
            with pytest.raises(RuntimeError) as info:
                ember.nn.functional.pad(ember.from_numpy(x), [1, 1], value=v)
            assert str(info.value) == str(e)
            continue
        got = ember.nn.functional.pad(ember.from_numpy(x), [1, 1], value=v).numpy()
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_v2_unsupported_type_message_lists_torchvision_types():
    pil = Image.fromarray(np.zeros((2, 2, 3), np.uint8))
    from ember import _compat

    _compat.install()
    try:
        # torchvision 0.29.1
        assert _err(lambda: F2.normalize(pil, [0.5], [0.5]))[1] == (
            "Functional F.normalize supports inputs of type dict_keys([<class "
            "'torchvision.tv_tensors._image.Image'>, <class 'torch.Tensor'>, <class "
            "'torchvision.tv_tensors._video.Video'>]), but got <class 'PIL.Image.Image'> "
            "instead.")
        assert _err(lambda: F2.rgb_to_grayscale(3))[1] == (
            "Functional F.rgb_to_grayscale supports inputs of type dict_keys([<class "
            "'torchvision.tv_tensors._image.Image'>, <class 'torch.Tensor'>, <class "
            "'PIL.Image.Image'>]), but got <class 'int'> instead.")
    finally:
        _compat.uninstall()
