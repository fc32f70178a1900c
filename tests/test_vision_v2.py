"""torchvision.transforms.v2 and tv_tensors on ember.

References: PyTorch ops on the same data (flips, dtype scaling, the generator's draws),
NumPy re-statements, and a few literal values printed by real torchvision 0.29.1
(torch 2.14.1) for the same seed, marked "torchvision 0.29.1".
"""
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.vision import tv_tensors
from ember.vision.transforms import v2
from ember.vision.transforms.v2 import functional as F


def _img8(seed=0):
    ember.manual_seed(seed)
    return ember.randint(0, 256, (3, 20, 24), dtype=ember.uint8)


def _boxes():
    return tv_tensors.BoundingBoxes([[2, 3, 10, 12], [5, 5, 20, 18]], format="XYXY",
                                    canvas_size=(20, 24))


def _np(t):
    return np.asarray(t.as_subclass(ember.Tensor).numpy() if isinstance(
        t, tv_tensors.TVTensor) else t.numpy())


# -- tv_tensors ------------------------------------------------------------------------------------

def test_tv_tensor_repr_like_torchvision():
    img = tv_tensors.Image(ember.arange(12, dtype=ember.uint8).reshape(3, 2, 2))
    # torchvision 0.29.1
    assert repr(img) == ("Image([[[ 0,  1],\n        [ 2,  3]],\n\n       [[ 4,  5],\n"
                         "        [ 6,  7]],\n\n       [[ 8,  9],\n        [10, 11]]], "
                         "dtype=torch.uint8, )")
    assert repr(_boxes()[:1]) == "tensor([[ 2,  3, 10, 12]])"
    b = tv_tensors.BoundingBoxes([[1, 2, 3, 4]], format="XYXY", canvas_size=(10, 10))
    assert repr(b) == ("BoundingBoxes([[1, 2, 3, 4]], format=BoundingBoxFormat.XYXY, "
                       "canvas_size=(10, 10), clamping_mode=soft)")
    assert repr(tv_tensors.Mask(ember.zeros(2, 2))) == "Mask([[0., 0.],\n      [0., 0.]])"


def test_tv_tensor_ops_return_plain_tensors_except_a_few():
    img = tv_tensors.Image(ember.rand(3, 4, 4))
    assert type(img + 1) is ember.Tensor
    assert type(img.sum()) is ember.Tensor
    assert type(img.clone()) is tv_tensors.Image
    assert type(img.detach()) is tv_tensors.Image
    b = _boxes()
    f = b.to(ember.float32)
    assert type(f) is tv_tensors.BoundingBoxes and f.dtype == ember.float32
    assert f.canvas_size == (20, 24) and f.format is tv_tensors.BoundingBoxFormat.XYXY
    d = copy.deepcopy(b)
    assert d.canvas_size == (20, 24) and d is not b
    p = pickle.loads(pickle.dumps(b))
    assert type(p) is tv_tensors.BoundingBoxes and p.canvas_size == (20, 24)
    assert tv_tensors.Image(ember.zeros(4, 5)).shape == (1, 4, 5)
    with pytest.raises(ValueError):
        tv_tensors.Image(ember.zeros(5))
    w = tv_tensors.wrap(ember.zeros(1, 4), like=b, canvas_size=(3, 3))
    assert type(w) is tv_tensors.BoundingBoxes and w.canvas_size == (3, 3)


# -- conversion, dtype, normalize ------------------------------------------------------------------

def test_to_image_to_dtype_normalize_matches_torch():
    img = _img8()
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    tf = v2.Compose([v2.ToImage(), v2.ToDtype(ember.float32, scale=True), v2.Normalize(mean, std)])
    out = tf(img)
    assert type(out) is tv_tensors.Image
    # v2 scales by multiplying with 1/255 (v1 divides): the same ops in PyTorch
    t = torch.from_numpy(img.numpy()).to(torch.float32).mul_(1.0 / 255)
    t = t.sub(torch.tensor(mean).view(-1, 1, 1)).div_(torch.tensor(std).view(-1, 1, 1))
    np.testing.assert_array_equal(_np(out), t.numpy())


