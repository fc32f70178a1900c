"""ember.vision against torchvision's documented behaviour.

torchvision itself cannot be installed next to the test PyTorch, so the
references here are NumPy re-statements of what torchvision does, PyTorch ops
where torchvision calls them (interpolate, the random draws), and PyTorch
models built in the test with torchvision's structure.  Nothing touches the
network: downloads go to a local HTTP server on 127.0.0.1.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember
from ember.vision import datasets, models, transforms
from ember.vision.datasets import mnist as mnist_mod
from ember.vision.datasets.mnist import read_image_file, read_label_file
from ember.vision.datasets.mnist import read_sn3_pascalvincent_tensor as read_idx
from ember.vision.transforms import functional as F
from localserver import LocalServer

torch = pytest.importorskip("torch")
try:
    from PIL import Image
except ImportError:  # pragma: no cover - Pillow is in the test extra
    Image = None
needs_pil = pytest.mark.skipif(Image is None, reason="Pillow is not installed")

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]


# -- IDX files, written here independently of the reader ----------------------------------------

IDX_CODES = {np.uint8: 8, np.int8: 9, np.int16: 11, np.int32: 12, np.float32: 13, np.float64: 14}


def idx_bytes(arr: np.ndarray) -> bytes:
    header = bytes([0, 0, IDX_CODES[arr.dtype.type], arr.ndim])
    header += b"".join(struct.pack(">I", d) for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_idx(path, arr, gz: bool) -> str:
    data = idx_bytes(arr)
    if gz:
        path += ".gz"
        data = gzip.compress(data, mtime=0)
    with open(path, "wb") as f:
        f.write(data)
    return path


def fake_split(rng, n):
    return (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n, dtype=np.uint8))


def fake_files(rng, n_train=6, n_test=4):
    """The four files' contents, name -> array."""
    (xtr, ytr), (xte, yte) = fake_split(rng, n_train), fake_split(rng, n_test)
    return dict(zip(FILES, [xtr, ytr, xte, yte]))


def populate(folder, arrays, gz):
    os.makedirs(folder, exist_ok=True)
    for name, arr in arrays.items():
        write_idx(os.path.join(folder, name), arr, gz)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", list(IDX_CODES))
def test_read_idx_every_type(tmp_path, rng, dtype, gz):
    for shape in [(5,), (3, 4), (2, 3, 4)]:
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            arr = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        else:
            arr = rng.standard_normal(shape).astype(dtype)
        path = write_idx(str(tmp_path / f"f{len(shape)}"), arr, gz)
        t = read_idx(path)
        assert str(t.dtype) == "torch." + {np.uint8: "uint8", np.int8: "int8",
                                           np.int16: "int16", np.int32: "int32",
                                           np.float32: "float32", np.float64: "float64"}[dtype]
        assert tuple(t.shape) == shape
        np.testing.assert_array_equal(t.numpy(), arr)


def test_read_idx_rejects_bad_files(tmp_path, rng):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x12\x34\x08\x01" + struct.pack(">I", 3) + b"abc")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(str(bad))
    short = tmp_path / "short"
    short.write_bytes(idx_bytes(np.zeros((2, 3), np.uint8))[:-1])
    with pytest.raises(ValueError, match=r"announces shape \(2, 3\)"):
        read_idx(str(short))
    labels = write_idx(str(tmp_path / "lab"), np.zeros((2, 2), np.uint8), gz=False)
    with pytest.raises(ValueError, match="x should have 1 dimension instead of 2"):
        read_label_file(labels)
    with pytest.raises(TypeError, match="dtype torch.uint8 instead of torch.int32"):
        read_image_file(write_idx(str(tmp_path / "i32"), np.zeros((1, 2, 2), np.int32), False))


# -- datasets ---------------------------------------------------------------------------------

CLASSES = {
    "MNIST": ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
              "7 - seven", "8 - eight", "9 - nine"],
    "FashionMNIST": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                     "Sneaker", "Bag", "Ankle boot"],
    "KMNIST": ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
}


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST", "KMNIST"])
def test_dataset_attributes(tmp_path, rng, name, gz):
    arrays = fake_files(rng)
    root = str(tmp_path)
    populate(os.path.join(root, name, "raw"), arrays, gz)
    cls = getattr(datasets, name)
    for train, split, n in [(True, "train", 6), (False, "t10k", 4)]:
        ds = cls(root, train=train)
        assert ds.root == root and ds.train is train
        assert ds.raw_folder == os.path.join(root, name, "raw")
        assert ds.classes == CLASSES[name]
        assert ds.class_to_idx == {c: i for i, c in enumerate(CLASSES[name])}
        assert len(ds) == n
        assert ds.data.dtype is ember.uint8 and tuple(ds.data.shape) == (n, 28, 28)
        assert ds.targets.dtype is ember.int64 and tuple(ds.targets.shape) == (n,)
        np.testing.assert_array_equal(ds.data.numpy(), arrays[f"{split}-images-idx3-ubyte"])
        np.testing.assert_array_equal(ds.targets.numpy(), arrays[f"{split}-labels-idx1-ubyte"])
        if Image is not None:
            img, target = ds[1]
            assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
            assert type(target) is int and target == arrays[f"{split}-labels-idx1-ubyte"][1]
            np.testing.assert_array_equal(np.asarray(img), arrays[f"{split}-images-idx3-ubyte"][1])


def test_dataset_transforms_and_repr(tmp_path, rng):
    arrays = fake_files(rng)
    populate(str(tmp_path / "FashionMNIST" / "raw"), arrays, gz=True)
    ds = datasets.FashionMNIST(str(tmp_path), train=False)
    assert repr(ds) == ("Dataset FashionMNIST\n    Number of datapoints: 4\n"
                        f"    Root location: {tmp_path}\n    Split: Test")
    ds = datasets.FashionMNIST(str(tmp_path), transform=transforms.ToTensor(),
                               target_transform=transforms.Lambda(lambda y: y + 100))
    assert repr(ds) == ("Dataset FashionMNIST\n    Number of datapoints: 6\n"
                        f"    Root location: {tmp_path}\n    Split: Train\n"
                        "    StandardTransform\nTransform: ToTensor()\n"
                        "Target transform: Lambda()")
    img, target = ds[2]
    assert target == int(arrays["train-labels-idx1-ubyte"][2]) + 100
    assert img.dtype is ember.float32 and tuple(img.shape) == (1, 28, 28)
    expected = arrays["train-images-idx3-ubyte"][2].astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(img.numpy()[0], expected)
    # a multi-line transform repr is indented as torchvision does it
    ds.transforms.transform = transforms.Compose([transforms.ToTensor(),
                                                  transforms.Normalize((0.5,), (0.5,))])
    assert repr(ds).endswith("    StandardTransform\nTransform: Compose(\n"
                             "               ToTensor()\n"
                             "               Normalize(mean=(0.5,), std=(0.5,))\n"
                             "           )\nTarget transform: Lambda()")
    # through a DataLoader
    loader = ember.utils.data.DataLoader(ds, batch_size=4)
    x, y = next(iter(loader))
    assert tuple(x.shape) == (4, 1, 28, 28) and y.dtype is ember.int64
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        datasets.VisionDataset(str(tmp_path), transforms=lambda a, b: (a, b),
                               transform=transforms.ToTensor())


