"""What a benchmark measured (``Measurement``), what it ran (``TaskSpec``), and the helpers
that print times: ``select_unit``, ``trim_sigfig``.

Statistics are computed with NumPy (linear-interpolated quantiles, as ``torch.quantile``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import textwrap

import numpy as np

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig",
           "ordered_unique", "set_torch_threads"]

_MOST_SIGFIGS = 4
_SMALLEST_CI = 25e-9  # seconds: no confidence interval is believed below this
_IQR_WARN = 0.1  # relative spreads that earn a warning in the printout
_IQR_WARN_GROSS = 0.25


@dataclasses.dataclass(init=True, repr=False, eq=True, frozen=True)
class TaskSpec:
    """The code a Timer ran and its labels (everything but the globals)."""

    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        """The measurement's heading: the label, or else the statement."""
        extra = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + extra
        if "\n" not in self.stmt:
            return self.stmt + extra
        sub = f" ({self.sub_label})" if self.sub_label else ""
        return f"stmt:{sub}\n" + textwrap.indent(self.stmt, "  ")

    def setup_str(self) -> str:
        if not self.setup or self.setup == "pass":
            return ""
        if "\n" in self.setup:
            return "setup:\n" + textwrap.indent(self.setup, "  ")
        return f"setup: {self.setup}"

    def summarize(self) -> str:
        """The lines that head a Measurement's printout."""
        parts = [p for p in (self.title, self.description or "", self.setup_str()) if p]
        # (a multi-line part is followed by an empty line)
        return "\n".join(p + "\n" if "\n" in p else p for p in parts)


_SPEC_FIELDS = tuple(f.name for f in dataclasses.fields(TaskSpec))


def _quantile(sorted_values, q):
    return float(np.quantile(np.asarray(sorted_values, dtype=np.float64), q))


@dataclasses.dataclass(init=True, repr=False)
class Measurement:
    """Times of one statement: ``raw_times[i]`` is the time of ``number_per_run`` runs."""

    number_per_run: int
    raw_times: list
    task_spec: TaskSpec
    metadata: dict | None = None

    def __post_init__(self):
        self._sorted = ()
        self._warnings = ()
        self._median = self._mean = self._p25 = self._p75 = -1.0

    def __getattr__(self, name):
        # the task's fields read through: m.stmt, m.label, m.num_threads...
        if name in _SPEC_FIELDS:
            return getattr(self.task_spec, name)
        raise AttributeError(f"'Measurement' object has no attribute '{name}'")

    def _stats(self):
        if not self.raw_times or self._sorted:
            return
        self._sorted = tuple(sorted(self.times))
        self._median = _quantile(self._sorted, 0.5)
        self._mean = float(np.mean(np.asarray(self._sorted, dtype=np.float64)))
        self._p25 = _quantile(self._sorted, 0.25)
        self._p75 = _quantile(self._sorted, 0.75)
        if not self.meets_confidence(_IQR_WARN_GROSS):
            self._warn("This suggests significant environmental influence.")
        elif not self.meets_confidence(_IQR_WARN):
            self._warn("This could indicate system fluctuation.")

    def _warn(self, why):
        spread = self.iqr / self.median * 100
        self._warnings += (f"  WARNING: Interquartile range is {spread:.1f}% of the median "
                           f"measurement.\n           {why}",)

    @property
    def times(self) -> list:
        """Seconds per single run of the statement, one entry per block."""
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self) -> float:
        self._stats()
        return self._median

    @property
    def mean(self) -> float:
        self._stats()
        return self._mean

    @property
    def iqr(self) -> float:
        self._stats()
        return self._p75 - self._p25

    @property
    def significant_figures(self) -> int:
        """How many digits of the median the spread of the middle half supports (1 to 4)."""
        self._stats()
        n = len(self._sorted)
        middle = self._sorted[n // 4:math.ceil(3 * n / 4)]
        spread = float(np.std(np.asarray(middle, dtype=np.float64)))
        ci = max(1.645 * spread / math.sqrt(len(middle)), _SMALLEST_CI)
        digits = math.floor(math.log10(self._median / ci))
        return min(max(digits, 1), _MOST_SIGFIGS)

    @property
    def has_warnings(self) -> bool:
        self._stats()
        return bool(self._warnings)

    def meets_confidence(self, threshold: float = _IQR_WARN) -> bool:
        return self.iqr / self.median < threshold

    @property
    def title(self) -> str:
        return self.task_spec.title

    @property
    def env(self):
        # NOTE: PyTorch means "Unspecified env" for a missing env, but its property fails and
        # falls back to the task's field: None.  Compare's row layout depends on it, so match.
        return self.task_spec.env

    @property
    def as_row_name(self) -> str:
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self) -> str:
        self._stats()
        n = len(self._sorted)
        unit, scale = select_unit(self._median)
        lines = [f"<torch.utils.benchmark.utils.common.Measurement object at {hex(id(self))}>",
                 self.task_spec.summarize(),
                 f"  {'Median: ' if n > 1 else ''}{self._median / scale:.2f} {unit}"]
        if n >= 4:
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} "
                         f"({self._p25 / scale:.2f} to {self._p75 / scale:.2f})")
        threads = self.task_spec.num_threads
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
                     f"{'per measurement,' if n > 1 else ','} {threads} "
                     f"thread{'s' if threads > 1 else ''}")
        lines.extend(self._warnings)
        return "\n".join(lines).strip()

    @staticmethod
    def merge(measurements) -> list:
        """Pool replicates of the same task into one Measurement each (per-run times, so
        ``number_per_run`` becomes 1; metadata is dropped)."""
        pooled: dict = {}
        for m in measurements:
            pooled.setdefault(m.task_spec, []).extend(m.times)
        return [Measurement(1, times, spec) for spec, times in pooled.items()]


def log10_f32(x) -> float:
    """``log10`` of ``x`` as PyTorch computes it on a float32 tensor (correctly rounded)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float32(np.log10(np.float64(np.float32(x)))))


def select_unit(t: float) -> tuple:
    """The unit (and its size in seconds) that shows ``t`` seconds with 1-3 leading digits."""
    power = log10_f32(t)
    key = math.floor(power / 3) if math.isfinite(power) else None
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(key, "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


def unit_to_english(u: str) -> str:
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x: float, n: int) -> float:
    """``x`` rounded to ``n`` significant figures (3.14159, 2 -> 3.1)."""
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    magnitude = math.ceil(log10_f32(abs(x)))
    scale = 10 ** (magnitude - n)
    # (rounded half to even, on float32 values, as PyTorch's tensor arithmetic does)
    return float(np.round(np.float32(x / scale)) * np.float32(scale))


def ordered_unique(elements) -> list:
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n: int):
    """Run the block with ember's thread count at ``n`` (restored after)."""
    import ember

    prior = ember.get_num_threads()
    try:
        ember.set_num_threads(n)
        yield
    finally:
        ember.set_num_threads(prior)

