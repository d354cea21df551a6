"""WeChat pushes under concurrent load: the gateway must answer far inside
WeChat's 5-second limit. Real gateway, real broker (acks=all), signed plain
XML pushes with distinct MsgIds, N concurrent clients.

    .venv/bin/python bench/wechat_load.py --pushes 2000 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
from stack import line, running_stack

from hub.connectors.wechat import wechat_signature
from hub.settings import DEV_SECRETS

XML = ("<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
       "<FromUserName><![CDATA[oBench{i}]]></FromUserName><CreateTime>1763773815</CreateTime>"
       "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[保养完发动机有异响 请安排检查]]>"
       "</Content><MsgId>{msgid}</MsgId></xml>")


async def load(url: str, pushes: int, concurrency: int) -> None:
    ts, nonce = str(int(time.time())), "bench"
    params = {"signature": wechat_signature(DEV_SECRETS["wechat_token"], ts, nonce),
              "timestamp": ts, "nonce": nonce}
    times: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(pushes):
        queue.put_nowait(i)
    base = int(time.time() * 1000) * 1000

    async def client() -> None:
        nonlocal failures
        async with httpx.AsyncClient(timeout=10) as http:
            while not queue.empty():
                i = queue.get_nowait()
                body = XML.format(i=i % 100, msgid=base + i).encode()
                t0 = time.perf_counter()
                r = await http.post(f"{url}/v1/channels/wechat", params=params, content=body,
                                    headers={"content-type": "text/xml"})
                times.append((time.perf_counter() - t0) * 1000)
                failures += r.text != "success"

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    print(f"\n{pushes} WeChat pushes, {concurrency} concurrent: {wall:.2f} s "
          f"({pushes / wall:.0f}/s), {failures} not answered 'success'")
    print(line("push -> success (stored)", times))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pushes", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with running_stack(worker=True) as (url, _bootstrap):
        asyncio.run(load(url, args.pushes, args.concurrency))


if __name__ == "__main__":
    main()
