"""Corners found by a differential hunt over "Learn the Basics"-style scripts (tensors, the
NumPy bridge, datasets, training loops, save/load): each snippet runs on ember and on
PyTorch, and what a user sees (values, exceptions, warnings) must agree."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

NUMPY2 = int(np.__version__.split(".")[0]) >= 2


def _seen(fn, lib):
    """(result repr or exception, [(category, message)]) of ``fn(lib)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = repr(fn(lib))
        except Exception as exc:  # noqa: BLE001 - the exception is the result compared
            result = (type(exc).__name__, str(exc).splitlines()[0])
    return result, [(w.category.__name__, str(w.message).split(" (Triggered internally")[0])
                    for w in caught]


def _same(fn):
    assert _seen(fn, ember) == _seen(fn, torch)


# NumPy 2 calls ``__array__(copy=...)`` and ``__array_wrap__(arr, context, return_scalar)``;
# PyTorch's take neither, so NumPy warns (DeprecationWarning) and calls them again without.
BRIDGE = {
    "np_array": lambda T: np.array(T.arange(3.)),
    "np_array_copy_true": lambda T: np.array(T.ones(2), copy=True),
    "np_array_copies": lambda T: (lambda t: (np.array(t).__setitem__(0, 9), t)[1])(T.ones(2)),
    "np_array_copy_false": lambda T: np.array(T.ones(2), copy=False),
    "np_array_dtype": lambda T: np.array(T.ones(2), dtype=np.float64),
    "np_asarray": lambda T: np.asarray(T.arange(3)),
    "np_ufunc": lambda T: np.exp(T.zeros(2)),
    "np_ufunc_int": lambda T: np.sqrt(T.tensor([4, 9])),
    "tensor_plus_ndarray": lambda T: T.tensor([1, 2]) + np.array([1, 1]),
    "float32_times_float64_array": lambda T: T.ones(2) * np.ones(2),
    "np_stack_tensors": lambda T: np.stack([T.ones(2), T.zeros(2)]),
    "np_array_requires_grad": lambda T: np.array(T.ones(2, requires_grad=True)),
}


@pytest.mark.skipif(not NUMPY2, reason="the warnings are NumPy 2's")
@pytest.mark.parametrize("name", sorted(BRIDGE))
def test_numpy_bridge_warnings(name):
    _same(BRIDGE[name])


def test_numpy_bridge_warning_points_at_user_line():
    def run(T):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            np.array(T.ones(2))
            np.exp(T.ones(2))
        return [(w.category, w.filename, w.lineno - caught[0].lineno) for w in caught]
    assert run(ember) == run(torch)


def test_ember_internal_numpy_calls_stay_silent():
    # ember's own code converting tensors with NumPy must not warn (PyTorch's C++ doesn't)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = ember.utils.data.TensorDataset(ember.arange(6.).view(3, 2), ember.arange(3))
        xb, yb = next(iter(ember.utils.data.DataLoader(ds, batch_size=3)))
        assert xb.shape == (3, 2) and yb.tolist() == [0, 1, 2]


# NumPy's reductions call the tensor's method with ``axis=`` and ``out=None``: PyTorch's
# methods take no ``out=``, so ``np.sum(t)`` raises a TypeError (``torch.sum(t, 0, out=None)``
# is fine).
REDUCE = ["sum", "mean", "max", "min", "prod", "std", "var", "any", "all", "amax", "argmax",
          "cumsum"]


@pytest.mark.parametrize("name", REDUCE)
def test_numpy_reduction_on_tensor_raises(name):
    def run(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                getattr(np, name)(T.arange(6.).reshape(2, 3))
            except TypeError:
                return "TypeError"
            return "no error"
    assert run(ember) == run(torch)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "any", "std", "norm", "logsumexp",
                                  "cumsum", "max", "argmax", "median", "count_nonzero"])
