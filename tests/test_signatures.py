from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from hub.errors import InvalidSignature, StaleTimestamp
from hub.signatures import sign, signed_headers, verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = '{"call_id": "c1", "transcript": "刹车异响"}'.encode()


def test_agrees_with_the_reference_implementation_both_ways():
    now = int(time.time())
    ours = signed_headers(SECRET, BODY, "msg_1", now)
    Webhook(SECRET).verify(BODY, ours)  # the reference accepts our signature
    theirs = Webhook(SECRET).sign("msg_1", datetime.fromtimestamp(now, UTC), BODY.decode())
    assert theirs == ours["webhook-signature"]
    assert verify(SECRET, BODY, ours) == "msg_1"


def test_any_of_several_signatures_may_match():
    now = int(time.time())
    good = sign(SECRET, "m", now, BODY)
    headers = {"webhook-id": "m", "webhook-timestamp": str(now),
               "webhook-signature": f"v1,bm90IGl0 v2,whatever {good}"}
    assert verify(SECRET, BODY, headers) == "m"


@pytest.mark.parametrize("mutate", [
    lambda h: h.update({"webhook-signature": "v1,AAAA"}),
    lambda h: h.update({"webhook-id": "other"}),
    lambda h: h.update({"webhook-signature": "garbage-without-comma"}),
    lambda h: h.pop("webhook-signature"),
    lambda h: h.update({"webhook-timestamp": "not-a-number"}),
])
def test_wrong_or_missing_headers_are_invalid(mutate):
    headers = signed_headers(SECRET, BODY, "m")
    mutate(headers)
    with pytest.raises(InvalidSignature):
        verify(SECRET, BODY, headers)


def test_binary_body_is_signed_byte_for_byte():
    frame = bytes.fromhex("232302fe4c4e42") + b"\xff\x00\x80"
    headers = signed_headers(SECRET, frame, "m")
    assert verify(SECRET, frame, headers) == "m"
    with pytest.raises(InvalidSignature):
        verify(SECRET, frame + b"\x00", headers)


@pytest.mark.parametrize("skew", [-301, 301, -86400])
def test_timestamps_outside_five_minutes_are_stale(skew):
    now = time.time()
    headers = signed_headers(SECRET, BODY, "m", int(now) + skew)
    with pytest.raises(StaleTimestamp):
        verify(SECRET, BODY, headers, now=now)


def test_timestamps_inside_the_window_pass():
    now = time.time()
    for skew in (-299, 0, 299):
        assert verify(SECRET, BODY, signed_headers(SECRET, BODY, "m", int(now) + skew), now=now)
