"""The zip container of PyTorch checkpoints.

A checkpoint is an ordinary zip archive whose records are all *stored*
(uncompressed) under one top-level folder (``archive/`` or the file's stem)::

    archive/data.pkl                  the pickled object
    archive/.format_version           b"1"
    archive/.storage_alignment        b"64"
    archive/byteorder                 b"little"
    archive/data/0, data/1, ...       the raw bytes of each storage
    archive/version                   b"3\\n"
    archive/.data/serialization_id    a 40-digit decimal id

As PyTorch's writer does, ours starts the data of every record at a multiple of
64 bytes (so a checkpoint can be memory-mapped and viewed in place), padding
the local header's extra field with a ``FB`` block of ``Z`` bytes; it streams
each record followed by a data descriptor (so the target never needs to seek),
and always ends with zip64 end-of-directory records. Records of 4 GiB or more,
or that start past 4 GiB, get zip64 extra fields.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np

ALIGNMENT = 64
_ZIP64_LIMIT = 0xFFFFFFFF

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_DESCRIPTOR = struct.Struct("<4sIII")
_DESCRIPTOR64 = struct.Struct("<4sIQQ")
_EOCD64 = struct.Struct("<4sQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<4sIQI")
_EOCD = struct.Struct("<4sHHHHIIH")
_FLAG_DESCRIPTOR = 0x08
_FLAG_UTF8 = 0x800


class ZipWriter:
    """Writes records one after another to a binary stream that only needs ``write``.

    ``zip64_limit`` is the size/offset from which zip64 fields are used (4 GiB - 1 as in
    the zip spec; tests lower it to exercise that path on small files).
    """

    def __init__(self, stream, prefix: str, zip64_limit: int = _ZIP64_LIMIT, crc32=True):
        self._out = stream
        self._crc32 = crc32  # (False: every record's CRC-32 is 0, as PyTorch writes then)
        self._prefix = prefix
        self._limit = zip64_limit
        self._pos = 0
        self._entries = []  # (name bytes, crc, size, header offset, flags)

    def _write(self, data) -> None:
        view = memoryview(data).cast("B")
        total = view.nbytes
        done = self._out.write(view)
        # Raw (unbuffered) streams may write less than asked; ``None`` means "all of it" for
        # writers that return nothing.
        while done is not None and done < total:
            n = self._out.write(view[done:])
            if not n:
                raise OSError("short write: the stream accepted no more data")
            done += n
        self._pos += total

    def write_record(self, name: str, data) -> None:
        """Add ``prefix/name`` holding ``data`` (bytes or a contiguous uint8 array)."""
        if isinstance(data, np.ndarray):
            data = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        view = memoryview(data).cast("B")
        size = view.nbytes
        fname = f"{self._prefix}/{name}".encode("utf-8")
        offset = self._pos
        zip64 = size >= self._limit or offset >= self._limit
        # A zip64 local header carries zero sizes here; the data descriptor has them.
        extra = struct.pack("<HHQQ", 1, 16, 0, 0) if zip64 else b""
        start = offset + _LOCAL.size + len(fname) + len(extra) + 4
        pad = -start % ALIGNMENT
        extra += b"FB" + struct.pack("<H", pad) + b"Z" * pad
        flags = _FLAG_UTF8 | (_FLAG_DESCRIPTOR if size else 0)
        version = 45 if zip64 else 0
        self._write(_LOCAL.pack(b"PK\x03\x04", version, flags, 0, 0, 0, 0, 0, 0,
                                len(fname), len(extra)))
        self._write(fname)
        self._write(extra)
        crc = 0
        if size:
            crc = zlib.crc32(view) if self._crc32 else 0
            self._write(view)
            if zip64:
                self._write(_DESCRIPTOR64.pack(b"PK\x07\x08", crc, size, size))
            else:
                self._write(_DESCRIPTOR.pack(b"PK\x07\x08", crc, size, size))
        self._entries.append((fname, crc, size, offset, flags))

    def finish(self) -> None:
        """Write the central directory and the end records."""
        cd_start = self._pos
        for fname, crc, size, offset, flags in self._entries:
            extra = b""
            big_size, big_offset = size >= self._limit, offset >= self._limit
            if big_size or big_offset:
                fields = (size, size) * big_size + (offset,) * big_offset
                extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields)
            version = 45 if extra else 0
            self._write(_CENTRAL.pack(
                b"PK\x01\x02", 0, version, flags, 0, 0, 0, crc,
                _ZIP64_LIMIT if big_size else size, _ZIP64_LIMIT if big_size else size,
                len(fname), len(extra), 0, 0, 0, 0,
                _ZIP64_LIMIT if big_offset else offset))
            self._write(fname)
            self._write(extra)
        cd_size = self._pos - cd_start
        eocd64 = self._pos
        n = len(self._entries)
        self._write(_EOCD64.pack(b"PK\x06\x06", _EOCD64.size - 12, 0x31E, 45, 0, 0, n, n,
                                 cd_size, cd_start))
        self._write(_LOCATOR64.pack(b"PK\x06\x07", 0, eocd64, 1))
        self._write(_EOCD.pack(b"PK\x05\x06", 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                               min(cd_size, _ZIP64_LIMIT), min(cd_start, _ZIP64_LIMIT), 0))


def _reader_error(what: str) -> RuntimeError:
    return RuntimeError(  # (PyTorch's words after a zip reader error)
        f"PytorchStreamReader failed reading zip archive: {what}. This is an internal miniz "
        "error. If you are seeing this error, there is a high likelihood that your checkpoint "
        "file is corrupted. This can happen if the checkpoint was not saved properly, was "
        "transferred incorrectly, or the file was modified after saving.")


def _as_miniz_sees_it(stream, start, end):
    """None, or the archive that PyTorch's reader (miniz) reads from ``start`` when more
    than one archive follows it (several ``save`` calls into one stream): the end records of
    the last one, whose central directory it looks for at ``start`` plus the offset those
    record (Python's ``zipfile`` would find the last archive itself, where it starts)."""
    try:
        endrec = zipfile._EndRecData(stream)
    except (OSError, ValueError, struct.error, zipfile.BadZipFile):
        endrec = None
    stream.seek(start)
    if not endrec:
        return None
    size_cd, offset_cd, location = endrec[5], endrec[6], endrec[9]
    cd_end = location  # (where the central directory ends: the end records follow)
    if endrec[0] == b"PK\x06\x06":  # (zip64: its end record and locator come first)
        cd_end -= _EOCD64.size + _LOCATOR64.size
    if cd_end - size_cd - offset_cd == start:
        return None  # the one archive there is: zipfile reads it as miniz does
    stream.seek(cd_end)
    tail = stream.read(end - cd_end)
    stream.seek(start)
    return _Spliced(stream, start, offset_cd + size_cd, tail)


class _Spliced(io.RawIOBase):
    """``stream[start:start + n]`` followed by the bytes ``tail``, as one seekable stream."""

    def __init__(self, stream, start, n, tail):
        self._s, self._start, self._n, self._tail = stream, start, n, tail
        self._size, self._pos = n + len(tail), 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, pos, whence=0):
        self._pos = max(0, pos + (0, self._pos, self._size)[whence])
        return self._pos

    def readinto(self, b):
        view = memoryview(b).cast("B")
        done = 0
        while done < len(view) and self._pos < self._size:
            if self._pos < self._n:
                self._s.seek(self._start + self._pos)
                chunk = self._s.read(min(len(view) - done, self._n - self._pos))
                if not chunk:
                    break
            else:
                at = self._pos - self._n
                chunk = self._tail[at:at + len(view) - done]
            view[done:done + len(chunk)] = chunk
            done += len(chunk)
            self._pos += len(chunk)
        return done


