"""ember.utils.data against torch.utils.data: the same code runs on both libraries
and must give the same batches (values, dtypes, shapes, container types), the
same shuffling for a seed (including what it consumes from the default
generator), and the same exceptions."""
from __future__ import annotations

import collections
import gc
import os
import random
import signal
import time
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

LIBS = {"ember": ember, "torch": torch}
Point = collections.namedtuple("Point", "x y")


class MyList(list):
    pass


def plain(x):
    """A comparable picture of a result: tensors become (dtype, shape, values), and
    containers keep their type name."""
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, np.ndarray):
        return ("np", x.dtype.str, x.shape, x.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, [(k, plain(v)) for k, v in x.items()])
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, tuple(plain(v) for v in x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    if isinstance(x, (ember.utils.data.Subset, torch.utils.data.Subset)):
        return ("Subset", list(x.indices))
    return (type(x).__name__, x)


def outcome(fn, T, message=True):
    try:
        return ("ok", plain(fn(T)))
    except Exception as e:  # noqa: BLE001 - the exception is the result
        return ("raised", type(e).__name__, str(e) if message else "")


def same(fn, message=True):
    """Run ``fn(lib)`` on ember and on torch; results (or exceptions) must agree."""
    e = outcome(fn, ember, message)
    t = outcome(fn, torch, message)
    assert e == t
    return e


def rng_tail(T):
    """What the default generator gives next: shows how much each library consumed."""
    return T.rand(3).tolist() + [T.randint(0, 1 << 40, (2,)).tolist()]


# --------------------------------------------------------------------------
# datasets
# --------------------------------------------------------------------------

class Squares:
    """A map-style dataset usable by both libraries (no base class needed)."""

    def __init__(self, n=7):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"i": i, "sq": float(i * i), "even": i % 2 == 0, "name": f"s{i}",
                "arr": np.arange(3, dtype=np.float32) * i, "np": np.int16(i),
                "pair": (i, np.float64(i) / 2), "pt": Point(i, [i, -i])}


def stream_class(T, n=7, with_len=True):
    base = T.utils.data.IterableDataset

    class Stream(base):
        def __iter__(self):
            info = T.utils.data.get_worker_info()
            if info is None:
                return iter(range(n))
            return iter(range(info.id, n, info.num_workers))

        if with_len:
            def __len__(self):
                return n

    return Stream()


def test_tensor_dataset_batches():
    def run(T):
        x = T.arange(30.0).view(10, 3)
        y = T.arange(10) % 3
        ds = T.utils.data.TensorDataset(x, y)
        out = [ds[4], len(ds)]
        for bs, drop in [(1, False), (3, False), (3, True), (10, True), (4, False)]:
            loader = T.utils.data.DataLoader(ds, batch_size=bs, drop_last=drop)
            out.append([len(loader), list(loader)])
        return out
    same(run)
    same(lambda T: T.utils.data.TensorDataset(T.zeros(3), T.zeros(4)))


def test_map_dataset_nested_batches():
    def run(T):
        return list(T.utils.data.DataLoader(Squares(), batch_size=3))
    same(run)


def test_batch_size_none_and_custom_collate():
    def run(T):
        D = T.utils.data
        out = [list(D.DataLoader(Squares(3), batch_size=None))]
        out.append(list(D.DataLoader(stream_class(T, 4), batch_size=None)))
        out.append(list(D.DataLoader(Squares(4), batch_size=2, collate_fn=lambda b: len(b))))
        out.append(len(D.DataLoader(Squares(5), batch_size=None)))
        return out
    same(run)


def test_iterable_dataset_batches_and_len():
    def run(T):
        D = T.utils.data
        out = []
        for bs, drop in [(2, False), (2, True), (7, True), (8, False), (8, True)]:
            loader = D.DataLoader(stream_class(T), batch_size=bs, drop_last=drop)
            out.append([len(loader), list(loader)])
        chain = D.ChainDataset([stream_class(T, 2), stream_class(T, 3)])
        out.append([len(chain), list(chain), list(stream_class(T, 2) + stream_class(T, 1))])
        return out
    same(run)
    same(lambda T: len(T.utils.data.DataLoader(stream_class(T, with_len=False))), message=False)


def test_iterable_dataset_longer_than_len_warns():
    for T in LIBS.values():
        liar = type("Liar", (T.utils.data.IterableDataset,),
                    {"__iter__": lambda s: iter(range(3)), "__len__": lambda s: 1})()
        loader = T.utils.data.DataLoader(liar, batch_size=None)
        assert len(loader) == 1
        with pytest.warns(UserWarning, match="was reported to be 1"):
            assert len(list(loader)) == 3


