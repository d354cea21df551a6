"""WeChat push (official account XML or mini program JSON, already parsed to a
dict) -> Event.

Messages: text, image, voice (``Recognition`` is the text when WeChat's speech
recognition is on), video, shortvideo, location, link, and the mini program's
``miniprogrampage`` card. Events: ``subscribe``/``SCAN`` with a parametric QR
scene become an event with the scene in ``context.qr`` (dealer QR codes:
``dealer:CODE`` -> ``context.dealer_code``); events that carry no customer
message (plain subscribe, unsubscribe, ``user_enter_tempsession``, menu
``CLICK``/``VIEW``, template and location reports) return None: logged and
counted by the gateway, never routed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ConfigDict, Field

from hub.errors import InvalidPayload
from hub.event import Attachment, Contact, Context, Event, Location
from hub.ids import event_id
from hub.normalizers.common import EpochSeconds, IdText, JsonFloat, NonBlank, Payload, validate
from hub.text import clean, detect_language


def _xml_schema(schema: dict) -> None:
    schema["xml"] = {"name": "xml"}
    # Messages carry MsgId; events are identified by sender, time and event.
    schema["if"] = {"properties": {"MsgType": {"const": "event"}}}
    schema["else"] = {"required": ["MsgId"]}


class WeChatMessage(Payload):
    """The fields the hub reads; WeChat's others are kept. As XML, each field is
    a child of ``<xml>``; the mini program's JSON push has the same names."""

    model_config = ConfigDict(strict=False, json_schema_extra=_xml_schema)  # XML: all text

    ToUserName: NonBlank
    FromUserName: NonBlank
    CreateTime: EpochSeconds
    MsgType: NonBlank = Field(examples=["text", "image", "voice", "video", "shortvideo", "location",
                                   "link", "miniprogrampage", "event"])
    MsgId: IdText = None
    Event: str = None  # absent or text, never null
    EventKey: str = None
    Content: str = None
    Recognition: str = None
    Location_X: JsonFloat = None
    Location_Y: JsonFloat = None
    Label: str = None


def _scene(event: str, key: str | None) -> str | None:
    if not key:
        return None
    if event == "subscribe":
        return key.removeprefix("qrscene_") if key.startswith("qrscene_") else None
    return key if event == "scan" else None


def normalize(payload: dict, received_at: datetime) -> Event | None:
    m = validate(WeChatMessage, payload)
    kind = m.MsgType.lower()
    occurred = datetime.fromtimestamp(m.CreateTime, UTC)
    text, subject = "", None
    attachments: list[Attachment] = []
    location = Location()
    context = Context()
    get = payload.get
    if kind == "event":
        event = (m.Event or "").lower()
        scene = _scene(event, m.EventKey)
        if scene is None:
            return None
        context = Context(qr={"scene": scene, "ticket": get("Ticket"), "event": event},
                          dealer_code=scene.split(":", 1)[1] if scene.startswith("dealer:")
                          else None)
        message_id = f"{m.FromUserName}:{m.CreateTime}:{event}"
    else:
        if not m.MsgId:
            raise InvalidPayload("MsgId is missing")
        message_id = m.MsgId
        if kind == "text":
            text = m.Content or ""
        elif kind == "image":
            attachments = [Attachment(kind="image", url=get("PicUrl"), media_id=get("MediaId"))]
        elif kind == "voice":
            text = m.Recognition or ""
            attachments = [Attachment(kind="audio", media_id=get("MediaId"),
                                      content_type=f"audio/{get('Format') or 'amr'}".lower())]
        elif kind in ("video", "shortvideo"):
            attachments = [Attachment(kind="video", media_id=get("MediaId"))]
        elif kind == "location":
            location = Location(lat=m.Location_X or None, lon=m.Location_Y or None,
                                address=m.Label or None)
        elif kind == "link":
            subject = get("Title") or None
            text = " ".join(x for x in (get("Description"), get("Url")) if x)
        elif kind == "miniprogrampage":
            subject = get("Title") or None
        else:
            return None
    body = clean(text)
    return Event(
        event_id=event_id("wechat", f"wechat:{m.ToUserName}", message_id),
        channel="wechat", source=f"wechat:{m.ToUserName}", channel_message_id=message_id,
        received_at=received_at, occurred_at=occurred,
        contact=Contact(wechat_openid=m.FromUserName, wechat_unionid=get("UnionId")),
        location=location, subject=subject, text=body, language=detect_language(body),
        attachments=attachments, context=context,
    )