def test_dataset_not_found_message(tmp_path):
    with pytest.raises(RuntimeError) as err:
        datasets.FashionMNIST(str(tmp_path))
    msg = str(err.value)
    assert msg.startswith("Dataset not found. You can use download=True to download it")
    assert os.path.join(str(tmp_path), "FashionMNIST", "raw") in msg
    assert "apt-get install dataset-fashion-mnist" in msg
    with pytest.raises(RuntimeError, match="^Dataset not found. You can use download=True"):
        datasets.MNIST(str(tmp_path))


DEAD = "http://127.0.0.1:1/"  # nothing listens on port 1: connection refused


@pytest.fixture
def served(rng, monkeypatch):
    """FashionMNIST files on a local server, wired as the class's mirrors, no system copy."""
    arrays = fake_files(rng)
    blobs = {f"/fm/{name}.gz": gzip.compress(idx_bytes(a), mtime=0) for name, a in arrays.items()}
    server = LocalServer(blobs)
    resources = [(name + ".gz", hashlib.md5(blobs[f"/fm/{name}.gz"]).hexdigest())
                 for name in FILES]
    monkeypatch.setattr(datasets.FashionMNIST, "resources", resources)
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [DEAD, server.url + "fm/"])
    monkeypatch.setattr(datasets.FashionMNIST, "_system_dirs", ())
    yield arrays, server
    server.close()


def test_download_from_mirror(tmp_path, served, capsys):
    arrays, server = served
    ds = datasets.FashionMNIST(str(tmp_path), download=True, train=False)
    np.testing.assert_array_equal(ds.data.numpy(), arrays["t10k-images-idx3-ubyte"])
    out = capsys.readouterr().out
    assert f"Downloading {DEAD}train-images-idx3-ubyte.gz" in out
    assert "Failed to download (trying next):" in out
    assert f"Downloading {server.url}fm/t10k-labels-idx1-ubyte.gz" in out
    raw = tmp_path / "FashionMNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(FILES + [f + ".gz" for f in FILES])
    assert len(server.hits) == 4
    datasets.FashionMNIST(str(tmp_path), download=True)  # present: nothing fetched again
    assert len(server.hits) == 4


def test_download_rejects_corrupted_file(tmp_path, served, monkeypatch):
    arrays, server = served
    resources = list(datasets.FashionMNIST.resources)
    resources[1] = (resources[1][0], "0" * 32)
    monkeypatch.setattr(datasets.FashionMNIST, "resources", resources)
    with pytest.raises(RuntimeError, match="File not found or corrupted"):
        datasets.FashionMNIST(str(tmp_path), download=True)
    raw = tmp_path / "FashionMNIST" / "raw"
    assert not (raw / "train-labels-idx1-ubyte.gz").exists()
    assert not (raw / "train-labels-idx1-ubyte").exists()
    assert (raw / "train-images-idx3-ubyte").exists()  # the good file before it was kept


def test_download_offline_error(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [DEAD])
    monkeypatch.setattr(datasets.FashionMNIST, "_system_dirs", ())
    with pytest.raises(RuntimeError) as err:
        datasets.FashionMNIST(str(tmp_path), download=True)
    msg = str(err.value)
    assert msg.startswith("Error downloading train-images-idx3-ubyte.gz: no mirror could be "
                          "reached")
    assert "apt-get install dataset-fashion-mnist" in msg
    assert os.path.join(str(tmp_path), "FashionMNIST", "raw") in msg
    monkeypatch.setattr(datasets.KMNIST, "mirrors", [DEAD])
    with pytest.raises(RuntimeError, match="Error downloading") as err:
        datasets.KMNIST(str(tmp_path), download=True)
    assert "apt-get" not in str(err.value)


def test_download_uses_system_copy_first(tmp_path, rng, monkeypatch, capsys):
    arrays = fake_files(rng)
    system = tmp_path / "system"
    populate(str(system), arrays, gz=True)
    monkeypatch.setattr(datasets.FashionMNIST, "_system_dirs", (str(tmp_path / "nope"),
                                                                str(system)))
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [DEAD])
    ds = datasets.FashionMNIST(str(tmp_path / "root"), download=True)
    np.testing.assert_array_equal(ds.targets.numpy(), arrays["train-labels-idx1-ubyte"])
    out = capsys.readouterr().out
    assert f"Using the FashionMNIST files in {system}" in out and "Downloading" not in out


@pytest.mark.skipif(not os.path.isdir(DEBIAN_DIR), reason="dataset-fashion-mnist not installed")
def test_debian_fashion_mnist(tmp_path):
    test = datasets.FashionMNIST(str(tmp_path), train=False, download=True)
    assert len(test) == 10000 and tuple(test.data.shape) == (10000, 28, 28)
    np.testing.assert_array_equal(np.bincount(test.targets.numpy()), [1000] * 10)
    direct = read_image_file(os.path.join(DEBIAN_DIR, "t10k-images-idx3-ubyte.gz"))
    np.testing.assert_array_equal(test.data.numpy(), direct.numpy())
    train = datasets.FashionMNIST(str(tmp_path), train=True)  # unpacked by the first call
    assert len(train) == 60000
    np.testing.assert_array_equal(np.bincount(train.targets.numpy()), [6000] * 10)
    assert train.classes[int(train.targets[0])] == "Ankle boot"  # the well-known first sample
    if Image is not None:
        img, label = train[0]
        assert img.mode == "L" and label == 9


