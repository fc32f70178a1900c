"""Differential fuzzing of torch.utils.data configurations (DataLoader over map-style and
iterable datasets, samplers, random_split, collation) against PyTorch 2.13, and the places
its warnings are attributed to."""
from __future__ import annotations

import collections
import os
import random
import warnings

import numpy as np
import pytest

import ember
import ember.utils.data  # noqa: F401 - lib.utils.data below

torch = pytest.importorskip("torch")
tdata = torch.utils.data

Pt = collections.namedtuple("Pt", "x y")


def _show(lib, b):
    if isinstance(b, lib.Tensor):
        return "T", str(b.dtype).split(".")[-1], tuple(b.shape), b.tolist()
    if isinstance(b, dict):
        return "dict", [(k, _show(lib, v)) for k, v in b.items()]
    if isinstance(b, tuple) and hasattr(b, "_fields"):
        return type(b).__name__, [_show(lib, v) for v in b]
    if isinstance(b, (list, tuple)):
        return type(b).__name__, [_show(lib, v) for v in b]
    if isinstance(b, np.ndarray):
        return "np", str(b.dtype), b.tolist()
    return type(b).__name__, b


def _item(lib, i, kind):
    if kind == 0:
        return lib.tensor([i, i * 2.5])
    if kind == 1:
        return {"a": i, "b": {"c": i / 3, "d": np.array([i, i + 1], np.int32)}, "s": f"s{i}"}
    if kind == 2:
        return lib.full((2,), i, dtype=lib.int16), Pt(i, [i, -i])
    if kind == 3:
        return np.float64(i) * 1.5
    if kind == 4:
        return [True, i % 2 == 0]
    return i


def _dataset(lib, which, n, kind, rng):
    data = lib.utils.data

    class DS(data.Dataset):
        def __init__(self, m):
            self.m = m

        def __len__(self):
            return self.m

        def __getitem__(self, i):
            return _item(lib, i, kind)

    class IDS(data.IterableDataset):
        def __init__(self, m):
            self.m = m

        def __iter__(self):
            return iter(range(self.m))

    if which == 0:
        return DS(n)
    if which == 1:
        return data.TensorDataset(lib.arange(n), lib.arange(n * 2.0).view(n, 2))
    if which == 2:
        return data.Subset(DS(n + 3), rng.sample(range(n + 3), n))
    if which == 3:
        return data.ConcatDataset([DS(n), DS(rng.randint(1, 4))])
    if which == 4:
        return data.StackDataset(a=DS(n), b=list(range(n)))
    return data.ChainDataset([IDS(n), IDS(2)]) if rng.random() < 0.5 else IDS(n)


def _fuzz_run(lib, trial):
    """One random configuration (drawn from ``trial`` alone, so the same for both libraries):
    the batches of two epochs, ``len`` and the global generator's next draw."""
    rng = random.Random(trial)
    data = lib.utils.data
    n, kind, which = rng.randint(1, 11), rng.randint(0, 5), rng.randint(0, 5)
    ds = _dataset(lib, which, n, kind, rng)
    kw = {"batch_size": rng.choice([None, 1, 2, 3, 5, 16])}
    iterable = which == 5
    if not iterable and kw["batch_size"] is not None and rng.random() < 0.4:
        kw["shuffle"] = True
    if kw["batch_size"] is not None and rng.random() < 0.3:
        kw["drop_last"] = True
    if not iterable and "shuffle" not in kw:
        sm = rng.randint(0, 5)
        if sm == 1:
            kw["sampler"] = data.RandomSampler(ds, replacement=rng.random() < 0.5,
                                               num_samples=rng.choice([None, 3, 40]))
        elif sm == 2:
            kw["sampler"] = data.WeightedRandomSampler([rng.random() for _ in range(len(ds))],
                                                       rng.randint(1, 5), replacement=True)
        elif sm == 3 and kw["batch_size"] is not None:
            kw = {"batch_sampler": data.BatchSampler(data.RandomSampler(ds), rng.randint(1, 3),
                                                     rng.random() < 0.5)}
        elif sm == 4:
            kw["sampler"] = data.SubsetRandomSampler(list(range(0, len(ds), 2)))
    if rng.random() < 0.4:
        kw["generator"] = lib.Generator().manual_seed(rng.randint(0, 100))
    lib.manual_seed(rng.randint(0, 1000))
    try:
        dl = data.DataLoader(ds, **kw)
        out = [len(dl) if not iterable else None]
        for _ in range(2):
            out.append([_show(lib, b) for b in dl])
        out.append(lib.rand(1).item())
    except Exception as e:  # noqa: BLE001 - the exception is the result
        return type(e).__name__, str(e)
    return out


@pytest.mark.parametrize("chunk", range(4))
def test_fuzzed_dataloader_configurations_match(chunk):
    for trial in range(chunk * 40, chunk * 40 + 40):
        assert _fuzz_run(ember, trial) == _fuzz_run(torch, trial), trial


