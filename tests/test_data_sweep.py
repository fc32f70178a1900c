"""A differential sweep of ``ember.utils.data`` (and, where torchvision is importable, of
the data side of ``ember.vision``) against PyTorch.

Every case runs the same function twice, ``fn(lib, data)`` with ``(ember,
ember.utils.data)`` and with ``(torch, torch.utils.data)``, and compares what comes
back: tensors by dtype, shape and exact values, containers by type name and
contents, exceptions by type and message.  Random draws are compared bit for bit,
and each case ends with a draw from the global (or the passed) generator, so the
amount of randomness consumed is checked as well as the values.
"""
from __future__ import annotations

import collections
import gzip
import os
import random
import time
import warnings

import numpy as np
import pytest

import ember
import ember.utils.data as edata

torch = pytest.importorskip("torch")
tdata = torch.utils.data

LIBS = {"ember": (ember, edata), "torch": (torch, tdata)}


# -- the comparison ------------------------------------------------------------------------------

def _norm(x):
    """A comparable form of a result: tensors become (kind, dtype, shape, values)."""
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        kind = type(x).__name__
        return ("T", "Tensor" if kind == "Tensor" else kind, str(x.dtype).replace("torch.", ""),
                tuple(x.shape), np.asarray(x.detach().numpy()).tobytes())
    if isinstance(x, (ember.dtype, torch.dtype)):
        return str(x).replace("torch.", "")
    if _is_pil(x):
        return ("PIL", x.mode, x.size, x.tobytes())
    if isinstance(x, dict):
        return (type(x).__name__, {k: _norm(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_norm(v) for v in x])
    if isinstance(x, np.ndarray):
        return ("np", x.dtype.str, x.tolist())
    return x


def _is_pil(x):
    return type(x).__module__.startswith("PIL.")


def _run(fn, lib):
    try:
        return "ok", _norm(fn(*lib))
    except Exception as e:  # compared below
        return "raised", (type(e).__name__, str(e).split("\n")[0])


def both(fn, libs=None):
    """Run ``fn`` on ember and on the oracle; they must agree exactly."""
    libs = libs or LIBS
    got = _run(fn, libs["ember"])
    want = _run(fn, libs["torch"])
    assert got == want


def _quiet(fn):
    def wrapped(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)
    return wrapped


class Ints:
    """A map-style dataset whose samples are their own indices."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return i

    def __len__(self):
        return self.n


# -- shuffling: index order per epoch and the generator consumed ---------------------------------

@pytest.mark.parametrize("n,bs,drop_last", [(1, 1, False), (5, 3, False), (5, 3, True),
                                            (10, 4, False), (33, 4, True), (33, 1, False)])
@pytest.mark.parametrize("seed", [0, 7])
def test_shuffle_global_seed(n, bs, drop_last, seed):
    def fn(L, D):
        L.manual_seed(seed)
        loader = D.DataLoader(Ints(n), batch_size=bs, shuffle=True, drop_last=drop_last)
        epochs = [[b.tolist() for b in loader] for _ in range(3)]
        return epochs, len(loader), L.rand(2)
    both(fn)


@pytest.mark.parametrize("n,bs,drop_last", [(5, 3, False), (10, 4, True), (33, 1, False)])
@pytest.mark.parametrize("seed", [0, 7])
def test_shuffle_generator(n, bs, drop_last, seed):
    def fn(L, D):
        L.manual_seed(123)
        g = L.Generator().manual_seed(seed)
        loader = D.DataLoader(Ints(n), batch_size=bs, shuffle=True, drop_last=drop_last,
                              generator=g)
        epochs = [[b.tolist() for b in loader] for _ in range(3)]
        # the global generator is untouched; the passed one gave the base seeds too
        return epochs, L.rand(2), g.initial_seed(), L.rand(1, generator=g)
    both(fn)


def test_base_seed_is_drawn_without_shuffling():
    def fn(L, D):
        L.manual_seed(3)
        it = iter(D.DataLoader(Ints(5), batch_size=2))
        after_iter = L.rand(1)
        return [b for b in it], after_iter, L.rand(1)
    both(fn)


@pytest.mark.parametrize("shuffle", [False, True])
def test_batch_size_none(shuffle):
    def fn(L, D):
        L.manual_seed(3)
        loader = D.DataLoader(Ints(5), batch_size=None, shuffle=shuffle)
        return [b for b in loader], len(loader), L.rand(1)
    both(fn)


def test_partial_epoch_draws():
    def fn(L, D):
        L.manual_seed(3)
        it = iter(D.DataLoader(Ints(10), batch_size=2, shuffle=True))
        first = next(it)
        between = L.rand(1)  # the sampler drew its seed at the first batch
        return first, between, next(it), L.rand(1)
    both(fn)


def test_sampler_generators_and_loader_generator():
    def sampler_gen(L, D):
        L.manual_seed(2)
        g = L.Generator().manual_seed(3)
        loader = D.DataLoader(Ints(7), sampler=D.RandomSampler(Ints(7), generator=g), batch_size=2)
        return [x for x in loader], L.rand(1), L.rand(1, generator=g)

    def loader_gen(L, D):
        L.manual_seed(2)
        g = L.Generator().manual_seed(3)
        loader = D.DataLoader(Ints(7), sampler=D.RandomSampler(Ints(7)), batch_size=2, generator=g)
        return [x for x in loader], L.rand(1), L.rand(1, generator=g)
    both(sampler_gen)
    both(loader_gen)


def test_random_split_then_loaders():
    def fn(L, D):
        L.manual_seed(1)
        ds = D.TensorDataset(L.arange(12.).view(6, 2), L.arange(6))
        train, val = D.random_split(ds, [0.5, 0.5])
        return ([b for b in D.DataLoader(train, batch_size=2, shuffle=True)],
                [b for b in D.DataLoader(val, batch_size=4)], L.rand(1))
    both(fn)


# -- samplers ------------------------------------------------------------------------------------

RANDOM_SAMPLER_KW = [dict(), dict(replacement=True), dict(replacement=True, num_samples=70),
                     dict(num_samples=23), dict(num_samples=5), dict(num_samples=20)]


@pytest.mark.parametrize("kw", RANDOM_SAMPLER_KW)
@pytest.mark.parametrize("seed", [0, 5])
def test_random_sampler(kw, seed):
    def global_seed(L, D):
        L.manual_seed(seed)
        s = D.RandomSampler(range(10), **kw)
        return list(s), list(s), len(s), L.rand(1)

    def own_generator(L, D):
        g = L.Generator().manual_seed(seed)
        s = D.RandomSampler(range(10), generator=g, **kw)
        return list(s), list(s), L.rand(1, generator=g)
    both(global_seed)
    both(own_generator)


@pytest.mark.parametrize("kw", [dict(replacement=1), dict(num_samples=0), dict(num_samples=2.0),
                                dict(num_samples=-1)])
def test_random_sampler_errors(kw):
    both(lambda L, D: list(D.RandomSampler(range(10), **kw)))


def test_random_sampler_follows_dataset_length():
    def fn(L, D):
        L.manual_seed(2)
        ds = list(range(7))
        s = D.RandomSampler(ds)
        first = list(s)
        ds.append(7)
        return first, list(s), len(s)
    both(fn)


def test_sequential_and_subset_random_samplers():
    both(lambda L, D: (list(D.SequentialSampler(range(4))), len(D.SequentialSampler(range(4)))))
    for seed in (0, 9):
        def fn(L, D, seed=seed):
            L.manual_seed(seed)
            s = D.SubsetRandomSampler([3, 7, 11, 2, 9])
            return list(s), list(s), len(s), L.rand(1)

        def fn_gen(L, D, seed=seed):
            g = L.Generator().manual_seed(seed)
            s = D.SubsetRandomSampler(L.tensor([3, 7, 11, 2, 9]), generator=g)
            return [int(i) for i in s], L.rand(1, generator=g)
        both(fn)
        both(fn_gen)


@pytest.mark.parametrize("replacement,num_samples", [(True, 10), (True, 100), (False, 3),
                                                     (False, 5), (False, 6)])
@pytest.mark.parametrize("seed", [0, 9])
def test_weighted_random_sampler(replacement, num_samples, seed):
    weights = [0.1, 0.9, 0.4, 0.7, 3.0]

    def global_seed(L, D):
        L.manual_seed(seed)
        s = D.WeightedRandomSampler(weights, num_samples, replacement=replacement)
        return list(s), list(s), len(s), L.rand(1)

    def own_generator(L, D):
        g = L.Generator().manual_seed(seed)
        s = D.WeightedRandomSampler(L.tensor(weights), num_samples, replacement=replacement,
                                    generator=g)
        return list(s), L.rand(1, generator=g)
    both(global_seed)
    both(own_generator)


@pytest.mark.parametrize("kw", [dict(num_samples=0), dict(num_samples=2, replacement=0),
                                dict(weights=[[1., 2.]], num_samples=2),
                                dict(weights=[-1., 2.], num_samples=2),
                                dict(weights=[0., 0.], num_samples=2),
                                dict(weights=np.array([1., 2., 3.]), num_samples=4),
                                dict(weights=[1, 2, 3], num_samples=4)])
def test_weighted_random_sampler_inputs(kw):
    def fn(L, D):
        L.manual_seed(0)
        args = dict(weights=[1., 2.])
        args.update(kw)
        s = D.WeightedRandomSampler(**args)
        return list(s), str(s.weights.dtype)
    both(fn)


@pytest.mark.parametrize("bs,drop_last", [(3, False), (3, True), (5, False), (1, True)])
def test_batch_sampler(bs, drop_last):
    both(lambda L, D: (list(D.BatchSampler(D.SequentialSampler(range(10)), bs, drop_last)),
                       len(D.BatchSampler(range(10), bs, drop_last))))


@pytest.mark.parametrize("args", [(0, False), (2.0, False), (True, False), (2, 1), (2, None)])
def test_batch_sampler_errors(args):
    both(lambda L, D: list(D.BatchSampler(range(10), *args)))


@pytest.mark.parametrize("n", [10, 11, 3])
@pytest.mark.parametrize("replicas", [3, 4])
@pytest.mark.parametrize("shuffle,drop_last", [(True, False), (False, True), (True, True)])
def test_distributed_sampler(n, replicas, shuffle, drop_last):
    def fn(L, D):
        out = []
        for rank in range(replicas):
            s = D.DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle,
                                     seed=4, drop_last=drop_last)
            for epoch in (0, 2):
                s.set_epoch(epoch)
                out.append((list(s), len(s), s.num_samples, s.total_size))
        return out
    both(fn)


@pytest.mark.parametrize("kw", [dict(num_replicas=2, rank=2), dict(num_replicas=2, rank=-1),
                                dict(num_replicas=2), dict()], ids=str)
def test_distributed_sampler_errors(kw):
    both(lambda L, D: list(D.DistributedSampler(range(5), **kw)))


def test_distributed_sampler_in_a_loader():
    both(lambda L, D: list(D.DataLoader(range(10), batch_size=3, sampler=D.DistributedSampler(
        range(10), num_replicas=3, rank=2, seed=7))))


# -- random_split --------------------------------------------------------------------------------

SPLITS = [[3, 7], [0.3, 0.7], [0.5, 0.5], [0.33, 0.33, 0.34], [0.1] * 10, [0.25] * 4,
          [1 / 3] * 3, [0.0, 1.0]]


@pytest.mark.parametrize("lengths", SPLITS, ids=str)
@pytest.mark.parametrize("n", [10, 11])
def test_random_split(lengths, n):
    def global_seed(L, D):
        L.manual_seed(5)
        parts = D.random_split(range(n), lengths)
        return [list(p) for p in parts], L.rand(1)

    def own_generator(L, D):
        parts = D.random_split(range(n), lengths, generator=L.Generator().manual_seed(2))
        return [list(p) for p in parts]
    if sum(lengths) != n and not isinstance(lengths[0], float):
        both(_quiet(global_seed))  # an error in both
        return
    both(_quiet(global_seed))
    both(_quiet(own_generator))


@pytest.mark.parametrize("lengths", [[0.5, 0.6], [1.5, -0.5], [3, 3]], ids=str)
def test_random_split_errors(lengths):
    both(lambda L, D: D.random_split(range(10), lengths))


def test_random_split_warns_on_empty_split():
    def fn(L, D):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            D.random_split(range(3), [0.5, 0.25, 0.25], generator=L.Generator().manual_seed(0))
        return [str(x.message) for x in w]
    both(fn)


# -- collate -------------------------------------------------------------------------------------

Point = collections.namedtuple("Point", "x y")

BATCHES = {
    "tensors": lambda L: [L.tensor([1., 2.]), L.tensor([3., 4.])],
    "0-d tensors": lambda L: [L.tensor(1), L.tensor(2)],
    "np int arrays": lambda L: [np.array([1, 2]), np.array([3, 4])],
    "np float32 arrays": lambda L: [np.array([1, 2], np.float32), np.array([3, 4], np.float32)],
    "np 0-d arrays": lambda L: [np.array(1.5), np.array(2.5)],
    "np float32 scalars": lambda L: [np.float32(1.5), np.float32(2)],
    "np int8 scalars": lambda L: [np.int8(1), np.int8(2)],
    "np bool scalars": lambda L: [np.bool_(True), np.bool_(False)],
    "np uint16 scalars": lambda L: [np.uint16(1), np.uint16(2)],
    "np complex scalars": lambda L: [np.complex64(1 + 2j), np.complex64(3j)],
    "np str arrays": lambda L: [np.array(["a"]), np.array(["b"])],
    "np str scalars": lambda L: [np.str_("a"), np.str_("b")],
    "np bytes scalars": lambda L: [np.bytes_(b"a"), np.bytes_(b"b")],
    "np datetimes": lambda L: [np.datetime64("2020-01-01"), np.datetime64("2020-01-02")],
    "ints": lambda L: [1, 2, 3],
    "big ints": lambda L: [2 ** 62, 1],
    "floats": lambda L: [1.5, 2.0],
    "bools": lambda L: [True, False],
    "int then bool": lambda L: [1, True],
    "bool then int": lambda L: [True, 2],
    "int then float": lambda L: [1, 2.5],
    "complex": lambda L: [1 + 2j, 3j],
    "strings": lambda L: ["a", "bc"],
    "bytes": lambda L: [b"a", b"b"],
    "dicts": lambda L: [{"a": 1, "b": L.zeros(2)}, {"a": 2, "b": L.ones(2)}],
    "dict missing key": lambda L: [{"a": 1}, {"b": 2}],
    "defaultdicts": lambda L: [collections.defaultdict(int, a=1),
                               collections.defaultdict(int, a=2)],
    "OrderedDicts": lambda L: [collections.OrderedDict(a=1), collections.OrderedDict(a=2)],
    "namedtuples": lambda L: [Point(1, 2.0), Point(3, 4.0)],
    "tuples": lambda L: [(1, "a"), (2, "b")],
    "lists": lambda L: [[1, 2], [3, 4]],
    "lists of unequal length": lambda L: [[1, 2], [3]],
    "tuples of unequal length": lambda L: [(1, 2), (3,)],
    "nested": lambda L: [{"x": [(1, 2.0)]}, {"x": [(3, 4.0)]}],
    "None": lambda L: [None, None],
    "tensor shape mismatch": lambda L: [L.zeros(2), L.zeros(3)],
    "np shape mismatch": lambda L: [np.zeros(2), np.zeros(3)],
    "ranges": lambda L: [range(2), range(2)],
    "sets": lambda L: [{1}, {2}],
}


@pytest.mark.parametrize("name", list(BATCHES))
def test_default_collate(name):
    both(lambda L, D: D.default_collate(BATCHES[name](L)))


@pytest.mark.parametrize("name", list(BATCHES))
def test_default_convert(name):
    both(lambda L, D: D.default_convert(BATCHES[name](L)))
    both(lambda L, D: D.default_convert(BATCHES[name](L)[0]))


def test_collate_container_types():
    for name in ["namedtuples", "tuples", "defaultdicts", "OrderedDicts", "lists"]:
        both(lambda L, D: type(D.default_collate(BATCHES[name](L))).__name__)
        both(lambda L, D: type(D.default_convert(BATCHES[name](L)[0])).__name__)


def test_batch_size_none_converts_numpy():
    both(lambda L, D: list(D.DataLoader([np.arange(3), np.arange(3) * 2], batch_size=None)))
    both(lambda L, D: list(D.DataLoader([(1, np.float32(2))], batch_size=None)))
    both(lambda L, D: list(D.DataLoader(range(3), batch_size=None, collate_fn=lambda x: x * 2)))
    both(lambda L, D: list(D.DataLoader(range(5), batch_size=2, collate_fn=lambda x: x)))


# -- datasets ------------------------------------------------------------------------------------

def _iterable(D, n):
    class Stream(D.IterableDataset):
        def __iter__(self):
            return iter(range(n))

        def __len__(self):
            return n
    return Stream()


DATASET_CASES = {
    "TensorDataset size mismatch": lambda L, D: D.TensorDataset(L.zeros(3), L.zeros(4)),
    "TensorDataset": lambda L, D: (D.TensorDataset(L.arange(3), L.zeros(3, 2))[1],
                                   len(D.TensorDataset(L.arange(3)))),
    "StackDataset size mismatch": lambda L, D: D.StackDataset(range(3), range(4)),
    "StackDataset keyword size mismatch": lambda L, D: D.StackDataset(a=range(3), b=range(4)),
    "StackDataset both kinds": lambda L, D: D.StackDataset(range(3), b=range(3)),
    "StackDataset nothing": lambda L, D: D.StackDataset(),
    "StackDataset": lambda L, D: (D.StackDataset(range(3), range(3, 6))[1],
                                  D.StackDataset(a=range(3), b=range(3, 6))[2],
                                  D.StackDataset(range(3), range(3, 6)).__getitems__([0, 2])),
    "StackDataset loader": lambda L, D: list(D.DataLoader(
        D.StackDataset(a=range(3), b=range(3, 6)), batch_size=2)),
    "ConcatDataset": lambda L, D: (list(D.ConcatDataset([range(3), range(10, 12)])),
                                   D.ConcatDataset([range(3), range(10, 12)]).cumulative_sizes),
    "ConcatDataset negative index": lambda L, D: D.ConcatDataset([range(3), range(10, 12)])[-1],
    "ConcatDataset index too negative": lambda L, D: D.ConcatDataset([range(3)])[-6],
    "ConcatDataset index too large": lambda L, D: D.ConcatDataset([range(3), range(2)])[5],
    "ConcatDataset empty": lambda L, D: D.ConcatDataset([]),
    "ConcatDataset of iterable": lambda L, D: D.ConcatDataset([_iterable(D, 3)]),
    "ChainDataset": lambda L, D: (list(D.ChainDataset([_iterable(D, 3), _iterable(D, 2)])),
                                  len(D.ChainDataset([_iterable(D, 3), _iterable(D, 2)]))),
    "ChainDataset of map-style": lambda L, D: list(D.ChainDataset([range(3)])),
    "IterableDataset +": lambda L, D: (type(_iterable(D, 2) + _iterable(D, 3)).__name__,
                                       list(_iterable(D, 2) + _iterable(D, 3))),
    "Dataset +": lambda L, D: type(D.TensorDataset(L.zeros(2)) + D.TensorDataset(L.zeros(2)))
    .__name__,
    "Subset": lambda L, D: (list(D.Subset(range(10, 20), [3, 1])),
                            D.Subset(range(10, 20), [3, 1, 5]).__getitems__([0, 2]),
                            D.Subset(L.arange(10, 20), [3, 1, 5])[[0, 2]]),
    "Dataset getitem": lambda L, D: D.Dataset()[0],
    "ConcatDataset loader": lambda L, D: (L.manual_seed(1), [b for b in D.DataLoader(
        D.ConcatDataset([D.TensorDataset(L.arange(3)), D.TensorDataset(L.arange(10, 14))]),
        batch_size=3, shuffle=True)])[1],
}


@pytest.mark.parametrize("name", list(DATASET_CASES))
def test_datasets(name):
    both(DATASET_CASES[name])


@pytest.mark.parametrize("bs,drop_last", [(None, False), (1, False), (2, False), (2, True),
                                          (3, False)])
def test_iterable_dataset_in_main_process(bs, drop_last):
    def fn(L, D):
        L.manual_seed(4)
        loader = D.DataLoader(_iterable(D, 7), batch_size=bs, drop_last=drop_last)
        return list(loader), len(loader), L.rand(1)
    both(fn)


@pytest.mark.parametrize("bs", [None, 1, 2])
def test_iterable_dataset_longer_than_reported(bs):
    def fn(L, D):
        class Liar(D.IterableDataset):
            def __iter__(self):
                return iter(range(6))

            def __len__(self):
                return 3

            def __repr__(self):
                return "Liar"
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            loader = D.DataLoader(Liar(), batch_size=bs)
            n = len(loader)
            out = list(loader)
        return n, out, [str(x.message) for x in w]
    both(fn)


# -- DataLoader arguments ------------------------------------------------------------------------

BAD_LOADER_KW = [dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
                 dict(persistent_workers=True), dict(shuffle=True, sampler=[0]),
                 dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], shuffle=True),
                 dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True),
                 dict(num_workers=1, prefetch_factor=-1), dict(multiprocessing_context="spawn"),
                 dict(num_workers=1, multiprocessing_context="bogus"),
                 dict(num_workers=1, multiprocessing_context=3), dict(batch_size=0),
                 dict(batch_size=2.5), dict(drop_last=1), dict(timeout=1)]


@pytest.mark.parametrize("kw", BAD_LOADER_KW, ids=str)
def test_loader_argument_errors(kw):
    both(lambda L, D: list(D.DataLoader(range(4), **kw)))


@pytest.mark.parametrize("kw", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])],
                         ids=str)
def test_iterable_dataset_refuses_order_arguments(kw):
    both(lambda L, D: D.DataLoader(_iterable(D, 3), **kw))


@pytest.mark.parametrize("kw", [dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                dict(batch_size=None), dict(sampler=[3, 1, 2]),
                                dict(batch_sampler=[[0, 1], [2]])], ids=str)
def test_loader_length_and_attributes(kw):
    def fn(L, D):
        d = D.DataLoader(list(range(10)), **kw)
        return (len(d), list(d), d.batch_size, d.drop_last, type(d.sampler).__name__,
                type(d.batch_sampler).__name__, d._auto_collation, d.collate_fn.__name__,
                d.prefetch_factor, d.num_workers, d.timeout, d.pin_memory,
                d.persistent_workers, d._dataset_kind)
    both(fn)


def test_loader_length_errors_and_frozen_attributes():
    class NoLen:
        def __iter__(self):
            return iter([3, 1, 2])

    def no_len_stream(L, D):
        class Stream(D.IterableDataset):
            def __iter__(self):
                return iter(range(5))
        return len(D.DataLoader(Stream()))

    def frozen(L, D):
        loader = D.DataLoader(range(4))
        out = []
        for name in ["batch_size", "sampler", "dataset", "drop_last", "batch_sampler",
                     "persistent_workers", "num_workers", "collate_fn"]:
            try:
                setattr(loader, name, None)
                out.append("ok")
            except Exception as e:
                out.append((type(e).__name__, str(e)))
        return out
    both(lambda L, D: len(D.DataLoader(range(5), sampler=NoLen())))
    both(lambda L, D: list(D.DataLoader(range(5), sampler=NoLen(), batch_size=2)))
    both(no_len_stream)
    both(frozen)


def test_pin_memory_without_accelerator():
    def fn(L, D):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = [b for b in D.DataLoader(L.arange(4), batch_size=2, pin_memory=True)]
        return out, [(x.category.__name__, str(x.message)) for x in w]
    both(fn)


# -- worker processes ----------------------------------------------------------------------------

class WorkerProbe:
    """Reports, per sample, what a worker sees: its info, seeds and first random draws."""

    def __init__(self, lib, n=8):
        self.lib = lib
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        L, D = LIBS[self.lib]
        info = D.get_worker_info()
        try:
            info.id = 5
        except Exception as e:  # read-only
            frozen = (type(e).__name__, str(e))
        return (i, info.id, info.num_workers, info.seed, L.initial_seed(), L.rand(1).item(),
                random.random(), float(np.random.rand()), info.dataset is self,
                repr(info).split(", dataset=")[0], hasattr(info, "__dict__"), frozen)


def _init_worker(worker_id):
    random.random()  # user code may draw here; the samples' draws come after


def _lib_name(L):
    return "ember" if L is ember else "torch"


def test_workers_seeds_and_info():
    def fn(L, D):
        L.manual_seed(5)
        loader = D.DataLoader(WorkerProbe(_lib_name(L)), batch_size=3, shuffle=True,
                              num_workers=2, worker_init_fn=_init_worker)
        return [list(loader) for _ in range(2)], L.rand(1), D.get_worker_info()
    both(fn)


def test_persistent_workers_with_generator():
    def fn(L, D):
        L.manual_seed(99)
        g = L.Generator().manual_seed(3)
        loader = D.DataLoader(WorkerProbe(_lib_name(L)), batch_size=2, shuffle=True,
                              num_workers=2, generator=g, persistent_workers=True,
                              prefetch_factor=1)
        it = iter(loader)
        first = next(it)  # an epoch left early: the next one restarts cleanly
        return first, [list(loader) for _ in range(2)], L.rand(1), L.rand(1, generator=g)
    both(fn)


def _split_stream(D, n, split):
    class Stream(D.IterableDataset):
        def __iter__(self):
            info = D.get_worker_info()
            if split and info is not None:
                return iter(range(info.id, n, info.num_workers))
            return iter(range(n))

        def __len__(self):
            return n
    return Stream()


@pytest.mark.parametrize("bs,split,drop_last", [(2, False, False), (2, True, True),
                                                (None, False, False)])
def test_iterable_dataset_with_workers(bs, split, drop_last):
    def fn(L, D):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            loader = D.DataLoader(_split_stream(D, 5, split), batch_size=bs, num_workers=2,
                                  drop_last=drop_last)
            n = len(loader)
            out = list(loader)  # without splitting, every worker yields every sample
        return out, n, sorted({str(x.message)[:60] for x in w})
    both(fn)


class Slow:
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(0.8)
        return i


class Failing:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise KeyError("boom")
        return i


def _bad_init(worker_id):
    raise ValueError("no")


def _load_all(dataset, **kw):
    """``fn`` for :func:`both`: the whole epoch, the workers shut down at once afterwards
    (left to the garbage collector, PyTorch's take seconds to go after an error)."""
    def fn(L, D):
        it = iter(D.DataLoader(dataset, **kw))
        try:
            return list(it)
        finally:
            if hasattr(it, "_shutdown_workers"):
                it._shutdown_workers()
    return fn


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_worker_errors_and_timeout():  # (PyTorch's refused iterator fails in its __del__)
    both(_load_all(Slow(), num_workers=1, timeout=0.3))
    both(_load_all(Failing(), num_workers=2))
    both(_load_all(Failing()))
    both(_load_all(range(4), num_workers=1, worker_init_fn=_bad_init))
    # accepted by the constructor, refused when iterating (nothing would ever be loaded)
    both(lambda L, D: list(D.DataLoader(range(4), num_workers=1, prefetch_factor=0)))


def test_workers_unordered():
    both(lambda L, D: sorted(x.tolist() for x in D.DataLoader(range(10), batch_size=3,
                                                               num_workers=2, in_order=False)))


# -- torchvision's data side (only where torchvision is importable) ------------------------------

def _vision_libs():
    tv = pytest.importorskip("torchvision")
    import ember.vision as ev
    return {"ember": (ember, ev), "torch": (torch, tv)}


def _images():
    from PIL import Image
    rng = np.random.RandomState(0)
    return {"rgb": Image.fromarray(rng.randint(0, 256, (23, 31, 3), dtype=np.uint8)),
            "L": Image.fromarray(rng.randint(0, 256, (23, 31), dtype=np.uint8)),
            "u8": rng.randint(0, 256, (3, 23, 31)).astype(np.uint8)}


def _input(L, kind, images):
    if kind in ("rgb", "L"):
        return images[kind].copy()
    t = L.from_numpy(images["u8"].copy())
    return t if kind == "u8" else t.unsqueeze(0).repeat(2, 1, 1, 1)


# float kernels (antialiased resampling, blurs) may differ in the last bit, so these
# transforms are compared on uint8 tensors and PIL images
V1_RANDOM = {
    "RandomCrop": lambda T: T.RandomCrop(15),
    "RandomCrop padded": lambda T: T.RandomCrop((20, 25), padding=3),
    "RandomCrop reflect": lambda T: T.RandomCrop(30, pad_if_needed=True, padding_mode="reflect"),
    "RandomResizedCrop": lambda T: T.RandomResizedCrop(16),
    "RandomResizedCrop ranges": lambda T: T.RandomResizedCrop((12, 18), scale=(0.2, 0.9),
                                                              ratio=(0.5, 2.0)),
    "RandomResizedCrop nearest": lambda T: T.RandomResizedCrop(
        16, interpolation=T.InterpolationMode.NEAREST),
    "RandomHorizontalFlip": lambda T: T.RandomHorizontalFlip(),
    "RandomVerticalFlip": lambda T: T.RandomVerticalFlip(0.3),
    "ColorJitter": lambda T: T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    "RandomRotation": lambda T: T.RandomRotation(30),
    "RandomRotation expand": lambda T: T.RandomRotation((-90, 45), expand=True, fill=3),
    "RandomAffine": lambda T: T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2),
                                             shear=10),
    "RandomPerspective": lambda T: T.RandomPerspective(p=1.0),
    "RandomGrayscale": lambda T: T.RandomGrayscale(0.5),
    "RandomPosterize": lambda T: T.RandomPosterize(3),
    "RandomSolarize": lambda T: T.RandomSolarize(100),
    "RandomEqualize": lambda T: T.RandomEqualize(),
    "GaussianBlur": lambda T: T.GaussianBlur(5, sigma=(0.1, 2.0)),
    "RandomChoice": lambda T: T.RandomChoice([T.RandomHorizontalFlip(1.0),
                                              T.RandomVerticalFlip(1.0), T.RandomCrop(10)]),
    "RandomOrder": lambda T: T.RandomOrder([T.RandomCrop(20), T.RandomHorizontalFlip(),
                                            T.RandomVerticalFlip()]),
    "AutoAugment": lambda T: T.AutoAugment(),
    "AutoAugment SVHN": lambda T: T.AutoAugment(T.AutoAugmentPolicy.SVHN, fill=5),
    "RandAugment": lambda T: T.RandAugment(num_ops=3, magnitude=12, num_magnitude_bins=15),
    "TrivialAugmentWide": lambda T: T.TrivialAugmentWide(),
    "AugMix": lambda T: T.AugMix(),
}


