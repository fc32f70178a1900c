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


def _miniz_error(what: str) -> RuntimeError:
    return RuntimeError(  # (PyTorch's words after an error of its zip reader, miniz)
        f"PytorchStreamReader failed {what}. This is an internal miniz error. If you are "
        "seeing this error, there is a high likelihood that your checkpoint file is corrupted. "
        "This can happen if the checkpoint was not saved properly, was transferred "
        "incorrectly, or the file was modified after saving.")


def _reader_error(what: str) -> RuntimeError:
    return _miniz_error(f"reading zip archive: {what}")


_CORRUPT = "invalid header or archive is corrupted"
_MULTIDISK = "unsupported multidisk archive"


def _scan_as_miniz(f, start, end):
    """miniz's search for the end record, 4 KiB at a time from the end backwards: its step back
    (an unsigned subtraction) wraps around within 4093 bytes of the start, and PyTorch's read
    at that negative offset fails with the error of the file's ``seek`` (Python's ValueError or
    OSError) where no end record was found in the chunks before."""
    size = end - start
    cur = max(size - 4096, 0)
    while True:
        f.seek(start + cur)
        chunk = f.read(min(4096, size - cur))
        last = min(len(chunk), size - _EOCD.size + 4 - cur)  # (22 bytes after the signature)
        if last >= 4 and chunk.rfind(b"PK\x05\x06", 0, last) >= 0:
            return
        if cur == 0 or size - cur >= 0xFFFF + _EOCD.size:
            return  # (not found: ``_check_as_miniz`` says so)
        cur -= 4096 - 3
        if cur < 0:
            f.seek(cur)  # (raises, as PyTorch's read does)
            return


def _check_as_miniz(f, start, end, entries=True):
    """The checks of miniz's central directory reader, in its order, with its errors (Python's
    ``zipfile`` is more lenient, or fails with other words); ``entries``: those of each entry
    of the central directory too."""
    size = end - start
    lo = max(start, end - (0xFFFF + _EOCD.size))
    f.seek(lo)
    tail = f.read(end - lo)
    at = tail.rfind(b"PK\x05\x06", 0, len(tail) - _EOCD.size + 4)
    if at < 0:
        raise _reader_error("failed finding central directory")
    eocd = _EOCD.unpack_from(tail, at)
    cur = lo + at - start
    _, this_disk, cd_disk, on_disk, total, cd_size, cd_ofs, _ = eocd
    z64 = None
    if cur >= _LOCATOR64.size + _EOCD64.size:
        f.seek(start + cur - _LOCATOR64.size)
        loc = f.read(_LOCATOR64.size)
        if len(loc) == _LOCATOR64.size and loc[:4] == b"PK\x06\x07":
            loc = _LOCATOR64.unpack(loc)
            if loc[2] > size - _EOCD64.size:
                raise _reader_error("not a ZIP archive")
            f.seek(start + loc[2])
            rec = f.read(_EOCD64.size)
            if len(rec) == _EOCD64.size and rec[:4] == b"PK\x06\x06":
                z64 = _EOCD64.unpack(rec)
    if z64 is not None:
        _, rec_size, _, _, z_this, z_cd_disk, z_on_disk, z_total, z_cd_size, z_cd_ofs = z64
        if rec_size < _EOCD64.size - 12:
            raise _reader_error(_CORRUPT)
        if loc[3] != 1:
            raise _reader_error(_MULTIDISK)
        if z_total > 0xFFFFFFFF or z_on_disk > 0xFFFFFFFF:
            raise _reader_error("too many files")
        if z_cd_size > 0xFFFFFFFF:
            raise _reader_error("unsupported central directory size")
        total, on_disk, cd_size, this_disk, cd_disk, cd_ofs = \
            z_total, z_on_disk, z_cd_size, z_this, z_cd_disk, z_cd_ofs
    if total != on_disk or (this_disk | cd_disk) and (this_disk != 1 or cd_disk != 1):
        raise _reader_error(_MULTIDISK)
    if cd_size < total * _CENTRAL.size or cd_ofs + cd_size > size:
        raise _reader_error(_CORRUPT)
    f.seek(start + cd_ofs)
    cd = f.read(cd_size) if total and entries else b""
    total = total if entries else 0
    p, n = 0, cd_size
    for _ in range(total):
        if n < _CENTRAL.size or cd[p:p + 4] != b"PK\x01\x02":
            raise _reader_error(_CORRUPT)
        (_, _, _, flags, method, time, _, _, comp, decomp, name_len, extra_len, comment_len,
         disk, _, _, local) = _CENTRAL.unpack_from(cd, p)
        wide = max(comp, decomp, local) == 0xFFFFFFFF and extra_len  # (zip64 fields)
        # (miniz reads the method and the time as one 32-bit word here)
        if not wide and (not (method or time) and decomp != comp or decomp and not comp):
            raise _reader_error(_CORRUPT)
        if disk == 0xFFFF or disk != this_disk and disk != 1:
            raise _reader_error(_MULTIDISK)
        if not wide and local + _LOCAL.size + comp > size:
            raise _reader_error(_CORRUPT)
        if flags & 0x2000:
            raise _reader_error("unsupported encryption")
        whole = _CENTRAL.size + name_len + extra_len + comment_len
        if whole > n:
            raise _reader_error(_CORRUPT)
        n -= whole
        p += whole
    f.seek(start)


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


