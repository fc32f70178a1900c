"""``Timer``: ``timeit.Timer`` with warm-up, a fixed thread count, replicates and labels."""
from __future__ import annotations

import enum
import textwrap
import timeit

from . import common

__all__ = ["Timer", "timer", "Language"]


def timer() -> float:
    """The clock Timer reads: waits for queued GPU work first, when a GPU is in use."""
    import ember

    if ember.cuda.is_available():
        ember.cuda.synchronize()
    return timeit.default_timer()


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def _clean(code: str) -> str:
    code = textwrap.dedent(code)
    if code.startswith("\n"):
        code = code[1:]
    return code.rstrip()


class Timer:
    """Times a Python statement (a string) run with ``setup`` and ``globals``.

    ``timeit(number)`` runs it ``number`` times once (after a short warm-up);
    ``blocked_autorange`` picks a block size whose timer overhead is negligible and times
    blocks until ``min_run_time`` seconds are spent; ``adaptive_autorange`` goes on until the
    spread of the block times is small.  Each returns a :class:`Measurement`.
    """

    _timer_cls = timeit.Timer

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads=1,
                 language=Language.PYTHON):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in (Language.PYTHON, "py", "python"):
            if language in (Language.CPP, "cpp", "c++"):
                raise NotImplementedError("ember's Timer runs Python statements only; "
                                          "C++ timing needs PyTorch's C++ toolchain")
            raise ValueError(f"Invalid language `{language}`.")
        if global_setup:
            raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely "
                             "this code can simply be moved to `setup`.")
        import ember

        self._globals = dict(globals or {})
        self._globals.setdefault("torch", ember)
        self._language = Language.PYTHON
        stmt, setup = _clean(stmt), _clean(setup)
        self._timer = self._timer_cls(stmt=stmt, setup=setup, timer=timer,
                                      globals=self._globals)
        self._task_spec = common.TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup,
                                          label=label, sub_label=sub_label,
                                          description=description, env=env,
                                          num_threads=num_threads)

    def _timeit(self, number: int) -> float:
        return max(self._timer.timeit(number), 1e-9)  # (never zero: it divides later)

    def _measurement(self, number, times):
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)

    def timeit(self, number: int = 1000000):
        """``stmt`` run ``number`` times, after a warm-up of ``number // 100`` runs (at
        least 2)."""
        with common.set_torch_threads(self._task_spec.num_threads):
            self._timeit(max(int(number // 100), 2))
            return self._measurement(number, [self._timeit(number)])

    def repeat(self, repeat: int = -1, number: int = -1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _loop(self, number, stop, min_run_time, max_run_time=None, callback=None):
        """Time blocks of ``number`` runs until ``min_run_time`` is spent and ``stop(times)``
        agrees (or ``max_run_time`` is passed)."""
        times, spent, done = [], 0.0, False
        with common.set_torch_threads(self._task_spec.num_threads):
            while spent < min_run_time or not done:
                t = self._timeit(number)
                times.append(t)
                spent += t
                if callback:
                    callback(number, t)
                done = stop(times)
                if max_run_time and spent > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time: float) -> int:
        """Grow the block tenfold until the timer's own overhead is under 0.01% of it (and
        the block takes at least a thousandth of ``min_run_time``)."""
        with common.set_torch_threads(self._task_spec.num_threads):
            empty = sorted(self._timeit(0) for _ in range(5))
            overhead = empty[2]
            number = 1
            while True:
                took = self._timeit(number)
                if overhead / took <= 1e-4 and took >= min_run_time / 1000:
                    break
                if took > min_run_time or number * 10 > 2147483647:
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time: float = 0.2):
        """Blocks of a size chosen by a warm-up, timed until ``min_run_time`` seconds."""
        number = self._estimate_block_size(min_run_time)
        times = self._loop(number, lambda times: True, min_run_time, callback=callback)
        return self._measurement(number, times)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01,
                           max_run_time: float = 10.0, callback=None):
        """Like :meth:`blocked_autorange`, but goes on until the interquartile range is
        under ``threshold`` of the median (or ``max_run_time`` seconds are spent)."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop(times):
            if len(times) > 3:
                return self._measurement(number, times).meets_confidence(threshold=threshold)
            return False

        times = self._loop(number, stop, min_run_time, max_run_time, callback=callback)
        return self._measurement(number, times)

    def collect_callgrind(self, *args, **kwargs):
        from ...._unsupported import Unsupported

        raise Unsupported("Timer.collect_callgrind is not supported by ember (it needs "
                          "Valgrind and PyTorch's C++ build); use blocked_autorange() for "
                          "wall times")
