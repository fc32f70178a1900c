"""``save`` and ``load``: checkpoints in PyTorch's own ``.pt``/``.pth`` format, without PyTorch.

>>> ember.save(model.state_dict(), "model.pth")        # torch.load(...) reads it
>>> model.load_state_dict(ember.load("model.pth"))     # and ember reads torch.save's files

Files are zip archives holding a protocol-2 pickle (``data.pkl``) plus one raw
little-endian record per storage, byte for byte the layout PyTorch 2.x writes
(see ``ember._serialization``).  Tensors that share memory (views, tied weights)
are written once and share memory again after loading.  PyTorch's older
non-zip format (``_use_new_zipfile_serialization=False``) is read and written
too, and ``.safetensors`` paths are loaded through the optional ``safetensors``
package (see ``ember.safetensors``).

``load`` is safe by default (``weights_only=True``): only tensors, parameters,
storages, dtypes, devices, ``torch.Size`` and plain containers can come out of
the file; any other global is refused with ``pickle.UnpicklingError`` before
anything runs.  ``weights_only=False`` unpickles anything (such as a whole
``ember.nn.Module`` saved with ``ember.save(model, ...)``) and must only be used
on trusted files.

Saving to a path is atomic: the checkpoint is written to a temporary file in the
same directory, flushed to disk and renamed over the target, so a failure
leaves any previous file untouched.
"""
from __future__ import annotations

import contextlib
import enum
import errno
import io
import mmap as mmap_module
import operator
import os
import pathlib
import pickle
import re
import secrets
import stat
import sys
import uuid
import warnings


from ._serialization import _legacy
from ._serialization._pickling import StorageTable, TorchPickler
from ._serialization._rebuild import _torch_globals
from ._serialization._storage import (StorageLoader, TypedStorage, UntypedStorage,
                                      default_restore_location)
from ._serialization import _unpickling
from ._serialization._unpickling import (_SAFE_BUILTINS, MARKED, FullUnpickler, WeightsUnpickler,
                                         global_name, scan_globals, user_globals)
from ._serialization._zip import ZipReader, ZipWriter

__all__ = ["save", "load", "DEFAULT_PROTOCOL", "add_safe_globals", "clear_safe_globals",
           "get_safe_globals", "safe_globals", "get_unsafe_globals_in_checkpoint",
           "default_restore_location", "UntypedStorage", "TypedStorage", "set_crc32_options",
           "get_crc32_options", "get_default_mmap_options", "set_default_mmap_options",
           "LoadEndianness", "get_default_load_endianness", "set_default_load_endianness"]

DEFAULT_PROTOCOL = 2

# PyTorch's words around an error of the weights-only unpickler.
_UNSAFE_ADVICE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
    "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to "
    "`False` will likely succeed, but it can result in arbitrary code execution. Do it only if "
    "you got the file from a trusted source.")
_DOCS_ADVICE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default "
    "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _weights_only_message(error: str) -> str:
    """The message of the ``UnpicklingError`` that ``load(weights_only=True)`` raises for
    ``error``, the weights-only unpickler's own, worded as PyTorch words it."""
    # (PyTorch picks the words by these patterns of the error's)
    if re.search(r"GLOBAL (\S+) was not an allowed global by default.", error):
        return ("Weights only load failed. This file can still be loaded, to do so you have "
                "two options, \033[1mdo those steps only if you trust the source of the "
                f"checkpoint\033[0m. \n\t(1) {_UNSAFE_ADVICE}\n\t(2) Alternatively, to load "
                "with `weights_only=True` please check the recommended steps in the following "
                f"error message.\n\tWeightsUnpickler error: {error}{_DOCS_ADVICE}")
    if re.search(r"(\S+) must be (\S+) to load", error):
        return f"Weights only load failed. {error}\n {_UNSAFE_ADVICE}\n"
    issue = "" if re.search(r"whose module (\S+) is blocked", error) else (
        "Please file an issue with the following so that we can make `weights_only=True` "
        "compatible with your use case: WeightsUnpickler error: ")
    return f"Weights only load failed. {_UNSAFE_ADVICE}\n{issue}\n\n{error}{_DOCS_ADVICE}"


def _is_path(f) -> bool:
    return isinstance(f, (str, os.PathLike))


