"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

An iteration (``iter(loader)``) builds an iterator object:

* :class:`_SingleProcessDataLoaderIter` (``num_workers=0``) asks the index
  sampler for the next indices and fetches + collates them in place;
* :class:`_MultiProcessingDataLoaderIter` starts ``num_workers`` processes
  (see ``_utils/worker.py``), keeps up to ``prefetch_factor`` tasks per worker
  in flight, hands tasks out round robin and yields the results in task order
  (or as they arrive, with ``in_order=False``).

Randomness matches PyTorch draw for draw: each new iterator takes a base seed
with one ``random_()`` from ``loader.generator`` (the default generator when
``None``) right after ``iter(index_sampler)``; a shuffling ``RandomSampler``
without a generator takes its own seed the same way when it starts.  With
``persistent_workers`` the workers (and the base seed) live on across epochs.
"""
from __future__ import annotations

import io
import itertools
import math
import mmap
import multiprocessing
import multiprocessing.context
import os
import pickle
import queue
import time
from typing import Any, Callable, Generic, TypeVar
from ember._warnings import warn as _warn
from ember._warnings import warn_up as _warn_up

import numpy as np

import ember
from ember._ops._core import wrap
from ember._tensor import _rebuild, _rebuild_view

from . import _utils
from ._utils.collate import default_collate, default_convert
from ._utils.fetch import create_fetcher
from ._utils.worker import (DoneFlag, ExceptionWrapper, IterableDatasetStopIteration,
                            ResumeIteration, worker_loop)
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]

get_worker_info = _utils.worker.get_worker_info

# How often (seconds) the main process, while waiting for a batch, checks that its
# workers are alive; bounds the time to report a worker that died.
_LIVENESS_POLL = 0.1
# How long shutting down waits for a worker to exit before terminating it.
_JOIN_TIMEOUT = 5.0
_DEL_GRACE = 0.25  # seconds an abandoned iterator's workers get to exit on their own


class _DatasetKind:
    Map = 0
    Iterable = 1

    @staticmethod
    def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
        return create_fetcher(kind == _DatasetKind.Iterable, dataset, auto_collation,
                              collate_fn, drop_last)


class _InfiniteConstantSampler(Sampler):
    """The index sampler of an iterable dataset: ``None`` forever (the fetcher ignores it)."""

    def __iter__(self):
        while True:
            yield None


_FROZEN_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                      "persistent_workers")


_T_co = TypeVar("_T_co", covariant=True)
_T = TypeVar("_T")
# the types PyTorch names these arguments by (libraries import them for their annotations)
_worker_init_fn_t = Callable[[int], None]
_collate_fn_t = Callable[[list[_T]], Any]


class DataLoader(Generic[_T_co]):
    """Iterate over ``dataset`` in batches.

    Arguments follow ``torch.utils.data.DataLoader``: ``batch_size`` (``None``
    turns batching off), ``shuffle``, ``sampler`` or ``batch_sampler``,
    ``num_workers`` (worker processes; 0 loads in the main process),
    ``collate_fn`` (default :func:`default_collate`, or :func:`default_convert`
    without batching), ``drop_last``, ``timeout`` (seconds to wait for a batch
    from the workers), ``worker_init_fn(worker_id)``, ``multiprocessing_context``,
    ``generator`` (for the shuffling and worker seeds), ``prefetch_factor``
    (batches in flight per worker, default 2), ``persistent_workers`` and
    ``in_order``.  ``pin_memory=True`` puts each batch's tensors in page-locked host
    memory when CUDA is available (and warns, as PyTorch does, when it is not).

    >>> loader = DataLoader(TensorDataset(ember.arange(10.)), batch_size=4)
    >>> [b[0].tolist() for b in loader]
    [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]]
    """

    __initialized = False  # (name-mangled, as PyTorch's: a subclass's own attribute is apart)

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            # an iterable dataset decides its own order
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers

        self.__initialized = True
        self._IterableDataset_len_called = None
        self._iterator = None
        self.check_worker_number_rationality()

    # -- configuration ------------------------------------------------------

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers <= 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 "loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError("multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object"
                                " or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self.__multiprocessing_context = context

    def __setattr__(self, name, value):
        if self.__initialized and name in _FROZEN_AFTER_INIT:
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        # what the iterator draws from: lists of indices when batching, single ones otherwise
        return self.batch_sampler if self._auto_collation else self.sampler

    def check_worker_number_rationality(self):
        """Warn when more workers are requested than this process may use CPUs (at the line
        of ember's that called this, as PyTorch's at its own, so the default filter shows it
        once per process for construction and once for iteration)."""
        if self.num_workers == 0:
            return
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpus = os.cpu_count()
        if cpus is not None and self.num_workers > cpus:
            _warn_up(
                f"This DataLoader will create {self.num_workers} worker processes in total. "
                f"Our suggested max number of worker in current system is {cpus}, which is "
                "smaller than what this DataLoader is going to create. Please be aware that "
                "excessive worker creation might get DataLoader running slow or even freeze, "
                "lower the worker number to avoid potential slowness/freeze if necessary.")

    # -- iteration ------------------------------------------------------------

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        # as PyTorch: at each new set of workers too (no comment on the line: a warning shows it)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self):
        if not (self.persistent_workers and self.num_workers > 0):
            return self._get_iterator()
        if self._iterator is None or self._iterator._shutdown:
            # (a persistent iterator is only shut down after an error, e.g. a dead worker)
            self._iterator = self._get_iterator()
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self):
        if self._dataset_kind == _DatasetKind.Iterable:
            # NOTE: as in PyTorch, the *sample* count is remembered; the warning about
            # over-long iterable datasets compares it with the number of *batches* yielded
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = (length // self.batch_size if self.drop_last
                          else math.ceil(length / self.batch_size))
            return length
        return len(self._index_sampler)


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._in_order = loader.in_order
        self._pin_memory = bool(loader.pin_memory) and ember.cuda.is_available()
        # (both at the line of the iterator's ``__init__`` calling this one, as PyTorch's)
        if loader.pin_memory and loader.pin_memory_device:
            _warn_up("pin_memory_device is deprecated, the current accelerator will be used as the "
                     f"device,ignore pin_memory_device='{loader.pin_memory_device}'.")
        if loader.pin_memory and not self._pin_memory:
            _warn_up("'pin_memory' argument is set as true but no accelerator is found, "
                     "then device pinned memory won't be used.")
        self._sampler_iter = iter(self._index_sampler)
        # NOTE: drawn even when nothing is random (PyTorch does it on every iterator)
        self._base_seed = int(ember.empty((), dtype=ember.int64)
                              .random_(generator=loader.generator).item())
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter=False):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        if self._pin_memory:
            data = _pin(data)
        self._num_yielded += 1
        if (self._dataset_kind == _DatasetKind.Iterable
                and self._IterableDataset_len_called is not None
                and self._num_yielded > self._IterableDataset_len_called):
            # NOTE: no space before "(when": PyTorch's message reads that way
            msg = (f"Length of IterableDataset {self._dataset} was reported to be "
                   f"{self._IterableDataset_len_called}(when accessing len(dataloader)), but "
                   f"{self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not properly "
                        "configuring the IterableDataset replica at each worker. Please see "
                        "https://pytorch.org/docs/stable/data.html#torch.utils.data."
                        "IterableDataset for examples.")
            _warn(msg, stacklevel=2)
        return data

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        # NOTE: PyTorch passes the format string and the name as two arguments (unformatted)
        raise NotImplementedError("{} cannot be pickled", type(self).__name__)


def _rebuild_shared(array, device, requires_grad):
    """A tensor of a worker's result, its bytes in an anonymous shared mapping."""
    if device != "cpu" or not array.nbytes:  # (PyTorch shares no empty storage)
        return _rebuild(array, device, requires_grad)
    data = np.frombuffer(mmap.mmap(-1, max(array.nbytes, 1)), dtype=array.dtype,
                         count=array.size).reshape(array.shape)
    data[...] = array
    t = wrap(data)
    t._requires_grad = requires_grad
    return t