def test_dataset_combinators():
    def run(T):
        D = T.utils.data
        a, b = D.TensorDataset(T.arange(3)), D.TensorDataset(T.arange(10, 14))
        cat = a + b
        out = [len(cat), [cat[i] for i in range(-7, 7)], cat.cumulative_sizes]
        sub = D.Subset(Squares(), [5, 1, 3])
        out += [len(sub), sub[0], sub.__getitems__([2, 0])]
        st = D.StackDataset(a, D.Subset(b, [3, 2, 1]))
        sd = D.StackDataset(x=a, y=D.Subset(b, [0, 0, 1]))
        out += [len(st), st[1], st.__getitems__([0, 2]), sd[2], sd.__getitems__([1])]
        out.append(list(D.DataLoader(sd, batch_size=2)))
        return out
    same(run)
    same(lambda T: (T.utils.data.TensorDataset(T.arange(2)) + Squares(2))[-4], message=True)
    same(lambda T: T.utils.data.ConcatDataset([]))
    same(lambda T: T.utils.data.ConcatDataset([stream_class(T)]))
    same(lambda T: T.utils.data.StackDataset(Squares(2), Squares(3)))
    same(lambda T: T.utils.data.StackDataset(Squares(2), y=Squares(2)))
    same(lambda T: T.utils.data.StackDataset())
    same(lambda T: T.utils.data.Dataset()[0])
    same(lambda T: len(T.utils.data.Dataset()), message=False)


# --------------------------------------------------------------------------
# shuffling and random_split: PyTorch's numbers for the same seed
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 42, 2024])
def test_shuffle_order_matches_over_epochs(seed):
    def run(T):
        T.manual_seed(seed)
        loader = T.utils.data.DataLoader(list(range(23)), batch_size=4, shuffle=True)
        epochs = [list(loader) for _ in range(3)]
        it = iter(loader)  # an iterator draws its base seed at creation
        mid = T.rand(1).tolist()
        first = next(it)  # the sampler draws its own seed at the first batch
        return [epochs, mid, first, rng_tail(T)]
    same(run)


def test_shuffle_with_generator_and_batch_size_none():
    def run(T):
        T.manual_seed(3)
        g = T.Generator().manual_seed(11)
        loader = T.utils.data.DataLoader(list(range(9)), shuffle=True, generator=g,
                                         batch_size=None)
        epochs = [list(loader), list(loader)]
        return [epochs, g.get_state()[-40:].tolist(), rng_tail(T)]
    same(run)


def test_non_shuffled_iterator_still_draws_base_seed():
    def run(T):
        T.manual_seed(5)
        list(T.utils.data.DataLoader(Squares(3)))
        list(T.utils.data.DataLoader(stream_class(T, 3), batch_size=2))
        return rng_tail(T)
    same(run)


def test_random_split():
    def run(T):
        D = T.utils.data
        T.manual_seed(7)
        out = [D.random_split(range(10), [3, 7]),
               D.random_split(range(11), [0.1, 0.2, 0.7]),
               D.random_split(range(10), [0.5, 0.5], generator=T.Generator().manual_seed(42)),
               D.random_split(Squares(5), [0.34, 0.33, 0.33])]
        out.append(out[-1][0][1]["i"])
        out.append(rng_tail(T))
        return out
    same(run)
    for lengths in ([3, 3], [0.5, 0.6], [1.2, -0.2]):
        same(lambda T, lengths=lengths: T.utils.data.random_split(range(10), lengths))
    seen = []
    for T in LIBS.values():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            T.utils.data.random_split(range(2), [0.9, 0.05, 0.05])
        seen.append([(w.category, str(w.message)) for w in caught])
    assert seen[0] == seen[1] and len(seen[0]) == 2


# --------------------------------------------------------------------------
# samplers
# --------------------------------------------------------------------------

def test_samplers():
    def run(T):
        D = T.utils.data
        T.manual_seed(1)
        g = T.Generator().manual_seed(9)
        out = [list(D.SequentialSampler(range(4))),
               list(D.RandomSampler(range(5))),
               list(D.RandomSampler(range(5), replacement=True, num_samples=70)),
               list(D.RandomSampler(range(5), num_samples=12)),
               list(D.RandomSampler(range(6), num_samples=3, generator=g)),
               list(D.RandomSampler(range(6), generator=g)),
               list(D.SubsetRandomSampler([10, 20, 30, 40, 50])),
               list(D.SubsetRandomSampler([1, 2, 3], generator=g)),
               list(D.BatchSampler(range(10), 3, False)),
               list(D.BatchSampler(D.SequentialSampler(range(10)), 3, True)),
               len(D.BatchSampler(range(10), 3, False)), len(D.BatchSampler(range(10), 3, True)),
               len(D.RandomSampler(range(5), replacement=True, num_samples=9)),
               g.get_state()[-40:].tolist(), rng_tail(T)]
        return out
    same(run)