# -- save ---------------------------------------------------------------------------------

def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False) -> None:
    """Save ``obj`` (tensors, state dicts, containers, modules...) to ``f`` as ``torch.save`` does.

    ``f`` is a path (written atomically) or a binary file object with ``write`` (it
    need not be seekable).  ``obj`` is pickled in full before anything is written,
    so an unpicklable object raises without touching ``f``.  ``pickle_module`` is
    accepted for PyTorch compatibility; ember always uses its own pickler.
    """
    # (as Python's pickler takes it: None is its default protocol, any integer-like works)
    pickle_protocol = pickle.DEFAULT_PROTOCOL if pickle_protocol is None else \
        operator.index(pickle_protocol)
    if pickle_protocol < 0:  # as pickle: a negative protocol means the highest one
        pickle_protocol = pickle.HIGHEST_PROTOCOL
    legacy = not _use_new_zipfile_serialization
    table = StorageTable(legacy=legacy)
    buf = io.BytesIO()
    TorchPickler(buf, pickle_protocol, table).dump(obj)
    pkl = buf.getvalue()

    def write(out, archive_name):
        if legacy:
            _legacy.write_legacy(out, pkl, table.refs, pickle_protocol)
        else:
            _write_zip(out, archive_name, pkl, table.refs, not _disable_byteorder_record)

    if _is_path(f):
        _atomic_write(f, write, legacy)
    else:
        if not hasattr(f, "write"):
            raise AttributeError("expected 'f' to be string, path, or a file-like object with a "
                                 "'write' attribute")
        write(f, "archive")
        f.flush()  # (PyTorch's writer flushes it when done: an object without flush fails)


_COMPUTE_CRC32 = True


def set_crc32_options(compute_crc32: bool) -> None:
    """Whether ``save`` computes each record's CRC-32 (False writes 0s, which ``load`` takes,
    as PyTorch's does; ``zipfile`` and ``unzip`` then complain)."""
    global _COMPUTE_CRC32
    _COMPUTE_CRC32 = compute_crc32


def get_crc32_options() -> bool:
    return _COMPUTE_CRC32


def _write_zip(out, archive_name, pkl, refs, byteorder_record):
    w = ZipWriter(out, archive_name, crc32=bool(_COMPUTE_CRC32))
    w.write_record("data.pkl", pkl)
    w.write_record(".format_version", b"1")
    w.write_record(".storage_alignment", b"64")
    if byteorder_record:
        w.write_record("byteorder", sys.byteorder.encode("ascii"))
    for ref in refs:
        if ref.location != "meta":  # (a meta storage has no bytes: PyTorch writes no record)
            w.write_record(f"data/{ref.key}", ref.host_bytes())
    w.write_record("version", b"3\n")
    if not byteorder_record:  # (PyTorch's writer then adds it at its end all the same)
        w.write_record("byteorder", sys.byteorder.encode("ascii"))
    w.write_record(".data/serialization_id", str(uuid.uuid4().int % 10**40).zfill(40).encode())
    w.finish()


_OPEN_FAILED = "[enforce fail at inline_container.cc:747] . open file failed with strerror: "


