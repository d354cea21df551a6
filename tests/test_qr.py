import os
import subprocess
import sys
import time

import pytest

from hub import qr
from hub.errors import InvalidPayload, InvalidSignature
from hub.ratelimit import SlidingWindow

SECRET = "test-qr-secret"


def test_round_trip_and_the_vin_is_not_readable():
    token = qr.issue(SECRET, dealer="D0571A", vin="lnbscu3h0mr512345")
    assert "LNBSCU3H0MR512345" not in token and "D0571A" not in token
    claims = qr.read(SECRET, token)
    assert (claims["dealer"], claims["vin"]) == ("D0571A", "LNBSCU3H0MR512345")
    assert len(claims["ref"]) == 12 and claims["ref"] == qr.read(SECRET, token)["ref"]
    assert qr.url("https://hub.example.cn/", token) == f"https://hub.example.cn/q/{token}"


@pytest.mark.parametrize("mutate", [
    lambda t: t[:40] + ("A" if t[40] != "A" else "B") + t[41:],
    lambda t: t[:-4],
    lambda t: "x" + t,
    lambda t: "",
])
def test_tampered_tokens_are_refused(mutate):
    token = qr.issue(SECRET, dealer="D1")
    with pytest.raises(InvalidSignature):
        qr.read(SECRET, mutate(token))


def test_other_secret_and_expiry():
    token = qr.issue(SECRET, vin="LFV2A21K7G3000001", days=1, now=time.time() - 2 * 86400)
    with pytest.raises(InvalidSignature):
        qr.read("another-secret", token)
    with pytest.raises(qr.ExpiredToken) as info:
        qr.read(SECRET, token)
    assert info.value.code == "stale_timestamp"


def test_a_code_needs_a_dealer_or_a_vin():
    with pytest.raises(InvalidPayload):
        qr.issue(SECRET)


def test_sliding_window():
    w = SlidingWindow(2, 10)
    assert w.allow("k", now=0) and w.allow("k", now=1) and not w.allow("k", now=2)
    assert w.allow("other", now=2)
    assert w.allow("k", now=10.5)  # the first hit left the window


def test_hub_qr_issue_links_to_the_port_the_gateway_listens_on():
    # Issue 19: with the gateway on another port, the links still pointed at :8080.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_HTTP_PORT="9317", HUB_QR_SECRET=SECRET)
    out = subprocess.run([sys.executable, "-m", "hub", "qr", "issue", "--dealer", "D1"],
                         env=env, capture_output=True, text=True, timeout=60, check=True)
    link = out.stdout.strip()
    assert link.startswith("http://127.0.0.1:9317/q/")
    assert qr.read(SECRET, link.rsplit("/", 1)[1])["dealer"] == "D1"