def test_without_pillow(tmp_path, rng):
    """ember.vision imports without Pillow; ToTensor still works on the datasets."""
    arrays = fake_files(rng)
    populate(str(tmp_path / "MNIST" / "raw"), arrays, gz=True)
    code = textwrap.dedent(f"""
        import sys
        sys.modules["PIL"] = None  # as if Pillow were not installed
        import numpy as np
        import ember
        from ember.vision import datasets, transforms
        ds = datasets.MNIST({str(tmp_path)!r})
        try:
            ds[0]
        except ImportError as e:
            assert "pip install pillow" in str(e) and "ToTensor" in str(e), e
        else:
            raise AssertionError("no ImportError")
        ds = datasets.MNIST({str(tmp_path)!r}, transform=transforms.ToTensor())
        x, y = ds[3]
        assert tuple(x.shape) == (1, 28, 28) and x.dtype is ember.float32
        np.testing.assert_array_equal(x.numpy()[0], ds.data.numpy()[3] / np.float32(255))
        t = transforms.PILToTensor()(ds.data.numpy()[3])
        assert t.dtype is ember.uint8 and tuple(t.shape) == (1, 28, 28)
        ds = datasets.MNIST({str(tmp_path)!r}, transform=transforms.RandomCrop(20))
        try:
            ds[0]
        except ImportError as e:
            assert "pip install pillow" in str(e), e
        else:
            raise AssertionError("no ImportError")
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# -- transforms: conversions ---------------------------------------------------------------------

def np_to_tensor(arr_hwc: np.ndarray, scale: bool) -> np.ndarray:
    chw = arr_hwc.transpose(2, 0, 1)
    return chw.astype(np.float32) / np.float32(255) if scale else chw


@needs_pil
def test_to_tensor_pil_modes(rng):
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    cases = [(Image.fromarray(rgb), rgb), (Image.fromarray(grey), grey[:, :, None]),
             (Image.fromarray(rgb).convert("RGBA"),
              np.concatenate([rgb, np.full((5, 7, 1), 255, np.uint8)], 2))]
    for img, expected in cases:
        t = transforms.ToTensor()(img)
        assert t.dtype is ember.float32
        np.testing.assert_array_equal(t.numpy(), np_to_tensor(expected, True))
    ints = rng.integers(-1000, 1000, (4, 3), dtype=np.int32)
    t = F.to_tensor(Image.fromarray(ints, mode="I"))
    assert t.dtype is ember.int32
    np.testing.assert_array_equal(t.numpy(), ints[None])
    floats = rng.standard_normal((4, 3)).astype(np.float32)
    t = F.to_tensor(Image.fromarray(floats, mode="F"))
    assert t.dtype is ember.float32
    np.testing.assert_array_equal(t.numpy(), floats[None])
    bits = Image.fromarray(grey > 128)
    assert bits.mode == "1"
    np.testing.assert_array_equal(F.to_tensor(bits).numpy()[0], (grey > 128).astype(np.float32))


def test_to_tensor_ndarray(rng):
    hwc = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    np.testing.assert_array_equal(F.to_tensor(hwc).numpy(), np_to_tensor(hwc, True))
    hw = hwc[:, :, 0]
    np.testing.assert_array_equal(F.to_tensor(hw).numpy(), np_to_tensor(hw[:, :, None], True))
    f = rng.standard_normal((4, 5, 2))  # not uint8: no scaling, dtype kept
    t = F.to_tensor(f)
    assert t.dtype is ember.float64
    np.testing.assert_array_equal(t.numpy(), f.transpose(2, 0, 1))
    ember.set_default_dtype(ember.float64)
    t = F.to_tensor(hwc)
    assert t.dtype is ember.float64
    np.testing.assert_array_equal(t.numpy(), hwc.transpose(2, 0, 1) / 255.0)
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        F.to_tensor(ember.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        F.to_tensor(np.zeros((1, 2, 3, 4), np.uint8))


@needs_pil
def test_pil_to_tensor_and_back(rng):
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    t = transforms.PILToTensor()(Image.fromarray(rgb))
    assert t.dtype is ember.uint8 and tuple(t.shape) == (3, 5, 7)
    np.testing.assert_array_equal(t.numpy(), rgb.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="pic should be PIL Image"):
        F.pil_to_tensor(rgb)
    back = transforms.ToPILImage()(t)
    assert back.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(back), rgb)
    grey = F.to_pil_image(ember.from_numpy(rgb[:, :, 0].astype(np.float32) / 255)[None])
    assert grey.mode == "L"
    np.testing.assert_array_equal(np.asarray(grey),
                                  (rgb[:, :, 0].astype(np.float32) / 255 * 255).astype(np.uint8))


def test_convert_image_dtype(rng):
    u8 = rng.integers(0, 256, (2, 3, 4), dtype=np.uint8)
    t = transforms.ConvertImageDtype(ember.float32)(ember.from_numpy(u8))
    np.testing.assert_array_equal(t.numpy(), u8.astype(np.float32) / np.float32(255))
    f = rng.random((2, 3, 4)).astype(np.float32)
    t = F.convert_image_dtype(ember.from_numpy(f), ember.uint8)
    np.testing.assert_array_equal(t.numpy(),
                                  (f * np.float32(255 + 1 - 1e-3)).astype(np.uint8))
    t = F.convert_image_dtype(ember.from_numpy(u8), ember.int16)  # int -> wider int
    np.testing.assert_array_equal(t.numpy(), u8.astype(np.int16) * 128)
    i32 = rng.integers(0, 2**31 - 1, (3,), dtype=np.int32)
    t = F.convert_image_dtype(ember.from_numpy(i32), ember.uint8)  # int -> narrower int
    np.testing.assert_array_equal(t.numpy(), (i32 // 2**23).astype(np.uint8))
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(ember.from_numpy(f), ember.int32)
    x = ember.from_numpy(f)
    assert F.convert_image_dtype(x, ember.float32) is x


def test_normalize_vs_torch(rng):
    x = rng.random((3, 5, 6)).astype(np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    ref = (torch.from_numpy(x) - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None,
                                                                                        None]
    t = ember.from_numpy(x.copy())
    out = transforms.Normalize(mean, std)(t)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(t.numpy(), x)  # not in place
    out = transforms.Normalize(mean, std, inplace=True)(t)
    np.testing.assert_array_equal(t.numpy(), ref.numpy())
    batch = ember.from_numpy(np.stack([x, x]))
    np.testing.assert_array_equal(F.normalize(batch, mean, std).numpy()[1], ref.numpy())
    g = ember.from_numpy(x.copy()).requires_grad_()
    F.normalize(g, mean, std).sum().backward()
    np.testing.assert_allclose(g.grad.numpy(), np.broadcast_to(
        1 / np.array(std, np.float32)[:, None, None], x.shape), rtol=1e-6)
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got torch.uint8."):
        F.normalize(ember.zeros(3, 2, 2, dtype=ember.uint8), mean, std)
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(ember.zeros(3, 2, 2), mean, (1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size"):
        F.normalize(ember.zeros(2, 2), (0.5,), (0.5,))
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.normalize(x, mean, std)


# -- transforms: geometry ----------------------------------------------------------------------

def both_kinds(arr_hwc):
    """The same image as a PIL image (if Pillow is there) and as a CHW tensor."""
    out = [ember.from_numpy(np.ascontiguousarray(arr_hwc.transpose(2, 0, 1)))]
    if Image is not None:
        out.append(Image.fromarray(arr_hwc if arr_hwc.shape[2] > 1 else arr_hwc[:, :, 0]))
    return out


def as_hwc(img) -> np.ndarray:
    if isinstance(img, ember.Tensor):
        return img.numpy().transpose(1, 2, 0)
    a = np.asarray(img)
    return a if a.ndim == 3 else a[:, :, None]


@pytest.mark.parametrize("channels", [1, 3])
def test_crops_flips_vs_numpy(rng, channels):
    arr = rng.integers(0, 256, (9, 12, channels), dtype=np.uint8)
    for img in both_kinds(arr):
        np.testing.assert_array_equal(as_hwc(F.hflip(img)), arr[:, ::-1])
        np.testing.assert_array_equal(as_hwc(F.vflip(img)), arr[::-1])
        np.testing.assert_array_equal(as_hwc(F.crop(img, 2, 3, 4, 5)), arr[2:6, 3:8])
        outside = np.zeros((5, 6, channels), np.uint8)
        outside[2:, 3:] = arr[:3, :3]
        np.testing.assert_array_equal(as_hwc(F.crop(img, -2, -3, 5, 6)), outside)
        # centre crop: offsets round((H - h) / 2) (Python rounding, half to even)
        for h, w in [(4, 5), (5, 6), (9, 12), (3, 3)]:
            top, left = int(round((9 - h) / 2)), int(round((12 - w) / 2))
            np.testing.assert_array_equal(as_hwc(transforms.CenterCrop((h, w))(img)),
                                          arr[top:top + h, left:left + w])
        big = as_hwc(F.center_crop(img, [12, 15]))  # larger: zero padding, (d // 2, (d + 1) // 2)
        expected = np.zeros((12, 15, channels), np.uint8)
        expected[1:10, 1:13] = arr
        np.testing.assert_array_equal(big, expected)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_vs_numpy(rng, mode):
    arr = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    for padding, (t, b, l, r) in [(2, (2, 2, 2, 2)), ([1, 3], (3, 3, 1, 1)),
                                  ((1, 2, 3, 4), (2, 4, 1, 3)), ([2], (2, 2, 2, 2))]:
        kw = {"constant_values": 9} if mode == "constant" else {}
        expected = np.pad(arr, ((t, b), (l, r), (0, 0)), mode, **kw)
        for img in both_kinds(arr):
            out = transforms.Pad(padding, fill=9, padding_mode=mode)(img)
            np.testing.assert_array_equal(as_hwc(out), expected)
            if isinstance(img, ember.Tensor):
                assert out.dtype is ember.uint8
    for img in both_kinds(arr):  # negative padding crops
        out = F.pad(img, [-1, 2, 1, -2], padding_mode=mode, fill=0)
        kw = {"constant_values": 0} if mode == "constant" else {}
        np.testing.assert_array_equal(as_hwc(out),
                                      np.pad(arr[:4, 1:], ((2, 0), (0, 1), (0, 0)), mode, **kw))


def test_pad_float_tensor_and_errors():
    x = ember.arange(12.0).reshape(1, 3, 4)
    np.testing.assert_array_equal(F.pad(x, 1, padding_mode="reflect").numpy(),
                                  np.pad(x.numpy(), ((0, 0), (1, 1), (1, 1)), "reflect"))
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect"):
        transforms.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple"):
        transforms.Pad((1, 2, 3))
    with pytest.raises(TypeError, match="Got inappropriate padding arg"):
        transforms.Pad("1")


def resized_size(h, w, size, max_size=None):
    """torchvision's output size for Resize(size), restated."""
    if isinstance(size, int) or len(size) == 1:
        s = size if isinstance(size, int) else size[0]
        if h <= w:
            nh, nw = s, int(s * w / h)
            if max_size is not None and nw > max_size:
                nh, nw = int(max_size * nh / nw), max_size
        else:
            nw, nh = s, int(s * h / w)
            if max_size is not None and nh > max_size:
                nw, nh = int(max_size * nw / nh), max_size
        return nh, nw
    return tuple(size)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_tensor_vs_torch(rng, mode, antialias):
    x = rng.random((2, 3, 19, 26)).astype(np.float32)
    for size in [(7, 9), (31, 40), 10, [23], (19, 13)]:
        oh, ow = resized_size(19, 26, size)
        out = transforms.Resize(size, transforms.InterpolationMode(mode),
                                antialias=antialias)(ember.from_numpy(x))
        ref = torch.nn.functional.interpolate(
            torch.from_numpy(x), size=(oh, ow), mode=mode,
            align_corners=None if mode == "nearest" else False,
            antialias=antialias and mode != "nearest")
        assert tuple(out.shape) == (2, 3, oh, ow) and out.dtype is ember.float32
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=0, atol=5e-6)
    u8 = rng.integers(0, 256, (3, 17, 11), dtype=np.uint8)  # resized in float32, then rounded
    out = F.resize(ember.from_numpy(u8), [8, 6], transforms.InterpolationMode(mode),
                   antialias=antialias)
    ref = torch.nn.functional.interpolate(
        torch.from_numpy(u8)[None].float(), size=(8, 6), mode=mode,
        align_corners=None if mode == "nearest" else False,
        antialias=antialias and mode != "nearest")[0]
    if mode == "bicubic":
        ref = ref.clamp(0, 255)
    assert out.dtype is ember.uint8
    assert np.abs(out.numpy().astype(int) - ref.round().to(torch.uint8).numpy()).max() <= (
        0 if mode == "nearest" else 1)


