"""``hub demo``: realistic traffic through every channel of a running hub, each
in the upstream's real format and authentication, then where each landed."""

from __future__ import annotations

import asyncio
import re
import struct
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from email.mime.text import MIMEText
from urllib.parse import urlencode

import aiosmtplib
import httpx
import orjson
from aiokafka import AIOKafkaConsumer
from wechatpy.crypto import WeChatCrypto

from hub import qr
from hub.connectors.sms_twilio import twilio_signature
from hub.connectors.wechat import wechat_signature
from hub.kafka.topics import ROUTED
from hub.settings import Settings
from hub.signatures import signed_headers

CHINA = timezone(timedelta(hours=8))


def _run_id() -> str:
    return uuid.uuid4().hex[:8]


def gbt32960_alarm_frame(vin: str, when: datetime) -> bytes:
    """A real-time frame: position and a level-3 battery temperature alarm."""
    data = bytes([when.year - 2000, when.month, when.day, when.hour, when.minute, when.second])
    data += b"\x05\x00" + struct.pack(">II", 120155100, 30274100)
    data += b"\x07\x03" + struct.pack(">I", 0b11) + b"\x00\x00\x00\x00"
    body = bytes([0x02, 0xFE]) + vin.encode() + b"\x01" + struct.pack(">H", len(data)) + data
    check = 0
    for b in body:
        check ^= b
    return b"##" + body + bytes([check])


async def send_all(s: Settings, base: str) -> list[str]:
    """Post one message per channel variant; returns what was sent, for the report."""
    run = _run_id()
    now = int(time.time())
    sent: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=15) as http:
        async def signed(source: str, path: str, body: bytes, ctype: str) -> None:
            headers = signed_headers(s.source_secret(source), body, f"msg_{uuid.uuid4().hex}")
            r = await http.post(path, content=body, headers=headers | {"content-type": ctype})
            sent.append(f"{path} -> {r.status_code}")

        await signed("hotline", "/v1/channels/hotline", orjson.dumps({
            "call_id": f"DEMO-{run}-call", "caller": "139 0000 9999", "ivr_path": ["4"],
            "transcript": "上个月刚修过 刹车还是有异响 我要投诉 再不解决就找媒体曝光"}),
            "application/json")
        token = s.push_token.get_secret_value()
        r = await http.post(f"/v1/channels/hotline/tencent-ccc?action=cdr&version=1&token={token}",
                            json={"SessionId": f"demo-{run}-ccc", "Caller": "008613822223333",
                                  "Callee": "008640080012345", "Direction": 0,
                                  "StartTimestamp": now - 300, "IVRKeyPressed": ["3"]})
        sent.append(f"tencent-ccc -> {r.status_code}")
        await signed("web", "/v1/channels/web", orjson.dumps({
            "form_id": f"DEMO-{run}-form", "name": "王女士", "phone": "13900005555",
            "topic": "other", "subject": "交车延期",
            "body": "合同约定11月15日交车,到现在还没交,要求给出明确交车日期。"}),
            "application/json")
        await signed("telematics", "/v1/channels/telematics", orjson.dumps({
            "event_id": f"DEMO-{run}-airbag", "vin": "LNBSCU3H0MR512345",
            "trigger": "airbag_deployed", "location": {"lat": 30.27, "lon": 120.15},
            "speed_kmh": 58}), "application/json")
        await signed("telematics", "/v1/channels/telematics/gbt32960",
                     gbt32960_alarm_frame("LFV2A21K7G3000001", datetime.now(CHINA)),
                     "application/octet-stream")

        wx = {"signature": wechat_signature(s.wechat_token.get_secret_value(), str(now), run),
              "timestamp": str(now), "nonce": run}
        text = (f"<xml><ToUserName>gh_demo</ToUserName><FromUserName>oDemo{run}</FromUserName>"
                f"<CreateTime>{now}</CreateTime><MsgType>text</MsgType>"
                f"<Content>请问保养套餐还有优惠吗</Content><MsgId>{now}001</MsgId></xml>")
        r = await http.post("/v1/channels/wechat", params=wx, content=text.encode(),
                            headers={"content-type": "text/xml"})
        sent.append(f"wechat plain -> {r.text}")
        voice = text.replace("<MsgType>text</MsgType><Content>请问保养套餐还有优惠吗</Content>",
                             "<MsgType>voice</MsgType><Recognition>我的车在高速上抛锚了需要救援"
                             "</Recognition>").replace(f"{now}001", f"{now}002")
        crypto = WeChatCrypto(s.wechat_token.get_secret_value(),
                              s.wechat_aes_key.get_secret_value(), s.wechat_appid)
        envelope = crypto.encrypt_message(voice, run, now)
        encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]>", envelope).group(1)
        msg_sig = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]>", envelope).group(1)
        r = await http.post("/v1/channels/wechat", params=wx | {
            "encrypt_type": "aes", "msg_signature": msg_sig},
            content=f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode(),
            headers={"content-type": "text/xml"})
        sent.append(f"wechat aes -> {r.text}")

        r = await http.post(f"/v1/channels/sms/aliyun?token={token}", json=[
            {"phone_number": "15900001111", "content": "车辆在服务区无法启动,请求救援",
             "send_time": datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
             "dest_code": "1234", "sequence_id": f"{now}{run[:4]}"}])
        sent.append(f"sms aliyun -> {r.text}")
        r = await http.post(f"/v1/channels/sms/tencent?token={token}", json={
            "mobile": "13600003333", "nationcode": "86", "text": "你们的销售态度太差了,我要投诉",
            "time": now, "sign": "某汽车"})
        sent.append(f"sms tencent -> {r.text}")
        params = {"MessageSid": f"SM{run}demo", "From": "+8613500004444",
                  "Body": "车窗关不上了，想预约维修", "NumMedia": "0"}
        sig = twilio_signature(s.twilio_auth_token.get_secret_value(),
                               s.public_url.rstrip("/") + "/v1/channels/sms/twilio",
                               list(params.items()))
        r = await http.post("/v1/channels/sms/twilio", content=urlencode(params),
                            headers={"content-type": "application/x-www-form-urlencoded",
                                     "x-twilio-signature": sig})
        sent.append(f"sms twilio -> {r.status_code}")

        qr_token = qr.issue(s.qr_secret.get_secret_value(), dealer="D0571A",
                            vin="LNBSCU3H0MR512345")
        r = await http.post("/v1/channels/qr", json={
            "token": qr_token, "phone": "13700002222", "submission_id": run,
            "text": "扫码反馈：车门把手脱落了，想预约更换"})
        sent.append(f"qr -> {r.status_code}")

    mail = MIMEText("你好：\n\n我上个月在贵司4S店更换的轮胎是旧胎翻新的，要求退款赔偿。"
                    "\n\n-- \n李先生", "plain", "gbk")
    mail["From"], mail["To"] = "li.xiansheng@example.net", "service@hub.example.cn"
    # The same mail twice, by SMTP and by HTTP; the Message-ID tells the report which is which.
    mail["Subject"], mail["Message-ID"] = "关于轮胎以旧充新的投诉", f"<demo-{run}-smtp@example.net>"
    try:
        await aiosmtplib.send(mail, hostname=s.http_host, port=s.smtp_port, timeout=15)
        sent.append("email smtp -> 250")
    except (aiosmtplib.SMTPException, OSError) as exc:
        sent.append(f"email smtp -> failed: {exc}")
    raw = mail.as_bytes().replace(f"<demo-{run}-smtp@".encode(), f"<demo-{run}-http@".encode())
    async with httpx.AsyncClient(base_url=base, timeout=15) as http:
        headers = signed_headers(s.source_secret("email"), raw, f"msg_{uuid.uuid4().hex}")
        r = await http.post("/v1/channels/email", content=raw,
                            headers=headers | {"content-type": "message/rfc822"})
        sent.append(f"email http -> {r.status_code}")
    return sent