def test_to_dtype_int_shifts_and_float_to_uint8():
    img = _img8()
    out = F.to_dtype(img, ember.int32, scale=True)
    np.testing.assert_array_equal(out.numpy(), img.numpy().astype(np.int32) << 23)
    f = ember.rand(3, 4, 4)
    np.testing.assert_array_equal(F.to_dtype(f, ember.uint8, scale=True).numpy(),
                                  (f.numpy() * np.float32(255.999)).astype(np.uint8))


def test_to_dtype_dict_and_passthrough():
    img, mask = tv_tensors.Image(_img8()), tv_tensors.Mask(ember.zeros(20, 24, dtype=ember.uint8))
    out = v2.ToDtype({tv_tensors.Image: ember.float32, "others": None}, scale=True)(img, mask, 3)
    assert out[0].dtype == ember.float32 and out[1].dtype == ember.uint8 and out[2] == 3


def test_to_tensor_warns_and_to_pure_tensor():
    with pytest.warns(UserWarning, match="deprecated"):
        v2.ToTensor()
    out = v2.ToPureTensor()({"a": tv_tensors.Image(_img8()), "b": 1})
    assert type(out["a"]) is ember.Tensor and out["b"] == 1


# -- which inputs get transformed ------------------------------------------------------------------

def test_first_pure_tensor_is_the_image_others_pass_through():
    img, other = _img8(), ember.arange(6).reshape(2, 3)
    out = v2.RandomHorizontalFlip(p=1.0)(img, other, 5, "x")
    np.testing.assert_array_equal(out[0].numpy(), img.numpy()[..., ::-1])
    assert out[1] is other and out[2] == 5 and out[3] == "x"
    # with an Image present no pure tensor is transformed
    out = v2.RandomHorizontalFlip(p=1.0)(img, tv_tensors.Image(img))
    assert out[0] is img


def test_hflip_moves_boxes_and_mask_for_the_same_draw():
    img = _img8()
    mask = tv_tensors.Mask(ember.arange(480).reshape(20, 24))
    for seed in range(4):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        flipped = bool(torch.rand(1) < 0.5)
        out = v2.RandomHorizontalFlip()({"image": tv_tensors.Image(img), "boxes": _boxes(),
                                          "mask": mask, "label": 7})
        ref = img.numpy()[..., ::-1] if flipped else img.numpy()
        np.testing.assert_array_equal(_np(out["image"]), ref)
        np.testing.assert_array_equal(_np(out["mask"]),
                                      mask.numpy()[..., ::-1] if flipped else mask.numpy())
        boxes = np.array([[2, 3, 10, 12], [5, 5, 20, 18]])
        if flipped:
            boxes = np.stack([24 - boxes[:, 2], boxes[:, 1], 24 - boxes[:, 0], boxes[:, 3]], 1)
        np.testing.assert_array_equal(_np(out["boxes"]), boxes)
        assert type(out["boxes"]) is tv_tensors.BoundingBoxes and out["label"] == 7


def test_random_crop_v2_draws_only_where_needed():
    img = _img8()
    ember.manual_seed(3)
    torch.manual_seed(3)
    out = v2.RandomCrop((20, 10))(img)
    left = int(torch.randint(0, 24 - 10 + 1, size=()))  # no draw for the height
    np.testing.assert_array_equal(out.numpy(), img.numpy()[:, :, left:left + 10])
    assert ember.rand(1).item() == torch.rand(1).item()


