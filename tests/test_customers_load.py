"""`hub customers load`: JSONL and CSV to hub.customers, bad files refused whole."""

from __future__ import annotations

import subprocess
import sys

import orjson

from hub.kafka.topics import CUSTOMERS
from tests.helpers import FIXTURES, end_offsets, hub_env, read_topics


def run_load(bootstrap: str, path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hub", "customers", "load", str(path)],
                          env=hub_env(bootstrap), capture_output=True, text=True, timeout=60,
                          check=False)


def test_csv_with_list_columns(broker):
    done = run_load(broker.bootstrap, FIXTURES / "customers.csv")
    assert done.returncode == 0, done.stderr
    assert "published 2 customer records" in done.stdout
    assert "100%" in done.stderr  # the progress bar
    records = {r.key: orjson.loads(r.value) for r in read_topics(broker.bootstrap, [CUSTOMERS])}
    assert records[b"C-CSV-1"]["phones"] == ["0086 138 1111 2222", "021-66668888"]
    assert records[b"C-CSV-2"]["vins"] == ["LFV2A21K7G3000001", "LFV2A21K7G3000002"]
    assert records[b"C-CSV-2"]["tier"] == "fleet"


def test_bad_file_is_refused_whole_with_the_line_number(broker, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"customer_id": "OK-1", "tier": "vip"}\n{"customer_id": "X", "tier": "gold"}\n')
    before = end_offsets(broker.bootstrap, [CUSTOMERS])
    done = run_load(broker.bootstrap, bad)
    assert done.returncode != 0
    assert "bad.jsonl:2" in done.stderr and "tier" in done.stderr
    assert end_offsets(broker.bootstrap, [CUSTOMERS]) == before
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{nope\n")
    assert "not JSON" in run_load(broker.bootstrap, broken).stderr


def test_unreachable_broker_is_a_clear_error(tmp_path):
    done = run_load("127.0.0.1:1", FIXTURES / "customers.jsonl")
    assert done.returncode != 0 and "Kafka is not reachable" in done.stderr