@pytest.mark.parametrize("name", list(V1_RANDOM))
def test_v1_random_transforms(name):
    libs = _vision_libs()
    images = _images()

    def fn(L, V):
        t = V1_RANDOM[name](V.transforms)
        out = []
        for kind in ("rgb", "L", "u8", "batch"):
            L.manual_seed(3)
            random.seed(3)  # RandomChoice/RandomOrder draw from Python's generator
            out.append([t(_input(L, kind, images)) for _ in range(3)])
            out.append(L.rand(1))
        return out, repr(t)
    both(fn, libs)


@pytest.mark.parametrize("kw", [dict(), dict(p=1.0, value="random"), dict(p=1.0, value=(1, 2, 3)),
                                dict(p=1.0, scale=(0.5, 0.9), ratio=(0.1, 10), value=7),
                                dict(p=2.0), dict(value="foo"), dict(value=[1, 2]),
                                dict(p=1.0, ratio=(3, 1))], ids=str)
def test_v1_random_erasing(kw):
    libs = _vision_libs()
    images = _images()

    def fn(L, V):
        t = V.transforms.RandomErasing(**kw)
        L.manual_seed(1)
        return [t(_input(L, "u8", images)) for _ in range(3)], L.rand(1)
    both(fn, libs)


def test_v1_conversions():
    libs = _vision_libs()
    images = _images()
    pics = {"rgb": images["rgb"], "L": images["L"], "I": images["L"].convert("I"),
            "F": images["L"].convert("F"), "1": images["L"].convert("1"),
            "RGBA": images["rgb"].convert("RGBA"), "P": images["rgb"].convert("P")}
    for pic in pics.values():
        both(lambda L, V: V.transforms.ToTensor()(pic), libs)
        both(lambda L, V: V.transforms.PILToTensor()(pic), libs)
        both(lambda L, V: V.transforms.ToPILImage()(V.transforms.ToTensor()(pic)), libs)
    for arr in [np.zeros((4, 5, 3), np.uint8) + 9, np.ones((4, 5), np.float32),
                np.arange(20, dtype=np.int16).reshape(4, 5), np.zeros(4)]:
        both(lambda L, V: V.transforms.ToTensor()(arr.copy()), libs)
    for src in ["uint8", "int32", "float32", "float64", "bool"]:
        for dst in ["uint8", "int16", "int64", "float32", "float64"]:
            def convert(L, V, src=src, dst=dst):
                x = L.from_numpy(images["u8"].astype(np.int64))
                x = (x.double() / 255).to(getattr(L, src)) if src.startswith("float") else (
                    x > 100 if src == "bool" else x.to(getattr(L, src)))
                return V.transforms.ConvertImageDtype(getattr(L, dst))(x)
            both(convert, libs)
    for kw in [dict(mean=(0.5,), std=(0.5,)), dict(mean=[0.1, 0.2, 0.3], std=[0.3, 0.2, 0.1]),
               dict(mean=(0.5,), std=(0.0,)), dict(mean=(0.5, 0.5), std=(1, 1))]:
        def normalize(L, V, kw=kw):
            T = V.transforms
            t = T.Compose([T.ToTensor(), T.Normalize(**kw), T.Lambda(lambda x: x * 2)])
            return t(images["rgb"]), T.Normalize(**kw)(L.from_numpy(images["u8"])), repr(t)
        both(normalize, libs)