def test_weighted_random_sampler():
    weights = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6, 0.0, 2.0, 1e-3]

    def run(T):
        D = T.utils.data
        T.manual_seed(2)
        g = T.Generator().manual_seed(4)
        out = [list(D.WeightedRandomSampler(weights, 25)),
               list(D.WeightedRandomSampler(weights, 1)),
               list(D.WeightedRandomSampler(weights, 6, replacement=False)),
               list(D.WeightedRandomSampler(weights, 9, replacement=False)),
               list(D.WeightedRandomSampler(T.tensor(weights), 40, generator=g)),
               list(D.WeightedRandomSampler([1, 2, 3], 3)),
               list(D.DataLoader(list(range(9)), batch_size=4,
                                 sampler=D.WeightedRandomSampler(weights, 10))),
               rng_tail(T), g.get_state()[-40:].tolist()]
        return out
    same(run)


@pytest.mark.parametrize("make", [
    lambda D: D.RandomSampler([]),
    lambda D: D.RandomSampler([1], replacement=1),
    lambda D: D.RandomSampler([1, 2], num_samples=0),
    lambda D: D.BatchSampler(range(3), 0, False),
    lambda D: D.BatchSampler(range(3), True, False),
    lambda D: D.BatchSampler(range(3), 2, 1),
    lambda D: D.WeightedRandomSampler([1.0, 2.0], 0),
    lambda D: D.WeightedRandomSampler([[1.0, 2.0]], 1),
    lambda D: D.WeightedRandomSampler([1.0, 2.0], 1, replacement=0),
    lambda D: list(D.WeightedRandomSampler([1.0, 2.0], 3, replacement=False)),
    lambda D: list(D.WeightedRandomSampler([1.0, -2.0], 3)),
    lambda D: list(D.WeightedRandomSampler([1.0, -2.0], 1)),
    lambda D: list(D.WeightedRandomSampler([0.0, 0.0], 3)),
    lambda D: list(D.WeightedRandomSampler([0.0, 0.0], 2, replacement=False)),
    lambda D: list(D.WeightedRandomSampler([1.0, float("nan")], 3)),
    lambda D: list(D.WeightedRandomSampler([1.0, float("inf")], 3)),
    lambda D: list(D.WeightedRandomSampler([1.0, float("inf")], 1, replacement=False)),
    lambda D: iter(D.Sampler()).__next__(),
])
def test_sampler_errors(make):
    same(lambda T: make(T.utils.data))


# --------------------------------------------------------------------------
# collate
# --------------------------------------------------------------------------

COLLATE_CASES = [
    [1, 2, 3],
    [1.5, 2.0],
    [True, False],
    [1, 2.5],
    ["a", "b"],
    [b"x", b"y"],
    [np.float32(1.5), np.float32(2)],
    [np.int32(1), np.int32(7)],
    [np.uint8(1), np.int8(-2)],
    [np.bool_(True), np.bool_(False)],
    [np.arange(4, dtype=np.int16).reshape(2, 2), np.ones((2, 2), dtype=np.int16)],
    [np.array(1.5), np.array(2.5)],
    [(1, "a", 2.0), (2, "b", 3.0)],
    [[1, [2.0, 3.0]], [4, [5.0, 6.0]]],
    [MyList([1, 2]), MyList([3, 4])],
    [{"a": 1, "b": {"c": (1.0, "x")}}, {"a": 2, "b": {"c": (2.0, "y")}}],
    [collections.OrderedDict(z=1, a=2), collections.OrderedDict(z=3, a=4)],
    [Point(1, "p"), Point(2, "q")],
    [Point(np.zeros(2), [1, 2]), Point(np.ones(2), [3, 4])],
    [[1, 2], [3]],
    [(1, 2), (3,)],
    [np.array(["a"]), np.array(["b"])],
    [np.array([object()]), np.array([object()])],
    [object(), object()],
    [None, None],
    [{1, 2}, {3, 4}],
]


