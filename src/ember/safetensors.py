"""``.safetensors`` files for ember tensors, as ``safetensors.torch`` does for PyTorch's.

Needs the optional ``safetensors`` package (``pip install safetensors``); without it
every function raises ``ImportError`` saying so.

>>> ember.safetensors.save_file(model.state_dict(), "model.safetensors")
>>> model.load_state_dict(ember.safetensors.load_file("model.safetensors"))
"""
from __future__ import annotations

import contextlib
import os
import secrets

import numpy as np

from . import _dtype as D
from ._ops._core import wrap
from ._tensor import Tensor

__all__ = ["save", "save_file", "load", "load_file"]

_CODES = {"F16": D.float16, "BF16": D.bfloat16, "F32": D.float32, "F64": D.float64,
          "I8": D.int8, "I16": D.int16, "I32": D.int32, "I64": D.int64, "U8": D.uint8,
          "U16": D.uint16, "U32": D.uint32, "U64": D.uint64, "BOOL": D.bool,
          "C64": D.complex64, "C128": D.complex128, "F8_E4M3": D.float8_e4m3fn,
          "F8_E5M2": D.float8_e5m2, "F8_E4M3FNUZ": D.float8_e4m3fnuz,
          "F8_E5M2FNUZ": D.float8_e5m2fnuz, "F8_E8M0": D.float8_e8m0fnu}


def _require():
    try:
        import safetensors
    except ImportError:
        raise ImportError("ember.safetensors needs the optional 'safetensors' package: "
                          "pip install safetensors") from None
    return safetensors


def _arrays(tensors):
    """Each tensor's contiguous CPU array, after safetensors.torch's checks."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    arrays, spans = {}, []
    for name, t in tensors.items():
        if not isinstance(t, Tensor):
            raise ValueError(f"Key `{name}` is invalid, expected torch.Tensor but received "
                             f"{type(t)}")
        if not isinstance(name, str):  # (the type safetensors' own argument check raises)
            raise TypeError(f"argument 'tensor_dict': '{type(name).__name__}' object is not an "
                            "instance of 'str'")
        if not t.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{name}` which is not "
                "allowed. It either means you are trying to save tensors which are reference "
                "of each other in which case it's recommended to save only the full tensors, "
                "and reslice at load time, or simply call `.contiguous()` on your tensor to "
                "pack it before saving.")
        # (``np.ascontiguousarray`` would turn a 0-d tensor into shape [1])
        a = np.asarray(t.detach().numpy(force=True), order="C")
        arrays[name] = a
        if t.device.type == "cpu" and a.nbytes:
            spans.append((t.data_ptr(), t.data_ptr() + a.nbytes, name))
    spans.sort()
    shared = [(spans[i][2], spans[i + 1][2]) for i in range(len(spans) - 1)
              if spans[i + 1][0] < spans[i][1]]
    if shared:
        raise RuntimeError(
            f"Some tensors share memory, this will lead to duplicate memory on disk and "
            f"potential differences when loading them again: {shared}. Save copies "
            "(``.clone()``) of the tensors that share memory, or use ember.save.")
    return arrays


def _specs(st, arrays):
    if hasattr(st, "TensorSpec"):  # safetensors >= 0.8 reads the memory in place
        return {k: st.TensorSpec(dtype=a.dtype.name, shape=list(a.shape),
                                 data_ptr=a.ctypes.data, data_len=a.nbytes)
                for k, a in arrays.items()}
    return {k: {"dtype": a.dtype.name, "shape": list(a.shape), "data": a.tobytes()}
            for k, a in arrays.items()}


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The bytes of a safetensors file holding ``tensors`` (a dict of name -> tensor)."""
    st = _require()
    arrays = _arrays(tensors)
    return bytes(st.serialize(_specs(st, arrays), metadata=metadata))


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write ``tensors`` to ``filename`` (atomically: a temporary file renamed over it)."""
    st = _require()
    arrays = _arrays(tensors)
    path = os.fspath(filename)
    parent = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(parent, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    try:
        st.serialize_file(_specs(st, arrays), tmp, metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load(data: bytes, device="cpu") -> dict:
    """The tensors of a safetensors file given as bytes."""
    st = _require()
    out = {}
    for name, info in st.deserialize(bytes(data)):
        dtype = _CODES.get(info["dtype"])
        if dtype is None:
            raise TypeError(f"ember cannot load tensor {name!r}: dtype {info['dtype']} is not "
                            "supported")
        arr = np.frombuffer(info["data"], dtype.np).reshape(info["shape"]).copy()
        t = wrap(arr)
        out[name] = t if str(device) == "cpu" else t.to(device)
    return out


def _file_order(st, filename, device):
    """The names in ``filename`` in the order of their data (safetensors.torch's order), after
    safetensors' own check of ``device`` (its error for a name it does not know)."""
    where = device if isinstance(device, (str, int)) else str(device)
    try:
        with st.safe_open(filename, framework="numpy", device=where) as f:
            return f.offset_keys()
    except Exception as e:
        if "is not supported for framework numpy" not in str(e):  # (a device it knows)
            raise
    with st.safe_open(filename, framework="numpy") as f:
        return f.offset_keys()


def load_file(filename, device="cpu") -> dict:
    """The tensors of the safetensors file ``filename``, on ``device``, in the file's order."""
    st = _require()
    order = _file_order(st, filename, device)
    with open(filename, "rb") as fh:
        tensors = load(fh.read(), device=device)
    return {name: tensors[name] for name in order}