def _v2(V):
    import importlib
    return importlib.import_module(V.__name__ + ".transforms.v2")


def _sample(L, V, images):
    tvt = __import__(V.__name__ + ".tv_tensors", fromlist=["x"])
    u8 = L.from_numpy(images["u8"].copy())
    return (tvt.Image(u8), {
        "boxes": tvt.BoundingBoxes(L.tensor([[2., 3., 12., 15.], [0., 0., 31., 22.]]),
                                   format="XYXY", canvas_size=(23, 31)),
        "masks": tvt.Mask((L.arange(23 * 31).reshape(1, 23, 31) % 3 == 0).to(L.uint8)),
        "labels": L.tensor([1, 2]), "name": "x"}, tvt.Video(u8.unsqueeze(0)))


V2_RANDOM = {
    "RandomCrop": lambda T: T.RandomCrop(15),
    "RandomResizedCrop": lambda T: T.RandomResizedCrop(16),
    "RandomHorizontalFlip": lambda T: T.RandomHorizontalFlip(),
    "RandomVerticalFlip": lambda T: T.RandomVerticalFlip(0.3),
    "ColorJitter": lambda T: T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    "RandomGrayscale": lambda T: T.RandomGrayscale(0.5),
    "Grayscale": lambda T: T.Grayscale(3),
    "RandomErasing": lambda T: T.RandomErasing(p=0.8),
    "RandomChannelPermutation": lambda T: T.RandomChannelPermutation(),
    "RandomPhotometricDistort": lambda T: T.RandomPhotometricDistort(p=0.7),
    "RandomZoomOut": lambda T: T.RandomZoomOut(p=0.9, fill=5),
    "RandomRotation": lambda T: T.RandomRotation(30),
    "RandomChoice": lambda T: T.RandomChoice([T.RandomHorizontalFlip(1.0),
                                              T.RandomVerticalFlip(1.0), T.RandomCrop(10)]),
    "RandomOrder": lambda T: T.RandomOrder([T.RandomCrop(20), T.RandomHorizontalFlip(),
                                            T.RandomVerticalFlip()]),
    "RandAugment": lambda T: T.RandAugment(),
    "TrivialAugmentWide": lambda T: T.TrivialAugmentWide(),
}


