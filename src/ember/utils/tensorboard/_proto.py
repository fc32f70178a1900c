"""The bytes TensorBoard reads: protocol-buffer messages and TFRecord framing.

TensorBoard's event files are a sequence of records, each ``length (uint64 LE)``,
``masked CRC-32C of the length``, ``payload``, ``masked CRC-32C of the payload``; each payload
is a serialised ``Event`` message. ember writes them without TensorBoard or protobuf
installed: a message here is a list of encoded fields, built by the functions below in
field-number order (the order protobuf itself serialises in). Absent fields are ``None``;
proto3 scalars equal to their default are left out unless the field sits in a ``oneof``
(``present=True``), as protobuf does.
"""
from __future__ import annotations

import struct

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 values take ten bytes, as in protobuf
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def message(*fields: bytes | None) -> bytes:
    """Concatenate encoded fields (``None`` entries are absent fields)."""
    return b"".join(f for f in fields if f)


def int_field(number: int, value, present: bool = False) -> bytes | None:
    if value is None or (not value and not present):
        return None
    return _key(number, _VARINT) + _varint(int(value))


def double_field(number: int, value, present: bool = False) -> bytes | None:
    if value is None or (value == 0 and not present and not _negative_zero(value)):
        return None
    return _key(number, _FIXED64) + struct.pack("<d", float(value))


def float_field(number: int, value, present: bool = False) -> bytes | None:
    if value is None or (value == 0 and not present and not _negative_zero(value)):
        return None
    return _key(number, _FIXED32) + struct.pack("<f", float(value))


def bytes_field(number: int, value, present: bool = False) -> bytes | None:
    """A string, bytes or (already encoded) sub-message field."""
    if value is None or (not value and not present):
        return None
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _key(number, _BYTES) + _varint(len(value)) + value


def submessage(number: int, encoded: bytes | None) -> bytes | None:
    """A set sub-message: written even when all its own fields are defaults."""
    return None if encoded is None else bytes_field(number, encoded, present=True)


def repeated_bytes(number: int, values) -> bytes:
    return b"".join(bytes_field(number, v, present=True) for v in values)


def packed_doubles(number: int, values) -> bytes | None:
    values = [float(v) for v in values]
    return bytes_field(number, struct.pack(f"<{len(values)}d", *values)) if values else None


def packed_floats(number: int, values) -> bytes | None:
    values = [float(v) for v in values]
    return bytes_field(number, struct.pack(f"<{len(values)}f", *values)) if values else None


def packed_varints(number: int, values) -> bytes | None:
    return bytes_field(number, b"".join(_varint(int(v)) for v in values)) if values else None


def _negative_zero(value) -> bool:
    return struct.pack("<d", float(value))[7] == 0x80


# ---- TFRecord framing ----------------------------------------------------------------------

_CRC_TABLE: list[int] = []


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli polynomial, reflected), as TFRecord files use."""
    if not _CRC_TABLE:
        for byte in range(256):
            crc = byte
            for _ in range(8):
                crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
            _CRC_TABLE.append(crc)
    table = _CRC_TABLE
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's rotated-and-offset CRC (a CRC of data that holds CRCs stays robust)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(payload: bytes) -> bytes:
    """One TFRecord: framed length, payload and both checksums."""
    header = struct.pack("<Q", len(payload))
    return (header + struct.pack("<I", masked_crc32c(header)) + payload
            + struct.pack("<I", masked_crc32c(payload)))


def read_records(data: bytes) -> list[bytes]:
    """Split an event file's bytes into payloads, checking every checksum."""
    out, pos = [], 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise ValueError(f"truncated record header at byte {pos}")
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if crc != masked_crc32c(header):
            raise ValueError(f"corrupt record length at byte {pos}")
        payload = data[pos + 12:pos + 12 + length]
        end = pos + 12 + length
        if len(payload) != length or end + 4 > len(data):
            raise ValueError(f"truncated record at byte {pos}")
        if struct.unpack("<I", data[end:end + 4])[0] != masked_crc32c(payload):
            raise ValueError(f"corrupt record payload at byte {pos}")
        out.append(payload)
        pos = end + 4
    return out


def decode(payload: bytes) -> list[tuple[int, int, object]]:
    """A message's fields as ``(number, wire type, value)``: ints for varints, raw bytes for
    fixed and length-delimited fields (callers know their schema)."""
    fields, pos = [], 0
    while pos < len(payload):
        key, pos = _read_varint(payload, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _read_varint(payload, pos)
        elif wire == _FIXED64:
            value, pos = payload[pos:pos + 8], pos + 8
        elif wire == _FIXED32:
            value, pos = payload[pos:pos + 4], pos + 4
        elif wire == _BYTES:
            length, pos = _read_varint(payload, pos)
            value, pos = payload[pos:pos + length], pos + length
        else:
            raise ValueError(f"unsupported wire type {wire}")
        fields.append((number, wire, value))
    return fields


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
