"""Regressions from a differential hunt of data-pipeline and vision scripts (ember vs
PyTorch 2.13 / torchvision 0.29.1).

torchvision is not installed in the test environment: where the behaviour is
torchvision's, the expected values were produced by torchvision 0.29.1 (with Pillow
13.0.0, the same Pillow as here) and are written out below.
"""
import numpy as np
import pytest

import ember
from ember.vision import io as vio
from ember.vision.transforms import functional as VF
from ember.vision.utils import draw_bounding_boxes, draw_keypoints, draw_segmentation_masks

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")

# torchvision 0.29's image io warns that it is deprecated on every call (as ember's does)
pytestmark = pytest.mark.filterwarnings("ignore:The image decoding:DeprecationWarning")


# --- torchvision.io --------------------------------------------------------------------------

@pytest.fixture
def colour_png(tmp_path):
    rng = np.random.RandomState(5)
    a = rng.randint(0, 256, (4, 6, 3), dtype=np.uint8)
    a[0, :2] = 77  # grey pixels pass through libpng's conversion unchanged
    Image.fromarray(a).save(tmp_path / "c.png")
    b = rng.randint(0, 256, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(b).save(tmp_path / "c.jpg", quality=90)
    return tmp_path


def test_read_image_gray_png_uses_libpng_weights(colour_png):
    # torchvision 0.29.1: libpng's rgb_to_gray (0.2989, 0.587), not Pillow's convert("L")
    grey = vio.read_image(str(colour_png / "c.png"), vio.ImageReadMode.GRAY)
    assert grey.shape == (1, 4, 6) and grey.dtype == ember.uint8
    assert grey[0].tolist() == [[77, 77, 45, 185, 215, 214], [114, 93, 60, 139, 203, 58],
                                [173, 149, 159, 136, 128, 147], [121, 125, 124, 44, 142, 159]]
    pil_grey = np.array(Image.open(colour_png / "c.png").convert("L"))
    assert (pil_grey != grey[0].numpy()).any()  # the difference this guards against
    ga = vio.read_image(str(colour_png / "c.png"), vio.ImageReadMode.GRAY_ALPHA)
    assert ga[:, 0].tolist() == [[77, 77, 45, 185, 215, 214], [255] * 6]


def test_read_image_gray_jpeg_is_luma_plane(colour_png):
    # torchvision 0.29.1 (libjpeg's grayscale output)
    grey = vio.read_image(str(colour_png / "c.jpg"), vio.ImageReadMode.GRAY)
    assert grey[0, :2].tolist() == [[121, 92, 214, 142, 220, 105, 116, 217],
                                    [135, 158, 63, 151, 178, 183, 156, 134]]
    rgb = vio.read_image(str(colour_png / "c.jpg"), vio.ImageReadMode.RGB)
    pil_rgb = np.array(Image.open(colour_png / "c.jpg"))
    assert np.array_equal(rgb.numpy().transpose(1, 2, 0), pil_rgb)
    with pytest.raises(RuntimeError, match="The provided mode is not supported for JPEG files"):
        vio.read_image(str(colour_png / "c.jpg"), vio.ImageReadMode.RGB_ALPHA)


def test_read_image_palette_and_16_bit_png(tmp_path):
    rng = np.random.RandomState(1)
    pal = Image.fromarray(rng.randint(0, 256, (3, 4), dtype=np.uint8)).convert("P")
    pal.save(tmp_path / "p.png")
    x = vio.read_image(str(tmp_path / "p.png"))  # torchvision: the 8-bit palette indices
    assert x.shape == (1, 3, 4) and x[0].tolist() == np.array(pal).tolist()
    g16 = rng.randint(0, 65536, (2, 3)).astype(np.uint16)
    Image.fromarray(g16).save(tmp_path / "g.png")
    x = vio.read_image(str(tmp_path / "g.png"))
    assert x.dtype == ember.uint16 and x[0].tolist() == g16.tolist()
    x = vio.read_image(str(tmp_path / "g.png"), vio.ImageReadMode.RGB_ALPHA)
    assert x.dtype == ember.uint16 and x[:, 0, 0].tolist() == [int(g16[0, 0])] * 3 + [65535]


def test_read_image_missing_file_is_runtime_error(tmp_path):
    with pytest.raises(RuntimeError, match="No such file or directory"):
        vio.read_image(str(tmp_path / "nope.png"))


def test_encode_decode_png_jpeg(tmp_path):
    rng = np.random.RandomState(0)
    a = rng.randint(0, 256, (3, 8, 8), dtype=np.uint8)
    x = ember.from_numpy(a)
    png = vio.encode_png(x, compression_level=9)
    assert png.dtype == ember.uint8 and png.dim() == 1
    assert np.array_equal(vio.decode_png(png).numpy(), a)
    vio.write_png(x, str(tmp_path / "w.png"))
    assert np.array_equal(vio.read_image(str(tmp_path / "w.png")).numpy(), a)
    jpg = vio.encode_jpeg(x, quality=80)
    # torchvision 0.29.1 gives the same bytes as Pillow's libjpeg with quality=80
    import io
    buf = io.BytesIO()
    Image.fromarray(a.transpose(1, 2, 0)).save(buf, format="JPEG", quality=80)
    assert jpg.numpy().tobytes() == buf.getvalue()
    dec = vio.decode_jpeg(jpg)
    assert dec.shape == (3, 8, 8) and isinstance(vio.decode_jpeg([jpg, jpg]), list)
    vio.write_jpeg(x, str(tmp_path / "w.jpg"), quality=95)
    assert vio.read_image(str(tmp_path / "w.jpg")).shape == (3, 8, 8)
    assert len(vio.encode_jpeg([x, x[:1]])) == 2


@pytest.mark.parametrize("call, exc, msg", [
    (lambda x: vio.encode_png(x.float()), RuntimeError, "Input tensor dtype should be uint8"),
    (lambda x: vio.encode_png(x[0]), RuntimeError, "Input data should be a 3-dimensional tensor"),
    (lambda x: vio.encode_png(x[:2]), RuntimeError,
     "The number of channels should be 1 or 3, got: 2"),
    (lambda x: vio.encode_png(x, compression_level=10), RuntimeError,
     "Compression level should be between 0 and 9"),
    (lambda x: vio.encode_jpeg(x, quality=0), ValueError,
     "Image quality should be a positive number between 1 and 100"),
    (lambda x: vio.encode_jpeg([]), ValueError, "at least one input tensor"),
    (lambda x: vio.decode_png(vio.encode_jpeg(x)), RuntimeError, "Content is not png!"),
    (lambda x: vio.decode_jpeg(vio.encode_png(x)), RuntimeError,
     "Not a JPEG file: starts with 0x89 0x50"),
    (lambda x: vio.decode_image(ember.zeros(3, dtype=ember.uint8)), RuntimeError,
     "Unsupported image file"),
])
def test_io_errors(call, exc, msg):
    # torchvision 0.29.1's exception types and messages (without its C++ file:line prefix)
    with pytest.raises(exc, match=msg):
        call(ember.zeros(3, 4, 4, dtype=ember.uint8))


# --- torchvision.utils drawing ---------------------------------------------------------------

def _canvas():
    img = ember.zeros(3, 20, 24, dtype=ember.uint8)
    img[1] = 80
    return img, ember.tensor([[2, 3, 12, 15], [5, 1, 22, 18.7]])


def test_draw_bounding_boxes_matches_torchvision():
    img, boxes = _canvas()
    # values from torchvision 0.29.1 with Pillow 13.0.0
    out = draw_bounding_boxes(img, boxes, colors=["red", (0, 0, 255)], width=2)
    assert out.dtype == ember.uint8 and out.shape == (3, 20, 24)
    assert out.sum().item() == 73400
    assert out[:, 3, :5].tolist() == [[0, 0, 255, 255, 255], [80, 80, 0, 0, 0], [0, 0, 0, 0, 0]]
    assert draw_bounding_boxes(img, boxes, labels=["a", "b"], fill=True).sum().item() == 47857
    assert draw_bounding_boxes(img[:1], boxes).sum().item() == 10812
    flt = draw_bounding_boxes(img.float() / 255, boxes)
    assert flt.dtype == ember.float32
    with pytest.raises(ValueError, match=r"\(xmin, ymin, xmax, ymax\) format"):
        draw_bounding_boxes(img, ember.tensor([[5.0, 5, 2, 2]]))
    with pytest.raises(ValueError, match=r"Number of boxes \(2\) and labels \(1\) mismatch"):
        draw_bounding_boxes(img, boxes, labels=["a"])
    with pytest.raises(ValueError, match="Only grayscale and RGB images are supported"):
        draw_bounding_boxes(img[:2], boxes)
    with pytest.warns(UserWarning, match="No box was drawn"):
        assert draw_bounding_boxes(img, ember.zeros(0, 4)) is img


def test_draw_keypoints_matches_torchvision():
    img, _ = _canvas()
    kp = ember.tensor([[[5.0, 5], [15, 12]]])
    out = draw_keypoints(img, kp, connectivity=[(0, 1)], colors="red")
    assert out.sum().item() == 72390  # torchvision 0.29.1
    with pytest.raises(ValueError, match=r"keypoints must be of shape \(num_instances, K, 2\)"):
        draw_keypoints(img, kp[0])


@pytest.mark.parametrize("floating", [False, True])
def test_draw_segmentation_masks_blend_as_torch(floating):
    rng = np.random.RandomState(3)
    a = rng.randint(0, 256, (3, 10, 12), dtype=np.uint8)
    masks = rng.rand(3, 10, 12) > 0.6
    e_img = ember.from_numpy(a.copy())
    t_img = torch.from_numpy(a.copy())
    if floating:
        e_img, t_img = e_img.float() / 255, t_img.float() / 255
    out = draw_segmentation_masks(e_img, ember.from_numpy(masks), alpha=0.6,
                                  colors=["blue", "#00ff00", (10, 20, 30)])
    # torchvision's rule, in torch: paint each mask, black where masks overlap, then blend
    colours = [(0, 0, 255), (0, 255, 0), (10, 20, 30)]
    painted = t_img.clone()
    tm = torch.from_numpy(masks)
    for m, c in zip(tm, colours):
        c = torch.tensor([v / 255 for v in c] if floating else c, dtype=t_img.dtype)
        painted[:, m] = c[:, None]
    painted[:, tm.sum(0) > 1] = 0
    expected = (t_img * (1 - 0.6) + painted * 0.6).to(t_img.dtype)
    assert out.dtype == e_img.dtype
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    with pytest.raises(ValueError, match="The masks must be of dtype bool"):
        draw_segmentation_masks(e_img, ember.from_numpy(masks).float())


# --- transforms.functional.to_pil_image ------------------------------------------------------

def test_to_pil_image_mode_checks():
    x3 = ember.tensor([[[10]], [[20]], [[30]]], dtype=ember.uint8)
    # torchvision 0.29.1 reads the bytes as the given mode, without converting colours
    assert np.asarray(VF.to_pil_image(x3, "YCbCr")).tolist() == [[[10, 20, 30]]]
    with pytest.raises(ValueError, match=r"Only modes \['RGB', 'YCbCr', 'HSV'\] are supported "
                                         r"for 3D inputs"):
        VF.to_pil_image(x3, "L")
    with pytest.raises(ValueError, match=r"Only modes \['RGBA', 'CMYK', 'RGBX'\] are supported "
                                         r"for 4D inputs"):
        VF.to_pil_image(ember.zeros(4, 2, 2, dtype=ember.uint8), "RGB")
    with pytest.raises(ValueError, match=r"Only modes \['LA'\] are supported for 2D inputs"):
        VF.to_pil_image(ember.zeros(2, 2, 2, dtype=ember.uint8), "L")
    # NOTE: torchvision's message names numpy's dtype class
    with pytest.raises(ValueError, match=r"Incorrect mode \(RGB\) supplied for input type "
                                         r"<class 'numpy.dtype'>. Should be L"):
        VF.to_pil_image(ember.zeros(1, 2, 2), "RGB")
    with pytest.raises(ValueError, match="Should be None"):
        VF.to_pil_image(ember.zeros(1, 2, 2, dtype=ember.int64), "L")
    with pytest.raises(TypeError, match="Input type int64 is not supported"):
        VF.to_pil_image(ember.zeros(1, 2, 2, dtype=ember.int64))
    im = VF.to_pil_image(ember.full((1, 2, 2), 300, dtype=ember.int16))
    assert im.mode == "I;16" and np.asarray(im).tolist() == [[300, 300], [300, 300]]


# --- tv_tensors ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["float", "long", "cpu", "contiguous", "double", "cfloat"])
def test_tv_tensor_noop_conversions_return_plain_tensor(name):
    from ember.vision import tv_tensors

    # torchvision 0.29.1: only clone/to/detach/requires_grad_/pin_memory keep the subclass,
    # even when the conversion has nothing to do (float() of a float32 Image)
    img = tv_tensors.Image(ember.zeros(3, 2, 2))
    boxes = tv_tensors.BoundingBoxes([[1, 2, 3, 4]], format="XYXY", canvas_size=(5, 5))
    for t in (img, boxes):
        out = getattr(t, name)()
        assert type(out) is ember.Tensor
    assert type(img.clone()) is tv_tensors.Image
    assert type(boxes.to(ember.float32)) is tv_tensors.BoundingBoxes
    assert boxes.to(ember.float32).canvas_size == (5, 5)


def test_v2_convert_and_clamp_bounding_boxes():
    from ember.vision import tv_tensors
    from ember.vision.transforms import v2

    img = tv_tensors.Image(ember.zeros(3, 20, 30, dtype=ember.uint8))
    boxes = tv_tensors.BoundingBoxes([[5, 5, 10, 8], [25, 15, 10, 10]], format="XYWH",
                                     canvas_size=(20, 30))
    tf = v2.Compose([v2.ConvertBoundingBoxFormat("XYXY"), v2.ClampBoundingBoxes()])
    # torchvision 0.29.1's repr and values
    assert repr(tf) == ("Compose(\n      ConvertBoundingBoxFormat(format=XYXY)\n"
                        "      ClampBoundingBoxes(clamping_mode=auto)\n)")
    out_img, out_boxes = tf(img, boxes)
    assert out_img is img and type(out_boxes) is tv_tensors.BoundingBoxes
    assert out_boxes.format == tv_tensors.BoundingBoxFormat.XYXY
    assert out_boxes.tolist() == [[5, 5, 15, 13], [25, 15, 30, 20]]
    hard = v2.ClampBoundingBoxes("hard")(
        tv_tensors.BoundingBoxes([[-5, -5, 40, 40.0]], format="XYXY", canvas_size=(20, 30)))
    assert hard.tolist() == [[0.0, 0.0, 30.0, 20.0]]


def test_v2_gaussian_noise_draws_as_torch():
    from ember.vision.transforms import v2

    a = np.random.RandomState(2).randint(0, 256, (3, 6, 7), dtype=np.uint8)
    # float: torchvision 0.29.1 adds mean + randn_like(image) * sigma, then clamps to [0, 1]
    torch.manual_seed(1)
    timg = torch.from_numpy(a).float() / 255
    expected = torch.clamp(timg + (0.0 + torch.randn_like(timg) * 0.2), 0, 1)
    ember.manual_seed(1)
    out = v2.GaussianNoise(sigma=0.2)(ember.from_numpy(a).float() / 255)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    # uint8: float32 noise scaled by 255, truncated to int16, added, clamped
    torch.manual_seed(3)
    noise = (0.1 * 255 + torch.randn_like(torch.from_numpy(a), dtype=torch.float32) * (0.3 * 255))
    expected = torch.clamp(torch.from_numpy(a) + noise.to(torch.int16), 0, 255).to(torch.uint8)
    ember.manual_seed(3)
    out = v2.functional.gaussian_noise(ember.from_numpy(a), mean=0.1, sigma=0.3)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert repr(v2.GaussianNoise()) == "GaussianNoise(mean=0.0, sigma=0.1, clip=True)"
    with pytest.raises(ValueError, match="sigma shouldn't be negative"):
        v2.functional.gaussian_noise(ember.zeros(3, 2, 2), sigma=-1)
    with pytest.raises(ValueError, match="uint8 or float dtype"):
        v2.functional.gaussian_noise(ember.zeros(3, 2, 2, dtype=ember.int32))


def test_v2_jpeg_roundtrip_and_quality_draw():
    import io

    from ember.vision.transforms import v2

    a = np.random.RandomState(4).randint(0, 256, (3, 16, 20), dtype=np.uint8)
    torch.manual_seed(2)
    qualities = [torch.randint(10, 91, ()).item() for _ in range(2)]
    ember.manual_seed(2)
    tf = v2.JPEG((10, 90))
    for q in qualities:
        out = tf(ember.from_numpy(a))
        buf = io.BytesIO()
        Image.fromarray(a.transpose(1, 2, 0)).save(buf, format="JPEG", quality=q)
        expected = np.array(Image.open(buf)).transpose(2, 0, 1)
        np.testing.assert_array_equal(out.numpy(), expected)
    assert repr(v2.JPEG(50)) == "JPEG(quality=[50, 50])"
    with pytest.raises(ValueError, match="quality must be an integer from 1 to 100"):
        v2.JPEG([50, 20])
    with pytest.raises(TypeError, match="quality can't be bool"):
        v2.JPEG(True)


def test_v2_random_resize_family_sizes_follow_torch_draws():
    from ember.vision.transforms import v2

    img = ember.zeros(3, 37, 53, dtype=ember.uint8)
    h, w = 37, 53
    # torchvision 0.29.1's size rules, with the random numbers taken from torch
    torch.manual_seed(4)
    scale = 0.1 + torch.rand(1) * (2.0 - 0.1)
    r = min(48 / h, 64 / w) * scale
    expected = (int(h * r), int(w * r))
    ember.manual_seed(4)
    assert tuple(v2.ScaleJitter((64, 48))(img).shape[-2:]) == expected
    torch.manual_seed(5)
    short = [16, 24, 32][int(torch.randint(3, ()))]
    ratio = min(short / h, 25 / w)
    ember.manual_seed(5)
    out = v2.RandomShortestSize([16, 24, 32], max_size=25)(img)
    assert tuple(out.shape[-2:]) == (int(h * ratio), int(w * ratio))
    torch.manual_seed(6)
    size = int(torch.randint(10, 40, ()))
    ember.manual_seed(6)
    assert min(v2.RandomResize(10, 40)(img).shape[-2:]) == size
    assert repr(v2.RandomShortestSize(20)) == ("RandomShortestSize(min_size=[20], "
                                               "interpolation=bilinear, antialias=True)")


# --- bilinear resizing of small outputs (transforms.Resize on tensors goes through it) ----------

@pytest.mark.parametrize("channels", [1, 3, 8, 11, 16, 19])
@pytest.mark.parametrize("shape_in, size, align", [
    ((27, 6), (26, 10), False), ((8, 8), (5, 5), True), ((32, 32), (20, 100), False),
    ((8, 8), (12, 8), False), ((30, 40), (64, 64), True)])
def test_bilinear_small_outputs_bit_exact(channels, shape_in, size, align):
    import ember.nn.functional as EF

    x = np.random.default_rng(channels).standard_normal((2, channels) + shape_in)
    x = x.astype(np.float32)
    expected = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode="bilinear",
                                               align_corners=align).numpy()
    out = EF.interpolate(ember.from_numpy(x), size=size, mode="bilinear", align_corners=align)
    np.testing.assert_array_equal(out.numpy(), expected)


