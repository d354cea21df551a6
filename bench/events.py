"""Varied normalized events for the stream benchmarks: every line of the
labelled corpus (tests/data/corpus) put into its channel's real upstream
payload (tests/data fixtures), given a unique id and passed through the
channel's real normalizer. Some contacts are the customers in
tests/data/customers.jsonl, so identity matches too."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import orjson

from hub import cloudevents
from hub.event import Event, utcnow
from hub.normalizers import email, hotline, qr, sms, telematics, web, wechat

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"

PHONES = ("13811112222", "+86 139 0000 9999", "13700002222", "15900001111", "13600003333")
OPENIDS = ("oU2Vx5test0001openid", "oU2Vx5test0003openid", "oBenchStranger")


def _fixture(path: str) -> dict:
    return orjson.loads((DATA / path).read_bytes())


def corpus() -> list[dict]:
    rows = []
    for path in sorted((DATA / "corpus").glob("*.jsonl")):
        rows += [orjson.loads(line) for line in path.read_text("utf-8").splitlines()
                 if line.strip()]
    return rows


class Payloads:
    """One corpus row and a serial number -> (normalizer, upstream payload)."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.call = _fixture("hotline/repair_booking.json")
        self.cdr = _fixture("hotline/tencent_ccc_cdr.json")
        self.form = _fixture("web/delivery_delay.json")
        self.vehicle = _fixture("telematics/battery_alarm.json")
        self.wechat = _fixture("wechat/miniprogram.json")
        self.aliyun = _fixture("sms/aliyun_batch.json")[0]
        self.tencent = _fixture("sms/tencent_reply.json")
        self.twilio = _fixture("sms/twilio_mms.json")
        self.qr = _fixture("qr/submission.json")

    def __call__(self, row: dict, n: int):
        uid, text, ch = f"B{self.run}-{n}", row["t"], row["ch"]
        phone = PHONES[n % len(PHONES)]
        if ch == "hotline" and n % 40 == 0:  # a CDR with IVR keys only: triage
            return hotline.normalize_tencent_ccc, {**copy.deepcopy(self.cdr), "SessionId": uid}
        if ch == "hotline":
            return hotline.normalize, {**self.call, "call_id": uid, "caller": phone,
                                       "transcript": text,
                                       "ivr_path": [row["ivr"]] if row.get("ivr") else []}
        if ch == "web":
            return web.normalize, {**copy.deepcopy(self.form), "form_id": uid, "phone": phone,
                                   "subject": "", "body": text, "topic": row.get("topic")}
        if ch == "telematics":
            trigger = row.get("trigger") or "voice"
            return telematics.normalize, {
                **copy.deepcopy(self.vehicle), "event_id": uid, "trigger": trigger,
                "voice_text": text if trigger == "voice" else None,
                "alarm": {"level": row.get("level") or 0, "flags": []}}
        if ch == "wechat":
            return wechat.normalize, {**self.wechat, "MsgId": str(10**15 + n),
                                      "FromUserName": OPENIDS[n % len(OPENIDS)],
                                      "Content": text}
        if ch == "sms":
            which = n % 3
            if which == 0:
                return sms.normalize_aliyun, {**self.aliyun, "sequence_id": uid,
                                              "phone_number": phone, "content": text}
            if which == 1:
                return sms.normalize_tencent, {**self.tencent, "text": f"{text} {uid}",
                                               "time": 1763774100 + n}
            return sms.normalize_twilio, {**self.twilio, "MessageSid": f"MM{uid}", "Body": text}
        if ch == "email":
            return email.normalize, {"rfc822": _mail(uid, text)}
        if ch == "qr":
            # The token was checked by the connector; the normaliser only needs it present.
            return qr.normalize, {**self.qr, "token": "bench", "submission_id": uid, "text": text,
                                  "claims": {"dealer": "D0571A", "vin": None, "ref": "benchqr0001"}}
        raise ValueError(f"no payload for channel {ch}")


def _mail(uid: str, text: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "王女士 <Wang.NS@Example.com>"
    msg["To"] = "service@example.cn"
    msg["Subject"] = " ".join(text.split())[:20]
    msg["Message-ID"] = f"<{uid}@bench.example.cn>"
    msg.set_content(text)
    return msg.as_bytes()


def events(count: int, run: str, received_at: datetime | None = None) -> Iterator[Event]:
    """``count`` events cycling through the corpus, each with its own id."""
    payloads = Payloads(run)
    rows = itertools.cycle(corpus())
    n = 0
    while n < count:
        normalize, payload = payloads(next(rows), n)
        event = normalize(payload, received_at or utcnow())
        n += 1
        if event is not None:
            yield event
        else:
            count += 1  # an auto-reply mail: not an event, take the next row


def intake_record(event: Event) -> tuple[bytes, bytes, list]:
    """(key, value, headers) exactly as the gateway writes to hub.intake."""
    headers = cloudevents.headers(id=event.event_id, source=f"/hub/gateway/{event.channel}",
                                  type="hub.event.v1", time=event.received_at,
                                  subject=event.channel_message_id)
    return event.event_id.encode(), event.to_json(), headers


def hotline_posts(count: int, run: str) -> Iterator[tuple[str, bytes]]:
    """(call_id, body) of ``count`` hotline call records (contract §3.1), each
    with its own call_id, cycling through the corpus's hotline lines."""
    template = _fixture("hotline/repair_booking.json")
    rows = itertools.cycle([r for r in corpus() if r["ch"] == "hotline"])
    for n in range(count):
        row, call_id = next(rows), f"P{run}-{n}"
        yield call_id, orjson.dumps({**template, "call_id": call_id,
                                     "caller": PHONES[n % len(PHONES)], "transcript": row["t"],
                                     "ivr_path": [row["ivr"]] if row.get("ivr") else []})