class ZipReader:
    """Finds the records of a checkpoint and reads them (as PyTorch's, without checking
    their CRC-32).

    With ``mapped`` (a writable memoryview of a copy-on-write mapping of the whole file)
    records are returned as views into it, unchecked, so nothing is read before it is used.
    """

    def __init__(self, stream, mapped=None):
        self._f = stream
        self._mapped = mapped
        start = stream.tell()
        self._end = stream.seek(0, 2)
        stream.seek(start)
        if self._end - start < _EOCD.size:  # (miniz's words: too short to hold its end record)
            raise _reader_error("not a ZIP archive")
        spliced = _as_miniz_sees_it(stream, start, self._end)
        if spliced is not None:
            self._f = stream = spliced
        try:
            self._zip = zipfile.ZipFile(stream)
        except zipfile.BadZipFile as e:
            msg = str(e)
            raise _reader_error("invalid header or archive is corrupted" if spliced is not None
                                else "failed finding central directory"
                                if "not a zip file" in msg else msg) from None
        except (EOFError, OSError, ValueError, struct.error) as e:
            raise _reader_error(f"failed reading central directory ({e})") from None
        names = self._zip.namelist()
        pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if not pkl:
            raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not "
                               "found")
        self.prefix = pkl[0][: -len("data.pkl")]
        self._names = set(names)

    def has_record(self, name: str) -> bool:
        return self.prefix + name in self._names

    def records(self):
        n = len(self.prefix)
        return [name[n:] for name in self._zip.namelist() if name.startswith(self.prefix)]

    def _data_offset(self, info) -> int:
        f = self._f
        f.seek(info.header_offset)
        header = f.read(_LOCAL.size)
        if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
            raise _reader_error(f"bad local header for {info.filename}")
        fields = _LOCAL.unpack(header)
        return info.header_offset + _LOCAL.size + fields[9] + fields[10]

    def read(self, name: str, *, writable: bool = False):
        """The bytes of record ``name``: ``bytes`` by default, a uint8 array if ``writable``."""
        full = self.prefix + name
        if full not in self._names:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not "
                               "found")
        info = self._zip.getinfo(full)
        try:
            if info.compress_type != zipfile.ZIP_STORED:
                # Not written by PyTorch or ember (someone re-zipped it): let zipfile inflate.
                data = self._zip.read(full)
                return np.frombuffer(data, np.uint8).copy() if writable else data
            offset = self._data_offset(info)
            size = info.file_size
            if offset + size > self._end:
                raise RuntimeError(f"PytorchStreamReader failed reading file {name}: it runs "
                                   "past the end of the file (the checkpoint is truncated or "
                                   "corrupted)")
            if self._mapped is not None:
                # Each record gets an array over its own slice of the mapping, so that saving
                # the loaded tensors again sees one storage per record (not the whole file).
                view = self._mapped[offset:offset + size]
                return np.frombuffer(view, np.uint8) if writable else bytes(view)
            self._f.seek(offset)
            buf = np.empty(size, np.uint8)
            got = self._f.readinto(memoryview(buf)) if size else 0
            while got is not None and 0 < got < size:  # raw streams may return short reads
                more = self._f.readinto(memoryview(buf)[got:])
                if not more:
                    break
                got += more
            if got != size:
                raise RuntimeError(f"PytorchStreamReader failed reading file {name}: file "
                                   "read failed (the checkpoint is truncated)")
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: {e}") from None
        # NOTE: the CRC-32 is not checked, as PyTorch's reader does not: a file saved without
        # (``set_crc32_options(False)``) or changed in place through ``load(mmap=True)`` with
        # ``MAP_SHARED`` loads as in PyTorch.
        return buf if writable else buf.tobytes()