def test_reduction_method_rejects_out(name):
    def run(T):
        t = T.arange(6.).reshape(2, 3)
        try:
            getattr(t, name)(1, out=None)
        except TypeError:
            return "TypeError"
        return "no error"
    assert run(ember) == run(torch)


def test_numpy_sum_message_names_axis():
    def run(T):
        try:
            np.sum(T.ones(2))
        except TypeError as e:
            return str(e)
    assert run(ember) == run(torch)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "std", "any", "cumsum"])
def test_reduction_functions_still_take_out_none_and_axis(name):
    def run(T):
        t = T.arange(6.).reshape(2, 3)
        r = getattr(T, name)(t, 1, out=None)
        return r.tolist(), getattr(t, name)(axis=1).tolist()
    assert run(ember) == run(torch)


def test_pretrained_weights_offline_raise_urlerror(tmp_path, monkeypatch):
    # torchvision (0.29) lets urllib's URLError (an OSError) through when the weights can't
    # be downloaded: ``except URLError``/``except OSError`` must catch ember's too, which
    # stays a RuntimeError that names the file to copy
    import urllib.error

    from ember.vision import models

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))

    def offline(url, timeout=60.0):
        raise urllib.error.URLError("network disabled in the tests")

    monkeypatch.setattr(models._api, "_urlopen", offline)
    with pytest.raises(urllib.error.URLError) as err:
        models.resnet18(weights="IMAGENET1K_V1")
    assert type(err.value).__name__ == "URLError"
    assert isinstance(err.value, (OSError, RuntimeError))
    assert err.value.reason == "network disabled in the tests"
    assert "resnet18-f37072fd.pth" in str(err.value)


def _tiny_fashion_mnist(root, n=3):
    import struct

    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.arange(n * 28 * 28, dtype=np.uint8).reshape(n, 28, 28)
    for split in ("train", "t10k"):
        (raw / f"{split}-images-idx3-ubyte").write_bytes(
            struct.pack(">iiii", 0x803, n, 28, 28) + images.tobytes())
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(
            struct.pack(">ii", 0x801, n) + np.arange(n, dtype=np.uint8).tobytes())


@pytest.mark.parametrize("index", [3, -4, 10 ** 12])
def test_dataset_index_out_of_range_message(tmp_path, index):
    # torchvision indexes its uint8 data tensor: PyTorch's IndexError text ("dimension"),
    # not NumPy's ("axis")
    pytest.importorskip("PIL")
    _tiny_fashion_mnist(tmp_path)
    ds = ember.vision.datasets.FashionMNIST(str(tmp_path), train=False)
    assert ds[-1][1] == 2
    with pytest.raises(IndexError) as err:
        ds[index]
    with pytest.raises(IndexError) as want:
        torch.zeros(3, 28, 28, dtype=torch.uint8)[index]
    assert str(err.value) == str(want.value)


# A str is a sequence whose items are sequences: PyTorch reads ``t["a"]`` (and ``t[["a"]]``)
# as a tuple key, with its deprecation warning, then refuses the str item.
@pytest.mark.parametrize("key", ["a", "ab", ["a"], ("a",), "", [0, "a"]],
                         ids=["str", "str2", "list_str", "tuple_str", "empty", "list_int_str"])
@pytest.mark.parametrize("op", ["get", "set"])
def test_str_index_reads_as_sequence(key, op):
    def run(T):
        t = T.arange(12).view(3, 4)
        if op == "get":
            return t[key]
        t[key] = -1
        return t
    _same(run)


@pytest.mark.parametrize("key", ["a", ["a"], [[0, 1]]], ids=["str", "list_str", "list_list"])
def test_sequence_key_under_warnings_as_errors(key):
    # PyTorch's error for the str item wins over its warning; a key that works raises the warning
    def run(T):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                T.arange(12).view(3, 4)[key]
            except Exception as exc:  # noqa: BLE001 - the exception is the result compared
                return type(exc).__name__
    assert run(ember) == run(torch)