async def demo(s: Settings, wait_s: float = 30.0, expected: int = 13) -> list[dict]:
    consumer = AIOKafkaConsumer(*ROUTED, bootstrap_servers=s.bootstrap,
                                auto_offset_reset="latest", fetch_max_wait_ms=100)
    await consumer.start()
    try:
        await asyncio.sleep(1.0)  # settle at the current ends
        await consumer.seek_to_end()
        started = datetime.now(UTC)
        for line in await send_all(s, f"http://{s.http_host}:{s.http_port}"):
            print(f"  sent {line}")
        routed: list[dict] = []
        deadline = time.monotonic() + wait_s
        while len(routed) < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                events = [orjson.loads(r.value) | {"_topic": r.topic} for r in records]
                # Only what this demo sent: a busy worker may still be routing older traffic.
                routed += [e for e in events
                           if datetime.fromisoformat(e["received_at"]) >= started]
        return routed
    finally:
        await consumer.stop()


def _source(e: dict) -> str:
    # Both mails share the source `email` (one Message-ID is one event whichever way
    # it came); the demo's own Message-IDs say which way each came.
    if e["channel"] == "email":
        for via in ("smtp", "http"):
            if f"-{via}@" in e["channel_message_id"]:
                return f"{e['source']} via {via.upper()}"
    return e["source"]


def report(routed: list[dict]) -> str:
    lines = [f"{'channel':<11}{'source':<22}{'routed to':<31}{'prio':<5}{'risk':<5}text"]
    for e in sorted(routed, key=lambda e: (e["channel"], _source(e))):
        text = (e.get("text") or e.get("subject") or "").replace("\n", " ")[:28]
        lines.append(f"{e['channel']:<11}{_source(e):<22}{e['_topic']:<31}"
                     f"{e['route']['priority']:<5}{e['risk']['level']:<5}{text}")
    channels = sorted({e["channel"] for e in routed})
    lines.append(f"\n{len(routed)} events routed from {len(channels)} channels: "
                 f"{', '.join(channels)}")
    return "\n".join(lines)
