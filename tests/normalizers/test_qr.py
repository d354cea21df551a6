from datetime import UTC, datetime

import orjson
import pytest

from hub.errors import InvalidPayload
from hub.normalizers.qr import normalize
from tests.helpers import FIXTURES

NOW = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
CLAIMS = {"dealer": "D0571A", "vin": "LNBSCU3H0MR512345", "exp": 0, "ref": "abcdef123456"}


def form(**kw) -> dict:
    return {**orjson.loads((FIXTURES / "qr" / "submission.json").read_bytes()),
            "token": "from-the-url", "claims": CLAIMS, "photo": None, **kw}


def test_submission_becomes_an_event():
    e = normalize(form(photo={"filename": "door.jpg", "content_type": "image/jpeg",
                              "size": 2048}), NOW)
    assert (e.channel, e.source) == ("qr", "qr")
    assert e.contact.phone == "+8613900005555" and e.contact.name == "王女士"
    assert e.vehicle.vin == "LNBSCU3H0MR512345" and e.context.dealer_code == "D0571A"
    assert e.context.qr == {"ref": "abcdef123456", "kind": "vehicle"}
    assert e.attachments[0].filename == "door.jpg"


def test_double_submit_of_one_page_is_one_event_and_api_posts_are_keyed_by_content():
    assert normalize(form(), NOW).event_id == normalize(form(), NOW).event_id
    a = normalize(form(submission_id=None), NOW)
    assert a.event_id == normalize(form(submission_id=None), NOW).event_id
    assert a.event_id != normalize(form(submission_id=None, text="另一件事"), NOW).event_id


@pytest.mark.parametrize("bad", [{"phone": "123"}, {"text": ""}, {"phone": ""},
                                 {"text": "长" * 2001}])
def test_invalid_submissions(bad):
    with pytest.raises(InvalidPayload):
        normalize(form(**bad), NOW)
