from datetime import UTC, datetime

import pytest

from hub.connectors.wechat import parse_xml
from hub.errors import InvalidPayload
from hub.normalizers.wechat import normalize
from tests.helpers import FIXTURES

NOW = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
BASE = {"ToUserName": "gh_1", "FromUserName": "oU2V", "CreateTime": "1763773815"}


def xml(name: str) -> dict:
    return parse_xml((FIXTURES / "wechat" / name).read_bytes())


def test_text():
    e = normalize(xml("text.xml"), NOW)
    assert (e.channel, e.source, e.channel_message_id) == ("wechat", "wechat:gh_3a5b7c9d1e2f",
                                                          "24321987650099001")
    assert e.contact.wechat_openid == "oU2Vx5test0001openid" and "异响" in e.text
    assert e.occurred_at == datetime.fromtimestamp(1763773815, UTC)


def test_voice_uses_recognition_as_text():
    e = normalize(xml("voice.xml"), NOW)
    assert e.text == "我的车在高速上抛锚了需要救援"
    assert e.attachments[0].kind == "audio" and e.attachments[0].media_id == "media_voice_1"


@pytest.mark.parametrize("extra, check", [
    ({"MsgType": "image", "PicUrl": "http://mmbiz.qpic.cn/x", "MediaId": "m1"},
     lambda e: e.attachments[0].kind == "image" and e.attachments[0].url.endswith("/x")),
    ({"MsgType": "video", "MediaId": "m2", "ThumbMediaId": "t"},
     lambda e: e.attachments[0].kind == "video"),
    ({"MsgType": "shortvideo", "MediaId": "m3"}, lambda e: e.attachments[0].kind == "video"),
    ({"MsgType": "location", "Location_X": "30.27", "Location_Y": "120.15", "Label": "杭州"},
     lambda e: (e.location.lat, e.location.lon, e.location.address) == (30.27, 120.15, "杭州")),
    ({"MsgType": "link", "Title": "车主论坛帖子", "Description": "刹车异响", "Url": "http://x"},
     lambda e: e.subject == "车主论坛帖子" and "刹车异响" in e.text),
])
def test_message_types(extra, check):
    assert check(normalize({**BASE, "MsgId": "1", **extra}, NOW))


def test_subscribe_with_dealer_scene_carries_qr_context():
    e = normalize(xml("subscribe_qrscene.xml"), NOW)
    assert e.context.dealer_code == "D0755C" and e.context.qr["scene"] == "dealer:D0755C"
    assert e.channel_message_id == "oU2Vx5test0002openid:1763773900:subscribe"


def test_scan_carries_the_scene():
    e = normalize({**BASE, "MsgType": "event", "Event": "SCAN", "EventKey": "vin:abc"}, NOW)
    assert e.context.qr["scene"] == "vin:abc"


@pytest.mark.parametrize("event", ["unsubscribe", "user_enter_tempsession", "CLICK", "VIEW",
                                   "subscribe", "TEMPLATESENDJOBFINISH", "LOCATION"])
def test_events_without_a_customer_message_are_not_events(event):
    assert normalize({**BASE, "MsgType": "event", "Event": event, "EventKey": "menu_1"},
                     NOW) is None


def test_message_without_msgid_is_refused():
    with pytest.raises(InvalidPayload):
        normalize({**BASE, "MsgType": "text", "Content": "x"}, NOW)


@pytest.mark.parametrize("data", [
    b"<xml><Content>cut",
    b"<notxml/>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><C>&a;</C></xml>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b"<xml><C>&e;</C></xml>",
])
def test_unsafe_or_broken_xml_is_refused(data):
    with pytest.raises(InvalidPayload):
        parse_xml(data)
