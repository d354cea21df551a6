"""The embedded broker's disk, over real HTTP: the conditional writes Tansu's
s3:// engine relies on, and listings to the millisecond."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import threading
import time

import httpx
import pytest

from hub.kafka.embedded import free_port


@pytest.fixture
def store(tmp_path):
    port = free_port()
    (tmp_path / "tansu").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "hub.kafka.s3store", str(tmp_path),
                             "--port", str(port)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/tansu"
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(url, params={"list-type": "2"})
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    yield url, tmp_path / "tansu"
    proc.terminate()
    proc.wait()


def _etag(response: httpx.Response) -> str:
    return response.headers["etag"]


def test_if_match_is_a_compare_and_swap(store):
    url, folder = store
    first = httpx.put(f"{url}/p/watermark.json", content=b'{"high":1}',
                      headers={"If-None-Match": "*"})
    assert first.status_code == 200
    second = httpx.put(f"{url}/p/watermark.json", content=b'{"high":2}',
                       headers={"If-Match": _etag(first)})
    assert second.status_code == 200
    # A writer that read the first version loses: the watermark never goes back.
    stale = httpx.put(f"{url}/p/watermark.json", content=b'{"high":1.5}',
                      headers={"If-Match": _etag(first)})
    assert stale.status_code == 412
    assert (folder / "p" / "watermark.json").read_bytes() == b'{"high":2}'
    gone = httpx.put(f"{url}/p/other.json", content=b"x", headers={"If-Match": _etag(first)})
    assert gone.status_code == 404


def test_if_none_match_refuses_to_overwrite_a_batch(store):
    url, folder = store
    key = f"{url}/p/records/00000000000000000000.batch"
    assert httpx.put(key, content=b"one", headers={"If-None-Match": "*"}).status_code == 200
    assert httpx.put(key, content=b"two", headers={"If-None-Match": "*"}).status_code == 412
    assert (folder / "p" / "records" / "00000000000000000000.batch").read_bytes() == b"one"


def test_listing_has_milliseconds_and_only_the_prefix(store):
    url, _ = store
    for n in range(3):
        httpx.put(f"{url}/a/records/{n:020}.batch", content=b"x")
    httpx.put(f"{url}/b/records/{0:020}.batch", content=b"x")
    listing = httpx.get(url, params={"list-type": "2", "prefix": "a/records/"}).text
    assert listing.count("<Key>") == 3 and "<Key>b/" not in listing
    stamps = re.findall(r"<LastModified>([^<]+)</LastModified>", listing)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s) for s in stamps)
    assert len(set(stamps)) > 1 or all(not s.endswith(".000Z") for s in stamps)


def test_the_broker_acknowledges_nothing_its_disk_has_not_written(tmp_path):
    """What makes fsync in the store enough: Tansu answers a produce only after
    the store answered its writes. With the store frozen nothing is acknowledged."""
    import asyncio
    import os
    import signal

    from hub.errors import BrokerUnavailable
    from hub.kafka.bus import Bus
    from hub.kafka.embedded import EmbeddedBroker
    from hub.kafka.topics import INTAKE, create_topics
    from hub.settings import load_settings

    broker = EmbeddedBroker(free_port(), log_path=tmp_path / "broker.log",
                            data_dir=tmp_path / "broker").start()
    settings = load_settings(kafka_bootstrap=broker.bootstrap, publish_timeout_s=2)
    asyncio.run(create_topics(settings))

    async def go() -> None:
        bus = Bus(settings)
        try:
            await bus.publish_many([(INTAKE, "a", b"before", [], None)])
            os.kill(broker.store.pid, signal.SIGSTOP)
            try:
                with pytest.raises(BrokerUnavailable):
                    await bus.publish_many([(INTAKE, "b", b"frozen", [], None)])
            finally:
                os.kill(broker.store.pid, signal.SIGCONT)
        finally:
            await bus.close()

    try:
        asyncio.run(go())
    finally:
        broker.stop()


def test_a_read_never_pairs_one_version_with_another_versions_etag(store):
    """Tansu reads a watermark, then writes it back with If-Match on the ETag it
    read: an old body under a new ETag would let it move the watermark back."""
    url, _ = store
    key = f"{url}/p/watermark.json"
    httpx.put(key, content=b"0")
    stop, mismatched = threading.Event(), []

    def write() -> None:
        with httpx.Client() as client:
            n = 0
            while not stop.is_set():
                n += 1
                client.put(key, content=str(n).encode() * (1 + n % 7))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with httpx.Client() as client:
            for _ in range(1500):
                got = client.get(key)
                body_md5 = hashlib.md5(got.content, usedforsecurity=False).hexdigest()
                if _etag(got).strip('"') != body_md5:
                    mismatched.append(got.content)
    finally:
        stop.set()
        writer.join()
    assert mismatched == []