def _sampler_run(lib, trial):
    rng = random.Random(1000 + trial)
    data = lib.utils.data
    n, k, seed = rng.randint(1, 70), rng.randint(0, 3), rng.randint(0, 10**6)
    lib.manual_seed(seed)
    g = lib.Generator().manual_seed(seed + 1) if rng.random() < 0.5 else None
    if k == 0:
        s = data.RandomSampler(range(n), replacement=rng.random() < 0.5,
                               num_samples=rng.choice([None, 1, 32, 33, 65]), generator=g)
    elif k == 1:
        s = data.WeightedRandomSampler([rng.random() for _ in range(n)], rng.randint(1, n),
                                       replacement=rng.random() < 0.5, generator=g)
    elif k == 2:
        s = data.SubsetRandomSampler(rng.sample(range(100), min(n, 50)), generator=g)
    else:
        lengths = rng.choice([[0.5, 0.5], [0.2, 0.3, 0.5], [n // 2, n - n // 2]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parts = data.random_split(range(n), lengths, generator=g or lib.default_generator)
        return [list(p.indices) for p in parts], lib.rand(1).item()
    return list(s), list(s), len(s), lib.rand(1).item()


def test_fuzzed_samplers_and_random_split_match():
    for trial in range(120):
        assert _sampler_run(ember, trial) == _sampler_run(torch, trial), trial


# -- where the DataLoader's own warnings are attributed --------------------------------------

class _Four:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return i


def _warning_places(lib, make):
    """(message start, file is the library's) of each warning shown under the default filter,
    which shows one per location: PyTorch's DataLoader warns from lines of its own, so two
    loaders made on two user lines warn once."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("default")
        make(lib)
    return [(str(x.message)[:40], os.path.abspath(x.filename) != os.path.abspath(__file__))
            for x in w]


def _pin_twice(lib):
    list(lib.utils.data.DataLoader(_Four(), batch_size=2, pin_memory=True))
    list(lib.utils.data.DataLoader(_Four(), batch_size=2, pin_memory=True))
    list(lib.utils.data.DataLoader(_Four(), batch_size=2, pin_memory=True,
                                   pin_memory_device="cpu"))


def _too_many_workers(lib):
    n = len(os.sched_getaffinity(0)) + 1
    lib.utils.data.DataLoader(_Four(), batch_size=2, num_workers=n)
    lib.utils.data.DataLoader(_Four(), batch_size=2, num_workers=n)


@pytest.mark.skipif(torch.cuda.is_available(), reason="the warning is for machines without one")
def test_pin_memory_warnings_are_attributed_to_the_library():
    want = _warning_places(torch, _pin_twice)
    assert len(want) == 2 and all(lib_file for _, lib_file in want)
    assert _warning_places(ember, _pin_twice) == want


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs sched_getaffinity")
def test_worker_count_warning_is_attributed_to_the_library():
    want = _warning_places(torch, _too_many_workers)
    assert len(want) == 1 and want[0][1]
    assert _warning_places(ember, _too_many_workers) == want


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_workers_set_after_construction_fail_on_prefetch_factor_none():
    def run(lib):
        dl = lib.utils.data.DataLoader(_Four(), batch_size=2)
        dl.num_workers = 1
        try:
            iter(dl)
        except Exception as e:  # noqa: BLE001 - the exception is the result
            return type(e).__name__, str(e)

    want = run(torch)  # (PyTorch's half-made iterator then complains on deletion)
    assert want[0] == "TypeError"
    assert run(ember) == want


@pytest.mark.parametrize("name", ["pin_memory", "is_pinned"])
def test_pin_device_argument_warning_names_the_cpp_source(name):
    def run(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                getattr(lib.ones(2), name)("cpu")
            except RuntimeError as e:
                out = str(e)
            else:
                out = None
        return out, [(x.category.__name__, str(x.message)) for x in w]

    assert run(ember) == run(torch)


class _Batch:
    """A custom batch type with its own ``pin_memory`` (the documented memory-pinning hook)."""

    def __init__(self, v):
        self.v = v

    def pin_memory(self):
        return f"pinned{self.v}"


def test_pin_memory_helper_rebuilds_containers_as_pytorch():
    from torch.utils.data._utils.pin_memory import pin_memory as tpin

    from ember.utils.data._utils.pin_memory import pin_memory as epin

    def cases():
        return [{"a": _Batch(1), "b": [_Batch(2), "s", b"x", 3, (_Batch(3), 4)]},
                Pt(_Batch(1), [_Batch(2)]), range(3), collections.OrderedDict(a=_Batch(4)),
                collections.deque([_Batch(5)]), 5, None]

    for want, got in zip(map(tpin, cases()), map(epin, cases())):
        assert (type(got), repr(got)) == (type(want), repr(want))
    with pytest.raises(RuntimeError) as te:
        tpin(torch.ones(1))
    with pytest.raises(RuntimeError) as ee:
        epin(ember.ones(1))
    assert str(ee.value) == str(te.value)


def test_subclass_attribute_named_initialized_does_not_unfreeze_the_loader():
    def run(lib):
        class MyDL(lib.utils.data.DataLoader):
            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                self._initialized = False  # the subclass's own attribute

        dl = MyDL(range(3))
        try:
            dl.batch_size = 5
        except ValueError as e:
            return str(e), sorted(vars(dl))
        return "ok", sorted(vars(dl))

    want = run(torch)
    assert want[0] == "batch_size attribute should not be set after MyDL is initialized"
    assert run(ember) == want
