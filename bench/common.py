"""Timing helpers: medians of repeated runs, alternating the contenders within one run."""
from __future__ import annotations

import statistics
import time


def timeit(fn, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def samples(contenders: dict, number: int, repeats: int = 7, warmup: int = 3, pause=0.15):
    """Seconds per call of each contender, one sample per repeat, measured in alternation.

    The order rotates every repeat and each timing starts after a pause: PyTorch's OpenMP
    workers and NumPy's OpenBLAS workers keep spinning for a while after their own calls
    and would otherwise slow down whichever contender ran right after them.
    """
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    names = list(contenders)
    out = {k: [] for k in names}
    for r in range(repeats):
        for k in names[r % len(names):] + names[:r % len(names)]:
            time.sleep(pause)
            out[k].append(timeit(contenders[k], number))
    return out


def compare(contenders: dict, number: int, repeats: int = 7, warmup: int = 3, pause=0.15):
    """Median seconds per call for each contender (see :func:`samples`)."""
    got = samples(contenders, number, repeats, warmup, pause)
    return {k: statistics.median(v) for k, v in got.items()}


def paired_ratio(got: dict, a: str, b: str) -> float:
    """The median over repeats of ``a``'s time over ``b``'s: each repeat's two samples were
    taken moments apart, so the machine's slow drifts cancel."""
    return statistics.median(x / y for x, y in zip(got[a], got[b]))


def table(rows, headers):
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)
