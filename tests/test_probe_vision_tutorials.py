"""Differences found by running PyTorch's vision/generative tutorials end to end under ember
and under torch 2.13 + torchvision 0.29.1 (Training a Classifier, Transfer Learning, DCGAN,
Spatial Transformer, FGSM, detection finetuning, Neural Transfer, VAE, torchvision.utils and
torchvision.io).

torchvision is not installed in the test environment: where the behaviour is torchvision's
Python code, the expected values below were read from torchvision 0.29.1 (its source, or a
run of it) and are written out inline.
"""
import warnings

import numpy as np
import pytest

import ember
from ember.vision import io as vio
from ember.vision.utils import make_grid

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")

_DEPRECATED = "The image decoding and encoding capabilities of TorchVision are deprecated"


# --- torchvision.utils.make_grid ------------------------------------------------------------

@pytest.mark.parametrize("bad, msg", [
    ([1, 2], "tensor or list of tensors expected, got a list containing <class 'int'>"),
    ([ember.zeros(3, 2, 2), "x"],
     "tensor or list of tensors expected, got a list containing <class 'str'>"),
    ((ember.zeros(3, 2, 2),), "tensor or list of tensors expected, got <class 'tuple'>"),
    (np.zeros((3, 2, 2)), "tensor or list of tensors expected, got <class 'numpy.ndarray'>"),
])
def test_make_grid_type_errors(bad, msg):
    # torchvision 0.29.1 names the first non-tensor element of a list
    with pytest.raises(TypeError) as e:
        make_grid(bad)
    assert str(e.value) == msg


def test_make_grid_list_still_tiles():
    imgs = [ember.full((3, 4, 5), float(k)) for k in range(3)]
    got = make_grid(imgs, nrow=2, padding=1)
    want = torch.zeros(3, 11, 13)
    for k in range(3):
        r, c = divmod(k, 2)
        want[:, 1 + r * 5:5 + r * 5, 1 + c * 6:6 + c * 6] = float(k)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# --- torchvision.io (0.29: deprecated, and the writers return the bytes) ---------------------

@pytest.fixture
def pixels():
    rng = np.random.default_rng(0)
    return ember.from_numpy(rng.integers(0, 256, (3, 6, 7), dtype=np.uint8))


@pytest.mark.filterwarnings("ignore:The image decoding:DeprecationWarning")
def test_writers_return_the_encoded_bytes(tmp_path, pixels):
    # torchvision 0.29.1: write_file returns its data as-is; write_png / write_jpeg return
    # what they wrote (torch.ops.image.write_file's schema: "-> Tensor")
    out = vio.write_png(pixels, str(tmp_path / "a.png"))
    assert isinstance(out, ember.Tensor) and out.dtype == ember.uint8 and out.dim() == 1
    assert bytes(out.numpy()) == (tmp_path / "a.png").read_bytes()
    np.testing.assert_array_equal(vio.read_image(str(tmp_path / "a.png")).numpy(),
                                  pixels.numpy())
    out = vio.write_jpeg(pixels, str(tmp_path / "a.jpg"), quality=90)
    assert bytes(out.numpy()) == (tmp_path / "a.jpg").read_bytes()
    data = vio.read_file(str(tmp_path / "a.png"))
    assert vio.write_file(str(tmp_path / "b.png"), data) is data
    assert (tmp_path / "b.png").read_bytes() == (tmp_path / "a.png").read_bytes()


@pytest.mark.filterwarnings("ignore:The image decoding:DeprecationWarning")
def test_read_mode_rgba_alias(tmp_path, pixels):
    M = vio.ImageReadMode
    assert M.RGBA is M.RGB_ALPHA and M["RGBA"] is M.RGB_ALPHA
    assert [m.name for m in M] == ["UNCHANGED", "GRAY", "GRAY_ALPHA", "RGB", "RGB_ALPHA"]
    vio.write_png(pixels, str(tmp_path / "a.png"))
    x = vio.read_image(str(tmp_path / "a.png"), M.RGBA)
    assert x.shape == (4, 6, 7) and (x[3] == 255).all()
    assert vio.decode_image(str(tmp_path / "a.png"), mode="rgba").shape == (4, 6, 7)


