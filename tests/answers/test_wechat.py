import asyncio

import httpx
import pytest

from hub.answers.outcome import GiveUp, OutsideWindow, RetryLater
from hub.answers.wechat import WeChatClient

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


def client(http, base, settings, secret=None):
    return WeChatClient(http, base, settings.wechat_appid,
                        secret or settings.wechat_secret.get_secret_value())


def test_message_arrives_with_a_fetched_token(wechat, settings):
    fake, base = wechat

    async def go():
        async with httpx.AsyncClient() as http:
            wc = client(http, base, settings)
            first = await wc.send_text(OPENID, "您好，已收到您的反馈。")
            await wc.send_text(OPENID, "第二条")
            return first, wc.fetches

    sent, fetches = asyncio.run(go())
    assert sent.provider == "wechat"
    assert fake.messages == [{"touser": OPENID, "content": "您好，已收到您的反馈。"},
                             {"touser": OPENID, "content": "第二条"}]
    assert fetches == fake.token_fetches == 1  # cached across replies


def test_token_expiring_mid_stream_is_refreshed_once_under_concurrency(wechat, settings):
    fake, base = wechat

    async def go():
        async with httpx.AsyncClient() as http:
            wc = client(http, base, settings)
            await wc.send_text(OPENID, "warm-up")
            fake.expire_tokens()
            await asyncio.gather(*(wc.send_text(OPENID, f"m{i}") for i in range(20)))

    asyncio.run(go())
    assert fake.token_fetches == 2
    assert sorted(r["errcode"] for r in fake.refused) == [42001] * 20
    assert {m["content"] for m in fake.messages} == {"warm-up", *(f"m{i}" for i in range(20))}


def test_unknown_token_is_refetched(wechat, settings):
    fake, base = wechat

    async def go():
        async with httpx.AsyncClient() as http:
            wc = client(http, base, settings)
            await wc.send_text(OPENID, "a")
            fake.tokens.clear()  # WeChat forgot it (another server fetched a new one)
            await wc.send_text(OPENID, "b")

    asyncio.run(go())
    assert [r["errcode"] for r in fake.refused] == [40001]
    assert [m["content"] for m in fake.messages] == ["a", "b"]


def test_45015_is_outside_the_window(wechat, settings):
    fake, base = wechat
    fake.outside_window.add(OPENID)

    async def go():
        async with httpx.AsyncClient() as http:
            await client(http, base, settings).send_text(OPENID, "x")

    with pytest.raises(OutsideWindow, match="outside 48h window"):
        asyncio.run(go())
    assert fake.messages == []


def test_busy_retries_and_unknown_openid_gives_up(wechat, settings):
    fake, base = wechat
    fake.script.fail_next(1, (-1, "system error"))

    async def go(openid):
        async with httpx.AsyncClient() as http:
            await client(http, base, settings).send_text(openid, "x")

    with pytest.raises(RetryLater):
        asyncio.run(go(OPENID))
    with pytest.raises(GiveUp) as refused:
        asyncio.run(go("not-an-openid"))
    assert refused.value.vendor_code == 40003
    assert not isinstance(refused.value, RetryLater)


def test_wrong_secret_is_refused_by_the_fake(wechat, settings):
    fake, base = wechat

    async def go():
        async with httpx.AsyncClient() as http:
            await client(http, base, settings, secret="wrong").send_text(OPENID, "x")

    with pytest.raises(GiveUp) as refused:
        asyncio.run(go())
    assert refused.value.vendor_code == 40125
    assert fake.token_fetches == 0 and fake.messages == []


def test_unreachable_wechat_is_worth_a_retry(settings):
    async def go():
        async with httpx.AsyncClient() as http:
            await client(http, "http://127.0.0.1:9", settings).send_text(OPENID, "x")

    with pytest.raises(RetryLater):
        asyncio.run(go())
