"""How tensors print: ``repr(t)`` and ``str(t)``, byte for byte as PyTorch prints them.

The text is built straight from the tensor's array (for a CUDA tensor, a host
copy of just the part that prints), never through ember ops.  The steps:

1. Summarise: when the tensor holds more than ``threshold`` elements, only the
   first and last ``edgeitems`` entries along each dimension are kept.
2. Choose one number style for everything kept (``_float_strings``):
   fixed point with ``precision`` decimals, scientific notation, or, when every
   finite non-zero value is a whole number, ``1.``-style integers.  Only finite,
   non-zero values take part in that choice and in the column width.
3. Lay the strings out: right-aligned to the common width, as many per line as
   fit in ``linewidth``, nested brackets indented one column per level, ``...``
   where entries were left out.
4. Append the suffixes (device, size, dtype, grad_fn / requires_grad), each on
   the current last line when it fits, else on a new line.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from ._dtype import _ODD_NP, get_default_dtype

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "tensor_repr"]


class _PrintOptions:
    """The current print options (one module-wide instance, ``_OPTS``)."""

    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self):  # (as PyTorch's dataclass prints)
        fields = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"__PrinterOptions({fields})"


_OPTS = _PrintOptions()
PRINT_OPTS = _OPTS  # (PyTorch's name for it: some code reads torch._tensor_str.PRINT_OPTS)

# profile name -> (precision, threshold, edgeitems, linewidth)
_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Change how tensors print; the same options as ``torch.set_printoptions``.

    Args:
        precision: digits after the decimal point for floating values (default 4).
        threshold: element count above which a tensor prints summarised (default 1000).
        edgeitems: entries kept at each end of every dimension when summarised (default 3).
        linewidth: characters per line before the entries wrap (default 80).
        profile: ``'default'``, ``'short'`` (precision 2, edgeitems 2) or ``'full'``
            (never summarise); applied first, so the other arguments override it.
        sci_mode: ``True`` forces scientific notation, ``False`` forbids it, ``None``
            lets each tensor's values decide.  Unlike the others, it is reset to
            ``None`` whenever it is not passed.
    """
    if profile is not None and profile in _PROFILES:
        (_OPTS.precision, _OPTS.threshold, _OPTS.edgeitems,
         _OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current options as a dict that ``set_printoptions(**d)`` accepts."""
    return _OPTS.as_dict()


@contextlib.contextmanager
def printoptions(**kwargs):
    """Use the given print options inside a ``with`` block, then restore the old ones."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# -- element strings ---------------------------------------------------------------------

class _Fixed(int):
    """A ``sci_mode`` of False that also rules out the whole-number style."""


_FIXED = _Fixed(0)


def _float_strings(values: np.ndarray, opts: _PrintOptions):
    """Unpadded strings for the float64 ``values`` (1-D) and the column width.

    The style is decided from the finite, non-zero values only: integers when all
    of them are whole numbers, scientific notation when they span more than three
    decades, exceed 1e8 or go below 1e-4 (unless ``sci_mode`` is set), else fixed
    point.  Zeros, nans and infinities just follow the chosen style.
    """
    p = opts.precision
    finite = np.isfinite(values)
    chosen = finite & (values != 0)
    picked = values[chosen]
    if picked.size == 0:
        # Nothing decides the style: whole-number layout, width 1, even under sci_mode.
        strs = [f"{v:.0f}." if math.isfinite(v) else f"{v:.0f}" for v in values.tolist()]
        return strs, 1

    whole = bool(np.all(picked == np.ceil(picked))) and opts.sci_mode is not _FIXED
    if opts.sci_mode is None:
        mags = np.abs(picked)
        big, small = mags.max(), mags.min()
        with np.errstate(over="ignore"):  # (1e300 / 1e-300 is inf: still "more than 1000")
            sci = bool(big / small > 1000.0 or big > 1.0e8 or small < 1.0e-4)
    else:
        sci = bool(opts.sci_mode)

    if sci:
        spec = f".{p}e"
        strs = [format(v, spec) for v in values.tolist()]
    elif whole:
        strs = [f"{v:.0f}." if math.isfinite(v) else f"{v:.0f}" for v in values.tolist()]
    else:
        spec = f".{p}f"
        strs = [format(v, spec) for v in values.tolist()]

    if chosen.all():
        width = max(map(len, strs))
    else:
        width = max(len(s) for s, c in zip(strs, chosen.tolist(), strict=True) if c)
    return strs, max(1, width)


def _element_strings(flat: np.ndarray, floating: bool, opts: _PrintOptions):
    """Right-aligned strings for the 1-D ``flat`` values, and their common width."""
    if floating:
        strs, width = _float_strings(flat.astype(np.float64), opts)
    else:
        # Integers and bools print as Python prints them (``5``, ``True``).
        strs = [str(v) for v in flat.tolist()]
        width = max([1, *map(len, strs)])  # (no strings: a negative edgeitems can keep none)
    return [s.rjust(width) for s in strs], width


def _complex_strings(flat: np.ndarray, opts: _PrintOptions):
    """Strings for the complex 1-D ``flat`` values, and the width a line counts per value.

    As PyTorch: the real and imaginary parts each choose their own style and width; the
    real part is right-aligned to its width, the imaginary part follows its sign unpadded.
    """
    flat = flat.astype(np.complex128)
    re, wr = _float_strings(np.ascontiguousarray(flat.real), opts)
    im, wi = _float_strings(np.ascontiguousarray(flat.imag), opts)
    out = []
    for r, i in zip(re, im):
        i = (i.rjust(wi) + "j").lstrip()
        out.append(r.rjust(wr) + (i if i[0] in "+-" else "+" + i))
    return out, wr + wi + 1


def _to_host(a) -> np.ndarray:
    return a if isinstance(a, np.ndarray) else a.get()  # CuPy array -> NumPy copy


# -- layout ------------------------------------------------------------------------------

def _summarised(a, edge: int, summarize: bool):
    """``a`` cut down to the entries that print, as a NumPy array, and which dimensions were cut.

    A dimension is cut to its first and last ``edge`` entries when summarising and it is
    longer than ``2 * edge``.  Only basic slicing touches ``a``, so a CuPy array is cut on
    its device and just the printed corners are copied to the host.
    """
    cut = [summarize and n > 2 * edge for n in a.shape]

    def gather(part, axis):
        if axis == part.ndim:
            return _to_host(part)
        if not cut[axis]:
            return gather(part, axis + 1)
        lead = (slice(None),) * axis
        # (Python's slicing, as PyTorch's [:edge] and [-edge:]: a negative edge keeps more)
        head = gather(part[lead + (slice(None, edge),)], axis + 1)
        tail = gather(part[lead + (slice(-edge, None),)], axis + 1)
        return np.concatenate([head, tail], axis=axis)

    return gather(a, 0), cut


def _nest(strs, shape, cut, width, indent, opts, edge):
    """Bracketed, wrapped text for the element strings ``strs`` (row-major over ``shape``)."""
    ndim = len(shape)

    def rows(start, depth, ind):
        level = ndim - depth  # dimensions left, counting this one
        n = shape[depth]
        if level == 1:
            items = strs[start:start + n]
            if cut[depth]:  # (the kept head and tail are equally long)
                items = items[:n // 2] + [" ..."] + items[n // 2:]
            per_line = max(1, math.floor((opts.linewidth - ind) / (width + 2)))
            lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
            return "[" + (",\n" + " " * (ind + 1)).join(lines) + "]"
        step = math.prod(shape[depth + 1:])
        parts = [rows(start + i * step, depth + 1, ind + 1) for i in range(n)]
        if cut[depth]:
            parts = parts[:edge] + ["..."] + parts[edge:]
        return "[" + ("," + "\n" * (level - 1) + " " * (ind + 1)).join(parts) + "]"

    return rows(0, 0, indent)


def _contents(a, floating: bool, indent: int, opts: _PrintOptions) -> str:
    """The bracketed values of the non-empty array ``a``, as PyTorch lays them out."""
    summarize = a.size > opts.threshold
    edge = opts.edgeitems
    strings = _complex_strings if a.dtype.kind == "c" else \
        (lambda flat, opts: _element_strings(flat, floating, opts))
    if a.ndim == 0:
        strs, _ = strings(_to_host(a).reshape(1), opts)
        return strs[0]
    if summarize and not edge:
        return "[...]"
    if summarize and edge < 0 and a.ndim > 1:
        # (PyTorch stacks the kept rows, of which a negative edgeitems keeps none)
        raise RuntimeError("stack expects a non-empty TensorList")
    kept, cut = _summarised(a, edge, summarize)
    strs, width = strings(kept.reshape(-1), opts)
    return _nest(strs, kept.shape, cut, width, indent, opts, edge)


def _add_suffixes(text: str, suffixes, indent: int, linewidth) -> str:
    """Join ``suffixes`` after ``text``: on its last line while they fit, else on new lines."""
    out = [text]
    # PyTorch counts the last line two characters longer than it is; kept for identical output.
    used = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if used + len(suffix) + 2 > linewidth:
            out.append(",\n" + " " * indent + suffix)
            used = indent + len(suffix)
        else:
            out.append(", " + suffix)
            used += len(suffix) + 2
    out.append(")")
    return "".join(out)


def tensor_repr(t, *, tensor_contents=None, prefix="tensor(") -> str:
    """The text ``repr(t)`` and ``str(t)`` return, identical to PyTorch's.

    ``tensor_contents`` replaces the bracketed values (the suffixes are still added);
    ``prefix`` replaces ``'tensor('`` (PyTorch uses ``'ClassName('`` for subclasses).
    """
    opts = _OPTS
    indent = len(prefix)
    suffixes = []

    dev = t._device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")

    dtype = t.dtype
    default_name = get_default_dtype().name
    # (the default dtype's complex counterpart is not named either)
    default_complex = "complex128" if default_name == "float64" else "complex64"
    shape = tuple(int(n) for n in t.shape)
    numel = math.prod(shape)

    if dev.type == "meta":
        # No values to show: the shape always, the dtype unless it is the default one.
        suffixes.append(f"size={shape}")
        if dtype.name != default_name:
            suffixes.append(f"dtype={dtype}")
        body = "..." if tensor_contents is None else tensor_contents
    elif numel == 0:
        # Nothing shows which dtype it is, so anything but the default dtype is named.
        if len(shape) != 1:
            suffixes.append(f"size={shape}")
        if dtype.name != default_name:
            suffixes.append(f"dtype={dtype}")
        body = "[]" if tensor_contents is None else tensor_contents
    else:
        if not opts.edgeitems:
            suffixes.append(f"size={shape}")
        if dtype.name not in (default_name, default_complex, "int64", "bool"):
            suffixes.append(f"dtype={dtype}")
        if tensor_contents is None:
            data = t._data
            if data.dtype in _ODD_NP:  # float8 or a shell dtype
                from ._float8 import host_values

                data = host_values(t, for_print=opts)
                if dtype.name == "float8_e8m0fnu" and opts.sci_mode is None and \
                        np.isnan(data).any():
                    # NOTE: PyTorch's printing counts e8m0's NaN among the finite values,
                    # which makes its range and whole-number tests false: fixed point then
                    opts = _PrintOptions()
                    for k, v in _OPTS.as_dict().items():
                        setattr(opts, k, v)
                    opts.sci_mode = _FIXED
            body = _contents(data, bool(dtype.is_floating_point), indent, opts)
        else:
            body = tensor_contents

    try:
        grad_fn = t.grad_fn
        grad_fn_name = None if grad_fn is None else type(grad_fn).__name__
    except RuntimeError:
        grad_fn_name = "Invalid"
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + body, suffixes, indent, opts.linewidth)
