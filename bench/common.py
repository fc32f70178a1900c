"""Timing helpers: medians of repeated runs, alternating the contenders within one run."""
from __future__ import annotations

import statistics
import time


def timeit(fn, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def compare(contenders: dict, number: int, repeats: int = 7, warmup: int = 3, pause=0.15):
    """Median seconds per call for each contender, measured in alternation.

    The order rotates every repeat and each timing starts after a short pause: PyTorch's
    worker threads keep spinning for a moment after its own calls and would otherwise slow
    down whichever contender always ran right after it.
    """
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    names = list(contenders)
    samples = {k: [] for k in names}
    for r in range(repeats):
        for k in names[r % len(names):] + names[:r % len(names)]:
            time.sleep(pause)
            samples[k].append(timeit(contenders[k], number))
    return {k: statistics.median(v) for k, v in samples.items()}


def table(rows, headers):
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)