@pytest.mark.parametrize("name", list(V2_RANDOM))
def test_v2_random_transforms(name):
    libs = _vision_libs()
    images = _images()

    def fn(L, V):
        t = V2_RANDOM[name](_v2(V))
        out = []
        for kind in ("rgb", "u8", "batch"):
            L.manual_seed(2)
            random.seed(2)
            out.append([t(_input(L, kind, images)) for _ in range(3)])
            out.append(L.rand(1))
        if name not in ("RandomRotation",):  # rotated boxes may differ in the last bit
            L.manual_seed(2)
            random.seed(2)
            out.append([t(_sample(L, V, images)) for _ in range(3)])
            out.append(L.rand(1))
        return out
    both(fn, libs)


def test_v2_conversions_and_greyscale_of_video():
    libs = _vision_libs()
    images = _images()

    def fn(L, V):
        T = _v2(V)
        image, target, video = _sample(L, V, images)
        pipeline = T.Compose([T.ToImage(), T.ToDtype(L.float32, scale=True),
                              T.Normalize([0.5] * 3, [0.2] * 3)])
        out = [pipeline(images["rgb"]), pipeline(image),
               T.ToDtype({type(image): L.float64, "others": None}, scale=True)((image, target)),
               T.ToPureTensor()(image), T.ToImage()(images["u8"].transpose(1, 2, 0).copy()),
               T.Grayscale()(video), T.RGB()(video), T.RandomHorizontalFlip(1.0)(target)]
        return out, [type(o).__name__ for o in out]
    both(fn, libs)
    # the functional itself refuses a video, as torchvision's does (the message names
    # each library's own classes, so only its start is compared)
    def grey_video(L, V):
        try:
            _v2(V).functional.rgb_to_grayscale(_sample(L, V, images)[2])
        except TypeError as e:
            return str(e).split(" of type")[0]
    both(grey_video, libs)


