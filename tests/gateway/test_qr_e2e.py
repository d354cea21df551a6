"""QR codes through the running gateway: page, JSON and form posts, errors, limits."""

from __future__ import annotations

import time

import httpx
import pytest

from hub import qr
from hub.event import RoutedEvent
from hub.kafka.topics import INTAKE, RAW
from hub.settings import DEV_SECRETS
from tests.helpers import end_offsets, kept_refused, routed_where

SECRET = DEV_SECRETS["qr_secret"]


def token(**kw) -> str:
    return qr.issue(SECRET, **({"dealer": "D0571A"} | kw))


def routed(broker, event_id: str) -> RoutedEvent:
    return routed_where(broker.bootstrap, lambda e: e.event_id == event_id)


def test_landing_page_is_a_chinese_mobile_form(gateway):
    page = httpx.get(f"{gateway}/q/{token()}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'lang="zh-CN"' in html and 'name="viewport"' in html and "联系我们" in html
    assert 'for="phone"' in html and 'type="tel"' in html and 'accept="image/*"' in html
    assert "D0571A" in html and "http" not in html.split("<body>")[1].replace(
        'action="/v1/channels/qr"', "")  # no external assets


@pytest.mark.parametrize("bad, title", [("tampered", "二维码无效"), ("expired", "二维码已过期")])
def test_bad_tokens_get_an_error_page_not_a_stack_trace(gateway, bad, title):
    t = token() if bad == "tampered" else qr.issue(SECRET, dealer="D1", days=1,
                                                   now=time.time() - 3 * 86400)
    if bad == "tampered":
        t = t[:50] + ("A" if t[50] != "A" else "B") + t[51:]
    page = httpx.get(f"{gateway}/q/{t}")
    assert page.status_code == 401 and title in page.text and "Traceback" not in page.text
    posted = httpx.post(f"{gateway}/v1/channels/qr",
                        data={"token": t, "phone": "13900005555", "text": "x"})
    assert posted.status_code == 401 and title in posted.text


def test_json_submission_is_routed_with_the_vehicle(broker, gateway, worker):
    response = httpx.post(f"{gateway}/v1/channels/qr", json={
        "token": token(vin="LNBSCU3H0MR512345"), "phone": "13900005555",
        "text": "车在服务区动不了，需要拖车"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert len(body["reference"]) == 10
    event = routed(broker, body["event_id"])
    assert event.route.topic == "hub.routed.fleet.rescue"  # the fleet's VIN from the token
    assert event.context.dealer_code == "D0571A" and event.channel == "qr"


def test_form_submission_gets_a_confirmation_page_with_the_reference(broker, gateway):
    response = httpx.post(f"{gateway}/v1/channels/qr", data={
        "token": token(dealer="D0999Z"), "submission_id": "page-1", "phone": "13900006666",
        "name": "周先生", "text": "销售承诺的赠品没有兑现"},
        files={"photo": ("receipt.png", b"\x89PNG fake", "image/png")})
    assert response.status_code == 200 and "已收到您的反馈" in response.text
    assert 'class="ref"' in response.text


def test_invalid_phone_is_a_clear_error_and_is_kept_for_replay(broker, gateway):
    response, raw = kept_refused(broker.bootstrap, lambda: httpx.post(
        f"{gateway}/v1/channels/qr", json={
            "token": token(dealer="D0888"), "phone": "12345", "text": "x"}))
    assert response.status_code == 400 and "phone" in response.json()["error"]["message"]
    assert raw["refused"] == response.json()["error"] and raw["channel"] == "qr"


def test_a_forged_token_is_refused_and_stored_nowhere(broker, gateway):
    before = end_offsets(broker.bootstrap, [RAW, INTAKE])
    response = httpx.post(f"{gateway}/v1/channels/qr", json={
        "token": token(dealer="D0888")[:-4] + "AAAA", "phone": "13900006666", "text": "x"})
    assert response.status_code == 401
    assert end_offsets(broker.bootstrap, [RAW, INTAKE]) == before


def test_a_form_that_cannot_be_read_is_a_400_page_not_a_500(broker, gateway):
    response = httpx.post(f"{gateway}/v1/channels/qr", content=b"token=x",
                          headers={"content-type": "multipart/form-data"})  # no boundary
    assert response.status_code == 400 and "请检查填写内容" in response.text


def test_rate_limit_per_code(broker, gateway):
    t = token(dealer="D-RATE")
    statuses = [httpx.post(f"{gateway}/v1/channels/qr", json={
        "token": t, "phone": "13900007777", "text": f"第{i}次"}).status_code for i in range(7)]
    assert statuses[:5] == [202] * 5 and statuses[5:] == [429, 429]


@pytest.mark.parametrize("accept, lang, words", [
    (None, "zh-CN", "称呼最多 60 个字"), ("zh-TW,zh;q=0.8", "zh-Hant", "稱呼最多 60 個字"),
    ("en-GB,en;q=0.9", "en", "Name can be at most 60 characters"),
])
def test_an_over_long_name_is_refused_in_the_customer_language(broker, gateway, accept, lang,
                                                                words):
    headers = {"Accept-Language": accept} if accept else {}
    # From an address of its own: the shared gateway allows 20 submissions per address.
    client = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.19"))
    page, raw = kept_refused(broker.bootstrap, lambda: client.post(
        f"{gateway}/v1/channels/qr", headers=headers, data={
            "token": token(dealer="D-LANG"), "phone": "13900005555", "name": "名" * 61,
            "text": "刹车有异响"}))
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}">' in page.text and words in page.text
    assert page.headers["content-language"] == lang and page.headers["vary"] == "Accept-Language"
    assert raw["refused"]["code"] == "invalid_payload" and "name" in raw["refused"]["message"]
    api = client.post(f"{gateway}/v1/channels/qr", headers=headers, json={
        "token": token(dealer="D-LANG"), "phone": "13900005555", "name": "名" * 61, "text": "x"})
    assert api.status_code == 400 and api.json()["error"]["message"].startswith("name: ")


@pytest.mark.parametrize("accept, title", [("zh-HK", "聯絡我們"), ("en", "Contact us"),
                                           ("de-DE", "联系我们")])
def test_landing_page_follows_the_browser_language(gateway, accept, title):
    page = httpx.get(f"{gateway}/q/{token()}", headers={"Accept-Language": accept})
    assert page.status_code == 200 and f"<h1>{title}</h1>" in page.text
