"""Differences found by a random fuzzer of torchvision.transforms (v1 and v2) pipelines
against torchvision 0.29.1 + PyTorch 2.13.

torchvision is not installed next to the test's PyTorch: where the behaviour is PyTorch's the
reference is PyTorch itself; torchvision's own results are stored as digests, marked
"torchvision 0.29.1".
"""
from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest

import ember
from diff import measured_cpu
from ember.vision.transforms import functional as F1
from ember.vision.transforms import v2
from ember.vision.transforms.v2 import functional as F2

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")


def _md5(a) -> str:
    return hashlib.md5(np.ascontiguousarray(np.asarray(a)).tobytes()).hexdigest()[:12]


# -- a 1 x C x H x W view of an H x W x C array is not channels-last to PyTorch --------------
# (pil_to_tensor's image, unsqueezed: PyTorch's suggested memory format reads the size-1 N
# dim's stride, so padding, pooling, resizing and convolution give contiguous results; ember
# kept them channels-last and the blur of a PIL image summed in another order)

def _ops(lib):
    F = lib.nn.functional
    return [
        lambda a: F.pad(a, [1, 2, 1, 2], mode="reflect"),
        lambda a: F.pad(a, [1, 2, 1, 2], mode="replicate"),
        lambda a: F.pad(a, [1, 2, 1, 2]),
        lambda a: F.pad(a, [1, 2, 1, 2], mode="circular"),  # (contiguous even channels-last)
        lambda a: F.max_pool2d(a, 2),
        lambda a: F.avg_pool2d(a, 2),
        lambda a: F.interpolate(a, size=(4, 4), mode="bilinear"),
        lambda a: F.interpolate(a, size=(4, 4)),
        lambda a: F.conv2d(a, lib.ones(3, 1, 3, 3), groups=3),
        lambda a: F.relu(a),
        lambda a: a.clone(),
        lambda a: a.flip(-1),
    ]


@pytest.mark.parametrize("i", range(12))
def test_strides_of_a_batch_of_one_hwc_view(i):
    x = np.random.default_rng(i).random((5, 6, 3), dtype=np.float32)
    for make in (lambda lib: lib.from_numpy(x).permute(2, 0, 1)[None],
                 lambda lib: lib.from_numpy(np.stack([x, x])).permute(0, 3, 1, 2)):
        want = _ops(torch)[i](make(torch))
        got = _ops(ember)[i](make(ember))
        assert got.stride() == want.stride()
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_depthwise_blur_of_a_permuted_image_matches_torch():
    # torchvision 0.29.1's v2 blur, written out in PyTorch
    x = np.random.default_rng(0).integers(0, 256, (25, 13, 3)).astype(np.float32)
    s = 0.9625249258307548
    lim = 6 / (2.0 * math.sqrt(2.0))
    outs = []
    for lib in (torch, ember):
        F = lib.nn.functional
        k = lib.softmax(lib.linspace(-lim, lim, steps=7).div(s).pow(2).neg(), dim=0)
        kernel = (k.unsqueeze(-1) * k).expand(3, 1, 7, 7)
        img = lib.from_numpy(x).permute(2, 0, 1).unsqueeze(0)
        out = F.conv2d(F.pad(img, [3, 3, 3, 3], mode="reflect"), kernel, groups=3)
        outs.append((out.stride(), out.numpy()))
    assert outs[0][0] == outs[1][0]
    if measured_cpu():
        np.testing.assert_array_equal(outs[1][1], outs[0][1])
    else:  # (oneDNN's convolution is emulated on the measured processor only)
        np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-5, atol=1e-4)


# torchvision 0.29.1: (mode, v2 blur of the PIL image, v1 blur of it, v2 blur of its float
# tensor) for kernel sizes / sigmas 7 / 0.9625.., 5 / 1.7, (3, 7) / (0.6, 2.2)
_BLUR_TV = [
    ("RGB", "8a9ef2416cb1", "8a9ef2416cb1", "ee1f3f3284d1"),
    ("RGB", "3fb8449530f3", "3fb8449530f3", "190335a71f20"),
    ("RGB", "d490cdfc46ef", "d490cdfc46ef", "d3241e27af82"),
    ("RGBA", "4d671d77d7e8", "4d671d77d7e8", "9618456d56b0"),
    ("RGBA", "59a894f51200", "59a894f51200", "f5712efc9e68"),
    ("RGBA", "5554bd006266", "5554bd006266", "cb1cf0de3da8"),
    ("L", "c3e928c80fa7", "c3e928c80fa7", "4145515b59ae"),
    ("L", "058828e53c43", "058828e53c43", "933730b8c2cf"),
    ("L", "41c70c79d12d", "41c70c79d12d", "a7f9faf4d8e5"),
]