def _atomic_write(path, write, legacy=False):
    """Write through ``write(stream, archive_name)`` to a temporary file, then rename it.
    A failure to open the file is reported as PyTorch's zip writer does (a ``RuntimeError``),
    or for a ``legacy`` file, which PyTorch writes through Python's ``open``, as that does."""
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if legacy:
        def failed(err_no, strerror=None):  # (an OSError of the errno's subclass)
            return OSError(err_no, strerror or os.strerror(err_no), path)
        if not path:
            raise failed(errno.ENOENT)
        if path.endswith(("/", os.sep)) or os.path.isdir(path):
            raise failed(errno.EISDIR)
    else:
        def failed(err_no, strerror=None):
            return RuntimeError(_OPEN_FAILED + (strerror or os.strerror(err_no)))
    # The archive's folder: the file name up to its last dot (PyTorch's writer refuses an
    # empty one, and names the archive of a non-ASCII path, which Python opens, "archive")
    base = path[max(path.rfind("/"), path.rfind(os.sep)) + 1:]
    archive_name = base[:base.rfind(".")] if "." in base else base
    if not path.isascii():
        archive_name = "archive"
    elif not archive_name and not legacy:
        raise RuntimeError(f"[enforce fail at inline_container.cc:720] . invalid file name: "
                           f"{path}")
    target = os.path.realpath(path) if os.path.islink(path) else path
    parent = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(parent):
        if legacy:
            raise failed(errno.ENOENT)
        raise RuntimeError(f"Parent directory {pathlib.Path(path).parent} does not exist.")
    if os.path.isdir(target):
        raise failed(errno.EISDIR)
    base = os.path.basename(target)
    while True:
        tmp = os.path.join(parent, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
            break
        except FileExistsError:
            continue
        except OSError as e:  # (a read-only directory...)
            raise failed(e.errno, e.strerror) from e
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh, archive_name)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(target):  # keep the permissions of the file being replaced
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError, AttributeError):  # make the rename itself durable
        dfd = os.open(parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


# -- load ---------------------------------------------------------------------------------

def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved by ``ember.save`` or ``torch.save`` from a path or binary file.

    Args:
        map_location: where storages go: None (where they were saved), ``'cpu'``, a
            device string or ``ember.device``, a dict such as ``{'cuda:0': 'cpu'}``, or a
            callable ``(storage, location) -> storage`` (returning None means the default).
            A file saved from CUDA needs ``map_location='cpu'`` on a machine without one.
        weights_only: True (the default unless ``pickle_module`` is given) allows only
            tensors, parameters, storages, dtypes, devices, ``torch.Size`` and plain
            containers; False unpickles anything (trusted files only).
        mmap: map the file's storages into memory (copy-on-write) instead of reading
            them; needs a path to a zip checkpoint.
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified")
    if pickle_load_args and weights_only:
        # (yet PyTorch hands them on to its weights-only unpickler, which takes ``encoding``)
        # (at a line of ember's, as PyTorch's at its own: the default filter shows it once)
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=1)
    pickle_load_args.setdefault("encoding", "utf-8")
    unpickler_cls = WeightsUnpickler if weights_only else FullUnpickler
    if not weights_only and pickle_module is not None and pickle_module is not pickle:
        base = getattr(pickle_module, "Unpickler", pickle.Unpickler)
        unpickler_cls = type("FullUnpickler", (FullUnpickler, base), {})

    def make_unpickler(file, persistent_load):
        return unpickler_cls(file, persistent_load=persistent_load, **pickle_load_args)

    if _is_path(f) and os.fspath(f).endswith(".safetensors"):
        return _load_safetensors(f, map_location)
    try:
        with _open_for_read(f) as fh:
            _check_seekable(fh)
            start = fh.tell()
            head = fh.read(4)
            fh.seek(start)
            if head == b"PK\x03\x04":
                return _load_zip(fh, f, map_location, make_unpickler, mmap)
            if mmap:
                name = f"{f}, " if isinstance(f, str) else ""
                # (PyTorch's words, its unclosed backquote included)
                raise RuntimeError(
                    "mmap can only be used with files saved with `torch.save("
                    f"{name}_use_new_zipfile_serialization=True), please torch.save your "
                    "checkpoint with this option in order to use mmap.")
            size = fh.seek(0, io.SEEK_END) - start
            fh.seek(start)

            def allocate_later(key, nbytes):
                # The bytes follow the pickle; refuse sizes the file cannot hold.
                if nbytes > size:
                    raise RuntimeError(f"corrupt legacy checkpoint: storage {key!r} claims "
                                       f"{nbytes} bytes, more than the whole file")
                return None

            return _legacy.read_legacy(
                fh, make_unpickler,
                lambda swap: StorageLoader(allocate_later, map_location, swap, legacy=True))
    except pickle.UnpicklingError as e:
        if not weights_only:
            raise
        raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
    except RuntimeError as e:
        # Neither a zip nor a legacy checkpoint: PyTorch fails on it while unpickling the
        # legacy magic number, with weights_only an UnpicklingError (that is what callers
        # catch), so the error is one of those too (and still a RuntimeError, as ember's
        # earlier one was); without, with what Python's unpickler raised.
        if str(e) != _legacy.NOT_A_CHECKPOINT or isinstance(e, _NotACheckpoint):
            raise
        if not weights_only:  # (Python's unpickler's own error, as in PyTorch)
            raise (e.__cause__ or e) from None
        if isinstance(e.__cause__, pickle.UnpicklingError):  # (an opcode it refuses...)
            raise _NotACheckpoint(_weights_only_message(str(e.__cause__))) from None
        if e.__cause__ is not None:  # (what went wrong reading it, as in PyTorch)
            raise e.__cause__ from None
        raise _NotACheckpoint(f"Weights only load failed: {e}") from None


