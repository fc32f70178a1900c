"""PyTorch's legacy (pre-1.6, ``_use_new_zipfile_serialization=False``) format.

The file is five pickles followed by raw storages::

    pickle 0x1950A86A20F9469CFC6C      the magic number
    pickle 1001                        the protocol version
    pickle {"protocol_version": 1001, "little_endian": True, "type_sizes": {...}}
    pickle obj                         storages as ('storage', type, key, location, numel, view)
    pickle [key, ...]                  the order of the storages that follow
    for each key: int64 numel, then numel * itemsize bytes

(Files from before PyTorch 0.4, a tar archive, are not supported.)
"""
from __future__ import annotations

import io
import pickle
import struct
import sys

import numpy as np

from ._rebuild import refresh_flipped

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
# A file that does not even start with a pickle (``load`` makes it an UnpicklingError).
NOT_A_CHECKPOINT = ("Invalid magic number; corrupt file? (this is neither a zip checkpoint "
                    "nor a legacy PyTorch one)")
_SYS_INFO = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
             "type_sizes": {"short": 2, "int": 4, "long": 4}}


def write_legacy(out, pkl: bytes, refs, protocol) -> None:
    """Write the header pickles, the object's pickle ``pkl`` and the storages of ``refs``."""
    head = io.BytesIO()
    for value in (MAGIC_NUMBER, PROTOCOL_VERSION, _SYS_INFO):
        pickle.dump(value, head, protocol=protocol)
    out.write(head.getvalue())
    out.write(pkl)
    out.write(pickle.dumps([ref.key for ref in refs], protocol=protocol))
    out.flush()  # (as PyTorch's, before the storages: an object without flush fails here)
    for ref in refs:
        data = ref.host_bytes()
        # The element count of the storage's persistent id: bytes for an untyped storage
        # (the uint16/32/64 tensors), elements of ``ref.dtype`` otherwise.
        out.write(struct.pack("<q", ref.pid[4]))
        out.write(memoryview(np.ascontiguousarray(data)))


def _is_tar(fh) -> bool:
    pos = fh.tell()
    block = fh.read(512)
    fh.seek(pos)
    return len(block) == 512 and block[257:262] == b"ustar"


def read_legacy(fh, make_unpickler, make_loader):
    """Load a legacy checkpoint from the seekable binary file ``fh``.

    ``make_unpickler(file, persistent_load)`` builds the (restricted or full) unpickler;
    ``make_loader(swap_bytes)`` the storage loader for the object's pickle.
    """
    if _is_tar(fh):
        raise RuntimeError("This checkpoint is in PyTorch's oldest (tar, before 0.4) format, "
                           "which ember cannot read. Load it with PyTorch and save it again.")

    def header(unpickler=None):  # (one line loads them all: PyTorch warns at one line too)
        return (unpickler or make_unpickler(fh, None)).load()  # (no persistent ids there)

    try:
        first = make_unpickler(fh, None)
    except TypeError as e:  # (a bad pickle_load_args key: PyTorch's header read is a load())
        raise TypeError(str(e).replace("Unpickler.__init__()", "load()").replace(
            "for Unpickler()", "for load()")) from None
    try:
        magic = header(first)
    except EOFError:
        # (an empty file, or one that ends inside the magic number: the unpickler's own
        # EOFError, as PyTorch reports it)
        raise
    except Exception as err:
        raise RuntimeError(NOT_A_CHECKPOINT) from err
    if magic != MAGIC_NUMBER:  # (a pickle, but not a checkpoint: PyTorch's words and type)
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = header()
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version}")
    sys_info = header()
    little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
    loader = make_loader(little != (sys.byteorder == "little"))
    result = make_unpickler(fh, loader).load()
    keys = header()
    if not isinstance(keys, list):
        raise RuntimeError("corrupt legacy checkpoint: the storage key list is missing")
    for key in keys:  # (with PyTorch's errors, its C++ format string included)
        typed = loader.storages.get(str(key))
        if typed is None:
            raise AssertionError(f"storage key {key!r} not found in deserialized_objects")
        head = fh.read(8)
        if len(head) != 8:
            raise RuntimeError(f"unexpected EOF, expected {8 - len(head)} more bytes. The file "
                               "might be corrupted.")
        numel, = struct.unpack("<q" if little else ">q", head)
        target = typed._untyped_storage._data
        nbytes = numel * typed.dtype.itemsize
        if nbytes != target.nbytes:
            raise RuntimeError(f"storage has wrong byte size: expected %ld got "
                               f"%ld{nbytes % 2 ** 64}{target.nbytes}")  # (a C++ uint64)
        buf = np.empty(nbytes, np.uint8)
        got = fh.readinto(memoryview(buf)) if nbytes else 0
        if got != nbytes:
            raise RuntimeError(f"unexpected EOF, expected {nbytes - (got or 0)} more bytes. The "
                               "file might be corrupted.")
        if loader.swap and typed.dtype.itemsize > 1:
            buf.view(typed.dtype.np).byteswap(inplace=True)
        if typed._untyped_storage.device.type == "meta":
            continue  # (mapped to meta: the bytes have nowhere to go)
        if isinstance(target, np.ndarray):
            target[...] = buf
        else:  # restored onto a GPU before its bytes were read
            target.set(buf)
        refresh_flipped(typed._untyped_storage)  # (the tensors with a conjugate bit)
    return result
