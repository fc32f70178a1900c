"""``ember.testing``: PyTorch's ``torch.testing.assert_close`` and ``make_tensor``.

Compares tensors, NumPy arrays, Python numbers, and sequences or mappings of them, with
dtype-dependent default tolerances, and fails with PyTorch's messages (how many elements
differ, the greatest absolute and relative differences and where).
"""
from __future__ import annotations

import collections.abc
import math
from ember._warnings import warn as _warn

import numpy as np

from . import _dtype as D
from ._tensor import Tensor
from ._unsupported import module_getattr as _module_getattr
from ._make_tensor import make_tensor  # noqa: F401  (torch.testing.make_tensor)

# (rtol, atol) by dtype; integers and bools compare exactly
_TOLERANCES = {D.float16: (1e-3, 1e-5), D.bfloat16: (1.6e-2, 1e-5), D.float32: (1.3e-6, 1e-5),
               D.float64: (1e-7, 1e-7), D.complex64: (1.3e-6, 1e-5),
               D.complex128: (1e-7, 1e-7)}


class _Failure(Exception):
    """A mismatch found deep in a structure; carries the message and its item path."""

    def __init__(self, exc_type, message, path=()):
        super().__init__(message)
        self.exc_type, self.message, self.path = exc_type, message, path


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close.

    Two values are close where ``|actual - expected| <= atol + rtol * |expected|``; NaNs are
    equal only with ``equal_nan``.  ``msg`` (a string, or a function of the generated
    message) replaces the message.
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    opts = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                check_dtype=check_dtype, check_layout=check_layout, check_stride=check_stride)
    try:
        _compare(actual, expected, (), opts)
    except _Failure as f:
        text = f.message
        if f.path:
            text += "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in f.path)
        if f.exc_type is AssertionError and msg is not None:
            text = msg(text) if callable(msg) else msg
        raise f.exc_type(text) from None


def _compare(actual, expected, path, opts):
    if actual is None and expected is None:
        return
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, f"The length of the sequences mismatch: "
                                           f"{len(actual)} != {len(expected)}", path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + (i,), opts)
        return
    if isinstance(actual, collections.abc.Mapping) and \
            isinstance(expected, collections.abc.Mapping):
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing or extra:
            lines = ["The keys of the mappings do not match:"]
            if missing:
                lines.append(f"Missing keys in the actual mapping: {sorted(missing)}")
            if extra:
                lines.append(f"Additional keys in the actual mapping: {sorted(extra)}")
            raise _Failure(AssertionError, "\n".join(lines), path)
        keys = set(actual)
        try:  # (in sorted order where the keys sort, else a set's, as PyTorch)
            keys = sorted(keys)
        except Exception:  # noqa: BLE001
            pass
        for k in keys:
            _compare(actual[k], expected[k], path + (k,), opts)
        return
    if isinstance(actual, Tensor) and isinstance(expected, Tensor) or \
            isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):
        _compare_tensors(_as_tensor(actual), _as_tensor(expected), path, opts,
                         (actual, expected))
        return
    if actual is None or expected is None:
        raise _Failure(AssertionError, f"None mismatch: {actual} is not {expected}", path)
    if isinstance(actual, (bool, np.bool_)) and isinstance(expected, (bool, np.bool_)):
        if bool(actual) is not bool(expected):
            # (without the item's path: PyTorch's boolean pair drops it)
            raise _Failure(AssertionError, f"Booleans mismatch: {bool(actual)} is not "
                                           f"{bool(expected)}", ())
        return
    if _is_number(actual) and _is_number(expected):
        if isinstance(actual, bool) or isinstance(expected, bool):
            # NOTE: PyTorch's number pair has no dtype for a bool beside a number, and says so
            raise RuntimeError(
                f"Originating a NumberPair() at item {''.join(str([p]) for p in path)} with"
                f"\n\n{type(actual).__name__}(): {actual}\n\nand\n\n"
                f"{type(expected).__name__}(): {expected}\n\nresulted in the unexpected "
                "exception above. If you are a user and see this message during normal "
                "operation please file an issue at https://github.com/pytorch/pytorch/issues. "
                "If you are a developer and working on the comparison functions, please "
                "except the previous error and raise an expressive `ErrorMeta` instead.")
        _compare_numbers(*(x.item() if isinstance(x, np.number) else x
                           for x in (actual, expected)), path, opts)
        return
    raise _Failure(TypeError, f"No comparison pair was able to handle inputs of type "
                              f"{_type(actual)} and {_type(expected)}.", path)


def _type(x):
    return "<class 'torch.Tensor'>" if isinstance(x, Tensor) else str(type(x))


def _is_sequence(x):
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, str)


def _is_number(x):
    return isinstance(x, (int, float, complex, np.number))


def _as_tensor(x):
    from ._ops.creation import from_numpy
    return x.detach() if isinstance(x, Tensor) else from_numpy(np.ascontiguousarray(x))


def _attribute(name, a, e, path):
    raise _Failure(AssertionError, f"The values for attribute '{name}' do not match: {a} != {e}.",
                   path)