class _NotACheckpoint(pickle.UnpicklingError, RuntimeError):
    """PyTorch's type for a file that is no checkpoint at all (read with weights_only=True),
    still caught by ``except RuntimeError`` as ember's earlier error was."""


_NotACheckpoint.__name__ = _NotACheckpoint.__qualname__ = "UnpicklingError"
_NotACheckpoint.__module__ = "_pickle"


@contextlib.contextmanager
def _open_for_read(f):
    if _is_path(f):
        with open(f, "rb") as fh:
            yield fh
    else:
        if not hasattr(f, "seek"):
            raise AttributeError(f"'{type(f).__name__}' object has no attribute 'seek'. You can "
                                 "only torch.load from a file that is seekable. Please pre-load "
                                 "the data into a buffer like io.BytesIO and try to load from it "
                                 "instead.")
        yield f


def _check_seekable(f):
    try:
        f.seek(f.tell())
    except (io.UnsupportedOperation, AttributeError) as e:
        if "seek" in str(e) or "tell" in str(e):
            raise type(e)(f"{e}. You can only torch.load from a file that is seekable. Please "
                          "pre-load the data into a buffer like io.BytesIO and try to load "
                          "from it instead.") from None
        raise


_MMAP_FLAGS = getattr(mmap_module, "MAP_PRIVATE", None)


def get_default_mmap_options():
    """The mapping ``load(..., mmap=True)`` makes: ``mmap.MAP_PRIVATE`` (the default: writes
    to the loaded tensors stay in memory) or ``mmap.MAP_SHARED`` (they go to the file)."""
    return _MMAP_FLAGS


class set_default_mmap_options:
    """Set the default of ``get_default_mmap_options``; as a context manager, for a block."""

    def __init__(self, flags):
        global _MMAP_FLAGS
        if os.name == "nt":
            raise RuntimeError("Changing the default mmap options is currently not supported "
                               "for Windows")
        if flags != mmap_module.MAP_PRIVATE and flags != mmap_module.MAP_SHARED:
            raise ValueError("Invalid argument in function set_default_mmap_options, expected "
                             f"mmap.MAP_PRIVATE or mmap.MAP_SHARED, but got {flags}")
        self.prev = _MMAP_FLAGS
        _MMAP_FLAGS = flags

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        global _MMAP_FLAGS
        _MMAP_FLAGS = self.prev


def _load_zip(fh, f, map_location, make_unpickler, mmap):
    mapped = None
    if mmap:
        if not _is_path(f):
            raise ValueError("f must be a file path in order to use the mmap argument")
        from .storage import _FileMapping

        shared = _MMAP_FLAGS == mmap_module.MAP_SHARED  # (see ``set_default_mmap_options``)
        with open(f, "r+b" if shared else "rb") as raw:
            # ACCESS_COPY is PyTorch's default MAP_PRIVATE: writes stay in memory;
            # ACCESS_WRITE its MAP_SHARED: writes go to the file.
            mapped = memoryview(_FileMapping(raw.fileno(), 0, access=mmap_module.ACCESS_WRITE
                                             if shared else mmap_module.ACCESS_COPY))
    reader = ZipReader(fh, mapped)
    if "constants.pkl" in reader.all_records():
        raise RuntimeError("This is a TorchScript archive (torch.jit.save), which ember cannot "
                           "load; save a state_dict with torch.save instead.")
    if reader.has_record(".format_version"):  # (read as PyTorch reads them, with its errors)
        reader.read(".format_version")
    # (without a byteorder record: ``set_default_load_endianness``'s, little by default)
    byteorder = {LoadEndianness.BIG: "big", LoadEndianness.NATIVE: sys.byteorder}.get(
        _LOAD_ENDIANNESS[0], "little")
    if reader.has_record("byteorder"):
        byteorder = reader.read("byteorder").decode("ascii", "replace")
        if byteorder not in ("little", "big"):
            raise ValueError(f"Unknown endianness type: {byteorder}")
    if reader.has_record(".storage_alignment"):
        int(reader.read(".storage_alignment"))
    loader = StorageLoader(lambda key, nbytes: reader.read(f"data/{key}", writable=True),
                           map_location, byteorder != sys.byteorder, exact=mapped is None)
    return make_unpickler(io.BytesIO(reader.read("data.pkl")), loader).load()


