"""``ImageFolder``/``DatasetFolder`` on a folder tree made here, and ``vision.utils``'s
``make_grid``/``save_image`` against a NumPy reference written from torchvision's docs
(torchvision itself is not a test dependency: it needs a GPU build of PyTorch)."""
import os

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms, utils

Image = pytest.importorskip("PIL.Image")


@pytest.fixture
def tree(tmp_path):
    """root/cat/{a.png, sub/b.jpg}, root/dog/{c.png, notes.txt}, root/empty/."""
    rng = np.random.default_rng(0)
    for rel, mode in (("cat/a.png", "RGB"), ("cat/sub/b.png", "L"), ("dog/c.png", "RGB"),
                      ("dog/Z.PNG", "RGB")):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        shape = (5, 4, 3) if mode == "RGB" else (5, 4)
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(path)
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    (tmp_path / "empty").mkdir()
    (tmp_path / "stray.png").write_bytes(b"")  # files in root are not classes
    return tmp_path


def test_image_folder_lists_classes_and_samples(tree):
    ds = datasets.ImageFolder(str(tree), allow_empty=True)
    assert ds.classes == ["cat", "dog", "empty"]
    assert ds.class_to_idx == {"cat": 0, "dog": 1, "empty": 2}
    rel = [(os.path.relpath(p, tree), t) for p, t in ds.samples]
    assert rel == [("cat/a.png", 0), ("cat/sub/b.png", 0), ("dog/Z.PNG", 1), ("dog/c.png", 1)]
    assert ds.targets == [0, 0, 1, 1] and ds.imgs is ds.samples and len(ds) == 4
    img, target = ds[1]
    assert img.mode == "RGB" and img.size == (4, 5) and target == 0  # grayscale became RGB


def test_image_folder_with_transforms_and_a_loader(tree):
    ds = datasets.ImageFolder(str(tree), transform=transforms.ToTensor(),
                              target_transform=lambda t: t * 10, allow_empty=True)
    x, y = ds[2]
    want = np.asarray(Image.open(ds.samples[2][0]).convert("RGB"), np.float32) / 255
    np.testing.assert_array_equal(x.numpy(), want.transpose(2, 0, 1))
    assert y == 10
    batches = list(DataLoader(ds, batch_size=3))
    assert [tuple(b[0].shape) for b in batches] == [(3, 3, 5, 4), (1, 3, 5, 4)]
    assert batches[0][1].tolist() == [0, 0, 10]
    text = repr(ds)
    assert text.startswith("Dataset ImageFolder\n    Number of datapoints: 4\n    Root location: ")
    assert "StandardTransform\nTransform: ToTensor()" in text


def test_image_folder_errors(tree, tmp_path_factory):
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty. "
                                                "Supported extensions are: .jpg, .jpeg, .png"):
        datasets.ImageFolder(str(tree))
    bare = tmp_path_factory.mktemp("bare")
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.ImageFolder(str(bare))
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        datasets.DatasetFolder(str(tree), loader=open, extensions=(".png",),
                               is_valid_file=lambda p: True)
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        datasets.DatasetFolder(str(tree), loader=open)


def test_dataset_folder_with_a_validity_test(tree):
    ds = datasets.DatasetFolder(str(tree), loader=lambda p: os.path.basename(p),
                                is_valid_file=lambda p: p.endswith(".txt"), allow_empty=True)
    assert [ds[i] for i in range(len(ds))] == [("notes.txt", 1)]
    by_ext = datasets.DatasetFolder(str(tree), loader=len, extensions=".txt", allow_empty=True)
    assert len(by_ext) == 1


def reference_grid(batch, nrow, padding, pad_value):
    """Tiles laid out row-major, ``padding`` before each tile and after the last."""
    b, c, h, w = batch.shape
    if c == 1:
        batch = np.repeat(batch, 3, axis=1)
        c = 3
    cols = min(nrow, b)
    rows = -(-b // cols)
    out = np.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding),
                  pad_value, batch.dtype)
    for k in range(b):
        y, x = divmod(k, cols)
        top, left = y * (h + padding) + padding, x * (w + padding) + padding
        out[:, top:top + h, left:left + w] = batch[k]
    return out


@pytest.mark.parametrize("shape,nrow,padding,pad_value", [
    ((5, 3, 4, 6), 2, 2, 0.0), ((5, 1, 3, 3), 8, 1, 0.5), ((7, 3, 2, 2), 3, 0, 1.0),
    ((2, 3, 5, 5), 1, 3, 0.25)])
def test_make_grid_lays_out_tiles(shape, nrow, padding, pad_value):
    batch = np.random.default_rng(1).random(shape, dtype=np.float32)
    got = utils.make_grid(ember.from_numpy(batch), nrow=nrow, padding=padding,
                          pad_value=pad_value)
    np.testing.assert_array_equal(got.numpy(), reference_grid(batch, nrow, padding, pad_value))
    listed = utils.make_grid(list(ember.from_numpy(batch)), nrow=nrow, padding=padding,
                             pad_value=pad_value)
    np.testing.assert_array_equal(listed.numpy(), got.numpy())


def test_make_grid_normalizes_and_handles_single_images():
    batch = np.random.default_rng(2).normal(size=(4, 3, 2, 2)).astype(np.float32)
    got = utils.make_grid(ember.from_numpy(batch), normalize=True, padding=0, nrow=4)
    scaled = (batch - batch.min()) / (batch.max() - batch.min())
    np.testing.assert_allclose(got.numpy(), reference_grid(scaled, 4, 0, 0.0), rtol=1e-6)
    each = utils.make_grid(ember.from_numpy(batch), normalize=True, scale_each=True, padding=0)
    first = (batch[0] - batch[0].min()) / (batch[0].max() - batch[0].min())
    np.testing.assert_allclose(each.numpy()[:, :, :2], first, rtol=1e-6)
    ranged = utils.make_grid(ember.from_numpy(batch), normalize=True, value_range=(-1, 1))
    assert float(ranged.min()) >= 0 and float(ranged.max()) <= 1
    assert batch.min() < -1  # the input itself is untouched (normalize works on a copy)
    one = ember.rand(3, 4, 5)
    assert utils.make_grid(one).shape == (3, 4, 5)
    assert utils.make_grid(ember.rand(4, 5)).shape == (3, 4, 5)
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        utils.make_grid(np.zeros((2, 3, 4, 4)))
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        utils.make_grid(ember.rand(2, 3, 4, 4), normalize=True, value_range=[0, 1])


def test_save_image_round_trips(tmp_path):
    batch = np.random.default_rng(3).random((3, 3, 4, 4), dtype=np.float32)
    path = tmp_path / "grid.png"
    utils.save_image(ember.from_numpy(batch), str(path), nrow=3, padding=1)
    back = np.asarray(Image.open(path))
    want = np.clip(reference_grid(batch, 3, 1, 0.0) * 255 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(back, want.transpose(1, 2, 0))