def test_resize_sizes_and_grad(rng):
    x = ember.from_numpy(rng.random((1, 10, 30)).astype(np.float32))
    assert tuple(F.resize(x, 5).shape) == (1, 5, 15)
    assert tuple(F.resize(x, 5, max_size=12).shape)[1:] == resized_size(10, 30, 5, 12) == (4, 12)
    assert F.resize(x, [10, 30]) is x  # already that size: the same object back
    with pytest.raises(ValueError, match="max_size = 5 must be strictly greater"):
        F.resize(x, 5, max_size=5)
    with pytest.raises(ValueError, match="max_size should only be passed if size specifies"):
        F.resize(x, [5, 6], max_size=12)
    g = x.detach().requires_grad_()
    F.resize(g, [4, 7]).sum().backward()  # antialiased resize keeps autograd
    assert tuple(g.grad.shape) == (1, 10, 30)


@needs_pil
def test_resize_pil(rng):
    arr = rng.integers(0, 256, (19, 26, 3), dtype=np.uint8)
    img = Image.fromarray(arr)
    for size, interp, pil in [(10, transforms.InterpolationMode.BILINEAR, Image.BILINEAR),
                              ((7, 30), transforms.InterpolationMode.BICUBIC, Image.BICUBIC),
                              ([12], transforms.InterpolationMode.NEAREST, Image.NEAREST),
                              (8, Image.LANCZOS, Image.LANCZOS)]:
        oh, ow = resized_size(19, 26, size)
        out = transforms.Resize(size, interp)(img)
        assert out.size == (ow, oh)
        np.testing.assert_array_equal(np.asarray(out), np.asarray(img.resize((ow, oh), pil)))
    with pytest.warns(UserWarning, match="Anti-alias option is always applied for PIL Image"):
        F.resize(img, 10, antialias=False)


