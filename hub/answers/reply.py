"""A reply as ``hub.replies`` carries it (contract §10), read once at the
dispatcher's boundary.

Beyond the contract's fields a reply may carry what threading a mail needs
(``subject``, ``in_reply_to``: the customer's Message-ID) and, for surveys
and callbacks, ``opt_out`` (the customer asked for none); the acknowledgements
the router writes fill them from the event."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from hub.errors import InvalidPayload

KINDS = ("acknowledgement", "agent", "callback", "survey")


def case_reference(event_id: str) -> str:
    """The reference a customer quotes on the phone: short, unambiguous, stable."""
    return "C" + event_id.replace("-", "")[:9].upper()


@dataclass(frozen=True)
class Reply:
    reply_id: str
    event_id: str
    kind: str
    text: str
    at: str | None
    channel: str | None
    phone: str | None
    email: str | None
    wechat_openid: str | None
    subject: str | None = None
    in_reply_to: str | None = None
    opt_out: bool = False

    @property
    def case(self) -> str:
        return case_reference(self.event_id)

    @property
    def automatic(self) -> bool:
        return self.kind == "acknowledgement"

    @classmethod
    def from_json(cls, raw: bytes | None) -> Reply:
        try:
            body = orjson.loads(raw or b"")
        except orjson.JSONDecodeError as exc:
            raise InvalidPayload(f"reply is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise InvalidPayload("reply is not a JSON object")
        missing = [k for k in ("reply_id", "event_id", "kind", "text") if not body.get(k)]
        if missing:
            raise InvalidPayload(f"reply lacks {', '.join(missing)}")
        if body["kind"] not in KINDS:
            raise InvalidPayload(f"unknown reply kind {body['kind']!r}")
        to = body.get("to") or {}
        return cls(reply_id=str(body["reply_id"]), event_id=str(body["event_id"]),
                   kind=body["kind"], text=str(body["text"]), at=body.get("at"),
                   channel=body.get("channel"), phone=to.get("phone"), email=to.get("email"),
                   wechat_openid=to.get("wechat_openid"), subject=body.get("subject"),
                   in_reply_to=body.get("in_reply_to"), opt_out=bool(body.get("opt_out")))