def _torch_blur(x, ks, ss):
    """torchvision 0.29.1's tensor gaussian_blur of a float ``(C, H, W)`` image, in PyTorch."""
    k1 = []
    for k, s in zip(ks, ss):
        half = (k - 1) * 0.5
        pdf = torch.linspace(-half, half, steps=k).div(s).pow(2).mul(-0.5).exp()
        k1.append(pdf / pdf.sum())
    kernel = (k1[1][:, None] * k1[0][None, :]).expand(x.shape[0], 1, ks[1], ks[0])
    y = torch.nn.functional.pad(x[None], [ks[0] // 2] * 2 + [ks[1] // 2] * 2, mode="reflect")
    return torch.nn.functional.conv2d(y, kernel, groups=x.shape[0])[0]


def test_gaussian_blur_of_pil_images_torchvision_bits():
    rng = np.random.default_rng(882)
    got = []
    for mode, nc, h, w in [("RGB", 3, 25, 13), ("RGBA", 4, 11, 33), ("L", 1, 17, 9)]:
        arr = rng.integers(0, 256, (h, w, nc), dtype=np.uint8)
        img = Image.fromarray(arr[..., 0] if nc == 1 else arr, mode)
        for k, s in [(7, 0.9625249258307548), (5, 1.7), ((3, 7), (0.6, 2.2))]:
            ks = [k, k] if isinstance(k, int) else list(k)
            ss = [s, s] if isinstance(s, float) else list(s)
            blur = F2.gaussian_blur(F2.pil_to_tensor(img).float(), ks, ss).numpy()
            got.append((mode, _md5(F2.gaussian_blur(img, ks, ss)),
                        _md5(F1.gaussian_blur(img, ks, ss)), _md5(blur)))
            if not measured_cpu():  # (oneDNN's convolution: emulated there only)
                want = _torch_blur(torch.from_numpy(np.asarray(img, np.float32).reshape(
                    h, w, nc).transpose(2, 0, 1).copy()), ks, ss).numpy()
                np.testing.assert_allclose(blur, want, rtol=1e-5, atol=1e-3)
                got[-1] = got[-1][:3] + (_BLUR_TV[len(got) - 1][3],)
    assert got == _BLUR_TV
    # a seeded pipeline: torchvision 0.29.1
    ember.manual_seed(0)
    arr = rng.integers(0, 256, (21, 30, 3), dtype=np.uint8)
    t = v2.Compose([v2.GaussianBlur(7, (0.1, 2.0)), v2.ToImage(),
                    v2.ToDtype(ember.float32, scale=True)])
    assert _md5(t(Image.fromarray(arr)).numpy()) == "e7932d239c1e"


# -- negative padding: only symmetric padding crops first --------------------------------------
# (torchvision hands the other modes' negative padding to F.pad, which checks the reflection
# sizes against the uncropped image and may reflect further than the cropped one's width)

def _pad_like_torchvision(x, p, mode):
    """torchvision 0.29.1's v1 tensor pad for "reflect"/"edge", written out in PyTorch."""
    lrtb = [p[0], p[2], p[1], p[3]]
    y = x.unsqueeze(0) if x.ndim < 4 else x
    out = torch.nn.functional.pad(y, lrtb, mode="replicate" if mode == "edge" else mode)
    return out.squeeze(0) if x.ndim < 4 else out


@pytest.mark.parametrize("mode", ["reflect", "edge"])
@pytest.mark.parametrize("shape", [(3, 6, 7), (2, 1, 6, 7)])
def test_negative_padding_goes_to_pad(mode, shape):
    x = np.random.default_rng(1).random(shape, dtype=np.float32)
    # [left, top, right, bottom]
    for p in [[-2, 0, 5, 0], [-1, -3, 2, 1], [3, -2, -1, 4], [-7, 0, 1, 0], [0, 6, 0, -2]]:
        try:
            want = _pad_like_torchvision(torch.from_numpy(x), p, mode).numpy()
        except RuntimeError as e:
            want = ("RuntimeError", str(e))
        for F in (F1, F2):
            try:
                got = F.pad(ember.from_numpy(x), p, padding_mode=mode).numpy()
            except RuntimeError as e:
                got = ("RuntimeError", str(e))
            if isinstance(want, tuple):
                assert got == want
            else:
                np.testing.assert_array_equal(got, want)
