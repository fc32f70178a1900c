"""Differential probes of the data pipeline (``utils.data`` and the MNIST datasets) against
PyTorch: cases the earlier sweeps (test_data_sweep.py, test_hunt_vision_data.py) missed."""
from __future__ import annotations

import gzip
import os
import pickle
import warnings

import numpy as np
import pytest

import ember
import ember.utils.data as edata

torch = pytest.importorskip("torch")
tdata = torch.utils.data

LIBS = {"ember": (ember, edata), "torch": (torch, tdata)}


def _norm(x):
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        return ("T", str(x.dtype).replace("torch.", ""), tuple(x.shape),
                np.asarray(x.detach().numpy()).tobytes())
    if isinstance(x, dict):
        return (type(x).__name__, {k: _norm(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_norm(v) for v in x])
    return x


def _run(fn, lib):
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = _norm(fn(*lib))
        return "ok", out, [(x.category.__name__, str(x.message)) for x in w]
    except Exception as e:
        return "raised", type(e).__name__, str(e).replace("ember.", "torch.")


def both(fn):
    assert _run(fn, LIBS["ember"]) == _run(fn, LIBS["torch"])


class Ints:
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return i

    def __len__(self):
        return self.n


# -- datasets and loaders ------------------------------------------------------------------------

def test_concat_dataset_cummulative_sizes_warns_as_torch():
    both(lambda L, D: D.ConcatDataset([Ints(2), Ints(3)]).cummulative_sizes)


def test_loader_iterator_pickling_error():
    both(lambda L, D: pickle.dumps(iter(D.DataLoader(Ints(5), batch_size=2))))


@pytest.mark.parametrize("name", ["DataLoader", "Subset", "ConcatDataset", "StackDataset",
                                  "DistributedSampler", "Dataset", "IterableDataset",
                                  "Sampler", "TensorDataset", "SequentialSampler",
                                  "BatchSampler", "RandomSampler"])
def test_generic_subscripts(name):
    # annotations such as ``loader: DataLoader[tuple[Tensor, int]]`` are evaluated at def time
    def fn(L, D):
        return getattr(D, name)[int].__name__ if hasattr(getattr(D, name)[int], "__name__") \
            else type(getattr(D, name)[int]).__name__
    both(fn)


@pytest.mark.parametrize("device", ["", "cpu", "cuda"])
def test_pin_memory_device_is_deprecated(device):
    def fn(L, D):
        return list(D.DataLoader(Ints(3), batch_size=2, pin_memory=True, pin_memory_device=device))
    both(fn)


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("grow", [0, 1, 2, 5])
def test_distributed_sampler_after_the_dataset_grew(drop_last, grow):
    def fn(L, D):
        data = list(range(5))
        s = D.DistributedSampler(data, 2, 1, drop_last=drop_last)
        data.extend([9] * grow)
        return len(s), list(s)
    both(fn)


@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_default_collate_refuses_sparse_tensors(layout):
    def fn(L, D):
        x = L.eye(2).to_sparse() if layout == "coo" else L.eye(2).to_sparse_csr()
        return D.default_collate([x, x])
    both(fn)


@pytest.mark.parametrize("case", ["list", "nested", "dtype", "lone_dtype", "to_int64", "collate"])
def test_numpy_uint64_scalars_into_uint64_tensors(case):
    def fn(L, D):
        u = np.uint64
        return {"list": lambda: L.tensor([u(1), u(2)]),
                "nested": lambda: L.as_tensor([[u(1)]]),
                "dtype": lambda: L.tensor([u(1)], dtype=L.uint64),
                "lone_dtype": lambda: L.tensor(u(1), dtype=L.uint64),
                "to_int64": lambda: L.tensor([u(1), u(2)], dtype=L.int64),
                "collate": lambda: D.default_collate([u(1), u(2)])}[case]()
    both(fn)


@pytest.mark.parametrize("seed,wid", [(0, 0), (123456789012, 1), (2**64 - 1, 7)])
def test_private_names_libraries_import(seed, wid):
    from ember.utils.data._utils import collate as ec, fetch as ef, worker as ew
    from torch.utils.data._utils import collate as tc, fetch as tf, worker as tw
    assert ew._generate_state(seed, wid) == tw._generate_state(seed, wid)
    assert ec.np_str_obj_array_pattern.pattern == tc.np_str_obj_array_pattern.pattern

    def fn(L, D):
        mod = ef if L is ember else tf
        f = mod._MapDatasetFetcher(Ints(5), True, D.default_collate, False)
        return f.fetch([3, 1]), isinstance(f, mod._BaseDatasetFetcher)
    both(fn)


@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 0), (1, 0), (0, 3)])
@pytest.mark.parametrize("n,replacement", [(1, True), (3, True), (1, False), (2, False)])
def test_multinomial_without_categories_or_distributions(shape, n, replacement):
    def fn(L, D):
        L.manual_seed(0)
        try:
            out = L.multinomial(L.ones(shape, dtype=L.float64), n, replacement)
        except RuntimeError as e:
            out = str(e)
        return out, L.rand(2)
    both(fn)


