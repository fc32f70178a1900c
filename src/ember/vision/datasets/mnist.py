"""MNIST, FashionMNIST and KMNIST in torchvision's on-disk layout.

``root/<ClassName>/raw/`` holds the four IDX files, ``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte``, unpacked (as torchvision leaves them) or still
gzipped (``.gz``; ember reads either).  ``download=True`` fills that folder:
for FashionMNIST first from the copy the Debian/Ubuntu package
``dataset-fashion-mnist`` installs in ``/usr/share/datasets/fashion-mnist``,
otherwise from the mirrors, each file checked against its MD5.

>>> ds = FashionMNIST("data", train=False, download=True,
...                   transform=transforms.ToTensor())      # doctest: +SKIP
>>> img, label = ds[0]; img.shape, ds.classes[label]      # doctest: +SKIP
(torch.Size([1, 28, 28]), 'Ankle boot')
"""
from __future__ import annotations

import gzip
import os
import struct
from ember._warnings import warn as _warn

import numpy as np

from ..._dtype import uint8
from ..._tensor import Tensor
from .. import _pil
from .utils import check_integrity, download_and_extract_archive, extract_archive
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "read_sn3_pascalvincent_tensor",
           "read_image_file", "read_label_file"]



def _network_errors() -> tuple:
    """Errors that mean "this mirror cannot be reached": try the next one."""
    import http.client
    import urllib.error

    return (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_: 28x28 grey digits, 60,000 train / 10,000 test.

    Args:
        root: directory holding ``MNIST/raw/`` (``~`` is expanded).
        train: the training split if True, else the test split.
        transform: applied to the image (a ``PIL.Image`` of mode ``'L'``).
        target_transform: applied to the label (an ``int``).
        download: fetch the files into ``root`` when they are missing.

    ``ds[i]`` is ``(image, label)``.  ``data`` (uint8, N x 28 x 28) and
    ``targets`` (int64, N) hold the whole split as tensors.  Without Pillow
    the image handed to ``transform`` is the H x W uint8 NumPy array, which
    ``ToTensor``/``PILToTensor`` convert to the same tensor as from the image.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]
    # Directories a system package installs the (gzipped) files into, tried
    # before the network; and how to get the data when offline.
    _system_dirs: tuple[str, ...] = ()
    _offline_hint = ""

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if self._check_legacy_exist():
            self.data, self.targets = self._load_legacy_data()
            return
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it. "
                               + self._where_hint())
        self.data, self.targets = self._load_data()

    # -- deprecated names (torchvision warns too) --------------------------------------
    @property
    def train_labels(self):
        _warn("train_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def test_labels(self):
        _warn("test_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def train_data(self):
        _warn("train_data has been renamed data", stacklevel=2)
        return self.data

    @property
    def test_data(self):
        _warn("test_data has been renamed data", stacklevel=2)
        return self.data

    # -- layout --------------------------------------------------------------------------
    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "processed")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _raw_file(self, name: str) -> str | None:
        """The unpacked file if present, else the gzipped one, else ``None``."""
        path = os.path.join(self.raw_folder, name)
        for candidate in (path, path + ".gz"):
            if check_integrity(candidate):
                return candidate
        return None

    def _check_exists(self) -> bool:
        return all(self._raw_file(os.path.splitext(f)[0]) is not None for f, _ in self.resources)

    def _where_hint(self, verb: str = "The files", where: str = "are looked for in") -> str:
        names = ", ".join(os.path.splitext(f)[0] for f, _ in self.resources)
        hint = f"{verb} {names} (or their .gz) {where} {self.raw_folder}."
        return hint + (" " + self._offline_hint if self._offline_hint else "")

    def _check_legacy_exist(self) -> bool:
        """Old torchvision saved ``processed/training.pt`` and ``test.pt``; they are still read."""
        return all(check_integrity(os.path.join(self.processed_folder, f))
                   for f in (self.training_file, self.test_file))

    def _load_legacy_data(self):
        import ember

        path = os.path.join(self.processed_folder,
                            self.training_file if self.train else self.test_file)
        return ember.load(path, weights_only=True)

    def _load_data(self):
        split = "train" if self.train else "t10k"
        data = read_image_file(self._raw_file(f"{split}-images-idx3-ubyte"))
        targets = read_label_file(self._raw_file(f"{split}-labels-idx1-ubyte"))
        if data.shape[0] != targets.shape[0]:
            raise RuntimeError(f"{self.raw_folder} holds {data.shape[0]} {split} images but "
                               f"{targets.shape[0]} labels")
        return data, targets

    # -- samples ---------------------------------------------------------------------------
    def __getitem__(self, index: int):
        """``(image, target)``: a ``PIL.Image`` (mode ``'L'``) and an ``int``, transformed."""
        img = _numpy_row(self.data, index)
        target = _numpy_row(self.targets, index)
        if target.size != 1:  # a slice or a list: ``int(targets[index])`` fails as a tensor's
            raise ValueError("only one element tensors can be converted to Python scalars")
        target = int(target.reshape(()))
        # NOTE: as torchvision, the raw sample is a PIL image so that every dataset hands
        # the same type to its transforms.
        if img.ndim == 3 and _pil.available():
            # ``ds[0:1]``: torchvision reads the bytes as an 'L' image of
            # shape[1] x shape[0] pixels (``Image.frombuffer``), a 28 x 1 strip
            image = _pil.image_module().frombuffer(
                "L", (img.shape[1], img.shape[0]), np.ascontiguousarray(img).tobytes(), "raw",
                "L", 0, 1)
            return self._apply_transforms(image, target)
        return self._apply_transforms(self._image_from_array(img), target)

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"

    # -- download --------------------------------------------------------------------------
    def download(self) -> None:
        """Fill ``raw_folder`` unless the files are there: system copy first, then the mirrors."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        if self._copy_from_system():
            return
        network_errors = _network_errors()
        for filename, md5 in self.resources:
            if self._raw_file(os.path.splitext(filename)[0]) is not None:
                continue
            errors = []
            for mirror in self.mirrors:
                url = f"{mirror}{filename}"
                try:
                    print(f"Downloading {url}")
                    download_and_extract_archive(url, download_root=self.raw_folder,
                                                 filename=filename, md5=md5)
                except network_errors as error:
                    print(f"Failed to download (trying next):\n{error}")
                    errors.append(f"{url}: {error}")
                    continue
                finally:
                    print()
                break
            else:
                raise RuntimeError(f"Error downloading {filename}: no mirror could be reached ("
                                   + "; ".join(errors) + "). To work offline, "
                                   + self._where_hint("put the files", "into"))

    def _copy_from_system(self) -> bool:
        """Unpack the files from a system package's directory that has them all, if any."""
        for directory in self._system_dirs:
            sources = [os.path.join(directory, f) for f, _ in self.resources]
            if not all(os.path.isfile(s) for s in sources):
                continue
            # NOTE: the Debian package recompressed the files, so their MD5s
            # differ from the mirrors'; the IDX headers and sizes are checked
            # when the data is read instead.
            print(f"Using the {type(self).__name__} files in {directory}")
            for source in sources:
                extract_archive(source, self.raw_folder)
            return True
        return False


def _numpy_row(data, index) -> np.ndarray:
    """``data[index]`` as a NumPy array, without building a tensor per sample."""
    if isinstance(data, Tensor):
        if isinstance(index, Tensor):  # (NumPy would take a 1-element tensor as an int)
            return data[index].cpu().numpy()
        if data.device.type == "cpu" and not data.requires_grad:
            try:
                return data.numpy()[index]
            except IndexError:  # NumPy's message speaks of an axis: the tensor's raises below
                pass
        return data[index].cpu().numpy()
    return np.asarray(data[index])


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: 28x28 grey clothes.

    Same arguments as :class:`MNIST`; files in ``root/FashionMNIST/raw``.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    _system_dirs = ("/usr/share/datasets/fashion-mnist",)
    _offline_hint = ("On Debian/Ubuntu, `apt-get install dataset-fashion-mnist` installs them "
                     "in /usr/share/datasets/fashion-mnist, which download=True uses without "
                     "a network.")


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_: 28x28 cursive Japanese, 10 classes.

    Same arguments as :class:`MNIST`; files in ``root/KMNIST/raw``.
    """

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


# -- IDX ("SN3 Pascal Vincent") files ---------------------------------------------------------

# type code -> big-endian element type, as the format stores them
_IDX_TYPES = {8: np.dtype(np.uint8), 9: np.dtype(np.int8), 11: np.dtype(">i2"),
              12: np.dtype(">i4"), 13: np.dtype(">f4"), 14: np.dtype(">f8")}


def _read_idx(path) -> np.ndarray:
    """An IDX file (gzipped or not) as a native-endian, writable NumPy array."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES or raw[3] < 1:
        raise ValueError(f"{path} is not an IDX file (magic number {raw[:4].hex()})")
    ndim = raw[3]
    offset = 4 + 4 * ndim
    dims = struct.unpack(f">{ndim}I", raw[4:offset])
    dtype = _IDX_TYPES[raw[2]]
    count = int(np.prod(dims))
    if len(raw) - offset != count * dtype.itemsize:
        raise ValueError(f"{path}: the header announces shape {tuple(dims)} "
                         f"({count * dtype.itemsize} bytes of data) but the file holds "
                         f"{len(raw) - offset} bytes")
    flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return flat.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


def read_sn3_pascalvincent_tensor(path, strict: bool = True) -> Tensor:
    """Read an IDX file ("SN3 Pascal Vincent" format, big-endian), gzipped or not, as a tensor.

    Type codes 8, 9, 11, 12, 13, 14 give uint8, int8, int16, int32, float32,
    float64 tensors.  A file whose size does not match its header is refused
    with ``ValueError`` (``strict`` is accepted for torchvision's signature).
    """
    from ..._ops.creation import from_numpy

    return from_numpy(_read_idx(path))


def read_label_file(path) -> Tensor:
    x = read_sn3_pascalvincent_tensor(path, strict=False)
    if x.dtype is not uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"x should have 1 dimension instead of {x.ndim}")
    return x.long()


def read_image_file(path) -> Tensor:
    x = read_sn3_pascalvincent_tensor(path, strict=False)
    if x.dtype is not uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {x.dtype}")
    if x.ndim != 3:
        raise ValueError(f"x should have 3 dimension instead of {x.ndim}")
    return x
