"""The car, raw: the TSP forwards GB/T 32960 frames as they came from the
vehicle (``application/octet-stream``, one or more frames back to back),
signed per Standard Webhooks with source secret ``telematics`` (over the raw
bytes). Parsing is :mod:`hub.gbt32960`; a bad BCC, a wrong length, an
encrypted payload or a data item the walk cannot size refuses the whole
request with the reason and the byte offset (400 invalid_payload), so no alarm
is ever dropped behind a 202."""

from fastapi import Request

from hub.connectors.base import Received, StandardWebhook, require_media_type
from hub.connectors.docs import STANDARD_WEBHOOKS, Body, Doc
from hub.gbt32960 import parse_frames


class Gbt32960Connector(StandardWebhook):
    channel = "telematics"
    source = "telematics"
    path = "/v1/channels/telematics/gbt32960"
    summary = "Raw GB/T 32960 frames forwarded by the TSP"
    docs = (Doc("GB/T 32960.3 frames as the vehicle sent them (`##`, command, VIN, "
                "encryption 0x01 = none, length, data, BCC), back to back. Real-time and "
                "reissued frames with an alarm become events; logins, heartbeats and "
                "alarm-free telemetry are answered and not routed.",
                bodies=(Body("application/octet-stream",
                             {"type": "string", "format": "binary"},
                             ("telematics/gbt32960_alarm.hex",)),),
                security=(STANDARD_WEBHOOKS,)),)

    async def parse(self, request: Request, body: bytes) -> list[Received]:
        require_media_type(request, "application/octet-stream")
        return [Received(frame.as_dict(), kind=f"gbt32960:{frame.command_name}")
                for frame in parse_frames(body)]
