"""``hub customers load FILE``: customer records (JSONL or CSV) to ``hub.customers``,
keyed by customer_id. CSV list columns (phones, emails, wechat_openids, vins)
separate values with ``;`` or ``|``."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import orjson
from tqdm import tqdm

from hub import cloudevents
from hub.errors import InvalidPayload
from hub.event import utcnow
from hub.kafka.bus import Bus
from hub.kafka.topics import CUSTOMERS
from hub.routers.identity import TIER_RANK

LIST_FIELDS = ("phones", "emails", "wechat_openids", "vins")


def _from_csv(row: dict[str, str]) -> dict:
    record: dict = {k: (v or "").strip() for k, v in row.items() if k}
    for name in LIST_FIELDS:
        record[name] = [x.strip() for x in re.split(r"[;|]", record.get(name, "")) if x.strip()]
    if record.get("deleted", "").lower() in ("1", "true", "yes"):
        record["deleted"] = True
    else:
        record.pop("deleted", None)
    return record


def read_records(path: Path) -> Iterator[tuple[int, dict]]:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            for n, row in enumerate(csv.DictReader(f), start=2):
                yield n, _from_csv(row)
        return
    with path.open(encoding="utf-8-sig") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise InvalidPayload(f"{path}:{n}: not JSON: {exc}") from exc
            if not isinstance(record, dict):
                raise InvalidPayload(f"{path}:{n}: not a JSON object")
            yield n, record


def check(path: Path, n: int, record: dict) -> str:
    cid = str(record.get("customer_id") or "").strip()
    if not cid:
        raise InvalidPayload(f"{path}:{n}: customer_id is missing")
    if not record.get("deleted") and record.get("tier") not in TIER_RANK:
        raise InvalidPayload(f"{path}:{n}: tier must be one of vip, fleet, ordinary")
    return cid


async def load(bus: Bus, path: Path, batch: int = 500) -> int:
    records = [(check(path, n, r), r) for n, r in read_records(path)]  # validate all first
    sent = 0
    with tqdm(total=len(records), unit="customer", desc="hub.customers") as bar:
        for i in range(0, len(records), batch):
            chunk = records[i:i + batch]
            now = utcnow()
            await bus.publish_many([
                (CUSTOMERS, cid, orjson.dumps(r),
                 cloudevents.headers(id=f"customer/{cid}/{now.timestamp()}", source="/hub/cli",
                                     type="hub.customer.v1", time=now), None)
                for cid, r in chunk])
            sent += len(chunk)
            bar.update(len(chunk))
    return sent