@pytest.mark.parametrize("replacement", [True, False])
def test_weighted_sampler_with_no_weights(replacement):
    def fn(L, D):
        L.manual_seed(0)
        return list(D.WeightedRandomSampler([], 3, replacement=replacement))
    both(fn)


@pytest.mark.parametrize("case", ["collate_int", "collate_int8", "int_list", "int64", "uint8",
                                  "lone", "nested", "float", "bool", "complex", "with_bool"])
def test_numpy_bools_into_integer_tensors(case):
    def fn(L, D):
        t = np.True_
        return {"collate_int": lambda: D.default_collate([t, 2, t]),
                "collate_int8": lambda: D.default_collate([t, np.int8(2)]),
                "int_list": lambda: L.tensor([1, t]),
                "int64": lambda: L.as_tensor([t], dtype=L.int64),
                "uint8": lambda: L.tensor([t], dtype=L.uint8),
                "lone": lambda: L.tensor(t, dtype=L.int32),
                "nested": lambda: L.tensor([[t], [2]]),
                "float": lambda: L.tensor([t, 1.5]),
                "bool": lambda: L.tensor([t, True]),
                "complex": lambda: L.tensor([t], dtype=L.complex64),
                "with_bool": lambda: D.default_collate([t, np.False_])}[case]()
    both(fn)


@pytest.mark.parametrize("leaf", ["f", "i", "b", "h", "u8", "f0", "f2", "i2", "b2"])
@pytest.mark.parametrize("dtype", ["int64", "int8", "bool", "float32", "complex64", "uint8", None])
def test_tensor_leaves_of_a_new_tensor(leaf, dtype):
    # a float/complex target takes float() of each tensor leaf, an integer or bool target its
    # __index__ (so a float tensor is refused there even with one element)
    def fn(L, D):
        t = {"f": lambda: L.tensor([1.5]), "i": lambda: L.tensor([2]),
             "b": lambda: L.tensor([True]), "h": lambda: L.tensor([1.5], dtype=L.float16),
             "u8": lambda: L.tensor([3], dtype=L.uint8), "f0": lambda: L.tensor(2.5),
             "f2": lambda: L.tensor([1.5, 2.0]), "i2": lambda: L.tensor([1, 2]),
             "b2": lambda: L.tensor([True, False])}[leaf]()
        return L.tensor([t], dtype=getattr(L, dtype) if dtype else None)
    both(fn)


@pytest.mark.parametrize("arr", ["f0", "i0", "b0", "c0", "f1", "i1", "u80", "f21"])
@pytest.mark.parametrize("dtype", ["int64", "bool", "float32", "complex64", None])
@pytest.mark.parametrize("lead", [(), (1,), (1.5,)])
def test_numpy_array_leaves_of_a_new_tensor(arr, dtype, lead):
    # an array where a number belongs: complex(), float() or operator.index() of it
    def fn(L, D):
        a = {"f0": np.array(1.5), "i0": np.array(2), "b0": np.array(True), "c0": np.array(1 + 0j),
             "f1": np.array([1.5]), "i1": np.array([2]), "u80": np.array(3, dtype=np.uint8),
             "f21": np.ones((2, 1))}[arr]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the list-of-arrays warning is once per process)
            return L.tensor([*lead, a], dtype=getattr(L, dtype) if dtype else None)
    both(fn)


def test_collate_numpy_scalar_then_tensor():
    both(lambda L, D: D.default_collate([np.float32(1), L.ones(1, 2, dtype=L.int64)]))


# -- workers -------------------------------------------------------------------------------------

