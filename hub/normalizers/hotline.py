"""Call records -> Event: the hub's own format (contract §3.1) and the Tencent
Cloud Contact Center CDR push (https://cloud.tencent.com/document/product/679/67257).
The ASR transcript is the text; the IVR path and the agent's notes are
context, never the customer's words."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from hub.event import Attachment, Contact, Context, Event
from hub.ids import event_id
from hub.normalizers.common import (
    EpochSeconds,
    JsonInt,
    NonBlank,
    Payload,
    Timestamp,
    parse_time,
    validate,
)
from hub.phones import to_e164
from hub.text import clean, detect_language


class CallRecord(Payload):
    call_id: NonBlank
    caller: str | None = None
    callee: str | None = None
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    ivr_path: list[str] = Field(default_factory=list)
    transcript: str | None = None
    agent_notes: str | None = None
    agent_id: str | None = None
    recording_url: str | None = None


def normalize(payload: dict, received_at: datetime, source: str = "hotline") -> Event:
    call = validate(CallRecord, payload)
    text = clean(call.transcript)
    return Event(
        event_id=event_id("hotline", source, call.call_id),
        channel="hotline",
        source=source,
        channel_message_id=call.call_id,
        received_at=received_at,
        occurred_at=parse_time(call.started_at),
        contact=Contact(phone=to_e164(call.caller)),
        text=text,
        language=detect_language(text),
        attachments=[Attachment(kind="recording", url=call.recording_url)]
        if call.recording_url else [],
        context=Context(ivr_path=[str(k) for k in call.ivr_path],
                        agent_notes=clean(call.agent_notes) or None),
    )


class CccCdr(Payload):
    SessionId: NonBlank
    Caller: str | None = None
    Callee: str | None = None
    Direction: JsonInt = 0  # 0 inbound, 1 outbound
    StartTimestamp: EpochSeconds | None = None
    EndedTimestamp: EpochSeconds | None = None
    IVRKeyPressed: list[str] = Field(default_factory=list)
    RecordURL: str | None = None


def normalize_tencent_ccc(payload: dict, received_at: datetime,
                          source: str = "hotline:tencent-ccc") -> Event:
    cdr = validate(CccCdr, payload)
    customer = cdr.Caller if cdr.Direction == 0 else cdr.Callee  # outbound: we called them
    return Event(
        event_id=event_id("hotline", source, cdr.SessionId),
        channel="hotline",
        source=source,
        channel_message_id=cdr.SessionId,
        received_at=received_at,
        occurred_at=parse_time(cdr.StartTimestamp),
        contact=Contact(phone=to_e164(customer)),
        text="",  # a CDR carries no words; the IVR keys are the only hint
        language="zh-Hans",
        attachments=[Attachment(kind="recording", url=cdr.RecordURL)] if cdr.RecordURL else [],
        context=Context(ivr_path=[str(k) for k in cdr.IVRKeyPressed]),
    )
