"""The OpenAPI document against the running gateway, by schemathesis's CLI.

A gateway of its own on the real broker; every operation of /openapi.json
gets the document's examples (the real-format fixtures), the coverage phase
(each keyword's edge values, missing headers, wrong media types and methods)
and generated valid and invalid requests, all signed as their upstream signs
(tests/gateway/openapi_hooks.py). Every check runs: no 5xx, documented status
codes, content types and headers, response schemas, invalid data refused,
valid data accepted, authentication enforced. Bounded by --max-time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest
import requests

from hub.gateway.app import create_app
from hub.gateway.openapi import example_text
from hub.settings import load_settings
from tests.helpers import FIXTURES, ROOT, start_gateway

BUDGET_S = int(os.environ.get("OPENAPI_BUDGET_S", "60"))  # longer for a deeper local run
# Bodies whose validity no JSON schema can say (a frame's checksum, a mail's
# headers): generated ones are refused (400), as they should be, so only the
# "valid data is accepted" check is off for them; their examples still get 202.
# WeChat's XML carries only text: a null or a number where a string belongs is
# text again on the wire (`<MsgId>null</MsgId>`), so it is not invalid data there.
CONFIG = """
checks.enabled = true  # every check schemathesis has
cache.enabled = false  # each run stands alone (no replay of an earlier run's crashes)

[[operations]]
include-path-regex = "^/v1/channels/(telematics/gbt32960|email)$"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/v1/channels/wechat"
include-method = "POST"
checks.negative_data_rejection.enabled = false
"""


@pytest.fixture(scope="module")
def openapi_gateway(broker, logs_dir):
    proc, url = start_gateway(broker.bootstrap, logs_dir)
    yield url
    proc.stop()


def test_gateway_conforms_to_its_openapi(openapi_gateway, tmp_path: Path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    report, events = tmp_path / "report.json", tmp_path / "events.ndjson"
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.gateway.openapi_hooks",
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
         f"{openapi_gateway}/openapi.json", "--max-time", str(BUDGET_S),
         "--max-examples", "30", "--seed", "32960", "--generation-deterministic",
         "--workers", "1", "--report", "json,ndjson", "--report-json-path", str(report),
         "--report-ndjson-path", str(events),
         "--no-color"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=BUDGET_S * 4, check=False)
    print(done.stdout[-6000:])  # what was checked, for `pytest -s` and failures
    print(check_counts(events))
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-3000:]


def check_counts(events: Path) -> str:
    """How often each check ran and failed, from schemathesis's event stream."""
    counts: Counter = Counter()
    for name, status in re.findall(r'\{"name":"(\w+)","status":"(\w+)"\}', events.read_text()):
        counts[name, status] += 1
    names = sorted({name for name, _ in counts})
    return "\n".join(f"{n:32} {counts[n, 'success']:6} passed {counts[n, 'failure']:4} failed"
                     for n in names)


def test_the_gateway_serves_the_document_it_builds(openapi_gateway):
    served = requests.get(f"{openapi_gateway}/openapi.json", timeout=10).json()
    assert served == orjson.loads(orjson.dumps(create_app(load_settings()).openapi()))


def document(url: str) -> dict:
    return requests.get(f"{url}/openapi.json", timeout=10).json()


def test_examples_are_the_real_format_fixtures(openapi_gateway):
    paths = document(openapi_gateway)["paths"]
    names = [example["summary"].split("(")[1].rstrip(")")
             for path in paths.values() for op in path.values()
             for media in op.get("requestBody", {}).get("content", {}).values()
             for example in media.get("examples", {}).values()]
    assert len(names) >= 12
    for name in names:
        assert example_text(name) == (FIXTURES / name).read_text("utf-8"), name
    frame = paths["/v1/channels/telematics/gbt32960"]["post"]["requestBody"]["content"][
        "application/octet-stream"]["x-example-hex"]
    assert frame == (FIXTURES / "telematics/gbt32960_alarm.hex").read_text().strip()


CONTRACT_ENDPOINTS = {  # contract §3
    ("get", "/v1/channels/wechat"), ("post", "/v1/channels/wechat"),
    ("post", "/v1/channels/sms/aliyun"), ("post", "/v1/channels/sms/tencent"),
    ("post", "/v1/channels/sms/twilio"), ("post", "/v1/channels/email"),
    ("post", "/v1/channels/hotline"), ("post", "/v1/channels/hotline/tencent-ccc"),
    ("post", "/v1/channels/web"), ("post", "/v1/channels/telematics"),
    ("post", "/v1/channels/telematics/gbt32960"), ("get", "/q/{token}"),
    ("post", "/v1/channels/qr"), ("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics")}


def test_every_contract_endpoint_documents_body_auth_answers_and_errors(openapi_gateway):
    doc = document(openapi_gateway)
    listed = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert CONTRACT_ENDPOINTS <= listed
    assert {"webhookId", "webhookTimestamp", "webhookSignature", "wechatSignature",
            "wechatMsgSignature", "pushToken", "twilioSignature"} <= set(
        doc["components"]["securitySchemes"])
    for method, path in CONTRACT_ENDPOINTS:
        op = doc["paths"][path][method]
        if method == "post":
            assert op["requestBody"]["content"], path
            assert {"400", "401", "413", "415", "503"} <= set(op["responses"]), path
            assert "Retry-After" in op["responses"]["503"]["headers"], path
        if path.startswith("/v1/channels/") and path != "/v1/channels/qr":
            assert op["security"], (method, path)  # the QR token is a form field
    assert doc["components"]["schemas"]["ErrorBody"]["required"] == ["error"]
    aliyun = doc["paths"]["/v1/channels/sms/aliyun"]["post"]["responses"]["200"]
    assert aliyun["content"]["application/json"]["example"] == {"code": 0, "msg": "接收成功"}
    wechat = doc["paths"]["/v1/channels/wechat"]["post"]
    assert set(wechat["requestBody"]["content"]) == {"text/xml", "application/json"}
    assert wechat["responses"]["200"]["content"]["text/plain"]["example"] == "success"


def test_unknown_paths_and_methods_answer_in_the_error_model(openapi_gateway):
    missing = requests.get(f"{openapi_gateway}/v1/channels/fax", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = requests.put(f"{openapi_gateway}/v1/channels/hotline", timeout=10)
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    assert wrong.json()["error"] == {"code": "method_not_allowed",
                                     "message": "Method Not Allowed"}
