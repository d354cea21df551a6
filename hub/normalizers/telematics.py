"""Vehicle events -> Event: the TSP's JSON (contract §3.3) and decoded
GB/T 32960 frames (:mod:`hub.gbt32960`). The trigger decides the type
downstream (airbag and eCall are rescue); voice assistant text is the
customer's words."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from hub.event import Context, Event, Location, Telematics, Vehicle
from hub.ids import event_id
from hub.normalizers.common import NonBlank, Payload, Timestamp, json_int, parse_time, validate
from hub.text import clean, detect_language

Trigger = Literal["airbag_deployed", "ecall_auto", "ecall_manual", "bcall", "alarm", "dtc",
                  "voice"]


class Position(Payload):
    lat: float | None = None
    lon: float | None = None


class Alarm(Payload):
    level: json_int(ge=0, le=3) = 0
    flags: list[str] = Field(default_factory=list)


class VehicleEvent(Payload):
    event_id: NonBlank
    vin: NonBlank
    occurred_at: Timestamp | None = None
    trigger: Trigger
    location: Position | None = None
    speed_kmh: float | None = None
    soc_pct: float | None = None
    alarm: Alarm | None = None
    dtc_codes: list[str] = Field(default_factory=list)
    voice_text: str | None = None


def normalize(payload: dict, received_at: datetime, source: str = "telematics") -> Event:
    ev = validate(VehicleEvent, payload)
    text = clean(ev.voice_text)
    return Event(
        event_id=event_id("telematics", source, ev.event_id),
        channel="telematics",
        source=source,
        channel_message_id=ev.event_id,
        received_at=received_at,
        occurred_at=parse_time(ev.occurred_at),
        vehicle=Vehicle(vin=ev.vin),
        location=Location(lat=ev.location.lat, lon=ev.location.lon) if ev.location else Location(),
        text=text,
        language=detect_language(text),
        context=Context(),
        telematics=Telematics(
            trigger=ev.trigger,
            alarm_level=ev.alarm.level if ev.alarm else None,
            alarm_flags=ev.alarm.flags if ev.alarm else [],
            dtc_codes=ev.dtc_codes,
            speed_kmh=ev.speed_kmh,
            soc_pct=ev.soc_pct,
        ),
    )


def normalize_gbt32960(frame: dict, received_at: datetime,
                       source: str = "telematics:gbt32960") -> Event | None:
    """A real-time or reissued frame with an alarm becomes an ``alarm`` event;
    logins, logouts, heartbeats and alarm-free telemetry carry nothing to route."""
    alarm = frame.get("alarm")
    if frame["command"] not in ("realtime", "reissue") or not alarm or not (
            alarm["level_raw"] or alarm["flags"] or any(alarm["fault_codes"].values())):
        return None
    # A reissue resends a realtime frame: the same VIN and time are the same message.
    message_id = f"{frame['vin']}:{frame['time']}"
    position, vehicle = frame.get("position") or {}, frame.get("vehicle") or {}
    codes = [c for group in alarm["fault_codes"].values() for c in group]
    return Event(
        event_id=event_id("telematics", source, message_id),
        channel="telematics",
        source=source,
        channel_message_id=message_id,
        received_at=received_at,
        occurred_at=parse_time(frame["time"]),
        vehicle=Vehicle(vin=frame["vin"], mileage_km=vehicle.get("mileage_km")),
        location=Location(lat=position.get("lat"), lon=position.get("lon"))
        if position.get("valid") else Location(),
        context=Context(),
        telematics=Telematics(trigger="alarm", alarm_level=alarm["level"],
                              alarm_flags=alarm["flags"], dtc_codes=codes,
                              speed_kmh=vehicle.get("speed_kmh"), soc_pct=vehicle.get("soc_pct")),
    )
