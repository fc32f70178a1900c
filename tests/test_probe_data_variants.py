"""Differential probes of the "Datasets & DataLoaders" and "Transforms" tutorials as users vary
them, against PyTorch 2.13 (torchvision 0.29.1 where noted, its outputs kept as literals)."""
from __future__ import annotations

import platform

import numpy as np
import pytest

import ember
import ember.utils.data as edata

torch = pytest.importorskip("torch")
tdata = torch.utils.data

X86 = platform.machine().lower() in ("x86_64", "amd64")


def _outcome(fn):
    try:
        out = fn()
    except Exception as e:  # noqa: BLE001 - the exception is the result
        return type(e).__name__, str(e)
    return "ok", out


# -- default_collate -------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor([1, 2]),
    lambda lib: lib.ones(2, 3),
])
def test_default_collate_of_a_tensor_batch_is_refused_by_stack(make):
    # a Tensor given as the batch: PyTorch's collate_tensor_fn hands it to torch.stack as is
    want = _outcome(lambda: tdata.default_collate(make(torch)))
    got = _outcome(lambda: edata.default_collate(make(ember)))
    assert want[0] == "TypeError"
    assert got == want


def test_default_collate_of_tuple_columns_still_stacks():
    batch = [(np.float32(i), {"a": [i, i + 1]}) for i in range(3)]
    for lib, mod in ((torch, tdata), (ember, edata)):
        rows = [(r[0], {"a": [lib.tensor(v) for v in r[1]["a"]]}) for r in batch]
        out = mod.default_collate(rows)
        assert out[0].tolist() == [0.0, 1.0, 2.0]
        assert [t.tolist() for t in out[1]["a"]] == [[0, 1, 2], [1, 2, 3]]


# -- antialiased resizing, as RandomResizedCrop / Resize on tensors use it --------------------

AA_CASES = [  # (input h, w), output size, mode
    ((25, 32), (20, 20), "bilinear"),
    ((28, 40), (16, 24), "bilinear"),
    ((47, 13), (9, 5), "bilinear"),
    ((40, 33), (3, 5), "bilinear"),
    ((33, 38), (21, 2), "bicubic"),
    ((27, 35), (22, 21), "bicubic"),
    ((9, 35), (17, 21), "bicubic"),
    ((30, 41), (7, 1), "bilinear"),
    ((30, 41), (11, 13), "lanczos"),
]


@pytest.mark.skipif(not X86, reason="bit patterns of PyTorch's x86 kernels")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,size,mode", AA_CASES)
def test_antialiased_float_resize_is_bit_exact(shape, size, mode, dtype):
    # PyTorch sums each output's taps in order, a 16-byte vector at a time with rounded
    # products and the rest with fused multiply-adds; ember used matrix products (off by an
    # ulp in places), and its float64 antialiased bicubic weights were off by an ulp too
    x = np.random.RandomState(sum(shape)).rand(2, 3, *shape).astype(dtype) * 255
    want = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode=mode,
                                           antialias=True).numpy()
    got = ember.nn.functional.interpolate(ember.from_numpy(x), size=size, mode=mode,
                                          antialias=True).numpy()
    np.testing.assert_array_equal(got, want)


@pytest.mark.skipif(not X86, reason="bit patterns of PyTorch's x86 kernels")
def test_antialiased_resize_with_scale_factor_and_non_finite_values():
    x = np.random.RandomState(3).rand(1, 2, 19, 37).astype(np.float32)
    x[0, 0, 3, 5], x[0, 1, 7, 20] = np.inf, np.nan
    for kw in (dict(scale_factor=0.37), dict(scale_factor=(0.5, 0.3), align_corners=True)):
        want = torch.nn.functional.interpolate(torch.from_numpy(x), mode="bilinear",
                                               antialias=True, **kw).numpy()
        got = ember.nn.functional.interpolate(ember.from_numpy(x), mode="bilinear",
                                              antialias=True, **kw).numpy()
        np.testing.assert_array_equal(got, want)


@pytest.mark.skipif(not X86, reason="bit patterns of PyTorch's x86 kernels")
def test_v1_random_resized_crop_on_uint8_and_float_tensors():
    from ember.vision import transforms as ET

    # torchvision 0.29.1: torch.manual_seed(0); img = (torch.rand(3, 32, 40) * 255).uint8;
    # torch.manual_seed(3); T.RandomResizedCrop((16, 24), scale=(0.5, 1.0), ratio=(0.5, 2.0),
    # antialias=True)(img).sum() == 144927 (crop (1, 0, 28, 40), resized in float32, rounded);
    # and T.RandomResizedCrop(20) on a float image, third draw: crop (2, 0, 25, 32)
    ember.manual_seed(0)
    img = (ember.rand(3, 32, 40) * 255).to(ember.uint8)
    img_f = ember.rand(3, 32, 40)
    ember.manual_seed(3)
    tf = ET.RandomResizedCrop((16, 24), scale=(0.5, 1.0), ratio=(0.5, 2.0), antialias=True)
    assert tf(img).sum().item() == 144927
    torch.manual_seed(0)
    torch.rand(3, 32, 40)
    crop = torch.rand(3, 32, 40)[:, 2:27, 0:32]
    want = torch.nn.functional.interpolate(crop[None], size=[20, 20], mode="bilinear",
                                           antialias=True)[0].numpy()
    ember.manual_seed(3)
    tf = ET.RandomResizedCrop(20)
    outs = [tf(img_f) for _ in range(3)]
    np.testing.assert_array_equal(outs[2].numpy(), want)


