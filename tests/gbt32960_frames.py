"""Builds GB/T 32960 frames for tests, field by field, with a correct BCC."""

from __future__ import annotations

import struct
from datetime import datetime

VIN = "LFV2A21K7G3000001"


def frame(command: int, data: bytes, vin: str = VIN, encryption: int = 0x01,
          length: int | None = None, bcc_delta: int = 0) -> bytes:
    body = bytes([command, 0xFE]) + vin.encode() + bytes([encryption]) + struct.pack(
        ">H", len(data) if length is None else length) + data
    check = 0
    for b in body:
        check ^= b
    return b"##" + body + bytes([check ^ bcc_delta])


def when(t: datetime) -> bytes:
    return bytes([t.year - 2000, t.month, t.day, t.hour, t.minute, t.second])


def position(lat: float, lon: float, valid: bool = True, south: bool = False,
             west: bool = False) -> bytes:
    status = (0 if valid else 1) | (2 if south else 0) | (4 if west else 0)
    return b"\x05" + bytes([status]) + struct.pack(">II", int(lon * 1e6), int(lat * 1e6))


def alarm(level: int, bits: list[int], battery: list[bytes] = (), other: list[bytes] = ()
          ) -> bytes:
    flags = sum(1 << b for b in bits)
    out = b"\x07" + bytes([level]) + struct.pack(">I", flags)
    for group in (battery, (), (), other):
        out += bytes([len(group)]) + b"".join(group)
    return out


def vehicle(speed_kmh: float, mileage_km: float, soc: int) -> bytes:
    body = bytearray(20)
    body[0:3] = b"\x01\x03\x01"
    body[3:5] = struct.pack(">H", int(speed_kmh * 10))
    body[5:9] = struct.pack(">I", int(mileage_km * 10))
    body[15] = soc
    return b"\x01" + bytes(body)


def motors(n: int) -> bytes:
    return b"\x02" + bytes([n]) + bytes(12 * n)


def extremes() -> bytes:
    return b"\x06" + bytes(14)


def cell_voltages(cells: int) -> bytes:
    return b"\x08\x01" + bytes(9) + bytes([cells]) + bytes(2 * cells)


def vendor(kind: int, payload: bytes) -> bytes:
    return bytes([kind]) + struct.pack(">H", len(payload)) + payload


def realtime(t: datetime, *items: bytes, command: int = 0x02, **kw) -> bytes:
    return frame(command, when(t) + b"".join(items), **kw)


def fuel_cell(probes: int) -> bytes:
    return b"\x03" + bytes(6) + struct.pack(">H", probes) + bytes(probes) + bytes(10)


def engine() -> bytes:
    return b"\x04" + bytes(5)


def probe_temperatures(probes: int) -> bytes:
    return b"\x09\x01\x01" + struct.pack(">H", probes) + bytes(probes)


def refit(buf: bytes) -> bytes:
    """A frame whose data was edited: its length and BCC made right again."""
    return frame(buf[2], buf[24:-1], vin=buf[4:21].decode("latin-1"), encryption=buf[21])