@pytest.mark.parametrize("case", range(len(COLLATE_CASES)))
def test_default_collate(case):
    batch = COLLATE_CASES[case]
    same(lambda T: T.utils.data.default_collate(batch))


def test_default_collate_tensors():
    def run(T):
        c = T.utils.data.default_collate
        x = [T.arange(6).view(2, 3), T.ones(2, 3, dtype=T.int64)]
        return [c(x), c([(T.tensor(1.5), 1), (T.tensor(2.5), 2)]),
                c([{"t": T.zeros(2, dtype=T.float64)}, {"t": T.ones(2, dtype=T.float64)}]),
                c([T.tensor(True), T.tensor(False)])]
    same(run)
    same(lambda T: T.utils.data.default_collate([T.zeros(2), T.zeros(3)]))


def test_default_collate_defaultdict_keeps_factory():
    for T in LIBS.values():
        batch = [collections.defaultdict(list, a=1), collections.defaultdict(list, a=2)]
        out = T.utils.data.default_collate(batch)
        assert type(out) is collections.defaultdict and out.default_factory is list


@pytest.mark.parametrize("data", [
    np.arange(3), np.float32(2.5), np.array(["s"]), 3, 2.5, "s",
    (np.arange(2), 1), [np.int64(4), "x"], {"a": np.ones(2), "b": (1, np.zeros(1))},
    Point(np.arange(2), 1), MyList([np.arange(2)]), np.array(7, dtype=np.int8),
])
def test_default_convert(data):
    same(lambda T: T.utils.data.default_convert(data))


def test_default_convert_keeps_tensor():
    t = ember.arange(3)
    assert ember.utils.data.default_convert(t) is t


def test_collate_fn_map_extension():
    class Box:
        def __init__(self, v):
            self.v = v

    def run(T):
        from importlib import import_module
        mod = import_module(T.__name__ + ".utils.data._utils.collate")
        table = dict(mod.default_collate_fn_map)
        table[Box] = lambda batch, *, collate_fn_map: sum(b.v for b in batch)
        return mod.collate([(Box(1), 2), (Box(5), 3)], collate_fn_map=table)
    same(run)


# --------------------------------------------------------------------------
# DataLoader arguments
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(timeout=1),
    dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1),
    dict(persistent_workers=True),
    dict(shuffle=True, sampler=[0, 1]),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(batch_size=0),
    dict(batch_size=2, drop_last="yes"),
    dict(multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="nope"),
    dict(num_workers=1, multiprocessing_context=3),
    dict(iterable=True, shuffle=True),
    dict(iterable=True, sampler=[0]),
    dict(iterable=True, batch_sampler=[[0]]),
    dict(iterable=True, shuffle=False, batch_size=3),
    dict(batch_sampler=[[0, 2], [1]]),
    dict(sampler=[3, 1], batch_size=None),
    dict(shuffle=False, drop_last=True, batch_size=2),
])
def test_dataloader_arguments(kwargs):
    kwargs = dict(kwargs)
    iterable = kwargs.pop("iterable", False)

    def run(T):
        ds = stream_class(T, 4) if iterable else Squares(4)
        loader = T.utils.data.DataLoader(ds, **kwargs)
        return [len(loader), list(loader)]
    same(run)


def test_dataloader_attributes_frozen_and_pin_memory():
    def run(T):
        loader = T.utils.data.DataLoader(Squares(4), batch_size=2)
        return [loader.batch_size, loader.drop_last, type(loader.sampler).__name__,
                type(loader.batch_sampler).__name__, loader.collate_fn.__name__,
                loader.num_workers, loader.prefetch_factor, len(iter(loader))]
    same(run)
    same(lambda T: setattr(T.utils.data.DataLoader(Squares(4)), "batch_size", 3))
    for T in LIBS.values():
        loader = T.utils.data.DataLoader(Squares(2), pin_memory=True)
        with pytest.warns(UserWarning, match="pin_memory"):
            iter(loader)


# --------------------------------------------------------------------------
# worker processes (kept few: starting workers is slow)
# --------------------------------------------------------------------------

class WorkerReport:
    """Each sample reports the worker that made it and the random numbers it drew there."""

    def __init__(self, lib, n=9):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        T = LIBS[self.lib]
        info = T.utils.data.get_worker_info()
        return (i, info.id, info.num_workers, info.seed, T.initial_seed(), random.random(),
                float(np.random.rand()), T.rand(2), getattr(info.dataset, "n", None),
                os.environ.get("EMBER_TEST_INIT", ""))


def _init_worker(worker_id):
    os.environ["EMBER_TEST_INIT"] = f"init{worker_id}"