def _compare_tensors(a, e, path, opts, given):
    from . import strided

    if a.shape != e.shape:
        _attribute("shape", a.shape, e.shape, path)
    if a.layout != e.layout:
        if opts["check_layout"]:
            _attribute("layout", a.layout, e.layout, path)
    elif opts["check_stride"] and a.layout == strided and a.stride() != e.stride():
        _attribute("stride()", a.stride(), e.stride(), path)
    if opts["check_device"] and a.device != e.device:
        _attribute("device", a.device, e.device, path)
    if opts["check_dtype"] and a.dtype is not e.dtype:
        _attribute("dtype", a.dtype, e.dtype, path)
    if a.device.type == "meta" or e.device.type == "meta":
        return  # (no values to compare)
    a, e = a.cpu(), e.cpu()
    # (values compared dense; PyTorch compares two sparse COO tensors' indices and values)
    a, e = (t.to_dense() if t.layout != strided else t for t in (a, e))
    rtol, atol = opts["rtol"], opts["atol"]
    if rtol is None:  # the looser of the two dtypes' tolerances
        (r1, a1), (r2, a2) = (_TOLERANCES.get(t.dtype, (0, 0)) for t in (a, e))
        rtol, atol = max(r1, r2), max(a1, a2)
    if rtol < 0 or atol < 0:  # (isclose refuses it, which PyTorch reports so)
        fields = dict(id=path, actual=given[0], expected=given[1], rtol=rtol, atol=atol,
                      **{k: opts[k] for k in ("equal_nan", "check_device", "check_dtype",
                                              "check_layout", "check_stride")})
        body = "".join(f"    {k}={v!s},\n" for k, v in fields.items())
        raise RuntimeError(f"Comparing\n\nTensorLikePair(\n{body})\n\nresulted in the "
                           "unexpected exception above. If you are a user and see this message "
                           "during normal operation please file an issue at "
                           "https://github.com/pytorch/pytorch/issues. If you are a developer "
                           "and working on the comparison functions, please except the previous "
                           "error and raise an expressive `ErrorMeta` instead.")
    if a.dtype is not e.dtype:  # (PyTorch's: the wide unsigned types count as int64 here)
        common = D.promote_types(*(D.int64 if t.dtype in D._WIDE_UNSIGNED else t.dtype
                                   for t in (a, e)))
        a, e = a.to(common), e.to(common)
    if a.dtype.is_complex and opts["equal_nan"]:  # NaN parts match part by part, as PyTorch
        close = a.real.isclose(e.real, rtol=rtol, atol=atol, equal_nan=True) & \
            a.imag.isclose(e.imag, rtol=rtol, atol=atol, equal_nan=True)
    else:
        close = a.isclose(e, rtol=rtol, atol=atol, equal_nan=opts["equal_nan"])
    if bool(close.all()):
        return
    scalars = (a.item(), e.item()) if a.ndim == 0 else None
    if a.dtype._kind < 2:  # differences of integers without overflow
        a, e = a.to(D.int64), e.to(D.int64)
    # the greatest differences among the elements that are not close
    abs_diff = (a - e).abs().masked_fill(close, 0)
    rel_diff = (abs_diff / e.abs()).masked_fill(close, 0)
    if a.ndim == 0:  # (PyTorch's differences of the two Python numbers)
        x, y = scalars
        diff = abs(x - y)
        text = _mismatch("Scalars", f"Expected {y} but got {x}.", rtol, atol, diff, None,
                         math.inf if y == 0 else diff / abs(y), None)
    else:
        total, wrong = a.numel(), int((~close).sum())
        abs_max, abs_at = abs_diff.flatten().max(0)
        rel_max, rel_at = rel_diff.flatten().max(0)
        text = _mismatch("Tensor-likes", f"Mismatched elements: {wrong} / {total} "
                                         f"({wrong / total:.1%})", rtol, atol,
                         abs_max.item(), _index(abs_at, a.shape), rel_max.item(),
                         _index(rel_at, a.shape))
    raise _Failure(AssertionError, text, path)


def _index(flat, shape):
    return tuple(int(i) for i in np.unravel_index(int(flat), tuple(shape)))


def _mismatch(what, extra, rtol, atol, abs_diff, abs_at, rel_diff, rel_at):
    equality = rtol == 0 and atol == 0

    def line(kind, diff, at, tol):
        text = f"{kind.title()} difference: {diff}" if at is None else \
            f"Greatest {kind} difference: {diff} at index {at}"
        return text if equality else f"{text} (up to {tol} allowed)"

    return (f"{what} are not {'equal' if equality else 'close'}!\n\n{extra}\n"
            f"{line('absolute', abs_diff, abs_at, atol)}\n"
            f"{line('relative', rel_diff, rel_at, rtol)}")


def _compare_numbers(a, e, path, opts):
    if opts["check_dtype"] and type(a) is not type(e):
        raise _Failure(AssertionError, f"The (d)types do not match: {type(a)} != {type(e)}.",
                       path)
    rtol, atol = opts["rtol"], opts["atol"]
    if rtol is None:
        floating = isinstance(a, (float, complex, np.inexact)) or \
            isinstance(e, (float, complex, np.inexact))
        rtol, atol = (1e-7, 1e-7) if floating else (0, 0)
    if a == e or (opts["equal_nan"] and _isnan(a) and _isnan(e)):
        return
    abs_diff = abs(a - e)
    if math.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(e):  # (False for NaN)
        return
    rel_diff = abs_diff / abs(e) if e != 0 else (math.inf if abs_diff else math.nan)
    raise _Failure(AssertionError, _mismatch("Scalars", f"Expected {e} but got {a}.", rtol, atol,
                                             abs_diff, None, rel_diff, None), path)


def _isnan(x):
    return isinstance(x, (float, np.floating)) and math.isnan(x)


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """The deprecated form of :func:`assert_close` (NaNs equal by default)."""
    _warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be "
          "removed in a future release. Please use `torch.testing.assert_close()` "
          "instead. You can find detailed upgrade instructions in "
          "https://github.com/pytorch/pytorch/issues/61844.", FutureWarning,
          stacklevel=2)
    if not isinstance(actual, Tensor):
        from ._ops.creation import tensor
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        from ._ops.creation import tensor
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _TOLERANCES.get(D.promote_types(actual.dtype, expected.dtype), (0, 0))
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, check_stride=False, msg=msg or None)


__getattr__ = _module_getattr("torch.testing")
