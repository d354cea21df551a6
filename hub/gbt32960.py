"""GB/T 32960.3-2016 frames (the NEV monitoring protocol), decoded from bytes.

Frame: ``##`` | command (1) | response flag (1) | VIN (17, ASCII) |
encryption (1: 0x01 none, 0x02 RSA, 0x03 AES128, 0xFE exception, 0xFF invalid) |
data length (2, big-endian) | data | BCC (1: XOR of every byte from the
command through the end of the data).

Real-time (0x02) and reissued (0x03) data: a 6-byte time (YY MM DD hh mm ss,
China time), then data items, each a type byte and a body whose length follows
from the type (layouts of GB/T 32960.3-2016 tables 9-20, 0x01-0x09). Every item
is walked by its length, so an item we do not decode (motor, fuel cell,
extremes, cell voltages...) does not hide the ones after it; vendor items
0x80-0xFE carry a 2-byte length.

The items carry no length of their own, so one item the walk cannot size (a
type outside those ranges, or an item that runs past the data) leaves every
later item unfindable: the whole request is refused with the item and its byte
offset. A half-decoded frame is never accepted, because the part lost may be
the alarm (a vehicle item two bytes too long puts the walk on a stray 0x00
right before it). Refusing rather than storing and dead-lettering: the TSP
keeps its frames and can resend them (or reissue, 0x03) once it has fixed its
encoder, and a 400 shows the fault to the one party that can fix it, where a
dead letter would hide it in our operations and still not route the alarm.

The parser never raises anything but :class:`FrameError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from hub.errors import InvalidPayload

CHINA = timezone(timedelta(hours=8))
COMMANDS = {0x01: "vehicle_login", 0x02: "realtime", 0x03: "reissue", 0x04: "vehicle_logout",
            0x05: "platform_login", 0x06: "platform_logout", 0x07: "heartbeat",
            0x08: "time_sync"}
ENCRYPTION = {0x01: None, 0x02: "RSA", 0x03: "AES128", 0xFE: "exception", 0xFF: "invalid"}
ITEM_NAMES = {0x01: "vehicle", 0x02: "drive_motor", 0x03: "fuel_cell", 0x04: "engine",
              0x05: "position", 0x06: "extremes", 0x07: "alarm", 0x08: "cell_voltage",
              0x09: "probe_temperature"}
# Table 18, general alarm flag bits (bit 0 = least significant).
ALARM_FLAGS = (
    "temperature_difference", "battery_temperature_high", "energy_storage_overvoltage",
    "energy_storage_undervoltage", "soc_low", "cell_overvoltage", "cell_undervoltage",
    "soc_high", "soc_jump", "energy_storage_mismatch", "cell_consistency_poor", "insulation",
    "dcdc_temperature", "brake_system", "dcdc_status", "motor_controller_temperature",
    "high_voltage_interlock", "motor_temperature", "energy_storage_overcharge",
)
HEADER = 24  # ## + cmd + flag + VIN + encryption + length


class FrameError(InvalidPayload):
    """A frame that is not GB/T 32960 as we can read it; the message says why."""


@dataclass
class Frame:
    command: int
    vin: str
    time: datetime | None = None
    items: list[str] = field(default_factory=list)
    position: dict | None = None
    alarm: dict | None = None
    vehicle: dict | None = None

    @property
    def command_name(self) -> str:
        return COMMANDS.get(self.command, f"0x{self.command:02x}")

    def as_dict(self) -> dict:
        return {"command": self.command_name, "vin": self.vin,
                "time": self.time.isoformat() if self.time else None, "items": self.items,
                "position": self.position, "alarm": self.alarm, "vehicle": self.vehicle}


class _Short(Exception):  # noqa: N818 - internal signal, never leaves this module
    """The data ended inside an item; the walk turns it into a FrameError naming the item."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise _Short
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


def bcc(data: bytes) -> int:
    value = 0
    for b in data:
        value ^= b
    return value


def _time(raw: bytes) -> datetime:
    yy, mo, dd, hh, mi, ss = raw
    try:
        return datetime(2000 + yy, mo, dd, hh, mi, ss, tzinfo=CHINA)
    except ValueError as exc:
        raise FrameError(f"invalid time {raw.hex()}") from exc


def _position(r: _Reader) -> dict:
    status, lon, lat = r.u8(), r.u32(), r.u32()
    return {"valid": not status & 0x01,
            "lat": round(lat / 1e6 * (-1 if status & 0x02 else 1), 6),
            "lon": round(lon / 1e6 * (-1 if status & 0x04 else 1), 6)}


def _alarm(r: _Reader) -> dict:
    level, flags = r.u8(), r.u32()
    codes: dict[str, list[str]] = {}
    for name in ("battery", "motor", "engine", "other"):
        n = r.u8()
        codes[name] = [r.take(4).hex().upper() for _ in range(n)]
    return {"level": level if level <= 3 else None, "level_raw": level,
            "flags": [n for bit, n in enumerate(ALARM_FLAGS) if flags >> bit & 1],
            "fault_codes": codes}


