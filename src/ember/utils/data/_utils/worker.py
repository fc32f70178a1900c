"""What runs inside a DataLoader worker process.

The main process talks to each worker through two queues:

* its own *index queue*, carrying ``(task_id, indices)`` tasks, a
  ``ResumeIteration`` marker (a persistent worker starts a new epoch), or
  ``None`` (shut down);
* the *result queue*, shared by all workers, carrying ``(task_id, payload)``
  where the payload is the batch, an :class:`ExceptionWrapper`, or an
  :class:`IterableDatasetStopIteration` when an iterable dataset's replica in
  this worker is exhausted.  Results are pickled in the worker before they are
  queued, so a batch that cannot be pickled becomes an error in the main
  process instead of a silent hang.

Seeding follows PyTorch: worker ``i`` of an iterator whose base seed is ``s``
seeds ember and Python's ``random`` with ``s + i`` and NumPy's global
generator with a state derived from ``(i, s)``, so worker code that draws
random numbers produces PyTorch's values.
"""
from __future__ import annotations

import builtins
import dataclasses
import io
import os
import pickle
import queue
import random
import sys
import traceback

import numpy as np

import ember

from .fetch import create_fetcher

__all__ = ["WorkerInfo", "get_worker_info", "ExceptionWrapper"]

# A waiting worker wakes up this often (seconds) to check that its parent lives.
MP_STATUS_CHECK_INTERVAL = 5.0

_worker_info = None


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerInfo:
    """Describes the worker process the calling code runs in (read-only).

    ``id`` is in ``[0, num_workers)``; ``seed`` is what ember's and Python's
    generators were seeded with; ``dataset`` is this process's copy of the
    dataset (configure an ``IterableDataset`` replica from it).
    """

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


def get_worker_info():
    """The :class:`WorkerInfo` of the current DataLoader worker, or ``None`` in the main process.

    Use it in ``worker_init_fn`` or in ``IterableDataset.__iter__`` to give
    each worker its own share of the data.
    """
    return _worker_info


class KeyErrorMessage(str):
    """A message that ``KeyError`` prints as is (``KeyError`` normally shows the repr)."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process as type plus text."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        name = self.exc_type.__name__
        if self.exc_type.__module__ == "builtins" and \
                getattr(builtins, name, None) is not self.exc_type:
            # one of ember's errors that shows as a builtin (the no-CUDA AssertionError):
            # carried as that builtin, which the main process can unpickle
            self.exc_type = getattr(builtins, name, RuntimeError)
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise an exception of the original type whose message holds the worker's traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            # exceptions whose constructor takes ``message=`` only
            raise self.exc_type(message=msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            # the type cannot be built from a single message: fall back
            raise RuntimeError(msg) from None
        try:
            raise exc
        finally:
            # NOTE: the exception's traceback holds this frame; without this the two form a
            # cycle that keeps the DataLoader iterator (and its workers) until the next
            # garbage collection
            del exc


@dataclasses.dataclass(frozen=True)
class IterableDatasetStopIteration:
    """Sent by a worker whose copy of an iterable dataset has run out."""

    worker_id: int


@dataclasses.dataclass(frozen=True)
class ResumeIteration:
    """Tells a persistent worker that a new epoch starts (it re-creates its fetcher)."""


def numpy_seed_state(base_seed, worker_id):
    """The four 32-bit words a worker seeds NumPy's global generator with.

    NOTE: PyTorch hashes ``[worker_id, base_seed low 32 bits, base_seed high
    32 bits, 0]`` with the SeedSequence mixing algorithm into four words; NumPy's
    own ``SeedSequence`` computes exactly that (checked against PyTorch's
    workers), so it is used here.
    """
    entropy = [worker_id, base_seed & 0xFFFFFFFF, (base_seed >> 32) & 0xFFFFFFFF, 0]
    return np.random.SeedSequence(entropy).generate_state(4)


def _generate_state(base_seed, worker_id):
    """PyTorch's name for :func:`numpy_seed_state` (a list of four ints)."""
    return [int(v) for v in numpy_seed_state(base_seed, worker_id)]


