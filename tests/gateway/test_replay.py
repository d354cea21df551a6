"""``hub replay hub.raw``: requests the gateway authenticated and refused,
read again once the cause is fixed, against the session's broker, gateway and
worker. The fix is a normalizer passed to replay (as a deploy would bring it)
or a setting corrected in the replaying process."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from datetime import datetime

import httpx
import orjson
from wechatpy.crypto import WeChatCrypto

from hub.channels import CHANNELS, ChannelSpec
from hub.connectors.web import WebConnector
from hub.connectors.wechat import wechat_signature
from hub.event import utcnow
from hub.gateway.app import create_app
from hub.gateway.replay import replay
from hub.ids import event_id
from hub.kafka.embedded import free_port
from hub.kafka.topics import INTAKE, ROUTED
from hub.normalizers import web
from hub.settings import DEV_SECRETS, DEV_SOURCE_SECRETS, load_settings
from hub.signatures import signed_headers
from tests.helpers import (
    FIXTURES,
    ROOT,
    ce_id,
    hub_env,
    kept_refused,
    read_topics,
    routed_where,
    signed_post,
)


def renamed_form(form_id: str) -> dict:
    """The site's new release sends ``formId``: today's normalizer refuses it."""
    payload = orjson.loads((FIXTURES / "web" / "delivery_delay.json").read_bytes())
    del payload["form_id"]
    return {**payload, "formId": form_id}


def fixed_normalize(payload: dict, received_at: datetime):
    return web.normalize({"form_id": payload.get("formId"), **payload}, received_at)


FIXED = tuple(ChannelSpec(s.connector, fixed_normalize) if s.connector is WebConnector else s
              for s in CHANNELS)


def run_replay(broker, since: datetime | None, channels=CHANNELS):
    return asyncio.run(replay(load_settings(kafka_bootstrap=broker.bootstrap), since, channels))


def copies(bootstrap: str, topics, eid: str) -> list:
    return [r for r in read_topics(bootstrap, topics) if ce_id(r) == eid]


def post_refused_form(broker, gateway, form_id: str) -> dict:
    response, raw = kept_refused(broker.bootstrap,
                                 lambda: signed_post(gateway, "web", renamed_form(form_id)))
    assert response.status_code == 400 and "form_id" in response.json()["error"]["message"]
    return raw


def test_a_fixed_normalizer_sends_the_kept_request_once_and_it_is_routed_once(
        broker, gateway, worker):
    since = utcnow()
    raw = post_refused_form(broker, gateway, "F-REPLAY-1")
    eid = event_id("web", "web", "F-REPLAY-1")

    unfixed = run_replay(broker, since)
    assert (unfixed.sent, unfixed.present) == (0, 0)
    [failure] = unfixed.failed
    assert failure.code == "invalid_payload" and failure.path == "/v1/channels/web"
    assert failure.where.startswith("hub.raw/")

    first = run_replay(broker, since, FIXED)
    assert (first.sent, first.present, first.failed) == (1, 0, [])
    routed = routed_where(broker.bootstrap, lambda e: e.event_id == eid)
    # The customer wrote when the gateway got it, not when the fix came.
    assert routed.received_at == datetime.fromisoformat(raw["received_at"])
    assert routed.channel_message_id == "F-REPLAY-1"

    second = run_replay(broker, since, FIXED)
    assert (second.sent, second.present, second.failed) == (0, 1, [])
    time.sleep(3)  # time for the worker to (wrongly) route a second copy
    assert len(copies(broker.bootstrap, [INTAKE], eid)) == 1
    assert len(copies(broker.bootstrap, ROUTED, eid)) == 1


def test_a_kept_request_of_someone_since_erased_is_not_replayed(broker, gateway, worker):
    since = utcnow()
    payload = {**renamed_form("F-REPLAY-ERASED"), "phone": "13900007777", "email": ""}
    kept_refused(broker.bootstrap, lambda: signed_post(gateway, "web", payload))
    # PIPL: the customer asks to be erased before the fix lands. No customer
    # record matches (exit 1), and the request is recorded all the same.
    erase = subprocess.run([sys.executable, "-m", "hub", "erase", "--phone", "139-0000-7777"],
                           env=hub_env(broker.bootstrap), capture_output=True, text=True,
                           timeout=120)
    assert erase.returncode in (0, 1), erase.stderr
    done = run_replay(broker, since, FIXED)
    assert (done.sent, done.erased, done.failed) == (0, 1, [])
    assert not copies(broker.bootstrap, [INTAKE], event_id("web", "web", "F-REPLAY-ERASED"))


def test_since_replays_only_what_was_received_from_then_on(broker, gateway, worker):
    start = utcnow()
    post_refused_form(broker, gateway, "F-REPLAY-EARLY")
    middle = utcnow()
    post_refused_form(broker, gateway, "F-REPLAY-LATE")
    late, early = (event_id("web", "web", f"F-REPLAY-{n}") for n in ("LATE", "EARLY"))

    assert run_replay(broker, middle, FIXED).sent == 1
    assert copies(broker.bootstrap, [INTAKE], late)
    assert not copies(broker.bootstrap, [INTAKE], early)
    both = run_replay(broker, start, FIXED)
    assert (both.sent, both.present, both.failed) == (1, 1, [])
    assert len(copies(broker.bootstrap, [INTAKE], early)) == 1


def test_a_normalizer_that_crashes_is_a_500_and_the_request_is_kept(broker, gateway, worker):
    def buggy(payload: dict, received_at: datetime):
        return web.normalize(payload, received_at) if payload["attachments"][0] else None

    settings = load_settings(kafka_bootstrap=broker.bootstrap)
    app = create_app(settings, (ChannelSpec(WebConnector, buggy),))
    payload = {**orjson.loads((FIXTURES / "web" / "delivery_delay.json").read_bytes()),
               "form_id": "F-REPLAY-CRASH", "attachments": []}
    body = orjson.dumps(payload)

    async def post() -> httpx.Response:
        headers = {**signed_headers(DEV_SOURCE_SECRETS["web"], body, "msg_crash"),
                   "content-type": "application/json"}
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://hub") as client:
                return await client.post("/v1/channels/web", content=body, headers=headers)
        finally:
            await app.state.bus.close()

    since = utcnow()
    response, raw = kept_refused(broker.bootstrap, lambda: asyncio.run(post()))
    assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
    # The exception's type only: its message could quote the customer's words.
    assert raw["refused"] == {"code": "internal_error", "message": "unexpected error: IndexError"}
    done = run_replay(broker, since)  # today's normalizer has no such bug
    assert (done.sent, done.failed) == (1, [])
    eid = event_id("web", "web", "F-REPLAY-CRASH")
    assert routed_where(broker.bootstrap, lambda e: e.event_id == eid).attachments == []


def hub_replay(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hub", "replay", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def post_for_other_appid(gateway: str, msg_id: str, appid: str) -> httpx.Response:
    xml = (FIXTURES / "wechat" / "text.xml").read_text().replace("24321987650099001", msg_id)
    token, ts, nonce = DEV_SECRETS["wechat_token"], str(int(time.time())), "n-replay"
    envelope = WeChatCrypto(token, DEV_SECRETS["wechat_aes_key"], appid).encrypt_message(
        xml, nonce, ts)
    encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]>", envelope).group(1)
    signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]>", envelope).group(1)
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    return httpx.post(f"{gateway}/v1/channels/wechat", params={
        "signature": wechat_signature(token, ts, nonce), "timestamp": ts, "nonce": nonce,
        "encrypt_type": "aes", "msg_signature": signature}, content=body,
        headers={"content-type": "text/xml"})


def test_the_cli_replays_once_the_setting_is_fixed(broker, gateway, worker):
    appid = "wxfixed00000000000"  # the account's real appid; the gateway has another
    since = utcnow().strftime("%Y-%m-%dT%H:%M:%S")
    time.sleep(1)  # --since has whole seconds
    response, _ = kept_refused(broker.bootstrap,
                               lambda: post_for_other_appid(gateway, "24321987650199001", appid))
    assert response.status_code == 401

    env = hub_env(broker.bootstrap)
    unfixed = hub_replay(env, "hub.raw", "--since", since)
    assert unfixed.returncode == 1, unfixed.stderr
    assert unfixed.stdout.strip() == "0 sent, 0 already in hub.intake, 1 still refused/failed"
    assert "still refused: hub.raw/" in unfixed.stderr
    assert "/v1/channels/wechat invalid_signature: encrypted message is for another appid" \
        in unfixed.stderr

    fixed_env = {**env, "HUB_WECHAT_APPID": appid}
    fixed = hub_replay(fixed_env, "hub.raw", "--since", since)
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.strip() == "1 sent, 0 already in hub.intake, 0 still refused/failed"
    routed_where(broker.bootstrap, lambda e: e.channel_message_id == "24321987650199001")
    again = hub_replay(fixed_env, "hub.raw", "--since", since)
    assert again.stdout.strip() == "0 sent, 1 already in hub.intake, 0 still refused/failed"


def test_a_broker_that_is_down_is_a_clear_error(tmp_path):
    down = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    done = hub_replay(hub_env(down), "hub.raw")
    assert done.returncode == 1 and done.stdout == ""
    assert f"Kafka at {down} is not reachable" in done.stderr
    assert "Traceback" not in done.stderr and time.monotonic() - started < 60


def test_what_cannot_be_replayed_is_refused_by_name():
    env = hub_env("127.0.0.1:9")
    other = hub_replay(env, "hub.intake")
    assert other.returncode == 1 and "name hub.deadletter or hub.raw" in other.stderr
    mixed = hub_replay(env, "hub.raw", "--subscriber", "crm")
    assert mixed.returncode == 1
    assert "--subscriber and --unconfirmed are for hub.deadletter" in mixed.stderr