# -- transforms: randomness (torchvision's draws replayed on PyTorch) ------------------------------

@pytest.mark.parametrize("seed", [0, 1, 7])
def test_random_crop_same_draws_as_torchvision(rng, seed):
    arr = rng.integers(0, 256, (20, 17, 3), dtype=np.uint8)
    crop = transforms.RandomCrop((8, 6))
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    for img in both_kinds(arr) * 3:
        i = torch.randint(0, 20 - 8 + 1, size=(1,)).item()
        j = torch.randint(0, 17 - 6 + 1, size=(1,)).item()
        np.testing.assert_array_equal(as_hwc(crop(img)), arr[i:i + 8, j:j + 6])
    # padding first, then the draws on the padded size
    crop = transforms.RandomCrop(10, padding=2, fill=5)
    padded = np.pad(arr, ((2, 2), (2, 2), (0, 0)), constant_values=5)
    for img in both_kinds(arr):
        i = torch.randint(0, 24 - 10 + 1, size=(1,)).item()
        j = torch.randint(0, 21 - 10 + 1, size=(1,)).item()
        np.testing.assert_array_equal(as_hwc(crop(img)), padded[i:i + 10, j:j + 10])
    assert torch.rand(1).item() == ember.rand(1).item()  # both generators in step


def test_random_crop_pad_if_needed_and_errors(rng):
    arr = rng.integers(0, 256, (5, 4, 1), dtype=np.uint8)
    for img in both_kinds(arr):
        # NOTE: torchvision pads the shortfall on both sides, then crops at random
        out = transforms.RandomCrop((7, 9), pad_if_needed=True)(img)
        assert as_hwc(out).shape == (7, 9, 1)
        with pytest.raises(ValueError, match=r"Required crop size \(7, 9\) is larger than input"):
            transforms.RandomCrop((7, 9))(img)
    x = ember.from_numpy(arr.transpose(2, 0, 1).copy())
    assert transforms.RandomCrop((5, 4))(x).shape == x.shape  # whole image: no draw
    ember.manual_seed(3)
    before = ember.get_rng_state()
    transforms.RandomCrop((5, 4))(x)
    assert ember.equal(before, ember.get_rng_state())


def test_random_flips_same_draws_as_torchvision(rng):
    arr = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    for cls, flip in [(transforms.RandomHorizontalFlip, lambda a: a[:, ::-1]),
                      (transforms.RandomVerticalFlip, lambda a: a[::-1])]:
        for p in (0.5, 0.2):
            torch.manual_seed(11)
            ember.manual_seed(11)
            t = cls(p)
            for img in both_kinds(arr) * 10:
                expected = flip(arr) if torch.rand(1) < p else arr
                np.testing.assert_array_equal(as_hwc(t(img)), expected)


def torchvision_rrc_params(height, width, scale, ratio):
    """RandomResizedCrop.get_params as torchvision writes it, on PyTorch."""
    import math

    area = height * width
    log_ratio = torch.log(torch.tensor(ratio))
    for _ in range(10):
        target_area = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
        aspect = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            i = torch.randint(0, height - h + 1, size=(1,)).item()
            j = torch.randint(0, width - w + 1, size=(1,)).item()
            return i, j, h, w
    return None


def test_random_resized_crop_same_draws_as_torchvision(rng):
    x = ember.from_numpy(rng.random((3, 30, 40)).astype(np.float32))
    for seed in range(5):
        torch.manual_seed(seed)
        ember.manual_seed(seed)
        for _ in range(3):
            params = transforms.RandomResizedCrop.get_params(x, (0.08, 1.0), (3 / 4, 4 / 3))
            assert params == torchvision_rrc_params(30, 40, (0.08, 1.0), (3 / 4, 4 / 3))
    out = transforms.RandomResizedCrop(16)(x)
    assert tuple(out.shape) == (3, 16, 16)
    # impossible ratios: the central fallback crop
    assert transforms.RandomResizedCrop.get_params(x, (0.99, 1.0), (10.0, 11.0)) == (13, 0, 4, 40)


# -- transforms: reprs and misc ----------------------------------------------------------------