def test_random_resized_crop_boxes_torchvision_values():
    img = tv_tensors.Image(ember.rand(3, 20, 24))
    mask = tv_tensors.Mask(ember.zeros(20, 24, dtype=ember.int64))
    ember.manual_seed(0)
    t = v2.Compose([v2.RandomResizedCrop(16, antialias=True), v2.RandomHorizontalFlip(p=0.5)])
    out = t(img, _boxes(), mask, 7)
    # torchvision 0.29.1
    assert _np(out[1]).tolist() == [[7, 0, 15, 7], [0, 0, 12, 13]]
    assert out[1].canvas_size == (16, 16) and out[0].shape == (3, 16, 16)
    assert out[2].shape == (16, 16) and out[3] == 7


def test_affine_rotate_boxes_torchvision_values():
    img = tv_tensors.Image(_img8())
    ember.manual_seed(0)
    out = v2.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=10)(img, _boxes())
    assert _np(out[1]).tolist()[0] == [4, 1, 11, 8]  # torchvision 0.29.1
    img = tv_tensors.Image(ember.rand(3, 20, 24))
    ember.manual_seed(2)
    out = v2.RandomRotation(30)(img, _boxes())
    assert _np(out[1]).tolist()[0] == [1, 3, 10, 13]  # torchvision 0.29.1
    rot = F.rotate(_boxes(), 90, expand=True)
    assert rot.canvas_size == (24, 20)


def test_box_formats_resize_pad_center_crop():
    b = _boxes()
    c = F.convert_bounding_box_format(b, new_format="CXCYWH")
    assert _np(c).tolist() == [[6, 7, 8, 9], [12, 11, 15, 13]]
    assert c.format is tv_tensors.BoundingBoxFormat.CXCYWH
    w = F.convert_bounding_box_format(b, new_format="XYWH")
    assert _np(w).tolist() == [[2, 3, 8, 9], [5, 5, 15, 13]]
    r = v2.Resize(10)(b)
    assert _np(r).tolist() == [[1, 1, 5, 6], [2, 2, 10, 9]] and r.canvas_size == (10, 12)
    p = v2.Pad(2)(b)
    assert _np(p).tolist() == [[4, 5, 12, 14], [7, 7, 22, 20]] and p.canvas_size == (24, 28)
    cc = v2.CenterCrop(10)(b)
    assert _np(cc).tolist() == [[0, 0, 3, 7], [0, 0, 10, 10]] and cc.canvas_size == (10, 10)


def test_sanitize_bounding_boxes_drops_labels_too():
    boxes = tv_tensors.BoundingBoxes([[0, 0, 0.5, 3], [1, 1, 5, 5]], format="XYXY",
                                     canvas_size=(20, 24))
    out = v2.SanitizeBoundingBoxes()({"boxes": boxes, "labels": ember.tensor([1, 2])})
    assert _np(out["boxes"]).tolist() == [[1.0, 1.0, 5.0, 5.0]]
    assert out["labels"].tolist() == [2]


# -- pixels against references ---------------------------------------------------------------------

def test_geometry_kernels_match_torch():
    img = _img8()
    t = torch.from_numpy(img.numpy())
    np.testing.assert_array_equal(F.vertical_flip(img).numpy(), t.flip(-2).numpy())
    np.testing.assert_array_equal(F.rotate(img, 90, expand=True).numpy(),
                                  torch.rot90(t, 1, (-2, -1)).numpy())
    out = F.pad(tv_tensors.Image(img), [1, 2, 3, 4], fill=[10, 20, 30])
    assert out.shape == (3, 26, 28) and _np(out)[:, 0, 0].tolist() == [10, 20, 30]
    np.testing.assert_array_equal(_np(out)[:, 2:22, 1:25], img.numpy())
    f = ember.rand(2, 3, 8, 10)
    ref = torch.nn.functional.interpolate(torch.from_numpy(f.numpy()), size=(4, 5),
                                          mode="nearest")
    np.testing.assert_array_equal(F.resize(f, [4, 5], interpolation="nearest").numpy(),
                                  ref.numpy())