@pytest.mark.parametrize("call", [
    lambda p, x: vio.encode_png(x),
    lambda p, x: vio.write_png(x, p),
    lambda p, x: vio.encode_jpeg(x),
    lambda p, x: vio.read_file(vio.write_png(x, p) is not None and p),
    lambda p, x: vio.decode_png(vio.encode_png(x)),
    lambda p, x: vio.decode_jpeg(vio.encode_jpeg(x)),
    lambda p, x: vio.decode_image(vio.encode_png(x)),
    lambda p, x: vio.read_image(vio.write_png(x, p) is not None and p),
])
def test_io_warns_deprecated(tmp_path, pixels, call):
    # torchvision 0.29.1: warnings.warn(_DEPRECATION_MSG, DeprecationWarning) in every io call
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        call(str(tmp_path / "a.png"), pixels)
    msgs = [x for x in w if issubclass(x.category, DeprecationWarning)]
    assert msgs and all(str(x.message).startswith(_DEPRECATED) for x in msgs)
    assert "torchcodec/0.16/generated_examples/migration/torchvision_migration.html on how" in \
        str(msgs[0].message)


# --- torchvision.models: the weights' meta and the pre-0.13 ``pretrained=`` interface --------

def test_weights_meta_keys_as_torchvision():
    from ember.vision.models import ResNet18_Weights, VGG16_Weights

    # torchvision 0.29.1: sorted(ResNet18_Weights.DEFAULT.meta) (no ember-only keys)
    want = ['_docs', '_file_size', '_metrics', '_ops', 'categories', 'min_size', 'num_params',
            'recipe']
    assert sorted(ResNet18_Weights.DEFAULT.meta) == want
    assert sorted(VGG16_Weights.IMAGENET1K_FEATURES.meta) == want
    assert VGG16_Weights.IMAGENET1K_FEATURES.meta["categories"] is None


def _legacy(builder, **kw):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            out = type(builder(**kw)).__name__
        except (TypeError, ValueError) as e:
            out = f"{type(e).__name__}: {e}"
    return out, [str(x.message)[:40] for x in w]


_PRE = "The parameter 'pretrained' is deprecated"
_ARG = "Arguments other than a weight enum or `N"


@pytest.mark.parametrize("name, kw, want", [
    # torchvision 0.29.1: new-style weights win and ``pretrained`` reaches the model
    ("resnet18", dict(weights=None, pretrained=False),
     ("TypeError: ResNet.__init__() got an unexpected keyword argument 'pretrained'", [])),
    ("alexnet", dict(weights=None, pretrained=True, num_classes=3),
     ("TypeError: AlexNet.__init__() got an unexpected keyword argument 'pretrained'", [])),
    ("squeezenet1_1", dict(pretrained=False), ("SqueezeNet", [_PRE, _ARG])),
    ("squeezenet1_1", dict(weights=False), ("SqueezeNet", [_ARG])),
    ("squeezenet1_0", dict(pretrained=False, num_classes=4), ("SqueezeNet", [_PRE, _ARG])),
    ("vit_h_14", dict(pretrained=True),
     ("ValueError: No weights available for model vit_h_14", [])),
    ("regnet_y_128gf", dict(pretrained=True),
     ("ValueError: No weights available for model regnet_y_128gf", [])),
])
def test_legacy_pretrained_interface(name, kw, want):
    from ember.vision import models

    assert _legacy(getattr(models, name), **kw) == want


# --- Neural Transfer: torch.set_default_device(device), then torch.tensor(a_tensor) twice --------

def _copy_warnings(T, default):
    mean, std = T.tensor([0.485, 0.456, 0.406]), T.tensor([0.229, 0.224, 0.225])
    if default:
        T.set_default_device("cpu")
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("default")
            T.tensor(mean).view(-1, 1, 1)
            T.tensor(std).view(-1, 1, 1)
    finally:
        T.set_default_device(None)
    return [str(x.message)[:33] for x in w]


@pytest.mark.parametrize("default", [False, True])
def test_copy_construct_warning_count_with_default_device(default):
    # PyTorch: with a default device the factories run through torch/utils/_device.py, and
    # the warning shows there, once; without one it shows at each user line
    assert _copy_warnings(ember, default) == _copy_warnings(torch, default)
    assert len(_copy_warnings(ember, default)) == (1 if default else 2)