def _rebuild_view_shared(root, offset, shape, strides, dtype, device, requires_grad,
                         state=None):
    """A tensor (or view: its whole storage) of a worker's result, the storage's bytes in an
    anonymous shared mapping."""
    if device == "cpu" and root.nbytes:  # (PyTorch shares no empty storage)
        shared = np.frombuffer(mmap.mmap(-1, root.nbytes), dtype=root.dtype, count=root.size)
        shared[...] = root.ravel(order="K")  # (its memory order: C or Fortran)
        root = shared
    return _rebuild_view(root, offset, shape, strides, dtype, device, requires_grad, state)


class _SharedResultUnpickler(pickle.Unpickler):
    """Reads a worker's result with its tensors in shared memory, where PyTorch's workers hand
    them over: ``is_shared()`` is True (and the storage cannot be resized)."""

    def find_class(self, module, name):
        if module == _rebuild.__module__ and name == _rebuild.__name__:
            return _rebuild_shared
        if module == _rebuild_view.__module__ and name == _rebuild_view.__name__:
            return _rebuild_view_shared
        return super().find_class(module, name)


def _pin(data):
    """``data`` with every tensor in it copied to page-locked memory (``pin_memory=True``)."""
    return _utils.pin_memory.pin_memory(data)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        # NOTE: PyTorch accepts DataLoader(timeout=...) without workers and fails here
        assert self._timeout == 0, "_SingleProcessDataLoaderIter requires timeout == 0"
        assert self._num_workers == 0
        self._dataset_fetcher = _DatasetKind.create_fetcher(
            self._dataset_kind, self._dataset, self._auto_collation, self._collate_fn,
            self._drop_last)

    def _next_data(self):
        index = self._next_index()  # may raise StopIteration
        return self._dataset_fetcher.fetch(index)  # may raise StopIteration


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Loads batches in ``num_workers`` processes.

    Bookkeeping, per epoch: tasks are numbered in the order they are sent;
    ``_owner[task]`` is the worker a task went to while its result is
    outstanding; ``_ready`` holds results that arrived ahead of their turn;
    ``_next_task`` is the task whose result is yielded next (in order mode).
    A worker whose iterable-dataset copy ran out answers one task with a stop
    marker and silently drops the rest, so its outstanding tasks are forgotten.
    """

    def __init__(self, loader):
        super().__init__(loader)
        if self._num_workers <= 0:
            raise AssertionError("num_workers must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        # NOTE: the constructor accepts prefetch_factor=0, as PyTorch's does; the iterator
        # refuses it (no task would ever be sent: the loader would be empty).  None (num_workers
        # set after construction) fails the comparison with PyTorch's TypeError
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        # NOTE: without a context PyTorch uses the module itself (workers named "Process-N")
        ctx = loader.multiprocessing_context or multiprocessing
        self._shutdown = False
        self._workers = []
        self._index_queues = []
        self._result_queue = ctx.Queue()
        self._done_event = DoneFlag(ctx)
        iterable = self._dataset_kind == _DatasetKind.Iterable
        try:
            for worker_id in range(self._num_workers):
                index_queue = ctx.Queue()
                # never let interpreter exit wait on tasks a dead worker won't read
                index_queue.cancel_join_thread()
                w = ctx.Process(
                    target=worker_loop,
                    args=(iterable, self._dataset, index_queue, self._result_queue,
                          self._done_event, self._auto_collation, self._collate_fn,
                          self._drop_last, self._base_seed, loader.worker_init_fn, worker_id,
                          self._num_workers),
                    daemon=True)
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    # -- epochs -------------------------------------------------------------

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        self._send_count = 0
        self._next_task = 0
        self._owner = {}
        self._ready = {}
        self._worker_active = [True] * self._num_workers
        self._round_robin = itertools.cycle(range(self._num_workers))
        self._sampler_done = False
        if not first_iter:
            # a persistent worker starts the new epoch; results of the old one still in
            # the queue are dropped until every worker has acknowledged
            for q in self._index_queues:
                q.put(ResumeIteration())
            pending = self._num_workers
            while pending > 0:
                task_id, _ = self._get_result()
                if isinstance(task_id, ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._send_task()

    def _send_task(self):
        """Send the next indices to the next active worker, if there are both."""
        if self._sampler_done or not any(self._worker_active):
            return
        try:
            indices = self._next_index()
        except StopIteration:
            self._sampler_done = True
            return
        for _ in range(self._num_workers):
            worker_id = next(self._round_robin)
            if self._worker_active[worker_id]:
                break
        task_id = self._send_count
        self._index_queues[worker_id].put((task_id, indices))
        self._owner[task_id] = worker_id
        self._send_count += 1

    # -- receiving -----------------------------------------------------------

    def _get_result(self):
        """The next ``(task_id, payload)`` from any worker; raises on timeout or a dead worker."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _LIVENESS_POLL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                raw = self._result_queue.get(timeout=wait)
            except queue.Empty:
                dead = [w for i, w in enumerate(self._workers)
                        if self._worker_active[i] and not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    pids = ", ".join(str(w.pid) for w in dead)
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited "
                                       "unexpectedly") from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} "
                                       "seconds") from None
                continue
            return _SharedResultUnpickler(io.BytesIO(raw)).load()

    def _next_data(self):
        while True:
            if self._shutdown:
                raise StopIteration
            if self._in_order:
                # tasks whose worker ran out of data will never be answered: skip them
                while (self._next_task < self._send_count and self._next_task not in self._owner
                       and self._next_task not in self._ready):
                    self._next_task += 1
                if self._next_task in self._ready:
                    payload = self._ready.pop(self._next_task)
                    self._next_task += 1
                    return self._deliver(payload)
            elif self._ready:
                return self._deliver(self._ready.pop(next(iter(self._ready))))
            if not self._owner:
                # nothing outstanding and nothing left to send: the epoch is over
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            task_id, payload = self._get_result()
            if isinstance(task_id, ResumeIteration) or task_id not in self._owner:
                continue  # a stale acknowledgement or a result from an earlier epoch
            worker_id = self._owner.pop(task_id)
            if isinstance(payload, IterableDatasetStopIteration):
                self._retire_worker(worker_id)
                self._send_task()
                continue
            self._ready[task_id] = payload

    def _deliver(self, payload):
        self._send_task()
        if isinstance(payload, ExceptionWrapper):
            payload.reraise()
        return payload

    def _retire_worker(self, worker_id):
        """A worker's iterable dataset ran out: stop sending it tasks (and, unless
        persistent, let it exit)."""
        self._worker_active[worker_id] = False
        for task_id in [t for t, w in self._owner.items() if w == worker_id]:
            del self._owner[task_id]
        if not self._persistent_workers:
            self._index_queues[worker_id].put(None)

    # -- shutting down -------------------------------------------------------

    def _shutdown_workers(self, grace=None):
        """Tell the workers to stop, wait up to ``grace`` seconds (``_JOIN_TIMEOUT``) for
        them to exit, then terminate the ones still running."""
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done_event.set()
            for q in self._index_queues:
                try:
                    q.put(None)
                except (OSError, ValueError):
                    pass
            deadline = time.monotonic() + (_JOIN_TIMEOUT if grace is None else grace)
            for w in self._workers:
                w.join(timeout=max(0.0, deadline - time.monotonic()))
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
            self._result_queue.cancel_join_thread()
            self._result_queue.close()
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=1.0)

    def __del__(self):
        # NOTE: an iterator caught in a reference cycle (a traceback that holds its frame)
        # is collected together with its queues, whose finalizers may already have stopped
        # the thread that would send the workers their stop signal; so a short wait here,
        # then terminate, rather than blocking the collecting thread for seconds.
        try:
            self._shutdown_workers(grace=_DEL_GRACE)
        except Exception:
            pass

