"""CIFAR-10 and CIFAR-100 in torchvision's on-disk layout.

``root/cifar-10-batches-py/`` holds the Python pickles ``data_batch_1`` ..
``data_batch_5``, ``test_batch`` and ``batches.meta``; ``root/cifar-100-python/``
holds ``train``, ``test`` and ``meta``.  ``download=True`` fills ``root`` from the
archive (``cifar-10-python.tar.gz`` / ``cifar-100-python.tar.gz``): one already in
``root`` with the right MD5 is unpacked without a network, otherwise it is
fetched from the University of Toronto and checked.

>>> ds = CIFAR10("data", train=False, download=True)     # doctest: +SKIP
>>> img, label = ds[0]; img.size, ds.classes[label]      # doctest: +SKIP
((32, 32), 'cat')
"""
from __future__ import annotations

import codecs
import os
import pickle

import numpy as np

from .utils import download_and_extract_archive
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]

_NOT_FOUND = "Dataset not found or corrupted. You can use download=True to download it"


def _numpy_reducers() -> dict:
    """The callables NumPy's own pickles of arrays and scalars name, by (module, name).

    Taken from ``__reduce__`` so that both the ``numpy.core`` spelling of old files
    and the ``numpy._core`` spelling of new ones resolve without importing the
    deprecated module.
    """
    rebuild_array = np.array(0).__reduce__()[0]
    rebuild_scalar = np.float64(0).__reduce__()[0]
    # _codecs.encode: how Python 3 writes bytes at pickle protocol 2
    found = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
             ("_codecs", "encode"): codecs.encode}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        found[(module, "_reconstruct")] = rebuild_array
        found[(module, "scalar")] = rebuild_scalar
    return found


class _BatchUnpickler(pickle.Unpickler):
    """Reads the batch files, refusing any callable but those that rebuild NumPy arrays.

    NOTE: torchvision calls ``pickle.load``, which would run whatever a tampered
    file asks for; the real files only need these few names.
    """

    _allowed = None

    def find_class(self, module, name):
        if _BatchUnpickler._allowed is None:
            _BatchUnpickler._allowed = _numpy_reducers()
        try:
            return _BatchUnpickler._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not expected in a CIFAR file") \
                from None


def _load_pickle(path) -> dict:
    with open(path, "rb") as f:
        # latin1: the files were written by Python 2 (byte strings become str)
        return _BatchUnpickler(f, encoding="latin1").load()


class CIFAR10(VisionDataset):
    """`CIFAR-10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 32x32 colour images, 10 classes.

    Args:
        root: directory holding ``cifar-10-batches-py/`` (``~`` is expanded).
        train: the 50,000 training images if True, else the 10,000 test images.
        transform: applied to the image (a ``PIL.Image`` of mode ``'RGB'``).
        target_transform: applied to the label (an ``int``).
        download: unpack or fetch the archive into ``root`` when the files are missing.

    ``data`` is the split as a uint8 array ``N x 32 x 32 x 3`` and ``targets`` a list of
    ints; ``classes`` and ``class_to_idx`` come from the metadata file.

    NOTE: torchvision checks the MD5 of every batch file on each load; ember
    checks that the files are there and that each one holds the arrays and
    labels a batch must (so a re-packed or cut-down copy also loads), and checks
    MD5s where it downloads.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [
        ["test_batch", "40351d587109b95175f43aff81a1287e"],
    ]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError(_NOT_FOUND)
        images, self.targets = [], []
        for name, _ in self.train_list if train else self.test_list:
            batch, labels = self._read_batch(os.path.join(self.root, self.base_folder, name))
            images.append(batch)
            self.targets.extend(labels)
        self.data = np.vstack(images).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))
        self._load_meta()

    def _read_batch(self, path):
        """``(uint8 rows of 3072, labels)`` of one batch file, or the not-found error."""
        try:
            entry = _load_pickle(path)
            labels = entry["labels"] if "labels" in entry else entry["fine_labels"]
            rows = np.asarray(entry["data"])
        except (OSError, EOFError, KeyError, TypeError, ValueError, pickle.UnpicklingError,
                AttributeError, IndexError) as error:
            raise RuntimeError(f"{_NOT_FOUND} ({path}: {error})") from error
        if rows.dtype != np.uint8 or rows.ndim != 2 or rows.shape[1] != 3 * 32 * 32 or (
                len(labels) != rows.shape[0]):
            raise RuntimeError(f"{_NOT_FOUND} ({path} holds data of shape {rows.shape} and "
                               f"type {rows.dtype} with {len(labels)} labels; a batch is "
                               "N x 3072 uint8 with N labels)")
        return rows, [int(label) for label in labels]

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        message = ("Dataset metadata file not found or corrupted. You can use download=True to "
                   "download it")
        if not os.path.isfile(path):
            raise RuntimeError(message)
        try:
            self.classes = list(_load_pickle(path)[self.meta["key"]])
        except (OSError, EOFError, KeyError, TypeError, ValueError,
                pickle.UnpicklingError) as error:
            raise RuntimeError(f"{message} ({path}: {error})") from error
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def __getitem__(self, index: int):
        """``(image, target)``: a ``PIL.Image`` (mode ``'RGB'``) and an ``int``, transformed."""
        img = self._image_from_array(self.data[index])
        return self._apply_transforms(img, self.targets[index])

    def __len__(self) -> int:
        return len(self.data)

    def _check_integrity(self) -> bool:
        folder = os.path.join(self.root, self.base_folder)
        return all(os.path.isfile(os.path.join(folder, name))
                   for name, _ in self.train_list + self.test_list)

    def download(self) -> None:
        """Unpack ``root/<filename>`` (fetching it first unless it is there with its MD5)."""
        if self._check_integrity():
            return
        from .mnist import _network_errors

        try:
            download_and_extract_archive(self.url, self.root, filename=self.filename,
                                         md5=self.tgz_md5)
        except _network_errors() as error:
            raise RuntimeError(
                f"Error downloading {self.url}: {error}. To work offline, put "
                f"{self.filename} (MD5 {self.tgz_md5}) or the unpacked {self.base_folder}/ "
                f"folder into {self.root}.") from error

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """`CIFAR-100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 100 fine classes.

    Same arguments as :class:`CIFAR10`; files in ``root/cifar-100-python``.  As
    torchvision, ``targets`` and ``classes`` are the fine labels (the files also hold
    20 coarse ones).
    """

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [
        ["train", "16019d7e3df5f24257cddd939b257f8d"],
    ]
    test_list = [
        ["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"],
    ]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