def _check_version(data: bytes) -> None:
    """PyTorch's reader's check of the archive's format version (``std::stoull``, 1 to 10)."""
    import re

    text = data.decode("utf-8", "replace")
    m = re.match(r"\s*([+-]?)(\d+)", text)
    if m is None:
        raise RuntimeError(f"[enforce fail at inline_container.cc:215] . Couldn't parse the "
                           f"version {text} as Long Long.")
    version = int(m.group(2)) if m.group(1) != "-" else -int(m.group(2)) % 2 ** 64
    if version < 1:
        raise RuntimeError(f"[enforce fail at inline_container.cc:219] . Attempted to read a "
                           f"PyTorch file with version {version}, but the minimum supported "
                           "version for reading is 1. Your PyTorch script module file is too "
                           "old. Please regenerate it with latest version of PyTorch to "
                           "mitigate this issue.")
    if version > 10:
        raise RuntimeError(f"[enforce fail at inline_container.cc:230] . Attempted to read a "
                           f"PyTorch file with version {version}, but the maximum supported "
                           "version for reading is 10. The version of your PyTorch "
                           "installation may be too old, please upgrade PyTorch to latest "
                           "version to mitigate this issue.")


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
        _scan_as_miniz(stream, start, self._end)
        _check_as_miniz(stream, start, self._end, entries=False)
        spliced = _as_miniz_sees_it(stream, start, self._end)
        if spliced is not None:
            self._f = stream = spliced
        else:
            _check_as_miniz(stream, start, self._end)
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
        if not names:
            raise _miniz_error("locating file data.pkl: file not found")
        # As PyTorch's reader: the records are in the folder of the first one, and the
        # serialization id and the format version are read (and checked) first.
        if "/" not in names[0]:
            raise RuntimeError("[enforce fail at inline_container.cc:180] . file in archive is "
                               f"not in a subdirectory: {names[0]}")
        self.prefix = names[0][:names[0].index("/") + 1]
        self._names = set(names)
        if self.has_record(".data/serialization_id"):
            self.read(".data/serialization_id")
        version = ".data/version" if self.has_record(".data/version") else "version"
        if not self.has_record(version):
            raise RuntimeError('Expected hasRecord("version") to be true, but got false.  '
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")
        _check_version(self.read(version))

    def all_records(self):
        """PyTorch's ``get_all_records``: every record must be in the archive's folder."""
        out = []
        for name in self._zip.namelist():
            if not name.startswith(self.prefix):
                raise RuntimeError("[enforce fail at inline_container.cc:340] . file in archive "
                                   f"is not in a subdirectory {self.prefix}: {name}")
            out.append(name[len(self.prefix):])
        return out

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
            raise _miniz_error(f"reading file {info.filename[len(self.prefix):]}: {_CORRUPT}")
        fields = _LOCAL.unpack(header)
        return info.header_offset + _LOCAL.size + fields[9] + fields[10]

    def read(self, name: str, *, writable: bool = False):
        """The bytes of record ``name``: ``bytes`` by default, a uint8 array if ``writable``."""
        full = self.prefix + name
        if full not in self._names:
            raise _miniz_error(f"locating file {name}: file not found")
        info = self._zip.getinfo(full)
        if info.flag_bits & 0x41:  # (encrypted)
            raise _miniz_error(f"retrieving file meta-data for {name}: unsupported encryption")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _miniz_error(f"retrieving file meta-data for {name}: unsupported method")
        try:
            if info.compress_type != zipfile.ZIP_STORED:
                # Not written by PyTorch or ember (someone re-zipped it): let zipfile inflate.
                data = self._zip.read(full)
                return np.frombuffer(data, np.uint8).copy() if writable else data
            offset = self._data_offset(info)
            size = info.file_size
            if offset + size > self._end:
                raise _miniz_error(f"reading file {name}: {_CORRUPT}")
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