# PyTorch's names
_IterableDatasetStopIteration = IterableDatasetStopIteration
_ResumeIteration = ResumeIteration


def _seed_worker(base_seed, worker_id):
    # as PyTorch's workers: one thread (which also fixes how reductions are split)
    ember.set_num_threads(1)
    seed = base_seed + worker_id
    random.seed(seed)
    ember.manual_seed(seed)
    np.random.seed(numpy_seed_state(base_seed, worker_id))
    return seed


class DoneFlag:
    """Set by the main process when its workers should stop; read by them between tasks.

    A shared byte without a lock, not a ``multiprocessing.Event``: an Event's reads take its
    lock, so a worker killed in the middle of one would leave the main process blocked
    forever when it sets the Event to shut down."""

    def __init__(self, ctx):
        self._value = ctx.RawValue("b", 0)

    def set(self):
        self._value.value = 1

    def is_set(self):
        return bool(self._value.value)


def _parent_alive(parent_pid):
    """Whether the process that started this worker still lives.

    NOTE: compares with the parent seen at start-up, not with the main process:
    under the ``forkserver`` start method the parent is the fork server.  A
    parent that dies re-parents the worker (to init), changing ``getppid()``.
    """
    return os.getppid() == parent_pid


class _ResultPickler(pickle.Pickler):
    """Refuses what PyTorch's process queues refuse: a non-leaf tensor that requires grad.

    NOTE: PyTorch's worker fails in its queue's feeder thread, and the loader then hangs; here
    the error reaches the main process (with PyTorch's message) instead.
    """

    def reducer_override(self, obj):
        if isinstance(obj, ember.Tensor) and obj.requires_grad and not obj.is_leaf:
            raise RuntimeError(
                "Cowardly refusing to serialize non-leaf tensor which requires_grad, since "
                "autograd does not support crossing process boundaries.  If you just want to "
                "transfer the data, call detach() on the tensor before serializing (e.g., "
                "putting it on the queue).")
        return NotImplemented


def _pickled(task_id, payload, worker_id):
    """``(task_id, payload)`` as bytes; an unpicklable payload becomes a wrapped error."""
    try:
        buf = io.BytesIO()
        _ResultPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump((task_id, payload))
        return buf.getvalue()
    except Exception:
        err = ExceptionWrapper(where=f"in DataLoader worker process {worker_id} "
                                     f"(while pickling its result)")
        try:
            return pickle.dumps((task_id, err), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            # the exception type itself cannot be pickled (a local class, say)
            err.exc_type = RuntimeError
            return pickle.dumps((task_id, err), protocol=pickle.HIGHEST_PROTOCOL)


def worker_loop(iterable, dataset, index_queue, result_queue, done_event, auto_collation,
                collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers):
    """The body of worker process ``worker_id``; returns when told to shut down."""
    global _worker_info
    parent_pid = os.getppid()
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=where)

        exhausted = False  # an iterable dataset ran out: ignore tasks until the next epoch
        while _parent_alive(parent_pid):
            try:
                task = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if task is None:
                break
            if isinstance(task, ResumeIteration):
                result_queue.put(_pickled(task, None, worker_id))
                exhausted = False
                try:
                    fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn,
                                             drop_last)
                except Exception:
                    init_error = ExceptionWrapper(where=where)
                continue
            if done_event.is_set() or exhausted:
                continue
            task_id, indices = task
            if init_error is not None:
                payload, init_error = init_error, None
            else:
                try:
                    payload = fetcher.fetch(indices)
                except StopIteration:
                    if not iterable:
                        payload = ExceptionWrapper(where=where)
                    else:
                        payload = IterableDatasetStopIteration(worker_id)
                        exhausted = True
                except Exception:
                    payload = ExceptionWrapper(where=where)
            result_queue.put(_pickled(task_id, payload, worker_id))
            del payload, task, indices
    except KeyboardInterrupt:
        pass  # the main process decides what happens on Ctrl-C
    if done_event.is_set():
        # don't let process exit wait for results nobody will read
        result_queue.cancel_join_thread()
        result_queue.close()
