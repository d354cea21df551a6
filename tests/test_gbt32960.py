"""GB/T 32960.3-2016 frames: decoding, every refusal, and fuzzing."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.gbt32960 import FrameError, parse_frames
from tests import gbt32960_frames as g
from tests.helpers import FIXTURES

T = datetime(2026, 11, 22, 8, 30, 15)
SAMPLE = bytes.fromhex((FIXTURES / "telematics" / "gbt32960_alarm.hex").read_text().strip())


def test_the_reference_frame():
    [f] = parse_frames(SAMPLE)
    assert (f.command_name, f.vin) == ("realtime", "LNBSCU3H0MR512345")
    assert f.time.isoformat() == "2026-11-22T08:30:15+08:00"
    assert f.position == {"valid": True, "lat": 30.2741, "lon": 120.1551}
    assert f.alarm["level"] == 3
    assert f.alarm["flags"] == ["temperature_difference", "battery_temperature_high"]


def test_items_we_do_not_decode_are_walked_by_their_length():
    data = g.realtime(T, g.vehicle(62.5, 12345.6, 71), g.motors(2), g.extremes(),
                      g.cell_voltages(3), g.vendor(0x80, b"vendor-data"), g.position(22.5, 114.0),
                      g.alarm(2, [11, 13], battery=[b"\x00\x00\x10\x01"]))
    [f] = parse_frames(data)
    assert f.items == ["vehicle", "drive_motor", "extremes", "cell_voltage", "0x80",
                       "position", "alarm"]
    assert f.vehicle == {"speed_kmh": 62.5, "mileage_km": 12345.6, "soc_pct": 71}
    assert f.alarm["flags"] == ["insulation", "brake_system"]
    assert f.alarm["fault_codes"]["battery"] == ["00001001"]


def test_an_item_too_long_for_its_type_refuses_the_frame_instead_of_losing_the_alarm():
    # The vehicle item is 20 bytes; two more put the walk on 0x00 where the alarm should start.
    data = g.realtime(T, g.vehicle(10, 20, 30) + b"\x00\x00", g.alarm(3, [1]))
    with pytest.raises(FrameError) as err:
        parse_frames(data)
    assert str(err.value).startswith(
        "frame at byte 0: data item 2 (0x00) at byte 51 after vehicle: type 0x00 has no length")


def test_a_reserved_type_refuses_the_frame_even_after_a_good_alarm():
    with pytest.raises(FrameError, match=r"data item 2 \(0x30\) at byte 40 after alarm"):
        parse_frames(g.realtime(T, g.alarm(3, [1]), b"\x30\x01\x02\x03"))


def test_the_second_frame_of_a_body_is_named_by_its_offset():
    bad = g.realtime(T, g.alarm(3, [1])[:-2])
    with pytest.raises(FrameError, match=rf"frame at byte {len(SAMPLE)}: the data ends inside data"
                                         rf" item 1 \(alarm\) at byte {len(SAMPLE) + 30}$"):
        parse_frames(SAMPLE + bad)


def test_fuel_cell_engine_and_probe_temperatures_are_walked_too():
    [f] = parse_frames(VALID[2])
    assert f.items == ["fuel_cell", "engine", "extremes", "alarm", "cell_voltage",
                       "probe_temperature", "0x90"]


def test_south_west_and_invalid_positions():
    [f] = parse_frames(g.realtime(T, g.position(33.9, 18.4, south=True, west=True)))
    assert (f.position["lat"], f.position["lon"]) == (-33.9, -18.4)
    [f] = parse_frames(g.realtime(T, g.position(0, 0, valid=False)))
    assert f.position["valid"] is False


def test_several_frames_back_to_back_and_other_commands():
    login = g.frame(0x01, g.when(T) + b"\x00\x01" + b"8986" * 5 + b"\x00\x00")
    logout = g.frame(0x04, g.when(T) + b"\x00\x01")
    frames = parse_frames(login + SAMPLE + g.realtime(T, g.alarm(1, [4]), command=0x03)
                          + logout)
    assert [f.command_name for f in frames] == ["vehicle_login", "realtime", "reissue",
                                                "vehicle_logout"]


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (SAMPLE[:-1], "runs past"),
    (SAMPLE[:10], "header"),
    (b"$$" + SAMPLE[2:], "##"),
    (g.realtime(T, g.alarm(3, [0]), bcc_delta=1), "BCC"),
    (g.realtime(T, g.alarm(3, [0]), length=200), "runs past"),
    (g.realtime(T, g.alarm(3, [0]), encryption=0x03), "AES128"),
    (g.realtime(T, g.alarm(3, [0]), encryption=0x02), "RSA"),
    (g.realtime(T, g.alarm(3, [0]), encryption=0x09), "encryption"),
    (g.realtime(T, g.alarm(3, [0]))[:-2] + b"\x00" * 2, "BCC"),
    (g.frame(0x02, b"\x1a\x0d\x20\x08\x1e\x0f"), "invalid time"),
    (g.frame(0x02, g.when(T) + b"\x07\x03\x00"), r"ends inside data item 1 \(alarm\) at byte 30"),
    (g.frame(0x02, g.when(T)[:4]), "shorter than the 6-byte time"),
    (g.realtime(T, g.motors(2)[:-1]), r"inside data item 1 \(drive_motor\) at byte 30"),
    (g.realtime(T, g.vendor(0x80, b"abc")[:-1]), r"inside data item 1 \(0x80\) at byte 30"),
    (SAMPLE + b"\x00", "header"),
])
def test_bad_frames_are_refused_with_the_reason(data, reason):
    with pytest.raises(FrameError, match=reason):
        parse_frames(data)


# Fuzzing: any bytes, and mutations of valid frames, raise FrameError or parse.
@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data):
    try:
        parse_frames(data)
    except FrameError:
        pass


VALID = [SAMPLE, g.realtime(T, g.vehicle(10, 20, 30), g.motors(1), g.position(30, 120),
                            g.alarm(2, [0, 5], other=[b"\x01\x02\x03\x04"])),
         g.realtime(T, g.fuel_cell(3), g.engine(), g.extremes(), g.alarm(1, [2]),
                    g.cell_voltages(2), g.probe_temperatures(4), g.vendor(0x90, b"x"))]


def _with_bcc(buf: bytearray) -> bytes:
    check = 0
    for b in buf[2:-1]:
        check ^= b
    buf[-1] = check
    return bytes(buf)


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(VALID), st.data())
def test_fuzz_mutated_frames_with_a_fixed_bcc(frame, data):
    buf = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(24, len(buf) - 2))  # inside the data: reach the item walker
        buf[i] = data.draw(st.integers(0, 255))
    try:
        parse_frames(_with_bcc(buf))
    except FrameError:
        pass