def test_transform_reprs():
    T = transforms
    cases = [
        (T.ToTensor(), "ToTensor()"),
        (T.PILToTensor(), "PILToTensor()"),
        (T.ToPILImage(), "ToPILImage()"),
        (T.ToPILImage("L"), "ToPILImage(mode=L)"),
        (T.ConvertImageDtype(ember.float32), "ConvertImageDtype()"),
        (T.Normalize((0.1307,), (0.3081,)), "Normalize(mean=(0.1307,), std=(0.3081,))"),
        (T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5], inplace=True),
         "Normalize(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])"),
        (T.Resize(256), "Resize(size=256, interpolation=bilinear, max_size=None, antialias=True)"),
        (T.Resize((32, 48), T.InterpolationMode.NEAREST, antialias=False),
         "Resize(size=(32, 48), interpolation=nearest, max_size=None, antialias=False)"),
        (T.Resize([10], 3, max_size=20),
         "Resize(size=[10], interpolation=bicubic, max_size=20, antialias=True)"),
        (T.CenterCrop(224), "CenterCrop(size=(224, 224))"),
        (T.CenterCrop([10, 20]), "CenterCrop(size=[10, 20])"),
        (T.CenterCrop([7]), "CenterCrop(size=(7, 7))"),
        (T.RandomCrop(32, padding=4), "RandomCrop(size=(32, 32), padding=4)"),
        (T.RandomCrop([28, 20]), "RandomCrop(size=(28, 20), padding=None)"),
        (T.RandomHorizontalFlip(), "RandomHorizontalFlip(p=0.5)"),
        (T.RandomVerticalFlip(0.3), "RandomVerticalFlip(p=0.3)"),
        (T.Pad(4), "Pad(padding=4, fill=0, padding_mode=constant)"),
        (T.Pad((1, 2), fill=(1, 2, 3), padding_mode="reflect"),
         "Pad(padding=(1, 2), fill=(1, 2, 3), padding_mode=reflect)"),
        (T.Lambda(lambda x: x), "Lambda()"),
        (T.RandomResizedCrop(224),
         "RandomResizedCrop(size=(224, 224), scale=(0.08, 1.0), ratio=(0.75, 1.3333), "
         "interpolation=bilinear, antialias=True)"),
        (T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize((0.5,), (0.5,))]),
         "Compose(\n    RandomCrop(size=(32, 32), padding=4)\n    RandomHorizontalFlip(p=0.5)\n"
         "    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n)"),
        (models.ResNet50_Weights.IMAGENET1K_V2.transforms(),
         "ImageClassification(\n    crop_size=[224]\n    resize_size=[232]\n"
         "    mean=[0.485, 0.456, 0.406]\n    std=[0.229, 0.224, 0.225]\n"
         "    interpolation=InterpolationMode.BILINEAR\n)"),
    ]
    for t, expected in cases:
        assert repr(t) == expected


def test_compose_lambda_and_one_hot():
    """The tutorial's target transform: a one-hot vector through Lambda."""
    one_hot = transforms.Lambda(
        lambda y: ember.zeros(10, dtype=ember.float).scatter_(0, ember.tensor(y), value=1))
    assert one_hot(3).tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        transforms.Lambda(3)
    pipeline = transforms.Compose([transforms.Lambda(lambda v: v * 2), lambda v: v + 1])
    assert pipeline(5) == 11


def test_image_classification_preset(rng):
    x = rng.integers(0, 256, (3, 40, 50), dtype=np.uint8)
    preset = models.ResNet18_Weights.DEFAULT.transforms()
    out = preset(ember.from_numpy(x))
    assert tuple(out.shape) == (3, 224, 224) and out.dtype is ember.float32
    resized = torch.nn.functional.interpolate(torch.from_numpy(x)[None].float(), size=(256, 320),
                                              mode="bilinear", antialias=True,
                                              align_corners=False)[0].round()
    top, left = 16, 48
    ref = resized[:, top:top + 224, left:left + 224] / 255
    ref = (ref - torch.tensor([0.485, 0.456, 0.406])[:, None, None]) / torch.tensor(
        [0.229, 0.224, 0.225])[:, None, None]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=0.05)  # uint8 rounding differs


# -- models ------------------------------------------------------------------------------------

def torch_vgg(cfg, batch_norm):
    """torchvision's VGG structure, written out on torch.nn (no init loop: keys and shapes)."""
    nn = torch.nn
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(c, v, kernel_size=3, padding=1))
            layers += [nn.BatchNorm2d(v), nn.ReLU(inplace=True)] if batch_norm else [
                nn.ReLU(inplace=True)]
            c = v
    return nn.Sequential(*layers)