# -- class names of the v2 transforms under ``ember run`` ------------------------------------

def test_v2_transform_class_names_under_ember_run():
    import pickle
    import sys

    from ember import _compat
    from ember.vision.transforms import v2

    pipe = v2.Compose([v2.RandomResizedCrop(8), v2.ElasticTransform(), v2.ColorJitter(0.1),
                       v2.ToDtype(ember.float32, scale=True), v2.RandomErasing()])
    _compat.install()
    try:
        # torchvision 0.29.1
        names = {c: f"{c.__module__}.{c.__qualname__}" for c in (
            v2.RandomRotation, v2.ElasticTransform, v2.Compose, v2.ColorJitter, v2.RandomErasing,
            v2.MixUp, v2.ToImage, v2.Normalize, v2.AutoAugment, v2.Transform, v2.ToTensor,
            v2.ConvertBoundingBoxFormat)}
        assert list(names.values()) == [
            "torchvision.transforms.v2._geometry.RandomRotation",
            "torchvision.transforms.v2._geometry.ElasticTransform",
            "torchvision.transforms.v2._container.Compose",
            "torchvision.transforms.v2._color.ColorJitter",
            "torchvision.transforms.v2._augment.RandomErasing",
            "torchvision.transforms.v2._augment.MixUp",
            "torchvision.transforms.v2._type_conversion.ToImage",
            "torchvision.transforms.v2._misc.Normalize",
            "torchvision.transforms.v2._auto_augment.AutoAugment",
            "torchvision.transforms.v2._transform.Transform",
            "torchvision.transforms.v2._deprecated.ToTensor",
            "torchvision.transforms.v2._meta.ConvertBoundingBoxFormat"]
        back = pickle.loads(pickle.dumps(pipe))
        assert [type(t) for t in back.transforms] == [type(t) for t in pipe.transforms]
    finally:
        _compat.uninstall()
    assert v2.Compose.__module__ == "ember.vision.transforms.v2._misc"
    assert v2.ElasticTransform.__module__ == "ember.vision.transforms.v2._warp_more"
    assert "torchvision.transforms.v2._geometry" not in sys.modules


# -- rotate / affine / perspective with a fill: torchvision fills a view in place -------------

@pytest.mark.parametrize("shape,dtype,mode,v1_stride,v2_stride", [
    # torchvision 0.29.1, F.rotate(x, 20, interpolation=mode, fill=...).stride()
    ((2, 3, 8, 9), "float32", "nearest", (288, 72, 9, 1), (216, 72, 9, 1)),
    ((2, 3, 8, 9), "float64", "bilinear", (216, 72, 9, 1), (288, 72, 9, 1)),
    ((1, 3, 8, 9), "float32", "nearest", (288, 72, 9, 1), (216, 72, 9, 1)),
    ((1, 3, 8, 9), "float32", "bilinear", (216, 72, 9, 1), (216, 72, 9, 1)),
    ((3, 8, 9), "float32", "nearest", (72, 9, 1), (72, 9, 1)),
    ((2, 3, 8, 9), "uint8", "nearest", (216, 72, 9, 1), (216, 72, 9, 1)),
    ((2, 3, 8, 9), "float16", "nearest", (288, 72, 9, 1), (216, 72, 9, 1)),
])
def test_warps_with_a_fill_return_torchvisions_strides(shape, dtype, mode, v1_stride, v2_stride):
    from ember.vision.transforms import functional as VF1
    from ember.vision.transforms.v2 import functional as VF2

    x = ember.from_numpy((np.random.RandomState(0).rand(*shape) * 200).astype(dtype))
    im = VF1.InterpolationMode(mode)
    plain = VF1.rotate(x, 20, interpolation=im, fill=[5.0] * shape[-3]).contiguous()
    out = VF1.rotate(x, 20, interpolation=im, fill=[5.0] * shape[-3])
    assert out.stride() == v1_stride
    assert ember.equal(out, plain)
    out = VF1.affine(x, 10, [1, 1], 1.0, [0.0], interpolation=im, fill=3)
    assert out.stride() == v1_stride
    if len(shape) == 4:
        assert VF2.rotate(x, 20, interpolation=im, fill=5.0).stride() == v2_stride
        assert VF2.perspective(x, [[0, 0], [8, 0], [8, 7], [0, 7]],
                               [[1, 0], [8, 1], [7, 7], [0, 6]], interpolation=im,
                               fill=3).stride() == v2_stride