def _load_safetensors(f, map_location):
    if isinstance(map_location, dict) or (callable(map_location) and not isinstance(
            map_location, (str, bytes))):
        kind = "dict" if isinstance(map_location, dict) else "callable"
        raise RuntimeError(f"Loading safetensors file with {kind} map_location is not "
                           "supported. Use a device string or torch.device instead.")
    from . import safetensors as st

    try:
        st._require()
    except ImportError as e:
        raise RuntimeError("Attempting to load a safetensors file but safetensors is not "
                           "installed. Please install safetensors with: pip install "
                           "safetensors") from e
    from ._device import device

    # (as PyTorch: a string or device names it, any other value means the CPU)
    where = str(map_location) if isinstance(map_location, (str, bytes, device)) else "cpu"
    if where.startswith("cuda"):
        from . import cuda

        if not cuda.is_available():  # NOTE: PyTorch's CPU build fails pinning the tensors
            raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; "
                               "no pinned memory allocator is available on this system.")
    return st.load_file(f, device=where)


# -- allowlisting globals for weights_only=True --------------------------------------------

def _entries(globals_):
    """``(name, obj)`` per allowed global.  An ember class or function is allowed under
    each name a checkpoint may give it: ember's own, the PyTorch name ember writes
    (``torch.nn.Linear``) and the module path PyTorch writes (``torch.nn.modules.linear``)."""
    from ._serialization._pickling import torch_path

    for g in globals_:
        yield global_name(g), g
        module = getattr(g, "__module__", None) or ""
        if module == "ember" or module.startswith("ember."):
            yield ".".join(torch_path(g)), g
            yield "torch" + global_name(g)[len("ember"):], g


_unpickling.entry_names = lambda g: dict(_entries([g]))


class LoadEndianness(enum.Enum):
    """The byte order ``load`` assumes for a checkpoint without a byteorder record."""

    NATIVE = 1
    LITTLE = 2
    BIG = 3


_LOAD_ENDIANNESS = [None]


def get_default_load_endianness():
    return _LOAD_ENDIANNESS[0]


def set_default_load_endianness(endianness=None) -> None:
    if endianness is not None and not isinstance(endianness, LoadEndianness):
        raise TypeError("Invalid argument type in function set_default_load_endianness")
    _LOAD_ENDIANNESS[0] = endianness


def add_safe_globals(safe_globals) -> None:
    """Allow these classes/functions (or ``(obj, "module.name")`` pairs) in weights-only loads.
    As PyTorch's, the entries are only checked when a load needs them."""
    MARKED.update(dict.fromkeys(safe_globals))


def clear_safe_globals() -> None:
    MARKED.clear()


def get_safe_globals() -> list:
    return list(MARKED)


class safe_globals:
    """``with ember.serialization.safe_globals([Cls]):`` allowlists ``Cls`` inside the block
    (and, as PyTorch's, no longer after it, even if it was allowlisted before)."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        for g in self.safe_globals:
            MARKED.pop(g, None)
        return False


def get_unsafe_globals_in_checkpoint(f) -> list:
    """The globals in a checkpoint that weights-only loading would refuse (nothing is run)."""
    allowed = set(_torch_globals()) | set(user_globals()) | set(_SAFE_BUILTINS)
    with _open_for_read(f) as fh:
        start = fh.tell()
        head = fh.read(4)
        fh.seek(start)
        if head != b"PK\x03\x04":
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        reader = ZipReader(fh)
        if reader.has_record("constants.pkl"):
            raise ValueError("Expected input to be a checkpoint returned by torch.save but got "
                             "a torchscript checkpoint")
        data = reader.read("data.pkl")
    # (in the order of PyTorch's set difference: the same for the same string hashes)
    return list(set(scan_globals(data)).difference(allowed))
