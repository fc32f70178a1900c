"""``Compare``: many Measurements as one table per label (rows: sub_label or stmt, grouped
by thread count; columns: description), laid out as PyTorch prints it."""
from __future__ import annotations

import enum
import math

from . import common

__all__ = ["Colorize", "Compare"]

_BEST = "\033[92m"
_GOOD = "\033[34m"
_BAD = "\033[2m\033[91m"
_VERY_BAD = "\033[31m"
_BOLD = "\033[1m"
_END = "\033[0m"


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


def _leading_digits(x):
    # (in float32, as PyTorch computes it)
    return math.ceil(common.log10_f32(x)) if x > 0 else 0


class _Column:
    """One description's results: fixes the number format the column uses."""

    def __init__(self, grouped, scale, trim, highlight):
        self.grouped = grouped
        flat = [m for group in grouped for m in group]
        self.scale, self.trim = scale, trim
        self.highlight = highlight and any(m.has_warnings for m in flat if m)
        digits = [_leading_digits(m.median / scale) if m else None for m in flat]
        whole = max(d for d in digits if d is not None)
        if trim:
            decimals = min(max(m.significant_figures - d, 0)
                           for d, m in zip(digits, flat) if m is not None)
        else:
            decimals = 1
        width = whole + decimals + (1 if decimals else 0)
        self._fmt = f"{{:>{width}.{decimals}f}}{{:>{7 if self.highlight else 0}}}"

    def cell(self, value, sigfigs, spread):
        if value is None:
            return " " * len(self.cell(1, sigfigs, None))
        if self.trim:
            value = common.trim_sigfig(value, sigfigs)
        note = f" (! {spread * 100:.0f}%)" if self.highlight and spread is not None else ""
        return self._fmt.format(value, note)


class _Row:
    def __init__(self, results, group, show_env, env_width, scale, colorize, threads):
        self.results, self.group = results, group
        self.show_env, self.env_width = show_env, env_width
        self.scale, self.colorize, self.threads = scale, colorize, threads
        self.columns = ()

    def cells(self):
        first = next(r for r in self.results if r is not None)
        env = f"({first.env})" if self.show_env else ""
        out = ["  " + env.ljust(self.env_width + 4) + first.as_row_name]
        for m, col in zip(self.results, self.columns):
            if m is None:
                out.append(col.cell(None, 1, None))
            else:
                out.append(col.cell(m.median / self.scale, m.significant_figures,
                                    m.iqr / m.median if m.has_warnings else None))
        return out

    def separator(self, width):
        return [] if self.threads is None else [f"{self.threads} threads: ".ljust(width, "-")]

    @staticmethod
    def _paint(text, value, best):
        if value <= best * 1.01 or value <= best + 100e-9:
            return _BEST + _BOLD + text + _END * 2
        if value <= best * 1.1:
            return _GOOD + _BOLD + text + _END * 2
        if value >= best * 5:
            return _VERY_BAD + _BOLD + text + _END * 2
        if value >= best * 2:
            return _BAD + text + _END * 2
        return text

    def finish(self, cells, widths):
        if self.colorize == Colorize.ROWWISE:
            low = min(r.median for r in self.results if r is not None)
            best = [low] * len(cells)
        elif self.colorize == Colorize.COLUMNWISE:
            best = []
            for col in self.columns:
                meds = [r.median for r in col.grouped[self.group] if r is not None]
                best.append(min(meds) if meds else None)
        else:
            best = [-1] * len(cells)
        out = [cells[0].ljust(widths[0])]
        for text, width, m, b in zip(cells[1:], widths[1:], self.results, best):
            text = text.center(width)
            if self.colorize != Colorize.NONE and m is not None and b is not None:
                text = self._paint(text, m.median, b)
            out.append(text)
        return out


class _Table:
    def __init__(self, results, colorize, trim, highlight):
        if len({r.label for r in results}) != 1:
            raise AssertionError("All results must share the same label")
        self.results, self.colorize, self.highlight = results, colorize, highlight
        self.label = results[0].label
        self.unit, self.scale = common.select_unit(min(r.median for r in results))
        row_key = lambda m: (m.num_threads, m.env, m.as_row_name)  # noqa: E731
        self.row_keys = common.ordered_unique(row_key(m) for m in results)
        self.row_keys.sort(key=lambda k: k[:2])  # (stable: statements keep their order)
        self.col_keys = common.ordered_unique(m.description for m in results)
        grid = [[None] * len(self.col_keys) for _ in self.row_keys]
        rpos = {k: i for i, k in enumerate(self.row_keys)}
        cpos = {k: j for j, k in enumerate(self.col_keys)}
        for m in results:
            grid[rpos[row_key(m)]][cpos[m.description]] = m
        envs = {m.env for m in results}
        show_env = len(envs) > 1
        env_width = max(len(e) for e in envs) if show_env else 0
        self.rows, groups = [], []
        last_threads, last_env = -1, ""
        for (threads, env, _), row in zip(self.row_keys, grid):
            new_group = threads != last_threads
            if new_group:
                last_threads, last_env = threads, ""
                groups.append([])
            self.rows.append(_Row(row, len(groups) - 1, show_env and env != last_env, env_width,
                                  self.scale, colorize, threads if new_group else None))
            groups[-1].append(row)
            last_env = env
        self.columns = tuple(_Column([tuple(r[j] for r in g) for g in groups], self.scale,
                                     trim, highlight) for j in range(len(self.col_keys)))
        for r in self.rows:
            r.columns = self.columns

    def render(self) -> str:
        table = [[""] + list(self.col_keys)] + [r.cells() for r in self.rows]
        ncols = max(len(t) for t in table)
        for t in table:
            t.extend([""] * (ncols - len(t)))
        widths = [max(len(c) for c in col) for col in zip(*table)]
        head = "  |  ".join(str(c).center(w) for c, w in zip(table[0], widths))
        lines = [head]
        for cells, row in zip(table[1:], self.rows):
            lines.extend(row.separator(len(head)))
            lines.append("  |  ".join(row.finish(cells, widths)))
        warned = self.highlight and any(m.has_warnings for m in self.results)
        title = f" {self.label or ''} ".center(len(head) - 2, "-")
        note = ("(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n"
                if warned else "")
        return (f"[{title}]\n" + "\n".join(lines) + "\n\n"
                f"Times are in {common.unit_to_english(self.unit)}s ({self.unit}).\n" + note)


class Compare:
    """A table of Measurements; ``print()`` it or ``str()`` it."""

    def __init__(self, results):
        self._results = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def __str__(self) -> str:
        return "\n".join(self._render())

    def extend_results(self, results) -> None:
        for r in results:
            if not isinstance(r, common.Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} "
                                 "instead.")
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        self._trim_significant_figures = True

    def colorize(self, rowwise=False) -> None:
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self) -> None:
        self._highlight_warnings = True

    def print(self) -> None:
        print(str(self))

    def _render(self):
        by_label: dict = {}
        for m in common.Measurement.merge(self._results):
            by_label.setdefault(m.label, []).append(m)
        return [_Table(group, self._colorize, self._trim_significant_figures,
                       self._highlight_warnings).render() for group in by_label.values()]