def _vehicle(r: _Reader) -> dict:
    body = r.take(20)
    speed, mileage = struct.unpack(">H", body[3:5])[0], struct.unpack(">I", body[5:9])[0]
    soc = body[15]
    return {"speed_kmh": speed / 10 if speed < 0xFFFE else None,
            "mileage_km": mileage / 10 if mileage < 0xFFFFFFFE else None,
            "soc_pct": soc if soc <= 100 else None}


def _skip(item: int, r: _Reader) -> bool:
    """Skip an item we do not decode by its length; False when its length is unknown."""
    if item == 0x02:  # drive motors: count, then 12 bytes each
        r.take(12 * r.u8())
    elif item == 0x03:
        r.take(6)
        r.take(r.u16())
        r.take(10)
    elif item == 0x04:
        r.take(5)
    elif item == 0x06:
        r.take(14)
    elif item == 0x08:
        for _ in range(r.u8()):
            r.take(9)
            r.take(2 * r.u8())
    elif item == 0x09:
        for _ in range(r.u8()):
            r.take(1)
            r.take(r.u16())
    elif 0x80 <= item <= 0xFE:
        r.take(r.u16())
    else:
        return False
    return True


def _realtime(frame: Frame, data: bytes, at: int) -> None:
    """Walk the items of real-time data that starts at byte ``at`` of the body."""
    r = _Reader(data)
    try:
        frame.time = _time(r.take(6))
    except _Short as exc:
        raise FrameError(f"data at byte {at} is shorter than the 6-byte time") from exc
    while r.left:
        start, number = r.pos, len(frame.items) + 1
        item = r.u8()
        name = ITEM_NAMES.get(item, f"0x{item:02x}")
        where = f"data item {number} ({name}) at byte {at + start}"
        try:
            if item == 0x05:
                frame.position = _position(r)
            elif item == 0x07:
                frame.alarm = _alarm(r)
            elif item == 0x01:
                frame.vehicle = _vehicle(r)
            elif not _skip(item, r):
                after = (f" after {frame.items[-1]}", "; the item before it may be longer "
                         "than the standard's layout") if frame.items else ("", "")
                raise FrameError(
                    f"{where}{after[0]}: type 0x{item:02x} has no length in GB/T 32960.3 "
                    "(0x01-0x09, vendor 0x80-0xFE), so it and the items after it cannot be "
                    f"found{after[1]}")
        except _Short as exc:
            raise FrameError(f"the data ends inside {where}") from exc
        frame.items.append(name)


def parse_frame(buf: bytes, offset: int = 0) -> tuple[Frame, int]:
    """One frame starting at ``offset``; returns it and the offset after it."""
    head = buf[offset:offset + HEADER]
    if len(head) < HEADER:
        raise FrameError(f"frame at byte {offset}: shorter than the {HEADER}-byte header")
    if head[:2] != b"##":
        raise FrameError(f"frame at byte {offset}: does not start with ##")
    command, encryption = head[2], head[21]
    length = int(struct.unpack(">H", head[22:24])[0])
    end = offset + HEADER + length
    if end + 1 > len(buf):
        raise FrameError(f"frame at byte {offset}: data length {length} runs past the body")
    data = buf[offset + HEADER:end]
    if bcc(buf[offset + 2:end]) != buf[end]:
        raise FrameError(f"frame at byte {offset}: BCC mismatch")
    if encryption not in ENCRYPTION:
        raise FrameError(f"frame at byte {offset}: unknown encryption flag 0x{encryption:02x}")
    if ENCRYPTION[encryption]:
        raise FrameError(f"frame at byte {offset}: {ENCRYPTION[encryption]} payloads are not "
                         "accepted; the TSP must forward decrypted frames")
    try:
        vin = head[4:21].decode("ascii")
    except UnicodeDecodeError as exc:
        raise FrameError(f"frame at byte {offset}: VIN is not ASCII") from exc
    frame = Frame(command=command, vin=vin)
    if command in (0x02, 0x03):
        try:
            _realtime(frame, data, offset + HEADER)
        except FrameError as exc:
            raise FrameError(f"frame at byte {offset}: {exc}") from exc
    elif command in (0x01, 0x04) and len(data) >= 6:
        frame.time = _time(data[:6])
    return frame, end + 1


def parse_frames(buf: bytes) -> list[Frame]:
    """Every frame in a body (a TSP may forward several back to back)."""
    if not buf:
        raise FrameError("empty body")
    frames, offset = [], 0
    while offset < len(buf):
        frame, offset = parse_frame(buf, offset)
        frames.append(frame)
    return frames