class ThreadProbe:
    """Per sample: the worker's thread count, process name and a float32 reduction (whose bits
    depend on how many threads split it)."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 2

    def __getitem__(self, i):
        import multiprocessing
        L, _ = LIBS[self.lib]
        g = L.Generator().manual_seed(i)
        x = L.randn(300000, generator=g)
        name = multiprocessing.current_process().name.rstrip("0123456789")
        return (L.get_num_threads(), name, x.sum().item(),
                x.view(300, 1000).sum(1)[:3].tolist())


def test_workers_run_one_thread_and_are_named_as_torch():
    def fn(L, D):
        return list(D.DataLoader(ThreadProbe("ember" if L is ember else "torch"),
                                 batch_size=None, num_workers=1))
    both(fn)


@pytest.mark.parametrize("case", ["stacked", "sample", "custom", "empty", "dtypes"])
def test_worker_results_arrive_in_shared_memory(case):
    def fn(L, D):
        data, kw = {
            "stacked": (L.arange(6.).view(3, 2), dict(batch_size=2)),
            "sample": (L.arange(6.).view(3, 2), dict(batch_size=None)),
            "custom": ([L.zeros(2), L.ones(2)], dict(batch_size=2, collate_fn=lambda b: b)),
            "empty": ([L.zeros(0), L.zeros(0)], dict(batch_size=2)),
            "dtypes": ([(L.tensor(1.5, dtype=L.float16), L.tensor([True]), L.tensor(1j))] * 2,
                       dict(batch_size=2)),
        }[case]
        out = list(D.DataLoader(data, num_workers=1, **kw))
        flat = [t for b in out for t in (b if isinstance(b, list) else [b])]
        return out, [(t.is_shared(), t.untyped_storage().is_shared()) for t in flat]
    both(fn)


class GradSamples:
    """Samples that require grad: leaves (``leaf``) or results of an operation."""

    def __init__(self, leaf):
        self.leaf = leaf

    def __len__(self):
        return 2

    def __getitem__(self, i):
        x = ember.ones(2, requires_grad=True)
        return x if self.leaf else x * i


def test_worker_refuses_non_leaf_tensors_that_require_grad():
    # PyTorch's queue refuses them (its loader then hangs); the message is its reduction's
    from torch.multiprocessing.reductions import reduce_tensor
    with pytest.raises(RuntimeError) as want:
        reduce_tensor(torch.ones(2, requires_grad=True) * 2)
    for leaf, bs in [(False, None), (True, 2)]:
        with pytest.raises(RuntimeError) as got:
            list(edata.DataLoader(GradSamples(leaf), batch_size=bs, num_workers=1))
        lines = str(got.value).splitlines()
        assert lines[0] == ("Caught RuntimeError in DataLoader worker process 0 (while pickling "
                            "its result).")
        assert lines[-1] == f"RuntimeError: {want.value}"
    # leaves pass, still requiring grad (as in PyTorch)
    out = list(edata.DataLoader(GradSamples(True), batch_size=None, num_workers=1))
    assert [(x.requires_grad, x.is_leaf) for x in out] == [(True, True)] * 2


# -- MNIST ---------------------------------------------------------------------------------------

_FASHION = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(scope="module")
def fashion_root(tmp_path_factory):
    if not os.path.isdir(_FASHION):
        pytest.skip("FashionMNIST files not installed")
    root = tmp_path_factory.mktemp("fm")
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        with gzip.open(os.path.join(_FASHION, name)) as f:
            (raw / name[:-3]).write_bytes(f.read())
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (raw / name).write_bytes(b"")  # present, not read for the test split
    return str(root)


def _torchvision_item(data, targets, index):
    """torchvision's ``MNIST.__getitem__`` on real torch tensors (PIL image, int)."""
    from PIL import Image
    img, target = data[index], int(targets[index])
    arr = img.numpy()
    if arr.ndim == 2:
        return Image.fromarray(arr), target
    # torchvision's _Image_fromarray(mode="L"): the bytes as a shape[1] x shape[0] image
    return Image.frombuffer("L", (arr.shape[1], arr.shape[0]), arr.tobytes(), "raw", "L", 0,
                            1), target


@pytest.mark.parametrize("index", [3, -1, [3], slice(0, 1), slice(0, 2), [], True, "t1", "t0",
                                   "tb0", "tu8", "ti32", "tmask"])
def test_mnist_getitem_index_kinds(fashion_root, index):
    pytest.importorskip("PIL")
    import ember.vision as ev
    d = ev.datasets.FashionMNIST(fashion_root, train=False)
    data = torch.from_numpy(d.data.numpy().copy())
    targets = torch.from_numpy(d.targets.numpy().copy())
    mask = [False] * 10000
    mask[7] = True
    idx = {"t1": ([3], None), "t0": (4, None), "tb0": (True, None), "tu8": (5, "uint8"),
           "ti32": (5, "int32"), "tmask": (mask, None)}.get(index) \
        if isinstance(index, str) else None

    def run(get, L):
        i = L.tensor(idx[0], dtype=getattr(L, idx[1]) if idx[1] else None) if idx else index
        try:
            img, y = get(i)
            return "ok", img.mode, img.size, img.tobytes(), y, type(y).__name__
        except Exception as e:
            return "raised", type(e).__name__, str(e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = run(lambda i: d[i], ember)
        want = run(lambda i: _torchvision_item(data, targets, i), torch)
    assert got == want


@pytest.mark.parametrize("key", ["get", "get_col", "get_ellipsis", "set", "set_tensor", "get_1d"])
def test_zero_dim_uint8_index_does_not_warn(key):
    def fn(L, D):
        x = L.arange(6).view(3, 2)
        b = L.tensor(1 if key != "get_1d" else [1, 0, 1], dtype=L.uint8)
        out = {"get": lambda: x[b], "get_col": lambda: x[b, 0], "get_ellipsis": lambda: x[..., b],
               "set": lambda: x.__setitem__(b, 5),
               "set_tensor": lambda: x.__setitem__(b, L.zeros(3, 2, dtype=L.long)),
               "get_1d": lambda: x[b]}[key]()
        return out, x
    assert _run(fn, LIBS["ember"]) == _run(fn, LIBS["torch"])