def torch_resnet(bottleneck, counts, num_classes=1000):
    """torchvision's ResNet on torch.nn, with its init, built in torchvision's module order."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, cin, planes, stride, down):
            super().__init__()
            if bottleneck:
                self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
                self.bn1 = nn.BatchNorm2d(planes)
                self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
                self.bn2 = nn.BatchNorm2d(planes)
                self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
                self.bn3 = nn.BatchNorm2d(planes * 4)
                self.relu = nn.ReLU(inplace=True)
            else:
                self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
                self.bn1 = nn.BatchNorm2d(planes)
                self.relu = nn.ReLU(inplace=True)
                self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
                self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = down

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            exp = 4 if bottleneck else 1
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            cin = 64
            for k, (planes, n) in enumerate(zip([64, 128, 256, 512], counts)):
                stride = 1 if k == 0 else 2
                down = None
                if stride != 1 or cin != planes * exp:
                    down = nn.Sequential(nn.Conv2d(cin, planes * exp, 1, stride, bias=False),
                                         nn.BatchNorm2d(planes * exp))
                blocks = [Block(cin, planes, stride, down)]
                cin = planes * exp
                blocks += [Block(cin, planes, 1, None) for _ in range(n - 1)]
                setattr(self, f"layer{k + 1}", nn.Sequential(*blocks))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512 * exp, num_classes)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

    return Net()


def shapes(sd):
    return [(k, tuple(v.shape)) for k, v in sd.items()]


VGG16_CONVS = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]  # torchvision's checkpoint keys


@pytest.fixture(scope="module")
def vgg16_model():
    # NOTE: drawing VGG16's 138M random numbers takes ember several seconds, so this
    # model skips both its own init and the Linear layers' default one (zeros instead).
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ember.nn.Linear, "reset_parameters",
                   lambda self: (self.weight.data.zero_(), self.bias.data.zero_()))
        return models.vgg16(init_weights=False)


def test_vgg16_structure_and_forward(vgg16_model):
    sd = vgg16_model.state_dict()
    expected = [f"features.{i}.{p}" for i in VGG16_CONVS for p in ("weight", "bias")]
    expected += [f"classifier.{i}.{p}" for i in (0, 3, 6) for p in ("weight", "bias")]
    assert list(sd) == expected
    assert sum(p.numel() for p in vgg16_model.parameters()) == 138_357_544
    assert tuple(sd["features.0.weight"].shape) == (64, 3, 3, 3)
    assert tuple(sd["classifier.0.weight"].shape) == (4096, 25088)
    assert tuple(sd["classifier.6.bias"].shape) == (1000,)
    ref = torch.nn.Module()
    ref.features = torch_vgg(models.vgg.cfgs["D"], False)
    ref.avgpool = torch.nn.AdaptiveAvgPool2d((7, 7))
    ref.classifier = torch.nn.Sequential(
        torch.nn.Linear(25088, 4096), torch.nn.ReLU(True), torch.nn.Dropout(0.5),
        torch.nn.Linear(4096, 4096), torch.nn.ReLU(True), torch.nn.Dropout(0.5),
        torch.nn.Linear(4096, 1000))
    assert shapes(sd) == shapes(ref.state_dict())
    assert repr(vgg16_model).replace("VGG(", "Module(", 1) == repr(ref)
    vgg16_model.eval()
    with ember.no_grad():
        out = vgg16_model(ember.randn(1, 3, 32, 32))
    assert tuple(out.shape) == (1, 1000)


@pytest.mark.parametrize("name,cfg", [("vgg11_bn", "A"), ("vgg13", "B"), ("vgg19_bn", "E")])
def test_vgg_variants_features(name, cfg):
    bn = name.endswith("_bn")
    ours = models.vgg.make_layers(models.vgg.cfgs[cfg], batch_norm=bn)
    ref = torch_vgg(models.vgg.cfgs[cfg], bn)
    assert shapes(ours.state_dict()) == shapes(ref.state_dict())
    assert repr(ours) == repr(ref)
    if bn:
        keys = ours.state_dict()
        assert "1.running_mean" in keys and "1.num_batches_tracked" in keys
    assert getattr(models, name).__name__ == name


def test_vgg_init_rule():
    """torchvision's VGG init loop, on small layers (VGG's classifier alone is 120M numbers)."""
    ember.manual_seed(0)
    ours = ember.nn.Sequential(models.vgg.make_layers([8, "M", 16], batch_norm=True),
                               ember.nn.Linear(16, 5))
    models.vgg._init_weights(ours)
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch_vgg([8, "M", 16], True), torch.nn.Linear(16, 5))
    for m in ref.modules():  # the loop as torchvision's vgg.py writes it
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            torch.nn.init.constant_(m.bias, 0)
        elif isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.constant_(m.weight, 1)
            torch.nn.init.constant_(m.bias, 0)
        elif isinstance(m, torch.nn.Linear):
            torch.nn.init.normal_(m.weight, 0, 0.01)
            torch.nn.init.constant_(m.bias, 0)
    rsd = ref.state_dict()
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), rsd[k].numpy(), err_msg=k)


@pytest.mark.parametrize("name,bottleneck,counts,nparams", [
    ("resnet18", False, [2, 2, 2, 2], 11_689_512),
    ("tiny-bottleneck", True, [1, 1, 1, 1], None),
])
def test_resnet_matches_torchvision_structure_and_init(name, bottleneck, counts, nparams):
    ember.manual_seed(0)
    if name == "resnet18":
        ours = models.resnet18()
    else:
        ours = models.ResNet(models.Bottleneck, counts, num_classes=10)
    torch.manual_seed(0)
    ref = torch_resnet(bottleneck, counts, 1000 if name == "resnet18" else 10)
    sd, rsd = ours.state_dict(), ref.state_dict()
    assert shapes(sd) == shapes(rsd)
    for k in ("conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight",
              "layer2.0.downsample.0.weight", "layer4.1.bn2.num_batches_tracked", "fc.bias"):
        assert k in sd or (bottleneck and k.startswith("layer4.1"))
    if nparams:
        assert sum(p.numel() for p in ours.parameters()) == nparams
    assert repr(ours).replace("ResNet(", "Net(", 1).replace("BasicBlock(", "Block(").replace(
        "Bottleneck(", "Block(") == repr(ref)
    for k in sd:  # same seed, same init, bit for bit
        np.testing.assert_array_equal(sd[k].numpy(), rsd[k].numpy(), err_msg=k)


def test_resnet_forward_and_options():
    m = models.resnet18(num_classes=7, zero_init_residual=True)
    assert all(b.bn2.weight.abs().sum().item() == 0 for b in m.layer1)
    m.eval()
    with ember.no_grad():
        assert tuple(m(ember.randn(1, 3, 32, 32)).shape) == (1, 7)
    m.train()
    out = m(ember.randn(2, 3, 32, 32))
    out.sum().backward()
    assert m.conv1.weight.grad is not None
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1 and base_width=64"):
        models.BasicBlock(64, 64, groups=2)


def test_weights_enums():
    W = models.ResNet50_Weights
    assert W.DEFAULT is W.IMAGENET1K_V2 and repr(W.DEFAULT) == "ResNet50_Weights.IMAGENET1K_V2"
    assert W.verify("IMAGENET1K_V1") is W.IMAGENET1K_V1
    assert W.verify("ResNet50_Weights.DEFAULT") is W.IMAGENET1K_V2
    assert W.verify(None) is None
    with pytest.raises(KeyError, match="IMAGENET"):  # (torchvision: the enum's KeyError)
        W.verify("IMAGENET")
    with pytest.raises(TypeError, match="expected ResNet50_Weights but received VGG16_Weights"):
        W.verify(models.VGG16_Weights.DEFAULT)
    files = {models.VGG16_Weights.IMAGENET1K_V1: "vgg16-397923af.pth",
             models.VGG16_Weights.IMAGENET1K_FEATURES: "vgg16_features-amdegroot-88682ab5.pth",
             models.VGG11_Weights.DEFAULT: "vgg11-8a719046.pth",
             models.VGG19_BN_Weights.DEFAULT: "vgg19_bn-c79401a0.pth",
             models.ResNet18_Weights.IMAGENET1K_V1: "resnet18-f37072fd.pth",
             models.ResNet34_Weights.DEFAULT: "resnet34-b627a593.pth",
             W.IMAGENET1K_V1: "resnet50-0676ba61.pth", W.IMAGENET1K_V2: "resnet50-11ad3fa6.pth"}
    for w, f in files.items():
        assert w.url == "https://download.pytorch.org/models/" + f
    assert models.VGG16_Weights.DEFAULT.meta["num_params"] == 138_357_544
    assert models.ResNet18_Weights.DEFAULT.meta["num_params"] == 11_689_512
    assert models.get_weight("ResNet50_Weights.IMAGENET1K_V1") is W.IMAGENET1K_V1
    assert "resnet18" in models.list_models() and "vgg16_bn" in models.list_models(include="vgg*")


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty torch hub cache, and no network for downloads."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))

    def offline(url, timeout=60.0):
        import urllib.error

        raise urllib.error.URLError("network disabled in the tests")

    monkeypatch.setattr(models._api, "_urlopen", offline)
    return tmp_path / "torch" / "hub" / "checkpoints"


def test_pretrained_missing_file_offline(hub, capsys):
    with pytest.raises(RuntimeError) as err:
        models.resnet18(weights=models.ResNet18_Weights.DEFAULT)
    msg = str(err.value)
    assert "resnet18-f37072fd.pth" in msg and str(hub) in msg
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in msg
    assert "Downloading:" in capsys.readouterr().err
    with pytest.warns(UserWarning) as rec:
        with pytest.raises(RuntimeError, match="resnet18-f37072fd.pth"):
            models.resnet18(pretrained=True)
    assert [str(r.message) for r in rec] == [
        "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
        "please use 'weights' instead.",
        "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and "
        "may be removed in the future. The current behavior is equivalent to passing "
        "`weights=ResNet18_Weights.IMAGENET1K_V1`. You can also use "
        "`weights=ResNet18_Weights.DEFAULT` to get the most up-to-date weights."]
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000"):
        models.resnet18(weights="DEFAULT", num_classes=10)


def test_pretrained_false_warns_like_torchvision():
    with pytest.warns(UserWarning) as rec:
        m = models.resnet18(pretrained=False, num_classes=5)
    assert m.fc.out_features == 5
    texts = [str(r.message) for r in rec]
    assert texts[0].startswith("The parameter 'pretrained' is deprecated since 0.13")
    assert texts[1].endswith("The current behavior is equivalent to passing `weights=None`.")


def test_pretrained_loads_from_hub_cache(hub, monkeypatch):
    """A checkpoint in the hub cache (written by PyTorch) goes through ember.load."""
    hub.mkdir(parents=True)
    torch.manual_seed(1)
    ref = torch_resnet(False, [2, 2, 2, 2])
    path = hub / "resnet18-f37072fd.pth"
    torch.save(ref.state_dict(), path)
    if getattr(ember, "load", None) is None:  # the serialization module is not there yet
        calls = []

        def fake_load(f, map_location=None, weights_only=True):
            calls.append((str(f), map_location, weights_only))
            return {k: ember.from_numpy(v.numpy().copy())
                    for k, v in torch.load(f, weights_only=True).items()}

        monkeypatch.setattr(ember, "load", fake_load, raising=False)
    m = models.resnet18(weights="IMAGENET1K_V1")
    for k, v in ref.state_dict().items():
        np.testing.assert_array_equal(m.state_dict()[k].numpy(), v.numpy(), err_msg=k)
    m.eval()
    ref.eval()
    x = np.random.default_rng(0).standard_normal((1, 3, 40, 40)).astype(np.float32)
    with ember.no_grad():
        ours = m(ember.from_numpy(x)).numpy()
    rx = torch.from_numpy(x)
    with torch.no_grad():
        for name in ("conv1", "bn1", "relu", "maxpool"):
            rx = getattr(ref, name)(rx)
        for layer in (ref.layer1, ref.layer2, ref.layer3, ref.layer4):
            for b in layer:
                idt = rx if b.downsample is None else b.downsample(rx)
                y = b.relu(b.bn1(b.conv1(rx)))
                y = b.bn2(b.conv2(y))
                rx = b.relu(y + idt)
        rx = ref.fc(torch.flatten(ref.avgpool(rx), 1))
    np.testing.assert_allclose(ours, rx.numpy(), rtol=1e-4, atol=1e-4)


def test_compat_torchvision_imports():
    from ember import _compat

    _compat.install()
    try:
        import torchvision.transforms as tvt  # noqa: F401  resolved to ember.vision
        from torchvision import datasets as tvd

        assert tvd.FashionMNIST is datasets.FashionMNIST
        assert tvt.ToTensor is transforms.ToTensor
    finally:
        _compat.uninstall()
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]


def test_vision_namespace():
    import ember.vision as tv

    assert tv.get_image_backend() == "PIL"
    assert mnist_mod.MNIST is datasets.MNIST
    assert set(transforms.__all__) >= {"Compose", "ToTensor", "Normalize", "Resize",
                                        "CenterCrop", "RandomCrop", "RandomHorizontalFlip",
                                        "Pad", "Lambda", "PILToTensor", "ConvertImageDtype"}


@needs_pil
@pytest.mark.filterwarnings("ignore:The image decoding:DeprecationWarning")
def test_io_read_image(tmp_path, rng):
    from ember.vision.io import ImageReadMode, decode_image, read_file, read_image

    rgb = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    path = str(tmp_path / "img.png")
    Image.fromarray(rgb).save(path)
    t = read_image(path)
    assert t.dtype is ember.uint8 and tuple(t.shape) == (3, 6, 5)
    np.testing.assert_array_equal(t.numpy(), rgb.transpose(2, 0, 1))
    grey = read_image(path, ImageReadMode.GRAY)
    # NOTE: libpng's grey (as torchvision), not Pillow's convert("L"); see test_hunt_vision_data
    from ember.vision.io import _png_gray
    np.testing.assert_array_equal(grey.numpy()[0], _png_gray(rgb))
    data = read_file(path)
    assert data.dtype is ember.uint8 and data.ndim == 1
    np.testing.assert_array_equal(decode_image(data).numpy(), t.numpy())
    assert tuple(read_image(path, ImageReadMode.RGB_ALPHA).shape) == (4, 6, 5)


def test_legacy_processed_files(tmp_path, rng):
    """Old torchvision's processed/training.pt and test.pt (PyTorch pickles) are read first."""
    if getattr(ember, "load", None) is None:
        pytest.skip("ember.load is not available")
    processed = tmp_path / "MNIST" / "processed"
    processed.mkdir(parents=True)
    splits = {}
    for name, n in [("training.pt", 5), ("test.pt", 3)]:
        x, y = fake_split(rng, n)
        splits[name] = (x, y)
        torch.save((torch.from_numpy(x), torch.from_numpy(y).long()), processed / name)
    ds = datasets.MNIST(str(tmp_path), train=False)
    assert len(ds) == 3 and ds.targets.dtype is ember.int64
    np.testing.assert_array_equal(ds.data.numpy(), splits["test.pt"][0])
    np.testing.assert_array_equal(ds.targets.numpy(), splits["test.pt"][1])