def test_colour_kernels_torchvision_values():
    img = _img8()
    # sums printed by torchvision 0.29.1 for the same image
    assert int(F.adjust_hue(img, 0.2).double().sum()) == 180970
    assert int(F.adjust_contrast(img, 1.7).double().sum()) == 180670
    assert int(F.adjust_gamma(img, 0.7).double().sum()) == 213871
    assert int(F.adjust_sharpness(img, 2.0).double().sum()) == 181500
    assert int(F.equalize(img).double().sum()) == 268571
    ember.manual_seed(0)
    assert int(v2.ColorJitter(0.4, 0.4, 0.4, 0.1)(img).double().sum()) == 125285
    ember.manual_seed(0)
    assert int(v2.GaussianBlur(5)(img).double().sum()) == 180988


def test_grayscale_and_saturation_match_torch_arithmetic():
    f = ember.rand(3, 6, 7)
    t = torch.from_numpy(f.numpy())
    r, g, b = t.unbind(-3)
    grey = r.mul(0.2989).add_(g, alpha=0.587).add_(b, alpha=0.114).unsqueeze(-3)
    np.testing.assert_array_equal(F.rgb_to_grayscale(f).numpy(), grey.numpy())
    sat = t.mul(0.3).add_(grey, alpha=0.7).clamp_(0, 1)
    np.testing.assert_array_equal(F.adjust_saturation(f, 0.3).numpy(), sat.numpy())


def test_random_choice_and_order_use_the_torch_generator():
    img = _img8()
    for seed in range(3):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        idx = int(torch.multinomial(torch.tensor([1 / 3] * 3), 1))
        out = v2.RandomChoice([v2.Grayscale(3), v2.RandomInvert(1.0), v2.Identity()])(img)
        ref = [F.rgb_to_grayscale(img, 3), F.invert(img), img][idx]
        np.testing.assert_array_equal(out.numpy(), ref.numpy())
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        order = torch.randperm(2).tolist()
        out = v2.RandomOrder([v2.Pad(2), v2.CenterCrop(10)])(img)
        ref = img
        for i in order:
            ref = [lambda x: F.pad(x, 2), lambda x: F.center_crop(x, 10)][i](ref)
        np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_random_erasing_same_draws_as_v1_for_constant_value():
    from ember.vision import transforms as v1

    img = ember.rand(3, 20, 24)
    for seed in range(3):
        ember.manual_seed(seed)
        a = v2.RandomErasing(p=0.9)(img)
        ember.manual_seed(seed)
        b = v1.RandomErasing(p=0.9)(img)
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_pil_pipeline_and_repr():
    pil = pytest.importorskip("PIL.Image")
    img = _img8()
    im = pil.fromarray(np.ascontiguousarray(img.numpy().transpose(1, 2, 0)))
    out = v2.Compose([v2.PILToTensor(), v2.ToDtype(ember.float32, scale=True)])(im)
    np.testing.assert_allclose(out.numpy(), img.numpy() / 255.0, rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf = v2.Compose([v2.RandomResizedCrop(224, antialias=True), v2.ToImage()])
    # torchvision 0.29.1
    assert repr(tf) == ("Compose(\n      RandomResizedCrop(size=(224, 224), scale=(0.08, 1.0), "
                        "ratio=(0.75, 1.3333333333333333), interpolation=bilinear, "
                        "antialias=True)\n      ToImage()\n)")
    assert repr(v2.RandomCrop(4, padding=2)) == (
        "RandomCrop(size=(4, 4), padding=[2, 2, 2, 2], pad_if_needed=False, fill=0, "
        "padding_mode=constant)")


def test_functional_type_errors_and_compat_import():
    with pytest.raises(TypeError, match="supports inputs of type"):
        F.horizontal_flip(3)
    from ember import _compat

    _compat.install()
    try:
        import importlib

        mod = importlib.import_module("torchvision.transforms.v2.functional")
        assert mod.resize is F.resize
        assert importlib.import_module("torchvision.tv_tensors").Image is tv_tensors.Image
    finally:
        _compat.uninstall()