def test_uint8_tensor_resize_without_antialias_matches_torch_rounding():
    from ember.vision.transforms import functional as VF1

    a = np.random.RandomState(3).randint(0, 256, (3, 27, 6), dtype=np.uint8)
    # torchvision 0.29.1: float32 bilinear interpolate, then round, then uint8
    t = torch.nn.functional.interpolate(torch.from_numpy(a)[None].float(), size=[26, 10],
                                        mode="bilinear", align_corners=False)
    expected = torch.round(t[0]).to(torch.uint8).numpy()
    out = VF1.resize(ember.from_numpy(a), [26, 10], antialias=False)
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("size", [[26, 10], [9, 3], [40, 12]])
def test_uint8_tensor_resize_antialias_matches_torch_rounding(size):
    from ember.vision.transforms import functional as VF1

    a = np.random.RandomState(0).randint(0, 256, (2, 3, 27, 6), dtype=np.uint8)
    # torchvision 0.29.1: F.interpolate(float32, antialias=True) on the (N, C, H, W) batch,
    # then round; ember used to resize through float64-built matrices (off by one in places)
    t = torch.nn.functional.interpolate(torch.from_numpy(a).float(), size=size,
                                        mode="bilinear", align_corners=False, antialias=True)
    expected = torch.round(t).to(torch.uint8).numpy()
    out = VF1.resize(ember.from_numpy(a), size, antialias=True)
    np.testing.assert_array_equal(out.numpy(), expected)


def test_tensor_resize_to_zero_size_is_runtime_error():
    from ember.vision.transforms import functional as VF1

    # torchvision 0.29.1 lets F.interpolate reject it
    with pytest.raises(RuntimeError, match="Input and output sizes should be greater than 0"):
        VF1.resize(ember.zeros(3, 12, 14, dtype=ember.uint8), [0, 5])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_tensor_resize_antialias_goes_through_float32(dtype):
    from ember.vision.transforms import functional as VF1

    x = np.random.RandomState(1).rand(3, 10, 12).astype(np.float32) * 100
    tx = torch.from_numpy(x).to(getattr(torch, dtype))
    # torchvision 0.29.1 resizes non-float32/64 images in float32 and casts back
    expected = torch.nn.functional.interpolate(tx.float()[None], size=[5, 7], mode="bilinear",
                                               align_corners=False, antialias=True)[0]
    expected = expected.to(getattr(torch, dtype)).float().numpy()
    ex = ember.from_numpy(x).to(getattr(ember, dtype))
    out = VF1.resize(ex, [5, 7], antialias=True)
    assert out.dtype == getattr(ember, dtype)
    np.testing.assert_array_equal(out.float().numpy(), expected)
