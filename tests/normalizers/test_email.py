from datetime import UTC, datetime

from hub.normalizers.email import normalize
from tests.helpers import FIXTURES
from tests.test_mail import mime

NOW = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)


def test_mail_becomes_an_event():
    e = normalize({"rfc822": (FIXTURES / "email" / "gbk_complaint.eml").read_bytes()}, NOW)
    assert (e.channel, e.source) == ("email", "email")
    assert e.channel_message_id == "<20261122091500.12345@mail.example.net>"
    assert e.contact.email == "li.xiansheng@example.net" and e.contact.name == "李先生"
    assert e.subject == "关于轮胎以旧充新的投诉" and e.language == "zh-Hans"
    assert e.context.thread_id == e.channel_message_id


def test_same_message_id_same_event_id_whichever_route():
    raw = mime("x", Message_ID="<same@x>")
    assert normalize({"rfc822": raw}, NOW).event_id == normalize({"rfc822": raw}, NOW).event_id


def test_auto_reply_is_no_event():
    assert normalize({"rfc822": mime("休假中", X_Autoreply="yes")}, NOW) is None


def test_mail_without_message_id_gets_a_content_id():
    raw = b"From: a@example.cn\r\nSubject: s\r\n\r\nbody"
    e = normalize({"rfc822": raw}, NOW)
    assert e.channel_message_id.startswith("<sha256:")