def _make_tree(root):
    from PIL import Image

    def img(path, val, mode="RGB"):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Image.new(mode, (5, 4), val if mode != "RGB" else (val, val // 2, 255 - val)).save(path)
    img(f"{root}/cat/b.png", 10)
    img(f"{root}/cat/a.JPG", 20)
    img(f"{root}/cat/sub/z.bmp", 30, "L")
    img(f"{root}/cat/c.gif", 99)
    img(f"{root}/dog/x.ppm", 40)
    img(f"{root}/dog/.hidden.png", 50)
    with open(f"{root}/dog/notes.txt", "w") as f:
        f.write("x")
    img(f"{root}/Bird/q.tif", 60, "P")
    img(f"{root}/.git/h.png", 70)
    os.makedirs(f"{root}/empty")
    img(f"{root}/loose.png", 80)


def test_image_folder(tmp_path):
    libs = _vision_libs()
    root = str(tmp_path / "tree")
    _make_tree(root)

    def rel(ds):
        return [(os.path.relpath(p, root), t) for p, t in ds.samples]

    def folder(L, V):
        d = V.datasets.ImageFolder(root, allow_empty=True, transform=V.transforms.ToTensor(),
                                   target_transform=lambda t: t * 10)
        return (d.classes, d.class_to_idx, rel(d), d.targets, len(d), len(d.imgs),
                [d[i] for i in range(len(d))], repr(d).replace(root, "ROOT"))

    def dataset_folder(L, V):
        d = V.datasets.DatasetFolder(root, loader=os.path.basename, extensions=(".png", ".txt"),
                                     allow_empty=True)
        return rel(d), d.extensions, d.classes, [d[i] for i in range(len(d))]
    both(folder, libs)
    both(dataset_folder, libs)
    both(lambda L, V: V.datasets.ImageFolder(root), libs)  # an empty class
    both(lambda L, V: rel(V.datasets.ImageFolder(
        root, is_valid_file=lambda p: "a" in os.path.basename(p) or p.endswith(".gif"),
        allow_empty=True)), libs)
    both(lambda L, V: V.datasets.ImageFolder(
        root, is_valid_file=lambda p: p.endswith(".gif")), libs)
    both(lambda L, V: V.datasets.DatasetFolder(root, loader=str, extensions=".png"), libs)
    both(lambda L, V: V.datasets.DatasetFolder(root, loader=str, extensions=".png",
                                               is_valid_file=str), libs)
    both(lambda L, V: V.datasets.DatasetFolder(root, loader=str), libs)
    both(lambda L, V: V.datasets.ImageFolder(f"{root}/dog"), libs)  # no class folders
    both(lambda L, V: V.datasets.folder.find_classes(root), libs)
    both(lambda L, V: V.datasets.folder.make_dataset(root, {}, extensions=".png"), libs)


def test_fashion_mnist(tmp_path):
    libs = _vision_libs()
    src = "/usr/share/datasets/fashion-mnist"
    if not os.path.isdir(src):
        pytest.skip("FashionMNIST files not installed")
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in os.listdir(src):  # torchvision's layout after a download
        with gzip.open(os.path.join(src, name)) as f:
            (raw / name[:-3]).write_bytes(f.read())

    def fn(L, V):
        d = V.datasets.FashionMNIST(str(tmp_path), train=False, download=True,
                                    transform=V.transforms.ToTensor())
        loader = L.utils.data.DataLoader(d, batch_size=64, shuffle=True)
        L.manual_seed(0)
        batches = [b for b, _ in zip(loader, range(2))]
        raw_pic = V.datasets.FashionMNIST(str(tmp_path), train=False)[3]
        return (len(d), d[0], d[len(d) - 1], d.classes, d.class_to_idx, d.data.dtype,
                tuple(d.data.shape), d.targets[:20], repr(d).replace(str(tmp_path), "ROOT"),
                batches, raw_pic, L.rand(1))
    both(fn, libs)