def test_workers_match_torch_and_single_process():
    def run(T):
        D = T.utils.data
        T.manual_seed(0)
        name = "ember" if T is ember else "torch"
        shuffled = D.DataLoader(WorkerReport(name), batch_size=2, shuffle=True, num_workers=2,
                                worker_init_fn=_init_worker, prefetch_factor=1)
        persistent = D.DataLoader(list(range(7)), batch_size=3, shuffle=True, num_workers=2,
                                  persistent_workers=True)
        out = [list(shuffled), list(persistent), list(persistent), rng_tail(T)]
        stream = D.DataLoader(stream_class(T, 5), batch_size=2, num_workers=2)
        out.append(list(stream))
        out.append(list(D.DataLoader(Squares(5), batch_size=2, num_workers=2)))
        assert D.get_worker_info() is None
        return out
    res = same(run)
    single = list(ember.utils.data.DataLoader(Squares(5), batch_size=2))
    assert res[1][1][5] == plain(single)
    # in_order=False yields batches as they come: the same batches, maybe reordered
    loose = ember.utils.data.DataLoader(list(range(9)), batch_size=2, num_workers=2,
                                        in_order=False)
    assert sorted(b.tolist() for b in loose) == [[0, 1], [2, 3], [4, 5], [6, 7], [8]]


def test_worker_exception_is_reraised_with_traceback():
    class Bad:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 2:
                raise KeyError("missing key 2")
            return i

    for T in LIBS.values():
        it = iter(T.utils.data.DataLoader(Bad(), num_workers=1))
        assert next(it).tolist() == [0] and next(it).tolist() == [1]
        with pytest.raises(KeyError) as info:
            next(it)
        text = str(info.value)
        assert "Caught KeyError in DataLoader worker process 0" in text
        assert "missing key 2" in text and "Traceback" in text
        assert next(it).tolist() == [3]  # the iterator carries on, as PyTorch's does
        # PyTorch's re-raising frame holds its own exception: drop the traceback (and the
        # ExceptionInfo, which holds it too), so that its iterator is not left to a garbage
        # collection (whose shutdown takes it 5 s)
        info.value.__traceback__ = None
        del info


class Dies:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 1:
            os._exit(7)
        return i


class Sleepy:
    def __len__(self):
        return 3

    def __getitem__(self, i):
        if i >= 1:
            time.sleep(0.8)
        return os.getpid()


def test_reraised_worker_error_leaves_no_cycle():
    """The re-raised exception does not keep its DataLoader iterator alive: dropping the last
    reference shuts the workers down at once, not at some later garbage collection."""
    import weakref

    def failing_epoch():
        it = iter(ember.utils.data.DataLoader(AlwaysRaises(), num_workers=1))
        with pytest.raises(ValueError):
            next(it)
        return weakref.ref(it), it._workers[0]

    gc.collect()
    gc.disable()
    try:
        ref, worker = failing_epoch()
        assert ref() is None
        worker.join(timeout=5)
        assert not worker.is_alive()
    finally:
        gc.enable()


class AlwaysRaises:
    def __len__(self):
        return 2

    def __getitem__(self, i):
        raise ValueError("no item")


def _collect_abandoned_iterators():
    """Before a timed test: iterators that earlier tests left in reference cycles are
    shut down now, not by a collection inside the timed part (PyTorch's take seconds)."""
    gc.collect()


def test_dead_worker_is_an_error_not_a_hang():
    _collect_abandoned_iterators()
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly"):
        list(ember.utils.data.DataLoader(Dies(), num_workers=1))
    assert time.monotonic() - start < 5
    # a worker killed from outside while the main process waits for it
    it = iter(ember.utils.data.DataLoader(Sleepy(), num_workers=1, prefetch_factor=1))
    pid = next(it).item()
    os.kill(pid, signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=f"pid\\(s\\) {pid}\\) exited unexpectedly"):
        next(it)
    assert time.monotonic() - start < 3


def test_timeout():
    _collect_abandoned_iterators()
    loader = ember.utils.data.DataLoader(Sleepy(), num_workers=1, timeout=0.3)
    it = iter(loader)
    next(it)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.3 seconds"):
        next(it)
    assert time.monotonic() - start < 0.75
    del it


def test_worker_info_is_read_only():
    info = ember.utils.data.WorkerInfo(id=0, num_workers=1, seed=3, dataset=None)
    with pytest.raises(AttributeError):
        info.id = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ember.utils.data.get_worker_info() is None
